//! A bounded XLSX reader for files people upload.
//!
//! Every workbook a user brings (results, units, subjects, targets, editions, indicators, the
//! self-scoring table, dossier exports) is read here, never by a general-purpose reader that sizes
//! its memory from what the file declares. A 1.6 KB workbook holding `A1` and `XFD1048576` must not
//! make a 16,384 × 1,048,576 grid, a `uniqueCount="10000000000"` must not reserve memory, a
//! zip entry that inflates a thousandfold must not fill the disk or the heap.
//!
//! How it is bounded ([`XlsxLimits`], one set per kind of file):
//! - the zip: entry count, each entry's declared size, its declared and actual compression ratio,
//!   entries whose data overlap (the "non-recursive" zip bomb), and the total number of bytes
//!   inflated across everything read: the inflating reader stops at the limit, whatever the
//!   entry declared;
//! - the XML: element depth, and every text a cell can hold (Excel's own 32,767 characters);
//! - the sheets: their count, the highest row and column a cell may name, the number of cells,
//!   and the number of cells materialised as rows (a row is made as wide as its last cell);
//! - the shared strings: their count; their declared count is never trusted.
//!
//! Nothing is allocated from a declared number. Limits are checked as the file is read, so memory
//! grows with what the file really holds and stops at the limit with [`XlsxError`], which names
//! the part, the sheet, the cell and the limit, in English ([`std::fmt::Display`]) and Vietnamese
//! ([`XlsxError::vi`]).
//!
//! Reading: [`Workbook::open`] reads the workbook, its relationships, the shared strings and the
//! styles (to tell dates from numbers); [`Workbook::for_each_row`] streams one sheet's rows
//! (cells in column order, empty cells filled, no row kept once handed over); [`Workbook::read_sheet`]
//! collects them. Formulas are read as their cached values; merged cells hold their value in the
//! top-left cell only.

mod cells;
mod limits;

pub use cells::serial_to_datetime;
use cells::{
    attr, is_builtin_date_format, is_date_format, local, read_rich_text, read_sheet_rows, TextSite,
};
use jiff::civil::DateTime;
#[cfg(test)]
use limits::MIB;
pub use limits::{bytes, column_name, XlsxError, XlsxLimits};
use limits::{MAX_TOKEN, RATIO_FLOOR};
use quick_xml::events::Event;
use quick_xml::Reader;
use std::io::{BufReader, Read, Seek};

/// One cell's value as read.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Empty,
    Text(String),
    Number(f64),
    Bool(bool),
    /// A number in a date format, as a date and time (the 1900 or 1904 date system applied).
    DateTime(DateTime),
    /// A number in a date format that is not a calendar date (a time of day or a duration).
    Duration(f64),
    /// A spreadsheet error (`#N/A`, `#VALUE!`) or a value that is no use.
    Error(String),
}

/// A cell reference `B7` split into 1-based row and column; `None` if it is not one.
pub fn parse_ref(r: &str) -> Option<(u64, u32)> {
    let b = r.as_bytes();
    let mut i = 0;
    let mut col: u64 = 0;
    while i < b.len() && b[i].is_ascii_alphabetic() {
        col = col * 26 + u64::from(b[i].to_ascii_uppercase() - b'A' + 1);
        if col > u64::from(u32::MAX) {
            return None;
        }
        i += 1;
    }
    if i == 0 || i == b.len() || i > 7 {
        return None;
    }
    let digits = &r[i..];
    if digits.len() > 10 || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let row: u64 = digits.parse().ok()?;
    if row == 0 {
        return None;
    }
    Some((row, col as u32))
}

/// Bytes inflated so far, shared by every part read from one workbook.
struct Budget {
    used: u64,
    limit: u64,
}

