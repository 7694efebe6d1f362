//! The PostgreSQL adapter: the metadata of several replicas on one database. Its semantics are
//! the SQLite adapter's, method for method; only the locking differs.
//!
//! * Transactions run at PostgreSQL's default READ COMMITTED. What SQLite serializes with
//!   `BEGIN IMMEDIATE` (read, decide, write) is made atomic here by locking the rows the decision
//!   reads (`SELECT … FOR UPDATE`, which re-reads the latest committed version after waiting) or
//!   by deciding inside one statement (`UPDATE … WHERE <expected>`, `INSERT … ON CONFLICT`).
//! * A unique violation aborts a PostgreSQL transaction, so no transaction here expects one:
//!   inserts that may collide say `ON CONFLICT DO NOTHING` and look at what they changed (a
//!   same-name publish, an archive name in use, a page created meanwhile).
//! * Jobs are claimed with `FOR UPDATE SKIP LOCKED`: concurrent workers never wait for each
//!   other, and a job is handed to exactly one owner.
//! * A transaction that loses a deadlock or a serialization check is retried from the start
//!   (a few times), so callers see either the whole operation or an error.
//! * Every text column is `COLLATE "C"`: comparisons and orders are byte-wise, as in SQLite.
//!
//! * Chunk leases are written over connections of their own with `synchronous_commit = off`: a
//!   lease only means something to replicas that are running, so its commit need not wait for
//!   the WAL flush (a crash can lose it, and a lost lease is one nobody holds any more).
//!
//! Migrations (`migrations/postgres`) run at open; sqlx's migrator holds an advisory lock while it
//! works, so replicas may start together.

mod access;
mod accounts;
mod files;
mod jobs;
mod pages;
pub mod scratch;
mod stash;
mod thumbs;

use crate::*;
use async_trait::async_trait;
use sqlx::Row;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions, PgRow};
use std::future::Future;
use std::str::FromStr;
use std::time::Duration;

type DbResult<T> = Result<T, sqlx::Error>;

/// One PostgreSQL database. Any number of `PgStore`s (in one process or in several replicas)
/// may share it: every guarantee is made by the database, none by this value.
#[derive(Clone, Debug)]
pub struct PgStore {
    pool: PgPool,
    /// `synchronous_commit = off`: chunk leases (see the module's documentation).
    leases: PgPool,
}

impl PgStore {
    /// Connects to `url` (`postgres://user:password@host:port/database?…`) with at most
    /// `pool_size` connections and applies the migrations.
    pub async fn open(url: &str, pool_size: u32) -> StoreResult<PgStore> {
        let opts = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::Database(format!("database_url: {e}")))?
            .application_name("mwupload");
        let pool = pool_options()
            .max_connections(pool_size.max(1))
            .connect_with(opts.clone())
            .await
            .map_err(|e| StoreError::Database(format!("connecting to PostgreSQL: {e}")))?;
        sqlx::migrate!("./migrations/postgres")
            .run(&pool)
            .await
            .map_err(|e| StoreError::Database(format!("migrating the PostgreSQL database: {e}")))?;
        let leases = pool_options()
            .max_connections(pool_size.clamp(1, 2))
            .connect_lazy_with(opts.options([("synchronous_commit", "off")]));
        Ok(PgStore { pool, leases })
    }

    /// The connection pool (for tests and tools).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Closes every connection (waits for those in use to come back).
    pub async fn close(&self) {
        self.leases.close().await;
        self.pool.close().await
    }
}

/// A pooled connection idle for longer than this is pinged before it is handed out.
pub const PING_IDLE_AFTER: Duration = Duration::from_secs(1);

/// Pool settings shared by both pools. sqlx pings every pooled connection before handing it
/// out by default: one more network round trip before every statement, and sqlx pings it
/// again when it goes back to the pool. A connection used a moment ago (and pinged on its way
/// back) is live; one that sat idle may have been cut by a server restart, a failover or an
/// idle timeout, so only those are pinged (a dead one is replaced before anyone uses it).
fn pool_options() -> PgPoolOptions {
    PgPoolOptions::new()
        .acquire_timeout(Duration::from_secs(30))
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= PING_IDLE_AFTER {
                    sqlx::Connection::ping(conn).await?;
                }
                Ok(true)
            })
        })
}

