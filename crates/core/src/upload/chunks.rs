//! Chunked upload sessions. A session is a stash entry whose blob grows chunk by chunk; its
//! offset (`size`) and running SHA-1 move only by compare-and-set in the database.
//!
//! Who may write: the holder of the session's **write lease** (owner + expiry in the database,
//! taken by compare-and-set at the session's current offset, renewed while bytes flow, released
//! by the advance). Any process may hold it, so chunk 1 on one replica and chunk 2 on another
//! is fine; two writers never write the same session at once, and a writer whose lease ran out
//! (a stalled client) stops writing before anyone else may start: it renews its lease before
//! every write once less than [`RENEW_BELOW_SECS`] remain, and gives up if renewal fails.
//!
//! The blob store keeps its own state per session (S3: the objects holding the bytes so far);
//! it moves with the offset and the running hash in the same compare-and-set, so a stale
//! writer's bytes are never part of the committed session on any store.

use super::error::{UploadError, UploadResult};
use super::publish::Props;
use super::warnings::{self, Warnings};
use crate::auth::Caller;
use crate::state::AppState;
use mwupload_store::{BlobAppend, ChunkAdvance, LeaseOutcome, StashRow, StashState, new_blob_key};
use sha1::{Digest, Sha1};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// How long a write lease lasts without renewal (unix seconds).
pub const LEASE_SECS: i64 = 30;
/// A writer renews its lease before writing once fewer seconds than this remain, and never
/// writes with less than [`WRITE_MARGIN_SECS`] left, so a stale writer has stopped well before
/// its lease can be taken over.
pub const RENEW_BELOW_SECS: i64 = 20;
pub const WRITE_MARGIN_SECS: i64 = 10;

fn now() -> i64 {
    mwupload_store::time::now_unix()
}

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

/// How a session recognises its last chunk sent again (a retry after a lost answer): the
/// chunk's length and either the running SHA-1's state before it — continued over the re-sent
/// bytes it must reach the session's state, so chunks need no SHA-1 of their own — or, in
/// sessions of earlier versions, the chunk's own SHA-1.
#[derive(Clone, Debug, PartialEq)]
pub enum LastChunk {
    StateBefore(u64, Vec<u8>),
    Sha1(u64, [u8; 20]),
}

impl LastChunk {
    fn len(&self) -> u64 {
        match self {
            LastChunk::StateBefore(n, _) | LastChunk::Sha1(n, _) => *n,
        }
    }
}

/// What a session remembers between chunks (its `hash_state`, opaque to the store): the
/// running SHA-1 and how to recognise the last chunk, so that a re-sent last chunk is
/// recognised without reading bytes back (an unfinished S3 multipart upload cannot be read).
#[derive(Default)]
pub struct Progress {
    pub hasher: Option<Sha1>,
    pub last_chunk: Option<LastChunk>,
}

/// `C1 len sha1 state` (earlier versions) and `C2 len state-before-len state-before state`.
const PROGRESS_V1: u8 = 0xC1;
const PROGRESS_V2: u8 = 0xC2;

impl Progress {
    pub fn encode(hasher: &Sha1, last_chunk: &LastChunk) -> Vec<u8> {
        let mut v = Vec::with_capacity(256);
        match last_chunk {
            LastChunk::Sha1(len, sha1) => {
                v.push(PROGRESS_V1);
                v.extend_from_slice(&len.to_le_bytes());
                v.extend_from_slice(sha1);
            }
            LastChunk::StateBefore(len, before) => {
                v.push(PROGRESS_V2);
                v.extend_from_slice(&len.to_le_bytes());
                v.extend_from_slice(&(before.len() as u16).to_le_bytes());
                v.extend_from_slice(before);
            }
        }
        v.extend_from_slice(&save_state(hasher));
        v
    }

    /// Reads every form: the current one, the first one, or a bare hash state (sessions of the
    /// oldest versions).
    pub fn decode(bytes: Option<&[u8]>) -> Progress {
        let Some(b) = bytes.filter(|b| !b.is_empty()) else {
            return Progress::default();
        };
        if let Some(hasher) = load_state(b) {
            return Progress {
                hasher: Some(hasher),
                last_chunk: None,
            };
        }
        let len = |b: &[u8]| {
            let mut n = [0u8; 8];
            n.copy_from_slice(&b[1..9]);
            u64::from_le_bytes(n)
        };
        if b.len() > 29 && b[0] == PROGRESS_V1 {
            let mut sha1 = [0u8; 20];
            sha1.copy_from_slice(&b[9..29]);
            return Progress {
                hasher: load_state(&b[29..]),
                last_chunk: Some(LastChunk::Sha1(len(b), sha1)),
            };
        }
        if b.len() > 11 && b[0] == PROGRESS_V2 {
            let n = u16::from_le_bytes([b[9], b[10]]) as usize;
            if b.len() > 11 + n {
                return Progress {
                    hasher: load_state(&b[11 + n..]),
                    last_chunk: Some(LastChunk::StateBefore(len(b), b[11..11 + n].to_vec())),
                };
            }
        }
        Progress::default()
    }
}