/// Reads one zip entry, refusing to inflate past its limit (the smallest of the per-part limit,
/// the ratio limit and the declared size) or past the workbook's total budget.
struct Bounded<'b, R> {
    inner: R,
    read: u64,
    part_limit: u64,
    declared: u64,
    ratio_limit: Option<u64>,
    budget: &'b mut Budget,
    /// Bytes since the last `<` or `>`: one XML token (a text, a tag) is held whole in memory
    /// by the XML reader, so it is bounded on its own.
    run: u64,
    /// Set when a limit stopped the reading (the XML error that follows is replaced by it).
    tripped: Option<XlsxError>,
    part: String,
    limits: XlsxLimits,
}

impl<R: Read> Read for Bounded<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        self.budget.used += n as u64;
        match buf[..n].iter().rposition(|b| *b == b'<' || *b == b'>') {
            Some(p) => self.run = (n - p - 1) as u64,
            None => self.run += n as u64,
        }
        let trip = if self.run > MAX_TOKEN {
            Some(XlsxError::TokenTooLarge {
                part: self.part.clone(),
                limit: MAX_TOKEN,
            })
        } else if self.read > self.declared {
            Some(XlsxError::SizeMismatch {
                part: self.part.clone(),
            })
        } else if self.read > self.part_limit {
            Some(XlsxError::PartTooLarge {
                part: self.part.clone(),
                limit: self.limits.max_part_bytes,
            })
        } else if self.ratio_limit.is_some_and(|l| self.read > l) {
            Some(XlsxError::RatioTooHigh {
                part: self.part.clone(),
                limit: self.limits.max_ratio,
            })
        } else if self.budget.used > self.budget.limit {
            Some(XlsxError::TotalTooLarge {
                limit: self.budget.limit,
            })
        } else {
            None
        };
        if let Some(e) = trip {
            self.tripped = Some(e);
            return Err(std::io::Error::other("limit"));
        }
        Ok(n)
    }
}

/// One worksheet of the workbook.
#[derive(Debug, Clone)]
struct SheetRef {
    name: String,
    part: String,
}

/// An open workbook: its sheets, shared strings and date styles read, its sheets to be streamed.
pub struct Workbook<R: Read + Seek> {
    zip: zip::ZipArchive<R>,
    limits: XlsxLimits,
    budget: Budget,
    sheets: Vec<SheetRef>,
    shared: Vec<String>,
    /// For each cell style index (`s`), whether its number format shows a date.
    date_styles: Vec<bool>,
    date1904: bool,
}

/// The XML reader over one bounded part, with its depth tracked.
struct Part<'a, R: Read> {
    xml: Reader<BufReader<Bounded<'a, zip::read::ZipFile<'a, R>>>>,
    depth: usize,
    name: String,
    max_depth: usize,
}

impl<'a, R: Read> Part<'a, R> {
    /// The next event; depth is tracked and limited; a limit tripped by the inflating reader is
    /// reported as itself, not as the XML error it caused.
    fn next<'b>(&mut self, buf: &'b mut Vec<u8>) -> Result<Event<'b>, XlsxError> {
        buf.clear();
        match self.xml.read_event_into(buf) {
            Ok(ev) => {
                match &ev {
                    Event::Start(_) => {
                        self.depth += 1;
                        if self.depth > self.max_depth {
                            return Err(XlsxError::TooDeep {
                                part: self.name.clone(),
                                limit: self.max_depth,
                            });
                        }
                    }
                    Event::End(_) => self.depth = self.depth.saturating_sub(1),
                    _ => {}
                }
                Ok(ev)
            }
            Err(e) => {
                if let Some(t) = self.xml.get_mut().get_mut().tripped.take() {
                    return Err(t);
                }
                Err(XlsxError::Xml {
                    part: self.name.clone(),
                    message: e.to_string(),
                })
            }
        }
    }

    fn xml_error(&self, message: impl Into<String>) -> XlsxError {
        XlsxError::Xml {
            part: self.name.clone(),
            message: message.into(),
        }
    }
}

