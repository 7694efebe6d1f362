//! Point reads run on the calling thread, on connections of their own (`rusqlite`).
//!
//! Every statement through sqlx's SQLite driver is a trip to its connection's thread and
//! back: the request's worker parks, the connection's thread wakes, runs the statement and
//! wakes the worker again. For a read of a few cached pages that trip costs far more than the
//! read (two to four context switches; a profile of 64 KiB chunk requests put ~45 % of the
//! server's CPU in scheduling and connection threads, docs/benchmarks.md). The reads every
//! upload and chunk request makes (its session and caller, its status, the blocks, the name's
//! record, whether a file of a size exists) are indexed lookups of one or a few rows, so they
//! run here, inline, in microseconds. Writes stay on sqlx's connections: a commit waits for
//! an fsync, which must not hold a worker thread.
//!
//! The connections are `query_only` and never wait for a lock: in WAL mode a reader is only
//! refused (`SQLITE_BUSY`) in rare moments (another connection recovering or resetting the
//! WAL); then the read is retried after yielding, for as long as a statement would have
//! waited on sqlx's connections.

use crate::{StoreError, StoreResult};
use deadpool::managed::{self, Metrics, RecycleResult};
use rusqlite::{ErrorCode, OpenFlags};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// How long a read retries a busy database before it fails (the writers' busy timeout).
const BUSY_FOR: Duration = Duration::from_secs(30);

/// Opens read connections on the store's database file.
#[derive(Debug)]
pub(super) struct Manager {
    path: PathBuf,
}

impl managed::Manager for Manager {
    type Type = rusqlite::Connection;
    type Error = rusqlite::Error;

    async fn create(&self) -> Result<rusqlite::Connection, rusqlite::Error> {
        // Read-write (not read-only) so the connection may map the WAL index like the writers
        // do; `query_only` makes it refuse any write.
        let conn = rusqlite::Connection::open_with_flags(&self.path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
        conn.busy_timeout(Duration::ZERO)?;
        conn.pragma_update(None, "query_only", true)?;
        // Plans never depend on bound values. Otherwise a statement whose plan looked at one
        // (`LIMIT ?`, a range with STAT4) is compiled again every time it is bound: the cached
        // statement would save nothing (it was most of `names_with_prefix`'s time).
        conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
        // Any write to the database empties a connection's page cache at its next read, so a
        // large one would only hold memory (the pages stay in the OS's cache): 512 KiB.
        conn.pragma_update(None, "cache_size", -512)?;
        conn.set_prepared_statement_cache_capacity(32);
        Ok(conn)
    }

    async fn recycle(&self, _: &mut rusqlite::Connection, _: &Metrics) -> RecycleResult<rusqlite::Error> {
        Ok(())
    }
}

/// The read connections. A connection is held only while a read runs, synchronously on a
/// worker thread, so one per thread that can run them serves any number of requests.
#[derive(Clone, Debug)]
pub(super) struct Reads {
    pool: managed::Pool<Manager>,
}

impl Reads {
    pub(super) fn open(path: PathBuf) -> StoreResult<Reads> {
        let size = std::thread::available_parallelism().map_or(4, |n| n.get()).max(2);
        let pool = managed::Pool::builder(Manager { path })
            .max_size(size)
            .build()
            .map_err(|e| StoreError::Database(format!("SQLite read connections: {e}")))?;
        Ok(Reads { pool })
    }