/// A held write lease on one session.
pub struct ChunkLease {
    state: Arc<AppState>,
    key: String,
    owner: String,
    until: i64,
    released: bool,
    /// The blob state a routed chunk's finished append returned (committed by [`commit_routed`]).
    written_state: Option<String>,
}

/// A lease owner name: this instance, and a random part for this request.
fn new_owner(state: &AppState) -> String {
    format!("{}/{}", state.instance, hex::encode(rand::random::<[u8; 6]>()))
}

impl ChunkLease {
    /// Takes the lease of `key` at `offset`, waiting while another writer holds it (at most
    /// until its lease runs out). A session that moved on meanwhile is `ChunkOffset` with the
    /// new offset; a session that is gone is `NoChunkSession`. Also returns the session as it
    /// is under the lease: its hash and blob states belong to exactly `offset` now.
    pub async fn acquire(state: &Arc<AppState>, key: &str, offset: u64) -> UploadResult<(ChunkLease, StashRow)> {
        let owner = new_owner(state);
        let mut pause = Duration::from_millis(5);
        loop {
            match ChunkLease::take(state, key, offset, &owner).await? {
                Ok(taken) => return Ok(taken),
                Err(LeaseOutcome::Moved { offset }) => return Err(UploadError::ChunkOffset { offset: offset as u64 }),
                Err(LeaseOutcome::Gone) => return Err(UploadError::NoChunkSession),
                Err(_) => {
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_millis(250));
                }
            }
        }
    }

    /// Takes the lease only if it is free right now (for routing a chunk while its request body
    /// streams: a busy session is handled the slow way instead).
    pub async fn try_acquire(state: &Arc<AppState>, key: &str, offset: u64) -> UploadResult<Option<(ChunkLease, StashRow)>> {
        Ok(ChunkLease::take(state, key, offset, &new_owner(state)).await?.ok())
    }

    /// One attempt: the lease and the session as leased, or why not.
    async fn take(
        state: &Arc<AppState>,
        key: &str,
        offset: u64,
        owner: &str,
    ) -> UploadResult<Result<(ChunkLease, StashRow), LeaseOutcome>> {
        let t = now();
        Ok(match state.meta.lease_chunks(key, offset as i64, owner, t, t + LEASE_SECS).await? {
            LeaseOutcome::Acquired(row) => {
                let lease = ChunkLease {
                    state: state.clone(),
                    key: key.to_string(),
                    owner: owner.to_string(),
                    until: t + LEASE_SECS,
                    released: false,
                    written_state: None,
                };
                Ok((lease, *row))
            }
            other => Err(other),
        })
    }

    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// Call before every write: renews the lease when it is getting short, and fails if it was
    /// lost or cannot be renewed with a safe margin (then the writer must stop).
    pub async fn keep_alive(&mut self) -> UploadResult<()> {
        let t = now();
        if self.until - t >= RENEW_BELOW_SECS {
            return Ok(());
        }
        let until = t + LEASE_SECS;
        if self.state.meta.renew_chunk_lease(&self.key, &self.owner, until).await? {
            self.until = until;
            return Ok(());
        }
        Err(UploadError::ChunkOffset {
            offset: self.current_offset().await,
        })
    }

    /// Whether writing now is still safe (without touching the database).
    fn has_margin(&self) -> bool {
        self.until - now() >= WRITE_MARGIN_SECS
    }

    async fn current_offset(&self) -> u64 {
        match self.state.meta.stash(&self.key).await {
            Ok(Some(r)) => r.size as u64,
            _ => 0,
        }
    }

    /// Moves the session past chunk `chunk` (see [`LastChunk`]) written at `from`, with `hasher`'s
    /// state and the blob store's new session state, releasing the lease. If the lease was lost
    /// meanwhile, nothing changes and the real offset is the error.
    pub async fn advance(
        mut self,
        from: u64,
        chunk: LastChunk,
        hasher: Option<&Sha1>,
        blob_state: &str,
        stash_max_age: i64,
    ) -> UploadResult<u64> {
        let len = chunk.len();
        let new_state = hasher.map(|h| Progress::encode(h, &chunk));
        let adv = ChunkAdvance {
            expected_offset: from as i64,
            new_size: (from + len) as i64,
            hash_state: new_state.as_deref().unwrap_or(&[]),
            blob_state,
            expires_at: now() + stash_max_age,
        };
        let moved = self.state.meta.advance_chunks(&self.key, &self.owner, &adv).await?;
        self.released = true;
        if !moved {
            return Err(UploadError::ChunkOffset {
                offset: self.current_offset().await,
            });
        }
        Ok(from + len)
    }

    /// Gives the lease up now (a failed write).
    pub async fn release(mut self) {
        self.released = true;
        let _ = self.state.meta.release_chunk_lease(&self.key, &self.owner).await;
    }
}

