//! `parindex dossiers stats`, `parindex import dossiers` and `parindex gen dossiers`:
//! one-stop-shop dossier exports counted in bounded memory. The import itself (stored as
//! aggregates per agency × month with the individual late and pending-overdue dossiers) and the
//! demo's indicators live in `parindex-ingest`, shared with the web upload.

use anyhow::{anyhow, bail, Context, Result};
use clap::{Args, Subcommand};
use parindex_domain::dossiers::{day_of, Dim, Month};
use parindex_ingest::dossiers::{check_bad_rows, skipped_note, threads};
use parindex_interchange::dossiers::{
    generate, parse_column_map, scan_file, stats_csv, stats_json, GenOptions, Scan, ScanOptions,
    GEN_LATE_PER_MILLE, GEN_LATE_PER_MILLE_MAX,
};
use parindex_store::Store;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Subcommand)]
pub enum DossiersCommand {
    /// Counts and rates of a dossier export (CSV or XLSX), streamed in bounded memory: per group
    /// received, resolved, early, on_time, late, pending, pending_overdue, online (online level
    /// 3 or 4) and the rates (the online share over the dossiers received).
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
        /// Dossiers closed late, per mille (default 30; at most 980). Another 20 per mille are
        /// never closed. A late-heavy export: `--late-per-mille 157` (about 17.7 % late or
        /// pending overdue).
        #[arg(long, default_value_t = GEN_LATE_PER_MILLE, value_parser = clap::value_parser!(u64).range(0..=GEN_LATE_PER_MILLE_MAX))]
        late_per_mille: u64,
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

impl From<&ImportFlags> for parindex_ingest::dossiers::ImportFlags {
    fn from(f: &ImportFlags) -> Self {
        parindex_ingest::dossiers::ImportFlags {
            skip_bad_rows: f.skip_bad_rows,
            columns: f.columns.clone(),
            sample: f.sample,
            file_name: None,
        }
    }
}

/// `parindex import dossiers FILE` (see [`parindex_ingest::dossiers::import`]): prints the
/// summary, and the skipped bad rows on standard error.
pub async fn import(
    store: &Store,
    file: &Path,
    flags: &ImportFlags,
    as_of: jiff::civil::Date,
    dry_run: bool,
    actor: &str,
) -> Result<()> {
    let done = parindex_ingest::dossiers::import(store, file, &flags.into(), as_of, dry_run, actor)
        .await?;
    if let Some(note) = done.skipped_note() {
        eprintln!("{note}");
    }
    println!("{}", done.text);
    Ok(())
}

/// `parindex dossiers …` (needs no database). Dossiers not closed and due before `as_of` (the
/// global `--as-of`, default today in Asia/Ho_Chi_Minh) are pending overdue.
pub fn dossiers_command(cmd: DossiersCommand, as_of: jiff::civil::Date) -> Result<()> {
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
                as_of_day: day_of(as_of),
                threads: threads(n),
                columns: match columns {
                    Some(c) => parse_column_map(&c).map_err(|e| anyhow!("--columns: {e}"))?,
                    None => Vec::new(),
                },
                spool_overdue: late.is_some(),
            };
            let scan = scan_file(&file, &opts)?;
            check_bad_rows(&scan, skip_bad_rows)?;
            if let Some(note) = skipped_note(&scan) {
                eprintln!("{note}");
            }
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
        "{:>9} {:>9} {:>8} {:>8} {:>7} {:>8} {:>8} {:>8} {:>8} {:>8} {:>7} {:>8}",
        "received",
        "resolved",
        "early",
        "on_time",
        "late",
        "pending",
        "overdue",
        "online",
        "early%",
        "ontime%",
        "late%",
        "online%"
    )?;
    let line = |out: &mut dyn Write, key: &[String], c: &parindex_domain::dossiers::Counts| {
        for (k, w) in key.iter().zip(&widths) {
            let pad = w.saturating_sub(k.chars().count());
            write!(out, "{k}{} ", " ".repeat(pad))?;
        }
        let r = |d: Option<rust_decimal::Decimal>| d.map(|d| d.to_string()).unwrap_or("—".into());
        writeln!(
            out,
            "{:>9} {:>9} {:>8} {:>8} {:>7} {:>8} {:>8} {:>8} {:>8} {:>8} {:>7} {:>8}",
            c.received,
            c.resolved,
            c.early,
            c.on_time,
            c.late,
            c.pending,
            c.pending_overdue,
            c.online.map(|n| n.to_string()).unwrap_or("—".into()),
            r(c.early_rate()),
            r(c.on_time_rate()),
            r(c.late_rate()),
            r(c.online_share())
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
            late_per_mille,
            output,
        } => {
            let month = month
                .map(|m| Month::parse(&m).ok_or_else(|| anyhow!("--month '{m}' is not YYYY-MM")))
                .transpose()?;
            let opts = GenOptions {
                month,
                late_per_mille,
                ..GenOptions::new(rows, seed)
            };
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
