//! Chunked upload sessions. Chunks are appended to one blob (the first chunk's spool file is
//! adopted as that blob, so it is never copied); the stash row's `size` is the server offset,
//! advanced by compare-and-set so a stale or concurrent writer changes nothing.

use crate::api::error::{ApiError, ApiResult};
use crate::app::AppState;
use crate::auth::Caller;
use crate::store::BlobStore;
use crate::store::meta::StashRow;
use sha1::{Digest, Sha1};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use tokio::sync::Mutex;

/// The running SHA-1 of a session, saved with its stash row after every chunk so any process
/// can continue it and the last chunk costs no re-read.
pub fn save_state(h: &Sha1) -> Vec<u8> {
    use sha1::digest::common::hazmat::SerializableState;
    h.serialize().to_vec()
}

pub fn load_state(bytes: &[u8]) -> Option<Sha1> {
    use sha1::digest::common::hazmat::{SerializableState, SerializedState};
    let arr = SerializedState::<Sha1>::try_from(bytes).ok()?;
    Sha1::deserialize(&arr).ok()
}

/// SHA-1 state of a file's bytes (the first chunk, read back from the page cache).
async fn hash_file(path: std::path::PathBuf) -> std::io::Result<Sha1> {
    tokio::task::spawn_blocking(move || -> std::io::Result<Sha1> {
        use std::io::Read;
        let mut f = std::fs::File::open(path)?;
        let mut h = Sha1::new();
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = f.read(&mut buf)?;
            if n == 0 {
                return Ok(h);
            }
            h.update(&buf[..n]);
        }
    })
    .await
    .map_err(|e| std::io::Error::other(format!("hash task failed: {e}")))?
}

/// Routes a chunk part of a request that continues one of the caller's sessions at exactly the
/// server's offset straight into the session blob, so the chunk is written once (not spooled and
/// copied). Anything else (first chunks, wrong or missing offsets, other users' keys) is spooled
/// and handled as before. The session's write lock is taken here and held until the request ends.
pub struct ChunkRouter {
    state: crate::app::SharedState,
    user_id: i64,
}

impl ChunkRouter {
    pub fn new(state: crate::app::SharedState, user_id: i64) -> ChunkRouter {
        ChunkRouter { state, user_id }
    }

    async fn direct(&self, fields: &[(String, String)]) -> Option<crate::api::multipart::Direct> {
        let get = |k: &str| fields.iter().rev().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        if self.user_id == 0 || get("action") != Some("upload") {
            return None;
        }
        let key = get("filekey").filter(|k| !k.is_empty()).or(get("sessionkey"))?.to_string();
        let offset: u64 = get("offset")?.trim().parse().ok()?;
        let usable = |row: &StashRow| row.user_id == self.user_id && row.status == "chunks" && row.size as u64 == offset && offset > 0;
        let row = self.state.meta.stash(&key).await.ok()??;
        if !usable(&row) {
            return None;
        }
        let guard = self.state.chunk_locks.lock_for(&key).lock_owned().await;
        // Re-read under the lock: another request may have advanced the session meanwhile.
        let row = self.state.meta.stash(&key).await.ok()??;
        if !usable(&row) {
            return None;
        }
        if let Ok(Some(st)) = self.state.meta.status(self.user_id, &key).await {
            if st.get("result").and_then(serde_json::Value::as_str) != Some("Continue") {
                return None;
            }
        }
        let path = self.state.blobs.path(&row.blob_key).ok()?;
        let file = tokio::task::spawn_blocking(move || -> std::io::Result<std::fs::File> {
            use std::io::Seek;
            let mut f = std::fs::OpenOptions::new().write(true).open(path)?;
            // Bytes past the committed offset are leftovers of a failed attempt.
            f.set_len(offset)?;
            f.seek(std::io::SeekFrom::Start(offset))?;
            Ok(f)
        })
        .await
        .ok()?
        .ok()?;
        let hasher = row.hash_state.as_deref().and_then(load_state);
        Some(crate::api::multipart::Direct {
            file,
            hasher,
            guard: Box::new(RoutedChunk { key, offset, _lock: guard }),
        })
    }
}

/// What a routed chunk part carries along: which session and offset it was written at, and the lock.
pub struct RoutedChunk {
    pub key: String,
    pub offset: u64,
    _lock: tokio::sync::OwnedMutexGuard<()>,
}

impl crate::api::multipart::Router for ChunkRouter {
    fn route<'a>(
        &'a mut self,
        part: &'a str,
        fields: &'a [(String, String)],
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Option<crate::api::multipart::Direct>> + Send + 'a>> {
        Box::pin(async move { if part == "chunk" { self.direct(fields).await } else { None } })
    }
}

