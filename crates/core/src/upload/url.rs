//! Upload by URL: the policy (from configuration) and the port a fetcher implements. The
//! SSRF-safe HTTP fetcher itself lives in `mwupload-fetch`.

use super::error::FetchError;
use crate::state::AppState;
use std::path::Path;
use std::time::Duration;

/// What a URL fetch may do.
#[derive(Debug, Clone)]
pub struct FetchPolicy {
    /// `$wgCopyUploadsDomains`; empty = any host. An entry matches a host when it is equal to
    /// it, or has the same number of dot-separated labels with each `*` label matching exactly
    /// one label (case-insensitive).
    pub allowed_domains: Vec<String>,
    /// CIDRs (or bare addresses) allowed even though non-public, e.g. `"127.0.0.0/8"`.
    /// Entries that do not parse allow nothing (fail closed).
    pub allow_addresses: Vec<String>,
    /// Largest accepted body in bytes; a body of exactly this size passes.
    pub max_bytes: u64,
    pub connect_timeout: Duration,
    /// For the whole fetch: every hop, DNS, headers and body.
    pub total_timeout: Duration,
    /// MediaWiki: 5. The (max+1)-th redirect fails.
    pub max_redirects: u32,
}

impl Default for FetchPolicy {
    fn default() -> Self {
        FetchPolicy {
            allowed_domains: Vec::new(),
            allow_addresses: Vec::new(),
            max_bytes: 100 * 1024 * 1024,
            connect_timeout: Duration::from_secs(10),
            total_timeout: Duration::from_secs(25),
            max_redirects: 5,
        }
    }
}

impl FetchPolicy {
    /// The policy configured for this server.
    pub fn from_state(state: &AppState) -> FetchPolicy {
        let c = &state.config.url_uploads;
        FetchPolicy {
            allowed_domains: c.domains.clone(),
            allow_addresses: c.allow_addresses.clone(),
            max_bytes: state.config.uploads.max_upload_size,
            connect_timeout: Duration::from_secs(c.timeout_secs.clamp(1, 60)),
            total_timeout: Duration::from_secs(c.timeout_secs.max(1)),
            max_redirects: c.max_redirects,
        }
    }
}

/// A fetched body, spooled to a scratch file (deleted when `path` drops) and hashed on the way.
#[derive(Debug)]
pub struct Fetched {
    pub path: tempfile::TempPath,
    pub size: u64,
    pub sha1: [u8; 20],
}

/// Fetches URLs for `url=` uploads.
#[async_trait::async_trait]
pub trait UrlFetcher: Send + Sync {
    /// Checks what can be checked without any network access (scheme, form, allow-list).
    fn precheck(&self, url: &str, policy: &FetchPolicy) -> Result<(), FetchError>;
    /// Fetches `url` into a new file in `scratch_dir`, within `policy`.
    async fn fetch(&self, url: &str, policy: &FetchPolicy, scratch_dir: &Path) -> Result<Fetched, FetchError>;
}

/// A fetcher for servers without URL uploads: everything is refused.
pub struct NoFetcher;

#[async_trait::async_trait]
impl UrlFetcher for NoFetcher {
    fn precheck(&self, url: &str, _policy: &FetchPolicy) -> Result<(), FetchError> {
        Err(FetchError::InvalidUrl { url: url.to_string() })
    }
    async fn fetch(&self, url: &str, _policy: &FetchPolicy, _scratch_dir: &Path) -> Result<Fetched, FetchError> {
        Err(FetchError::InvalidUrl { url: url.to_string() })
    }
}
