//! File versions. Every multi-statement operation locks what it decides on before deciding:
//! the file's current row (`FOR UPDATE`, taken first by publish, delete and undelete, so they
//! serialize per name), then its description page, then the old or deleted versions it moves.
//! What it removes is exactly what it read and locked (by id), never "whatever matches now",
//! so a row committed meanwhile by another transaction is never dropped unarchived.

use super::*;
use sqlx::{Postgres, QueryBuilder};

#[async_trait]
impl FileStore for PgStore {
    async fn current_file(&self, name: &str) -> StoreResult<Option<FileVersion>> {
        let sql = format!("SELECT {FILE_COLS} FROM files WHERE name = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(name).fetch_optional(&self.pool).await?;
        Ok(row.as_ref().map(|r| file_from_row(r, false)).transpose()?)
    }

    async fn name_record(&self, name: &str) -> StoreResult<NameRecord> {
        static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| name_record_sql(FILE_COLS));
        let r = sqlx::query(sqlx::AssertSqlSafe(SQL.as_str()))
            .bind(name)
            .fetch_one(&self.pool)
            .await?;
        Ok(name_record_from_row(&r, name)?)
    }

    async fn old_versions(&self, name: &str) -> StoreResult<Vec<FileVersion>> {
        let sql = format!("SELECT {FILE_COLS}, archive_name FROM old_files WHERE name = $1 ORDER BY timestamp DESC, id DESC");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(name).fetch_all(&self.pool).await?;
        Ok(rows.iter().map(|r| file_from_row(r, true)).collect::<DbResult<_>>()?)
    }

    async fn old_version_by_archive_name(&self, archive_name: &str) -> StoreResult<Option<FileVersion>> {
        let sql = format!("SELECT {FILE_COLS}, archive_name FROM old_files WHERE archive_name = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(archive_name)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(|r| file_from_row(r, true)).transpose()?)
    }

    async fn names_with_sha1(&self, sha1: &str) -> StoreResult<Vec<String>> {
        sqlx::query_scalar("SELECT name FROM files WHERE sha1 = $1 ORDER BY name")
            .bind(sha1)
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::from)
    }

