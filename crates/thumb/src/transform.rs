//! `File::transform()`: what MediaWiki hands out for a set of parameters — the original file, a
//! thumbnail (with its name, client size and the physical size to render), the file-type icon,
//! or an error — decided from the file's dimensions alone.

use crate::config::ThumbConfig;
use crate::error::ThumbError;
use crate::names::{icon_for, thumb_name};
use crate::params::{ThumbParams, normalise};
use crate::source::{Handler, SourceFile};

/// The outcome of `File::transform()` for one set of parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Transform {
    /// No scaling: MediaWiki's "client scaling" `ThumbnailImage` whose URL is the original file's
    /// (bitmaps are never scaled up). `width`/`height` are the client size asked for; imageinfo
    /// reports the file's own size instead.
    Original { width: i64, height: i64 },
    /// A thumbnail file to serve (and render if missing).
    Thumb(Thumb),
    /// The file-type icon `resources/assets/file-type-icons/<icon>` at 120x120: the file cannot
    /// be rendered (no handler, TIFF without `$wgTiffThumbnailType`, animated WebP, no size).
    Icon { icon: &'static str },
    /// A `MediaTransformError`: imageinfo reports `thumberror`, thumb.php an error page.
    Error(ThumbError),
}

impl Transform {
    /// The URL identity MediaWiki compares (`$mto->getUrl() !== $file->getUrl()`, responsive
    /// variants equal to the main one are dropped).
    pub(crate) fn same_url(&self, other: &Transform) -> bool {
        match (self, other) {
            (Transform::Original { .. }, Transform::Original { .. }) => true,
            (Transform::Thumb(a), Transform::Thumb(b)) => a.name == b.name,
            (Transform::Icon { icon: a }, Transform::Icon { icon: b }) => a == b,
            _ => false,
        }
    }
}

/// A thumbnail: its file name, type, the size MediaWiki reports and the size of the pixels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Thumb {
    /// The thumbnail file name, e.g. `120px-Foo.png`, `qlow-120px-Foo.jpg`,
    /// `langde-120px-Foo.svg.png`.
    pub name: String,
    /// Extension and MIME type of the thumbnail file.
    pub ext: String,
    pub mime: String,
    /// The client size MediaWiki reports (`thumbwidth`/`thumbheight`, `<img width height>`).
    /// For SVGs larger than `$wgSVGMaxSize` and for mustRender bitmaps asked larger than the
    /// source this differs from the rendered size.
    pub width: i64,
    pub height: i64,
    /// The normalised parameters; `physical_width`/`physical_height` are the size to render.
    pub params: ThumbParams,
}

impl Thumb {
    /// The size of the thumbnail's pixels.
    pub fn physical_size(&self) -> (u64, u64) {
        let w = self.params.physical_width.unwrap_or(0).max(0) as u64;
        let h = self.params.physical_height.unwrap_or(0).max(0) as u64;
        (w, h)
    }
}

/// `File::transform($params)` as the API calls it (no thumb script, no 404 handler): decides
/// the outcome without touching the file.
pub fn transform(file: &SourceFile, cfg: &ThumbConfig, params: &ThumbParams) -> Transform {
    let Some(handler) = file.handler().filter(|h| h.can_render(file, cfg)) else {
        return Transform::Icon { icon: icon_for(file) };
    };
    let Some(norm) = normalise(file, cfg, params) else {
        return Transform::Error(ThumbError::InvalidParams);
    };
    let width = norm.width.unwrap_or(0);
    let height = norm.height.unwrap_or(0);
    if handler.is_bitmap() {
        // TransformationalImageHandler::doTransform()
        let physical = (norm.physical_width.unwrap_or(0), norm.physical_height.unwrap_or(0));
        if !handler.must_render(file, cfg) && physical == (file.width as i64, file.height as i64) && !norm.quality_low() {
            return Transform::Original { width, height };
        }
        if !image_area_ok(handler, file, cfg) {
            return Transform::Error(ThumbError::TooBigImageArea {
                max_area: cfg.max_image_area.unwrap_or(0),
            });
        }
    }
    let Ok(name) = thumb_name(file, cfg, &norm) else {
        return Transform::Error(ThumbError::InvalidParams);
    };
    let (ext, mime) = match handler.thumb_type(file, cfg) {
        Some(t) => (t.ext, t.mime),
        None => (String::new(), String::new()),
    };
    Transform::Thumb(Thumb {
        name,
        ext,
        mime,
        width,
        height,
        params: norm,
    })
}

/// `TransformationalImageHandler::isImageAreaOkForThumbnaling()`.
fn image_area_ok(handler: Handler, file: &SourceFile, cfg: &ThumbConfig) -> bool {
    let Some(max) = cfg.max_image_area else { return true };
    let area = file.width as u64 * file.height as u64;
    area <= max || (handler == Handler::Jpeg && cfg.jpeg_skips_area_check)
}
