//! MediaWiki storage naming (spec §13.2): hashed upload directories, archive names, URL encoding
//! of file paths, and base-36 SHA-1 (`img_sha1`).
//!
//! Sources: `FileRepo::getHashPathForLevel` (`$wgHashedUploadDirectory`, 2 levels),
//! `File::getUrlRel` (`getHashPath() . rawurlencode( getName() )`), `File::getArchiveUrl`
//! (`/archive/` + hash path of the *current* name + `rawurlencode( $archiveName )`),
//! `FileRepo::getDeletedHashPath` (3 levels), `Wikimedia\base_convert( $hex, 16, 36, 31 )`.

use md5::{Digest, Md5};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// PHP `rawurlencode` (RFC 3986): everything but `A-Z a-z 0-9 - _ . ~` is percent-encoded, with
/// uppercase hex digits.
const RAWURLENCODE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// PHP `rawurlencode`.
pub fn rawurlencode(s: &str) -> String {
    utf8_percent_encode(s, RAWURLENCODE).to_string()
}

/// Two-level hash directory of a name: md5 of the (underscored, UTF-8) DB key as lowercase hex,
/// `h[0] + "/" + h[0..2]`, e.g. "Example.png" -> "7/70". No trailing slash.
pub fn hash_path(db_key: &str) -> String {
    let h = hex::encode(Md5::digest(db_key.as_bytes()));
    format!("{}/{}", &h[..1], &h[..2])
}

/// Name of an archived (old) version: `<YYYYMMDDHHMMSS>!<name>` ("20250115102030!Foo.png").
pub fn archive_name(timestamp_yyyymmddhhmmss: &str, db_key: &str) -> String {
    format!("{timestamp_yyyymmddhhmmss}!{db_key}")
}

/// Path of the current version relative to the public zone root, raw (for the disk):
/// "a/ab/Foo.png".
pub fn public_rel_path(db_key: &str) -> String {
    format!("{}/{}", hash_path(db_key), db_key)
}

/// Path of the current version relative to the upload URL (`$wgUploadPath`), encoded the way
/// `File::getUrlRel` does (rawurlencode of the name): "a/ab/Foo_%C3%A9.png".
pub fn public_url_path(db_key: &str) -> String {
    format!("{}/{}", hash_path(db_key), rawurlencode(db_key))
}

/// Path of an archived version relative to the public zone root, raw (for the disk):
/// "archive/a/ab/20250115102030!Foo.png". The hash is that of the current name `db_key`.
pub fn archive_rel_path(archive_name: &str, db_key: &str) -> String {
    format!("archive/{}/{}", hash_path(db_key), archive_name)
}

/// URL path of an archived version (`File::getArchiveUrl`):
/// "archive/a/ab/20250115102030%21Foo.png". The hash is that of the current name `db_key`.
pub fn archive_url_path(archive_name: &str, db_key: &str) -> String {
    format!("archive/{}/{}", hash_path(db_key), rawurlencode(archive_name))
}

/// Path of a deleted file in the deleted zone (not publicly served, `FileRepo::getDeletedHashPath`
/// with 3 levels over the storage key `<sha1 base36>.<ext>`): "p/h/o/phoiac9h4m842xq45sp7s6u21eteeq1.png".
/// An empty `ext` gives a key without a dot.
pub fn deleted_rel_path(sha1_base36: &str, ext: &str) -> String {
    let key = if ext.is_empty() {
        sha1_base36.to_string()
    } else {
        format!("{sha1_base36}.{ext}")
    };
    let mut path = String::new();
    for c in key.chars().take(3) {
        path.push(c);
        path.push('/');
    }
    path.push_str(&key);
    path
}

const BASE36_DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";

/// Length of a base-36 SHA-1 (36^31 > 2^160).
pub const SHA1_BASE36_LEN: usize = 31;

