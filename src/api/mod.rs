//! The MediaWiki Action API layer (`/w/api.php`): request decoding, the envelope, tokens and
//! module dispatch. Nothing here decides upload policy; that is `crate::upload`.

pub mod envelope;
pub mod error;
pub mod imageinfo;
pub mod modules;
pub mod multipart;
pub mod params;
pub mod session;

use crate::app::SharedState;
use crate::auth::{Caller, token};
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, Response};
use envelope::{Ctx, ErrorFormat, Format};
use error::{ApiError, ApiResult};
use futures_util::StreamExt;
use params::Params;
use serde_json::{Map, Value};

/// Everything a module gets: the state, the decoded parameters, the caller and the output context.
pub struct Call<'a> {
    pub state: &'a SharedState,
    pub params: &'a Params,
    pub caller: Caller,
    pub ctx: Ctx,
    pub method: Method,
    pub headers: &'a HeaderMap,
}

const MAIN_PARAMS: &[&str] = &[
    "action",
    "format",
    "formatversion",
    "utf8",
    "ascii",
    "callback",
    "errorformat",
    "errorlang",
    "errorsuselocal",
    "uselang",
    "variant",
    "assert",
    "assertuser",
    "maxlag",
    "smaxage",
    "maxage",
    "requestid",
    "servedby",
    "curtimestamp",
    "responselanginfo",
    "origin",
    "crossorigin",
];

/// Limits of a multipart body. The file limit is the largest upload plus slack; the real
/// `file-too-large` decision is made by the upload module against `$wgMaxUploadSize`.
fn multipart_limits(state: &SharedState) -> multipart::Limits {
    multipart::Limits {
        max_file_bytes: state.config.uploads.max_upload_size.saturating_add(1),
        max_field_bytes: 8 << 20,
        max_parts: 1000,
        max_header_bytes: 16 << 10,
    }
}

/// Base URL of this server as the client sees it (configured, or from the Host header).
pub fn base_url(state: &SharedState, headers: &HeaderMap) -> String {
    if !state.config.server.is_empty() {
        return state.config.server.trim_end_matches('/').to_string();
    }
    let host = headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .filter(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_graphic()))
        .map(String::from)
        .unwrap_or_else(|| state.config.listen.to_string());
    let proto = headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        .filter(|p| *p == "https")
        .unwrap_or("http");
    format!("{proto}://{host}")
}

pub async fn handle(state: SharedState, req: Request<Body>) -> Response<Body> {
    let (parts, body) = req.into_parts();
    let mut ctx = Ctx::new(base_url(&state, &parts.headers), state.config.api_path());
    if !matches!(parts.method, Method::GET | Method::HEAD | Method::POST | Method::OPTIONS) {
        let mut e = ApiError::new("invalidmethod", "Invalid HTTP method. Consider using GET or POST.");
        e.status = 405;
        return ctx.render_err(&e);
    }
    let query: Vec<(String, String)> = parts
        .uri
        .query()
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default();
    if parts.method == Method::OPTIONS {
        let mut r = Response::new(Body::empty());
        r.headers_mut()
            .insert("access-control-allow-origin", axum::http::HeaderValue::from_static("*"));
        return r;
    }
    // The caller first: a chunk for one of the caller's upload sessions can then be written
    // straight into the session while the body streams (see `ChunkRouter`).
    let session_row = match session::session_id_from_headers(&parts.headers) {
        Some(id) => match state.meta.session(&id).await {
            Ok(s) => s,
            Err(e) => return ctx.render_err(&ApiError::from(e)),
        },
        None => None,
    };
    let caller = match session::resolve(&state, session_row).await {
        Ok(c) => c,
        Err(e) => return ctx.render_err(&ApiError::from(e)),
    };
    // Decode the body: urlencoded, or multipart streamed to temp files while hashing.
    let ctype = parts
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let mut body_fields = Vec::new();
    let mut files = Vec::new();
    let mut direct = Vec::new();
    if parts.method == Method::POST {
        let lower = ctype.to_ascii_lowercase();
        if lower.starts_with("multipart/form-data") {
            let Some(boundary) = multipart::boundary_from_content_type(&ctype) else {
                return ctx.render_err(&ApiError::new("badupload", "The multipart/form-data body has no boundary."));
            };
            let stream = body.into_data_stream().map(|r| r.map_err(|e| e.to_string()));
            let spool = state.blobs.spool_dir();
            let mut router = crate::upload::chunks::ChunkRouter::new(state.clone(), caller.user_id());
            match multipart::parse_routed(stream, &boundary, &spool, &multipart_limits(&state), &mut router).await {
                Ok(form) => {
                    body_fields = form.fields;
                    files = form.files;
                    direct = form.direct;
                }
                Err(e) => return ctx.render_err(&multipart_error(&state, e)),
            }
        } else if lower.starts_with("application/x-www-form-urlencoded") || lower.is_empty() {
            match axum::body::to_bytes(body, 16 << 20).await {
                Ok(bytes) => body_fields = form_urlencoded::parse(&bytes).into_owned().collect(),
                Err(_) => return ctx.render_err(&ApiError::new("badupload", "The request body is too large or was interrupted.")),
            }
            if lower.is_empty() && !body_fields.is_empty() {
                ctx.warn(
                    "main",
                    "post-without-content-type",
                    "The POST request has been submitted without a Content-Type header, which is not supported.",
                );
            }
        }
    }
    let params = Params::with_direct(query, body_fields, files, direct);
    let mut call = Call {
        state: &state,
        params: &params,
        caller,
        ctx,
        method: parts.method.clone(),
        headers: &parts.headers,
    };
    let result = run(&mut call).await;
    // Integer clamping and other parameter warnings.
    if let Ok(ws) = params.warnings.lock() {
        for (module, text) in ws.iter() {
            call.ctx.warn(module, "integeroutofrange", text.clone());
        }
    }
    match result {
        Ok(Output::Json(body)) => {
            let unused = params.unused();
            if !unused.is_empty() {
                let text = if unused.len() == 1 {
                    format!("Unrecognized parameter: {}.", unused[0])
                } else {
                    format!("Unrecognized parameters: {}.", unused.join(", "))
                };
                call.ctx.warn("main", "unrecognizedparams", text);
            }
            call.ctx.render_ok(body)
        }
        Ok(Output::Raw(resp)) => resp,
        Err(e) => call.ctx.render_err(&e),
    }
}

