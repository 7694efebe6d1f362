//! Small byte helpers shared by the format parsers. Everything here is panic-free on any input.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};

/// First index of `needle` in `hay`.
pub fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    find_from(hay, needle, 0)
}

/// First index of `needle` in `hay` at or after `from`.
pub fn find_from(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() {
        return if from <= hay.len() { Some(from) } else { None };
    }
    if hay.len() < needle.len() || from > hay.len() - needle.len() {
        return None;
    }
    let first = needle[0];
    let last_start = hay.len() - needle.len();
    let mut i = from;
    while i <= last_start {
        match hay[i..=last_start].iter().position(|&b| b == first) {
            None => return None,
            Some(off) => {
                let p = i + off;
                if hay.get(p..p + needle.len()) == Some(needle) {
                    return Some(p);
                }
                i = p + 1;
            }
        }
    }
    None
}

/// ASCII case-insensitive search (`needle` must be lowercase).
pub fn find_ci_from(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() {
        return Some(from.min(hay.len()));
    }
    if hay.len() < needle.len() {
        return None;
    }
    let last_start = hay.len() - needle.len();
    let mut i = from;
    while i <= last_start {
        if hay[i..i + needle.len()]
            .iter()
            .zip(needle)
            .all(|(a, b)| a.to_ascii_lowercase() == *b)
        {
            return Some(i);
        }
        i += 1;
    }
    None
}

pub fn find_ci(hay: &[u8], needle: &[u8]) -> Option<usize> {
    find_ci_from(hay, needle, 0)
}

pub fn starts_with_ci(hay: &[u8], prefix: &[u8]) -> bool {
    hay.len() >= prefix.len() && hay[..prefix.len()].iter().zip(prefix).all(|(a, b)| a.eq_ignore_ascii_case(b))
}

pub fn replace_all(hay: &[u8], needle: &[u8], with: &[u8]) -> Vec<u8> {
    if needle.is_empty() {
        return hay.to_vec();
    }
    let mut out = Vec::with_capacity(hay.len());
    let mut i = 0;
    while let Some(p) = find_from(hay, needle, i) {
        out.extend_from_slice(&hay[i..p]);
        out.extend_from_slice(with);
        i = p + needle.len();
    }
    out.extend_from_slice(&hay[i..]);
    out
}

/// PCRE `\s` without the `u` flag.
pub fn is_pcre_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// PCRE `\w` without the `u` flag.
pub fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// PHP `trim()` default character set.
pub fn php_trim(s: &[u8]) -> &[u8] {
    let is_ws = |b: &u8| matches!(*b, b' ' | b'\t' | b'\n' | b'\r' | 0 | 0x0b);
    let start = s.iter().position(|b| !is_ws(b)).unwrap_or(s.len());
    let end = s.iter().rposition(|b| !is_ws(b)).map_or(start, |p| p + 1);
    &s[start..end.max(start)]
}

pub fn php_trim_str(s: &str) -> &str {
    s.trim_matches(|c: char| matches!(c, ' ' | '\t' | '\n' | '\r' | '\0' | '\x0b'))
}

pub fn latin1_to_string(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| b as char).collect()
}

/// windows-1252 -> UTF-8 (undefined bytes map to U+FFFD... and are dropped like `//IGNORE`).
pub fn cp1252_to_string(bytes: &[u8]) -> String {
    const HIGH: [u32; 32] = [
        0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0, 0, 0x2018, 0x2019,
        0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
    ];
    let mut s = String::with_capacity(bytes.len());
    for &b in bytes {
        if (0x80..0xA0).contains(&b) {
            if let Some(c) = HIGH.get(usize::from(b - 0x80)).and_then(|&cp| char::from_u32(cp))
                && c != '\0'
            {
                s.push(c);
            }
        } else {
            s.push(b as char);
        }
    }
    s
}

