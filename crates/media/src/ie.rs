//! What Internet Explorer 5–7 would make of a file's first bytes (MediaWiki's
//! `IEContentAnalyzer`, itself a model of IE's `FindMimeFromData`). `UploadBase::verifyMimeType`
//! refuses a file when any of these versions would sniff a type from `$wgMimeTypeExclusions`
//! (`filetype-bad-ie-mime`): an executable named `.txt`, HTML or a scriptlet in a text file.
//!
//! The logic is IE's, bugs included, so it is kept structurally close to MediaWiki's port; no
//! crate models IE's sniffing.

/// The IE versions MediaWiki distinguishes, in its order (and PHP's string order for the `>=`
/// comparisons: `ie07.strict` >= `ie07`).
const VERSIONS: &[&str] = &["ie05", "ie06", "ie07", "ie07.strict", "ie07.nohtml"];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Format {
    Ambiguous,
    Text,
    Binary,
    Html,
    Unknown,
}

/// IE 5's type table (`$baseTypeTable`); IE 7 adds XML types to "text".
fn data_format(version: &str, mime: &str) -> Format {
    if mime.is_empty() || mime == "(null)" {
        return Format::Ambiguous;
    }
    const AMBIGUOUS: &[&str] = &["text/plain", "application/octet-stream", "application/x-netcdf"];
    const TEXT: &[&str] = &[
        "text/richtext",
        "image/x-bitmap",
        "application/postscript",
        "application/base64",
        "application/macbinhex40",
        "application/x-cdf",
        "text/scriptlet",
    ];
    const TEXT_IE07: &[&str] = &["text/xml", "application/xml"];
    const BINARY: &[&str] = &[
        "application/pdf",
        "audio/x-aiff",
        "audio/basic",
        "audio/wav",
        "image/gif",
        "image/pjpeg",
        "image/jpeg",
        "image/tiff",
        "image/x-png",
        "image/png",
        "image/bmp",
        "image/x-jg",
        "image/x-art",
        "image/x-emf",
        "image/x-wmf",
        "video/avi",
        "video/x-msvideo",
        "video/mpeg",
        "application/x-compressed",
        "application/x-zip-compressed",
        "application/x-gzip-compressed",
        "application/java",
        "application/x-msdownload",
    ];
    if AMBIGUOUS.contains(&mime) {
        Format::Ambiguous
    } else if TEXT.contains(&mime) || (version >= "ie07" && TEXT_IE07.contains(&mime)) {
        Format::Text
    } else if BINARY.contains(&mime) {
        Format::Binary
    } else if mime == "text/html" {
        Format::Html
    } else {
        Format::Unknown
    }
}

/// `translateMimeType`: IE's private names to common ones.
fn translate(mime: &str) -> &str {
    match mime {
        "image/pjpeg" => "image/jpeg",
        "image/x-png" => "image/png",
        "image/x-wmf" => "application/x-msmetafile",
        "image/bmp" => "image/x-bmp",
        "application/x-zip-compressed" => "application/zip",
        "application/x-compressed" => "application/x-compress",
        "application/x-gzip-compressed" => "application/x-gzip",
        "audio/mid" => "audio/midi",
        other => other,
    }
}

/// The types IE 5, 6, 7 and 7's strict and no-HTML modes would detect for `chunk` (the first
/// 256 bytes) served as `proposed` (the type of the file's extension, "" when unknown).
/// `getRealMimesFromData`, with MediaWiki's file name argument empty (it passes a temp path
/// without an extension, so the registry lookup never applies).
pub fn real_mimes_from_data(chunk: &[u8], proposed: &str) -> Vec<String> {
    VERSIONS
        .iter()
        .map(|v| match mime_for_version(v, chunk, proposed) {
            Detected::Proposed(p) => translate(p).to_string(),
            Detected::Known(t) => translate(t).to_string(),
        })
        .collect()
}

