//! MediaWiki 1.39's special pages (`SpecialPageFactory`'s names and English aliases), recorded
//! from the reference wiki's `meta=siteinfo&siprop=specialpagealiases`: what that answers, and
//! whether `Special:X` is a known page (`Title::isKnown`) in a page set.

use serde_json::Value;
use std::collections::HashMap;
use std::sync::LazyLock;

/// The recorded list: `[{"realname": …, "aliases": […]}, …]`.
pub static ALIASES: LazyLock<Value> =
    LazyLock::new(|| serde_json::from_str(include_str!("../data/specialpagealiases.json")).expect("specialpagealiases.json"));

/// Every alias, case-folded with spaces as underscores (`SpecialPageFactory::resolveAlias`),
/// to the page's local name (its first alias, `getLocalNameFor`).
static FOLDED: LazyLock<HashMap<String, String>> = LazyLock::new(|| {
    let mut map = HashMap::new();
    for page in ALIASES.as_array().into_iter().flatten() {
        let aliases: Vec<&str> = page["aliases"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
        if let Some(local) = aliases.first() {
            for a in &aliases {
                map.entry(fold(a)).or_insert_with(|| local.replace(' ', "_"));
            }
        }
    }
    map
});

fn fold(s: &str) -> String {
    s.to_lowercase().replace(' ', "_")
}

/// Whether `Special:<db_key>` names a special page (a `/subpage` is ignored).
pub fn exists(db_key: &str) -> bool {
    canonical(db_key).is_some()
}

/// `Title::fixSpecialName`: the DB key with the page's local name (`Special:userlogin/x` is
/// `UserLogin/x`); None for an unknown special page.
pub fn canonical(db_key: &str) -> Option<String> {
    let (name, sub) = match db_key.split_once('/') {
        Some((n, s)) => (n, Some(s)),
        None => (db_key, None),
    };
    let local = FOLDED.get(&fold(name))?;
    Some(match sub {
        Some(s) => format!("{local}/{s}"),
        None => local.clone(),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn aliases_resolve_case_insensitively_without_subpages() {
        assert!(super::exists("Upload"));
        assert!(super::exists("Userlogin"));
        assert!(super::exists("UserLogin/return"));
        assert!(super::exists("ListFiles"));
        assert!(!super::exists("Nope"));
        assert_eq!(super::canonical("userlogin/x").as_deref(), Some("UserLogin/x"));
        assert_eq!(super::canonical("Listfiles").as_deref(), Some("ListFiles"));
        assert!(super::ALIASES.as_array().unwrap().len() > 100);
    }
}
