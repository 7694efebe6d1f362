//! The SQLite adapter (the embedded default): WAL, `synchronous=FULL` (a committed upload
//! survives power loss), foreign keys, migrations applied at open. Write transactions begin
//! `IMMEDIATE`, taking the write lock up front, so read-then-write logic cannot interleave
//! even between processes sharing the database file. Races are decided by constraints (the
//! primary key on `files.name` gives a same-name race exactly one winner) and compare-and-set.
//!
//! Chunk leases are written on a connection of their own with `synchronous=NORMAL`: a lease only
//! means something to processes that are running, so it need not survive power loss, and its
//! commit should not cost every chunk an fsync. (WAL keeps commits in order: a later durable
//! commit makes the lease durable too; a lost one is a lease nobody holds any more.)

mod access;
mod accounts;
mod connections;
mod files;
mod group_commit;
mod jobs;
mod pages;
mod reads;
mod stash;
mod thumbs;

use crate::*;
use async_trait::async_trait;
use connections::Connections;
use reads::{Cols, Reads};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Connection as _, Row, SqliteConnection};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

type DbResult<T> = Result<T, sqlx::Error>;

/// One SQLite database. Several `SqliteStore`s (in one process or several) may open the same
/// file: every guarantee is made by the database, none by this value.
#[derive(Clone, Debug)]
pub struct SqliteStore {
    pool: Connections,
    /// One connection, `synchronous=NORMAL`: chunk leases (see the module's documentation).
    leases: Connections,
    /// Point reads on the calling thread (see reads.rs).
    reads: Reads,
    publisher: group_commit::GroupCommit,
}

const FILE_COLS: &str =
    "name, size, width, height, bits, page_count, metadata, media_type, mime, description, user_id, user_name, timestamp, sha1, blob_key";

fn file_from_row(r: &impl Cols, archived: bool) -> DbResult<FileVersion> {
    Ok(FileVersion {
        name: r.col("name")?,
        archive_name: if archived { r.col("archive_name")? } else { None },
        size: r.col("size")?,
        width: r.col("width")?,
        height: r.col("height")?,
        bits: r.col("bits")?,
        page_count: r.col("page_count")?,
        metadata: r.col("metadata")?,
        media_type: r.col("media_type")?,
        mime: r.col("mime")?,
        description: r.col("description")?,
        user_id: r.col("user_id")?,
        user_name: r.col("user_name")?,
        timestamp: r.col("timestamp")?,
        sha1: r.col("sha1")?,
        blob_key: r.col("blob_key")?,
    })
}

fn stash_from_row(r: &impl Cols) -> DbResult<StashRow> {
    Ok(StashRow {
        key: r.col("key")?,
        user_id: r.col("user_id")?,
        state: StashState::parse(&r.col::<String>("status")?).ok_or_else(|| sqlx::Error::ColumnDecode {
            index: "status".into(),
            source: "unknown stash status".into(),
        })?,
        blob_key: r.col("blob_key")?,
        size: r.col("size")?,
        sha1: r.col("sha1")?,
        hash_state: r.col("hash_state")?,
        blob_state: r.col("blob_state")?,
        mime: r.col("mime")?,
        media_type: r.col("media_type")?,
        width: r.col("width")?,
        height: r.col("height")?,
        bits: r.col("bits")?,
        page_count: r.col("page_count")?,
        metadata: r.col("metadata")?,
        source: r.col("source")?,
        temp_name: r.col("temp_name")?,
        timestamp: r.col("timestamp")?,
        expires_at: r.col("expires_at")?,
        verified_ext: r.col("verified_ext")?,
    })
}

