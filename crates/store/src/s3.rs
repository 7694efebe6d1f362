//! Blobs on an S3-compatible object store (AWS S3, Garage, Ceph RGW, MinIO…), through
//! `object_store`.
//!
//! Objects: `<prefix>blobs/<key>` for blobs, `<prefix>sessions/<key>/<name>` for the objects of
//! chunked sessions. Names are random and never reused, so no write ever needs a conditional
//! create (some servers ignore `If-None-Match`): the database decides what exists.
//!
//! * **Whole blobs** ([`BlobStore::put_file`]) are uploaded from the scratch file by multipart
//!   upload in `part_size` parts, `concurrency` at a time: memory stays at about
//!   `part_size × (concurrency + 1)` whatever the size. Reads stream ranged GETs.
//! * **Chunked sessions** keep their bytes in objects of the session: **part objects** of at
//!   least 5 MiB (S3's smallest multipart part) written while a chunk's bytes arrive, and small
//!   **tail objects** for bytes that do not fill a part yet (MediaWiki's chunks may be as small
//!   as 1 KiB). The tail is durable between requests, so any replica can take the next chunk,
//!   and is folded into the next part object. Tail objects merge like a binary counter (a new
//!   one absorbs older ones no larger than itself): a session of 1 KiB chunks keeps O(log n) of
//!   them and rewrites each byte O(log n) times before it reaches a part. The session state is
//!   the list of these objects, a small JSON string the database stores with the offset.
//!   Every attempt writes objects under fresh random names, so a stale writer (lease expired)
//!   can never overwrite anything the committed state refers to.
//! * **Assembly** ([`BlobStore::finish_session`]) is server-side: one multipart upload of the
//!   final object whose parts are `UploadPartCopy`s of the part objects (numbered 1..n by the
//!   assembler alone, who holds the lease), plus the tail as the last part; no byte of the file
//!   comes back through this process. The cost is one copy inside the store (Garage copies block
//!   references; AWS copies internally).
//! * Session bytes are not readable before assembly ([`BlobStore::session_bytes_readable`]
//!   is false): the domain never needs them.
//!
//! `object_store` has no UploadPartCopy call of its own, so that one request is sent here,
//! signed with `object_store`'s SigV4 signer.

use crate::blob::{BlobAppend, BlobReader, BlobStore, Materialized};
use crate::scratch::Scratch;
use async_trait::async_trait;
use bytes::BytesMut;
use futures_util::{StreamExt, TryStreamExt};
use object_store::aws::{AmazonS3, AmazonS3Builder, AwsAuthorizer};
use object_store::multipart::{MultipartStore, PartId};
use object_store::path::Path as ObjPath;
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart};
use serde::{Deserialize, Serialize};
use std::io;
use std::path::Path;
use std::sync::Arc;
use std::time::SystemTime;
use tokio::io::AsyncReadExt;

/// S3's smallest part (all but the last), and its largest part number.
pub const MIN_PART: usize = 5 << 20;
const MAX_PARTS: usize = 10_000;

/// Where and how to reach the bucket.
#[derive(Debug, Clone)]
pub struct S3Config {
    /// `http(s)://host:port` of an S3-compatible server; empty: AWS S3 in `region`.
    pub endpoint: String,
    pub bucket: String,
    pub region: String,
    /// Empty: from the environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, …).
    pub access_key_id: String,
    pub secret_access_key: String,
    /// Path-style requests (`endpoint/bucket/key`), as most self-hosted servers want.
    pub path_style: bool,
    /// Prepended to every object name (e.g. `wiki1/`), so one bucket can hold several wikis.
    pub prefix: String,
    /// Size of the parts uploaded (at least 5 MiB). 10,000 parts of it bound a file's size.
    pub part_size: usize,
    /// Parts uploaded at once per upload.
    pub concurrency: usize,
    /// Base URL where every object is readable without credentials (`<public_url>/<object
    /// name>`): [`BlobStore::download_url`] names it. Empty: none.
    pub public_url: String,
    /// When not 0 (and no `public_url`): [`BlobStore::download_url`] is a presigned GET valid
    /// this many seconds.
    pub presign_secs: u64,
}

