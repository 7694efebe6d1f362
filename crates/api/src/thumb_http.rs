//! Thumbnail URLs: `/images/thumb/a/ab/Name.png/120px-Name.png` (and `thumb/archive/…`) as
//! MediaWiki's 404 handler (`thumb_handler.php`) answers them, `thumb.php?f=…&width=…`, and a
//! stashed file's `Special:UploadStash/thumb/<key>/<thumb name>`. A thumbnail is rendered on its
//! first request (see `mwupload_core::thumbs`) and then served from the blob store with the
//! headers of originals (ETag, Range, Content-Type) plus thumb.php's `Content-Disposition`.
//! Errors are thumb.php's HTML error page with its status.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, Response, StatusCode, header};
use mwupload_core::SharedState;
use mwupload_core::thumbs::{self, ThumbFailure};
use mwupload_store::FileVersion;
use mwupload_thumb::names::{ThumbPathError, check_thumb_path, extract_thumb_params, parse_thumb_path};
use mwupload_thumb::script::{content_disposition, parse_script_query, script_transform};
use mwupload_thumb::{SourceFile, Thumb};

/// thumb.php's error page (`wfThumbError()`): `text` is HTML-escaped.
pub fn thumb_error(status: u16, text: &str) -> Response<Body> {
    let escaped = text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    let content = format!(
        "<!DOCTYPE html>\n<html><head>\n<meta charset=\"UTF-8\" />\n<title>Error generating thumbnail</title>\n</head>\n<body>\n<h1>Error generating thumbnail</h1>\n<p>\n{escaped}\n</p>\n\n</body>\n</html>\n\n"
    );
    let code = match status {
        400 | 403 | 404 | 429 => StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let mut r = Response::new(Body::from(content));
    *r.status_mut() = code;
    let h = r.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    r
}

fn missing_source(name: &str) -> Response<Body> {
    thumb_error(404, &format!("The source file '{name}' does not exist."))
}

const BAD_TITLE: &str = "The requested page title was invalid, empty, or an incorrectly linked inter-language or inter-wiki title.\nIt may contain one or more characters that cannot be used in titles.";

fn unavailable(e: impl std::fmt::Display) -> Response<Body> {
    tracing::error!("thumbnail: {e}");
    thumb_error(
        500,
        "Error creating thumbnail: the thumbnail could not be stored or read; see the server log.",
    )
}

/// Renders (if needed) and serves `thumb` of `source_blob`.
async fn serve_thumb(
    state: &SharedState,
    source_blob: &str,
    file: &SourceFile<'_>,
    thumb: &Thumb,
    download: bool,
    method: &Method,
    headers: &HeaderMap,
) -> Response<Body> {
    let served = match thumbs::get_or_render(state, source_blob, file, thumb).await {
        Ok(s) => s,
        Err(ThumbFailure::Render(e)) => return thumb_error(e.http_status(), &e.text()),
        Err(ThumbFailure::Store(e)) => return unavailable(e),
    };
    let mut r = crate::http::serve_blob(state, &served.row.blob_key, &served.row.sha1, &served.row.mime, method, headers).await;
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&content_disposition(file, &thumb.name, download)) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        "x-mwupload-thumb",
        HeaderValue::from_static(if served.rendered { "rendered" } else { "stored" }),
    );
    r
}

/// `/images/thumb/<rel>`: `rel` is the path below the thumb zone, percent-decoded once.
pub async fn thumb_path(state: &SharedState, rel: &str, method: &Method, headers: &HeaderMap) -> Response<Body> {
    let cfg = &state.thumbs.config;
    let Some(path) = parse_thumb_path(rel, cfg) else {
        return thumb_error(400, "The specified thumbnail parameters are not recognized.");
    };
    if path.temp {
        // The temp zone is not public here: stashed files' thumbnails are served through
        // Special:UploadStash/thumb to their owner.
        return thumb_error(404, "The source file does not exist.");
    }
    let version = if path.archived {
        let Some((_, name)) = path.file.split_once('!') else {
            return thumb_error(404, BAD_TITLE);
        };
        match state.meta.old_version_by_archive_name(&path.file).await {
            Ok(Some(v)) if v.name == name => Some(v),
            Ok(_) => None,
            Err(e) => return unavailable(e),
        }
    } else {
        match state.meta.current_file(&path.file).await {
            Ok(v) => v,
            Err(e) => return unavailable(e),
        }
    };
    let Some(v) = version else {
        if !path.archived
            && let Some(url) = shared_thumb_url(state, &path).await
        {
            return found(&url);
        }
        return missing_source(&path.file);
    };
    let facts = thumbs::facts_of(state, &v.blob_key, &v.mime, &v.metadata).await;
    let file = thumbs::source_of(&v.name, &v, facts);
    let params = match check_thumb_path(&file, cfg, &path, v.archive_name.as_deref()) {
        Ok(p) => p,
        Err(ThumbPathError::Redirect { thumb_rel }) => {
            let location = format!(
                "{}/thumb/{}",
                crate::imageinfo::UPLOAD_PATH,
                thumb_rel.split('/').map(crate::paths::rawurlencode).collect::<Vec<_>>().join("/")
            );
            let mut r = Response::new(Body::empty());
            *r.status_mut() = StatusCode::MOVED_PERMANENTLY;
            if let Ok(l) = HeaderValue::from_str(&location) {
                r.headers_mut().insert(header::LOCATION, l);
            }
            return r;
        }
        Err(e) => return thumb_error(e.http_status(), &e.message()),
    };
    transform_and_serve(state, &v, &file, &params, false, false, method, headers).await
}

