//! PNG: `PNGMetadataExtractor` + `PNGHandler::getSizeAndMetadata` + `BitmapMetadataHandler::PNG`.

use std::fs::File;

use serde_json::Value;

use super::util::{PhpStream, be_u16, be_u32, duration_value, latin1_to_string, nv_list, set_key};

pub const SIGNATURE: &[u8; 8] = b"\x89PNG\r\n\x1a\n";
const MAX_CHUNK_SIZE: u64 = 3_145_728;
/// Text beyond this total is not kept (bounded memory).
const MAX_TEXT_BYTES: usize = 4 << 20;

#[derive(Debug)]
pub struct PngInfo {
    pub width: u32,
    pub height: u32,
    pub bits: u32,
    pub metadata: Vec<(String, Value)>,
}

fn text_keyword(k: &str) -> Option<&'static str> {
    Some(match k {
        "xml:com.adobe.xmp" => "xmp",
        "artist" => "Artist",
        "model" => "Model",
        "make" => "Make",
        "author" => "Artist",
        "comment" => "PNGFileComment",
        "description" => "ImageDescription",
        "title" => "ObjectName",
        "copyright" => "Copyright",
        "source" => "Model",
        "software" => "Software",
        "disclaimer" => "Disclaimer",
        "warning" => "ContentWarning",
        "url" => "Identifier",
        "label" => "Label",
        "creation time" => "DateTimeDigitized",
        _ => return None,
    })
}

struct Broken;

struct Extracted {
    width: u32,
    height: u32,
    frame_count: u32,
    loop_count: u32,
    duration: f64,
    text: Vec<(String, Value)>,
    bit_depth: u32,
    color_type: &'static str,
    text_bytes: usize,
}

/// Parse a PNG the way MediaWiki does. A file MediaWiki would consider broken yields
/// 0×0 and `_error` metadata.
pub fn parse(f: &mut File, size: u64) -> PngInfo {
    match extract(f, size) {
        Ok(e) => {
            let mut text = e.text;
            text.retain(|(k, _)| k != "xmp");
            let mut meta_inner: Vec<(String, Value)> = text;
            meta_inner.push(("_MW_PNG_VERSION".to_string(), Value::from(1)));
            let metadata = vec![
                ("frameCount".to_string(), Value::from(e.frame_count)),
                ("loopCount".to_string(), Value::from(e.loop_count)),
                ("duration".to_string(), duration_value(e.duration)),
                ("bitDepth".to_string(), Value::from(e.bit_depth)),
                ("colorType".to_string(), Value::from(e.color_type)),
                ("metadata".to_string(), nv_list(&meta_inner)),
            ];
            PngInfo {
                width: e.width,
                height: e.height,
                bits: e.bit_depth,
                metadata,
            }
        }
        Err(Broken) => PngInfo {
            width: 0,
            height: 0,
            bits: 0,
            metadata: vec![("_error".to_string(), Value::from("0"))],
        },
    }
}

fn lang_entry(e: &mut Extracted, key: &str, lang: &str, content: String) {
    e.text_bytes += content.len() + lang.len();
    if e.text_bytes > MAX_TEXT_BYTES {
        return;
    }
    let text = &mut e.text;
    let mut entry: Vec<(String, Value)> = match text.iter().find(|(k, _)| k == key) {
        Some((_, Value::Array(items))) => items
            .iter()
            .filter_map(|it| {
                let name = it.get("name")?.as_str()?.to_string();
                Some((name, it.get("value")?.clone()))
            })
            .collect(),
        _ => Vec::new(),
    };
    set_key(&mut entry, lang, Value::from(content));
    set_key(&mut entry, "_type", Value::from("lang"));
    set_key(text, key, nv_list(&entry));
}

