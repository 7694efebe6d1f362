//! Shared file repositories: MediaWiki's `$wgForeignFileRepos` with `ForeignAPIRepo`.
//!
//! A file this wiki does not have may exist in another wiki named in `[[foreign_repos]]`; it is
//! then shown as if it were here (`imagerepository` is the repository's name), and uploading a
//! local file of that name needs the `reupload-shared` right. The other wiki is asked over its
//! Action API exactly as `ForeignAPIFile::newFromTitle` asks it (`prop=imageinfo` with
//! `ForeignAPIFile::getProps()`), through the [`ForeignApi`] port (the HTTP client lives in
//! `mwupload-fetch`).
//!
//! Answers are kept per process for `url_cache_secs` (MediaWiki keeps them in its WAN cache for
//! `apiMetadataExpiry`); a cache needs no agreement between replicas. A remote that fails (down,
//! slow past `timeout_secs`, an error or something that is not an API answer) counts as not
//! having the file: the local answer stands, a warning is logged, and the remote is not asked
//! again for `retry_after_failure_secs`.

use crate::config::ForeignRepoConfig;
use mwupload_store::BlobStore;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// `ForeignAPIFile::getProps()`.
pub const FILE_PROPS: &str = "timestamp|user|comment|url|size|sha1|metadata|mime|mediatype|extmetadata";

/// Entries kept at most per repository before the cache is pruned of expired ones (and, if
/// still full, emptied): a bound on memory, whatever names clients ask about.
const CACHE_MAX_ENTRIES: usize = 10_000;

/// A file of a shared repository, as its wiki described it.
#[derive(Debug, Clone)]
pub struct ForeignFile {
    /// The repository's configured name.
    pub repo: String,
    /// The file's name (DB key, underscores) in the other wiki — after its redirects.
    pub name: String,
    /// `imageinfo[0]` as the other wiki gave it (plus `pageid` when it has a description page),
    /// like `ForeignAPIFile`'s `mInfo`.
    pub info: Map<String, Value>,
}

impl ForeignFile {
    fn str_of(&self, k: &str) -> Option<&str> {
        self.info.get(k).and_then(Value::as_str)
    }
    fn int_of(&self, k: &str) -> Option<i64> {
        self.info
            .get(k)
            .and_then(|v| v.as_i64().or_else(|| v.as_str().and_then(|s| s.parse().ok())))
    }
    /// Hex SHA-1 (40 digits), when the remote gave one.
    pub fn sha1(&self) -> Option<String> {
        let s = self.str_of("sha1")?.to_ascii_lowercase();
        (!s.is_empty() && s.len() <= 40 && s.bytes().all(|b| b.is_ascii_hexdigit())).then(|| format!("{s:0>40}"))
    }
    pub fn size(&self) -> i64 {
        self.int_of("size").unwrap_or(0)
    }
    pub fn width(&self) -> i64 {
        self.int_of("width").unwrap_or(0)
    }
    pub fn height(&self) -> i64 {
        self.int_of("height").unwrap_or(0)
    }
    /// The ISO 8601 timestamp as given.
    pub fn timestamp(&self) -> Option<&str> {
        self.str_of("timestamp")
    }
    /// The uploader as MediaWiki names a foreign one (`UserIdentityValue::newExternal`):
    /// `repo>User`.
    pub fn user(&self) -> Option<String> {
        self.str_of("user").map(|u| format!("{}>{u}", self.repo))
    }
    pub fn comment(&self) -> Option<&str> {
        self.str_of("comment")
    }
    pub fn url(&self) -> Option<&str> {
        self.str_of("url")
    }
    pub fn description_url(&self) -> Option<&str> {
        self.str_of("descriptionurl")
    }
    pub fn mime(&self) -> Option<&str> {
        self.str_of("mime")
    }
    pub fn media_type(&self) -> Option<&str> {
        self.str_of("mediatype")
    }
    /// The remote's description page id (for `descriptionshorturl`).
    pub fn page_id(&self) -> Option<i64> {
        self.int_of("pageid")
    }
}

