//! Page and file history actions: `action=edit` (description pages), `action=delete` (whole file
//! or one old version), `action=undelete`, `action=filerevert`.

use crate::api::error::{ApiError, ApiResult};
use crate::api::{Call, Output};
use crate::upload::publish::{self, Props, Source};
use serde_json::{Map, Value, json};

fn need(call: &Call<'_>, right: &str, module: &str) -> ApiResult<()> {
    if call.caller.has(right) {
        Ok(())
    } else {
        Err(super::permission_denied(call, right, module))
    }
}

fn out(module: &str, m: Map<String, Value>) -> Output {
    let mut o = Map::new();
    o.insert(module.into(), Value::Object(m));
    Output::Json(o)
}

/// Resolves `title=` (or `pageid=`) to a File-namespace DB key; other namespaces are refused.
async fn file_title(call: &Call<'_>, module: &str) -> ApiResult<(i64, String)> {
    let p = call.params;
    let title = match (p.get("title"), p.get("pageid")) {
        (Some(t), None) => t.to_string(),
        (None, Some(id)) => {
            let id: i64 = id.parse().map_err(|_| {
                ApiError::new("badinteger", format!("Invalid value \"{id}\" for integer parameter \"pageid\".")).module(module)
            })?;
            match call.state.meta.page_by_id(id).await? {
                Some(pg) => super::query::PageTitle {
                    ns: pg.namespace,
                    db_key: pg.title,
                }
                .display()
                .to_string(),
                None => return Err(ApiError::new("nosuchpageid", format!("There is no page with ID {id}.")).module(module)),
            }
        }
        (Some(_), Some(_)) => {
            return Err(ApiError::new(
                "invalidparammix",
                "The parameters \"title\" and \"pageid\" can not be used together.",
            )
            .module(module));
        }
        (None, None) => {
            return Err(ApiError::new("missingparam", "One of the parameters \"title\" and \"pageid\" is required.").module(module));
        }
    };
    let t =
        super::query::parse_title(&title).ok_or_else(|| ApiError::new("invalidtitle", format!("Bad title \"{title}\".")).module(module))?;
    Ok((t.ns, t.db_key))
}

pub async fn edit(call: &mut Call<'_>) -> ApiResult<Output> {
    const M: &str = "edit";
    let (ns, key) = file_title(call, M).await?;
    need(call, "edit", M)?;
    let p = call.params;
    let summary = p.get("summary").unwrap_or("").to_string();
    for ignored in [
        "minor",
        "notminor",
        "bot",
        "basetimestamp",
        "starttimestamp",
        "recreate",
        "md5",
        "contentformat",
        "contentmodel",
        "watchlist",
        "tags",
        "section",
        "sectiontitle",
        "baserevid",
        "nocreate",
        "createonly",
        "undo",
        "undoafter",
    ] {
        let _ = p.get(ignored);
    }
    let page = call.state.meta.page(ns, &key).await?;
    if p.flag("nocreate") && page.is_none() {
        return Err(ApiError::new("missingtitle", "The page you specified doesn't exist.").module(M));
    }
    if p.flag("createonly") && page.is_some() {
        return Err(ApiError::new("articleexists", "The article you tried to create has been created already.").module(M));
    }
    if page.is_none() && !call.caller.has("createpage") {
        return Err(ApiError::new("cantcreate", "You don't have permission to create new pages.").module(M));
    }
    let old = match &page {
        Some(pg) => call.state.meta.revision(pg.latest_rev).await?,
        None => None,
    };
    let old_text = old.as_ref().map(|r| r.text.clone()).unwrap_or_default();
    let text = match (p.get("text"), p.get("appendtext"), p.get("prependtext")) {
        (Some(t), _, _) => t.to_string(),
        (None, a, pre) if a.is_some() || pre.is_some() => format!("{}{}{}", pre.unwrap_or(""), old_text, a.unwrap_or("")),
        _ => {
            return Err(ApiError::new(
                "missingparam",
                "One of the parameters \"text\", \"appendtext\" and \"undo\" is required.",
            )
            .module(M));
        }
    };
    let display = super::query::PageTitle { ns, db_key: key.clone() }.display();
    let mut m = Map::new();
    if old.is_some() && old_text == text {
        m.insert("result".into(), json!("Success"));
        m.insert("pageid".into(), json!(page.as_ref().map(|p| p.id)));
        m.insert("title".into(), json!(display));
        m.insert("contentmodel".into(), json!("wikitext"));
        call.ctx.put_bool(&mut m, "nochange", true);
        return Ok(out(M, m));
    }
    let (page_id, rev, new) = call
        .state
        .meta
        .edit_page(ns, &key, &text, &summary, call.caller.user_id(), &call.caller.user_name())
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
    m.insert("newtimestamp".into(), json!(crate::time::ts_to_iso(&ts)));
    if call.params.get("watchlist") == Some("watch") {
        call.state.meta.watch(call.caller.user_id(), ns, &key, None).await?;
        call.ctx.put_bool(&mut m, "watched", true);
    }
    Ok(out(M, m))
}

