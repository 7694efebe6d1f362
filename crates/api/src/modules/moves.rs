//! `action=move` (ApiMove), File pages first: the file with every old version and the
//! description page move in one store transaction (blobs are keyed independently of names, so
//! no bytes move); other pages move with their revisions. Checks in MovePage's order, with the
//! codes and messages MediaWiki 1.39 answers (tests/fixtures/refwiki-move.json).

use super::pages::{apply_watchlist, need, out, refuse_denied, tags_allowed};
use crate::error::{ApiError, ApiResult};
use crate::spec::{CSRF_TOKEN, Group, ModuleSpec, Type, Values, param};
use crate::{Call, Output};
use mwupload_core::title::PageTitle;
use mwupload_store::{MoveOutcome, RevisionQuery};
use serde_json::{Map, json};

const M: &str = "move";

pub static SPEC: ModuleSpec = ModuleSpec {
    path: "move",
    class: "ApiMove",
    group: Some(Group::Action),
    read_rights: true,
    write_rights: true,
    must_post: true,
    help: "Move a page (a File page with its file and every old version).",
    params: &[
        param("from", Type::String),
        param("fromid", Type::Integer { min: None, max: None }),
        param("to", Type::String).required(),
        param("reason", Type::String).default(""),
        param("movetalk", Type::Boolean),
        param("movesubpages", Type::Boolean).inert(),
        param("noredirect", Type::Boolean).help("Leave no redirect (needs suppressredirect; ignored without it)."),
        param("watchlist", Type::Enum(&["nochange", "preferences", "unwatch", "watch"])).default("preferences"),
        param("ignorewarnings", Type::Boolean).inert(),
        param("tags", Type::Tags).multi(),
        CSRF_TOKEN,
    ],
    ..ModuleSpec::BASE
};

fn err(code: &str, info: impl Into<String>) -> ApiError {
    ApiError::new(code, info.into()).module(M)
}

fn ext(key: &str) -> Option<String> {
    key.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase())
}

/// The target of a `#REDIRECT [[Title]]` page text (WikitextContent::getRedirectTarget).
fn redirect_target(text: &str) -> Option<PageTitle> {
    let t = text.trim_start();
    let head = t.get(..9)?;
    if !head.eq_ignore_ascii_case("#redirect") {
        return None;
    }
    let rest = t[9..].trim_start().strip_prefix(':').unwrap_or(&t[9..]).trim_start();
    let inner = rest.strip_prefix("[[")?;
    let end = inner.find("]]")?;
    let target = inner[..end].split('|').next()?;
    mwupload_core::title::page_title(target.trim_start_matches(':'))
}