enum Detected<'a> {
    Proposed(&'a str),
    Known(&'static str),
}

#[derive(Default)]
struct Sample {
    xml: bool,
    scriptlet: bool,
    html: bool,
    cdf: bool,
    rss: bool,
    rdf_tag: bool,
    rdf_url: bool,
    atom: bool,
    xbm1: bool,
    xbm2: bool,
    xbm: bool,
    binhex: bool,
    ctrl: u32,
    high: u32,
    low: u32,
    ff: u32,
}

/// `strncasecmp($s, $prefix, strlen($prefix)) == 0`.
fn starts_ci(s: &[u8], prefix: &[u8]) -> bool {
    s.len() >= prefix.len() && s[..prefix.len()].eq_ignore_ascii_case(prefix)
}

/// `sampleData`: byte classes and the markers IE looks for.
fn sample_data(version: &str, chunk: &[u8]) -> Sample {
    const HTML_TAGS: &[&[u8]] = &[
        b"html",
        b"head",
        b"title",
        b"body",
        b"script",
        b"a href",
        b"pre",
        b"img",
        b"plaintext",
        b"table",
    ];
    const RDF_URL: &[u8] = b"http://www.w3.org/1999/02/22-rdf-syntax-ns#";
    const RDF_PURL: &[u8] = b"http://purl.org/rss/1.0/";
    let mut s = Sample::default();
    for offset in 0..chunk.len() {
        let c = chunk[offset];
        match c {
            b'\n' | b'\r' => continue,
            0x0c => {
                s.ff += 1;
                continue;
            }
            b'\t' => {
                s.low += 1;
                continue;
            }
            0..=31 => {
                s.ctrl += 1;
                continue;
            }
            128..=255 => {
                s.high += 1;
                continue;
            }
            _ => {}
        }
        s.low += 1;
        if c == b'<' {
            let rest = &chunk[offset + 1..];
            if starts_ci(rest, b"?XML") && matches!(chunk.get(offset + 5), Some(b':' | b' ' | b'\t')) {
                s.xml = true;
            }
            if starts_ci(rest, b"SCRIPTLET") {
                s.scriptlet = true;
                break;
            }
            if HTML_TAGS.iter().any(|t| starts_ci(rest, t)) {
                s.html = true;
            }
            if version < "ie07" {
                if starts_ci(rest, b"CHANNEL") {
                    s.cdf = true;
                }
            } else {
                if starts_ci(rest, b"RSS") {
                    s.rss = true;
                    break;
                }
                if starts_ci(rest, b"rdf:RDF") {
                    s.rdf_tag = true;
                }
                if starts_ci(rest, b"FEED") {
                    s.atom = true;
                    break;
                }
            }
            continue;
        }
        let rest = &chunk[offset..];
        if starts_ci(rest, RDF_URL) {
            s.rdf_url = true;
            // (IE also wants the PURL, which it never records: this never stops the scan.)
            continue;
        }
        if starts_ci(rest, RDF_PURL) {
            continue;
        }
        if starts_ci(rest, b"#define") {
            s.xbm1 = true;
            continue;
        }
        if c == b'_' {
            if s.xbm2 {
                if starts_ci(rest, b"_bits") {
                    s.xbm = true;
                    break;
                }
            } else if s.xbm1 && starts_ci(rest, b"_width") {
                s.xbm2 = true;
            }
        }
        if rest.starts_with(b"converted with BinHex") {
            s.binhex = true;
        }
    }
    s
}

fn check_text_headers(chunk: &[u8]) -> Option<&'static str> {
    if chunk.starts_with(b"%PDF") {
        Some("application/pdf")
    } else if chunk.starts_with(b"%!") {
        Some("application/postscript")
    } else if chunk.starts_with(b"{\\rtf") {
        Some("text/richtext")
    } else if chunk.starts_with(b"begin") {
        Some("application/base64")
    } else {
        None
    }
}

