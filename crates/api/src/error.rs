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

    /// `badcontinue`: a `continue` value this server did not hand out.
    pub fn badcontinue(module: &str) -> ApiError {
        ApiError::new(
            "badcontinue",
            "Invalid continue param. You should pass the original value returned by the previous query.",
        )
        .module(module)
    }

    /// `invalidparammix` for parameters that exclude each other, named as the client sent them
    /// (MediaWiki's list: "a", "b" and "c").
    pub fn cannot_use_together(names: &[String], module: &str) -> ApiError {
        let quoted: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
        let list = match quoted.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
            _ => quoted.concat(),
        };
        ApiError::new("invalidparammix", format!("The parameters {list} can not be used together.")).module(module)
    }

    pub fn badtoken() -> ApiError {
        ApiError::new("badtoken", "Invalid CSRF token.")
    }
}

/// What a disk failure clients should hear about is, in words (`None`: not such a failure).
pub fn storage_failure(e: &std::io::Error) -> Option<&'static str> {
    match e.raw_os_error()? {
        28 => Some("there is no space left on the device"),
        122 => Some("the disk quota is exceeded"),
        5 => Some("the device reported an input/output error"),
        30 => Some("the file system is read-only"),
        _ => None,
    }
}

/// MediaWiki's `backend-fail-internal` with the reason (the details go to the log).
pub fn backend_failure(why: &str, detail: &dyn std::fmt::Display) -> ApiError {
    tracing::error!("storage: {detail}");
    ApiError::new(
        "backend-fail-internal",
        format!("An unknown error occurred in storage backend \"local-backend\": {why}."),
    )
}

impl From<mwupload_store::StoreError> for ApiError {
    fn from(e: mwupload_store::StoreError) -> ApiError {
        if e.is_disk_full() {
            return backend_failure("there is no space left to store the data", &e);
        }
        if let mwupload_store::StoreError::Io(io) = &e
            && let Some(why) = storage_failure(io)
        {
            return backend_failure(why, &e);
        }
        ApiError::internal("storage", e)
    }
}

impl From<std::io::Error> for ApiError {
    fn from(e: std::io::Error) -> ApiError {
        match storage_failure(&e) {
            Some(why) => backend_failure(why, &e),
            None => ApiError::internal("storage", e),
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameter_lists_read_like_mediawikis() {
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            ApiError::cannot_use_together(&names(&["filekey", "file", "url"]), "upload").info,
            "The parameters \"filekey\", \"file\" and \"url\" can not be used together."
        );
        let e = ApiError::cannot_use_together(&names(&["letitle", "leprefix"]), "query+logevents");
        assert_eq!((e.code.as_str(), e.module.as_str()), ("invalidparammix", "query+logevents"));
        assert_eq!(e.info, "The parameters \"letitle\" and \"leprefix\" can not be used together.");
    }
}
