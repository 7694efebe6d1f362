//! Thumbnail file names and paths, both ways: `File::thumbName()`, the hashed `thumb/a/ab/…`
//! paths of current and archived versions, and reading a requested thumbnail back as thumb.php
//! does (`wfExtractThumbRequestInfo()`, `wfExtractThumbParams()`, the canonical-path check).

use std::sync::{Arc, OnceLock};

use md5::{Digest, Md5};
use regex_lite::Regex;

use crate::config::ThumbConfig;
use crate::params::{NoWidth, ThumbParams, make_param_string, parse_param_string, php_intval};
use crate::php::{extension_from_path, rawurldecode, rawurlencode};
use crate::source::SourceFile;

/// `FileRepo::nameForThumb()`: names longer than the repository's `abbrvThreshold` bytes are
/// called `thumbnail.<ext>` inside thumbnail names.
pub fn name_for_thumb(name: &str, cfg: &ThumbConfig) -> String {
    if name.len() > cfg.abbrv_threshold {
        let ext = extension_from_path(name);
        if ext.is_empty() {
            "thumbnail".into()
        } else {
            format!("thumbnail.{ext}")
        }
    } else {
        name.to_string()
    }
}

/// `File::thumbName()` / `generateThumbName()`: `<params>-<name>[.<thumb ext>]`, the thumb
/// extension added when it differs from the file's (`120px-Foo.svg.png`).
pub fn thumb_name(file: &SourceFile, cfg: &ThumbConfig, params: &ThumbParams) -> Result<String, NoWidth> {
    thumb_name_for(file, cfg, params, &name_for_thumb(file.name, cfg))
}

/// `File::thumbName($params, File::THUMB_FULL_NAME)`: never abbreviated (thumb.php redirects
/// this "long" form to the canonical one).
pub fn thumb_name_full(file: &SourceFile, cfg: &ThumbConfig, params: &ThumbParams) -> Result<String, NoWidth> {
    thumb_name_for(file, cfg, params, file.name)
}

fn thumb_name_for(file: &SourceFile, cfg: &ThumbConfig, params: &ThumbParams, name: &str) -> Result<String, NoWidth> {
    let Some(handler) = file.handler() else { return Err(NoWidth) };
    let ext = file.extension();
    let thumb_ext = handler.thumb_type(file, cfg).map(|t| t.ext).unwrap_or_default();
    let mut out = make_param_string(handler, params)?;
    out.push('-');
    out.push_str(name);
    if thumb_ext != ext {
        out.push('.');
        out.push_str(&thumb_ext);
    }
    Ok(out)
}

