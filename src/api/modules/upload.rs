//! `action=upload`: MediaWiki's ApiUpload — parameter logic, source selection, permissions,
//! then the domain (`crate::upload`) for verification, warnings, stash, chunks and publish.

use crate::api::error::{ApiError, ApiResult};
use crate::api::imageinfo;
use crate::api::multipart::{DirectPart, FilePart};
use crate::api::spec::{Bound, CSRF_TOKEN, Group, ModuleSpec, Type, Values, param};
use crate::api::{Call, Output};
use crate::upload::publish::{self, Props, Source};
use crate::upload::verify::{self, Rejection};
use crate::upload::{chunks, stash, warnings};
use serde_json::{Map, Value, json};

const MODULE: &str = "upload";

/// Parsed `action=upload` parameters, in MediaWiki's declared order.
pub struct UploadParams {
    pub filename: Option<String>,
    pub comment: String,
    pub tags: Vec<String>,
    pub text: Option<String>,
    pub ignorewarnings: bool,
    pub file: Option<FilePart>,
    pub url: Option<String>,
    pub filekey: Option<String>,
    pub stash: bool,
    pub filesize: Option<i64>,
    pub offset: Option<i64>,
    pub chunk: Option<FilePart>,
    /// A chunk the multipart router already wrote into its session (see `chunks::ChunkRouter`).
    pub chunk_direct: Option<DirectPart>,
    pub async_: bool,
    pub checkstatus: bool,
    /// Resolved watch intent (MediaWiki 12.4): `watch`, `watchlist=watch`, or `preferences` for non-bots.
    pub watch: bool,
}

/// `action=upload`'s parameters in MediaWiki 1.39's declared order (which is also the order
/// they are validated in). `watchlistexpiry` is absent, as on a wiki without
/// `$wgWatchlistExpiry`.
pub static SPEC: ModuleSpec = ModuleSpec {
    path: "upload",
    class: "ApiUpload",
    group: Some(Group::Action),
    read_rights: true,
    write_rights: true,
    must_post: true,
    help: "Upload a file, or get the status of pending uploads: directly (multipart `file`), in chunks into the stash (`stash`, `filesize`, `offset`, `chunk`, `filekey`) then publish by `filekey`, or from a URL.",
    params: &[
        param("filename", Type::String).help("Target file name, with or without the File: prefix."),
        param("comment", Type::String)
            .default("")
            .help("Upload comment; also the initial page text when text is not given."),
        param("tags", Type::Tags)
            .multi()
            .help("Change tags for the upload log entry and page revision (configured in change_tags)."),
        param("text", Type::Text).help("Initial page text for new files."),
        param("watch", Type::Boolean).deprecated().help("Watch the page."),
        param("watchlist", Type::Enum(&["nochange", "preferences", "watch"]))
            .default("preferences")
            .help("Add the page to the watchlist (preferences: yes, except for bots)."),
        param("ignorewarnings", Type::Boolean).help("Ignore any warnings."),
        param("file", Type::Upload).help("File contents (multipart/form-data)."),
        param("url", Type::String).help("URL to fetch the file from (when url_uploads are enabled)."),
        param("filekey", Type::String).help("Key of a stashed upload or chunk session to continue or publish."),
        param("sessionkey", Type::String).deprecated().help("Same as filekey."),
        param("stash", Type::Boolean).help("Put the file in the stash instead of publishing it."),
        param(
            "filesize",
            Type::Integer {
                min: Some(0),
                max: Some(Bound::MaxUploadSize),
            },
        )
        .help("Size of the entire chunked upload."),
        param("offset", Type::Integer { min: Some(0), max: None }).help("Offset of this chunk in bytes."),
        param("chunk", Type::Upload).help("Chunk contents."),
        param("async", Type::Boolean).help("Assemble chunks or fetch the URL in the background; poll with checkstatus."),
        param("checkstatus", Type::Boolean).help("Only report the status of the upload with this filekey (or url and filename)."),
        CSRF_TOKEN,
    ],
    ..ModuleSpec::BASE
};

