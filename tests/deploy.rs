//! What a deployment behind a load balancer relies on: the caller's address through trusted
//! proxies (`trusted_proxies`, X-Forwarded-For) and the `/healthz` and `/readyz` probes.

mod common;

use common::*;
use serde_json::Value;

/// The anonymous caller's name (their address) as `meta=userinfo` reports it, with an optional
/// X-Forwarded-For header; with `blockinfo` the block id when the address is blocked.
async fn anon(api: &str, xff: Option<&str>) -> (String, Option<i64>) {
    let mut req = reqwest::Client::new().get(api).query(&[
        ("action", "query"),
        ("meta", "userinfo"),
        ("uiprop", "blockinfo"),
        ("format", "json"),
    ]);
    if let Some(x) = xff {
        req = req.header("x-forwarded-for", x);
    }
    let v: Value = req.send().await.unwrap().json().await.unwrap();
    let u = &v["query"]["userinfo"];
    (
        u["name"].as_str().unwrap_or_else(|| panic!("{v}")).to_string(),
        u["blockid"].as_i64(),
    )
}

#[tokio::test]
async fn forwarded_for_is_believed_only_from_trusted_proxies() {
    let _one = one_process("about the direct peer's address; nginx in front is itself a trusted proxy");
    // No trusted proxies: the header is the client's word and is ignored.
    let plain = Server::start();
    assert_eq!(anon(&plain.api, Some("203.0.113.9")).await.0, "127.0.0.1");

    // Behind a trusted proxy (the test's loopback connection plays it): the rightmost hop that
    // is not a trusted proxy; a spoofed hop further left does not count.
    let behind = Server::start_with_config("trusted_proxies = [\"127.0.0.1/32\", \"10.0.0.0/8\"]\n");
    assert_eq!(
        anon(&behind.api, Some("198.51.100.1, 203.0.113.9, 10.1.2.3")).await.0,
        "203.0.113.9"
    );
    assert_eq!(anon(&behind.api, None).await.0, "127.0.0.1");
    assert_eq!(anon(&behind.api, Some("unknown")).await.0, "127.0.0.1");

    // The forwarded address is the one blocks apply to.
    let mut admin = behind.client();
    admin.login("Admin", &behind.admin_pass).await;
    let r = admin
        .post(&[
            ("action", "block"),
            ("user", "203.0.113.9"),
            ("expiry", "1 day"),
            ("reason", "test"),
            ("token", &admin.csrf),
            ("format", "json"),
        ])
        .await;
    let id = r["block"]["id"].as_i64().unwrap_or_else(|| panic!("{r}"));
    assert_eq!(anon(&behind.api, Some("203.0.113.9")).await, ("203.0.113.9".to_string(), Some(id)));
    assert_eq!(anon(&behind.api, Some("203.0.113.10")).await.1, None);
    // Not through the proxy-less server, whatever the header says.
    assert_eq!(anon(&plain.api, Some("203.0.113.9")).await.1, None);
}

#[test]
fn a_bad_trusted_proxy_entry_stops_the_server_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("c.toml");
    std::fs::write(&cfg, "trusted_proxies = [\"10.0.0.0/8\", \"not-an-address\"]\n").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mwupload"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(dir.path())
        .arg("--config")
        .arg(&cfg)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("trusted_proxies") && err.contains("not-an-address"), "{err}");
}

async fn probe(base: &str, path: &str) -> (u16, String) {
    let r = reqwest::get(format!("{base}{path}")).await.unwrap();
    let code = r.status().as_u16();
    assert_eq!(r.headers()["cache-control"], "no-store");
    (code, r.text().await.unwrap())
}

#[tokio::test]
async fn healthz_and_readyz_follow_the_stores() {
    let s = Server::start();
    assert_eq!(probe(&s.base, "/healthz").await, (200, "ok\n".to_string()));
    assert_eq!(probe(&s.base, "/readyz").await, (200, "ready\n".to_string()));
    if !blobs_on_local_disk() {
        return; // (the blob store's failure below is staged on local disk)
    }
    // The blob tree disappears (an unmounted volume): not ready, but still alive.
    let blobs = s.data.path().join("files/blobs");
    let moved = s.data.path().join("files/blobs-away");
    std::fs::rename(&blobs, &moved).unwrap();
    let (code, text) = probe(&s.base, "/readyz").await;
    assert_eq!((code, text.as_str()), (503, "not ready: blob store: unreachable\n"));
    assert_eq!(probe(&s.base, "/healthz").await.0, 200);
    std::fs::rename(&moved, &blobs).unwrap();
    assert_eq!(probe(&s.base, "/readyz").await.0, 200);
}
