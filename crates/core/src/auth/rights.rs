//! MediaWiki's groups, rights and bot-password grants (`$wgGroupPermissions`, `$wgGrantPermissions`).

use std::collections::BTreeMap;

/// Built-in `$wgGroupPermissions` (MediaWiki 1.39 defaults, trimmed to rights this server knows).
pub fn default_group_permissions() -> Vec<(&'static str, Vec<&'static str>)> {
    vec![
        (
            "*",
            vec![
                "createaccount",
                "read",
                "edit",
                "createpage",
                "createtalk",
                "writeapi",
                "viewmywatchlist",
                "editmywatchlist",
            ],
        ),
        (
            "user",
            vec![
                "move",
                "move-subpages",
                "move-rootuserpages",
                "move-categorypages",
                "movefile",
                "read",
                "edit",
                "createpage",
                "createtalk",
                "writeapi",
                "upload",
                "reupload",
                "reupload-shared",
                "minoredit",
                "purge",
                "applychangetags",
                "changetags",
                "editcontentmodel",
                "viewmywatchlist",
                "editmywatchlist",
            ],
        ),
        ("autoconfirmed", vec!["autoconfirmed", "editsemiprotected"]),
        (
            "bot",
            vec![
                "bot",
                "autoconfirmed",
                "editsemiprotected",
                "nominornewtalk",
                "autopatrol",
                "suppressredirect",
                "apihighlimits",
                "writeapi",
            ],
        ),
        (
            "sysop",
            vec![
                "block",
                "createaccount",
                "delete",
                "bigdelete",
                "deletedhistory",
                "deletedtext",
                "undelete",
                "browsearchive",
                "editinterface",
                "import",
                "move",
                "move-subpages",
                "move-rootuserpages",
                "move-categorypages",
                "patrol",
                "autopatrol",
                "protect",
                "editprotected",
                "rollback",
                "upload",
                "reupload",
                "reupload-shared",
                "unwatchedpages",
                "autoconfirmed",
                "editsemiprotected",
                "ipblock-exempt",
                "blockemail",
                "markbotedits",
                "apihighlimits",
                "browsearchive",
                "noratelimit",
                "movefile",
                "suppressredirect",
                "mergehistory",
                "managechangetags",
                "deletechangetags",
                "upload_by_url",
                "unblockself",
            ],
        ),
        (
            "interface-admin",
            vec![
                "editinterface",
                "editsitecss",
                "editsitejson",
                "editsitejs",
                "editusercss",
                "edituserjson",
                "edituserjs",
            ],
        ),
        ("bureaucrat", vec!["userrights", "noratelimit"]),
        (
            "suppress",
            vec![
                "hideuser",
                "suppressrevision",
                "viewsuppressed",
                "suppressionlog",
                "deleterevision",
                "deletelogentry",
            ],
        ),
    ]
}

/// Groups a user can be put in by `user set-groups`.
pub fn known_groups() -> Vec<&'static str> {
    vec!["bot", "bureaucrat", "interface-admin", "suppress", "sysop"]
}

/// Rights a bot-password grant gives (`$wgGrantPermissions`, 1.39). `basic` is always included.
pub fn grant_rights(grant: &str) -> &'static [&'static str] {
    match grant {
        "basic" => &[
            "autocreateaccount",
            "autoconfirmed",
            "autopatrol",
            "editsemiprotected",
            "ipblock-exempt",
            "nominornewtalk",
            "patrolmarks",
            "read",
            "unwatchedpages",
        ],
        "highvolume" => &["bot", "apihighlimits", "noratelimit", "markbotedits"],
        "editpage" => &["edit", "minoredit", "applychangetags", "changetags", "editcontentmodel", "writeapi"],
        "createeditmovepage" => &[
            "edit",
            "minoredit",
            "applychangetags",
            "changetags",
            "editcontentmodel",
            "createpage",
            "createtalk",
            "move",
            "move-rootuserpages",
            "move-subpages",
            "move-categorypages",
            "suppressredirect",
            "writeapi",
        ],
        "uploadfile" => &["upload", "reupload-own", "writeapi"],
        "uploadeditmovefile" => &[
            "upload",
            "reupload",
            "reupload-own",
            "reupload-shared",
            "upload_by_url",
            "movefile",
            "suppressredirect",
            "writeapi",
        ],
        "delete" => &[
            "delete",
            "bigdelete",
            "deletedhistory",
            "deletedtext",
            "undelete",
            "browsearchive",
            "deletelogentry",
            "deleterevision",
            "writeapi",
        ],
        "editmywatchlist" => &["editmywatchlist", "writeapi"],
        "viewmywatchlist" => &["viewmywatchlist"],
        "protect" => &["protect", "editprotected", "writeapi"],
        "blockusers" => &["block", "blockemail", "writeapi"],
        "rollback" => &["rollback", "writeapi"],
        "patrol" => &["patrol", "writeapi"],
        _ => &[],
    }
}

