//! The database as the crash-kill test sees it after a kill: a connection of its own (SQLite
//! through sqlx's SQLite driver, PostgreSQL through its PostgreSQL driver), the integrity checks,
//! and the answers of a scenario's queries read in one snapshot.

use sqlx::postgres::PgConnection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{Column, Connection, Row};
use std::path::Path;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

enum Conn {
    Sqlite(SqliteConnection),
    Pg(PgConnection),
}

/// One connection to a scenario's database, with the runtime that drives it.
pub struct Db {
    rt: tokio::runtime::Runtime,
    conn: Conn,
    backend: Backend,
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime for the checks")
}

/// A cell as text: `∅` for null, integers and reals as written, bytes in hexadecimal.
macro_rules! cell_text {
    ($row:expr, $i:expr) => {{
        let row = $row;
        let i = $i;
        if let Ok(v) = row.try_get::<Option<String>, _>(i) {
            v.unwrap_or_else(|| "∅".to_string())
        } else if let Ok(v) = row.try_get::<Option<i64>, _>(i) {
            v.map_or_else(|| "∅".to_string(), |x| x.to_string())
        } else if let Ok(v) = row.try_get::<Option<i32>, _>(i) {
            v.map_or_else(|| "∅".to_string(), |x| x.to_string())
        } else if let Ok(v) = row.try_get::<Option<bool>, _>(i) {
            v.map_or_else(|| "∅".to_string(), |x| x.to_string())
        } else if let Ok(v) = row.try_get::<Option<f64>, _>(i) {
            v.map_or_else(|| "∅".to_string(), |x| x.to_string())
        } else if let Ok(v) = row.try_get::<Option<Vec<u8>>, _>(i) {
            v.map_or_else(|| "∅".to_string(), hex::encode)
        } else {
            panic!(
                "column {} of a check query has a type the test does not read",
                row.columns()[i].name()
            )
        }
    }};
}

impl Db {
    /// Connect; `None` for a SQLite file that does not exist (yet).
    pub fn open(backend: Backend, url: &str) -> Option<Db> {
        let rt = runtime();
        let conn = match backend {
            Backend::Sqlite => {
                let path = url.strip_prefix("sqlite://").unwrap_or(url);
                if !Path::new(path).exists() {
                    return None;
                }
                let opts = SqliteConnectOptions::new()
                    .filename(path)
                    .create_if_missing(false)
                    .busy_timeout(Duration::from_secs(30));
                Conn::Sqlite(
                    rt.block_on(SqliteConnection::connect_with(&opts))
                        .unwrap_or_else(|e| panic!("cannot open {path}: {e}")),
                )
            }
            Backend::Postgres => Conn::Pg(
                rt.block_on(PgConnection::connect(url))
                    .unwrap_or_else(|e| panic!("cannot connect to {url}: {e}")),
            ),
        };
        Some(Db { rt, conn, backend })
    }

    /// Every row of `sql`, each cell as text.
    pub fn rows(&mut self, sql: &str) -> Vec<Vec<String>> {
        let Db { rt, conn, .. } = self;
        match conn {
            Conn::Sqlite(c) => rt
                .block_on(sqlx::query(sql).fetch_all(&mut *c))
                .unwrap_or_else(|e| panic!("{sql}: {e}"))
                .iter()
                .map(|r| (0..r.columns().len()).map(|i| cell_text!(r, i)).collect())
                .collect(),
            Conn::Pg(c) => rt
                .block_on(sqlx::query(sql).fetch_all(&mut *c))
                .unwrap_or_else(|e| panic!("{sql}: {e}"))
                .iter()
                .map(|r| (0..r.columns().len()).map(|i| cell_text!(r, i)).collect())
                .collect(),
        }
    }

    /// Each row of `sql` as one line, cells separated by `|`.
    pub fn lines(&mut self, sql: &str) -> Vec<String> {
        self.rows(sql).into_iter().map(|r| r.join("|")).collect()
    }

    /// The first cell of the first row, as an integer.
    pub fn count(&mut self, sql: &str) -> i64 {
        let rows = self.rows(sql);
        let text = rows
            .first()
            .and_then(|r| r.first())
            .unwrap_or_else(|| panic!("{sql}: no row"));
        text.parse()
            .unwrap_or_else(|_| panic!("{sql}: '{text}' is not a number"))
    }

