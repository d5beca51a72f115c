//! The PostgreSQL side of a large dossier import: its own typed connection and transaction,
//! and the late and pending-overdue dossiers loaded with `COPY … FROM STDIN` in PostgreSQL's
//! binary format.
//!
//! Why: through the pool every dossier was thirteen bound parameters of a multi-row `INSERT`
//! built through sqlx's `Any` driver (each value encoded and copied, the statement text rebuilt
//! and parsed by the server at every batch of 500), and the reading waited for each batch to
//! be stored. `COPY` streams the rows into the table. The binary format needs no escaping at
//! all: each text is sent as its length and its UTF-8 bytes (tabs, line breaks, backslashes,
//! quotes travel as they are), `NULL` as the length -1.
//!
//! One `COPY` stays open while the dossiers arrive: the rows are packed into chunks of
//! [`CHUNK`] bytes, handed to a task that holds the connection and streams them to the server,
//! so the file is read while the server stores what was sent (at most [`CHUNKS_IN_FLIGHT`]
//! chunks wait: memory stays bounded whatever the number of dossiers). Before any other
//! statement the `COPY` is finished and the connection comes back ([`PgBulk::ready`]): the
//! import's record, the cells, the deletions and the audit entry are SQL through sqlx's
//! PostgreSQL driver on the same connection, inside the same transaction: `BEGIN` … `COMMIT`.
//! A connection dropped before the commit is closed, and the server rolls the transaction back.

use crate::dossiers::OverdueRef;
use crate::error::Context;
use crate::Result;
use parindex_domain::dossiers::Month;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{ConnectOptions, Connection, Executor};
use std::str::FromStr;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// The `COPY` statement; the columns in the order each row is written.
const COPY: &str = "COPY overdue_dossiers (agency, code, month, outcome, procedure_code, level, \
     online_level, received_at, due_at, result_at, closed_at, status, import_id) \
     FROM STDIN (FORMAT binary)";
const COLUMNS: i16 = 13;

/// Rows are handed to the `COPY` in chunks of this many bytes (plus one row): about 6,000
/// dossiers.
pub(crate) const CHUNK: usize = 1 << 20;
/// Chunks handed over and not yet sent: the reading waits beyond.
pub(crate) const CHUNKS_IN_FLIGHT: usize = 4;

/// The binary format's signature, flags (none) and header extension (none).
const HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";
/// The end of the rows.
const TRAILER: &[u8] = &(-1i16).to_be_bytes();

/// A `COPY` in progress: the task holding the connection, and its chunks.
struct Copying {
    chunks: mpsc::Sender<Vec<u8>>,
    task: JoinHandle<(PgConnection, sqlx::Result<u64>)>,
    /// Rows handed over.
    rows: u64,
}

/// A PostgreSQL connection holding the import's open transaction, and the dossiers not stored
/// yet.
pub(crate) struct PgBulk {
    /// `None` while a `COPY` holds it (or after the task holding it failed).
    conn: Option<PgConnection>,
    copying: Option<Copying>,
    /// Rows not handed over yet.
    buf: Vec<u8>,
    rows: u64,
}

impl PgBulk {
    /// Open a connection to the database at `url` and start a transaction.
    pub async fn begin(url: &str) -> Result<PgBulk> {
        let opts = PgConnectOptions::from_str(url)
            .ctx(|| "reading the database address".into())?
            .disable_statement_logging();
        let mut conn = opts
            .connect()
            .await
            .ctx(|| "opening a connection for the import".into())?;
        conn.execute("BEGIN")
            .await
            .ctx(|| "starting the import's transaction".into())?;
        Ok(PgBulk {
            conn: Some(conn),
            copying: None,
            buf: Vec::with_capacity(CHUNK + 4096),
            rows: 0,
        })
    }

    /// The connection, for a statement, once every dossier added is stored.
    pub async fn ready(&mut self) -> sqlx::Result<&mut PgConnection> {
        self.hand_over().await?;
        self.end_copy().await?;
        self.conn
            .as_mut()
            .ok_or_else(|| sqlx::Error::Protocol("the import's connection was lost".into()))
    }

    /// Finish the open `COPY`, if any: the task sends the trailer, finishes and gives the
    /// connection back.
    async fn end_copy(&mut self) -> sqlx::Result<()> {
        let Some(c) = self.copying.take() else {
            return Ok(());
        };
        drop(c.chunks);
        let (conn, stored) = c
            .task
            .await
            .map_err(|e| sqlx::Error::Protocol(format!("the COPY task failed: {e}")))?;
        self.conn = Some(conn);
        let stored = stored?;
        if stored != c.rows {
            return Err(sqlx::Error::Protocol(format!(
                "COPY stored {stored} rows of {}",
                c.rows
            )));
        }
        Ok(())
    }

