//! `action=login` (bot passwords and the legacy NeedToken flow), `action=clientlogin`, `action=logout`.

use crate::error::{ApiError, ApiResult};
use crate::spec::{CSRF_TOKEN, Group, ModuleSpec, Type, Values, param};
use crate::{Call, Output, session, token_is_valid};
use mwupload_core::auth::{throttle, token};
use serde_json::{Map, Value, json};

pub static LOGIN: ModuleSpec = ModuleSpec {
    path: "login",
    class: "ApiLogin",
    group: Some(Group::Action),
    prefix: "lg",
    write_rights: true,
    must_post: true,
    help: "Log in with a bot password (User@app + password) and get session cookies. Without lgtoken it answers NeedToken (legacy flow).",
    params: &[
        param("name", Type::String).help("User name (User@app for a bot password)."),
        param("password", Type::Password).sensitive(),
        param("domain", Type::String).inert(),
        param("token", Type::String)
            .sensitive()
            .help("Login token from meta=tokens&type=login."),
    ],
    ..ModuleSpec::BASE
};

pub static CLIENTLOGIN: ModuleSpec = ModuleSpec {
    path: "clientlogin",
    class: "ApiClientLogin",
    group: Some(Group::Action),
    prefix: "login",
    write_rights: true,
    must_post: true,
    help: "Log in with a main-account user name and password (the AuthManager flow, one PASS/FAIL step).",
    params: &[
        param("requests", Type::String).multi().inert(),
        param("messageformat", Type::Enum(&["html", "none", "raw", "wikitext"]))
            .default("wikitext")
            .inert(),
        param("mergerequestfields", Type::Boolean).inert(),
        param("preservestate", Type::Boolean).inert(),
        param("returnurl", Type::String).help("Return URL (required unless logincontinue)."),
        param("continue", Type::Boolean).help("Continue an earlier step."),
        param("token", Type::String).token("login"),
    ],
    // AuthManager's password-form fields, sent without the prefix.
    dynamic: &[
        param("username", Type::String),
        param("password", Type::Password).sensitive(),
        param("rememberMe", Type::Boolean).inert(),
    ],
    ..ModuleSpec::BASE
};

pub static LOGOUT: ModuleSpec = ModuleSpec {
    path: "logout",
    class: "ApiLogout",
    group: Some(Group::Action),
    must_post: true,
    help: "Log out and clear the session.",
    params: &[CSRF_TOKEN],
    ..ModuleSpec::BASE
};

/// Sensitive parameters (passwords, tokens) are refused in the query string, where they would
/// end up in logs.
fn sensitive_in_body(call: &Call<'_>, spec: &ModuleSpec) -> ApiResult<()> {
    for p in spec.all_params().filter(|p| p.sensitive) {
        let full = spec.full_name(p);
        if call.params.in_query_string(&full) {
            return Err(ApiError::new(
                "mustpostparams",
                format!("The following parameter was found in the query string, but must be in the POST body: {full}."),
            ));
        }
    }
    Ok(())
}

const WRONG_PASSWORD: &str = "Incorrect username or password entered. Please try again.";

/// Makes sure the caller has a persisted session (login tokens are bound to one), creating it.
pub async fn ensure_session(call: &mut Call<'_>) -> ApiResult<()> {
    if call.caller.session.is_some() {
        return Ok(());
    }
    let id = session::new_session_id();
    let secret = session::new_secret();
    call.state.meta.create_session(&id, &secret).await?;
    call.caller.session = call.state.meta.session(&id).await?;
    call.ctx.set_cookies.push(session::cookie_header(&id));
    Ok(())
}

/// Logs the caller's session in as `user_id` under a fresh session id (no fixation) and secret.
async fn log_in(call: &mut Call<'_>, user_id: i64, bot_app: Option<&str>) -> ApiResult<()> {
    let id = session::new_session_id();
    call.state.meta.create_session(&id, &session::new_secret()).await?;
    call.state
        .meta
        .set_session_user(&id, Some(user_id), bot_app, &session::new_secret())
        .await?;
    call.ctx.set_cookies.push(session::cookie_header(&id));
    let row = call.state.meta.session(&id).await?;
    call.caller = session::resolve(call.state, row).await?;
    Ok(())
}

/// Checks `name`/`password` as MediaWiki would for action=login: `User@app` (or password `app@secret`)
/// is a bot password; anything else a main account. Returns (user id, bot app id).
/// What a login attempt came to.
enum Auth {
    /// (user id, user name, bot app id)
    Passed(i64, String, Option<String>),
    Wrong,
    /// Refused by `$wgPasswordAttemptThrottle`; the condition's window in seconds.
    Throttled(i64),
}

