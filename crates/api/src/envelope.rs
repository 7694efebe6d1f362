//! MediaWiki's response envelope: formatversion 1/2, errorformat bc/plaintext/…, warnings,
//! `requestid`/`servedby`/`curtimestamp`, fv1's `\uXXXX` escaping, and the headers every API
//! response carries.

use super::error::ApiError;
use axum::body::Body;
use axum::http::{HeaderValue, Response, StatusCode};
use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ErrorFormat {
    Bc,
    Plaintext,
    Wikitext,
    Html,
    Raw,
    None,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Format {
    Json,
    JsonFm,
    Xml,
    XmlFm,
    Php,
    PhpFm,
    None,
    RawFm,
}

#[derive(Debug, Clone)]
pub struct Warning {
    pub module: String,
    pub code: String,
    pub text: String,
    /// Machine-readable details shown by the non-bc error formats (`data`).
    pub data: Option<Map<String, Value>>,
    /// MediaWiki's message key and params (errorformat=raw) and wikitext.
    pub message: Option<crate::error::Message>,
}

/// Per-request output settings and accumulated warnings.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub fv2: bool,
    pub format: Format,
    pub errorformat: ErrorFormat,
    pub utf8: bool,
    pub ascii: bool,
    /// `uselang=qqx`: messages are shown as their keys and params (non-bc error formats).
    pub qqx: bool,
    pub requestid: Option<String>,
    pub servedby: bool,
    pub curtimestamp: bool,
    pub origin_star: bool,
    /// JSONP: the (filtered) function name to wrap a `format=json` answer in.
    pub callback: Option<String>,
    /// `includexmlnamespace`: the XML printer adds `xmlns` (last) to the answer.
    pub xml_namespace: bool,
    /// `xslt` was given to the XML printer (`xml` or `xmlfm`): it warns while printing, so
    /// after every other warning.
    pub xslt_warning: Option<&'static str>,
    pub warnings: Vec<Warning>,
    /// The format module's own parameters were invalid: MediaWiki then warns and renders the
    /// error with default settings, and those warnings land on top of the error.
    pub printer_failed: bool,
    /// How many warnings existed when the module finished (see `finish` for why it matters).
    pub warnings_during_module: Option<usize>,
    pub set_cookies: Vec<String>,
    /// `http://host:port`, from configuration or the request's Host header.
    pub base_url: String,
    pub api_path: String,
    /// Which pages and files the comments of this answer link to exist (looked up before a
    /// module renders `parsedcomment`; see [`crate::comment`]).
    pub comment_links: crate::comment::Links,
}

impl Ctx {
    pub fn new(base_url: String, api_path: String) -> Ctx {
        Ctx {
            fv2: false,
            format: Format::Json,
            errorformat: ErrorFormat::Bc,
            utf8: false,
            ascii: false,
            qqx: false,
            requestid: None,
            servedby: false,
            curtimestamp: false,
            origin_star: false,
            callback: None,
            xml_namespace: false,
            xslt_warning: None,
            warnings: Vec::new(),
            warnings_during_module: None,
            printer_failed: false,
            set_cookies: Vec::new(),
            base_url,
            api_path,
            comment_links: crate::comment::Links::default(),
        }
    }

    /// A boolean as MediaWiki renders it: fv2 `true`/`false`; fv1 `""` when true, key omitted when false.
    pub fn put_bool(&self, map: &mut Map<String, Value>, key: &str, value: bool) {
        if self.fv2 {
            map.insert(key.into(), Value::Bool(value));
        } else if value {
            map.insert(key.into(), Value::String(String::new()));
        }
    }

    /// A boolean that is only ever shown when true (fv1 `""`, fv2 `true`).
    pub fn true_value(&self) -> Value {
        if self.fv2 {
            Value::Bool(true)
        } else {
            Value::String(String::new())
        }
    }

