//! WebP: `RiffExtractor::findChunks` + `WebPHandler::extractMetadataFromChunks`.

use std::fs::File;

use serde_json::Value;

use super::util::{le_u16, le_u32, nv_list, read_at, set_key};

#[derive(Debug)]
pub struct WebpInfo {
    pub width: u32,
    pub height: u32,
    pub metadata: Vec<(String, Value)>,
}

pub fn parse(f: &mut File, size: u64) -> WebpInfo {
    let broken = || WebpInfo {
        width: 0,
        height: 0,
        metadata: vec![("_error".to_string(), Value::from("0"))],
    };
    let Ok(head) = read_at(f, 0, 12) else {
        return broken();
    };
    if head.len() < 12 || &head[0..4] != b"RIFF" || &head[8..12] != b"WEBP" {
        return broken();
    }
    // find up to 100 chunks
    let mut chunks: Vec<([u8; 4], u64)> = Vec::new();
    let mut pos: u64 = 12;
    while pos < size && chunks.len() < 100 {
        let Ok(h) = read_at(f, pos, 8) else { break };
        if h.len() < 8 {
            break;
        }
        let fourcc = [h[0], h[1], h[2], h[3]];
        let len = u64::from(le_u32(&h, 4).unwrap_or(0));
        chunks.push((fourcc, pos));
        pos = pos.saturating_add(8).saturating_add(len).saturating_add(len % 2);
    }
    let mut info: Vec<(String, Value)> = Vec::new();
    let mut done = false;
    for (fourcc, start) in chunks {
        if !matches!(&fourcc, b"VP8 " | b"VP8L" | b"VP8X") {
            continue;
        }
        let Ok(hdr) = read_at(f, start, 18) else {
            continue;
        };
        match &fourcc {
            b"VP8 " => {
                if hdr.get(11..14) == Some(&b"\x9D\x01\x2A"[..]) {
                    let w = le_u16(&hdr, 14).unwrap_or(0) & 0x3FFF;
                    let h = le_u16(&hdr, 16).unwrap_or(0) & 0x3FFF;
                    set_key(&mut info, "compression", Value::from("lossy"));
                    set_key(&mut info, "width", Value::from(w));
                    set_key(&mut info, "height", Value::from(h));
                }
                done = true;
            }
            b"VP8L" => {
                if hdr.get(8) == Some(&0x2F) && hdr.len() >= 13 {
                    let b = &hdr[9..13];
                    let w = (u32::from(b[0]) | (u32::from(b[1] & 0x3F) << 8)) + 1;
                    let h = ((u32::from(b[1] & 0xC0) >> 6) | (u32::from(b[2]) << 2) | (u32::from(b[3] & 0x03) << 10)) + 1;
                    set_key(&mut info, "compression", Value::from("lossless"));
                    set_key(&mut info, "width", Value::from(w));
                    set_key(&mut info, "height", Value::from(h));
                }
                done = true;
            }
            _ => {
                let flags = hdr.get(8).copied().unwrap_or(0);
                let w24 = |at: usize| {
                    hdr.get(at..at + 3)
                        .map_or(0, |s| u32::from(s[0]) | (u32::from(s[1]) << 8) | (u32::from(s[2]) << 16))
                };
                set_key(&mut info, "compression", Value::from("unknown"));
                set_key(&mut info, "animated", Value::from(flags & 2 == 2));
                set_key(&mut info, "transparency", Value::from(flags & 16 == 16));
                set_key(&mut info, "width", Value::from(w24(12) + 1));
                set_key(&mut info, "height", Value::from(w24(15) + 1));
            }
        }
        if done {
            break;
        }
    }
    if info.is_empty() {
        return broken();
    }
    let get = |k: &str| info.iter().find(|(n, _)| n == k).and_then(|(_, v)| v.as_u64()).unwrap_or(0);
    let (width, height) = (u32::try_from(get("width")).unwrap_or(0), u32::try_from(get("height")).unwrap_or(0));
    info.push(("metadata".to_string(), nv_list(&[("_MW_WEBP_VERSION".to_string(), Value::from(1))])));
    WebpInfo {
        width,
        height,
        metadata: info,
    }
}