async fn authenticate(call: &Call<'_>, name: &str, pass: &str) -> ApiResult<Auth> {
    let name = mwupload_core::title::display_name(name.trim()).replace('_', " ");
    // Bot password: "User@app" + secret, or "User" + "app@secret".
    let (user_name, app, secret) = if let Some((u, a)) = name.rsplit_once('@') {
        (u.to_string(), Some(a.to_string()), pass.to_string())
    } else if let Some((a, s)) = pass.split_once('@').filter(|(a, s)| !a.is_empty() && s.len() >= 32) {
        (name.clone(), Some(a.to_string()), s.to_string())
    } else {
        (name.clone(), None, pass.to_string())
    };
    let kind = if app.is_some() {
        throttle::Kind::BotPassword
    } else {
        throttle::Kind::Password
    };
    let ip = call.caller.ip;
    if let Some(wait) = throttle::attempt(call.state, kind, &user_name, ip).await? {
        return Ok(Auth::Throttled(wait));
    }
    let user = call.state.meta.user_by_name(&user_name).await?;
    let stored = match (&user, &app) {
        (Some(u), Some(app)) => call.state.meta.bot_password(u.id, app).await?.map(|bp| bp.password_hash),
        (Some(u), None) => Some(u.password_hash.clone()),
        (None, _) => None,
    };
    // Unknown names and bot passwords are checked against a dummy hash: same time as a wrong password.
    if !throttle::verify(&secret, stored.as_deref()).await {
        return Ok(Auth::Wrong);
    }
    let Some(user) = user else {
        return Ok(Auth::Wrong);
    };
    throttle::clear(call.state, kind, &user_name, ip).await?;
    Ok(Auth::Passed(user.id, user.name, app))
}

/// A failed login's `reason`: a string in errorformat bc, else `{code, text}`.
fn reason(call: &Call<'_>, code: &str, text: &str) -> Value {
    if call.ctx.errorformat == crate::envelope::ErrorFormat::Bc {
        json!(text)
    } else {
        json!({"code": code, "text": text})
    }
}

pub async fn login(call: &mut Call<'_>, v: Values) -> ApiResult<Output> {
    sensitive_in_body(call, &LOGIN)?;
    let name = v.str("name").unwrap_or("").to_string();
    let pass = v.str("password").unwrap_or("").to_string();
    let mut out = Map::new();
    let tok = v.str("token").map(String::from);
    let result: Value = match tok {
        None => {
            // Legacy two-step flow (nodemw and friends): hand out a login token.
            ensure_session(call).await?;
            let secret = call.caller.secret().map(<[u8]>::to_vec).unwrap_or_default();
            call.ctx.warn(
                "main",
                "deprecated",
                "Fetching a token via \"action=login\" is deprecated. Use \"action=query&meta=tokens&type=login\" instead.",
            );
            json!({"result": "NeedToken", "token": token::make_token(&secret, "login", mwupload_store::time::now_unix())})
        }
        Some(t) if !token_is_valid(&call.caller, "login", &t) => json!({"result": "WrongToken"}),
        Some(_) => match authenticate(call, &name, &pass).await? {
            Auth::Passed(uid, uname, bot) => {
                if bot.is_none() {
                    call.ctx.warn(
                        "login",
                        "deprecated",
                        "Main-account login via \"action=login\" is deprecated and may stop working without warning. To continue login with \"action=login\", see [[Special:BotPasswords]]. To safely continue using main-account login, see \"action=clientlogin\".",
                    );
                }
                log_in(call, uid, bot.as_deref()).await?;
                json!({"result": "Success", "lguserid": uid, "lgusername": uname})
            }
            Auth::Wrong => json!({"result": "Failed", "reason": reason(call, "wrongpassword", WRONG_PASSWORD)}),
            Auth::Throttled(wait) => {
                json!({"result": "Failed", "reason": reason(call, "login-throttled", &throttle::message(wait))})
            }
        },
    };
    out.insert("login".into(), result);
    Ok(Output::Json(out))
}

pub async fn clientlogin(call: &mut Call<'_>, v: Values) -> ApiResult<Output> {
    sensitive_in_body(call, &CLIENTLOGIN)?;
    if !v.flag("continue") && v.str("returnurl").is_none() {
        return Err(ApiError::new(
            "missingparam",
            "Either the \"loginreturnurl\" or the \"logincontinue\" parameter must be set.",
        )
        .module("clientlogin"));
    }
    let name = v.str("username").unwrap_or("").to_string();
    let pass = v.str("password").unwrap_or("").to_string();
    let mut out = Map::new();
    // clientlogin is the main-account path: bot-password names are not accepted here.
    let ok = if name.contains('@') {
        Auth::Wrong
    } else {
        authenticate(call, &name, &pass).await?
    };
    let result = match ok {
        Auth::Passed(uid, uname, None) => {
            log_in(call, uid, None).await?;
            json!({"status": "PASS", "username": uname})
        }
        Auth::Throttled(wait) => json!({"status": "FAIL", "message": throttle::message(wait), "messagecode": "login-throttled"}),
        _ => json!({"status": "FAIL", "message": WRONG_PASSWORD, "messagecode": "wrongpassword"}),
    };
    out.insert("clientlogin".into(), result);
    Ok(Output::Json(out))
}

pub async fn logout(call: &mut Call<'_>, _v: Values) -> ApiResult<Output> {
    if let Some(s) = &call.caller.session {
        if call.caller.user.is_none() {
            call.ctx.warn("logout", "notloggedin", "You must be logged in.");
        }
        call.state.meta.set_session_user(&s.id, None, None, &session::new_secret()).await?;
    }
    Ok(Output::Json(Map::new()))
}
