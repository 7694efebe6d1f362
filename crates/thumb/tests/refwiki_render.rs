//! Our rendered thumbnails against the ones MediaWiki 1.39 made with ImageMagick and rsvg
//! (`tests/fixtures/refwiki/`, downloaded by `scripts/record_thumbnails.py`) from the same
//! source files (`tests/fixtures/src/`).
//!
//! Sizes (and GIF frame counts) must be equal. Pixels are compared by the mean absolute
//! difference per channel (0-255) after compositing both images over white (alpha differences
//! count too, as a fourth channel). Why the threshold is 2.5:
//! - the pipelines differ in legitimate ways: ImageMagick's Lanczos/Mitchell and point
//!   pre-sampling vs fast_image_resize's filters, libjpeg's 3/8 DCT scale vs jpeg-decoder's 1/2,
//!   two JPEG encoders at quality 80 (30 for `qlow-`), two GIF palette quantisers, rsvg vs resvg
//!   anti-aliasing. On these test images that costs 0.0-0.5 for PNG, WebP and SVG, 0.8-1.7 for
//!   JPEG and 0.6-1.3 for GIF (the test prints every value);
//! - real mistakes cost more: a mirror image is above 40, upside down above 60, and the
//!   thumbnail shifted by 2 pixels above 4 (`mistakes_are_caught` renders those mistakes and
//!   checks each one fails).

use std::path::{Path, PathBuf};

use image::{AnimationDecoder, DynamicImage, RgbaImage};
use mwupload_thumb::{RenderLimits, SourceFile, ThumbConfig, ThumbError, Transform, UrlRequest, merge_thumb_params, render, thumb_info};
use serde_json::Value;

const MAX_MEAN_ABS_DIFF: f64 = 2.5;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn fixture() -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixtures().join("refwiki-thumbs.json")).expect("fixture")).expect("json")
}

fn source<'a>(name: &'a str, props: &'a Value) -> SourceFile<'a> {
    SourceFile {
        name,
        mime: props["mime"].as_str().expect("mime"),
        width: props["width"].as_u64().expect("width") as u32,
        height: props["height"].as_u64().expect("height") as u32,
        frame_count: props.get("frameCount").and_then(Value::as_u64).unwrap_or(0) as u32,
        exif_orientation: props.get("Orientation").and_then(Value::as_u64).map(|o| o as u16),
        page_count: None,
    }
}

/// Every frame of an encoded image as RGBA (JPEG through jpeg-decoder, the rest through image).
fn decode_frames(bytes: &[u8]) -> Vec<RgbaImage> {
    if bytes.starts_with(&[0xff, 0xd8]) {
        let mut d = jpeg_decoder::Decoder::new(bytes);
        let px = d.decode().expect("jpeg");
        let info = d.info().expect("info");
        let img = match info.pixel_format {
            jpeg_decoder::PixelFormat::L8 => {
                DynamicImage::ImageLuma8(image::GrayImage::from_raw(info.width as u32, info.height as u32, px).expect("gray"))
            }
            _ => DynamicImage::ImageRgb8(image::RgbImage::from_raw(info.width as u32, info.height as u32, px).expect("rgb")),
        };
        return vec![img.into_rgba8()];
    }
    if bytes.starts_with(b"GIF8") {
        let d = image::codecs::gif::GifDecoder::new(std::io::Cursor::new(bytes)).expect("gif");
        return d.into_frames().map(|f| f.expect("frame").into_buffer()).collect();
    }
    vec![image::load_from_memory(bytes).expect("image").into_rgba8()]
}

/// Mean absolute difference per channel, both images composited over white, alpha as a 4th
/// channel.
fn mean_abs_diff(a: &RgbaImage, b: &RgbaImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions());
    let mut sum = 0u64;
    for (p, q) in a.pixels().zip(b.pixels()) {
        let over_white = |v: u8, alpha: u8| (v as u32 * alpha as u32 + 255 * (255 - alpha as u32)) / 255;
        for c in 0..3 {
            sum += over_white(p[c], p[3]).abs_diff(over_white(q[c], q[3])) as u64;
        }
        sum += p[3].abs_diff(q[3]) as u64;
    }
    sum as f64 / (a.width() as f64 * a.height() as f64 * 4.0)
}

struct Case {
    label: String,
    ours: Vec<RgbaImage>,
    ours_bytes: usize,
    theirs: Vec<RgbaImage>,
    theirs_bytes: usize,
}

