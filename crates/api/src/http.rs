//! HTTP: routes, file serving (`/images/…` with Range and ETag), and the stash special page.
//! No MediaWiki semantics beyond URL shapes live here. `index.php` itself (the HTML pages) is
//! routed by the web crate, which hands stashed-file URLs back to [`index_php`].

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, Response, StatusCode, header};
use axum::routing::{any, get};
use mwupload_core::SharedState;

pub fn router(state: SharedState) -> Router {
    let api_path = state.config.api_path();
    // `/w/index.php` belongs to the web pages (crates/web), which hand stashed-file URLs to
    // [`index_php`].
    let mut r = Router::new()
        .route(&api_path, any(api))
        .route("/images/{*path}", get(image))
        .route(&format!("{}/thumb.php", state.config.script_path), get(thumb_php))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz));
    if api_path != "/api.php" {
        r = r.route("/api.php", any(api));
    }
    r.with_state(state)
}

async fn api(State(state): State<SharedState>, req: Request) -> Response<Body> {
    crate::handle(state, req).await
}

/// Liveness: the process serves requests (a load balancer or supervisor restarts it otherwise).
async fn healthz() -> Response<Body> {
    let mut r = status(StatusCode::OK, "ok\n");
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// How long a readiness check waits for each store.
const READY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

/// Readiness: 200 when the database answers a query and the blob store is reachable, else 503
/// with a short reason (details go to the log), so a load balancer sends traffic elsewhere.
async fn readyz(State(state): State<SharedState>) -> Response<Body> {
    let db = tokio::time::timeout(READY_TIMEOUT, state.meta.get_setting("readyz-probe")).await;
    let reason = match db {
        Err(_) => Some("database: no answer within 3 s"),
        Ok(Err(e)) => {
            tracing::warn!("readyz: database: {e}");
            Some("database: query failed")
        }
        Ok(Ok(_)) => match tokio::time::timeout(READY_TIMEOUT, state.blobs.ready()).await {
            Err(_) => Some("blob store: no answer within 3 s"),
            Ok(Err(e)) => {
                tracing::warn!("readyz: blob store: {e}");
                Some("blob store: unreachable")
            }
            Ok(Ok(())) => None,
        },
    };
    let mut r = match reason {
        None => status(StatusCode::OK, "ready\n"),
        Some(why) => status(StatusCode::SERVICE_UNAVAILABLE, &format!("not ready: {why}\n")),
    };
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn status(code: StatusCode, text: &str) -> Response<Body> {
    let mut r = Response::new(Body::from(text.to_string()));
    *r.status_mut() = code;
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    r.headers_mut()
        .insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    r
}

/// `/images/a/ab/Name.png` (current) and `/images/archive/a/ab/TS!Name.png` (old versions).
async fn image(State(state): State<SharedState>, Path(path): Path<String>, method: Method, headers: HeaderMap) -> Response<Body> {
    if let Some(rel) = path.strip_prefix("thumb/") {
        return crate::thumb_http::thumb_path(&state, rel, &method, &headers).await;
    }
    let parts: Vec<&str> = path.split('/').collect();
    let (archived, hash1, hash2, name) = match parts.as_slice() {
        ["archive", a, b, n] => (true, *a, *b, *n),
        [a, b, n] => (false, *a, *b, *n),
        _ => return status(StatusCode::NOT_FOUND, "Not found"),
    };
    // axum already percent-decoded the path.
    let version = if archived {
        let Some((_, db_key)) = name.split_once('!') else {
            return status(StatusCode::NOT_FOUND, "Not found");
        };
        if crate::paths::hash_path(db_key) != format!("{hash1}/{hash2}") {
            return status(StatusCode::NOT_FOUND, "Not found");
        }
        state.meta.old_version_by_archive_name(name).await
    } else {
        if crate::paths::hash_path(name) != format!("{hash1}/{hash2}") {
            return status(StatusCode::NOT_FOUND, "Not found");
        }
        state.meta.current_file(name).await
    };
    let v = match version {
        Ok(Some(v)) => v,
        // A current file only a shared repository has: a redirect to the remote's URL (the
        // path a MediaWiki wiki would serve it at, were it caching it).
        Ok(None) if !archived && !state.foreign.is_empty() => {
            let shared = state.foreign.find_file(name).await;
            // `cache_files`: a verified local copy, served as a local file would be.
            if let Some(f) = &shared
                && let Some(key) = state
                    .foreign
                    .local_copy(state.blobs.as_ref(), f, state.config.uploads.max_upload_size)
                    .await
                && let Some(sha1) = f.sha1()
            {
                let ext = name.rsplit_once('.').map(|(_, e)| e.to_lowercase()).unwrap_or_default();
                let ctype = mwupload_media::serving_mime_for_extension(&ext);
                return serve_blob(&state, &key, &sha1, ctype, &method, &headers).await;
            }
            return match shared.and_then(|f| f.url().map(str::to_string)) {
                Some(url) if url.starts_with("http://") || url.starts_with("https://") => {
                    let mut r = Response::new(Body::empty());
                    *r.status_mut() = StatusCode::FOUND;
                    match HeaderValue::from_str(&url) {
                        Ok(v) => {
                            r.headers_mut().insert(header::LOCATION, v);
                            r
                        }
                        Err(_) => status(StatusCode::NOT_FOUND, "Not found"),
                    }
                }
                _ => status(StatusCode::NOT_FOUND, "Not found"),
            };
        }
        Ok(None) => return status(StatusCode::NOT_FOUND, "Not found"),
        Err(e) => {
            tracing::error!("file lookup: {e}");
            return status(StatusCode::SERVICE_UNAVAILABLE, "Temporarily unavailable");
        }
    };
    // Originals and archived versions are public (MediaWiki's public zone), so with
    // `[storage] public_url`/`presign_secs` the store may serve them: a redirect, only to a
    // version found above (a deleted file is a 404 here and never redirects; its object's
    // name is random, so it cannot be guessed). HEAD and revalidations stay here (cheap; a
    // presigned URL is signed for GET only). Stashed files (owner-only, index.php) and
    // thumbnails (headers of their own) keep streaming.
    if method == Method::GET && !etag_matches(&headers, &v.sha1) {
        match state.blobs.download_url(&v.blob_key).await {
            Ok(Some(url)) => match HeaderValue::from_str(&url) {
                Ok(location) => return redirect(location),
                Err(_) => tracing::warn!("blob {}: download URL is no header value; streaming it", v.blob_key),
            },
            Ok(None) => {}
            // (The bytes are still served: streamed by this process.)
            Err(e) => tracing::warn!("blob {}: no download URL ({e}); streaming it", v.blob_key),
        }
    }
    let ext = v.name.rsplit_once('.').map(|(_, e)| e.to_lowercase()).unwrap_or_default();
    let ctype = mwupload_media::serving_mime_for_extension(&ext);
    serve_blob(&state, &v.blob_key, &v.sha1, ctype, &method, &headers).await
}

/// Whether `If-None-Match` names the version of SHA-1 `sha1` (its ETag) or `*`.
fn etag_matches(headers: &HeaderMap, sha1: &str) -> bool {
    let etag = format!("\"{sha1}\"");
    headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
        .unwrap_or(false)
}

/// A 302 to where the store serves a file version itself. Not cacheable: a deletion must stop
/// it at once (and a presigned target expires). (No ETag: it would describe the redirect.)
fn redirect(location: HeaderValue) -> Response<Body> {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = StatusCode::FOUND;
    let h = r.headers_mut();
    h.insert(header::LOCATION, location);
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// Streams a blob with ETag (its SHA-1), Last-Modified-free caching and single-range support.
pub async fn serve_blob(
    state: &SharedState,
    blob_key: &str,
    sha1: &str,
    ctype: &str,
    method: &Method,
    headers: &HeaderMap,
) -> Response<Body> {
    let len = match state.blobs.len(blob_key).await {
        Ok(n) => n,
        Err(e) => {
            tracing::error!("blob {blob_key} unreadable: {e}");
            return status(StatusCode::NOT_FOUND, "Not found");
        }
    };
    let etag = format!("\"{sha1}\"");
    if etag_matches(headers, sha1) {
        let mut r = Response::new(Body::empty());
        *r.status_mut() = StatusCode::NOT_MODIFIED;
        r.headers_mut().insert(
            header::ETAG,
            HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("\"\"")),
        );
        return r;
    }
    let range = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| parse_range(r, len));
    let (code, start, end) = match range {
        Some(Ok((s, e))) => (StatusCode::PARTIAL_CONTENT, s, e),
        Some(Err(())) => {
            let mut r = status(StatusCode::RANGE_NOT_SATISFIABLE, "Range not satisfiable");
            r.headers_mut().insert(
                header::CONTENT_RANGE,
                HeaderValue::from_str(&format!("bytes */{len}")).unwrap_or(HeaderValue::from_static("bytes */0")),
            );
            return r;
        }
        None => (StatusCode::OK, 0, len.saturating_sub(1)),
    };
    let count = if len == 0 { 0 } else { end - start + 1 };
    let body = if *method == Method::HEAD || count == 0 {
        Body::empty()
    } else {
        match state.blobs.read(blob_key, Some((start, start + count))).await {
            Ok(reader) => Body::from_stream(tokio_util::io::ReaderStream::with_capacity(reader, 64 << 10)),
            Err(e) => {
                tracing::error!("blob {blob_key} unreadable: {e}");
                return status(StatusCode::INTERNAL_SERVER_ERROR, "Read error");
            }
        }
    };
    let mut r = Response::new(body);
    *r.status_mut() = code;
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(ctype).unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(count));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    // Files are served as downloads-safe content: never let a browser run them as a page.
    h.insert(
        "content-security-policy",
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; sandbox"),
    );
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    if code == StatusCode::PARTIAL_CONTENT
        && let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{end}/{len}"))
    {
        h.insert(header::CONTENT_RANGE, v);
    }
    r
}

