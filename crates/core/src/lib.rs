//! mwupload's domain: what MediaWiki does with uploads, users and file history, expressed with
//! typed results and no knowledge of HTTP, SQL or the API's JSON. Storage is reached through
//! the traits of `mwupload-store`; URL fetching through [`upload::url::UrlFetcher`].

pub mod access;
pub mod auth;
pub mod config;
pub mod history;
pub mod jobs;
pub mod state;
pub mod thumbs;
pub mod title;
pub mod upload;
pub mod wikitext;

pub use config::Config;
pub use state::{AppState, SharedState};
