//! `parindex dossiers stats`, `parindex import dossiers`, `parindex gen dossiers`, and the
//! demo's indicators: one-stop-shop dossier exports counted in bounded memory, stored as
//! aggregates per agency × month with the individual late and pending-overdue dossiers.

use anyhow::{anyhow, bail, Context, Result};
use clap::{Args, Subcommand};
use parindex_domain::dossiers::{day_of, today_local, Dim, Month};
use parindex_domain::text::fold;
use parindex_interchange::dossiers::{
    generate, parse_column_map, scan_file, stats_csv, stats_json, GenOptions, Scan, ScanOptions,
};
use parindex_store::{DossierCell, DossierImportMeta, Store};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Subcommand)]
pub enum DossiersCommand {
    /// Counts and rates of a dossier export (CSV or XLSX), streamed in bounded memory: per group
    /// received, resolved, early, on_time, late, pending, pending_overdue and the rates.
    Stats {
        file: PathBuf,
        /// Group by: agency, month, procedure, level, online_level (comma-separated).
        #[arg(long, default_value = "agency,month")]
        by: String,
        /// CSV output.
        #[arg(long, conflicts_with = "json")]
        csv: bool,
        /// JSON output.
        #[arg(long)]
        json: bool,
        /// Write the late and pending-overdue dossiers to this CSV file.
        #[arg(long)]
        late: Option<PathBuf>,
        /// Skip rows that cannot be read (they are counted); otherwise any bad row is an error.
        #[arg(long)]
        skip_bad_rows: bool,
        /// Map another export's headers: code=Số hồ sơ,agency=Đơn vị,…
        #[arg(long)]
        columns: Option<String>,
        /// Threads (default: the machine's cores).
        #[arg(long)]
        threads: Option<usize>,
    },
}

#[derive(Subcommand)]
pub enum GenCommand {
    /// A synthetic one-stop-shop dossier export (CSV) in the shape of a province. SYNTHETIC:
    /// for demos, tests and benchmarks only.
    Dossiers {
        #[arg(long)]
        rows: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Spread receipts over this month (YYYY-MM) instead of the year 2021.
        #[arg(long)]
        month: Option<String>,
        /// Output file (default: standard output).
        #[arg(short = 'o', long)]
        output: Option<PathBuf>,
    },
}

/// The flags of `parindex import dossiers`.
#[derive(Args, Debug, Clone, Default)]
pub struct ImportFlags {
    /// Dossiers: skip rows that cannot be read (they are counted); otherwise any bad row fails
    /// the whole import and nothing is stored.
    #[arg(long)]
    pub skip_bad_rows: bool,
    /// Dossiers: map another export's headers: code=Số hồ sơ,agency=Đơn vị,…
    #[arg(long)]
    pub columns: Option<String>,
    /// Dossiers: the file is synthetic or sample data (labelled as such everywhere).
    #[arg(long)]
    pub sample: bool,
}

fn threads(n: Option<usize>) -> usize {
    n.filter(|&n| n > 0).unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    })
}

fn check_bad_rows(scan: &Scan, skip: bool) -> Result<()> {
    if scan.bad_rows == 0 {
        return Ok(());
    }
    let shown: Vec<String> = scan
        .bad
        .iter()
        .take(20)
        .map(|b| format!("{}: {b}", scan.file))
        .collect();
    let more = if scan.bad_rows as usize > shown.len() {
        format!("\n… {} bad rows in all", scan.bad_rows)
    } else {
        String::new()
    };
    if skip {
        eprintln!(
            "{}: {} bad rows skipped{}",
            scan.file,
            scan.bad_rows,
            if shown.is_empty() {
                String::new()
            } else {
                format!(", the first:\n{}", shown.join("\n"))
            }
        );
        Ok(())
    } else {
        bail!(
            "{}{more}\nnothing was used: fix the rows, or give --skip-bad-rows to skip them",
            shown.join("\n")
        )
    }
}

