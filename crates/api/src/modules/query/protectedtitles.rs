//! `list=protectedtitles`: titles protected from creation.

use super::*;
use mwupload_store::ProtectedTitlesQuery;

pub(super) async fn protected_titles(
    call: &mut Call<'_>,
    query: &mut Map<String, Value>,
    cont: &mut Continuation,
    limits: &mut Map<String, Value>,
) -> ApiResult<()> {
    let module = "query+protectedtitles";
    let v = call.validate(&PROTECTEDTITLES)?;
    let limit = limit_of(call, &PROTECTEDTITLES, &v, limits);
    let props = v.list("prop").to_vec();
    let has = |p: &str| props.iter().any(|x| x == p);
    let namespaces = call
        .params
        .peek(&v.full_name("namespace"))
        .is_some()
        .then(|| v.ints("namespace").to_vec());
    let levels = call.params.peek(&v.full_name("level")).is_some().then(|| v.list("level").to_vec());
    // ptcontinue is "timestamp|namespace|title".
    let resume = match v.str("continue") {
        None => None,
        Some(c) => {
            let parts: Vec<&str> = c.splitn(3, '|').collect();
            match parts.as_slice() {
                [ts, ns, t] => match ns.parse::<i64>() {
                    Ok(ns) => Some((ts.to_string(), ns, t.to_string())),
                    Err(_) => return Err(ApiError::badcontinue(module)),
                },
                _ => return Err(ApiError::badcontinue(module)),
            }
        }
    };
    let q = ProtectedTitlesQuery {
        namespaces: namespaces.as_deref(),
        levels: levels.as_deref(),
        newer_first: v.str("dir") != Some("newer"),
        from: resume.as_ref().map(|(ts, ns, t)| (ts.as_str(), *ns, t.as_str())),
        limit: limit + 1,
    };
    let mut rows = call.state.meta.protected_titles(&q, &mwupload_store::time::now_ts()).await?;
    if rows.len() as i64 > limit
        && let Some(next) = rows.pop()
    {
        cont.set(
            "protectedtitles",
            "ptcontinue",
            format!("{}|{}|{}", next.timestamp, next.namespace, next.title),
        );
    }
    if has("parsedcomment") {
        let comments = rows.iter().map(|p| (p.reason.as_str(), Some((p.namespace, p.title.as_str()))));
        call.ctx.comment_links.resolve(call.state, comments).await?;
    }
    let mut list = Vec::new();
    for p in &rows {
        let mut m = Map::new();
        m.insert("ns".into(), json!(p.namespace));
        m.insert(
            "title".into(),
            json!(
                PageTitle {
                    ns: p.namespace,
                    db_key: p.title.clone()
                }
                .display()
            ),
        );
        if has("timestamp") {
            m.insert("timestamp".into(), json!(mwupload_store::time::ts_to_iso(&p.timestamp)));
        }
        if has("user") {
            m.insert("user".into(), json!(p.user_name));
            m.insert("userid".into(), json!(p.user_id));
        }
        if has("userid") && !has("user") {
            m.insert("userid".into(), json!(p.user_id));
        }
        if has("comment") {
            m.insert("comment".into(), json!(p.reason));
        }
        if has("parsedcomment") {
            let html = crate::comment::format(&p.reason, Some((p.namespace, &p.title)), &call.ctx.comment_links);
            m.insert("parsedcomment".into(), json!(html));
        }
        if has("expiry") {
            m.insert("expiry".into(), json!(mwupload_core::access::iso_or(&p.expiry, "infinity")));
        }
        if has("level") {
            m.insert("level".into(), json!(p.level));
        }
        list.push(Value::Object(m));
    }
    query.insert("protectedtitles".into(), Value::Array(list));
    Ok(())
}

pub static PROTECTEDTITLES: ModuleSpec = ModuleSpec {
    path: "query+protectedtitles",
    class: "ApiQueryProtectedTitles",
    group: Some(Group::List),
    prefix: "pt",
    read_rights: true,
    help: "All titles protected from creation.",
    params: &[
        param("namespace", Type::Namespace { extra: &[] }).multi().all("*"),
        param("level", Type::Enum(&["autoconfirmed", "sysop"])).multi(),
        param("limit", Type::Limit { max: 500, highmax: 5000 }).default("10"),
        param("dir", Type::Enum(&["newer", "older"])).default("older"),
        param(
            "prop",
            Type::Enum(&["comment", "expiry", "level", "parsedcomment", "timestamp", "user", "userid"]),
        )
        .default("timestamp|level")
        .multi(),
        param("continue", Type::String),
    ],
    ..ModuleSpec::BASE
};
