//! Tests for the media module. All sample files are generated here.

use std::path::PathBuf;

use serde_json::{Value, json};

use super::*;

// ---------------------------------------------------------------------------------------
// helpers and tiny encoders
// ---------------------------------------------------------------------------------------

struct Tmp {
    dir: tempfile::TempDir,
    n: std::cell::Cell<u32>,
}

impl Tmp {
    fn new() -> Self {
        Tmp {
            dir: tempfile::tempdir().expect("tempdir"),
            n: std::cell::Cell::new(0),
        }
    }
    fn file(&self, bytes: &[u8]) -> PathBuf {
        self.n.set(self.n.get() + 1);
        let p = self.dir.path().join(format!("f{}", self.n.get()));
        std::fs::write(&p, bytes).expect("write");
        p
    }
}

fn analyze_bytes(bytes: &[u8]) -> MediaInfo {
    let t = Tmp::new();
    analyze(&t.file(bytes)).expect("analyze")
}

fn verify_bytes(bytes: &[u8], ext: &str) -> Result<(), Rejection> {
    let t = Tmp::new();
    let p = t.file(bytes);
    let info = analyze(&p).expect("analyze");
    verify_content(&p, &info, ext, &VerifyConfig::default())
}

fn details(bytes: &[u8], ext: &str) -> Vec<String> {
    match verify_bytes(bytes, ext) {
        Ok(()) => vec![],
        Err(r) => r.details,
    }
}

fn meta_json(info: &MediaInfo) -> Value {
    info.metadata_json()
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

fn png_chunk(out: &mut Vec<u8>, ty: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let mut c = ty.to_vec();
    c.extend_from_slice(data);
    out.extend_from_slice(&c);
    out.extend_from_slice(&crc32(&c).to_be_bytes());
}

/// A valid truecolour 8-bit PNG (zlib "stored" IDAT); `extra` chunks go before IDAT.
fn png(w: u32, h: u32, extra: &[(&[u8; 4], Vec<u8>)]) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    png_chunk(&mut out, b"IHDR", &ihdr);
    for (ty, data) in extra {
        png_chunk(&mut out, ty, data);
    }
    let mut raw = Vec::new();
    for y in 0..h {
        raw.push(0);
        for x in 0..w {
            raw.extend_from_slice(&[(x * 13) as u8, (y * 7) as u8, 0x80]);
        }
    }
    let mut z = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = raw.chunks(65535).collect();
    for (i, b) in blocks.iter().enumerate() {
        z.push(u8::from(i + 1 == blocks.len()));
        let len = b.len() as u16;
        z.extend_from_slice(&len.to_le_bytes());
        z.extend_from_slice(&(!len).to_le_bytes());
        z.extend_from_slice(b);
    }
    let (mut a, mut bsum) = (1u32, 0u32);
    for &x in &raw {
        a = (a + u32::from(x)) % 65521;
        bsum = (bsum + a) % 65521;
    }
    z.extend_from_slice(&((bsum << 16) | a).to_be_bytes());
    png_chunk(&mut out, b"IDAT", &z);
    png_chunk(&mut out, b"IEND", &[]);
    out
}

fn gif(w: u16, h: u16, comment: Option<&str>, loops: Option<u16>) -> Vec<u8> {
    let mut g = b"GIF89a".to_vec();
    g.extend_from_slice(&w.to_le_bytes());
    g.extend_from_slice(&h.to_le_bytes());
    g.extend_from_slice(&[0x80, 0, 0, 0xFF, 0xFF, 0xFF, 0, 0, 0]); // 2-colour global table
    if let Some(l) = loops {
        g.extend_from_slice(b"\x21\xFF\x0BNETSCAPE2.0\x03\x01");
        g.extend_from_slice(&l.to_le_bytes());
        g.push(0);
    }
    if let Some(c) = comment {
        g.extend_from_slice(&[0x21, 0xFE, c.len() as u8]);
        g.extend_from_slice(c.as_bytes());
        g.push(0);
    }
    for _ in 0..2 {
        g.extend_from_slice(&[0x21, 0xF9, 0x04, 0x00, 10, 0, 0, 0]); // 0.1 s delay
        g.push(b',');
        g.extend_from_slice(&[0, 0, 0, 0]);
        g.extend_from_slice(&w.to_le_bytes());
        g.extend_from_slice(&h.to_le_bytes());
        g.extend_from_slice(&[0x00, 0x02, 0x02, 0x44, 0x01, 0x00]);
    }
    g.push(b';');
    g
}

