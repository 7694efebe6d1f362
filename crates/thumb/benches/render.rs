//! Thumbnail rendering speed: the first 256 px thumbnail of a 4000x3000 JPEG (the target is
//! 100 ms on the 2-core reference machine), PNGs and SVGs, and the size/name planning alone.
//!
//!     cargo bench -p mwupload-thumb --bench render
//!
//! The sources are generated into a temporary directory (nothing large is committed): a
//! photo-like 4000x3000 JPEG (gradients, edges and sensor-like noise, quality 90, 4:2:0), the
//! same picture as a 4000x3000 and a 1600x1200 PNG, and an SVG with gradients, paths and
//! transparency.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use mwupload_thumb::{
    RenderLimits, SourceFile, ThumbConfig, ThumbParams, Transform, UrlRequest, merge_thumb_params, render, thumb_info, transform,
};

/// A photo-like RGB picture: smooth gradients, hard-edged shapes and noise.
fn picture(w: u32, h: u32) -> Vec<u8> {
    let mut px = Vec::with_capacity(w as usize * h as usize * 3);
    let mut s: u32 = 0x9e37_79b9;
    for y in 0..h {
        for x in 0..w {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            let n = (s & 15) as i32 - 8;
            let (fx, fy) = (x as f32 / w as f32, y as f32 / h as f32);
            let disc = (fx - 0.6).powi(2) + (fy - 0.45).powi(2) < 0.04;
            let (r, g, b) = if disc {
                (235, 190, 40)
            } else {
                let b = 128.0 + 90.0 * (x as f32 / 97.0).sin() * (y as f32 / 61.0).cos();
                ((fx * 255.0) as i32, (fy * 255.0) as i32, b as i32)
            };
            for c in [r, g, b] {
                px.push((c + n).clamp(0, 255) as u8);
            }
        }
    }
    px
}

fn write_jpeg(path: &Path, w: u32, h: u32) {
    let mut enc = jpeg_encoder::Encoder::new_file(path, 90).expect("create");
    enc.set_sampling_factor(jpeg_encoder::SamplingFactor::F_2_2);
    enc.encode(&picture(w, h), w as u16, h as u16, jpeg_encoder::ColorType::Rgb)
        .expect("encode");
}

fn write_png(path: &Path, w: u32, h: u32) {
    image::save_buffer(path, &picture(w, h), w, h, image::ExtendedColorType::Rgb8).expect("png");
}

const SVG: &str = r##"<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="800" height="600" viewBox="0 0 800 600">
  <defs>
    <linearGradient id="sky" x1="0" y1="0" x2="0" y2="1">
      <stop offset="0" stop-color="#2060c0"/><stop offset="1" stop-color="#c0e0ff"/>
    </linearGradient>
    <radialGradient id="sun"><stop offset="0" stop-color="#fff0a0"/><stop offset="1" stop-color="#f0a020"/></radialGradient>
  </defs>
  <rect width="800" height="600" fill="url(#sky)"/>
  <circle cx="620" cy="140" r="80" fill="url(#sun)"/>
  <path d="M0 420 C 150 330 300 500 450 400 S 700 330 800 380 L 800 600 L 0 600 Z" fill="#3a8040"/>
  <path d="M0 480 C 200 420 350 560 520 470 S 720 430 800 470 L 800 600 L 0 600 Z" fill="#2a6030" fill-opacity="0.8"/>
  <g stroke="#402010" stroke-width="6" fill="#60a050">
    <path d="M120 430 l 0 -90"/><circle cx="120" cy="320" r="40"/>
    <path d="M260 460 l 0 -110"/><circle cx="260" cy="330" r="50"/>
    <path d="M560 440 l 0 -80"/><circle cx="560" cy="340" r="35"/>
  </g>
  <polygon points="380,300 430,200 480,300" fill="#c03030" stroke="#202020" stroke-width="3"/>
</svg>
"##;

fn plan(file: &SourceFile, cfg: &ThumbConfig, width: i64) -> mwupload_thumb::Thumb {
    match transform(file, cfg, &ThumbParams::width(width)) {
        Transform::Thumb(t) => t,
        other => panic!("not a thumbnail: {other:?}"),
    }
}

fn benches(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = ThumbConfig::default();
    let limits = RenderLimits::default();

    let jpeg = dir.path().join("photo.jpg");
    write_jpeg(&jpeg, 4000, 3000);
    let png = dir.path().join("photo.png");
    write_png(&png, 4000, 3000);
    let png_small = dir.path().join("screen.png");
    write_png(&png_small, 1600, 1200);
    let svg = dir.path().join("drawing.svg");
    std::fs::write(&svg, SVG).expect("svg");

    let mut g = c.benchmark_group("render");
    g.sample_size(20);

    let file = SourceFile::new("Photo.jpg", "image/jpeg", 4000, 3000);
    for width in [256, 1024] {
        let thumb = plan(&file, &cfg, width);
        g.bench_function(format!("jpeg 4000x3000 -> {width}px"), |b| {
            b.iter(|| black_box(render(&jpeg, &file, &thumb, &cfg, &limits).expect("render")))
        });
    }
    let rotated = SourceFile {
        exif_orientation: Some(6),
        width: 3000,
        height: 4000,
        ..file
    };
    let thumb = plan(&rotated, &cfg, 192);
    g.bench_function("jpeg 4000x3000 EXIF-rotated -> 192x256", |b| {
        b.iter(|| black_box(render(&jpeg, &rotated, &thumb, &cfg, &limits).expect("render")))
    });

    let file = SourceFile::new("Photo.png", "image/png", 4000, 3000);
    let thumb = plan(&file, &cfg, 256);
    g.bench_function("png 4000x3000 -> 256px", |b| {
        b.iter(|| black_box(render(&png, &file, &thumb, &cfg, &limits).expect("render")))
    });
    let file = SourceFile::new("Screen.png", "image/png", 1600, 1200);
    let thumb = plan(&file, &cfg, 256);
    g.bench_function("png 1600x1200 -> 256px", |b| {
        b.iter(|| black_box(render(&png_small, &file, &thumb, &cfg, &limits).expect("render")))
    });

    let file = SourceFile::new("Drawing.svg", "image/svg+xml", 800, 600);
    // Load the system fonts once before measuring.
    let _ = render(&svg, &file, &plan(&file, &cfg, 16), &cfg, &limits);
    for width in [256, 1024] {
        let thumb = plan(&file, &cfg, width);
        g.bench_function(format!("svg 800x600 -> {width}px"), |b| {
            b.iter(|| black_box(render(&svg, &file, &thumb, &cfg, &limits).expect("render")))
        });
    }
    g.finish();

    // The planning imageinfo does for one file: parameters, main thumbnail and both responsive
    // variants.
    let file = SourceFile::new("Photo.jpg", "image/jpeg", 4000, 3000);
    c.bench_function("plan imageinfo iiurlwidth=256 (3 transforms)", |b| {
        b.iter(|| {
            let merged = merge_thumb_params(
                &file,
                &cfg,
                &UrlRequest {
                    width: 256,
                    height: -1,
                    param: "",
                },
            )
            .expect("ok")
            .expect("some");
            black_box(thumb_info(&file, &cfg, &merged.params).expect("info"))
        })
    });
}

criterion_group!(render_benches, benches);
criterion_main!(render_benches);
