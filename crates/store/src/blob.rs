//! The blob store: file bytes under immutable random keys.
//!
//! Bytes arrive in a process-local scratch file (streamed and hashed by the caller) and
//! are then moved in with [`BlobStore::put_file`] — a rename on local disk, a multipart upload
//! on S3.
//!
//! Chunked sessions build one blob chunk by chunk ([`BlobStore::append_session`]). The adapter
//! keeps its own **session state** (an opaque string: nothing on local disk; the multipart
//! upload id, its parts and the not-yet-uploaded tail on S3), which the caller stores in the
//! database and moves together with the session's offset by one compare-and-set. The database
//! decides who may append (a lease) and which state counts, so whatever a failed or stale
//! attempt wrote is never part of the committed state: on local disk it lies past the offset and
//! is overwritten by the next attempt; on S3 it went to part numbers and tail objects no
//! committed state refers to.

use async_trait::async_trait;
use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;
use tokio::io::AsyncRead;

/// A fresh, unguessable blob key (32 hex digits).
pub fn new_blob_key() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

/// A readable stream of a blob's bytes (a range of them, when asked).
pub type BlobReader = std::pin::Pin<Box<dyn AsyncRead + Send>>;

/// Bytes being appended to a chunked session. Writes may be buffered in memory (bounded);
/// [`BlobAppend::finish`] makes them durable and returns the session's new adapter state, which
/// only counts once the caller commits it with the new offset.
#[async_trait]
pub trait BlobAppend: Send {
    async fn write(&mut self, data: &[u8]) -> io::Result<()>;
    /// [`BlobAppend::write`] of a buffer the caller gives up, returned when written so it can
    /// be filled again: a store that writes from another thread need not copy it.
    async fn write_owned(&mut self, data: Vec<u8>) -> io::Result<Vec<u8>> {
        self.write(&data).await?;
        Ok(data)
    }
    /// [`BlobAppend::write_owned`] of the append's last batch, also making everything written
    /// durable where the store can do both in one step (then [`BlobAppend::finish`] has nothing
    /// left to wait for but the write): one hand-off to a writing thread fewer per append.
    async fn write_last(&mut self, data: Vec<u8>) -> io::Result<Vec<u8>> {
        self.write_owned(data).await
    }
    /// Waits until no write started by this append is still running (a store that writes in
    /// the background). Its caller's lease must not be given up before: a write landing after
    /// it could overwrite what the session's next writer put there. Hands back the buffer of the
    /// last batch given to [`BlobAppend::write_owned`] if the store still held it, so the caller
    /// can fill it again.
    async fn settle(&mut self) -> io::Result<Option<Vec<u8>>> {
        Ok(None)
    }
    /// Makes everything written durable; returns the session state that covers it.
    async fn finish(self: Box<Self>) -> io::Result<String>;
}

/// A local, read-only copy of a blob for code that needs a file (media analysis). It lives in
/// this process's scratch space and is removed when dropped; it is never the stored blob itself.
#[derive(Debug)]
pub struct Materialized {
    path: tempfile::TempPath,
}

impl Materialized {
    pub fn new(path: tempfile::TempPath) -> Materialized {
        Materialized { path }
    }
    pub fn path(&self) -> &Path {
        &self.path
    }
    pub fn to_path_buf(&self) -> PathBuf {
        self.path.to_path_buf()
    }
}

#[async_trait]
pub trait BlobStore: Send + Sync {
    /// This process's scratch directory: where request bodies are spooled, so that
    /// [`BlobStore::put_file`] can adopt them (on local disk: the same filesystem, so a rename).
    /// No other process writes or cleans it while this store is open.
    fn scratch_dir(&self) -> &Path;

    /// Whether the store answers now (for a readiness probe): the blob tree is there, the
    /// bucket can be listed. The default looks at the scratch directory.
    async fn ready(&self) -> io::Result<()> {
        tokio::fs::metadata(self.scratch_dir()).await.map(|_| ())
    }

    /// Where a client may fetch blob `key` itself, without this process in between: a public or
    /// presigned URL of the object (S3 with `public_url` or `presign_secs`); None (local disk,
    /// or not configured): the server streams it.
    async fn download_url(&self, _key: &str) -> io::Result<Option<String>> {
        Ok(None)
    }

    /// Moves a fully written scratch file in as blob `key`, durably: when this returns, the
    /// blob survives a crash (the caller need not fsync the scratch file).
    async fn put_file(&self, key: &str, file: tempfile::TempPath) -> io::Result<()>;