impl<R: Read + Seek> Workbook<R> {
    /// Open a workbook: check the archive, then read its workbook part, relationships, shared
    /// strings and styles.
    pub fn open(mut rs: R, limits: XlsxLimits) -> Result<Workbook<R>, XlsxError> {
        let mut head = [0u8; 8];
        let n = read_head(&mut rs, &mut head)?;
        if n == 0 {
            return Err(XlsxError::Empty);
        }
        if head[..n].starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
            return Err(XlsxError::OldExcel);
        }
        if !head[..n].starts_with(b"PK") {
            return Err(XlsxError::NotZip);
        }
        let zip = zip::ZipArchive::new(rs).map_err(|e| XlsxError::Zip(e.to_string()))?;
        if zip.len() > limits.max_entries {
            return Err(XlsxError::TooManyEntries {
                found: zip.len(),
                limit: limits.max_entries,
            });
        }
        let mut wb = Workbook {
            zip,
            limits,
            budget: Budget {
                used: 0,
                limit: limits.max_total_bytes,
            },
            sheets: Vec::new(),
            shared: Vec::new(),
            date_styles: Vec::new(),
            date1904: false,
        };
        wb.check_entries()?;
        if wb.find("mimetype").is_some() && wb.find("content.xml").is_some() {
            return Err(XlsxError::OpenDocument);
        }
        let workbook_part = wb.office_document()?;
        let rels_part = rels_of(&workbook_part);
        let rels = match wb.find(&rels_part) {
            Some(p) => wb.read_rels(&p)?,
            None => Vec::new(),
        };
        let dir = workbook_part
            .rsplit_once('/')
            .map(|(d, _)| d.to_string())
            .unwrap_or_default();
        wb.read_workbook(&workbook_part, &rels, &dir)?;
        let target_of = |suffix: &str, fallback: &str| {
            rels.iter()
                .find(|(_, ty, _)| ty.ends_with(suffix))
                .map(|(_, _, t)| resolve(&dir, t))
                .unwrap_or_else(|| resolve(&dir, fallback))
        };
        let sst = target_of("/sharedStrings", "sharedStrings.xml");
        if let Some(p) = wb.find(&sst) {
            wb.read_shared_strings(&p)?;
        }
        let styles = target_of("/styles", "styles.xml");
        if let Some(p) = wb.find(&styles) {
            wb.read_styles(&p)?;
        }
        Ok(wb)
    }

    /// The names of the worksheets, in order.
    pub fn sheet_names(&self) -> Vec<String> {
        self.sheets.iter().map(|s| s.name.clone()).collect()
    }

    /// Entries' declared sizes and ratios, and overlapping data.
    fn check_entries(&mut self) -> Result<(), XlsxError> {
        let mut spans = Vec::with_capacity(self.zip.len());
        for i in 0..self.zip.len() {
            let f = self
                .zip
                .by_index_raw(i)
                .map_err(|e| XlsxError::Zip(e.to_string()))?;
            let name = f.name().map(|n| n.into_owned()).unwrap_or_default();
            if f.size() > self.limits.max_part_bytes {
                return Err(XlsxError::PartTooLarge {
                    part: name,
                    limit: self.limits.max_part_bytes,
                });
            }
            if f.size() > RATIO_FLOOR
                && f.size() / f.compressed_size().max(1) > self.limits.max_ratio
            {
                return Err(XlsxError::RatioTooHigh {
                    part: name,
                    limit: self.limits.max_ratio,
                });
            }
            spans.push((f.header_start(), f.compressed_size()));
        }
        spans.sort_unstable();
        for w in spans.windows(2) {
            // A local header is at least 30 bytes before the data.
            if w[0].0.saturating_add(30).saturating_add(w[0].1) > w[1].0 {
                return Err(XlsxError::OverlappingEntries);
            }
        }
        Ok(())
    }

    /// The archive's name for `path`: exact, else the one that differs only in case.
    fn find(&self, path: &str) -> Option<String> {
        if self.zip.index_for_name(path).is_some() {
            return Some(path.to_string());
        }
        self.zip
            .file_names()
            .flatten()
            .find(|n| n.eq_ignore_ascii_case(path))
            .map(|n| n.into_owned())
    }

    fn open_part(&mut self, name: &str) -> Result<Part<'_, R>, XlsxError> {
        let limits = self.limits;
        let f = self
            .zip
            .by_name(name)
            .map_err(|e| XlsxError::Zip(format!("{name}: {e}")))?;
        let declared = f.size();
        let compressed = f.compressed_size();
        // The actual ratio, whatever the entry declares: past 1 MiB, no more than `max_ratio`
        // inflated bytes per packed byte.
        let ratio_limit = Some(RATIO_FLOOR.max(compressed.saturating_mul(limits.max_ratio)));
        let bounded = Bounded {
            inner: f,
            read: 0,
            part_limit: limits.max_part_bytes,
            declared,
            ratio_limit,
            budget: &mut self.budget,
            run: 0,
            tripped: None,
            part: name.to_string(),
            limits,
        };
        let mut xml = Reader::from_reader(BufReader::with_capacity(64 * 1024, bounded));
        xml.config_mut().trim_text(false);
        Ok(Part {
            xml,
            depth: 0,
            name: name.to_string(),
            max_depth: limits.max_depth,
        })
    }

    /// The workbook part named by the package relationships (`xl/workbook.xml` as a rule).
    fn office_document(&mut self) -> Result<String, XlsxError> {
        if let Some(p) = self.find("_rels/.rels") {
            let rels = self.read_rels(&p)?;
            if let Some((_, _, t)) = rels
                .iter()
                .find(|(_, ty, _)| ty.ends_with("/officeDocument"))
            {
                let part = resolve("", t);
                if let Some(found) = self.find(&part) {
                    return Ok(found);
                }
            }
        }
        self.find("xl/workbook.xml").ok_or(XlsxError::NotWorkbook)
    }

    /// A relationships part: (id, type, target).
    fn read_rels(&mut self, name: &str) -> Result<Vec<(String, String, String)>, XlsxError> {
        let max = self.limits.max_entries.saturating_mul(4);
        let mut part = self.open_part(name)?;
        let mut buf = Vec::new();
        let mut out = Vec::new();
        loop {
            match part.next(&mut buf)? {
                Event::Start(e) | Event::Empty(e) if local(&e) == "Relationship" => {
                    if out.len() >= max {
                        return Err(part.xml_error(format!("more than {max} relationships")));
                    }
                    out.push((
                        attr(&e, "Id").unwrap_or_default(),
                        attr(&e, "Type").unwrap_or_default(),
                        attr(&e, "Target").unwrap_or_default(),
                    ));
                }
                Event::Eof => break,
                _ => {}
            }
        }
        Ok(out)
    }

    fn read_workbook(
        &mut self,
        name: &str,
        rels: &[(String, String, String)],
        dir: &str,
    ) -> Result<(), XlsxError> {
        let limits = self.limits;
        let mut part = self.open_part(name)?;
        let mut buf = Vec::new();
        let mut sheets = Vec::new();
        let mut date1904 = false;
        let mut found = 0usize;
        loop {
            match part.next(&mut buf)? {
                Event::Start(e) | Event::Empty(e) => match local(&e).as_str() {
                    "workbookPr" => {
                        date1904 =
                            matches!(attr(&e, "date1904").as_deref(), Some("1") | Some("true"));
                    }
                    "sheet" => {
                        found += 1;
                        if found > limits.max_sheets {
                            return Err(XlsxError::TooManySheets {
                                found,
                                limit: limits.max_sheets,
                            });
                        }
                        let sheet_name = attr(&e, "name").unwrap_or_default();
                        let id = attr(&e, "id").unwrap_or_default();
                        if let Some((_, ty, target)) = rels.iter().find(|(i, _, _)| *i == id) {
                            if ty.ends_with("/worksheet") {
                                sheets.push(SheetRef {
                                    name: sheet_name,
                                    part: resolve(dir, target),
                                });
                            }
                        }
                    }
                    _ => {}
                },
                Event::Eof => break,
                _ => {}
            }
        }
        drop(part);
        if found == 0 {
            return Err(XlsxError::NotWorkbook);
        }
        self.sheets = sheets;
        self.date1904 = date1904;
        Ok(())
    }

    fn read_shared_strings(&mut self, name: &str) -> Result<(), XlsxError> {
        let limits = self.limits;
        let mut part = self.open_part(name)?;
        let mut buf = Vec::new();
        let mut shared = Vec::new();
        loop {
            match part.next(&mut buf)? {
                Event::Start(e) if local(&e) == "si" => {
                    if shared.len() >= limits.max_shared_strings {
                        return Err(XlsxError::TooManySharedStrings {
                            limit: limits.max_shared_strings,
                        });
                    }
                    let site = TextSite {
                        sheet: "",
                        cell: "",
                    };
                    let s = read_rich_text(&mut part, "si", &limits, &site)?;
                    shared.push(s);
                }
                Event::Empty(e) if local(&e) == "si" => {
                    if shared.len() >= limits.max_shared_strings {
                        return Err(XlsxError::TooManySharedStrings {
                            limit: limits.max_shared_strings,
                        });
                    }
                    shared.push(String::new());
                }
                Event::Eof => break,
                _ => {}
            }
        }
        drop(part);
        self.shared = shared;
        Ok(())
    }

    fn read_styles(&mut self, name: &str) -> Result<(), XlsxError> {
        let mut part = self.open_part(name)?;
        let mut buf = Vec::new();
        let mut custom: std::collections::BTreeMap<u32, bool> = std::collections::BTreeMap::new();
        let mut xf_formats: Vec<u32> = Vec::new();
        let mut in_cell_xfs = false;
        // Styles are few; a file with more than this is refused as malformed.
        const MAX_STYLES: usize = 65_536;
        loop {
            match part.next(&mut buf)? {
                Event::Start(e) | Event::Empty(e) => match local(&e).as_str() {
                    "numFmt" => {
                        if custom.len() >= MAX_STYLES {
                            return Err(part.xml_error("more than 65,536 number formats"));
                        }
                        let id = attr(&e, "numFmtId").and_then(|v| v.parse().ok());
                        let code = attr(&e, "formatCode").unwrap_or_default();
                        if let Some(id) = id {
                            custom.insert(id, is_date_format(&code));
                        }
                    }
                    "cellXfs" => in_cell_xfs = true,
                    "xf" if in_cell_xfs => {
                        if xf_formats.len() >= MAX_STYLES {
                            return Err(part.xml_error("more than 65,536 cell styles"));
                        }
                        xf_formats.push(
                            attr(&e, "numFmtId")
                                .and_then(|v| v.parse().ok())
                                .unwrap_or(0),
                        );
                    }
                    _ => {}
                },
                Event::End(e) if e.local_name().as_ref() == "cellXfs" => in_cell_xfs = false,
                Event::Eof => break,
                _ => {}
            }
        }
        drop(part);
        self.date_styles = xf_formats
            .iter()
            .map(|id| match custom.get(id) {
                Some(d) => *d,
                None => is_builtin_date_format(*id),
            })
            .collect();
        Ok(())
    }

    fn sheet_index(&self, name: &str) -> Result<usize, XlsxError> {
        self.sheets
            .iter()
            .position(|s| s.name == name)
            .ok_or_else(|| XlsxError::NoSuchSheet(name.to_string()))
    }

    /// Stream the rows of the sheet named `name`, in the order the file holds them: `f` gets the
    /// row's number (1-based, as Excel shows it) and its cells from column A to its last cell,
    /// empty cells as [`Value::Empty`]. Rows without a cell are not handed over. `f` may stop
    /// the reading with an error of its own (`Err(Stop::Caller)`).
    pub fn for_each_row<E>(
        &mut self,
        name: &str,
        mut f: impl FnMut(u64, &[Value]) -> Result<(), E>,
    ) -> Result<(), Stop<E>> {
        let index = self.sheet_index(name).map_err(Stop::Xlsx)?;
        let sheet = self.sheets[index].clone();
        let limits = self.limits;
        let shared = std::mem::take(&mut self.shared);
        let date_styles = std::mem::take(&mut self.date_styles);
        let date1904 = self.date1904;
        let res = (|| {
            let Some(part_name) = self.find(&sheet.part) else {
                // A sheet whose part is missing reads as empty, as in Excel.
                return Ok(());
            };
            let mut part = self.open_part(&part_name).map_err(Stop::Xlsx)?;
            let ctx = SheetCtx {
                sheet: &sheet.name,
                limits: &limits,
                shared: &shared,
                date_styles: &date_styles,
                date1904,
            };
            read_sheet_rows(&mut part, &ctx, &mut f)
        })();
        self.shared = shared;
        self.date_styles = date_styles;
        res
    }

    /// Read the whole sheet named `name` into rows (number, cells), held to the grid limit.
    pub fn read_sheet(&mut self, name: &str) -> Result<Vec<(u64, Vec<Value>)>, XlsxError> {
        let limit = self.limits.max_grid_cells;
        let mut grid: u64 = 0;
        let mut rows = Vec::new();
        let res = self.for_each_row(name, |n, cells| {
            grid += cells.len() as u64;
            if grid > limit {
                return Err(XlsxError::GridTooLarge {
                    sheet: name.to_string(),
                    limit,
                });
            }
            rows.push((n, cells.to_vec()));
            Ok(())
        });
        match res {
            Ok(()) => {}
            Err(Stop::Xlsx(e)) | Err(Stop::Caller(e)) => return Err(e),
        }
        // Rows as Excel shows them: in order of their number.
        rows.sort_by_key(|(n, _)| *n);
        Ok(rows)
    }
}

