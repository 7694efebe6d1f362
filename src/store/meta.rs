//! Metadata store. Operations that need atomicity are single methods (no generic transactions
//! leak out), so each engine can implement them with its own locking: SQLite uses
//! `BEGIN IMMEDIATE`; a PostgreSQL implementation would use row locks. Races are decided by
//! constraints (the primary key on `files.name` gives a same-name race exactly one winner).

use serde_json::Value;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqliteConnection};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

pub type DbResult<T> = Result<T, sqlx::Error>;

#[derive(Clone, Debug)]
pub struct MetaStore {
    pool: SqlitePool,
}

#[derive(Debug, Clone)]
pub struct UserRow {
    pub id: i64,
    pub name: String,
    pub password_hash: String,
    pub groups: Vec<String>,
    pub registered: String,
}

#[derive(Debug, Clone)]
pub struct BotPasswordRow {
    pub user_id: i64,
    pub app_id: String,
    pub password_hash: String,
    pub grants: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct SessionRow {
    pub id: String,
    pub secret: String,
    pub user_id: Option<i64>,
    pub bot_app_id: Option<String>,
}

/// One version of a file: current (`files`), archived (`old_files`) or deleted (`file_archive`).
#[derive(Debug, Clone, PartialEq)]
pub struct FileVersion {
    pub name: String,
    pub archive_name: Option<String>,
    pub size: i64,
    pub width: i64,
    pub height: i64,
    pub bits: i64,
    pub page_count: Option<i64>,
    /// JSON array of [name, value] pairs (imageinfo `metadata`).
    pub metadata: String,
    pub media_type: String,
    pub mime: String,
    pub description: String,
    pub user_id: i64,
    pub user_name: String,
    pub timestamp: String,
    pub sha1: String,
    pub blob_key: String,
}

#[derive(Debug, Clone)]
pub struct StashRow {
    pub key: String,
    pub user_id: i64,
    pub status: String,
    pub blob_key: String,
    pub size: i64,
    pub sha1: String,
    pub hash_state: Option<Vec<u8>>,
    pub mime: String,
    pub media_type: String,
    pub width: i64,
    pub height: i64,
    pub bits: i64,
    pub page_count: Option<i64>,
    pub metadata: String,
    pub source: String,
    pub temp_name: String,
    pub timestamp: String,
    pub expires_at: i64,
}

#[derive(Debug, Clone)]
pub struct PageRow {
    pub id: i64,
    pub namespace: i64,
    pub title: String,
    pub latest_rev: i64,
    pub touched: String,
}

/// list=allimages' selection (see `MetaStore::list_files`).
#[derive(Debug, Default)]
pub struct FileListQuery<'a> {
    pub by_time: bool,
    pub descending: bool,
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
    pub prefix: Option<&'a str>,
    /// TS_MW bounds (by time).
    pub start: Option<&'a str>,
    pub end: Option<&'a str>,
    /// Resume point: a name, or a TS_MW timestamp and name when by time.
    pub continue_ts: Option<&'a str>,
    pub continue_name: Option<&'a str>,
    pub user: Option<&'a str>,
    pub sha1: Option<&'a str>,
    pub min_size: Option<i64>,
    pub max_size: Option<i64>,
    /// Some(list): only these MIME types (an empty list matches nothing).
    pub mimes: Option<&'a [String]>,
    pub limit: i64,
}

/// list=logevents' selection (see `MetaStore::log_events`).
#[derive(Debug, Default)]
pub struct LogQuery<'a> {
    pub log_type: Option<&'a str>,
    pub action: Option<&'a str>,
    pub user: Option<&'a str>,
    pub namespace: Option<i64>,
    /// The namespace of `title` or `prefix`.
    pub title_namespace: Option<i64>,
    pub title: Option<&'a str>,
    pub prefix: Option<&'a str>,
    pub tag: Option<&'a str>,
    /// TS_MW bounds.
    pub start: Option<&'a str>,
    pub end: Option<&'a str>,
    pub newer_first: bool,
    /// Resume position: (TS_MW timestamp, id).
    pub from: Option<(&'a str, i64)>,
    pub limit: i64,
}

/// list=watchlistraw's selection (see `MetaStore::watchlist`).
#[derive(Debug, Default)]
pub struct WatchlistQuery<'a> {
    pub user_id: i64,
    pub descending: bool,
    /// Inclusive bounds as (namespace, DB key).
    pub from: Option<(i64, &'a str)>,
    pub to: Option<(i64, &'a str)>,
    /// Some(list): only these namespaces.
    pub namespaces: Option<&'a [i64]>,
    pub limit: i64,
}

/// list=filearchive's selection (see `MetaStore::list_file_archive`).
#[derive(Debug, Default)]
pub struct ArchiveQuery<'a> {
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
    pub prefix: Option<&'a str>,
    pub sha1: Option<&'a str>,
    pub descending: bool,
    /// Resume position: (name, TS_MW timestamp, id).
    pub resume: Option<(&'a str, &'a str, i64)>,
    pub limit: i64,
}

/// prop=revisions' enumeration of one page (see `MetaStore::page_revisions`).
#[derive(Debug, Default)]
pub struct RevisionQuery<'a> {
    pub page_id: i64,
    pub newest_first: bool,
    /// Resume point (rvcontinue's revision id).
    pub from_id: Option<i64>,
    pub start_id: Option<i64>,
    pub end_id: Option<i64>,
    /// TS_MW bounds.
    pub start: Option<&'a str>,
    pub end: Option<&'a str>,
    pub user: Option<&'a str>,
    pub exclude_user: Option<&'a str>,
    pub tag: Option<&'a str>,
    pub limit: i64,
}

/// One `action=edit` save.
#[derive(Debug, Clone)]
pub struct PageEdit<'a> {
    pub namespace: i64,
    pub title: &'a str,
    pub text: &'a str,
    pub comment: &'a str,
    pub user_id: i64,
    pub user_name: &'a str,
    pub tags: &'a [String],
    /// The revision the editor started from (conflict detection), if they said.
    pub base_rev: Option<i64>,
}

pub enum EditOutcome {
    Saved {
        page_id: i64,
        rev: i64,
        new: bool,
    },
    /// Another user saved after the base revision.
    Conflict,
}

#[derive(Debug, Clone)]
pub struct RevisionRow {
    pub tags: Vec<String>,
    pub id: i64,
    pub page_id: i64,
    pub text: String,
    pub comment: String,
    pub user_id: i64,
    pub user_name: String,
    pub timestamp: String,
    pub sha1: String,
    /// The page's previous revision (0 for the first).
    pub parent_id: i64,
}

#[derive(Debug, Clone)]
pub struct LogRow {
    pub tags: Vec<String>,
    pub id: i64,
    pub log_type: String,
    pub action: String,
    pub namespace: i64,
    pub title: String,
    pub user_id: i64,
    pub user_name: String,
    pub timestamp: String,
    pub comment: String,
    pub params: String,
}

