//! MediaWiki's `verifyUpload` in its order: empty → size → content → name. Content checks come
//! before name checks (a PNG named `.exe` is a MIME mismatch, not a banned type).

use super::error::{NameProblem, UploadError};
use crate::state::AppState;
use crate::title::{self, FileTitle, TitleError};
use mwupload_media::{self as media, MediaInfo};
use mwupload_store::{StashRow, StoreError};
use std::path::{Path, PathBuf};

/// A rejected upload. Recoverable rejections (bad names) let the caller stash the file and
/// return its filekey with the error, as MediaWiki does.
#[derive(Debug)]
pub struct Rejection {
    pub error: UploadError,
    pub recoverable: bool,
}

impl Rejection {
    fn fatal(error: UploadError) -> Rejection {
        Rejection { error, recoverable: false }
    }
}

/// Files up to this size are analyzed and verified on the request's own thread: reading a few
/// pages from the page cache takes microseconds, less than the two thread switches of handing
/// the work to the blocking pool and back (a 10 KiB upload made ~88 context switches;
/// docs/benchmarks.md). Larger files are read off the async runtime.
const INLINE_MAX: u64 = 64 * 1024;

/// Runs `work` (reads of a file of `size` bytes) here if the file is small, else on the
/// blocking pool.
async fn file_work<T: Send + 'static>(size: u64, work: impl FnOnce() -> T + Send + 'static) -> Result<T, tokio::task::JoinError> {
    if size <= INLINE_MAX {
        return Ok(work());
    }
    tokio::task::spawn_blocking(work).await
}

/// Sniffs type, dimensions and metadata of a file of `size` bytes (bounded reads; off the
/// async runtime unless the file is small).
pub async fn analyze(path: PathBuf, size: u64) -> std::io::Result<MediaInfo> {
    file_work(size, move || media::analyze(&path))
        .await
        .map_err(|e| std::io::Error::other(format!("analysis task failed: {e}")))?
}

/// The name rules from configuration.
pub fn title_rules(state: &AppState) -> title::TitleRules {
    let cfg = &state.config.uploads;
    title::TitleRules {
        file_extensions: cfg.file_extensions.clone(),
        prohibited_extensions: cfg.prohibited_extensions.clone(),
        check_extensions: true,
        strict_extensions: cfg.strict_extensions,
    }
}

/// The domain's view of a name problem (all recoverable except a banned type).
pub fn title_rejection(state: &AppState, e: TitleError) -> Rejection {
    let (problem, recoverable) = match e {
        TitleError::TooLong => (NameProblem::TooLong, true),
        TitleError::Illegal { filtered } => (NameProblem::Illegal { filtered }, true),
        TitleError::FiletypeMissing => (NameProblem::MissingExtension, true),
        TitleError::TooShort => (NameProblem::TooShort, true),
        TitleError::Banned { final_ext, blacklisted } => {
            let mut allowed: Vec<String> = Vec::new();
            for e in &state.config.uploads.file_extensions {
                let e = e.to_lowercase();
                if !allowed.contains(&e) {
                    allowed.push(e);
                }
            }
            (
                NameProblem::BannedType {
                    final_ext,
                    blacklisted,
                    allowed,
                },
                false,
            )
        }
    };
    Rejection {
        error: UploadError::Name(problem),
        recoverable,
    }
}

/// Name-only checks (chunk requests, which have no complete file yet).
pub fn check_name(state: &AppState, filename: &str) -> Result<FileTitle, Rejection> {
    title::file_title(filename, &title_rules(state), None).map_err(|e| title_rejection(state, e))
}

/// verifyUpload's first two checks: an empty file, a file over the size limit.
fn check_size(state: &AppState, size: u64) -> Result<(), Rejection> {
    if size == 0 {
        return Err(Rejection::fatal(UploadError::EmptyFile));
    }
    if size > state.config.uploads.max_upload_size {
        return Err(Rejection::fatal(UploadError::FileTooLarge));
    }
    Ok(())
}

