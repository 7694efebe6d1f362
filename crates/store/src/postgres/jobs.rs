//! The job queue. A claim is one statement: the oldest runnable job is locked with
//! `FOR UPDATE SKIP LOCKED` (rows other claimers are taking are skipped, not waited for) and
//! taken by `owner`, so concurrent workers never block each other and a job goes to one owner.
//! Every later step names that owner, so a worker whose lease was taken over changes nothing.

use super::*;

#[async_trait]
impl JobStore for PgStore {
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
        sqlx::query_scalar("INSERT INTO jobs (kind, payload, created) VALUES ($1, $2, $3) RETURNING id")
            .bind(kind)
            .bind(payload)
            .bind(crate::time::now_unix())
            .fetch_one(&self.pool)
            .await
            .map_err(StoreError::from)
    }

    async fn claim_job(&self, owner: &str, now: i64, lease_secs: i64, max_attempts: i64) -> StoreResult<Option<ClaimedJob>> {
        // The row is locked when `next` reads it, so `attempts` there is the value this claim
        // replaces. A job whose earlier owners all died is handed out once more, flagged
        // exhausted, to record its failure; that does not count as another attempt.
        let row = sqlx::query(
            "WITH next AS (
                 SELECT id, attempts FROM jobs
                 WHERE state = 'queued' OR (state = 'running' AND lease_until < $1)
                 ORDER BY id LIMIT 1
                 FOR UPDATE SKIP LOCKED
             )
             UPDATE jobs SET state = 'running',
                 attempts = CASE WHEN next.attempts >= $4 THEN next.attempts ELSE next.attempts + 1 END,
                 lease_until = $2, owner = $3
             FROM next WHERE jobs.id = next.id
             RETURNING jobs.id, jobs.kind, jobs.payload, jobs.attempts, next.attempts >= $4 AS exhausted",
        )
        .bind(now)
        .bind(now + lease_secs)
        .bind(owner)
        .bind(max_attempts)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(ClaimedJob {
            id: row.try_get("id")?,
            kind: row.try_get("kind")?,
            payload: row.try_get("payload")?,
            attempt: row.try_get("attempts")?,
            exhausted: row.try_get("exhausted")?,
        }))
    }

    async fn renew_job(&self, id: i64, owner: &str, until: i64) -> StoreResult<bool> {
        let r = sqlx::query("UPDATE jobs SET lease_until = $1 WHERE id = $2 AND state = 'running' AND owner = $3")
            .bind(until)
            .bind(id)
            .bind(owner)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected() == 1)
    }

    async fn finish_job(&self, id: i64, owner: &str, error: Option<&str>) -> StoreResult<bool> {
        let r = sqlx::query("UPDATE jobs SET state = $1, last_error = $2 WHERE id = $3 AND state = 'running' AND owner = $4")
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
            "UPDATE jobs SET state = 'queued', lease_until = 0, owner = NULL, attempts = GREATEST(attempts - 1, 0)
             WHERE id = $1 AND state = 'running' AND owner = $2",
        )
        .bind(id)
        .bind(owner)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn failed_jobs(&self) -> StoreResult<Vec<(i64, String, Option<String>)>> {
        let rows = sqlx::query("SELECT id, kind, last_error FROM jobs WHERE state = 'failed' ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .iter()
            .map(|r| Ok((r.try_get("id")?, r.try_get("kind")?, r.try_get("last_error")?)))
            .collect::<DbResult<_>>()?)
    }
}