    /// Runs `read` on a read connection on this thread; retried while the database is busy
    /// (opening a connection can find it busy too).
    pub(super) async fn run<T>(&self, mut read: impl FnMut(&rusqlite::Connection) -> Result<T, ReadError>) -> StoreResult<T> {
        let mut deadline = None;
        loop {
            let attempt = match self.pool.get().await {
                Ok(conn) => read(&conn),
                Err(managed::PoolError::Backend(e)) => Err(ReadError::Sqlite(e)),
                Err(e) => return Err(StoreError::Database(format!("SQLite read connection: {e}"))),
            };
            match attempt {
                Ok(v) => return Ok(v),
                Err(ReadError::Sqlite(e)) if is_busy(&e) && *deadline.get_or_insert_with(|| Instant::now() + BUSY_FOR) > Instant::now() => {
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
                Err(ReadError::Sqlite(e)) => return Err(StoreError::Database(e.to_string())),
                Err(ReadError::Decode(e)) => return Err(e.into()),
            }
        }
    }
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(e.sqlite_error_code(), Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked))
}

/// What a read on a read connection can fail with: SQLite itself, or decoding a row (column
/// errors come through [`Cols`], as sqlx's).
#[derive(Debug)]
pub(super) enum ReadError {
    Sqlite(rusqlite::Error),
    Decode(sqlx::Error),
}

impl From<rusqlite::Error> for ReadError {
    fn from(e: rusqlite::Error) -> ReadError {
        ReadError::Sqlite(e)
    }
}

impl From<sqlx::Error> for ReadError {
    fn from(e: sqlx::Error) -> ReadError {
        ReadError::Decode(e)
    }
}

/// A column type both SQLite drivers decode (the owned types the rows hold).
pub(super) trait ColType: for<'r> sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite> + rusqlite::types::FromSql {}
impl<T> ColType for T where T: for<'r> sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite> + rusqlite::types::FromSql {}

/// A row of either driver, read by column name: the adapter's row decoders are written once
/// for sqlx's rows and for the read connections'.
pub(super) trait Cols {
    fn col<T: ColType>(&self, name: &str) -> Result<T, sqlx::Error>;
}

impl Cols for sqlx::sqlite::SqliteRow {
    fn col<T: ColType>(&self, name: &str) -> Result<T, sqlx::Error> {
        sqlx::Row::try_get(self, name)
    }
}

impl Cols for rusqlite::Row<'_> {
    fn col<T: ColType>(&self, name: &str) -> Result<T, sqlx::Error> {
        self.get(name).map_err(|e| sqlx::Error::ColumnDecode {
            index: name.to_string(),
            source: Box::new(e),
        })
    }
}

