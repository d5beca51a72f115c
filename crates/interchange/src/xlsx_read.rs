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

use jiff::civil::{Date, DateTime};
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use std::fmt;
use std::io::{BufReader, Read, Seek};

/// The limits of one kind of workbook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XlsxLimits {
    /// Entries in the zip archive.
    pub max_entries: usize,
    /// Bytes one part (zip entry) may inflate to.
    pub max_part_bytes: u64,
    /// Bytes inflated across all the parts read.
    pub max_total_bytes: u64,
    /// Inflated bytes per compressed byte, for parts over 1 MiB (a zip bomb inflates a
    /// thousandfold; spreadsheets XML rarely more than 20-fold).
    pub max_ratio: u64,
    /// Worksheets in the workbook.
    pub max_sheets: usize,
    /// The highest row number a cell may name (Excel's own maximum: 1,048,576).
    pub max_rows: u32,
    /// The highest column number a cell may name (Excel's own maximum: 16,384, `XFD`).
    pub max_columns: u32,
    /// Non-empty cells in one sheet.
    pub max_cells: u64,
    /// Cells materialised as rows in one sheet (each row as wide as its last cell), for readers
    /// that keep the sheet ([`Workbook::read_sheet`]).
    pub max_grid_cells: u64,
    /// Strings in the shared-string table.
    pub max_shared_strings: usize,
    /// Characters in one cell (Excel's own maximum: 32,767).
    pub max_cell_chars: usize,
    /// Nesting of XML elements.
    pub max_depth: usize,
}

const MIB: u64 = 1024 * 1024;

impl XlsxLimits {
    /// Small tables filled in by hand: the self-scoring table, rank targets, an edition's criteria.
    pub const SMALL_TABLE: XlsxLimits = XlsxLimits {
        max_entries: 1_000,
        max_part_bytes: 32 * MIB,
        max_total_bytes: 64 * MIB,
        max_ratio: 100,
        max_sheets: 64,
        max_rows: 20_000,
        max_columns: 256,
        max_cells: 200_000,
        max_grid_cells: 1_000_000,
        max_shared_strings: 200_000,
        max_cell_chars: 32_767,
        max_depth: 64,
    };

    /// Data tables: results, units, subjects, indicators and observations.
    pub const TABLE: XlsxLimits = XlsxLimits {
        max_entries: 1_000,
        max_part_bytes: 128 * MIB,
        max_total_bytes: 256 * MIB,
        max_ratio: 100,
        max_sheets: 64,
        max_rows: 200_000,
        max_columns: 1_024,
        max_cells: 2_000_000,
        max_grid_cells: 4_000_000,
        max_shared_strings: 1_000_000,
        max_cell_chars: 32_767,
        max_depth: 64,
    };

    /// One-stop-shop dossier exports: a year of a province's dossiers in one sheet, streamed row
    /// by row (nothing but one row is kept).
    pub const DOSSIERS: XlsxLimits = XlsxLimits {
        max_entries: 1_000,
        max_part_bytes: 8 * 1024 * MIB,
        max_total_bytes: 8 * 1024 * MIB,
        max_ratio: 100,
        max_sheets: 64,
        max_rows: 1_048_576,
        max_columns: 256,
        max_cells: 64 * 1_048_576,
        max_grid_cells: 64 * 1_048_576,
        max_shared_strings: 4_000_000,
        max_cell_chars: 32_767,
        max_depth: 64,
    };
}

/// Parts under this size are not held to the compression ratio (tiny XML compresses well).
const RATIO_FLOOR: u64 = MIB;

/// The longest XML token (a text between tags, or one tag with its attributes): a cell holds at
/// most 32,767 characters, four bytes each, escaped.
const MAX_TOKEN: u64 = 4 * MIB;

