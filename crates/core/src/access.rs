//! Who may do what to which page, as MediaWiki's PermissionManager decides it beyond plain
//! rights: page protection (`$wgRestrictionLevels`), create protection of missing titles, and
//! blocks (sitewide or partial, of a user or of an address range).

use crate::auth::Caller;
use crate::state::AppState;
use mwupload_store::{BlockRow, BlockTarget, Restriction, StoreResult};
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// The protection levels MediaWiki knows by default (`$wgRestrictionLevels`), weakest first.
pub const LEVELS: &[&str] = &["autoconfirmed", "sysop"];

/// The right a protection level asks for (`$wgRestrictionLevels` with MediaWiki's
/// `editsemiprotected`/`editprotected` mapping).
pub fn level_right(level: &str) -> &str {
    match level {
        "autoconfirmed" => "editsemiprotected",
        "sysop" => "editprotected",
        other => other,
    }
}

/// A block as clients see it (`blockinfo`): serializable, because an asynchronous upload's
/// failure keeps it in the upload status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockInfo {
    pub id: i64,
    pub by: String,
    pub by_id: i64,
    pub reason: String,
    /// TS_MW.
    pub timestamp: String,
    /// TS_MW; None: indefinitely.
    pub expiry: Option<String>,
    pub sitewide: bool,
    pub nocreate: bool,
    pub anononly: bool,
}

impl From<&BlockRow> for BlockInfo {
    fn from(b: &BlockRow) -> BlockInfo {
        BlockInfo {
            id: b.id,
            by: b.by_name.clone(),
            by_id: b.by_id,
            reason: b.reason.clone(),
            timestamp: b.timestamp.clone(),
            expiry: b.expiry.clone(),
            sitewide: b.sitewide,
            nocreate: b.nocreate,
            anononly: b.anononly,
        }
    }
}

/// Why an action on a page is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denial {
    /// The page (or the missing title) is protected at a level the caller lacks.
    Protected { kind: String, level: String },
    /// A block covers the caller and this page (`sitewide` false: a partial block naming it).
    Blocked(BlockInfo),
}

fn now() -> String {
    mwupload_store::time::now_ts()
}

/// MediaWiki's hex form of an address (`C0000201`; IPv6 `v6-` and 32 digits), used to compare
/// an address with stored range bounds.
pub fn address_hex(ip: &IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => format!("{:08X}", u32::from(*v4)),
        IpAddr::V6(v6) => format!("v6-{:032X}", u128::from(*v6)),
    }
}

/// Parses a block target address: `192.0.2.7`, `192.0.2.0/24`, `2001:db8::/32`. Returns the
/// sanitized text (network address and prefix, as MediaWiki shows it) and the hex bounds.
pub fn parse_address_target(text: &str) -> Option<BlockTarget> {
    let (addr, prefix) = match text.trim().split_once('/') {
        Some((a, p)) => (a, Some(p.parse::<u32>().ok()?)),
        None => (text.trim(), None),
    };
    let ip: IpAddr = addr.parse().ok()?;
    Some(match ip {
        IpAddr::V4(v4) => {
            let bits = prefix.unwrap_or(32);
            // MediaWiki refuses ranges wider than /16 by default ($wgBlockCIDRLimit).
            if !(16..=32).contains(&bits) {
                return None;
            }
            let mask = if bits == 0 { 0 } else { u32::MAX << (32 - bits) };
            let start = u32::from(v4) & mask;
            let end = start | !mask;
            let shown = std::net::Ipv4Addr::from(start);
            BlockTarget::Address {
                text: if prefix.is_some() {
                    format!("{shown}/{bits}")
                } else {
                    shown.to_string()
                },
                start: format!("{start:08X}"),
                end: format!("{end:08X}"),
            }
        }
        IpAddr::V6(v6) => {
            let bits = prefix.unwrap_or(128);
            if !(19..=128).contains(&bits) {
                return None;
            }
            let mask = if bits == 0 { 0 } else { u128::MAX << (128 - bits) };
            let start = u128::from(v6) & mask;
            let end = start | !mask;
            let shown = std::net::Ipv6Addr::from(start).to_string().to_uppercase();
            BlockTarget::Address {
                text: if prefix.is_some() { format!("{shown}/{bits}") } else { shown },
                start: format!("v6-{start:032X}"),
                end: format!("v6-{end:032X}"),
            }
        }
    })
}

