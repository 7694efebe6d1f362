//! MediaWiki file-name normalization (`UploadBase::getTitle`, spec §4) and the name-based
//! warnings of §6.2 (`badfilename`, `thumb`/`thumb-name`, `bad-prefix`, `exists-normalized`).
//!
//! Pure logic, no I/O. Everything here follows MediaWiki 1.39 source:
//! `UploadBase::getTitle` / `checkBadFileName` / `getExistsWarning` / `isThumbName` /
//! `getFilenamePrefixBlacklist`, `wfStripIllegalFilenameChars`, `Title::newFromText` /
//! `Title::makeTitleSafe` (→ `MediaWikiTitleCodec::splitTitleString`),
//! `Sanitizer::decodeCharReferences`, `Language::ucfirst`, `File::normalizeExtension`.
//!
//! Strings are handled as UTF-8 `&str`; where MediaWiki works on bytes (PCRE without `/u`,
//! `strlen`, `substr`), the byte semantics are reproduced (all the characters involved are ASCII,
//! so byte offsets always fall on char boundaries).
//!
//! Known, deliberate simplifications (none reachable with ordinary file names):
//! * Interwiki prefixes are not known here. They never change whether a name lands in the File
//!   namespace (an interwiki title is never a File title), so `file_title` is unaffected.
//! * The `Project` namespace is recognised by its canonical name only, not by the site name.
//! * Named character references are decoded from the HTML 4.01 list (+ `&apos;`) plus
//!   MediaWiki's two `rlm` aliases. MediaWiki 1.39 decodes the full HTML5 list; the difference
//!   only shows for an HTML5-only entity inside a `File:`-prefixed name (MediaWiki decodes it, we
//!   end with `illegal-filename`).
//! * IPv6 sanitization of `User:` titles is not done (irrelevant for files).

use unicode_normalization::UnicodeNormalization;

/// Namespace numbers (MediaWiki's `NS_*` constants).
pub const NS_MEDIA: i32 = -2;
pub const NS_SPECIAL: i32 = -1;
pub const NS_MAIN: i32 = 0;
pub const NS_TALK: i32 = 1;
pub const NS_USER: i32 = 2;
pub const NS_USER_TALK: i32 = 3;
pub const NS_PROJECT: i32 = 4;
pub const NS_PROJECT_TALK: i32 = 5;
pub const NS_FILE: i32 = 6;
pub const NS_FILE_TALK: i32 = 7;
pub const NS_MEDIAWIKI: i32 = 8;
pub const NS_MEDIAWIKI_TALK: i32 = 9;
pub const NS_TEMPLATE: i32 = 10;
pub const NS_TEMPLATE_TALK: i32 = 11;
pub const NS_HELP: i32 = 12;
pub const NS_HELP_TALK: i32 = 13;
pub const NS_CATEGORY: i32 = 14;
pub const NS_CATEGORY_TALK: i32 = 15;

/// Maximum byte length of the name after the namespace strip (`oi_archive_name` is 255 bytes and
/// holds `YYYYMMDDHHMMSS!` + name).
pub const MAX_FILENAME_BYTES: usize = 240;

/// `$wgFileExtensions` default.
pub const DEFAULT_FILE_EXTENSIONS: &[&str] = &["png", "gif", "jpg", "jpeg", "webp"];

/// `$wgProhibitedFileExtensions` default.
pub const DEFAULT_PROHIBITED_EXTENSIONS: &[&str] = &[
    "html", "htm", "js", "jsb", "mhtml", "mht", "xhtml", "xht", "php", "phtml", "php3", "php4", "php5", "phps", "phar", "shtml", "jhtml",
    "pl", "py", "cgi", "exe", "scr", "dll", "msi", "vbs", "bat", "com", "pif", "cmd", "vxd", "cpl", "xml",
];

/// The prefixes of the default message `MediaWiki:Filename-prefix-blacklist` (languages/i18n/en.json),
/// in the message's order.
pub const DEFAULT_BAD_PREFIXES: &[&str] = &["CIMG", "DSC_", "DSCF", "DSCN", "DUW", "IMG", "JD", "MGP", "PICT"];

/// Extension rules (`$wgFileExtensions`, `$wgProhibitedFileExtensions`, `$wgCheckFileExtensions`,
/// `$wgStrictFileExtensions`).
#[derive(Debug, Clone, PartialEq)]
pub struct TitleRules {
    pub file_extensions: Vec<String>,
    pub prohibited_extensions: Vec<String>,
    pub check_extensions: bool,
    pub strict_extensions: bool,
}

