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

pub async fn import(
    store: &Store,
    kind: ImportKind,
    file: &Path,
    edition: Option<&str>,
    replace: bool,
    dry_run: bool,
) -> Result<()> {
    if !file.exists() {
        bail!("{}: no such file", file.display());
    }
    let pb = spinner(format!("importing {}", file.display()));
    let outcome = import_inner(store, kind, file, edition, replace, dry_run).await;
    pb.finish_and_clear();
    let msg = outcome?;
    println!("{msg}");
    Ok(())
}

async fn import_inner(
    store: &Store,
    kind: ImportKind,
    file: &Path,
    edition: Option<&str>,
    replace: bool,
    dry_run: bool,
) -> Result<String> {
    let dry = if dry_run {
        " (dry run: nothing saved)"
    } else {
        ""
    };
    match kind {
        ImportKind::Edition => {
            let e = if ext(file) == "csv" {
                let id = edition.ok_or_else(|| {
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
                if let Some(id) = edition {
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
            if !dry_run {
                store.save_edition(&e, "cli").await?;
            }
            Ok(format!(
                "edition {}: {} components, {} criteria{dry}",
                e.id,
                e.components.len(),
                e.criteria.len()
            ))
        }
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
            let rows = res::read_results_known(file, &e, &known)?;
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
            for (old, new) in &change.changed {
                out.push_str(&format!(
                    "\n  changed {}: total {} → {}, rank {:?} → {:?}",
                    new.subject, old.total, new.total, old.rank, new.rank
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