/// `parindex dossiers …` (needs no database). Dossiers not closed and due before `as_of` (the
/// global `--as-of`, default today in Asia/Ho_Chi_Minh) are pending overdue.
pub fn dossiers_command(cmd: DossiersCommand, as_of: Option<jiff::civil::Date>) -> Result<()> {
    match cmd {
        DossiersCommand::Stats {
            file,
            by,
            csv,
            json,
            late,
            skip_bad_rows,
            columns,
            threads: n,
        } => {
            let dims = Dim::parse_list(&by).map_err(|e| anyhow!("--by: {e}"))?;
            if dims.is_empty() {
                bail!("--by needs at least one of agency, month, procedure, level, online_level");
            }
            let opts = ScanOptions {
                dims,
                as_of_day: day_of(as_of.unwrap_or_else(today_local)),
                threads: threads(n),
                columns: match columns {
                    Some(c) => parse_column_map(&c).map_err(|e| anyhow!("--columns: {e}"))?,
                    None => Vec::new(),
                },
                spool_overdue: late.is_some(),
            };
            let scan = scan_file(&file, &opts)?;
            check_bad_rows(&scan, skip_bad_rows)?;
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            if json {
                writeln!(out, "{}", serde_json::to_string_pretty(&stats_json(&scan))?)?;
            } else if csv {
                stats_csv(&scan, &mut out)?;
            } else {
                print_table(&scan, &mut out)?;
            }
            out.flush()?;
            if let (Some(path), Some(spool)) = (late, &scan.overdue) {
                let f = std::fs::File::create(&path)
                    .with_context(|| format!("cannot write {}", path.display()))?;
                let mut w = std::io::BufWriter::new(f);
                spool
                    .write_csv(&mut w)
                    .with_context(|| format!("cannot write {}", path.display()))?;
                eprintln!(
                    "{} late or pending-overdue dossiers written to {}",
                    spool.count,
                    path.display()
                );
            }
            Ok(())
        }
    }
}

fn print_table(scan: &Scan, out: &mut dyn Write) -> std::io::Result<()> {
    let widths: Vec<usize> = scan
        .dims
        .iter()
        .enumerate()
        .map(|(i, d)| {
            scan.groups
                .iter()
                .map(|g| g.key[i].chars().count())
                .max()
                .unwrap_or(0)
                .max(d.as_str().len())
                .max(5)
        })
        .collect();
    for (d, w) in scan.dims.iter().zip(&widths) {
        write!(out, "{:<w$} ", d.as_str())?;
    }
    writeln!(
        out,
        "{:>9} {:>9} {:>8} {:>8} {:>7} {:>8} {:>8} {:>8} {:>8} {:>7}",
        "received",
        "resolved",
        "early",
        "on_time",
        "late",
        "pending",
        "overdue",
        "early%",
        "ontime%",
        "late%"
    )?;
    let line = |out: &mut dyn Write, key: &[String], c: &parindex_domain::dossiers::Counts| {
        for (k, w) in key.iter().zip(&widths) {
            let pad = w.saturating_sub(k.chars().count());
            write!(out, "{k}{} ", " ".repeat(pad))?;
        }
        let r = |d: Option<rust_decimal::Decimal>| d.map(|d| d.to_string()).unwrap_or("—".into());
        writeln!(
            out,
            "{:>9} {:>9} {:>8} {:>8} {:>7} {:>8} {:>8} {:>8} {:>8} {:>7}",
            c.received,
            c.resolved,
            c.early,
            c.on_time,
            c.late,
            c.pending,
            c.pending_overdue,
            r(c.early_rate()),
            r(c.on_time_rate()),
            r(c.late_rate())
        )
    };
    for g in &scan.groups {
        line(out, &g.key, &g.counts)?;
    }
    let mut total = vec![String::new(); scan.dims.len()];
    if let Some(t) = total.first_mut() {
        *t = "total".into();
    }
    line(out, &total, &scan.total)
}

/// `parindex gen …` (needs no database).
pub fn gen_command(cmd: GenCommand) -> Result<()> {
    match cmd {
        GenCommand::Dossiers {
            rows,
            seed,
            month,
            output,
        } => {
            let month = month
                .map(|m| Month::parse(&m).ok_or_else(|| anyhow!("--month '{m}' is not YYYY-MM")))
                .transpose()?;
            let opts = GenOptions { rows, seed, month };
            match output {
                Some(path) => {
                    let f = std::fs::File::create(&path)
                        .with_context(|| format!("cannot write {}", path.display()))?;
                    generate(&opts, &mut std::io::BufWriter::new(f))
                        .with_context(|| format!("cannot write {}", path.display()))?;
                    eprintln!(
                        "wrote {} synthetic dossiers to {} (SYNTHETIC: not real data)",
                        rows,
                        path.display()
                    );
                }
                None => {
                    let stdout = std::io::stdout();
                    generate(&opts, &mut stdout.lock()).context("cannot write the output")?;
                }
            }
            Ok(())
        }
    }
}

