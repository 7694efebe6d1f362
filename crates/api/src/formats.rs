//! MediaWiki's other output formats, rendered from the formatversion 1 (XML, PHP fv1) or 2
//! (PHP fv2) JSON shape: `ApiFormatXml::recXmlPrint` and PHP's `serialize()`.
//!
//! The JSON shape has lost ApiResult's metadata, so the indexed tag names that XML needs for
//! list members (`pages` → `page`, `imageinfo` → `ii`, …) come from a table built from the
//! `setIndexedTagName`/`addIndexedTagName` calls of the modules this server has.

use serde_json::{Map, Value};

/// The tag of a list's members, by the list's key (MediaWiki's default is `_v`).
pub fn indexed_tag(key: &str) -> &'static str {
    match key {
        // ApiQuery / ApiPageSet
        "pages" => "page",
        "pageids" => "id",
        "normalized" => "n",
        "redirects" => "r",
        "converted" => "c",
        "interwiki" => "i",
        "badrevids" => "rev",
        // prop modules (their module prefix)
        "imageinfo" => "ii",
        "stashimageinfo" => "sii",
        "revisions" => "rev",
        "templates" => "tl",
        "images" => "im",
        "duplicatefiles" => "df",
        "fileusage" => "fu",
        "protection" => "pr",
        "restrictiontypes" => "rt",
        "metadata" | "commonmetadata" => "metadata",
        "slots" => "slot",
        "tags" => "tag",
        // list modules
        "allimages" => "img",
        "filearchive" => "fa",
        "logevents" => "item",
        "watchlistraw" => "wr",
        "users" => "user",
        "mystashedfiles" => "file",
        "imageusage" => "iu",
        // meta modules
        "groups" | "implicitgroups" | "add" | "remove" | "add-self" | "remove-self" => "g",
        "rights" => "r",
        "groupmemberships" => "groupmembership",
        "acceptlang" => "lang",
        "namespaces" | "namespacealiases" => "ns",
        "repos" => "repo",
        "externalimages" => "prefix",
        "fallback" | "variants" | "languages" => "lang",
        "thumblimits" | "imagelimits" => "limit",
        "specialpagealiases" => "specialpage",
        "aliases" => "alias",
        "magicwords" => "magicword",
        "interwikimap" => "iw",
        "dbrepllag" => "db",
        "usergroups" => "group",
        "permissions" => "permission",
        "fileextensions" => "fe",
        "libraries" => "library",
        "extensions" => "ext",
        "skins" => "skin",
        "extensiontags" => "t",
        "functionhooks" => "h",
        "variables" => "v",
        "protocols" => "p",
        "showhooks" => "hook",
        "subscribers" => "s",
        "requests" => "request",
        // paraminfo
        "modules" => "module",
        "parameters" | "templatedparameters" | "params" => "param",
        "helpurls" => "helpurl",
        "examples" => "example",
        "templatevars" => "var",
        "type" => "t",
        // upload / errors / warnings
        "allowed" | "blacklisted" => "ext",
        "details" => "detail",
        "duplicate" => "duplicate",
        "errors" => "error",
        "warnings" => "warning",
        _ => "_v",
    }
}

/// PHP's `is_int` on an array key: a decimal integer string in canonical form becomes an int key.
fn int_key(k: &str) -> Option<i64> {
    let digits = k.strip_prefix('-').unwrap_or(k);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || (digits.len() > 1 && digits.starts_with('0')) {
        return None;
    }
    if k == "-0" {
        return None;
    }
    k.parse().ok()
}

/// `htmlspecialchars($v, ENT_QUOTES)` plus Sanitizer::encodeAttribute's whitespace armour.
fn attr_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#039;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c => out.push(c),
        }
    }
    out
}

/// `htmlspecialchars($v, ENT_NOQUOTES)`.
fn text_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// A scalar as PHP turns it into a string.
fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::Bool(true) => Some(String::new()),
        Value::Bool(false) => None,
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

fn element(name: &str, attrs: &[(String, String)], content: Option<&str>) -> String {
    let mut out = format!("<{name}");
    for (k, v) in attrs {
        out.push_str(&format!(" {k}=\"{}\"", attr_escape(v)));
    }
    match content {
        None => out.push('>'),
        Some("") => out.push_str(" />"),
        Some(c) => out.push_str(&format!(">{}</{name}>", text_escape(c))),
    }
    out
}

