//! The edge under attack (issue 12): timeouts, connection caps, memory and disk before
//! authentication, a stalled chunk client. Every test measures the server (its descriptors,
//! its peak RSS, its spool directory, how long until it closes a socket or answers) and bounds
//! the measurement; none of them passes by waiting.

mod common;
use common::*;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// Short timeouts so that each attack is decided in a second or two.
const FAST_LIMITS: &str =
    "[limits]\nheader_timeout_secs = 1.0\nkeepalive_timeout_secs = 1.0\nbody_timeout_secs = 1.0\nbody_min_rate = 2000\n";

fn addr(s: &Server) -> String {
    s.base.trim_start_matches("http://").to_string()
}

fn pid(s: &Server) -> u32 {
    s.child.as_ref().expect("running").id()
}

/// Open file descriptors of the server process.
fn fds(s: &Server) -> usize {
    std::fs::read_dir(format!("/proc/{}/fd", pid(s))).map(|d| d.count()).unwrap_or(0)
}

/// Peak resident set size of the server process, in bytes (`VmHWM`).
fn peak_rss(s: &Server) -> u64 {
    s.memory_bytes("VmHWM:")
}

/// Reads until the server closes the connection (EOF or reset); the bytes read and when, or
/// None when it is still open after `limit`.
fn wait_closed(stream: &mut TcpStream, limit: Duration) -> Option<(Duration, Vec<u8>)> {
    let start = Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let left = limit.checked_sub(start.elapsed())?;
        stream.set_read_timeout(Some(left.max(Duration::from_millis(1)))).unwrap();
        match stream.read(&mut buf) {
            Ok(0) => return Some((start.elapsed(), got)),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => return None,
            Err(_) => return Some((start.elapsed(), got)),
        }
    }
}

