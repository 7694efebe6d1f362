//! Who may do what to which page: protections (page restrictions and create protection) and
//! blocks. Expired entries count as absent everywhere; they are purged when their target is
//! written again.

use super::*;

fn restriction_from_row(r: &sqlx::sqlite::SqliteRow) -> DbResult<Restriction> {
    Ok(Restriction {
        kind: r.try_get("kind")?,
        level: r.try_get("level")?,
        expiry: r.try_get("expiry")?,
        cascade: r.try_get::<i64, _>("cascade")? != 0,
    })
}

#[async_trait]
impl ProtectionStore for SqliteStore {
    async fn restrictions(&self, namespace: i64, title: &str, now: &str) -> StoreResult<Vec<Restriction>> {
        let rows = sqlx::query(
            "SELECT kind, level, expiry, cascade FROM page_restrictions
             WHERE namespace = ? AND title = ? AND (expiry IS NULL OR expiry > ?)
             UNION ALL
             SELECT 'create' AS kind, level, expiry, 0 AS cascade FROM protected_titles
             WHERE namespace = ? AND title = ? AND (expiry IS NULL OR expiry > ?)",
        )
        .bind(namespace)
        .bind(title)
        .bind(now)
        .bind(namespace)
        .bind(title)
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        let mut out: Vec<Restriction> = rows.iter().map(restriction_from_row).collect::<DbResult<_>>()?;
        // MediaWiki's order of restriction types.
        let rank = |k: &str| ["create", "edit", "move", "upload"].iter().position(|x| *x == k).unwrap_or(9);
        out.sort_by_key(|r| rank(&r.kind));
        Ok(out)
    }

