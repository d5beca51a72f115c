//! Errors of the interchange formats.
//!
//! Reading a file yields either a fully valid value or an [`ImportError`] listing *every* problem
//! found, each pointing at the row (as a person sees it in the spreadsheet: the header is row 1)
//! and the column where it is. Writing a file can only fail on I/O or encoding: [`ExportError`].

use std::fmt;

use parindex_domain::assessment::ItemError;
use parindex_domain::indicators::{IndicatorProblemKind, ValueProblem};
use parindex_domain::score::NumberProblem;
use parindex_domain::{CodeProblem, EditionProblemKind, ResultProblemKind};
use rust_decimal::Decimal;

/// What a problem is, typed: a check of the domain (`Edition::validate`, `results::check_set`,
/// `Indicator::problems`) by the domain's own kind, or the reader's own problem with the file,
/// a sheet's header or a cell ([`ReadProblem`]) — so that the web says it in the user's language
/// and tests match it rather than the English `message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProblemKind {
    Edition(EditionProblemKind),
    Result(ResultProblemKind),
    Indicator(IndicatorProblemKind),
    Read(ReadProblem),
}

/// The name of a file's extension in a message: `'.xls'`, or `(no extension)`.
fn ext_text(ext: &Option<String>) -> String {
    match ext {
        Some(e) => format!("'.{e}'"),
        None => "(no extension)".into(),
    }
}

fn syntax_at(line: &Option<usize>, column: &Option<usize>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!("line {l}, character {c}: "),
        (Some(l), None) => format!("line {l}: "),
        _ => String::new(),
    }
}

fn hint_text(hint: &Option<String>) -> String {
    match hint {
        Some(h) => format!("; did you mean '{h}'?"),
        None => String::new(),
    }
}

fn first_text(first_row: &Option<usize>) -> String {
    match first_row {
        Some(r) => format!(" (first on row {r})"),
        None => String::new(),
    }
}

