//! `action=upload` after its parameters were parsed: MediaWiki's `ApiUpload` decisions (rights,
//! source, verification, warnings, stash or publish, sync or async) in MediaWiki's order. The
//! API crate parses parameters into an [`UploadRequest`] and renders the [`UploadResponse`] or
//! the [`UploadFailure`].

use super::chunks::{self, Appended, RoutedChunk};
use super::error::{UploadError, UploadFailure, UploadResult};
use super::jobs::Job;
use super::publish::{self, Props, Source, StoringBlob};
use super::stash;
use super::status::{self, Stage, UploadStatus};
use super::url::FetchPolicy;
use super::verify::{self, Rejection};
use super::warnings::{self, Warnings};
use crate::auth::Caller;
use crate::state::AppState;
use crate::title::FileTitle;
use mwupload_store::{FileVersion, StashRow, StashState};
use std::sync::Arc;

/// What every upload request carries besides its bytes.
#[derive(Debug, Clone, Default)]
pub struct UploadRequest {
    pub filename: String,
    pub comment: String,
    pub tags: Vec<String>,
    pub text: Option<String>,
    pub ignorewarnings: bool,
    pub stash: bool,
    pub async_: bool,
    /// Resolved watch intent (`watch`, `watchlist=watch`, or `preferences` for non-bots).
    pub watch: bool,
}

/// Bytes that arrived with the request, spooled to scratch and hashed on the way.
#[derive(Debug)]
pub struct Incoming {
    pub path: tempfile::TempPath,
    pub size: u64,
    pub sha1: [u8; 20],
}

/// A chunk's bytes: spooled, or already written into its session while the body streamed.
pub enum ChunkBytes {
    Spooled(Incoming),
    Routed {
        /// (Boxed: it carries the session's row.)
        chunk: Box<RoutedChunk>,
        size: u64,
        /// The chunk's own SHA-1, when it was computed while streaming (see
        /// [`chunks::RoutedSink::chunk_sha1_now`]).
        sha1: Option<[u8; 20]>,
        /// The session's running hash continued over the chunk.
        hasher: Option<sha1::Sha1>,
    },
}

impl ChunkBytes {
    fn size(&self) -> u64 {
        match self {
            ChunkBytes::Spooled(f) => f.size,
            ChunkBytes::Routed { size, .. } => *size,
        }
    }
    fn known_sha1(&self) -> Option<[u8; 20]> {
        match self {
            ChunkBytes::Spooled(f) => Some(f.sha1),
            ChunkBytes::Routed { sha1, .. } => *sha1,
        }
    }

    /// The chunk's own SHA-1 (a routed chunk's read back from its session if not known yet).
    async fn sha1(&mut self, state: &AppState, session: Option<&StashRow>) -> UploadResult<[u8; 20]> {
        if let Some(s) = self.known_sha1() {
            return Ok(s);
        }
        let ChunkBytes::Routed { chunk, size, sha1, .. } = self else {
            unreachable!("a spooled chunk's SHA-1 is always known");
        };
        let row = session.ok_or(UploadError::NoChunkSession)?;
        let s = chunks::chunk_sha1(state, row, chunk.offset, *size).await?;
        *sha1 = Some(s);
        Ok(s)
    }
    /// The chunk as a file of its own (a routed chunk is copied out of its session; rare paths only).
    async fn into_temp(self, state: &AppState, session: Option<&StashRow>) -> UploadResult<tempfile::TempPath> {
        match self {
            ChunkBytes::Spooled(f) => Ok(f.path),
            ChunkBytes::Routed { chunk, size, .. } => {
                let row = session.ok_or(UploadError::NoChunkSession)?;
                Ok(state.blobs.copy_range_to_scratch(&row.blob_key, chunk.offset, size).await?)
            }
        }
    }
}

