//! SVG: the security filter of `UploadBase::detectScriptInSvg` / `checkSvgScriptCallback`
//! (element, attribute, processing-instruction and DTD checks) and the size/metadata
//! reader of `SVGMetadataExtractor` + `SvgHandler::getSizeAndMetadata`.

use std::fs::File;
use std::io::{self, Read};

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use serde_json::Value;

use super::util::{is_pcre_space, nv_list, php_floatval, round_u32, set_key};

pub const NS_SVG: &str = "http://www.w3.org/2000/svg";
const NS_INKSCAPE: &str = "http://www.inkscape.org/namespaces/inkscape";
/// `$wgSVGMetadataCutoff`.
pub const SVG_METADATA_CUTOFF: u64 = 262_144;

const VALID_NAMESPACES: &[&str] = &[
    "",
    "adobe:ns:meta/",
    "http://creativecommons.org/ns#",
    "http://inkscape.sourceforge.net/dtd/sodipodi-0.dtd",
    "http://ns.adobe.com/adobeillustrator/10.0/",
    "http://ns.adobe.com/adobesvgviewerextensions/3.0/",
    "http://ns.adobe.com/extensibility/1.0/",
    "http://ns.adobe.com/flows/1.0/",
    "http://ns.adobe.com/illustrator/1.0/",
    "http://ns.adobe.com/imagereplacement/1.0/",
    "http://ns.adobe.com/pdf/1.3/",
    "http://ns.adobe.com/photoshop/1.0/",
    "http://ns.adobe.com/saveforweb/1.0/",
    "http://ns.adobe.com/variables/1.0/",
    "http://ns.adobe.com/xap/1.0/",
    "http://ns.adobe.com/xap/1.0/g/",
    "http://ns.adobe.com/xap/1.0/g/img/",
    "http://ns.adobe.com/xap/1.0/mm/",
    "http://ns.adobe.com/xap/1.0/rights/",
    "http://ns.adobe.com/xap/1.0/stype/dimensions#",
    "http://ns.adobe.com/xap/1.0/stype/font#",
    "http://ns.adobe.com/xap/1.0/stype/manifestitem#",
    "http://ns.adobe.com/xap/1.0/stype/resourceevent#",
    "http://ns.adobe.com/xap/1.0/stype/resourceref#",
    "http://ns.adobe.com/xap/1.0/t/pg/",
    "http://purl.org/dc/elements/1.1/",
    "http://purl.org/dc/elements/1.1",
    "http://schemas.microsoft.com/visio/2003/svgextensions/",
    "http://sodipodi.sourceforge.net/dtd/sodipodi-0.dtd",
    "http://taptrix.com/inkpad/svg_extensions",
    "http://web.resource.org/cc/",
    "http://www.freesoftware.fsf.org/bkchem/cdml",
    "http://www.inkscape.org/namespaces/inkscape",
    "http://www.opengis.net/gml",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "http://www.w3.org/2000/svg",
    "http://www.w3.org/tr/rec-rdf-syntax/",
    "http://www.w3.org/2000/01/rdf-schema#",
    "http://www.w3.org/2000/02/svg/testsuite/description/",
];

const ALLOWED_DTDS: &[&str] = &[
    "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd",
    "http://www.w3.org/TR/2001/REC-SVG-20010904/DTD/svg10.dtd",
    "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11-basic.dtd",
    "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11-tiny.dtd",
    "http://www.w3.org/TR/2001/PR-SVG-20010719/DTD/svg10.dtd",
];

const CSS_ATTRS: &[&str] = &[
    "font",
    "clip-path",
    "fill",
    "filter",
    "marker",
    "marker-end",
    "marker-mid",
    "marker-start",
    "mask",
    "stroke",
];

#[derive(Debug, Clone, PartialEq)]
pub enum ElementCheck {
    Pass,
    BadNamespace(String),
    Hit(Vec<String>),
}

