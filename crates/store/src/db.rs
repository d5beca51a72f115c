use crate::error::{Context, StoreError};
use crate::Result;
use rust_decimal::Decimal;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Executor, Row};
use std::str::FromStr;
use std::time::Duration;

/// Which database the store talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Result<Backend> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::Config(format!(
                "unsupported database URL '{}': use sqlite://FILE or postgres://…",
                redact(url)
            )))
        }
    }
}

/// Hide a password in a URL for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// How the store opens its database.
#[derive(Clone, Debug)]
pub struct ConnectOptions {
    /// How long a query waits for a connection (a free one, or a new one while the database
    /// does not answer) before it fails with [`StoreError::Unavailable`].
    pub acquire_timeout: Duration,
    /// SQLite only: the largest the database may grow, in pages (`PRAGMA max_page_count` on
    /// every connection, the bulk import's too); past it a write fails with `SQLITE_FULL`
    /// ([`StoreError::Full`]). For the tests of a full database, or to cap a file's size.
    pub sqlite_max_page_count: Option<u64>,
    /// How often, at most, the store reads the data versions that every process's writes leave
    /// in the database (`data_versions`, see [`crate::version`]) when a read model or a page
    /// kept in memory is asked for: a write made by another process shows within this time.
    /// Zero: before every such read (the tests of those writes).
    pub version_check: Duration,
}

/// [`ConnectOptions::version_check`] by default.
pub const VERSION_CHECK: Duration = Duration::from_millis(250);

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            acquire_timeout: Duration::from_secs(30),
            sqlite_max_page_count: None,
            version_check: VERSION_CHECK,
        }
    }
}

/// The repository.
#[derive(Clone, Debug)]
pub struct Store {
    pub(crate) pool: AnyPool,
    backend: Backend,
    /// A SQLite database in a file: its address, for the connections a bulk import opens
    /// beside the pool. `None` for PostgreSQL and in-memory SQLite.
    sqlite_file: Option<String>,
    /// A PostgreSQL database: its address, for the connection a bulk import opens beside the
    /// pool (`COPY` needs a typed connection).
    postgres_url: Option<String>,
    /// [`ConnectOptions::sqlite_max_page_count`], for those connections too.
    sqlite_max_page_count: Option<u64>,
    /// Bumped after every write (see [`crate::version`]).
    version: crate::version::DataVersion,
    /// Read models and sessions kept in memory (see [`crate::cache`]).
    read_cache: crate::cache::ReadCache,
    /// [`ConnectOptions::version_check`].
    version_check: Duration,
}

/// The file of a SQLite URL (`sqlite://FILE?…`, `sqlite:FILE`), unless it is in memory.
pub(crate) fn sqlite_path(url: &str) -> Option<std::path::PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path.is_empty() || path.contains(":memory:") || query.contains("mode=memory") {
        return None;
    }
    Some(std::path::PathBuf::from(path))
}

