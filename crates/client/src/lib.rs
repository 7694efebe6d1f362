//! A client for MediaWiki's file-upload API that speaks only the documented Action API, so it
//! works against any MediaWiki (Wikimedia's, the reference 1.39, or mwupload):
//!
//! - [`Client`]: one session with an `api.php`: login ([`Client::login`] with a bot password via
//!   `action=login`, or a main account via `action=clientlogin`), CSRF token, `maxlag=5`, a proper
//!   `User-Agent`, and retries (network errors with exponential backoff and jitter; `maxlag`,
//!   `ratelimited` waiting for `Retry-After`; `badtoken` refetching the token once).
//! - [`Client::upload`]: direct or chunked `action=upload` streamed from disk, resumable with a
//!   [`Resume`] checkpoint, verified by SHA-1; [`Client::publish_stashed`],
//!   [`Client::upload_status`] (`checkstatus`), [`Client::find_by_sha1`] (`list=allimages&aisha1=`),
//!   [`Client::file_info`], [`Client::stash_info`], [`Client::site_info`].
//! - [`cli`]: `mwupload upload`, the uploader; [`bench`]: `mwupload bench`, a load generator.

pub mod api;
pub mod bench;
pub mod cli;
pub mod error;
pub mod state;
pub mod title;
pub mod units;
pub mod upload;
pub mod warnings;

pub use api::{Client, ClientBuilder, ClientEvent, LoginInfo, RetryPolicy};
pub use error::{ApiError, Error, Result};
pub use upload::{
    FileInfo, Observer, Quiet, Resume, SiteInfo, StashInfo, UploadEvent, UploadOptions, UploadOutcome, UploadSource, UploadStatus, Uploaded,
};
pub use warnings::UploadWarning;

/// The password from `file` (its first line), else from `MWUPLOAD_PASSWORD`.
pub(crate) fn login_from(file: Option<&std::path::Path>) -> anyhow::Result<String> {
    if let Some(f) = file {
        let text = std::fs::read_to_string(f).map_err(|e| anyhow::anyhow!("reading password file {}: {e}", f.display()))?;
        return Ok(text.lines().next().unwrap_or("").to_string());
    }
    std::env::var("MWUPLOAD_PASSWORD").map_err(|_| anyhow::anyhow!("--user needs --password-file or MWUPLOAD_PASSWORD"))
}
