//! Cross-origin requests as `ApiMain::handleCORS` answers them. `origin=*` is anonymous CORS
//! (any site, no credentials: the request runs logged out). `origin=<the Origin header>` is
//! credentialed CORS for the sites `[cors] allowed_origins` names (`$wgCrossSiteAJAXdomains`,
//! wildcards `*` and `?`) minus `origin_exceptions`; any other site gets
//! `MediaWiki-CORS-Rejection` and no `Access-Control-Allow-Origin`, so browsers hide the answer.
//! An `origin` that is not one of the request's `Origin` header values is refused with 403.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, Response, StatusCode};

/// The headers a page may ask for in a preflight (`matchRequestedHeaders`).
const ALLOWED_REQUEST_HEADERS: &[&str] = &[
    "accept",
    "accept-language",
    "content-language",
    "content-type",
    "accept-encoding",
    "dnt",
    "origin",
    "user-agent",
    "api-user-agent",
    "access-control-max-age",
    "authorization",
];

/// The CORS headers an API answer gets, decided before the request runs.
#[derive(Debug, Default)]
pub struct Cors {
    headers: Vec<(&'static str, String)>,
}

impl Cors {
    pub fn apply(&self, resp: &mut Response<Body>) {
        let h = resp.headers_mut();
        for (k, v) in &self.headers {
            if let Ok(v) = HeaderValue::from_str(v) {
                h.insert(*k, v);
            }
        }
    }
}

/// `handleCORS` for a request whose query string has `origin` (MediaWiki wants it there, not in
/// a POST body, since a preflight carries no body). Err is the finished 403.
pub fn check(
    origin_param: Option<&str>,
    headers: &HeaderMap,
    method: &Method,
    allowed: &[String],
    exceptions: &[String],
) -> Result<Cors, Response<Body>> {
    let mut out = Cors::default();
    let Some(param) = origin_param else {
        return Ok(out);
    };
    let (matched, allow_origin, allow_credentials, timing) = if param == "*" {
        (true, "*".to_string(), "false", None)
    } else {
        let header = headers.get("origin").and_then(|v| v.to_str().ok()).map(str::trim).unwrap_or("");
        let origins: Vec<&str> = header.split_whitespace().collect();
        if !origins.contains(&param) {
            let mut r = Response::new(Body::from("'origin' parameter does not match Origin header\n"));
            *r.status_mut() = StatusCode::FORBIDDEN;
            r.headers_mut().insert("cache-control", HeaderValue::from_static("no-cache"));
            r.headers_mut()
                .insert("content-type", HeaderValue::from_static("text/html; charset=UTF-8"));
            return Err(r);
        }
        let matched = origins.len() == 1 && match_origin(param, allowed, exceptions);
        (matched, header.to_string(), "true", Some(header.to_string()))
    };
    if !matched {
        out.headers.push(("mediawiki-cors-rejection", "Origin mismatch".into()));
        return Ok(out);
    }
    let preflight = method == Method::OPTIONS && headers.contains_key("access-control-request-method");
    if preflight {
        if let Some(requested) = headers.get("access-control-request-headers").and_then(|v| v.to_str().ok()) {
            if !requested_headers_allowed(requested) {
                out.headers
                    .push(("mediawiki-cors-rejection", "Unsupported header requested in preflight".into()));
                return Ok(out);
            }
            out.headers.push(("access-control-allow-headers", requested.to_string()));
        }
        out.headers.push(("access-control-allow-methods", "POST, GET, HEAD".into()));
    }
    out.headers.push(("access-control-allow-origin", allow_origin));
    out.headers.push(("access-control-allow-credentials", allow_credentials.into()));
    if let Some(t) = timing {
        out.headers.push(("timing-allow-origin", t));
    }
    if !preflight {
        out.headers.push((
            "access-control-expose-headers",
            "MediaWiki-API-Error, Retry-After, X-Database-Lag, MediaWiki-Login-Suppressed".into(),
        ));
    }
    Ok(out)
}

fn requested_headers_allowed(requested: &str) -> bool {
    requested.trim().is_empty()
        || requested
            .split(',')
            .all(|h| ALLOWED_REQUEST_HEADERS.contains(&h.trim().to_ascii_lowercase().as_str()))
}

/// `matchOrigin`: the first rule that matches decides, unless an exception matches too.
fn match_origin(value: &str, rules: &[String], exceptions: &[String]) -> bool {
    rules.iter().any(|r| wildcard_matches(r, value)) && !exceptions.iter().any(|e| wildcard_matches(e, value))
}

/// `wildcardToRegex`: `^https?://` + the pattern, `*` any run of characters, `?` one.
fn wildcard_matches(pattern: &str, value: &str) -> bool {
    let rest = value.strip_prefix("https://").or_else(|| value.strip_prefix("http://"));
    let Some(rest) = rest else {
        return false;
    };
    glob(pattern.as_bytes(), rest.as_bytes())
}

fn glob(p: &[u8], s: &[u8]) -> bool {
    match p.split_first() {
        None => s.is_empty(),
        Some((b'*', rest)) => (0..=s.len()).any(|i| glob(rest, &s[i..])),
        Some((b'?', rest)) => {
            // `.` in PCRE without /u: one byte; an origin is ASCII anyway.
            !s.is_empty() && glob(rest, &s[1..])
        }
        Some((c, rest)) => s.first() == Some(c) && glob(rest, &s[1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hdrs(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    fn got(c: &Cors, name: &str) -> Option<String> {
        c.headers.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone())
    }

    #[test]
    fn wildcards_like_wildcard_to_regex() {
        let rules = vec!["*.example.org".to_string(), "tools.wmflabs.org".into()];
        assert!(match_origin("https://a.example.org", &rules, &[]));
        assert!(match_origin("http://a.b.example.org", &rules, &[]));
        assert!(!match_origin("https://example.org", &rules, &[]));
        assert!(!match_origin("https://a.example.org.evil.com", &rules, &[]));
        assert!(!match_origin("ftp://tools.wmflabs.org", &rules, &[]));
        assert!(!match_origin("https://a.example.org", &rules, &["*.example.org".into()]));
        assert!(match_origin("https://x1.example.org", &["x?.example.org".into()], &[]));
    }

    #[test]
    fn anonymous_credentialed_rejected_and_mismatched() {
        let none = check(None, &HeaderMap::new(), &Method::GET, &[], &[]).unwrap();
        assert!(none.headers.is_empty());
        let star = check(Some("*"), &hdrs(&[("origin", "https://x.org")]), &Method::GET, &[], &[]).unwrap();
        assert_eq!(got(&star, "access-control-allow-origin").as_deref(), Some("*"));
        assert_eq!(got(&star, "access-control-allow-credentials").as_deref(), Some("false"));
        let allowed = vec!["*.x.org".to_string()];
        let ok = check(
            Some("https://a.x.org"),
            &hdrs(&[("origin", "https://a.x.org")]),
            &Method::GET,
            &allowed,
            &[],
        )
        .unwrap();
        assert_eq!(got(&ok, "access-control-allow-origin").as_deref(), Some("https://a.x.org"));
        assert_eq!(got(&ok, "access-control-allow-credentials").as_deref(), Some("true"));
        let other = check(
            Some("https://b.y.org"),
            &hdrs(&[("origin", "https://b.y.org")]),
            &Method::GET,
            &allowed,
            &[],
        )
        .unwrap();
        assert_eq!(got(&other, "mediawiki-cors-rejection").as_deref(), Some("Origin mismatch"));
        assert_eq!(got(&other, "access-control-allow-origin"), None);
        let forged = check(
            Some("https://a.x.org"),
            &hdrs(&[("origin", "https://evil.org")]),
            &Method::GET,
            &allowed,
            &[],
        );
        assert_eq!(forged.unwrap_err().status(), StatusCode::FORBIDDEN);
    }

    #[test]
    fn preflights_allow_only_simple_headers() {
        let h = hdrs(&[
            ("origin", "https://a.x.org"),
            ("access-control-request-method", "POST"),
            ("access-control-request-headers", "Content-Type, Api-User-Agent"),
        ]);
        let c = check(Some("*"), &h, &Method::OPTIONS, &[], &[]).unwrap();
        assert_eq!(got(&c, "access-control-allow-methods").as_deref(), Some("POST, GET, HEAD"));
        assert_eq!(
            got(&c, "access-control-allow-headers").as_deref(),
            Some("Content-Type, Api-User-Agent")
        );
        assert_eq!(got(&c, "access-control-expose-headers"), None);
        let h = hdrs(&[
            ("origin", "https://a.x.org"),
            ("access-control-request-method", "POST"),
            ("access-control-request-headers", "content-type, x-foo"),
        ]);
        let c = check(Some("*"), &h, &Method::OPTIONS, &[], &[]).unwrap();
        assert_eq!(
            got(&c, "mediawiki-cors-rejection").as_deref(),
            Some("Unsupported header requested in preflight")
        );
        assert_eq!(got(&c, "access-control-allow-origin"), None);
    }
}
