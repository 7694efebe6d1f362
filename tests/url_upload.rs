//! Upload by URL: off by default, SSRF-safe when on, MediaWiki's results and error codes.

mod common;
use common::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A tiny HTTP origin on loopback serving `/remote.png`; counts connections.
async fn origin(body: Vec<u8>) -> (String, Arc<AtomicUsize>) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = l.accept().await else { return };
            h.fetch_add(1, Ordering::SeqCst);
            let body = body.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                let n = s.read(&mut buf).await.unwrap_or(0);
                let req = String::from_utf8_lossy(&buf[..n]).to_string();
                let resp = if req.starts_with("GET /remote.png ") {
                    let mut r = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    )
                    .into_bytes();
                    r.extend(&body);
                    r
                } else {
                    b"HTTP/1.1 404 File not found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec()
                };
                let _ = s.write_all(&resp).await;
            });
        }
    });
    (format!("http://{addr}"), hits)
}

const TEXT: &str = "Recorded by record_transcripts.py";

async fn url_upload(c: &Client, filename: &str, url: &str, extra: &[(&str, &str)]) -> serde_json::Value {
    let mut p = vec![
        ("action", "upload"),
        ("format", "json"),
        ("filename", filename),
        ("url", url),
        ("comment", "transcript upload"),
        ("text", TEXT),
        ("token", c.csrf.as_str()),
    ];
    p.extend_from_slice(extra);
    c.post(&p).await
}

