//! What MediaWiki's parser would record about a page's wikitext that the API reports and this
//! server needs, without rendering: the pages it transcludes directly (`prop=templates`).
//!
//! mwupload never expands templates, so "directly written in the text" is the honest answer:
//! `{{Name}}` and `{{Name|…}}` in the Template namespace, `{{:Main page}}` and
//! `{{User:X}}` in theirs, `msgnw:`/`msg:`/`raw:` modifiers looked through. Parser functions
//! (`{{#if:…}}`, `{{lc:…}}`), variables (`{{PAGENAME}}`), `subst:`, template parameters
//! (`{{{1}}}`) and anything inside comments, `<nowiki>`, `<pre>` and `<includeonly>` are not
//! transclusions of the page itself.

use crate::title::page_title as parse_title;

/// Magic words written like templates: variables (whole name) and functions (before `:`).
const VARIABLES: &[&str] = &[
    "!",
    "=",
    "PAGENAME",
    "PAGENAMEE",
    "FULLPAGENAME",
    "FULLPAGENAMEE",
    "BASEPAGENAME",
    "BASEPAGENAMEE",
    "ROOTPAGENAME",
    "ROOTPAGENAMEE",
    "SUBPAGENAME",
    "SUBPAGENAMEE",
    "TALKPAGENAME",
    "TALKPAGENAMEE",
    "SUBJECTPAGENAME",
    "SUBJECTPAGENAMEE",
    "ARTICLEPAGENAME",
    "NAMESPACE",
    "NAMESPACEE",
    "NAMESPACENUMBER",
    "TALKSPACE",
    "TALKSPACEE",
    "SUBJECTSPACE",
    "SUBJECTSPACEE",
    "ARTICLESPACE",
    "SITENAME",
    "SERVER",
    "SERVERNAME",
    "SCRIPTPATH",
    "STYLEPATH",
    "CURRENTYEAR",
    "CURRENTMONTH",
    "CURRENTMONTH1",
    "CURRENTMONTHNAME",
    "CURRENTMONTHNAMEGEN",
    "CURRENTMONTHABBREV",
    "CURRENTDAY",
    "CURRENTDAY2",
    "CURRENTDOW",
    "CURRENTDAYNAME",
    "CURRENTTIME",
    "CURRENTHOUR",
    "CURRENTWEEK",
    "CURRENTTIMESTAMP",
    "LOCALYEAR",
    "LOCALMONTH",
    "LOCALMONTH1",
    "LOCALMONTHNAME",
    "LOCALMONTHNAMEGEN",
    "LOCALMONTHABBREV",
    "LOCALDAY",
    "LOCALDAY2",
    "LOCALDOW",
    "LOCALDAYNAME",
    "LOCALTIME",
    "LOCALHOUR",
    "LOCALWEEK",
    "LOCALTIMESTAMP",
    "NUMBEROFPAGES",
    "NUMBEROFARTICLES",
    "NUMBEROFFILES",
    "NUMBEROFEDITS",
    "NUMBEROFUSERS",
    "NUMBEROFADMINS",
    "NUMBEROFACTIVEUSERS",
    "PAGEID",
    "REVISIONID",
    "REVISIONDAY",
    "REVISIONDAY2",
    "REVISIONMONTH",
    "REVISIONMONTH1",
    "REVISIONYEAR",
    "REVISIONTIMESTAMP",
    "REVISIONUSER",
    "REVISIONSIZE",
    "CONTENTLANGUAGE",
    "CONTENTLANG",
    "DIRECTIONMARK",
    "DIRMARK",
    "PAGELANGUAGE",
    "CASCADINGSOURCES",
    "NOEXTERNALLANGLINKS",
];
const FUNCTIONS: &[&str] = &[
    "subst",
    "safesubst",
    "int",
    "ns",
    "nse",
    "urlencode",
    "anchorencode",
    "fullurl",
    "fullurle",
    "localurl",
    "localurle",
    "canonicalurl",
    "canonicalurle",
    "filepath",
    "lc",
    "lcfirst",
    "uc",
    "ucfirst",
    "formatnum",
    "formatdate",
    "dateformat",
    "padleft",
    "padright",
    "plural",
    "grammar",
    "gender",
    "bidi",
    "displaytitle",
    "defaultsort",
    "defaultsortkey",
    "defaultcategorysort",
    "pagesincategory",
    "pagesize",
    "protectionlevel",
    "protectionexpiry",
    "numberingroup",
    "numberofpages",
    "numberofarticles",
    "numberoffiles",
    "numberofusers",
    "numberofedits",
    "numberofadmins",
    "numberofactiveusers",
    "special",
    "speciale",
    "tag",
    "language",
    "pagename",
    "pagenamee",
    "fullpagename",
    "fullpagenamee",
    "basepagename",
    "rootpagename",
    "subpagename",
    "talkpagename",
    "subjectpagename",
    "namespace",
    "namespacee",
    "namespacenumber",
    "talkspace",
    "subjectspace",
    "pageid",
    "revisionid",
    "revisionuser",
    "revisiontimestamp",
    "cascadingsources",
    "interwikilink",
    "interlanguagelink",
];
/// Modifiers that still transclude the page named after them.
const MODIFIERS: &[&str] = &["msgnw", "msg", "raw"];