fn check_binary_headers(chunk: &[u8]) -> Option<&'static str> {
    let at = |i: usize, n: usize| chunk.get(i..i + n);
    let head4 = at(0, 4);
    let at8 = at(8, 4);
    if chunk.len() >= 5 && (chunk[..5].eq_ignore_ascii_case(b"GIF87") || chunk[..5].eq_ignore_ascii_case(b"GIF89")) {
        return Some("image/gif");
    }
    if chunk.starts_with(b"\xff\xd8") {
        return Some("image/pjpeg");
    }
    if chunk.starts_with(b"BM") && at(6, 2) == Some(b"\0\0") && at(8, 2) == Some(b"\0\0") {
        return Some("image/bmp");
    }
    if head4 == Some(b"RIFF") && at8 == Some(b"WAVE") {
        return Some("audio/wav");
    }
    if matches!(head4, Some(b".sd\0" | b".snd" | b"\0ds." | b"dns.")) {
        return Some("audio/basic");
    }
    if chunk.starts_with(b"MM\0") {
        return Some("image/tiff");
    }
    if chunk.starts_with(b"MZ") {
        return Some("application/x-msdownload");
    }
    if chunk.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some("image/x-png");
    }
    if chunk.len() >= 5 && chunk.starts_with(b"JG") && (3..=31).contains(&chunk[2]) && chunk[4] == 0 {
        return Some("image/x-jg");
    }
    if head4 == Some(b"MROF") {
        return Some("audio/x-aiff");
    }
    if head4 == Some(b"FORM") && matches!(at8, Some(b"AIFF" | b"AIFC")) {
        return Some("audio/x-aiff");
    }
    if head4 == Some(b"RIFF") && at8 == Some(b"AVI ") {
        return Some("video/avi");
    }
    if matches!(head4, Some(b"\x00\x00\x01\xb3" | b"\x00\x00\x01\xba")) {
        return Some("video/mpeg");
    }
    if head4 == Some(b"\x01\x00\x00\x00") && at(40, 4) == Some(b" EMF") {
        return Some("image/x-emf");
    }
    if head4 == Some(b"\xd7\xcd\xc6\x9a") {
        return Some("image/x-wmf");
    }
    if head4 == Some(b"\xca\xfe\xba\xbe") {
        return Some("application/java");
    }
    if chunk.starts_with(b"PK") {
        return Some("application/x-zip-compressed");
    }
    if chunk.starts_with(b"\x1f\x9d") {
        return Some("application/x-compressed");
    }
    if chunk.starts_with(b"\x1f\x8b") {
        return Some("application/x-gzip-compressed");
    }
    if chunk.starts_with(b"MThd\0") {
        return Some("audio/mid");
    }
    if head4 == Some(b"%PDF") {
        return Some("application/pdf");
    }
    None
}