fn jpeg(w: u16, h: u16, comment: Option<&[u8]>, orientation: Option<u16>) -> Vec<u8> {
    let mut j = vec![0xFF, 0xD8];
    j.extend_from_slice(&[0xFF, 0xE0, 0, 16]);
    j.extend_from_slice(b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
    if let Some(o) = orientation {
        let mut tiff = b"II\x2a\x00\x08\x00\x00\x00".to_vec();
        tiff.extend_from_slice(&1u16.to_le_bytes());
        tiff.extend_from_slice(&0x0112u16.to_le_bytes());
        tiff.extend_from_slice(&3u16.to_le_bytes());
        tiff.extend_from_slice(&1u32.to_le_bytes());
        tiff.extend_from_slice(&o.to_le_bytes());
        tiff.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
        let mut body = b"Exif\0\0".to_vec();
        body.extend_from_slice(&tiff);
        j.extend_from_slice(&[0xFF, 0xE1]);
        j.extend_from_slice(&((body.len() + 2) as u16).to_be_bytes());
        j.extend_from_slice(&body);
    }
    if let Some(c) = comment {
        j.extend_from_slice(&[0xFF, 0xFE]);
        j.extend_from_slice(&((c.len() + 2) as u16).to_be_bytes());
        j.extend_from_slice(c);
    }
    j.extend_from_slice(&[0xFF, 0xC0, 0, 17, 8]);
    j.extend_from_slice(&h.to_be_bytes());
    j.extend_from_slice(&w.to_be_bytes());
    j.extend_from_slice(&[3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
    j.extend_from_slice(&[0xFF, 0xDA, 0, 12, 3, 1, 0, 2, 0x11, 3, 0x11, 0, 0x3F, 0]);
    j.extend_from_slice(&[0x12, 0x34, 0x56, 0xFF, 0x00, 0x78]);
    j.extend_from_slice(&[0xFF, 0xD9]);
    j
}

fn riff(chunks: &[(&[u8; 4], Vec<u8>)]) -> Vec<u8> {
    let mut body = b"WEBP".to_vec();
    for (ty, data) in chunks {
        body.extend_from_slice(*ty);
        body.extend_from_slice(&(data.len() as u32).to_le_bytes());
        body.extend_from_slice(data);
        if data.len() % 2 == 1 {
            body.push(0);
        }
    }
    let mut out = b"RIFF".to_vec();
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&body);
    out
}

fn vp8(w: u16, h: u16) -> Vec<u8> {
    let mut d = vec![0x10, 0x02, 0x00, 0x9D, 0x01, 0x2A];
    d.extend_from_slice(&w.to_le_bytes());
    d.extend_from_slice(&h.to_le_bytes());
    d.extend_from_slice(&[0u8; 8]);
    d
}

fn vp8l(w: u32, h: u32) -> Vec<u8> {
    let bits = (w - 1) | ((h - 1) << 14);
    let mut d = vec![0x2F];
    d.extend_from_slice(&bits.to_le_bytes());
    d.extend_from_slice(&[0u8; 6]);
    d
}

fn vp8x(w: u32, h: u32, flags: u8) -> Vec<u8> {
    let mut d = vec![flags, 0, 0, 0];
    d.extend_from_slice(&(w - 1).to_le_bytes()[..3]);
    d.extend_from_slice(&(h - 1).to_le_bytes()[..3]);
    d
}

fn tiff(w: u16, h: u16) -> Vec<u8> {
    let mut t = b"II\x2a\x00\x08\x00\x00\x00".to_vec();
    t.extend_from_slice(&3u16.to_le_bytes());
    for (tag, v) in [(256u16, w), (257, h), (258, 8)] {
        t.extend_from_slice(&tag.to_le_bytes());
        t.extend_from_slice(&3u16.to_le_bytes());
        t.extend_from_slice(&1u32.to_le_bytes());
        t.extend_from_slice(&v.to_le_bytes());
        t.extend_from_slice(&[0, 0]);
    }
    t.extend_from_slice(&[0, 0, 0, 0]);
    t.extend_from_slice(&[0u8; 64]);
    t
}

fn bmp(w: i32, h: i32) -> Vec<u8> {
    let mut b = b"BM".to_vec();
    b.extend_from_slice(&[0u8; 12]);
    b.extend_from_slice(&40u32.to_le_bytes());
    b.extend_from_slice(&w.to_le_bytes());
    b.extend_from_slice(&h.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&24u16.to_le_bytes());
    b.extend_from_slice(&[0u8; 24]);
    b.extend_from_slice(&vec![0u8; (w.unsigned_abs() * 3 * h.unsigned_abs()) as usize]);
    b
}

fn pdf() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n\
2 0 obj\n<< /Type /Pages /Kids [3 0 R 4 0 R 5 0 R] /Count 3 /MediaBox [0 0 612 792] >>\nendobj\n\
3 0 obj\n<< /Type /Page /Parent 2 0 R >>\nendobj\n\
4 0 obj\n<< /Type /Page /Parent 2 0 R >>\nendobj\n\
5 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 100 50] >>\nendobj\n\
trailer\n<< /Root 1 0 R >>\n%%EOF\n"
        .to_vec()
}

fn zip() -> Vec<u8> {
    // one stored file "a.txt" with content "hi"
    let mut z = Vec::new();
    let name = b"a.txt";
    let data = b"hi";
    let crc = crc32(data);
    z.extend_from_slice(b"PK\x03\x04\x0a\x00\x00\x00\x00\x00\x00\x00\x00\x00");
    z.extend_from_slice(&crc.to_le_bytes());
    z.extend_from_slice(&2u32.to_le_bytes());
    z.extend_from_slice(&2u32.to_le_bytes());
    z.extend_from_slice(&(name.len() as u16).to_le_bytes());
    z.extend_from_slice(&0u16.to_le_bytes());
    z.extend_from_slice(name);
    z.extend_from_slice(data);
    let cd_start = z.len() as u32;
    z.extend_from_slice(b"PK\x01\x02\x14\x00\x0a\x00\x00\x00\x00\x00\x00\x00\x00\x00");
    z.extend_from_slice(&crc.to_le_bytes());
    z.extend_from_slice(&2u32.to_le_bytes());
    z.extend_from_slice(&2u32.to_le_bytes());
    z.extend_from_slice(&(name.len() as u16).to_le_bytes());
    z.extend_from_slice(&[0u8; 12]);
    z.extend_from_slice(&0u32.to_le_bytes());
    z.extend_from_slice(name);
    let cd_len = z.len() as u32 - cd_start;
    z.extend_from_slice(b"PK\x05\x06\x00\x00\x00\x00\x01\x00\x01\x00");
    z.extend_from_slice(&cd_len.to_le_bytes());
    z.extend_from_slice(&cd_start.to_le_bytes());
    z.extend_from_slice(&0u16.to_le_bytes());
    z
}

/// Deterministic pseudo-random bytes (xorshift), never starting with a known signature.
fn random_bytes(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    let mut v: Vec<u8> = (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect();
    if let Some(first) = v.first_mut() {
        *first = 0x9A; // not a magic-number start, not 0 (WBMP)
    }
    v
}

const SVG_NS: &str = "xmlns=\"http://www.w3.org/2000/svg\"";

fn svg(body: &str) -> Vec<u8> {
    format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg {SVG_NS} width=\"10\" height=\"10\">{body}</svg>\n").into_bytes()
}

/// An SVG whose payload sits after the first KiB, so only the SVG scan can see it.
fn svg_late(body: &str) -> Vec<u8> {
    svg(&format!("<!--{}-->{body}", "x".repeat(1100)))
}

