//! MediaWiki-compatible session tokens (`MediaWiki\Session\Token`, spec §14.2).
//!
//! ```text
//! token = hash_hmac( 'md5', $timestamp . $salt, $secret ) . dechex( $timestamp ) . '+\'
//! ```
//!
//! (HMAC-MD5, 32 hex digits: MediaWiki 1.27 through current master, verified against the vectors of
//! MediaWiki's `TokenTest`. A short-lived variant used the first 128 bits of HMAC-SHA256 instead.)
//!
//! `$timestamp` is the Unix time in decimal inside the HMAC and in lowercase hex (no leading zeros)
//! in the token. A token matches when it ends in `+\`, everything before is lowercase hex, it is
//! longer than 34 characters, its embedded timestamp is not older than `max_age` (if given), and it
//! equals the token recomputed at that timestamp (constant-time comparison, as `hash_equals`).
//!
//! Anonymous users get the fixed token `+\` for the csrf-like types (`LoggedOutEditToken`); that is
//! the caller's business: [`check_token`] never accepts it.
//!
//! Salts (`ApiQueryTokens::getTokenTypeSalts`, MediaWiki 1.39): csrf `""`, watch `"watch"`, patrol
//! `"patrol"`, rollback `"rollback"`, userrights `"userrights"`. For `login` and `createaccount`
//! MediaWiki uses salt `""` with a *separate per-session secret* (`Session::getToken( '', 'login' )`).
//! This module keeps one secret per session and uses the type name as the salt instead
//! (`"login"`, `"createaccount"`): the tokens are still distinct from the csrf token and from each
//! other, and nobody outside the server can tell the difference.

use hmac::{Hmac, KeyInit, Mac};
use md5::Md5;

/// The token every anonymous user gets for csrf-like types (and the suffix of every token).
pub const ANON_TOKEN: &str = "+\\";

/// Suffix of every token (`Token::SUFFIX`).
pub const SUFFIX: &str = "+\\";

/// Token types known to `action=query&meta=tokens` in MediaWiki 1.39 core, in MediaWiki's order
/// (`ksort` of the salt table; this is also the order of `type` in `action=paraminfo`).
const TOKEN_TYPES: &[&str] = &["createaccount", "csrf", "login", "patrol", "rollback", "userrights", "watch"];

/// Build a token for `secret`/`salt` at `now_unix` (`Token::toStringAtTimestamp`). Negative times
/// are clamped to 0.
pub fn make_token(secret: &[u8], salt: &str, now_unix: i64) -> String {
    let ts = now_unix.max(0) as u64;
    format!("{}{:x}{}", hmac_prefix(secret, salt, ts), ts, SUFFIX)
}

/// Check a token (`Token::match`). `max_age_secs`: reject tokens whose embedded timestamp is older
/// than `now_unix - max_age_secs` (None: no expiry, as for csrf and login tokens). Malformed
/// tokens, including the anonymous `+\`, are rejected. Never panics.
pub fn check_token(secret: &[u8], salt: &str, token: &str, now_unix: i64, max_age_secs: Option<i64>) -> bool {
    let Some(ts) = token_timestamp(token) else {
        return false;
    };
    if let Some(max_age) = max_age_secs
        && (ts as i128) < (now_unix as i128) - (max_age as i128)
    {
        return false;
    }
    let expected = format!("{}{:x}{}", hmac_prefix(secret, salt, ts), ts, SUFFIX);
    crate::auth::ct_eq(expected.as_bytes(), token.as_bytes())
}

/// `Token::getTimestamp`: the embedded Unix time, or None if the token is syntactically invalid
/// (not longer than 32 + 2 characters, no `+\` suffix, or not all lowercase hex before it). A
/// timestamp beyond `i64::MAX` is treated as invalid.
pub fn token_timestamp(token: &str) -> Option<u64> {
    let body = token.strip_suffix(SUFFIX)?;
    if token.len() <= 32 + SUFFIX.len() {
        return None;
    }
    if !body.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        return None;
    }
    // body is ASCII and longer than 32 bytes.
    let hex_ts = &body[32..];
    let ts = u64::from_str_radix(hex_ts, 16).ok()?;
    if ts > i64::MAX as u64 {
        return None;
    }
    Some(ts)
}

/// Whether `token` is the anonymous token `+\` (`LoggedOutEditToken::match`).
pub fn is_anon_token(token: &str) -> bool {
    token == ANON_TOKEN
}

/// Salt of a token type (see the module docs for `login`/`createaccount`). None for unknown types.
pub fn salt_for_type(token_type: &str) -> Option<&'static str> {
    Some(match token_type {
        "csrf" => "",
        "watch" => "watch",
        "patrol" => "patrol",
        "rollback" => "rollback",
        "userrights" => "userrights",
        "login" => "login",
        "createaccount" => "createaccount",
        _ => return None,
    })
}