impl Drop for ChunkLease {
    fn drop(&mut self) {
        // A request that ended early (client gone, error) frees the session for its retry now
        // instead of after the lease runs out.
        if !self.released
            && let Ok(rt) = tokio::runtime::Handle::try_current()
        {
            let (state, key, owner) = (self.state.clone(), self.key.clone(), self.owner.clone());
            rt.spawn(async move {
                let _ = state.meta.release_chunk_lease(&key, &owner).await;
            });
        }
    }
}

/// Appends to a session blob under its lease: each write first makes sure the lease is still
/// ours with a safe margin. The request body arrives in small pieces; they are gathered into
/// writes of [`APPEND_BATCH`] bytes (each one still checked against the lease), so a 5 MiB
/// chunk costs tens of writes, not hundreds. The store may write a batch while the next one is
/// gathered; the lease is given up only after the last write landed (see [`Drop`]).
pub struct LeasedAppend {
    lease: Arc<tokio::sync::Mutex<ChunkLease>>,
    /// None once finished.
    inner: Option<Box<dyn BlobAppend>>,
    pending: Vec<u8>,
}

/// 128 KiB: at most two buffers per chunk upload (one filling, one being written; the store
/// takes them without copying), so 32 concurrent chunk uploads hold 8 MiB of batches
/// (docs/benchmarks.md).
const APPEND_BATCH: usize = 128 * 1024;

/// Batch buffers of finished appends, kept for the next chunk. A new batch buffer is new
/// memory to the allocator (at or above glibc's mmap threshold, or trimmed after use) and its
/// first writes page-fault: about half of a routed chunk's page faults before
/// (docs/benchmarks.md). A plain free list, bounded: it never keeps more than
/// [`SPARE_BATCH_BYTES`] after a burst of concurrent uploads.
static SPARE_BATCHES: std::sync::Mutex<Vec<Vec<u8>>> = std::sync::Mutex::new(Vec::new());
/// A batch may hold one whole piece of the body (the server reads up to ~400 KiB at once on a
/// connection when few are open), so a spare buffer may be larger than [`APPEND_BATCH`].
const SPARE_BATCH_BYTES: usize = 4 << 20;

/// An empty batch buffer with room for at least [`APPEND_BATCH`] bytes, reused when one is spare.
fn batch_buffer() -> Vec<u8> {
    let spare = SPARE_BATCHES.lock().ok().and_then(|mut s| s.pop());
    spare.unwrap_or_else(|| Vec::with_capacity(APPEND_BATCH))
}

/// Keeps `buf` for [`batch_buffer`], while the spare buffers stay within [`SPARE_BATCH_BYTES`].
fn spare_batch_buffer(mut buf: Vec<u8>) {
    if buf.capacity() < APPEND_BATCH {
        return;
    }
    buf.clear();
    if let Ok(mut spare) = SPARE_BATCHES.lock()
        && spare.iter().map(Vec::capacity).sum::<usize>() + buf.capacity() <= SPARE_BATCH_BYTES
    {
        spare.push(buf);
    }
}

impl LeasedAppend {
    fn new(lease: Arc<tokio::sync::Mutex<ChunkLease>>, inner: Box<dyn BlobAppend>) -> LeasedAppend {
        LeasedAppend {
            lease,
            inner: Some(inner),
            pending: Vec::new(),
        }
    }

    fn inner(&mut self) -> std::io::Result<&mut Box<dyn BlobAppend>> {
        self.inner.as_mut().ok_or_else(already_finished)
    }