fn multipart_error(state: &SharedState, e: multipart::MultipartError) -> ApiError {
    use multipart::MultipartError as M;
    match e {
        M::FileTooLarge { .. } => ApiError::new(
            "file-too-large",
            format!(
                "The file you submitted was too large. The maximum is {} bytes.",
                params::group_digits(state.config.uploads.max_upload_size as i64)
            ),
        ),
        M::Io(err) => ApiError::internal("spooling upload", err),
        other => ApiError::new("badupload", format!("The upload could not be read: {other}.")),
    }
}

pub enum Output {
    Json(Map<String, Value>),
    Raw(Response<Body>),
}

/// Parses main-module parameters, runs ApiMain's checks in MediaWiki's order and the module.
async fn run(call: &mut Call<'_>) -> ApiResult<Output> {
    let p = call.params;
    for name in MAIN_PARAMS {
        // Main parameters are always "used", even when only their presence matters.
        let _ = p.get(name);
    }
    match p.get("format") {
        None | Some("jsonfm") => call.ctx.format = Format::JsonFm,
        Some("json") => call.ctx.format = Format::Json,
        Some(other) => {
            // xml/php are not served; answer in JSON rather than an unreadable format.
            return Err(ApiError::new(
                "badvalue",
                format!("Unrecognized value for parameter \"format\": {other}."),
            ));
        }
    }
    match p.get("formatversion") {
        None | Some("1") => call.ctx.fv2 = false,
        Some("2") | Some("latest") => call.ctx.fv2 = true,
        Some(other) => {
            return Err(ApiError::new(
                "badvalue",
                format!("Unrecognized value for parameter \"formatversion\": {other}."),
            ));
        }
    }
    call.ctx.utf8 = p.flag("utf8");
    call.ctx.ascii = p.flag("ascii");
    call.ctx.errorformat = match p.get("errorformat") {
        None | Some("bc") => ErrorFormat::Bc,
        Some("plaintext") => ErrorFormat::Plaintext,
        Some("wikitext") => ErrorFormat::Wikitext,
        Some("html") => ErrorFormat::Html,
        Some("raw") => ErrorFormat::Raw,
        Some("none") => ErrorFormat::None,
        Some(other) => {
            return Err(ApiError::new(
                "badvalue",
                format!("Unrecognized value for parameter \"errorformat\": {other}."),
            ));
        }
    };
    call.ctx.requestid = p.get("requestid").map(String::from);
    call.ctx.servedby = p.flag("servedby");
    call.ctx.curtimestamp = p.flag("curtimestamp");
    if let Some(origin) = p.get("origin") {
        if origin == "*" {
            // Anonymous CORS: credentials are ignored.
            call.ctx.origin_star = true;
            call.caller = Caller {
                groups: call.caller.groups.clone(),
                ..Default::default()
            };
            call.caller = session::resolve(call.state, None).await?;
        } else {
            let mut e = ApiError::new("cors-origin-mismatch", "Cross-origin requests with credentials are not allowed.");
            e.status = 403;
            return Err(e);
        }
    }
    if p.get("callback").is_some() {
        call.caller = session::resolve(call.state, None).await?;
    }
    // assert / assertuser are checked before the module's parameters.
    match p.get("assert") {
        None => {}
        Some("anon") if call.caller.is_logged_in() => {
            return Err(ApiError::new(
                "assertanonfailed",
                "You are logged in as another user, so the action could not be completed.",
            ));
        }
        Some("user") if !call.caller.is_logged_in() => {
            return Err(ApiError::new(
                "assertuserfailed",
                "You are no longer logged in, so the action could not be completed.",
            ));
        }
        Some("bot") if !call.caller.has("bot") => {
            return Err(ApiError::new(
                "assertbotfailed",
                "You do not have the \"bot\" right, so the action could not be completed.",
            ));
        }
        Some("anon") | Some("user") | Some("bot") => {}
        Some(other) => {
            return Err(ApiError::new(
                "badvalue",
                format!("Unrecognized value for parameter \"assert\": {other}."),
            ));
        }
    }
    if let Some(want) = p.get("assertuser") {
        let want = crate::upload::title::display_name(want.trim());
        if call.caller.user_name().replace('_', " ") != want {
            return Err(ApiError::new(
                "assertnameduserfailed",
                format!("You are no longer logged in as \"{want}\", so the action could not be completed."),
            ));
        }
    }
    let action = match p.get("action") {
        None => return Ok(Output::Raw(modules::help::page(call))),
        Some(a) => a.to_string(),
    };
    let Some(module) = modules::lookup(&action) else {
        return Err(ApiError::new(
            "badvalue",
            format!("Unrecognized value for parameter \"action\": {action}."),
        ));
    };
    // Token (declared last among the module's parameters).
    if let Some(token_type) = module.token {
        check_token(call, module.token_param, token_type)?;
    }
    // maxlag: one database, lag 0, so only a negative maxlag trips it.
    if let Some(maxlag) = p.int("maxlag", None, None, "main")?
        && maxlag < 0
    {
        let mut e = ApiError::new("maxlag", "Waiting for a database server: 0 seconds lagged.")
            .with("host", envelope::hostname())
            .with("lag", 0)
            .with("type", "db");
        e.headers.push(("retry-after".into(), maxlag.max(5).to_string()));
        e.headers.push(("x-database-lag".into(), "0".into()));
        return Err(e);
    }
    if module.must_post && call.method != Method::POST {
        return Err(ApiError::new(
            "mustbeposted",
            format!("The \"{}\" module requires a POST request.", module.name),
        ));
    }
    modules::execute(module.name, call).await
}

