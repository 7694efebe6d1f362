//! The landing page, login and logout, `Special:ListFiles`, `Special:UploadStash` and the
//! "no such page" answer.

use crate::{Ctx, error_box, field, format_size, format_ts, hidden, index_url, read_form, wiki_url, wiki_url_with};
use axum::body::Body;
use axum::http::{Response, StatusCode};
use maud::html;
use mwupload_store::{FileListQuery, StashState};

/// `/`: what this server is and where to go.
pub fn home(ctx: &mut Ctx) -> Response<Body> {
    let api = ctx.state.config.api_path();
    let site = ctx.state.config.sitename.clone();
    let body = html! {
        p.lead {
            (site) " is a file upload server that speaks MediaWiki's upload API. "
            "Bots and tools made for MediaWiki (pywikibot, mwclient, mwn, nodemw…) upload here unchanged; "
            "people can use the pages below."
        }
        ul.cards {
            li { a href=(wiki_url("Special:Upload")) { "Upload files" } " — one or many, in chunks that survive a dropped connection or a page reload." }
            li { a href=(wiki_url("Special:ListFiles")) { "List of files" } " — every file uploaded, newest first." }
            @if ctx.caller.is_logged_in() {
                li { a href=(wiki_url("Special:UploadStash")) { "Your upload stash" } " — files you uploaded but have not published yet." }
            } @else {
                li { a href=(wiki_url("Special:UserLogin")) { "Log in" } " — uploading needs an account." }
            }
            li { a href=(api) { "API help" } " — " code { (api) } ", MediaWiki's Action API (" code { "action=upload" } ", " code { "action=query" } "…)." }
        }
        h2 { "For tools" }
        p {
            "Point a MediaWiki client at " code { (api) } ". "
            "The command-line uploader that comes with this server: "
            code { "mwupload upload --api URL --user NAME --password-file FILE FILES…" } "."
        }
        h2 #documentation { "Documentation" }
        ul {
            @for (file, what) in crate::DOCS.iter().map(|(f, w, _)| (f, w)) {
                li { a href=(format!("/docs/{file}")) { (file) } " — " (what) }
            }
        }
    };
    ctx.page(StatusCode::OK, &site, body)
}

/// A 404 page with links onwards.
pub fn not_found(ctx: &mut Ctx, title: &str, why: &str) -> Response<Body> {
    let body = html! {
        p { (why) }
        p { "Requested: " code { (title) } }
        p { a href="/" { "Go to the main page" } " or " a href=(wiki_url("Special:ListFiles")) { "browse the files" } "." }
    };
    ctx.page(StatusCode::NOT_FOUND, "No such page", body)
}

/// `Special:UserLogin` (MediaWiki's field names: wpName, wpPassword, wpLoginToken, the submit
/// `wploginattempt` with id `wpLoginAttempt`).
pub async fn login_form(ctx: &mut Ctx, error: Option<&str>) -> Response<Body> {
    if let Err(r) = ctx.ensure_session().await {
        return r;
    }
    let returnto = ctx.param("returnto").unwrap_or("").to_string();
    let name = ctx.param("wpName").unwrap_or("").to_string();
    let action = if returnto.is_empty() {
        index_url(ctx, "Special:UserLogin", &[])
    } else {
        index_url(ctx, "Special:UserLogin", &[("returnto", &returnto)])
    };
    let logged_in_as = ctx.caller.is_logged_in().then(|| ctx.caller.user_name());
    let body = html! {
        @if let Some(u) = &logged_in_as {
            p.notice { "You are logged in as " strong { (u) } ". You can log in as another user below." }
        }
        @if let Some(e) = error { (error_box(e)) }
        form.login method="post" action=(action) name="userlogin" {
            div.field {
                label for="wpName1" { "Username" }
                input #wpName1 type="text" name="wpName" value=(name) autocomplete="username" required autofocus autocapitalize="off";
            }
            div.field {
                label for="wpPassword1" { "Password" }
                input #wpPassword1 type="password" name="wpPassword" autocomplete="current-password" required;
            }
            (hidden("wpLoginToken", &ctx.token("login")))
            div.field {
                button #wpLoginAttempt type="submit" name="wploginattempt" value="Log in" { "Log in" }
            }
        }
        p.hint { "Accounts are created by the server's operator (" code { "mwupload user create" } "). Bot passwords (" code { "Name@bot" } ") are for tools; log in here with your main account." }
    };
    ctx.page(StatusCode::OK, "Log in", body)
}

const WRONG_PASSWORD: &str = "Incorrect username or password entered. Please try again.";
const SESSION_FAILURE: &str = "There seems to be a problem with your login session; this action has been canceled as a precaution against session hijacking. Please resubmit the form.";