/// What a publish asks for.
#[derive(Debug, Clone)]
pub struct PublishRequest {
    pub version: FileVersion,
    /// The caller saw no existing file and did not ignore warnings: if one appeared meanwhile,
    /// fail with `PublishOutcome::Exists` instead of overwriting.
    pub must_be_new: bool,
    /// Description page text for a new page.
    pub page_text: String,
    pub comment: String,
    pub tags: Vec<String>,
    /// Upload-log action instead of `upload`/`overwrite` (`revert` for action=filerevert).
    pub log_action: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PublishOutcome {
    /// Stored; `overwrote` tells `upload` from `overwrite`. `timestamp` is the (possibly bumped) version timestamp.
    Published { overwrote: bool, timestamp: String },
    /// Another upload created the file first (must_be_new).
    Exists,
    /// Identical to the current version (`fileexists-no-change`).
    NoChange,
}

const FILE_COLS: &str =
    "name, size, width, height, bits, page_count, metadata, media_type, mime, description, user_id, user_name, timestamp, sha1, blob_key";

fn file_from_row(r: &sqlx::sqlite::SqliteRow, archived: bool) -> DbResult<FileVersion> {
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

fn stash_from_row(r: &sqlx::sqlite::SqliteRow) -> DbResult<StashRow> {
    Ok(StashRow {
        key: r.try_get("key")?,
        user_id: r.try_get("user_id")?,
        status: r.try_get("status")?,
        blob_key: r.try_get("blob_key")?,
        size: r.try_get("size")?,
        sha1: r.try_get("sha1")?,
        hash_state: r.try_get("hash_state")?,
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
    })
}

fn split_list(s: &str) -> Vec<String> {
    s.split(',').map(str::trim).filter(|x| !x.is_empty()).map(String::from).collect()
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

impl MetaStore {
    /// Opens (creating) the SQLite database: WAL, synchronous=FULL (a committed upload survives
    /// power loss), foreign keys, and migrations applied.
    pub async fn open_sqlite(path: &Path) -> anyhow::Result<MetaStore> {
        let url = format!("sqlite://{}", path.display());
        let opts = SqliteConnectOptions::from_str(&url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30));
        let pool = SqlitePoolOptions::new().max_connections(8).connect_with(opts).await?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        Ok(MetaStore { pool })
    }

    async fn begin_write(&self) -> DbResult<sqlx::Transaction<'static, sqlx::Sqlite>> {
        // IMMEDIATE takes the write lock up front, so read-then-write logic cannot interleave.
        self.pool.begin_with("BEGIN IMMEDIATE").await
    }

    // ----------------------------------------------------------------- settings
    pub async fn get_setting(&self, name: &str) -> DbResult<Option<String>> {
        sqlx::query_scalar("SELECT value FROM settings WHERE name = ?")
            .bind(name)
            .fetch_optional(&self.pool)
            .await
    }

    /// Sets a setting only if absent; returns the value now stored (first writer wins).
    pub async fn init_setting(&self, name: &str, value: &str) -> DbResult<String> {
        sqlx::query("INSERT OR IGNORE INTO settings (name, value) VALUES (?, ?)")
            .bind(name)
            .bind(value)
            .execute(&self.pool)
            .await?;
        Ok(self.get_setting(name).await?.unwrap_or_else(|| value.to_string()))
    }

    // ----------------------------------------------------------------- users
    pub async fn create_user(&self, name: &str, password_hash: &str, groups: &[String]) -> DbResult<Option<i64>> {
        let r = sqlx::query("INSERT INTO users (name, password_hash, groups_list, registered) VALUES (?, ?, ?, ?)")
            .bind(name)
            .bind(password_hash)
            .bind(groups.join(","))
            .bind(crate::time::now_ts())
            .execute(&self.pool)
            .await;
        match r {
            Ok(done) => Ok(Some(done.last_insert_rowid())),
            Err(e) if is_unique_violation(&e) => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub async fn count_users(&self) -> DbResult<i64> {
        sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(&self.pool).await
    }

    fn user_from_row(r: &sqlx::sqlite::SqliteRow) -> DbResult<UserRow> {
        Ok(UserRow {
            id: r.try_get("id")?,
            name: r.try_get("name")?,
            password_hash: r.try_get("password_hash")?,
            groups: split_list(&r.try_get::<String, _>("groups_list")?),
            registered: r.try_get("registered")?,
        })
    }

    pub async fn user_by_name(&self, name: &str) -> DbResult<Option<UserRow>> {
        let row = sqlx::query("SELECT * FROM users WHERE name = ?")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(Self::user_from_row).transpose()
    }

    pub async fn user_by_id(&self, id: i64) -> DbResult<Option<UserRow>> {
        let row = sqlx::query("SELECT * FROM users WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(Self::user_from_row).transpose()
    }

    pub async fn set_user_groups(&self, id: i64, groups: &[String]) -> DbResult<bool> {
        let r = sqlx::query("UPDATE users SET groups_list = ? WHERE id = ?")
            .bind(groups.join(","))
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected() == 1)
    }

    pub async fn set_user_password(&self, id: i64, hash: &str) -> DbResult<bool> {
        let r = sqlx::query("UPDATE users SET password_hash = ? WHERE id = ?")
            .bind(hash)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Creates or replaces a bot password.
    pub async fn put_bot_password(&self, user_id: i64, app_id: &str, hash: &str, grants: &[String]) -> DbResult<()> {
        sqlx::query(
            "INSERT INTO bot_passwords (user_id, app_id, password_hash, grants, created) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (user_id, app_id) DO UPDATE SET password_hash = excluded.password_hash, grants = excluded.grants",
        )
        .bind(user_id)
        .bind(app_id)
        .bind(hash)
        .bind(grants.join(","))
        .bind(crate::time::now_ts())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn bot_password(&self, user_id: i64, app_id: &str) -> DbResult<Option<BotPasswordRow>> {
        let row = sqlx::query("SELECT * FROM bot_passwords WHERE user_id = ? AND app_id = ?")
            .bind(user_id)
            .bind(app_id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(BotPasswordRow {
                user_id: r.try_get("user_id")?,
                app_id: r.try_get("app_id")?,
                password_hash: r.try_get("password_hash")?,
                grants: split_list(&r.try_get::<String, _>("grants")?),
            })
        })
        .transpose()
    }

    // ----------------------------------------------------------------- sessions
    pub async fn create_session(&self, id: &str, secret: &str) -> DbResult<()> {
        let now = crate::time::now_ts();
        sqlx::query("INSERT INTO sessions (id, secret, created, last_seen) VALUES (?, ?, ?, ?)")
            .bind(id)
            .bind(secret)
            .bind(&now)
            .bind(&now)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn session(&self, id: &str) -> DbResult<Option<SessionRow>> {
        let row = sqlx::query("SELECT id, secret, user_id, bot_app_id FROM sessions WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(SessionRow {
                id: r.try_get("id")?,
                secret: r.try_get("secret")?,
                user_id: r.try_get("user_id")?,
                bot_app_id: r.try_get("bot_app_id")?,
            })
        })
        .transpose()
    }

    /// Logs a session in (or out with `None`), rotating its token secret like MediaWiki does.
    pub async fn set_session_user(&self, id: &str, user_id: Option<i64>, bot_app_id: Option<&str>, new_secret: &str) -> DbResult<()> {
        sqlx::query("UPDATE sessions SET user_id = ?, bot_app_id = ?, secret = ?, last_seen = ? WHERE id = ?")
            .bind(user_id)
            .bind(bot_app_id)
            .bind(new_secret)
            .bind(crate::time::now_ts())
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    // ----------------------------------------------------------------- files
    pub async fn current_file(&self, name: &str) -> DbResult<Option<FileVersion>> {
        let sql = format!("SELECT {FILE_COLS} FROM files WHERE name = ?");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(name).fetch_optional(&self.pool).await?;
        row.as_ref().map(|r| file_from_row(r, false)).transpose()
    }

    /// Archived versions of `name`, newest first.
    pub async fn old_versions(&self, name: &str) -> DbResult<Vec<FileVersion>> {
        let sql = format!("SELECT {FILE_COLS}, archive_name FROM old_files WHERE name = ? ORDER BY timestamp DESC, id DESC");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(name).fetch_all(&self.pool).await?;
        rows.iter().map(|r| file_from_row(r, true)).collect()
    }

    pub async fn old_version_by_archive_name(&self, archive_name: &str) -> DbResult<Option<FileVersion>> {
        let sql = format!("SELECT {FILE_COLS}, archive_name FROM old_files WHERE archive_name = ?");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(archive_name)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(|r| file_from_row(r, true)).transpose()
    }

    /// Names of current files with this SHA-1.
    pub async fn names_with_sha1(&self, sha1: &str) -> DbResult<Vec<String>> {
        sqlx::query_scalar("SELECT name FROM files WHERE sha1 = ? ORDER BY name")
            .bind(sha1)
            .fetch_all(&self.pool)
            .await
    }

    /// Names of deleted files with this SHA-1.
    pub async fn archived_names_with_sha1(&self, sha1: &str) -> DbResult<Vec<String>> {
        sqlx::query_scalar("SELECT DISTINCT name FROM file_archive WHERE sha1 = ? ORDER BY name")
            .bind(sha1)
            .fetch_all(&self.pool)
            .await
    }

    /// Current files named `<prefix>…` (for `exists-normalized`: same base, other extension).
    pub async fn names_with_prefix(&self, prefix: &str, limit: i64) -> DbResult<Vec<String>> {
        // Range scan instead of LIKE, so `%`/`_` in names need no escaping.
        let mut upper = prefix.to_string();
        upper.push(char::MAX);
        sqlx::query_scalar("SELECT name FROM files WHERE name >= ? AND name < ? ORDER BY name LIMIT ?")
            .bind(prefix)
            .bind(upper)
            .bind(limit)
            .fetch_all(&self.pool)
            .await
    }

    /// `list=allimages` by name.
    /// Current files for list=allimages: by name or by (timestamp, name), in either
    /// direction, with MediaWiki's filters. Ranges and resume points are inclusive.
    pub async fn list_files<'a>(&self, q: &FileListQuery<'a>) -> DbResult<Vec<FileVersion>> {
        enum Bind<'a> {
            Text(&'a str),
            Owned(String),
            Int(i64),
        }
        let (ge, le) = if q.descending { ("<=", ">=") } else { (">=", "<=") };
        let mut conds: Vec<String> = Vec::new();
        let mut bs: Vec<Bind> = Vec::new();
        let mut add = |c: String, b: Vec<Bind<'a>>| {
            conds.push(c);
            bs.extend(b);
        };
        if let Some(f) = q.from {
            add(format!("name {ge} ?"), vec![Bind::Text(f)]);
        }
        if let Some(t) = q.to {
            add(format!("name {le} ?"), vec![Bind::Text(t)]);
        }
        if let Some(p) = q.prefix {
            let mut upper = p.to_string();
            upper.push(char::MAX);
            add("name >= ? AND name < ?".into(), vec![Bind::Text(p), Bind::Owned(upper)]);
        }
        if let Some(st) = q.start {
            add(format!("timestamp {ge} ?"), vec![Bind::Text(st)]);
        }
        if let Some(e) = q.end {
            add(format!("timestamp {le} ?"), vec![Bind::Text(e)]);
        }
        match (q.continue_ts, q.continue_name) {
            (Some(ts), Some(name)) => {
                let op = if q.descending { "<" } else { ">" };
                add(
                    format!("(timestamp {op} ? OR (timestamp = ? AND name {op}= ?))"),
                    vec![Bind::Text(ts), Bind::Text(ts), Bind::Text(name)],
                );
            }
            (None, Some(name)) => add(format!("name {ge} ?"), vec![Bind::Text(name)]),
            _ => {}
        }
        if let Some(u) = q.user {
            add("user_name = ?".into(), vec![Bind::Text(u)]);
        }
        if let Some(h) = q.sha1 {
            add("sha1 = ?".into(), vec![Bind::Text(h)]);
        }
        if let Some(n) = q.min_size {
            add("size >= ?".into(), vec![Bind::Int(n)]);
        }
        if let Some(n) = q.max_size {
            add("size <= ?".into(), vec![Bind::Int(n)]);
        }
        if let Some(mimes) = q.mimes {
            if mimes.is_empty() {
                return Ok(Vec::new());
            }
            let marks = vec!["?"; mimes.len()].join(", ");
            add(format!("mime IN ({marks})"), mimes.iter().map(|m| Bind::Text(m.as_str())).collect());
        }
        let dir = if q.descending { "DESC" } else { "ASC" };
        let order = if q.by_time {
            format!("timestamp {dir}, name {dir}")
        } else {
            format!("name {dir}")
        };
        let filter = if conds.is_empty() { "1=1".to_string() } else { conds.join(" AND ") };
        // Only column names and operators are formatted in; every value is bound.
        let sql = format!("SELECT {FILE_COLS} FROM files WHERE {filter} ORDER BY {order} LIMIT ?");
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for b in bs {
            query = match b {
                Bind::Text(t) => query.bind(t.to_string()),
                Bind::Owned(t) => query.bind(t),
                Bind::Int(n) => query.bind(n),
            };
        }
        let rows = query.bind(q.limit).fetch_all(&self.pool).await?;
        rows.iter().map(|r| file_from_row(r, false)).collect()
    }

    pub async fn list_files_by_sha1(&self, sha1: &str, limit: i64) -> DbResult<Vec<FileVersion>> {
        let sql = format!("SELECT {FILE_COLS} FROM files WHERE sha1 = ? ORDER BY name LIMIT ?");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(sha1)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| file_from_row(r, false)).collect()
    }

