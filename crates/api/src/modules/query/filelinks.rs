//! File uses (MediaWiki's `imagelinks`): `list=imageusage` (pages using a file), `prop=fileusage`
//! (the same for each file of the page set), `prop=images` (files each page uses), and their
//! generators. The uses come from page text (`mwupload_core::wikitext::file_links`).

use super::*;
use mwupload_store::{FileLink, FileLinkOrder, FileLinkQuery};

const NS_FILE: i64 = 6;

fn using_page(l: &FileLink) -> Value {
    json!({"pageid": l.page_id, "ns": l.namespace, "title": PageTitle { ns: l.namespace, db_key: l.title.clone() }.display()})
}

fn namespaces_of(call: &Call<'_>, v: &Values) -> Option<Vec<i64>> {
    call.params
        .peek(&v.full_name("namespace"))
        .is_some()
        .then(|| v.ints("namespace").to_vec())
}

/// The uses list=imageusage (or its generator, `v` validated with `giu`) asks for, and the
/// continue value when more remain.
async fn image_usage(call: &mut Call<'_>, v: &Values, limits: &mut Map<String, Value>) -> ApiResult<(Vec<FileLink>, Option<String>)> {
    let module = "query+imageusage";
    let target = match (v.str("title"), v.int("pageid")) {
        (Some(_), Some(_)) => {
            return Err(ApiError::cannot_use_together(
                &[v.full_name("title"), v.full_name("pageid")],
                module,
            ));
        }
        (None, None) => {
            return Err(ApiError::missingparam_one_of(
                &[&v.full_name("title"), &v.full_name("pageid")],
                module,
            ));
        }
        (Some(t), None) => match parse_title(t) {
            None => return Err(ApiError::invalid_title(t).module(module)),
            Some(pt) => pt,
        },
        (None, Some(id)) => match call.state.meta.page_by_id(id).await? {
            None => return Err(ApiError::no_such_page_id(id).module(module)),
            Some(p) => PageTitle {
                ns: p.namespace,
                db_key: p.title,
            },
        },
    };
    if target.ns != NS_FILE {
        return Err(ApiError::new("bad_image_title", "The title for \"imageusage\" must be a file.").module(module));
    }
    let spec = &IMAGEUSAGE;
    let limit = limit_of(call, spec, v, limits);
    // iucontinue is "namespace|page id" of the next using page, both written as PHP's (int).
    let strict_int = |s: &str| s.parse::<i64>().ok().filter(|n| n.to_string() == s);
    let from = match v.str("continue") {
        None => None,
        Some(c) => match c.split_once('|').map(|(a, b)| (strict_int(a), strict_int(b))) {
            Some((Some(ns), Some(id))) => Some((ns, id)),
            _ => return Err(ApiError::badcontinue(module)),
        },
    };
    // Redirects are never stored here, so filterredir=redirects finds nothing.
    if v.str("filterredir") == Some("redirects") {
        return Ok((Vec::new(), None));
    }
    let targets = [target.db_key.clone()];
    let namespaces = namespaces_of(call, v);
    let mut rows = call
        .state
        .meta
        .file_links(&FileLinkQuery {
            targets: Some(&targets),
            page_ids: None,
            namespaces: namespaces.as_deref(),
            order: FileLinkOrder::ByUsingPage {
                from,
                by_namespace: namespaces.as_ref().is_some_and(|n| n.len() > 1),
            },
            descending: v.str("dir") == Some("descending"),
            limit: limit + 1,
        })
        .await?;
    let mut next = None;
    if rows.len() as i64 > limit
        && let Some(l) = rows.pop()
    {
        next = Some(format!("{}|{}", l.namespace, l.page_id));
    }
    Ok((rows, next))
}

pub(super) async fn list_image_usage(
    call: &mut Call<'_>,
    query: &mut Map<String, Value>,
    cont: &mut Continuation,
    limits: &mut Map<String, Value>,
) -> ApiResult<()> {
    let v = call.validate(&IMAGEUSAGE)?;
    let (rows, next) = image_usage(call, &v, limits).await?;
    if let Some(n) = next {
        cont.set("imageusage", "iucontinue", n);
    }
    query.insert("imageusage".into(), Value::Array(rows.iter().map(using_page).collect()));
    Ok(())
}

pub(super) async fn generate_image_usage(
    call: &mut Call<'_>,
    cont: &mut Continuation,
    limits: &mut Map<String, Value>,
) -> ApiResult<Vec<String>> {
    let v = call.validate_prefixed(&IMAGEUSAGE, "giu")?;
    let (rows, next) = image_usage(call, &v, limits).await?;
    if let Some(n) = next {
        cont.set_generator("giucontinue", n);
    }
    Ok(rows
        .iter()
        .map(|l| {
            PageTitle {
                ns: l.namespace,
                db_key: l.title.clone(),
            }
            .display()
        })
        .collect())
}

