//! `action=upload` as MediaWiki documents it: direct multipart uploads, chunked uploads into the
//! stash (`stash=1`, `filesize`, `offset`, `chunk`, `filekey`), publishing a stashed file by
//! `filekey`, `async=1` with `checkstatus` polling, and the recoveries clients need:
//! resyncing to the server's `offset` after `stashfailed`, resuming an interrupted chunk session,
//! and starting over when the stash forgot the session.
//!
//! Bytes are streamed from disk (or from memory for generated content); a file is never read
//! into memory whole.

use crate::api::{Call, Client, FilePart};
use crate::error::{ApiError, Error, Result, as_u64};
use crate::warnings::UploadWarning;
use bytes::Bytes;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Where the bytes of an upload come from.
#[derive(Debug, Clone)]
pub enum UploadSource {
    /// A file on disk, read in pieces as the request body is sent.
    File { path: PathBuf, size: u64 },
    /// Bytes in memory (sliced without copying).
    Bytes(Bytes),
}

impl UploadSource {
    /// A file source; its size is taken now.
    pub fn file(path: impl AsRef<Path>) -> std::io::Result<UploadSource> {
        let path = path.as_ref().to_path_buf();
        let size = std::fs::metadata(&path)?.len();
        Ok(UploadSource::File { path, size })
    }