#[tokio::test]
async fn url_uploads_are_off_by_default() {
    let srv = Server::start();
    let c = srv.bot().await;
    let (base, hits) = origin(png(8, 8, 1)).await;
    let r = url_upload(&c, "U.png", &format!("{base}/remote.png"), &[]).await;
    assert_eq!(r["error"]["code"], "copyuploaddisabled", "{r}");
    assert_eq!(hits.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn url_uploads_refuse_private_targets_without_contacting_them() {
    let srv = Server::start_with_config("[url_uploads]\nenabled = true\n");
    let c = srv.bot().await;
    let (base, hits) = origin(png(8, 8, 2)).await;
    let port = base.rsplit(':').next().unwrap().to_string();
    for url in [
        format!("{base}/remote.png"),
        format!("http://localhost:{port}/remote.png"),
        format!("http://[::1]:{port}/remote.png"),
        format!("http://[::ffff:127.0.0.1]:{port}/remote.png"),
        "http://169.254.169.254/latest/meta-data/".to_string(),
        "http://10.0.0.1/x.png".to_string(),
    ] {
        let r = url_upload(&c, "Ssrf.png", &url, &[]).await;
        let code = r["error"]["code"].as_str().unwrap_or("");
        assert!(code == "copyuploadbadurl" || code == "http-curl-error", "{url}: {r}");
        assert!(!r["error"]["info"].as_str().unwrap_or("").is_empty());
    }
    for url in ["file:///etc/passwd", "gopher://example.org/"] {
        let r = url_upload(&c, "Ssrf.png", url, &[]).await;
        assert_eq!(r["error"]["code"], "http-invalid-url", "{url}: {r}");
    }
    assert_eq!(hits.load(Ordering::SeqCst), 0, "a refused target was contacted");
}

#[tokio::test]
async fn url_uploads_match_mediawiki_when_allowed() {
    let srv = Server::start_with_config("[url_uploads]\nenabled = true\nallow_addresses = [\"127.0.0.0/8\"]\n");
    let c = srv.bot().await;
    let f = png(32, 32, 3);
    let (base, _) = origin(f.clone()).await;
    let url = format!("{base}/remote.png");
    let r = url_upload(&c, "Ref2-url.png", &url, &[]).await;
    assert_matches_transcript(&r, 91);
    assert_eq!(r["upload"]["imageinfo"]["sha1"], sha1_hex(&f));
    assert_eq!(c.fetch(r["upload"]["imageinfo"]["url"].as_str().unwrap()).await, (200, f.clone()));
    let r = url_upload(&c, "Ref2-url.png", &url, &[("formatversion", "2")]).await;
    assert_matches_transcript(&r, 92);
    let r = url_upload(&c, "Ref2-url404.png", &format!("{base}/missing.png"), &[]).await;
    assert_matches_transcript(&r, 93);
    let r = url_upload(&c, "Ref2-urlrefused.png", "http://127.0.0.1:1/x.png", &[]).await;
    assert_eq!(r["error"]["code"], "http-curl-error", "{r}");
    assert!(
        r["error"]["info"]
            .as_str()
            .unwrap()
            .starts_with("Error fetching URL: Failed to connect to 127.0.0.1 port 1"),
        "{r}"
    );
    let r = url_upload(&c, "Ref2-urlbad.png", "file:///etc/passwd", &[]).await;
    assert_matches_transcript(&r, 95);
    let r = url_upload(&c, "Ref2-urlstash.png", &url, &[("stash", "1"), ("ignorewarnings", "1")]).await;
    assert_eq!(r["upload"]["result"], "Success", "{r}");
    assert_eq!(r["upload"]["warnings"]["duplicate"][0], "Ref2-url.png");
    // A bot password without upload_by_url (uploadfile grant only) is refused.
    srv.admin(&[
        "botpassword",
        "create",
        "Admin",
        "nourl",
        "--grants",
        "basic,editpage,uploadfile",
        "--password",
        "nourlnourlnourlnourlnourlnourlno",
    ]);
    let mut weak = srv.client();
    weak.login("Admin@nourl", "nourlnourlnourlnourlnourlnourlno").await;
    let r = url_upload(&weak, "Ref2-nourl.png", &url, &[]).await;
    assert_eq!(r["error"]["code"], "permissiondenied", "{r}");
    assert!(srv.spool_files().is_empty(), "{:?}", srv.spool_files());
}

async fn poll_url(c: &Client, filename: &str, url: &str) -> serde_json::Value {
    for _ in 0..300 {
        let r = c
            .post(&[
                ("action", "upload"),
                ("format", "json"),
                ("checkstatus", "1"),
                ("url", url),
                ("filename", filename),
                ("token", &c.csrf),
            ])
            .await;
        if r["upload"]["result"] != "Poll" {
            return r;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("still Poll");
}

#[tokio::test]
async fn async_url_uploads_run_as_jobs_polled_with_checkstatus() {
    let srv = Server::start_with_config("[url_uploads]\nenabled = true\nallow_addresses = [\"127.0.0.0/8\"]\n");
    let c = srv.bot().await;
    let f = png(24, 24, 9);
    let (base, hits) = origin(f.clone()).await;
    let url = format!("{base}/remote.png");
    let r = url_upload(&c, "Async url.png", &url, &[("async", "1")]).await;
    assert_eq!(r["upload"]["result"], "Poll", "{r}");
    assert_eq!(r["upload"]["stage"], "queued");
    assert_eq!(r["upload"]["filename"], "Async_url.png");
    let r = poll_url(&c, "Async url.png", &url).await;
    assert_eq!(r["upload"]["result"], "Success", "{r}");
    assert_eq!(r["upload"]["stage"], "publish");
    assert_eq!(r["upload"]["filename"], "Async_url.png");
    assert_eq!(r["upload"]["imageinfo"]["sha1"], sha1_hex(&f));
    assert_eq!(c.fetch(r["upload"]["imageinfo"]["url"].as_str().unwrap()).await, (200, f.clone()));
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    // A fetch error surfaces through checkstatus as an error, not as a stuck Poll.
    let missing = format!("{base}/missing.png");
    let r = url_upload(&c, "Async missing.png", &missing, &[("async", "1")]).await;
    assert_eq!(r["upload"]["result"], "Poll", "{r}");
    let r = poll_url(&c, "Async missing.png", &missing).await;
    assert_eq!(r["error"]["code"], "http-bad-status", "{r}");
}

#[tokio::test]
async fn async_url_uploads_are_ssrf_checked_too() {
    let srv = Server::start_with_config("[url_uploads]\nenabled = true\n");
    let c = srv.bot().await;
    let (base, hits) = origin(png(8, 8, 5)).await;
    let port = base.rsplit(':').next().unwrap().to_string();
    let url = format!("http://localhost:{port}/remote.png");
    let r = url_upload(&c, "Async ssrf.png", &url, &[("async", "1")]).await;
    let r = if r["upload"]["result"] == "Poll" {
        poll_url(&c, "Async ssrf.png", &url).await
    } else {
        r
    };
    assert_eq!(r["error"]["code"], "copyuploadbadurl", "{r}");
    assert_eq!(hits.load(Ordering::SeqCst), 0);
}