fn d(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// `UploadBase::splitXmlNamespace` (lowercases).
pub fn split_xml_namespace(name: &str) -> (String, String) {
    let lower = name.to_lowercase();
    match lower.rsplit_once(':') {
        Some((ns, local)) => (ns.to_string(), local.to_string()),
        None => (String::new(), lower),
    }
}

fn is_buggy_inkscape(ns: &str) -> bool {
    // ^&(#38;)*ns_[a-z_]+;$
    let Some(mut rest) = ns.strip_prefix('&') else {
        return false;
    };
    while let Some(r) = rest.strip_prefix("#38;") {
        rest = r;
    }
    let Some(body) = rest.strip_prefix("ns_").and_then(|r| r.strip_suffix(';')) else {
        return false;
    };
    !body.is_empty() && body.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
}

/// Namespace and scriptable-element part of `checkSvgScriptCallback`.
pub fn check_element_name(element: &str) -> ElementCheck {
    let (ns, local) = split_xml_namespace(element);
    if !(is_buggy_inkscape(&ns) || VALID_NAMESPACES.contains(&ns.as_str())) {
        return ElementCheck::BadNamespace(ns);
    }
    if matches!(local.as_str(), "script" | "handler" | "stylesheet" | "iframe") {
        return ElementCheck::Hit(vec!["uploaded-script-svg".to_string(), local]);
    }
    ElementCheck::Pass
}

pub fn is_style_element(element: &str) -> bool {
    split_xml_namespace(element).1 == "style"
}

/// `<style>` contents check.
pub fn check_style_data(element: &str, data: &str) -> Option<Vec<String>> {
    (is_style_element(element) && check_css_fragment(&normalize_css(data))).then(|| d(&["uploaded-hostile-svg"]))
}

pub fn check_pi(target: &str) -> Option<Vec<String>> {
    target
        .to_ascii_lowercase()
        .contains("xml-stylesheet")
        .then(|| d(&["upload-scripted-pi-callback"]))
}

pub fn check_external_dtd(ty: &str, public_id: Option<&str>, system_id: Option<&str>) -> Option<Vec<String>> {
    let ok = ty == "PUBLIC" && system_id.is_some_and(|s| ALLOWED_DTDS.contains(&s)) && public_id.is_some_and(|p| p.starts_with("-//W3C//"));
    (!ok).then(|| d(&["upload-scripted-dtd"]))
}

fn contains_remote_scheme(value: &str) -> bool {
    // !(http|https|data|script):!im
    ["http:", "https:", "data:", "script:"].iter().any(|p| value.contains(p))
}

/// Attribute part of `checkSvgScriptCallback`.
pub fn check_attributes(element: &str, attrs: &[(String, String)]) -> Option<Vec<String>> {
    let (namespace, el) = split_xml_namespace(element);
    for (attrib, value) in attrs {
        let (attr_ns, stripped) = split_xml_namespace(attrib);
        let value = value.to_lowercase();
        let v = value.as_str();

        if !(namespace == NS_INKSCAPE && attr_ns.is_empty()) && stripped.starts_with("on") {
            return Some(vec!["uploaded-event-handler-on-svg".into(), attrib.clone(), value]);
        }
        if stripped == "href"
            && !v.is_empty()
            && !v.starts_with("data:")
            && !v.starts_with('#')
            && !(el == "a" && (v.starts_with("http://") || v.starts_with("https://")))
        {
            return Some(vec!["uploaded-href-attribute-svg".into(), el, attrib.clone(), value]);
        }
        if stripped == "href" && v.starts_with("data:") && !is_safe_data_uri(v) {
            return Some(vec!["uploaded-href-unsafe-target-svg".into(), el, attrib.clone(), value]);
        }
        if stripped == "attributename" && el == "animate" && split_xml_namespace(v).1 == "href" {
            return Some(vec!["uploaded-animate-svg".into(), el, attrib.clone(), value]);
        }
        if (el == "set" || el == "animate") && stripped == "attributename" && v.starts_with("on") {
            return Some(vec!["uploaded-setting-event-handler-svg".into(), el, stripped, value]);
        }
        if el == "set" && stripped == "attributename" && v.contains("href") {
            return Some(d(&["uploaded-setting-href-svg"]));
        }
        if el == "set" && stripped == "to" && contains_remote_scheme(v) {
            return Some(vec!["uploaded-wrong-setting-svg".into(), value]);
        }
        if stripped == "handler" && contains_remote_scheme(v) {
            return Some(vec!["uploaded-setting-handler-svg".into(), attrib.clone(), value]);
        }
        if stripped == "style" && check_css_fragment(&normalize_css(v)) {
            return Some(vec!["uploaded-remote-url-svg".into(), attrib.clone(), value]);
        }
        if CSS_ATTRS.contains(&stripped.as_str()) && check_css_fragment(v) {
            return Some(vec!["uploaded-remote-url-svg".into(), attrib.clone(), value]);
        }
        if el == "image" && stripped == "filter" && image_filter_has_url(v) {
            return Some(vec!["uploaded-image-filter-svg".into(), el, stripped, value]);
        }
    }
    None
}

/// `!url\s*\(\s*["']?[^#]!im`: any `url(` not immediately followed by `#`.
fn image_filter_has_url(v: &str) -> bool {
    let b = v.as_bytes();
    let mut from = 0;
    while let Some(p) = v[from..].find("url").map(|p| p + from) {
        let mut i = p + 3;
        while i < b.len() && is_pcre_space(b[i]) {
            i += 1;
        }
        if b.get(i) == Some(&b'(') && b.get(i + 1).is_some_and(|&c| c != b'#') {
            return true;
        }
        from = p + 3;
    }
    false
}

/// `^data:\s*image/(gif|jpeg|jpg|png)(;param=value)*(;base64)?,` (case-insensitive).
fn is_safe_data_uri(v: &str) -> bool {
    let b = v.as_bytes();
    let Some(mut i) = v.get(..5).filter(|p| p.eq_ignore_ascii_case("data:")).map(|_| 5) else {
        return false;
    };
    while i < b.len() && is_pcre_space(b[i]) {
        i += 1;
    }
    let rest = &v[i..];
    let lower = rest.to_ascii_lowercase();
    let Some(after) = ["image/gif", "image/jpeg", "image/jpg", "image/png"]
        .iter()
        .find(|t| lower.starts_with(*t))
        .map(|t| i + t.len())
    else {
        return false;
    };
    let is_token = |c: u8| c.is_ascii_alphanumeric() || b"!#$&'*+.^_`{|}~-".contains(&c);
    let mut i = after;
    loop {
        match b.get(i) {
            Some(b',') => return true,
            Some(b';') => {
                // ;base64, ?
                if v.get(i..i + 8).is_some_and(|s| s.eq_ignore_ascii_case(";base64,")) {
                    return true;
                }
                // ;attribute=value
                let mut j = i + 1;
                let start = j;
                while j < b.len() && is_token(b[j]) {
                    j += 1;
                }
                if j == start || b.get(j) != Some(&b'=') {
                    return false;
                }
                j += 1;
                if b.get(j) == Some(&b'"') {
                    j += 1;
                    loop {
                        match b.get(j) {
                            Some(b'"') => {
                                j += 1;
                                break;
                            }
                            Some(b'\\') if b.get(j + 1).is_some_and(|c| *c < 0x80) => j += 2,
                            Some(&c) if c < 0x80 && c != b'\r' && c != b'\\' => j += 1,
                            _ => return false,
                        }
                    }
                } else {
                    let vs = j;
                    while j < b.len() && is_token(b[j]) {
                        j += 1;
                    }
                    if j == vs {
                        return false;
                    }
                }
                i = j;
            }
            _ => return false,
        }
    }
}

/// `Sanitizer::decodeCharReferences` (numeric references and the ASCII named ones).
pub fn decode_char_references(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(p) = rest.find('&') {
        out.push_str(&rest[..p]);
        let tail = &rest[p + 1..];
        let mut consumed = None;
        if let Some(num) = tail.strip_prefix('#') {
            let (hex, digits_src) = match num.strip_prefix(['x', 'X']) {
                Some(h) => (true, h),
                None => (false, num),
            };
            let len = digits_src
                .bytes()
                .take_while(|c| if hex { c.is_ascii_hexdigit() } else { c.is_ascii_digit() })
                .count();
            if len > 0 && digits_src.as_bytes().get(len) == Some(&b';') {
                let digits = &digits_src[..len];
                let cp = if hex {
                    u32::from_str_radix(digits, 16).ok()
                } else {
                    digits.parse::<u32>().ok()
                };
                let valid = cp.filter(|&c| {
                    c == 0x09
                        || c == 0x0a
                        || c == 0x0d
                        || (0x20..=0xd7ff).contains(&c)
                        || (0xe000..=0xfffd).contains(&c)
                        || (0x10000..=0x10ffff).contains(&c)
                });
                out.push(valid.and_then(char::from_u32).unwrap_or('\u{FFFD}'));
                consumed = Some(1 + usize::from(hex) + len + 1);
            }
        } else {
            let len = tail.bytes().take_while(|c| c.is_ascii_alphanumeric() || *c >= 0x80).count();
            if len > 0 && tail.as_bytes().get(len) == Some(&b';') {
                let name = &tail[..len];
                let rep = match name {
                    "amp" => Some('&'),
                    "lt" => Some('<'),
                    "gt" => Some('>'),
                    "quot" => Some('"'),
                    "apos" => Some('\''),
                    "nbsp" => Some('\u{a0}'),
                    _ => None,
                };
                if let Some(c) = rep {
                    out.push(c);
                    consumed = Some(len + 1);
                }
            }
        }
        match consumed {
            Some(n) => rest = &tail[n..],
            None => {
                out.push('&');
                rest = tail;
            }
        }
    }
    out.push_str(rest);
    out
}

/// `Sanitizer::normalizeCss`.
pub fn normalize_css(value: &str) -> String {
    let value = decode_char_references(value);
    // CSS escapes
    let mut out = String::with_capacity(value.len());
    let chars: Vec<char> = value.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c != '\\' {
            out.push(c);
            i += 1;
            continue;
        }
        i += 1;
        let decoded: Option<char> = match chars.get(i) {
            None => Some('\\'),
            Some('\n') | Some('\u{0c}') => {
                i += 1;
                None
            }
            Some('\r') => {
                i += 1;
                if chars.get(i) == Some(&'\n') {
                    i += 1;
                }
                None
            }
            Some(h) if h.is_ascii_hexdigit() => {
                let start = i;
                while i < chars.len() && i - start < 6 && chars[i].is_ascii_hexdigit() {
                    i += 1;
                }
                let hex: String = chars[start..i].iter().collect();
                if matches!(chars.get(i), Some(' ' | '\t' | '\r' | '\n' | '\u{0c}')) {
                    i += 1;
                }
                let cp = u32::from_str_radix(&hex, 16).unwrap_or(0xFFFD);
                Some(char::from_u32(cp).unwrap_or('\u{FFFD}'))
            }
            Some(&other) => {
                i += 1;
                Some(other)
            }
        };
        if let Some(ch) = decoded {
            if matches!(ch, '\n' | '"' | '\'' | '\\') {
                out.push_str(&format!("\\{:x} ", u32::from(ch)));
            } else {
                out.push(ch);
            }
        }
    }
    // comments
    let single_comment = {
        let t = out.trim_matches(|c: char| c.is_ascii_whitespace());
        t.starts_with("/*") && t.ends_with("*/") && t.len() >= 4 && !t[2..t.len() - 2].contains(['*', '/'])
    };
    if !single_comment {
        let mut cleaned = String::with_capacity(out.len());
        let mut rest = out.as_str();
        while let Some(p) = rest.find("/*") {
            match rest[p + 2..].find("*/") {
                Some(e) => {
                    cleaned.push_str(&rest[..p]);
                    cleaned.push(' ');
                    rest = &rest[p + 2 + e + 2..];
                }
                None => break,
            }
        }
        cleaned.push_str(rest);
        if let Some(p) = cleaned.find("/*") {
            cleaned.truncate(p);
        }
        out = cleaned;
    }
    out
}

