//! The data version: a counter bumped after every write this process commits, so that read
//! models kept in memory (the web's page cache, the session cache) know when they are stale.
//!
//! Every write goes through one of three points, and each bumps the version *after* the commit
//! (or after the single statement) returns:
//! - [`WriteTx::commit`], the transaction every change opens with `Store::write_tx`;
//! - `Store::wrote_to`, called after each single-statement write made on the pool to the
//!   groups kept in this process only ([`Tables::LOCAL`]: sessions slid or ended, sign-in
//!   throttling); a single-statement write to any other group runs in a [`WriteTx`]
//!   (`Store::execute_for`: notifications, reminders' claims, the language, the audit entries
//!   of events);
//! - the dossier import's own connections (`DossierImport::commit`).
//!
//! A reader takes the version *before* it reads and files what it computed under that version:
//! a write that commits while it reads bumps the version, so the result is never used.
//!
//! **By table group.** Each write also says which groups of tables ([`Tables`]) it touched
//! (every group unless it says less: `Store::write_tx` means all of them, `Store::write_tx_for`
//! and `Store::wrote_to` name the groups), and the counter remembers, per
//! group, the version of the last write that touched it. A read model names the groups it reads
//! from and stays current while no write touched one of them since it was read
//! ([`DataVersion::stamp`]): a session slid or a language changed does not make the plan's
//! state stale; a monthly report does.
//!
//! **Writes of other processes.** The counter lives in this process; what another process
//! writes (a `parindex` command run beside the server, a second server on the same PostgreSQL
//! database) is seen through the database: every write transaction that touches a group of
//! [`Tables::SHARED`] also adds one to that group's row of the table `data_versions`, in the
//! same transaction (so the number changes exactly when the write commits). The store reads
//! that table (one small query) at most every `ConnectOptions::version_check` (250 ms by
//! default) when a read model or a page is asked for, and bumps here every group whose number
//! changed since it last looked ([`DataVersion::saw_database`]): a write of another process
//! makes stale what it touched within that time, and nothing else — so the read models of the
//! other groups are not read again on a clock. The groups of [`Tables::LOCAL`] (sessions slid on
//! many requests, sign-in attempts) are not counted there, so that they do not make every
//! request of every process update one row; what is read from them is kept for at most
//! [`crate::cache::TTL`] (two seconds), as before.

use crate::db::Backend;
use sqlx::AnyConnection;
use sqlx::{Any, Row, Transaction};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

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
    /// The groups whose writes are counted in this process only (a session slid on many
    /// requests, a sign-in attempt): what is read from them is kept for at most
    /// [`crate::cache::TTL`].
    pub const LOCAL: Tables = Tables::SESSIONS.and(Tables::SIGN_IN);
    /// The groups whose writes are also counted in the database (`data_versions`), so that
    /// every process sees them.
    pub const SHARED: Tables = Tables::ALL.without(Tables::LOCAL);

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

    /// The numbers of its shared groups (`data_versions.grp`: a group's bit), as an SQL list
    /// (`5,6`), or `None` when it has none.
    fn shared_list(self) -> Option<String> {
        let list: Vec<String> = self
            .without(Tables::LOCAL)
            .groups()
            .map(|g| g.to_string())
            .collect();
        (!list.is_empty()).then(|| list.join(","))
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
    /// Per group, its number in `data_versions` when this process last saw it (`None`: not
    /// yet seen).
    seen: Mutex<[Option<i64>; GROUPS]>,
    /// When `data_versions` was last read: nanoseconds since [`epoch`], plus one (0: never).
    checked: AtomicU64,
    /// Whether a request is reading `data_versions` now.
    checking: AtomicBool,
}

/// The instant the checks' times count from.
fn epoch() -> Instant {
    static E: OnceLock<Instant> = OnceLock::new();
    *E.get_or_init(Instant::now)
}

fn since_epoch(t: Instant) -> u64 {
    u64::try_from(t.saturating_duration_since(epoch()).as_nanos())
        .unwrap_or(u64::MAX - 1)
        .saturating_add(1)
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

    /// Whether `data_versions` is to be read now (it was last read `every` ago or more, and no
    /// other request is reading it): then the caller reads it, hands the numbers to
    /// [`DataVersion::saw_database`] and calls [`Check::done`] (a check dropped before, its
    /// request gone, lets the next request check).
    pub(crate) fn check_due(&self, every: Duration) -> Option<Check<'_>> {
        let now = Instant::now();
        let last = self.0.checked.load(Ordering::Acquire);
        let every = u64::try_from(every.as_nanos()).unwrap_or(u64::MAX);
        if last != 0 && since_epoch(now).saturating_sub(last) < every {
            return None;
        }
        if self.0.checking.swap(true, Ordering::AcqRel) {
            return None;
        }
        Some(Check {
            counters: &self.0,
            started: now,
        })
    }

    /// The numbers read from `data_versions` (group, number): every group whose number is not
    /// the one this process last saw was written by another process (or by this one, in a
    /// commit whose numbers it has not noted yet) and is bumped here — also at the first look,
    /// when what was read before it cannot be told from what was read after. Returns the groups
    /// bumped.
    pub(crate) fn saw_database(&self, numbers: &[(usize, i64)]) -> Tables {
        let mut changed = Tables(0);
        {
            let mut seen = self.0.seen.lock().unwrap_or_else(|p| p.into_inner());
            for &(g, n) in numbers {
                if g < GROUPS && seen[g] != Some(n) {
                    changed = changed.and(Tables(1 << g));
                    seen[g] = Some(n);
                }
            }
        }
        if changed != Tables(0) {
            self.bump_tables(changed);
        }
        changed
    }

    /// The numbers a commit of this process left in `data_versions` (group, number): not a
    /// change to see at the next check, since the commit has bumped its groups here.
    fn noted(&self, numbers: &[(usize, i64)]) {
        let mut seen = self.0.seen.lock().unwrap_or_else(|p| p.into_inner());
        for &(g, n) in numbers {
            if g < GROUPS && seen[g].is_none_or(|s| s < n) {
                seen[g] = Some(n);
            }
        }
    }
}

