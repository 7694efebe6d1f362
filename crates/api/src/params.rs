//! Request parameters as MediaWiki decodes them: merged query string and body (the body wins),
//! NFC-normalized strings, presence-based booleans, `|`/`\x1f` multi-values, and tracking of
//! which parameters a module used (the rest get "Unrecognized parameter"). Types, defaults and
//! limits are applied by the module's declarative spec (`api::spec`).

use super::error::{ApiError, ApiResult};
use super::multipart::{DirectPart, FilePart};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Mutex;
use unicode_normalization::UnicodeNormalization;

#[derive(Default)]
pub struct Params {
    values: HashMap<String, String>,
    /// Names that arrived in the query string (for `mustpostparams`).
    in_query: HashSet<String>,
    files: Mutex<HashMap<String, FilePart>>,
    /// File parts already written to their destination while the body streamed (chunks).
    direct: Mutex<HashMap<String, DirectPart>>,
    /// Arrival order of names, for stable warnings.
    order: Vec<String>,
    /// Names of file parts (not among PHP's request values).
    file_names: HashSet<String>,
    used: Mutex<BTreeSet<String>>,
    /// The values as sent, of the parameters that cleaning changed (for MediaWiki's
    /// "invalid or non-normalized data" warning and `fromencoded` titles).
    before_cleaning: HashMap<String, String>,
}

/// `UtfNormal\Validator::cleanUp`, as WebRequest applies it to every value: NFC, and C0
/// controls other than tab, newline and carriage return become U+FFFD (so a NUL never reaches
/// a title, a comment or the database).
fn nfc(s: &str) -> String {
    s.nfc()
        .map(|c| match c {
            '\t' | '\n' | '\r' => c,
            '\0'..='\x1f' => '\u{FFFD}',
            _ => c,
        })
        .collect()
}

impl Params {
    pub fn new(query: Vec<(String, String)>, body: Vec<(String, String)>, files: Vec<FilePart>) -> Params {
        Self::with_direct(query, body, files, Vec::new())
    }

    pub fn with_direct(query: Vec<(String, String)>, body: Vec<(String, String)>, files: Vec<FilePart>, direct: Vec<DirectPart>) -> Params {
        let mut p = Params::default();
        for (k, v) in query {
            p.in_query.insert(k.clone());
            p.insert(k, v);
        }
        for (k, v) in body {
            // PHP's $_POST + $_GET: the body value wins.
            p.in_query.remove(&k);
            p.insert(k, v);
        }
        let mut map = HashMap::new();
        for f in files {
            p.in_query.remove(&f.name);
            p.file_names.insert(f.name.clone());
            if !p.order.contains(&f.name) {
                p.order.push(f.name.clone());
            }
            map.insert(f.name.clone(), f);
        }
        p.files = Mutex::new(map);
        let mut dmap = HashMap::new();
        for d in direct {
            p.in_query.remove(&d.name);
            p.file_names.insert(d.name.clone());
            if !p.order.contains(&d.name) {
                p.order.push(d.name.clone());
            }
            dmap.insert(d.name.clone(), d);
        }
        p.direct = Mutex::new(dmap);
        p
    }

    fn insert(&mut self, k: String, v: String) {
        let k = nfc(&k);
        if !self.order.contains(&k) {
            self.order.push(k.clone());
        }
        // A value starting with U+001F is a multi-value with that separator, which cleaning
        // would destroy: ApiParamValidatorCallbacks cleans its pieces one by one.
        let cleaned = match v.strip_prefix('\x1f') {
            Some(rest) => std::iter::once(String::new())
                .chain(rest.split('\x1f').map(nfc))
                .collect::<Vec<_>>()
                .join("\x1f"),
            None => nfc(&v),
        };
        if cleaned != v {
            self.before_cleaning.insert(k.clone(), v);
        } else {
            self.before_cleaning.remove(&k);
        }
        self.values.insert(k, cleaned);
    }

    fn mark(&self, name: &str) {
        if let Ok(mut u) = self.used.lock() {
            u.insert(name.to_string());
        }
    }