impl Default for S3Config {
    fn default() -> Self {
        S3Config {
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

struct Inner {
    store: AmazonS3,
    cfg: S3Config,
    /// `<prefix>` normalized: empty or ending in `/`.
    prefix: String,
    http: reqwest::Client,
}

/// The S3 blob store: an `object_store` client plus this process's scratch directory.
pub struct S3BlobStore {
    inner: Arc<Inner>,
    scratch: Scratch,
}

impl std::fmt::Debug for S3BlobStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3BlobStore")
            .field("endpoint", &self.inner.cfg.endpoint)
            .field("bucket", &self.inner.cfg.bucket)
            .field("prefix", &self.inner.prefix)
            .finish()
    }
}

fn obj_err(e: object_store::Error) -> io::Error {
    match e {
        object_store::Error::NotFound { .. } => io::Error::new(io::ErrorKind::NotFound, e.to_string()),
        other => io::Error::other(other.to_string()),
    }
}

fn bad_state(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("S3 session state: {what}"))
}

impl S3BlobStore {
    /// Connects (lazily: no request is made here) and opens this process's scratch directory
    /// under `scratch_parent` (a local directory; only request bodies and analysis copies).
    pub fn open(cfg: S3Config, scratch_parent: &Path) -> io::Result<S3BlobStore> {
        if cfg.bucket.is_empty() {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "storage.bucket is required for S3"));
        }
        if cfg.part_size < MIN_PART {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("storage.part_size must be at least {MIN_PART} bytes"),
            ));
        }
        let prefix = cfg.prefix.trim_matches('/').to_string();
        if !prefix
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_' | b'.'))
            || prefix.split('/').any(|s| s == "." || s == "..")
        {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "storage.prefix may only hold letters, digits, '/', '-', '_' and '.'",
            ));
        }
        let prefix = if prefix.is_empty() { prefix } else { format!("{prefix}/") };
        if !cfg.public_url.is_empty() && !cfg.public_url.starts_with("https://") && !cfg.public_url.starts_with("http://") {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "storage.public_url must be an http:// or https:// URL",
            ));
        }
        // (SigV4 presigned URLs are valid for at most 7 days.)
        if cfg.presign_secs > 7 * 24 * 3600 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "storage.presign_secs may be at most 604800 (7 days, S3's limit)",
            ));
        }
        let mut b = AmazonS3Builder::from_env()
            .with_bucket_name(&cfg.bucket)
            .with_region(&cfg.region)
            .with_virtual_hosted_style_request(!cfg.path_style);
        if !cfg.endpoint.is_empty() {
            b = b.with_endpoint(&cfg.endpoint).with_allow_http(cfg.endpoint.starts_with("http://"));
        }
        if !cfg.access_key_id.is_empty() {
            b = b
                .with_access_key_id(&cfg.access_key_id)
                .with_secret_access_key(&cfg.secret_access_key);
        }
        let store = b.build().map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))?;
        let http = reqwest::Client::builder()
            .build()
            .map_err(|e| io::Error::other(format!("HTTP client: {e}")))?;
        Ok(S3BlobStore {
            inner: Arc::new(Inner { store, cfg, prefix, http }),
            scratch: Scratch::open(scratch_parent)?,
        })
    }

    /// Checks that the bucket answers (a listing of at most one object).
    pub async fn check(&self) -> io::Result<()> {
        let p = ObjPath::from(format!("{}blobs", self.inner.prefix));
        let mut list = self.inner.store.list(Some(&p));
        match list.next().await {
            None | Some(Ok(_)) => Ok(()),
            Some(Err(e)) => Err(obj_err(e)),
        }
    }
}

