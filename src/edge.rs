//! The edge: the accept loop, with what nginx and PHP give MediaWiki and `axum::serve` does not —
//! a cap on connections (global and per client address; excess connections get a `503` and are
//! closed, with a log line), a header timeout (slowloris), a keep-alive idle timeout, body and
//! response progress timeouts with a minimum body rate, a lingering close after a request whose
//! body was not read to its end, and a graceful drain on shutdown.
//!
//! Every request carries `ConnectInfo<SocketAddr>` (the TCP peer), exactly as
//! `axum::serve(…, into_make_service_with_connect_info::<SocketAddr>())` sets it, so whatever
//! derives the caller's address from it keeps working unchanged.
//!
//! How each timeout is measured:
//! - **keep-alive**: from the end of the previous response (or the connection's start) until the
//!   first byte of the next request;
//! - **header**: from that first byte until the request's head is complete (then a request is
//!   "in flight" until its response body is done or dropped, and neither of the two applies);
//! - **body**: a request body read by the handler that delivers nothing for this long fails, and
//!   so does one averaging less than `body_min_rate` bytes/s over a window of this length; a
//!   response write the client does not accept for this long closes the connection;
//! - **lingering close**: a connection closed after answering before its request body ended
//!   (`file-too-large`, say) first sends its FIN, then reads and discards what the client still
//!   sends, until the client closes, for at most [`LINGER_TIME`] and [`LINGER_TIMEOUT`] between
//!   reads (nginx's `lingering_close`). Closing a socket with unread bytes makes the kernel send
//!   a reset, which can destroy the answer before the client reads it: a client that sends the
//!   whole body before reading (Python's `requests`), or nginx in front of replicas, would get a
//!   reset or a 502 instead of MediaWiki's error.

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use bytes::Bytes;
use http_body::{Body as HttpBody, Frame, SizeHint};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use mwupload_core::config::LimitsConfig;
use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::time::Sleep;
use tower_service::Service;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The timeouts of one connection.
#[derive(Clone, Copy, Debug)]
struct Timeouts {
    header: Duration,
    keepalive: Duration,
    body: Duration,
    min_rate: u64,
}

impl Timeouts {
    fn from(l: &LimitsConfig) -> Timeouts {
        let nonzero = |d: Duration| if d.is_zero() { Duration::from_secs(86_400) } else { d };
        Timeouts {
            header: nonzero(LimitsConfig::secs(l.header_timeout_secs)),
            keepalive: nonzero(LimitsConfig::secs(l.keepalive_timeout_secs)),
            body: nonzero(LimitsConfig::secs(l.body_timeout_secs)),
            min_rate: l.body_min_rate,
        }
    }
}

/// Serves `app` on `listener` until `shutdown` completes; then stops accepting, asks every
/// connection to finish its current request and close, and waits for that at most
/// `shutdown_grace_secs`.
pub async fn serve(listener: TcpListener, app: Router, limits: &LimitsConfig, shutdown: impl Future<Output = ()>) -> std::io::Result<()> {
    let t = Timeouts::from(limits);
    let max = limits.max_connections.clamp(1, Semaphore::MAX_PERMITS.min(u32::MAX as usize));
    let slots = Arc::new(Semaphore::new(max));
    let per_ip = Arc::new(PerIp {
        max: limits.max_connections_per_ip.max(1),
        open: Mutex::new(HashMap::new()),
    });
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let log = RefusalLog::default();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            _ = &mut shutdown => break,
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    // EMFILE and friends: back off instead of spinning; the cap normally prevents it.
                    log.note(&format!("accept failed: {e}"));
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            refuse(
                stream,
                &log,
                &format!("{max} connections open (limits.max_connections); refusing {peer}"),
            );
            continue;
        };
        let Some(ip_slot) = PerIp::take(&per_ip, peer.ip()) else {
            refuse(
                stream,
                &log,
                &format!(
                    "{} connections open from {} (limits.max_connections_per_ip); refusing",
                    per_ip.max,
                    peer.ip()
                ),
            );
            continue;
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let stop = stop_rx.clone();
        // This one included: a connection opened among few others reads in large buffers.
        let open = max - slots.available_permits();
        let read_buf = (open > ROOMY_CONNECTIONS).then_some(READ_BUF_CROWDED);
        tokio::spawn(async move {
            let _held = (slot, ip_slot);
            serve_connection(stream, peer, app, t, read_buf, stop).await;
        });
    }
    drop(listener);
    let _ = stop_tx.send(true);
    let grace = LimitsConfig::secs(limits.shutdown_grace_secs);
    tracing::info!("shutting down: draining open connections (at most {grace:?})");
    if tokio::time::timeout(grace, slots.acquire_many(max as u32)).await.is_err() {
        tracing::warn!(
            "shutdown: {} connection(s) still open after {grace:?}; closing them",
            max - slots.available_permits()
        );
    }
    Ok(())
}

