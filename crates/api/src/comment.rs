//! `parsedcomment` (and `parseddescription`): an edit summary or upload comment as HTML, the way
//! MediaWiki 1.39's `CommentFormatter` / `CommentParser` renders it. The comment is escaped
//! (`Sanitizer::escapeHtmlAllowEntities`: character references decoded, then every special
//! character escaped again), `/* section */` becomes a section link of the page the comment
//! belongs to, and `[[links]]` (with English link trails) and `[[Media:…]]` links become links:
//! blue to pages that exist, red (`class="new"`, the edit URL) to those that do not. Everything
//! else, templates and HTML included, stays text.
//!
//! Whether a linked page or file exists needs the database, so rendering is two steps: collect
//! the targets of every comment of an answer ([`Links::resolve`], one look-up per distinct
//! target) into the request's [`crate::envelope::Ctx`], then render synchronously ([`format`]).

use mwupload_core::AppState;
use mwupload_core::title::{self, NS_FILE, NS_MAIN, NS_SPECIAL};
use std::collections::HashMap;
use std::sync::Mutex;

/// What a comment needs looked up before it can be rendered.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Target {
    /// A page (namespace, DB key): does it exist?
    Page(i64, String),
    /// A file (DB key) of a `[[Media:…]]` link: is there a current version?
    File(String),
}

/// The looked-up existence of comment link targets (a request's cache; shared by the modules
/// of one request, which render through `&Ctx`).
#[derive(Debug, Default)]
pub struct Links {
    known: Mutex<HashMap<Target, bool>>,
}

impl Clone for Links {
    fn clone(&self) -> Links {
        Links {
            known: Mutex::new(self.lock().clone()),
        }
    }
}

impl Links {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Target, bool>> {
        self.known.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Looks up every target not looked up yet of these comments, each with the page it
    /// belongs to (as for [`format`]).
    pub async fn resolve<'a>(
        &self,
        state: &AppState,
        comments: impl IntoIterator<Item = (&'a str, Option<(i64, &'a str)>)>,
    ) -> mwupload_store::StoreResult<()> {
        let mut wanted = Vec::new();
        for (c, self_title) in comments {
            if !c.contains("[[") {
                continue;
            }
            render(c, self_title, &mut |l| {
                let t = match l {
                    Link::Page { ns, key, .. } => Target::Page(ns, key),
                    Link::Media { key, .. } => Target::File(key),
                };
                wanted.push(t);
                String::new()
            });
        }
        for t in wanted {
            if self.lock().contains_key(&t) {
                continue;
            }
            let exists = match &t {
                Target::Page(ns, key) => state.meta.page(*ns, key).await?.is_some(),
                Target::File(key) => state.meta.current_file(key).await?.is_some(),
            };
            self.lock().insert(t, exists);
        }
        Ok(())
    }

    fn exists(&self, t: &Target) -> bool {
        self.lock().get(t).copied().unwrap_or(false)
    }
}

/// A link found in a comment, for the caller to turn into HTML.
enum Link {
    /// `[[target|text]]`: `text` is HTML already.
    Page {
        ns: i64,
        key: String,
        fragment: String,
        text: String,
    },
    /// `[[Media:name|text]]`.
    Media { key: String, text: String },
}

/// The comment as HTML. `self_title` (namespace, DB key) is the page the comment belongs to:
/// the target of its section links and of `[[#fragment]]` links.
pub fn format(comment: &str, self_title: Option<(i64, &str)>, links: &Links) -> String {
    render(comment, self_title, &mut |l| match l {
        Link::Page { ns, key, fragment, text } => {
            if ns == i64::from(NS_SPECIAL) || links.exists(&Target::Page(ns, key.clone())) {
                known_link(ns, &key, &fragment, &text)
            } else {
                broken_link(ns, &key, &text)
            }
        }
        Link::Media { key, text } => media_link(&key, &text, links.exists(&Target::File(key.clone()))),
    })
}

/// `CommentParser::preprocessInternal` + `finalize`, with `link` rendering each link.
fn render(comment: &str, self_title: Option<(i64, &str)>, link: &mut dyn FnMut(Link) -> String) -> String {
    let comment: String = comment.chars().map(|c| if c == '\n' || c == '\x1b' { ' ' } else { c }).collect();
    let escaped = escape_html_allow_entities(&comment);
    let sectioned = section_links(&escaped, self_title);
    wiki_links(&sectioned, self_title, link)
}

