//! One file per API module, each with its declarative `ModuleSpec` next to its code. The
//! registry below is the one list of modules: `action=` accepts exactly its action modules,
//! `prop`/`list`/`meta` its query submodules, and paraminfo and help describe them all.

pub mod access;
pub mod checktoken;
pub mod continuation;
pub mod help;
pub mod login;
pub mod moves;
pub mod pages;
pub mod paraminfo;
pub mod purge;
pub mod query;
pub mod upload;

use super::error::ApiResult;
use super::spec::{Group, ModuleSpec, Modules, Values};
use super::{Call, Output};

/// Every module this server runs (and the format modules), by path.
pub static REGISTRY: &[&ModuleSpec] = &[
    &super::MAIN,
    &super::FORMAT_JSON,
    &super::FORMAT_JSONFM,
    &super::FORMAT_NONE,
    &super::FORMAT_PHP,
    &super::FORMAT_PHPFM,
    &super::FORMAT_RAWFM,
    &super::FORMAT_XML,
    &super::FORMAT_XMLFM,
    &access::BLOCK,
    &checktoken::SPEC,
    &login::CLIENTLOGIN,
    &pages::DELETE,
    &pages::EDIT,
    &pages::FILEREVERT,
    &help::SPEC,
    &login::LOGIN,
    &login::LOGOUT,
    &moves::SPEC,
    &paraminfo::SPEC,
    &access::PROTECT,
    &purge::SPEC,
    &query::SPEC,
    &access::UNBLOCK,
    &pages::UNDELETE,
    &upload::SPEC,
    &access::USERRIGHTS,
    &query::TOKENS,
    &query::USERINFO,
    &query::SITEINFO,
    &query::INFO,
    &query::IMAGEINFO,
    &query::REVISIONS,
    &query::STASHIMAGEINFO,
    &query::TEMPLATES,
    &query::DUPLICATEFILES,
    &query::ALLIMAGES,
    &query::BLOCKS,
    &query::PROTECTEDTITLES,
    &query::FILEARCHIVE,
    &query::LOGEVENTS,
    &query::WATCHLISTRAW,
    &query::USERS,
    &query::IMAGEUSAGE,
    &query::FILEUSAGE,
    &query::IMAGES,
    &query::MYSTASHEDFILES,
    &query::AUTHMANAGERINFO,
    &query::FILEREPOINFO,
    &query::ALLMESSAGES,
];

pub fn by_path(path: &str) -> Option<&'static ModuleSpec> {
    REGISTRY.iter().copied().find(|m| m.path == path)
}

fn is_query_submodule(m: &ModuleSpec) -> bool {
    m.path.starts_with("query+")
}

/// The modules a submodule-valued parameter accepts, sorted by name as MediaWiki lists them.
pub fn registered(which: Modules) -> Vec<&'static ModuleSpec> {
    let mut out: Vec<&'static ModuleSpec> = REGISTRY
        .iter()
        .copied()
        .filter(|m| match which {
            Modules::Group(g @ (Group::Action | Group::Format)) => m.group == Some(g),
            Modules::Group(g) => m.group == Some(g) && is_query_submodule(m),
            Modules::Generators => m.generator && is_query_submodule(m),
            Modules::AllQuery => is_query_submodule(m),
        })
        .collect();
    out.sort_by_key(|m| m.name());
    out
}

/// The action module named `name`.
pub fn action(name: &str) -> Option<&'static ModuleSpec> {
    REGISTRY.iter().copied().find(|m| m.group == Some(Group::Action) && m.path == name)
}