fn parse(call: &mut Call<'_>, mut v: Values) -> UploadParams {
    let watch = v.flag("watch");
    let watch = match v.str("watchlist") {
        Some("watch") => true,
        Some("nochange") => false,
        _ => watch || !call.caller.has("bot"),
    } || watch;
    let mut filekey = v.str("filekey").map(String::from);
    if let Some(sk) = v.str("sessionkey")
        && filekey.as_deref().map(str::is_empty).unwrap_or(true)
    {
        filekey = Some(sk.to_string());
    }
    let file = v.take_file("file");
    let chunk = v.take_file("chunk");
    let chunk_direct = if chunk.is_none() { v.take_direct("chunk") } else { None };
    UploadParams {
        filename: v.str("filename").map(String::from),
        comment: v.str("comment").unwrap_or("").to_string(),
        tags: v.list("tags").to_vec(),
        text: v.str("text").map(String::from),
        ignorewarnings: v.flag("ignorewarnings"),
        file,
        url: v.str("url").map(String::from),
        filekey,
        stash: v.flag("stash"),
        filesize: v.int("filesize"),
        offset: v.int("offset"),
        chunk,
        chunk_direct,
        async_: v.flag("async") && call.state.config.uploads.async_uploads,
        checkstatus: v.flag("checkstatus"),
        watch,
    }
}

fn upload_obj(pairs: Vec<(&str, Value)>) -> Output {
    let mut u = Map::new();
    for (k, v) in pairs {
        u.insert(k.to_string(), v);
    }
    let mut out = Map::new();
    out.insert("upload".into(), Value::Object(u));
    Output::Json(out)
}

/// Upload rights (`upload` and `edit`, plus `upload_by_url` for URLs): `mustbeloggedin` for anonymous callers.
fn check_rights(call: &Call<'_>, by_url: bool) -> ApiResult<()> {
    let mut needed = vec!["upload", "edit"];
    if by_url {
        needed.insert(0, "upload_by_url");
    }
    for right in needed {
        if !call.caller.has(right) {
            if !call.caller.is_logged_in() {
                return Err(ApiError::new("mustbeloggedin", "You must be logged in to upload this file.").module(MODULE));
            }
            return Err(super::permission_denied(call, right, MODULE));
        }
    }
    Ok(())
}

