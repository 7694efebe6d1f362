//! Publishing: turning verified bytes (a scratch file, a stash entry, or a blob an old version
//! holds) into a new file version. The decision (overwrite or not, which timestamp, which
//! archive name, which comments and log entry) is made here; the store applies it atomically
//! with compare-and-set on the current version, so a concurrent publish makes us decide again
//! rather than overwrite what we did not see. A same-name race has exactly one winner.

use super::error::{UploadError, UploadResult};
use crate::auth::Caller;
use crate::state::AppState;
use mwupload_media::MediaInfo;
use mwupload_store::{
    BlobStore, ExpectedCurrent, FileVersion, LogParams, PublishOp, PublishResult, StashRow, StashState, base36, new_blob_key,
};
use std::sync::Arc;

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
    /// imageinfo `metadata` as stored: MediaWiki's list of `{name, value}`, or `null`.
    pub metadata: String,
    /// The final extension the bytes passed the full verification under, if they did; a stash
    /// entry made from them keeps it (see `verify::check_stashed`).
    pub verified_ext: Option<String>,
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
            metadata: info.metadata_json().to_string(),
            verified_ext: None,
        }
    }
    /// The same bytes, known to have passed the full verification under `final_ext`.
    pub fn verified_as(self, final_ext: &str) -> Props {
        Props {
            verified_ext: Some(final_ext.to_string()),
            ..self
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
            verified_ext: r.verified_ext.clone(),
        }
    }
}

/// Where the bytes are now.
pub enum Source {
    Temp(tempfile::TempPath),
    /// A scratch file on its way into the blob store (see [`StoringBlob`]).
    Storing(StoringBlob),
    Stash(Box<StashRow>),
    /// A blob an existing version already holds (filerevert): the new version shares it.
    Owned(String),
}

/// A scratch file being moved into the blob store under a new key (rename and fsyncs) while the
/// request goes on: a direct upload's bytes are kept whatever the checks decide (published, or
/// stashed after a warning or a recoverable refusal), so storing them need not wait for the
/// authorization and warning reads. Dropped unused (an error), the blob is deleted once stored;
/// a process that dies first leaves an unreferenced blob, which the orphan sweep removes.
pub struct StoringBlob {
    key: String,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    blobs: Arc<dyn BlobStore>,
}

impl StoringBlob {
    pub fn start(state: &AppState, temp: tempfile::TempPath) -> StoringBlob {
        let key = new_blob_key();
        let (blobs, k) = (state.blobs.clone(), key.clone());
        let task = tokio::spawn(async move { blobs.put_file(&k, temp).await });
        StoringBlob {
            key,
            task: Some(task),
            blobs: state.blobs.clone(),
        }
    }

    /// Waits until the bytes are durable; the caller then owns the blob under the returned key.
    pub async fn stored(mut self) -> UploadResult<String> {
        let Some(task) = self.task.as_mut() else {
            return Err(UploadError::Storage {
                message: "the upload's bytes were already taken".into(),
            });
        };
        // The task stays ours until it has finished: a request dropped while waiting here
        // still deletes what was stored (see Drop).
        let finished = task.await;
        self.task = None;
        match finished {
            Ok(Ok(())) => Ok(std::mem::take(&mut self.key)),
            Ok(Err(e)) => Err(e.into()),
            Err(e) => Err(UploadError::Storage {
                message: format!("storing the upload: {e}"),
            }),
        }
    }
}

impl Drop for StoringBlob {
    fn drop(&mut self) {
        let Some(task) = self.task.take() else { return };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let (blobs, key) = (self.blobs.clone(), std::mem::take(&mut self.key));
        runtime.spawn(async move {
            if let Ok(Ok(())) = task.await {
                let _ = blobs.delete(&key).await;
            }
        });
    }
}

pub struct Request<'a> {
    pub caller: &'a Caller,
    pub name: String,
    pub props: Props,
    pub comment: String,
    pub text: Option<String>,
    pub tags: Vec<String>,
    /// No `exists` warning was shown (warnings not ignored): refuse to overwrite a file that
    /// appeared meanwhile.
    pub must_be_new: bool,
    /// Upload-log action override (`revert`).
    pub log_action: Option<String>,
    /// Add the File page to the caller's watchlist, in the publish's own transaction.
    pub watch: bool,
    /// The name's current version, if the caller has read it already.
    pub seen_current: SeenCurrent,
}