pub fn be_u16(b: &[u8], at: usize) -> Option<u16> {
    let s = b.get(at..at.checked_add(2)?)?;
    Some(u16::from_be_bytes([s[0], s[1]]))
}
pub fn le_u16(b: &[u8], at: usize) -> Option<u16> {
    let s = b.get(at..at.checked_add(2)?)?;
    Some(u16::from_le_bytes([s[0], s[1]]))
}
pub fn be_u32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}
pub fn le_u32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

/// Read up to `len` bytes at `offset` (fewer at end of file).
pub fn read_at(f: &mut File, offset: u64, len: usize) -> io::Result<Vec<u8>> {
    f.seek(SeekFrom::Start(offset))?;
    let mut buf = Vec::with_capacity(len.min(1 << 20));
    f.by_ref().take(len as u64).read_to_end(&mut buf)?;
    Ok(buf)
}

/// Upper bound for a single [`PhpStream::fread`].
pub const MAX_READ: usize = 16 << 20;

/// A `{"name": .., "value": ..}` object as `ApiQueryImageInfo::processMetaData` emits it.
pub fn nv(name: impl Into<serde_json::Value>, value: serde_json::Value) -> serde_json::Value {
    let mut m = serde_json::Map::new();
    m.insert("name".to_string(), name.into());
    m.insert("value".to_string(), value);
    serde_json::Value::Object(m)
}

/// Convert ordered `(key, value)` pairs into MediaWiki's nested metadata list.
pub fn nv_list(pairs: &[(String, serde_json::Value)]) -> serde_json::Value {
    serde_json::Value::Array(pairs.iter().map(|(k, v)| nv(k.as_str(), v.clone())).collect())
}

/// Insert or replace `key` in an ordered list, keeping the first position (PHP array semantics).
pub fn set_key(list: &mut Vec<(String, serde_json::Value)>, key: &str, value: serde_json::Value) {
    if let Some(slot) = list.iter_mut().find(|(k, _)| k == key) {
        slot.1 = value;
    } else {
        list.push((key.to_string(), value));
    }
}

/// A JSON number for a duration: integral values as integers (as MediaWiki 1.39's output
/// shows `"duration":0`), others as floats.
pub fn duration_value(d: f64) -> serde_json::Value {
    if d.is_finite() && d.fract() == 0.0 && d.abs() < 9.0e15 {
        serde_json::Value::from(d as i64)
    } else {
        serde_json::Number::from_f64(d).map_or(serde_json::Value::from(0), serde_json::Value::Number)
    }
}

/// A PHP-like buffered file stream: `fread` returns what is available (short at EOF),
/// `feof` becomes true after a read hits the end, and `fseek` may move past the end.
pub struct PhpStream<'a> {
    inner: std::io::BufReader<&'a mut File>,
    pub pos: u64,
    pub size: u64,
    eof: bool,
}

impl<'a> PhpStream<'a> {
    pub fn new(f: &'a mut File, size: u64) -> io::Result<Self> {
        f.seek(SeekFrom::Start(0))?;
        Ok(PhpStream {
            inner: std::io::BufReader::with_capacity(64 * 1024, f),
            pos: 0,
            size,
            eof: false,
        })
    }

    pub fn feof(&self) -> bool {
        self.eof
    }

    /// `fread($fh, $n)`; `n` is capped at [`MAX_READ`].
    pub fn fread(&mut self, n: usize) -> Vec<u8> {
        let n = n.min(MAX_READ);
        let avail = self.size.saturating_sub(self.pos);
        let take = (n as u64).min(avail) as usize;
        let mut buf = vec![0u8; take];
        if take > 0 && self.inner.read_exact(&mut buf).is_err() {
            self.eof = true;
            return Vec::new();
        }
        self.pos += take as u64;
        if take < n {
            self.eof = true;
        }
        buf
    }

    /// `fread($fh, 1)` without allocating; `None` (and EOF set) at the end.
    pub fn read_byte(&mut self) -> Option<u8> {
        if self.pos >= self.size {
            self.eof = true;
            return None;
        }
        let mut b = [0u8; 1];
        if self.inner.read_exact(&mut b).is_err() {
            self.eof = true;
            return None;
        }
        self.pos += 1;
        Some(b[0])
    }