/// What an upload request ended in.
#[derive(Debug)]
pub enum UploadResponse {
    /// Published. `page_before`: the description page's id if it existed before this upload.
    Published {
        warnings: Warnings,
        version: FileVersion,
        page_before: Option<i64>,
    },
    /// Stopped by warnings; the bytes are in the stash under `filekey`.
    Warning { warnings: Warnings, filekey: String },
    /// Stopped by warnings, and stashing the bytes failed too (a chunk that failed its own
    /// verification): MediaWiki's `stasherrors` instead of a `filekey`.
    WarningNotStashed { warnings: Warnings, stash_error: UploadError },
    /// `stash=1`: the stash entry.
    Stashed { warnings: Warnings, row: StashRow },
    /// The last chunk arrived and the file was assembled into this stash entry.
    Assembled { warnings: Warnings, row: StashRow },
    /// A chunk was stored; the next one goes at `offset`.
    Continue { warnings: Warnings, offset: u64, filekey: String },
    /// Handed to a background job; poll with `checkstatus`.
    Queued {
        warnings: Warnings,
        filekey: Option<String>,
        filename: Option<String>,
    },
}

/// `checkstatus`: the status and what it refers to.
#[derive(Debug)]
pub struct StatusReport {
    pub status: UploadStatus,
    /// The stash entry of a successful assembly or stash.
    pub stash_row: Option<StashRow>,
    /// The published file of a successful publish.
    pub version: Option<FileVersion>,
}

type Res<T> = Result<T, UploadFailure>;

/// Upload rights (`upload` and `edit`, plus `upload_by_url` for URLs).
pub fn check_rights(caller: &Caller, by_url: bool) -> UploadResult<()> {
    let mut needed = vec!["upload", "edit"];
    if by_url {
        needed.insert(0, "upload_by_url");
    }
    for right in needed {
        if !caller.has(right) {
            if !caller.is_logged_in() {
                return Err(UploadError::MustBeLoggedIn);
            }
            return Err(UploadError::PermissionDenied { right: right.to_string() });
        }
    }
    Ok(())
}

/// Step 5 of ApiUpload: the rights, then a sitewide block (`isBlockedFromUpload`), for every
/// mode including stash and chunks.
pub async fn check_permissions(state: &AppState, caller: &Caller, by_url: bool) -> UploadResult<()> {
    check_rights(caller, by_url)?;
    if let Some(block) = crate::access::sitewide_block(state, caller).await? {
        return Err(UploadError::Blocked(Box::new(block)));
    }
    Ok(())
}

/// Step 8 of ApiUpload (not for `stash=1`): MediaWiki's `verifyTitlePermissions` — `edit` and
/// `upload` (and `create` for a new page) on the file page: protection, then blocks that
/// name it; then the overwrite rule. A protection or overwrite refusal is recoverable (the
/// bytes stay in the stash); a block is not.
pub async fn authorize_publish(state: &AppState, caller: &Caller, name: &str) -> UploadResult<Result<(), UploadError>> {
    let record = state.meta.name_record(name).await?;
    authorize_publish_of(state, caller, name, record.page.is_some(), record.current.as_ref()).await
}

/// [`authorize_publish`] for a File page whose existence and current version the caller has
/// just read.
async fn authorize_publish_of(
    state: &AppState,
    caller: &Caller,
    name: &str,
    page_exists: bool,
    current: Option<&FileVersion>,
) -> UploadResult<Result<(), UploadError>> {
    match crate::access::authorize(state, caller, 6, name, page_exists, &["edit", "upload"]).await? {
        Ok(()) => {}
        Err(crate::access::Denial::Blocked(b)) => return Err(UploadError::Blocked(Box::new(b))),
        Err(crate::access::Denial::Protected { kind, level }) => return Ok(Err(UploadError::Protected { kind, level })),
    }
    Ok(publish::authorize_overwrite(state, caller, name, current).await)
}

/// Change tags need `applychangetags` (which tags exist is checked when parameters are).
pub fn check_tags(caller: &Caller, tags: &[String]) -> UploadResult<()> {
    if !tags.is_empty() && !caller.has("applychangetags") {
        return Err(UploadError::TagsNotAllowed);
    }
    Ok(())
}