/// The remote thumbnail of a file only a shared repository has, for a plain `<width>px-` name:
/// its wiki's own `thumburl` for that width (as `ForeignAPIRepo::getThumbUrl` asks for it).
async fn shared_thumb_url(state: &SharedState, path: &mwupload_thumb::names::ThumbPath) -> Option<String> {
    if state.foreign.is_empty() {
        return None;
    }
    let (digits, _) = path.thumb_name.split_once("px-")?;
    let width: i64 = digits.parse().ok().filter(|w| *w > 0)?;
    let file = state.foreign.find_file(&path.file).await?;
    let info = state.foreign.thumb_info(&file.repo, &file.name, width, -1, "").await?;
    let url = info.get("thumburl")?.as_str()?;
    (url.starts_with("http://") || url.starts_with("https://")).then(|| url.to_string())
}

fn found(url: &str) -> Response<Body> {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = StatusCode::FOUND;
    match HeaderValue::from_str(url) {
        Ok(l) => {
            r.headers_mut().insert(header::LOCATION, l);
            r
        }
        Err(_) => thumb_error(404, "The source file does not exist."),
    }
}

#[allow(clippy::too_many_arguments)]
async fn transform_and_serve(
    state: &SharedState,
    v: &FileVersion,
    file: &SourceFile<'_>,
    params: &mwupload_thumb::ThumbParams,
    malformed: bool,
    download: bool,
    method: &Method,
    headers: &HeaderMap,
) -> Response<Body> {
    match script_transform(file, &state.thumbs.config, params, malformed) {
        Ok(thumb) => serve_thumb(state, &v.blob_key, file, &thumb, download, method, headers).await,
        Err(e) => thumb_error(e.status, &e.message),
    }
}

/// `thumb.php?f=Name.png&width=120` (`archived=1` with `f=<timestamp>!Name.png`).
pub async fn thumb_php(state: &SharedState, query: &[(String, String)], method: &Method, headers: &HeaderMap) -> Response<Body> {
    let req = parse_script_query(query.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    if req.temp {
        return missing_source(&req.file);
    }
    let version = if req.archived {
        let Some((_, name)) = req.file.split_once('!') else {
            return thumb_error(404, BAD_TITLE);
        };
        let Some(title) = mwupload_core::title::page_title(&format!("File:{name}")).filter(|t| t.ns == 6) else {
            return thumb_error(404, BAD_TITLE);
        };
        let (ts, _) = req.file.split_once('!').unwrap_or_default();
        match state.meta.old_version_by_archive_name(&format!("{ts}!{}", title.db_key)).await {
            Ok(v) => v,
            Err(e) => return unavailable(e),
        }
    } else {
        let Some(title) = mwupload_core::title::page_title(&format!("File:{}", req.file)).filter(|t| t.ns == 6) else {
            return thumb_error(404, BAD_TITLE);
        };
        match state.meta.current_file(&title.db_key).await {
            Ok(v) => v,
            Err(e) => return unavailable(e),
        }
    };
    let Some(v) = version else {
        return missing_source(&req.file);
    };
    let facts = thumbs::facts_of(state, &v.blob_key, &v.mime, &v.metadata).await;
    let file = thumbs::source_of(&v.name, &v, facts);
    transform_and_serve(state, &v, &file, &req.params, req.malformed, req.download, method, headers).await
}

/// `Special:UploadStash/thumb/<key>/<thumb name>`: a stashed file's thumbnail, for its owner
/// (the caller checked the owner and loaded the row).
pub async fn stash_thumb(
    state: &SharedState,
    row: &mwupload_store::StashRow,
    thumb_name: &str,
    method: &Method,
    headers: &HeaderMap,
) -> Response<Body> {
    let facts = thumbs::facts_of(state, &row.blob_key, &row.mime, &row.metadata).await;
    let file = thumbs::stash_source_of(row, facts);
    let Some(params) = extract_thumb_params(&file, &row.key, thumb_name) else {
        return thumb_error(400, "The specified thumbnail parameters are not recognized.");
    };
    match script_transform(&file, &state.thumbs.config, &params, false) {
        Ok(thumb) if thumb.name == thumb_name => serve_thumb(state, &row.blob_key, &file, &thumb, false, method, headers).await,
        Ok(thumb) => thumb_error(
            404,
            &format!("The given path of the specified thumbnail is incorrect; expected '{}'.", thumb.name),
        ),
        Err(e) => thumb_error(e.status, &e.message),
    }
}
