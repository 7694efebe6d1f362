//! Publishing: turning verified bytes (a spooled temp file or a stash entry) into a new file
//! version. The database decides races: a new name is created by exactly one upload.

use crate::api::error::{ApiError, ApiResult};
use crate::app::AppState;
use crate::auth::Caller;
use crate::store::BlobStore;
use crate::store::meta::{FileVersion, PublishOutcome, PublishRequest, StashRow};
use mwupload_media::MediaInfo;

/// Properties of the bytes being published, from analysis or from the stash row.
#[derive(Debug, Clone)]
pub struct Props {
    pub size: u64,
    pub sha1: String,
    pub mime: String,
    pub media_type: String,
    pub width: i64,
    pub height: i64,
    pub bits: i64,
    pub page_count: Option<i64>,
    pub metadata: String,
}

impl Props {
    pub fn from_info(info: &MediaInfo, size: u64, sha1: &str) -> Props {
        Props {
            size,
            sha1: sha1.to_string(),
            mime: info.mime.clone(),
            media_type: info.media_type.to_string(),
            width: info.width as i64,
            height: info.height as i64,
            bits: info.bitdepth as i64,
            page_count: info.page_count.map(i64::from),
            metadata: super::stash::metadata_json(info),
        }
    }
    pub fn from_stash(r: &StashRow) -> Props {
        Props {
            size: r.size as u64,
            sha1: r.sha1.clone(),
            mime: r.mime.clone(),
            media_type: r.media_type.clone(),
            width: r.width,
            height: r.height,
            bits: r.bits,
            page_count: r.page_count,
            metadata: r.metadata.clone(),
        }
    }
}

/// Where the bytes are now.
pub enum Source {
    Temp(tempfile::TempPath),
    Stash(StashRow),
    /// A blob an existing version already holds (filerevert): the new version shares it.
    Owned(String),
}

pub struct Request<'a> {
    pub caller: &'a Caller,
    pub name: String,
    pub props: Props,
    pub comment: String,
    pub text: Option<String>,
    pub tags: Vec<String>,
    /// No `exists` warning was shown (warnings not ignored): refuse to overwrite a file that appeared meanwhile.
    pub must_be_new: bool,
    /// Upload-log action override (`revert`).
    pub log_action: Option<String>,
}

pub enum Outcome {
    Published {
        name: String,
    },
    /// Identical to the current version: `fileexists-no-change`, bytes kept in the stash under `key`.
    NoChange {
        key: String,
    },
    /// Lost a same-name race: `exists` warning, bytes kept in the stash under `key`.
    LostRace {
        key: String,
    },
}

/// Stores the bytes as a new version. Temp bytes are adopted into the blob store first (a rename);
/// stash bytes change owner without moving.
pub async fn publish(state: &AppState, req: Request<'_>, source: Source) -> ApiResult<Outcome> {
    let (blob_key, stash_key, temp_adopted) = match source {
        Source::Temp(temp) => {
            let key = BlobStore::new_key();
            state.blobs.adopt(temp, &key).await?;
            (key, None, true)
        }
        Source::Stash(row) => (row.blob_key.clone(), Some(row.key.clone()), false),
        Source::Owned(blob_key) => (blob_key, None, false),
    };
    let comment = req.comment.trim().to_string();
    let version = FileVersion {
        name: req.name.clone(),
        archive_name: None,
        size: req.props.size as i64,
        width: req.props.width,
        height: req.props.height,
        bits: req.props.bits,
        page_count: req.props.page_count,
        metadata: req.props.metadata.clone(),
        media_type: req.props.media_type.clone(),
        mime: req.props.mime.clone(),
        description: comment.clone(),
        user_id: req.caller.user_id(),
        user_name: req.caller.user_name(),
        timestamp: crate::time::now_ts(),
        sha1: req.props.sha1.clone(),
        blob_key: blob_key.clone(),
    };
    let page_text = req.text.clone().unwrap_or_else(|| comment.clone());
    let outcome = state
        .meta
        .publish(&PublishRequest {
            version,
            must_be_new: req.must_be_new,
            page_text,
            comment,
            tags: req.tags.clone(),
            log_action: req.log_action.clone(),
        })
        .await;
    let outcome = match outcome {
        Ok(o) => o,
        Err(e) => {
            if temp_adopted {
                let _ = state.blobs.delete(&blob_key).await;
            }
            return Err(e.into());
        }
    };
    match outcome {
        PublishOutcome::Published { .. } => {
            if let Some(k) = stash_key {
                // The file version owns the blob now; drop the stash row only.
                state.meta.take_stash(&k).await?;
            }
            Ok(Outcome::Published { name: req.name })
        }
        PublishOutcome::NoChange | PublishOutcome::Exists => {
            // Keep the bytes retrievable by filekey, as MediaWiki's recoverable errors do.
            let key = match stash_key {
                Some(k) => k,
                None => {
                    let info_row = super::stash::finished_row(state, req.caller.user_id(), &blob_key, &req.props, "file");
                    if let Err(e) = state.meta.insert_stash(&info_row).await {
                        // Only bytes this request brought may go; an owned blob belongs to a version.
                        if temp_adopted {
                            let _ = state.blobs.delete(&blob_key).await;
                        }
                        return Err(e.into());
                    }
                    info_row.key
                }
            };
            Ok(if outcome == PublishOutcome::NoChange {
                Outcome::NoChange { key }
            } else {
                Outcome::LostRace { key }
            })
        }
    }
}

/// MediaWiki's overwrite authorization (skipped for `stash=1`).
pub async fn authorize_overwrite(state: &AppState, caller: &Caller, name: &str) -> ApiResult<()> {
    if let Some(cur) = state.meta.current_file(name).await? {
        let own = caller.has("reupload-own") && cur.user_id == caller.user_id() && caller.user_id() != 0;
        if !caller.has("reupload") && !own {
            return Err(ApiError::new(
                "fileexists-forbidden",
                format!(
                    "A file with this name exists already, and cannot be overwritten. If you still want to upload your file, please go back and use a new name. [[File:{}]]",
                    name.replace('_', " ")
                ),
            ));
        }
    }
    Ok(())
}
