//! Test kit: starts the real `mwupload` binary on a free port with a temp data dir, and talks
//! to it over HTTP like a client would. Also: PNG generation and transcript normalization.
//!
//! With `MWUPLOAD_TEST_DATABASE_URL` set to a PostgreSQL server (`postgres://user@host:port/db`),
//! every server started here gets a fresh database on that server (through its config file's
//! `database_url`), dropped when the server is; otherwise servers use SQLite in their data dir.
//!
//! With `MWUPLOAD_TEST_REPLICAS=N` (N > 1, needs `MWUPLOAD_TEST_DATABASE_URL`; meant with
//! `MWUPLOAD_TEST_STORAGE=garage`) every `Server` is a small cluster instead of one process: N
//! `mwupload serve` replicas on the same database, storage and data directory (each with its own
//! scratch directory in it), and an nginx in front of them (round-robin, no stickiness, trusting
//! its `X-Forwarded-For` as `scripts/cluster.sh` configures it). `base`/`api`/`client()` go
//! through nginx, so consecutive requests land on different replicas; `kill` SIGKILLs every
//! replica (the whole service crashes; nginx, the load balancer, stays), `restart` starts them
//! all again on their addresses, `admin` runs the CLI once against the shared database. A test
//! about one process (crash injection, per-process limits, raw HTTP framing…) calls
//! [`one_process`] first: its servers are then single processes, with the reason printed.
#![allow(dead_code)]

use mwupload_store::postgres::scratch::ScratchDatabase;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct Server {
    pub child: Option<Child>,
    pub base: String,
    pub api: String,
    /// Shared by servers started with [`Server::start_sharing`] (one data dir, several processes).
    pub data: std::sync::Arc<tempfile::TempDir>,
    pub bot_user: String,
    pub bot_pass: String,
    pub admin_pass: String,
    config: Option<std::path::PathBuf>,
    /// Extra environment of the server process (e.g. `MWUPLOAD_TEST_CRASH_AT`), for its next starts.
    pub env: Vec<(String, String)>,
    /// The PostgreSQL database of this server (with `MWUPLOAD_TEST_DATABASE_URL`).
    /// Shared, like `data`, by the servers of [`Server::start_sharing`].
    database: Option<std::sync::Arc<ScratchDatabase>>,
    /// Where the server's stderr (its log) goes; inherited when None.
    pub log: Option<std::path::PathBuf>,
    /// With `MWUPLOAD_TEST_REPLICAS`: replicas 2..N (replica 1 is `child`) and nginx in front.
    replicas: Vec<Replica>,
    /// Replica 1's own `http://addr` (`base` is nginx's).
    replica1: String,
    nginx: Option<Child>,
    /// How many processes this server runs as (1, or `MWUPLOAD_TEST_REPLICAS`).
    processes: usize,
}

/// One more replica of a clustered server: its process and its own `http://addr`.
struct Replica {
    child: Option<Child>,
    base: String,
}

thread_local! {
    static ONE_PROCESS: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// `MWUPLOAD_TEST_REPLICAS`: how many replicas each server started here runs as (default 1).
pub fn replicas() -> usize {
    match std::env::var("MWUPLOAD_TEST_REPLICAS").ok().filter(|s| !s.is_empty()) {
        None => 1,
        Some(n) => n
            .parse::<usize>()
            .ok()
            .filter(|&n| n >= 1)
            .unwrap_or_else(|| panic!("MWUPLOAD_TEST_REPLICAS={n}: expected a number of replicas")),
    }
}

/// Whether servers are clusters behind nginx (`MWUPLOAD_TEST_REPLICAS` > 1).
pub fn clustered() -> bool {
    replicas() > 1
}

/// Opts the calling test out of the cluster: while the guard lives, the servers it starts (on
/// this thread) are single processes even with `MWUPLOAD_TEST_REPLICAS`, still on the same
/// database and storage. `reason` says why the test is inherently about one process; it is
/// printed, as every such test is a place where the cluster is not tested.
#[must_use = "servers are single processes only while the guard lives"]
pub fn one_process(reason: &str) -> OneProcess {
    if clustered() {
        println!("one process, not a cluster: {reason}");
    }
    ONE_PROCESS.with(|c| c.set(true));
    OneProcess
}

/// See [`one_process`].
pub struct OneProcess;

impl Drop for OneProcess {
    fn drop(&mut self) {
        ONE_PROCESS.with(|c| c.set(false));
    }
}

fn processes_for_new_server() -> usize {
    if ONE_PROCESS.with(|c| c.get()) { 1 } else { replicas() }
}

/// A fresh PostgreSQL database when `MWUPLOAD_TEST_DATABASE_URL` names a server.
fn scratch_database() -> Option<ScratchDatabase> {
    let server = std::env::var("MWUPLOAD_TEST_DATABASE_URL").ok().filter(|s| !s.is_empty())?;
    let db = block_on(async move { ScratchDatabase::create(&server).await });
    Some(db.unwrap_or_else(|e| panic!("MWUPLOAD_TEST_DATABASE_URL: creating a test database: {e}")))
}

/// Runs `f` to completion on a runtime of its own (callers may be inside a test's runtime).
fn block_on<F>(f: F) -> F::Output
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(f)
    })
    .join()
    .expect("database helper thread")
}

