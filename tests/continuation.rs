//! Query continuation (MediaWiki's ApiContinuationManager) and `generator=allimages`, replayed
//! from the reference wiki: `tests/fixtures/refwiki-continuation.json`, recorded from MediaWiki
//! 1.39.17 by `scripts/record_continuation_transcripts.py` (last confirmed 2026-11-29).
//! Each query that follows another merges the previous answer's `continue` object into its
//! parameters, as pywikibot and mwclient do, so skipped modules, repeated batches and
//! `batchcomplete` are checked across whole walks.

mod common;
use common::*;
use serde_json::Value;

#[tokio::test]
async fn continuation_and_generators_match_the_reference_recording() {
    let steps: Vec<Value> = serde_json::from_str(include_str!("fixtures/refwiki-continuation.json")).unwrap();
    let srv = Server::start();
    let c = srv.bot().await;
    let mut prev = Value::Null;
    let mut failures = Vec::new();
    let mut compared = 0;
    for step in &steps {
        if let Some(secs) = step["sleep"].as_f64() {
            tokio::time::sleep(std::time::Duration::from_secs_f64(secs)).await;
            continue;
        }
        if let Some(title) = step["edit"].as_str() {
            let text = step["text"].as_str().unwrap();
            let r = c
                .post(&[
                    ("action", "edit"),
                    ("title", title),
                    ("text", text),
                    ("token", &c.csrf),
                    ("format", "json"),
                ])
                .await;
            assert_eq!(r["edit"]["result"], "Success", "{r}");
            continue;
        }
        if let Some(title) = step["delete"].as_str() {
            let r = c
                .post(&[("action", "delete"), ("title", title), ("token", &c.csrf), ("format", "json")])
                .await;
            assert!(r.get("delete").is_some(), "{r}");
            continue;
        }
        if let Some(name) = step["upload"].as_str() {
            let dims: Vec<u64> = step["png"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
            let bytes = png(dims[0] as u32, dims[1] as u32, dims[2]);
            let r = c.upload(name, &bytes, &[("ignorewarnings", "1")]).await;
            assert_eq!(r["upload"]["result"], "Success", "{r}");
            continue;
        }
        let name = step["name"].as_str().unwrap();
        let mut params: Vec<(String, String)> = step["params"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
            .collect();
        for (k, v) in [("action", "query"), ("format", "json"), ("formatversion", "2")] {
            params.push((k.into(), v.into()));
        }
        if step["follow"] == true {
            for (k, v) in prev["continue"].as_object().unwrap_or_else(|| panic!("{name}: nothing to follow")) {
                params.retain(|(p, _)| p != k);
                params.push((k.clone(), v.as_str().unwrap().to_string()));
            }
        }
        let body: Value = c.http.get(&c.api).query(&params).send().await.unwrap().json().await.unwrap();
        let got = serde_json::to_string(&normalize(&body)).unwrap();
        let want = serde_json::to_string(&normalize(&step["response"])).unwrap();
        if got != want {
            failures.push(format!("{name}:\n   ours: {got}\n   want: {want}"));
        }
        compared += 1;
        prev = body;
    }
    assert!(compared >= 10, "fixture lost its steps");
    assert!(failures.is_empty(), "{} steps differ:\n{}", failures.len(), failures.join("\n"));
}
