//! `action=query`: meta (tokens, userinfo, siteinfo), prop (info, imageinfo, revisions,
//! stashimageinfo) and list (allimages), with titles, normalization and continuation.

use super::continuation::Continuation;
use crate::error::{ApiError, ApiResult};
use crate::imageinfo;
use crate::spec::{Group, ModuleSpec, Modules, Type, Values, param};
use crate::{Call, Output};
use mwupload_core::auth::token;
use mwupload_core::title::{self, PageTitle, canonical_namespaces, page_title as parse_title};
use mwupload_store::FileVersion;
use serde_json::{Map, Value, json};

pub async fn execute(call: &mut Call<'_>, v: Values) -> ApiResult<Output> {
    // Unknown prop/list/meta values were dropped (with a warning) by validation.
    let metas = v.list("meta").to_vec();
    let props = v.list("prop").to_vec();
    let lists = v.list("list").to_vec();
    let params = call.params;
    let mut cont = Continuation::new(v.str("continue"), &props, &lists, &metas, |k| params.peek(k).map(String::from))?;
    let mut query = Map::new();
    // `limits` reports `max` limits; one the generator reports comes before `query`.
    let mut limits = Map::new();
    // The page set: the generator's pages, or `titles`; none once the generator is done.
    if v.str("generator").is_none() && !v.list("titles").is_empty() && call.params.peek("pageids").is_some() {
        return Err(ApiError::new("multisource", "The \"pageids\" parameter cannot be used with \"titles\".").module("query"));
    }
    let mut missing_ids = Vec::new();
    let titles = match v.str("generator") {
        _ if cont.generator_done() => Vec::new(),
        Some("allimages") => generate_all_images(call, &mut cont, &mut limits).await?,
        Some("templates") => {
            let input = v.list("titles").to_vec();
            generate_templates(call, &input, &mut cont, &mut limits).await?
        }
        Some(_) => Vec::new(),
        None if !v.ints("pageids").is_empty() => {
            let mut titles = Vec::new();
            for id in v.ints("pageids") {
                match call.state.meta.page_by_id(*id).await? {
                    Some(pg) => titles.push(
                        PageTitle {
                            ns: pg.namespace,
                            db_key: pg.title,
                        }
                        .display(),
                    ),
                    None => missing_ids.push(*id),
                }
            }
            titles
        }
        None => v.list("titles").to_vec(),
    };
    let generator_set_limits = !limits.is_empty();
    let page_props: Vec<String> = props.iter().filter(|p| *p != "stashimageinfo").cloned().collect();
    if !cont.generator_done() && (!titles.is_empty() || !missing_ids.is_empty() || !page_props.is_empty()) {
        let set = PageSet {
            titles: &titles,
            missing_ids: &missing_ids,
            index_page_ids: v.flag("indexpageids"),
        };
        pages(call, &set, &page_props, &mut query, &mut cont, &mut limits).await?;
    }
    if props.iter().any(|x| x == "stashimageinfo") && cont.runs("stashimageinfo") {
        stash_image_info(call, &mut query).await?;
    }
    let running_lists: Vec<String> = lists.iter().filter(|l| cont.runs(l)).cloned().collect();
    for l in &running_lists {
        match l.as_str() {
            "allimages" => all_images(call, &mut query, &mut cont, &mut limits).await?,
            "filearchive" => file_archive(call, &mut query, &mut cont, &mut limits).await?,
            "logevents" => log_events(call, &mut query, &mut cont, &mut limits).await?,
            "watchlistraw" => watchlist_raw(call, &mut query, &mut cont, &mut limits).await?,
            _ => {}
        }
    }
    let running_metas: Vec<String> = metas.iter().filter(|m| cont.runs(m)).cloned().collect();
    for m in &running_metas {
        match m.as_str() {
            "tokens" => tokens(call, &mut query).await?,
            "userinfo" => userinfo(call, &mut query)?,
            "siteinfo" => siteinfo(call, &mut query)?,
            _ => {}
        }
    }
    // MediaWiki puts `continue`, then `batchcomplete`, on top of the result.
    let (continuation, batchcomplete) = cont.finish();
    let mut out = Map::new();
    if batchcomplete {
        out.insert("batchcomplete".into(), call.ctx.true_value());
    }
    if let Some(c) = continuation {
        out.insert("continue".into(), Value::Object(c));
    }
    if generator_set_limits {
        out.insert("limits".into(), Value::Object(std::mem::take(&mut limits)));
    }
    if !query.is_empty() {
        out.insert("query".into(), Value::Object(query));
    }
    if !limits.is_empty() {
        out.insert("limits".into(), Value::Object(limits));
    }
    Ok(Output::Json(out))
}

/// A `*limit` value, and MediaWiki's `limits` report when the client asked for `max`.
fn limit_of(call: &Call<'_>, spec: &ModuleSpec, v: &Values, limits: &mut Map<String, Value>) -> i64 {
    let n = v.int("limit").unwrap_or(10);
    if call.params.peek(&v.full_name("limit")) == Some("max") {
        limits.insert(spec.name().into(), json!(n));
    }
    n
}