/// Grants of the bot password created on first start (those of the reference wiki's `Admin@bot`).
pub const FIRST_START_BOT_GRANTS: &[&str] = &[
    "basic",
    "highvolume",
    "editpage",
    "createeditmovepage",
    "uploadfile",
    "uploadeditmovefile",
    "delete",
];

pub fn known_grants() -> &'static [&'static str] {
    &[
        "basic",
        "highvolume",
        "editpage",
        "createeditmovepage",
        "uploadfile",
        "uploadeditmovefile",
        "delete",
        "editmywatchlist",
        "viewmywatchlist",
        "protect",
        "blockusers",
        "rollback",
        "patrol",
    ]
}

/// The effective permission table: built-in defaults with the configured groups replacing theirs.
pub fn permission_table(configured: &BTreeMap<String, Vec<String>>) -> Vec<(String, Vec<String>)> {
    let mut table: Vec<(String, Vec<String>)> = default_group_permissions()
        .into_iter()
        .map(|(g, r)| (g.to_string(), r.into_iter().map(String::from).collect()))
        .collect();
    for (g, rights) in configured {
        match table.iter_mut().find(|(name, _)| name == g) {
            Some(entry) => entry.1 = rights.clone(),
            None => table.push((g.clone(), rights.clone())),
        }
    }
    table
}

/// Effective groups: explicit groups (sorted, as MediaWiki reads them from `user_groups`), then
/// the implicit ones MediaWiki adds.
pub fn effective_groups(explicit: &[String], logged_in: bool) -> Vec<String> {
    let mut groups: Vec<String> = explicit.to_vec();
    groups.sort();
    groups.push("*".into());
    if logged_in {
        groups.push("user".into());
        groups.push("autoconfirmed".into());
    }
    groups
}

/// Rights of a set of groups, optionally restricted to bot-password grants.
pub fn effective_rights(table: &[(String, Vec<String>)], groups: &[String], grants: Option<&[String]>) -> Vec<String> {
    let mut rights: Vec<String> = Vec::new();
    for g in groups {
        if let Some((_, rs)) = table.iter().find(|(name, _)| name == g) {
            for r in rs {
                if !rights.contains(r) {
                    rights.push(r.clone());
                }
            }
        }
    }
    if let Some(grants) = grants {
        let mut allowed: Vec<&str> = grant_rights("basic").to_vec();
        for g in grants {
            allowed.extend_from_slice(grant_rights(g));
        }
        rights.retain(|r| allowed.contains(&r.as_str()));
    }
    rights
}

/// Groups that hold `right` (for `permissiondenied`'s "limited to users in one of the groups").
pub fn groups_with_right(table: &[(String, Vec<String>)], right: &str) -> Vec<String> {
    table
        .iter()
        .filter(|(g, rs)| g != "*" && rs.iter().any(|r| r == right))
        .map(|(g, _)| g.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn bot_password_rights_are_intersection_with_grants() {
        let table = permission_table(&BTreeMap::new());
        let groups = effective_groups(&["sysop".to_string()], true);
        let all = effective_rights(&table, &groups, None);
        assert!(all.contains(&"upload_by_url".to_string()));
        let basic_only = effective_rights(&table, &groups, Some(&["basic".to_string()]));
        assert!(!basic_only.contains(&"upload".to_string()));
        assert!(basic_only.contains(&"read".to_string()));
        let upload = effective_rights(
            &table,
            &groups,
            Some(&["basic".into(), "editpage".into(), "uploadeditmovefile".into()]),
        );
        for r in ["upload", "reupload", "edit", "upload_by_url", "writeapi"] {
            assert!(upload.contains(&r.to_string()), "{r}");
        }
        let anon = effective_rights(&table, &effective_groups(&[], false), None);
        assert!(!anon.contains(&"upload".to_string()));
        assert_eq!(groups_with_right(&table, "upload"), vec!["user", "sysop"]);
    }
}
