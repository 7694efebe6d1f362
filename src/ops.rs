//! Operator-facing request handling: one access-log line per request (and per upload), and the
//! counters behind `/metrics`. [`layer`] wraps the whole app.

use axum::body::Body;
use axum::http::{Request, Response};
use mwupload_core::request_log::{self, RequestNote};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Instant;

/// Request-duration histogram bucket bounds, seconds.
const BUCKETS: [f64; 12] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

/// Process-wide counters (what `/metrics` exposes besides the database gauges).
#[derive(Default)]
pub struct Metrics {
    /// Responses by status class 1xx..5xx (index 0..4).
    by_class: [AtomicU64; 5],
    uploads: Mutex<BTreeMap<String, u64>>,
    upload_bytes: AtomicU64,
    /// Cumulative counts per bucket, plus +Inf last.
    duration_buckets: [AtomicU64; BUCKETS.len() + 1],
    /// Sum of durations in microseconds.
    duration_sum_us: AtomicU64,
    /// `trusted_proxies`: the logged client of a request they forward is the address they name.
    trusted_proxies: Vec<mwupload_api::client_ip::IpNet>,
}

impl Metrics {
    pub fn new(trusted_proxies: Vec<mwupload_api::client_ip::IpNet>) -> Metrics {
        Metrics {
            trusted_proxies,
            ..Default::default()
        }
    }

    fn observe(&self, status: u16, secs: f64, note: &RequestNote) {
        let class = usize::from(status / 100).clamp(1, 5) - 1;
        self.by_class[class].fetch_add(1, Ordering::Relaxed);
        for (i, b) in BUCKETS.iter().enumerate() {
            if secs <= *b {
                self.duration_buckets[i].fetch_add(1, Ordering::Relaxed);
            }
        }
        self.duration_buckets[BUCKETS.len()].fetch_add(1, Ordering::Relaxed);
        self.duration_sum_us.fetch_add((secs * 1e6) as u64, Ordering::Relaxed);
        if let Some(u) = &note.upload {
            *self
                .uploads
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .entry(u.result.clone())
                .or_default() += 1;
            self.upload_bytes.fetch_add(u.bytes, Ordering::Relaxed);
        }
    }

    /// The Prometheus text exposition of these counters, and of the gauges given.
    pub fn render(&self, gauges: &[(&str, &str, i64)]) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        out.push_str("# HELP mwupload_http_requests_total HTTP responses by status class.\n# TYPE mwupload_http_requests_total counter\n");
        for (i, c) in self.by_class.iter().enumerate() {
            let _ = writeln!(
                out,
                "mwupload_http_requests_total{{class=\"{}xx\"}} {}",
                i + 1,
                c.load(Ordering::Relaxed)
            );
        }
        out.push_str("# HELP mwupload_uploads_total action=upload calls by result (Success, Warning, Continue, Poll or the error code).\n# TYPE mwupload_uploads_total counter\n");
        for (r, n) in self.uploads.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            let _ = writeln!(
                out,
                "mwupload_uploads_total{{result=\"{}\"}} {n}",
                r.replace(['"', '\\', '\n'], "_")
            );
        }
        out.push_str(
            "# HELP mwupload_upload_bytes_total Bytes received in upload files and chunks.\n# TYPE mwupload_upload_bytes_total counter\n",
        );
        let _ = writeln!(out, "mwupload_upload_bytes_total {}", self.upload_bytes.load(Ordering::Relaxed));
        out.push_str("# HELP mwupload_http_request_duration_seconds Time from request to the end of the response body.\n# TYPE mwupload_http_request_duration_seconds histogram\n");
        for (i, b) in BUCKETS.iter().enumerate() {
            let _ = writeln!(
                out,
                "mwupload_http_request_duration_seconds_bucket{{le=\"{b}\"}} {}",
                self.duration_buckets[i].load(Ordering::Relaxed)
            );
        }
        let count = self.duration_buckets[BUCKETS.len()].load(Ordering::Relaxed);
        let _ = writeln!(out, "mwupload_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(
            out,
            "mwupload_http_request_duration_seconds_sum {}",
            self.duration_sum_us.load(Ordering::Relaxed) as f64 / 1e6
        );
        let _ = writeln!(out, "mwupload_http_request_duration_seconds_count {count}");
        for (name, help, v) in gauges {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {v}");
        }
        out
    }
}

