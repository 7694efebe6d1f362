//! GIF: `GIFMetadataExtractor` + `GIFHandler::getSizeAndMetadata` + `BitmapMetadataHandler::GIF`.

use std::fs::File;

use serde_json::Value;

use super::util::{PhpStream, cp1252_to_string, duration_value, le_u16, nv_list};

const MAX_SUBBLOCKS: u32 = 262_144;
const MAX_BLOCK_DATA: usize = 16 << 20;
/// Comments beyond this total are not kept (bounded memory).
const MAX_COMMENT_BYTES: usize = 4 << 20;

#[derive(Debug)]
pub struct GifInfo {
    pub width: u32,
    pub height: u32,
    pub bits: u32,
    pub metadata: Vec<(String, Value)>,
}

struct Broken;

pub fn parse(f: &mut File, size: u64) -> GifInfo {
    match extract(f, size) {
        Ok(info) => info,
        Err(Broken) => GifInfo {
            width: 0,
            height: 0,
            bits: 0,
            metadata: vec![("_error".to_string(), Value::from("0"))],
        },
    }
}

fn decode_bpp(buf: &[u8]) -> Result<(u32, bool), Broken> {
    let b = *buf.first().ok_or(Broken)?;
    Ok((u32::from(b & 7) + 1, b & 0x80 != 0))
}

fn read_gct(s: &mut PhpStream<'_>, bpp: u32) {
    let entries = 1usize << bpp.min(8);
    let _ = s.fread(3 * entries);
}

fn skip_block(s: &mut PhpStream<'_>) -> Result<(), Broken> {
    while !s.feof() {
        let buf = s.fread(1);
        let len = *buf.first().ok_or(Broken)?;
        if len == 0 {
            return Ok(());
        }
        s.fseek_cur(i64::from(len));
        // fread semantics: reading past the end sets EOF
        if s.pos > s.size {
            let _ = s.fread(1);
        }
    }
    Ok(())
}

fn read_block(s: &mut PhpStream<'_>, include_lengths: bool) -> Result<Vec<u8>, Broken> {
    let mut data = Vec::new();
    let mut sub = s.fread(1);
    let mut blocks = 0u32;
    while sub.as_slice() != [0u8] {
        blocks += 1;
        if blocks > MAX_SUBBLOCKS || s.feof() {
            return Err(Broken);
        }
        let len = sub.first().copied().unwrap_or(0);
        if include_lengths {
            data.push(len);
        }
        data.extend_from_slice(&s.fread(usize::from(len)));
        if data.len() > MAX_BLOCK_DATA {
            return Err(Broken);
        }
        sub = s.fread(1);
    }
    Ok(data)
}

