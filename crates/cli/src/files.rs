//! `parindex import` and `parindex export`: data files in and out, each import one transaction.

use crate::{ExportKind, Format, ImportKind};
use anyhow::{anyhow, bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use parindex_interchange::{
    edition as ed, results as res, subjects as subj, targets as tgt, units as un,
};
use parindex_store::Store;
use std::collections::BTreeSet;
use std::path::Path;

fn ext(path: &Path) -> String {
    path.extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase()
}

fn spinner(msg: String) -> ProgressBar {
    let pb = ProgressBar::new_spinner();
    pb.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    pb.set_message(msg);
    pb.enable_steady_tick(std::time::Duration::from_millis(120));
    pb
}

/// How `parindex import` reads and keeps a file.
pub struct ImportOptions<'a> {
    /// The edition the file belongs to (results; a criteria-only CSV of an edition).
    pub edition: Option<&'a str>,
    /// Results: remove the subjects that are not in the file.
    pub replace: bool,
    pub dry_run: bool,
    /// Editions: warnings refuse the file too.
    pub strict: bool,
    /// Results: which row of a subject given twice is kept.
    pub prefer: Option<res::Prefer>,
}

/// `--prefer first|last`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PreferArg {
    First,
    Last,
}

impl PreferArg {
    pub fn into_prefer(self) -> res::Prefer {
        match self {
            PreferArg::First => res::Prefer::First,
            PreferArg::Last => res::Prefer::Last,
        }
    }
}

pub async fn import(
    store: &Store,
    kind: ImportKind,
    file: &Path,
    options: &ImportOptions<'_>,
) -> Result<()> {
    if !file.exists() {
        bail!("{}: no such file", file.display());
    }
    let pb = spinner(format!("importing {}", file.display()));
    let outcome = import_inner(store, kind, file, options).await;
    pb.finish_and_clear();
    let msg = outcome?;
    println!("{msg}");
    Ok(())
}

async fn import_inner(
    store: &Store,
    kind: ImportKind,
    file: &Path,
    options: &ImportOptions<'_>,
) -> Result<String> {
    let ImportOptions {
        edition,
        replace,
        dry_run,
        ..
    } = *options;
    let dry = if dry_run {
        " (dry run: nothing saved)"
    } else {
        ""
    };
    match kind {
        ImportKind::Edition => import_edition(store, file, options).await,
        ImportKind::Results => {
            let id = edition
                .ok_or_else(|| anyhow!("results belong to an edition: give --edition ID"))?;
            let e = store
                .edition(id)
                .await?
                .ok_or_else(|| anyhow!("unknown edition '{id}'"))?;
            let known: BTreeSet<String> = store
                .subjects(None)
                .await?
                .into_iter()
                .map(|s| s.slug)
                .collect();
            let read = res::read_results_known(file, &e, &known, options.prefer)?;
            let rows = read.rows;
            let change = if dry_run {
                store.preview_results(id, &rows, replace).await?
            } else {
                store.import_results(id, &rows, replace, "cli").await?
            };
            let mut out = format!(
                "results of {id}: {} added, {} changed, {} removed, {} unchanged{dry}",
                change.added.len(),
                change.changed.len(),
                change.removed.len(),
                change.unchanged
            );
            for s in &read.settled {
                out.push_str(&format!(
                    "\n  {} twice: kept row {} (total {}), set aside row {} (total {})",
                    s.subject,
                    s.kept_row,
                    or_dash(s.kept_total),
                    s.dropped_row,
                    or_dash(s.dropped_total)
                ));
            }
            for (old, new) in &change.changed {
                out.push_str(&format!(
                    "\n  changed {}: total {} → {}, rank {} → {}",
                    new.subject,
                    or_dash(old.total),
                    or_dash(new.total),
                    or_dash(old.rank),
                    or_dash(new.rank)
                ));
            }
            Ok(out)
        }
        ImportKind::Units => {
            let known: BTreeSet<String> = store
                .units(None)
                .await?
                .into_iter()
                .map(|u| u.slug)
                .collect();
            let units = un::read_units(file, &known)?;
            if !dry_run {
                store.save_units(&units, "cli").await?;
            }
            Ok(format!("{} units{dry}", units.len()))
        }
        ImportKind::Subjects => {
            let subjects = subj::read_subjects(file)?;
            if !dry_run {
                store.save_subjects(&subjects, "cli").await?;
            }
            Ok(format!("{} subjects{dry}", subjects.len()))
        }
        ImportKind::Dossiers => bail!("dossier files are imported by the dossiers module"),
        ImportKind::Plan => import_plan(store, file, dry_run).await,
        ImportKind::Targets => {
            let targets = tgt::read_targets(file)?;
            if !dry_run {
                store.save_targets(&targets, "cli").await?;
            }
            Ok(format!("{} rank targets{dry}", targets.len()))
        }
    }
}

