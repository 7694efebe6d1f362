//! Who may upload what, on the wire: `action=protect`, `action=block`, `action=unblock` and
//! `action=userrights` (MediaWiki's ApiProtect, ApiBlock, ApiUnblock, ApiUserrights). The policy
//! (expiries, log entries, what a level or block means) is `mwupload_core::access`.

use super::pages::{apply_watchlist, need, out, page_target, tags_allowed};
use crate::error::{ApiError, ApiResult};
use crate::spec::{CSRF_TOKEN, Group, ModuleSpec, ParamSpec, Type, Values, param};
use crate::{Call, Output};
use mwupload_core::access::{self, ExpiryError, NewBlock, ProtectionChange, iso_or};
use mwupload_store::{BlockKey, BlockTarget, GroupMembership};
use serde_json::{Map, Value, json};

const WATCHLIST: ParamSpec = param("watchlist", Type::Enum(&["nochange", "preferences", "unwatch", "watch"])).default("preferences");

pub static PROTECT: ModuleSpec = ModuleSpec {
    path: "protect",
    class: "ApiProtect",
    group: Some(Group::Action),
    read_rights: true,
    write_rights: true,
    must_post: true,
    help: "Change the protection level of a page (edit, move, upload), or create protection of a title with no page.",
    params: &[
        param("title", Type::String).help("Title of the page to (un)protect."),
        param("pageid", Type::Integer { min: None, max: None }).help("ID of the page to (un)protect."),
        param("protections", Type::String)
            .required()
            .multi()
            .help("List of protection levels, formatted action=level (e.g. edit=sysop); level all removes it."),
        param("expiry", Type::String)
            .multi()
            .allow_duplicates()
            .default("infinite")
            .help("Expiry timestamps: one for all protections, or one per protection."),
        param("reason", Type::String).default("").help("Reason for (un)protecting."),
        param("tags", Type::Tags).multi().help("Change tags for the protection log entry."),
        param("cascade", Type::Boolean).help("Enable cascading protection (recorded; not expanded through transclusions here)."),
        param("watch", Type::Boolean).deprecated().help("Watch the page."),
        WATCHLIST,
        CSRF_TOKEN,
    ],
    ..ModuleSpec::BASE
};

pub static BLOCK: ModuleSpec = ModuleSpec {
    path: "block",
    class: "ApiBlock",
    group: Some(Group::Action),
    read_rights: true,
    write_rights: true,
    must_post: true,
    help: "Block a user, an IP address or an IP range, sitewide or from some pages and namespaces.",
    params: &[
        param("user", Type::User(&["name", "ip", "cidr", "id"])).help("User, IP address or IP range to block."),
        param("userid", Type::Integer { min: None, max: None })
            .deprecated()
            .help("User ID to block."),
        param("expiry", Type::String)
            .default("never")
            .help("Expiry time: relative (5 months, 2 weeks) or absolute; infinite, indefinite or never for a block that does not expire."),
        param("reason", Type::String).default("").help("Reason for block."),
        param("anononly", Type::Boolean).help("Block anonymous users only (IP targets)."),
        param("nocreate", Type::Boolean).help("Prevent account creation."),
        param("autoblock", Type::Boolean)
            .inert()
            .help("Automatically block the last used IP address (recorded only)."),
        param("noemail", Type::Boolean).help("Prevent the user from sending email (recorded only)."),
        param("hidename", Type::Boolean).help("Hide the username from the block log (needs hideuser)."),
        param("allowusertalk", Type::Boolean).help("Allow the user to edit their own talk page."),
        param("reblock", Type::Boolean).help("If the user is already blocked, overwrite the existing block."),
        param("watchuser", Type::Boolean).help("Watch the user's user and talk pages."),
        param("tags", Type::Tags).multi().help("Change tags for the block log entry."),
        param("partial", Type::Boolean).help("Block from specific pages or namespaces rather than the entire site."),
        param("pagerestrictions", Type::Title { must_exist: true })
            .multi()
            .multi_limits(10, 10)
            .help("Pages to block the user from editing (with partial)."),
        param("namespacerestrictions", Type::Namespace { extra: &[] })
            .multi()
            .all("*")
            .help("Namespaces to block the user from editing (with partial)."),
        CSRF_TOKEN,
    ],
    ..ModuleSpec::BASE
};