/// `UploadBase::checkCssFragment`: does the CSS bring in remote or executable content?
pub fn check_css_fragment(value: &str) -> bool {
    let lower = value.to_lowercase();
    if lower.contains("@import") {
        return true;
    }
    // allow @font-face { src: url("data:;base64,...") }
    let mut v = lower.clone();
    if v.contains("@font-face") {
        let mut outv = String::with_capacity(v.len());
        let mut rest = v.as_str();
        while let Some(p) = rest.find("@font-face") {
            outv.push_str(&rest[..p]);
            let block_end = rest[p..].find('}').map_or(rest.len(), |e| p + e);
            let block = &rest[p..block_end];
            outv.push_str(&block.replace("src:url(\"data:;base64,", "src:(\"data:;base64,"));
            rest = &rest[block_end..];
        }
        outv.push_str(rest);
        v = outv;
    }
    if v.contains("expression") {
        return true;
    }
    for kw in ["-o-link", "-o-link-source", "-o-replace"] {
        let mut from = 0;
        while let Some(p) = v[from..].find(kw).map(|p| p + from) {
            let after = v[p + kw.len()..].trim_start_matches(|c: char| c.is_ascii() && is_pcre_space(c as u8));
            if after.starts_with(':') {
                return true;
            }
            from = p + kw.len();
        }
    }
    if has_remote_css_url(&v) {
        return true;
    }
    value.bytes().any(|b| matches!(b, 0..=8 | 0x0b | 0x0e..=0x1f | 0x7f))
}

