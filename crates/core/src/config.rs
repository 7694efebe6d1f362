//! One typed configuration. Layers: embedded defaults < config file (TOML) < environment < flags.
//! With no configuration at all the server runs on SQLite + local disk under `./data`.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Data directory: the SQLite database (unless `database_url` names another database) and
    /// the blob tree live here.
    pub data_dir: PathBuf,
    /// The metadata database. Empty (the default): SQLite in the data directory.
    /// `postgres://user:password@host:port/database`: PostgreSQL, which several replicas share.
    pub database_url: String,
    /// PostgreSQL connections each process keeps at most (replicas × this must fit the server's
    /// `max_connections`). Unused with SQLite.
    pub database_pool_size: u32,
    /// Public base URL (`http://host:port`). Empty: taken from each request's Host header,
    /// like MediaWiki's protocol-relative `$wgServer`.
    pub server: String,
    /// `$wgScriptPath`: api.php is served at `<script_path>/api.php`.
    pub script_path: String,
    pub sitename: String,
    pub uploads: UploadConfig,
    /// `$wgGroupPermissions`: group → rights. Merged over the built-in MediaWiki defaults.
    pub group_permissions: BTreeMap<String, Vec<String>>,
    pub url_uploads: UrlUploadConfig,
    /// Change tags users may apply (`tags=`), like tags defined with Special:Tags in MediaWiki.
    /// Empty (the default, as on a fresh wiki): every tag is refused with `badtags`.
    pub change_tags: Vec<String>,
    /// Where file bytes live: the local data directory (default) or an S3-compatible bucket.
    pub storage: StorageConfig,
    /// Which other sites' pages may call the API with the user's session (`origin=`).
    pub cors: CorsConfig,
    /// `[thumbnails]`: MediaWiki's thumbnail settings and the render pool.
    pub thumbnails: ThumbnailConfig,
    /// Timeouts, connection caps and request-size caps (what PHP and nginx give MediaWiki).
    pub limits: LimitsConfig,
    /// `$wgRateLimits`: action → kind (`anon`, `user`, `newbie`, `ip`, or a group name) →
    /// `[count, seconds]`. Enforced: `upload` (on publishing), `purge` and `linkpurge` (per page
    /// `action=purge` purges; MediaWiki's default of 30 a minute is not set here). The
    /// `noratelimit` right exempts.
    pub rate_limits: BTreeMap<String, BTreeMap<String, [i64; 2]>>,
    /// Reverse proxies and load balancers in front of this server, as addresses or CIDRs
    /// (MediaWiki's `$wgCdnServersNoPurge`). A request from one of them is attributed to the
    /// address it names in `X-Forwarded-For` (the rightmost hop that is not itself a trusted
    /// proxy); any other request to its connection's peer address. Empty: `X-Forwarded-For`
    /// is ignored.
    pub trusted_proxies: Vec<String>,
    /// `[[foreign_repos]]`: `$wgForeignFileRepos` of `ForeignAPIRepo`s — other wikis (MediaWiki or
    /// mwupload) whose files this wiki shows as its own when it has none of that name, as every
    /// Wikimedia wiki uses Commons. Asked in order; the first that has a file wins.
    pub foreign_repos: Vec<ForeignRepoConfig>,
}

/// One `[[foreign_repos]]` entry (MediaWiki's `ForeignAPIRepo`). The operator trusts it: its
/// address may be loopback or private, unlike `url=` uploads.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForeignRepoConfig {
    /// The repository's name (`imagerepository` in `prop=imageinfo`, `name` in
    /// `meta=filerepoinfo`; MediaWiki's conventional name is `shared`).
    pub name: String,
    /// The other wiki's `api.php` URL (`apibase`).
    pub api: String,
    /// `displayname` in `meta=filerepoinfo`. Empty (the default): MediaWiki's
    /// `shared-repo` message, "a shared repository".
    #[serde(default)]
    pub display_name: String,
    /// How long the remote's answer about a file (its information and URLs) is kept, in seconds
    /// (`apiMetadataExpiry`; MediaWiki's default is 4 hours). Each process keeps its own cache.
    #[serde(default = "default_url_cache_secs")]
    pub url_cache_secs: u64,
    /// `fetchDescription`: file description pages may show the remote description.
    #[serde(default)]
    pub fetch_descriptions: bool,
    /// `descriptionCacheExpiry` in seconds (reported in `meta=filerepoinfo`). Default 43200.
    #[serde(default = "default_description_cache_secs")]
    pub description_cache_secs: u64,
    /// Each request to the remote must finish within this many seconds; a remote that does not
    /// answer (or answers an error) counts as not having the file, and is asked again only
    /// after `retry_after_failure_secs`.
    #[serde(default = "default_foreign_timeout_secs")]
    pub timeout_secs: f64,
    /// After a failed request, the remote is not asked again for this long (default 30 s), so a
    /// remote that is down slows no request more than once in that time.
    #[serde(default = "default_retry_after_failure_secs")]
    pub retry_after_failure_secs: u64,
    /// Serve `/images/…` of this repository's files from a local copy instead of redirecting
    /// there: fetched on first request (at most `max_upload_size` bytes), kept only when its
    /// size and SHA-1 are the remote's, then served like local files (Range, ETag). The copy is
    /// named by the remote's SHA-1, so a new version there is fetched anew; copies nobody asked
    /// for lately are removed by the orphan-blob sweep.
    #[serde(default)]
    pub cache_files: bool,
}

