//! The wiki's pages for people: server-rendered HTML at MediaWiki's URLs (`/wiki/Title`,
//! `/w/index.php?title=Title`) with MediaWiki's form field names, so that a person with a
//! browser can log in, upload (a plain form post without JavaScript; chunked through api.php
//! with it), and look at files.
//!
//! Every page is rendered with maud, which escapes every interpolated value: file names,
//! descriptions and user names are attacker-controlled. Every form carries a token bound to the
//! session (the login token on the login form, the CSRF token elsewhere), pages are sent with
//! `X-Frame-Options: DENY` and a script-free-inline Content-Security-Policy, and the session is
//! the API's cookie session, so a page login is an API login and the other way round.

mod file;
mod pages;
mod upload;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, Response, StatusCode, header};
use axum::routing::get;
use maud::{DOCTYPE, Markup, html};
use mwupload_api::session;
use mwupload_core::SharedState;
use mwupload_core::auth::{Caller, token};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// The API's routes plus the pages: `/`, `/wiki/{title}`, `{script_path}/index.php` and the
/// page assets under `{script_path}/resources/mwupload/`.
pub fn router(state: SharedState) -> Router {
    let sp = state.config.script_path.clone();
    let pages = Router::new()
        .route("/", get(home))
        .route("/wiki", get(wiki_root))
        .route("/wiki/", get(wiki_root))
        .route("/wiki/{*title}", get(wiki).post(wiki))
        .route(&format!("{sp}/index.php"), get(index_php).post(index_php))
        .route(&format!("{sp}/resources/mwupload/{{file}}"), get(asset))
        .route("/docs", get(docs_index))
        .route("/docs/", get(docs_index))
        .route("/docs/{file}", get(doc))
        .with_state(state.clone());
    mwupload_api::http::router(state).merge(pages)
}

const STYLE_CSS: &str = include_str!("../assets/style.css");
const UPLOAD_JS: &str = include_str!("../assets/upload.js");

async fn asset(axum::extract::Path(file): axum::extract::Path<String>) -> Response<Body> {
    let (ctype, body) = match file.as_str() {
        "style.css" => ("text/css; charset=utf-8", STYLE_CSS),
        "upload.js" => ("text/javascript; charset=utf-8", UPLOAD_JS),
        _ => return plain(StatusCode::NOT_FOUND, "Not found"),
    };
    let mut r = Response::new(Body::from(body));
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300"));
    r
}

/// The documentation this binary was built with, served as plain text (Markdown).
pub(crate) const DOCS: [(&str, &str, &str); 4] = [
    (
        "README.md",
        "running, configuring and testing the server",
        include_str!("../../../README.md"),
    ),
    (
        "web.md",
        "these pages: URLs, form fields, the JavaScript uploader",
        include_str!("../../../docs/web.md"),
    ),
    ("cli.md", "the command-line uploader", include_str!("../../../docs/cli.md")),
    (
        "architecture.md",
        "how the server is built",
        include_str!("../../../docs/architecture.md"),
    ),
];

async fn docs_index() -> Response<Body> {
    redirect("/#documentation")
}

async fn doc(axum::extract::Path(file): axum::extract::Path<String>) -> Response<Body> {
    match DOCS.iter().find(|(f, _, _)| *f == file) {
        Some((_, _, text)) => {
            let mut r = plain(StatusCode::OK, text);
            r.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/markdown; charset=utf-8"));
            r.headers_mut()
                .insert("x-content-type-options", HeaderValue::from_static("nosniff"));
            r
        }
        None => plain(StatusCode::NOT_FOUND, "Not found"),
    }
}

fn plain(code: StatusCode, text: &str) -> Response<Body> {
    let mut r = Response::new(Body::from(text.to_string()));
    *r.status_mut() = code;
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    r
}

async fn home(State(state): State<SharedState>, req: Request) -> Response<Body> {
    let (parts, body) = req.into_parts();
    let mut ctx = match Ctx::new(state, &parts, Vec::new()).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let _ = body;
    pages::home(&mut ctx)
}

async fn wiki_root() -> Response<Body> {
    redirect("/")
}

/// `/wiki/Title` (the title percent-decoded by axum).
async fn wiki(State(state): State<SharedState>, axum::extract::Path(title): axum::extract::Path<String>, req: Request) -> Response<Body> {
    if title.starts_with("Special:UploadStash/file/") || title.starts_with("Special:UploadStash/thumb/") {
        // Stashed bytes: the API crate serves them (to their owner only) at index.php.
        let (mut parts, body) = req.into_parts();
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("title", &title)
            .finish();
        match format!("/w/index.php?{query}").parse() {
            Ok(uri) => parts.uri = uri,
            Err(_) => return plain(StatusCode::NOT_FOUND, "Not found"),
        }
        return mwupload_api::http::index_php(State(state), Request::from_parts(parts, body)).await;
    }
    let (parts, body) = req.into_parts();
    let query = query_pairs(&parts);
    let mut ctx = match Ctx::new(state, &parts, query).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    dispatch(&mut ctx, &title, &parts, body).await
}

