//! `prop=templates` and `generator=templates`: what pages transclude (pywikibot's `{{bots}}` check).

use super::*;

/// The pages a page set transcludes (`mwupload_core::wikitext`) as (page id, namespace, DB key), in
/// MediaWiki's (page id, namespace, title) order, `limit` at a time over all pages, resumed by
/// `continue` = "pageid|namespace|title"; and the continue value when more remain. `tl` is
/// prop=templates' spec validated as itself (`tl…`) or as a generator (`gtl…`).
pub(super) async fn template_links(
    call: &Call<'_>,
    tl: &Values,
    titles: &[String],
    limits: &mut Map<String, Value>,
) -> ApiResult<(Vec<(i64, i64, String)>, Option<String>)> {
    let module = "query+templates";
    let limit = limit_of(call, &TEMPLATES, tl, limits);
    let only: Vec<(i64, String)> = tl
        .list("templates")
        .iter()
        .filter_map(|t| parse_title(t))
        .map(|t| (t.ns, t.db_key))
        .collect();
    let namespaces = call.params.peek(&tl.full_name("namespace")).is_some().then(|| tl.ints("namespace"));
    let resume = match tl.str("continue") {
        None => None,
        Some(c) => {
            let parts: Vec<&str> = c.splitn(3, '|').collect();
            match parts.as_slice() {
                [pid, ns, key] => match (pid.parse::<i64>(), ns.parse::<i64>()) {
                    (Ok(pid), Ok(ns)) => Some((pid, ns, key.to_string())),
                    _ => return Err(ApiError::badcontinue(module)),
                },
                _ => return Err(ApiError::badcontinue(module)),
            }
        }
    };
    let mut entries: Vec<(i64, i64, String)> = Vec::new();
    for raw in titles {
        let Some(t) = parse_title(raw) else { continue };
        let Some(page) = call.state.meta.page(t.ns, &t.db_key).await? else {
            continue;
        };
        let Some(rev) = call.state.meta.revision(page.latest_rev).await? else {
            continue;
        };
        for (ns, key) in mwupload_core::wikitext::transclusions(&rev.text) {
            let wanted = namespaces.is_none_or(|n| n.contains(&ns)) && (only.is_empty() || only.contains(&(ns, key.clone())));
            if wanted && !entries.contains(&(page.id, ns, key.clone())) {
                entries.push((page.id, ns, key));
            }
        }
    }
    entries.sort();
    let descending = tl.str("dir") == Some("descending");
    if descending {
        entries.reverse();
    }
    if let Some(r) = &resume {
        entries.retain(|e| if descending { e <= r } else { e >= r });
    }
    let mut next = None;
    if entries.len() as i64 > limit {
        let (pid, ns, key) = &entries[limit as usize];
        next = Some(format!("{pid}|{ns}|{key}"));
        entries.truncate(limit as usize);
    }
    Ok((entries, next))
}

/// prop=templates: each page's transclusions, by page id.
pub(super) async fn templates_of_pages(
    call: &mut Call<'_>,
    titles: &[String],
    cont: &mut Continuation,
    limits: &mut Map<String, Value>,
) -> ApiResult<std::collections::HashMap<i64, Vec<(i64, String)>>> {
    let tl = call.validate(&TEMPLATES)?;
    let (entries, next) = template_links(call, &tl, titles, limits).await?;
    if let Some(next) = next {
        cont.set("templates", "tlcontinue", next);
    }
    let mut by_page: std::collections::HashMap<i64, Vec<(i64, String)>> = std::collections::HashMap::new();
    for (pid, ns, key) in entries {
        by_page.entry(pid).or_default().push((ns, key));
    }
    Ok(by_page)
}

/// `generator=templates`: the pages the given titles transclude (pywikibot's bots check).
pub(super) async fn generate_templates(
    call: &mut Call<'_>,
    titles: &[String],
    cont: &mut Continuation,
    limits: &mut Map<String, Value>,
) -> ApiResult<Vec<String>> {
    let tl = call.validate_prefixed(&TEMPLATES, "gtl")?;
    let (entries, next) = template_links(call, &tl, titles, limits).await?;
    if let Some(next) = next {
        cont.set_generator("gtlcontinue", next);
    }
    Ok(distinct_titles(entries.into_iter().map(|(_, ns, key)| (ns, key))))
}

pub static TEMPLATES: ModuleSpec = ModuleSpec {
    path: "query+templates",
    class: "ApiQueryLinks",
    group: Some(Group::Prop),
    prefix: "tl",
    read_rights: true,
    generator: true,
    help: "Pages transcluded by the given pages, as written in their text (mwupload expands no templates).",
    params: &[
        param("namespace", Type::Namespace { extra: &[-2, -1] }).multi().all("*"),
        param("limit", Type::Limit { max: 500, highmax: 5000 }).default("10"),
        param("continue", Type::String),
        param("templates", Type::String).multi().help("Only list these pages."),
        param("dir", Type::Enum(&["ascending", "descending"])).default("ascending"),
    ],
    ..ModuleSpec::BASE
};
