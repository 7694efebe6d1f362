//! Page and file history actions: `action=edit` (description pages), `action=delete` (whole file
//! or one old version), `action=undelete`, `action=filerevert`.

use crate::error::{ApiError, ApiResult};
use crate::spec::{CSRF_TOKEN, Group, ModuleSpec, ParamSpec, Type, Values, param};
use crate::{Call, Output};
use mwupload_store::{EditOutcome, PageEdit};
use serde_json::{Map, Value, json};

const INT: Type = Type::Integer { min: None, max: None };

/// Watch or unwatch the page; `preferences` changes nothing here (MediaWiki's default
/// preferences watch neither deletions nor restorations, and edits only when asked).
const WATCHLIST: ParamSpec = param("watchlist", Type::Enum(&["nochange", "preferences", "unwatch", "watch"])).default("preferences");

pub static EDIT: ModuleSpec = ModuleSpec {
    path: "edit",
    class: "ApiEditPage",
    group: Some(Group::Action),
    read_rights: true,
    write_rights: true,
    must_post: true,
    help: "Create or edit a page (file description pages and other wikitext pages).",
    params: &[
        param("title", Type::String),
        param("pageid", INT),
        param("text", Type::Text).help("New page content."),
        param("summary", Type::String),
        param("tags", Type::Tags)
            .multi()
            .help("Change tags for the revision (configured in change_tags)."),
        param("minor", Type::Boolean).inert(),
        param("notminor", Type::Boolean).inert(),
        param("bot", Type::Boolean).inert(),
        param("baserevid", INT).help("The revision the edit started from: editconflict if another user saved since."),
        param("basetimestamp", Type::Timestamp)
            .help("Timestamp of the base revision (conflict detection, takes precedence over baserevid)."),
        param("starttimestamp", Type::Timestamp).help("When editing began: pagedeleted if the page was deleted since."),
        param("recreate", Type::Boolean).help("Recreate a page deleted since starttimestamp."),
        param("createonly", Type::Boolean).help("Fail if the page exists."),
        param("nocreate", Type::Boolean).help("Fail if the page does not exist."),
        WATCHLIST,
        param("md5", Type::String).help("MD5 of the text (or of prependtext and appendtext concatenated); badmd5 if it differs."),
        param("prependtext", Type::Text),
        param("appendtext", Type::Text),
        CSRF_TOKEN,
    ],
    ..ModuleSpec::BASE
};

pub static DELETE: ModuleSpec = ModuleSpec {
    path: "delete",
    class: "ApiDelete",
    group: Some(Group::Action),
    read_rights: true,
    write_rights: true,
    must_post: true,
    help: "Delete a file (all versions go to the file archive) or, with oldimage, one old version.",
    params: &[
        param("title", Type::String),
        param("pageid", INT),
        param("reason", Type::String),
        param("tags", Type::Tags).multi().help("Change tags for the deletion log entry."),
        param("deletetalk", Type::Boolean).inert(),
        param("watch", Type::Boolean).deprecated(),
        WATCHLIST,
        param("unwatch", Type::Boolean).deprecated(),
        param("oldimage", Type::String).help("Archive name of the old version to delete."),
        CSRF_TOKEN,
    ],
    ..ModuleSpec::BASE
};

pub static UNDELETE: ModuleSpec = ModuleSpec {
    path: "undelete",
    class: "ApiUndelete",
    group: Some(Group::Action),
    read_rights: true,
    write_rights: true,
    must_post: true,
    help: "Restore a deleted file page and its file versions (or only the file versions in fileids).",
    params: &[
        param("title", Type::String).required(),
        param("reason", Type::String).default(""),
        param("tags", Type::Tags).multi().help("Change tags for the restore log entry."),
        param("fileids", INT)
            .multi()
            .help("IDs of the file archive entries to restore (list=filearchive)."),
        param("undeletetalk", Type::Boolean).inert(),
        WATCHLIST,
        CSRF_TOKEN,
    ],
    ..ModuleSpec::BASE
};

pub static FILEREVERT: ModuleSpec = ModuleSpec {
    path: "filerevert",
    class: "ApiFileRevert",
    group: Some(Group::Action),
    read_rights: true,
    write_rights: true,
    must_post: true,
    help: "Revert a file to an old version (the new version shares the old version's stored bytes).",
    params: &[
        param("filename", Type::String).required(),
        param("comment", Type::String).default(""),
        param("archivename", Type::String)
            .required()
            .help("Archive name of the version to revert to."),
        CSRF_TOKEN,
    ],
    ..ModuleSpec::BASE
};

