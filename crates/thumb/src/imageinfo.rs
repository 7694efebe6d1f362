//! `ApiQueryImageInfo`'s thumbnail part (`iiurlwidth`, `iiurlheight`, `iiurlparam`): the
//! parameters it builds, its warnings and errors, and what it reports per file version
//! (`thumburl`, `thumbwidth`, `thumbheight`, `thumbmime`, `responsiveUrls`, `thumberror`).

use crate::config::ThumbConfig;
use crate::error::ThumbError;
use crate::params::{ThumbParams, normalise, parse_param_string};
use crate::php::round_times_1_5;
use crate::source::SourceFile;
use crate::transform::{Transform, transform};

/// The thumbnail request of a `prop=imageinfo` (or `stashimageinfo`) query. `-1` means "not
/// given", as the API's defaults.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UrlRequest<'a> {
    pub width: i64,
    pub height: i64,
    pub param: &'a str,
}

impl Default for UrlRequest<'_> {
    fn default() -> Self {
        UrlRequest {
            width: -1,
            height: -1,
            param: "",
        }
    }
}

/// The API errors of the thumbnail parameters; they end the whole request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UrlParamError {
    /// `invalidurlparam`: a parameter of `iiurlparam` is invalid (e.g. `0px`).
    InvalidUrlParam { name: String, value: String },
    /// `urlparamnormal`: the parameters cannot be normalised (width 0 or negative, no width).
    UrlParamNormal { file: String },
}

impl UrlParamError {
    /// The API error code.
    pub fn code(&self) -> &'static str {
        match self {
            UrlParamError::InvalidUrlParam { .. } => "invalidurlparam",
            UrlParamError::UrlParamNormal { .. } => "urlparamnormal",
        }
    }

    /// The error text as MediaWiki's default (`bc`) error format gives it, for the module
    /// prefix `prefix` (`ii`, `sii`): `<var>`/`<kbd>` become quotes.
    pub fn info(&self, prefix: &str) -> String {
        match self {
            UrlParamError::InvalidUrlParam { name, value } => format!("Invalid value for \"{prefix}urlparam\" (\"{name}={value}\")."),
            UrlParamError::UrlParamNormal { file } => format!("Could not normalize image parameters for {file}."),
        }
    }
}

/// A [`UrlParamError`] with the warnings MediaWiki had already added when it gave up (they are
/// part of the error response).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UrlParamFailure {
    pub error: UrlParamError,
    pub warnings: Vec<UrlParamWarning>,
}

/// Warnings of the thumbnail parameters (per file).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UrlParamWarning {
    /// `apiwarn-nothumb-noimagehandler`.
    NoImageHandler { file: String },
    /// `apiwarn-badurlparam`: `iiurlparam` could not be parsed; width and height are used.
    BadUrlParam { file: String },
    /// `apiwarn-urlparamwidth`: `iiurlparam`'s width is ignored for the one from
    /// `iiurlwidth`/`iiurlheight`.
    UrlParamWidth { param_width: String, width: i64 },
}

impl UrlParamWarning {
    /// The warning text in the default (`bc`) format for the module prefix `prefix`.
    pub fn text(&self, prefix: &str) -> String {
        match self {
            UrlParamWarning::NoImageHandler { file } => {
                format!("Could not create thumbnail because {file} does not have an associated image handler.")
            }
            UrlParamWarning::BadUrlParam { file } => {
                format!("Could not parse \"{prefix}urlparam\" for {file}. Using only width and height.")
            }
            UrlParamWarning::UrlParamWidth { param_width, width } => format!(
                "Ignoring width value set in \"{prefix}urlparam\" ({param_width}) in favor of width value derived from \"{prefix}urlwidth\"/\"{prefix}urlheight\" ({width})."
            ),
        }
    }
}

/// The parameters imageinfo passes to `File::transform()` for every version of a file, and the
/// warnings that go with them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MergedParams {
    pub params: ThumbParams,
    pub warnings: Vec<UrlParamWarning>,
}

