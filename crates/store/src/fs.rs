//! Blobs on a local disk: `blobs/<2 hex>/<key>`, written to this process's scratch directory
//! first (same filesystem), renamed into place, then fsynced with its directory.
//!
//! Scratch space is per process ([`Scratch`] under `tmp/`), so several processes can share one
//! data directory without deleting each other's uploads in flight.
//!
//! A chunked session is the blob file itself, grown at the session's offset; its adapter state
//! is empty. Appends have no buffer of their own (callers batch); each batch is written on a
//! blocking thread while the caller gathers the next one (starting the file's write-back every
//! MiB, see [`WRITEBACK_EVERY`]), at most one at a time, and
//! [`BlobAppend::settle`] waits for it: a caller that checks its lease before each batch and
//! settles before giving the lease up has everything its attempt wrote land while it holds the
//! lease, so finishing a stale attempt only fsyncs and can never overwrite bytes a newer attempt
//! committed.

use crate::blob::{BlobAppend, BlobReader, BlobStore, Materialized};
use crate::scratch::Scratch;
use async_trait::async_trait;
use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;
use tokio::io::AsyncSeekExt;

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

/// Bytes an append writes between two starts of its file's write-back. A chunk's answer waits
/// for its bytes to be on disk; starting the write-back while the rest of the chunk still
/// streams in overlaps it with the network and the hashing, so the sync that ends the append
/// only waits for the last stretch instead of the whole chunk (MediaWiki's clients send one
/// chunk at a time).
const WRITEBACK_EVERY: u64 = 1 << 20;

/// Starts writing `file`'s dirty pages to the disk without waiting for them
/// (`sync_file_range(SYNC_FILE_RANGE_WRITE)`), on the thread that wrote them: no task of its
/// own (a background `fdatasync` per MiB cost a hand-off to another thread and back, five per
/// 5 MiB chunk). Only a head start: durability comes from the append's final sync, which also
/// reports any write error, so a failure here is ignored.
#[cfg(target_os = "linux")]
fn start_writeback(file: &std::fs::File) {
    use std::os::fd::AsRawFd;
    // SAFETY: a syscall on a descriptor `file` keeps open; it reads no memory of ours.
    unsafe {
        libc::sync_file_range(file.as_raw_fd(), 0, 0, libc::SYNC_FILE_RANGE_WRITE);
    }
}

#[cfg(not(target_os = "linux"))]
fn start_writeback(_: &std::fs::File) {}

struct FsAppend {
    /// The session's file, opened by the first write on its writing thread (opening it is no
    /// hand-off of its own before the first bytes; see [`open_at`]).
    file: Option<std::sync::Arc<std::fs::File>>,
    path: PathBuf,
    /// Where this append starts (the session's committed offset).
    offset: u64,
    /// Bytes written (or being written) since the file's write-back was last started.
    since_writeback: u64,
    /// Everything written is durable: the last batch written also synced the file.
    durable: bool,
    /// The batch being written (at most one), handed back once written with the file it was
    /// written to. It stays here while it is awaited, so a caller dropped mid-wait still leaves
    /// it for [`BlobAppend::settle`].
    writing: Option<tokio::task::JoinHandle<io::Result<Written>>>,
}

/// A written batch: the file it went to, its buffer, and whether the file was synced after it.
type Written = (std::sync::Arc<std::fs::File>, Vec<u8>, bool);

/// Opens a session's file for writing at `offset`. Bytes past the committed offset are a failed
/// attempt's: they are cut off.
fn open_at(path: &Path, offset: u64) -> io::Result<std::fs::File> {
    let mut file = std::fs::OpenOptions::new().write(true).open(path)?;
    if file.metadata()?.len() != offset {
        file.set_len(offset)?;
    }
    io::Seek::seek(&mut file, io::SeekFrom::Start(offset))?;
    Ok(file)
}

impl FsAppend {
    /// Waits for the batch being written, if any, and hands its buffer back.
    async fn wait_write(&mut self) -> io::Result<Option<Vec<u8>>> {
        let Some(h) = self.writing.as_mut() else {
            return Ok(None);
        };
        let written = h.await;
        self.writing = None;
        let (file, buf, synced) = written.map_err(io::Error::other)??;
        self.file = Some(file);
        self.durable = synced;
        Ok(Some(buf))
    }