pub async fn delete(call: &mut Call<'_>) -> ApiResult<Output> {
    const M: &str = "delete";
    let (ns, key) = file_title(call, M).await?;
    need(call, "delete", M)?;
    let reason = call.params.get("reason").unwrap_or("").to_string();
    for ignored in ["tags", "watch", "watchlist", "watchlistexpiry", "unwatch", "deletetalk"] {
        let _ = call.params.get(ignored);
    }
    if ns != 6 {
        return Err(ApiError::new("missingtitle", "The page you specified doesn't exist.").module(M));
    }
    let user = call.caller.user_name();
    let display = format!("File:{}", key.replace('_', " "));
    let logid = match call.params.get("oldimage") {
        Some(old) => {
            let old = old.to_string();
            match call
                .state
                .meta
                .delete_old_version(&key, &old, call.caller.user_id(), &user, &reason)
                .await?
            {
                Some(id) => id,
                None => return Err(ApiError::new("nodeleteablefile", "No such old version of the file.").module(M)),
            }
        }
        None => match call
            .state
            .meta
            .delete_file_page(&key, call.caller.user_id(), &user, &reason)
            .await?
        {
            Some(id) => id,
            None => return Err(ApiError::new("missingtitle", "The page you specified doesn't exist.").module(M)),
        },
    };
    let mut m = Map::new();
    m.insert("title".into(), json!(display));
    m.insert("reason".into(), json!(reason));
    m.insert("logid".into(), json!(logid));
    Ok(out(M, m))
}

pub async fn undelete(call: &mut Call<'_>) -> ApiResult<Output> {
    const M: &str = "undelete";
    let (ns, key) = file_title(call, M).await?;
    need(call, "undelete", M)?;
    let reason = call.params.get("reason").unwrap_or("").to_string();
    let mut ids = Vec::new();
    for v in call.params.multi("fileids") {
        ids.push(
            v.parse::<i64>()
                .map_err(|_| ApiError::new("badinteger", format!("Invalid value \"{v}\" for integer parameter \"fileids\".")).module(M))?,
        );
    }
    for ignored in ["timestamps", "tags", "watchlist", "watchlistexpiry", "undeletetalk"] {
        let _ = call.params.get(ignored);
    }
    if ns != 6 {
        return Err(ApiError::new("cannotundelete", "Couldn't undelete: the page has no deleted revisions.").module(M));
    }
    let (revs, files) = call
        .state
        .meta
        .undelete(&key, &ids, call.caller.user_id(), &call.caller.user_name(), &reason)
        .await?;
    if revs == 0 && files == 0 {
        return Err(ApiError::new("cannotundelete", "Couldn't undelete: the page has no deleted revisions.").module(M));
    }
    let mut m = Map::new();
    m.insert("title".into(), json!(format!("File:{}", key.replace('_', " "))));
    m.insert("revisions".into(), json!(revs));
    m.insert("fileversions".into(), json!(files));
    m.insert("reason".into(), json!(reason));
    Ok(out(M, m))
}

pub async fn filerevert(call: &mut Call<'_>) -> ApiResult<Output> {
    const M: &str = "filerevert";
    let p = call.params;
    let Some(filename) = p.get("filename").map(String::from) else {
        return Err(ApiError::missingparam("filename").module(M));
    };
    let Some(archive) = p.get("archivename").map(String::from) else {
        return Err(ApiError::missingparam("archivename").module(M));
    };
    let comment = p.get("comment").unwrap_or("").to_string();
    let key = crate::upload::title::file_db_key(&filename)
        .ok_or_else(|| ApiError::new("invalidtitle", format!("Bad title \"{filename}\".")).module(M))?;
    need(call, "edit", M)?;
    need(call, "upload", M)?;
    need(call, "reupload", M)?;
    if call.state.meta.current_file(&key).await?.is_none() {
        return Err(ApiError::new("filerevert-missing", format!("The file \"{key}\" does not exist.")).module(M));
    }
    let Some(old) = call
        .state
        .meta
        .old_version_by_archive_name(&archive)
        .await?
        .filter(|v| v.name == key)
    else {
        return Err(ApiError::new(
            "filerevert-badversion",
            "There is no previous local version of this file with the provided timestamp.",
        )
        .module(M));
    };
    // The new version points at the old version's blob: no bytes are copied.
    let props = Props {
        size: old.size as u64,
        sha1: old.sha1.clone(),
        mime: old.mime.clone(),
        media_type: old.media_type.clone(),
        width: old.width,
        height: old.height,
        bits: old.bits,
        page_count: old.page_count,
        metadata: old.metadata.clone(),
    };
    let ts = crate::time::ts_to_iso(&old.timestamp);
    let comment = if comment.is_empty() {
        format!("Reverted to version as of {ts}")
    } else {
        comment
    };
    let source = Source::Owned(old.blob_key.clone());
    let req = publish::Request {
        caller: &call.caller,
        name: key.clone(),
        props,
        comment,
        text: None,
        tags: Vec::new(),
        must_be_new: false,
        // MediaWiki 1.39 logs an API revert as an ordinary `overwrite` (recorded on the reference wiki).
        log_action: None,
    };
    match publish::publish(call.state, req, source).await? {
        publish::Outcome::Published { .. } => {
            let mut m = Map::new();
            m.insert("result".into(), json!("Success"));
            Ok(out(M, m))
        }
        _ => Err(ApiError::new(
            "filerevert-identical",
            "The current version of the file is already identical to the selected version.",
        )
        .module(M)),
    }
}
