//! ParIndex documents and reminders.
//!
//! - [`chairman`]: the Chairman's monthly report on the improvement plan. The data is gathered
//!   once ([`chairman_report_data`]); the Word document ([`chairman_docx`], in the state
//!   administrative-document format of Decree 30/2020/NĐ-CP) and the workbook
//!   ([`chairman_xlsx`]) are rendered from it by pure functions, so both hold the same content.
//! - [`reminders`]: deadline reminders 7 days and 1 day before a due date and on becoming
//!   overdue, in-app and by e-mail ([`Mailer`], SMTP through lettre), each claimed once in the
//!   store so that a restarted job never sends one twice; [`spawn_daily_reminders`] runs them
//!   every day inside the server.
//!
//! Dates are civil dates in Asia/Ho_Chi_Minh, written dd/mm/yyyy; points are exact decimals
//! written with a decimal comma.

#![forbid(unsafe_code)]

pub mod chairman;
mod docx;
mod error;
pub mod mail;
pub mod reminders;
pub mod text;
mod xlsx;

pub use chairman::{chairman_report_data, parse_month, Letterhead, Outline, ReportData};
pub use docx::chairman_docx;
pub use error::ReportError;
pub use mail::Mailer;
pub use reminders::{run_reminders, spawn_daily_reminders, ReminderSummary, SentReminder};
pub use xlsx::chairman_xlsx;

pub type Result<T> = std::result::Result<T, ReportError>;