/// `index.php?title=Title&…`; stashed files (`Special:UploadStash/file/KEY`) are the API
/// crate's.
async fn index_php(State(state): State<SharedState>, req: Request) -> Response<Body> {
    let query: Vec<(String, String)> = req
        .uri()
        .query()
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default();
    let title = query.iter().find(|(k, _)| k == "title").map(|(_, v)| v.clone()).unwrap_or_default();
    if title.starts_with("Special:UploadStash/file/") || title.starts_with("Special:UploadStash/thumb/") {
        return mwupload_api::http::index_php(State(state), req).await;
    }
    let (parts, body) = req.into_parts();
    if title.is_empty() {
        return redirect("/");
    }
    let mut ctx = match Ctx::new(state, &parts, query).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    dispatch(&mut ctx, &title, &parts, body).await
}

fn query_pairs(parts: &axum::http::request::Parts) -> Vec<(String, String)> {
    parts
        .uri
        .query()
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default()
}

/// Which page a title names.
async fn dispatch(ctx: &mut Ctx, title: &str, parts: &axum::http::request::Parts, body: Body) -> Response<Body> {
    use mwupload_core::title::{NS_FILE, NS_SPECIAL, parse_title};
    let Some(t) = parse_title(title, 0) else {
        return pages::not_found(ctx, title, "The requested page title is invalid.");
    };
    let post = parts.method == Method::POST;
    if t.namespace == NS_SPECIAL {
        let name = mwupload_api::special_pages::canonical(&t.db_key).unwrap_or_else(|| t.db_key.clone());
        let (page, sub) = match name.split_once('/') {
            Some((p, s)) => (p.to_string(), Some(s.to_string())),
            None => (name.clone(), None),
        };
        return match page.as_str() {
            "UserLogin" if post => pages::login_post(ctx, body).await,
            "UserLogin" => pages::login_form(ctx, None).await,
            "UserLogout" if post => pages::logout_post(ctx, body).await,
            "UserLogout" => pages::logout_form(ctx),
            "Upload" if post => upload::post(ctx, parts, body).await,
            "Upload" => upload::form(ctx).await,
            "ListFiles" => pages::list_files(ctx, sub.as_deref()).await,
            "UploadStash" => pages::upload_stash(ctx).await,
            _ => pages::not_found(ctx, title, "There is no special page by this name on this server."),
        };
    }
    if t.namespace == NS_FILE {
        let action = ctx.param("action").unwrap_or("view").to_string();
        return match (action.as_str(), post) {
            ("revert", false) => file::revert_form(ctx, &t.db_key).await,
            ("revert", true) => file::revert_post(ctx, &t.db_key, body).await,
            ("delete", false) => file::delete_form(ctx, &t.db_key).await,
            ("delete", true) => file::delete_post(ctx, &t.db_key, body).await,
            ("render", _) => file::render(ctx, &t.db_key).await,
            _ => file::view(ctx, &t.db_key).await,
        };
    }
    if t.namespace == 0 && (t.db_key == "Main_Page" || t.db_key.is_empty()) {
        return pages::home(ctx);
    }
    pages::not_found(
        ctx,
        title,
        "This server keeps files and their description pages only; there is no page by this name.",
    )
}

/// One request's view of the caller and what every page needs.
pub(crate) struct Ctx {
    pub state: SharedState,
    pub caller: Caller,
    pub query: Vec<(String, String)>,
    pub set_cookies: Vec<String>,
    pub headers: HeaderMap,
}

