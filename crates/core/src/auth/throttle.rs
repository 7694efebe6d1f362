//! Login throttling as MediaWiki's `Throttler` does it with `$wgPasswordAttemptThrottle`: each
//! condition counts attempts per user name and client address (or per user name alone with
//! `all_ips`) for its window; the attempt after `count` is refused until the window ends, and
//! a successful login clears the counters. The counters live in the database, so replicas
//! share them. Also: password checks off the request threads, a few at a time.

use crate::config::ThrottleCondition;
use crate::state::AppState;
use md5::{Digest, Md5};
use mwupload_store::StoreResult;
use std::net::IpAddr;

/// MediaWiki's two throttle types: main-account logins and bot-password logins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Password,
    BotPassword,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Password => "password",
            Kind::BotPassword => "botpassword",
        }
    }
}

fn key(kind: Kind, index: usize, cond: &ThrottleCondition, user: &str, ip: Option<IpAddr>) -> String {
    let ip = if cond.all_ips {
        String::new()
    } else {
        ip.map(|i| i.to_string()).unwrap_or_default()
    };
    let user = if user.is_empty() {
        String::new()
    } else {
        hex::encode(Md5::digest(user.as_bytes()))
    };
    format!("{}:{index}:{ip}:{user}", kind.name())
}

/// `Throttler::increase`: counts this attempt; `Some(wait)` (the window of the condition that
/// refused it, in seconds) when it must be refused.
pub async fn attempt(state: &AppState, kind: Kind, user: &str, ip: Option<IpAddr>) -> StoreResult<Option<i64>> {
    let now = mwupload_store::time::now_unix();
    for (i, cond) in state.config.limits.password_attempt_throttle.iter().enumerate() {
        if cond.count <= 0 || cond.seconds <= 0 {
            continue;
        }
        if !state
            .meta
            .throttle_attempt(&key(kind, i, cond, user, ip), cond.count, cond.seconds, now)
            .await?
        {
            tracing::info!(
                "login attempt refused: logins to {user:?} from {ip:?} throttled for {} s after {} attempts",
                cond.seconds,
                cond.count
            );
            return Ok(Some(cond.seconds));
        }
    }
    Ok(None)
}

/// `Throttler::clear`, after a successful login.
pub async fn clear(state: &AppState, kind: Kind, user: &str, ip: Option<IpAddr>) -> StoreResult<()> {
    let keys: Vec<String> = state
        .config
        .limits
        .password_attempt_throttle
        .iter()
        .enumerate()
        .map(|(i, c)| key(kind, i, c, user, ip))
        .collect();
    state.meta.throttle_clear(&keys).await
}

/// MediaWiki's `login-throttled` message in English, with the wait as `Language::formatDuration`
/// writes it ("5 minutes", "2 days").
pub fn message(wait_secs: i64) -> String {
    format!(
        "You have made too many recent login attempts.\nPlease wait {} before trying again.",
        format_duration(wait_secs)
    )
}

/// `Language::formatDuration` with its default intervals (years, days, hours, minutes, seconds).
pub fn format_duration(secs: i64) -> String {
    const UNITS: [(&str, i64); 5] = [
        ("year", 31_556_952),
        ("day", 86_400),
        ("hour", 3_600),
        ("minute", 60),
        ("second", 1),
    ];
    let mut left = secs.max(0);
    let mut parts = Vec::new();
    for (name, size) in UNITS {
        let n = left / size;
        left %= size;
        if n > 0 {
            parts.push(if n == 1 { format!("1 {name}") } else { format!("{n} {name}s") });
        }
    }
    match parts.len() {
        0 => "0 seconds".into(),
        1 => parts.remove(0),
        _ => {
            let last = parts.pop().unwrap_or_default();
            format!("{} and {last}", parts.join(", "))
        }
    }
}

