//! File history: deleting a file (all versions to the archive, bytes untouched) or one old
//! version, restoring deleted versions, and reverting to an old version (a new version that
//! shares the old version's bytes). Callers check rights first; these apply MediaWiki's
//! policy (comments, log entries) and report what happened.

use crate::auth::Caller;
use crate::state::AppState;
use crate::upload::UploadResult;
use crate::upload::publish::{self, Props, Source};
use mwupload_store::{Actor, StoreResult};

/// Deletes a File page and every version of its file. None: there was neither.
pub async fn delete_file(state: &AppState, caller: &Caller, name: &str, reason: &str, tags: &[String]) -> StoreResult<Option<i64>> {
    let user_name = caller.user_name();
    let actor = Actor {
        user_id: caller.user_id(),
        user_name: &user_name,
    };
    // The bytes whose thumbnails go with the file (MediaWiki purges them on deletion).
    let mut sources: Vec<String> = state.meta.current_file(name).await?.into_iter().map(|v| v.blob_key).collect();
    sources.extend(state.meta.old_versions(name).await?.into_iter().map(|v| v.blob_key));
    let deleted = state.meta.delete_file_page(name, &actor, reason, tags).await?;
    if deleted.is_some()
        && let Err(e) = crate::thumbs::purge_unused(state, &sources).await
    {
        tracing::warn!("thumbnails of {name} not purged (the periodic sweep will): {e}");
    }
    Ok(deleted)
}

/// `action=delete` of a page outside the File namespace: its revisions go to the archive.
/// Returns the log id, or None if there is no such page.
pub async fn delete_page(
    state: &AppState,
    caller: &Caller,
    namespace: i64,
    title: &str,
    reason: &str,
    tags: &[String],
) -> StoreResult<Option<i64>> {
    if namespace == 6 {
        return delete_file(state, caller, title, reason, tags).await;
    }
    let user_name = caller.user_name();
    let actor = Actor {
        user_id: caller.user_id(),
        user_name: &user_name,
    };
    state.meta.delete_page(namespace, title, &actor, reason, tags).await
}

/// `action=undelete` of a page outside the File namespace. Returns (revisions, 0).
pub async fn undelete_page(
    state: &AppState,
    caller: &Caller,
    namespace: i64,
    title: &str,
    reason: &str,
    tags: &[String],
) -> StoreResult<(i64, i64)> {
    if namespace == 6 {
        return undelete(state, caller, title, &[], reason, tags).await;
    }
    let user_name = caller.user_name();
    let actor = Actor {
        user_id: caller.user_id(),
        user_name: &user_name,
    };
    let restored = state.meta.undelete_page(namespace, title, &[], &actor, reason, tags).await?;
    // The restored text's file uses come back with it.
    crate::wikitext::refresh_file_links(state, namespace, title).await?;
    Ok(restored)
}

/// MediaWiki's log comment for deleting one old version.
fn old_version_comment(archive_name: &str, reason: &str) -> String {
    if reason.is_empty() {
        format!("Deleted old revision {archive_name}")
    } else {
        format!("Deleted old revision {archive_name}: {reason}")
    }
}

/// Deletes one old version (`action=delete&oldimage=…`). None: no such old version.
pub async fn delete_old_version(
    state: &AppState,
    caller: &Caller,
    name: &str,
    archive_name: &str,
    reason: &str,
    tags: &[String],
) -> StoreResult<Option<i64>> {
    let user_name = caller.user_name();
    let actor = Actor {
        user_id: caller.user_id(),
        user_name: &user_name,
    };
    let comment = old_version_comment(archive_name, reason);
    let source = state.meta.old_version_by_archive_name(archive_name).await?.map(|v| v.blob_key);
    let deleted = state.meta.delete_old_version(name, archive_name, &actor, &comment, tags).await?;
    if deleted.is_some()
        && let Some(source) = source
        && let Err(e) = crate::thumbs::purge_unused(state, &[source]).await
    {
        tracing::warn!("thumbnails of {archive_name} not purged (the periodic sweep will): {e}");
    }
    Ok(deleted)
}