/// The `(url|image|image-set)\s*\(` part of `checkCssFragment`: any such function whose
/// argument does not start with `#`, `'#` or `"#` (and that is closed by a `)`).
fn has_remote_css_url(v: &str) -> bool {
    let b = v.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let rest = &b[i..];
        let kw_len = if rest.starts_with(b"url") {
            3
        } else if rest.starts_with(b"image-set") {
            9
        } else if rest.starts_with(b"image") {
            5
        } else {
            i += 1;
            continue;
        };
        let mut j = i + kw_len;
        while j < b.len() && is_pcre_space(b[j]) {
            j += 1;
        }
        if b.get(j) == Some(&b'(') {
            let open = j;
            j += 1;
            let arg_start = j;
            while j < b.len() && is_pcre_space(b[j]) {
                j += 1;
            }
            let first_after_paren = b.get(arg_start).copied();
            let closed = b[open..].contains(&b')');
            let safe = matches!(b.get(j), Some(b'#')) || (matches!(b.get(j), Some(b'\'') | Some(b'"')) && b.get(j + 1) == Some(&b'#'));
            // the first regex needs at least one non-'#' character right after `(\s*`
            // (whitespace may be given back), so `url(#x)` never matches at all
            let matches_first = closed && first_after_paren.is_some_and(|c| c != b'#');
            if matches_first && !safe {
                return true;
            }
        }
        i += kw_len;
    }
    false
}