/// Plans and renders every downloaded thumbnail's request with our code.
fn render_all() -> Vec<Case> {
    let fx = fixture();
    let cfg = ThumbConfig::default();
    let mut out = Vec::new();
    for d in fx["downloads"].as_array().expect("downloads") {
        let name = d["file"].as_str().expect("file");
        let file = source(name, &fx["files"][name]);
        let req = &d["request"];
        let int = |k: &str| req.get(k).and_then(Value::as_i64).unwrap_or(-1);
        let param = req.get("iiurlparam").and_then(Value::as_str).unwrap_or("");
        let merged = merge_thumb_params(
            &file,
            &cfg,
            &UrlRequest {
                width: int("iiurlwidth"),
                height: int("iiurlheight"),
                param,
            },
        )
        .expect("params")
        .expect("a thumbnail");
        let info = thumb_info(&file, &cfg, &merged.params).expect("no thumberror");
        let Transform::Thumb(thumb) = info.thumb else {
            panic!("{name} {req}: not a thumbnail: {:?}", info.thumb)
        };
        let their_name = d["thumburl"].as_str().expect("url").rsplit('/').next().expect("name");
        assert_eq!(thumb.name, their_name, "{name} {req}");
        let src = fixtures().join(d["source"].as_str().expect("source"));
        let rendered = render(&src, &file, &thumb, &cfg, &RenderLimits::default()).unwrap_or_else(|e| panic!("{name} {req}: {e}"));
        assert_eq!(rendered.mime, thumb.mime);
        let theirs_bytes = std::fs::read(fixtures().join(d["fixture"].as_str().expect("fixture"))).expect("their thumbnail");
        out.push(Case {
            label: format!("{} {req}", thumb.name),
            ours: decode_frames(&rendered.bytes),
            ours_bytes: rendered.bytes.len(),
            theirs: decode_frames(&theirs_bytes),
            theirs_bytes: theirs_bytes.len(),
        });
    }
    out
}

