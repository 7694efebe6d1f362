//! Local file names → wiki file names, by MediaWiki's rules (`UploadBase::getTitle` with
//! `$wgCapitalLinks`): NFC; characters illegal in titles and `:` `/` `\` become `-`; spaces and
//! underscores become one `_`, trimmed at both ends; the first letter is upper-cased.
//!
//! The server has the last word (the `filename` of its answer, or a `badfilename` warning); this
//! is what lets the client look the name up before uploading and report it the way the wiki will.

use unicode_normalization::UnicodeNormalization;

/// The wiki's name (DB key, with underscores, without `File:`) for a local file name.
pub fn wiki_file_name(local: &str) -> String {
    let nfc: String = local.nfc().collect();
    let mut out = String::with_capacity(nfc.len());
    let mut pending_sep = false;
    for c in nfc.chars() {
        let c = match c {
            '\u{0}'..='\u{1f}' | '\u{7f}' | '#' | '<' | '>' | '[' | ']' | '{' | '}' | '|' | ':' | '/' | '\\' => '-',
            c => c,
        };
        if matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}') {
            continue; // bidi marks are dropped
        }
        let space_like = matches!(
            c,
            ' ' | '_' | '\u{a0}' | '\u{1680}' | '\u{180e}' | '\u{2000}'
                ..='\u{200a}' | '\u{2028}' | '\u{2029}' | '\u{202f}' | '\u{205f}' | '\u{3000}'
        );
        if space_like {
            pending_sep = !out.is_empty();
            continue;
        }
        if pending_sep {
            out.push('_');
            pending_sep = false;
        }
        out.push(c);
    }
    let mut chars = out.chars();
    match chars.next() {
        Some(first) => {
            let upper: String = first.to_uppercase().collect();
            // Keep characters whose upper case is more than one character (ß → SS) as they are.
            let first = if upper.chars().count() == 1 { upper } else { first.to_string() };
            first + chars.as_str()
        }
        None => out,
    }
}

/// The name as readers see it: `File:Foo bar.png`.
pub fn display_title(name: &str) -> String {
    format!("File:{}", name.replace('_', " "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mediawiki_rules() {
        assert_eq!(wiki_file_name("foo bar.png"), "Foo_bar.png");
        assert_eq!(wiki_file_name("  a   b__c .png "), "A_b_c_.png");
        assert_eq!(wiki_file_name("A:B.jpg"), "A-B.jpg");
        assert_eq!(wiki_file_name("a#b.png"), "A-b.png");
        assert_eq!(wiki_file_name("x<y>[z].png"), "X-y--z-.png");
        assert_eq!(wiki_file_name("éclair.png"), "Éclair.png");
        assert_eq!(wiki_file_name("e\u{301}clair.png"), "Éclair.png", "NFC first");
        assert_eq!(wiki_file_name("ßig.png"), "ßig.png");
        assert_eq!(wiki_file_name("already_Upper.PNG"), "Already_Upper.PNG");
        assert_eq!(display_title("Foo_bar.png"), "File:Foo bar.png");
    }
}
