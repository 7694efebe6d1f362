//! Why an upload did not happen, in the domain's words. The API crate holds the one table that
//! turns each variant into MediaWiki's error code, `info` and data (`mwupload_api::upload_errors`).
//!
//! Errors are serializable because an asynchronous upload reports its failure later, through
//! `checkstatus`: the status keeps the typed error, not its rendering.

use serde::{Deserialize, Serialize};

/// A failed URL fetch (`url=` uploads).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FetchError {
    /// Not http(s), unparsable, or with user info.
    #[error("invalid URL {url}")]
    InvalidUrl { url: String },
    /// The host is not in `$wgCopyUploadsDomains` (the URL as given).
    #[error("domain not allowed")]
    DomainNotAllowed,
    /// A redirect led to a host not in the allow-list.
    #[error("redirect to a domain not allowed")]
    RedirectDomainNotAllowed,
    /// The URL resolves to a private, loopback or otherwise non-public address.
    #[error("non-public address {address}")]
    NonPublicAddress { address: String },
    #[error("HTTP status {status} {reason}")]
    BadStatus { status: u16, reason: String },
    #[error("timed out fetching {url}")]
    TimedOut { url: String },
    /// Connection, DNS or protocol failure.
    #[error("transport error: {detail}")]
    Transport { detail: String },
    #[error("too many redirects")]
    TooManyRedirects,
    #[error("larger than {max} bytes")]
    TooLarge { max: u64 },
    #[error("could not create a temporary file")]
    TmpCreate,
    #[error("could not write a temporary file")]
    TmpWrite,
}

/// Why a name cannot be used (`UploadBase::getTitle`'s failures).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NameProblem {
    TooLong,
    /// Illegal characters; `filtered` is the name with them replaced.
    Illegal {
        filtered: String,
    },
    MissingExtension,
    TooShort,
    /// A banned or (with strict extensions) unlisted type.
    BannedType {
        final_ext: String,
        blacklisted: Vec<String>,
        allowed: Vec<String>,
    },
}

/// Externally tagged in storage (it nests itself: an assembly failure holds its cause).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "snake_case")]
pub enum UploadError {
    #[error("uploads are disabled")]
    UploadsDisabled,
    #[error("upload by URL is disabled")]
    CopyUploadsDisabled,
    #[error("must be logged in")]
    MustBeLoggedIn,
    #[error("missing right {right}")]
    PermissionDenied { right: String },
    #[error("no permission to apply change tags")]
    TagsNotAllowed,
    /// A block stops the caller (sitewide, or a partial block naming the page).
    #[error("blocked")]
    Blocked(Box<crate::access::BlockInfo>),
    /// The page (or missing title) is protected at a level the caller lacks.
    #[error("protected ({kind}={level})")]
    Protected { kind: String, level: String },

    #[error("anonymous users cannot stash")]
    StashNotLoggedIn,
    #[error("zero-length file cannot be stashed")]
    StashZeroLength,
    #[error("malformed file key {key}")]
    StashPathInvalid { key: String },
    #[error("not a valid file key")]
    InvalidFileKey,
    #[error("file key {key} not found")]
    StashFileNotFound { key: String },
    #[error("file key {key} belongs to another user")]
    StashWrongOwner { key: String },
    /// The stash entry is a chunked session still being uploaded.
    #[error("chunked upload not complete")]
    StashNotComplete,
    /// The stash entry could not be read back.
    #[error("invalid stashed file")]
    InvalidStashedFile,

    /// A chunk that does not continue the session at its offset.
    #[error("chunk not at the session's offset {offset}")]
    ChunkOffset { offset: u64 },
    /// A chunk that would take the session past the maximum size.
    #[error("chunk past the maximum size at offset {offset}")]
    ChunkTooLarge { offset: u64 },
    #[error("no chunked session with this key")]
    NoChunkSession,
    /// `offset` + the chunk's size is more than `filesize` (or `filesize` is missing).
    #[error("chunk goes past the claimed file size")]
    InvalidChunk,
    /// A non-final chunk smaller than `$wgMinUploadChunkSize`.
    #[error("chunk smaller than {min} bytes")]
    ChunkTooSmall { min: u64 },
    #[error("chunked session already completed")]
    ChunkSessionCompleted,
    /// A chunk failed `verifyPartialFile` (MediaWiki's `UploadFromChunks::verifyChunk`): the
    /// verification message's key and parameters in `details`, its English wikitext in `info`.
    #[error("chunk rejected: {info}")]
    ChunkRejected { info: String, details: Vec<String> },
    /// The assembled file failed verification; the session is gone.
    #[error("assembled file rejected: {0}")]
    AssemblyRejected(Box<UploadError>),

