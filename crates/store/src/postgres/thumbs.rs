//! Rendered thumbnails (see [`ThumbStore`]).

use super::*;

const THUMB_COLS: &str = "source_blob, name, blob_key, mime, size, sha1, width, height, created_at";

fn thumb_from_row(r: &PgRow) -> DbResult<ThumbnailRow> {
    Ok(ThumbnailRow {
        source_blob: r.try_get("source_blob")?,
        name: r.try_get("name")?,
        blob_key: r.try_get("blob_key")?,
        mime: r.try_get("mime")?,
        size: r.try_get("size")?,
        sha1: r.try_get("sha1")?,
        width: r.try_get("width")?,
        height: r.try_get("height")?,
        created_at: r.try_get("created_at")?,
    })
}

/// The source blob is used by no current or old version and no stash entry.
const UNUSED: &str = "NOT EXISTS (SELECT 1 FROM files f WHERE f.blob_key = thumbnails.source_blob)
     AND NOT EXISTS (SELECT 1 FROM old_files o WHERE o.blob_key = thumbnails.source_blob)
     AND NOT EXISTS (SELECT 1 FROM stash s WHERE s.blob_key = thumbnails.source_blob)";

impl PgStore {
    /// One insert attempt: `Some(None)` inserted, `Some(Some(row))` another row won, `None` the
    /// conflicting row was gone again when read.
    async fn try_insert_thumbnail(&self, t: &ThumbnailRow) -> DbResult<Option<Option<ThumbnailRow>>> {
        let inserted = sqlx::query(
            "INSERT INTO thumbnails (source_blob, name, blob_key, mime, size, sha1, width, height, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (source_blob, name) DO NOTHING",
        )
        .bind(&t.source_blob)
        .bind(&t.name)
        .bind(&t.blob_key)
        .bind(&t.mime)
        .bind(t.size)
        .bind(&t.sha1)
        .bind(t.width)
        .bind(t.height)
        .bind(t.created_at)
        .execute(&self.pool)
        .await?
        .rows_affected();
        if inserted == 1 {
            return Ok(Some(None));
        }
        let sql = format!("SELECT {THUMB_COLS} FROM thumbnails WHERE source_blob = $1 AND name = $2");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&t.source_blob)
            .bind(&t.name)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(thumb_from_row).transpose()?.map(Some))
    }
}

#[async_trait]
impl ThumbStore for PgStore {
    async fn thumbnail(&self, source_blob: &str, name: &str) -> StoreResult<Option<ThumbnailRow>> {
        let sql = format!("SELECT {THUMB_COLS} FROM thumbnails WHERE source_blob = $1 AND name = $2");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(source_blob)
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(thumb_from_row).transpose()?)
    }

    async fn insert_thumbnail(&self, t: &ThumbnailRow) -> StoreResult<Option<ThumbnailRow>> {
        // A conflicting row that is gone again by the time it is read: insert again.
        for _ in 0..3 {
            if let Some(outcome) = self.try_insert_thumbnail(t).await? {
                return Ok(outcome);
            }
        }
        Err(StoreError::Database("thumbnail row kept changing".into()))
    }

    async fn purge_thumbnails(&self, source_blobs: &[String]) -> StoreResult<Vec<ThumbnailRow>> {
        let sql = format!("DELETE FROM thumbnails WHERE source_blob = ANY($1) AND {UNUSED} RETURNING {THUMB_COLS}");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(source_blobs)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(thumb_from_row).collect::<DbResult<_>>()?)
    }

    async fn purge_unused_thumbnails(&self, limit: i64) -> StoreResult<Vec<ThumbnailRow>> {
        let sql = format!(
            "DELETE FROM thumbnails WHERE (source_blob, name) IN (SELECT source_blob, name FROM thumbnails WHERE {UNUSED} LIMIT $1) RETURNING {THUMB_COLS}"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(limit).fetch_all(&self.pool).await?;
        Ok(rows.iter().map(thumb_from_row).collect::<DbResult<_>>()?)
    }

    async fn delete_thumbnails(&self, source_blobs: &[String]) -> StoreResult<Vec<ThumbnailRow>> {
        let sql = format!("DELETE FROM thumbnails WHERE source_blob = ANY($1) RETURNING {THUMB_COLS}");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(source_blobs)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(thumb_from_row).collect::<DbResult<_>>()?)
    }
}
