//! The SQLite connections, pooled by `deadpool` rather than by sqlx.
//!
//! sqlx's pool pings every connection when it goes back to the pool (`PoolConnection`'s
//! release, not configurable): after every statement one more round trip to the connection's
//! thread and back, a task spawned for it, and wake-ups that put a server worker behind the
//! client on a busy machine (docs/benchmarks.md: 256 MiB in 5 MiB chunks 515 → 431 ms on tmpfs
//! without it, 64 → 49 context switches per 10 KiB upload at 32 clients).
//!
//! The ping is there because a connection whose statement was cancelled half-way might be
//! handed on mid-protocol. An SQLite connection of sqlx cannot be: it is a thread working
//! through an ordered queue of commands. A cancelled statement's command still runs to its end
//! (or stops at its next row, and resets its statement, releasing its read snapshot) before
//! the next user's first command; a transaction dropped without commit queues its rollback
//! ahead of anything the next user sends. So a connection goes back to the pool as it is, and
//! one whose thread has died (`WorkerCrashed`) is dropped instead of being handed on.

use deadpool::managed::{self, Metrics, Object, RecycleResult};
use futures_util::TryStreamExt;
use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;
use sqlx::sqlite::{Sqlite, SqliteConnectOptions, SqliteConnection, SqliteQueryResult, SqliteRow, SqliteStatement, SqliteTypeInfo};
use sqlx::{ConnectOptions, Either, Execute, Executor, SqlStr};
use std::time::Duration;

type DbResult<T> = Result<T, sqlx::Error>;

/// How long a statement waits for a free connection before it fails (sqlx's default).
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);

/// Opens connections with the store's options; hands them back without a check.
#[derive(Debug)]
pub(super) struct Manager {
    options: SqliteConnectOptions,
}

impl managed::Manager for Manager {
    type Type = SqliteConnection;
    type Error = sqlx::Error;

    async fn create(&self) -> DbResult<SqliteConnection> {
        self.options.connect().await
    }

    async fn recycle(&self, _: &mut SqliteConnection, _: &Metrics) -> RecycleResult<sqlx::Error> {
        Ok(())
    }
}

/// A pooled connection: derefs to the `SqliteConnection`, goes back to the pool when dropped.
pub(super) type Connection = Object<Manager>;

/// A pool of SQLite connections. `&Connections` is an sqlx executor: each statement takes a
/// connection for as long as it runs.
#[derive(Clone, Debug)]
pub(super) struct Connections {
    pool: managed::Pool<Manager>,
}

impl Connections {
    /// Opens the first connection at once, so a database that cannot be opened fails here.
    pub(super) async fn open(options: SqliteConnectOptions, max: usize) -> DbResult<Connections> {
        let pool = managed::Pool::builder(Manager { options })
            .max_size(max)
            .wait_timeout(Some(ACQUIRE_TIMEOUT))
            .create_timeout(Some(ACQUIRE_TIMEOUT))
            .runtime(deadpool::Runtime::Tokio1)
            .build()
            .map_err(|e| sqlx::Error::Configuration(e.into()))?;
        let connections = Connections { pool };
        drop(connections.acquire().await?);
        Ok(connections)
    }

    pub(super) async fn acquire(&self) -> DbResult<Connection> {
        self.pool.get().await.map_err(|e| match e {
            managed::PoolError::Backend(e) => e,
            managed::PoolError::Timeout(_) => sqlx::Error::PoolTimedOut,
            managed::PoolError::Closed => sqlx::Error::PoolClosed,
            e => sqlx::Error::Configuration(e.to_string().into()),
        })
    }
}

/// Hands the error back; drops the connection from the pool if its thread is gone.
fn dropped_if_dead(conn: Connection, e: sqlx::Error) -> sqlx::Error {
    if matches!(e, sqlx::Error::WorkerCrashed) {
        drop(Object::take(conn));
    }
    e
}