pub fn check_enabled(state: &AppState) -> UploadResult<()> {
    if state.config.uploads.enabled {
        Ok(())
    } else {
        Err(UploadError::UploadsDisabled)
    }
}

/// checkstatus key of a URL upload, as MediaWiki computes it: sha1(filename + "|||" + url).
pub fn url_status_key(filename: &str, url: &str) -> String {
    use sha1::Digest;
    hex::encode(sha1::Sha1::digest(format!("{filename}|||{url}").as_bytes()))
}

/// `checkstatus` by filekey or (URL uploads) by url and filename.
pub async fn checkstatus(state: &AppState, caller: &Caller, key: &str) -> UploadResult<StatusReport> {
    check_rights(caller, false)?;
    let st = match status::get(state, caller.user_id(), key).await? {
        Some(st) => st,
        // A chunked session still taking chunks: its offset (see `chunk`).
        None => match state.meta.stash(key).await? {
            Some(row) if row.user_id == caller.user_id() && row.state == StashState::Chunks => {
                UploadStatus::Continue { offset: row.size as u64 }
            }
            _ => return Err(UploadError::MissingResult),
        },
    };
    let mut report = StatusReport {
        status: st.clone(),
        stash_row: None,
        version: None,
    };
    if let UploadStatus::Success { filekey, filename, .. } = &st {
        if let Some(k) = filekey {
            report.stash_row = state.meta.stash(k).await?;
        } else if let Some(name) = filename {
            report.version = state.meta.current_file(name).await?;
        }
    }
    Ok(report)
}

/// A direct upload (`file=`), or the bytes fetched for a synchronous `url=` upload.
pub async fn direct(state: &AppState, caller: &Caller, req: &UploadRequest, file: Incoming) -> Res<UploadResponse> {
    let info = verify::analyze(file.path.to_path_buf(), file.size).await?;
    let sha1 = hex::encode(file.sha1);
    let size = file.size;
    let title = match verify::check_file(state, &file.path, &info, size, &req.filename).await {
        Ok(t) => t,
        Err(Rejection { error, recoverable: false }) => return Err(error.into()),
        Err(Rejection { error, recoverable: true }) => {
            let row = stash::stash_temp(state, caller, file.path, &Props::from_info(&info, size, &sha1), "file").await?;
            return Err(UploadFailure::recoverable(error, row.key, true));
        }
    };
    // The type MediaWiki records depends on the final extension too (random bytes named .txt are text/plain).
    let info = info.for_extension(&title.final_ext);
    let props = Props::from_info(&info, size, &sha1).verified_as(&title.final_ext);
    finish(state, caller, req, &title, props, Source::Temp(file.path)).await
}

/// Publishing (or re-stashing) a stash entry by `filekey`.
pub async fn from_stash(state: &AppState, caller: &Caller, req: &UploadRequest, key: &str) -> Res<UploadResponse> {
    if !stash::key_is_valid(key) {
        return Err(UploadError::InvalidFileKey.into());
    }
    // UploadFromStash needs a user before it looks the key up (MediaWiki 1.39:
    // `stashnotloggedin` for an anonymous caller, whoever owns the key).
    if !caller.is_logged_in() {
        return Err(UploadError::StashNotLoggedIn.into());
    }
    let row = stash::load_owned(state, caller, key).await?;
    check_permissions(state, caller, false).await?;
    if row.state != StashState::Finished {
        return Err(UploadError::StashNotComplete.into());
    }
    // The full verification again, against the (possibly new) name.
    let title = match verify::check_stashed(state, &row, &req.filename).await? {
        Ok(t) => t,
        Err(Rejection { error, recoverable: false }) => return Err(error.into()),
        Err(Rejection { error, recoverable: true }) => return Err(UploadFailure::recoverable(error, row.key, true)),
    };
    let props = Props::from_stash(&row);
    finish(state, caller, req, &title, props, Source::Stash(Box::new(row))).await
}

