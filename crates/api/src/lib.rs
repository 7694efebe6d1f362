//! MediaWiki's wire contract: the Action API (`/w/api.php`: request decoding, the envelope,
//! tokens, module specs and dispatch) and the file URLs (`/images/…`). Nothing here decides
//! upload policy; that is `mwupload_core`. Domain results become MediaWiki's JSON here, and
//! domain errors become MediaWiki's codes in exactly one place ([`upload_wire`]).

// `ApiError` carries MediaWiki's whole error (code, info, data, headers) by design; results
// are moved once per request, so boxing it would buy nothing.
#![allow(clippy::result_large_err)]

pub mod client_ip;
pub mod comment;
pub mod cors;
pub mod envelope;
pub mod error;
pub mod formats;
pub mod http;
pub mod imageinfo;
pub mod modules;
pub mod multipart;
pub mod params;
pub mod paths;
pub mod session;
pub mod spec;
pub mod special_pages;
pub mod thumb_http;
pub mod upload_wire;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, Response};
use envelope::{Ctx, ErrorFormat, Format};
use error::{ApiError, ApiResult};
use futures_util::StreamExt;
use mwupload_core::SharedState;
use mwupload_core::auth::{Caller, token};
use params::Params;
use serde_json::{Map, Value};
use spec::{Group, ModuleSpec, Modules, ParamSpec, Type, Values, param};

/// Everything a module gets: the state, the decoded parameters, the caller and the output context.
pub struct Call<'a> {
    pub state: &'a SharedState,
    pub params: &'a Params,
    pub caller: Caller,
    pub ctx: Ctx,
    pub method: Method,
    pub headers: &'a HeaderMap,
}

/// ApiMain's parameters (MediaWiki 1.39 order). The format modules' own parameters follow.
pub static MAIN: ModuleSpec = ModuleSpec {
    path: "main",
    class: "ApiMain",
    group: None,
    params: &[
        param("action", Type::Modules(Modules::Group(Group::Action)))
            .submodule_map()
            .default("help"),
        param("format", Type::Modules(Modules::Group(Group::Format)))
            .submodule_map()
            .default("jsonfm"),
        param("maxlag", Type::Integer { min: None, max: None }),
        param("smaxage", Type::Integer { min: None, max: None }).default("0").inert(),
        param("maxage", Type::Integer { min: None, max: None }).default("0").inert(),
        param("assert", Type::Enum(&["anon", "bot", "user"])),
        param("assertuser", Type::User(&["name"])),
        param("requestid", Type::String),
        param("servedby", Type::Boolean),
        param("curtimestamp", Type::Boolean),
        param("responselanginfo", Type::Boolean).inert(),
        param("origin", Type::String),
        param("uselang", Type::String).default("user").inert(),
        param("variant", Type::String).inert(),
        param("errorformat", Type::Enum(&["bc", "html", "none", "plaintext", "raw", "wikitext"])).default("bc"),
        param("errorlang", Type::String).default("uselang").inert(),
        param("errorsuselocal", Type::Boolean).inert(),
    ],
    ..ModuleSpec::BASE
};

/// The JSON printer's options (shared by `json` and `jsonfm`).
const JSON_OPTIONS: [ParamSpec; 4] = [
    param("callback", Type::String),
    param("utf8", Type::Boolean),
    param("ascii", Type::Boolean),
    param("formatversion", Type::Enum(&["1", "2", "latest"])).default("1"),
];

pub static FORMAT_JSON: ModuleSpec = ModuleSpec {
    path: "json",
    class: "ApiFormatJson",
    group: Some(Group::Format),
    read_rights: true,
    params: &JSON_OPTIONS,
    ..ModuleSpec::BASE
};

pub static FORMAT_JSONFM: ModuleSpec = ModuleSpec {
    path: "jsonfm",
    class: "ApiFormatJson",
    group: Some(Group::Format),
    read_rights: true,
    params: &[
        param("wrappedhtml", Type::Boolean).inert(),
        JSON_OPTIONS[0],
        JSON_OPTIONS[1],
        JSON_OPTIONS[2],
        JSON_OPTIONS[3],
    ],
    ..ModuleSpec::BASE
};