impl Default for TitleRules {
    fn default() -> Self {
        TitleRules {
            file_extensions: DEFAULT_FILE_EXTENSIONS.iter().map(|s| s.to_string()).collect(),
            prohibited_extensions: DEFAULT_PROHIBITED_EXTENSIONS.iter().map(|s| s.to_string()).collect(),
            check_extensions: true,
            strict_extensions: true,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct FileTitle {
    /// "Foo_bar.png": underscores, first letter uppercased — the file's name everywhere.
    pub db_key: String,
    /// Last extension, case preserved. Never empty (a missing extension is an error or was added).
    pub final_ext: String,
    /// `$wgCheckFileExtensions` and the extension is not in `$wgFileExtensions` (reachable only with
    /// strict=false, otherwise it is `Banned`): the caller emits `filetype-unwanted-type`.
    pub unwanted_type: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TitleError {
    /// `filename-toolong` (> 240 bytes after the namespace strip).
    TooLong,
    /// `illegal-filename`; error data `filename` = `filtered`.
    Illegal { filtered: String },
    /// `filetype-missing`.
    FiletypeMissing,
    /// `filetype-banned`. `blacklisted` are the offending extensions, lowercased, in name order
    /// (duplicates kept, as `array_intersect` does); empty when the ban comes from the allow list
    /// only (then MediaWiki omits `blacklisted` from the error).
    Banned { final_ext: String, blacklisted: Vec<String> },
    /// `filename-tooshort`.
    TooShort,
}

impl TitleError {
    /// The API error code MediaWiki uses for this error.
    pub fn code(&self) -> &'static str {
        match self {
            TitleError::TooLong => "filename-toolong",
            TitleError::Illegal { .. } => "illegal-filename",
            TitleError::FiletypeMissing => "filetype-missing",
            TitleError::Banned { .. } => "filetype-banned",
            TitleError::TooShort => "filename-tooshort",
        }
    }
}

impl std::fmt::Display for TitleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

impl std::error::Error for TitleError {}

/// A parsed page title (`Title::newFromText` result, minus interwiki).
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedTitle {
    pub namespace: i32,
    /// DB key: underscores, first letter uppercased. May be empty only in the main namespace
    /// (a bare fragment such as `#foo`).
    pub db_key: String,
    /// Fragment (after `#`), underscores shown as spaces, as MediaWiki stores it.
    pub fragment: String,
}

/// Steps 1–10 of §4 (`UploadBase::getTitle`). `guessed_ext` is the canonical extension of the MIME
/// type detected from the bytes (None for chunk requests, which have no file yet): used only when
/// the name has no extension at all (step 6).
pub fn file_title(filename: &str, rules: &TitleRules, guessed_ext: Option<&str>) -> Result<FileTitle, TitleError> {
    let desired: String = filename.nfc().collect();

    // 1. Strip a File: (or Image:) prefix: Title::newFromText( $desired ), keep the DB key if the
    //    title is in the File namespace, else the raw string.
    let filtered = match parse_title(&desired, NS_MAIN) {
        Some(t) if t.namespace == NS_FILE => t.db_key,
        _ => desired.clone(),
    };

    // 2. Length, in bytes.
    if filtered.len() > MAX_FILENAME_BYTES {
        return Err(TitleError::TooLong);
    }

    // 3. wfStripIllegalFilenameChars.
    let filtered = strip_illegal_filename_chars(&filtered);

    // 4. Title::makeTitleSafe( NS_FILE, $filtered ).
    let mut key = match make_title_safe(NS_FILE, &filtered) {
        Some(k) => k,
        None => return Err(TitleError::Illegal { filtered }),
    };

    // 5. Split into base and "extensions" (explode on '.').
    let mut parts: Vec<String> = key.split('.').map(str::to_string).collect();
    let mut exts: Vec<String> = parts.split_off(1);
    let partname = parts.pop().unwrap_or_default();

    // 6. No extension at all: append the guessed one.
    let final_ext: String;
    if let Some(last) = exts.last() {
        final_ext = php_trim(last).to_string();
    } else {
        match guessed_ext.filter(|e| !e.is_empty()) {
            Some(g) => {
                final_ext = g.to_string();
                key.push('.');
                key.push_str(g);
                exts = vec![g.to_string()];
            }
            None => final_ext = String::new(),
        }
    }

    // 7./8. Prohibited extensions (any of them), then the allow list (final one only).
    let blacklisted: Vec<String> = exts
        .iter()
        .map(|e| e.to_ascii_lowercase())
        .filter(|e| rules.prohibited_extensions.iter().any(|p| p.eq_ignore_ascii_case(e)))
        .collect();
    if final_ext.is_empty() {
        return Err(TitleError::FiletypeMissing);
    }
    let in_allow_list = extension_in_list(&final_ext, &rules.file_extensions);
    if !blacklisted.is_empty() || (rules.check_extensions && rules.strict_extensions && !in_allow_list) {
        return Err(TitleError::Banned { final_ext, blacklisted });
    }

    // 9. Non-ASCII names on backends without Unicode paths: never on Linux.

    // 10. Minimum base length: everything but the final extension.
    let mut base = partname;
    if exts.len() > 1 {
        for e in &exts[..exts.len() - 1] {
            base.push('.');
            base.push_str(e);
        }
    }
    if base.is_empty() {
        return Err(TitleError::TooShort);
    }

    Ok(FileTitle {
        db_key: key,
        final_ext,
        unwanted_type: rules.check_extensions && !in_allow_list,
    })
}

/// Normalize user input to a File-namespace DB key without extension checks (for `titles=` in
/// queries, e.g. "File:Foo bar.png" -> Some("Foo_bar.png")). Input without a namespace prefix is
/// taken as a File name ("foo.png" -> Some("Foo.png")). None if the title is illegal, empty, or in
/// another namespace ("Talk:Foo.png", "Media:Foo.png").
pub fn file_db_key(title: &str) -> Option<String> {
    let t: String = title.nfc().collect();
    match parse_title(&t, NS_FILE) {
        Some(p) if p.namespace == NS_FILE && !p.db_key.is_empty() => Some(p.db_key),
        _ => None,
    }
}

/// Display form of a DB key: underscores -> spaces (`Title::getText`).
pub fn display_name(db_key: &str) -> String {
    db_key.replace('_', " ")
}

/// `File::normalizeExtension` (§4.1): lowercase (ASCII, like PHP 8 `strtolower`), squash the
/// alternative spellings, `''` for anything that is not `^[0-9a-z]+$`.
pub fn normalize_extension(ext: &str) -> String {
    let lower = ext.to_ascii_lowercase();
    match lower.as_str() {
        "htm" => "html".to_string(),
        "jpeg" => "jpg".to_string(),
        "mpeg" => "mpg".to_string(),
        "tiff" => "tif".to_string(),
        "ogv" => "ogg".to_string(),
        _ if !lower.is_empty() && lower.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_lowercase()) => lower,
        _ => String::new(),
    }
}

/// `UploadBase::checkBadFileName`: Some(final_key) when MediaWiki emits `badfilename`, i.e. the
/// final name differs both from the name as sent and from the name with spaces → `_` and the first
/// letter uppercased ("File:C.jpg" -> Some("C.jpg"), "foo bar.png" -> None).
///
/// PHP's `!=` is used there, so two numeric strings compare as numbers; that is reproduced (it
/// can only matter with all-digit extensions allowed).
pub fn badfilename(desired: &str, final_key: &str) -> Option<String> {
    let desired: String = desired.nfc().collect();
    let comparable = ucfirst(&desired.replace(' ', "_"));
    if !php_loose_str_eq(&desired, final_key) && !php_loose_str_eq(&comparable, final_key) {
        Some(final_key.to_string())
    } else {
        None
    }
}

/// `UploadBase::isThumbName`: the base (before the last '.') starts with two digits and has
/// `px-` at byte offset 2 or 3 ("120px-Foo.png", "50px-Foo.png").
pub fn is_thumb_name(db_key: &str) -> bool {
    let partname = match db_key.rfind('.') {
        Some(n) if n > 0 => &db_key[..n],
        _ => db_key,
    };
    let b = partname.as_bytes();
    let px_at = |i: usize| b.len() >= i + 3 && &b[i..i + 3] == b"px-";
    (px_at(3) || px_at(2)) && b.len() >= 2 && b[0].is_ascii_digit() && b[1].is_ascii_digit()
}

/// For a thumbnail-like name, the name of the original it would be a thumbnail of
/// ("120px-Foo.png" -> Some("Foo.png")); None if the name is not thumbnail-like (or the remainder
/// is not a valid title). Caller: `thumb` if that file exists, else `thumb-name` (both carry the
/// *uploaded* name).
pub fn thumb_source(db_key: &str) -> Option<String> {
    if !is_thumb_name(db_key) {
        return None;
    }
    let (partname, extension) = split_name(db_key);
    let rest = match partname.find('-') {
        Some(i) => &partname[i + 1..],
        // strpos() === false; false + 1 == 1 (unreachable for a thumbnail-like name)
        None => partname.get(1..).unwrap_or(""),
    };
    let candidate = format!("{rest}.{extension}");
    match parse_title(&candidate, NS_FILE) {
        Some(t) if t.namespace == NS_FILE && !t.db_key.is_empty() => Some(t.db_key),
        _ => None,
    }
}

/// Whether the base name starts (case-sensitively) with one of MediaWiki's default camera prefixes
/// (`bad-prefix`: "DSC_0001.jpg", but also "JDoe.jpg" and "PICTure.png").
pub fn has_bad_prefix(db_key: &str) -> bool {
    bad_prefix_in(db_key, DEFAULT_BAD_PREFIXES).is_some()
}

/// The first prefix of `prefixes` the base name of `db_key` starts with.
pub fn bad_prefix_in<'a, S: AsRef<str>>(db_key: &str, prefixes: &'a [S]) -> Option<&'a str> {
    let (partname, _) = split_name(db_key);
    prefixes.iter().map(AsRef::as_ref).find(|p| partname.starts_with(*p))
}

/// Parse a `Filename-prefix-blacklist` message the way `UploadBase::getFilenamePrefixBlacklist`
/// does (for wikis that customise it): `#` lines and blank lines skipped, trailing `# comment`
/// removed together with the character before it, then trimmed.
pub fn parse_prefix_blacklist(message: &str) -> Vec<String> {
    let mut list = Vec::new();
    for line in message.split('\n') {
        let t = php_trim(line);
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let mut l = line;
        if let Some(pos) = l.find('#')
            && pos > 0
        {
            // substr( $line, 0, $comment - 1 ); '#' is ASCII so pos-1 is a boundary unless the
            // preceding char is multi-byte: then cut at the previous boundary.
            let mut cut = pos - 1;
            while cut > 0 && !l.is_char_boundary(cut) {
                cut -= 1;
            }
            l = &l[..cut];
        }
        list.push(php_trim(l).to_string());
    }
    list
}

/// The name split used by `getExistsWarning`: (part before the last '.', extension). A name with no
/// '.' or with its first '.' at offset 0 has an empty extension (PHP `!strpos()`).
pub fn split_name(db_key: &str) -> (&str, &str) {
    match db_key.find('.') {
        None | Some(0) => (db_key, ""),
        Some(_) => {
            let n = db_key.rfind('.').unwrap_or(0);
            (&db_key[..n], &db_key[n + 1..])
        }
    }
}

/// `exists-normalized` case (a): when the extension is not in normalized form, the name of the file
/// with the normalized extension ("Foo.JPEG" -> Some("Foo.jpg")); if that file exists, the warning is
/// `exists-normalized: "<that name>"`. None when the extension is already normalized.
pub fn normalized_ext_variant(db_key: &str) -> Option<String> {
    let (partname, extension) = split_name(db_key);
    let normalized = normalize_extension(extension);
    if normalized != extension {
        Some(format!("{partname}.{normalized}"))
    } else {
        None
    }
}

/// `exists-normalized` case (b): MediaWiki looks for any existing file whose name starts with this
/// prefix ("Foo.png" -> "Foo."), ordered by name, and reports the first one.
pub fn similar_name_prefix(db_key: &str) -> String {
    format!("{}.", split_name(db_key).0)
}

/// `Title::newFromText( $text, $defaultNamespace )` without interwiki handling: decode character
/// references, then `MediaWikiTitleCodec::splitTitleString`. The input should be NFC already (the
/// result of decoding is NFC-normalized, as MediaWiki does).
pub fn parse_title(text: &str, default_ns: i32) -> Option<ParsedTitle> {
    parse_title_checked(text, default_ns).ok()
}

/// [`parse_title`] with the reason a title is invalid (`MalformedTitleException`).
pub fn parse_title_checked(text: &str, default_ns: i32) -> Result<ParsedTitle, InvalidTitle> {
    let decoded = decode_char_references(text);
    // MediaWiki re-normalizes whenever the reference regex matched, i.e. whenever there was a '&'.
    let decoded: String = if text.contains('&') { decoded.nfc().collect() } else { decoded };
    split_title_string(&decoded, default_ns)
}

