//! `Special:Upload`: MediaWiki's form (wpUploadFile, wpDestFile, wpUploadDescription,
//! wpWatchthis, wpIgnoreWarning, wpUpload, wpEditToken) posted as plain multipart/form-data and
//! handled by the same upload service as `action=upload`. Warnings come back as MediaWiki's
//! warning form: the file waits in the stash (wpSourceType=Stash, wpSessionKey) and the user
//! changes the name and uploads again (wpUpload), saves anyway (wpUploadIgnoreWarning) or
//! cancels (wpCancelUpload). With JavaScript, `upload.js` takes the same form over and uploads
//! through api.php in chunks.

use crate::pages::{display_url, is_image};
use crate::{Ctx, error_box, field, format_size, hidden, index_url, wiki_url, wiki_url_with};
use axum::body::Body;
use axum::http::{Response, StatusCode, header};
use futures_util::StreamExt;
use maud::{Markup, html};
use mwupload_api::multipart;
use mwupload_core::upload::UploadWarning;
use mwupload_core::upload::service::{self, Incoming, UploadRequest, UploadResponse};

/// What the form shows (a fresh form, or one coming back with an error or warnings).
#[derive(Default)]
struct FormState {
    dest: String,
    desc: String,
    watch: bool,
    ignore: bool,
    /// Set when the file waits in the stash (after warnings or a recoverable error).
    stash_key: Option<String>,
    error: Option<String>,
    warnings: Vec<UploadWarning>,
}

const SESSION_FAILURE: &str = "There seems to be a problem with your login session; this action has been canceled as a precaution against session hijacking. Please resubmit the form.";

fn login_required(ctx: &Ctx) -> Response<Body> {
    let body = html! {
        p { "Please " a href=(wiki_url_with("Special:UserLogin", &[("returnto", "Special:Upload")])) { "log in" } " to upload files." }
    };
    ctx.page(StatusCode::FORBIDDEN, "Login required", body)
}

pub async fn form(ctx: &mut Ctx) -> Response<Body> {
    if !ctx.caller.is_logged_in() {
        return login_required(ctx);
    }
    let mut st = FormState {
        dest: ctx.param("wpDestFile").unwrap_or("").to_string(),
        desc: ctx.param("wpUploadDescription").unwrap_or("").to_string(),
        watch: true,
        ..Default::default()
    };
    if ctx.param("wpSourceType") == Some("Stash")
        && let Some(key) = ctx.param("wpSessionKey")
    {
        st.stash_key = Some(key.to_string());
    }
    render(ctx, StatusCode::OK, &st)
}

fn limits(ctx: &Ctx) -> multipart::Limits {
    // The form has a handful of fields and one file: tighter than the API's [limits].
    let l = &ctx.state.config.limits;
    multipart::Limits {
        max_file_bytes: ctx.state.config.uploads.max_upload_size.saturating_add(1),
        max_field_bytes: (1 << 20).min(usize::try_from(l.max_field_bytes).unwrap_or(usize::MAX)),
        max_text_bytes: (2 << 20).min(usize::try_from(l.max_form_bytes).unwrap_or(usize::MAX)),
        max_parts: 100,
        max_file_parts: 1,
        max_header_bytes: 16 << 10,
    }
}