pub async fn execute(module: &'static ModuleSpec, call: &mut Call<'_>, v: Values) -> ApiResult<Output> {
    match module.path {
        "block" => access::block(call, v).await,
        "checktoken" => checktoken::execute(call, v).await,
        "clientlogin" => login::clientlogin(call, v).await,
        "delete" => pages::delete(call, v).await,
        "edit" => pages::edit(call, v).await,
        "filerevert" => pages::filerevert(call, v).await,
        "unblock" => access::unblock(call, v).await,
        "undelete" => pages::undelete(call, v).await,
        "help" => Ok(Output::Raw(help::page(call, &v))),
        "login" => login::login(call, v).await,
        "logout" => login::logout(call, v).await,
        "move" => moves::execute(call, v).await,
        "paraminfo" => paraminfo::execute(call, v).await,
        "protect" => access::protect(call, v).await,
        "purge" => purge::execute(call, v).await,
        "query" => query::execute(call, v).await,
        "upload" => upload::execute(call, v).await,
        "userrights" => access::userrights(call, v).await,
        other => Err(super::error::ApiError::internal(
            "dispatch",
            format!("no handler for action {other}"),
        )),
    }
}

/// MediaWiki's `permissiondenied` for a missing right, naming the groups that hold it.
pub fn permission_denied(call: &Call<'_>, right: &str, module: &str) -> super::error::ApiError {
    crate::upload_wire::permission_denied(call.state, right).module(module)
}

/// Change tags need `applychangetags` (which tags exist is checked by parameter validation).
pub fn may_apply_tags(call: &Call<'_>, tags: &[String], module: &str) -> ApiResult<()> {
    if !tags.is_empty() && !call.caller.has("applychangetags") {
        return Err(super::error::ApiError::new(
            "tags-apply-no-permission",
            "You do not have permission to apply change tags along with your changes.",
        )
        .module(module));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Type;
    use std::collections::HashSet;

    #[test]
    fn the_registry_is_consistent() {
        let mut paths = HashSet::new();
        for m in REGISTRY {
            assert!(paths.insert(m.path), "{} registered twice", m.path);
            // Names as clients send them are unique within a module.
            let mut names = HashSet::new();
            for p in m.all_params() {
                assert!(names.insert(m.full_name(p)), "{}: {} declared twice", m.path, p.name);
                if let (Type::Enum(values), Some(d)) = (p.ty, p.default) {
                    for v in crate::params::split_multi(d) {
                        assert!(values.contains(&v.as_str()), "{}.{}: default {v} not allowed", m.path, p.name);
                    }
                }
                if let (Type::Integer { .. } | Type::Limit { .. }, Some(d)) = (p.ty, p.default) {
                    assert!(d.parse::<i64>().is_ok(), "{}.{}: default {d}", m.path, p.name);
                }
                assert!(
                    !(p.required && p.default.is_some()),
                    "{}.{}: required with a default",
                    m.path,
                    p.name
                );
            }
            // ApiBase::getFinalParams appends the token parameter last; only ApiUserrights
            // declares it itself (before `tags`), and paraminfo shows that order.
            if let Some((token, _)) = m.token()
                && m.path != "userrights"
            {
                assert!(std::ptr::eq(token, m.params.last().unwrap()), "{}: token not last", m.path);
            }
            if is_query_submodule(m) {
                assert!(matches!(m.group, Some(Group::Prop | Group::List | Group::Meta)), "{}", m.path);
            }
        }
        // Every action in the registry has a handler (no `dispatch` internal error).
        let actions: Vec<&str> = registered(Modules::Group(Group::Action)).iter().map(|m| m.path).collect();
        assert_eq!(
            actions,
            [
                "block",
                "checktoken",
                "clientlogin",
                "delete",
                "edit",
                "filerevert",
                "help",
                "login",
                "logout",
                "move",
                "paraminfo",
                "protect",
                "purge",
                "query",
                "unblock",
                "undelete",
                "upload",
                "userrights"
            ]
        );
        let formats: Vec<&str> = registered(Modules::Group(Group::Format)).iter().map(|m| m.path).collect();
        assert_eq!(formats, ["json", "jsonfm", "none", "php", "phpfm", "rawfm", "xml", "xmlfm"]);
        let generators: Vec<&str> = registered(Modules::Generators).iter().map(|m| m.path).collect();
        assert_eq!(
            generators,
            [
                "query+allimages",
                "query+duplicatefiles",
                "query+fileusage",
                "query+images",
                "query+imageusage",
                "query+templates"
            ]
        );
    }
}
