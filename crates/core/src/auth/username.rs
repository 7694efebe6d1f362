//! `UserNameUtils::getCanonical( $name, RIGOR_VALID )`: the one place a user name typed by a
//! client (list=users, the CLI, block/userrights targets) becomes the stored form, or is refused.

use crate::title::{parse_title, ucfirst};

const NS_USER: i32 = 2;
/// `$wgMaxNameChars`, in bytes as PHP's `strlen` counts.
const MAX_NAME_BYTES: usize = 255;

/// The canonical form of a user name (`Foo_bar` → `Foo bar`, `user:x` → `X`), or None when
/// MediaWiki would call it invalid (contains `#`, `/`, `@`-less troublemakers, is an IP address,
/// names another namespace, …).
pub fn canonical(name: &str) -> Option<String> {
    let name = ucfirst(name);
    // A '#' would be cut off as a fragment by title parsing; MediaWiki refuses it first.
    if name.contains('#') {
        return None;
    }
    let title = parse_title(&name, NS_USER)?;
    if title.namespace != NS_USER || !title.fragment.is_empty() {
        return None;
    }
    let text = title.db_key.replace('_', " ");
    is_valid(&text).then_some(text)
}

/// `UserNameUtils::isValid`.
pub fn is_valid(name: &str) -> bool {
    if name.is_empty() || is_ip(name) || name.contains('/') || name.len() > MAX_NAME_BYTES || name != ucfirst(name) {
        return false;
    }
    // It must not resolve to another title (a namespace prefix, say).
    match parse_title(name, 0) {
        Some(t) if t.namespace == 0 && t.fragment.is_empty() && t.db_key.replace('_', " ") == name => {}
        _ => return false,
    }
    !name.chars().any(|c| {
        matches!(c as u32,
            0x80..=0x9f | 0xa0 | 0x2000..=0x200f | 0x2028..=0x202f | 0x3000 | 0xe000..=0xf8ff)
    })
}

/// `UserNameUtils::isCreatable` for a canonical name: valid, and none of
/// `$wgInvalidUsernameCharacters` (`@:>`), so it can never be mistaken for a bot-password login
/// (`User@app`) or an interwiki name.
pub fn is_creatable(name: &str) -> bool {
    is_valid(name) && !name.contains(['@', ':', '>'])
}

/// `UserNameUtils::isIP`: a dotted quad (the last part may be `xxx`) or a valid IPv6 address.
pub fn is_ip(name: &str) -> bool {
    let parts: Vec<&str> = name.split('.').collect();
    let quad = parts.len() == 4
        && parts
            .iter()
            .enumerate()
            .all(|(i, p)| (1..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()) || (i == 3 && *p == "xxx"));
    quad || name.parse::<std::net::Ipv6Addr>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_names_as_mediawiki_makes_them() {
        assert_eq!(canonical("admin").as_deref(), Some("Admin"));
        assert_eq!(canonical("Nobody_here").as_deref(), Some("Nobody here"));
        assert_eq!(canonical("User:bob").as_deref(), Some("Bob"));
        assert_eq!(canonical("Foo:Bar").as_deref(), Some("Foo:Bar"));
        assert_eq!(canonical("A\u{a0}b").as_deref(), Some("A b"));
        assert_eq!(canonical("A\u{200e}b").as_deref(), Some("Ab"));
        for bad in [
            "",
            "Bad<name",
            "127.0.0.1",
            "10.0.0.xxx",
            "::1",
            "A/b",
            "A#b",
            "Talk:Foo",
            "File:X.png",
            "A\u{e000}b",
        ] {
            assert_eq!(canonical(bad), None, "{bad:?}");
        }
        assert_eq!(canonical(&"x".repeat(256)), None);
        assert!(canonical(&"x".repeat(255)).is_some());
        assert!(is_creatable("Bob smith"));
        assert!(!is_creatable("Foo:Bar") && !is_creatable("A@b"));
    }
}