/// A plan file (.toml or .json): read by the reader the web's `/plans/import` uses, checked
/// and saved in the one transaction of `Store::save_plan`. A file that does not parse names the
/// file, the row and the column; a plan the store refuses names the file and each field.
async fn import_plan(store: &Store, file: &Path, dry_run: bool) -> Result<String> {
    let doc = parindex_interchange::plan::read_plan(file)?;
    let problems = store.plan_problems(&doc).await?;
    if !problems.is_empty() {
        let lines: Vec<String> = problems
            .iter()
            .map(|r| format!("{}: {r}", file.display()))
            .collect();
        bail!("the plan was refused, nothing saved:\n{}", lines.join("\n"));
    }
    let existed = store.plan(&doc.plan.id).await?.is_some();
    let counts = format!(
        "{} findings, {} targets, {} tasks",
        doc.findings.len(),
        doc.targets.len(),
        doc.tasks.len()
    );
    if dry_run {
        return Ok(format!(
            "plan {} ({}): {counts} (dry run: nothing saved)",
            doc.plan.id,
            if existed {
                "would replace the stored one"
            } else {
                "new"
            }
        ));
    }
    store.save_plan(&doc, "cli").await?;
    let assignments = store.assignments(&doc.plan.id, None).await?.len();
    Ok(format!(
        "plan {} ({}): {counts}, {assignments} assignments",
        doc.plan.id,
        if existed { "replaced" } else { "new" }
    ))
}

pub async fn export(
    store: &Store,
    kind: ExportKind,
    edition: &str,
    format: Format,
    output: &Path,
) -> Result<()> {
    let e = store
        .edition(edition)
        .await?
        .ok_or_else(|| anyhow!("unknown edition '{edition}'"))?;
    let bytes: Vec<u8> = match (kind, format) {
        (ExportKind::Edition, Format::Xlsx) => ed::edition_to_xlsx(&e)?,
        (ExportKind::Edition, Format::Json) => ed::edition_to_json(&e).into_bytes(),
        (ExportKind::Edition, Format::Toml) => ed::edition_to_toml(&e).into_bytes(),
        (ExportKind::Edition, Format::Csv) => ed::criteria_to_csv(&e.criteria)?.into_bytes(),
        (ExportKind::Results, f) => {
            let rows = store.results(edition).await?;
            let names = store.subject_names().await?;
            match f {
                Format::Xlsx => res::results_to_xlsx(&e, &rows, &names)?,
                Format::Csv => res::results_to_csv(&e, &rows, &names)?.into_bytes(),
                Format::Json => res::results_to_json(&rows)?.into_bytes(),
                Format::Toml => bail!("results export as xlsx, csv or json"),
            }
        }
    };
    std::fs::write(output, &bytes).with_context(|| format!("cannot write {}", output.display()))?;
    println!("wrote {} ({} bytes)", output.display(), bytes.len());
    Ok(())
}

/// A value, or "—" when it is not known.
fn or_dash<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(|| "—".to_string(), |v| v.to_string())
}

/// `parindex import edition`: the file read, its warnings printed (or, with `--strict`, the
/// file refused on them), then saved.
async fn import_edition(store: &Store, file: &Path, options: &ImportOptions<'_>) -> Result<String> {
    let e = if ext(file) == "csv" {
        let id = options.edition.ok_or_else(|| {
            anyhow!(
                "{}: a criteria CSV goes into an existing edition: give --edition ID",
                file.display()
            )
        })?;
        let base = store
            .edition(id)
            .await?
            .ok_or_else(|| anyhow!("unknown edition '{id}'"))?;
        ed::read_criteria_into(file, &base)?
    } else {
        let e = ed::read_edition(file)?;
        if let Some(id) = options.edition {
            if id != e.id {
                bail!(
                    "{}: the file holds edition '{}', not '{id}'",
                    file.display(),
                    e.id
                );
            }
        }
        e
    };
    let warnings = e.warnings();
    let listed: String = warnings
        .iter()
        .map(|w| format!("\n  {}: {w}", file.display()))
        .collect();
    if options.strict && !warnings.is_empty() {
        bail!(
            "{}: refused with --strict: {} warning(s){listed}",
            file.display(),
            warnings.len()
        );
    }
    if !options.dry_run {
        store.save_edition(&e, "cli").await?;
    }
    let mut out = format!(
        "edition {}: {} components, {} criteria{}",
        e.id,
        e.components.len(),
        e.criteria.len(),
        if options.dry_run {
            " (dry run: nothing saved)"
        } else {
            ""
        }
    );
    if !warnings.is_empty() {
        out.push_str(&format!(
            "\n{} warning(s) (--strict refuses them):{listed}",
            warnings.len()
        ));
    }
    Ok(out)
}