/// Answers a connection over a cap with a `503` (best effort, never waiting) and closes it.
fn refuse(stream: TcpStream, log: &RefusalLog, why: &str) {
    let _ = stream.try_write(
        b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nRetry-After: 5\r\nConnection: close\r\nContent-Length: 32\r\n\r\nToo many connections, try later\n",
    );
    log.note(why);
}

/// One warning per second at most, with the number of refusals it stands for.
#[derive(Default)]
struct RefusalLog {
    last: AtomicU64,
    count: AtomicU64,
}

impl RefusalLog {
    fn note(&self, why: &str) {
        let n = self.count.fetch_add(1, Ordering::Relaxed) + 1;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        if self.last.swap(now, Ordering::Relaxed) != now {
            self.count.store(0, Ordering::Relaxed);
            tracing::warn!("connection refused: {why} ({n} refusal(s) since the last such message)");
        }
    }
}

/// Open connections per client address.
struct PerIp {
    max: usize,
    open: Mutex<HashMap<IpAddr, usize>>,
}

struct IpSlot {
    owner: Arc<PerIp>,
    ip: IpAddr,
}

impl PerIp {
    fn take(this: &Arc<PerIp>, ip: IpAddr) -> Option<IpSlot> {
        let mut open = this.open.lock().unwrap_or_else(|e| e.into_inner());
        let n = open.entry(ip).or_insert(0);
        if *n >= this.max {
            return None;
        }
        *n += 1;
        Some(IpSlot { owner: this.clone(), ip })
    }
}

