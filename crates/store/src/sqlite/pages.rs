use super::*;
use sqlx::{QueryBuilder, Sqlite};

#[async_trait]
impl PageStore for SqliteStore {
    // ----------------------------------------------------------------- pages

    async fn page(&self, namespace: i64, title: &str) -> StoreResult<Option<PageRow>> {
        let row = sqlx::query("SELECT id, namespace, title, latest_rev, touched FROM pages WHERE namespace = ? AND title = ?")
            .bind(namespace)
            .bind(title)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(page_from_row).transpose()?)
    }

    async fn revision(&self, id: i64) -> StoreResult<Option<RevisionRow>> {
        let sql = format!("SELECT {REVISION_COLUMNS} FROM revisions r WHERE r.id = ?");
        // Only constant fragments are formatted in; values are bound.
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&self.pool).await?;
        Ok(row.map(|r| revision_row(&r)).transpose()?)
    }

    /// A page's revisions from `from_id` on (inclusive), newest or oldest first.
    /// One page's revisions for prop=revisions' enumeration mode, newest or oldest first.
    /// Bounds are inclusive; `start` is where the walk begins (the newer end when newest first).
    async fn page_revisions(&self, q: &RevisionQuery<'_>) -> StoreResult<Vec<RevisionRow>> {
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
        Ok(rows.iter().map(revision_row).collect::<DbResult<_>>()?)
    }

    /// Creates or replaces a page's text (a new revision), unless `edit.base_rev` is set and
    /// another user has saved a revision after it (an edit conflict: nothing is written). The
    /// check and the write are one transaction, so two editors of one base cannot both win.
    async fn edit_page(&self, edit: &PageEdit<'_>) -> StoreResult<EditOutcome> {
        let mut conn = self.pool.acquire().await?;
        let mut tx = begin_write(&mut conn).await?;
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
            page_created(&mut tx, edit.namespace, edit.title).await?;
            let actor = Actor {
                user_id: edit.user_id,
                user_name: edit.user_name,
            };
            let entry = LogEntry {
                log_type: "create",
                action: "create",
                namespace: edit.namespace,
                title: edit.title,
                timestamp: &now,
                comment: edit.comment,
                params: &LogParams::None {},
                tags: edit.tags,
            };
            insert_log(&mut tx, &actor, &entry).await?;
        }
        tx.commit().await?;
        Ok(EditOutcome::Saved { page_id, rev, new })
    }

    /// The page's latest revision saved at or before `timestamp` (TS_MW): an edit's base.
    async fn revision_at(&self, page_id: i64, timestamp: &str) -> StoreResult<Option<i64>> {
        sqlx::query_scalar("SELECT MAX(id) FROM revisions WHERE page_id = ? AND timestamp <= ?")
            .bind(page_id)
            .bind(timestamp)
            .fetch_one(&self.pool)
            .await
            .map_err(StoreError::from)
    }

    /// Whether the page was deleted after `timestamp` (TS_MW), per the deletion log.
    async fn deleted_since(&self, namespace: i64, title: &str, timestamp: &str) -> StoreResult<bool> {
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
    async fn has_log_entry(&self, log_type: &str, namespace: i64, title: &str) -> StoreResult<bool> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM log_events WHERE log_type = ? AND namespace = ? AND title = ?")
            .bind(log_type)
            .bind(namespace)
            .bind(title)
            .fetch_one(&self.pool)
            .await?;
        Ok(n > 0)
    }

    async fn log_events(&self, q: &LogQuery<'_>) -> StoreResult<Vec<LogRow>> {
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
    async fn watch(&self, user_id: i64, namespace: i64, title: &str, expiry: Option<&str>) -> StoreResult<()> {
        let mut conn = self.pool.acquire().await?;
        Ok(watch_in(&mut conn, user_id, namespace, title, expiry).await?)
    }

    async fn unwatch(&self, user_id: i64, namespace: i64, title: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM watchlist WHERE user_id = ? AND namespace = ? AND title = ?")
            .bind(user_id)
            .bind(namespace)
            .bind(title)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn is_watched(&self, user_id: i64, namespace: i64, title: &str) -> StoreResult<bool> {
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
    async fn watchlist(&self, q: &WatchlistQuery<'_>) -> StoreResult<Vec<(i64, String, Option<String>)>> {
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
    async fn page_by_id(&self, id: i64) -> StoreResult<Option<PageRow>> {
        let row = sqlx::query("SELECT id, namespace, title, latest_rev, touched FROM pages WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(page_from_row).transpose()?)
    }

    async fn set_file_links(&self, page_id: i64, targets: &[String]) -> StoreResult<()> {
        let mut conn = self.pool.acquire().await?;
        let mut tx = begin_write(&mut conn).await?;
        sqlx::query("DELETE FROM imagelinks WHERE page_id = ?")
            .bind(page_id)
            .execute(&mut *tx)
            .await?;
        // Only a page that still exists gets uses (a delete may have won the race).
        for t in targets {
            sqlx::query("INSERT INTO imagelinks (page_id, target) SELECT id, ? FROM pages WHERE id = ? ON CONFLICT DO NOTHING")
                .bind(t)
                .bind(page_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn edit_count(&self, user_id: i64) -> StoreResult<i64> {
        let n: i64 = sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM revisions WHERE user_id = ?) + (SELECT COUNT(*) FROM archived_revisions WHERE user_id = ?)",
        )
        .bind(user_id)
        .bind(user_id)
        .fetch_one(&self.pool)
        .await?;
        Ok(n)
    }

    async fn file_links(&self, q: &FileLinkQuery<'_>) -> StoreResult<Vec<FileLink>> {
        // Only operators and column names are pushed as SQL; every value is bound.
        let mut qb = QueryBuilder::<Sqlite>::new(
            "SELECT l.page_id, p.namespace, p.title, l.target FROM imagelinks l JOIN pages p ON p.id = l.page_id WHERE 1 = 1",
        );
        let ge = if q.descending { "<=" } else { ">=" };
        if let Some(targets) = q.targets {
            if targets.is_empty() {
                return Ok(Vec::new());
            }
            qb.push(" AND l.target IN (");
            let mut sep = qb.separated(", ");
            for t in targets {
                sep.push_bind(t.clone());
            }
            sep.push_unseparated(")");
        }
        if let Some(ids) = q.page_ids {
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            qb.push(" AND l.page_id IN (");
            let mut sep = qb.separated(", ");
            for id in ids {
                sep.push_bind(*id);
            }
            sep.push_unseparated(")");
        }
        if let Some(ns) = q.namespaces {
            if ns.is_empty() {
                return Ok(Vec::new());
            }
            qb.push(" AND p.namespace IN (");
            let mut sep = qb.separated(", ");
            for n in ns {
                sep.push_bind(*n);
            }
            sep.push_unseparated(")");
        }
        let order = match q.order {
            FileLinkOrder::ByUsingPage { from, by_namespace: true } => {
                if let Some((ns, id)) = from {
                    qb.push(format!(" AND (p.namespace, l.page_id) {ge} ("))
                        .push_bind(ns)
                        .push(", ")
                        .push_bind(id)
                        .push(")");
                }
                vec!["p.namespace", "l.page_id"]
            }
            FileLinkOrder::ByUsingPage { from, by_namespace: false } => {
                if let Some((_, id)) = from {
                    qb.push(format!(" AND l.page_id {ge} ")).push_bind(id);
                }
                vec!["l.page_id"]
            }
            FileLinkOrder::ByFile { from } => {
                if let Some((target, id)) = from {
                    qb.push(format!(" AND (l.target, l.page_id) {ge} ("))
                        .push_bind(target.to_string())
                        .push(", ")
                        .push_bind(id)
                        .push(")");
                }
                vec!["l.target", "l.page_id"]
            }
            FileLinkOrder::ByPage { from } => {
                if let Some((id, target)) = from {
                    qb.push(format!(" AND (l.page_id, l.target) {ge} ("))
                        .push_bind(id)
                        .push(", ")
                        .push_bind(target.to_string())
                        .push(")");
                }
                vec!["l.page_id", "l.target"]
            }
        };
        let dir = if q.descending { "DESC" } else { "ASC" };
        let order: Vec<String> = order.iter().map(|c| format!("{c} {dir}")).collect();
        qb.push(format!(" ORDER BY {} LIMIT ", order.join(", "))).push_bind(q.limit);
        let rows = qb.build().fetch_all(&self.pool).await?;
        Ok(rows
            .iter()
            .map(|r| {
                Ok(FileLink {
                    page_id: r.try_get("page_id")?,
                    namespace: r.try_get("namespace")?,
                    title: r.try_get("title")?,
                    target: r.try_get("target")?,
                })
            })
            .collect::<DbResult<_>>()?)
    }

    async fn move_page(&self, op: &PageMoveOp<'_>) -> StoreResult<MoveOutcome> {
        let mut conn = self.pool.acquire().await?;
        let mut tx = begin_write(&mut conn).await?;
        let src: Option<(i64, i64)> = sqlx::query_as("SELECT id, latest_rev FROM pages WHERE namespace = ? AND title = ?")
            .bind(op.from_ns)
            .bind(op.from)
            .fetch_optional(&mut *tx)
            .await?;
        let Some((page_id, latest)) = src else {
            return Ok(MoveOutcome::SourceMissing);
        };
        if op.to_ns == 6 {
            let file: Option<i64> = sqlx::query_scalar("SELECT 1 FROM files WHERE name = ?")
                .bind(op.to)
                .fetch_optional(&mut *tx)
                .await?;
            if file.is_some() {
                return Ok(MoveOutcome::TargetExists);
            }
        }
        let target: Option<i64> = sqlx::query_scalar("SELECT id FROM pages WHERE namespace = ? AND title = ?")
            .bind(op.to_ns)
            .bind(op.to)
            .fetch_optional(&mut *tx)
            .await?;
        let action = match target {
            Some(_) if !op.over_redirect => return Ok(MoveOutcome::TargetExists),
            Some(tid) => {
                // The redirect at the target goes (MediaWiki deletes it without an entry of its own).
                for sql in [
                    "DELETE FROM revisions WHERE page_id = ?",
                    "DELETE FROM imagelinks WHERE page_id = ?",
                    "DELETE FROM pages WHERE id = ?",
                ] {
                    sqlx::query(sql).bind(tid).execute(&mut *tx).await?;
                }
                "move_redir"
            }
            None => "move",
        };
        if op.from_ns == 6 && op.to_ns == 6 {
            sqlx::query("UPDATE files SET name = ? WHERE name = ?")
                .bind(op.to)
                .bind(op.from)
                .execute(&mut *tx)
                .await?;
            let olds: Vec<(i64, String)> = sqlx::query_as("SELECT id, archive_name FROM old_files WHERE name = ?")
                .bind(op.from)
                .fetch_all(&mut *tx)
                .await?;
            for (id, archive) in olds {
                let ts = archive.split('!').next().unwrap_or_default();
                sqlx::query("UPDATE old_files SET name = ?, archive_name = ? WHERE id = ?")
                    .bind(op.to)
                    .bind(archive_name(ts, op.to))
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        sqlx::query("UPDATE pages SET namespace = ?, title = ? WHERE id = ?")
            .bind(op.to_ns)
            .bind(op.to)
            .bind(page_id)
            .execute(&mut *tx)
            .await?;
        // Protections move with the page; watchers of the old title also watch the new one.
        sqlx::query("DELETE FROM page_restrictions WHERE namespace = ? AND title = ?")
            .bind(op.to_ns)
            .bind(op.to)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE page_restrictions SET namespace = ?, title = ? WHERE namespace = ? AND title = ?")
            .bind(op.to_ns)
            .bind(op.to)
            .bind(op.from_ns)
            .bind(op.from)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT OR IGNORE INTO watchlist (user_id, namespace, title, expiry)
             SELECT user_id, ?, ?, expiry FROM watchlist WHERE namespace = ? AND title = ?",
        )
        .bind(op.to_ns)
        .bind(op.to)
        .bind(op.from_ns)
        .bind(op.from)
        .execute(&mut *tx)
        .await?;
        let now = crate::time::now_ts();
        insert_null_revision(
            &mut tx,
            page_id,
            latest,
            op.rev_comment,
            op.actor.user_id,
            op.actor.user_name,
            &now,
            op.tags,
        )
        .await?;
        let mut redirect_page_id = None;
        if let Some(text) = op.redirect_text {
            let rid = sqlx::query("INSERT INTO pages (namespace, title, touched) VALUES (?, ?, ?)")
                .bind(op.from_ns)
                .bind(op.from)
                .bind(&now)
                .execute(&mut *tx)
                .await?
                .last_insert_rowid();
            insert_revision(
                &mut tx,
                rid,
                text,
                op.rev_comment,
                op.actor.user_id,
                op.actor.user_name,
                &now,
                op.tags,
            )
            .await?;
            redirect_page_id = Some(rid);
        }
        let params = LogParams::Move {
            target_ns: op.to_ns,
            target_title: op.target_prefixed.to_string(),
            suppressredirect: op.redirect_text.is_none(),
        };
        let entry = LogEntry {
            log_type: "move",
            action,
            namespace: op.from_ns,
            title: op.from,
            timestamp: &now,
            comment: op.reason,
            params: &params,
            tags: op.tags,
        };
        let log_id = insert_log(&mut tx, &op.actor, &entry).await?;
        tx.commit().await?;
        Ok(MoveOutcome::Moved {
            page_id,
            redirect_page_id,
            log_id,
        })
    }
}

/// Adds a page to a user's watchlist (or sets the expiry of an entry already there).
pub(super) async fn watch_in(conn: &mut SqliteConnection, user_id: i64, namespace: i64, title: &str, expiry: Option<&str>) -> DbResult<()> {
    sqlx::query("INSERT INTO watchlist (user_id, namespace, title, expiry) VALUES (?, ?, ?, ?) ON CONFLICT (user_id, namespace, title) DO UPDATE SET expiry = excluded.expiry")
        .bind(user_id)
        .bind(namespace)
        .bind(title)
        .bind(expiry)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
