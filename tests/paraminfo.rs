//! `action=paraminfo` describes every module the server runs (pywikibot asserts that main's
//! `action` type list equals its submodules), and `action=help` renders the same descriptions.

mod common;
use common::*;
use serde_json::Value;

async fn help_page(c: &Client, params: Params<'_>) -> String {
    c.http.get(&c.api).query(params).send().await.unwrap().text().await.unwrap()
}

#[tokio::test]
async fn paraminfo_covers_every_module_and_help_renders_it() {
    let srv = Server::start();
    let c = srv.client();
    let r = c
        .get(&[("action", "paraminfo"), ("modules", "main|paraminfo|query"), ("format", "json")])
        .await;
    let modules = r["paraminfo"]["modules"].as_array().unwrap();
    let main = &modules[0];
    let action = main["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "action")
        .unwrap();
    let types: Vec<String> = action["type"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    let mut subs: Vec<String> = action["submodules"].as_object().unwrap().keys().cloned().collect();
    subs.sort();
    let mut sorted = types.clone();
    sorted.sort();
    assert_eq!(sorted, subs, "action type list and submodules must be equal");
    // Every action and every query submodule is described, without "unrecognized" warnings.
    let query = &modules[2];
    let mut paths = types.clone();
    for p in query["parameters"].as_array().unwrap() {
        if let Some(Value::Object(m)) = p.get("submodules") {
            paths.extend(m.values().map(|v| v.as_str().unwrap().to_string()));
        }
    }
    // `generator` lists modules that `list` already does.
    paths.sort();
    paths.dedup();
    let joined = paths.join("|");
    let all = c
        .get(&[
            ("action", "paraminfo"),
            ("modules", &joined),
            ("format", "json"),
            ("formatversion", "2"),
        ])
        .await;
    assert!(all.get("warnings").is_none(), "{}", all["warnings"]);
    assert_eq!(all["paraminfo"]["modules"].as_array().unwrap().len(), paths.len());
    // Every action module the server answers is in the list, and nothing else is.
    for a in &types {
        let resp = c
            .http
            .get(&c.api)
            .query(&[("action", a.as_str()), ("format", "json")])
            .send()
            .await
            .unwrap();
        let code = resp.headers().get("mediawiki-api-error").map(|v| v.to_str().unwrap().to_string());
        assert_ne!(code.as_deref(), Some("badvalue"), "action={a} listed but unknown");
    }
    let upload = all["paraminfo"]["modules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "upload")
        .unwrap()
        .clone();
    let token = upload["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "token")
        .unwrap();
    assert_eq!(token["tokentype"], "csrf");
    assert_eq!(upload["mustbeposted"], true);
    // Golden shapes from the reference wiki for the parts clients read.
    let golden: Value = serde_json::from_str(include_str!("fixtures/paraminfo-minimal.json")).unwrap();
    let tokens = &golden["query+tokens"]["paraminfo"]["modules"][0]["parameters"][0]["type"];
    let ours = c
        .get(&[("action", "paraminfo"), ("modules", "query+tokens"), ("format", "json")])
        .await;
    assert_eq!(&ours["paraminfo"]["modules"][0]["parameters"][0]["type"], tokens);
    let ii = c
        .get(&[("action", "paraminfo"), ("modules", "query+imageinfo"), ("format", "json")])
        .await;
    assert_eq!(ii["paraminfo"]["modules"][0]["prefix"], "ii");
    let limit = ii["paraminfo"]["modules"][0]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "limit")
        .unwrap()
        .clone();
    assert_eq!((limit["max"].as_i64(), limit["highmax"].as_i64()), (Some(500), Some(5000)));
    // Help: one readable page with every module's parameters.
    let html = help_page(&c, &[("action", "help")]).await;
    for needle in [
        "id=\"upload\"",
        "<code>filekey</code>",
        "<code>iiprop</code>",
        "Needs a <code>csrf</code> token",
    ] {
        assert!(html.contains(needle), "help lacks {needle}");
    }
    // One module's page, from the same spec: its parameters, their types and defaults.
    let upload_help = help_page(&c, &[("action", "help"), ("modules", "upload")]).await;
    assert!(upload_help.contains("id=\"upload\""));
    assert!(!upload_help.contains("id=\"query\""), "only the asked module");
    assert!(upload_help.contains("one of: nochange, preferences, watch"));
    assert!(upload_help.contains("Deprecated."));
    let main_help = help_page(&c, &[]).await;
    assert!(main_help.contains("Accepted, no effect."), "inert parameters are marked");
}

/// Differences from MediaWiki that are by design, as (module path, parameter, member):
/// the lists of submodules (this server runs fewer modules; only allimages as a generator).
const KNOWN_DIFFERENCES: &[(&str, &str, &str)] = &[
    ("main", "action", "type"),
    ("main", "action", "submodules"),
    ("main", "action", "internalvalues"),
    ("main", "format", "type"),
    ("main", "format", "submodules"),
    ("query", "prop", "type"),
    ("query", "prop", "submodules"),
    ("query", "list", "type"),
    ("query", "list", "submodules"),
    ("query", "list", "deprecatedvalues"),
    ("query", "meta", "type"),
    ("query", "meta", "submodules"),
    ("query", "generator", "type"),
    ("query", "generator", "submodules"),
    ("purge", "generator", "type"),
    ("purge", "generator", "submodules"),
    ("paraminfo", "querymodules", "type"),
    ("paraminfo", "formatmodules", "type"),
];

/// Every module this server runs describes itself as MediaWiki 1.39.17 does
/// (tests/fixtures/refwiki-paraminfo.json and, in formatversion 1 as pywikibot reads it,
/// refwiki-paraminfo-fv1.json; recorded by scripts/record_validation_transcripts.py):
/// module flags, and for each parameter we declare, its place in MediaWiki's order and every
/// member (type, default, required, multi and limits, min/max, deprecation, token type…).
#[tokio::test]
async fn paraminfo_matches_the_reference_parameter_by_parameter() {
    // The reference wiki's $wgMaxUploadSize, so `filesize`'s max compares too.
    let srv = Server::start_with_config("[uploads]\nmax_upload_size = 4294967296\n");
    let c = srv.client();
    let mut diffs = Vec::new();
    for (fv, recorded) in [
        ("2", include_str!("fixtures/refwiki-paraminfo.json")),
        ("1", include_str!("fixtures/refwiki-paraminfo-fv1.json")),
    ] {
        let reference: Value = serde_json::from_str(recorded).unwrap();
        compare_paraminfo(&c, fv, reference["paraminfo"]["modules"].as_array().unwrap(), &mut diffs).await;
    }
    assert!(diffs.is_empty(), "paraminfo differs from MediaWiki 1.39:\n{}", diffs.join("\n"));
}

async fn compare_paraminfo(c: &Client, fv: &str, reference: &[Value], diffs: &mut Vec<String>) {
    let paths: Vec<&str> = reference.iter().map(|m| m["path"].as_str().unwrap()).collect();
    let ours = c
        .get(&[
            ("action", "paraminfo"),
            ("modules", &paths.join("|")),
            ("format", "json"),
            ("formatversion", fv),
        ])
        .await;
    assert!(ours.get("warnings").is_none(), "{}", ours["warnings"]);
    let ours = ours["paraminfo"]["modules"].as_array().unwrap();
    assert_eq!(ours.len(), reference.len());
    for (mine, theirs) in ours.iter().zip(reference) {
        let path = theirs["path"].as_str().unwrap();
        assert_eq!(mine["path"], path);
        for key in [
            "name",
            "classname",
            "group",
            "prefix",
            "readrights",
            "writerights",
            "mustbeposted",
            "dynamicparameters",
        ] {
            if mine.get(key) != theirs.get(key) {
                diffs.push(format!(
                    "fv{fv} {path}.{key}: ours {:?}, MediaWiki {:?}",
                    mine.get(key),
                    theirs.get(key)
                ));
            }
        }
        // `generator: true` only where this server runs the module as a generator.
        if mine.get("generator").is_some() && mine.get("generator") != theirs.get("generator") {
            diffs.push(format!("fv{fv} {path}.generator differs"));
        }
        let their_params = theirs["parameters"].as_array().unwrap();
        let mut last_index = 0;
        for p in mine["parameters"].as_array().unwrap() {
            let name = p["name"].as_str().unwrap();
            let Some(t) = their_params.iter().find(|t| t["name"] == name) else {
                diffs.push(format!("fv{fv} {path}.{name}: not a MediaWiki 1.39 parameter"));
                continue;
            };
            let index = t["index"].as_u64().unwrap();
            if index <= last_index {
                diffs.push(format!("fv{fv} {path}.{name}: out of MediaWiki's order"));
            }
            last_index = index;
            let (pm, tm) = (p.as_object().unwrap(), t.as_object().unwrap());
            let keys: std::collections::BTreeSet<&String> = pm.keys().chain(tm.keys()).filter(|k| *k != "index").collect();
            for key in keys {
                if pm.get(key) != tm.get(key) && !KNOWN_DIFFERENCES.contains(&(path, name, key.as_str())) {
                    diffs.push(format!(
                        "fv{fv} {path}.{name}.{key}: ours {:?}, MediaWiki {:?}",
                        pm.get(key),
                        tm.get(key)
                    ));
                }
            }
            // Same members in the same order (clients may rely on neither, but we match anyway).
            let order = |m: &serde_json::Map<String, Value>| m.keys().filter(|k| *k != "index").cloned().collect::<Vec<_>>();
            if !KNOWN_DIFFERENCES.iter().any(|(mp, pn, _)| *mp == path && *pn == name) && order(pm) != order(tm) {
                diffs.push(format!("fv{fv} {path}.{name}: member order {:?} vs {:?}", order(pm), order(tm)));
            }
        }
    }
}
