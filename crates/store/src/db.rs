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
            Err(StoreError::Invalid(format!(
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
}

impl Store {
    /// Open (creating a SQLite file if needed) and migrate.
    pub async fn connect(url: &str) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)?;
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
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
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
            postgres_url,
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