    /// Writes what is pending, if the lease still allows it (`last`: the append's last batch).
    async fn write_pending(&mut self, last: bool) -> std::io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        {
            let mut lease = self.lease.lock().await;
            lease
                .keep_alive()
                .await
                .map_err(|e| std::io::Error::other(format!("chunk lease lost: {e}")))?;
            if !lease.has_margin() {
                return Err(std::io::Error::other("chunk lease about to expire"));
            }
        }
        // The batch is handed over, not copied; a written one comes back to be filled again.
        let batch = std::mem::take(&mut self.pending);
        // (The first time, the store has none to give back: `write` takes a spare one then.)
        let inner = self.inner()?;
        let mut spare = if last {
            inner.write_last(batch).await?
        } else {
            inner.write_owned(batch).await?
        };
        spare.clear();
        self.pending = spare;
        Ok(())
    }
}

#[async_trait::async_trait]
impl BlobAppend for LeasedAppend {
    async fn write(&mut self, data: &[u8]) -> std::io::Result<()> {
        if self.pending.capacity() < APPEND_BATCH {
            // (Always empty here: a batch starts in a buffer of at least APPEND_BATCH.)
            self.pending = batch_buffer();
        }
        // (A piece of the body larger than a batch is taken whole: a batch of one piece is one
        // hand-off to the writing thread instead of several.)
        self.pending.extend_from_slice(data);
        if self.pending.len() >= APPEND_BATCH {
            self.write_pending(false).await?;
        }
        Ok(())
    }

    async fn finish(mut self: Box<Self>) -> std::io::Result<String> {
        self.write_pending(true).await?;
        // Settled while `self` still owns the append: if this is dropped meanwhile, `Drop`
        // still waits for the write before the lease goes.
        if let Some(last) = self.inner()?.settle().await? {
            spare_batch_buffer(last);
        }
        spare_batch_buffer(std::mem::take(&mut self.pending));
        let inner = self.inner.take().ok_or_else(already_finished)?;
        let blob_state = inner.finish().await?;
        self.lease.lock().await.written_state = Some(blob_state.clone());
        Ok(blob_state)
    }
}

fn already_finished() -> std::io::Error {
    std::io::Error::other("chunk append already finished")
}

impl Drop for LeasedAppend {
    /// An append that ends early (client gone, lease lost, error) may leave a batch being
    /// written: the lease (released when its last holder drops it) is kept until that write
    /// landed, so it cannot overwrite what the session's next writer puts there.
    fn drop(&mut self) {
        if let Some(mut inner) = self.inner.take()
            && let Ok(rt) = tokio::runtime::Handle::try_current()
        {
            let lease = self.lease.clone();
            rt.spawn(async move {
                let _ = inner.settle().await;
                drop(lease);
            });
        }
    }
}

/// A chunk written straight into its session while the request body streams (see
/// [`open_routed`]): the session and offset it was written at, and the lease it holds.
pub struct RoutedChunk {
    pub key: String,
    pub offset: u64,
    lease: Arc<tokio::sync::Mutex<ChunkLease>>,
    /// The session's running SHA-1 state before this chunk (None: the session has none).
    state_before: Option<Vec<u8>>,
    /// The session as read under the lease: the caller's, waiting for chunks, at `offset`.
    pub(super) session: StashRow,
    /// The warnings' facts about the `filename` the chunk came with, read while it streams.
    name_facts: Option<(
        String,
        tokio::task::JoinHandle<mwupload_store::StoreResult<super::warnings::NameFacts>>,
    )>,
    /// The caller's permission to upload (blocks), read while the chunk streams.
    permitted: Option<tokio::task::JoinHandle<UploadResult<()>>>,
    /// Whether a chunk of the session's previous chunk's length needs its SHA-1 (see
    /// [`chunk_sha1_matters`]), read while the chunk streams: clients send chunks of one size.
    same_size_matters: Option<(u64, tokio::task::JoinHandle<UploadResult<bool>>)>,
}

impl RoutedChunk {
    /// The name facts read while the chunk streamed, if they are about `filename` and were read.
    pub(super) async fn take_name_facts(&mut self, filename: &str) -> Option<super::warnings::NameFacts> {
        match self.name_facts.take() {
            Some((name, h)) if name == filename => h.await.ok()?.ok(),
            _ => None,
        }
    }

    /// The caller's permission as read while the chunk streamed, if it was.
    pub(super) async fn take_permitted(&mut self) -> Option<UploadResult<()>> {
        self.permitted.take()?.await.ok()
    }

    /// [`chunk_sha1_matters`] for a chunk of `size` bytes, if it was read while the chunk streamed.
    pub(super) async fn take_sha1_matters(&mut self, size: u64) -> Option<UploadResult<bool>> {
        match self.same_size_matters.take() {
            Some((n, h)) if n == size => h.await.ok(),
            _ => None,
        }
    }
}

