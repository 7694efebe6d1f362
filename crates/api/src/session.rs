//! Cookie sessions stored in the metadata store (so they survive restarts and are shared by
//! replicas), and resolution of the caller's groups and rights.

use axum::http::HeaderMap;

pub const COOKIE: &str = "mwupload_session";

pub fn session_id_from_headers(headers: &HeaderMap) -> Option<String> {
    for value in headers.get_all("cookie") {
        let Ok(s) = value.to_str() else { continue };
        for pair in s.split(';') {
            let mut kv = pair.trim().splitn(2, '=');
            if kv.next() == Some(COOKIE) {
                let v = kv.next().unwrap_or("").trim();
                if v.len() == 32 && v.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Some(v.to_string());
                }
            }
        }
    }
    None
}

pub fn cookie_header(id: &str) -> String {
    format!("{COOKIE}={id}; Path=/; HttpOnly; SameSite=Lax; Max-Age=31536000")
}

pub fn new_secret() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

pub fn new_session_id() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

pub use mwupload_core::auth::resolve;
