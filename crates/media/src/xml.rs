//! A streaming re-implementation of MediaWiki's `XmlTypeCheck` (libxml2 `XMLReader` with
//! entity substitution and the "safe DTD" rule), with an optional element filter
//! (`UploadBase::checkSvgScriptCallback` and friends, see `svg.rs`).
//!
//! Memory stays bounded: the file is streamed, a single markup event may not exceed
//! ~10 MB (libxml2's own limit for text nodes), nesting is limited to 256 levels (libxml2's
//! default), and entity expansion is capped.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use super::svg;

const MAX_EVENT_BYTES: u64 = 10_000_000 + 64 * 1024;
const MAX_DEPTH: usize = 256;
const MAX_ENTITY_EXPANSION: usize = 1 << 20;
const MAX_ENTITY_NESTING: u32 = 8;
const MAX_STYLE_DATA: usize = 8 << 20;
/// Bound on what open elements may keep alive together.
const MAX_RETAINED: usize = 32 << 20;

pub const NS_XML: &str = "http://www.w3.org/XML/1998/namespace";

#[derive(Debug, Clone, Default)]
pub struct ScanResult {
    pub well_formed: bool,
    /// Root element name as `XmlTypeCheck::getRootElement` reports it (`uri:local` or the
    /// raw qualified name).
    pub root: String,
    /// The last filter hit (MediaWiki keeps the last one), as verification details.
    pub hit: Option<Vec<String>>,
    /// `UploadBase::$mSVGNSError`: the last non-allowed namespace seen.
    pub ns_error: Option<String>,
}

/// Scan a file. `filter` enables the SVG security filter.
pub fn scan_file(path: &Path, filter: bool) -> io::Result<ScanResult> {
    let f = File::open(path)?;
    Ok(scan_reader(BufReader::with_capacity(64 * 1024, f), filter))
}

#[cfg(test)]
pub fn scan_bytes(bytes: &[u8], filter: bool) -> ScanResult {
    scan_reader(bytes, filter)
}

/// Byte-order handling at the start of an XML stream.
enum Encoding {
    Utf8,
    Utf16 { big_endian: bool },
}

fn scan_reader<R: BufRead>(mut r: R, filter: bool) -> ScanResult {
    let not_xml = ScanResult::default();
    let (enc, skip) = {
        let Ok(buf) = r.fill_buf() else {
            return not_xml;
        };
        let enc = if buf.starts_with(b"\xEF\xBB\xBF") {
            (Encoding::Utf8, 3)
        } else if buf.starts_with(b"\xFE\xFF") {
            (Encoding::Utf16 { big_endian: true }, 2)
        } else if buf.starts_with(b"\xFF\xFE") && !buf.starts_with(b"\xFF\xFE\0\0") {
            (Encoding::Utf16 { big_endian: false }, 2)
        } else {
            (Encoding::Utf8, 0)
        };
        // Cheap rejection: the first non-blank character must be '<'.
        if let Encoding::Utf8 = enc.0 {
            let rest = buf.get(enc.1..).unwrap_or(&[]);
            if let Some(&b) = rest.iter().find(|b| !matches!(**b, b' ' | b'\t' | b'\r' | b'\n'))
                && b != b'<'
            {
                return not_xml;
            }
        }
        enc
    };
    r.consume(skip);
    match enc {
        Encoding::Utf8 => run(Guard::new(r), filter),
        Encoding::Utf16 { big_endian } => run(
            Guard::new(BufReader::with_capacity(64 * 1024, Utf16ToUtf8::new(r, big_endian))),
            filter,
        ),
    }
}

/// Counts the bytes handed to the XML parser since the last reset and fails once a single
/// event grows beyond [`MAX_EVENT_BYTES`].
struct Guard<R> {
    inner: R,
    since_reset: u64,
}

impl<R> Guard<R> {
    fn new(inner: R) -> Self {
        Guard { inner, since_reset: 0 }
    }
}

