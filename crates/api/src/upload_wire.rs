//! The one table from the upload domain's typed results to MediaWiki's wire: every
//! [`UploadError`] to its code, English `info` and data; every [`UploadWarning`] to its key and
//! value (`ApiUpload::transformWarnings`, formatversion-dependent); every [`UploadStatus`] to the
//! members `checkstatus` reports. Each MediaWiki code is built here and nowhere else.

use crate::envelope::Ctx;
use crate::error::ApiError;
use crate::params::group_digits;
use mwupload_core::AppState;
use mwupload_core::access::BlockInfo;
use mwupload_core::title::display_name;
use mwupload_core::upload::{FetchError, NameProblem, UploadError, UploadFailure, UploadStatus, UploadWarning};
use serde_json::{Map, Value, json};

/// `stashfailed`, the code MediaWiki uses for most stash and chunk problems.
fn stashfailed(info: impl Into<String>) -> ApiError {
    ApiError::new("stashfailed", info)
}

/// MediaWiki's error for an upload-domain error.
pub fn error(state: &AppState, e: &UploadError) -> ApiError {
    use UploadError as E;
    match e {
        E::UploadsDisabled => ApiError::new("uploaddisabled", "Uploads are not enabled."),
        // ApiUpload: dieWithError( 'copyuploaddisabled' ), the core message.
        E::CopyUploadsDisabled => ApiError::new("copyuploaddisabled", "Upload by URL disabled.").msg("copyuploaddisabled", vec![]),
        E::MustBeLoggedIn => ApiError::new("mustbeloggedin", "You must be logged in to upload this file.").msg(
            "apierror-mustbeloggedin",
            vec![serde_json::json!({ "message": { "key": "action-upload", "params": [] } })],
        ),
        E::PermissionDenied { right } => permission_denied(state, right),
        // ChangeTags::canAddTagsAccompanyingChange's own message.
        E::TagsNotAllowed => ApiError::new(
            "tags-apply-no-permission",
            "You do not have permission to apply change tags along with your changes.",
        )
        .msg("tags-apply-no-permission", vec![]),
        E::Blocked(b) => blocked(b),
        E::Protected { .. } => protected_page(),
        // ApiUpload::handleStashException: apierror-mustbeloggedin with the action's message.
        E::StashNotLoggedIn => ApiError::new("stashnotloggedin", "You must be logged in to upload this file.").msg(
            "apierror-mustbeloggedin",
            vec![serde_json::json!({ "message": { "key": "action-upload", "params": [] } })],
        ),
        E::StashZeroLength => ApiError::new("stashzerolength", "File is of zero length, and could not be stored in the stash."),
        // UploadStashBadPathException's own message key, as MediaWiki 1.39 answers it.
        E::StashPathInvalid { key } => ApiError::new(
            "uploadstash-bad-path-bad-format",
            format!("Key \"{key}\" is not in a proper format."),
        )
        .msg("uploadstash-bad-path-bad-format", vec![serde_json::Value::from(key.as_str())]),
        E::InvalidFileKey => ApiError::new("invalid-file-key", "Not a valid file key."),
        // UploadStashFileNotFoundException's own message (an ILocalizedException).
        E::StashFileNotFound { key } => ApiError::new("uploadstash-file-not-found", format!("Key \"{key}\" not found in stash."))
            .msg("uploadstash-file-not-found", vec![Value::from(key.as_str())]),
        // UploadStashWrongOwnerException's own message, as MediaWiki 1.39 answers a publish or a
        // chunk with another user's key (its `stashwrongowner` mapping is never reached there).
        E::StashWrongOwner { key } => ApiError::new(
            "uploadstash-wrong-owner",
            format!("This file ({key}) doesn't belong to the current user."),
        )
        .msg("uploadstash-wrong-owner", vec![Value::from(key.as_str())]),
        E::StashNotComplete => stashfailed("The chunked upload is not complete yet."),
        E::InvalidStashedFile => stashfailed("Invalid stashed file.").msg("apierror-stashinvalidfile", vec![]),
        // UploadFromChunks::addChunk's Status, under the code stashfailed (dieStatusWithCode).
        E::ChunkOffset { offset } => stashfailed("Invalid chunk offset")
            .with("offset", offset.to_string())
            .msg("invalid-chunk-offset", vec![]),
        E::ChunkTooLarge { offset } => stashfailed("The file you submitted was too large.")
            .with("offset", offset.to_string())
            .msg("file-too-large", vec![]),
        E::NoChunkSession => stashfailed("No chunked upload session with this key.").msg("apierror-stashfailed-nosession", vec![]),
        E::InvalidChunk => ApiError::new("invalid-chunk", "Offset plus current chunk is greater than claimed file size."),
        E::ChunkTooSmall { min } => ApiError::new(
            "chunk-too-small",
            format!("Minimum chunk size is {} bytes for non-final chunks.", group_digits(*min as i64)),
        )
        .msg("apierror-chunk-too-small", vec![crate::error::param::num(*min)]),
        E::ChunkSessionCompleted => {
            stashfailed("Chunked upload is already completed, check status for details.").msg("apierror-stashfailed-complete", vec![])
        }
        // ApiUpload::performStash dies with the verification message itself: its key is the code.
        E::ChunkRejected { info, details } => match details.split_first() {
            Some((key, params)) => ApiError::new(key.clone(), crate::error::strip_markup(info))
                .msg(key, params.iter().map(|p| Value::from(p.as_str())).collect())
                .wikitext(info.clone()),
            None => stashfailed(crate::error::strip_markup(info)),
        },
        E::AssemblyRejected(inner) => {
            // MediaWiki reports the opaque category; we add the precise code and details.
            let cause = error(state, inner);
            let mut err = stashfailed("This file did not pass file verification.").with("verification", cause.code.clone());
            if let Some(d) = cause.data.get("details") {
                err = err.with("details", d.clone());
            }
            err
        }
        // UploadBase::convertVerifyErrorToStatus: the verification messages' own keys.
        E::EmptyFile => ApiError::new("empty-file", "The file you submitted was empty.").msg("empty-file", vec![]),
        E::FileTooLarge => ApiError::new("file-too-large", "The file you submitted was too large.").msg("file-too-large", vec![]),
        // The message is the verification's own (`details` is its key and params).
        // `info` is the message's wikitext.
        E::Verification { info, details } => {
            let err = ApiError::new("verification-error", crate::error::strip_markup(info)).with("details", details.clone());
            match details.split_first() {
                Some((key, params)) => err
                    .msg(key, params.iter().map(|p| serde_json::Value::from(p.as_str())).collect())
                    .wikitext(info.clone()),
                None => err,
            }
        }
        E::Name(problem) => name_error(problem),
        // MediaWiki 1.39's messages (en.json), newlines as the API's text format gives them;
        // `$1`, the file's name, is its DB key (`File::getName()`). The shared one is recorded in
        // tests/fixtures/refwiki-shared-repo.json.
        E::FileExistsForbidden { name } => ApiError::new(
            "fileexists-forbidden",
            format!(
                "A file with this name already exists, and cannot be overwritten. If you still want to upload your file, please go back and use a new name. [[File:{name}|thumb|center|{name}]]"
            ),
        ),
        E::FileExistsSharedForbidden { name } => ApiError::new(
            "fileexists-shared-forbidden",
            format!(
                "A file with this name exists already in the shared file repository. If you still want to upload your file, please go back and use a new name. [[File:{name}|thumb|center|{name}]]"
            ),
        ),
        E::FileExistsNoChange { name } => ApiError::new(
            "fileexists-no-change",
            format!(
                "The upload is an exact duplicate of the current version of [[:File:{}]].",
                display_name(name)
            ),
        ),
        E::PublishInProgress => {
            ApiError::new("publishfailed", "Upload from stash already in progress.").msg("apierror-upload-inprogress", vec![])
        }
        E::RateLimited { retry_after } => {
            let mut e = ApiError::new(
                "ratelimited",
                "You've exceeded your rate limit. Please wait some time and try again.",
            );
            e.headers.push(("retry-after".into(), (*retry_after).max(1).to_string()));
            e
        }
        E::UrlUploadInProgress => ApiError::new("publishfailed", "Upload from this URL is already in progress."),
        E::FileVanished => ApiError::new("publishfailed", "The file vanished after publishing."),
        E::Fetch(f) => fetch_error(f),
        E::JobInterrupted => stashfailed("The upload job was interrupted too many times; please upload again."),
        E::JobFailed { message } => stashfailed(format!("The upload job failed: {message}")),
        E::MissingResult => ApiError::new("missingresult", "No result in status data.").msg("apierror-upload-missingresult", vec![]),
        E::StorageFull { message } => {
            tracing::error!("storage full: {message}");
            ApiError::new(
                "backend-fail-internal",
                "An unknown error occurred in storage backend \"local-backend\": there is no space left to store the file.",
            )
        }
        // A failing disk (the message of an I/O error carries its OS error number).
        E::Storage { message } if message.starts_with("storage:") && message.contains("(os error 5)") => {
            crate::error::backend_failure("the device reported an input/output error", message)
        }
        E::Storage { message } if message.starts_with("storage:") && message.contains("(os error 30)") => {
            crate::error::backend_failure("the file system is read-only", message)
        }
        E::Storage { message } if message.starts_with("storage:") && message.contains("(os error 122)") => {
            crate::error::backend_failure("the disk quota is exceeded", message)
        }
        E::Storage { message } => ApiError::internal("storage", message),
    }
}

