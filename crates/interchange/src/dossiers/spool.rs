//! The late / pending-overdue spool: the dossiers a scan lists, on disk per thread, read back
//! in file order, and handed to a sink in batches.

use parindex_domain::dossiers::{DossierLevel, LocalTime, Month, Outcome, OverdueDossier};
use parindex_domain::text::{neutralise_formula, nfc};
use std::fs::File;
use std::io::{BufReader, Write};
use std::path::PathBuf;

/// The header of the late-dossier list (`--late FILE`) and of the spool.
pub const OVERDUE_HEADER: &str = "outcome,code,agency,procedure,level,online_level,received_at,due_at,result_at,closed_at,status,month";

/// Late and pending-overdue dossiers written to temporary files, one per thread, in file order.
/// The files are removed when the spool is dropped.
#[derive(Debug)]
pub struct Spool {
    pub(super) files: Vec<PathBuf>,
    pub count: u64,
}

impl Drop for Spool {
    fn drop(&mut self) {
        for f in &self.files {
            let _ = std::fs::remove_file(f);
        }
    }
}

impl Spool {
    /// Write the list as CSV (with its header). The spool keeps the dossiers' texts exactly as
    /// read (the import stores them); the list written for people goes through the export rule
    /// ([`neutralise_formula`]): an agency or a procedure `=HYPERLINK(…)` is written
    /// `'=HYPERLINK(…)`.
    pub fn write_csv(&self, out: &mut dyn Write) -> std::io::Result<()> {
        out.write_all(OVERDUE_HEADER.as_bytes())?;
        out.write_all(b"\n")?;
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(&mut *out);
        let mut rec = csv::ByteRecord::new();
        for f in &self.files {
            let mut r = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(BufReader::with_capacity(1 << 20, File::open(f)?));
            while r
                .read_byte_record(&mut rec)
                .map_err(std::io::Error::other)?
            {
                w.write_record(rec.iter().map(|field| {
                    neutralise_formula(&String::from_utf8_lossy(field)).into_owned()
                }))?;
            }
        }
        w.flush()?;
        drop(w);
        out.flush()
    }

    /// Read the dossiers back in file order, in batches.
    pub fn reader(&self) -> SpoolReader<'_> {
        SpoolReader {
            spool: self,
            next_file: 0,
            current: None,
        }
    }
}

/// Reads a [`Spool`] back in batches.
pub struct SpoolReader<'a> {
    spool: &'a Spool,
    next_file: usize,
    current: Option<csv::Reader<BufReader<File>>>,
}

impl SpoolReader<'_> {
    /// The next batch of at most `n` dossiers; empty at the end.
    pub fn next_batch(&mut self, n: usize) -> Result<Vec<OverdueDossier>, String> {
        let mut out = Vec::with_capacity(n);
        let mut rec = csv::StringRecord::new();
        while out.len() < n {
            let Some(rdr) = self.current.as_mut() else {
                let Some(path) = self.spool.files.get(self.next_file) else {
                    break;
                };
                self.next_file += 1;
                let file = File::open(path).map_err(|e| format!("reading the spool: {e}"))?;
                self.current = Some(
                    csv::ReaderBuilder::new()
                        .has_headers(false)
                        .from_reader(BufReader::with_capacity(1 << 20, file)),
                );
                continue;
            };
            if !rdr
                .read_record(&mut rec)
                .map_err(|e| format!("reading the spool: {e}"))?
            {
                self.current = None;
                continue;
            }
            let g = |i: usize| rec.get(i).unwrap_or("");
            let opt = |i: usize| Some(text(g(i))).filter(|s| !s.is_empty());
            out.push(OverdueDossier {
                outcome: Outcome::parse(g(0)).unwrap_or(Outcome::Late),
                code: text(g(1)),
                agency: text(g(2)),
                procedure: text(g(3)),
                level: DossierLevel::parse(g(4).as_bytes()).unwrap_or(DossierLevel::Province),
                online_level: g(5).parse().unwrap_or(0),
                received_at: g(6).to_string(),
                due_at: g(7).to_string(),
                result_at: opt(8),
                closed_at: opt(9),
                status: opt(10),
                month: Month::parse(g(11)).unwrap_or(Month(0)),
            });
        }
        Ok(out)
    }
}

/// NFC, skipped for ASCII (already normal).
fn text(s: &str) -> String {
    if s.is_ascii() {
        s.trim().to_string()
    } else {
        nfc(s)
    }
}