impl<R: BufRead> Read for Guard<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = {
            let buf = self.fill_buf()?;
            let n = buf.len().min(out.len());
            out[..n].copy_from_slice(&buf[..n]);
            n
        };
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Guard<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.since_reset > MAX_EVENT_BYTES {
            return Err(io::Error::other("XML event too large"));
        }
        self.inner.fill_buf()
    }
    fn consume(&mut self, amt: usize) {
        self.since_reset += amt as u64;
        self.inner.consume(amt);
    }
}

/// Streaming UTF-16 → UTF-8 transcoder. Invalid sequences produce an I/O error, which the
/// scanner reports as "not well-formed".
struct Utf16ToUtf8<R> {
    inner: R,
    big_endian: bool,
    pending: Vec<u8>,
    out: Vec<u8>,
    out_pos: usize,
    high: Option<u16>,
}

impl<R: BufRead> Utf16ToUtf8<R> {
    fn new(inner: R, big_endian: bool) -> Self {
        Utf16ToUtf8 {
            inner,
            big_endian,
            pending: Vec::new(),
            out: Vec::new(),
            out_pos: 0,
            high: None,
        }
    }

    fn refill(&mut self) -> io::Result<bool> {
        self.out.clear();
        self.out_pos = 0;
        let buf = self.inner.fill_buf()?;
        if buf.is_empty() {
            if !self.pending.is_empty() || self.high.is_some() {
                return Err(io::Error::other("truncated UTF-16"));
            }
            return Ok(false);
        }
        let mut data = std::mem::take(&mut self.pending);
        data.extend_from_slice(buf);
        let n = buf.len();
        self.inner.consume(n);
        let pairs = data.len() / 2;
        for i in 0..pairs {
            let (a, b) = (data[2 * i], data[2 * i + 1]);
            let unit = if self.big_endian {
                u16::from_be_bytes([a, b])
            } else {
                u16::from_le_bytes([a, b])
            };
            let ch = if let Some(hi) = self.high.take() {
                if !(0xDC00..0xE000).contains(&unit) {
                    return Err(io::Error::other("bad surrogate"));
                }
                let cp = 0x10000 + ((u32::from(hi) - 0xD800) << 10) + (u32::from(unit) - 0xDC00);
                char::from_u32(cp)
            } else if (0xD800..0xDC00).contains(&unit) {
                self.high = Some(unit);
                continue;
            } else if (0xDC00..0xE000).contains(&unit) {
                return Err(io::Error::other("bad surrogate"));
            } else {
                char::from_u32(u32::from(unit))
            };
            let ch = ch.ok_or_else(|| io::Error::other("bad code point"))?;
            let mut tmp = [0u8; 4];
            self.out.extend_from_slice(ch.encode_utf8(&mut tmp).as_bytes());
        }
        if data.len() % 2 == 1 {
            self.pending.push(data[data.len() - 1]);
        }
        Ok(true)
    }
}

impl<R: BufRead> Read for Utf16ToUtf8<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.out_pos >= self.out.len() {
            if !self.refill()? {
                return Ok(0);
            }
        }
        let n = (self.out.len() - self.out_pos).min(buf.len());
        buf[..n].copy_from_slice(&self.out[self.out_pos..self.out_pos + n]);
        self.out_pos += n;
        Ok(n)
    }
}

/// Decode UTF-16 (with BOM already stripped) into UTF-8 bytes; `None` on invalid input.
pub fn utf16_to_utf8(bytes: &[u8], big_endian: bool) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    Utf16ToUtf8::new(bytes, big_endian).read_to_end(&mut out).ok()?;
    Some(out)
}

#[derive(Clone, Copy, PartialEq)]
enum TextMode {
    Utf8,
    Latin1,
}

struct Frame {
    name: String,
    ns_len: usize,
    /// Collected text (only for `style` elements, as only those are inspected).
    data: Option<String>,
    /// Result of the checks that only need the element and its attributes.
    pre: svg::ElementCheck,
    attr_hit: Option<Vec<String>>,
    /// Bytes this frame keeps alive (namespace bindings, pending details, name).
    retained: usize,
}