/// A `url=` upload: checks, then fetches now or queues a durable job.
pub async fn by_url(state: &AppState, caller: &Caller, req: &UploadRequest, url: &str) -> Res<UploadResponse> {
    if !state.config.url_uploads.enabled {
        return Err(UploadError::CopyUploadsDisabled.into());
    }
    let policy = FetchPolicy::from_state(state);
    state.fetcher.precheck(url, &policy).map_err(UploadError::from)?;
    check_permissions(state, caller, true).await?;
    if req.async_ {
        return queue_url_upload(state, caller, req, url).await;
    }
    let fetched = state
        .fetcher
        .fetch(url, &policy, state.blobs.scratch_dir())
        .await
        .map_err(UploadError::from)?;
    let file = Incoming {
        path: fetched.path,
        size: fetched.size,
        sha1: fetched.sha1,
    };
    direct(state, caller, req, file).await
}

/// `url` + `async`: checks the name, then queues a durable fetch-verify-publish job and answers
/// `Poll`; the client polls `checkstatus` with the same `url` and `filename`.
async fn queue_url_upload(state: &AppState, caller: &Caller, req: &UploadRequest, url: &str) -> Res<UploadResponse> {
    let title = verify::check_name(state, &req.filename).map_err(|r| UploadFailure::from(r.error))?;
    let key = url_status_key(&req.filename, url);
    let user = caller.user_id();
    let queued = UploadStatus::Poll {
        stage: Stage::Queued,
        offset: None,
    };
    if !status::claim(state, user, &key, &queued).await? {
        return Err(UploadError::UrlUploadInProgress.into());
    }
    let job = Job::Fetch(super::jobs::FetchJob {
        user_id: user,
        bot_app: caller.bot_app.clone(),
        key,
        url: url.to_string(),
        filename: req.filename.clone(),
        comment: req.comment.clone(),
        text: req.text.clone(),
        ignorewarnings: req.ignorewarnings,
        tags: req.tags.clone(),
        stash: req.stash,
        watch: req.watch,
    });
    super::jobs::enqueue(state, &job).await?;
    Ok(UploadResponse::Queued {
        warnings: Vec::new(),
        filekey: None,
        filename: Some(title.db_key),
    })
}

/// Puts the bytes in the stash (if not there already) and returns the key.
async fn ensure_stashed(state: &AppState, caller: &Caller, source: Source, props: &Props) -> UploadResult<String> {
    match source {
        Source::Stash(row) => Ok(row.key),
        Source::Temp(temp) => Ok(stash::stash_temp(state, caller, temp, props, "file").await?.key),
        Source::Storing(storing) => {
            let blob = storing.stored().await?;
            Ok(stash::stash_stored(state, caller, blob, props, "file").await?.key)
        }
        // action=upload only publishes new bytes or stash entries.
        Source::Owned(_) => Err(UploadError::Storage {
            message: "an existing version's blob cannot be stashed".into(),
        }),
    }
}

