//! Real S3 servers for tests, started as processes on loopback with a temp data dir:
//! **Garage** (what self-hosters run; it accepts sub-5 MiB parts and ignores `If-None-Match`)
//! and **s3s-fs** (stricter: `EntityTooSmall`, `If-None-Match`). `scripts/install-s3-servers.sh`
//! installs both into `$MWUPLOAD_TOOLS/bin` (default `/var/tmp/mwupload-tools/bin`).
//!
//! A missing binary is a test failure with instructions, unless `MWUPLOAD_TEST_S3=skip`.

use crate::s3::S3Config;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const BUCKET: &str = "mwupload-test";
const KEY_ID: &str = "GK0123456789abcdef01234567";
const SECRET: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// A running S3 server; stopped (killed) and its data removed on drop. It also stops by itself
/// once the test process is gone (a server kept in a `static` is never dropped).
pub struct S3Server {
    /// A watchdog shell in its own process group, with the server as its child.
    child: Child,
    pub config: S3Config,
    /// What the server is, for messages.
    pub name: &'static str,
    /// Where the bucket's objects are readable without credentials (`<url>/<object name>`):
    /// Garage's website endpoint, for a bucket with website access (Garage only).
    pub public_url: Option<String>,
    _dir: tempfile::TempDir,
}

impl Drop for S3Server {
    fn drop(&mut self) {
        // The watchdog and the server share the process group the watchdog leads.
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg("--")
            .arg(format!("-{}", self.child.id()))
            .stderr(Stdio::null())
            .status();
        let _ = self.child.wait();
    }
}

/// Runs `bin args…` under a watchdog shell (in a new process group) that stops it when this
/// test process exits and then removes `dir` (the server's data), with output to `dir/server.log`.
fn spawn_watched(bin: &std::path::Path, args: &[std::ffi::OsString], dir: &std::path::Path) -> Child {
    use std::os::unix::process::CommandExt;
    let script = r#"parent=$1; dir=$2; shift 2; "$@" & server=$!
trap 'kill $server 2>/dev/null; wait $server; rm -rf "$dir"; exit 0' TERM INT
while kill -0 "$parent" 2>/dev/null && kill -0 "$server" 2>/dev/null; do sleep 1; done
kill $server 2>/dev/null; wait $server; rm -rf "$dir""#;
    let log = std::fs::File::create(dir.join("server.log")).expect("log file");
    Command::new("bash")
        .arg("-c")
        .arg(script)
        .arg("watchdog")
        .arg(std::process::id().to_string())
        .arg(dir)
        .arg(bin)
        .args(args)
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("log"))
        .stderr(log)
        .env("RUST_LOG", "warn")
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("starting {}: {e}", bin.display()))
}

/// True when S3 tests are to be skipped (`MWUPLOAD_TEST_S3=skip`).
pub fn skipped() -> bool {
    std::env::var("MWUPLOAD_TEST_S3").map(|v| v == "skip").unwrap_or(false)
}

/// Finds a server binary: `$<env>`, then `$MWUPLOAD_TOOLS/bin/<name>`, then `PATH`. Panics with
/// instructions when it is missing.
pub fn binary(name: &str, env: &str) -> PathBuf {
    if let Ok(p) = std::env::var(env) {
        return PathBuf::from(p);
    }
    let tools = std::env::var("MWUPLOAD_TOOLS").unwrap_or_else(|_| "/var/tmp/mwupload-tools".into());
    let p = PathBuf::from(tools).join("bin").join(name);
    if p.is_file() {
        return p;
    }
    if let Some(paths) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&paths) {
            if dir.join(name).is_file() {
                return dir.join(name);
            }
        }
    }
    panic!(
        "the S3 test server `{name}` is not installed: run scripts/install-s3-servers.sh (or set {env}), \
         or set MWUPLOAD_TEST_S3=skip to skip the S3 tests"
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

fn wait_for_port(port: u16, child: &mut Child, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what} exited while starting: {status}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{what} did not listen on 127.0.0.1:{port} within 30 s");
}

