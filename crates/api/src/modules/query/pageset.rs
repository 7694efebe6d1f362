//! The page set of a query (titles, page ids or a generator's pages) and `query.pages` with the prop modules' members.

use super::*;
use mwupload_core::title::InvalidTitle;

/// The pages a query works on: titles (given, from page ids, or generated), and page ids
/// that name no page.
pub(super) struct PageSet<'a> {
    pub titles: &'a [String],
    /// (as sent, as cleaned) for `titles` pieces that input cleaning changed.
    pub cleaned_titles: &'a [(String, String)],
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
    let mut normalized: Vec<Value> = set
        .cleaned_titles
        .iter()
        .map(|(raw, clean)| normalized_entry(call, true, raw, clean))
        .collect();
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
    let images = if want("images") {
        Some(super::filelinks::images_of_pages(call, titles, cont, limits).await?)
    } else {
        None
    };
    let file_usage = if want("fileusage") {
        Some(super::filelinks::file_usage_of_pages(call, titles, cont, limits).await?)
    } else {
        None
    };
    let duplicates = if want("duplicatefiles") {
        Some(duplicatefiles::DuplicateFiles::prepare(call, limits)?)
    } else {
        None
    };
    // ApiPageSet::processTitlesArray: invalid titles get fake page ids first, then special
    // pages; the others are collected once each, grouped by namespace in order of appearance,
    // and those found missing get the next fake ids in that order.
    let mut fake_id = 0i64;
    let mut invalid: Vec<(i64, Map<String, Value>)> = Vec::new();
    let mut special: Vec<(i64, Map<String, Value>)> = Vec::new();
    let mut by_namespace: Vec<(i64, Vec<PageTitle>)> = Vec::new();
    let mut seen: std::collections::HashSet<(i64, String)> = std::collections::HashSet::new();
    let mut normalized_from: std::collections::HashSet<&str> = std::collections::HashSet::new();
    let mut parsed: Vec<(&String, PageTitle)> = Vec::with_capacity(titles.len());
    let mut invalid_seen: std::collections::HashSet<&str> = std::collections::HashSet::new();
    for raw in titles {
        match mwupload_core::title::parse_title_checked(raw, 0) {
            Ok(p) => parsed.push((
                raw,
                PageTitle {
                    ns: i64::from(p.namespace),
                    db_key: p.db_key,
                },
            )),
            Err(why) => {
                if invalid_seen.insert(raw) {
                    fake_id -= 1;
                    let mut m = Map::new();
                    m.insert("title".into(), json!(raw));
                    m.insert("invalidreason".into(), json!(invalid_title_text(&why)));
                    m.insert("invalid".into(), call.ctx.true_value());
                    invalid.push((fake_id, m));
                }
            }
        }
    }
    for (raw, mut t) in parsed {
        if t.ns == -1
            && let Some(local) = crate::special_pages::canonical(&t.db_key)
        {
            t.db_key = local;
        }
        let display = t.display();
        if display != *raw && normalized_from.insert(raw) {
            normalized.push(normalized_entry(call, false, raw, &display));
        }
        if t.db_key.is_empty() {
            // A bare fragment (`#frag`) links to the page itself: normalized, then dropped.
            continue;
        }
        if !seen.insert((t.ns, t.db_key.clone())) {
            continue;
        }
        if t.ns < 0 {
            fake_id -= 1;
            let known = match t.ns {
                -1 => crate::special_pages::exists(&t.db_key),
                _ => {
                    call.state.meta.current_file(&t.db_key).await?.is_some()
                        || (!call.state.foreign.is_empty() && call.state.foreign.find_file(&t.db_key).await.is_some())
                }
            };
            let mut m = Map::new();
            m.insert("ns".into(), json!(t.ns));
            m.insert("title".into(), json!(display));
            m.insert("special".into(), call.ctx.true_value());
            if !known {
                m.insert("missing".into(), call.ctx.true_value());
            }
            special.push((fake_id, m));
            continue;
        }
        match by_namespace.iter_mut().find(|(ns, _)| *ns == t.ns) {
            Some((_, list)) => list.push(t),
            None => by_namespace.push((t.ns, vec![t])),
        }
    }
    // Missing titles, then invalid ones, missing page ids, special pages and existing pages by
    // namespace and title: MediaWiki's member order (fv1 and `pageids`).
    let mut missing: Vec<(String, Map<String, Value>)> = Vec::new();
    // Existing pages: (namespace, DB key) to sort by, then the member's key and value.
    let mut found: Vec<(PageSortKey, String, Map<String, Value>)> = Vec::new();
    for t in by_namespace.into_iter().flat_map(|(_, list)| list) {
        let display = t.display();
        let page = call.state.meta.page(t.ns, &t.db_key).await?;
        let mut m = Map::new();
        let key = match &page {
            Some(pg) => {
                m.insert("pageid".into(), json!(pg.id));
                m.insert("ns".into(), json!(t.ns));
                m.insert("title".into(), json!(display));
                pg.id.to_string()
            }
            None => {
                fake_id -= 1;
                m.insert("ns".into(), json!(t.ns));
                m.insert("title".into(), json!(display));
                m.insert("missing".into(), call.ctx.true_value());
                // `Title::isKnown`: a file page without a page is known when a shared
                // repository has the file.
                if t.ns == 6 && !call.state.foreign.is_empty() && call.state.foreign.find_file(&t.db_key).await.is_some() {
                    m.insert("known".into(), call.ctx.true_value());
                }
                fake_id.to_string()
            }
        };
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
        if let (Some(by_page), Some(pg)) = (&images, p.page)
            && let Some(list) = by_page.get(&pg.id)
        {
            m.insert("images".into(), Value::Array(list.clone()));
        }
        if let Some(by_file) = &file_usage
            && t.ns == 6
            && let Some(list) = by_file.get(&t.db_key)
        {
            m.insert("fileusage".into(), Value::Array(list.clone()));
        }
        if let Some(df) = &duplicates {
            df.add(call, &p, &mut m, cont).await?;
        }
        if let Some(ii) = &image_info {
            ii.add(call, &p, &mut m, cont).await?;
        }
        match page {
            Some(_) => found.push(((t.ns, t.db_key.clone()), key, m)),
            None => missing.push((key, m)),
        }
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out: Vec<(String, Map<String, Value>)> = missing;
    out.extend(invalid.into_iter().map(|(id, m)| (id.to_string(), m)));
    for id in set.missing_ids {
        let mut m = Map::new();
        m.insert("pageid".into(), json!(id));
        m.insert("missing".into(), call.ctx.true_value());
        out.push((id.to_string(), m));
    }
    out.extend(special.into_iter().map(|(id, m)| (id.to_string(), m)));
    out.extend(found.into_iter().map(|(_, k, m)| (k, m)));
    if !normalized.is_empty() {
        query.insert("normalized".into(), Value::Array(normalized));
    }
    if !out.is_empty() {
        let id = |k: &str| k.parse::<i64>().unwrap_or(0);
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

/// Existing pages come out by namespace and DB key.
type PageSortKey = (i64, String);

/// One `normalized` member: `fromencoded` (true for a `titles` piece input cleaning changed,
/// then `from` is the piece as sent, URL-encoded), `from`, `to`.
pub(crate) fn normalized_entry(call: &Call<'_>, fromencoded: bool, from: &str, to: &str) -> Value {
    let mut m = Map::new();
    call.ctx.put_bool(&mut m, "fromencoded", fromencoded);
    let from = if fromencoded {
        crate::paths::rawurlencode(from)
    } else {
        from.to_string()
    };
    m.insert("from".into(), json!(from));
    m.insert("to".into(), json!(to));
    Value::Object(m)
}

/// `invalidreason`: the English text of MediaWiki's `title-invalid-*` message.
pub(crate) fn invalid_title_text(why: &InvalidTitle) -> String {
    match why {
        InvalidTitle::Utf8 => "The requested page title contains an invalid UTF-8 sequence.".into(),
        InvalidTitle::Empty => "The requested page title is empty or contains only the name of a namespace.".into(),
        InvalidTitle::TalkNamespace => "The requested page title refers to a talk page that cannot exist.".into(),
        InvalidTitle::Characters(c) => format!("The requested page title contains invalid characters: \"{c}\"."),
        InvalidTitle::Relative => "Title has relative path. Relative page titles (./, ../) are invalid, because they will often be unreachable when handled by user's browser.".into(),
        InvalidTitle::MagicTilde => "The requested page title contains invalid magic tilde sequence (<nowiki>~~~</nowiki>).".into(),
        InvalidTitle::TooLong(max) => format!("The requested page title is too long. It must be no longer than {max} bytes in UTF-8 encoding."),
        InvalidTitle::LeadingColon => "The requested page title contains an invalid colon at the beginning.".into(),
    }
}