    /// Publishes a new version atomically: archive the current one (if any), write the new row,
    /// create the description page or add a null revision, and log it.
    pub async fn publish(&self, req: &PublishRequest) -> DbResult<PublishOutcome> {
        let mut tx = self.begin_write().await?;
        let v = &req.version;
        let sql = format!("SELECT {FILE_COLS} FROM files WHERE name = ?");
        let current = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(&v.name).fetch_optional(&mut *tx).await?;
        let current = current.as_ref().map(|r| file_from_row(r, false)).transpose()?;
        let mut timestamp = v.timestamp.clone();
        let overwrote = match &current {
            Some(_) if req.must_be_new => return Ok(PublishOutcome::Exists),
            Some(cur) if cur.sha1 == v.sha1 => return Ok(PublishOutcome::NoChange),
            Some(cur) => {
                // Versions keep a strict order: a new timestamp not after the previous one is bumped.
                if timestamp <= cur.timestamp {
                    timestamp = crate::time::ts_add_secs(&cur.timestamp, 1);
                }
                // Archive name from the time of archiving; unique even within one second.
                let mut archive_ts = crate::time::now_ts();
                loop {
                    let archive_name = super::paths::archive_name(&archive_ts, &cur.name);
                    let r = insert_old(&mut tx, cur, &archive_name).await;
                    match r {
                        Ok(_) => break,
                        Err(e) if is_unique_violation(&e) => archive_ts = crate::time::ts_add_secs(&archive_ts, 1),
                        Err(e) => return Err(e),
                    }
                }
                sqlx::query(
                    "UPDATE files SET size = ?, width = ?, height = ?, bits = ?, page_count = ?, metadata = ?, media_type = ?, mime = ?,
                     description = ?, user_id = ?, user_name = ?, timestamp = ?, sha1 = ?, blob_key = ? WHERE name = ?",
                )
                .bind(v.size)
                .bind(v.width)
                .bind(v.height)
                .bind(v.bits)
                .bind(v.page_count)
                .bind(&v.metadata)
                .bind(&v.media_type)
                .bind(&v.mime)
                .bind(&v.description)
                .bind(v.user_id)
                .bind(&v.user_name)
                .bind(&timestamp)
                .bind(&v.sha1)
                .bind(&v.blob_key)
                .bind(&v.name)
                .execute(&mut *tx)
                .await?;
                true
            }
            None => {
                let r = insert_current(&mut tx, v, &timestamp).await;
                match r {
                    Ok(_) => false,
                    Err(e) if is_unique_violation(&e) => return Ok(PublishOutcome::Exists),
                    Err(e) => return Err(e),
                }
            }
        };
        // Description page: new page gets the text; an existing one a null revision.
        let mut created_page = false;
        let page = sqlx::query("SELECT id, latest_rev FROM pages WHERE namespace = 6 AND title = ?")
            .bind(&v.name)
            .fetch_optional(&mut *tx)
            .await?;
        let display = v.name.replace('_', " ");
        match page {
            None => {
                let page_id = sqlx::query("INSERT INTO pages (namespace, title, touched) VALUES (6, ?, ?)")
                    .bind(&v.name)
                    .bind(&timestamp)
                    .execute(&mut *tx)
                    .await?
                    .last_insert_rowid();
                created_page = true;
                insert_revision(
                    &mut tx,
                    page_id,
                    &req.page_text,
                    &req.comment,
                    v.user_id,
                    &v.user_name,
                    &timestamp,
                    &req.tags,
                )
                .await?;
            }
            Some(p) => {
                let page_id: i64 = p.try_get("id")?;
                let latest: i64 = p.try_get("latest_rev")?;
                let text: String = sqlx::query_scalar("SELECT text FROM revisions WHERE id = ?")
                    .bind(latest)
                    .fetch_optional(&mut *tx)
                    .await?
                    .unwrap_or_default();
                let summary = if overwrote {
                    format!("uploaded a new version of \"[[File:{display}]]\"")
                } else {
                    format!("uploaded \"[[File:{display}]]\"")
                };
                insert_revision(&mut tx, page_id, &text, &summary, v.user_id, &v.user_name, &timestamp, &req.tags).await?;
            }
        }
        // As MediaWiki stores them: base-36 SHA-1 and TS_MW timestamp.
        let params =
            serde_json::json!({ "img_sha1": super::paths::sha1_hex_to_base36(&v.sha1).unwrap_or_default(), "img_timestamp": timestamp });
        sqlx::query(
            "INSERT INTO log_events (log_type, action, namespace, title, user_id, user_name, timestamp, comment, params, tags)
             VALUES ('upload', ?, 6, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(req.log_action.as_deref().unwrap_or(if overwrote { "overwrite" } else { "upload" }))
        .bind(&v.name)
        .bind(v.user_id)
        .bind(&v.user_name)
        .bind(&timestamp)
        .bind(&req.comment)
        .bind(params.to_string())
        .bind(req.tags.join(","))
        .execute(&mut *tx)
        .await?;
        if created_page {
            // MediaWiki's page creation log ($wgPageCreationLog), after the upload entry.
            insert_creation_log(&mut tx, 6, &v.name, v.user_id, &v.user_name, &timestamp, &req.comment, &req.tags).await?;
        }
        tx.commit().await?;
        Ok(PublishOutcome::Published { overwrote, timestamp })
    }

    // ----------------------------------------------------------------- pages

    pub async fn page(&self, namespace: i64, title: &str) -> DbResult<Option<PageRow>> {
        let row = sqlx::query("SELECT id, namespace, title, latest_rev, touched FROM pages WHERE namespace = ? AND title = ?")
            .bind(namespace)
            .bind(title)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(PageRow {
                id: r.try_get("id")?,
                namespace: r.try_get("namespace")?,
                title: r.try_get("title")?,
                latest_rev: r.try_get("latest_rev")?,
                touched: r.try_get("touched")?,
            })
        })
        .transpose()
    }

