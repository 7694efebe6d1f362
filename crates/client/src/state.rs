//! The uploader's resume state: a small JSON file that remembers, per local file, its SHA-1 and
//! size and where its upload stands on the wiki (chunk session filekey and acknowledged offset,
//! or the stash key of the complete file). Written atomically (temp file, fsync, rename) after
//! every change, so a crash or Ctrl-C leaves either the old or the new state.

use crate::upload::Resume;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// What is remembered about one file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// The `api.php` the upload went to.
    pub api: String,
    /// The wiki name it is being uploaded as.
    pub wiki_name: String,
    pub sha1: String,
    pub size: u64,
    #[serde(flatten)]
    pub resume: Resume,
    /// Unix time of the last update.
    pub updated: u64,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Doc {
    version: u32,
    /// Keyed by the file's absolute path.
    files: BTreeMap<String, Entry>,
}

/// The state file, shared by all uploads of one run.
pub struct StateFile {
    path: PathBuf,
    doc: Mutex<Doc>,
}

impl StateFile {
    /// Loads `path` (a missing file is an empty state; an unreadable one is an error).
    pub fn open(path: impl Into<PathBuf>) -> anyhow::Result<StateFile> {
        let path = path.into();
        let doc = match std::fs::read(&path) {
            Ok(b) => serde_json::from_slice(&b)
                .map_err(|e| anyhow::anyhow!("state file {} is damaged ({e}); remove it to start over", path.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Doc {
                version: 1,
                ..Doc::default()
            },
            Err(e) => return Err(anyhow::anyhow!("reading state file {}: {e}", path.display())),
        };
        Ok(StateFile {
            path,
            doc: Mutex::new(doc),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The entry for `file`, if any.
    pub fn get(&self, file: &str) -> Option<Entry> {
        self.lock().files.get(file).cloned()
    }

    /// Records (or replaces) the entry for `file` and saves.
    pub fn put(&self, file: &str, entry: Entry) -> std::io::Result<()> {
        let mut d = self.lock();
        d.files.insert(file.to_string(), entry);
        self.save(&d)
    }

    /// Forgets `file` and saves (the state file is removed when nothing is left).
    pub fn remove(&self, file: &str) -> std::io::Result<()> {
        let mut d = self.lock();
        if d.files.remove(file).is_none() {
            return Ok(());
        }
        if d.files.is_empty() {
            return match std::fs::remove_file(&self.path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
                _ => Ok(()),
            };
        }
        self.save(&d)
    }

    pub fn len(&self) -> usize {
        self.lock().files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Doc> {
        self.doc.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Writes the whole document to a temp file beside the state file, fsyncs it and renames it
    /// over the old one (then fsyncs the directory), under the lock.
    fn save(&self, d: &Doc) -> std::io::Result<()> {
        let dir = match self.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = self.path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
        let bytes = serde_json::to_vec_pretty(d).map_err(std::io::Error::other)?;
        {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(&bytes)?;
            f.sync_all()?;
        }
        std::fs::rename(&tmp, &self.path)?;
        if let Ok(d) = std::fs::File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }
}

pub(crate) fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_removal() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("state.json");
        let s = StateFile::open(&p).unwrap();
        assert!(s.is_empty());
        let e = Entry {
            api: "http://x/w/api.php".into(),
            wiki_name: "A.png".into(),
            sha1: "ab".into(),
            size: 10,
            resume: Resume::Chunks {
                filekey: "k.1.png".into(),
                offset: 4,
            },
            updated: 1,
        };
        s.put("/a.png", e.clone()).unwrap();
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(text.contains("\"stage\": \"chunks\"") && text.contains("\"offset\": 4"), "{text}");
        let s2 = StateFile::open(&p).unwrap();
        assert_eq!(s2.get("/a.png"), Some(e));
        s2.remove("/a.png").unwrap();
        assert!(!p.exists(), "an empty state leaves no file");
        std::fs::write(&p, "{not json").unwrap();
        assert!(StateFile::open(&p).is_err());
    }
}