/// Pages transcluded directly by `text`, as (namespace, DB key), each once, in order of use.
///
/// Only templates at the top level count, or inside parser functions (whose arguments are
/// expanded): text passed as an argument to a template is expanded only if that template
/// uses it, which mwupload, expanding nothing, cannot know; MediaWiki leaves it unexpanded
/// when the template does not exist.
pub fn transclusions(text: &str) -> Vec<(i64, String)> {
    /// An open `{{…` (2 braces) or `{{{…` (3); `counts` when its contents are expanded.
    struct Open {
        braces: usize,
        counts: bool,
    }
    let text = strip_unparsed(text);
    let bytes = text.as_bytes();
    let mut out: Vec<(i64, String)> = Vec::new();
    let mut stack: Vec<Open> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b != b'{' && b != b'}' {
            i += 1;
            continue;
        }
        let run = bytes[i..].iter().take_while(|&&c| c == b).count();
        if b == b'}' {
            // Close what is open, innermost first, while the run lasts.
            let mut left = run;
            while let Some(top) = stack.last() {
                if left < top.braces {
                    break;
                }
                left -= top.braces;
                stack.pop();
            }
            i += run;
            continue;
        }
        let expanded = stack.iter().all(|o| o.counts);
        match run {
            2 => {
                let (page, function) = name_at(&text[i + 2..]);
                if expanded
                    && let Some(t) = page
                    && !out.contains(&t)
                {
                    out.push(t);
                }
                stack.push(Open {
                    braces: 2,
                    counts: function,
                });
            }
            // A template parameter; its default shows only where the page is transcluded.
            n if n >= 3 => {
                stack.push(Open { braces: 3, counts: false });
                if n >= 5 {
                    stack.push(Open { braces: 2, counts: false });
                }
            }
            _ => {}
        }
        i += run;
    }
    out
}

/// What the `{{` before `rest` opens: the page it transcludes, and whether it is a parser
/// function (whose arguments are expanded).
fn name_at(rest: &str) -> (Option<(i64, String)>, bool) {
    let end = rest.find(['|', '}', '{', '\n']).unwrap_or(rest.len());
    // A name may span a line break only as trailing whitespace before | or }}.
    if rest[end..].starts_with('\n') && !rest[end..].trim_start().starts_with(['|', '}']) {
        return (None, false);
    }
    let mut name = rest[..end].trim();
    let function = is_function(name);
    (if function { None } else { page_of(&mut name) }, function)
}

fn is_function(name: &str) -> bool {
    name.starts_with('#')
        || name
            .split_once(':')
            .is_some_and(|(head, _)| FUNCTIONS.contains(&head.trim().to_ascii_lowercase().as_str()))
}

/// The page a `{{name}}` refers to, if it is a transclusion at all.
fn page_of(name: &mut &str) -> Option<(i64, String)> {
    while let Some((head, tail)) = name.split_once(':') {
        if MODIFIERS.contains(&head.trim().to_ascii_lowercase().as_str()) {
            *name = tail.trim();
        } else {
            break;
        }
    }
    let name = *name;
    // Parser functions were told apart by the caller (`is_function`).
    if name.is_empty() || VARIABLES.contains(&name) {
        return None;
    }
    if let Some(main) = name.strip_prefix(':') {
        let t = parse_title(main).filter(|t| t.ns == 0 && !t.db_key.is_empty())?;
        return Some((0, t.db_key));
    }
    let t = parse_title(name).filter(|t| !t.db_key.is_empty())?;
    if t.ns == 0 {
        // No namespace prefix: the Template namespace.
        let t = parse_title(&format!("Template:{name}"))?;
        return Some((t.ns, t.db_key));
    }
    Some((t.ns, t.db_key))
}

/// Recomputes the files a page uses from its latest text, after an edit, an upload that created
/// the page, or an undelete (MediaWiki's deferred LinksUpdate).
pub async fn refresh_file_links(state: &crate::state::AppState, namespace: i64, title: &str) -> mwupload_store::StoreResult<()> {
    let Some(page) = state.meta.page(namespace, title).await? else {
        return Ok(());
    };
    let text = state.meta.revision(page.latest_rev).await?.map(|r| r.text).unwrap_or_default();
    state.meta.set_file_links(page.id, &file_links(&text)).await
}

