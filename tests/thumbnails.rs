//! Thumbnails end to end, over HTTP: `prop=imageinfo`/`stashimageinfo` with `iiurlwidth`,
//! `iiurlheight` and `iiurlparam` against every answer recorded from MediaWiki 1.39
//! (`crates/thumb/tests/fixtures/refwiki-thumbs.json`, `scripts/record_thumbnails.py`), the
//! thumbnail URLs and `thumb.php` rendering what they name (sizes, formats, and pixels against
//! MediaWiki's own renderings), the headers of originals, purging on deletion and overwrite,
//! one rendering for concurrent requests, and decompression bombs refused.

mod common;
use common::*;
use serde_json::{Map, Value, json};
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/thumb/tests/fixtures")
}

fn fixture() -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixtures().join("refwiki-thumbs.json")).expect("fixture")).expect("json")
}

async fn post_token(c: &Client, params: &[(&str, &str)]) -> Value {
    let mut p = params.to_vec();
    p.push(("token", &c.csrf));
    p.push(("format", "json"));
    c.post(&p).await
}

/// Uploads every recorded file under its recorded name (the history file in two versions).
async fn upload_fixture_files(c: &Client, fx: &Value) {
    for (name, props) in fx["files"].as_object().expect("files") {
        if let Some(old) = props.get("old_fixture").and_then(Value::as_str) {
            let bytes = std::fs::read(fixtures().join(old)).expect("old fixture");
            let r = c.upload(name, &bytes, &[("ignorewarnings", "1")]).await;
            assert_eq!(r["upload"]["result"], "Success", "{name} (old): {r}");
            // Versions are ordered by their second-resolution timestamps.
            tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        }
        let bytes = std::fs::read(fixtures().join(props["fixture"].as_str().expect("fixture"))).expect("fixture file");
        let r = c.upload(name, &bytes, &[("ignorewarnings", "1")]).await;
        assert_eq!(r["upload"]["result"], "Success", "{name}: {r}");
    }
}

const THUMB_KEYS: &[&str] = &[
    "thumburl",
    "thumbwidth",
    "thumbheight",
    "responsiveUrls",
    "thumbmime",
    "thumberror",
    "url",
    "width",
    "height",
    "mime",
    "archivename",
];

/// Host-independent values, and `TS` for an archive name's timestamp (as the recorder did).
fn norm(v: &Value, base: &str, archive: Option<&str>) -> Value {
    match v {
        Value::String(s) => {
            let mut s = s.strip_prefix(base).unwrap_or(s).to_string();
            if let Some(a) = archive {
                let ts = a.split('!').next().unwrap_or_default();
                s = s.replace(&format!("{ts}%21"), "TS%21").replace(&format!("{ts}!"), "TS!");
            }
            Value::String(s)
        }
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), norm(v, base, archive))).collect()),
        other => other.clone(),
    }
}

async fn imageinfo_answer(c: &Client, base: &str, file: &str, request: &Value, limit: &str) -> Value {
    let mut params: Vec<(String, String)> = vec![
        ("action".into(), "query".into()),
        ("titles".into(), format!("File:{file}")),
        ("prop".into(), "imageinfo".into()),
        ("format".into(), "json".into()),
        ("formatversion".into(), "2".into()),
        ("iilimit".into(), limit.into()),
        ("iiprop".into(), "url|size|mime|thumbmime|archivename".into()),
    ];
    for (k, v) in request.as_object().expect("request") {
        let v = match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        params.push((k.clone(), v));
    }
    let p: Vec<(&str, &str)> = params.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let r = c.get(&p).await;
    let mut out = Map::new();
    if let Some(e) = r.get("error") {
        out.insert("error".into(), json!({"code": e["code"], "info": e["info"]}));
    }
    if let Some(w) = r.get("warnings") {
        out.insert("warnings".into(), w.clone());
    }
    if let Some(q) = r.get("query") {
        let mut versions = Vec::new();
        for ii in q["pages"][0]["imageinfo"].as_array().cloned().unwrap_or_default() {
            let archive = ii.get("archivename").and_then(Value::as_str);
            let mut v = Map::new();
            for k in THUMB_KEYS {
                if let Some(x) = ii.get(*k) {
                    v.insert((*k).into(), norm(x, base, archive));
                }
            }
            versions.push(Value::Object(v));
        }
        out.insert("imageinfo".into(), Value::Array(versions));
    }
    Value::Object(out)
}

