//! `File:Name.ext` description pages: the image (or a link to the original), its dimensions,
//! size and MIME type, the description text, the file history with revert and delete links for
//! those allowed, and the upload log. A missing file is a 404 with an upload link. Also the
//! revert (`action=revert&oldimage=`) and delete (`action=delete[&oldimage=]`) forms.

use crate::pages::{display_url, is_image};
use crate::{Ctx, error_box, field, format_size, format_ts, hidden, index_url, read_form, wiki_url, wiki_url_with};
use axum::body::Body;
use axum::http::{Response, StatusCode};
use maud::html;
use mwupload_core::history::{self, RevertOutcome};
use mwupload_core::title::display_name;
use mwupload_store::{FileVersion, LogQuery, RevisionQuery};

fn file_url(v: &FileVersion) -> String {
    let up = mwupload_api::imageinfo::UPLOAD_PATH;
    match &v.archive_name {
        Some(an) => format!("{up}/{}", mwupload_api::paths::archive_url_path(an, &v.name)),
        None => format!("{up}/{}", mwupload_api::paths::public_url_path(&v.name)),
    }
}

/// Whether the caller may revert (re-upload over) this file.
async fn may(ctx: &Ctx, name: &str, rights: &[&str]) -> bool {
    if !rights.iter().all(|r| ctx.caller.has(r)) {
        return false;
    }
    matches!(
        mwupload_core::access::authorize(&ctx.state, &ctx.caller, 6, name, true, rights).await,
        Ok(Ok(()))
    )
}

/// A file only a shared repository has: the remote's image and facts, and MediaWiki's notice
/// linking to its description page there — `sharedupload-desc-here` followed by the remote's
/// rendered description when the repository has `fetch_descriptions` (ImagePage's
/// `#shared-image-desc`), `sharedupload-desc-there` otherwise.
async fn shared_view(ctx: &mut Ctx, display: &str, f: &mwupload_core::foreign::ForeignFile) -> Response<Body> {
    // The pages are English only, so the description is asked for in English.
    let description = ctx.state.foreign.description_html(&f.repo, &f.name, "en").await;
    let description = description.map(|html| sanitize_remote_html(&html, f.description_url().unwrap_or("")));
    let repo_name = ctx
        .state
        .foreign
        .configs()
        .iter()
        .find(|r| r.name == f.repo)
        .map(|r| {
            if r.display_name.is_empty() {
                "a shared repository".to_string()
            } else {
                r.display_name.clone()
            }
        })
        .unwrap_or_else(|| "a shared repository".to_string());
    let url = f.url().unwrap_or("").to_string();
    let desc = f.description_url().unwrap_or("").to_string();
    let mime = f.mime().unwrap_or("unknown/unknown").to_string();
    let (w, h, size) = (f.width(), f.height(), f.size());
    let dims = (w > 0 && h > 0).then(|| format!("{w} × {h} pixels"));
    let body = html! {
        div #file.fullImageLink {
            @if is_image(&mime) {
                a href=(url) { img.file src=(url) alt=(display) width=[(w > 0).then_some(w)] height=[(h > 0).then_some(h)]; }
            } @else {
                p { a.external href=(url) { (display) } }
            }
        }
        p.fileInfo {
            a href=(url) { "Original file" }
            " ("
            @if let Some(d) = &dims { (d) ", " }
            "file size: " (format_size(size)) ", MIME type: " (mime) ")"
        }
        div.sharedUploadNotice {
            p {
                @if description.is_some() {
                    "This file is from " (repo_name) " and may be used by other projects. The description on its "
                    a.external href=(desc) { "file description page" } " there is shown below."
                } @else {
                    "This file is from " (repo_name) " and may be used by other projects. Please see the "
                    a.external href=(desc) { "file description page" } " for further information."
                }
            }
        }
        @if let Some(html) = &description {
            div #shared-image-desc { (maud::PreEscaped(html)) }
        }
    };
    ctx.page(StatusCode::OK, display, body)
}