fn default_url_cache_secs() -> u64 {
    4 * 3600
}
fn default_description_cache_secs() -> u64 {
    43_200
}
fn default_foreign_timeout_secs() -> f64 {
    5.0
}
fn default_retry_after_failure_secs() -> u64 {
    30
}

/// `[thumbnails]`: thumbnails are rendered on their first request, on a pool of at most
/// `render_workers` threads (so rendering never takes every core from uploads), and kept in the
/// blob store.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ThumbnailConfig {
    /// Thumbnails rendered at once (each on a blocking thread). 0: half the cores, at least 1.
    pub render_workers: usize,
    /// `$wgMaxImageArea`: bitmaps with more pixels are not thumbnailed (JPEGs are, decoded at a
    /// reduced DCT scale, as with ImageMagick). 0: no limit. Default 12,500,000.
    pub max_image_area: u64,
    /// `$wgMaxAnimatedGifArea`. Default 12,500,000.
    pub max_animated_gif_area: u64,
    /// `$wgSVGMaxSize`. Default 5120.
    pub svg_max_size: i64,
    /// `$wgJpegQuality`. Default 80.
    pub jpeg_quality: u8,
    /// `$wgResponsiveImages`: imageinfo reports 1.5x and 2x URLs. Default true.
    pub responsive_images: bool,
    /// `$wgTiffThumbnailType`: `""` (MediaWiki's default: TIFFs get the file icon), `"jpg"` or
    /// `"png"`.
    pub tiff_thumbnail_type: String,
    /// Most pixels decoded at once while rendering (memory bound: 4 bytes each). Default 40 M.
    pub max_decoded_pixels: u64,
}

impl Default for ThumbnailConfig {
    fn default() -> Self {
        ThumbnailConfig {
            render_workers: 0,
            max_image_area: 12_500_000,
            max_animated_gif_area: 12_500_000,
            svg_max_size: 5120,
            jpeg_quality: 80,
            responsive_images: true,
            tiff_thumbnail_type: String::new(),
            max_decoded_pixels: 40_000_000,
        }
    }
}

/// `[limits]`: what one client may hold of the server — connections, time, and memory or disk
/// before it is authenticated. Times are in seconds (fractions allowed).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsConfig {
    /// A request's header block must arrive within this many seconds of its first byte
    /// (slowloris). nginx: `client_header_timeout` 60.
    pub header_timeout_secs: f64,
    /// An idle connection between requests is closed after this long. nginx: `keepalive_timeout` 75.
    pub keepalive_timeout_secs: f64,
    /// A request body (or a response the client does not read) that makes no progress this long
    /// fails, and so does one slower than `body_min_rate` over such a window. nginx:
    /// `client_body_timeout` / `send_timeout` 60.
    pub body_timeout_secs: f64,
    /// Bytes per second a request body must average over each `body_timeout_secs` window (0: off).
    pub body_min_rate: u64,
    /// Connections served at once; more are answered `503` and closed (with a log line).
    pub max_connections: usize,
    /// Connections at once from one client address.
    pub max_connections_per_ip: usize,
    /// On SIGTERM/SIGINT: stop accepting, let requests in flight finish for at most this long.
    pub shutdown_grace_secs: f64,
    /// Largest `application/x-www-form-urlencoded` body, and the total of all non-file fields of
    /// a multipart body (PHP: `post_max_size`).
    pub max_form_bytes: u64,
    /// Largest single non-file field of a multipart body.
    pub max_field_bytes: u64,
    /// Parameters read from a query string or body; the rest are ignored with a warning
    /// (PHP: `max_input_vars`).
    pub max_params: usize,
    /// Parts of a multipart body (PHP: `max_multipart_body_parts`).
    pub max_parts: usize,
    /// File parts of a multipart body (PHP: `max_file_uploads`).
    pub max_file_parts: usize,
    /// `$wgPasswordAttemptThrottle`: login attempts allowed per user name and client address
    /// (per name alone with `all_ips = true`) in each window. Empty: no throttle.
    pub password_attempt_throttle: Vec<ThrottleCondition>,
}