/// `FileRepo::getHashPathForLevel()`: `a/ab/` from the MD5 of the name.
pub fn hash_path(name: &str, levels: usize) -> String {
    let hex: String = Md5::digest(name.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    let mut out = String::new();
    for i in 1..=levels.min(32) {
        out.push_str(&hex[..i]);
        out.push('/');
    }
    out
}

/// `File::getRel()` (decoded): `a/ab/Foo.png`, or for an archived version
/// `archive/a/ab/20240101000000!Foo.png` (the hash is the current name's).
pub fn file_rel(name: &str, archive_name: Option<&str>, cfg: &ThumbConfig) -> String {
    match archive_name {
        Some(a) => format!("archive/{}{a}", hash_path(name, cfg.hash_levels)),
        None => format!("{}{name}", hash_path(name, cfg.hash_levels)),
    }
}

/// `File::getThumbRel($thumbName)` (decoded): the thumbnail's path in the thumb zone,
/// `a/ab/Foo.png/120px-Foo.png` or `archive/a/ab/TS!Foo.png/120px-Foo.png`.
pub fn thumb_rel(name: &str, archive_name: Option<&str>, thumb_name: &str, cfg: &ThumbConfig) -> String {
    format!("{}/{thumb_name}", file_rel(name, archive_name, cfg))
}

/// The URL path of the original below `$wgUploadPath` (`File::getUrlRel()`): `a/ab/Foo.png`,
/// `archive/a/ab/20240101000000%21Foo.png`.
pub fn file_url_path(name: &str, archive_name: Option<&str>, cfg: &ThumbConfig) -> String {
    match archive_name {
        Some(a) => format!("archive/{}{}", hash_path(name, cfg.hash_levels), rawurlencode(a)),
        None => format!("{}{}", hash_path(name, cfg.hash_levels), rawurlencode(name)),
    }
}

/// The URL path of a thumbnail below `$wgUploadPath` (`File::getThumbUrl()` /
/// `getArchiveThumbUrl()`): `thumb/a/ab/Foo.png/120px-Foo.png`,
/// `thumb/archive/a/ab/20240101000000%21Foo.png/120px-Foo.png`.
pub fn thumb_url_path(name: &str, archive_name: Option<&str>, thumb_name: &str, cfg: &ThumbConfig) -> String {
    format!("thumb/{}/{}", file_url_path(name, archive_name, cfg), rawurlencode(thumb_name))
}

/// `File::iconThumb()`: `fileicon-<ext>.png` if MediaWiki 1.39 ships one in
/// `resources/assets/file-type-icons/`, else `fileicon.png`. The URL is
/// `$wgResourceBasePath/resources/assets/file-type-icons/<icon>`, shown at 120x120.
pub fn icon_for(file: &SourceFile) -> &'static str {
    const ICONS: &[&str] = &[
        "fileicon-c.png",
        "fileicon-cpp.png",
        "fileicon-deb.png",
        "fileicon-djvu.png",
        "fileicon-dvi.png",
        "fileicon-exe.png",
        "fileicon-h.png",
        "fileicon-html.png",
        "fileicon-iso.png",
        "fileicon-java.png",
        "fileicon-mid.png",
        "fileicon-mov.png",
        "fileicon-mpga.png",
        "fileicon-o.png",
        "fileicon-ogg.png",
        "fileicon-pdf.png",
        "fileicon-ps.png",
        "fileicon-psd.png",
        "fileicon-rm.png",
        "fileicon-rpm.png",
        "fileicon-svg.png",
        "fileicon-tar.png",
        "fileicon-tex.png",
        "fileicon-ttf.png",
        "fileicon-txt.png",
        "fileicon-xcf.png",
    ];
    let wanted = format!("fileicon-{}.png", file.extension());
    ICONS.iter().find(|i| **i == wanted).copied().unwrap_or("fileicon.png")
}

// ------------------------------------------------------------------ requests for thumbnails

/// A thumbnail path below the thumb zone, split as `wfExtractThumbRequestInfo()` does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThumbPath {
    /// `archive/…`: a thumbnail of an old version; `file` is then `<timestamp>!<name>`.
    pub archived: bool,
    /// `temp/…`: a thumbnail of a stashed file.
    pub temp: bool,
    /// The source file's name as the path gives it (thumb.php's `f`).
    pub file: String,
    /// The requested thumbnail file name.
    pub thumb_name: String,
    /// The path thumb.php compares with the canonical one (`rel404`).
    pub rel: String,
}

/// The thumb-zone path patterns for one hash level count: normal (and archive), temp.
type PathPatterns = Arc<(Regex, Regex)>;

/// `wfExtractThumbRequestInfo()`: splits a thumb-zone path (already URL-decoded once, like
/// `WebRequest::getRequestPathSuffix()`) such as `a/ab/Foo.png/120px-Foo.png`. `None` is
/// thumb.php's 400 "The specified thumbnail parameters are not recognized.".
pub fn parse_thumb_path(rel_path: &str, cfg: &ThumbConfig) -> Option<ThumbPath> {
    // The two patterns depend only on the hash levels: compiled once per level count.
    static PATTERNS: OnceLock<std::sync::Mutex<Vec<(usize, PathPatterns)>>> = OnceLock::new();
    let patterns = {
        let mut cache = PATTERNS.get_or_init(Default::default).lock().unwrap_or_else(|p| p.into_inner());
        match cache.iter().find(|(levels, _)| *levels == cfg.hash_levels) {
            Some((_, p)) => p.clone(),
            None => {
                let mut sub = String::new();
                let mut hash_dirs = String::new();
                for _ in 0..cfg.hash_levels {
                    sub.push_str("[0-9a-f]");
                    hash_dirs.push_str(&sub);
                    hash_dirs.push('/');
                }
                let normal = Regex::new(&format!("^((archive/)?{hash_dirs}([^/]*)/([^/]*))$")).ok()?;
                let temp = Regex::new(&format!("^(temp/)({hash_dirs}([^/]*)/([^/]*))$")).ok()?;
                let p = Arc::new((normal, temp));
                cache.push((cfg.hash_levels, p.clone()));
                p
            }
        }
    };
    let (normal, temp) = &*patterns;
    if let Some(c) = normal.captures(rel_path) {
        return Some(ThumbPath {
            archived: c.get(2).is_some(),
            temp: false,
            file: c[3].to_string(),
            thumb_name: c[4].to_string(),
            rel: c[1].to_string(),
        });
    }
    let c = temp.captures(rel_path)?;
    Some(ThumbPath {
        archived: false,
        temp: true,
        file: c[3].to_string(),
        thumb_name: c[4].to_string(),
        rel: c[2].to_string(),
    })
}