pub static UNBLOCK: ModuleSpec = ModuleSpec {
    path: "unblock",
    class: "ApiUnblock",
    group: Some(Group::Action),
    read_rights: true,
    write_rights: true,
    must_post: true,
    help: "Unblock a user, an IP address or an IP range.",
    params: &[
        param("id", Type::Integer { min: None, max: None }).help("ID of the block to unblock."),
        param("user", Type::User(&["name", "ip", "cidr", "id"])).help("User, IP address or IP range to unblock."),
        param("userid", Type::Integer { min: None, max: None })
            .deprecated()
            .help("User ID to unblock."),
        param("reason", Type::String).default("").help("Reason for unblock."),
        param("tags", Type::Tags).multi().help("Change tags for the block log entry."),
        CSRF_TOKEN,
    ],
    ..ModuleSpec::BASE
};

pub static USERRIGHTS: ModuleSpec = ModuleSpec {
    path: "userrights",
    class: "ApiUserrights",
    group: Some(Group::Action),
    read_rights: true,
    write_rights: true,
    must_post: true,
    help: "Change a user's group membership.",
    params: &[
        param("user", Type::User(&["name", "id"])).help("User."),
        param("userid", Type::Integer { min: None, max: None })
            .deprecated()
            .help("User ID."),
        param("add", Type::Enum(&["bot", "bureaucrat", "interface-admin", "suppress", "sysop"]))
            .multi()
            .help("Add the user to these groups."),
        param("expiry", Type::String)
            .multi()
            .allow_duplicates()
            .default("infinite")
            .help("Expiry timestamps: one for all added groups, or one per group."),
        param("remove", Type::Enum(&["bot", "bureaucrat", "interface-admin", "suppress", "sysop"]))
            .multi()
            .help("Remove the user from these groups."),
        param("reason", Type::String).default("").help("Reason for the change."),
        param("token", Type::String).token("userrights"),
        param("tags", Type::Tags).multi().help("Change tags for the user rights log entry."),
    ],
    ..ModuleSpec::BASE
};

fn expiry_error(e: ExpiryError, module: &str) -> ApiError {
    match e {
        ExpiryError::Invalid(t) => ApiError::new("invalidexpiry", format!("Invalid expiry time \"{t}\".")).module(module),
        ExpiryError::Past(t) => ApiError::new("pastexpiry", format!("Expiry time \"{t}\" is in the past.")).module(module),
    }
}

fn now_unix() -> i64 {
    mwupload_store::time::now_unix()
}

/// Expiries for `n` items: one for all, or one each (`toofewexpiries` otherwise).
fn expiries(v: &Values, n: usize, module: &str) -> ApiResult<Vec<Option<String>>> {
    let given = v.list("expiry").to_vec();
    let given = if given.is_empty() { vec!["infinite".to_string()] } else { given };
    let per_item: Vec<String> = match given.len() {
        1 => vec![given[0].clone(); n],
        k if k == n => given,
        k => {
            return Err(ApiError::new(
                "toofewexpiries",
                format!("{k} expiry timestamps were provided where {n} were needed."),
            )
            .module(module));
        }
    };
    per_item
        .iter()
        .map(|e| access::parse_expiry(e, now_unix()).map_err(|err| expiry_error(err, module)))
        .collect()
}

/// A blocked performer may not protect, block or unblock (MediaWiki's `ipbblocked` and
/// PermissionManager's block check).
async fn refuse_if_blocked(call: &Call<'_>, module: &str) -> ApiResult<()> {
    if let Some(b) = access::sitewide_block(call.state, &call.caller).await? {
        return Err(crate::upload_wire::blocked(&b).module(module));
    }
    Ok(())
}

