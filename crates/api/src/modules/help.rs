//! `action=help` (and `api.php` with no action): a readable page of modules and their
//! parameters, rendered from the same `ModuleSpec`s that validate requests and feed paraminfo.

use crate::Call;
use crate::envelope::html_escape;
use crate::spec::{Bound, Group, ModuleSpec, Type, Values, param};
use axum::body::Body;
use axum::http::{HeaderValue, Response};

pub static SPEC: ModuleSpec = ModuleSpec {
    path: "help",
    class: "ApiHelp",
    group: Some(Group::Action),
    help: "This page: every module and its parameters.",
    params: &[
        param("modules", Type::String)
            .default("main")
            .multi()
            .help("Modules to describe (main: all of them)."),
        param("submodules", Type::Boolean).inert(),
        param("recursivesubmodules", Type::Boolean).inert(),
        param("wrap", Type::Boolean).inert(),
        param("toc", Type::Boolean).inert(),
    ],
    ..ModuleSpec::BASE
};

pub fn page(call: &Call<'_>, v: &Values) -> Response<Body> {
    let asked = v.list("modules");
    let specs: Vec<&'static ModuleSpec> = if asked.is_empty() || asked.iter().any(|m| m == "main") {
        super::REGISTRY.to_vec()
    } else {
        asked.iter().filter_map(|m| super::by_path(m)).collect()
    };
    let mut html = String::from(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>mwupload API help</title>\
         <style>body{font-family:sans-serif;max-width:64em;margin:2em auto}table{border-collapse:collapse}\
         td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}code{background:#f4f4f4}\
         .inert{color:#777}</style></head><body>",
    );
    html.push_str("<h1>mwupload — MediaWiki Action API</h1><p>Endpoint <code>");
    html.push_str(&html_escape(&call.ctx.api_path));
    html.push_str(
        "</code>. Rendered from the same parameter descriptions that validate every request and that \
         <code>action=paraminfo</code> returns. Parameters marked <em>accepted, no effect</em> are understood \
         but change nothing here.</p><ul>",
    );
    for s in &specs {
        html.push_str(&format!("<li><a href=\"#{0}\">{0}</a></li>", html_escape(s.path)));
    }
    html.push_str("</ul>");
    for s in specs {
        module_section(call, s, &mut html);
    }
    html.push_str("</body></html>");
    let mut r = Response::new(Body::from(html));
    r.headers_mut()
        .insert("content-type", HeaderValue::from_static("text/html; charset=utf-8"));
    r.headers_mut()
        .insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    r
}

fn module_section(call: &Call<'_>, s: &'static ModuleSpec, html: &mut String) {
    html.push_str(&format!("<h2 id=\"{0}\">{0}</h2><p>", html_escape(s.path)));
    if !s.help.is_empty() {
        html.push_str(&html_escape(s.help));
        html.push(' ');
    }
    if s.must_post {
        html.push_str("Requires a POST request. ");
    }
    if let Some((_, t)) = s.token() {
        html.push_str(&format!("Needs a <code>{t}</code> token. "));
    }
    html.push_str("</p>");
    if s.params.is_empty() && s.dynamic.is_empty() {
        return;
    }
    html.push_str("<table><tr><th>parameter</th><th>type</th><th>default</th><th>notes</th></tr>");
    for p in s.all_params() {
        let mut notes = Vec::new();
        if !p.help.is_empty() {
            notes.push(html_escape(p.help));
        }
        if p.required {
            notes.push("Required.".into());
        }
        if p.multi {
            let (low, high) = p.limits();
            notes.push(format!("Multiple values separated by | (at most {low}, {high} for bots)."));
        }
        if p.deprecated {
            notes.push("Deprecated.".into());
        }
        if p.sensitive {
            notes.push("Must be sent in the POST body.".into());
        }
        if p.inert {
            notes.push("<em class=\"inert\">Accepted, no effect.</em>".into());
        }
        html.push_str(&format!(
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            html_escape(&s.full_name(p)),
            html_escape(&type_text(call, p.ty)),
            html_escape(p.default.unwrap_or("")),
            notes.join(" ")
        ));
    }
    html.push_str("</table>");
}

fn type_text(call: &Call<'_>, ty: Type) -> String {
    match ty {
        Type::String | Type::Text => "string".into(),
        Type::Password => "password".into(),
        Type::Boolean => "boolean (true when present)".into(),
        Type::Upload => "file (multipart/form-data part)".into(),
        Type::Timestamp => "timestamp".into(),
        Type::User(_) => "user name".into(),
        Type::Title { .. } => "page title".into(),
        Type::Namespace { .. } => "namespace id".into(),
        Type::Integer { min, max } => {
            let max = max.map(|b| match b {
                Bound::Const(n) => n,
                Bound::MaxUploadSize => b.value(&call.state.config),
            });
            match (min, max) {
                (Some(a), Some(b)) => format!("integer, {a} to {b}"),
                (Some(a), None) => format!("integer, at least {a}"),
                (None, Some(b)) => format!("integer, at most {b}"),
                (None, None) => "integer".into(),
            }
        }
        Type::Limit { max, highmax } => format!("limit: 1 to {max} ({highmax} for bots), or max"),
        Type::Tags => "change tags".into(),
        Type::Enum(values) => format!("one of: {}", values.join(", ")),
        Type::Modules(which) => format!(
            "one of: {}",
            super::registered(which).iter().map(|m| m.name()).collect::<Vec<_>>().join(", ")
        ),
    }
}
