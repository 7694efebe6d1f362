//! The page set of a query (titles, page ids or a generator's pages) and `query.pages` with the prop modules' members.

use super::*;

/// The pages a query works on: titles (given, from page ids, or generated), and page ids
/// that name no page.
pub(super) struct PageSet<'a> {
    pub titles: &'a [String],
    pub missing_ids: &'a [i64],
    pub index_page_ids: bool,
}

/// One page of the set, as the prop modules see it.
pub(super) struct Page<'a> {
    pub title: &'a PageTitle,
    /// `Title::getPrefixedText`.
    pub display: &'a str,
    /// The page, if it exists.
    pub page: Option<&'a mwupload_store::PageRow>,
    /// Its latest revision.
    pub latest: Option<&'a mwupload_store::RevisionRow>,
}

/// Builds `query.pages` (and `normalized`) for the page set with the requested prop modules.
pub(super) async fn pages(
    call: &mut Call<'_>,
    set: &PageSet<'_>,
    props: &[String],
    query: &mut Map<String, Value>,
    cont: &mut Continuation,
    limits: &mut Map<String, Value>,
) -> ApiResult<()> {
    let titles = set.titles;
    let index_page_ids = set.index_page_ids;
    let mut normalized = Vec::new();
    let mut out: Vec<(String, Map<String, Value>)> = Vec::new();
    // Existing pages' (namespace, DB key), by page id: MediaWiki's order for them.
    let mut existing: std::collections::HashMap<String, (i64, String)> = std::collections::HashMap::new();
    let mut missing_id = 0i64;
    // Prop modules that run on this request (a continued query skips finished ones).
    let running: Vec<String> = props.iter().filter(|p| cont.runs(p)).cloned().collect();
    let want = |n: &str| running.iter().any(|p| p == n);
    // Each requested prop module validates its own parameters, in MediaWiki's order.
    let info = if want("info") { Some(info::Info::prepare(call)?) } else { None };
    let image_info = if want("imageinfo") {
        Some(imageinfo::ImageInfo::prepare(call, titles, limits).await?)
    } else {
        None
    };
    let mut revisions = if want("revisions") {
        Some(revisions::Revisions::prepare(call, limits)?)
    } else {
        None
    };
    let templates = if want("templates") {
        Some(templates_of_pages(call, titles, cont, limits).await?)
    } else {
        None
    };
    let duplicates = if want("duplicatefiles") {
        Some(duplicatefiles::DuplicateFiles::prepare(call, limits)?)
    } else {
        None
    };
    for raw in titles {
        let Some(t) = parse_title(raw) else {
            let mut m = Map::new();
            m.insert("title".into(), json!(raw));
            m.insert(
                "invalidreason".into(),
                json!(format!("The requested page title contains invalid characters: \"{raw}\".")),
            );
            m.insert("invalid".into(), call.ctx.true_value());
            missing_id -= 1;
            out.push((missing_id.to_string(), m));
            continue;
        };
        let display = t.display();
        if display != *raw {
            normalized.push(json!({"from": raw, "to": display}));
        }
        let page = call.state.meta.page(t.ns, &t.db_key).await?;
        let mut m = Map::new();
        let key;
        match &page {
            Some(pg) => {
                key = pg.id.to_string();
                existing.insert(key.clone(), (t.ns, t.db_key.clone()));
                m.insert("pageid".into(), json!(pg.id));
                m.insert("ns".into(), json!(t.ns));
                m.insert("title".into(), json!(display));
            }
            None => {
                missing_id -= 1;
                key = missing_id.to_string();
                m.insert("ns".into(), json!(t.ns));
                m.insert("title".into(), json!(display));
                m.insert("missing".into(), call.ctx.true_value());
            }
        }
        let latest = match &page {
            Some(pg) => call.state.meta.revision(pg.latest_rev).await?,
            None => None,
        };
        let p = Page {
            title: &t,
            display: &display,
            page: page.as_ref(),
            latest: latest.as_ref(),
        };
        // The members in MediaWiki's order: info, revisions, templates, duplicatefiles, imageinfo.
        if let Some(info) = &info {
            info.add(call, &p, &mut m).await?;
        }
        if let Some(rv) = &mut revisions {
            rv.add(call, &p, &mut m, cont).await?;
        }
        if let (Some(by_page), Some(pg)) = (&templates, p.page)
            && let Some(list) = by_page.get(&pg.id)
        {
            let list: Vec<Value> = list
                .iter()
                .map(|(ns, key)| json!({"ns": ns, "title": PageTitle { ns: *ns, db_key: key.clone() }.display()}))
                .collect();
            m.insert("templates".into(), Value::Array(list));
        }
        if let Some(df) = &duplicates {
            df.add(call, &p, &mut m, cont).await?;
        }
        if let Some(ii) = &image_info {
            ii.add(call, &p, &mut m, cont).await?;
        }
        out.push((key, m));
    }
    for id in set.missing_ids {
        let mut m = Map::new();
        m.insert("pageid".into(), json!(id));
        m.insert("missing".into(), call.ctx.true_value());
        out.push((id.to_string(), m));
    }
    if !normalized.is_empty() {
        query.insert("normalized".into(), Value::Array(normalized));
    }
    if !out.is_empty() {
        // MediaWiki's page set order: missing and invalid titles (negative ids, in request
        // order), then existing pages by namespace and title. That is fv1's member order and
        // `pageids`; fv2 turns the id-keyed map into a list sorted by id.
        let id = |k: &str| k.parse::<i64>().unwrap_or(0);
        out.sort_by(|(a, _), (b, _)| match (existing.get(a), existing.get(b)) {
            (Some(x), Some(y)) => x.cmp(y),
            (Some(_), None) => std::cmp::Ordering::Greater,
            (None, Some(_)) => std::cmp::Ordering::Less,
            (None, None) => id(b).cmp(&id(a)),
        });
        if index_page_ids {
            query.insert("pageids".into(), json!(out.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>()));
        }
        if call.ctx.fv2 {
            out.sort_by_key(|(k, _)| id(k));
        }
        if call.ctx.fv2 {
            query.insert(
                "pages".into(),
                Value::Array(out.into_iter().map(|(_, m)| Value::Object(m)).collect()),
            );
        } else {
            let mut pages = Map::new();
            for (k, m) in out {
                pages.insert(k, Value::Object(m));
            }
            query.insert("pages".into(), Value::Object(pages));
        }
    }
    Ok(())
}