/// prop=images over the page set's existing pages: (page id, file DB key) in order, and the
/// continue value ("page id|file") when more remain.
async fn images_of(
    call: &mut Call<'_>,
    v: &Values,
    titles: &[String],
    limits: &mut Map<String, Value>,
) -> ApiResult<(Vec<FileLink>, Option<String>)> {
    let module = "query+images";
    let limit = limit_of(call, &IMAGES, v, limits);
    let mut page_ids = Vec::new();
    for raw in titles {
        if let Some(t) = parse_title(raw)
            && let Some(p) = call.state.meta.page(t.ns, &t.db_key).await?
            && !page_ids.contains(&p.id)
        {
            page_ids.push(p.id);
        }
    }
    let continue_from = match v.str("continue") {
        None => None,
        Some(c) => match c.split_once('|').map(|(a, b)| (a.parse::<i64>(), b)) {
            Some((Ok(id), file)) => Some((id, file.to_string())),
            _ => return Err(ApiError::badcontinue(module)),
        },
    };
    let only: Option<Vec<String>> = call.params.peek(&v.full_name("images")).is_some().then(|| {
        v.list("images")
            .iter()
            .filter_map(|t| parse_title(t))
            .filter(|t| t.ns == NS_FILE)
            .map(|t| t.db_key)
            .collect()
    });
    let mut rows = call
        .state
        .meta
        .file_links(&FileLinkQuery {
            targets: only.as_deref(),
            page_ids: Some(&page_ids),
            namespaces: None,
            order: FileLinkOrder::ByPage {
                from: continue_from.as_ref().map(|(id, f)| (*id, f.as_str())),
            },
            descending: v.str("dir") == Some("descending"),
            limit: limit + 1,
        })
        .await?;
    let mut next = None;
    if rows.len() as i64 > limit
        && let Some(l) = rows.pop()
    {
        next = Some(format!("{}|{}", l.page_id, l.target));
    }
    Ok((rows, next))
}

/// prop=images: the files each page uses, by page id.
pub(super) async fn images_of_pages(
    call: &mut Call<'_>,
    titles: &[String],
    cont: &mut Continuation,
    limits: &mut Map<String, Value>,
) -> ApiResult<std::collections::HashMap<i64, Vec<Value>>> {
    let v = call.validate(&IMAGES)?;
    let (rows, next) = images_of(call, &v, titles, limits).await?;
    if let Some(n) = next {
        cont.set("images", "imcontinue", n);
    }
    let mut by_page: std::collections::HashMap<i64, Vec<Value>> = std::collections::HashMap::new();
    for l in rows {
        let title = PageTitle {
            ns: NS_FILE,
            db_key: l.target,
        }
        .display();
        by_page.entry(l.page_id).or_default().push(json!({"ns": NS_FILE, "title": title}));
    }
    Ok(by_page)
}

pub(super) async fn generate_images(
    call: &mut Call<'_>,
    titles: &[String],
    cont: &mut Continuation,
    limits: &mut Map<String, Value>,
) -> ApiResult<Vec<String>> {
    let v = call.validate_prefixed(&IMAGES, "gim")?;
    let (rows, next) = images_of(call, &v, titles, limits).await?;
    if let Some(n) = next {
        cont.set_generator("gimcontinue", n);
    }
    Ok(distinct_titles(rows.into_iter().map(|l| (NS_FILE, l.target))))
}

/// prop=fileusage over the page set's file titles: uses in (file, page id) order, and the
/// continue value ("file|page id") when more remain.
async fn file_usage(
    call: &mut Call<'_>,
    v: &Values,
    titles: &[String],
    limits: &mut Map<String, Value>,
) -> ApiResult<(Vec<FileLink>, Option<String>)> {
    let module = "query+fileusage";
    let limit = limit_of(call, &FILEUSAGE, v, limits);
    let mut targets: Vec<String> = Vec::new();
    for raw in titles {
        if let Some(t) = parse_title(raw)
            && t.ns == NS_FILE
            && !targets.contains(&t.db_key)
        {
            targets.push(t.db_key);
        }
    }
    let from = match v.str("continue") {
        None => None,
        Some(c) => match c.rsplit_once('|').map(|(f, id)| (f, id.parse::<i64>())) {
            Some((file, Ok(id))) => Some((file.to_string(), id)),
            _ => return Err(ApiError::badcontinue(module)),
        },
    };
    // Nothing is a redirect here.
    if v.list("show").iter().any(|s| s == "redirect") {
        return Ok((Vec::new(), None));
    }
    let namespaces = namespaces_of(call, v);
    let mut rows = call
        .state
        .meta
        .file_links(&FileLinkQuery {
            targets: Some(&targets),
            page_ids: None,
            namespaces: namespaces.as_deref(),
            order: FileLinkOrder::ByFile {
                from: from.as_ref().map(|(f, id)| (f.as_str(), *id)),
            },
            descending: false,
            limit: limit + 1,
        })
        .await?;
    let mut next = None;
    if rows.len() as i64 > limit
        && let Some(l) = rows.pop()
    {
        next = Some(format!("{}|{}", l.target, l.page_id));
    }
    Ok((rows, next))
}