/// How the server reaches other wikis' APIs.
#[async_trait::async_trait]
pub trait ForeignApi: Send + Sync {
    /// GETs `api` with `query` and returns the parsed JSON body, within `timeout` in all.
    /// The error is a sentence for the log.
    async fn get_json(&self, api: &str, query: &[(&str, &str)], timeout: Duration) -> Result<Value, String>;
    /// GETs `url` and returns its body as text (a description page's `action=render` HTML),
    /// within `timeout`; any status but 200 is an error, as for MediaWiki's `HttpRequestFactory::get`.
    async fn get_text(&self, url: &str, timeout: Duration) -> Result<String, String>;
    /// Streams `url` into the file `dest` (fsynced), at most `max_bytes`, each read within
    /// `idle`; returns the size and hex SHA-1 of what arrived.
    async fn download(&self, url: &str, dest: &std::path::Path, max_bytes: u64, idle: Duration) -> Result<(u64, String), String> {
        let _ = (url, dest, max_bytes, idle);
        Err("this client cannot download files".into())
    }
}

/// For processes without an HTTP client (tests of other parts): every request fails.
pub struct NoForeignApi;

#[async_trait::async_trait]
impl ForeignApi for NoForeignApi {
    async fn get_json(&self, _api: &str, _query: &[(&str, &str)], _timeout: Duration) -> Result<Value, String> {
        Err("no HTTP client for shared repositories in this process".into())
    }
    async fn get_text(&self, _url: &str, _timeout: Duration) -> Result<String, String> {
        Err("no HTTP client for shared repositories in this process".into())
    }
}

#[derive(Clone)]
enum Lookup {
    Found(Arc<ForeignFile>),
    Missing,
    Failed,
}

/// The configured shared repositories, their client and their cache.
pub struct ForeignRepos {
    repos: Vec<ForeignRepoConfig>,
    client: Arc<dyn ForeignApi>,
    /// Per repository: DB key → answer.
    by_name: Vec<Cache<Lookup>>,
    /// Per repository: hex SHA-1 → the files with it (`None`: the remote failed).
    by_sha1: Vec<Cache<Option<Vec<Arc<ForeignFile>>>>>,
    /// Per repository: its `meta=siteinfo&siprop=general` under the key `""` (`None`: the
    /// remote failed).
    general: Vec<Cache<Option<SiteInfo>>>,
    /// Per repository: `lang|name` → the remote's rendered description (`None`: not fetched).
    descriptions: Vec<Cache<Option<Arc<str>>>>,
    /// Local copies being fetched (blob key → its lock), so a file is fetched once at a time.
    copying: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// Local copies whose fetch failed lately (blob key), not tried again before their time.
    copy_failures: Cache<()>,
}

/// A remote's `siteinfo` `general` object.
pub type SiteInfo = Arc<Map<String, Value>>;

/// Key → (valid until, value).
type Cache<T> = Mutex<HashMap<String, (Instant, T)>>;

/// How long a remote's `siteinfo` is kept (`ForeignAPIRepo::getInfo`: 7200 s).
const SITE_INFO_SECS: u64 = 7200;

impl ForeignRepos {
    pub fn new(repos: Vec<ForeignRepoConfig>, client: Arc<dyn ForeignApi>) -> ForeignRepos {
        let n = repos.len();
        ForeignRepos {
            repos,
            client,
            by_name: (0..n).map(|_| Mutex::new(HashMap::new())).collect(),
            by_sha1: (0..n).map(|_| Mutex::new(HashMap::new())).collect(),
            general: (0..n).map(|_| Mutex::new(HashMap::new())).collect(),
            descriptions: (0..n).map(|_| Mutex::new(HashMap::new())).collect(),
            copying: Mutex::new(HashMap::new()),
            copy_failures: Mutex::new(HashMap::new()),
        }
    }

    pub fn configs(&self) -> &[ForeignRepoConfig] {
        &self.repos
    }

    pub fn is_empty(&self) -> bool {
        self.repos.is_empty()
    }

    /// `RepoGroup::findFile` over the shared repositories (the caller has looked locally
    /// already): the first repository that has a file named `name` (a DB key).
    pub async fn find_file(&self, name: &str) -> Option<Arc<ForeignFile>> {
        for i in 0..self.repos.len() {
            if let Lookup::Found(f) = self.lookup(i, name).await {
                return Some(f);
            }
        }
        None
    }

