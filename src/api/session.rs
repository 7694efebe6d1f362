//! Cookie sessions stored in the metadata store (so they survive restarts and are shared by
//! replicas), and resolution of the caller's groups and rights.

use crate::app::AppState;
use crate::auth::{Caller, rights};
use crate::store::meta::SessionRow;
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

/// Builds the caller from a session row (or none: anonymous without a session).
pub async fn resolve(state: &AppState, session: Option<SessionRow>) -> Result<Caller, sqlx::Error> {
    let mut caller = Caller {
        session: session.clone(),
        ..Default::default()
    };
    let mut grants: Option<Vec<String>> = None;
    if let Some(s) = &session
        && let Some(uid) = s.user_id
        && let Some(user) = state.meta.user_by_id(uid).await?
    {
        if let Some(app) = &s.bot_app_id {
            match state.meta.bot_password(uid, app).await? {
                Some(bp) => grants = Some(bp.grants),
                // The bot password was removed: the session no longer authenticates.
                None => {
                    return Ok(Caller {
                        session,
                        ..Default::default()
                    }
                    .with_rights(state, None));
                }
            }
            caller.bot_app = Some(app.clone());
        }
        caller.user = Some(user);
    }
    Ok(caller.with_rights(state, grants.as_deref()))
}

impl Caller {
    fn with_rights(mut self, state: &AppState, grants: Option<&[String]>) -> Caller {
        let explicit = self.user.as_ref().map(|u| u.groups.clone()).unwrap_or_default();
        self.groups = rights::effective_groups(&explicit, self.user.is_some());
        self.rights = rights::effective_rights(&state.permissions, &self.groups, grants);
        self
    }
}
