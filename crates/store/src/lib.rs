//! ParIndex persistence: one repository API over sqlx's `Any` driver, on SQLite (the embedded
//! default: WAL, foreign keys on) and PostgreSQL (production). Each backend has its own embedded
//! migrations, applied when the store opens. Every multi-row change runs in one transaction and
//! writes an audit record; a failed change stores nothing.
//!
//! Decimals are stored as exact decimal text and parsed back into `rust_decimal::Decimal`;
//! timestamps as RFC 3339 text in UTC; searchable names also in a folded column (lower case,
//! no diacritics, `đ` → `d`).

// Unsafe code only where a module allows it: the SQLite bulk loader (`sqlite_bulk`).
#![deny(unsafe_code)]

pub mod assessments;
mod audit;
pub mod backup;
pub mod cache;
mod db;
mod dossiers;
mod editions;
mod error;
pub mod evidence;
pub mod files;
mod indicators;
mod pg_bulk;
mod plan_views;
mod plans;
mod publications;
mod pushed;
mod read_models;
mod refusal;
mod results;
mod retries;
#[allow(unsafe_code)] // SQLite's C API, for the dossier bulk load (see the module).
mod sqlite_bulk;
#[cfg(feature = "testing")]
pub mod testing;
mod throttle;
mod tokens;
mod units;
mod users;
mod version;
mod views;

pub use audit::{AuditEntry, AuditFilter};
pub use db::{
    date_audit_on, redact, timestamp_text, Backend, ConnectOptions, Store, VERSION_CHECK,
};
pub use dossiers::{
    DossierCell, DossierImport, DossierImportMeta, Explanation, ExplanationCount, OverdueEntry,
    OverdueRef, StoredCell,
};
pub use editions::EditionSummary;
pub use error::{Fault, Storage, StoreError};
pub use indicators::{IndicatorView, LinkedScore};
pub use plan_views::{AssignmentState, HeadRecord, PlanCounts, PlanState, TaskState, Tiles};
pub use plans::{
    Assignment, AttachmentInfo, Measure, NewAttachment, Notification, ReportInput, ATTACHMENT_LIMIT,
};
pub use publications::{
    DossierPeriod, NewPublication, Publication, PublicationKind, PublishedCell, DECISION_REF_LIMIT,
};
pub use pushed::{PushChange, PushRefusal, PushResult, PushedDossier};
pub use refusal::{Refusal, RefusalKind, Refusals};
pub use results::ResultsChange;
pub use throttle::{pair_key, ThrottleCount, ThrottleHit};
pub use tokens::{ApiToken, NewToken, LAST_USED_EVERY};
pub use users::{normalise_email, user_input_problems, Session, User, UserInput};
pub use version::{DataVersion, Tables};
pub use views::{HistoryPoint, NamedGap, RankedResults, ResultRow};

pub type Result<T> = std::result::Result<T, StoreError>;