    /// `ForeignAPIRepo::getThumbUrl`: the remote's own transform of its file `name` for
    /// `iiurlwidth`/`iiurlheight`/`iiurlparam` — its `imageinfo[0]` (with `thumburl`,
    /// `thumbwidth`, `thumbheight`, `responsiveUrls` or `thumberror`), `None` when it fails.
    /// Kept like file information (`url_cache_secs`).
    pub async fn thumb_info(&self, repo: &str, name: &str, width: i64, height: i64, param: &str) -> Option<Map<String, Value>> {
        let i = self.repos.iter().position(|r| r.name == repo)?;
        let key = format!("thumb|{width}|{height}|{param}|{name}");
        if let Some(hit) = Self::cached(&self.by_name[i], &key) {
            return match hit {
                Lookup::Found(f) => Some(f.info.clone()),
                _ => None,
            };
        }
        let r = &self.repos[i];
        let (ttl, retry, timeout) = self.ttls(i);
        let (title, w, h) = (format!("File:{name}"), width.to_string(), height.to_string());
        let query = [
            ("action", "query"),
            ("format", "json"),
            ("redirects", "true"),
            ("uselang", "en"),
            ("titles", title.as_str()),
            ("prop", "imageinfo"),
            ("iiprop", "url|timestamp"),
            ("iiurlwidth", w.as_str()),
            ("iiurlheight", h.as_str()),
            ("iiurlparam", param),
        ];
        let answer = match self.client.get_json(&r.api, &query, timeout).await {
            Ok(data) => match parse_image_info(&r.name, name, &data) {
                Ok(Some(f)) => Lookup::Found(Arc::new(f)),
                Ok(None) => Lookup::Missing,
                Err(_) => Lookup::Failed,
            },
            Err(why) => {
                tracing::warn!(
                    "shared repository {} ({}) did not answer for a thumbnail of File:{name}: {why}",
                    r.name,
                    r.api
                );
                Lookup::Failed
            }
        };
        let keep = if matches!(answer, Lookup::Failed) { retry } else { ttl };
        if !keep.is_zero() {
            Self::remember(&self.by_name[i], &key, keep, answer.clone());
        }
        match answer {
            Lookup::Found(f) => Some(f.info.clone()),
            _ => None,
        }
    }

    /// `RepoGroup::findBySha1` over the shared repositories: every shared file with this
    /// content (hex SHA-1).
    pub async fn find_by_sha1(&self, sha1_hex: &str) -> Vec<Arc<ForeignFile>> {
        let mut out = Vec::new();
        for i in 0..self.repos.len() {
            out.extend(self.lookup_sha1(i, sha1_hex).await);
        }
        out
    }

    /// The `i`-th repository's `meta=siteinfo&siprop=general` (for `meta=filerepoinfo`'s
    /// `articlepath`, `server` and `favicon`), `None` when it does not answer.
    pub async fn site_info(&self, i: usize) -> Option<SiteInfo> {
        let repo = self.repos.get(i)?;
        if let Some(hit) = Self::cached(&self.general[i], "") {
            return hit;
        }
        let (_, retry, timeout) = self.ttls(i);
        let query = [("action", "query"), ("format", "json"), ("meta", "siteinfo"), ("siprop", "general")];
        let answer = match self.client.get_json(&repo.api, &query, timeout).await {
            Ok(data) => match data["query"]["general"].as_object() {
                Some(g) => Some(Arc::new(g.clone())),
                None => {
                    tracing::warn!("shared repository {}: no siteinfo in its answer", repo.name);
                    None
                }
            },
            Err(why) => {
                tracing::warn!("shared repository {} ({}) did not answer for siteinfo: {why}", repo.name, repo.api);
                None
            }
        };
        let keep = if answer.is_some() {
            Duration::from_secs(SITE_INFO_SECS)
        } else {
            retry
        };
        if !keep.is_zero() {
            Self::remember(&self.general[i], "", keep, answer.clone());
        }
        answer
    }

