//! The durable job queue's workers. Every background action is a `jobs` row: a job whose worker
//! dies (crash, SIGKILL) is reclaimed when its lease runs out and retried; one that keeps failing
//! ends as `failed` with its status set to `Failure`, so nothing stays `queued` forever.

use crate::api::error::ApiError;
use crate::app::{AppState, SharedState};
use crate::auth::Caller;
use crate::upload::publish::{self, Props, Source};
use crate::upload::{chunks, stash, verify, warnings};
use serde_json::{Value, json};
use std::time::Duration;

const LEASE_SECS: i64 = 120;
const MAX_ATTEMPTS: i64 = 3;

/// Runs forever: claims jobs and runs them; wakes on `jobs_notify` or every second.
pub async fn worker(state: SharedState) {
    loop {
        match state.meta.claim_job(LEASE_SECS, MAX_ATTEMPTS).await {
            Ok(Some((id, kind, payload, attempt))) => {
                let renew = {
                    let st = state.clone();
                    tokio::spawn(async move {
                        loop {
                            tokio::time::sleep(Duration::from_secs((LEASE_SECS / 3) as u64)).await;
                            let _ = st.meta.renew_job(id, LEASE_SECS).await;
                        }
                    })
                };
                let result = run(&state, &kind, &payload).await;
                renew.abort();
                let err = result.err();
                if let Some(e) = &err {
                    tracing::warn!(job = id, kind = %kind, attempt, "job failed: {e}");
                    // Never leave a client polling a status that no job will finish.
                    if let (Some(uid), Some(key)) = (
                        payload.get("user_id").and_then(Value::as_i64),
                        payload.get("key").and_then(Value::as_str),
                    ) {
                        let stage = if kind == "assemble" { "assembling" } else { "publish" };
                        let v = failure(stage, &ApiError::new("stashfailed", format!("The upload job failed: {e}")));
                        let _ = state.meta.set_status(uid, key, &v, crate::time::now_unix() + 86_400).await;
                    }
                }
                let _ = state.meta.finish_job(id, err.as_deref()).await;
            }
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

/// Periodically removes expired stash entries and orphaned blobs.
pub async fn stash_sweeper(state: SharedState) {
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
        tokio::time::sleep(Duration::from_secs(600)).await;
    }
}

/// Removes blobs that no row refers to (left by a crash between storing bytes and committing the
/// row that owns them). Only blobs untouched for `grace` are considered, so uploads in flight
/// are never affected; bytes that any version, deleted file or stash entry uses are kept.
pub async fn sweep_orphan_blobs(state: &AppState, grace: Duration) -> anyhow::Result<usize> {
    let cutoff = std::time::SystemTime::now() - grace;
    let blobs = state.blobs.clone();
    let keys = tokio::task::spawn_blocking(move || blobs.keys_older_than(cutoff)).await??;
    let mut removed = 0;
    for key in keys {
        if !state.meta.blob_in_use(&key).await? {
            state.blobs.delete(&key).await?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// Rebuilds the caller a job runs as (same rights as the session that queued it).
async fn caller_for(state: &AppState, payload: &Value) -> Result<Caller, String> {
    let uid = payload.get("user_id").and_then(Value::as_i64).ok_or("job without user")?;
    let bot = payload.get("bot_app").and_then(Value::as_str).map(String::from);
    let session = crate::store::meta::SessionRow {
        id: String::new(),
        secret: String::new(),
        user_id: Some(uid),
        bot_app_id: bot,
    };
    crate::api::session::resolve(state, Some(session)).await.map_err(|e| e.to_string())
}

/// The change tags a job was queued with.
fn tags_of(payload: &Value) -> Vec<String> {
    payload
        .get("tags")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|t| t.as_str().map(String::from)).collect())
        .unwrap_or_default()
}

fn failure(stage: &str, e: &ApiError) -> Value {
    json!({"result": "Failure", "stage": stage, "error": {"code": e.code, "info": e.info, "data": e.data}})
}

async fn run(state: &AppState, kind: &str, payload: &Value) -> Result<(), String> {
    let caller = caller_for(state, payload).await?;
    let uid = caller.user_id();
    let key = payload.get("key").and_then(Value::as_str).ok_or("job without key")?.to_string();
    let filename = payload.get("filename").and_then(Value::as_str).unwrap_or("").to_string();
    let expiry = crate::time::now_unix() + 86_400;
    let set = |v: Value| {
        let key = key.clone();
        async move { state.meta.set_status(uid, &key, &v, expiry).await.map_err(|e| e.to_string()) }
    };
    match kind {
        "assemble" => {
            let session = state
                .meta
                .stash(&key)
                .await
                .map_err(|e| e.to_string())?
                .filter(|s| s.status == "chunks");
            let Some(session) = session else {
                // Already assembled by an earlier attempt (then its status says Success), or swept.
                let done = state.meta.status(uid, &key).await.map_err(|e| e.to_string())?;
                if done.as_ref().and_then(|v| v.get("result")).and_then(Value::as_str) != Some("Success") {
                    let e = ApiError::new("uploadstash-file-not-found", format!("Key \"{key}\" not found in stash."));
                    set(failure("assembling", &e)).await?;
                }
                return Ok(());
            };
            set(json!({"result": "Poll", "stage": "assembling", "offset": session.size})).await?;
            match chunks::assemble(state, &caller, &session, &filename).await {
                Ok((row, warns)) => {
                    let mut v = json!({"result": "Success", "stage": "assembling", "filekey": row.key});
                    if !warns.is_empty() {
                        v["warnings"] = Value::Object(warnings::to_object(&warns));
                    }
                    set(v).await
                }
                Err(e) => set(failure("assembling", &e)).await,
            }
        }
        "publish" => {
            let Some(row) = state.meta.stash(&key).await.map_err(|e| e.to_string())? else {
                // The key vanished (expired or removed): say so rather than leave the status in Poll.
                let e = ApiError::new("uploadstash-file-not-found", format!("Key \"{key}\" not found in stash."));
                return set(failure("publish", &e)).await;
            };
            set(json!({"result": "Poll", "stage": "publish"})).await?;
            let path = state.blobs.path(&row.blob_key).map_err(|e| e.to_string())?;
            let info = verify::analyze(path.clone()).await.map_err(|e| e.to_string())?;
            let title = match verify::check_file(state, &path, &info, row.size as u64, &filename).await {
                Ok(t) => t,
                Err(verify::Rejection::Fatal(e)) | Err(verify::Rejection::Recoverable(e)) => return set(failure("publish", &e)).await,
            };
            let ignore = payload.get("ignorewarnings").and_then(Value::as_bool).unwrap_or(false);
            if let Err(e) = publish::authorize_overwrite(state, &caller, &title.db_key).await {
                return set(failure("publish", &e)).await;
            }
            let req = publish::Request {
                caller: &caller,
                name: title.db_key.clone(),
                props: Props::from_stash(&row),
                comment: payload.get("comment").and_then(Value::as_str).unwrap_or("").to_string(),
                text: payload.get("text").and_then(Value::as_str).map(String::from),
                tags: tags_of(payload),
                must_be_new: !ignore,
                log_action: None,
            };
            match publish::publish(state, req, Source::Stash(row)).await {
                Ok(publish::Outcome::Published { name }) => set(json!({"result": "Success", "stage": "publish", "filename": name})).await,
                Ok(publish::Outcome::NoChange { .. }) => {
                    let e = ApiError::new(
                        "fileexists-no-change",
                        format!(
                            "The upload is an exact duplicate of the current version of [[:File:{}]].",
                            title.db_key.replace('_', " ")
                        ),
                    );
                    set(failure("publish", &e)).await
                }
                Ok(publish::Outcome::LostRace { .. }) => {
                    set(json!({"result": "Warning", "stage": "publish", "warnings": {"exists": title.db_key}})).await
                }
                Err(e) => set(failure("publish", &e)).await,
            }
        }
        "fetch" => fetch_and_publish(state, &caller, payload, &filename, &key, expiry).await,
        other => Err(format!("unknown job kind {other}")),
    }
}

/// `url` + `async`: fetch (SSRF-safe), verify, check warnings, then stash or publish, reporting
/// each stage through the status that `checkstatus&url=…&filename=…` reads.
async fn fetch_and_publish(
    state: &AppState,
    caller: &Caller,
    payload: &Value,
    filename: &str,
    key: &str,
    expiry: i64,
) -> Result<(), String> {
    let uid = caller.user_id();
    let set = |v: Value| async move { state.meta.set_status(uid, key, &v, expiry).await.map_err(|e| e.to_string()) };
    let url = payload.get("url").and_then(Value::as_str).unwrap_or("");
    let flag = |k: &str| payload.get(k).and_then(Value::as_bool).unwrap_or(false);
    set(json!({"result": "Poll", "stage": "fetching"})).await?;
    let policy = crate::api::modules::upload::fetch_policy(state);
    let fetched = match crate::upload::url::fetch(url, &policy, &state.blobs.spool_dir()).await {
        Ok(f) => f,
        Err(e) => return set(failure("fetching", &ApiError::new(e.code, e.info))).await,
    };
    let info = verify::analyze(fetched.path.to_path_buf()).await.map_err(|e| e.to_string())?;
    let title = match verify::check_file(state, &fetched.path, &info, fetched.size, filename).await {
        Ok(t) => t,
        Err(verify::Rejection::Fatal(e)) | Err(verify::Rejection::Recoverable(e)) => return set(failure("publish", &e)).await,
    };
    let info = info.for_extension(&title.final_ext);
    let sha1 = hex::encode(fetched.sha1);
    let subject = warnings::Subject {
        desired: filename,
        title: &title,
        sha1: &sha1,
        size: fetched.size,
    };
    let warns = warnings::compute(state, &subject, false).await.map_err(|e| e.to_string())?;
    if flag("stash") || (!warns.is_empty() && !flag("ignorewarnings")) {
        let row = stash::stash_temp(state, caller, fetched.path, &Props::from_info(&info, fetched.size, &sha1), "url")
            .await
            .map_err(|e| e.info)?;
        let result = if flag("stash") && (warns.is_empty() || flag("ignorewarnings")) {
            "Success"
        } else {
            "Warning"
        };
        let mut v = json!({"result": result, "stage": "publish", "filekey": row.key});
        if !warns.is_empty() {
            v["warnings"] = Value::Object(warnings::to_object(&warns));
        }
        return set(v).await;
    }
    if let Err(e) = publish::authorize_overwrite(state, caller, &title.db_key).await {
        return set(failure("publish", &e)).await;
    }
    set(json!({"result": "Poll", "stage": "publish"})).await?;
    let req = publish::Request {
        caller,
        name: title.db_key.clone(),
        props: Props::from_info(&info, fetched.size, &sha1),
        comment: payload.get("comment").and_then(Value::as_str).unwrap_or("").to_string(),
        text: payload.get("text").and_then(Value::as_str).map(String::from),
        tags: tags_of(payload),
        must_be_new: !flag("ignorewarnings"),
        log_action: None,
    };
    match publish::publish(state, req, Source::Temp(fetched.path)).await {
        Ok(publish::Outcome::Published { name }) => {
            if flag("watch") {
                state.meta.watch(uid, 6, &name, None).await.map_err(|e| e.to_string())?;
            }
            let mut v = json!({"result": "Success", "stage": "publish", "filename": name});
            if !warns.is_empty() {
                v["warnings"] = Value::Object(warnings::to_object(&warns));
            }
            set(v).await
        }
        Ok(publish::Outcome::NoChange { key: k }) => {
            let e = ApiError::new(
                "fileexists-no-change",
                format!(
                    "The upload is an exact duplicate of the current version of [[:File:{}]].",
                    title.db_key.replace('_', " ")
                ),
            )
            .with("filekey", k.clone())
            .with("sessionkey", k);
            set(failure("publish", &e)).await
        }
        Ok(publish::Outcome::LostRace { key: k }) => {
            set(json!({"result": "Warning", "stage": "publish", "warnings": {"exists": title.db_key}, "filekey": k})).await
        }
        Err(e) => set(failure("publish", &e)).await,
    }
}