pub async fn post(ctx: &mut Ctx, parts: &axum::http::request::Parts, body: Body) -> Response<Body> {
    if !ctx.caller.is_logged_in() {
        // Before reading (and spooling) the body: nobody anonymous may upload.
        return login_required(ctx);
    }
    let ctype = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let (fields, mut files) = if ctype.to_ascii_lowercase().starts_with("multipart/form-data") {
        let Some(boundary) = multipart::boundary_from_content_type(&ctype) else {
            return render_error(ctx, "The form could not be read (no multipart boundary).");
        };
        let stream = body.into_data_stream().map(|r| r.map_err(|e| e.to_string()));
        let spool = ctx.state.blobs.scratch_dir().to_path_buf();
        match multipart::parse(stream, &boundary, &spool, &limits(ctx)).await {
            Ok(form) => (form.fields, form.files),
            Err(multipart::MultipartError::FileTooLarge { .. }) => {
                let max = ctx.state.config.uploads.max_upload_size;
                return render_error(
                    ctx,
                    &format!(
                        "The file you submitted was too large. The maximum is {} ({max} bytes).",
                        format_size(max as i64)
                    ),
                );
            }
            Err(e) => return render_error(ctx, &format!("The upload could not be read: {e}.")),
        }
    } else {
        match crate::read_form(&parts.headers, body).await {
            Some(f) => (f, Vec::new()),
            None => return render_error(ctx, "The form could not be read."),
        }
    };
    let f = |n: &str| field(&fields, n).map(str::to_string);
    let present = |n: &str| field(&fields, n).is_some();
    let mut st = FormState {
        dest: f("wpDestFile").unwrap_or_default(),
        desc: f("wpUploadDescription").unwrap_or_default(),
        watch: present("wpWatchthis"),
        ignore: present("wpIgnoreWarning"),
        stash_key: (f("wpSourceType").as_deref() == Some("Stash"))
            .then(|| f("wpSessionKey"))
            .flatten()
            .filter(|k| !k.is_empty()),
        ..Default::default()
    };
    if !ctx.token_ok("csrf", field(&fields, "wpEditToken")) {
        st.error = Some(SESSION_FAILURE.into());
        return render(ctx, StatusCode::BAD_REQUEST, &st);
    }
    if present("wpCancelUpload") {
        return ctx.see_other(&wiki_url("Special:Upload"));
    }
    let file = files.iter().position(|p| p.name == "wpUploadFile").map(|i| files.swap_remove(i));
    let file = file.filter(|p| p.size > 0 || !p.client_filename.is_empty());
    if st.dest.trim().is_empty()
        && let Some(p) = &file
    {
        // MediaWiki's form fills the destination from the chosen file's name.
        st.dest = p.client_filename.rsplit(['/', '\\']).next().unwrap_or("").to_string();
    }
    let ignore = st.ignore || present("wpUploadIgnoreWarning");
    let req = UploadRequest {
        filename: st.dest.clone(),
        comment: st.desc.clone(),
        text: None,
        ignorewarnings: ignore,
        watch: st.watch,
        ..Default::default()
    };
    if let Err(e) = service::check_enabled(&ctx.state) {
        st.error = Some(mwupload_api::upload_wire::error(&ctx.state, &e).info);
        return render(ctx, StatusCode::OK, &st);
    }
    if let Err(e) = service::check_permissions(&ctx.state, &ctx.caller, false).await {
        st.error = Some(mwupload_api::upload_wire::error(&ctx.state, &e).info);
        return render(ctx, StatusCode::FORBIDDEN, &st);
    }
    let result = match (&st.stash_key, file) {
        (_, Some(p)) => {
            st.stash_key = None;
            let incoming = Incoming {
                path: p.path,
                size: p.size,
                sha1: p.sha1,
            };
            service::direct(&ctx.state, &ctx.caller, &req, incoming).await
        }
        (Some(key), None) => service::from_stash(&ctx.state, &ctx.caller, &req, &key.clone()).await,
        (None, None) => {
            st.error = Some("No file was submitted. Choose a file to upload.".into());
            return render(ctx, StatusCode::OK, &st);
        }
    };
    match result {
        Ok(UploadResponse::Published { version, .. }) => {
            tracing::info!(user = %ctx.caller.user_name(), file = %version.name, size = version.size, "uploaded on Special:Upload");
            ctx.see_other(&wiki_url(&format!("File:{}", version.name)))
        }
        Ok(UploadResponse::Warning { warnings, filekey }) => {
            st.warnings = warnings;
            st.stash_key = Some(filekey);
            render(ctx, StatusCode::OK, &st)
        }
        Ok(UploadResponse::WarningNotStashed { warnings, .. }) => {
            st.warnings = warnings;
            render(ctx, StatusCode::OK, &st)
        }
        Ok(UploadResponse::Queued { .. }) => {
            let body = html! { p { "The upload was queued and will be published shortly." } };
            ctx.page(StatusCode::ACCEPTED, "Upload queued", body)
        }
        Ok(UploadResponse::Stashed { row, .. } | UploadResponse::Assembled { row, .. }) => {
            st.stash_key = Some(row.key);
            render(ctx, StatusCode::OK, &st)
        }
        Ok(UploadResponse::Continue { .. }) => render_error(ctx, "Unexpected chunk state."),
        Err(failure) => {
            st.error = Some(mwupload_api::upload_wire::failure(&ctx.state, &failure).info);
            if let Some(k) = failure.filekey {
                st.stash_key = Some(k);
            }
            render(ctx, StatusCode::OK, &st)
        }
    }
}