    /// Consume bytes up to and including the next `target` byte; `None` (EOF set) if the
    /// file ends first. Equivalent to a `fread($fh, 1)` loop, without per-byte overhead.
    pub fn skip_until(&mut self, target: u8) -> Option<u8> {
        use std::io::BufRead;
        loop {
            let remaining = self.size.saturating_sub(self.pos);
            if remaining == 0 {
                self.eof = true;
                return None;
            }
            let buf = match self.inner.fill_buf() {
                Ok(b) if !b.is_empty() => b,
                _ => {
                    self.eof = true;
                    return None;
                }
            };
            let avail = buf.len().min(usize::try_from(remaining).unwrap_or(usize::MAX));
            match buf[..avail].iter().position(|&b| b == target) {
                Some(i) => {
                    self.inner.consume(i + 1);
                    self.pos += (i + 1) as u64;
                    return Some(target);
                }
                None => {
                    self.inner.consume(avail);
                    self.pos += avail as u64;
                }
            }
        }
    }

    /// `fseek($fh, $delta, SEEK_CUR)`; clears EOF like PHP.
    pub fn fseek_cur(&mut self, delta: i64) -> bool {
        let new = if delta >= 0 {
            self.pos.saturating_add(delta as u64)
        } else {
            match self.pos.checked_sub(delta.unsigned_abs()) {
                Some(p) => p,
                None => return false,
            }
        };
        let rel = i64::try_from(new as i128 - self.pos as i128).unwrap_or(0);
        if self.inner.seek_relative(rel).is_err() {
            return false;
        }
        self.pos = new;
        self.eof = false;
        true
    }
}

/// Round like PHP's `round()` (half away from zero) and clamp into `u32`.
pub fn round_u32(v: f64) -> u32 {
    if !v.is_finite() || v <= 0.0 {
        return 0;
    }
    let r = v.round();
    if r >= u32::MAX as f64 { u32::MAX } else { r as u32 }
}

/// PHP `floatval()` of a string: the longest leading numeric prefix, 0 if none.
pub fn php_floatval(s: &str) -> f64 {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let b = t.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let mut have_digits = i > int_start;
    if i < b.len() && b[i] == b'.' {
        let frac_start = i + 1;
        let mut j = frac_start;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        if j > frac_start || have_digits {
            have_digits = have_digits || j > frac_start;
            i = j;
        }
    }
    if !have_digits {
        return 0.0;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        let mut j = i + 1;
        if j < b.len() && (b[j] == b'+' || b[j] == b'-') {
            j += 1;
        }
        let exp_start = j;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        if j > exp_start {
            i = j;
        }
    }
    t[..i].parse::<f64>().unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_helpers() {
        assert_eq!(find(b"hello world", b"world"), Some(6));
        assert_eq!(find(b"ab", b"abc"), None);
        assert_eq!(find_from(b"aaa", b"a", 3), None);
        assert_eq!(find_ci(b"xx<SCRIPT", b"<script"), Some(2));
        assert_eq!(replace_all(b"a--b--", b"--", b"+"), b"a+b+".to_vec());
        assert_eq!(php_trim(b"  \0x y\n"), b"x y");
        assert_eq!(php_trim(b"   "), b"");
    }

    #[test]
    fn floatval() {
        assert_eq!(php_floatval("12px"), 12.0);
        assert_eq!(php_floatval(" 1.5e2x"), 150.0);
        assert_eq!(php_floatval("abc"), 0.0);
        assert_eq!(php_floatval(".5"), 0.5);
        assert_eq!(php_floatval("-"), 0.0);
        assert_eq!(round_u32(2.5), 3);
        assert_eq!(round_u32(-1.0), 0);
        assert_eq!(round_u32(f64::NAN), 0);
    }

    #[test]
    fn cp1252() {
        assert_eq!(cp1252_to_string(b"caf\xe9 \x80"), "café €");
    }
}