/// The blocks against the caller: by account, and by address unless the block is for
/// anonymous users only and the caller is logged in. Sitewide blocks first.
pub async fn blocks_of(state: &AppState, caller: &Caller) -> StoreResult<Vec<BlockRow>> {
    let user = caller.user.as_ref().map(|u| u.id);
    let hex = caller.ip.as_ref().map(address_hex);
    if user.is_none() && hex.is_none() {
        return Ok(Vec::new());
    }
    let mut blocks = state.meta.blocks_against(user, hex.as_deref(), &now()).await?;
    blocks.retain(|b| match &b.target {
        BlockTarget::User { .. } => true,
        BlockTarget::Address { .. } => !(b.anononly && caller.is_logged_in()),
    });
    // Exempt from address blocks: `ipblock-exempt` (user blocks still apply).
    if caller.has("ipblock-exempt") {
        blocks.retain(|b| matches!(b.target, BlockTarget::User { .. }));
    }
    blocks.sort_by_key(|b| !b.sitewide);
    Ok(blocks)
}

/// The caller's sitewide block, if any (MediaWiki's `isBlockedFromUpload`, and what
/// `meta=userinfo&uiprop=blockinfo` shows first).
pub async fn sitewide_block(state: &AppState, caller: &Caller) -> StoreResult<Option<BlockInfo>> {
    Ok(blocks_of(state, caller).await?.iter().find(|b| b.sitewide).map(BlockInfo::from))
}

/// The caller's most relevant block (sitewide first), for `blockinfo`.
pub async fn any_block(state: &AppState, caller: &Caller) -> StoreResult<Option<BlockInfo>> {
    Ok(blocks_of(state, caller).await?.first().map(BlockInfo::from))
}

/// Whether a block stops the caller from changing page (`ns`, `title`).
fn block_covers(b: &BlockRow, caller: &Caller, ns: i64, title: &str) -> bool {
    // Their own talk page stays editable when the block allows it.
    let own_talk = ns == 3 && caller.user.as_ref().is_some_and(|u| u.name.replace(' ', "_") == title);
    if own_talk && b.allowusertalk {
        return false;
    }
    b.sitewide || b.namespaces.contains(&ns) || b.pages.iter().any(|(n, t)| *n == ns && t == title)
}

