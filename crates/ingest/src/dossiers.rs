//! `import dossiers`: a one-stop-shop dossier export (CSV or XLSX) stored as aggregates per
//! agency × month with the individual late and pending-overdue dossiers, in one transaction;
//! and the demo's indicators and synthetic month. Used by `parindex import dossiers` and by the
//! upload on the web page `/dossiers`.
//!
//! The flow: the store opens the import ([`Store::open_dossier_import`]); the reading threads of
//! [`scan_file_into`] hand the overdue dossiers over in batches through a channel
//! (a channel sink) to the task holding the transaction, which stores them while the file is
//! still being read; at the end the cells replace what was stored for them and the import
//! commits. Any bad row (unless skipped) or any error rolls everything back.

use crate::error::{IngestError, Result};
use parindex_domain::dossiers::{day_of, Dim, Month};
use parindex_domain::text::fold;
use parindex_interchange::dossiers::{
    generate, parse_column_map, scan_file_into, BadRow, GenOptions, OverdueBatch, OverdueSink,
    Scan, ScanError, ScanOptions,
};
use parindex_store::{
    DossierCell, DossierImport, DossierImportMeta, OverdueRef, Store, StoreError,
};
use std::collections::HashMap;
use std::path::Path;

/// How a dossier file is imported (`parindex import dossiers` flags; the web form's fields).
#[derive(Debug, Clone, Default)]
pub struct ImportFlags {
    /// Skip rows that cannot be read (they are counted); otherwise any bad row fails the whole
    /// import and nothing is stored.
    pub skip_bad_rows: bool,
    /// Map another export's headers: `code=Số hồ sơ,agency=Đơn vị,…`.
    pub columns: Option<String>,
    /// The file is synthetic or sample data (labelled as such everywhere).
    pub sample: bool,
    /// The file's name in messages and in the import record, when the path is not what users
    /// know it by (the web stores an upload in a temporary file). Default: the path as given.
    pub file_name: Option<String>,
}

/// Threads to read with: `n`, else the machine's cores.
pub fn threads(n: Option<usize>) -> usize {
    n.filter(|&n| n > 0).unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    })
}

/// How many bad rows are shown (all are counted).
pub const BAD_ROWS_SHOWN: usize = 20;

/// The file has bad rows and they were not to be skipped: nothing was used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRows {
    pub file: String,
    /// Bad rows in all.
    pub total: u64,
    /// The first [`BAD_ROWS_SHOWN`], by line.
    pub first: Vec<BadRow>,
}

impl std::fmt::Display for BadRows {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown: Vec<String> = self
            .first
            .iter()
            .map(|b| format!("{}: {b}", self.file))
            .collect();
        let more = if self.total as usize > shown.len() {
            format!("\n… {} bad rows in all", self.total)
        } else {
            String::new()
        };
        write!(
            f,
            "{}{more}\nnothing was used: fix the rows, or give --skip-bad-rows to skip them",
            shown.join("\n")
        )
    }
}

impl std::error::Error for BadRows {}

fn first_bad(scan: &Scan) -> Vec<BadRow> {
    scan.bad.iter().take(BAD_ROWS_SHOWN).cloned().collect()
}

/// Refuse a scan with bad rows unless they are to be skipped.
pub fn check_bad_rows(scan: &Scan, skip: bool) -> std::result::Result<(), BadRows> {
    if scan.bad_rows == 0 || skip {
        return Ok(());
    }
    Err(BadRows {
        file: scan.file.clone(),
        total: scan.bad_rows,
        first: first_bad(scan),
    })
}

fn skipped_text(file: &str, total: u64, first: &[BadRow]) -> Option<String> {
    if total == 0 {
        return None;
    }
    let shown: Vec<String> = first.iter().map(|b| format!("{file}: {b}")).collect();
    Some(format!(
        "{file}: {total} bad rows skipped{}",
        if shown.is_empty() {
            String::new()
        } else {
            format!(", the first:\n{}", shown.join("\n"))
        }
    ))
}

/// The note on a scan's skipped bad rows (`FILE: 3 bad rows skipped, the first: …`), if any.
pub fn skipped_note(scan: &Scan) -> Option<String> {
    skipped_text(&scan.file, scan.bad_rows, &first_bad(scan))
}

