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

/// Path of the current version relative to the upload URL (`$wgUploadPath`), encoded the way
/// `File::getUrlRel` does (rawurlencode of the name): "a/ab/Foo_%C3%A9.png".
pub fn public_url_path(db_key: &str) -> String {
    format!("{}/{}", hash_path(db_key), rawurlencode(db_key))
}

/// URL path of an archived version (`File::getArchiveUrl`):
/// "archive/a/ab/20250115102030%21Foo.png". The hash is that of the current name `db_key`.
pub fn archive_url_path(archive_name: &str, db_key: &str) -> String {
    format!("archive/{}/{}", hash_path(db_key), rawurlencode(archive_name))
}

pub use mwupload_store::base36::{sha1_base36, sha1_base36_to_hex, sha1_from_base36, sha1_hex_to_base36};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_paths_match_mediawiki() {
        // From the spec and the 1.39 transcripts (URLs /images/<hash>/<name>).
        assert_eq!(hash_path("Example.png"), "7/70");
        assert_eq!(hash_path("Ref2-a.png"), "9/95");
        assert_eq!(hash_path("Ref2-a-fv2.png"), "1/17");
        assert_eq!(hash_path("Ref2-ok.svg"), "7/76");
        assert_eq!(hash_path("Ref2-plain.txt"), "a/a2");
        assert_eq!(public_url_path("Ref2-a.png"), "9/95/Ref2-a.png");
        assert_eq!(public_url_path("Foo_bar.png"), "0/08/Foo_bar.png");
    }

    #[test]
    fn archive_paths() {
        let an = mwupload_store::archive_name("20261126212307", "Ref2-a.png");
        assert_eq!(an, "20261126212307!Ref2-a.png");
        // Transcript: /images/archive/9/95/20261126212307%21Ref2-a.png
        assert_eq!(archive_url_path(&an, "Ref2-a.png"), "archive/9/95/20261126212307%21Ref2-a.png");
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
}