    /// The file, or what opens it on the thread that uses it.
    fn file_or_open(&self) -> impl FnOnce() -> io::Result<std::sync::Arc<std::fs::File>> + Send + 'static {
        let (file, path, offset) = (self.file.clone(), self.path.clone(), self.offset);
        move || match file {
            Some(f) => Ok(f),
            None => Ok(std::sync::Arc::new(open_at(&path, offset)?)),
        }
    }

    /// Starts writing `data` on a blocking thread (opening the file first if no write has yet),
    /// and syncing the file after it if `sync`, or else starting its write-back once
    /// [`WRITEBACK_EVERY`] bytes were written since the last start. The previous batch must have
    /// been waited for.
    fn start_write(&mut self, data: Vec<u8>, sync: bool) {
        self.durable = false;
        self.since_writeback += data.len() as u64;
        let writeback = !sync && self.since_writeback >= WRITEBACK_EVERY;
        if sync || writeback {
            self.since_writeback = 0;
        }
        let file = self.file_or_open();
        self.writing = Some(tokio::task::spawn_blocking(move || {
            let file = file()?;
            io::Write::write_all(&mut &*file, &data)?;
            if sync {
                file.sync_data()?;
            } else if writeback {
                start_writeback(&file);
            }
            Ok((file, data, sync))
        }));
    }
}

#[async_trait]
impl BlobAppend for FsAppend {
    async fn write(&mut self, data: &[u8]) -> io::Result<()> {
        self.write_owned(data.to_vec()).await.map(|_| ())
    }

    /// Starts writing `data` and returns the previous batch's buffer once that one is written
    /// (an empty one the first time): hashing and gathering the next batch overlap this write.
    async fn write_owned(&mut self, data: Vec<u8>) -> io::Result<Vec<u8>> {
        let spare = self.wait_write().await?.unwrap_or_default();
        self.start_write(data, false);
        Ok(spare)
    }

    /// Writes `data` and syncs the file in one blocking task (its sync covers everything
    /// written).
    async fn write_last(&mut self, data: Vec<u8>) -> io::Result<Vec<u8>> {
        let spare = self.wait_write().await?.unwrap_or_default();
        self.start_write(data, true);
        Ok(spare)
    }

    async fn settle(&mut self) -> io::Result<Option<Vec<u8>>> {
        self.wait_write().await
    }

