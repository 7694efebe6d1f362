//! The API error: MediaWiki's error code, English `info`, extra data merged into the error object,
//! and the module that raised it. Rendered by `envelope` with HTTP 200 and `MediaWiki-API-Error`.

use serde_json::{Map, Value};

/// MediaWiki's message behind an error or warning (ApiMessage): its key and parameters as
/// `errorformat=raw` shows them, and its wikitext (`errorformat=wikitext`, and `html` after
/// [`wikitext_to_html`]) where that differs from the plain text.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Message {
    pub key: String,
    pub params: Vec<Value>,
    pub wikitext: Option<String>,
}

impl Message {
    pub fn new(key: impl Into<String>, params: Vec<Value>) -> Message {
        Message {
            key: key.into(),
            params,
            wikitext: None,
        }
    }

    pub fn wikitext(mut self, text: impl Into<String>) -> Message {
        self.wikitext = Some(text.into());
        self
    }
}

/// Message parameters as MediaWiki's raw format shows them (Message::plaintextParam, numParam,
/// listParam).
pub mod param {
    use serde_json::{Value, json};

    pub fn plaintext(s: &str) -> Value {
        json!({ "plaintext": s })
    }

    pub fn num(n: impl Into<Value>) -> Value {
        json!({ "num": n.into() })
    }

    /// A list of plaintext params (`type` "text": "a, b and c"; "comma": "a, b, c").
    pub fn list(items: &[String], ty: &str) -> Value {
        json!({ "list": items.iter().map(|i| plaintext(i)).collect::<Vec<_>>(), "type": ty })
    }
}

/// `Message::parse()` of the simple wikitext our messages use: HTML's special characters
/// escaped as the parser escapes them (quotes stay), inline tags the sanitizer allows kept.
pub fn wikitext_to_html(text: &str) -> String {
    const KEEP: &[&str] = &["var", "kbd", "code", "samp", "b", "i", "strong", "em"];
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(['<', '>', '&']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let tag = tail.strip_prefix('<').and_then(|t| {
            let t = t.strip_prefix('/').unwrap_or(t);
            KEEP.iter().find(|k| t.strip_prefix(**k).is_some_and(|r| r.starts_with('>')))
        });
        match (tail.as_bytes()[0], tag) {
            (b'<', Some(_)) => {
                let end = tail.find('>').unwrap_or(0);
                out.push_str(&tail[..=end]);
                rest = &tail[end + 1..];
                continue;
            }
            (b'<', None) => out.push_str("&lt;"),
            (b'>', _) => out.push_str("&gt;"),
            _ => {
                // An entity stays as written; a bare ampersand is escaped.
                if is_entity(tail) {
                    out.push('&');
                } else {
                    out.push_str("&amp;");
                }
            }
        }
        rest = &tail[1..];
    }
    out.push_str(rest);
    out
}