/// Where a routed chunk's bytes go, with the session's running hash to continue.
pub struct RoutedSink {
    pub sink: Box<dyn BlobAppend>,
    pub hasher: Option<Sha1>,
    pub chunk: RoutedChunk,
    /// Whether the chunk's own SHA-1 must be computed while it streams: only when its bytes
    /// cannot be read back from the session (S3) or shared repositories may hold a duplicate
    /// of it. Otherwise it is computed later only if a stored file has the chunk's size (see
    /// [`chunk_sha1`]), and each byte is hashed once.
    pub chunk_sha1_now: bool,
}

/// Whether the chunk warnings (`duplicate`, `exists` with `no-change`…) need the SHA-1 of a
/// chunk of `size` bytes: only a stored version of that very size (or a shared repository's
/// file, whose sizes are not known here) can hold identical bytes.
pub async fn chunk_sha1_matters(state: &AppState, size: u64) -> UploadResult<bool> {
    if !state.foreign.is_empty() {
        return Ok(true);
    }
    Ok(state.meta.any_file_of_size(size as i64).await?)
}

/// The SHA-1 of a routed chunk's bytes, read back from its session.
pub async fn chunk_sha1(state: &AppState, session: &StashRow, offset: u64, size: u64) -> UploadResult<[u8; 20]> {
    let temp = state.blobs.copy_range_to_scratch(&session.blob_key, offset, size).await?;
    let hasher = hash_file(temp.to_path_buf()).await?;
    let mut sha1 = [0u8; 20];
    sha1.copy_from_slice(&hasher.finalize());
    Ok(sha1)
}

/// Opens the caller's session `key` for a chunk at exactly its offset, if the session exists,
/// is the caller's, is waiting for chunks and nobody is writing it; None otherwise (then the
/// chunk is spooled and appended by [`append`]). `filename` and `ignorewarnings` are the
/// request's, as far as they arrived before the chunk.
pub async fn open_routed(
    state: &Arc<AppState>,
    caller: &Caller,
    key: &str,
    offset: u64,
    filename: Option<&str>,
    ignorewarnings: bool,
) -> Option<RoutedSink> {
    let user_id = caller.user_id();
    if user_id == 0 || offset == 0 {
        return None;
    }
    if !state.blobs.session_bytes_readable() {
        // A chunk streamed into its session could not be read back to stash it on its own
        // (what a warning or a recoverable name error does), so stream it only when neither
        // can happen; otherwise it is spooled first.
        let name = filename?;
        if !ignorewarnings || super::verify::check_name(state, name).is_err() {
            return None;
        }
    }
    // The lease is taken (only for a session waiting for chunks at exactly `offset`) while the
    // session's status is read: a session whose assembly is queued is not written to.
    let (leased, status) = tokio::join!(ChunkLease::try_acquire(state, key, offset), super::status::get(state, user_id, key));
    // The session as leased: its hash state belongs to exactly this offset now.
    let (lease, row) = leased.ok()??;
    let unfinished = matches!(status, Ok(None) | Ok(Some(super::status::UploadStatus::Continue { .. })));
    if row.user_id != user_id || !unfinished {
        lease.release().await;
        return None;
    }
    let inner = state
        .blobs
        .append_session(&row.blob_key, row.blob_state.as_deref().unwrap_or(""), offset)
        .await
        .ok()?;
    let lease = Arc::new(tokio::sync::Mutex::new(lease));
    let progress = Progress::decode(row.hash_state.as_deref());
    let hasher = progress.hasher;
    // The warnings' reads about the name do not need the bytes: they run while the chunk
    // streams instead of after it, when the client waits for the answer.
    let name_facts = filename.and_then(|name| {
        let title = super::verify::check_name(state, name).ok()?;
        let state = state.clone();
        let facts = tokio::spawn(async move { super::warnings::name_facts(&state, &title).await });
        Some((name.to_string(), facts))
    });
    // So are the caller's blocks, and (unless the chunk's SHA-1 is computed anyway) whether a
    // chunk as long as the last one has a stored file of its size: the chunk's own length is
    // known only at its end.
    let permitted = {
        let (state, caller) = (state.clone(), caller.clone());
        Some(tokio::spawn(async move {
            super::service::check_permissions(&state, &caller, false).await
        }))
    };
    let chunk_sha1_now = !state.blobs.session_bytes_readable() || !state.foreign.is_empty();
    let same_size_matters = progress.last_chunk.filter(|_| !chunk_sha1_now).map(|last| {
        let (state, len) = (state.clone(), last.len());
        (len, tokio::spawn(async move { chunk_sha1_matters(&state, len).await }))
    });
    Some(RoutedSink {
        sink: Box::new(LeasedAppend::new(lease.clone(), inner)),
        chunk: RoutedChunk {
            key: key.to_string(),
            offset,
            lease,
            state_before: hasher.as_ref().map(save_state),
            session: row,
            name_facts,
            permitted,
            same_size_matters,
        },
        hasher,
        chunk_sha1_now,
    })
}