fn name_error(p: &NameProblem) -> ApiError {
    match p {
        // UploadBase::convertVerifyErrorToStatus: the messages' own keys, without params.
        NameProblem::TooLong => {
            ApiError::new("filename-toolong", "Filenames may not be longer than 240 bytes.").msg("filename-toolong", vec![])
        }
        NameProblem::Illegal { filtered } => ApiError::new("illegal-filename", "The filename is not allowed.")
            .with("filename", filtered.clone())
            .msg("illegal-filename", vec![]),
        NameProblem::MissingExtension => {
            ApiError::new("filetype-missing", "The file has no extension (like \".jpg\").").msg("filetype-missing", vec![])
        }
        NameProblem::TooShort => ApiError::new("filename-tooshort", "The filename is too short.").msg("filename-tooshort", vec![]),
        NameProblem::BannedType {
            final_ext,
            blacklisted,
            allowed,
        } => {
            let named = if blacklisted.is_empty() {
                format!("\".{final_ext}\"")
            } else {
                blacklisted.iter().map(|b| format!("\".{b}\"")).collect::<Vec<_>>().join(", ")
            };
            let verb = if blacklisted.len() > 1 {
                "are not permitted file types"
            } else {
                "is not a permitted file type"
            };
            let mut err = ApiError::new(
                "filetype-banned",
                format!("{named} {verb}. Permitted file types are {}.", allowed.join(", ")),
            )
            .with("filetype", final_ext.clone())
            .with("allowed", allowed.clone());
            if !blacklisted.is_empty() {
                err = err.with("blacklisted", blacklisted.clone());
            }
            err
        }
    }
}

