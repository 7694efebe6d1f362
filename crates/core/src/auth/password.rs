//! Password hashes in MediaWiki's own string format, so that `user_password` / `bp_password` values
//! can move between MediaWiki and this server.
//!
//! MediaWiki's default type is `pbkdf2` (`AbstractPbkdf2Password` / `Pbkdf2PasswordUsingHashExtension`
//! with `$wgPasswordConfig['pbkdf2']` = algo sha512, cost 30000, length 64):
//!
//! ```text
//! :pbkdf2:<algo>:<rounds>:<length>:<base64 salt>:<base64 hash>
//! :pbkdf2:sha512:30000:64:<16 random bytes, base64>:<hash_pbkdf2( algo, password, salt, rounds, length, raw ), base64>
//! ```
//!
//! Verification re-hashes with the stored parameters and compares the result with the stored hash
//! in constant time, as `Password::verify` does with `hash_equals` on the whole string.
//! Random passwords use the alphabet of `PasswordFactory::generateRandomPasswordString`
//! (base 32: `0-9a-v`), which is what MediaWiki's bot-password login heuristic (`^[0-9a-w]{32,}$`)
//! expects.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use rand::Rng as _;

/// Default PBKDF2 parameters (`$wgPasswordConfig['pbkdf2']`).
pub const DEFAULT_ALGO: &str = "sha512";
pub const DEFAULT_ROUNDS: u32 = 30000;
pub const DEFAULT_LENGTH: usize = 64;
/// Salt length in bytes (`random_bytes( 16 )`).
pub const SALT_BYTES: usize = 16;

/// Upper bounds accepted when *verifying* a stored string, so that a corrupt or hostile stored value
/// cannot make one login attempt run for minutes or allocate without bound. MediaWiki accepts up to
/// 0x7ffffffe for both; real hashes use 10 000–200 000 rounds and 64–128 bytes.
pub const MAX_VERIFY_ROUNDS: u32 = 10_000_000;
pub const MAX_VERIFY_LENGTH: usize = 1024;

/// Hash a password with MediaWiki's default parameters and a fresh random salt:
/// `:pbkdf2:sha512:30000:64:<salt b64>:<hash b64>`.
pub fn hash_password(plain: &str) -> String {
    let mut salt = [0u8; SALT_BYTES];
    rand::rng().fill(&mut salt[..]);
    hash_with(plain, DEFAULT_ALGO, DEFAULT_ROUNDS, DEFAULT_LENGTH, &salt).unwrap_or_default() // unreachable: the defaults are valid
}

/// Hash with explicit parameters (for tests and migrations). None for an unsupported algorithm or
/// out-of-range rounds/length.
pub fn hash_with(plain: &str, algo: &str, rounds: u32, length: usize, salt: &[u8]) -> Option<String> {
    let derived = pbkdf2_by_name(algo, plain.as_bytes(), salt, rounds, length)?;
    Some(format!(
        ":pbkdf2:{algo}:{rounds}:{length}:{}:{}",
        B64.encode(salt),
        B64.encode(derived)
    ))
}

/// Check `plain` against a stored MediaWiki password string. Accepts any `:pbkdf2:` string with a
/// supported algorithm (md5, sha1, sha224, sha256, sha384, sha512). Unknown or malformed formats →
/// false. Never panics.
pub fn verify_password(plain: &str, stored: &str) -> bool {
    let Some(p) = parse_pbkdf2(stored) else {
        return false;
    };
    let Some(derived) = pbkdf2_by_name(p.algo, plain.as_bytes(), &p.salt, p.rounds, p.length) else {
        return false;
    };
    let computed = B64.encode(derived);
    crate::auth::ct_eq(computed.as_bytes(), p.hash.as_bytes())
}

/// Whether a stored hash uses parameters other than the current defaults (`Password::needsUpdate`),
/// so the caller may re-hash it after a successful login. Unparseable strings need an update too.
pub fn needs_rehash(stored: &str) -> bool {
    match parse_pbkdf2(stored) {
        Some(p) => p.algo != DEFAULT_ALGO || p.rounds != DEFAULT_ROUNDS || p.length != DEFAULT_LENGTH,
        None => true,
    }
}

/// A random password of `len` characters from the base-32 alphabet `0-9a-v`, drawn from a CSPRNG
/// (`rand::rng()`: ChaCha12 seeded and periodically reseeded from the OS). MediaWiki bot passwords
/// are 32 characters.
pub fn random_password(len: usize) -> String {
    const ALPHABET: &[u8; 32] = b"0123456789abcdefghijklmnopqrstuv";
    let mut rng = rand::rng();
    (0..len)
        .map(|_| {
            let r: u8 = rng.random();
            ALPHABET[(r & 31) as usize] as char // 32 divides 256: no modulo bias
        })
        .collect()
}

struct Parsed<'a> {
    algo: &'a str,
    rounds: u32,
    length: usize,
    salt: Vec<u8>,
    hash: &'a str,
}