/// `getMimeTypeForVersion`.
fn mime_for_version<'a>(version: &str, chunk: &[u8], proposed: &'a str) -> Detected<'a> {
    let proposed = proposed.split(';').next().unwrap_or("");
    let proposed_format = data_format(version, proposed);
    if proposed_format == Format::Unknown && proposed != "multipart/mixed" && proposed != "multipart/x-mixed-replace" {
        return Detected::Proposed(proposed);
    }
    if chunk.is_empty() {
        return Detected::Proposed(proposed);
    }
    let chunk = &chunk[..chunk.len().min(255)];
    let s = sample_data(version, chunk);
    let binary_type = check_binary_headers(chunk);
    let text_type = check_text_headers(chunk);
    let ie07 = version >= "ie07";
    let strict = version.contains("strict");

    if proposed == "text/html" && s.html {
        return Detected::Known("text/html");
    }
    if proposed == "image/gif" && binary_type == Some("image/gif") {
        return Detected::Known("image/gif");
    }
    if (proposed == "image/pjpeg" || proposed == "image/jpeg") && binary_type == Some("image/pjpeg") {
        return Detected::Proposed(proposed);
    }
    if ie07 && (proposed == "image/x-png" || proposed == "image/png") && binary_type == Some("image/x-png") {
        return Detected::Proposed(proposed);
    }
    if s.cdf {
        return Detected::Known("application/x-cdf");
    }
    if s.rss {
        return Detected::Known("application/rss+xml");
    }
    // (IE wants a PURL it never records, so RDF is never detected.)
    if s.atom {
        return Detected::Known("application/atom+xml");
    }
    if s.xml && (!strict || proposed == "text/html" || proposed == "text/xml") {
        return Detected::Known("text/xml");
    }
    if s.html {
        if !version.contains("nohtml") {
            return Detected::Known("text/html");
        }
        if proposed == "text/plain" {
            return Detected::Known("text/html");
        }
    }
    if s.xbm {
        return Detected::Known("image/x-bitmap");
    }
    if s.binhex {
        return Detected::Known("application/macbinhex40");
    }
    if s.scriptlet && (!strict || proposed == "text/plain" || proposed == "text/scriptlet") {
        return Detected::Known("text/scriptlet");
    }

    // IE's text-or-binary guess (broken for non-ASCII text, as in IE).
    let kind_of_binary = s.ctrl != 0 && (s.ff + s.low) < (s.ctrl + s.high) * 16;
    let detected = if kind_of_binary {
        binary_type.or(text_type).unwrap_or("application/octet-stream")
    } else {
        text_type.or(binary_type).unwrap_or("text/plain")
    };
    if data_format(version, detected) != Format::Ambiguous {
        return Detected::Known(detected);
    }
    match proposed_format {
        Format::Text if !kind_of_binary => Detected::Proposed(proposed),
        Format::Binary if kind_of_binary => Detected::Proposed(proposed),
        Format::Html => Detected::Proposed(proposed),
        _ => Detected::Known(detected),
    }
}

#[cfg(test)]
mod tests {
    use super::real_mimes_from_data as ie;

    fn any(chunk: &[u8], proposed: &str, want: &str) -> bool {
        ie(chunk, proposed).iter().any(|t| t == want)
    }

    #[test]
    fn executables_are_downloads_whatever_their_name() {
        let mz = [b"MZ\x90\x00".as_slice(), &b"hello world".repeat(10)].concat();
        assert!(any(&mz, "text/plain", "application/x-msdownload"));
        assert!(any(&mz, "image/png", "application/x-msdownload"));
    }

    #[test]
    fn html_tags_in_text_are_html_but_not_in_a_real_image() {
        assert!(any(b"see <a href=\"x\">here</a>", "text/plain", "text/html"));
        assert!(any(b"<TABLE>", "text/plain", "text/html"));
        assert!(!any(b"hello plain text", "text/plain", "text/html"));
        // IE 7 trusts a PNG signature served as PNG, IE 5 and 6 do not look past the HTML.
        let png = b"\x89PNG\r\n\x1a\n<html>";
        assert_eq!(ie(png, "image/png")[2], "image/png");
        assert_eq!(ie(png, "image/png")[0], "text/html");
    }

    #[test]
    fn scriptlets_feeds_and_plain_text() {
        assert!(any(b"<scriptlet>x</scriptlet>", "text/plain", "text/scriptlet"));
        assert_eq!(ie(b"<rss version=\"2.0\">", "text/plain")[2], "application/rss+xml");
        assert_eq!(ie(b"hello", "text/plain"), vec!["text/plain"; 5]);
        assert_eq!(
            ie(b"anything", "application/x-unknown-to-ie"),
            vec!["application/x-unknown-to-ie"; 5]
        );
        assert_eq!(ie(b"", "text/plain"), vec!["text/plain"; 5]);
    }

    #[test]
    fn binary_bytes_fall_back_to_the_binary_headers() {
        let bin: Vec<u8> = (1u8..32).cycle().take(248).collect();
        assert_eq!(ie(&bin, "text/plain"), vec!["application/octet-stream"; 5]);
        let gz = [b"\x1f\x8b".as_slice(), &[0u8; 40]].concat();
        assert_eq!(ie(&gz, "text/plain")[0], "application/x-gzip");
    }
}