/// What happened to a chunk appended at the server's offset.
#[derive(Debug, PartialEq)]
pub enum Appended {
    /// Stored; the session is now at this offset.
    At(u64),
    /// The client re-sent the chunk that ends at the current offset with identical bytes (a
    /// retry after a lost response): nothing changed.
    Replayed(u64),
}

/// Commits a chunk the router wrote in place: advances the session with the continued hash.
pub async fn commit_routed(
    state: &AppState,
    row: &StashRow,
    chunk: RoutedChunk,
    size: u64,
    hasher: Option<&Sha1>,
) -> UploadResult<Appended> {
    let server = row.size as u64;
    if chunk.key != row.key || chunk.offset != server {
        return Err(UploadError::ChunkOffset { offset: server });
    }
    check_room(state, server, size)?;
    let mut lease = Arc::try_unwrap(chunk.lease)
        .map_err(|_| UploadError::Storage {
            message: "routed chunk still being written".into(),
        })?
        .into_inner();
    let Some(blob_state) = lease.written_state.take() else {
        return Err(UploadError::Storage {
            message: "routed chunk was not finished".into(),
        });
    };
    tracing::debug!(key = %row.key, server, size, "committing a chunk written in place");
    // (Without a running hash nothing is recorded of the chunk: a re-sent one is compared
    // byte by byte.)
    let last = LastChunk::StateBefore(size, chunk.state_before.unwrap_or_default());
    let at = lease
        .advance(server, last, hasher, &blob_state, state.config.uploads.stash_max_age_secs as i64)
        .await?;
    Ok(Appended::At(at))
}

/// Starts a session from the first chunk, adopting its scratch file as the session blob. The
/// chunk must pass `verifyPartialFile` against `final_ext`, the name's final extension
/// (MediaWiki's `UploadFromChunks::verifyChunk`; `ChunkRejected`).
pub async fn start(
    state: &AppState,
    caller: &Caller,
    chunk: tempfile::TempPath,
    chunk_len: u64,
    final_ext: &str,
) -> UploadResult<StashRow> {
    // The key's extension comes from sniffing the first chunk, as in MediaWiki.
    let info = super::verify::analyze(chunk.to_path_buf(), chunk_len).await?;
    super::verify::check_chunk(&chunk, &info, final_ext).await?;
    if !caller.is_logged_in() {
        return Err(UploadError::StashNotLoggedIn);
    }
    let hasher = hash_file(chunk.to_path_buf()).await?;
    let blob = new_blob_key();
    let blob_state = state.blobs.start_session_from_file(&blob, chunk, chunk_len).await?;
    let props = Props::from_info(&info, chunk_len, "");
    let mut row = super::stash::new_row(state, caller.user_id(), &blob, &props, "chunks", StashState::Chunks);
    row.hash_state = Some(Progress::encode(
        &hasher,
        &LastChunk::StateBefore(chunk_len, save_state(&Sha1::new())),
    ));
    row.blob_state = Some(blob_state);
    if let Err(e) = state.meta.insert_stash(&row).await {
        let _ = state.blobs.abort_session(&blob, row.blob_state.as_deref().unwrap_or("")).await;
        let _ = state.blobs.delete(&blob).await;
        return Err(e.into());
    }
    Ok(row)
}

/// Whether a chunk of `len` bytes with `sha1` ending at the session's offset is the last one
/// again (a retry after a lost response).
async fn is_replay(state: &AppState, row: &StashRow, at: u64, chunk: &Path, len: u64, sha1: [u8; 20]) -> UploadResult<bool> {
    let progress = Progress::decode(row.hash_state.as_deref());
    match (&progress.last_chunk, &progress.hasher) {
        (Some(LastChunk::Sha1(n, s)), _) => return Ok((*n, *s) == (len, sha1)),
        (Some(LastChunk::StateBefore(n, before)), Some(now)) if *n == len => {
            if let Some(h) = load_state(before) {
                let again = continue_hash(h, chunk.to_path_buf()).await?;
                return Ok(save_state(&again) == save_state(now));
            }
        }
        (Some(LastChunk::StateBefore(..)), Some(_)) => return Ok(false),
        _ => {}
    }
    // Sessions without a running hash (or of the oldest versions): compare the bytes.
    Ok(state.blobs.session_bytes_readable() && state.blobs.same_bytes(&row.blob_key, at, chunk).await?)
}

