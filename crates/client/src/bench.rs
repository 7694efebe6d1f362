//! `mwupload bench`: a load generator for any MediaWiki's upload API.
//!
//! It follows the documented flow (login, CSRF token, `action=upload` direct, or chunked into the
//! stash then published by filekey), uploads fresh random content each time (valid PNGs with
//! noise pixels, or plain text), checks every stored SHA-1 against `imageinfo`'s `sha1`, and
//! reports throughput and HDR-histogram latencies. One tokio runtime, one connection pool shared
//! by all workers, content generated off the async threads when it is large.

use crate::api::{Client, RetryPolicy};
use crate::units::{format_bytes, parse_duration, parse_size};
use crate::upload::{Observer, UploadEvent, UploadOptions, UploadOutcome, UploadSource};
use crate::{Error, login_from};
use bytes::Bytes;
use hdrhistogram::Histogram;
use rand::rngs::SmallRng;
use rand::{Rng, RngCore, SeedableRng};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Arguments of `mwupload bench`.
#[derive(clap::Args, Debug, Clone)]
#[command(after_help = "The password comes from --password-file or MWUPLOAD_PASSWORD. \
Each upload gets a fresh name (PREFIX-RUN-WORKER-N.png) and random content, and is sent with ignorewarnings.")]
pub struct BenchArgs {
    /// URL of the wiki's api.php.
    #[arg(long, env = "MWUPLOAD_API")]
    pub api: String,
    /// User name (User@bot for a bot password).
    #[arg(long, env = "MWUPLOAD_USER")]
    pub user: Option<String>,
    /// File holding the password (first line).
    #[arg(long)]
    pub password_file: Option<PathBuf>,
    /// Uploads in flight at once.
    #[arg(long, short = 'c', default_value_t = 4)]
    pub concurrency: usize,
    /// Size of each upload, or a weighted mix such as 10KiB:9,1MiB:1.
    #[arg(long, default_value = "10KiB", value_parser = parse_mix)]
    pub size: SizeMix,
    /// How long to keep starting uploads.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub duration: Duration,
    /// Stop after this many uploads instead of after --duration.
    #[arg(long)]
    pub count: Option<u64>,
    /// Uploads larger than this go in chunks of this size (stash, then publish); 0: all direct.
    #[arg(long, default_value = "0", value_parser = parse_size)]
    pub chunk_size: u64,
    /// Content: PNG with random pixels, or random text.
    #[arg(long, value_enum, default_value_t = Kind::Png)]
    pub kind: Kind,
    /// Ask for asynchronous assembly and publishing (async=1).
    #[arg(long = "async")]
    pub async_mode: bool,
    /// File name prefix.
    #[arg(long, default_value = "Mwupload-bench")]
    pub prefix: String,
    /// maxlag sent with every request (0: none).
    #[arg(long, default_value_t = 5)]
    pub maxlag: u32,
    /// Contact information for the User-Agent header.
    #[arg(long, env = "MWUPLOAD_CONTACT")]
    pub contact: Option<String>,
    /// Print the results as JSON.
    #[arg(long)]
    pub json: bool,
}

/// What to upload.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    Png,
    Txt,
}

/// Upload sizes with weights.
#[derive(Debug, Clone, PartialEq)]
pub struct SizeMix(pub Vec<(u64, u32)>);

/// `10KiB` or `10KiB:9,1MiB:1`.
pub fn parse_mix(s: &str) -> Result<SizeMix, String> {
    let mut v = Vec::new();
    for item in s.split(',').filter(|x| !x.trim().is_empty()) {
        let (size, weight) = match item.split_once(':') {
            Some((a, b)) => (a, b.trim().parse::<u32>().map_err(|_| format!("bad weight in {item:?}"))?),
            None => (item, 1),
        };
        let size = parse_size(size)?;
        if size == 0 {
            return Err("sizes must be above 0".into());
        }
        if weight > 0 {
            v.push((size, weight));
        }
    }
    if v.is_empty() {
        return Err(format!("no sizes in {s:?}"));
    }
    Ok(SizeMix(v))
}