struct State {
    filter: bool,
    ok: bool,
    root: String,
    root_done: bool,
    events: u64,
    mode: TextMode,
    doctype_seen: bool,
    ns: Vec<(String, String)>,
    stack: Vec<Frame>,
    entities: HashMap<String, String>,
    expanded: usize,
    hit: Option<Vec<String>>,
    ns_error: Option<String>,
    text_run: Option<String>,
    retained: usize,
}

fn run<R: BufRead>(src: Guard<R>, filter: bool) -> ScanResult {
    let mut reader = Reader::from_reader(src);
    configure(&mut reader);
    let mut st = State {
        filter,
        ok: true,
        root: String::new(),
        root_done: false,
        events: 0,
        mode: TextMode::Utf8,
        doctype_seen: false,
        ns: Vec::new(),
        stack: Vec::new(),
        entities: HashMap::new(),
        expanded: 0,
        hit: None,
        ns_error: None,
        text_run: None,
        retained: 0,
    };
    let mut buf = Vec::new();
    loop {
        buf.clear();
        reader.get_mut().since_reset = 0;
        match reader.read_event_into(&mut buf) {
            Ok(Event::Eof) => {
                st.flush_text();
                if st.root.is_empty() || !st.stack.is_empty() {
                    st.ok = false;
                }
                break;
            }
            Ok(ev) => {
                st.handle(ev, 0);
                if !st.ok {
                    break;
                }
            }
            Err(_) => {
                st.ok = false;
                break;
            }
        }
    }
    ScanResult {
        well_formed: st.ok,
        root: st.root,
        hit: st.hit,
        ns_error: st.ns_error,
    }
}

fn configure<R>(reader: &mut Reader<R>) {
    let c = reader.config_mut();
    c.check_end_names = true;
    c.check_comments = true;
    c.trim_text(false);
    c.expand_empty_elements = false;
}

impl State {
    fn decode(&self, bytes: &[u8]) -> Option<String> {
        match self.mode {
            TextMode::Utf8 => std::str::from_utf8(bytes).ok().map(str::to_string),
            TextMode::Latin1 => Some(bytes.iter().map(|&b| b as char).collect()),
        }
    }

    fn fail(&mut self) {
        self.ok = false;
    }

    fn record_hit(&mut self, hit: Vec<String>) {
        self.hit = Some(hit);
    }

