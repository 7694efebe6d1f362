//! `action=upload`: MediaWiki's ApiUpload on the wire — parameters, their combinations, and
//! the JSON of every result. The decisions (rights, verification, warnings, stash, publish,
//! chunks, jobs) are the domain's (`mwupload_core::upload::service`); this module turns
//! parameters into a request for it and its typed answer into MediaWiki's shapes.

use crate::error::{ApiError, ApiResult};
use crate::imageinfo;
use crate::multipart::{DirectPart, FilePart};
use crate::spec::{Bound, CSRF_TOKEN, Group, ModuleSpec, Type, Values, param};
use crate::upload_wire;
use crate::{Call, Output};
use mwupload_core::SharedState;
use mwupload_core::upload::service::{self, ChunkBytes, ChunkPosition, Incoming, UploadRequest, UploadResponse};
use mwupload_core::upload::{UploadError, UploadFailure, UploadStatus, chunks};
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

/// An upload-domain error as this module's MediaWiki error.
fn domain_error(call: &Call<'_>, e: UploadError) -> ApiError {
    upload_wire::error(call.state, &e).module(MODULE)
}

fn domain_failure(call: &Call<'_>, f: UploadFailure) -> ApiError {
    upload_wire::failure(call.state, &f).module(MODULE)
}

fn incoming(f: FilePart) -> Incoming {
    Incoming {
        path: f.path,
        size: f.size,
        sha1: f.sha1,
    }
}

pub async fn execute(call: &mut Call<'_>, v: Values) -> ApiResult<Output> {
    let up = parse(call, v);
    let name = up.filename.clone().unwrap_or_default();
    let bytes = [
        up.file.as_ref().map(|f| f.size),
        up.chunk.as_ref().map(|f| f.size),
        up.chunk_direct.as_ref().map(|f| f.size),
    ]
    .into_iter()
    .flatten()
    .sum::<u64>();
    let r = execute_parsed(call, up).await;
    let result = match &r {
        Ok(Output::Json(m)) => m
            .get("upload")
            .and_then(|u| u.get("result"))
            .and_then(|r| r.as_str())
            .unwrap_or("Success")
            .to_string(),
        Ok(Output::Raw(_)) => "Success".to_string(),
        Err(e) => e.code.clone(),
    };
    mwupload_core::request_log::note_upload(&name, bytes, &result);
    r
}

