//! Chunked uploads, the stash and async assembly/publish, compared with MediaWiki 1.39's
//! transcripts (section "(c) stash=1 and chunked upload" and "(e) async=1 and checkstatus=1").

mod common;
use common::*;
use serde_json::Value;
use std::time::Duration;

/// Sends one chunk.
async fn chunk(
    c: &Client,
    filename: &str,
    filesize: usize,
    offset: Option<usize>,
    key: Option<&str>,
    bytes: &[u8],
    extra: Params<'_>,
) -> Value {
    let fs = filesize.to_string();
    let off = offset.map(|o| o.to_string());
    let mut p: Vec<(&str, &str)> = vec![
        ("action", "upload"),
        ("format", "json"),
        ("stash", "1"),
        ("filename", filename),
        ("filesize", &fs),
        ("token", &c.csrf),
    ];
    if let Some(o) = &off {
        p.push(("offset", o));
    }
    if let Some(k) = key {
        p.push(("filekey", k));
    }
    p.extend_from_slice(extra);
    c.post_file(&p, "chunk", bytes).await
}

async fn checkstatus(c: &Client, key: &str, fv2: bool) -> Value {
    let mut p = vec![
        ("action", "upload"),
        ("format", "json"),
        ("checkstatus", "1"),
        ("filekey", key),
        ("token", c.csrf.as_str()),
    ];
    if fv2 {
        p.push(("formatversion", "2"));
    }
    c.post(&p).await
}

