//! `meta=userinfo`: the caller's name, groups and rights.

use super::*;

/// The anonymous caller's name: their address, as MediaWiki shows it.
pub(super) fn client_ip(call: &Call<'_>) -> String {
    call.caller.ip.map(|ip| ip.to_string()).unwrap_or_else(|| "127.0.0.1".into())
}

pub(super) async fn userinfo(call: &mut Call<'_>, query: &mut Map<String, Value>) -> ApiResult<()> {
    let v = call.validate(&USERINFO)?;
    let props = v.list("prop").to_vec();
    let block = if props.iter().any(|p| p == "blockinfo") {
        mwupload_core::access::any_block(call.state, &call.caller).await?
    } else {
        None
    };
    let c = &call.caller;
    let mut u = Map::new();
    u.insert("id".into(), json!(c.user_id()));
    match &c.user {
        Some(user) => {
            u.insert("name".into(), json!(user.name));
        }
        None => {
            u.insert("name".into(), json!(client_ip(call)));
            u.insert("anon".into(), call.ctx.true_value());
        }
    }
    // MediaWiki puts the block details right after the name.
    if let Some(b) = &block {
        for (k, val) in crate::upload_wire::block_info(b) {
            match val {
                Value::Bool(flag) => call.ctx.put_bool(&mut u, &k, flag),
                other => {
                    u.insert(k, other);
                }
            }
        }
    }
    for prop in &props {
        match prop.as_str() {
            "groups" => {
                u.insert("groups".into(), json!(c.groups));
            }
            "implicitgroups" => {
                let implicit: Vec<&String> = c
                    .groups
                    .iter()
                    .filter(|g| ["*", "user", "autoconfirmed"].contains(&g.as_str()))
                    .collect();
                u.insert("implicitgroups".into(), json!(implicit));
            }
            "groupmemberships" => {
                let explicit: Vec<Value> = c
                    .user
                    .iter()
                    .flat_map(|x| x.memberships.iter())
                    .map(|m| json!({"group": m.group, "expiry": mwupload_core::access::iso_or(&m.expiry, "infinity")}))
                    .collect();
                let mut explicit = explicit;
                explicit.sort_by(|a, b| a["group"].as_str().cmp(&b["group"].as_str()));
                u.insert("groupmemberships".into(), Value::Array(explicit));
            }
            "rights" => {
                u.insert("rights".into(), json!(c.rights));
            }
            "editcount" if c.is_logged_in() => {
                u.insert("editcount".into(), json!(call.state.meta.edit_count(c.user_id()).await?));
            }
            "ratelimits" => {
                u.insert("ratelimits".into(), rate_limits(call.state, c, true));
            }
            "theoreticalratelimits" => {
                u.insert("theoreticalratelimits".into(), rate_limits(call.state, c, false));
            }
            "registrationdate" => {
                if let Some(user) = &c.user {
                    u.insert("registrationdate".into(), json!(mwupload_store::time::ts_to_iso(&user.registered)));
                }
            }
            "realname" => {
                u.insert("realname".into(), json!(""));
            }
            "email" => {
                u.insert("email".into(), json!(""));
            }
            "options" => {
                u.insert("options".into(), json!({}));
            }
            "cancreateaccount" => {
                call.ctx.put_bool(&mut u, "cancreateaccount", false);
            }
            "blockinfo" | "hasmsg" | "changeablegroups" | "acceptlang" | "unreadcount" | "centralids" | "latestcontrib" => {}
            _ => {}
        }
    }
    query.insert("userinfo".into(), Value::Object(u));
    Ok(())
}

pub static USERINFO: ModuleSpec = ModuleSpec {
    path: "query+userinfo",
    class: "ApiQueryUserInfo",
    group: Some(Group::Meta),
    prefix: "ui",
    read_rights: true,
    help: "The current user: name, id, groups, rights.",
    params: &[param(
        "prop",
        Type::Enum(&[
            "acceptlang",
            "blockinfo",
            "centralids",
            "changeablegroups",
            "editcount",
            "email",
            "groupmemberships",
            "groups",
            "hasmsg",
            "implicitgroups",
            "latestcontrib",
            "options",
            "ratelimits",
            "realname",
            "registrationdate",
            "rights",
            "theoreticalratelimits",
            "unreadcount",
        ]),
    )
    .multi()
    .all("*")],
    ..ModuleSpec::BASE
};

/// `ApiQueryUserInfo::getRateLimits`: the `$wgRateLimits` entries that apply to the caller
/// (`anon` or `user`; `ip`, `subnet` and `newbie` for new users; the explicit groups), as
/// `{action: {kind: {hits, seconds}}}`; nothing for `noratelimit` unless `theoretical`.
fn rate_limits(state: &mwupload_core::SharedState, c: &mwupload_core::auth::Caller, apply_noratelimit: bool) -> Value {
    let mut out = Map::new();
    if apply_noratelimit && c.has("noratelimit") {
        return Value::Object(out);
    }
    let mut cats: Vec<String> = vec![if c.is_logged_in() { "user".into() } else { "anon".into() }];
    if !c.has("autoconfirmed") {
        cats.extend(["ip".to_string(), "subnet".to_string()]);
        if c.is_logged_in() {
            cats.push("newbie".into());
        }
    }
    cats.extend(c.user.iter().flat_map(|u| u.groups.iter().cloned()));
    for (action, limits) in &state.config.rate_limits {
        let mut a = Map::new();
        for cat in &cats {
            if let Some([hits, seconds]) = limits.get(cat) {
                a.insert(cat.clone(), serde_json::json!({"hits": hits, "seconds": seconds}));
            }
        }
        if !a.is_empty() {
            out.insert(action.clone(), Value::Object(a));
        }
    }
    Value::Object(out)
}
