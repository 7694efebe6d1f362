//! One file per API module. `lookup` gives what ApiMain needs before running a module (token
//! type, POST requirement); `execute` runs it.

pub mod help;
pub mod login;
pub mod pages;
pub mod paraminfo;
pub mod query;
pub mod upload;

use super::error::ApiResult;
use super::{Call, Output};

pub struct ModuleInfo {
    pub name: &'static str,
    /// Token type checked by ApiMain before the module runs, and the parameter carrying it.
    pub token: Option<&'static str>,
    pub token_param: &'static str,
    pub must_post: bool,
}

/// The action modules this server implements.
pub const ACTIONS: &[ModuleInfo] = &[
    ModuleInfo {
        name: "clientlogin",
        token: Some("login"),
        token_param: "logintoken",
        must_post: true,
    },
    ModuleInfo {
        name: "delete",
        token: Some("csrf"),
        token_param: "token",
        must_post: true,
    },
    ModuleInfo {
        name: "edit",
        token: Some("csrf"),
        token_param: "token",
        must_post: true,
    },
    ModuleInfo {
        name: "filerevert",
        token: Some("csrf"),
        token_param: "token",
        must_post: true,
    },
    ModuleInfo {
        name: "help",
        token: None,
        token_param: "token",
        must_post: false,
    },
    ModuleInfo {
        name: "login",
        token: None,
        token_param: "lgtoken",
        must_post: true,
    },
    ModuleInfo {
        name: "logout",
        token: Some("csrf"),
        token_param: "token",
        must_post: true,
    },
    ModuleInfo {
        name: "paraminfo",
        token: None,
        token_param: "token",
        must_post: false,
    },
    ModuleInfo {
        name: "query",
        token: None,
        token_param: "token",
        must_post: false,
    },
    ModuleInfo {
        name: "undelete",
        token: Some("csrf"),
        token_param: "token",
        must_post: true,
    },
    ModuleInfo {
        name: "upload",
        token: Some("csrf"),
        token_param: "token",
        must_post: true,
    },
];

pub fn lookup(action: &str) -> Option<&'static ModuleInfo> {
    ACTIONS.iter().find(|m| m.name == action)
}

pub async fn execute(name: &str, call: &mut Call<'_>) -> ApiResult<Output> {
    match name {
        "clientlogin" => login::clientlogin(call).await,
        "delete" => pages::delete(call).await,
        "edit" => pages::edit(call).await,
        "filerevert" => pages::filerevert(call).await,
        "undelete" => pages::undelete(call).await,
        "help" => Ok(Output::Raw(help::page(call))),
        "login" => login::login(call).await,
        "logout" => login::logout(call).await,
        "paraminfo" => paraminfo::execute(call).await,
        "query" => query::execute(call).await,
        "upload" => upload::execute(call).await,
        _ => Err(super::error::ApiError::new(
            "badvalue",
            format!("Unrecognized value for parameter \"action\": {name}."),
        )),
    }
}

/// MediaWiki's `permissiondenied` for a missing right, naming the groups that hold it
/// (its `badaccess-groups` message).
pub fn permission_denied(call: &Call<'_>, right: &str, module: &str) -> super::error::ApiError {
    let site = &call.state.config.sitename;
    let names: Vec<String> = crate::auth::rights::groups_with_right(&call.state.permissions, right)
        .iter()
        .map(|g| {
            let page = group_page(g);
            format!("[[{site}:{page}|{page}]]")
        })
        .collect();
    let info = if names.len() == 1 {
        format!("The action you have requested is limited to users in the group: {}.", names[0])
    } else {
        format!(
            "The action you have requested is limited to users in one of the groups: {}.",
            names.join(", ")
        )
    };
    super::error::ApiError::new("permissiondenied", info).module(module)
}

/// The project page MediaWiki links for a group.
fn group_page(g: &str) -> String {
    match g {
        "user" => "Users".into(),
        "sysop" => "Administrators".into(),
        "bot" => "Bots".into(),
        "bureaucrat" => "Bureaucrats".into(),
        "autoconfirmed" => "Autoconfirmed users".into(),
        other => other.to_string(),
    }
}