pub async fn execute(call: &mut Call<'_>, v: Values) -> ApiResult<Output> {
    let mut up = parse(call, v);
    if !call.state.config.uploads.enabled {
        return Err(ApiError::new("uploaddisabled", "Uploads are not enabled.").module(MODULE));
    }
    let chunk = match (up.chunk.take(), up.chunk_direct.take()) {
        (Some(f), _) => Some(ChunkBytes::Spooled(f)),
        (None, Some(d)) => Some(ChunkBytes::Direct(d)),
        (None, None) => None,
    };
    if chunk.is_none() {
        let given: Vec<&str> = [
            ("filekey", up.filekey.is_some()),
            ("file", up.file.is_some()),
            ("url", up.url.is_some()),
        ]
        .iter()
        .filter(|(_, g)| *g)
        .map(|(n, _)| *n)
        .collect();
        if given.len() > 1 {
            let names: Vec<String> = given.iter().map(|g| g.to_string()).collect();
            return Err(ApiError::cannot_use_together(&names, MODULE));
        }
        if given.is_empty() {
            return Err(ApiError::new(
                "missingparam",
                "One of the parameters \"filekey\", \"file\" and \"url\" is required.",
            )
            .module(MODULE));
        }
        if up.checkstatus && (up.filekey.is_some() || up.url.is_some()) {
            check_rights(call, false)?;
            return checkstatus(call, &up).await;
        }
    }
    let Some(filename) = up.filename.clone() else {
        return Err(ApiError::new("nofilename", "The \"filename\" parameter must be set.").module(MODULE));
    };
    if let Some(chunk) = chunk {
        if up.filekey.is_some() && up.offset == Some(0) {
            return Err(ApiError::new("filekeynotallowed", "Cannot supply a \"filekey\" when \"offset\" is 0.").module(MODULE));
        }
        if up.filekey.is_none() && up.offset != Some(0) {
            return Err(ApiError::new("filekeyneeded", "Must supply a \"filekey\" when \"offset\" is non-zero.").module(MODULE));
        }
        let session = match &up.filekey {
            Some(k) => Some(stash::load_owned(call.state, &call.caller, k).await?),
            None => None,
        };
        check_rights(call, false)?;
        return chunk_request(call, &up, &filename, chunk, session).await;
    }
    if let Some(key) = up.filekey.clone() {
        if !stash::key_is_valid(&key) {
            return Err(ApiError::new("invalid-file-key", "Not a valid file key.").module(MODULE));
        }
        let row = stash::load_owned(call.state, &call.caller, &key).await?;
        check_rights(call, false)?;
        return from_stash(call, &up, &filename, row).await;
    }
    if let Some(file) = up.file.take() {
        if up.async_ {
            return Err(ApiError::new(
                "cannot-async-upload-file",
                "The parameters \"async\" and \"file\" cannot be combined. If you want asynchronous processing of your uploaded file, first upload it to stash (using the \"stash\" parameter) and then publish the stashed file asynchronously (using \"filekey\" and \"async\").",
            )
            .module(MODULE));
        }
        check_rights(call, false)?;
        return direct(call, &up, &filename, file).await;
    }
    // url=
    let url = up.url.clone().unwrap_or_default();
    if !call.state.config.url_uploads.enabled {
        return Err(ApiError::new("copyuploaddisabled", "Upload by URL disabled.").module(MODULE));
    }
    let policy = fetch_policy(call.state);
    crate::upload::url::precheck(&url, &policy).map_err(|e| ApiError::new(e.code, e.info).module(MODULE))?;
    check_rights(call, true)?;
    if up.async_ {
        return queue_url_upload(call, &up, &filename, &url).await;
    }
    let fetched = crate::upload::url::fetch(&url, &policy, &call.state.blobs.spool_dir())
        .await
        .map_err(|e| ApiError::new(e.code, e.info).module(MODULE))?;
    let file = FilePart {
        name: "url".into(),
        client_filename: url.clone(),
        size: fetched.size,
        sha1: fetched.sha1,
        path: fetched.path,
    };
    direct(call, &up, &filename, file).await
}

/// checkstatus key of a URL upload, as MediaWiki computes it: sha1(filename + "|||" + url).
pub fn url_status_key(filename: &str, url: &str) -> String {
    use sha1::Digest;
    hex::encode(sha1::Sha1::digest(format!("{filename}|||{url}").as_bytes()))
}

/// `url` + `async`: checks the name, then queues a durable fetch-verify-publish job and answers
/// `Poll`; the client polls `checkstatus` with the same `url` and `filename`.
async fn queue_url_upload(call: &mut Call<'_>, up: &UploadParams, filename: &str, url: &str) -> ApiResult<Output> {
    let state = call.state;
    let title = match verify::check_name(state, filename) {
        Ok(t) => t,
        Err(Rejection::Fatal(e)) | Err(Rejection::Recoverable(e)) => return Err(e.module(MODULE)),
    };
    let key = url_status_key(filename, url);
    let user = call.caller.user_id();
    if !state
        .meta
        .claim_status(user, &key, &json!({"result": "Poll", "stage": "queued"}), status_expiry())
        .await?
    {
        return Err(ApiError::new("publishfailed", "Upload from this URL is already in progress.").module(MODULE));
    }
    let payload = json!({
        "user_id": user, "bot_app": call.caller.bot_app, "key": key, "url": url, "filename": filename,
        "comment": up.comment, "text": up.text, "ignorewarnings": up.ignorewarnings, "tags": up.tags,
        "stash": up.stash, "watch": up.watch,
    });
    state.meta.enqueue_job("fetch", &payload).await?;
    state.jobs_notify.notify_one();
    Ok(upload_obj(vec![
        ("result", json!("Poll")),
        ("stage", json!("queued")),
        ("filename", json!(title.db_key)),
    ]))
}

