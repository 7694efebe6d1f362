//! The source file as MediaWiki's media handlers see it, and what each handler says about it.

use crate::config::{ThumbConfig, ThumbType};

/// What MediaWiki knows about an uploaded file (the `image` row and its metadata), which is all
/// the size and name logic needs. Width and height are MediaWiki's: for JPEG and TIFF they are
/// after EXIF rotation (a 640x480 JPEG with Orientation 6 is 480x640).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SourceFile<'a> {
    /// The file name (title text with underscores, no `File:`), e.g. `Foo_bar.png`.
    pub name: &'a str,
    /// MediaWiki's MIME type of the file, e.g. `image/png`.
    pub mime: &'a str,
    pub width: u32,
    pub height: u32,
    /// Animation frames (GIF `frameCount`, APNG and animated WebP frames); 0 or 1 is a still.
    pub frame_count: u32,
    /// The EXIF `Orientation` tag (JPEG and TIFF), if any.
    pub exif_orientation: Option<u16>,
    /// Pages of a multi-page document. No core handler we implement is multi-page, so this only
    /// clamps a `page` parameter.
    pub page_count: Option<u32>,
}

impl<'a> SourceFile<'a> {
    /// A still, single-page file without EXIF orientation.
    pub fn new(name: &'a str, mime: &'a str, width: u32, height: u32) -> Self {
        SourceFile {
            name,
            mime,
            width,
            height,
            frame_count: 0,
            exif_orientation: None,
            page_count: None,
        }
    }

    /// `File::getExtension()`: the normalised extension of the name (`jpeg` -> `jpg`,
    /// `tiff` -> `tif`, lower case, `''` when not alphanumeric).
    pub fn extension(&self) -> String {
        let ext = match self.name.rfind('.') {
            Some(i) if i > 0 => &self.name[i + 1..],
            _ => "",
        };
        normalize_extension(ext)
    }

    pub(crate) fn handler(&self) -> Option<Handler> {
        Handler::for_mime(self.mime)
    }
}

/// `File::normalizeExtension()`.
pub fn normalize_extension(ext: &str) -> String {
    let lower = ext.to_lowercase();
    match lower.as_str() {
        "htm" => "html".into(),
        "jpeg" => "jpg".into(),
        "mpeg" => "mpg".into(),
        "tiff" => "tif".into(),
        "ogv" => "ogg".into(),
        _ if !lower.is_empty() && lower.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_lowercase()) => lower,
        _ => String::new(),
    }
}

/// The MediaWiki media handlers this crate implements (`MediaHandlerFactory::CORE_HANDLERS`
/// minus DjVu, XCF and JPEG 2000, whose files are treated as having no handler).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Handler {
    /// `JpegHandler` (ExifBitmapHandler): EXIF rotation, `qlow-`.
    Jpeg,
    /// `PNGHandler`.
    Png,
    /// `GIFHandler`: animated thumbnails below `$wgMaxAnimatedGifArea`.
    Gif,
    /// `TiffHandler` (ExifBitmapHandler): rendered only with `$wgTiffThumbnailType`.
    Tiff,
    /// `WebPHandler`: always rendered to PNG; animated WebP is not rendered.
    WebP,
    /// `BmpHandler`: always rendered to PNG.
    Bmp,
    /// `SvgHandler`: rasterised to PNG, may be larger than the source, `lang` parameter.
    Svg,
}

impl Handler {
    /// The handler MediaWiki 1.39 uses for a MIME type, if we implement it.
    pub fn for_mime(mime: &str) -> Option<Handler> {
        Some(match mime {
            "image/jpeg" => Handler::Jpeg,
            "image/png" => Handler::Png,
            "image/gif" => Handler::Gif,
            "image/tiff" => Handler::Tiff,
            "image/webp" => Handler::WebP,
            "image/x-ms-bmp" | "image/x-bmp" => Handler::Bmp,
            "image/svg+xml" | "image/svg" => Handler::Svg,
            _ => return None,
        })
    }

    /// A `TransformationalImageHandler` (every bitmap): never scaled up, area-checked.
    pub(crate) fn is_bitmap(self) -> bool {
        self != Handler::Svg
    }

    /// `canRender()`.
    pub(crate) fn can_render(self, file: &SourceFile, cfg: &ThumbConfig) -> bool {
        // ImageHandler::canRender(): width && height
        let sized = file.width > 0 && file.height > 0;
        match self {
            Handler::Tiff => cfg.tiff_thumbnail_type.is_some(),
            Handler::WebP => file.frame_count <= 1 && sized,
            _ => sized,
        }
    }

    /// `mustRender()`: the original cannot be shown as it is (so it is rendered even at its own
    /// size).
    pub(crate) fn must_render(self, file: &SourceFile, cfg: &ThumbConfig) -> bool {
        match self {
            Handler::Svg | Handler::WebP | Handler::Bmp | Handler::Tiff => true,
            // TransformationalImageHandler::mustRender(): canRotate() && getRotation() != 0
            Handler::Jpeg => self.rotation(file, cfg) != 0,
            Handler::Png | Handler::Gif => false,
        }
    }