impl Server {
    pub fn start() -> Server {
        Self::start_with_config("")
    }

    /// Starts with extra TOML configuration (written to a file in the data dir).
    pub fn start_with_config(toml: &str) -> Server {
        Self::start_prepared(toml, |_| {})
    }

    /// Like [`Server::start_with_config`], running `prepare` on the empty data directory first
    /// (e.g. to mount a small filesystem for the blobs).
    pub fn start_prepared(toml: &str, prepare: impl FnOnce(&std::path::Path)) -> Server {
        let mut s = Self::prepared(toml, prepare);
        s.spawn("127.0.0.1:0");
        s
    }

    /// Starts with the server's log (stderr) written to `log.txt` in its data dir; read it with
    /// [`Server::log_text`].
    pub fn start_logged(toml: &str) -> Server {
        let mut s = Self::prepared(toml, |_| {});
        s.log = Some(s.data.path().join("log.txt"));
        s.spawn("127.0.0.1:0");
        s
    }

    /// The log so far of a server started with [`Server::start_logged`].
    pub fn log_text(&self) -> String {
        self.log
            .as_ref()
            .map(|p| std::fs::read_to_string(p).unwrap_or_default())
            .unwrap_or_default()
    }

    fn prepared(toml: &str, prepare: impl FnOnce(&std::path::Path)) -> Server {
        let data = tempfile::tempdir().expect("tempdir");
        prepare(data.path());
        let database = scratch_database().map(std::sync::Arc::new);
        let toml = match &database {
            // A top-level key goes before the first table.
            Some(db) => format!("database_url = \"{}\"\n{toml}", db.url()),
            None => toml.to_string(),
        };
        let processes = processes_for_new_server();
        let toml = if processes > 1 {
            assert!(
                database.is_some(),
                "MWUPLOAD_TEST_REPLICAS needs MWUPLOAD_TEST_DATABASE_URL (replicas share a PostgreSQL database)"
            );
            cluster_toml(&toml)
        } else {
            toml
        };
        // (A test naming its own storage keeps it.)
        let toml = if toml.contains("[storage]") {
            toml
        } else {
            format!("{toml}{}", storage_toml())
        };
        let config = if toml.is_empty() {
            None
        } else {
            let p = data.path().join("test-config.toml");
            std::fs::write(&p, &toml).unwrap();
            Some(p)
        };
        Server {
            child: None,
            base: String::new(),
            api: String::new(),
            data: std::sync::Arc::new(data),
            bot_user: String::new(),
            bot_pass: String::new(),
            admin_pass: String::new(),
            config,
            env: Vec::new(),
            database,
            log: None,
            replicas: Vec::new(),
            replica1: String::new(),
            nginx: None,
            processes,
        }
    }

    /// Another server process on the same data directory and configuration (as a second
    /// replica would be), on its own port.
    pub fn start_sharing(other: &Server) -> Server {
        let mut s = Server {
            child: None,
            base: String::new(),
            api: String::new(),
            data: other.data.clone(),
            bot_user: String::new(),
            bot_pass: String::new(),
            admin_pass: String::new(),
            config: other.config.clone(),
            // On purpose: past the data directory's one-server lock (SQLite).
            env: vec![("MWUPLOAD_ALLOW_SHARED_DATA".into(), "true".into())],
            database: other.database.clone(),
            log: None,
            replicas: Vec::new(),
            replica1: String::new(),
            nginx: None,
            // The same shape: another cluster (its own replicas and nginx) on the same database.
            processes: other.processes,
        };
        s.spawn("127.0.0.1:0");
        s
    }