/// `GET /metrics`: the counters and the database gauges (read at scrape time).
pub async fn metrics_response(state: &mwupload_core::AppState, metrics: &Metrics) -> Response<Body> {
    let (chunks, jobs) = match state.meta.ops_gauges().await {
        Ok(g) => g,
        Err(e) => {
            tracing::error!("metrics: reading the database: {e}");
            return Response::builder()
                .status(503)
                .body(Body::from("database unavailable\n"))
                .unwrap_or_default();
        }
    };
    let text = metrics.render(&[
        ("mwupload_chunk_sessions_open", "Chunked upload sessions not yet finished.", chunks),
        ("mwupload_job_queue_depth", "Background jobs queued or running.", jobs),
    ]);
    Response::builder()
        .header("content-type", "text/plain; version=0.0.4; charset=utf-8")
        .body(Body::from(text))
        .unwrap_or_default()
}

/// The request target with the values of secret-looking parameters (tokens, passwords) masked.
fn loggable_target(uri: &axum::http::Uri) -> String {
    let path = uri.path();
    let Some(q) = uri.query() else {
        return path.to_string();
    };
    let masked: Vec<String> = q
        .split('&')
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let lk = k.to_ascii_lowercase();
            if ["token", "password", "pass", "secret"].iter().any(|s| lk.contains(s)) && !v.is_empty() {
                format!("{k}=***")
            } else {
                pair.to_string()
            }
        })
        .collect();
    format!("{path}?{}", masked.join("&"))
}

/// Wraps the app: every request runs inside a [`request_log`] scope and is logged (and counted)
/// when its response body ends or is dropped.
pub async fn layer(
    axum::extract::State(metrics): axum::extract::State<Arc<Metrics>>,
    req: Request<Body>,
    next: axum::middleware::Next,
) -> Response<Body> {
    let start = Instant::now();
    let method = req.method().to_string();
    let target = loggable_target(req.uri());
    // The same client address the API sees (behind trusted proxies: the one they forwarded for).
    let ip = req
        .extensions()
        .get::<axum::extract::ConnectInfo<SocketAddr>>()
        .map(|c| mwupload_api::client_ip::from_headers(c.0.ip(), req.headers(), &metrics.trusted_proxies).to_string())
        .unwrap_or_else(|| "-".into());
    let note = Arc::new(Mutex::new(RequestNote::default()));
    let resp = request_log::scope(note.clone(), next.run(req)).await;
    let status = resp.status().as_u16();
    let done = Done {
        metrics,
        note,
        method,
        target,
        ip,
        status,
        start,
        bytes: 0,
    };
    resp.map(|b| Body::new(Counted { inner: b, done }))
}

/// What the log line needs once the response body is finished.
struct Done {
    metrics: Arc<Metrics>,
    note: Arc<Mutex<RequestNote>>,
    method: String,
    target: String,
    ip: String,
    status: u16,
    start: Instant,
    bytes: u64,
}

impl Drop for Done {
    fn drop(&mut self) {
        let secs = self.start.elapsed().as_secs_f64();
        let note = self.note.lock().unwrap_or_else(|e| e.into_inner()).clone();
        self.metrics.observe(self.status, secs, &note);
        // Spaces as MediaWiki writes them in URLs, so the line splits on whitespace.
        let user = note.user.as_deref().map(|u| u.replace(' ', "_")).unwrap_or_else(|| "-".into());
        tracing::info!(
            target: "mwupload::access",
            "{} {} {} {} {} {:.1}ms {}",
            self.ip,
            self.method,
            self.target,
            self.status,
            self.bytes,
            secs * 1000.0,
            user
        );
        if let Some(u) = &note.upload {
            tracing::info!(target: "mwupload::upload", "upload {:?} by {user}: {} bytes, {}", u.name, u.bytes, u.result);
        }
    }
}

struct Counted {
    inner: Body,
    done: Done,
}

impl http_body::Body for Counted {
    type Data = bytes::Bytes;
    type Error = axum::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        let r = Pin::new(&mut self.inner).poll_frame(cx);
        if let Poll::Ready(Some(Ok(f))) = &r
            && let Some(d) = f.data_ref()
        {
            self.done.bytes += d.len() as u64;
        }
        r
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}