fn render_error(ctx: &Ctx, text: &str) -> Response<Body> {
    let st = FormState {
        error: Some(text.to_string()),
        watch: true,
        ..Default::default()
    };
    if !ctx.caller.is_logged_in() {
        return login_required(ctx);
    }
    render(ctx, StatusCode::OK, &st)
}

/// `[[:File:X]]` as a link.
fn file_link(name: &str) -> Markup {
    let title = format!("File:{name}");
    html! { a href=(wiki_url(&title)) { (mwupload_core::title::display_name(&title)) } }
}

/// A warning in MediaWiki's words (the `fileexists`, `file-exists-duplicate`… messages).
fn warning_text(w: &UploadWarning) -> Markup {
    match w {
        UploadWarning::Exists(name) => html! {
            "A file with this name exists already, please check " strong { (file_link(name)) } " if you are not sure if you want to overwrite it."
        },
        UploadWarning::PageExists(name) => html! {
            "The description page for this file has already been created at " strong { (file_link(name)) } ", but no file with this name currently exists. The summary you enter will not appear on the description page."
        },
        UploadWarning::ExistsNormalized(name) => html! {
            "A file with a similar name exists: " (file_link(name)) ". Please check whether you want to use that name instead."
        },
        UploadWarning::Thumb(name) => html! {
            "The file seems to be an image of reduced size (thumbnail) of " (file_link(name)) ". Please check it and do not upload thumbnails of existing files."
        },
        UploadWarning::ThumbName(name) => html! {
            "The name " strong { (name) } " looks like a thumbnail's name. Please do not upload thumbnails back to the same wiki."
        },
        UploadWarning::BadPrefix(prefix) => html! {
            "The name of the file you are uploading begins with " strong { (prefix) } ", which is a non-descriptive name typically assigned automatically by digital cameras. Please choose a more descriptive name for your file."
        },
        UploadWarning::NoChange { .. } => html! { "The upload is an exact duplicate of the current version of this file." },
        UploadWarning::DuplicateVersions(ts) => html! {
            "The upload is an exact duplicate of " @if ts.len() == 1 { "an older version" } @else { "older versions" } " of this file."
        },
        UploadWarning::WasDeleted(name) => html! {
            "A file of this name (" (file_link(name)) ") has been previously uploaded and subsequently deleted. You should check the deletion log before proceeding to upload it again."
        },
        UploadWarning::Duplicate(names) => html! {
            "This file is a duplicate of the following " @if names.len() == 1 { "file" } @else { (names.len()) " files" } ":"
            ul { @for n in names { li { (file_link(n)) } } }
        },
        UploadWarning::DuplicateArchive(name) => html! {
            "A file identical to this file (" (file_link(name)) ") has previously been deleted. You should check that file's deletion history before proceeding to re-upload it."
        },
        UploadWarning::BadFilename(name) => html! { "File name has been changed to " strong { (name) } "." },
        UploadWarning::FiletypeUnwantedType { ext, allowed } => html! {
            strong { "." (ext) } " is an unwanted file type. Preferred file types are " (allowed.join(", ")) "."
        },
        UploadWarning::LargeFile { limit, size } => html! {
            "It is recommended that files are no larger than " (format_size(*limit as i64)) "; this file is " (format_size(*size as i64)) "."
        },
        UploadWarning::EmptyFile => html! { "The file you uploaded seems to be empty." },
    }
}