/// The remote's description HTML as it may appear in our page: MediaWiki shows it raw (it trusts
/// the repository); we keep its text, links and formatting but no script, style, form or event
/// handler (ammonia's allow-list), and resolve relative links against the remote's page.
fn sanitize_remote_html(html: &str, remote_page: &str) -> String {
    let mut b = ammonia::Builder::default();
    b.add_generic_attributes(["class"]);
    if let Ok(base) = url::Url::parse(remote_page) {
        b.url_relative(ammonia::UrlRelative::RewriteWithBase(base));
    }
    b.clean(html).to_string()
}

/// The text of the page's latest revision (`None`: no page).
async fn latest_text(ctx: &Ctx, page: Option<&mwupload_store::PageRow>) -> Result<Option<String>, Response<Body>> {
    let Some(p) = page else { return Ok(None) };
    let q = RevisionQuery {
        page_id: p.id,
        newest_first: true,
        limit: 1,
        ..Default::default()
    };
    match ctx.state.meta.page_revisions(&q).await {
        Ok(revs) => Ok(revs.into_iter().next().map(|r| r.text)),
        Err(e) => Err(ctx.unavailable("page text", e)),
    }
}

/// `index.php?title=File:X&action=render`: the description page's text as MediaWiki's render
/// action gives it (the parser output only, no skin), so that another wiki using this one as a
/// shared repository with `fetch_descriptions` can show it. This server keeps wikitext
/// unparsed (as on its File pages), so the text is shown as it was written.
pub async fn render(ctx: &mut Ctx, name: &str) -> Response<Body> {
    let page = match ctx.state.meta.page(6, name).await {
        Ok(p) => p,
        Err(e) => return ctx.unavailable("page", e),
    };
    let text = match latest_text(ctx, page.as_ref()).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    let (code, body) = match text {
        Some(text) => (
            StatusCode::OK,
            html! { div.mw-parser-output { @if !text.trim().is_empty() { p { (text) "\n" } } } }.into_string(),
        ),
        None => (
            StatusCode::NOT_FOUND,
            html! { div.noarticletext.mw-content-ltr dir="ltr" lang="en" { p { "There is currently no text in this page." } } }
                .into_string(),
        ),
    };
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = code;
    r.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("text/html; charset=utf-8"),
    );
    r
}

