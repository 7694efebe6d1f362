//! `meta=filerepoinfo`: the file repositories this wiki uses (only the local one so far).

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

pub(super) async fn filerepoinfo(call: &mut Call<'_>, query: &mut Map<String, Value>) -> ApiResult<()> {
    let v = call.validate(&FILEREPOINFO)?;
    let wanted = v.list("prop").to_vec();
    let has = |p: &str| wanted.iter().any(|x| x == p);
    let cfg = &call.state.config;
    let base = call.ctx.base_url.clone();
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
    query.insert("repos".into(), json!([repo]));
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
