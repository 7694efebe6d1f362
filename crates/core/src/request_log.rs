//! What one request did, for the access log and the metrics: the user the request ran as and
//! the outcome of an upload. The HTTP layer opens a [`scope`] around each request; the code that
//! learns these facts (session resolution, the upload module) writes them with [`set_user`] and
//! [`note_upload`]. Outside a scope (jobs, tests) the calls do nothing.

use std::sync::{Arc, Mutex};

/// Facts about one request, filled while it is handled.
#[derive(Debug, Default, Clone)]
pub struct RequestNote {
    pub user: Option<String>,
    pub upload: Option<UploadNote>,
}

/// One `action=upload` call: the target name, the bytes it carried and its result
/// (`Success`, `Warning`, `Continue`, `Poll` or an error code).
#[derive(Debug, Clone)]
pub struct UploadNote {
    pub name: String,
    pub bytes: u64,
    pub result: String,
}

pub type Shared = Arc<Mutex<RequestNote>>;

tokio::task_local! {
    static NOTE: Shared;
}

/// Runs `f` with `note` as the current request's note.
pub async fn scope<F: std::future::Future>(note: Shared, f: F) -> F::Output {
    NOTE.scope(note, f).await
}

fn with(f: impl FnOnce(&mut RequestNote)) {
    let _ = NOTE.try_with(|n| f(&mut n.lock().unwrap_or_else(|e| e.into_inner())));
}

/// Records the logged-in user of the current request.
pub fn set_user(name: &str) {
    with(|n| n.user = Some(name.to_string()));
}

/// Records the outcome of an upload in the current request.
pub fn note_upload(name: &str, bytes: u64, result: &str) {
    with(|n| {
        n.upload = Some(UploadNote {
            name: name.to_string(),
            bytes,
            result: result.to_string(),
        })
    });
}