/// Appends a spooled chunk at `offset` (None: at the server's offset, for clients that omit it).
pub async fn append(
    state: &Arc<AppState>,
    row: &StashRow,
    offset: Option<u64>,
    chunk: &Path,
    chunk_len: u64,
    chunk_sha1: [u8; 20],
) -> UploadResult<Appended> {
    let server = row.size as u64;
    let at = offset.unwrap_or(server);
    if at != server {
        if at + chunk_len == server && is_replay(state, row, at, chunk, chunk_len, chunk_sha1).await? {
            tracing::debug!(key = %row.key, at, "chunk re-sent with identical bytes: no-op");
            return Ok(Appended::Replayed(server));
        }
        return Err(UploadError::ChunkOffset { offset: server });
    }
    check_room(state, server, chunk_len)?;
    // The session as leased: the hash and blob states belong to exactly this offset now.
    let (mut lease, row) = ChunkLease::acquire(state, &row.key, server).await?;
    let mut hasher = Progress::decode(row.hash_state.as_deref()).hasher;
    let last = match &hasher {
        Some(h) => LastChunk::StateBefore(chunk_len, save_state(h)),
        None => LastChunk::Sha1(chunk_len, chunk_sha1),
    };
    let mut out = match state
        .blobs
        .append_session(&row.blob_key, row.blob_state.as_deref().unwrap_or(""), server)
        .await
    {
        Ok(out) => out,
        Err(e) => {
            lease.release().await;
            return Err(e.into());
        }
    };
    let written = async {
        use tokio::io::AsyncReadExt;
        let mut input = tokio::fs::File::open(chunk).await?;
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = input.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            lease.keep_alive().await?;
            if !lease.has_margin() {
                return Err(UploadError::ChunkOffset { offset: server });
            }
            if let Some(h) = hasher.as_mut() {
                h.update(&buf[..n]);
            }
            out.write(&buf[..n]).await?;
        }
        Ok::<(), UploadError>(())
    }
    .await;
    let written = match written {
        Ok(()) => out.finish().await.map_err(UploadError::from),
        Err(e) => {
            // (A write still running must land before the lease goes.)
            let _ = out.settle().await;
            Err(e)
        }
    };
    let blob_state = match written {
        Ok(s) => s,
        Err(e) => {
            lease.release().await;
            return Err(e);
        }
    };
    let at = lease
        .advance(
            server,
            last,
            hasher.as_ref(),
            &blob_state,
            state.config.uploads.stash_max_age_secs as i64,
        )
        .await?;
    Ok(Appended::At(at))
}

/// A chunk may not take the session past the maximum upload size.
fn check_room(state: &AppState, server: u64, len: u64) -> UploadResult<()> {
    if server + len > state.config.uploads.max_upload_size {
        return Err(UploadError::ChunkTooLarge { offset: server });
    }
    Ok(())
}

/// SHA-1 state of a local file's bytes (the first chunk, read back from the page cache).
async fn hash_file(path: std::path::PathBuf) -> std::io::Result<Sha1> {
    continue_hash(Sha1::new(), path).await
}

