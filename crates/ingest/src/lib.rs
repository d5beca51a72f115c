//! Imports that read a file while storing it, shared by the `parindex` command and the web
//! upload: one-stop-shop dossier exports ([`dossiers`]), read by the streaming parallel reader
//! of `parindex-interchange` and stored by `parindex-store` in one transaction.

#![forbid(unsafe_code)]

pub mod dossiers;
mod error;
pub mod push;

pub use error::{IngestError, Result};