    /// Starts one `mwupload serve` process listening on `listen`, without waiting for it.
    fn launch(&self, listen: &str) -> Child {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_mwupload"));
        cmd.arg("serve").arg("--listen").arg(listen).arg("--data").arg(self.data.path());
        if let Some(c) = &self.config {
            cmd.arg("--config").arg(c);
        }
        cmd.envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let stderr = match &self.log {
            Some(p) => Stdio::from(std::fs::OpenOptions::new().create(true).append(true).open(p).expect("log file")),
            None => Stdio::inherit(),
        };
        cmd.stdout(Stdio::piped()).stderr(stderr).spawn().expect("spawn mwupload")
    }

    /// Waits until a launched process listens; its `http://addr`.
    fn listening(child: &mut Child) -> String {
        let stdout = child.stdout.take().unwrap();
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        let base = loop {
            line.clear();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                panic!("server exited before listening");
            }
            if let Some(rest) = line.trim().strip_prefix("listening on ") {
                break rest.to_string();
            }
            assert!(std::time::Instant::now() < deadline, "server did not start");
        };
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut sink = String::new();
            while reader.read_line(&mut sink).unwrap_or(0) > 0 {
                sink.clear();
            }
        });
        base
    }

    /// Starts the server: one process on `listen`, or (clustered) its replicas, all at once as
    /// `scripts/cluster.sh` starts them (the first start's administrator is created by exactly
    /// one), and then nginx in front when it is not running yet.
    fn spawn(&mut self, listen: &str) {
        if self.processes == 1 {
            let mut child = self.launch(listen);
            self.base = Self::listening(&mut child);
            self.child = Some(child);
        } else {
            let fresh = self.replicas.is_empty();
            let listens: Vec<String> = if fresh {
                vec!["127.0.0.1:0".to_string(); self.processes]
            } else {
                // A restart: every replica on its own address again (nginx knows them).
                std::iter::once(self.replica1_addr())
                    .chain(self.replicas.iter().map(|r| r.base.trim_start_matches("http://").to_string()))
                    .collect()
            };
            let mut children: Vec<Child> = listens.iter().map(|l| self.launch(l)).collect();
            let bases: Vec<String> = children.iter_mut().map(Self::listening).collect();
            let mut children = children.into_iter();
            self.child = children.next();
            if fresh {
                self.replicas = children
                    .zip(bases.iter().skip(1))
                    .map(|(c, b)| Replica {
                        child: Some(c),
                        base: b.clone(),
                    })
                    .collect();
                self.replica1 = bases[0].clone();
                self.start_nginx();
            } else {
                for (r, c) in self.replicas.iter_mut().zip(children) {
                    r.child = Some(c);
                }
            }
        }
        self.api = format!("{}/w/api.php", self.base);
        let creds = std::fs::read_to_string(self.data.path().join("initial-credentials.env")).expect("credentials file");
        for l in creds.lines() {
            if let Some(v) = l.strip_prefix("BOT_USER=") {
                self.bot_user = v.into();
            }
            if let Some(v) = l.strip_prefix("BOT_PASS=") {
                self.bot_pass = v.into();
            }
            if let Some(v) = l.strip_prefix("ADMIN_PASS=") {
                self.admin_pass = v.into();
            }
        }
    }

    fn replica1_addr(&self) -> String {
        self.replica1.trim_start_matches("http://").to_string()
    }

    /// How many `mwupload serve` processes this server is (its replicas).
    pub fn processes(&self) -> usize {
        self.processes
    }

    /// Every replica's own `http://addr` (one entry when not clustered).
    pub fn replica_bases(&self) -> Vec<String> {
        if self.processes == 1 {
            return vec![self.base.clone()];
        }
        std::iter::once(self.replica1.clone())
            .chain(self.replicas.iter().map(|r| r.base.clone()))
            .collect()
    }

    /// nginx in front of the replicas (a prefix of its own in the data dir, in the foreground
    /// as one process so SIGKILL stops all of it), configured as `scripts/cluster.sh` does:
    /// round-robin, no stickiness, no keepalive pool, streaming both ways. It names the replica
    /// of each answer in `X-Mwupload-Upstream` and in its access log.
    fn start_nginx(&mut self) {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let dir = self
            .data
            .path()
            .join(format!("nginx-{}", N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)));
        std::fs::create_dir_all(dir.join("tmp")).unwrap();
        let servers: String = self
            .replica_bases()
            .iter()
            .map(|b| format!("        server {} max_fails=0;\n", b.trim_start_matches("http://")))
            .collect();
        let d = dir.display();
        for _ in 0..5 {
            let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
            let conf = format!(
                r#"daemon off;
master_process off;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    log_format upstream '$remote_addr "$request" $status $body_bytes_sent $upstream_addr';
    access_log {d}/access.log upstream;
    client_body_temp_path {d}/tmp/body;
    proxy_temp_path {d}/tmp/proxy;
    fastcgi_temp_path {d}/tmp/fastcgi;
    uwsgi_temp_path {d}/tmp/uwsgi;
    scgi_temp_path {d}/tmp/scgi;
    upstream mwupload {{
{servers}    }}
    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 0;
        proxy_request_buffering off;
        proxy_buffering off;
        proxy_http_version 1.1;
        proxy_set_header Host $http_host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_connect_timeout 2s;
        proxy_read_timeout 1h;
        proxy_send_timeout 1h;
        proxy_next_upstream error timeout http_502 http_503;
        add_header X-Mwupload-Upstream $upstream_addr always;
        location / {{
            proxy_pass http://mwupload;
        }}
    }}
}}
"#
            );
            std::fs::write(dir.join("nginx.conf"), conf).unwrap();
            let mut child = Command::new("nginx")
                .arg("-e")
                .arg(dir.join("error.log"))
                .arg("-p")
                .arg(&dir)
                .arg("-c")
                .arg(dir.join("nginx.conf"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn nginx (is it installed?)");
            let deadline = std::time::Instant::now() + Duration::from_secs(10);
            loop {
                if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    self.base = format!("http://127.0.0.1:{port}");
                    self.nginx = Some(child);
                    return;
                }
                if child.try_wait().unwrap().is_some() || std::time::Instant::now() > deadline {
                    // (Its port was taken meanwhile: another one.)
                    let _ = child.kill();
                    let _ = child.wait();
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        panic!(
            "nginx did not start: {}",
            std::fs::read_to_string(dir.join("error.log")).unwrap_or_default()
        );
    }

    /// How many requests nginx sent to each replica so far (empty when not clustered).
    pub fn requests_per_replica(&self) -> std::collections::BTreeMap<String, usize> {
        let mut out = std::collections::BTreeMap::new();
        for e in std::fs::read_dir(self.data.path()).into_iter().flatten().flatten() {
            if !e.file_name().to_string_lossy().starts_with("nginx-") {
                continue;
            }
            let log = std::fs::read_to_string(e.path().join("access.log")).unwrap_or_default();
            for l in log.lines() {
                // (A retried request names every replica tried: "a, b".)
                if let Some(up) = l.rsplit(' ').next() {
                    *out.entry(up.to_string()).or_insert(0) += 1;
                }
            }
        }
        out
    }

    /// SIGKILLs the server (no graceful shutdown), like a crash: every replica of a cluster.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        for r in &mut self.replicas {
            if let Some(mut c) = r.child.take() {
                let _ = c.kill();
                let _ = c.wait();
            }
        }
    }

    /// Starts the server again on the same address(es) and data dir.
    pub fn restart(&mut self) {
        self.kill();
        let addrs: Vec<String> = if self.processes == 1 {
            vec![self.base.trim_start_matches("http://").to_string()]
        } else {
            self.replica_bases()
                .iter()
                .map(|b| b.trim_start_matches("http://").to_string())
                .collect()
        };
        for addr in &addrs {
            for _ in 0..50 {
                if std::net::TcpListener::bind(addr).is_ok() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        let first = addrs[0].clone();
        self.spawn(&first);
    }

    /// Runs an admin subcommand against this server's data dir and configuration (its database).
    pub fn admin(&self, args: &[&str]) -> String {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_mwupload"));
        cmd.arg("--data").arg(self.data.path());
        if let Some(c) = &self.config {
            cmd.arg("--config").arg(c);
        }
        let out = cmd.args(args).output().unwrap();
        assert!(
            out.status.success(),
            "admin {:?} failed: {}",
            args,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).to_string()
    }

    pub fn client(&self) -> Client {
        Client {
            http: reqwest::Client::builder()
                .cookie_store(true)
                .pool_max_idle_per_host(0)
                .build()
                .unwrap(),
            api: self.api.clone(),
            csrf: String::new(),
        }
    }

    /// A client logged in with the bot password, holding a CSRF token.
    pub async fn bot(&self) -> Client {
        let mut c = self.client();
        c.login(&self.bot_user, &self.bot_pass).await;
        c
    }

    /// Files in the spool (temp) directory: must be empty after every request.
    /// Scratch files of uploads (spooled request bodies, copies) under `files/tmp`, in any
    /// process's scratch directory; the per-process lock files do not count.
    /// A `kB` figure of the (single-process) server's `/proc/PID/status`, in bytes: `VmRSS`
    /// (resident now) or `VmHWM` (peak resident).
    pub fn memory_bytes(&self, field: &str) -> u64 {
        let pid = self.child.as_ref().expect("running").id();
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        let line = status.lines().find(|l| l.starts_with(field)).expect(field);
        line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() * 1024
    }

    pub fn spool_files(&self) -> Vec<String> {
        let mut out = Vec::new();
        let root = self.data.path().join("files/tmp");
        for e in std::fs::read_dir(&root).into_iter().flatten().flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            if e.path().is_dir() {
                for f in std::fs::read_dir(e.path()).into_iter().flatten().flatten() {
                    let fname = f.file_name().to_string_lossy().to_string();
                    if fname != ".lock" {
                        out.push(format!("{name}/{fname}"));
                    }
                }
            } else {
                out.push(name);
            }
        }
        out
    }

    /// The per-process scratch directories under `files/tmp`.
    pub fn scratch_dirs(&self) -> Vec<std::path::PathBuf> {
        std::fs::read_dir(self.data.path().join("files/tmp"))
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
        if let Some(mut n) = self.nginx.take() {
            let _ = n.kill();
            let _ = n.wait();
            // Where the requests went (the evidence that they spread).
            eprintln!("cluster: requests per replica {:?}", self.requests_per_replica());
        }
        if let Some(db) = self.database.take() {
            let _ = block_on(async move { db.drop_database().await });
        }
    }
}

