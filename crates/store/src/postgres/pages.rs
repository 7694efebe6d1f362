//! Description pages, revisions, the log and watchlists. A page's revisions are only written
//! under the page row's lock (`FOR UPDATE`), so an edit's conflict check and its save are one
//! step, and `latest_rev` is always the newest revision.

use super::*;
use sqlx::{Postgres, QueryBuilder};

#[async_trait]
impl PageStore for PgStore {
    async fn page(&self, namespace: i64, title: &str) -> StoreResult<Option<PageRow>> {
        let row = sqlx::query("SELECT id, namespace, title, latest_rev, touched FROM pages WHERE namespace = $1 AND title = $2")
            .bind(namespace)
            .bind(title)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(page_from_row).transpose()?)
    }

    async fn page_by_id(&self, id: i64) -> StoreResult<Option<PageRow>> {
        let row = sqlx::query("SELECT id, namespace, title, latest_rev, touched FROM pages WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(page_from_row).transpose()?)
    }

    async fn revision(&self, id: i64) -> StoreResult<Option<RevisionRow>> {
        let sql = format!("SELECT {REVISION_COLUMNS} FROM revisions r WHERE r.id = $1");
        // Only constant fragments are formatted in; values are bound.
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&self.pool).await?;
        Ok(row.map(|r| revision_row(&r)).transpose()?)
    }

    /// One page's revisions for prop=revisions' enumeration mode, newest or oldest first.
    /// Bounds are inclusive; `start` is where the walk begins (the newer end when newest first).
    async fn page_revisions(&self, q: &RevisionQuery<'_>) -> StoreResult<Vec<RevisionRow>> {
        let (from_op, to_op, order) = if q.newest_first {
            ("<=", ">=", "DESC")
        } else {
            (">=", "<=", "ASC")
        };
        // Only operators are pushed as SQL; every value is bound.
        let mut qb = QueryBuilder::<Postgres>::new(format!("SELECT {REVISION_COLUMNS} FROM revisions r WHERE r.page_id = "));
        qb.push_bind(q.page_id);
        for (id, op) in [(q.from_id, from_op), (q.start_id, from_op), (q.end_id, to_op)] {
            if let Some(id) = id {
                qb.push(format!(" AND r.id {op} ")).push_bind(id);
            }
        }
        for (ts, op) in [(q.start, from_op), (q.end, to_op)] {
            if let Some(ts) = ts {
                qb.push(format!(" AND r.timestamp {op} ")).push_bind(ts);
            }
        }
        if let Some(u) = q.user {
            qb.push(" AND r.user_name = ").push_bind(u);
        }
        if let Some(u) = q.exclude_user {
            qb.push(" AND r.user_name <> ").push_bind(u);
        }
        if let Some(tag) = q.tag {
            // Tags are stored comma separated.
            qb.push(" AND strpos(',' || r.tags || ',', ")
                .push_bind(format!(",{tag},"))
                .push(") > 0");
        }
        qb.push(format!(" ORDER BY r.id {order} LIMIT ")).push_bind(q.limit);
        let rows = qb.build().fetch_all(&self.pool).await?;
        Ok(rows.iter().map(revision_row).collect::<DbResult<_>>()?)
    }

    /// Creates or replaces a page's text (a new revision), unless `edit.base_rev` is set and
    /// another user has saved a revision after it (an edit conflict: nothing is written). The
    /// page row is locked before the check, so two editors of one base cannot both win.
    async fn edit_page(&self, edit: &PageEdit<'_>) -> StoreResult<EditOutcome> {
        retrying(|| async move {
            let mut tx = self.pool.begin().await?;
            let now = crate::time::now_ts();
            let (page_id, _, new) = lock_or_create_page(&mut tx, edit.namespace, edit.title, &now).await?;
            if let (false, Some(base)) = (new, edit.base_rev) {
                let others: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM revisions WHERE page_id = $1 AND id > $2 AND user_id <> $3")
                    .bind(page_id)
                    .bind(base)
                    .bind(edit.user_id)
                    .fetch_one(&mut *tx)
                    .await?;
                if others > 0 {
                    return Ok(EditOutcome::Conflict);
                }
            }
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
        })
        .await
    }

    async fn revision_at(&self, page_id: i64, timestamp: &str) -> StoreResult<Option<i64>> {
        sqlx::query_scalar("SELECT MAX(id) FROM revisions WHERE page_id = $1 AND timestamp <= $2")
            .bind(page_id)
            .bind(timestamp)
            .fetch_one(&self.pool)
            .await
            .map_err(StoreError::from)
    }

    async fn deleted_since(&self, namespace: i64, title: &str, timestamp: &str) -> StoreResult<bool> {
        Ok(sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM log_events
                 WHERE log_type = 'delete' AND action = 'delete' AND namespace = $1 AND title = $2 AND timestamp > $3)",
        )
        .bind(namespace)
        .bind(title)
        .bind(timestamp)
        .fetch_one(&self.pool)
        .await?)
    }

    async fn has_log_entry(&self, log_type: &str, namespace: i64, title: &str) -> StoreResult<bool> {
        Ok(
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM log_events WHERE log_type = $1 AND namespace = $2 AND title = $3)")
                .bind(log_type)
                .bind(namespace)
                .bind(title)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// Log entries for list=logevents, newest or oldest first, resuming at `q.from` (a
    /// (timestamp, id) position, inclusive).
    async fn log_events(&self, q: &LogQuery<'_>) -> StoreResult<Vec<LogRow>> {
        let (ge, le) = if q.newer_first { ("<=", ">=") } else { (">=", "<=") };
        // Only column names and operators are pushed as SQL; every value is bound.
        let mut qb = QueryBuilder::<Postgres>::new(
            "SELECT id, log_type, action, namespace, title, user_id, user_name, timestamp, comment, params, tags FROM log_events WHERE TRUE",
        );
        for (col, v) in [
            ("log_type", q.log_type),
            ("action", q.action),
            ("user_name", q.user),
            ("title", q.title),
        ] {
            if let Some(v) = v {
                qb.push(format!(" AND {col} = ")).push_bind(v);
            }
        }
        if let Some(p) = q.prefix {
            qb.push(" AND title >= ")
                .push_bind(p)
                .push(" AND title < ")
                .push_bind(prefix_end(p));
        }
        if let Some(st) = q.start {
            qb.push(format!(" AND timestamp {ge} ")).push_bind(st);
        }
        if let Some(e) = q.end {
            qb.push(format!(" AND timestamp {le} ")).push_bind(e);
        }
        if let Some(tag) = q.tag {
            // Tags are stored comma separated.
            qb.push(" AND strpos(',' || tags || ',', ")
                .push_bind(format!(",{tag},"))
                .push(") > 0");
        }
        for ns in [q.namespace, q.title_namespace].into_iter().flatten() {
            qb.push(" AND namespace = ").push_bind(ns);
        }
        if let Some((ts, id)) = q.from {
            let op = if q.newer_first { "<" } else { ">" };
            qb.push(format!(" AND (timestamp {op} "))
                .push_bind(ts)
                .push(" OR (timestamp = ")
                .push_bind(ts)
                .push(format!(" AND id {op}= "))
                .push_bind(id)
                .push("))");
        }
        let dir = if q.newer_first { "DESC" } else { "ASC" };
        qb.push(format!(" ORDER BY timestamp {dir}, id {dir} LIMIT ")).push_bind(q.limit);
        let rows = qb.build().fetch_all(&self.pool).await?;
        Ok(rows
            .iter()
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
            .collect::<DbResult<_>>()?)
    }

    async fn watch(&self, user_id: i64, namespace: i64, title: &str, expiry: Option<&str>) -> StoreResult<()> {
        let mut conn = self.pool.acquire().await?;
        Ok(watch_in(&mut conn, user_id, namespace, title, expiry).await?)
    }

    async fn unwatch(&self, user_id: i64, namespace: i64, title: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM watchlist WHERE user_id = $1 AND namespace = $2 AND title = $3")
            .bind(user_id)
            .bind(namespace)
            .bind(title)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn is_watched(&self, user_id: i64, namespace: i64, title: &str) -> StoreResult<bool> {
        Ok(sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM watchlist
                 WHERE user_id = $1 AND namespace = $2 AND title = $3 AND (expiry IS NULL OR expiry > $4))",
        )
        .bind(user_id)
        .bind(namespace)
        .bind(title)
        .bind(crate::time::now_ts())
        .fetch_one(&self.pool)
        .await?)
    }

    /// A user's unexpired watchlist entries in (namespace, title) order, either direction,
    /// within inclusive (namespace, title) bounds and optionally some namespaces.
    async fn watchlist(&self, q: &WatchlistQuery<'_>) -> StoreResult<Vec<(i64, String, Option<String>)>> {
        let (ge, le) = if q.descending { ("<=", ">=") } else { (">=", "<=") };
        // Only operators are pushed as SQL; every value is bound.
        let mut qb = QueryBuilder::<Postgres>::new("SELECT namespace, title, expiry FROM watchlist WHERE user_id = ");
        qb.push_bind(q.user_id)
            .push(" AND (expiry IS NULL OR expiry > ")
            .push_bind(crate::time::now_ts())
            .push(")");
        for (bound, op) in [(q.from, ge), (q.to, le)] {
            if let Some((ns, title)) = bound {
                qb.push(format!(" AND (namespace, title) {op} ("))
                    .push_bind(ns)
                    .push(", ")
                    .push_bind(title)
                    .push(")");
            }
        }
        if let Some(ns) = q.namespaces {
            if ns.is_empty() {
                return Ok(Vec::new());
            }
            qb.push(" AND namespace = ANY(").push_bind(ns.to_vec()).push(")");
        }
        let dir = if q.descending { "DESC" } else { "ASC" };
        qb.push(format!(" ORDER BY namespace {dir}, title {dir} LIMIT ")).push_bind(q.limit);
        let rows = qb.build().fetch_all(&self.pool).await?;
        Ok(rows
            .iter()
            .map(|r| Ok((r.try_get("namespace")?, r.try_get("title")?, r.try_get("expiry")?)))
            .collect::<DbResult<_>>()?)
    }

    async fn set_file_links(&self, page_id: i64, targets: &[String]) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM imagelinks WHERE page_id = $1")
            .bind(page_id)
            .execute(&mut *tx)
            .await?;
        // Only a page that still exists gets uses (a delete may have won the race).
        for t in targets {
            sqlx::query("INSERT INTO imagelinks (page_id, target) SELECT id, $2 FROM pages WHERE id = $1 ON CONFLICT DO NOTHING")
                .bind(page_id)
                .bind(t)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn edit_count(&self, user_id: i64) -> StoreResult<i64> {
        let n: i64 = sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM revisions WHERE user_id = $1) + (SELECT COUNT(*) FROM archived_revisions WHERE user_id = $1)",
        )
        .bind(user_id)
        .fetch_one(&self.pool)
        .await?;
        Ok(n)
    }

    async fn move_page(&self, op: &PageMoveOp<'_>) -> StoreResult<MoveOutcome> {
        retrying(|| async {
            match move_page_once(&self.pool, op).await {
                // Someone created the target meanwhile: the unique key decides, as a TargetExists.
                Err(sqlx::Error::Database(d)) if d.is_unique_violation() => Ok(MoveOutcome::TargetExists),
                r => r,
            }
        })
        .await
    }

    async fn file_links(&self, q: &FileLinkQuery<'_>) -> StoreResult<Vec<FileLink>> {
        // Only operators and column names are pushed as SQL; every value is bound.
        let mut qb = QueryBuilder::<Postgres>::new(
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
}

async fn move_page_once(pool: &PgPool, op: &PageMoveOp<'_>) -> DbResult<MoveOutcome> {
    let mut tx = pool.begin().await?;
    let src: Option<(i64, i64)> = sqlx::query_as("SELECT id, latest_rev FROM pages WHERE namespace = $1 AND title = $2 FOR UPDATE")
        .bind(op.from_ns)
        .bind(op.from)
        .fetch_optional(&mut *tx)
        .await?;
    let Some((page_id, latest)) = src else {
        return Ok(MoveOutcome::SourceMissing);
    };
    if op.to_ns == 6 {
        let file: Option<i32> = sqlx::query_scalar("SELECT 1 FROM files WHERE name = $1 FOR UPDATE")
            .bind(op.to)
            .fetch_optional(&mut *tx)
            .await?;
        if file.is_some() {
            return Ok(MoveOutcome::TargetExists);
        }
    }
    let target: Option<i64> = sqlx::query_scalar("SELECT id FROM pages WHERE namespace = $1 AND title = $2 FOR UPDATE")
        .bind(op.to_ns)
        .bind(op.to)
        .fetch_optional(&mut *tx)
        .await?;
    let action = match target {
        Some(_) if !op.over_redirect => return Ok(MoveOutcome::TargetExists),
        Some(tid) => {
            // The redirect at the target goes (MediaWiki deletes it without an entry of its own).
            for sql in [
                "DELETE FROM revisions WHERE page_id = $1",
                "DELETE FROM imagelinks WHERE page_id = $1",
                "DELETE FROM pages WHERE id = $1",
            ] {
                sqlx::query(sql).bind(tid).execute(&mut *tx).await?;
            }
            "move_redir"
        }
        None => "move",
    };
    if op.from_ns == 6 && op.to_ns == 6 {
        sqlx::query("UPDATE files SET name = $1 WHERE name = $2")
            .bind(op.to)
            .bind(op.from)
            .execute(&mut *tx)
            .await?;
        let olds: Vec<(i64, String)> = sqlx::query_as("SELECT id, archive_name FROM old_files WHERE name = $1 ORDER BY id FOR UPDATE")
            .bind(op.from)
            .fetch_all(&mut *tx)
            .await?;
        for (id, archive) in olds {
            let ts = archive.split('!').next().unwrap_or_default();
            sqlx::query("UPDATE old_files SET name = $1, archive_name = $2 WHERE id = $3")
                .bind(op.to)
                .bind(archive_name(ts, op.to))
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
    }
    sqlx::query("UPDATE pages SET namespace = $1, title = $2 WHERE id = $3")
        .bind(op.to_ns)
        .bind(op.to)
        .bind(page_id)
        .execute(&mut *tx)
        .await?;
    // Protections move with the page; watchers of the old title also watch the new one.
    sqlx::query("DELETE FROM page_restrictions WHERE namespace = $1 AND title = $2")
        .bind(op.to_ns)
        .bind(op.to)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE page_restrictions SET namespace = $1, title = $2 WHERE namespace = $3 AND title = $4")
        .bind(op.to_ns)
        .bind(op.to)
        .bind(op.from_ns)
        .bind(op.from)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO watchlist (user_id, namespace, title, expiry)
         SELECT user_id, $1, $2, expiry FROM watchlist WHERE namespace = $3 AND title = $4
         ON CONFLICT DO NOTHING",
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
        let rid: i64 = sqlx::query_scalar("INSERT INTO pages (namespace, title, touched) VALUES ($1, $2, $3) RETURNING id")
            .bind(op.from_ns)
            .bind(op.from)
            .bind(&now)
            .fetch_one(&mut *tx)
            .await?;
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

/// Adds a page to a user's watchlist (or sets the expiry of an entry already there).
pub(super) async fn watch_in(conn: &mut PgConnection, user_id: i64, namespace: i64, title: &str, expiry: Option<&str>) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO watchlist (user_id, namespace, title, expiry) VALUES ($1, $2, $3, $4)
         ON CONFLICT (user_id, namespace, title) DO UPDATE SET expiry = excluded.expiry",
    )
    .bind(user_id)
    .bind(namespace)
    .bind(title)
    .bind(expiry)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