async fn execute_parsed(call: &mut Call<'_>, mut up: UploadParams) -> ApiResult<Output> {
    service::check_enabled(call.state).map_err(|e| domain_error(call, e))?;
    let chunk = match (up.chunk.take(), up.chunk_direct.take()) {
        (Some(f), _) => Some(ChunkBytes::Spooled(incoming(f))),
        (None, Some(d)) => Some(routed(d)?),
        (None, None) => None,
    };
    if chunk.is_none() {
        // requireOnlyOneParameter names them in declared order (file, url, filekey).
        let given: Vec<&str> = [
            ("file", up.file.is_some()),
            ("url", up.url.is_some()),
            ("filekey", up.filekey.is_some()),
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
            return Err(ApiError::missingparam_one_of(&["filekey", "file", "url"], MODULE));
        }
        if up.checkstatus && (up.filekey.is_some() || up.url.is_some()) {
            return checkstatus(call, &up).await;
        }
    }
    let Some(filename) = up.filename.clone() else {
        // ApiUpload::selectUploadModule: dieWithError( [ 'apierror-missingparam', 'filename' ] ).
        return Err(ApiError::from_message(
            "nofilename",
            "apierror-missingparam",
            vec![json!("filename")],
            "The <var>filename</var> parameter must be set.",
        )
        .module(MODULE));
    };
    let req = UploadRequest {
        filename,
        comment: up.comment.clone(),
        tags: up.tags.clone(),
        text: up.text.clone(),
        ignorewarnings: up.ignorewarnings,
        stash: up.stash,
        async_: up.async_,
        watch: up.watch,
    };
    let caller = call.caller.clone();
    let state = call.state.clone();
    let result = if let Some(chunk) = chunk {
        if up.filekey.is_some() && up.offset == Some(0) {
            return Err(ApiError::from_message(
                "filekeynotallowed",
                "apierror-upload-filekeynotallowed",
                vec![],
                "Cannot supply a <var>filekey</var> when <var>offset</var> is 0.",
            )
            .module(MODULE));
        }
        if up.filekey.is_none() && up.offset != Some(0) {
            return Err(ApiError::from_message(
                "filekeyneeded",
                "apierror-upload-filekeyneeded",
                vec![],
                "Must supply a <var>filekey</var> when <var>offset</var> is non-zero.",
            )
            .module(MODULE));
        }
        let pos = ChunkPosition {
            filekey: up.filekey.clone(),
            offset: up.offset.map(|o| o as u64),
            filesize: up.filesize.map(|f| f as u64),
        };
        match service::chunk(&state, &caller, &req, chunk, &pos).await {
            // An empty first chunk: MediaWiki 1.39 answers the empty-file warning, with the
            // failed stash attempt as `stasherrors`.
            Err(f) if up.offset == Some(0) && matches!(f.error, UploadError::StashZeroLength) => {
                return Ok(upload_obj(vec![
                    ("result", json!("Warning")),
                    ("warnings", json!({ "empty-file": call.ctx.true_value() })),
                    (
                        "stasherrors",
                        json!([{
                            "message": "uploadstash-exception",
                            "params": ["UploadStashZeroLengthFileException", "File is zero length."],
                            "code": "uploadstash-exception",
                            "type": "error"
                        }]),
                    ),
                ]));
            }
            other => other,
        }
    } else if let Some(key) = up.filekey.clone() {
        service::from_stash(&state, &caller, &req, &key).await
    } else if let Some(file) = up.file.take() {
        if up.async_ {
            return Err(ApiError::from_message(
                "cannot-async-upload-file",
                "apierror-cannot-async-upload-file",
                vec![],
                "The parameters <var>async</var> and <var>file</var> cannot be combined. If you want asynchronous processing of your uploaded file, first upload it to stash (using the <var>stash</var> parameter) and then publish the stashed file asynchronously (using <var>filekey</var> and <var>async</var>).",
            )
            .module(MODULE));
        }
        match service::check_rights(&caller, false) {
            Ok(()) => service::direct(&state, &caller, &req, incoming(file)).await,
            Err(e) => Err(e.into()),
        }
    } else {
        let url = up.url.clone().unwrap_or_default();
        service::by_url(&state, &caller, &req, &url).await
    };
    match result {
        Ok(r) => {
            if let UploadResponse::Published { version, .. } = &r {
                let comment = [(version.description.as_str(), Some((6, version.name.as_str())))];
                call.ctx.comment_links.resolve(call.state, comment).await?;
            }
            Ok(render(call, r))
        }
        Err(f) => Err(domain_failure(call, f)),
    }
}

/// A chunk the multipart parser already wrote into its session (see [`ChunkRouter`]).
fn routed(d: DirectPart) -> ApiResult<ChunkBytes> {
    let chunk = d
        .guard
        .downcast::<chunks::RoutedChunk>()
        .map_err(|_| ApiError::internal("chunk", "routed part without its session"))?;
    Ok(ChunkBytes::Routed {
        chunk,
        size: d.size,
        sha1: d.sha1,
        hasher: d.hasher,
    })
}