/// `:pbkdf2:<algo>:<rounds>:<length>:<salt>[:<extra>...]:<hash>` (`ParameterizedPassword::parseHash`:
/// three named parameters, then the arguments, the last of which is the hash; the salt is the
/// first argument).
fn parse_pbkdf2(stored: &str) -> Option<Parsed<'_>> {
    let rest = stored.strip_prefix(":pbkdf2:")?;
    let parts: Vec<&str> = rest.split(':').collect();
    if parts.len() < 5 {
        return None;
    }
    let algo = parts[0];
    let rounds = parse_decimal(parts[1])?;
    let length = parse_decimal(parts[2])?;
    if rounds == 0 || rounds > MAX_VERIFY_ROUNDS as u64 || length == 0 || length > MAX_VERIFY_LENGTH as u64 {
        return None;
    }
    let salt = B64.decode(parts[3]).ok()?;
    let hash = *parts.last()?;
    if hash.is_empty() {
        return None;
    }
    Some(Parsed {
        algo,
        rounds: rounds as u32,
        length: length as usize,
        salt,
        hash,
    })
}

fn parse_decimal(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 12 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn pbkdf2_by_name(algo: &str, password: &[u8], salt: &[u8], rounds: u32, length: usize) -> Option<Vec<u8>> {
    if rounds == 0 || rounds >= 0x7fff_ffff || length == 0 || length >= 0x7fff_ffff {
        return None;
    }
    let mut out = vec![0u8; length];
    match algo {
        "md5" => pbkdf2::pbkdf2_hmac::<md5::Md5>(password, salt, rounds, &mut out),
        "sha1" => pbkdf2::pbkdf2_hmac::<sha1::Sha1>(password, salt, rounds, &mut out),
        "sha224" => pbkdf2::pbkdf2_hmac::<sha2::Sha224>(password, salt, rounds, &mut out),
        "sha256" => pbkdf2::pbkdf2_hmac::<sha2::Sha256>(password, salt, rounds, &mut out),
        "sha384" => pbkdf2::pbkdf2_hmac::<sha2::Sha384>(password, salt, rounds, &mut out),
        "sha512" => pbkdf2::pbkdf2_hmac::<sha2::Sha512>(password, salt, rounds, &mut out),
        _ => return None,
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_then_verify() {
        let h = hash_password("correct horse");
        assert!(h.starts_with(":pbkdf2:sha512:30000:64:"), "{h}");
        let parts: Vec<&str> = h.split(':').collect();
        assert_eq!(parts.len(), 7);
        assert_eq!(B64.decode(parts[5]).unwrap().len(), 16);
        assert_eq!(B64.decode(parts[6]).unwrap().len(), 64);
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("correct horsE", &h));
        assert!(!verify_password("", &h));
        assert!(!needs_rehash(&h));
        // Fresh salt each time
        assert_ne!(hash_password("x"), hash_password("x"));
    }

    /// Vectors from MediaWiki's Pbkdf2PasswordTestCase / Pbkdf2PasswordUsingHashExtensionTest.
    #[test]
    fn mediawiki_test_vectors() {
        let v = [
            (":pbkdf2:sha512:1:20:c2FsdA==:hn9wzxreAs/zdSWZo6U9xK80x6Y=", "password"),
            (":pbkdf2:sha512:2:20:c2FsdA==:4dnBaqaBcIpF9cfE4hXOtm4BGi4=", "password"),
            (":pbkdf2:sha512:4096:20:c2FsdA==:0Zexsz2wFD4BixLz0dFHnmzevcw=", "password"),
            (":pbkdf2:sha512:4096:16:c2EAbHQ=:nZ6cTNIf5L4k1bgkTHWWZQ==", "pass\0word"),
            (":pbkdf2:sha1:1:20:c2FsdA==:DGDID5YfDnHzqbUkr2ASBi/gN6Y=", "password"),
            (":pbkdf2:sha1:2:20:c2FsdA==:6mwBTcctb4zNHtkqzh1B8NjeiVc=", "password"),
            (":pbkdf2:sha1:4096:20:c2FsdA==:SwB5AbdlSJq+rUnZJvch0GWkKcE=", "password"),
            (":pbkdf2:sha1:4096:16:c2EAbHQ=:Vvpqp1VICZ3MN9fwNCXgww==", "pass\0word"),
        ];
        for (stored, plain) in v {
            assert!(verify_password(plain, stored), "{stored}");
            assert!(!verify_password("wrong", stored), "{stored}");
            assert!(needs_rehash(stored));
        }
        // Producing the same string from the same salt.
        assert_eq!(
            hash_with("password", "sha512", 1, 20, b"salt").unwrap(),
            ":pbkdf2:sha512:1:20:c2FsdA==:hn9wzxreAs/zdSWZo6U9xK80x6Y="
        );
    }

    #[test]
    fn sha256_variant() {
        let s = hash_with("pw", "sha256", 1000, 32, b"0123456789abcdef").unwrap();
        assert!(s.starts_with(":pbkdf2:sha256:1000:32:"));
        assert!(verify_password("pw", &s));
        assert!(!verify_password("pW", &s));
        // RFC 7914 / common PBKDF2-HMAC-SHA256 vector: P="password", S="salt", c=1, dkLen=32
        let s = format!(
            ":pbkdf2:sha256:1:32:{}:{}",
            B64.encode(b"salt"),
            B64.encode(hex::decode("120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b").unwrap())
        );
        assert!(verify_password("password", &s));
    }

    #[test]
    fn tampered_and_malformed() {
        let h = hash_with("secret", "sha512", 100, 64, b"saltsaltsaltsalt").unwrap();
        assert!(verify_password("secret", &h));
        // Flip one character of the hash, the salt, the rounds, the length, the algo.
        let parts: Vec<&str> = h.split(':').collect();
        let mut hash = parts[6].to_string();
        let c = if hash.starts_with('A') { "B" } else { "A" };
        hash.replace_range(0..1, c);
        let t = format!(":pbkdf2:sha512:100:64:{}:{}", parts[5], hash);
        assert!(!verify_password("secret", &t));
        let t = format!(":pbkdf2:sha512:100:64:{}:{}", B64.encode(b"saltsaltsaltsalT"), parts[6]);
        assert!(!verify_password("secret", &t));
        let t = format!(":pbkdf2:sha512:101:64:{}:{}", parts[5], parts[6]);
        assert!(!verify_password("secret", &t));
        let t = format!(":pbkdf2:sha512:100:63:{}:{}", parts[5], parts[6]);
        assert!(!verify_password("secret", &t));
        let t = format!(":pbkdf2:sha256:100:64:{}:{}", parts[5], parts[6]);
        assert!(!verify_password("secret", &t));
        for bad in [
            "",
            ":",
            "::",
            ":pbkdf2:",
            ":pbkdf2:sha512:30000:64",
            ":pbkdf2:sha512:30000:64:c2FsdA==",
            ":pbkdf2:sha512:30000:64:c2FsdA==:",
            ":pbkdf2:sha512:0:64:c2FsdA==:AAAA",
            ":pbkdf2:sha512:-1:64:c2FsdA==:AAAA",
            ":pbkdf2:sha512:1:0:c2FsdA==:AAAA",
            ":pbkdf2:sha512:1:99999999999999999999:c2FsdA==:AAAA",
            ":pbkdf2:sha512:1:20:!!!:AAAA",
            ":pbkdf2:whirlpool:1:20:c2FsdA==:AAAA",
            ":pbkdf2:sha512:x:20:c2FsdA==:AAAA",
            ":pbkdf2:sha512:4294967296:20:c2FsdA==:AAAA",
            ":B:1234:abcdef",
            ":A:5f4dcc3b5aa765d61d8327deb882cf99",
            "5f4dcc3b5aa765d61d8327deb882cf99",
            ":bcrypt:$2y$10$abc",
            "plain",
            ":pbkdf2:sha512:1:20:c2FsdA==:hn9wzxreAs/zdSWZo6U9xK80x6Y",
            "\u{0}",
            "😀",
        ] {
            assert!(!verify_password("password", bad), "{bad:?}");
            assert!(!verify_password("", bad), "{bad:?}");
        }
        assert!(needs_rehash("garbage"));
        assert_eq!(hash_with("x", "nope", 1, 1, b""), None);
        assert_eq!(hash_with("x", "sha512", 0, 1, b""), None);
        assert_eq!(hash_with("x", "sha512", 1, 0, b""), None);
    }

    #[test]
    fn extra_args_are_tolerated() {
        // ParameterizedPassword: extra parts between the salt and the hash are arguments.
        let h = hash_with("pw", "sha1", 10, 20, b"abc").unwrap();
        let parts: Vec<&str> = h.split(':').collect();
        let with_extra = format!(":pbkdf2:sha1:10:20:{}:extra:{}", parts[5], parts[6]);
        assert!(verify_password("pw", &with_extra));
    }

    #[test]
    fn random_passwords() {
        let p = random_password(32);
        assert_eq!(p.len(), 32);
        assert!(p.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'v').contains(&b)), "{p}");
        assert_ne!(random_password(32), random_password(32));
        assert_eq!(random_password(0), "");
        // Every symbol of the alphabet shows up eventually (no stuck bits).
        let many = random_password(4000);
        for c in "0123456789abcdefghijklmnopqrstuv".chars() {
            assert!(many.contains(c), "{c}");
        }
    }

    #[test]
    fn ct_eq_basics() {
        assert!(crate::auth::ct_eq(b"abc", b"abc"));
        assert!(!crate::auth::ct_eq(b"abc", b"abd"));
        assert!(!crate::auth::ct_eq(b"abc", b"ab"));
        assert!(crate::auth::ct_eq(b"", b""));
    }
}