/// Why a workbook was refused. Every variant names what was found and the limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum XlsxError {
    /// The file has no bytes.
    Empty,
    /// An Excel 97–2003 workbook (`.xls`, a compound document).
    OldExcel,
    /// An OpenDocument spreadsheet (`.ods`).
    OpenDocument,
    /// Not a zip archive at all.
    NotZip,
    /// A zip archive without a workbook in it.
    NotWorkbook,
    /// A zip archive that cannot be read.
    Zip(String),
    TooManyEntries {
        found: usize,
        limit: usize,
    },
    /// A part declares or inflates to more bytes than allowed.
    PartTooLarge {
        part: String,
        limit: u64,
    },
    /// A part inflates more than the ratio allows (a zip bomb).
    RatioTooHigh {
        part: String,
        limit: u64,
    },
    /// Entries whose data overlap (a zip bomb).
    OverlappingEntries,
    /// A part inflates to more than it declared.
    SizeMismatch {
        part: String,
    },
    /// The parts read inflate to more than allowed in total.
    TotalTooLarge {
        limit: u64,
    },
    /// A part is not well-formed XML.
    Xml {
        part: String,
        message: String,
    },
    TooDeep {
        part: String,
        limit: usize,
    },
    /// One text or tag longer than any cell can need.
    TokenTooLarge {
        part: String,
        limit: u64,
    },
    TooManySheets {
        found: usize,
        limit: usize,
    },
    TooManyRows {
        sheet: String,
        row: u64,
        limit: u32,
    },
    TooManyColumns {
        sheet: String,
        cell: String,
        limit: u32,
    },
    TooManyCells {
        sheet: String,
        limit: u64,
    },
    GridTooLarge {
        sheet: String,
        limit: u64,
    },
    TooManySharedStrings {
        limit: usize,
    },
    CellTooLong {
        sheet: String,
        cell: String,
        limit: usize,
    },
    /// A cell reference or value the reader cannot make sense of.
    BadCell {
        sheet: String,
        cell: String,
        message: String,
    },
    /// The sheet asked for does not exist.
    NoSuchSheet(String),
}

impl fmt::Display for XlsxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use XlsxError::*;
        match self {
            Empty => write!(f, "the file is empty"),
            OldExcel => write!(
                f,
                "is an Excel 97-2003 workbook (.xls), not .xlsx: open it in Excel and save it as \"Excel Workbook (.xlsx)\""
            ),
            OpenDocument => write!(
                f,
                "is an OpenDocument spreadsheet (.ods), not .xlsx: save it as \"Excel 2007-365 (.xlsx)\""
            ),
            NotZip => write!(f, "is not an XLSX workbook (not a zip archive)"),
            NotWorkbook => write!(f, "is a zip archive but not an XLSX workbook (no workbook part)"),
            Zip(m) => write!(f, "is not a readable XLSX workbook: {m}"),
            TooManyEntries { found, limit } => write!(
                f,
                "holds {found} entries; at most {limit} are read (the file may be a zip bomb)"
            ),
            PartTooLarge { part, limit } => write!(
                f,
                "part '{part}' is larger than {} once unpacked; refused",
                bytes(*limit)
            ),
            RatioTooHigh { part, limit } => write!(
                f,
                "part '{part}' unpacks to more than {limit} times its packed size (a zip bomb); refused"
            ),
            OverlappingEntries => write!(f, "entries of the zip archive overlap (a zip bomb); refused"),
            SizeMismatch { part } => write!(
                f,
                "part '{part}' unpacks to more bytes than it declares; the file is damaged or forged"
            ),
            TotalTooLarge { limit } => write!(
                f,
                "unpacks to more than {} in total; refused",
                bytes(*limit)
            ),
            Xml { part, message } => write!(f, "part '{part}' is not well-formed XML: {message}"),
            TooDeep { part, limit } => write!(
                f,
                "part '{part}' nests elements more than {limit} deep; refused"
            ),
            TokenTooLarge { part, limit } => write!(
                f,
                "part '{part}' holds a text or tag longer than {}; refused",
                bytes(*limit)
            ),
            TooManySheets { found, limit } => write!(
                f,
                "has {found} sheets; at most {limit} are read"
            ),
            TooManyRows { sheet, row, limit } => write!(
                f,
                "sheet '{sheet}': row {row} is beyond the last row read ({limit})"
            ),
            TooManyColumns { sheet, cell, limit } => write!(
                f,
                "sheet '{sheet}': cell {cell} is beyond the last column read ({}, column {limit})",
                column_name(*limit)
            ),
            TooManyCells { sheet, limit } => write!(
                f,
                "sheet '{sheet}' has more than {limit} cells; refused"
            ),
            GridTooLarge { sheet, limit } => write!(
                f,
                "sheet '{sheet}' spans more than {limit} cells (rows × columns); refused"
            ),
            TooManySharedStrings { limit } => write!(
                f,
                "has more than {limit} distinct texts; refused"
            ),
            CellTooLong { sheet, cell, limit } => write!(
                f,
                "sheet '{sheet}': cell {cell} holds more than {limit} characters"
            ),
            BadCell { sheet, cell, message } => write!(f, "sheet '{sheet}': cell {cell}: {message}"),
            NoSuchSheet(s) => write!(f, "has no sheet '{s}'"),
        }
    }
}