pub async fn login_post(ctx: &mut Ctx, body: Body) -> Response<Body> {
    let Some(form) = read_form(&ctx.headers, body).await else {
        return login_form(ctx, Some(SESSION_FAILURE)).await;
    };
    if !ctx.token_ok("login", field(&form, "wpLoginToken")) {
        return login_form(ctx, Some(SESSION_FAILURE)).await;
    }
    let name = field(&form, "wpName").unwrap_or("").trim().to_string();
    let pass = field(&form, "wpPassword").unwrap_or("").to_string();
    let user_name = mwupload_core::title::display_name(&mwupload_core::title::ucfirst(&name.replace('_', " ")));
    let user = if user_name.is_empty() || user_name.contains('@') {
        None
    } else {
        match ctx.state.meta.user_by_name(&user_name).await {
            Ok(u) => u,
            Err(e) => return ctx.unavailable("login", e),
        }
    };
    // The same throttle and hashing pool as action=login ($wgPasswordAttemptThrottle; unknown
    // names cost as much as wrong passwords).
    use mwupload_core::auth::throttle;
    let ip_addr = ctx.caller.ip;
    match throttle::attempt(&ctx.state, throttle::Kind::Password, &user_name, ip_addr).await {
        Ok(None) => {}
        Ok(Some(wait)) => {
            let ip = ip_addr.map(|i| i.to_string()).unwrap_or_else(|| "-".into());
            tracing::warn!(target: "mwupload::login", "failed login for {user_name:?} from {ip} on Special:UserLogin: throttled");
            return login_form(ctx, Some(&throttle::message(wait))).await;
        }
        Err(e) => return ctx.unavailable("login", e),
    }
    let known = user.is_some();
    let verified = throttle::verify(&pass, user.as_ref().map(|u| u.password_hash.as_str())).await;
    let Some(user) = user.filter(|_| verified) else {
        let why = if known { "wrong password" } else { "no such user" };
        let ip = ctx.caller.ip.map(|i| i.to_string()).unwrap_or_else(|| "-".into());
        tracing::warn!(target: "mwupload::login", "failed login for {user_name:?} from {ip} on Special:UserLogin: {why}");
        ctx.query.retain(|(k, _)| k != "wpName");
        ctx.query.push(("wpName".into(), name));
        return login_form(ctx, Some(WRONG_PASSWORD)).await;
    };
    if let Err(e) = throttle::clear(&ctx.state, throttle::Kind::Password, &user_name, ip_addr).await {
        return ctx.unavailable("login", e);
    }
    // A fresh session id and secret (no fixation), the same way action=login does it.
    let id = mwupload_api::session::new_session_id();
    let stored = async {
        ctx.state.meta.create_session(&id, &mwupload_api::session::new_secret()).await?;
        ctx.state
            .meta
            .set_session_user(&id, Some(user.id), None, &mwupload_api::session::new_secret())
            .await
    }
    .await;
    if let Err(e) = stored {
        return ctx.unavailable("login", e);
    }
    ctx.set_cookies.push(mwupload_api::session::cookie_header(&id));
    tracing::info!(user = %user.name, "logged in on Special:UserLogin");
    let returnto = ctx.param("returnto").unwrap_or("");
    ctx.see_other(&safe_return(returnto))
}

/// Where `returnto=` may send the browser: a title on this wiki, never another site.
fn safe_return(returnto: &str) -> String {
    match mwupload_core::title::parse_title(returnto, 0) {
        Some(t) if !t.db_key.is_empty() => {
            let ns = match t.namespace {
                -1 => "Special:",
                6 => "File:",
                _ => "",
            };
            if t.namespace != 0 && ns.is_empty() {
                return "/".into();
            }
            wiki_url(&format!("{ns}{}", t.db_key))
        }
        _ => "/".into(),
    }
}

/// `Special:UserLogout` by GET: a confirmation button (logging out needs a token, as in 1.39).
pub fn logout_form(ctx: &mut Ctx) -> Response<Body> {
    let body = html! {
        @if ctx.caller.is_logged_in() {
            form method="post" action=(index_url(ctx, "Special:UserLogout", &[])) {
                (hidden("wpEditToken", &ctx.token("csrf")))
                p { "Do you want to log out?" }
                button type="submit" { "Log out" }
            }
        } @else {
            p { "You are not logged in. " a href=(wiki_url("Special:UserLogin")) { "Log in" } }
        }
    };
    ctx.page(StatusCode::OK, "Log out", body)
}

