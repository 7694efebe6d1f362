//! Requests as real clients put them on the wire: pywikibot's bare-LF multipart bodies, fields
//! after the file, truncated bodies and disconnects, concurrent uploads racing for one name.

mod common;
use common::*;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Sends a raw HTTP request and returns (status line, body).
async fn raw(base: &str, head_extra: &str, body: &[u8], cookie: &str) -> (String, String) {
    let addr = base.trim_start_matches("http://");
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /w/api.php HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\nContent-Length: {}\r\nConnection: close\r\n{head_extra}\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(body).await.unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    let text = String::from_utf8_lossy(&out).to_string();
    let status = text.lines().next().unwrap_or("").to_string();
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
    (status, body)
}

/// Logs in with a raw cookie jar we can read (so raw requests can reuse the session).
async fn login_cookie(srv: &Server) -> (String, String) {
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    let http = reqwest::Client::builder().cookie_provider(jar.clone()).build().unwrap();
    let t: Value = http
        .get(&srv.api)
        .query(&[("action", "query"), ("meta", "tokens"), ("type", "login"), ("format", "json")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let lt = t["query"]["tokens"]["logintoken"].as_str().unwrap();
    let r: Value = http
        .post(&srv.api)
        .form(&[
            ("action", "login"),
            ("lgname", srv.bot_user.as_str()),
            ("lgpassword", srv.bot_pass.as_str()),
            ("lgtoken", lt),
            ("format", "json"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["login"]["result"], "Success");
    let t: Value = http
        .get(&srv.api)
        .query(&[("action", "query"), ("meta", "tokens"), ("format", "json")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    use reqwest::cookie::CookieStore;
    let cookie = jar
        .cookies(&reqwest::Url::parse(&srv.base).unwrap())
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    (cookie, t["query"]["tokens"]["csrftoken"].as_str().unwrap().to_string())
}

#[tokio::test]
async fn pywikibot_style_bare_lf_multipart_with_fields_after_the_file() {
    let srv = Server::start();
    let (cookie, token) = login_cookie(&srv).await;
    let f = png(16, 16, 77);
    let boundary = "===============1234567890123456789==";
    let mut body = Vec::new();
    let field = |name: &str, value: &str| {
        format!("--{boundary}\nContent-Type: text/plain\nMIME-Version: 1.0\nContent-disposition: form-data; name=\"{name}\"\n\n{value}\n")
    };
    body.extend(field("action", "upload").as_bytes());
    body.extend(field("format", "json").as_bytes());
    body.extend(format!("--{boundary}\nContent-Type: application/octet-stream\nMIME-Version: 1.0\nContent-Transfer-Encoding: binary\nContent-disposition: form-data; name=\"file\"; filename=\"FAKE-NAME\"\n\n").as_bytes());
    body.extend(&f);
    body.extend(b"\n");
    body.extend(field("filename", "Pwb.png").as_bytes());
    body.extend(field("ignorewarnings", "").as_bytes());
    body.extend(field("token", &token).as_bytes());
    body.extend(format!("--{boundary}--\n").as_bytes());
    let (status, resp) = raw(
        &srv.base,
        &format!("Content-Type: multipart/form-data; boundary=\"{boundary}\"\r\n"),
        &body,
        &cookie,
    )
    .await;
    assert!(status.contains("200"), "{status}");
    let v: Value = serde_json::from_str(&resp).unwrap_or(Value::Null);
    assert_eq!(v["upload"]["result"], "Success", "{resp}");
    assert_eq!(v["upload"]["imageinfo"]["sha1"], sha1_hex(&f), "bytes were altered in transit");
}

#[tokio::test]
async fn truncated_and_abandoned_bodies_leave_nothing_behind() {
    let srv = Server::start();
    let (cookie, token) = login_cookie(&srv).await;
    let f = png(64, 64, 5);
    let boundary = "XyZ";
    let mut body = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"token\"\r\n\r\n{token}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x\"\r\n\r\n").into_bytes();
    body.extend(&f[..f.len() / 2]); // no closing boundary
    let (_, resp) = raw(
        &srv.base,
        &format!("Content-Type: multipart/form-data; boundary={boundary}\r\n"),
        &body,
        &cookie,
    )
    .await;
    let v: Value = serde_json::from_str(&resp).unwrap();
    assert_eq!(v["error"]["code"], "badupload", "{resp}");
    // A client that promises more bytes than it sends, then disconnects.
    {
        let addr = srv.base.trim_start_matches("http://").to_string();
        let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
        let head = format!(
            "POST /w/api.php HTTP/1.1\r\nHost: {addr}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: 10000000\r\n\r\n"
        );
        s.write_all(head.as_bytes()).await.unwrap();
        s.write_all(&body).await.unwrap();
        drop(s);
    }
    // A bad boundary.
    let (_, resp) = raw(&srv.base, "Content-Type: multipart/form-data\r\n", b"garbage", &cookie).await;
    let v: Value = serde_json::from_str(&resp).unwrap();
    assert_eq!(v["error"]["code"], "badupload", "{resp}");
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(srv.spool_files().is_empty(), "temp files left: {:?}", srv.spool_files());
    // The server is still healthy.
    let c = srv.bot().await;
    let r = c.upload("After.png", &f, &[]).await;
    assert_eq!(r["upload"]["result"], "Success", "{r}");
    assert!(srv.spool_files().is_empty());
}

#[tokio::test]
async fn concurrent_uploads_to_one_new_name_have_exactly_one_winner() {
    let srv = Server::start();
    let c = std::sync::Arc::new(srv.bot().await);
    let mut tasks = Vec::new();
    for i in 0..8u64 {
        let c = c.clone();
        tasks.push(tokio::spawn(async move { c.upload("Race.png", &png(16, 16, 100 + i), &[]).await }));
    }
    let mut success = 0;
    let mut exists = 0;
    for t in tasks {
        let r = t.await.unwrap();
        match r["upload"]["result"].as_str() {
            Some("Success") => success += 1,
            Some("Warning") => {
                assert_eq!(r["upload"]["warnings"]["exists"], "Race.png", "{r}");
                assert!(r["upload"]["filekey"].is_string());
                exists += 1;
            }
            _ => panic!("unexpected {r}"),
        }
    }
    assert_eq!((success, exists), (1, 7));
    let ii = c.imageinfo("Race.png", "sha1", "max").await;
    assert_eq!(ii["query"]["pages"][0]["imageinfo"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn envelope_details() {
    let srv = Server::start();
    let c = srv.client();
    // Unknown parameters warn; requestid echoes; errors carry the MediaWiki-API-Error header.
    let r = c
        .get(&[
            ("action", "query"),
            ("meta", "tokens"),
            ("foo", "1"),
            ("requestid", "abc"),
            ("format", "json"),
        ])
        .await;
    assert_eq!(r["warnings"]["main"]["*"], "Unrecognized parameter: foo.");
    assert_eq!(r["requestid"], "abc");
    let resp = c
        .http
        .get(&c.api)
        .query(&[("action", "nope"), ("format", "json")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["mediawiki-api-error"], "badvalue");
    let resp = c
        .http
        .get(&c.api)
        .query(&[("action", "query"), ("format", "json"), ("maxlag", "-1")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["retry-after"], "5");
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["error"]["code"], "maxlag");
    // errorformat=plaintext
    let r = c
        .post(&[
            ("action", "upload"),
            ("format", "json"),
            ("formatversion", "2"),
            ("errorformat", "plaintext"),
            ("filename", "x.png"),
            ("token", "bad+\\"),
        ])
        .await;
    assert_eq!(r["errors"][0]["code"], "badtoken", "{r}");
    assert_eq!(r["errors"][0]["text"], "Invalid CSRF token.");
    // assert=user as anonymous
    let r = c.get(&[("action", "query"), ("assert", "user"), ("format", "json")]).await;
    assert_eq!(r["error"]["code"], "assertuserfailed");
    // fv1 escapes non-ASCII, fv2 does not.
    let raw1 = c
        .http
        .get(&c.api)
        .query(&[("action", "query"), ("titles", "File:Ünïcode.png"), ("format", "json")])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(raw1.contains("\\u00dc"), "{raw1}");
    let raw2 = c
        .http
        .get(&c.api)
        .query(&[
            ("action", "query"),
            ("titles", "File:Ünïcode.png"),
            ("format", "json"),
            ("formatversion", "2"),
        ])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(raw2.contains("Ünïcode"), "{raw2}");
}

#[tokio::test]
async fn legacy_and_client_logins() {
    let srv = Server::start();
    // nodemw's NeedToken flow.
    let c = srv.client();
    let r = c
        .post(&[
            ("action", "login"),
            ("lgname", &srv.bot_user),
            ("lgpassword", &srv.bot_pass),
            ("format", "json"),
        ])
        .await;
    assert_eq!(r["login"]["result"], "NeedToken");
    let tok = r["login"]["token"].as_str().unwrap().to_string();
    let r = c
        .post(&[
            ("action", "login"),
            ("lgname", &srv.bot_user),
            ("lgpassword", &srv.bot_pass),
            ("lgtoken", &tok),
            ("format", "json"),
        ])
        .await;
    assert_eq!(r["login"]["result"], "Success", "{r}");
    assert_eq!(r["login"]["lgusername"], "Admin");
    // Wrong password and wrong token, as transcripts 3 and 5.
    let c2 = srv.client();
    let t = c2
        .get(&[("action", "query"), ("meta", "tokens"), ("type", "login"), ("format", "json")])
        .await;
    let lt = t["query"]["tokens"]["logintoken"].as_str().unwrap().to_string();
    assert_matches_transcript(
        &c2.post(&[
            ("action", "login"),
            ("lgname", &srv.bot_user),
            ("lgpassword", "x"),
            ("lgtoken", &lt),
            ("format", "json"),
        ])
        .await,
        3,
    );
    assert_matches_transcript(
        &c2.post(&[
            ("action", "login"),
            ("lgname", &srv.bot_user),
            ("lgpassword", &srv.bot_pass),
            ("lgtoken", "bogus+\\"),
            ("format", "json"),
        ])
        .await,
        5,
    );
    // clientlogin with the main account (pywikibot).
    let r = c2
        .post(&[
            ("action", "clientlogin"),
            ("username", "Admin"),
            ("password", &srv.admin_pass),
            ("loginreturnurl", "http://x/"),
            ("rememberMe", "1"),
            ("logintoken", &lt),
            ("format", "json"),
        ])
        .await;
    assert_eq!(r["clientlogin"]["status"], "PASS", "{r}");
    let ui = c2
        .get(&[
            ("action", "query"),
            ("meta", "userinfo"),
            ("uiprop", "groups|rights"),
            ("format", "json"),
            ("formatversion", "2"),
        ])
        .await;
    assert_eq!(ui["query"]["userinfo"]["name"], "Admin");
    assert!(
        ui["query"]["userinfo"]["rights"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r == "upload_by_url")
    );
    let c3 = srv.client();
    let t = c3
        .get(&[("action", "query"), ("meta", "tokens"), ("type", "login"), ("format", "json")])
        .await;
    let lt = t["query"]["tokens"]["logintoken"].as_str().unwrap().to_string();
    let r = c3
        .post(&[
            ("action", "clientlogin"),
            ("username", "Admin"),
            ("password", "wrong"),
            ("loginreturnurl", "http://x/"),
            ("logintoken", &lt),
            ("format", "json"),
        ])
        .await;
    assert_eq!(r["clientlogin"]["status"], "FAIL");
    // logout needs a csrf token and ends the session.
    let mut c4 = srv.bot().await;
    let r = c4
        .post(&[("action", "logout"), ("token", &c4.csrf.clone()), ("format", "json")])
        .await;
    assert_eq!(r, serde_json::json!({}));
    c4.refresh_csrf().await;
    assert_eq!(c4.csrf, "+\\");
}

#[tokio::test]
async fn file_urls_serve_ranges_etags_and_safe_headers() {
    let srv = Server::start();
    let c = srv.bot().await;
    let f = png(40, 40, 9);
    let r = c.upload("Served file.png", &f, &[]).await;
    let url = r["upload"]["imageinfo"]["url"].as_str().unwrap().to_string();
    assert!(url.contains("/images/") && url.ends_with("/Served_file.png"), "{url}");
    let resp = c.http.get(&url).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "image/png");
    assert_eq!(resp.headers()["x-content-type-options"], "nosniff");
    let etag = resp.headers()["etag"].to_str().unwrap().to_string();
    assert_eq!(etag, format!("\"{}\"", sha1_hex(&f)));
    let resp = c.http.get(&url).header("Range", "bytes=10-19").send().await.unwrap();
    assert_eq!(resp.status(), 206);
    assert_eq!(resp.headers()["content-range"], format!("bytes 10-19/{}", f.len()).as_str());
    assert_eq!(resp.bytes().await.unwrap().to_vec(), f[10..20].to_vec());
    let resp = c
        .http
        .get(&url)
        .header("Range", format!("bytes={}-", f.len() + 5))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 416);
    let resp = c.http.get(&url).header("If-None-Match", etag.as_str()).send().await.unwrap();
    assert_eq!(resp.status(), 304);
    // A URL whose hash directory does not match the name is not served.
    let bad = format!("{}/images/0/00/Served_file.png", srv.base);
    if !url.contains("/0/00/") {
        assert_eq!(c.fetch(&bad).await.0, 404);
    }
    assert_eq!(c.fetch(&format!("{}/images/../../etc/passwd", srv.base)).await.0, 404);
}

#[tokio::test]
async fn orphaned_blobs_are_swept_and_owned_ones_kept() {
    if !common::blobs_on_local_disk() {
        // It plants a stray file in the blob directory; on S3 the storage contract covers
        // listing orphans (`orphans_are_listed_by_blob_key`).
        return;
    }
    let mut srv = Server::start_with_config("[uploads]\norphan_grace_secs = 0\n");
    let c = srv.bot().await;
    let f = png(12, 12, 5);
    let r = c.upload("Kept.png", &f, &[]).await;
    let url = r["upload"]["imageinfo"]["url"].as_str().unwrap().to_string();
    // A blob no row refers to, as a crash between rename and commit would leave.
    let dir = srv.data.path().join("files/blobs/ee");
    std::fs::create_dir_all(&dir).unwrap();
    let stray = dir.join("ee0123456789abcdef0123456789abcd");
    std::fs::write(&stray, b"orphan").unwrap();
    srv.restart();
    let mut gone = false;
    for _ in 0..100 {
        if !stray.exists() {
            gone = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(gone, "orphan blob not swept");
    let c = srv.client();
    assert_eq!(c.fetch(&url).await, (200, f), "a published file's bytes must survive the sweep");
}

/// JSONP (`callback=`): wrapped as MediaWiki does, served as JavaScript, answered anonymously
/// (no tokens), with the function name stripped to safe characters.
#[tokio::test]
async fn jsonp_callback_is_wrapped_and_anonymous() {
    let srv = Server::start();
    let c = srv.bot().await;
    let r = c
        .http
        .get(&c.api)
        .query(&[
            ("action", "query"),
            ("meta", "tokens|userinfo"),
            ("format", "json"),
            ("formatversion", "2"),
            ("callback", "cb<script>.x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "text/javascript; charset=utf-8");
    let text = r.text().await.unwrap();
    let json = text
        .strip_prefix("/**/cbscript.x(")
        .and_then(|t| t.strip_suffix(')'))
        .unwrap_or_else(|| panic!("not wrapped: {text}"));
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    assert_eq!(v["query"]["userinfo"]["anon"], true, "the session is ignored: {v}");
    assert!(v["query"].get("tokens").is_none());
    assert_eq!(
        v["warnings"]["tokens"]["warnings"],
        "Tokens may not be obtained when the same-origin policy is not applied."
    );
}

/// C0 control characters (a NUL above all) are cleaned to U+FFFD before anything sees them, as
/// WebRequest does: no 500 from a database that refuses NUL, no control byte in a comment, and a
/// `\x1f`-separated multi-value keeps its separators.
#[tokio::test]
async fn control_characters_in_parameters_are_cleaned_not_stored() {
    let srv = Server::start();
    let c = srv.bot().await;
    let r = c
        .get(&[("action", "query"), ("list", "allimages"), ("aifrom", "a\0b"), ("format", "json")])
        .await;
    assert!(r.get("query").is_some() || r.get("error").is_some(), "{r}");
    let r = c.upload("Nul comment.png", &png(8, 8, 3), &[("comment", "x\0y\x07z")]).await;
    assert_eq!(r["upload"]["result"], "Success", "{r}");
    let ii = c.imageinfo("Nul comment.png", "comment", "1").await;
    let comment = ii["query"]["pages"][0]["imageinfo"][0]["comment"].clone();
    assert_eq!(comment, "x\u{FFFD}y\u{FFFD}z", "{ii}");
    let r = c
        .get(&[("action", "query"), ("titles", "\x1fFoo|1\x1fBar"), ("format", "json")])
        .await;
    let titles: Vec<&str> = r["query"]["pages"]
        .as_object()
        .unwrap()
        .values()
        .map(|p| p["title"].as_str().unwrap())
        .collect();
    assert!(titles.contains(&"Foo|1") && titles.contains(&"Bar"), "{r}");
}

/// CORS as ApiMain::handleCORS answers it (headers recorded from the reference wiki): anonymous
/// `origin=*` runs logged out; `origin=<site>` runs with the session and gets credentials
/// headers only for configured sites; an `origin` that is not the `Origin` header is a 403;
/// preflights allow only simple headers.
#[tokio::test]
async fn cors_like_handle_cors() {
    let srv = Server::start_with_config("[cors]\nallowed_origins = [\"*.good.example\"]\norigin_exceptions = [\"bad.good.example\"]\n");
    let c = srv.bot().await;
    let send = |origin_param: &str, origin_header: &str, method: reqwest::Method| {
        let url = format!("{}?action=query&meta=userinfo&format=json&origin={}", c.api, origin_param);
        c.http.request(method, url).header("Origin", origin_header.to_string())
    };
    let h = |r: &reqwest::Response, name: &str| r.headers().get(name).map(|v| v.to_str().unwrap().to_string());
    // Anonymous CORS: logged out, credentials false.
    let r = send("*", "https://any.example", reqwest::Method::GET).send().await.unwrap();
    assert_eq!(h(&r, "access-control-allow-origin").as_deref(), Some("*"));
    assert_eq!(h(&r, "access-control-allow-credentials").as_deref(), Some("false"));
    assert_eq!(h(&r, "mediawiki-login-suppressed").as_deref(), Some("true"));
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["query"]["userinfo"]["id"], 0, "{body}");
    // An allowed site: the session, credentials true.
    let r = send("https://a.good.example", "https://a.good.example", reqwest::Method::GET)
        .send()
        .await
        .unwrap();
    assert_eq!(h(&r, "access-control-allow-origin").as_deref(), Some("https://a.good.example"));
    assert_eq!(h(&r, "access-control-allow-credentials").as_deref(), Some("true"));
    assert_eq!(h(&r, "timing-allow-origin").as_deref(), Some("https://a.good.example"));
    assert!(h(&r, "access-control-expose-headers").unwrap().contains("MediaWiki-API-Error"));
    let body: serde_json::Value = r.json().await.unwrap();
    assert_ne!(body["query"]["userinfo"]["id"], 0, "{body}");
    // An excepted or unknown site: no CORS headers, a rejection header.
    for site in ["https://bad.good.example", "https://other.example"] {
        let r = send(site, site, reqwest::Method::GET).send().await.unwrap();
        assert_eq!(h(&r, "mediawiki-cors-rejection").as_deref(), Some("Origin mismatch"), "{site}");
        assert_eq!(h(&r, "access-control-allow-origin"), None, "{site}");
    }
    // origin= that is not the Origin header.
    let r = send("https://a.good.example", "https://evil.example", reqwest::Method::GET)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(r.text().await.unwrap(), "'origin' parameter does not match Origin header\n");
    // Preflights.
    let r = send("https://a.good.example", "https://a.good.example", reqwest::Method::OPTIONS)
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "content-type, api-user-agent")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(h(&r, "access-control-allow-methods").as_deref(), Some("POST, GET, HEAD"));
    assert_eq!(
        h(&r, "access-control-allow-headers").as_deref(),
        Some("content-type, api-user-agent")
    );
    assert_eq!(h(&r, "access-control-allow-origin").as_deref(), Some("https://a.good.example"));
    let r = send("*", "https://a.good.example", reqwest::Method::OPTIONS)
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "content-type, x-foo")
        .send()
        .await
        .unwrap();
    assert_eq!(
        h(&r, "mediawiki-cors-rejection").as_deref(),
        Some("Unsupported header requested in preflight")
    );
    assert_eq!(h(&r, "access-control-allow-origin"), None);
    // No origin: no CORS headers at all.
    let r = c
        .http
        .get(format!("{}?action=query&meta=tokens&format=json", c.api))
        .send()
        .await
        .unwrap();
    assert_eq!(h(&r, "access-control-expose-headers"), None);
    assert_eq!(h(&r, "x-frame-options").as_deref(), Some("DENY"));
}