pub static FORMAT_XML: ModuleSpec = ModuleSpec {
    path: "xml",
    class: "ApiFormatXml",
    group: Some(Group::Format),
    read_rights: true,
    params: &[param("xslt", Type::String), param("includexmlnamespace", Type::Boolean)],
    ..ModuleSpec::BASE
};

pub static FORMAT_XMLFM: ModuleSpec = ModuleSpec {
    path: "xmlfm",
    class: "ApiFormatXml",
    group: Some(Group::Format),
    read_rights: true,
    params: &[
        param("wrappedhtml", Type::Boolean).inert(),
        param("xslt", Type::String),
        param("includexmlnamespace", Type::Boolean),
    ],
    ..ModuleSpec::BASE
};

pub static FORMAT_PHP: ModuleSpec = ModuleSpec {
    path: "php",
    class: "ApiFormatPhp",
    group: Some(Group::Format),
    read_rights: true,
    params: &[JSON_OPTIONS[3]],
    ..ModuleSpec::BASE
};

pub static FORMAT_PHPFM: ModuleSpec = ModuleSpec {
    path: "phpfm",
    class: "ApiFormatPhp",
    group: Some(Group::Format),
    read_rights: true,
    params: &[param("wrappedhtml", Type::Boolean).inert(), JSON_OPTIONS[3]],
    ..ModuleSpec::BASE
};

pub static FORMAT_NONE: ModuleSpec = ModuleSpec {
    path: "none",
    class: "ApiFormatNone",
    group: Some(Group::Format),
    read_rights: true,
    params: &[],
    ..ModuleSpec::BASE
};

pub static FORMAT_RAWFM: ModuleSpec = ModuleSpec {
    path: "rawfm",
    class: "ApiFormatJson",
    group: Some(Group::Format),
    read_rights: true,
    params: &[param("wrappedhtml", Type::Boolean).inert()],
    ..ModuleSpec::BASE
};

impl Call<'_> {
    /// Validates a module's parameters against its spec (MediaWiki's `extractRequestParams`).
    pub fn validate(&mut self, spec: &'static ModuleSpec) -> ApiResult<Values> {
        self.validate_prefixed(spec, spec.prefix)
    }

    /// The same, for a query module run as a generator (`g` + its prefix).
    pub fn validate_prefixed(&mut self, spec: &'static ModuleSpec, prefix: &str) -> ApiResult<Values> {
        let v = spec::Validator {
            config: &self.state.config,
            high_limits: self.caller.has("apihighlimits"),
            modules: modules::registered,
        };
        spec.validate_prefixed(prefix, self.params, &mut self.ctx, &v)
    }
}

/// Limits of a multipart body. The file limit is the largest upload plus slack; the real
/// `file-too-large` decision is made by the upload module against `$wgMaxUploadSize`.
fn multipart_limits(state: &SharedState) -> multipart::Limits {
    let l = &state.config.limits;
    multipart::Limits {
        max_file_bytes: state.config.uploads.max_upload_size.saturating_add(1),
        max_field_bytes: usize::try_from(l.max_field_bytes).unwrap_or(usize::MAX),
        max_text_bytes: usize::try_from(l.max_form_bytes).unwrap_or(usize::MAX),
        max_parts: l.max_parts,
        max_file_parts: l.max_file_parts,
        max_header_bytes: 16 << 10,
    }
}