/// A reader's problem with a file, a sheet's header or one cell. The English text is the
/// problem's `Display`; the web words each kind from its catalogue (`refusal.read.*`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadProblem {
    /// The file's extension is not one this import reads (`hint`: the ones it does, e.g.
    /// `.csv, .xlsx or .json`).
    #[error("unsupported file type {}; use {hint}", ext_text(.ext))]
    UnsupportedType {
        ext: Option<String>,
        hint: &'static str,
    },
    /// The file cannot be read at all (the system's reason).
    #[error("cannot be read: {detail}")]
    Unreadable { detail: String },
    #[error("is not UTF-8 text (save it as UTF-8, e.g. \"CSV UTF-8\" in Excel)")]
    NotUtf8,
    #[error("the workbook has no sheets")]
    NoSheets,
    /// A TOML or JSON file where a table (CSV, XLSX) is read.
    #[error("is not a table")]
    NotATable,
    /// A TOML or JSON file its parser refuses (`line`: 1-based, when known; `detail`: the
    /// parser's words).
    #[error("{}{detail}", syntax_at(.line, .column))]
    Syntax {
        line: Option<usize>,
        column: Option<usize>,
        detail: String,
    },
    /// A CSV file given as a whole edition.
    #[error("a CSV file holds only the criteria table; read it with the edition it belongs to")]
    CriteriaOnly,
    #[error("the workbook has no 'Edition' sheet (field | value)")]
    NoEditionSheet,
    /// A CSV line the CSV reader refuses (`line`: 1-based).
    #[error("row {line}: {detail}")]
    Csv { line: usize, detail: String },
    /// A cell holding a control character (`row`: 1-based, `column`: `B`).
    #[error(
        "row {row}, column {column}: the cell holds the control character U+{code:04X}, which no text may contain"
    )]
    ControlCharacter {
        row: usize,
        column: String,
        code: u32,
    },
    /// A cell longer than Excel allows.
    #[error("row {row}, column {column}: the cell holds more than {max} characters")]
    CellTooLong {
        row: usize,
        column: String,
        max: usize,
    },
    /// Values under a column without a header (`index`: 1-based).
    #[error("column {index} has values but no header")]
    Unlabelled { index: usize },
    #[error("the same column appears twice ('{first}' and '{second}')")]
    ColumnTwice { first: String, second: String },
    #[error("unknown column '{header}'")]
    UnknownColumn { header: String },
    /// A `component:` column naming no component of the edition.
    #[error("unknown column '{header}': the edition has no component '{code}'")]
    NoSuchComponent { header: String, code: String },
    /// A `score:`/`rank:` column naming no area or criterion of the edition.
    #[error("unknown column '{header}': the edition has no area or criterion {code}")]
    NoSuchNode { header: String, code: String },
    /// A `score:`/`rank:` column whose code cannot be read.
    #[error("unknown column '{header}': {problem}")]
    BadNodeColumn {
        header: String,
        problem: CodeProblem,
    },
    #[error("the header row is missing or empty")]
    NoHeader,
    /// A required column is missing (`label`: its English and Vietnamese names).
    #[error("the required column '{label}' is missing")]
    MissingColumn { label: String },
    /// A cell a required value is missing from.
    #[error("the cell is empty")]
    Empty,
    /// A spreadsheet error value (`#N/A`).
    #[error("the cell holds the error {code}")]
    CellError { code: String },
    /// A time or a duration where a value is read.
    #[error("a time or a duration, not a date")]
    Duration,
    /// A spreadsheet number that is no exact decimal.
    #[error("{value} cannot be read as an exact decimal")]
    Inexact { value: String },
    #[error("{0}")]
    Number(NumberProblem),
    #[error("'{value}' is not a whole number")]
    NotWhole { value: String },
    #[error("'{value}' is not yes or no (write yes/no, true/false, 1/0, x, có/không)")]
    NotYesNo { value: String },
    #[error("'{value}' is not a date (write dd/mm/yyyy or yyyy-mm-dd)")]
    NotADate { value: String },
    /// A date of the right form that does not exist (`31/02/2021`).
    #[error("'{value}' is not a valid date")]
    NoSuchDate { value: String },
    /// A criterion code that cannot be read.
    #[error("{0}")]
    Code(CodeProblem),
    /// The bounded XLSX reader refused the workbook (a limit, a damaged or foreign file).
    #[error("{0}")]
    Xlsx(crate::xlsx_read::XlsxError),
    /// Not a slug (`a-z`, `0-9`, `-`); `hint`: the slug the text would make.
    #[error("'{value}' is not a slug (a-z, 0-9, -){}", hint_text(.hint))]
    NotASlug { value: String, hint: Option<String> },
    /// Longer than the field takes.
    #[error("longer than {max} characters")]
    TooLong { max: usize },
    #[error("'{value}' is not a unit type (province, department, district, commune, other)")]
    NotAUnitType { value: String },
    /// Parts of a list of unit types that are none.
    #[error("'{}' is not a unit type (province, department, district, commune, other)", .values.join("', '"))]
    NotUnitTypes { values: Vec<String> },
    #[error("'{value}' is not a level (province, department, district, commune)")]
    NotALevel { value: String },
    /// A scoring rule's JSON that cannot be read (the parser's reason).
    #[error("not a valid scoring rule (JSON such as {{\"kind\": \"manual\", \"step\": \"0.25\"}}): {detail}")]
    NotARule { detail: String },
    /// A row of a field | value sheet without the field's name.
    #[error("a value without a field name in the first column")]
    NoFieldName,
    #[error("unknown field '{field}'")]
    UnknownField { field: String },
    #[error("the field appears twice (also on row {first_row})")]
    FieldTwice { first_row: usize },
    #[error("the field '{field}' is missing or empty")]
    MissingField { field: String },
    /// A self-scoring summary table without its header line (`stt`, `self_score`: the columns
    /// looked for).
    #[error("no header line with the columns '{stt}' and '{self_score}': is this a self-scoring summary table?")]
    NoSummaryHeader {
        stt: &'static str,
        self_score: &'static str,
    },
    #[error("the table has no criterion lines")]
    NoCriterionLines,
    /// A code the edition has no criterion of.
    #[error("{code} is not a criterion of {edition}")]
    NotACriterion { code: String, edition: String },
    #[error("{code} appears twice (first on row {first_row})")]
    CodeTwice { code: String, first_row: usize },
    /// A maximum that differs from the edition's (`here`, `there`: `—` when none).
    #[error("{code} has max {here} here but {there} in {edition}: is this the table of another criteria set?")]
    MaxDiffers {
        code: String,
        here: String,
        there: String,
        edition: String,
    },
    /// A decimal in a TOML file written as a float that is no exact decimal.
    #[error("{value} (line {line}) cannot be read as an exact decimal; write it as a string, e.g. \"66.5\"")]
    InexactAt { value: String, line: usize },
    /// A self-score for a criterion scored by the survey.
    #[error("{code}: survey-scored: it is not self-scored; leave the cell empty")]
    NotSelfScored { code: String },
    /// A self-score for a criterion whose score is computed from a declared figure, without
    /// the figure.
    #[error("{code}: this score is computed from a declared figure (a number or a rate): enter the figure in the column 'Số liệu kê khai' (download the table again if it has none) and leave the score empty or as the figure gives it")]
    FromAFigure { code: String },
    /// A figure (`Số liệu kê khai`) on a line whose criterion is not scored from one.
    #[error("{code}: this criterion is not scored from a declared figure; leave the cell empty")]
    FigureNotTaken { code: String },
    /// A self-score typed beside a figure that gives another score.
    #[error("{code}: the figure {figure} gives {score} points, not {typed}: correct the self-score or leave it empty")]
    FigureGivesOther {
        code: String,
        figure: Decimal,
        score: Decimal,
        typed: Decimal,
    },
    /// A self-score the criterion's rule refuses.
    #[error("{code}: {problem}")]
    Score { code: String, problem: ItemError },
    #[error("{code}: {score} cannot be given")]
    CannotBeGiven { code: String, score: Decimal },
    #[error("{code}: no answer of this criterion gives {score} points")]
    NoAnswerGives { code: String, score: Decimal },
    #[error("{code}: several answers give {score} points: choose one in the application")]
    SeveralAnswersGive { code: String, score: Decimal },
    /// A value not among those the field takes (an indicator's measure, direction, …).
    #[error("'{value}' is not one of {}", .allowed.join(", "))]
    NotOneOf {
        value: String,
        allowed: &'static [&'static str],
    },
    /// An indicator's id given twice.
    #[error("'{id}' is defined twice")]
    DefinedTwice { id: String },
    /// An observation's value that cannot be built from what was given.
    #[error("{0}")]
    Value(ValueProblem),
    /// A value for an indicator the file does not know.
    #[error("unknown indicator '{value}'")]
    UnknownIndicator { value: String },
    #[error("'{value}' is not a period (2021, 2021-H1, 2021-Q3, 2021-06)")]
    NotAPeriod { value: String },
    /// A second value for the same indicator, unit and period.
    #[error("a second value for {indicator} in {period} (first on row {first_row})")]
    SecondValue {
        indicator: String,
        period: String,
        first_row: usize,
    },
    #[error("unknown parent '{value}': neither in the file nor a known unit")]
    UnknownParent { value: String },
    #[error("a unit cannot be its own parent")]
    OwnParent,
    /// A slug given twice in the file (`first_row`: where first, for a table).
    #[error("duplicate slug '{slug}'{}", first_text(.first_row))]
    DuplicateSlug {
        slug: String,
        first_row: Option<usize>,
    },
    /// A subject neither known nor a name of one.
    #[error("unknown subject '{value}'")]
    UnknownSubject { value: String },
    #[error("there are no results in the file")]
    NoResults,
    #[error("'{value}' is not 'overall' (tổng thể) or an area code: {problem}")]
    NotAScope { value: String, problem: CodeProblem },
    #[error("a target rank starts at 1")]
    RankZero,
    /// A second target for the same subject, scope and edition.
    #[error("a second target for {subject} on {scope} in {edition}{}", first_text(.first_row))]
    SecondTarget {
        subject: String,
        scope: String,
        edition: String,
        first_row: Option<usize>,
    },
}

