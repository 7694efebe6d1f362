//! `meta=siteinfo` contains everything the clients read, in MediaWiki 1.39's shapes
//! (tests/fixtures/siteinfo-minimal.json, recorded from the reference wiki).

mod common;
use common::*;
use serde_json::Value;

/// Every member of `want` is in `got` with the same value (objects may have more members).
fn contains(got: &Value, want: &Value, path: &str) {
    match (got, want) {
        (Value::Object(g), Value::Object(w)) => {
            for (k, v) in w {
                let Some(gv) = g.get(k) else { panic!("{path}.{k} missing") };
                contains(gv, v, &format!("{path}.{k}"));
            }
        }
        _ => assert_eq!(got, want, "at {path}"),
    }
}

#[tokio::test]
async fn siteinfo_has_the_recorded_shapes_in_both_formatversions() {
    let srv = Server::start_with_config("sitename = \"RefWiki\"\n");
    let c = srv.client();
    let golden: Value = serde_json::from_str(include_str!("fixtures/siteinfo-minimal.json")).unwrap();
    for (fv, key) in [("1", "formatversion=1"), ("2", "formatversion=2")] {
        let got = c
            .get(&[
                ("action", "query"),
                ("meta", "siteinfo"),
                ("siprop", "general|namespaces|namespacealiases|fileextensions|extensions"),
                ("format", "json"),
                ("formatversion", fv),
            ])
            .await;
        // Our default extension list is the reference wiki's, so even fileextensions match.
        contains(&got, &golden[key], &format!("fv{fv}"));
    }
}