/// The configuration of a clustered server's replicas: `toml` plus what `scripts/cluster.sh`
/// adds for nginx in front (trust its `X-Forwarded-For`; every connection comes from nginx, so
/// the per-address connection cap would count all clients as one).
fn cluster_toml(toml: &str) -> String {
    let mut out = String::new();
    if !toml.contains("database_pool_size") {
        // (Replicas × tests running at once share one PostgreSQL server's connections.)
        out.push_str("database_pool_size = 5\n");
    }
    if !toml.contains("trusted_proxies") {
        out.push_str("trusted_proxies = [\"127.0.0.1/32\"]\n");
    }
    if toml.contains("max_connections_per_ip") {
        out.push_str(toml);
    } else if toml.contains("[limits]\n") {
        out.push_str(&toml.replacen("[limits]\n", "[limits]\nmax_connections_per_ip = 1024\n", 1));
    } else {
        out.push_str(toml);
        out.push_str("\n[limits]\nmax_connections_per_ip = 1024\n");
    }
    out
}

/// `[storage]` for the server under test: none (local disk), or with
/// `MWUPLOAD_TEST_STORAGE=garage` a bucket on one Garage process shared by this test binary
/// (started on loopback on first use), under a fresh prefix per server.
pub fn storage_toml() -> String {
    use mwupload_store::s3_servers::{self, S3Server};
    static GARAGE: std::sync::OnceLock<S3Server> = std::sync::OnceLock::new();
    match std::env::var("MWUPLOAD_TEST_STORAGE").as_deref() {
        Ok("garage") => {
            let c = &GARAGE.get_or_init(s3_servers::garage).config;
            format!(
                "\n[storage]\nkind = \"s3\"\nendpoint = \"{}\"\nbucket = \"{}\"\nregion = \"{}\"\naccess_key_id = \"{}\"\nsecret_access_key = \"{}\"\npath_style = true\nprefix = \"srv-{}/\"\n",
                c.endpoint,
                c.bucket,
                c.region,
                c.access_key_id,
                c.secret_access_key,
                hex::encode(rand_bytes())
            )
        }
        Ok("local") | Ok("") | Err(_) => String::new(),
        Ok(other) => panic!("MWUPLOAD_TEST_STORAGE={other}: expected local or garage"),
    }
}

