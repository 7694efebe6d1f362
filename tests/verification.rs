//! Content verification as MediaWiki 1.39 does it, replayed from the reference wiki.
//!
//! `tests/fixtures/refwiki-verification.json` (`scripts/record_verification_transcripts.py`)
//! holds files and MediaWiki's answers to their upload: damaged but recognisable images are
//! accepted (0×0, `_error` metadata), Internet Explorer's MIME sniffing refuses executables and
//! HTML-ish text under harmless names (`filetype-bad-ie-mime`), and MIME detection decides
//! `filetype-badmime` / `filetype-mime-mismatch`. Each file is uploaded to mwupload under the
//! same name and the whole answer must match.

mod common;
use base64::Engine;
use common::*;
use serde_json::Value;

#[tokio::test]
async fn verification_matches_the_reference_recording() {
    let cases: Vec<Value> = serde_json::from_str(include_str!("fixtures/refwiki-verification.json")).unwrap();
    assert!(cases.len() >= 15, "fixture lost its cases");
    let srv = Server::start();
    let c = srv.bot().await;
    let mut failures = Vec::new();
    for case in &cases {
        let name = case["name"].as_str().unwrap();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(case["file"].as_str().unwrap())
            .unwrap();
        let mut params: Vec<(&str, &str)> = case["params"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str().unwrap()))
            .collect();
        params.push(("token", &c.csrf));
        let resp = c.post_file_raw(&params, "file", &bytes).await;
        let status = resp.status().as_u16();
        let body: Value = resp.json().await.unwrap();
        let got = serde_json::to_string(&normalize(&body)).unwrap();
        let want = serde_json::to_string(&normalize(&case["response"])).unwrap();
        if status != case["status"].as_u64().unwrap() as u16 || got != want {
            failures.push(format!("{name}:\n   ours: {status} {got}\n   want: {} {want}", case["status"]));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