/// Polls checkstatus until it leaves Poll. (A job whose process was SIGKILLed waits for its
/// lease, `jobs::LEASE_SECS`, before another process takes it over: allow several times that.)
async fn poll(c: &Client, key: &str) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while std::time::Instant::now() < deadline {
        let r = checkstatus(c, key, false).await;
        if r["upload"]["result"] != "Poll" {
            return r;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("still Poll after 60 s");
}

const IW: &[(&str, &str)] = &[("ignorewarnings", "1")];

#[tokio::test]
async fn sync_chunked_upload_matches_mediawiki() {
    let srv = Server::start();
    let c = srv.bot().await;
    let f = png(200, 20, 7);
    assert_eq!(f.len(), 12088, "same size as the transcript's file");
    let r = chunk(&c, "Ref2-chunked.png", f.len(), Some(0), None, &f[..5000], IW).await;
    assert_matches_transcript(&r, 72);
    let k = r["upload"]["filekey"].as_str().unwrap().to_string();
    // During the session, checkstatus reports Continue/uploading/offset.
    let st = checkstatus(&c, &k, false).await;
    assert_eq!(st["upload"]["result"], "Continue", "{st}");
    assert_eq!(st["upload"]["offset"], 5000);
    let r = chunk(
        &c,
        "Ref2-chunked.png",
        f.len(),
        Some(5000),
        Some(&k),
        &f[5000..10000],
        &[("ignorewarnings", "1"), ("formatversion", "2")],
    )
    .await;
    assert_matches_transcript(&r, 73);
    let r = chunk(&c, "Ref2-chunked.png", f.len(), Some(10000), Some(&k), &f[10000..], IW).await;
    assert_matches_transcript(&r, 74);
    let k2 = r["upload"]["filekey"].as_str().unwrap().to_string();
    assert_ne!(k, k2, "the assembled file gets a new key");
    assert_eq!(r["upload"]["imageinfo"]["sha1"], sha1_hex(&f));
    assert_matches_transcript(&checkstatus(&c, &k2, false).await, 75);
    let r = c
        .post(&[
            ("action", "upload"),
            ("format", "json"),
            ("filename", "Ref2-chunked.png"),
            ("filekey", &k2),
            ("comment", "chunked"),
            ("text", "Recorded by record_transcripts.py"),
            ("token", &c.csrf),
        ])
        .await;
    assert_matches_transcript(&r, 76);
    assert_eq!(c.fetch(r["upload"]["imageinfo"]["url"].as_str().unwrap()).await, (200, f.clone()));
    // 77: the old session key is gone.
    let r = chunk(&c, "Ref2-chunked.png", f.len(), Some(10000), Some(&k), &f[10000..], IW).await;
    assert_matches_transcript(&r, 77);
    assert!(srv.spool_files().is_empty(), "{:?}", srv.spool_files());
}

#[tokio::test]
async fn chunk_errors_match_mediawiki_and_change_nothing() {
    let srv = Server::start();
    let c = srv.bot().await;
    let f = png(200, 20, 8);
    let r = chunk(&c, "Ref2-chunkerr.png", f.len(), Some(0), None, &f[..5000], IW).await;
    assert_matches_transcript(&r, 78);
    let k = r["upload"]["filekey"].as_str().unwrap().to_string();
    assert_matches_transcript(
        &chunk(&c, "Ref2-chunkerr.png", f.len(), Some(0), Some(&k), &f[..5000], IW).await,
        79,
    );
    assert_matches_transcript(
        &chunk(&c, "Ref2-chunkerr.png", f.len(), Some(10000), Some(&k), &f[10000..], IW).await,
        80,
    );
    assert_matches_transcript(
        &chunk(
            &c,
            "Ref2-chunkerr.png",
            f.len(),
            Some(10000),
            Some(&k),
            &f[10000..],
            &[("ignorewarnings", "1"), ("formatversion", "2")],
        )
        .await,
        81,
    );
    assert_matches_transcript(
        &chunk(&c, "Ref2-chunkerr.png", f.len(), Some(5000), Some(&k), &f[5000..5500], IW).await,
        82,
    );
    assert_matches_transcript(
        &chunk(&c, "Ref2-chunkerr.png", 5010, Some(5000), Some(&k), &f[5000..10000], IW).await,
        83,
    );
    assert_matches_transcript(
        &chunk(&c, "Ref2-chunkerr.png", f.len(), Some(5000), None, &f[5000..10000], IW).await,
        84,
    );
    // The stashfailed offset is a string, the Continue offset a number.
    let r = chunk(&c, "Ref2-chunkerr.png", f.len(), Some(7), Some(&k), &f[5000..10000], IW).await;
    assert_eq!(r["error"]["offset"], "5000");
    // None of the errors moved the session: the right chunks still complete it.
    let r = chunk(&c, "Ref2-chunkerr.png", f.len(), Some(5000), Some(&k), &f[5000..10000], IW).await;
    assert_eq!(r["upload"]["offset"], 10000, "{r}");
    // Better than MediaWiki: re-sending the chunk that was just stored (a lost response) is a no-op success.
    let r = chunk(&c, "Ref2-chunkerr.png", f.len(), Some(5000), Some(&k), &f[5000..10000], IW).await;
    assert_eq!(
        (r["upload"]["result"].as_str(), r["upload"]["offset"].as_u64()),
        (Some("Continue"), Some(10000)),
        "{r}"
    );
    // ...but different bytes at that offset are refused.
    let r = chunk(&c, "Ref2-chunkerr.png", f.len(), Some(5000), Some(&k), &random_bytes(5000, 3), IW).await;
    assert_eq!(r["error"]["code"], "stashfailed", "{r}");
    let r = chunk(&c, "Ref2-chunkerr.png", f.len(), Some(10000), Some(&k), &f[10000..], IW).await;
    assert_eq!(r["upload"]["result"], "Success", "{r}");
    assert_eq!(r["upload"]["imageinfo"]["sha1"], sha1_hex(&f));
    // 85/86: unknown and malformed keys.
    let pp = |k: &'static str| {
        vec![
            ("action", "upload"),
            ("format", "json"),
            ("filename", "Ref2-nokey.png"),
            ("filekey", k),
            ("comment", "transcript upload"),
            ("text", "x"),
        ]
    };
    let mut p85 = pp("1abcde2fgh3i.abcdef.1.png");
    p85.push(("token", &c.csrf));
    assert_matches_transcript(&c.post(&p85).await, 85);
    let mut p86 = pp("../../etc/passwd");
    p86.push(("token", &c.csrf));
    assert_matches_transcript(&c.post(&p86).await, 86);
    // 89/90: random bytes named .png assemble into a verification failure.
    let junk = random_bytes(7000, 9);
    let r = chunk(&c, "Ref2-junk.png", 7000, Some(0), None, &junk[..5000], IW).await;
    assert_matches_transcript(&r, 89);
    let jk = r["upload"]["filekey"].as_str().unwrap().to_string();
    let r = chunk(&c, "Ref2-junk.png", 7000, Some(5000), Some(&jk), &junk[5000..], IW).await;
    assert_eq!(r["error"]["code"], "stashfailed");
    assert_eq!(r["error"]["info"], "This file did not pass file verification.");
    assert_eq!(r["error"]["verification"], "verification-error", "we add the precise reason: {r}");
}