/// The SSRF-safe fetch policy from configuration.
pub fn fetch_policy(state: &crate::app::AppState) -> crate::upload::url::FetchPolicy {
    let c = &state.config.url_uploads;
    crate::upload::url::FetchPolicy {
        allowed_domains: c.domains.clone(),
        allow_addresses: c.allow_addresses.clone(),
        max_bytes: state.config.uploads.max_upload_size,
        connect_timeout: std::time::Duration::from_secs(c.timeout_secs.clamp(1, 60)),
        total_timeout: std::time::Duration::from_secs(c.timeout_secs.max(1)),
        max_redirects: c.max_redirects,
    }
}

/// Adds `filekey`/`sessionkey` (and `invalidparameter` for name errors) to a recoverable error.
fn recoverable(mut e: ApiError, key: &str, name_error: bool) -> ApiError {
    e.data.insert("filekey".into(), json!(key));
    e.data.insert("sessionkey".into(), json!(key));
    if name_error {
        e.data.insert("invalidparameter".into(), json!("filename"));
    }
    e.module(MODULE)
}

async fn direct(call: &mut Call<'_>, up: &UploadParams, filename: &str, file: FilePart) -> ApiResult<Output> {
    let state = call.state;
    let info = verify::analyze(file.path.to_path_buf()).await?;
    let sha1 = hex::encode(file.sha1);
    let size = file.size;
    let title = match verify::check_file(state, &file.path, &info, size, filename).await {
        Ok(t) => t,
        Err(Rejection::Fatal(e)) => return Err(e.module(MODULE)),
        Err(Rejection::Recoverable(e)) => {
            let row = stash::stash_temp(state, &call.caller, file.path, &Props::from_info(&info, size, &sha1), "file").await?;
            return Err(recoverable(e, &row.key, true));
        }
    };
    // The type MediaWiki records depends on the final extension too (random bytes named .txt are text/plain).
    let info = info.for_extension(&title.final_ext);
    let props = Props::from_info(&info, size, &sha1);
    finish(call, up, filename, &title, props, Source::Temp(file.path)).await
}

async fn from_stash(call: &mut Call<'_>, up: &UploadParams, filename: &str, row: crate::store::meta::StashRow) -> ApiResult<Output> {
    let state = call.state;
    if row.status != "finished" {
        return Err(ApiError::new("stashfailed", "The chunked upload is not complete yet.").module(MODULE));
    }
    // The full verification runs again, against the (possibly new) name.
    let path = state.blobs.path(&row.blob_key)?;
    let info = verify::analyze(path.clone()).await?;
    let title = match verify::check_file(state, &path, &info, row.size as u64, filename).await {
        Ok(t) => t,
        Err(Rejection::Fatal(e)) => return Err(e.module(MODULE)),
        Err(Rejection::Recoverable(e)) => return Err(recoverable(e, &row.key, true)),
    };
    let props = Props::from_stash(&row);
    finish(call, up, filename, &title, props, Source::Stash(row)).await
}

