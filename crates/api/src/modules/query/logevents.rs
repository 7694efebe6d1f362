//! `list=logevents`: the log.

use super::*;

pub(super) async fn log_events(
    call: &mut Call<'_>,
    query: &mut Map<String, Value>,
    cont: &mut Continuation,
    limits: &mut Map<String, Value>,
) -> ApiResult<()> {
    // MediaWiki declares `leaction` as a plain string and checks it against the log actions in
    // execute(), with its own code (`unknown_leaction`, message apierror-unrecognizedvalue).
    let p = call.validate(&LOGEVENTS).map_err(|e| match &e.message {
        Some(m) if e.code == "badvalue" && m.params.first() == Some(&json!({ "plaintext": "leaction" })) => {
            let value = m.params.get(1).and_then(|v| v["plaintext"].as_str()).unwrap_or("").to_string();
            ApiError::new("unknown_leaction", e.info.clone())
                .msg("apierror-unrecognizedvalue", vec![json!("leaction"), json!(value)])
                .module(&e.module)
        }
        _ => e,
    })?;
    let limit = limit_of(call, &LOGEVENTS, &p, limits);
    let props = p.list("prop").to_vec();
    let (log_type, action) = match (p.str("type").filter(|t| !t.is_empty()), p.str("action")) {
        (_, Some(a)) => match a.split_once('/') {
            Some((t, act)) => (Some(t.to_string()), Some(act.to_string())),
            None => (None, Some(a.to_string())),
        },
        (Some(t), None) => (Some(t.to_string()), None),
        (None, None) => (None, None),
    };
    let module = "query+logevents";
    let bad_title = |t: &str| ApiError::invalid_title(t).module(module);
    // At most one of title, namespace and prefix (MediaWiki's requireMaxOneParameter).
    let given: Vec<String> = ["title", "namespace", "prefix"]
        .iter()
        .map(|n| p.full_name(n))
        .filter(|full| call.params.peek(full).is_some())
        .collect();
    if given.len() > 1 {
        return Err(ApiError::cannot_use_together(&given, module));
    }
    // A title or title prefix names its namespace too ("File:Foo"); with lenamespace both apply.
    let mut title_namespace = None;
    let mut title = None;
    if let Some(t) = p.str("title") {
        let pt = parse_title(t).ok_or_else(|| bad_title(t))?;
        title_namespace = Some(pt.ns);
        title = Some(pt.db_key);
    }
    let mut prefix = None;
    if let Some(t) = p.str("prefix") {
        let pt = parse_title(t).ok_or_else(|| bad_title(t))?;
        title_namespace = Some(pt.ns);
        prefix = Some(pt.db_key);
    }
    let user = p.str("user").map(|u| u.replace('_', " "));
    let from = match p.str("continue") {
        None => None,
        Some(c) => {
            let parsed = c
                .split_once('|')
                .and_then(|(ts, id)| Some((mwupload_store::time::parse_any_ts(ts)?, id.parse::<i64>().ok()?)));
            let Some(pos) = parsed else {
                return Err(ApiError::badcontinue(module));
            };
            Some(pos)
        }
    };
    let q = mwupload_store::LogQuery {
        log_type: log_type.as_deref(),
        action: action.as_deref(),
        user: user.as_deref(),
        namespace: p.int("namespace"),
        title_namespace,
        title: title.as_deref(),
        prefix: prefix.as_deref(),
        tag: p.str("tag"),
        start: p.str("start"),
        end: p.str("end"),
        newer_first: p.str("dir") != Some("newer"),
        from: from.as_ref().map(|(ts, id)| (ts.as_str(), *id)),
        limit: limit + 1,
    };
    let rows = call.state.meta.log_events(&q).await?;
    let mut page_ids: std::collections::HashMap<(i64, String), i64> = std::collections::HashMap::new();
    let has = |n: &str| props.iter().any(|x| x == n);
    if has("parsedcomment") {
        let shown = rows.iter().take(limit.max(0) as usize);
        let comments = shown.map(|r| (r.comment.as_str(), Some((r.namespace, r.title.as_str()))));
        call.ctx.comment_links.resolve(call.state, comments).await?;
    }
    let mut list = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        if i as i64 >= limit {
            cont.set("logevents", "lecontinue", format!("{}|{}", r.timestamp, r.id));
            break;
        }
        let mut m = Map::new();
        if has("ids") {
            m.insert("logid".into(), json!(r.id));
        }
        if has("title") {
            m.insert("ns".into(), json!(r.namespace));
            let t = PageTitle {
                ns: r.namespace,
                db_key: r.title.clone(),
            };
            m.insert("title".into(), json!(t.display()));
        }
        if has("ids") {
            // The page's id now (0 once deleted); logpage is the same here, as the log does not
            // keep the id a page had when the entry was written.
            let key = (r.namespace, r.title.clone());
            let id = match page_ids.get(&key) {
                Some(id) => *id,
                None => {
                    let id = call.state.meta.page(r.namespace, &r.title).await?.map(|pg| pg.id).unwrap_or(0);
                    page_ids.insert(key, id);
                    id
                }
            };
            m.insert("pageid".into(), json!(id));
            m.insert("logpage".into(), json!(id));
        }
        if has("details") {
            let mut params: Value = serde_json::from_str(&r.params).unwrap_or(json!({}));
            // Stored as TS_MW, shown as ISO 8601 like every API timestamp.
            if let Some(ts) = params
                .get("img_timestamp")
                .and_then(Value::as_str)
                .map(mwupload_store::time::ts_to_iso)
            {
                params["img_timestamp"] = json!(ts);
            }
            m.insert("params".into(), params);
        }
        if has("type") {
            m.insert("type".into(), json!(r.log_type));
            m.insert("action".into(), json!(r.action));
        }
        if has("user") {
            m.insert("user".into(), json!(r.user_name));
        }
        if has("userid") {
            m.insert("userid".into(), json!(r.user_id));
        }
        if has("timestamp") {
            m.insert("timestamp".into(), json!(mwupload_store::time::ts_to_iso(&r.timestamp)));
        }
        if has("comment") {
            m.insert("comment".into(), json!(r.comment));
        }
        if has("parsedcomment") {
            let html = crate::comment::format(&r.comment, Some((r.namespace, &r.title)), &call.ctx.comment_links);
            m.insert("parsedcomment".into(), json!(html));
        }
        if has("tags") {
            m.insert("tags".into(), json!(r.tags));
        }
        list.push(Value::Object(m));
    }
    query.insert("logevents".into(), Value::Array(list));
    Ok(())
}

