//! `list=filearchive`: deleted file versions.

use super::*;

pub(super) async fn file_archive(
    call: &mut Call<'_>,
    query: &mut Map<String, Value>,
    cont: &mut Continuation,
    limits: &mut Map<String, Value>,
) -> ApiResult<()> {
    let p = call.validate(&FILEARCHIVE)?;
    let limit = limit_of(call, &FILEARCHIVE, &p, limits);
    let props = p.list("prop").to_vec();
    // MediaWiki 1.39 lists deleted files to anyone; only their descriptions need deletedhistory.
    let descriptions = props.iter().any(|x| x == "description" || x == "parseddescription");
    if descriptions && !call.caller.has("deletedhistory") {
        return Err(
            ApiError::new("permissiondenied", "You don't have permission to view deleted file descriptions.").module("filearchive"),
        );
    }
    let module = "query+filearchive";
    let key = |s: &str| title::file_db_key(s).unwrap_or_else(|| s.to_string());
    let (from, to, prefix) = (p.str("from").map(key), p.str("to").map(key), p.str("prefix").map(key));
    // facontinue is MediaWiki's "name|timestamp|id".
    let resume = match p.str("continue") {
        None => None,
        Some(c) => {
            let parts: Vec<&str> = c.split('|').collect();
            match parts.as_slice() {
                [name, ts, id_text] => match (mwupload_store::time::parse_any_ts(ts), id_text.parse::<i64>()) {
                    (Some(ts), Ok(id)) if id.to_string() == *id_text => Some((name.to_string(), ts, id)),
                    _ => return Err(ApiError::badcontinue(module)),
                },
                _ => return Err(ApiError::badcontinue(module)),
            }
        }
    };
    let sha1 = sha1_filter(&p, module)?;
    let q = mwupload_store::ArchiveQuery {
        from: from.as_deref(),
        to: to.as_deref(),
        prefix: prefix.as_deref(),
        sha1: sha1.as_deref(),
        descending: p.str("dir") == Some("descending"),
        resume: resume.as_ref().map(|(n, ts, id)| (n.as_str(), ts.as_str(), *id)),
        limit: limit + 1,
    };
    let rows = call.state.meta.list_file_archive(&q).await?;
    let has = |n: &str| props.iter().any(|x| x == n);
    if has("parseddescription") {
        let shown = rows.iter().take(limit.max(0) as usize);
        let comments = shown.map(|a| (a.version.description.as_str(), Some((6, a.version.name.as_str()))));
        call.ctx.comment_links.resolve(call.state, comments).await?;
    }
    let mut list = Vec::new();
    for (i, a) in rows.iter().enumerate() {
        let v = &a.version;
        if i as i64 >= limit {
            cont.set("filearchive", "facontinue", format!("{}|{}|{}", v.name, v.timestamp, a.id));
            break;
        }
        let mut m = Map::new();
        m.insert("id".into(), json!(a.id));
        m.insert("name".into(), json!(v.name));
        m.insert("ns".into(), json!(6));
        m.insert("title".into(), json!(format!("File:{}", v.name.replace('_', " "))));
        // MediaWiki formats the descriptions in a batch and puts them first.
        if has("parseddescription") {
            let html = crate::comment::format(&v.description, Some((6, &v.name)), &call.ctx.comment_links);
            m.insert("parseddescription".into(), json!(html));
        }
        if descriptions {
            m.insert("description".into(), json!(v.description));
        }
        if has("user") {
            m.insert("userid".into(), json!(v.user_id));
            m.insert("user".into(), json!(v.user_name));
        }
        if has("sha1") {
            m.insert("sha1".into(), json!(v.sha1));
        }
        if has("timestamp") {
            m.insert("timestamp".into(), json!(mwupload_store::time::ts_to_iso(&v.timestamp)));
        }
        if has("size") || has("dimensions") {
            // MediaWiki 1.39 returns these as strings here.
            m.insert("size".into(), json!(v.size.to_string()));
            m.insert("height".into(), json!(v.height.to_string()));
            m.insert("width".into(), json!(v.width.to_string()));
        }
        // ApiQueryFilearchive's order; the database row's bits come out as a string.
        if has("mediatype") {
            m.insert("mediatype".into(), json!(v.media_type));
        }
        if has("bitdepth") {
            m.insert("bitdepth".into(), json!(v.bits.to_string()));
        }
        if has("mime") {
            m.insert("mime".into(), json!(v.mime));
        }
        if has("archivename")
            && let Some(an) = &v.archive_name
        {
            m.insert("archivename".into(), json!(an));
        }
        list.push(Value::Object(m));
    }
    query.insert("filearchive".into(), Value::Array(list));
    Ok(())
}

pub static FILEARCHIVE: ModuleSpec = ModuleSpec {
    path: "query+filearchive",
    class: "ApiQueryFilearchive",
    group: Some(Group::List),
    prefix: "fa",
    read_rights: true,
    help: "Enumerate deleted file versions (needs deletedhistory).",
    params: &[
        param("from", Type::String),
        param("to", Type::String),
        param("prefix", Type::String),
        param("dir", Type::Enum(&["ascending", "descending"])).default("ascending"),
        param("sha1", Type::String),
        param("sha1base36", Type::String),
        param(
            "prop",
            Type::Enum(&[
                "archivename",
                "bitdepth",
                "description",
                "dimensions",
                "mediatype",
                "metadata",
                "mime",
                "parseddescription",
                "sha1",
                "size",
                "timestamp",
                "user",
            ]),
        )
        .default("timestamp")
        .multi(),
        param("limit", Type::Limit { max: 500, highmax: 5000 }).default("10"),
        param("continue", Type::String),
    ],
    ..ModuleSpec::BASE
};
