//! EXIF metadata of JPEG and TIFF files as MediaWiki 1.39 extracts it (issue 14): every file
//! recorded by scripts/record_exif_transcripts.py (tests/fixtures/refwiki-exif.json) is
//! uploaded to a fresh server, and the upload result's imageinfo and each recorded
//! `prop=imageinfo` query (`iimetadataversion` latest and 1, formatversion 1 and 2) must equal
//! MediaWiki's answer after normalization, members in the same order.

mod common;
use base64::Engine;
use common::*;
use serde_json::Value;

fn cases() -> Vec<Value> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/refwiki-exif.json")).unwrap();
    serde_json::from_str::<Vec<Value>>(&text).unwrap()
}

/// The first page's first imageinfo object of a query answer (pages keyed by id in
/// formatversion 1, a list in 2).
fn first_info(body: &Value) -> Value {
    let pages = &body["query"]["pages"];
    let page = match pages {
        Value::Object(m) => m.values().next().cloned().unwrap_or(Value::Null),
        Value::Array(a) => a.first().cloned().unwrap_or(Value::Null),
        _ => Value::Null,
    };
    page["imageinfo"][0].clone()
}

/// The members an upload result's imageinfo shares with the recorded one (the rest, user and
/// URLs, is covered elsewhere).
fn upload_subset(info: &Value) -> Value {
    let mut m = serde_json::Map::new();
    for k in [
        "size",
        "width",
        "height",
        "metadata",
        "commonmetadata",
        "extmetadata",
        "mime",
        "mediatype",
        "bitdepth",
    ] {
        if let Some(v) = info.get(k) {
            m.insert(k.into(), v.clone());
        }
    }
    Value::Object(m)
}

fn compare(what: &str, ours: &Value, want: &Value, failures: &mut Vec<String>) {
    let (o, w) = (normalize(ours), normalize(want));
    let (os, ws) = (serde_json::to_string(&o).unwrap(), serde_json::to_string(&w).unwrap());
    if os != ws {
        failures.push(format!("{what}\n  ours: {os}\n  want: {ws}"));
    }
}

#[tokio::test]
async fn exif_metadata_matches_mediawiki() {
    let srv = Server::start();
    let c = srv.bot().await;
    let mut failures = Vec::new();
    let all = cases();
    assert!(all.len() >= 10, "the fixture holds the recorded files");
    for case in &all {
        let name = case["name"].as_str().unwrap();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(case["bytes"].as_str().unwrap())
            .unwrap();
        let r = c.upload(name, &bytes, &[("comment", "exif"), ("ignorewarnings", "1")]).await;
        assert_eq!(r["upload"]["result"], "Success", "{name}: {r}");
        compare(
            &format!("{name}: upload imageinfo"),
            &upload_subset(&r["upload"]["imageinfo"]),
            &upload_subset(&case["upload_imageinfo"]),
            &mut failures,
        );
        for q in case["imageinfo"].as_array().unwrap() {
            let mut params: Vec<(String, String)> = q["params"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                .collect();
            params.push(("titles".into(), format!("File:{name}")));
            let p: Vec<(&str, &str)> = params.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let body = c.get(&p).await;
            compare(
                &format!(
                    "{name}: imageinfo metadataversion={} formatversion={}",
                    q["params"]["iimetadataversion"], q["params"]["formatversion"]
                ),
                &first_info(&body),
                &first_info(&q["response"]),
                &mut failures,
            );
        }
    }
    assert!(failures.is_empty(), "{} differences:\n{}", failures.len(), failures.join("\n"));
}

/// The default `iimetadataversion` is 1: a JPEG comment list is flattened to its only item.
#[tokio::test]
async fn default_metadata_version_is_one() {
    let srv = Server::start();
    let c = srv.bot().await;
    let case = cases()
        .into_iter()
        .find(|c| {
            c["name"]
                .as_str()
                .is_some_and(|n| n.ends_with("-comment.jpg") && !n.contains("1252") && !n.contains("white"))
        })
        .unwrap();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(case["bytes"].as_str().unwrap())
        .unwrap();
    let up = c.upload("Exif-default.jpg", &bytes, &[]).await;
    assert_eq!(up["upload"]["result"], "Success", "{up}");
    let r = c.imageinfo("Exif-default.jpg", "metadata", "1").await;
    let meta = &r["query"]["pages"][0]["imageinfo"][0]["metadata"];
    assert!(meta.is_array(), "{r}");
    let get = |k: &str| meta.as_array().unwrap().iter().find(|m| m["name"] == k).map(|m| m["value"].clone());
    assert_eq!(get("JPEGFileComment"), Some(Value::from("A JPEG comment")), "{meta}");
    assert_eq!(get("MEDIAWIKI_EXIF_VERSION"), Some(Value::from(1)), "{meta}");
}
