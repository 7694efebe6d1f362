//! Rendering cases the reference wiki cannot show (TIFF needs `$wgTiffThumbnailType`), or that
//! are about safety: EXIF rotations by their content, SVG language and external files, broken
//! and missing files, transparency.

use std::path::{Path, PathBuf};

use image::{AnimationDecoder, RgbaImage};
use mwupload_thumb::{
    RenderLimits, Rendered, SourceFile, ThumbConfig, ThumbError, ThumbParams, ThumbType, Transform, read_exif_orientation, render,
    transform,
};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn plan_and_render(path: &Path, file: &SourceFile, cfg: &ThumbConfig, params: &ThumbParams) -> Result<Rendered, ThumbError> {
    match transform(file, cfg, params) {
        Transform::Thumb(t) => render(path, file, &t, cfg, &RenderLimits::default()),
        other => panic!("{}: not a thumbnail: {other:?}", file.name),
    }
}

fn decode(bytes: &[u8]) -> RgbaImage {
    if bytes.starts_with(&[0xff, 0xd8]) {
        let mut d = jpeg_decoder::Decoder::new(bytes);
        let px = d.decode().expect("jpeg");
        let info = d.info().expect("info");
        return image::DynamicImage::ImageRgb8(image::RgbImage::from_raw(info.width as u32, info.height as u32, px).expect("rgb"))
            .into_rgba8();
    }
    image::load_from_memory(bytes).expect("decode").into_rgba8()
}

/// A 64x48 JPEG whose quadrants are red, green (top) and blue, white (bottom), with an EXIF
/// Orientation tag.
fn quadrant_jpeg(orientation: u16) -> Vec<u8> {
    let (w, h) = (64u16, 48u16);
    let mut px = Vec::new();
    for y in 0..h {
        for x in 0..w {
            px.extend_from_slice(match (x < w / 2, y < h / 2) {
                (true, true) => &[255, 0, 0],
                (false, true) => &[0, 255, 0],
                (true, false) => &[0, 0, 255],
                (false, false) => &[255, 255, 255],
            });
        }
    }
    // A big-endian TIFF header with one IFD entry: Orientation (0x0112), SHORT, 1 value.
    let mut exif = vec![0x4d, 0x4d, 0, 0x2a, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1];
    exif.extend_from_slice(&orientation.to_be_bytes());
    exif.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    let mut out = Vec::new();
    let mut enc = jpeg_encoder::Encoder::new(&mut out, 95);
    enc.add_exif_metadata(&exif).expect("exif");
    enc.encode(&px, w, h, jpeg_encoder::ColorType::Rgb).expect("encode");
    out
}

/// The colour name of the pixel at the centre of each quadrant: [top-left, top-right,
/// bottom-left, bottom-right].
fn quadrants(img: &RgbaImage) -> [&'static str; 4] {
    let (w, h) = img.dimensions();
    let name = |x: u32, y: u32| {
        let p = img.get_pixel(x, y);
        match (p[0] > 128, p[1] > 128, p[2] > 128) {
            (true, false, false) => "red",
            (false, true, false) => "green",
            (false, false, true) => "blue",
            (true, true, true) => "white",
            _ => "other",
        }
    };
    [
        name(w / 4, h / 4),
        name(3 * w / 4, h / 4),
        name(w / 4, 3 * h / 4),
        name(3 * w / 4, 3 * h / 4),
    ]
}