/// `ApiQueryBase::titlePartToKey`: the DB key of the start of a title in `ns` (a `from`,
/// `to` or `prefix` parameter), checked by `Title::makeTitleSafe` with an `x` appended (so a
/// trailing space survives and the part is capitalized). None where MediaWiki answers
/// `invalidtitle`: an invalid title, a fragment, or a part that names another namespace.
pub fn title_part_to_key(part: &str, ns: i32) -> Option<String> {
    let full = match ns {
        NS_MAIN => format!("{part}x"),
        _ => format!("{}:{part}x", canonical_ns_name(ns)?),
    };
    let t = split_title_string(&full, NS_MAIN).ok()?;
    if t.namespace != ns || !t.fragment.is_empty() {
        return None;
    }
    let mut key = t.db_key;
    key.pop();
    Some(key)
}

/// Why a title is invalid: the `MalformedTitleException`s of `MediaWikiTitleCodec::splitTitleString`,
/// in the order it checks them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InvalidTitle {
    /// `title-invalid-utf8`: U+FFFD (what input cleaning made of a bad byte or control character).
    Utf8,
    /// `title-invalid-empty`: nothing, or only a namespace.
    Empty,
    /// `title-invalid-talk-namespace`: `Talk:File:X`, a talk page of a talk page.
    TalkNamespace,
    /// `title-invalid-characters`: the first offending match (a character, `%XX` or `&name;`).
    Characters(String),
    /// `title-invalid-relative`: `./`, `../` and the like.
    Relative,
    /// `title-invalid-magic-tilde`: `~~~`.
    MagicTilde,
    /// `title-invalid-too-long`: more bytes than the limit (255, or 512 for Special pages).
    TooLong(usize),
    /// `title-invalid-leading-colon`: a colon left at the start after the prefixes.
    LeadingColon,
}

impl InvalidTitle {
    /// MediaWiki's message key.
    pub fn key(&self) -> &'static str {
        match self {
            InvalidTitle::Utf8 => "title-invalid-utf8",
            InvalidTitle::Empty => "title-invalid-empty",
            InvalidTitle::TalkNamespace => "title-invalid-talk-namespace",
            InvalidTitle::Characters(_) => "title-invalid-characters",
            InvalidTitle::Relative => "title-invalid-relative",
            InvalidTitle::MagicTilde => "title-invalid-magic-tilde",
            InvalidTitle::TooLong(_) => "title-invalid-too-long",
            InvalidTitle::LeadingColon => "title-invalid-leading-colon",
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Internals
// ---------------------------------------------------------------------------------------------

/// `Title::makeTitleSafe( $ns, $title )` → DB key, or None if invalid or not in `ns`.
fn make_title_safe(ns: i32, title: &str) -> Option<String> {
    let prefix = canonical_ns_name(ns)?;
    let full = if prefix.is_empty() {
        title.to_string()
    } else {
        format!("{prefix}:{title}")
    };
    let t = split_title_string(&full, NS_MAIN).ok()?;
    if t.namespace != ns || t.db_key.is_empty() {
        return None;
    }
    Some(t.db_key)
}

/// The canonical name of a namespace number, with underscores (`File`, `User_talk`; `""` for
/// the main namespace).
pub fn canonical_ns_name(ns: i32) -> Option<&'static str> {
    NAMESPACES.iter().find(|(_, n)| *n == ns).map(|(name, _)| *name)
}

/// Canonical English names (first entry per number) and aliases, as `Language::getNsIndex` knows
/// them on an English wiki.
const NAMESPACES: &[(&str, i32)] = &[
    ("Media", NS_MEDIA),
    ("Special", NS_SPECIAL),
    ("", NS_MAIN),
    ("Talk", NS_TALK),
    ("User", NS_USER),
    ("User_talk", NS_USER_TALK),
    ("Project", NS_PROJECT),
    ("Project_talk", NS_PROJECT_TALK),
    ("File", NS_FILE),
    ("File_talk", NS_FILE_TALK),
    ("MediaWiki", NS_MEDIAWIKI),
    ("MediaWiki_talk", NS_MEDIAWIKI_TALK),
    ("Template", NS_TEMPLATE),
    ("Template_talk", NS_TEMPLATE_TALK),
    ("Help", NS_HELP),
    ("Help_talk", NS_HELP_TALK),
    ("Category", NS_CATEGORY),
    ("Category_talk", NS_CATEGORY_TALK),
    ("Image", NS_FILE),
    ("Image_talk", NS_FILE_TALK),
];

/// `Language::getNsIndex`: case-insensitive (Unicode lowercase) lookup. The empty name is not a
/// prefix.
fn ns_index(name: &str) -> Option<i32> {
    if name.is_empty() {
        return None;
    }
    let lc = name.to_lowercase();
    NAMESPACES
        .iter()
        .find(|(n, _)| !n.is_empty() && n.to_ascii_lowercase() == lc)
        .map(|(_, i)| *i)
}

/// Legal title characters, `$wgLegalTitleChars` = ` %!"$&'()*,\-.\/0-9:;=?@A-Z\\^_`a-z~\x80-\xFF+`.
/// Every non-ASCII character (all its UTF-8 bytes are >= 0x80) is legal.
fn is_legal_title_char(c: char) -> bool {
    if !c.is_ascii() {
        return true;
    }
    matches!(c,
        ' ' | '%' | '!' | '"' | '$' | '&' | '\'' | '(' | ')' | '*' | ',' | '-' | '.' | '/'
        | '0'..='9' | ':' | ';' | '=' | '?' | '@' | 'A'..='Z' | '\\' | '^' | '_' | '`'
        | 'a'..='z' | '~' | '+')
}

/// `wfStripIllegalFilenameChars`: every illegal title character and every `:`, `/`, `\`
/// (`$wgIllegalFileChars`) becomes `-`, one per character. The basename step that follows is a
/// no-op, as no `/` or `\` remain.
pub fn strip_illegal_filename_chars(name: &str) -> String {
    name.chars()
        .map(|c| {
            if !is_legal_title_char(c) || matches!(c, ':' | '/' | '\\') {
                '-'
            } else {
                c
            }
        })
        .collect()
}

/// PHP `trim()` default character set: " \t\n\r\0\x0B".
fn php_trim(s: &str) -> &str {
    s.trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\r' | '\0' | '\x0B'))
}

/// `UploadBase::checkFileExtension`: `in_array( strtolower( $ext ), $list )`. The configured list
/// is compared case-insensitively (MediaWiki compares it literally; lists are lowercase by
/// convention, so this only forgives a mis-cased configuration).
fn extension_in_list(ext: &str, list: &[String]) -> bool {
    let lower = ext.to_ascii_lowercase();
    list.iter().any(|e| e.eq_ignore_ascii_case(&lower))
}

/// `Language::ucfirst` for English (`Title::capitalize` with `$wgCapitalLinks`): first byte < 96
/// (ASCII up to '_') unchanged, other ASCII via `ucfirst`, anything else via `mb_strtoupper` of the
/// first code point.
///
/// Edge cases: `mb_strtoupper` (PHP >= 7.3) and Rust's `char::to_uppercase` both use full case
/// mapping, so `ß` → `SS`, `ŉ` → `ʼN`, `ﬁ` → `FI`, and titlecase digraphs (`ǅ`) map to uppercase
/// (`Ǆ`). `$wgOverrideUcfirstCharacters` (empty by default) is not supported. The two may still
/// differ on characters added in Unicode versions newer than the one PHP was built with.
pub fn ucfirst(s: &str) -> String {
    let mut chars = s.chars();
    let Some(first) = chars.next() else {
        return String::new();
    };
    if (first as u32) < 96 {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 4);
    if first.is_ascii() {
        out.push(first.to_ascii_uppercase());
    } else {
        out.extend(first.to_uppercase());
    }
    out.push_str(chars.as_str());
    out
}

fn is_title_space(c: char) -> bool {
    matches!(
        c,
        ' ' | '_' | '\u{A0}' | '\u{1680}' | '\u{180E}' | '\u{2000}'
            ..='\u{200A}' | '\u{2028}' | '\u{2029}' | '\u{202F}' | '\u{205F}' | '\u{3000}'
    )
}

/// `MediaWikiTitleCodec::splitTitleString` (no interwikis).
pub fn split_title_string(text: &str, default_ns: i32) -> Result<ParsedTitle, InvalidTitle> {
    // Spaces to underscores, strip bidi marks (U+200E, U+200F, U+202A–U+202E), collapse
    // whitespace-like runs into one '_', trim '_'.
    let mut collapsed = String::with_capacity(text.len());
    let mut in_space = false;
    for c in text.chars() {
        if matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}') {
            continue;
        }
        if is_title_space(c) {
            if !in_space {
                collapsed.push('_');
            }
            in_space = true;
        } else {
            collapsed.push(c);
            in_space = false;
        }
    }
    let mut dbkey: &str = collapsed.trim_matches('_');

    if dbkey.contains('\u{FFFD}') {
        return Err(InvalidTitle::Utf8);
    }

    let mut namespace = default_ns;
    // Initial colon: main namespace.
    if let Some(rest) = dbkey.strip_prefix(':') {
        namespace = NS_MAIN;
        dbkey = rest.trim_matches('_');
    }
    if dbkey.is_empty() {
        return Err(InvalidTitle::Empty);
    }

    // Namespace prefix: /^(.+?)_*:_*(.*)$/
    if let Some((p, rest)) = match_prefix(dbkey)
        && let Some(ns) = ns_index(p)
    {
        dbkey = rest;
        namespace = ns;
        // Talk:File:x and the like are invalid.
        if ns == NS_TALK
            && let Some((x, _)) = match_prefix(dbkey)
            && ns_index(x).is_some_and(|n| n != 0)
        {
            return Err(InvalidTitle::TalkNamespace);
        }
    }

    let mut fragment = String::new();
    let mut key_owned;
    if let Some(pos) = dbkey.find('#') {
        fragment = dbkey[pos + 1..].replace('_', " ");
        key_owned = dbkey[..pos].to_string();
        while key_owned.ends_with('_') {
            key_owned.pop();
        }
    } else {
        key_owned = dbkey.to_string();
    }
    let dbkey = key_owned;

    if let Some(bad) = first_invalid_title_sequence(&dbkey) {
        return Err(InvalidTitle::Characters(bad.to_string()));
    }

    // Relative paths.
    if dbkey.contains('.')
        && (dbkey == "."
            || dbkey == ".."
            || dbkey.starts_with("./")
            || dbkey.starts_with("../")
            || dbkey.contains("/./")
            || dbkey.contains("/../")
            || dbkey.ends_with("/.")
            || dbkey.ends_with("/.."))
    {
        return Err(InvalidTitle::Relative);
    }

    if dbkey.contains("~~~") {
        return Err(InvalidTitle::MagicTilde);
    }

    let max_len = if namespace != NS_SPECIAL { 255 } else { 512 };
    if dbkey.len() > max_len {
        return Err(InvalidTitle::TooLong(max_len));
    }

    // Every namespace is capitalized with $wgCapitalLinks (the default).
    let dbkey = ucfirst(&dbkey);

    if dbkey.is_empty() && namespace != NS_MAIN {
        return Err(InvalidTitle::Empty);
    }
    if dbkey.starts_with(':') {
        return Err(InvalidTitle::LeadingColon);
    }

    Ok(ParsedTitle {
        namespace,
        db_key: dbkey,
        fragment,
    })
}