pub async fn logout_post(ctx: &mut Ctx, body: Body) -> Response<Body> {
    let form = read_form(&ctx.headers, body).await.unwrap_or_default();
    if !ctx.caller.is_logged_in() {
        return ctx.see_other("/");
    }
    if !ctx.token_ok("csrf", field(&form, "wpEditToken")) {
        let body = html! {
            (error_box(SESSION_FAILURE))
            form method="post" action=(index_url(ctx, "Special:UserLogout", &[])) {
                (hidden("wpEditToken", &ctx.token("csrf")))
                button type="submit" { "Log out" }
            }
        };
        return ctx.page(StatusCode::BAD_REQUEST, "Log out", body);
    }
    if let Some(s) = &ctx.caller.session
        && let Err(e) = ctx
            .state
            .meta
            .set_session_user(&s.id, None, None, &mwupload_api::session::new_secret())
            .await
    {
        return ctx.unavailable("logout", e);
    }
    let body = html! {
        p { "You are now logged out." }
        p { a href="/" { "Main page" } " · " a href=(wiki_url("Special:UserLogin")) { "Log in again" } }
    };
    ctx.caller = mwupload_core::auth::Caller::default();
    ctx.page(StatusCode::OK, "Logged out", body)
}

/// The one place that decides which URL shows a file at `width` pixels: a thumbnail
/// (`/images/thumb/…/120px-Name.png`, rendered on first request) when the file is a bitmap or
/// SVG wider than that, otherwise the original, scaled by the browser.
pub fn display_url(f: &mwupload_store::FileVersion, width: u32) -> String {
    use mwupload_api::paths::{hash_path, public_url_path, rawurlencode};
    let base = mwupload_api::imageinfo::UPLOAD_PATH;
    let thumb_name = match f.mime.as_str() {
        "image/png" | "image/jpeg" | "image/gif" | "image/webp" if f.width > i64::from(width) => Some(format!("{width}px-{}", f.name)),
        // SVG thumbnails are PNGs at any width, as MediaWiki renders them.
        "image/svg+xml" if f.width > 0 => Some(format!("{width}px-{}.png", f.name)),
        _ => None,
    };
    match thumb_name {
        Some(t) => format!("{base}/thumb/{}/{}/{}", hash_path(&f.name), rawurlencode(&f.name), rawurlencode(&t)),
        None => format!("{base}/{}", public_url_path(&f.name)),
    }
}

/// Whether a browser can show this MIME type in an `<img>`.
pub fn is_image(mime: &str) -> bool {
    matches!(
        mime,
        "image/png" | "image/jpeg" | "image/gif" | "image/webp" | "image/svg+xml" | "image/bmp"
    )
}

