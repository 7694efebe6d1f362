//! `list=allimages` and `generator=allimages`: current files by name or time.

use super::*;

pub(super) async fn all_images(
    call: &mut Call<'_>,
    query: &mut Map<String, Value>,
    cont: &mut Continuation,
    limits: &mut Map<String, Value>,
) -> ApiResult<()> {
    let p = call.validate(&ALLIMAGES)?;
    let props = p.list("prop").to_vec();
    let (rows, next) = all_images_rows(call, &p, limits).await?;
    if let Some(next) = next {
        cont.set("allimages", "aicontinue", next);
    }
    if props.iter().any(|p| p == "parsedcomment") {
        let comments = rows.iter().map(|v| (v.description.as_str(), Some((6, v.name.as_str()))));
        call.ctx.comment_links.resolve(call.state, comments).await?;
    }
    let mut list = Vec::new();
    for v in &rows {
        let mut m = Map::new();
        m.insert("name".into(), json!(v.name));
        let page_id = call.state.meta.page(6, &v.name).await?.map(|pg| pg.id);
        for (k, val) in crate::imageinfo::for_version(&call.ctx, v, &props, page_id) {
            m.insert(k, val);
        }
        m.insert("ns".into(), json!(6));
        m.insert("title".into(), json!(format!("File:{}", v.name.replace('_', " "))));
        list.push(Value::Object(m));
    }
    query.insert("allimages".into(), Value::Array(list));
    Ok(())
}

/// `generator=allimages`: the same enumeration under `gai*` parameters, as page titles.
pub(super) async fn generate_all_images(
    call: &mut Call<'_>,
    cont: &mut Continuation,
    limits: &mut Map<String, Value>,
) -> ApiResult<Vec<String>> {
    let p = call.validate_prefixed(&ALLIMAGES, "gai")?;
    let (rows, next) = all_images_rows(call, &p, limits).await?;
    if let Some(next) = next {
        cont.set_generator("gaicontinue", next);
    }
    Ok(rows.iter().map(|v| format!("File:{}", v.name.replace('_', " "))).collect())
}

/// A `sha1`/`sha1base36` filter as lowercase hex, validated as MediaWiki does.
pub(super) fn sha1_filter(p: &Values, module: &str) -> ApiResult<Option<String>> {
    match (p.str("sha1"), p.str("sha1base36")) {
        (Some(h), _) => {
            let h = h.to_lowercase();
            if h.len() != 40 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(ApiError::new("invalidsha1hash", "The SHA1 hash provided is not valid.").module(module));
            }
            Ok(Some(h))
        }
        (None, Some(b)) => match crate::paths::sha1_from_base36(&b.to_lowercase()) {
            Some(raw) if b.len() == 31 => Ok(Some(hex::encode(raw))),
            _ => Err(ApiError::new("invalidsha1base36hash", "The SHA1Base36 hash provided is not valid.").module(module)),
        },
        _ => Ok(None),
    }
}