pub async fn view(ctx: &mut Ctx, name: &str) -> Response<Body> {
    let title = format!("File:{name}");
    let display = display_name(&title);
    let (current, page) = match lookup(ctx, name).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Some(cur) = current else {
        if let Some(shared) = ctx.state.foreign.find_file(name).await {
            return shared_view(ctx, &display, &shared).await;
        }
        let upload = wiki_url_with("Special:Upload", &[("wpDestFile", name)]);
        let body = html! {
            div.noarticletext {
                p { "No file by this name exists" @if page.is_some() { " (its description page does)" } "." }
                p { "You can " a href=(upload) { "upload it" } "." }
                p { a href=(wiki_url("Special:ListFiles")) { "Browse the files" } " or go to the " a href="/" { "main page" } "." }
            }
        };
        return ctx.page(StatusCode::NOT_FOUND, &display, body);
    };
    let olds = match ctx.state.meta.old_versions(name).await {
        Ok(o) => o,
        Err(e) => return ctx.unavailable("old versions", e),
    };
    let text = match latest_text(ctx, page.as_ref()).await {
        Ok(t) => t.unwrap_or_default(),
        Err(r) => return r,
    };
    let log = match ctx
        .state
        .meta
        .log_events(&LogQuery {
            log_type: Some("upload"),
            title_namespace: Some(6),
            title: Some(name),
            newer_first: true,
            limit: 50,
            ..Default::default()
        })
        .await
    {
        Ok(l) => l,
        Err(e) => return ctx.unavailable("upload log", e),
    };
    let can_revert = may(ctx, name, &["edit", "upload", "reupload"]).await;
    let can_delete = may(ctx, name, &["delete"]).await;
    let orig = file_url(&cur);
    let dims = (cur.width > 0 && cur.height > 0).then(|| format!("{} × {} pixels", cur.width, cur.height));
    let body = html! {
        div #file.fullImageLink {
            @if is_image(&cur.mime) {
                a href=(orig) {
                    img.file src=(display_url(&cur, 800)) alt=(display)
                        width=[(cur.width > 0).then_some(cur.width)] height=[(cur.height > 0).then_some(cur.height)];
                }
            } @else {
                p { a.internal href=(orig) { (display_name(&cur.name)) } }
            }
        }
        p.fileInfo {
            a href=(orig) { "Original file" }
            " ("
            @if let Some(d) = &dims { (d) ", " }
            "file size: " (format_size(cur.size)) ", MIME type: " (cur.mime) ")"
        }
        dl.filemeta {
            dt { "Size" } dd data-bytes=(cur.size) { (format_size(cur.size)) " (" (cur.size) " bytes)" }
            @if let Some(d) = &dims { dt { "Dimensions" } dd { (d) } }
            dt { "MIME type" } dd { (cur.mime) }
            dt { "SHA-1" } dd { code { (cur.sha1) } }
        }
        h2 #filedesc { "Summary" }
        @if text.trim().is_empty() {
            p.empty { "No description." }
        } @else {
            div.description { (text) }
        }
        h2 #filehistory { "File history" }
        p { "Click on a date/time to view the file as it appeared at that time." }
        div.table-wrap {
            table.wikitable.filehistory {
                caption.visually-hidden { "File history" }
                thead { tr {
                    th scope="col" { span.visually-hidden { "Actions" } }
                    th scope="col" { "Date/Time" }
                    th scope="col" { "Dimensions" }
                    th scope="col" { "Size" }
                    th scope="col" { "User" }
                    th scope="col" { "Comment" }
                } }
                tbody {
                    @for (i, v) in std::iter::once(&cur).chain(olds.iter()).enumerate() {
                        tr {
                            td.actions {
                                @if can_delete {
                                    @if i == 0 {
                                        a href=(index_url(ctx, &title, &[("action", "delete")])) { "delete all" }
                                    } @else if let Some(an) = &v.archive_name {
                                        a href=(index_url(ctx, &title, &[("action", "delete"), ("oldimage", an)])) { "delete" }
                                    }
                                    br;
                                }
                                @if i == 0 {
                                    "current"
                                } @else if let (true, Some(an)) = (can_revert, &v.archive_name) {
                                    a href=(index_url(ctx, &title, &[("action", "revert"), ("oldimage", an)])) { "revert" }
                                }
                            }
                            td { a href=(file_url(v)) { (format_ts(&v.timestamp)) } }
                            td { @if v.width > 0 { (v.width) " × " (v.height) } @else { "—" } }
                            td { (format_size(v.size)) }
                            td { (v.user_name) }
                            td.comment { (v.description) }
                        }
                    }
                }
            }
        }
        p.actions {
            a href=(wiki_url_with("Special:Upload", &[("wpDestFile", name), ("wpForReUpload", "1")])) { "Upload a new version of this file" }
        }
        h2 #uploadlog { "Upload log" }
        @if log.is_empty() {
            p.empty { "No upload log entries." }
        } @else {
            ul.log {
                @for l in &log {
                    li {
                        (format_ts(&l.timestamp)) " " (l.user_name) " "
                        @match l.action.as_str() {
                            "overwrite" => "uploaded a new version of",
                            "revert" => "reverted",
                            _ => "uploaded",
                        }
                        " " a href=(wiki_url(&title)) { (display) }
                        @if !l.comment.is_empty() { " (" span.comment { (l.comment) } ")" }
                    }
                }
            }
        }
    };
    ctx.page(StatusCode::OK, &display, body)
}

