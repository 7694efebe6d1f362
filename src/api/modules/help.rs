//! `action=help` (and `api.php` with no action): a readable page of every module and its
//! parameters, rendered from `paraminfo::describe`.

use crate::api::Call;
use crate::api::envelope::html_escape;
use axum::body::Body;
use axum::http::{HeaderValue, Response};

pub fn page(call: &Call<'_>) -> Response<Body> {
    let mut html = String::from(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>mwupload API help</title>\
         <style>body{font-family:sans-serif;max-width:60em;margin:2em auto}table{border-collapse:collapse}\
         td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}code{background:#f4f4f4}</style></head><body>",
    );
    html.push_str("<h1>mwupload — MediaWiki Action API</h1><p>Endpoint <code>");
    html.push_str(&html_escape(&call.ctx.api_path));
    html.push_str("</code>. Rendered from the same parameter descriptions that <code>action=paraminfo</code> returns.</p>");
    let mut paths: Vec<String> = vec!["main".into()];
    paths.extend(super::ACTIONS.iter().map(|m| m.name.to_string()));
    for group in [super::query::META, super::query::PROP, super::query::LIST] {
        paths.extend(group.iter().map(|m| format!("query+{m}")));
    }
    html.push_str("<ul>");
    for p in &paths {
        html.push_str(&format!("<li><a href=\"#{0}\">{0}</a></li>", html_escape(p)));
    }
    html.push_str("</ul>");
    for p in &paths {
        let Some((prefix, _group, post, token, params)) = super::paraminfo::describe(p) else {
            continue;
        };
        html.push_str(&format!("<h2 id=\"{0}\">{0}</h2><p>", html_escape(p)));
        if post {
            html.push_str("Requires a POST request. ");
        }
        if let Some(t) = token {
            html.push_str(&format!("Needs a <code>{t}</code> token. "));
        }
        html.push_str("</p><table><tr><th>parameter</th><th>type</th><th>default</th></tr>");
        for (name, desc) in params {
            let ty = match &desc["type"] {
                serde_json::Value::Array(a) => a.iter().filter_map(|v| v.as_str()).collect::<Vec<_>>().join(", "),
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let multi = if desc["multi"] == serde_json::Value::Bool(true) {
                " (multiple values, separated by |)"
            } else {
                ""
            };
            let default = match &desc["default"] {
                serde_json::Value::Null => String::new(),
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            html.push_str(&format!(
                "<tr><td><code>{}{}</code></td><td>{}{}</td><td>{}</td></tr>",
                html_escape(prefix),
                html_escape(name),
                html_escape(&ty),
                multi,
                html_escape(&default)
            ));
        }
        html.push_str("</table>");
    }
    html.push_str("</body></html>");
    let mut r = Response::new(Body::from(html));
    r.headers_mut()
        .insert("content-type", HeaderValue::from_static("text/html; charset=utf-8"));
    r.headers_mut()
        .insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    r
}
