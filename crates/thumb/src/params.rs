//! Handler parameters: MediaWiki's `$params` array, its parameter strings (`qlow-120px`,
//! `langde-120px`, `interlaced-120px`) and `normaliseParams()`.

use std::sync::OnceLock;

use regex_lite::Regex;

use crate::config::ThumbConfig;
use crate::php::{fit_box_width, scale_height};
use crate::source::{Handler, SourceFile};

/// MediaWiki's handler `$params` array. Before normalisation only what was asked is set; after
/// [`normalise`] `width`, `height`, `physical_width`, `physical_height` and `page` are all set.
///
/// `width`/`height` are the *client* size (what `<img width height>` and imageinfo's
/// `thumbwidth`/`thumbheight` report); `physical_*` is the size of the rendered file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ThumbParams {
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub physical_width: Option<i64>,
    pub physical_height: Option<i64>,
    pub page: Option<i64>,
    /// BitmapHandler `interlace` (honoured only below `$wgMaxInterlacingAreas`).
    pub interlace: bool,
    /// JpegHandler `quality`; only `low` is valid.
    pub quality: Option<String>,
    /// SvgHandler `lang`.
    pub lang: Option<String>,
}

impl ThumbParams {
    /// Only a width.
    pub fn width(width: i64) -> Self {
        ThumbParams {
            width: Some(width),
            ..Default::default()
        }
    }

    /// `quality=low` (`qlow-` thumbnails).
    pub fn quality_low(&self) -> bool {
        self.quality.as_deref() == Some("low")
    }
}

/// What `parseParamString()` extracted, with the width as the text it was (MediaWiki validates
/// and reports that text: `width=00`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedParamString {
    pub width: String,
    pub interlace: Option<bool>,
    pub quality: Option<String>,
    pub lang: Option<String>,
}

impl ParsedParamString {
    /// The parameters as (name, value) pairs, in MediaWiki's array order, values as
    /// `wfEscapeWikiText((string)$value)` shows them.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut v = vec![("width", self.width.clone())];
        if let Some(i) = self.interlace {
            v.push(("interlace", if i { "1".into() } else { String::new() }));
        }
        if let Some(q) = &self.quality {
            v.push(("quality", q.clone()));
        }
        if let Some(l) = &self.lang {
            v.push(("lang", l.clone()));
        }
        v
    }

    /// The first parameter `validateParam()` refuses, as (name, value).
    pub fn invalid(&self, handler: Handler) -> Option<(&'static str, String)> {
        self.pairs().into_iter().find(|(name, value)| !validate_param(handler, name, value))
    }

    /// `(int)$width`.
    pub fn width_int(&self) -> i64 {
        php_intval(&self.width)
    }

    pub(crate) fn into_params(self) -> ThumbParams {
        ThumbParams {
            width: Some(php_intval(&self.width)),
            interlace: self.interlace.unwrap_or(false),
            quality: self.quality,
            lang: self.lang,
            ..Default::default()
        }
    }
}

/// PHP `(int)"123"` for a string of digits: saturates instead of overflowing.
pub(crate) fn php_intval(s: &str) -> i64 {
    let digits: String = s.chars().take_while(|c| c.is_ascii_digit()).collect();
    if digits.is_empty() { 0 } else { digits.parse().unwrap_or(i64::MAX) }
}

fn re(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pattern).expect("static regex"))
}

// PCRE's `$` also matches before a final "\n"; `\n?$` reproduces that.
static WIDTH_PX: OnceLock<Regex> = OnceLock::new();
static JPEG_QUALITY: OnceLock<Regex> = OnceLock::new();
static SVG_LANG: OnceLock<Regex> = OnceLock::new();
static LANG_TAG: OnceLock<Regex> = OnceLock::new();

/// `ImageHandler::parseParamString()`: `^(\d+)px$`.
fn parse_width(s: &str) -> Option<String> {
    re(&WIDTH_PX, r"^([0-9]+)px\n?$").captures(s).map(|c| c[1].to_string())
}