async fn tokens(call: &mut Call<'_>, query: &mut Map<String, Value>) -> ApiResult<()> {
    let v = call.validate(&TOKENS)?;
    let types = v.list("type").to_vec();
    let mut out = Map::new();
    // Anonymous CORS and JSONP answers are readable by other sites: no tokens there.
    if call.ctx.origin_star || call.ctx.callback.is_some() {
        call.ctx.warn(
            "query+tokens",
            "tokens-origin",
            "Tokens may not be obtained when the same-origin policy is not applied.",
        );
        return Ok(());
    }
    for t in types {
        let Some(salt) = token::salt_for_type(&t) else {
            continue;
        };
        let session_bound = matches!(t.as_str(), "login" | "createaccount");
        let value = if !call.caller.is_logged_in() && !session_bound {
            token::ANON_TOKEN.to_string()
        } else {
            super::login::ensure_session(call).await?;
            let secret = call.caller.secret().map(<[u8]>::to_vec).unwrap_or_default();
            token::make_token(&secret, salt, mwupload_store::time::now_unix())
        };
        out.insert(format!("{t}token"), Value::String(value));
    }
    query.insert("tokens".into(), Value::Object(out));
    Ok(())
}

fn client_ip(call: &Call<'_>) -> String {
    call.headers
        .get("x-mwupload-peer")
        .and_then(|v| v.to_str().ok())
        .map(String::from)
        .unwrap_or_else(|| "127.0.0.1".into())
}

fn userinfo(call: &mut Call<'_>, query: &mut Map<String, Value>) -> ApiResult<()> {
    let v = call.validate(&USERINFO)?;
    let props = v.list("prop").to_vec();
    let c = &call.caller;
    let mut u = Map::new();
    u.insert("id".into(), json!(c.user_id()));
    match &c.user {
        Some(user) => {
            u.insert("name".into(), json!(user.name));
        }
        None => {
            u.insert("name".into(), json!(client_ip(call)));
            u.insert("anon".into(), call.ctx.true_value());
        }
    }
    for prop in &props {
        match prop.as_str() {
            "groups" => {
                u.insert("groups".into(), json!(c.groups));
            }
            "implicitgroups" => {
                let implicit: Vec<&String> = c
                    .groups
                    .iter()
                    .filter(|g| ["*", "user", "autoconfirmed"].contains(&g.as_str()))
                    .collect();
                u.insert("implicitgroups".into(), json!(implicit));
            }
            "groupmemberships" => {
                let explicit: Vec<Value> = c
                    .user
                    .iter()
                    .flat_map(|x| x.groups.iter())
                    .map(|g| json!({"group": g, "expiry": "infinity"}))
                    .collect();
                u.insert("groupmemberships".into(), Value::Array(explicit));
            }
            "rights" => {
                u.insert("rights".into(), json!(c.rights));
            }
            "editcount" if c.is_logged_in() => {
                u.insert("editcount".into(), json!(0));
            }
            "ratelimits" => {
                u.insert("ratelimits".into(), Value::Object(Map::new()));
            }
            "registrationdate" => {
                if let Some(user) = &c.user {
                    u.insert("registrationdate".into(), json!(mwupload_store::time::ts_to_iso(&user.registered)));
                }
            }
            "realname" => {
                u.insert("realname".into(), json!(""));
            }
            "email" => {
                u.insert("email".into(), json!(""));
            }
            "options" => {
                u.insert("options".into(), json!({}));
            }
            "cancreateaccount" => {
                call.ctx.put_bool(&mut u, "cancreateaccount", false);
            }
            "blockinfo"
            | "hasmsg"
            | "changeablegroups"
            | "acceptlang"
            | "unreadcount"
            | "centralids"
            | "latestcontrib"
            | "theoreticalratelimits" => {}
            _ => {}
        }
    }
    query.insert("userinfo".into(), Value::Object(u));
    Ok(())
}