/// Matches an export's agency texts to units: a unit slug as is, else a unit whose name folds
/// to the same text. Unmatched agencies are kept under their own name. Answers are cached.
pub(crate) struct Agencies {
    units: Vec<(String, String)>,
    cache: HashMap<String, Option<String>>,
}

impl Agencies {
    pub(crate) async fn load(store: &Store) -> Result<Agencies> {
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
    pub(crate) fn unit(&mut self, a: &str) -> Option<String> {
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

    /// Match an agency text once (no copy when it was matched before: asked for every
    /// dossier stored).
    fn learn(&mut self, a: &str) {
        if !self.cache.contains_key(a) {
            self.unit(a);
        }
    }

    /// The agency as stored (after [`Agencies::unit`] or [`Agencies::learn`] was asked about
    /// it).
    fn stored<'s>(&'s self, a: &'s str) -> &'s str {
        match self.cache.get(a) {
            Some(Some(unit)) => unit,
            _ => a,
        }
    }
}

/// What an import did (or, in a dry run, would do).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportSummary {
    /// The summary as the command prints it (English).
    pub text: String,
    /// The file as named in messages.
    pub file: String,
    /// Dossiers read (rows without problems).
    pub rows: u64,
    /// Agency × month cells.
    pub cells: usize,
    /// The first and the last month of the file.
    pub months: Option<(Month, Month)>,
    /// Late dossiers, and pending dossiers past their due date on the as-of date.
    pub late: u64,
    pub pending_overdue: u64,
    /// The agencies that are not units of the province (kept under their own name), sorted.
    pub unmatched: Vec<String>,
    /// Bad rows skipped, and the first [`BAD_ROWS_SHOWN`] of them.
    pub bad_rows: u64,
    pub bad: Vec<BadRow>,
    /// Nothing was stored.
    pub dry_run: bool,
    /// The stored import (none in a dry run).
    pub import_id: Option<i64>,
    /// Dossiers pushed through the API into the file's cells, which the file replaces (a cell
    /// has one source; in a dry run: would replace).
    pub pushed_replaced: u64,
    /// Codes that appear more than once (same agency) among the file's late and
    /// pending-overdue dossiers: how many, and the first [`DUPLICATES_SHOWN`] by line.
    pub duplicate_codes: u64,
    pub duplicates: Vec<DuplicateCode>,
}

/// How many duplicate codes are listed (all are counted).
pub const DUPLICATES_SHOWN: usize = 20;

/// A dossier code that appears more than once for one agency among a file's late and
/// pending-overdue dossiers (each occurrence is counted in the cell, and the agency's list shows
/// it twice): the lines it is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateCode {
    /// The agency as in the file.
    pub agency: String,
    pub code: String,
    /// The file's lines (a sheet's rows), in order.
    pub lines: Vec<u64>,
}

/// Codes seen among the late and pending-overdue dossiers while a file is read: the first
/// occurrence of each (agency, code) by a 64-bit hash (8 bytes per dossier, not its texts;
/// a collision, about one in 10^9 for a year's export, would report a false duplicate), the
/// texts only of those seen twice.
/// Where a dossier was read: the part of the file and the line within it.
type At = (u32, u64);

#[derive(Default)]
struct Duplicates {
    first: HashMap<u64, At>,
    at: HashMap<u64, usize>,
    found: Vec<(String, String, Vec<At>)>,
    total: u64,
}

/// Duplicate codes whose lines are kept (all are counted).
const DUPLICATES_KEPT: usize = 1000;

