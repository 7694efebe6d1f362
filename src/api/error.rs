//! The API error: MediaWiki's error code, English `info`, extra data merged into the error object,
//! and the module that raised it. Rendered by `envelope` with HTTP 200 and `MediaWiki-API-Error`.

use serde_json::{Map, Value};

#[derive(Debug, Clone)]
pub struct ApiError {
    pub code: String,
    pub info: String,
    pub data: Map<String, Value>,
    /// Module path for non-bc error formats (`upload`, `main`, `query+imageinfo`…).
    pub module: String,
    /// HTTP status: 200 for nearly everything, as MediaWiki.
    pub status: u16,
    /// Extra response headers (`Retry-After` for maxlag…).
    pub headers: Vec<(String, String)>,
}

impl ApiError {
    pub fn new(code: impl Into<String>, info: impl Into<String>) -> ApiError {
        ApiError {
            code: code.into(),
            info: info.into(),
            data: Map::new(),
            module: "main".into(),
            status: 200,
            headers: Vec::new(),
        }
    }

    pub fn with(mut self, key: &str, value: impl Into<Value>) -> ApiError {
        self.data.insert(key.to_string(), value.into());
        self
    }

    pub fn module(mut self, module: &str) -> ApiError {
        self.module = module.to_string();
        self
    }

    /// An internal failure: logged with detail, reported without it (never leak paths or SQL).
    pub fn internal(context: &str, err: impl std::fmt::Display) -> ApiError {
        let id = hex::encode(rand::random::<[u8; 6]>());
        tracing::error!(request_error_id = %id, "{context}: {err}");
        ApiError::new(
            "internal_api_error_DBQueryError",
            format!("[{id}] Exception caught: an internal error occurred ({context}); see the server log for {id}."),
        )
    }

    pub fn missingparam(name: &str) -> ApiError {
        ApiError::new("missingparam", format!("The \"{name}\" parameter must be set."))
    }

    pub fn badtoken() -> ApiError {
        ApiError::new("badtoken", "Invalid CSRF token.")
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> ApiError {
        ApiError::internal("database", e)
    }
}

impl From<std::io::Error> for ApiError {
    fn from(e: std::io::Error) -> ApiError {
        ApiError::internal("storage", e)
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
