//! `action=paraminfo` describes every module the server runs (pywikibot asserts that main's
//! `action` type list equals its submodules), and `action=help` renders the same descriptions.

mod common;
use common::*;
use serde_json::Value;

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
    let html = c
        .http
        .get(&c.api)
        .query(&[("action", "help")])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for needle in [
        "id=\"upload\"",
        "<code>filekey</code>",
        "<code>iiprop</code>",
        "Needs a <code>csrf</code> token",
    ] {
        assert!(html.contains(needle), "help lacks {needle}");
    }
}