/// Authorization, warnings, then stash or publish (sync or async): the part every source shares.
async fn finish(
    call: &mut Call<'_>,
    up: &UploadParams,
    filename: &str,
    title: &crate::upload::title::FileTitle,
    props: Props,
    source: Source,
) -> ApiResult<Output> {
    let state = call.state;
    if !up.stash
        && let Err(e) = publish::authorize_overwrite(state, &call.caller, &title.db_key).await
    {
        let key = ensure_stashed(call, source, &props).await?;
        return Err(recoverable(e, &key, true));
    }
    let subject = warnings::Subject {
        desired: filename,
        title,
        sha1: &props.sha1,
        size: props.size,
    };
    let warns = warnings::compute(state, &subject, call.ctx.fv2).await?;
    if !warns.is_empty() && !up.ignorewarnings {
        let key = ensure_stashed(call, source, &props).await?;
        return Ok(upload_obj(vec![
            ("result", json!("Warning")),
            ("warnings", Value::Object(warnings::to_object(&warns))),
            ("filekey", json!(key)),
            ("sessionkey", json!(key)),
        ]));
    }
    let warnings_value = (!warns.is_empty()).then(|| Value::Object(warnings::to_object(&warns)));
    let mut pairs: Vec<(&str, Value)> = Vec::new();
    if up.stash {
        let key = ensure_stashed(call, source, &props).await?;
        let row = state
            .meta
            .stash(&key)
            .await?
            .ok_or_else(|| ApiError::new("stashfailed", "Invalid stashed file."))?;
        pairs.push(("result", json!("Success")));
        if let Some(w) = warnings_value {
            pairs.push(("warnings", w));
        }
        pairs.push(("filekey", json!(key)));
        pairs.push(("sessionkey", json!(key)));
        pairs.push((
            "imageinfo",
            Value::Object(imageinfo::for_stash(&call.ctx, &row, &imageinfo::props(imageinfo::STASH_PROPS))),
        ));
        return Ok(upload_obj(pairs));
    }
    if up.async_
        && let Source::Stash(row) = &source
    {
        let claimed = state
            .meta
            .claim_status(
                call.caller.user_id(),
                &row.key,
                &json!({"result": "Poll", "stage": "queued"}),
                status_expiry(),
            )
            .await?;
        if !claimed {
            return Err(ApiError::new("publishfailed", "Upload from stash already in progress.").module(MODULE));
        }
        let payload = json!({
            "user_id": call.caller.user_id(), "bot_app": call.caller.bot_app, "key": row.key, "filename": filename,
            "comment": up.comment, "text": up.text, "ignorewarnings": up.ignorewarnings, "tags": up.tags,
        });
        state.meta.enqueue_job("publish", &payload).await?;
        state.jobs_notify.notify_one();
        return Ok(upload_obj(vec![
            ("result", json!("Poll")),
            ("stage", json!("queued")),
            ("filename", json!(title.db_key)),
        ]));
    }
    super::may_apply_tags(call, &up.tags, MODULE)?;
    // MediaWiki's result links the description page by id only if it existed before this upload.
    let page_before = state.meta.page(6, &title.db_key).await?.map(|p| p.id);
    let req = publish::Request {
        caller: &call.caller,
        name: title.db_key.clone(),
        props,
        comment: up.comment.clone(),
        text: up.text.clone(),
        tags: up.tags.clone(),
        must_be_new: !up.ignorewarnings,
        log_action: None,
    };
    match publish::publish(state, req, source).await? {
        publish::Outcome::Published { name } => {
            if up.watch {
                state.meta.watch(call.caller.user_id(), 6, &name, None).await?;
            }
            let v = state
                .meta
                .current_file(&name)
                .await?
                .ok_or_else(|| ApiError::new("publishfailed", "The file vanished after publishing."))?;
            pairs.push(("result", json!("Success")));
            pairs.push(("filename", json!(name)));
            if let Some(w) = warnings_value {
                pairs.push(("warnings", w));
            }
            pairs.push((
                "imageinfo",
                Value::Object(imageinfo::for_version(
                    &call.ctx,
                    &v,
                    &imageinfo::props(imageinfo::UPLOAD_PROPS),
                    page_before,
                )),
            ));
            Ok(upload_obj(pairs))
        }
        publish::Outcome::NoChange { key } => Err(recoverable(
            ApiError::new(
                "fileexists-no-change",
                format!(
                    "The upload is an exact duplicate of the current version of [[:File:{}]].",
                    title.db_key.replace('_', " ")
                ),
            ),
            &key,
            false,
        )),
        publish::Outcome::LostRace { key } => Ok(upload_obj(vec![
            ("result", json!("Warning")),
            ("warnings", json!({"exists": title.db_key})),
            ("filekey", json!(key)),
            ("sessionkey", json!(key)),
        ])),
    }
}

