//! The operator's view of a running server: the access log, `/metrics`, the data-directory
//! lock and start-up checks, and the admin commands. Each test drives the real binary.

mod common;
use common::*;
use std::time::Duration;

/// Waits until the server's log contains `needle` (lines are written when a response ends).
async fn wait_log(s: &Server, needle: &str) -> String {
    for _ in 0..50 {
        let log = s.log_text();
        if log.contains(needle) {
            return log;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("log never contained {needle:?}:\n{}", s.log_text());
}

#[tokio::test]
async fn access_log_has_a_line_per_request_upload_and_failed_login_without_secrets() {
    let s = Server::start_logged("");
    let c = s.bot().await;
    // A request with secrets in the query string: their values never reach the log.
    let _ = reqwest::get(format!(
        "{}?action=query&meta=tokens&format=json&token=SECRETTOKEN42&lgpassword=hunter2hunter2",
        s.api
    ))
    .await
    .unwrap()
    .text()
    .await
    .unwrap();
    let png = png(20, 20, 7);
    let r = c.upload("Ops-log.png", &png, &[("ignorewarnings", "1")]).await;
    assert_eq!(r["upload"]["result"], "Success", "{r}");

    // A failed login through the API.
    let anon = s.client();
    let t = anon
        .get(&[("action", "query"), ("meta", "tokens"), ("type", "login"), ("format", "json")])
        .await;
    let lt = t["query"]["tokens"]["logintoken"].as_str().unwrap().to_string();
    let r = anon
        .post(&[
            ("action", "login"),
            ("lgname", "Nobody here"),
            ("lgpassword", "wrong-password-xyz"),
            ("lgtoken", &lt),
            ("format", "json"),
        ])
        .await;
    assert_eq!(r["login"]["result"], "Failed", "{r}");

    let log = wait_log(&s, "failed login").await;
    let log = wait_log(&s, "meta=tokens&format=json&token=***").await + &log;
    assert!(!log.contains("SECRETTOKEN42"), "token value logged:\n{log}");
    assert!(!log.contains("hunter2hunter2"), "password value logged:\n{log}");
    assert!(!log.contains("wrong-password-xyz"), "password value logged:\n{log}");
    assert!(!log.contains(&s.bot_pass), "bot password logged");
    assert!(!log.contains('\x1b'), "colour codes in a log that is not a terminal:\n{log}");
    // The upload's request line: ip, method, path, status, bytes, duration, user.
    let re = regex_lite::Regex::new(r"mwupload::access: 127\.0\.0\.1 POST /w/api\.php 200 (\d+) [0-9.]+ms Admin").unwrap();
    let caps = re.captures(&log).unwrap_or_else(|| panic!("no access line for the upload:\n{log}"));
    assert!(caps[1].parse::<u64>().unwrap() > 30, "response bytes counted:\n{log}");
    assert!(
        log.contains(&format!("upload \"Ops-log.png\" by Admin: {} bytes, Success", png.len())),
        "upload line:\n{log}"
    );
    assert!(
        log.contains("failed login for \"Nobody here\" from 127.0.0.1: no such user"),
        "failed-login line:\n{log}"
    );
    // An anonymous request logs '-' as the user.
    assert!(
        regex_lite::Regex::new(r"mwupload::access: 127\.0\.0\.1 GET /w/api\.php\?\S+ 200 \d+ [0-9.]+ms -")
            .unwrap()
            .is_match(&log),
        "anonymous line:\n{log}"
    );
}

/// The value of one sample line (`name{labels}` exactly) in a Prometheus text exposition.
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series).and_then(|rest| rest.strip_prefix(' ')))
        .map(|v| v.trim().parse().unwrap())
        .unwrap_or(0.0)
}

async fn scrape(s: &Server) -> String {
    let r = reqwest::get(format!("{}/metrics", s.base)).await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    r.text().await.unwrap()
}

