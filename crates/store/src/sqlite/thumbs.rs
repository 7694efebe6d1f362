//! Rendered thumbnails (see [`ThumbStore`]).

use super::*;

const THUMB_COLS: &str = "source_blob, name, blob_key, mime, size, sha1, width, height, created_at";

fn thumb_from_row(r: &sqlx::sqlite::SqliteRow) -> DbResult<ThumbnailRow> {
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

#[async_trait]
impl ThumbStore for SqliteStore {
    async fn thumbnail(&self, source_blob: &str, name: &str) -> StoreResult<Option<ThumbnailRow>> {
        let sql = format!("SELECT {THUMB_COLS} FROM thumbnails WHERE source_blob = ? AND name = ?");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(source_blob)
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(thumb_from_row).transpose()?)
    }

    async fn insert_thumbnail(&self, t: &ThumbnailRow) -> StoreResult<Option<ThumbnailRow>> {
        let mut conn = self.pool.acquire().await?;
        let mut tx = begin_write(&mut conn).await?;
        let sql = format!("SELECT {THUMB_COLS} FROM thumbnails WHERE source_blob = ? AND name = ?");
        let existing = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&t.source_blob)
            .bind(&t.name)
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(r) = existing {
            return Ok(Some(thumb_from_row(&r)?));
        }
        sqlx::query(
            "INSERT INTO thumbnails (source_blob, name, blob_key, mime, size, sha1, width, height, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(None)
    }

    async fn purge_thumbnails(&self, source_blobs: &[String]) -> StoreResult<Vec<ThumbnailRow>> {
        let mut out = Vec::new();
        for source in source_blobs {
            let sql = format!("DELETE FROM thumbnails WHERE source_blob = ? AND {UNUSED} RETURNING {THUMB_COLS}");
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(source).fetch_all(&self.pool).await?;
            for r in &rows {
                out.push(thumb_from_row(r)?);
            }
        }
        Ok(out)
    }

    async fn purge_unused_thumbnails(&self, limit: i64) -> StoreResult<Vec<ThumbnailRow>> {
        let sql =
            format!("DELETE FROM thumbnails WHERE rowid IN (SELECT rowid FROM thumbnails WHERE {UNUSED} LIMIT ?) RETURNING {THUMB_COLS}");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(limit).fetch_all(&self.pool).await?;
        Ok(rows.iter().map(thumb_from_row).collect::<DbResult<_>>()?)
    }

    async fn delete_thumbnails(&self, source_blobs: &[String]) -> StoreResult<Vec<ThumbnailRow>> {
        let mut out = Vec::new();
        for source in source_blobs {
            let sql = format!("DELETE FROM thumbnails WHERE source_blob = ? RETURNING {THUMB_COLS}");
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(source).fetch_all(&self.pool).await?;
            for r in &rows {
                out.push(thumb_from_row(r)?);
            }
        }
        Ok(out)
    }
}