/// The `tags` a caller may apply (`applychangetags`); which tags exist was checked by validation.
pub(super) fn tags_allowed(call: &Call<'_>, v: &Values, module: &str) -> ApiResult<Vec<String>> {
    let tags = v.list("tags").to_vec();
    super::may_apply_tags(call, &tags, module)?;
    Ok(tags)
}

/// Applies `watchlist` (and the deprecated `watch`/`unwatch` where declared); `preferences`
/// leaves the watchlist alone, as MediaWiki's default preferences do for deletions.
/// `ApiWatchlistTrait::getWatchlistValue` then the watch/unwatch it implies; returns whether the
/// page is watched afterwards. `preference` is the user option `watchlist=preferences` follows
/// (None: MediaWiki's `watchdefault || watchcreations && !exists`; both default to on, and the
/// only option defaulting to off that modules pass here is `watchdeletion`).
pub(super) async fn apply_watchlist(
    call: &Call<'_>,
    v: &Values,
    spec: &ModuleSpec,
    ns: i64,
    key: &str,
    preference: Option<&str>,
) -> ApiResult<bool> {
    let flag = |n: &str| spec.param(n).is_some() && v.flag(n);
    let user = call.caller.user_id();
    if user == 0 {
        return Ok(false);
    }
    let watching = call.state.meta.is_watched(user, ns, key).await?;
    let watch = match v.str("watchlist") {
        Some("watch") => true,
        Some("unwatch") => false,
        _ if flag("watch") => true,
        _ if flag("unwatch") => false,
        Some("preferences") if watching => true,
        // Bots' watchlists are left alone ("nochange").
        Some("preferences") if call.caller.groups.iter().any(|g| g == "bot") => watching,
        Some("preferences") => preference != Some("watchdeletion"),
        _ => watching,
    };
    if watch != watching {
        if watch {
            call.state.meta.watch(user, ns, key, None).await?;
        } else {
            call.state.meta.unwatch(user, ns, key).await?;
        }
    }
    Ok(watch)
}

/// Protection and blocks on a page, as MediaWiki 1.39's API reports them to modules other than
/// upload: `protectedpage` (for create protection too, as recorded) or `blocked`.
pub(super) async fn refuse_denied(call: &Call<'_>, ns: i64, key: &str, exists: bool, actions: &[&str], module: &str) -> ApiResult<()> {
    use mwupload_core::access::{Denial, authorize};
    match authorize(call.state, &call.caller, ns, key, exists, actions).await? {
        Ok(()) => Ok(()),
        Err(Denial::Blocked(b)) => Err(crate::upload_wire::blocked(&b).module(module)),
        Err(Denial::Protected { .. }) => Err(crate::upload_wire::protected_page().module(module)),
    }
}

pub(super) fn need(call: &Call<'_>, right: &str, module: &str) -> ApiResult<()> {
    if call.caller.has(right) {
        Ok(())
    } else {
        Err(super::permission_denied(call, right, module))
    }
}

pub(super) fn out(module: &str, m: Map<String, Value>) -> Output {
    let mut o = Map::new();
    o.insert(module.into(), Value::Object(m));
    Output::Json(o)
}

/// Resolves `title=` (or `pageid=`) to a (namespace, DB key).
pub(super) async fn page_target(call: &Call<'_>, title: Option<&str>, pageid: Option<i64>, module: &str) -> ApiResult<(i64, String)> {
    let title = match (title, pageid) {
        (Some(t), None) => t.to_string(),
        (None, Some(id)) => match call.state.meta.page_by_id(id).await? {
            Some(pg) => mwupload_core::title::PageTitle {
                ns: pg.namespace,
                db_key: pg.title,
            }
            .display()
            .to_string(),
            None => return Err(ApiError::no_such_page_id(id).module(module)),
        },
        (Some(_), Some(_)) => {
            return Err(ApiError::cannot_use_together(&["title".into(), "pageid".into()], module));
        }
        (None, None) => {
            return Err(ApiError::missingparam_one_of(&["title", "pageid"], module));
        }
    };
    let t = mwupload_core::title::page_title(&title).ok_or_else(|| ApiError::invalid_title(&title).module(module))?;
    Ok((t.ns, t.db_key))
}