#[tokio::test]
async fn chunked_warnings_and_clamping_match_mediawiki() {
    let srv = Server::start();
    let c = srv.bot().await;
    let f = png(200, 20, 9);
    c.upload("Ref2-a.png", &png(16, 16, 1), &[]).await;
    // 88: without ignorewarnings onto an existing name -> Warning at the first chunk.
    assert_matches_transcript(&chunk(&c, "Ref2-a.png", f.len(), Some(0), None, &f[..5000], &[]).await, 88);
    // 87: filesize above the maximum is clamped with a warning (our maximum differs, so compare the shape).
    let r = chunk(&c, "Ref2-huge.png", 99_000_000_000, Some(0), None, &f[..5000], IW).await;
    assert_eq!(
        r["warnings"]["upload"]["*"],
        "The value \"99000000000\" for parameter \"filesize\" must be between 0 and 5,368,709,120."
    );
    assert_eq!(r["upload"]["result"], "Continue");
}

#[tokio::test]
async fn docs_demo_chunks_without_offset_are_appended() {
    // MediaWiki's own chunked_uploading.py omits `offset` after the first chunk.
    let srv = Server::start();
    let c = srv.bot().await;
    let f = png(120, 120, 11);
    let mut r = chunk(&c, "Demo.png", f.len(), Some(0), None, &f[..5000], IW).await;
    let mut sent = 5000;
    while sent < f.len() {
        let end = (sent + 5000).min(f.len());
        let key = r["upload"]["filekey"].as_str().unwrap().to_string();
        r = chunk(&c, "Demo.png", f.len(), None, Some(&key), &f[sent..end], &[]).await;
        sent = end;
    }
    assert_eq!(r["upload"]["result"], "Success", "{r}");
    assert_eq!(r["upload"]["imageinfo"]["sha1"], sha1_hex(&f));
}

