//! `parindex dossiers stats`, `parindex import dossiers`, `parindex gen dossiers`, and the
//! demo's indicators: one-stop-shop dossier exports counted in bounded memory, stored as
//! aggregates per agency × month with the individual late and pending-overdue dossiers.

use anyhow::{anyhow, bail, Context, Result};
use clap::{Args, Subcommand};
use parindex_domain::dossiers::{day_of, today_local, Dim, Month};
use parindex_domain::text::fold;
use parindex_interchange::dossiers::{
    generate, parse_column_map, scan_file, scan_file_into, stats_csv, stats_json, GenOptions,
    OverdueBatch, OverdueSink, Scan, ScanOptions,
};
use parindex_store::{DossierCell, DossierImportMeta, OverdueRef, Store};
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

/// Matches an export's agency texts to units: a unit slug as is, else a unit whose name folds
/// to the same text. Unmatched agencies are kept under their own name. Answers are cached.
struct Agencies {
    units: Vec<(String, String)>,
    cache: HashMap<String, Option<String>>,
}

impl Agencies {
    async fn load(store: &Store) -> Result<Agencies> {
        let units = store
            .units(None)
            .await?
            .into_iter()
            .map(|u| (u.slug.clone(), fold(&u.name_vi)))
            .collect();
        Ok(Agencies {
            units,
            cache: HashMap::new(),
        })
    }

    /// The unit of an agency text, if it is one.
    fn unit(&mut self, a: &str) -> Option<String> {
        if let Some(u) = self.cache.get(a) {
            return u.clone();
        }
        let folded = fold(a);
        let unit = self
            .units
            .iter()
            .find(|(slug, _)| slug == a)
            .or_else(|| self.units.iter().find(|(_, name)| *name == folded))
            .map(|(slug, _)| slug.clone());
        self.cache.insert(a.to_string(), unit.clone());
        unit
    }

    /// The agency as stored (after [`Agencies::unit`] was asked about it).
    fn stored<'s>(&'s self, a: &'s str) -> &'s str {
        match self.cache.get(a) {
            Some(Some(unit)) => unit,
            _ => a,
        }
    }
}

/// What an import did.
pub struct ImportSummary {
    pub text: String,
}

/// `parindex import dossiers FILE`: the aggregates per agency × month and the late and
/// pending-overdue dossiers, in one transaction; the agency × month cells in the file replace
/// what was stored for them. The overdue dossiers are stored while the file is still being read
/// (the reading threads hand them over in batches); any bad row (without `--skip-bad-rows`) or
/// any error rolls the whole import back.
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
        spool_overdue: false,
    };
    if dry_run {
        let scan = scan_file(file, &opts)?;
        return import_scan(store, scan, as_of, flags, dry_run, actor).await;
    }
    let mut agencies = Agencies::load(store).await?;
    let meta = DossierImportMeta {
        file_name: file
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_else(|| file.display().to_string()),
        as_of,
        sample: flags.sample,
        rows: 0,
        skipped: 0,
    };
    let mut tx = store.open_dossier_import(&meta, actor).await?;
    // The reading threads → this task, which stores while the file is being read.
    let (send, mut recv) = tokio::sync::mpsc::channel::<Handover>(4);
    let path = file.to_path_buf();
    let reading =
        tokio::task::spawn_blocking(move || scan_file_into(&path, &opts, &ChannelSink(send)));
    let mut failed: Option<anyhow::Error> = None;
    while let Some(msg) = recv.recv().await {
        let res = match msg {
            Handover::Rows(batch) => {
                for d in batch.iter() {
                    agencies.unit(d.agency);
                }
                let rows: Vec<OverdueRef<'_>> = batch
                    .iter()
                    .map(|d| OverdueRef {
                        outcome: d.outcome,
                        code: d.code,
                        agency: agencies.stored(d.agency),
                        procedure: d.procedure,
                        level: d.level,
                        online_level: d.online_level,
                        received_at: d.received_at,
                        due_at: d.due_at,
                        result_at: d.result_at,
                        closed_at: d.closed_at,
                        status: d.status,
                        month: d.month,
                    })
                    .collect();
                tx.add_overdue_rows(&rows).await
            }
            Handover::Restart => tx.discard_overdue().await,
        };
        if let Err(e) = res {
            failed = Some(e.into());
            break;
        }
    }
    // Closing the channel stops the readers (their next hand-over fails).
    drop(recv);
    let scan = reading.await.context("the reading task failed")?;
    if let Some(e) = failed {
        return Err(e);
    }
    let scan = scan?;
    check_bad_rows(&scan, flags.skip_bad_rows)?;
    let summary = summarize(&mut agencies, &scan)?;
    tx.replace_cells(&summary.cells).await?;
    tx.set_rows(scan.rows, scan.bad_rows);
    tx.commit().await?;
    Ok(ImportSummary { text: summary.text })
}

/// What the reading threads hand over.
enum Handover {
    Rows(OverdueBatch),
    Restart,
}

struct ChannelSink(tokio::sync::mpsc::Sender<Handover>);

impl OverdueSink for ChannelSink {
    fn rows(&self, batch: OverdueBatch) -> std::result::Result<(), String> {
        self.0
            .blocking_send(Handover::Rows(batch))
            .map_err(|_| "the import stopped".to_string())
    }

    fn restart(&self) -> std::result::Result<(), String> {
        self.0
            .blocking_send(Handover::Restart)
            .map_err(|_| "the import stopped".to_string())
    }
}

/// The cells of a scan, agencies resolved, and the summary's text.
struct Summary {
    cells: Vec<DossierCell>,
    text: String,
}

fn summarize(agencies: &mut Agencies, scan: &Scan) -> Result<Summary> {
    let mut names: Vec<&str> = scan.groups.iter().map(|g| g.key[0].as_str()).collect();
    names.sort();
    names.dedup();
    let unmatched: Vec<&str> = names
        .iter()
        .copied()
        .filter(|a| agencies.unit(a).is_none())
        .collect();
    let mut cells = Vec::with_capacity(scan.groups.len());
    for g in &scan.groups {
        let month = Month::parse(&g.key[1]).ok_or_else(|| anyhow!("bad month {}", g.key[1]))?;
        let unit = agencies.unit(&g.key[0]);
        cells.push(DossierCell {
            agency: unit.clone().unwrap_or_else(|| g.key[0].clone()),
            unit,
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
    let overdue = scan.total.late + scan.total.pending_overdue;
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
        let names: Vec<&str> = unmatched.iter().take(10).copied().collect();
        text.push_str(&format!(
            "\n{} agencies are not units of the province and are kept under their own name: {}{}",
            unmatched.len(),
            names.join(", "),
            if unmatched.len() > 10 { ", …" } else { "" }
        ));
    }
    Ok(Summary { cells, text })
}

/// Store a scan (with its overdue dossiers spooled; also used by the web upload and the demo).
pub async fn import_scan(
    store: &Store,
    scan: Scan,
    as_of: jiff::civil::Date,
    flags: &ImportFlags,
    dry_run: bool,
    actor: &str,
) -> Result<ImportSummary> {
    check_bad_rows(&scan, flags.skip_bad_rows)?;
    let mut agencies = Agencies::load(store).await?;
    let Summary { cells, mut text } = summarize(&mut agencies, &scan)?;
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
                agencies.unit(&d.agency);
                d.agency = agencies.stored(&d.agency).to_string();
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
