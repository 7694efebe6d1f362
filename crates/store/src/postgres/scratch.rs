//! Throwaway databases for tests: a uniquely named database created on a PostgreSQL server
//! (given by any URL on it, e.g. `postgres://postgres@127.0.0.1:5432/postgres`) and dropped
//! again. Names are `mwupload_test_<unix seconds>_<random>`; creating one also drops such
//! databases older than a day, left behind by runs that were killed.

use crate::{StoreError, StoreResult};
use sqlx::{Connection, Executor, PgConnection};

const PREFIX: &str = "mwupload_test_";
const STALE_SECS: i64 = 24 * 3600;

/// A database created for one test run. Drop it with [`ScratchDatabase::drop_database`].
#[derive(Debug, Clone)]
pub struct ScratchDatabase {
    server_url: String,
    name: String,
    url: String,
}

impl ScratchDatabase {
    /// Creates a fresh, empty database on the server `server_url` points at.
    pub async fn create(server_url: &str) -> StoreResult<ScratchDatabase> {
        let mut conn = connect(server_url).await?;
        drop_stale(&mut conn).await;
        let name = format!("{PREFIX}{}_{}", crate::time::now_unix(), hex::encode(rand::random::<[u8; 5]>()));
        // The name is ours (digits, hex and underscores): safe to format in.
        conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .await
            .map_err(|e| StoreError::Database(format!("CREATE DATABASE {name}: {e}")))?;
        let _ = conn.close().await;
        let mut url = url::Url::parse(server_url).map_err(|e| StoreError::Database(format!("{server_url}: {e}")))?;
        url.set_path(&format!("/{name}"));
        Ok(ScratchDatabase {
            server_url: server_url.to_string(),
            name,
            url: url.to_string(),
        })
    }

    /// The database's URL (the server URL with this database's name).
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Drops the database, disconnecting whoever is still connected to it.
    pub async fn drop_database(&self) -> StoreResult<()> {
        let mut conn = connect(&self.server_url).await?;
        conn.execute(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name)))
            .await
            .map_err(|e| StoreError::Database(format!("DROP DATABASE {}: {e}", self.name)))?;
        let _ = conn.close().await;
        Ok(())
    }
}

async fn connect(server_url: &str) -> StoreResult<PgConnection> {
    PgConnection::connect(server_url)
        .await
        .map_err(|e| StoreError::Database(format!("connecting to PostgreSQL at {server_url}: {e}")))
}

/// Drops test databases whose creation time (in their name) is more than a day ago.
async fn drop_stale(conn: &mut PgConnection) {
    let names: Vec<String> = sqlx::query_scalar("SELECT datname FROM pg_database WHERE starts_with(datname, $1)")
        .bind(PREFIX)
        .fetch_all(&mut *conn)
        .await
        .unwrap_or_default();
    let now = crate::time::now_unix();
    for name in names {
        let created = name[PREFIX.len()..].split('_').next().and_then(|s| s.parse::<i64>().ok());
        let ours = name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if ours && created.is_some_and(|t| now - t > STALE_SECS) {
            let _ = conn
                .execute(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
                .await;
        }
    }
}