#[tokio::test]
async fn async_assembly_and_publish_match_mediawiki() {
    let srv = Server::start();
    let c = srv.bot().await;
    let f = png(200, 20, 12);
    let aw: &[(&str, &str)] = &[("ignorewarnings", "1"), ("async", "1")];
    let r = chunk(&c, "Ref2-async.png", f.len(), Some(0), None, &f[..5000], aw).await;
    assert_matches_transcript(&r, 99);
    let k = r["upload"]["filekey"].as_str().unwrap().to_string();
    assert_matches_transcript(
        &chunk(&c, "Ref2-async.png", f.len(), Some(5000), Some(&k), &f[5000..10000], aw).await,
        100,
    );
    assert_matches_transcript(
        &chunk(&c, "Ref2-async.png", f.len(), Some(10000), Some(&k), &f[10000..], aw).await,
        101,
    );
    let r = poll(&c, &k).await;
    assert_matches_transcript(&r, 103);
    assert_matches_transcript(&checkstatus(&c, &k, true).await, 104);
    let k2 = r["upload"]["filekey"].as_str().unwrap().to_string();
    let pubp = [
        ("action", "upload"),
        ("format", "json"),
        ("filename", "Ref2-async.png"),
        ("filekey", k2.as_str()),
        ("comment", "transcript upload"),
        ("text", "Recorded by record_transcripts.py"),
        ("async", "1"),
        ("ignorewarnings", "1"),
        ("token", c.csrf.as_str()),
    ];
    let r = c.post(&pubp).await;
    assert_matches_transcript(&r, 105);
    let again = c.post(&pubp).await;
    // Either still queued (publishfailed, as MediaWiki) or already done and the key consumed.
    assert!(
        again["error"]["code"] == "publishfailed" || again["error"]["code"] == "uploadstash-file-not-found",
        "{again}"
    );
    let r = poll(&c, &k2).await;
    assert_matches_transcript(&r, 108);
    assert_eq!(c.fetch(r["upload"]["imageinfo"]["url"].as_str().unwrap()).await, (200, f.clone()));
    // 98: async with a direct file.
    let r = c
        .upload(
            "Ref2-asyncfile.png",
            &png(16, 16, 3),
            &[("async", "1"), ("comment", "transcript upload"), ("text", "x")],
        )
        .await;
    assert_matches_transcript(&r, 98);
    // 110-112: async assembly of junk fails verification, reported through checkstatus.
    let junk = random_bytes(7000, 10);
    let r = chunk(&c, "Ref2-asyncjunk.png", 7000, Some(0), None, &junk[..5000], aw).await;
    assert_matches_transcript(&r, 110);
    let jk = r["upload"]["filekey"].as_str().unwrap().to_string();
    assert_matches_transcript(
        &chunk(&c, "Ref2-asyncjunk.png", 7000, Some(5000), Some(&jk), &junk[5000..], aw).await,
        111,
    );
    let r = poll(&c, &jk).await;
    assert_eq!(r["error"]["code"], "stashfailed", "{r}");
    assert_eq!(r["error"]["info"], "This file did not pass file verification.");
    // 113: unknown key.
    assert_matches_transcript(&checkstatus(&c, "1abcde2fgh3i.abcdef.1.png", false).await, 113);
}

#[tokio::test]
async fn chunked_upload_survives_a_server_crash() {
    let mut srv = Server::start();
    let mut c = srv.bot().await;
    let f = png(300, 300, 13);
    let n = f.len();
    let r = chunk(&c, "Crash.png", n, Some(0), None, &f[..100_000], IW).await;
    let k = r["upload"]["filekey"].as_str().unwrap().to_string();
    let r = chunk(&c, "Crash.png", n, Some(100_000), Some(&k), &f[100_000..200_000], IW).await;
    assert_eq!(r["upload"]["offset"], 200_000);
    // Leave a half-written spool file behind in the server's scratch space, as a request cut
    // off by the crash would.
    let before = srv.scratch_dirs();
    assert_eq!(before.len(), srv.processes(), "one scratch dir per process: {before:?}");
    for d in &before {
        std::fs::write(d.join(".mwupload-crashed"), b"partial").unwrap();
    }
    srv.restart(); // SIGKILL (every replica), then start again on the same data
    for d in &before {
        assert!(!d.exists(), "the dead process's scratch was not removed at start");
    }
    assert!(srv.spool_files().is_empty(), "spool not cleaned at start: {:?}", srv.spool_files());
    // The session cookie survives the restart (sessions live in the database).
    c.refresh_csrf().await;
    assert_ne!(c.csrf, "+\\", "session lost across restart");
    let st = checkstatus(&c, &k, false).await;
    let at = st["upload"]["offset"].as_u64().unwrap() as usize;
    assert_eq!(at, 200_000, "{st}");
    let r = chunk(&c, "Crash.png", n, Some(at), Some(&k), &f[at..], IW).await;
    assert_eq!(r["upload"]["result"], "Success", "{r}");
    assert_eq!(r["upload"]["imageinfo"]["sha1"], sha1_hex(&f));
    let _ = &mut c;
}

