//! `meta=allmessages` (ApiQueryAllMessages): the interface messages this server knows, with
//! MediaWiki 1.39's English text — the month and day names, separators and the other messages
//! client libraries ask for (pywikibot's `mediawiki_messages`, mwn's `getMessages`). Any other
//! name answers `missing`, as MediaWiki does for a message it does not have. Every language
//! code MediaWiki accepts gets the English text (MediaWiki would translate); messages are not
//! customised by `MediaWiki:` pages here, so `amcustomised=modified` lists nothing.

use super::*;

/// (key, text): MediaWiki 1.39.17's `languages/i18n/en.json` as `MessageCache::get` returns
/// it (`&#32;` as a space), sorted by key as `ammessages=*` lists them. Only messages without
/// parser functions, so `amenableparser` changes nothing but `$n` substitution.
const MESSAGES: &[(&str, &str)] = &[
    ("and", " and"),
    ("apr", "Apr"),
    ("april", "April"),
    ("april-gen", "April"),
    ("aug", "Aug"),
    ("august", "August"),
    ("august-gen", "August"),
    ("brackets", "[$1]"),
    ("colon-separator", ": "),
    ("comma-separator", ", "),
    ("dec", "Dec"),
    ("december", "December"),
    ("december-gen", "December"),
    ("ellipsis", "..."),
    ("feb", "Feb"),
    ("february", "February"),
    ("february-gen", "February"),
    ("fri", "Fri"),
    ("friday", "Friday"),
    ("jan", "Jan"),
    ("january", "January"),
    ("january-gen", "January"),
    ("jul", "Jul"),
    ("july", "July"),
    ("july-gen", "July"),
    ("jun", "Jun"),
    ("june", "June"),
    ("june-gen", "June"),
    ("mainpage", "Main Page"),
    ("mainpage-description", "Main page"),
    ("mar", "Mar"),
    ("march", "March"),
    ("march-gen", "March"),
    ("may", "May"),
    ("may-gen", "May"),
    ("may_long", "May"),
    ("mon", "Mon"),
    ("monday", "Monday"),
    ("nov", "Nov"),
    ("november", "November"),
    ("november-gen", "November"),
    ("oct", "Oct"),
    ("october", "October"),
    ("october-gen", "October"),
    ("parentheses", "($1)"),
    ("percent", "$1%"),
    ("pipe-separator", " | "),
    ("quotation-marks", "\"$1\""),
    ("sat", "Sat"),
    ("saturday", "Saturday"),
    ("semicolon-separator", "; "),
    ("sep", "Sep"),
    ("september", "September"),
    ("september-gen", "September"),
    ("sun", "Sun"),
    ("sunday", "Sunday"),
    ("thu", "Thu"),
    ("thursday", "Thursday"),
    ("tue", "Tue"),
    ("tuesday", "Tuesday"),
    ("wed", "Wed"),
    ("wednesday", "Wednesday"),
    ("word-separator", " "),
];

/// A message's text (by `MessageCache::normalizeKey`).
pub(crate) fn message_text(key: &str) -> Option<&'static str> {
    let key = normalize_key(key);
    MESSAGES
        .binary_search_by(|(k, _)| (*k).cmp(key.as_str()))
        .ok()
        .map(|i| MESSAGES[i].1)
}

/// `MessageCache::normalizeKey`: spaces to underscores, first letter lowercased.
fn normalize_key(key: &str) -> String {
    let key = key.replace(' ', "_");
    let mut chars = key.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => key,
    }
}

/// `LanguageNameUtils::isValidCode`: no path or markup characters, only characters legal in
/// titles and no `%XX` escape (`MediaWikiTitleCodec::getTitleInvalidRegex`), at most 128 bytes.
fn valid_language_code(code: &str) -> bool {
    let legal = |c: char| !c.is_ascii() || c.is_ascii_alphanumeric() || " %!\"$&'()*,-./:;=?@\\^_`~+".contains(c);
    let bytes = code.as_bytes();
    let escape = bytes
        .windows(3)
        .any(|w| w[0] == b'%' && w[1].is_ascii_hexdigit() && w[2].is_ascii_hexdigit());
    !code.contains([':', '/', '\\', '\0', '&', '<', '>', '\'', '"']) && code.chars().all(legal) && !escape && code.len() <= 128
}

/// `Message::plain()` with parameters: `$1`… replaced by the arguments given.
fn with_args(text: &str, args: &[String]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        let arg = after[..digits]
            .parse::<usize>()
            .ok()
            .and_then(|n| n.checked_sub(1))
            .and_then(|n| args.get(n));
        match arg {
            Some(a) => out.push_str(a),
            None => out.push_str(&rest[i..i + 1 + digits]),
        }
        rest = &after[digits..];
    }
    out.push_str(rest);
    out
}

