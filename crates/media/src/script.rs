//! `UploadBase::detectScript` and `UploadBase::checkXMLEncodingMissmatch`.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use super::svg::{SVG_METADATA_CUTOFF, decode_char_references};
use super::util::{find_ci, find_ci_from, is_pcre_space, is_word, php_trim};

/// Window size used when a whole text file has to be inspected.
const WINDOW: usize = 1 << 20;
/// Overlap between consecutive windows (so a pattern spanning a boundary is still seen).
const OVERLAP: usize = 4096;

const SAFE_XML_ENCODINGS: &[&str] = &[
    "UTF-8",
    "US-ASCII",
    "ISO-8859-1",
    "ISO-8859-2",
    "UTF-16",
    "UTF-32",
    "WINDOWS-1250",
    "WINDOWS-1251",
    "WINDOWS-1252",
    "WINDOWS-1253",
    "WINDOWS-1254",
    "WINDOWS-1255",
    "WINDOWS-1256",
    "WINDOWS-1257",
    "WINDOWS-1258",
];

#[derive(Clone, Copy)]
enum Wide {
    None,
    Utf16 { be: bool },
    Utf32 { be: bool },
}

/// Fold wide text to ASCII (non-ASCII code units are dropped, like `iconv(..., 'ASCII//IGNORE')`).
fn fold(chunk: &[u8], wide: Wide) -> Vec<u8> {
    match wide {
        Wide::None => chunk.to_vec(),
        Wide::Utf16 { be } => chunk
            .chunks_exact(2)
            .filter_map(|c| {
                let u = if be {
                    u16::from_be_bytes([c[0], c[1]])
                } else {
                    u16::from_le_bytes([c[0], c[1]])
                };
                (u < 0x80).then_some(u as u8)
            })
            .collect(),
        Wide::Utf32 { be } => chunk
            .chunks_exact(4)
            .filter_map(|c| {
                let u = if be {
                    u32::from_be_bytes([c[0], c[1], c[2], c[3]])
                } else {
                    u32::from_le_bytes([c[0], c[1], c[2], c[3]])
                };
                (u < 0x80).then_some(u as u8)
            })
            .collect(),
    }
}

/// `detectScript`: does the file contain something a browser could take for HTML/script?
/// For `text/*` MIME types the whole file is inspected (streamed in overlapping windows),
/// otherwise the first 1024 bytes.
pub fn detect_script(path: &Path, mime: &str, extension: &str) -> io::Result<bool> {
    let mut f = File::open(path)?;
    let whole = mime.starts_with("text/");
    let first_len = if whole { WINDOW } else { 1024 };
    let mut first = Vec::with_capacity(first_len.min(1 << 20));
    (&mut f).take(first_len as u64).read_to_end(&mut first)?;
    if first.is_empty() {
        return Ok(false);
    }
    let lower_start: Vec<u8> = first.iter().take(4).map(|b| b.to_ascii_lowercase()).collect();
    // MediaWiki decodes UTF-16 with a BOM; UTF-32 BOMs are folded too (a UTF-32 file would
    // otherwise slip past as "UTF-16" full of NULs).
    let wide = if lower_start.starts_with(b"\x00\x00\xfe\xff") {
        Wide::Utf32 { be: true }
    } else if lower_start.starts_with(b"\xff\xfe\x00\x00") {
        Wide::Utf32 { be: false }
    } else if lower_start.starts_with(b"\xfe\xff") {
        Wide::Utf16 { be: true }
    } else if lower_start.starts_with(b"\xff\xfe") {
        Wide::Utf16 { be: false }
    } else {
        Wide::None
    };
    let is_svg = extension == "svg" || mime.starts_with("image/svg");
    if is_svg && check_xml_encoding_mismatch(path)? {
        // order in MediaWiki: doctype check first, then encoding; both give `uploadscripted`
        return Ok(true);
    }
    let mut window = first;
    let mut offset_is_start = true;
    loop {
        let lowered: Vec<u8> = window.iter().map(|b| b.to_ascii_lowercase()).collect();
        let folded = fold(&lowered, wide);
        let text = if offset_is_start { php_trim(&folded) } else { &folded[..] };
        if scan_chunk(text) {
            return Ok(true);
        }
        if !whole || window.len() < WINDOW {
            return Ok(false);
        }
        // next window keeps an overlap (aligned to 4 so wide encodings stay aligned)
        let keep = OVERLAP.min(window.len());
        let mut next = window.split_off(window.len() - keep);
        (&mut f).take((WINDOW - keep) as u64).read_to_end(&mut next)?;
        if next.len() <= keep {
            return Ok(false);
        }
        window = next;
        offset_is_start = false;
    }
}