/// One `bytes=` range. None: no usable Range header (serve whole); Some(Err): unsatisfiable.
fn parse_range(h: &str, len: u64) -> Option<Result<(u64, u64), ()>> {
    let spec = h.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None; // multiple ranges: serve the whole file (allowed by RFC 9110)
    }
    let (a, b) = spec.split_once('-')?;
    let (a, b) = (a.trim(), b.trim());
    if a.is_empty() {
        let n: u64 = b.parse().ok()?;
        if n == 0 || len == 0 {
            return Some(Err(()));
        }
        return Some(Ok((len.saturating_sub(n), len - 1)));
    }
    let start: u64 = a.parse().ok()?;
    if start >= len {
        return Some(Err(()));
    }
    let end = if b.is_empty() {
        len - 1
    } else {
        b.parse::<u64>().ok()?.min(len - 1)
    };
    if end < start {
        return None;
    }
    Some(Ok((start, end)))
}

/// `thumb.php?f=Name.png&width=120`: MediaWiki's thumbnail script.
async fn thumb_php(State(state): State<SharedState>, req: Request) -> Response<Body> {
    let (parts, _) = req.into_parts();
    let query: Vec<(String, String)> = parts
        .uri
        .query()
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default();
    crate::thumb_http::thumb_php(&state, &query, &parts.method, &parts.headers).await
}

