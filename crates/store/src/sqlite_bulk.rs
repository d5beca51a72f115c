//! The SQLite side of a large dossier import: its own native connection and transaction, and
//! the late and pending-overdue dossiers inserted through SQLite's C API.
//!
//! Why: through sqlx every bound value is encoded, copied into an owned value, handed to the
//! connection's worker thread and copied once more by SQLite; with a quarter of a million
//! dossiers of thirteen columns that was about half of an import's extra time. Here one
//! prepared single-row `INSERT` is stepped once per dossier with the texts bound in place
//! (`SQLITE_STATIC`: SQLite reads them during the step, no copy, no allocation). Everything else
//! of the import (its record, the cells, the audit entry) goes through sqlx on the same
//! connection, inside the same transaction: `BEGIN IMMEDIATE` … `COMMIT`; a connection dropped
//! before the commit is closed, which rolls the transaction back.
//!
//! The connection is opened with the pool's settings (WAL, foreign keys, busy timeout,
//! `synchronous = NORMAL`, temporary storage in memory). In-memory databases cannot be shared
//! with a second connection: they use the general path.

use crate::dossiers::OverdueRef;
use crate::error::{Context, StoreError};
use crate::Result;
use libsqlite3_sys as ffi;
use parindex_domain::dossiers::Month;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection, Executor, SqliteConnection};
use std::ffi::{c_char, c_int, CStr};
use std::str::FromStr;
use std::time::Duration;

const INSERT: &CStr =
    c"INSERT INTO overdue_dossiers (agency, code, month, outcome, procedure_code, level, \
    online_level, received_at, due_at, result_at, closed_at, status, import_id) \
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)";

/// The import connection's page cache: 64 MiB (`cache_size` in KiB when negative).
const IMPORT_CACHE: &str = "-65536";

/// A native SQLite connection holding the import's open transaction.
pub(crate) struct BulkConn {
    conn: SqliteConnection,
}

impl BulkConn {
    /// Open a connection to the database at `url` and start a write transaction.
    pub async fn begin(url: &str, max_page_count: Option<u64>) -> Result<BulkConn> {
        let mut opts = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Config(format!("the database address: {e}")))?
            .journal_mode(SqliteJournalMode::Wal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            .synchronous(SqliteSynchronous::Normal)
            .pragma("temp_store", "MEMORY")
            // The pages of the open transaction stay in this cache until it is full, then
            // SQLite writes them to the WAL (they are rarely needed again: the dossiers are
            // appended). Bounded, so that an import's memory does not grow with the number of
            // overdue dossiers.
            .pragma("cache_size", IMPORT_CACHE)
            .disable_statement_logging();
        if let Some(n) = max_page_count {
            opts = opts.pragma("max_page_count", n.to_string());
        }
        let mut conn = opts
            .connect()
            .await
            .ctx(|| "opening a connection for the import".into())?;
        conn.execute("BEGIN IMMEDIATE")
            .await
            .ctx(|| "starting the import's transaction".into())?;
        Ok(BulkConn { conn })
    }

    pub fn conn(&mut self) -> &mut SqliteConnection {
        &mut self.conn
    }