// ---------------------------------------------------------------------------------------
// Size and metadata (SVGMetadataExtractor / SvgHandler)
// ---------------------------------------------------------------------------------------

#[derive(Debug)]
pub struct SvgInfo {
    pub width: u32,
    pub height: u32,
    pub metadata: Vec<(String, Value)>,
}

/// `SVGReader::scaleSVGUnit` (MediaWiki 1.39, 90 dpi table).
pub fn scale_svg_unit(length: &str, viewport: f64) -> f64 {
    let t = length.trim_matches(|c: char| c.is_ascii() && is_pcre_space(c as u8));
    // number
    let b = t.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let mut ok = i > int_start;
    if i < b.len() && b[i] == b'.' {
        let fs = i + 1;
        let mut j = fs;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        if j > fs {
            i = j;
            ok = true;
        }
    }
    if ok && i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        let mut j = i + 1;
        if j < b.len() && (b[j] == b'+' || b[j] == b'-') {
            j += 1;
        }
        let es = j;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        if j > es {
            i = j;
        }
    }
    if ok {
        let num: f64 = t[..i].parse().unwrap_or(0.0);
        let unit = t[i..].trim_start_matches(|c: char| c.is_ascii() && is_pcre_space(c as u8));
        let factor = match unit {
            "px" | "" => Some(1.0),
            "pt" => Some(1.25),
            "pc" => Some(15.0),
            "mm" => Some(3.543307),
            "cm" => Some(35.43307),
            "in" => Some(90.0),
            "em" => Some(16.0),
            "ex" => Some(12.0),
            "%" => return num * 0.01 * viewport,
            _ => None,
        };
        if let Some(f) = factor {
            return num * f;
        }
    }
    php_floatval(length)
}

/// Read the SVG prefix (≤ `$wgSVGMetadataCutoff`) as UTF-8 bytes.
fn read_prefix(f: &mut File) -> io::Result<Vec<u8>> {
    let mut raw = Vec::new();
    f.by_ref().take(SVG_METADATA_CUTOFF).read_to_end(&mut raw)?;
    Ok(if raw.starts_with(b"\xFE\xFF") {
        super::xml::utf16_to_utf8(&raw[2..raw.len() - (raw.len() % 2)], true).unwrap_or_default()
    } else if raw.starts_with(b"\xFF\xFE") {
        super::xml::utf16_to_utf8(&raw[2..raw.len() - (raw.len() % 2)], false).unwrap_or_default()
    } else if raw.starts_with(b"\xEF\xBB\xBF") {
        raw[3..].to_vec()
    } else {
        raw
    })
}

