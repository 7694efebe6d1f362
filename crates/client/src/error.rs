//! The client's one error type.

use serde_json::{Map, Value};
use std::fmt;

/// An error answer of the Action API: `{"error": {"code", "info", ...data}}`.
///
/// `data` holds the members MediaWiki merges into the error object besides `code`, `info` and the
/// documentation reference (`offset`, `filekey`, `details`, `blacklisted`…).
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub code: String,
    pub info: String,
    pub data: Map<String, Value>,
}

impl ApiError {
    /// Parses the `error` member of a response (formatversion 1 or 2, errorformat bc).
    pub fn from_response(v: &Value) -> Option<ApiError> {
        let e = v.get("error")?.as_object()?;
        let code = e.get("code").and_then(Value::as_str).unwrap_or("unknown").to_string();
        let info = e.get("info").and_then(Value::as_str).unwrap_or("").to_string();
        let data = e
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "code" | "info" | "*" | "docref"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        Some(ApiError { code, info, data })
    }

    /// The `offset` of a `stashfailed` error: where the server's chunk session stands.
    /// MediaWiki 1.39 sends it as a string, newer servers as a number.
    pub fn offset(&self) -> Option<u64> {
        as_u64(self.data.get("offset")?)
    }

    /// The `filekey` of a recoverable error (the file was stashed before the error).
    pub fn filekey(&self) -> Option<&str> {
        self.data.get("filekey").and_then(Value::as_str)
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.info)
    }
}

/// A JSON number or a string of digits, as MediaWiki sends integers in different places.
pub(crate) fn as_u64(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// Everything that can go wrong talking to a wiki.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The wiki answered with an API error that retrying would not fix.
    #[error("the wiki refused: {0}")]
    Api(ApiError),
    /// The network failed (after the retries the policy allows).
    #[error("network error: {0}")]
    Http(#[from] reqwest::Error),
    /// The server answered with an HTTP status other than 200 (after retries for 5xx).
    #[error("HTTP {status} from {url}")]
    Status { status: u16, url: String },
    /// The answer was not the JSON the Action API sends.
    #[error("unexpected answer from the wiki: {0}")]
    Protocol(String),
    /// Login was refused (`action=login` result `Failed`/`WrongToken`…, or clientlogin `FAIL`).
    #[error("login failed ({result}): {reason}")]
    Login { result: String, reason: String },
    /// Reading a local file failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The server stored different bytes than we sent (SHA-1 mismatch).
    #[error("SHA-1 mismatch: the wiki has {remote}, the local file is {local}")]
    Sha1Mismatch { local: String, remote: String },
}

impl Error {
    /// The API error code, if this is an API error.
    pub fn code(&self) -> Option<&str> {
        match self {
            Error::Api(e) => Some(&e.code),
            _ => None,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