/// `parseParamString()` of each handler. `None` is MediaWiki's `false` (imageinfo then warns
/// `badurlparam` and uses width and height only).
pub fn parse_param_string(handler: Handler, s: &str) -> Option<ParsedParamString> {
    match handler {
        Handler::Svg => {
            // SvgHandler: ^lang([a-z]+(?:-[a-z]+)*)-(\d+)px$ or ^(\d+)px$; a malformed language
            // falls back to the default 'en'.
            if let Some(c) = re(&SVG_LANG, r"^lang([a-z]+(?:-[a-z]+)*)-([0-9]+)px\n?$").captures(s) {
                let lang = if is_well_formed_language_tag(&c[1]) {
                    c[1].to_string()
                } else {
                    "en".to_string()
                };
                return Some(ParsedParamString {
                    width: c[2].to_string(),
                    interlace: None,
                    quality: None,
                    lang: Some(lang),
                });
            }
            parse_width(s).map(|width| ParsedParamString {
                width,
                interlace: None,
                quality: None,
                lang: Some("en".into()),
            })
        }
        Handler::Jpeg => {
            // JpegHandler: /q([^-]+)-(.*)$/ (not anchored), quality must be 'low'; else the
            // BitmapHandler parse.
            match re(&JPEG_QUALITY, r"q([^-]+)-(.*)\n?$").captures(s) {
                Some(c) => {
                    if &c[1] != "low" {
                        return None;
                    }
                    let mut p = parse_bitmap(&c[2])?;
                    p.quality = Some("low".into());
                    Some(p)
                }
                None => parse_bitmap(s),
            }
        }
        _ => parse_bitmap(s),
    }
}

/// `BitmapHandler::parseParamString()`: an optional `interlaced-` prefix, then `\d+px`.
fn parse_bitmap(s: &str) -> Option<ParsedParamString> {
    let rest = s.strip_prefix("interlaced-").unwrap_or(s);
    let width = parse_width(rest)?;
    Some(ParsedParamString {
        width,
        interlace: Some(rest.len() != s.len()),
        quality: None,
        lang: None,
    })
}

/// `validateParam()`.
pub(crate) fn validate_param(handler: Handler, name: &str, value: &str) -> bool {
    match name {
        // PHP: "$value > 0" on a digit string
        "width" | "height" => php_intval(value) > 0,
        "interlace" => handler != Handler::Svg,
        "quality" => handler == Handler::Jpeg && value == "low",
        "lang" => handler == Handler::Svg && !value.is_empty() && is_well_formed_language_tag(value),
        _ => false,
    }
}

/// Why `makeParamString()` fails: MediaWiki throws
/// `MediaTransformInvalidParametersException('No width specified to ImageHandler::makeParamString')`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoWidth;

/// `makeParamString()`: the part of the thumbnail name before the file name.
pub fn make_param_string(handler: Handler, params: &ThumbParams) -> Result<String, NoWidth> {
    match handler {
        Handler::Svg => {
            // SvgHandler uses the client width and a lang prefix unless the language is 'en'.
            let code = params.lang.as_deref().unwrap_or("en");
            let lang = if code != "en" {
                format!("lang{}-", code.to_lowercase())
            } else {
                String::new()
            };
            let width = params.width.ok_or(NoWidth)?;
            Ok(format!("{lang}{width}px"))
        }
        _ => {
            let width = params.physical_width.or(params.width).ok_or(NoWidth)?;
            let mut s = format!("{width}px");
            if params.interlace {
                s = format!("interlaced-{s}");
            }
            if handler == Handler::Jpeg
                && let Some(q) = &params.quality
            {
                s = format!("q{q}-{s}");
            }
            Ok(s)
        }
    }
}

/// `normaliseParams()` of the file's handler: `None` is MediaWiki's `false` ("Could not
/// normalize image parameters", "Invalid thumbnail parameters").
pub fn normalise(file: &SourceFile, cfg: &ThumbConfig, params: &ThumbParams) -> Option<ThumbParams> {
    let handler = file.handler()?;
    let mut p = params.clone();
    normalise_image(file, &mut p)?;
    match handler {
        Handler::Svg => {
            // SvgHandler::normaliseParamsInternal(): the smaller side is at most $wgSVGMaxSize.
            let (pw, ph) = (p.physical_width?, p.physical_height?);
            let (sw, sh) = (file.width as i64, file.height as i64);
            let max = cfg.svg_max_size;
            if pw <= ph {
                if pw > max {
                    p.physical_width = Some(max);
                    p.physical_height = Some(scale_height(sw, sh, max));
                }
            } else if ph > max {
                p.physical_width = Some(scale_height(sh, sw, max));
                p.physical_height = Some(max);
            }
        }
        _ => {
            // TransformationalImageHandler: don't make an image bigger than the source.
            if p.physical_width? >= file.width as i64 {
                p.physical_width = Some(file.width as i64);
                p.physical_height = Some(file.height as i64);
            }
            // BitmapHandler: interlace only below $wgMaxInterlacingAreas[$mime].
            p.interlace = p.interlace
                && cfg
                    .max_interlacing_area(file.mime)
                    .is_some_and(|max| handler.image_area(file) <= max);
            // JpegHandler: quality must be 'low'.
            if handler == Handler::Jpeg {
                if p.quality.as_deref().is_some_and(|q| q != "low") {
                    return None;
                }
            } else {
                // Other handlers do not know 'quality'; MediaWiki keeps the key but ignores it.
            }
        }
    }
    Some(p)
}