struct NsStack {
    /// Flat list of in-scope bindings and, per open element, how many it added.
    bindings: Vec<(String, String)>,
    counts: Vec<usize>,
    /// Internal-subset entities (Adobe Illustrator declares namespaces this way).
    entities: std::collections::HashMap<String, String>,
}

impl NsStack {
    fn push(&mut self, e: &BytesStart<'_>) {
        let before = self.bindings.len();
        for a in e.attributes().with_checks(false).flatten() {
            let key = String::from_utf8_lossy(a.key.as_ref()).into_owned();
            let val = unescape(&a, &self.entities).unwrap_or_default();
            if key == "xmlns" {
                self.bindings.push((String::new(), val));
            } else if let Some(p) = key.strip_prefix("xmlns:") {
                self.bindings.push((p.to_string(), val));
            }
        }
        self.counts.push(self.bindings.len() - before);
    }
    fn pop(&mut self) {
        if let Some(n) = self.counts.pop() {
            let keep = self.bindings.len().saturating_sub(n);
            self.bindings.truncate(keep);
        }
    }
    fn depth(&self) -> usize {
        self.counts.len()
    }
    /// (namespace URI, local name) of an element.
    fn resolve(&self, qname: &[u8]) -> (String, String) {
        let q = String::from_utf8_lossy(qname);
        let (prefix, local) = match q.split_once(':') {
            Some((p, l)) => (p, l),
            None => ("", q.as_ref()),
        };
        let uri = self
            .bindings
            .iter()
            .rev()
            .find(|(p, _)| p == prefix)
            .map(|(_, u)| u.clone())
            .unwrap_or_default();
        (uri, local.to_string())
    }
}

fn unescape(a: &quick_xml::events::attributes::Attribute<'_>, entities: &std::collections::HashMap<String, String>) -> Option<String> {
    a.unescape_value_with(|name| entities.get(name).map(String::as_str))
        .ok()
        .map(|v| v.into_owned())
}

fn attr(e: &BytesStart<'_>, name: &str, ns: &NsStack) -> Option<String> {
    e.attributes()
        .with_checks(false)
        .flatten()
        .find(|a| a.key.as_ref() == name.as_bytes())
        .and_then(|a| unescape(&a, &ns.entities))
}