    pub fn execute(&mut self, sql: &str) {
        let Db { rt, conn, .. } = self;
        match conn {
            Conn::Sqlite(c) => rt.block_on(sqlx::query(sql).execute(&mut *c)).map(|_| ()),
            Conn::Pg(c) => rt.block_on(sqlx::query(sql).execute(&mut *c)).map(|_| ()),
        }
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// Whether a table exists (a database killed during its first migrations may lack some).
    pub fn has_table(&mut self, table: &str) -> bool {
        let sql = match self.backend {
            Backend::Sqlite => format!(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '{table}'"
            ),
            Backend::Postgres => format!(
                "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_name = '{table}'"
            ),
        };
        self.count(&sql) > 0
    }

    /// Run `f` inside one read snapshot: everything it reads is from the same instant.
    pub fn snapshot<T>(&mut self, f: impl FnOnce(&mut Db) -> T) -> T {
        match self.backend {
            Backend::Sqlite => self.execute("BEGIN"),
            Backend::Postgres => self.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"),
        }
        let out = f(self);
        self.execute("COMMIT");
        out
    }

    /// On PostgreSQL, wait until no other session is connected to this database: the killed
    /// process's connections are closed and their transactions rolled back (or committed, for a
    /// COMMIT already sent). Nothing to wait for on SQLite.
    pub fn wait_for_others_to_leave(&mut self) {
        if self.backend != Backend::Postgres {
            return;
        }
        let start = Instant::now();
        loop {
            let n = self.count(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
            );
            if n == 0 {
                return;
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "{n} connection(s) of the killed process still open after 60 s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The database's own integrity: on SQLite `PRAGMA integrity_check` is `ok` and
    /// `PRAGMA foreign_key_check` finds nothing; on PostgreSQL (whose storage the test does not
    /// kill) no row refers to a row that is not there, for every foreign key of the schema.
    pub fn integrity_problems(&mut self) -> Vec<String> {
        let mut problems = Vec::new();
        match self.backend {
            Backend::Sqlite => {
                let check = self.lines("PRAGMA integrity_check");
                if check != ["ok"] {
                    problems.push(format!("PRAGMA integrity_check: {check:?}"));
                }
                let fk = self.lines("PRAGMA foreign_key_check");
                if !fk.is_empty() {
                    problems.push(format!("PRAGMA foreign_key_check: {fk:?}"));
                }
            }
            Backend::Postgres => {
                let keys = self.rows(
                    "SELECT c.conrelid::regclass::text, c.confrelid::regclass::text, \
                     (SELECT string_agg(a.attname, ',' ORDER BY k.n) FROM unnest(c.conkey) WITH ORDINALITY AS k(num, n) \
                        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.num), \
                     (SELECT string_agg(a.attname, ',' ORDER BY k.n) FROM unnest(c.confkey) WITH ORDINALITY AS k(num, n) \
                        JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.num) \
                     FROM pg_constraint c WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace",
                );
                for k in keys {
                    let (child, parent) = (&k[0], &k[1]);
                    let cols: Vec<&str> = k[2].split(',').collect();
                    let pcols: Vec<&str> = k[3].split(',').collect();
                    let not_null: Vec<String> =
                        cols.iter().map(|c| format!("x.{c} IS NOT NULL")).collect();
                    let join: Vec<String> = cols
                        .iter()
                        .zip(&pcols)
                        .map(|(c, p)| format!("p.{p} = x.{c}"))
                        .collect();
                    let sql = format!(
                        "SELECT COUNT(*) FROM {child} x WHERE {} AND NOT EXISTS (SELECT 1 FROM {parent} p WHERE {})",
                        not_null.join(" AND "),
                        join.join(" AND ")
                    );
                    let n = self.count(&sql);
                    if n > 0 {
                        problems.push(format!(
                            "{n} row(s) of {child} refer to missing {parent} rows"
                        ));
                    }
                }
                // A database killed before its first migration has no tables yet, and nothing
                // to check; once it has the first tables it has their foreign keys.
                if self.has_table("edition_components") && keys_missing(self) {
                    problems.push("the schema has no foreign keys: checked nothing".into());
                }
            }
        }
        problems
    }

    pub fn close(self) {
        let Db { rt, conn, .. } = self;
        match conn {
            Conn::Sqlite(c) => {
                let _ = rt.block_on(c.close());
            }
            Conn::Pg(c) => {
                let _ = rt.block_on(c.close());
            }
        }
    }
}

fn keys_missing(db: &mut Db) -> bool {
    db.count(
        "SELECT COUNT(*) FROM pg_constraint WHERE contype = 'f' AND connamespace = 'public'::regnamespace",
    ) == 0
}

/// The application's own invariants, on either backend, where a half-done change would show:
/// every late or pending-overdue dossier belongs to the import its agency × month cell came
/// from; an evidence record's size is its stored file's; a report's attachment has the size
/// and SHA-256 it records (those with an id above `attachments_after`, to keep it quick).
pub fn app_problems(db: &mut Db, attachments_after: i64) -> Vec<String> {
    let mut problems = Vec::new();
    if db.has_table("overdue_dossiers") {
        let n = db.count(
            "SELECT COUNT(*) FROM overdue_dossiers o WHERE NOT EXISTS (SELECT 1 FROM dossier_stats s \
             WHERE s.agency = o.agency AND s.month = o.month AND s.import_id = o.import_id)",
        );
        if n > 0 {
            problems.push(format!(
                "{n} overdue dossier(s) not from the import of their agency × month cell"
            ));
        }
    }
    if db.has_table("evidence") {
        let n = db.count(
            "SELECT COUNT(*) FROM evidence e JOIN evidence_files f ON f.sha256 = e.sha256 \
             WHERE e.size_bytes <> f.size_bytes",
        );
        if n > 0 {
            problems.push(format!(
                "{n} evidence record(s) whose size is not their file's"
            ));
        }
    }
    if db.has_table("attachments") {
        for r in db.rows(&format!(
            "SELECT id, sha256, size_bytes, content FROM attachments WHERE id > {attachments_after} ORDER BY id"
        )) {
            let bytes = hex::decode(&r[3]).unwrap_or_default();
            let sha = {
                use sha2::Digest;
                hex::encode(sha2::Sha256::digest(&bytes))
            };
            if sha != r[1] || bytes.len().to_string() != r[2] {
                problems.push(format!(
                    "attachment {}: recorded {} bytes, SHA-256 {}; holds {} bytes, SHA-256 {sha}",
                    r[0],
                    r[2],
                    r[1],
                    bytes.len()
                ));
            }
        }
    }
    problems
}
