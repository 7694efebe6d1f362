//! The Action API transport: one [`Client`] per wiki session, with cookies, `maxlag`, a proper
//! `User-Agent`, CSRF token caching and the retry rules bots are expected to follow.
//!
//! Every request goes through [`Client::call`], which sends `format=json&formatversion=2`, and:
//! - on a network error, an HTTP 5xx or 429: retries with exponential backoff and jitter;
//! - on `maxlag`, `ratelimited` or `readonly`: waits (`Retry-After` when given) and retries;
//! - on `badtoken`: fetches a new CSRF token once and retries;
//! - on `assertuserfailed`/`assertbotfailed` (the session expired): logs in again once and retries.

use crate::error::{ApiError, Error, Result};
use crate::upload::UploadSource;
use rand::Rng;
use reqwest::header::RETRY_AFTER;
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How often and how long to retry.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Retries after network errors, HTTP 5xx/429 and internal API errors.
    pub max_retries: u32,
    /// First backoff delay; doubled each retry, with jitter, up to `max_delay`.
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// How many times to wait out `maxlag`, `ratelimited` or `readonly` for one request.
    pub max_waits: u32,
    /// Upper bound of one such wait, whatever `Retry-After` says.
    pub max_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 6,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_waits: 20,
            max_wait: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// Exponential backoff with "equal jitter": half fixed, half random.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exp = self.base_delay.saturating_mul(1u32 << attempt.min(16));
        let cap = exp.min(self.max_delay);
        let half = cap / 2;
        half + half.mul_f64(rand::rng().random::<f64>())
    }
}

/// Something the client did on its own that a front-end may want to show.
#[derive(Debug, Clone)]
pub enum ClientEvent {
    /// A request is retried after `delay` because of `reason`.
    Retry { reason: String, delay: Duration, attempt: u32 },
    /// The session expired and the client logged in again.
    Relogin,
    /// A top-level API warning (`warnings.<module>`), e.g. a clamped parameter.
    ApiWarning { module: String, text: String },
}

type EventHook = Arc<dyn Fn(&ClientEvent) + Send + Sync>;

/// Builds a [`Client`].
pub struct ClientBuilder {
    api: String,
    user_agent: Option<String>,
    contact: Option<String>,
    maxlag: Option<u32>,
    retry: RetryPolicy,
    read_timeout: Duration,
    pool_size: usize,
    hook: Option<EventHook>,
}

impl ClientBuilder {
    /// The full `User-Agent` header; by default `mwupload-client/<version> (<contact>) reqwest/0.12`.
    pub fn user_agent(mut self, ua: impl Into<String>) -> Self {
        self.user_agent = Some(ua.into());
        self
    }
    /// Contact information (e-mail, user page or URL) for the default `User-Agent`, as
    /// Wikimedia's User-Agent policy asks.
    pub fn contact(mut self, contact: impl Into<String>) -> Self {
        self.contact = Some(contact.into());
        self
    }
    /// `maxlag` sent with every request (default 5, as bots should); `None` sends none.
    pub fn maxlag(mut self, maxlag: Option<u32>) -> Self {
        self.maxlag = maxlag;
        self
    }
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }
    /// How long to wait for a byte of the answer (default 300 s: assembling a large chunked
    /// upload synchronously can take minutes on MediaWiki).
    pub fn read_timeout(mut self, t: Duration) -> Self {
        self.read_timeout = t;
        self
    }
    /// Idle connections kept per host (set it to the concurrency you use).
    pub fn pool_size(mut self, n: usize) -> Self {
        self.pool_size = n;
        self
    }
    /// Called for retries, re-logins and API warnings.
    pub fn on_event(mut self, hook: impl Fn(&ClientEvent) + Send + Sync + 'static) -> Self {
        self.hook = Some(Arc::new(hook));
        self
    }

    pub fn build(self) -> Result<Client> {
        let version = env!("CARGO_PKG_VERSION");
        let ua = self.user_agent.unwrap_or_else(|| {
            let contact = self.contact.as_deref().unwrap_or("no contact given");
            format!("mwupload-client/{version} ({contact}) reqwest/0.12")
        });
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .user_agent(ua)
            .connect_timeout(Duration::from_secs(30))
            .read_timeout(self.read_timeout)
            .pool_max_idle_per_host(self.pool_size)
            .tcp_nodelay(true)
            .build()?;
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                api: self.api,
                maxlag: self.maxlag,
                retry: self.retry,
                hook: self.hook,
                csrf: tokio::sync::Mutex::new(None),
                credentials: Mutex::new(None),
                relogin_lock: tokio::sync::Mutex::new(0),
            }),
        })
    }
}