/// Whether the servers under test keep blobs under their data directory (not on S3).
pub fn blobs_on_local_disk() -> bool {
    !matches!(std::env::var("MWUPLOAD_TEST_STORAGE").as_deref(), Ok("garage"))
}

fn rand_bytes() -> [u8; 6] {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos(),
    );
    let v = h.finish().to_le_bytes();
    [v[0], v[1], v[2], v[3], v[4], v[5]]
}

pub struct Client {
    pub http: reqwest::Client,
    pub api: String,
    pub csrf: String,
}

pub type Params<'a> = &'a [(&'a str, &'a str)];

impl Client {
    /// The same session, talking to another server (cookies are per host, not per port).
    pub fn via(&self, other: &Server) -> Client {
        Client {
            http: self.http.clone(),
            api: other.api.clone(),
            csrf: self.csrf.clone(),
        }
    }

    /// Another handle on the same session (reqwest clients share their cookie store).
    pub fn clone_session(&self) -> Client {
        Client {
            http: self.http.clone(),
            api: self.api.clone(),
            csrf: self.csrf.clone(),
        }
    }

    pub async fn get(&self, params: Params<'_>) -> Value {
        let r = self.http.get(&self.api).query(params).send().await.unwrap();
        assert_eq!(r.status(), 200);
        r.json().await.unwrap()
    }