/// MediaWiki's `Wikimedia\base_convert( sha1_hex, 16, 36, 31 )`: lowercase base 36, left-padded
/// with '0' to 31 characters (`img_sha1`, `fa_sha1`, `oi_sha1`).
pub fn sha1_base36(sha1: &[u8; 20]) -> String {
    // Repeated division of the big-endian number by 36.
    let mut num = *sha1;
    let mut digits = Vec::with_capacity(SHA1_BASE36_LEN);
    while num.iter().any(|&b| b != 0) {
        let mut rem: u32 = 0;
        for byte in num.iter_mut() {
            let cur = (rem << 8) | u32::from(*byte);
            *byte = (cur / 36) as u8;
            rem = cur % 36;
        }
        digits.push(BASE36_DIGITS[rem as usize]);
    }
    while digits.len() < SHA1_BASE36_LEN {
        digits.push(b'0');
    }
    digits.reverse();
    String::from_utf8(digits).unwrap_or_default()
}

/// Inverse of [`sha1_base36`]. Accepts 1–31 base-36 digits (either case; leading zeros optional);
/// None for anything else or a value that does not fit 160 bits.
pub fn sha1_from_base36(s: &str) -> Option<[u8; 20]> {
    if s.is_empty() || s.len() > SHA1_BASE36_LEN {
        return None;
    }
    let mut num = [0u8; 20];
    for c in s.bytes() {
        let d = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'z' => c - b'a' + 10,
            b'A'..=b'Z' => c - b'A' + 10,
            _ => return None,
        };
        // num = num * 36 + d
        let mut carry = u32::from(d);
        for byte in num.iter_mut().rev() {
            let cur = u32::from(*byte) * 36 + carry;
            *byte = (cur & 0xff) as u8;
            carry = cur >> 8;
        }
        if carry != 0 {
            return None;
        }
    }
    Some(num)
}

/// Convenience: base-36 SHA-1 of a hex SHA-1 (40 hex digits, either case); None if malformed.
pub fn sha1_hex_to_base36(hex_sha1: &str) -> Option<String> {
    let bytes: [u8; 20] = hex::decode(hex_sha1).ok()?.try_into().ok()?;
    Some(sha1_base36(&bytes))
}

