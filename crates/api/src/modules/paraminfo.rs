//! `action=paraminfo`: renders the registered `ModuleSpec`s in MediaWiki 1.39's shape (member
//! order, fv1/fv2 booleans), so what clients read is exactly what validation enforces.

use crate::error::ApiResult;
use crate::spec::{Bound, Group, ModuleSpec, Modules, ParamSpec, Type, Values, param};
use crate::{Call, Output};
use serde_json::{Map, Value, json};

pub static SPEC: ModuleSpec = ModuleSpec {
    path: "paraminfo",
    class: "ApiParamInfo",
    group: Some(Group::Action),
    help: "Describe modules and their parameters (the same descriptions that validate requests).",
    params: &[
        param("modules", Type::String)
            .multi()
            .help("Module paths: upload, query+imageinfo, main, json…"),
        param("helpformat", Type::Enum(&["html", "none", "raw", "wikitext"]))
            .default("none")
            .inert(),
        param("querymodules", Type::Modules(Modules::AllQuery)).multi().deprecated(),
        param("mainmodule", Type::String).deprecated(),
        param("pagesetmodule", Type::String).deprecated().inert(),
        param("formatmodules", Type::Modules(Modules::Group(Group::Format)))
            .multi()
            .deprecated(),
    ],
    ..ModuleSpec::BASE
};

pub async fn execute(call: &mut Call<'_>, v: Values) -> ApiResult<Output> {
    let mut paths = v.list("modules").to_vec();
    paths.extend(v.list("querymodules").iter().map(|m| format!("query+{m}")));
    if v.str("mainmodule").is_some() {
        paths.push("main".into());
    }
    paths.extend(v.list("formatmodules").iter().cloned());
    let mut modules = Vec::new();
    for path in paths {
        match super::by_path(&path) {
            Some(spec) => modules.push(describe(call, spec)),
            None => {
                let (parent, name) = match path.rsplit_once('+') {
                    Some((parent, name)) => (parent, name),
                    None => ("main", path.as_str()),
                };
                call.ctx.warn(
                    "paraminfo",
                    "badmodule",
                    format!("The module \"{parent}\" does not have a submodule \"{name}\"."),
                );
            }
        }
    }
    let mut info = Map::new();
    info.insert("helpformat".into(), json!(v.str("helpformat").unwrap_or("none")));
    if !modules.is_empty() {
        info.insert("modules".into(), Value::Array(modules));
    }
    let mut out = Map::new();
    out.insert("paraminfo".into(), Value::Object(info));
    Ok(Output::Json(out))
}

/// One module in MediaWiki's member order.
fn describe(call: &Call<'_>, spec: &'static ModuleSpec) -> Value {
    let ctx = &call.ctx;
    let mut m = Map::new();
    m.insert("name".into(), json!(spec.name()));
    m.insert("classname".into(), json!(spec.class));
    m.insert("path".into(), json!(spec.path));
    if let Some(g) = spec.group {
        m.insert("group".into(), json!(g.name()));
    }
    m.insert("prefix".into(), json!(spec.prefix));
    m.insert("source".into(), json!("MediaWiki"));
    m.insert("sourcename".into(), json!("MediaWiki"));
    m.insert("licensetag".into(), json!("GPL-2.0-or-later"));
    m.insert(
        "licenselink".into(),
        json!(format!("{}/w/index.php?title=Special:Version/License/MediaWiki", ctx.base_url)),
    );
    // Flags appear only when set, in both format versions.
    for (key, on) in [
        ("readrights", spec.read_rights),
        ("writerights", spec.write_rights),
        ("mustbeposted", spec.must_post),
        ("generator", spec.generator),
    ] {
        if on {
            m.insert(key.into(), ctx.true_value());
        }
    }
    m.insert("helpurls".into(), json!([]));
    let params: Vec<Value> = spec
        .params
        .iter()
        .enumerate()
        .map(|(i, p)| describe_param(call, i + 1, p))
        .collect();
    m.insert("parameters".into(), Value::Array(params));
    m.insert("templatedparameters".into(), json!([]));
    if !spec.dynamic.is_empty() {
        m.insert("dynamicparameters".into(), ctx.true_value());
    }
    Value::Object(m)
}

