//! Upload by URL (`url=`, spec §11): an SSRF-safe, streaming fetcher.
//!
//! MediaWiki fetches with curl and follows redirects by hand, re-checking the
//! domain allow-list (`$wgCopyUploadsDomains`) at every hop. It has no filter
//! for private addresses of its own. We add one (spec §11 "Recommendation"):
//!
//! * Every address a hop would connect to is vetted *before* connecting:
//!   IP-literal hosts (which hyper connects to without asking any resolver)
//!   are checked directly; host names are resolved once here, filtered, and
//!   the surviving addresses are handed to reqwest through a pinned
//!   [`reqwest::dns::Resolve`] that answers only with them. What is connected
//!   to is exactly what was checked, so there is no DNS-rebinding window.
//! * Non-public addresses (loopback, RFC 1918, CGNAT, link-local, multicast,
//!   documentation, benchmarking, ULA, IPv4-mapped/-compatible/NAT64/6to4
//!   forms of those, …) are refused unless an `allow_addresses` CIDR contains
//!   them. A host name whose addresses are *all* refused is refused; one with
//!   some public addresses is connected only to those.
//! * reqwest's own redirect handling is off; redirects are followed here, hop
//!   by hop, each hop re-checked (scheme, userinfo, allow-list, addresses).
//! * No proxy is used (reqwest would otherwise honour `HTTP_PROXY` & co.).
//!
//! Error codes (the MediaWiki message keys, with their English texts):
//!
//! | condition | code |
//! |---|---|
//! | not http(s), unparsable, userinfo present | `http-invalid-url` "Invalid URL: <url>" |
//! | host not in the allow-list (initial URL) | `copyuploadbaddomain` |
//! | host not in the allow-list (a redirect hop; MediaWiki's re-check) | `upload-copy-upload-invalid-domain` |
//! | non-public address (our addition; the API code MediaWiki uses when the URL is vetoed) | `copyuploadbadurl` |
//! | status ≥ 400 | `http-bad-status` "There was a problem during the HTTP request: <code> <reason>" |
//! | connect or total timeout | `http-timed-out` "URL <url> timed out." |
//! | other transport errors, DNS failures | `http-curl-error` "Error fetching URL: <detail>" |
//! | more than `max_redirects` redirects | `upload-too-many-redirects` |
//! | body larger than `max_bytes` (Content-Length or streamed) | `file-too-large` |
//! | spool file errors | `tmp-create-error`, `tmp-write-error` |

pub mod foreign;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use sha1::{Digest, Sha1};
use tokio::io::AsyncWriteExt;
use url::{Host, Url};

pub use mwupload_core::upload::FetchError;
pub use mwupload_core::upload::url::{FetchPolicy, Fetched, UrlFetcher};

/// The SSRF-safe fetcher (the [`UrlFetcher`] the server uses).
pub struct HttpFetcher;

#[async_trait::async_trait]
impl UrlFetcher for HttpFetcher {
    fn precheck(&self, url: &str, policy: &FetchPolicy) -> Result<(), FetchError> {
        precheck(url, policy)
    }
    async fn fetch(&self, url: &str, policy: &FetchPolicy, scratch_dir: &Path) -> Result<Fetched, FetchError> {
        fetch(url, policy, scratch_dir).await
    }
}

/// Constructors with MediaWiki's conditions spelled out (the API maps each to its code).
mod err {
    use super::FetchError;
    use std::fmt;
    use std::net::IpAddr;

    pub fn invalid_url(url: &str) -> FetchError {
        FetchError::InvalidUrl { url: url.to_string() }
    }
    pub fn bad_domain() -> FetchError {
        FetchError::DomainNotAllowed
    }
    pub fn bad_domain_on_redirect() -> FetchError {
        FetchError::RedirectDomainNotAllowed
    }
    pub fn refused_address(ip: IpAddr) -> FetchError {
        FetchError::NonPublicAddress { address: ip.to_string() }
    }
    pub fn timed_out(url: &str) -> FetchError {
        FetchError::TimedOut { url: url.to_string() }
    }
    pub fn curl(detail: impl fmt::Display) -> FetchError {
        FetchError::Transport {
            detail: detail.to_string(),
        }
    }
    pub fn too_many_redirects() -> FetchError {
        FetchError::TooManyRedirects
    }
    pub fn too_large(max: u64) -> FetchError {
        FetchError::TooLarge { max }
    }
    pub fn tmp_create() -> FetchError {
        FetchError::TmpCreate
    }
    pub fn tmp_write() -> FetchError {
        FetchError::TmpWrite
    }
}

const USER_AGENT: &str = concat!("mwupload/", env!("CARGO_PKG_VERSION"), " (upload by URL)");

// ---------------------------------------------------------------------------
// URL shape and domain allow-list
// ---------------------------------------------------------------------------

/// Parses and checks the shape of a URL: http/https only, a host, no userinfo.
/// `shown` is what the error message quotes.
fn parse_http_url(raw: &str, shown: &str) -> Result<Url, FetchError> {
    let url = Url::parse(raw).map_err(|_| err::invalid_url(shown))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(err::invalid_url(shown));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(err::invalid_url(shown));
    }
    match url.host() {
        None => Err(err::invalid_url(shown)),
        Some(Host::Domain("")) => Err(err::invalid_url(shown)),
        Some(_) => Ok(url),
    }
}

/// Normalizes one allow-list label: lowercase, IDNA for non-ASCII labels.
fn normalize_label(label: &str) -> String {
    if label.is_ascii() {
        return label.to_ascii_lowercase();
    }
    match Host::parse(label) {
        Ok(Host::Domain(d)) => d,
        _ => label.to_lowercase(),
    }
}

