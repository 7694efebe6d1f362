//! Protections and blocks on PostgreSQL (semantics: `sqlite/access.rs`). A target's block is
//! decided under a transaction-scoped advisory lock on the target, so two replicas blocking one
//! user at once end with one block, and the unique indexes back that up.

use super::*;

fn restriction_from_row(r: &PgRow) -> DbResult<Restriction> {
    Ok(Restriction {
        kind: r.try_get("kind")?,
        level: r.try_get("level")?,
        expiry: r.try_get("expiry")?,
        cascade: r.try_get("cascade")?,
    })
}

async fn protect_once(pool: &PgPool, op: &ProtectOp<'_>) -> DbResult<i64> {
    let mut tx = pool.begin().await?;
    let now = crate::time::now_ts();
    for r in &op.restrictions {
        if r.kind == "create" {
            if r.level.is_empty() || op.page_exists {
                sqlx::query("DELETE FROM protected_titles WHERE namespace = $1 AND title = $2")
                    .bind(op.namespace)
                    .bind(op.title)
                    .execute(&mut *tx)
                    .await?;
            } else {
                sqlx::query(
                    "INSERT INTO protected_titles (namespace, title, level, expiry, user_id, user_name, reason, timestamp)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
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
            sqlx::query("DELETE FROM page_restrictions WHERE namespace = $1 AND title = $2 AND kind = $3")
                .bind(op.namespace)
                .bind(op.title)
                .bind(&r.kind)
                .execute(&mut *tx)
                .await?;
        } else {
            sqlx::query(
                "INSERT INTO page_restrictions (namespace, title, kind, level, expiry, cascade) VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (namespace, title, kind) DO UPDATE SET level = excluded.level, expiry = excluded.expiry, cascade = excluded.cascade",
            )
            .bind(op.namespace)
            .bind(op.title)
            .bind(&r.kind)
            .bind(&r.level)
            .bind(&r.expiry)
            .bind(r.cascade)
            .execute(&mut *tx)
            .await?;
        }
    }
    if let Some(comment) = op.revision_comment {
        let page = sqlx::query("SELECT id, latest_rev FROM pages WHERE namespace = $1 AND title = $2 FOR UPDATE")
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

#[async_trait]
impl ProtectionStore for PgStore {
    async fn restrictions(&self, namespace: i64, title: &str, now: &str) -> StoreResult<Vec<Restriction>> {
        let rows = sqlx::query(
            "SELECT kind, level, expiry, cascade FROM page_restrictions
             WHERE namespace = $1 AND title = $2 AND (expiry IS NULL OR expiry > $3)
             UNION ALL
             SELECT 'create' AS kind, level, expiry, FALSE AS cascade FROM protected_titles
             WHERE namespace = $1 AND title = $2 AND (expiry IS NULL OR expiry > $3)",
        )
        .bind(namespace)
        .bind(title)
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        let mut out: Vec<Restriction> = rows.iter().map(restriction_from_row).collect::<DbResult<_>>()?;
        let rank = |k: &str| ["create", "edit", "move", "upload"].iter().position(|x| *x == k).unwrap_or(9);
        out.sort_by_key(|r| rank(&r.kind));
        Ok(out)
    }

    async fn protect(&self, op: &ProtectOp<'_>) -> StoreResult<i64> {
        retrying(|| protect_once(&self.pool, op)).await
    }

    async fn protected_titles(&self, q: &ProtectedTitlesQuery<'_>, now: &str) -> StoreResult<Vec<ProtectedTitle>> {
        let mut sql = String::from("SELECT * FROM protected_titles WHERE (expiry IS NULL OR expiry > $1)");
        let mut n = 1;
        let mut next = || {
            n += 1;
            format!("${n}")
        };
        if let Some(ns) = q.namespaces {
            if ns.is_empty() {
                return Ok(Vec::new());
            }
            sql.push_str(&format!(" AND namespace = ANY({}::bigint[])", next()));
        }
        if let Some(levels) = q.levels {
            if levels.is_empty() {
                return Ok(Vec::new());
            }
            sql.push_str(&format!(" AND level = ANY({}::text[])", next()));
        }
        let (op, dir) = if q.newer_first { ("<", "DESC") } else { (">", "ASC") };
        if q.from.is_some() {
            let (a, b, c) = (next(), next(), next());
            sql.push_str(&format!(
                " AND (timestamp {op} {a} OR (timestamp = {a} AND (namespace {op} {b} OR (namespace = {b} AND title {op}= {c}))))"
            ));
        }
        sql.push_str(&format!(" ORDER BY timestamp {dir}, namespace {dir}, title {dir} LIMIT {}", next()));
        // Only operators and placeholders are formatted in; every value is bound.
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(now.to_string());
        if let Some(ns) = q.namespaces {
            query = query.bind(ns.to_vec());
        }
        if let Some(levels) = q.levels {
            query = query.bind(levels.to_vec());
        }
        if let Some((ts, ns, title)) = q.from {
            query = query.bind(ts.to_string()).bind(ns).bind(title.to_string());
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

fn block_from_row(r: &PgRow) -> DbResult<BlockRow> {
    let target = match r.try_get::<Option<i64>, _>("target_user_id")? {
        Some(id) => BlockTarget::User {
            id,
            name: r.try_get("target_name")?,
        },
        None => BlockTarget::Address {
            text: r.try_get("target_name")?,
            start: r.try_get::<Option<String>, _>("range_start")?.unwrap_or_default(),
            end: r.try_get::<Option<String>, _>("range_end")?.unwrap_or_default(),
        },
    };
    let pages: String = r.try_get("pages")?;
    Ok(BlockRow {
        id: r.try_get("id")?,
        target,
        by_id: r.try_get("by_id")?,
        by_name: r.try_get("by_name")?,
        reason: r.try_get("reason")?,
        timestamp: r.try_get("timestamp")?,
        expiry: r.try_get("expiry")?,
        anononly: r.try_get("anononly")?,
        nocreate: r.try_get("nocreate")?,
        autoblock: r.try_get("autoblock")?,
        noemail: r.try_get("noemail")?,
        allowusertalk: r.try_get("allowusertalk")?,
        sitewide: r.try_get("sitewide")?,
        pages: pages
            .lines()
            .filter_map(|l| l.split_once('\t'))
            .filter_map(|(ns, t)| Some((ns.parse().ok()?, t.to_string())))
            .collect(),
        namespaces: split_list(&r.try_get::<String, _>("namespaces")?)
            .iter()
            .filter_map(|n| n.parse().ok())
            .collect(),
    })
}

/// Serializes writers of one target's block for the rest of the transaction.
async fn lock_target(tx: &mut PgConnection, target: &BlockTarget) -> DbResult<()> {
    let key = match target {
        BlockTarget::User { id, .. } => format!("block:user:{id}"),
        BlockTarget::Address { text, .. } => format!("block:addr:{text}"),
    };
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind(key)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

const BLOCK_COLS: &str = "target_user_id, target_address, target_name, range_start, range_end, by_id, by_name, reason, timestamp, expiry, \
                          anononly, nocreate, autoblock, noemail, allowusertalk, sitewide, pages, namespaces";

async fn write_block(tx: &mut PgConnection, b: &BlockRow, replace_id: Option<i64>) -> DbResult<i64> {
    let (user_id, address, start, end) = match &b.target {
        BlockTarget::User { id, .. } => (Some(*id), None, None, None),
        BlockTarget::Address { text, start, end } => (None, Some(text.clone()), Some(start.clone()), Some(end.clone())),
    };
    let pages: Vec<String> = b.pages.iter().map(|(ns, t)| format!("{ns}\t{t}")).collect();
    let namespaces: Vec<String> = b.namespaces.iter().map(|n| n.to_string()).collect();
    let marks: Vec<String> = (1..=18).map(|i| format!("${i}")).collect();
    let sql = match replace_id {
        Some(_) => format!(
            "UPDATE blocks SET ({BLOCK_COLS}) = ({}) WHERE id = $19 RETURNING id",
            marks.join(", ")
        ),
        None => format!("INSERT INTO blocks ({BLOCK_COLS}) VALUES ({}) RETURNING id", marks.join(", ")),
    };
    let mut q = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql))
        .bind(user_id)
        .bind(address)
        .bind(b.target.name().to_string())
        .bind(start)
        .bind(end)
        .bind(b.by_id)
        .bind(b.by_name.clone())
        .bind(crate::comment::for_database(&b.reason).into_owned())
        .bind(b.timestamp.clone())
        .bind(b.expiry.clone())
        .bind(b.anononly)
        .bind(b.nocreate)
        .bind(b.autoblock)
        .bind(b.noemail)
        .bind(b.allowusertalk)
        .bind(b.sitewide)
        .bind(pages.join("\n"))
        .bind(namespaces.join(","));
    if let Some(id) = replace_id {
        q = q.bind(id);
    }
    q.fetch_one(&mut *tx).await
}

fn target_filter(target: &BlockTarget) -> (&'static str, Option<i64>, Option<String>) {
    match target {
        BlockTarget::User { id, .. } => ("target_user_id = $1", Some(*id), None),
        BlockTarget::Address { text, .. } => ("target_address = $1", None, Some(text.clone())),
    }
}

async fn insert_block_once(pool: &PgPool, block: &BlockRow, reblock: bool, now: &str, log: &LogWrite<'_>) -> DbResult<BlockInsert> {
    let mut tx = pool.begin().await?;
    lock_target(&mut tx, &block.target).await?;
    let (filter, user_id, address) = target_filter(&block.target);
    let expired = format!("DELETE FROM blocks WHERE {filter} AND expiry IS NOT NULL AND expiry <= $2");
    let q = sqlx::query(sqlx::AssertSqlSafe(expired));
    let q = match user_id {
        Some(id) => q.bind(id),
        None => q.bind(address.clone()),
    };
    q.bind(now.to_string()).execute(&mut *tx).await?;
    let sql = format!("SELECT id FROM blocks WHERE {filter} FOR UPDATE");
    let q = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql));
    let q = match user_id {
        Some(id) => q.bind(id),
        None => q.bind(address.clone()),
    };
    let existing = q.fetch_optional(&mut *tx).await?;
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

async fn remove_block_once(pool: &PgPool, key: &BlockKey<'_>, now: &str, log: &LogWrite<'_>) -> DbResult<Option<BlockRow>> {
    let mut tx = pool.begin().await?;
    let (filter, int, text) = match key {
        BlockKey::Id(id) => ("id = $1", Some(*id), None),
        BlockKey::User(id) => ("target_user_id = $1", Some(*id), None),
        BlockKey::Address(a) => ("target_address = $1", None, Some(a.to_string())),
    };
    let sql = format!("DELETE FROM blocks WHERE {filter} AND (expiry IS NULL OR expiry > $2) RETURNING *");
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

#[async_trait]
impl BlockStore for PgStore {
    async fn insert_block(&self, block: &BlockRow, reblock: bool, now: &str, log: &LogWrite<'_>) -> StoreResult<BlockInsert> {
        retrying(|| insert_block_once(&self.pool, block, reblock, now, log)).await
    }

    async fn remove_block(&self, key: &BlockKey<'_>, now: &str, log: &LogWrite<'_>) -> StoreResult<Option<BlockRow>> {
        retrying(|| remove_block_once(&self.pool, key, now, log)).await
    }

    async fn blocks_against(&self, user_id: Option<i64>, address_hex: Option<&str>, now: &str) -> StoreResult<Vec<BlockRow>> {
        let rows = sqlx::query(
            "SELECT * FROM blocks WHERE (expiry IS NULL OR expiry > $1)
             AND (($2::bigint IS NOT NULL AND target_user_id = $2) OR ($3::text IS NOT NULL AND range_start <= $3 AND range_end >= $3))
             ORDER BY timestamp DESC, id DESC",
        )
        .bind(now)
        .bind(user_id)
        .bind(address_hex)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(block_from_row).collect::<DbResult<_>>()?)
    }

    async fn list_blocks(&self, q: &BlockQuery<'_>, now: &str) -> StoreResult<Vec<BlockRow>> {
        let mut sql = String::from("SELECT * FROM blocks WHERE (expiry IS NULL OR expiry > $1)");
        let mut any_of: Vec<String> = Vec::new();
        if q.ids.is_some() {
            any_of.push("id = ANY($2::bigint[])".into());
        }
        if q.user_ids.is_some() {
            any_of.push("target_user_id = ANY($3::bigint[])".into());
        }
        if q.addresses.is_some() {
            any_of.push("target_address = ANY($4::text[])".into());
        }
        if !any_of.is_empty() {
            sql.push_str(&format!(" AND ({})", any_of.join(" OR ")));
        }
        if q.covering.is_some() {
            sql.push_str(" AND range_start <= $5 AND range_end >= $5");
        }
        let (op, dir) = if q.newer_first { ("<", "DESC") } else { (">", "ASC") };
        if q.from.is_some() {
            sql.push_str(&format!(" AND (timestamp {op} $6 OR (timestamp = $6 AND id {op}= $7))"));
        }
        sql.push_str(&format!(" ORDER BY timestamp {dir}, id {dir} LIMIT $8"));
        // Only operators are formatted in; every value is bound (unused ones too, as NULLs).
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(now.to_string())
            .bind(q.ids.map(|x| x.to_vec()))
            .bind(q.user_ids.map(|x| x.to_vec()))
            .bind(q.addresses.map(|x| x.to_vec()))
            .bind(q.covering.map(String::from))
            .bind(q.from.map(|(ts, _)| ts.to_string()))
            .bind(q.from.map(|(_, id)| id))
            .bind(q.limit)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(block_from_row).collect::<DbResult<_>>()?)
    }
}
