//! Fresh databases for tests: a SQLite file in a temporary folder always, and a new PostgreSQL
//! database on the server named by `TEST_DATABASE_URL` when that variable is set.

use crate::db::Store;
use crate::error::Context;
use crate::Result;
use sqlx::{Connection, Executor};

/// A store on a throw-away database. Call [`TestDb::cleanup`] at the end of the test.
pub struct TestDb {
    pub store: Store,
    /// Keeps the SQLite folder alive.
    dir: Option<std::path::PathBuf>,
    pg: Option<(String, String)>,
}

fn unique_name() -> String {
    format!("parindex_t_{}", uuid::Uuid::new_v4().simple())
}

impl TestDb {
    pub async fn sqlite() -> Result<TestDb> {
        let dir = std::env::temp_dir().join(unique_name());
        std::fs::create_dir_all(&dir).map_err(|e| {
            crate::StoreError::from_io(crate::Storage::Database, "creating", dir.clone(), &e)
        })?;
        let url = format!("sqlite://{}", dir.join("test.db").display());
        Ok(TestDb {
            store: Store::connect(&url).await?,
            dir: Some(dir),
            pg: None,
        })
    }

    /// `None` when `TEST_DATABASE_URL` is not set.
    pub async fn postgres() -> Result<Option<TestDb>> {
        let Ok(admin_url) = std::env::var("TEST_DATABASE_URL") else {
            return Ok(None);
        };
        if admin_url.trim().is_empty() {
            return Ok(None);
        }
        let name = unique_name();
        let mut admin = sqlx::PgConnection::connect(&admin_url)
            .await
            .ctx(|| "connecting to TEST_DATABASE_URL".into())?;
        admin
            .execute(format!("CREATE DATABASE {name}").as_str())
            .await
            .ctx(|| format!("creating database {name}"))?;
        admin
            .close()
            .await
            .ctx(|| "closing the admin connection".into())?;
        let url = with_database(&admin_url, &name);
        Ok(Some(TestDb {
            store: Store::connect(&url).await?,
            dir: None,
            pg: Some((admin_url, name)),
        }))
    }

    /// The URL of this database (for tests that start the CLI or the server).
    pub fn url(&self) -> String {
        match (&self.dir, &self.pg) {
            (Some(d), _) => format!("sqlite://{}", d.join("test.db").display()),
            (_, Some((admin, name))) => with_database(admin, name),
            _ => String::new(),
        }
    }

    /// A second store on this database whose writes fail as on a full disk
    /// ([`crate::StoreError::Full`]), for the tests of that fault:
    /// - SQLite: opened with `PRAGMA max_page_count` `spare` pages above the file's size (see
    ///   [`crate::ConnectOptions::sqlite_max_page_count`]): writes go on until SQLite answers
    ///   `SQLITE_FULL`, as on a full disk. Do not write through [`TestDb::store`] afterwards:
    ///   its connections have no such limit.
    /// - PostgreSQL has no size limit per database: a trigger on `audit_log`, which every
    ///   change writes, raises SQLSTATE 53100 `disk_full`, the error PostgreSQL gives when it
    ///   cannot extend a file; every change fails from now on (`spare` is not used).
    pub async fn full_store(&self, spare: u64) -> Result<Store> {
        let url = self.url();
        match self.store.backend() {
            crate::Backend::Sqlite => {
                let mut c = sqlx::SqliteConnection::connect(&url)
                    .await
                    .ctx(|| "opening the test database".into())?;
                let pages: i64 = sqlx::query_scalar("PRAGMA page_count")
                    .fetch_one(&mut c)
                    .await
                    .ctx(|| "reading its size".into())?;
                let _ = c.close().await;
                Store::connect_with(
                    &url,
                    &crate::ConnectOptions {
                        sqlite_max_page_count: Some(u64::try_from(pages).unwrap_or(0) + spare),
                        ..crate::ConnectOptions::default()
                    },
                )
                .await
            }
            crate::Backend::Postgres => {
                let mut c = sqlx::PgConnection::connect(&url)
                    .await
                    .ctx(|| "opening the test database".into())?;
                c.execute(
                    "CREATE FUNCTION test_disk_full() RETURNS trigger LANGUAGE plpgsql AS $$ \
                     BEGIN RAISE EXCEPTION 'could not extend file: No space left on device' \
                     USING ERRCODE = 'disk_full'; END $$",
                )
                .await
                .ctx(|| "creating the disk-full trigger".into())?;
                c.execute(
                    "CREATE TRIGGER test_disk_full BEFORE INSERT ON audit_log \
                     FOR EACH ROW EXECUTE FUNCTION test_disk_full()",
                )
                .await
                .ctx(|| "creating the disk-full trigger".into())?;
                let _ = c.close().await;
                Store::connect(&url).await
            }
        }
    }

    /// Close the pool and drop the database.
    pub async fn cleanup(self) {
        self.store.close().await;
        if let Some(d) = &self.dir {
            let _ = std::fs::remove_dir_all(d);
        }
        if let Some((admin_url, name)) = &self.pg {
            if let Ok(mut admin) = sqlx::PgConnection::connect(admin_url).await {
                let _ = admin
                    .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                    .await;
                let _ = admin.close().await;
            }
        }
    }
}

/// Replace the database name in a PostgreSQL URL.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// Run each named `async fn(&Store)` as two tests: `sqlite::NAME` on a fresh SQLite file, and
/// `postgres::NAME` on a fresh PostgreSQL database when `TEST_DATABASE_URL` is set (otherwise it
/// says so and passes). For the test crates of the workspace (they depend on tokio).
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let db = $crate::testing::TestDb::sqlite().await.expect("sqlite test database");
                    super::$name(&db.store).await;
                    db.cleanup().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    match $crate::testing::TestDb::postgres().await.expect("postgres test database") {
                        Some(db) => {
                            super::$name(&db.store).await;
                            db.cleanup().await;
                        }
                        None => eprintln!("TEST_DATABASE_URL not set: PostgreSQL run of {} skipped", stringify!($name)),
                    }
                }
            )*
        }
    };
}

#[cfg(test)]
mod tests {
    #[test]
    fn replaces_database() {
        assert_eq!(
            super::with_database("postgres://u@h:5432/test", "x"),
            "postgres://u@h:5432/x"
        );
        assert_eq!(
            super::with_database("postgres://u@h/test?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
        assert_eq!(
            super::with_database("postgres://u@h", "x"),
            "postgres://u@h/x"
        );
    }
}