/// MediaWiki's `UploadFromUrl::isAllowedHost` for one host: true when
/// `allowed` is empty, when an entry equals the host, or when an entry has the
/// same number of labels and each label is `*` or equal (case-insensitive).
/// `*.example.com` matches `a.example.com`, not `example.com` nor
/// `a.b.example.com`. One trailing dot on either side is ignored.
pub fn domain_allowed(host: &str, allowed: &[String]) -> bool {
    if allowed.is_empty() {
        return true;
    }
    let host = host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase();
    let host_labels: Vec<&str> = host.split('.').collect();
    allowed.iter().any(|entry| {
        let entry = entry.trim();
        let entry = entry.strip_suffix('.').unwrap_or(entry);
        let labels: Vec<&str> = entry.split('.').collect();
        labels.len() == host_labels.len()
            && labels
                .iter()
                .zip(&host_labels)
                .all(|(pat, got)| *pat == "*" || normalize_label(pat) == *got)
    })
}

/// The host string MediaWiki matches against the allow-list (`[::1]` form
/// for IPv6 literals, as PHP's `parse_url` gives it).
fn host_for_matching(url: &Url) -> String {
    url.host_str().unwrap_or("").to_string()
}

/// Checks the URL's shape, scheme, domain allow-list and — when the host is an
/// IP literal — its address, without any network access. Like MediaWiki's
/// `canFetchFile` + the `IsUploadAllowedFromUrl` veto, this runs before the
/// permission checks. Host names are only vetted at fetch time (that needs DNS).
pub fn precheck(url: &str, policy: &FetchPolicy) -> Result<(), FetchError> {
    let parsed = parse_http_url(url, url)?;
    if !domain_allowed(&host_for_matching(&parsed), &policy.allowed_domains) {
        return Err(err::bad_domain());
    }
    if let Some(ip) = literal_ip(&parsed) {
        let allow = parse_allow_list(&policy.allow_addresses);
        if !address_allowed(ip, &allow) {
            return Err(err::refused_address(ip));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Address vetting
// ---------------------------------------------------------------------------

/// Checks `allow_addresses` entries (CIDR or bare address); returns the bad ones.
pub fn validate_allow_addresses(entries: &[String]) -> Result<(), Vec<String>> {
    let bad: Vec<String> = entries.iter().filter(|e| parse_cidr(e).is_none()).cloned().collect();
    if bad.is_empty() { Ok(()) } else { Err(bad) }
}

fn parse_cidr(s: &str) -> Option<IpNet> {
    let s = s.trim();
    if let Ok(net) = s.parse::<IpNet>() {
        return Some(net.trunc());
    }
    s.parse::<IpAddr>().ok().map(IpNet::from)
}

fn parse_allow_list(entries: &[String]) -> Vec<IpNet> {
    entries.iter().filter_map(|e| parse_cidr(e)).collect()
}

/// `::ffff:a.b.c.d` is the same host as `a.b.c.d` (the kernel connects over
/// IPv4), so it is judged — and matched against the allow-list — as IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    }
}

/// True when `ip` may be connected to: public, or inside an allowed CIDR.
fn address_allowed(ip: IpAddr, allow: &[IpNet]) -> bool {
    let canon = canonical(ip);
    if allow.iter().any(|net| net.contains(&canon) || net.contains(&ip)) {
        return true;
    }
    is_public(canon)
}

fn in_v4(ip: Ipv4Addr, net: [u8; 4], prefix: u8) -> bool {
    Ipv4Net::new(Ipv4Addr::from(net), prefix).is_ok_and(|n| n.contains(&ip))
}

fn in_v6(ip: Ipv6Addr, net: Ipv6Addr, prefix: u8) -> bool {
    Ipv6Net::new(net, prefix).is_ok_and(|n| n.contains(&ip))
}

/// Globally routable unicast, as far as it is safe to fetch from.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    const BLOCKED: &[([u8; 4], u8)] = &[
        ([0, 0, 0, 0], 8),       // "this network", includes 0.0.0.0
        ([10, 0, 0, 0], 8),      // private
        ([100, 64, 0, 0], 10),   // CGNAT
        ([127, 0, 0, 0], 8),     // loopback
        ([169, 254, 0, 0], 16),  // link-local (cloud metadata)
        ([172, 16, 0, 0], 12),   // private
        ([192, 0, 0, 0], 24),    // IETF protocol assignments
        ([192, 0, 2, 0], 24),    // TEST-NET-1
        ([192, 88, 99, 0], 24),  // 6to4 relay anycast
        ([192, 168, 0, 0], 16),  // private
        ([198, 18, 0, 0], 15),   // benchmarking
        ([198, 51, 100, 0], 24), // TEST-NET-2
        ([203, 0, 113, 0], 24),  // TEST-NET-3
        ([224, 0, 0, 0], 4),     // multicast
        ([240, 0, 0, 0], 4),     // reserved, includes 255.255.255.255 broadcast
    ];
    !BLOCKED.iter().any(|&(net, prefix)| in_v4(ip, net, prefix))
}

fn embedded_v4(ip: Ipv6Addr, byte_offset: usize) -> Ipv4Addr {
    let o = ip.octets();
    Ipv4Addr::new(o[byte_offset], o[byte_offset + 1], o[byte_offset + 2], o[byte_offset + 3])
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4); // ::ffff:0:0/96
    }
    let v6 = |s: &str| s.parse::<Ipv6Addr>().expect("constant");
    // Forms that carry an IPv4 address: judge that address.
    if in_v6(ip, Ipv6Addr::UNSPECIFIED, 96) {
        // ::/96, IPv4-compatible (deprecated); includes :: and ::1, whose
        // embedded 0.0.0.0 / 0.0.0.1 are in 0.0.0.0/8 and so refused.
        return is_public_v4(embedded_v4(ip, 12));
    }
    if in_v6(ip, v6("64:ff9b::"), 96) {
        return is_public_v4(embedded_v4(ip, 12)); // NAT64 well-known prefix
    }
    if in_v6(ip, v6("2002::"), 16) {
        return is_public_v4(embedded_v4(ip, 2)); // 6to4
    }
    // Only global unicast 2000::/3 remains a candidate (this excludes
    // fc00::/7 ULA, fe80::/10 link-local, fec0::/10 site-local, ff00::/8
    // multicast, 64:ff9b:1::/48 local NAT64, 100::/64 discard, …).
    if !in_v6(ip, v6("2000::"), 3) {
        return false;
    }
    const BLOCKED: &[(&str, u8)] = &[
        ("2001::", 23),     // IETF protocol assignments: Teredo, benchmarking, ORCHID…
        ("2001:db8::", 32), // documentation
        ("3fff::", 20),     // documentation (RFC 9637)
        ("5f00::", 16),     // SRv6 SIDs
    ];
    !BLOCKED.iter().any(|&(net, prefix)| in_v6(ip, v6(net), prefix))
}