impl Drop for IpSlot {
    fn drop(&mut self) {
        let mut open = self.owner.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = open.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    app: Router,
    t: Timeouts,
    read_buf: Option<usize>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let st = Arc::new(ConnState::new());
    let io = TimedIo::new(stream, t, st.clone());
    let svc_st = st.clone();
    let svc = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        let busy = Busy::enter(&svc_st);
        req.extensions_mut().insert(ConnectInfo(peer));
        let req = req.map(|b| Body::new(TimedBody::new(b, t, svc_st.clone())));
        let mut app = app.clone();
        async move {
            let resp = match app.call(req).await {
                Ok(r) => r,
                Err(never) => match never {},
            };
            // The request is in flight until its response body is done (or dropped).
            Ok::<_, Infallible>(resp.map(|b| Body::new(Guarded { inner: b, _busy: busy })))
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(None);
    if let Some(n) = read_buf {
        builder.max_buf_size(n);
    }
    let conn = builder.serve_connection(TokioIo::new(io), svc);
    tokio::pin!(conn);
    tokio::select! {
        r = conn.as_mut() => {
            if let Err(e) = r {
                tracing::debug!("connection from {peer}: {e}");
            }
        }
        what = watchdog(&st, t) => {
            // Dropping the connection closes the socket.
            tracing::debug!("connection from {peer} closed: {what}");
        }
        _ = async { let _ = stop.wait_for(|s| *s).await; } => {
            conn.as_mut().graceful_shutdown();
            tokio::select! {
                _ = conn.as_mut() => {}
                _ = watchdog(&st, t) => {}
            }
        }
    }
}

/// Marks a request in flight on its connection while alive.
struct Busy(Arc<ConnState>);

impl Busy {
    fn enter(st: &Arc<ConnState>) -> Busy {
        st.in_flight.fetch_add(1, Ordering::SeqCst);
        st.head_since.store(0, Ordering::SeqCst);
        st.changed.notify_waiters();
        Busy(st.clone())
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        let st = &self.0;
        st.idle_since.store(st.now_ms(), Ordering::SeqCst);
        st.head_since.store(0, Ordering::SeqCst);
        st.served.store(true, Ordering::SeqCst);
        st.in_flight.fetch_sub(1, Ordering::SeqCst);
        st.changed.notify_waiters();
    }
}

/// A response body holding its request's [`Busy`] mark.
struct Guarded {
    inner: Body,
    _busy: Busy,
}

impl HttpBody for Guarded {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

fn timed_out(what: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::TimedOut, what)
}

/// A request body that fails when the client stops sending (nothing for `body` while the
/// handler waits) or sends too slowly (under `min_rate` bytes/s over a window of `body` spent
/// waiting for it). Only the time the handler spends waiting for the client counts, so a
/// handler that is slow between reads never makes its client look slow.
struct TimedBody {
    inner: Incoming,
    t: Timeouts,
    /// Told when this body is dropped before its end (the close must then linger).
    st: Arc<ConnState>,
    /// Read to its end, or given up on for its slowness: no lingering close for it.
    ended: bool,
    sleep: Pin<Box<Sleep>>,
    /// Since when the handler has been waiting for data (the sleep is armed), if it is.
    waiting_since: Option<Instant>,
    /// Time spent waiting for data, and the bytes that arrived, in the current window.
    window_waited: Duration,
    window_bytes: u64,
}

impl TimedBody {
    fn new(inner: Incoming, t: Timeouts, st: Arc<ConnState>) -> TimedBody {
        TimedBody {
            inner,
            t,
            st,
            ended: false,
            sleep: Box::pin(tokio::time::sleep(t.body)),
            waiting_since: None,
            window_waited: Duration::ZERO,
            window_bytes: 0,
        }
    }
}

impl HttpBody for TimedBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        let now = Instant::now();
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(since) = this.waiting_since.take() {
                    this.window_waited += now.saturating_duration_since(since);
                }
                if let Some(d) = frame.data_ref() {
                    this.window_bytes += d.len() as u64;
                }
                let waited = this.window_waited;
                if waited >= this.t.body {
                    let need = (this.t.min_rate as f64 * waited.as_secs_f64()) as u64;
                    if this.window_bytes < need {
                        // (A client too slow to be waited for is not waited for at the close either.)
                        this.ended = true;
                        return Poll::Ready(Some(Err(Box::new(timed_out(format!(
                            "the request body arrives too slowly ({} bytes in {:.1} s; at least {} bytes/s expected)",
                            this.window_bytes,
                            waited.as_secs_f64(),
                            this.t.min_rate
                        ))))));
                    }
                    this.window_waited = Duration::ZERO;
                    this.window_bytes = 0;
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(Box::new(e)))),
            Poll::Ready(None) => {
                this.ended = true;
                Poll::Ready(None)
            }
            Poll::Pending => {
                if this.waiting_since.is_none() {
                    this.waiting_since = Some(now);
                    this.sleep.as_mut().reset((now + this.t.body).into());
                }
                if this.sleep.as_mut().poll(cx).is_ready() {
                    this.ended = true;
                    return Poll::Ready(Some(Err(Box::new(timed_out(format!(
                        "no request body data for {:.1} s",
                        this.t.body.as_secs_f64()
                    ))))));
                }
                Poll::Pending
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for TimedBody {
    fn drop(&mut self) {
        if !self.ended && !self.inner.is_end_stream() {
            self.st.body_unread.store(true, Ordering::SeqCst);
        }
    }
}

/// What the watchdog of a connection needs to know: requests in flight, when the connection
/// last became idle, and when the next request's first byte arrived (milliseconds since the
/// connection's start; 0: not yet).
struct ConnState {
    start: Instant,
    in_flight: AtomicUsize,
    idle_since: AtomicU64,
    head_since: AtomicU64,
    served: std::sync::atomic::AtomicBool,
    /// A request body was dropped before its end: the client may still be sending it.
    body_unread: std::sync::atomic::AtomicBool,
    changed: tokio::sync::Notify,
}

impl ConnState {
    fn new() -> ConnState {
        ConnState {
            start: Instant::now(),
            in_flight: AtomicUsize::new(0),
            idle_since: AtomicU64::new(0),
            head_since: AtomicU64::new(0),
            served: std::sync::atomic::AtomicBool::new(false),
            body_unread: std::sync::atomic::AtomicBool::new(false),
            changed: tokio::sync::Notify::new(),
        }
    }

    fn now_ms(&self) -> u64 {
        (self.start.elapsed().as_millis() as u64).max(1)
    }

    /// When the connection must be closed unless something happens first (None while busy).
    fn deadline(&self, t: &Timeouts) -> Option<(Instant, &'static str)> {
        if self.in_flight.load(Ordering::SeqCst) > 0 {
            return None;
        }
        let at = |ms: u64| self.start + Duration::from_millis(ms);
        let head = self.head_since.load(Ordering::SeqCst);
        if head > 0 {
            return Some((at(head) + t.header, "the request header did not arrive in time"));
        }
        let idle = at(self.idle_since.load(Ordering::SeqCst));
        if self.served.load(Ordering::SeqCst) {
            Some((idle + t.keepalive, "idle keep-alive connection"))
        } else {
            Some((idle + t.header, "no request arrived in time"))
        }
    }

    /// Bytes arrived: the first byte of an idle connection starts the header clock.
    fn bytes_read(&self) {
        if self.in_flight.load(Ordering::SeqCst) == 0 && self.head_since.load(Ordering::SeqCst) == 0 {
            self.head_since.store(self.now_ms(), Ordering::SeqCst);
            self.changed.notify_waiters();
        }
    }
}

/// Resolves when the connection's keep-alive or header time is up (never while a request is
/// in flight).
async fn watchdog(st: &ConnState, t: Timeouts) -> &'static str {
    loop {
        let changed = st.changed.notified();
        tokio::pin!(changed);
        changed.as_mut().enable();
        match st.deadline(&t) {
            None => changed.await,
            Some((when, what)) => {
                tokio::select! {
                    _ = tokio::time::sleep_until(when.into()) => {
                        if st.deadline(&t).map(|d| d.0) == Some(when) {
                            return what;
                        }
                    }
                    _ = changed => {}
                }
            }
        }
    }
}

/// The connection's socket: notes arriving bytes for the watchdog, and fails a write the
/// client does not take for the body timeout.
struct TimedIo {
    inner: TcpStream,
    t: Timeouts,
    st: Arc<ConnState>,
    write_sleep: Pin<Box<Sleep>>,
    write_since: Option<Instant>,
    /// Set once the write side is shut down and the close lingers.
    linger: Option<Linger>,
}

/// The most a connection's read buffer grows to (it holds a request head and the body bytes read
/// but not yet taken). Large buffers mean fewer reads and fewer hand-offs of body frames between
/// the connection and its handler: one 256 MiB upload took 15-35 % longer with 64 KiB than with
/// hyper's default of about 400 KiB. But every busy connection holds one: at 32 concurrent
/// 64 MiB uploads the default made the server's peak memory 74 MiB, 64 KiB made it 37 MiB. So
/// a connection opened while at most [`ROOMY_CONNECTIONS`] are open (itself included) keeps
/// hyper's default, and one opened in a crowd gets 64 KiB (docs/benchmarks.md).
const READ_BUF_CROWDED: usize = 64 * 1024;
const ROOMY_CONNECTIONS: usize = 4;

/// nginx's `lingering_time`: the longest a close lingers in all.
const LINGER_TIME: Duration = Duration::from_secs(30);
/// nginx's `lingering_timeout`: the longest a lingering close waits for more bytes.
const LINGER_TIMEOUT: Duration = Duration::from_secs(5);

/// A lingering close in progress: a discard buffer, allocated only for such a close.
struct Linger {
    buf: Box<[u8]>,
    until: Instant,
    sleep: Pin<Box<Sleep>>,
}

impl TimedIo {
    fn new(inner: TcpStream, t: Timeouts, st: Arc<ConnState>) -> TimedIo {
        TimedIo {
            inner,
            t,
            st,
            write_sleep: Box::pin(tokio::time::sleep(t.body)),
            write_since: None,
            linger: None,
        }
    }
}

impl AsyncRead for TimedIo {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let this = &mut *self;
        let before = buf.filled().len();
        let r = Pin::new(&mut this.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            this.st.bytes_read();
        }
        r
    }
}