impl std::error::Error for XlsxError {}

impl XlsxError {
    /// The same refusal in Vietnamese.
    pub fn vi(&self) -> String {
        use XlsxError::*;
        match self {
            Empty => "tệp rỗng".into(),
            OldExcel => "là sổ tính Excel 97-2003 (.xls), không phải .xlsx: mở bằng Excel và lưu thành \"Excel Workbook (.xlsx)\"".into(),
            OpenDocument => "là bảng tính OpenDocument (.ods), không phải .xlsx: lưu thành \"Excel 2007-365 (.xlsx)\"".into(),
            NotZip => "không phải sổ tính XLSX (không phải tệp zip)".into(),
            NotWorkbook => "là tệp zip nhưng không phải sổ tính XLSX (không có phần workbook)".into(),
            Zip(m) => format!("không đọc được sổ tính XLSX: {m}"),
            TooManyEntries { found, limit } => format!(
                "chứa {found} mục; chỉ đọc tối đa {limit} (tệp có thể là bom zip)"
            ),
            PartTooLarge { part, limit } => format!(
                "phần '{part}' lớn hơn {} khi giải nén; bị từ chối",
                bytes(*limit)
            ),
            RatioTooHigh { part, limit } => format!(
                "phần '{part}' giải nén ra lớn hơn {limit} lần kích thước nén (bom zip); bị từ chối"
            ),
            OverlappingEntries => "các mục của tệp zip chồng lên nhau (bom zip); bị từ chối".into(),
            SizeMismatch { part } => format!(
                "phần '{part}' giải nén ra nhiều hơn kích thước khai báo; tệp bị hỏng hoặc giả mạo"
            ),
            TotalTooLarge { limit } => format!(
                "tổng dung lượng giải nén vượt {}; bị từ chối",
                bytes(*limit)
            ),
            Xml { part, message } => format!("phần '{part}' không phải XML hợp lệ: {message}"),
            TooDeep { part, limit } => format!(
                "phần '{part}' lồng phần tử sâu quá {limit} cấp; bị từ chối"
            ),
            TokenTooLarge { part, limit } => format!(
                "phần '{part}' chứa một đoạn văn bản hoặc thẻ dài hơn {}; bị từ chối",
                bytes(*limit)
            ),
            TooManySheets { found, limit } => format!(
                "có {found} trang tính; chỉ đọc tối đa {limit}"
            ),
            TooManyRows { sheet, row, limit } => format!(
                "trang tính '{sheet}': dòng {row} vượt quá dòng cuối được đọc ({limit})"
            ),
            TooManyColumns { sheet, cell, limit } => format!(
                "trang tính '{sheet}': ô {cell} vượt quá cột cuối được đọc ({}, cột {limit})",
                column_name(*limit)
            ),
            TooManyCells { sheet, limit } => format!(
                "trang tính '{sheet}' có hơn {limit} ô; bị từ chối"
            ),
            GridTooLarge { sheet, limit } => format!(
                "trang tính '{sheet}' trải rộng hơn {limit} ô (dòng × cột); bị từ chối"
            ),
            TooManySharedStrings { limit } => format!(
                "có hơn {limit} chuỗi văn bản khác nhau; bị từ chối"
            ),
            CellTooLong { sheet, cell, limit } => format!(
                "trang tính '{sheet}': ô {cell} chứa hơn {limit} ký tự"
            ),
            BadCell { sheet, cell, message } => {
                format!("trang tính '{sheet}': ô {cell}: {message}")
            }
            NoSuchSheet(s) => format!("không có trang tính '{s}'"),
        }
    }

