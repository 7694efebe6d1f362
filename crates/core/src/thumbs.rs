//! Thumbnails of stored files: what MediaWiki knows about a version (for the size and name
//! logic of `mwupload-thumb`), and the thumbnails themselves, rendered on first request and kept
//! in the blob store.
//!
//! - **Bounded pool.** Rendering runs on blocking threads behind a semaphore of
//!   `[thumbnails] render_workers` permits, so thumbnails can never take every core (or the async
//!   runtime) from uploads; memory is bounded per rendering by [`RenderLimits`].
//! - **Single flight.** Concurrent requests for one thumbnail wait for one rendering: the first
//!   takes the thumbnail's lock, the others find its row when they get the lock. Across processes
//!   the database decides (the first row wins; a loser deletes its own blob).
//! - **Bytes, not names.** A thumbnail row belongs to the source *blob* (see
//!   [`mwupload_store::ThumbStore`]): after an overwrite the name's current version has other
//!   bytes, so its predecessor's thumbnails are never served for it; they remain the old
//!   version's (`thumb/archive/…`). Deleting a file or an old version purges the thumbnails of
//!   bytes nothing else uses, rows first, then blobs.

use std::collections::HashMap;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use mwupload_store::{FileVersion, StashRow, StoreError, ThumbnailRow};
use mwupload_thumb::{RenderLimits, SourceFile, Thumb, ThumbConfig, ThumbError, ThumbType};
use serde_json::Value;
use sha1::{Digest, Sha1};
use tokio::sync::Semaphore;

use crate::config::ThumbnailConfig;
use crate::state::AppState;

/// MediaWiki's settings for the size logic, from `[thumbnails]`.
pub fn thumb_config(c: &ThumbnailConfig) -> ThumbConfig {
    let tiff = match c.tiff_thumbnail_type.to_ascii_lowercase().as_str() {
        "jpg" | "jpeg" => Some(ThumbType::new("jpg", "image/jpeg")),
        "png" => Some(ThumbType::new("png", "image/png")),
        _ => None,
    };
    ThumbConfig {
        max_image_area: (c.max_image_area > 0).then_some(c.max_image_area),
        max_animated_gif_area: c.max_animated_gif_area,
        svg_max_size: c.svg_max_size,
        jpeg_quality: c.jpeg_quality,
        responsive_images: c.responsive_images,
        tiff_thumbnail_type: tiff,
        ..ThumbConfig::default()
    }
}

/// The per-rendering bounds, from `[thumbnails]`.
pub fn render_limits(c: &ThumbnailConfig) -> RenderLimits {
    RenderLimits {
        max_decoded_pixels: c.max_decoded_pixels,
        ..RenderLimits::default()
    }
}

/// The metadata values the size logic reads (`frameCount`, EXIF `Orientation`), from our
/// imageinfo metadata (`[{"name": …, "value": …}, …]`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MediaFacts {
    pub frame_count: u32,
    pub orientation: Option<u16>,
}

impl MediaFacts {
    pub fn from_metadata(json: &str) -> MediaFacts {
        let mut facts = MediaFacts::default();
        let Ok(Value::Array(items)) = serde_json::from_str::<Value>(json) else {
            return facts;
        };
        for item in &items {
            match item.get("name").and_then(Value::as_str) {
                Some("frameCount") => facts.frame_count = item["value"].as_u64().unwrap_or(0).min(u32::MAX as u64) as u32,
                // a loose PHP comparison in MediaWiki: an ASCII-typed "6" rotates too
                Some("Orientation") => {
                    let v = &item["value"];
                    let n = v.as_u64().or_else(|| v.as_str().and_then(|s| s.trim().parse::<u64>().ok()));
                    facts.orientation = n.and_then(|o| u16::try_from(o).ok());
                }
                _ => {}
            }
        }
        facts
    }
}

/// How much of a JPEG or TIFF is read for its EXIF orientation when the metadata lacks it.
const EXIF_HEAD: u64 = 256 << 10;