/// What the caller read of the name's current version before publishing. The first round
/// decides on it; the store's compare-and-set refuses it if the file changed since, and the
/// next round reads the current version again.
pub enum SeenCurrent {
    Unread,
    /// (Boxed: a version is large; clippy.)
    Read(Option<Box<FileVersion>>),
}

#[derive(Debug, PartialEq)]
pub enum Outcome {
    /// The version as recorded (what the store now has as current).
    Published { version: Box<FileVersion> },
    /// Identical to the current version: `fileexists-no-change`, bytes kept in the stash under `key`.
    NoChange { key: String },
    /// Lost a same-name race: `exists` warning, bytes kept in the stash under `key`.
    LostRace { key: String },
}

/// How often a publish decides again after losing a compare-and-set to concurrent publishes.
const MAX_ROUNDS: usize = 50;

/// MediaWiki's null-revision comment on an existing description page: the upload log entry's
/// plain action text (`logentry-upload-overwrite` / `logentry-upload-upload`), performer first,
/// as MediaWiki 1.39 writes it (tests/fixtures/refwiki-move.json recorded one).
fn null_revision_comment(name: &str, overwrote: bool, performer: &str) -> String {
    let display = crate::title::display_name(name);
    if overwrote {
        format!("{performer} uploaded a new version of [[File:{display}]]")
    } else {
        format!("{performer} uploaded [[File:{display}]]")
    }
}

/// Stores the bytes as a new version. Scratch bytes are moved into the blob store first (a
/// rename on local disk); stash bytes change owner without moving.
pub async fn publish(state: &AppState, mut req: Request<'_>, source: Source) -> UploadResult<Outcome> {
    let (blob_key, stash_key, adopted) = match source {
        Source::Temp(temp) => {
            let key = new_blob_key();
            state.blobs.put_file(&key, temp).await?;
            (key, None, true)
        }
        Source::Storing(storing) => (storing.stored().await?, None, true),
        Source::Stash(row) => (row.blob_key.clone(), Some(row.key.clone()), false),
        Source::Owned(blob_key) => (blob_key, None, false),
    };
    // (The version the caller read is moved to the first round, not copied.)
    let seen = std::mem::replace(&mut req.seen_current, SeenCurrent::Unread);
    let outcome = decide_and_apply(state, &req, seen, &blob_key, stash_key.as_deref()).await;
    let outcome = match outcome {
        Ok(o) => o,
        Err(e) => {
            // Only bytes this request brought may go; a stash entry's or a version's stay.
            if adopted {
                let _ = state.blobs.delete(&blob_key).await;
            }
            return Err(e);
        }
    };
    match outcome {
        Decided::Published(version) => Ok(Outcome::Published { version }),
        Decided::NoChange | Decided::Exists => {
            // Keep the bytes retrievable by filekey, as MediaWiki's recoverable errors do.
            let key = match stash_key {
                Some(k) => k,
                // A version's blob (filerevert) is not stashed again: nobody asks for a filekey.
                None if !adopted => String::new(),
                None => {
                    let row = super::stash::new_row(state, req.caller.user_id(), &blob_key, &req.props, "file", StashState::Finished);
                    if let Err(e) = state.meta.insert_stash(&row).await {
                        if adopted {
                            let _ = state.blobs.delete(&blob_key).await;
                        }
                        return Err(e.into());
                    }
                    row.key
                }
            };
            Ok(if outcome == Decided::NoChange {
                Outcome::NoChange { key }
            } else {
                Outcome::LostRace { key }
            })
        }
    }
}

#[derive(Debug, PartialEq)]
enum Decided {
    Published(Box<FileVersion>),
    NoChange,
    Exists,
}