impl Inner {
    fn check_key(key: &str) -> io::Result<()> {
        // Keys are ours (hex); refuse anything else.
        if key.len() < 4 || !key.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "bad blob key"));
        }
        Ok(())
    }

    fn blob_path(&self, key: &str) -> io::Result<ObjPath> {
        Self::check_key(key)?;
        Ok(ObjPath::from(format!("{}blobs/{key}", self.prefix)))
    }

    fn session_dir(&self, key: &str) -> io::Result<ObjPath> {
        Self::check_key(key)?;
        Ok(ObjPath::from(format!("{}sessions/{key}", self.prefix)))
    }

    fn segment_path(&self, key: &str, name: &str) -> io::Result<ObjPath> {
        Ok(ObjPath::from(format!("{}/{name}", self.session_dir(key)?)))
    }

    async fn read_segments(&self, key: &str, segs: &[Obj]) -> io::Result<BytesMut> {
        let total: u64 = segs.iter().map(|s| s.s).sum();
        let mut out = BytesMut::with_capacity(total as usize);
        for seg in segs {
            let b = self
                .store
                .get(&self.segment_path(key, &seg.k)?)
                .await
                .map_err(obj_err)?
                .bytes()
                .await
                .map_err(obj_err)?;
            if b.len() as u64 != seg.s {
                return Err(bad_state("a tail object has another size than recorded"));
            }
            out.extend_from_slice(&b);
        }
        Ok(out)
    }

    /// Removes a session's tail objects (all attempts').
    async fn remove_session_objects(&self, key: &str) -> io::Result<()> {
        let dir = self.session_dir(key)?;
        let paths: Vec<ObjPath> = self
            .store
            .list(Some(&dir))
            .map_ok(|m| m.location)
            .try_collect()
            .await
            .map_err(obj_err)?;
        futures_util::stream::iter(paths)
            .map(|p| async move {
                match self.store.delete(&p).await {
                    Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                    Err(e) => Err(obj_err(e)),
                }
            })
            .buffer_unordered(8)
            .try_collect::<Vec<()>>()
            .await?;
        Ok(())
    }

    /// The URL of an object, as `object_store` builds it.
    fn object_url(&self, path: &ObjPath) -> String {
        let base = if self.cfg.endpoint.is_empty() {
            format!("https://s3.{}.amazonaws.com", self.cfg.region)
        } else {
            self.cfg.endpoint.trim_end_matches('/').to_string()
        };
        if self.cfg.path_style {
            format!("{base}/{}/{path}", self.cfg.bucket)
        } else {
            match base.split_once("://") {
                Some((scheme, host)) => format!("{scheme}://{}.{host}/{path}", self.cfg.bucket),
                None => format!("{base}/{}/{path}", self.cfg.bucket),
            }
        }
    }

    /// UploadPartCopy: part `number` of upload `upload_id` of `dest` is a server-side copy of
    /// the object `source`.
    async fn upload_part_copy(&self, dest: &ObjPath, upload_id: &str, number: usize, source: &ObjPath) -> io::Result<PartId> {
        let mut url = reqwest::Url::parse(&self.object_url(dest)).map_err(|e| io::Error::other(format!("object URL: {e}")))?;
        url.query_pairs_mut()
            .append_pair("partNumber", &number.to_string())
            .append_pair("uploadId", upload_id);
        // Object names are plain ASCII (checked keys and prefix): nothing to encode.
        let copy_source = format!("/{}/{source}", self.cfg.bucket);
        let mut req = http::Request::builder()
            .method(http::Method::PUT)
            .uri(url.as_str())
            .header("x-amz-copy-source", &copy_source)
            .body(object_store::client::HttpRequestBody::empty())
            .map_err(|e| io::Error::other(format!("building UploadPartCopy: {e}")))?;
        let credential = self.store.credentials().get_credential().await.map_err(obj_err)?;
        AwsAuthorizer::new(&credential, "s3", &self.cfg.region).authorize(&mut req, None);
        let (head, _) = req.into_parts();
        let resp = self
            .http
            .request(head.method, url)
            .headers(head.headers)
            .send()
            .await
            .map_err(|e| io::Error::other(format!("UploadPartCopy: {e}")))?;
        let status = resp.status();
        let text = resp
            .text()
            .await
            .map_err(|e| io::Error::other(format!("UploadPartCopy response: {e}")))?;
        // S3 may answer 200 with an error document.
        let etag = text
            .split_once("<ETag>")
            .and_then(|(_, rest)| rest.split_once("</ETag>"))
            .map(|(e, _)| xml_unescape(e));
        match etag {
            Some(e) if status.is_success() && !text.contains("<Error>") => Ok(PartId { content_id: e }),
            _ => Err(io::Error::other(format!(
                "UploadPartCopy failed ({status}): {}",
                text.chars().take(500).collect::<String>()
            ))),
        }
    }
}