impl SizeMix {
    fn pick(&self, rng: &mut impl Rng) -> u64 {
        let total: u32 = self.0.iter().map(|(_, w)| w).sum();
        let mut x = rng.random_range(0..total);
        for (size, w) in &self.0 {
            if x < *w {
                return *size;
            }
            x -= w;
        }
        self.0[0].0
    }
}

// ------------------------------------------------------------------------------- content

/// A valid PNG of about `target` bytes: 8-bit RGB noise in stored (uncompressed) deflate blocks.
pub fn random_png(target: u64, rng: &mut impl RngCore) -> Vec<u8> {
    const OVERHEAD: u64 = 8 + 25 + 12 + 12 + 6;
    let body = target.saturating_sub(OVERHEAD).max(4);
    let width: u64 = if body < 4 * 769 { (body / 3).clamp(1, 256) } else { 256 };
    let row = 1 + 3 * width;
    // Each stored block costs 5 bytes per 65535 of data.
    let height = ((body - body / 65535 * 5) / row).max(1);
    let mut raw = vec![0u8; (row * height) as usize];
    rng.fill_bytes(&mut raw);
    for r in 0..height as usize {
        raw[r * row as usize] = 0; // filter type None
    }
    let mut idat = Vec::with_capacity(raw.len() + raw.len() / 65535 * 5 + 16);
    idat.extend_from_slice(&[0x78, 0x01]);
    let mut chunks = raw.chunks(65535).peekable();
    while let Some(c) = chunks.next() {
        idat.push(u8::from(chunks.peek().is_none()));
        let len = c.len() as u16;
        idat.extend_from_slice(&len.to_le_bytes());
        idat.extend_from_slice(&(!len).to_le_bytes());
        idat.extend_from_slice(c);
    }
    idat.extend_from_slice(&adler32(&raw).to_be_bytes());
    drop(raw);
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&(width as u32).to_be_bytes());
    ihdr.extend_from_slice(&(height as u32).to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut out = Vec::with_capacity(idat.len() + 64);
    out.extend_from_slice(b"\x89PNG\r\n\x1a\n");
    png_chunk(&mut out, b"IHDR", &ihdr);
    png_chunk(&mut out, b"IDAT", &idat);
    png_chunk(&mut out, b"IEND", b"");
    out
}

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut h = crc32fast::Hasher::new();
    h.update(kind);
    h.update(data);
    out.extend_from_slice(&h.finalize().to_be_bytes());
}

fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for block in data.chunks(5552) {
        for &x in block {
            a += x as u32;
            b += a;
        }
        a %= 65521;
        b %= 65521;
    }
    (b << 16) | a
}

/// `n` bytes of random lowercase text in lines (sniffed as `text/plain`; no `<`, so no HTML).
pub fn random_text(n: u64, rng: &mut impl RngCore) -> Vec<u8> {
    const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz012345";
    let mut v = vec![0u8; n as usize];
    rng.fill_bytes(&mut v);
    for (i, b) in v.iter_mut().enumerate() {
        *b = if i % 80 == 79 { b'\n' } else { ALPHABET[(*b & 31) as usize] };
    }
    v
}

fn make_content(kind: Kind, size: u64, seed: u64) -> (Bytes, String) {
    let mut rng = SmallRng::seed_from_u64(seed);
    let data = match kind {
        Kind::Png => random_png(size, &mut rng),
        Kind::Txt => random_text(size, &mut rng),
    };
    use sha1::Digest;
    let sha1 = hex::encode(sha1::Sha1::digest(&data));
    (Bytes::from(data), sha1)
}

// ------------------------------------------------------------------------------- running

fn histogram() -> Histogram<u64> {
    // Microseconds from 1 µs to 1 hour, 3 significant digits.
    Histogram::new_with_bounds(1, 3_600_000_000, 3).unwrap_or_else(|_| Histogram::new(3).expect("a histogram"))
}

#[derive(Default)]
struct Totals {
    attempted: AtomicU64,
    succeeded: AtomicU64,
    verified: AtomicU64,
    mismatched: AtomicU64,
    bytes: AtomicU64,
    gen_micros: AtomicU64,
}