/// The pattern checks of `detectScript` on a lowercased, folded chunk.
fn scan_chunk(chunk: &[u8]) -> bool {
    // <!DOCTYPE *X?HTML
    let mut from = 0;
    while let Some(p) = find_ci_from(chunk, b"<!doctype", from) {
        let mut i = p + 9;
        while chunk.get(i) == Some(&b' ') {
            i += 1;
        }
        if chunk.get(i).is_some_and(|c| c.eq_ignore_ascii_case(&b'x')) {
            i += 1;
        }
        if chunk.get(i..i + 4).is_some_and(|s| s.eq_ignore_ascii_case(b"html")) {
            return true;
        }
        from = p + 1;
    }
    for tag in [&b"<body"[..], b"<head", b"<html", b"<script"] {
        if find_ci(chunk, tag).is_some() {
            return true;
        }
    }
    let decoded = decode_char_references(&String::from_utf8_lossy(chunk));
    let s = decoded.as_bytes();
    script_type(s) || script_url(s) || css_script_url(s)
}

fn skip_ws(s: &[u8], mut i: usize) -> usize {
    while i < s.len() && is_pcre_space(s[i]) {
        i += 1;
    }
    i
}

fn skip_quote(s: &[u8], i: usize) -> usize {
    if matches!(s.get(i), Some(b'\'') | Some(b'"')) { i + 1 } else { i }
}

fn at_ci(s: &[u8], i: usize, w: &[u8]) -> bool {
    s.get(i..i + w.len()).is_some_and(|x| x.eq_ignore_ascii_case(w))
}

/// `type\s*=\s*['"]?\s*(?:\w*/)?(?:ecma|java)`
fn script_type(s: &[u8]) -> bool {
    let mut from = 0;
    while let Some(p) = find_ci_from(s, b"type", from) {
        from = p + 1;
        let mut i = skip_ws(s, p + 4);
        if s.get(i) != Some(&b'=') {
            continue;
        }
        i = skip_ws(s, skip_quote(s, skip_ws(s, i + 1)));
        if at_ci(s, i, b"ecma") || at_ci(s, i, b"java") {
            return true;
        }
        let mut j = i;
        while j < s.len() && is_word(s[j]) {
            j += 1;
        }
        if s.get(j) == Some(&b'/') && (at_ci(s, j + 1, b"ecma") || at_ci(s, j + 1, b"java")) {
            return true;
        }
    }
    false
}

/// `(?:href|src|data)\s*=\s*['"]?\s*(?:ecma|java)script:`
fn script_url(s: &[u8]) -> bool {
    for kw in [&b"href"[..], b"src", b"data"] {
        let mut from = 0;
        while let Some(p) = find_ci_from(s, kw, from) {
            from = p + 1;
            let i = skip_ws(s, p + kw.len());
            if s.get(i) != Some(&b'=') {
                continue;
            }
            let i = skip_ws(s, skip_quote(s, skip_ws(s, i + 1)));
            if at_ci(s, i, b"ecmascript:") || at_ci(s, i, b"javascript:") {
                return true;
            }
        }
    }
    false
}

/// `url\s*\(\s*['"]?\s*(?:ecma|java)script:`
fn css_script_url(s: &[u8]) -> bool {
    let mut from = 0;
    while let Some(p) = find_ci_from(s, b"url", from) {
        from = p + 1;
        let i = skip_ws(s, p + 3);
        if s.get(i) != Some(&b'(') {
            continue;
        }
        let i = skip_ws(s, skip_quote(s, skip_ws(s, i + 1)));
        if at_ci(s, i, b"ecmascript:") || at_ci(s, i, b"javascript:") {
            return true;
        }
    }
    false
}

/// `<\?xml\b(.*?)\?>` then `encoding\s*=\s*['"](.*?)['"]` on a decoded prefix.
/// `Some(true)` = unsafe, `Some(false)` = declaration fine, `None` = no declaration.
fn xml_decl_verdict(s: &[u8]) -> Option<bool> {
    let mut from = 0;
    let start = loop {
        let p = find_ci_from(s, b"<?xml", from)?;
        if s.get(p + 5).is_none_or(|&c| !is_word(c)) {
            break p;
        }
        from = p + 1;
    };
    let Some(end) = super::util::find_from(s, b"?>", start + 5) else {
        // start of a declaration without an end: suspicious
        return Some(true);
    };
    let decl = &s[start + 5..end];
    let mut from = 0;
    while let Some(p) = find_ci_from(decl, b"encoding", from) {
        from = p + 1;
        let mut i = p + 8;
        while matches!(decl.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            i += 1;
        }
        if decl.get(i) != Some(&b'=') {
            continue;
        }
        i += 1;
        while matches!(decl.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            i += 1;
        }
        if !matches!(decl.get(i), Some(b'\'' | b'"')) {
            continue;
        }
        let val_start = i + 1;
        let Some(len) = decl[val_start..].iter().position(|&c| c == b'\'' || c == b'"') else {
            continue;
        };
        let enc = String::from_utf8_lossy(&decl[val_start..val_start + len]).to_uppercase();
        return Some(!SAFE_XML_ENCODINGS.contains(&enc.as_str()));
    }
    Some(false)
}