fn describe_param(call: &Call<'_>, index: usize, p: &ParamSpec) -> Value {
    let ctx = &call.ctx;
    let mut m = Map::new();
    m.insert("index".into(), json!(index));
    m.insert("name".into(), json!(p.name));
    m.insert("type".into(), type_value(p));
    ctx.put_bool(&mut m, "required", p.required);
    if p.sensitive {
        m.insert("sensitive".into(), ctx.true_value());
    }
    if p.deprecated {
        m.insert("deprecated".into(), ctx.true_value());
    }
    if let Some(d) = p.default {
        let v = match p.ty {
            Type::Integer { .. } | Type::Limit { .. } if !p.multi => d.parse::<i64>().map(Value::from).unwrap_or_else(|_| json!(d)),
            _ => json!(d),
        };
        m.insert("default".into(), v);
    }
    ctx.put_bool(&mut m, "multi", p.multi);
    if p.multi {
        let (low, high) = p.limits();
        m.insert("lowlimit".into(), json!(low));
        m.insert("highlimit".into(), json!(high));
        let limit = if call.caller.has("apihighlimits") { high } else { low };
        m.insert("limit".into(), json!(limit));
        if p.allow_duplicates {
            m.insert("allowsduplicates".into(), ctx.true_value());
        }
    }
    if let Type::Title { must_exist: true } = p.ty {
        m.insert("mustExist".into(), ctx.true_value());
    }
    match p.ty {
        Type::Integer { min, max } => {
            if let Some(n) = min {
                m.insert("min".into(), json!(n));
            }
            if let Some(b) = max {
                let n = match b {
                    Bound::Const(n) => n,
                    Bound::MaxUploadSize => b.value(&call.state.config),
                };
                m.insert("max".into(), json!(n));
            }
        }
        Type::Limit { max, highmax } => {
            m.insert("min".into(), json!(1));
            m.insert("max".into(), json!(max));
            m.insert("highmax".into(), json!(highmax));
        }
        _ => {}
    }
    if let Some(t) = p.tokentype {
        m.insert("tokentype".into(), json!(t));
    }
    if let Type::Modules(which) = p.ty
        && p.submodule_map
    {
        let subs: Map<String, Value> = super::registered(which)
            .iter()
            .map(|s| (s.name().to_string(), json!(s.path)))
            .collect();
        m.insert("submodules".into(), Value::Object(subs));
        if let Some(prefix) = p.submodule_param_prefix {
            m.insert("submoduleparamprefix".into(), json!(prefix));
        }
    }
    if let Some(all) = p.all {
        m.insert("allspecifier".into(), json!(all));
    }
    if !p.deprecated_values.is_empty() {
        m.insert("deprecatedvalues".into(), json!(p.deprecated_values));
    }
    if let Type::User(subtypes) = p.ty {
        m.insert("subtypes".into(), json!(subtypes));
    }
    if let Type::Namespace { extra } = p.ty
        && !extra.is_empty()
    {
        m.insert("extranamespaces".into(), json!(extra));
    }
    if !p.info.is_empty() {
        let notes: Vec<Value> = p.info.iter().map(|n| json!({ "name": n })).collect();
        m.insert("info".into(), Value::Array(notes));
    }
    Value::Object(m)
}

/// The paraminfo `type`: a type name, or the list of allowed values (specs list them in
/// MediaWiki's printed order: sorted, deprecated values last).
fn type_value(p: &ParamSpec) -> Value {
    match p.ty {
        Type::String => json!("string"),
        Type::Text => json!("text"),
        Type::Password => json!("password"),
        Type::Boolean => json!("boolean"),
        Type::Upload => json!("upload"),
        Type::Timestamp => json!("timestamp"),
        Type::User(_) => json!("user"),
        Type::Namespace { .. } => json!("namespace"),
        Type::Integer { .. } => json!("integer"),
        Type::Limit { .. } => json!("limit"),
        Type::Tags => json!([]),
        Type::Enum(values) => json!(values),
        Type::Modules(which) => json!(super::registered(which).iter().map(|s| s.name()).collect::<Vec<_>>()),
        Type::Title { .. } => json!("title"),
    }
}
