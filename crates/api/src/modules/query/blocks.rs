//! `list=blocks`: blocks in force, newest first by default.

use super::*;
use mwupload_store::{BlockQuery, BlockRow, BlockTarget};

pub(super) async fn list_blocks(
    call: &mut Call<'_>,
    query: &mut Map<String, Value>,
    cont: &mut Continuation,
    limits: &mut Map<String, Value>,
) -> ApiResult<()> {
    let module = "query+blocks";
    let v = call.validate(&BLOCKS)?;
    let limit = limit_of(call, &BLOCKS, &v, limits);
    let props = v.list("prop").to_vec();
    let has = |p: &str| props.iter().any(|x| x == p);
    let ids = v.ints("ids").to_vec();
    let mut user_ids = Vec::new();
    let mut addresses = Vec::new();
    for u in v.list("users") {
        match mwupload_core::access::parse_address_target(u) {
            Some(t) => addresses.push(t.name().to_string()),
            None => {
                let name = title::display_name(&title::ucfirst(&u.replace('_', " ")));
                match call.state.meta.user_by_name(&name).await? {
                    Some(user) => user_ids.push(user.id),
                    None => user_ids.push(-1),
                }
            }
        }
    }
    let covering = match v.str("ip") {
        None => None,
        Some(ip) => match mwupload_core::access::parse_address_target(ip) {
            Some(BlockTarget::Address { start, .. }) => Some(start),
            _ => return Err(ApiError::new("param_ip", "IP address or range is not valid.").module(module)),
        },
    };
    let resume = match v.str("continue") {
        None => None,
        Some(c) => match c
            .split_once('|')
            .and_then(|(ts, id)| Some((ts.to_string(), id.parse::<i64>().ok()?)))
        {
            Some(r) => Some(r),
            None => return Err(ApiError::badcontinue(module)),
        },
    };
    let by_target = !user_ids.is_empty() || !addresses.is_empty();
    let q = BlockQuery {
        ids: (!ids.is_empty()).then_some(ids.as_slice()),
        user_ids: by_target.then_some(user_ids.as_slice()),
        addresses: by_target.then_some(addresses.as_slice()),
        covering: covering.as_deref(),
        newer_first: v.str("dir") != Some("newer"),
        from: resume.as_ref().map(|(ts, id)| (ts.as_str(), *id)),
        limit: limit + 1,
    };
    let mut rows = call.state.meta.list_blocks(&q, &mwupload_store::time::now_ts()).await?;
    let show = v.list("show").to_vec();
    rows.retain(|b| shown(b, &show));
    if rows.len() as i64 > limit
        && let Some(next) = rows.pop()
    {
        cont.set("blocks", "bkcontinue", format!("{}|{}", next.timestamp, next.id));
    }
    let mut list = Vec::new();
    for b in &rows {
        let mut m = Map::new();
        if has("id") {
            m.insert("id".into(), json!(b.id));
        }
        if has("user") {
            m.insert("user".into(), json!(b.target.name()));
        }
        if has("userid") {
            m.insert(
                "userid".into(),
                json!(match &b.target {
                    BlockTarget::User { id, .. } => *id,
                    BlockTarget::Address { .. } => 0,
                }),
            );
        }
        if has("by") {
            m.insert("by".into(), json!(b.by_name));
        }
        if has("byid") {
            m.insert("byid".into(), json!(b.by_id));
        }
        if has("timestamp") {
            m.insert("timestamp".into(), json!(mwupload_store::time::ts_to_iso(&b.timestamp)));
        }
        if has("expiry") {
            m.insert("expiry".into(), json!(mwupload_core::access::iso_or(&b.expiry, "infinity")));
        }
        if has("reason") {
            m.insert("reason".into(), json!(b.reason));
        }
        if has("range")
            && let BlockTarget::Address { start, end, .. } = &b.target
        {
            m.insert("rangestart".into(), json!(hex_to_ip(start)));
            m.insert("rangeend".into(), json!(hex_to_ip(end)));
        }
        if has("flags") {
            let ctx = &call.ctx;
            ctx.put_bool(&mut m, "automatic", false);
            ctx.put_bool(&mut m, "anononly", b.anononly);
            ctx.put_bool(&mut m, "nocreate", b.nocreate);
            ctx.put_bool(&mut m, "autoblock", b.autoblock);
            ctx.put_bool(&mut m, "noemail", b.noemail);
            ctx.put_bool(&mut m, "hidden", false);
            ctx.put_bool(&mut m, "allowusertalk", b.allowusertalk);
            ctx.put_bool(&mut m, "partial", !b.sitewide);
        }
        if has("restrictions") {
            if b.sitewide {
                m.insert("restrictions".into(), json!([]));
            } else {
                let mut r = Map::new();
                if !b.pages.is_empty() {
                    let mut pages = Vec::new();
                    for (ns, t) in &b.pages {
                        let id = call.state.meta.page(*ns, t).await?.map(|p| p.id).unwrap_or(0);
                        pages.push(json!({"id": id, "ns": ns, "title": PageTitle { ns: *ns, db_key: t.clone() }.display()}));
                    }
                    r.insert("pages".into(), Value::Array(pages));
                }
                if !b.namespaces.is_empty() {
                    r.insert("namespaces".into(), json!(b.namespaces));
                }
                m.insert("restrictions".into(), Value::Object(r));
            }
        }
        list.push(Value::Object(m));
    }
    query.insert("blocks".into(), Value::Array(list));
    Ok(())
}

/// `bkshow`: account / ip / range (and their negations).
fn shown(b: &BlockRow, show: &[String]) -> bool {
    let (account, ip, range) = match &b.target {
        BlockTarget::User { .. } => (true, false, false),
        BlockTarget::Address { start, end, .. } => (false, start == end, start != end),
    };
    show.iter().all(|s| match s.as_str() {
        "account" => account,
        "!account" => !account,
        "ip" => ip,
        "!ip" => !ip,
        "range" => range,
        "!range" => !range,
        _ => true,
    })
}

/// MediaWiki's hex address back to text (`C0000200` → `192.0.2.0`).
fn hex_to_ip(hex: &str) -> String {
    if let Some(v6) = hex.strip_prefix("v6-") {
        return u128::from_str_radix(v6, 16)
            .map(|n| std::net::Ipv6Addr::from(n).to_string())
            .unwrap_or_default();
    }
    u32::from_str_radix(hex, 16)
        .map(|n| std::net::Ipv4Addr::from(n).to_string())
        .unwrap_or_default()
}

pub static BLOCKS: ModuleSpec = ModuleSpec {
    path: "query+blocks",
    class: "ApiQueryBlocks",
    group: Some(Group::List),
    prefix: "bk",
    read_rights: true,
    help: "All blocked users and IP addresses.",
    params: &[
        param("dir", Type::Enum(&["newer", "older"])).default("older"),
        param("ids", Type::Integer { min: None, max: None }).multi(),
        param("users", Type::User(&["name", "ip", "cidr"])).multi(),
        param("ip", Type::String),
        param("limit", Type::Limit { max: 500, highmax: 5000 }).default("10"),
        param(
            "prop",
            Type::Enum(&[
                "by",
                "byid",
                "expiry",
                "flags",
                "id",
                "range",
                "reason",
                "restrictions",
                "timestamp",
                "user",
                "userid",
            ]),
        )
        .default("id|user|by|timestamp|expiry|reason|flags")
        .multi(),
        param(
            "show",
            Type::Enum(&["!account", "!ip", "!range", "!temp", "account", "ip", "range", "temp"]),
        )
        .multi(),
        param("continue", Type::String),
    ],
    ..ModuleSpec::BASE
};