    pub async fn post(&self, params: Params<'_>) -> Value {
        let r = self.http.post(&self.api).form(params).send().await.unwrap();
        assert_eq!(r.status(), 200);
        r.json().await.unwrap()
    }

    /// Multipart POST with one file part.
    pub async fn post_file(&self, params: Params<'_>, part: &str, bytes: &[u8]) -> Value {
        self.post_file_raw(params, part, bytes).await.json().await.unwrap()
    }

    pub async fn post_file_raw(&self, params: Params<'_>, part: &str, bytes: &[u8]) -> reqwest::Response {
        self.try_post_file(params, part, bytes).await.unwrap()
    }

    /// `post_file_raw` that hands back a transport error instead of panicking: for requests
    /// that may meet a replica killed under them, where a refused send is an expected outcome.
    pub async fn try_post_file(&self, params: Params<'_>, part: &str, bytes: &[u8]) -> reqwest::Result<reqwest::Response> {
        let mut form = reqwest::multipart::Form::new();
        for (k, v) in params {
            form = form.text(k.to_string(), v.to_string());
        }
        let p = reqwest::multipart::Part::bytes(bytes.to_vec())
            .file_name("blob")
            .mime_str("multipart/form-data")
            .unwrap();
        form = form.part(part.to_string(), p);
        self.http.post(&self.api).multipart(form).send().await
    }

    pub async fn login(&mut self, user: &str, pass: &str) {
        let t = self
            .get(&[("action", "query"), ("meta", "tokens"), ("type", "login"), ("format", "json")])
            .await;
        let lt = t["query"]["tokens"]["logintoken"].as_str().unwrap().to_string();
        let r = self
            .post(&[
                ("action", "login"),
                ("lgname", user),
                ("lgpassword", pass),
                ("lgtoken", &lt),
                ("format", "json"),
            ])
            .await;
        assert_eq!(r["login"]["result"], "Success", "{r}");
        self.refresh_csrf().await;
    }

    pub async fn refresh_csrf(&mut self) {
        let t = self.get(&[("action", "query"), ("meta", "tokens"), ("format", "json")]).await;
        self.csrf = t["query"]["tokens"]["csrftoken"].as_str().unwrap().to_string();
    }

    /// Direct upload; `extra` adds parameters.
    pub async fn upload(&self, filename: &str, bytes: &[u8], extra: Params<'_>) -> Value {
        let mut p: Vec<(&str, &str)> = vec![
            ("action", "upload"),
            ("format", "json"),
            ("filename", filename),
            ("token", &self.csrf),
        ];
        p.extend_from_slice(extra);
        self.post_file(&p, "file", bytes).await
    }

    pub async fn imageinfo(&self, filename: &str, props: &str, limit: &str) -> Value {
        self.get(&[
            ("action", "query"),
            ("prop", "imageinfo"),
            ("titles", &format!("File:{filename}")),
            ("iiprop", props),
            ("iilimit", limit),
            ("format", "json"),
            ("formatversion", "2"),
        ])
        .await
    }