impl<'p> Executor<'p> for &'p Connections {
    type Database = Sqlite;

    fn fetch_many<'e, 'q: 'e, E>(self, query: E) -> BoxStream<'e, DbResult<Either<SqliteQueryResult, SqliteRow>>>
    where
        'p: 'e,
        E: 'q + Execute<'q, Sqlite>,
    {
        Box::pin(async_stream::try_stream! {
            let mut conn = self.acquire().await?;
            let mut failed = None;
            {
                let mut results = conn.fetch_many(query);
                loop {
                    match results.try_next().await {
                        Ok(Some(r)) => yield r,
                        Ok(None) => break,
                        Err(e) => {
                            failed = Some(e);
                            break;
                        }
                    }
                }
            }
            if let Some(e) = failed {
                Err(dropped_if_dead(conn, e))?;
            }
        })
    }

    fn fetch_optional<'e, 'q: 'e, E>(self, query: E) -> BoxFuture<'e, DbResult<Option<SqliteRow>>>
    where
        'p: 'e,
        E: 'q + Execute<'q, Sqlite>,
    {
        Box::pin(async move {
            let mut conn = self.acquire().await?;
            let row = conn.fetch_optional(query).await;
            row.map_err(|e| dropped_if_dead(conn, e))
        })
    }

    fn prepare_with<'e>(self, sql: SqlStr, parameters: &'e [SqliteTypeInfo]) -> BoxFuture<'e, DbResult<SqliteStatement>>
    where
        'p: 'e,
    {
        Box::pin(async move {
            let mut conn = self.acquire().await?;
            let statement = conn.prepare_with(sql, parameters).await;
            statement.map_err(|e| dropped_if_dead(conn, e))
        })
    }

    // sqlx's query macros ask an executor to describe a statement (we use none; the method
    // exists because sqlx is built with its macros).
    fn describe<'e>(self, sql: SqlStr) -> BoxFuture<'e, DbResult<sqlx::Describe<Sqlite>>>
    where
        'p: 'e,
    {
        Box::pin(async move { self.acquire().await?.describe(sql).await })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::Connection as _;
    use sqlx::sqlite::SqliteJournalMode;

    async fn one_connection(dir: &tempfile::TempDir) -> Connections {
        let options = SqliteConnectOptions::new()
            .filename(dir.path().join("t.sqlite"))
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal);
        let c = Connections::open(options, 1).await.unwrap();
        sqlx::query("CREATE TABLE t (x INTEGER)").execute(&c).await.unwrap();
        c
    }

    /// A transaction dropped without commit (a cancelled request) leaves nothing behind: the
    /// next user of the same connection sees none of its writes and can begin its own.
    #[tokio::test]
    async fn a_dropped_transaction_is_rolled_back_before_the_connection_is_used_again() {
        let dir = tempfile::tempdir().unwrap();
        let c = one_connection(&dir).await;
        let mut conn = c.acquire().await.unwrap();
        let mut tx = conn.begin_with("BEGIN IMMEDIATE").await.unwrap();
        sqlx::query("INSERT INTO t VALUES (1)").execute(&mut *tx).await.unwrap();
        drop(tx);
        drop(conn);
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM t").fetch_one(&c).await.unwrap();
        assert_eq!(n, 0);
        let mut conn = c.acquire().await.unwrap();
        let mut tx = conn.begin_with("BEGIN IMMEDIATE").await.unwrap();
        sqlx::query("INSERT INTO t VALUES (2)").execute(&mut *tx).await.unwrap();
        tx.commit().await.unwrap();
        drop(conn);
        let all: Vec<i64> = sqlx::query_scalar("SELECT x FROM t").fetch_all(&c).await.unwrap();
        assert_eq!(all, [2]);
    }

    /// A statement cancelled while it runs (a timed-out request) does not hand the next user a
    /// connection in the middle of it, nor keep a read snapshot open that would hide later
    /// commits made through another connection.
    #[tokio::test]
    async fn a_statement_cancelled_midway_leaves_the_connection_clean() {
        let dir = tempfile::tempdir().unwrap();
        let c = one_connection(&dir).await;
        sqlx::query("INSERT INTO t VALUES (1)").execute(&c).await.unwrap();
        let slow = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT i FROM n, t";
        let rows = sqlx::query_scalar::<_, i64>(slow).fetch_all(&c);
        assert!(tokio::time::timeout(Duration::from_millis(50), rows).await.is_err());
        let other = Connections::open(SqliteConnectOptions::new().filename(dir.path().join("t.sqlite")), 1)
            .await
            .unwrap();
        sqlx::query("INSERT INTO t VALUES (2)").execute(&other).await.unwrap();
        let all: Vec<i64> = sqlx::query_scalar("SELECT x FROM t ORDER BY x").fetch_all(&c).await.unwrap();
        assert_eq!(all, [1, 2]);
    }

    /// Rows stream through the executor (`fetch_all`, `fetch_optional`, `execute`) and the
    /// one connection is reused for every statement.
    #[tokio::test]
    async fn statements_reuse_the_pooled_connection() {
        let dir = tempfile::tempdir().unwrap();
        let c = one_connection(&dir).await;
        for i in 0..3 {
            sqlx::query("INSERT INTO t VALUES (?)").bind(i).execute(&c).await.unwrap();
        }
        let all: Vec<i64> = sqlx::query_scalar("SELECT x FROM t ORDER BY x").fetch_all(&c).await.unwrap();
        assert_eq!(all, [0, 1, 2]);
        let none: Option<i64> = sqlx::query_scalar("SELECT x FROM t WHERE x = 9").fetch_optional(&c).await.unwrap();
        assert_eq!(none, None);
        let status = c.pool.status();
        assert_eq!((status.size, status.available), (1, 1));
    }
}