/// The full verification of a complete file.
pub async fn check_file(state: &AppState, path: &Path, info: &MediaInfo, size: u64, filename: &str) -> Result<FileTitle, Rejection> {
    check_size(state, size)?;
    let guessed = media::canonical_extension(&info.mime);
    let name = title::file_title(filename, &title_rules(state), guessed);
    // The extension the content must match: the final one if the name is valid, else what was typed.
    let ext = match &name {
        Ok(t) => t.final_ext.clone(),
        // getTitle() set mFinalExtension (from the DB key: "x. png" gives "_png") before it
        // refused the type; verifyFile() runs first and checks the content against it.
        Err(title::TitleError::Banned { final_ext, .. }) => final_ext.clone(),
        Err(_) => filename.rsplit_once('.').map(|(_, e)| e.to_string()).unwrap_or_default(),
    };
    let p = path.to_path_buf();
    let info2 = info.clone();
    let verdict = file_work(size, move || {
        media::verify_content(&p, &info2, &ext, &media::VerifyConfig::default())
    })
    .await
    .map_err(|e| {
        Rejection::fatal(UploadError::Storage {
            message: format!("verification task: {e}"),
        })
    })?;
    if let Err(r) = verdict {
        return Err(Rejection::fatal(UploadError::Verification {
            info: r.info,
            details: r.details,
        }));
    }
    name.map_err(|e| title_rejection(state, e))
}

/// The full verification of a stash entry published as `filename` (MediaWiki's UploadFromStash
/// verifies the stashed file again). The content checks' verdict depends only on the bytes,
/// which a stash entry never changes, and on the final extension: an entry that passed them
/// under the final extension `filename` has (`StashRow::verified_ext`) is not read again — a
/// 256 MiB assembly is not re-read at publish. The size and name checks always run.
pub async fn check_stashed(state: &AppState, row: &StashRow, filename: &str) -> Result<Result<FileTitle, Rejection>, StoreError> {
    if let Some(verified) = row.verified_ext.as_deref().filter(|e| !e.is_empty())
        && let Ok(title) = title::file_title(filename, &title_rules(state), None)
        && title.final_ext == verified
    {
        return Ok(check_size(state, row.size as u64).map(|()| title));
    }
    let local = state.blobs.materialize(&row.blob_key).await?;
    let info = analyze(local.to_path_buf(), row.size as u64).await?;
    Ok(check_file(state, local.path(), &info, row.size as u64, filename).await)
}

/// MediaWiki's `UploadFromChunks::verifyChunk`: `verifyPartialFile` on one chunk's bytes alone,
/// checked against `ext` (the first chunk: the final extension of the name; MediaWiki checks
/// later chunks against the session key's extension).
pub async fn check_chunk(path: &Path, info: &MediaInfo, ext: &str) -> Result<(), UploadError> {
    let (p, info, ext) = (path.to_path_buf(), info.clone(), ext.to_string());
    let verdict = tokio::task::spawn_blocking(move || media::verify_partial(&p, &info, &ext, &media::VerifyConfig::default()))
        .await
        .map_err(|e| UploadError::Storage {
            message: format!("verification task: {e}"),
        })?;
    verdict.map_err(|r| UploadError::ChunkRejected {
        info: r.info,
        details: r.details,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small file's reads run on the request's own thread (no hand-off to the blocking pool
    /// and back); a larger one's never do.
    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn small_files_are_read_in_place_and_larger_ones_off_the_runtime() {
        let here = std::thread::current().id();
        let small = file_work(INLINE_MAX, || std::thread::current().id()).await.unwrap();
        assert_eq!(small, here, "a small file's work ran on another thread");
        let large = file_work(INLINE_MAX + 1, || std::thread::current().id()).await.unwrap();
        assert_ne!(large, here, "a large file's work ran on the async runtime");
    }
}