    /// Insert the rows (one prepared statement, stepped once a row), all with `import_id`;
    /// `months` holds the text of every month of `rows`.
    pub async fn insert_overdue(
        &mut self,
        rows: &[OverdueRef<'_>],
        months: &[(Month, String)],
        import_id: i64,
    ) -> Result<()> {
        let mut handle = self
            .conn
            .lock_handle()
            .await
            .ctx(|| "saving overdue dossiers".into())?;
        let db = handle.as_raw_handle().as_ptr();
        // SAFETY: `db` is the open connection, locked for this thread by `handle` for the whole
        // call; `insert_rows` finalizes its statement before returning.
        unsafe { insert_rows(db, rows, months, import_id) }.map_err(|(rc, e)| {
            if rc & 0xff == ffi::SQLITE_FULL {
                StoreError::Full {
                    storage: crate::Storage::Database,
                    context: "saving overdue dossiers".into(),
                    detail: e,
                }
            } else {
                StoreError::Db {
                    context: "saving overdue dossiers".into(),
                    source: sqlx::Error::Protocol(e),
                }
            }
        })
    }

    /// Commit the transaction and close the connection.
    pub async fn commit(mut self) -> Result<()> {
        self.conn
            .execute("COMMIT")
            .await
            .ctx(|| "committing the dossier import".into())?;
        // A failed close loses nothing: the transaction is committed.
        let _ = self.conn.close().await;
        Ok(())
    }
}

/// The message of the connection's last error.
///
/// # Safety
/// `db` must be an open connection.
unsafe fn errmsg(db: *mut ffi::sqlite3) -> String {
    // SAFETY: sqlite3_errmsg returns a NUL-terminated string owned by the connection, valid
    // until the next call on it; it is copied at once.
    unsafe {
        let p = ffi::sqlite3_errmsg(db);
        if p.is_null() {
            "unknown error".into()
        } else {
            CStr::from_ptr(p).to_string_lossy().into_owned()
        }
    }
}

/// A prepared statement, finalized when dropped.
struct Stmt(*mut ffi::sqlite3_stmt);

impl Drop for Stmt {
    fn drop(&mut self) {
        // SAFETY: the pointer came from sqlite3_prepare_v2 and is finalized only here.
        unsafe {
            ffi::sqlite3_finalize(self.0);
        }
    }
}

/// Insert `rows` with one prepared statement; an error with SQLite's result code.
///
/// # Safety
/// `db` must be an open connection that no other thread uses during the call.
unsafe fn insert_rows(
    db: *mut ffi::sqlite3,
    rows: &[OverdueRef<'_>],
    months: &[(Month, String)],
    import_id: i64,
) -> std::result::Result<(), (c_int, String)> {
    let mut raw: *mut ffi::sqlite3_stmt = std::ptr::null_mut();
    // SAFETY: `INSERT` is NUL-terminated; `raw` receives the statement.
    let rc =
        unsafe { ffi::sqlite3_prepare_v2(db, INSERT.as_ptr(), -1, &mut raw, std::ptr::null_mut()) };
    if rc != ffi::SQLITE_OK || raw.is_null() {
        // SAFETY: `db` is open.
        return Err((rc, unsafe { errmsg(db) }));
    }
    let stmt = Stmt(raw);
    // The import is the same for every row: bound once.
    // SAFETY: the statement is live.
    let rc = unsafe { ffi::sqlite3_bind_int64(stmt.0, 13, import_id) };
    if rc != ffi::SQLITE_OK {
        // SAFETY: `db` is open.
        return Err((rc, unsafe { errmsg(db) }));
    }
    // The rows go in the order of the (agency, month) index, each agency × month cell's in the
    // order of the file (a stable sort): in an export the cells alternate from row to row, so
    // taken as they come each row's index entry lands on another page of the index, far from
    // the last one (a cache miss on every level of the descent); in the index's order the
    // inserts sweep through it, a cell's rows onto the same leaf page. What is stored is the
    // same.
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by(|&a, &b| {
        let (a, b) = (&rows[a], &rows[b]);
        a.agency.cmp(b.agency).then(a.month.cmp(&b.month))
    });
    // What is bound to the parameters that repeat from row to row (the agency, the month, the
    // outcome, the level, the online level, the status): a value equal to the previous row's
    // stays bound (bindings outlive `sqlite3_reset`), which halves the calls per row.
    let mut last: Option<&OverdueRef<'_>> = None;
    let mut month: &str = "";
    for i in order {
        let r = &rows[i];
        if last.is_none_or(|l| l.month != r.month) {
            let Some((_, m)) = months.iter().find(|(m, _)| *m == r.month) else {
                return Err((
                    ffi::SQLITE_MISUSE,
                    format!("dossier {}: month {} not given", r.code, r.month),
                ));
            };
            month = m;
        }
        // SAFETY: the statement is live and used by this thread only; the texts bound borrow
        // `rows` and `months`, alive until the statement is finalized.
        let rc = unsafe { bind_row(stmt.0, r, last, month) };
        last = Some(r);
        let rc = if rc == ffi::SQLITE_OK {
            // SAFETY: every parameter is bound; the statement is live.
            match unsafe { ffi::sqlite3_step(stmt.0) } {
                ffi::SQLITE_DONE => ffi::SQLITE_OK,
                rc => rc,
            }
        } else {
            rc
        };
        // SAFETY: the statement is live; the texts bound stay alive until the statement is
        // finalized at the end of this call (they borrow `rows` and `months`).
        unsafe {
            ffi::sqlite3_reset(stmt.0);
        }
        if rc != ffi::SQLITE_OK {
            let what = if rc == ffi::SQLITE_TOOBIG {
                "a field is too long".to_string()
            } else {
                // SAFETY: `db` is open.
                unsafe { errmsg(db) }
            };
            return Err((rc, format!("dossier {} ({}): {what}", r.code, i + 1)));
        }
    }
    // SAFETY: the statement is live; no text stays bound once it is finalized by `stmt`'s drop.
    unsafe {
        ffi::sqlite3_clear_bindings(stmt.0);
    }
    Ok(())
}

/// Bind a row's values to the statement; those equal to `last`'s (the row bound before, whose
/// texts are still alive) are left bound.
///
/// # Safety
/// `stmt` must be a live statement of this thread's connection; the texts of `r`, `last` and
/// `month` must stay alive until it is finalized or they are bound again.
unsafe fn bind_row<'a>(
    stmt: *mut ffi::sqlite3_stmt,
    r: &OverdueRef<'a>,
    last: Option<&OverdueRef<'a>>,
    month: &'a str,
) -> c_int {
    let mut texts: [(c_int, Option<&'a str>); 11] = [(0, None); 11];
    let mut n = 0;
    let mut push = |col: c_int, v: Option<&'a str>| {
        texts[n] = (col, v);
        n += 1;
    };
    if last.is_none_or(|l| l.agency != r.agency) {
        push(1, Some(r.agency));
    }
    push(2, Some(r.code));
    if last.is_none_or(|l| l.month != r.month) {
        push(3, Some(month));
    }
    if last.is_none_or(|l| l.outcome != r.outcome) {
        push(4, Some(r.outcome.as_str()));
    }
    push(5, Some(r.procedure));
    if last.is_none_or(|l| l.level != r.level) {
        push(6, Some(r.level.as_str()));
    }
    push(8, Some(r.received_at));
    push(9, Some(r.due_at));
    push(10, r.result_at);
    push(11, r.closed_at);
    if last.is_none_or(|l| l.status != r.status) {
        push(12, r.status);
    }
    for &(col, text) in &texts[..n] {
        // SAFETY: as this function's.
        let rc = unsafe { bind_text(stmt, col, text) };
        if rc != ffi::SQLITE_OK {
            return rc;
        }
    }
    if last.is_none_or(|l| l.online_level != r.online_level) {
        // SAFETY: the statement is live.
        return unsafe { ffi::sqlite3_bind_int64(stmt, 7, i64::from(r.online_level)) };
    }
    ffi::SQLITE_OK
}

/// Bind a text in place (`SQLITE_STATIC`) or NULL.
///
/// # Safety
/// `stmt` must be a live statement; `text` must stay alive until the statement is finalized
/// or the parameter is bound again.
unsafe fn bind_text(stmt: *mut ffi::sqlite3_stmt, col: c_int, text: Option<&str>) -> c_int {
    match text {
        // SAFETY: the statement is live; SQLITE_STATIC: the caller keeps the text alive until
        // the statement is finalized or the parameter is bound again.
        Some(s) => match c_int::try_from(s.len()) {
            Ok(n) => unsafe {
                ffi::sqlite3_bind_text(
                    stmt,
                    col,
                    s.as_ptr().cast::<c_char>(),
                    n,
                    ffi::SQLITE_STATIC(),
                )
            },
            Err(_) => ffi::SQLITE_TOOBIG,
        },
        // SAFETY: the statement is live.
        None => unsafe { ffi::sqlite3_bind_null(stmt, col) },
    }
}