fn siteinfo(call: &mut Call<'_>, query: &mut Map<String, Value>) -> ApiResult<()> {
    let v = call.validate(&SITEINFO)?;
    let props = v.list("prop").to_vec();
    let fv2 = call.ctx.fv2;
    let cfg = &call.state.config;
    let base = call.ctx.base_url.clone();
    let host = base
        .split("://")
        .nth(1)
        .unwrap_or("localhost")
        .split(':')
        .next()
        .unwrap_or("localhost")
        .to_string();
    for prop in props {
        match prop.as_str() {
            "general" => {
                let mut g = Map::new();
                let sp = &cfg.script_path;
                g.insert("mainpage".into(), json!("Main Page"));
                g.insert("base".into(), json!(format!("{base}{sp}/index.php?title=Main_Page")));
                g.insert("sitename".into(), json!(cfg.sitename));
                call.ctx.put_bool(&mut g, "mainpageisdomainroot", false);
                g.insert("logo".into(), json!(format!("{base}{sp}/resources/assets/change-your-logo.svg")));
                g.insert("generator".into(), json!("MediaWiki 1.39.17"));
                g.insert("phpversion".into(), json!("8.2.0"));
                g.insert("phpsapi".into(), json!("mwupload"));
                g.insert("dbtype".into(), json!("sqlite"));
                g.insert("dbversion".into(), json!("3"));
                call.ctx.put_bool(&mut g, "imagewhitelistenabled", false);
                call.ctx.put_bool(&mut g, "langconversion", true);
                call.ctx.put_bool(&mut g, "linkconversion", true);
                call.ctx.put_bool(&mut g, "titleconversion", true);
                g.insert("linkprefixcharset".into(), json!(""));
                g.insert("linkprefix".into(), json!(""));
                g.insert("linktrail".into(), json!("/^([a-z]+)(.*)$/sD"));
                g.insert(
                    "legaltitlechars".into(),
                    json!(" %!\"$&'()*,\\-.\\/0-9:;=?@A-Z\\\\^_`a-z~\\x80-\\xFF+"),
                );
                g.insert("invalidusernamechars".into(), json!("@:>"));
                call.ctx.put_bool(&mut g, "allunicodefixes", false);
                call.ctx.put_bool(&mut g, "fixarabicunicode", true);
                call.ctx.put_bool(&mut g, "fixmalayalamunicode", true);
                g.insert("case".into(), json!("first-letter"));
                g.insert("lang".into(), json!("en"));
                g.insert("fallback".into(), json!([]));
                call.ctx.put_bool(&mut g, "rtl", false);
                g.insert("fallback8bitEncoding".into(), json!("windows-1252"));
                call.ctx.put_bool(&mut g, "readonly", false);
                call.ctx.put_bool(&mut g, "writeapi", true);
                g.insert("maxarticlesize".into(), json!(2097152));
                g.insert("timezone".into(), json!("UTC"));
                g.insert("timeoffset".into(), json!(0));
                g.insert("articlepath".into(), json!(format!("{sp}/index.php?title=$1")));
                g.insert("scriptpath".into(), json!(sp));
                g.insert("script".into(), json!(format!("{sp}/index.php")));
                call.ctx.put_bool(&mut g, "variantarticlepath", false);
                g.insert("server".into(), json!(base));
                g.insert("servername".into(), json!(host));
                g.insert("wikiid".into(), json!("mwupload"));
                g.insert(
                    "time".into(),
                    json!(mwupload_store::time::ts_to_iso(&mwupload_store::time::now_ts())),
                );
                call.ctx.put_bool(&mut g, "misermode", false);
                call.ctx.put_bool(&mut g, "uploadsenabled", cfg.uploads.enabled);
                g.insert("maxuploadsize".into(), json!(cfg.uploads.max_upload_size));
                g.insert("minuploadchunksize".into(), json!(cfg.uploads.min_chunk_size));
                g.insert(
                    "galleryoptions".into(),
                    json!({"imagesPerRow":0,"imageWidth":120,"imageHeight":120,"captionLength":call.ctx.true_value(),"showBytes":call.ctx.true_value(),"showDimensions":call.ctx.true_value(),"mode":"traditional"}),
                );
                // fv2 must give objects here (pywikibot calls .values()/.items()).
                let thumbs = [120, 150, 180, 200, 250, 300];
                let images = [(320, 240), (640, 480), (800, 600), (1024, 768), (1280, 1024), (2560, 2048)];
                if fv2 {
                    let t: Map<String, Value> = thumbs.iter().enumerate().map(|(i, v)| (i.to_string(), json!(v))).collect();
                    let im: Map<String, Value> = images
                        .iter()
                        .enumerate()
                        .map(|(i, (w, h))| (i.to_string(), json!({"width": w, "height": h})))
                        .collect();
                    g.insert("thumblimits".into(), Value::Object(t));
                    g.insert("imagelimits".into(), Value::Object(im));
                    g.insert("magiclinks".into(), json!({"ISBN": false, "PMID": false, "RFC": false}));
                } else {
                    g.insert("thumblimits".into(), json!(thumbs));
                    g.insert(
                        "imagelimits".into(),
                        Value::Array(images.iter().map(|(w, h)| json!({"width": w, "height": h})).collect()),
                    );
                    g.insert("magiclinks".into(), json!([]));
                }
                g.insert("favicon".into(), json!(format!("{base}/favicon.ico")));
                g.insert("centralidlookupprovider".into(), json!("local"));
                g.insert("allcentralidlookupproviders".into(), json!(["local"]));
                call.ctx.put_bool(&mut g, "interwikimagic", true);
                g.insert("categorycollation".into(), json!("uppercase"));
                call.ctx.put_bool(&mut g, "nofollowlinks", true);
                g.insert("nofollownsexceptions".into(), json!([]));
                g.insert("nofollowdomainexceptions".into(), json!(["mediawiki.org"]));
                call.ctx.put_bool(&mut g, "externallinktarget", false);
                query.insert("general".into(), Value::Object(g));
            }
            "namespaces" => {
                let mut ns = Map::new();
                for (id, name) in canonical_namespaces() {
                    let id = &id;
                    let mut e = Map::new();
                    e.insert("id".into(), json!(id));
                    e.insert("case".into(), json!("first-letter"));
                    let display = if *id == 4 {
                        call.state.config.sitename.clone()
                    } else if *id == 5 {
                        format!("{} talk", call.state.config.sitename)
                    } else {
                        name.to_string()
                    };
                    e.insert(call.ctx.content_key("name").into(), json!(display));
                    call.ctx
                        .put_bool(&mut e, "subpages", matches!(id, 1 | 2 | 3 | 4 | 5 | 7 | 9 | 10 | 11 | 12 | 13 | 15));
                    if *id != 0 {
                        e.insert("canonical".into(), json!(name));
                    }
                    call.ctx.put_bool(&mut e, "content", *id == 0);
                    call.ctx.put_bool(&mut e, "nonincludable", false);
                    ns.insert(id.to_string(), Value::Object(e));
                }
                query.insert("namespaces".into(), Value::Object(ns));
            }
            "namespacealiases" => {
                let key = call.ctx.content_key("alias");
                query.insert(
                    "namespacealiases".into(),
                    json!([{ "id": 6, key: "Image" }, { "id": 7, key: "Image talk" }]),
                );
            }
            "fileextensions" => {
                let mut seen: Vec<String> = Vec::new();
                for e in &cfg.uploads.file_extensions {
                    let e = e.to_lowercase();
                    if !seen.contains(&e) {
                        seen.push(e);
                    }
                }
                query.insert(
                    "fileextensions".into(),
                    Value::Array(seen.into_iter().map(|e| json!({"ext": e})).collect()),
                );
            }
            "extensions" | "skins" | "libraries" | "showhooks" | "protocols" | "functionhooks" | "extensiontags" | "variables"
            | "languages" | "languagevariants" | "specialpagealiases" | "magicwords" | "defaultoptions" | "uploaddialog"
            | "interwikimap" | "dbrepllag" | "rightsinfo" => {
                let v = match prop.as_str() {
                    "dbrepllag" => json!([{"host": crate::envelope::hostname(), "lag": 0}]),
                    "rightsinfo" => json!({"url": "", "text": ""}),
                    "defaultoptions" | "uploaddialog" => json!({}),
                    _ => json!([]),
                };
                query.insert(prop.clone(), v);
            }
            "statistics" => {
                query.insert(
                    "statistics".into(),
                    json!({"pages":0,"articles":0,"edits":0,"images":0,"users":1,"activeusers":0,"admins":1,"jobs":0}),
                );
            }
            "usergroups" => {
                let groups: Vec<Value> = call
                    .state
                    .permissions
                    .iter()
                    .map(|(g, r)| json!({"name": g, "rights": r}))
                    .collect();
                query.insert("usergroups".into(), Value::Array(groups));
            }
            "restrictions" => {
                query.insert(
                    "restrictions".into(),
                    json!({"types":["create","edit","move","upload"],"levels":["","autoconfirmed","sysop"],"cascadinglevels":["sysop"],"semiprotectedlevels":["autoconfirmed"]}),
                );
            }
            // Valid MediaWiki sections this server has no data for are left out.
            _ => {}
        }
    }
    Ok(())
}