type Lookup = (Option<FileVersion>, Option<mwupload_store::PageRow>);

async fn lookup(ctx: &Ctx, name: &str) -> Result<Lookup, Response<Body>> {
    let cur = ctx
        .state
        .meta
        .current_file(name)
        .await
        .map_err(|e| ctx.unavailable("file lookup", e))?;
    let page = ctx.state.meta.page(6, name).await.map_err(|e| ctx.unavailable("page lookup", e))?;
    Ok((cur, page))
}

fn denied(ctx: &Ctx, title: &str, what: &str) -> Response<Body> {
    let body = html! {
        p { "You do not have permission to " (what) " this file." }
        @if !ctx.caller.is_logged_in() {
            p { a href=(wiki_url_with("Special:UserLogin", &[("returnto", title)])) { "Log in" } }
        }
        p { a href=(wiki_url(title)) { "Back to " (display_name(title)) } }
    };
    ctx.page(StatusCode::FORBIDDEN, "Permission error", body)
}

async fn old_version(ctx: &Ctx, name: &str, archive_name: &str) -> Option<FileVersion> {
    ctx.state
        .meta
        .old_version_by_archive_name(archive_name)
        .await
        .ok()
        .flatten()
        .filter(|v| v.name == name)
}

pub async fn revert_form(ctx: &mut Ctx, name: &str) -> Response<Body> {
    revert_page(ctx, name, None).await
}

async fn revert_page(ctx: &mut Ctx, name: &str, error: Option<&str>) -> Response<Body> {
    let title = format!("File:{name}");
    if !may(ctx, name, &["edit", "upload", "reupload"]).await {
        return denied(ctx, &title, "revert");
    }
    let an = ctx.param("oldimage").unwrap_or("").to_string();
    let Some(old) = old_version(ctx, name, &an).await else {
        return ctx.page(
            StatusCode::NOT_FOUND,
            "Revert file",
            html! { p { "There is no such old version of " (display_name(&title)) "." } },
        );
    };
    let body = html! {
        @if let Some(e) = error { (error_box(e)) }
        form method="post" action=(index_url(ctx, &title, &[("action", "revert"), ("oldimage", &an)])) {
            p { "Reverting " strong { (display_name(&title)) } " to the "
                a href=(file_url(&old)) { "version as of " (format_ts(&old.timestamp)) } "." }
            div.field {
                label for="wpComment" { "Reason:" }
                input #wpComment type="text" name="wpComment" value=(format!("Reverted to version as of {}", format_ts(&old.timestamp)));
            }
            (hidden("wpEditToken", &ctx.token("csrf")))
            button #mw-filerevert-submit type="submit" { "Revert" }
        }
    };
    ctx.page(StatusCode::OK, &format!("Revert {}", display_name(&title)), body)
}

pub async fn revert_post(ctx: &mut Ctx, name: &str, body: Body) -> Response<Body> {
    let form = read_form(&ctx.headers, body).await.unwrap_or_default();
    let title = format!("File:{name}");
    if !ctx.token_ok("csrf", field(&form, "wpEditToken")) {
        return revert_page(ctx, name, Some(crate::pages_session_failure())).await;
    }
    if !may(ctx, name, &["edit", "upload", "reupload"]).await {
        return denied(ctx, &title, "revert");
    }
    let an = ctx.param("oldimage").unwrap_or("").to_string();
    let comment = field(&form, "wpComment").unwrap_or("").to_string();
    match history::revert(&ctx.state, &ctx.caller, name, &an, &comment).await {
        Ok(RevertOutcome::Reverted) | Ok(RevertOutcome::Identical) => ctx.see_other(&wiki_url(&title)),
        Ok(RevertOutcome::Missing) | Ok(RevertOutcome::BadVersion) => {
            revert_page(ctx, name, Some("There is no such old version of this file.")).await
        }
        Err(e) => {
            let info = mwupload_api::upload_wire::error(&ctx.state, &e).info;
            revert_page(ctx, name, Some(&info)).await
        }
    }
}

