//! The bodies of the fuzz targets, shared with `tests/fuzz_corpus.rs`, which replays the kept
//! corpora (fuzz/corpus/<target>/) under `cargo test` on the stable toolchain. Each function
//! must never panic and checks the invariants its input must keep.

use std::sync::OnceLock;

/// The multipart parser (`mwupload_api::multipart::parse`): the first byte picks a boundary
/// and how the body is cut into stream chunks; the rest is the body. Small limits, so that the
/// limit paths are reached.
pub fn multipart(data: &[u8]) {
    use mwupload_api::multipart::{Limits, parse};
    let Some((&sel, body)) = data.split_first() else {
        return;
    };
    let boundaries = ["a", "XyZ", "----WebKitFormBoundary7MA4YWxkTrZu0gW", "=="];
    let boundary = boundaries[(sel & 3) as usize];
    let step = 1 + (sel >> 2) as usize; // chunk size 1..=64
    let chunks: Vec<Result<bytes::Bytes, String>> = body.chunks(step).map(|c| Ok(bytes::Bytes::copy_from_slice(c))).collect();
    let limits = Limits {
        max_file_bytes: 256,
        max_field_bytes: 64,
        max_text_bytes: 128,
        max_parts: 8,
        max_file_parts: 2,
        max_header_bytes: 256,
    };
    let spool = spool_dir();
    let rt = runtime();
    let result = rt.block_on(parse(futures_util::stream::iter(chunks), boundary, spool, &limits));
    if let Ok(form) = result {
        let text: usize = form.fields.iter().map(|(_, v)| v.len()).sum();
        // Lossy UTF-8 may grow invalid bytes to U+FFFD (3 bytes each).
        assert!(text <= 3 * limits.max_text_bytes, "fields hold {text} bytes");
        assert!(form.fields.iter().all(|(k, _)| !k.is_empty()));
        assert!(form.files.len() <= limits.max_file_parts);
        for f in &form.files {
            assert!(f.size <= limits.max_file_bytes);
            let on_disk = std::fs::metadata(&f.path).map(|m| m.len()).unwrap_or(u64::MAX);
            assert_eq!(on_disk, f.size, "spooled size");
        }
    }
}

/// The parameter decoder: urlencoded query string and body (split at the first NUL) as
/// `api.php` decodes them, merged and cleaned by `Params`, then read back.
pub fn params(data: &[u8]) {
    use mwupload_api::params::{Params, split_multi};
    let (query, body) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let decode = |b: &[u8]| -> Vec<(String, String)> {
        form_urlencoded::parse(b)
            .take(1000)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    };
    let (q, b) = (decode(query), decode(body));
    let names: Vec<String> = q.iter().chain(b.iter()).map(|(k, _)| k.clone()).collect();
    let p = Params::new(q, b, Vec::new());
    for name in &names {
        let _ = p.before_cleaning(name);
        let _ = p.flag(name);
        let _ = p.in_query_string(name);
        if let Some(v) = p.get(name) {
            // Cleaned values carry no C0 controls but tab, newline, CR (and the 0x1f separator).
            assert!(!v.chars().any(|c| c < ' ' && !matches!(c, '\t' | '\n' | '\r' | '\x1f')), "{v:?}");
            let _ = split_multi(v);
        }
    }
    let _ = p.unused();
}

/// The title normaliser: page titles in every namespace and upload file names.
pub fn title(data: &[u8]) {
    use mwupload_core::title;
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for ns in [0, 2, 6, 14] {
        if let Some(t) = title::parse_title(text, ns) {
            assert!(!t.db_key.contains(' '), "{:?}", t.db_key);
            // The byte limit (512 for Special pages, 255 elsewhere) is checked before the first
            // letter is capitalized, which can lengthen it by a few bytes (ΐ → Ϊ́).
            let limit = if t.namespace == title::NS_SPECIAL { 512 } else { 255 };
            assert!(t.db_key.len() <= limit + 16, "{}", t.db_key.len());
            // A key is its own normal form.
            if !t.db_key.is_empty()
                && let Some(again) = title::title_part_to_key(&t.db_key, t.namespace)
            {
                assert_eq!(again, t.db_key);
            }
        }
    }
    let _ = title::page_title(text);
    let rules = title::TitleRules::default();
    for ext in [None, Some("png")] {
        if let Ok(f) = title::file_title(text, &rules, ext) {
            assert!(!f.final_ext.is_empty());
            assert!(f.db_key.len() <= 255, "{}", f.db_key.len());
            assert!(!f.db_key.contains(' ') && !f.db_key.contains('/'), "{:?}", f.db_key);
        }
    }
    let _ = title::strip_illegal_filename_chars(text);
    let _ = title::file_db_key(text);
}

/// The EXIF reader (PHP's `exif_read_data` + MediaWiki's filter) on a JPEG's APP1 block: never
/// a panic, names unique, and metadata bounded by the input (at most ~150 names, each value
/// from at most the whole block, JSON and U+FFFD expanding it a bounded number of times).
pub fn exif(data: &[u8]) {
    let meta = mwupload_media::exif_block_metadata(data);
    let mut names: Vec<&str> = meta.iter().map(|(k, _)| k.as_str()).collect();
    names.sort_unstable();
    let before = names.len();
    names.dedup();
    assert_eq!(before, names.len(), "duplicate names");
    let text = serde_json_len(&meta);
    assert!(
        text <= 150 * (16 * data.len() + 64),
        "{text} bytes of metadata from {} bytes",
        data.len()
    );
}

fn serde_json_len(meta: &[(String, serde_json::Value)]) -> usize {
    meta.iter().map(|(k, v)| k.len() + v.to_string().len()).sum()
}

fn spool_dir() -> &'static std::path::Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("spool dir")).path()
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| tokio::runtime::Builder::new_current_thread().build().expect("runtime"))
}