/// The JSON of a finished upload request.
fn render(call: &Call<'_>, r: UploadResponse) -> Output {
    let ctx = &call.ctx;
    let w = |ws: &[mwupload_core::upload::UploadWarning]| upload_wire::warnings(ctx, ws);
    match r {
        UploadResponse::Published {
            warnings,
            version,
            page_before,
        } => {
            let mut pairs = vec![("result", json!("Success")), ("filename", json!(version.name))];
            if !warnings.is_empty() {
                pairs.push(("warnings", w(&warnings)));
            }
            pairs.push((
                "imageinfo",
                Value::Object(imageinfo::for_version(
                    ctx,
                    &version,
                    &imageinfo::props(imageinfo::UPLOAD_PROPS),
                    page_before,
                )),
            ));
            upload_obj(pairs)
        }
        UploadResponse::Warning { warnings, filekey } => upload_obj(vec![
            ("result", json!("Warning")),
            ("warnings", w(&warnings)),
            ("filekey", json!(filekey)),
            ("sessionkey", json!(filekey)),
        ]),
        // ApiUpload::getWarningsResult after performStash('optional') failed: the stash
        // attempt's Status as `stasherrors` (ApiErrorFormatter::arrayFromStatus).
        UploadResponse::WarningNotStashed { warnings, stash_error } => {
            let e = upload_wire::error(call.state, &stash_error);
            let (key, params) = match &e.message {
                Some(m) => (m.key.clone(), Value::Array(m.params.clone())),
                None => (format!("apierror-{}", e.code), json!([])),
            };
            upload_obj(vec![
                ("result", json!("Warning")),
                ("warnings", w(&warnings)),
                (
                    "stasherrors",
                    json!([{ "message": key, "params": params, "code": e.code, "type": "error" }]),
                ),
            ])
        }
        UploadResponse::Stashed { warnings, row } => {
            let mut pairs = vec![("result", json!("Success"))];
            if !warnings.is_empty() {
                pairs.push(("warnings", w(&warnings)));
            }
            pairs.push(("filekey", json!(row.key)));
            pairs.push(("sessionkey", json!(row.key)));
            pairs.push((
                "imageinfo",
                Value::Object(imageinfo::for_stash(ctx, &row, &imageinfo::props(imageinfo::STASH_PROPS))),
            ));
            upload_obj(pairs)
        }
        UploadResponse::Assembled { warnings, row } => {
            let mut pairs = Vec::new();
            if !warnings.is_empty() {
                pairs.push(("warnings", w(&warnings)));
            }
            pairs.push(("result", json!("Success")));
            pairs.push(("filekey", json!(row.key)));
            pairs.push((
                "imageinfo",
                Value::Object(imageinfo::for_stash(ctx, &row, &imageinfo::props(imageinfo::STASH_PROPS))),
            ));
            upload_obj(pairs)
        }
        UploadResponse::Continue { warnings, offset, filekey } => {
            let mut pairs = Vec::new();
            if !warnings.is_empty() {
                pairs.push(("warnings", w(&warnings)));
            }
            pairs.push(("result", json!("Continue")));
            pairs.push(("offset", json!(offset)));
            pairs.push(("filekey", json!(filekey)));
            upload_obj(pairs)
        }
        UploadResponse::Queued {
            warnings,
            filekey,
            filename,
        } => {
            let mut pairs = Vec::new();
            if !warnings.is_empty() {
                pairs.push(("warnings", w(&warnings)));
            }
            pairs.push(("result", json!("Poll")));
            pairs.push(("stage", json!("queued")));
            if let Some(k) = filekey {
                pairs.push(("filekey", json!(k)));
            }
            if let Some(n) = filename {
                pairs.push(("filename", json!(n)));
            }
            upload_obj(pairs)
        }
    }
}