/// Runs a whole transaction again when PostgreSQL aborted it to break a deadlock (40P01) or
/// failed a serialization check (40001); the aborted attempt changed nothing.
async fn retrying<T, F, Fut>(mut attempt: F) -> StoreResult<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = DbResult<T>>,
{
    let mut tries = 0u32;
    loop {
        match attempt().await {
            Err(e) if tries < 5 && is_retryable(&e) => {
                tries += 1;
                tracing::debug!(error = %e, tries, "transaction retried");
                tokio::time::sleep(Duration::from_millis(5 << tries)).await;
            }
            r => return r.map_err(StoreError::from),
        }
    }
}

fn is_retryable(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if matches!(d.code().as_deref(), Some("40P01" | "40001")))
}

const FILE_COLS: &str =
    "name, size, width, height, bits, page_count, metadata, media_type, mime, description, user_id, user_name, timestamp, sha1, blob_key";

const FA_COLS: &str = "id, name, archive_name, size, width, height, bits, page_count, metadata, media_type, mime, description, user_id, user_name, timestamp, sha1, blob_key, deleted_by, deleted_at";

fn file_from_row(r: &PgRow, archived: bool) -> DbResult<FileVersion> {
    Ok(FileVersion {
        name: r.try_get("name")?,
        archive_name: if archived { r.try_get("archive_name")? } else { None },
        size: r.try_get("size")?,
        width: r.try_get("width")?,
        height: r.try_get("height")?,
        bits: r.try_get("bits")?,
        page_count: r.try_get("page_count")?,
        metadata: r.try_get("metadata")?,
        media_type: r.try_get("media_type")?,
        mime: r.try_get("mime")?,
        description: r.try_get("description")?,
        user_id: r.try_get("user_id")?,
        user_name: r.try_get("user_name")?,
        timestamp: r.try_get("timestamp")?,
        sha1: r.try_get("sha1")?,
        blob_key: r.try_get("blob_key")?,
    })
}

fn stash_from_row(r: &PgRow) -> DbResult<StashRow> {
    Ok(StashRow {
        key: r.try_get("key")?,
        user_id: r.try_get("user_id")?,
        state: StashState::parse(&r.try_get::<String, _>("status")?).ok_or_else(|| sqlx::Error::ColumnDecode {
            index: "status".into(),
            source: "unknown stash status".into(),
        })?,
        blob_key: r.try_get("blob_key")?,
        size: r.try_get("size")?,
        sha1: r.try_get("sha1")?,
        hash_state: r.try_get("hash_state")?,
        blob_state: r.try_get("blob_state")?,
        mime: r.try_get("mime")?,
        media_type: r.try_get("media_type")?,
        width: r.try_get("width")?,
        height: r.try_get("height")?,
        bits: r.try_get("bits")?,
        page_count: r.try_get("page_count")?,
        metadata: r.try_get("metadata")?,
        source: r.try_get("source")?,
        temp_name: r.try_get("temp_name")?,
        timestamp: r.try_get("timestamp")?,
        expires_at: r.try_get("expires_at")?,
        verified_ext: r.try_get("verified_ext")?,
    })
}

/// A [`NameRecord`] from `page_*` columns, the file's columns and `deleted`.
fn name_record_from_row(r: &PgRow, name: &str) -> DbResult<NameRecord> {
    let page = match r.try_get::<Option<i64>, _>("page_id")? {
        Some(id) => Some(PageRow {
            id,
            namespace: 6,
            title: name.to_string(),
            latest_rev: r.try_get("page_latest_rev")?,
            touched: r.try_get("page_touched")?,
        }),
        None => None,
    };
    let current = match r.try_get::<Option<String>, _>("name")? {
        Some(_) => Some(file_from_row(r, false)?),
        None => None,
    };
    Ok(NameRecord {
        page,
        current,
        deleted: r.try_get("deleted")?,
    })
}

fn page_from_row(r: &PgRow) -> DbResult<PageRow> {
    Ok(PageRow {
        id: r.try_get("id")?,
        namespace: r.try_get("namespace")?,
        title: r.try_get("title")?,
        latest_rev: r.try_get("latest_rev")?,
        touched: r.try_get("touched")?,
    })
}

fn split_list(s: &str) -> Vec<String> {
    s.split(',').map(str::trim).filter(|x| !x.is_empty()).map(String::from).collect()
}