/// [`MediaFacts`] of the bytes `blob_key` (of type `mime`, with `metadata`): from the metadata,
/// and for a JPEG or TIFF whose metadata has no `Orientation`, from the file's EXIF (the first
/// 256 KiB, remembered per blob: blobs never change). MediaWiki keeps the whole EXIF in the
/// metadata; the orientation decides whether an upright-size thumbnail is the original.
pub async fn facts_of(state: &AppState, blob_key: &str, mime: &str, metadata: &str) -> MediaFacts {
    let mut facts = MediaFacts::from_metadata(metadata);
    if facts.orientation.is_some() || !matches!(mime, "image/jpeg" | "image/tiff") {
        return facts;
    }
    let t = &state.thumbs;
    if let Some(o) = t.orientations.lock().unwrap_or_else(|p| p.into_inner()).get(blob_key) {
        facts.orientation = *o;
        return facts;
    }
    let orientation = match read_head(state, blob_key).await {
        Ok(head) => mwupload_thumb::exif_orientation_from_bytes(&head),
        Err(e) => {
            tracing::warn!("reading the EXIF of blob {blob_key}: {e}");
            return facts;
        }
    };
    let mut cache = t.orientations.lock().unwrap_or_else(|p| p.into_inner());
    if cache.len() >= 10_000 {
        cache.clear();
    }
    cache.insert(blob_key.to_string(), orientation);
    facts.orientation = orientation;
    facts
}

async fn read_head(state: &AppState, blob_key: &str) -> std::io::Result<Vec<u8>> {
    use tokio::io::AsyncReadExt;
    let len = state.blobs.len(blob_key).await?;
    let mut head = Vec::new();
    state
        .blobs
        .read(blob_key, Some((0, len.min(EXIF_HEAD))))
        .await?
        .read_to_end(&mut head)
        .await?;
    Ok(head)
}

/// A version as the thumbnail logic sees it.
pub fn source_of<'a>(name: &'a str, v: &'a FileVersion, facts: MediaFacts) -> SourceFile<'a> {
    SourceFile {
        name,
        mime: &v.mime,
        width: clamp_u32(v.width),
        height: clamp_u32(v.height),
        frame_count: facts.frame_count,
        exif_orientation: facts.orientation,
        page_count: v.page_count.map(clamp_u32),
    }
}

/// A stashed file as the thumbnail logic sees it: named by its file key, as
/// `UploadStashFile::getUrlName()`.
pub fn stash_source_of<'a>(row: &'a StashRow, facts: MediaFacts) -> SourceFile<'a> {
    SourceFile {
        name: &row.key,
        mime: &row.mime,
        width: clamp_u32(row.width),
        height: clamp_u32(row.height),
        frame_count: facts.frame_count,
        exif_orientation: facts.orientation,
        page_count: row.page_count.map(clamp_u32),
    }
}

fn clamp_u32(v: i64) -> u32 {
    v.clamp(0, u32::MAX as i64) as u32
}

/// Why a thumbnail could not be served.
#[derive(Debug)]
pub enum ThumbFailure {
    /// MediaWiki's transform error (thumb.php shows its text with its status).
    Render(ThumbError),
    /// Storage failed.
    Store(String),
}

impl From<StoreError> for ThumbFailure {
    fn from(e: StoreError) -> Self {
        ThumbFailure::Store(e.to_string())
    }
}

impl From<std::io::Error> for ThumbFailure {
    fn from(e: std::io::Error) -> Self {
        ThumbFailure::Store(e.to_string())
    }
}

/// A stored thumbnail and whether this call rendered it.
#[derive(Debug, Clone)]
pub struct Served {
    pub row: ThumbnailRow,
    pub rendered: bool,
}

/// One thumbnail being rendered here (source blob, thumbnail name) and its lock.
type ThumbKey = (String, String);
type Flight = Arc<tokio::sync::Mutex<()>>;

/// A rendering's result, written to a scratch file.
struct RenderedFile {
    path: tempfile::TempPath,
    sha1: String,
    size: u64,
    width: u32,
    height: u32,
    mime: String,
}

/// This process's thumbnail renderer: the pool's permits and the thumbnails being rendered.
pub struct Thumbnailer {
    pub config: ThumbConfig,
    pub limits: RenderLimits,
    permits: Semaphore,
    inflight: Mutex<HashMap<ThumbKey, Flight>>,
    rendered: AtomicU64,
    /// EXIF orientations read from blobs whose metadata lacks them (see [`facts_of`]).
    orientations: Mutex<HashMap<String, Option<u16>>>,
}

