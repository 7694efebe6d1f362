//! The background workers of one process: job runners and the sweeper. Every background action
//! is a job row claimed with this process's name and a short lease that a renewal task keeps
//! alive; a process that dies stops renewing, and another (or this one, restarted) claims the
//! job once the lease has run out. A job whose workers keep dying is handed out once more,
//! flagged exhausted, to record its failure, so nothing stays queued or polled forever.

use crate::state::{AppState, SharedState};
use crate::upload::jobs::{self, Job};
use crate::upload::stash;
use std::time::Duration;

/// A claimed job's lease; renewed every [`RENEW_EVERY`] while it runs.
pub const LEASE_SECS: i64 = 10;
const RENEW_EVERY: Duration = Duration::from_secs(3);
const MAX_ATTEMPTS: i64 = 3;

/// Claims jobs and runs them, for ever; wakes on `jobs_notify` or every second.
pub async fn worker(state: SharedState) {
    let owner = format!("{}/worker-{}", state.instance, hex::encode(rand::random::<[u8; 3]>()));
    loop {
        if state.stopping.load(std::sync::atomic::Ordering::Acquire) {
            return;
        }
        let claimed = state
            .meta
            .claim_job(&owner, mwupload_store::time::now_unix(), LEASE_SECS, MAX_ATTEMPTS)
            .await;
        match claimed {
            Ok(Some(claimed)) => run_claimed(&state, &owner, claimed).await,
            Ok(None) => {
                let _ = tokio::time::timeout(Duration::from_secs(1), state.jobs_notify.notified()).await;
            }
            Err(e) => {
                tracing::error!("job queue: {e}");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

async fn run_claimed(state: &SharedState, owner: &str, claimed: mwupload_store::ClaimedJob) {
    let id = claimed.id;
    let Some(job) = Job::decode(&claimed.kind, &claimed.payload) else {
        tracing::error!(job = id, kind = %claimed.kind, "job with an unreadable payload; marking it failed");
        let _ = state.meta.finish_job(id, owner, Some("unreadable payload")).await;
        return;
    };
    if claimed.exhausted {
        tracing::warn!(job = id, kind = %claimed.kind, "job given up after repeated crashes");
        let result = jobs::give_up(state, &job).await;
        let _ = state.meta.finish_job(id, owner, Some("gave up after repeated crashes")).await;
        if let Err(e) = result {
            tracing::error!(job = id, "recording a given-up job: {e}");
        }
        return;
    }
    let renewer = {
        let (state, owner) = (state.clone(), owner.to_string());
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(RENEW_EVERY).await;
                let until = mwupload_store::time::now_unix() + LEASE_SECS;
                match state.meta.renew_job(id, &owner, until).await {
                    Ok(true) => {}
                    Ok(false) => {
                        tracing::warn!(job = id, "lost the job's lease to another worker");
                        return;
                    }
                    Err(e) => tracing::warn!(job = id, "renewing a job lease: {e}"),
                }
            }
        })
    };
    let result = jobs::run(state, &job, claimed.attempt).await;
    renewer.abort();
    let error = result.err().map(|e| e.to_string());
    if let Some(e) = &error {
        tracing::warn!(job = id, kind = %claimed.kind, attempt = claimed.attempt, "job failed: {e}");
        // Never leave a client polling a status that no job will finish.
        let _ = jobs::record_failure(state, &job, e).await;
    }
    match state.meta.finish_job(id, owner, error.as_deref()).await {
        Ok(true) => {}
        Ok(false) => tracing::warn!(job = id, "job finished after its lease was taken over"),
        Err(e) => tracing::error!(job = id, "finishing a job: {e}"),
    }
}

/// Periodically removes expired stash entries, orphaned blobs and dead processes' scratch space.
pub async fn sweeper(state: SharedState) {
    let grace = Duration::from_secs(state.config.uploads.orphan_grace_secs);
    loop {
        match stash::sweep_expired(&state).await {
            Ok(0) => {}
            Ok(n) => tracing::info!("swept {n} expired stash entries"),
            Err(e) => tracing::error!("stash sweep: {e}"),
        }
        match sweep_orphan_blobs(&state, grace).await {
            Ok(0) => {}
            Ok(n) => tracing::info!("removed {n} orphaned blob(s)"),
            Err(e) => tracing::error!("orphan sweep: {e}"),
        }
        match crate::thumbs::sweep_unused(&state).await {
            Ok(0) => {}
            Ok(n) => tracing::info!("removed {n} thumbnail(s) of files that are gone"),
            Err(e) => tracing::error!("thumbnail sweep: {e}"),
        }
        match state.blobs.sweep_scratch().await {
            Ok(0) => {}
            Ok(n) => tracing::info!("removed {n} scratch dir(s) of stopped processes"),
            Err(e) => tracing::error!("scratch sweep: {e}"),
        }
        tokio::time::sleep(Duration::from_secs(600)).await;
    }
}

/// Removes blobs that no row refers to (left by a crash between storing bytes and committing the
/// row that owns them). Only blobs untouched for `grace` are considered, so uploads in flight
/// are never affected; bytes that any version, deleted file or stash entry uses are kept.
pub async fn sweep_orphan_blobs(state: &AppState, grace: Duration) -> anyhow::Result<usize> {
    let cutoff = std::time::SystemTime::now() - grace;
    let keys = state.blobs.keys_older_than(cutoff).await?;
    let mut removed = 0;
    for key in keys {
        if !state.meta.blob_in_use(&key).await? {
            state.blobs.delete(&key).await?;
            removed += 1;
        }
    }
    Ok(removed)
}