async fn checkstatus(call: &mut Call<'_>, up: &UploadParams) -> ApiResult<Output> {
    let key = match (&up.filekey, &up.url) {
        (Some(k), _) => k.clone(),
        (None, Some(url)) => service::url_status_key(up.filename.as_deref().unwrap_or(""), url),
        _ => return Err(domain_error(call, UploadError::MissingResult)),
    };
    let report = service::checkstatus(call.state, &call.caller, &key)
        .await
        .map_err(|e| domain_error(call, e))?;
    if let UploadStatus::Failure { error, filekey, .. } = report.status {
        let f = match filekey {
            Some(k) => UploadFailure::recoverable(error, k, false),
            None => error.into(),
        };
        return Err(domain_failure(call, f));
    }
    let mut pairs = upload_wire::status_members(&call.ctx, &report.status);
    if let Some(row) = &report.stash_row {
        pairs.push((
            "imageinfo",
            Value::Object(imageinfo::for_stash(&call.ctx, row, &imageinfo::props(imageinfo::STASH_PROPS))),
        ));
    } else if let Some(v) = &report.version {
        let comment = [(v.description.as_str(), Some((6, v.name.as_str())))];
        call.ctx.comment_links.resolve(call.state, comment).await?;
        pairs.push((
            "imageinfo",
            Value::Object(imageinfo::for_version(
                &call.ctx,
                v,
                &imageinfo::props(imageinfo::UPLOAD_PROPS),
                None,
            )),
        ));
    }
    Ok(upload_obj(pairs))
}

/// Routes a chunk part that continues one of the caller's sessions at exactly the server's
/// offset straight into the session blob while the body streams, so the chunk is written once
/// (not spooled and copied). Anything else (first chunks, wrong or missing offsets, other users'
/// keys, a session another request is writing) is spooled and handled by `service::chunk`.
pub struct ChunkRouter {
    state: SharedState,
    /// The request's caller (whose sessions its chunks may continue).
    caller: mwupload_core::auth::Caller,
    /// The caller as the request will be judged, and the query string's `action`: with them a
    /// file part that can only be refused is not stored (see [`Self::spool_allowed`]).
    judged: Option<(mwupload_core::auth::Caller, Option<String>)>,
}

impl ChunkRouter {
    pub fn new(state: SharedState, caller: mwupload_core::auth::Caller) -> ChunkRouter {
        ChunkRouter {
            state,
            caller,
            judged: None,
        }
    }

    /// Judges file parts by `caller` (and the query string's `action`).
    pub fn judging(mut self, caller: mwupload_core::auth::Caller, query_action: Option<String>) -> ChunkRouter {
        self.judged = Some((caller, query_action));
        self
    }

    async fn direct(&self, fields: &[(String, String)]) -> Option<crate::multipart::Direct> {
        let get = |k: &str| fields.iter().rev().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        if get("action") != Some("upload") {
            return None;
        }
        let key = get("filekey").filter(|k| !k.is_empty()).or(get("sessionkey"))?.to_string();
        let offset: u64 = get("offset")?.trim().parse().ok()?;
        let ignorewarnings = fields.iter().any(|(n, _)| n == "ignorewarnings");
        let routed = chunks::open_routed(&self.state, &self.caller, &key, offset, get("filename"), ignorewarnings).await?;
        Some(crate::multipart::Direct {
            sink: routed.sink,
            hasher: routed.hasher,
            part_sha1: routed.chunk_sha1_now,
            guard: Box::new(routed.chunk),
        })
    }
}

impl crate::multipart::Router for ChunkRouter {
    /// A file part is stored only when the request can still succeed with it: it is for
    /// `action=upload`, the caller has the upload rights (else MediaWiki answers
    /// `mustbeloggedin`/`permissiondenied`), and a token sent before the part is valid (else
    /// `badtoken`). MediaWiki's clients send every field before the file.
    fn spool_allowed(&self, _part: &str, fields: &[(String, String)]) -> bool {
        let Some((caller, query_action)) = &self.judged else {
            return true;
        };
        let get = |k: &str| fields.iter().rev().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        if let Some(action) = get("action").or(query_action.as_deref())
            && action != "upload"
        {
            return false;
        }
        if service::check_rights(caller, false).is_err() {
            return false;
        }
        if let Some(token) = get("token")
            && !crate::token_is_valid(caller, "csrf", token)
        {
            return false;
        }
        true
    }

    fn route<'a>(
        &'a mut self,
        part: &'a str,
        fields: &'a [(String, String)],
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Option<crate::multipart::Direct>> + Send + 'a>> {
        Box::pin(async move { if part == "chunk" { self.direct(fields).await } else { None } })
    }
}