pub async fn protect(call: &mut Call<'_>, v: Values) -> ApiResult<Output> {
    const M: &str = "protect";
    let (ns, key) = page_target(call, v.str("title"), v.int("pageid"), M).await?;
    need(call, "protect", M)?;
    refuse_if_blocked(call, M).await?;
    let tags = tags_allowed(call, &v, M)?;
    let page_exists = call.state.meta.page(ns, &key).await?.is_some();
    let types = access::restriction_types(ns, page_exists);
    let requested = v.list("protections").to_vec();
    let expiry_list = expiries(&v, requested.len(), M)?;
    let mut changes: Vec<ProtectionChange> = Vec::new();
    for (raw, expiry) in requested.iter().zip(expiry_list) {
        let (kind, level) = raw.split_once('=').unwrap_or((raw.as_str(), ""));
        if !types.contains(&kind) && kind != "create" {
            return Err(ApiError::new("protect-invalidaction", format!("Invalid protection type \"{kind}\".")).module(M));
        }
        if kind == "create" && page_exists {
            return Err(ApiError::new("create-titleexists", "Existing titles can't be protected with \"create\".").module(M));
        }
        if kind != "create" && !page_exists {
            return Err(ApiError::new("missingtitle-createonly", "Missing titles can only be protected with \"create\".").module(M));
        }
        if level != "all" && !access::LEVELS.contains(&level) {
            return Err(ApiError::new("protect-invalidlevel", format!("Invalid protection level \"{level}\".")).module(M));
        }
        let level = if level == "all" { "" } else { level };
        changes.push(ProtectionChange {
            kind: kind.to_string(),
            level: level.to_string(),
            expiry: if level.is_empty() { None } else { expiry },
        });
    }
    // Types not named lose their protection, as in MediaWiki's doUpdateRestrictions.
    let mut applied = changes.clone();
    for t in types {
        if !applied.iter().any(|c| c.kind == *t) {
            applied.push(ProtectionChange {
                kind: t.to_string(),
                level: String::new(),
                expiry: None,
            });
        }
    }
    let reason = v.str("reason").unwrap_or("").to_string();
    let cascade = v.flag("cascade");
    let request = access::ProtectRequest {
        ns,
        title: &key,
        page_exists,
        changes: &applied,
        cascade,
        reason: &reason,
        tags: &tags,
    };
    access::protect(call.state, &call.caller, &request).await?;
    apply_watchlist(call, &v, &PROTECT, ns, &key, None).await?;
    let mut m = Map::new();
    m.insert("title".into(), json!(mwupload_core::title::PageTitle { ns, db_key: key }.display()));
    m.insert("reason".into(), json!(reason));
    if cascade {
        call.ctx.put_bool(&mut m, "cascade", true);
    }
    let shown: Vec<Value> = changes
        .iter()
        .map(|c| {
            let mut e = Map::new();
            e.insert(c.kind.clone(), json!(c.level));
            e.insert("expiry".into(), json!(iso_or(&c.expiry, "infinite")));
            Value::Object(e)
        })
        .collect();
    m.insert("protections".into(), Value::Array(shown));
    Ok(out(M, m))
}

/// `user=` of block/unblock: a registered user (by name or `#id`), an address or a range.
async fn block_target(call: &Call<'_>, v: &Values, module: &str) -> ApiResult<BlockTarget> {
    let by_id = |id: i64| async move { call.state.meta.user_by_id(id).await };
    let raw = match (v.str("user"), v.int("userid")) {
        (Some(u), None) => u.trim().to_string(),
        (None, Some(id)) => match by_id(id).await? {
            Some(u) => return Ok(BlockTarget::User { id: u.id, name: u.name }),
            None => return Err(ApiError::no_such_user_id(id).module(module)),
        },
        (Some(_), Some(_)) => return Err(ApiError::cannot_use_together(&["user".into(), "userid".into()], module)),
        (None, None) => {
            return Err(ApiError::missingparam_one_of(&["user", "userid"], "main").module(module));
        }
    };
    if let Some(t) = access::parse_address_target(&raw) {
        return Ok(t);
    }
    if let Some(id) = raw.strip_prefix('#').and_then(|n| n.parse::<i64>().ok())
        && let Some(u) = by_id(id).await?
    {
        return Ok(BlockTarget::User { id: u.id, name: u.name });
    }
    let name = mwupload_core::title::display_name(&mwupload_core::title::ucfirst(&raw.replace('_', " ")));
    match call.state.meta.user_by_name(&name).await? {
        Some(u) => Ok(BlockTarget::User { id: u.id, name: u.name }),
        None => Err(ApiError::new(
            "nosuchuser",
            format!("There is no user by the name \"{raw}\". Check your spelling."),
        )
        .module(module)),
    }
}