    #[error("empty file")]
    EmptyFile,
    #[error("file too large")]
    FileTooLarge,
    /// The content failed verification (`verification-error` and its details).
    #[error("verification failed: {info}")]
    Verification { info: String, details: Vec<String> },
    #[error("bad file name")]
    Name(NameProblem),

    #[error("{name} exists and may not be overwritten")]
    FileExistsForbidden { name: String },
    /// No local file of this name, but a shared repository has one, and the user lacks
    /// `reupload-shared`.
    #[error("{name} exists in a shared repository and may not be shadowed")]
    FileExistsSharedForbidden { name: String },
    #[error("{name} is identical to the current version")]
    FileExistsNoChange { name: String },
    #[error("a publish from this key is already in progress")]
    PublishInProgress,
    /// `ratelimited`: `$wgRateLimits` refused the action; it may be retried after this many seconds.
    #[error("rate limited")]
    RateLimited { retry_after: i64 },
    #[error("an upload from this URL is already in progress")]
    UrlUploadInProgress,
    #[error("the file vanished after publishing")]
    FileVanished,

    #[error("fetching the URL failed: {0}")]
    Fetch(FetchError),

    /// A job's worker kept dying.
    #[error("upload job interrupted too many times")]
    JobInterrupted,
    /// An unexpected failure inside a job (already logged).
    #[error("upload job failed: {message}")]
    JobFailed { message: String },
    /// `checkstatus` for a key without status.
    #[error("no status")]
    MissingResult,

    /// The disk or object store is full.
    #[error("storage full: {message}")]
    StorageFull { message: String },
    /// Storage failed (database, disk); details are in the server log.
    #[error("storage: {message}")]
    Storage { message: String },
}

impl From<mwupload_store::StoreError> for UploadError {
    fn from(e: mwupload_store::StoreError) -> UploadError {
        if e.is_disk_full() {
            UploadError::StorageFull { message: e.to_string() }
        } else {
            UploadError::Storage { message: e.to_string() }
        }
    }
}

impl From<std::io::Error> for UploadError {
    fn from(e: std::io::Error) -> UploadError {
        UploadError::from(mwupload_store::StoreError::Io(e))
    }
}

impl From<FetchError> for UploadError {
    fn from(e: FetchError) -> UploadError {
        UploadError::Fetch(e)
    }
}

/// A failed upload, with what MediaWiki hands back alongside some errors: the stash key the
/// bytes were kept under (so the client can retry by `filekey` after fixing the problem).
#[derive(Debug, Clone, PartialEq)]
pub struct UploadFailure {
    pub error: UploadError,
    /// Set for recoverable errors (bad names, `fileexists-*`).
    pub filekey: Option<String>,
    /// The failure concerns the `filename` parameter.
    pub name_error: bool,
}

impl From<UploadError> for UploadFailure {
    fn from(error: UploadError) -> UploadFailure {
        UploadFailure {
            error,
            filekey: None,
            name_error: false,
        }
    }
}

impl From<mwupload_store::StoreError> for UploadFailure {
    fn from(e: mwupload_store::StoreError) -> UploadFailure {
        UploadError::from(e).into()
    }
}

impl From<std::io::Error> for UploadFailure {
    fn from(e: std::io::Error) -> UploadFailure {
        UploadError::from(e).into()
    }
}

impl UploadFailure {
    /// A recoverable failure whose bytes are kept under `filekey`.
    pub fn recoverable(error: UploadError, filekey: String, name_error: bool) -> UploadFailure {
        UploadFailure {
            error,
            filekey: Some(filekey),
            name_error,
        }
    }
}

pub type UploadResult<T> = Result<T, UploadError>;