/// Authorization, warnings, then stash or publish (sync or async): the part every source shares.
async fn finish(
    state: &AppState,
    caller: &Caller,
    req: &UploadRequest,
    title: &FileTitle,
    props: Props,
    source: Source,
) -> Res<UploadResponse> {
    // Every outcome below but an error keeps a direct upload's bytes (published or stashed):
    // their rename and fsyncs run while the checks read the database.
    let source = match source {
        Source::Temp(temp) => Source::Storing(StoringBlob::start(state, temp)),
        other => other,
    };
    // The name's page and current version, read once for the authorization, the warnings,
    // the answer and the publish's first round; the SHA-1's duplicates at the same time.
    let (facts, hashes) = tokio::try_join!(warnings::name_facts(state, title), warnings::hash_facts(state, &props.sha1))?;
    // MediaWiki's result links the description page by id only if it existed before this upload.
    let page_before = if req.stash { None } else { facts.page_id };
    if !req.stash
        && let Err(e) = authorize_publish_of(state, caller, &title.db_key, page_before.is_some(), facts.current.as_ref()).await?
    {
        let key = ensure_stashed(state, caller, source, &props).await?;
        return Err(UploadFailure::recoverable(e, key, true));
    }
    let subject = warnings::Subject {
        desired: &req.filename,
        title,
        sha1: &props.sha1,
        size: props.size,
    };
    let warns = warnings::compute_with(state, &subject, &facts, &hashes).await?;
    if !warns.is_empty() && !req.ignorewarnings {
        let filekey = ensure_stashed(state, caller, source, &props).await?;
        return Ok(UploadResponse::Warning { warnings: warns, filekey });
    }
    if req.stash {
        let key = ensure_stashed(state, caller, source, &props).await?;
        let row = state.meta.stash(&key).await?.ok_or(UploadError::InvalidStashedFile)?;
        return Ok(UploadResponse::Stashed { warnings: warns, row });
    }
    // ApiUpload::getContextResult: the `upload` rate limit, for publishes only (after warnings
    // and stashing, before the tags are checked and the file is published or queued).
    if let Some(retry_after) = crate::auth::throttle::ping_limiter(state, caller, "upload").await? {
        return Err(UploadError::RateLimited { retry_after }.into());
    }
    check_tags(caller, &req.tags)?;
    if req.async_
        && let Source::Stash(row) = &source
    {
        let queued = UploadStatus::Poll {
            stage: Stage::Queued,
            offset: None,
        };
        if !status::claim(state, caller.user_id(), &row.key, &queued).await? {
            return Err(UploadError::PublishInProgress.into());
        }
        let job = Job::Publish(super::jobs::PublishJob {
            user_id: caller.user_id(),
            bot_app: caller.bot_app.clone(),
            key: row.key.clone(),
            filename: req.filename.clone(),
            comment: req.comment.clone(),
            text: req.text.clone(),
            ignorewarnings: req.ignorewarnings,
            tags: req.tags.clone(),
            sha1: Some(row.sha1.clone()),
        });
        super::jobs::enqueue(state, &job).await?;
        return Ok(UploadResponse::Queued {
            warnings: Vec::new(),
            filekey: None,
            filename: Some(title.db_key.clone()),
        });
    }
    let preq = publish::Request {
        caller,
        name: title.db_key.clone(),
        props,
        comment: req.comment.clone(),
        text: req.text.clone(),
        tags: req.tags.clone(),
        must_be_new: !req.ignorewarnings,
        log_action: None,
        watch: req.watch,
        seen_current: publish::SeenCurrent::Read(facts.current.map(Box::new)),
    };
    match publish::publish(state, preq, source).await? {
        publish::Outcome::Published { version } => {
            let mut version = *version;
            // MediaWiki answers with the LocalFile it just recorded, whose description is the
            // comment as sent; the stored one is cut to CommentStore's 500 characters.
            version.description = req.comment.clone();
            Ok(UploadResponse::Published {
                warnings: warns,
                version,
                page_before,
            })
        }
        publish::Outcome::NoChange { key } => Err(UploadFailure::recoverable(
            UploadError::FileExistsNoChange {
                name: title.db_key.clone(),
            },
            key,
            false,
        )),
        publish::Outcome::LostRace { key } => Ok(UploadResponse::Warning {
            warnings: vec![warnings::UploadWarning::Exists(title.db_key.clone())],
            filekey: key,
        }),
    }
}

/// Stashes a chunk on its own (after a warning or a recoverable error). A first chunk is
/// verified first against `first_ext`, as every stash attempt of MediaWiki's `UploadFromChunks`
/// is (`ChunkRejected`).
async fn stash_chunk(
    state: &AppState,
    caller: &Caller,
    mut chunk: ChunkBytes,
    session: Option<&StashRow>,
    first_ext: Option<&str>,
) -> UploadResult<StashRow> {
    let (size, sha1) = (chunk.size(), hex::encode(chunk.sha1(state, session).await?));
    let temp = chunk.into_temp(state, session).await?;
    let info = verify::analyze(temp.to_path_buf(), size).await?;
    if let Some(ext) = first_ext {
        verify::check_chunk(&temp, &info, ext).await?;
    }
    stash::stash_temp(state, caller, temp, &Props::from_info(&info, size, &sha1), "file").await
}