/// `blocked`, with `blockinfo` (booleans are JSON booleans; formatversion 1 output turns them
/// into MediaWiki's `""`/absent when the error is rendered).
pub fn blocked(b: &BlockInfo) -> ApiError {
    let info = if b.sitewide {
        "You have been blocked from editing."
    } else {
        "You have been blocked from editing this page."
    };
    ApiError::new("blocked", info).with("blockinfo", Value::Object(block_info(b)))
}

/// MediaWiki's `ApiBlockInfoTrait::getBlockDetails`.
pub fn block_info(b: &BlockInfo) -> Map<String, Value> {
    use mwupload_core::access::{human_time, iso_or};
    let mut m = Map::new();
    m.insert("blockid".into(), json!(b.id));
    m.insert("blockedby".into(), json!(b.by));
    m.insert("blockedbyid".into(), json!(b.by_id));
    m.insert("blockreason".into(), json!(b.reason));
    m.insert("blockedtimestamp".into(), json!(mwupload_store::time::ts_to_iso(&b.timestamp)));
    m.insert("blockexpiry".into(), json!(iso_or(&b.expiry, "infinite")));
    m.insert("blockpartial".into(), json!(!b.sitewide));
    m.insert("blocknocreate".into(), json!(b.nocreate));
    m.insert("blockanononly".into(), json!(b.anononly));
    m.insert("blockedtimestampformatted".into(), json!(human_time(&b.timestamp)));
    let expiry = b.expiry.as_deref().map(human_time).unwrap_or_else(|| "infinite".into());
    m.insert("blockexpiryformatted".into(), json!(expiry));
    m.insert("blockexpiryrelative".into(), json!(expiry));
    m
}

/// `protectedpage` (page, upload or create protection).
pub fn protected_page() -> ApiError {
    ApiError::new("protectedpage", "This page has been protected to prevent editing or other actions.")
}

