//! `meta=filerepoinfo`: the file repositories this wiki uses — the shared ones
//! (`[[foreign_repos]]`) first, then the local one, as `ApiQueryFileRepoInfo` lists them.

use super::*;

const PROPS: &[&str] = &[
    "canUpload",
    "displayname",
    "favicon",
    "initialCapital",
    "local",
    "name",
    "rootUrl",
    "scriptDirUrl",
    "thumbUrl",
    "url",
];

/// `getProps()` with shared repositories configured: their `getInfo()` keys join the local ones.
const PROPS_WITH_SHARED: &[&str] = &[
    "apiurl",
    "articlepath",
    "canUpload",
    "descriptionCacheExpiry",
    "displayname",
    "favicon",
    "fetchDescription",
    "initialCapital",
    "local",
    "name",
    "rootUrl",
    "scriptDirUrl",
    "server",
    "thumbUrl",
    "url",
];

pub(super) async fn filerepoinfo(call: &mut Call<'_>, query: &mut Map<String, Value>) -> ApiResult<()> {
    let spec = if call.state.foreign.is_empty() {
        &FILEREPOINFO
    } else {
        &FILEREPOINFO_WITH_SHARED
    };
    let v = call.validate(spec)?;
    let wanted = v.list("prop").to_vec();
    let has = |p: &str| wanted.iter().any(|x| x == p);
    let cfg = &call.state.config;
    let base = call.ctx.base_url.clone();
    let mut repos = Vec::new();
    // ForeignAPIRepo::getInfo, in FileRepo::getInfo's order. Its `url` and `thumbUrl` are the
    // local ones (MediaWiki caches remote thumbnails locally, `apiThumbCacheExpiry` > 0).
    for (i, r) in call.state.foreign.configs().iter().enumerate() {
        let mut repo = Map::new();
        if has("name") {
            repo.insert("name".into(), json!(r.name));
        }
        if has("displayname") {
            let shown = if r.display_name.is_empty() {
                "a shared repository"
            } else {
                r.display_name.as_str()
            };
            repo.insert("displayname".into(), json!(shown));
        }
        if has("rootUrl") {
            repo.insert("rootUrl".into(), json!("/images"));
        }
        if has("local") {
            call.ctx.put_bool(&mut repo, "local", false);
        }
        if has("url") {
            repo.insert("url".into(), json!("/images"));
        }
        if has("thumbUrl") {
            repo.insert("thumbUrl".into(), json!("/images/thumb"));
        }
        if has("initialCapital") {
            call.ctx.put_bool(&mut repo, "initialCapital", true);
        }
        if has("scriptDirUrl") {
            repo.insert("scriptDirUrl".into(), json!(crate::imageinfo::script_dir_of_api(&r.api)));
        }
        if has("fetchDescription") {
            call.ctx.put_bool(&mut repo, "fetchDescription", r.fetch_descriptions);
        }
        if has("descriptionCacheExpiry") {
            repo.insert("descriptionCacheExpiry".into(), json!(r.description_cache_secs));
        }
        if has("apiurl") {
            repo.insert("apiurl".into(), json!(r.api));
        }
        // From the remote's siteinfo (left out when it does not answer).
        let wants_site = has("articlepath") || has("server") || has("favicon");
        if wants_site && let Some(general) = call.state.foreign.site_info(i).await {
            for (ours, theirs) in [("articlepath", "articlepath"), ("server", "server"), ("favicon", "favicon")] {
                if has(ours)
                    && let Some(v) = general.get(theirs)
                {
                    repo.insert(ours.into(), v.clone());
                }
            }
        }
        if has("canUpload") {
            call.ctx.put_bool(&mut repo, "canUpload", false);
        }
        repos.push(Value::Object(repo));
    }
    // FileRepo::getInfo's order.
    let mut repo = Map::new();
    if has("name") {
        repo.insert("name".into(), json!("local"));
    }
    if has("displayname") {
        repo.insert("displayname".into(), json!(cfg.sitename));
    }
    if has("rootUrl") {
        repo.insert("rootUrl".into(), json!("/images"));
    }
    if has("local") {
        call.ctx.put_bool(&mut repo, "local", true);
    }
    if has("url") {
        repo.insert("url".into(), json!("/images"));
    }
    if has("thumbUrl") {
        repo.insert("thumbUrl".into(), json!("/images/thumb"));
    }
    if has("initialCapital") {
        call.ctx.put_bool(&mut repo, "initialCapital", true);
    }
    if has("scriptDirUrl") {
        repo.insert("scriptDirUrl".into(), json!(cfg.script_path));
    }
    if has("favicon") {
        repo.insert("favicon".into(), json!(format!("{base}/favicon.ico")));
    }
    if has("canUpload") {
        call.ctx.put_bool(&mut repo, "canUpload", true);
    }
    repos.push(Value::Object(repo));
    query.insert("repos".into(), Value::Array(repos));
    Ok(())
}

pub static FILEREPOINFO: ModuleSpec = ModuleSpec {
    path: "query+filerepoinfo",
    class: "ApiQueryFileRepoInfo",
    group: Some(Group::Meta),
    prefix: "fri",
    read_rights: true,
    help: "Meta information about image repositories configured on the wiki.",
    params: &[param("prop", Type::Enum(PROPS))
        .multi()
        .default("canUpload|displayname|favicon|initialCapital|local|name|rootUrl|scriptDirUrl|thumbUrl|url")],
    ..ModuleSpec::BASE
};

/// [`FILEREPOINFO`] on a wiki with shared repositories: more properties (MediaWiki's list is
/// the union of every repository's `getInfo()` keys).
pub static FILEREPOINFO_WITH_SHARED: ModuleSpec = ModuleSpec {
    path: "query+filerepoinfo",
    class: "ApiQueryFileRepoInfo",
    group: Some(Group::Meta),
    prefix: "fri",
    read_rights: true,
    help: "Meta information about image repositories configured on the wiki.",
    params: &[param("prop", Type::Enum(PROPS_WITH_SHARED)).multi().default(
        "apiurl|articlepath|canUpload|descriptionCacheExpiry|displayname|favicon|fetchDescription|initialCapital|local|name|rootUrl|scriptDirUrl|server|thumbUrl|url",
    )],
    ..ModuleSpec::BASE
};