/// `ImageHandler::normaliseParams()` and `validateThumbParams()`.
fn normalise_image(file: &SourceFile, p: &mut ThumbParams) -> Option<()> {
    let mut width = p.width?;
    // page: 1 unless set; clamped to the page count. For a file that is not multi-page,
    // MediaWiki compares with `false`, which always ends at 1.
    p.page = Some(match (p.page, file.page_count) {
        (None, _) => 1,
        (Some(page), Some(count)) => page.min(count as i64).max(1),
        (Some(_), None) => 1,
    });
    let (sw, sh) = (file.width as i64, file.height as i64);
    let mut height = p.height.filter(|&h| h != -1);
    // A physical width already set (normalised parameters normalised again) is kept.
    let mut physical_width = p.physical_width;
    if let Some(h) = height {
        if width as i128 * sh as i128 > h as i128 * sw as i128 {
            // Height is the relatively smaller dimension: scale the width to it.
            width = fit_box_width(sw, sh, h);
            if width == 0 {
                width = 1;
            }
            physical_width = Some(width);
        } else {
            height = None;
        }
    }
    let physical_width = physical_width.unwrap_or(width);
    // Thumbnails are named by width, so the height always follows from it.
    let physical_height = scale_height(sw, sh, physical_width);
    let client_height = height.unwrap_or(physical_height);
    // validateThumbParams()
    if physical_width <= 0 || sw <= 0 {
        return None;
    }
    p.width = Some(width);
    p.height = Some(client_height);
    p.physical_width = Some(physical_width);
    p.physical_height = Some(if physical_height == 0 { 1 } else { physical_height });
    Some(())
}

