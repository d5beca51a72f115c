//! The data version: a counter bumped after every write this process commits, so that read
//! models kept in memory (the web's page cache, the session cache) know when they are stale.
//!
//! Every write goes through one of three points, and each bumps the version *after* the commit
//! (or after the single statement) returns:
//! - [`WriteTx::commit`], the transaction every change opens with `Store::write_tx`;
//! - `Store::wrote_to`, called after each single-statement write made on the pool
//!   (notifications, reminders' claims, the language, sessions ended, sign-in throttling, the
//!   audit entries of events);
//! - the dossier import's own connections (`DossierImport::commit`).
//!
//! A reader takes the version *before* it reads and files what it computed under that version:
//! a write that commits while it reads bumps the version, so the result is never used. The
//! version lives in this process only; what another process writes (a `parindex` command run
//! beside the server) is seen when a cached entry's time to live ends (the web's cache).
//!
//! **By table group.** Each write also says which groups of tables ([`Tables`]) it touched
//! (every group unless it says less: `Store::write_tx` means all of them, `Store::write_tx_for`
//! and `Store::wrote_to` name the groups), and the counter remembers, per
//! group, the version of the last write that touched it. A read model names the groups it reads
//! from and stays current while no write touched one of them since it was read
//! ([`DataVersion::stamp`]): a session slid or a language changed does not make the plan's
//! state stale; a monthly report does.

use sqlx::AnyConnection;
use sqlx::{Any, Transaction};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Groups of tables, as a set: what a write touched, what a read model reads from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Tables(u16);

impl Tables {
    /// `sessions`.
    pub const SESSIONS: Tables = Tables(1);
    /// `login_throttle`: sign-in throttling.
    pub const SIGN_IN: Tables = Tables(1 << 1);
    /// `users`.
    pub const USERS: Tables = Tables(1 << 2);
    /// `audit_log`.
    pub const AUDIT: Tables = Tables(1 << 3);
    /// `notifications`, `reminders_sent`.
    pub const NOTICES: Tables = Tables(1 << 4);
    /// The plan's document: `plans`, `plan_findings`, `plan_targets`, `plan_tasks`.
    pub const PLAN: Tables = Tables(1 << 5);
    /// The plan's work: `assignments`, `reports`, `attachments`, `measures`.
    pub const WORK: Tables = Tables(1 << 6);
    /// Every other table (editions, criteria, units, results, subjects, targets, indicators,
    /// dossiers, assessments, evidence, holidays, settings, …).
    pub const REST: Tables = Tables(1 << 7);
    /// Every table.
    pub const ALL: Tables = Tables((1 << GROUPS) - 1);

    /// Both sets.
    pub const fn and(self, other: Tables) -> Tables {
        Tables(self.0 | other.0)
    }

    /// This set without `other`'s groups.
    pub const fn without(self, other: Tables) -> Tables {
        Tables(self.0 & !other.0)
    }

    /// Whether the sets share a group.
    pub const fn meets(self, other: Tables) -> bool {
        self.0 & other.0 != 0
    }

    fn groups(self) -> impl Iterator<Item = usize> {
        (0..GROUPS).filter(move |g| self.0 & (1 << g) != 0)
    }
}

impl std::ops::BitOr for Tables {
    type Output = Tables;
    fn bitor(self, other: Tables) -> Tables {
        self.and(other)
    }
}

const GROUPS: usize = 8;

#[derive(Debug, Default)]
struct Counters {
    /// The version: the number of writes committed.
    now: AtomicU64,
    /// Per group, the version of the last write that touched it.
    last: [AtomicU64; GROUPS],
}

/// The counter, shared by every clone of a [`crate::Store`].
#[derive(Clone, Debug, Default)]
pub struct DataVersion(Arc<Counters>);

impl DataVersion {
    /// The current version.
    pub fn get(&self) -> u64 {
        self.0.now.load(Ordering::Acquire)
    }

    /// The version of the last write that touched one of `tables`: what was read at this
    /// version or later from those tables is current.
    pub fn stamp(&self, tables: Tables) -> u64 {
        tables
            .groups()
            .map(|g| self.0.last[g].load(Ordering::Acquire))
            .max()
            .unwrap_or(0)
    }

    /// Mark that something was written, in any table.
    pub(crate) fn bump(&self) {
        self.bump_tables(Tables::ALL);
    }

    /// Mark that `tables` were written.
    pub(crate) fn bump_tables(&self, tables: Tables) {
        let v = self.0.now.fetch_add(1, Ordering::AcqRel) + 1;
        for g in tables.groups() {
            self.0.last[g].fetch_max(v, Ordering::AcqRel);
        }
    }
}

/// A transaction that writes ([`crate::Store::write_tx`]): an sqlx transaction whose commit
/// bumps the data version. Statements run on it as on the transaction (`&mut *tx`); dropping
/// it rolls back, as sqlx's does.
pub(crate) struct WriteTx {
    tx: Transaction<'static, Any>,
    version: DataVersion,
    /// The groups of tables it writes (every group unless the opener said less).
    tables: Tables,
}

impl WriteTx {
    pub(crate) fn new(
        tx: Transaction<'static, Any>,
        version: DataVersion,
        tables: Tables,
    ) -> WriteTx {
        WriteTx {
            tx,
            version,
            tables,
        }
    }

    /// Note that it also writes `tables` (the audit record does so for `audit_log`).
    pub(crate) fn touches(&mut self, tables: Tables) {
        self.tables = self.tables.and(tables);
    }

    /// Commit, then bump the data version (also when the commit fails: whether anything was
    /// stored is then not known, and a needless bump only costs a cache refill).
    pub(crate) async fn commit(self) -> Result<(), sqlx::Error> {
        let r = self.tx.commit().await;
        self.version.bump_tables(self.tables);
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