fn xml_unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// A chunked session's state, kept by the database between requests: the objects holding its
/// bytes, in byte order.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct SessionState {
    /// Part objects, each at least [`MIN_PART`] bytes.
    #[serde(rename = "p", default)]
    parts: Vec<Obj>,
    /// Then tail objects, each smaller than the one before it, together below [`MIN_PART`].
    #[serde(rename = "t", default)]
    tail: Vec<Obj>,
}

/// An object of a session: its name under `sessions/<key>/` and its size.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Obj {
    k: String,
    s: u64,
}

impl SessionState {
    fn parse(s: &str) -> io::Result<SessionState> {
        if s.is_empty() {
            return Ok(SessionState::default());
        }
        serde_json::from_str(s).map_err(|e| bad_state(&e.to_string()))
    }
    fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
    fn parts_len(&self) -> u64 {
        self.parts.iter().map(|p| p.s).sum()
    }
    fn tail_len(&self) -> u64 {
        self.tail.iter().map(|p| p.s).sum()
    }
}

/// A fresh object name for bytes starting at `start`.
fn object_name(kind: &str, start: u64) -> String {
    format!("{kind}-{start:016x}-{}", hex::encode(rand::random::<[u8; 8]>()))
}

/// An attempt's appends: bytes are buffered up to one part, parts go up `concurrency` at a
/// time, and what is left below the part minimum becomes a tail object at `finish`.
struct S3Append {
    inner: Arc<Inner>,
    key: String,
    state: SessionState,
    /// The committed tail objects are still to be prepended (not yet folded into a part).
    tail_pending: bool,
    tail_len: u64,
    buf: BytesMut,
    /// Where the pending bytes start in the session.
    start: u64,
    inflight: tokio::task::JoinSet<io::Result<(u64, Obj)>>,
    new_parts: Vec<(u64, Obj)>,
}

impl S3Append {
    fn pending(&self) -> u64 {
        (if self.tail_pending { self.tail_len } else { 0 }) + self.buf.len() as u64
    }

    /// Writes the first `len` pending bytes (the committed tail first, if still pending) as
    /// one part object.
    async fn emit(&mut self, len: usize) -> io::Result<()> {
        let body = if self.tail_pending {
            let mut b = self.inner.read_segments(&self.key, &self.state.tail).await?;
            self.tail_pending = false;
            let take = len - b.len();
            b.extend_from_slice(&self.buf.split_to(take));
            b.freeze()
        } else {
            self.buf.split_to(len).freeze()
        };
        if self.state.parts.len() + self.new_parts.len() + self.inflight.len() >= MAX_PARTS - 1 {
            return Err(io::Error::other(format!(
                "a file may have at most {MAX_PARTS} parts (raise storage.part_size)"
            )));
        }
        while self.inflight.len() >= self.inner.cfg.concurrency.max(1) {
            self.join_one().await?;
        }
        let start = self.start;
        self.start += body.len() as u64;
        let inner = self.inner.clone();
        let name = object_name("p", start);
        let path = inner.segment_path(&self.key, &name)?;
        self.inflight.spawn(async move {
            let s = body.len() as u64;
            inner.store.put(&path, PutPayload::from(body)).await.map_err(obj_err)?;
            Ok((start, Obj { k: name, s }))
        });
        Ok(())
    }

