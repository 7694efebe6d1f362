//! `action=paraminfo`: parameter descriptions of the modules this server implements.
//! (Issue 6 turns this into the one declarative description that also validates requests.)

use crate::api::error::ApiResult;
use crate::api::{Call, Output};
use serde_json::{Map, Value, json};

/// (path, prefix, group, mustbeposted, needs token, parameters as (name, type, extra)).
pub type Param = (&'static str, Value);

fn csrf() -> Param {
    (
        "token",
        json!({"type": "string", "required": true, "tokentype": "csrf", "sensitive": true}),
    )
}

fn upload_params() -> Vec<Param> {
    vec![
        ("filename", json!({"type": "string"})),
        ("comment", json!({"type": "text", "default": ""})),
        (
            "tags",
            json!({"type": [], "multi": true, "limit": 50, "lowlimit": 50, "highlimit": 500}),
        ),
        ("text", json!({"type": "text"})),
        ("watch", json!({"type": "boolean", "default": false, "deprecated": true})),
        (
            "watchlist",
            json!({"type": ["watch", "preferences", "nochange"], "default": "preferences"}),
        ),
        ("ignorewarnings", json!({"type": "boolean", "default": false})),
        ("file", json!({"type": "upload"})),
        ("url", json!({"type": "string"})),
        ("filekey", json!({"type": "string"})),
        ("sessionkey", json!({"type": "string", "deprecated": true})),
        ("stash", json!({"type": "boolean", "default": false})),
        ("filesize", json!({"type": "integer", "min": 0, "max": 5368709120i64})),
        ("offset", json!({"type": "integer", "min": 0})),
        ("chunk", json!({"type": "upload"})),
        ("async", json!({"type": "boolean", "default": false})),
        ("checkstatus", json!({"type": "boolean", "default": false})),
        (
            "token",
            json!({"type": "string", "required": true, "tokentype": "csrf", "sensitive": true}),
        ),
    ]
}

fn limit(default: i64) -> Value {
    json!({"type": "limit", "default": default, "min": 1, "max": 500, "highmax": 5000})
}

fn iiprops() -> Value {
    json!([
        "timestamp",
        "user",
        "userid",
        "comment",
        "parsedcomment",
        "canonicaltitle",
        "url",
        "size",
        "dimensions",
        "sha1",
        "mime",
        "thumbmime",
        "mediatype",
        "metadata",
        "commonmetadata",
        "extmetadata",
        "archivename",
        "bitdepth",
        "uploadwarning",
        "badfile"
    ])
}

/// Returns (prefix, group, mustbeposted, token, params) for a module path.
pub fn describe(path: &str) -> Option<(&'static str, &'static str, bool, Option<&'static str>, Vec<Param>)> {
    let actions: Vec<&str> = super::ACTIONS.iter().map(|m| m.name).collect();
    let submods = |names: &[&str], prefix: &str| -> Value {
        let m: Map<String, Value> = names.iter().map(|n| (n.to_string(), json!(format!("{prefix}{n}")))).collect();
        Value::Object(m)
    };
    Some(match path {
        "main" => (
            "",
            "",
            false,
            None,
            vec![
                (
                    "action",
                    json!({"type": actions, "submodules": submods(&actions, ""), "default": "help"}),
                ),
                (
                    "format",
                    json!({"type": ["json", "jsonfm"], "submodules": submods(&["json", "jsonfm"], ""), "default": "jsonfm"}),
                ),
                ("maxlag", json!({"type": "integer"})),
                ("assert", json!({"type": ["anon", "bot", "user"]})),
                ("assertuser", json!({"type": "user"})),
                ("requestid", json!({"type": "string"})),
                ("servedby", json!({"type": "boolean", "default": false})),
                ("curtimestamp", json!({"type": "boolean", "default": false})),
                ("origin", json!({"type": "string"})),
                ("uselang", json!({"type": "string", "default": "user"})),
                (
                    "errorformat",
                    json!({"type": ["bc", "html", "none", "plaintext", "raw", "wikitext"], "default": "bc"}),
                ),
            ],
        ),
        "paraminfo" => (
            "",
            "action",
            false,
            None,
            vec![("modules", json!({"type": "string", "multi": true}))],
        ),
        "help" => (
            "",
            "action",
            false,
            None,
            vec![("modules", json!({"type": "string", "multi": true, "default": "main"}))],
        ),
        "query" => (
            "",
            "action",
            false,
            None,
            vec![
                (
                    "prop",
                    json!({"type": super::query::PROP, "multi": true, "submodules": submods(super::query::PROP, "query+"), "submoduleparamprefix": "", "limit": 50, "lowlimit": 50, "highlimit": 500}),
                ),
                (
                    "list",
                    json!({"type": super::query::LIST, "multi": true, "submodules": submods(super::query::LIST, "query+"), "limit": 50, "lowlimit": 50, "highlimit": 500}),
                ),
                (
                    "meta",
                    json!({"type": super::query::META, "multi": true, "submodules": submods(super::query::META, "query+"), "limit": 50, "lowlimit": 50, "highlimit": 500}),
                ),
                (
                    "generator",
                    json!({"type": ["allimages"], "submodules": submods(&["allimages"], "query+")}),
                ),
                (
                    "titles",
                    json!({"type": "string", "multi": true, "limit": 50, "lowlimit": 50, "highlimit": 500}),
                ),
                ("continue", json!({"type": "string"})),
                ("indexpageids", json!({"type": "boolean", "default": false})),
            ],
        ),
        "query+tokens" => (
            "",
            "meta",
            false,
            None,
            vec![(
                "type",
                json!({"type": crate::auth::token::token_types(), "multi": true, "default": "csrf"}),
            )],
        ),
        "query+userinfo" => (
            "ui",
            "meta",
            false,
            None,
            vec![(
                "prop",
                json!({"type": ["blockinfo", "hasmsg", "groups", "groupmemberships", "implicitgroups", "rights", "changeablegroups", "options", "editcount", "ratelimits", "theoreticalratelimits", "email", "realname", "acceptlang", "registrationdate", "unreadcount", "centralids", "latestcontrib", "cancreateaccount"], "multi": true}),
            )],
        ),
        "query+siteinfo" => (
            "si",
            "meta",
            false,
            None,
            vec![(
                "prop",
                json!({"type": ["general", "namespaces", "namespacealiases", "specialpagealiases", "magicwords", "interwikimap", "dbrepllag", "statistics", "usergroups", "libraries", "extensions", "fileextensions", "rightsinfo", "restrictions", "languages", "languagevariants", "skins", "extensiontags", "functionhooks", "showhooks", "variables", "protocols", "defaultoptions", "uploaddialog"], "multi": true, "default": "general"}),
            )],
        ),
        "query+imageinfo" => (
            "ii",
            "prop",
            false,
            None,
            vec![
                ("prop", json!({"type": iiprops(), "multi": true, "default": "timestamp|user"})),
                ("limit", limit(1)),
                ("start", json!({"type": "timestamp"})),
                ("end", json!({"type": "timestamp"})),
            ],
        ),
        "query+info" => (
            "in",
            "prop",
            false,
            None,
            vec![(
                "prop",
                json!({"type": ["protection", "talkid", "watched", "watchers", "visitingwatchers", "notificationtimestamp", "subjectid", "associatedpage", "url", "readable", "preload", "displaytitle", "varianttitles", "linkclasses"], "multi": true}),
            )],
        ),
        "query+revisions" => (
            "rv",
            "prop",
            false,
            None,
            vec![
                (
                    "prop",
                    json!({"type": ["ids", "flags", "timestamp", "user", "userid", "size", "slotsize", "sha1", "slotsha1", "contentmodel", "comment", "parsedcomment", "content", "tags", "roles"], "multi": true, "default": "ids|timestamp|flags|comment|user"}),
                ),
                ("slots", json!({"type": ["main"], "multi": true})),
                ("limit", limit(10)),
            ],
        ),
        "query+stashimageinfo" => (
            "sii",
            "prop",
            false,
            None,
            vec![
                ("filekey", json!({"type": "string", "multi": true})),
                ("sessionkey", json!({"type": "string", "multi": true, "deprecated": true})),
                (
                    "prop",
                    json!({"type": ["timestamp", "canonicaltitle", "url", "size", "dimensions", "sha1", "mime", "thumbmime", "metadata", "commonmetadata", "extmetadata", "bitdepth", "badfile"], "multi": true, "default": "timestamp|url"}),
                ),
            ],
        ),
        "query+allimages" => (
            "ai",
            "list",
            false,
            None,
            vec![
                ("sort", json!({"type": ["name", "timestamp"], "default": "name"})),
                (
                    "dir",
                    json!({"type": ["ascending", "descending", "newer", "older"], "default": "ascending"}),
                ),
                ("from", json!({"type": "string"})),
                ("continue", json!({"type": "string"})),
                ("prefix", json!({"type": "string"})),
                ("sha1", json!({"type": "string"})),
                ("sha1base36", json!({"type": "string"})),
                ("prop", json!({"type": iiprops(), "multi": true, "default": "timestamp|url"})),
                ("limit", limit(10)),
            ],
        ),
        "upload" => ("", "action", true, Some("csrf"), upload_params()),
        "edit" => (
            "",
            "action",
            true,
            Some("csrf"),
            vec![
                ("title", json!({"type": "string"})),
                ("pageid", json!({"type": "integer"})),
                ("text", json!({"type": "text"})),
                ("appendtext", json!({"type": "text"})),
                ("prependtext", json!({"type": "text"})),
                ("summary", json!({"type": "string"})),
                ("createonly", json!({"type": "boolean", "default": false})),
                ("nocreate", json!({"type": "boolean", "default": false})),
                (
                    "watchlist",
                    json!({"type": ["watch", "unwatch", "preferences", "nochange"], "default": "preferences"}),
                ),
                csrf(),
            ],
        ),
        "delete" => (
            "",
            "action",
            true,
            Some("csrf"),
            vec![
                ("title", json!({"type": "string"})),
                ("pageid", json!({"type": "integer"})),
                ("reason", json!({"type": "string"})),
                ("oldimage", json!({"type": "string"})),
                csrf(),
            ],
        ),
        "undelete" => (
            "",
            "action",
            true,
            Some("csrf"),
            vec![
                ("title", json!({"type": "string", "required": true})),
                ("reason", json!({"type": "string", "default": ""})),
                ("fileids", json!({"type": "integer", "multi": true})),
                csrf(),
            ],
        ),
        "filerevert" => (
            "",
            "action",
            true,
            Some("csrf"),
            vec![
                ("filename", json!({"type": "string", "required": true})),
                ("comment", json!({"type": "string", "default": ""})),
                ("archivename", json!({"type": "string", "required": true})),
                csrf(),
            ],
        ),
        "query+duplicatefiles" => (
            "df",
            "prop",
            false,
            None,
            vec![
                ("limit", limit(10)),
                ("continue", json!({"type": "string"})),
                ("dir", json!({"type": ["ascending", "descending"], "default": "ascending"})),
            ],
        ),
        "query+filearchive" => (
            "fa",
            "list",
            false,
            None,
            vec![
                ("from", json!({"type": "string"})),
                ("prefix", json!({"type": "string"})),
                ("dir", json!({"type": ["ascending", "descending"], "default": "ascending"})),
                ("sha1", json!({"type": "string"})),
                ("sha1base36", json!({"type": "string"})),
                (
                    "prop",
                    json!({"type": ["sha1", "timestamp", "user", "size", "dimensions", "description", "parseddescription", "mime", "mediatype", "metadata", "bitdepth", "archivename"], "multi": true, "default": "timestamp"}),
                ),
                ("limit", limit(10)),
                ("continue", json!({"type": "string"})),
            ],
        ),
        "query+logevents" => (
            "le",
            "list",
            false,
            None,
            vec![
                (
                    "prop",
                    json!({"type": ["ids", "title", "type", "user", "userid", "timestamp", "comment", "parsedcomment", "details", "tags"], "multi": true, "default": "ids|title|type|user|timestamp|comment|details"}),
                ),
                ("type", json!({"type": ["upload", "delete"]})),
                ("action", json!({"type": "string"})),
                ("title", json!({"type": "string"})),
                ("user", json!({"type": "user"})),
                ("dir", json!({"type": ["newer", "older"], "default": "older"})),
                ("limit", limit(10)),
                ("continue", json!({"type": "string"})),
            ],
        ),
        "query+watchlistraw" => ("wr", "list", false, None, vec![("limit", limit(10))]),
        "login" => (
            "lg",
            "action",
            true,
            None,
            vec![
                ("name", json!({"type": "string"})),
                ("password", json!({"type": "password", "sensitive": true})),
                ("domain", json!({"type": "string"})),
                ("token", json!({"type": "string", "tokentype": "login", "sensitive": true})),
            ],
        ),
        "clientlogin" => (
            "login",
            "action",
            true,
            Some("login"),
            vec![
                ("requests", json!({"type": "string", "multi": true})),
                (
                    "messageformat",
                    json!({"type": ["html", "none", "raw", "wikitext"], "default": "wikitext"}),
                ),
                ("returnurl", json!({"type": "string"})),
                ("continue", json!({"type": "boolean", "default": false})),
                (
                    "token",
                    json!({"type": "string", "required": true, "tokentype": "login", "sensitive": true}),
                ),
            ],
        ),
        "logout" => (
            "",
            "action",
            true,
            Some("csrf"),
            vec![(
                "token",
                json!({"type": "string", "required": true, "tokentype": "csrf", "sensitive": true}),
            )],
        ),
        _ => return None,
    })
}

pub async fn execute(call: &mut Call<'_>) -> ApiResult<Output> {
    let mut paths = call.params.multi("modules");
    for legacy in ["querymodules", "mainmodule", "pagesetmodule", "formatmodules"] {
        if let Some(v) = call.params.get(legacy) {
            match legacy {
                "mainmodule" => paths.push("main".into()),
                "querymodules" => paths.extend(crate::api::params::split_multi(v).into_iter().map(|m| format!("query+{m}"))),
                _ => {}
            }
        }
    }
    let _ = (call.params.get("helpformat"), call.params.get("formatversion"));
    let mut modules = Vec::new();
    for path in paths {
        let Some((prefix, group, post, token, params)) = describe(&path) else {
            call.ctx.warn(
                "paraminfo",
                "unrecognizedvalues",
                format!("Unrecognized value for parameter \"modules\": {path}."),
            );
            continue;
        };
        let name = path.rsplit('+').next().unwrap_or(&path).to_string();
        let mut m = Map::new();
        m.insert("name".into(), json!(name));
        m.insert("classname".into(), json!(format!("Api{}", name)));
        m.insert("path".into(), json!(path));
        if !group.is_empty() {
            m.insert("group".into(), json!(group));
        }
        m.insert("prefix".into(), json!(prefix));
        m.insert("source".into(), json!("MediaWiki"));
        m.insert("sourcename".into(), json!("MediaWiki"));
        m.insert("licensetag".into(), json!("GPL-2.0-or-later"));
        m.insert("licenselink".into(), json!("https://www.gnu.org/copyleft/gpl.html"));
        call.ctx.put_bool(&mut m, "readrights", !post);
        call.ctx.put_bool(&mut m, "writerights", post);
        call.ctx.put_bool(&mut m, "mustbeposted", post);
        if let Some(t) = token {
            m.insert("needstoken".into(), json!(t));
        }
        let mut list = Vec::new();
        for (i, (pname, desc)) in params.into_iter().enumerate() {
            let mut pm = Map::new();
            pm.insert("index".into(), json!(i + 1));
            pm.insert("name".into(), json!(pname));
            if let Value::Object(d) = desc {
                for (k, v) in d {
                    match v {
                        Value::Bool(b) if k != "default" => call.ctx.put_bool(&mut pm, &k, b),
                        other => {
                            pm.insert(k, other);
                        }
                    }
                }
            }
            list.push(Value::Object(pm));
        }
        m.insert("parameters".into(), Value::Array(list));
        m.insert("templatedparameters".into(), json!([]));
        modules.push(Value::Object(m));
    }
    let mut out = Map::new();
    out.insert("paraminfo".into(), json!({ "modules": modules }));
    Ok(Output::Json(out))
}
