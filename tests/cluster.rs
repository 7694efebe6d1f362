//! The scaled-out deployment of `scripts/cluster.sh`: PostgreSQL, Garage, three stateless
//! `mwupload serve` replicas and nginx round-robin in front. Runs against a cluster started with
//! `scripts/cluster.sh up DIR` and named by `MWUPLOAD_TEST_CLUSTER=DIR` (scripts/test.sh does
//! both); without it each test prints that it was skipped.
//!
//! * any replica takes any request: chunk 1 on replica A, chunk 2 on B, the retried chunk 2 on
//!   C, publish on A, checkstatus on B; the file's bytes, Range and ETag from every replica and
//!   through nginx; stash and archive URLs from every replica.
//! * SIGKILL: a replica killed in the middle of a chunk's body, and the replicas running the
//!   assembly and the publish jobs killed while they run; the others finish (leases expire) and
//!   every acknowledged upload's bytes match its SHA-1.

mod common;

use common::*;
use reqwest::cookie::CookieStore;
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;

/// The tests kill and restart replicas: one at a time.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

struct Cluster {
    dir: PathBuf,
    /// nginx's base URL and api.php.
    base: String,
    api: String,
    /// Each replica's own base URL.
    replicas: Vec<String>,
    database_url: String,
    bot_user: String,
    bot_pass: String,
}

fn env_file(path: &Path) -> HashMap<String, String> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.trim_matches('"').to_string()))
        .collect()
}

fn cluster() -> Option<Cluster> {
    let Some(dir) = std::env::var_os("MWUPLOAD_TEST_CLUSTER").filter(|d| !d.is_empty() && d != "skip") else {
        eprintln!("skipped: no cluster (start one with scripts/cluster.sh up DIR and set MWUPLOAD_TEST_CLUSTER=DIR; scripts/test.sh does)");
        return None;
    };
    let dir = PathBuf::from(dir);
    let env = env_file(&dir.join("cluster.env"));
    let creds = env_file(&dir.join("initial-credentials.env"));
    let c = Cluster {
        base: env["BASE_URL"].clone(),
        api: env["API_URL"].clone(),
        replicas: env["REPLICA_URLS"].split_whitespace().map(String::from).collect(),
        database_url: env["DATABASE_URL"].clone(),
        bot_user: creds["BOT_USER"].clone(),
        bot_pass: creds["BOT_PASS"].clone(),
        dir,
    };
    assert!(c.replicas.len() >= 3, "the cluster has three replicas: {:?}", c.replicas);
    Some(c)
}

impl Cluster {
    /// A logged-in bot session (through nginx) and its cookie jar.
    async fn bot(&self) -> (Client, Arc<reqwest::cookie::Jar>) {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let mut c = Client {
            http: reqwest::Client::builder().cookie_provider(jar.clone()).build().unwrap(),
            api: self.api.clone(),
            csrf: String::new(),
        };
        c.login(&self.bot_user, &self.bot_pass).await;
        (c, jar)
    }

    /// The same session, talking to replica `i` directly.
    fn on(&self, c: &Client, i: usize) -> Client {
        Client {
            http: c.http.clone(),
            api: format!("{}/w/api.php", self.replicas[i]),
            csrf: c.csrf.clone(),
        }
    }

    fn pid(&self, i: usize) -> u32 {
        let f = self.dir.join(format!("replica-{}.pid", i + 1));
        std::fs::read_to_string(&f).unwrap().trim().parse().unwrap()
    }