/// PCRE `/^(.+?)_*:_*(.*)$/` (no `/s`, no `/D`): returns (prefix, rest). `.` does not match `\n`, and
/// `$` also matches before a final `\n`, which is then not part of the rest.
fn match_prefix(s: &str) -> Option<(&str, &str)> {
    // First ':' at byte offset >= 1 (the lazy group needs one character).
    let colon = s.char_indices().skip(1).find(|&(_, c)| c == ':').map(|(i, _)| i)?;
    // Smallest end of the group such that only '_' remain before the colon (at least 1 byte).
    let before = &s[..colon];
    let mut end = before.trim_end_matches('_').len();
    if end == 0 {
        // The group must hold at least one character: take the first one.
        end = before.chars().next().map_or(0, char::len_utf8);
        if end == 0 {
            return None;
        }
    }
    let p = &s[..end];
    if p.contains('\n') {
        return None;
    }
    let after = s[colon + 1..].trim_start_matches('_');
    // (.*)$ : no newline except possibly one final newline, which is excluded.
    let rest = match after.find('\n') {
        None => after,
        Some(i) if i == after.len() - 1 => &after[..i],
        Some(_) => return None,
    };
    Some((p, rest))
}

/// `MediaWikiTitleCodec::getTitleInvalidRegex`: an illegal character, a percent-encoded byte, or an
/// HTML/XML character reference (`&name;`, `&#123;`, `&#x1F;` — lowercase `x` only).
/// The leftmost match of the invalid-title regex, as `preg_match`'s `$matches[0]` (what
/// `title-invalid-characters` quotes). The regex works on bytes and every byte >= 0x80 is
/// legal, so an illegal "character" is always one ASCII byte.
fn first_invalid_title_sequence(s: &str) -> Option<&str> {
    let b = s.as_bytes();
    for i in 0..b.len() {
        // (A continuation byte of a multi-byte character is never a match start: all legal.)
        if b[i].is_ascii() && !is_legal_title_char(b[i] as char) {
            return Some(&s[i..i + 1]);
        }
        match b[i] {
            b'%' if b.len() > i + 2 && b[i + 1].is_ascii_hexdigit() && b[i + 2].is_ascii_hexdigit() => {
                return Some(&s[i..i + 3]);
            }
            b'&' => {
                // &[A-Za-z0-9\x80-\xff]+;
                let n = b[i + 1..].iter().take_while(|&&x| x.is_ascii_alphanumeric() || x >= 0x80).count();
                if n > 0 && b.get(i + 1 + n) == Some(&b';') {
                    return Some(&s[i..i + 2 + n]);
                }
                if b.get(i + 1) == Some(&b'#') {
                    // &#[0-9]+;
                    let n = b[i + 2..].iter().take_while(|x| x.is_ascii_digit()).count();
                    if n > 0 && b.get(i + 2 + n) == Some(&b';') {
                        return Some(&s[i..i + 3 + n]);
                    }
                    // &#x[0-9A-Fa-f]+;
                    if b.get(i + 2) == Some(&b'x') {
                        let n = b[i + 3..].iter().take_while(|x| x.is_ascii_hexdigit()).count();
                        if n > 0 && b.get(i + 3 + n) == Some(&b';') {
                            return Some(&s[i..i + 4 + n]);
                        }
                    }
                }
            }
            _ => {}
        }
    }
    None
}

/// `Sanitizer::decodeCharReferences` (regex
/// `/&([A-Za-z0-9\x80-\xff]+);|&\#([0-9]+);|&\#[xX]([0-9A-Fa-f]+);|(&)/`).
pub fn decode_char_references(text: &str) -> String {
    if !text.contains('&') {
        return text.to_string();
    }
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut last = 0;
    while i < b.len() {
        if b[i] != b'&' {
            i += 1;
            continue;
        }
        // Named: &name;
        let n = b[i + 1..].iter().take_while(|&&x| x.is_ascii_alphanumeric() || x >= 0x80).count();
        if n > 0 && b.get(i + 1 + n) == Some(&b';') {
            // The name is a run of ASCII alphanumerics and whole non-ASCII characters (their bytes
            // are all >= 0x80 and the run stops at an ASCII byte), so the slice is valid UTF-8.
            let name = &text[i + 1..i + 1 + n];
            out.push_str(&text[last..i]);
            match decode_entity(name) {
                Some(c) => out.push(c),
                None => {
                    out.push('&');
                    out.push_str(name);
                    out.push(';');
                }
            }
            i += n + 2;
            last = i;
            continue;
        }
        if b.get(i + 1) == Some(&b'#') {
            // Decimal: &#123;
            let n = b[i + 2..].iter().take_while(|x| x.is_ascii_digit()).count();
            if n > 0 && b.get(i + 2 + n) == Some(&b';') {
                // intval() saturates: an overlong number is simply invalid.
                let cp = text[i + 2..i + 2 + n].parse::<u64>().unwrap_or(u64::MAX);
                out.push_str(&text[last..i]);
                out.push(decode_char(cp));
                i += n + 3;
                last = i;
                continue;
            }
            // Hex: &#x1F; / &#X1F;
            if matches!(b.get(i + 2), Some(b'x') | Some(b'X')) {
                let n = b[i + 3..].iter().take_while(|x| x.is_ascii_hexdigit()).count();
                if n > 0 && b.get(i + 3 + n) == Some(&b';') {
                    let cp = u64::from_str_radix(&text[i + 3..i + 3 + n], 16).unwrap_or(u64::MAX);
                    out.push_str(&text[last..i]);
                    out.push(decode_char(cp));
                    i += n + 4;
                    last = i;
                    continue;
                }
            }
        }
        // A lone '&'.
        i += 1;
    }
    out.push_str(&text[last..]);
    out
}

/// `Sanitizer::decodeChar`: the character if `validateCodepoint` accepts it, else U+FFFD.
fn decode_char(cp: u64) -> char {
    let ok = cp == 0x09
        || cp == 0x0a
        || (0x20..=0x7e).contains(&cp)
        || (0xa0..=0xd7ff).contains(&cp)
        || (0xe000..=0xfffd).contains(&cp)
        || (0x10000..=0x10ffff).contains(&cp);
    if ok {
        u32::try_from(cp).ok().and_then(char::from_u32).unwrap_or('\u{FFFD}')
    } else {
        '\u{FFFD}'
    }
}