pub(super) async fn allmessages(call: &mut Call<'_>, query: &mut Map<String, Value>) -> ApiResult<()> {
    let v = call.validate(&ALLMESSAGES)?;
    let module = "query+allmessages";
    if let Some(lang) = v.str("lang")
        && !valid_language_code(lang)
    {
        return Err(ApiError::new("invalidlang", "Invalid language code for parameter \"amlang\".").module(module));
    }
    if v.flag("enableparser")
        && let Some(t) = v.str("title")
        && mwupload_core::title::parse_title_checked(t, 0).is_err()
    {
        return Err(ApiError::invalid_title(t).module(module));
    }
    let requested = v.list("messages");
    let mut targets: Vec<String> = if requested.iter().any(|m| m == "*") {
        MESSAGES.iter().map(|(k, _)| k.to_string()).collect()
    } else {
        requested.to_vec()
    };
    if let Some(prefix) = v.str("prefix") {
        // The sorted list has them in one clump: take it, stop after it.
        let start = targets.iter().position(|m| m.starts_with(prefix));
        targets = match start {
            Some(s) => targets[s..].iter().take_while(|m| m.starts_with(prefix)).cloned().collect(),
            None => Vec::new(),
        };
    }
    if let Some(filter) = v.str("filter") {
        targets.retain(|m| m.contains(filter));
    }
    let customised = v.str("customised").unwrap_or("all");
    let want_default = v.list("prop").iter().any(|p| p == "default");
    let args = v.list("args").to_vec();
    let mut skip = v.str("from").is_some();
    let to = v.str("to");
    let mut list = Vec::new();
    for name in &targets {
        if skip && Some(name.as_str()) == v.str("from") {
            skip = false;
        }
        if to.is_some_and(|to| name.as_str() > to) {
            break;
        }
        if skip {
            continue;
        }
        // Nothing is customised here: `modified` keeps nothing, `unmodified` everything.
        if customised == "modified" {
            continue;
        }
        let mut m = Map::new();
        m.insert("name".into(), json!(name));
        m.insert("normalizedname".into(), json!(normalize_key(name)));
        match message_text(name) {
            None => {
                m.insert("missing".into(), call.ctx.true_value());
            }
            Some(text) => {
                if !v.flag("nocontent") {
                    let key = if call.ctx.fv2 { "content" } else { "*" };
                    m.insert(key.into(), json!(with_args(text, &args)));
                }
                // The default is the text itself (with no arguments): `default` only when it
                // differs from the content.
                if want_default && !args.is_empty() && with_args(text, &args) != text {
                    m.insert("default".into(), json!(text));
                }
            }
        }
        list.push(Value::Object(m));
    }
    query.insert("allmessages".into(), Value::Array(list));
    Ok(())
}

pub static ALLMESSAGES: ModuleSpec = ModuleSpec {
    path: "query+allmessages",
    class: "ApiQueryAllMessages",
    group: Some(Group::Meta),
    prefix: "am",
    read_rights: true,
    help: "Return messages from this site (the English interface messages this server knows).",
    params: &[
        param("messages", Type::String).multi().default("*"),
        param("prop", Type::Enum(&["default"])).multi(),
        param("enableparser", Type::Boolean),
        param("nocontent", Type::Boolean),
        param("includelocal", Type::Boolean).inert(),
        param("args", Type::String).multi().allow_duplicates(),
        param("filter", Type::String),
        param("customised", Type::Enum(&["all", "modified", "unmodified"])).default("all"),
        param("lang", Type::String),
        param("from", Type::String),
        param("to", Type::String),
        param("title", Type::String),
        param("prefix", Type::String),
    ],
    ..ModuleSpec::BASE
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_sorted_and_keys_normalize() {
        assert!(MESSAGES.windows(2).all(|w| w[0].0 < w[1].0), "MESSAGES must be sorted by key");
        assert_eq!(message_text("January"), Some("January"));
        assert_eq!(message_text("comma-separator"), Some(", "));
        assert_eq!(message_text("nope"), None);
        assert_eq!(normalize_key("Main page"), "main_page");
        assert_eq!(with_args("($1) $2 $3", &["a".into(), "b".into()]), "(a) b $3");
        assert!(valid_language_code("en") && valid_language_code("content") && valid_language_code("de-formal"));
        assert!(!valid_language_code("a/b") && !valid_language_code("x%20y") && !valid_language_code("<x>"));
        assert!(!valid_language_code(&"x".repeat(129)));
    }
}