/// MediaWiki's codes for URL fetching (its `HTTP` and copy-upload messages).
pub fn fetch_error(f: &FetchError) -> ApiError {
    match f {
        // MWHttpRequest's Status messages, with their parameters.
        FetchError::InvalidUrl { url } => {
            ApiError::new("http-invalid-url", format!("Invalid URL: {url}")).msg("http-invalid-url", vec![Value::from(url.as_str())])
        }
        FetchError::DomainNotAllowed => ApiError::new("copyuploadbaddomain", "Upload by URL is not allowed from this domain."),
        FetchError::RedirectDomainNotAllowed => ApiError::new(
            "upload-copy-upload-invalid-domain",
            "Copy uploads are not available from this domain.",
        ),
        FetchError::NonPublicAddress { address } => ApiError::new(
            "copyuploadbadurl",
            format!("The URL points to a private, loopback or otherwise non-public address ({address}), which is not allowed."),
        ),
        FetchError::BadStatus { status, reason } => ApiError::new(
            "http-bad-status",
            format!("There was a problem during the HTTP request: {status} {reason}")
                .trim_end()
                .to_string(),
        )
        .msg(
            "http-bad-status",
            vec![Value::from(status.to_string()), Value::from(reason.as_str())],
        ),
        FetchError::TimedOut { url } => {
            ApiError::new("http-timed-out", format!("URL {url} timed out.")).msg("http-timed-out", vec![Value::from(url.as_str())])
        }
        FetchError::Transport { detail } => ApiError::new("http-curl-error", format!("Error fetching URL: {detail}"))
            .msg("http-curl-error", vec![Value::from(detail.as_str())]),
        FetchError::TooManyRedirects => {
            ApiError::new("upload-too-many-redirects", "The URL contained too many redirects.").msg("upload-too-many-redirects", vec![])
        }
        FetchError::TooLarge { max } => ApiError::new(
            "file-too-large",
            format!(
                "The file you submitted was too large. The maximum is {} bytes.",
                group_digits(*max as i64)
            ),
        ),
        FetchError::TmpCreate => ApiError::new("tmp-create-error", "Could not create temporary file.").msg("tmp-create-error", vec![]),
        FetchError::TmpWrite => ApiError::new("tmp-write-error", "Error writing temporary file.").msg("tmp-write-error", vec![]),
    }
}

/// MediaWiki's `permissiondenied` for a missing right, naming the groups that hold it
/// (its `badaccess-groups` message).
pub fn permission_denied(state: &AppState, right: &str) -> ApiError {
    let site = &state.config.sitename;
    let names: Vec<String> = mwupload_core::auth::rights::groups_with_right(&state.permissions, right)
        .iter()
        .map(|g| {
            let page = group_page(g);
            format!("[[{site}:{page}|{page}]]")
        })
        .collect();
    let info = if names.len() == 1 {
        format!("The action you have requested is limited to users in the group: {}.", names[0])
    } else {
        format!(
            "The action you have requested is limited to users in one of the groups: {}.",
            names.join(", ")
        )
    };
    ApiError::new("permissiondenied", info)
}

/// The project page MediaWiki links for a group.
fn group_page(g: &str) -> String {
    match g {
        "user" => "Users".into(),
        "sysop" => "Administrators".into(),
        "bot" => "Bots".into(),
        "bureaucrat" => "Bureaucrats".into(),
        "autoconfirmed" => "Autoconfirmed users".into(),
        other => other.to_string(),
    }
}

/// A failed upload: the error, plus the filekey MediaWiki hands back with recoverable errors
/// and `invalidparameter` for name problems.
pub fn failure(state: &AppState, f: &UploadFailure) -> ApiError {
    let mut e = error(state, &f.error);
    if let Some(key) = &f.filekey {
        e.data.insert("filekey".into(), json!(key));
        e.data.insert("sessionkey".into(), json!(key));
        if f.name_error {
            e.data.insert("invalidparameter".into(), json!("filename"));
        }
    }
    e
}

/// One warning's value (`ApiUpload::transformWarnings`).
fn warning_value(ctx: &Ctx, w: &UploadWarning) -> Value {
    use mwupload_store::time::ts_to_iso;
    match w {
        UploadWarning::BadFilename(s)
        | UploadWarning::Exists(s)
        | UploadWarning::PageExists(s)
        | UploadWarning::ExistsNormalized(s)
        | UploadWarning::Thumb(s)
        | UploadWarning::ThumbName(s)
        | UploadWarning::BadPrefix(s)
        | UploadWarning::WasDeleted(s)
        | UploadWarning::DuplicateArchive(s) => json!(s),
        UploadWarning::FiletypeUnwantedType { ext, allowed } => json!([ext, allowed.join(", "), allowed.len()]),
        UploadWarning::LargeFile { limit, size } => json!([limit, size]),
        UploadWarning::EmptyFile => {
            if ctx.fv2 {
                json!(true)
            } else {
                json!("")
            }
        }
        UploadWarning::NoChange { timestamp } => json!({"timestamp": ts_to_iso(timestamp)}),
        UploadWarning::DuplicateVersions(ts) => Value::Array(ts.iter().map(|t| json!({"timestamp": ts_to_iso(t)})).collect()),
        UploadWarning::Duplicate(names) => json!(names),
    }
}