    fn handle(&mut self, ev: Event<'_>, nesting: u32) {
        self.events += 1;
        let first = self.events == 1;
        if !matches!(ev, Event::Text(_) | Event::GeneralRef(_)) {
            self.flush_text();
        }
        match ev {
            Event::Decl(d) => {
                if !first || nesting > 0 {
                    return self.fail();
                }
                if let Some(Ok(enc)) = d.encoding() {
                    let enc = String::from_utf8_lossy(&enc).to_ascii_lowercase();
                    match enc.as_str() {
                        "utf-8" | "utf8" | "us-ascii" | "ascii" | "utf-16" | "utf-16le" | "utf-16be" => {}
                        e if e.starts_with("iso-8859-") || e.starts_with("windows-125") || e == "latin1" || e == "iso-latin-1" => {
                            self.mode = TextMode::Latin1
                        }
                        _ => self.fail(),
                    }
                }
            }
            Event::PI(pi) => {
                let target = String::from_utf8_lossy(pi.target()).into_owned();
                if target.eq_ignore_ascii_case("xml") {
                    return self.fail();
                }
                if self.filter
                    && let Some(h) = svg::check_pi(&target)
                {
                    self.record_hit(h);
                }
            }
            Event::DocType(t) => {
                if self.doctype_seen || !self.root.is_empty() || nesting > 0 {
                    return self.fail();
                }
                self.doctype_seen = true;
                let Some(content) = self.decode(&t.into_inner()) else {
                    return self.fail();
                };
                let Some(dtd) = parse_dtd(&content) else {
                    return self.fail();
                };
                if self.filter
                    && let Some(ty) = &dtd.ty
                    && let Some(h) = svg::check_external_dtd(ty, dtd.public_id.as_deref(), dtd.system_id.as_deref())
                {
                    self.record_hit(h);
                }
                if let Some(internal) = &dtd.internal {
                    match safe_internal_subset(internal) {
                        Some(ents) => {
                            for (k, v) in ents {
                                self.entities.entry(k).or_insert(v);
                            }
                        }
                        None => self.fail(),
                    }
                }
            }
            Event::Start(e) => self.open(&e, false, nesting),
            Event::Empty(e) => self.open(&e, true, nesting),
            Event::End(_) => self.close(),
            Event::Text(t) => {
                let Some(s) = self.decode(&t.into_inner()) else {
                    return self.fail();
                };
                self.text(&s);
            }
            Event::CData(c) => {
                let Some(s) = self.decode(&c.into_inner()) else {
                    return self.fail();
                };
                if self.stack.is_empty() {
                    return self.fail();
                }
                self.append_data(s.trim_matches(php_ws));
            }
            Event::GeneralRef(r) => {
                let Some(name) = self.decode(&r.into_inner()) else {
                    return self.fail();
                };
                if self.stack.is_empty() {
                    return self.fail();
                }
                match self.resolve_ref(&name, nesting) {
                    Some(Resolved::Text(s)) => self.text(&s),
                    Some(Resolved::Markup(s)) => self.fragment(&s, nesting + 1),
                    None => self.fail(),
                }
            }
            Event::Comment(_) => {}
            Event::Eof => {}
        }
    }

    fn text(&mut self, s: &str) {
        if self.stack.is_empty() {
            if !s.chars().all(|c| matches!(c, ' ' | '\t' | '\r' | '\n')) {
                self.fail();
            }
            return;
        }
        if self.stack.last().is_some_and(|f| f.data.is_some()) {
            let run = self.text_run.get_or_insert_with(String::new);
            if run.len() + s.len() <= MAX_STYLE_DATA {
                run.push_str(s);
            }
        }
    }

    fn flush_text(&mut self) {
        if let Some(run) = self.text_run.take() {
            self.append_data(run.trim_matches(php_ws));
        }
    }

    fn append_data(&mut self, s: &str) {
        if let Some(Frame { data: Some(d), .. }) = self.stack.last_mut() {
            if d.len() + s.len() > MAX_STYLE_DATA {
                // Refuse to inspect unbounded CSS: treat it as hostile.
                self.hit = Some(vec!["uploaded-hostile-svg".to_string()]);
                return;
            }
            d.push_str(s);
        }
    }

    /// Parse replacement text of an entity that contains markup with the same state.
    fn fragment(&mut self, s: &str, nesting: u32) {
        if nesting > MAX_ENTITY_NESTING {
            return self.fail();
        }
        let depth_before = self.stack.len();
        let mut reader = Reader::from_str(s);
        configure(&mut reader);
        loop {
            match reader.read_event() {
                Ok(Event::Eof) => break,
                Ok(ev) => {
                    if matches!(ev, Event::Decl(_) | Event::DocType(_)) {
                        return self.fail();
                    }
                    self.handle(ev.into_owned(), nesting);
                    if !self.ok {
                        return;
                    }
                }
                Err(_) => return self.fail(),
            }
        }
        self.flush_text();
        if self.stack.len() != depth_before {
            self.fail();
        }
    }

    fn resolve_ref(&mut self, name: &str, nesting: u32) -> Option<Resolved> {
        if let Some(c) = char_ref(name) {
            return c.map(|c| Resolved::Text(c.to_string()));
        }
        if let Some(c) = predefined(name) {
            return Some(Resolved::Text(c.to_string()));
        }
        let value = self.entities.get(name)?.clone();
        if nesting >= MAX_ENTITY_NESTING {
            return None;
        }
        self.expanded += value.len();
        if self.expanded > MAX_ENTITY_EXPANSION {
            return None;
        }
        if value.contains('<') || value.contains('&') {
            Some(Resolved::Markup(value))
        } else {
            Some(Resolved::Text(value))
        }
    }

