//! MediaWiki's `verifyUpload` in its order: empty → size → content → name. Content checks come
//! before name checks (a PNG named `.exe` is a MIME mismatch, not a banned type).

use crate::api::error::ApiError;
use crate::app::AppState;
use crate::upload::title::{self, FileTitle, TitleError};
use mwupload_media::{self as media, MediaInfo};
use std::path::{Path, PathBuf};

/// A rejected upload. Recoverable errors (bad names) let the caller stash the file and return
/// its filekey with the error, as MediaWiki does.
#[derive(Debug)]
pub enum Rejection {
    Fatal(ApiError),
    Recoverable(ApiError),
}

/// Sniffs type, dimensions and metadata off the async runtime (bounded reads).
pub async fn analyze(path: PathBuf) -> std::io::Result<MediaInfo> {
    tokio::task::spawn_blocking(move || media::analyze(&path))
        .await
        .map_err(|e| std::io::Error::other(format!("analysis task failed: {e}")))?
}

/// The MediaWiki error for a name problem (all recoverable except `filetype-banned`).
pub fn title_error(state: &AppState, e: TitleError) -> Rejection {
    match e {
        TitleError::TooLong => Rejection::Recoverable(ApiError::new("filename-toolong", "Filenames may not be longer than 240 bytes.")),
        TitleError::Illegal { filtered } => {
            Rejection::Recoverable(ApiError::new("illegal-filename", "The filename is not allowed.").with("filename", filtered))
        }
        TitleError::FiletypeMissing => {
            Rejection::Recoverable(ApiError::new("filetype-missing", "The file has no extension (like \".jpg\")."))
        }
        TitleError::TooShort => Rejection::Recoverable(ApiError::new("filename-tooshort", "The filename is too short.")),
        TitleError::Banned { final_ext, blacklisted } => {
            let mut allowed: Vec<String> = Vec::new();
            for e in &state.config.uploads.file_extensions {
                let e = e.to_lowercase();
                if !allowed.contains(&e) {
                    allowed.push(e);
                }
            }
            let named = if blacklisted.is_empty() {
                format!("\".{final_ext}\"")
            } else {
                blacklisted.iter().map(|b| format!("\".{b}\"")).collect::<Vec<_>>().join(", ")
            };
            let verb = if blacklisted.len() > 1 {
                "are not permitted file types"
            } else {
                "is not a permitted file type"
            };
            let mut err = ApiError::new(
                "filetype-banned",
                format!("{named} {verb}. Permitted file types are {}.", allowed.join(", ")),
            )
            .with("filetype", final_ext)
            .with("allowed", allowed);
            if !blacklisted.is_empty() {
                err = err.with("blacklisted", blacklisted);
            }
            Rejection::Fatal(err)
        }
    }
}

/// Name-only checks (chunk requests, which have no complete file yet).
pub fn check_name(state: &AppState, filename: &str) -> Result<FileTitle, Rejection> {
    title::file_title(filename, &super::title_rules(&state.config.uploads), None).map_err(|e| title_error(state, e))
}

/// The full verification of a complete file.
pub async fn check_file(state: &AppState, path: &Path, info: &MediaInfo, size: u64, filename: &str) -> Result<FileTitle, Rejection> {
    if size == 0 {
        return Err(Rejection::Fatal(ApiError::new("empty-file", "The file you submitted was empty.")));
    }
    if size > state.config.uploads.max_upload_size {
        return Err(Rejection::Fatal(ApiError::new(
            "file-too-large",
            "The file you submitted was too large.",
        )));
    }
    let guessed = media::canonical_extension(&info.mime);
    let name = title::file_title(filename, &super::title_rules(&state.config.uploads), guessed);
    // The extension the content must match: the final one if the name is valid, else what was typed.
    let ext = match &name {
        Ok(t) => t.final_ext.clone(),
        Err(_) => filename.rsplit_once('.').map(|(_, e)| e.to_string()).unwrap_or_default(),
    };
    let p = path.to_path_buf();
    let info2 = info.clone();
    let verdict = tokio::task::spawn_blocking(move || media::verify_content(&p, &info2, &ext, &media::VerifyConfig::default()))
        .await
        .map_err(|e| Rejection::Fatal(ApiError::internal("verification task", e)))?;
    if let Err(r) = verdict {
        return Err(Rejection::Fatal(
            ApiError::new("verification-error", r.info).with("details", r.details),
        ));
    }
    name.map_err(|e| title_error(state, e))
}