    pub async fn revision(&self, id: i64) -> DbResult<Option<RevisionRow>> {
        let sql = format!("SELECT {REVISION_COLUMNS} FROM revisions r WHERE r.id = ?");
        // Only constant fragments are formatted in; values are bound.
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&self.pool).await?;
        row.map(|r| revision_row(&r)).transpose()
    }

    /// A page's revisions from `from_id` on (inclusive), newest or oldest first.
    /// One page's revisions for prop=revisions' enumeration mode, newest or oldest first.
    /// Bounds are inclusive; `start` is where the walk begins (the newer end when newest first).
    pub async fn page_revisions(&self, q: &RevisionQuery<'_>) -> DbResult<Vec<RevisionRow>> {
        let (from_op, to_op, order) = if q.newest_first {
            ("<=", ">=", "DESC")
        } else {
            (">=", "<=", "ASC")
        };
        let mut sql = format!("SELECT {REVISION_COLUMNS} FROM revisions r WHERE r.page_id = ?");
        let mut ints: Vec<i64> = Vec::new();
        let mut texts: Vec<String> = Vec::new();
        for (id, op) in [(q.from_id, from_op), (q.start_id, from_op), (q.end_id, to_op)] {
            if let Some(id) = id {
                sql.push_str(&format!(" AND r.id {op} ?"));
                ints.push(id);
            }
        }
        for (ts, op) in [(q.start, from_op), (q.end, to_op)] {
            if let Some(ts) = ts {
                sql.push_str(&format!(" AND r.timestamp {op} ?"));
                texts.push(ts.to_string());
            }
        }
        if let Some(u) = q.user {
            sql.push_str(" AND r.user_name = ?");
            texts.push(u.to_string());
        }
        if let Some(u) = q.exclude_user {
            sql.push_str(" AND r.user_name != ?");
            texts.push(u.to_string());
        }
        if let Some(tag) = q.tag {
            // Tags are stored comma separated.
            sql.push_str(" AND (',' || r.tags || ',') LIKE ?");
            texts.push(format!("%,{tag},%"));
        }
        sql.push_str(&format!(" ORDER BY r.id {order} LIMIT ?"));
        // Only operators are formatted in; every value is bound.
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(q.page_id);
        for n in ints {
            query = query.bind(n);
        }
        for t in texts {
            query = query.bind(t);
        }
        let rows = query.bind(q.limit).fetch_all(&self.pool).await?;
        rows.iter().map(revision_row).collect()
    }

    /// Creates or replaces a page's text (a new revision), unless `edit.base_rev` is set and
    /// another user has saved a revision after it (an edit conflict: nothing is written). The
    /// check and the write are one transaction, so two editors of one base cannot both win.
    pub async fn edit_page(&self, edit: &PageEdit<'_>) -> DbResult<EditOutcome> {
        let mut tx = self.begin_write().await?;
        let now = crate::time::now_ts();
        let existing: Option<i64> = sqlx::query_scalar("SELECT id FROM pages WHERE namespace = ? AND title = ?")
            .bind(edit.namespace)
            .bind(edit.title)
            .fetch_optional(&mut *tx)
            .await?;
        if let (Some(page_id), Some(base)) = (existing, edit.base_rev) {
            let others: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM revisions WHERE page_id = ? AND id > ? AND user_id != ?")
                .bind(page_id)
                .bind(base)
                .bind(edit.user_id)
                .fetch_one(&mut *tx)
                .await?;
            if others > 0 {
                return Ok(EditOutcome::Conflict);
            }
        }
        let (page_id, new) = match existing {
            Some(id) => (id, false),
            None => {
                let id = sqlx::query("INSERT INTO pages (namespace, title, touched) VALUES (?, ?, ?)")
                    .bind(edit.namespace)
                    .bind(edit.title)
                    .bind(&now)
                    .execute(&mut *tx)
                    .await?
                    .last_insert_rowid();
                (id, true)
            }
        };
        let rev = insert_revision(
            &mut tx,
            page_id,
            edit.text,
            edit.comment,
            edit.user_id,
            edit.user_name,
            &now,
            edit.tags,
        )
        .await?;
        if new {
            insert_creation_log(
                &mut tx,
                edit.namespace,
                edit.title,
                edit.user_id,
                edit.user_name,
                &now,
                edit.comment,
                edit.tags,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(EditOutcome::Saved { page_id, rev, new })
    }

    /// The page's latest revision saved at or before `timestamp` (TS_MW): an edit's base.
    pub async fn revision_at(&self, page_id: i64, timestamp: &str) -> DbResult<Option<i64>> {
        sqlx::query_scalar("SELECT MAX(id) FROM revisions WHERE page_id = ? AND timestamp <= ?")
            .bind(page_id)
            .bind(timestamp)
            .fetch_one(&self.pool)
            .await
    }

    /// Whether the page was deleted after `timestamp` (TS_MW), per the deletion log.
    pub async fn deleted_since(&self, namespace: i64, title: &str, timestamp: &str) -> DbResult<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM log_events WHERE log_type = 'delete' AND action = 'delete' AND namespace = ? AND title = ? AND timestamp > ?",
        )
        .bind(namespace)
        .bind(title)
        .bind(timestamp)
        .fetch_one(&self.pool)
        .await?;
        Ok(n > 0)
    }

    // ----------------------------------------------------------------- log
    pub async fn has_log_entry(&self, log_type: &str, namespace: i64, title: &str) -> DbResult<bool> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM log_events WHERE log_type = ? AND namespace = ? AND title = ?")
            .bind(log_type)
            .bind(namespace)
            .bind(title)
            .fetch_one(&self.pool)
            .await?;
        Ok(n > 0)
    }

    // ----------------------------------------------------------------- stash
    pub async fn insert_stash(&self, s: &StashRow) -> DbResult<()> {
        sqlx::query(
            "INSERT INTO stash (key, user_id, status, blob_key, size, sha1, hash_state, mime, media_type, width, height, bits, page_count, metadata, source, temp_name, timestamp, expires_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&s.key)
        .bind(s.user_id)
        .bind(&s.status)
        .bind(&s.blob_key)
        .bind(s.size)
        .bind(&s.sha1)
        .bind(&s.hash_state)
        .bind(&s.mime)
        .bind(&s.media_type)
        .bind(s.width)
        .bind(s.height)
        .bind(s.bits)
        .bind(s.page_count)
        .bind(&s.metadata)
        .bind(&s.source)
        .bind(&s.temp_name)
        .bind(&s.timestamp)
        .bind(s.expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn stash(&self, key: &str) -> DbResult<Option<StashRow>> {
        let row = sqlx::query("SELECT * FROM stash WHERE key = ?")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(stash_from_row).transpose()
    }

    /// Removes a stash row; returns it so the caller can decide about its blob.
    pub async fn take_stash(&self, key: &str) -> DbResult<Option<StashRow>> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query("SELECT * FROM stash WHERE key = ?")
            .bind(key)
            .fetch_optional(&mut *tx)
            .await?;
        let row = row.as_ref().map(stash_from_row).transpose()?;
        if row.is_some() {
            sqlx::query("DELETE FROM stash WHERE key = ?").bind(key).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(row)
    }

    /// Advances a chunk session from `expected_offset` to `new_size` (compare-and-set: a
    /// concurrent or stale writer changes nothing). Returns false if the offset did not match.
    pub async fn advance_chunks(
        &self,
        key: &str,
        expected_offset: i64,
        new_size: i64,
        hash_state: &[u8],
        expires_at: i64,
    ) -> DbResult<bool> {
        let r = sqlx::query("UPDATE stash SET size = ?, hash_state = ?, expires_at = ? WHERE key = ? AND status = 'chunks' AND size = ?")
            .bind(new_size)
            .bind(hash_state)
            .bind(expires_at)
            .bind(key)
            .bind(expected_offset)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Stash rows past their expiry (for the sweeper).
    pub async fn expired_stash(&self, now: i64, limit: i64) -> DbResult<Vec<StashRow>> {
        let rows = sqlx::query("SELECT * FROM stash WHERE expires_at < ? LIMIT ?")
            .bind(now)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(stash_from_row).collect()
    }

    /// True if any row still refers to this blob (so it must not be deleted).
    pub async fn blob_in_use(&self, blob_key: &str) -> DbResult<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM files WHERE blob_key = ?1) + (SELECT COUNT(*) FROM old_files WHERE blob_key = ?1)
                  + (SELECT COUNT(*) FROM file_archive WHERE blob_key = ?1) + (SELECT COUNT(*) FROM stash WHERE blob_key = ?1)",
        )
        .bind(blob_key)
        .fetch_one(&self.pool)
        .await?;
        Ok(n > 0)
    }

    // ----------------------------------------------------------------- upload status (checkstatus)
    pub async fn set_status(&self, user_id: i64, key: &str, value: &Value, expires_at: i64) -> DbResult<()> {
        sqlx::query(
            "INSERT INTO upload_status (user_id, key, value, expires_at) VALUES (?, ?, ?, ?)
             ON CONFLICT (user_id, key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at",
        )
        .bind(user_id)
        .bind(key)
        .bind(value.to_string())
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Sets the status unless a job for this key is in progress or already published it
    /// (one async publish per key).
    pub async fn claim_status(&self, user_id: i64, key: &str, value: &Value, expires_at: i64) -> DbResult<bool> {
        let mut tx = self.begin_write().await?;
        let cur: Option<String> = sqlx::query_scalar("SELECT value FROM upload_status WHERE user_id = ? AND key = ? AND expires_at >= ?")
            .bind(user_id)
            .bind(key)
            .bind(crate::time::now_unix())
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(c) = cur {
            let v: Value = serde_json::from_str(&c).unwrap_or(Value::Null);
            let result = v.get("result").and_then(Value::as_str);
            let stage = v.get("stage").and_then(Value::as_str);
            // In progress, or already published from this key: a second publish must not start.
            if result == Some("Poll") || (result == Some("Success") && stage == Some("publish")) {
                return Ok(false);
            }
        }
        sqlx::query(
            "INSERT INTO upload_status (user_id, key, value, expires_at) VALUES (?, ?, ?, ?)
             ON CONFLICT (user_id, key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at",
        )
        .bind(user_id)
        .bind(key)
        .bind(value.to_string())
        .bind(expires_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    pub async fn status(&self, user_id: i64, key: &str) -> DbResult<Option<Value>> {
        let v: Option<String> = sqlx::query_scalar("SELECT value FROM upload_status WHERE user_id = ? AND key = ? AND expires_at >= ?")
            .bind(user_id)
            .bind(key)
            .bind(crate::time::now_unix())
            .fetch_optional(&self.pool)
            .await?;
        Ok(v.and_then(|s| serde_json::from_str(&s).ok()))
    }

    pub async fn delete_status(&self, user_id: i64, key: &str) -> DbResult<()> {
        sqlx::query("DELETE FROM upload_status WHERE user_id = ? AND key = ?")
            .bind(user_id)
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    // ----------------------------------------------------------------- jobs
    pub async fn enqueue_job(&self, kind: &str, payload: &Value) -> DbResult<i64> {
        let r = sqlx::query("INSERT INTO jobs (kind, payload, created) VALUES (?, ?, ?)")
            .bind(kind)
            .bind(payload.to_string())
            .bind(crate::time::now_unix())
            .execute(&self.pool)
            .await?;
        Ok(r.last_insert_rowid())
    }

    /// Claims the oldest runnable job: queued, or running with an expired lease (its worker died).
    pub async fn claim_job(&self, lease_secs: i64, max_attempts: i64) -> DbResult<Option<(i64, String, Value, i64)>> {
        let mut tx = self.begin_write().await?;
        let now = crate::time::now_unix();
        // Jobs that exhausted their attempts (their worker kept dying) are failed, and their upload
        // status says so, so nothing stays queued or polled forever.
        let exhausted =
            sqlx::query("SELECT id, kind, payload FROM jobs WHERE state IN ('queued','running') AND attempts >= ? AND lease_until < ?")
                .bind(max_attempts)
                .bind(now)
                .fetch_all(&mut *tx)
                .await?;
        for job in &exhausted {
            let id: i64 = job.try_get("id")?;
            let kind: String = job.try_get("kind")?;
            let payload: Value = serde_json::from_str(&job.try_get::<String, _>("payload")?).unwrap_or(Value::Null);
            sqlx::query("UPDATE jobs SET state = 'failed', last_error = 'gave up after repeated crashes' WHERE id = ?")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            if let (Some(uid), Some(key)) = (
                payload.get("user_id").and_then(Value::as_i64),
                payload.get("key").and_then(Value::as_str),
            ) {
                let stage = if kind == "assemble" { "assembling" } else { "publish" };
                let status = serde_json::json!({"result": "Failure", "stage": stage,
                    "error": {"code": "stashfailed", "info": "The upload job was interrupted too many times; please upload again.", "data": {}}});
                sqlx::query(
                    "INSERT INTO upload_status (user_id, key, value, expires_at) VALUES (?, ?, ?, ?)
                     ON CONFLICT (user_id, key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at",
                )
                .bind(uid)
                .bind(key)
                .bind(status.to_string())
                .bind(now + 86_400)
                .execute(&mut *tx)
                .await?;
            }
        }
        let row = sqlx::query(
            "SELECT id, kind, payload, attempts FROM jobs WHERE (state = 'queued' OR (state = 'running' AND lease_until < ?)) ORDER BY id LIMIT 1",
        )
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            tx.commit().await?;
            return Ok(None);
        };
        let id: i64 = row.try_get("id")?;
        let attempts: i64 = row.try_get::<i64, _>("attempts")? + 1;
        sqlx::query("UPDATE jobs SET state = 'running', attempts = ?, lease_until = ? WHERE id = ?")
            .bind(attempts)
            .bind(now + lease_secs)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        let payload: String = row.try_get("payload")?;
        Ok(Some((
            id,
            row.try_get("kind")?,
            serde_json::from_str(&payload).unwrap_or(Value::Null),
            attempts,
        )))
    }

    /// At start-up of the single-process (SQLite) server no worker can be alive, so jobs left
    /// `running` by a crash are queued again at once instead of waiting for their lease.
    pub async fn requeue_orphaned_jobs(&self) -> DbResult<u64> {
        let r = sqlx::query("UPDATE jobs SET state = 'queued', lease_until = 0 WHERE state = 'running'")
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected())
    }

    /// Lists failed jobs (for ops tooling and tests).
    pub async fn failed_jobs(&self) -> DbResult<Vec<(i64, String, Option<String>)>> {
        let rows = sqlx::query("SELECT id, kind, last_error FROM jobs WHERE state = 'failed'")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("id")?, r.try_get("kind")?, r.try_get("last_error")?)))
            .collect()
    }

    pub async fn finish_job(&self, id: i64, error: Option<&str>) -> DbResult<()> {
        sqlx::query("UPDATE jobs SET state = ?, last_error = ? WHERE id = ?")
            .bind(if error.is_some() { "failed" } else { "done" })
            .bind(error)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Extends a job's lease while it works, so it is not reclaimed mid-run.
    pub async fn renew_job(&self, id: i64, lease_secs: i64) -> DbResult<()> {
        sqlx::query("UPDATE jobs SET lease_until = ? WHERE id = ? AND state = 'running'")
            .bind(crate::time::now_unix() + lease_secs)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

/// A deleted file version (`filearchive` row).
#[derive(Debug, Clone)]
pub struct ArchivedFile {
    pub id: i64,
    pub version: FileVersion,
    pub deleted_by: i64,
    pub deleted_at: String,
}

const FA_COLS: &str = "id, name, archive_name, size, width, height, bits, page_count, metadata, media_type, mime, description, user_id, user_name, timestamp, sha1, blob_key, deleted_by, deleted_at";

/// A `create/create` log entry for a new page.
#[allow(clippy::too_many_arguments)]
async fn insert_creation_log(
    tx: &mut SqliteConnection,
    namespace: i64,
    title: &str,
    user_id: i64,
    user_name: &str,
    timestamp: &str,
    comment: &str,
    tags: &[String],
) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO log_events (log_type, action, namespace, title, user_id, user_name, timestamp, comment, params, tags)
         VALUES ('create', 'create', ?, ?, ?, ?, ?, ?, '{}', ?)",
    )
    .bind(namespace)
    .bind(title)
    .bind(user_id)
    .bind(user_name)
    .bind(timestamp)
    .bind(comment)
    .bind(tags.join(","))
    .execute(&mut *tx)
    .await?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn insert_log(
    tx: &mut SqliteConnection,
    log_type: &str,
    action: &str,
    title: &str,
    user_id: i64,
    user_name: &str,
    comment: &str,
    params: &Value,
    tags: &[String],
) -> DbResult<i64> {
    Ok(sqlx::query(
        "INSERT INTO log_events (log_type, action, namespace, title, user_id, user_name, timestamp, comment, params, tags) VALUES (?, ?, 6, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(log_type)
    .bind(action)
    .bind(title)
    .bind(user_id)
    .bind(user_name)
    .bind(crate::time::now_ts())
    .bind(comment)
    .bind(params.to_string())
    .bind(tags.join(","))
    .execute(&mut *tx)
    .await?
    .last_insert_rowid())
}

async fn archive_version(tx: &mut SqliteConnection, v: &FileVersion, deleted_by: i64) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO file_archive (name, archive_name, size, width, height, bits, page_count, metadata, media_type, mime, description, user_id, user_name, timestamp, sha1, blob_key, deleted_by, deleted_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
    .bind(&v.description)
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

/// Inserts `v` as the current version of its file, with `timestamp`.
async fn insert_current(tx: &mut SqliteConnection, v: &FileVersion, timestamp: &str) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO files (name, size, width, height, bits, page_count, metadata, media_type, mime, description, user_id, user_name, timestamp, sha1, blob_key)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
    .bind(&v.description)
    .bind(v.user_id)
    .bind(&v.user_name)
    .bind(timestamp)
    .bind(&v.sha1)
    .bind(&v.blob_key)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Inserts `v` as an archived (old) version named `archive_name`.
async fn insert_old(tx: &mut SqliteConnection, v: &FileVersion, archive_name: &str) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO old_files (name, archive_name, size, width, height, bits, page_count, metadata, media_type, mime, description, user_id, user_name, timestamp, sha1, blob_key)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
    .bind(&v.description)
    .bind(v.user_id)
    .bind(&v.user_name)
    .bind(&v.timestamp)
    .bind(&v.sha1)
    .bind(&v.blob_key)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

impl MetaStore {
    /// Deletes a File page and every version of its file: versions move to the file archive
    /// (bytes untouched), page revisions to `archived_revisions`. Returns the log id, or None if
    /// there was neither a file nor a page.
    pub async fn delete_file_page(
        &self,
        name: &str,
        user_id: i64,
        user_name: &str,
        reason: &str,
        tags: &[String],
    ) -> DbResult<Option<i64>> {
        let mut tx = self.begin_write().await?;
        let sql = format!("SELECT {FILE_COLS} FROM files WHERE name = ?");
        let cur = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(name).fetch_optional(&mut *tx).await?;
        let cur = cur.as_ref().map(|r| file_from_row(r, false)).transpose()?;
        let sql = format!("SELECT {FILE_COLS}, archive_name FROM old_files WHERE name = ?");
        let olds = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(name).fetch_all(&mut *tx).await?;
        let olds: Vec<FileVersion> = olds.iter().map(|r| file_from_row(r, true)).collect::<DbResult<_>>()?;
        let page: Option<i64> = sqlx::query_scalar("SELECT id FROM pages WHERE namespace = 6 AND title = ?")
            .bind(name)
            .fetch_optional(&mut *tx)
            .await?;
        if cur.is_none() && page.is_none() {
            return Ok(None);
        }
        for v in cur.iter().chain(olds.iter()) {
            archive_version(&mut tx, v, user_id).await?;
        }
        sqlx::query("DELETE FROM files WHERE name = ?").bind(name).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM old_files WHERE name = ?")
            .bind(name)
            .execute(&mut *tx)
            .await?;
        if let Some(pid) = page {
            sqlx::query(
                "INSERT INTO archived_revisions (namespace, title, text, comment, user_id, user_name, timestamp, sha1)
                 SELECT 6, ?, text, comment, user_id, user_name, timestamp, sha1 FROM revisions WHERE page_id = ? ORDER BY id",
            )
            .bind(name)
            .bind(pid)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM revisions WHERE page_id = ?")
                .bind(pid)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM pages WHERE id = ?").bind(pid).execute(&mut *tx).await?;
        }
        let logid = insert_log(
            &mut tx,
            "delete",
            "delete",
            name,
            user_id,
            user_name,
            reason,
            &Value::Object(Default::default()),
            tags,
        )
        .await?;
        tx.commit().await?;
        Ok(Some(logid))
    }

    /// Deletes one archived version (`action=delete&oldimage=…`). Returns the log id, or None.
    pub async fn delete_old_version(
        &self,
        name: &str,
        archive_name: &str,
        user_id: i64,
        user_name: &str,
        reason: &str,
        tags: &[String],
    ) -> DbResult<Option<i64>> {
        let mut tx = self.begin_write().await?;
        let sql = format!("SELECT {FILE_COLS}, archive_name FROM old_files WHERE name = ? AND archive_name = ?");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(name)
            .bind(archive_name)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(v) = row.as_ref().map(|r| file_from_row(r, true)).transpose()? else {
            return Ok(None);
        };
        archive_version(&mut tx, &v, user_id).await?;
        sqlx::query("DELETE FROM old_files WHERE archive_name = ?")
            .bind(archive_name)
            .execute(&mut *tx)
            .await?;
        // MediaWiki's log comment for this: "Deleted old revision <archive name>: <reason>".
        let comment = if reason.is_empty() {
            format!("Deleted old revision {archive_name}")
        } else {
            format!("Deleted old revision {archive_name}: {reason}")
        };
        let logid = insert_log(
            &mut tx,
            "delete",
            "delete",
            name,
            user_id,
            user_name,
            &comment,
            &serde_json::json!({"oldimage": archive_name}),
            tags,
        )
        .await?;
        tx.commit().await?;
        Ok(Some(logid))
    }

    /// Restores deleted versions (all, or the given file-archive ids) and the page's revisions.
    /// Returns (revisions restored, file versions restored).
    pub async fn undelete(
        &self,
        name: &str,
        fileids: &[i64],
        user_id: i64,
        user_name: &str,
        reason: &str,
        tags: &[String],
    ) -> DbResult<(i64, i64)> {
        let mut tx = self.begin_write().await?;
        let sql = format!("SELECT {FA_COLS} FROM file_archive WHERE name = ? ORDER BY timestamp DESC, id DESC");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(name).fetch_all(&mut *tx).await?;
        let mut archived = Vec::new();
        for r in &rows {
            let id: i64 = r.try_get("id")?;
            if fileids.is_empty() || fileids.contains(&id) {
                archived.push((id, file_from_row(r, true)?));
            }
        }
        let has_current: bool = sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM files WHERE name = ?")
            .bind(name)
            .fetch_one(&mut *tx)
            .await?
            > 0;
        let mut restored = 0i64;
        for (i, (id, v)) in archived.iter().enumerate() {
            if i == 0 && !has_current {
                insert_current(&mut tx, v, &v.timestamp).await?;
            } else {
                let mut ts = v.timestamp.clone();
                let archive_name = loop {
                    let a = v.archive_name.clone().unwrap_or_else(|| super::paths::archive_name(&ts, name));
                    let taken: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM old_files WHERE archive_name = ?")
                        .bind(&a)
                        .fetch_one(&mut *tx)
                        .await?;
                    if taken == 0 {
                        break a;
                    }
                    ts = crate::time::ts_add_secs(&ts, 1);
                    if v.archive_name.is_some() {
                        break super::paths::archive_name(&crate::time::now_ts(), name) + "-" + &id.to_string();
                    }
                };
                insert_old(&mut tx, v, &archive_name).await?;
            }
            sqlx::query("DELETE FROM file_archive WHERE id = ?")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            restored += 1;
        }
        // Page revisions.
        let revs = sqlx::query(
            "SELECT id, text, comment, user_id, user_name, timestamp FROM archived_revisions WHERE namespace = 6 AND title = ? ORDER BY id",
        )
        .bind(name)
        .fetch_all(&mut *tx)
        .await?;
        let mut rev_count = 0i64;
        if !revs.is_empty() {
            let existing: Option<i64> = sqlx::query_scalar("SELECT id FROM pages WHERE namespace = 6 AND title = ?")
                .bind(name)
                .fetch_optional(&mut *tx)
                .await?;
            let page_id = match existing {
                Some(id) => id,
                None => sqlx::query("INSERT INTO pages (namespace, title, touched) VALUES (6, ?, ?)")
                    .bind(name)
                    .bind(crate::time::now_ts())
                    .execute(&mut *tx)
                    .await?
                    .last_insert_rowid(),
            };
            for r in &revs {
                insert_revision(
                    &mut tx,
                    page_id,
                    &r.try_get::<String, _>("text")?,
                    &r.try_get::<String, _>("comment")?,
                    r.try_get("user_id")?,
                    &r.try_get::<String, _>("user_name")?,
                    &r.try_get::<String, _>("timestamp")?,
                    &[],
                )
                .await?;
                rev_count += 1;
            }
            sqlx::query("DELETE FROM archived_revisions WHERE namespace = 6 AND title = ?")
                .bind(name)
                .execute(&mut *tx)
                .await?;
        }
        if restored > 0 || rev_count > 0 {
            insert_log(
                &mut tx,
                "delete",
                "restore",
                name,
                user_id,
                user_name,
                reason,
                &serde_json::json!({"count": {"revisions": rev_count, "files": restored}}),
                tags,
            )
            .await?;
        }
        tx.commit().await?;
        Ok((rev_count, restored))
    }

    /// `list=filearchive`: deleted versions by name (from/prefix) or sha1, after id `cont`.
    /// Deleted file versions for list=filearchive, ordered by (name, timestamp, id) in one
    /// direction as MediaWiki does, resuming at `q.resume` (inclusive).
    pub async fn list_file_archive(&self, q: &ArchiveQuery<'_>) -> DbResult<Vec<ArchivedFile>> {
        let (ge, le, op) = if q.descending { ("<=", ">=", "<") } else { (">=", "<=", ">") };
        let mut sql = format!("SELECT {FA_COLS} FROM file_archive WHERE 1=1");
        if q.from.is_some() {
            sql.push_str(&format!(" AND name {ge} ?"));
        }
        if q.to.is_some() {
            sql.push_str(&format!(" AND name {le} ?"));
        }
        if q.prefix.is_some() {
            sql.push_str(" AND name >= ? AND name < ?");
        }
        if q.sha1.is_some() {
            sql.push_str(" AND sha1 = ?");
        }
        if q.resume.is_some() {
            sql.push_str(&format!(
                " AND (name {op} ? OR (name = ? AND (timestamp {op} ? OR (timestamp = ? AND id {op}= ?))))"
            ));
        }
        let dir = if q.descending { "DESC" } else { "ASC" };
        sql.push_str(&format!(" ORDER BY name {dir}, timestamp {dir}, id {dir} LIMIT ?"));
        // Only operators are formatted in; every value is bound.
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for v in [q.from, q.to].into_iter().flatten() {
            query = query.bind(v.to_string());
        }
        if let Some(p) = q.prefix {
            let mut upper = p.to_string();
            upper.push(char::MAX);
            query = query.bind(p.to_string()).bind(upper);
        }
        if let Some(h) = q.sha1 {
            query = query.bind(h.to_string());
        }
        if let Some((name, ts, id)) = q.resume {
            query = query
                .bind(name.to_string())
                .bind(name.to_string())
                .bind(ts.to_string())
                .bind(ts.to_string())
                .bind(id);
        }
        let rows = query.bind(q.limit).fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                Ok(ArchivedFile {
                    id: r.try_get("id")?,
                    version: file_from_row(r, true)?,
                    deleted_by: r.try_get("deleted_by")?,
                    deleted_at: r.try_get("deleted_at")?,
                })
            })
            .collect()
    }

    /// `list=logevents`.
    /// Log entries for list=logevents, newest or oldest first, resuming at `q.from` (a
    /// (timestamp, id) position, inclusive).
    pub async fn log_events(&self, q: &LogQuery<'_>) -> DbResult<Vec<LogRow>> {
        let mut conds: Vec<String> = Vec::new();
        let mut texts: Vec<String> = Vec::new();
        let (ge, le) = if q.newer_first { ("<=", ">=") } else { (">=", "<=") };
        let mut text = |c: String, v: &str| {
            conds.push(c);
            texts.push(v.to_string());
        };
        if let Some(t) = q.log_type {
            text("log_type = ?".into(), t);
        }
        if let Some(a) = q.action {
            text("action = ?".into(), a);
        }
        if let Some(u) = q.user {
            text("user_name = ?".into(), u);
        }
        if let Some(t) = q.title {
            text("title = ?".into(), t);
        }
        if let Some(p) = q.prefix {
            let mut upper = p.to_string();
            upper.push(char::MAX);
            text("title >= ?".into(), p);
            text("title < ?".into(), &upper);
        }
        if let Some(st) = q.start {
            text(format!("timestamp {ge} ?"), st);
        }
        if let Some(e) = q.end {
            text(format!("timestamp {le} ?"), e);
        }
        if let Some(tag) = q.tag {
            // Tags are stored comma separated.
            text("(',' || tags || ',') LIKE ?".into(), &format!("%,{tag},%"));
        }
        let mut ints: Vec<i64> = Vec::new();
        for ns in [q.namespace, q.title_namespace].into_iter().flatten() {
            conds.push("namespace = ?".into());
            ints.push(ns);
        }
        let position = q.from.map(|(ts, id)| {
            let op = if q.newer_first { "<" } else { ">" };
            (format!("(timestamp {op} ? OR (timestamp = ? AND id {op}= ?))"), ts.to_string(), id)
        });
        if let Some((c, _, _)) = &position {
            conds.push(c.clone());
        }
        let filter = if conds.is_empty() { "1=1".to_string() } else { conds.join(" AND ") };
        let dir = if q.newer_first { "DESC" } else { "ASC" };
        // Only column names and operators are formatted in; every value is bound.
        let sql = format!("SELECT * FROM log_events WHERE {filter} ORDER BY timestamp {dir}, id {dir} LIMIT ?");
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for t in texts {
            query = query.bind(t);
        }
        for n in ints {
            query = query.bind(n);
        }
        if let Some((_, ts, id)) = position {
            query = query.bind(ts.clone()).bind(ts).bind(id);
        }
        let rows = query.bind(q.limit).fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                Ok(LogRow {
                    tags: split_list(&r.try_get::<String, _>("tags")?),
                    id: r.try_get("id")?,
                    log_type: r.try_get("log_type")?,
                    action: r.try_get("action")?,
                    namespace: r.try_get("namespace")?,
                    title: r.try_get("title")?,
                    user_id: r.try_get("user_id")?,
                    user_name: r.try_get("user_name")?,
                    timestamp: r.try_get("timestamp")?,
                    comment: r.try_get("comment")?,
                    params: r.try_get("params")?,
                })
            })
            .collect()
    }

    // ----------------------------------------------------------------- watchlist
    pub async fn watch(&self, user_id: i64, namespace: i64, title: &str, expiry: Option<&str>) -> DbResult<()> {
        sqlx::query("INSERT INTO watchlist (user_id, namespace, title, expiry) VALUES (?, ?, ?, ?) ON CONFLICT (user_id, namespace, title) DO UPDATE SET expiry = excluded.expiry")
            .bind(user_id)
            .bind(namespace)
            .bind(title)
            .bind(expiry)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn unwatch(&self, user_id: i64, namespace: i64, title: &str) -> DbResult<()> {
        sqlx::query("DELETE FROM watchlist WHERE user_id = ? AND namespace = ? AND title = ?")
            .bind(user_id)
            .bind(namespace)
            .bind(title)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn is_watched(&self, user_id: i64, namespace: i64, title: &str) -> DbResult<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM watchlist WHERE user_id = ? AND namespace = ? AND title = ? AND (expiry IS NULL OR expiry > ?)",
        )
        .bind(user_id)
        .bind(namespace)
        .bind(title)
        .bind(crate::time::now_ts())
        .fetch_one(&self.pool)
        .await?;
        Ok(n > 0)
    }

    /// A user's unexpired watchlist entries in (namespace, title) order, either direction,
    /// within inclusive (namespace, title) bounds and optionally some namespaces.
    pub async fn watchlist(&self, q: &WatchlistQuery<'_>) -> DbResult<Vec<(i64, String, Option<String>)>> {
        let (ge, le) = if q.descending { ("<=", ">=") } else { (">=", "<=") };
        let mut sql = String::from("SELECT namespace, title, expiry FROM watchlist WHERE user_id = ? AND (expiry IS NULL OR expiry > ?)");
        if q.from.is_some() {
            sql.push_str(&format!(" AND (namespace, title) {ge} (?, ?)"));
        }
        if q.to.is_some() {
            sql.push_str(&format!(" AND (namespace, title) {le} (?, ?)"));
        }
        if let Some(ns) = q.namespaces {
            if ns.is_empty() {
                return Ok(Vec::new());
            }
            sql.push_str(&format!(" AND namespace IN ({})", vec!["?"; ns.len()].join(", ")));
        }
        let dir = if q.descending { "DESC" } else { "ASC" };
        sql.push_str(&format!(" ORDER BY namespace {dir}, title {dir} LIMIT ?"));
        // Only operators and placeholders are formatted in; every value is bound.
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(q.user_id).bind(crate::time::now_ts());
        for (ns, title) in [q.from, q.to].into_iter().flatten() {
            query = query.bind(ns).bind(title.to_string());
        }
        for ns in q.namespaces.unwrap_or(&[]) {
            query = query.bind(*ns);
        }
        let rows = query.bind(q.limit).fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| Ok((r.try_get("namespace")?, r.try_get("title")?, r.try_get("expiry")?)))
            .collect()
    }

    /// Pages of the File namespace that have a given page id (for `pageids=`).
    pub async fn page_by_id(&self, id: i64) -> DbResult<Option<PageRow>> {
        let row = sqlx::query("SELECT id, namespace, title, latest_rev, touched FROM pages WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(PageRow {
                id: r.try_get("id")?,
                namespace: r.try_get("namespace")?,
                title: r.try_get("title")?,
                latest_rev: r.try_get("latest_rev")?,
                touched: r.try_get("touched")?,
            })
        })
        .transpose()
    }
}

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
    .bind(comment)
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

