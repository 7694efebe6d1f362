//! The HTTP client for shared file repositories (`[[foreign_repos]]`, MediaWiki's
//! `ForeignAPIRepo::httpGet`). Unlike `url=` uploads, these addresses are configured by the
//! operator and trusted: loopback and private addresses are allowed and no allow-list applies.
//! Still bounded: one deadline for the whole request (connect, redirects, body), at most 3
//! redirects, at most [`MAX_BODY`] bytes, no proxy from the environment.

use mwupload_core::foreign::ForeignApi;
use std::time::Duration;

/// Largest API answer read (a `prop=imageinfo` answer for one file is a few kilobytes; the
/// metadata of a big PDF may be more).
pub const MAX_BODY: usize = 8 << 20;

/// The [`ForeignApi`] the server uses: one connection pool for all shared repositories.
pub struct HttpForeignApi {
    client: reqwest::Client,
}

impl HttpForeignApi {
    pub fn new() -> Result<HttpForeignApi, String> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::limited(3))
            .no_proxy()
            .user_agent(concat!("mwupload/", env!("CARGO_PKG_VERSION"), " ForeignAPIRepo/2.1"))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(HttpForeignApi { client })
    }
}

#[async_trait::async_trait]
impl ForeignApi for HttpForeignApi {
    async fn get_json(&self, api: &str, query: &[(&str, &str)], timeout: Duration) -> Result<serde_json::Value, String> {
        let work = async {
            let mut response = self
                .client
                .get(api)
                .query(query)
                .send()
                .await
                .map_err(|e| format!("request failed: {}", crate::error_detail(&e)))?;
            let status = response.status();
            if !status.is_success() {
                return Err(format!("HTTP status {status}"));
            }
            let mut body = Vec::new();
            while let Some(chunk) = response.chunk().await.map_err(|e| format!("reading the answer: {e}"))? {
                if body.len() + chunk.len() > MAX_BODY {
                    return Err(format!("the answer is larger than {MAX_BODY} bytes"));
                }
                body.extend_from_slice(&chunk);
            }
            serde_json::from_slice(&body).map_err(|e| format!("the answer is not JSON: {e}"))
        };
        match tokio::time::timeout(timeout, work).await {
            Ok(r) => r,
            Err(_) => Err(format!("no answer within {:.1} s", timeout.as_secs_f64())),
        }
    }
}