impl Thumbnailer {
    pub fn new(c: &ThumbnailConfig) -> Thumbnailer {
        let workers = if c.render_workers > 0 {
            c.render_workers
        } else {
            std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1))
        };
        Thumbnailer {
            config: thumb_config(c),
            limits: render_limits(c),
            permits: Semaphore::new(workers),
            inflight: Mutex::new(HashMap::new()),
            rendered: AtomicU64::new(0),
            orientations: Mutex::new(HashMap::new()),
        }
    }

    /// Thumbnails this process has rendered.
    pub fn rendered_count(&self) -> u64 {
        self.rendered.load(Ordering::Relaxed)
    }

    fn flight(&self, key: &ThumbKey) -> Flight {
        let mut map = self.inflight.lock().unwrap_or_else(|p| p.into_inner());
        map.entry(key.clone()).or_default().clone()
    }

    fn land(&self, key: &ThumbKey, flight: Flight) {
        let mut map = self.inflight.lock().unwrap_or_else(|p| p.into_inner());
        // Only the map and this caller hold it: nobody waits, remove it (others clone under
        // this lock, so the count cannot grow meanwhile).
        if Arc::strong_count(&flight) <= 2 {
            map.remove(key);
        }
    }
}

/// The stored thumbnail `thumb` of the bytes `source_blob` (of `file`), rendered now if it is
/// not stored yet.
pub async fn get_or_render(state: &AppState, source_blob: &str, file: &SourceFile<'_>, thumb: &Thumb) -> Result<Served, ThumbFailure> {
    let t = &state.thumbs;
    if let Some(row) = state.meta.thumbnail(source_blob, &thumb.name).await? {
        return Ok(Served { row, rendered: false });
    }
    let key = (source_blob.to_string(), thumb.name.clone());
    let flight = t.flight(&key);
    let result = {
        let _guard = flight.lock().await;
        match state.meta.thumbnail(source_blob, &thumb.name).await {
            Ok(Some(row)) => Ok(Served { row, rendered: false }),
            Ok(None) => render_and_store(state, source_blob, file, thumb).await,
            Err(e) => Err(e.into()),
        }
    };
    t.land(&key, flight);
    result
}

async fn render_and_store(state: &AppState, source_blob: &str, file: &SourceFile<'_>, thumb: &Thumb) -> Result<Served, ThumbFailure> {
    let t = &state.thumbs;
    let _permit = t
        .permits
        .acquire()
        .await
        .map_err(|_| ThumbFailure::Store("the render pool is closed".into()))?;
    let source = state.blobs.materialize(source_blob).await.map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            ThumbFailure::Render(ThumbError::FileMissing)
        } else {
            ThumbFailure::Store(e.to_string())
        }
    })?;
    let scratch = state.blobs.scratch_dir().to_path_buf();
    // Owned copies for the blocking thread.
    let (name, mime) = (file.name.to_string(), file.mime.to_string());
    let owned = (file.width, file.height, file.frame_count, file.exif_orientation, file.page_count);
    let (thumb_c, cfg, limits) = (thumb.clone(), t.config.clone(), t.limits.clone());
    let job = tokio::task::spawn_blocking(move || -> Result<RenderedFile, ThumbFailure> {
        // Our metadata may not carry the EXIF orientation: then read it from the file (the
        // stored width and height are already the upright ones).
        let orientation = match owned.3 {
            None if matches!(mime.as_str(), "image/jpeg" | "image/tiff") => mwupload_thumb::read_exif_orientation(source.path()),
            o => o,
        };
        let src = SourceFile {
            name: &name,
            mime: &mime,
            width: owned.0,
            height: owned.1,
            frame_count: owned.2,
            exif_orientation: orientation,
            page_count: owned.4,
        };
        let out = mwupload_thumb::render(source.path(), &src, &thumb_c, &cfg, &limits).map_err(ThumbFailure::Render)?;
        drop(source);
        let sha1 = hex::encode(Sha1::digest(&out.bytes));
        let mut f = tempfile::NamedTempFile::new_in(&scratch)?;
        f.write_all(&out.bytes)?;
        f.as_file().sync_all()?;
        Ok(RenderedFile {
            path: f.into_temp_path(),
            sha1,
            size: out.bytes.len() as u64,
            width: out.width,
            height: out.height,
            mime: out.mime,
        })
    });
    let RenderedFile {
        path: file_path,
        sha1,
        size,
        width,
        height,
        mime,
    } = job
        .await
        .map_err(|e| ThumbFailure::Render(ThumbError::Decode(format!("rendering failed: {e}"))))??;
    t.rendered.fetch_add(1, Ordering::Relaxed);
    let blob_key = mwupload_store::new_blob_key();
    state.blobs.put_file(&blob_key, file_path).await?;
    let row = ThumbnailRow {
        source_blob: source_blob.to_string(),
        name: thumb.name.clone(),
        blob_key: blob_key.clone(),
        mime,
        size: size as i64,
        sha1,
        width: width as i64,
        height: height as i64,
        created_at: chrono::Utc::now().timestamp(),
    };
    match state.meta.insert_thumbnail(&row).await {
        Ok(None) => Ok(Served { row, rendered: true }),
        Ok(Some(winner)) => {
            // Another process stored it first: serve theirs.
            if let Err(e) = state.blobs.delete(&blob_key).await {
                tracing::warn!("thumbnail blob {blob_key} not removed: {e}");
            }
            Ok(Served {
                row: winner,
                rendered: false,
            })
        }
        Err(e) => {
            let _ = state.blobs.delete(&blob_key).await;
            Err(e.into())
        }
    }
}