static PAGE_PX: OnceLock<Regex> = OnceLock::new();

/// `wfExtractThumbParams()`: the handler parameters a thumbnail name stands for. `file_param`
/// is thumb.php's `f` (for an archived version `<timestamp>!<name>`, which is not part of the
/// thumbnail name, so only the last-ditch `[pageN-]<width>px-…` form is understood there, as in
/// MediaWiki). `None` is the 400 "not recognized" answer.
pub fn extract_thumb_params(file: &SourceFile, file_param: &str, thumb_name: &str) -> Option<ThumbParams> {
    let handler = file.handler();
    let pos = thumb_name.rfind(file_param).or_else(|| thumb_name.rfind("thumbnail"));
    if let (Some(handler), Some(pos)) = (handler, pos) {
        // substr($thumbname, 0, $pos - 1); PHP's negative length for pos 0 drops the last char
        let param_string = if pos == 0 {
            thumb_name.get(..thumb_name.len().saturating_sub(1))
        } else {
            thumb_name.get(..pos - 1)
        };
        if let Some(parsed) = param_string.and_then(|s| parse_param_string(handler, s)) {
            return Some(parsed.into_params());
        }
    }
    let re = PAGE_PX.get_or_init(|| Regex::new(r"^(page([0-9]*)-)*([0-9]*)px-[^/]*\n?$").expect("static regex"));
    let c = re.captures(thumb_name)?;
    let size = c.get(3).map_or("", |m| m.as_str());
    if size.is_empty() {
        // MediaWiki goes on with an empty width and fails in PHP arithmetic; refuse here.
        return None;
    }
    let mut p = ThumbParams::width(php_intval(size));
    if let Some(page) = c.get(2).map(|m| m.as_str()).filter(|s| !s.is_empty()) {
        p.page = Some(php_intval(page));
    }
    Some(p)
}

/// What thumb.php answers when a thumbnail path does not name the canonical thumbnail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ThumbPathError {
    /// 400 "The specified thumbnail parameters are not recognized."
    NotRecognized,
    /// 400 "The specified thumbnail parameters are not valid: …"
    InvalidParams(String),
    /// 301 to the canonical thumbnail path (the request used the long, unabbreviated name).
    Redirect { thumb_rel: String },
    /// 404 "The given path of the specified thumbnail is incorrect; expected '…' but got '…'."
    WrongPath { expected: String, got: String },
}

impl ThumbPathError {
    pub fn http_status(&self) -> u16 {
        match self {
            ThumbPathError::NotRecognized | ThumbPathError::InvalidParams(_) => 400,
            ThumbPathError::Redirect { .. } => 301,
            ThumbPathError::WrongPath { .. } => 404,
        }
    }

    /// thumb.php's message (before HTML escaping).
    pub fn message(&self) -> String {
        match self {
            ThumbPathError::NotRecognized => "The specified thumbnail parameters are not recognized.".into(),
            ThumbPathError::InvalidParams(m) => format!("The specified thumbnail parameters are not valid: {m}"),
            ThumbPathError::Redirect { thumb_rel } => format!("Moved to {thumb_rel}"),
            ThumbPathError::WrongPath { expected, got } => {
                format!("The given path of the specified thumbnail is incorrect;\n\t\t\t\texpected '{expected}' but got '{got}'.")
            }
        }
    }
}

/// The message of `MediaTransformInvalidParametersException` for a missing width.
pub const NO_WIDTH_MESSAGE: &str = "No width specified to ImageHandler::makeParamString";