    /// Add the rows (all with `import_id`; `months` holds the text of every month of `rows`).
    pub async fn add_overdue(
        &mut self,
        rows: &[OverdueRef<'_>],
        months: &[(Month, String)],
        import_id: i64,
    ) -> Result<()> {
        for r in rows {
            let month = months
                .iter()
                .find(|(m, _)| *m == r.month)
                .map(|(_, t)| t.as_str())
                .unwrap_or_default();
            push_row(&mut self.buf, r, month, import_id)
                .ctx(|| format!("saving overdue dossier {}", r.code))?;
            self.rows += 1;
            if self.buf.len() >= CHUNK {
                self.hand_over()
                    .await
                    .ctx(|| "saving overdue dossiers".into())?;
            }
        }
        Ok(())
    }

    /// Forget the rows not handed over yet (those handed over are deleted by the caller).
    pub fn discard(&mut self) {
        self.buf.clear();
        self.rows = 0;
    }

    /// Hand the buffered rows to the `COPY` (starting one if none is open).
    async fn hand_over(&mut self) -> sqlx::Result<()> {
        if self.rows == 0 {
            return Ok(());
        }
        if self.copying.is_none() {
            let conn = self
                .conn
                .take()
                .ok_or_else(|| sqlx::Error::Protocol("the import's connection was lost".into()))?;
            let (chunks, received) = mpsc::channel(CHUNKS_IN_FLIGHT);
            self.copying = Some(Copying {
                chunks,
                task: tokio::spawn(copy_task(conn, received)),
                rows: 0,
            });
        }
        let Some(c) = self.copying.as_mut() else {
            return Ok(());
        };
        let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK + 4096));
        c.rows += std::mem::take(&mut self.rows);
        if c.chunks.send(chunk).await.is_err() {
            // The task stopped: its error says why.
            self.end_copy().await?;
            return Err(sqlx::Error::Protocol("the COPY stopped early".into()));
        }
        Ok(())
    }

    /// Store what is left, commit the transaction and close the connection.
    pub async fn commit(mut self) -> Result<()> {
        let conn = self
            .ready()
            .await
            .ctx(|| "saving overdue dossiers".into())?;
        conn.execute("COMMIT")
            .await
            .ctx(|| "committing the dossier import".into())?;
        if let Some(conn) = self.conn.take() {
            // A failed close loses nothing: the transaction is committed.
            let _ = conn.close().await;
        }
        Ok(())
    }
}

/// Hold the connection for one `COPY`: the header, every chunk received, the trailer. Gives
/// the connection back with the rows stored.
async fn copy_task(
    mut conn: PgConnection,
    chunks: mpsc::Receiver<Vec<u8>>,
) -> (PgConnection, sqlx::Result<u64>) {
    let stored = copy_chunks(&mut conn, chunks).await;
    (conn, stored)
}

async fn copy_chunks(
    conn: &mut PgConnection,
    mut chunks: mpsc::Receiver<Vec<u8>>,
) -> sqlx::Result<u64> {
    let mut copy = conn.copy_in_raw(COPY).await?;
    let mut sent = copy.send(HEADER).await.map(|_| ());
    while sent.is_ok() {
        let Some(chunk) = chunks.recv().await else {
            break;
        };
        sent = copy.send(chunk).await.map(|_| ());
    }
    if let Err(e) = sent.and(copy.send(TRAILER).await.map(|_| ())) {
        // The server answers an abort with an error of its own: the first one counts.
        let _ = copy.abort("the import failed").await;
        return Err(e);
    }
    copy.finish().await
}

/// Append one row in the binary format.
fn push_row(b: &mut Vec<u8>, r: &OverdueRef<'_>, month: &str, import_id: i64) -> sqlx::Result<()> {
    b.extend_from_slice(&COLUMNS.to_be_bytes());
    for text in [
        Some(r.agency),
        Some(r.code),
        Some(month),
        Some(r.outcome.as_str()),
        Some(r.procedure),
        Some(r.level.as_str()),
    ] {
        push_text(b, text)?;
    }
    push_int8(b, i64::from(r.online_level));
    for text in [
        Some(r.received_at),
        Some(r.due_at),
        r.result_at,
        r.closed_at,
        r.status,
    ] {
        push_text(b, text)?;
    }
    push_int8(b, import_id);
    Ok(())
}

/// A text field: its length and its UTF-8 bytes, or -1 for `NULL`.
fn push_text(b: &mut Vec<u8>, text: Option<&str>) -> sqlx::Result<()> {
    match text {
        None => b.extend_from_slice(&(-1i32).to_be_bytes()),
        Some(s) => {
            let n = i32::try_from(s.len())
                .map_err(|_| sqlx::Error::Encode("a field is longer than 2 GiB".into()))?;
            b.extend_from_slice(&n.to_be_bytes());
            b.extend_from_slice(s.as_bytes());
        }
    }
    Ok(())
}

/// A `BIGINT` field: its length (8) and the value, big-endian.
fn push_int8(b: &mut Vec<u8>, v: i64) {
    b.extend_from_slice(&8i32.to_be_bytes());
    b.extend_from_slice(&v.to_be_bytes());
}