fn literal_ip(url: &Url) -> Option<IpAddr> {
    match url.host()? {
        Host::Ipv4(v4) => Some(IpAddr::V4(v4)),
        Host::Ipv6(v6) => Some(IpAddr::V6(v6)),
        Host::Domain(_) => None,
    }
}

/// Test builds refuse to connect anywhere but loopback, whatever the policy
/// says: if the filter ever breaks, the tests panic instead of sending
/// traffic to 10.0.0.1 or 169.254.169.254.
#[cfg(test)]
fn connect_guard(addrs: &[SocketAddr]) {
    for a in addrs {
        assert!(canonical(a.ip()).is_loopback(), "test build about to connect to non-loopback {a}");
    }
}
#[cfg(not(test))]
fn connect_guard(_: &[SocketAddr]) {}

/// Answers only for `host`, only with pre-vetted addresses. hyper asks the
/// resolver only for host names (IP literals are connected to directly and
/// vetted by us beforehand), so with this resolver nothing unvetted is reachable.
struct PinnedResolver {
    host: String,
    addrs: Vec<SocketAddr>,
}

impl reqwest::dns::Resolve for PinnedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let result: Result<reqwest::dns::Addrs, Box<dyn std::error::Error + Send + Sync>> =
            if name.as_str().eq_ignore_ascii_case(&self.host) && !self.addrs.is_empty() {
                Ok(Box::new(self.addrs.clone().into_iter()))
            } else {
                Err(format!("Could not resolve host: {}", name.as_str()).into())
            };
        Box::pin(std::future::ready(result))
    }
}

/// Resolves the hop's host and keeps only the addresses that may be used.
async fn vet_addresses(url: &Url, allow: &[IpNet]) -> Result<Vec<SocketAddr>, FetchError> {
    let port = url.port_or_known_default().unwrap_or(80);
    if let Some(ip) = literal_ip(url) {
        return if address_allowed(ip, allow) {
            Ok(vec![SocketAddr::new(ip, port)])
        } else {
            Err(err::refused_address(ip))
        };
    }
    let host = url.host_str().unwrap_or("");
    let resolved: Vec<SocketAddr> = match tokio::net::lookup_host((host, port)).await {
        Ok(it) => it.collect(),
        Err(_) => return Err(err::curl(format_args!("Could not resolve host: {host}"))),
    };
    if resolved.is_empty() {
        return Err(err::curl(format_args!("Could not resolve host: {host}")));
    }
    let mut good: Vec<SocketAddr> = Vec::new();
    for a in &resolved {
        if address_allowed(a.ip(), allow) && !good.contains(a) {
            good.push(*a);
        }
    }
    if good.is_empty() {
        return Err(err::refused_address(resolved[0].ip()));
    }
    Ok(good)
}

// ---------------------------------------------------------------------------
// Fetching
// ---------------------------------------------------------------------------

/// Downloads `url` into a new temporary file in `spool_dir`, following
/// redirects by hand and vetting every hop (see the module docs). The file is
/// fsynced before returning and removed on any error.
pub async fn fetch(url: &str, policy: &FetchPolicy, spool_dir: &Path) -> Result<Fetched, FetchError> {
    precheck(url, policy)?;
    let deadline = tokio::time::Instant::now() + policy.total_timeout;
    // The URL of the hop in progress, for the timeout message.
    let mut current = url.to_string();
    match tokio::time::timeout_at(deadline, fetch_inner(url, policy, spool_dir, &mut current)).await {
        Ok(result) => result,
        Err(_elapsed) => Err(err::timed_out(&current)),
    }
}

async fn fetch_inner(original: &str, policy: &FetchPolicy, spool_dir: &Path, current: &mut String) -> Result<Fetched, FetchError> {
    let allow = parse_allow_list(&policy.allow_addresses);
    let mut url = parse_http_url(original, original)?;
    let mut redirects: u32 = 0;
    loop {
        let response = fetch_hop(&url, current, policy, &allow).await?;
        let status = response.status();
        if is_redirect(status.as_u16())
            && let Some(location) = response.headers().get(reqwest::header::LOCATION)
        {
            if redirects >= policy.max_redirects {
                return Err(err::too_many_redirects());
            }
            redirects += 1;
            let location = String::from_utf8_lossy(location.as_bytes()).into_owned();
            let next = url.join(location.trim()).map_err(|_| err::invalid_url(&location))?;
            let shown = next.to_string();
            let next = parse_http_url(next.as_str(), &shown)?;
            if !domain_allowed(&host_for_matching(&next), &policy.allowed_domains) {
                return Err(err::bad_domain_on_redirect());
            }
            drop(response);
            *current = shown;
            url = next;
            continue;
        }
        if status.as_u16() >= 400 {
            let reason = response
                .extensions()
                .get::<hyper::ext::ReasonPhrase>()
                .map(|r| String::from_utf8_lossy(r.as_bytes()).into_owned())
                .or_else(|| status.canonical_reason().map(str::to_string))
                .unwrap_or_default();
            return Err(FetchError::BadStatus {
                status: status.as_u16(),
                reason: reason.trim().to_string(),
            });
        }
        return spool_body(response, current, policy, spool_dir).await;
    }
}