pub async fn block(call: &mut Call<'_>, v: Values) -> ApiResult<Output> {
    const M: &str = "block";
    let target = block_target(call, &v, M).await?;
    need(call, "block", M)?;
    if access::sitewide_block(call.state, &call.caller).await?.is_some() {
        return Err(ApiError::new(
            "ipbblocked",
            "You cannot block or unblock other users while you are yourself blocked.",
        )
        .module(M));
    }
    if v.flag("hidename") && !call.caller.has("hideuser") {
        return Err(ApiError::new("canthide", "You don't have permission to hide user names from the block log.").module(M));
    }
    let tags = tags_allowed(call, &v, M)?;
    let expiry_text = v.str("expiry").unwrap_or("never").to_string();
    let expiry = access::parse_expiry(&expiry_text, now_unix()).map_err(|e| expiry_error(e, M))?;
    let partial = v.flag("partial");
    let mut pages: Vec<(i64, String)> = Vec::new();
    for raw in v.list("pagerestrictions") {
        let t = mwupload_core::title::page_title(raw).ok_or_else(|| ApiError::invalid_title(raw).module(M))?;
        pages.push((t.ns, t.db_key));
    }
    let namespaces = v.ints("namespacerestrictions").to_vec();
    let allowusertalk = v.flag("allowusertalk");
    // A partial block must leave the user's own talk page editable unless it names it.
    if partial && !allowusertalk && !namespaces.contains(&3) {
        return Err(ApiError::new(
            "ipb-prevent-user-talk-edit",
            "Editing their own talk page must be allowed for a partial block, unless it includes a restriction on the User Talk namespace.",
        )
        .module(M));
    }
    let reason = v.str("reason").unwrap_or("").to_string();
    let nb = NewBlock {
        target: target.clone(),
        expiry: expiry.clone(),
        duration: expiry_text,
        reason: reason.clone(),
        anononly: v.flag("anononly"),
        nocreate: v.flag("nocreate"),
        autoblock: v.flag("autoblock"),
        noemail: v.flag("noemail"),
        allowusertalk,
        sitewide: !partial,
        pages: if partial { pages } else { Vec::new() },
        namespaces: if partial { namespaces } else { Vec::new() },
        reblock: v.flag("reblock"),
    };
    let Some(id) = access::block(call.state, &call.caller, &nb, &tags).await? else {
        return Err(ApiError::new("alreadyblocked", format!("\"{}\" is already blocked.", target.name())).module(M));
    };
    if v.flag("watchuser")
        && let BlockTarget::User { name, .. } = &target
    {
        call.state
            .meta
            .watch(call.caller.user_id(), 2, &name.replace(' ', "_"), None)
            .await?;
    }
    let mut m = Map::new();
    m.insert("user".into(), json!(target.name()));
    m.insert(
        "userID".into(),
        json!(match &target {
            BlockTarget::User { id, .. } => *id,
            BlockTarget::Address { .. } => 0,
        }),
    );
    m.insert("expiry".into(), json!(iso_or(&expiry, "infinite")));
    m.insert("id".into(), json!(id));
    m.insert("reason".into(), json!(reason));
    for flag in [
        "anononly",
        "nocreate",
        "autoblock",
        "noemail",
        "hidename",
        "allowusertalk",
        "watchuser",
        "partial",
    ] {
        call.ctx.put_bool(&mut m, flag, v.flag(flag));
    }
    let page_list = if partial && !nb.pages.is_empty() {
        json!(v.list("pagerestrictions"))
    } else {
        Value::Null
    };
    let ns_list = if partial && !nb.namespaces.is_empty() {
        json!(nb.namespaces)
    } else {
        Value::Null
    };
    m.insert("pagerestrictions".into(), page_list);
    m.insert("namespacerestrictions".into(), ns_list);
    Ok(out(M, m))
}