    async fn protect(&self, op: &ProtectOp<'_>) -> StoreResult<i64> {
        let mut conn = self.pool.acquire().await?;
        let mut tx = begin_write(&mut conn).await?;
        let now = crate::time::now_ts();
        for r in &op.restrictions {
            if r.kind == "create" {
                if r.level.is_empty() || op.page_exists {
                    sqlx::query("DELETE FROM protected_titles WHERE namespace = ? AND title = ?")
                        .bind(op.namespace)
                        .bind(op.title)
                        .execute(&mut *tx)
                        .await?;
                } else {
                    sqlx::query(
                        "INSERT INTO protected_titles (namespace, title, level, expiry, user_id, user_name, reason, timestamp)
                         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                         ON CONFLICT (namespace, title) DO UPDATE SET level = excluded.level, expiry = excluded.expiry,
                           user_id = excluded.user_id, user_name = excluded.user_name, reason = excluded.reason, timestamp = excluded.timestamp",
                    )
                    .bind(op.namespace)
                    .bind(op.title)
                    .bind(&r.level)
                    .bind(&r.expiry)
                    .bind(op.log.actor.user_id)
                    .bind(op.log.actor.user_name)
                    .bind(crate::comment::for_database(op.log.comment))
                    .bind(&now)
                    .execute(&mut *tx)
                    .await?;
                }
            } else if r.level.is_empty() {
                sqlx::query("DELETE FROM page_restrictions WHERE namespace = ? AND title = ? AND kind = ?")
                    .bind(op.namespace)
                    .bind(op.title)
                    .bind(&r.kind)
                    .execute(&mut *tx)
                    .await?;
            } else {
                sqlx::query(
                    "INSERT INTO page_restrictions (namespace, title, kind, level, expiry, cascade) VALUES (?, ?, ?, ?, ?, ?)
                     ON CONFLICT (namespace, title, kind) DO UPDATE SET level = excluded.level, expiry = excluded.expiry, cascade = excluded.cascade",
                )
                .bind(op.namespace)
                .bind(op.title)
                .bind(&r.kind)
                .bind(&r.level)
                .bind(&r.expiry)
                .bind(r.cascade as i64)
                .execute(&mut *tx)
                .await?;
            }
        }
        if let Some(comment) = op.revision_comment {
            let page = sqlx::query("SELECT id, latest_rev FROM pages WHERE namespace = ? AND title = ?")
                .bind(op.namespace)
                .bind(op.title)
                .fetch_optional(&mut *tx)
                .await?;
            if let Some(p) = page {
                let (page_id, latest): (i64, i64) = (p.try_get("id")?, p.try_get("latest_rev")?);
                let actor = &op.log.actor;
                insert_null_revision(&mut tx, page_id, latest, comment, actor.user_id, actor.user_name, &now, op.log.tags).await?;
            }
        }
        let entry = LogEntry {
            log_type: "protect",
            action: op.log.action,
            namespace: op.namespace,
            title: op.title,
            timestamp: &now,
            comment: op.log.comment,
            params: &op.log.params,
            tags: op.log.tags,
        };
        let id = insert_log(&mut tx, &op.log.actor, &entry).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn protected_titles(&self, q: &ProtectedTitlesQuery<'_>, now: &str) -> StoreResult<Vec<ProtectedTitle>> {
        let mut sql = String::from("SELECT * FROM protected_titles WHERE (expiry IS NULL OR expiry > ?)");
        if let Some(ns) = q.namespaces {
            if ns.is_empty() {
                return Ok(Vec::new());
            }
            sql.push_str(&format!(" AND namespace IN ({})", vec!["?"; ns.len()].join(", ")));
        }
        if let Some(levels) = q.levels {
            if levels.is_empty() {
                return Ok(Vec::new());
            }
            sql.push_str(&format!(" AND level IN ({})", vec!["?"; levels.len()].join(", ")));
        }
        let (op, dir) = if q.newer_first { ("<", "DESC") } else { (">", "ASC") };
        if q.from.is_some() {
            sql.push_str(&format!(
                " AND (timestamp {op} ? OR (timestamp = ? AND (namespace {op} ? OR (namespace = ? AND title {op}= ?))))"
            ));
        }
        sql.push_str(&format!(" ORDER BY timestamp {dir}, namespace {dir}, title {dir} LIMIT ?"));
        // Only operators and placeholders are formatted in; every value is bound.
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(now.to_string());
        for n in q.namespaces.unwrap_or(&[]) {
            query = query.bind(*n);
        }
        for l in q.levels.unwrap_or(&[]) {
            query = query.bind(l.clone());
        }
        if let Some((ts, ns, title)) = q.from {
            query = query
                .bind(ts.to_string())
                .bind(ts.to_string())
                .bind(ns)
                .bind(ns)
                .bind(title.to_string());
        }
        let rows = query.bind(q.limit).fetch_all(&self.pool).await?;
        Ok(rows
            .iter()
            .map(|r| {
                Ok(ProtectedTitle {
                    namespace: r.try_get("namespace")?,
                    title: r.try_get("title")?,
                    level: r.try_get("level")?,
                    expiry: r.try_get("expiry")?,
                    user_id: r.try_get("user_id")?,
                    user_name: r.try_get("user_name")?,
                    reason: r.try_get("reason")?,
                    timestamp: r.try_get("timestamp")?,
                })
            })
            .collect::<DbResult<_>>()?)
    }
}

fn block_from_row(r: &impl Cols) -> DbResult<BlockRow> {
    let target = match r.col::<Option<i64>>("target_user_id")? {
        Some(id) => BlockTarget::User {
            id,
            name: r.col("target_name")?,
        },
        None => BlockTarget::Address {
            text: r.col("target_name")?,
            start: r.col::<Option<String>>("range_start")?.unwrap_or_default(),
            end: r.col::<Option<String>>("range_end")?.unwrap_or_default(),
        },
    };
    let pages: String = r.col("pages")?;
    let flag = |name: &str| -> DbResult<bool> { Ok(r.col::<i64>(name)? != 0) };
    Ok(BlockRow {
        id: r.col("id")?,
        target,
        by_id: r.col("by_id")?,
        by_name: r.col("by_name")?,
        reason: r.col("reason")?,
        timestamp: r.col("timestamp")?,
        expiry: r.col("expiry")?,
        anononly: flag("anononly")?,
        nocreate: flag("nocreate")?,
        autoblock: flag("autoblock")?,
        noemail: flag("noemail")?,
        allowusertalk: flag("allowusertalk")?,
        sitewide: flag("sitewide")?,
        pages: pages
            .lines()
            .filter_map(|l| l.split_once('\t'))
            .filter_map(|(ns, t)| Some((ns.parse().ok()?, t.to_string())))
            .collect(),
        namespaces: split_list(&r.col::<String>("namespaces")?)
            .iter()
            .filter_map(|n| n.parse().ok())
            .collect(),
    })
}

/// `WHERE` fragment and binds selecting one target's block.
fn target_filter(target: &BlockTarget) -> (&'static str, String, Option<i64>) {
    match target {
        BlockTarget::User { id, .. } => ("target_user_id = ?", String::new(), Some(*id)),
        BlockTarget::Address { text, .. } => ("target_address = ?", text.clone(), None),
    }
}

async fn write_block(conn: &mut SqliteConnection, b: &BlockRow, replace_id: Option<i64>) -> DbResult<i64> {
    let (user_id, address, start, end) = match &b.target {
        BlockTarget::User { id, .. } => (Some(*id), None, None, None),
        BlockTarget::Address { text, start, end } => (None, Some(text.clone()), Some(start.clone()), Some(end.clone())),
    };
    let pages: Vec<String> = b.pages.iter().map(|(ns, t)| format!("{ns}\t{t}")).collect();
    let namespaces: Vec<String> = b.namespaces.iter().map(|n| n.to_string()).collect();
    let cols = "target_user_id, target_address, target_name, range_start, range_end, by_id, by_name, reason, timestamp, expiry, \
                anononly, nocreate, autoblock, noemail, allowusertalk, sitewide, pages, namespaces";
    let sql = match replace_id {
        Some(_) => format!("UPDATE blocks SET ({cols}) = ({}) WHERE id = ?", vec!["?"; 18].join(", ")),
        None => format!("INSERT INTO blocks ({cols}) VALUES ({})", vec!["?"; 18].join(", ")),
    };
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(user_id)
        .bind(address)
        .bind(b.target.name().to_string())
        .bind(start)
        .bind(end)
        .bind(b.by_id)
        .bind(&b.by_name)
        .bind(crate::comment::for_database(&b.reason))
        .bind(&b.timestamp)
        .bind(&b.expiry)
        .bind(b.anononly as i64)
        .bind(b.nocreate as i64)
        .bind(b.autoblock as i64)
        .bind(b.noemail as i64)
        .bind(b.allowusertalk as i64)
        .bind(b.sitewide as i64)
        .bind(pages.join("\n"))
        .bind(namespaces.join(","));
    if let Some(id) = replace_id {
        q = q.bind(id);
    }
    let r = q.execute(&mut *conn).await?;
    Ok(replace_id.unwrap_or_else(|| r.last_insert_rowid()))
}

const BLOCK_ORDER: &str = "ORDER BY timestamp DESC, id DESC";

#[async_trait]
impl BlockStore for SqliteStore {
    async fn insert_block(&self, block: &BlockRow, reblock: bool, now: &str, log: &LogWrite<'_>) -> StoreResult<BlockInsert> {
        let mut conn = self.pool.acquire().await?;
        let mut tx = begin_write(&mut conn).await?;
        let (filter, address, user_id) = target_filter(&block.target);
        // An expired block of the target no longer counts.
        let expired = format!("DELETE FROM blocks WHERE {filter} AND expiry IS NOT NULL AND expiry <= ?");
        let bind_target = |q: sqlx::query::Query<'static, sqlx::Sqlite, sqlx::sqlite::SqliteArguments>| match user_id {
            Some(id) => q.bind(id),
            None => q.bind(address.clone()),
        };
        bind_target(sqlx::query(sqlx::AssertSqlSafe(expired)))
            .bind(now.to_string())
            .execute(&mut *tx)
            .await?;
        let existing: Option<i64> = {
            let sql = format!("SELECT id FROM blocks WHERE {filter}");
            let row = bind_target(sqlx::query(sqlx::AssertSqlSafe(sql))).fetch_optional(&mut *tx).await?;
            row.map(|r| r.try_get("id")).transpose()?
        };
        if existing.is_some() && !reblock {
            return Ok(BlockInsert::AlreadyBlocked);
        }
        let id = write_block(&mut tx, block, existing).await?;
        let title = block.target.name().replace(' ', "_");
        let entry = LogEntry {
            log_type: "block",
            action: if existing.is_some() { "reblock" } else { log.action },
            namespace: 2,
            title: &title,
            timestamp: &block.timestamp,
            comment: log.comment,
            params: &log.params,
            tags: log.tags,
        };
        insert_log(&mut tx, &log.actor, &entry).await?;
        tx.commit().await?;
        Ok(BlockInsert::Inserted { id })
    }

