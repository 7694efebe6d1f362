//! `action=checktoken`: whether a token is valid for this session (tools check a cached token
//! before a long upload instead of failing at the end).

use super::pages::out;
use crate::error::ApiResult;
use crate::spec::{Group, ModuleSpec, Type, Values, param};
use crate::{Call, Output};
use mwupload_core::auth::token;
use serde_json::{Map, json};

pub async fn execute(call: &mut Call<'_>, v: Values) -> ApiResult<Output> {
    const M: &str = "checktoken";
    let kind = v.str("type").unwrap_or("csrf").to_string();
    let value = v.str("token").unwrap_or("").to_string();
    let max_age = v.int("maxtokenage");
    // `+\\` sent unencoded in a URL arrives as ` \\` (MediaWiki compares with urldecode(SUFFIX)).
    if value.ends_with(" \\") {
        call.ctx.warn(
            M,
            "checktoken-percentencoding",
            "Check that symbols such as \"+\" in the token are properly percent-encoded in the URL.",
        );
    }
    let valid_now = crate::token_is_valid_aged(&call.caller, &kind, &value, max_age);
    let result = if valid_now {
        "valid"
    } else if max_age.is_some() && crate::token_is_valid(&call.caller, &kind, &value) {
        "expired"
    } else {
        "invalid"
    };
    let mut m = Map::new();
    m.insert("result".into(), json!(result));
    if let Some(ts) = token::token_timestamp(&value) {
        m.insert("generated".into(), json!(mwupload_store::time::unix_to_iso(ts as i64)));
    }
    Ok(out(M, m))
}

pub static SPEC: ModuleSpec = ModuleSpec {
    path: "checktoken",
    class: "ApiCheckToken",
    group: Some(Group::Action),
    read_rights: true,
    help: "Check the validity of a token from action=query&meta=tokens.",
    params: &[
        param(
            "type",
            Type::Enum(&["createaccount", "csrf", "login", "patrol", "rollback", "userrights", "watch"]),
        )
        .required(),
        param("token", Type::String).required().sensitive(),
        param("maxtokenage", Type::Integer { min: None, max: None }),
    ],
    ..ModuleSpec::BASE
};