    /// The key for "content" values: fv1 `*`, fv2 the given name.
    pub fn content_key<'a>(&self, name: &'a str) -> &'a str {
        if self.fv2 { name } else { "*" }
    }

    pub fn warn(&mut self, module: &str, code: &str, text: impl Into<String>) {
        self.warnings.push(Warning {
            module: module.into(),
            code: code.into(),
            text: text.into(),
            data: None,
            message: None,
        });
    }

    /// A warning with MediaWiki's message key and params (errorformat=raw) and optional data.
    pub fn warn_msg(
        &mut self,
        module: &str,
        code: &str,
        text: impl Into<String>,
        message: crate::error::Message,
        data: Option<Map<String, Value>>,
    ) {
        self.warnings.push(Warning {
            module: module.into(),
            code: code.into(),
            text: text.into(),
            data,
            message: Some(message),
        });
    }

    pub fn warn_with_data(&mut self, module: &str, code: &str, text: impl Into<String>, data: Map<String, Value>) {
        self.warnings.push(Warning {
            module: module.into(),
            code: code.into(),
            text: text.into(),
            data: Some(data),
            message: None,
        });
    }

    pub fn docref(&self) -> String {
        if self.qqx && self.errorformat != ErrorFormat::Bc {
            return format!("(api-usage-docref: {}{}) (api-usage-mailinglist-ref)", self.base_url, self.api_path);
        }
        format!(
            "See {}{} for API usage. Subscribe to the mediawiki-api-announce mailing list at &lt;https://lists.wikimedia.org/postorius/lists/mediawiki-api-announce.lists.wikimedia.org/&gt; for notice of API deprecations and breaking changes.",
            self.base_url, self.api_path
        )
    }

    fn warnings_value(&self) -> Option<Value> {
        if self.warnings.is_empty() {
            return None;
        }
        if self.errorformat == ErrorFormat::Bc {
            // {"module": {"*"|"warnings": "text\ntext"}}. MediaWiki puts each new module on top,
            // so modules appear newest first; a module's texts join in arrival order, and a
            // text it already has is not repeated.
            let key = self.content_key("warnings").to_string();
            let mut per_module: Vec<(String, Vec<&str>)> = Vec::new();
            for w in &self.warnings {
                // Keyed by module name, not path: `query+imageinfo` warns as `imageinfo`.
                let name = w.module.rsplit('+').next().unwrap_or(&w.module).to_string();
                match per_module.iter_mut().find(|(n, _)| *n == name) {
                    Some((_, texts)) if texts.contains(&w.text.as_str()) => {}
                    Some((_, texts)) => texts.push(&w.text),
                    None => per_module.push((name, vec![&w.text])),
                }
            }
            let mut out = Map::new();
            for (name, texts) in per_module.into_iter().rev() {
                let mut m = Map::new();
                m.insert(key.clone(), Value::String(texts.join("\n")));
                out.insert(name, Value::Object(m));
            }
            Some(Value::Object(out))
        } else {
            let mut seen: Vec<(&str, &str, &str)> = Vec::new();
            let mut list = Vec::new();
            for w in &self.warnings {
                let id = (w.code.as_str(), w.text.as_str(), w.module.as_str());
                if seen.contains(&id) {
                    continue;
                }
                seen.push(id);
                let mut m = Map::new();
                m.insert("code".into(), Value::String(w.code.clone()));
                self.put_text(&mut m, &w.code, &w.text, w.message.as_ref());
                if let Some(d) = &w.data {
                    m.insert("data".into(), Value::Object(d.clone()));
                }
                m.insert("module".into(), Value::String(w.module.clone()));
                list.push(Value::Object(m));
            }
            Some(Value::Array(list))
        }
    }

    /// The message of an error or warning per errorformat, as ApiErrorFormatter renders it:
    /// plaintext is the markup-free `text`; wikitext the message's wikitext; html that parsed;
    /// raw MediaWiki's key and params.
    fn put_text(&self, m: &mut Map<String, Value>, code: &str, text: &str, msg: Option<&crate::error::Message>) {
        let qqx = self.qqx.then(|| qqx_text(code, msg));
        let wikitext = qqx.as_deref().or(msg.and_then(|m| m.wikitext.as_deref()));
        let text = qqx.as_deref().unwrap_or(text);
        match self.errorformat {
            ErrorFormat::Bc | ErrorFormat::None => {}
            ErrorFormat::Plaintext => {
                m.insert(self.content_key("text").into(), Value::String(text.into()));
            }
            ErrorFormat::Wikitext => {
                m.insert(self.content_key("text").into(), Value::String(wikitext.unwrap_or(text).into()));
            }
            ErrorFormat::Html => {
                let html = match wikitext {
                    Some(w) => crate::error::wikitext_to_html(w),
                    // Plain text parses to itself with HTML's specials escaped (quotes stay).
                    None => crate::error::wikitext_to_html(text),
                };
                m.insert(self.content_key("html").into(), Value::String(html));
            }
            ErrorFormat::Raw => match msg {
                Some(msg) => {
                    m.insert("key".into(), Value::String(msg.key.clone()));
                    m.insert("params".into(), Value::Array(msg.params.clone()));
                }
                None => {
                    m.insert("key".into(), Value::String(format!("apierror-{code}")));
                    m.insert("params".into(), Value::Array(vec![]));
                }
            },
        }
    }

    /// Top-level member order as MediaWiki's ApiResult builds it: `warnings` is created on top
    /// when the first warning arrives; `continue`/`batchcomplete` are put on top when the query
    /// module finishes. So warnings raised while the module ran sit after them, and warnings
    /// that only came later (unrecognized parameters) sit before them. An error goes on top of
    /// everything.
    fn finish(&self, body: Map<String, Value>, error: Option<(&str, Value)>) -> Map<String, Value> {
        let mut out = Map::new();
        let is_error = error.is_some();
        if self.printer_failed
            && let Some(w) = self.warnings_value()
        {
            out.insert("warnings".into(), w);
        }
        if let Some((k, v)) = error {
            out.insert(k.into(), v);
        }
        let mut body: Vec<(String, Value)> = body.into_iter().collect();
        let on_top = body.iter().take_while(|(k, _)| k == "batchcomplete" || k == "continue").count();
        let warned_early = self.warnings_during_module.is_some_and(|n| n > 0);
        if warned_early || is_error {
            out.extend(body.drain(..on_top));
        }
        if !self.printer_failed
            && let Some(w) = self.warnings_value()
        {
            out.insert("warnings".into(), w);
        }
        if let Some(id) = &self.requestid {
            out.insert("requestid".into(), Value::String(id.clone()));
        }
        out.extend(body);
        if self.servedby {
            out.insert("servedby".into(), Value::String(hostname()));
        }
        if self.curtimestamp {
            out.insert(
                "curtimestamp".into(),
                Value::String(mwupload_store::time::ts_to_iso(&mwupload_store::time::now_ts())),
            );
        }
        out
    }

    /// The printer's own warnings come last (ApiFormatXml::execute runs after the module).
    fn with_printer_warnings(&self) -> Option<Ctx> {
        let module = self.xslt_warning?;
        let mut c = self.clone();
        c.xslt_warning = None;
        c.warn(module, "xslt-disabled", "The xslt option is disabled on this wiki.");
        Some(c)
    }

    pub fn render_ok(&self, body: Map<String, Value>) -> Response<Body> {
        if let Some(c) = self.with_printer_warnings() {
            return c.render_ok(body);
        }
        let out = self.finish(body, None);
        self.respond(Value::Object(out), None, 200, &[])
    }

    pub fn render_err(&self, err: &ApiError) -> Response<Body> {
        if let Some(c) = self.with_printer_warnings() {
            return c.render_err(err);
        }
        // (Booleans in error data follow formatversion 1's rule below.)
        let mut body = Map::new();
        if self.errorformat == ErrorFormat::Bc {
            let mut e = Map::new();
            e.insert("code".into(), Value::String(err.code.clone()));
            e.insert("info".into(), Value::String(err.info.clone()));
            for (k, v) in &err.data {
                let mut v = v.clone();
                if !self.fv2 {
                    fv1_booleans(&mut v);
                }
                e.insert(k.clone(), v);
            }
            e.insert(self.content_key("docref").into(), Value::String(self.docref()));
            let out = self.finish(body, Some(("error", Value::Object(e))));
            self.respond(Value::Object(out), Some(&err.code), err.status, &err.headers)
        } else {
            let mut e = Map::new();
            e.insert("code".into(), Value::String(err.code.clone()));
            self.put_text(&mut e, &err.code, &err.info, err.message.as_ref());
            if !err.data.is_empty() {
                e.insert("data".into(), Value::Object(err.data.clone()));
            }
            e.insert("module".into(), Value::String(err.module.clone()));
            body.insert(self.content_key("docref").into(), Value::String(self.docref()));
            let out = self.finish(body, Some(("errors", Value::Array(vec![Value::Object(e)]))));
            self.respond(Value::Object(out), Some(&err.code), err.status, &err.headers)
        }
    }

    fn respond(&self, v: Value, error_code: Option<&str>, status: u16, extra: &[(String, String)]) -> Response<Body> {
        let (ctype, disposition, body) = self.render_body(&v);
        let mut resp = Response::new(Body::from(body));
        *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
        let h = resp.headers_mut();
        h.insert("content-type", HeaderValue::from_static(ctype));
        h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
        h.insert("content-disposition", HeaderValue::from_static(disposition));
        h.insert("cache-control", HeaderValue::from_static("private, must-revalidate, max-age=0"));
        h.insert("x-frame-options", HeaderValue::from_static("DENY"));
        // Anonymous CORS and JSONP break the same-origin policy: they ran logged out, and say so.
        if self.origin_star || self.callback.is_some() {
            h.insert("mediawiki-login-suppressed", HeaderValue::from_static("true"));
        }
        if let Some(code) = error_code
            && let Ok(v) = HeaderValue::from_str(code)
        {
            h.insert("mediawiki-api-error", v);
        }
        for (k, v) in extra {
            if let (Ok(name), Ok(val)) = (axum::http::HeaderName::from_bytes(k.as_bytes()), HeaderValue::from_str(v)) {
                h.insert(name, val);
            }
        }
        for c in &self.set_cookies {
            if let Ok(v) = HeaderValue::from_str(c) {
                h.append("set-cookie", v);
            }
        }
        resp
    }
}