    /// Attribute value: references expanded, literal whitespace normalized to spaces.
    fn attr_value(&mut self, raw: &[u8], nesting: u32) -> Option<String> {
        let s = self.decode(raw)?;
        self.expand_attr(&s, nesting)
    }

    fn expand_attr(&mut self, s: &str, nesting: u32) -> Option<String> {
        let mut out = String::with_capacity(s.len());
        let mut rest = s;
        while let Some(p) = rest.find(['&', '<', '\t', '\n', '\r']) {
            out.push_str(&rest[..p]);
            let c = rest[p..].chars().next()?;
            match c {
                '<' => return None,
                '\t' | '\n' | '\r' => {
                    out.push(' ');
                    rest = &rest[p + 1..];
                }
                _ => {
                    let end = rest[p..].find(';')? + p;
                    let name = &rest[p + 1..end];
                    if let Some(c) = char_ref(name) {
                        out.push(c?);
                    } else if let Some(c) = predefined(name) {
                        out.push(c);
                    } else {
                        let value = self.entities.get(name)?.clone();
                        if nesting >= MAX_ENTITY_NESTING {
                            return None;
                        }
                        self.expanded += value.len();
                        if self.expanded > MAX_ENTITY_EXPANSION {
                            return None;
                        }
                        out.push_str(&self.expand_attr(&value, nesting + 1)?);
                    }
                    rest = &rest[end + 1..];
                }
            }
        }
        out.push_str(rest);
        Some(out)
    }

    fn resolve_prefix(&self, prefix: Option<&str>) -> Option<String> {
        match prefix {
            Some("xml") => Some(NS_XML.to_string()),
            Some(p) => self.ns.iter().rev().find(|(k, _)| k == p).map(|(_, v)| v.clone()),
            None => self.ns.iter().rev().find(|(k, _)| k.is_empty()).map(|(_, v)| v.clone()),
        }
    }

    /// `XmlTypeCheck::expandNS`: `uri:local` for namespaced names, the raw name otherwise.
    fn expand(&self, qname: &str, is_attr: bool) -> String {
        let (prefix, local) = match qname.split_once(':') {
            Some((p, l)) => (Some(p), l),
            None => (None, qname),
        };
        if is_attr && prefix.is_none() {
            return qname.to_string();
        }
        match self.resolve_prefix(prefix) {
            Some(uri) if !uri.is_empty() => format!("{uri}:{local}"),
            _ => qname.to_string(),
        }
    }