/// Removes the thumbnails of these source blobs that no current or old version (or stash
/// entry) uses any more: rows, then blobs (a blob left by a failure here is an orphan the
/// periodic sweep removes). Returns how many were removed.
pub async fn purge_unused(state: &AppState, source_blobs: &[String]) -> Result<usize, StoreError> {
    if source_blobs.is_empty() {
        return Ok(0);
    }
    let rows = state.meta.purge_thumbnails(source_blobs).await?;
    delete_blobs(state, &rows).await;
    Ok(rows.len())
}

/// Removes every stored thumbnail of these source blobs (`action=purge`).
pub async fn purge_all(state: &AppState, source_blobs: &[String]) -> Result<usize, StoreError> {
    if source_blobs.is_empty() {
        return Ok(0);
    }
    let rows = state.meta.delete_thumbnails(source_blobs).await?;
    delete_blobs(state, &rows).await;
    Ok(rows.len())
}

/// `WikiFilePage::doPurge`: drops the stored thumbnails of the file `name`'s current and old
/// versions, so the next request renders them again. Returns how many were removed.
pub async fn purge_file(state: &AppState, name: &str) -> Result<usize, StoreError> {
    let mut sources: Vec<String> = state.meta.current_file(name).await?.map(|v| v.blob_key).into_iter().collect();
    for v in state.meta.old_versions(name).await? {
        if !sources.contains(&v.blob_key) {
            sources.push(v.blob_key);
        }
    }
    purge_all(state, &sources).await
}

/// The periodic sweep: thumbnails of bytes nothing uses (a rendering that finished after its
/// file was deleted, a stash entry that expired).
pub async fn sweep_unused(state: &AppState) -> Result<usize, StoreError> {
    let mut total = 0;
    loop {
        let rows = state.meta.purge_unused_thumbnails(500).await?;
        delete_blobs(state, &rows).await;
        total += rows.len();
        if rows.len() < 500 {
            return Ok(total);
        }
    }
}

async fn delete_blobs(state: &AppState, rows: &[ThumbnailRow]) {
    for r in rows {
        if let Err(e) = state.blobs.delete(&r.blob_key).await {
            tracing::warn!("thumbnail blob {} not removed (the orphan sweep will): {e}", r.blob_key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_from_metadata() {
        let f = MediaFacts::from_metadata(r#"[{"name":"frameCount","value":3},{"name":"Orientation","value":6}]"#);
        assert_eq!(
            f,
            MediaFacts {
                frame_count: 3,
                orientation: Some(6)
            }
        );
        assert_eq!(MediaFacts::from_metadata("garbage"), MediaFacts::default());
        let f = MediaFacts::from_metadata(r#"[{"name":"Orientation","value":"8"}]"#);
        assert_eq!(f.orientation, Some(8), "an ASCII-typed orientation counts");
    }

    #[test]
    fn settings_map_to_mediawiki_names() {
        let c = ThumbnailConfig {
            max_image_area: 0,
            tiff_thumbnail_type: "jpg".into(),
            ..ThumbnailConfig::default()
        };
        let t = thumb_config(&c);
        assert_eq!(t.max_image_area, None);
        assert_eq!(t.tiff_thumbnail_type.unwrap().mime, "image/jpeg");
        assert_eq!(thumb_config(&ThumbnailConfig::default()).max_image_area, Some(12_500_000));
    }
}
