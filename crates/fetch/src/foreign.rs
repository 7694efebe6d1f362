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
            let response = self
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
            let body = read_bounded(response).await?;
            serde_json::from_slice(&body).map_err(|e| format!("the answer is not JSON: {e}"))
        };
        match tokio::time::timeout(timeout, work).await {
            Ok(r) => r,
            Err(_) => Err(format!("no answer within {:.1} s", timeout.as_secs_f64())),
        }
    }

    async fn download(&self, url: &str, dest: &std::path::Path, max_bytes: u64, idle: Duration) -> Result<(u64, String), String> {
        self.download_into(url, dest, max_bytes, idle).await
    }

    async fn get_text(&self, url: &str, timeout: Duration) -> Result<String, String> {
        let work = async {
            let response = self
                .client
                .get(url)
                .send()
                .await
                .map_err(|e| format!("request failed: {}", crate::error_detail(&e)))?;
            // MediaWiki's HttpRequestFactory::get gives nothing for any status but 200.
            let status = response.status();
            if status != reqwest::StatusCode::OK {
                return Err(format!("HTTP status {status}"));
            }
            let body = read_bounded(response).await?;
            String::from_utf8(body).map_err(|_| "the answer is not UTF-8".to_string())
        };
        match tokio::time::timeout(timeout, work).await {
            Ok(r) => r,
            Err(_) => Err(format!("no answer within {:.1} s", timeout.as_secs_f64())),
        }
    }
}

impl HttpForeignApi {
    async fn download_into(&self, url: &str, dest: &std::path::Path, max_bytes: u64, idle: Duration) -> Result<(u64, String), String> {
        use sha1::Digest;
        use tokio::io::AsyncWriteExt;
        let mut response = tokio::time::timeout(idle, self.client.get(url).send())
            .await
            .map_err(|_| format!("no answer within {:.1} s", idle.as_secs_f64()))?
            .map_err(|e| format!("request failed: {}", crate::error_detail(&e)))?;
        if response.status() != reqwest::StatusCode::OK {
            return Err(format!("HTTP status {}", response.status()));
        }
        let mut file = tokio::fs::File::create(dest).await.map_err(|e| format!("scratch file: {e}"))?;
        let (mut size, mut hash) = (0u64, sha1::Sha1::new());
        // A deadline per read, not for the whole file: a large file may take long, a stalled
        // transfer may not.
        while let Some(chunk) = tokio::time::timeout(idle, response.chunk())
            .await
            .map_err(|_| format!("no bytes for {:.1} s", idle.as_secs_f64()))?
            .map_err(|e| format!("reading the file: {e}"))?
        {
            size += chunk.len() as u64;
            if size > max_bytes {
                return Err(format!("larger than {max_bytes} bytes"));
            }
            hash.update(&chunk);
            file.write_all(&chunk).await.map_err(|e| format!("writing the copy: {e}"))?;
        }
        file.sync_all().await.map_err(|e| format!("writing the copy: {e}"))?;
        Ok((size, hex::encode(hash.finalize())))
    }
}

/// The body, at most [`MAX_BODY`] bytes.
async fn read_bounded(mut response: reqwest::Response) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| format!("reading the answer: {e}"))? {
        if body.len() + chunk.len() > MAX_BODY {
            return Err(format!("the answer is larger than {MAX_BODY} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A server on loopback that answers each connection with `answer` (or, when `None`,
    /// reads the request and never answers).
    async fn server(answer: Option<&'static str>) -> String {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        tokio::spawn(async move {
            loop {
                let Ok((mut s, _)) = l.accept().await else { return };
                tokio::spawn(async move {
                    let mut buf = [0u8; 4096];
                    let _ = s.read(&mut buf).await;
                    match answer {
                        Some(a) => {
                            let _ = s.write_all(a.as_bytes()).await;
                        }
                        None => tokio::time::sleep(Duration::from_secs(30)).await,
                    }
                });
            }
        });
        format!("http://{addr}/w/api.php")
    }

    #[tokio::test]
    async fn loopback_is_allowed_and_answers_are_bounded() {
        let client = HttpForeignApi::new().unwrap();
        let ok = server(Some(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 11\r\nconnection: close\r\n\r\n{\"query\":1}",
        ))
        .await;
        let v = client.get_json(&ok, &[("action", "query")], Duration::from_secs(5)).await.unwrap();
        assert_eq!(v["query"], 1, "a configured repository on loopback is asked (no SSRF filter)");

        let silent = server(None).await;
        let started = std::time::Instant::now();
        let e = client.get_json(&silent, &[], Duration::from_millis(300)).await.unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(3), "the deadline holds: {e}");
        assert!(e.contains("no answer within"), "{e}");

        let html = server(Some("HTTP/1.1 200 OK\r\ncontent-length: 6\r\nconnection: close\r\n\r\n<html>")).await;
        let e = client.get_json(&html, &[], Duration::from_secs(5)).await.unwrap_err();
        assert!(e.contains("not JSON"), "{e}");

        let failing = server(Some(
            "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
        ))
        .await;
        let e = client.get_json(&failing, &[], Duration::from_secs(5)).await.unwrap_err();
        assert!(e.contains("503"), "{e}");
    }
}
