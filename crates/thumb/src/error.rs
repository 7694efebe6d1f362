//! Thumbnail errors, with the text MediaWiki shows for them.

use std::fmt;

/// Why a thumbnail cannot be made. `Display` is the inner message (MediaWiki's `$1`);
/// [`ThumbError::text`] is the whole `thumberror` / thumb.php text, and
/// [`ThumbError::http_status`] the status thumb.php answers with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ThumbError {
    /// `TransformParameterError`: the parameters cannot be normalised (no or a bad width, an
    /// unknown quality). MediaWiki: "Invalid thumbnail parameters", HTTP 400.
    InvalidParams,
    /// `TransformTooBigImageAreaError`: the source has more pixels than `$wgMaxImageArea` (or,
    /// while rendering, than [`crate::RenderLimits`] allow to decode). HTTP 400.
    TooBigImageArea { max_area: u64 },
    /// `svg-long-error`: the SVG cannot be parsed or rendered.
    InvalidSvg(String),
    /// `thumbnail_image-type`: no renderer for this MIME type.
    UnsupportedType(String),
    /// `filemissing`: the source file is not there.
    FileMissing,
    /// The source could not be decoded. MediaWiki shows ImageMagick's stderr here; we show the
    /// decoder's message.
    Decode(String),
    /// The thumbnail could not be encoded or written.
    Encode(String),
    /// Any other I/O error reading the source.
    Io(String),
}

impl ThumbError {
    /// The full text MediaWiki reports (imageinfo `thumberror`, the `<p>` of thumb.php's error
    /// page): `Error creating thumbnail: …`.
    pub fn text(&self) -> String {
        format!("Error creating thumbnail: {self}")
    }

    /// The status thumb.php answers with (`MediaTransformError::getHttpStatusCode()`).
    pub fn http_status(&self) -> u16 {
        match self {
            ThumbError::InvalidParams | ThumbError::TooBigImageArea { .. } => 400,
            _ => 500,
        }
    }
}

impl fmt::Display for ThumbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ThumbError::InvalidParams => f.write_str("Invalid thumbnail parameters"),
            ThumbError::TooBigImageArea { max_area } => {
                write!(f, "File with dimensions greater than {}", format_pixels(*max_area))
            }
            ThumbError::InvalidSvg(m) => write!(f, "Invalid SVG file: {m}"),
            ThumbError::UnsupportedType(_) => f.write_str("Image type not supported"),
            ThumbError::FileMissing => f.write_str("File missing"),
            ThumbError::Decode(m) | ThumbError::Encode(m) | ThumbError::Io(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for ThumbError {}

impl From<std::io::Error> for ThumbError {
    fn from(e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::NotFound {
            ThumbError::FileMissing
        } else {
            ThumbError::Io(e.to_string())
        }
    }
}

/// `Language::formatComputingNumbers($n, 1000, "size-$1pixel")` in English: `12.5 MP`.
pub fn format_pixels(n: u64) -> String {
    const UNITS: [&str; 11] = ["", "KP", "MP", "GP", "TP", "PP", "EP", "ZP", "YP", "RP", "QP"];
    if n == 0 {
        return "0 pixels".to_string();
    }
    let mut index = 0;
    let mut size = n as f64;
    while size >= 1000.0 && index < UNITS.len() - 1 {
        index += 1;
        size /= 1000.0;
    }
    if index == 0 {
        return format!("{} {}", format_num(size, 0), if n == 1 { "pixel" } else { "pixels" });
    }
    // kilo: no decimals; mega and up: two.
    let places = if index > 1 { 2 } else { 0 };
    format!("{} {}", format_num(size, places), UNITS[index])
}

/// PHP `round($x, $places)` then `Language::formatNum()` in English: thousands separated by
/// commas, no trailing zeros.
fn format_num(x: f64, places: i32) -> String {
    let scale = 10f64.powi(places);
    let rounded = (x * scale).round() / scale;
    let mut s = format!("{rounded:.*}", places as usize);
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    let (int, frac) = match s.find('.') {
        Some(i) => (s[..i].to_string(), s[i..].to_string()),
        None => (s.clone(), String::new()),
    };
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    grouped + &frac
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pixels_are_formatted_like_mediawiki() {
        assert_eq!(format_pixels(12_500_000), "12.5 MP");
        assert_eq!(format_pixels(10_000_000), "10 MP");
        assert_eq!(format_pixels(12_345_678), "12.35 MP");
        assert_eq!(format_pixels(1_500), "2 KP");
        assert_eq!(format_pixels(999), "999 pixels");
        assert_eq!(format_pixels(2_000_000_000), "2 GP");
    }

    #[test]
    fn error_texts() {
        let e = ThumbError::TooBigImageArea { max_area: 12_500_000 };
        assert_eq!(e.text(), "Error creating thumbnail: File with dimensions greater than 12.5 MP");
        assert_eq!(e.http_status(), 400);
        assert_eq!(
            ThumbError::InvalidParams.text(),
            "Error creating thumbnail: Invalid thumbnail parameters"
        );
    }
}