impl AsyncWrite for TimedIo {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<std::io::Result<usize>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_write(cx, data) {
            Poll::Ready(r) => {
                this.write_since = None;
                Poll::Ready(r)
            }
            Poll::Pending => {
                if this.write_since.is_none() {
                    let now = Instant::now();
                    this.write_since = Some(now);
                    this.write_sleep.as_mut().reset((now + this.t.body).into());
                }
                if this.write_sleep.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(Err(timed_out("the client does not read the response".into())));
                }
                Poll::Pending
            }
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    /// Sends the FIN; then, if a request body was left unread, lingers: reads and discards what
    /// still arrives until the client closes or the linger times run out (see the module's
    /// documentation), so that the close does not reset the connection under the answer.
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let this = &mut *self;
        if this.linger.is_none() {
            std::task::ready!(Pin::new(&mut this.inner).poll_shutdown(cx))?;
            if !this.st.body_unread.load(Ordering::SeqCst) {
                return Poll::Ready(Ok(()));
            }
            let now = Instant::now();
            this.linger = Some(Linger {
                buf: vec![0u8; 64 * 1024].into_boxed_slice(),
                until: now + LINGER_TIME,
                sleep: Box::pin(tokio::time::sleep(LINGER_TIMEOUT)),
            });
        }
        let Some(l) = this.linger.as_mut() else {
            return Poll::Ready(Ok(()));
        };
        loop {
            let now = Instant::now();
            if now >= l.until {
                return Poll::Ready(Ok(()));
            }
            let mut discard = ReadBuf::new(&mut l.buf);
            match Pin::new(&mut this.inner).poll_read(cx, &mut discard) {
                // The client's FIN, or its error: the connection can close cleanly now.
                Poll::Ready(Ok(())) if discard.filled().is_empty() => return Poll::Ready(Ok(())),
                Poll::Ready(Err(_)) => return Poll::Ready(Ok(())),
                Poll::Ready(Ok(())) => {
                    let next = (now + LINGER_TIMEOUT).min(l.until);
                    l.sleep.as_mut().reset(next.into());
                }
                Poll::Pending => {
                    std::task::ready!(l.sleep.as_mut().poll(cx));
                    return Poll::Ready(Ok(()));
                }
            }
        }
    }

    fn poll_write_vectored(mut self: Pin<&mut Self>, cx: &mut Context<'_>, bufs: &[std::io::IoSlice<'_>]) -> Poll<std::io::Result<usize>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_write_vectored(cx, bufs) {
            Poll::Ready(r) => {
                this.write_since = None;
                Poll::Ready(r)
            }
            Poll::Pending => {
                if this.write_since.is_none() {
                    let now = Instant::now();
                    this.write_since = Some(now);
                    this.write_sleep.as_mut().reset((now + this.t.body).into());
                }
                if this.write_sleep.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(Err(timed_out("the client does not read the response".into())));
                }
                Poll::Pending
            }
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