#[test]
fn silent_and_slow_clients_are_disconnected() {
    let _one = one_process("the process's own header/body timeouts on raw sockets (nginx in front has its own)");
    let s = Server::start_with_config(FAST_LIMITS);
    let a = addr(&s);
    let limit = Duration::from_secs(5);
    let started = Instant::now();
    let mut threads = Vec::new();

    // A connection that never sends anything.
    let a1 = a.clone();
    threads.push(std::thread::spawn(move || {
        let mut c = TcpStream::connect(&a1).unwrap();
        ("silent connection", wait_closed(&mut c, limit).map(|x| x.0))
    }));
    // Slowloris: a header line every 300 ms, never the blank line.
    let a2 = a.clone();
    threads.push(std::thread::spawn(move || {
        let mut c = TcpStream::connect(&a2).unwrap();
        c.write_all(b"GET /w/api.php HTTP/1.1\r\nHost: x\r\n").unwrap();
        let start = Instant::now();
        for i in 0..40 {
            if c.write_all(format!("X-Pad-{i}: y\r\n").as_bytes()).is_err() {
                return ("slowloris headers", Some(start.elapsed()));
            }
            c.set_read_timeout(Some(Duration::from_millis(300))).unwrap();
            let mut b = [0u8; 64];
            match c.read(&mut b) {
                Ok(0) => return ("slowloris headers", Some(start.elapsed())),
                Ok(_) => {}
                Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
                Err(_) => return ("slowloris headers", Some(start.elapsed())),
            }
        }
        ("slowloris headers", None)
    }));
    // An idle keep-alive connection after one answered request.
    let a3 = a.clone();
    threads.push(std::thread::spawn(move || {
        let mut c = TcpStream::connect(&a3).unwrap();
        c.write_all(b"GET /w/api.php?action=query&meta=siteinfo&format=json HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        // The response comes first (it is read as part of waiting for the close).
        let r = wait_closed(&mut c, limit);
        if let Some((_, got)) = &r {
            assert!(got.starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(got));
        }
        ("idle keep-alive", r.map(|x| x.0))
    }));
    // A body trickled at 10 bytes/s (the minimum is 2000/s).
    let a4 = a.clone();
    threads.push(std::thread::spawn(move || {
        let mut c = TcpStream::connect(&a4).unwrap();
        c.write_all(
            b"POST /w/api.php HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\naction=query",
        )
        .unwrap();
        let start = Instant::now();
        for _ in 0..50 {
            if c.write_all(b"&").is_err() {
                break;
            }
            c.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
            let mut b = [0u8; 4096];
            match c.read(&mut b) {
                Ok(_) => return ("trickled body", Some(start.elapsed())),
                Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
                Err(_) => return ("trickled body", Some(start.elapsed())),
            }
        }
        ("trickled body", None)
    }));
    // A body that stops halfway.
    let a5 = a.clone();
    threads.push(std::thread::spawn(move || {
        let mut c = TcpStream::connect(&a5).unwrap();
        c.write_all(
            b"POST /w/api.php HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\naction=query",
        )
        .unwrap();
        let r = wait_closed(&mut c, limit);
        if let Some((_, got)) = &r {
            let text = String::from_utf8_lossy(got);
            assert!(text.is_empty() || text.contains("badupload"), "{text}");
        }
        ("stalled body", r.map(|x| x.0))
    }));
    for t in threads {
        let (what, closed) = t.join().unwrap();
        let after = closed.unwrap_or_else(|| panic!("{what}: still open after {limit:?}"));
        assert!(after < Duration::from_secs(4), "{what}: closed only after {after:?}");
    }
    assert!(started.elapsed() < Duration::from_secs(8));
    // The server still answers.
    let mut c = TcpStream::connect(&a).unwrap();
    c.write_all(b"GET /w/api.php?action=query&format=json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let (_, got) = wait_closed(&mut c, limit).expect("answered");
    assert!(got.starts_with(b"HTTP/1.1 200"));
}

#[test]
fn connections_are_capped_per_client_and_overall() {
    let _one = one_process("per-process connection caps (behind nginx every connection is nginx's)");
    let s = Server::start_with_config(
        "[limits]\nmax_connections = 64\nmax_connections_per_ip = 16\nkeepalive_timeout_secs = 30\nheader_timeout_secs = 30\n",
    );
    let a = addr(&s);
    // Let start-up settle, then count.
    let mut probe = TcpStream::connect(&a).unwrap();
    probe
        .write_all(b"GET /w/api.php?action=query&format=json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    wait_closed(&mut probe, Duration::from_secs(5)).expect("answered");
    let base = fds(&s);
    let mut held = Vec::new();
    let mut refused = 0;
    for _ in 0..300 {
        match TcpStream::connect(&a) {
            Ok(c) => held.push(c),
            Err(_) => refused += 1,
        }
    }
    // Wait (bounded) until the server has dealt with every connection: the ones over the cap
    // are answered 503 and closed quickly.
    let mut answered_503 = 0;
    let mut closed = 0;
    let deadline = Instant::now() + Duration::from_secs(10);
    for c in held.iter_mut() {
        c.set_read_timeout(Some(Duration::from_millis(20))).unwrap();
    }
    let mut open: Vec<usize> = (0..held.len()).collect();
    while Instant::now() < deadline && open.len() > 16 {
        open.retain(|&i| {
            let mut b = [0u8; 256];
            match held[i].read(&mut b) {
                Ok(0) => {
                    closed += 1;
                    false
                }
                Ok(n) => {
                    if b[..n].starts_with(b"HTTP/1.1 503") {
                        answered_503 += 1;
                    }
                    true
                }
                Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => true,
                Err(_) => {
                    closed += 1;
                    false
                }
            }
        });
    }
    let during = fds(&s);
    assert!(
        during <= base + 16 + 4,
        "{during} descriptors open with 300 idle connections from one client (was {base})"
    );
    assert!(
        open.len() <= 16,
        "{} connections still open (refused at connect: {refused})",
        open.len()
    );
    assert!(closed + refused >= 284, "closed {closed}, refused {refused}, 503s {answered_503}");
    // The holder goes away: the server serves again.
    drop(held);
    let start = Instant::now();
    loop {
        let mut c = TcpStream::connect(&a).unwrap();
        c.write_all(b"GET /w/api.php?action=query&format=json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .unwrap();
        let (_, got) = wait_closed(&mut c, Duration::from_secs(5)).expect("answered");
        if got.starts_with(b"HTTP/1.1 200") {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(5), "not serving again after the holder left");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A 15 MiB body of repeated parameters and a multipart body of many big text fields, three
/// of each at once, from an anonymous client: the whole server stays under 64 MiB.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn memory_stays_bounded_before_authentication() {
    let _one = one_process("measures the peak RSS of one process");
    let s = Server::start();
    let c = s.client();
    let before = peak_rss(&s);
    let mut tasks = Vec::new();
    for i in 0..3 {
        let http = c.http.clone();
        let api = c.api.clone();
        tasks.push(tokio::spawn(async move {
            let body = "a=b&".repeat((15 << 20) / 4) + &format!("action=query&format=json&n={i}");
            let r = http
                .post(&api)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await;
            if let Ok(r) = r {
                let t = r.text().await.unwrap_or_default();
                assert!(!t.contains("internal_api_error"), "{t}");
            }
        }));
        let http = c.http.clone();
        let api = c.api.clone();
        tasks.push(tokio::spawn(async move {
            let mut form = reqwest::multipart::Form::new().text("action", "upload").text("format", "json");
            for j in 0..24 {
                form = form.text(format!("f{j}"), "x".repeat(3 << 20));
            }
            let r = http.post(&api).multipart(form).send().await;
            if let Ok(r) = r {
                let t = r.text().await.unwrap_or_default();
                assert!(t.contains("badupload") || t.contains("error"), "{t}");
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let peak = peak_rss(&s);
    assert!(
        peak < 64 << 20,
        "peak RSS {} MiB (before the attack: {} MiB)",
        peak >> 20,
        before >> 20
    );
    // Too many parameters: the first max_params are read, with a warning.
    let many: Vec<(String, String)> = (0..1500).map(|i| (format!("p{i}"), "v".to_string())).collect();
    let mut q: Vec<(&str, &str)> = vec![("action", "query"), ("format", "json")];
    q.extend(many.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let r = c.post(&q).await;
    assert!(r.to_string().contains("only the first 1000 were read"), "{r}");
}

/// Bytes under the server's spool directory right now.
fn spool_bytes(s: &Server) -> u64 {
    fn walk(p: &std::path::Path) -> u64 {
        let mut n = 0;
        for e in std::fs::read_dir(p).into_iter().flatten().flatten() {
            let Ok(m) = e.metadata() else { continue };
            if m.is_dir() {
                n += walk(&e.path());
            } else {
                use std::os::unix::fs::MetadataExt;
                n += m.blocks() * 512;
            }
        }
        n
    }
    walk(&s.data.path().join("files/tmp"))
}

/// A stream of `total` bytes in 1 MiB pieces (never all in memory).
fn big_stream(total: usize) -> reqwest::Body {
    let piece = bytes_piece();
    let n = total / piece.len();
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(2);
    tokio::spawn(async move {
        for _ in 0..n {
            if tx.send(Ok(piece.clone())).await.is_err() {
                return;
            }
        }
    });
    reqwest::Body::wrap_stream(ReceiverStream(rx))
}

fn bytes_piece() -> Vec<u8> {
    random_bytes(1 << 20, 7)
}

struct ReceiverStream(tokio::sync::mpsc::Receiver<Result<Vec<u8>, std::io::Error>>);

impl futures_util::Stream for ReceiverStream {
    type Item = Result<Vec<u8>, std::io::Error>;
    fn poll_next(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<Option<Self::Item>> {
        self.0.poll_recv(cx)
    }
}

/// Posts a 300 MiB file part with the given fields while sampling the spool directory.
async fn post_big_file(s: &Server, c: &Client, fields: &[(&str, &str)]) -> (serde_json::Value, u64) {
    let mut form = reqwest::multipart::Form::new();
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    let part = reqwest::multipart::Part::stream(big_stream(300 << 20)).file_name("big.png");
    form = form.part("file", part);
    let send = c.http.post(&c.api).multipart(form).send();
    tokio::pin!(send);
    let mut most = 0u64;
    let resp = loop {
        tokio::select! {
            r = &mut send => break r.unwrap(),
            _ = tokio::time::sleep(Duration::from_millis(20)) => most = most.max(spool_bytes(s)),
        }
    };
    most = most.max(spool_bytes(s));
    (resp.json().await.unwrap(), most)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn unauthenticated_file_parts_never_reach_the_disk() {
    let s = Server::start();
    // Anonymous: MediaWiki's answer, and nothing stored.
    let anon = s.client();
    let (r, most) = post_big_file(
        &s,
        &anon,
        &[("action", "upload"), ("format", "json"), ("filename", "Big.png"), ("token", "+\\")],
    )
    .await;
    assert_eq!(r["error"]["code"], "mustbeloggedin", "{r}");
    assert!(most < 1 << 20, "an anonymous request spooled {most} bytes");
    // Logged in, but with a token that is not this session's: badtoken, nothing stored.
    let bot = s.bot().await;
    let (r, most) = post_big_file(
        &s,
        &bot,
        &[
            ("action", "upload"),
            ("format", "json"),
            ("filename", "Big.png"),
            ("token", "0123456789abcdef+\\"),
        ],
    )
    .await;
    assert_eq!(r["error"]["code"], "badtoken", "{r}");
    assert!(most < 1 << 20, "a request with a bad token spooled {most} bytes");
    assert!(s.spool_files().is_empty(), "{:?}", s.spool_files());
    // The same upload, authenticated, still works.
    let png = png(8, 8, 42);
    let r = bot.upload("Small edge.png", &png, &[]).await;
    assert_eq!(r["upload"]["result"], "Success", "{r}");
}

/// A client that stalls in the middle of a chunk does not block its session: its body times
/// out, the lease goes with it, and the retry of the same chunk is accepted promptly.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stalled_chunk_does_not_block_the_retry() {
    let s = Server::start_with_config("[limits]\nbody_timeout_secs = 1.5\n");
    let c = s.bot().await;
    let data = random_bytes(3 << 20, 3);
    let (first, second) = data.split_at(2 << 20);
    let total = data.len().to_string();
    let r = c
        .post_file(
            &[
                ("action", "upload"),
                ("format", "json"),
                ("stash", "1"),
                ("filename", "Stalled.bin.txt"),
                ("filesize", &total),
                ("offset", "0"),
                ("token", &c.csrf),
            ],
            "chunk",
            first,
        )
        .await;
    assert_eq!(r["upload"]["result"], "Continue", "{r}");
    let key = r["upload"]["filekey"].as_str().unwrap().to_string();
    let offset = first.len().to_string();
    let fields = |form: reqwest::multipart::Form| {
        form.text("action", "upload")
            .text("format", "json")
            .text("stash", "1")
            .text("filename", "Stalled.bin.txt")
            .text("filesize", total.clone())
            .text("offset", offset.clone())
            .text("filekey", key.clone())
            .text("token", c.csrf.clone())
    };
    // The stalled client: half the chunk, then nothing (its sender is kept alive).
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(1);
    tx.send(Ok(second[..second.len() / 2].to_vec())).await.unwrap();
    let part = reqwest::multipart::Part::stream(reqwest::Body::wrap_stream(ReceiverStream(rx))).file_name("blob");
    let stalled = c
        .http
        .post(&c.api)
        .multipart(fields(reqwest::multipart::Form::new()).part("chunk", part))
        .send();
    let stalled = tokio::spawn(async move {
        let r = stalled.await;
        drop(tx);
        r.map(|r| r.status())
    });
    // Give the stalled request time to take the session (it arrives first).
    tokio::time::sleep(Duration::from_millis(300)).await;
    let start = Instant::now();
    let part = reqwest::multipart::Part::bytes(second.to_vec()).file_name("blob");
    let retry = c
        .http
        .post(&c.api)
        .multipart(fields(reqwest::multipart::Form::new()).part("chunk", part))
        .timeout(Duration::from_secs(40))
        .send()
        .await
        .unwrap();
    let r: serde_json::Value = retry.json().await.unwrap();
    let took = start.elapsed();
    assert_eq!(r["upload"]["result"], "Success", "{r}");
    assert!(took < Duration::from_secs(5), "the retry waited {took:?} for the stalled client");
    let _ = tokio::time::timeout(Duration::from_secs(10), stalled).await;
}

/// One `action=login` attempt on a fresh session.
async fn try_login(s: &Server, user: &str, pass: &str) -> (serde_json::Value, Duration) {
    let c = s.client();
    let t = c
        .get(&[("action", "query"), ("meta", "tokens"), ("type", "login"), ("format", "json")])
        .await;
    let lt = t["query"]["tokens"]["logintoken"].as_str().unwrap().to_string();
    let start = Instant::now();
    let r = c
        .post(&[
            ("action", "login"),
            ("lgname", user),
            ("lgpassword", pass),
            ("lgtoken", &lt),
            ("format", "json"),
        ])
        .await;
    (r, start.elapsed())
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// `$wgPasswordAttemptThrottle`: the 6th attempt in 5 minutes is refused with MediaWiki's
/// answer — on every replica, since the counters are in the database — even with the right
/// password; a wrong password for an unknown name costs as long as for a real account.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn logins_are_throttled_and_unknown_names_take_as_long() {
    let s = Server::start();
    let other = Server::start_sharing(&s);
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for i in 0..5 {
        let (r, took) = try_login(&s, "Admin", &format!("wrong-{i}")).await;
        assert_eq!(r["login"]["result"], "Failed", "{r}");
        assert_eq!(r["login"]["reason"], "Incorrect username or password entered. Please try again.");
        known.push(took);
        // Unknown names: same answer, same time (a dummy hash is checked). Measured in turn
        // with the real account's, so both see the same load (several replicas warming up
        // their dummy hash at once on 2 cores made the earlier samples slower).
        let (r, took) = try_login(&s, &format!("Nobody {i}"), "wrong").await;
        assert_eq!(r["login"]["reason"], "Incorrect username or password entered. Please try again.");
        unknown.push(took);
    }
    // The 6th, on the other replica, with the right password.
    let (r, _) = try_login(&other, "Admin", &s.admin_pass).await;
    assert_eq!(r["login"]["result"], "Failed", "{r}");
    assert_eq!(
        r["login"]["reason"],
        "You have made too many recent login attempts.\nPlease wait 5 minutes before trying again."
    );
    // Bot passwords have their own counters (MediaWiki's "botpassword" throttle type).
    let (r, _) = try_login(&s, &s.bot_user, &s.bot_pass).await;
    assert_eq!(r["login"]["result"], "Success", "{r}");
    // clientlogin answers the same refusal its own way.
    let c = s.client();
    let t = c
        .get(&[("action", "query"), ("meta", "tokens"), ("type", "login"), ("format", "json")])
        .await;
    let lt = t["query"]["tokens"]["logintoken"].as_str().unwrap().to_string();
    let r = c
        .post(&[
            ("action", "clientlogin"),
            ("username", "Admin"),
            ("password", &s.admin_pass),
            ("loginreturnurl", "http://localhost/"),
            ("logintoken", &lt),
            ("format", "json"),
        ])
        .await;
    assert_eq!(r["clientlogin"]["status"], "FAIL", "{r}");
    assert_eq!(r["clientlogin"]["messagecode"], "login-throttled", "{r}");
    let (k, u) = (median(known), median(unknown));
    assert!(
        u * 2 >= k && k * 2 >= u,
        "wrong password for a real account: {k:?}, for an unknown name: {u:?}"
    );
}

/// Starts `mwupload serve` on `data` with extra environment; returns the child and its address
/// once it listens, or None when it exits first.
fn serve_raw(data: &std::path::Path, env: &[(&str, &str)]) -> Option<(std::process::Child, String)> {
    use std::io::BufRead;
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_mwupload"));
    cmd.args(["serve", "--listen", "127.0.0.1:0", "--data"]).arg(data);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    for line in lines.by_ref() {
        let line = line.unwrap_or_default();
        if let Some(rest) = line.trim().strip_prefix("listening on ") {
            let base = rest.to_string();
            std::thread::spawn(move || for _ in lines {});
            return Some((child, base));
        }
    }
    let _ = child.wait();
    None
}

fn credentials(data: &std::path::Path) -> Option<(String, String, String)> {
    let text = std::fs::read_to_string(data.join("initial-credentials.env")).ok()?;
    let get = |k: &str| text.lines().find_map(|l| l.strip_prefix(k)).map(str::to_string);
    Some((get("BOT_USER=")?, get("BOT_PASS=")?, get("ADMIN_PASS=")?))
}

async fn login_ok(api: &str, user: &str, pass: &str) -> bool {
    let http = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let t: serde_json::Value = http
        .get(api)
        .query(&[("action", "query"), ("meta", "tokens"), ("type", "login"), ("format", "json")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let lt = t["query"]["tokens"]["logintoken"].as_str().unwrap().to_string();
    let r: serde_json::Value = http
        .post(api)
        .form(&[
            ("action", "login"),
            ("lgname", user),
            ("lgpassword", pass),
            ("lgtoken", &lt),
            ("format", "json"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    r["login"]["result"] == "Success"
}

/// A first start killed right after committing the administrator (before its bot password and
/// credentials file): the next start completes it, and both accounts work with the written
/// credentials. `mwupload user set-password` then replaces the administrator's password.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_first_start_is_completed_and_passwords_can_be_set() {
    let data = tempfile::tempdir().unwrap();
    if let Some((mut child, _)) = serve_raw(data.path(), &[("MWUPLOAD_TEST_CRASH_AT", "first-start-after-commit")]) {
        let _ = child.kill();
        let _ = child.wait();
        panic!("the server did not stop at the crash point");
    }
    assert!(credentials(data.path()).is_none(), "no credentials yet");
    let (mut child, base) = serve_raw(data.path(), &[]).expect("second start listens");
    let (bot_user, bot_pass, admin_pass) = credentials(data.path()).expect("the second start wrote the credentials");
    let api = format!("{base}/w/api.php");
    assert!(login_ok(&api, &bot_user, &bot_pass).await, "bot password from the file");
    assert!(login_ok(&api, "Admin", &admin_pass).await, "admin password from the file");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mwupload"))
        .arg("--data")
        .arg(data.path())
        // The name as MediaWiki canonicalizes it, as every `user` command takes it: "admin" is Admin.
        .args(["user", "set-password", "admin", "--password", "a-new-password-for-admin"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(login_ok(&api, "Admin", "a-new-password-for-admin").await);
    assert!(!login_ok(&api, "Admin", &admin_pass).await);
    let _ = child.kill();
    let _ = child.wait();
}

/// Replicas starting together on a fresh data directory: a start that comes while the first
/// start is between committing the administrator and writing `initial-credentials.env` leaves
/// the first start's pending credentials to it. (It used to take them over as a killed start's,
/// and the first start then exited with "No such file or directory".) Both serve, and the
/// credentials in the file work.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_start_during_anothers_first_start_leaves_it_the_credentials() {
    use std::io::{BufRead, Read};
    let data = tempfile::tempdir().unwrap();
    let mut first = std::process::Command::new(env!("CARGO_BIN_EXE_mwupload"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(data.path())
        .env("MWUPLOAD_TEST_PAUSE_AT", "first-start-after-commit")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(first.stdout.take().unwrap()).lines();
    assert!(
        lines
            .by_ref()
            .map_while(Result::ok)
            .any(|l| l.trim() == "paused at first-start-after-commit"),
        "the first start did not pause after committing the administrator"
    );
    // Another start on the same directory (as a second replica would be) while the first waits.
    let (mut second, second_base) = serve_raw(data.path(), &[("MWUPLOAD_ALLOW_SHARED_DATA", "true")]).expect("the second start listens");
    drop(first.stdin.take()); // the first start goes on
    let first_base = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|l| l.trim().strip_prefix("listening on ").map(str::to_string));
    let Some(first_base) = first_base else {
        let mut err = String::new();
        let _ = first.stderr.take().unwrap().read_to_string(&mut err);
        let _ = second.kill();
        panic!("the first start did not finish: {err}");
    };
    std::thread::spawn(move || for _ in lines {});
    let (bot_user, bot_pass, admin_pass) = credentials(data.path()).expect("initial-credentials.env");
    for base in [&first_base, &second_base] {
        let api = format!("{base}/w/api.php");
        assert!(login_ok(&api, &bot_user, &bot_pass).await, "bot password from the file at {base}");
        assert!(login_ok(&api, "Admin", &admin_pass).await, "admin password from the file at {base}");
    }
    let leftovers: Vec<String> = std::fs::read_dir(data.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".initial-credentials"))
        .collect();
    assert!(leftovers.is_empty(), "pending credentials left behind: {leftovers:?}");
    for mut child in [first, second] {
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// Mounts a `size` tmpfs at `dir` (None when this machine does not allow it, e.g. without root).
fn mount_tmpfs(dir: &std::path::Path, size: &str) -> bool {
    std::fs::create_dir_all(dir).unwrap();
    std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
        .arg(dir)
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The blob store on a full disk (a 4 MiB tmpfs): uploads fail with MediaWiki's storage error
/// codes and a readable message, never `internal_api_error_*`; logins, queries and downloads
/// keep working.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_full_disk_gives_storage_errors_and_reads_keep_working() {
    if !blobs_on_local_disk() {
        eprintln!("skipped: the blobs are in S3 (MWUPLOAD_TEST_STORAGE), not on the local disk this test fills");
        return;
    }
    let mut mounted = false;
    let mut s = Server::start_prepared("", |d| mounted = mount_tmpfs(&d.join("files"), "4m"));
    if !mounted {
        eprintln!("SKIPPED: cannot mount a tmpfs here (needs root/CAP_SYS_ADMIN)");
        return;
    }
    let files = s.data.path().join("files");
    let result = std::panic::AssertUnwindSafe(async {
        let bot = s.bot().await;
        let small = png(16, 16, 1);
        let r = bot.upload("Before full.png", &small, &[]).await;
        assert_eq!(r["upload"]["result"], "Success", "{r}");
        let url = r["upload"]["imageinfo"]["url"].as_str().unwrap().to_string();
        // Direct uploads that do not fit.
        let mut refused = 0;
        for i in 0..3 {
            let big = png(700, 700, 10 + i); // ~1.4 MiB
            let r = bot.upload(&format!("Too big {i}.png"), &big, &[]).await;
            if r["upload"]["result"] == "Success" {
                continue;
            }
            refused += 1;
            let code = r["error"]["code"].as_str().unwrap_or("").to_string();
            assert!(code.starts_with("backend-fail-") || code == "stashfailed", "{r}");
            assert!(r["error"]["info"].as_str().unwrap_or("").contains("space"), "{r}");
        }
        assert!(refused > 0, "a 4 MiB disk took three 1.4 MiB files");
        // A chunked upload whose second chunk does not fit.
        let data = random_bytes(5 << 20, 5);
        let total = data.len().to_string();
        let mut key = String::new();
        let mut last = serde_json::Value::Null;
        for (i, part) in data.chunks(2 << 20).enumerate() {
            let off = (i * (2 << 20)).to_string();
            let mut p: Vec<(&str, &str)> = vec![
                ("action", "upload"),
                ("format", "json"),
                ("stash", "1"),
                ("filename", "Chunks full.txt"),
                ("filesize", &total),
                ("offset", &off),
                ("token", &bot.csrf),
            ];
            if !key.is_empty() {
                p.push(("filekey", &key));
            }
            last = bot.post_file(&p, "chunk", part).await;
            match last["upload"]["filekey"].as_str() {
                Some(k) if last.get("error").is_none() => key = k.to_string(),
                _ => break,
            }
        }
        let code = last["error"]["code"].as_str().unwrap_or("").to_string();
        assert!(code.starts_with("backend-fail-") || code == "stashfailed", "{last}");
        // Reads, and a new login, still work.
        let (status, bytes) = bot.fetch(&url).await;
        assert_eq!((status, bytes.len()), (200, small.len()));
        let info = bot.imageinfo("Before full.png", "sha1|size", "1").await;
        assert_eq!(info["query"]["pages"][0]["imageinfo"][0]["sha1"], sha1_hex(&small));
        let again = s.bot().await;
        assert!(!again.csrf.is_empty());
    })
    .catch_unwind_safe()
    .await;
    s.kill();
    let _ = std::process::Command::new("umount").arg(&files).status();
    if let Err(p) = result {
        std::panic::resume_unwind(p);
    }
}

trait CatchUnwindSafe: std::future::Future + Sized {
    fn catch_unwind_safe(self) -> futures_util::future::CatchUnwind<Self>
    where
        Self: std::panic::UnwindSafe,
    {
        futures_util::FutureExt::catch_unwind(self)
    }
}
impl<F: std::future::Future> CatchUnwindSafe for F {}

/// An async publish whose server dies right after the file is published (before the job's
/// status says so): the retried job finds its own published file and reports Success, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_async_publish_interrupted_after_publishing_reports_success() {
    let _one = one_process("a crash injection point in the process running the job (tests/cluster.rs kills replicas mid-job)");
    let mut s = Server::start();
    let mut c = s.bot().await;
    let f = png(40, 40, 77);
    let r = c.upload("Async crash.png", &f, &[("stash", "1")]).await;
    let key = r["upload"]["filekey"].as_str().expect("stashed").to_string();
    s.env = vec![("MWUPLOAD_TEST_CRASH_AT".into(), "publish-job-after-publish".into())];
    s.restart();
    c.refresh_csrf().await;
    let r = c
        .post(&[
            ("action", "upload"),
            ("format", "json"),
            ("filename", "Async crash.png"),
            ("filekey", &key),
            ("async", "1"),
            ("token", &c.csrf),
        ])
        .await;
    assert_eq!(r["upload"]["result"], "Poll", "{r}");
    // The job publishes, then the process dies before recording it.
    let deadline = Instant::now() + Duration::from_secs(20);
    while s.child.as_mut().unwrap().try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "the server did not reach the crash point");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    s.env.clear();
    s.restart();
    // The job's lease runs out (10 s) and it is retried.
    let deadline = Instant::now() + Duration::from_secs(40);
    let r = loop {
        let r = c
            .post(&[
                ("action", "upload"),
                ("format", "json"),
                ("checkstatus", "1"),
                ("filekey", &key),
                ("token", &c.csrf),
            ])
            .await;
        if r["upload"]["result"] != "Poll" {
            break r;
        }
        assert!(Instant::now() < deadline, "still polling: {r}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(r["upload"]["result"], "Success", "{r}");
    let info = c.imageinfo("Async crash.png", "sha1", "10").await;
    let versions = info["query"]["pages"][0]["imageinfo"].as_array().unwrap().clone();
    assert_eq!(versions.len(), 1, "{info}");
    assert_eq!(versions[0]["sha1"], sha1_hex(&f));
}

/// `tags=` needs `applychangetags` on the asynchronous path too: the publish is refused and
/// no log entry carries the tag.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_publish_checks_applychangetags() {
    let s = Server::start_with_config(
        "change_tags = [\"edge-tag\"]\n[group_permissions]\nuser = [\"read\", \"edit\", \"createpage\", \"upload\", \"reupload\", \"writeapi\"]\n",
    );
    let c = s.bot().await;
    let f = png(30, 30, 78);
    let r = c.upload("Tagged async.png", &f, &[("stash", "1")]).await;
    let key = r["upload"]["filekey"].as_str().expect("stashed").to_string();
    let r = c
        .post(&[
            ("action", "upload"),
            ("format", "json"),
            ("filename", "Tagged async.png"),
            ("filekey", &key),
            ("async", "1"),
            ("tags", "edge-tag"),
            ("token", &c.csrf),
        ])
        .await;
    let refused = r["error"]["code"] == "tags-apply-no-permission";
    if !refused {
        // Queued: the job must refuse it.
        assert_eq!(r["upload"]["result"], "Poll", "{r}");
        let deadline = Instant::now() + Duration::from_secs(20);
        let r = loop {
            let r = c
                .post(&[
                    ("action", "upload"),
                    ("format", "json"),
                    ("checkstatus", "1"),
                    ("filekey", &key),
                    ("token", &c.csrf),
                ])
                .await;
            if r["upload"]["result"] != "Poll" {
                break r;
            }
            assert!(Instant::now() < deadline, "still polling: {r}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert_eq!(r["error"]["code"], "tags-apply-no-permission", "{r}");
    }
    let log = c
        .get(&[
            ("action", "query"),
            ("list", "logevents"),
            ("letype", "upload"),
            ("leprop", "title|tags"),
            ("format", "json"),
        ])
        .await;
    assert!(!log.to_string().contains("edge-tag"), "{log}");
    let info = c.imageinfo("Tagged async.png", "sha1", "1").await;
    assert!(info["query"]["pages"][0]["imageinfo"].is_null(), "{info}");
}

/// A request that may fail because the server is being killed: None instead of a panic.
async fn try_form(http: &reqwest::Client, api: &str, params: &[(&str, &str)]) -> Option<serde_json::Value> {
    let r = http.post(api).form(params).timeout(Duration::from_secs(20)).send().await.ok()?;
    r.json().await.ok()
}

async fn try_file(http: &reqwest::Client, api: &str, params: &[(&str, &str)], part: &str, bytes: &[u8]) -> Option<serde_json::Value> {
    let mut form = reqwest::multipart::Form::new();
    for (k, v) in params {
        form = form.text(k.to_string(), v.to_string());
    }
    form = form.part(part.to_string(), reqwest::multipart::Part::bytes(bytes.to_vec()).file_name("blob"));
    let r = http.post(api).multipart(form).timeout(Duration::from_secs(20)).send().await.ok()?;
    r.json().await.ok()
}

/// One upload of `kind` (0: direct, 1: chunked then published, 2: stashed then published
/// asynchronously); Some(name) once the server acknowledged it as published.
async fn upload_surviving_kills(c: &Client, kind: u64, name: &str, bytes: &[u8]) -> Option<String> {
    let (http, api, token) = (&c.http, c.api.as_str(), c.csrf.as_str());
    let base = [("action", "upload"), ("format", "json"), ("filename", name), ("token", token)];
    let ok = |r: &serde_json::Value| r["upload"]["result"] == "Success";
    match kind {
        0 => {
            let r = try_file(http, api, &base, "file", bytes).await?;
            ok(&r).then(|| name.to_string())
        }
        1 => {
            let total = bytes.len().to_string();
            let cut = bytes.len() / 2;
            let mut p: Vec<(&str, &str)> = base.to_vec();
            p.extend([("stash", "1"), ("filesize", total.as_str()), ("offset", "0")]);
            let r = try_file(http, api, &p, "chunk", &bytes[..cut]).await?;
            let key = r["upload"]["filekey"].as_str()?.to_string();
            let off = cut.to_string();
            let mut p: Vec<(&str, &str)> = base.to_vec();
            p.extend([
                ("stash", "1"),
                ("filesize", total.as_str()),
                ("offset", off.as_str()),
                ("filekey", key.as_str()),
            ]);
            let r = try_file(http, api, &p, "chunk", &bytes[cut..]).await?;
            let key = r["upload"]["filekey"].as_str().filter(|_| ok(&r))?.to_string();
            let mut p: Vec<(&str, &str)> = base.to_vec();
            p.push(("filekey", key.as_str()));
            let r = try_form(http, api, &p).await?;
            ok(&r).then(|| name.to_string())
        }
        _ => {
            let mut p: Vec<(&str, &str)> = base.to_vec();
            p.push(("stash", "1"));
            let r = try_file(http, api, &p, "file", bytes).await?;
            let key = r["upload"]["filekey"].as_str()?.to_string();
            let mut p: Vec<(&str, &str)> = base.to_vec();
            p.extend([("filekey", key.as_str()), ("async", "1")]);
            let r = try_form(http, api, &p).await?;
            if r["upload"]["result"] != "Poll" && !ok(&r) {
                return None;
            }
            // Poll through kills (the job is retried once its lease runs out).
            let deadline = Instant::now() + Duration::from_secs(40);
            while Instant::now() < deadline {
                let q = [
                    ("action", "upload"),
                    ("format", "json"),
                    ("checkstatus", "1"),
                    ("filekey", key.as_str()),
                    ("token", token),
                ];
                match try_form(http, api, &q).await {
                    Some(r) if ok(&r) => return Some(name.to_string()),
                    Some(r) if r["upload"]["result"] != "Poll" => return None,
                    _ => tokio::time::sleep(Duration::from_millis(200)).await,
                }
            }
            None
        }
    }
}

/// SIGKILLs at random moments while three clients upload directly, in chunks and
/// asynchronously: after the last restart, every upload the server acknowledged is there with
/// exactly the bytes sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn random_kills_never_lose_an_acknowledged_upload() {
    let mut s = Server::start();
    let c = std::sync::Arc::new(s.bot().await);
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    eprintln!("random_kills seed {seed}");
    let acked = std::sync::Arc::new(std::sync::Mutex::new(Vec::<(String, String)>::new()));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut workers = Vec::new();
    for w in 0..3u64 {
        let (c, acked, stop) = (c.clone(), acked.clone(), stop.clone());
        workers.push(tokio::spawn(async move {
            let mut i = 0u64;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                i += 1;
                let kind = (w + i) % 3;
                let bytes = png(48, 48, seed ^ (w << 32) ^ i);
                let name = format!("Kill {w}-{i}.png");
                if let Some(n) = upload_surviving_kills(&c, kind, &name, &bytes).await {
                    acked.lock().unwrap().push((n, sha1_hex(&bytes)));
                } else {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }));
    }
    let mut rng = seed | 1;
    for _ in 0..6 {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        tokio::time::sleep(Duration::from_millis(300 + rng % 700)).await;
        tokio::task::block_in_place(|| s.restart());
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    for w in workers {
        w.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    eprintln!("random_kills: {} uploads acknowledged across 6 kills", acked.len());
    assert!(acked.len() >= 6, "only {} uploads were acknowledged", acked.len());
    for (name, sha1) in &acked {
        let info = c.imageinfo(name, "sha1|url", "1").await;
        let ii = &info["query"]["pages"][0]["imageinfo"][0];
        assert_eq!(ii["sha1"].as_str(), Some(sha1.as_str()), "{name}: {info}");
        let (status, bytes) = c.fetch(ii["url"].as_str().unwrap()).await;
        assert_eq!((status, sha1_hex(&bytes)), (200, sha1.clone()), "{name}");
    }
}

/// SIGTERM: the listener closes at once, a request in flight is finished and answered, then the
/// process exits (well before the grace period).
#[test]
fn sigterm_drains_requests_in_flight() {
    let _one = one_process("SIGTERM to one process and its listening socket");
    let mut s = Server::start_with_config("[limits]\nshutdown_grace_secs = 10\n");
    let a = addr(&s);
    let mut c = TcpStream::connect(&a).unwrap();
    c.write_all(
        b"POST /w/api.php HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 24\r\n\r\naction=query",
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid(&s).to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    // New connections are refused once the listener is gone.
    let deadline = Instant::now() + Duration::from_secs(5);
    while TcpStream::connect(&a).is_ok() {
        assert!(Instant::now() < deadline, "still accepting after SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    }
    c.write_all(b"&format=json").unwrap();
    let (_, got) = wait_closed(&mut c, Duration::from_secs(8)).expect("answered and closed");
    let text = String::from_utf8_lossy(&got);
    assert!(text.starts_with("HTTP/1.1 200") && text.contains("batchcomplete"), "{text}");
    let child = s.child.as_mut().unwrap();
    let deadline = Instant::now() + Duration::from_secs(8);
    loop {
        if let Some(st) = child.try_wait().unwrap() {
            assert!(st.success(), "exit status {st:?}");
            break;
        }
        assert!(Instant::now() < deadline, "still running after the drain");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `$wgRateLimits['upload']`: publishes beyond the limit are refused with `ratelimited` and a
/// `Retry-After` header, on every replica (the counters are in the database); stash uploads do
/// not count; `noratelimit` (the first-start bot's `highvolume` grant) exempts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_are_rate_limited_per_account() {
    let s = Server::start_with_config("[rate_limits.upload]\nuser = [2, 60]\n");
    let other = Server::start_sharing(&s);
    s.admin(&["user", "create", "Limited", "--password", "limited-password-1"]);
    let mut c = s.client();
    c.login("Limited", "limited-password-1").await;
    for i in 0..2 {
        let r = c.upload(&format!("Limited {i}.png"), &png(10, 10, 500 + i), &[]).await;
        assert_eq!(r["upload"]["result"], "Success", "{r}");
    }
    // Stashing is not publishing.
    let r = c.upload("Limited stash.png", &png(10, 10, 510), &[("stash", "1")]).await;
    assert_eq!(r["upload"]["result"], "Success", "{r}");
    let third = c.via(&other);
    let resp = third
        .post_file_raw(
            &[
                ("action", "upload"),
                ("format", "json"),
                ("filename", "Limited 2.png"),
                ("token", &c.csrf),
            ],
            "file",
            &png(10, 10, 502),
        )
        .await;
    let retry_after = resp.headers().get("retry-after").map(|v| v.to_str().unwrap().to_string());
    let r: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(r["error"]["code"], "ratelimited", "{r}");
    assert_eq!(
        r["error"]["info"],
        "You've exceeded your rate limit. Please wait some time and try again."
    );
    assert_eq!(retry_after.as_deref(), Some("60"));
    let info = c.imageinfo("Limited 2.png", "sha1", "1").await;
    assert!(info["query"]["pages"][0]["imageinfo"].is_null(), "{info}");
    // meta=userinfo shows the limits that apply (pywikibot reads them).
    let ui = c
        .get(&[
            ("action", "query"),
            ("meta", "userinfo"),
            ("uiprop", "ratelimits"),
            ("format", "json"),
        ])
        .await;
    assert_eq!(
        ui["query"]["userinfo"]["ratelimits"],
        serde_json::json!({"upload": {"user": {"hits": 2, "seconds": 60}}})
    );
    // The bot has noratelimit.
    let bot = s.bot().await;
    let ui = bot
        .get(&[
            ("action", "query"),
            ("meta", "userinfo"),
            ("uiprop", "ratelimits"),
            ("format", "json"),
        ])
        .await;
    assert_eq!(ui["query"]["userinfo"]["ratelimits"], serde_json::json!({}));
    for i in 0..3 {
        let r = bot.upload(&format!("Unlimited {i}.png"), &png(10, 10, 520 + i), &[]).await;
        assert_eq!(r["upload"]["result"], "Success", "{r}");
    }
}

/// A client that sends its whole body before reading (Python's `requests`, as pywikibot and
/// mwclient use it) gets MediaWiki's answer to an upload refused before its body ended: the
/// server answers, then reads and discards the rest instead of closing under the client (a
/// reset, which loses the answer; behind nginx, a 502).
#[test]
fn an_upload_refused_before_its_body_ends_is_still_answered() {
    let s = Server::start_with_config("[uploads]\nmax_upload_size = 100000\n");
    let a = addr(&s);
    let boundary = "lingerlingerlinger";
    let mut head = String::new();
    for (k, v) in [
        ("action", "upload"),
        ("format", "json"),
        ("filename", "Far too big.png"),
        ("token", "+\\"),
    ] {
        head += &format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n");
    }
    head +=
        &format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.png\"\r\nContent-Type: image/png\r\n\r\n");
    let tail = format!("\r\n--{boundary}--\r\n");
    // Far more than the socket buffers hold: the client is still sending long after the refusal.
    let piece = random_bytes(1 << 20, 11);
    let pieces = 48;
    let length = head.len() + pieces * piece.len() + tail.len();
    let mut c = TcpStream::connect(&a).unwrap();
    c.set_write_timeout(Some(Duration::from_secs(20))).unwrap();
    write!(
        c,
        "POST /w/api.php HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {length}\r\n\r\n{head}"
    )
    .unwrap();
    for i in 0..pieces {
        if let Err(e) = c.write_all(&piece) {
            panic!("sending the body failed after {i} MiB of {pieces}: {e}");
        }
    }
    c.write_all(tail.as_bytes()).unwrap();
    let (_, got) = wait_closed(&mut c, Duration::from_secs(20)).expect("answered and closed");
    let text = String::from_utf8_lossy(&got);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    let body = &text[text.find("\r\n\r\n").expect("a whole response") + 4..];
    let json: serde_json::Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"));
    assert_eq!(json["error"]["code"], "file-too-large", "{json}");
}
