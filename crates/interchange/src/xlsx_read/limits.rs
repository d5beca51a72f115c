//! The limits of the bounded XLSX reader, one set per kind of file, and its typed refusals in
//! English and Vietnamese.

use std::fmt;

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

pub(super) const MIB: u64 = 1024 * 1024;

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
pub(super) const RATIO_FLOOR: u64 = MIB;

/// The longest XML token (a text between tags, or one tag with its attributes): a cell holds at
/// most 32,767 characters, four bytes each, escaped.
pub(super) const MAX_TOKEN: u64 = 4 * MIB;

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

/// A size as the messages give it: `2 MiB`, else `N bytes`.
pub fn bytes(n: u64) -> String {
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