/// `Special:ListFiles`: current files, sortable by date, name or size (MediaWiki's `sort=img_timestamp|
/// img_name|img_size` with `asc=1`/`desc=1`), paged (`limit`, `offset`), and
/// by one uploader (`user=` or `Special:ListFiles/User`).
pub async fn list_files(ctx: &mut Ctx, sub: Option<&str>) -> Response<Body> {
    let sort = match ctx.param("sort") {
        Some("img_name") => "img_name",
        Some("img_size") => "img_size",
        _ => "img_timestamp",
    };
    let (by_name, by_size) = (sort == "img_name", sort == "img_size");
    let descending = match (ctx.param("desc"), ctx.param("asc")) {
        (Some(d), _) if !d.is_empty() && d != "0" => true,
        (_, Some(a)) if !a.is_empty() && a != "0" => false,
        _ => !by_name,
    };
    let limit: i64 = ctx.param("limit").and_then(|l| l.parse().ok()).unwrap_or(50).clamp(1, 500);
    let user = ctx
        .param("user")
        .map(str::to_string)
        .or_else(|| sub.map(str::to_string))
        .map(|u| mwupload_core::title::display_name(&mwupload_core::title::ucfirst(u.trim())))
        .filter(|u| !u.is_empty());
    let offset = ctx.param("offset").unwrap_or("").to_string();
    let (mut cont_ts, mut cont_size, mut cont_name) = (None, None, None);
    match (sort, offset.split_once('|')) {
        ("img_name", _) if !offset.is_empty() => cont_name = Some(offset.clone()),
        ("img_size", Some((size, name))) => {
            cont_size = size.parse::<i64>().ok();
            cont_name = cont_size.map(|_| name.to_string());
        }
        ("img_timestamp", Some((ts, name))) => {
            cont_ts = Some(ts.to_string());
            cont_name = Some(name.to_string());
        }
        _ => {}
    }
    let q = FileListQuery {
        by_time: sort == "img_timestamp",
        by_size,
        descending,
        continue_size: cont_size,
        continue_ts: cont_ts.as_deref(),
        continue_name: cont_name.as_deref(),
        user: user.as_deref(),
        limit: limit + 1,
        ..Default::default()
    };
    let mut files = match ctx.state.meta.list_files(&q).await {
        Ok(f) => f,
        Err(e) => return ctx.unavailable("listing files", e),
    };
    let resume_point = |f: &mwupload_store::FileVersion| match sort {
        "img_name" => f.name.clone(),
        "img_size" => format!("{}|{}", f.size, f.name),
        _ => format!("{}|{}", f.timestamp, f.name),
    };
    // Resume points are inclusive: the row after the last one shown starts the next page.
    let next_start = if files.len() as i64 > limit {
        files.pop().map(|f| resume_point(&f))
    } else {
        None
    };
    // The previous page: up to `limit` rows before this page's first one, read in the other
    // direction from the same point. Fewer than `limit` of them: the previous page is the first.
    let prev_start: Option<Option<String>> = if offset.is_empty() {
        None
    } else {
        let back = FileListQuery {
            descending: !descending,
            ..q
        };
        match ctx.state.meta.list_files(&back).await {
            Ok(rows) => {
                let before: Vec<String> = rows.iter().map(&resume_point).filter(|k| *k != offset).collect();
                Some((before.len() as i64 >= limit).then(|| before[limit as usize - 1].clone()))
            }
            Err(e) => return ctx.unavailable("listing files", e),
        }
    };
    let sort_link = |col: &str, label: &str| {
        let is_current = col == sort;
        let (dir_key, aria) = if is_current {
            if descending { ("asc", "descending") } else { ("desc", "ascending") }
        } else if col == "img_name" {
            ("asc", "none")
        } else {
            ("desc", "none")
        };
        let mut params: Vec<(&str, &str)> = vec![("sort", col), (dir_key, "1"), ("limit", "")];
        let limit_s = limit.to_string();
        params[2].1 = &limit_s;
        let u = user.clone().unwrap_or_default();
        if !u.is_empty() {
            params.push(("user", &u));
        }
        let href = wiki_url_with("Special:ListFiles", &params);
        (href, aria.to_string(), label.to_string(), is_current)
    };
    let date_col = sort_link("img_timestamp", "Date");
    let name_col = sort_link("img_name", "Name");
    let size_col = sort_link("img_size", "Size");
    let mut next_params: Vec<(String, String)> = vec![
        ("sort".into(), sort.into()),
        (if descending { "desc" } else { "asc" }.into(), "1".into()),
        ("limit".into(), limit.to_string()),
    ];
    if let Some(u) = &user {
        next_params.push(("user".into(), u.clone()));
    }
    let first_params = next_params.clone();
    if let Some(n) = &next_start {
        next_params.push(("offset".into(), n.clone()));
    }
    let next_href = wiki_url_with("Special:ListFiles", &to_refs(&next_params));
    let first_href = wiki_url_with("Special:ListFiles", &to_refs(&first_params));
    let prev_href = prev_start.map(|start| match start {
        Some(start) => {
            let mut p = first_params.clone();
            p.push(("offset".into(), start));
            wiki_url_with("Special:ListFiles", &to_refs(&p))
        }
        None => first_href.clone(),
    });
    let col = |c: &(String, String, String, bool)| {
        html! {
            th scope="col" aria-sort=[c.3.then_some(c.1.as_str())] {
                a href=(c.0) { (c.2) @if c.3 { span.arrow aria-hidden="true" { @if descending { " ▼" } @else { " ▲" } } } }
            }
        }
    };
    let body = html! {
        p { "This special page shows all uploaded files." }
        form.inline method="get" action=(crate::wiki_url("Special:ListFiles")) {
            label for="mw-listfiles-user" { "Username" }
            input #mw-listfiles-user type="text" name="user" value=(user.clone().unwrap_or_default());
            label for="mw-listfiles-limit" { "Number of files" }
            select #mw-listfiles-limit name="limit" {
                @for n in [20i64, 50, 100, 250, 500] {
                    option value=(n) selected[n == limit] { (n) }
                }
            }
            (hidden("sort", sort))
            (hidden(if descending { "desc" } else { "asc" }, "1"))
            button type="submit" { "Go" }
        }
        @if files.is_empty() {
            p.empty { "No files match." }
        } @else {
            div.table-wrap {
                table.wikitable.listfiles {
                    caption.visually-hidden { "Uploaded files" }
                    thead { tr {
                        (col(&date_col))
                        (col(&name_col))
                        th scope="col" { "Thumbnail" }
                        (col(&size_col))
                        th scope="col" { "User" }
                        th scope="col" { "Description" }
                    } }
                    tbody {
                        @for f in &files {
                            @let title = format!("File:{}", f.name);
                            tr {
                                td.date { (format_ts(&f.timestamp)) }
                                td.name { a href=(wiki_url(&title)) { (mwupload_core::title::display_name(&f.name)) } }
                                td.thumb {
                                    @if is_image(&f.mime) {
                                        a href=(wiki_url(&title)) {
                                            img.thumb src=(display_url(f, 120)) alt=(format!("Preview of {}", mwupload_core::title::display_name(&f.name))) loading="lazy" width=[(f.width > 0).then_some(f.width)] height=[(f.height > 0).then_some(f.height)];
                                        }
                                    } @else {
                                        span.mime { (f.mime) }
                                    }
                                }
                                td.size data-bytes=(f.size) { (format_size(f.size)) }
                                td.user { (f.user_name) }
                                td.comment { (f.description) }
                            }
                        }
                    }
                }
            }
        }
        nav.pager aria-label="Pages" {
            @if !offset.is_empty() { a href=(first_href) { "First page" } }
            @if let Some(prev) = &prev_href { a rel="prev" href=(prev) { "Previous " (limit) } }
            @if next_start.is_some() { a rel="next" href=(next_href) { "Next " (limit) } }
        }
    };
    ctx.page(StatusCode::OK, "File list", body)
}