impl Ctx {
    async fn new(state: SharedState, parts: &axum::http::request::Parts, query: Vec<(String, String)>) -> Result<Ctx, Response<Body>> {
        let session_row = match session::session_id_from_headers(&parts.headers) {
            Some(id) => state.meta.session(&id).await.ok().flatten(),
            None => None,
        };
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip());
        let mut caller = match session::resolve(&state, session_row).await {
            Ok(c) => c,
            Err(e) => {
                tracing::error!("resolving the session: {e}");
                return Err(plain(StatusCode::SERVICE_UNAVAILABLE, "Temporarily unavailable"));
            }
        };
        caller.ip = peer;
        Ok(Ctx {
            state,
            caller,
            query,
            set_cookies: Vec::new(),
            headers: parts.headers.clone(),
        })
    }

    pub fn param(&self, name: &str) -> Option<&str> {
        self.query.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub fn sp(&self) -> &str {
        &self.state.config.script_path
    }

    /// Makes sure the caller has a stored session (login tokens are bound to one).
    pub async fn ensure_session(&mut self) -> Result<(), Response<Body>> {
        if self.caller.session.is_some() {
            return Ok(());
        }
        let id = session::new_session_id();
        let fail = |e: mwupload_store::StoreError| {
            tracing::error!("creating a session: {e}");
            plain(StatusCode::SERVICE_UNAVAILABLE, "Temporarily unavailable")
        };
        self.state.meta.create_session(&id, &session::new_secret()).await.map_err(fail)?;
        self.caller.session = self.state.meta.session(&id).await.map_err(fail)?;
        self.set_cookies.push(session::cookie_header(&id));
        Ok(())
    }

    /// The session's token of this type (`csrf`, `login`); `+\` for anonymous CSRF.
    pub fn token(&self, token_type: &str) -> String {
        if !self.caller.is_logged_in() && token_type != "login" {
            return token::ANON_TOKEN.to_string();
        }
        match (self.caller.secret(), token::salt_for_type(token_type)) {
            (Some(secret), Some(salt)) => token::make_token(secret, salt, mwupload_store::time::now_unix()),
            _ => token::ANON_TOKEN.to_string(),
        }
    }

    pub fn token_ok(&self, token_type: &str, value: Option<&str>) -> bool {
        value.is_some_and(|v| mwupload_api::token_is_valid(&self.caller, token_type, v))
    }

    /// A complete page.
    pub fn page(&self, code: StatusCode, title: &str, body: Markup) -> Response<Body> {
        let markup = layout(self, title, body);
        let mut r = Response::new(Body::from(markup.into_string()));
        *r.status_mut() = code;
        let h = r.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
        h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
        h.insert("x-frame-options", HeaderValue::from_static("DENY"));
        h.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, must-revalidate, max-age=0"),
        );
        h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
        h.insert(
            "content-security-policy",
            HeaderValue::from_static(
                "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
            ),
        );
        self.add_cookies(&mut r);
        r
    }

    pub fn add_cookies(&self, r: &mut Response<Body>) {
        for c in &self.set_cookies {
            if let Ok(v) = HeaderValue::from_str(c) {
                r.headers_mut().append(header::SET_COOKIE, v);
            }
        }
    }

    /// 303 to a local path, keeping any new cookie.
    pub fn see_other(&self, to: &str) -> Response<Body> {
        let mut r = redirect(to);
        self.add_cookies(&mut r);
        r
    }

    /// A page saying something went wrong in the store (logged, not shown).
    pub fn unavailable(&self, what: &str, e: impl std::fmt::Display) -> Response<Body> {
        tracing::error!("{what}: {e}");
        self.page(
            StatusCode::SERVICE_UNAVAILABLE,
            "Temporarily unavailable",
            html! { p { "The server could not read its database or file storage. Please try again in a moment." } },
        )
    }
}

fn redirect(to: &str) -> Response<Body> {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = StatusCode::SEE_OTHER;
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

/// Characters MediaWiki leaves unencoded in page URLs (`wfUrlencode`).
const TITLE_ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b':')
    .remove(b'/')
    .remove(b'!')
    .remove(b'$')
    .remove(b'(')
    .remove(b')')
    .remove(b'*')
    .remove(b',')
    .remove(b';')
    .remove(b'@');

/// `/wiki/Title` (spaces as underscores).
pub(crate) fn wiki_url(title: &str) -> String {
    format!("/wiki/{}", utf8_percent_encode(&title.replace(' ', "_"), TITLE_ENCODE))
}

/// `{script_path}/index.php?title=Title&k=v…`.
pub(crate) fn index_url(ctx: &Ctx, title: &str, params: &[(&str, &str)]) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    q.append_pair("title", &title.replace(' ', "_"));
    for (k, v) in params {
        q.append_pair(k, v);
    }
    format!("{}/index.php?{}", ctx.sp(), q.finish())
}

/// `/wiki/Special:Upload?k=v…`.
pub(crate) fn wiki_url_with(title: &str, params: &[(&str, &str)]) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        q.append_pair(k, v);
    }
    format!("{}?{}", wiki_url(title), q.finish())
}

pub(crate) fn asset_url(ctx: &Ctx, file: &str) -> String {
    format!("{}/resources/mwupload/{file}", ctx.sp())
}