#[test]
fn exif_orientations_are_applied_like_mediawiki() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = ThumbConfig::default();
    // (orientation, displayed quadrants). Mirrored orientations (2, 4, 5, 7) are ignored by
    // MediaWiki, so they come out as stored.
    let cases: [(u16, [&str; 4]); 5] = [
        (1, ["red", "green", "blue", "white"]),
        (3, ["white", "blue", "green", "red"]),
        (6, ["blue", "red", "white", "green"]),
        (8, ["green", "white", "red", "blue"]),
        (2, ["red", "green", "blue", "white"]),
    ];
    for (orientation, expected) in cases {
        let path = dir.path().join(format!("o{orientation}.jpg"));
        std::fs::write(&path, quadrant_jpeg(orientation)).expect("write");
        assert_eq!(read_exif_orientation(&path), Some(orientation));
        let turned = matches!(orientation, 6 | 8);
        let (w, h) = if turned { (48, 64) } else { (64, 48) };
        let file = SourceFile {
            exif_orientation: Some(orientation),
            ..SourceFile::new("Q.jpg", "image/jpeg", w, h)
        };
        let out = plan_and_render(&path, &file, &cfg, &ThumbParams::width(w as i64 / 2)).expect("render");
        let img = decode(&out.bytes);
        assert_eq!(img.dimensions(), (w / 2, h / 2), "orientation {orientation}");
        assert_eq!(quadrants(&img), expected, "orientation {orientation}");
        // A rotated JPEG must be rendered even at its own size (mustRender).
        let full = transform(&file, &cfg, &ThumbParams::width(1000));
        assert_eq!(
            matches!(full, Transform::Thumb(_)),
            matches!(orientation, 3 | 6 | 8),
            "orientation {orientation}"
        );
    }
}

#[test]
fn tiff_renders_with_a_thumbnail_type() {
    let cfg = ThumbConfig {
        tiff_thumbnail_type: Some(ThumbType::new("jpg", "image/jpeg")),
        ..ThumbConfig::default()
    };
    let file = SourceFile::new("Mwthumb-scan.tif", "image/tiff", 300, 200);
    let Transform::Thumb(thumb) = transform(&file, &cfg, &ThumbParams::width(120)) else {
        panic!("not a thumbnail")
    };
    assert_eq!(thumb.name, "120px-Mwthumb-scan.tif.jpg");
    let out = render(&fixtures().join("src/scan.tif"), &file, &thumb, &cfg, &RenderLimits::default()).expect("render");
    assert_eq!((out.width, out.height, out.mime.as_str()), (120, 80, "image/jpeg"));
    // Close to the TIFF scaled by image-rs's own Lanczos (JPEG quality 80 costs ~1-2 levels).
    let a = decode(&out.bytes);
    let source = image::open(fixtures().join("src/scan.tif")).expect("tiff").into_rgba8();
    let b = image::imageops::resize(&source, 120, 80, image::imageops::FilterType::Lanczos3);
    let diff: f64 = a
        .pixels()
        .zip(b.pixels())
        .map(|(p, q)| (0..3).map(|c| p[c].abs_diff(q[c]) as f64).sum::<f64>())
        .sum::<f64>()
        / (120.0 * 80.0 * 3.0);
    assert!(diff < 3.0, "{diff}");
    // Without the setting MediaWiki shows the file icon.
    assert_eq!(
        transform(&file, &ThumbConfig::default(), &ThumbParams::width(120)),
        Transform::Icon { icon: "fileicon.png" }
    );
}

#[test]
fn svg_language_switches_and_external_files_are_not_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let outside = dir.path().join("secret.png");
    image::save_buffer(&outside, &[0u8, 255, 0].repeat(16 * 16), 16, 16, image::ExtendedColorType::Rgb8).expect("png");
    let svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="40" height="20">
  <switch>
    <rect systemLanguage="de" width="20" height="20" fill="red"/>
    <rect width="20" height="20" fill="blue"/>
  </switch>
  <image x="20" y="0" width="20" height="20" xlink:href="{}"/>
</svg>"#,
        outside.display()
    );
    let path = dir.path().join("lang.svg");
    std::fs::write(&path, svg).expect("svg");
    let cfg = ThumbConfig::default();
    let file = SourceFile::new("Lang.svg", "image/svg+xml", 40, 20);
    for (lang, colour) in [(None, [0u8, 0, 255]), (Some("de"), [255, 0, 0])] {
        let params = ThumbParams {
            lang: lang.map(str::to_string),
            ..ThumbParams::width(40)
        };
        let out = plan_and_render(&path, &file, &cfg, &params).expect("render");
        let img = decode(&out.bytes);
        let p = img.get_pixel(10, 10);
        assert_eq!([p[0], p[1], p[2]], colour, "lang {lang:?}");
        // The <image> pointing at a local file stays empty.
        assert_eq!(img.get_pixel(30, 10)[3], 0, "an external file was read");
    }
}