/// Whether MediaWiki hands out a real token of this type even to anonymous users (and persists the
/// session when it does): true for `login` and `createaccount` (array salts in
/// `getTokenTypeSalts`). For the other types anonymous users get [`ANON_TOKEN`].
pub fn real_token_for_anon(token_type: &str) -> bool {
    matches!(token_type, "login" | "createaccount")
}

/// Token types in MediaWiki's order.
pub fn token_types() -> &'static [&'static str] {
    TOKEN_TYPES
}

/// HMAC-MD5( key = secret, msg = decimal ts . salt ) as 32 lowercase hex digits.
fn hmac_prefix(secret: &[u8], salt: &str, ts: u64) -> String {
    // HMAC takes keys of any length; the error branch is unreachable.
    let Ok(mut mac) = <Hmac<Md5> as KeyInit>::new_from_slice(secret) else {
        return "0".repeat(32);
    };
    mac.update(ts.to_string().as_bytes());
    mac.update(salt.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// MediaWiki's TokenTest: new Token( 'sekret', 'salty' ).
    #[test]
    fn mediawiki_test_vectors() {
        assert_eq!(
            make_token(b"sekret", "salty", 1447362018),
            "d9ade0c7d4349e9df9094e61c33a5a0d5644fde2+\\"
        );
        assert_eq!(
            make_token(b"sekret", "salty", 1447362026),
            "ee2f7a2488dea9176c224cfb400d43be5644fdea+\\"
        );
        assert_eq!(token_timestamp("d9ade0c7d4349e9df9094e61c33a5a0d5644fde2+\\"), Some(1447362018));
        assert_eq!(token_timestamp("ee2f7a2488dea9176c224cfb400d43be5644fdea+\\"), Some(1447362026));
        assert_eq!(token_timestamp("ee2f7a2488dea9176c224cfb400d43be5644fdea-\\"), None);
        assert_eq!(token_timestamp("ee2f7a2488dea9176c224cfb400d43be+\\"), None);
        assert_eq!(token_timestamp("ee2f7a2488dea9x76c224cfb400d43be5644fdea+\\"), None);
        let now = 1447362018 + 10;
        let t = make_token(b"sekret", "salty", now - 10);
        assert!(check_token(b"sekret", "salty", &t, now, None));
        assert!(check_token(b"sekret", "salty", &t, now, Some(12)));
        assert!(!check_token(b"sekret", "salty", &t, now, Some(8)));
        assert!(!check_token(
            b"sekret",
            "salty",
            "ee2f7a2488dea9176c224cfb400d43be5644fdea-\\",
            now,
            None
        ));
    }

    #[test]
    fn round_trip_and_shape() {
        let secret = b"0123456789abcdef0123456789abcdef";
        let t = make_token(secret, "", 1_795_728_185);
        // Shape seen in the 1.39 transcripts: 32 hex + hex time (6b08a339) + "+\"
        assert_eq!(t.len(), 32 + 8 + 2);
        assert!(t.ends_with("6b08a339+\\"), "{t}");
        assert!(check_token(secret, "", &t, 1_795_728_185, None));
        assert!(check_token(secret, "", &t, 1_795_728_185 + 1_000_000, None));
        // Token from the future is fine (MediaWiki only checks age).
        assert!(check_token(secret, "", &t, 0, Some(10)));
    }

    #[test]
    fn wrong_secret_or_salt_fails() {
        let t = make_token(b"secret-a", "", 1_700_000_000);
        assert!(!check_token(b"secret-b", "", &t, 1_700_000_000, None));
        assert!(!check_token(b"secret-a", "watch", &t, 1_700_000_000, None));
        let csrf = make_token(b"s", salt_for_type("csrf").unwrap(), 1_700_000_000);
        let login = make_token(b"s", salt_for_type("login").unwrap(), 1_700_000_000);
        let create = make_token(b"s", salt_for_type("createaccount").unwrap(), 1_700_000_000);
        assert_ne!(csrf, login);
        assert_ne!(login, create);
        assert!(!check_token(b"s", "", &login, 1_700_000_000, None));
        assert!(check_token(b"s", "login", &login, 1_700_000_000, None));
        // Empty secret still works (HMAC accepts any key length).
        let t = make_token(b"", "", 5);
        assert!(check_token(b"", "", &t, 5, None));
    }

    #[test]
    fn expiry() {
        let t = make_token(b"k", "", 1000);
        assert!(check_token(b"k", "", &t, 1100, Some(100)));
        assert!(!check_token(b"k", "", &t, 1101, Some(100)));
        assert!(check_token(b"k", "", &t, 1101, None));
        assert!(!check_token(b"k", "", &t, i64::MAX, Some(0)));
        assert!(check_token(b"k", "", &t, i64::MIN, Some(i64::MAX)));
        assert!(!check_token(b"k", "", &t, i64::MAX, Some(i64::MIN)));
    }

    #[test]
    fn tampered_tokens_fail() {
        let t = make_token(b"k", "", 1_700_000_000);
        // Change the timestamp: the HMAC no longer matches.
        let other_ts = format!("{}{:x}+\\", &t[..32], 1_700_000_001u64);
        assert!(!check_token(b"k", "", &other_ts, 1_700_000_001, None));
        // Leading zero in the timestamp: parses, but dechex() would not produce it.
        let padded = format!("{}0{}", &t[..32], &t[32..]);
        assert_eq!(token_timestamp(&padded), Some(1_700_000_000));
        assert!(!check_token(b"k", "", &padded, 1_700_000_000, None));
        // Uppercase hex is not accepted.
        assert!(!check_token(b"k", "", &t.to_uppercase(), 1_700_000_000, None));
        // Flip one HMAC char.
        let mut flipped = t.clone().into_bytes();
        flipped[0] = if flipped[0] == b'a' { b'b' } else { b'a' };
        assert!(!check_token(b"k", "", std::str::from_utf8(&flipped).unwrap(), 1_700_000_000, None));
    }

    #[test]
    fn malformed_tokens_fail_without_panic() {
        let now = 1_700_000_000;
        let long_hex = format!("{}+\\", "f".repeat(200));
        let max_hex = format!("{}7fffffffffffffff+\\", "0".repeat(32));
        let over_hex = format!("{}8000000000000000+\\", "0".repeat(32));
        let bad = [
            "",
            "+",
            "\\",
            "+\\",
            "++\\",
            "abc+\\",
            "0123456789abcdef0123456789abcdef+\\",
            "0123456789abcdef0123456789abcdef1",
            "0123456789abcdef0123456789abcdef1+",
            "0123456789abcdef0123456789abcdef1\\",
            "0123456789abcdef0123456789abcdef1+\\\\",
            "0123456789abcdef0123456789abcdeg1+\\",
            "0123456789abcdef0123456789abcdef 1+\\",
            "é123456789abcdef0123456789abcdef1+\\",
            "0123456789abcdef0123456789abcdef😀+\\",
            long_hex.as_str(),
            max_hex.as_str(),
            over_hex.as_str(),
            "\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}+\\",
        ];
        for b in bad {
            assert!(!check_token(b"k", "", b, now, None), "{b:?}");
            assert!(!check_token(b"k", "", b, now, Some(10)), "{b:?}");
        }
        assert_eq!(token_timestamp(&over_hex), None);
        assert_eq!(token_timestamp(&max_hex), Some(i64::MAX as u64));
        // Shortest valid-looking token: 32 hex + 1 hex digit.
        let t = make_token(b"k", "", 5);
        assert_eq!(t.len(), 35);
        assert!(check_token(b"k", "", &t, 5, None));
        // Extreme times
        let t = make_token(b"k", "", i64::MAX);
        assert!(check_token(b"k", "", &t, i64::MAX, Some(0)));
        let t = make_token(b"k", "", -5);
        assert!(t.ends_with("0+\\"));
        assert!(check_token(b"k", "", &t, 0, None));
    }

    #[test]
    fn anonymous_token_never_accepted() {
        assert!(is_anon_token(ANON_TOKEN));
        assert!(!is_anon_token("x+\\"));
        for secret in [&b""[..], b"k", b"anything"] {
            for salt in ["", "login", "watch"] {
                assert!(!check_token(secret, salt, ANON_TOKEN, 0, None));
                assert!(!check_token(secret, salt, ANON_TOKEN, 1_700_000_000, Some(100)));
            }
        }
        assert_eq!(ANON_TOKEN, "+\\");
        assert_eq!(ANON_TOKEN.len(), 2);
    }

    #[test]
    fn types_and_salts() {
        assert_eq!(
            token_types(),
            &["createaccount", "csrf", "login", "patrol", "rollback", "userrights", "watch"]
        );
        for t in token_types() {
            assert!(salt_for_type(t).is_some(), "{t}");
        }
        assert_eq!(salt_for_type("csrf"), Some(""));
        assert_eq!(salt_for_type("watch"), Some("watch"));
        assert_eq!(salt_for_type("patrol"), Some("patrol"));
        assert_eq!(salt_for_type("rollback"), Some("rollback"));
        assert_eq!(salt_for_type("userrights"), Some("userrights"));
        assert_eq!(salt_for_type("edit"), None);
        assert_eq!(salt_for_type("upload"), None);
        assert_eq!(salt_for_type("deleteglobalaccount"), None);
        assert_eq!(salt_for_type(""), None);
        assert!(real_token_for_anon("login"));
        assert!(real_token_for_anon("createaccount"));
        assert!(!real_token_for_anon("csrf"));
    }
}
