//! `meta=tokens`: MediaWiki's tokens for the session (anonymous: `+\\`).

use super::*;

pub(super) async fn tokens(call: &mut Call<'_>, query: &mut Map<String, Value>) -> ApiResult<()> {
    let v = call.validate(&TOKENS)?;
    let types = v.list("type").to_vec();
    let mut out = Map::new();
    // Anonymous CORS and JSONP answers are readable by other sites: no tokens there.
    if call.ctx.origin_star || call.ctx.callback.is_some() {
        call.ctx.warn(
            "query+tokens",
            "tokens-origin",
            "Tokens may not be obtained when the same-origin policy is not applied.",
        );
        return Ok(());
    }
    for t in types {
        let Some(salt) = token::salt_for_type(&t) else {
            continue;
        };
        let session_bound = matches!(t.as_str(), "login" | "createaccount");
        let value = if !call.caller.is_logged_in() && !session_bound {
            token::ANON_TOKEN.to_string()
        } else {
            crate::modules::login::ensure_session(call).await?;
            let secret = call.caller.secret().map(<[u8]>::to_vec).unwrap_or_default();
            token::make_token(&secret, salt, mwupload_store::time::now_unix())
        };
        out.insert(format!("{t}token"), Value::String(value));
    }
    query.insert("tokens".into(), Value::Object(out));
    Ok(())
}

pub static TOKENS: ModuleSpec = ModuleSpec {
    path: "query+tokens",
    class: "ApiQueryTokens",
    group: Some(Group::Meta),
    help: "Tokens for data-modifying actions (csrf for uploads; login for login).",
    params: &[param(
        "type",
        Type::Enum(&["createaccount", "csrf", "login", "patrol", "rollback", "userrights", "watch"]),
    )
    .default("csrf")
    .multi()
    .all("*")],
    ..ModuleSpec::BASE
};
