//! Dossier exports of the one-stop-shop software, read as a stream in bounded memory.
//!
//! A file is CSV (`,`, `;` or tab, UTF-8, optional BOM) or XLSX with the header
//! `code,agency,procedure,level,online_level,received_at,due_at,result_at,closed_at,status`
//! (Vietnamese names accepted too; [`parse_column_map`] maps another export's names). The
//! definitions are in [`parindex_domain::dossiers`] and `docs/dossiers.md`.
//!
//! **How a CSV is read.** The file is split into one byte range per thread at line boundaries;
//! each thread reads its range in 4 MiB chunks with positioned reads, splits fields by hand,
//! reads the common ISO 8601 forms with a fixed-format parser, and counts into a small hash map
//! keyed by interned agency × month (or the dimensions asked for). The maps are merged at the
//! end. Memory is a few chunks per thread plus the distinct agencies and procedures, whatever
//! the file's size. Late and pending-overdue dossiers go to per-thread spool files on disk, read
//! back in file order. A file with a line break inside a quoted field is read again on one
//! thread by a full CSV reader, so the result never depends on where the ranges fell.
//!
//! **Bad rows** (wrong column count, invalid UTF-8, a bad or missing date, due before received,
//! closed before received, an unknown level) are counted with their line number and reason; the
//! caller decides whether they fail the whole file.

use crate::table::fold_key;
use parindex_domain::dossiers::{
    check_times, classify, parse_online_level, parse_time, Counts, Dim, DossierLevel, LocalTime,
    Month, Outcome, OverdueDossier,
};
use parindex_domain::text::{neutralise_formula, nfc};
use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::hash::{BuildHasherDefault, Hasher};
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

// ---------------------------------------------------------------------------------------------
// Columns
// ---------------------------------------------------------------------------------------------

/// The columns of a dossier file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    Code,
    Agency,
    Procedure,
    Level,
    OnlineLevel,
    ReceivedAt,
    DueAt,
    ResultAt,
    ClosedAt,
    Status,
}

const NF: usize = 10;

impl Field {
    pub const ALL: [Field; NF] = [
        Field::Code,
        Field::Agency,
        Field::Procedure,
        Field::Level,
        Field::OnlineLevel,
        Field::ReceivedAt,
        Field::DueAt,
        Field::ResultAt,
        Field::ClosedAt,
        Field::Status,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Field::Code => "code",
            Field::Agency => "agency",
            Field::Procedure => "procedure",
            Field::Level => "level",
            Field::OnlineLevel => "online_level",
            Field::ReceivedAt => "received_at",
            Field::DueAt => "due_at",
            Field::ResultAt => "result_at",
            Field::ClosedAt => "closed_at",
            Field::Status => "status",
        }
    }

    /// Vietnamese header names accepted (matched without case or diacritics).
    fn vi(self) -> &'static [&'static str] {
        match self {
            Field::Code => &["Mã hồ sơ", "Số hồ sơ", "Mã"],
            Field::Agency => &["Cơ quan", "Đơn vị", "Cơ quan giải quyết", "Đơn vị xử lý"],
            Field::Procedure => &["Thủ tục", "Thủ tục hành chính", "Mã thủ tục", "TTHC"],
            Field::Level => &["Cấp", "Cấp giải quyết", "Cấp thực hiện"],
            Field::OnlineLevel => &["Mức độ", "Mức độ DVC", "Mức độ trực tuyến", "Mức độ DVCTT"],
            Field::ReceivedAt => &["Ngày tiếp nhận", "Thời gian tiếp nhận", "Ngày nhận"],
            Field::DueAt => &[
                "Ngày hẹn trả",
                "Hạn giải quyết",
                "Hạn xử lý",
                "Ngày hẹn trả kết quả",
            ],
            Field::ResultAt => &[
                "Ngày có kết quả",
                "Ngày trả kết quả",
                "Thời gian có kết quả",
            ],
            Field::ClosedAt => &[
                "Ngày kết thúc",
                "Ngày hoàn thành",
                "Thời gian kết thúc",
                "Ngày đóng hồ sơ",
            ],
            Field::Status => &["Trạng thái", "Tình trạng"],
        }
    }

    fn required(self) -> bool {
        !matches!(self, Field::OnlineLevel | Field::ResultAt | Field::Status)
    }

    pub fn parse(s: &str) -> Option<Field> {
        let k = fold_key(s);
        Field::ALL
            .into_iter()
            .find(|f| fold_key(f.name()) == k || f.vi().iter().any(|v| fold_key(v) == k))
    }
}

/// `--columns code=Số hồ sơ,agency=Đơn vị xử lý`: which header of the file holds each column.
pub fn parse_column_map(s: &str) -> Result<Vec<(Field, String)>, String> {
    let mut out: Vec<(Field, String)> = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (k, v) = part
            .split_once('=')
            .ok_or_else(|| format!("'{part}' is not COLUMN=HEADER"))?;
        let f = Field::parse(k).ok_or_else(|| {
            format!(
                "'{}' is not a dossier column (use {})",
                k.trim(),
                Field::ALL.map(|f| f.name()).join(", ")
            )
        })?;
        if out.iter().any(|(g, _)| *g == f) {
            return Err(format!("'{}' is mapped twice", f.name()));
        }
        out.push((f, nfc(v)));
    }
    Ok(out)
}

/// Where each column is in the file.
#[derive(Debug, Clone)]
pub struct Layout {
    pub delimiter: u8,
    pub headers: Vec<String>,
    idx: [Option<usize>; NF],
}

impl Layout {
    /// Match a header row. Unknown headers are ignored (an export has more columns than we
    /// need); a missing required column, or one named twice, is an error.
    pub fn from_headers(
        headers: Vec<String>,
        delimiter: u8,
        map: &[(Field, String)],
    ) -> Result<Layout, String> {
        let mut idx = [None; NF];
        let mut problems = Vec::new();
        for (i, h) in headers.iter().enumerate() {
            let hk = fold_key(h);
            let field = map
                .iter()
                .find(|(_, name)| fold_key(name) == hk)
                .map(|(f, _)| *f)
                .or_else(|| Field::parse(h).filter(|f| !map.iter().any(|(g, _)| g == f)));
            if let Some(f) = field {
                if let Some(j) = idx[f as usize] {
                    problems.push(format!(
                        "column '{}' appears twice ('{}' and '{h}')",
                        f.name(),
                        headers[j]
                    ));
                } else {
                    idx[f as usize] = Some(i);
                }
            }
        }
        for (f, name) in map {
            if idx[*f as usize].is_none() {
                problems.push(format!(
                    "--columns maps {} to '{name}', which is not in the header",
                    f.name()
                ));
            }
        }
        for f in Field::ALL {
            if f.required() && idx[f as usize].is_none() {
                let vi = f.vi().first().copied().unwrap_or("");
                problems.push(format!(
                    "the required column '{}' ({vi}) is missing",
                    f.name()
                ));
            }
        }
        if problems.is_empty() {
            Ok(Layout {
                delimiter,
                headers,
                idx,
            })
        } else {
            Err(problems.join("; "))
        }
    }

    pub fn index(&self, f: Field) -> Option<usize> {
        self.idx[f as usize]
    }
}

// ---------------------------------------------------------------------------------------------
// Options and results
// ---------------------------------------------------------------------------------------------

/// How to read a file.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Group by these (in this order).
    pub dims: Vec<Dim>,
    /// The as-of day (see [`parindex_domain::dossiers::day_of`]).
    pub as_of_day: i32,
    /// Threads for a CSV file (at least 1).
    pub threads: usize,
    /// `--columns`.
    pub columns: Vec<(Field, String)>,
    /// Spool the late and pending-overdue dossiers to disk.
    pub spool_overdue: bool,
}

/// A bad row: its line number (1-based, the header is line 1 of a CSV) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRow {
    pub line: u64,
    pub column: Option<&'static str>,
    pub reason: String,
}

impl std::fmt::Display for BadRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.column {
            Some(c) => write!(f, "line {}, column '{c}': {}", self.line, self.reason),
            None => write!(f, "line {}: {}", self.line, self.reason),
        }
    }
}

