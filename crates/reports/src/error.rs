//! Errors of the reports and reminders, each saying what was being done.

use parindex_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The store failed or refused (not found, invalid, database error).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A month written otherwise than `2021-08` or `08/2021`, or out of range.
    #[error("month: '{0}' is not a month like 2021-08")]
    BadMonth(String),
    /// The sender's address (`--mail-from`) cannot be used.
    #[error("mail-from: '{address}' is not an e-mail address ({reason})")]
    BadSender { address: String, reason: String },
    /// A recipient's address cannot be used.
    #[error("'{address}' is not an e-mail address ({reason})")]
    BadRecipient { address: String, reason: String },
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
    pub(crate) fn pdf(e: impl std::fmt::Display) -> ReportError {
        ReportError::Render {
            what: "PDF document",
            message: e.to_string(),
        }
    }
    pub(crate) fn xlsx(e: impl std::fmt::Display) -> ReportError {
        ReportError::Render {
            what: "workbook",
            message: e.to_string(),
        }
    }
    /// Whether the caller's input was refused (a 400), not the server's failure.
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            ReportError::BadMonth(_)
                | ReportError::BadSender { .. }
                | ReportError::BadRecipient { .. }
        )
    }
    /// Whether the error is the caller's (a 4xx), not the server's.
    pub fn is_not_found(&self) -> bool {
        matches!(self, ReportError::Store(StoreError::NotFound(_)))
    }
}