    pub async fn fetch(&self, url: &str) -> (u16, Vec<u8>) {
        let r = self.http.get(url).send().await.unwrap();
        let s = r.status().as_u16();
        (s, r.bytes().await.unwrap().to_vec())
    }
}

// ------------------------------------------------------------------- test files

pub fn sha1_hex(b: &[u8]) -> String {
    use sha1::Digest;
    hex::encode(sha1::Sha1::digest(b))
}

fn crc32(data: &[u8]) -> u32 {
    let mut c = 0xffff_ffffu32;
    for &b in data {
        c ^= b as u32;
        for _ in 0..8 {
            c = if c & 1 != 0 { 0xedb8_8320 ^ (c >> 1) } else { c >> 1 };
        }
    }
    !c
}

fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &x in data {
        a = (a + x as u32) % 65521;
        b = (b + a) % 65521;
    }
    (b << 16) | a
}

fn chunk(kind: &[u8], data: &[u8]) -> Vec<u8> {
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut c = kind.to_vec();
    c.extend_from_slice(data);
    out.extend_from_slice(&crc32(&c).to_be_bytes());
    out
}

/// A valid RGB noise PNG (stored deflate blocks), different for every seed.
pub fn png(width: u32, height: u32, seed: u64) -> Vec<u8> {
    let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407) | 1;
    let row = 1 + 3 * width as usize;
    let mut raw = vec![0u8; row * height as usize];
    for (i, b) in raw.iter_mut().enumerate() {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        *b = if i % row == 0 { 0 } else { (s >> 24) as u8 };
    }
    let mut z = vec![0x78, 0x01];
    let n = raw.len();
    let mut i = 0;
    while i < n {
        let end = (i + 65535).min(n);
        let len = (end - i) as u16;
        z.push(if end == n { 1 } else { 0 });
        z.extend_from_slice(&len.to_le_bytes());
        z.extend_from_slice(&(!len).to_le_bytes());
        z.extend_from_slice(&raw[i..end]);
        i = end;
    }
    z.extend_from_slice(&adler32(&raw).to_be_bytes());
    let mut ihdr = width.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    out.extend(chunk(b"IHDR", &ihdr));
    out.extend(chunk(b"IDAT", &z));
    out.extend(chunk(b"IEND", b""));
    out
}

/// Noise that no format sniffer claims (the first byte is never a magic number's).
pub fn random_bytes(n: usize, seed: u64) -> Vec<u8> {
    let mut s = seed | 1;
    let mut v: Vec<u8> = (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 32) as u8
        })
        .collect();
    if let Some(b) = v.first_mut() {
        *b = 0xA5;
    }
    v
}

// ------------------------------------------------------------------- transcripts

/// The reference MediaWiki 1.39's recorded response for transcript `n`.
pub fn transcript(n: u32) -> Value {
    let all: Value = serde_json::from_str(include_str!("../fixtures/refwiki-transcripts.json")).unwrap();
    all[n.to_string()]["response"].clone()
}

/// Replaces volatile values (tokens, keys, timestamps, hashes, hosts, sizes of random files)
/// so a response can be compared with a recorded transcript; everything else stays exact.
pub fn normalize(v: &Value) -> Value {
    normalize_in(v, "")
}

fn normalize_in(v: &Value, key: &str) -> Value {
    match v {
        // MediaWiki 1.39 reports a stash temp name as ObjectName of files published from the stash;
        // we report the file's own name (checked separately).
        Value::Object(m) if key == "ObjectName" => {
            let mut m = m.clone();
            m.insert("value".into(), Value::String("OBJECTNAME".into()));
            Value::Object(m.iter().map(|(k, x)| (k.clone(), normalize_in(x, k))).collect())
        }
        Value::Object(m) => Value::Object(m.iter().map(|(k, x)| (k.clone(), normalize_in(x, k))).collect()),
        Value::Array(a) => Value::Array(a.iter().map(|x| normalize_in(x, key)).collect()),
        Value::String(s) => Value::String(normalize_str(s, key)),
        Value::Number(_)
            if matches!(
                key,
                "size"
                    | "offset"
                    | "lguserid"
                    | "userid"
                    | "id"
                    | "pageid"
                    | "logid"
                    | "newrevid"
                    | "oldrevid"
                    | "revid"
                    | "parentid"
                    | "lastrevid"
            ) =>
        {
            Value::String("N".into())
        }
        other => other.clone(),
    }
}