    async fn join_one(&mut self) -> io::Result<()> {
        if let Some(r) = self.inflight.join_next().await {
            let part = r.map_err(|e| io::Error::other(format!("part upload task: {e}")))??;
            self.new_parts.push(part);
        }
        Ok(())
    }
}

#[async_trait]
impl BlobAppend for S3Append {
    async fn write(&mut self, data: &[u8]) -> io::Result<()> {
        self.buf.extend_from_slice(data);
        let part = self.inner.cfg.part_size as u64;
        while self.pending() >= part {
            self.emit(part as usize).await?;
        }
        Ok(())
    }

    async fn finish(mut self: Box<Self>) -> io::Result<String> {
        if self.pending() >= MIN_PART as u64 {
            let all = self.pending() as usize;
            self.emit(all).await?;
        }
        while !self.inflight.is_empty() {
            self.join_one().await?;
        }
        self.new_parts.sort_by_key(|(start, _)| *start);
        // What is left (below the part minimum) becomes a tail object, absorbing the newest
        // committed ones that are no larger (a binary counter: few objects, little rewriting).
        let mut tail = if self.tail_pending {
            std::mem::take(&mut self.state.tail)
        } else {
            Vec::new()
        };
        let mut absorbed = Vec::new();
        let mut new_len = self.buf.len() as u64;
        while let Some(last) = tail.last() {
            if last.s > new_len {
                break;
            }
            new_len += last.s;
            absorbed.insert(0, tail.pop().ok_or_else(|| bad_state("tail"))?);
        }
        if new_len > 0 {
            let mut body = self.inner.read_segments(&self.key, &absorbed).await?;
            body.extend_from_slice(&self.buf);
            let buf_start = self.start + if self.tail_pending { self.tail_len } else { 0 };
            let start = buf_start - (body.len() as u64 - self.buf.len() as u64);
            let name = object_name("t", start);
            let path = self.inner.segment_path(&self.key, &name)?;
            let s = body.len() as u64;
            self.inner
                .store
                .put(&path, PutPayload::from(body.freeze()))
                .await
                .map_err(obj_err)?;
            tail.push(Obj { k: name, s });
        }
        let mut state = std::mem::take(&mut self.state);
        state.parts.extend(self.new_parts.drain(..).map(|(_, o)| o));
        state.tail = tail;
        Ok(state.to_json())
    }
}

#[async_trait]
impl BlobStore for S3BlobStore {
    fn scratch_dir(&self) -> &Path {
        self.scratch.dir()
    }

    async fn ready(&self) -> io::Result<()> {
        self.check().await
    }

    async fn put_file(&self, key: &str, file: tempfile::TempPath) -> io::Result<()> {
        let path = self.inner.blob_path(key)?;
        let mut f = tokio::fs::File::open(&file).await?;
        let len = f.metadata().await?.len();
        let part = self.inner.cfg.part_size;
        if len <= part as u64 {
            let mut buf = Vec::with_capacity(len as usize);
            f.read_to_end(&mut buf).await?;
            self.inner.store.put(&path, PutPayload::from(buf)).await.map_err(obj_err)?;
            return Ok(());
        }
        let upload = self.inner.store.put_multipart(&path).await.map_err(obj_err)?;
        let mut w = WriteMultipart::new_with_chunk_size(upload, part);
        let mut buf = vec![0u8; 1 << 20];
        let result = async {
            loop {
                let n = f.read(&mut buf).await?;
                if n == 0 {
                    return Ok::<(), io::Error>(());
                }
                w.wait_for_capacity(self.inner.cfg.concurrency.max(1)).await.map_err(obj_err)?;
                w.write(&buf[..n]);
            }
        }
        .await;
        match result {
            Ok(()) => {
                w.finish().await.map_err(obj_err)?;
                Ok(())
            }
            Err(e) => {
                let _ = w.abort().await;
                Err(e)
            }
        }
    }

    async fn begin_session(&self, key: &str) -> io::Result<String> {
        Inner::check_key(key)?;
        Ok(SessionState::default().to_json())
    }