/// `LanguageCode::isWellFormedLanguageTag()` (strict form), on the lower-cased code.
pub fn is_well_formed_language_tag(code: &str) -> bool {
    let r = LANG_TAG.get_or_init(|| {
        let alpha = "[a-z]";
        let digit = "[0-9]";
        let alphanum = "[a-z0-9]";
        let x = "x";
        let singleton = "[a-wy-z]";
        let s = "-";
        let language = format!("{alpha}{{2,8}}|{alpha}{{2,3}}{s}{alpha}{{3}}");
        let script = format!("{alpha}{{4}}");
        let region = format!("(?:{alpha}{{2}}|{digit}{{3}})");
        let variant = format!("(?:{alphanum}{{5,8}}|{digit}{alphanum}{{3}})");
        let extension = format!("{singleton}(?:{s}{alphanum}{{2,8}})+");
        let private_use = format!("{x}(?:{s}{alphanum}{{1,8}})+");
        let legacy = format!(
            "en{s}GB{s}oed|i{s}(?:ami|bnn|default|enochian|hak|klingon|lux|mingo|navajo|pwn|tao|tay|tsu)\
             |no{s}(?:bok|nyn)|sgn{s}(?:BE{s}(?:fr|nl)|CH{s}de)|zh{s}min{s}nan"
        );
        let variant_list = format!("{variant}(?:{s}{variant})*");
        let extension_list = format!("{extension}(?:{s}{extension})*");
        let langtag =
            format!("(?:({language})(?:{s}{script})?(?:{s}{region})?(?:{s}{variant_list})?(?:{s}{extension_list})?(?:{s}{private_use})?)");
        Regex::new(&format!("^(?:{langtag}|{private_use}|{legacy})\\n?$")).expect("static regex")
    });
    r.is_match(&code.to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bitmap_param_strings() {
        let p = parse_param_string(Handler::Png, "interlaced-120px").unwrap();
        assert_eq!((p.width.as_str(), p.interlace), ("120", Some(true)));
        assert!(parse_param_string(Handler::Png, "page2-120px").is_none());
        assert!(parse_param_string(Handler::Png, "qlow-120px").is_none());
        assert_eq!(parse_param_string(Handler::Png, "120px\n").unwrap().width, "120");
        assert!(parse_param_string(Handler::Png, "120px\n\n").is_none());
    }

    #[test]
    fn jpeg_quality_is_found_anywhere() {
        let p = parse_param_string(Handler::Jpeg, "qlow-120px").unwrap();
        assert_eq!(p.quality.as_deref(), Some("low"));
        let p = parse_param_string(Handler::Jpeg, "interlaced-qlow-120px").unwrap();
        assert_eq!((p.quality.as_deref(), p.interlace), (Some("low"), Some(false)));
        assert!(parse_param_string(Handler::Jpeg, "qhigh-120px").is_none());
        let p = parse_param_string(Handler::Jpeg, "qlow-interlaced-120px").unwrap();
        assert_eq!(p.interlace, Some(true));
    }

    #[test]
    fn svg_param_strings() {
        let p = parse_param_string(Handler::Svg, "langde-120px").unwrap();
        assert_eq!(p.lang.as_deref(), Some("de"));
        let p = parse_param_string(Handler::Svg, "langzz-latn-120px").unwrap();
        assert_eq!(p.lang.as_deref(), Some("zz-latn"));
        assert!(parse_param_string(Handler::Svg, "langzz-Latn-120px").is_none());
        let p = parse_param_string(Handler::Svg, "langabcdefghi-120px").unwrap();
        assert_eq!(p.lang.as_deref(), Some("en"));
        assert!(parse_param_string(Handler::Svg, "interlaced-120px").is_none());
    }

    #[test]
    fn param_strings_are_made_back() {
        let mut p = ThumbParams::width(120);
        p.physical_width = Some(100);
        assert_eq!(make_param_string(Handler::Png, &p).unwrap(), "100px");
        assert_eq!(make_param_string(Handler::Svg, &p).unwrap(), "120px");
        p.quality = Some("low".into());
        p.interlace = true;
        assert_eq!(make_param_string(Handler::Jpeg, &p).unwrap(), "qlow-interlaced-100px");
        p.lang = Some("DE".into());
        assert_eq!(make_param_string(Handler::Svg, &p).unwrap(), "langde-120px");
        assert_eq!(make_param_string(Handler::Png, &ThumbParams::default()), Err(NoWidth));
    }

    #[test]
    fn language_tags() {
        for ok in [
            "en",
            "de-ch",
            "zh-hant-tw",
            "sr-latn",
            "x-foo",
            "i-klingon",
            "de-1996",
            "en-a-bbb-x-a-ccc",
            "EN-GB",
        ] {
            assert!(is_well_formed_language_tag(ok), "{ok}");
        }
        for bad in ["", "e", "en-gb-oed", "toolonglanguage", "en--gb", "123"] {
            assert!(!is_well_formed_language_tag(bad), "{bad}");
        }
    }

    #[test]
    fn normalise_fits_boxes() {
        let cfg = ThumbConfig::default();
        let f = SourceFile::new("A.png", "image/png", 400, 300);
        let p = normalise(
            &f,
            &cfg,
            &ThumbParams {
                width: Some(120),
                height: Some(50),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(
            (p.width, p.height, p.physical_width, p.physical_height),
            (Some(67), Some(50), Some(67), Some(50))
        );
        let p = normalise(&f, &cfg, &ThumbParams::width(5000)).unwrap();
        assert_eq!(
            (p.width, p.height, p.physical_width, p.physical_height),
            (Some(5000), Some(3750), Some(400), Some(300))
        );
        assert!(normalise(&f, &cfg, &ThumbParams::width(0)).is_none());
        let p = normalise(
            &f,
            &cfg,
            &ThumbParams {
                width: Some(400),
                height: Some(0),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(
            (p.width, p.height, p.physical_width, p.physical_height),
            (Some(1), Some(0), Some(1), Some(1))
        );
    }

    #[test]
    fn svg_is_clamped_by_svg_max_size() {
        let cfg = ThumbConfig::default();
        let f = SourceFile::new("A.svg", "image/svg+xml", 200, 100);
        let p = normalise(&f, &cfg, &ThumbParams::width(20000)).unwrap();
        assert_eq!(
            (p.width, p.height, p.physical_width, p.physical_height),
            (Some(20000), Some(10000), Some(10240), Some(5120))
        );
    }
}