/// Where the content (`*`) of an element goes when the element also has children: a child
/// named after the content key MediaWiki used (`docref` at the top, `text`/`html` in errors).
pub struct XmlOptions {
    pub pretty: bool,
    pub message_key: &'static str,
}

/// `<?xml version="1.0"?><api …>…</api>` from the formatversion 1 shape.
pub fn xml(v: &Value, opts: &XmlOptions) -> String {
    let mut out = String::from("<?xml version=\"1.0\"?>");
    out.push_str(&rec(
        Some("api"),
        "api",
        v,
        if opts.pretty { Some(-2) } else { None },
        Vec::new(),
        opts,
    ));
    out
}

fn rec(name: Option<&str>, key: &str, value: &Value, indent: Option<i32>, mut attrs: Vec<(String, String)>, opts: &XmlOptions) -> String {
    let indent = indent.map(|i| if name.is_some() { i + 2 } else { i });
    let indstr = indent.map(|i| format!("\n{}", " ".repeat(i.max(0) as usize))).unwrap_or_default();
    let mut out = String::new();
    let members: Vec<(Option<i64>, String, &Value)> = match value {
        Value::Object(m) => m.iter().map(|(k, v)| (int_key(k), k.clone(), v)).collect(),
        Value::Array(a) => a.iter().enumerate().map(|(i, v)| (Some(i as i64), String::new(), v)).collect(),
        scalar => {
            let name = name.unwrap_or("_v");
            let text = scalar_text(scalar).unwrap_or_default();
            out.push_str(&indstr);
            out.push_str(&element(name, &attrs, Some(&text)));
            return out;
        }
    };
    let is_object = value.is_object();
    let tag = indexed_tag(key);
    let mut content: Option<String> = None;
    let mut subelements: Vec<(String, &Value)> = Vec::new();
    let mut scalar_subelements: Vec<(String, String)> = Vec::new();
    let mut order: Vec<(bool, usize)> = Vec::new(); // (is_scalar_sub, index)
    let mut indexed: Vec<(i64, &Value)> = Vec::new();
    for (ik, k, v) in members {
        if name.is_some() && k == "*" {
            content = scalar_text(v).or(Some(String::new()));
        } else if let Some(i) = ik {
            indexed.push((i, v));
        } else if v.is_object() || v.is_array() {
            order.push((false, subelements.len()));
            subelements.push((mangle(&k), v));
        } else if name.is_none() {
            if let Some(t) = scalar_text(v) {
                order.push((true, scalar_subelements.len()));
                scalar_subelements.push((mangle(&k), t));
            }
        } else if let Some(t) = scalar_text(v) {
            attrs.push((mangle(&k), t));
        }
    }
    let has_children = !order.is_empty() || !indexed.is_empty();
    if let Some(c) = content.take() {
        if has_children {
            let key = if key == "api" { "docref" } else { opts.message_key };
            order.push((true, scalar_subelements.len()));
            scalar_subelements.push((key.to_string(), c));
        } else {
            if !attrs.iter().any(|(k, _)| k == "xml:space") {
                attrs.push(("xml:space".into(), "preserve".into()));
            }
            out.push_str(&indstr);
            out.push_str(&element(name.unwrap_or("_v"), &attrs, Some(&c)));
            return out;
        }
    }
    if !has_children && order.is_empty() {
        if let Some(n) = name {
            out.push_str(&indstr);
            out.push_str(&element(n, &attrs, Some("")));
        }
        return out;
    }
    if let Some(n) = name {
        out.push_str(&indstr);
        out.push_str(&element(n, &attrs, None));
    }
    for (scalar, i) in order {
        if scalar {
            let (k, t) = &scalar_subelements[i];
            let child_indent = indent.map(|x| x + 2);
            let ind = child_indent
                .map(|x| format!("\n{}", " ".repeat(x.max(0) as usize)))
                .unwrap_or_default();
            out.push_str(&ind);
            out.push_str(&element(k, &[("xml:space".into(), "preserve".into())], Some(t)));
        } else {
            let (k, v) = &subelements[i];
            // ApiQueryImageInfo::processMetaData tags nested metadata values `metadata` too.
            let key = if name == Some("metadata") && k == "value" {
                "metadata"
            } else {
                k.as_str()
            };
            out.push_str(&rec(Some(k), key, v, indent, Vec::new(), opts));
        }
    }
    for (i, v) in indexed {
        let a = if is_object {
            vec![("_idx".to_string(), i.to_string())]
        } else {
            Vec::new()
        };
        out.push_str(&rec(Some(tag), tag, v, indent, a, opts));
    }
    if let Some(n) = name {
        out.push_str(&indstr);
        out.push_str(&format!("</{n}>"));
    }
    out
}