    /// `File::getDescriptionText` of a shared file: when its repository has
    /// `fetch_descriptions`, the remote's description page rendered (`index.php?title=File:…&
    /// action=render&uselang=…`, next to the remote's `api.php` as ForeignAPIRepo derives it),
    /// kept `description_cache_secs`. `None` when not configured or the remote gives no page
    /// (a failure is retried after `retry_after_failure_secs`, as MediaWiki does not cache it).
    /// The HTML is the remote's: the caller sanitizes it before showing it.
    pub async fn description_html(&self, repo: &str, name: &str, lang: &str) -> Option<Arc<str>> {
        let i = self.repos.iter().position(|r| r.name == repo)?;
        let r = &self.repos[i];
        if !r.fetch_descriptions {
            return None;
        }
        let key = format!("{lang}|{name}");
        if let Some(hit) = Self::cached(&self.descriptions[i], &key) {
            return hit;
        }
        let (_, retry, timeout) = self.ttls(i);
        let url = description_render_url(&r.api, name, lang);
        let answer = match self.client.get_text(&url, timeout).await {
            Ok(html) => Some(Arc::<str>::from(html)),
            Err(why) => {
                tracing::warn!("shared repository {}: no description of File:{name} from {url}: {why}", r.name);
                None
            }
        };
        let keep = if answer.is_some() {
            Duration::from_secs(r.description_cache_secs)
        } else {
            retry
        };
        if !keep.is_zero() {
            Self::remember(&self.descriptions[i], &key, keep, answer.clone());
        }
        answer
    }

    /// With `cache_files`: the blob key of a verified local copy of the shared file `f`'s
    /// current bytes, fetched now when there is none. `None` (the caller redirects to the
    /// remote instead) when not configured, too large, or the fetch fails or gives other bytes.
    pub async fn local_copy(&self, blobs: &dyn BlobStore, f: &ForeignFile, max_bytes: u64) -> Option<String> {
        let i = self.repos.iter().position(|r| r.name == f.repo)?;
        if !self.repos[i].cache_files {
            return None;
        }
        let (sha1, url) = (f.sha1()?, f.url()?);
        let size = u64::try_from(f.size()).ok().filter(|s| *s <= max_bytes)?;
        let key = local_copy_key(&f.repo, &sha1);
        if blobs.len(&key).await.ok() == Some(size) {
            return Some(key);
        }
        if Self::cached(&self.copy_failures, &key).is_some() {
            return None;
        }
        let flight = {
            let mut m = self.copying.lock().unwrap_or_else(|p| p.into_inner());
            m.entry(key.clone()).or_default().clone()
        };
        let copied = {
            let _one_at_a_time = flight.lock().await;
            if blobs.len(&key).await.ok() == Some(size) {
                Some(key.clone())
            } else {
                self.fetch_copy(i, blobs, url, &key, &sha1, size).await
            }
        };
        {
            let mut m = self.copying.lock().unwrap_or_else(|p| p.into_inner());
            if Arc::strong_count(&flight) <= 2 {
                m.remove(&key);
            }
        }
        copied
    }

    async fn fetch_copy(&self, i: usize, blobs: &dyn BlobStore, url: &str, key: &str, sha1: &str, size: u64) -> Option<String> {
        let repo = &self.repos[i];
        let (_, retry, idle) = self.ttls(i);
        let failed = |why: String| {
            tracing::warn!("shared repository {}: no local copy of {url}: {why}", repo.name);
            if !retry.is_zero() {
                Self::remember(&self.copy_failures, key, retry, ());
            }
            None
        };
        let temp = match tempfile::Builder::new().prefix("shared-").tempfile_in(blobs.scratch_dir()) {
            Ok(t) => t.into_temp_path(),
            Err(e) => return failed(format!("scratch file: {e}")),
        };
        match self.client.download(url, &temp, size, idle).await {
            Ok((n, got)) if n == size && got == sha1 => {}
            Ok((n, got)) => return failed(format!("got {n} bytes with SHA-1 {got}, the remote says {size} bytes {sha1}")),
            Err(why) => return failed(why),
        }
        match blobs.put_file(key, temp).await {
            Ok(()) => Some(key.to_string()),
            Err(e) => failed(format!("storing it: {e}")),
        }
    }

    fn cached<T: Clone>(map: &Cache<T>, key: &str) -> Option<T> {
        let map = map.lock().unwrap_or_else(|p| p.into_inner());
        map.get(key).filter(|(until, _)| *until > Instant::now()).map(|(_, v)| v.clone())
    }