/// The exclusive upper bound of the names starting with `prefix` (byte-wise, as the columns
/// collate): a range scan instead of LIKE, so `%`/`_` in names need no escaping.
fn prefix_end(prefix: &str) -> String {
    let mut upper = prefix.to_string();
    upper.push(char::MAX);
    upper
}

/// A log entry to write (MediaWiki's `logging` row).
#[derive(Clone, Copy)]
struct LogEntry<'a> {
    log_type: &'a str,
    action: &'a str,
    namespace: i64,
    title: &'a str,
    timestamp: &'a str,
    comment: &'a str,
    params: &'a LogParams,
    tags: &'a [String],
}

async fn insert_log(tx: &mut PgConnection, actor: &Actor<'_>, e: &LogEntry<'_>) -> DbResult<i64> {
    sqlx::query_scalar(
        "INSERT INTO log_events (log_type, action, namespace, title, user_id, user_name, timestamp, comment, params, tags)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(e.log_type)
    .bind(e.action)
    .bind(e.namespace)
    .bind(e.title)
    .bind(actor.user_id)
    .bind(actor.user_name)
    .bind(e.timestamp)
    .bind(crate::comment::for_database(e.comment))
    .bind(e.params.to_json())
    .bind(e.tags.join(","))
    .fetch_one(&mut *tx)
    .await
}

async fn archive_version(tx: &mut PgConnection, v: &FileVersion, deleted_by: i64) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO file_archive (name, archive_name, size, width, height, bits, page_count, metadata, media_type, mime, description, user_id, user_name, timestamp, sha1, blob_key, deleted_by, deleted_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
    )
    .bind(&v.name)
    .bind(&v.archive_name)
    .bind(v.size)
    .bind(v.width)
    .bind(v.height)
    .bind(v.bits)
    .bind(v.page_count)
    .bind(&v.metadata)
    .bind(&v.media_type)
    .bind(&v.mime)
    .bind(crate::comment::for_database(&v.description))
    .bind(v.user_id)
    .bind(&v.user_name)
    .bind(&v.timestamp)
    .bind(&v.sha1)
    .bind(&v.blob_key)
    .bind(deleted_by)
    .bind(crate::time::now_ts())
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Inserts `v` as the current version of its file unless the name has one (committed, or
/// being inserted by a transaction this one then waits for). Returns whether it was inserted.
async fn insert_current(tx: &mut PgConnection, v: &FileVersion) -> DbResult<bool> {
    let r = sqlx::query(
        "INSERT INTO files (name, size, width, height, bits, page_count, metadata, media_type, mime, description, user_id, user_name, timestamp, sha1, blob_key)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
         ON CONFLICT (name) DO NOTHING",
    )
    .bind(&v.name)
    .bind(v.size)
    .bind(v.width)
    .bind(v.height)
    .bind(v.bits)
    .bind(v.page_count)
    .bind(&v.metadata)
    .bind(&v.media_type)
    .bind(&v.mime)
    .bind(crate::comment::for_database(&v.description))
    .bind(v.user_id)
    .bind(&v.user_name)
    .bind(&v.timestamp)
    .bind(&v.sha1)
    .bind(&v.blob_key)
    .execute(&mut *tx)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Inserts `v` as an archived (old) version named `archive_name` unless another old version has
/// that name. Returns whether it was inserted.
async fn insert_old(tx: &mut PgConnection, v: &FileVersion, archive_name: &str) -> DbResult<bool> {
    let r = sqlx::query(
        "INSERT INTO old_files (name, archive_name, size, width, height, bits, page_count, metadata, media_type, mime, description, user_id, user_name, timestamp, sha1, blob_key)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
         ON CONFLICT (archive_name) DO NOTHING",
    )
    .bind(&v.name)
    .bind(archive_name)
    .bind(v.size)
    .bind(v.width)
    .bind(v.height)
    .bind(v.bits)
    .bind(v.page_count)
    .bind(&v.metadata)
    .bind(&v.media_type)
    .bind(&v.mime)
    .bind(crate::comment::for_database(&v.description))
    .bind(v.user_id)
    .bind(&v.user_name)
    .bind(&v.timestamp)
    .bind(&v.sha1)
    .bind(&v.blob_key)
    .execute(&mut *tx)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// The page `(namespace, title)` locked for this transaction, created (empty, touched at
/// `touched`) if it does not exist. Returns (page id, latest revision, created). A page that
/// another transaction creates meanwhile is waited for and then locked, not created twice.
async fn lock_or_create_page(tx: &mut PgConnection, namespace: i64, title: &str, touched: &str) -> DbResult<(i64, i64, bool)> {
    // (Each turn waits for a transaction that created the page and one that deleted it again;
    // a bound keeps a pathological churn from spinning here forever.)
    for _ in 0..100 {
        let row = sqlx::query("SELECT id, latest_rev FROM pages WHERE namespace = $1 AND title = $2 FOR UPDATE")
            .bind(namespace)
            .bind(title)
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(r) = row {
            return Ok((r.try_get("id")?, r.try_get("latest_rev")?, false));
        }
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO pages (namespace, title, touched) VALUES ($1, $2, $3) ON CONFLICT (namespace, title) DO NOTHING RETURNING id",
        )
        .bind(namespace)
        .bind(title)
        .bind(touched)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(id) = id {
            // A created page no longer needs its create protection (WikiPage::onArticleCreate).
            sqlx::query("DELETE FROM protected_titles WHERE namespace = $1 AND title = $2")
                .bind(namespace)
                .bind(title)
                .execute(&mut *tx)
                .await?;
            return Ok((id, 0, true));
        }
        // Created by a transaction that committed while this one waited: lock that one.
    }
    Err(sqlx::Error::InvalidArgument(format!(
        "page {namespace}:{title} keeps being created and deleted"
    )))
}

/// A null revision (`RevisionStore::newNullRevision`): the latest revision's text again, under
/// its own comment, as uploads over an existing page, protections and moves add one.
#[allow(clippy::too_many_arguments)]
async fn insert_null_revision(
    tx: &mut PgConnection,
    page_id: i64,
    latest: i64,
    comment: &str,
    user_id: i64,
    user_name: &str,
    timestamp: &str,
    tags: &[String],
) -> DbResult<i64> {
    let text: String = sqlx::query_scalar("SELECT text FROM revisions WHERE id = $1")
        .bind(latest)
        .fetch_optional(&mut *tx)
        .await?
        .unwrap_or_default();
    insert_revision(tx, page_id, &text, comment, user_id, user_name, timestamp, tags).await
}

/// Adds a revision to a page this transaction has locked and makes it the latest.
#[allow(clippy::too_many_arguments)]
async fn insert_revision(
    tx: &mut PgConnection,
    page_id: i64,
    text: &str,
    comment: &str,
    user_id: i64,
    user_name: &str,
    timestamp: &str,
    tags: &[String],
) -> DbResult<i64> {
    use sha1::Digest;
    let sha1 = hex::encode(sha1::Sha1::digest(text.as_bytes()));
    let rev: i64 = sqlx::query_scalar(
        "INSERT INTO revisions (page_id, text, comment, user_id, user_name, timestamp, sha1, tags)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(page_id)
    .bind(text)
    .bind(crate::comment::for_database(comment))
    .bind(user_id)
    .bind(user_name)
    .bind(timestamp)
    .bind(sha1)
    .bind(tags.join(","))
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query("UPDATE pages SET latest_rev = $1, touched = $2 WHERE id = $3")
        .bind(rev)
        .bind(timestamp)
        .bind(page_id)
        .execute(&mut *tx)
        .await?;
    Ok(rev)
}

/// Revision columns plus the parent (the page's previous revision), for `revision_row`.
const REVISION_COLUMNS: &str = "r.id, r.page_id, r.text, r.comment, r.user_id, r.user_name, r.timestamp, r.sha1, r.tags, \
     COALESCE((SELECT MAX(p.id) FROM revisions p WHERE p.page_id = r.page_id AND p.id < r.id), 0) AS parent_id";

fn revision_row(r: &PgRow) -> DbResult<RevisionRow> {
    Ok(RevisionRow {
        tags: split_list(&r.try_get::<String, _>("tags")?),
        id: r.try_get("id")?,
        page_id: r.try_get("page_id")?,
        text: r.try_get("text")?,
        comment: r.try_get("comment")?,
        user_id: r.try_get("user_id")?,
        user_name: r.try_get("user_name")?,
        timestamp: r.try_get("timestamp")?,
        sha1: r.try_get("sha1")?,
        parent_id: r.try_get("parent_id")?,
    })
}
