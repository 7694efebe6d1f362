//! Two `mwupload serve` processes on one data directory, as two replicas over one database and
//! blob store: a client's chunks alternate between them and race each other at every offset,
//! both processes' job workers compete for the assembly and the publish, and every byte served
//! by either must match the SHA-1 recorded for the file. (Before guarantees came from the
//! database, this published files whose bytes did not match their recorded SHA-1.)

mod common;

use common::*;
use serde_json::Value;
use std::time::Duration;

/// Printable text (so a `.txt` name verifies whatever chunks win), different per seed.
fn text(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    (0..len)
        .map(|i| {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            if i % 64 == 63 { b'\n' } else { b'a' + ((x >> 33) % 26) as u8 }
        })
        .collect()
}

async fn chunk(c: &Client, name: &str, total: usize, offset: usize, key: Option<&str>, bytes: &[u8], async_: bool) -> Value {
    let (fs, off) = (total.to_string(), offset.to_string());
    let mut p: Vec<(&str, &str)> = vec![
        ("action", "upload"),
        ("format", "json"),
        ("stash", "1"),
        ("ignorewarnings", "1"),
        ("filename", name),
        ("filesize", &fs),
        ("offset", &off),
        ("token", &c.csrf),
    ];
    if let Some(k) = key {
        p.push(("filekey", k));
    }
    if async_ {
        p.push(("async", "1"));
    }
    c.post_file(&p, "chunk", bytes).await
}