/// Convenience: lowercase hex SHA-1 of a base-36 one; None if malformed.
pub fn sha1_base36_to_hex(b36: &str) -> Option<String> {
    sha1_from_base36(b36).map(hex::encode)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h20(s: &str) -> [u8; 20] {
        hex::decode(s).unwrap().try_into().unwrap()
    }

    #[test]
    fn hash_paths_match_mediawiki() {
        // From the spec and the 1.39 transcripts (URLs /images/<hash>/<name>).
        assert_eq!(hash_path("Example.png"), "7/70");
        assert_eq!(hash_path("Ref2-a.png"), "9/95");
        assert_eq!(hash_path("Ref2-a-fv2.png"), "1/17");
        assert_eq!(hash_path("Ref2-ok.svg"), "7/76");
        assert_eq!(hash_path("Ref2-plain.txt"), "a/a2");
        assert_eq!(public_rel_path("Ref2-a.png"), "9/95/Ref2-a.png");
        assert_eq!(public_url_path("Ref2-a.png"), "9/95/Ref2-a.png");
        assert_eq!(public_url_path("Foo_bar.png"), "0/08/Foo_bar.png");
    }

    #[test]
    fn archive_paths() {
        let an = archive_name("20261126212307", "Ref2-a.png");
        assert_eq!(an, "20261126212307!Ref2-a.png");
        // Transcript: /images/archive/9/95/20261126212307%21Ref2-a.png
        assert_eq!(archive_url_path(&an, "Ref2-a.png"), "archive/9/95/20261126212307%21Ref2-a.png");
        assert_eq!(archive_rel_path(&an, "Ref2-a.png"), "archive/9/95/20261126212307!Ref2-a.png");
        assert_eq!(archive_name("20250115102030", "Foo.png"), "20250115102030!Foo.png");
    }

    #[test]
    fn rawurlencode_like_php() {
        assert_eq!(rawurlencode("Ünïcödé_ñame.jpg"), "%C3%9Cn%C3%AFc%C3%B6d%C3%A9_%C3%B1ame.jpg");
        assert_eq!(
            public_url_path("Ünïcödé_ñame.jpg"),
            "3/3b/%C3%9Cn%C3%AFc%C3%B6d%C3%A9_%C3%B1ame.jpg"
        );
        assert_eq!(rawurlencode("a-b_c.d~e"), "a-b_c.d~e");
        assert_eq!(
            rawurlencode("a b+c&d'e(f)!*,;=@$%\"`^"),
            "a%20b%2Bc%26d%27e%28f%29%21%2A%2C%3B%3D%40%24%25%22%60%5E"
        );
        assert_eq!(rawurlencode("x/y?z"), "x%2Fy%3Fz");
    }

    #[test]
    fn base36_known_values() {
        // Computed with Python: int(hex, 16) in base 36, zero-padded to 31.
        let table = [
            ("da39a3ee5e6b4b0d3255bfef95601890afd80709", "phoiac9h4m842xq45sp7s6u21eteeq1"), // sha1("")
            ("a9993e364706816aba3e25717850c26c9cd0d89d", "jt72fo5t4yobf0qugwuczbwj07max7h"), // sha1("abc")
            ("0000000000000000000000000000000000000000", "0000000000000000000000000000000"),
            ("ffffffffffffffffffffffffffffffffffffffff", "twj4yidkw7a8pn4g709kzmfoaol3x8f"),
            ("0e4da3d38593202feada782da50eecb438ab5011", "1o5c1hhq5lks9rlikpcepq8rrum15ht"),
            ("0000000000000000000000000000000000000001", "0000000000000000000000000000001"),
        ];
        for (hx, b36) in table {
            assert_eq!(sha1_base36(&h20(hx)), b36, "{hx}");
            assert_eq!(sha1_from_base36(b36), Some(h20(hx)), "{b36}");
            assert_eq!(sha1_hex_to_base36(hx).as_deref(), Some(b36));
            assert_eq!(sha1_base36_to_hex(b36).as_deref(), Some(hx));
        }
        use sha1::{Digest as _, Sha1};
        let d: [u8; 20] = Sha1::digest(b"").into();
        assert_eq!(sha1_base36(&d), "phoiac9h4m842xq45sp7s6u21eteeq1");
    }

    #[test]
    fn base36_parse_edges() {
        assert_eq!(sha1_from_base36("1"), Some(h20("0000000000000000000000000000000000000001")));
        assert_eq!(
            sha1_from_base36("PHOIAC9H4M842XQ45SP7S6U21ETEEQ1"),
            Some(h20("da39a3ee5e6b4b0d3255bfef95601890afd80709"))
        );
        assert_eq!(sha1_from_base36(""), None);
        assert_eq!(sha1_from_base36("0000000000000000000000000000000a"), None); // 32 chars
        assert_eq!(sha1_from_base36("twj4yidkw7a8pn4g709kzmfoaol3x8g"), None); // 2^160
        assert_eq!(sha1_from_base36("zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"), None);
        assert_eq!(sha1_from_base36("phoiac9h4m842xq45sp7s6u21etee-1"), None);
        assert_eq!(sha1_from_base36("é"), None);
        assert_eq!(sha1_hex_to_base36("xyz"), None);
        assert_eq!(sha1_hex_to_base36("00"), None);
    }

    #[test]
    fn base36_round_trip_many() {
        let mut x = [0u8; 20];
        for i in 0..500u32 {
            // cheap deterministic pseudo-random bytes
            for (j, b) in x.iter_mut().enumerate() {
                *b = (i.wrapping_mul(2654435761).rotate_left(j as u32) >> (j % 24)) as u8;
            }
            let s = sha1_base36(&x);
            assert_eq!(s.len(), 31);
            assert_eq!(sha1_from_base36(&s), Some(x));
        }
    }

    #[test]
    fn deleted_paths() {
        assert_eq!(
            deleted_rel_path("phoiac9h4m842xq45sp7s6u21eteeq1", "png"),
            "p/h/o/phoiac9h4m842xq45sp7s6u21eteeq1.png"
        );
        assert_eq!(deleted_rel_path("ab", ""), "a/b/ab");
    }
}