/// One problem in an imported file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based row number as seen in the spreadsheet or CSV (header = row 1, first data row = 2).
    pub row: Option<usize>,
    /// The column (its header as written in the file), or the field for TOML and JSON files.
    pub column: Option<String>,
    /// The problem in English (its kind's words), for the command line and the log.
    pub message: String,
    /// The sheet of a workbook the problem is in, when the file has several.
    pub sheet: Option<String>,
    /// The problem's kind, typed: what the interface words in the reader's language (the
    /// English `message` is its text, with the sheet or the first row where it says more).
    pub kind: ProblemKind,
}

impl Problem {
    /// A problem of a kind, with its English text (the kind's, or more).
    pub fn new(
        row: Option<usize>,
        column: Option<String>,
        message: impl Into<String>,
        kind: ProblemKind,
    ) -> Problem {
        Problem {
            row,
            column,
            message: message.into(),
            sheet: None,
            kind,
        }
    }

    /// A problem the reader found, typed (its English text is the kind's).
    pub fn read(row: Option<usize>, column: Option<String>, kind: ReadProblem) -> Problem {
        Problem::new(row, column, kind.to_string(), ProblemKind::Read(kind))
    }

    /// The reader's kind of the problem, if it is one.
    pub fn read_kind(&self) -> Option<&ReadProblem> {
        match &self.kind {
            ProblemKind::Read(k) => Some(k),
            _ => None,
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.row, &self.column) {
            (Some(r), Some(c)) => write!(f, "row {r}, column '{c}': ")?,
            (Some(r), None) => write!(f, "row {r}: ")?,
            (None, Some(c)) => write!(f, "column '{c}': ")?,
            (None, None) => {}
        }
        f.write_str(&self.message)
    }
}