/// prop=fileusage: the pages using each file, by file DB key.
pub(super) async fn file_usage_of_pages(
    call: &mut Call<'_>,
    titles: &[String],
    cont: &mut Continuation,
    limits: &mut Map<String, Value>,
) -> ApiResult<std::collections::HashMap<String, Vec<Value>>> {
    let v = call.validate(&FILEUSAGE)?;
    let props = v.list("prop").to_vec();
    let has = |p: &str| props.iter().any(|x| x == p);
    let (rows, next) = file_usage(call, &v, titles, limits).await?;
    if let Some(n) = next {
        cont.set("fileusage", "fucontinue", n);
    }
    let mut by_file: std::collections::HashMap<String, Vec<Value>> = std::collections::HashMap::new();
    for l in rows {
        let mut m = Map::new();
        if has("pageid") {
            m.insert("pageid".into(), json!(l.page_id));
        }
        if has("title") {
            m.insert("ns".into(), json!(l.namespace));
            m.insert(
                "title".into(),
                json!(
                    PageTitle {
                        ns: l.namespace,
                        db_key: l.title.clone()
                    }
                    .display()
                ),
            );
        }
        if has("redirect") {
            call.ctx.put_bool(&mut m, "redirect", false);
        }
        by_file.entry(l.target).or_default().push(Value::Object(m));
    }
    Ok(by_file)
}

pub(super) async fn generate_file_usage(
    call: &mut Call<'_>,
    titles: &[String],
    cont: &mut Continuation,
    limits: &mut Map<String, Value>,
) -> ApiResult<Vec<String>> {
    let v = call.validate_prefixed(&FILEUSAGE, "gfu")?;
    let (rows, next) = file_usage(call, &v, titles, limits).await?;
    if let Some(n) = next {
        cont.set_generator("gfucontinue", n);
    }
    Ok(distinct_titles(rows.into_iter().map(|l| (l.namespace, l.title))))
}

pub static IMAGEUSAGE: ModuleSpec = ModuleSpec {
    path: "query+imageusage",
    class: "ApiQueryBacklinks",
    group: Some(Group::List),
    prefix: "iu",
    read_rights: true,
    generator: true,
    help: "Find all pages that use the given file.",
    params: &[
        param("title", Type::String),
        param("pageid", Type::Integer { min: None, max: None }),
        param("continue", Type::String),
        param("namespace", Type::Namespace { extra: &[] }).multi().all("*"),
        param("dir", Type::Enum(&["ascending", "descending"])).default("ascending"),
        param("filterredir", Type::Enum(&["all", "nonredirects", "redirects"])).default("all"),
        param("limit", Type::Limit { max: 500, highmax: 5000 }).default("10"),
        param("redirect", Type::Boolean),
    ],
    ..ModuleSpec::BASE
};

pub static FILEUSAGE: ModuleSpec = ModuleSpec {
    path: "query+fileusage",
    class: "ApiQueryBacklinksprop",
    group: Some(Group::Prop),
    prefix: "fu",
    read_rights: true,
    generator: true,
    help: "Find all pages that use the given files.",
    params: &[
        param("prop", Type::Enum(&["pageid", "redirect", "title"]))
            .multi()
            .default("pageid|title|redirect"),
        param("namespace", Type::Namespace { extra: &[] }).multi().all("*"),
        param("show", Type::Enum(&["!redirect", "redirect"])).multi(),
        param("limit", Type::Limit { max: 500, highmax: 5000 }).default("10"),
        param("continue", Type::String),
    ],
    ..ModuleSpec::BASE
};

pub static IMAGES: ModuleSpec = ModuleSpec {
    path: "query+images",
    class: "ApiQueryImages",
    group: Some(Group::Prop),
    prefix: "im",
    read_rights: true,
    generator: true,
    help: "Returns all files contained on the given pages.",
    params: &[
        param("limit", Type::Limit { max: 500, highmax: 5000 }).default("10"),
        param("continue", Type::String),
        param("images", Type::String).multi(),
        param("dir", Type::Enum(&["ascending", "descending"])).default("ascending"),
    ],
    ..ModuleSpec::BASE
};