    async fn append_session(&self, key: &str, state: &str, offset: u64) -> io::Result<Box<dyn BlobAppend>> {
        Inner::check_key(key)?;
        let state = SessionState::parse(state)?;
        let tail_len = state.tail_len();
        if state.parts_len() + tail_len != offset {
            return Err(bad_state(&format!(
                "it covers {} bytes, the session is at {offset}",
                state.parts_len() + tail_len
            )));
        }
        Ok(Box::new(S3Append {
            inner: self.inner.clone(),
            key: key.to_string(),
            tail_pending: !state.tail.is_empty(),
            tail_len,
            start: offset - tail_len,
            state,
            buf: BytesMut::new(),
            inflight: tokio::task::JoinSet::new(),
            new_parts: Vec::new(),
        }))
    }

    async fn finish_session(&self, key: &str, state: &str, size: u64) -> io::Result<()> {
        let path = self.inner.blob_path(key)?;
        let st = SessionState::parse(state)?;
        if st.parts_len() + st.tail_len() != size {
            return Err(bad_state("it does not cover the session's size"));
        }
        // Finished already (by an assembler that stopped before committing)?
        match self.inner.store.head(&path).await {
            Ok(meta) if meta.size == size => {
                return self.inner.remove_session_objects(key).await;
            }
            Ok(meta) => {
                return Err(io::Error::other(format!(
                    "blob {key} exists with {} bytes, the session has {size}",
                    meta.size
                )));
            }
            Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => return Err(obj_err(e)),
        }
        let inner = &self.inner;
        match (st.parts.as_slice(), st.tail.is_empty()) {
            ([], _) => {
                // Small: the tail (below 5 MiB) is the whole file.
                let body = inner.read_segments(key, &st.tail).await?;
                inner.store.put(&path, PutPayload::from(body.freeze())).await.map_err(obj_err)?;
            }
            ([only], true) => {
                let src = inner.segment_path(key, &only.k)?;
                inner.store.copy(&src, &path).await.map_err(obj_err)?;
            }
            (parts, _) => {
                let upload_id = inner.store.create_multipart(&path).await.map_err(obj_err)?;
                let result = async {
                    let sources = parts
                        .iter()
                        .enumerate()
                        .map(|(i, obj)| Ok((i + 1, inner.segment_path(key, &obj.k)?)))
                        .collect::<io::Result<Vec<(usize, ObjPath)>>>()?;
                    let (copier, dest, id) = (inner.clone(), path.clone(), upload_id.clone());
                    let mut ids: Vec<PartId> = futures_util::stream::iter(sources)
                        .map(move |(number, src)| {
                            let (copier, dest, id) = (copier.clone(), dest.clone(), id.clone());
                            async move { copier.upload_part_copy(&dest, &id, number, &src).await }
                        })
                        .buffered(inner.cfg.concurrency.max(1))
                        .try_collect()
                        .await?;
                    if !st.tail.is_empty() {
                        // The tail is the last part, the only one allowed below the minimum.
                        let body = inner.read_segments(key, &st.tail).await?;
                        let id = inner
                            .store
                            .put_part(&path, &upload_id, parts.len(), PutPayload::from(body.freeze()))
                            .await
                            .map_err(obj_err)?;
                        ids.push(id);
                    }
                    inner.store.complete_multipart(&path, &upload_id, ids).await.map_err(obj_err)
                }
                .await;
                if let Err(e) = result {
                    let _ = inner.store.abort_multipart(&path, &upload_id).await;
                    // Completed meanwhile by another assembler?
                    match inner.store.head(&path).await {
                        Ok(meta) if meta.size == size => {}
                        _ => return Err(e),
                    }
                }
            }
        }
        let meta = inner.store.head(&path).await.map_err(obj_err)?;
        if meta.size != size {
            return Err(io::Error::other(format!(
                "finished blob {key} has {} bytes, expected {size}",
                meta.size
            )));
        }
        inner.remove_session_objects(key).await
    }

    async fn abort_session(&self, key: &str, _state: &str) -> io::Result<()> {
        self.inner.remove_session_objects(key).await
    }