/// Puts the bytes in the stash (if not there already) and returns the key.
async fn ensure_stashed(call: &Call<'_>, source: Source, props: &Props) -> ApiResult<String> {
    match source {
        Source::Stash(row) => Ok(row.key),
        Source::Temp(temp) => Ok(stash::stash_temp(call.state, &call.caller, temp, props, "file").await?.key),
        // action=upload only publishes new bytes or stash entries.
        Source::Owned(_) => Err(ApiError::internal("stash", "an existing version's blob cannot be stashed")),
    }
}

fn status_expiry() -> i64 {
    crate::time::now_unix() + 86_400
}

/// A chunk's bytes: spooled by the multipart parser, or already written into its session.
enum ChunkBytes {
    Spooled(FilePart),
    Direct(DirectPart),
}

impl ChunkBytes {
    fn size(&self) -> u64 {
        match self {
            ChunkBytes::Spooled(f) => f.size,
            ChunkBytes::Direct(d) => d.size,
        }
    }
    fn sha1(&self) -> [u8; 20] {
        match self {
            ChunkBytes::Spooled(f) => f.sha1,
            ChunkBytes::Direct(d) => d.sha1,
        }
    }
    /// The chunk as a file of its own (a routed chunk is copied out of its session; rare paths only).
    async fn into_temp(
        self,
        state: &crate::app::AppState,
        session: Option<&crate::store::meta::StashRow>,
    ) -> ApiResult<tempfile::TempPath> {
        match self {
            ChunkBytes::Spooled(f) => Ok(f.path),
            ChunkBytes::Direct(d) => {
                let (Some(row), Some(routed)) = (session, d.guard.downcast_ref::<chunks::RoutedChunk>()) else {
                    return Err(ApiError::internal("chunk", "routed chunk without its session"));
                };
                Ok(chunks::copy_range_to_spool(state, &row.blob_key, routed.offset, d.size).await?)
            }
        }
    }
}

/// Stashes a chunk on its own (after a warning or a recoverable error).
async fn stash_chunk(
    call: &Call<'_>,
    chunk: ChunkBytes,
    session: Option<&crate::store::meta::StashRow>,
) -> ApiResult<crate::store::meta::StashRow> {
    let (size, sha1) = (chunk.size(), hex::encode(chunk.sha1()));
    let temp = chunk.into_temp(call.state, session).await?;
    let info = verify::analyze(temp.to_path_buf()).await?;
    stash::stash_temp(call.state, &call.caller, temp, &Props::from_info(&info, size, &sha1), "file").await
}