#[test]
fn rendered_thumbnails_match_mediawiki() {
    let cases = render_all();
    assert!(cases.len() >= 16, "only {} downloads", cases.len());
    let mut failures = Vec::new();
    for c in &cases {
        if c.ours.len() != c.theirs.len() {
            failures.push(format!("{}: {} frames, MediaWiki {}", c.label, c.ours.len(), c.theirs.len()));
            continue;
        }
        for (i, (a, b)) in c.ours.iter().zip(&c.theirs).enumerate() {
            if a.dimensions() != b.dimensions() {
                failures.push(format!(
                    "{} frame {i}: {:?}, MediaWiki {:?}",
                    c.label,
                    a.dimensions(),
                    b.dimensions()
                ));
                continue;
            }
            let d = mean_abs_diff(a, b);
            println!(
                "{:<55} frame {i} {:>4}x{:<4} mean abs diff {d:5.2}  ({} bytes, MediaWiki {})",
                c.label,
                a.width(),
                a.height(),
                c.ours_bytes,
                c.theirs_bytes
            );
            if d > MAX_MEAN_ABS_DIFF {
                failures.push(format!("{} frame {i}: mean abs diff {d:.2} > {MAX_MEAN_ABS_DIFF}", c.label));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn svg_text_is_drawn_with_the_systems_fonts() {
    // Text is a small part of the picture, so the mean difference alone would not notice text
    // that is missing: compare how much of each image is ink. The reference was drawn with the
    // DejaVu fonts of the recording machine; elsewhere the comparison would measure font
    // metrics, so it needs the same fonts.
    let mut fonts = resvg::usvg::fontdb::Database::new();
    fonts.load_system_fonts();
    let has = |family: &str| fonts.faces().any(|f| f.families.iter().any(|(name, _)| name == family));
    if !(has("DejaVu Sans") && has("DejaVu Serif")) {
        eprintln!("skipped: the DejaVu fonts the reference rendering used are not installed");
        return;
    }
    let cases = render_all();
    let c = cases.iter().find(|c| c.label.contains("Mwthumb-text.svg")).expect("the text SVG");
    let ink = |img: &RgbaImage| {
        img.pixels()
            .filter(|p| p[3] > 128 && (p[0] < 128 || p[1] < 128 || p[2] < 128))
            .count() as f64
    };
    let (ours, theirs) = (ink(&c.ours[0]), ink(&c.theirs[0]));
    println!("ink pixels: ours {ours}, MediaWiki {theirs}");
    assert!(theirs > 500.0, "the reference has text");
    assert!(
        (0.8..1.25).contains(&(ours / theirs)),
        "ink pixels: ours {ours}, MediaWiki {theirs}"
    );
}

#[test]
fn mistakes_are_caught() {
    // The metric tells a right thumbnail from plausible wrong ones: mirrored, upside down, or
    // shifted by 2 pixels (a wrong crop or rounding of the geometry). On the test pattern images,
    // that is; the big animated GIF is mostly flat colour.
    let mut checked = 0;
    for c in render_all()
        .iter()
        .filter(|c| c.label.starts_with("120px-") && !c.label.contains("biganim"))
    {
        let (ours, theirs) = (&c.ours[0], &c.theirs[0]);
        let (w, h) = ours.dimensions();
        let mirrored = image::imageops::flip_horizontal(ours);
        let upside_down = image::imageops::rotate180(ours);
        let shifted = RgbaImage::from_fn(w, h, |x, y| *ours.get_pixel((x + 2).min(w - 1), y));
        let (m, u, s) = (
            mean_abs_diff(&mirrored, theirs),
            mean_abs_diff(&upside_down, theirs),
            mean_abs_diff(&shifted, theirs),
        );
        println!("{:<55} mirrored {m:6.2}  upside down {u:6.2}  shifted 2px {s:6.2}", c.label);
        assert!(m > 3.0 * MAX_MEAN_ABS_DIFF, "{}: a mirror image passes ({m:.2})", c.label);
        assert!(u > 3.0 * MAX_MEAN_ABS_DIFF, "{}: upside down passes ({u:.2})", c.label);
        assert!(s > MAX_MEAN_ABS_DIFF, "{}: a 2 px shift passes ({s:.2})", c.label);
        checked += 1;
    }
    assert!(checked >= 8, "{checked}");
}

#[test]
fn decompression_bombs_are_refused_from_the_header() {
    let cfg = ThumbConfig::default();
    // The 20000x20000 PNG header: refused without decoding, even if the caller asks anyway.
    let file = SourceFile::new("Mwthumb-huge.png", "image/png", 20000, 20000);
    let forced = Transform::Thumb(mwupload_thumb::Thumb {
        name: "120px-Mwthumb-huge.png".into(),
        ext: "png".into(),
        mime: "image/png".into(),
        width: 120,
        height: 120,
        params: mwupload_thumb::ThumbParams {
            width: Some(120),
            height: Some(120),
            physical_width: Some(120),
            physical_height: Some(120),
            page: Some(1),
            ..Default::default()
        },
    });
    let Transform::Thumb(thumb) = forced else { unreachable!() };
    let err = render(&fixtures().join("src/huge.png"), &file, &thumb, &cfg, &RenderLimits::default()).unwrap_err();
    assert_eq!(err, ThumbError::TooBigImageArea { max_area: 12_500_000 });
    assert_eq!(err.text(), "Error creating thumbnail: File with dimensions greater than 12.5 MP");
}

#[test]
fn a_jpeg_bomb_is_refused_after_dct_scaling() {
    // A JPEG whose header claims 60000x60000: MediaWiki lets ImageMagick try JPEGs of any size;
    // we decode at 1/8 scale at most, and 7500x7500 is still above the decode limit.
    let mut jpeg = Vec::new();
    let mut enc = jpeg_encoder::Encoder::new(&mut jpeg, 80);
    enc.set_sampling_factor(jpeg_encoder::SamplingFactor::F_1_1);
    enc.encode(&[128u8; 3 * 8 * 8], 8, 8, jpeg_encoder::ColorType::Rgb).expect("encode");
    // Patch SOF0's height and width (0xFFC0, length, precision, height, width).
    let sof = jpeg.windows(2).position(|w| w == [0xff, 0xc0]).expect("SOF0");
    jpeg[sof + 5..sof + 9].copy_from_slice(&[0xea, 0x60, 0xea, 0x60]);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bomb.jpg");
    std::fs::write(&path, &jpeg).expect("write");
    let cfg = ThumbConfig::default();
    let file = SourceFile::new("Bomb.jpg", "image/jpeg", 60000, 60000);
    let info = thumb_info(&file, &cfg, &mwupload_thumb::ThumbParams::width(100)).expect("JPEGs skip the area check");
    let Transform::Thumb(thumb) = info.thumb else {
        panic!("not a thumbnail")
    };
    let limits = RenderLimits::default();
    let err = render(&path, &file, &thumb, &cfg, &limits).unwrap_err();
    assert_eq!(
        err,
        ThumbError::TooBigImageArea {
            max_area: limits.max_decoded_pixels
        }
    );
}