pub async fn unblock(call: &mut Call<'_>, v: Values) -> ApiResult<Output> {
    const M: &str = "unblock";
    let given = [v.int("id").is_some(), v.str("user").is_some(), v.int("userid").is_some()];
    if given.iter().filter(|g| **g).count() > 1 {
        let names: Vec<String> = ["id", "user", "userid"]
            .iter()
            .zip(given)
            .filter(|(_, g)| *g)
            .map(|(n, _)| n.to_string())
            .collect();
        return Err(ApiError::cannot_use_together(&names, M));
    }
    let target = match v.int("id") {
        Some(_) => None,
        None => Some(block_target(call, &v, M).await?),
    };
    let (key, shown) = match (v.int("id"), &target) {
        (Some(id), _) => (BlockKey::Id(id), format!("ID {id}")),
        (None, Some(BlockTarget::User { id, name })) => (BlockKey::User(*id), name.clone()),
        (None, Some(BlockTarget::Address { text, .. })) => (BlockKey::Address(text), text.clone()),
        (None, None) => return Err(ApiError::missingparam("id").module(M)),
    };
    need(call, "block", M)?;
    if access::sitewide_block(call.state, &call.caller).await?.is_some() && !call.caller.has("unblockself") {
        return Err(ApiError::new(
            "ipbblocked",
            "You cannot block or unblock other users while you are yourself blocked.",
        )
        .module(M));
    }
    let tags = tags_allowed(call, &v, M)?;
    let reason = v.str("reason").unwrap_or("").to_string();
    let Some(removed) = access::unblock(call.state, &call.caller, &key, &reason, &tags).await? else {
        return Err(ApiError::new(
            "cantunblock",
            format!("Error: Block for {shown} not found. It may have been removed already."),
        )
        .module(M));
    };
    let mut m = Map::new();
    m.insert("id".into(), json!(removed.id));
    m.insert("user".into(), json!(removed.target.name()));
    m.insert(
        "userid".into(),
        json!(match &removed.target {
            BlockTarget::User { id, .. } => *id,
            BlockTarget::Address { .. } => 0,
        }),
    );
    m.insert("reason".into(), json!(reason));
    Ok(out(M, m))
}

pub async fn userrights(call: &mut Call<'_>, v: Values) -> ApiResult<Output> {
    const M: &str = "userrights";
    let user = match (v.str("user"), v.int("userid")) {
        (Some(_), Some(_)) => return Err(ApiError::cannot_use_together(&["user".into(), "userid".into()], M)),
        (None, None) => return Err(ApiError::missingparam_one_of(&["user", "userid"], "main").module(M)),
        (Some(name), None) => {
            let n = mwupload_core::title::display_name(&mwupload_core::title::ucfirst(&name.trim().replace('_', " ")));
            call.state.meta.user_by_name(&n).await?.ok_or_else(|| {
                ApiError::new(
                    "nosuchuser",
                    format!("There is no user by the name \"{name}\". Check your spelling."),
                )
                .module(M)
            })?
        }
        (None, Some(id)) => call
            .state
            .meta
            .user_by_id(id)
            .await?
            .ok_or_else(|| ApiError::no_such_user_id(id).module(M))?,
    };
    let tags = tags_allowed(call, &v, M)?;
    let add_names = v.list("add").to_vec();
    let expiry_list = expiries(&v, add_names.len(), M)?;
    let add: Vec<GroupMembership> = add_names
        .iter()
        .zip(expiry_list)
        .map(|(g, e)| GroupMembership {
            group: g.clone(),
            expiry: e,
        })
        .collect();
    let remove = v.list("remove").to_vec();
    let reason = v.str("reason").unwrap_or("").to_string();
    let (added, removed) = access::change_groups(call.state, &call.caller, user.id, &add, &remove, &reason, &tags)
        .await?
        .unwrap_or_default();
    let mut m = Map::new();
    m.insert("user".into(), json!(user.name));
    m.insert("userid".into(), json!(user.id));
    m.insert("added".into(), json!(added));
    m.insert("removed".into(), json!(removed));
    Ok(out(M, m))
}
