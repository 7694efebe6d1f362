//! The upload work that runs in the background: assembling a chunked upload, publishing a
//! stashed file, fetching a URL. Each is a durable job row; its progress and result are the
//! upload status `checkstatus` reads.

use super::error::UploadError;
use super::publish::{self, Props, Source};
use super::status::{self, Stage, UploadStatus};
use super::url::FetchPolicy;
use super::warnings::{self, UploadWarning};
use super::{chunks, stash, verify};
use crate::auth::Caller;
use crate::state::AppState;
use mwupload_store::{StashState, StoreResult};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AssembleJob {
    pub user_id: i64,
    #[serde(default)]
    pub bot_app: Option<String>,
    /// The session's filekey.
    pub key: String,
    #[serde(default)]
    pub filename: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PublishJob {
    pub user_id: i64,
    #[serde(default)]
    pub bot_app: Option<String>,
    /// The stash entry's filekey.
    pub key: String,
    #[serde(default)]
    pub filename: String,
    #[serde(default)]
    pub comment: String,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub ignorewarnings: bool,
    #[serde(default)]
    pub tags: Vec<String>,
    /// The stash entry's SHA-1: after a crash between publishing and writing the status, the
    /// retried job recognises its own published file by it.
    #[serde(default)]
    pub sha1: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FetchJob {
    pub user_id: i64,
    #[serde(default)]
    pub bot_app: Option<String>,
    /// The status key (`url_status_key(filename, url)`).
    pub key: String,
    pub url: String,
    #[serde(default)]
    pub filename: String,
    #[serde(default)]
    pub comment: String,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub ignorewarnings: bool,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub stash: bool,
    #[serde(default)]
    pub watch: bool,
}

#[derive(Debug, Clone)]
pub enum Job {
    Assemble(AssembleJob),
    Publish(PublishJob),
    Fetch(FetchJob),
}

impl Job {
    pub fn kind(&self) -> &'static str {
        match self {
            Job::Assemble(_) => "assemble",
            Job::Publish(_) => "publish",
            Job::Fetch(_) => "fetch",
        }
    }

    fn payload(&self) -> String {
        match self {
            Job::Assemble(j) => serde_json::to_string(j),
            Job::Publish(j) => serde_json::to_string(j),
            Job::Fetch(j) => serde_json::to_string(j),
        }
        .unwrap_or_default()
    }

    pub fn decode(kind: &str, payload: &str) -> Option<Job> {
        match kind {
            "assemble" => serde_json::from_str(payload).ok().map(Job::Assemble),
            "publish" => serde_json::from_str(payload).ok().map(Job::Publish),
            "fetch" => serde_json::from_str(payload).ok().map(Job::Fetch),
            _ => None,
        }
    }

    /// Whose upload this is, under which status key, and the stage a failure is reported in.
    fn owner(&self) -> (i64, Option<String>, &str, Stage) {
        match self {
            Job::Assemble(j) => (j.user_id, j.bot_app.clone(), &j.key, Stage::Assembling),
            Job::Publish(j) => (j.user_id, j.bot_app.clone(), &j.key, Stage::Publish),
            Job::Fetch(j) => (j.user_id, j.bot_app.clone(), &j.key, Stage::Publish),
        }
    }
}

/// Queues a job and wakes a worker.
pub async fn enqueue(state: &AppState, job: &Job) -> StoreResult<()> {
    state.meta.enqueue_job(job.kind(), &job.payload()).await?;
    state.jobs_notify.notify_one();
    Ok(())
}

/// Records that a job will not run again (its workers kept dying), so nobody polls forever.
pub async fn give_up(state: &AppState, job: &Job) -> StoreResult<()> {
    let (user, _, key, stage) = job.owner();
    status::set(state, user, key, &UploadStatus::failure(stage, UploadError::JobInterrupted)).await
}

/// Records an unexpected failure of a job (already logged) as its upload's status.
pub async fn record_failure(state: &AppState, job: &Job, message: &str) -> StoreResult<()> {
    let (user, _, key, stage) = job.owner();
    let e = UploadError::JobFailed {
        message: message.to_string(),
    };
    status::set(state, user, key, &UploadStatus::failure(stage, e)).await
}

/// Runs a job to its end, recording the outcome (success or an upload error) as the upload's
/// status. `Err` is for what went wrong outside the upload (storage failing).
pub async fn run(state: &Arc<AppState>, job: &Job, attempt: i64) -> StoreResult<()> {
    let (user, bot_app, _, _) = job.owner();
    let caller = Caller::for_user(state, user, bot_app).await?;
    match job {
        Job::Assemble(j) => assemble(state, &caller, j).await,
        Job::Publish(j) => publish_stashed(state, &caller, j).await,
        Job::Fetch(j) => fetch_and_publish(state, &caller, j, attempt).await,
    }
}

async fn assemble(state: &Arc<AppState>, caller: &Caller, j: &AssembleJob) -> StoreResult<()> {
    let uid = caller.user_id();
    let session = state.meta.stash(&j.key).await?.filter(|s| s.state == StashState::Chunks);
    let Some(session) = session else {
        // Already assembled by an earlier attempt (then its status says Success), or swept.
        if !matches!(status::get(state, uid, &j.key).await?, Some(UploadStatus::Success { .. })) {
            let e = UploadError::StashFileNotFound { key: j.key.clone() };
            status::set(state, uid, &j.key, &UploadStatus::failure(Stage::Assembling, e)).await?;
        }
        return Ok(());
    };
    let polling = UploadStatus::Poll {
        stage: Stage::Assembling,
        offset: Some(session.size as u64),
    };
    status::set(state, uid, &j.key, &polling).await?;
    let result = match chunks::assemble(state, caller, &session, &j.filename).await {
        Ok((row, warns)) => UploadStatus::Success {
            stage: Stage::Assembling,
            filekey: Some(row.key),
            filename: None,
            warnings: warns,
        },
        Err(e) => UploadStatus::failure(Stage::Assembling, e),
    };
    status::set(state, uid, &j.key, &result).await
}

async fn publish_stashed(state: &Arc<AppState>, caller: &Caller, j: &PublishJob) -> StoreResult<()> {
    let uid = caller.user_id();
    let set = |s: UploadStatus| async move { status::set(state, uid, &j.key, &s).await };
    let fail = |e: UploadError| UploadStatus::failure(Stage::Publish, e);
    let Some(row) = state.meta.stash(&j.key).await? else {
        // The entry is gone: published by an earlier run of this job that died before it could
        // say so (the publish consumed the entry), or expired.
        if let Some(name) = published_by_earlier_run(state, caller, &j.filename, j.sha1.as_deref()).await? {
            return set(UploadStatus::Success {
                stage: Stage::Publish,
                filekey: None,
                filename: Some(name),
                warnings: Vec::new(),
            })
            .await;
        }
        return set(fail(UploadError::StashFileNotFound { key: j.key.clone() })).await;
    };
    set(UploadStatus::Poll {
        stage: Stage::Publish,
        offset: None,
    })
    .await?;
    let title = match verify::check_stashed(state, &row, &j.filename).await? {
        Ok(t) => t,
        Err(r) => return set(fail(r.error)).await,
    };
    // The same checks as a synchronous publish (the caller may have been blocked, or the page
    // protected, since the job was queued).
    if let Err(e) = super::service::check_permissions(state, caller, false).await {
        return set(fail(e)).await;
    }
    let authorized = match super::service::authorize_publish(state, caller, &title.db_key).await {
        Ok(a) => a.and_then(|()| super::service::check_tags(caller, &j.tags)),
        Err(e) => Err(e),
    };
    if let Err(e) = authorized {
        return set(fail(e)).await;
    }
    let req = publish::Request {
        caller,
        name: title.db_key.clone(),
        props: Props::from_stash(&row),
        comment: j.comment.clone(),
        text: j.text.clone(),
        tags: j.tags.clone(),
        must_be_new: !j.ignorewarnings,
        log_action: None,
        watch: false,
        seen_current: publish::SeenCurrent::Unread,
    };
    let published = publish::publish(state, req, Source::Stash(Box::new(row))).await;
    if matches!(published, Ok(publish::Outcome::Published { .. })) {
        crate::crash_point("publish-job-after-publish");
    }
    let result = match published {
        Ok(publish::Outcome::Published { version }) => UploadStatus::Success {
            stage: Stage::Publish,
            filekey: None,
            filename: Some(version.name),
            warnings: Vec::new(),
        },
        Ok(publish::Outcome::NoChange { .. }) => fail(UploadError::FileExistsNoChange { name: title.db_key }),
        Ok(publish::Outcome::LostRace { .. }) => UploadStatus::Warning {
            stage: Stage::Publish,
            warnings: vec![UploadWarning::Exists(title.db_key)],
            filekey: None,
        },
        Err(e) => fail(e),
    };
    set(result).await
}

/// The name of the current version of `filename` if the caller published it with this SHA-1.
async fn published_by_earlier_run(state: &AppState, caller: &Caller, filename: &str, sha1: Option<&str>) -> StoreResult<Option<String>> {
    let (Some(sha1), Ok(title)) = (sha1, verify::check_name(state, filename)) else {
        return Ok(None);
    };
    Ok(state
        .meta
        .current_file(&title.db_key)
        .await?
        .filter(|v| v.sha1 == sha1 && v.user_id == caller.user_id())
        .map(|v| v.name))
}

/// `url` + `async`: fetch (SSRF-safe), verify, check warnings, then stash or publish, reporting
/// each stage through the status that `checkstatus&url=…&filename=…` reads.
async fn fetch_and_publish(state: &Arc<AppState>, caller: &Caller, j: &FetchJob, attempt: i64) -> StoreResult<()> {
    let uid = caller.user_id();
    let set = |s: UploadStatus| async move { status::set(state, uid, &j.key, &s).await };
    let fail = |stage: Stage, e: UploadError| UploadStatus::failure(stage, e);
    set(UploadStatus::Poll {
        stage: Stage::Fetching,
        offset: None,
    })
    .await?;
    let policy = FetchPolicy::from_state(state);
    let fetched = match state.fetcher.fetch(&j.url, &policy, state.blobs.scratch_dir()).await {
        Ok(f) => f,
        Err(e) => return set(fail(Stage::Fetching, e.into())).await,
    };
    let info = verify::analyze(fetched.path.to_path_buf(), fetched.size).await?;
    let title = match verify::check_file(state, &fetched.path, &info, fetched.size, &j.filename).await {
        Ok(t) => t,
        Err(r) => return set(fail(Stage::Publish, r.error)).await,
    };
    let info = info.for_extension(&title.final_ext);
    let sha1 = hex::encode(fetched.sha1);
    let subject = warnings::Subject {
        desired: &j.filename,
        title: &title,
        sha1: &sha1,
        size: fetched.size,
    };
    let warns = warnings::compute(state, &subject).await?;
    let props = Props::from_info(&info, fetched.size, &sha1).verified_as(&title.final_ext);
    if j.stash || (!warns.is_empty() && !j.ignorewarnings) {
        let row = match stash::stash_temp(state, caller, fetched.path, &props, "url").await {
            Ok(r) => r,
            Err(e) => return set(fail(Stage::Publish, e)).await,
        };
        let result = if j.stash && (warns.is_empty() || j.ignorewarnings) {
            UploadStatus::Success {
                stage: Stage::Publish,
                filekey: Some(row.key),
                filename: None,
                warnings: warns,
            }
        } else {
            UploadStatus::Warning {
                stage: Stage::Publish,
                warnings: warns,
                filekey: Some(row.key),
            }
        };
        return set(result).await;
    }
    let authorized = match super::service::check_permissions(state, caller, true).await {
        Ok(()) => match super::service::authorize_publish(state, caller, &title.db_key).await {
            Ok(a) => a.and_then(|()| super::service::check_tags(caller, &j.tags)),
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    };
    if let Err(e) = authorized {
        return set(fail(Stage::Publish, e)).await;
    }
    set(UploadStatus::Poll {
        stage: Stage::Publish,
        offset: None,
    })
    .await?;
    let req = publish::Request {
        caller,
        name: title.db_key.clone(),
        props,
        comment: j.comment.clone(),
        text: j.text.clone(),
        tags: j.tags.clone(),
        must_be_new: !j.ignorewarnings,
        log_action: None,
        watch: j.watch,
        seen_current: publish::SeenCurrent::Unread,
    };
    let result = match publish::publish(state, req, Source::Temp(fetched.path)).await {
        Ok(publish::Outcome::Published { version }) => UploadStatus::Success {
            stage: Stage::Publish,
            filekey: None,
            filename: Some(version.name),
            warnings: warns,
        },
        // A retry after a crash that followed the publish finds its own file: that is success.
        Ok(publish::Outcome::NoChange { .. })
            if attempt > 1 && published_by_earlier_run(state, caller, &j.filename, Some(&sha1)).await?.is_some() =>
        {
            UploadStatus::Success {
                stage: Stage::Publish,
                filekey: None,
                filename: Some(title.db_key),
                warnings: warns,
            }
        }
        Ok(publish::Outcome::NoChange { key }) => UploadStatus::Failure {
            stage: Stage::Publish,
            error: UploadError::FileExistsNoChange { name: title.db_key },
            filekey: Some(key),
        },
        Ok(publish::Outcome::LostRace { key }) => UploadStatus::Warning {
            stage: Stage::Publish,
            warnings: vec![UploadWarning::Exists(title.db_key)],
            filekey: Some(key),
        },
        Err(e) => fail(Stage::Publish, e),
    };
    set(result).await
}