/// Password checks run on the blocking pool, at most this many at once, so that a flood of
/// logins neither stalls the async workers nor takes every core.
static HASHING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// A stored hash of a password nobody has, checked for unknown users so that an unknown name
/// costs the same time as a wrong password (no user enumeration by timing).
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| super::password::hash_password(&super::password::random_password(32)))
}

/// Computes the dummy hash now (at start-up), so no login pays for it.
pub fn warm_up() {
    let _ = dummy_hash();
}

/// Checks `plain` against `stored` (or, for `None`, against the dummy hash, and fails) on the
/// blocking pool.
pub async fn verify(plain: &str, stored: Option<&str>) -> bool {
    let Ok(_permit) = HASHING.acquire().await else {
        return false;
    };
    let plain = plain.to_string();
    let known = stored.is_some();
    let stored = stored.unwrap_or_else(|| dummy_hash()).to_string();
    let ok = tokio::task::spawn_blocking(move || super::password::verify_password(&plain, &stored))
        .await
        .unwrap_or(false);
    ok && known
}

/// `User::pingLimiter( $action )` with `$wgRateLimits[$action]` (counters in the database,
/// shared by replicas): `None` when the action may go ahead (and was counted), `Some(seconds)`
/// when a limit refuses it. Callers with `noratelimit` are never limited. As in MediaWiki 1.39:
/// `anon` limits all anonymous callers together; `ip` (per address) applies to anonymous and
/// new (not autoconfirmed) users, `newbie` to new accounts; `user` or the most generous of the
/// caller's groups' limits applies per account.
pub async fn ping_limiter(state: &AppState, caller: &crate::auth::Caller, action: &str) -> StoreResult<Option<i64>> {
    let Some(limits) = state.config.rate_limits.get(action) else {
        return Ok(None);
    };
    if caller.has("noratelimit") {
        return Ok(None);
    }
    let id = caller.user_id();
    let newbie = !caller.has("autoconfirmed");
    let mut keys: Vec<(String, [i64; 2])> = Vec::new();
    if id == 0
        && let Some(l) = limits.get("anon")
    {
        keys.push((format!("limiter:{action}:anon"), *l));
    }
    if newbie {
        if let (Some(l), Some(ip)) = (limits.get("ip"), caller.ip) {
            keys.push((format!("limiter:{action}:ip:{ip}"), *l));
        }
        if id != 0
            && let Some(l) = limits.get("newbie")
        {
            keys.push((format!("limiter:{action}:user:{id}"), *l));
        }
    }
    if id != 0 {
        let mut user_limit = limits.get("user").copied();
        for g in &caller.groups {
            if let Some(l) = limits.get(g.as_str()) {
                let rate = |x: &[i64; 2]| x[0] as f64 / x[1].max(1) as f64;
                if user_limit.is_none_or(|u| rate(l) > rate(&u)) {
                    user_limit = Some(*l);
                }
            }
        }
        if let Some(l) = user_limit {
            let key = format!("limiter:{action}:user:{id}");
            keys.retain(|(k, _)| *k != key);
            keys.push((key, l));
        }
    }
    let now = mwupload_store::time::now_unix();
    let mut refused = None;
    for (key, [count, seconds]) in keys {
        if count < 0 || seconds <= 0 {
            continue;
        }
        if !state.meta.throttle_attempt(&key, count, seconds, now).await? {
            tracing::info!("rate limit {action}: {key} hit its limit of {count} in {seconds} s");
            refused = Some(refused.map_or(seconds, |r: i64| r.max(seconds)));
        }
    }
    Ok(refused)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_mediawikis() {
        assert_eq!(format_duration(300), "5 minutes");
        assert_eq!(format_duration(172_800), "2 days");
        assert_eq!(format_duration(60), "1 minute");
        assert_eq!(format_duration(3_661), "1 hour, 1 minute and 1 second");
        assert_eq!(
            message(300),
            "You have made too many recent login attempts.\nPlease wait 5 minutes before trying again."
        );
    }
}
