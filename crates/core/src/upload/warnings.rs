//! Upload warnings (`UploadBase::checkWarnings`), computed in MediaWiki's order. They are data;
//! the API renders them (`ApiUpload::transformWarnings`, formatversion-dependent shapes).

use crate::state::AppState;
use crate::title::{self, FileTitle};
use mwupload_store::{NameRecord, StoreResult};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "kebab-case")]
pub enum UploadWarning {
    /// The name was changed to this (illegal characters, case…).
    BadFilename(String),
    /// The extension is not in `$wgFileExtensions` (non-strict mode).
    FiletypeUnwantedType {
        ext: String,
        allowed: Vec<String>,
    },
    /// Larger than `$wgUploadSizeWarning`.
    LargeFile {
        limit: u64,
        size: u64,
    },
    EmptyFile,
    /// A file of this name exists.
    Exists(String),
    /// The description page exists, the file does not.
    PageExists(String),
    /// A file with the same base and another (or normalized) extension exists.
    ExistsNormalized(String),
    /// The name looks like a thumbnail of an existing file.
    Thumb(String),
    /// The name looks like a thumbnail name.
    ThumbName(String),
    /// A camera-default prefix (`IMG`, `DSC_`…).
    BadPrefix(String),
    /// Identical to the current version, uploaded at this TS_MW timestamp.
    NoChange {
        timestamp: String,
    },
    /// Identical to old versions uploaded at these TS_MW timestamps.
    DuplicateVersions(Vec<String>),
    /// A file of this name was deleted.
    WasDeleted(String),
    /// Current files with the same content.
    Duplicate(Vec<String>),
    /// A deleted file with the same content.
    DuplicateArchive(String),
}

impl UploadWarning {
    /// MediaWiki's key for the warning (`exists`, `duplicate`…).
    pub fn key(&self) -> &'static str {
        match self {
            UploadWarning::BadFilename(_) => "badfilename",
            UploadWarning::FiletypeUnwantedType { .. } => "filetype-unwanted-type",
            UploadWarning::LargeFile { .. } => "large-file",
            UploadWarning::EmptyFile => "empty-file",
            UploadWarning::Exists(_) => "exists",
            UploadWarning::PageExists(_) => "page-exists",
            UploadWarning::ExistsNormalized(_) => "exists-normalized",
            UploadWarning::Thumb(_) => "thumb",
            UploadWarning::ThumbName(_) => "thumb-name",
            UploadWarning::BadPrefix(_) => "bad-prefix",
            UploadWarning::NoChange { .. } => "nochange",
            UploadWarning::DuplicateVersions(_) => "duplicateversions",
            UploadWarning::WasDeleted(_) => "was-deleted",
            UploadWarning::Duplicate(_) => "duplicate",
            UploadWarning::DuplicateArchive(_) => "duplicate-archive",
        }
    }
}

/// Warnings in MediaWiki's order.
pub type Warnings = Vec<UploadWarning>;

/// What the warnings are computed about.
pub struct Subject<'a> {
    /// The `filename` parameter as sent.
    pub desired: &'a str,
    pub title: &'a FileTitle,
    pub sha1: &'a str,
    pub size: u64,
}

/// What the warnings read about the name alone (not the bytes): a routed chunk reads it while
/// its body streams (see `chunks::open_routed`).
#[derive(Debug)]
pub struct NameFacts {
    /// The `exists` family's warning, if any (at most one).
    exists: Option<UploadWarning>,
    /// The File page's id, if the page exists (the authorization and the answer use it too).
    pub page_id: Option<i64>,
    /// The current version (the overwrite check and the publish's first round use it too).
    pub current: Option<mwupload_store::FileVersion>,
    /// A deletion is logged for the name (used only when there is no current file).
    was_deleted: bool,
}

pub async fn name_facts(state: &AppState, title: &FileTitle) -> StoreResult<NameFacts> {
    let meta = &state.meta;
    let name = &title.db_key;
    // The "exists" family: at most one of these. (The page, the current version and the
    // deletion log are read in one statement, so they agree with each other.)
    let NameRecord { page, current, deleted } = meta.name_record(name).await?;
    let exists = if current.is_some() {
        Some(UploadWarning::Exists(name.clone()))
    } else if page.is_some() {
        Some(UploadWarning::PageExists(name.clone()))
    } else if let Some(other) = normalized_twin(state, name, &title.final_ext).await? {
        Some(UploadWarning::ExistsNormalized(other))
    } else if let Some(source) = title::thumb_source(name) {
        if meta.current_file(&source).await?.is_some() {
            Some(UploadWarning::Thumb(name.clone()))
        } else {
            Some(UploadWarning::ThumbName(name.clone()))
        }
    } else if title::has_bad_prefix(name) {
        Some(UploadWarning::BadPrefix(name.clone()))
    } else {
        None
    };
    Ok(NameFacts {
        exists,
        page_id: page.map(|p| p.id),
        was_deleted: current.is_none() && deleted,
        current,
    })
}