impl Duplicates {
    fn see(&mut self, agency: &str, code: &str, part: u32, line: u64) {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (agency, code).hash(&mut h);
        let k = h.finish();
        let first = match self.first.entry(k) {
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert((part, line));
                return;
            }
            std::collections::hash_map::Entry::Occupied(e) => *e.get(),
        };
        match self.at.get(&k) {
            Some(&i) => self.found[i].2.push((part, line)),
            None => {
                self.total += 1;
                if self.found.len() < DUPLICATES_KEPT {
                    self.at.insert(k, self.found.len());
                    self.found.push((
                        agency.to_string(),
                        code.to_string(),
                        vec![first, (part, line)],
                    ));
                }
            }
        }
    }

    fn see_batch(&mut self, batch: &OverdueBatch) {
        for d in batch.iter() {
            self.see(d.agency, d.code, d.part, d.line);
        }
    }

    /// The duplicates with the file's lines, by first line: how many, and the first shown.
    fn report(self, scan: &Scan) -> (u64, Vec<DuplicateCode>) {
        let mut out: Vec<DuplicateCode> = self
            .found
            .into_iter()
            .map(|(agency, code, at)| {
                let mut lines: Vec<u64> = at.iter().map(|&(p, l)| scan.line_of(p, l)).collect();
                lines.sort_unstable();
                DuplicateCode {
                    agency,
                    code,
                    lines,
                }
            })
            .collect();
        out.sort_by_key(|d| d.lines.first().copied().unwrap_or(0));
        out.truncate(DUPLICATES_SHOWN);
        (self.total, out)
    }
}

/// The sink of a dry run: only the duplicate codes are looked for.
struct DuplicateSink(std::sync::Mutex<Duplicates>);

impl OverdueSink for DuplicateSink {
    fn rows(&self, batch: OverdueBatch) -> std::result::Result<(), String> {
        match self.0.lock() {
            Ok(mut d) => d.see_batch(&batch),
            Err(_) => return Err("the duplicate check failed".into()),
        }
        Ok(())
    }

    fn restart(&self) -> std::result::Result<(), String> {
        match self.0.lock() {
            Ok(mut d) => *d = Duplicates::default(),
            Err(_) => return Err("the duplicate check failed".into()),
        }
        Ok(())
    }
}

/// The duplicate codes as the import's audit entry keeps them.
fn duplicates_json(done: &ImportSummary) -> serde_json::Value {
    serde_json::json!({
        "count": done.duplicate_codes,
        "codes": done.duplicates.iter().map(|d| serde_json::json!({
            "code": d.code, "agency": d.agency, "lines": d.lines,
        })).collect::<Vec<_>>(),
    })
}

/// The summary's sentences on the pushed dossiers replaced and the duplicate codes.
fn more_text(done: &mut ImportSummary) {
    if done.pushed_replaced > 0 {
        done.text.push_str(&format!(
            "\n{} dossiers pushed through the API into these agency × month cells {} replaced by the file (a cell has one source)",
            done.pushed_replaced,
            if done.dry_run { "would be" } else { "are" }
        ));
    }
    if done.duplicate_codes > 0 {
        let shown: Vec<String> = done
            .duplicates
            .iter()
            .map(|d| {
                let lines: Vec<String> = d.lines.iter().map(u64::to_string).collect();
                format!("{} ({}, lines {})", d.code, d.agency, lines.join(", "))
            })
            .collect();
        done.text.push_str(&format!(
            "\n{} dossier codes appear more than once among the late and pending-overdue dossiers (each occurrence is counted): {}{}",
            done.duplicate_codes,
            shown.join("; "),
            if done.duplicate_codes as usize > shown.len() { "; …" } else { "" }
        ));
    }
}

impl ImportSummary {
    /// The note on the skipped bad rows (`FILE: 3 bad rows skipped, the first: …`), if any.
    pub fn skipped_note(&self) -> Option<String> {
        skipped_text(&self.file, self.bad_rows, &self.bad)
    }
}

/// Read with the name users know the file by (see [`ImportFlags::file_name`]).
fn named(
    flags: &ImportFlags,
    scan: std::result::Result<Scan, ScanError>,
) -> std::result::Result<Scan, ScanError> {
    let Some(name) = &flags.file_name else {
        return scan;
    };
    match scan {
        Ok(mut s) => {
            s.file = name.clone();
            Ok(s)
        }
        Err(mut e) => {
            e.file = name.clone();
            Err(e)
        }
    }
}

