//! The job queue: `BEGIN IMMEDIATE` serializes claims, so a job is handed to one owner at a time;
//! every later step names that owner, so a worker whose lease was taken over changes nothing.

use super::*;

#[async_trait]
impl JobStore for SqliteStore {
    async fn ops_gauges(&self) -> StoreResult<(i64, i64)> {
        let chunks: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM stash WHERE status = 'chunks'")
            .fetch_one(&self.pool)
            .await?;
        let jobs: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE state IN ('queued', 'running')")
            .fetch_one(&self.pool)
            .await?;
        Ok((chunks, jobs))
    }

    async fn enqueue_job(&self, kind: &str, payload: &str) -> StoreResult<i64> {
        let r = sqlx::query("INSERT INTO jobs (kind, payload, created) VALUES (?, ?, ?)")
            .bind(kind)
            .bind(payload)
            .bind(crate::time::now_unix())
            .execute(&self.pool)
            .await?;
        Ok(r.last_insert_rowid())
    }

    async fn claim_job(&self, owner: &str, now: i64, lease_secs: i64, max_attempts: i64) -> StoreResult<Option<ClaimedJob>> {
        let mut conn = self.pool.acquire().await?;
        let mut tx = begin_write(&mut conn).await?;
        let row = sqlx::query(
            "SELECT id, kind, payload, attempts FROM jobs
             WHERE state = 'queued' OR (state = 'running' AND lease_until < ?) ORDER BY id LIMIT 1",
        )
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            tx.commit().await?;
            return Ok(None);
        };
        let id: i64 = row.try_get("id")?;
        let attempts: i64 = row.try_get("attempts")?;
        // A job whose earlier owners all died is handed out once more to record its failure;
        // it does not count as another attempt.
        let exhausted = attempts >= max_attempts;
        let attempt = if exhausted { attempts } else { attempts + 1 };
        sqlx::query("UPDATE jobs SET state = 'running', attempts = ?, lease_until = ?, owner = ? WHERE id = ?")
            .bind(attempt)
            .bind(now + lease_secs)
            .bind(owner)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Some(ClaimedJob {
            id,
            kind: row.try_get("kind")?,
            payload: row.try_get("payload")?,
            attempt,
            exhausted,
        }))
    }

    async fn renew_job(&self, id: i64, owner: &str, until: i64) -> StoreResult<bool> {
        let r = sqlx::query("UPDATE jobs SET lease_until = ? WHERE id = ? AND state = 'running' AND owner = ?")
            .bind(until)
            .bind(id)
            .bind(owner)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected() == 1)
    }

    async fn finish_job(&self, id: i64, owner: &str, error: Option<&str>) -> StoreResult<bool> {
        let r = sqlx::query("UPDATE jobs SET state = ?, last_error = ? WHERE id = ? AND state = 'running' AND owner = ?")
            .bind(if error.is_some() { "failed" } else { "done" })
            .bind(error)
            .bind(id)
            .bind(owner)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected() == 1)
    }

    async fn release_job(&self, id: i64, owner: &str) -> StoreResult<()> {
        sqlx::query(
            "UPDATE jobs SET state = 'queued', lease_until = 0, owner = NULL, attempts = MAX(attempts - 1, 0)
             WHERE id = ? AND state = 'running' AND owner = ?",
        )
        .bind(id)
        .bind(owner)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn failed_jobs(&self) -> StoreResult<Vec<(i64, String, Option<String>)>> {
        let rows = sqlx::query("SELECT id, kind, last_error FROM jobs WHERE state = 'failed'")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .iter()
            .map(|r| Ok((r.try_get("id")?, r.try_get("kind")?, r.try_get("last_error")?)))
            .collect::<DbResult<_>>()?)
    }
}