/// Match an export's agency texts to units: a unit slug as is, else a unit whose name folds to
/// the same text. Unmatched agencies are kept under their own name.
async fn agency_map(store: &Store, agencies: &[String]) -> Result<HashMap<String, Option<String>>> {
    let units = store.units(None).await?;
    let mut out = HashMap::new();
    for a in agencies {
        let folded = fold(a);
        let unit = units
            .iter()
            .find(|u| u.slug == *a)
            .or_else(|| units.iter().find(|u| fold(&u.name_vi) == folded))
            .map(|u| u.slug.clone());
        out.insert(a.clone(), unit);
    }
    Ok(out)
}

/// What an import did.
pub struct ImportSummary {
    pub text: String,
}

/// `parindex import dossiers FILE`: the aggregates per agency × month and the late and
/// pending-overdue dossiers, in one transaction; the agency × month cells in the file replace
/// what was stored for them.
pub async fn import(
    store: &Store,
    file: &Path,
    flags: &ImportFlags,
    as_of: Option<jiff::civil::Date>,
    dry_run: bool,
    actor: &str,
) -> Result<ImportSummary> {
    if !file.exists() {
        bail!("{}: no such file", file.display());
    }
    let as_of = as_of.unwrap_or_else(today_local);
    let opts = ScanOptions {
        dims: vec![Dim::Agency, Dim::Month],
        as_of_day: day_of(as_of),
        threads: threads(None),
        columns: match &flags.columns {
            Some(c) => parse_column_map(c).map_err(|e| anyhow!("--columns: {e}"))?,
            None => Vec::new(),
        },
        spool_overdue: true,
    };
    let scan = scan_file(file, &opts)?;
    import_scan(store, scan, as_of, flags, dry_run, actor).await
}

/// Store a scan (also used by the web upload and the demo).
pub async fn import_scan(
    store: &Store,
    scan: Scan,
    as_of: jiff::civil::Date,
    flags: &ImportFlags,
    dry_run: bool,
    actor: &str,
) -> Result<ImportSummary> {
    check_bad_rows(&scan, flags.skip_bad_rows)?;
    let mut agencies: Vec<String> = scan.groups.iter().map(|g| g.key[0].clone()).collect();
    agencies.sort();
    agencies.dedup();
    let map = agency_map(store, &agencies).await?;
    let resolve = |a: &str| -> String {
        map.get(a)
            .and_then(|u| u.clone())
            .unwrap_or_else(|| a.to_string())
    };
    let unmatched: Vec<&String> = agencies
        .iter()
        .filter(|a| map.get(*a).is_none_or(|u| u.is_none()))
        .collect();
    let mut cells = Vec::with_capacity(scan.groups.len());
    for g in &scan.groups {
        let month = Month::parse(&g.key[1]).ok_or_else(|| anyhow!("bad month {}", g.key[1]))?;
        let agency = resolve(&g.key[0]);
        cells.push(DossierCell {
            unit: map.get(&g.key[0]).cloned().flatten(),
            agency,
            month,
            counts: g.counts,
        });
    }
    let months: Vec<Month> = {
        let mut m: Vec<Month> = cells.iter().map(|c| c.month).collect();
        m.sort();
        m.dedup();
        m
    };
    let overdue = scan.overdue.as_ref().map(|s| s.count).unwrap_or(0);
    let mut text = format!(
        "{}: {} dossiers in {} agency × month cells ({} to {}); {} late or pending overdue{}",
        scan.file,
        scan.rows,
        cells.len(),
        months.first().map(|m| m.to_string()).unwrap_or_default(),
        months.last().map(|m| m.to_string()).unwrap_or_default(),
        overdue,
        if scan.bad_rows > 0 {
            format!("; {} bad rows skipped", scan.bad_rows)
        } else {
            String::new()
        }
    );
    if !unmatched.is_empty() {
        let names: Vec<&str> = unmatched.iter().take(10).map(|s| s.as_str()).collect();
        text.push_str(&format!(
            "\n{} agencies are not units of the province and are kept under their own name: {}{}",
            unmatched.len(),
            names.join(", "),
            if unmatched.len() > 10 { ", …" } else { "" }
        ));
    }
    if dry_run {
        text.push_str(" (dry run: nothing saved)");
        return Ok(ImportSummary { text });
    }
    let meta = DossierImportMeta {
        file_name: Path::new(&scan.file)
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_else(|| scan.file.clone()),
        as_of,
        sample: flags.sample,
        rows: scan.rows,
        skipped: scan.bad_rows,
    };
    let mut tx = store.begin_dossier_import(&meta, &cells, actor).await?;
    if let Some(spool) = &scan.overdue {
        let mut reader = spool.reader();
        loop {
            let mut batch = reader.next_batch(2000).map_err(anyhow::Error::msg)?;
            if batch.is_empty() {
                break;
            }
            for d in &mut batch {
                d.agency = resolve(&d.agency);
            }
            tx.add_overdue(&batch).await?;
        }
    }
    tx.commit().await?;
    Ok(ImportSummary { text })
}