pub async fn edit(call: &mut Call<'_>, v: Values) -> ApiResult<Output> {
    const M: &str = "edit";
    let (ns, key) = page_target(call, v.str("title"), v.int("pageid"), M).await?;
    need(call, "edit", M)?;
    let summary = v.str("summary").unwrap_or("").to_string();
    let page = call.state.meta.page(ns, &key).await?;
    if v.flag("nocreate") && page.is_none() {
        return Err(ApiError::new("missingtitle", "The page you specified doesn't exist.").module(M));
    }
    if v.flag("createonly") && page.is_some() {
        return Err(ApiError::new("articleexists", "The article you tried to create has been created already.").module(M));
    }
    if page.is_none() && !call.caller.has("createpage") {
        return Err(ApiError::new("cantcreate", "You don't have permission to create new pages.").module(M));
    }
    let actions: &[&str] = if page.is_some() { &["edit"] } else { &["edit", "create"] };
    refuse_denied(call, ns, &key, page.is_some(), actions, M).await?;
    let old = match &page {
        Some(pg) => call.state.meta.revision(pg.latest_rev).await?,
        None => None,
    };
    let old_text = old.as_ref().map(|r| r.text.clone()).unwrap_or_default();
    // MediaWiki hashes the text, or prependtext and appendtext concatenated.
    if let Some(md5) = v.str("md5") {
        let hashed = match v.str("text") {
            Some(t) => t.to_string(),
            None => format!("{}{}", v.str("prependtext").unwrap_or(""), v.str("appendtext").unwrap_or("")),
        };
        if !hex::encode(<md5::Md5 as md5::Digest>::digest(hashed.as_bytes())).eq_ignore_ascii_case(md5) {
            return Err(ApiError::new("badmd5", "The supplied MD5 hash was incorrect.").module(M));
        }
    }
    let text = match (v.str("text"), v.str("appendtext"), v.str("prependtext")) {
        (Some(t), _, _) => t.to_string(),
        (None, a, pre) if a.is_some() || pre.is_some() => format!("{}{}{}", pre.unwrap_or(""), old_text, a.unwrap_or("")),
        _ => {
            return Err(ApiError::missingparam_one_of(&["text", "appendtext", "undo"], M));
        }
    };
    let display = mwupload_core::title::PageTitle { ns, db_key: key.clone() }.display();
    let tags = tags_allowed(call, &v, M)?;
    if page.is_none()
        && !v.flag("recreate")
        && let Some(start) = v.str("starttimestamp")
        && call.state.meta.deleted_since(ns, &key, start).await?
    {
        return Err(ApiError::new("pagedeleted", "The page has been deleted since you fetched its timestamp.").module(M));
    }
    // The base revision: by timestamp (MediaWiki ignores an empty or "0" one), else by id.
    let base_ts_given = call.params.peek("basetimestamp").is_some_and(|raw| !raw.is_empty() && raw != "0");
    let base_rev = match (&page, v.str("basetimestamp"), v.int("baserevid")) {
        // Older than the page itself: every revision by someone else conflicts.
        (Some(pg), Some(ts), _) if base_ts_given => Some(call.state.meta.revision_at(pg.id, ts).await?.unwrap_or(0)),
        (Some(_), _, Some(id)) if id != 0 => Some(id),
        _ => None,
    };
    let mut m = Map::new();
    if old.is_some() && old_text == text {
        m.insert("result".into(), json!("Success"));
        m.insert("pageid".into(), json!(page.as_ref().map(|p| p.id)));
        m.insert("title".into(), json!(display));
        m.insert("contentmodel".into(), json!("wikitext"));
        call.ctx.put_bool(&mut m, "nochange", true);
        return Ok(out(M, m));
    }
    let user_name = call.caller.user_name();
    let edit = PageEdit {
        namespace: ns,
        title: &key,
        text: &text,
        comment: &summary,
        user_id: call.caller.user_id(),
        user_name: &user_name,
        tags: &tags,
        base_rev,
    };
    let (page_id, rev, new) = match call.state.meta.edit_page(&edit).await? {
        EditOutcome::Saved { page_id, rev, new } => (page_id, rev, new),
        EditOutcome::Conflict => return Err(ApiError::new("editconflict", "Edit conflict.").module(M)),
    };
    // The text is in hand: no need to read the page and revision back (refresh_file_links).
    call.state
        .meta
        .set_file_links(page_id, &mwupload_core::wikitext::file_links(&text))
        .await?;
    let ts = call.state.meta.revision(rev).await?.map(|r| r.timestamp).unwrap_or_default();
    if new {
        call.ctx.put_bool(&mut m, "new", true);
    }
    m.insert("result".into(), json!("Success"));
    m.insert("pageid".into(), json!(page_id));
    m.insert("title".into(), json!(display));
    m.insert("contentmodel".into(), json!("wikitext"));
    m.insert("oldrevid".into(), json!(old.map(|r| r.id).unwrap_or(0)));
    m.insert("newrevid".into(), json!(rev));
    m.insert("newtimestamp".into(), json!(mwupload_store::time::ts_to_iso(&ts)));
    if apply_watchlist(call, &v, &EDIT, ns, &key, None).await? {
        call.ctx.put_bool(&mut m, "watched", true);
    }
    Ok(out(M, m))
}