/// Every problem found in one imported file. A reader never returns a partially valid result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    pub file: String,
    pub problems: Vec<Problem>,
}

impl ImportError {
    pub fn new(file: impl Into<String>, problems: Vec<Problem>) -> ImportError {
        ImportError {
            file: file.into(),
            problems,
        }
    }

    /// An error with one typed problem about the file as a whole.
    pub fn read(file: impl Into<String>, kind: ReadProblem) -> ImportError {
        ImportError::new(file, vec![Problem::read(None, None, kind)])
    }

    /// The kinds of the reader's problems, in order.
    pub fn read_kinds(&self) -> impl Iterator<Item = &ReadProblem> {
        self.problems.iter().filter_map(Problem::read_kind)
    }

    /// A workbook the bounded XLSX reader refused.
    pub fn xlsx(file: impl Into<String>, e: &crate::xlsx_read::XlsxError) -> ImportError {
        ImportError::read(file, ReadProblem::Xlsx(e.clone()))
    }
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.problems.is_empty() {
            return write!(f, "{}: could not be read", self.file);
        }
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{}: {p}", self.file)?;
        }
        Ok(())
    }
}

impl std::error::Error for ImportError {}

/// A TOML file its parser refuses, at the line and character it names.
pub fn toml_syntax(text: &str, e: &toml::de::Error) -> ReadProblem {
    let (line, column) = match e.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let column = before
                .rsplit('\n')
                .next()
                .map(|l| l.chars().count() + 1)
                .unwrap_or(1);
            (Some(before.matches('\n').count() + 1), Some(column))
        }
        None => (None, None),
    };
    ReadProblem::Syntax {
        line,
        column,
        detail: e.message().trim().to_string(),
    }
}

/// A JSON file its parser refuses, at the line it names.
pub fn json_syntax(e: &serde_json::Error) -> ReadProblem {
    ReadProblem::Syntax {
        line: (e.line() > 0).then_some(e.line()),
        column: (e.column() > 0).then_some(e.column()),
        detail: e.to_string(),
    }
}

/// A file could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{0}: unsupported file type; use {1}")]
    UnsupportedExtension(String, &'static str),
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("CSV: {0}")]
    Csv(#[from] csv::Error),
    #[error("XLSX: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("TOML: {0}")]
    Toml(#[from] toml::ser::Error),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_one_line_per_problem_and_omits_missing_parts() {
        let e = ImportError::new(
            "results.csv",
            vec![
                Problem::read(
                    Some(3),
                    Some("total".into()),
                    ReadProblem::Inexact {
                        value: "abc".into(),
                    },
                ),
                Problem::read(Some(1), None, ReadProblem::NoHeader),
                Problem::read(
                    None,
                    Some("max_points".into()),
                    ReadProblem::TooLong { max: 5 },
                ),
                Problem::read(None, None, ReadProblem::Empty),
            ],
        );
        let lines: Vec<String> = e.to_string().lines().map(str::to_string).collect();
        assert_eq!(lines.len(), 4);
        assert!(lines[0].starts_with("results.csv: row 3, column 'total': "));
        assert!(lines[1].starts_with("results.csv: row 1: "));
        assert!(lines[2].starts_with("results.csv: column 'max_points': "));
        assert_eq!(lines[3], format!("results.csv: {}", ReadProblem::Empty));
    }
}