/// A [`NameRecord`] from `page_*` columns, the file's columns and `deleted`.
fn name_record_from_row(r: &impl Cols, name: &str) -> DbResult<NameRecord> {
    let page = match r.col::<Option<i64>>("page_id")? {
        Some(id) => Some(PageRow {
            id,
            namespace: 6,
            title: name.to_string(),
            latest_rev: r.col("page_latest_rev")?,
            touched: r.col("page_touched")?,
        }),
        None => None,
    };
    let current = match r.col::<Option<String>>("name")? {
        Some(_) => Some(file_from_row(r, false)?),
        None => None,
    };
    Ok(NameRecord {
        page,
        current,
        deleted: r.col("deleted")?,
    })
}

fn page_from_row(r: &impl Cols) -> DbResult<PageRow> {
    Ok(PageRow {
        id: r.col("id")?,
        namespace: r.col("namespace")?,
        title: r.col("title")?,
        latest_rev: r.col("latest_rev")?,
        touched: r.col("touched")?,
    })
}

fn split_list(s: &str) -> Vec<String> {
    s.split(',').map(str::trim).filter(|x| !x.is_empty()).map(String::from).collect()
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

impl SqliteStore {
    /// Opens (creating) the database file and applies the migrations.
    pub async fn open(path: &Path) -> StoreResult<SqliteStore> {
        let url = format!("sqlite://{}", path.display());
        let opts = SqliteConnectOptions::from_str(&url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30));
        // The migrator runs on a one-connection sqlx pool of its own (on a connection borrowed
        // from elsewhere its future cannot be proven `Send`).
        let migrations = SqlitePoolOptions::new().max_connections(1).connect_with(opts.clone()).await?;
        sqlx::migrate!("./migrations/sqlite")
            .run(&migrations)
            .await
            .map_err(|e| StoreError::Database(format!("migrating {}: {e}", path.display())))?;
        migrations.close().await;
        // Not sqlx's pool, which pings a connection after every statement (connections.rs).
        let pool = Connections::open(opts.clone(), 8).await?;
        let leases = Connections::open(opts.synchronous(SqliteSynchronous::Normal), 1).await?;
        let reads = Reads::open(path.to_path_buf())?;
        Ok(SqliteStore {
            pool,
            leases,
            reads,
            publisher: Default::default(),
        })
    }
}

/// Begins a write transaction on `conn`. IMMEDIATE takes the write lock up front, so
/// read-then-write logic cannot interleave.
async fn begin_write(conn: &mut SqliteConnection) -> DbResult<sqlx::Transaction<'_, sqlx::Sqlite>> {
    conn.begin_with("BEGIN IMMEDIATE").await
}

const FA_COLS: &str = "id, name, archive_name, size, width, height, bits, page_count, metadata, media_type, mime, description, user_id, user_name, timestamp, sha1, blob_key, deleted_by, deleted_at";