/// `getScale()` + `mergeThumbParams()`, done once per file with its current version. `Ok(None)`:
/// no thumbnail was asked for.
pub fn merge_thumb_params(file: &SourceFile, cfg: &ThumbConfig, req: &UrlRequest) -> Result<Option<MergedParams>, UrlParamFailure> {
    // getScale()
    let mut params = if req.width != -1 {
        ThumbParams {
            width: Some(req.width),
            height: Some(req.height),
            ..Default::default()
        }
    } else if req.height != -1 {
        ThumbParams {
            height: Some(req.height),
            ..Default::default()
        }
    } else if !req.param.is_empty() {
        ThumbParams::default()
    } else {
        return Ok(None);
    };
    // mergeThumbParams()
    if params.width.is_none() && params.height.is_some() {
        params.width = Some(if file.width == 0 { cfg.thumb_limits_max } else { file.width as i64 });
    }
    let mut warnings = Vec::new();
    let handler = file.handler();
    let check = |p: &ThumbParams, warnings: &Vec<UrlParamWarning>| -> Result<(), UrlParamFailure> {
        // checkParameterNormalise(): only with a handler
        if handler.is_some() && normalise(file, cfg, p).is_none() {
            Err(UrlParamFailure {
                error: UrlParamError::UrlParamNormal {
                    file: file.name.to_string(),
                },
                warnings: warnings.clone(),
            })
        } else {
            Ok(())
        }
    };
    if req.param.is_empty() {
        check(&params, &warnings)?;
        return Ok(Some(MergedParams { params, warnings }));
    }
    let Some(handler) = handler else {
        warnings.push(UrlParamWarning::NoImageHandler {
            file: file.name.to_string(),
        });
        return Ok(Some(MergedParams { params, warnings }));
    };
    let Some(parsed) = parse_param_string(handler, req.param) else {
        warnings.push(UrlParamWarning::BadUrlParam {
            file: file.name.to_string(),
        });
        check(&params, &warnings)?;
        return Ok(Some(MergedParams { params, warnings }));
    };
    if let Some(width) = params.width
        && parsed.width_int() != width
    {
        warnings.push(UrlParamWarning::UrlParamWidth {
            param_width: parsed.width.clone(),
            width,
        });
    }
    if let Some((name, value)) = parsed.invalid(handler) {
        return Err(UrlParamFailure {
            error: UrlParamError::InvalidUrlParam {
                name: name.to_string(),
                value,
            },
            warnings,
        });
    }
    // $thumbParams + $paramList: what the scale set wins.
    let from_param = parsed.into_params();
    let merged = ThumbParams {
        width: params.width.or(from_param.width),
        height: params.height.or(from_param.height),
        interlace: from_param.interlace,
        quality: from_param.quality,
        lang: from_param.lang,
        ..params
    };
    check(&merged, &warnings)?;
    Ok(Some(MergedParams { params: merged, warnings }))
}

/// `thumbmime` as imageinfo reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ThumbMime {
    /// The file has no media handler: no `thumbmime` key.
    Absent,
    /// The handler has no thumbnail type (TIFF without `$wgTiffThumbnailType`): `null`.
    Null,
    Mime(String),
}

/// What imageinfo reports about the thumbnail of one file version (an `Err` is reported as
/// `thumberror`: [`ThumbError::text`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThumbInfo {
    /// What `thumburl` points at (the original, a thumbnail, or an icon).
    pub thumb: Transform,
    /// `thumbwidth`/`thumbheight`: the original's size when `thumb` is the original, 120x120 for
    /// an icon, else the thumbnail's client size.
    pub width: i64,
    pub height: i64,
    pub thumbmime: ThumbMime,
    /// `responsiveUrls`: `("1.5", …)` and `("2", …)`, those whose URL differs from `thumb`'s.
    pub responsive: Vec<(&'static str, Transform)>,
}

