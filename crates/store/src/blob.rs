//! The blob store: file bytes under immutable random keys.
//!
//! Bytes arrive in a process-local scratch file (streamed, hashed and fsynced by the caller) and
//! are then moved in with [`BlobStore::put_file`] — a rename on local disk, an upload elsewhere.
//! Chunked sessions grow one blob with [`BlobStore::open_append`]; the database decides who may
//! append (a lease) and which length counts (the session's offset), so bytes past that offset
//! are leftovers of a failed attempt and are overwritten by the next one.

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

/// Bytes being appended to a blob. Writes may be buffered; [`BlobAppend::finish`] makes them
/// durable.
#[async_trait]
pub trait BlobAppend: Send {
    async fn write(&mut self, data: &[u8]) -> io::Result<()>;
    /// Flushes and makes everything written durable; returns how many bytes were appended.
    async fn finish(self: Box<Self>) -> io::Result<u64>;
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

    /// Moves a fully written, fsynced scratch file in as blob `key`.
    async fn put_file(&self, key: &str, file: tempfile::TempPath) -> io::Result<()>;

    /// Creates an empty blob to append chunks to.
    async fn create_empty(&self, key: &str) -> io::Result<()>;

    /// Opens blob `key` for appending at `offset`; bytes after `offset` (a failed attempt's) are
    /// discarded. The caller must hold the session's lease.
    async fn open_append(&self, key: &str, offset: u64) -> io::Result<Box<dyn BlobAppend>>;

    /// Cuts blob `key` to `len` bytes (a finished session drops a failed attempt's tail).
    async fn truncate(&self, key: &str, len: u64) -> io::Result<()>;

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