/// `LanguageCode::isWellFormedLanguageTag`, simplified to the BCP 47 shape.
fn is_well_formed_language_tag(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let Some(first) = parts.next() else {
        return false;
    };
    if !(2..=8).contains(&first.len()) || !first.bytes().all(|b| b.is_ascii_alphabetic()) {
        return (first == "x" || first == "i") && tag.len() > 2;
    }
    parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

pub fn parse(f: &mut File) -> SvgInfo {
    let mut metadata: Vec<(String, Value)> = vec![("version".to_string(), Value::from(2))];
    let data = match read_prefix(f) {
        Ok(d) => d,
        Err(e) => {
            return error_info(metadata, &format!("Error reading SVG file: {e}"));
        }
    };
    let mut reader = Reader::from_reader(data.as_slice());
    reader.config_mut().check_end_names = false;
    let mut ns = NsStack {
        bindings: Vec::new(),
        counts: Vec::new(),
        entities: Default::default(),
    };
    // skip to the first element
    let root = loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => break Some((e, false)),
            Ok(Event::Empty(e)) => break Some((e, true)),
            Ok(Event::DocType(t)) => {
                let content = String::from_utf8_lossy(&t.into_inner()).into_owned();
                if let Some(internal) = super::xml::parse_dtd(&content).and_then(|d| d.internal) {
                    for (k, v) in super::xml::safe_internal_subset(&internal).unwrap_or_default() {
                        ns.entities.entry(k).or_insert(v);
                    }
                }
            }
            Ok(Event::Eof) | Err(_) => break None,
            Ok(_) => {}
        }
    };
    let Some((root, root_empty)) = root else {
        return error_info(metadata, "Expected <svg> tag, got  in NS ");
    };
    ns.push(&root);
    let (uri, local) = ns.resolve(root.name().as_ref());
    if local != "svg" || uri != NS_SVG {
        return error_info(metadata, &format!("Expected <svg> tag, got {local} in NS {uri}"));
    }

    let mut m: Vec<(String, Value)> = vec![
        ("width".to_string(), Value::from(512)),
        ("height".to_string(), Value::from(512)),
        ("originalWidth".to_string(), Value::from("100%")),
        ("originalHeight".to_string(), Value::from("100%")),
    ];
    // handleSVGAttribs
    let default_width = 512.0f64;
    let mut default_height = 512.0f64;
    let mut aspect = 1.0f64;
    if let Some(vb) = attr(&root, "viewBox", &ns).filter(|v| !v.is_empty() && v != "0") {
        let parts: Vec<&str> = vb
            .trim()
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|p| !p.is_empty())
            .collect();
        if parts.len() == 4 {
            let vw = scale_svg_unit(parts[2], 512.0);
            let vh = scale_svg_unit(parts[3], 512.0);
            if vw > 0.0 && vh > 0.0 {
                aspect = vw / vh;
                default_height = default_width / aspect;
            }
        }
    }
    let mut width = None;
    let mut height = None;
    if let Some(w) = attr(&root, "width", &ns).filter(|v| !v.is_empty() && v != "0") {
        width = Some(scale_svg_unit(&w, default_width));
        set_key(&mut m, "originalWidth", Value::from(w));
    }
    if let Some(h) = attr(&root, "height", &ns).filter(|v| !v.is_empty() && v != "0") {
        height = Some(scale_svg_unit(&h, default_height));
        set_key(&mut m, "originalHeight", Value::from(h));
    }
    let (w, h) = match (width, height) {
        (None, None) => (default_width, default_width / aspect),
        (Some(w), None) => (w, w / aspect),
        (None, Some(h)) => (h * aspect, h),
        (Some(w), Some(h)) => (w, h),
    };
    if w > 0.0 && h > 0.0 {
        set_key(&mut m, "width", Value::from(round_u32(w)));
        set_key(&mut m, "height", Value::from(round_u32(h)));
    }

    let mut languages: Vec<(String, Value)> = Vec::new();
    let mut prefixes: Vec<(String, Value)> = Vec::new();
    if !root_empty {
        walk_children(&mut reader, &data, &mut ns, &mut m, &mut languages, &mut prefixes);
    }
    for (k, v) in prefixes {
        if !languages.iter().any(|(l, _)| *l == k) {
            languages.push((k, v));
        }
    }
    m.push(("translations".to_string(), nv_list(&languages)));
    let width = m.iter().find(|(k, _)| k == "width").and_then(|(_, v)| v.as_u64()).unwrap_or(0);
    let height = m.iter().find(|(k, _)| k == "height").and_then(|(_, v)| v.as_u64()).unwrap_or(0);
    metadata.extend(m);
    SvgInfo {
        width: u32::try_from(width).unwrap_or(0),
        height: u32::try_from(height).unwrap_or(0),
        metadata,
    }
}

fn error_info(mut metadata: Vec<(String, Value)>, message: &str) -> SvgInfo {
    let err = nv_list(&[("message".to_string(), Value::from(message)), ("code".to_string(), Value::from(0))]);
    metadata.push(("error".to_string(), err));
    SvgInfo {
        width: 0,
        height: 0,
        metadata,
    }
}

enum Mode {
    None,
    Field {
        key: &'static str,
        last_text: Option<String>,
        run: String,
    },
    Metadata {
        start: usize,
    },
    Subtree,
}

fn flush_run(mode: &mut Mode) {
    if let Mode::Field { last_text, run, .. } = mode {
        if run.chars().any(|c| !matches!(c, ' ' | '\t' | '\r' | '\n')) {
            *last_text = Some(std::mem::take(run));
        } else {
            run.clear();
        }
    }
}