/// `Sanitizer::decodeEntity` (aliases, then the entity table).
fn decode_entity(name: &str) -> Option<char> {
    let name = match name {
        "רלמ" | "رلم" => "rlm",
        other => other,
    };
    HTML_ENTITIES
        .binary_search_by(|(n, _)| (*n).cmp(name))
        .ok()
        .and_then(|i| char::from_u32(HTML_ENTITIES[i].1))
}

/// PHP 8 `$a != $b` negated for two strings: numeric strings compare as numbers, others bytewise.
fn php_loose_str_eq(a: &str, b: &str) -> bool {
    match (php_numeric(a), php_numeric(b)) {
        (Some(x), Some(y)) => match (x, y) {
            (PhpNum::Int(i), PhpNum::Int(j)) => i == j,
            (x, y) => {
                let (fx, fy) = (x.as_f64(), y.as_f64());
                if fx == fy && !fx.is_finite() {
                    // Both overflowed to the same infinity: PHP falls back to string comparison.
                    a == b
                } else {
                    fx == fy
                }
            }
        },
        _ => a == b,
    }
}

#[derive(Clone, Copy)]
enum PhpNum {
    Int(i64),
    Float(f64),
}

impl PhpNum {
    fn as_f64(self) -> f64 {
        match self {
            PhpNum::Int(i) => i as f64,
            PhpNum::Float(f) => f,
        }
    }
}

/// PHP 8 numeric string: optional leading whitespace, optional sign, digits with an optional '.',
/// optional exponent, optional trailing whitespace.
fn php_numeric(s: &str) -> Option<PhpNum> {
    let ws = |c: char| matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0B' | '\x0C');
    let t = s.trim_start_matches(ws).trim_end_matches(ws);
    let b = t.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+') | Some(b'-')) {
        i += 1;
    }
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let int_digits = i - int_start;
    let mut frac_digits = 0;
    let mut is_float = false;
    if i < b.len() && b[i] == b'.' {
        is_float = true;
        i += 1;
        let f = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        frac_digits = i - f;
    }
    if int_digits + frac_digits == 0 {
        return None;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        let mut j = i + 1;
        if matches!(b.get(j), Some(b'+') | Some(b'-')) {
            j += 1;
        }
        let e = j;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        if j > e {
            is_float = true;
            i = j;
        }
    }
    if i != b.len() {
        return None;
    }
    if !is_float && let Ok(v) = t.parse::<i64>() {
        return Some(PhpNum::Int(v));
    }
    t.parse::<f64>().ok().map(PhpNum::Float)
}

/// HTML 4.01 named character entities plus `apos` (`Sanitizer::$htmlEntities`), sorted by name.
#[rustfmt::skip]
const HTML_ENTITIES: &[(&str, u32)] = &[
    ("AElig", 198), ("Aacute", 193), ("Acirc", 194), ("Agrave", 192), ("Alpha", 913),
    ("Aring", 197), ("Atilde", 195), ("Auml", 196), ("Beta", 914), ("Ccedil", 199), ("Chi", 935),
    ("Dagger", 8225), ("Delta", 916), ("ETH", 208), ("Eacute", 201), ("Ecirc", 202),
    ("Egrave", 200), ("Epsilon", 917), ("Eta", 919), ("Euml", 203), ("Gamma", 915),
    ("Iacute", 205), ("Icirc", 206), ("Igrave", 204), ("Iota", 921), ("Iuml", 207), ("Kappa", 922),
    ("Lambda", 923), ("Mu", 924), ("Ntilde", 209), ("Nu", 925), ("OElig", 338), ("Oacute", 211),
    ("Ocirc", 212), ("Ograve", 210), ("Omega", 937), ("Omicron", 927), ("Oslash", 216),
    ("Otilde", 213), ("Ouml", 214), ("Phi", 934), ("Pi", 928), ("Prime", 8243), ("Psi", 936),
    ("Rho", 929), ("Scaron", 352), ("Sigma", 931), ("THORN", 222), ("Tau", 932), ("Theta", 920),
    ("Uacute", 218), ("Ucirc", 219), ("Ugrave", 217), ("Upsilon", 933), ("Uuml", 220), ("Xi", 926),
    ("Yacute", 221), ("Yuml", 376), ("Zeta", 918), ("aacute", 225), ("acirc", 226), ("acute", 180),
    ("aelig", 230), ("agrave", 224), ("alefsym", 8501), ("alpha", 945), ("amp", 38), ("and", 8743),
    ("ang", 8736), ("apos", 39), ("aring", 229), ("asymp", 8776), ("atilde", 227), ("auml", 228),
    ("bdquo", 8222), ("beta", 946), ("brvbar", 166), ("bull", 8226), ("cap", 8745),
    ("ccedil", 231), ("cedil", 184), ("cent", 162), ("chi", 967), ("circ", 710), ("clubs", 9827),
    ("cong", 8773), ("copy", 169), ("crarr", 8629), ("cup", 8746), ("curren", 164), ("dArr", 8659),
    ("dagger", 8224), ("darr", 8595), ("deg", 176), ("delta", 948), ("diams", 9830),
    ("divide", 247), ("eacute", 233), ("ecirc", 234), ("egrave", 232), ("empty", 8709),
    ("emsp", 8195), ("ensp", 8194), ("epsilon", 949), ("equiv", 8801), ("eta", 951), ("eth", 240),
    ("euml", 235), ("euro", 8364), ("exist", 8707), ("fnof", 402), ("forall", 8704),
    ("frac12", 189), ("frac14", 188), ("frac34", 190), ("frasl", 8260), ("gamma", 947),
    ("ge", 8805), ("gt", 62), ("hArr", 8660), ("harr", 8596), ("hearts", 9829), ("hellip", 8230),
    ("iacute", 237), ("icirc", 238), ("iexcl", 161), ("igrave", 236), ("image", 8465),
    ("infin", 8734), ("int", 8747), ("iota", 953), ("iquest", 191), ("isin", 8712), ("iuml", 239),
    ("kappa", 954), ("lArr", 8656), ("lambda", 955), ("lang", 9001), ("laquo", 171),
    ("larr", 8592), ("lceil", 8968), ("ldquo", 8220), ("le", 8804), ("lfloor", 8970),
    ("lowast", 8727), ("loz", 9674), ("lrm", 8206), ("lsaquo", 8249), ("lsquo", 8216), ("lt", 60),
    ("macr", 175), ("mdash", 8212), ("micro", 181), ("middot", 183), ("minus", 8722), ("mu", 956),
    ("nabla", 8711), ("nbsp", 160), ("ndash", 8211), ("ne", 8800), ("ni", 8715), ("not", 172),
    ("notin", 8713), ("nsub", 8836), ("ntilde", 241), ("nu", 957), ("oacute", 243), ("ocirc", 244),
    ("oelig", 339), ("ograve", 242), ("oline", 8254), ("omega", 969), ("omicron", 959),
    ("oplus", 8853), ("or", 8744), ("ordf", 170), ("ordm", 186), ("oslash", 248), ("otilde", 245),
    ("otimes", 8855), ("ouml", 246), ("para", 182), ("part", 8706), ("permil", 8240),
    ("perp", 8869), ("phi", 966), ("pi", 960), ("piv", 982), ("plusmn", 177), ("pound", 163),
    ("prime", 8242), ("prod", 8719), ("prop", 8733), ("psi", 968), ("quot", 34), ("rArr", 8658),
    ("radic", 8730), ("rang", 9002), ("raquo", 187), ("rarr", 8594), ("rceil", 8969),
    ("rdquo", 8221), ("real", 8476), ("reg", 174), ("rfloor", 8971), ("rho", 961), ("rlm", 8207),
    ("rsaquo", 8250), ("rsquo", 8217), ("sbquo", 8218), ("scaron", 353), ("sdot", 8901),
    ("sect", 167), ("shy", 173), ("sigma", 963), ("sigmaf", 962), ("sim", 8764), ("spades", 9824),
    ("sub", 8834), ("sube", 8838), ("sum", 8721), ("sup", 8835), ("sup1", 185), ("sup2", 178),
    ("sup3", 179), ("supe", 8839), ("szlig", 223), ("tau", 964), ("there4", 8756), ("theta", 952),
    ("thetasym", 977), ("thinsp", 8201), ("thorn", 254), ("tilde", 732), ("times", 215),
    ("trade", 8482), ("uArr", 8657), ("uacute", 250), ("uarr", 8593), ("ucirc", 251),
    ("ugrave", 249), ("uml", 168), ("upsih", 978), ("upsilon", 965), ("uuml", 252),
    ("weierp", 8472), ("xi", 958), ("yacute", 253), ("yen", 165), ("yuml", 255), ("zeta", 950),
    ("zwj", 8205), ("zwnj", 8204),
];