impl Ctx {
    /// The body in the requested format, with its Content-Type and Content-Disposition
    /// (ApiFormatBase::initPrinter: `api-result.<ext>`, `api-result.html` for the HTML forms).
    fn render_body(&self, v: &Value) -> (&'static str, &'static str, String) {
        const HTML: &str = "text/html; charset=utf-8";
        const HTML_FILE: &str = "inline; filename=api-result.html";
        let with_ns;
        let v = if self.xml_namespace && matches!(self.format, Format::Xml | Format::XmlFm) {
            let mut m = v.clone();
            if let Value::Object(o) = &mut m
                && !o.contains_key("xmlns")
            {
                o.insert("xmlns".into(), Value::String("http://www.mediawiki.org/xml/api/".into()));
            }
            with_ns = m;
            &with_ns
        } else {
            v
        };
        let xml_opts = |pretty| crate::formats::XmlOptions {
            pretty,
            message_key: if self.errorformat == ErrorFormat::Html { "html" } else { "text" },
        };
        match self.format {
            Format::Json => {
                let mut text = if self.fv2 {
                    serde_json::to_string(v)
                } else {
                    let mut v = v.clone();
                    crate::formats::content_last(&mut v);
                    serde_json::to_string(&v)
                }
                .unwrap_or_else(|_| "{}".into());
                let escape = if self.fv2 { self.ascii } else { !self.utf8 };
                if escape {
                    text = escape_non_ascii(&text);
                }
                match &self.callback {
                    Some(cb) => (
                        "text/javascript; charset=utf-8",
                        "inline; filename=api-result.js",
                        format!("/**/{cb}({text})"),
                    ),
                    None => ("application/json; charset=utf-8", "inline; filename=api-result.json", text),
                }
            }
            Format::JsonFm | Format::RawFm => {
                // FormatJson::encode( …, pretty ): four spaces; fv1 escapes non-ASCII.
                let mut v = v.clone();
                if !self.fv2 {
                    crate::formats::content_last(&mut v);
                }
                // (serde_json indents by two; strings hold no raw newline, so doubling each
                // line's leading spaces gives four.)
                let two = serde_json::to_string_pretty(&v).unwrap_or_default();
                let mut pretty = two
                    .lines()
                    .map(|l| {
                        let body = l.trim_start_matches(' ');
                        format!("{}{body}", " ".repeat(2 * (l.len() - body.len())))
                    })
                    .collect::<Vec<_>>()
                    .join("\n");
                let escape = if self.fv2 { self.ascii } else { !self.utf8 };
                if escape && self.format == Format::JsonFm {
                    pretty = escape_non_ascii(&pretty);
                }
                (HTML, HTML_FILE, pretty_page(&pretty))
            }
            Format::Xml => (
                "text/xml; charset=utf-8",
                "inline; filename=api-result.xml",
                crate::formats::xml(v, &xml_opts(false)),
            ),
            Format::XmlFm => (HTML, HTML_FILE, pretty_page(&crate::formats::xml(v, &xml_opts(true)))),
            Format::Php => (
                "application/vnd.php.serialized; charset=utf-8",
                "inline; filename=api-result.php",
                crate::formats::php(v, !self.fv2),
            ),
            Format::PhpFm => (HTML, HTML_FILE, pretty_page(&crate::formats::php(v, !self.fv2))),
            Format::None => ("text/plain; charset=utf-8", "inline; filename=api-result.txt", String::new()),
        }
    }
}

