//! The metadata, size and MIME type `analyze` gives each file of tests/fixtures/refwiki-exif.json
//! (recorded from MediaWiki 1.39 by scripts/record_exif_transcripts.py) equal MediaWiki's
//! `iimetadataversion=latest` answer. tests/exif.rs checks the same through the API.

use base64::Engine;
use serde_json::Value;

#[test]
fn analyze_matches_recorded_exif_metadata() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/refwiki-exif.json")).unwrap();
    let cases: Vec<Value> = serde_json::from_str(&text).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    for case in &cases {
        let name = case["name"].as_str().unwrap();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(case["bytes"].as_str().unwrap())
            .unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, &bytes).unwrap();
        let info = mwupload_media::analyze(&path).unwrap();
        let want = &case["upload_imageinfo"];
        let got = serde_json::json!({
            "width": info.width, "height": info.height, "mime": info.mime, "metadata": info.metadata_json(),
        });
        // serde_json parses floats approximately (no `float_roundtrip`): parse ours the same way
        let got: Value = serde_json::from_str(&got.to_string()).unwrap();
        let expect = serde_json::json!({
            "width": want["width"], "height": want["height"], "mime": want["mime"], "metadata": want["metadata"],
        });
        if got != expect {
            failures.push(format!("{name}\n  ours: {got}\n  want: {expect}"));
        }
    }
    assert!(failures.is_empty(), "{} differences:\n{}", failures.len(), failures.join("\n"));
}