/// Commits a chunk that was written in place by the router: advances the session (compare-and-set)
/// with the continued hash state.
pub async fn commit_direct(state: &AppState, row: &StashRow, part: &crate::api::multipart::DirectPart) -> ApiResult<Appended> {
    let Some(routed) = part.guard.downcast_ref::<RoutedChunk>() else {
        return Err(ApiError::internal("chunk", "routed part without session"));
    };
    let server = row.size as u64;
    if routed.key != row.key || routed.offset != server {
        return Err(ApiError::new("stashfailed", "Invalid chunk offset").with("offset", server.to_string()));
    }
    check_room(state, server, part.size)?;
    tracing::debug!(key = %row.key, server, size = part.size, "committing a chunk written in place");
    advance(state, row, part.size, part.hasher.as_ref()).await
}

/// Copies `len` bytes at `offset` of a blob into a new spool file (to stash a routed chunk that
/// ends in a warning or a recoverable error, which MediaWiki keeps retrievable by filekey).
pub async fn copy_range_to_spool(state: &AppState, blob_key: &str, offset: u64, len: u64) -> std::io::Result<tempfile::TempPath> {
    let src = state.blobs.path(blob_key)?;
    let dir = state.blobs.spool_dir();
    tokio::task::spawn_blocking(move || -> std::io::Result<tempfile::TempPath> {
        use std::io::{Read, Seek, Write};
        let mut input = std::fs::File::open(src)?;
        input.seek(std::io::SeekFrom::Start(offset))?;
        let mut tmp = tempfile::Builder::new().prefix(".mwupload-").tempfile_in(dir)?;
        std::io::copy(&mut Read::by_ref(&mut input).take(len), tmp.as_file_mut())?;
        tmp.as_file_mut().flush()?;
        tmp.as_file().sync_data()?;
        Ok(tmp.into_temp_path())
    })
    .await
    .map_err(|e| std::io::Error::other(format!("copy task failed: {e}")))?
}

/// Serializes chunk writes per session within this process.
#[derive(Default)]
pub struct SessionLocks {
    map: std::sync::Mutex<HashMap<String, Arc<Mutex<()>>>>,
}

impl SessionLocks {
    pub fn lock_for(&self, key: &str) -> Arc<Mutex<()>> {
        let mut m = self.map.lock().unwrap_or_else(|p| p.into_inner());
        if m.len() > 10_000 {
            m.retain(|_, v| Arc::strong_count(v) > 1);
        }
        m.entry(key.to_string()).or_default().clone()
    }
}

/// Starts a session from the first chunk, adopting its spool file as the session blob.
pub async fn start(state: &AppState, caller: &Caller, chunk: tempfile::TempPath, chunk_len: u64) -> ApiResult<StashRow> {
    if !caller.is_logged_in() {
        return Err(ApiError::new("stashnotloggedin", "You must be logged in to upload this file."));
    }
    // The key's extension comes from sniffing the first chunk, as in MediaWiki.
    let info = super::verify::analyze(chunk.to_path_buf()).await?;
    let hasher = hash_file(chunk.to_path_buf()).await?;
    let blob = BlobStore::new_key();
    state.blobs.adopt(chunk, &blob).await?;
    let props = super::publish::Props::from_info(&info, chunk_len, "");
    let mut row = super::stash::finished_row(state, caller.user_id(), &blob, &props, "chunks");
    row.status = "chunks".into();
    row.hash_state = Some(save_state(&hasher));
    if let Err(e) = state.meta.insert_stash(&row).await {
        let _ = state.blobs.delete(&blob).await;
        return Err(e.into());
    }
    Ok(row)
}

/// What happened to a chunk appended at the server's offset.
pub enum Appended {
    /// Stored; the session is now at `offset`.
    At(u64),
    /// The client re-sent the chunk that ends at the current offset with identical bytes (a retry
    /// after a lost response): nothing changed.
    Replayed(u64),
}

/// Appends `chunk` at `offset` (None: at the server's offset, for clients that omit it).
pub async fn append(state: &AppState, row: &StashRow, offset: Option<u64>, chunk: &Path, chunk_len: u64) -> ApiResult<Appended> {
    let server = row.size as u64;
    let offset_mismatch = || ApiError::new("stashfailed", "Invalid chunk offset").with("offset", server.to_string());
    let at = offset.unwrap_or(server);
    if at != server {
        if at + chunk_len == server && same_bytes(state, &row.blob_key, at, chunk).await? {
            tracing::debug!(key = %row.key, at, "chunk re-sent with identical bytes: no-op");
            return Ok(Appended::Replayed(server));
        }
        return Err(offset_mismatch());
    }
    check_room(state, server, chunk_len)?;
    // Hash while copying, continuing the state saved with the previous chunk.
    let hasher = row.hash_state.as_deref().and_then(load_state);
    let (_, hasher) = state.blobs.write_at_hashing(&row.blob_key, server, chunk, hasher).await?;
    advance(state, row, chunk_len, hasher.as_ref()).await
}

