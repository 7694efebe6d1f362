//! TIFF IFD reading (also used for the EXIF block of JPEG files).

use std::collections::HashSet;

use super::util::{be_u16, be_u32, le_u16, le_u32};

#[derive(Clone, Copy)]
pub struct Endian {
    little: bool,
}

impl Endian {
    pub fn u16(&self, b: &[u8], at: usize) -> Option<u16> {
        if self.little { le_u16(b, at) } else { be_u16(b, at) }
    }
    pub fn u32(&self, b: &[u8], at: usize) -> Option<u32> {
        if self.little { le_u32(b, at) } else { be_u32(b, at) }
    }
}

/// Header check: `II*\0` or `MM\0*`; returns the byte order and the first IFD offset.
pub fn header(b: &[u8]) -> Option<(Endian, u32)> {
    let e = match b.get(0..4)? {
        [b'I', b'I', 0x2a, 0x00] => Endian { little: true },
        [b'M', b'M', 0x00, 0x2a] => Endian { little: false },
        _ => return None,
    };
    Some((e, e.u32(b, 4)?))
}

/// A directory entry's first value for SHORT/LONG/BYTE types.
fn entry_value(e: Endian, entry: &[u8]) -> Option<u32> {
    let ty = e.u16(entry, 2)?;
    match ty {
        3 => e.u16(entry, 8).map(u32::from),
        4 => e.u32(entry, 8),
        1 => entry.get(8).map(|&b| u32::from(b)),
        _ => None,
    }
}

/// Look up tags in the IFD at `offset` of an in-memory TIFF blob.
pub fn ifd_tags(b: &[u8], e: Endian, offset: u32, wanted: &[u16]) -> Vec<Option<u32>> {
    let mut out = vec![None; wanted.len()];
    let off = offset as usize;
    let Some(count) = e.u16(b, off) else {
        return out;
    };
    for i in 0..usize::from(count) {
        let Some(start) = off.checked_add(2 + i * 12) else {
            break;
        };
        let Some(entry) = b.get(start..start + 12) else {
            break;
        };
        let Some(tag) = e.u16(entry, 0) else { break };
        if let Some(pos) = wanted.iter().position(|&w| w == tag)
            && out[pos].is_none()
        {
            out[pos] = entry_value(e, entry);
        }
    }
    out
}

/// Offset of the IFD following the one at `offset`, if any.
pub fn next_ifd(b: &[u8], e: Endian, offset: u32) -> Option<u32> {
    let off = offset as usize;
    let count = usize::from(e.u16(b, off)?);
    let next = e.u32(b, off.checked_add(2 + count * 12)?)?;
    (next != 0).then_some(next)
}

/// Width/height of the first image (all IFDs must be reachable), reading through `read_at`:
/// whether `getimagesize` recognises the TIFF.
pub fn parse<F>(head: &[u8], mut read_at: F) -> Option<(u32, u32)>
where
    F: FnMut(u64, usize) -> Option<Vec<u8>>,
{
    let (e, first) = header(head)?;
    let load = |read_at: &mut F, off: u32| -> Option<Vec<u8>> {
        let cnt = read_at(u64::from(off), 2)?;
        let n = usize::from(e.u16(&cnt, 0)?);
        read_at(u64::from(off), 2 + n * 12 + 4)
    };
    let mut pages = 0u32;
    let mut width = 0;
    let mut height = 0;
    let mut seen = HashSet::new();
    let mut off = first;
    while off != 0 && pages < 10_000 && seen.insert(off) {
        let Some(dir) = load(&mut read_at, off) else {
            break;
        };
        // the directory blob starts at offset 0 here
        if pages == 0 {
            let tags = ifd_tags(&dir, e, 0, &[256, 257]);
            width = tags[0].unwrap_or(0);
            height = tags[1].unwrap_or(0);
            if width == 0 || height == 0 {
                return None;
            }
        }
        pages += 1;
        off = next_ifd(&dir, e, 0).unwrap_or(0);
    }
    (pages > 0).then_some((width, height))
}