/// The HTML page of the `…fm` formats: the printer's text in
/// `<pre class="api-pretty-content">`, escaped as Html::element does (`&` and `<`).
fn pretty_page(text: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\" dir=\"ltr\">\n<head>\n<meta charset=\"UTF-8\"/>\n<title>MediaWiki API result</title>\n<meta name=\"robots\" content=\"noindex,nofollow\"/>\n</head>\n<body><h1 id=\"firstHeading\">MediaWiki API result</h1><div class=\"api-pretty-header\"><p>This is an HTML representation intended for debugging, and is unsuitable for application use.</p></div><pre class=\"api-pretty-content\">{}</pre>\n</body>\n</html>\n",
        text.replace('&', "&amp;").replace('<', "&lt;")
    )
}

/// fv1 output: every non-ASCII character as `\uXXXX` (UTF-16 surrogate pairs above the BMP), like PHP.
pub fn escape_non_ascii(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut buf = [0u16; 2];
            for unit in c.encode_utf16(&mut buf) {
                out.push_str(&format!("\\u{:04x}", unit));
            }
        }
    }
    out
}

/// A message in the qqx language: "(key)" or "(key: param, param)".
fn qqx_text(code: &str, msg: Option<&crate::error::Message>) -> String {
    let key = msg.map(|m| m.key.clone()).unwrap_or_else(|| format!("apierror-{code}"));
    let params: Vec<String> = msg
        .map(|m| {
            m.params
                .iter()
                .map(|p| match p {
                    Value::String(s) => s.clone(),
                    Value::Object(o) => match (o.get("plaintext"), o.get("num"), o.get("list")) {
                        (Some(Value::String(s)), _, _) => s.clone(),
                        (_, Some(n), _) => n.to_string(),
                        (_, _, Some(Value::Array(items))) => items
                            .iter()
                            .map(|i| i.get("plaintext").and_then(Value::as_str).or(i.as_str()).unwrap_or("").to_string())
                            .collect::<Vec<_>>()
                            .join(", "),
                        _ => p.to_string(),
                    },
                    other => other.to_string(),
                })
                .collect()
        })
        .unwrap_or_default();
    if params.is_empty() {
        format!("({key})")
    } else {
        format!("({key}: {})", params.join(", "))
    }
}

