//! File bytes. Every stored version is one immutable blob named by a random key; publishing,
//! archiving and deleting only change which database row points at it (no copies, no moves).
//!
//! Only the local-disk backend exists today; the interface is what an S3 backend implements too.

use std::io;
use std::path::{Path, PathBuf};
use tokio::io::AsyncWriteExt;

#[derive(Clone, Debug)]
pub struct BlobStore {
    root: PathBuf,
}

impl BlobStore {
    /// Opens (creating) the blob tree under `root`: `blobs/` for stored bytes, `tmp/` for spooling.
    pub fn open_local(root: &Path) -> io::Result<BlobStore> {
        std::fs::create_dir_all(root.join("blobs"))?;
        std::fs::create_dir_all(root.join("tmp"))?;
        Ok(BlobStore { root: root.to_path_buf() })
    }

    /// Where request bodies are spooled: on the same filesystem as the blobs, so adoption is a rename.
    pub fn spool_dir(&self) -> PathBuf {
        self.root.join("tmp")
    }

    /// Removes spool files left by a crash (a request cut off mid-upload by SIGKILL). Only safe
    /// when no request is running, i.e. at start-up of the single-process server.
    pub fn clear_spool(&self) -> io::Result<usize> {
        let mut n = 0;
        for entry in std::fs::read_dir(self.spool_dir())? {
            let entry = entry?;
            if entry.file_type()?.is_file() {
                std::fs::remove_file(entry.path())?;
                n += 1;
            }
        }
        Ok(n)
    }

    /// Keys of all stored blobs last modified before `older_than` (for the orphan sweep).
    pub fn keys_older_than(&self, older_than: std::time::SystemTime) -> io::Result<Vec<String>> {
        let mut keys = Vec::new();
        for dir in std::fs::read_dir(self.root.join("blobs"))? {
            let dir = dir?;
            if !dir.file_type()?.is_dir() {
                continue;
            }
            for entry in std::fs::read_dir(dir.path())? {
                let entry = entry?;
                let meta = entry.metadata()?;
                if meta.is_file() && meta.modified().map(|m| m < older_than).unwrap_or(false) {
                    keys.push(entry.file_name().to_string_lossy().to_string());
                }
            }
        }
        Ok(keys)
    }

    /// A fresh, unguessable blob key.
    pub fn new_key() -> String {
        let bytes: [u8; 16] = rand::random();
        hex::encode(bytes)
    }

    /// The local path of a blob (keys are validated: hex only, so no traversal is possible).
    pub fn path(&self, key: &str) -> io::Result<PathBuf> {
        if key.len() < 4 || !key.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "bad blob key"));
        }
        Ok(self.root.join("blobs").join(&key[..2]).join(key))
    }

    /// Moves a fully written, fsynced temp file into the store under `key` (rename, then fsync the dir).
    pub async fn adopt(&self, temp: tempfile::TempPath, key: &str) -> io::Result<()> {
        let dest = self.path(key)?;
        let dir = dest.parent().map(Path::to_path_buf).unwrap_or_else(|| self.root.clone());
        tokio::fs::create_dir_all(&dir).await?;
        let temp_path = temp.to_path_buf();
        tokio::fs::rename(&temp_path, &dest).await?;
        // The temp file no longer exists under its old name; forget it without deleting anything.
        let _ = temp.keep();
        sync_dir(&dir).await
    }

    /// Creates an empty blob for appending chunks to.
    pub async fn create_empty(&self, key: &str) -> io::Result<()> {
        let dest = self.path(key)?;
        if let Some(dir) = dest.parent() {
            tokio::fs::create_dir_all(dir).await?;
        }
        let f = tokio::fs::OpenOptions::new().write(true).create_new(true).open(&dest).await?;
        f.sync_all().await?;
        if let Some(dir) = dest.parent() {
            sync_dir(dir).await?;
        }
        Ok(())
    }

    /// Writes `src`'s bytes into blob `key` at byte `offset` (truncating anything after it, so a
    /// retried chunk after a crash overwrites a partial tail), then fsyncs.
    pub async fn write_at(&self, key: &str, offset: u64, src: &Path) -> io::Result<u64> {
        use tokio::io::AsyncSeekExt;
        let dest = self.path(key)?;
        let mut out = tokio::fs::OpenOptions::new().write(true).open(&dest).await?;
        out.set_len(offset).await?;
        out.seek(io::SeekFrom::Start(offset)).await?;
        let mut input = tokio::fs::File::open(src).await?;
        let n = tokio::io::copy(&mut input, &mut out).await?;
        out.flush().await?;
        out.sync_all().await?;
        Ok(n)
    }

    /// Like `write_at`, but feeds every copied byte to `hasher` (a chunked upload's running SHA-1),
    /// so the whole file's hash is complete when its last byte lands.
    pub async fn write_at_hashing(
        &self,
        key: &str,
        offset: u64,
        src: &Path,
        mut hasher: Option<sha1::Sha1>,
    ) -> io::Result<(u64, Option<sha1::Sha1>)> {
        use sha1::Digest;
        let dest = self.path(key)?;
        let src = src.to_path_buf();
        tokio::task::spawn_blocking(move || -> io::Result<(u64, Option<sha1::Sha1>)> {
            use std::io::{Read, Seek, Write};
            let mut out = std::fs::OpenOptions::new().write(true).open(&dest)?;
            out.set_len(offset)?;
            out.seek(io::SeekFrom::Start(offset))?;
            let mut input = std::fs::File::open(&src)?;
            let mut buf = vec![0u8; 1 << 20];
            let mut n = 0u64;
            loop {
                let k = input.read(&mut buf)?;
                if k == 0 {
                    break;
                }
                if let Some(h) = hasher.as_mut() {
                    h.update(&buf[..k]);
                }
                out.write_all(&buf[..k])?;
                n += k as u64;
            }
            out.sync_all()?;
            Ok((n, hasher))
        })
        .await
        .map_err(|e| io::Error::other(format!("copy task failed: {e}")))?
    }

    /// Current length of a blob.
    pub async fn len(&self, key: &str) -> io::Result<u64> {
        Ok(tokio::fs::metadata(self.path(key)?).await?.len())
    }

    pub async fn open(&self, key: &str) -> io::Result<tokio::fs::File> {
        tokio::fs::File::open(self.path(key)?).await
    }

    pub async fn delete(&self, key: &str) -> io::Result<()> {
        match tokio::fs::remove_file(self.path(key)?).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        }
    }
}

async fn sync_dir(dir: &Path) -> io::Result<()> {
    let d = tokio::fs::File::open(dir).await?;
    d.sync_all().await
}

#[cfg(test)]
mod tests {
    use super::*;
    #[tokio::test]
    async fn adopt_write_at_and_reject_bad_keys() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open_local(dir.path()).unwrap();
        let tmp = tempfile::NamedTempFile::new_in(store.spool_dir()).unwrap();
        std::fs::write(tmp.path(), b"hello").unwrap();
        let key = BlobStore::new_key();
        store.adopt(tmp.into_temp_path(), &key).await.unwrap();
        assert_eq!(std::fs::read(store.path(&key).unwrap()).unwrap(), b"hello");
        let src = dir.path().join("src");
        std::fs::write(&src, b"LO!").unwrap();
        store.write_at(&key, 3, &src).await.unwrap();
        assert_eq!(std::fs::read(store.path(&key).unwrap()).unwrap(), b"helLO!");
        assert!(store.path("../../etc/passwd").is_err());
        store.delete(&key).await.unwrap();
        assert!(store.open(&key).await.is_err());
    }
}