fn svg_details(body: &str) -> Vec<String> {
    details(&svg_late(body), "svg")
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

// ---------------------------------------------------------------------------------------
// detection, size and metadata
// ---------------------------------------------------------------------------------------

#[test]
fn png_like_mediawiki() {
    let i = analyze_bytes(&png(16, 16, &[]));
    assert_eq!((i.mime.as_str(), i.media_type), ("image/png", "BITMAP"));
    assert_eq!((i.width, i.height, i.bitdepth, i.page_count), (16, 16, 8, None));
    // byte-exact metadata of refwiki transcript 12
    assert_eq!(
        serde_json::to_string(&meta_json(&i)).unwrap_or_default(),
        r#"[{"name":"frameCount","value":0},{"name":"loopCount","value":1},{"name":"duration","value":0},{"name":"bitDepth","value":8},{"name":"colorType","value":"truecolour"},{"name":"metadata","value":[{"name":"_MW_PNG_VERSION","value":1}]}]"#
    );
    assert_eq!(i.for_extension("png"), i);
}

#[test]
fn png_text_chunks_and_apng() {
    let mut phys = Vec::new();
    phys.extend_from_slice(&2835u32.to_be_bytes());
    phys.extend_from_slice(&2835u32.to_be_bytes());
    phys.push(1);
    let mut actl = 2u32.to_be_bytes().to_vec();
    actl.extend_from_slice(&0u32.to_be_bytes());
    let mut fctl = vec![0u8; 20];
    fctl.extend_from_slice(&[0, 1, 0, 4, 0, 0]); // 1/4 s
    let p = png(
        3,
        2,
        &[
            (b"tEXt", b"Title\0Caf\xe9".to_vec()),
            (b"tEXt", b"Unknown\0ignored".to_vec()),
            (b"pHYs", phys),
            (b"acTL", actl),
            (b"fcTL", fctl.clone()),
            (b"fcTL", fctl),
        ],
    );
    let i = analyze_bytes(&p);
    assert_eq!((i.width, i.height), (3, 2));
    assert_eq!(
        meta_json(&i),
        json!([
            {"name": "frameCount", "value": 2},
            {"name": "loopCount", "value": 0},
            {"name": "duration", "value": 0.5},
            {"name": "bitDepth", "value": 8},
            {"name": "colorType", "value": "truecolour"},
            {"name": "metadata", "value": [
                {"name": "ObjectName", "value": [
                    {"name": "x-default", "value": "Café"},
                    {"name": "_type", "value": "lang"}
                ]},
                {"name": "XResolution", "value": "2835/100"},
                {"name": "YResolution", "value": "2835/100"},
                {"name": "ResolutionUnit", "value": 3},
                {"name": "_MW_PNG_VERSION", "value": 1}
            ]}
        ])
    );
}

#[test]
fn gif_like_mediawiki() {
    let i = analyze_bytes(&gif(5, 7, Some("hello"), Some(0)));
    assert_eq!((i.mime.as_str(), i.media_type), ("image/gif", "BITMAP"));
    assert_eq!((i.width, i.height, i.bitdepth), (5, 7, 1));
    assert_eq!(
        meta_json(&i),
        json!([
            {"name": "frameCount", "value": 2},
            {"name": "looped", "value": true},
            {"name": "duration", "value": 0.2},
            {"name": "metadata", "value": [
                {"name": "GIFFileComment", "value": [{"name": 0, "value": "hello"}]},
                {"name": "_MW_GIF_VERSION", "value": 1}
            ]}
        ])
    );
}

#[test]
fn jpeg_like_mediawiki() {
    let i = analyze_bytes(&jpeg(40, 30, None, None));
    assert_eq!((i.mime.as_str(), i.media_type), ("image/jpeg", "BITMAP"));
    assert_eq!((i.width, i.height, i.bitdepth), (40, 30, 8));
    assert_eq!(meta_json(&i), json!([{"name": "MEDIAWIKI_EXIF_VERSION", "value": 2}]));

    let i = analyze_bytes(&jpeg(40, 30, Some(b"  a comment "), Some(6)));
    assert_eq!((i.width, i.height), (30, 40), "EXIF orientation 6 swaps the size");
    assert_eq!(
        meta_json(&i),
        json!([
            {"name": "Orientation", "value": 6},
            {"name": "JPEGFileComment", "value": [{"name": 0, "value": "a comment"}]},
            {"name": "MEDIAWIKI_EXIF_VERSION", "value": 2}
        ])
    );
}

#[test]
fn webp_variants() {
    let i = analyze_bytes(&riff(&[(b"VP8 ", vp8(300, 200))]));
    assert_eq!(
        (i.mime.as_str(), i.media_type, i.width, i.height, i.bitdepth),
        ("image/webp", "BITMAP", 300, 200, 0)
    );
    assert_eq!(
        meta_json(&i),
        json!([
            {"name": "compression", "value": "lossy"},
            {"name": "width", "value": 300},
            {"name": "height", "value": 200},
            {"name": "metadata", "value": [{"name": "_MW_WEBP_VERSION", "value": 1}]}
        ])
    );
    let i = analyze_bytes(&riff(&[(b"VP8L", vp8l(17, 9))]));
    assert_eq!((i.mime.as_str(), i.width, i.height), ("image/webp", 17, 9));
    let i = analyze_bytes(&riff(&[(b"VP8X", vp8x(640, 480, 0x12)), (b"VP8 ", vp8(640, 480))]));
    assert_eq!((i.width, i.height), (640, 480));
    assert_eq!(i.metadata[0], ("compression".to_string(), json!("lossy")));
    assert_eq!(i.metadata[1], ("animated".to_string(), json!(true)));
    assert_eq!(i.metadata[2], ("transparency".to_string(), json!(true)));
}

#[test]
fn tiff_bmp_pdf() {
    let i = analyze_bytes(&tiff(33, 44));
    assert_eq!((i.mime.as_str(), i.media_type, i.width, i.height), ("image/tiff", "BITMAP", 33, 44));
    let i = analyze_bytes(&bmp(7, -3));
    assert_eq!(
        (i.mime.as_str(), i.media_type, i.width, i.height, i.bitdepth),
        ("image/x-bmp", "BITMAP", 7, 3, 24)
    );
    let i = analyze_bytes(&pdf());
    assert_eq!((i.mime.as_str(), i.media_type), ("application/pdf", "OFFICE"));
    assert_eq!((i.page_count, i.width, i.height), (Some(3), 612, 792));
    assert_eq!(i.metadata_json(), Value::Null);
}

#[test]
fn svg_sizes_and_metadata() {
    // refwiki transcript 53, byte for byte
    let ok = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"><rect width=\"10\" height=\"10\" fill=\"#a1b2c3\"/></svg>\n";
    let i = analyze_bytes(ok);
    assert_eq!(
        (i.mime.as_str(), i.media_type, i.width, i.height, i.bitdepth),
        ("image/svg+xml", "DRAWING", 10, 10, 0)
    );
    assert_eq!(
        serde_json::to_string(&meta_json(&i)).unwrap_or_default(),
        r#"[{"name":"version","value":2},{"name":"width","value":10},{"name":"height","value":10},{"name":"originalWidth","value":"10"},{"name":"originalHeight","value":"10"},{"name":"translations","value":[]}]"#
    );
    assert_eq!(verify_bytes(ok, "svg"), Ok(()));

    let dims = |attrs: &str| {
        let i = analyze_bytes(format!("<svg {SVG_NS} {attrs}/>").as_bytes());
        (i.width, i.height)
    };
    assert_eq!(dims(""), (512, 512));
    assert_eq!(dims("viewBox=\"0 0 100 50\""), (512, 256));
    assert_eq!(dims("viewBox=\"0,0,100,50\" width=\"200\""), (200, 100));
    assert_eq!(dims("width=\"2in\" height=\"1cm\""), (180, 35));
    assert_eq!(dims("width=\"50%\" viewBox=\"0 0 10 20\""), (256, 512));
    assert_eq!(dims("height=\"30pt\""), (38, 38));

    let i = analyze_bytes(
        format!("<svg {SVG_NS}><title> T </title><desc>D</desc><g><text systemLanguage=\"de-AT, fr\">x</text><animate/></g></svg>")
            .as_bytes(),
    );
    assert_eq!(
        meta_json(&i),
        json!([
            {"name": "version", "value": 2},
            {"name": "width", "value": 512},
            {"name": "height", "value": 512},
            {"name": "originalWidth", "value": "100%"},
            {"name": "originalHeight", "value": "100%"},
            {"name": "title", "value": "T"},
            {"name": "description", "value": "D"},
            {"name": "animated", "value": true},
            {"name": "translations", "value": [
                {"name": "de-AT", "value": 1}, {"name": "fr", "value": 1}, {"name": "de", "value": 2}
            ]}
        ])
    );
}

#[test]
fn text_zip_random_and_empty() {
    let i = analyze_bytes(b"hello world, this is plain text\nsecond line\n");
    assert_eq!((i.mime.as_str(), i.media_type, i.width, i.height), ("text/plain", "TEXT", 0, 0));
    assert_eq!(i.metadata_json(), Value::Null);

    let i = analyze_bytes(&zip());
    assert_eq!((i.mime.as_str(), i.media_type), ("application/zip", "ARCHIVE"));

    // transcripts 41/45/51: random bytes are "unknown/unknown" (application/octet-stream is
    // an alias of it in MediaWiki's MimeMap); named .txt they become text/plain (TEXT)
    let r = random_bytes(2048, 42);
    let i = analyze_bytes(&r);
    assert_eq!((i.mime.as_str(), i.media_type), ("unknown/unknown", "UNKNOWN"));
    let t = i.for_extension("txt");
    assert_eq!((t.mime.as_str(), t.media_type), ("text/plain", "TEXT"));
    assert_eq!(canonical_extension(&i.mime), None, "no extension can be guessed (filetype-missing)");
    assert_eq!(canonical_extension(&analyze_bytes(&png(1, 1, &[])).mime), Some("png"));

    let i = analyze_bytes(b"");
    assert_eq!((i.mime.as_str(), i.media_type), ("unknown/unknown", "UNKNOWN"));
}

#[test]
fn other_magic_numbers() {
    assert_eq!(analyze_bytes(b"OggS\0\x02....vorbis....").media_type, "AUDIO");
    // MediaWiki's alias table maps audio/mpeg -> audio/mp3 for the content type and back
    // to audio/mpeg when the extension is applied
    let mp3 = analyze_bytes(b"ID3\x03\0\0\0\0\0\0");
    assert_eq!(
        (mp3.mime.as_str(), mp3.for_extension("mp3").mime.as_str()),
        ("audio/mp3", "audio/mpeg")
    );
    assert_eq!(mp3.for_extension("mp3").media_type, "AUDIO");
    assert_eq!(analyze_bytes(b"MZ\x90\0\x03\0\0\0").mime, "unknown/unknown");
    assert_eq!(analyze_bytes(b"#!/bin/sh\necho hi\n").mime, "application/x-sh");
    assert_eq!(analyze_bytes(b"solid x\n facet\nendsolid x\n").mime, "application/sla");
    assert_eq!(analyze_bytes(b"solid x\n facet\nendsolid x\n").media_type, "3D");
    assert_eq!(analyze_bytes(b"<root><a/></root>").mime, "application/xml");
    assert_eq!(analyze_bytes(b"<html xmlns=\"http://www.w3.org/1999/xhtml\"/>").mime, "text/html");
    assert_eq!(analyze_bytes(b"x <?php echo 1; ?>").mime, "application/x-php");
}

// ---------------------------------------------------------------------------------------
// verification: MIME vs. extension (spec §5.1)
// ---------------------------------------------------------------------------------------

#[test]
fn mime_mismatch_cases() {
    let p = png(16, 16, &[]);
    let r = verify_bytes(&p, "jpg").expect_err("png named .jpg");
    assert_eq!(r.details, s(&["filetype-mime-mismatch", "jpg", "image/png"]));
    assert_eq!(
        r.info,
        "File extension \".jpg\" does not match the detected MIME type of the file (image/png)."
    );
    assert_eq!(details(&p, "gif"), s(&["filetype-mime-mismatch", "gif", "image/png"]));
    assert_eq!(details(&p, "exe"), s(&["filetype-mime-mismatch", "exe", "image/png"]));
    assert_eq!(details(&p, "JPG"), s(&["filetype-mime-mismatch", "JPG", "image/png"]));
    assert_eq!(verify_bytes(&p, "png"), Ok(()));
    assert_eq!(verify_bytes(&p, "PNG"), Ok(()));
    assert_eq!(verify_bytes(&p, ""), Ok(()), "no extension: checked later by the name rules");

    let j = jpeg(8, 8, None, None);
    assert_eq!(details(&j, "png"), s(&["filetype-mime-mismatch", "png", "image/jpeg"]));
    for ext in ["jpg", "jpeg", "JPEG", "jpe"] {
        assert_eq!(verify_bytes(&j, ext), Ok(()), "{ext}");
    }
    assert_eq!(verify_bytes(&gif(2, 2, None, None), "gif"), Ok(()));
    assert_eq!(verify_bytes(&riff(&[(b"VP8 ", vp8(3, 3))]), "webp"), Ok(()));
    assert_eq!(verify_bytes(&tiff(3, 3), "tif"), Ok(()));
    assert_eq!(verify_bytes(&pdf(), "pdf"), Ok(()));
    assert_eq!(verify_bytes(&zip(), "zip"), Ok(()));

    let r = random_bytes(4096, 7);
    assert_eq!(details(&r, "jpg"), s(&["filetype-mime-mismatch", "jpg", "unknown/unknown"]));
    assert_eq!(details(&r, "png"), s(&["filetype-mime-mismatch", "png", "unknown/unknown"]));
    assert_eq!(verify_bytes(&r, "exe"), Ok(()), "transcript 41: reaches filetype-banned");
    assert_eq!(verify_bytes(&r, "txt"), Ok(()), "transcript 51");

    let text = b"just some text\n";
    assert_eq!(details(text, "png"), s(&["filetype-mime-mismatch", "png", "text/plain"]));
    assert_eq!(verify_bytes(text, "txt"), Ok(()));
    assert_eq!(details(&zip(), "png"), s(&["filetype-mime-mismatch", "png", "application/zip"]));
}

#[test]
fn badmime_and_config() {
    assert_eq!(details(b"<root/>", "xml"), s(&["filetype-badmime", "application/xml"]));
    assert_eq!(
        details(b"<?php system($_GET['x']); ?>", "txt"),
        s(&["filetype-badmime", "application/x-php"])
    );
    assert_eq!(
        details(b"<!DOCTYPE html>\n<html><body>hi</body></html>", "txt"),
        s(&["filetype-badmime", "text/html"])
    );
    let r = verify_bytes(b"<root/>", "xml").expect_err("badmime");
    assert_eq!(r.info, "Files of the MIME type \"application/xml\" are not allowed to be uploaded.");

    // with $wgVerifyMimeType off, neither exclusions nor the extension check apply
    let t = Tmp::new();
    let p = t.file(&png(2, 2, &[]));
    let info = analyze(&p).expect("analyze");
    let cfg = VerifyConfig {
        verify_mime_type: false,
        ..VerifyConfig::default()
    };
    assert_eq!(verify_content(&p, &info, "jpg", &cfg), Ok(()));
}

// ---------------------------------------------------------------------------------------
// verification: script sniffing (spec §5.3)
// ---------------------------------------------------------------------------------------

#[test]
fn script_sniffing() {
    // A PNG whose first 256 bytes hold <script: Internet Explorer 5 and 6 would sniff HTML, and
    // verifyMimeType runs before detectScript (tests/fixtures/refwiki-verification.json).
    let p = png(4, 4, &[(b"tEXt", b"Comment\0<script>alert(1)</script>".to_vec())]);
    let r = verify_bytes(&p, "png").expect_err("scripted png");
    assert_eq!(r.details, s(&["filetype-bad-ie-mime", "text/html"]));
    assert_eq!(
        r.info,
        "Cannot upload this file because Internet Explorer would detect it as \"text/html\", which is a disallowed and potentially dangerous file type."
    );
    // spec §17 item 37: further in, but in the first KiB: detectScript's uploadscripted.
    let p = png(
        4,
        4,
        &[(b"tEXt", [b"Comment\0".to_vec(), vec![b'a'; 400], b"<script>".to_vec()].concat())],
    );
    let r = verify_bytes(&p, "png").expect_err("scripted png");
    assert_eq!(r.details, s(&["uploadscripted"]));
    assert_eq!(
        r.info,
        "This file contains HTML or script code that may be erroneously interpreted by a web browser."
    );
    // ... but only the first KiB of a binary file is looked at
    let late = png(
        4,
        4,
        &[(b"tEXt", [b"Comment\0".to_vec(), vec![b'a'; 1200], b"<script>".to_vec()].concat())],
    );
    assert_eq!(verify_bytes(&late, "png"), Ok(()));
    // disabled script checks
    let t = Tmp::new();
    let f = t.file(&p);
    let info = analyze(&f).expect("analyze");
    let cfg = VerifyConfig {
        disable_script_checks: true,
        ..VerifyConfig::default()
    };
    assert_eq!(verify_content(&f, &info, "png", &cfg), Ok(()));

    assert_eq!(details(&jpeg(4, 4, Some(b"<HTML>"), None), "jpg"), s(&["uploadscripted"]));
    assert_eq!(details(&gif(2, 2, Some("x <body onload=y>"), None), "gif"), s(&["uploadscripted"]));

    // text files are inspected completely
    let mut long = vec![b'a'; 3 << 20];
    long.extend_from_slice(b" style=\"background:url( 'javascript:alert(1)')\"\n");
    assert_eq!(details(&long, "txt"), s(&["uploadscripted"]));
    assert_eq!(
        details(b"x <img src=&#106;avascript:alert(1)>", "txt"),
        s(&["filetype-bad-ie-mime", "text/html"])
    );
    assert_eq!(details(b"<xmp src=&#106;avascript:alert(1)>", "txt"), s(&["uploadscripted"]));
    assert_eq!(details(b"x type = 'text/ecmascript' y", "txt"), s(&["uploadscripted"]));

    // UTF-16 (both byte orders) is folded to ASCII first; UTF-32 too
    let text = "hello <script>alert(1)</script>";
    let mut le = vec![0xFF, 0xFE];
    let mut be = vec![0xFE, 0xFF];
    let mut le32 = vec![0xFF, 0xFE, 0, 0];
    for u in text.encode_utf16() {
        le.extend_from_slice(&u.to_le_bytes());
        be.extend_from_slice(&u.to_be_bytes());
    }
    for c in text.chars() {
        le32.extend_from_slice(&u32::from(c).to_le_bytes());
    }
    assert_eq!(details(&le, "txt"), s(&["uploadscripted"]));
    assert_eq!(details(&be, "txt"), s(&["uploadscripted"]));
    assert_eq!(details(&le32, "txt"), s(&["uploadscripted"]));
    let mut le_ok = vec![0xFF, 0xFE];
    for u in "just text".encode_utf16() {
        le_ok.extend_from_slice(&u.to_le_bytes());
    }
    assert_eq!(verify_bytes(&le_ok, "txt"), Ok(()));
}

// ---------------------------------------------------------------------------------------
// verification: SVG (spec §5.4)
// ---------------------------------------------------------------------------------------

#[test]
fn svg_script_in_first_kib_is_uploadscripted() {
    // refwiki transcript 54
    let bad = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"><script>alert(1)</script></svg>\n";
    assert_eq!(details(bad, "svg"), s(&["uploadscripted"]));
}

#[test]
fn svg_rejection_classes() {
    let xlink = "xmlns:xlink=\"http://www.w3.org/1999/xlink\"";
    let cases: Vec<(String, Vec<String>)> = vec![
        (
            "<svg:script xmlns:svg=\"http://www.w3.org/2000/svg\">alert(1)</svg:script>".to_string(),
            s(&["uploaded-script-svg", "script"]),
        ),
        (
            "<handler xmlns:ev=\"http://www.w3.org/2001/xml-events\" ev:event=\"load\">alert(1)</handler>".into(),
            s(&["uploaded-script-svg", "handler"]),
        ),
        ("<g><iframe/></g>".into(), s(&["uploaded-script-svg", "iframe"])),
        (
            "<rect onload=\"alert(1)\"/>".into(),
            s(&["uploaded-event-handler-on-svg", "onload", "alert(1)"]),
        ),
        (
            "<image href=\"http://evil.example/x.svg\"/>".into(),
            s(&["uploaded-href-attribute-svg", "image", "href", "http://evil.example/x.svg"]),
        ),
        (
            format!("<g {xlink}><image xlink:href=\"../x.svg\"/></g>"),
            s(&[
                "uploaded-href-attribute-svg",
                "image",
                "http://www.w3.org/1999/xlink:href",
                "../x.svg",
            ]),
        ),
        (
            "<image href=\"data:image/svg+xml;base64,PHN2Zz4=\"/>".into(),
            s(&[
                "uploaded-href-unsafe-target-svg",
                "image",
                "href",
                "data:image/svg+xml;base64,phn2zz4=",
            ]),
        ),
        (
            "<animate attributeName=\"xlink:href\" from=\"#a\" to=\"#b\"/>".into(),
            s(&["uploaded-animate-svg", "animate", "attributeName", "xlink:href"]),
        ),
        (
            "<set attributeName=\"onmouseover\" to=\"alert(1)\"/>".into(),
            s(&["uploaded-setting-event-handler-svg", "set", "attributename", "onmouseover"]),
        ),
        (
            "<set attributeName=\"xlink:href\" to=\"#a\"/>".into(),
            s(&["uploaded-setting-href-svg"]),
        ),
        (
            "<set attributeName=\"fill\" to=\"url(http://evil/)\"/>".into(),
            s(&["uploaded-wrong-setting-svg", "url(http://evil/)"]),
        ),
        (
            "<g handler=\"http://evil/h.js\"/>".into(),
            s(&["uploaded-setting-handler-svg", "handler", "http://evil/h.js"]),
        ),
        (
            "<rect style=\"fill:url(http://evil/a.png)\"/>".into(),
            s(&["uploaded-remote-url-svg", "style", "fill:url(http://evil/a.png)"]),
        ),
        (
            "<rect style=\"fill:u\\72l(http://evil/a.png)\"/>".into(),
            s(&["uploaded-remote-url-svg", "style", "fill:u\\72l(http://evil/a.png)"]),
        ),
        (
            "<rect fill=\"url('http://evil/a.png')\"/>".into(),
            s(&["uploaded-remote-url-svg", "fill", "url('http://evil/a.png')"]),
        ),
        (
            "<image filter=\"url( #f)\" href=\"#a\"/>".into(),
            s(&["uploaded-image-filter-svg", "image", "filter", "url( #f)"]),
        ),
        (
            "<style>@import url(http://evil/x.css);</style>".into(),
            s(&["uploaded-hostile-svg"]),
        ),
        (
            "<style>rect { fill: url(\"http://evil/x.png\") }</style>".into(),
            s(&["uploaded-hostile-svg"]),
        ),
        (
            "<h:div xmlns:h=\"http://www.w3.org/1999/xhtml\">x</h:div>".into(),
            s(&["uploadscriptednamespace", "http://www.w3.org/1999/xhtml"]),
        ),
        ("<foo:bar>x</foo:bar>".into(), s(&["uploadscriptednamespace", "foo"])),
    ];
    for (body, want) in cases {
        assert_eq!(svg_details(&body), want, "body: {body}");
    }
}

#[test]
fn svg_prolog_checks_and_benign_files() {
    let pad = "x".repeat(1100);
    let pi = format!("<?xml version=\"1.0\"?>\n<!--{pad}--><?xml-stylesheet href=\"x.css\"?><svg {SVG_NS}/>");
    assert_eq!(details(pi.as_bytes(), "svg"), s(&["upload-scripted-pi-callback"]));
    let dtd = format!("<?xml version=\"1.0\"?>\n<!DOCTYPE svg SYSTEM \"http://evil/x.dtd\"><svg {SVG_NS}/>");
    assert_eq!(details(dtd.as_bytes(), "svg"), s(&["upload-scripted-dtd"]));
    let good_dtd = format!(
        "<?xml version=\"1.0\"?>\n<!DOCTYPE svg PUBLIC \"-//W3C//DTD SVG 1.1//EN\" \"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd\"><svg {SVG_NS}/>"
    );
    assert_eq!(verify_bytes(good_dtd.as_bytes(), "svg"), Ok(()));
    // an entity that smuggles markup is expanded like libxml2 does
    let ent =
        format!("<?xml version=\"1.0\"?>\n<!--{pad}--><!DOCTYPE svg [<!ENTITY e \"<script>alert(1)</script>\">]><svg {SVG_NS}>&e;</svg>");
    assert_eq!(details(ent.as_bytes(), "svg"), s(&["uploaded-script-svg", "script"]));
    let ent_attr =
        format!("<?xml version=\"1.0\"?>\n<!DOCTYPE svg [<!ENTITY h \"http://evil/x\">]><svg {SVG_NS}><image href=\"&h;\"/></svg>");
    assert_eq!(
        details(ent_attr.as_bytes(), "svg"),
        s(&["uploaded-href-attribute-svg", "image", "href", "http://evil/x"])
    );
    let unsafe_dtd = format!("<!DOCTYPE svg [<!ENTITY % p SYSTEM \"http://evil/\">]><svg {SVG_NS}/>");
    assert_eq!(details(unsafe_dtd.as_bytes(), "svg"), s(&["uploadinvalidxml"]));

    // not well-formed
    assert_eq!(
        details(format!("<svg {SVG_NS}><g></svg>").as_bytes(), "svg"),
        s(&["uploadinvalidxml"])
    );
    let r = verify_bytes(format!("<svg {SVG_NS}><g></svg>").as_bytes(), "svg").expect_err("bad xml");
    assert_eq!(r.info, "The XML in the uploaded file could not be parsed.");

    // suspicious XML encodings
    let enc = format!("<?xml version=\"1.0\" encoding=\"UTF-7\"?><svg {SVG_NS}/>");
    assert_eq!(details(enc.as_bytes(), "svg"), s(&["uploadscripted"]));

    // UTF-16 SVG with a script element beyond the first KiB
    let text = format!("<?xml version=\"1.0\" encoding=\"UTF-16\"?><svg {SVG_NS}><!--{pad}--><script>x</script></svg>");
    let mut le = vec![0xFF, 0xFE];
    for u in text.encode_utf16() {
        le.extend_from_slice(&u.to_le_bytes());
    }
    assert_eq!(analyze_bytes(&le).mime, "image/svg+xml");
    assert_eq!(details(&le, "svg"), s(&["uploaded-script-svg", "script"]));

    // benign vectors pass
    let xlink = "xmlns:xlink=\"http://www.w3.org/1999/xlink\"";
    for body in [
        format!("<g {xlink}><image xlink:href=\"data:image/png;base64,iVBORw0KGgo=\"/></g>"),
        "<image href='data:image/jpeg;charset=\"x\";base64,AAAA'/>".into(),
        "<use href=\"#shape\"/>".into(),
        "<a href=\"https://example.org/\"><text>x</text></a>".into(),
        "<rect fill=\"url(#grad)\" style=\"stroke:url('#g2')\"/>".into(),
        "<style>rect { fill: url(#g) } @font-face { font-family: x; src:url(\"data:;base64,AAAA\") }</style>".into(),
        "<style>/* é ü */ rect { font-family: 'Ünïcödé'; fill: url(#g) }</style><text style=\"font-family:'Ärial'\">ö</text>".into(),
        "<g inkscape:label=\"on\" xmlns:inkscape=\"http://www.inkscape.org/namespaces/inkscape\"/>".into(),
        "<metadata><rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"/></metadata>".into(),
    ] {
        assert_eq!(verify_bytes(&svg_late(&body), "svg"), Ok(()), "body: {body}");
    }
}

// ---------------------------------------------------------------------------------------
// hostile, truncated and large inputs
// ---------------------------------------------------------------------------------------

#[test]
fn corrupt_images_are_rejected_not_panicking() {
    let p = png(8, 8, &[]);
    let truncated = &p[..p.len() - 20];
    let i = analyze_bytes(truncated);
    assert_eq!((i.mime.as_str(), i.width, i.height), ("image/png", 0, 0));
    assert_eq!(meta_json(&i), json!([{"name": "_error", "value": "0"}]));
    // Damaged but recognised images are accepted as 0×0, as MediaWiki accepts them
    // (tests/fixtures/refwiki-verification.json).
    assert_eq!(verify_bytes(truncated, "png"), Ok(()));
    assert_eq!(verify_bytes(b"\xFF\xD8\xFF\xE0\x00\x10JFIF", "jpg"), Ok(()));
    assert_eq!(verify_bytes(b"GIF89a\x01", "gif"), Ok(()));
    // A bare signature is not a PNG for getimagesize or libmagic: the extension mismatches.
    assert_eq!(
        details(b"\x89PNG\r\n\x1a\n", "png"),
        s(&["filetype-mime-mismatch", "png", "unknown/unknown"])
    );
    // a huge declared chunk must not allocate
    let mut huge = b"\x89PNG\r\n\x1a\n".to_vec();
    huge.extend_from_slice(&0xFFFF_FFF0u32.to_be_bytes());
    huge.extend_from_slice(b"IHDR");
    huge.extend_from_slice(&[0u8; 32]);
    assert_eq!(analyze_bytes(&huge).width, 0);
}

#[test]
fn fuzzed_inputs_never_panic() {
    let samples: Vec<(Vec<u8>, &str)> = vec![
        (
            png(
                3,
                3,
                &[(b"tEXt", b"Title\0x".to_vec()), (b"iTXt", b"Title\0\0\0en\0T\0text".to_vec())],
            ),
            "png",
        ),
        (gif(3, 3, Some("c"), Some(2)), "gif"),
        (jpeg(3, 3, Some(b"c"), Some(8)), "jpg"),
        (riff(&[(b"VP8X", vp8x(3, 3, 2)), (b"VP8L", vp8l(3, 3))]), "webp"),
        (tiff(3, 3), "tif"),
        (bmp(2, 2), "bmp"),
        (pdf(), "pdf"),
        (zip(), "zip"),
        (svg_late("<style>a{}</style><rect style=\"fill:red\"/>"), "svg"),
        (
            b"<!DOCTYPE svg [<!ENTITY a \"&b;\"><!ENTITY b \"x\">]><svg xmlns=\"http://www.w3.org/2000/svg\">&a;</svg>".to_vec(),
            "svg",
        ),
    ];
    let t = Tmp::new();
    let cfg = VerifyConfig::default();
    let mut seed = 12345u64;
    for (sample, ext) in &samples {
        let mut variants: Vec<Vec<u8>> = Vec::new();
        let step = (sample.len() / 40).max(1);
        for cut in (0..sample.len()).step_by(step) {
            variants.push(sample[..cut].to_vec());
        }
        for _ in 0..30 {
            let mut v = sample.clone();
            for _ in 0..4 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let pos = (seed as usize) % v.len().max(1);
                if let Some(b) = v.get_mut(pos) {
                    *b = (seed >> 32) as u8;
                }
            }
            variants.push(v);
        }
        for v in variants {
            let p = t.file(&v);
            let info = analyze(&p).expect("analyze must not fail on hostile bytes");
            let _ = verify_content(&p, &info, ext, &cfg);
            let _ = info.for_extension(ext);
        }
    }
    // pathological structures (must also finish quickly)
    let started = std::time::Instant::now();
    let nested = format!("<svg {SVG_NS}>{}{}</svg>", "<g>".repeat(100_000), "</g>".repeat(100_000));
    assert_eq!(details(nested.as_bytes(), "svg"), s(&["uploadinvalidxml"]));
    let billion = "<!DOCTYPE svg [<!ENTITY a \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]>";
    let doc = format!("{billion}<svg {SVG_NS}>{}</svg>", "&b;".repeat(20_000));
    let _ = verify_bytes(doc.as_bytes(), "svg");
    assert!(started.elapsed().as_secs() < 20, "pathological inputs took {:?}", started.elapsed());
}