    fn open(&mut self, e: &BytesStart<'_>, empty: bool, nesting: u32) {
        if self.root_done || self.stack.len() >= MAX_DEPTH {
            return self.fail();
        }
        let Some(qname) = self.decode(e.name().as_ref()) else {
            return self.fail();
        };
        let mut raw_attrs: Vec<(String, String)> = Vec::new();
        let ns_len = self.ns.len();
        for a in e.attributes() {
            let Ok(a) = a else { return self.fail() };
            let Some(key) = self.decode(a.key.as_ref()) else {
                return self.fail();
            };
            let Some(value) = self.attr_value(&a.value, nesting) else {
                return self.fail();
            };
            if key == "xmlns" {
                self.ns.push((String::new(), value));
            } else if let Some(p) = key.strip_prefix("xmlns:") {
                self.ns.push((p.to_string(), value));
            } else {
                raw_attrs.push((key, value));
            }
        }
        let name = self.expand(&qname, false);
        let attrs: Vec<(String, String)> = raw_attrs.into_iter().map(|(k, v)| (self.expand(&k, true), v)).collect();
        if self.root.is_empty() {
            self.root = name.clone();
        }
        let (pre, attr_hit, collect) = if self.filter {
            let pre = svg::check_element_name(&name);
            let attr_hit = svg::check_attributes(&name, &attrs);
            let collect = svg::is_style_element(&name);
            (pre, attr_hit, collect)
        } else {
            (svg::ElementCheck::Pass, None, false)
        };
        let detail_bytes = |d: &[String]| d.iter().map(String::len).sum::<usize>();
        let retained = name.len()
            + self.ns[ns_len..].iter().map(|(p, u)| p.len() + u.len()).sum::<usize>()
            + attr_hit.as_deref().map_or(0, detail_bytes)
            + match &pre {
                svg::ElementCheck::Hit(h) => detail_bytes(h),
                svg::ElementCheck::BadNamespace(n) => n.len(),
                svg::ElementCheck::Pass => 0,
            };
        self.retained += retained;
        if self.retained > MAX_RETAINED {
            // absurdly large declarations kept alive across deep nesting
            return self.fail();
        }
        self.stack.push(Frame {
            name,
            ns_len,
            data: collect.then(String::new),
            pre,
            attr_hit,
            retained,
        });
        if empty {
            self.close();
        }
    }

    fn close(&mut self) {
        let Some(frame) = self.stack.pop() else {
            return self.fail();
        };
        self.ns.truncate(frame.ns_len);
        self.retained = self.retained.saturating_sub(frame.retained);
        if self.stack.is_empty() {
            self.root_done = true;
        }
        if !self.filter {
            return;
        }
        match frame.pre {
            svg::ElementCheck::BadNamespace(ns) => {
                self.ns_error = Some(ns);
                self.hit = Some(Vec::new());
            }
            svg::ElementCheck::Hit(h) => self.record_hit(h),
            svg::ElementCheck::Pass => {
                let style_hit = frame.data.as_deref().and_then(|d| svg::check_style_data(&frame.name, d));
                if let Some(h) = style_hit.or(frame.attr_hit) {
                    self.record_hit(h);
                }
            }
        }
    }
}

enum Resolved {
    Text(String),
    Markup(String),
}

fn php_ws(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\0' | '\x0b')
}

fn predefined(name: &str) -> Option<char> {
    Some(match name {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "quot" => '"',
        "apos" => '\'',
        _ => return None,
    })
}

/// `Some(Some(c))` for a valid character reference, `Some(None)` for an invalid one,
/// `None` if `name` is not a character reference.
fn char_ref(name: &str) -> Option<Option<char>> {
    let digits = name.strip_prefix('#')?;
    let cp = if let Some(hex) = digits.strip_prefix('x') {
        u32::from_str_radix(hex, 16).ok()
    } else {
        digits.parse::<u32>().ok()
    };
    Some(cp.and_then(char::from_u32).filter(|&c| is_xml_char(c)))
}

fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || ('\u{20}'..='\u{D7FF}').contains(&c) || ('\u{E000}'..='\u{FFFD}').contains(&c) || c >= '\u{10000}'
}

#[derive(Debug, Default, PartialEq)]
pub struct Dtd {
    pub ty: Option<String>,
    pub public_id: Option<String>,
    pub system_id: Option<String>,
    pub internal: Option<String>,
}

fn is_ws(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c')
}

fn quoted(s: &str, allow_single: bool) -> Option<(String, &str)> {
    let q = s.chars().next()?;
    if q != '"' && !(allow_single && q == '\'') {
        return None;
    }
    let end = s[1..].find(q)? + 1;
    Some((s[1..end].to_string(), &s[end + 1..]))
}