async fn poll(c: &Client, key: &str) -> Value {
    for _ in 0..600 {
        let r = c
            .post(&[
                ("action", "upload"),
                ("format", "json"),
                ("checkstatus", "1"),
                ("filekey", key),
                ("token", &c.csrf),
            ])
            .await;
        if r["upload"]["result"] != "Poll" {
            return r;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("still Poll: {key}");
}

const CHUNK: usize = 64 * 1024;
const ROUNDS: usize = 8;

/// Uploads a session whose every chunk after the first is raced by four writers (two per
/// server) with different bytes; returns (filekey, final answer, the bytes that landed).
async fn raced_upload(a: &Client, b: &Client, name: &str, async_last: bool) -> (String, Value, Vec<u8>) {
    let total = CHUNK * ROUNDS;
    // Per-upload seeds: two uploads whose races the same writers win must still differ in
    // content (identical bytes would make the second publish a `duplicate` warning).
    let salt = name.bytes().fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b))) % 1_000_000 * 100_000;
    let first = text(CHUNK, 7 + salt);
    let r = chunk(a, name, total, 0, None, &first, false).await;
    assert_eq!(r["upload"]["result"], "Continue", "{r}");
    let key = r["upload"]["filekey"].as_str().unwrap().to_string();
    let mut landed = first;
    let mut last_answer = Value::Null;
    for round in 1..ROUNDS {
        let offset = landed.len();
        let last = round == ROUNDS - 1;
        let mut tasks = Vec::new();
        for w in 0..4u64 {
            let c = if w % 2 == 0 { a.clone_session() } else { b.clone_session() };
            let bytes = text(CHUNK, salt + 1000 * round as u64 + w);
            let (name, key) = (name.to_string(), key.clone());
            tasks.push(tokio::spawn(async move {
                let r = chunk(&c, &name, total, offset, Some(&key), &bytes, async_last && last).await;
                (r, bytes)
            }));
        }
        let mut winners = 0;
        for t in tasks {
            let (r, bytes) = t.await.unwrap();
            match r["upload"]["result"].as_str() {
                Some("Continue" | "Success" | "Poll") => {
                    winners += 1;
                    landed.extend_from_slice(&bytes);
                    last_answer = r;
                }
                _ => assert_eq!(r["error"]["code"], "stashfailed", "a losing chunk is refused cleanly: {r}"),
            }
        }
        assert_eq!(winners, 1, "exactly one chunk lands at offset {offset}");
    }
    (key, last_answer, landed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_processes_on_one_data_dir_serve_exactly_the_recorded_bytes() {
    let a = Server::start();
    let b = Server::start_sharing(&a);
    let ca = a.bot().await;
    let cb = ca.via(&b);

    // Synchronous assembly: the last chunk's answer carries the assembled file's SHA-1.
    let (_, answer, landed) = raced_upload(&ca, &cb, "Two-servers.txt", false).await;
    assert_eq!(answer["upload"]["result"], "Success", "{answer}");
    assert_eq!(
        answer["upload"]["imageinfo"]["sha1"],
        sha1_hex(&landed),
        "recorded SHA-1 is not the landed bytes'"
    );
    let filekey = answer["upload"]["filekey"].as_str().unwrap().to_string();
    let r = cb
        .post(&[
            ("action", "upload"),
            ("format", "json"),
            ("filename", "Two-servers.txt"),
            ("filekey", &filekey),
            ("token", &cb.csrf),
        ])
        .await;
    assert_eq!(r["upload"]["result"], "Success", "{r}");
    assert_eq!(r["upload"]["imageinfo"]["sha1"], sha1_hex(&landed));
    let url = r["upload"]["imageinfo"]["url"].as_str().unwrap().to_string();
    let path = url.split_once("/images/").unwrap().1.to_string();
    for s in [&a, &b] {
        let (status, served) = ca.fetch(&format!("{}/images/{path}", s.base)).await;
        assert_eq!(
            (status, sha1_hex(&served)),
            (200, sha1_hex(&landed)),
            "served bytes differ from the recorded SHA-1"
        );
    }

    // Asynchronous assembly and publish: both processes' workers compete for each job.
    let (key, answer, landed) = raced_upload(&ca, &cb, "Two-servers-async.txt", true).await;
    assert_eq!(answer["upload"]["result"], "Poll", "{answer}");
    let st = poll(&cb, &key).await;
    assert_eq!(st["upload"]["result"], "Success", "{st}");
    assert_eq!(st["upload"]["imageinfo"]["sha1"], sha1_hex(&landed));
    let stashed = st["upload"]["filekey"].as_str().unwrap().to_string();
    let r = ca
        .post(&[
            ("action", "upload"),
            ("format", "json"),
            ("filename", "Two-servers-async.txt"),
            ("filekey", &stashed),
            ("async", "1"),
            ("token", &ca.csrf),
        ])
        .await;
    assert_eq!(r["upload"]["result"], "Poll", "{r}");
    let st = poll(&cb, &stashed).await;
    assert_eq!(st["upload"]["result"], "Success", "{st}");
    let info = cb.imageinfo("Two-servers-async.txt", "sha1|url", "5").await;
    let versions = info["query"]["pages"][0]["imageinfo"].as_array().unwrap().clone();
    assert_eq!(versions.len(), 1, "the publish job ran once: {info}");
    assert_eq!(versions[0]["sha1"], sha1_hex(&landed));
    let url = versions[0]["url"].as_str().unwrap().to_string();
    let path = url.split_once("/images/").unwrap().1.to_string();
    for s in [&a, &b] {
        let (status, served) = ca.fetch(&format!("{}/images/{path}", s.base)).await;
        assert_eq!(
            (status, sha1_hex(&served)),
            (200, sha1_hex(&landed)),
            "served bytes differ from the recorded SHA-1"
        );
    }
}

/// With `MWUPLOAD_TEST_REPLICAS`: what the harness claims holds, so every other test of the
/// run really went over several replicas. Consecutive requests of one session through nginx
/// land on different replicas (nginx names each in `X-Mwupload-Upstream`), and a login made on
/// one replica is honoured by the others.
#[tokio::test]
async fn requests_through_the_load_balancer_land_on_every_replica() {
    if !clustered() {
        eprintln!("skipped: servers are single processes (set MWUPLOAD_TEST_REPLICAS)");
        return;
    }
    let s = Server::start();
    let c = s.bot().await;
    let mut seen = std::collections::BTreeSet::new();
    let mut last = String::new();
    for _ in 0..(2 * s.processes()) {
        let r = c
            .http
            .get(&c.api)
            .query(&[("action", "query"), ("meta", "userinfo"), ("format", "json")])
            .send()
            .await
            .unwrap();
        let up = r.headers()["x-mwupload-upstream"].to_str().unwrap().to_string();
        assert_ne!(up, last, "two consecutive requests went to the same replica");
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["query"]["userinfo"]["name"], s.bot_user.split('@').next().unwrap(), "{v}");
        seen.insert(up.clone());
        last = up;
    }
    let all: std::collections::BTreeSet<String> = s
        .replica_bases()
        .iter()
        .map(|b| b.trim_start_matches("http://").to_string())
        .collect();
    assert_eq!(seen, all, "not every replica answered");
    assert_eq!(s.requests_per_replica().len(), s.processes(), "{:?}", s.requests_per_replica());
}