#[test]
fn large_sparse_files_are_not_read_completely() {
    let t = Tmp::new();
    let size: u64 = 200 << 20;
    let cases: Vec<(&[u8], &str, &str)> = vec![
        (b"", "unknown/unknown", "bin"),
        (
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x02\x00\x00\x00",
            "image/png",
            "png",
        ),
        (
            b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00",
            "image/jpeg",
            "jpg",
        ),
        (b"GIF89a\x10\x00\x10\x00\x00\x00\x00", "image/gif", "gif"),
        (b"%PDF-1.4\n", "application/pdf", "pdf"),
        (b"<svg xmlns=\"http://www.w3.org/2000/svg\">", "unknown/unknown", "svg"),
        (b"hello world\n", "unknown/unknown", "txt"),
    ];
    for (prefix, want, ext) in cases {
        let p = t.dir.path().join(format!("big.{ext}"));
        {
            let f = std::fs::File::create(&p).expect("create");
            f.set_len(size).expect("set_len");
            use std::io::Write;
            let mut f = f;
            f.write_all(prefix).expect("write");
        }
        let start = std::time::Instant::now();
        let info = analyze(&p).expect("analyze");
        let _ = verify_content(&p, &info, ext, &VerifyConfig::default());
        let elapsed = start.elapsed();
        assert_eq!(info.mime, want, "{ext}");
        assert!(elapsed.as_secs() < 60, "{ext}: took {elapsed:?}");
    }
}

