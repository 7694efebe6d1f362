//! PDF: page count and the size of the first page's MediaBox, found by a bounded streaming
//! scan for `/Type /Pages … /Count N`, `/Type /Page` and `/MediaBox [a b c d]`. Objects
//! hidden in compressed object streams are not seen; then the answer is `None` / 0×0.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};

use super::util::{find_from, round_u32};

const BLOCK: usize = 1 << 20;
const CONTEXT: usize = 4096;
/// Scan at most this much from each end of very large files.
const SCAN_LIMIT: u64 = 128 << 20;

#[derive(Debug, Default, PartialEq)]
pub struct PdfInfo {
    pub pages: Option<u32>,
    pub width: u32,
    pub height: u32,
}

#[derive(Default)]
struct Found {
    max_count: Option<u32>,
    page_objects: u32,
    media_box: Option<(f64, f64)>,
}

fn is_delim(b: u8) -> bool {
    matches!(
        b,
        b' ' | b'\t' | b'\r' | b'\n' | 0x0c | 0 | b'/' | b'<' | b'>' | b'[' | b']' | b'(' | b')' | b'%'
    )
}

fn skip_ws(s: &[u8], mut i: usize) -> usize {
    while i < s.len() && matches!(s[i], b' ' | b'\t' | b'\r' | b'\n' | 0x0c | 0) {
        i += 1;
    }
    i
}

fn number(s: &[u8], i: usize) -> Option<(f64, usize)> {
    let mut j = i;
    if j < s.len() && (s[j] == b'-' || s[j] == b'+') {
        j += 1;
    }
    let start = j;
    while j < s.len() && (s[j].is_ascii_digit() || s[j] == b'.') {
        j += 1;
    }
    if j == start {
        return None;
    }
    let v: f64 = std::str::from_utf8(&s[i..j]).ok()?.parse().ok()?;
    Some((v, j))
}

fn scan_block(buf: &[u8], from: usize, to: usize, found: &mut Found) {
    let mut i = from;
    while let Some(p) = find_from(buf, b"/Type", i) {
        if p >= to {
            break;
        }
        i = p + 1;
        let j = skip_ws(buf, p + 5);
        if buf.get(j..j + 5) != Some(b"/Page") {
            continue;
        }
        let after = j + 5;
        if buf.get(after) == Some(&b's') && buf.get(after + 1).is_none_or(|&b| is_delim(b)) {
            // a Pages node: look for /Count inside the same object
            let lo = p.saturating_sub(2048);
            let hi = (p + 2048).min(buf.len());
            let obj_start = buf[lo..p].windows(3).rposition(|w| w == b"obj").map_or(lo, |q| lo + q);
            let obj_end = find_from(&buf[..hi], b"endobj", p).unwrap_or(hi);
            let region = &buf[obj_start..obj_end];
            if let Some(c) = find_from(region, b"/Count", 0) {
                let k = skip_ws(region, c + 6);
                if let Some((v, _)) = number(region, k)
                    && v >= 0.0
                    && v < f64::from(u32::MAX)
                {
                    let v = v as u32;
                    found.max_count = Some(found.max_count.map_or(v, |m| m.max(v)));
                }
            }
        } else if buf.get(after).is_none_or(|&b| is_delim(b)) {
            found.page_objects = found.page_objects.saturating_add(1);
        }
    }
    if found.media_box.is_none() {
        let mut i = from;
        while let Some(p) = find_from(buf, b"/MediaBox", i) {
            if p >= to {
                break;
            }
            i = p + 1;
            let mut k = skip_ws(buf, p + 9);
            if buf.get(k) != Some(&b'[') {
                continue;
            }
            k += 1;
            let mut nums = [0f64; 4];
            let mut ok = true;
            for n in &mut nums {
                k = skip_ws(buf, k);
                match number(buf, k) {
                    Some((v, e)) => {
                        *n = v;
                        k = e;
                    }
                    None => {
                        ok = false;
                        break;
                    }
                }
            }
            if ok && buf.get(skip_ws(buf, k)) == Some(&b']') {
                found.media_box = Some(((nums[2] - nums[0]).abs(), (nums[3] - nums[1]).abs()));
                break;
            }
        }
    }
}

fn scan_range(f: &mut File, start: u64, end: u64, found: &mut Found) -> io::Result<()> {
    f.seek(SeekFrom::Start(start))?;
    let mut buf: Vec<u8> = Vec::with_capacity(BLOCK + 2 * CONTEXT);
    let mut pos = start;
    let mut first = true;
    loop {
        let want = (BLOCK as u64).min(end.saturating_sub(pos)) as usize;
        let before = buf.len();
        (&mut *f).take(want as u64).read_to_end(&mut buf)?;
        let got = buf.len() - before;
        pos += got as u64;
        let last = got == 0 || pos >= end;
        let from = if first { 0 } else { CONTEXT };
        let to = if last { buf.len() } else { buf.len().saturating_sub(CONTEXT) };
        if to > from {
            scan_block(&buf, from, to, found);
        }
        if last {
            return Ok(());
        }
        let keep = (2 * CONTEXT).min(buf.len());
        buf.drain(..buf.len() - keep);
        first = false;
    }
}

pub fn parse(f: &mut File, size: u64) -> PdfInfo {
    let mut found = Found::default();
    let res = if size <= 2 * SCAN_LIMIT {
        scan_range(f, 0, size, &mut found)
    } else {
        scan_range(f, 0, SCAN_LIMIT, &mut found).and_then(|_| scan_range(f, size - SCAN_LIMIT, size, &mut found))
    };
    if res.is_err() {
        return PdfInfo::default();
    }
    let pages = found
        .max_count
        .filter(|&c| c > 0)
        .or((found.page_objects > 0).then_some(found.page_objects));
    let (width, height) = found.media_box.map_or((0, 0), |(w, h)| (round_u32(w), round_u32(h)));
    PdfInfo { pages, width, height }
}