/// One `$wgPasswordAttemptThrottle` condition.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThrottleCondition {
    pub count: i64,
    pub seconds: i64,
    /// MediaWiki's `allIPs`: count the name's attempts from every address together.
    #[serde(default)]
    pub all_ips: bool,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            header_timeout_secs: 20.0,
            keepalive_timeout_secs: 60.0,
            body_timeout_secs: 60.0,
            body_min_rate: 256,
            max_connections: 1024,
            max_connections_per_ip: 64,
            shutdown_grace_secs: 30.0,
            max_form_bytes: 8 << 20,
            max_field_bytes: 4 << 20,
            max_params: 1000,
            max_parts: 1000,
            max_file_parts: 20,
            // MediaWiki's default: 5 per 5 minutes and 150 per 2 days, per name and address.
            password_attempt_throttle: vec![
                ThrottleCondition {
                    count: 5,
                    seconds: 300,
                    all_ips: false,
                },
                ThrottleCondition {
                    count: 150,
                    seconds: 48 * 3600,
                    all_ips: false,
                },
            ],
        }
    }
}

impl LimitsConfig {
    /// A configured number of seconds as a duration (negative or NaN: zero; huge: a day).
    pub fn secs(v: f64) -> std::time::Duration {
        if v.is_nan() || v <= 0.0 {
            return std::time::Duration::ZERO;
        }
        std::time::Duration::from_secs_f64(v.min(86_400.0))
    }
}

/// `[cors]`: `$wgCrossSiteAJAXdomains` and `$wgCrossSiteAJAXdomainExceptions`. Patterns match the
/// host (and port) after `http://` or `https://`; `*` is any run of characters, `?` one.
/// Anonymous CORS (`origin=*`) needs no configuration.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CorsConfig {
    pub allowed_origins: Vec<String>,
    pub origin_exceptions: Vec<String>,
}

/// `[storage]`: `kind = "local"` (the default: files under the data directory) or
/// `kind = "s3"` with the bucket's coordinates.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageConfig {
    pub kind: StorageKind,
    /// `http(s)://host:port` of an S3-compatible server; empty: AWS S3 in `region`.
    pub endpoint: String,
    pub bucket: String,
    pub region: String,
    /// Empty: from the environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`).
    pub access_key_id: String,
    pub secret_access_key: String,
    /// Path-style requests (`endpoint/bucket/key`), as most self-hosted servers want; false:
    /// virtual-hosted style (`bucket.endpoint/key`).
    pub path_style: bool,
    /// Prepended to every object name, so one bucket can hold several wikis.
    pub prefix: String,
    /// Size of uploaded parts in bytes (at least 5 MiB; at most 10,000 parts per file).
    pub part_size: u64,
    /// Parts uploaded at once per upload (memory: about part_size × (concurrency + 1) each).
    pub concurrency: usize,
    /// `https://cdn.example/bucket`: file URLs (`/images/…` originals and archived versions)
    /// redirect to this base plus the object's name instead of streaming through the server.
    /// Every object of the bucket must be readable there without credentials (a public bucket
    /// or a CDN in front of it).
    pub public_url: String,
    /// When not 0 (and no `public_url`): file URLs redirect to a presigned GET of the object,
    /// valid this many seconds, so a private bucket serves the bytes itself.
    pub presign_secs: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum StorageKind {
    #[default]
    Local,
    S3,
}