/// How many bad rows are kept with their reason (all are counted).
pub const BAD_ROWS_KEPT: usize = 100;

/// One group's key, one text per dimension (`month` as `YYYY-MM`, `online_level` as `0`-`4`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub key: Vec<String>,
    pub counts: Counts,
}

/// What a file holds.
#[derive(Debug)]
pub struct Scan {
    pub file: String,
    pub dims: Vec<Dim>,
    /// Sorted by key.
    pub groups: Vec<Group>,
    pub total: Counts,
    /// Rows read without problems.
    pub rows: u64,
    pub bad_rows: u64,
    /// The first [`BAD_ROWS_KEPT`] bad rows, by line.
    pub bad: Vec<BadRow>,
    /// The late and pending-overdue dossiers, when asked for.
    pub overdue: Option<Spool>,
    /// Threads used (1 when the file had to be read sequentially).
    pub threads: usize,
}

/// Why a file could not be read at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanError {
    pub file: String,
    pub line: Option<u64>,
    pub message: String,
    /// The message in Vietnamese where the reader has one (the XLSX reader's refusals).
    pub message_vi: Option<String>,
}

impl std::fmt::Display for ScanError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}: line {l}: {}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for ScanError {}

// ---------------------------------------------------------------------------------------------
// The late / pending-overdue spool
// ---------------------------------------------------------------------------------------------

/// The header of the late-dossier list (`--late FILE`) and of the spool.
pub const OVERDUE_HEADER: &str = "outcome,code,agency,procedure,level,online_level,received_at,due_at,result_at,closed_at,status,month";

/// Late and pending-overdue dossiers written to temporary files, one per thread, in file order.
/// The files are removed when the spool is dropped.
#[derive(Debug)]
pub struct Spool {
    files: Vec<PathBuf>,
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
    text: String,
    rows: Vec<PackedOverdue>,
}

#[derive(Debug, Clone, Copy)]
struct PackedOverdue {
    /// End offsets in `text` of code, agency, procedure, received_at, due_at, result_at,
    /// closed_at, status (each starts where the previous one ends).
    ends: [u32; 8],
    start: u32,
    outcome: Outcome,
    level: DossierLevel,
    online_level: u8,
    month: Month,
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
}

/// Rows per [`OverdueBatch`].
pub const OVERDUE_BATCH_ROWS: usize = 2000;