/// `Sanitizer::escapeHtmlAllowEntities`: decode character references, then `htmlspecialchars`
/// with `ENT_QUOTES`.
pub fn escape_html_allow_entities(s: &str) -> String {
    let decoded = title::decode_char_references(s);
    let mut out = String::with_capacity(decoded.len());
    for c in decoded.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#039;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// An attribute value as `Html::expandAttributes` encodes it.
fn attr(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c => out.push(c),
        }
    }
    out
}

/// PCRE's `\s` without the UTF-8 flag.
fn is_pcre_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// `Title::getPrefixedDBkey`.
fn prefixed_db_key(ns: i64, key: &str) -> String {
    match i32::try_from(ns).ok().and_then(title::canonical_ns_name) {
        Some("") | None => key.to_string(),
        Some(name) => format!("{name}:{key}"),
    }
}

/// `Title::getPrefixedText`.
fn prefixed_text(ns: i64, key: &str) -> String {
    title::PageTitle {
        ns,
        db_key: key.to_string(),
    }
    .display()
}

/// `Title::getLocalURL` on a wiki whose article path is `/w/index.php?title=$1`.
fn local_url(ns: i64, key: &str, query: &str) -> String {
    let t = title::wf_urlencode(&prefixed_db_key(ns, key));
    if query.is_empty() {
        format!("/w/index.php?title={t}")
    } else {
        format!("/w/index.php?title={t}&{query}")
    }
}

/// `Sanitizer::escapeIdForLink` in `$wgFragmentMode`'s default `html5` mode.
fn escape_id_for_link(id: &str) -> String {
    let id: String = id
        .chars()
        .take(1024)
        .map(|c| if matches!(c, '\t' | '\n' | '\x0c' | '\r' | ' ') { '_' } else { c })
        .collect();
    // %XX becomes %25XX, so the browser shows the id as written.
    let b = id.as_bytes();
    let mut out = String::with_capacity(id.len());
    let mut last = 0;
    for i in 0..b.len() {
        if b[i] == b'%' && b.len() > i + 2 && b[i + 1].is_ascii_hexdigit() && b[i + 2].is_ascii_hexdigit() {
            out.push_str(&id[last..=i]);
            out.push_str("25");
            last = i + 1;
        }
    }
    out.push_str(&id[last..]);
    out
}

/// `LinkRenderer::makeKnownLink` (and `makePreloadedLink` without classes).
fn known_link(ns: i64, key: &str, fragment: &str, text: &str) -> String {
    let mut href = local_url(ns, key, "");
    if !fragment.is_empty() {
        href.push('#');
        href.push_str(&escape_id_for_link(fragment));
    }
    format!("<a href=\"{}\" title=\"{}\">{text}</a>", attr(&href), attr(&prefixed_text(ns, key)))
}

/// `LinkRenderer::makeBrokenLink`: the edit URL, no fragment.
fn broken_link(ns: i64, key: &str, text: &str) -> String {
    let query = if ns == i64::from(NS_SPECIAL) { "" } else { "action=edit&redlink=1" };
    format!(
        "<a href=\"{}\" class=\"new\" title=\"{}\">{text}</a>",
        attr(&local_url(ns, key, query)),
        attr(&format!("{} (page does not exist)", prefixed_text(ns, key)))
    )
}

/// `Linker::makeMediaLinkFile`: the file itself, or Special:Upload for a missing one.
fn media_link(key: &str, text: &str, exists: bool) -> String {
    let (href, class) = if exists {
        (
            format!("{}/{}", crate::imageinfo::UPLOAD_PATH, crate::paths::public_url_path(key)),
            "internal",
        )
    } else {
        (
            local_url(i64::from(NS_SPECIAL), "Upload", &format!("wpDestFile={}", title::wf_urlencode(key))),
            "new",
        )
    };
    let alt = title::display_name(key);
    let text = if text.is_empty() { alt.clone() } else { text.to_string() };
    format!("<a href=\"{}\" class=\"{class}\" title=\"{}\">{text}</a>", attr(&href), attr(&alt))
}

/// `Parser::guessSectionNameFromStrippedText` without its leading `#`.
fn section_anchor(text: &str) -> String {
    // MediaWikiTitleCodec's fragment normalization (the text itself if it is no title).
    let normalize = |t: &str| match title::split_title_string(&format!("#{t}"), NS_MAIN) {
        Ok(p) => p.fragment,
        Err(_) => t.to_string(),
    };
    let t = normalize(text);
    // Sanitizer::normalizeSectionNameWhitespace
    let t = t.split([' ', '_']).filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ");
    let t = normalize(&title::decode_char_references(&t));
    escape_id_for_link(&t)
}

