//! The stash and chunked sessions. A session's offset (`size`) and running hash move only by
//! compare-and-set, and only for the holder of the session's write lease.

use super::*;

const STASH_COLS: &str = "key, user_id, status, blob_key, size, sha1, hash_state, blob_state, mime, media_type, width, height, bits, page_count, metadata, source, temp_name, timestamp, expires_at, verified_ext";

async fn insert_stash_row(conn: &mut SqliteConnection, s: &StashRow) -> DbResult<()> {
    let sql = format!("INSERT INTO stash ({STASH_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(&s.key)
        .bind(s.user_id)
        .bind(s.state.as_str())
        .bind(&s.blob_key)
        .bind(s.size)
        .bind(&s.sha1)
        .bind(&s.hash_state)
        .bind(&s.blob_state)
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
        .bind(&s.verified_ext)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

async fn upsert_status(conn: &mut SqliteConnection, user_id: i64, key: &str, value: &str, expires_at: i64) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO upload_status (user_id, key, value, expires_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (user_id, key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at",
    )
    .bind(user_id)
    .bind(key)
    .bind(value)
    .bind(expires_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[async_trait]
impl StashStore for SqliteStore {
    async fn insert_stash(&self, s: &StashRow) -> StoreResult<()> {
        let mut conn = self.pool.acquire().await?;
        Ok(insert_stash_row(&mut conn, s).await?)
    }

    async fn stash(&self, key: &str) -> StoreResult<Option<StashRow>> {
        let sql = format!("SELECT {STASH_COLS} FROM stash WHERE key = ?");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(key).fetch_optional(&self.pool).await?;
        Ok(row.as_ref().map(stash_from_row).transpose()?)
    }

    async fn take_stash(&self, key: &str) -> StoreResult<Option<StashRow>> {
        let sql = format!("DELETE FROM stash WHERE key = ? RETURNING {STASH_COLS}");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(key).fetch_optional(&self.pool).await?;
        Ok(row.as_ref().map(stash_from_row).transpose()?)
    }

    async fn expired_stash(&self, now: i64, limit: i64) -> StoreResult<Vec<StashRow>> {
        let sql = format!("SELECT {STASH_COLS} FROM stash WHERE expires_at < ? AND lease_until < ? LIMIT ?");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(now)
            .bind(now)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(stash_from_row).collect::<DbResult<_>>()?)
    }

    async fn user_stash(&self, user_id: i64, from_id: i64, limit: i64) -> StoreResult<Vec<(i64, StashRow)>> {
        let sql = format!("SELECT rowid AS stash_id, {STASH_COLS} FROM stash WHERE user_id = ? AND rowid >= ? ORDER BY rowid LIMIT ?");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(user_id)
            .bind(from_id)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push((r.try_get::<i64, _>("stash_id")?, stash_from_row(r)?));
        }
        Ok(out)
    }

    async fn unexpired_user_stash(&self, user_id: i64, now: i64, limit: i64) -> StoreResult<Vec<StashRow>> {
        let sql = format!("SELECT {STASH_COLS} FROM stash WHERE user_id = ? AND expires_at >= ? ORDER BY timestamp DESC, key LIMIT ?");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(user_id)
            .bind(now)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(stash_from_row).collect::<DbResult<_>>()?)
    }

    async fn lease_chunks(&self, key: &str, expected_offset: i64, owner: &str, now: i64, until: i64) -> StoreResult<LeaseOutcome> {
        let sql = format!(
            "UPDATE stash SET lease_owner = ?, lease_until = ?
             WHERE key = ? AND status = 'chunks' AND size = ? AND (lease_owner IS NULL OR lease_owner = ? OR lease_until < ?)
             RETURNING {STASH_COLS}"
        );
        let taken = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(owner)
            .bind(until)
            .bind(key)
            .bind(expected_offset)
            .bind(owner)
            .bind(now)
            .fetch_optional(&self.leases)
            .await?;
        if let Some(row) = taken {
            return Ok(LeaseOutcome::Acquired(Box::new(stash_from_row(&row)?)));
        }
        let row = sqlx::query("SELECT status, size, lease_owner, lease_until FROM stash WHERE key = ?")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(LeaseOutcome::Gone) };
        let (status, size): (String, i64) = (row.try_get("status")?, row.try_get("size")?);
        if status != "chunks" {
            return Ok(LeaseOutcome::Gone);
        }
        if size != expected_offset {
            return Ok(LeaseOutcome::Moved { offset: size });
        }
        Ok(LeaseOutcome::Busy {
            until: row.try_get("lease_until")?,
        })
    }

    async fn renew_chunk_lease(&self, key: &str, owner: &str, until: i64) -> StoreResult<bool> {
        let r = sqlx::query("UPDATE stash SET lease_until = ? WHERE key = ? AND status = 'chunks' AND lease_owner = ?")
            .bind(until)
            .bind(key)
            .bind(owner)
            .execute(&self.leases)
            .await?;
        Ok(r.rows_affected() == 1)
    }

    async fn release_chunk_lease(&self, key: &str, owner: &str) -> StoreResult<()> {
        sqlx::query("UPDATE stash SET lease_owner = NULL, lease_until = 0 WHERE key = ? AND lease_owner = ?")
            .bind(key)
            .bind(owner)
            .execute(&self.leases)
            .await?;
        Ok(())
    }

    async fn advance_chunks(&self, key: &str, owner: &str, adv: &ChunkAdvance<'_>) -> StoreResult<bool> {
        let r = sqlx::query(
            "UPDATE stash SET size = ?, hash_state = ?, blob_state = ?, expires_at = ?, lease_owner = NULL, lease_until = 0
             WHERE key = ? AND status = 'chunks' AND size = ? AND lease_owner = ?",
        )
        .bind(adv.new_size)
        .bind(adv.hash_state)
        .bind(adv.blob_state)
        .bind(adv.expires_at)
        .bind(key)
        .bind(adv.expected_offset)
        .bind(owner)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    async fn finish_chunks(&self, session_key: &str, owner: &str, size: i64, finished: &StashRow) -> StoreResult<bool> {
        let mut conn = self.pool.acquire().await?;
        let mut tx = begin_write(&mut conn).await?;
        let r = sqlx::query("DELETE FROM stash WHERE key = ? AND status = 'chunks' AND size = ? AND lease_owner = ?")
            .bind(session_key)
            .bind(size)
            .bind(owner)
            .execute(&mut *tx)
            .await?;
        if r.rows_affected() != 1 {
            return Ok(false);
        }
        insert_stash_row(&mut tx, finished).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn status(&self, user_id: i64, key: &str, now: i64) -> StoreResult<Option<String>> {
        const SQL: &str = "SELECT value FROM upload_status WHERE user_id = ? AND key = ? AND expires_at >= ?";
        self.reads
            .run(|c| reads::optional(c, SQL, rusqlite::params![user_id, key, now], |r| r.col::<String>("value")))
            .await
    }

    async fn set_status(&self, user_id: i64, key: &str, value: &str, expires_at: i64) -> StoreResult<()> {
        let mut conn = self.pool.acquire().await?;
        Ok(upsert_status(&mut conn, user_id, key, value, expires_at).await?)
    }

    async fn replace_status(
        &self,
        user_id: i64,
        key: &str,
        expected: Option<&str>,
        value: &str,
        now: i64,
        expires_at: i64,
    ) -> StoreResult<bool> {
        let mut conn = self.pool.acquire().await?;
        let mut tx = begin_write(&mut conn).await?;
        let cur: Option<String> = sqlx::query_scalar("SELECT value FROM upload_status WHERE user_id = ? AND key = ? AND expires_at >= ?")
            .bind(user_id)
            .bind(key)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?;
        if cur.as_deref() != expected {
            return Ok(false);
        }
        upsert_status(&mut tx, user_id, key, value, expires_at).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn delete_status(&self, user_id: i64, key: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM upload_status WHERE user_id = ? AND key = ?")
            .bind(user_id)
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