/// ApiErrorFormatter::stripMarkup: the plain text of a message's wikitext, as `info` and
/// errorformat=plaintext show it: `<var>`, `<kbd>`, `<samp>`, `<code>` become quotes, other
/// tags go, character references are decoded.
pub fn strip_markup(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('<') {
        out.push_str(&rest[..i]);
        let tail = &rest[i + 1..];
        let name_start = tail.strip_prefix('/').unwrap_or(tail);
        let is_tag = name_start.starts_with(|c: char| c.is_ascii_alphabetic());
        match tail.find('>') {
            Some(end) if is_tag => {
                let name: String = name_start.chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
                if matches!(name.as_str(), "var" | "kbd" | "samp" | "code") {
                    out.push('"');
                }
                rest = &tail[end + 1..];
            }
            _ => {
                out.push('<');
                rest = tail;
            }
        }
    }
    out.push_str(rest);
    let decoded = out
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    // Sanitizer::normalizeWhitespace: runs of whitespace become one space, then trim.
    decoded
        .split([' ', '\r', '\n', '\t'])
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether `s` starts with a character reference (`&amp;`, `&#39;`, `&#x27;`).
fn is_entity(s: &str) -> bool {
    let Some(body) = s[1..].split_once(';').map(|(b, _)| b) else {
        return false;
    };
    if let Some(num) = body.strip_prefix('#') {
        return match num.strip_prefix(['x', 'X']) {
            Some(hex) => !hex.is_empty() && hex.chars().all(|c| c.is_ascii_hexdigit()),
            None => !num.is_empty() && num.chars().all(|c| c.is_ascii_digit()),
        };
    }
    body.starts_with(|c: char| c.is_ascii_alphabetic()) && body.chars().all(|c| c.is_ascii_alphanumeric())
}

#[derive(Debug, Clone)]
pub struct ApiError {
    pub code: String,
    pub info: String,
    pub data: Map<String, Value>,
    /// Module path for non-bc error formats (`upload`, `main`, `query+imageinfo`…).
    pub module: String,
    /// HTTP status: 200 for nearly everything, as MediaWiki.
    pub status: u16,
    /// Extra response headers (`Retry-After` for maxlag…).
    pub headers: Vec<(String, String)>,
    /// MediaWiki's message key and params; `None`: `apierror-<code>` without params.
    pub message: Option<Message>,
}

impl ApiError {
    pub fn new(code: impl Into<String>, info: impl Into<String>) -> ApiError {
        ApiError {
            code: code.into(),
            info: info.into(),
            data: Map::new(),
            module: "main".into(),
            status: 200,
            headers: Vec::new(),
            message: None,
        }
    }

    /// An error whose MediaWiki message has markup: `wikitext` is the message as
    /// `errorformat=wikitext` shows it (`<var>name</var>`…), `info` its plain text
    /// (`ApiErrorFormatter::stripMarkup`: `<var>` becomes quotes).
    pub fn from_message(code: &str, key: &str, params: Vec<Value>, wikitext: &str) -> ApiError {
        ApiError::new(code, strip_markup(wikitext)).msg(key, params).wikitext(wikitext)
    }

    /// MediaWiki's message key and params of this error (errorformat=raw).
    pub fn msg(mut self, key: &str, params: Vec<Value>) -> ApiError {
        self.message = Some(Message::new(key, params));
        self
    }

    /// The message's wikitext where it has markup the plain `info` lacks (`<var>`…).
    pub fn wikitext(mut self, text: impl Into<String>) -> ApiError {
        let m = self
            .message
            .take()
            .unwrap_or_else(|| Message::new(format!("apierror-{}", self.code), vec![]));
        self.message = Some(m.wikitext(text));
        self
    }

    pub fn with(mut self, key: &str, value: impl Into<Value>) -> ApiError {
        self.data.insert(key.to_string(), value.into());
        self
    }

    pub fn module(mut self, module: &str) -> ApiError {
        self.module = module.to_string();
        self
    }

    /// An internal failure: logged with detail, reported without it (never leak paths or SQL).
    pub fn internal(context: &str, err: impl std::fmt::Display) -> ApiError {
        let id = hex::encode(rand::random::<[u8; 6]>());
        tracing::error!(request_error_id = %id, "{context}: {err}");
        ApiError::new(
            "internal_api_error_DBQueryError",
            format!("[{id}] Exception caught: an internal error occurred ({context}); see the server log for {id}."),
        )
    }

    /// `invalidtitle` for a title parameter (`[ 'apierror-invalidtitle', wfEscapeWikiText( $t ) ]`).
    pub fn invalid_title(t: &str) -> ApiError {
        ApiError::new("invalidtitle", format!("Bad title \"{t}\".")).msg("apierror-invalidtitle", vec![Value::from(wf_escape_wikitext(t))])
    }

    /// `nosuchpageid` (`[ 'apierror-nosuchpageid', $id ]`).
    pub fn no_such_page_id(id: i64) -> ApiError {
        ApiError::new("nosuchpageid", format!("There is no page with ID {id}.")).msg("apierror-nosuchpageid", vec![Value::from(id)])
    }

    /// `nosuchuserid` (`[ 'apierror-nosuchuserid', $id ]`).
    pub fn no_such_user_id(id: i64) -> ApiError {
        ApiError::new("nosuchuserid", format!("There is no user with ID {id}.")).msg("apierror-nosuchuserid", vec![Value::from(id)])
    }

    /// A required parameter is missing (ParamValidator's message).
    pub fn missingparam(name: &str) -> ApiError {
        ApiError::new("missingparam", format!("The \"{name}\" parameter must be set."))
            .msg("paramvalidator-missingparam", vec![param::plaintext(name)])
    }

    /// `missingparam` for "one of these is required" (ApiBase::requireOnlyOneParameter).
    pub fn missingparam_one_of(names: &[&str], module: &str) -> ApiError {
        let quoted: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
        let vars: Vec<String> = names.iter().map(|n| format!("<var>{n}</var>")).collect();
        let list = |items: &[String]| match items.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
            _ => items.concat(),
        };
        ApiError::new("missingparam", format!("One of the parameters {} is required.", list(&quoted)))
            .msg(
                "apierror-missingparam-one-of",
                vec![serde_json::json!({ "list": vars, "type": "text" }), Value::from(names.len())],
            )
            .wikitext(format!("One of the parameters {} is required.", list(&vars)))
            .module(module)
    }

    /// `badcontinue`: a `continue` value this server did not hand out.
    pub fn badcontinue(module: &str) -> ApiError {
        ApiError::new(
            "badcontinue",
            "Invalid continue param. You should pass the original value returned by the previous query.",
        )
        .module(module)
    }

    /// `invalidparammix` for parameters that exclude each other, named as the client sent them
    /// (MediaWiki's list: "a", "b" and "c").
    pub fn cannot_use_together(names: &[String], module: &str) -> ApiError {
        let quoted: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
        let vars: Vec<String> = names.iter().map(|n| format!("<var>{n}</var>")).collect();
        let list = |items: &[String]| match items.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
            _ => items.concat(),
        };
        ApiError::new(
            "invalidparammix",
            format!("The parameters {} can not be used together.", list(&quoted)),
        )
        .msg(
            "apierror-invalidparammix",
            vec![serde_json::json!({ "list": vars, "type": "text" }), Value::from(names.len())],
        )
        .wikitext(format!("The parameters {} can not be used together.", list(&vars)))
        .module(module)
    }

    pub fn badtoken() -> ApiError {
        ApiError::new("badtoken", "Invalid CSRF token.")
    }
}