pub static LOGEVENTS: ModuleSpec = ModuleSpec {
    path: "query+logevents",
    class: "ApiQueryLogEvents",
    group: Some(Group::List),
    prefix: "le",
    read_rights: true,
    help: "Upload and delete log entries.",
    params: &[
        param(
            "prop",
            Type::Enum(&[
                "comment",
                "details",
                "ids",
                "parsedcomment",
                "tags",
                "timestamp",
                "title",
                "type",
                "user",
                "userid",
            ]),
        )
        .default("ids|title|type|user|timestamp|comment|details")
        .multi(),
        param(
            "type",
            Type::Enum(&[
                "",
                "block",
                "contentmodel",
                "create",
                "delete",
                "import",
                "managetags",
                "merge",
                "move",
                "newusers",
                "patrol",
                "protect",
                "rights",
                "suppress",
                "tag",
                "upload",
            ]),
        ),
        param(
            "action",
            Type::Enum(&[
                "block/block",
                "block/reblock",
                "block/unblock",
                "contentmodel/change",
                "contentmodel/new",
                "create/create",
                "delete/delete",
                "delete/delete_redir",
                "delete/delete_redir2",
                "delete/event",
                "delete/restore",
                "delete/revision",
                "import/interwiki",
                "import/upload",
                "managetags/activate",
                "managetags/create",
                "managetags/deactivate",
                "managetags/delete",
                "merge/merge",
                "move/move",
                "move/move_redir",
                "newusers/autocreate",
                "newusers/byemail",
                "newusers/create",
                "newusers/create2",
                "newusers/newusers",
                "patrol/autopatrol",
                "patrol/patrol",
                "protect/modify",
                "protect/move_prot",
                "protect/protect",
                "protect/unprotect",
                "rights/autopromote",
                "rights/rights",
                "suppress/block",
                "suppress/delete",
                "suppress/event",
                "suppress/reblock",
                "suppress/revision",
                "tag/update",
                "upload/overwrite",
                "upload/revert",
                "upload/upload",
            ]),
        ),
        param("start", Type::Timestamp),
        param("end", Type::Timestamp),
        param("dir", Type::Enum(&["newer", "older"])).default("older"),
        param("user", Type::User(&["name", "ip", "interwiki", "id"])),
        param("title", Type::String),
        param("namespace", Type::Namespace { extra: &[-2, -1] }),
        param("prefix", Type::String),
        param("tag", Type::String),
        param("limit", Type::Limit { max: 500, highmax: 5000 }).default("10"),
        param("continue", Type::String),
    ],
    ..ModuleSpec::BASE
};