/// `Special:UploadStash`: the caller's own stashed files and unfinished chunked uploads.
pub async fn upload_stash(ctx: &mut Ctx) -> Response<Body> {
    if !ctx.caller.is_logged_in() {
        let body = html! {
            p { "You need to " a href=(wiki_url_with("Special:UserLogin", &[("returnto", "Special:UploadStash")])) { "log in" } " to see your upload stash." }
        };
        return ctx.page(StatusCode::FORBIDDEN, "Upload stash", body);
    }
    let now = mwupload_store::time::now_unix();
    let rows = match ctx.state.meta.unexpired_user_stash(ctx.caller.user_id(), now, 500).await {
        Ok(r) => r,
        Err(e) => return ctx.unavailable("listing the stash", e),
    };
    let body = html! {
        p { "Files you uploaded to the stash but have not published yet (they expire after "
            (ctx.state.config.uploads.stash_max_age_secs / 3600) " hours). Publish one from "
            a href=(wiki_url("Special:Upload")) { "Special:Upload" } " or with " code { "action=upload&filekey=…" } "." }
        @if rows.is_empty() {
            p.empty { "You have no stashed files." }
        } @else {
            div.table-wrap {
                table.wikitable.stash {
                    caption.visually-hidden { "Your stashed files" }
                    thead { tr {
                        th scope="col" { "File key" }
                        th scope="col" { "State" }
                        th scope="col" { "Size" }
                        th scope="col" { "MIME type" }
                        th scope="col" { "Stashed" }
                        th scope="col" { "Actions" }
                    } }
                    tbody {
                        @for r in &rows {
                            @let finished = r.state == StashState::Finished;
                            tr {
                                td.filekey { code { (r.key) } }
                                td { @if finished { "complete" } @else { "chunked upload in progress" } }
                                td data-bytes=(r.size) { (format_size(r.size)) }
                                td { @if finished { (r.mime) } @else { "—" } }
                                td { (format_ts(&r.timestamp)) }
                                td {
                                    @if finished {
                                        a href=(index_url(ctx, &format!("Special:UploadStash/file/{}", r.key), &[])) { "View" }
                                        " · "
                                        a href=(wiki_url_with("Special:Upload", &[("wpSourceType", "Stash"), ("wpSessionKey", &r.key)])) { "Publish…" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    ctx.page(StatusCode::OK, "Upload stash", body)
}

fn to_refs(v: &[(String, String)]) -> Vec<(&str, &str)> {
    v.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn returnto_stays_on_this_site() {
        assert_eq!(super::safe_return("Special:Upload"), "/wiki/Special:Upload");
        assert_eq!(super::safe_return("File:A b.png"), "/wiki/File:A_b.png");
        assert_eq!(super::safe_return(""), "/");
        // Whatever the input, the target is a path on this server (never `//host` or a scheme).
        for hostile in [
            "//evil.example/x",
            "https://evil.example/",
            "/\\evil.example",
            "\\\\evil",
            "javascript:alert(1)",
        ] {
            let to = super::safe_return(hostile);
            assert!(to == "/" || to.starts_with("/wiki/"), "{hostile} -> {to}");
            assert!(!to.starts_with("//") && !to.contains('\\'), "{hostile} -> {to}");
        }
    }
}