    async fn remove_block(&self, key: &BlockKey<'_>, now: &str, log: &LogWrite<'_>) -> StoreResult<Option<BlockRow>> {
        let mut conn = self.pool.acquire().await?;
        let mut tx = begin_write(&mut conn).await?;
        let (filter, text, int) = match key {
            BlockKey::Id(id) => ("id = ?", String::new(), Some(*id)),
            BlockKey::User(id) => ("target_user_id = ?", String::new(), Some(*id)),
            BlockKey::Address(a) => ("target_address = ?", a.to_string(), None),
        };
        let sql = format!("DELETE FROM blocks WHERE {filter} AND (expiry IS NULL OR expiry > ?) RETURNING *");
        let q = sqlx::query(sqlx::AssertSqlSafe(sql));
        let q = match int {
            Some(n) => q.bind(n),
            None => q.bind(text),
        };
        let row = q.bind(now.to_string()).fetch_optional(&mut *tx).await?;
        let Some(block) = row.as_ref().map(block_from_row).transpose()? else {
            return Ok(None);
        };
        let title = block.target.name().replace(' ', "_");
        let entry = LogEntry {
            log_type: "block",
            action: log.action,
            namespace: 2,
            title: &title,
            timestamp: now,
            comment: log.comment,
            params: &log.params,
            tags: log.tags,
        };
        insert_log(&mut tx, &log.actor, &entry).await?;
        tx.commit().await?;
        Ok(Some(block))
    }

