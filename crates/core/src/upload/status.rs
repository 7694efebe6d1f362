//! Upload status: what `checkstatus` reports about a chunked session or an asynchronous upload
//! (MediaWiki keeps it in the object stash per user and key). Stored serialized in the
//! metadata store; moved only by compare-and-set where two writers could race.

use super::error::UploadError;
use super::warnings::Warnings;
use crate::state::AppState;
use mwupload_store::StoreResult;
use serde::{Deserialize, Serialize};

/// How long a status is kept (MediaWiki: a day in the main stash).
pub const STATUS_TTL_SECS: i64 = 86_400;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    Uploading,
    Queued,
    Assembling,
    Fetching,
    Publish,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Uploading => "uploading",
            Stage::Queued => "queued",
            Stage::Assembling => "assembling",
            Stage::Fetching => "fetching",
            Stage::Publish => "publish",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "result")]
pub enum UploadStatus {
    /// A chunked session waiting for its next chunk at `offset`.
    Continue { offset: u64 },
    /// Work in progress. `offset`: bytes the server holds (beyond MediaWiki, for clients).
    Poll { stage: Stage, offset: Option<u64> },
    Success {
        stage: Stage,
        /// Assembled or stashed: the finished stash entry.
        filekey: Option<String>,
        /// Published: the file's name.
        filename: Option<String>,
        warnings: Warnings,
    },
    Warning {
        stage: Stage,
        warnings: Warnings,
        filekey: Option<String>,
    },
    Failure {
        stage: Stage,
        error: UploadError,
        /// Where the bytes were kept (recoverable failures).
        filekey: Option<String>,
    },
}

impl UploadStatus {
    fn encode(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    fn decode(raw: &str) -> Option<UploadStatus> {
        serde_json::from_str(raw).ok()
    }

    /// Whether a new asynchronous publish of the same key must not start: one is queued or
    /// running, or the key was published already.
    fn blocks_new_publish(&self) -> bool {
        matches!(
            self,
            UploadStatus::Poll { .. } | UploadStatus::Success { stage: Stage::Publish, .. }
        )
    }

    pub fn failure(stage: Stage, error: UploadError) -> UploadStatus {
        UploadStatus::Failure {
            stage,
            error,
            filekey: None,
        }
    }
}

fn now() -> i64 {
    mwupload_store::time::now_unix()
}

/// The caller's status for `key`, if any (an unreadable one counts as none).
pub async fn get(state: &AppState, user_id: i64, key: &str) -> StoreResult<Option<UploadStatus>> {
    Ok(state
        .meta
        .status(user_id, key, now())
        .await?
        .as_deref()
        .and_then(UploadStatus::decode))
}

pub async fn set(state: &AppState, user_id: i64, key: &str, status: &UploadStatus) -> StoreResult<()> {
    state.meta.set_status(user_id, key, &status.encode(), now() + STATUS_TTL_SECS).await
}

pub async fn delete(state: &AppState, user_id: i64, key: &str) -> StoreResult<()> {
    state.meta.delete_status(user_id, key).await
}

/// Sets `status` unless an asynchronous publish of this key is in progress or done; false if
/// it is (one async publish per key). Compare-and-set, so two requests cannot both start one.
pub async fn claim(state: &AppState, user_id: i64, key: &str, status: &UploadStatus) -> StoreResult<bool> {
    loop {
        let t = now();
        let raw = state.meta.status(user_id, key, t).await?;
        if raw
            .as_deref()
            .and_then(UploadStatus::decode)
            .is_some_and(|s| s.blocks_new_publish())
        {
            return Ok(false);
        }
        if state
            .meta
            .replace_status(user_id, key, raw.as_deref(), &status.encode(), t, t + STATUS_TTL_SECS)
            .await?
        {
            return Ok(true);
        }
        // Someone else changed it meanwhile: decide again on what is there now.
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::upload::warnings::UploadWarning;

    #[test]
    fn statuses_round_trip_through_storage() {
        let all = [
            UploadStatus::Continue { offset: 5 },
            UploadStatus::Poll {
                stage: Stage::Queued,
                offset: Some(9),
            },
            UploadStatus::Success {
                stage: Stage::Assembling,
                filekey: Some("k".into()),
                filename: None,
                warnings: vec![UploadWarning::Exists("A.png".into()), UploadWarning::EmptyFile],
            },
            UploadStatus::failure(Stage::Publish, UploadError::FileExistsNoChange { name: "A.png".into() }),
        ];
        for s in all {
            assert_eq!(UploadStatus::decode(&s.encode()), Some(s));
        }
        assert_eq!(UploadStatus::decode("{\"result\":\"Poll\",\"stage\":\"bogus\"}"), None);
    }
}