    /// SIGKILLs replica `i` (a crash: no graceful anything) and waits until it is gone.
    fn kill(&self, i: usize) {
        let pid = self.pid(i);
        let ok = std::process::Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status()
            .unwrap();
        assert!(ok.success(), "kill -KILL {pid}");
        let deadline = Instant::now() + Duration::from_secs(10);
        while Path::new(&format!("/proc/{pid}")).exists() && Instant::now() < deadline {
            // (A zombie until its parent reaps it: gone for our purposes once it is one.)
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            if stat.split_whitespace().nth(2) == Some("Z") {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        // A zombie leader's other threads may still hold the listening socket: until it closes,
        // nginx can connect and send a request that is then reset (a 502 for a POST, which it
        // does not replay). Dead means its port refuses connections.
        let addr = self.replicas[i].trim_start_matches("http://").to_string();
        while std::net::TcpStream::connect(&addr).is_ok() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// `scripts/cluster.sh up` again: starts the replicas that are not running.
    fn restore(&self) {
        let out = std::process::Command::new("bash")
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/cluster.sh"))
            .arg("up")
            .arg(&self.dir)
            .output()
            .unwrap();
        assert!(out.status.success(), "cluster.sh up: {}", String::from_utf8_lossy(&out.stderr));
    }

    fn psql(&self, sql: &str) -> String {
        let out = std::process::Command::new("psql")
            .arg(&self.database_url)
            .args(["-Atq", "-c", sql])
            .output()
            .unwrap();
        assert!(out.status.success(), "psql: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Waits until a job of `kind` is running and returns the replica whose worker holds it, or
    /// None if the jobs of that kind finished before one was seen running.
    async fn running_job_owner(&self, kind: &str, since_id: i64) -> Option<usize> {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            let rows = self.psql(&format!(
                "SELECT state || ' ' || coalesce(owner, '') FROM jobs WHERE kind = '{kind}' AND id > {since_id}"
            ));
            for row in rows.lines() {
                let (state, owner) = row.split_once(' ').unwrap_or((row, ""));
                if state == "running" {
                    // Owners are "<pid>-<random>/worker-<random>".
                    let pid = owner.split('-').next().unwrap_or("");
                    return (0..self.replicas.len()).find(|&i| self.pid(i).to_string() == pid);
                }
                if state == "done" || state == "failed" {
                    return None;
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("no {kind} job ran within 60 s");
    }

    fn last_job_id(&self) -> i64 {
        self.psql("SELECT coalesce(max(id), 0) FROM jobs").parse().unwrap()
    }
}

/// Printable text (a `.txt` passes verification whatever its length), different per seed.
fn text(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    (0..len)
        .map(|i| {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            if i % 64 == 63 { b'\n' } else { b'a' + ((x >> 33) % 26) as u8 }
        })
        .collect()
}

fn chunk_params<'a>(c: &'a Client, name: &'a str, total: &'a str, offset: &'a str, key: Option<&'a str>) -> Vec<(&'a str, &'a str)> {
    let mut p = vec![
        ("action", "upload"),
        ("format", "json"),
        ("stash", "1"),
        ("ignorewarnings", "1"),
        ("filename", name),
        ("filesize", total),
        ("offset", offset),
        ("token", c.csrf.as_str()),
    ];
    if let Some(k) = key {
        p.push(("filekey", k));
    }
    p
}

async fn send_chunk(c: &Client, name: &str, total: usize, offset: usize, key: Option<&str>, bytes: &[u8], async_: bool) -> Value {
    let (t, o) = (total.to_string(), offset.to_string());
    let mut p = chunk_params(c, name, &t, &o, key);
    if async_ {
        p.push(("async", "1"));
    }
    c.post_file(&p, "chunk", bytes).await
}

async fn checkstatus(c: &Client, key: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
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
        assert!(Instant::now() < deadline, "still Poll after 180 s: {r}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The URL's path and query on another base (`http://host:port`).
fn rebase(url: &str, base: &str) -> String {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let path = rest.find('/').map(|i| &rest[i..]).unwrap_or("/");
    format!("{base}{path}")
}

/// Every replica and nginx serve `url` with exactly `bytes`, with ETag, Range and 304.
async fn served_everywhere(c: &Client, cl: &Cluster, url: &str, bytes: &[u8]) {
    let sha1 = sha1_hex(bytes);
    for base in cl.replicas.iter().chain([&cl.base]) {
        let u = rebase(url, base);
        let r = c.http.get(&u).send().await.unwrap();
        assert_eq!(r.status(), 200, "{u}");
        let etag = r.headers().get("etag").map(|v| v.to_str().unwrap().to_string());
        let body = r.bytes().await.unwrap();
        assert_eq!((body.len(), sha1_hex(&body)), (bytes.len(), sha1.clone()), "{u} serves other bytes");
        if let Some(etag) = etag {
            let r = c.http.get(&u).header("if-none-match", &etag).send().await.unwrap();
            assert_eq!(r.status(), 304, "{u} with If-None-Match");
        }
        let (a, b) = (bytes.len() / 3, bytes.len() / 3 + 999);
        let r = c.http.get(&u).header("range", format!("bytes={a}-{b}")).send().await.unwrap();
        assert_eq!(r.status(), 206, "{u} Range");
        assert_eq!(
            r.headers()["content-range"].to_str().unwrap(),
            format!("bytes {a}-{b}/{}", bytes.len())
        );
        assert_eq!(&r.bytes().await.unwrap()[..], &bytes[a..=b], "{u} Range bytes");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn any_replica_takes_any_request() {
    let Some(cl) = cluster() else { return };
    let _one = ONE_AT_A_TIME.lock().await;
    cl.restore(); // (whatever an earlier failure left stopped)
    let (bot, _) = cl.bot().await;
    let (a, b, cc) = (cl.on(&bot, 0), cl.on(&bot, 1), cl.on(&bot, 2));
    let name = format!("Cluster-{}.txt", hex::encode(rand_bytes()));
    // Chunks of 6 MiB (real S3 parts) and a 1 KiB tail (coalesced by the store).
    const C: usize = 6 << 20;
    // (Fresh bytes every run, so no earlier run's file is a duplicate.)
    let seed = u32::from_le_bytes(rand_bytes()) as u64;
    let data = text(2 * C + 1024, seed);
    let total = data.len();

    let r = send_chunk(&a, &name, total, 0, None, &data[..C], false).await;
    assert_eq!(r["upload"]["result"], "Continue", "chunk 1 on A: {r}");
    let key = r["upload"]["filekey"].as_str().unwrap().to_string();
    let r = send_chunk(&b, &name, total, C, Some(&key), &data[C..2 * C], false).await;
    assert_eq!(
        (r["upload"]["result"].as_str(), r["upload"]["offset"].as_u64()),
        (Some("Continue"), Some(2 * C as u64)),
        "chunk 2 on B: {r}"
    );
    // The client did not see B's answer and sends chunk 2 again, to C: recognised, not doubled.
    let r = send_chunk(&cc, &name, total, C, Some(&key), &data[C..2 * C], false).await;
    assert_eq!(
        (r["upload"]["result"].as_str(), r["upload"]["offset"].as_u64()),
        (Some("Continue"), Some(2 * C as u64)),
        "chunk 2 again on C: {r}"
    );
    let r = send_chunk(&a, &name, total, 2 * C, Some(&key), &data[2 * C..], false).await;
    assert_eq!(r["upload"]["result"], "Success", "last chunk on A: {r}");
    assert_eq!(r["upload"]["imageinfo"]["sha1"], sha1_hex(&data));
    let stashed = r["upload"]["filekey"].as_str().unwrap().to_string();

    // The stash URL (its owner only) from every replica.
    let info = b
        .get(&[
            ("action", "query"),
            ("prop", "stashimageinfo"),
            ("siifilekey", &stashed),
            ("siiprop", "url|sha1|size"),
            ("format", "json"),
        ])
        .await;
    let stash_url = info["query"]["stashimageinfo"][0]["url"]
        .as_str()
        .unwrap_or_else(|| panic!("{info}"))
        .to_string();
    for base in cl.replicas.iter().chain([&cl.base]) {
        let (status, body) = bot.fetch(&rebase(&stash_url, base)).await;
        assert_eq!((status, sha1_hex(&body)), (200, sha1_hex(&data)), "stash URL on {base}");
    }

    // Publish on A (asynchronously), checkstatus on B.
    let r = a
        .post(&[
            ("action", "upload"),
            ("format", "json"),
            ("filename", &name),
            ("filekey", &stashed),
            ("async", "1"),
            ("token", &a.csrf),
        ])
        .await;
    assert_eq!(r["upload"]["result"], "Poll", "publish on A: {r}");
    let st = checkstatus(&b, &stashed).await;
    assert_eq!(st["upload"]["result"], "Success", "checkstatus on B: {st}");

    // A second version through nginx, so the first is archived.
    let v2 = text(300_000, seed + 1);
    let r = bot.upload(&name, &v2, &[("ignorewarnings", "1")]).await;
    assert_eq!(r["upload"]["result"], "Success", "{r}");
    let info = cc.imageinfo(&name, "sha1|url|archivename", "5").await;
    let versions = info["query"]["pages"][0]["imageinfo"].as_array().unwrap().clone();
    assert_eq!(versions.len(), 2, "{info}");
    assert_eq!(
        (versions[0]["sha1"].as_str(), versions[1]["sha1"].as_str()),
        (Some(&*sha1_hex(&v2)), Some(&*sha1_hex(&data)))
    );
    assert!(versions[1]["url"].as_str().unwrap().contains("/images/archive/"), "{info}");
    served_everywhere(&bot, &cl, versions[0]["url"].as_str().unwrap(), &v2).await;
    served_everywhere(&bot, &cl, versions[1]["url"].as_str().unwrap(), &data).await;

    // Consecutive requests through nginx land on different replicas (no stickiness), as
    // nginx's access log (which records the replica of every request) shows.
    let marker = format!("rr-{}", hex::encode(rand_bytes()));
    for _ in 0..6 {
        bot.get(&[
            ("action", "query"),
            ("meta", "siteinfo"),
            ("requestid", &marker),
            ("format", "json"),
        ])
        .await;
    }
    let log = std::fs::read_to_string(cl.dir.join("nginx/access.log")).unwrap();
    let upstreams: std::collections::BTreeSet<&str> = log
        .lines()
        .filter(|l| l.contains(&marker))
        .filter_map(|l| l.rsplit(' ').next())
        .collect();
    assert!(upstreams.len() >= 2, "nginx sent every request to one replica: {upstreams:?}");
}

fn rand_bytes() -> [u8; 4] {
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
    let v = (t.as_nanos() as u64 ^ std::process::id() as u64).to_le_bytes();
    [v[0], v[1], v[2], v[3]]
}

/// Starts a chunk upload straight to `replica` over a raw connection and sends the first
/// `sent` bytes of the chunk's body, then leaves the connection hanging (the replica is about
/// to be killed).
async fn half_a_chunk(
    cl: &Cluster,
    jar: &reqwest::cookie::Jar,
    c: &Client,
    replica: usize,
    params: &[(&str, &str)],
    chunk: &[u8],
    sent: usize,
) -> tokio::net::TcpStream {
    let boundary = "----mwupload-cluster-test";
    let mut head = Vec::new();
    for (k, v) in params {
        head.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes());
    }
    head.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"chunk\"; filename=\"blob\"\r\nContent-Type: application/octet-stream\r\n\r\n")
            .as_bytes(),
    );
    let tail = format!("\r\n--{boundary}--\r\n");
    let base = &cl.replicas[replica];
    let url: reqwest::Url = format!("{base}/w/api.php").parse().unwrap();
    let cookie = jar.cookies(&url).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    let host = base.trim_start_matches("http://");
    let req = format!(
        "POST /w/api.php HTTP/1.1\r\nHost: {host}\r\nCookie: {cookie}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {}\r\n\r\n",
        head.len() + chunk.len() + tail.len()
    );
    let _ = c;
    let mut s = tokio::net::TcpStream::connect(host).await.unwrap();
    s.write_all(req.as_bytes()).await.unwrap();
    s.write_all(&head).await.unwrap();
    s.write_all(&chunk[..sent]).await.unwrap();
    s.flush().await.unwrap();
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkilled_replicas_lose_nothing() {
    let Some(cl) = cluster() else { return };
    let _one = ONE_AT_A_TIME.lock().await;
    cl.restore(); // (whatever an earlier failure left stopped)
    let mib: usize = std::env::var("MWUPLOAD_TEST_CLUSTER_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let (bot, jar) = cl.bot().await;

    // Small direct uploads through nginx all along; every acknowledged one is checked at the end.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let background = {
        let (c, stop) = (bot.clone_session(), stop.clone());
        let run = hex::encode(rand_bytes());
        let seed = u32::from_le_bytes(rand_bytes()) as u64;
        tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            let mut n = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                n += 1;
                let name = format!("Cluster-small-{run}-{n}.txt");
                let bytes = text(10_000 + n as usize, seed + n);
                // A send cut off by a replica killed under it (nginx streams the body, so it
                // cannot retry elsewhere) is not acknowledged, and a client would send it again.
                let r = c
                    .try_post_file(
                        &[("action", "upload"), ("format", "json"), ("filename", &name), ("token", &c.csrf)],
                        "file",
                        &bytes,
                    )
                    .await;
                if let Ok(r) = r
                    && let Ok(v) = r.json::<Value>().await
                    && v["upload"]["result"] == "Success"
                {
                    acknowledged.push((v["upload"]["imageinfo"]["url"].as_str().unwrap().to_string(), bytes));
                }
                tokio::time::sleep(Duration::from_millis(150)).await;
            }
            acknowledged
        })
    };

    let name = format!("Cluster-kill-{}.txt", hex::encode(rand_bytes()));
    const C: usize = 10 << 20;
    let data = text(mib << 20, u32::from_le_bytes(rand_bytes()) as u64);
    let total = data.len();
    let chunks: Vec<(usize, usize)> = (0..total).step_by(C).map(|o| (o, (o + C).min(total))).collect();
    assert!(chunks.len() >= 3, "MWUPLOAD_TEST_CLUSTER_MIB is at least 21");
    let r = send_chunk(&bot, &name, total, 0, None, &data[..chunks[0].1], false).await;
    assert_eq!(r["upload"]["result"], "Continue", "{r}");
    let key = r["upload"]["filekey"].as_str().unwrap().to_string();

    // Chunk 2 straight to replica 1, which is killed halfway through the body.
    let (o, e) = chunks[1];
    let (t, off) = (total.to_string(), o.to_string());
    let params = chunk_params(&bot, &name, &t, &off, Some(&key));
    let conn = half_a_chunk(&cl, &jar, &bot, 0, &params, &data[o..e], (e - o) / 2).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let lease_held = cl.psql(&format!(
        "SELECT count(*) FROM stash WHERE key = '{key}' AND lease_owner IS NOT NULL"
    ));
    cl.kill(0);
    drop(conn);
    // The retry through nginx lands on a live replica, which waits for the dead one's lease.
    let started = Instant::now();
    let r = send_chunk(&bot, &name, total, o, Some(&key), &data[o..e], false).await;
    assert_eq!(
        (r["upload"]["result"].as_str(), r["upload"]["offset"].as_u64()),
        (Some("Continue"), Some(e as u64)),
        "retried chunk: {r}"
    );
    eprintln!(
        "retried chunk took {:?} (lease held by the killed replica: {lease_held})",
        started.elapsed()
    );
    cl.restore();

    // The rest, round-robin through nginx; the last one assembled asynchronously.
    for (i, &(o, e)) in chunks.iter().enumerate().skip(2) {
        let last = i == chunks.len() - 1;
        let since = cl.last_job_id();
        let r = send_chunk(&bot, &name, total, o, Some(&key), &data[o..e], last).await;
        let expect = if last { "Poll" } else { "Continue" };
        assert_eq!(r["upload"]["result"], expect, "chunk at {o}: {r}");
        if last {
            killed_mid_job(&cl, "assemble", since).await;
        }
    }
    let st = checkstatus(&bot, &key).await;
    assert_eq!(st["upload"]["result"], "Success", "assembled: {st}");
    assert_eq!(st["upload"]["imageinfo"]["sha1"], sha1_hex(&data));
    let stashed = st["upload"]["filekey"].as_str().unwrap().to_string();
    // (The killed replica comes back, as a supervisor would restart it: one down at a time.)
    cl.restore();

    let since = cl.last_job_id();
    let r = bot
        .post(&[
            ("action", "upload"),
            ("format", "json"),
            ("filename", &name),
            ("filekey", &stashed),
            ("async", "1"),
            ("token", &bot.csrf),
        ])
        .await;
    assert_eq!(r["upload"]["result"], "Poll", "{r}");
    killed_mid_job(&cl, "publish", since).await;
    let st = checkstatus(&bot, &stashed).await;
    assert_eq!(st["upload"]["result"], "Success", "published: {st}");
    cl.restore();

    let info = bot.imageinfo(&name, "sha1|url|size", "5").await;
    let versions = info["query"]["pages"][0]["imageinfo"].as_array().unwrap().clone();
    assert_eq!(versions.len(), 1, "published exactly once: {info}");
    assert_eq!(versions[0]["sha1"], sha1_hex(&data));
    let url = versions[0]["url"].as_str().unwrap().to_string();
    for base in cl.replicas.iter().chain([&cl.base]) {
        let (status, body) = bot.fetch(&rebase(&url, base)).await;
        assert_eq!((status, body.len(), sha1_hex(&body)), (200, data.len(), sha1_hex(&data)), "{base}");
    }

    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let acknowledged = background.await.unwrap();
    assert!(!acknowledged.is_empty(), "no small upload succeeded meanwhile");
    for (url, bytes) in &acknowledged {
        let (status, body) = bot.fetch(&rebase(url, &cl.base)).await;
        assert_eq!((status, sha1_hex(&body)), (200, sha1_hex(bytes)), "{url}");
    }
    eprintln!(
        "{} small uploads acknowledged during the kills, all served intact",
        acknowledged.len()
    );
}

/// Kills the replica running the `kind` job enqueued after `since`, if it is seen running.
async fn killed_mid_job(cl: &Cluster, kind: &str, since: i64) {
    match cl.running_job_owner(kind, since).await {
        Some(i) => {
            eprintln!("killing replica {} mid-{kind}", i + 1);
            cl.kill(i);
        }
        None => eprintln!("the {kind} job finished before it could be killed"),
    }
}

/// `/readyz` on every replica follows PostgreSQL and Garage: 503 naming the missing one while
/// it is down (and `/healthz` still 200), 200 again once `cluster.sh up` has restarted it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_follows_the_database_and_the_bucket() {
    let Some(cl) = cluster() else { return };
    let _one = ONE_AT_A_TIME.lock().await;
    cl.restore(); // (whatever an earlier failure left stopped)
    let http = reqwest::Client::new();
    let probe = |base: String, path: &'static str| {
        let http = http.clone();
        async move {
            let r = http.get(format!("{base}{path}")).send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    for base in &cl.replicas {
        assert_eq!(probe(base.clone(), "/readyz").await, (200, "ready\n".to_string()), "{base}");
    }
    let signal = |sig: &str, pid: &str| {
        let ok = std::process::Command::new("kill").args([sig, pid.trim()]).status().unwrap();
        assert!(ok.success(), "kill {sig} {pid}");
    };
    let wait_gone = |pid: &str| {
        let p = format!("/proc/{}", pid.trim());
        let deadline = Instant::now() + Duration::from_secs(30);
        while Path::new(&p).exists() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    // PostgreSQL, fast shutdown (SIGINT to the postmaster).
    let pm = std::fs::read_to_string(cl.dir.join("pg/postmaster.pid")).unwrap();
    let pm = pm.lines().next().unwrap().to_string();
    signal("-INT", &pm);
    wait_gone(&pm);
    for base in &cl.replicas {
        let (code, text) = probe(base.clone(), "/readyz").await;
        assert_eq!(code, 503, "{base}: {text}");
        assert!(text.starts_with("not ready: database"), "{base}: {text}");
        assert_eq!(probe(base.clone(), "/healthz").await.0, 200);
    }
    cl.restore();
    // Garage.
    let garage = std::fs::read_to_string(cl.dir.join("garage.pid")).unwrap();
    signal("-TERM", &garage);
    wait_gone(&garage);
    for base in &cl.replicas {
        let (code, text) = probe(base.clone(), "/readyz").await;
        assert_eq!(code, 503, "{base}: {text}");
        assert!(text.starts_with("not ready: blob store"), "{base}: {text}");
    }
    cl.restore();
    for base in &cl.replicas {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let (code, text) = probe(base.clone(), "/readyz").await;
            if code == 200 {
                break;
            }
            assert!(Instant::now() < deadline, "{base} not ready again: {text}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    // And the cluster works again: a login and an upload through nginx.
    let (bot, _) = cl.bot().await;
    let bytes = text(5000, u32::from_le_bytes(rand_bytes()) as u64);
    let r = bot
        .upload(&format!("Cluster-after-restart-{}.txt", hex::encode(rand_bytes())), &bytes, &[])
        .await;
    assert_eq!(r["upload"]["result"], "Success", "{r}");
}