/// The pages a page set transcludes (`mwupload_core::wikitext`) as (page id, namespace, DB key), in
/// MediaWiki's (page id, namespace, title) order, `limit` at a time over all pages, resumed by
/// `continue` = "pageid|namespace|title"; and the continue value when more remain. `tl` is
/// prop=templates' spec validated as itself (`tl…`) or as a generator (`gtl…`).
async fn template_links(
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
async fn templates_of_pages(
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
async fn generate_templates(
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
    let mut out: Vec<String> = Vec::new();
    for (_, ns, key) in entries {
        let t = PageTitle { ns, db_key: key }.display();
        if !out.contains(&t) {
            out.push(t);
        }
    }
    Ok(out)
}

/// One revision as prop=revisions shows it (`rvslots` set: content under `slots.main`).
fn revision_json(call: &Call<'_>, rev: &mwupload_store::RevisionRow, props: &[String], slots: bool) -> Map<String, Value> {
    let mut r = Map::new();
    let has = |n: &str| props.iter().any(|x| x == n);
    if has("ids") {
        r.insert("revid".into(), json!(rev.id));
        r.insert("parentid".into(), json!(rev.parent_id));
    }
    if has("user") {
        r.insert("user".into(), json!(rev.user_name));
    }
    if has("userid") {
        r.insert("userid".into(), json!(rev.user_id));
    }
    if has("timestamp") {
        r.insert("timestamp".into(), json!(mwupload_store::time::ts_to_iso(&rev.timestamp)));
    }
    if has("size") {
        r.insert("size".into(), json!(rev.text.len()));
    }
    if has("sha1") {
        r.insert("sha1".into(), json!(rev.sha1));
    }
    if has("contentmodel") && !slots {
        r.insert("contentmodel".into(), json!("wikitext"));
    }
    if has("comment") {
        r.insert("comment".into(), json!(rev.comment));
    }
    if has("tags") {
        r.insert("tags".into(), json!(rev.tags));
    }
    if has("content") {
        if slots {
            let mut main = Map::new();
            main.insert("contentmodel".into(), json!("wikitext"));
            main.insert("contentformat".into(), json!("text/x-wiki"));
            main.insert(call.ctx.content_key("content").into(), json!(rev.text));
            r.insert("slots".into(), json!({"main": main}));
        } else {
            r.insert("contentformat".into(), json!("text/x-wiki"));
            r.insert("contentmodel".into(), json!("wikitext"));
            r.insert(call.ctx.content_key("content").into(), json!(rev.text));
        }
    }
    r
}

/// The pages a query works on: titles (given, from page ids, or generated), and page ids
/// that name no page.
struct PageSet<'a> {
    titles: &'a [String],
    missing_ids: &'a [i64],
    index_page_ids: bool,
}

/// Builds `query.pages` (and `normalized`) for the page set with the requested prop modules.
async fn pages(
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
    // Each requested prop module validates its own parameters, as MediaWiki's do.
    let info = if want("info") { Some(call.validate(&INFO)?) } else { None };
    let in_props: Vec<String> = info.as_ref().map(|v| v.list("prop").to_vec()).unwrap_or_default();
    let ii = if want("imageinfo") {
        Some(call.validate(&IMAGEINFO)?)
    } else {
        None
    };
    let ii_props: Vec<String> = ii.as_ref().map(|v| v.list("prop").to_vec()).unwrap_or_default();
    let ii_limit = match &ii {
        Some(v) => limit_of(call, &IMAGEINFO, v, limits),
        None => 1,
    };
    let ii_start = ii.as_ref().and_then(|v| v.str("start").map(String::from));
    let ii_end = ii.as_ref().and_then(|v| v.str("end").map(String::from));
    let rv = if want("revisions") {
        Some(call.validate(&REVISIONS)?)
    } else {
        None
    };
    let rv_props: Vec<String> = rv.as_ref().map(|v| v.list("prop").to_vec()).unwrap_or_default();
    let rv_slots = rv.as_ref().is_some_and(|v| !v.list("slots").is_empty());
    // rvlimit, rvdir or rvcontinue switch prop=revisions to enumerating one page's history.
    let rv_enumerate = rv.is_some()
        && [
            "rvlimit",
            "rvdir",
            "rvcontinue",
            "rvstartid",
            "rvendid",
            "rvstart",
            "rvend",
            "rvuser",
            "rvexcludeuser",
            "rvtag",
        ]
        .iter()
        .any(|n| call.params.peek(n).is_some());
    if let Some(v) = &rv {
        for (a, b) in [("startid", "start"), ("endid", "end"), ("user", "excludeuser")] {
            if (v.str(a).is_some() || v.int(a).is_some()) && v.str(b).is_some() {
                return Err(ApiError::cannot_use_together(&[v.full_name(a), v.full_name(b)], "query+revisions"));
            }
        }
    }
    let mut existing_enumerated = 0;
    let rv_limit = match &rv {
        Some(v) if rv_enumerate => limit_of(call, &REVISIONS, v, limits),
        _ => 1,
    };
    let templates = if want("templates") {
        Some(templates_of_pages(call, titles, cont, limits).await?)
    } else {
        None
    };
    let df = if want("duplicatefiles") {
        Some(call.validate(&DUPLICATEFILES)?)
    } else {
        None
    };
    let df_limit = match &df {
        Some(v) => limit_of(call, &DUPLICATEFILES, v, limits),
        None => 10,
    };
    // imageinfo continues into older versions only when the set holds exactly one file page,
    // so counting stops at two.
    let mut existing_file_pages = 0;
    if ii.is_some() {
        for raw in titles {
            if let Some(t) = parse_title(raw).filter(|t| t.ns == 6)
                && call.state.meta.page(6, &t.db_key).await?.is_some()
            {
                existing_file_pages += 1;
                if existing_file_pages > 1 {
                    break;
                }
            }
        }
    }
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
        if want("info") {
            m.insert("contentmodel".into(), json!("wikitext"));
            m.insert("pagelanguage".into(), json!("en"));
            m.insert("pagelanguagehtmlcode".into(), json!("en"));
            m.insert("pagelanguagedir".into(), json!("ltr"));
            if let (Some(pg), Some(rev)) = (&page, &latest) {
                m.insert("touched".into(), json!(mwupload_store::time::ts_to_iso(&pg.touched)));
                m.insert("lastrevid".into(), json!(rev.id));
                m.insert("length".into(), json!(rev.text.len()));
                if rev.parent_id == 0 {
                    // Only one revision so far.
                    m.insert("new".into(), call.ctx.true_value());
                }
            }
            if in_props.iter().any(|x| x == "protection") {
                m.insert("protection".into(), json!([]));
                let types = if page.is_some() {
                    if t.ns == 6 {
                        json!(["edit", "move", "upload"])
                    } else {
                        json!(["edit", "move"])
                    }
                } else if t.ns == 6 {
                    json!(["create", "upload"])
                } else {
                    json!(["create"])
                };
                m.insert("restrictiontypes".into(), types);
            }
            if in_props.iter().any(|x| x == "watched") && call.caller.is_logged_in() {
                let w = call.state.meta.is_watched(call.caller.user_id(), t.ns, &t.db_key).await?;
                call.ctx.put_bool(&mut m, "watched", w);
            }
            if in_props.iter().any(|x| x == "url") {
                let url = format!(
                    "{}/w/index.php?title={}",
                    call.ctx.base_url,
                    crate::imageinfo::title_url_encode(&display.replace(' ', "_"))
                );
                m.insert("fullurl".into(), json!(url));
                m.insert("editurl".into(), json!(format!("{url}&action=edit")));
                m.insert("canonicalurl".into(), json!(url));
            }
        }
        if let (Some(rv), Some(pg)) = (&rv, &page) {
            if rv_enumerate {
                existing_enumerated += 1;
                if existing_enumerated > 1 {
                    // Only existing pages count, as in MediaWiki.
                    return Err(ApiError::new(
                        "invalidparammix",
                        "titles, pageids or a generator was used to supply multiple pages, but the rvlimit, rvstartid, rvendid, rvdir=newer, rvuser, rvexcludeuser, rvstart, and rvend parameters may only be used when working on a single page.",
                    )
                    .module("query+revisions"));
                }
            }
            let revs = if rv_enumerate {
                // Enumeration mode (one page): rvlimit revisions from rvcontinue, in rvdir order.
                let from = rv
                    .str("continue")
                    .and_then(|c| c.rsplit('|').next())
                    .and_then(|id| id.parse::<i64>().ok());
                let (user, exclude_user) = (
                    rv.str("user").map(|u| u.replace('_', " ")),
                    rv.str("excludeuser").map(|u| u.replace('_', " ")),
                );
                let q = mwupload_store::RevisionQuery {
                    page_id: pg.id,
                    newest_first: rv.str("dir") != Some("newer"),
                    from_id: from,
                    start_id: rv.int("startid"),
                    end_id: rv.int("endid"),
                    start: rv.str("start"),
                    end: rv.str("end"),
                    user: user.as_deref(),
                    exclude_user: exclude_user.as_deref(),
                    tag: rv.str("tag"),
                    limit: rv_limit + 1,
                };
                let mut rows = call.state.meta.page_revisions(&q).await?;
                if rows.len() as i64 > rv_limit
                    && let Some(next) = rows.pop()
                {
                    cont.set("revisions", "rvcontinue", format!("{}|{}", next.timestamp, next.id));
                }
                rows
            } else {
                latest.iter().cloned().collect()
            };
            let list: Vec<Value> = revs
                .iter()
                .map(|rev| Value::Object(revision_json(call, rev, &rv_props, rv_slots)))
                .collect();
            if !list.is_empty() {
                m.insert("revisions".into(), Value::Array(list));
            }
        }
        if let (Some(by_page), Some(pg)) = (&templates, &page)
            && let Some(list) = by_page.get(&pg.id)
        {
            let list: Vec<Value> = list
                .iter()
                .map(|(ns, key)| json!({"ns": ns, "title": PageTitle { ns: *ns, db_key: key.clone() }.display()}))
                .collect();
            m.insert("templates".into(), Value::Array(list));
        }
        if let Some(df) = &df
            && t.ns == 6
            && let Some(cur) = call.state.meta.current_file(&t.db_key).await?
        {
            // dfcontinue is "Title|Name": resume this page after that duplicate.
            let after = df
                .str("continue")
                .and_then(|c| c.split_once('|'))
                .filter(|(page, _)| *page == t.db_key)
                .map(|(_, name)| name.to_string());
            let descending = df.str("dir") == Some("descending");
            let mut names: Vec<FileVersion> = call
                .state
                .meta
                .list_files_by_sha1(&cur.sha1, 5001)
                .await?
                .into_iter()
                .filter(|o| o.name != cur.name)
                .collect();
            names.sort_by(|a, b| if descending { b.name.cmp(&a.name) } else { a.name.cmp(&b.name) });
            let mut dupes = Vec::new();
            for other in names.iter().filter(|o| match &after {
                Some(a) if descending => o.name < *a,
                Some(a) => o.name > *a,
                None => true,
            }) {
                if dupes.len() as i64 >= df_limit {
                    if let Some(Value::Object(last)) = dupes.last()
                        && let Some(name) = last.get("name").and_then(Value::as_str)
                    {
                        cont.set("duplicatefiles", "dfcontinue", format!("{}|{}", t.db_key, name));
                    }
                    break;
                }
                let mut d = Map::new();
                d.insert("name".into(), json!(other.name));
                d.insert("timestamp".into(), json!(mwupload_store::time::ts_to_iso(&other.timestamp)));
                call.ctx.put_bool(&mut d, "shared", false);
                d.insert("user".into(), json!(other.user_name));
                dupes.push(Value::Object(d));
            }
            if !dupes.is_empty() {
                m.insert("duplicatefiles".into(), Value::Array(dupes));
            }
        }
        if want("imageinfo") && t.ns == 6 {
            let current = call.state.meta.current_file(&t.db_key).await?;
            match current {
                Some(cur) => {
                    m.insert("imagerepository".into(), json!("local"));
                    let mut versions: Vec<FileVersion> = vec![cur];
                    versions.extend(call.state.meta.old_versions(&t.db_key).await?);
                    let selected: Vec<&FileVersion> = versions
                        .iter()
                        .filter(|v| ii_start.as_ref().map(|s| v.timestamp <= *s).unwrap_or(true))
                        .filter(|v| ii_end.as_ref().map(|e| v.timestamp >= *e).unwrap_or(true))
                        .collect();
                    let mut list = Vec::new();
                    for (i, v) in selected.iter().enumerate() {
                        if i as i64 >= ii_limit {
                            // Older versions continue only when one file is asked for.
                            if existing_file_pages == 1 {
                                cont.set("imageinfo", "iistart", mwupload_store::time::ts_to_iso(&v.timestamp));
                            }
                            break;
                        }
                        let pid = page.as_ref().map(|p| p.id);
                        list.push(Value::Object(imageinfo::for_version(&call.ctx, v, &ii_props, pid)));
                    }
                    m.insert("imageinfo".into(), Value::Array(list));
                }
                None => {
                    m.insert("imagerepository".into(), json!(""));
                }
            }
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

async fn stash_image_info(call: &mut Call<'_>, query: &mut Map<String, Value>) -> ApiResult<()> {
    if !call.caller.is_logged_in() {
        return Err(ApiError::new("notloggedin", "You must be logged in to access the upload stash.").module("query+stashimageinfo"));
    }
    let v = call.validate(&STASHIMAGEINFO)?;
    let mut keys = v.list("filekey").to_vec();
    keys.extend(v.list("sessionkey").iter().cloned());
    let props = v.list("prop").to_vec();
    let mut list = Vec::new();
    for key in keys {
        let row = mwupload_core::upload::stash::load_owned(call.state, &call.caller, &key)
            .await
            .map_err(|e| crate::upload_wire::error(call.state, &e).module("query+stashimageinfo"))?;
        list.push(Value::Object(imageinfo::for_stash(&call.ctx, &row, &props)));
    }
    query.insert("stashimageinfo".into(), Value::Array(list));
    Ok(())
}

async fn all_images(
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
    let mut list = Vec::new();
    for v in &rows {
        let mut m = Map::new();
        m.insert("name".into(), json!(v.name));
        let page_id = call.state.meta.page(6, &v.name).await?.map(|pg| pg.id);
        for (k, val) in imageinfo::for_version(&call.ctx, v, &props, page_id) {
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
async fn generate_all_images(call: &mut Call<'_>, cont: &mut Continuation, limits: &mut Map<String, Value>) -> ApiResult<Vec<String>> {
    let p = call.validate_prefixed(&ALLIMAGES, "gai")?;
    let (rows, next) = all_images_rows(call, &p, limits).await?;
    if let Some(next) = next {
        cont.set_generator("gaicontinue", next);
    }
    Ok(rows.iter().map(|v| format!("File:{}", v.name.replace('_', " "))).collect())
}

/// A `sha1`/`sha1base36` filter as lowercase hex, validated as MediaWiki does.
fn sha1_filter(p: &Values, module: &str) -> ApiResult<Option<String>> {
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
async fn all_images_rows(call: &Call<'_>, p: &Values, limits: &mut Map<String, Value>) -> ApiResult<(Vec<FileVersion>, Option<String>)> {
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
    let key = |s: &str| title::file_db_key(s).unwrap_or_else(|| s.to_string());
    let (from, to, prefix) = (p.str("from").map(key), p.str("to").map(key), p.str("prefix").map(key));
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

async fn file_archive(
    call: &mut Call<'_>,
    query: &mut Map<String, Value>,
    cont: &mut Continuation,
    limits: &mut Map<String, Value>,
) -> ApiResult<()> {
    if !call.caller.has("deletedhistory") {
        return Err(
            ApiError::new("permissiondenied", "You don't have permission to view deleted file descriptions.").module("filearchive"),
        );
    }
    let p = call.validate(&FILEARCHIVE)?;
    let limit = limit_of(call, &FILEARCHIVE, &p, limits);
    let props = p.list("prop").to_vec();
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
        if has("description") {
            m.insert("description".into(), json!(v.description));
        }
        if has("mime") {
            m.insert("mime".into(), json!(v.mime));
        }
        if has("mediatype") {
            m.insert("mediatype".into(), json!(v.media_type));
        }
        if has("bitdepth") {
            m.insert("bitdepth".into(), json!(v.bits));
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

async fn log_events(
    call: &mut Call<'_>,
    query: &mut Map<String, Value>,
    cont: &mut Continuation,
    limits: &mut Map<String, Value>,
) -> ApiResult<()> {
    let p = call.validate(&LOGEVENTS)?;
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
    let bad_title = |t: &str| ApiError::new("invalidtitle", format!("Bad title \"{t}\".")).module(module);
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
            m.insert("parsedcomment".into(), json!(crate::envelope::html_escape(&r.comment)));
        }
        if has("tags") {
            m.insert("tags".into(), json!(r.tags));
        }
        list.push(Value::Object(m));
    }
    query.insert("logevents".into(), Value::Array(list));
    Ok(())
}

async fn watchlist_raw(
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
            Some(t) => parse_title(t)
                .map(Some)
                .ok_or_else(|| ApiError::new("invalidtitle", format!("Bad title \"{t}\".")).module(module)),
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

// ------------------------------------------------------------------ specs
// The query module and its submodules, in MediaWiki 1.39 parameter order. `generator: true`
// only where the module runs as a generator here (allimages, templates), which is what
// `generator=` accepts.

pub static SPEC: ModuleSpec = ModuleSpec {
    path: "query",
    class: "ApiQuery",
    group: Some(Group::Action),
    read_rights: true,
    help: "Fetch data: page sets (titles) with prop modules, list modules, meta modules.",
    params: &[
        param("prop", Type::Modules(Modules::Group(Group::Prop))).submodule_map().multi(),
        param("list", Type::Modules(Modules::Group(Group::List))).submodule_map().multi(),
        param("meta", Type::Modules(Modules::Group(Group::Meta))).submodule_map().multi(),
        param("indexpageids", Type::Boolean),
        param("iwurl", Type::Boolean).inert(),
        param("continue", Type::String).help("Echo the continue value of the previous answer (continuation)."),
        param("titles", Type::String).multi(),
        param("pageids", Type::Integer { min: None, max: None }).multi(),
        param("generator", Type::Modules(Modules::Generators))
            .submodule_map()
            .submodule_prefix("g"),
        param("redirects", Type::Boolean).inert(),
        param("converttitles", Type::Boolean).inert(),
    ],
    ..ModuleSpec::BASE
};

pub static TOKENS: ModuleSpec = ModuleSpec {
    path: "query+tokens",
    class: "ApiQueryTokens",
    group: Some(Group::Meta),
    help: "Tokens for data-modifying actions (csrf for uploads; login for login).",
    params: &[param(
        "type",
        Type::Enum(&["createaccount", "csrf", "login", "patrol", "rollback", "userrights", "watch"]),
    )
    .default("csrf")
    .multi()
    .all("*")],
    ..ModuleSpec::BASE
};

pub static USERINFO: ModuleSpec = ModuleSpec {
    path: "query+userinfo",
    class: "ApiQueryUserInfo",
    group: Some(Group::Meta),
    prefix: "ui",
    read_rights: true,
    help: "The current user: name, id, groups, rights.",
    params: &[param(
        "prop",
        Type::Enum(&[
            "acceptlang",
            "blockinfo",
            "centralids",
            "changeablegroups",
            "editcount",
            "email",
            "groupmemberships",
            "groups",
            "hasmsg",
            "implicitgroups",
            "latestcontrib",
            "options",
            "ratelimits",
            "realname",
            "registrationdate",
            "rights",
            "theoreticalratelimits",
            "unreadcount",
        ]),
    )
    .multi()
    .all("*")],
    ..ModuleSpec::BASE
};

pub static SITEINFO: ModuleSpec = ModuleSpec {
    path: "query+siteinfo",
    class: "ApiQuerySiteinfo",
    group: Some(Group::Meta),
    prefix: "si",
    read_rights: true,
    help: "Site information: general (maxuploadsize, minuploadchunksize…), namespaces, fileextensions…",
    params: &[
        param(
            "prop",
            Type::Enum(&[
                "dbrepllag",
                "defaultoptions",
                "extensions",
                "extensiontags",
                "fileextensions",
                "functionhooks",
                "general",
                "interwikimap",
                "languages",
                "languagevariants",
                "libraries",
                "magicwords",
                "namespacealiases",
                "namespaces",
                "protocols",
                "restrictions",
                "rightsinfo",
                "showhooks",
                "skins",
                "specialpagealiases",
                "statistics",
                "uploaddialog",
                "usergroups",
                "variables",
            ]),
        )
        .default("general")
        .multi(),
        param("showalldb", Type::Boolean).inert(),
        param("numberingroup", Type::Boolean).inert(),
        param("inlanguagecode", Type::String).inert(),
    ],
    ..ModuleSpec::BASE
};

pub static INFO: ModuleSpec = ModuleSpec {
    path: "query+info",
    class: "ApiQueryInfo",
    group: Some(Group::Prop),
    prefix: "in",
    read_rights: true,
    help: "Basic page information (existence, protection, watched, URLs).",
    params: &[param(
        "prop",
        Type::Enum(&[
            "associatedpage",
            "displaytitle",
            "linkclasses",
            "notificationtimestamp",
            "preload",
            "protection",
            "subjectid",
            "talkid",
            "url",
            "varianttitles",
            "visitingwatchers",
            "watched",
            "watchers",
            "readable",
        ]),
    )
    .multi()
    .deprecated_values(&["readable"])],
    ..ModuleSpec::BASE
};

pub static IMAGEINFO: ModuleSpec = ModuleSpec {
    path: "query+imageinfo",
    class: "ApiQueryImageInfo",
    group: Some(Group::Prop),
    prefix: "ii",
    read_rights: true,
    help: "File information and upload history: sha1, size, dimensions, mime, url, metadata…",
    params: &[
        param(
            "prop",
            Type::Enum(&[
                "archivename",
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
                "thumbmime",
                "timestamp",
                "uploadwarning",
                "url",
                "user",
                "userid",
            ]),
        )
        .default("timestamp|user")
        .multi(),
        param("limit", Type::Limit { max: 500, highmax: 5000 }).default("1"),
        param("start", Type::Timestamp),
        param("end", Type::Timestamp),
        param("urlwidth", Type::Integer { min: None, max: None }).default("-1").inert(),
        param("urlheight", Type::Integer { min: None, max: None }).default("-1").inert(),
        param("metadataversion", Type::String).default("1").inert(),
        param("extmetadatalanguage", Type::String).default("en").inert(),
        param("extmetadatamultilang", Type::Boolean).inert(),
        param("extmetadatafilter", Type::String).multi().inert(),
        param("urlparam", Type::String).default("").inert(),
        param("badfilecontexttitle", Type::String).inert(),
        param("continue", Type::String).inert(),
        param("localonly", Type::Boolean).inert(),
    ],
    ..ModuleSpec::BASE
};

pub static REVISIONS: ModuleSpec = ModuleSpec {
    path: "query+revisions",
    class: "ApiQueryRevisions",
    group: Some(Group::Prop),
    prefix: "rv",
    read_rights: true,
    help: "Page revisions: the latest, or with rvlimit/rvdir/rvcontinue the history of one page.",
    params: &[
        param(
            "prop",
            Type::Enum(&[
                "comment",
                "content",
                "contentmodel",
                "flags",
                "ids",
                "parsedcomment",
                "roles",
                "sha1",
                "size",
                "slotsha1",
                "slotsize",
                "tags",
                "timestamp",
                "user",
                "userid",
                "parsetree",
            ]),
        )
        .default("ids|timestamp|flags|comment|user")
        .multi()
        .deprecated_values(&["parsetree"]),
        param("slots", Type::Enum(&["main"])).multi().all("*"),
        param("limit", Type::Limit { max: 500, highmax: 5000 }).info(&["singlepageonly"]),
        param("startid", Type::Integer { min: None, max: None }).info(&["singlepageonly"]),
        param("endid", Type::Integer { min: None, max: None }).info(&["singlepageonly"]),
        param("start", Type::Timestamp).info(&["singlepageonly"]),
        param("end", Type::Timestamp).info(&["singlepageonly"]),
        param("dir", Type::Enum(&["newer", "older"]))
            .default("older")
            .info(&["singlepageonly"]),
        param("user", Type::User(&["name", "ip", "interwiki", "id"])).info(&["singlepageonly"]),
        param("excludeuser", Type::User(&["name", "ip", "interwiki", "id"])).info(&["singlepageonly"]),
        param("tag", Type::String),
        param("continue", Type::String),
    ],
    ..ModuleSpec::BASE
};

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

pub static STASHIMAGEINFO: ModuleSpec = ModuleSpec {
    path: "query+stashimageinfo",
    class: "ApiQueryStashImageInfo",
    group: Some(Group::Prop),
    prefix: "sii",
    read_rights: true,
    help: "Information about stashed files (your own only).",
    params: &[
        param("filekey", Type::String).multi(),
        param("sessionkey", Type::String).multi().deprecated(),
        param(
            "prop",
            Type::Enum(&[
                "badfile",
                "bitdepth",
                "canonicaltitle",
                "commonmetadata",
                "dimensions",
                "extmetadata",
                "metadata",
                "mime",
                "sha1",
                "size",
                "thumbmime",
                "timestamp",
                "url",
            ]),
        )
        .default("timestamp|url")
        .multi(),
        param("urlwidth", Type::Integer { min: None, max: None }).default("-1").inert(),
        param("urlheight", Type::Integer { min: None, max: None }).default("-1").inert(),
        param("urlparam", Type::String).default("").inert(),
    ],
    ..ModuleSpec::BASE
};

pub static DUPLICATEFILES: ModuleSpec = ModuleSpec {
    path: "query+duplicatefiles",
    class: "ApiQueryDuplicateFiles",
    group: Some(Group::Prop),
    prefix: "df",
    read_rights: true,
    help: "Files with the same SHA-1 as the given files.",
    params: &[
        param("limit", Type::Limit { max: 500, highmax: 5000 }).default("10"),
        param("continue", Type::String),
        param("dir", Type::Enum(&["ascending", "descending"])).default("ascending"),
        param("localonly", Type::Boolean).inert(),
    ],
    ..ModuleSpec::BASE
};

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