#[tokio::test]
async fn metrics_count_requests_uploads_bytes_chunk_sessions_and_durations() {
    let _one = one_process("/metrics counts what one process saw");
    let s = Server::start();
    let c = s.bot().await;
    let before = scrape(&s).await;
    let png = png(24, 24, 9);
    let r = c.upload("Ops-metrics.png", &png, &[("ignorewarnings", "1")]).await;
    assert_eq!(r["upload"]["result"], "Success", "{r}");
    // A bad upload (no file) counts under its error code.
    let r = c
        .post(&[("action", "upload"), ("format", "json"), ("filename", "X.png"), ("token", &c.csrf)])
        .await;
    assert_eq!(r["error"]["code"], "missingparam", "{r}");
    // An unfinished chunked upload is an open session.
    let first = vec![b'a'; 2000];
    let r = c
        .post_file(
            &[
                ("action", "upload"),
                ("format", "json"),
                ("stash", "1"),
                ("filename", "Ops-chunks.txt"),
                ("filesize", "5000"),
                ("offset", "0"),
                ("token", &c.csrf),
            ],
            "chunk",
            &first,
        )
        .await;
    assert_eq!(r["upload"]["result"], "Continue", "{r}");
    let _ = reqwest::get(format!("{}/no/such/page", s.base)).await.unwrap().text().await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let after = scrape(&s).await;
    let d = |series: &str| sample(&after, series) - sample(&before, series);
    assert_eq!(d("mwupload_uploads_total{result=\"Success\"}"), 1.0, "{after}");
    assert_eq!(d("mwupload_uploads_total{result=\"Continue\"}"), 1.0, "{after}");
    assert_eq!(d("mwupload_uploads_total{result=\"missingparam\"}"), 1.0, "{after}");
    assert_eq!(d("mwupload_upload_bytes_total"), (png.len() + first.len()) as f64, "{after}");
    assert!(d("mwupload_http_requests_total{class=\"2xx\"}") >= 4.0, "{after}");
    assert!(d("mwupload_http_requests_total{class=\"4xx\"}") >= 1.0, "{after}");
    assert!(d("mwupload_http_request_duration_seconds_count") >= 5.0, "{after}");
    assert!(
        sample(&after, "mwupload_http_request_duration_seconds_bucket{le=\"+Inf\"}")
            >= sample(&after, "mwupload_http_request_duration_seconds_bucket{le=\"0.005\"}")
    );
    assert_eq!(sample(&after, "mwupload_chunk_sessions_open"), 1.0, "{after}");
    assert!(after.contains("# TYPE mwupload_job_queue_depth gauge"), "{after}");
    assert!(after.contains("# TYPE mwupload_http_request_duration_seconds histogram"));
}

/// Runs `mwupload ARGS` to completion (it must exit within 30 s): (exit code, stdout, stderr).
fn run_cli(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_mwupload"));
    cmd.args(args).envs(env.iter().copied()).env("RUST_BACKTRACE", "1");
    cmd.stdin(std::process::Stdio::null());
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "mwupload {args:?} did not exit: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The one `error: …` line a failed command prints last, with no backtrace or panic around it.
fn one_error_line(stderr: &str) -> String {
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!stderr.contains("backtrace"), "{stderr}");
    assert!(!stderr.contains("Caused by"), "{stderr}");
    let last = stderr.trim_end().lines().last().unwrap_or_default().to_string();
    assert!(last.starts_with("error: "), "last line: {last:?}\n{stderr}");
    last
}