fn extract(f: &mut File, size: u64) -> Result<Extracted, Broken> {
    let mut c = PhpStream::new(f, size).map_err(|_| Broken)?;
    if c.fread(8) != SIGNATURE[..] {
        return Err(Broken);
    }
    let mut e = Extracted {
        width: 0,
        height: 0,
        frame_count: 0,
        loop_count: 1,
        duration: 0.0,
        text: Vec::new(),
        bit_depth: 0,
        color_type: "unknown",
        text_bytes: 0,
    };
    let mut chunks = 0u64;
    loop {
        chunks += 1;
        if chunks > 1_000_000 {
            return Err(Broken);
        }
        let len_buf = exact(&mut c, 4)?;
        let len = u64::from(be_u32(&len_buf, 0).ok_or(Broken)?);
        let ty = exact(&mut c, 4)?;
        match &ty[..] {
            b"IHDR" => {
                let buf = limited(&mut c, len)?;
                if buf.len() < 13 {
                    return Err(Broken);
                }
                e.width = be_u32(&buf, 0).ok_or(Broken)?;
                e.height = be_u32(&buf, 4).ok_or(Broken)?;
                e.bit_depth = u32::from(buf[8]);
                e.color_type = match buf[9] {
                    0 => "greyscale",
                    2 => "truecolour",
                    3 => "index-coloured",
                    4 => "greyscale-alpha",
                    6 => "truecolour-alpha",
                    _ => "unknown",
                };
            }
            b"acTL" => {
                if len < 8 {
                    return Err(Broken);
                }
                let buf = limited(&mut c, len)?;
                e.frame_count = be_u32(&buf, 0).ok_or(Broken)?;
                e.loop_count = be_u32(&buf, 4).ok_or(Broken)?;
            }
            b"fcTL" => {
                let buf = limited(&mut c, len)?;
                let num = be_u16(&buf, 20).ok_or(Broken)?;
                let mut den = be_u16(&buf, 22).ok_or(Broken)?;
                if den == 0 {
                    den = 100;
                }
                if num != 0 {
                    e.duration += f64::from(num) / f64::from(den);
                }
            }
            b"iTXt" => {
                let buf = limited(&mut c, len)?;
                let (keyword, compressed, lang, content) = parse_itxt(&buf).ok_or(Broken)?;
                let keyword = keyword.to_ascii_lowercase();
                if let Some(final_kw) = text_keyword(&keyword) {
                    // Compressed iTXt needs zlib; like MediaWiki without zlib, skip it.
                    if !compressed {
                        let mut lang = lang.to_ascii_lowercase();
                        if lang.is_empty() {
                            lang = "x-default".to_string();
                        }
                        let content = String::from_utf8_lossy(content).into_owned();
                        lang_entry(&mut e, final_kw, &lang, content);
                    }
                }
            }
            b"tEXt" => {
                let buf = limited(&mut c, len)?;
                let nul = buf.iter().position(|&b| b == 0).ok_or(Broken)?;
                let (keyword, content) = (&buf[..nul], &buf[nul + 1..]);
                if keyword.is_empty() || content.is_empty() {
                    return Err(Broken);
                }
                let keyword = String::from_utf8_lossy(keyword).to_ascii_lowercase();
                if let Some(final_kw) = text_keyword(&keyword) {
                    lang_entry(&mut e, final_kw, "x-default", latin1_to_string(content));
                }
            }
            b"zTXt" => {
                // MediaWiki without zlib skips compressed text chunks.
                skip(&mut c, len)?;
            }
            b"tIME" => {
                if len != 7 {
                    return Err(Broken);
                }
                let buf = limited(&mut c, len)?;
                let y = be_u16(&buf, 0).ok_or(Broken)?;
                let (mo, d, h, mi, s) = (buf[2], buf[3], buf[4], buf[5], buf[6]);
                if (1..=12).contains(&mo) && (1..=31).contains(&d) && h < 24 && mi < 60 && s < 61 {
                    set_key(
                        &mut e.text,
                        "DateTime",
                        Value::from(format!("{y:04}:{mo:02}:{d:02} {h:02}:{mi:02}:{s:02}")),
                    );
                }
            }
            b"pHYs" => {
                if len != 9 {
                    return Err(Broken);
                }
                let buf = limited(&mut c, len)?;
                let w = be_u32(&buf, 0).ok_or(Broken)?;
                let h = be_u32(&buf, 4).ok_or(Broken)?;
                if buf[8] == 1 && w > 0 && h > 0 {
                    set_key(&mut e.text, "XResolution", Value::from(format!("{w}/100")));
                    set_key(&mut e.text, "YResolution", Value::from(format!("{h}/100")));
                    set_key(&mut e.text, "ResolutionUnit", Value::from(3));
                }
            }
            b"IEND" => break,
            _ => skip(&mut c, len)?,
        }
        skip(&mut c, 4)?;
    }
    if e.loop_count > 1 {
        e.duration *= f64::from(e.loop_count);
    }
    Ok(e)
}

fn exact(c: &mut PhpStream<'_>, n: usize) -> Result<Vec<u8>, Broken> {
    let v = c.fread(n);
    if v.len() == n { Ok(v) } else { Err(Broken) }
}

fn skip(c: &mut PhpStream<'_>, n: u64) -> Result<(), Broken> {
    if c.fseek_cur(i64::try_from(n).map_err(|_| Broken)?) {
        Ok(())
    } else {
        Err(Broken)
    }
}

fn limited(c: &mut PhpStream<'_>, len: u64) -> Result<Vec<u8>, Broken> {
    if len > MAX_CHUNK_SIZE {
        return Err(Broken);
    }
    exact(c, len as usize)
}

/// MediaWiki's iTXt regex: `^([^\0]{1,79})\0(\0|\x01)\0([^\0]*)(.)[^\0]*\0(.*)$`.
fn parse_itxt(buf: &[u8]) -> Option<(String, bool, String, &[u8])> {
    let kw_end = buf.iter().position(|&b| b == 0)?;
    if kw_end == 0 || kw_end > 79 {
        return None;
    }
    let flag = *buf.get(kw_end + 1)?;
    if flag > 1 || *buf.get(kw_end + 2)? != 0 {
        return None;
    }
    let rest = buf.get(kw_end + 3..)?;
    let lang_end = rest.iter().position(|&b| b == 0)?;
    let after_lang = rest.get(lang_end + 1..)?;
    let tk_end = after_lang.iter().position(|&b| b == 0)?;
    let content = after_lang.get(tk_end + 1..)?;
    Some((
        String::from_utf8_lossy(&buf[..kw_end]).into_owned(),
        flag == 1,
        String::from_utf8_lossy(&rest[..lang_end]).into_owned(),
        content,
    ))
}
