//! The MediaWiki settings that change thumbnail sizes, names, errors and rendering.

/// An output format for thumbnails: extension and MIME type (`$wgTiffThumbnailType`'s shape).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThumbType {
    pub ext: String,
    pub mime: String,
}

impl ThumbType {
    pub fn new(ext: &str, mime: &str) -> Self {
        ThumbType {
            ext: ext.to_string(),
            mime: mime.to_string(),
        }
    }
}

/// Settings, named after MediaWiki's. `Default` is MediaWiki 1.39's defaults with ImageMagick as
/// the scaler and rsvg for SVG, which is what the reference wiki runs.
#[derive(Clone, Debug)]
pub struct ThumbConfig {
    /// `$wgMaxImageArea`: bitmaps with more pixels than this are not thumbnailed (`None` is
    /// MediaWiki's `false`: no limit). Default 1.25e7.
    pub max_image_area: Option<u64>,
    /// JPEGs skip the `$wgMaxImageArea` check, as MediaWiki does when ImageMagick is the scaler
    /// ("only ImageMagick can efficiently downsize jpg images"). Default true. The renderer still
    /// bounds memory through DCT scaling and [`crate::RenderLimits`].
    pub jpeg_skips_area_check: bool,
    /// `$wgMaxAnimatedGifArea`: animated GIFs whose width x height x frames exceeds this get a
    /// still thumbnail of the first frame. Default 1.25e7.
    pub max_animated_gif_area: u64,
    /// `$wgSVGMaxSize`: the smaller side of an SVG rendering is at most this. Default 5120.
    pub svg_max_size: i64,
    /// `$wgJpegQuality`. Default 80.
    pub jpeg_quality: u8,
    /// JPEG quality of `qlow-` thumbnails (MediaWiki hard-codes 30).
    pub jpeg_low_quality: u8,
    /// `$wgSharpenReductionThreshold`: JPEG thumbnails are sharpened when
    /// (w + h) / (src w + src h) is below this. Default 0.85.
    pub sharpen_reduction_threshold: f64,
    /// Sigma of `$wgSharpenParameter` (`'0x0.4'`). Default 0.4.
    pub sharpen_sigma: f64,
    /// `$wgResponsiveImages`: imageinfo reports 1.5x and 2x variants. Default true.
    pub responsive_images: bool,
    /// The largest of `$wgThumbLimits` (used when only a height is asked for a file without a
    /// width). Default 300.
    pub thumb_limits_max: i64,
    /// `$wgTiffThumbnailType`: `None` (MediaWiki's default `[]`) means TIFFs are not rendered and
    /// get the generic file icon; `Some(jpg)` renders them as `120px-Name.tif.jpg`.
    pub tiff_thumbnail_type: Option<ThumbType>,
    /// `$wgMaxInterlacingAreas`: MIME type -> largest area for which `interlaced-` is honoured.
    /// Default empty (interlacing never happens).
    pub max_interlacing_areas: Vec<(String, u64)>,
    /// `$wgEnableAutoRotation`: `None` = rotate when the scaler can (ImageMagick can).
    pub enable_auto_rotation: Option<bool>,
    /// The repository's `abbrvThreshold`: longer file names are called `thumbnail.<ext>` in
    /// thumbnail names. Default 255 (bytes).
    pub abbrv_threshold: usize,
    /// `$wgHashedUploadDirectory` levels of the local repository. Default 2 (`a/ab/`).
    pub hash_levels: usize,
    /// Where SVG text finds its fonts: `None` (default) the system's font directories, as
    /// rsvg's fontconfig does; `Some(dirs)` only these (an empty list draws no text). These are
    /// the only files rendering reads besides the source.
    pub svg_font_dirs: Option<Vec<std::path::PathBuf>>,
}

impl Default for ThumbConfig {
    fn default() -> Self {
        ThumbConfig {
            max_image_area: Some(12_500_000),
            jpeg_skips_area_check: true,
            max_animated_gif_area: 12_500_000,
            svg_max_size: 5120,
            jpeg_quality: 80,
            jpeg_low_quality: 30,
            sharpen_reduction_threshold: 0.85,
            sharpen_sigma: 0.4,
            responsive_images: true,
            thumb_limits_max: 300,
            tiff_thumbnail_type: None,
            max_interlacing_areas: Vec::new(),
            enable_auto_rotation: None,
            abbrv_threshold: 255,
            hash_levels: 2,
            svg_font_dirs: None,
        }
    }
}

impl ThumbConfig {
    pub(crate) fn auto_rotate(&self) -> bool {
        // BitmapHandler::autoRotateEnabled(): null means "when the scaler can rotate", and
        // ImageMagick (our model) can.
        self.enable_auto_rotation.unwrap_or(true)
    }

    pub(crate) fn max_interlacing_area(&self, mime: &str) -> Option<u64> {
        self.max_interlacing_areas.iter().find(|(m, _)| m == mime).map(|(_, a)| *a)
    }
}