#[test]
fn broken_and_missing_files_are_errors_not_panics() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = ThumbConfig::default();
    let truncated = dir.path().join("truncated.png");
    let png = std::fs::read(fixtures().join("src/rgb.png")).expect("png");
    std::fs::write(&truncated, &png[..png.len() / 2]).expect("write");
    let file = SourceFile::new("T.png", "image/png", 400, 300);
    assert!(matches!(
        plan_and_render(&truncated, &file, &cfg, &ThumbParams::width(120)),
        Err(ThumbError::Decode(_))
    ));

    let garbage = dir.path().join("garbage.jpg");
    std::fs::write(&garbage, b"\xff\xd8\xff\xe0 this is not a jpeg").expect("write");
    let file = SourceFile::new("G.jpg", "image/jpeg", 400, 300);
    let err = plan_and_render(&garbage, &file, &cfg, &ThumbParams::width(120)).unwrap_err();
    assert!(matches!(err, ThumbError::Decode(_)), "{err:?}");
    assert_eq!(err.http_status(), 500);

    let bad_svg = dir.path().join("bad.svg");
    std::fs::write(&bad_svg, "<svg xmlns='http://www.w3.org/2000/svg'><unclosed").expect("write");
    let file = SourceFile::new("B.svg", "image/svg+xml", 100, 100);
    let err = plan_and_render(&bad_svg, &file, &cfg, &ThumbParams::width(50)).unwrap_err();
    assert!(matches!(err, ThumbError::InvalidSvg(_)), "{err:?}");
    assert!(
        err.text().starts_with("Error creating thumbnail: Invalid SVG file: "),
        "{}",
        err.text()
    );

    let file = SourceFile::new("M.png", "image/png", 400, 300);
    let err = plan_and_render(&dir.path().join("missing.png"), &file, &cfg, &ThumbParams::width(120)).unwrap_err();
    assert_eq!(err, ThumbError::FileMissing);
    assert_eq!(err.text(), "Error creating thumbnail: File missing");
}

#[test]
fn animation_follows_max_animated_gif_area() {
    let src = fixtures().join("src/anim.gif");
    let file = SourceFile {
        frame_count: 3,
        ..SourceFile::new("Mwthumb-anim.gif", "image/gif", 150, 90)
    };
    let frames = |out: &Rendered| {
        image::codecs::gif::GifDecoder::new(std::io::Cursor::new(&out.bytes))
            .expect("gif")
            .into_frames()
            .count()
    };
    let out = plan_and_render(&src, &file, &ThumbConfig::default(), &ThumbParams::width(100)).expect("render");
    assert_eq!((out.frames, frames(&out)), (3, 3));
    // 150 x 90 x 3 frames = 40500 > 40000: a still of the first frame.
    let small = ThumbConfig {
        max_animated_gif_area: 40_000,
        ..ThumbConfig::default()
    };
    let out = plan_and_render(&src, &file, &small, &ThumbParams::width(100)).expect("render");
    assert_eq!((out.frames, frames(&out)), (1, 1));
}

#[test]
fn transparency_survives() {
    let cfg = ThumbConfig::default();
    let file = SourceFile::new("Mwthumb-alpha.png", "image/png", 300, 200);
    let out = plan_and_render(&fixtures().join("src/alpha.png"), &file, &cfg, &ThumbParams::width(120)).expect("render");
    let img = decode(&out.bytes);
    assert!(img.get_pixel(0, 40)[3] < 10, "the transparent edge");
    assert_eq!(img.get_pixel(60, 40)[3], 255, "the opaque centre");
}

#[test]
fn output_is_bounded() {
    // An SVG asked at 20000px: $wgSVGMaxSize makes it 10240x5120 = 52 MP, above the default
    // output limit, so it is refused instead of allocated.
    let cfg = ThumbConfig::default();
    let file = SourceFile::new("Mwthumb-drawing.svg", "image/svg+xml", 200, 100);
    let err = plan_and_render(&fixtures().join("src/drawing.svg"), &file, &cfg, &ThumbParams::width(20000)).unwrap_err();
    assert_eq!(
        err,
        ThumbError::TooBigImageArea {
            max_area: RenderLimits::default().max_output_pixels
        }
    );
}