/// A page was created: its title's create protection has done its job (MediaWiki removes it).
async fn page_created(tx: &mut SqliteConnection, namespace: i64, title: &str) -> DbResult<()> {
    sqlx::query("DELETE FROM protected_titles WHERE namespace = ? AND title = ?")
        .bind(namespace)
        .bind(title)
        .execute(&mut *tx)
        .await?;
    Ok(())
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

async fn insert_log(tx: &mut SqliteConnection, actor: &Actor<'_>, e: &LogEntry<'_>) -> DbResult<i64> {
    insert_logs(tx, actor, std::slice::from_ref(e)).await
}

/// Writes `entries` in order, in one statement; returns the last one's id.
async fn insert_logs(tx: &mut SqliteConnection, actor: &Actor<'_>, entries: &[LogEntry<'_>]) -> DbResult<i64> {
    let rows = vec![format!("({})", marks(10)); entries.len()].join(", ");
    let sql = format!(
        "INSERT INTO log_events (log_type, action, namespace, title, user_id, user_name, timestamp, comment, params, tags) VALUES {rows}"
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for e in entries {
        q = q
            .bind(e.log_type)
            .bind(e.action)
            .bind(e.namespace)
            .bind(e.title)
            .bind(actor.user_id)
            .bind(actor.user_name)
            .bind(e.timestamp)
            .bind(crate::comment::for_database(e.comment))
            .bind(e.params.to_json())
            .bind(e.tags.join(","));
    }
    Ok(q.execute(&mut *tx).await?.last_insert_rowid())
}

/// The columns every version row (current, old, deleted) has, in binding order.
const VERSION_FIELDS: &str =
    "size, width, height, bits, page_count, metadata, media_type, mime, description, user_id, user_name, timestamp, sha1, blob_key";

type Query<'q> = sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments>;

/// Binds [`VERSION_FIELDS`] of `v`.
fn bind_version<'q>(q: Query<'q>, v: &'q FileVersion) -> Query<'q> {
    q.bind(v.size)
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
}

/// `n` placeholders.
fn marks(n: usize) -> String {
    vec!["?"; n].join(", ")
}

async fn archive_version(tx: &mut SqliteConnection, v: &FileVersion, deleted_by: i64) -> DbResult<()> {
    let sql = format!(
        "INSERT INTO file_archive (name, archive_name, {VERSION_FIELDS}, deleted_by, deleted_at) VALUES ({})",
        marks(18)
    );
    let q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(&v.name).bind(&v.archive_name);
    bind_version(q, v)
        .bind(deleted_by)
        .bind(crate::time::now_ts())
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Inserts `v` as the current version of its file.
async fn insert_current(tx: &mut SqliteConnection, v: &FileVersion) -> DbResult<()> {
    let sql = format!("INSERT INTO files (name, {VERSION_FIELDS}) VALUES ({})", marks(15));
    bind_version(sqlx::query(sqlx::AssertSqlSafe(sql)).bind(&v.name), v)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Replaces the current version of `v.name` with `v`.
async fn update_current(tx: &mut SqliteConnection, v: &FileVersion) -> DbResult<()> {
    let sql = format!("UPDATE files SET ({VERSION_FIELDS}) = ({}) WHERE name = ?", marks(14));
    bind_version(sqlx::query(sqlx::AssertSqlSafe(sql)), v)
        .bind(&v.name)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Inserts `v` as an archived (old) version named `archive_name`.
async fn insert_old(tx: &mut SqliteConnection, v: &FileVersion, archive_name: &str) -> DbResult<()> {
    let sql = format!(
        "INSERT INTO old_files (name, archive_name, {VERSION_FIELDS}) VALUES ({})",
        marks(16)
    );
    bind_version(sqlx::query(sqlx::AssertSqlSafe(sql)).bind(&v.name).bind(archive_name), v)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// A null revision (`RevisionStore::newNullRevision`): the latest revision's text again, under
/// its own comment, as uploads over an existing page, protections and moves add one.
#[allow(clippy::too_many_arguments)]
async fn insert_null_revision(
    tx: &mut SqliteConnection,
    page_id: i64,
    latest: i64,
    comment: &str,
    user_id: i64,
    user_name: &str,
    timestamp: &str,
    tags: &[String],
) -> DbResult<i64> {
    let text: String = sqlx::query_scalar("SELECT text FROM revisions WHERE id = ?")
        .bind(latest)
        .fetch_optional(&mut *tx)
        .await?
        .unwrap_or_default();
    insert_revision(tx, page_id, &text, comment, user_id, user_name, timestamp, tags).await
}

#[allow(clippy::too_many_arguments)]
async fn insert_revision(
    tx: &mut SqliteConnection,
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
    let rev = sqlx::query(
        "INSERT INTO revisions (page_id, text, comment, user_id, user_name, timestamp, sha1, tags) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(page_id)
    .bind(text)
    .bind(crate::comment::for_database(comment))
    .bind(user_id)
    .bind(user_name)
    .bind(timestamp)
    .bind(sha1)
    .bind(tags.join(","))
    .execute(&mut *tx)
    .await?
    .last_insert_rowid();
    sqlx::query("UPDATE pages SET latest_rev = ?, touched = ? WHERE id = ?")
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

fn revision_row(r: &sqlx::sqlite::SqliteRow) -> DbResult<RevisionRow> {
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
