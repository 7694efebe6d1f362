//! `list=users`: what is known about named users (upload tools check their own account with it
//! right after login).

use super::*;
use mwupload_core::auth::{Caller, username};

pub(super) async fn users(call: &mut Call<'_>, query: &mut Map<String, Value>) -> ApiResult<()> {
    let module = "query+users";
    let v = call.validate(&USERS)?;
    let by_name = call.params.peek(&v.full_name("users")).is_some();
    if by_name && call.params.peek(&v.full_name("userids")).is_some() {
        return Err(ApiError::cannot_use_together(&["ususers".into(), "ususerids".into()], module));
    }
    let props: Vec<String> = v.list("prop").to_vec();
    let has = |p: &str| props.iter().any(|x| x == p);
    let mut list = Vec::new();
    // Invalid names come first, as MediaWiki reports them while canonicalizing.
    let mut good = Vec::new();
    for raw in v.list("users") {
        match username::canonical(raw) {
            Some(name) => good.push(name),
            None => list.push(json!({"name": raw, "invalid": true})),
        }
    }
    let wanted: Vec<Result<String, i64>> = if by_name {
        good.into_iter().map(Ok).collect()
    } else {
        v.ints("userids").iter().map(|id| Err(*id)).collect()
    };
    let now = mwupload_store::time::now_ts();
    for want in wanted {
        let row = match &want {
            Ok(name) => call.state.meta.user_by_name(name).await?,
            Err(id) => call.state.meta.user_by_id(*id).await?,
        };
        let Some(user) = row else {
            let mut m = Map::new();
            match want {
                Ok(name) => {
                    m.insert("name".into(), json!(name));
                    call.ctx.put_bool(&mut m, "missing", true);
                    if has("cancreate") {
                        // The name is free and valid: an account creator could create it.
                        call.ctx.put_bool(&mut m, "cancreate", true);
                    }
                }
                Err(id) => {
                    m.insert("userid".into(), json!(id));
                    call.ctx.put_bool(&mut m, "missing", true);
                }
            }
            list.push(Value::Object(m));
            continue;
        };
        let subject = Caller::for_user(call.state, user.id, None).await?;
        let mut m = Map::new();
        m.insert("userid".into(), json!(user.id));
        m.insert("name".into(), json!(user.name));
        if has("editcount") {
            m.insert("editcount".into(), json!(call.state.meta.edit_count(user.id).await?));
        }
        if has("registration") {
            m.insert("registration".into(), json!(mwupload_store::time::ts_to_iso(&user.registered)));
        }
        if has("groups") {
            m.insert("groups".into(), json!(subject.groups));
        }
        if has("groupmemberships") {
            let explicit: Vec<Value> = user
                .memberships
                .iter()
                .map(|g| json!({"group": g.group, "expiry": mwupload_core::access::iso_or(&g.expiry, "infinity")}))
                .collect();
            let mut explicit = explicit;
            explicit.sort_by(|a, b| a["group"].as_str().cmp(&b["group"].as_str()));
            m.insert("groupmemberships".into(), Value::Array(explicit));
        }
        if has("implicitgroups") {
            let implicit: Vec<&String> = subject
                .groups
                .iter()
                .filter(|g| ["*", "user", "autoconfirmed"].contains(&g.as_str()))
                .collect();
            m.insert("implicitgroups".into(), json!(implicit));
        }
        if has("rights") {
            m.insert("rights".into(), json!(subject.rights));
        }
        if has("blockinfo") {
            let blocks = call.state.meta.blocks_against(Some(user.id), None, &now).await?;
            if let Some(b) = blocks.first() {
                let info = mwupload_core::access::BlockInfo::from(b);
                for (k, val) in crate::upload_wire::block_info(&info) {
                    match val {
                        Value::Bool(flag) => call.ctx.put_bool(&mut m, &k, flag),
                        other => {
                            m.insert(k, other);
                        }
                    }
                }
            }
        }
        if has("emailable") {
            call.ctx.put_bool(&mut m, "emailable", false);
        }
        if has("gender") {
            m.insert("gender".into(), json!("unknown"));
        }
        if has("centralids") {
            m.insert("centralids".into(), json!({"local": user.id}));
            let attached = call.ctx.true_value();
            m.insert("attachedlocal".into(), json!({"local": attached}));
            if v.str("attachedwiki").is_some_and(|w| !w.is_empty()) {
                m.insert("attachedwiki".into(), json!({"local": false}));
            }
        }
        list.push(Value::Object(m));
    }
    query.insert("users".into(), Value::Array(list));
    Ok(())
}

pub static USERS: ModuleSpec = ModuleSpec {
    path: "query+users",
    class: "ApiQueryUsers",
    group: Some(Group::List),
    prefix: "us",
    read_rights: true,
    help: "Information about a list of users.",
    params: &[
        param(
            "prop",
            Type::Enum(&[
                "blockinfo",
                "cancreate",
                "centralids",
                "editcount",
                "emailable",
                "gender",
                "groupmemberships",
                "groups",
                "implicitgroups",
                "registration",
                "rights",
            ]),
        )
        .multi(),
        param("attachedwiki", Type::String),
        param("users", Type::String).multi(),
        param("userids", Type::Integer { min: None, max: None }).multi(),
    ],
    ..ModuleSpec::BASE
};
