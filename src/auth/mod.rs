//! Who is calling: users, bot passwords, sessions, tokens and rights.

pub mod password;
pub mod rights;
pub mod token;

use crate::store::meta::{SessionRow, UserRow};

/// The caller of one request, resolved from its session cookie.
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
}
