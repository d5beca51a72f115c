//! Errors of the interchange formats.
//!
//! Reading a file yields either a fully valid value or an [`ImportError`] listing *every* problem
//! found, each pointing at the row (as a person sees it in the spreadsheet: the header is row 1)
//! and the column where it is. Writing a file can only fail on I/O or encoding: [`ExportError`].

use std::fmt;

use parindex_domain::indicators::IndicatorProblemKind;
use parindex_domain::{EditionProblemKind, ResultProblemKind};

/// What a problem is when a check of the domain found it (`Edition::validate`,
/// `results::check_set`, `Indicator::problems`): the domain's own kind, so that the web says it in
/// the user's language and tests match it rather than the English `message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProblemKind {
    Edition(EditionProblemKind),
    Result(ResultProblemKind),
    Indicator(IndicatorProblemKind),
}

/// One problem in an imported file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based row number as seen in the spreadsheet or CSV (header = row 1, first data row = 2).
    pub row: Option<usize>,
    /// The column (its header as written in the file), or the field for TOML and JSON files.
    pub column: Option<String>,
    pub message: String,
    /// The message in Vietnamese, where the reader has one (the limits of the XLSX reader); the
    /// English `message` otherwise.
    pub message_vi: Option<String>,
    /// The domain's kind of the problem, when a check of the domain found it.
    pub kind: Option<ProblemKind>,
}

impl Problem {
    pub fn new(row: Option<usize>, column: Option<String>, message: impl Into<String>) -> Problem {
        Problem {
            row,
            column,
            message: message.into(),
            message_vi: None,
            kind: None,
        }
    }

    /// The problem with the domain's kind of it.
    pub fn with_kind(self, kind: ProblemKind) -> Problem {
        Problem {
            kind: Some(kind),
            ..self
        }
    }

    /// A problem with the file as a whole, in English and Vietnamese.
    pub fn file_bilingual(en: impl Into<String>, vi: impl Into<String>) -> Problem {
        Problem {
            message_vi: Some(vi.into()),
            ..Problem::file(en)
        }
    }

    /// The message in Vietnamese if it has one, else the English one.
    pub fn message_in(&self, vietnamese: bool) -> &str {
        match (&self.message_vi, vietnamese) {
            (Some(vi), true) => vi,
            _ => &self.message,
        }
    }

    /// A problem with the file as a whole.
    pub fn file(message: impl Into<String>) -> Problem {
        Problem::new(None, None, message)
    }

    /// A problem in one cell.
    pub fn cell(row: usize, column: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem::new(Some(row), Some(column.into()), message)
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

    /// An error with one problem about the file as a whole (unreadable, wrong type…).
    pub fn whole(file: impl Into<String>, message: impl Into<String>) -> ImportError {
        ImportError::new(file, vec![Problem::file(message)])
    }

    /// A workbook the bounded XLSX reader refused: the refusal in English and Vietnamese.
    pub fn xlsx(file: impl Into<String>, e: &crate::xlsx_read::XlsxError) -> ImportError {
        ImportError::new(file, vec![Problem::file_bilingual(e.to_string(), e.vi())])
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
                Problem::cell(3, "total", "'abc' is not a number"),
                Problem::new(Some(1), None, "no data"),
                Problem::new(None, Some("max_points".into()), "must be positive"),
                Problem::file("empty file"),
            ],
        );
        assert_eq!(
            e.to_string(),
            "results.csv: row 3, column 'total': 'abc' is not a number\n\
             results.csv: row 1: no data\n\
             results.csv: column 'max_points': must be positive\n\
             results.csv: empty file"
        );
    }
}