/// `h` continued over a local file's bytes.
async fn continue_hash(mut h: Sha1, path: std::path::PathBuf) -> std::io::Result<Sha1> {
    tokio::task::spawn_blocking(move || -> std::io::Result<Sha1> {
        use std::io::Read;
        let mut f = std::fs::File::open(path)?;
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

/// Assembles a complete session: verifies the whole file against `filename` and turns the
/// session into a finished stash entry under a new key (same blob, no copy). Holds the
/// session's lease throughout, so no chunk can land meanwhile.
pub async fn assemble(state: &Arc<AppState>, caller: &Caller, session: &StashRow, filename: &str) -> UploadResult<(StashRow, Warnings)> {
    let size = session.size as u64;
    let (mut lease, session) = ChunkLease::acquire(state, &session.key, size).await?;
    // The committed session becomes an ordinary blob of exactly `size` bytes (S3: server-side
    // copies into one multipart upload; no byte passes through here).
    state
        .blobs
        .finish_session(&session.blob_key, session.blob_state.as_deref().unwrap_or(""), size)
        .await?;
    let local = state.blobs.materialize(&session.blob_key).await?;
    // The running hash covers exactly `size` bytes.
    let sha1 = match Progress::decode(session.hash_state.as_deref()).hasher {
        Some(h) => hex::encode(h.finalize()),
        None => hex::encode(hash_file(local.to_path_buf()).await?.finalize()),
    };
    let info = super::verify::analyze(local.to_path_buf(), size).await?;
    let title = match super::verify::check_file(state, local.path(), &info, size, filename).await {
        Ok(t) => t,
        Err(rejection) => {
            drop(local);
            lease.release().await;
            super::stash::remove(state, &session.key).await?;
            return Err(UploadError::AssemblyRejected(Box::new(rejection.error)));
        }
    };
    drop(local);
    let info = info.for_extension(&title.final_ext);
    let props = Props::from_info(&info, size, &sha1).verified_as(&title.final_ext);
    let row = super::stash::new_row(state, caller.user_id(), &session.blob_key, &props, "chunks", StashState::Finished);
    let finished = state.meta.finish_chunks(&session.key, lease.owner(), session.size, &row).await?;
    // The session row is gone either way: there is no lease left to release.
    lease.released = true;
    if !finished {
        return Err(UploadError::NoChunkSession);
    }
    let subject = warnings::Subject {
        desired: filename,
        title: &title,
        sha1: &sha1,
        size,
    };
    let warns = warnings::compute(state, &subject).await?;
    Ok((row, warns))
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

    /// A finished append's batch buffers come back for the next one, empty and with their
    /// room; the spare ones never hold more than their bound, and small buffers are not kept.
    #[test]
    fn batch_buffers_are_reused_within_their_bound() {
        let mut a = batch_buffer();
        assert!(a.is_empty() && a.capacity() >= APPEND_BATCH);
        a.extend_from_slice(&[7u8; 1000]);
        let (ptr, cap) = (a.as_ptr(), a.capacity());
        spare_batch_buffer(a);
        // (Other tests of this process may take spare buffers meanwhile: look for ours.)
        let mut taken = Vec::new();
        let found = loop {
            let b = batch_buffer();
            if b.as_ptr() == ptr {
                break Some(b);
            }
            if SPARE_BATCHES.lock().unwrap().is_empty() {
                break None;
            }
            taken.push(b);
        };
        let b = found.expect("the spared buffer is handed out again");
        assert!(b.is_empty(), "a reused buffer starts empty");
        assert_eq!(b.capacity(), cap, "and keeps its room");
        spare_batch_buffer(Vec::with_capacity(APPEND_BATCH / 2));
        assert!(
            SPARE_BATCHES.lock().unwrap().iter().all(|v| v.capacity() >= APPEND_BATCH),
            "a buffer smaller than a batch is not kept"
        );
        for _ in 0..(2 * SPARE_BATCH_BYTES / APPEND_BATCH) {
            spare_batch_buffer(Vec::with_capacity(APPEND_BATCH));
        }
        let kept: usize = SPARE_BATCHES.lock().unwrap().iter().map(Vec::capacity).sum();
        assert!(kept <= SPARE_BATCH_BYTES, "spare buffers hold {kept} bytes");
        assert!(
            kept + APPEND_BATCH > SPARE_BATCH_BYTES,
            "the spare list fills up to its bound: {kept}"
        );
    }

    #[test]
    fn progress_round_trips_and_reads_bare_hash_states() {
        let mut h = Sha1::new();
        h.update(b"hello ");
        let p = Progress::decode(Some(&Progress::encode(&h, &LastChunk::Sha1(6, [7u8; 20]))));
        assert_eq!(p.last_chunk, Some(LastChunk::Sha1(6, [7u8; 20])));
        assert_eq!(save_state(p.hasher.as_ref().unwrap()), save_state(&h));
        let before = save_state(&Sha1::new());
        let p = Progress::decode(Some(&Progress::encode(&h, &LastChunk::StateBefore(6, before.clone()))));
        assert_eq!(p.last_chunk, Some(LastChunk::StateBefore(6, before)));
        assert_eq!(save_state(p.hasher.as_ref().unwrap()), save_state(&h));
        let mut resumed = p.hasher.expect("hasher");
        resumed.update(b"world");
        assert_eq!(hex::encode(resumed.finalize()), hex::encode(Sha1::digest(b"hello world")));
        let old = Progress::decode(Some(&save_state(&h)));
        assert!(old.hasher.is_some() && old.last_chunk.is_none());
        assert!(Progress::decode(None).hasher.is_none());
        assert!(Progress::decode(Some(b"garbage")).hasher.is_none());
    }
}