/// Starts Garage 2.x (one node, SQLite metadata) with a bucket and a key that may use it.
pub fn garage() -> S3Server {
    let bin = binary("garage", "MWUPLOAD_GARAGE_BIN");
    let dir = tempfile::tempdir().expect("temp dir");
    let (rpc, s3, admin, web) = (free_port(), free_port(), free_port(), free_port());
    let cfg = dir.path().join("garage.toml");
    let secret = hex::encode(rand::random::<[u8; 32]>());
    std::fs::write(
        &cfg,
        format!(
            "metadata_dir = \"{d}/meta\"\ndata_dir = \"{d}/data\"\ndb_engine = \"sqlite\"\nreplication_factor = 1\n\
             rpc_bind_addr = \"127.0.0.1:{rpc}\"\nrpc_public_addr = \"127.0.0.1:{rpc}\"\nrpc_secret = \"{secret}\"\n\
             [s3_api]\ns3_region = \"garage\"\napi_bind_addr = \"127.0.0.1:{s3}\"\nroot_domain = \".s3.garage.localhost\"\n\
             [s3_web]\nbind_addr = \"127.0.0.1:{web}\"\nroot_domain = \".web.garage.localhost\"\nindex = \"index.html\"\n\
             [admin]\napi_bind_addr = \"127.0.0.1:{admin}\"\nadmin_token = \"{secret}\"\n",
            d = dir.path().display()
        ),
    )
    .expect("write garage.toml");
    let mut child = spawn_watched(&bin, &["-c".into(), cfg.clone().into_os_string(), "server".into()], dir.path());
    let cli = |args: &[&str]| -> Result<String, String> {
        let out = Command::new(&bin)
            .arg("-c")
            .arg(&cfg)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| e.to_string())?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).to_string())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).to_string())
        }
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    let node = loop {
        if let Ok(Some(status)) = child.try_wait() {
            let log = std::fs::read_to_string(dir.path().join("server.log")).unwrap_or_default();
            panic!("garage exited while starting ({status}):\n{log}");
        }
        // `status` answers once the server's RPC is up (`node id` answers from disk before).
        if cli(&["status"]).is_ok()
            && let Ok(id) = cli(&["node", "id", "-q"])
        {
            break id.trim().chars().take(16).collect::<String>();
        }
        assert!(Instant::now() < deadline, "garage did not start within 60 s");
        std::thread::sleep(Duration::from_millis(100));
    };
    // The website endpoint serves the bucket whose name is the request's host: an alias
    // `localhost` makes `http://localhost:<web>/<object name>` a public URL of every object.
    let steps: [&[&str]; 7] = [
        &["layout", "assign", "-z", "dc1", "-c", "1G", &node],
        &["layout", "apply", "--version", "1"],
        &["bucket", "create", BUCKET],
        &["key", "import", "--yes", "-n", "test", KEY_ID, SECRET],
        &["bucket", "allow", "--read", "--write", BUCKET, "--key", "test"],
        &["bucket", "website", "--allow", BUCKET],
        &["bucket", "alias", BUCKET, "localhost"],
    ];
    for step in steps {
        cli(step).unwrap_or_else(|e| panic!("garage {step:?}: {e}"));
    }
    wait_for_port(s3, &mut child, "garage");
    wait_for_port(web, &mut child, "garage's website endpoint");
    S3Server {
        child,
        config: S3Config {
            endpoint: format!("http://127.0.0.1:{s3}"),
            bucket: BUCKET.into(),
            region: "garage".into(),
            access_key_id: KEY_ID.into(),
            secret_access_key: SECRET.into(),
            path_style: true,
            ..S3Config::default()
        },
        name: "garage",
        public_url: Some(format!("http://localhost:{web}")),
        _dir: dir,
    }
}

/// Starts s3s-fs (buckets are directories under its root).
pub fn s3s_fs() -> S3Server {
    let bin = binary("s3s-fs", "MWUPLOAD_S3S_FS_BIN");
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("root");
    std::fs::create_dir_all(root.join(BUCKET)).expect("bucket dir");
    let port = free_port();
    let args: Vec<std::ffi::OsString> = [
        "--host",
        "127.0.0.1",
        "--port",
        &port.to_string(),
        "--access-key",
        KEY_ID,
        "--secret-key",
        SECRET,
    ]
    .iter()
    .map(Into::into)
    .chain([root.clone().into_os_string()])
    .collect();
    let mut child = spawn_watched(&bin, &args, dir.path());
    wait_for_port(port, &mut child, "s3s-fs");
    S3Server {
        child,
        config: S3Config {
            endpoint: format!("http://127.0.0.1:{port}"),
            bucket: BUCKET.into(),
            region: "us-east-1".into(),
            access_key_id: KEY_ID.into(),
            secret_access_key: SECRET.into(),
            path_style: true,
            ..S3Config::default()
        },
        name: "s3s-fs",
        public_url: None,
        _dir: dir,
    }
}