#[tokio::test]
async fn async_assembly_survives_a_server_crash() {
    let mut srv = Server::start();
    let c = srv.bot().await;
    // Big enough that assembly (hashing, analysis) is still running when the server dies.
    let f = png(1500, 1500, 21);
    let n = f.len();
    let half = n / 2;
    let aw: &[(&str, &str)] = &[("ignorewarnings", "1"), ("async", "1")];
    let r = chunk(&c, "CrashAsync.png", n, Some(0), None, &f[..half], aw).await;
    let k = r["upload"]["filekey"].as_str().unwrap().to_string();
    let r = chunk(&c, "CrashAsync.png", n, Some(half), Some(&k), &f[half..], aw).await;
    assert_eq!(r["upload"]["result"], "Poll", "{r}");
    srv.restart(); // SIGKILL right after queueing
    let r = poll(&c, &k).await;
    assert_eq!(r["upload"]["result"], "Success", "{r}");
    assert_eq!(r["upload"]["imageinfo"]["sha1"], sha1_hex(&f));
    let k2 = r["upload"]["filekey"].as_str().unwrap().to_string();
    let r = c
        .post(&[
            ("action", "upload"),
            ("format", "json"),
            ("filename", "CrashAsync.png"),
            ("filekey", &k2),
            ("token", &c.csrf),
        ])
        .await;
    assert_eq!(r["upload"]["result"], "Success", "{r}");
    assert_eq!(c.fetch(r["upload"]["imageinfo"]["url"].as_str().unwrap()).await, (200, f));
}

#[tokio::test]
async fn concurrent_chunks_at_one_offset_leave_a_consistent_session() {
    let srv = Server::start();
    let c = std::sync::Arc::new(srv.bot().await);
    let f = png(200, 200, 31);
    let n = f.len();
    let r = chunk(&c, "Conc.png", n, Some(0), None, &f[..40_000], IW).await;
    let k = r["upload"]["filekey"].as_str().unwrap().to_string();
    // Six clients race to append different bytes at the same offset; one real chunk among them.
    let mut tasks = Vec::new();
    for i in 0..6u64 {
        let (c, k, f) = (c.clone(), k.clone(), f.clone());
        tasks.push(tokio::spawn(async move {
            // Distinct noise per task (identical bytes would be a legitimate idempotent re-send).
            let bytes = if i == 0 {
                f[40_000..80_000].to_vec()
            } else {
                random_bytes(40_000, 100 + 2 * i)
            };
            let r = chunk(&c, "Conc.png", n, Some(40_000), Some(&k), &bytes, IW).await;
            (bytes, r)
        }));
    }
    let mut ok = 0;
    let mut winner = Vec::new();
    for t in tasks {
        let (bytes, r) = t.await.unwrap();
        if r["upload"]["result"] == "Continue" {
            ok += 1;
            winner = bytes;
        } else {
            assert_eq!(r["error"]["code"], "stashfailed", "{r}");
            assert_eq!(r["error"]["offset"], "80000");
        }
    }
    assert_eq!(ok, 1, "exactly one chunk may land at an offset");
    let st = checkstatus(&c, &k, false).await;
    assert_eq!(st["upload"]["offset"], 80_000);
    // The stored bytes and the running hash agree with exactly the winner's bytes.
    let r = chunk(&c, "Conc.png", n, Some(80_000), Some(&k), &f[80_000..], IW).await;
    let mut expected = f[..40_000].to_vec();
    expected.extend_from_slice(&winner);
    expected.extend_from_slice(&f[80_000..]);
    assert_eq!(r["upload"]["result"], "Success", "{r}");
    assert_eq!(r["upload"]["imageinfo"]["sha1"], sha1_hex(&expected));
    let (st, body) = c.fetch(r["upload"]["imageinfo"]["url"].as_str().unwrap()).await;
    assert_eq!((st, body == expected), (200, true));
}