    async fn finish(mut self: Box<Self>) -> io::Result<String> {
        self.wait_write().await?;
        // (A last batch whose task synced the file leaves nothing to sync.)
        if self.durable {
            return Ok(String::new());
        }
        // (Nothing written: the file is still opened, which cuts a failed attempt's bytes off.)
        let file = self.file_or_open();
        tokio::task::spawn_blocking(move || file()?.sync_data())
            .await
            .map_err(io::Error::other)??;
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
        // One blocking call for the whole sequence (a small upload's bytes are already written:
        // six thread hand-offs cost more than the syscalls).
        tokio::task::spawn_blocking(move || -> io::Result<()> {
            // The fan-out directory nearly always exists: create it only when the rename says
            // it does not (a mkdir per upload contends on the parent directory's lock).
            if let Err(e) = std::fs::rename(&file, &dest) {
                if e.kind() != io::ErrorKind::NotFound {
                    return Err(e);
                }
                std::fs::create_dir_all(&dir)?;
                std::fs::rename(&file, &dest)?;
            }
            // The file no longer exists under its scratch name: forget it without deleting anything.
            let _ = file.keep();
            // The bytes are made durable here, after the rename (the spool writer does not
            // fsync): on a journalling filesystem (ext4, XFS) the file's fsync commits the
            // rename in the same journal transaction, so the directory's fsync that follows has
            // nothing left to write — one journal commit per blob instead of two. Both return
            // before the caller records the blob, so a crash in between leaves at most an
            // unreferenced blob (swept as an orphan), never a row without its bytes.
            let synced = std::fs::File::open(&dest)
                .and_then(|f| f.sync_all())
                .and_then(|()| std::fs::File::open(&dir)?.sync_all());
            if synced.is_err() {
                let _ = std::fs::remove_file(&dest);
            }
            synced
        })
        .await
        .map_err(io::Error::other)?
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
        Ok(Box::new(FsAppend {
            file: None,
            path: self.path(key)?,
            offset,
            since_writeback: 0,
            durable: false,
            writing: None,
        }))
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

    /// An append opens its file with its first write (an append that writes nothing still cuts
    /// a failed attempt's bytes off when it finishes), and a last batch written with its sync
    /// (`write_last`) lands like any other, also after the file's write-back was started.
    #[tokio::test]
    async fn appends_open_their_file_with_the_first_write_and_end_with_a_synced_last_batch() {
        let dir = tempfile::tempdir().unwrap();
        let store = FsBlobStore::open(dir.path()).unwrap();
        let key = crate::new_blob_key();
        store.begin_session(&key).await.unwrap();
        // Opening a missing blob's session is not an error until something is written.
        let mut gone = store.append_session("abcd0123", "", 0).await.unwrap();
        assert!(gone.write_owned(b"x".to_vec()).await.is_ok(), "the write is only started");
        assert!(gone.settle().await.is_err(), "and fails where the file is opened");
        let mut a = store.append_session(&key, "", 0).await.unwrap();
        let spare = a.write_owned(vec![1u8; 3 << 20]).await.unwrap();
        assert!(spare.is_empty(), "nothing written before: no buffer to hand back");
        let back = a.write_last(vec![2u8; 1000]).await.unwrap();
        assert_eq!(back.len(), 3 << 20, "the previous batch's buffer comes back");
        assert_eq!(a.settle().await.unwrap().map(|b| b.len()), Some(1000));
        a.finish().await.unwrap();
        let mut want = vec![1u8; 3 << 20];
        want.extend_from_slice(&[2u8; 1000]);
        assert_eq!(read_all(&store, &key).await, want);
        // A failed attempt's bytes past the offset go, even when the next attempt writes nothing.
        let a = store.append_session(&key, "", 10).await.unwrap();
        a.finish().await.unwrap();
        assert_eq!(read_all(&store, &key).await, vec![1u8; 10]);
        // A batch written after a last one is written and synced as usual.
        let mut a = store.append_session(&key, "", 10).await.unwrap();
        a.write_last(b"ab".to_vec()).await.unwrap();
        a.write_owned(b"cd".to_vec()).await.unwrap();
        a.finish().await.unwrap();
        assert_eq!(&read_all(&store, &key).await[10..], b"abcd");
    }

    /// Many small writes crossing several write-back starts, then a retry from an earlier
    /// offset: the blob holds exactly what was written, in order.
    #[tokio::test]
    async fn appends_across_writeback_starts_keep_every_byte_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let store = FsBlobStore::open(dir.path()).unwrap();
        let key = crate::new_blob_key();
        store.begin_session(&key).await.unwrap();
        let piece = |i: usize| vec![(i % 251) as u8; 100_003];
        let mut a = store.append_session(&key, "", 0).await.unwrap();
        for i in 0..40 {
            a.write(&piece(i)).await.unwrap();
        }
        a.finish().await.unwrap();
        let want: Vec<u8> = (0..40).flat_map(piece).collect();
        assert_eq!(read_all(&store, &key).await, want);
        // An attempt from offset 1 MiB + 5 cuts what followed and writes again from there.
        let at = (1 << 20) + 5;
        let mut b = store.append_session(&key, "", at as u64).await.unwrap();
        b.write(&want[at..at + 2_000_000]).await.unwrap();
        b.write(b"tail").await.unwrap();
        b.finish().await.unwrap();
        let mut again = want[..at + 2_000_000].to_vec();
        again.extend_from_slice(b"tail");
        assert_eq!(read_all(&store, &key).await, again);
    }

    /// `write_owned` starts a batch's write and hands back the previous batch's buffer once
    /// that one landed; `settle` waits for the last one (what a lease holder does before it
    /// gives the lease up) and hands its buffer back, so the file holds every batch, in order,
    /// with nothing running.
    #[tokio::test]
    async fn owned_batches_are_written_one_behind_and_settle_waits_for_the_last() {
        let dir = tempfile::tempdir().unwrap();
        let store = FsBlobStore::open(dir.path()).unwrap();
        let key = crate::new_blob_key();
        store.begin_session(&key).await.unwrap();
        let mut a = store.append_session(&key, "", 0).await.unwrap();
        let batch = |i: usize| vec![(i % 253) as u8; 131_072];
        let first = a.write_owned(batch(0)).await.unwrap();
        assert_eq!(first.capacity(), 0, "nothing was written before the first batch");
        for i in 1..20 {
            let back = a.write_owned(batch(i)).await.unwrap();
            assert_eq!(back, batch(i - 1), "the buffer handed back is the batch before, written");
        }
        let last = a.settle().await.unwrap().expect("the last batch's buffer is handed back");
        assert_eq!(last, batch(19));
        assert_eq!(a.settle().await.unwrap(), None, "nothing is being written any more");
        let want: Vec<u8> = (0..20).flat_map(batch).collect();
        let on_disk = std::fs::read(store.path(&key).unwrap()).unwrap();
        assert_eq!(on_disk.len(), want.len(), "settled: the last batch landed");
        assert!(on_disk == want);
        a.finish().await.unwrap();
        assert!(read_all(&store, &key).await == want);
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
