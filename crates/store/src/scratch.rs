//! Per-process scratch space: `<parent>/<instance>/`, holding an exclusive lock on
//! `<parent>/<instance>/.lock` for the life of the store. Request bodies are spooled here and
//! analysis copies are made here. Another process's scratch directory is removed only once its
//! lock can be taken, i.e. when that process is gone — so several processes can share one
//! parent without deleting each other's uploads in flight.

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

const LOCK_FILE: &str = ".lock";
/// A scratch directory without a lock file is another process's that is just being set up,
/// unless it is older than this (then it is a leftover of an older version or a crash).
const UNLOCKED_DIR_GRACE: Duration = Duration::from_secs(300);

#[derive(Debug)]
pub struct Scratch {
    parent: PathBuf,
    dir: PathBuf,
    /// Held (locked) while this value lives: tells other processes this dir is in use.
    _lock: std::fs::File,
}

impl Scratch {
    /// Creates this process's scratch directory under `parent` and removes those of processes
    /// that are gone.
    pub fn open(parent: &Path) -> io::Result<Scratch> {
        std::fs::create_dir_all(parent)?;
        let instance = hex::encode(rand::random::<[u8; 8]>());
        let dir = parent.join(&instance);
        std::fs::create_dir(&dir)?;
        // Lock under a temporary name, then rename: another process that finds `.lock` always
        // finds it locked (a lock file created and not yet locked would look abandoned to it).
        let pending = dir.join(".lock.pending");
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&pending)?;
        lock.try_lock()
            .map_err(|e| io::Error::other(format!("locking scratch dir {}: {e}", dir.display())))?;
        std::fs::rename(&pending, dir.join(LOCK_FILE))?;
        let scratch = Scratch {
            parent: parent.to_path_buf(),
            dir,
            _lock: lock,
        };
        let removed = scratch.remove_dead()?;
        if removed > 0 {
            tracing::info!("removed {removed} scratch dir(s) left by stopped processes");
        }
        Ok(scratch)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Removes the scratch space of processes that no longer run (their lock is free), and
    /// loose files from older versions that spooled straight into the parent. Returns how many
    /// entries were removed.
    pub fn remove_dead(&self) -> io::Result<usize> {
        let mut removed = 0;
        for entry in std::fs::read_dir(&self.parent)? {
            let entry = entry?;
            let path = entry.path();
            if path == self.dir {
                continue;
            }
            let ft = entry.file_type()?;
            if ft.is_file() {
                // Older versions spooled into the parent directly; no process of this version
                // writes there, so such a file is a leftover.
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
}