/// MediaWiki's `MWHttpRequest::isRedirect` statuses (with a Location header).
fn is_redirect(status: u16) -> bool {
    matches!(status, 300..=303 | 307 | 308)
}

/// One request, to addresses vetted just now; no redirect following.
async fn fetch_hop(url: &Url, shown: &str, policy: &FetchPolicy, allow: &[IpNet]) -> Result<reqwest::Response, FetchError> {
    let addrs = vet_addresses(url, allow).await?;
    connect_guard(&addrs);
    let host = url.host_str().unwrap_or("").to_string();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .dns_resolver(Arc::new(PinnedResolver {
            host: host.clone(),
            addrs: if literal_ip(url).is_some() { Vec::new() } else { addrs.clone() },
        }))
        .connect_timeout(policy.connect_timeout)
        .pool_max_idle_per_host(0)
        .referer(false)
        .user_agent(USER_AGENT)
        .build()
        .map_err(|e| err::curl(error_detail(&e)))?;
    let started = Instant::now();
    client
        .get(url.clone())
        .send()
        .await
        .map_err(|e| map_send_error(&e, url, shown, started))
}

fn map_send_error(e: &reqwest::Error, url: &Url, shown: &str, started: Instant) -> FetchError {
    if e.is_timeout() {
        return err::timed_out(shown);
    }
    if e.is_connect() && chain_has_connect_failure(e) {
        // Worded like curl's message, which is what MediaWiki shows (transcript 94).
        let host = match url.host() {
            Some(Host::Ipv6(v6)) => v6.to_string(),
            _ => url.host_str().unwrap_or("").to_string(),
        };
        return err::curl(format_args!(
            "Failed to connect to {host} port {} after {} ms: Couldn't connect to server",
            url.port_or_known_default().unwrap_or(0),
            started.elapsed().as_millis()
        ));
    }
    err::curl(error_detail(e))
}

/// A TCP-level connect failure (as opposed to, say, a TLS handshake error,
/// which also counts as a "connect" error in reqwest).
fn chain_has_connect_failure(e: &(dyn std::error::Error + 'static)) -> bool {
    use std::io::ErrorKind as K;
    let mut source = e.source();
    while let Some(err) = source {
        if let Some(io) = err.downcast_ref::<std::io::Error>()
            && matches!(
                io.kind(),
                K::ConnectionRefused
                    | K::ConnectionReset
                    | K::ConnectionAborted
                    | K::HostUnreachable
                    | K::NetworkUnreachable
                    | K::NetworkDown
                    | K::AddrNotAvailable
                    | K::PermissionDenied
            )
        {
            return true;
        }
        source = err.source();
    }
    false
}

/// The error's causes, without reqwest's "error sending request for url (…)"
/// wrapper, joined with ": ".
fn error_detail(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut source = e.source();
    while let Some(err) = source {
        let s = err.to_string();
        if !s.is_empty() && !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
        source = err.source();
    }
    if parts.is_empty() { e.to_string() } else { parts.join(": ") }
}

/// Streams the body into a temp file in `spool_dir`, hashing as it goes.
async fn spool_body(mut response: reqwest::Response, shown: &str, policy: &FetchPolicy, spool_dir: &Path) -> Result<Fetched, FetchError> {
    if response.content_length().is_some_and(|len| len > policy.max_bytes) {
        return Err(err::too_large(policy.max_bytes));
    }
    let dir = spool_dir.to_path_buf();
    let named = tokio::task::spawn_blocking(move || tempfile::Builder::new().prefix("urlupload-").tempfile_in(dir))
        .await
        .map_err(|_| err::tmp_create())?
        .map_err(|_| err::tmp_create())?;
    // From here on `path` deletes the file when dropped (any error return,
    // or the whole future being dropped by the total timeout).
    let (file, path) = named.into_parts();
    let mut out = tokio::io::BufWriter::with_capacity(256 * 1024, tokio::fs::File::from_std(file));
    let mut hasher = Sha1::new();
    let mut size: u64 = 0;
    loop {
        let chunk = match response.chunk().await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => break,
            Err(e) if e.is_timeout() => return Err(err::timed_out(shown)),
            Err(e) => return Err(err::curl(error_detail(&e))),
        };
        size += chunk.len() as u64;
        if size > policy.max_bytes {
            return Err(err::too_large(policy.max_bytes));
        }
        hasher.update(&chunk);
        out.write_all(&chunk).await.map_err(|_| err::tmp_write())?;
    }
    drop(response);
    out.flush().await.map_err(|_| err::tmp_write())?;
    let file = out.into_inner();
    file.sync_all().await.map_err(|_| err::tmp_write())?;
    drop(file);
    Ok(Fetched {
        path,
        size,
        sha1: hasher.finalize().into(),
    })
}