async fn chunk_request(
    call: &mut Call<'_>,
    up: &UploadParams,
    filename: &str,
    chunk: ChunkBytes,
    session: Option<crate::store::meta::StashRow>,
) -> ApiResult<Output> {
    let state = call.state;
    // Name-only verification (there is no complete file yet).
    let title = match verify::check_name(state, filename) {
        Ok(t) => t,
        Err(Rejection::Fatal(e)) => return Err(e.module(MODULE)),
        Err(Rejection::Recoverable(e)) => {
            let row = stash_chunk(call, chunk, session.as_ref()).await?;
            return Err(recoverable(e, &row.key, true));
        }
    };
    let filesize = up.filesize.unwrap_or(-1);
    let chunk_len = chunk.size();
    let server_offset = session.as_ref().map(|s| s.size as u64).unwrap_or(0);
    // A chunk without `offset` but with `filekey` (the docs' demo) is appended at the server's offset.
    let offset = match (up.offset, &session) {
        (Some(o), _) => o as u64,
        (None, Some(_)) => server_offset,
        (None, None) => 0,
    };
    let total = offset + chunk_len;
    if filesize < 0 || total > filesize as u64 {
        return Err(ApiError::new("invalid-chunk", "Offset plus current chunk is greater than claimed file size.").module(MODULE));
    }
    let min = state.config.uploads.min_chunk_size.min(state.config.uploads.max_upload_size);
    if total != filesize as u64 && chunk_len < min {
        return Err(ApiError::new(
            "chunk-too-small",
            format!(
                "Minimum chunk size is {} bytes for non-final chunks.",
                crate::api::params::group_digits(min as i64)
            ),
        )
        .module(MODULE));
    }
    // Warnings are evaluated on every chunk request, on the chunk's own bytes.
    let sha1 = hex::encode(chunk.sha1());
    let subject = warnings::Subject {
        desired: filename,
        title: &title,
        sha1: &sha1,
        size: chunk_len,
    };
    let warns = warnings::compute(state, &subject, call.ctx.fv2).await?;
    if !warns.is_empty() && !up.ignorewarnings {
        let row = stash_chunk(call, chunk, session.as_ref()).await?;
        return Ok(upload_obj(vec![
            ("result", json!("Warning")),
            ("warnings", Value::Object(warnings::to_object(&warns))),
            ("filekey", json!(row.key)),
            ("sessionkey", json!(row.key)),
        ]));
    }
    let mut pairs: Vec<(&str, Value)> = Vec::new();
    if !warns.is_empty() {
        pairs.push(("warnings", Value::Object(warnings::to_object(&warns))));
    }
    let user = call.caller.user_id();
    let session = match session {
        None => {
            let temp = chunk.into_temp(state, None).await?;
            chunks::start(state, &call.caller, temp, chunk_len).await?
        }
        Some(row) => {
            if row.status != "chunks" {
                return Err(ApiError::new("stashfailed", "No chunked upload session with this key.").module(MODULE));
            }
            if let Some(st) = state.meta.status(user, &row.key).await?
                && st.get("result").and_then(Value::as_str) != Some("Continue")
            {
                return Err(ApiError::new("stashfailed", "Chunked upload is already completed, check status for details.").module(MODULE));
            }
            // A routed chunk holds the session lock already (inside the part); a spooled one takes it here.
            let lock = state.chunk_locks.lock_for(&row.key);
            let _guard = match &chunk {
                ChunkBytes::Spooled(_) => Some(lock.lock().await),
                ChunkBytes::Direct(_) => None,
            };
            // Re-read under the lock: another request may have advanced the session.
            let row = state
                .meta
                .stash(&row.key)
                .await?
                .ok_or_else(|| ApiError::new("uploadstash-file-not-found", format!("Key \"{}\" not found in stash.", row.key)))?;
            let appended = match &chunk {
                ChunkBytes::Spooled(f) => chunks::append(state, &row, up.offset.map(|o| o as u64), &f.path, chunk_len).await,
                ChunkBytes::Direct(d) => chunks::commit_direct(state, &row, d).await,
            };
            match appended {
                Ok(chunks::Appended::At(_)) => state.meta.stash(&row.key).await?.unwrap_or(row),
                Ok(chunks::Appended::Replayed(at)) => {
                    pairs.push(("result", json!("Continue")));
                    pairs.push(("offset", json!(at)));
                    pairs.push(("filekey", json!(row.key)));
                    return Ok(upload_obj(pairs));
                }
                Err(e) => return Err(e.module(MODULE)),
            }
        }
    };
    let now_at = session.size as u64;
    if now_at != filesize as u64 {
        state
            .meta
            .set_status(
                user,
                &session.key,
                &json!({"result": "Continue", "stage": "uploading", "offset": now_at}),
                status_expiry(),
            )
            .await?;
        pairs.push(("result", json!("Continue")));
        pairs.push(("offset", json!(now_at)));
        pairs.push(("filekey", json!(session.key)));
        return Ok(upload_obj(pairs));
    }
    // Last chunk.
    if up.async_ {
        state
            .meta
            // Beyond MediaWiki: `offset` tells a polling client how many bytes the server holds.
            .set_status(
                user,
                &session.key,
                &json!({"result": "Poll", "stage": "queued", "offset": session.size}),
                status_expiry(),
            )
            .await?;
        let payload = json!({"user_id": user, "bot_app": call.caller.bot_app, "key": session.key, "filename": filename});
        state.meta.enqueue_job("assemble", &payload).await?;
        state.jobs_notify.notify_one();
        pairs.push(("result", json!("Poll")));
        pairs.push(("stage", json!("queued")));
        pairs.push(("filekey", json!(session.key)));
        return Ok(upload_obj(pairs));
    }
    state.meta.delete_status(user, &session.key).await?;
    let (row, warns) = chunks::assemble(state, &call.caller, &session, filename)
        .await
        .map_err(|e| e.module(MODULE))?;
    let mut pairs: Vec<(&str, Value)> = Vec::new();
    if !warns.is_empty() {
        pairs.push(("warnings", Value::Object(warnings::to_object(&warns))));
    }
    pairs.push(("result", json!("Success")));
    pairs.push(("filekey", json!(row.key)));
    pairs.push((
        "imageinfo",
        Value::Object(imageinfo::for_stash(&call.ctx, &row, &imageinfo::props(imageinfo::STASH_PROPS))),
    ));
    Ok(upload_obj(pairs))
}