/// Where a chunk claims to belong.
pub struct ChunkPosition {
    /// The session's filekey (None for the first chunk).
    pub filekey: Option<String>,
    /// `offset` as sent (None: the docs' demo omits it after the first chunk).
    pub offset: Option<u64>,
    /// `filesize` as sent (None: missing).
    pub filesize: Option<u64>,
}

/// One chunk of a chunked upload.
pub async fn chunk(
    state: &Arc<AppState>,
    caller: &Caller,
    req: &UploadRequest,
    mut chunk: ChunkBytes,
    pos: &ChunkPosition,
) -> Res<UploadResponse> {
    let routed = matches!(chunk, ChunkBytes::Routed { .. });
    let session = match (&pos.filekey, &chunk) {
        // (Read and checked under the chunk's lease: the caller's, waiting for this chunk.)
        (Some(k), ChunkBytes::Routed { chunk: c, .. }) if *k == c.key => Some(c.session.clone()),
        (Some(k), _) => Some(stash::load_owned(state, caller, k).await?),
        (None, _) => None,
    };
    // (Whether the chunk's SHA-1 is needed is read alongside; it is used further down.)
    let (known_sha1, size) = (chunk.known_sha1(), chunk.size());
    // (A routed chunk's were read while it streamed, where they could be.)
    let (prefetched_permission, prefetched_sha1_matters) = match &mut chunk {
        ChunkBytes::Routed { chunk: c, .. } => (c.take_permitted().await, c.take_sha1_matters(size).await),
        ChunkBytes::Spooled(_) => (None, None),
    };
    let (permitted, sha1_matters) = tokio::join!(
        async {
            match prefetched_permission {
                Some(p) => p,
                None => check_permissions(state, caller, false).await,
            }
        },
        async {
            match (known_sha1, prefetched_sha1_matters) {
                (Some(_), _) => Ok(true),
                (None, Some(m)) => m,
                (None, None) => chunks::chunk_sha1_matters(state, size).await,
            }
        }
    );
    permitted?;
    // Name-only verification (there is no complete file yet).
    let title = match verify::check_name(state, &req.filename) {
        Ok(t) => t,
        Err(Rejection { error, recoverable: false }) => return Err(error.into()),
        Err(Rejection { error, recoverable: true }) => {
            let row = stash_chunk(state, caller, chunk, session.as_ref(), None).await?;
            return Err(UploadFailure::recoverable(error, row.key, true));
        }
    };
    let chunk_len = chunk.size();
    let server_offset = session.as_ref().map(|s| s.size as u64).unwrap_or(0);
    // A chunk without `offset` but with `filekey` (the docs' demo) is appended at the server's offset.
    let offset = match (pos.offset, &session) {
        (Some(o), _) => o,
        (None, Some(_)) => server_offset,
        (None, None) => 0,
    };
    let total = offset + chunk_len;
    let filesize = match pos.filesize {
        Some(f) if total <= f => f,
        _ => return Err(UploadError::InvalidChunk.into()),
    };
    let min = state.config.uploads.min_chunk_size.min(state.config.uploads.max_upload_size);
    if total != filesize && chunk_len < min {
        return Err(UploadError::ChunkTooSmall { min }.into());
    }
    // Warnings are evaluated on every chunk request, on the chunk's own bytes. Their SHA-1 can
    // only match a stored file of the chunk's size: without one it is not computed (a routed
    // chunk is then hashed once, into its session's running SHA-1) and no SHA-1 matches.
    let sha1 = if sha1_matters? {
        hex::encode(chunk.sha1(state, session.as_ref()).await?)
    } else {
        String::new()
    };
    let subject = warnings::Subject {
        desired: &req.filename,
        title: &title,
        sha1: &sha1,
        size: chunk_len,
    };
    let prefetched = match &mut chunk {
        ChunkBytes::Routed { chunk: c, .. } => c.take_name_facts(&req.filename).await,
        ChunkBytes::Spooled(_) => None,
    };
    let warns = match prefetched {
        Some(facts) => warnings::compute_with(state, &subject, &facts, &warnings::hash_facts(state, &sha1).await?).await?,
        None => warnings::compute(state, &subject).await?,
    };
    // The first chunk is checked on its own (MediaWiki's verifyChunk on the stash attempt):
    // against the name's final extension, after the warnings were computed.
    let first_ext = session.is_none().then_some(title.final_ext.as_str());
    if !warns.is_empty() && !req.ignorewarnings {
        return match stash_chunk(state, caller, chunk, session.as_ref(), first_ext).await {
            Ok(row) => Ok(UploadResponse::Warning {
                warnings: warns,
                filekey: row.key,
            }),
            Err(e @ UploadError::ChunkRejected { .. }) => Ok(UploadResponse::WarningNotStashed {
                warnings: warns,
                stash_error: e,
            }),
            Err(e) => Err(e.into()),
        };
    }
    let user = caller.user_id();
    let session = match session {
        None => {
            let temp = chunk.into_temp(state, None).await?;
            chunks::start(state, caller, temp, chunk_len, &title.final_ext).await?
        }
        Some(row) => {
            if row.state != StashState::Chunks {
                return Err(UploadError::NoChunkSession.into());
            }
            // (A routed chunk's session was found unfinished before its lease was taken, and
            // only a lease holder finishes a session.)
            if !routed
                && let Some(st) = status::get(state, user, &row.key).await?
                && !matches!(st, UploadStatus::Continue { .. })
            {
                return Err(UploadError::ChunkSessionCompleted.into());
            }
            let appended = match chunk {
                ChunkBytes::Spooled(f) => chunks::append(state, &row, pos.offset, &f.path, chunk_len, f.sha1).await?,
                ChunkBytes::Routed { chunk, size, hasher, .. } => chunks::commit_routed(state, &row, *chunk, size, hasher.as_ref()).await?,
            };
            match appended {
                // The chunk only moved the offset (the assembly reads the running hash under
                // its own lease).
                Appended::At(at) => StashRow { size: at as i64, ..row },
                Appended::Replayed(at) => {
                    return Ok(UploadResponse::Continue {
                        warnings: warns,
                        offset: at,
                        filekey: row.key,
                    });
                }
            }
        }
    };
    let now_at = session.size as u64;
    if now_at != filesize {
        // No status is written for a session in progress (it would be one more durable commit
        // per chunk): `checkstatus` answers `Continue` from the session itself.
        return Ok(UploadResponse::Continue {
            warnings: warns,
            offset: now_at,
            filekey: session.key,
        });
    }
    // Last chunk.
    if req.async_ {
        // Beyond MediaWiki: `offset` tells a polling client how many bytes the server holds.
        let queued = UploadStatus::Poll {
            stage: Stage::Queued,
            offset: Some(now_at),
        };
        status::set(state, user, &session.key, &queued).await?;
        let job = Job::Assemble(super::jobs::AssembleJob {
            user_id: user,
            bot_app: caller.bot_app.clone(),
            key: session.key.clone(),
            filename: req.filename.clone(),
        });
        super::jobs::enqueue(state, &job).await?;
        return Ok(UploadResponse::Queued {
            warnings: warns,
            filekey: Some(session.key),
            filename: None,
        });
    }
    status::delete(state, user, &session.key).await?;
    let (row, warns) = chunks::assemble(state, caller, &session, &req.filename).await?;
    Ok(UploadResponse::Assembled { warnings: warns, row })
}
