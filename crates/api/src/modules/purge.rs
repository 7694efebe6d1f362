//! `action=purge` (ApiPurge): the page set of `titles`, `pageids`, `revids` or a generator,
//! answered as MediaWiki 1.39 does — invalid titles, special pages, missing page and revision
//! ids and missing titles first, then each existing page `purged`. Purging a file description
//! page drops the stored thumbnails of the file's versions, so they are rendered again
//! (`WikiFilePage::doPurge`). There is no parser cache here, so `forcelinkupdate` only reports
//! `linkupdate` (file uses are already stored with every edit).

use super::continuation::Continuation;
use super::query::{PageSetInput, invalid_title_text, message_text, normalized_entry, page_set_input};
use crate::error::{ApiError, ApiResult};
use crate::spec::{Group, ModuleSpec, Modules, Type, Values, param};
use crate::{Call, Output};
use mwupload_core::title::PageTitle;
use serde_json::{Map, Value, json};

const INT: Type = Type::Integer { min: None, max: None };

pub static SPEC: ModuleSpec = ModuleSpec {
    path: "purge",
    class: "ApiPurge",
    group: Some(Group::Action),
    read_rights: true,
    write_rights: true,
    must_post: true,
    help: "Purge the cache for the given titles: a file page's thumbnails are rendered again on their next request.",
    params: &[
        param("forcelinkupdate", Type::Boolean).help("Update the links tables (file uses are kept current by every edit here)."),
        param("forcerecursivelinkupdate", Type::Boolean).help("As forcelinkupdate, and for pages that use this page as a template."),
        param("continue", Type::String).help("When more results are available, use this to continue."),
        param("titles", Type::String).multi(),
        param("pageids", INT).multi(),
        param("revids", INT).multi(),
        param("generator", Type::Modules(Modules::Generators))
            .submodule_map()
            .submodule_prefix("g"),
        param("redirects", Type::Boolean).inert(),
        param("converttitles", Type::Boolean).inert(),
    ],
    ..ModuleSpec::BASE
};

pub async fn execute(call: &mut Call<'_>, v: Values) -> ApiResult<Output> {
    // "Fail early if the user is sitewide blocked."
    if let Some(b) = mwupload_core::access::sitewide_block(call.state, &call.caller).await? {
        return Err(crate::upload_wire::blocked(&b).module("purge"));
    }
    let params = call.params;
    let mut cont =
        Continuation::new(v.str("continue"), &[], &[], &[], |k| params.peek(k).map(String::from)).map_err(|e| e.module("purge"))?;
    let mut limits = Map::new();
    let generator = v.str("generator");
    // Only one of titles, pageids and revids (ApiPageSet::execute).
    if generator.is_none() {
        let mut source: Option<&str> = None;
        for name in ["titles", "pageids", "revids"] {
            if params.peek(name).is_some() {
                if let Some(first) = source {
                    return Err(
                        ApiError::new("multisource", format!("The \"{name}\" parameter cannot be used with \"{first}\".")).module("purge"),
                    );
                }
                source = Some(name);
            }
        }
    }
    let mut missing_revids = Vec::new();
    let PageSetInput {
        mut titles,
        missing_ids,
        cleaned_titles,
    } = if cont.generator_done() {
        PageSetInput::default()
    } else if generator.is_none() && !v.ints("revids").is_empty() {
        let mut titles = Vec::new();
        for id in v.ints("revids") {
            let page = match call.state.meta.revision(*id).await? {
                Some(rev) => call.state.meta.page_by_id(rev.page_id).await?,
                None => None,
            };
            match page {
                Some(pg) => titles.push(
                    PageTitle {
                        ns: pg.namespace,
                        db_key: pg.title,
                    }
                    .display(),
                ),
                None => missing_revids.push(*id),
            }
        }
        PageSetInput {
            titles,
            ..PageSetInput::default()
        }
    } else {
        let pageids = v.ints("pageids").to_vec();
        page_set_input(call, generator, v.list("titles"), &pageids, "purge", &mut cont, &mut limits).await?
    };
    // Revision ids of one page name it once.
    let mut seen_titles = std::collections::HashSet::new();
    titles.retain(|t| seen_titles.insert(t.clone()));

    let set = classify(call, &titles, &cleaned_titles).await?;
    let mut result: Vec<Value> = Vec::new();
    let yes = call.ctx.true_value();
    let flag = |m: &mut Map<String, Value>, k: &str| {
        m.insert(k.into(), yes.clone());
    };
    for (raw, reason) in &set.invalid {
        let mut m = Map::new();
        m.insert("title".into(), json!(raw));
        m.insert("invalidreason".into(), json!(reason));
        flag(&mut m, "invalid");
        result.push(Value::Object(m));
    }
    // Special pages: unknown ones first, then known ones.
    for known in [false, true] {
        for (t, _) in set.special.iter().filter(|(_, k)| *k == known) {
            let mut m = title_info(t);
            flag(&mut m, "special");
            if !known {
                flag(&mut m, "missing");
            }
            result.push(Value::Object(m));
        }
    }
    for id in &missing_ids {
        let mut m = Map::new();
        m.insert("pageid".into(), json!(id));
        flag(&mut m, "missing");
        result.push(Value::Object(m));
    }
    for id in &missing_revids {
        let mut m = Map::new();
        m.insert("revid".into(), json!(id));
        flag(&mut m, "missing");
        result.push(Value::Object(m));
    }
    // Missing titles: unknown ones, then known ones (a file with no description page).
    for known in [false, true] {
        for (t, _) in set.missing.iter().filter(|(_, k)| *k == known) {
            let mut m = title_info(t);
            flag(&mut m, "missing");
            if known {
                flag(&mut m, "known");
            }
            result.push(Value::Object(m));
        }
    }
    let force_links = v.flag("forcelinkupdate") || v.flag("forcerecursivelinkupdate");
    for t in &set.good {
        let mut m = title_info(t);
        match mwupload_core::auth::throttle::ping_limiter(call.state, &call.caller, "purge").await? {
            None => {
                if t.ns == 6
                    && let Err(e) = mwupload_core::thumbs::purge_file(call.state, &t.db_key).await
                {
                    return Err(ApiError::internal("purge", e));
                }
                flag(&mut m, "purged");
            }
            Some(_) => ratelimited(call),
        }
        if force_links {
            match mwupload_core::auth::throttle::ping_limiter(call.state, &call.caller, "linkpurge").await? {
                None => flag(&mut m, "linkupdate"),
                Some(_) => ratelimited(call),
            }
        }
        result.push(Value::Object(m));
    }

    let mut out = Map::new();
    let (continuation, batchcomplete) = cont.finish();
    if batchcomplete {
        out.insert("batchcomplete".into(), call.ctx.true_value());
    }
    if let Some(c) = continuation {
        out.insert("continue".into(), Value::Object(c));
    }
    if !limits.is_empty() {
        out.insert("limits".into(), Value::Object(limits));
    }
    out.insert("purge".into(), Value::Array(result));
    if !set.normalized.is_empty() {
        out.insert("normalized".into(), Value::Array(set.normalized));
    }
    Ok(Output::Json(out))
}