/// Late and pending-overdue dossiers handed over while a file is still being read (see
/// [`scan_file_into`]): packed in one text buffer, no allocation per row.
#[derive(Debug, Default)]
pub struct OverdueBatch {
    pub(super) text: String,
    pub(super) rows: Vec<PackedOverdue>,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct PackedOverdue {
    /// End offsets in `text` of code, agency, procedure, received_at, due_at, result_at,
    /// closed_at, status (each starts where the previous one ends).
    pub(super) ends: [u32; 8],
    pub(super) start: u32,
    pub(super) outcome: Outcome,
    pub(super) level: DossierLevel,
    pub(super) online_level: u8,
    pub(super) month: Month,
    pub(super) line: u64,
    pub(super) part: u32,
}

/// One dossier of an [`OverdueBatch`], borrowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OverdueRow<'a> {
    pub outcome: Outcome,
    pub code: &'a str,
    pub agency: &'a str,
    pub procedure: &'a str,
    pub level: DossierLevel,
    pub online_level: u8,
    pub received_at: &'a str,
    pub due_at: &'a str,
    pub result_at: Option<&'a str>,
    pub closed_at: Option<&'a str>,
    pub status: Option<&'a str>,
    pub month: Month,
    /// Where it was read from: the line within the part of the file its reading thread read
    /// (`part`); the file's line is `Scan::line_of(part, line)` once the file is read.
    pub line: u64,
    pub part: u32,
}

/// Rows per [`OverdueBatch`].
pub const OVERDUE_BATCH_ROWS: usize = 2000;

impl OverdueBatch {
    pub(super) fn with_capacity(rows: usize) -> Self {
        OverdueBatch {
            text: String::with_capacity(rows * 160),
            rows: Vec::with_capacity(rows),
        }
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The `i`th dossier.
    pub fn get(&self, i: usize) -> OverdueRow<'_> {
        let p = &self.rows[i];
        let mut at = p.start as usize;
        let mut f = [""; 8];
        for (k, &e) in p.ends.iter().enumerate() {
            f[k] = &self.text[at..e as usize];
            at = e as usize;
        }
        let some = |s: &str| !s.is_empty();
        OverdueRow {
            outcome: p.outcome,
            code: f[0],
            agency: f[1],
            procedure: f[2],
            level: p.level,
            online_level: p.online_level,
            received_at: f[3],
            due_at: f[4],
            result_at: some(f[5]).then_some(f[5]),
            closed_at: some(f[6]).then_some(f[6]),
            status: some(f[7]).then_some(f[7]),
            month: p.month,
            line: p.line,
            part: p.part,
        }
    }

    /// The dossiers in order.
    pub fn iter(&self) -> impl Iterator<Item = OverdueRow<'_>> + '_ {
        (0..self.rows.len()).map(|i| self.get(i))
    }
}

/// Receives the late and pending-overdue dossiers of [`scan_file_into`] while the file is read,
/// from the reading threads, in batches (in file order within a thread, threads interleaved).
pub trait OverdueSink: Sync {
    /// A batch of dossiers. An error stops the scan (it fails with this message).
    fn rows(&self, batch: OverdueBatch) -> Result<(), String>;
    /// Forget every dossier received so far: the file is read again from the start (on one
    /// thread, because a quoted field holds a line break).
    fn restart(&self) -> Result<(), String>;
}

/// Append a text field (valid UTF-8, already trimmed), NFC-normalised unless ASCII.
pub(super) fn push_text(out: &mut String, b: &[u8]) {
    match std::str::from_utf8(b) {
        Ok(s) if s.is_ascii() => out.push_str(s),
        Ok(s) => out.push_str(&nfc(s)),
        Err(_) => out.push_str(&nfc(&String::from_utf8_lossy(b))),
    }
}

/// Append a local time as RFC 3339 with the local offset (`YYYY-MM-DDTHH:MM:SS+07:00`).
pub(super) fn push_rfc3339_local(out: &mut String, t: LocalTime) {
    let (y, m, d) = t.ymd();
    let mut b = *b"0000-00-00T00:00:00+07:00";
    let two = |b: &mut [u8], at: usize, v: u32| {
        b[at] = b'0' + (v / 10 % 10) as u8;
        b[at + 1] = b'0' + (v % 10) as u8;
    };
    let y = y.clamp(0, 9999) as u32;
    two(&mut b, 0, y / 100);
    two(&mut b, 2, y % 100);
    two(&mut b, 5, m);
    two(&mut b, 8, d);
    two(&mut b, 11, t.secs / 3600);
    two(&mut b, 14, t.secs / 60 % 60);
    two(&mut b, 17, t.secs % 60);
    // Only ASCII digits and punctuation were written.
    out.push_str(std::str::from_utf8(&b).unwrap_or_default());
}

pub(super) fn spool_path(i: usize) -> PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    std::env::temp_dir().join(format!(
        "parindex-overdue-{}-{n}-{nanos}-{i}.csv",
        std::process::id()
    ))
}

/// Local time as RFC 3339 with the local offset.
pub(super) fn rfc3339_local(t: LocalTime) -> String {
    let (y, m, d) = t.ymd();
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}+07:00",
        t.secs / 3600,
        t.secs / 60 % 60,
        t.secs % 60
    )
}

pub(super) fn write_csv_field(w: &mut impl Write, s: &[u8]) -> std::io::Result<()> {
    if s.iter()
        .any(|&b| b == b',' || b == b'"' || b == b'\n' || b == b'\r')
    {
        w.write_all(b"\"")?;
        for &b in s {
            if b == b'"' {
                w.write_all(b"\"\"")?;
            } else {
                w.write_all(&[b])?;
            }
        }
        w.write_all(b"\"")
    } else {
        w.write_all(s)
    }
}