fn normalize_str(s: &str, key: &str) -> String {
    let re_host = regex_lite::Regex::new(r"https?://[^/\s]+").unwrap();
    let mut s = re_host.replace_all(s, "http://SERVER").to_string();
    if s.ends_with("+\\") && s.len() > 2 {
        return "TOKEN".into();
    }
    if matches!(key, "filekey" | "sessionkey") || regex_lite::Regex::new(r"^[0-9a-z]+\.[0-9a-z]+\.\d+\.\w*$").unwrap().is_match(&s) {
        return "FILEKEY".into();
    }
    if matches!(key, "sha1" | "img_sha1") {
        return "SHA1".into();
    }
    if matches!(key, "offset" | "size") {
        return "N".into();
    }
    s = regex_lite::Regex::new(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
        .unwrap()
        .replace_all(&s, "TS")
        .to_string();
    // A by-time continuation ("20261129071234|Name.png").
    s = regex_lite::Regex::new(r"^\d{14}\|").unwrap().replace_all(&s, "TS|").to_string();
    if key == "facontinue" {
        // "name|TS|id": timestamps and archive ids differ between wikis.
        s = regex_lite::Regex::new(r"\|\d{14}\|\d+$")
            .unwrap()
            .replace_all(&s, "|TS|N")
            .to_string();
    }
    if key == "tlcontinue" || key == "gtlcontinue" {
        // "pageid|ns|title": page ids differ between wikis.
        s = regex_lite::Regex::new(r"^\d+\|").unwrap().replace_all(&s, "N|").to_string();
    }
    if key == "lecontinue" || key == "rvcontinue" {
        // "TS|id": log and revision ids differ between wikis.
        s = regex_lite::Regex::new(r"\|\d+$").unwrap().replace_all(&s, "|N").to_string();
    }
    s = regex_lite::Regex::new(r"\d{14}![^./]*")
        .unwrap()
        .replace_all(&s, "STASHNAME")
        .to_string();
    s = regex_lite::Regex::new(r"Special:UploadStash/file/[0-9a-z.]+")
        .unwrap()
        .replace_all(&s, "Special:UploadStash/file/FILEKEY")
        .to_string();
    s = regex_lite::Regex::new(r"[0-9a-z]{6,}\.[0-9a-z]+\.\d+\.\w*")
        .unwrap()
        .replace_all(&s, "FILEKEY")
        .to_string();
    s = regex_lite::Regex::new(r"curid=\d+").unwrap().replace_all(&s, "curid=N").to_string();
    s = regex_lite::Regex::new(r"\d{14}%21").unwrap().replace_all(&s, "TS%21").to_string();
    s = regex_lite::Regex::new(r"/images/[0-9a-f]/[0-9a-f]{2}/")
        .unwrap()
        .replace_all(&s, "/images/H/HH/")
        .to_string();
    s
}

/// Asserts our response equals MediaWiki's transcript after normalization.
pub fn assert_matches_transcript(ours: &Value, n: u32) {
    let want = normalize(&transcript(n));
    let got = normalize(ours);
    if got != want {
        let mut diffs = Vec::new();
        diff_paths(&got, &want, "", &mut diffs);
        panic!(
            "transcript {n} differs at:\n{}\n ours: {}",
            diffs.join("\n"),
            serde_json::to_string(&got).unwrap()
        );
    }
    // Same members in the same order, as MediaWiki emits them.
    assert_eq!(
        serde_json::to_string(&got).unwrap(),
        serde_json::to_string(&want).unwrap(),
        "transcript {n}: member order differs"
    );
}

fn diff_paths(a: &Value, b: &Value, path: &str, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, v) in x {
                match y.get(k) {
                    Some(w) => diff_paths(v, w, &format!("{path}.{k}"), out),
                    None => out.push(format!("  {path}.{k}: only ours = {v}")),
                }
            }
            for (k, w) in y {
                if !x.contains_key(k) {
                    out.push(format!("  {path}.{k}: only MediaWiki = {w}"));
                }
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (v, w)) in x.iter().zip(y).enumerate() {
                diff_paths(v, w, &format!("{path}[{i}]"), out);
            }
        }
        _ if a != b => out.push(format!("  {path}: ours {a} != MediaWiki {b}")),
        _ => {}
    }
}