fn extract(f: &mut File, size: u64) -> Result<GifInfo, Broken> {
    let mut s = PhpStream::new(f, size).map_err(|_| Broken)?;
    let sig = s.fread(6);
    if sig != b"GIF87a" && sig != b"GIF89a" {
        return Err(Broken);
    }
    let width = u32::from(le_u16(&s.fread(2), 0).ok_or(Broken)?);
    let height = u32::from(le_u16(&s.fread(2), 0).ok_or(Broken)?);
    let (mut bpp, have_map) = decode_bpp(&s.fread(1))?;
    let _ = s.fread(2);
    if have_map {
        read_gct(&mut s, bpp);
    }

    let mut frame_count = 0u32;
    let mut duration = 0.0f64;
    let mut looped = false;
    let mut comments: Vec<String> = Vec::new();
    let mut comment_bytes = 0usize;

    let mut steps = 0u64;
    while !s.feof() {
        steps += 1;
        if steps > 50_000_000 {
            return Err(Broken);
        }
        let buf = s.fread(1);
        match buf.first() {
            Some(b',') => {
                frame_count += 1;
                let _ = s.fread(8);
                let (b, map) = decode_bpp(&s.fread(1))?;
                bpp = b;
                if map {
                    read_gct(&mut s, bpp);
                }
                let _ = s.fread(1);
                skip_block(&mut s)?;
            }
            Some(b'!') => {
                let code = *s.fread(1).first().ok_or(Broken)?;
                match code {
                    0xF9 => {
                        let _ = s.fread(1);
                        let _ = s.fread(1);
                        let delay = le_u16(&s.fread(2), 0).ok_or(Broken)?;
                        duration += f64::from(delay) * 0.01;
                        let _ = s.fread(1);
                        let term = *s.fread(1).first().ok_or(Broken)?;
                        if term != 0 {
                            return Err(Broken);
                        }
                    }
                    0xFE => {
                        let data = read_block(&mut s, false)?;
                        if data.is_empty() {
                            return Err(Broken);
                        }
                        let text = match String::from_utf8(data) {
                            Ok(t) => t,
                            Err(e) => cp1252_to_string(e.as_bytes()),
                        };
                        comment_bytes += text.len();
                        if comments.last() != Some(&text) && comment_bytes <= MAX_COMMENT_BYTES {
                            comments.push(text);
                        }
                    }
                    0xFF => {
                        let bl = *s.fread(1).first().ok_or(Broken)?;
                        let data = s.fread(usize::from(bl));
                        if data.len() < usize::from(bl) {
                            // MediaWiki would seek back and loop forever here; stop instead
                            return Err(Broken);
                        }
                        if bl != 11 {
                            s.fseek_cur(-(i64::from(bl) + 1));
                            skip_block(&mut s)?;
                            continue;
                        }
                        if data == b"NETSCAPE2.0" {
                            if s.fread(2) != b"\x03\x01" {
                                return Err(Broken);
                            }
                            let loops = le_u16(&s.fread(2), 0).ok_or(Broken)?;
                            if loops != 1 {
                                looped = true;
                            }
                            let _ = s.fread(1);
                        } else if data == b"XMP DataXMP" {
                            let xmp = read_block(&mut s, true)?;
                            let n = xmp.len();
                            let trailer_ok = n >= 257
                                && xmp.get(n - 257..n - 254) == Some(&b"\x01\xFF\xFE"[..])
                                && xmp.get(n - 4..) == Some(&b"\x03\x02\x01\x00"[..]);
                            if !trailer_ok {
                                return Err(Broken);
                            }
                        } else {
                            s.fseek_cur(-(i64::from(bl) + 1));
                            skip_block(&mut s)?;
                        }
                    }
                    _ => skip_block(&mut s)?,
                }
            }
            Some(b';') => break,
            _ => return Err(Broken),
        }
    }

    let mut inner: Vec<(String, Value)> = Vec::new();
    if !comments.is_empty() {
        let list: Vec<(String, Value)> = comments
            .into_iter()
            .enumerate()
            .map(|(i, c)| (i.to_string(), Value::from(c)))
            .collect();
        inner.push(("GIFFileComment".to_string(), numeric_names(nv_list(&list))));
    }
    inner.push(("_MW_GIF_VERSION".to_string(), Value::from(1)));
    let metadata = vec![
        ("frameCount".to_string(), Value::from(frame_count)),
        ("looped".to_string(), Value::from(looped)),
        ("duration".to_string(), duration_value(duration)),
        ("metadata".to_string(), nv_list(&inner)),
    ];
    Ok(GifInfo {
        width,
        height,
        bits: bpp,
        metadata,
    })
}

/// PHP list keys are integers: emit `"name": 0` rather than `"name": "0"`.
pub fn numeric_names(v: Value) -> Value {
    match v {
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|mut it| {
                    if let Some(obj) = it.as_object_mut() {
                        let num = obj.get("name").and_then(|n| n.as_str()).and_then(|n| n.parse::<u64>().ok());
                        if let Some(n) = num {
                            obj.insert("name".to_string(), Value::from(n));
                        }
                    }
                    it
                })
                .collect(),
        ),
        other => other,
    }
}