    fn remember<T>(map: &Cache<T>, key: &str, ttl: Duration, value: T) {
        let mut map = map.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= CACHE_MAX_ENTRIES {
            let now = Instant::now();
            map.retain(|_, (until, _)| *until > now);
            if map.len() >= CACHE_MAX_ENTRIES {
                map.clear();
            }
        }
        map.insert(key.to_string(), (Instant::now() + ttl, value));
    }

    fn ttls(&self, i: usize) -> (Duration, Duration, Duration) {
        let r = &self.repos[i];
        (
            Duration::from_secs(r.url_cache_secs),
            Duration::from_secs(r.retry_after_failure_secs),
            crate::config::LimitsConfig::secs(r.timeout_secs),
        )
    }

    async fn lookup(&self, i: usize, name: &str) -> Lookup {
        if let Some(hit) = Self::cached(&self.by_name[i], name) {
            return hit;
        }
        let repo = &self.repos[i];
        let (ttl, retry, timeout) = self.ttls(i);
        let title = format!("File:{name}");
        let query = [
            ("action", "query"),
            ("format", "json"),
            ("redirects", "true"),
            ("uselang", "en"),
            ("titles", title.as_str()),
            ("prop", "imageinfo"),
            ("iiprop", FILE_PROPS),
            ("iimetadataversion", "2"),
            ("iiextmetadatamultilang", "1"),
        ];
        let answer = match self.client.get_json(&repo.api, &query, timeout).await {
            Ok(data) => match parse_image_info(&repo.name, name, &data) {
                Ok(Some(f)) => Lookup::Found(Arc::new(f)),
                Ok(None) => Lookup::Missing,
                Err(why) => {
                    tracing::warn!("shared repository {}: File:{name}: {why}", repo.name);
                    Lookup::Failed
                }
            },
            Err(why) => {
                tracing::warn!(
                    "shared repository {} ({}) did not answer for File:{name}: {why}",
                    repo.name,
                    repo.api
                );
                Lookup::Failed
            }
        };
        let keep = if matches!(answer, Lookup::Failed) { retry } else { ttl };
        if !keep.is_zero() {
            Self::remember(&self.by_name[i], name, keep, answer.clone());
        }
        answer
    }

    async fn lookup_sha1(&self, i: usize, sha1_hex: &str) -> Vec<Arc<ForeignFile>> {
        if let Some(hit) = Self::cached(&self.by_sha1[i], sha1_hex) {
            return hit.unwrap_or_default();
        }
        let repo = &self.repos[i];
        let (ttl, retry, timeout) = self.ttls(i);
        let Some(base36) = mwupload_store::base36::sha1_hex_to_base36(sha1_hex) else {
            return Vec::new();
        };
        let query = [
            ("action", "query"),
            ("format", "json"),
            ("redirects", "true"),
            ("uselang", "en"),
            ("list", "allimages"),
            ("aisha1base36", base36.as_str()),
            ("aiprop", FILE_PROPS),
        ];
        let answer = match self.client.get_json(&repo.api, &query, timeout).await {
            Ok(data) if data.get("error").is_none() => Some(parse_all_images(&repo.name, &data)),
            Ok(data) => {
                tracing::warn!("shared repository {}: SHA-1 {sha1_hex}: error {}", repo.name, data["error"]);
                None
            }
            Err(why) => {
                tracing::warn!(
                    "shared repository {} ({}) did not answer for SHA-1 {sha1_hex}: {why}",
                    repo.name,
                    repo.api
                );
                None
            }
        };
        let keep = if answer.is_none() { retry } else { ttl };
        if !keep.is_zero() {
            Self::remember(&self.by_sha1[i], sha1_hex, keep, answer.clone());
        }
        answer.unwrap_or_default()
    }
}

/// The blob key of a shared file's local copy: derived from the repository and the bytes'
/// SHA-1, so every replica finds the same copy and a new version gets a new one.
pub fn local_copy_key(repo: &str, sha1_hex: &str) -> String {
    use sha2::Digest;
    let d = sha2::Sha256::digest(format!("foreign_repos copy|{repo}|{sha1_hex}").as_bytes());
    hex::encode(&d[..16])
}