/// What the warnings read about the bytes' SHA-1: the stored files that have it, and the
/// deleted ones (nothing is read for an unknown SHA-1).
#[derive(Debug, Default)]
pub struct HashFacts {
    files: Vec<String>,
    archived: Vec<String>,
}

pub async fn hash_facts(state: &AppState, sha1: &str) -> StoreResult<HashFacts> {
    if sha1.is_empty() {
        return Ok(HashFacts::default());
    }
    let (files, archived) = tokio::try_join!(state.meta.names_with_sha1(sha1), state.meta.archived_names_with_sha1(sha1))?;
    Ok(HashFacts { files, archived })
}

pub async fn compute(state: &AppState, s: &Subject<'_>) -> StoreResult<Warnings> {
    // (Independent reads: the name's and the SHA-1's at once.)
    let (facts, hashes) = tokio::try_join!(name_facts(state, s.title), hash_facts(state, s.sha1))?;
    compute_with(state, s, &facts, &hashes).await
}

/// [`compute`] with the name's facts (for `s.title`) and the SHA-1's (for `s.sha1`) already read.
pub async fn compute_with(state: &AppState, s: &Subject<'_>, facts: &NameFacts, hashes: &HashFacts) -> StoreResult<Warnings> {
    let meta = &state.meta;
    let name = &s.title.db_key;
    let mut w: Warnings = Vec::new();
    if let Some(fixed) = title::badfilename(s.desired, name) {
        w.push(UploadWarning::BadFilename(fixed));
    }
    if s.title.unwanted_type {
        let allowed: Vec<String> = state.config.uploads.file_extensions.iter().map(|e| e.to_lowercase()).collect();
        w.push(UploadWarning::FiletypeUnwantedType {
            ext: s.title.final_ext.clone(),
            allowed,
        });
    }
    let limit = state.config.uploads.size_warning;
    if limit > 0 && s.size > limit {
        w.push(UploadWarning::LargeFile { limit, size: s.size });
    }
    if s.size == 0 {
        w.push(UploadWarning::EmptyFile);
    }
    w.extend(facts.exists.clone());
    // An empty SHA-1 was not computed because no stored file has the upload's size (a chunk,
    // see `service::chunk`): no file can have the same bytes, so the SHA-1 lookups are skipped.
    let hashed = !s.sha1.is_empty();
    if let Some(cur) = &facts.current {
        if hashed && cur.sha1 == s.sha1 {
            w.push(UploadWarning::NoChange {
                timestamp: cur.timestamp.clone(),
            });
        }
        let old: Vec<String> = if hashed {
            meta.old_versions(name)
                .await?
                .into_iter()
                .filter(|v| v.sha1 == s.sha1)
                .map(|v| v.timestamp)
                .collect()
        } else {
            Vec::new()
        };
        if !old.is_empty() {
            w.push(UploadWarning::DuplicateVersions(old));
        }
    } else if facts.was_deleted {
        w.push(UploadWarning::WasDeleted(name.clone()));
    }
    if !hashed {
        return Ok(w);
    }
    let mut dupes: Vec<String> = hashes.files.iter().filter(|n| *n != name).cloned().collect();
    // `RepoGroup::findBySha1`: shared repositories' files too (all of them: only local files
    // of the upload's own name are left out), sorted by name together (`File::compare`).
    if !state.foreign.is_empty() {
        dupes.extend(state.foreign.find_by_sha1(s.sha1).await.into_iter().map(|f| f.name.clone()));
        dupes.sort();
    }
    if !dupes.is_empty() {
        w.push(UploadWarning::Duplicate(dupes));
    }
    if let Some(first) = hashes.archived.first() {
        w.push(UploadWarning::DuplicateArchive(first.clone()));
    }
    Ok(w)
}

/// `exists-normalized`: a file with the same base and the normalized extension, or any
/// file with the same base and another extension.
async fn normalized_twin(state: &AppState, name: &str, final_ext: &str) -> StoreResult<Option<String>> {
    let Some((base, _)) = name.rsplit_once('.') else { return Ok(None) };
    let norm = title::normalize_extension(final_ext);
    if !norm.is_empty() && norm != final_ext {
        let candidate = format!("{base}.{norm}");
        if state.meta.current_file(&candidate).await?.is_some() {
            return Ok(Some(candidate));
        }
    }
    let prefix = format!("{base}.");
    Ok(state.meta.names_with_prefix(&prefix, 5).await?.into_iter().find(|n| n != name))
}