// ----------------------------------------------------------------- page titles

/// A page's title: namespace and DB key (`titles=` of queries, `title=` of edits and deletions).
#[derive(Debug, Clone, PartialEq)]
pub struct PageTitle {
    pub ns: i64,
    pub db_key: String,
}

impl PageTitle {
    /// `Title::getPrefixedText`: "File:Foo bar.png", "Main page".
    pub fn display(&self) -> String {
        let name = display_name(&self.db_key);
        match i32::try_from(self.ns).ok().and_then(canonical_ns_name) {
            Some("") | None => name,
            Some(ns) => format!("{}:{name}", display_name(ns)),
        }
    }
}

/// `Title::newFromText( $input )` for page titles: NFC, character references, namespace
/// prefixes and aliases (`Image:`), MediaWiki's legal-character and length rules. None for an
/// invalid or empty title.
pub fn page_title(input: &str) -> Option<PageTitle> {
    let t: String = input.nfc().collect();
    let p = parse_title(&t, NS_MAIN)?;
    if p.db_key.is_empty() {
        return None;
    }
    Some(PageTitle {
        ns: i64::from(p.namespace),
        db_key: p.db_key,
    })
}

/// Every namespace (number, canonical name with spaces) in MediaWiki's order.
pub fn canonical_namespaces() -> Vec<(i64, String)> {
    let mut out: Vec<(i64, String)> = Vec::new();
    for (name, ns) in NAMESPACES {
        if !out.iter().any(|(n, _)| *n == i64::from(*ns)) {
            out.push((i64::from(*ns), display_name(name)));
        }
    }
    out
}