/// One batch of current files for list or generator allimages (validated as either), and the
/// continue value when more remain. MediaWiki's rules: name-sorted listings take from, to and
/// prefix; time-sorted ones take start, end and user; size, SHA-1 and MIME filters take both.
pub(super) async fn all_images_rows(
    call: &Call<'_>,
    p: &Values,
    limits: &mut Map<String, Value>,
) -> ApiResult<(Vec<FileVersion>, Option<String>)> {
    let module = "query+allimages";
    let limit = limit_of(call, &ALLIMAGES, p, limits);
    let by_time = p.str("sort") == Some("timestamp");
    let (forbidden, needed) = if by_time {
        (["from", "to", "prefix"], "name")
    } else {
        (["start", "end", "user"], "timestamp")
    };
    if let Some(bad) = forbidden.iter().find(|n| p.str(n).is_some()) {
        return Err(ApiError::new(
            "invalidparammix",
            format!(
                "The \"{}\" parameter may only be used with \"{}={needed}\".",
                p.full_name(bad),
                p.full_name("sort")
            ),
        )
        .module(module));
    }
    let key = |name: &str| -> ApiResult<Option<String>> {
        p.str(name)
            .map(|part| title::title_part_to_key(part, title::NS_FILE).ok_or_else(|| ApiError::invalid_title(part).module(module)))
            .transpose()
    };
    let (from, to, prefix) = (key("from")?, key("to")?, key("prefix")?);
    let bad_continue = || ApiError::badcontinue(module);
    let (continue_ts, continue_name) = match p.str("continue") {
        None => (None, None),
        Some(c) if by_time => {
            let (ts, name) = c.split_once('|').filter(|(_, n)| !n.contains('|')).ok_or_else(bad_continue)?;
            (
                Some(mwupload_store::time::parse_any_ts(ts).ok_or_else(bad_continue)?),
                Some(name.to_string()),
            )
        }
        Some(c) if c.contains('|') => return Err(bad_continue()),
        Some(c) => (None, Some(c.to_string())),
    };
    let sha1 = sha1_filter(p, module)?;
    let user = p.str("user").map(|u| u.replace('_', " "));
    let mimes = p.list("mime");
    let query = mwupload_store::FileListQuery {
        by_time,
        descending: matches!(p.str("dir"), Some("descending") | Some("older")),
        from: from.as_deref(),
        to: to.as_deref(),
        prefix: prefix.as_deref(),
        start: p.str("start"),
        end: p.str("end"),
        continue_ts: continue_ts.as_deref(),
        continue_name: continue_name.as_deref(),
        user: user.as_deref(),
        sha1: sha1.as_deref(),
        min_size: p.int("minsize"),
        max_size: p.int("maxsize"),
        // Sent but empty (or only unknown types): no file matches, as in MediaWiki.
        mimes: call.params.peek(&p.full_name("mime")).is_some().then_some(mimes),
        limit: limit + 1,
        ..Default::default()
    };
    let mut rows = call.state.meta.list_files(&query).await?;
    let next = if rows.len() as i64 > limit {
        rows.truncate(limit as usize + 1);
        rows.pop()
            .map(|v| if by_time { format!("{}|{}", v.timestamp, v.name) } else { v.name })
    } else {
        None
    };
    Ok((rows, next))
}

pub static ALLIMAGES: ModuleSpec = ModuleSpec {
    path: "query+allimages",
    class: "ApiQueryAllImages",
    group: Some(Group::List),
    prefix: "ai",
    read_rights: true,
    generator: true,
    help: "Enumerate current files by name or by upload time (aiuser needs aisort=timestamp).",
    params: &[
        param("sort", Type::Enum(&["name", "timestamp"])).default("name"),
        param("dir", Type::Enum(&["ascending", "descending", "newer", "older"])).default("ascending"),
        param("from", Type::String),
        param("to", Type::String),
        param("continue", Type::String),
        param("start", Type::Timestamp),
        param("end", Type::Timestamp),
        param(
            "prop",
            Type::Enum(&[
                "badfile",
                "bitdepth",
                "canonicaltitle",
                "comment",
                "commonmetadata",
                "dimensions",
                "extmetadata",
                "mediatype",
                "metadata",
                "mime",
                "parsedcomment",
                "sha1",
                "size",
                "timestamp",
                "url",
                "user",
                "userid",
            ]),
        )
        .default("timestamp|url")
        .multi(),
        param("prefix", Type::String),
        param("minsize", Type::Integer { min: None, max: None }),
        param("maxsize", Type::Integer { min: None, max: None }),
        param("sha1", Type::String),
        param("sha1base36", Type::String),
        param("user", Type::User(&["name", "ip", "interwiki", "id"])),
        param("mime", Type::String).multi().help("MIME types to list (type/subtype)."),
        param("limit", Type::Limit { max: 500, highmax: 5000 }).default("10"),
    ],
    ..ModuleSpec::BASE
};