/// `CommentParser::doSectionLinks`: `/* section */` as a link to the section, in an
/// `autocomment` span; the `dir="auto"` span it opens is closed at the end of the comment.
fn section_links(comment: &str, self_title: Option<(i64, &str)>) -> String {
    let b = comment.as_bytes();
    let mut out = String::with_capacity(comment.len());
    let mut append = String::new();
    let mut pos = 0;
    let mut from = 0;
    while let Some(rel) = comment[from..].find("/*") {
        let start = from + rel;
        let Some(close_rel) = comment[start + 2..].find("*/") else { break };
        let inner_start = start + 2;
        let inner_end = inner_start + close_rel;
        let end = inner_end + 2;
        // (.*?) between the \s* runs.
        let mut a = inner_start;
        while a < inner_end && is_pcre_space(b[a]) {
            a += 1;
        }
        let mut z = inner_end;
        while z > a && is_pcre_space(b[z - 1]) {
            z -= 1;
        }
        let auto_text = &comment[a..z];
        let pre = start > 0;
        let post = end < comment.len();
        let mut auto = auto_text.to_string();
        if let Some((ns, key)) = self_title {
            let section = auto_text.replace("[[:", "").replace("[[", "").replace("]]", "");
            let section_text = auto_text.replace("[[", "&#91;[");
            let anchor = section_anchor(&section);
            if !anchor.is_empty() {
                // makePreloadedLink: the arrow and a left-to-right mark before the text.
                auto = known_link(ns, key, &anchor, &format!("\u{2192}\u{200E}{section_text}"));
            }
        }
        out.push_str(&comment[pos..start]);
        if pre {
            // autocomment-prefix is empty in English.
        }
        if post {
            // colon-separator
            auto.push_str(": ");
        }
        if !auto.is_empty() {
            out.push_str("<span dir=\"auto\"><span class=\"autocomment\">");
            out.push_str(&auto);
            out.push_str("</span>");
            append.push_str("</span>");
        }
        pos = end;
        from = end;
    }
    out.push_str(&comment[pos..]);
    out.push_str(&append);
    out
}

/// `Language::linkTrail` for English: `/^([a-z]+)(.*)$/sD`.
fn link_trail(s: &str) -> &str {
    let n = s.bytes().take_while(|b| b.is_ascii_lowercase()).count();
    &s[..n]
}

/// One `[[…]]` match of `CommentParser::doWikiLinks`' pattern at `at` (which starts with `[[`):
/// (target, text if a `|` was given, end of the `]]`).
fn match_link(s: &str, at: usize) -> Option<(&str, Option<&str>, usize)> {
    let b = s.as_bytes();
    let mut i = at + 2;
    while i < b.len() && is_pcre_space(b[i]) {
        i += 1;
    }
    if b.get(i) == Some(&b':') {
        i += 1;
    }
    let t0 = i;
    while i < b.len() && !matches!(b[i], b'[' | b']' | b'|') {
        i += 1;
    }
    if i == t0 {
        return None;
    }
    let target = &s[t0..i];
    let mut text = None;
    if b.get(i) == Some(&b'|') {
        // ((?:]?[^\]])*+), possessive.
        let x0 = i + 1;
        let mut j = x0;
        loop {
            if j < b.len() && b[j] != b']' {
                j += 1;
            } else if j + 1 < b.len() && b[j] == b']' && b[j + 1] != b']' {
                j += 2;
            } else {
                break;
            }
        }
        text = Some(&s[x0..j]);
        i = j;
    }
    if s[i..].starts_with("]]") {
        Some((target, text, i + 2))
    } else {
        None
    }
}