pub fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "localhost".into())
}

/// Formatversion 1's booleans inside a value: `true` is `""`, a `false` member is left out.
pub fn fv1_booleans(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.retain(|_, x| *x != Value::Bool(false));
            for x in m.values_mut() {
                fv1_booleans(x);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(fv1_booleans),
        Value::Bool(true) => *v = Value::String(String::new()),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn escapes_like_php() {
        assert_eq!(escape_non_ascii("a\u{e9}\u{1F600}"), "a\\u00e9\\ud83d\\ude00");
    }
    #[test]
    fn bc_warnings_join_per_module() {
        let mut c = Ctx::new("http://h".into(), "/w/api.php".into());
        c.warn("main", "unrecognizedparams", "Unrecognized parameter: foo.");
        c.warn("upload", "x", "a");
        c.warn("upload", "y", "b");
        c.warn("upload", "y", "b");
        let v = c.warnings_value().unwrap();
        assert_eq!(v["upload"]["*"], "a\nb");
        // Newest module first, as MediaWiki prepends each module's entry.
        assert_eq!(v.as_object().unwrap().keys().collect::<Vec<_>>(), ["upload", "main"]);
        assert_eq!(v["main"]["*"], "Unrecognized parameter: foo.");
        c.fv2 = true;
        assert_eq!(c.warnings_value().unwrap()["upload"]["warnings"], "a\nb");
    }
}
