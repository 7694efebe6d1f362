//! Blobs on a local disk: `blobs/<2 hex>/<key>`, written to this process's scratch directory
//! first (same filesystem), fsynced, then renamed into place with the directory fsynced.
//!
//! Scratch space is per process: `tmp/<instance>/`, holding an exclusive lock on
//! `tmp/<instance>/.lock` for the life of the store. Another process's scratch directory is
//! removed only once its lock can be taken, i.e. when that process is gone — so several
//! processes can share one data directory without deleting each other's uploads in flight.

use crate::blob::{BlobAppend, BlobReader, BlobStore, Materialized};
use async_trait::async_trait;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};
use tokio::io::{AsyncSeekExt, AsyncWriteExt};

const LOCK_FILE: &str = ".lock";
/// A scratch directory without a lock file is another process's that is just being set up,
/// unless it is older than this (then it is a leftover of an older version or a crash).
const UNLOCKED_DIR_GRACE: Duration = Duration::from_secs(300);
const APPEND_BUF: usize = 128 * 1024;

#[derive(Debug)]
pub struct FsBlobStore {
    root: PathBuf,
    scratch: PathBuf,
    /// Held (locked) while this store lives: tells other processes this scratch dir is in use.
    _lock: std::fs::File,
}

impl FsBlobStore {
    /// Opens (creating) the blob tree under `root` and this process's scratch directory, and
    /// removes scratch directories of processes that are gone.
    pub fn open(root: &Path) -> io::Result<FsBlobStore> {
        std::fs::create_dir_all(root.join("blobs"))?;
        std::fs::create_dir_all(root.join("tmp"))?;
        let instance = hex::encode(rand::random::<[u8; 8]>());
        let scratch = root.join("tmp").join(&instance);
        std::fs::create_dir(&scratch)?;
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(scratch.join(LOCK_FILE))?;
        lock.try_lock()
            .map_err(|e| io::Error::other(format!("locking scratch dir {}: {e}", scratch.display())))?;
        let store = FsBlobStore {
            root: root.to_path_buf(),
            scratch,
            _lock: lock,
        };
        let removed = store.remove_dead_scratch()?;
        if removed > 0 {
            tracing::info!("removed {removed} scratch dir(s) left by stopped processes");
        }
        Ok(store)
    }

    /// Removes the scratch space of processes that no longer run (their lock is free), and
    /// loose files from older versions that spooled straight into `tmp/`. Returns how many
    /// entries were removed.
    pub fn remove_dead_scratch(&self) -> io::Result<usize> {
        let mut removed = 0;
        for entry in std::fs::read_dir(self.root.join("tmp"))? {
            let entry = entry?;
            let path = entry.path();
            if path == self.scratch {
                continue;
            }
            let ft = entry.file_type()?;
            if ft.is_file() {
                // Older versions spooled into tmp/ directly; no process of this version writes
                // there, so such a file is a leftover.
                std::fs::remove_file(&path)?;
                removed += 1;
                continue;
            }
            if !ft.is_dir() {
                continue;
            }
            match std::fs::OpenOptions::new().write(true).open(path.join(LOCK_FILE)) {
                Ok(f) => {
                    if f.try_lock().is_ok() {
                        // Its process is gone (the lock is released when a process exits).
                        std::fs::remove_dir_all(&path)?;
                        removed += 1;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    let age = entry.metadata()?.modified()?.elapsed().unwrap_or_default();
                    if age > UNLOCKED_DIR_GRACE {
                        std::fs::remove_dir_all(&path)?;
                        removed += 1;
                    }
                }
                Err(e) => return Err(e),
            }
        }
        Ok(removed)
    }

    fn path(&self, key: &str) -> io::Result<PathBuf> {
        // Keys are ours (hex), so no traversal is possible; refuse anything else.
        if key.len() < 4 || !key.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "bad blob key"));
        }
        Ok(self.root.join("blobs").join(&key[..2]).join(key))
    }
}

async fn sync_dir(dir: &Path) -> io::Result<()> {
    tokio::fs::File::open(dir).await?.sync_all().await
}

struct FsAppend {
    writer: tokio::io::BufWriter<tokio::fs::File>,
    written: u64,
}

#[async_trait]
impl BlobAppend for FsAppend {
    async fn write(&mut self, data: &[u8]) -> io::Result<()> {
        self.writer.write_all(data).await?;
        self.written += data.len() as u64;
        Ok(())
    }

    async fn finish(mut self: Box<Self>) -> io::Result<u64> {
        self.writer.flush().await?;
        self.writer.get_ref().sync_data().await?;
        Ok(self.written)
    }
}

#[async_trait]
impl BlobStore for FsBlobStore {
    fn scratch_dir(&self) -> &Path {
        &self.scratch
    }

    async fn put_file(&self, key: &str, file: tempfile::TempPath) -> io::Result<()> {
        let dest = self.path(key)?;
        let dir = dest.parent().map(Path::to_path_buf).unwrap_or_else(|| self.root.clone());
        tokio::fs::create_dir_all(&dir).await?;
        tokio::fs::rename(&file, &dest).await?;
        // The file no longer exists under its scratch name: forget it without deleting anything.
        let _ = file.keep();
        sync_dir(&dir).await
    }

    async fn create_empty(&self, key: &str) -> io::Result<()> {
        let dest = self.path(key)?;
        let dir = dest.parent().map(Path::to_path_buf).unwrap_or_else(|| self.root.clone());
        tokio::fs::create_dir_all(&dir).await?;
        let f = tokio::fs::OpenOptions::new().write(true).create_new(true).open(&dest).await?;
        f.sync_all().await?;
        sync_dir(&dir).await
    }