#[tokio::test]
async fn a_later_chunk_with_a_warning_is_stashed_on_its_own() {
    let srv = Server::start();
    let c = srv.bot().await;
    let f = png(100, 100, 41);
    let piece = f[5000..10000].to_vec();
    // A published file whose bytes equal the next chunk: that chunk gets a `duplicate` warning.
    c.upload("Piece.txt", &piece, &[("ignorewarnings", "1")]).await;
    let r = chunk(&c, "Whole.png", f.len(), Some(0), None, &f[..5000], IW).await;
    let k = r["upload"]["filekey"].as_str().unwrap().to_string();
    let r = chunk(&c, "Whole.png", f.len(), Some(5000), Some(&k), &piece, &[]).await;
    assert_eq!(r["upload"]["result"], "Warning", "{r}");
    let wk = r["upload"]["filekey"].as_str().unwrap().to_string();
    let si = c
        .get(&[
            ("action", "query"),
            ("prop", "stashimageinfo"),
            ("siifilekey", &wk),
            ("siiprop", "size|sha1"),
            ("format", "json"),
        ])
        .await;
    assert_eq!(si["query"]["stashimageinfo"][0]["sha1"], sha1_hex(&piece), "{si}");
    // The session did not move; it can still be completed.
    let r = chunk(&c, "Whole.png", f.len(), Some(5000), Some(&k), &f[5000..], IW).await;
    assert_eq!(r["upload"]["result"], "Success", "{r}");
    assert_eq!(r["upload"]["imageinfo"]["sha1"], sha1_hex(&f));
}

/// MediaWiki verifies every stash attempt of a first chunk on its own bytes
/// (`UploadFromChunks::verifyChunk`: `verifyPartialFile` against the name's extension), so an
/// executable header in a `.txt` file is refused before a session exists, with the verification
/// message's key as the code (tests/fixtures/differential.json, chunk-bad-content-first). With a
/// warning, the failed stash attempt is the answer's `stasherrors` and there is no file key.
#[tokio::test]
async fn a_first_chunk_is_verified_on_its_own() {
    let srv = Server::start();
    let c = srv.bot().await;
    let mut f = b"MZ".to_vec();
    for _ in 0..400 {
        f.extend_from_slice(b"plain text.\n");
    }
    let r = chunk(&c, "Mz chunk.txt", f.len(), Some(0), None, &f[..2048], &[]).await;
    assert_eq!(r["error"]["code"], "filetype-bad-ie-mime", "{r}");
    assert_eq!(
        r["error"]["info"],
        "Cannot upload this file because Internet Explorer would detect it as \"application/x-msdownload\", which is a disallowed and potentially dangerous file type."
    );
    assert!(r["error"].get("filekey").is_none() && r["error"].get("details").is_none(), "{r}");
    let raw = chunk(&c, "Mz chunk.txt", f.len(), Some(0), None, &f[..2048], &[("errorformat", "raw")]).await;
    assert_eq!(raw["errors"][0]["key"], "filetype-bad-ie-mime", "{raw}");
    assert_eq!(raw["errors"][0]["params"], serde_json::json!(["application/x-msdownload"]), "{raw}");

    // A warning first (the name's ':' is replaced): the stash attempt fails too.
    let r = chunk(&c, "Mz:chunk.txt", f.len(), Some(0), None, &f[..2048], &[("formatversion", "2")]).await;
    assert_eq!(r["upload"]["result"], "Warning", "{r}");
    assert_eq!(r["upload"]["warnings"]["badfilename"], "Mz-chunk.txt", "{r}");
    assert!(r["upload"].get("filekey").is_none(), "{r}");
    assert_eq!(
        r["upload"]["stasherrors"],
        serde_json::json!([{
            "message": "filetype-bad-ie-mime",
            "params": ["application/x-msdownload"],
            "code": "filetype-bad-ie-mime",
            "type": "error"
        }]),
        "{r}"
    );
    // Nothing was stashed.
    let st = c
        .get(&[
            ("action", "query"),
            ("list", "mystashedfiles"),
            ("format", "json"),
            ("formatversion", "2"),
        ])
        .await;
    assert_eq!(st["query"]["mystashedfiles"], serde_json::json!([]), "{st}");

    // The same text without the header is an ordinary session.
    let ok: Vec<u8> = f[2..].to_vec();
    let r = chunk(&c, "Text chunk.txt", ok.len(), Some(0), None, &ok[..2048], &[]).await;
    assert_eq!(r["upload"]["result"], "Continue", "{r}");
}

