//! mwupload's domain: what MediaWiki does with uploads, users and file history, expressed with
//! typed results and no knowledge of HTTP, SQL or the API's JSON. Storage is reached through
//! the traits of `mwupload-store`; URL fetching through [`upload::url::UrlFetcher`].

pub mod access;
pub mod auth;
pub mod config;
pub mod foreign;
pub mod history;
pub mod jobs;
pub mod request_log;
pub mod state;
pub mod thumbs;
pub mod title;
pub mod upload;
pub mod wikitext;

pub use config::Config;

/// For the crash tests: with `MWUPLOAD_TEST_CRASH_AT=<point>` in its environment the process
/// aborts at that point, as a SIGKILL there would stop it. Nothing happens otherwise.
pub fn crash_point(point: &str) {
    if std::env::var("MWUPLOAD_TEST_CRASH_AT").as_deref() == Ok(point) {
        eprintln!("MWUPLOAD_TEST_CRASH_AT={point}: aborting");
        std::process::abort();
    }
}

/// For the race tests: with `MWUPLOAD_TEST_PAUSE_AT=<point>` in its environment the process
/// prints `paused at <point>` on stdout at that point and waits for a line (or the end) on its
/// stdin, so a test can run another process in exactly that window. Nothing happens otherwise.
pub fn pause_point(point: &str) {
    if std::env::var("MWUPLOAD_TEST_PAUSE_AT").as_deref() == Ok(point) {
        use std::io::Write;
        println!("paused at {point}");
        let _ = std::io::stdout().flush();
        let _ = std::io::stdin().read_line(&mut String::new());
    }
}
pub use state::{AppState, SharedState};
