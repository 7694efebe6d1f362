use super::*;

#[async_trait]
impl FileStore for SqliteStore {
    async fn current_file(&self, name: &str) -> StoreResult<Option<FileVersion>> {
        static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| format!("SELECT {FILE_COLS} FROM files WHERE name = ?"));
        self.reads
            .run(|c| reads::optional(c, &SQL, [name], |r| file_from_row(r, false)))
            .await
    }

    async fn name_record(&self, name: &str) -> StoreResult<NameRecord> {
        static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| name_record_sql(FILE_COLS));
        self.reads
            .run(|c| {
                let r = reads::optional(c, &SQL, [name], |r| name_record_from_row(r, name))?;
                Ok(r.ok_or(sqlx::Error::RowNotFound)?)
            })
            .await
    }

    /// Archived versions of `name`, newest first.
    async fn old_versions(&self, name: &str) -> StoreResult<Vec<FileVersion>> {
        let sql = format!("SELECT {FILE_COLS}, archive_name FROM old_files WHERE name = ? ORDER BY timestamp DESC, id DESC");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(name).fetch_all(&self.pool).await?;
        Ok(rows.iter().map(|r| file_from_row(r, true)).collect::<DbResult<_>>()?)
    }

    async fn old_version_by_archive_name(&self, archive_name: &str) -> StoreResult<Option<FileVersion>> {
        let sql = format!("SELECT {FILE_COLS}, archive_name FROM old_files WHERE archive_name = ?");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(archive_name)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(|r| file_from_row(r, true)).transpose()?)
    }

    /// Names of current files with this SHA-1.
    async fn names_with_sha1(&self, sha1: &str) -> StoreResult<Vec<String>> {
        const SQL: &str = "SELECT name FROM files WHERE sha1 = ? ORDER BY name";
        self.reads.run(|c| reads::all(c, SQL, [sha1], |r| r.col::<String>("name"))).await
    }

    /// Names of deleted files with this SHA-1.
    async fn archived_names_with_sha1(&self, sha1: &str) -> StoreResult<Vec<String>> {
        const SQL: &str = "SELECT DISTINCT name FROM file_archive WHERE sha1 = ? ORDER BY name";
        self.reads.run(|c| reads::all(c, SQL, [sha1], |r| r.col::<String>("name"))).await
    }

    async fn any_file_of_size(&self, size: i64) -> StoreResult<bool> {
        const SQL: &str = "SELECT EXISTS (SELECT 1 FROM files WHERE size = ?1) OR EXISTS (SELECT 1 FROM old_files WHERE size = ?1) \
             OR EXISTS (SELECT 1 FROM file_archive WHERE size = ?1) AS found";
        self.reads
            .run(|c| Ok(reads::optional(c, SQL, [size], |r| r.col::<bool>("found"))?.unwrap_or(false)))
            .await
    }

    /// Current files named `<prefix>…` (for `exists-normalized`: same base, other extension).
    async fn names_with_prefix(&self, prefix: &str, limit: i64) -> StoreResult<Vec<String>> {
        // Range scan instead of LIKE, so `%`/`_` in names need no escaping.
        let mut upper = prefix.to_string();
        upper.push(char::MAX);
        const SQL: &str = "SELECT name FROM files WHERE name >= ? AND name < ? ORDER BY name LIMIT ?";
        self.reads
            .run(|c| reads::all(c, SQL, rusqlite::params![prefix, upper, limit], |r| r.col::<String>("name")))
            .await
    }

    /// `list=allimages` by name.
    /// Current files for list=allimages: by name or by (timestamp, name), in either
    /// direction, with MediaWiki's filters. Ranges and resume points are inclusive.
    async fn list_files(&self, q: &FileListQuery<'_>) -> StoreResult<Vec<FileVersion>> {
        enum Bind {
            Text(String),
            Int(i64),
        }
        let (ge, le) = if q.descending { ("<=", ">=") } else { (">=", "<=") };
        let mut conds: Vec<String> = Vec::new();
        let mut bs: Vec<Bind> = Vec::new();
        let mut add = |c: String, b: Vec<Bind>| {
            conds.push(c);
            bs.extend(b);
        };
        if let Some(f) = q.from {
            add(format!("name {ge} ?"), vec![Bind::Text(f.to_string())]);
        }
        if let Some(t) = q.to {
            add(format!("name {le} ?"), vec![Bind::Text(t.to_string())]);
        }
        if let Some(p) = q.prefix {
            let mut upper = p.to_string();
            upper.push(char::MAX);
            add("name >= ? AND name < ?".into(), vec![Bind::Text(p.to_string()), Bind::Text(upper)]);
        }
        if let Some(st) = q.start {
            add(format!("timestamp {ge} ?"), vec![Bind::Text(st.to_string())]);
        }
        if let Some(e) = q.end {
            add(format!("timestamp {le} ?"), vec![Bind::Text(e.to_string())]);
        }
        match (q.continue_ts, q.continue_name) {
            (Some(ts), Some(name)) => {
                let op = if q.descending { "<" } else { ">" };
                add(
                    format!("(timestamp {op} ? OR (timestamp = ? AND name {op}= ?))"),
                    vec![Bind::Text(ts.to_string()), Bind::Text(ts.to_string()), Bind::Text(name.to_string())],
                );
            }
            (None, Some(name)) if q.by_size => {
                let op = if q.descending { "<" } else { ">" };
                let size = q.continue_size.unwrap_or(0);
                add(
                    format!("(size {op} ? OR (size = ? AND name {op}= ?))"),
                    vec![Bind::Int(size), Bind::Int(size), Bind::Text(name.to_string())],
                );
            }
            (None, Some(name)) => add(format!("name {ge} ?"), vec![Bind::Text(name.to_string())]),
            _ => {}
        }
        if let Some(u) = q.user {
            add("user_name = ?".into(), vec![Bind::Text(u.to_string())]);
        }
        if let Some(h) = q.sha1 {
            add("sha1 = ?".into(), vec![Bind::Text(h.to_string())]);
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
            add(format!("mime IN ({marks})"), mimes.iter().map(|m| Bind::Text(m.clone())).collect());
        }
        let dir = if q.descending { "DESC" } else { "ASC" };
        let order = if q.by_size {
            format!("size {dir}, name {dir}")
        } else if q.by_time {
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
                Bind::Text(t) => query.bind(t),
                Bind::Int(n) => query.bind(n),
            };
        }
        let rows = query.bind(q.limit).fetch_all(&self.pool).await?;
        Ok(rows.iter().map(|r| file_from_row(r, false)).collect::<DbResult<_>>()?)
    }

    async fn list_files_by_sha1(&self, sha1: &str, limit: i64) -> StoreResult<Vec<FileVersion>> {
        let sql = format!("SELECT {FILE_COLS} FROM files WHERE sha1 = ? ORDER BY name LIMIT ?");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(sha1)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(|r| file_from_row(r, false)).collect::<DbResult<_>>()?)
    }

    /// Publishes are committed in groups (see [`super::group_commit`]): one write transaction
    /// and one WAL fsync for every publish waiting at the time.
    async fn publish(&self, op: &PublishOp) -> StoreResult<PublishResult> {
        self.publisher.publish(self, op.clone()).await
    }

    /// Deletes a File page and every version of its file: versions move to the file archive
    /// (bytes untouched), page revisions to `archived_revisions`. Returns the log id, or None if
    /// there was neither a file nor a page.
    async fn delete_page(&self, namespace: i64, name: &str, actor: &Actor<'_>, reason: &str, tags: &[String]) -> StoreResult<Option<i64>> {
        let mut conn = self.pool.acquire().await?;
        let mut tx = begin_write(&mut conn).await?;
        // Only a File page has a file (a page "Foo.png" in another namespace does not).
        let (cur, olds) = if namespace == 6 {
            let sql = format!("SELECT {FILE_COLS} FROM files WHERE name = ?");
            let cur = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(name).fetch_optional(&mut *tx).await?;
            let cur = cur.as_ref().map(|r| file_from_row(r, false)).transpose()?;
            let sql = format!("SELECT {FILE_COLS}, archive_name FROM old_files WHERE name = ?");
            let olds = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(name).fetch_all(&mut *tx).await?;
            let olds: Vec<FileVersion> = olds.iter().map(|r| file_from_row(r, true)).collect::<DbResult<_>>()?;
            (cur, olds)
        } else {
            (None, Vec::new())
        };
        let page: Option<i64> = sqlx::query_scalar("SELECT id FROM pages WHERE namespace = ? AND title = ?")
            .bind(namespace)
            .bind(name)
            .fetch_optional(&mut *tx)
            .await?;
        if cur.is_none() && page.is_none() {
            return Ok(None);
        }
        for v in cur.iter().chain(olds.iter()) {
            archive_version(&mut tx, v, actor.user_id).await?;
        }
        if namespace == 6 {
            sqlx::query("DELETE FROM files WHERE name = ?").bind(name).execute(&mut *tx).await?;
            sqlx::query("DELETE FROM old_files WHERE name = ?")
                .bind(name)
                .execute(&mut *tx)
                .await?;
        }
        if let Some(pid) = page {
            sqlx::query(
                "INSERT INTO archived_revisions (namespace, title, text, comment, user_id, user_name, timestamp, sha1)
                 SELECT ?, ?, text, comment, user_id, user_name, timestamp, sha1 FROM revisions WHERE page_id = ? ORDER BY id",
            )
            .bind(namespace)
            .bind(name)
            .bind(pid)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM revisions WHERE page_id = ?")
                .bind(pid)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM pages WHERE id = ?").bind(pid).execute(&mut *tx).await?;
            sqlx::query("DELETE FROM imagelinks WHERE page_id = ?")
                .bind(pid)
                .execute(&mut *tx)
                .await?;
            // A deleted page's protection goes with it, as in MediaWiki.
            sqlx::query("DELETE FROM page_restrictions WHERE namespace = ? AND title = ?")
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

    /// Deletes one archived version (`action=delete&oldimage=…`). Returns the log id, or None.
    async fn delete_old_version(
        &self,
        name: &str,
        archive_name: &str,
        actor: &Actor<'_>,
        comment: &str,
        tags: &[String],
    ) -> StoreResult<Option<i64>> {
        let mut conn = self.pool.acquire().await?;
        let mut tx = begin_write(&mut conn).await?;
        let sql = format!("SELECT {FILE_COLS}, archive_name FROM old_files WHERE name = ? AND archive_name = ?");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(name)
            .bind(archive_name)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(v) = row.as_ref().map(|r| file_from_row(r, true)).transpose()? else {
            return Ok(None);
        };
        archive_version(&mut tx, &v, actor.user_id).await?;
        sqlx::query("DELETE FROM old_files WHERE archive_name = ?")
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
    }

    /// Restores deleted versions (all, or the given file-archive ids) and the page's revisions.
    /// Returns (revisions restored, file versions restored).
    async fn undelete_page(
        &self,
        namespace: i64,
        name: &str,
        fileids: &[i64],
        actor: &Actor<'_>,
        reason: &str,
        tags: &[String],
    ) -> StoreResult<(i64, i64)> {
        let mut conn = self.pool.acquire().await?;
        let mut tx = begin_write(&mut conn).await?;
        let rows = if namespace == 6 {
            let sql = format!("SELECT {FA_COLS} FROM file_archive WHERE name = ? ORDER BY timestamp DESC, id DESC");
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
        let has_current: bool = sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM files WHERE name = ?")
            .bind(name)
            .fetch_one(&mut *tx)
            .await?
            > 0;
        let mut restored = 0i64;
        for (i, (id, v)) in archived.iter().enumerate() {
            if i == 0 && !has_current {
                insert_current(&mut tx, v).await?;
            } else {
                let mut ts = v.timestamp.clone();
                let archive_name = loop {
                    let a = v.archive_name.clone().unwrap_or_else(|| crate::archive_name(&ts, name));
                    let taken: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM old_files WHERE archive_name = ?")
                        .bind(&a)
                        .fetch_one(&mut *tx)
                        .await?;
                    if taken == 0 {
                        break a;
                    }
                    ts = crate::time::ts_add_secs(&ts, 1);
                    if v.archive_name.is_some() {
                        break crate::archive_name(&crate::time::now_ts(), name) + "-" + &id.to_string();
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
            "SELECT id, text, comment, user_id, user_name, timestamp FROM archived_revisions WHERE namespace = ? AND title = ? ORDER BY id",
        )
        .bind(namespace)
        .bind(name)
        .fetch_all(&mut *tx)
        .await?;
        let mut rev_count = 0i64;
        if !revs.is_empty() {
            let existing: Option<i64> = sqlx::query_scalar("SELECT id FROM pages WHERE namespace = ? AND title = ?")
                .bind(namespace)
                .bind(name)
                .fetch_optional(&mut *tx)
                .await?;
            let page_id = match existing {
                Some(id) => id,
                None => sqlx::query("INSERT INTO pages (namespace, title, touched) VALUES (?, ?, ?)")
                    .bind(namespace)
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
            sqlx::query("DELETE FROM archived_revisions WHERE namespace = ? AND title = ?")
                .bind(namespace)
                .bind(name)
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

    /// Deleted file versions for list=filearchive, ordered by (name, timestamp, id) in one
    /// direction as MediaWiki does, resuming at `q.resume` (inclusive).
    async fn list_file_archive(&self, q: &ArchiveQuery<'_>) -> StoreResult<Vec<ArchivedFile>> {
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
    async fn blob_in_use(&self, blob_key: &str) -> StoreResult<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM files WHERE blob_key = ?1) + (SELECT COUNT(*) FROM old_files WHERE blob_key = ?1)
                  + (SELECT COUNT(*) FROM file_archive WHERE blob_key = ?1) + (SELECT COUNT(*) FROM stash WHERE blob_key = ?1)
                  + (SELECT COUNT(*) FROM thumbnails WHERE blob_key = ?1)",
        )
        .bind(blob_key)
        .fetch_one(&self.pool)
        .await?;
        Ok(n > 0)
    }
}

/// What a publish reads before it writes, in one statement: everything that decides whether
/// it goes ahead (compare-and-set, stash entry, archive name) and what its writes need (the
/// description page, its latest text, a create protection to lift). Every statement is a
/// round trip to the connection's thread, made while the group holds the write lock.
pub(super) struct PublishFacts {
    current: Option<ExpectedCurrent>,
    page: Option<(i64, String)>,
    create_protected: bool,
    stash_present: bool,
    archive_name_taken: bool,
}

async fn publish_facts(tx: &mut SqliteConnection, op: &PublishOp) -> DbResult<PublishFacts> {
    let r = sqlx::query(
        "SELECT f.sha1 AS cur_sha1, f.timestamp AS cur_timestamp, p.id AS page_id,
                (SELECT text FROM revisions WHERE id = p.latest_rev) AS latest_text,
                EXISTS (SELECT 1 FROM protected_titles WHERE namespace = 6 AND title = ?1) AS create_protected,
                (?2 IS NULL OR EXISTS (SELECT 1 FROM stash WHERE key = ?2)) AS stash_present,
                (?3 IS NOT NULL AND EXISTS (SELECT 1 FROM old_files WHERE archive_name = ?3)) AS archive_name_taken
         FROM (SELECT 1) LEFT JOIN files f ON f.name = ?1 LEFT JOIN pages p ON p.namespace = 6 AND p.title = ?1",
    )
    .bind(&op.version.name)
    .bind(op.consume_stash.as_deref())
    .bind(op.archive_name.as_deref())
    .fetch_one(&mut *tx)
    .await?;
    let current = match (
        r.try_get::<Option<String>, _>("cur_sha1")?,
        r.try_get::<Option<String>, _>("cur_timestamp")?,
    ) {
        (Some(sha1), Some(timestamp)) => Some(ExpectedCurrent { sha1, timestamp }),
        _ => None,
    };
    let page = match r.try_get::<Option<i64>, _>("page_id")? {
        Some(id) => Some((id, r.try_get::<Option<String>, _>("latest_text")?.unwrap_or_default())),
        None => None,
    };
    Ok(PublishFacts {
        current,
        page,
        create_protected: r.try_get("create_protected")?,
        stash_present: r.try_get("stash_present")?,
        archive_name_taken: r.try_get("archive_name_taken")?,
    })
}

/// Decides one publish inside the caller's write transaction (a group commit) from what it
/// reads: done (it does not go ahead, and has written nothing), or to be written by
/// [`publish_writes`].
pub(super) async fn publish_in(tx: &mut SqliteConnection, op: &PublishOp) -> StoreResult<Decided> {
    let facts = publish_facts(tx, op).await?;
    // Compare-and-set against the version the caller decided on.
    if facts.current != op.expected_current {
        return Ok(Decided::Done(PublishResult::CurrentChanged));
    }
    if !facts.stash_present {
        return Ok(Decided::Done(PublishResult::StashGone));
    }
    if facts.current.is_some() {
        if op.archive_name.is_none() {
            return Err(StoreError::Database(
                "publish over a current version without an archive name".into(),
            ));
        }
        if facts.archive_name_taken {
            return Ok(Decided::Done(PublishResult::ArchiveNameTaken));
        }
    }
    Ok(Decided::Write(facts))
}

/// Whether a publish goes ahead: [`publish_in`]'s answer.
pub(super) enum Decided {
    Done(PublishResult),
    Write(PublishFacts),
}

/// The writes of a publish that [`publish_in`] let go ahead. Anything but `Ok(Published)` may
/// leave some of them behind: the caller then rolls back the transaction.
pub(super) async fn publish_writes(tx: &mut SqliteConnection, op: &PublishOp, facts: PublishFacts) -> StoreResult<PublishResult> {
    let v = &op.version;
    if let Some(key) = &op.consume_stash {
        sqlx::query("DELETE FROM stash WHERE key = ?").bind(key).execute(&mut *tx).await?;
    }
    match (&facts.current, &op.archive_name) {
        (Some(_), Some(archive_name)) => {
            // The current row is copied as it is (it cannot change: the group holds the write lock).
            let sql = format!(
                "INSERT INTO old_files (name, archive_name, {VERSION_FIELDS}) SELECT name, ?, {VERSION_FIELDS} FROM files WHERE name = ?"
            );
            match sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(archive_name)
                .bind(&v.name)
                .execute(&mut *tx)
                .await
            {
                Ok(_) => {}
                Err(e) if is_unique_violation(&e) => return Ok(PublishResult::ArchiveNameTaken),
                Err(e) => return Err(e.into()),
            }
            update_current(tx, v).await?;
        }
        _ => match insert_current(tx, v).await {
            Ok(()) => {}
            Err(e) if is_unique_violation(&e) => return Ok(PublishResult::CurrentChanged),
            Err(e) => return Err(e.into()),
        },
    }
    // The description page: a new page gets the text; an existing one a null revision (its
    // latest text again).
    let page_created = match &facts.page {
        None => {
            let page_id = sqlx::query("INSERT INTO pages (namespace, title, touched) VALUES (6, ?, ?)")
                .bind(&v.name)
                .bind(&v.timestamp)
                .execute(&mut *tx)
                .await?
                .last_insert_rowid();
            insert_revision(
                tx,
                page_id,
                &op.page_text,
                &op.comment,
                v.user_id,
                &v.user_name,
                &v.timestamp,
                &op.tags,
            )
            .await?;
            if facts.create_protected {
                page_created(tx, 6, &v.name).await?;
            }
            true
        }
        Some((page_id, latest_text)) => {
            insert_revision(
                tx,
                *page_id,
                latest_text,
                &op.null_revision_comment,
                v.user_id,
                &v.user_name,
                &v.timestamp,
                &op.tags,
            )
            .await?;
            false
        }
    };
    let actor = Actor {
        user_id: v.user_id,
        user_name: &v.user_name,
    };
    let upload = LogEntry {
        log_type: "upload",
        action: &op.log_action,
        namespace: 6,
        title: &v.name,
        timestamp: &v.timestamp,
        comment: &op.comment,
        params: &op.log_params,
        tags: &op.tags,
    };
    // MediaWiki's page creation log ($wgPageCreationLog) follows the upload entry.
    let create = LogEntry {
        log_type: "create",
        action: "create",
        params: &LogParams::None {},
        ..upload
    };
    let entries: &[LogEntry<'_>] = if page_created { &[upload, create] } else { &[upload] };
    insert_logs(tx, &actor, entries).await?;
    if let Some(user_id) = op.watch_for {
        super::pages::watch_in(tx, user_id, 6, &v.name, None).await?;
    }
    Ok(PublishResult::Published { page_created })
}