// ---------------------------------------------------------------------------
// Tests (loopback only)
// ---------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use std::time::Duration;
    /// MediaWiki's code for an error (the API crate's table says the same; kept short here).
    fn code(e: &FetchError) -> &'static str {
        match e {
            FetchError::InvalidUrl { .. } => "http-invalid-url",
            FetchError::DomainNotAllowed => "copyuploadbaddomain",
            FetchError::RedirectDomainNotAllowed => "upload-copy-upload-invalid-domain",
            FetchError::NonPublicAddress { .. } => "copyuploadbadurl",
            FetchError::BadStatus { .. } => "http-bad-status",
            FetchError::TimedOut { .. } => "http-timed-out",
            FetchError::Transport { .. } => "http-curl-error",
            FetchError::TooManyRedirects => "upload-too-many-redirects",
            FetchError::TooLarge { .. } => "file-too-large",
            FetchError::TmpCreate => "tmp-create-error",
            FetchError::TmpWrite => "tmp-write-error",
        }
    }

    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::AsyncReadExt;
    use tokio::net::{TcpListener, TcpStream};

    fn policy(allow: &[&str]) -> FetchPolicy {
        FetchPolicy {
            allowed_domains: Vec::new(),
            allow_addresses: allow.iter().map(|s| s.to_string()).collect(),
            max_bytes: 1_000_000,
            connect_timeout: Duration::from_secs(2),
            total_timeout: Duration::from_secs(5),
            max_redirects: 5,
        }
    }

    fn loopback_ok() -> FetchPolicy {
        policy(&["127.0.0.0/8", "::1/128"])
    }

    /// What the test server answers for a request path.
    enum Reply {
        Full {
            head: String,
            body: Vec<u8>,
        },
        /// Headers announcing a body, then nothing.
        Stall,
        /// A close-delimited body that never ends.
        Endless,
    }

    fn ok(body: &[u8]) -> Reply {
        Reply::Full {
            head: format!("HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: {}\r\n", body.len()),
            body: body.to_vec(),
        }
    }

    fn redirect(status: u16, location: &str) -> Reply {
        Reply::Full {
            head: format!("HTTP/1.1 {status} Moved\r\nLocation: {location}\r\nContent-Length: 0\r\n"),
            body: Vec::new(),
        }
    }

    struct Server {
        addr: SocketAddr,
        hits: Arc<AtomicUsize>,
    }

    impl Server {
        fn port(&self) -> u16 {
            self.addr.port()
        }
        fn hits(&self) -> usize {
            self.hits.load(Ordering::SeqCst)
        }
    }

    async fn serve<F>(bind: &str, handler: F) -> Server
    where
        F: Fn(&str) -> Reply + Send + Sync + 'static,
    {
        let listener = TcpListener::bind(bind).await.expect("bind");
        let addr = listener.local_addr().unwrap();
        let hits = Arc::new(AtomicUsize::new(0));
        let handler = Arc::new(handler);
        let counter = hits.clone();
        tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                let handler = handler.clone();
                tokio::spawn(async move {
                    let _ = handle(sock, &*handler).await;
                });
            }
        });
        Server { addr, hits }
    }

    async fn handle(mut sock: TcpStream, handler: &(dyn Fn(&str) -> Reply + Send + Sync)) -> std::io::Result<()> {
        let mut buf = Vec::new();
        let mut tmp = [0u8; 1024];
        while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = sock.read(&mut tmp).await?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&tmp[..n]);
        }
        let head = String::from_utf8_lossy(&buf).into_owned();
        let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
        match handler(&path) {
            Reply::Full { head, body } => {
                sock.write_all(format!("{head}Connection: close\r\n\r\n").as_bytes()).await?;
                sock.write_all(&body).await?;
                sock.shutdown().await?;
            }
            Reply::Stall => {
                sock.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nabc").await?;
                tokio::time::sleep(Duration::from_secs(30)).await;
            }
            Reply::Endless => {
                sock.write_all(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n").await?;
                let chunk = vec![0u8; 64 * 1024];
                // Bounded: stops on its own after ~64 MiB even if nobody hangs up.
                for _ in 0..1024 {
                    sock.write_all(&chunk).await?;
                }
            }
        }
        Ok(())
    }

    /// A listener that is never served: after the refused fetch, proves that
    /// nothing ever connected to it (a completed handshake would sit in the backlog).
    async fn assert_never_connected(listener: &TcpListener) {
        let r = tokio::time::timeout(Duration::from_millis(300), listener.accept()).await;
        assert!(r.is_err(), "something connected to {:?}", listener.local_addr());
    }

    fn assert_refused(r: Result<Fetched, FetchError>, ip: &str) {
        let e = r.expect_err("must be refused");
        assert_eq!(code(&e), "copyuploadbadurl", "{e:?}");
        assert_eq!(e, FetchError::NonPublicAddress { address: ip.into() });
    }

    fn spool() -> tempfile::TempDir {
        tempfile::tempdir().unwrap()
    }

    fn dir_is_empty(dir: &Path) -> bool {
        std::fs::read_dir(dir).unwrap().next().is_none()
    }

    fn sha1_of(b: &[u8]) -> [u8; 20] {
        Sha1::digest(b).into()
    }

    // ---- pure checks ----

    #[test]
    fn domain_matching() {
        let allow = vec!["*.example.com".to_string()];
        assert!(domain_allowed("a.example.com", &allow));
        assert!(domain_allowed("A.Example.COM", &allow));
        assert!(!domain_allowed("example.com", &allow));
        assert!(!domain_allowed("a.b.example.com", &allow));
        assert!(!domain_allowed("a.example.org", &allow));
        assert!(domain_allowed("anything.at.all", &[]));
        let exact = vec!["Upload.Wikimedia.org".to_string(), "*.*.example.net".to_string()];
        assert!(domain_allowed("upload.wikimedia.org", &exact));
        assert!(!domain_allowed("x.upload.wikimedia.org", &exact));
        assert!(domain_allowed("a.b.example.net", &exact));
        assert!(!domain_allowed("a.example.net", &exact));
        assert!(domain_allowed("upload.wikimedia.org.", &exact));
        let idn = vec!["bücher.example".to_string()];
        assert!(domain_allowed("xn--bcher-kva.example", &idn));
    }

    #[test]
    fn address_classification() {
        let refused = [
            "0.0.0.0",
            "0.1.2.3",
            "10.0.0.1",
            "100.64.0.1",
            "127.0.0.1",
            "127.255.0.9",
            "169.254.169.254",
            "172.16.0.1",
            "172.31.255.255",
            "192.0.0.8",
            "192.0.2.1",
            "192.168.1.1",
            "198.18.0.1",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.1",
            "239.1.1.1",
            "240.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "64:ff9b::10.0.0.1",
            "64:ff9b::7f00:1",
            "64:ff9b:1::1",
            "2002:7f00:1::1",
            "2002:0a00:0001::1",
            "2001::1",
            "2001:db8::1",
            "3fff::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "fec0::1",
            "ff02::1",
            "100::1",
            "5f00::1",
        ];
        for s in refused {
            assert!(!is_public(s.parse().unwrap()), "{s} must be non-public");
            assert!(!address_allowed(s.parse().unwrap(), &[]), "{s} must be refused");
        }
        let public = [
            "1.1.1.1",
            "8.8.8.8",
            "93.184.216.34",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700::1111",
            "2a00:1450:4001::1",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:0808:0808::1",
        ];
        for s in public {
            assert!(is_public(s.parse().unwrap()), "{s} must be public");
        }
        let allow = parse_allow_list(&["127.0.0.0/8".into(), "10.1.2.3".into(), "bogus".into()]);
        assert_eq!(allow.len(), 2);
        assert!(address_allowed("127.0.0.5".parse().unwrap(), &allow));
        assert!(address_allowed("::ffff:127.0.0.1".parse().unwrap(), &allow));
        assert!(address_allowed("10.1.2.3".parse().unwrap(), &allow));
        assert!(!address_allowed("10.1.2.4".parse().unwrap(), &allow));
        assert!(!address_allowed("::1".parse().unwrap(), &allow));
        assert_eq!(
            validate_allow_addresses(&["bogus".into(), "::1/128".into()]),
            Err(vec!["bogus".to_string()])
        );
    }

    #[test]
    fn precheck_shapes() {
        let p = policy(&[]);
        for bad in [
            "file:///etc/passwd",
            "gopher://x/",
            "ftp://example.com/a.png",
            "not a url",
            "http://",
        ] {
            assert_eq!(precheck(bad, &p), Err(err::invalid_url(bad)), "{bad}");
        }
        assert_eq!(
            precheck("file:///etc/passwd", &p).unwrap_err(),
            err::invalid_url("file:///etc/passwd")
        );
        assert_eq!(
            precheck("http://user:pw@example.com/", &p).unwrap_err(),
            err::invalid_url("http://user:pw@example.com/")
        );
        assert_eq!(
            precheck("http://user@example.com/", &p).unwrap_err(),
            err::invalid_url("http://user@example.com/")
        );
        assert!(precheck("https://example.com/a.png", &p).is_ok());
        let mut d = p.clone();
        d.allowed_domains = vec!["*.example.com".into()];
        assert!(precheck("http://a.example.com/x.png", &d).is_ok());
        assert_eq!(precheck("http://example.com/x.png", &d), Err(err::bad_domain()));
        assert_eq!(
            precheck("http://a.b.example.com/x.png", &d).unwrap_err(),
            FetchError::DomainNotAllowed
        );
        // IP literals, in every spelling the URL parser accepts.
        for (u, ip) in [
            ("http://127.0.0.1/", "127.0.0.1"),
            ("http://2130706433/", "127.0.0.1"),
            ("http://0x7f.1/", "127.0.0.1"),
            ("http://[::ffff:127.0.0.1]/", "::ffff:127.0.0.1"),
            ("http://169.254.169.254/latest/meta-data/", "169.254.169.254"),
            ("http://[fd00::1]/", "fd00::1"),
        ] {
            assert_eq!(precheck(u, &p), Err(err::refused_address(ip.parse().unwrap())), "{u}");
        }
    }

    // ---- refusals: nothing may be contacted ----

    #[tokio::test]
    async fn refuses_non_public_targets_without_connecting() {
        let p = policy(&[]);
        let dir = spool();
        let v4 = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = v4.local_addr().unwrap().port();
        assert_refused(fetch(&format!("http://127.0.0.1:{port}/"), &p, dir.path()).await, "127.0.0.1");
        // localhost may resolve to 127.0.0.1 and/or ::1; every answer is refused.
        let e = fetch(&format!("http://localhost:{port}/"), &p, dir.path()).await.unwrap_err();
        assert_eq!(code(&e), "copyuploadbadurl", "{e:?}");
        assert!(
            matches!(&e, FetchError::NonPublicAddress { address } if address == "127.0.0.1" || address == "::1"),
            "{e:?}"
        );
        assert_refused(fetch(&format!("http://2130706433:{port}/"), &p, dir.path()).await, "127.0.0.1");
        assert_refused(
            fetch(&format!("http://[::ffff:127.0.0.1]:{port}/"), &p, dir.path()).await,
            "::ffff:127.0.0.1",
        );
        assert_never_connected(&v4).await;
        if let Ok(v6) = TcpListener::bind("[::1]:0").await {
            let port6 = v6.local_addr().unwrap().port();
            assert_refused(fetch(&format!("http://[::1]:{port6}/"), &p, dir.path()).await, "::1");
            assert_never_connected(&v6).await;
        }
        // Not loopback: the checks run before any socket exists, and the test
        // build's connect_guard would panic rather than connect there.
        assert_refused(
            fetch("http://169.254.169.254/latest/meta-data/", &p, dir.path()).await,
            "169.254.169.254",
        );
        assert_refused(fetch("http://10.0.0.1/", &p, dir.path()).await, "10.0.0.1");
        assert_refused(fetch("http://[::ffff:10.0.0.1]/", &p, dir.path()).await, "::ffff:10.0.0.1");
        for bad in ["file:///etc/passwd", "gopher://x/"] {
            let e = fetch(bad, &p, dir.path()).await.unwrap_err();
            assert_eq!(e, err::invalid_url(bad));
        }
        assert!(dir_is_empty(dir.path()));
    }

    #[tokio::test]
    async fn redirect_to_refused_address_is_not_followed() {
        let p = policy(&["127.0.0.1/32"]);
        let dir = spool();
        // 127.0.0.2 is loopback too, but outside the allowed /32.
        let second = TcpListener::bind("127.0.0.2:0").await.unwrap();
        let target = format!("http://127.0.0.2:{}/x.png", second.local_addr().unwrap().port());
        let first = serve("127.0.0.1:0", move |_| redirect(302, &target)).await;
        let r = fetch(&format!("http://127.0.0.1:{}/start", first.port()), &p, dir.path()).await;
        assert_refused(r, "127.0.0.2");
        assert_eq!(first.hits(), 1);
        assert_never_connected(&second).await;

        if let Ok(v6) = TcpListener::bind("[::1]:0").await {
            let target = format!("http://[::1]:{}/x.png", v6.local_addr().unwrap().port());
            let first = serve("127.0.0.1:0", move |_| redirect(301, &target)).await;
            let r = fetch(&format!("http://127.0.0.1:{}/", first.port()), &p, dir.path()).await;
            assert_refused(r, "::1");
            assert_eq!(first.hits(), 1);
            assert_never_connected(&v6).await;
        }
        assert!(dir_is_empty(dir.path()));
    }

    #[tokio::test]
    async fn redirect_to_domain_outside_allow_list_is_not_followed() {
        let mut p = loopback_ok();
        p.allowed_domains = vec!["127.0.0.1".into()];
        let dir = spool();
        let second = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let target = format!("http://localhost:{}/x.png", second.local_addr().unwrap().port());
        let first = serve("127.0.0.1:0", move |_| redirect(302, &target)).await;
        let e = fetch(&format!("http://127.0.0.1:{}/", first.port()), &p, dir.path())
            .await
            .unwrap_err();
        assert_eq!(code(&e), "upload-copy-upload-invalid-domain");
        assert_never_connected(&second).await;
        // And a disallowed initial host is refused up front.
        let e = fetch(&format!("http://localhost:{}/", first.port()), &p, dir.path())
            .await
            .unwrap_err();
        assert_eq!(e, err::bad_domain());
        assert_eq!(first.hits(), 1);
    }

    #[tokio::test]
    async fn redirect_to_non_http_scheme_is_invalid() {
        let dir = spool();
        let s = serve("127.0.0.1:0", |_| redirect(302, "file:///etc/passwd")).await;
        let e = fetch(&format!("http://127.0.0.1:{}/", s.port()), &loopback_ok(), dir.path())
            .await
            .unwrap_err();
        assert_eq!(e, err::invalid_url("file:///etc/passwd"));
    }

    // ---- allowed loopback: the fetch itself ----

    #[tokio::test]
    async fn fetches_body_with_size_and_sha1() {
        let body: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let served = body.clone();
        let s = serve("127.0.0.1:0", move |path| match path {
            "/remote.png" => ok(&served),
            _ => Reply::Full {
                head: "HTTP/1.1 404 File not found\r\n".into(),
                body: Vec::new(),
            },
        })
        .await;
        let dir = spool();
        let f = fetch(&format!("http://127.0.0.1:{}/remote.png", s.port()), &loopback_ok(), dir.path())
            .await
            .expect("fetch");
        assert_eq!(f.size, body.len() as u64);
        assert_eq!(f.sha1, sha1_of(&body));
        assert_eq!(hex::encode(f.sha1), hex::encode(sha1_of(&body)));
        assert_eq!(std::fs::read(&f.path).unwrap(), body);
        assert_eq!(f.path.parent().unwrap(), dir.path());
        drop(f);
        assert!(dir_is_empty(dir.path()));
    }

    #[tokio::test]
    async fn fetches_over_ipv6_loopback_and_localhost() {
        let dir = spool();
        let s = serve("127.0.0.1:0", |_| ok(b"hello")).await;
        let f = fetch(&format!("http://localhost:{}/a", s.port()), &loopback_ok(), dir.path())
            .await
            .unwrap();
        assert_eq!(std::fs::read(&f.path).unwrap(), b"hello");
        if TcpListener::bind("[::1]:0").await.is_ok() {
            let s6 = serve("[::1]:0", |_| ok(b"six")).await;
            let f = fetch(&format!("http://[::1]:{}/a", s6.port()), &loopback_ok(), dir.path())
                .await
                .unwrap();
            assert_eq!(std::fs::read(&f.path).unwrap(), b"six");
        }
    }

    #[tokio::test]
    async fn exact_max_size_passes_one_more_fails() {
        let dir = spool();
        let s = serve("127.0.0.1:0", |path| match path {
            "/exact" => ok(&[b'x'; 1000]),
            _ => ok(&[b'x'; 1001]),
        })
        .await;
        let mut p = loopback_ok();
        p.max_bytes = 1000;
        let f = fetch(&format!("http://127.0.0.1:{}/exact", s.port()), &p, dir.path())
            .await
            .unwrap();
        assert_eq!(f.size, 1000);
        drop(f);
        let e = fetch(&format!("http://127.0.0.1:{}/over", s.port()), &p, dir.path())
            .await
            .unwrap_err();
        assert_eq!(code(&e), "file-too-large");
        assert_eq!(e, FetchError::TooLarge { max: 1000 });
        assert!(dir_is_empty(dir.path()));
    }

    #[tokio::test]
    async fn bad_status_keeps_reason_phrase() {
        let dir = spool();
        let s = serve("127.0.0.1:0", |path| match path {
            "/missing.png" => Reply::Full {
                head: "HTTP/1.1 404 File not found\r\n".into(),
                body: b"nope".to_vec(),
            },
            "/canonical" => Reply::Full {
                head: "HTTP/1.1 403 Forbidden\r\n".into(),
                body: Vec::new(),
            },
            _ => Reply::Full {
                head: "HTTP/1.1 500 \r\n".into(),
                body: Vec::new(),
            },
        })
        .await;
        let p = loopback_ok();
        let e = fetch(&format!("http://127.0.0.1:{}/missing.png", s.port()), &p, dir.path())
            .await
            .unwrap_err();
        assert_eq!(
            e,
            FetchError::BadStatus {
                status: 404,
                reason: "File not found".into()
            }
        );
        let e = fetch(&format!("http://127.0.0.1:{}/canonical", s.port()), &p, dir.path())
            .await
            .unwrap_err();
        assert_eq!(
            e,
            FetchError::BadStatus {
                status: 403,
                reason: "Forbidden".into()
            }
        );
        let e = fetch(&format!("http://127.0.0.1:{}/empty-reason", s.port()), &p, dir.path())
            .await
            .unwrap_err();
        assert_eq!(code(&e), "http-bad-status");
        assert!(matches!(e, FetchError::BadStatus { status: 500, .. }), "{e:?}");
        assert!(dir_is_empty(dir.path()));
    }

    #[tokio::test]
    async fn stalled_body_times_out() {
        let dir = spool();
        let s = serve("127.0.0.1:0", |_| Reply::Stall).await;
        let mut p = loopback_ok();
        p.total_timeout = Duration::from_millis(800);
        let url = format!("http://127.0.0.1:{}/slow.png", s.port());
        let started = Instant::now();
        let e = fetch(&url, &p, dir.path()).await.unwrap_err();
        let took = started.elapsed();
        assert_eq!(e, err::timed_out(&url));
        assert!(took >= Duration::from_millis(700) && took < Duration::from_secs(3), "{took:?}");
        assert!(dir_is_empty(dir.path()));
    }

    #[tokio::test]
    async fn endless_body_is_cut_off() {
        let dir = spool();
        let s = serve("127.0.0.1:0", |path| match path {
            "/announced" => Reply::Full {
                head: "HTTP/1.1 200 OK\r\nContent-Length: 1000000000\r\n".into(),
                body: Vec::new(),
            },
            _ => Reply::Endless,
        })
        .await;
        let mut p = loopback_ok();
        p.max_bytes = 200_000;
        let e = fetch(&format!("http://127.0.0.1:{}/endless", s.port()), &p, dir.path())
            .await
            .unwrap_err();
        assert_eq!(code(&e), "file-too-large");
        assert!(dir_is_empty(dir.path()), "temp file left behind");
        let e = fetch(&format!("http://127.0.0.1:{}/announced", s.port()), &p, dir.path())
            .await
            .unwrap_err();
        assert_eq!(code(&e), "file-too-large");
        assert!(dir_is_empty(dir.path()));
    }

    #[tokio::test]
    async fn redirects_are_followed_and_counted() {
        let dir = spool();
        // /r/N redirects (relative Location) to /r/N-1; /r/0 is the file. /loop loops.
        let s = serve("127.0.0.1:0", |path| {
            if path == "/loop" {
                return redirect(302, "/loop");
            }
            match path.strip_prefix("/r/").and_then(|n| n.parse::<u32>().ok()) {
                Some(0) => ok(b"the file"),
                Some(n) if n % 2 == 0 => redirect(307, &format!("../r/{}", n - 1)),
                Some(n) => redirect(301, &format!("/r/{}", n - 1)),
                None => Reply::Full {
                    head: "HTTP/1.1 404 Not Found\r\n".into(),
                    body: Vec::new(),
                },
            }
        })
        .await;
        let mut p = loopback_ok();
        p.max_redirects = 3;
        let f = fetch(&format!("http://127.0.0.1:{}/r/3", s.port()), &p, dir.path()).await.unwrap();
        assert_eq!(std::fs::read(&f.path).unwrap(), b"the file");
        let hits_before = s.hits();
        let e = fetch(&format!("http://127.0.0.1:{}/r/4", s.port()), &p, dir.path())
            .await
            .unwrap_err();
        assert_eq!(e, FetchError::TooManyRedirects);
        assert_eq!(s.hits() - hits_before, 4, "max_redirects + 1 requests, then stop");
        p.max_redirects = 5;
        let e = fetch(&format!("http://127.0.0.1:{}/loop", s.port()), &p, dir.path())
            .await
            .unwrap_err();
        assert_eq!(code(&e), "upload-too-many-redirects");
    }

    #[tokio::test]
    async fn connection_refused_is_curl_error() {
        let dir = spool();
        let port = {
            let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
            l.local_addr().unwrap().port()
        };
        let e = fetch(&format!("http://127.0.0.1:{port}/x.png"), &loopback_ok(), dir.path())
            .await
            .unwrap_err();
        assert_eq!(code(&e), "http-curl-error");
        let prefix = format!("Failed to connect to 127.0.0.1 port {port} after ");
        assert!(
            matches!(&e, FetchError::Transport { detail } if detail.starts_with(&prefix) && detail.ends_with(" ms: Couldn't connect to server")),
            "{e:?}"
        );
    }

    #[tokio::test]
    async fn garbage_response_is_curl_error() {
        let dir = spool();
        let s = serve("127.0.0.1:0", |_| Reply::Full {
            head: "NOT HTTP AT ALL\r\n".into(),
            body: Vec::new(),
        })
        .await;
        let e = fetch(&format!("http://127.0.0.1:{}/", s.port()), &loopback_ok(), dir.path())
            .await
            .unwrap_err();
        assert_eq!(code(&e), "http-curl-error", "{e:?}");
    }

    #[tokio::test]
    async fn https_is_attempted_with_tls() {
        // A plain-HTTP server spoken to over https: the TLS handshake fails.
        let dir = spool();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(async move {
            let (mut sock, _) = listener.accept().await.unwrap();
            let _ = sock.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx").await;
            let _ = sock.shutdown().await;
        });
        let e = fetch(&format!("https://127.0.0.1:{port}/"), &loopback_ok(), dir.path())
            .await
            .unwrap_err();
        assert_eq!(code(&e), "http-curl-error", "{e:?}");
        assert!(
            matches!(&e, FetchError::Transport { detail } if !detail.contains("Couldn't connect to server")),
            "{e:?}"
        );
        server.await.unwrap();
    }

    #[tokio::test]
    async fn missing_spool_dir_is_tmp_create_error() {
        let s = serve("127.0.0.1:0", |_| ok(b"x")).await;
        let dir = spool();
        let gone = dir.path().join("does-not-exist");
        let e = fetch(&format!("http://127.0.0.1:{}/", s.port()), &loopback_ok(), &gone)
            .await
            .unwrap_err();
        assert_eq!(code(&e), "tmp-create-error");
    }
}