fn render(ctx: &Ctx, code: StatusCode, st: &FormState) -> Response<Body> {
    let cfg = &ctx.state.config.uploads;
    let action = index_url(ctx, "Special:Upload", &[]);
    let token = ctx.token("csrf");
    let stash_preview = st
        .stash_key
        .as_ref()
        .map(|k| index_url(ctx, &format!("Special:UploadStash/file/{k}"), &[]));
    let chunk = cfg.min_chunk_size.max(1 << 20);
    let body = html! {
        @if let Some(e) = &st.error { (error_box(e)) }
        @if !st.warnings.is_empty() {
            section.warningbox role="alert" aria-labelledby="uploadwarning-h" {
                h2 #uploadwarning-h { "Upload warning" }
                ul.warnings {
                    @for w in &st.warnings { li data-warning=(w.key()) { (warning_text(w)) } }
                }
                p { "Change the name below and upload again, save the file anyway, or cancel." }
            }
        }
        form #mw-upload-form method="post" action=(action) enctype="multipart/form-data"
            data-api=(ctx.state.config.api_path()) data-chunk-size=(chunk) data-max-size=(cfg.max_upload_size)
            data-user=(ctx.caller.user_name()) {
            (hidden("wpEditToken", &token))
            (hidden("title", "Special:Upload"))
            @if let Some(key) = &st.stash_key {
                fieldset {
                    legend { "Source file" }
                    (hidden("wpSourceType", "Stash"))
                    (hidden("wpSessionKey", key))
                    p { "The file is stored in your upload stash (" code { (key) } ")." }
                    @if let Some(u) = &stash_preview {
                        p { a href=(u) { "View the stashed file" } }
                    }
                }
            } @else {
                fieldset #mw-upload-source {
                    legend { "Source file" }
                    (hidden("wpSourceType", "file"))
                    div.field {
                        label for="wpUploadFile" { "Source filename:" }
                        input #wpUploadFile type="file" name="wpUploadFile";
                    }
                    p.hint { "Maximum file size: " (format_size(cfg.max_upload_size as i64)) ". Permitted file types: " (cfg.file_extensions.join(", ")) "." }
                    div #mw-upload-drop hidden aria-live="polite" {}
                }
            }
            fieldset {
                legend { "File description" }
                div.field {
                    label for="wpDestFile" { "Destination filename:" }
                    input #wpDestFile type="text" name="wpDestFile" value=(st.dest) autocomplete="off" spellcheck="false";
                }
                div.field {
                    label for="wpUploadDescription" { "Summary:" }
                    textarea #wpUploadDescription name="wpUploadDescription" rows="6" { (st.desc) }
                }
            }
            fieldset {
                legend { "Upload options" }
                div.check {
                    input #wpWatchthis type="checkbox" name="wpWatchthis" value="1" checked[st.watch];
                    label for="wpWatchthis" { "Watch this file" }
                }
                div.check {
                    input #wpIgnoreWarning type="checkbox" name="wpIgnoreWarning" value="1" checked[st.ignore];
                    label for="wpIgnoreWarning" { "Ignore any warnings" }
                }
            }
            div.buttons {
                button #wpUpload type="submit" name="wpUpload" value="Upload file" { "Upload file" }
                @if st.stash_key.is_some() {
                    button #wpUploadIgnoreWarning type="submit" name="wpUploadIgnoreWarning" value="Ignore warning and save file anyway" { "Ignore warning and save file anyway" }
                    button #wpCancelUpload type="submit" name="wpCancelUpload" value="Cancel upload and return to the upload form" formnovalidate { "Cancel upload and return to the upload form" }
                }
            }
        }
        @if st.stash_key.is_none() {
            section #mw-upload-queue hidden aria-label="Uploads" {
                h2 { "Uploads" }
                p #mw-upload-resume-note hidden {}
                ol #mw-upload-list aria-live="polite" {}
            }
            script src=(crate::asset_url(ctx, "upload.js")) defer {}
        }
    };
    let _ = (display_url, is_image);
    ctx.page(code, "Upload file", body)
}