    async fn archived_names_with_sha1(&self, sha1: &str) -> StoreResult<Vec<String>> {
        sqlx::query_scalar("SELECT DISTINCT name FROM file_archive WHERE sha1 = $1 ORDER BY name")
            .bind(sha1)
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::from)
    }

    async fn any_file_of_size(&self, size: i64) -> StoreResult<bool> {
        sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM files WHERE size = $1) OR EXISTS (SELECT 1 FROM old_files WHERE size = $1) \
             OR EXISTS (SELECT 1 FROM file_archive WHERE size = $1)",
        )
        .bind(size)
        .fetch_one(&self.pool)
        .await
        .map_err(StoreError::from)
    }

    async fn names_with_prefix(&self, prefix: &str, limit: i64) -> StoreResult<Vec<String>> {
        sqlx::query_scalar("SELECT name FROM files WHERE name >= $1 AND name < $2 ORDER BY name LIMIT $3")
            .bind(prefix)
            .bind(prefix_end(prefix))
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::from)
    }

    /// Current files for list=allimages: by name or by (timestamp, name), in either direction,
    /// with MediaWiki's filters. Ranges and resume points are inclusive.
    async fn list_files(&self, q: &FileListQuery<'_>) -> StoreResult<Vec<FileVersion>> {
        let (ge, le) = if q.descending { ("<=", ">=") } else { (">=", "<=") };
        // Only column names and operators are pushed as SQL; every value is bound.
        let mut qb = QueryBuilder::<Postgres>::new(format!("SELECT {FILE_COLS} FROM files WHERE TRUE"));
        if let Some(f) = q.from {
            qb.push(format!(" AND name {ge} ")).push_bind(f);
        }
        if let Some(t) = q.to {
            qb.push(format!(" AND name {le} ")).push_bind(t);
        }
        if let Some(p) = q.prefix {
            qb.push(" AND name >= ").push_bind(p).push(" AND name < ").push_bind(prefix_end(p));
        }
        if let Some(st) = q.start {
            qb.push(format!(" AND timestamp {ge} ")).push_bind(st);
        }
        if let Some(e) = q.end {
            qb.push(format!(" AND timestamp {le} ")).push_bind(e);
        }
        match (q.continue_ts, q.continue_name) {
            (Some(ts), Some(name)) => {
                let op = if q.descending { "<" } else { ">" };
                qb.push(format!(" AND (timestamp {op} "))
                    .push_bind(ts)
                    .push(" OR (timestamp = ")
                    .push_bind(ts)
                    .push(format!(" AND name {op}= "))
                    .push_bind(name)
                    .push("))");
            }
            (None, Some(name)) if q.by_size => {
                let op = if q.descending { "<" } else { ">" };
                let size = q.continue_size.unwrap_or(0);
                qb.push(format!(" AND (size {op} "))
                    .push_bind(size)
                    .push(" OR (size = ")
                    .push_bind(size)
                    .push(format!(" AND name {op}= "))
                    .push_bind(name)
                    .push("))");
            }
            (None, Some(name)) => {
                qb.push(format!(" AND name {ge} ")).push_bind(name);
            }
            _ => {}
        }
        if let Some(u) = q.user {
            qb.push(" AND user_name = ").push_bind(u);
        }
        if let Some(h) = q.sha1 {
            qb.push(" AND sha1 = ").push_bind(h);
        }
        if let Some(n) = q.min_size {
            qb.push(" AND size >= ").push_bind(n);
        }
        if let Some(n) = q.max_size {
            qb.push(" AND size <= ").push_bind(n);
        }
        if let Some(mimes) = q.mimes {
            if mimes.is_empty() {
                return Ok(Vec::new());
            }
            qb.push(" AND mime = ANY(").push_bind(mimes.to_vec()).push(")");
        }
        let dir = if q.descending { "DESC" } else { "ASC" };
        if q.by_size {
            qb.push(format!(" ORDER BY size {dir}, name {dir}"));
        } else if q.by_time {
            qb.push(format!(" ORDER BY timestamp {dir}, name {dir}"));
        } else {
            qb.push(format!(" ORDER BY name {dir}"));
        }
        qb.push(" LIMIT ").push_bind(q.limit);
        let rows = qb.build().fetch_all(&self.pool).await?;
        Ok(rows.iter().map(|r| file_from_row(r, false)).collect::<DbResult<_>>()?)
    }

    async fn list_files_by_sha1(&self, sha1: &str, limit: i64) -> StoreResult<Vec<FileVersion>> {
        let sql = format!("SELECT {FILE_COLS} FROM files WHERE sha1 = $1 ORDER BY name LIMIT $2");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(sha1)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(|r| file_from_row(r, false)).collect::<DbResult<_>>()?)
    }

    async fn publish(&self, op: &PublishOp) -> StoreResult<PublishResult> {
        retrying(|| publish_once(&self.pool, op)).await
    }

    async fn delete_page(&self, namespace: i64, title: &str, actor: &Actor<'_>, reason: &str, tags: &[String]) -> StoreResult<Option<i64>> {
        retrying(|| delete_page_once(&self.pool, namespace, title, actor, reason, tags)).await
    }

    async fn delete_old_version(
        &self,
        name: &str,
        archive_name: &str,
        actor: &Actor<'_>,
        comment: &str,
        tags: &[String],
    ) -> StoreResult<Option<i64>> {
        retrying(|| async move {
            let mut tx = self.pool.begin().await?;
            let sql = format!("SELECT {FILE_COLS}, archive_name FROM old_files WHERE name = $1 AND archive_name = $2 FOR UPDATE");
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(name)
                .bind(archive_name)
                .fetch_optional(&mut *tx)
                .await?;
            let Some(v) = row.as_ref().map(|r| file_from_row(r, true)).transpose()? else {
                return Ok(None);
            };
            archive_version(&mut tx, &v, actor.user_id).await?;
            sqlx::query("DELETE FROM old_files WHERE archive_name = $1")
                .bind(archive_name)
                .execute(&mut *tx)
                .await?;
            let now = crate::time::now_ts();
            let params = LogParams::DeleteOldVersion {
                oldimage: archive_name.to_string(),
            };
            let entry = LogEntry {
                log_type: "delete",
                action: "delete",
                namespace: 6,
                title: name,
                timestamp: &now,
                comment,
                params: &params,
                tags,
            };
            let logid = insert_log(&mut tx, actor, &entry).await?;
            tx.commit().await?;
            Ok(Some(logid))
        })
        .await
    }

    async fn undelete_page(
        &self,
        namespace: i64,
        title: &str,
        fileids: &[i64],
        actor: &Actor<'_>,
        reason: &str,
        tags: &[String],
    ) -> StoreResult<(i64, i64)> {
        retrying(|| undelete_once(&self.pool, namespace, title, fileids, actor, reason, tags)).await
    }

    /// Deleted file versions for list=filearchive, ordered by (name, timestamp, id) in one
    /// direction as MediaWiki does, resuming at `q.resume` (inclusive).
    async fn list_file_archive(&self, q: &ArchiveQuery<'_>) -> StoreResult<Vec<ArchivedFile>> {
        let (ge, le, op) = if q.descending { ("<=", ">=", "<") } else { (">=", "<=", ">") };
        // Only operators are pushed as SQL; every value is bound.
        let mut qb = QueryBuilder::<Postgres>::new(format!("SELECT {FA_COLS} FROM file_archive WHERE TRUE"));
        if let Some(f) = q.from {
            qb.push(format!(" AND name {ge} ")).push_bind(f);
        }
        if let Some(t) = q.to {
            qb.push(format!(" AND name {le} ")).push_bind(t);
        }
        if let Some(p) = q.prefix {
            qb.push(" AND name >= ").push_bind(p).push(" AND name < ").push_bind(prefix_end(p));
        }
        if let Some(h) = q.sha1 {
            qb.push(" AND sha1 = ").push_bind(h);
        }
        if let Some((name, ts, id)) = q.resume {
            qb.push(format!(" AND (name {op} "))
                .push_bind(name)
                .push(" OR (name = ")
                .push_bind(name)
                .push(format!(" AND (timestamp {op} "))
                .push_bind(ts)
                .push(" OR (timestamp = ")
                .push_bind(ts)
                .push(format!(" AND id {op}= "))
                .push_bind(id)
                .push("))))");
        }
        let dir = if q.descending { "DESC" } else { "ASC" };
        qb.push(format!(" ORDER BY name {dir}, timestamp {dir}, id {dir} LIMIT "))
            .push_bind(q.limit);
        let rows = qb.build().fetch_all(&self.pool).await?;
        Ok(rows
            .iter()
            .map(|r| {
                Ok(ArchivedFile {
                    id: r.try_get("id")?,
                    version: file_from_row(r, true)?,
                    deleted_by: r.try_get("deleted_by")?,
                    deleted_at: r.try_get("deleted_at")?,
                })
            })
            .collect::<DbResult<_>>()?)
    }

    async fn blob_in_use(&self, blob_key: &str) -> StoreResult<bool> {
        Ok(sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM files WHERE blob_key = $1) OR EXISTS (SELECT 1 FROM old_files WHERE blob_key = $1)
                 OR EXISTS (SELECT 1 FROM file_archive WHERE blob_key = $1) OR EXISTS (SELECT 1 FROM stash WHERE blob_key = $1)
                 OR EXISTS (SELECT 1 FROM thumbnails WHERE blob_key = $1)",
        )
        .bind(blob_key)
        .fetch_one(&self.pool)
        .await?)
    }
}

