//! ParIndex documents and reminders.
//!
//! - [`chairman`]: the Chairman's monthly report on the improvement plan. The data is gathered
//!   once ([`chairman_report_data`]); the Word document ([`chairman_docx`], in the state
//!   administrative-document format of Decree 30/2020/NĐ-CP) and the workbook
//!   ([`chairman_xlsx`]) are rendered from it by pure functions, so both hold the same content;
//!   the Word document and the PDF ([`chairman_pdf`]) lay out one [`document::ReportDocument`].
//! - [`pdf`]: every PDF, from one template engine (typst, in-process, with embedded templates
//!   and fonts): the Chairman's report and the table documents ([`TableDoc`]: the ranking annex,
//!   the self-scoring summary, the gap analysis).
//! - [`reminders`]: deadline reminders 7 days and 1 day before a due date and on becoming
//!   overdue, in-app and by e-mail ([`Mailer`], SMTP through lettre), each claimed once in the
//!   store so that a restarted job never sends one twice; [`spawn_daily_reminders`] runs them
//!   every day inside the server.
//!
//! Dates are civil dates in Asia/Ho_Chi_Minh, written dd/mm/yyyy; points are exact decimals
//! written with a decimal comma.

#![forbid(unsafe_code)]

pub mod chairman;
pub mod document;
mod docx;
mod error;
pub mod mail;
pub mod pdf;
pub mod reminders;
pub mod tables;
pub mod text;
mod xlsx;

pub use chairman::{chairman_report_data, parse_month, Letterhead, Outline, ReportData};
pub use document::chairman_pdf;
pub use docx::chairman_docx;
pub use error::ReportError;
pub use mail::Mailer;
pub use pdf::{table_pdf, DocRow, DocTable, TableDoc, PDF_TYPE};
pub use reminders::{run_reminders, spawn_daily_reminders, ReminderSummary, SentReminder};
pub use tables::{ranking_annex, ranking_pdf, summary_doc, summary_pdf};
pub use xlsx::chairman_xlsx;

pub type Result<T> = std::result::Result<T, ReportError>;
