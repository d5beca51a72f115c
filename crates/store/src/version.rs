//! The data version: a counter bumped after every write this process commits, so that read
//! models kept in memory (the web's page cache, the session cache) know when they are stale.
//!
//! Every write goes through one of three points, and each bumps the version *after* the commit
//! (or after the single statement) returns:
//! - [`WriteTx::commit`], the transaction every change opens with `Store::write_tx`;
//! - `Store::wrote`, called after each single-statement write made on the pool
//!   (notifications, reminders' claims, the language, sessions ended, sign-in throttling, the
//!   audit entries of events);
//! - the dossier import's own connections (`DossierImport::commit`).
//!
//! A reader takes the version *before* it reads and files what it computed under that version:
//! a write that commits while it reads bumps the version, so the result is never used. The
//! version lives in this process only; what another process writes (a `parindex` command run
//! beside the server) is seen when a cached entry's time to live ends (the web's cache).

use sqlx::AnyConnection;
use sqlx::{Any, Transaction};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The counter, shared by every clone of a [`crate::Store`].
#[derive(Clone, Debug, Default)]
pub struct DataVersion(Arc<AtomicU64>);

impl DataVersion {
    /// The current version.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Acquire)
    }

    /// Mark that something was written.
    pub(crate) fn bump(&self) {
        self.0.fetch_add(1, Ordering::AcqRel);
    }
}

/// A transaction that writes ([`crate::Store::write_tx`]): an sqlx transaction whose commit
/// bumps the data version. Statements run on it as on the transaction (`&mut *tx`); dropping
/// it rolls back, as sqlx's does.
pub(crate) struct WriteTx {
    tx: Transaction<'static, Any>,
    version: DataVersion,
}

impl WriteTx {
    pub(crate) fn new(tx: Transaction<'static, Any>, version: DataVersion) -> WriteTx {
        WriteTx { tx, version }
    }

    /// Commit, then bump the data version (also when the commit fails: whether anything was
    /// stored is then not known, and a needless bump only costs a cache refill).
    pub(crate) async fn commit(self) -> Result<(), sqlx::Error> {
        let r = self.tx.commit().await;
        self.version.bump();
        r
    }

    /// Roll back (nothing was stored: the version stays).
    #[allow(dead_code)]
    pub(crate) async fn rollback(self) -> Result<(), sqlx::Error> {
        self.tx.rollback().await
    }
}

impl std::ops::Deref for WriteTx {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        &self.tx
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }
}