async fn checkstatus(call: &mut Call<'_>, up: &UploadParams) -> ApiResult<Output> {
    let state = call.state;
    let user = call.caller.user_id();
    let key = match (&up.filekey, &up.url) {
        (Some(k), _) => k.clone(),
        (None, Some(url)) => url_status_key(up.filename.as_deref().unwrap_or(""), url),
        _ => return Err(ApiError::new("missingresult", "No result in status data.").module(MODULE)),
    };
    let Some(status) = state.meta.status(user, &key).await? else {
        return Err(ApiError::new("missingresult", "No result in status data.").module(MODULE));
    };
    if status.get("result").and_then(Value::as_str) == Some("Failure") {
        let code = status
            .pointer("/error/code")
            .and_then(Value::as_str)
            .unwrap_or("stashfailed")
            .to_string();
        let info = status
            .pointer("/error/info")
            .and_then(Value::as_str)
            .unwrap_or("Invalid stashed file.")
            .to_string();
        let mut e = ApiError::new(code, info).module(MODULE);
        if let Some(Value::Object(data)) = status.pointer("/error/data") {
            e.data = data.clone();
        }
        return Err(e);
    }
    let mut pairs: Vec<(&str, Value)> = Vec::new();
    let mut imageinfo_value = None;
    if let Value::Object(m) = &status {
        for (k, v) in m {
            match k.as_str() {
                "result" => pairs.push(("result", v.clone())),
                "stage" => pairs.push(("stage", v.clone())),
                "offset" => pairs.push(("offset", v.clone())),
                "filekey" => pairs.push(("filekey", v.clone())),
                "filename" => pairs.push(("filename", v.clone())),
                "warnings" => pairs.push(("warnings", v.clone())),
                _ => {}
            }
        }
        if m.get("result").and_then(Value::as_str) == Some("Success") {
            if let Some(k2) = m.get("filekey").and_then(Value::as_str) {
                if let Some(row) = state.meta.stash(k2).await? {
                    imageinfo_value = Some(Value::Object(imageinfo::for_stash(
                        &call.ctx,
                        &row,
                        &imageinfo::props(imageinfo::STASH_PROPS),
                    )));
                }
            } else if let Some(name) = m.get("filename").and_then(Value::as_str)
                && let Some(v) = state.meta.current_file(name).await?
            {
                imageinfo_value = Some(Value::Object(imageinfo::for_version(
                    &call.ctx,
                    &v,
                    &imageinfo::props(imageinfo::UPLOAD_PROPS),
                    None,
                )));
            }
        }
    }
    if let Some(ii) = imageinfo_value {
        pairs.push(("imageinfo", ii));
    }
    Ok(upload_obj(pairs))
}
