//! The upload domain: verification, warnings, the stash, chunked sessions, publishing, upload
//! by URL and the background jobs, in MediaWiki's terms and with typed results
//! ([`UploadError`], [`UploadWarning`], [`UploadStatus`]).

pub mod chunks;
pub mod error;
pub mod jobs;
pub mod publish;
pub mod service;
pub mod stash;
pub mod status;
pub mod url;
pub mod verify;
pub mod warnings;

pub use error::{FetchError, NameProblem, UploadError, UploadFailure, UploadResult};
pub use status::{Stage, UploadStatus};
pub use warnings::{UploadWarning, Warnings};