impl Default for StorageConfig {
    fn default() -> Self {
        StorageConfig {
            kind: StorageKind::Local,
            endpoint: String::new(),
            bucket: String::new(),
            region: "us-east-1".into(),
            access_key_id: String::new(),
            secret_access_key: String::new(),
            path_style: true,
            prefix: String::new(),
            part_size: 8 << 20,
            concurrency: 4,
            public_url: String::new(),
            presign_secs: 0,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UploadConfig {
    /// `$wgEnableUploads`.
    pub enabled: bool,
    /// `$wgMaxUploadSize` in bytes (also the `filesize` maximum for chunked uploads).
    pub max_upload_size: u64,
    /// `$wgMinUploadChunkSize`.
    pub min_chunk_size: u64,
    /// `$wgFileExtensions`.
    pub file_extensions: Vec<String>,
    /// `$wgProhibitedFileExtensions`.
    pub prohibited_extensions: Vec<String>,
    /// `$wgStrictFileExtensions`.
    pub strict_extensions: bool,
    /// `$wgUploadSizeWarning` (0 = off).
    pub size_warning: u64,
    /// `$wgEnableAsyncUploads`. On by default: our job queue is durable and in-process.
    pub async_uploads: bool,
    /// Stash entries (and chunk sessions) older than this are swept. MediaWiki: 6 h; we keep 48 h.
    pub stash_max_age_secs: u64,
    /// Blobs no row refers to are removed once untouched this long (crash leftovers).
    pub orphan_grace_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UrlUploadConfig {
    /// `$wgAllowCopyUploads`. Off by default (`copyuploaddisabled`).
    pub enabled: bool,
    /// `$wgCopyUploadsDomains`; empty = any public host.
    pub domains: Vec<String>,
    /// Addresses normally refused (loopback, private…) that are explicitly allowed, as CIDRs.
    pub allow_addresses: Vec<String>,
    pub timeout_secs: u64,
    pub max_redirects: u32,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("data"),
            database_url: String::new(),
            database_pool_size: 10,
            server: String::new(),
            script_path: "/w".into(),
            sitename: "mwupload".into(),
            uploads: UploadConfig::default(),
            group_permissions: BTreeMap::new(),
            url_uploads: UrlUploadConfig::default(),
            change_tags: Vec::new(),
            storage: StorageConfig::default(),
            cors: CorsConfig::default(),
            thumbnails: ThumbnailConfig::default(),
            limits: LimitsConfig::default(),
            // MediaWiki 1.39's default for uploads: 8 a minute per address for anonymous and
            // new users, and 8 a minute per new account.
            rate_limits: BTreeMap::from([(
                "upload".to_string(),
                BTreeMap::from([("ip".to_string(), [8, 60]), ("newbie".to_string(), [8, 60])]),
            )]),
            trusted_proxies: Vec::new(),
            foreign_repos: Vec::new(),
        }
    }
}

impl Default for UploadConfig {
    fn default() -> Self {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        UploadConfig {
            enabled: true,
            max_upload_size: 5_368_709_120,
            min_chunk_size: 1024,
            // MediaWiki's defaults plus the formats we read metadata from (as the reference wiki).
            file_extensions: s(&[
                "png", "gif", "jpg", "jpeg", "webp", "svg", "pdf", "txt", "tif", "tiff", "ogg", "webm",
            ]),
            prohibited_extensions: s(&[
                "html", "htm", "js", "jsb", "mhtml", "mht", "xhtml", "xht", "php", "phtml", "php3", "php4", "php5", "phps", "phar",
                "shtml", "jhtml", "pl", "py", "cgi", "exe", "scr", "dll", "msi", "vbs", "bat", "com", "pif", "cmd", "vxd", "cpl", "xml",
            ]),
            strict_extensions: true,
            size_warning: 0,
            async_uploads: true,
            stash_max_age_secs: 48 * 3600,
            orphan_grace_secs: 3600,
        }
    }
}

impl Default for UrlUploadConfig {
    fn default() -> Self {
        UrlUploadConfig {
            enabled: false,
            domains: Vec::new(),
            allow_addresses: Vec::new(),
            timeout_secs: 25,
            max_redirects: 5,
        }
    }
}

impl Config {
    /// Reads the TOML file if given (a missing explicit file is an error; no file means defaults).
    pub fn load(file: Option<&Path>) -> anyhow::Result<Config> {
        match file {
            None => Ok(Config::default()),
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|e| anyhow::anyhow!("reading config file {}: {e}", p.display()))?;
                toml::from_str(&text).map_err(|e| anyhow::anyhow!("config file {}: {e}", p.display()))
            }
        }
    }

    pub fn db_path(&self) -> PathBuf {
        self.data_dir.join("mwupload.sqlite3")
    }

    pub fn blob_dir(&self) -> PathBuf {
        self.data_dir.join("files")
    }