/// Sizes as MediaWiki words them (`Language::formatSize`: KB, MB, GB with 1024 steps).
pub(crate) fn format_size(bytes: i64) -> String {
    let units = ["bytes", "KB", "MB", "GB", "TB"];
    let mut v = bytes as f64;
    let mut i = 0;
    while v >= 1024.0 && i < units.len() - 1 {
        v /= 1024.0;
        i += 1;
    }
    if i == 0 {
        format!("{bytes} bytes")
    } else {
        let s = format!("{v:.2}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        format!("{s} {}", units[i])
    }
}

/// TS_MW `20261206051500` as `05:15, 6 December 2026` (MediaWiki's default date format, UTC).
pub(crate) fn format_ts(ts: &str) -> String {
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    if ts.len() != 14 || !ts.bytes().all(|b| b.is_ascii_digit()) {
        return ts.to_string();
    }
    let month: usize = ts[4..6].parse().unwrap_or(1);
    let day: u32 = ts[6..8].parse().unwrap_or(1);
    format!(
        "{}:{}, {} {} {}",
        &ts[8..10],
        &ts[10..12],
        day,
        MONTHS[month.clamp(1, 12) - 1],
        &ts[0..4]
    )
}

/// The frame every page shares: a skip link, the site navigation (with the user's name and a
/// logout button, or a login link), the page title and a footer.
fn layout(ctx: &Ctx, title: &str, body: Markup) -> Markup {
    let site = &ctx.state.config.sitename;
    let logged_in = ctx.caller.is_logged_in();
    let user = ctx.caller.user_name();
    html! {
        (DOCTYPE)
        html lang="en" dir="ltr" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — " (site) }
                link rel="stylesheet" href=(asset_url(ctx, "style.css"));
            }
            body {
                a.skip href="#content" { "Skip to content" }
                header.site {
                    a.brand href="/" { (site) }
                    nav aria-label="Site" {
                        ul {
                            li { a href=(wiki_url("Special:Upload")) { "Upload file" } }
                            li { a href=(wiki_url("Special:ListFiles")) { "File list" } }
                            @if logged_in {
                                li { a href=(wiki_url("Special:UploadStash")) { "Your stash" } }
                            }
                            li { a href=(ctx.state.config.api_path()) { "API" } }
                        }
                    }
                    div.user {
                        @if logged_in {
                            span.username { (user) }
                            form.logout method="post" action=(index_url(ctx, "Special:UserLogout", &[])) {
                                input type="hidden" name="wpEditToken" value=(ctx.token("csrf"));
                                button type="submit" { "Log out" }
                            }
                        } @else {
                            a href=(wiki_url("Special:UserLogin")) { "Log in" }
                        }
                    }
                }
                main #content {
                    h1 #firstHeading { (title) }
                    (body)
                }
                footer.site {
                    p {
                        (site) " — a MediaWiki-compatible file upload server (mwupload). "
                        a href=(ctx.state.config.api_path()) { "API help" }
                    }
                }
            }
        }
    }
}

/// A hidden input.
pub(crate) fn hidden(name: &str, value: &str) -> Markup {
    html! { input type="hidden" name=(name) value=(value); }
}

/// Error box (role=alert so screen readers announce it).
pub(crate) fn error_box(text: &str) -> Markup {
    html! { div.error role="alert" { p { (text) } } }
}

/// Reads a urlencoded (or multipart without files) form body, bounded.
pub(crate) async fn read_form(headers: &HeaderMap, body: Body) -> Option<Vec<(String, String)>> {
    let ctype = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if ctype.starts_with("multipart/form-data") {
        return None;
    }
    let bytes = axum::body::to_bytes(body, 1 << 20).await.ok()?;
    Some(form_urlencoded::parse(&bytes).into_owned().collect())
}

pub(crate) fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// MediaWiki's `sessionfailure` message (a form's token did not match the session).
pub(crate) fn pages_session_failure() -> &'static str {
    "There seems to be a problem with your login session; this action has been canceled as a precaution against session hijacking. Please resubmit the form."
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_formats() {
        assert_eq!(wiki_url("File:A b.png"), "/wiki/File:A_b.png");
        assert_eq!(wiki_url("File:<x>\"&.png"), "/wiki/File:%3Cx%3E%22%26.png");
        assert_eq!(format_size(500), "500 bytes");
        assert_eq!(format_size(20 * 1024 * 1024), "20 MB");
        assert_eq!(format_size(1536), "1.5 KB");
        assert_eq!(format_ts("20261206051500"), "05:15, 6 December 2026");
    }

    #[test]
    fn maud_escapes() {
        let name = "<script>alert(1)</script>\"'&";
        let m = html! { p title=(name) { (name) } };
        let s = m.into_string();
        assert!(!s.contains("<script>"), "{s}");
        assert!(s.contains("&lt;script&gt;"), "{s}");
        assert!(s.contains("&quot;"), "{s}");
    }
}