pub async fn execute(call: &mut Call<'_>, v: Values) -> ApiResult<Output> {
    let from = match (v.str("from"), v.int("fromid")) {
        (Some(_), Some(_)) => return Err(ApiError::cannot_use_together(&["from".into(), "fromid".into()], M)),
        (None, None) => return Err(ApiError::missingparam_one_of(&["from", "fromid"], M)),
        (Some(t), None) => mwupload_core::title::page_title(t).ok_or_else(|| ApiError::invalid_title(t).module(M))?,
        (None, Some(id)) => match call.state.meta.page_by_id(id).await? {
            Some(pg) => PageTitle {
                ns: pg.namespace,
                db_key: pg.title,
            },
            None => return Err(ApiError::no_such_page_id(id).module(M)),
        },
    };
    let Some(from_page) = call.state.meta.page(from.ns, &from.db_key).await? else {
        return Err(err("missingtitle", "The page you specified doesn't exist."));
    };
    let to_text = v.str("to").unwrap_or("");
    let to = mwupload_core::title::page_title(to_text).ok_or_else(|| ApiError::invalid_title(to_text).module(M))?;
    let tags = tags_allowed(call, &v, M)?;
    // MovePage::authorizeMove: files need movefile (checked first: an anonymous caller is told
    // cantmovefile, as recorded), every page needs move.
    if from.ns == 6 && !call.caller.has("movefile") {
        return Err(err("cantmovefile", "You do not have permission to move files."));
    }
    need(call, "move", M)?;
    refuse_denied(call, from.ns, &from.db_key, true, &["edit", "move"], M).await?;
    // MovePage::isValidMove.
    if from == to {
        return Err(err("selfmove", "The title is the same; cannot move a page over itself."));
    }
    let file = if from.ns == 6 {
        call.state.meta.current_file(&from.db_key).await?
    } else {
        None
    };
    if let Some(f) = &file {
        if to.ns != 6 {
            return Err(err("nonfilenamespace", "Cannot move file to non-file namespace."));
        }
        // File::checkExtensionCompatibility: the new extension must name the file's type.
        let ok = ext(&to.db_key).is_some_and(|e| mwupload_media::mime::is_matching_extension(&e, &f.mime).unwrap_or(false));
        if !ok {
            return Err(err("filetypemismatch", "The new file extension does not match its type."));
        }
    } else if to.ns == 6 && from.ns != 6 {
        return Err(err("nonfilenamespace", "Cannot move file to non-file namespace."));
    }
    let exists_msg = || {
        err(
            "articleexists",
            format!(
                "A page already exists at [[:{}]], or the page name you have chosen is not valid. Please choose another name.",
                to.display()
            ),
        )
    };
    // MovePage::isValidMoveTarget: an existing target only if it is a redirect to the source
    // with a single revision (and, for files, no file of its own).
    let target = call.state.meta.page(to.ns, &to.db_key).await?;
    let over_redirect = match &target {
        None => false,
        Some(t) => {
            let revs = call
                .state
                .meta
                .page_revisions(&RevisionQuery {
                    page_id: t.id,
                    newest_first: true,
                    from_id: None,
                    start_id: None,
                    end_id: None,
                    start: None,
                    end: None,
                    user: None,
                    exclude_user: None,
                    tag: None,
                    limit: 2,
                })
                .await?;
            let redirect_to_source = revs.len() == 1 && redirect_target(&revs[0].text).is_some_and(|r| r == from);
            if !redirect_to_source || (to.ns == 6 && call.state.meta.current_file(&to.db_key).await?.is_some()) {
                return Err(exists_msg());
            }
            true
        }
    };
    if target.is_none() {
        refuse_denied(call, to.ns, &to.db_key, false, &["create"], M).await?;
    }
    // noredirect is silently ignored without suppressredirect (ApiMove).
    let redirect = !(v.flag("noredirect") && call.caller.has("suppressredirect"));
    let reason = v.str("reason").unwrap_or("").to_string();
    let req = mwupload_core::history::MoveRequest {
        from: &from,
        to: &to,
        reason: &reason,
        redirect,
        over_redirect,
        tags: &tags,
    };
    match mwupload_core::history::move_page(call.state, &call.caller, &req).await? {
        MoveOutcome::Moved { .. } => {}
        MoveOutcome::SourceMissing => return Err(err("missingtitle", "The page you specified doesn't exist.")),
        MoveOutcome::TargetExists => return Err(exists_msg()),
    }
    let _ = from_page;
    let mut m = Map::new();
    m.insert("from".into(), json!(from.display()));
    m.insert("to".into(), json!(to.display()));
    m.insert("reason".into(), json!(reason));
    m.insert("redirectcreated".into(), json!(redirect));
    m.insert("moveoverredirect".into(), json!(over_redirect));
    // The talk page follows when asked and possible (a separate move, as MediaWiki does).
    if v.flag("movetalk") && from.ns % 2 == 0 && to.ns % 2 == 0 {
        let (ft, tt) = (
            PageTitle {
                ns: from.ns + 1,
                db_key: from.db_key.clone(),
            },
            PageTitle {
                ns: to.ns + 1,
                db_key: to.db_key.clone(),
            },
        );
        if call.state.meta.page(ft.ns, &ft.db_key).await?.is_some() {
            let talk = mwupload_core::history::MoveRequest { from: &ft, to: &tt, ..req };
            match mwupload_core::history::move_page(call.state, &call.caller, &talk).await? {
                MoveOutcome::Moved { .. } => {
                    m.insert("talkfrom".into(), json!(ft.display()));
                    m.insert("talkto".into(), json!(tt.display()));
                }
                _ => {
                    m.insert(
                        "talkmove-errors".into(),
                        json!([{"message": "articleexists", "params": [tt.display()], "code": "articleexists", "type": "error"}]),
                    );
                }
            }
        }
    }
    // Watch or unwatch both titles ("preferences": MediaWiki's default watchmoves is off).
    for t in [&from, &to] {
        apply_watchlist(call, &v, &SPEC, t.ns, &t.db_key, Some("watchdeletion")).await?;
    }
    Ok(out(M, m))
}