/// `XmlTypeCheck::parseDTD` on `<!DOCTYPE {content}>` (quick-xml hands over `content`).
pub fn parse_dtd(content: &str) -> Option<Dtd> {
    let mut dtd = Dtd::default();
    let s = content.trim_start_matches(is_ws);
    let name_end = s.find(|c: char| is_ws(c) || c == '[' || c == '>').unwrap_or(s.len());
    if name_end == 0 {
        return None;
    }
    let mut rest = s[name_end..].trim_start_matches(is_ws);
    if let Some(r) = rest.strip_prefix("PUBLIC") {
        let (public, r) = quoted(r.trim_start_matches(is_ws), true)?;
        let (system, r) = quoted(r.trim_start_matches(is_ws), false)?;
        dtd.ty = Some("PUBLIC".to_string());
        dtd.public_id = Some(public).filter(|v| !v.is_empty());
        dtd.system_id = Some(system).filter(|v| !v.is_empty());
        rest = r;
    } else if let Some(r) = rest.strip_prefix("SYSTEM") {
        let (system, r) = quoted(r.trim_start_matches(is_ws), true)?;
        dtd.ty = Some("SYSTEM".to_string());
        dtd.system_id = Some(system).filter(|v| !v.is_empty());
        rest = r;
    } else if rest.starts_with('\'') {
        let (system, r) = quoted(rest, true)?;
        dtd.system_id = Some(system).filter(|v| !v.is_empty());
        rest = r;
    }
    let rest = rest.trim_matches(is_ws);
    if rest.is_empty() {
        return Some(dtd);
    }
    let inner = rest.strip_prefix('[')?;
    let close = inner.rfind(']')?;
    if !inner[close + 1..].trim_matches(is_ws).is_empty() {
        return None;
    }
    let internal = inner[..close].trim_start_matches(is_ws);
    if !internal.is_empty() {
        dtd.internal = Some(internal.to_string());
    }
    Some(dtd)
}

/// `XmlTypeCheck::checkDTDIsSafe`; on success returns the declared general entities.
pub fn safe_internal_subset(internal: &str) -> Option<Vec<(String, String)>> {
    let mut ents = Vec::new();
    let mut s = internal;
    loop {
        s = s.trim_start_matches(is_ws);
        if s.is_empty() {
            return Some(ents);
        }
        if let Some(r) = s.strip_prefix("<!ENTITY") {
            if !r.starts_with(is_ws) {
                return None;
            }
            let r = r.trim_start_matches(is_ws);
            let name_end = r.find(is_ws)?;
            let name = &r[..name_end];
            let r = r[name_end..].trim_start_matches(is_ws);
            let q = r.chars().next()?;
            if q != '"' && q != '\'' {
                return None;
            }
            let end = r[1..].find(q)? + 1;
            let value = &r[1..end];
            if !safe_entity_value(value, q) {
                return None;
            }
            let r = r[end + 1..].trim_start_matches(is_ws);
            s = r.strip_prefix('>')?;
            if !name.contains(['%', '&', ';']) {
                ents.push((name.to_string(), value.to_string()));
            }
        } else if let Some(r) = s.strip_prefix("<!--") {
            let end = r.find("-->")?;
            let body = &r[..end];
            if body.contains("--") || body.ends_with('-') {
                return None;
            }
            s = &r[end + 3..];
        } else if let Some(r) = s.strip_prefix("<!ATTLIST svg xmlns:xlink CDATA #FIXED \"http://www.w3.org/1999/xlink\">") {
            s = r;
        } else {
            return None;
        }
    }
}