    /// The raw value, marking the parameter as used.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.mark(name);
        self.values.get(name).map(String::as_str)
    }

    /// The value as sent, when cleaning (NFC, control characters) changed it.
    pub fn before_cleaning(&self, name: &str) -> Option<&str> {
        self.before_cleaning.get(name).map(String::as_str)
    }

    /// The raw value without marking it used (for reading output settings before validation).
    pub fn peek(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// Presence-based boolean: any value, even "0" or "", is true.
    pub fn flag(&self, name: &str) -> bool {
        self.mark(name);
        self.values.contains_key(name)
    }

    pub fn has(&self, name: &str) -> bool {
        self.values.contains_key(name)
            || self.files.lock().map(|f| f.contains_key(name)).unwrap_or(false)
            || self.direct.lock().map(|f| f.contains_key(name)).unwrap_or(false)
    }

    pub fn in_query_string(&self, name: &str) -> bool {
        self.in_query.contains(name)
    }

    /// Takes an upload-type parameter. A same-named text field is `badupload`; `filename=""` parts
    /// were already dropped by the parser, so they count as absent.
    pub fn take_file(&self, name: &str, module: &str) -> ApiResult<Option<FilePart>> {
        self.mark(name);
        if let Some(f) = self.files.lock().ok().and_then(|mut f| f.remove(name)) {
            return Ok(Some(f));
        }
        if self.values.contains_key(name) {
            return Err(ApiError::new(
                "badupload",
                format!("File upload parameter \"{name}\" is not a file upload; be sure to use multipart/form-data for your POST and include a filename in the Content-Disposition header."),
            )
            .module(module));
        }
        Ok(None)
    }

    /// Takes an upload-type parameter that was written straight to its destination.
    pub fn take_direct(&self, name: &str) -> Option<DirectPart> {
        self.mark(name);
        self.direct.lock().ok().and_then(|mut d| d.remove(name))
    }

    /// Names sent by the client that nothing used, in arrival order.
    pub fn unused(&self) -> Vec<String> {
        let used = self.used.lock().map(|u| u.clone()).unwrap_or_default();
        self.order.iter().filter(|n| !used.contains(*n)).cloned().collect()
    }

    /// The unused value names with their positions among the request's value names: PHP's
    /// array_diff keeps those keys, and MediaWiki's raw error format shows them.
    pub fn unused_indexed(&self) -> Vec<(usize, String)> {
        let used = self.used.lock().map(|u| u.clone()).unwrap_or_default();
        self.order
            .iter()
            .filter(|n| !self.file_names.contains(*n))
            .enumerate()
            .filter(|(_, n)| !used.contains(*n))
            .map(|(i, n)| (i, n.clone()))
            .collect()
    }
}

pub fn split_multi(v: &str) -> Vec<String> {
    if let Some(rest) = v.strip_prefix('\u{1f}') {
        rest.split('\u{1f}').map(String::from).collect()
    } else if v.is_empty() {
        Vec::new()
    } else {
        v.split('|').map(String::from).collect()
    }
}

/// 1234567 → "1,234,567" (MediaWiki's English number formatting in messages).
pub fn group_digits(n: i64) -> String {
    let s = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;
    fn p(q: &[(&str, &str)], b: &[(&str, &str)]) -> Params {
        let v = |x: &[(&str, &str)]| x.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
        Params::new(v(q), v(b), Vec::new())
    }
    #[test]
    fn body_wins_and_booleans_are_presence() {
        let ps = p(&[("a", "q"), ("ignorewarnings", "0")], &[("a", "b")]);
        assert_eq!(ps.get("a"), Some("b"));
        assert!(!ps.in_query_string("a"));
        assert!(ps.flag("ignorewarnings"));
        assert!(!ps.flag("stash"));
    }
    #[test]
    fn multi_values_and_unused() {
        let ps = p(&[("t", "a|b"), ("u", "\u{1f}x|y\u{1f}z"), ("foo", "1")], &[]);
        assert_eq!(split_multi(ps.get("t").unwrap()), vec!["a", "b"]);
        assert_eq!(split_multi(ps.get("u").unwrap()), vec!["x|y", "z"]);
        assert_eq!(ps.unused(), vec!["foo"]);
        assert_eq!(group_digits(1024), "1,024");
        assert_eq!(group_digits(4294967296), "4,294,967,296");
    }
    #[test]
    fn control_characters_become_replacement_characters() {
        let ps = p(&[("comment", "a\0b\x07c\td\ne\rf")], &[]);
        assert_eq!(ps.get("comment"), Some("a\u{FFFD}b\u{FFFD}c\td\ne\rf"));
    }

    #[test]
    fn nfc_normalizes() {
        let ps = p(&[("filename", "e\u{301}.png")], &[]);
        assert_eq!(ps.get("filename"), Some("\u{e9}.png"));
    }
}