/// MediaWiki's `authorizeWrite` for `actions` (`edit`, `upload`, `move`, `create`) on a
/// title: protection first, then blocks. `page_exists` picks page restrictions or create
/// protection.
pub async fn authorize(
    state: &AppState,
    caller: &Caller,
    ns: i64,
    title: &str,
    page_exists: bool,
    actions: &[&str],
) -> StoreResult<Result<(), Denial>> {
    // (Both read at once: independent reads, and protection is checked first either way.)
    let at = now();
    let (restrictions, blocks): (Vec<Restriction>, _) =
        tokio::try_join!(state.meta.restrictions(ns, title, &at), blocks_of(state, caller))?;
    for r in &restrictions {
        let applies = if page_exists {
            r.kind != "create" && actions.contains(&r.kind.as_str())
        } else {
            // A missing title: create protection covers creating it by any action, and an
            // upload protection left over still counts for uploads.
            r.kind == "create" || (r.kind == "upload" && actions.contains(&"upload"))
        };
        if applies && !caller.has(level_right(&r.level)) {
            return Ok(Err(Denial::Protected {
                kind: r.kind.clone(),
                level: r.level.clone(),
            }));
        }
    }
    for b in blocks {
        if block_covers(&b, caller, ns, title) {
            return Ok(Err(Denial::Blocked(BlockInfo::from(&b))));
        }
    }
    Ok(Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_targets_are_sanitized_like_mediawiki() {
        match parse_address_target("192.0.2.77/24").unwrap() {
            BlockTarget::Address { text, start, end } => {
                assert_eq!(
                    (text.as_str(), start.as_str(), end.as_str()),
                    ("192.0.2.0/24", "C0000200", "C00002FF")
                );
            }
            _ => panic!(),
        }
        match parse_address_target("198.51.100.7").unwrap() {
            BlockTarget::Address { text, start, end } => assert_eq!((text, start.clone()), ("198.51.100.7".to_string(), end)),
            _ => panic!(),
        }
        assert!(parse_address_target("10.0.0.0/8").is_none(), "wider than $wgBlockCIDRLimit");
        assert!(parse_address_target("example.org").is_none());
        let v6 = parse_address_target("2001:db8::1/64").unwrap();
        assert_eq!(v6.name(), "2001:DB8::/64");
        assert_eq!(address_hex(&"192.0.2.1".parse().unwrap()), "C0000201");
        assert_eq!(address_hex(&"::1".parse().unwrap()), format!("v6-{:032X}", 1));
    }
}

// ----------------------------------------------------------------- expiries

/// An expiry as MediaWiki accepts it (`infinite`, `indefinite`, `infinity`, `never`, a
/// relative `N unit(s)`, an ISO 8601 or TS_MW timestamp). `Ok(None)` is indefinitely;
/// `Err` carries the text for `invalidexpiry`/`pastexpiry`.
pub fn parse_expiry(text: &str, now_unix: i64) -> Result<Option<String>, ExpiryError> {
    let t = text.trim();
    if matches!(
        t.to_ascii_lowercase().as_str(),
        "infinite" | "indefinite" | "infinity" | "never" | ""
    ) {
        return Ok(None);
    }
    let words: Vec<&str> = t.split_whitespace().collect();
    let secs = match words.as_slice() {
        [n, unit] => n.parse::<i64>().ok().and_then(|n| {
            let per = match unit.to_ascii_lowercase().trim_end_matches('s') {
                "second" | "sec" => 1,
                "minute" | "min" => 60,
                "hour" => 3600,
                "day" => 86_400,
                "week" => 7 * 86_400,
                "fortnight" => 14 * 86_400,
                "month" => 30 * 86_400,
                "year" => 365 * 86_400,
                _ => return None,
            };
            n.checked_mul(per)
        }),
        _ => None,
    };
    let at = match secs {
        Some(s) => now_unix.checked_add(s),
        None => mwupload_store::time::parse_any_ts(t).and_then(|ts| {
            chrono::NaiveDateTime::parse_from_str(&ts, "%Y%m%d%H%M%S")
                .ok()
                .map(|d| d.and_utc().timestamp())
        }),
    };
    let Some(at) = at else {
        return Err(ExpiryError::Invalid(text.to_string()));
    };
    if at <= now_unix {
        return Err(ExpiryError::Past(text.to_string()));
    }
    let ts = chrono::DateTime::from_timestamp(at, 0).ok_or_else(|| ExpiryError::Invalid(text.to_string()))?;
    Ok(Some(ts.format("%Y%m%d%H%M%S").to_string()))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpiryError {
    /// `invalidexpiry`.
    Invalid(String),
    /// `pastexpiry`.
    Past(String),
}

/// MediaWiki's English rendering of a timestamp in logs and block info: `02:48, 6 December 2026`.
pub fn human_time(ts: &str) -> String {
    match chrono::NaiveDateTime::parse_from_str(ts, "%Y%m%d%H%M%S") {
        Ok(d) => d.format("%H:%M, %-d %B %Y").to_string(),
        Err(_) => ts.to_string(),
    }
}

/// An expiry as the API shows it: ISO 8601, or `infinity`/`infinite` (callers pick).
pub fn iso_or(expiry: &Option<String>, infinite: &str) -> String {
    match expiry {
        Some(e) => mwupload_store::time::ts_to_iso(e),
        None => infinite.to_string(),
    }
}

// ----------------------------------------------------------------- protection

/// The restriction kinds a title can have: an existing page's, or a missing title's.
pub fn restriction_types(ns: i64, page_exists: bool) -> &'static [&'static str] {
    match (page_exists, ns == 6) {
        (true, true) => &["edit", "move", "upload"],
        (true, false) => &["edit", "move"],
        (false, true) => &["create", "upload"],
        (false, false) => &["create"],
    }
}

/// One requested change: `kind=level` until `expiry` (level empty or `all`: remove).
#[derive(Debug, Clone, PartialEq)]
pub struct ProtectionChange {
    pub kind: String,
    pub level: String,
    pub expiry: Option<String>,
}

/// One `action=protect`: the title (and whether its page exists), the protections to set (an
/// empty level removes one), and the log entry's reason and tags.
#[derive(Clone, Copy)]
pub struct ProtectRequest<'a> {
    pub ns: i64,
    pub title: &'a str,
    pub page_exists: bool,
    pub changes: &'a [ProtectionChange],
    pub cascade: bool,
    pub reason: &'a str,
    pub tags: &'a [String],
}

/// What `action=protect` did: the log id and the changes as applied.
pub struct Protected {
    pub log_id: i64,
}

