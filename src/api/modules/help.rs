//! `action=help` (and `api.php` with no action): a readable page listing the modules.

use crate::api::Call;
use crate::api::envelope::html_escape;
use axum::body::Body;
use axum::http::{HeaderValue, Response};

pub fn page(call: &Call<'_>) -> Response<Body> {
    let mut html = String::from("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>mwupload API help</title></head><body>");
    html.push_str("<h1>mwupload — MediaWiki Action API</h1><p>This server implements MediaWiki's upload API. Modules:</p><ul>");
    for m in super::ACTIONS {
        html.push_str(&format!(
            "<li><b>action={}</b>{}{}</li>",
            html_escape(m.name),
            if m.must_post { " (POST)" } else { "" },
            m.token.map(|t| format!(" — needs a {t} token")).unwrap_or_default()
        ));
    }
    html.push_str("</ul><p>Use <code>action=paraminfo&amp;modules=…</code> for parameter details.</p></body></html>");
    let _ = call;
    let mut r = Response::new(Body::from(html));
    r.headers_mut()
        .insert("content-type", HeaderValue::from_static("text/html; charset=utf-8"));
    r.headers_mut()
        .insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    r
}