/// ApiFormatXml::mangleName, for the ASCII names this server produces (others get `_` and
/// their code points as `.XX.`).
fn mangle(name: &str) -> String {
    if name.is_empty() {
        return "_".into();
    }
    let start_ok = |c: char| c.is_ascii_alphabetic() || (!c.is_ascii() && c != '\u{d7}' && c != '\u{f7}');
    let rest_ok = |c: char| start_ok(c) || c.is_ascii_digit() || c == '_' || c == '-' || c == '.' || c == '\u{b7}';
    let mut chars = name.chars();
    if chars.next().is_some_and(start_ok) && chars.all(rest_ok) {
        return name.to_string();
    }
    let mut out = String::from("_");
    for c in name.replace('.', ".2E.").chars() {
        if rest_ok(c) {
            out.push(c);
        } else {
            out.push_str(&format!(".{:X}.", c as u32));
        }
    }
    out
}

/// PHP's `serialize()` of the decoded answer (objects and lists are both PHP arrays).
/// In formatversion 1, ApiResult's BC transform re-adds the content value as `*` last.
pub fn php(v: &Value, fv1: bool) -> String {
    let mut out = String::new();
    if fv1 {
        let mut v = v.clone();
        content_last(&mut v);
        php_rec(&v, &mut out);
    } else {
        php_rec(v, &mut out);
    }
    out
}

/// Formatversion 1's BC transform re-adds the content value as `*` after the other members.
pub fn content_last(v: &mut Value) {
    match v {
        Value::Object(m) => {
            if let Some(c) = m.shift_remove("*") {
                m.insert("*".into(), c);
            }
            m.values_mut().for_each(content_last);
        }
        Value::Array(a) => a.iter_mut().for_each(content_last),
        _ => {}
    }
}

fn php_key(k: &str, out: &mut String) {
    match int_key(k) {
        Some(i) => out.push_str(&format!("i:{i};")),
        None => out.push_str(&format!("s:{}:\"{k}\";", k.len())),
    }
}

fn php_rec(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("N;"),
        Value::Bool(b) => out.push_str(if *b { "b:1;" } else { "b:0;" }),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                out.push_str(&format!("i:{i};"));
            } else if let Some(u) = n.as_u64() {
                out.push_str(&format!("i:{u};"));
            } else {
                out.push_str(&format!("d:{};", n.as_f64().unwrap_or(0.0)));
            }
        }
        Value::String(s) => out.push_str(&format!("s:{}:\"{s}\";", s.len())),
        Value::Array(a) => {
            out.push_str(&format!("a:{}:{{", a.len()));
            for (i, x) in a.iter().enumerate() {
                out.push_str(&format!("i:{i};"));
                php_rec(x, out);
            }
            out.push('}');
        }
        Value::Object(m) => php_map(m, out),
    }
}

fn php_map(m: &Map<String, Value>, out: &mut String) {
    out.push_str(&format!("a:{}:{{", m.len()));
    for (k, x) in m {
        php_key(k, out);
        php_rec(x, out);
    }
    out.push('}');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn php_serialize_like_php() {
        let v = json!({"a": "é", "-1": {"x": true, "n": 5}, "l": [null, false], "01": 1});
        assert_eq!(
            php(&v, false),
            "a:4:{s:1:\"a\";s:2:\"é\";i:-1;a:2:{s:1:\"x\";b:1;s:1:\"n\";i:5;}s:1:\"l\";a:2:{i:0;N;i:1;b:0;}s:2:\"01\";i:1;}"
        );
    }

    #[test]
    fn xml_like_rec_xml_print() {
        let o = XmlOptions {
            pretty: false,
            message_key: "text",
        };
        assert_eq!(xml(&json!({}), &o), "<?xml version=\"1.0\"?><api />");
        let v = json!({"batchcomplete": "", "query": {"pages": {"-1": {"title": "a'<\n", "missing": ""}}, "normalized": [{"from": "x", "to": "X"}]}});
        assert_eq!(
            xml(&v, &o),
            "<?xml version=\"1.0\"?><api batchcomplete=\"\"><query><pages><page _idx=\"-1\" title=\"a&#039;&lt;&#10;\" missing=\"\" /></pages><normalized><n from=\"x\" to=\"X\" /></normalized></query></api>"
        );
    }
}
