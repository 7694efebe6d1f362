//! SVG rasterisation with resvg (MediaWiki: `rsvg-convert -w W -h H`, with `LANG` set to the
//! `lang` parameter).

use std::path::Path;
use std::sync::{Arc, OnceLock};

use resvg::{tiny_skia, usvg};

use super::pixels::Pixels;
use crate::error::ThumbError;

/// System fonts, loaded once (scanning the font directories takes a while).
fn fontdb() -> Arc<usvg::fontdb::Database> {
    static DB: OnceLock<Arc<usvg::fontdb::Database>> = OnceLock::new();
    DB.get_or_init(|| {
        let mut db = usvg::fontdb::Database::new();
        db.load_system_fonts();
        Arc::new(db)
    })
    .clone()
}

/// Renders `path` at exactly `width` x `height` (stretched like rsvg-convert with both -w and
/// -h). External files are never read: `<image>` may only use `data:` URLs (MediaWiki runs rsvg
/// on a symlink in an empty directory for the same reason).
pub(crate) fn render_svg(path: &Path, width: u32, height: u32, lang: &str) -> Result<Pixels, ThumbError> {
    let data = std::fs::read(path)?;
    let mut opt = usvg::Options {
        fontdb: fontdb(),
        languages: vec![lang.to_string()],
        ..Default::default()
    };
    opt.image_href_resolver.resolve_string = Box::new(|_, _| None);
    let tree = usvg::Tree::from_data(&data, &opt).map_err(|e| ThumbError::InvalidSvg(e.to_string()))?;
    let mut pixmap = tiny_skia::Pixmap::new(width, height).ok_or(ThumbError::TooBigImageArea {
        max_area: width as u64 * height as u64,
    })?;
    let size = tree.size();
    let transform = tiny_skia::Transform::from_scale(width as f32 / size.width(), height as f32 / size.height());
    resvg::render(&tree, transform, &mut pixmap.as_mut());
    // tiny-skia keeps premultiplied RGBA; PNG wants straight alpha.
    let mut data = pixmap.take();
    for px in data.chunks_exact_mut(4) {
        let a = px[3] as u32;
        if a != 0 && a != 255 {
            for c in &mut px[..3] {
                *c = ((*c as u32 * 255 + a / 2) / a).min(255) as u8;
            }
        }
    }
    Pixels::new(width, height, 4, data)
}