/// Records each chunk/file request's latency, and for chunked uploads the last chunk's (it
/// carries the assembly) and the publish's, from the request by filekey to the answer.
struct RequestTimer(Mutex<Timings>);

struct Timings {
    requests: Histogram<u64>,
    last_sent: Option<Duration>,
    last_chunk: Histogram<u64>,
    publishing_since: Option<Instant>,
    /// The publish's latency, once answered; recorded if the upload succeeds.
    publish_answered: Option<Duration>,
    publish: Histogram<u64>,
}

fn micros(d: Duration) -> u64 {
    d.as_micros().clamp(1, 3_600_000_000) as u64
}

impl RequestTimer {
    fn new() -> RequestTimer {
        RequestTimer(Mutex::new(Timings {
            requests: histogram(),
            last_sent: None,
            last_chunk: histogram(),
            publishing_since: None,
            publish_answered: None,
            publish: histogram(),
        }))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Timings> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// An upload ended (successfully when `ok`): its publish's latency, if it had one, counts.
    fn upload_ended(&self, ok: bool) {
        let mut t = self.lock();
        t.publishing_since = None;
        if let Some(publish) = t.publish_answered.take()
            && ok
        {
            let _ = t.publish.record(micros(publish));
        }
        t.last_sent = None;
    }
}

impl Observer for RequestTimer {
    fn event(&self, e: UploadEvent<'_>) {
        let mut t = self.lock();
        match e {
            UploadEvent::Sent { elapsed, .. } => {
                let _ = t.requests.record(micros(elapsed));
                t.last_sent = Some(elapsed);
            }
            UploadEvent::Publishing => {
                if let Some(last) = t.last_sent.take() {
                    let _ = t.last_chunk.record(micros(last));
                }
                t.publishing_since = Some(Instant::now());
            }
            UploadEvent::PublishAnswered => {
                if let Some(since) = t.publishing_since.take() {
                    t.publish_answered = Some(since.elapsed());
                }
            }
            _ => {}
        }
    }
}

struct WorkerResult {
    uploads: Histogram<u64>,
    requests: Histogram<u64>,
    last_chunk: Histogram<u64>,
    publish: Histogram<u64>,
    errors: BTreeMap<String, u64>,
    first_error: Option<String>,
}

/// Runs `mwupload bench`; returns the process exit status: 0 when every upload succeeded with
/// its SHA-1 verified, 1 when one did not, 2 when the run could not start (e.g. refused login).
pub async fn run(args: BenchArgs) -> anyhow::Result<i32> {
    match bench(args).await {
        Ok(code) => Ok(code),
        Err(e) => {
            eprintln!("mwupload bench: {e:#}");
            Ok(2)
        }
    }
}

async fn bench(args: BenchArgs) -> anyhow::Result<i32> {
    let client = Client::builder(&args.api)
        .maxlag((args.maxlag > 0).then_some(args.maxlag))
        .retry(RetryPolicy {
            max_retries: 3,
            ..RetryPolicy::default()
        })
        .pool_size(args.concurrency.max(1) * 2)
        .contact(args.contact.clone().unwrap_or_else(|| "mwupload bench".into()))
        .build()?;
    let site = client.site_info().await.map_err(|e| anyhow::anyhow!("{}: {e}", args.api))?;
    let t_login = Instant::now();
    if let Some(user) = &args.user {
        client.login(user, &login_from(args.password_file.as_deref())?).await?;
    }
    client.csrf_token().await?;
    let login_ms = t_login.elapsed().as_secs_f64() * 1000.0;
    let run_id: String = {
        let mut rng = rand::rng();
        (0..6)
            .map(|_| char::from(b"abcdefghijklmnopqrstuvwxyz0123456789"[rng.random_range(0..36)]))
            .collect()
    };
    let totals = Arc::new(Totals::default());
    let args = Arc::new(args);
    let started = Instant::now();
    let deadline = started + args.duration;
    let mut handles = Vec::new();
    for w in 0..args.concurrency.max(1) {
        let (client, args, totals, run_id) = (client.clone(), args.clone(), totals.clone(), run_id.clone());
        handles.push(tokio::spawn(async move { worker(w, client, args, totals, run_id, deadline).await }));
    }
    let mut uploads = histogram();
    let mut requests = histogram();
    let mut last_chunk = histogram();
    let mut publish = histogram();
    let mut errors: BTreeMap<String, u64> = BTreeMap::new();
    let mut first_error = None;
    for h in handles {
        let r = h.await?;
        uploads.add(&r.uploads).ok();
        requests.add(&r.requests).ok();
        last_chunk.add(&r.last_chunk).ok();
        publish.add(&r.publish).ok();
        for (k, v) in r.errors {
            *errors.entry(k).or_default() += v;
        }
        first_error = first_error.or(r.first_error);
    }
    let wall = started.elapsed().as_secs_f64();
    let t = &*totals;
    let (ok, bytes) = (t.succeeded.load(Ordering::Relaxed), t.bytes.load(Ordering::Relaxed));
    let failed = t.attempted.load(Ordering::Relaxed) - ok;
    let lat = |h: &Histogram<u64>| {
        let ms = |v: u64| (v as f64 / 1000.0 * 1000.0).round() / 1000.0;
        json!({
            "count": h.len(),
            "min": ms(if h.is_empty() { 0 } else { h.min() }),
            "mean": (h.mean() / 1000.0 * 1000.0).round() / 1000.0,
            "p50": ms(h.value_at_quantile(0.50)),
            "p90": ms(h.value_at_quantile(0.90)),
            "p99": ms(h.value_at_quantile(0.99)),
            "max": ms(h.max()),
        })
    };
    let mode = if args.chunk_size == 0 {
        "direct"
    } else if args.size.0.iter().all(|(s, _)| *s > args.chunk_size) {
        "chunked"
    } else if args.size.0.iter().all(|(s, _)| *s <= args.chunk_size) {
        "direct"
    } else {
        "mixed"
    };
    let report = json!({
        "api": args.api,
        "generator": site.generator,
        "kind": format!("{:?}", args.kind).to_lowercase(),
        "mode": mode,
        "async": args.async_mode,
        "concurrency": args.concurrency,
        "chunk_size": args.chunk_size,
        "sizes": args.size.0.iter().map(|(s, w)| json!({"bytes": s, "weight": w})).collect::<Vec<_>>(),
        "wall_seconds": (wall * 1000.0).round() / 1000.0,
        "login_ms": (login_ms * 1000.0).round() / 1000.0,
        "uploads": {
            "attempted": t.attempted.load(Ordering::Relaxed),
            "succeeded": ok,
            "failed": failed,
            "sha1_verified": t.verified.load(Ordering::Relaxed),
            "sha1_mismatch": t.mismatched.load(Ordering::Relaxed),
        },
        "bytes_uploaded": bytes,
        "throughput": {
            "uploads_per_sec": ((ok as f64 / wall) * 100.0).round() / 100.0,
            "mib_per_sec": ((bytes as f64 / wall / 1048576.0) * 100.0).round() / 100.0,
        },
        // (last_chunk and publish: chunked uploads only, empty otherwise.)
        "latency_ms": {
            "upload": lat(&uploads),
            "request": lat(&requests),
            "last_chunk": lat(&last_chunk),
            "publish": lat(&publish),
        },
        "content_generation_seconds": (t.gen_micros.load(Ordering::Relaxed) as f64 / 1e6 * 1000.0).round() / 1000.0,
        "errors": errors,
        "first_error": first_error,
    });
    if args.json {
        println!("{report}");
    } else {
        print_text(&report);
    }
    Ok(if failed > 0 || t.mismatched.load(Ordering::Relaxed) > 0 {
        1
    } else {
        0
    })
}

fn print_text(r: &Value) {
    let l = |k: &str| {
        let x = &r["latency_ms"][k];
        format!(
            "n={} p50={}ms p90={}ms p99={}ms max={}ms mean={}ms",
            x["count"], x["p50"], x["p90"], x["p99"], x["max"], x["mean"]
        )
    };
    println!(
        "wiki:        {} ({})",
        r["api"].as_str().unwrap_or(""),
        r["generator"].as_str().unwrap_or("")
    );
    println!(
        "load:        {} {} uploads, concurrency {}, sizes {}, chunk size {}",
        r["mode"].as_str().unwrap_or(""),
        r["kind"].as_str().unwrap_or(""),
        r["concurrency"],
        r["sizes"],
        r["chunk_size"]
    );
    let u = &r["uploads"];
    println!(
        "uploads:     {} ok, {} failed, {} SHA-1 verified, {} mismatched in {} s",
        u["succeeded"], u["failed"], u["sha1_verified"], u["sha1_mismatch"], r["wall_seconds"]
    );
    println!(
        "throughput:  {} uploads/s, {} MiB/s ({})",
        r["throughput"]["uploads_per_sec"],
        r["throughput"]["mib_per_sec"],
        format_bytes(r["bytes_uploaded"].as_u64().unwrap_or(0))
    );
    println!("latency:     upload {}", l("upload"));
    println!("             request {}", l("request"));
    if r["latency_ms"]["publish"]["count"].as_u64().unwrap_or(0) > 0 {
        println!("             last chunk {}", l("last_chunk"));
        println!("             publish {}", l("publish"));
    }
    println!("login+token: {} ms", r["login_ms"]);
    if r["errors"].as_object().is_some_and(|e| !e.is_empty()) {
        println!("errors:      {}", r["errors"]);
        println!("first error: {}", r["first_error"].as_str().unwrap_or(""));
    }
}

async fn worker(w: usize, client: Client, args: Arc<BenchArgs>, totals: Arc<Totals>, run_id: String, deadline: Instant) -> WorkerResult {
    let mut rng = SmallRng::seed_from_u64(rand::rng().random());
    let timer = Arc::new(RequestTimer::new());
    let mut res = WorkerResult {
        uploads: histogram(),
        requests: histogram(),
        last_chunk: histogram(),
        publish: histogram(),
        errors: BTreeMap::new(),
        first_error: None,
    };
    let mut consecutive_errors = 0;
    let ext = if args.kind == Kind::Png { "png" } else { "txt" };
    for n in 0u64.. {
        let go = match args.count {
            Some(c) => totals.attempted.fetch_add(1, Ordering::Relaxed) < c,
            None => Instant::now() < deadline,
        };
        if !go {
            if args.count.is_some() {
                totals.attempted.fetch_sub(1, Ordering::Relaxed);
            }
            break;
        }
        if args.count.is_none() {
            totals.attempted.fetch_add(1, Ordering::Relaxed);
        }
        let size = args.size.pick(&mut rng);
        let seed = rng.next_u64();
        let g0 = Instant::now();
        let (data, sha1) = if size > 256 * 1024 {
            let kind = args.kind;
            tokio::task::spawn_blocking(move || make_content(kind, size, seed))
                .await
                .unwrap_or_else(|_| (Bytes::new(), String::new()))
        } else {
            make_content(args.kind, size, seed)
        };
        totals.gen_micros.fetch_add(g0.elapsed().as_micros() as u64, Ordering::Relaxed);
        let name = format!("{}-{run_id}-{w}-{n}.{ext}", args.prefix);
        let opts = UploadOptions {
            comment: "mwupload bench".into(),
            ignore_warnings: true,
            chunk_size: args.chunk_size,
            async_mode: args.async_mode,
            ..UploadOptions::default()
        };
        let len = data.len() as u64;
        let source = UploadSource::Bytes(data);
        let t0 = Instant::now();
        let r = client.upload(&source, &name, &opts, None, timer.clone()).await;
        let elapsed = t0.elapsed();
        // Freeing a large buffer takes milliseconds: not the server's time.
        drop(source);
        timer.upload_ended(matches!(r, Ok(UploadOutcome::Success(_))));
        let outcome = match r {
            Ok(UploadOutcome::Success(up)) => {
                let remote = match up.sha1 {
                    Some(s) => Some(s),
                    None => client.file_info(&up.filename).await.ok().flatten().and_then(|i| i.sha1),
                };
                if remote.as_deref() == Some(sha1.as_str()) {
                    totals.verified.fetch_add(1, Ordering::Relaxed);
                    Ok(())
                } else {
                    totals.mismatched.fetch_add(1, Ordering::Relaxed);
                    Err((
                        "sha1-mismatch".to_string(),
                        format!("{name}: sent {sha1}, imageinfo says {remote:?}"),
                    ))
                }
            }
            Ok(UploadOutcome::Warnings { warnings, .. }) => {
                let keys: Vec<_> = warnings.iter().map(|w| w.key().to_string()).collect();
                Err((format!("warning:{}", keys.join("+")), format!("{name}: {warnings:?}")))
            }
            Err(e) => {
                let code = match &e {
                    Error::Api(a) => a.code.clone(),
                    Error::Http(_) => "network".into(),
                    Error::Status { status, .. } => format!("http-{status}"),
                    _ => "client".into(),
                };
                Err((code, format!("{name}: {e}")))
            }
        };
        match outcome {
            Ok(()) => {
                consecutive_errors = 0;
                totals.succeeded.fetch_add(1, Ordering::Relaxed);
                totals.bytes.fetch_add(len, Ordering::Relaxed);
                let _ = res.uploads.record(elapsed.as_micros().clamp(1, 3_600_000_000) as u64);
            }
            Err((code, msg)) => {
                *res.errors.entry(code).or_default() += 1;
                res.first_error.get_or_insert(msg);
                consecutive_errors += 1;
                if consecutive_errors >= 10 {
                    break; // the wiki keeps refusing: stop this worker rather than spin
                }
            }
        }
    }
    let mut t = timer.lock();
    res.requests = std::mem::replace(&mut t.requests, histogram());
    res.last_chunk = std::mem::replace(&mut t.last_chunk, histogram());
    res.publish = std::mem::replace(&mut t.publish, histogram());
    drop(t);
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mixes() {
        assert_eq!(parse_mix("10KiB").unwrap(), SizeMix(vec![(10240, 1)]));
        assert_eq!(parse_mix("10KiB:9,1MiB:1").unwrap(), SizeMix(vec![(10240, 9), (1 << 20, 1)]));
        assert!(parse_mix("").is_err() && parse_mix("0").is_err() && parse_mix("1K:x").is_err());
        let m = parse_mix("1K:1,2K:3").unwrap();
        let mut rng = SmallRng::seed_from_u64(1);
        let big = (0..4000).filter(|_| m.pick(&mut rng) == 2048).count();
        assert!((2700..3300).contains(&big), "{big}");
    }

    #[test]
    fn pngs_are_valid_and_near_the_size() {
        for target in [100u64, 10 * 1024, 300_000, 3 << 20] {
            let mut rng = SmallRng::seed_from_u64(target);
            let p = random_png(target, &mut rng);
            assert_eq!(&p[..8], b"\x89PNG\r\n\x1a\n");
            let diff = (p.len() as i64 - target as i64).abs();
            assert!(diff < 800, "target {target}, got {}", p.len());
            // IHDR's CRC, and the zlib stream's checksum over the pixel rows.
            let ihdr = &p[12..29];
            assert_eq!(&p[29..33], &crc32fast::hash(ihdr).to_be_bytes());
            let w = u32::from_be_bytes(p[16..20].try_into().unwrap()) as usize;
            let h = u32::from_be_bytes(p[20..24].try_into().unwrap()) as usize;
            let idat_len = u32::from_be_bytes(p[33..37].try_into().unwrap()) as usize;
            let z = &p[41..41 + idat_len];
            let mut raw = Vec::new();
            let mut i = 2;
            while i < z.len() - 4 {
                let len = u16::from_le_bytes([z[i + 1], z[i + 2]]) as usize;
                raw.extend_from_slice(&z[i + 5..i + 5 + len]);
                i += 5 + len;
            }
            assert_eq!(raw.len(), (1 + 3 * w) * h);
            assert_eq!(&z[z.len() - 4..], &adler32(&raw).to_be_bytes());
        }
        let mut a = SmallRng::seed_from_u64(1);
        let mut b = SmallRng::seed_from_u64(2);
        assert_ne!(random_png(1000, &mut a), random_png(1000, &mut b));
    }

    #[test]
    fn text_is_plain() {
        let t = random_text(1000, &mut SmallRng::seed_from_u64(3));
        assert_eq!(t.len(), 1000);
        assert!(t.iter().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'\n'));
    }
}
