//! Who is calling: users, bot passwords, sessions, tokens and rights.

pub mod password;
pub mod rights;
pub mod throttle;
pub mod token;
pub mod username;

use crate::state::AppState;
use mwupload_store::{SessionCaller, SessionRow, StoreResult, UserRow};

/// The caller of one request (or the user a job runs as), resolved from a session.
#[derive(Debug, Clone, Default)]
pub struct Caller {
    pub session: Option<SessionRow>,
    pub user: Option<UserRow>,
    /// Set when the session was logged in with a bot password (`User@app`).
    pub bot_app: Option<String>,
    /// Effective groups, explicit then implicit (`*`, `user`, `autoconfirmed`), as MediaWiki lists them.
    pub groups: Vec<String>,
    /// Effective rights of this session (a bot-password session: user rights ∩ grants).
    pub rights: Vec<String>,
    /// The address the request came from, when known (address blocks apply to it).
    pub ip: Option<std::net::IpAddr>,
}

impl Caller {
    pub fn is_logged_in(&self) -> bool {
        self.user.is_some()
    }
    pub fn has(&self, right: &str) -> bool {
        self.rights.iter().any(|r| r == right)
    }
    pub fn user_id(&self) -> i64 {
        self.user.as_ref().map(|u| u.id).unwrap_or(0)
    }
    pub fn user_name(&self) -> String {
        self.user.as_ref().map(|u| u.name.clone()).unwrap_or_default()
    }
    /// Token secret of the session, if there is a session.
    pub fn secret(&self) -> Option<&[u8]> {
        self.session.as_ref().map(|s| s.secret.as_bytes())
    }
    /// The caller for `user_id` logged in with bot password `bot_app` (how a job runs as the
    /// session that queued it).
    pub async fn for_user(state: &AppState, user_id: i64, bot_app: Option<String>) -> StoreResult<Caller> {
        let session = SessionRow {
            id: String::new(),
            secret: String::new(),
            user_id: Some(user_id),
            bot_app_id: bot_app,
        };
        resolve(state, Some(session)).await
    }
}

/// Builds the caller from a session row (or none: anonymous without a session), reading its
/// user and bot password.
pub async fn resolve(state: &AppState, session: Option<SessionRow>) -> StoreResult<Caller> {
    let Some(session) = session else {
        return Ok(caller_of(state, None));
    };
    let user = match session.user_id {
        Some(uid) => state.meta.user_by_id(uid).await?,
        None => None,
    };
    let bot_password = match (&user, &session.bot_app_id) {
        (Some(u), Some(app)) => state.meta.bot_password(u.id, app).await?,
        _ => None,
    };
    Ok(caller_of(
        state,
        Some(SessionCaller {
            session,
            user,
            bot_password,
        }),
    ))
}

/// The caller of a session already read with its user and bot password
/// (`MetaStore::session_caller`), or none: anonymous without a session.
pub fn caller_of(state: &AppState, loaded: Option<SessionCaller>) -> Caller {
    let Some(SessionCaller {
        session,
        user,
        bot_password,
    }) = loaded
    else {
        return Caller::default().with_rights(state, None);
    };
    let mut caller = Caller {
        session: Some(session.clone()),
        ..Default::default()
    };
    let mut grants: Option<Vec<String>> = None;
    if let Some(user) = user {
        if let Some(app) = &session.bot_app_id {
            match bot_password {
                Some(bp) => grants = Some(bp.grants),
                // The bot password was removed: the session no longer authenticates.
                None => {
                    return Caller {
                        session: Some(session),
                        ..Default::default()
                    }
                    .with_rights(state, None);
                }
            }
            caller.bot_app = Some(app.clone());
        }
        crate::request_log::set_user(&user.name);
        caller.user = Some(user);
    }
    caller.with_rights(state, grants.as_deref())
}

impl Caller {
    fn with_rights(mut self, state: &AppState, grants: Option<&[String]>) -> Caller {
        let explicit = self.user.as_ref().map(|u| u.groups.clone()).unwrap_or_default();
        self.groups = rights::effective_groups(&explicit, self.user.is_some());
        self.rights = rights::effective_rights(&state.permissions, &self.groups, grants);
        self
    }
}

/// Constant-time equality for equal-length inputs (the length itself is not secret, as with
/// PHP's `hash_equals`).
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.ct_eq(b))
}