    fn session_bytes_readable(&self) -> bool {
        false
    }

    async fn download_url(&self, key: &str) -> io::Result<Option<String>> {
        let path = self.inner.blob_path(key)?;
        if !self.inner.cfg.public_url.is_empty() {
            // Object names are ours ([0-9a-f/] and the prefix's checked characters): nothing
            // to escape.
            return Ok(Some(format!("{}/{path}", self.inner.cfg.public_url.trim_end_matches('/'))));
        }
        if self.inner.cfg.presign_secs == 0 {
            return Ok(None);
        }
        use object_store::signer::Signer;
        let url = self
            .inner
            .store
            .signed_url(
                http::Method::GET,
                &path,
                std::time::Duration::from_secs(self.inner.cfg.presign_secs),
            )
            .await
            .map_err(obj_err)?;
        Ok(Some(url.to_string()))
    }

    async fn len(&self, key: &str) -> io::Result<u64> {
        Ok(self.inner.store.head(&self.inner.blob_path(key)?).await.map_err(obj_err)?.size)
    }

    async fn read(&self, key: &str, range: Option<(u64, u64)>) -> io::Result<BlobReader> {
        let path = self.inner.blob_path(key)?;
        let mut opts = GetOptions::default();
        if let Some((start, end)) = range {
            if end <= start {
                // object_store refuses empty ranges; the object must still exist.
                self.inner.store.head(&path).await.map_err(obj_err)?;
                return Ok(Box::pin(tokio::io::empty()));
            }
            opts.range = Some(GetRange::Bounded(start..end));
        }
        let result = self.inner.store.get_opts(&path, opts).await.map_err(obj_err)?;
        let stream = result.into_stream().map_err(obj_err);
        Ok(Box::pin(tokio_util::io::StreamReader::new(stream)))
    }

    async fn materialize(&self, key: &str) -> io::Result<Materialized> {
        use tokio::io::AsyncWriteExt;
        let path = self.inner.blob_path(key)?;
        let tmp = tempfile::Builder::new().prefix("view-").tempfile_in(self.scratch.dir())?;
        let (file, tmp_path) = tmp.into_parts();
        let mut out = tokio::io::BufWriter::with_capacity(1 << 20, tokio::fs::File::from_std(file));
        let mut stream = self.inner.store.get(&path).await.map_err(obj_err)?.into_stream();
        while let Some(chunk) = stream.next().await {
            out.write_all(&chunk.map_err(obj_err)?).await?;
        }
        out.flush().await?;
        Ok(Materialized::new(tmp_path))
    }

    async fn delete(&self, key: &str) -> io::Result<()> {
        match self.inner.store.delete(&self.inner.blob_path(key)?).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => return Err(obj_err(e)),
        }
        self.inner.remove_session_objects(key).await
    }

    async fn keys_older_than(&self, cutoff: SystemTime) -> io::Result<Vec<String>> {
        let cutoff: chrono::DateTime<chrono::Utc> = cutoff.into();
        let mut keys = std::collections::BTreeSet::new();
        for (dir, depth) in [("blobs", 0usize), ("sessions", 1)] {
            let p = ObjPath::from(format!("{}{dir}", self.inner.prefix));
            let mut list = self.inner.store.list(Some(&p));
            while let Some(meta) = list.next().await {
                let meta = meta.map_err(obj_err)?;
                if meta.last_modified >= cutoff {
                    continue;
                }
                // blobs/<key>, or sessions/<key>/<tail object> (swept with its session's key).
                let rel = meta.location.as_ref().strip_prefix(p.as_ref()).unwrap_or("");
                let parts: Vec<&str> = rel.trim_start_matches('/').split('/').collect();
                if parts.len() == depth + 1 && Inner::check_key(parts[0]).is_ok() {
                    keys.insert(parts[0].to_string());
                }
            }
        }
        Ok(keys.into_iter().collect())
    }

    async fn sweep_scratch(&self) -> io::Result<usize> {
        self.scratch.remove_dead()
    }
}