/// Why [`Workbook::for_each_row`] stopped: the workbook, or the caller's own error.
#[derive(Debug)]
pub enum Stop<E> {
    Xlsx(XlsxError),
    Caller(E),
}

struct SheetCtx<'c> {
    sheet: &'c str,
    limits: &'c XlsxLimits,
    shared: &'c [String],
    date_styles: &'c [bool],
    date1904: bool,
}

fn read_head<R: Read + Seek>(rs: &mut R, head: &mut [u8; 8]) -> Result<usize, XlsxError> {
    let mut n = 0;
    while n < head.len() {
        match rs.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(XlsxError::Zip(e.to_string())),
        }
    }
    rs.seek(std::io::SeekFrom::Start(0))
        .map_err(|e| XlsxError::Zip(e.to_string()))?;
    Ok(n)
}

/// `xl/workbook.xml` → `xl/_rels/workbook.xml.rels`.
fn rels_of(part: &str) -> String {
    match part.rsplit_once('/') {
        Some((dir, file)) => format!("{dir}/_rels/{file}.rels"),
        None => format!("_rels/{part}.rels"),
    }
}

/// A relationship's target against the folder of the part that names it.
fn resolve(dir: &str, target: &str) -> String {
    let joined = match target.strip_prefix('/') {
        Some(abs) => abs.to_string(),
        None if dir.is_empty() => target.to_string(),
        None => format!("{dir}/{target}"),
    };
    let mut parts: Vec<&str> = Vec::new();
    for p in joined.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

/// Read a whole workbook from memory: every sheet's rows, with its name.
pub type SheetRows = (String, Vec<(u64, Vec<Value>)>);

/// Open `rs` and read every worksheet, held to `limits`.
pub fn read_all<R: Read + Seek>(rs: R, limits: XlsxLimits) -> Result<Vec<SheetRows>, XlsxError> {
    let mut wb = Workbook::open(rs, limits)?;
    let mut out = Vec::new();
    let mut grid = 0u64;
    for name in wb.sheet_names() {
        let rows = wb.read_sheet(&name)?;
        grid += rows.iter().map(|(_, r)| r.len() as u64).sum::<u64>();
        if grid > limits.max_grid_cells {
            return Err(XlsxError::GridTooLarge {
                sheet: name,
                limit: limits.max_grid_cells,
            });
        }
        out.push((name, rows));
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