/// A check of `data_versions` under way ([`DataVersion::check_due`]).
pub(crate) struct Check<'a> {
    counters: &'a Counters,
    started: Instant,
}

impl Check<'_> {
    /// The check is over (read, or failed: tried again after the same time).
    pub(crate) fn done(self) {
        self.counters
            .checked
            .store(since_epoch(self.started), Ordering::Release);
    }
}

impl Drop for Check<'_> {
    fn drop(&mut self) {
        self.counters.checking.store(false, Ordering::Release);
    }
}

/// The statement that adds one to the numbers of `tables`' shared groups in `data_versions`,
/// giving back the new numbers, or `None` when it has no shared group. On PostgreSQL the rows
/// are locked in the order of their groups first, so that two writers never wait for each
/// other in a circle; a writer holds them from this statement (the last before its commit) to
/// its commit.
pub(crate) fn bump_sql(backend: Backend, tables: Tables) -> Option<String> {
    let list = tables.shared_list()?;
    Some(match backend {
        Backend::Sqlite => format!(
            "UPDATE data_versions SET version = version + 1 WHERE grp IN ({list}) \
             RETURNING grp, version"
        ),
        Backend::Postgres => format!(
            "UPDATE data_versions SET version = version + 1 WHERE grp IN \
             (SELECT grp FROM data_versions WHERE grp IN ({list}) ORDER BY grp FOR UPDATE) \
             RETURNING grp, version"
        ),
    })
}

/// The query that reads every group's number of `data_versions` as one text value
/// (`grp:version,…`), parsed by [`parse_numbers`].
pub(crate) fn numbers_sql(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => {
            "SELECT group_concat(grp || ':' || version, ',') FROM data_versions"
        }
        Backend::Postgres => {
            "SELECT string_agg(CAST(grp AS TEXT) || ':' || CAST(version AS TEXT), ',') FROM data_versions"
        }
    }
}

/// `grp:version,…` as (group, number) pairs; what does not parse is left out.
pub(crate) fn parse_numbers(text: &str) -> Vec<(usize, i64)> {
    text.split(',')
        .filter_map(|pair| {
            let (g, v) = pair.split_once(':')?;
            Some((g.trim().parse().ok()?, v.trim().parse().ok()?))
        })
        .collect()
}

/// A transaction that writes ([`crate::Store::write_tx`]): an sqlx transaction whose commit
/// bumps the data version. Statements run on it as on the transaction (`&mut *tx`); dropping
/// it rolls back, as sqlx's does.
pub(crate) struct WriteTx {
    tx: Transaction<'static, Any>,
    version: DataVersion,
    /// The groups of tables it writes (every group unless the opener said less).
    tables: Tables,
    backend: Backend,
}

impl WriteTx {
    pub(crate) fn new(
        tx: Transaction<'static, Any>,
        version: DataVersion,
        tables: Tables,
        backend: Backend,
    ) -> WriteTx {
        WriteTx {
            tx,
            version,
            tables,
            backend,
        }
    }

    /// Note that it also writes `tables` (the audit record does so for `audit_log`).
    pub(crate) fn touches(&mut self, tables: Tables) {
        self.tables = self.tables.and(tables);
    }

    /// Add one to its shared groups' numbers in `data_versions` (see the module), commit, then
    /// bump the data version (also when the commit fails: whether anything was stored is then
    /// not known, and a needless bump only costs a cache refill).
    pub(crate) async fn commit(mut self) -> Result<(), sqlx::Error> {
        let mut numbers = Vec::new();
        if let Some(sql) = bump_sql(self.backend, self.tables) {
            let rows = sqlx::query(&sql).fetch_all(&mut *self.tx).await?;
            for r in &rows {
                let g: i64 = r.try_get(0)?;
                let n: i64 = r.try_get(1)?;
                if let Ok(g) = usize::try_from(g) {
                    numbers.push((g, n));
                }
            }
        }
        let r = self.tx.commit().await;
        self.version.bump_tables(self.tables);
        if r.is_ok() {
            self.version.noted(&numbers);
        }
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