#[test]
fn mime_map_api() {
    assert_eq!(canonical_extension("image/png"), Some("png"));
    assert_eq!(canonical_extension("image/webp"), Some("webp"));
    assert_eq!(extensions_for_mime("image/tiff"), &["tiff", "tif"]);
    assert_eq!(mimes_for_extension("svg"), &["image/svg+xml", "image/svg"]);
    assert_eq!(serving_mime_for_extension("svg"), "image/svg+xml");
    assert_eq!(serving_mime_for_extension("js"), "application/octet-stream");
}

#[test]
fn string_checks_never_panic_on_unicode() {
    let alphabet: Vec<&str> = vec![
        "url",
        "(",
        ")",
        "'",
        "\"",
        "#",
        "\\",
        "\\72",
        "/*",
        "*/",
        "@import",
        "é",
        "ü",
        "€",
        "😀",
        " ",
        "\n",
        "&",
        "&#106;",
        "&amp;",
        ";",
        "javascript:",
        "data:",
        "image/png",
        ",",
        "=",
        "<",
        ">",
        "on",
        "href",
        "expression",
        "-o-link",
        ":",
        "image-set",
        "\u{0}",
        "\u{7f}",
        "x",
    ];
    let mut seed = 99u64;
    for _ in 0..3000 {
        let mut s = String::new();
        for _ in 0..12 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            s.push_str(alphabet[(seed % alphabet.len() as u64) as usize]);
        }
        let _ = super::svg::check_css_fragment(&super::svg::normalize_css(&s));
        let _ = super::svg::decode_char_references(&s);
        let attrs = vec![
            ("style".to_string(), s.clone()),
            ("href".to_string(), s.clone()),
            ("fill".to_string(), s.clone()),
        ];
        let _ = super::svg::check_attributes("http://www.w3.org/2000/svg:image", &attrs);
        let _ = super::svg::scale_svg_unit(&s, 512.0);
        let _ = super::xml::parse_dtd(&s);
        let _ = super::xml::safe_internal_subset(&s);
    }
}