    /// `getRotation()`: degrees the stored pixels must be turned (counter-clockwise, as
    /// ImageMagick's `-rotate -N`) to be seen upright. Only JPEG and TIFF, and only the pure
    /// rotations (EXIF 3, 6, 8); mirrored orientations are ignored, as MediaWiki does.
    pub fn rotation(self, file: &SourceFile, cfg: &ThumbConfig) -> u32 {
        if !matches!(self, Handler::Jpeg | Handler::Tiff) || !cfg.auto_rotate() {
            return 0;
        }
        rotation_for_orientation(file.exif_orientation)
    }

    /// `getImageArea()`: for GIFs width x height x frames.
    pub(crate) fn image_area(self, file: &SourceFile) -> u64 {
        let area = file.width as u64 * file.height as u64;
        if self == Handler::Gif && file.frame_count > 0 {
            area * file.frame_count as u64
        } else {
            area
        }
    }

    /// `canAnimateThumbnail()` (for animated sources): only GIFs below `$wgMaxAnimatedGifArea`.
    pub fn can_animate_thumbnail(self, file: &SourceFile, cfg: &ThumbConfig) -> bool {
        match self {
            Handler::Gif => self.image_area(file) <= cfg.max_animated_gif_area,
            Handler::Png | Handler::WebP | Handler::Svg => false,
            _ => true,
        }
    }

    /// `getThumbType()`: the thumbnail's extension and MIME type. `None` for a TIFF without
    /// `$wgTiffThumbnailType` (MediaWiki returns `[]` and reports `thumbmime: null`).
    pub fn thumb_type(self, file: &SourceFile, cfg: &ThumbConfig) -> Option<ThumbType> {
        match self {
            Handler::Svg | Handler::WebP | Handler::Bmp => Some(ThumbType::new("png", "image/png")),
            Handler::Tiff => cfg.tiff_thumbnail_type.clone(),
            Handler::Jpeg | Handler::Png | Handler::Gif => {
                // MediaHandler::getThumbType(): keep the extension when it matches the MIME type
                // (or the type is unknown), else use the type's first extension.
                let ext = file.extension();
                match extensions_for_mime(file.mime) {
                    Some(exts) if ext.is_empty() || !exts.contains(&ext.as_str()) => Some(ThumbType::new(exts[0], file.mime)),
                    _ => Some(ThumbType {
                        ext,
                        mime: file.mime.to_string(),
                    }),
                }
            }
        }
    }
}

/// `ExifBitmapHandler::getRotationForExifFromOrientation()`.
pub fn rotation_for_orientation(orientation: Option<u16>) -> u32 {
    match orientation {
        Some(8) => 90,
        Some(3) => 180,
        Some(6) => 270,
        _ => 0,
    }
}

/// `MimeMap` extensions of the MIME types our handlers produce or keep.
fn extensions_for_mime(mime: &str) -> Option<&'static [&'static str]> {
    Some(match mime {
        "image/jpeg" => &["jpeg", "jpg", "jpe", "jps"],
        "image/png" => &["png", "apng"],
        "image/gif" => &["gif"],
        "image/webp" => &["webp"],
        "image/tiff" => &["tiff", "tif"],
        "image/svg+xml" => &["svg"],
        "image/x-bmp" | "image/bmp" => &["bmp"],
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_are_normalised() {
        assert_eq!(SourceFile::new("Foo.JPEG", "image/jpeg", 1, 1).extension(), "jpg");
        assert_eq!(SourceFile::new("Foo.tiff", "image/tiff", 1, 1).extension(), "tif");
        assert_eq!(SourceFile::new("Foo", "image/png", 1, 1).extension(), "");
        assert_eq!(SourceFile::new("Foo.p-g", "image/png", 1, 1).extension(), "");
    }

    #[test]
    fn thumb_types() {
        let cfg = ThumbConfig::default();
        let f = SourceFile::new("Foo.jpeg", "image/jpeg", 10, 10);
        assert_eq!(Handler::Jpeg.thumb_type(&f, &cfg).unwrap().ext, "jpg");
        let f = SourceFile::new("Foo.png", "image/jpeg", 10, 10);
        assert_eq!(Handler::Jpeg.thumb_type(&f, &cfg).unwrap().ext, "jpeg");
        let f = SourceFile::new("Foo.svg", "image/svg+xml", 10, 10);
        assert_eq!(Handler::Svg.thumb_type(&f, &cfg).unwrap().mime, "image/png");
        let f = SourceFile::new("Foo.tif", "image/tiff", 10, 10);
        assert_eq!(Handler::Tiff.thumb_type(&f, &cfg), None);
    }
}