async fn decide_and_apply(
    state: &AppState,
    req: &Request<'_>,
    seen: SeenCurrent,
    blob_key: &str,
    stash_key: Option<&str>,
) -> UploadResult<Decided> {
    let comment = req.comment.trim().to_string();
    let mut archive_ts = mwupload_store::time::now_ts();
    let mut seen = match seen {
        SeenCurrent::Read(current) => Some(current.map(|c| *c)),
        SeenCurrent::Unread => None,
    };
    for _ in 0..MAX_ROUNDS {
        let current = match seen.take() {
            Some(current) => current,
            None => state.meta.current_file(&req.name).await?,
        };
        if let Some(cur) = &current {
            if req.must_be_new {
                return Ok(Decided::Exists);
            }
            if cur.sha1 == req.props.sha1 {
                return Ok(Decided::NoChange);
            }
        }
        // Versions keep a strict order: a timestamp not after the current one's is moved on
        // (MediaWiki cannot store two versions in one second and fails instead).
        let mut timestamp = mwupload_store::time::now_ts();
        if let Some(cur) = &current
            && timestamp <= cur.timestamp
        {
            timestamp = mwupload_store::time::ts_add_secs(&cur.timestamp, 1);
        }
        let overwrote = current.is_some();
        let p = &req.props;
        let op = PublishOp {
            version: FileVersion {
                name: req.name.clone(),
                archive_name: None,
                size: p.size as i64,
                width: p.width,
                height: p.height,
                bits: p.bits,
                page_count: p.page_count,
                metadata: p.metadata.clone(),
                media_type: p.media_type.clone(),
                mime: p.mime.clone(),
                description: comment.clone(),
                user_id: req.caller.user_id(),
                user_name: req.caller.user_name(),
                timestamp: timestamp.clone(),
                sha1: p.sha1.clone(),
                blob_key: blob_key.to_string(),
            },
            expected_current: current.as_ref().map(|c| ExpectedCurrent {
                sha1: c.sha1.clone(),
                timestamp: c.timestamp.clone(),
            }),
            // The archive name is from the time of archiving (MediaWiki's `oi_archive_name`).
            archive_name: current.as_ref().map(|c| mwupload_store::archive_name(&archive_ts, &c.name)),
            page_text: req.text.clone().unwrap_or_else(|| comment.clone()),
            comment: comment.clone(),
            null_revision_comment: null_revision_comment(&req.name, overwrote, &req.caller.user_name()),
            tags: req.tags.clone(),
            log_action: req
                .log_action
                .clone()
                .unwrap_or_else(|| if overwrote { "overwrite" } else { "upload" }.to_string()),
            // As MediaWiki stores them: base-36 SHA-1 and TS_MW timestamp.
            log_params: LogParams::Upload {
                img_sha1: base36::sha1_hex_to_base36(&p.sha1).unwrap_or_default(),
                img_timestamp: timestamp,
            },
            consume_stash: stash_key.map(String::from),
            watch_for: req.watch.then(|| req.caller.user_id()),
        };
        match state.meta.publish(&op).await? {
            PublishResult::Published { page_created } => {
                // A page this publish created has no uses recorded yet, so a text without file
                // links needs no second write transaction (and fsync) to record none.
                if page_created && !crate::wikitext::file_links(&op.page_text).is_empty() {
                    crate::wikitext::refresh_file_links(state, 6, &req.name).await?;
                }
                return Ok(Decided::Published(Box::new(op.version)));
            }
            // Another publish changed the file between our read and our write: decide again.
            PublishResult::CurrentChanged => continue,
            // Another old version has this archive name (two overwrites in one second).
            PublishResult::ArchiveNameTaken => {
                archive_ts = mwupload_store::time::ts_add_secs(&archive_ts, 1);
                continue;
            }
            PublishResult::StashGone => {
                return Err(UploadError::StashFileNotFound {
                    key: stash_key.unwrap_or_default().to_string(),
                });
            }
        }
    }
    Err(UploadError::Storage {
        message: format!("publishing {} kept losing to concurrent publishes", req.name),
    })
}

/// MediaWiki's overwrite authorization (`UploadBase::checkOverwrite`; skipped for `stash=1`):
/// a local file needs `reupload` (or `reupload-own` for one's own); a file only a shared
/// repository has needs `reupload-shared` (the shared repositories are asked only then; one
/// that does not answer counts as not having the file).
pub async fn authorize_overwrite(state: &AppState, caller: &Caller, name: &str, current: Option<&FileVersion>) -> UploadResult<()> {
    if let Some(cur) = current {
        let own = caller.has("reupload-own") && cur.user_id == caller.user_id() && caller.user_id() != 0;
        if !caller.has("reupload") && !own {
            return Err(UploadError::FileExistsForbidden { name: name.to_string() });
        }
        return Ok(());
    }
    if !caller.has("reupload-shared")
        && let Some(shared) = state.foreign.find_file(name).await
    {
        return Err(UploadError::FileExistsSharedForbidden { name: shared.name.clone() });
    }
    Ok(())
}