pub async fn delete(call: &mut Call<'_>, v: Values) -> ApiResult<Output> {
    const M: &str = "delete";
    let (ns, key) = page_target(call, v.str("title"), v.int("pageid"), M).await?;
    need(call, "delete", M)?;
    refuse_denied(call, ns, &key, true, &["delete"], M).await?;
    let reason = v.str("reason").unwrap_or("").to_string();
    let tags = tags_allowed(call, &v, M)?;
    let display = mwupload_core::title::PageTitle { ns, db_key: key.clone() }.display();
    let logid = match v.str("oldimage") {
        // (ApiDelete reads oldimage only for File pages.)
        Some(old) if ns == 6 => {
            match mwupload_core::history::delete_old_version(call.state, &call.caller, &key, old, &reason, &tags).await? {
                Some(id) => id,
                None => return Err(ApiError::new("nodeleteablefile", "No such old version of the file.").module(M)),
            }
        }
        _ => match mwupload_core::history::delete_page(call.state, &call.caller, ns, &key, &reason, &tags).await? {
            Some(id) => id,
            None => return Err(ApiError::new("missingtitle", "The page you specified doesn't exist.").module(M)),
        },
    };
    let mut m = Map::new();
    m.insert("title".into(), json!(display));
    m.insert("reason".into(), json!(reason));
    m.insert("logid".into(), json!(logid));
    apply_watchlist(call, &v, &DELETE, ns, &key, Some("watchdeletion")).await?;
    Ok(out(M, m))
}

pub async fn undelete(call: &mut Call<'_>, v: Values) -> ApiResult<Output> {
    const M: &str = "undelete";
    let (ns, key) = page_target(call, v.str("title"), None, M).await?;
    need(call, "undelete", M)?;
    let reason = v.str("reason").unwrap_or("").to_string();
    let tags = tags_allowed(call, &v, M)?;
    let ids = v.ints("fileids").to_vec();
    let (revs, files) = if ns == 6 {
        mwupload_core::history::undelete(call.state, &call.caller, &key, &ids, &reason, &tags).await?
    } else {
        mwupload_core::history::undelete_page(call.state, &call.caller, ns, &key, &reason, &tags).await?
    };
    if revs == 0 && files == 0 {
        return Err(cantundelete().module(M));
    }
    let mut m = Map::new();
    m.insert(
        "title".into(),
        json!(mwupload_core::title::PageTitle { ns, db_key: key.clone() }.display()),
    );
    m.insert("revisions".into(), json!(revs));
    m.insert("fileversions".into(), json!(files));
    apply_watchlist(call, &v, &UNDELETE, ns, &key, None).await?;
    m.insert("reason".into(), json!(reason));
    Ok(out(M, m))
}

/// MediaWiki 1.39's answer when nothing was undeleted (`apierror-cantundelete`), also for a page
/// that was never deleted.
fn cantundelete() -> ApiError {
    ApiError::new(
        "cantundelete",
        "Couldn't undelete: the requested revisions may not exist, or may have been undeleted already.",
    )
}

pub async fn filerevert(call: &mut Call<'_>, v: Values) -> ApiResult<Output> {
    const M: &str = "filerevert";
    // Both are required by the spec, so validation has already refused their absence.
    let filename = v.str("filename").unwrap_or("").to_string();
    let archive = v.str("archivename").unwrap_or("").to_string();
    let comment = v.str("comment").unwrap_or("").to_string();
    let key = mwupload_core::title::file_db_key(&filename).ok_or_else(|| ApiError::invalid_title(&filename).module(M))?;
    need(call, "edit", M)?;
    need(call, "upload", M)?;
    need(call, "reupload", M)?;
    refuse_denied(call, 6, &key, true, &["edit", "upload"], M).await?;
    use mwupload_core::history::RevertOutcome;
    let outcome = mwupload_core::history::revert(call.state, &call.caller, &key, &archive, &comment)
        .await
        .map_err(|e| crate::upload_wire::error(call.state, &e).module(M))?;
    match outcome {
        RevertOutcome::Reverted => {
            let mut m = Map::new();
            m.insert("result".into(), json!("Success"));
            Ok(out(M, m))
        }
        // ApiFileRevert::validateParameters: a missing file is a missing title.
        RevertOutcome::Missing => Err(ApiError::new("missingtitle", "The page you specified doesn't exist.").module(M)),
        RevertOutcome::BadVersion => Err(ApiError::new(
            "filerevert-badversion",
            "There is no previous local version of this file with the provided timestamp.",
        )
        .module(M)),
        RevertOutcome::Identical => Err(ApiError::new(
            "filerevert-identical",
            "The current version of the file is already identical to the selected version.",
        )
        .module(M)),
    }
}