    /// Starts an empty chunked session that will become blob `key`; returns its state.
    async fn begin_session(&self, key: &str) -> io::Result<String>;

    /// Starts a session from its first chunk (a fully written scratch file of `len` bytes),
    /// durably; returns its state. Local disk adopts the file by a rename.
    async fn start_session_from_file(&self, key: &str, file: tempfile::TempPath, len: u64) -> io::Result<String> {
        use tokio::io::AsyncReadExt;
        let state = self.begin_session(key).await?;
        let mut out = self.append_session(key, &state, 0).await?;
        let mut input = tokio::fs::File::open(&file).await?;
        let mut buf = vec![0u8; 1 << 20];
        let mut copied = 0u64;
        loop {
            let n = input.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            out.write(&buf[..n]).await?;
            copied += n as u64;
        }
        if copied != len {
            return Err(io::Error::other(format!("first chunk is {copied} bytes, expected {len}")));
        }
        out.finish().await
    }

    /// Opens session `key` (committed `state`, at `offset`) for appending. The caller must
    /// hold the session's lease; what it writes counts only once the state [`BlobAppend::finish`]
    /// returns is committed with the new offset.
    async fn append_session(&self, key: &str, state: &str, offset: u64) -> io::Result<Box<dyn BlobAppend>>;

    /// Turns a complete session (committed `state`, `size` bytes) into the ordinary blob `key`
    /// (S3: a multipart upload of server-side copies; no byte goes through this process).
    /// Idempotent: a session that was already finished stays as it is. The caller holds the
    /// session's lease.
    async fn finish_session(&self, key: &str, state: &str, size: u64) -> io::Result<()>;

    /// Gives up a session: frees what its state holds besides the blob itself (S3: the
    /// session's part and tail objects). The caller deletes the blob after.
    async fn abort_session(&self, _key: &str, _state: &str) -> io::Result<()> {
        Ok(())
    }

    /// Whether a session's committed bytes can be read back with [`BlobStore::read`] before it
    /// is finished (local disk: yes; S3: no, parts of an unfinished multipart upload cannot be
    /// read). When not, a chunk is streamed into its session only if it can never be needed
    /// on its own (see `core::upload::chunks::open_routed`).
    fn session_bytes_readable(&self) -> bool {
        true
    }

    /// Current length of a blob.
    async fn len(&self, key: &str) -> io::Result<u64>;

    /// Streams the blob, or the byte range `[start, end)` of it.
    async fn read(&self, key: &str, range: Option<(u64, u64)>) -> io::Result<BlobReader>;

    /// A local, read-only view of the blob for analysis (media code needs a file).
    async fn materialize(&self, key: &str) -> io::Result<Materialized>;

    /// Removes a blob (absent is fine).
    async fn delete(&self, key: &str) -> io::Result<()>;

    /// Keys of blobs last written before `cutoff` (for the orphan sweep).
    async fn keys_older_than(&self, cutoff: SystemTime) -> io::Result<Vec<String>>;

    /// Removes scratch space left by processes that stopped (for the periodic sweep). Returns
    /// how many entries were removed.
    async fn sweep_scratch(&self) -> io::Result<usize> {
        Ok(0)
    }

    /// Whether the bytes at `at` in the blob equal the whole of local file `src`.
    async fn same_bytes(&self, key: &str, at: u64, src: &Path) -> io::Result<bool> {
        use tokio::io::AsyncReadExt;
        let src_len = tokio::fs::metadata(src).await?.len();
        if self.len(key).await? < at + src_len {
            return Ok(false);
        }
        let mut a = self.read(key, Some((at, at + src_len))).await?;
        let mut b = tokio::fs::File::open(src).await?;
        let (mut x, mut y) = (vec![0u8; 64 << 10], vec![0u8; 64 << 10]);
        loop {
            let n = b.read(&mut y).await?;
            if n == 0 {
                return Ok(true);
            }
            a.read_exact(&mut x[..n]).await?;
            if x[..n] != y[..n] {
                return Ok(false);
            }
        }
    }

    /// Copies `len` bytes at `offset` of a blob into a new scratch file.
    async fn copy_range_to_scratch(&self, key: &str, offset: u64, len: u64) -> io::Result<tempfile::TempPath> {
        let mut input = self.read(key, Some((offset, offset + len))).await?;
        let tmp = tempfile::Builder::new().prefix(".copy-").tempfile_in(self.scratch_dir())?;
        let (file, path) = tmp.into_parts();
        let mut out = tokio::fs::File::from_std(file);
        tokio::io::copy(&mut input, &mut out).await?;
        out.sync_data().await?;
        Ok(path)
    }
}