#[derive(Clone)]
enum LoginKind {
    BotPassword,
    ClientLogin,
}

struct Inner {
    http: reqwest::Client,
    api: String,
    maxlag: Option<u32>,
    retry: RetryPolicy,
    hook: Option<EventHook>,
    csrf: tokio::sync::Mutex<Option<String>>,
    credentials: Mutex<Option<(LoginKind, String, String)>>,
    /// Counts logins, so concurrent requests that hit an expired session log in only once.
    relogin_lock: tokio::sync::Mutex<u64>,
}

/// A session with one wiki's `api.php`. Cheap to clone; clones share cookies, token and
/// connection pool, so one client serves many concurrent uploads.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

/// Who we are after logging in.
#[derive(Debug, Clone, PartialEq)]
pub struct LoginInfo {
    pub username: String,
    pub userid: Option<u64>,
}

/// The multipart file part of a request: `len` bytes of `source` from `offset`.
pub(crate) struct FilePart {
    pub name: &'static str,
    pub source: UploadSource,
    pub offset: u64,
    pub len: u64,
    pub progress: Option<Arc<dyn Fn(u64) + Send + Sync>>,
}

/// One Action API request. Parameters are sent in this order; the token goes last, just
/// before the file part, so servers that stream the part see every parameter first.
pub(crate) struct Call {
    pub params: Vec<(&'static str, String)>,
    pub post: bool,
    pub token: bool,
    pub file: Option<FilePart>,
}

impl Call {
    pub fn get(params: Vec<(&'static str, String)>) -> Call {
        Call {
            params,
            post: false,
            token: false,
            file: None,
        }
    }
    pub fn post(params: Vec<(&'static str, String)>) -> Call {
        Call {
            params,
            post: true,
            token: false,
            file: None,
        }
    }
    pub fn write(params: Vec<(&'static str, String)>) -> Call {
        Call {
            params,
            post: true,
            token: true,
            file: None,
        }
    }
}

/// What one attempt produced.
enum Attempt {
    Done(Value),
    /// Transient: retry after a backoff.
    Transient(String),
    Failed(Error),
}

impl Client {
    /// A client for `api` (the full URL of `api.php`, e.g. `https://commons.wikimedia.org/w/api.php`).
    pub fn builder(api: impl Into<String>) -> ClientBuilder {
        ClientBuilder {
            api: api.into(),
            user_agent: None,
            contact: None,
            maxlag: Some(5),
            retry: RetryPolicy::default(),
            read_timeout: Duration::from_secs(300),
            pool_size: 8,
            hook: None,
        }
    }

    /// The `api.php` URL.
    pub fn api_url(&self) -> &str {
        &self.inner.api
    }

    pub(crate) fn emit(&self, e: ClientEvent) {
        if let Some(h) = &self.inner.hook {
            h(&e);
        }
    }

    /// A read request (GET) with the given parameters; `action` must be among them.
    pub async fn get(&self, params: &[(&'static str, &str)]) -> Result<Value> {
        self.call(Call::get(params.iter().map(|(k, v)| (*k, v.to_string())).collect()))
            .await
    }

    /// A write request (POST, with the CSRF token added).
    pub async fn post_with_token(&self, params: &[(&'static str, &str)]) -> Result<Value> {
        self.call(Call::write(params.iter().map(|(k, v)| (*k, v.to_string())).collect()))
            .await
    }

    /// Sends one request, retrying as the module documentation says. API errors that retrying
    /// would not fix come back as [`Error::Api`].
    pub(crate) async fn call(&self, call: Call) -> Result<Value> {
        let policy = &self.inner.retry;
        let (mut retries, mut waits) = (0u32, 0u32);
        let (mut token_refreshed, mut relogged) = (false, false);
        loop {
            let token = if call.token {
                Some(Box::pin(self.csrf_token()).await?)
            } else {
                None
            };
            let (attempt, retry_after) = self.attempt(&call, token.as_deref()).await;
            match attempt {
                Attempt::Done(v) => {
                    let Some(e) = ApiError::from_response(&v) else {
                        self.report_warnings(&v);
                        return Ok(v);
                    };
                    match e.code.as_str() {
                        "maxlag" | "ratelimited" | "readonly" if waits < policy.max_waits => {
                            waits += 1;
                            let delay = retry_after
                                .unwrap_or_else(|| {
                                    if e.code == "maxlag" {
                                        Duration::from_secs(5)
                                    } else {
                                        policy.backoff(waits).max(Duration::from_secs(2))
                                    }
                                })
                                .min(policy.max_wait);
                            self.emit(ClientEvent::Retry {
                                reason: format!("{}: {}", e.code, e.info),
                                delay,
                                attempt: waits,
                            });
                            tokio::time::sleep(delay).await;
                        }
                        "badtoken" if call.token && !token_refreshed => {
                            token_refreshed = true;
                            *self.inner.csrf.lock().await = None;
                        }
                        "assertuserfailed" | "assertbotfailed" if !relogged && self.has_credentials() => {
                            relogged = true;
                            Box::pin(self.relogin()).await?;
                            self.emit(ClientEvent::Relogin);
                        }
                        c if c.starts_with("internal_api_error") && retries < policy.max_retries => {
                            retries += 1;
                            let delay = policy.backoff(retries);
                            self.emit(ClientEvent::Retry {
                                reason: e.to_string(),
                                delay,
                                attempt: retries,
                            });
                            tokio::time::sleep(delay).await;
                        }
                        _ => return Err(Error::Api(e)),
                    }
                }
                Attempt::Transient(reason) if retries < policy.max_retries => {
                    retries += 1;
                    let delay = retry_after.unwrap_or_else(|| policy.backoff(retries)).min(policy.max_wait);
                    self.emit(ClientEvent::Retry {
                        reason,
                        delay,
                        attempt: retries,
                    });
                    tokio::time::sleep(delay).await;
                }
                Attempt::Transient(reason) => return Err(Error::Protocol(format!("giving up after {retries} retries: {reason}"))),
                Attempt::Failed(e) => return Err(e),
            }
        }
    }

    async fn attempt(&self, call: &Call, token: Option<&str>) -> (Attempt, Option<Duration>) {
        let mut params: Vec<(&str, String)> = Vec::with_capacity(call.params.len() + 5);
        params.extend(call.params.iter().map(|(k, v)| (*k, v.clone())));
        params.push(("format", "json".into()));
        params.push(("formatversion", "2".into()));
        if let Some(m) = self.inner.maxlag {
            params.push(("maxlag", m.to_string()));
        }
        if call.token && self.has_credentials() {
            params.push(("assert", "user".into()));
        }
        if let Some(t) = token {
            params.push(("token", t.to_string()));
        }
        let http = &self.inner.http;
        let req = if !call.post {
            http.get(&self.inner.api).query(&params)
        } else if let Some(f) = &call.file {
            let mut form = reqwest::multipart::Form::new();
            for (k, v) in params {
                form = form.text(k, v);
            }
            let part = match f.source.part(f.offset, f.len, f.progress.clone()) {
                Ok(p) => p,
                Err(e) => return (Attempt::Failed(e), None),
            };
            http.post(&self.inner.api).multipart(form.part(f.name, part))
        } else {
            http.post(&self.inner.api).form(&params)
        };
        let resp = match req.send().await {
            Ok(r) => r,
            Err(e) => return (Attempt::Transient(describe(&e)), None),
        };
        let retry_after = resp
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|s| s.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let status = resp.status();
        if status.is_server_error() || status.as_u16() == 429 {
            return (Attempt::Transient(format!("HTTP {status}")), retry_after);
        }
        if status != reqwest::StatusCode::OK {
            return (
                Attempt::Failed(Error::Status {
                    status: status.as_u16(),
                    url: self.inner.api.clone(),
                }),
                None,
            );
        }
        let body = match resp.bytes().await {
            Ok(b) => b,
            Err(e) => return (Attempt::Transient(describe(&e)), None),
        };
        match serde_json::from_slice::<Value>(&body) {
            Ok(v) => (Attempt::Done(v), retry_after),
            Err(_) => {
                let head = String::from_utf8_lossy(&body[..body.len().min(200)]).to_string();
                (
                    Attempt::Failed(Error::Protocol(format!("not JSON (is {} an api.php URL?): {head}", self.inner.api))),
                    None,
                )
            }
        }
    }

    fn report_warnings(&self, v: &Value) {
        if self.inner.hook.is_none() {
            return;
        }
        if let Some(w) = v.get("warnings").and_then(Value::as_object) {
            for (module, body) in w {
                let text = body
                    .get("warnings")
                    .or_else(|| body.get("*"))
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .unwrap_or_else(|| body.to_string());
                self.emit(ClientEvent::ApiWarning {
                    module: module.clone(),
                    text,
                });
            }
        }
    }

    // ------------------------------------------------------------------ tokens and login

    /// The CSRF token of this session (cached until `badtoken` or a new login).
    pub async fn csrf_token(&self) -> Result<String> {
        let mut guard = self.inner.csrf.lock().await;
        if let Some(t) = guard.as_ref() {
            return Ok(t.clone());
        }
        let v = self
            .call(Call::get(vec![("action", "query".into()), ("meta", "tokens".into())]))
            .await?;
        let t = v["query"]["tokens"]["csrftoken"]
            .as_str()
            .ok_or_else(|| Error::Protocol(format!("no csrftoken in {v}")))?
            .to_string();
        *guard = Some(t.clone());
        Ok(t)
    }

    async fn login_token(&self) -> Result<String> {
        let v = self
            .call(Call::get(vec![
                ("action", "query".into()),
                ("meta", "tokens".into()),
                ("type", "login".into()),
            ]))
            .await?;
        Ok(v["query"]["tokens"]["logintoken"]
            .as_str()
            .ok_or_else(|| Error::Protocol(format!("no logintoken in {v}")))?
            .to_string())
    }

    /// Logs in the way pywikibot does: a name with `@` (`User@bot`) is a bot password, used with
    /// `action=login`; any other name is a main account, used with `action=clientlogin`.
    pub async fn login(&self, user: &str, password: &str) -> Result<LoginInfo> {
        if user.contains('@') {
            self.login_bot_password(user, password).await
        } else {
            self.client_login(user, password).await
        }
    }

    /// `action=login` with a login token from `meta=tokens&type=login` (bot passwords).
    pub async fn login_bot_password(&self, user: &str, password: &str) -> Result<LoginInfo> {
        let info = self.do_login_bot(user, password).await?;
        self.remember(LoginKind::BotPassword, user, password).await;
        Ok(info)
    }

    async fn do_login_bot(&self, user: &str, password: &str) -> Result<LoginInfo> {
        let mut token = self.login_token().await?;
        for _ in 0..2 {
            let v = self
                .call(Call::post(vec![
                    ("action", "login".into()),
                    ("lgname", user.into()),
                    ("lgpassword", password.into()),
                    ("lgtoken", token.clone()),
                ]))
                .await?;
            let l = &v["login"];
            match l["result"].as_str() {
                Some("Success") => {
                    return Ok(LoginInfo {
                        username: l["lgusername"].as_str().unwrap_or(user).to_string(),
                        userid: l["lguserid"].as_u64(),
                    });
                }
                // Very old wikis answer the first attempt with a token to use.
                Some("NeedToken") if l["token"].is_string() => token = l["token"].as_str().unwrap_or_default().to_string(),
                other => {
                    return Err(Error::Login {
                        result: other.unwrap_or("unknown").to_string(),
                        reason: reason_text(&l["reason"]),
                    });
                }
            }
        }
        Err(Error::Login {
            result: "NeedToken".into(),
            reason: "the wiki kept asking for a login token".into(),
        })
    }

    /// `action=clientlogin` (main accounts), answering `PASS` or `FAIL`; other states
    /// (`UI` for two-factor authentication, `REDIRECT`) are reported as failures.
    pub async fn client_login(&self, user: &str, password: &str) -> Result<LoginInfo> {
        let info = self.do_client_login(user, password).await?;
        self.remember(LoginKind::ClientLogin, user, password).await;
        Ok(info)
    }

    async fn do_client_login(&self, user: &str, password: &str) -> Result<LoginInfo> {
        let token = self.login_token().await?;
        let v = self
            .call(Call::post(vec![
                ("action", "clientlogin".into()),
                ("username", user.into()),
                ("password", password.into()),
                ("loginreturnurl", self.inner.api.clone()),
                ("logintoken", token),
            ]))
            .await?;
        let c = &v["clientlogin"];
        match c["status"].as_str() {
            Some("PASS") => Ok(LoginInfo {
                username: c["username"].as_str().unwrap_or(user).to_string(),
                userid: None,
            }),
            other => Err(Error::Login {
                result: other.unwrap_or("unknown").to_string(),
                reason: c["message"]
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("{}", c["messagecode"])),
            }),
        }
    }

    async fn remember(&self, kind: LoginKind, user: &str, password: &str) {
        *self.inner.credentials.lock().unwrap_or_else(|e| e.into_inner()) = Some((kind, user.into(), password.into()));
        *self.inner.csrf.lock().await = None;
        *self.inner.relogin_lock.lock().await += 1;
    }

    fn has_credentials(&self) -> bool {
        self.inner.credentials.lock().map(|c| c.is_some()).unwrap_or(false)
    }

    /// Logs in again with the remembered credentials (once for all concurrent callers).
    async fn relogin(&self) -> Result<()> {
        let seen = *self.inner.relogin_lock.lock().await;
        let mut guard = self.inner.relogin_lock.lock().await;
        if *guard != seen {
            return Ok(()); // someone else logged in meanwhile
        }
        let creds = self.inner.credentials.lock().ok().and_then(|c| c.clone());
        if let Some((kind, user, pass)) = creds {
            match kind {
                LoginKind::BotPassword => self.do_login_bot(&user, &pass).await?,
                LoginKind::ClientLogin => self.do_client_login(&user, &pass).await?,
            };
            *self.inner.csrf.lock().await = None;
            *guard += 1;
        }
        Ok(())
    }
}

/// A login `reason`: a string in errorformat bc, an object elsewhere.
fn reason_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "no reason given".into(),
        Value::Object(o) => o
            .get("text")
            .or_else(|| o.get("*"))
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| v.to_string()),
        other => other.to_string(),
    }
}

/// A network error with its cause chain (reqwest's top-level message alone says little).
fn describe(e: &reqwest::Error) -> String {
    let mut s = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(c) = src {
        s.push_str(": ");
        s.push_str(&c.to_string());
        src = c.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy::default();
        for attempt in 0..30 {
            let d = p.backoff(attempt);
            let cap = p.base_delay.saturating_mul(1 << attempt.min(16)).min(p.max_delay);
            assert!(d >= cap / 2 && d <= cap, "attempt {attempt}: {d:?} not in [{:?}, {cap:?}]", cap / 2);
        }
    }

    /// A scripted HTTP server: answers the n-th request with `script[n]` (status, headers, body)
    /// and records each request's text.
    async fn scripted(script: Vec<(u16, &'static str, &'static str)>) -> (String, Arc<Mutex<Vec<String>>>) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/w/api.php", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s2 = seen.clone();
        tokio::spawn(async move {
            for (status, headers, body) in script {
                let (mut sock, _) = listener.accept().await.unwrap();
                let mut req = Vec::new();
                let mut buf = [0u8; 4096];
                loop {
                    let n = sock.read(&mut buf).await.unwrap();
                    req.extend_from_slice(&buf[..n]);
                    let text = String::from_utf8_lossy(&req).to_string();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let len = text
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase()
                                    .strip_prefix("content-length:")
                                    .map(|v| v.trim().parse::<usize>().unwrap())
                            })
                            .unwrap_or(0);
                        if req.len() >= end + 4 + len || n == 0 {
                            break;
                        }
                    }
                }
                s2.lock().unwrap().push(String::from_utf8_lossy(&req).to_string());
                let resp = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n{headers}\r\n{body}",
                    body.len()
                );
                sock.write_all(resp.as_bytes()).await.unwrap();
            }
        });
        (url, seen)
    }

    #[tokio::test]
    async fn waits_out_maxlag_and_5xx_and_refetches_a_bad_token() {
        let (url, seen) = scripted(vec![
            (200, "", r#"{"query":{"tokens":{"csrftoken":"old+\\"}}}"#),
            (
                200,
                "retry-after: 0\r\n",
                r#"{"error":{"code":"maxlag","info":"Waiting for a database server: 7 seconds lagged."}}"#,
            ),
            (503, "", "busy"),
            (200, "", r#"{"error":{"code":"badtoken","info":"Invalid CSRF token."}}"#),
            (200, "", r#"{"query":{"tokens":{"csrftoken":"new+\\"}}}"#),
            (200, "", r#"{"edit":{"result":"Success"}}"#),
        ])
        .await;
        let retries = Arc::new(Mutex::new(Vec::new()));
        let r2 = retries.clone();
        let c = Client::builder(url)
            .retry(RetryPolicy {
                base_delay: Duration::from_millis(1),
                ..RetryPolicy::default()
            })
            .on_event(move |e| {
                if let ClientEvent::Retry { reason, .. } = e {
                    r2.lock().unwrap().push(reason.clone());
                }
            })
            .build()
            .unwrap();
        let v = c.post_with_token(&[("action", "edit"), ("title", "X")]).await.unwrap();
        assert_eq!(v["edit"]["result"], "Success");
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 6);
        assert!(
            seen.iter().all(|r| r.contains("mwupload-client/") && r.contains("maxlag=5")),
            "User-Agent and maxlag on every request"
        );
        assert!(
            seen[1].contains("token=old%2B%5C") && seen[5].contains("token=new%2B%5C"),
            "{}",
            seen[5]
        );
        let retries = retries.lock().unwrap();
        assert!(retries[0].starts_with("maxlag") && retries[1].contains("503"), "{retries:?}");
    }

    #[tokio::test]
    async fn gives_up_on_errors_retrying_cannot_fix() {
        let (url, seen) = scripted(vec![
            (200, "", r#"{"query":{"tokens":{"csrftoken":"t+\\"}}}"#),
            (200, "", r#"{"error":{"code":"badtoken","info":"Invalid CSRF token."}}"#),
            (200, "", r#"{"query":{"tokens":{"csrftoken":"t+\\"}}}"#),
            (200, "", r#"{"error":{"code":"badtoken","info":"Invalid CSRF token."}}"#),
        ])
        .await;
        let c = Client::builder(url).build().unwrap();
        let e = c.post_with_token(&[("action", "edit")]).await.unwrap_err();
        assert_eq!(e.code(), Some("badtoken"), "the token is refetched once, not forever");
        assert_eq!(seen.lock().unwrap().len(), 4);
    }

    #[test]
    fn login_reason_in_every_errorformat() {
        assert_eq!(reason_text(&serde_json::json!("Incorrect")), "Incorrect");
        assert_eq!(reason_text(&serde_json::json!({"code": "wrongpassword", "text": "Bad"})), "Bad");
        assert_eq!(reason_text(&Value::Null), "no reason given");
    }
}