#[tokio::test]
async fn a_second_server_on_the_same_data_dir_refuses_to_start_unless_postgres() {
    let s = Server::start();
    let data = s.data.path().to_str().unwrap().to_string();
    let config = s.data.path().join("test-config.toml");
    let mut args = vec!["serve", "--listen", "127.0.0.1:0", "--data", &data];
    let cfg = config.to_str().unwrap().to_string();
    if config.exists() {
        args.extend(["--config", &cfg]);
    }
    if std::env::var("MWUPLOAD_TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty()) {
        // Replicas on PostgreSQL share a data directory: no lock, the second one serves.
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_mwupload"))
            .args(&args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        let mut r = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut listening = false;
        while std::io::BufRead::read_line(&mut r, &mut line).unwrap_or(0) > 0 {
            if line.starts_with("listening on ") {
                listening = true;
                break;
            }
            line.clear();
        }
        let _ = child.kill();
        let _ = child.wait();
        assert!(listening, "a second PostgreSQL replica on the same data dir did not start");
        return;
    }
    let (code, _, err) = run_cli(&args, &[]);
    assert_eq!(code, 1, "{err}");
    let line = one_error_line(&err);
    assert!(line.contains("already running on the data directory"), "{line}");
    assert!(line.contains(&data), "{line}");
    assert!(line.contains(&format!("pid {}", s.child.as_ref().unwrap().id())), "{line}");
    // The first server is unharmed, and once it is gone the directory can be served again.
    let c = s.bot().await;
    assert!(c.get(&[("action", "query"), ("meta", "siteinfo"), ("format", "json")]).await["query"].is_object());
    let mut s = s;
    s.restart();
    s.bot().await;
}

#[test]
fn a_missing_data_dir_is_created_only_with_init() {
    let tmp = tempfile::tempdir().unwrap();
    let typo = tmp.path().join("dtaa");
    let typo_s = typo.to_str().unwrap();
    let (code, _, err) = run_cli(&["serve", "--listen", "127.0.0.1:0", "--data", typo_s], &[]);
    assert_eq!(code, 1, "{err}");
    let line = one_error_line(&err);
    assert!(line.contains("does not exist") && line.contains("--init"), "{line}");
    assert!(!typo.exists(), "a typo created a data directory");
    // Admin commands do not create one either.
    let (code, _, err) = run_cli(&["--data", typo_s, "user", "set-password", "Admin"], &[]);
    assert_eq!(code, 1, "{err}");
    assert!(one_error_line(&err).contains("does not exist"));
    assert!(!typo.exists());

    // With --init it is created, and the log says so.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_mwupload"))
        .args(["serve", "--init", "--listen", "127.0.0.1:0", "--data", typo_s])
        .env("RUST_LOG", "info")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut r = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    while std::io::BufRead::read_line(&mut r, &mut line).unwrap_or(0) > 0 && !line.starts_with("listening on ") {
        line.clear();
    }
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(line.starts_with("listening on "), "{err}");
    assert!(typo.join("initial-credentials.env").exists());
    assert!(err.contains(&format!("created the data directory {typo_s}")), "{err}");
}

#[test]
fn a_busy_port_names_the_flag_that_changes_it() {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = busy.local_addr().unwrap().to_string();
    let tmp = tempfile::tempdir().unwrap();
    let (code, _, err) = run_cli(&["serve", "--listen", &addr, "--data", tmp.path().to_str().unwrap()], &[]);
    assert_eq!(code, 1, "{err}");
    let line = one_error_line(&err);
    assert!(
        line.contains(&addr) && line.contains("already in use") && line.contains("--listen"),
        "{line}"
    );
}

/// Runs an admin command against the server's data dir and config; (success, stdout, stderr).
fn admin_try(s: &Server, args: &[&str]) -> (bool, String, String) {
    let data = s.data.path().to_str().unwrap().to_string();
    let config = s.data.path().join("test-config.toml");
    let cfg = config.to_str().unwrap().to_string();
    let mut all = vec!["--data", &data];
    if config.exists() {
        all.extend(["--config", &cfg]);
    }
    all.extend_from_slice(args);
    let (code, out, err) = run_cli(&all, &[]);
    (code == 0, out, err)
}

async fn try_login(s: &Server, user: &str, pass: &str) -> (Client, serde_json::Value) {
    let c = s.client();
    let t = c
        .get(&[("action", "query"), ("meta", "tokens"), ("type", "login"), ("format", "json")])
        .await;
    let lt = t["query"]["tokens"]["logintoken"].as_str().unwrap().to_string();
    let r = c
        .post(&[
            ("action", "login"),
            ("lgname", user),
            ("lgpassword", pass),
            ("lgtoken", &lt),
            ("format", "json"),
        ])
        .await;
    (c, r)
}

async fn whoami(c: &Client) -> String {
    let r = c.get(&[("action", "query"), ("meta", "userinfo"), ("format", "json")]).await;
    r["query"]["userinfo"]["name"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn user_list_and_delete() {
    let s = Server::start();
    s.admin(&[
        "user",
        "create",
        "ops_person",
        "--password",
        "ops-password-12345",
        "--groups",
        "bot",
    ]);
    let list = s.admin(&["user", "list"]);
    let names: Vec<&str> = list.lines().map(|l| l.split('\t').nth(1).unwrap()).collect();
    assert_eq!(names, ["Admin", "Ops person"], "{list}");
    assert!(list.lines().nth(1).unwrap().split('\t').nth(2) == Some("bot"), "{list}");
    let (c, r) = try_login(&s, "Ops person", "ops-password-12345").await;
    assert_eq!(r["login"]["result"], "Success", "{r}");
    assert_eq!(whoami(&c).await, "Ops person");

    // Names are canonicalized as MediaWiki would; bad names are refused in one line.
    let out = s.admin(&["user", "delete", "ops_person"]);
    assert!(out.contains("deleted user Ops person"), "{out}");
    let list = s.admin(&["user", "list"]);
    assert!(!list.contains("Ops person"), "{list}");
    // Its session stops authenticating, and it can no longer log in.
    assert_ne!(whoami(&c).await, "Ops person");
    let (_, r) = try_login(&s, "Ops person", "ops-password-12345").await;
    assert_eq!(r["login"]["result"], "Failed", "{r}");
    let (ok, _, err) = admin_try(&s, &["user", "delete", "Ops person"]);
    assert!(!ok);
    assert_eq!(one_error_line(&err), "error: no user Ops person");
    let (ok, _, err) = admin_try(&s, &["user", "delete", "Bad|name"]);
    assert!(!ok);
    assert!(one_error_line(&err).contains("invalid user name"), "{err}");
}

#[tokio::test]
async fn botpassword_list_delete_and_grants_in_help() {
    let s = Server::start();
    let out = s.admin(&[
        "botpassword",
        "create",
        "admin",
        "ops",
        "--grants",
        "basic,uploadfile",
        "--password",
        "abcdefghijklmnopqrstuvwxyz012345",
    ]);
    assert!(out.contains("Admin@ops"), "{out}");
    let list = s.admin(&["botpassword", "list", "Admin"]);
    let lines: Vec<&str> = list.lines().collect();
    assert!(lines.contains(&"Admin@ops\tbasic,uploadfile"), "{list}");
    assert!(lines.iter().any(|l| l.starts_with("Admin@bot\t")), "{list}");
    let (c, r) = try_login(&s, "Admin@ops", "abcdefghijklmnopqrstuvwxyz012345").await;
    assert_eq!(r["login"]["result"], "Success", "{r}");
    assert_eq!(whoami(&c).await, "Admin");

    let out = s.admin(&["botpassword", "delete", "Admin", "ops"]);
    assert!(out.contains("deleted bot password Admin@ops"), "{out}");
    let list = s.admin(&["botpassword", "list", "Admin"]);
    assert!(!list.contains("Admin@ops"), "{list}");
    assert!(list.contains("Admin@bot"), "the other bot password stays: {list}");
    assert_ne!(whoami(&c).await, "Admin", "a session of a deleted bot password still authenticates");
    let (_, r) = try_login(&s, "Admin@ops", "abcdefghijklmnopqrstuvwxyz012345").await;
    assert_eq!(r["login"]["result"], "Failed", "{r}");
    let (ok, _, err) = admin_try(&s, &["botpassword", "delete", "Admin", "ops"]);
    assert!(!ok);
    assert_eq!(one_error_line(&err), "error: no bot password Admin@ops");

    // The help lists the valid grants; a wrong one is refused with the list.
    let (code, help, _) = run_cli(&["botpassword", "create", "--help"], &[]);
    assert_eq!(code, 0);
    for g in ["basic", "highvolume", "editpage", "uploadfile", "uploadeditmovefile", "delete"] {
        assert!(help.contains(g), "grant {g} not in help:\n{help}");
    }
    assert!(help.contains("Valid grants:"), "{help}");
    let (ok, _, err) = admin_try(&s, &["botpassword", "create", "Admin", "x", "--grants", "basic,flyingcar"]);
    assert!(!ok);
    let line = one_error_line(&err);
    assert!(line.contains("unknown grant flyingcar") && line.contains("uploadfile"), "{line}");
}

#[test]
fn version_names_the_git_commit() {
    let (code, out, _) = run_cli(&["--version"], &[]);
    assert_eq!(code, 0);
    let expected = std::process::Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".into());
    assert_eq!(out.trim(), format!("mwupload {} (commit {expected})", env!("CARGO_PKG_VERSION")));
}