/// Before SQLite opens a file: the file must be writable, and its folder too unless the `-wal`
/// and `-shm` files are there and writable (WAL mode creates them beside the file). SQLite
/// itself opens a write-protected file read-only without a word and fails later, and the pool
/// retries a failing connection until its timeout: this says at once which file and why.
fn check_sqlite_writable(file: &std::path::Path) -> Result<()> {
    let unwritable =
        |place: &std::path::Path, context: &str, e: std::io::Error| StoreError::Unwritable {
            storage: crate::Storage::Database,
            place: Some(place.to_path_buf()),
            context: context.to_string(),
            detail: e.to_string(),
        };
    let open_rw = |p: &std::path::Path| {
        std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(p)
            .map(drop)
    };
    let exists = file.try_exists().unwrap_or(false);
    if exists {
        open_rw(file).map_err(|e| unwritable(file, "opening the SQLite file for writing", e))?;
    }
    let side = |suffix: &str| {
        let mut p = file.as_os_str().to_owned();
        p.push(suffix);
        std::path::PathBuf::from(p)
    };
    let (wal, shm) = (side("-wal"), side("-shm"));
    if exists && wal.exists() && shm.exists() {
        for p in [&wal, &shm] {
            open_rw(p).map_err(|e| unwritable(p, "opening the SQLite file for writing", e))?;
        }
        return Ok(());
    }
    let dir = match file.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let probe = dir.join(format!(".parindex-probe-{}", uuid::Uuid::new_v4().simple()));
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
    {
        Ok(f) => {
            drop(f);
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(e) => Err(unwritable(
            &dir,
            "creating files in the SQLite file's folder (the file itself, its -wal and -shm)",
            e,
        )),
    }
}

impl Store {
    /// Open (creating a SQLite file if needed) and migrate, with the default options.
    pub async fn connect(url: &str) -> Result<Store> {
        Store::connect_with(url, &ConnectOptions::default()).await
    }

    /// Open (creating a SQLite file if needed) and migrate. A SQLite file (or its folder) that
    /// cannot be written is refused at once ([`StoreError::Unwritable`], naming it).
    pub async fn connect_with(url: &str, options: &ConnectOptions) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)?;
        if backend == Backend::Sqlite {
            if let Some(file) = sqlite_path(url) {
                check_sqlite_writable(&file)?;
            }
        }
        let max_pages = options.sqlite_max_page_count;
        let mut url = url.to_string();
        let max = match backend {
            Backend::Sqlite => {
                if !url.contains("mode=") && !url.contains(":memory:") {
                    url.push_str(if url.contains('?') {
                        "&mode=rwc"
                    } else {
                        "?mode=rwc"
                    });
                }
                4
            }
            Backend::Postgres => 8,
        };
        let pool = AnyPoolOptions::new()
            .max_connections(max)
            .acquire_timeout(options.acquire_timeout)
            // An idle connection is pinged before it is handed out: one the server closed
            // (`pg_terminate_backend`, a restart) is replaced, not given to a second request.
            .test_before_acquire(true)
            // A connection still counted as inside a transaction is closed, not handed out: when
            // a COMMIT fails because the disk is full, SQLite has already rolled back, the
            // driver's own ROLLBACK then fails and its transaction depth stays at one, and the
            // next `BEGIN IMMEDIATE` on that connection would be refused ("begin_with at non-zero
            // transaction depth"). Checked at acquire, after the release ping has flushed any
            // rollback a dropped transaction queued.
            .before_acquire(|conn, _meta| {
                Box::pin(async move { Ok(!sqlx::Connection::is_in_transaction(conn)) })
            })
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        if let Some(n) = max_pages {
                            conn.execute(format!("PRAGMA max_page_count = {n}").as_str())
                                .await?;
                        }
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                        conn.execute("PRAGMA busy_timeout = 10000").await?;
                        conn.execute("PRAGMA synchronous = NORMAL").await?;
                        // Statement journals (multi-row inserts) and temporary tables in
                        // memory rather than in temporary files.
                        conn.execute("PRAGMA temp_store = MEMORY").await?;
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await
            .ctx(|| format!("opening {}", redact(&url)))?;
        let sqlite_file = (backend == Backend::Sqlite
            && !url.contains(":memory:")
            && !url.contains("mode=memory"))
        .then(|| url.clone());
        let postgres_url = (backend == Backend::Postgres).then(|| url.clone());
        let store = Store {
            pool,
            backend,
            sqlite_file,
            sqlite_max_page_count: max_pages,
            postgres_url,
            version: crate::version::DataVersion::default(),
            read_cache: crate::cache::ReadCache::default(),
            version_check: options.version_check,
        };
        store.migrate().await?;
        Ok(store)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The address of the SQLite file, when the database is one.
    pub(crate) fn sqlite_file_url(&self) -> Option<&str> {
        self.sqlite_file.as_deref()
    }

    /// [`ConnectOptions::sqlite_max_page_count`].
    pub(crate) fn sqlite_max_page_count(&self) -> Option<u64> {
        self.sqlite_max_page_count
    }

    /// The address of the PostgreSQL database, when the database is one.
    pub(crate) fn postgres_url(&self) -> Option<&str> {
        self.postgres_url.as_deref()
    }

    /// Apply this backend's embedded migrations.
    pub async fn migrate(&self) -> Result<()> {
        match self.backend {
            Backend::Sqlite => {
                sqlx::migrate!("./migrations/sqlite")
                    .run(&self.pool)
                    .await?
            }
            Backend::Postgres => {
                sqlx::migrate!("./migrations/postgres")
                    .run(&self.pool)
                    .await?
            }
        }
        Ok(())
    }

    /// A transaction that writes. On SQLite it takes the write lock when it begins
    /// (`BEGIN IMMEDIATE`, waiting for another writer up to the busy timeout): a deferred
    /// transaction that reads before it writes fails at once with "database is locked"
    /// (SQLITE_BUSY_SNAPSHOT) when another connection commits in between, and no busy timeout
    /// helps with that (tests/sqlite_writers.rs). On PostgreSQL an ordinary transaction.
    pub(crate) async fn write_tx(
        &self,
    ) -> std::result::Result<crate::version::WriteTx, sqlx::Error> {
        self.write_tx_for(crate::Tables::ALL).await
    }

    /// [`Store::write_tx`] for a change that writes only `tables` (and `audit_log` when it
    /// records an audit entry): read models of other tables stay current when it commits.
    pub(crate) async fn write_tx_for(
        &self,
        tables: crate::Tables,
    ) -> std::result::Result<crate::version::WriteTx, sqlx::Error> {
        let tx = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        };
        Ok(crate::version::WriteTx::new(
            tx,
            self.version.clone(),
            tables,
            self.backend,
        ))
    }

    /// Run one statement that writes `tables`: in a [`Store::write_tx_for`] transaction when
    /// they hold a group counted in the database ([`crate::Tables::SHARED`]: the statement and
    /// the count commit together), else alone on the pool, then [`Store::wrote_to`].
    pub(crate) async fn execute_for<'q>(
        &self,
        tables: crate::Tables,
        query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    ) -> std::result::Result<sqlx::any::AnyQueryResult, sqlx::Error> {
        if !tables.meets(crate::Tables::SHARED) {
            let r = query.execute(&self.pool).await?;
            self.wrote_to(tables);
            return Ok(r);
        }
        let mut tx = self.write_tx_for(tables).await?;
        let r = query.execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(r)
    }

    /// Read the data versions that every process's writes leave in the database
    /// (`data_versions`), when they were last read [`ConnectOptions::version_check`] ago or more
    /// and no other request is reading them, and make stale here what another process has
    /// written since (see [`crate::version`]). A failure is logged, not returned: the read that
    /// follows meets the same database and says what is wrong; the check is tried again after
    /// the same time.
    pub async fn check_versions(&self) {
        let Some(check) = self.version.check_due(self.version_check) else {
            return;
        };
        let read: std::result::Result<Option<String>, sqlx::Error> =
            sqlx::query_scalar(crate::version::numbers_sql(self.backend))
                .fetch_one(&self.pool)
                .await;
        match read {
            Ok(text) => {
                let numbers = crate::version::parse_numbers(text.as_deref().unwrap_or(""));
                self.version.saw_database(&numbers);
            }
            Err(e) => tracing::warn!(error = %e, "reading the data versions"),
        }
        check.done();
    }

    /// The data version: bumped after every write this process commits (see
    /// [`crate::version`]); read models kept in memory are filed under the version read before
    /// they were read.
    pub fn data_version(&self) -> u64 {
        self.version.get()
    }

    /// After a single-statement write on the pool to `tables` only, all of them kept in this
    /// process only ([`crate::Tables::LOCAL`]; a write to another group goes through
    /// [`Store::execute_for`] or a [`Store::write_tx_for`] transaction).
    pub(crate) fn wrote_to(&self, tables: crate::Tables) {
        self.version.bump_tables(tables);
    }

    /// The read models kept in memory.
    pub(crate) fn read_cache(&self) -> &crate::cache::ReadCache {
        &self.read_cache
    }

    /// The counter, for the read cache.
    pub(crate) fn version(&self) -> &crate::version::DataVersion {
        &self.version
    }

    /// The counter itself, for the connections a dossier import opens beside the pool.
    pub(crate) fn version_handle(&self) -> crate::version::DataVersion {
        self.version.clone()
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .ctx(|| "checking the database".into())?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

pub(crate) fn now_text() -> String {
    timestamp_text(jiff::Timestamp::now())
}

/// The day the application's clock is fixed on (`--as-of`, the demo's clock), when it is.
static AUDIT_DAY: std::sync::OnceLock<jiff::civil::Date> = std::sync::OnceLock::new();

/// Date the audit log's entries on `day` (at the real time of day, Asia/Ho_Chi_Minh) rather than
/// on the real date, for the rest of the process: a server or a command run with `--as-of` (the
/// demo: 15/08/2021) records what is done "today" on its own today, so that its log does not
/// say things happened years after the day every page shows. Set once; later calls are ignored.
/// Sessions, sign-in throttling and the other stored moments keep the real time.
pub fn date_audit_on(day: jiff::civil::Date) {
    let _ = AUDIT_DAY.set(day);
}

/// The moment an audit entry records: now, or now's time of day on the fixed day
/// ([`date_audit_on`]).
pub(crate) fn audit_time() -> String {
    audit_time_on(AUDIT_DAY.get().copied(), jiff::Timestamp::now())
}

fn audit_time_on(day: Option<jiff::civil::Date>, now: jiff::Timestamp) -> String {
    let Some(day) = day else {
        return timestamp_text(now);
    };
    let tz = jiff::tz::TimeZone::fixed(jiff::tz::offset(7));
    let time = now.to_zoned_datetime(tz.clone()).time();
    match tz.to_timestamp(day.to_datetime(time)) {
        Ok(t) => timestamp_text(t),
        Err(_) => timestamp_text(now),
    }
}

/// The moment stored for something done on `day` (Asia/Ho_Chi_Minh): now when `day` is
/// today, else 09:00 of that day (a fixed clock, `--as-of`, or the demo's history), so that a
/// record is never dated after the day it was made on.
pub(crate) fn stamp_on(day: jiff::civil::Date) -> String {
    let now = jiff::Timestamp::now();
    let tz = jiff::tz::TimeZone::fixed(jiff::tz::offset(7));
    if now.to_zoned_datetime(tz.clone()).date() == day {
        return timestamp_text(now);
    }
    match tz.to_timestamp(day.at(9, 0, 0, 0)) {
        Ok(t) => timestamp_text(t),
        Err(_) => timestamp_text(now),
    }
}

/// A UTC timestamp as stored: `YYYY-MM-DDTHH:MM:SSZ`, whole seconds, so that text order is time order.
pub fn timestamp_text(ts: jiff::Timestamp) -> String {
    ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

pub(crate) fn dec(s: &str, what: &str) -> Result<Decimal> {
    Decimal::from_str(s).map_err(|_| StoreError::Corrupt(format!("{what}: '{s}' is not a decimal")))
}

pub(crate) fn opt_dec(s: Option<String>, what: &str) -> Result<Option<Decimal>> {
    s.map(|v| dec(&v, what)).transpose()
}

pub(crate) fn get<'r, T>(row: &'r AnyRow, col: &str) -> Result<T>
where
    T: sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    row.try_get(col).ctx(|| format!("reading column {col}"))
}

pub(crate) fn to_u32(v: Option<i64>, what: &str) -> Result<Option<u32>> {
    v.map(|x| {
        u32::try_from(x).map_err(|_| StoreError::Corrupt(format!("{what}: {x} out of range")))
    })
    .transpose()
}

#[cfg(test)]
mod audit_time_tests {
    use super::*;

    #[test]
    fn the_audit_is_dated_on_the_fixed_day_at_the_real_time_of_day() {
        let now: jiff::Timestamp = "2026-12-07T19:43:45Z".parse().unwrap();
        assert_eq!(audit_time_on(None, now), "2026-12-07T19:43:45Z");
        // 19:43 UTC is 02:43 on the 8th in Vietnam: the fixed day at 02:43 (+07:00).
        assert_eq!(
            audit_time_on(Some(jiff::civil::date(2021, 8, 15)), now),
            "2021-08-14T19:43:45Z"
        );
    }
}