/// One publish attempt (see [`FileStore::publish`]). The compare-and-set reads the current row
/// `FOR UPDATE`: a concurrent publish of the same name waits here and then sees the version
/// the first one wrote. A new name is claimed by `INSERT … ON CONFLICT DO NOTHING`, which waits
/// for a concurrent insert of the same name and then inserts nothing: `CurrentChanged`.
/// Returning early drops the transaction, which rolls back (the stash entry comes back).
async fn publish_once(pool: &PgPool, op: &PublishOp) -> DbResult<PublishResult> {
    let mut tx = pool.begin().await?;
    let v = &op.version;
    let sql = format!("SELECT {FILE_COLS} FROM files WHERE name = $1 FOR UPDATE");
    let current = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(&v.name).fetch_optional(&mut *tx).await?;
    let current = current.as_ref().map(|r| file_from_row(r, false)).transpose()?;
    let seen = current.as_ref().map(|c| ExpectedCurrent {
        sha1: c.sha1.clone(),
        timestamp: c.timestamp.clone(),
    });
    if seen != op.expected_current {
        return Ok(PublishResult::CurrentChanged);
    }
    if let Some(key) = &op.consume_stash {
        // Locks the stash row: the sweeper's `take_stash` of it waits for this transaction
        // (and then finds nothing), or went first (and this finds nothing).
        let r = sqlx::query("DELETE FROM stash WHERE key = $1").bind(key).execute(&mut *tx).await?;
        if r.rows_affected() != 1 {
            return Ok(PublishResult::StashGone);
        }
    }
    match &current {
        Some(cur) => {
            let Some(archive_name) = &op.archive_name else {
                return Err(sqlx::Error::InvalidArgument(
                    "publish over a current version without an archive name".into(),
                ));
            };
            if !insert_old(&mut tx, cur, archive_name).await? {
                return Ok(PublishResult::ArchiveNameTaken);
            }
            sqlx::query(
                "UPDATE files SET size = $1, width = $2, height = $3, bits = $4, page_count = $5, metadata = $6, media_type = $7, mime = $8,
                 description = $9, user_id = $10, user_name = $11, timestamp = $12, sha1 = $13, blob_key = $14 WHERE name = $15",
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
            .bind(&v.timestamp)
            .bind(&v.sha1)
            .bind(&v.blob_key)
            .bind(&v.name)
            .execute(&mut *tx)
            .await?;
        }
        None => {
            if !insert_current(&mut tx, v).await? {
                return Ok(PublishResult::CurrentChanged);
            }
        }
    }
    // The description page: a new page gets the text; an existing one a null revision.
    let (page_id, latest, page_created) = lock_or_create_page(&mut tx, 6, &v.name, &v.timestamp).await?;
    let text = if page_created {
        op.page_text.clone()
    } else {
        sqlx::query_scalar("SELECT text FROM revisions WHERE id = $1")
            .bind(latest)
            .fetch_optional(&mut *tx)
            .await?
            .unwrap_or_default()
    };
    let comment = if page_created { &op.comment } else { &op.null_revision_comment };
    insert_revision(&mut tx, page_id, &text, comment, v.user_id, &v.user_name, &v.timestamp, &op.tags).await?;
    let actor = Actor {
        user_id: v.user_id,
        user_name: &v.user_name,
    };
    let entry = LogEntry {
        log_type: "upload",
        action: &op.log_action,
        namespace: 6,
        title: &v.name,
        timestamp: &v.timestamp,
        comment: &op.comment,
        params: &op.log_params,
        tags: &op.tags,
    };
    insert_log(&mut tx, &actor, &entry).await?;
    if page_created {
        // MediaWiki's page creation log ($wgPageCreationLog), after the upload entry.
        insert_log(
            &mut tx,
            &actor,
            &LogEntry {
                log_type: "create",
                action: "create",
                params: &LogParams::None {},
                ..entry
            },
        )
        .await?;
    }
    if let Some(user_id) = op.watch_for {
        super::pages::watch_in(&mut tx, user_id, 6, &v.name, None).await?;
    }
    tx.commit().await?;
    Ok(PublishResult::Published { page_created })
}

/// One attempt of [`FileStore::delete_page`]: the current row (File pages only), the page and
/// the old versions are locked, archived and removed by what was read.
async fn delete_page_once(
    pool: &PgPool,
    namespace: i64,
    name: &str,
    actor: &Actor<'_>,
    reason: &str,
    tags: &[String],
) -> DbResult<Option<i64>> {
    let is_file = namespace == 6;
    let mut tx = pool.begin().await?;
    // Only a File page has a file (a page "Foo.png" in another namespace does not).
    let cur = if is_file {
        let sql = format!("SELECT {FILE_COLS} FROM files WHERE name = $1 FOR UPDATE");
        let cur = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(name).fetch_optional(&mut *tx).await?;
        cur.as_ref().map(|r| file_from_row(r, false)).transpose()?
    } else {
        None
    };
    let page: Option<i64> = sqlx::query_scalar("SELECT id FROM pages WHERE namespace = $1 AND title = $2 FOR UPDATE")
        .bind(namespace)
        .bind(name)
        .fetch_optional(&mut *tx)
        .await?;
    if cur.is_none() && page.is_none() {
        return Ok(None);
    }
    let olds = if is_file {
        let sql = format!("SELECT id, {FILE_COLS}, archive_name FROM old_files WHERE name = $1 ORDER BY id FOR UPDATE");
        sqlx::query(sqlx::AssertSqlSafe(sql)).bind(name).fetch_all(&mut *tx).await?
    } else {
        Vec::new()
    };
    let mut old_ids: Vec<i64> = Vec::with_capacity(olds.len());
    let mut old_versions: Vec<FileVersion> = Vec::with_capacity(olds.len());
    for r in &olds {
        old_ids.push(r.try_get("id")?);
        old_versions.push(file_from_row(r, true)?);
    }
    for v in cur.iter().chain(old_versions.iter()) {
        archive_version(&mut tx, v, actor.user_id).await?;
    }
    if cur.is_some() {
        sqlx::query("DELETE FROM files WHERE name = $1")
            .bind(name)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query("DELETE FROM old_files WHERE id = ANY($1)")
        .bind(&old_ids)
        .execute(&mut *tx)
        .await?;
    if let Some(pid) = page {
        // Revisions are only added under the page's lock, which this transaction holds.
        sqlx::query(
            "INSERT INTO archived_revisions (namespace, title, text, comment, user_id, user_name, timestamp, sha1)
             SELECT $1, $2, text, comment, user_id, user_name, timestamp, sha1 FROM revisions WHERE page_id = $3 ORDER BY id",
        )
        .bind(namespace)
        .bind(name)
        .bind(pid)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM revisions WHERE page_id = $1")
            .bind(pid)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM pages WHERE id = $1").bind(pid).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM imagelinks WHERE page_id = $1")
            .bind(pid)
            .execute(&mut *tx)
            .await?;
        // Protection belongs to the page and goes with it (MediaWiki deletes page_restrictions).
        sqlx::query("DELETE FROM page_restrictions WHERE namespace = $1 AND title = $2")
            .bind(namespace)
            .bind(name)
            .execute(&mut *tx)
            .await?;
    }
    let now = crate::time::now_ts();
    let entry = LogEntry {
        log_type: "delete",
        action: "delete",
        namespace,
        title: name,
        timestamp: &now,
        comment: reason,
        params: &LogParams::None {},
        tags,
    };
    let logid = insert_log(&mut tx, actor, &entry).await?;
    tx.commit().await?;
    Ok(Some(logid))
}

/// One attempt of [`FileStore::undelete_page`]. It locks the current row and the page first, as
/// publish and delete do, so it serializes with them. Archive names and the current row are
/// claimed with `ON CONFLICT DO NOTHING`, so a name taken meanwhile means "try the next name"
/// (or "restore as an old version") instead of an aborted transaction.
async fn undelete_once(
    pool: &PgPool,
    namespace: i64,
    name: &str,
    fileids: &[i64],
    actor: &Actor<'_>,
    reason: &str,
    tags: &[String],
) -> DbResult<(i64, i64)> {
    let is_file = namespace == 6;
    let mut tx = pool.begin().await?;
    // The current row first, as publish and delete lock it: they serialize with this.
    let mut has_current = is_file
        && sqlx::query_scalar::<_, i32>("SELECT 1 FROM files WHERE name = $1 FOR UPDATE")
            .bind(name)
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
    // Then the page, as delete does: a delete that is archiving the page's revisions finishes
    // before this reads the archive. (A publish of a new file that waits for this lock while
    // holding the name this undelete is about to insert is a deadlock PostgreSQL breaks; the
    // aborted transaction is retried.)
    sqlx::query("SELECT id FROM pages WHERE namespace = $1 AND title = $2 FOR UPDATE")
        .bind(namespace)
        .bind(name)
        .execute(&mut *tx)
        .await?;
    let rows = if is_file {
        let sql = format!("SELECT {FA_COLS} FROM file_archive WHERE name = $1 ORDER BY timestamp DESC, id DESC FOR UPDATE");
        sqlx::query(sqlx::AssertSqlSafe(sql)).bind(name).fetch_all(&mut *tx).await?
    } else {
        Vec::new()
    };
    let mut archived = Vec::new();
    for r in &rows {
        let id: i64 = r.try_get("id")?;
        if fileids.is_empty() || fileids.contains(&id) {
            archived.push((id, file_from_row(r, true)?));
        }
    }
    let mut restored = 0i64;
    for (i, (id, v)) in archived.iter().enumerate() {
        let as_current = i == 0 && !has_current && insert_current(&mut tx, v).await?;
        // (A publish that created the file meanwhile makes this version an old one.)
        has_current = true;
        if !as_current {
            let mut ts = v.timestamp.clone();
            let mut candidate = v.archive_name.clone().unwrap_or_else(|| crate::archive_name(&ts, name));
            let mut tries = 0u32;
            while !insert_old(&mut tx, v, &candidate).await? {
                tries += 1;
                if tries > 1000 {
                    return Err(sqlx::Error::InvalidArgument(format!("no free archive name for {name}")));
                }
                candidate = if v.archive_name.is_some() {
                    let base = crate::archive_name(&crate::time::now_ts(), name) + "-" + &id.to_string();
                    if tries == 1 { base } else { format!("{base}-{tries}") }
                } else {
                    ts = crate::time::ts_add_secs(&ts, 1);
                    crate::archive_name(&ts, name)
                };
            }
        }
        sqlx::query("DELETE FROM file_archive WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        restored += 1;
    }
    // Page revisions.
    let revs = sqlx::query(
        "SELECT id, text, comment, user_id, user_name, timestamp FROM archived_revisions
         WHERE namespace = $1 AND title = $2 ORDER BY id FOR UPDATE",
    )
    .bind(namespace)
    .bind(name)
    .fetch_all(&mut *tx)
    .await?;
    let mut rev_count = 0i64;
    if !revs.is_empty() {
        let (page_id, _, _) = lock_or_create_page(&mut tx, namespace, name, &crate::time::now_ts()).await?;
        let mut ids: Vec<i64> = Vec::with_capacity(revs.len());
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
            ids.push(r.try_get("id")?);
            rev_count += 1;
        }
        sqlx::query("DELETE FROM archived_revisions WHERE id = ANY($1)")
            .bind(&ids)
            .execute(&mut *tx)
            .await?;
    }
    if restored > 0 || rev_count > 0 {
        let now = crate::time::now_ts();
        let params = LogParams::Restore {
            count: RestoreCount {
                revisions: rev_count,
                files: restored,
            },
        };
        let entry = LogEntry {
            log_type: "delete",
            action: "restore",
            namespace,
            title: name,
            timestamp: &now,
            comment: reason,
            params: &params,
            tags,
        };
        insert_log(&mut tx, actor, &entry).await?;
    }
    tx.commit().await?;
    Ok((rev_count, restored))
}