/// Restores deleted versions (all, or these file-archive ids) and the page's revisions.
/// Returns (revisions, file versions) restored.
pub async fn undelete(
    state: &AppState,
    caller: &Caller,
    name: &str,
    fileids: &[i64],
    reason: &str,
    tags: &[String],
) -> StoreResult<(i64, i64)> {
    let user_name = caller.user_name();
    let actor = Actor {
        user_id: caller.user_id(),
        user_name: &user_name,
    };
    let restored = state.meta.undelete(name, fileids, &actor, reason, tags).await?;
    crate::wikitext::refresh_file_links(state, 6, name).await?;
    Ok(restored)
}

#[derive(Debug, PartialEq)]
pub enum RevertOutcome {
    Reverted,
    /// No current file of this name.
    Missing,
    /// No old version of this file with that archive name.
    BadVersion,
    /// The current version is that old version's content already.
    Identical,
}

/// `action=filerevert`: a new version with an old version's bytes (shared, not copied).
pub async fn revert(state: &AppState, caller: &Caller, name: &str, archive_name: &str, comment: &str) -> UploadResult<RevertOutcome> {
    if state.meta.current_file(name).await?.is_none() {
        return Ok(RevertOutcome::Missing);
    }
    let Some(old) = state
        .meta
        .old_version_by_archive_name(archive_name)
        .await?
        .filter(|v| v.name == name)
    else {
        return Ok(RevertOutcome::BadVersion);
    };
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
        verified_ext: None,
    };
    let comment = if comment.is_empty() {
        format!("Reverted to version as of {}", mwupload_store::time::ts_to_iso(&old.timestamp))
    } else {
        comment.to_string()
    };
    let req = publish::Request {
        caller,
        name: name.to_string(),
        props,
        comment,
        text: None,
        tags: Vec::new(),
        must_be_new: false,
        // MediaWiki 1.39 logs an API revert as an ordinary `overwrite` (recorded on the reference wiki).
        log_action: None,
        watch: false,
        seen_current: publish::SeenCurrent::Unread,
    };
    Ok(match publish::publish(state, req, Source::Owned(old.blob_key.clone())).await? {
        publish::Outcome::Published { .. } => RevertOutcome::Reverted,
        // Identical content: nothing to revert.
        publish::Outcome::NoChange { .. } | publish::Outcome::LostRace { .. } => RevertOutcome::Identical,
    })
}

/// What [`move_page`] is asked to do (the API layer has checked rights and validity).
pub struct MoveRequest<'a> {
    pub from: &'a crate::title::PageTitle,
    pub to: &'a crate::title::PageTitle,
    pub reason: &'a str,
    /// Leave `#REDIRECT [[to]]` at the old title.
    pub redirect: bool,
    /// The target is a redirect to the source with one revision (it is replaced: `move_redir`).
    pub over_redirect: bool,
    pub tags: &'a [String],
}

/// Moves a page (a File page with its file: every version keeps its bytes, only names change)
/// as MediaWiki's MovePage does: the null revision and the redirect carry
/// "<user> moved page [[From]] to [[To]]: reason", the log entry is `move/move` (`move_redir`
/// over a redirect) with the target and `suppressredirect`. Thumbnails belong to the bytes, so
/// the new name's are rendered on demand and the old name's are never served for it.
pub async fn move_page(state: &AppState, caller: &Caller, req: &MoveRequest<'_>) -> StoreResult<mwupload_store::MoveOutcome> {
    let user_name = caller.user_name();
    let (from, to) = (req.from.display(), req.to.display());
    let mut rev_comment = format!("{user_name} moved page [[{from}]] to [[{to}]]");
    if !req.reason.is_empty() {
        rev_comment.push_str(": ");
        rev_comment.push_str(req.reason);
    }
    let redirect_text = format!("#REDIRECT [[{to}]]");
    let op = mwupload_store::PageMoveOp {
        from_ns: req.from.ns,
        from: &req.from.db_key,
        to_ns: req.to.ns,
        to: &req.to.db_key,
        actor: Actor {
            user_id: caller.user_id(),
            user_name: &user_name,
        },
        reason: req.reason,
        rev_comment: &rev_comment,
        redirect_text: req.redirect.then_some(redirect_text.as_str()),
        target_prefixed: &to,
        over_redirect: req.over_redirect,
        tags: req.tags,
    };
    state.meta.move_page(&op).await
}