/// The first row `sql` returns with `params`, decoded; None without one.
pub(super) fn optional<T>(
    conn: &rusqlite::Connection,
    sql: &str,
    params: impl rusqlite::Params,
    decode: impl FnOnce(&rusqlite::Row<'_>) -> Result<T, sqlx::Error>,
) -> Result<Option<T>, ReadError> {
    let mut statement = conn.prepare_cached(sql)?;
    let mut rows = statement.query(params)?;
    match rows.next()? {
        Some(row) => Ok(Some(decode(row)?)),
        None => Ok(None),
    }
}

/// Every row `sql` returns with `params`, decoded.
pub(super) fn all<T>(
    conn: &rusqlite::Connection,
    sql: &str,
    params: impl rusqlite::Params,
    decode: impl Fn(&rusqlite::Row<'_>) -> Result<T, sqlx::Error>,
) -> Result<Vec<T>, ReadError> {
    let mut statement = conn.prepare_cached(sql)?;
    let mut rows = statement.query(params)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(decode(row)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::connections::Connections;
    use super::*;
    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};
    use sqlx::{ConnectOptions as _, Connection as _};

    fn options(dir: &tempfile::TempDir) -> SqliteConnectOptions {
        SqliteConnectOptions::new()
            .filename(dir.path().join("t.sqlite"))
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
    }

    /// A writer (sqlx) with a table of three rows, and the read connections on its file.
    async fn database(dir: &tempfile::TempDir) -> (Connections, Reads) {
        let writer = Connections::open(options(dir), 1).await.unwrap();
        sqlx::query("CREATE TABLE t (x INTEGER PRIMARY KEY, name TEXT NOT NULL)")
            .execute(&writer)
            .await
            .unwrap();
        sqlx::query("INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c')")
            .execute(&writer)
            .await
            .unwrap();
        (writer, Reads::open(dir.path().join("t.sqlite")).unwrap())
    }

    /// A read that stops after its first row ends its read transaction: it neither misses the
    /// next commit nor keeps a checkpoint from resetting the WAL.
    #[tokio::test]
    async fn a_read_holds_no_snapshot_once_it_returns() {
        let dir = tempfile::tempdir().unwrap();
        let (writer, reads) = database(&dir).await;
        let first = |c: &rusqlite::Connection| optional(c, "SELECT name FROM t ORDER BY x", [], |r| r.col::<String>("name"));
        assert_eq!(reads.run(first).await.unwrap().as_deref(), Some("a"));
        sqlx::query("UPDATE t SET name = 'z' WHERE x = 1").execute(&writer).await.unwrap();
        assert_eq!(reads.run(first).await.unwrap().as_deref(), Some("z"), "the read saw the commit");
        let (busy, _, _): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)").fetch_one(&writer).await.unwrap();
        assert_eq!(busy, 0, "no reader held the WAL");
    }

    /// Read connections refuse writes.
    #[tokio::test]
    async fn read_connections_cannot_write() {
        let dir = tempfile::tempdir().unwrap();
        let (_writer, reads) = database(&dir).await;
        let r = reads.run(|c| Ok(c.execute("DELETE FROM t", [])?)).await;
        assert!(r.is_err(), "{r:?}");
    }

    /// A statement whose plan could depend on a bound value (`LIMIT ?`) is compiled once, not
    /// again at every bind.
    #[tokio::test]
    async fn cached_statements_are_not_compiled_again_for_new_values() {
        let dir = tempfile::tempdir().unwrap();
        let (_writer, reads) = database(&dir).await;
        const SQL: &str = "SELECT name FROM t WHERE name >= ? ORDER BY name LIMIT ?";
        for limit in 1..=3i64 {
            let names = reads
                .run(|c| all(c, SQL, rusqlite::params!["a", limit], |r| r.col::<String>("name")))
                .await
                .unwrap();
            assert_eq!(names.len() as i64, limit);
        }
        let recompiled = reads
            .run(|c| Ok(c.prepare_cached(SQL)?.get_status(rusqlite::StatementStatus::RePrepare)))
            .await
            .unwrap();
        assert_eq!(recompiled, 0);
    }

    /// A read that finds the database locked is retried (after yielding) until it can run,
    /// instead of failing or blocking its thread.
    #[tokio::test]
    async fn a_read_waits_out_a_locked_database() {
        let dir = tempfile::tempdir().unwrap();
        let (writer, reads) = database(&dir).await;
        drop(writer);
        tokio::time::sleep(Duration::from_millis(100)).await; // (its connection closes on its thread)
        // A connection holding the database exclusively (as during a WAL recovery): readers
        // get SQLITE_BUSY until it lets go.
        let mut locker = options(&dir)
            .locking_mode(sqlx::sqlite::SqliteLockingMode::Exclusive)
            .connect()
            .await
            .unwrap();
        let mut tx = locker.begin_with("BEGIN EXCLUSIVE").await.unwrap();
        sqlx::query("UPDATE t SET name = 'locked' WHERE x = 2")
            .execute(&mut *tx)
            .await
            .unwrap();
        let read = tokio::spawn({
            let reads = reads.clone();
            async move {
                reads
                    .run(|c| optional(c, "SELECT name FROM t WHERE x = 2", [], |r| r.col::<String>("name")))
                    .await
            }
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(!read.is_finished(), "the read waited for the lock");
        tx.commit().await.unwrap();
        locker.close().await.unwrap();
        let name = read.await.unwrap().unwrap();
        assert_eq!(name.as_deref(), Some("locked"), "and then read the committed row");
    }
}