/// `index.php?title=Special:UploadStash/file/KEY` serves stashed bytes to their owner only
/// (and `Special:UploadStash/thumb/KEY/120px-KEY` their thumbnails).
pub async fn index_php(State(state): State<SharedState>, req: Request) -> Response<Body> {
    let (parts, _) = req.into_parts();
    let query: Vec<(String, String)> = parts
        .uri
        .query()
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default();
    let title = query.iter().find(|(k, _)| k == "title").map(|(_, v)| v.clone()).unwrap_or_default();
    let stash_thumb = title
        .strip_prefix("Special:UploadStash/thumb/")
        .and_then(|rest| rest.split_once('/'))
        .map(|(k, t)| (k.to_string(), t.to_string()));
    let stash_file = title.strip_prefix("Special:UploadStash/file/").map(str::to_string);
    if let Some(key) = stash_file.as_deref().or(stash_thumb.as_ref().map(|(k, _)| k.as_str())) {
        let loaded = match crate::session::session_id_from_headers(&parts.headers) {
            Some(id) => state.meta.session_caller(&id).await.ok().flatten(),
            None => None,
        };
        let caller = mwupload_core::auth::caller_of(&state, loaded);
        if !caller.has("upload") {
            return status(
                StatusCode::FORBIDDEN,
                "You must be logged in with the upload right to view stashed files.",
            );
        }
        return match mwupload_core::upload::stash::load_owned(&state, &caller, key).await {
            Ok(row) if row.state == mwupload_store::StashState::Finished && stash_thumb.is_some() => {
                let thumb_name = stash_thumb.as_ref().map(|(_, t)| t.as_str()).unwrap_or_default();
                crate::thumb_http::stash_thumb(&state, &row, thumb_name, &parts.method, &parts.headers).await
            }
            // Streamed even when the store could hand out URLs: a stashed file is its owner's
            // alone (checked above on every request), and a public or presigned URL would let
            // anyone holding it read the bytes without that check.
            Ok(row) if row.state == mwupload_store::StashState::Finished => {
                let ctype = if row.mime.contains('/') && !row.mime.starts_with("unknown") {
                    row.mime.clone()
                } else {
                    "application/octet-stream".into()
                };
                serve_blob(&state, &row.blob_key, &row.sha1, &ctype, &parts.method, &parts.headers).await
            }
            Ok(_) => status(StatusCode::NOT_FOUND, "The upload is not complete."),
            Err(e) => status(StatusCode::NOT_FOUND, &crate::upload_wire::error(&state, &e).info),
        };
    }
    if let Some(name) = title.strip_prefix("File:") {
        let body = format!(
            "File page {} (description pages are available through the API: action=query&prop=revisions).",
            crate::envelope::html_escape(name)
        );
        return status(StatusCode::OK, &body);
    }
    status(StatusCode::NOT_FOUND, "Not found")
}

#[cfg(test)]
mod tests {
    use super::parse_range;
    #[test]
    fn ranges() {
        assert_eq!(parse_range("bytes=0-9", 100), Some(Ok((0, 9))));
        assert_eq!(parse_range("bytes=90-", 100), Some(Ok((90, 99))));
        assert_eq!(parse_range("bytes=-10", 100), Some(Ok((90, 99))));
        assert_eq!(parse_range("bytes=100-", 100), Some(Err(())));
        assert_eq!(parse_range("bytes=5-500", 100), Some(Ok((5, 99))));
        assert_eq!(parse_range("items=1-2", 100), None);
    }
}