/// thumb.php's check of a thumbnail path (the 404-handler route): the parameters the name stands
/// for, provided the path is the canonical one for them. `archive_name` is the old version's
/// `<timestamp>!<name>` when `path.archived`.
pub fn check_thumb_path(
    file: &SourceFile,
    cfg: &ThumbConfig,
    path: &ThumbPath,
    archive_name: Option<&str>,
) -> Result<ThumbParams, ThumbPathError> {
    let params = extract_thumb_params(file, &path.file, &path.thumb_name).ok_or(ThumbPathError::NotRecognized)?;
    let canonical = thumb_name(file, cfg, &params).map_err(|_| ThumbPathError::InvalidParams(NO_WIDTH_MESSAGE.into()))?;
    let long = thumb_name_full(file, cfg, &params).map_err(|_| ThumbPathError::InvalidParams(NO_WIDTH_MESSAGE.into()))?;
    let got = rawurldecode(&path.rel);
    let expected = thumb_rel(file.name, archive_name, &canonical, cfg);
    if got == expected {
        Ok(params)
    } else if got == thumb_rel(file.name, archive_name, &long, cfg) {
        Err(ThumbPathError::Redirect { thumb_rel: expected })
    } else {
        Err(ThumbPathError::WrongPath { expected, got })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_paths() {
        assert_eq!(hash_path("Mwthumb-rgb.png", 2), "8/84/");
        assert_eq!(hash_path("Foo.png", 0), "");
    }

    #[test]
    fn urls_and_rels() {
        let cfg = ThumbConfig::default();
        assert_eq!(
            thumb_url_path(
                "Mwthumb-rgb.png",
                Some("20240101000000!Mwthumb-rgb.png"),
                "120px-Mwthumb-rgb.png",
                &cfg
            ),
            "thumb/archive/8/84/20240101000000%21Mwthumb-rgb.png/120px-Mwthumb-rgb.png"
        );
        assert_eq!(
            thumb_rel("Mwthumb-rgb.png", None, "120px-Mwthumb-rgb.png", &cfg),
            "8/84/Mwthumb-rgb.png/120px-Mwthumb-rgb.png"
        );
    }

    #[test]
    fn long_names_are_abbreviated() {
        let cfg = ThumbConfig::default();
        let long = format!("{}.PNG", "a".repeat(260));
        let f = SourceFile::new(&long, "image/png", 400, 300);
        assert_eq!(thumb_name(&f, &cfg, &ThumbParams::width(120)).unwrap(), "120px-thumbnail.png");
        assert_eq!(
            thumb_name_full(&f, &cfg, &ThumbParams::width(120)).unwrap(),
            format!("120px-{long}")
        );
    }

    #[test]
    fn thumb_paths_are_parsed() {
        let cfg = ThumbConfig::default();
        let p = parse_thumb_path("8/84/Mwthumb-rgb.png/120px-Mwthumb-rgb.png", &cfg).unwrap();
        assert_eq!(
            (p.archived, p.file.as_str(), p.thumb_name.as_str()),
            (false, "Mwthumb-rgb.png", "120px-Mwthumb-rgb.png")
        );
        let p = parse_thumb_path("archive/8/84/2024!Mwthumb-rgb.png/120px-Mwthumb-rgb.png", &cfg).unwrap();
        assert!(p.archived);
        let p = parse_thumb_path("temp/8/84/x.png/120px-x.png", &cfg).unwrap();
        assert_eq!((p.temp, p.rel.as_str()), (true, "8/84/x.png/120px-x.png"));
        assert!(parse_thumb_path("8/84/Mwthumb-rgb.png", &cfg).is_none());
        assert!(parse_thumb_path("x/84/a/b", &cfg).is_none());
    }

    #[test]
    fn thumb_names_are_read_back() {
        let cfg = ThumbConfig::default();
        let f = SourceFile::new("Foo.jpg", "image/jpeg", 400, 300);
        let p = extract_thumb_params(&f, "Foo.jpg", "qlow-120px-Foo.jpg").unwrap();
        assert_eq!((p.width, p.quality.as_deref()), (Some(120), Some("low")));
        let p = extract_thumb_params(&f, "Foo.jpg", "page3-120px-Other.jpg").unwrap();
        assert_eq!((p.width, p.page), (Some(120), Some(3)));
        assert!(extract_thumb_params(&f, "Foo.jpg", "big-Foo.jpg").is_none());
        let path = parse_thumb_path("0/06/Foo.jpg/page3-120px-Foo.jpg", &cfg).unwrap();
        let err = check_thumb_path(&f, &cfg, &path, None).unwrap_err();
        assert_eq!(err.http_status(), 404);
        assert!(
            err.message()
                .contains("expected '0/06/Foo.jpg/120px-Foo.jpg' but got '0/06/Foo.jpg/page3-120px-Foo.jpg'")
        );
        let path = parse_thumb_path("0/06/Foo.jpg/qlow-120px-Foo.jpg", &cfg).unwrap();
        assert_eq!(check_thumb_path(&f, &cfg, &path, None).unwrap().quality.as_deref(), Some("low"));
    }
}