/// `FileRepo::getDescriptionRenderUrl` of a ForeignAPIRepo: its script dir is the directory of
/// its `api.php` ("hack for description fetches" in ForeignAPIRepo's constructor).
pub fn description_render_url(api: &str, name: &str, lang: &str) -> String {
    let dir = api.rsplit_once('/').map(|(d, _)| d).unwrap_or(api);
    let title = crate::title::wf_urlencode(&format!("File:{name}"));
    format!(
        "{dir}/index.php?title={title}&action=render&uselang={}",
        crate::title::wf_urlencode(lang)
    )
}

/// `ForeignAPIRepo::getImageInfo` and `ForeignAPIFile::newFromTitle`: the first page with an
/// `imageinfo` entry, named after the last redirect. `Ok(None)`: the remote has no such file;
/// `Err`: the answer is not a query result.
pub fn parse_image_info(repo: &str, asked: &str, data: &Value) -> Result<Option<ForeignFile>, String> {
    if let Some(e) = data.get("error") {
        return Err(format!("error {e}"));
    }
    let Some(pages) = data.get("query").and_then(|q| q.get("pages")) else {
        return Err("no query.pages in the answer".into());
    };
    let list: Vec<&Value> = match pages {
        Value::Object(m) => m.values().collect(),
        Value::Array(a) => a.iter().collect(),
        _ => return Err("query.pages is neither an object nor a list".into()),
    };
    for page in list {
        let Some(Value::Object(first)) = page.get("imageinfo").and_then(|ii| ii.get(0)) else {
            continue;
        };
        let mut info = first.clone();
        if let Some(id) = page.get("pageid") {
            info.insert("pageid".into(), id.clone());
        }
        let redirected = data["query"]["redirects"]
            .as_array()
            .and_then(|r| r.last())
            .and_then(|r| r["to"].as_str())
            .map(db_key_of_title);
        let name = redirected.unwrap_or_else(|| asked.to_string());
        return Ok(Some(ForeignFile {
            repo: repo.to_string(),
            name,
            info,
        }));
    }
    Ok(None)
}

/// `ForeignAPIRepo::findBySha1`: `list=allimages` entries with a `name`.
pub fn parse_all_images(repo: &str, data: &Value) -> Vec<Arc<ForeignFile>> {
    let Some(list) = data["query"]["allimages"].as_array() else {
        return Vec::new();
    };
    list.iter()
        .filter_map(|img| {
            let m = img.as_object()?;
            let name = m.get("name")?.as_str()?.replace(' ', "_");
            Some(Arc::new(ForeignFile {
                repo: repo.to_string(),
                name,
                info: m.clone(),
            }))
        })
        .collect()
}