/// `parindex import dossiers FILE`: the aggregates per agency × month and the late and
/// pending-overdue dossiers, in one transaction; the agency × month cells in the file replace
/// what was stored for them. The overdue dossiers are stored while the file is still being read
/// (the reading threads hand them over in batches); any bad row (without `--skip-bad-rows`) or
/// any error rolls the whole import back. `as_of` is the caller's clock's day (`calendar::Clock`:
/// today in Asia/Ho_Chi_Minh, or the fixed `--as-of`). A dry run reads the file and stores nothing.
///
/// Errors name the file and the line: [`IngestError::Scan`] when the file cannot be read,
/// [`IngestError::BadRows`] when it has bad rows, [`IngestError::Store`] when the store refuses.
pub async fn import(
    store: &Store,
    file: &Path,
    flags: &ImportFlags,
    as_of: jiff::civil::Date,
    dry_run: bool,
    actor: &str,
) -> Result<ImportSummary> {
    if !file.exists() {
        return Err(IngestError::NoFile(file.to_path_buf()));
    }
    let opts = ScanOptions {
        dims: vec![Dim::Agency, Dim::Month],
        as_of_day: day_of(as_of),
        threads: threads(None),
        columns: match &flags.columns {
            Some(c) => parse_column_map(c).map_err(IngestError::Columns)?,
            None => Vec::new(),
        },
        spool_overdue: false,
    };
    if dry_run {
        let path = file.to_path_buf();
        let (scan, dups) = tokio::task::spawn_blocking(move || {
            let sink = DuplicateSink(std::sync::Mutex::new(Duplicates::default()));
            let scan = scan_file_into(&path, &opts, &sink);
            (scan, sink.0.into_inner().unwrap_or_default())
        })
        .await
        .map_err(|source| IngestError::Task {
            file: file.display().to_string(),
            source,
        })?;
        let scan = named(flags, scan)?;
        let (n, shown) = dups.report(&scan);
        let mut done = import_scan(store, scan, as_of, flags, dry_run, actor).await?;
        (done.duplicate_codes, done.duplicates) = (n, shown);
        more_text(&mut done);
        return Ok(done);
    }
    let mut agencies = Agencies::load(store).await?;
    let meta = DossierImportMeta {
        file_name: match &flags.file_name {
            Some(name) => name.clone(),
            None => file
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_else(|| file.display().to_string()),
        },
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
    let mut failed: Option<IngestError> = None;
    let mut dups = Duplicates::default();
    // Batches are stored a few at a time (the store puts them in the order of its index: the
    // more rows at once, the more of each agency × month cell go in together).
    let mut pending: Vec<OverdueBatch> = Vec::new();
    let mut open = true;
    while open {
        let msg = recv.recv().await;
        let res = match msg {
            Some(Handover::Rows(batch)) => {
                dups.see_batch(&batch);
                pending.push(batch);
                if pending.len() < STORE_BATCHES {
                    continue;
                }
                store_batches(&mut tx, &mut agencies, &mut pending).await
            }
            // The file is read again: what was not stored yet is dropped too.
            Some(Handover::Restart) => {
                pending.clear();
                dups = Duplicates::default();
                tx.discard_overdue().await
            }
            None => {
                open = false;
                store_batches(&mut tx, &mut agencies, &mut pending).await
            }
        };
        if let Err(e) = res {
            failed = Some(e.into());
            break;
        }
    }
    // Closing the channel stops the readers (their next hand-over fails).
    drop(recv);
    let scan = reading.await.map_err(|source| IngestError::Task {
        file: file.display().to_string(),
        source,
    })?;
    if let Some(e) = failed {
        return Err(e);
    }
    let scan = named(flags, scan)?;
    check_bad_rows(&scan, flags.skip_bad_rows)?;
    let mut summary = summarize(&mut agencies, &scan)?;
    tx.replace_cells(&summary.cells).await?;
    tx.set_rows(scan.rows, scan.bad_rows);
    summary.done.pushed_replaced = tx.pushed_removed();
    (summary.done.duplicate_codes, summary.done.duplicates) = dups.report(&scan);
    if summary.done.duplicate_codes > 0 {
        tx.note_duplicates(duplicates_json(&summary.done));
    }
    let id = tx.commit().await?;
    summary.done.import_id = Some(id);
    more_text(&mut summary.done);
    Ok(summary.done)
}

/// Batches of late and pending-overdue dossiers (2,000 rows each) stored at once.
const STORE_BATCHES: usize = 8;

/// Store the dossiers of `pending` (emptied), their agencies matched to units.
async fn store_batches(
    tx: &mut DossierImport,
    agencies: &mut Agencies,
    pending: &mut Vec<OverdueBatch>,
) -> std::result::Result<(), StoreError> {
    if pending.is_empty() {
        return Ok(());
    }
    for d in pending.iter().flat_map(|b| b.iter()) {
        agencies.learn(d.agency);
    }
    let rows: Vec<OverdueRef<'_>> = pending
        .iter()
        .flat_map(|b| b.iter())
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
    let res = tx.add_overdue_rows(&rows).await;
    drop(rows);
    pending.clear();
    res
}

/// What the reading threads hand over.
enum Handover {
    Rows(OverdueBatch),
    Restart,
}

/// The reading threads' end of the channel to the task holding the transaction.
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

/// The cells of a scan, agencies resolved, and the summary.
struct Summary {
    cells: Vec<DossierCell>,
    done: ImportSummary,
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
    // One cell per stored agency × month: an export may name a unit in more than one way (its
    // slug, its name with other capitals or without diacritics); their counts add up.
    let mut cells: Vec<DossierCell> = Vec::with_capacity(scan.groups.len());
    let mut at: HashMap<(String, Month), usize> = HashMap::new();
    for g in &scan.groups {
        let month = Month::parse(&g.key[1]).ok_or_else(|| IngestError::Month {
            file: scan.file.clone(),
            month: g.key[1].clone(),
        })?;
        let unit = agencies.unit(&g.key[0]);
        let agency = unit.clone().unwrap_or_else(|| g.key[0].clone());
        match at.entry((agency, month)) {
            std::collections::hash_map::Entry::Occupied(e) => {
                cells[*e.get()].counts.merge(&g.counts);
            }
            std::collections::hash_map::Entry::Vacant(e) => {
                let agency = e.key().0.clone();
                e.insert(cells.len());
                cells.push(DossierCell {
                    agency,
                    unit,
                    month,
                    counts: g.counts,
                });
            }
        }
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
    let done = ImportSummary {
        text,
        file: scan.file.clone(),
        rows: scan.rows,
        cells: cells.len(),
        months: months.first().copied().zip(months.last().copied()),
        late: scan.total.late,
        pending_overdue: scan.total.pending_overdue,
        unmatched: unmatched.iter().map(|a| a.to_string()).collect(),
        bad_rows: scan.bad_rows,
        bad: first_bad(scan),
        dry_run: false,
        import_id: None,
        pushed_replaced: 0,
        duplicate_codes: 0,
        duplicates: Vec::new(),
    };
    Ok(Summary { cells, done })
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
    let Summary { cells, mut done } = summarize(&mut agencies, &scan)?;
    if dry_run {
        done.text.push_str(" (dry run: nothing saved)");
        done.dry_run = true;
        let pushed = store.pushed_cells().await?;
        done.pushed_replaced = pushed
            .iter()
            .filter(|(a, m, _)| cells.iter().any(|c| c.agency == *a && c.month == *m))
            .map(|(_, _, n)| n)
            .sum();
        return Ok(done);
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
            let mut batch = reader
                .next_batch(2000)
                .map_err(|detail| IngestError::Spool {
                    file: scan.file.clone(),
                    detail,
                })?;
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
    done.pushed_replaced = tx.pushed_removed();
    done.import_id = Some(tx.commit().await?);
    more_text(&mut done);
    Ok(done)
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
            .map_err(|source| IngestError::Load {
                file: SAMPLE_EDITION.0,
                source,
            })?;
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
            .map_err(|source| IngestError::Load {
                file: INDICATORS.0,
                source,
            })?;
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
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| IngestError::Io { path, source }
        };
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        let path = dir.join(format!("SYNTHETIC-dossiers-{DEMO_MONTH}.csv"));
        let f = std::fs::File::create(&path).map_err(io(&path))?;
        generate(
            &GenOptions {
                month: Month::parse(DEMO_MONTH),
                ..GenOptions::new(DEMO_ROWS, 2021)
            },
            &mut std::io::BufWriter::new(f),
        )
        .map_err(io(&path))?;
        let flags = ImportFlags {
            sample: true,
            ..Default::default()
        };
        // As the month's report would see it: a few days after the month's end.
        let as_of = jiff::civil::date(2021, 7, 5);
        let res = import(store, &path, &flags, as_of, false, actor).await;
        let _ = std::fs::remove_dir_all(&dir);
        let s = res?;
        out.push_str(&format!("dossiers (SYNTHETIC sample month): {}\n", s.text));
    }
    Ok(out)
}