/// Strict decoders standing in for `iconv($enc, 'UTF-8', ...)` (which fails on bad input).
fn iconv_utf16(b: &[u8], default_be: bool, honour_bom: bool) -> Option<Vec<u8>> {
    if !b.len().is_multiple_of(2) {
        return None;
    }
    let (be, body) = if honour_bom && b.starts_with(b"\xFE\xFF") {
        (true, &b[2..])
    } else if honour_bom && b.starts_with(b"\xFF\xFE") {
        (false, &b[2..])
    } else {
        (default_be, b)
    };
    super::xml::utf16_to_utf8(body, be)
}

fn iconv_utf32(b: &[u8], default_be: bool, honour_bom: bool) -> Option<Vec<u8>> {
    if !b.len().is_multiple_of(4) {
        return None;
    }
    let (be, body) = if honour_bom && b.starts_with(b"\x00\x00\xFE\xFF") {
        (true, &b[4..])
    } else if honour_bom && b.starts_with(b"\xFF\xFE\x00\x00") {
        (false, &b[4..])
    } else {
        (default_be, b)
    };
    let mut out = String::new();
    for c in body.chunks_exact(4) {
        let u = if be {
            u32::from_be_bytes([c[0], c[1], c[2], c[3]])
        } else {
            u32::from_le_bytes([c[0], c[1], c[2], c[3]])
        };
        out.push(char::from_u32(u)?);
    }
    Some(out.into_bytes())
}

/// `checkXMLEncodingMissmatch`: an XML declaration with an encoding outside the safe list
/// (or one that cannot be parsed), also when the file is re-read as UTF-16/UTF-32.
pub fn check_xml_encoding_mismatch(path: &Path) -> io::Result<bool> {
    let mut contents = Vec::new();
    File::open(path)?.take(SVG_METADATA_CUTOFF).read_to_end(&mut contents)?;
    match xml_decl_verdict(&contents) {
        Some(verdict) => return Ok(verdict),
        None => {
            if contents.starts_with(b"\x4C\x6F\xA7\x94") {
                return Ok(true); // EBCDIC-encoded XML
            }
        }
    }
    let attempts = [
        iconv_utf16(&contents, true, true),
        iconv_utf16(&contents, true, false),
        iconv_utf32(&contents, true, true),
        iconv_utf32(&contents, true, false),
    ];
    for s in attempts.into_iter().flatten() {
        if !s.is_empty() && xml_decl_verdict(&s) == Some(true) {
            return Ok(true);
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_patterns() {
        assert!(scan_chunk(b"<script>"));
        assert!(scan_chunk(b"xx <html"));
        assert!(scan_chunk(b"<!doctype  xhtml"));
        assert!(!scan_chunk(b"<!doctype svg"));
        assert!(scan_chunk(b"<a type = 'text/javascript'>"));
        assert!(scan_chunk(b"<a type=ecmascript>"));
        assert!(!scan_chunk(b"type=text/plain"));
        assert!(scan_chunk(b"<a href = \" javascript:alert(1)\">"));
        assert!(scan_chunk(b"<img src=&#106;avascript:x>"));
        assert!(scan_chunk(b"background: url( 'javascript:x')"));
        assert!(!scan_chunk(b"just some harmless text with javascript in it"));
    }

    #[test]
    fn xml_declarations() {
        assert_eq!(xml_decl_verdict(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>"), Some(false));
        assert_eq!(xml_decl_verdict(b"<?xml version=\"1.0\" encoding=\"utf-7\"?>"), Some(true));
        assert_eq!(xml_decl_verdict(b"<?xml version=\"1.0\"?>"), Some(false));
        assert_eq!(xml_decl_verdict(b"<?xml version=\"1.0\" "), Some(true));
        assert_eq!(xml_decl_verdict(b"<svg/>"), None);
    }
}