/// `CommentParser::doWikiLinks`: `[[target]]`, `[[target|text]]` (with the link trail) and
/// `[[Media:file]]`; an invalid target stays text.
fn wiki_links(comment: &str, self_title: Option<(i64, &str)>, link: &mut dyn FnMut(Link) -> String) -> String {
    let mut out = String::with_capacity(comment.len());
    let mut pos = 0;
    let mut from = 0;
    while let Some(rel) = comment[from..].find("[[") {
        let at = from + rel;
        let Some((raw_target, raw_text, close)) = match_link(comment, at) else {
            from = at + 1;
            continue;
        };
        // Group 3: the text up to the next '['.
        let trail_end = comment[close..].find('[').map(|n| close + n).unwrap_or(comment.len());
        let whole_trail = &comment[close..trail_end];
        let mut target = raw_target.to_string();
        if target.contains('%') {
            target = mwupload_thumb::rawurldecode(&target).replace('<', "&lt;").replace('>', "&gt;");
        }
        let text = match raw_text {
            Some(t) if !t.is_empty() => t.to_string(),
            _ => target.clone(),
        };
        out.push_str(&comment[pos..at]);
        let media = target
            .get(..6)
            .filter(|p| p.eq_ignore_ascii_case("media:"))
            .map(|_| target[6..].to_string());
        let mut replaced: Option<(String, usize)> = None;
        if let Some(name) = media {
            // Media link; no trail.
            if let Ok(t) = title::split_title_string(&format!("File:{name}"), NS_FILE)
                && t.namespace == NS_FILE
                && !t.db_key.is_empty()
            {
                replaced = Some((link(Link::Media { key: t.db_key, text }), close));
            }
        } else {
            let target = target.strip_prefix(':').unwrap_or(&target);
            if !target.is_empty() {
                let trail = link_trail(whole_trail);
                // TitleParser::parseTitle decodes character references first.
                if let Ok(t) = title::parse_title_checked(target, NS_MAIN) {
                    let (ns, key, fragment) = match self_title {
                        Some((sns, skey)) if t.db_key.is_empty() => (sns, skey.to_string(), t.fragment),
                        _ => (i64::from(t.namespace), t.db_key, t.fragment),
                    };
                    if !key.is_empty() || ns != i64::from(NS_MAIN) {
                        let html = link(Link::Page {
                            ns,
                            key,
                            fragment,
                            text: format!("{text}{trail}"),
                        });
                        replaced = Some((html, close + trail.len()));
                    }
                }
            }
        }
        match replaced {
            Some((html, end)) => {
                out.push_str(&html);
                out.push_str(&comment[end..trail_end]);
            }
            None => out.push_str(&comment[at..trail_end]),
        }
        pos = trail_end;
        from = trail_end;
    }
    out.push_str(&comment[pos..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn links(known: &[(i64, &str)], files: &[&str]) -> Links {
        let l = Links::default();
        for (ns, k) in known {
            l.lock().insert(Target::Page(*ns, k.to_string()), true);
        }
        for f in files {
            l.lock().insert(Target::File(f.to_string()), true);
        }
        l
    }

    fn fmt(c: &str) -> String {
        format(c, Some((6, "X.png")), &links(&[(0, "Main_Page"), (6, "X.png")], &["Here.png"]))
    }

    #[test]
    fn escapes_html_and_keeps_templates_as_text() {
        // tests/fixtures/differential.json, param-comment (MediaWiki 1.39).
        assert_eq!(
            fmt("A [[link]] and {{tpl}} & <b>bold</b>"),
            "A <a href=\"/w/index.php?title=Link&amp;action=edit&amp;redlink=1\" class=\"new\" title=\"Link (page does not exist)\">link</a> and {{tpl}} &amp; &lt;b&gt;bold&lt;/b&gt;"
        );
        assert_eq!(fmt("a<script>b"), "a&lt;script&gt;b");
        assert_eq!(fmt("a&mdash;b"), "a\u{2014}b");
        assert_eq!(fmt("'''not bolded'''"), "&#039;&#039;&#039;not bolded&#039;&#039;&#039;");
        assert_eq!(fmt("plain"), "plain");
    }

    #[test]
    fn links_as_linker_test_expects() {
        // MediaWiki's LinkerTest::provideCasesForFormatComment, with this wiki's article path.
        assert_eq!(
            fmt("abc [[link|text]] def"),
            "abc <a href=\"/w/index.php?title=Link&amp;action=edit&amp;redlink=1\" class=\"new\" title=\"Link (page does not exist)\">text</a> def"
        );
        assert_eq!(
            fmt("abc [[Special:BlankPage|]] def"),
            "abc <a href=\"/w/index.php?title=Special:BlankPage\" title=\"Special:BlankPage\">Special:BlankPage</a> def"
        );
        assert_eq!(
            fmt("abc [[%C4%85%C5%9B%C5%BC]] def"),
            "abc <a href=\"/w/index.php?title=%C4%84%C5%9B%C5%BC&amp;action=edit&amp;redlink=1\" class=\"new\" title=\"\u{104}\u{15b}\u{17c} (page does not exist)\">\u{105}\u{15b}\u{17c}</a> def"
        );
        assert_eq!(
            fmt("abc [[\"evil!\"]] def"),
            "abc <a href=\"/w/index.php?title=%22evil!%22&amp;action=edit&amp;redlink=1\" class=\"new\" title=\"&quot;evil!&quot; (page does not exist)\">&quot;evil!&quot;</a> def"
        );
        assert_eq!(
            fmt("abc [[<script>very evil</script>]] def"),
            "abc [[&lt;script&gt;very evil&lt;/script&gt;]] def"
        );
        assert_eq!(fmt("abc [[|]] def"), "abc [[|]] def");
        assert_eq!(
            fmt("abc [[#section]] def"),
            "abc <a href=\"/w/index.php?title=File:X.png#section\" title=\"File:X.png\">#section</a> def"
        );
        assert_eq!(
            fmt("[[ :Main Page]]s and [[main_Page|that]]"),
            "<a href=\"/w/index.php?title=Main_Page\" title=\"Main Page\">Main Pages</a> and <a href=\"/w/index.php?title=Main_Page\" title=\"Main Page\">that</a>"
        );
    }

    #[test]
    fn media_links() {
        assert_eq!(
            fmt("see [[Media:Here.png]] and [[media:gone.png|this]]"),
            "see <a href=\"/images/7/74/Here.png\" class=\"internal\" title=\"Here.png\">Media:Here.png</a> and <a href=\"/w/index.php?title=Special:Upload&amp;wpDestFile=Gone.png\" class=\"new\" title=\"Gone.png\">this</a>"
        );
    }

    #[test]
    fn section_links_as_linker_test_expects() {
        let link = |frag: &str, text: &str| {
            format!("<a href=\"/w/index.php?title=File:X.png#{frag}\" title=\"File:X.png\">\u{2192}\u{200E}{text}</a>")
        };
        assert_eq!(
            fmt("/* autocomment */"),
            format!(
                "<span dir=\"auto\"><span class=\"autocomment\">{}</span></span>",
                link("autocomment", "autocomment")
            )
        );
        assert_eq!(
            fmt("pre /* autocomment */ post"),
            format!(
                "pre <span dir=\"auto\"><span class=\"autocomment\">{}: </span> post</span>",
                link("autocomment", "autocomment")
            )
        );
        assert_eq!(
            fmt("/* autocomment */ multiple? /* autocomment2 */"),
            format!(
                "<span dir=\"auto\"><span class=\"autocomment\">{}: </span> multiple? <span dir=\"auto\"><span class=\"autocomment\">{}</span></span></span>",
                link("autocomment", "autocomment"),
                link("autocomment2", "autocomment2")
            )
        );
        assert_eq!(
            fmt("/* autocomment containing /* */ T70361"),
            format!(
                "<span dir=\"auto\"><span class=\"autocomment\">{}: </span> T70361</span>",
                link("autocomment_containing_/*", "autocomment containing /*")
            )
        );
        assert_eq!(
            fmt("/* [[linkie?]] */"),
            format!(
                "<span dir=\"auto\"><span class=\"autocomment\">{}</span></span>",
                link("linkie?", "&#91;[linkie?]]")
            )
        );
        assert_eq!(
            fmt("/* a \"q\" */"),
            format!(
                "<span dir=\"auto\"><span class=\"autocomment\">{}</span></span>",
                link("a_&quot;q&quot;", "a &quot;q&quot;")
            )
        );
        // Without a page, the section is text.
        assert_eq!(
            format("/* s */", None, &Links::default()),
            "<span dir=\"auto\"><span class=\"autocomment\">s</span></span>"
        );
        assert_eq!(fmt("/**/ x"), "<span dir=\"auto\"><span class=\"autocomment\">: </span> x</span>");
    }

    #[test]
    fn odd_input_never_panics() {
        for s in [
            "[[",
            "[[a",
            "[[a|",
            "[[a|b]",
            "]]",
            "/*",
            "*/",
            "/* [[",
            "%",
            "[[%",
            "[[%zz]]",
            "[[é%C3]]",
            "\u{1b}x\ny",
        ] {
            let _ = fmt(s);
        }
    }
}
