//! MediaWiki's `CommentStore` rule for what a comment column keeps: an edit summary, upload
//! comment, log reason or block reason longer than 500 characters is cut to 497 characters,
//! trailing whitespace removed, and `...` appended (`Language::truncateForVisual`, English
//! ellipsis). Applied where every adapter writes a comment, so no caller can store more.

use std::borrow::Cow;

/// `CommentStore::COMMENT_CHARACTER_LIMIT`, in Unicode code points.
pub const COMMENT_CHARACTER_LIMIT: usize = 500;

/// The English `ellipsis` message.
const ELLIPSIS: &str = "...";

/// The comment as MediaWiki stores it.
pub fn for_database(text: &str) -> Cow<'_, str> {
    if text.chars().count() <= COMMENT_CHARACTER_LIMIT {
        return Cow::Borrowed(text);
    }
    let keep = COMMENT_CHARACTER_LIMIT - ELLIPSIS.chars().count();
    let cut = text.char_indices().nth(keep).map_or(text.len(), |(i, _)| i);
    // PHP rtrim()'s default set.
    let head = text[..cut].trim_end_matches([' ', '\t', '\n', '\r', '\0', '\x0B']);
    Cow::Owned(format!("{head}{ELLIPSIS}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn up_to_the_limit_nothing_changes() {
        let s = "é".repeat(500);
        assert!(matches!(for_database(&s), Cow::Borrowed(_)));
        assert_eq!(for_database(""), "");
    }

    #[test]
    fn longer_is_cut_by_characters_not_bytes() {
        let s = "é".repeat(501);
        let t = for_database(&s);
        assert_eq!(t.chars().count(), 500);
        assert_eq!(t, format!("{}...", "é".repeat(497)));
        let s = format!("{}{}", "a".repeat(499), "😀😀");
        assert_eq!(for_database(&s), format!("{}...", "a".repeat(497)));
    }

    #[test]
    fn trailing_whitespace_before_the_ellipsis_goes() {
        let s = format!("{}   \t{}", "a".repeat(493), "b".repeat(100));
        assert_eq!(for_database(&s), format!("{}...", "a".repeat(493)));
    }
}