/// The files under `root` whose content is `bytes`.
fn files_holding(root: &std::path::Path, bytes: &[u8]) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(root).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_holding(&p, bytes));
        } else if std::fs::metadata(&p).map(|m| m.len() == bytes.len() as u64).unwrap_or(false)
            && std::fs::read(&p).map(|b| b == bytes).unwrap_or(false)
        {
            out.push(p);
        }
    }
    out
}

/// A publish by file key verifies the stashed file again under the name it is published as
/// (MediaWiki's UploadFromStash), except that bytes which passed the full verification under
/// the same final extension are not read again: a stash entry's bytes never change, and a
/// large assembly is then not re-read at publish. Shown by changing the assembled bytes behind
/// the server's back: published under another extension they are read again (and refused);
/// under the extension the assembly verified they are not.
#[tokio::test]
async fn a_publish_under_the_verified_extension_does_not_read_the_stash_again() {
    if !blobs_on_local_disk() {
        eprintln!("skipped: the stashed bytes are on S3, where this test cannot change them");
        return;
    }
    let srv = Server::start();
    let c = srv.bot().await;
    let f = png(120, 90, 47);
    let r = chunk(&c, "Verified once.png", f.len(), Some(0), None, &f[..6000], &[]).await;
    let k = r["upload"]["filekey"].as_str().unwrap().to_string();
    let r = chunk(&c, "Verified once.png", f.len(), Some(6000), Some(&k), &f[6000..], &[]).await;
    assert_eq!(r["upload"]["result"], "Success", "{r}");
    let key = r["upload"]["filekey"].as_str().unwrap().to_string();
    let held = files_holding(srv.data.path(), &f);
    assert_eq!(held.len(), 1, "the assembled file is stored once: {held:?}");
    let mut script = b"<html><script>alert(1)</script></html>".to_vec();
    script.resize(f.len(), b' ');
    std::fs::write(&held[0], &script).unwrap();
    let publish = |name: &'static str| {
        let (c, key) = (&c, key.clone());
        async move {
            c.post(&[
                ("action", "upload"),
                ("format", "json"),
                ("filename", name),
                ("filekey", &key),
                ("comment", "published from the stash"),
                ("token", &c.csrf),
            ])
            .await
        }
    };
    // Another final extension: the bytes are read and verified again, and refused.
    let r = publish("Verified once.jpg").await;
    assert_eq!(r["error"]["code"], "verification-error", "{r}");
    // The verified extension: the verdict is reused, and the entry's recorded SHA-1 published.
    let r = publish("Verified once, renamed.png").await;
    assert_eq!(r["upload"]["result"], "Success", "{r}");
    assert_eq!(r["upload"]["imageinfo"]["sha1"], sha1_hex(&f), "{r}");
    assert_eq!(r["upload"]["imageinfo"]["mime"], "image/png", "{r}");
}

