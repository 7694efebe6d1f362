//! Blobs on a local disk: `blobs/<2 hex>/<key>`, written to this process's scratch directory
//! first (same filesystem), renamed into place, then fsynced with its directory.
//!
//! Scratch space is per process ([`Scratch`] under `tmp/`), so several processes can share one
//! data directory without deleting each other's uploads in flight.
//!
//! A chunked session is the blob file itself, grown at the session's offset; its adapter state
//! is empty. Appends are written straight through (no buffer), so everything an attempt writes
//! lands while its caller still checks its lease: finishing a stale attempt only fsyncs and
//! can never overwrite bytes a newer attempt committed.

use crate::blob::{BlobAppend, BlobReader, BlobStore, Materialized};
use crate::scratch::Scratch;
use async_trait::async_trait;
use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;
use tokio::io::{AsyncSeekExt, AsyncWriteExt};

#[derive(Debug)]
pub struct FsBlobStore {
    root: PathBuf,
    scratch: Scratch,
}

impl FsBlobStore {
    /// Opens (creating) the blob tree under `root` and this process's scratch directory, and
    /// removes scratch directories of processes that are gone.
    pub fn open(root: &Path) -> io::Result<FsBlobStore> {
        std::fs::create_dir_all(root.join("blobs"))?;
        let scratch = Scratch::open(&root.join("tmp"))?;
        Ok(FsBlobStore {
            root: root.to_path_buf(),
            scratch,
        })
    }

    /// Removes the scratch space of processes that no longer run (see [`Scratch`]).
    pub fn remove_dead_scratch(&self) -> io::Result<usize> {
        self.scratch.remove_dead()
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
    file: tokio::fs::File,
}

#[async_trait]
impl BlobAppend for FsAppend {
    async fn write(&mut self, data: &[u8]) -> io::Result<()> {
        self.file.write_all(data).await?;
        // tokio's File completes writes in the background: wait until this one reached the
        // kernel, so nothing is left to land after the caller's lease check.
        self.file.flush().await
    }

    async fn finish(mut self: Box<Self>) -> io::Result<String> {
        self.file.flush().await?;
        self.file.sync_data().await?;
        Ok(String::new())
    }
}

#[async_trait]
impl BlobStore for FsBlobStore {
    fn scratch_dir(&self) -> &Path {
        self.scratch.dir()
    }

    async fn ready(&self) -> io::Result<()> {
        tokio::fs::metadata(self.root.join("blobs")).await?;
        tokio::fs::metadata(self.scratch.dir()).await.map(|_| ())
    }

    async fn put_file(&self, key: &str, file: tempfile::TempPath) -> io::Result<()> {
        let dest = self.path(key)?;
        let dir = dest.parent().map(Path::to_path_buf).unwrap_or_else(|| self.root.clone());
        tokio::fs::create_dir_all(&dir).await?;
        tokio::fs::rename(&file, &dest).await?;
        // The file no longer exists under its scratch name: forget it without deleting anything.
        let _ = file.keep();
        // The bytes are made durable here, after the rename (the spool writer does not fsync):
        // on a journalling filesystem (ext4, XFS) the file's fsync commits the rename in the
        // same journal transaction, so the directory's fsync that follows has nothing left to
        // write — one journal commit per blob instead of two. Both return before the caller
        // records the blob, so a crash in between leaves at most an unreferenced blob (swept
        // as an orphan), never a row without its bytes.
        let synced = async {
            tokio::fs::File::open(&dest).await?.sync_all().await?;
            sync_dir(&dir).await
        }
        .await;
        if synced.is_err() {
            let _ = tokio::fs::remove_file(&dest).await;
        }
        synced
    }

    async fn begin_session(&self, key: &str) -> io::Result<String> {
        let dest = self.path(key)?;
        let dir = dest.parent().map(Path::to_path_buf).unwrap_or_else(|| self.root.clone());
        tokio::fs::create_dir_all(&dir).await?;
        let f = tokio::fs::OpenOptions::new().write(true).create_new(true).open(&dest).await?;
        f.sync_all().await?;
        sync_dir(&dir).await?;
        Ok(String::new())
    }

    async fn start_session_from_file(&self, key: &str, file: tempfile::TempPath, _len: u64) -> io::Result<String> {
        self.put_file(key, file).await?;
        Ok(String::new())
    }

    async fn append_session(&self, key: &str, _state: &str, offset: u64) -> io::Result<Box<dyn BlobAppend>> {
        let mut file = tokio::fs::OpenOptions::new().write(true).open(self.path(key)?).await?;
        // Bytes past the committed offset are a failed attempt's.
        file.set_len(offset).await?;
        file.seek(io::SeekFrom::Start(offset)).await?;
        Ok(Box::new(FsAppend { file }))
    }

    async fn finish_session(&self, key: &str, _state: &str, size: u64) -> io::Result<()> {
        // Bytes past the offset are a failed attempt's; the blob is exactly `size` bytes.
        let f = tokio::fs::OpenOptions::new().write(true).open(self.path(key)?).await?;
        if f.metadata().await?.len() != size {
            f.set_len(size).await?;
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
        let dest = self.scratch.dir().join(format!("view-{}", crate::new_blob_key()));
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
        self.scratch.remove_dead()
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
        let mut a = store.append_session(&key, "", 3).await.unwrap();
        a.write(b"LO!").await.unwrap();
        assert_eq!(a.finish().await.unwrap(), "");
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
