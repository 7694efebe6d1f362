//! `list=watchlistraw`: the caller's watchlist.

use super::*;

pub(super) async fn watchlist_raw(
    call: &mut Call<'_>,
    query: &mut Map<String, Value>,
    cont: &mut Continuation,
    limits: &mut Map<String, Value>,
) -> ApiResult<()> {
    let module = "query+watchlistraw";
    if !call.caller.is_logged_in() {
        return Err(ApiError::new("notloggedin", "Please log in to view your watchlist.").module(module));
    }
    let v = call.validate(&WATCHLISTRAW)?;
    let limit = limit_of(call, &WATCHLISTRAW, &v, limits);
    let bound = |name: &str| -> ApiResult<Option<PageTitle>> {
        match v.str(name) {
            None => Ok(None),
            Some(t) => parse_title(t).map(Some).ok_or_else(|| ApiError::invalid_title(t).module(module)),
        }
    };
    let (from_title, to_title) = (bound("fromtitle")?, bound("totitle")?);
    // wrcontinue is "namespace|DB key" and takes over from fromtitle.
    let resume = match v.str("continue") {
        None => None,
        Some(c) => match c.split_once('|').and_then(|(ns, t)| Some((ns.parse::<i64>().ok()?, t.to_string()))) {
            Some(pos) => Some(pos),
            None => return Err(ApiError::badcontinue(module)),
        },
    };
    let from = match &resume {
        Some((ns, t)) => Some((*ns, t.as_str())),
        None => from_title.as_ref().map(|t| (t.ns, t.db_key.as_str())),
    };
    let namespaces = call.params.peek(&v.full_name("namespace")).is_some().then(|| v.ints("namespace"));
    let q = mwupload_store::WatchlistQuery {
        user_id: call.caller.user_id(),
        descending: v.str("dir") == Some("descending"),
        from,
        to: to_title.as_ref().map(|t| (t.ns, t.db_key.as_str())),
        namespaces,
        limit: limit + 1,
    };
    let mut rows = call.state.meta.watchlist(&q).await?;
    if rows.len() as i64 > limit
        && let Some((ns, title, _)) = rows.pop()
    {
        cont.set("watchlistraw", "wrcontinue", format!("{ns}|{title}"));
    }
    let list: Vec<Value> = rows
        .into_iter()
        .map(|(ns, title, _)| json!({"ns": ns, "title": PageTitle { ns, db_key: title }.display()}))
        .collect();
    query.insert("watchlistraw".into(), Value::Array(list));
    Ok(())
}

pub static WATCHLISTRAW: ModuleSpec = ModuleSpec {
    path: "query+watchlistraw",
    class: "ApiQueryWatchlistRaw",
    group: Some(Group::List),
    prefix: "wr",
    read_rights: true,
    help: "The pages on your watchlist.",
    params: &[
        param("continue", Type::String),
        param("namespace", Type::Namespace { extra: &[] }).multi().all("*"),
        param("limit", Type::Limit { max: 500, highmax: 5000 }).default("10"),
        param("prop", Type::Enum(&["changed"])).multi().inert(),
        param("dir", Type::Enum(&["ascending", "descending"])).default("ascending"),
        param("fromtitle", Type::String),
        param("totitle", Type::String),
    ],
    ..ModuleSpec::BASE
};