/// What a disk failure clients should hear about is, in words (`None`: not such a failure).
pub fn storage_failure(e: &std::io::Error) -> Option<&'static str> {
    match e.raw_os_error()? {
        28 => Some("there is no space left on the device"),
        122 => Some("the disk quota is exceeded"),
        5 => Some("the device reported an input/output error"),
        30 => Some("the file system is read-only"),
        _ => None,
    }
}

/// MediaWiki's `backend-fail-internal` with the reason (the details go to the log).
pub fn backend_failure(why: &str, detail: &dyn std::fmt::Display) -> ApiError {
    tracing::error!("storage: {detail}");
    ApiError::new(
        "backend-fail-internal",
        format!("An unknown error occurred in storage backend \"local-backend\": {why}."),
    )
}

impl From<mwupload_store::StoreError> for ApiError {
    fn from(e: mwupload_store::StoreError) -> ApiError {
        if e.is_disk_full() {
            return backend_failure("there is no space left to store the data", &e);
        }
        if let mwupload_store::StoreError::Io(io) = &e
            && let Some(why) = storage_failure(io)
        {
            return backend_failure(why, &e);
        }
        ApiError::internal("storage", e)
    }
}

impl From<std::io::Error> for ApiError {
    fn from(e: std::io::Error) -> ApiError {
        match storage_failure(&e) {
            Some(why) => backend_failure(why, &e),
            None => ApiError::internal("storage", e),
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// MediaWiki's `wfEscapeWikiText` (1.39 defaults: no magic links, `$wgUrlProtocols`' colon-only
/// schemes): the characters and sequences wikitext would interpret become character references.
pub fn wf_escape_wikitext(text: &str) -> String {
    // strtr: at each position the longest key wins.
    const REPL: &[(&str, &str)] = &[
        ("\n----", "\n&#45;---"),
        ("\r----", "\r&#45;---"),
        ("://", "&#58;//"),
        ("~~~", "~~&#126;"),
        ("\n#", "\n&#35;"),
        ("\r#", "\r&#35;"),
        ("\n*", "\n&#42;"),
        ("\r*", "\r&#42;"),
        ("\n:", "\n&#58;"),
        ("\r:", "\r&#58;"),
        ("\n ", "\n&#32;"),
        ("\r ", "\r&#32;"),
        ("\n\n", "\n&#10;"),
        ("\r\n", "&#13;\n"),
        ("\n\r", "\n&#13;"),
        ("\r\r", "\r&#13;"),
        ("\n\t", "\n&#9;"),
        ("\r\t", "\r&#9;"),
        ("__", "_&#95;"),
        ("\"", "&#34;"),
        ("&", "&#38;"),
        ("'", "&#39;"),
        ("<", "&#60;"),
        ("=", "&#61;"),
        (">", "&#62;"),
        ("[", "&#91;"),
        ("]", "&#93;"),
        ("{", "&#123;"),
        ("|", "&#124;"),
        ("}", "&#125;"),
        (";", "&#59;"),
    ];
    let src = format!("\n{text}");
    let mut out = String::with_capacity(src.len() + 16);
    let mut i = 0;
    while i < src.len() {
        let rest = &src[i..];
        match REPL.iter().find(|(k, _)| rest.starts_with(k)) {
            Some((k, v)) => {
                out.push_str(v);
                i += k.len();
            }
            None => {
                let c = rest.chars().next().unwrap_or(' ');
                out.push(c);
                i += c.len_utf8();
            }
        }
    }
    let out = out.split_off(1);
    // /\b(bitcoin|geo|…):/i → "$1&#58;"
    const SCHEMES: &[&str] = &[
        "bitcoin", "geo", "magnet", "mailto", "matrix", "news", "sip", "sips", "sms", "tel", "urn", "xmpp",
    ];
    let b = out.as_bytes();
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut res = String::with_capacity(out.len());
    let mut last = 0;
    let mut j = 0;
    while j < b.len() {
        if (j == 0 || !word(b[j - 1])) && word(b[j]) {
            let hit = SCHEMES
                .iter()
                .filter(|s| b.len() > j + s.len() && b[j..j + s.len()].eq_ignore_ascii_case(s.as_bytes()) && b[j + s.len()] == b':');
            if let Some(s) = hit.max_by_key(|s| s.len()) {
                res.push_str(&out[last..j + s.len()]);
                res.push_str("&#58;");
                j += s.len() + 1;
                last = j;
                continue;
            }
        }
        j += 1;
    }
    res.push_str(&out[last..]);
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_strips_like_api_error_formatter() {
        assert_eq!(
            strip_markup("<a> elements, such as <image>, found <code>&lt;image href=\"x\"&gt;</code>. 1 < 2"),
            "elements, such as , found \"<image href=\"x\">\". 1 < 2"
        );
    }

    #[test]
    fn wikitext_parses_like_message_parse() {
        assert_eq!(
            wikitext_to_html("One of <var>a</var> & \"b\" <script> &amp; 1 > 0"),
            "One of <var>a</var> &amp; \"b\" &lt;script&gt; &amp; 1 &gt; 0"
        );
        let e = ApiError::missingparam_one_of(&["filekey", "file", "url"], "upload");
        assert_eq!(e.info, "One of the parameters \"filekey\", \"file\" and \"url\" is required.");
        let m = e.message.unwrap();
        assert_eq!(m.key, "apierror-missingparam-one-of");
        assert_eq!(
            serde_json::Value::Array(m.params).to_string(),
            r#"[{"list":["<var>filekey</var>","<var>file</var>","<var>url</var>"],"type":"text"},3]"#
        );
        assert_eq!(
            m.wikitext.as_deref(),
            Some("One of the parameters <var>filekey</var>, <var>file</var> and <var>url</var> is required.")
        );
    }

    #[test]
    fn parameter_lists_read_like_mediawikis() {
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            ApiError::cannot_use_together(&names(&["filekey", "file", "url"]), "upload").info,
            "The parameters \"filekey\", \"file\" and \"url\" can not be used together."
        );
        let e = ApiError::cannot_use_together(&names(&["letitle", "leprefix"]), "query+logevents");
        assert_eq!((e.code.as_str(), e.module.as_str()), ("invalidparammix", "query+logevents"));
        assert_eq!(e.info, "The parameters \"letitle\" and \"leprefix\" can not be used together.");
    }

    #[test]
    fn wikitext_is_escaped_as_wf_escape_wikitext_does() {
        assert_eq!(wf_escape_wikitext("A|b[c]"), "A&#124;b&#91;c&#93;");
        assert_eq!(
            wf_escape_wikitext("#x__y ~~~~ http://e mailto:a sips:b"),
            "&#35;x_&#95;y ~~&#126;~ http&#58;//e mailto&#58;a sips&#58;b"
        );
        assert_eq!(wf_escape_wikitext("a\n*b & 'c'"), "a\n&#42;b &#38; &#39;c&#39;");
        assert_eq!(wf_escape_wikitext("Plain Title"), "Plain Title");
        let e = ApiError::invalid_title("Foo|bar");
        assert_eq!((e.code.as_str(), e.info.as_str()), ("invalidtitle", "Bad title \"Foo|bar\"."));
        let m = e.message.expect("message");
        assert_eq!(
            (m.key.as_str(), m.params),
            ("apierror-invalidtitle", vec![Value::from("Foo&#124;bar")])
        );
        let m = ApiError::no_such_page_id(7).message.expect("message");
        assert_eq!((m.key.as_str(), m.params), ("apierror-nosuchpageid", vec![Value::from(7)]));
    }
}