/// A chunk that streams into its session gets the name's warnings read while its body arrived
/// (`chunks::open_routed`), the same as a chunk handled after its body; `checkstatus` follows
/// the session's offset from the session itself (no status is written per chunk).
#[tokio::test]
async fn a_streamed_chunk_reports_the_names_warnings_and_checkstatus_its_offset() {
    let srv = Server::start();
    let c = srv.bot().await;
    c.upload("Taken.png", &png(16, 16, 3), &[]).await;
    let f = png(200, 20, 44);
    let r = chunk(&c, "Taken.png", f.len(), Some(0), None, &f[..5000], IW).await;
    assert_eq!(r["upload"]["result"], "Continue", "{r}");
    assert_eq!(r["upload"]["warnings"]["exists"], "Taken.png", "{r}");
    let k = r["upload"]["filekey"].as_str().unwrap().to_string();
    let r = chunk(&c, "Taken.png", f.len(), Some(5000), Some(&k), &f[5000..10000], IW).await;
    assert_eq!(
        (r["upload"]["result"].as_str(), r["upload"]["offset"].as_u64()),
        (Some("Continue"), Some(10000)),
        "{r}"
    );
    assert_eq!(r["upload"]["warnings"]["exists"], "Taken.png", "{r}");
    let st = checkstatus(&c, &k, false).await;
    assert_eq!(
        (
            st["upload"]["result"].as_str(),
            st["upload"]["stage"].as_str(),
            st["upload"]["offset"].as_u64()
        ),
        (Some("Continue"), Some("uploading"), Some(10000)),
        "{st}"
    );
    // A chunk under a name nothing has: no warning (the facts are the new name's).
    let r = chunk(&c, "Free-name.png", f.len(), Some(10000), Some(&k), &f[10000..11500], IW).await;
    assert_eq!(r["upload"]["result"], "Continue", "{r}");
    assert!(r["upload"].get("warnings").is_none(), "{r}");
    // Another user's view of the session: no status at all.
    srv.admin(&["user", "create", "Checker", "--password", "checker-password-123"]);
    let mut o = srv.client();
    o.login("Checker", "checker-password-123").await;
    let st = checkstatus(&o, &k, false).await;
    assert_eq!(st["error"]["code"], "missingresult", "{st}");
    let r = chunk(&c, "Taken.png", f.len(), Some(11500), Some(&k), &f[11500..], IW).await;
    assert_eq!(r["upload"]["result"], "Success", "{r}");
    assert_eq!(r["upload"]["imageinfo"]["sha1"], sha1_hex(&f));
}

/// What a chunk streamed into its session is judged by is read while it streams (the caller's
/// blocks; whether a stored file has the size of the session's previous chunk, as clients send
/// chunks of one size): a chunk of another size is judged by its own size, and a block placed
/// between two chunks refuses the next one and leaves the session where it was.
#[tokio::test]
async fn a_streamed_chunk_is_judged_by_its_own_size_and_refused_after_a_block() {
    let srv = Server::start();
    srv.admin(&["user", "create", "Chunker", "--password", "chunker-password-123"]);
    let mut u = srv.client();
    u.login("Chunker", "chunker-password-123").await;
    let mut admin = srv.client();
    admin.login("Admin", &srv.admin_pass).await;
    let f = png(200, 200, 45);
    // A stored file with the bytes of the second chunk, which is shorter than the first.
    admin.upload("Piece2.txt", &f[10000..16000], &[("ignorewarnings", "1")]).await;
    let r = chunk(&u, "By-chunker.png", f.len(), Some(0), None, &f[..10000], IW).await;
    assert_eq!(r["upload"]["result"], "Continue", "{r}");
    let k = r["upload"]["filekey"].as_str().unwrap().to_string();
    let r = chunk(&u, "By-chunker.png", f.len(), Some(10000), Some(&k), &f[10000..16000], &[]).await;
    assert_eq!(r["upload"]["result"], "Warning", "{r}");
    assert_eq!(r["upload"]["warnings"]["duplicate"][0], "Piece2.txt", "{r}");
    let r = admin
        .post(&[
            ("action", "block"),
            ("user", "Chunker"),
            ("expiry", "1 day"),
            ("reason", "between two chunks"),
            ("token", &admin.csrf),
            ("format", "json"),
        ])
        .await;
    assert!(r["block"]["id"].is_number(), "{r}");
    let r = chunk(&u, "By-chunker.png", f.len(), Some(10000), Some(&k), &f[10000..20000], IW).await;
    assert_eq!(r["error"]["code"], "blocked", "{r}");
    let st = checkstatus(&u, &k, false).await;
    assert_eq!(st["upload"]["offset"].as_u64(), Some(10000), "{st}");
}