impl OverdueBatch {
    fn with_capacity(rows: usize) -> Self {
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
fn push_text(out: &mut String, b: &[u8]) {
    match std::str::from_utf8(b) {
        Ok(s) if s.is_ascii() => out.push_str(s),
        Ok(s) => out.push_str(&nfc(s)),
        Err(_) => out.push_str(&nfc(&String::from_utf8_lossy(b))),
    }
}

/// Append a local time as RFC 3339 with the local offset (`YYYY-MM-DDTHH:MM:SS+07:00`).
fn push_rfc3339_local(out: &mut String, t: LocalTime) {
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

fn spool_path(i: usize) -> PathBuf {
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
fn rfc3339_local(t: LocalTime) -> String {
    let (y, m, d) = t.ymd();
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}+07:00",
        t.secs / 3600,
        t.secs / 60 % 60,
        t.secs % 60
    )
}

fn write_csv_field(w: &mut impl Write, s: &[u8]) -> std::io::Result<()> {
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

// ---------------------------------------------------------------------------------------------
// A fast hasher for small keys
// ---------------------------------------------------------------------------------------------

/// FxHash: fast and good enough for interned names and packed integer keys.
#[derive(Default, Clone, Copy)]
struct Fx(u64);

impl Hasher for Fx {
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut h = self.0;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
            h = (h.rotate_left(5) ^ w).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
        for &b in chunks.remainder() {
            h = (h.rotate_left(5) ^ b as u64).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
        self.0 = h;
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(5) ^ i).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<Fx>>;

/// Names seen, each with a small id.
#[derive(Default)]
struct Interner {
    ids: FxMap<Box<[u8]>, u32>,
    names: Vec<Box<[u8]>>,
    /// The last id looked up (exports are often sorted by agency).
    last: Option<u32>,
}

impl Interner {
    #[inline]
    fn id(&mut self, b: &[u8]) -> u32 {
        if let Some(&id) = self.ids.get(b) {
            return id;
        }
        let id = self.names.len() as u32;
        self.ids.insert(b.into(), id);
        self.names.push(b.into());
        id
    }
}

// ---------------------------------------------------------------------------------------------
// Byte helpers
// ---------------------------------------------------------------------------------------------

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// The first position of `b` in `hay` (eight bytes at a time).
#[inline]
fn find_byte(hay: &[u8], b: u8) -> Option<usize> {
    let rep = LO * b as u64;
    let mut i = 0;
    while i + 8 <= hay.len() {
        let w = u64::from_le_bytes([
            hay[i],
            hay[i + 1],
            hay[i + 2],
            hay[i + 3],
            hay[i + 4],
            hay[i + 5],
            hay[i + 6],
            hay[i + 7],
        ]) ^ rep;
        let t = w.wrapping_sub(LO) & !w & HI;
        if t != 0 {
            return Some(i + (t.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    hay[i..].iter().position(|&c| c == b).map(|p| p + i)
}

#[inline]
fn is_ascii(b: &[u8]) -> bool {
    let mut chunks = b.chunks_exact(8);
    for c in &mut chunks {
        let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        if w & HI != 0 {
            return false;
        }
    }
    chunks.remainder().iter().all(|&c| c < 0x80)
}

#[inline]
fn trim(mut b: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = b {
        if first.is_ascii_whitespace() {
            b = rest;
        } else {
            break;
        }
    }
    while let [rest @ .., last] = b {
        if last.is_ascii_whitespace() {
            b = rest;
        } else {
            break;
        }
    }
    b
}

/// Split one line into fields. Returns `None` when a quoted field runs past the end of the line
/// (a line break inside quotes). Unquoted fields are slices of the line; quoted ones with `""`
/// inside are copied into `scratch`.
#[inline]
fn split_line(
    line: &[u8],
    delim: u8,
    out: &mut Vec<(u32, u32, bool)>,
    scratch: &mut Vec<u8>,
) -> Option<()> {
    out.clear();
    scratch.clear();
    let mut pos = 0usize;
    loop {
        if line.get(pos) == Some(&b'"') {
            // Quoted field: `""` inside stands for one quote.
            let mut i = pos + 1;
            let s0 = scratch.len();
            let mut escaped = false;
            let close = loop {
                let q = find_byte(&line[i..], b'"')? + i;
                if line.get(q + 1) == Some(&b'"') {
                    escaped = true;
                    scratch.extend_from_slice(&line[i..=q]);
                    i = q + 2;
                    continue;
                }
                break q;
            };
            // Anything between the closing quote and the delimiter belongs to the field, as the
            // careful reader (the csv crate) reads it: `"a"b,` is the field `ab`. Found by the
            // differential fuzz target (fuzz/corpus/dossiers_csv/regression-text-after-quote.csv).
            let rest = close + 1;
            let end = find_byte(&line[rest..], delim).map_or(line.len(), |d| rest + d);
            if escaped || end > rest {
                scratch.extend_from_slice(&line[i..close]);
                scratch.extend_from_slice(&line[rest..end]);
                out.push((s0 as u32, scratch.len() as u32, true));
            } else {
                out.push((pos as u32 + 1, close as u32, false));
            }
            if end == line.len() {
                return Some(());
            }
            pos = end + 1;
        } else {
            match find_byte(&line[pos..], delim) {
                Some(d) => {
                    out.push((pos as u32, (pos + d) as u32, false));
                    pos += d + 1;
                }
                None => {
                    out.push((pos as u32, line.len() as u32, false));
                    return Some(());
                }
            }
        }
    }
}

fn sniff_delimiter(header: &[u8]) -> u8 {
    let mut best = (b',', 0usize);
    for d in [b',', b';', b'\t'] {
        let n = header.iter().filter(|&&b| b == d).count();
        if n > best.1 {
            best = (d, n);
        }
    }
    best.0
}

// ---------------------------------------------------------------------------------------------
// The worker: one thread's counts
// ---------------------------------------------------------------------------------------------

/// The low bits of a packed group key.
const MONTH_BASE: i32 = 1900 * 12;
const MONTH_MAX: i32 = 4000 * 12;
/// 1900-01-01 and 4000-01-01 as day numbers: the range of years accepted.
const DAY_1900: i32 = -25_567;
const DAY_4000: i32 = 741_442;

struct Worker<'a> {
    layout: &'a Layout,
    dims: &'a [Dim],
    by_procedure: bool,
    as_of: i32,
    agencies: Interner,
    procedures: Interner,
    groups: FxMap<u64, u32>,
    counts: Vec<(u64, Counts)>,
    total: Counts,
    rows: u64,
    bad_rows: u64,
    bad: Vec<BadRow>,
    spool: Option<(PathBuf, BufWriter<File>)>,
    spooled: u64,
    sink: Option<&'a dyn OverdueSink>,
    batch: OverdueBatch,
    fields: Vec<(u32, u32, bool)>,
    scratch: Vec<u8>,
    /// Set when a line ends inside quotes: the file must be read sequentially.
    quoted_break: bool,
    io_error: Option<String>,
}

/// One row's fields, by column.
type Row<'r> = [&'r [u8]; NF];

impl<'a> Worker<'a> {
    fn new(
        layout: &'a Layout,
        opts: &'a ScanOptions,
        spool: Option<PathBuf>,
        sink: Option<&'a dyn OverdueSink>,
    ) -> Result<Self, String> {
        let spool = match spool {
            Some(p) => {
                let f =
                    File::create(&p).map_err(|e| format!("cannot create {}: {e}", p.display()))?;
                Some((p, BufWriter::with_capacity(256 * 1024, f)))
            }
            None => None,
        };
        Ok(Worker {
            layout,
            dims: &opts.dims,
            by_procedure: opts.dims.contains(&Dim::Procedure),
            as_of: opts.as_of_day,
            agencies: Interner::default(),
            procedures: Interner::default(),
            groups: FxMap::default(),
            counts: Vec::new(),
            total: Counts::default(),
            rows: 0,
            bad_rows: 0,
            bad: Vec::new(),
            spool,
            spooled: 0,
            sink,
            batch: if sink.is_some() {
                OverdueBatch::with_capacity(OVERDUE_BATCH_ROWS)
            } else {
                OverdueBatch::default()
            },
            fields: Vec::with_capacity(16),
            scratch: Vec::with_capacity(256),
            quoted_break: false,
            io_error: None,
        })
    }

    fn bad(&mut self, line: u64, column: Option<&'static str>, reason: String) {
        self.bad_rows += 1;
        if self.bad.len() < BAD_ROWS_KEPT {
            self.bad.push(BadRow {
                line,
                column,
                reason,
            });
        }
    }

    /// One physical line of a CSV (without its line break). `line_no` as the worker counts.
    #[inline]
    fn line(&mut self, mut line: &[u8], line_no: u64) {
        if let [rest @ .., b'\r'] = line {
            line = rest;
        }
        if line.is_empty() {
            return;
        }
        let mut fields = std::mem::take(&mut self.fields);
        let mut scratch = std::mem::take(&mut self.scratch);
        if split_line(line, self.layout.delimiter, &mut fields, &mut scratch).is_none() {
            self.quoted_break = true;
        } else if fields.len() != self.layout.headers.len() {
            if !(fields.len() == 1 && trim(line).is_empty()) {
                let msg = format!(
                    "wrong column count: {} instead of {}",
                    fields.len(),
                    self.layout.headers.len()
                );
                self.bad(line_no, None, msg);
            }
        } else {
            let get = |f: Field| -> &[u8] {
                match self.layout.idx[f as usize] {
                    Some(i) => {
                        let (a, b, s) = fields[i];
                        trim(if s {
                            &scratch[a as usize..b as usize]
                        } else {
                            &line[a as usize..b as usize]
                        })
                    }
                    None => &[],
                }
            };
            let row: Row = Field::ALL.map(get);
            self.row(&row, line_no);
        }
        self.fields = fields;
        self.scratch = scratch;
    }

    /// One row, its fields by column (trimmed).
    #[inline]
    fn row(&mut self, r: &Row, line_no: u64) {
        match self.classify(r) {
            Ok((agency, month, level, online, received, due, result, closed, outcome)) => {
                let proc_id = if self.by_procedure {
                    self.procedures.id(r[Field::Procedure as usize])
                } else {
                    0
                };
                let mut key = 0u64;
                for d in self.dims {
                    key |= match d {
                        Dim::Agency => (agency as u64) << 42,
                        Dim::Procedure => (proc_id as u64) << 20,
                        Dim::Month => ((month.0 - MONTH_BASE) as u64) << 5,
                        Dim::Level => (level.index() as u64) << 3,
                        Dim::OnlineLevel => online as u64,
                    };
                }
                let slot = match self.groups.get(&key) {
                    Some(&s) => s as usize,
                    None => {
                        let s = self.counts.len();
                        self.groups.insert(key, s as u32);
                        self.counts.push((key, Counts::default()));
                        s
                    }
                };
                self.counts[slot].1.add(outcome);
                self.total.add(outcome);
                self.rows += 1;
                if outcome.is_overdue() && self.sink.is_some() {
                    self.batch_row(
                        r, outcome, level, online, received, due, result, closed, month,
                    );
                } else if outcome.is_overdue() && self.spool.is_some() {
                    self.spool_row(
                        r, outcome, level, online, received, due, result, closed, month,
                    );
                }
            }
            Err((col, msg)) => self.bad(line_no, col, msg),
        }
    }

    #[allow(clippy::type_complexity)]
    #[inline]
    fn classify(
        &mut self,
        r: &Row,
    ) -> Result<
        (
            u32,
            Month,
            DossierLevel,
            u8,
            LocalTime,
            LocalTime,
            Option<LocalTime>,
            Option<LocalTime>,
            Outcome,
        ),
        (Option<&'static str>, String),
    > {
        for f in [Field::Code, Field::Agency, Field::Procedure, Field::Status] {
            let v = r[f as usize];
            if !is_ascii(v) && std::str::from_utf8(v).is_err() {
                return Err((Some(f.name()), "invalid UTF-8".into()));
            }
        }
        for f in [Field::Code, Field::Agency] {
            if r[f as usize].is_empty() {
                return Err((Some(f.name()), "empty".into()));
            }
        }
        let time = |f: Field| -> Result<LocalTime, (Option<&'static str>, String)> {
            let v = r[f as usize];
            if v.is_empty() {
                return Err((Some(f.name()), "empty date".into()));
            }
            let t = parse_time(v).map_err(|e| (Some(f.name()), e.0))?;
            if !(DAY_1900..DAY_4000).contains(&t.days) {
                return Err((
                    Some(f.name()),
                    "the year is out of range (1900–3999)".into(),
                ));
            }
            Ok(t)
        };
        let opt_time = |f: Field| -> Result<Option<LocalTime>, (Option<&'static str>, String)> {
            if r[f as usize].is_empty() {
                Ok(None)
            } else {
                time(f).map(Some)
            }
        };
        let lv = r[Field::Level as usize];
        let level = DossierLevel::parse(lv).ok_or_else(|| {
            (
                Some("level"),
                format!(
                    "unknown level '{}' (use province, district or commune)",
                    String::from_utf8_lossy(lv)
                ),
            )
        })?;
        let ov = r[Field::OnlineLevel as usize];
        let online = parse_online_level(ov).ok_or_else(|| {
            (
                Some("online_level"),
                format!(
                    "unknown online level '{}' (use 1 to 4, or leave empty)",
                    String::from_utf8_lossy(ov)
                ),
            )
        })?;
        let received = time(Field::ReceivedAt)?;
        let due = time(Field::DueAt)?;
        let result = opt_time(Field::ResultAt)?;
        let closed = opt_time(Field::ClosedAt)?;
        check_times(received, due, result, closed)
            .map_err(|p| (Some(p.column()), p.message().to_string()))?;
        let month = received.month();
        debug_assert!(month.0 >= MONTH_BASE && month.0 < MONTH_MAX);
        let outcome = classify(due.days, closed, self.as_of);
        let agency = r[Field::Agency as usize];
        let agency_id = match self.agencies.last {
            Some(id) if *self.agencies.names[id as usize] == *agency => id,
            _ => {
                let id = self.agencies.id(agency);
                self.agencies.last = Some(id);
                id
            }
        };
        Ok((
            agency_id, month, level, online, received, due, result, closed, outcome,
        ))
    }

    #[allow(clippy::too_many_arguments)]
    fn spool_row(
        &mut self,
        r: &Row,
        outcome: Outcome,
        level: DossierLevel,
        online: u8,
        received: LocalTime,
        due: LocalTime,
        result: Option<LocalTime>,
        closed: Option<LocalTime>,
        month: Month,
    ) {
        let Some((_, w)) = self.spool.as_mut() else {
            return;
        };
        let res = (|| -> std::io::Result<()> {
            w.write_all(outcome.as_str().as_bytes())?;
            for f in [Field::Code, Field::Agency, Field::Procedure] {
                w.write_all(b",")?;
                write_csv_field(w, r[f as usize])?;
            }
            write!(
                w,
                ",{},{online},{},{},",
                level.as_str(),
                rfc3339_local(received),
                rfc3339_local(due)
            )?;
            if let Some(t) = result {
                w.write_all(rfc3339_local(t).as_bytes())?;
            }
            w.write_all(b",")?;
            if let Some(t) = closed {
                w.write_all(rfc3339_local(t).as_bytes())?;
            }
            w.write_all(b",")?;
            write_csv_field(w, r[Field::Status as usize])?;
            writeln!(w, ",{month}")
        })();
        match res {
            Ok(()) => self.spooled += 1,
            Err(e) => {
                if self.io_error.is_none() {
                    self.io_error = Some(format!("writing the overdue spool: {e}"));
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    #[inline]
    fn batch_row(
        &mut self,
        r: &Row,
        outcome: Outcome,
        level: DossierLevel,
        online: u8,
        received: LocalTime,
        due: LocalTime,
        result: Option<LocalTime>,
        closed: Option<LocalTime>,
        month: Month,
    ) {
        if self.io_error.is_some() {
            return;
        }
        let b = &mut self.batch;
        let start = b.text.len() as u32;
        let mut ends = [0u32; 8];
        push_text(&mut b.text, r[Field::Code as usize]);
        ends[0] = b.text.len() as u32;
        push_text(&mut b.text, r[Field::Agency as usize]);
        ends[1] = b.text.len() as u32;
        push_text(&mut b.text, r[Field::Procedure as usize]);
        ends[2] = b.text.len() as u32;
        push_rfc3339_local(&mut b.text, received);
        ends[3] = b.text.len() as u32;
        push_rfc3339_local(&mut b.text, due);
        ends[4] = b.text.len() as u32;
        if let Some(t) = result {
            push_rfc3339_local(&mut b.text, t);
        }
        ends[5] = b.text.len() as u32;
        if let Some(t) = closed {
            push_rfc3339_local(&mut b.text, t);
        }
        ends[6] = b.text.len() as u32;
        push_text(&mut b.text, r[Field::Status as usize]);
        ends[7] = b.text.len() as u32;
        b.rows.push(PackedOverdue {
            ends,
            start,
            outcome,
            level,
            online_level: online,
            month,
        });
        self.spooled += 1;
        if b.rows.len() >= OVERDUE_BATCH_ROWS {
            self.send_batch();
        }
    }

    /// Hand the current batch to the sink.
    fn send_batch(&mut self) {
        let Some(sink) = self.sink else {
            return;
        };
        if self.batch.is_empty() || self.io_error.is_some() {
            return;
        }
        let batch = std::mem::replace(
            &mut self.batch,
            OverdueBatch::with_capacity(OVERDUE_BATCH_ROWS),
        );
        if let Err(e) = sink.rows(batch) {
            self.io_error = Some(e);
        }
    }

    /// The worker's groups with their names.
    fn finish(mut self) -> Result<Finished, String> {
        self.send_batch();
        if let Some(e) = self.io_error.take() {
            return Err(e);
        }
        let spool = match self.spool.take() {
            Some((p, mut w)) => {
                w.flush()
                    .map_err(|e| format!("writing the overdue spool: {e}"))?;
                Some(p)
            }
            None => None,
        };
        let text = |b: &[u8]| nfc(&String::from_utf8_lossy(b));
        let agencies: Vec<String> = self.agencies.names.iter().map(|b| text(b)).collect();
        let procedures: Vec<String> = self.procedures.names.iter().map(|b| text(b)).collect();
        let mut groups = Vec::with_capacity(self.counts.len());
        for (key, c) in self.counts {
            let k = self
                .dims
                .iter()
                .map(|d| match d {
                    Dim::Agency => agencies[(key >> 42) as usize].clone(),
                    Dim::Procedure => procedures[((key >> 20) & 0x3f_ffff) as usize].clone(),
                    Dim::Month => Month(((key >> 5) & 0x7fff) as i32 + MONTH_BASE).to_string(),
                    Dim::Level => DossierLevel::from_index(((key >> 3) & 3) as u8)
                        .map(|l| l.as_str().to_string())
                        .unwrap_or_default(),
                    Dim::OnlineLevel => (key & 7).to_string(),
                })
                .collect::<Vec<_>>();
            groups.push((k, c));
        }
        Ok(Finished {
            groups,
            total: self.total,
            rows: self.rows,
            bad_rows: self.bad_rows,
            bad: self.bad,
            spool,
            spooled: self.spooled,
        })
    }
}

struct Finished {
    groups: Vec<(Vec<String>, Counts)>,
    total: Counts,
    rows: u64,
    bad_rows: u64,
    bad: Vec<BadRow>,
    spool: Option<PathBuf>,
    spooled: u64,
}

fn merge(file: &str, dims: &[Dim], parts: Vec<Finished>, threads: usize) -> Scan {
    let mut map: BTreeMap<Vec<String>, Counts> = BTreeMap::new();
    let mut total = Counts::default();
    let (mut rows, mut bad_rows) = (0, 0);
    let mut bad = Vec::new();
    let mut files = Vec::new();
    let mut spooled = 0;
    let mut any_spool = false;
    for p in parts {
        for (k, c) in p.groups {
            map.entry(k).or_default().merge(&c);
        }
        total.merge(&p.total);
        rows += p.rows;
        bad_rows += p.bad_rows;
        bad.extend(p.bad);
        if let Some(f) = p.spool {
            any_spool = true;
            files.push(f);
        }
        spooled += p.spooled;
    }
    bad.sort_by_key(|b| b.line);
    bad.truncate(BAD_ROWS_KEPT);
    Scan {
        file: file.to_string(),
        dims: dims.to_vec(),
        groups: map
            .into_iter()
            .map(|(key, counts)| Group { key, counts })
            .collect(),
        total,
        rows,
        bad_rows,
        bad,
        overdue: any_spool.then_some(Spool {
            files,
            count: spooled,
        }),
        threads,
    }
}

// ---------------------------------------------------------------------------------------------
// Reading a CSV file
// ---------------------------------------------------------------------------------------------

const CHUNK: usize = 4 << 20;

#[cfg(unix)]
fn read_at(f: &File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    use std::os::unix::fs::FileExt;
    f.read_at(buf, offset)
}

#[cfg(not(unix))]
fn read_at(f: &File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    use std::io::{Seek, SeekFrom};
    let mut f = f;
    f.seek(SeekFrom::Start(offset))?;
    f.read(buf)
}

fn read_exact_at(f: &File, mut buf: &mut [u8], mut offset: u64) -> std::io::Result<()> {
    while !buf.is_empty() {
        let n = read_at(f, buf, offset)?;
        if n == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the file shrank while being read",
            ));
        }
        buf = &mut buf[n..];
        offset += n as u64;
    }
    Ok(())
}

/// The header line of a CSV: its text, and the offset of the first data line.
fn read_header(f: &File, file: &str) -> Result<(Vec<u8>, u64, u64), ScanError> {
    let mut buf = vec![0u8; 64 * 1024];
    let n = read_at(f, &mut buf, 0).map_err(|e| ScanError {
        file: file.into(),
        line: None,
        message: format!("cannot be read: {e}"),
        message_vi: None,
    })?;
    buf.truncate(n);
    let mut start = 0;
    let mut line = 1u64;
    if buf.starts_with(b"\xef\xbb\xbf") {
        start = 3;
    }
    // Skip blank lines before the header.
    loop {
        let end = find_byte(&buf[start..], b'\n').map(|e| e + start);
        let text = &buf[start..end.unwrap_or(buf.len())];
        if trim(text).is_empty() {
            match end {
                Some(e) => {
                    start = e + 1;
                    line += 1;
                    continue;
                }
                None => {
                    return Err(ScanError {
                        file: file.into(),
                        line: None,
                        message: "the file is empty: no header".into(),
                        message_vi: None,
                    })
                }
            }
        }
        let next = match end {
            Some(e) => e as u64 + 1,
            None if n < buf.capacity() => n as u64,
            None => {
                return Err(ScanError {
                    file: file.into(),
                    line: Some(line),
                    message: "the header line is longer than 64 KiB".into(),
                    message_vi: None,
                })
            }
        };
        let mut h = text.to_vec();
        if h.last() == Some(&b'\r') {
            h.pop();
        }
        return Ok((h, next, line));
    }
}

fn header_fields(h: &[u8], delim: u8, file: &str, line: u64) -> Result<Vec<String>, ScanError> {
    let mut fields = Vec::new();
    let mut scratch = Vec::new();
    let err = |m: &str| ScanError {
        file: file.into(),
        line: Some(line),
        message: m.into(),
        message_vi: None,
    };
    split_line(h, delim, &mut fields, &mut scratch)
        .ok_or_else(|| err("unbalanced quotes in the header"))?;
    fields
        .iter()
        .map(|&(a, b, s)| {
            let bytes = if s {
                &scratch[a as usize..b as usize]
            } else {
                &h[a as usize..b as usize]
            };
            std::str::from_utf8(bytes)
                .map(nfc)
                .map_err(|_| err("the header is not UTF-8 text"))
        })
        .collect()
}

/// Read a dossier file (CSV or XLSX, by extension) and count it.
pub fn scan_file(path: &Path, opts: &ScanOptions) -> Result<Scan, ScanError> {
    scan_file_with(path, opts, None)
}

/// Read a dossier file like [`scan_file`], handing the late and pending-overdue dossiers to
/// `sink` while the file is being read (`opts.spool_overdue` is ignored: nothing is spooled,
/// and [`Scan::overdue`] is `None`). The count handed over is `total.late + total.pending_overdue`.
pub fn scan_file_into(
    path: &Path,
    opts: &ScanOptions,
    sink: &dyn OverdueSink,
) -> Result<Scan, ScanError> {
    scan_file_with(path, opts, Some(sink))
}

fn scan_file_with(
    path: &Path,
    opts: &ScanOptions,
    sink: Option<&dyn OverdueSink>,
) -> Result<Scan, ScanError> {
    let file = path.display().to_string();
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    match ext.as_str() {
        "xlsx" => scan_xlsx_with(path, opts, sink),
        "csv" | "txt" | "tsv" => scan_csv_with(path, opts, sink),
        _ => Err(ScanError {
            file,
            line: None,
            message: "unsupported file type; use .csv or .xlsx".into(),
            message_vi: None,
        }),
    }
}

/// Read a CSV file in parallel byte ranges.
pub fn scan_csv(path: &Path, opts: &ScanOptions) -> Result<Scan, ScanError> {
    scan_csv_with(path, opts, None)
}

fn scan_csv_with(
    path: &Path,
    opts: &ScanOptions,
    sink: Option<&dyn OverdueSink>,
) -> Result<Scan, ScanError> {
    let file = path.display().to_string();
    let io = |e: std::io::Error| ScanError {
        file: file.clone(),
        line: None,
        message: format!("cannot be read: {e}"),
        message_vi: None,
    };
    let (f, layout, data_start, header_line) = open_csv(path, &file, opts)?;
    let len = f.metadata().map_err(io)?.len();
    let threads = opts.threads.max(1);
    // Split points at line starts.
    let mut bounds = vec![data_start];
    for i in 1..threads {
        let target = data_start + (len - data_start) * i as u64 / threads as u64;
        let prev = *bounds.last().unwrap_or(&data_start);
        if target <= prev {
            continue;
        }
        let mut probe = vec![0u8; 64 * 1024];
        let mut at = target - 1;
        let mut found = None;
        while at < len {
            let n = read_at(&f, &mut probe, at).map_err(io)?;
            if n == 0 {
                break;
            }
            if let Some(p) = find_byte(&probe[..n], b'\n') {
                found = Some(at + p as u64 + 1);
                break;
            }
            at += n as u64;
        }
        match found {
            Some(b) if b > prev && b < len => bounds.push(b),
            _ => {}
        }
    }
    bounds.push(len);
    let ranges: Vec<(u64, u64)> = bounds.windows(2).map(|w| (w[0], w[1])).collect();
    let results: Vec<Result<(Finished, u64, bool), String>> = std::thread::scope(|s| {
        let handles: Vec<_> = ranges
            .iter()
            .enumerate()
            .map(|(i, &(a, b))| {
                let layout = &layout;
                let f = &f;
                s.spawn(move || -> Result<(Finished, u64, bool), String> {
                    let spool = (opts.spool_overdue && sink.is_none()).then(|| spool_path(i));
                    let mut w = Worker::new(layout, opts, spool, sink)?;
                    let lines =
                        read_range(f, a, b, &mut w).map_err(|e| format!("cannot be read: {e}"))?;
                    let broke = w.quoted_break;
                    Ok((w.finish()?, lines, broke))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("a reading thread failed".into()))
            })
            .collect()
    });
    let mut parts = Vec::new();
    let mut broke = false;
    let mut line_base = header_line;
    for r in results {
        let (mut fin, lines, b) = r.map_err(|m| ScanError {
            file: file.clone(),
            line: None,
            message: m,
            message_vi: None,
        })?;
        broke |= b;
        for bad in &mut fin.bad {
            bad.line += line_base;
        }
        line_base += lines;
        parts.push(fin);
    }
    if broke {
        drop(parts);
        if let Some(sink) = sink {
            sink.restart().map_err(|m| ScanError {
                file: file.clone(),
                line: None,
                message: m,
                message_vi: None,
            })?;
        }
        return scan_csv_sequential(path, &layout, data_start, header_line, opts, sink);
    }
    Ok(merge(&file, &opts.dims, parts, ranges.len()))
}

/// Read a CSV dossier export with the careful sequential reader (the csv crate, one thread)
/// only: the oracle the parallel fast path is checked against (fuzz target `dossiers_csv`).
pub fn scan_csv_careful(path: &Path, opts: &ScanOptions) -> Result<Scan, ScanError> {
    let file = path.display().to_string();
    let (_, layout, data_start, header_line) = open_csv(path, &file, opts)?;
    scan_csv_sequential(path, &layout, data_start, header_line, opts, None)
}

/// Open a CSV export and read its header: the file, the layout, where the data starts and the
/// header's line.
fn open_csv(
    path: &Path,
    file: &str,
    opts: &ScanOptions,
) -> Result<(File, Layout, u64, u64), ScanError> {
    let f = File::open(path).map_err(|e| ScanError {
        file: file.to_string(),
        line: None,
        message: format!("cannot be read: {e}"),
        message_vi: None,
    })?;
    let (header, data_start, header_line) = read_header(&f, file)?;
    let delim = sniff_delimiter(&header);
    let headers = header_fields(&header, delim, file, header_line)?;
    let layout = Layout::from_headers(headers, delim, &opts.columns).map_err(|m| ScanError {
        file: file.to_string(),
        line: Some(header_line),
        message: m,
        message_vi: None,
    })?;
    Ok((f, layout, data_start, header_line))
}

/// Process the lines of `[start, end)`, numbering them from 1. Returns the number of lines.
fn read_range(f: &File, start: u64, end: u64, w: &mut Worker) -> std::io::Result<u64> {
    let mut buf = vec![0u8; CHUNK];
    let mut filled = 0usize;
    let mut pos = start;
    let mut line_no = 0u64;
    loop {
        let room = buf.len() - filled;
        let want = (end - pos).min(room as u64) as usize;
        if want == 0 && room == 0 {
            // A line longer than the buffer: grow it.
            buf.resize(buf.len() * 2, 0);
            continue;
        }
        if want > 0 {
            read_exact_at(f, &mut buf[filled..filled + want], pos)?;
            pos += want as u64;
            filled += want;
        }
        let mut ls = 0usize;
        while let Some(nl) = find_byte(&buf[ls..filled], b'\n') {
            line_no += 1;
            w.line(&buf[ls..ls + nl], line_no);
            ls += nl + 1;
        }
        if pos >= end {
            if ls < filled {
                line_no += 1;
                let last = buf[ls..filled].to_vec();
                w.line(&last, line_no);
            }
            return Ok(line_no);
        }
        buf.copy_within(ls..filled, 0);
        filled -= ls;
    }
}

/// Read a CSV on one thread with a full CSV reader (line breaks inside quoted fields).
fn scan_csv_sequential(
    path: &Path,
    layout: &Layout,
    data_start: u64,
    header_line: u64,
    opts: &ScanOptions,
    sink: Option<&dyn OverdueSink>,
) -> Result<Scan, ScanError> {
    let file = path.display().to_string();
    let io = |e: std::io::Error| ScanError {
        file: file.clone(),
        line: None,
        message: format!("cannot be read: {e}"),
        message_vi: None,
    };
    let mut f = File::open(path).map_err(io)?;
    std::io::Seek::seek(&mut f, std::io::SeekFrom::Start(data_start)).map_err(io)?;
    // Lines end at LF (a CR before it is trimmed with the field), as in the parallel fast path:
    // a lone CR inside a line is data, not a line end (found by the differential fuzz target).
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(layout.delimiter)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_reader(BufReader::with_capacity(1 << 20, f));
    let spool = (opts.spool_overdue && sink.is_none()).then(|| spool_path(0));
    let mut w = Worker::new(layout, opts, spool, sink).map_err(|m| ScanError {
        file: file.clone(),
        line: None,
        message: m,
        message_vi: None,
    })?;
    let mut rec = csv::ByteRecord::new();
    loop {
        let line = rdr.position().line();
        match rdr.read_byte_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {
                let line_no = header_line + line;
                if rec.len() == 1 && trim(&rec[0]).is_empty() {
                    continue;
                }
                if rec.len() != layout.headers.len() {
                    let msg = format!(
                        "wrong column count: {} instead of {}",
                        rec.len(),
                        layout.headers.len()
                    );
                    w.bad(line_no, None, msg);
                    continue;
                }
                let row: Row = Field::ALL.map(|fl| match layout.idx[fl as usize] {
                    Some(i) => trim(rec.get(i).unwrap_or(&[])),
                    None => &[],
                });
                w.row(&row, line_no);
            }
            Err(e) => {
                return Err(ScanError {
                    file: file.clone(),
                    line: Some(header_line + line),
                    message: e.to_string(),
                    message_vi: None,
                })
            }
        }
    }
    let fin = w.finish().map_err(|m| ScanError {
        file: file.clone(),
        line: None,
        message: m,
        message_vi: None,
    })?;
    Ok(merge(&file, &opts.dims, vec![fin], 1))
}

// ---------------------------------------------------------------------------------------------
// Reading an XLSX workbook
// ---------------------------------------------------------------------------------------------

fn xlsx_cell_text(v: &crate::xlsx_read::Value) -> String {
    use crate::xlsx_read::Value;
    match v {
        Value::Empty => String::new(),
        Value::Text(s) => s.clone(),
        Value::Number(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Value::Number(f) => f.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::DateTime(dt) => {
            if dt.hour() == 0 && dt.minute() == 0 && dt.second() == 0 {
                dt.date().to_string()
            } else {
                dt.strftime("%Y-%m-%d %H:%M:%S").to_string()
            }
        }
        Value::Duration(f) => f.to_string(),
        Value::Error(e) => format!("#{e}"),
    }
}

/// Read the first sheet (or one named `Dossiers` / `Hồ sơ`) of a workbook, streamed row by row
/// through the bounded reader ([`crate::xlsx_read`], [`XlsxLimits::DOSSIERS`]).
pub fn scan_xlsx(path: &Path, opts: &ScanOptions) -> Result<Scan, ScanError> {
    scan_xlsx_with(path, opts, None)
}

fn scan_xlsx_with(
    path: &Path,
    opts: &ScanOptions,
    sink: Option<&dyn OverdueSink>,
) -> Result<Scan, ScanError> {
    use crate::xlsx_read::{Stop, Workbook, XlsxLimits};
    let file = path.display().to_string();
    let err = |line: Option<u64>, m: String| ScanError {
        file: file.clone(),
        line,
        message: m,
        message_vi: None,
    };
    let refused = |e: crate::xlsx_read::XlsxError| ScanError {
        file: file.clone(),
        line: None,
        message: e.to_string(),
        message_vi: Some(e.vi()),
    };
    let f = File::open(path).map_err(|e| err(None, format!("cannot be read: {e}")))?;
    let mut wb = Workbook::open(BufReader::new(f), XlsxLimits::DOSSIERS).map_err(refused)?;
    let names = wb.sheet_names();
    let name = names
        .iter()
        .find(|n| matches!(fold_key(n).as_str(), "dossiers" | "ho so"))
        .or(names.first())
        .cloned()
        .ok_or_else(|| err(None, "the workbook has no sheet".into()))?;
    // The header is the first row with a non-blank cell: a first pass stops there.
    enum Pass1 {
        Header(u64, Vec<String>),
    }
    let found = wb.for_each_row(&name, |line, cells| -> Result<(), Pass1> {
        let texts: Vec<String> = cells.iter().map(xlsx_cell_text).collect();
        if texts.iter().all(|t| t.trim().is_empty()) {
            return Ok(());
        }
        Err(Pass1::Header(line, texts))
    });
    let (header_line, header) = match found {
        Ok(()) => return Err(err(None, "the sheet is empty: no header".into())),
        Err(Stop::Xlsx(e)) => return Err(refused(e)),
        Err(Stop::Caller(Pass1::Header(line, texts))) => (line, texts),
    };
    let headers: Vec<String> = header.iter().map(|t| nfc(t)).collect();
    let layout = Layout::from_headers(headers, b',', &opts.columns)
        .map_err(|m| err(Some(header_line), m))?;
    let spool = (opts.spool_overdue && sink.is_none()).then(|| spool_path(0));
    let mut w = Worker::new(&layout, opts, spool, sink).map_err(|m| err(None, m))?;
    let res = wb.for_each_row(&name, |line, cells| -> Result<(), ScanError> {
        if line <= header_line {
            return Ok(());
        }
        let texts: Vec<String> = cells.iter().map(xlsx_cell_text).collect();
        if texts.iter().all(|t| t.trim().is_empty()) {
            return Ok(());
        }
        let row: Row = Field::ALL.map(|fl| match layout.idx[fl as usize] {
            Some(i) => trim(texts.get(i).map(|s| s.as_bytes()).unwrap_or(&[])),
            None => &[],
        });
        w.row(&row, line);
        Ok(())
    });
    match res {
        Ok(()) => {}
        Err(Stop::Xlsx(e)) => return Err(refused(e)),
        Err(Stop::Caller(e)) => return Err(e),
    }
    let fin = w.finish().map_err(|m| err(None, m))?;
    Ok(merge(&file, &opts.dims, vec![fin], 1))
}

/// Read dossiers from any reader as CSV (for uploads): the text is spooled to a temporary file
/// first so that it is read like any other file.
pub fn scan_reader(mut r: impl Read, name: &str, opts: &ScanOptions) -> Result<Scan, ScanError> {
    let ext = Path::new(name)
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("csv")
        .to_ascii_lowercase();
    let tmp = std::env::temp_dir().join(format!(
        "{}.{ext}",
        spool_path(99)
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("upload")
    ));
    let res = (|| {
        let mut f = File::create(&tmp).map_err(|e| ScanError {
            file: name.into(),
            line: None,
            message: format!("cannot be stored: {e}"),
            message_vi: None,
        })?;
        std::io::copy(&mut r, &mut f).map_err(|e| ScanError {
            file: name.into(),
            line: None,
            message: format!("cannot be stored: {e}"),
            message_vi: None,
        })?;
        drop(f);
        scan_file(&tmp, opts).map(|mut s| {
            s.file = name.to_string();
            s
        })
    })();
    let _ = std::fs::remove_file(&tmp);
    res
}

// ---------------------------------------------------------------------------------------------
// Output of `dossiers stats`
// ---------------------------------------------------------------------------------------------

fn rate_text(d: Option<rust_decimal::Decimal>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

/// The statistics as CSV: the dimensions, the counts and the rates (percent, two decimals; empty
/// when nothing was resolved), then a `total` row.
pub fn stats_csv(scan: &Scan, out: &mut dyn Write) -> std::io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    let mut header: Vec<String> = scan.dims.iter().map(|d| d.as_str().to_string()).collect();
    for h in [
        "received",
        "resolved",
        "early",
        "on_time",
        "late",
        "pending",
        "pending_overdue",
        "early_rate",
        "on_time_rate",
        "late_rate",
    ] {
        header.push(h.into());
    }
    w.write_record(&header)?;
    let row = |key: Vec<String>, c: &Counts| {
        let mut r = key;
        for n in [
            c.received,
            c.resolved,
            c.early,
            c.on_time,
            c.late,
            c.pending,
            c.pending_overdue,
        ] {
            r.push(n.to_string());
        }
        r.push(rate_text(c.early_rate()));
        r.push(rate_text(c.on_time_rate()));
        r.push(rate_text(c.late_rate()));
        r
    };
    // The dimensions (agency, procedure…) come from the file read: the export rule applies.
    let safe_key = |key: &[String]| -> Vec<String> {
        key.iter()
            .map(|k| neutralise_formula(k).into_owned())
            .collect()
    };
    for g in &scan.groups {
        w.write_record(row(safe_key(&g.key), &g.counts))?;
    }
    let mut total_key = vec![String::new(); scan.dims.len()];
    if let Some(first) = total_key.first_mut() {
        *first = "total".into();
    }
    w.write_record(row(total_key, &scan.total))?;
    w.flush()
}

/// The statistics as JSON.
pub fn stats_json(scan: &Scan) -> serde_json::Value {
    let counts = |c: &Counts| {
        serde_json::json!({
            "received": c.received, "resolved": c.resolved, "early": c.early,
            "on_time": c.on_time, "late": c.late, "pending": c.pending,
            "pending_overdue": c.pending_overdue,
            "early_rate": c.early_rate().map(|d| d.to_string()),
            "on_time_rate": c.on_time_rate().map(|d| d.to_string()),
            "late_rate": c.late_rate().map(|d| d.to_string()),
        })
    };
    serde_json::json!({
        "file": scan.file,
        "by": scan.dims.iter().map(|d| d.as_str()).collect::<Vec<_>>(),
        "rows": scan.rows,
        "bad_rows": scan.bad_rows,
        "groups": scan.groups.iter().map(|g| {
            let mut v = counts(&g.counts);
            if let Some(o) = v.as_object_mut() {
                for (d, k) in scan.dims.iter().zip(&g.key) {
                    o.insert(d.as_str().to_string(), serde_json::Value::String(k.clone()));
                }
            }
            v
        }).collect::<Vec<_>>(),
        "total": counts(&scan.total),
    })
}

// ---------------------------------------------------------------------------------------------
// The synthetic export
// ---------------------------------------------------------------------------------------------

/// SplitMix64: a small deterministic generator (the same seed gives the same file on every
/// platform and version).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        ((self.next() >> 32) * n) >> 32
    }
    /// Per mille.
    fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }
}

/// The agencies of the synthetic province: slug, level of the dossiers they handle, relative
/// volume. The slugs are those of `data/units.csv`; commune-level dossiers are reported under
/// their district, as district one-stop systems do.
const GEN_AGENCIES: &[(&str, DossierLevel, u64)] = &[
    ("van-phong-ubnd-tinh", DossierLevel::Province, 4),
    ("so-noi-vu", DossierLevel::Province, 6),
    ("so-tu-phap", DossierLevel::Province, 30),
    ("so-tai-chinh", DossierLevel::Province, 5),
    ("so-tttt", DossierLevel::Province, 4),
    ("so-khcn", DossierLevel::Province, 3),
    ("so-khdt", DossierLevel::Province, 60),
    ("so-tnmt", DossierLevel::Province, 45),
    ("so-vhttdl", DossierLevel::Province, 8),
    ("tp-bac-giang", DossierLevel::District, 120),
    ("huyen-yen-the", DossierLevel::District, 50),
    ("huyen-tan-yen", DossierLevel::District, 70),
    ("huyen-lang-giang", DossierLevel::District, 80),
    ("huyen-luc-nam", DossierLevel::District, 75),
    ("huyen-luc-ngan", DossierLevel::District, 65),
    ("huyen-son-dong", DossierLevel::District, 30),
    ("huyen-yen-dung", DossierLevel::District, 60),
    ("huyen-viet-yen", DossierLevel::District, 95),
    ("huyen-hiep-hoa", DossierLevel::District, 85),
];

/// A generated time: day number and seconds since midnight, if any.
type DayTime = Option<(i32, u32)>;

/// Processing times in working days, picked per procedure.
const GEN_DAYS: &[i32] = &[0, 1, 3, 5, 7, 10, 15, 20, 30];

/// What to generate.
#[derive(Debug, Clone)]
pub struct GenOptions {
    pub rows: u64,
    pub seed: u64,
    /// Receipts spread over this month only; otherwise over 2021.
    pub month: Option<Month>,
    /// Dossiers closed late, per mille (default [`GEN_LATE_PER_MILLE`]; at most
    /// [`GEN_LATE_PER_MILLE_MAX`]). A province with more delays: a larger share, every other
    /// draw unchanged (the default gives the same file as before the option existed).
    pub late_per_mille: u64,
}

/// The share of late dossiers of a generated export, per mille, unless asked otherwise.
pub const GEN_LATE_PER_MILLE: u64 = 30;
/// The largest share of late dossiers (the 2 % never closed come on top).
pub const GEN_LATE_PER_MILLE_MAX: u64 = 980;

impl GenOptions {
    /// `rows` dossiers over 2021 with the default share of late ones.
    pub fn new(rows: u64, seed: u64) -> GenOptions {
        GenOptions {
            rows,
            seed,
            month: None,
            late_per_mille: GEN_LATE_PER_MILLE,
        }
    }
}

fn push_num(out: &mut Vec<u8>, mut n: u64, width: usize) {
    let mut tmp = [b'0'; 20];
    let mut i = 20;
    loop {
        i -= 1;
        tmp[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let digits = 20 - i;
    for _ in digits..width {
        out.push(b'0');
    }
    out.extend_from_slice(&tmp[i..]);
}

fn push_time(out: &mut Vec<u8>, days: i32, secs: u32) {
    let (y, m, d) = parindex_domain::dossiers::civil_from_days(days);
    push_num(out, y as u64, 4);
    out.push(b'-');
    push_num(out, m as u64, 2);
    out.push(b'-');
    push_num(out, d as u64, 2);
    out.push(b'T');
    push_num(out, (secs / 3600) as u64, 2);
    out.push(b':');
    push_num(out, (secs / 60 % 60) as u64, 2);
    out.push(b':');
    push_num(out, (secs % 60) as u64, 2);
    out.extend_from_slice(b"+07:00");
}

/// Add `n` working days (Monday to Friday) to a day number.
fn add_working_days(mut day: i32, n: i32) -> i32 {
    let mut left = n;
    while left > 0 {
        day += 1;
        // 1970-01-01 was a Thursday: weekday 0 = Thursday … 2 = Saturday, 3 = Sunday.
        let wd = day.rem_euclid(7);
        if wd != 2 && wd != 3 {
            left -= 1;
        }
    }
    day
}

/// Write a synthetic dossier export: agencies and procedures in the shape of a province (the
/// agencies of `data/units.csv`, skewed volumes, procedures with their own processing times and
/// a Zipf-like popularity), mostly early or on time, a few per cent late (or the share asked for),
/// some never closed, and some with a result but not closed in the software. **Synthetic: not real data.**
pub fn generate(opts: &GenOptions, out: &mut dyn Write) -> std::io::Result<()> {
    let mut rng = Rng(opts.seed ^ 0x5041_5249_4e44_4558);
    // Draws below `never` are never closed, below `late` closed late, below `early` early.
    let never = 20;
    let late = never + opts.late_per_mille.min(GEN_LATE_PER_MILLE_MAX);
    let early = (late + 420).min(1000);
    let (first_day, last_day) = match opts.month {
        Some(m) => (m.first_day(), m.last_day()),
        None => (
            Month::new(2021, 1).first_day(),
            Month::new(2021, 12).last_day(),
        ),
    };
    let span = (last_day - first_day + 1) as u64;
    // Cumulative agency weights.
    let total_w: u64 = GEN_AGENCIES.iter().map(|a| a.2).sum();
    let cum: Vec<u64> = GEN_AGENCIES
        .iter()
        .scan(0, |s, a| {
            *s += a.2;
            Some(*s)
        })
        .collect();
    // Procedures per agency: 60 each, Zipf-like weights 1/(k+1), own processing time and online
    // level.
    const PROCS: usize = 60;
    let zipf_cum: Vec<u64> = (0..PROCS)
        .scan(0u64, |s, k| {
            *s += 100_000 / (k as u64 + 1);
            Some(*s)
        })
        .collect();
    let zipf_total = zipf_cum[PROCS - 1];
    let mut procs: Vec<Vec<(Vec<u8>, i32, u8)>> = Vec::new();
    for (ai, _) in GEN_AGENCIES.iter().enumerate() {
        let mut list = Vec::with_capacity(PROCS);
        for k in 0..PROCS {
            let mut code = b"1.00".to_vec();
            push_num(&mut code, (ai * 1000 + k * 7 + 1000) as u64 % 10_000, 4);
            let days = GEN_DAYS[rng.below(GEN_DAYS.len() as u64) as usize];
            let online = match rng.below(10) {
                0..=3 => 2,
                4..=7 => 3,
                _ => 4,
            };
            list.push((code, days, online));
        }
        procs.push(list);
    }
    let mut w = BufWriter::with_capacity(1 << 20, out);
    w.write_all(
        b"code,agency,procedure,level,online_level,received_at,due_at,result_at,closed_at,status\n",
    )?;
    let mut line = Vec::with_capacity(256);
    for seq in 0..opts.rows {
        line.clear();
        let pick = rng.below(total_w);
        let ai = cum.partition_point(|&c| c <= pick);
        let (agency, level0, _) = GEN_AGENCIES[ai];
        let level = if level0 == DossierLevel::District && rng.chance(450) {
            DossierLevel::Commune
        } else {
            level0
        };
        let zp = rng.below(zipf_total);
        let pi = zipf_cum.partition_point(|&c| c <= zp);
        let (ref pcode, days, online) = procs[ai][pi];
        // Received on a working day (weekends rarely), office hours.
        let mut rday = first_day + rng.below(span) as i32;
        let wd = rday.rem_euclid(7);
        if (wd == 2 || wd == 3) && !rng.chance(100) {
            rday = (rday + if wd == 2 { 2 } else { 1 }).min(last_day);
        }
        let rsecs = 7 * 3600 + 30 * 60 + rng.below(9 * 3600 + 30 * 60) as u32;
        let due_day = add_working_days(rday, days);
        let due_secs = if days == 0 {
            17 * 3600
        } else {
            16 * 3600 + 30 * 60
        };
        // Outcome: 2 % never closed (a third of them with a result), 3 % late (by default), 42 %
        // early (when there is time to be early), the rest on the due date.
        let r = rng.below(1000);
        let (result, closed, status): (DayTime, DayTime, &[u8]) = if r < never {
            if rng.chance(333) {
                let d = rday + days / 2;
                let secs = if d == rday {
                    (rsecs + 600).min(86_399)
                } else {
                    15 * 3600
                };
                (Some((d, secs)), None, b"result_ready")
            } else {
                (None, None, b"in_progress")
            }
        } else {
            let cday = if r < late {
                due_day + 1 + rng.below(10) as i32
            } else if r < early && due_day > rday {
                rday + rng.below((due_day - rday) as u64) as i32
            } else {
                due_day
            };
            let mut csecs = 8 * 3600 + rng.below(9 * 3600) as u32;
            if cday == rday && csecs <= rsecs {
                csecs = (rsecs + 600 + rng.below(3600) as u32).min(86_399);
            }
            let rs = csecs
                .saturating_sub(1800)
                .max(if cday == rday { rsecs } else { 0 });
            (Some((cday, rs)), Some((cday, csecs)), b"closed")
        };
        // code
        line.extend_from_slice(b"H06.");
        push_num(&mut line, ai as u64 + 1, 2);
        line.push(b'-');
        let (y, m, d) = parindex_domain::dossiers::civil_from_days(rday);
        push_num(&mut line, (y % 100) as u64, 2);
        push_num(&mut line, m as u64, 2);
        push_num(&mut line, d as u64, 2);
        line.push(b'-');
        push_num(&mut line, seq + 1, 7);
        line.push(b',');
        line.extend_from_slice(agency.as_bytes());
        line.push(b',');
        line.extend_from_slice(pcode);
        line.push(b',');
        line.extend_from_slice(level.as_str().as_bytes());
        line.push(b',');
        push_num(&mut line, online as u64, 1);
        line.push(b',');
        push_time(&mut line, rday, rsecs);
        line.push(b',');
        push_time(&mut line, due_day, due_secs);
        line.push(b',');
        if let Some((d, s)) = result {
            push_time(&mut line, d, s);
        }
        line.push(b',');
        if let Some((d, s)) = closed {
            push_time(&mut line, d, s);
        }
        line.push(b',');
        line.extend_from_slice(status);
        line.push(b'\n');
        w.write_all(&line)?;
    }
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_quoted_fields() {
        let mut f = Vec::new();
        let mut s = Vec::new();
        let line = br#"a,"b,c","d""e",,"f""#;
        split_line(line, b',', &mut f, &mut s).unwrap();
        let text: Vec<String> = f
            .iter()
            .map(|&(a, b, sc)| {
                String::from_utf8(
                    if sc {
                        &s[a as usize..b as usize]
                    } else {
                        &line[a as usize..b as usize]
                    }
                    .to_vec(),
                )
                .unwrap()
            })
            .collect();
        assert_eq!(text, vec!["a", "b,c", "d\"e", "", "f"]);
        assert!(split_line(br#"a,"b"#, b',', &mut f, &mut s).is_none());
    }

    #[test]
    fn finds_bytes() {
        let hay = b"0123456789abcdef,ghij";
        assert_eq!(find_byte(hay, b','), Some(16));
        assert_eq!(find_byte(hay, b'x'), None);
        assert_eq!(find_byte(b"\x80\x81,", b','), Some(2));
        assert!(is_ascii(b"hello world, 123"));
        assert!(!is_ascii("Sở Tư pháp".as_bytes()));
    }

    #[test]
    fn column_maps() {
        let m = parse_column_map("code=Số hồ sơ, agency = Đơn vị xử lý").unwrap();
        assert_eq!(m[0], (Field::Code, "Số hồ sơ".to_string()));
        assert!(parse_column_map("colour=x").is_err());
        assert!(parse_column_map("code=a,code=b").is_err());
        assert!(parse_column_map("code").is_err());
    }

    #[test]
    fn year_bounds() {
        use parindex_domain::dossiers::days_from_civil;
        assert_eq!(days_from_civil(1900, 1, 1), DAY_1900);
        assert_eq!(days_from_civil(4000, 1, 1), DAY_4000);
    }

    #[test]
    fn working_days_skip_weekends() {
        // 2021-03-12 was a Friday.
        let fri = parindex_domain::dossiers::days_from_civil(2021, 3, 12);
        assert_eq!(add_working_days(fri, 1), fri + 3);
        assert_eq!(add_working_days(fri, 0), fri);
    }
}