#[cfg(test)]
mod tests {
    use super::*;

    async fn store() -> (tempfile::TempDir, MetaStore) {
        let dir = tempfile::tempdir().unwrap();
        let m = MetaStore::open_sqlite(&dir.path().join("t.sqlite3")).await.unwrap();
        (dir, m)
    }

    #[tokio::test]
    async fn a_job_whose_worker_keeps_dying_ends_failed_with_a_failure_status() {
        let (_d, m) = store().await;
        m.set_status(
            7,
            "k1",
            &serde_json::json!({"result": "Poll", "stage": "queued"}),
            crate::time::now_unix() + 100,
        )
        .await
        .unwrap();
        m.enqueue_job("assemble", &serde_json::json!({"user_id": 7, "key": "k1"}))
            .await
            .unwrap();
        // Each claim "crashes" (never finishes) and its lease is already over.
        for attempt in 1..=3 {
            let (_, kind, _, n) = m.claim_job(-10, 3).await.unwrap().expect("claimable");
            assert_eq!((kind.as_str(), n), ("assemble", attempt));
        }
        assert!(m.claim_job(-10, 3).await.unwrap().is_none(), "given up after 3 attempts");
        assert_eq!(m.failed_jobs().await.unwrap().len(), 1);
        let st = m.status(7, "k1").await.unwrap().unwrap();
        assert_eq!(st["result"], "Failure", "{st}");
    }

    #[tokio::test]
    async fn chunk_offsets_advance_by_compare_and_set() {
        let (_d, m) = store().await;
        let row = StashRow {
            key: "a.b.1.png".into(),
            user_id: 1,
            status: "chunks".into(),
            blob_key: "00ff".into(),
            size: 10,
            sha1: String::new(),
            hash_state: None,
            mime: "image/png".into(),
            media_type: "BITMAP".into(),
            width: 0,
            height: 0,
            bits: 0,
            page_count: None,
            metadata: "null".into(),
            source: "chunks".into(),
            temp_name: "x".into(),
            timestamp: crate::time::now_ts(),
            expires_at: crate::time::now_unix() + 100,
        };
        m.insert_stash(&row).await.unwrap();
        assert!(m.advance_chunks("a.b.1.png", 10, 20, b"s", 0).await.unwrap());
        assert!(
            !m.advance_chunks("a.b.1.png", 10, 30, b"s", 0).await.unwrap(),
            "stale offset must not win"
        );
        assert_eq!(m.stash("a.b.1.png").await.unwrap().unwrap().size, 20);
    }
}
