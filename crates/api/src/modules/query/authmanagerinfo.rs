//! `meta=authmanagerinfo`: what login needs (clients such as mwn and pywikibot build their
//! clientlogin form from it).

use super::*;

pub(super) async fn authmanagerinfo(call: &mut Call<'_>, query: &mut Map<String, Value>) -> ApiResult<()> {
    let v = call.validate(&AUTHMANAGERINFO)?;
    // A bot-password session cannot re-authenticate (BotPasswordSessionProvider), and then
    // security-sensitive operations are allowed ($wgAllowSecuritySensitiveOperationIfCannotReauthenticate).
    let bot_session = call.caller.bot_app.is_some();
    let mut m = Map::new();
    call.ctx.put_bool(&mut m, "canauthenticatenow", !bot_session);
    // Accounts are created by the operator (`mwupload user create`); there is no createaccount module.
    call.ctx.put_bool(&mut m, "cancreateaccounts", false);
    call.ctx.put_bool(&mut m, "canlinkaccounts", false);
    if v.str("securitysensitiveoperation").is_some() {
        // MediaWiki allows a freshly authenticated session ($wgReauthenticateTime); sessions here
        // do not record when they authenticated, so they are asked to re-authenticate.
        m.insert(
            "securitysensitiveoperationstatus".into(),
            json!(if bot_session { "ok" } else { "reauth" }),
        );
    }
    if let Some(action) = v.str("requestsfor") {
        call.ctx.put_bool(&mut m, "haspreservedstate", false);
        call.ctx.put_bool(&mut m, "hasprimarypreservedstate", false);
        m.insert("preservedusername".into(), json!(""));
        let mut requests = if action == "login" { login_requests(call) } else { Vec::new() };
        if v.flag("mergerequestfields") {
            // The requests without their fields, then all fields merged (ApiAuthManagerHelper).
            let mut fields = Map::new();
            for r in &mut requests {
                if let Some(Value::Object(f)) = r.as_object_mut().and_then(|r| r.remove("fields")) {
                    fields.extend(f);
                }
            }
            m.insert("requests".into(), Value::Array(requests));
            m.insert("fields".into(), Value::Object(fields));
        } else {
            m.insert("requests".into(), Value::Array(requests));
        }
    }
    if !call.ctx.fv2
        && let Some(name) = m.remove("preservedusername")
    {
        // Where MediaWiki 1.39's formatversion=1 output puts it (recorded).
        m.insert("preservedusername".into(), name);
    }
    query.insert("authmanagerinfo".into(), Value::Object(m));
    Ok(())
}

/// The password and remember-me requests of MediaWiki's default login providers.
fn login_requests(call: &Call<'_>) -> Vec<Value> {
    let field = |ty: &str, label: &str, help: &str, optional: bool, sensitive: bool| {
        let mut f = Map::new();
        f.insert("type".into(), json!(ty));
        f.insert("label".into(), json!(label));
        f.insert("help".into(), json!(help));
        call.ctx.put_bool(&mut f, "optional", optional);
        call.ctx.put_bool(&mut f, "sensitive", sensitive);
        Value::Object(f)
    };
    let request = |id: &str, required: &str, provider: &str, account: &str, fields: Map<String, Value>| {
        let mut r = Map::new();
        r.insert("id".into(), json!(id));
        r.insert("metadata".into(), json!({}));
        r.insert("required".into(), json!(required));
        r.insert("provider".into(), json!(provider));
        r.insert("account".into(), json!(account));
        r.insert("fields".into(), Value::Object(fields));
        Value::Object(r)
    };
    let mut password = Map::new();
    password.insert(
        "username".into(),
        field("string", "Username", "Username for authentication.", false, false),
    );
    password.insert(
        "password".into(),
        field("password", "Password", "Password for authentication.", false, true),
    );
    let mut remember = Map::new();
    remember.insert(
        "rememberMe".into(),
        field(
            "checkbox",
            "Keep me logged in",
            "Whether the password should be remembered for longer than the length of the session.",
            true,
            false,
        ),
    );
    let remember_id = "MediaWiki\\Auth\\RememberMeAuthenticationRequest";
    vec![
        request(
            "MediaWiki\\Auth\\PasswordAuthenticationRequest",
            "primary-required",
            "Password-based authentication",
            "",
            password,
        ),
        request(remember_id, "optional", remember_id, remember_id, remember),
    ]
}

pub static AUTHMANAGERINFO: ModuleSpec = ModuleSpec {
    path: "query+authmanagerinfo",
    class: "ApiQueryAuthManagerInfo",
    group: Some(Group::Meta),
    prefix: "ami",
    help: "Information about the current authentication status.",
    params: &[
        param("securitysensitiveoperation", Type::String),
        param(
            "requestsfor",
            Type::Enum(&[
                "change",
                "create",
                "create-continue",
                "link",
                "link-continue",
                "login",
                "login-continue",
                "remove",
                "unlink",
            ]),
        ),
        param("mergerequestfields", Type::Boolean),
        param("messageformat", Type::Enum(&["html", "none", "raw", "wikitext"])).default("wikitext"),
    ],
    ..ModuleSpec::BASE
};