fn ratelimited(call: &mut Call<'_>) {
    call.ctx.warn(
        "purge",
        "ratelimited",
        "You've exceeded your rate limit. Please wait some time and try again.",
    );
}

fn title_info(t: &PageTitle) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("ns".into(), json!(t.ns));
    m.insert("title".into(), json!(t.display()));
    m
}

/// The titles of a page set sorted as ApiPageSet does.
struct Classified {
    /// (title as given, reason), in order.
    invalid: Vec<(String, String)>,
    /// Special and Media pages, each once, with whether they are known.
    special: Vec<(PageTitle, bool)>,
    /// Titles of no page, by namespace in order of appearance, with whether they are known
    /// (listed after the unknown ones, with `known`).
    missing: Vec<(PageTitle, bool)>,
    /// Existing pages by namespace and title.
    good: Vec<PageTitle>,
    normalized: Vec<Value>,
}

async fn classify(call: &Call<'_>, titles: &[String], cleaned: &[(String, String)]) -> ApiResult<Classified> {
    let mut c = Classified {
        invalid: Vec::new(),
        special: Vec::new(),
        missing: Vec::new(),
        good: Vec::new(),
        normalized: cleaned
            .iter()
            .map(|(raw, clean)| normalized_entry(call, true, raw, clean))
            .collect(),
    };
    let mut seen = std::collections::HashSet::new();
    let mut normalized_from = std::collections::HashSet::new();
    let mut by_namespace: Vec<(i64, Vec<PageTitle>)> = Vec::new();
    let mut parsed = Vec::new();
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
                if !c.invalid.iter().any(|(r, _)| r == raw) {
                    c.invalid.push((raw.clone(), invalid_title_text(&why)));
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
            c.normalized.push(normalized_entry(call, false, raw, &display));
        }
        if t.db_key.is_empty() || !seen.insert((t.ns, t.db_key.clone())) {
            continue;
        }
        if t.ns < 0 {
            let known = match t.ns {
                -1 => crate::special_pages::exists(&t.db_key),
                _ => call.state.meta.current_file(&t.db_key).await?.is_some(),
            };
            c.special.push((t, known));
            continue;
        }
        match by_namespace.iter_mut().find(|(ns, _)| *ns == t.ns) {
            Some((_, list)) => list.push(t),
            None => by_namespace.push((t.ns, vec![t])),
        }
    }
    for t in by_namespace.into_iter().flat_map(|(_, list)| list) {
        if call.state.meta.page(t.ns, &t.db_key).await?.is_some() {
            c.good.push(t);
        } else {
            // Title::isKnown: a file without a description page, an interface message.
            let known = match t.ns {
                6 => call.state.meta.current_file(&t.db_key).await?.is_some(),
                8 => message_text(t.db_key.split('/').next().unwrap_or_default()).is_some(),
                _ => false,
            };
            c.missing.push((t, known));
        }
    }
    c.good.sort_by(|a, b| (a.ns, &a.db_key).cmp(&(b.ns, &b.db_key)));
    Ok(c)
}