/// Keeps the first `max` parameters of a query string or body (PHP's `max_input_vars`: the
/// rest are dropped, with a warning here rather than only in PHP's log).
fn cap_params(ctx: &mut Ctx, pairs: &mut Vec<(String, String)>, max: usize, what: &str) {
    if pairs.len() > max {
        pairs.truncate(max);
        ctx.warn(
            "main",
            "toomanyparams",
            format!("The {what} has more than {max} parameters; only the first {max} were read."),
        );
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
    let ctx = Ctx::new(base_url(&state, &parts.headers), state.config.api_path());
    if !matches!(parts.method, Method::GET | Method::HEAD | Method::POST | Method::OPTIONS) {
        let mut e = ApiError::new("invalidmethod", "Invalid HTTP method. Consider using GET or POST.");
        e.status = 405;
        return ctx.render_err(&e);
    }
    let max_params = state.config.limits.max_params;
    let query: Vec<(String, String)> = parts
        .uri
        .query()
        .map(|q| {
            form_urlencoded::parse(q.as_bytes())
                .take(max_params.saturating_add(1))
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default();
    let origin = query.iter().rev().find(|(k, _)| k == "origin").map(|(_, v)| v.as_str());
    let cors_cfg = &state.config.cors;
    let cors = match cors::check(
        origin,
        &parts.headers,
        &parts.method,
        &cors_cfg.allowed_origins,
        &cors_cfg.origin_exceptions,
    ) {
        Ok(c) => c,
        Err(forbidden) => return forbidden,
    };
    let mut resp = if parts.method == Method::OPTIONS {
        // A preflight (or any OPTIONS): the CORS headers are the answer.
        let mut r = Response::new(Body::empty());
        let h = r.headers_mut();
        h.insert("content-type", axum::http::HeaderValue::from_static("text/html; charset=UTF-8"));
        h.insert("x-content-type-options", axum::http::HeaderValue::from_static("nosniff"));
        if origin == Some("*") {
            h.insert("mediawiki-login-suppressed", axum::http::HeaderValue::from_static("true"));
        }
        r
    } else {
        handle_request(state, parts, body, query, ctx).await
    };
    cors.apply(&mut resp);
    resp
}

async fn handle_request(
    state: SharedState,
    parts: axum::http::request::Parts,
    body: Body,
    query: Vec<(String, String)>,
    mut ctx: Ctx,
) -> Response<Body> {
    // The caller first: a chunk for one of the caller's upload sessions can then be written
    // straight into the session while the body streams (see `ChunkRouter`).
    // The session, its user and bot password in one query.
    let loaded = match session::session_id_from_headers(&parts.headers) {
        Some(id) => match state.meta.session_caller(&id).await {
            Ok(s) => s,
            Err(e) => return ctx.render_err(&ApiError::from(e)),
        },
        None => None,
    };
    // The connection's peer, or behind trusted proxies the address they forwarded for.
    let peer = parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip())
        .map(|ip| client_ip::from_headers(ip, &parts.headers, &state.trusted_proxies));
    let mut caller = mwupload_core::auth::caller_of(&state, loaded);
    caller.ip = peer;
    // Decode the body: urlencoded, or multipart streamed to temp files while hashing.
    let ctype = parts
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let max_params = state.config.limits.max_params;
    let mut query = query;
    cap_params(&mut ctx, &mut query, max_params, "query string");
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
            let spool = state.blobs.scratch_dir().to_path_buf();
            // Callers answered anonymously (`origin=*`, JSONP) are judged as such before any
            // file part is stored.
            let anonymous = query.iter().any(|(k, v)| (k == "origin" && v == "*") || k == "callback");
            let judged = if anonymous {
                match session::resolve(&state, None).await {
                    Ok(c) => c,
                    Err(e) => return ctx.render_err(&ApiError::from(e)),
                }
            } else {
                caller.clone()
            };
            let mut router = modules::upload::ChunkRouter::new(state.clone(), caller.clone())
                .judging(judged, query.iter().rev().find(|(k, _)| k == "action").map(|(_, v)| v.clone()));
            match multipart::parse_routed(stream, &boundary, &spool, &multipart_limits(&state), &mut router).await {
                Ok(form) => {
                    body_fields = form.fields;
                    files = form.files;
                    direct = form.direct;
                }
                Err(e) => return ctx.render_err(&multipart_error(&state, e)),
            }
        } else if lower.starts_with("application/x-www-form-urlencoded") || lower.is_empty() {
            let limit = usize::try_from(state.config.limits.max_form_bytes).unwrap_or(usize::MAX);
            match axum::body::to_bytes(body, limit).await {
                Ok(bytes) => {
                    body_fields = form_urlencoded::parse(&bytes)
                        .take(max_params.saturating_add(1))
                        .map(|(k, v)| (k.into_owned(), v.into_owned()))
                        .collect();
                    cap_params(&mut ctx, &mut body_fields, max_params, "request body");
                }
                Err(e) => {
                    let too_large = format!("{e} {e:?}").contains("length limit");
                    let info = if too_large {
                        format!("The request body is larger than {limit} bytes (limits.max_form_bytes).")
                    } else {
                        format!("The request body could not be read: {e}.")
                    };
                    return ctx.render_err(&ApiError::new("badupload", info));
                }
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
    call.ctx.warnings_during_module = Some(call.ctx.warnings.len());
    match result {
        Ok(Output::Json(body)) => {
            let unused = params.unused();
            if !unused.is_empty() {
                let text = if unused.len() == 1 {
                    format!("Unrecognized parameter: {}.", unused[0])
                } else {
                    format!("Unrecognized parameters: {}.", unused.join(", "))
                };
                // ApiMain::reportUnusedParams: the names' list keeps their request positions.
                let indexed = params.unused_indexed();
                let list = if indexed.iter().enumerate().all(|(i, (at, _))| i == *at) {
                    serde_json::json!(indexed.iter().map(|(_, n)| n).collect::<Vec<_>>())
                } else {
                    Value::Object(indexed.iter().map(|(at, n)| (at.to_string(), Value::String(n.clone()))).collect())
                };
                let msg = error::Message::new(
                    "apierror-unrecognizedparams",
                    vec![serde_json::json!({ "list": list, "type": "comma" }), Value::from(indexed.len())],
                );
                call.ctx.warn_msg("main", "unrecognizedparams", text, msg, None);
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
        M::Io(err) => match error::storage_failure(&err) {
            // The disk under the spool (or the chunk's session blob) failed: MediaWiki's
            // backend error, with the reason, instead of an internal error.
            Some(why) => {
                tracing::error!("spooling upload: {err}");
                ApiError::new("backend-fail-writetemp", format!("Could not write to temporary file: {why}."))
            }
            None => ApiError::internal("spooling upload", err),
        },
        other => ApiError::new("badupload", format!("The upload could not be read: {other}.")),
    }
}

pub enum Output {
    Json(Map<String, Value>),
    Raw(Response<Body>),
}

/// How the response is rendered, read before validation so that even a validation error comes
/// back in the format, version and error format the client asked for.
fn output_settings(call: &mut Call<'_>) {
    let p = call.params;
    call.ctx.format = match p.peek("format") {
        Some("json") => Format::Json,
        Some("xml") => Format::Xml,
        Some("xmlfm") => Format::XmlFm,
        Some("php") => Format::Php,
        Some("phpfm") => Format::PhpFm,
        Some("none") => Format::None,
        Some("rawfm") => Format::RawFm,
        _ => Format::JsonFm,
    };
    // XML is rendered from formatversion 1's shape, rawfm from 2's; both ignore the parameter.
    call.ctx.fv2 = match call.ctx.format {
        Format::Xml | Format::XmlFm | Format::None => false,
        Format::RawFm => true,
        _ => matches!(p.peek("formatversion"), Some("2") | Some("latest")),
    };
    if call.ctx.format == Format::Json
        && let Some(cb) = p.peek("callback")
    {
        // Even an error in ApiMain's own parameters comes back wrapped.
        call.ctx.callback = Some(jsonp_name(cb));
    }
    call.ctx.utf8 = p.peek("utf8").is_some();
    call.ctx.ascii = p.peek("ascii").is_some();
    // The only other language: qqx, message keys instead of texts (errorlang follows uselang).
    call.ctx.qqx = match p.peek("errorlang") {
        Some(l) if l != "uselang" => l == "qqx",
        _ => p.peek("uselang") == Some("qqx"),
    };
    call.ctx.errorformat = match p.peek("errorformat") {
        Some("plaintext") => ErrorFormat::Plaintext,
        Some("wikitext") => ErrorFormat::Wikitext,
        Some("html") => ErrorFormat::Html,
        Some("raw") => ErrorFormat::Raw,
        Some("none") => ErrorFormat::None,
        _ => ErrorFormat::Bc,
    };
}

/// A JSONP function name keeps only the characters MediaWiki allows.
fn jsonp_name(cb: &str) -> String {
    cb.chars().filter(|c| c.is_ascii_alphanumeric() || "[]._'\"".contains(*c)).collect()
}

/// ApiMain: main and format parameters, asserts, the module's parameters (its token last),
/// maxlag, the POST requirement, then the module — MediaWiki's order, so the same error wins.
async fn run(call: &mut Call<'_>) -> ApiResult<Output> {
    output_settings(call);
    let main = call.validate(&MAIN)?;
    let format = match main.str("format") {
        Some("json") => &FORMAT_JSON,
        Some("xml") => &FORMAT_XML,
        Some("xmlfm") => &FORMAT_XMLFM,
        Some("php") => &FORMAT_PHP,
        Some("phpfm") => &FORMAT_PHPFM,
        Some("none") => &FORMAT_NONE,
        Some("rawfm") => &FORMAT_RAWFM,
        _ => &FORMAT_JSONFM,
    };
    let fmt = match call.validate(format) {
        Ok(v) => v,
        Err(e) => {
            // MediaWiki's error printer fails on its own bad parameters, warns, and retries
            // with defaults.
            call.ctx.fv2 = false;
            call.ctx.callback = None;
            call.ctx.utf8 = false;
            call.ctx.ascii = false;
            call.ctx
                .warn("main", "errorprinterfailed", "Error printer failed. Will retry without params.");
            call.ctx.warn(format.path, &e.code, e.info.clone());
            call.ctx.printer_failed = true;
            return Err(e);
        }
    };
    if format.path.starts_with("xml") {
        // ApiFormatXml: $wgEnableUnsafeXsltOption is off, as in MediaWiki's default.
        if fmt.str("xslt").is_some() {
            call.ctx.xslt_warning = Some(format.path);
        }
        call.ctx.xml_namespace = fmt.flag("includexmlnamespace");
    }
    call.ctx.requestid = main.str("requestid").map(String::from);
    call.ctx.servedby = main.flag("servedby");
    call.ctx.curtimestamp = main.flag("curtimestamp");
    // (Credentialed CORS, `origin=<site>`, was decided with the headers in `cors`: the request
    // runs with the session and only the browser decides whether the page may read it.)
    if main.str("origin") == Some("*") {
        // Anonymous CORS: credentials are ignored.
        call.ctx.origin_star = true;
        let ip = call.caller.ip;
        call.caller = session::resolve(call.state, None).await?;
        call.caller.ip = ip;
    }
    if let Some(cb) = format
        .params
        .iter()
        .any(|p| p.name == "callback")
        .then(|| fmt.str("callback"))
        .flatten()
    {
        // JSONP responses are readable by any site, so they are answered anonymously; the
        // name keeps only the characters MediaWiki allows.
        let ip = call.caller.ip;
        call.caller = session::resolve(call.state, None).await?;
        call.caller.ip = ip;
        call.ctx.callback = Some(jsonp_name(cb));
    }
    // assert / assertuser are checked before the module's parameters.
    match main.str("assert") {
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
        _ => {}
    }
    if let Some(want) = main.str("assertuser") {
        let want = mwupload_core::title::display_name(want.trim());
        if call.caller.user_name().replace('_', " ") != want {
            return Err(ApiError::new(
                "assertnameduserfailed",
                format!("You are no longer logged in as \"{want}\", so the action could not be completed."),
            ));
        }
    }
    let action = main.str("action").unwrap_or("help");
    let Some(module) = modules::action(action) else {
        // Unreachable: `action` was validated against the same registry.
        return Err(ApiError::new(
            "badvalue",
            format!("Unrecognized value for parameter \"action\": {action}."),
        ));
    };
    let values = call.validate(module)?;
    if let Some((param, token_type)) = module.token() {
        // ApiMain::setupModule raises these as the module's own errors.
        check_token(call, &module.full_name(param), token_type).map_err(|e| e.module(module.name()))?;
    }
    // maxlag: one database, lag 0, so only a negative maxlag trips it.
    if let Some(maxlag) = main.int("maxlag")
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
            format!("The \"{}\" module requires a POST request.", module.name()),
        ));
    }
    modules::execute(module, call, values).await
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
    token_is_valid_aged(caller, token_type, value, None)
}

/// [`token_is_valid`], refusing tokens older than `max_age_secs` (action=checktoken's maxtokenage).
pub fn token_is_valid_aged(caller: &Caller, token_type: &str, value: &str, max_age_secs: Option<i64>) -> bool {
    let session_bound = matches!(token_type, "login" | "createaccount");
    if !caller.is_logged_in() && !session_bound {
        return value == token::ANON_TOKEN;
    }
    let (Some(secret), Some(salt)) = (caller.secret(), token::salt_for_type(token_type)) else {
        return false;
    };
    token::check_token(secret, salt, value, mwupload_store::time::now_unix(), max_age_secs)
}
