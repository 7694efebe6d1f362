//! SVG rasterisation with resvg (MediaWiki: `rsvg-convert -w W -h H`, with `LANG` set to the
//! `lang` parameter).

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use resvg::{tiny_skia, usvg};

use super::pixels::Pixels;
use crate::error::ThumbError;

type FontDb = Arc<usvg::fontdb::Database>;

/// The fonts of `dirs` (`None`: the system's), loaded once per set of directories (scanning
/// them takes a while).
fn fontdb(dirs: &Option<Vec<PathBuf>>) -> FontDb {
    static DBS: OnceLock<Mutex<HashMap<Option<Vec<PathBuf>>, FontDb>>> = OnceLock::new();
    let mut dbs = DBS.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
    dbs.entry(dirs.clone())
        .or_insert_with(|| {
            let mut db = usvg::fontdb::Database::new();
            match dirs {
                None => db.load_system_fonts(),
                Some(dirs) => dirs.iter().for_each(|d| db.load_fonts_dir(d)),
            }
            set_generic_families(&mut db);
            Arc::new(db)
        })
        .clone()
}

/// Points the generic families at installed fonts, as fontconfig does for rsvg (fontdb's
/// defaults are Windows fonts, and text in a family that matches nothing is not drawn).
fn set_generic_families(db: &mut usvg::fontdb::Database) {
    let installed: Vec<String> = db.faces().flat_map(|f| f.families.iter().map(|(name, _)| name.clone())).collect();
    let pick = |candidates: &[&str]| candidates.iter().find(|c| installed.iter().any(|i| i == *c)).map(|c| c.to_string());
    let sans = pick(&["DejaVu Sans", "Liberation Sans", "Noto Sans", "Arial", "Helvetica", "FreeSans"]);
    let serif = pick(&["DejaVu Serif", "Liberation Serif", "Noto Serif", "Times New Roman", "FreeSerif"]).or(sans.clone());
    let mono = pick(&["DejaVu Sans Mono", "Liberation Mono", "Noto Sans Mono", "Courier New", "FreeMono"]).or(sans.clone());
    if let Some(f) = sans.or_else(|| installed.first().cloned()) {
        db.set_sans_serif_family(f.clone());
        db.set_cursive_family(f.clone());
        db.set_fantasy_family(f.clone());
        db.set_serif_family(serif.unwrap_or_else(|| f.clone()));
        db.set_monospace_family(mono.unwrap_or(f));
    }
}

/// Renders `path` at exactly `width` x `height` (stretched like rsvg-convert with both -w and
/// -h). External files are never read: `<image>` may only use `data:` URLs (MediaWiki runs rsvg
/// on a symlink in an empty directory for the same reason).
pub(crate) fn render_svg(
    path: &Path,
    width: u32,
    height: u32,
    lang: &str,
    font_dirs: &Option<Vec<PathBuf>>,
    max_bytes: u64,
) -> Result<Pixels, ThumbError> {
    let mut data = Vec::new();
    std::fs::File::open(path)?
        .take(max_bytes.saturating_add(1))
        .read_to_end(&mut data)?;
    if data.len() as u64 > max_bytes {
        return Err(ThumbError::InvalidSvg(format!("the file is larger than {max_bytes} bytes")));
    }
    let mut opt = usvg::Options {
        fontdb: fontdb(font_dirs),
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