    pub fn api_path(&self) -> String {
        format!("{}/api.php", self.script_path)
    }
}

/// Checks `[[foreign_repos]]`: names present, distinct and not `local`; `api` an http(s) URL; a
/// positive timeout. The first problem as the error.
pub fn validate_foreign_repos(repos: &[ForeignRepoConfig]) -> Result<(), String> {
    let mut seen = std::collections::BTreeSet::new();
    for r in repos {
        if r.name.trim().is_empty() || r.name == "local" {
            return Err(format!("foreign_repos: name {:?} is empty or \"local\"", r.name));
        }
        if !seen.insert(r.name.as_str()) {
            return Err(format!("foreign_repos: name {:?} is used twice", r.name));
        }
        let scheme_ok = r.api.starts_with("http://") || r.api.starts_with("https://");
        if !scheme_ok || r.api.contains(char::is_whitespace) {
            return Err(format!("foreign_repos.{}: api {:?} is not an http(s) URL", r.name, r.api));
        }
        if r.timeout_secs.is_nan() || r.timeout_secs <= 0.0 {
            return Err(format!("foreign_repos.{}: timeout_secs must be positive", r.name));
        }
    }
    Ok(())
}

/// Parses `trusted_proxies` entries (CIDRs or bare addresses); the bad entries as the error.
pub fn parse_trusted_proxies(entries: &[String]) -> Result<Vec<ipnet::IpNet>, Vec<String>> {
    let mut nets = Vec::new();
    let mut bad = Vec::new();
    for e in entries {
        let s = e.trim();
        match s
            .parse::<ipnet::IpNet>()
            .map(|n| n.trunc())
            .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        {
            Ok(n) => nets.push(n),
            Err(_) => bad.push(e.clone()),
        }
    }
    if bad.is_empty() { Ok(nets) } else { Err(bad) }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn readme_example_config_parses() {
        let readme = include_str!("../../../README.md");
        let start = readme.find("```toml\n").expect("README has a TOML example") + 8;
        let end = start + readme[start..].find("```").expect("closed");
        let c: Config = toml::from_str(&readme[start..end]).expect("README config example parses");
        assert_eq!(c.uploads.max_upload_size, 5_368_709_120);
        assert!(c.change_tags.is_empty() && !c.url_uploads.enabled);
        assert!(c.database_url.is_empty(), "the README's example keeps the SQLite default");
    }

    #[test]
    fn parses_partial_toml_over_defaults() {
        let c: Config = toml::from_str(
            "listen = \"127.0.0.1:9999\"\ndatabase_url = \"postgres://mw@db/mw\"\n[uploads]\nmax_upload_size = 1000\n[group_permissions]\nuser = [\"upload_by_url\"]\n",
        )
        .unwrap();
        assert_eq!(c.listen.port(), 9999);
        assert_eq!((c.database_url.as_str(), c.database_pool_size), ("postgres://mw@db/mw", 10));
        assert_eq!(c.uploads.max_upload_size, 1000);
        assert_eq!(c.uploads.min_chunk_size, 1024);
        assert_eq!(c.group_permissions["user"], vec!["upload_by_url"]);
        assert!(toml::from_str::<Config>("bogus = 1").is_err());
    }

    #[test]
    fn foreign_repos_parse_with_defaults() {
        let c: Config = toml::from_str(
            "[[foreign_repos]]\nname = \"shared\"\napi = \"http://127.0.0.1:8080/w/api.php\"\n[[foreign_repos]]\nname = \"other\"\napi = \"https://example.org/w/api.php\"\nurl_cache_secs = 60\nfetch_descriptions = true\ntimeout_secs = 2.5\n",
        )
        .unwrap();
        assert_eq!(c.foreign_repos.len(), 2);
        let (a, b) = (&c.foreign_repos[0], &c.foreign_repos[1]);
        assert_eq!(
            (a.name.as_str(), a.url_cache_secs, a.fetch_descriptions, a.timeout_secs),
            ("shared", 14_400, false, 5.0)
        );
        assert_eq!(
            (b.name.as_str(), b.url_cache_secs, b.fetch_descriptions, b.timeout_secs),
            ("other", 60, true, 2.5)
        );
        assert!(
            toml::from_str::<Config>("[[foreign_repos]]\nname = \"x\"\n").is_err(),
            "api is required"
        );
        assert!(toml::from_str::<Config>("[[foreign_repos]]\nname = \"x\"\napi = \"y\"\nbogus = 1\n").is_err());
    }
}