fn safe_entity_value(v: &str, quote: char) -> bool {
    // alias form: &name;
    if let Some(inner) = v.strip_prefix('&').and_then(|x| x.strip_suffix(';'))
        && (1..=64).contains(&inner.len())
        && !inner.contains(['"', '%', '&', ';'])
    {
        return true;
    }
    let escape = if quote == '"' { "&quot;" } else { "&apos;" };
    let bytes = v.as_bytes();
    let mut units = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        let rest = &bytes[i..];
        if rest.starts_with(b"&amp;") {
            i += 5;
        } else if rest.starts_with(escape.as_bytes()) {
            i += 6;
        } else {
            let b = bytes[i];
            if b == b'%' || b == b'&' || b == quote as u8 {
                return false;
            }
            i += 1;
        }
        units += 1;
        if units > 255 {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_formedness() {
        assert!(scan_bytes(b"<a><b/></a>", false).well_formed);
        assert_eq!(scan_bytes(b"<a><b/></a>", false).root, "a");
        assert!(!scan_bytes(b"<a><b></a>", false).well_formed);
        assert!(!scan_bytes(b"<a></a><b/>", false).well_formed);
        assert!(!scan_bytes(b"hello <a/>", false).well_formed);
        assert!(!scan_bytes(b"", false).well_formed);
        assert!(!scan_bytes(b"<a>&undefined;</a>", false).well_formed);
        assert!(scan_bytes(b"<a>&amp;&#65;</a>", false).well_formed);
        assert!(!scan_bytes(b"<a x='1' x='2'/>", false).well_formed);
        assert!(!scan_bytes(b"<a><!-- a -- b --></a>", false).well_formed);
        assert!(!scan_bytes(b" <?xml version='1.0'?><a/>", false).well_formed);
        assert!(scan_bytes(b"\xEF\xBB\xBF<?xml version='1.0'?>\n<a/>\n", false).well_formed);
        let deep = format!("{}{}", "<a>".repeat(300), "</a>".repeat(300));
        assert!(!scan_bytes(deep.as_bytes(), false).well_formed);
    }

    #[test]
    fn namespaces_and_root() {
        let r = scan_bytes(br#"<svg xmlns="http://www.w3.org/2000/svg"><g/></svg>"#, false);
        assert_eq!(r.root, "http://www.w3.org/2000/svg:svg");
        let r = scan_bytes(br#"<s:svg xmlns:s="http://www.w3.org/2000/svg"/>"#, false);
        assert_eq!(r.root, "http://www.w3.org/2000/svg:svg");
        let r = scan_bytes(br#"<p:svg/>"#, false);
        assert_eq!(r.root, "p:svg");
    }

    #[test]
    fn utf16() {
        let text = "<?xml version=\"1.0\" encoding=\"UTF-16\"?><svg xmlns=\"http://www.w3.org/2000/svg\"/>";
        let mut le = vec![0xFF, 0xFE];
        let mut be = vec![0xFE, 0xFF];
        for u in text.encode_utf16() {
            le.extend_from_slice(&u.to_le_bytes());
            be.extend_from_slice(&u.to_be_bytes());
        }
        assert!(scan_bytes(&le, false).well_formed);
        assert_eq!(scan_bytes(&be, false).root, "http://www.w3.org/2000/svg:svg");
    }

    #[test]
    fn dtd_parsing() {
        let d = parse_dtd(r#"svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd""#);
        assert_eq!(d.as_ref().and_then(|d| d.ty.as_deref()), Some("PUBLIC"));
        assert!(parse_dtd(r#"svg PUBLIC 'a' 'b'"#).is_none());
        let d = parse_dtd(r#"svg [ <!ENTITY a "b"> ]"#).unwrap_or_default();
        assert_eq!(d.internal.as_deref(), Some("<!ENTITY a \"b\"> "));
        assert!(safe_internal_subset(r#"<!ENTITY a "b"> <!-- c --> "#).is_some());
        assert!(safe_internal_subset(r#"<!ENTITY % a "b">"#).is_none());
        assert!(safe_internal_subset(r#"<!ENTITY a SYSTEM "file:///etc/passwd">"#).is_none());
        assert!(safe_internal_subset(r#"<!ELEMENT a ANY>"#).is_none());
        let long = format!("<!ENTITY a \"{}\">", "x".repeat(256));
        assert!(safe_internal_subset(&long).is_none());
        assert!(!scan_bytes(b"<!DOCTYPE a [<!ENTITY % p \"x\">]><a/>", false).well_formed);
        assert!(scan_bytes(b"<!DOCTYPE a [<!ENTITY e \"x\">]><a b='&e;'>&e;</a>", false).well_formed);
    }
}
