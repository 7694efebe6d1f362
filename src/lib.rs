//! mwupload: a server that speaks MediaWiki's file-upload API.
//!
//! Requests flow one way (see `docs/architecture.md`):
//! `http` (routes, streaming, file serving) → `api` (MediaWiki's wire contract) →
//! `upload` (the upload domain) → `store` (metadata + blobs).

pub mod api;
pub mod app;
pub mod auth;
pub mod config;
pub mod http;
pub mod jobs;
pub mod store;
pub mod time;
pub mod upload;
pub mod wikitext;