    /// Whether this refusal is a limit of the reader (rather than a damaged or foreign file).
    pub fn is_limit(&self) -> bool {
        use XlsxError::*;
        matches!(
            self,
            TooManyEntries { .. }
                | PartTooLarge { .. }
                | RatioTooHigh { .. }
                | OverlappingEntries
                | SizeMismatch { .. }
                | TotalTooLarge { .. }
                | TooDeep { .. }
                | TokenTooLarge { .. }
                | TooManySheets { .. }
                | TooManyRows { .. }
                | TooManyColumns { .. }
                | TooManyCells { .. }
                | GridTooLarge { .. }
                | TooManySharedStrings { .. }
                | CellTooLong { .. }
        )
    }
}

fn bytes(n: u64) -> String {
    if n >= MIB && n.is_multiple_of(MIB) {
        format!("{} MiB", n / MIB)
    } else {
        format!("{n} bytes")
    }
}

/// `1` → `A`, `27` → `AA`, `16384` → `XFD`.
pub fn column_name(mut n: u32) -> String {
    let mut out = Vec::new();
    while n > 0 {
        let r = ((n - 1) % 26) as u8;
        out.push(b'A' + r);
        n = (n - 1) / 26;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

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

fn attr(e: &BytesStart<'_>, name: &str) -> Option<String> {
    e.attributes().with_checks(false).flatten().find_map(|a| {
        (a.key.local_name().as_ref() == name || a.key.as_ref() == name).then(|| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map(|v| v.into_owned())
                .unwrap_or_else(|_| a.value.into_owned())
        })
    })
}

fn local(e: &BytesStart<'_>) -> String {
    String::from_utf8_lossy(e.local_name().as_ref().as_bytes()).into_owned()
}

/// Decode OOXML's `_xHHHH_` escapes (control characters written by Excel).
fn decode_ooxml_escapes(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains("_x") {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("_x") {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let b = tail.as_bytes();
        if b.len() >= 7 && b[6] == b'_' && b[2..6].iter().all(u8::is_ascii_hexdigit) {
            let code = u32::from_str_radix(&tail[2..6], 16).unwrap_or(0xFFFD);
            out.push(char::from_u32(code).unwrap_or('\u{FFFD}'));
            rest = &tail[7..];
        } else {
            out.push_str("_x");
            rest = &tail[2..];
        }
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

/// Where a limit or error is met while reading a text: the part, the sheet and the cell.
struct TextSite<'s> {
    sheet: &'s str,
    cell: &'s str,
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

/// Number formats Excel builds in that show dates or times.
fn is_builtin_date_format(id: u32) -> bool {
    matches!(id, 14..=22 | 27..=36 | 45..=47 | 50..=58)
}

/// Whether a custom number format shows a date: a `d`, `m`, `y`, `h` or `s` outside quotes,
/// escapes and brackets (`[Red]`, `[$-409]`), in a format that is not elapsed time (`[h]`).
fn is_date_format(code: &str) -> bool {
    let mut quoted = false;
    let mut escaped = false;
    let mut bracket = false;
    let mut found = false;
    let lower = code.to_ascii_lowercase();
    if lower == "general" {
        return false;
    }
    for c in lower.chars() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '"' => quoted = !quoted,
            '\\' if !quoted => escaped = true,
            '[' if !quoted => bracket = true,
            ']' if !quoted => bracket = false,
            'd' | 'm' | 'y' | 'h' | 's' | 'e' if !quoted && !bracket => found = true,
            _ => {}
        }
    }
    found && !lower.contains("[h") && !lower.contains("[m") && !lower.contains("[s")
}

/// A spreadsheet serial number as a date and time; `None` if it is not a calendar date.
pub fn serial_to_datetime(serial: f64, date1904: bool) -> Option<DateTime> {
    if !serial.is_finite() || !(0.0..2_958_466.0).contains(&serial) {
        return None;
    }
    let days = serial.floor() as i64;
    let frac = serial - serial.floor();
    let date = if date1904 {
        Date::constant(1904, 1, 1).checked_add(jiff::Span::new().days(days))
    } else if days >= 61 {
        Date::constant(1899, 12, 30).checked_add(jiff::Span::new().days(days))
    } else if (1..60).contains(&days) {
        Date::constant(1899, 12, 31).checked_add(jiff::Span::new().days(days))
    } else {
        // 0 is a time of day; 60 is Excel's 29 February 1900, which never was.
        return None;
    }
    .ok()?;
    let ms = (frac * 86_400_000.0).round() as i64;
    let secs = (ms / 1000).min(86_399);
    date.at(
        (secs / 3600) as i8,
        ((secs / 60) % 60) as i8,
        (secs % 60) as i8,
        0,
    )
    .into()
}

/// The text of an `<si>` or `<is>` element: its `<t>` runs joined, phonetic runs skipped.
fn read_rich_text<R: Read>(
    part: &mut Part<'_, R>,
    end: &str,
    limits: &XlsxLimits,
    site: &TextSite<'_>,
) -> Result<String, XlsxError> {
    let mut buf = Vec::new();
    let mut out = String::new();
    let mut chars = 0usize;
    let mut in_t = false;
    let mut phonetic = 0usize;
    let start_depth = part.depth;
    loop {
        match part.next(&mut buf)? {
            Event::Start(e) => match local(&e).as_str() {
                "t" if phonetic == 0 => in_t = true,
                "rPh" => phonetic += 1,
                _ => {}
            },
            Event::End(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref().as_bytes()).into_owned();
                match name.as_str() {
                    "t" => in_t = false,
                    "rPh" => phonetic = phonetic.saturating_sub(1),
                    n if n == end && part.depth < start_depth => break,
                    _ => {}
                }
            }
            Event::Text(t) if in_t => {
                let s = t.xml10_content();
                push_limited(&mut out, &s, &mut chars, limits, site)?;
            }
            Event::CData(t) if in_t => {
                let s = t.xml10_content();
                push_limited(&mut out, &s, &mut chars, limits, site)?;
            }
            Event::GeneralRef(r) if in_t => {
                let s = entity(&r)
                    .ok_or_else(|| part.xml_error(format!("unknown entity &{};", &*r)))?;
                push_limited(&mut out, &s, &mut chars, limits, site)?;
            }
            Event::Eof => return Err(part.xml_error(format!("the file ends inside <{end}>"))),
            _ => {}
        }
    }
    Ok(decode_ooxml_escapes(&out).into_owned())
}

fn entity(r: &quick_xml::events::BytesRef<'_>) -> Option<String> {
    if let Ok(Some(c)) = r.resolve_char_ref() {
        return Some(c.to_string());
    }
    quick_xml::escape::resolve_predefined_entity(r).map(str::to_string)
}

fn push_limited(
    out: &mut String,
    s: &str,
    chars: &mut usize,
    limits: &XlsxLimits,
    site: &TextSite<'_>,
) -> Result<(), XlsxError> {
    *chars += s.chars().count();
    if *chars > limits.max_cell_chars {
        return Err(XlsxError::CellTooLong {
            sheet: if site.sheet.is_empty() {
                "(shared strings)".into()
            } else {
                site.sheet.to_string()
            },
            cell: site.cell.to_string(),
            limit: limits.max_cell_chars,
        });
    }
    out.push_str(s);
    Ok(())
}

/// One cell being read: its place, type, style and raw value.
#[derive(Default)]
struct RawCell {
    row: u64,
    col: u32,
    kind: String,
    style: Option<usize>,
    value: Option<String>,
    inline: Option<String>,
}

fn read_sheet_rows<R: Read, E>(
    part: &mut Part<'_, R>,
    ctx: &SheetCtx<'_>,
    f: &mut impl FnMut(u64, &[Value]) -> Result<(), E>,
) -> Result<(), Stop<E>> {
    let limits = ctx.limits;
    let mut buf = Vec::new();
    let mut row_no: u64 = 0;
    let mut col_no: u32 = 0;
    let mut cells: Vec<(u32, Value)> = Vec::new();
    let mut in_row = false;
    let mut count: u64 = 0;
    let mut dense: Vec<Value> = Vec::new();
    loop {
        let ev = part.next(&mut buf).map_err(Stop::Xlsx)?;
        let empty = matches!(ev, Event::Empty(_));
        match ev {
            Event::Start(e) | Event::Empty(e) if local(&e) == "row" => {
                emit_row(row_no, &mut cells, &mut dense, f)?;
                row_no = match attr(&e, "r") {
                    Some(r) => r.trim().parse::<u64>().map_err(|_| {
                        Stop::Xlsx(part.xml_error(format!("'{r}' is not a row number")))
                    })?,
                    None => row_no + 1,
                };
                if row_no == 0 || row_no > u64::from(limits.max_rows) {
                    return Err(Stop::Xlsx(XlsxError::TooManyRows {
                        sheet: ctx.sheet.to_string(),
                        row: row_no,
                        limit: limits.max_rows,
                    }));
                }
                col_no = 0;
                in_row = !empty;
            }
            Event::End(e) if e.local_name().as_ref() == "row" => {
                emit_row(row_no, &mut cells, &mut dense, f)?;
                in_row = false;
            }
            Event::Start(e) | Event::Empty(e) if local(&e) == "c" => {
                if !in_row {
                    // A cell outside a row: take the row from its reference.
                    row_no = row_no.max(1);
                }
                let mut cell = RawCell {
                    row: row_no,
                    col: col_no + 1,
                    kind: attr(&e, "t").unwrap_or_default(),
                    style: attr(&e, "s").and_then(|s| s.trim().parse().ok()),
                    ..RawCell::default()
                };
                if let Some(r) = attr(&e, "r") {
                    let Some((row, col)) = parse_ref(r.trim()) else {
                        return Err(Stop::Xlsx(XlsxError::BadCell {
                            sheet: ctx.sheet.to_string(),
                            cell: r.chars().take(20).collect(),
                            message: "not a cell reference".into(),
                        }));
                    };
                    if row > u64::from(limits.max_rows) {
                        return Err(Stop::Xlsx(XlsxError::TooManyRows {
                            sheet: ctx.sheet.to_string(),
                            row,
                            limit: limits.max_rows,
                        }));
                    }
                    if row != row_no && in_row {
                        return Err(Stop::Xlsx(XlsxError::BadCell {
                            sheet: ctx.sheet.to_string(),
                            cell: r,
                            message: format!("the cell lies outside its row {row_no}"),
                        }));
                    }
                    if !in_row && row != row_no {
                        emit_row(row_no, &mut cells, &mut dense, f)?;
                        row_no = row;
                    }
                    cell.row = row;
                    cell.col = col;
                }
                if cell.col == 0 || cell.col > limits.max_columns {
                    return Err(Stop::Xlsx(XlsxError::TooManyColumns {
                        sheet: ctx.sheet.to_string(),
                        cell: format!(
                            "{}{}",
                            if cell.col == 0 {
                                "?".into()
                            } else {
                                column_name(cell.col)
                            },
                            cell.row
                        ),
                        limit: limits.max_columns,
                    }));
                }
                col_no = cell.col;
                count += 1;
                if count > limits.max_cells {
                    return Err(Stop::Xlsx(XlsxError::TooManyCells {
                        sheet: ctx.sheet.to_string(),
                        limit: limits.max_cells,
                    }));
                }
                if !empty {
                    read_cell_body(part, &mut cell, ctx).map_err(Stop::Xlsx)?;
                }
                let v = cell_value(&cell, ctx).map_err(Stop::Xlsx)?;
                if v != Value::Empty {
                    if let Some(last) = cells.last_mut().filter(|(c, _)| *c == cell.col) {
                        last.1 = v;
                    } else {
                        cells.push((cell.col, v));
                        cells.sort_by_key(|(c, _)| *c);
                        cells.dedup_by_key(|(c, _)| *c);
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    emit_row(row_no, &mut cells, &mut dense, f)
}

/// Hand a row over as dense cells from column A to its last cell.
fn emit_row<E>(
    row: u64,
    cells: &mut Vec<(u32, Value)>,
    dense: &mut Vec<Value>,
    f: &mut impl FnMut(u64, &[Value]) -> Result<(), E>,
) -> Result<(), Stop<E>> {
    if cells.is_empty() {
        return Ok(());
    }
    let width = cells.iter().map(|(c, _)| *c).max().unwrap_or(0) as usize;
    dense.clear();
    dense.resize(width, Value::Empty);
    for (c, v) in cells.drain(..) {
        dense[c as usize - 1] = v;
    }
    f(row, dense).map_err(Stop::Caller)
}

/// Read a cell's `<v>` and `<is>` (formulas `<f>` are skipped: the cached value is taken).
fn read_cell_body<R: Read>(
    part: &mut Part<'_, R>,
    cell: &mut RawCell,
    ctx: &SheetCtx<'_>,
) -> Result<(), XlsxError> {
    let reference = format!("{}{}", column_name(cell.col), cell.row);
    let site = TextSite {
        sheet: ctx.sheet,
        cell: &reference,
    };
    let mut buf = Vec::new();
    let start_depth = part.depth;
    let mut in_v = false;
    let mut v = String::new();
    let mut chars = 0usize;
    loop {
        match part.next(&mut buf)? {
            Event::Start(e) => match local(&e).as_str() {
                "v" => in_v = true,
                "is" => {
                    let s = read_rich_text(part, "is", ctx.limits, &site)?;
                    cell.inline = Some(s);
                }
                _ => {}
            },
            Event::End(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref().as_bytes()).into_owned();
                if name == "v" {
                    in_v = false;
                    cell.value = Some(std::mem::take(&mut v));
                    chars = 0;
                } else if name == "c" && part.depth < start_depth {
                    break;
                }
            }
            Event::Text(t) if in_v => {
                push_limited(&mut v, &t.xml10_content(), &mut chars, ctx.limits, &site)?
            }
            Event::CData(t) if in_v => {
                push_limited(&mut v, &t.xml10_content(), &mut chars, ctx.limits, &site)?
            }
            Event::GeneralRef(r) if in_v => {
                let s = entity(&r)
                    .ok_or_else(|| part.xml_error(format!("unknown entity &{};", &*r)))?;
                push_limited(&mut v, &s, &mut chars, ctx.limits, &site)?;
            }
            Event::Eof => return Err(part.xml_error("the file ends inside a cell")),
            _ => {}
        }
    }
    Ok(())
}

fn cell_value(cell: &RawCell, ctx: &SheetCtx<'_>) -> Result<Value, XlsxError> {
    let reference = || format!("{}{}", column_name(cell.col), cell.row);
    let bad = |message: String| XlsxError::BadCell {
        sheet: ctx.sheet.to_string(),
        cell: reference(),
        message,
    };
    Ok(match cell.kind.as_str() {
        "inlineStr" => match &cell.inline {
            Some(s) => Value::Text(s.clone()),
            None => Value::Empty,
        },
        "s" => match &cell.value {
            None => Value::Empty,
            Some(v) => {
                let i: usize = v
                    .trim()
                    .parse()
                    .map_err(|_| bad(format!("'{v}' is not a shared-string index")))?;
                let s = ctx
                    .shared
                    .get(i)
                    .ok_or_else(|| bad(format!("shared string {i} does not exist")))?;
                Value::Text(s.clone())
            }
        },
        "str" => match &cell.value {
            Some(v) => Value::Text(decode_ooxml_escapes(v).into_owned()),
            None => Value::Empty,
        },
        "b" => match cell.value.as_deref().map(str::trim) {
            Some("1") | Some("true") => Value::Bool(true),
            Some("0") | Some("false") => Value::Bool(false),
            Some(v) => return Err(bad(format!("'{v}' is not a boolean"))),
            None => Value::Empty,
        },
        "e" => Value::Error(cell.value.clone().unwrap_or_default()),
        "d" => match &cell.value {
            Some(v) => Value::Text(v.trim().to_string()),
            None => Value::Empty,
        },
        "" | "n" => match cell.value.as_deref().map(str::trim) {
            None | Some("") => Value::Empty,
            Some(v) => {
                let x: f64 = v
                    .parse()
                    .map_err(|_| bad(format!("'{v}' is not a number")))?;
                if !x.is_finite() {
                    return Err(bad(format!("'{v}' is not a finite number")));
                }
                let is_date = cell
                    .style
                    .and_then(|s| ctx.date_styles.get(s))
                    .copied()
                    .unwrap_or(false);
                if is_date {
                    match serial_to_datetime(x, ctx.date1904) {
                        Some(dt) => Value::DateTime(dt),
                        None => Value::Duration(x),
                    }
                } else {
                    Value::Number(x)
                }
            }
        },
        other => return Err(bad(format!("unknown cell type '{other}'"))),
    })
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
