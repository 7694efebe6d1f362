//! JPEG: segment walk like `JpegMetadataExtractor::segmentSplitter`, size from the SOF
//! segment (as `getimagesize` reports it), EXIF orientation applied like `applyExifRotation`.

use std::fs::File;

use serde_json::Value;

use super::exif;
use super::gif::numeric_names;
use super::tiff;
use super::util::{PhpStream, be_u16, cp1252_to_string, nv_list, php_trim};

const MAX_JPEG_SEGMENTS: u32 = 200;

#[derive(Debug)]
pub struct JpegInfo {
    pub width: u32,
    pub height: u32,
    pub bits: u32,
    pub metadata: Vec<(String, Value)>,
}

struct Segments {
    comments: Vec<String>,
    sof: Option<(u32, u32, u32)>,
    /// The TIFF block of the first APP1 `Exif` segment PHP's exif reader accepts.
    exif: Option<Vec<u8>>,
    /// `JpegMetadataExtractor`'s `byteOrder`: from the last `Exif` segment, big-endian by default.
    little: bool,
}

/// `jpegExtractMarker`: a length-prefixed segment body.
fn extract_marker(s: &mut PhpStream<'_>) -> Option<Vec<u8>> {
    let size = be_u16(&s.fread(2), 0)?;
    if size < 2 {
        return None;
    }
    let body = s.fread(usize::from(size - 2));
    (body.len() == usize::from(size - 2)).then_some(body)
}

fn split(f: &mut File, size: u64) -> (Segments, bool) {
    let mut seg = Segments {
        comments: Vec::new(),
        sof: None,
        exif: None,
        little: false,
    };
    let Ok(mut s) = PhpStream::new(f, size) else {
        return (seg, false);
    };
    if s.fread(2) != b"\xFF\xD8" {
        return (seg, false);
    }
    let mut count = 0u32;
    while !s.feof() {
        let b = s.read_byte();
        count += 1;
        if count > MAX_JPEG_SEGMENTS {
            return (seg, false);
        }
        if b != Some(0xFF) && !s.feof() {
            let _ = s.skip_until(0xFF);
        }
        let mut b = s.read_byte();
        while b == Some(0xFF) && !s.feof() {
            b = s.read_byte();
        }
        match b {
            Some(0xFE) => {
                let Some(body) = extract_marker(&mut s) else {
                    return (seg, false);
                };
                let body = php_trim(&body);
                let text = match std::str::from_utf8(body) {
                    Ok(t) => Some(t.to_string()),
                    Err(_) => {
                        let t = cp1252_to_string(body);
                        // binary junk (control characters) is not extracted
                        (!t.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))).then_some(t)
                    }
                };
                if let Some(t) = text {
                    seg.comments.push(t);
                }
            }
            Some(0xE1) => {
                let Some(body) = extract_marker(&mut s) else {
                    return (seg, false);
                };
                if let Some(block) = body.strip_prefix(b"Exif\0\0") {
                    match block.get(0..2) {
                        Some(b"MM") => seg.little = false,
                        Some(b"II") => seg.little = true,
                        _ => {}
                    }
                    if seg.exif.is_none() && php_accepts_tiff_header(block) {
                        seg.exif = Some(block.to_vec());
                    }
                }
            }
            Some(0xD9) | Some(0xDA) => return (seg, true),
            Some(m @ (0xC0..=0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF)) => {
                let _ = m;
                let Some(body) = extract_marker(&mut s) else {
                    return (seg, false);
                };
                if seg.sof.is_none() && body.len() >= 5 {
                    let bits = u32::from(body[0]);
                    let h = u32::from(be_u16(&body, 1).unwrap_or(0));
                    let w = u32::from(be_u16(&body, 3).unwrap_or(0));
                    seg.sof = Some((w, h, bits));
                }
            }
            _ => {
                let Some(len) = be_u16(&s.fread(2), 0) else {
                    return (seg, false);
                };
                if len < 2 {
                    return (seg, false);
                }
                s.fseek_cur(i64::from(len) - 2);
            }
        }
    }
    (seg, false)
}

/// `exif_process_TIFF_in_JPEG`'s header checks (a segment failing them is skipped).
fn php_accepts_tiff_header(b: &[u8]) -> bool {
    let Some((_, first)) = tiff::header(b) else {
        return false;
    };
    first >= 8 && first as usize <= b.len()
}

pub fn parse(f: &mut File, size: u64) -> JpegInfo {
    let (seg, ok) = split(f, size);
    let (mut width, mut height, bits) = seg.sof.unwrap_or((0, 0, 0));
    // BitmapMetadataHandler::getExif: the filtered EXIF data, read with the splitter's byte order
    let filtered = match seg.exif.as_deref().and_then(exif::read_block) {
        Some(mut raw) => {
            raw.little = seg.little;
            exif::filter(&raw)
        }
        None => Vec::new(),
    };
    if matches!(exif::rotation(&filtered), 90 | 270) {
        std::mem::swap(&mut width, &mut height);
    }
    let metadata = if ok {
        // EXIF has the highest priority, then the comments (`getMetadataArray`)
        let mut m = exif::to_metadata(&filtered);
        if !seg.comments.is_empty() {
            let list: Vec<(String, Value)> = seg
                .comments
                .into_iter()
                .enumerate()
                .map(|(i, c)| (i.to_string(), Value::from(c)))
                .collect();
            m.push(("JPEGFileComment".to_string(), numeric_names(nv_list(&list))));
        }
        m.push(("MEDIAWIKI_EXIF_VERSION".to_string(), Value::from(2)));
        m
    } else {
        vec![("_error".to_string(), Value::from("-1"))]
    };
    JpegInfo {
        width,
        height,
        bits,
        metadata,
    }
}