pub async fn delete_form(ctx: &mut Ctx, name: &str) -> Response<Body> {
    delete_page(ctx, name, None).await
}

async fn delete_page(ctx: &mut Ctx, name: &str, error: Option<&str>) -> Response<Body> {
    let title = format!("File:{name}");
    if !may(ctx, name, &["delete"]).await {
        return denied(ctx, &title, "delete");
    }
    let an = ctx.param("oldimage").map(str::to_string);
    let old = match &an {
        Some(a) => match old_version(ctx, name, a).await {
            Some(v) => Some(v),
            None => {
                return ctx.page(
                    StatusCode::NOT_FOUND,
                    "Delete file",
                    html! { p { "There is no such old version of " (display_name(&title)) "." } },
                );
            }
        },
        None => None,
    };
    let mut params = vec![("action", "delete")];
    if let Some(a) = &an {
        params.push(("oldimage", a));
    }
    let body = html! {
        @if let Some(e) = error { (error_box(e)) }
        form method="post" action=(index_url(ctx, &title, &params)) {
            @if let Some(o) = &old {
                p { "You are about to delete the version of " strong { (display_name(&title)) } " as of " (format_ts(&o.timestamp)) "." }
            } @else {
                p { "You are about to delete the file " strong { (display_name(&title)) } " along with all of its history." }
            }
            div.field {
                label for="wpReason" { "Reason:" }
                input #wpReason type="text" name="wpReason";
            }
            (hidden("wpEditToken", &ctx.token("csrf")))
            button #mw-filedelete-submit type="submit" { "Delete" }
        }
    };
    ctx.page(StatusCode::OK, &format!("Delete {}", display_name(&title)), body)
}

pub async fn delete_post(ctx: &mut Ctx, name: &str, body: Body) -> Response<Body> {
    let form = read_form(&ctx.headers, body).await.unwrap_or_default();
    let title = format!("File:{name}");
    if !ctx.token_ok("csrf", field(&form, "wpEditToken")) {
        return delete_page(ctx, name, Some(crate::pages_session_failure())).await;
    }
    if !may(ctx, name, &["delete"]).await {
        return denied(ctx, &title, "delete");
    }
    let reason = field(&form, "wpReason").unwrap_or("").to_string();
    let result = match ctx.param("oldimage").map(str::to_string) {
        Some(an) => history::delete_old_version(&ctx.state, &ctx.caller, name, &an, &reason, &[]).await,
        None => history::delete_file(&ctx.state, &ctx.caller, name, &reason, &[]).await,
    };
    match result {
        Ok(Some(_)) => ctx.see_other(&wiki_url(&title)),
        Ok(None) => delete_page(ctx, name, Some("There is nothing to delete.")).await,
        Err(e) => ctx.unavailable("deleting", e),
    }
}

#[cfg(test)]
mod tests {
    use super::sanitize_remote_html;

    #[test]
    fn remote_descriptions_keep_text_and_links_but_nothing_that_runs() {
        let html = sanitize_remote_html(
            "<div class=\"mw-parser-output\"><p onclick=\"steal()\">Hi <b>there</b><script>steal()</script>\
             <a href=\"/w/index.php?title=Main_Page\">home</a><img src=x onerror=steal()><style>p{}</style></p></div>",
            "http://remote.example/w/index.php?title=File:A.png",
        );
        assert!(html.contains("Hi <b>there</b>"), "{html}");
        assert!(
            html.contains("href=\"http://remote.example/w/index.php?title=Main_Page\""),
            "{html}"
        );
        assert!(html.contains("class=\"mw-parser-output\""), "{html}");
        for bad in ["script", "onclick", "onerror", "style", "steal"] {
            assert!(!html.contains(bad), "{bad} survived: {html}");
        }
    }
}