    pub fn len(&self) -> u64 {
        match self {
            UploadSource::File { size, .. } => *size,
            UploadSource::Bytes(b) => b.len() as u64,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A multipart part with `len` bytes from `offset`; `progress` hears the absolute position
    /// in the source as bytes are handed to the connection.
    pub(crate) fn part(&self, offset: u64, len: u64, progress: Option<Arc<dyn Fn(u64) + Send + Sync>>) -> Result<reqwest::multipart::Part> {
        let body = match self {
            UploadSource::File { path, .. } => {
                let mut f = std::fs::File::open(path)?;
                f.seek(SeekFrom::Start(offset))?;
                let reader = tokio::io::AsyncReadExt::take(tokio::fs::File::from_std(f), len);
                let mut pos = offset;
                let stream = tokio_util::io::ReaderStream::with_capacity(reader, 256 * 1024).map(move |r| {
                    if let (Ok(b), Some(p)) = (&r, &progress) {
                        pos += b.len() as u64;
                        p(pos);
                    }
                    r
                });
                reqwest::Body::wrap_stream(stream)
            }
            UploadSource::Bytes(b) => {
                let start = (offset as usize).min(b.len());
                let end = (offset.saturating_add(len) as usize).min(b.len());
                let slice = b.slice(start..end);
                if let Some(p) = progress {
                    p(end as u64);
                }
                reqwest::Body::from(slice)
            }
        };
        // The part's own file name and type are ignored by MediaWiki; pywikibot sends these.
        Ok(reqwest::multipart::Part::stream_with_length(body, len)
            .file_name("FAKE-NAME")
            .mime_str("application/octet-stream")?)
    }

    /// SHA-1 (lowercase hex, as imageinfo reports it) of the whole source, read in 1 MiB pieces.
    pub fn sha1_blocking(&self) -> std::io::Result<String> {
        use sha1::Digest;
        let mut h = sha1::Sha1::new();
        match self {
            UploadSource::File { path, .. } => {
                let mut f = std::fs::File::open(path)?;
                let mut buf = vec![0u8; 1 << 20];
                loop {
                    let n = f.read(&mut buf)?;
                    if n == 0 {
                        break;
                    }
                    h.update(&buf[..n]);
                }
            }
            UploadSource::Bytes(b) => h.update(b),
        }
        Ok(hex::encode(h.finalize()))
    }
}

/// How to upload.
#[derive(Debug, Clone)]
pub struct UploadOptions {
    /// Upload summary (`comment`), also the log comment.
    pub comment: String,
    /// Initial description page text (`text`); MediaWiki uses `comment` when absent.
    pub text: Option<String>,
    /// Send `ignorewarnings` when publishing: overwrite existing files, accept duplicates.
    pub ignore_warnings: bool,
    /// Files larger than this go in chunks of this size; 0 = always direct.
    pub chunk_size: u64,
    /// Ask for asynchronous assembly and publishing (`async=1`), polling `checkstatus`.
    /// Wikis without `$wgEnableAsyncUploads` silently answer synchronously.
    pub async_mode: bool,
    /// Expected SHA-1 (hex) of the source: the stash and the published file are checked
    /// against it, and a lost publish answer is recognised by it.
    pub sha1: Option<String>,
    /// Pace chunked uploads to about this many bytes per second.
    pub max_bytes_per_sec: Option<u64>,
    /// Give up polling `checkstatus` after this long.
    pub poll_timeout: Duration,
}

impl Default for UploadOptions {
    fn default() -> Self {
        UploadOptions {
            comment: String::new(),
            text: None,
            ignore_warnings: false,
            chunk_size: 5 << 20,
            async_mode: false,
            sha1: None,
            max_bytes_per_sec: None,
            poll_timeout: Duration::from_secs(1800),
        }
    }
}

/// Where an interrupted upload can go on from; persist it to resume after a crash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "stage", rename_all = "lowercase")]
pub enum Resume {
    /// A chunk session: the server acknowledged `offset` bytes under `filekey`.
    Chunks { filekey: String, offset: u64 },
    /// The whole file is in the stash under `filekey`, waiting to be published.
    Stashed { filekey: String },
}

/// What happened during an upload, for progress display and checkpoints.
#[derive(Debug, Clone)]
pub enum UploadEvent<'a> {
    /// `pos` of `total` bytes handed to the connection (goes back on a retry or resync).
    Progress { pos: u64, total: u64 },
    /// A request carrying `bytes` of the file was answered successfully after `elapsed`.
    Sent { bytes: u64, elapsed: Duration },
    /// A point to resume from (after every acknowledged chunk, and once stashed).
    Checkpoint(&'a Resume),
    /// Going on with a previous session at the offset the server reported.
    Resumed { offset: u64 },
    /// The server's offset differed from ours (`stashfailed` with `offset`): continuing there.
    Resynced { from: u64, to: u64 },
    /// Starting over from byte 0 (the stash forgot the session, or the stashed bytes differ).
    Restarted { reason: String },
    /// Waiting for the server (`Poll`): `stage` is `queued`, `assembling`, `publish`…
    Waiting { stage: String },
    /// Publishing the stashed file.
    Publishing,
    /// The publish was answered (asynchronously: its final status came); the answer is checked next.
    PublishAnswered,
}

/// Hears [`UploadEvent`]s.
pub trait Observer: Send + Sync {
    fn event(&self, e: UploadEvent<'_>);
}

/// An observer that ignores everything.
pub struct Quiet;
impl Observer for Quiet {
    fn event(&self, _: UploadEvent<'_>) {}
}

/// A published file.
#[derive(Debug, Clone)]
pub struct Uploaded {
    /// The file's name on the wiki (underscores, first letter upper-cased), without `File:`.
    pub filename: String,
    pub sha1: Option<String>,
    pub size: Option<u64>,
    pub url: Option<String>,
    /// Warnings the server reported although they were ignored (`ignorewarnings`).
    pub warnings: Vec<UploadWarning>,
    /// The full `imageinfo` of the answer (or of a `prop=imageinfo` query).
    pub imageinfo: Value,
}

/// How an upload ended, short of an error.
#[derive(Debug, Clone)]
pub enum UploadOutcome {
    Success(Uploaded),
    /// The wiki wants confirmation; the file waits in the stash under `filekey` (publish it with
    /// [`Client::publish_stashed`] and `ignore_warnings`, or drop it).
    Warnings {
        warnings: Vec<UploadWarning>,
        filekey: Option<String>,
    },
}

/// The state of a stash key according to `checkstatus=1`.
#[derive(Debug, Clone, PartialEq)]
pub enum UploadStatus {
    /// A chunk session waiting for the chunk at `offset`.
    Continue {
        offset: u64,
    },
    /// An asynchronous operation still running.
    Poll {
        stage: String,
    },
    /// Done: `filekey` is the assembled file's key (after assembly), `filename` the published
    /// name (after publishing).
    Success {
        filekey: Option<String>,
        filename: Option<String>,
        imageinfo: Value,
        warnings: Vec<UploadWarning>,
    },
    Warning {
        warnings: Vec<UploadWarning>,
    },
}

/// A file in the stash (`prop=stashimageinfo`).
#[derive(Debug, Clone, PartialEq)]
pub struct StashInfo {
    pub size: Option<u64>,
    pub sha1: Option<String>,
}

/// A published file's current version (`prop=imageinfo`).
#[derive(Debug, Clone, PartialEq)]
pub struct FileInfo {
    pub name: String,
    pub sha1: Option<String>,
    pub size: Option<u64>,
    pub url: Option<String>,
    pub timestamp: Option<String>,
}

/// One `upload` answer.
#[derive(Debug)]
enum Answer {
    Success {
        filename: Option<String>,
        filekey: Option<String>,
        imageinfo: Value,
        warnings: Vec<UploadWarning>,
    },
    Continue {
        offset: u64,
        filekey: Option<String>,
    },
    Poll {
        stage: String,
        filekey: Option<String>,
    },
    Warning {
        warnings: Vec<UploadWarning>,
        filekey: Option<String>,
    },
}

fn parse_answer(v: &Value) -> Result<Answer> {
    let u = v.get("upload").ok_or_else(|| Error::Protocol(format!("no upload member in {v}")))?;
    let s = |k: &str| u.get(k).and_then(Value::as_str).map(str::to_string);
    let warnings = crate::warnings::parse(u.get("warnings"));
    let filekey = s("filekey").or_else(|| s("sessionkey"));
    Ok(match u.get("result").and_then(Value::as_str) {
        Some("Success") => Answer::Success {
            filename: s("filename"),
            filekey,
            imageinfo: u.get("imageinfo").cloned().unwrap_or(Value::Null),
            warnings,
        },
        Some("Continue") => Answer::Continue {
            offset: u
                .get("offset")
                .and_then(as_u64)
                .ok_or_else(|| Error::Protocol(format!("Continue without offset: {u}")))?,
            filekey,
        },
        Some("Poll") => Answer::Poll {
            stage: s("stage").unwrap_or_default(),
            filekey,
        },
        Some("Warning") => Answer::Warning { warnings, filekey },
        other => return Err(Error::Protocol(format!("unknown upload result {other:?}: {u}"))),
    })
}

fn uploaded(filename: String, imageinfo: Value, warnings: Vec<UploadWarning>) -> Uploaded {
    let ii = &imageinfo;
    Uploaded {
        filename,
        sha1: ii.get("sha1").and_then(Value::as_str).map(str::to_string),
        size: ii.get("size").and_then(as_u64),
        url: ii.get("url").and_then(Value::as_str).map(str::to_string),
        warnings,
        imageinfo,
    }
}

/// Codes saying the stash no longer knows a key (swept, consumed, or never existed).
fn stash_forgot(e: &ApiError) -> bool {
    matches!(
        e.code.as_str(),
        "stashedfilenotfound"
            | "uploadstash-file-not-found"
            | "stashnosuchfilekey"
            | "stashpathinvalid"
            | "missingresult"
            | "invalid-file-key"
    ) || (e.code == "stashfailed"
        && e.offset().is_none()
        && (e.info.contains("No chunked upload session") || e.info.contains("already completed")))
}

impl Client {
    /// Uploads `source` as `filename`: directly when it fits in one chunk, else in chunks into the
    /// stash and then published by filekey. `resume` continues an interrupted upload (it is
    /// checked against the server: a forgotten or different stash entry means starting over).
    pub async fn upload(
        &self,
        source: &UploadSource,
        filename: &str,
        opts: &UploadOptions,
        resume: Option<Resume>,
        obs: Arc<dyn Observer>,
    ) -> Result<UploadOutcome> {
        let chunked = opts.chunk_size > 0 && source.len() > opts.chunk_size;
        let start = match resume {
            Some(Resume::Stashed { filekey }) => match self.check_stashed(&filekey, source.len(), opts).await? {
                Ok(()) => {
                    obs.event(UploadEvent::Resumed { offset: source.len() });
                    return self.publish_checked(&filekey, filename, opts, &*obs).await;
                }
                Err(reason) => {
                    obs.event(UploadEvent::Restarted { reason });
                    None
                }
            },
            Some(Resume::Chunks { filekey, offset }) if chunked => Some((filekey, offset)),
            Some(Resume::Chunks { .. }) => None,
            None => None,
        };
        if !chunked {
            return self.upload_direct(source, filename, opts, obs).await;
        }
        match self.upload_chunks(source, filename, opts, start, obs.clone()).await? {
            Ok(filekey) => self.publish_checked(&filekey, filename, opts, &*obs).await,
            Err(outcome) => Ok(outcome),
        }
    }

    /// One multipart request with the whole file (`file=`).
    pub async fn upload_direct(
        &self,
        source: &UploadSource,
        filename: &str,
        opts: &UploadOptions,
        obs: Arc<dyn Observer>,
    ) -> Result<UploadOutcome> {
        let total = source.len();
        let mut params = vec![("action", "upload".to_string()), ("filename", filename.to_string())];
        push_publish_params(&mut params, opts);
        let o = obs.clone();
        let file = FilePart {
            name: "file",
            source: source.clone(),
            offset: 0,
            len: total,
            progress: Some(Arc::new(move |pos| o.event(UploadEvent::Progress { pos, total }))),
        };
        let t0 = Instant::now();
        let r = self
            .call(Call {
                params,
                post: true,
                token: true,
                file: Some(file),
            })
            .await;
        let v = match r {
            Ok(v) => v,
            Err(Error::Api(e)) if e.code == "fileexists-no-change" => return self.already_there(filename, opts, Error::Api(e)).await,
            Err(e) => return Err(e),
        };
        obs.event(UploadEvent::Sent {
            bytes: total,
            elapsed: t0.elapsed(),
        });
        self.finish_publish(parse_answer(&v)?, filename, opts, &*obs).await
    }

    /// Sends the chunks; `Ok(Ok(filekey))` is the assembled file's stash key.
    async fn upload_chunks(
        &self,
        source: &UploadSource,
        filename: &str,
        opts: &UploadOptions,
        start: Option<(String, u64)>,
        obs: Arc<dyn Observer>,
    ) -> Result<std::result::Result<String, UploadOutcome>> {
        let total = source.len();
        let (mut key, mut offset) = (None::<String>, 0u64);
        if let Some((k, _)) = start {
            match self.upload_status(&k).await {
                Ok(UploadStatus::Continue { offset: o }) if o > 0 && o < total => {
                    obs.event(UploadEvent::Resumed { offset: o });
                    key = Some(k);
                    offset = o;
                }
                Ok(other) => obs.event(UploadEvent::Restarted {
                    reason: format!("the server's chunk session is {other:?}"),
                }),
                Err(Error::Api(e)) => obs.event(UploadEvent::Restarted {
                    reason: format!("the server no longer has the chunk session ({e})"),
                }),
                Err(e) => return Err(e),
            }
        }
        let (run_start, run_offset) = (Instant::now(), offset);
        let (mut restarts, mut stalls) = (0u32, 0u32);
        loop {
            let len = opts.chunk_size.min(total - offset);
            let last = offset + len == total;
            let mut params = vec![
                ("action", "upload".to_string()),
                ("filename", filename.to_string()),
                ("filesize", total.to_string()),
                ("offset", offset.to_string()),
                ("stash", "1".to_string()),
                // Warnings on a chunk would end the session; they are checked at publishing.
                ("ignorewarnings", "1".to_string()),
            ];
            if let Some(k) = &key {
                params.push(("filekey", k.clone()));
            }
            if last && opts.async_mode {
                params.push(("async", "1".to_string()));
            }
            let o = obs.clone();
            let file = FilePart {
                name: "chunk",
                source: source.clone(),
                offset,
                len,
                progress: Some(Arc::new(move |pos| o.event(UploadEvent::Progress { pos, total }))),
            };
            let t0 = Instant::now();
            let r = self
                .call(Call {
                    params,
                    post: true,
                    token: true,
                    file: Some(file),
                })
                .await;
            let answer = match r {
                Ok(v) => parse_answer(&v)?,
                Err(Error::Api(e)) if e.code == "stashfailed" && e.offset().is_some() => {
                    let to = e.offset().unwrap_or(0);
                    if to == offset || to > total || stalls >= 5 {
                        return Err(Error::Api(e));
                    }
                    stalls += 1;
                    obs.event(UploadEvent::Resynced { from: offset, to });
                    offset = to;
                    if to == 0 {
                        key = None;
                    }
                    continue;
                }
                Err(Error::Api(e)) if key.is_some() && stash_forgot(&e) && restarts < 2 => {
                    restarts += 1;
                    obs.event(UploadEvent::Restarted {
                        reason: format!("the server lost the chunk session ({e})"),
                    });
                    key = None;
                    offset = 0;
                    continue;
                }
                Err(e) => return Err(e),
            };
            obs.event(UploadEvent::Sent {
                bytes: len,
                elapsed: t0.elapsed(),
            });
            match answer {
                Answer::Continue { offset: o, filekey } => {
                    if let Some(k) = filekey {
                        key = Some(k);
                    }
                    let Some(k) = key.clone() else {
                        return Err(Error::Protocol("Continue without filekey".into()));
                    };
                    if o <= offset || o > total {
                        stalls += 1;
                        if stalls > 5 {
                            return Err(Error::Protocol(format!(
                                "the server does not advance (offset {o} after sending at {offset})"
                            )));
                        }
                    } else {
                        stalls = 0;
                    }
                    offset = o.min(total);
                    obs.event(UploadEvent::Checkpoint(&Resume::Chunks { filekey: k, offset }));
                    if let Some(rate) = opts.max_bytes_per_sec.filter(|r| *r > 0) {
                        let due = Duration::from_secs_f64((offset - run_offset.min(offset)) as f64 / rate as f64);
                        if let Some(wait) = due.checked_sub(run_start.elapsed()) {
                            tokio::time::sleep(wait).await;
                        }
                    }
                }
                Answer::Success {
                    filekey: Some(k2),
                    imageinfo,
                    ..
                } => {
                    return self.assembled(k2, &imageinfo, opts, &*obs).map(Ok);
                }
                Answer::Success { filekey: None, .. } => {
                    return Err(Error::Protocol("final chunk answered Success without filekey".into()));
                }
                Answer::Poll { stage, filekey } => {
                    let k = filekey
                        .or(key.clone())
                        .ok_or_else(|| Error::Protocol("Poll without filekey".into()))?;
                    obs.event(UploadEvent::Waiting { stage });
                    match self.poll(&k, opts, &*obs).await? {
                        UploadStatus::Success {
                            filekey: Some(k2),
                            imageinfo,
                            ..
                        } => return self.assembled(k2, &imageinfo, opts, &*obs).map(Ok),
                        UploadStatus::Warning { warnings } => return Ok(Err(UploadOutcome::Warnings { warnings, filekey: None })),
                        other => return Err(Error::Protocol(format!("assembly ended with {other:?}"))),
                    }
                }
                Answer::Warning { warnings, filekey } => return Ok(Err(UploadOutcome::Warnings { warnings, filekey })),
            }
        }
    }

    /// The file is assembled in the stash: check its SHA-1 and remember the key.
    fn assembled(&self, k2: String, imageinfo: &Value, opts: &UploadOptions, obs: &dyn Observer) -> Result<String> {
        if let (Some(want), Some(got)) = (&opts.sha1, imageinfo.get("sha1").and_then(Value::as_str))
            && !want.eq_ignore_ascii_case(got)
        {
            return Err(Error::Sha1Mismatch {
                local: want.clone(),
                remote: got.to_string(),
            });
        }
        obs.event(UploadEvent::Checkpoint(&Resume::Stashed { filekey: k2.clone() }));
        Ok(k2)
    }

    /// Checks a stashed file before publishing it: `Ok(Err(reason))` means start over.
    async fn check_stashed(&self, filekey: &str, size: u64, opts: &UploadOptions) -> Result<std::result::Result<(), String>> {
        match self.stash_info(filekey).await {
            Ok(info) => {
                if info.size.is_some_and(|s| s != size) {
                    return Ok(Err(format!("the stashed file has {} bytes, not {size}", info.size.unwrap_or(0))));
                }
                if let (Some(want), Some(got)) = (&opts.sha1, &info.sha1)
                    && !want.eq_ignore_ascii_case(got)
                {
                    return Ok(Err("the stashed file's SHA-1 differs".into()));
                }
                Ok(Ok(()))
            }
            Err(Error::Api(e)) => Ok(Err(format!("the stash no longer has {filekey} ({e})"))),
            Err(e) => Err(e),
        }
    }

    /// Publishes a stashed file; the SHA-1 of the result is checked against `opts.sha1`.
    pub async fn publish_stashed(&self, filekey: &str, filename: &str, opts: &UploadOptions) -> Result<UploadOutcome> {
        self.publish_checked(filekey, filename, opts, &Quiet).await
    }

    async fn publish_checked(&self, filekey: &str, filename: &str, opts: &UploadOptions, obs: &dyn Observer) -> Result<UploadOutcome> {
        obs.event(UploadEvent::Publishing);
        let mut params = vec![
            ("action", "upload".to_string()),
            ("filename", filename.to_string()),
            ("filekey", filekey.to_string()),
        ];
        push_publish_params(&mut params, opts);
        if opts.async_mode {
            params.push(("async", "1".to_string()));
        }
        let v = match self.call(Call::write(params)).await {
            Ok(v) => v,
            // A lost answer to an earlier attempt may have published it already.
            Err(Error::Api(e)) if stash_forgot(&e) || e.code == "fileexists-no-change" => {
                return self.already_there(filename, opts, Error::Api(e)).await;
            }
            Err(e) => return Err(e),
        };
        let answer = parse_answer(&v)?;
        if let Answer::Poll { stage, .. } = &answer {
            obs.event(UploadEvent::Waiting { stage: stage.clone() });
            let status = self.poll(filekey, opts, obs).await?;
            obs.event(UploadEvent::PublishAnswered);
            return match status {
                UploadStatus::Success {
                    filename: name,
                    imageinfo,
                    warnings,
                    ..
                } => {
                    let up = uploaded(name.unwrap_or_else(|| filename.to_string()), imageinfo, warnings);
                    self.verify(up, opts).await.map(UploadOutcome::Success)
                }
                UploadStatus::Warning { warnings } => Ok(UploadOutcome::Warnings {
                    warnings,
                    filekey: Some(filekey.to_string()),
                }),
                other => Err(Error::Protocol(format!("publishing ended with {other:?}"))),
            };
        }
        obs.event(UploadEvent::PublishAnswered);
        self.finish_publish(answer, filename, opts, obs).await
    }

    async fn finish_publish(&self, answer: Answer, filename: &str, opts: &UploadOptions, _obs: &dyn Observer) -> Result<UploadOutcome> {
        match answer {
            Answer::Success {
                filename: name,
                imageinfo,
                warnings,
                ..
            } => {
                let up = uploaded(name.unwrap_or_else(|| filename.to_string()), imageinfo, warnings);
                self.verify(up, opts).await.map(UploadOutcome::Success)
            }
            Answer::Warning { warnings, filekey } => Ok(UploadOutcome::Warnings { warnings, filekey }),
            other => Err(Error::Protocol(format!("unexpected answer to a publish: {other:?}"))),
        }
    }

    /// Checks the published SHA-1 (asking `prop=imageinfo` when the answer had none).
    async fn verify(&self, mut up: Uploaded, opts: &UploadOptions) -> Result<Uploaded> {
        let Some(want) = &opts.sha1 else { return Ok(up) };
        if up.sha1.is_none()
            && let Some(info) = self.file_info(&up.filename).await?
        {
            up.sha1 = info.sha1;
        }
        match &up.sha1 {
            Some(got) if !got.eq_ignore_ascii_case(want) => Err(Error::Sha1Mismatch {
                local: want.clone(),
                remote: got.clone(),
            }),
            _ => Ok(up),
        }
    }

    /// After `fileexists-no-change` or a vanished stash key while publishing: if the wiki's
    /// current version of `filename` has our SHA-1, the upload is there (perhaps by our own
    /// earlier attempt whose answer was lost).
    async fn already_there(&self, filename: &str, opts: &UploadOptions, err: Error) -> Result<UploadOutcome> {
        if let Some(want) = &opts.sha1
            && let Some(info) = self.file_info(filename).await?
            && info.sha1.as_deref().is_some_and(|s| s.eq_ignore_ascii_case(want))
        {
            let ii = serde_json::json!({"sha1": info.sha1, "size": info.size, "url": info.url, "timestamp": info.timestamp});
            return Ok(UploadOutcome::Success(uploaded(info.name, ii, Vec::new())));
        }
        Err(err)
    }

    /// Polls `checkstatus` until the result is no longer `Poll`.
    async fn poll(&self, filekey: &str, opts: &UploadOptions, obs: &dyn Observer) -> Result<UploadStatus> {
        let deadline = Instant::now() + opts.poll_timeout;
        let mut delay = Duration::from_millis(250);
        let mut last_stage = String::new();
        loop {
            match self.upload_status(filekey).await? {
                UploadStatus::Poll { stage } => {
                    if stage != last_stage {
                        obs.event(UploadEvent::Waiting { stage: stage.clone() });
                        last_stage = stage;
                    }
                    if Instant::now() > deadline {
                        return Err(Error::Protocol(format!("still {last_stage} after {:?}", opts.poll_timeout)));
                    }
                    tokio::time::sleep(delay).await;
                    delay = delay.mul_f32(1.5).min(Duration::from_secs(2));
                }
                other => return Ok(other),
            }
        }
    }

    /// `action=upload&checkstatus=1&filekey=…`: where a chunk session or async job stands.
    pub async fn upload_status(&self, filekey: &str) -> Result<UploadStatus> {
        let v = self
            .call(Call::write(vec![
                ("action", "upload".into()),
                ("checkstatus", "1".into()),
                ("filekey", filekey.into()),
            ]))
            .await?;
        let u = &v["upload"];
        let s = |k: &str| u.get(k).and_then(Value::as_str).map(str::to_string);
        Ok(match u["result"].as_str() {
            Some("Continue") => UploadStatus::Continue {
                offset: u.get("offset").and_then(as_u64).unwrap_or(0),
            },
            Some("Poll") => UploadStatus::Poll {
                stage: s("stage").unwrap_or_default(),
            },
            Some("Success") => UploadStatus::Success {
                filekey: s("filekey"),
                filename: s("filename"),
                imageinfo: u.get("imageinfo").cloned().unwrap_or(Value::Null),
                warnings: crate::warnings::parse(u.get("warnings")),
            },
            Some("Warning") => UploadStatus::Warning {
                warnings: crate::warnings::parse(u.get("warnings")),
            },
            other => return Err(Error::Protocol(format!("unknown checkstatus result {other:?}: {v}"))),
        })
    }

    /// `prop=stashimageinfo` for one key: size and SHA-1 of a stashed file.
    pub async fn stash_info(&self, filekey: &str) -> Result<StashInfo> {
        let v = self
            .get(&[
                ("action", "query"),
                ("prop", "stashimageinfo"),
                ("siifilekey", filekey),
                ("siiprop", "size|sha1"),
            ])
            .await?;
        let i = v["query"]["stashimageinfo"]
            .get(0)
            .ok_or_else(|| Error::Protocol(format!("no stashimageinfo in {v}")))?;
        Ok(StashInfo {
            size: i.get("size").and_then(as_u64),
            sha1: i.get("sha1").and_then(Value::as_str).map(str::to_string),
        })
    }

    /// Names of the current files whose content has this SHA-1 (`list=allimages&aisha1=`).
    pub async fn find_by_sha1(&self, sha1: &str) -> Result<Vec<String>> {
        let v = self
            .get(&[
                ("action", "query"),
                ("list", "allimages"),
                ("aisha1", sha1),
                ("aiprop", "sha1"),
                ("ailimit", "50"),
            ])
            .await?;
        Ok(v["query"]["allimages"]
            .as_array()
            .map(|a| a.iter().filter_map(|i| i["name"].as_str().map(str::to_string)).collect())
            .unwrap_or_default())
    }

    /// The current version of `File:<name>`, or `None` when there is no such file.
    pub async fn file_info(&self, name: &str) -> Result<Option<FileInfo>> {
        let title = format!("File:{name}");
        let v = self
            .get(&[
                ("action", "query"),
                ("prop", "imageinfo"),
                ("titles", &title),
                ("iiprop", "sha1|size|url|timestamp"),
            ])
            .await?;
        let Some(page) = v["query"]["pages"].get(0) else { return Ok(None) };
        let Some(ii) = page["imageinfo"].get(0) else { return Ok(None) };
        let name = page["title"]
            .as_str()
            .and_then(|t| t.split_once(':').map(|(_, n)| n.replace(' ', "_")))
            .unwrap_or_else(|| name.to_string());
        Ok(Some(FileInfo {
            name,
            sha1: ii["sha1"].as_str().map(str::to_string),
            size: ii.get("size").and_then(as_u64),
            url: ii["url"].as_str().map(str::to_string),
            timestamp: ii["timestamp"].as_str().map(str::to_string),
        }))
    }

    /// `meta=siteinfo&siprop=general`: the fields uploaders care about.
    pub async fn site_info(&self) -> Result<SiteInfo> {
        let v = self
            .get(&[("action", "query"), ("meta", "siteinfo"), ("siprop", "general")])
            .await?;
        let g = &v["query"]["general"];
        Ok(SiteInfo {
            generator: g["generator"].as_str().unwrap_or("").to_string(),
            sitename: g["sitename"].as_str().unwrap_or("").to_string(),
            uploads_enabled: g.get("uploadsenabled").is_some_and(|u| u.as_bool() != Some(false)),
            max_upload_size: g.get("maxuploadsize").and_then(as_u64),
            min_upload_chunk_size: g.get("minuploadchunksize").and_then(as_u64),
        })
    }
}

/// `meta=siteinfo` general fields.
#[derive(Debug, Clone)]
pub struct SiteInfo {
    pub generator: String,
    pub sitename: String,
    pub uploads_enabled: bool,
    pub max_upload_size: Option<u64>,
    pub min_upload_chunk_size: Option<u64>,
}

fn push_publish_params(params: &mut Vec<(&'static str, String)>, opts: &UploadOptions) {
    params.push(("comment", opts.comment.clone()));
    if let Some(t) = &opts.text {
        params.push(("text", t.clone()));
    }
    if opts.ignore_warnings {
        params.push(("ignorewarnings", "1".into()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn answers_parse() {
        match parse_answer(&json!({"upload": {"result": "Continue", "offset": 5000, "filekey": "k.1.png"}})).unwrap() {
            Answer::Continue { offset, filekey } => assert_eq!((offset, filekey.as_deref()), (5000, Some("k.1.png"))),
            a => panic!("{a:?}"),
        }
        match parse_answer(&json!({"upload": {"result": "Warning", "warnings": {"exists": "A.png"}, "sessionkey": "s.1.png"}})).unwrap() {
            Answer::Warning { warnings, filekey } => {
                assert_eq!(filekey.as_deref(), Some("s.1.png"));
                assert_eq!(warnings, vec![UploadWarning::Exists("A.png".into())]);
            }
            a => panic!("{a:?}"),
        }
        assert!(parse_answer(&json!({"upload": {"result": "Bogus"}})).is_err());
        assert!(parse_answer(&json!({"query": {}})).is_err());
    }

    #[test]
    fn stash_codes() {
        let e = |code: &str, info: &str, data: Value| ApiError {
            code: code.into(),
            info: info.into(),
            data: data.as_object().cloned().unwrap_or_default(),
        };
        assert!(stash_forgot(&e("uploadstash-file-not-found", "Key not found", json!({}))));
        assert!(stash_forgot(&e(
            "stashfailed",
            "No chunked upload session with this key.",
            json!({})
        )));
        assert!(!stash_forgot(&e("stashfailed", "Invalid chunk offset", json!({"offset": "5000"}))));
        assert!(!stash_forgot(&e(
            "stashfailed",
            "This file did not pass file verification.",
            json!({})
        )));
        assert_eq!(e("stashfailed", "", json!({"offset": "5000"})).offset(), Some(5000));
        assert_eq!(e("stashfailed", "", json!({"offset": 7})).offset(), Some(7));
    }

    #[tokio::test]
    async fn file_parts_stream_the_requested_range() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.bin");
        let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&p, &data).unwrap();
        let src = UploadSource::file(&p).unwrap();
        assert_eq!(src.len(), 300_000);
        assert_eq!(
            src.sha1_blocking().unwrap(),
            UploadSource::Bytes(Bytes::from(data.clone())).sha1_blocking().unwrap()
        );
        // The body is exercised through a local echo of what reqwest sends.
        let seen = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let s2 = seen.clone();
        let part = src
            .part(
                1000,
                270_000,
                Some(Arc::new(move |p| s2.store(p, std::sync::atomic::Ordering::SeqCst))),
            )
            .unwrap();
        let form = reqwest::multipart::Form::new().part("chunk", part);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let (mut s, _) = listener.accept().await.unwrap();
            let mut buf = Vec::new();
            let mut tmp = vec![0u8; 65536];
            loop {
                let n = s.read(&mut tmp).await.unwrap();
                buf.extend_from_slice(&tmp[..n]);
                if n == 0 || buf.ends_with(b"--\r\n") {
                    break;
                }
            }
            s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}")
                .await
                .unwrap();
            buf
        });
        let r = reqwest::Client::new()
            .post(format!("http://{addr}/"))
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let body = server.await.unwrap();
        let needle = &data[1000..271_000];
        assert!(
            body.windows(needle.len()).any(|w| w == needle),
            "the part carries exactly the range"
        );
        assert_eq!(seen.load(std::sync::atomic::Ordering::SeqCst), 271_000);
    }
}