/// The files a page uses (MediaWiki's `imagelinks`), as DB keys in first-use order: image links
/// `[[File:…]]`/`[[Image:…]]`, `[[Media:…]]` links and `<gallery>` lines. A leading colon
/// (`[[:File:X]]`) makes a plain link, which is not a use.
pub fn file_links(text: &str) -> Vec<String> {
    let text = strip_unparsed(text);
    let mut out: Vec<String> = Vec::new();
    let mut add = |key: String| {
        if !out.contains(&key) {
            out.push(key);
        }
    };
    let mut rest = text.as_str();
    while let Some(at) = rest.find("[[") {
        rest = &rest[at + 2..];
        let end = rest.find(['|', ']', '\n']).unwrap_or(rest.len());
        let target = rest[..end].trim_start();
        if target.starts_with(':') {
            continue;
        }
        if let Some(t) = crate::title::parse_title(target, crate::title::NS_MAIN)
            && matches!(t.namespace, crate::title::NS_FILE | crate::title::NS_MEDIA)
            && !t.db_key.is_empty()
        {
            add(t.db_key);
        }
    }
    // <gallery …> lines: "Name.png|caption", the File: prefix optional.
    let lower = text.to_ascii_lowercase();
    let mut from = 0;
    while let Some(open) = lower[from..].find("<gallery") {
        let start = from + open;
        let Some(tag_end) = lower[start..].find('>') else { break };
        let body_start = start + tag_end + 1;
        let body_end = lower[body_start..].find("</gallery>").map_or(text.len(), |e| body_start + e);
        for line in text[body_start..body_end].lines() {
            let name = line.split('|').next().unwrap_or("").trim();
            if name.is_empty() {
                continue;
            }
            if let Some(t) = crate::title::parse_title(name, crate::title::NS_FILE)
                && t.namespace == crate::title::NS_FILE
                && !t.db_key.is_empty()
            {
                add(t.db_key);
            }
        }
        from = body_end;
    }
    out
}

/// The text without what the parser never expands: comments, nowiki, pre, includeonly.
fn strip_unparsed(text: &str) -> String {
    let mut s = text.to_string();
    for (open, close) in [
        ("<!--", "-->"),
        ("<nowiki>", "</nowiki>"),
        ("<pre>", "</pre>"),
        ("<includeonly>", "</includeonly>"),
    ] {
        s = strip_between(&s, open, close);
    }
    s
}

/// Removes every `open … close` span (ASCII case-insensitive); an unclosed one runs to the end.
fn strip_between(text: &str, open: &str, close: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while let Some(found) = lower[i..].find(open) {
        let start = i + found;
        out.push_str(&text[i..start]);
        match lower[start + open.len()..].find(close) {
            Some(e) => i = start + open.len() + e + close.len(),
            None => return out,
        }
    }
    out.push_str(&text[i..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> Vec<String> {
        transclusions(text).into_iter().map(|(ns, k)| format!("{ns}:{k}")).collect()
    }

    #[test]
    fn direct_transclusions_only() {
        // The rules MediaWiki 1.39 follows for such text (compare the recorded prop=templates
        // cases in tests/fixtures/refwiki-continuation.json), plus parser functions, whose
        // arguments are expanded.
        let text = "{{Information\n|description={{en|1=A cat}}\n|date=2020}}\n\
                    {{ bots | deny=all }} {{:Main Page}} {{User:Alice/box}} {{information}}\n\
                    {{#if: x | {{Inner}} }} {{PAGENAME}} {{lc:ABC}} {{subst:Foo}} {{{1|{{Default}}}}}\n\
                    {{msgnw:Shown}} <!-- {{Hidden}} --> <nowiki>{{Literal}}</nowiki> <includeonly>{{OnlyIncluded}}</includeonly>";
        assert_eq!(
            names(text),
            ["10:Information", "10:Bots", "0:Main_Page", "2:Alice/box", "10:Inner", "10:Shown"]
        );
    }

    #[test]
    fn file_uses_as_imagelinks_records_them() {
        // The page recorded on MediaWiki 1.39 (prop=images of "Iu page 1").
        let text = "[[File:Iu-a.png]] [[Image:Iu-b.png|thumb|x]] [[Media:Iu-a.png]] [[:File:Iu-c.png]] [[file:iu-f.png]]\n\
                    <gallery>\nIu-d.png\nFile:Iu-e.png|cap\n</gallery>\n<nowiki>[[File:Iu-n.png]]</nowiki>";
        assert_eq!(file_links(text), ["Iu-a.png", "Iu-b.png", "Iu-f.png", "Iu-d.png", "Iu-e.png"]);
        assert!(file_links("[[Main Page]] [[Talk:File:X.png]] [[File:]] [[").is_empty());
    }

    #[test]
    fn odd_input_is_not_a_transclusion() {
        assert!(names("{{").is_empty());
        assert!(names("{{}}").is_empty());
        assert!(names("{{a\nb}}").is_empty());
        assert!(names("<!-- {{unclosed").is_empty());
        assert_eq!(names("{{Template:X}}{{Template:X}}"), ["10:X"]);
    }
}