/// `ApiQueryImageInfo::getInfo()`'s thumbnail part for one file version, with the parameters
/// [`merge_thumb_params`] gave for the file.
pub fn thumb_info(file: &SourceFile, cfg: &ThumbConfig, params: &ThumbParams) -> Result<ThumbInfo, ThumbError> {
    let thumb = transform(file, cfg, params);
    let (width, height) = match &thumb {
        Transform::Error(e) => return Err(e.clone()),
        Transform::Original { .. } => (file.width as i64, file.height as i64),
        Transform::Icon { .. } => (120, 120),
        Transform::Thumb(t) => (t.width, t.height),
    };
    let thumbmime = match file.handler() {
        None => ThumbMime::Absent,
        Some(h) => h.thumb_type(file, cfg).map_or(ThumbMime::Null, |t| ThumbMime::Mime(t.mime)),
    };
    let mut responsive = Vec::new();
    if cfg.responsive_images {
        // Linker::processResponsiveImages() with ['width' => thumbwidth, 'height' => thumbheight]
        // + the merged parameters.
        let base = ThumbParams {
            width: Some(width),
            height: Some(height),
            ..params.clone()
        };
        let hp15 = ThumbParams {
            width: Some(round_times_1_5(width)),
            height: Some(round_times_1_5(height)),
            ..base.clone()
        };
        let hp20 = ThumbParams {
            width: Some(width.saturating_mul(2)),
            height: Some(height.saturating_mul(2)),
            ..base
        };
        for (density, hp) in [("1.5", hp15), ("2", hp20)] {
            let t = transform(file, cfg, &hp);
            if !matches!(t, Transform::Error(_)) && !t.same_url(&thumb) {
                responsive.push((density, t));
            }
        }
    }
    Ok(ThumbInfo {
        thumb,
        width,
        height,
        thumbmime,
        responsive,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_without_a_handler_get_the_icon() {
        let cfg = ThumbConfig::default();
        let pdf = SourceFile::new("Doc.pdf", "application/pdf", 0, 0);
        let req = UrlRequest {
            width: 120,
            height: -1,
            param: "page2-120px",
        };
        let merged = merge_thumb_params(&pdf, &cfg, &req).unwrap().unwrap();
        assert_eq!(merged.warnings, vec![UrlParamWarning::NoImageHandler { file: "Doc.pdf".into() }]);
        let info = thumb_info(&pdf, &cfg, &merged.params).unwrap();
        assert_eq!(info.thumb, Transform::Icon { icon: "fileicon-pdf.png" });
        assert_eq!((info.width, info.height, info.thumbmime), (120, 120, ThumbMime::Absent));
        assert!(info.responsive.is_empty());
        // Only a height, no width of its own: the largest $wgThumbLimits.
        let req = UrlRequest {
            width: -1,
            height: 50,
            param: "",
        };
        assert_eq!(merge_thumb_params(&pdf, &cfg, &req).unwrap().unwrap().params.width, Some(300));
    }

    #[test]
    fn animated_webp_is_not_rendered() {
        let cfg = ThumbConfig::default();
        let webp = SourceFile {
            frame_count: 5,
            ..SourceFile::new("A.webp", "image/webp", 400, 300)
        };
        let info = thumb_info(&webp, &cfg, &ThumbParams::width(120)).unwrap();
        assert_eq!(info.thumb, Transform::Icon { icon: "fileicon.png" });
        assert_eq!(info.thumbmime, ThumbMime::Mime("image/png".into()));
    }

    #[test]
    fn no_request_no_thumbnail() {
        let f = SourceFile::new("A.png", "image/png", 10, 10);
        assert_eq!(
            merge_thumb_params(&f, &ThumbConfig::default(), &UrlRequest::default()).unwrap(),
            None
        );
    }

    #[test]
    fn texts_use_the_module_prefix() {
        let e = UrlParamError::InvalidUrlParam {
            name: "width".into(),
            value: "0".into(),
        };
        assert_eq!(
            (e.code(), e.info("sii").as_str()),
            ("invalidurlparam", "Invalid value for \"siiurlparam\" (\"width=0\").")
        );
        let w = UrlParamWarning::UrlParamWidth {
            param_width: "120".into(),
            width: 200,
        };
        assert!(w.text("sii").contains("\"siiurlwidth\"/\"siiurlheight\" (200)"));
    }
}
