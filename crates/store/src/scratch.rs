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
/// A scratch directory being set up (see [`Scratch::open`]).
const STAGING_PREFIX: &str = ".new-";

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
        // Set up under a staging name that other processes' sweeps leave alone, and appear
        // under the real name only with the lock held: a lock file that exists but is not yet
        // locked would look like a dead process's to a sweep running at that moment.
        let staging = parent.join(format!("{STAGING_PREFIX}{instance}"));
        std::fs::create_dir(&staging)?;
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(staging.join(LOCK_FILE))?;
        lock.try_lock()
            .map_err(|e| io::Error::other(format!("locking scratch dir {}: {e}", staging.display())))?;
        let dir = parent.join(&instance);
        std::fs::rename(&staging, &dir)?;
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
            // Processes starting together on one parent sweep the same dead directories: what
            // another one removed first is gone, not an error.
            match Self::remove_if_dead(&entry, &path) {
                Ok(true) => removed += 1,
                Ok(false) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        Ok(removed)
    }

    fn remove_if_dead(entry: &std::fs::DirEntry, path: &Path) -> io::Result<bool> {
        let ft = entry.file_type()?;
        if ft.is_file() {
            // Older versions spooled into the parent directly; no process of this version
            // writes there, so such a file is a leftover.
            std::fs::remove_file(path)?;
            return Ok(true);
        }
        if !ft.is_dir() {
            return Ok(false);
        }
        if entry.file_name().to_string_lossy().starts_with(STAGING_PREFIX) {
            // Another process setting up; only a crash's leftover once old.
            let age = entry.metadata()?.modified()?.elapsed().unwrap_or_default();
            if age > UNLOCKED_DIR_GRACE {
                std::fs::remove_dir_all(path)?;
                return Ok(true);
            }
            return Ok(false);
        }
        match std::fs::OpenOptions::new().write(true).open(path.join(LOCK_FILE)) {
            Ok(f) => {
                if f.try_lock().is_ok() {
                    // Its process is gone (the lock is released when a process exits).
                    std::fs::remove_dir_all(path)?;
                    return Ok(true);
                }
                Ok(false)
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let age = entry.metadata()?.modified()?.elapsed().unwrap_or_default();
                if age > UNLOCKED_DIR_GRACE {
                    std::fs::remove_dir_all(path)?;
                    return Ok(true);
                }
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Processes starting together on one parent all sweep the same dead scratch dirs; none of
    /// them fails because another removed a dir first, only the dead ones go, and no process's
    /// new dir is taken for a dead one while it is being set up.
    #[test]
    fn simultaneous_starts_sweep_dead_dirs_without_failing() {
        for _round in 0..100 {
            let parent = tempfile::tempdir().unwrap();
            for i in 0..8 {
                let d = parent.path().join(format!("dead{i:02}"));
                std::fs::create_dir(&d).unwrap();
                std::fs::write(d.join(LOCK_FILE), b"").unwrap();
                for j in 0..5 {
                    std::fs::write(d.join(format!("spool{j}")), b"x").unwrap();
                }
            }
            let barrier = std::sync::Arc::new(std::sync::Barrier::new(6));
            let opened: Vec<Scratch> = (0..6)
                .map(|_| {
                    let (p, b) = (parent.path().to_path_buf(), barrier.clone());
                    std::thread::spawn(move || {
                        b.wait();
                        Scratch::open(&p)
                    })
                })
                .collect::<Vec<_>>()
                .into_iter()
                .map(|t| t.join().unwrap().expect("a simultaneous start failed"))
                .collect();
            let left: Vec<_> = std::fs::read_dir(parent.path()).unwrap().flatten().map(|e| e.path()).collect();
            assert_eq!(left.len(), 6, "only the live scratch dirs remain: {left:?}");
            assert!(opened.iter().all(|s| s.dir().is_dir()));
        }
    }
}
