//! Base 36 as MediaWiki writes it: SHA-1s as `Wikimedia\base_convert( $hex, 16, 36, 31 )`
//! (`img_sha1`, `fa_sha1`, log params) and the parts of stash keys.

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

/// Lowercase base 36 of an integer (stash keys: `UploadStash::getKey`'s time and random parts).
pub fn encode_u128(mut n: u128) -> String {
    if n == 0 {
        return "0".into();
    }
    let mut out = Vec::new();
    while n > 0 {
        out.push(BASE36_DIGITS[(n % 36) as usize]);
        n /= 36;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h20(s: &str) -> [u8; 20] {
        hex::decode(s).unwrap().try_into().unwrap()
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
    fn integers_like_php_base_convert() {
        assert_eq!(encode_u128(0), "0");
        assert_eq!(encode_u128(35), "z");
        assert_eq!(encode_u128(36), "10");
        assert_eq!(encode_u128(170_000_000_012_345_678), "1ahvyxv5f6tq");
    }
}