/// `wfUrlencode`: like rawurlencode but keeps `:` `/` `;` `@` `$` `!` `*` `(` `)` `,` `~`.
pub fn wf_urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~:/;@$!*(),".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ft(name: &str) -> Result<FileTitle, TitleError> {
        file_title(name, &TitleRules::default(), None)
    }
    fn key(name: &str) -> String {
        match ft(name) {
            Ok(t) => t.db_key,
            Err(e) => panic!("{name:?}: unexpected {e:?}"),
        }
    }
    fn illegal(name: &str) -> String {
        match ft(name) {
            Err(TitleError::Illegal { filtered }) => filtered,
            other => panic!("{name:?}: expected Illegal, got {other:?}"),
        }
    }

    // §4.3 test vectors ---------------------------------------------------------------------

    #[test]
    fn spec_vectors() {
        assert_eq!(key("A/B.jpg"), "A-B.jpg");
        assert_eq!(badfilename("A/B.jpg", "A-B.jpg"), Some("A-B.jpg".into()));
        assert_eq!(key("A:B.jpg"), "A-B.jpg");
        assert_eq!(key("File:C.jpg"), "C.jpg");
        assert_eq!(badfilename("File:C.jpg", "C.jpg"), Some("C.jpg".into()));
        assert_eq!(key("file:c.jpg"), "C.jpg");
        assert_eq!(illegal("%281%29.JPG"), "%281%29.JPG");
        assert_eq!(illegal("A&amp;B.jpg"), "A&amp;B.jpg");
        assert_eq!(illegal("~~~~.png"), "~~~~.png");
        assert_eq!(ft("A"), Err(TitleError::FiletypeMissing));
        assert_eq!(ft(".jpg"), Err(TitleError::TooShort));
        assert_eq!(ft(&format!("{}.jpg", "x".repeat(237))), Err(TitleError::TooLong)); // 241 bytes
        assert_eq!(key(&format!("{}.jpg", "x".repeat(236))).len(), 240);
        assert_eq!(
            ft("Foo.exe"),
            Err(TitleError::Banned {
                final_ext: "exe".into(),
                blacklisted: vec!["exe".into()]
            })
        );
        assert_eq!(
            ft("Foo.php.png"),
            Err(TitleError::Banned {
                final_ext: "png".into(),
                blacklisted: vec!["php".into()]
            })
        );
        assert_eq!(key("foo bar.png"), "Foo_bar.png");
        assert_eq!(badfilename("foo bar.png", "Foo_bar.png"), None);
    }

    #[test]
    fn more_spec_examples() {
        assert_eq!(key("C:\\x\\y.png"), "C--x-y.png");
        assert_eq!(key("a#b.png"), "A-b.png");
        assert_eq!(key("file: x.jpg"), "X.jpg");
        assert_eq!(key("Image:Foo bar.jpg"), "Foo_bar.jpg");
        assert_eq!(key("IMAGE : foo.jpg"), "Foo.jpg");
        // Media: and unknown prefixes are not stripped; the colon becomes '-'.
        assert_eq!(key("Media:X.jpg"), "Media-X.jpg");
        assert_eq!(key("en:X.jpg"), "En-X.jpg");
        assert_eq!(key("Talk:X.jpg"), "Talk-X.jpg");
        let t = ft("A.tar.gz");
        assert_eq!(
            t,
            Err(TitleError::Banned {
                final_ext: "gz".into(),
                blacklisted: vec![]
            })
        );
        assert_eq!(
            file_title(
                "A.tar.gz",
                &TitleRules {
                    strict_extensions: false,
                    ..Default::default()
                },
                None
            ),
            Ok(FileTitle {
                db_key: "A.tar.gz".into(),
                final_ext: "gz".into(),
                unwanted_type: true
            })
        );
    }

    // Transcripts (MediaWiki 1.39) ----------------------------------------------------------

    #[test]
    fn transcript_names() {
        // 24: extension case preserved
        assert_eq!(
            ft("Ref2-a.PNG"),
            Ok(FileTitle {
                db_key: "Ref2-a.PNG".into(),
                final_ext: "PNG".into(),
                unwanted_type: false
            })
        );
        assert_eq!(key("Foo.JPEG"), "Foo.JPEG");
        // 26: ':' replaced -> badfilename
        assert_eq!(key("Ref2:colon.png"), "Ref2-colon.png");
        assert_eq!(badfilename("Ref2:colon.png", "Ref2-colon.png"), Some("Ref2-colon.png".into()));
        // 27/28 thumb names
        assert_eq!(key("120px-Ref2-thumb.png"), "120px-Ref2-thumb.png");
        assert_eq!(thumb_source("120px-Ref2-thumb.png"), Some("Ref2-thumb.png".into()));
        assert_eq!(thumb_source("120px-Ref2-a.png"), Some("Ref2-a.png".into()));
        // 29 bad prefix
        assert!(has_bad_prefix(&key("DSC_Ref2.png")));
        // 44: no extension + PNG bytes
        let t = file_title("Ref2-noext", &TitleRules::default(), Some("png")).unwrap();
        assert_eq!(
            t,
            FileTitle {
                db_key: "Ref2-noext.png".into(),
                final_ext: "png".into(),
                unwanted_type: false
            }
        );
        assert_eq!(badfilename("Ref2-noext", &t.db_key), Some("Ref2-noext.png".into()));
        // 45: no extension, unknown content (and chunk requests, which have no file)
        assert_eq!(ft("Ref2-noext2"), Err(TitleError::FiletypeMissing));
        // 46: <> replaced
        assert_eq!(key("Ref2<bad>.png"), "Ref2-bad-.png");
        assert_eq!(badfilename("Ref2<bad>.png", "Ref2-bad-.png"), Some("Ref2-bad-.png".into()));
        // 48: %41 illegal, error data is the filtered name
        assert_eq!(illegal("Ref2-%41.png"), "Ref2-%41.png");
        // 50: 250 bytes
        let long = format!("Ref2{}.png", "L".repeat(242));
        assert_eq!(long.len(), 250);
        assert_eq!(ft(&long), Err(TitleError::TooLong));
        // 41 .exe
        assert_eq!(
            ft("Ref2-x.exe"),
            Err(TitleError::Banned {
                final_ext: "exe".into(),
                blacklisted: vec!["exe".into()]
            })
        );
        // 42 .zip: not in the allow list, nothing blacklisted
        assert_eq!(
            ft("Ref2-x.zip"),
            Err(TitleError::Banned {
                final_ext: "zip".into(),
                blacklisted: vec![]
            })
        );
    }

    #[test]
    fn banned_any_extension() {
        assert_eq!(
            ft("x.tar.php.png"),
            Err(TitleError::Banned {
                final_ext: "png".into(),
                blacklisted: vec!["php".into()]
            })
        );
        assert_eq!(
            ft("x.PHP.Php.png"),
            Err(TitleError::Banned {
                final_ext: "png".into(),
                blacklisted: vec!["php".into(), "php".into()]
            })
        );
        assert_eq!(
            ft("x.EXE"),
            Err(TitleError::Banned {
                final_ext: "EXE".into(),
                blacklisted: vec!["exe".into()]
            })
        );
        // The guessed extension is checked as well.
        let r = file_title("Foo", &TitleRules::default(), Some("exe"));
        assert_eq!(
            r,
            Err(TitleError::Banned {
                final_ext: "exe".into(),
                blacklisted: vec!["exe".into()]
            })
        );
    }

    #[test]
    fn missing_and_short() {
        // A trailing dot gives an empty final extension: missing, and no guess is made.
        assert_eq!(
            file_title("Foo.", &TitleRules::default(), Some("png")),
            Err(TitleError::FiletypeMissing)
        );
        assert_eq!(ft("x.php."), Err(TitleError::FiletypeMissing));
        assert_eq!(
            file_title("Foo", &TitleRules::default(), Some("")),
            Err(TitleError::FiletypeMissing)
        );
        assert_eq!(key("..jpg"), "..jpg");
        assert_eq!(ft(".png"), Err(TitleError::TooShort));
    }

    #[test]
    fn illegal_names() {
        assert_eq!(illegal(""), "");
        assert_eq!(illegal("   "), "   ");
        assert_eq!(illegal("_"), "_");
        assert_eq!(illegal("\u{200E}"), "\u{200E}");
        // '#' is replaced before the title check, so numeric references cannot survive...
        assert_eq!(key("a&#123;.png"), "A&-123;.png");
        assert_eq!(key("a&#x1F;.png"), "A&-x1F;.png");
        // ...but named ones make the name illegal.
        assert_eq!(illegal("a&eacute;.png"), "a&eacute;.png");
        assert_eq!(illegal("a&bogus;.png"), "a&bogus;.png");
        assert_eq!(illegal("a\u{FFFD}.png"), "a\u{FFFD}.png");
        assert_eq!(key("a&#X41;.png"), "A&-X41;.png");
        // Without decoding (makeTitleSafe), '#' starts a fragment.
        assert_eq!(make_title_safe(NS_FILE, "a&#X41;.png"), Some("A&".into()));
        assert_eq!(make_title_safe(NS_FILE, "a&#x41;.png"), Some("A&".into()));
        assert_eq!(first_invalid_title_sequence("a&#x41;b"), Some("&#x41;"));
        assert_eq!(first_invalid_title_sequence("a&amp;b"), Some("&amp;"));
        assert_eq!(first_invalid_title_sequence("a%41b"), Some("%41"));
        assert_eq!(first_invalid_title_sequence("a%4gb"), None);
        assert_eq!(parse_title("a&#X41;b", NS_MAIN).unwrap().db_key, "AAb");
        assert_eq!(key("A&B.png"), "A&B.png");
        assert_eq!(key("100%.png"), "100%.png");
        assert_eq!(illegal("File:Foo%41.png"), "File-Foo%41.png");
        // Controls become '-'
        assert_eq!(key("a\tb\u{7f}.png"), "A-b-.png");
        assert_eq!(key("a[b]{c}|d.png"), "A-b--c--d.png");
    }

    #[test]
    fn whitespace_and_bidi() {
        assert_eq!(key("  a   b__c\u{3000}d.png  "), "A_b_c_d.png");
        assert_eq!(key("\u{200F}a\u{202A}b.png"), "Ab.png");
        assert_eq!(key("a\u{A0}b.png"), "A_b.png");
        assert_eq!(badfilename("a\u{A0}b.png", "A_b.png"), Some("A_b.png".into()));
    }

    #[test]
    fn file_prefix_details() {
        // The File: strip uses the full title parser: char refs decoded, fragment removed.
        assert_eq!(key("File:A&amp;B.jpg"), "A&B.jpg");
        assert_eq!(
            file_title("File:Foo#bar.jpg", &TitleRules::default(), Some("png")).unwrap().db_key,
            "Foo.png"
        );
        assert_eq!(key("&#70;ile:X.jpg"), "X.jpg");
        assert_eq!(key(":File:X.jpg"), "X.jpg");
        assert_eq!(key("File:Talk:X.jpg"), "Talk-X.jpg");
        // An illegal File: title keeps the raw string.
        assert_eq!(key("File:a<b.png"), "File-a-b.png");
        // Talk:File:X is an invalid title: raw string kept.
        assert_eq!(key("Talk:File:X.png"), "Talk-File-X.png");
        // Length counts the stripped name: "File:" + 236 + ".jpg" is fine.
        assert_eq!(key(&format!("File:{}.jpg", "x".repeat(236))).len(), 240);
    }

    #[test]
    fn unicode_first_letter() {
        assert_eq!(key("éa.png"), "Éa.png");
        assert_eq!(key("ßa.png"), "SSa.png");
        assert_eq!(key("ǆx.png"), "Ǆx.png");
        assert_eq!(key("1a.png"), "1a.png");
        assert_eq!(key("_a.png"), "A.png");
        // NFC
        assert_eq!(key("e\u{301}a.png"), "Éa.png");
        assert_eq!(badfilename("e\u{301}a.png", "Éa.png"), None);
    }

    #[test]
    fn strict_off_and_unwanted() {
        let rules = TitleRules {
            strict_extensions: false,
            ..Default::default()
        };
        let t = file_title("Foo.zip", &rules, None).unwrap();
        assert!(t.unwanted_type);
        assert_eq!(t.final_ext, "zip");
        assert!(!file_title("Foo.png", &rules, None).unwrap().unwanted_type);
        // Prohibited still wins
        assert!(matches!(file_title("Foo.exe", &rules, None), Err(TitleError::Banned { .. })));
        let rules = TitleRules {
            check_extensions: false,
            ..Default::default()
        };
        assert!(!file_title("Foo.zip", &rules, None).unwrap().unwanted_type);
    }

    #[test]
    fn file_db_key_examples() {
        assert_eq!(file_db_key("File:Foo bar.png"), Some("Foo_bar.png".into()));
        assert_eq!(file_db_key("Image:foo.png"), Some("Foo.png".into()));
        assert_eq!(file_db_key("foo.png"), Some("Foo.png".into()));
        assert_eq!(file_db_key("File:"), None);
        assert_eq!(file_db_key("Talk:Foo.png"), None);
        assert_eq!(file_db_key("Media:Foo.png"), None);
        assert_eq!(file_db_key("File:A<B.png"), None);
        assert_eq!(file_db_key("File:Foo.png#frag"), Some("Foo.png".into()));
        assert_eq!(file_db_key(""), None);
        assert_eq!(display_name("Foo_bar_baz.png"), "Foo bar baz.png");
    }

    #[test]
    fn normalize_extension_cases() {
        assert_eq!(normalize_extension("JPEG"), "jpg");
        assert_eq!(normalize_extension("jpg"), "jpg");
        assert_eq!(normalize_extension("Htm"), "html");
        assert_eq!(normalize_extension("mpeg"), "mpg");
        assert_eq!(normalize_extension("TIFF"), "tif");
        assert_eq!(normalize_extension("ogv"), "ogg");
        assert_eq!(normalize_extension("PNG"), "png");
        assert_eq!(normalize_extension("tar-gz"), "");
        assert_eq!(normalize_extension(""), "");
        assert_eq!(normalize_extension("é"), "");
    }

    #[test]
    fn exists_normalized_helpers() {
        assert_eq!(normalized_ext_variant("Ref2-a.PNG"), Some("Ref2-a.png".into()));
        assert_eq!(normalized_ext_variant("Foo.JPEG"), Some("Foo.jpg".into()));
        assert_eq!(normalized_ext_variant("Foo.jpeg"), Some("Foo.jpg".into()));
        assert_eq!(normalized_ext_variant("Foo.png"), None);
        assert_eq!(similar_name_prefix("Foo.png"), "Foo.");
        assert_eq!(similar_name_prefix("A.tar.gz"), "A.tar.");
        assert_eq!(split_name("Foo"), ("Foo", ""));
        assert_eq!(split_name(".foo"), (".foo", ""));
    }

    #[test]
    fn badfilename_cases() {
        assert_eq!(badfilename("Foo.png", "Foo.png"), None);
        assert_eq!(badfilename("foo.png", "Foo.png"), None);
        assert_eq!(badfilename("foo_bar.png", "Foo_bar.png"), None);
        assert_eq!(badfilename("file:c.jpg", "C.jpg"), Some("C.jpg".into()));
        assert_eq!(badfilename("Foo  bar.png", "Foo_bar.png"), Some("Foo_bar.png".into()));
        assert_eq!(badfilename(" Foo.png", "Foo.png"), Some("Foo.png".into()));
        // PHP numeric-string comparison
        assert_eq!(badfilename(" 1.5", "1.5"), None);
        assert_eq!(badfilename("1.50", "1.5"), None);
        assert_eq!(badfilename("1.5x", "1.5"), Some("1.5".into()));
    }

    #[test]
    fn thumb_names() {
        assert!(is_thumb_name("120px-Foo.png"));
        assert!(is_thumb_name("50px-Foo.png"));
        assert!(!is_thumb_name("5px-Foo.png"));
        assert!(!is_thumb_name("1200px-Foo.png"));
        assert!(!is_thumb_name("Foo.png"));
        assert!(!is_thumb_name("ab0px-Foo.png"));
        assert!(is_thumb_name("12-px-Foo.png"));
        assert_eq!(thumb_source("12-px-Foo.png"), Some("Px-Foo.png".into()));
        assert_eq!(thumb_source("50px-foo.png"), Some("Foo.png".into()));
        assert_eq!(thumb_source("120px-Foo.png"), Some("Foo.png".into()));
        assert_eq!(thumb_source("Foo.png"), None);
        assert_eq!(thumb_source("120px-"), None);
        // No '.': empty extension, the candidate is "é." (a valid title).
        assert_eq!(thumb_source("99px-é"), Some("É.".into()));
    }

    #[test]
    fn bad_prefixes() {
        for n in [
            "DSC_0001.jpg",
            "IMG_1234.jpg",
            "CIMG1.png",
            "JDoe.jpg",
            "PICTure.png",
            "DUW.png",
            "MGP1.png",
            "DSCF2.png",
            "DSCN3.png",
        ] {
            assert!(has_bad_prefix(n), "{n}");
        }
        for n in ["Dsc_1.jpg", "Foo.png", "Img.png", "XIMG.png", "IM.png"] {
            assert!(!has_bad_prefix(n), "{n}");
        }
        let msg = " #<!-- leave this line exactly as it is --> <pre>\n# Syntax is as follows:\n#   * Everything from a \"#\" character to the end of the line is a comment\n#   * Every non-blank line is a prefix for typical filenames assigned automatically by digital cameras\nCIMG # Casio\nDSC_ # Nikon\nDSCF # Fuji\nDSCN # Nikon\nDUW # some mobile phones\nIMG # generic\nJD # Jenoptik\nMGP # Pentax\nPICT # misc.\n #</pre> <!-- leave this line exactly as it is -->";
        assert_eq!(parse_prefix_blacklist(msg), DEFAULT_BAD_PREFIXES);
        assert_eq!(bad_prefix_in("IMG_1.png", DEFAULT_BAD_PREFIXES), Some("IMG"));
    }

    #[test]
    fn parse_title_cases() {
        let t = parse_title("File:Foo bar.png", NS_MAIN).unwrap();
        assert_eq!((t.namespace, t.db_key.as_str()), (NS_FILE, "Foo_bar.png"));
        let t = parse_title("user talk:bob", NS_MAIN).unwrap();
        assert_eq!((t.namespace, t.db_key.as_str()), (NS_USER_TALK, "Bob"));
        let t = parse_title("Foo#Bar_baz", NS_MAIN).unwrap();
        assert_eq!((t.db_key.as_str(), t.fragment.as_str()), ("Foo", "Bar baz"));
        let t = parse_title("#frag", NS_MAIN).unwrap();
        assert_eq!(t.db_key, "");
        assert!(parse_title("File:", NS_MAIN).is_none());
        assert!(parse_title("::Foo", NS_MAIN).is_none());
        assert!(parse_title("a/./b", NS_MAIN).is_none());
        assert!(parse_title("../b", NS_MAIN).is_none());
        assert!(parse_title("a/..", NS_MAIN).is_none());
        assert!(parse_title(&"x".repeat(256), NS_MAIN).is_none());
        assert!(parse_title(&"x".repeat(255), NS_MAIN).is_some());
    }

    #[test]
    fn invalid_titles_say_why_like_splittitlestring() {
        let why = |t: &str| parse_title_checked(t, NS_MAIN).unwrap_err();
        assert_eq!(why("A\u{FFFD}B"), InvalidTitle::Utf8);
        assert_eq!(why(":"), InvalidTitle::Empty);
        assert_eq!(why("Talk:"), InvalidTitle::Empty);
        assert_eq!(why("Talk:File:X"), InvalidTitle::TalkNamespace);
        assert_eq!(why("Foo|1"), InvalidTitle::Characters("|".into()));
        assert_eq!(why("A%20B[c]"), InvalidTitle::Characters("%20".into()));
        assert_eq!(why("\u{e9}&foo;x"), InvalidTitle::Characters("&foo;".into()));
        assert_eq!(why("A\tB"), InvalidTitle::Characters("\t".into()));
        assert_eq!(why("A/../B"), InvalidTitle::Relative);
        assert_eq!(why("A~~~B"), InvalidTitle::MagicTilde);
        assert_eq!(why(&"x".repeat(256)), InvalidTitle::TooLong(255));
        assert_eq!(why(&format!("Special:{}", "x".repeat(513))), InvalidTitle::TooLong(512));
        assert_eq!(why("::A"), InvalidTitle::LeadingColon);
        assert_eq!(parse_title_checked("#frag", NS_MAIN).unwrap().db_key, "");
        assert_eq!(title_part_to_key("foo bar ", NS_FILE).as_deref(), Some("Foo_bar_"));
        assert_eq!(title_part_to_key("Talk:x", NS_FILE).as_deref(), Some("Talk:x"));
        assert_eq!(title_part_to_key("a[b", NS_FILE), None);
        assert_eq!(title_part_to_key("a#b", NS_FILE), None);
        assert_eq!(title_part_to_key("Talk:x", NS_MAIN), None);
        assert_eq!(parse_title("a&eacute;b", NS_MAIN).unwrap().db_key, "Aéb");
        assert_eq!(parse_title("a&#233;b", NS_MAIN).unwrap().db_key, "Aéb");
        assert_eq!(parse_title("a&#xE9;b", NS_MAIN).unwrap().db_key, "Aéb");
        assert!(parse_title("a&#128;b", NS_MAIN).is_none()); // C1 control -> U+FFFD
        assert!(parse_title("a&#99999999999999999999999;b", NS_MAIN).is_none());
        assert!(parse_title("a&bogus;b", NS_MAIN).is_none());
        assert_eq!(parse_title("a&רלמ;b", NS_MAIN).unwrap().db_key, "Ab"); // rlm is stripped
        // Trailing newline is outside PCRE's (.*)$
        let t = parse_title("File:X.jpg\n", NS_MAIN).unwrap();
        assert_eq!((t.namespace, t.db_key.as_str()), (NS_FILE, "X.jpg"));
        assert!(parse_title("File:X\n.jpg", NS_MAIN).is_none());
    }

    #[test]
    fn no_panic_on_odd_input() {
        let inputs = [
            "",
            ":",
            "::",
            ":::",
            "_:_",
            "File",
            "File:",
            "File::",
            ":File:",
            "&",
            "&;",
            "&#;",
            "&#x;",
            "&#",
            "&#x",
            "%",
            "%4",
            "%zz",
            "\u{0}",
            "\n",
            "\n:\n",
            "ǅ",
            "ŉ.png",
            "日本語.png",
            "Ω:ω.png",
            "😀.png",
            "File:😀",
            "a.",
            ".",
            "..",
            "...",
            "px-",
            "12px-.png",
            "12px-",
            "1",
            "99px-é",
        ];
        for i in inputs {
            let _ = file_title(i, &TitleRules::default(), None);
            let _ = file_title(i, &TitleRules::default(), Some("png"));
            let _ = file_db_key(i);
            let _ = badfilename(i, i);
            let _ = thumb_source(i);
            let _ = has_bad_prefix(i);
            let _ = normalized_ext_variant(i);
            let _ = similar_name_prefix(i);
            let _ = parse_prefix_blacklist(i);
            let _ = normalize_extension(i);
        }
        // Every split point of a multi-byte string.
        let s = "Fïlé:ñame😀.pñg#x&é;";
        for (i, _) in s.char_indices() {
            let _ = file_title(&s[i..], &TitleRules::default(), Some("png"));
            let _ = file_title(&s[..i], &TitleRules::default(), Some("png"));
        }
        // Bytes sweep (ASCII)
        for b in 0u8..128 {
            let n = format!("a{}b.png", b as char);
            let _ = file_title(&n, &TitleRules::default(), None);
        }
        assert_eq!(key("ŉ.png"), "ʼN.png");
    }

    #[test]
    fn entity_table_sorted() {
        assert_eq!(HTML_ENTITIES.len(), 253);
        assert!(HTML_ENTITIES.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(decode_entity("amp"), Some('&'));
        assert_eq!(decode_entity("apos"), Some('\''));
        assert_eq!(decode_entity("AMP"), None);
    }
}