/// `File:Some name.png` (in whatever language the remote names its file namespace) → `Some_name.png`.
fn db_key_of_title(title: &str) -> String {
    title.split_once(':').map(|(_, rest)| rest).unwrap_or(title).replace(' ', "_")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn image_info_answers() {
        let found = json!({"query": {"pages": {"3": {"pageid": 3, "ns": 6, "title": "File:A b.png", "imagerepository": "local",
            "imageinfo": [{"timestamp": "2024-01-02T03:04:05Z", "user": "Ann", "size": 10, "sha1": "0a", "url": "http://r/images/a/ab/A_b.png"}]}}}});
        let f = parse_image_info("shared", "A_b.png", &found).unwrap().unwrap();
        assert_eq!((f.name.as_str(), f.size(), f.page_id()), ("A_b.png", 10, Some(3)));
        assert_eq!(f.user().as_deref(), Some("shared>Ann"));
        assert_eq!(f.sha1().unwrap(), format!("{:0>40}", "0a"));
        let missing = json!({"query": {"pages": {"-1": {"ns": 6, "title": "File:X.png", "missing": "", "imagerepository": ""}}}});
        assert!(parse_image_info("shared", "X.png", &missing).unwrap().is_none());
        let redirected = json!({"query": {"redirects": [{"from": "File:Old.png", "to": "File:New one.png"}],
            "pages": [{"pageid": 4, "title": "File:New one.png", "imageinfo": [{"size": 1}]}]}});
        assert_eq!(parse_image_info("s", "Old.png", &redirected).unwrap().unwrap().name, "New_one.png");
        assert!(parse_image_info("s", "X.png", &json!({"error": {"code": "x"}})).is_err());
        assert!(parse_image_info("s", "X.png", &json!("<html>")).is_err());
    }

    struct Counting {
        calls: std::sync::atomic::AtomicUsize,
        answer: Result<Value, String>,
    }

    #[async_trait::async_trait]
    impl ForeignApi for Counting {
        async fn get_json(&self, _api: &str, _q: &[(&str, &str)], _t: Duration) -> Result<Value, String> {
            self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            self.answer.clone()
        }
        async fn get_text(&self, url: &str, _t: Duration) -> Result<String, String> {
            self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            self.answer.clone().map(|_| format!("<p>rendered from {url}</p>"))
        }
    }

    #[test]
    fn description_render_url_is_next_to_the_api() {
        assert_eq!(
            description_render_url("http://wiki.example/w/api.php", "A b&c.png", "en"),
            "http://wiki.example/w/index.php?title=File:A%20b%26c.png&action=render&uselang=en"
        );
    }

    #[tokio::test]
    async fn descriptions_are_fetched_only_when_configured_and_cached() {
        let ok = Arc::new(Counting {
            calls: Default::default(),
            answer: Ok(json!({})),
        });
        let repos = ForeignRepos::new(vec![repo(60, 60)], ok.clone());
        assert!(
            repos.description_html("shared", "A.png", "en").await.is_none(),
            "fetch_descriptions is off"
        );
        assert_eq!(ok.calls.load(std::sync::atomic::Ordering::SeqCst), 0);

        let mut with = repo(60, 60);
        with.fetch_descriptions = true;
        let repos = ForeignRepos::new(vec![with.clone()], ok.clone());
        let html = repos.description_html("shared", "A.png", "en").await.unwrap();
        assert!(html.contains("/index.php?title=File:A.png&action=render&uselang=en"), "{html}");
        assert!(repos.description_html("shared", "A.png", "en").await.is_some());
        assert_eq!(ok.calls.load(std::sync::atomic::Ordering::SeqCst), 1, "kept description_cache_secs");
        assert!(repos.description_html("elsewhere", "A.png", "en").await.is_none());

        let down = Arc::new(Counting {
            calls: Default::default(),
            answer: Err("HTTP status 404 Not Found".into()),
        });
        let repos = ForeignRepos::new(vec![with], down.clone());
        assert!(repos.description_html("shared", "A.png", "en").await.is_none());
        assert!(repos.description_html("shared", "A.png", "en").await.is_none());
        assert_eq!(
            down.calls.load(std::sync::atomic::Ordering::SeqCst),
            1,
            "a failure waits retry_after_failure_secs"
        );
    }

    fn repo(cache: u64, retry: u64) -> ForeignRepoConfig {
        toml::from_str(&format!(
            "name = \"shared\"\napi = \"http://127.0.0.1:1/api.php\"\nurl_cache_secs = {cache}\nretry_after_failure_secs = {retry}\n"
        ))
        .unwrap()
    }

    #[tokio::test]
    async fn answers_and_failures_are_cached_for_their_time() {
        let ok = Arc::new(Counting {
            calls: Default::default(),
            answer: Ok(json!({"query": {"pages": {"1": {"pageid": 1, "imageinfo": [{"size": 5}]}}}})),
        });
        let repos = ForeignRepos::new(vec![repo(60, 60)], ok.clone());
        assert_eq!(repos.find_file("A.png").await.unwrap().size(), 5);
        assert_eq!(repos.find_file("A.png").await.unwrap().size(), 5);
        assert_eq!(
            ok.calls.load(std::sync::atomic::Ordering::SeqCst),
            1,
            "the second answer came from the cache"
        );

        let down = Arc::new(Counting {
            calls: Default::default(),
            answer: Err("connection refused".into()),
        });
        let repos = ForeignRepos::new(vec![repo(60, 60)], down.clone());
        assert!(repos.find_file("A.png").await.is_none());
        assert!(repos.find_file("A.png").await.is_none());
        assert_eq!(down.calls.load(std::sync::atomic::Ordering::SeqCst), 1, "a failure is remembered");
        let repos = ForeignRepos::new(vec![repo(60, 0)], down.clone());
        assert!(repos.find_file("A.png").await.is_none());
        assert!(repos.find_file("A.png").await.is_none());
        assert_eq!(
            down.calls.load(std::sync::atomic::Ordering::SeqCst),
            3,
            "retry_after_failure_secs = 0: asked each time"
        );
    }
}