/// MediaWiki's token check: present, in the body, and valid for this session.
pub fn check_token(call: &Call<'_>, param: &str, token_type: &str) -> ApiResult<()> {
    let p = call.params;
    let Some(value) = p.get(param) else {
        return Err(ApiError::missingparam(param));
    };
    if p.in_query_string(param) {
        return Err(ApiError::new(
            "mustpostparams",
            format!("The following parameter was found in the query string, but must be in the POST body: {param}."),
        ));
    }
    if !token_is_valid(&call.caller, token_type, value) {
        return Err(match token_type {
            "login" => ApiError::new("badtoken", "Invalid login token."),
            _ => ApiError::badtoken(),
        });
    }
    Ok(())
}

/// Token validity: anonymous callers' CSRF-type tokens are the fixed `+\`; login-type tokens and
/// logged-in callers' tokens are HMACs keyed by the session secret.
pub fn token_is_valid(caller: &Caller, token_type: &str, value: &str) -> bool {
    let session_bound = matches!(token_type, "login" | "createaccount");
    if !caller.is_logged_in() && !session_bound {
        return value == token::ANON_TOKEN;
    }
    let (Some(secret), Some(salt)) = (caller.secret(), token::salt_for_type(token_type)) else {
        return false;
    };
    token::check_token(secret, salt, value, crate::time::now_unix(), None)
}