/// A chunk may not take the session past the maximum upload size.
fn check_room(state: &AppState, server: u64, len: u64) -> ApiResult<()> {
    if server + len > state.config.uploads.max_upload_size {
        return Err(ApiError::new("stashfailed", "The file you submitted was too large.").with("offset", server.to_string()));
    }
    Ok(())
}

/// Moves the session's offset past a stored chunk by compare-and-set, saving the running hash;
/// if another request advanced it meanwhile, nothing changes and the real offset is reported.
async fn advance(state: &AppState, row: &StashRow, len: u64, hasher: Option<&Sha1>) -> ApiResult<Appended> {
    let server = row.size as u64;
    let new_state = hasher.map(save_state);
    let expires = crate::time::now_unix() + state.config.uploads.stash_max_age_secs as i64;
    let moved = state
        .meta
        .advance_chunks(
            &row.key,
            server as i64,
            (server + len) as i64,
            new_state.as_deref().unwrap_or(&[]),
            expires,
        )
        .await?;
    if !moved {
        let now = state.meta.stash(&row.key).await?.map(|r| r.size).unwrap_or(server as i64);
        return Err(ApiError::new("stashfailed", "Invalid chunk offset").with("offset", now.to_string()));
    }
    Ok(Appended::At(server + len))
}

async fn same_bytes(state: &AppState, blob_key: &str, at: u64, chunk: &Path) -> ApiResult<bool> {
    let blob = state.blobs.path(blob_key)?;
    let chunk = chunk.to_path_buf();
    let r = tokio::task::spawn_blocking(move || -> std::io::Result<bool> {
        use std::io::{Read, Seek, SeekFrom};
        let mut a = std::fs::File::open(blob)?;
        let mut b = std::fs::File::open(chunk)?;
        a.seek(SeekFrom::Start(at))?;
        let (mut x, mut y) = (vec![0u8; 64 << 10], vec![0u8; 64 << 10]);
        loop {
            let n = b.read(&mut y)?;
            if n == 0 {
                return Ok(true);
            }
            a.read_exact(&mut x[..n])?;
            if x[..n] != y[..n] {
                return Ok(false);
            }
        }
    })
    .await
    .map_err(|e| ApiError::internal("compare task", e))?;
    Ok(r.unwrap_or(false))
}

/// SHA-1 of a stored blob (read once, off the runtime).
pub async fn sha1_of(state: &AppState, blob_key: &str) -> ApiResult<String> {
    let h = hash_file(state.blobs.path(blob_key)?).await?;
    Ok(hex::encode(h.finalize()))
}

/// Assembles a complete session: verifies the whole file against `filename` and turns the
/// session into a finished stash entry under a new key (same blob, no copy).
pub async fn assemble(
    state: &AppState,
    caller: &Caller,
    session: &StashRow,
    filename: &str,
) -> ApiResult<(StashRow, super::warnings::Warnings)> {
    let path = state.blobs.path(&session.blob_key)?;
    let size = state.blobs.len(&session.blob_key).await?;
    // The running hash covers exactly `session.size` bytes; use it when that is the whole blob.
    let saved = session
        .hash_state
        .as_deref()
        .filter(|s| !s.is_empty())
        .and_then(load_state)
        .filter(|_| session.size as u64 == size);
    let sha1 = match saved {
        Some(h) => hex::encode(h.finalize()),
        None => sha1_of(state, &session.blob_key).await?,
    };
    let info = super::verify::analyze(path.clone()).await?;
    let title = match super::verify::check_file(state, &path, &info, size, filename).await {
        Ok(t) => t,
        Err(super::verify::Rejection::Fatal(e)) | Err(super::verify::Rejection::Recoverable(e)) => {
            // MediaWiki reports the opaque category; we add the precise code and details.
            let mut err = ApiError::new("stashfailed", "This file did not pass file verification.").with("verification", e.code.clone());
            if let Some(d) = e.data.get("details") {
                err = err.with("details", d.clone());
            }
            super::stash::remove(state, &session.key).await?;
            return Err(err);
        }
    };
    let info = info.for_extension(&title.final_ext);
    let props = super::publish::Props::from_info(&info, size, &sha1);
    let row = super::stash::finished_row(state, caller.user_id(), &session.blob_key, &props, "chunks");
    state.meta.insert_stash(&row).await?;
    state.meta.take_stash(&session.key).await?;
    let subject = super::warnings::Subject {
        desired: filename,
        title: &title,
        sha1: &sha1,
        size,
    };
    let warnings = super::warnings::compute(state, &subject, false).await?;
    Ok((row, warnings))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn sha1_state_round_trips_mid_stream() {
        let mut h = Sha1::new();
        h.update(b"hello ");
        let saved = save_state(&h);
        let mut resumed = load_state(&saved).expect("state restores");
        resumed.update(b"world");
        assert_eq!(hex::encode(resumed.finalize()), hex::encode(Sha1::digest(b"hello world")));
        assert!(load_state(b"garbage").is_none());
    }
}
