//! Errors of the reports and reminders, each saying what was being done.

use parindex_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The store failed or refused (not found, invalid, database error).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Bad input from the caller (a month, a file extension, an e-mail address).
    #[error("{0}")]
    Invalid(String),
    /// A document could not be written.
    #[error("cannot write the {what}: {message}")]
    Render { what: &'static str, message: String },
    /// The mail transport could not be set up or a message could not be sent.
    #[error("e-mail: {0}")]
    Mail(String),
}

impl ReportError {
    pub(crate) fn docx(e: impl std::fmt::Display) -> ReportError {
        ReportError::Render {
            what: "Word document",
            message: e.to_string(),
        }
    }
    pub(crate) fn xlsx(e: impl std::fmt::Display) -> ReportError {
        ReportError::Render {
            what: "workbook",
            message: e.to_string(),
        }
    }
    /// Whether the error is the caller's (a 4xx), not the server's.
    pub fn is_not_found(&self) -> bool {
        matches!(self, ReportError::Store(StoreError::NotFound(_)))
    }
}