#[test]
fn editor_svgs_pass() {
    let inkscape = r##"<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<!-- Created with Inkscape (http://www.inkscape.org/) -->
<svg
   xmlns:dc="http://purl.org/dc/elements/1.1/"
   xmlns:cc="http://creativecommons.org/ns#"
   xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
   xmlns:svg="http://www.w3.org/2000/svg"
   xmlns="http://www.w3.org/2000/svg"
   xmlns:xlink="http://www.w3.org/1999/xlink"
   xmlns:sodipodi="http://sodipodi.sourceforge.net/dtd/sodipodi-0.dtd"
   xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape"
   width="210mm" height="297mm" viewBox="0 0 210 297" version="1.1" id="svg8"
   inkscape:version="0.92.4" sodipodi:docname="drawing.svg">
  <defs id="defs2"><linearGradient id="g"><stop offset="0" style="stop-color:#000000;stop-opacity:1"/></linearGradient></defs>
  <sodipodi:namedview id="base" pagecolor="#ffffff" inkscape:zoom="0.35"/>
  <metadata id="metadata5"><rdf:RDF><cc:Work rdf:about=""><dc:format>image/svg+xml</dc:format>
  <dc:type rdf:resource="http://purl.org/dc/dcmitype/StillImage"/><dc:title>T</dc:title></cc:Work></rdf:RDF></metadata>
  <g inkscape:label="Layer 1" inkscape:groupmode="layer" id="layer1">
    <rect style="fill:url(#g);stroke:#000000" width="50" height="40" x="10" y="10" xml:space="preserve"/>
    <use xlink:href="#layer1" x="5"/>
  </g>
</svg>
"##;
    let i = analyze_bytes(inkscape.as_bytes());
    assert_eq!((i.mime.as_str(), i.width, i.height), ("image/svg+xml", 744, 1052));
    assert!(
        i.metadata
            .iter()
            .any(|(k, v)| k == "metadata" && v.as_str().is_some_and(|m| m.starts_with("<rdf:RDF>")))
    );
    assert_eq!(verify_bytes(inkscape.as_bytes(), "svg"), Ok(()));

    let illustrator = r##"<?xml version="1.0" encoding="iso-8859-1"?>
<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd" [
	<!ENTITY ns_svg "http://www.w3.org/2000/svg">
	<!ENTITY ns_xlink "http://www.w3.org/1999/xlink">
]>
<svg version="1.1" xmlns="&ns_svg;" xmlns:xlink="&ns_xlink;" width="100" height="50" viewBox="0 0 100 50">
<text x="1" y="20">Caf"##;
    let mut bytes = illustrator.as_bytes().to_vec();
    bytes.extend_from_slice(b"\xe9</text>\n</svg>\n");
    let i = analyze_bytes(&bytes);
    assert_eq!((i.mime.as_str(), i.width, i.height), ("image/svg+xml", 100, 50), "{:?}", i.metadata);
    assert_eq!(verify_bytes(&bytes, "svg"), Ok(()));
}