// ---------------------------------------------------------------------------------------------
// The demo
// ---------------------------------------------------------------------------------------------

const INDICATORS: (&str, &str) = (
    "data/indicators/bac-giang-2021.toml",
    include_str!("../../../data/indicators/bac-giang-2021.toml"),
);
const SAMPLE_EDITION: (&str, &str) = (
    "data/indicators/sample-dossier-criterion.toml",
    include_str!("../../../data/indicators/sample-dossier-criterion.toml"),
);
/// The synthetic month loaded by the demo.
pub const DEMO_MONTH: &str = "2021-06";
const DEMO_ROWS: u64 = 20_000;

/// Load the plan's indicators (and their official 2020 figures), the SAMPLE edition whose
/// dossier-resolution criterion the on-time rate feeds, and one SYNTHETIC month of dossiers.
/// Idempotent: what exists is kept.
pub async fn load_demo(store: &Store, actor: &str) -> Result<String> {
    use parindex_interchange::indicators as ind;
    let mut out = String::new();
    let sample =
        parindex_interchange::edition::edition_from_toml(SAMPLE_EDITION.1, SAMPLE_EDITION.0)?;
    if store.edition(&sample.id).await?.is_none() {
        store
            .save_edition(&sample, actor)
            .await
            .with_context(|| format!("loading {}", SAMPLE_EDITION.0))?;
        out.push_str(&format!("edition {}: added (SAMPLE)\n", sample.id));
    }
    let data = ind::indicators_from_toml(INDICATORS.1, INDICATORS.0)?;
    let have = store.indicators().await?;
    let new: Vec<_> = data
        .indicators
        .iter()
        .filter(|i| !have.iter().any(|h| h.id == i.id))
        .cloned()
        .collect();
    if !new.is_empty() {
        store
            .save_indicators(&new, actor)
            .await
            .with_context(|| format!("loading {}", INDICATORS.0))?;
        out.push_str(&format!("indicators: {} added\n", new.len()));
        let obs: Vec<_> = data
            .observations
            .iter()
            .filter(|o| new.iter().any(|i| i.id == o.indicator_id))
            .cloned()
            .collect();
        store.save_observations(&obs, actor).await?;
        for l in &data.links {
            if new.iter().any(|i| i.id == l.indicator_id) {
                store
                    .link_indicator(&l.indicator_id, &l.edition_id, &l.node_code, actor)
                    .await?;
            }
        }
    }
    if store.dossier_cells().await?.is_empty() {
        let dir = std::env::temp_dir().join(format!("parindex-demo-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(format!("SYNTHETIC-dossiers-{DEMO_MONTH}.csv"));
        let f = std::fs::File::create(&path)?;
        generate(
            &GenOptions {
                rows: DEMO_ROWS,
                seed: 2021,
                month: Month::parse(DEMO_MONTH),
            },
            &mut std::io::BufWriter::new(f),
        )?;
        let flags = ImportFlags {
            sample: true,
            ..Default::default()
        };
        // As the month's report would see it: a few days after the month's end.
        let as_of = jiff::civil::date(2021, 7, 5);
        let res = import(store, &path, &flags, Some(as_of), false, actor).await;
        let _ = std::fs::remove_dir_all(&dir);
        let s = res?;
        out.push_str(&format!("dossiers (SYNTHETIC sample month): {}\n", s.text));
    }
    Ok(out)
}