    async fn open_append(&self, key: &str, offset: u64) -> io::Result<Box<dyn BlobAppend>> {
        let mut f = tokio::fs::OpenOptions::new().write(true).open(self.path(key)?).await?;
        f.set_len(offset).await?;
        f.seek(io::SeekFrom::Start(offset)).await?;
        Ok(Box::new(FsAppend {
            writer: tokio::io::BufWriter::with_capacity(APPEND_BUF, f),
            written: 0,
        }))
    }

    async fn truncate(&self, key: &str, len: u64) -> io::Result<()> {
        let f = tokio::fs::OpenOptions::new().write(true).open(self.path(key)?).await?;
        if f.metadata().await?.len() != len {
            f.set_len(len).await?;
            f.sync_all().await?;
        }
        Ok(())
    }

    async fn len(&self, key: &str) -> io::Result<u64> {
        Ok(tokio::fs::metadata(self.path(key)?).await?.len())
    }

    async fn read(&self, key: &str, range: Option<(u64, u64)>) -> io::Result<BlobReader> {
        use tokio::io::AsyncReadExt;
        let mut f = tokio::fs::File::open(self.path(key)?).await?;
        match range {
            None => Ok(Box::pin(f)),
            Some((start, end)) => {
                f.seek(io::SeekFrom::Start(start)).await?;
                Ok(Box::pin(f.take(end.saturating_sub(start))))
            }
        }
    }

    async fn materialize(&self, key: &str) -> io::Result<Materialized> {
        let src = self.path(key)?;
        let dest = self.scratch.join(format!("view-{}", crate::new_blob_key()));
        // A hard link: no bytes copied, and the caller never holds the stored path. Blobs are
        // immutable once materialized (sessions are cut to their length first).
        if tokio::fs::hard_link(&src, &dest).await.is_err() {
            tokio::fs::copy(&src, &dest).await?;
        }
        Ok(Materialized::new(tempfile::TempPath::try_from_path(dest)?))
    }

    async fn delete(&self, key: &str) -> io::Result<()> {
        match tokio::fs::remove_file(self.path(key)?).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn sweep_scratch(&self) -> io::Result<usize> {
        self.remove_dead_scratch()
    }

    async fn keys_older_than(&self, cutoff: SystemTime) -> io::Result<Vec<String>> {
        let blobs = self.root.join("blobs");
        tokio::task::spawn_blocking(move || -> io::Result<Vec<String>> {
            let mut keys = Vec::new();
            for dir in std::fs::read_dir(blobs)? {
                let dir = dir?;
                if !dir.file_type()?.is_dir() {
                    continue;
                }
                for entry in std::fs::read_dir(dir.path())? {
                    let entry = entry?;
                    let meta = entry.metadata()?;
                    if meta.is_file() && meta.modified().map(|m| m < cutoff).unwrap_or(false) {
                        keys.push(entry.file_name().to_string_lossy().to_string());
                    }
                }
            }
            Ok(keys)
        })
        .await
        .map_err(|e| io::Error::other(format!("listing blobs: {e}")))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    async fn read_all(s: &FsBlobStore, key: &str) -> Vec<u8> {
        let mut v = Vec::new();
        s.read(key, None).await.unwrap().read_to_end(&mut v).await.unwrap();
        v
    }

    #[tokio::test]
    async fn put_append_read_and_reject_bad_keys() {
        let dir = tempfile::tempdir().unwrap();
        let store = FsBlobStore::open(dir.path()).unwrap();
        let tmp = tempfile::NamedTempFile::new_in(store.scratch_dir()).unwrap();
        std::fs::write(tmp.path(), b"hello").unwrap();
        let key = crate::new_blob_key();
        store.put_file(&key, tmp.into_temp_path()).await.unwrap();
        assert_eq!(read_all(&store, &key).await, b"hello");
        let mut a = store.open_append(&key, 3).await.unwrap();
        a.write(b"LO!").await.unwrap();
        assert_eq!(a.finish().await.unwrap(), 3);
        assert_eq!(read_all(&store, &key).await, b"helLO!");
        let mut part = Vec::new();
        store.read(&key, Some((1, 4))).await.unwrap().read_to_end(&mut part).await.unwrap();
        assert_eq!(part, b"elL");
        let m = store.materialize(&key).await.unwrap();
        assert!(m.path().starts_with(store.scratch_dir()));
        assert_eq!(std::fs::read(m.path()).unwrap(), b"helLO!");
        drop(m);
        assert!(store.path("../../etc/passwd").is_err());
        store.delete(&key).await.unwrap();
        assert!(store.read(&key, None).await.is_err());
    }

    #[tokio::test]
    async fn scratch_of_a_live_store_is_kept_and_of_a_gone_one_removed() {
        let dir = tempfile::tempdir().unwrap();
        let a = FsBlobStore::open(dir.path()).unwrap();
        std::fs::write(a.scratch_dir().join("upload-in-flight"), b"x").unwrap();
        let b = FsBlobStore::open(dir.path()).unwrap();
        assert!(
            a.scratch_dir().join("upload-in-flight").exists(),
            "a live process's scratch was removed"
        );
        let gone = a.scratch_dir().to_path_buf();
        drop(a); // the lock is released as when a process dies
        assert!(gone.exists());
        assert_eq!(b.remove_dead_scratch().unwrap(), 1);
        assert!(!gone.exists());
        assert!(b.scratch_dir().exists());
    }
}