fn finish_child(mode: &mut Mode, m: &mut Vec<(String, Value)>, data: &[u8], end_tag_start: usize) {
    flush_run(mode);
    match std::mem::replace(mode, Mode::None) {
        Mode::Field {
            key, last_text: Some(t), ..
        } => {
            set_key(m, key, Value::from(super::util::php_trim_str(&t).to_string()));
        }
        Mode::Metadata { start } => {
            let inner = data.get(start..end_tag_start.max(start)).unwrap_or(&[]);
            let inner = String::from_utf8_lossy(inner);
            set_key(m, "metadata", Value::from(super::util::php_trim_str(&inner).to_string()));
        }
        _ => {}
    }
}

fn walk_children(
    reader: &mut Reader<&[u8]>,
    data: &[u8],
    ns: &mut NsStack,
    m: &mut Vec<(String, Value)>,
    languages: &mut Vec<(String, Value)>,
    prefixes: &mut Vec<(String, Value)>,
) {
    let mut depth: usize = 0; // depth below the root element
    let mut mode = Mode::None;
    loop {
        let before = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        let ev = match reader.read_event() {
            Ok(Event::Eof) | Err(_) => break,
            Ok(ev) => ev,
        };
        let (e, empty) = match ev {
            Event::Start(e) => (e, false),
            Event::Empty(e) => (e, true),
            Event::End(_) => {
                ns.pop();
                if depth == 0 {
                    return; // end of the root element
                }
                depth -= 1;
                if depth == 0 {
                    finish_child(&mut mode, m, data, before);
                } else {
                    flush_run(&mut mode);
                }
                continue;
            }
            Event::Text(t) => {
                if let Mode::Field { run, .. } = &mut mode {
                    run.push_str(&String::from_utf8_lossy(&t.into_inner()));
                }
                continue;
            }
            Event::GeneralRef(r) => {
                if let Mode::Field { run, .. } = &mut mode {
                    let name = String::from_utf8_lossy(&r.into_inner()).into_owned();
                    let c = match name.as_str() {
                        "lt" => Some('<'),
                        "gt" => Some('>'),
                        "amp" => Some('&'),
                        "quot" => Some('"'),
                        "apos" => Some('\''),
                        n => n
                            .strip_prefix("#x")
                            .and_then(|h| u32::from_str_radix(h, 16).ok())
                            .or_else(|| n.strip_prefix('#').and_then(|d| d.parse().ok()))
                            .and_then(char::from_u32),
                    };
                    if let Some(c) = c {
                        run.push(c);
                    }
                }
                continue;
            }
            _ => {
                flush_run(&mut mode);
                continue;
            }
        };
        flush_run(&mut mode);
        if ns.depth() >= 256 {
            break; // libxml2's depth limit: the reader stops here
        }
        ns.push(&e);
        let (uri, local) = ns.resolve(e.name().as_ref());
        let is_svg = uri == NS_SVG;
        depth += 1;
        if depth == 1 {
            mode = if is_svg && local == "title" {
                Mode::Field {
                    key: "title",
                    last_text: None,
                    run: String::new(),
                }
            } else if is_svg && local == "desc" {
                Mode::Field {
                    key: "description",
                    last_text: None,
                    run: String::new(),
                }
            } else if is_svg && local == "metadata" && !empty {
                Mode::Metadata {
                    start: usize::try_from(reader.buffer_position()).unwrap_or(0),
                }
            } else if is_svg && local == "script" {
                set_key(m, "animated", Value::from(true));
                Mode::None
            } else {
                Mode::Subtree
            };
        } else if matches!(mode, Mode::Subtree) && is_svg {
            if let Some(langs) = attr(&e, "systemLanguage", ns).filter(|s| !s.is_empty()) {
                for item in langs.split(',') {
                    let item = item.trim();
                    if is_well_formed_language_tag(item) {
                        set_key(languages, item, Value::from(1));
                    }
                    if let Some(dash) = item.find('-').filter(|&d| d > 0) {
                        let p = &item[..dash];
                        if is_well_formed_language_tag(p) {
                            set_key(prefixes, p, Value::from(2));
                        }
                    }
                }
            }
            if matches!(
                local.as_str(),
                "script" | "animate" | "set" | "animateMotion" | "animateColor" | "animateTransform"
            ) {
                set_key(m, "animated", Value::from(true));
            }
        }
        if empty {
            ns.pop();
            depth -= 1;
            if depth == 0 {
                finish_child(&mut mode, m, data, before);
            }
        }
    }
    // truncated document: keep what was found so far
    finish_child(&mut mode, m, data, data.len());
}