/// The `warnings` object of an upload result.
pub fn warnings(ctx: &Ctx, ws: &[UploadWarning]) -> Value {
    let mut m = Map::new();
    for w in ws {
        m.insert(w.key().into(), warning_value(ctx, w));
    }
    Value::Object(m)
}

/// The members `checkstatus` reports for a status other than `Failure`, in MediaWiki's order.
pub fn status_members(ctx: &Ctx, st: &UploadStatus) -> Vec<(&'static str, Value)> {
    let mut out: Vec<(&'static str, Value)> = Vec::new();
    match st {
        UploadStatus::Continue { offset } => {
            out.push(("result", json!("Continue")));
            out.push(("stage", json!("uploading")));
            out.push(("offset", json!(offset)));
        }
        UploadStatus::Poll { stage, offset } => {
            out.push(("result", json!("Poll")));
            out.push(("stage", json!(stage.as_str())));
            if let Some(o) = offset {
                out.push(("offset", json!(o)));
            }
        }
        UploadStatus::Success {
            stage,
            filekey,
            filename,
            warnings: ws,
        } => {
            out.push(("result", json!("Success")));
            out.push(("stage", json!(stage.as_str())));
            if let Some(k) = filekey {
                out.push(("filekey", json!(k)));
            }
            if let Some(n) = filename {
                out.push(("filename", json!(n)));
            }
            if !ws.is_empty() {
                out.push(("warnings", warnings(ctx, ws)));
            }
        }
        UploadStatus::Warning {
            stage,
            warnings: ws,
            filekey,
        } => {
            out.push(("result", json!("Warning")));
            out.push(("stage", json!(stage.as_str())));
            out.push(("warnings", warnings(ctx, ws)));
            if let Some(k) = filekey {
                out.push(("filekey", json!(k)));
            }
        }
        UploadStatus::Failure { stage, .. } => {
            out.push(("result", json!("Failure")));
            out.push(("stage", json!(stage.as_str())));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fetch_errors_read_like_mediawikis() {
        let e = fetch_error(&FetchError::BadStatus {
            status: 404,
            reason: "File not found".into(),
        });
        assert_eq!(
            (e.code.as_str(), e.info.as_str()),
            ("http-bad-status", "There was a problem during the HTTP request: 404 File not found")
        );
        let e = fetch_error(&FetchError::BadStatus {
            status: 500,
            reason: String::new(),
        });
        assert_eq!(e.info, "There was a problem during the HTTP request: 500");
        // errorformat=raw: MWHttpRequest's message keys and parameters.
        let m = e.message.expect("message");
        assert_eq!((m.key.as_str(), m.params), ("http-bad-status", vec![json!("500"), json!("")]));
        let m = fetch_error(&FetchError::TimedOut { url: "http://x/y".into() })
            .message
            .expect("message");
        assert_eq!((m.key.as_str(), m.params), ("http-timed-out", vec![json!("http://x/y")]));
        let m = fetch_error(&FetchError::Transport { detail: "refused".into() })
            .message
            .expect("message");
        assert_eq!((m.key.as_str(), m.params), ("http-curl-error", vec![json!("refused")]));
        let m = fetch_error(&FetchError::InvalidUrl {
            url: "file:///etc/passwd".into(),
        })
        .message
        .expect("message");
        assert_eq!((m.key.as_str(), m.params), ("http-invalid-url", vec![json!("file:///etc/passwd")]));
        assert_eq!(
            fetch_error(&FetchError::TooLarge { max: 1000 }).info,
            "The file you submitted was too large. The maximum is 1,000 bytes."
        );
    }

    #[test]
    fn banned_types_name_the_allowed_ones() {
        let e = name_error(&NameProblem::BannedType {
            final_ext: "exe".into(),
            blacklisted: vec!["exe".into()],
            allowed: vec!["png".into(), "gif".into()],
        });
        assert_eq!(e.code, "filetype-banned");
        assert_eq!(e.info, "\".exe\" is not a permitted file type. Permitted file types are png, gif.");
        assert_eq!(e.data["blacklisted"], json!(["exe"]));
    }
}
