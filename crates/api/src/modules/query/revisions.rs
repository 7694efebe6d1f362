//! `prop=revisions`: a page's latest revision, or one page's history (enumeration mode).

use super::pageset::Page;
use super::*;

/// prop=revisions for one request.
pub(super) struct Revisions {
    values: Values,
    props: Vec<String>,
    slots: bool,
    /// rvlimit, rvdir, rvcontinue… switch prop=revisions to enumerating one page's history.
    enumerate: bool,
    limit: i64,
    /// Existing pages seen so far (enumeration works on one page only).
    existing: usize,
}

impl Revisions {
    pub(super) fn prepare(call: &mut Call<'_>, limits: &mut Map<String, Value>) -> ApiResult<Revisions> {
        let v = call.validate(&REVISIONS)?;
        let enumerate = [
            "rvlimit",
            "rvdir",
            "rvcontinue",
            "rvstartid",
            "rvendid",
            "rvstart",
            "rvend",
            "rvuser",
            "rvexcludeuser",
            "rvtag",
        ]
        .iter()
        .any(|n| call.params.peek(n).is_some());
        for (a, b) in [("startid", "start"), ("endid", "end"), ("user", "excludeuser")] {
            if (v.str(a).is_some() || v.int(a).is_some()) && v.str(b).is_some() {
                return Err(ApiError::cannot_use_together(&[v.full_name(a), v.full_name(b)], "query+revisions"));
            }
        }
        let limit = if enumerate { limit_of(call, &REVISIONS, &v, limits) } else { 1 };
        Ok(Revisions {
            props: v.list("prop").to_vec(),
            slots: !v.list("slots").is_empty(),
            values: v,
            enumerate,
            limit,
            existing: 0,
        })
    }

    pub(super) async fn add(
        &mut self,
        call: &Call<'_>,
        p: &Page<'_>,
        m: &mut Map<String, Value>,
        cont: &mut Continuation,
    ) -> ApiResult<()> {
        let Some(pg) = p.page else { return Ok(()) };
        let rv = &self.values;
        let revs = if self.enumerate {
            self.existing += 1;
            if self.existing > 1 {
                // Only existing pages count, as in MediaWiki.
                return Err(ApiError::new(
                    "invalidparammix",
                    "titles, pageids or a generator was used to supply multiple pages, but the rvlimit, rvstartid, rvendid, rvdir=newer, rvuser, rvexcludeuser, rvstart, and rvend parameters may only be used when working on a single page.",
                )
                .module("query+revisions"));
            }
            // Enumeration mode (one page): rvlimit revisions from rvcontinue, in rvdir order.
            let from = rv
                .str("continue")
                .and_then(|c| c.rsplit('|').next())
                .and_then(|id| id.parse::<i64>().ok());
            let (user, exclude_user) = (
                rv.str("user").map(|u| u.replace('_', " ")),
                rv.str("excludeuser").map(|u| u.replace('_', " ")),
            );
            let q = mwupload_store::RevisionQuery {
                page_id: pg.id,
                newest_first: rv.str("dir") != Some("newer"),
                from_id: from,
                start_id: rv.int("startid"),
                end_id: rv.int("endid"),
                start: rv.str("start"),
                end: rv.str("end"),
                user: user.as_deref(),
                exclude_user: exclude_user.as_deref(),
                tag: rv.str("tag"),
                limit: self.limit + 1,
            };
            let mut rows = call.state.meta.page_revisions(&q).await?;
            if rows.len() as i64 > self.limit
                && let Some(next) = rows.pop()
            {
                cont.set("revisions", "rvcontinue", format!("{}|{}", next.timestamp, next.id));
            }
            rows
        } else {
            p.latest.iter().copied().cloned().collect()
        };
        let page = (p.title.ns, p.title.db_key.as_str());
        if self.props.iter().any(|x| x == "parsedcomment") {
            let comments = revs.iter().map(|rev| (rev.comment.as_str(), Some(page)));
            call.ctx.comment_links.resolve(call.state, comments).await?;
        }
        let list: Vec<Value> = revs
            .iter()
            .map(|rev| Value::Object(revision_json(call, rev, page, &self.props, self.slots)))
            .collect();
        if !list.is_empty() {
            m.insert("revisions".into(), Value::Array(list));
        }
        Ok(())
    }
}