/// Applies protections to a title with MediaWiki's log entry (`protect`, `modify` when the
/// title had protection already, `unprotect` when none remains).
pub async fn protect(state: &AppState, caller: &Caller, req: &ProtectRequest<'_>) -> StoreResult<Protected> {
    let ProtectRequest {
        ns,
        title,
        page_exists,
        changes,
        cascade,
        reason,
        tags,
    } = *req;
    let before = state.meta.restrictions(ns, title, &now()).await?;
    let kept: Vec<&ProtectionChange> = changes.iter().filter(|c| !c.level.is_empty()).collect();
    let action = if kept.is_empty() {
        "unprotect"
    } else if before.is_empty() {
        "protect"
    } else {
        "modify"
    };
    let params = if kept.is_empty() {
        mwupload_store::LogParams::None {}
    } else {
        let description: String = kept
            .iter()
            .map(|c| {
                let until = match &c.expiry {
                    None => "indefinite".to_string(),
                    Some(e) => format!("expires {} (UTC)", human_time(e)),
                };
                format!("\u{200e}[{}={}] ({until})", c.kind, c.level)
            })
            .collect();
        mwupload_store::LogParams::Protect {
            description,
            cascade,
            details: kept
                .iter()
                .map(|c| mwupload_store::ProtectDetail {
                    kind: c.kind.clone(),
                    level: c.level.clone(),
                    expiry: iso_or(&c.expiry, "infinite"),
                    cascade: (c.kind != "create").then_some(cascade),
                })
                .collect(),
        }
    };
    // MediaWiki records the change in the page's history with a null revision.
    let shown = crate::title::PageTitle {
        ns,
        db_key: title.to_string(),
    }
    .display();
    let summary = match action {
        "unprotect" => format!("Removed protection from \"[[{shown}]]\""),
        "modify" => format!("Changed protection settings for \"[[{shown}]]\""),
        _ => format!("Protected \"[[{shown}]]\""),
    };
    let summary = if reason.is_empty() {
        summary
    } else {
        format!("{summary}: {reason}")
    };
    let settings: Vec<String> = kept
        .iter()
        .map(|c| {
            let until = match &c.expiry {
                None => "indefinite".to_string(),
                Some(e) => format!("expires {} (UTC)", human_time(e)),
            };
            format!("[{}={}] ({until})", capitalize(&c.kind), level_description(&c.level))
        })
        .collect();
    let revision_comment = if settings.is_empty() {
        summary
    } else {
        format!("{summary} ({})", settings.join(" "))
    };
    let user_name = caller.user_name();
    let op = mwupload_store::ProtectOp {
        namespace: ns,
        title,
        page_exists,
        restrictions: changes
            .iter()
            .map(|c| Restriction {
                kind: c.kind.clone(),
                level: c.level.clone(),
                expiry: c.expiry.clone(),
                cascade: cascade && c.kind != "create",
            })
            .collect(),
        revision_comment: page_exists.then_some(revision_comment.as_str()),
        log: mwupload_store::LogWrite {
            actor: mwupload_store::Actor {
                user_id: caller.user_id(),
                user_name: &user_name,
            },
            action,
            comment: reason,
            params,
            tags,
        },
    };
    Ok(Protected {
        log_id: state.meta.protect(&op).await?,
    })
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// MediaWiki's English name of a protection level (`protect-level-*`).
fn level_description(level: &str) -> String {
    match level {
        "sysop" => "Allow only administrators".into(),
        "autoconfirmed" => "Allow only autoconfirmed users".into(),
        other => other.into(),
    }
}

// ----------------------------------------------------------------- blocks

/// A block to place (target already resolved).
pub struct NewBlock {
    pub target: BlockTarget,
    /// TS_MW; None: indefinitely.
    pub expiry: Option<String>,
    /// As the client wrote it (`1 day`), for the log.
    pub duration: String,
    pub reason: String,
    pub anononly: bool,
    pub nocreate: bool,
    pub autoblock: bool,
    pub noemail: bool,
    pub allowusertalk: bool,
    pub sitewide: bool,
    pub pages: Vec<(i64, String)>,
    pub namespaces: Vec<i64>,
    pub reblock: bool,
}

/// MediaWiki's block log flags, in its order.
fn block_flags(b: &NewBlock) -> Vec<String> {
    let is_user = matches!(b.target, BlockTarget::User { .. });
    let mut f = Vec::new();
    if b.anononly {
        f.push("anononly");
    }
    if b.nocreate {
        f.push("nocreate");
    }
    if is_user && !b.autoblock {
        f.push("noautoblock");
    }
    if b.noemail {
        f.push("noemail");
    }
    if !b.allowusertalk {
        f.push("nousertalk");
    }
    f.into_iter().map(String::from).collect()
}

/// Places a block (or, with `reblock`, replaces the target's block); None when the target is
/// blocked already.
pub async fn block(state: &AppState, caller: &Caller, b: &NewBlock, tags: &[String]) -> StoreResult<Option<i64>> {
    let now_ts = now();
    let restrictions = (!b.sitewide).then(|| mwupload_store::BlockRestrictionsParam {
        pages: b
            .pages
            .iter()
            .map(|(ns, t)| mwupload_store::BlockPageParam {
                page_ns: *ns,
                page_title: crate::title::PageTitle {
                    ns: *ns,
                    db_key: t.clone(),
                }
                .display(),
            })
            .collect(),
        namespaces: b.namespaces.clone(),
    });
    let params = mwupload_store::LogParams::Block {
        duration: if b.expiry.is_none() {
            "infinite".to_string()
        } else {
            b.duration.clone()
        },
        flags: block_flags(b),
        restrictions,
        sitewide: b.sitewide,
        expiry: b.expiry.as_ref().map(|e| mwupload_store::time::ts_to_iso(e)),
    };
    let user_name = caller.user_name();
    let row = BlockRow {
        id: 0,
        target: b.target.clone(),
        by_id: caller.user_id(),
        by_name: user_name.clone(),
        reason: b.reason.clone(),
        timestamp: now_ts.clone(),
        expiry: b.expiry.clone(),
        anononly: b.anononly,
        nocreate: b.nocreate,
        autoblock: b.autoblock,
        noemail: b.noemail,
        allowusertalk: b.allowusertalk,
        sitewide: b.sitewide,
        pages: b.pages.clone(),
        namespaces: b.namespaces.clone(),
    };
    let log = mwupload_store::LogWrite {
        actor: mwupload_store::Actor {
            user_id: caller.user_id(),
            user_name: &user_name,
        },
        action: "block",
        comment: &b.reason,
        params,
        tags,
    };
    Ok(match state.meta.insert_block(&row, b.reblock, &now_ts, &log).await? {
        mwupload_store::BlockInsert::Inserted { id } => Some(id),
        mwupload_store::BlockInsert::AlreadyBlocked => None,
    })
}

/// Removes a block; the removed block, or None when there was none.
pub async fn unblock(
    state: &AppState,
    caller: &Caller,
    key: &mwupload_store::BlockKey<'_>,
    reason: &str,
    tags: &[String],
) -> StoreResult<Option<BlockRow>> {
    let user_name = caller.user_name();
    let log = mwupload_store::LogWrite {
        actor: mwupload_store::Actor {
            user_id: caller.user_id(),
            user_name: &user_name,
        },
        action: "unblock",
        comment: reason,
        params: mwupload_store::LogParams::None {},
        tags,
    };
    state.meta.remove_block(key, &now(), &log).await
}

// ----------------------------------------------------------------- user rights

/// `action=userrights` as `caller`: groups the caller may not change are dropped silently, as
/// in MediaWiki. Returns (added, removed) or None for no such user.
pub async fn change_groups(
    state: &AppState,
    caller: &Caller,
    user_id: i64,
    add: &[mwupload_store::GroupMembership],
    remove: &[String],
    reason: &str,
    tags: &[String],
) -> StoreResult<Option<(Vec<String>, Vec<String>)>> {
    let changeable = |g: &str| caller.has("userrights") && crate::auth::rights::known_groups().contains(&g);
    let add: Vec<mwupload_store::GroupMembership> = add.iter().filter(|m| changeable(&m.group)).cloned().collect();
    let remove: Vec<String> = remove.iter().filter(|g| changeable(g)).cloned().collect();
    let actor_name = caller.user_name();
    let log = mwupload_store::LogWrite {
        actor: mwupload_store::Actor {
            user_id: caller.user_id(),
            user_name: &actor_name,
        },
        action: "rights",
        comment: reason,
        params: mwupload_store::LogParams::None {},
        tags,
    };
    if add.is_empty() && remove.is_empty() {
        return Ok(state.meta.user_by_id(user_id).await?.map(|_| (Vec::new(), Vec::new())));
    }
    let Some((old, new)) = state.meta.change_user_groups(user_id, &add, &remove, &now(), &log).await? else {
        return Ok(None);
    };
    let had = |g: &str| old.iter().any(|m| m.group == g);
    let has = |g: &str| new.iter().any(|m| m.group == g);
    let added = add.iter().map(|m| m.group.clone()).filter(|g| !had(g) || has(g)).collect();
    let removed = remove.iter().filter(|g| had(g) && !has(g)).cloned().collect();
    Ok(Some((added, removed)))
}