/// Every recorded imageinfo answer (480 cases over 17 files, and the history's versions).
#[tokio::test]
async fn imageinfo_thumbnail_fields_match_mediawiki() {
    let fx = fixture();
    let srv = Server::start();
    let c = srv.bot().await;
    upload_fixture_files(&c, &fx).await;
    let mut failures = Vec::new();
    let mut checked = 0;
    for (group, limit) in [("cases", "1"), ("history", "2")] {
        for case in fx[group].as_array().expect("cases") {
            let file = case["file"].as_str().expect("file");
            let ours = imageinfo_answer(&c, &srv.base, file, &case["request"], limit).await;
            checked += 1;
            if ours != case["answer"] {
                failures.push(format!(
                    "{file} {}:\n  ours      {ours}\n  MediaWiki {}",
                    case["request"], case["answer"]
                ));
            }
        }
    }
    assert!(checked >= 480, "{checked}");
    assert!(
        failures.is_empty(),
        "{} of {checked} differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Every encoded frame as RGBA (JPEG through jpeg-decoder, the rest through image).
fn decode_frames(bytes: &[u8]) -> Vec<image::RgbaImage> {
    use image::AnimationDecoder;
    if bytes.starts_with(&[0xff, 0xd8]) {
        let mut d = jpeg_decoder::Decoder::new(bytes);
        let px = d.decode().expect("jpeg");
        let info = d.info().expect("info");
        let img = match info.pixel_format {
            jpeg_decoder::PixelFormat::L8 => {
                image::DynamicImage::ImageLuma8(image::GrayImage::from_raw(info.width as u32, info.height as u32, px).expect("gray"))
            }
            _ => image::DynamicImage::ImageRgb8(image::RgbImage::from_raw(info.width as u32, info.height as u32, px).expect("rgb")),
        };
        return vec![img.into_rgba8()];
    }
    if bytes.starts_with(b"GIF8") {
        let d = image::codecs::gif::GifDecoder::new(std::io::Cursor::new(bytes)).expect("gif");
        return d.into_frames().map(|f| f.expect("frame").into_buffer()).collect();
    }
    vec![image::load_from_memory(bytes).expect("image").into_rgba8()]
}

/// Mean absolute difference per channel over white, alpha as a 4th channel (the metric and
/// threshold of `crates/thumb/tests/refwiki_render.rs`, which explains them).
fn mean_abs_diff(a: &image::RgbaImage, b: &image::RgbaImage) -> f64 {
    let mut sum = 0u64;
    for (p, q) in a.pixels().zip(b.pixels()) {
        let over_white = |v: u8, alpha: u8| (v as u32 * alpha as u32 + 255 * (255 - alpha as u32)) / 255;
        for ch in 0..3 {
            sum += over_white(p[ch], p[3]).abs_diff(over_white(q[ch], q[3])) as u64;
        }
        sum += p[3].abs_diff(q[3]) as u64;
    }
    sum as f64 / (a.width() as f64 * a.height() as f64 * 4.0)
}

/// The thumbnails MediaWiki made, fetched from our `thumburl`s: same size, type and frames,
/// pixels within the tolerance; and the second request is served from the store.
#[tokio::test]
async fn thumburls_render_what_mediawiki_renders() {
    let fx = fixture();
    let srv = Server::start();
    let c = srv.bot().await;
    upload_fixture_files(&c, &fx).await;
    let mut failures = Vec::new();
    for d in fx["downloads"].as_array().expect("downloads") {
        let file = d["file"].as_str().expect("file");
        let r = imageinfo_answer(&c, &srv.base, file, &d["request"], "1").await;
        let ii = &r["imageinfo"][0];
        assert_eq!(ii["thumburl"], d["thumburl"], "{file} {}", d["request"]);
        let url = format!("{}{}", srv.base, ii["thumburl"].as_str().expect("thumburl"));
        let resp = c.http.get(&url).send().await.expect("get");
        assert_eq!(resp.status(), 200, "{url}");
        let ctype = resp.headers()["content-type"].to_str().expect("ctype").to_string();
        assert_eq!(resp.headers()["x-mwupload-thumb"], "rendered", "{url}");
        let bytes = resp.bytes().await.expect("body").to_vec();
        let theirs_bytes = std::fs::read(fixtures().join(d["fixture"].as_str().expect("fixture"))).expect("their thumbnail");
        let ext = url.rsplit('.').next().unwrap_or_default();
        let want_ctype = match ext {
            "jpg" | "jpeg" => "image/jpeg",
            "gif" => "image/gif",
            _ => "image/png",
        };
        assert_eq!(ctype, want_ctype, "{url}");
        let (ours, theirs) = (decode_frames(&bytes), decode_frames(&theirs_bytes));
        if ours.len() != theirs.len() {
            failures.push(format!("{url}: {} frames, MediaWiki {}", ours.len(), theirs.len()));
            continue;
        }
        for (i, (a, b)) in ours.iter().zip(&theirs).enumerate() {
            if a.dimensions() != b.dimensions() {
                failures.push(format!("{url} frame {i}: {:?}, MediaWiki {:?}", a.dimensions(), b.dimensions()));
                continue;
            }
            let diff = mean_abs_diff(a, b);
            println!("{url} frame {i}: mean abs diff {diff:.2}");
            if diff > 2.5 {
                failures.push(format!("{url} frame {i}: mean abs diff {diff:.2} > 2.5"));
            }
        }
        // Cached: the same bytes from the store.
        let again = c.http.get(&url).send().await.expect("get");
        assert_eq!(again.headers()["x-mwupload-thumb"], "stored");
        assert_eq!(again.bytes().await.expect("body").to_vec(), bytes, "{url}");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// thumb.php: every recorded request's status, type, size, disposition or error text.
#[tokio::test]
async fn thumb_php_answers_as_mediawiki() {
    let fx = fixture();
    let srv = Server::start();
    let c = srv.bot().await;
    upload_fixture_files(&c, &fx).await;
    // The archived version's timestamp replaces the recorded TS.
    let hist = c.imageinfo("Mwthumb-history.png", "archivename", "2").await;
    let archive = hist["query"]["pages"][0]["imageinfo"][1]["archivename"]
        .as_str()
        .expect("archivename")
        .to_string();
    let ts = archive.split('!').next().expect("ts");
    let mut failures = Vec::new();
    for case in fx["thumbphp"].as_array().expect("thumbphp") {
        let q = case["query"].as_str().expect("query").replace("TS%21", &format!("{ts}%21"));
        let url = format!("{}/w/thumb.php?{q}", srv.base);
        let resp = c.http.get(&url).send().await.expect("get");
        let status = resp.status().as_u16();
        let ctype = resp
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap_or("").to_string())
            .unwrap_or_default();
        let disposition = resp
            .headers()
            .get("content-disposition")
            .map(|v| v.to_str().unwrap_or("").to_string());
        let body = resp.bytes().await.expect("body").to_vec();
        let mut diffs = Vec::new();
        if status != case["status"].as_u64().unwrap_or(0) as u16 {
            diffs.push(format!("status {status}"));
        }
        let want_ctype = case["content_type"].as_str().unwrap_or("");
        if !ctype.starts_with(want_ctype) {
            diffs.push(format!("content-type {ctype}"));
        }
        if let Some(size) = case.get("image_size") {
            let frames = decode_frames(&body);
            let got = json!([frames[0].width(), frames[0].height()]);
            if &got != size {
                diffs.push(format!("size {got}"));
            }
            if disposition.as_deref() != case["content_disposition"].as_str() {
                diffs.push(format!("content-disposition {disposition:?}"));
            }
        }
        if let Some(m) = case.get("message").and_then(Value::as_str) {
            let text = String::from_utf8_lossy(&body);
            let escaped = m.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
            if !text.contains(&format!("<p>\n{escaped}\n</p>")) {
                diffs.push(format!("body {text}"));
            }
        }
        if !diffs.is_empty() {
            failures.push(format!("{q}: {} (MediaWiki {case})", diffs.join(", ")));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Thumbnails carry the headers of originals: ETag, Range, If-None-Match.
#[tokio::test]
async fn thumbnails_are_served_like_originals() {
    let srv = Server::start();
    let c = srv.bot().await;
    let r = c.upload("Thumbhdr.png", &png(400, 300, 7), &[]).await;
    assert_eq!(r["upload"]["result"], "Success", "{r}");
    let url = format!(
        "{}/images/thumb/{}/Thumbhdr.png/100px-Thumbhdr.png",
        srv.base,
        hash_path("Thumbhdr.png")
    );
    let ii = c
        .get(&[
            ("action", "query"),
            ("titles", "File:Thumbhdr.png"),
            ("prop", "imageinfo"),
            ("iiprop", "url"),
            ("iiurlwidth", "100"),
            ("format", "json"),
            ("formatversion", "2"),
        ])
        .await;
    assert_eq!(ii["query"]["pages"][0]["imageinfo"][0]["thumburl"], url.as_str());
    let full = c.http.get(&url).send().await.expect("get");
    assert_eq!(full.status(), 200);
    let etag = full.headers()["etag"].to_str().expect("etag").to_string();
    assert_eq!(full.headers()["content-type"], "image/png");
    assert_eq!(full.headers()["accept-ranges"], "bytes");
    let body = full.bytes().await.expect("body").to_vec();
    assert_eq!(etag, format!("\"{}\"", sha1_hex(&body)));
    let img = image::load_from_memory(&body).expect("png");
    assert_eq!((img.width(), img.height()), (100, 75));
    let part = c.http.get(&url).header("Range", "bytes=0-9").send().await.expect("range");
    assert_eq!(part.status(), 206);
    assert_eq!(part.bytes().await.expect("body").to_vec(), body[..10].to_vec());
    let not_modified = c.http.get(&url).header("If-None-Match", &etag).send().await.expect("inm");
    assert_eq!(not_modified.status(), 304);
    // The unabbreviated or a wrong path: thumb_handler's answers.
    let other = if hash_path("Thumbhdr.png") == "0/00" { "f/ff" } else { "0/00" };
    let wrong = url.replace(&format!("/{}/", hash_path("Thumbhdr.png")), &format!("/{other}/"));
    assert_eq!(c.http.get(&wrong).send().await.expect("get").status(), 404);
    let missing = url.replace("Thumbhdr.png", "Nothere.png");
    assert_eq!(c.http.get(&missing).send().await.expect("get").status(), 404);
}

/// MediaWiki's two-level hash directory of a name.
fn hash_path(name: &str) -> String {
    use md5::Digest;
    let h = hex::encode(md5::Md5::digest(name.as_bytes()));
    format!("{}/{}", &h[..1], &h[..2])
}

fn blob_count(srv: &Server) -> usize {
    let root = srv.data.path().join("files/blobs");
    std::fs::read_dir(root)
        .into_iter()
        .flatten()
        .flatten()
        .map(|d| std::fs::read_dir(d.path()).map(|r| r.count()).unwrap_or(0))
        .sum()
}

/// Overwriting shows the new version's thumbnail under the current URL and keeps the old one
/// under thumb/archive/; deleting removes them all; undeleting renders them again.
#[tokio::test]
async fn overwrite_and_deletion_purge_thumbnails() {
    let srv = Server::start();
    let c = srv.bot().await;
    let r = c.upload("Thumbpurge.png", &png(400, 300, 1), &[]).await;
    assert_eq!(r["upload"]["result"], "Success", "{r}");
    let thumb_of = |r: &Value, i: usize| r["query"]["pages"][0]["imageinfo"][i]["thumburl"].as_str().map(String::from);
    let info = |c: &Client| {
        let c = c.clone_session();
        async move {
            c.get(&[
                ("action", "query"),
                ("titles", "File:Thumbpurge.png"),
                ("prop", "imageinfo"),
                ("iiprop", "url|archivename"),
                ("iilimit", "5"),
                ("iiurlwidth", "120"),
                ("format", "json"),
                ("formatversion", "2"),
            ])
            .await
        }
    };
    let first = thumb_of(&info(&c).await, 0).expect("thumburl");
    let (s, v1) = c.fetch(&first).await;
    assert_eq!(s, 200);
    assert_eq!(image::load_from_memory(&v1).expect("png").height(), 90);
    let before = blob_count(&srv);
    // Overwrite with a 200x100 picture: the current URL now shows it.
    let r = c.upload("Thumbpurge.png", &png(200, 100, 2), &[("ignorewarnings", "1")]).await;
    assert_eq!(r["upload"]["result"], "Success", "{r}");
    let now = info(&c).await;
    let current = thumb_of(&now, 0).expect("thumburl");
    assert_eq!(current, first, "same name, same thumbnail URL");
    let (s, v2) = c.fetch(&current).await;
    assert_eq!(s, 200);
    assert_eq!(
        image::load_from_memory(&v2).expect("png").height(),
        60,
        "the new version's thumbnail"
    );
    let archived = thumb_of(&now, 1).expect("archive thumburl");
    assert!(archived.contains("/images/thumb/archive/"), "{archived}");
    let (s, old) = c.fetch(&archived).await;
    assert_eq!(s, 200);
    assert_eq!(old, v1, "the old version keeps its thumbnail");
    let with_thumbs = blob_count(&srv);
    if blobs_on_local_disk() {
        assert_eq!(
            with_thumbs,
            before + 2,
            "the new version and its thumbnail; the old thumbnail is reused"
        );
    }
    // Delete: every thumbnail goes (rows and blobs); the URLs answer 404.
    let r = post_token(&c, &[("action", "delete"), ("title", "File:Thumbpurge.png")]).await;
    assert!(r.get("delete").is_some(), "{r}");
    assert_eq!(c.fetch(&current).await.0, 404);
    assert_eq!(c.fetch(&archived).await.0, 404);
    if blobs_on_local_disk() {
        // Two originals stay (for undeletion); the two thumbnails are gone.
        assert_eq!(blob_count(&srv), with_thumbs - 2);
    }
    // Undelete: rendered again on request.
    let r = post_token(&c, &[("action", "undelete"), ("title", "File:Thumbpurge.png")]).await;
    assert!(r.get("undelete").is_some(), "{r}");
    let resp = c.http.get(&current).send().await.expect("get");
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["x-mwupload-thumb"], "rendered");
}

/// Reverting to an old version serves that version's thumbnail at the current URL.
#[tokio::test]
async fn revert_shows_the_old_versions_thumbnail() {
    let srv = Server::start();
    let c = srv.bot().await;
    assert_eq!(
        c.upload("Thumbrev.png", &png(400, 300, 1), &[]).await["upload"]["result"],
        "Success"
    );
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let r = c.upload("Thumbrev.png", &png(200, 100, 2), &[("ignorewarnings", "1")]).await;
    assert_eq!(r["upload"]["result"], "Success", "{r}");
    let q = [
        ("action", "query"),
        ("titles", "File:Thumbrev.png"),
        ("prop", "imageinfo"),
        ("iiprop", "url|archivename"),
        ("iilimit", "5"),
        ("iiurlwidth", "120"),
        ("format", "json"),
        ("formatversion", "2"),
    ];
    let r = c.get(&q).await;
    let current = r["query"]["pages"][0]["imageinfo"][0]["thumburl"]
        .as_str()
        .expect("thumburl")
        .to_string();
    assert_eq!(image::load_from_memory(&c.fetch(&current).await.1).expect("png").height(), 60);
    let archive = r["query"]["pages"][0]["imageinfo"][1]["archivename"]
        .as_str()
        .expect("archivename")
        .to_string();
    let r = post_token(
        &c,
        &[
            ("action", "filerevert"),
            ("filename", "Thumbrev.png"),
            ("archivename", &archive),
            ("comment", "back"),
        ],
    )
    .await;
    assert_eq!(r["filerevert"]["result"], "Success", "{r}");
    let (s, bytes) = c.fetch(&current).await;
    assert_eq!(s, 200);
    assert_eq!(
        image::load_from_memory(&bytes).expect("png").height(),
        90,
        "the reverted-to version's thumbnail"
    );
}

/// Many concurrent requests for one new thumbnail: one rendering, everyone gets its bytes.
#[tokio::test]
async fn concurrent_requests_render_once() {
    let srv = Server::start();
    let c = srv.bot().await;
    let r = c.upload("Thumbrace.png", &png(1600, 1200, 3), &[]).await;
    assert_eq!(r["upload"]["result"], "Success", "{r}");
    let url = format!("{}/w/thumb.php?f=Thumbrace.png&width=321", srv.base);
    let mut tasks = Vec::new();
    for _ in 0..12 {
        let (http, url) = (c.http.clone(), url.clone());
        tasks.push(tokio::spawn(async move {
            let r = http.get(&url).send().await.expect("get");
            assert_eq!(r.status(), 200);
            let how = r.headers()["x-mwupload-thumb"].to_str().expect("header").to_string();
            (how, r.bytes().await.expect("body").to_vec())
        }));
    }
    let mut rendered = 0;
    let mut bodies = Vec::new();
    for t in tasks {
        let (how, body) = t.await.expect("task");
        if how == "rendered" {
            rendered += 1;
        }
        bodies.push(body);
    }
    assert_eq!(rendered, 1, "exactly one request renders");
    assert!(bodies.windows(2).all(|w| w[0] == w[1]), "everyone gets the same thumbnail");
    assert_eq!(image::load_from_memory(&bodies[0]).expect("png").width(), 321);
}

/// A PNG claiming 20000x20000 pixels (69 bytes): refused as MediaWiki refuses it, in
/// imageinfo, thumb.php and the thumbnail path, without decoding it.
#[tokio::test]
async fn decompression_bombs_are_refused() {
    let srv = Server::start();
    let c = srv.bot().await;
    let bytes = std::fs::read(fixtures().join("src/huge.png")).expect("huge.png");
    let r = c.upload("Thumbbomb.png", &bytes, &[("ignorewarnings", "1")]).await;
    assert_eq!(r["upload"]["result"], "Success", "{r}");
    let r = c
        .get(&[
            ("action", "query"),
            ("titles", "File:Thumbbomb.png"),
            ("prop", "imageinfo"),
            ("iiprop", "url|size"),
            ("iiurlwidth", "120"),
            ("format", "json"),
            ("formatversion", "2"),
        ])
        .await;
    let ii = &r["query"]["pages"][0]["imageinfo"][0];
    assert_eq!(
        ii["thumberror"], "Error creating thumbnail: File with dimensions greater than 12.5 MP",
        "{r}"
    );
    assert!(ii.get("thumburl").is_none());
    let resp = c
        .http
        .get(format!("{}/w/thumb.php?f=Thumbbomb.png&width=120", srv.base))
        .send()
        .await
        .expect("get");
    assert_eq!(resp.status(), 400);
    let text = resp.text().await.expect("text");
    assert!(text.contains("File with dimensions greater than 12.5 MP"), "{text}");
    let resp = c
        .http
        .get(format!(
            "{}/images/thumb/{}/Thumbbomb.png/120px-Thumbbomb.png",
            srv.base,
            hash_path("Thumbbomb.png")
        ))
        .send()
        .await
        .expect("get");
    assert!(matches!(resp.status().as_u16(), 400 | 404), "{}", resp.status());
}

/// stashimageinfo: the same fields for a stashed file; its thumbnail is served to its owner.
#[tokio::test]
async fn stashed_files_have_thumbnails() {
    let srv = Server::start();
    let c = srv.bot().await;
    let r = c.upload("Thumbstash.png", &png(400, 300, 5), &[("stash", "1")]).await;
    let key = r["upload"]["filekey"].as_str().unwrap_or_else(|| panic!("{r}")).to_string();
    let r = c
        .get(&[
            ("action", "query"),
            ("prop", "stashimageinfo"),
            ("siifilekey", &key),
            ("siiprop", "url|size|thumbmime"),
            ("siiurlwidth", "120"),
            ("format", "json"),
            ("formatversion", "2"),
        ])
        .await;
    let ii = &r["query"]["stashimageinfo"][0];
    assert_eq!(
        (ii["thumbwidth"].as_i64(), ii["thumbheight"].as_i64()),
        (Some(120), Some(90)),
        "{r}"
    );
    assert_eq!(ii["thumbmime"], "image/png");
    let thumburl = ii["thumburl"].as_str().expect("thumburl");
    assert!(
        thumburl.contains(&format!("Special:UploadStash/thumb/{key}/120px-{key}")),
        "{thumburl}"
    );
    let (s, bytes) = c.fetch(thumburl).await;
    assert_eq!(s, 200);
    assert_eq!(image::load_from_memory(&bytes).expect("png").width(), 120);
    // Not for others.
    let stranger = srv.client();
    assert_ne!(stranger.fetch(thumburl).await.0, 200);
    // Bad parameters are API errors with the module's prefix.
    let r = c
        .get(&[
            ("action", "query"),
            ("prop", "stashimageinfo"),
            ("siifilekey", &key),
            ("siiprop", "url"),
            ("siiurlparam", "0px"),
            ("format", "json"),
        ])
        .await;
    assert_eq!(r["error"]["code"], "invalidurlparam", "{r}");
    assert_eq!(r["error"]["info"], "Invalid value for \"siiurlparam\" (\"width=0\").");
}