/// One revision of `page` (namespace, DB key) as prop=revisions shows it (`rvslots` set: content
/// under `slots.main`).
pub(super) fn revision_json(
    call: &Call<'_>,
    rev: &mwupload_store::RevisionRow,
    page: (i64, &str),
    props: &[String],
    slots: bool,
) -> Map<String, Value> {
    let mut r = Map::new();
    let has = |n: &str| props.iter().any(|x| x == n);
    if has("ids") {
        r.insert("revid".into(), json!(rev.id));
        r.insert("parentid".into(), json!(rev.parent_id));
    }
    if has("user") {
        r.insert("user".into(), json!(rev.user_name));
    }
    if has("userid") {
        r.insert("userid".into(), json!(rev.user_id));
    }
    if has("timestamp") {
        r.insert("timestamp".into(), json!(mwupload_store::time::ts_to_iso(&rev.timestamp)));
    }
    if has("size") {
        r.insert("size".into(), json!(rev.text.len()));
    }
    if has("sha1") {
        r.insert("sha1".into(), json!(rev.sha1));
    }
    if has("contentmodel") && !slots {
        r.insert("contentmodel".into(), json!("wikitext"));
    }
    if has("content") {
        if slots {
            let mut main = Map::new();
            main.insert("contentmodel".into(), json!("wikitext"));
            main.insert("contentformat".into(), json!("text/x-wiki"));
            main.insert(call.ctx.content_key("content").into(), json!(rev.text));
            r.insert("slots".into(), json!({"main": main}));
        } else {
            r.insert("contentformat".into(), json!("text/x-wiki"));
            r.insert("contentmodel".into(), json!("wikitext"));
            r.insert(call.ctx.content_key("content").into(), json!(rev.text));
        }
    }
    // After the content, as ApiQueryRevisionsBase::extractRevisionInfo adds them.
    if has("comment") {
        r.insert("comment".into(), json!(rev.comment));
    }
    if has("parsedcomment") {
        let html = crate::comment::format(&rev.comment, Some(page), &call.ctx.comment_links);
        r.insert("parsedcomment".into(), json!(html));
    }
    if has("tags") {
        r.insert("tags".into(), json!(rev.tags));
    }
    r
}

pub static REVISIONS: ModuleSpec = ModuleSpec {
    path: "query+revisions",
    class: "ApiQueryRevisions",
    group: Some(Group::Prop),
    prefix: "rv",
    read_rights: true,
    help: "Page revisions: the latest, or with rvlimit/rvdir/rvcontinue the history of one page.",
    params: &[
        param(
            "prop",
            Type::Enum(&[
                "comment",
                "content",
                "contentmodel",
                "flags",
                "ids",
                "parsedcomment",
                "roles",
                "sha1",
                "size",
                "slotsha1",
                "slotsize",
                "tags",
                "timestamp",
                "user",
                "userid",
                "parsetree",
            ]),
        )
        .default("ids|timestamp|flags|comment|user")
        .multi()
        .deprecated_values(&["parsetree"]),
        param("slots", Type::Enum(&["main"])).multi().all("*"),
        param("limit", Type::Limit { max: 500, highmax: 5000 }).info(&["singlepageonly"]),
        param("startid", Type::Integer { min: None, max: None }).info(&["singlepageonly"]),
        param("endid", Type::Integer { min: None, max: None }).info(&["singlepageonly"]),
        param("start", Type::Timestamp).info(&["singlepageonly"]),
        param("end", Type::Timestamp).info(&["singlepageonly"]),
        param("dir", Type::Enum(&["newer", "older"]))
            .default("older")
            .info(&["singlepageonly"]),
        param("user", Type::User(&["name", "ip", "interwiki", "id"])).info(&["singlepageonly"]),
        param("excludeuser", Type::User(&["name", "ip", "interwiki", "id"])).info(&["singlepageonly"]),
        param("tag", Type::String),
        param("continue", Type::String),
    ],
    ..ModuleSpec::BASE
};