    async fn blocks_against(&self, user_id: Option<i64>, address_hex: Option<&str>, now: &str) -> StoreResult<Vec<BlockRow>> {
        let sql = format!(
            "SELECT * FROM blocks WHERE (expiry IS NULL OR expiry > ?)
             AND ((? IS NOT NULL AND target_user_id = ?) OR (? IS NOT NULL AND range_start <= ? AND range_end >= ?)) {BLOCK_ORDER}"
        );
        self.reads
            .run(|c| {
                let params = rusqlite::params![now, user_id, user_id, address_hex, address_hex, address_hex];
                reads::all(c, &sql, params, |r| block_from_row(r))
            })
            .await
    }

    async fn list_blocks(&self, q: &BlockQuery<'_>, now: &str) -> StoreResult<Vec<BlockRow>> {
        let mut sql = String::from("SELECT * FROM blocks WHERE (expiry IS NULL OR expiry > ?)");
        let mut ints: Vec<i64> = Vec::new();
        let mut texts: Vec<String> = Vec::new();
        let mut any_of: Vec<String> = Vec::new();
        if let Some(ids) = q.ids {
            any_of.push(format!("id IN ({})", vec!["?"; ids.len().max(1)].join(", ")));
            ints.extend(ids);
            if ids.is_empty() {
                ints.push(-1);
            }
        }
        if let Some(users) = q.user_ids {
            any_of.push(format!("target_user_id IN ({})", vec!["?"; users.len().max(1)].join(", ")));
            ints.extend(users);
            if users.is_empty() {
                ints.push(-1);
            }
        }
        // Ints are bound before texts: keep the clauses in that order.
        if let Some(addrs) = q.addresses {
            any_of.push(format!("target_address IN ({})", vec!["?"; addrs.len().max(1)].join(", ")));
            texts.extend(addrs.iter().cloned());
            if addrs.is_empty() {
                texts.push(String::new());
            }
        }
        if !any_of.is_empty() {
            sql.push_str(&format!(" AND ({})", any_of.join(" OR ")));
        }
        if let Some(hex) = q.covering {
            sql.push_str(" AND range_start <= ? AND range_end >= ?");
            texts.push(hex.to_string());
            texts.push(hex.to_string());
        }
        let (op, dir) = if q.newer_first { ("<", "DESC") } else { (">", "ASC") };
        if let Some((ts, id)) = q.from {
            sql.push_str(&format!(" AND (timestamp {op} ? OR (timestamp = ? AND id {op}= ?))"));
            texts.push(ts.to_string());
            texts.push(ts.to_string());
            // The id is bound last, after the texts.
            let _ = id;
        }
        sql.push_str(&format!(" ORDER BY timestamp {dir}, id {dir} LIMIT ?"));
        // Only operators and placeholders are formatted in; every value is bound.
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(now.to_string());
        for n in ints {
            query = query.bind(n);
        }
        for t in texts {
            query = query.bind(t);
        }
        if let Some((_, id)) = q.from {
            query = query.bind(id);
        }
        let rows = query.bind(q.limit).fetch_all(&self.pool).await?;
        Ok(rows.iter().map(block_from_row).collect::<DbResult<_>>()?)
    }
}
