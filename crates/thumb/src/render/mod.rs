//! Rendering a thumbnail's bytes the way MediaWiki's ImageMagick and rsvg commands do.
//!
//! What ImageMagick does for MediaWiki (`BitmapHandler::transformImageMagick()`), and what we do:
//! - **JPEG**: `-define jpeg:size=WxH` (decode at a reduced DCT scale; we use jpeg-decoder's
//!   1/8..1 scaling), `-thumbnail WxH!` (Lanczos), `-sharpen 0x0.4` when the thumbnail is much
//!   smaller than the source, `-rotate` by the EXIF orientation, `-quality 80` (30 for `qlow-`),
//!   4:2:0 chroma subsampling.
//! - **PNG, WebP, BMP, TIFF**: decoded whole (after checking the header against
//!   `$wgMaxImageArea`), `-thumbnail WxH!` (Lanczos, or Mitchell for images with alpha or a
//!   palette, with ImageMagick's point-sampling to 5x the target first for big reductions).
//!   WebP and BMP become PNG, TIFF becomes `$wgTiffThumbnailType`.
//! - **GIF**: animated GIFs whose width x height x frames is within `$wgMaxAnimatedGifArea`
//!   stay animated (`-coalesce`: every frame is composited, scaled and re-encoded with its delay
//!   and the loop count); others get their first frame. ImageMagick then optimises the frames
//!   (`-layers optimizeTransparency`); we write full frames, so files are larger.
//! - **SVG**: rasterised at the physical size with resvg (MediaWiki: rsvg-convert), to PNG.
//!
//! Memory is bounded: headers are checked before decoding, image-rs decoders get an allocation
//! limit, JPEGs are decoded at the reduced scale, and the output size is capped
//! ([`RenderLimits`]). A panicking decoder becomes a [`ThumbError::Decode`].

mod decode;
mod pixels;
mod svg;

use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use image::codecs::gif::{GifEncoder, Repeat};
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{Delay, ExtendedColorType, ImageEncoder, RgbaImage};

use decode::{Decoded, decode_jpeg, decode_still, frame_pixels, gif_frames};
pub use decode::{exif_orientation_from_bytes, read_exif_orientation};
use pixels::{Filter, Pixels};

use crate::config::ThumbConfig;
use crate::error::ThumbError;
use crate::source::{Handler, SourceFile};
use crate::transform::Thumb;

/// Bounds on the work of one rendering, on top of `$wgMaxImageArea`.
#[derive(Clone, Debug)]
pub struct RenderLimits {
    /// Most pixels decoded at once: a source (or a JPEG after DCT scaling, or one GIF frame)
    /// bigger than this is refused. Default 40 million (160 MB of RGBA).
    pub max_decoded_pixels: u64,
    /// Largest thumbnail, width x height. Default 40 million (a 5120 x 7812 SVG rendering).
    pub max_output_pixels: u64,
    /// Largest SVG file parsed (SVGs are parsed in memory). Default 64 MiB.
    pub max_svg_bytes: u64,
}

impl Default for RenderLimits {
    fn default() -> Self {
        RenderLimits {
            max_decoded_pixels: 40_000_000,
            max_output_pixels: 40_000_000,
            max_svg_bytes: 64 << 20,
        }
    }
}

/// A rendered thumbnail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    /// The encoded file.
    pub bytes: Vec<u8>,
    pub width: u32,
    pub height: u32,
    /// `image/png`, `image/jpeg` or `image/gif`.
    pub mime: String,
    /// Frames written (more than 1 for an animated GIF thumbnail).
    pub frames: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Output {
    Png,
    Jpeg,
    Gif,
}

/// Renders the thumbnail [`crate::transform()`] planned for `file`, reading the original at
/// `source`. `thumb.params` are the normalised parameters; the result is
/// `thumb.physical_size()` pixels of `thumb.mime`.
pub fn render(source: &Path, file: &SourceFile, thumb: &Thumb, cfg: &ThumbConfig, limits: &RenderLimits) -> Result<Rendered, ThumbError> {
    catch_unwind(AssertUnwindSafe(|| render_inner(source, file, thumb, cfg, limits)))
        .unwrap_or_else(|_| Err(ThumbError::Decode("the decoder failed on this file".into())))
}

fn render_inner(source: &Path, file: &SourceFile, thumb: &Thumb, cfg: &ThumbConfig, limits: &RenderLimits) -> Result<Rendered, ThumbError> {
    let handler = file.handler().ok_or_else(|| ThumbError::UnsupportedType(file.mime.to_string()))?;
    let (pw, ph) = thumb.physical_size();
    if pw == 0 || ph == 0 {
        return Err(ThumbError::InvalidParams);
    }
    if pw.saturating_mul(ph) > limits.max_output_pixels || pw > u32::MAX as u64 || ph > u32::MAX as u64 {
        return Err(ThumbError::TooBigImageArea {
            max_area: limits.max_output_pixels,
        });
    }
    let (pw, ph) = (pw as u32, ph as u32);
    let output = match thumb.mime.as_str() {
        "image/png" => Output::Png,
        "image/jpeg" => Output::Jpeg,
        "image/gif" => Output::Gif,
        other => return Err(ThumbError::UnsupportedType(other.to_string())),
    };
    if handler == Handler::Svg {
        let pixels = svg::render_svg(
            source,
            pw,
            ph,
            thumb.params.lang.as_deref().unwrap_or("en"),
            &cfg.svg_font_dirs,
            limits.max_svg_bytes,
        )?;
        return finish(pixels, output, thumb, cfg);
    }
    let max_area = if handler == Handler::Jpeg && cfg.jpeg_skips_area_check {
        None
    } else {
        cfg.max_image_area
    };
    if handler == Handler::Gif && output == Output::Gif && file.frame_count > 1 && handler.can_animate_thumbnail(file, cfg) {
        return animated_gif(source, file, pw, ph, max_area, cfg, limits);
    }
    // Scale before rotating, so the target is the pre-rotation size.
    let rotation = handler.rotation(file, cfg);
    let (tw, th) = if rotation == 90 || rotation == 270 { (ph, pw) } else { (pw, ph) };
    let Decoded { pixels, filter } = if handler == Handler::Jpeg {
        decode_jpeg(source, tw, th, limits)?
    } else {
        decode_still(source, file.mime, max_area, limits)?
    };
    let mut pixels = pixels.thumbnail(tw, th, filter)?;
    // Sharpening, see T8193: JPEG sources reduced below $wgSharpenReductionThreshold.
    if handler == Handler::Jpeg {
        let ratio = (pw as f64 + ph as f64) / (file.width as f64 + file.height as f64);
        if ratio < cfg.sharpen_reduction_threshold {
            pixels.sharpen(cfg.sharpen_sigma);
        }
    }
    // ImageMagick's "-rotate -N": N degrees counter-clockwise.
    let pixels = pixels.rotate_clockwise((360 - rotation) % 360);
    finish(pixels, output, thumb, cfg)
}

fn finish(pixels: Pixels, output: Output, thumb: &Thumb, cfg: &ThumbConfig) -> Result<Rendered, ThumbError> {
    let (width, height) = (pixels.width, pixels.height);
    let bytes = match output {
        Output::Png => encode_png(&pixels)?,
        Output::Jpeg => {
            let quality = if thumb.params.quality_low() {
                cfg.jpeg_low_quality
            } else {
                cfg.jpeg_quality
            };
            encode_jpeg(&pixels.flatten_on_white(), quality, thumb.params.interlace)?
        }
        Output::Gif => encode_gif(vec![(pixels, Delay::from_numer_denom_ms(0, 1))], None)?,
    };
    Ok(Rendered {
        bytes,
        width,
        height,
        mime: thumb.mime.clone(),
        frames: 1,
    })
}

fn animated_gif(
    source: &Path,
    file: &SourceFile,
    pw: u32,
    ph: u32,
    max_area: Option<u64>,
    cfg: &ThumbConfig,
    limits: &RenderLimits,
) -> Result<Rendered, ThumbError> {
    let gif = gif_frames(source, max_area, limits)?;
    let canvas = gif.width as u64 * gif.height as u64;
    let mut frames = Vec::new();
    for (i, frame) in gif.frames.enumerate() {
        // The metadata said the animation is small enough; stop at the first frame if the file
        // says otherwise.
        if (i as u64 + 1).saturating_mul(canvas) > cfg.max_animated_gif_area.max(canvas) {
            frames.truncate(1);
            break;
        }
        let (pixels, delay) = frame_pixels(frame.map_err(|e| ThumbError::Decode(e.to_string()))?)?;
        frames.push((pixels.thumbnail(pw, ph, Filter::Mitchell)?, delay));
    }
    if frames.is_empty() {
        return Err(ThumbError::Decode(format!("{}: no frames", file.name)));
    }
    let count = frames.len() as u32;
    let repeat = match gif.loop_count {
        image::metadata::LoopCount::Infinite => Repeat::Infinite,
        image::metadata::LoopCount::Finite(n) => Repeat::Finite(u16::try_from(n.get()).unwrap_or(u16::MAX)),
    };
    let bytes = encode_gif(frames, (count > 1).then_some(repeat))?;
    Ok(Rendered {
        bytes,
        width: pw,
        height: ph,
        mime: "image/gif".into(),
        frames: count,
    })
}

fn encode_err(e: impl std::fmt::Display) -> ThumbError {
    ThumbError::Encode(e.to_string())
}

fn encode_png(p: &Pixels) -> Result<Vec<u8>, ThumbError> {
    let mut out = Vec::new();
    let color = match p.channels {
        1 => ExtendedColorType::L8,
        2 => ExtendedColorType::La8,
        3 => ExtendedColorType::Rgb8,
        _ => ExtendedColorType::Rgba8,
    };
    // zlib level 4 with adaptive row filters: ImageMagick uses level 9, and level 6 costs 2-3x
    // the time of level 4 on noisy images for 5-20% smaller files.
    PngEncoder::new_with_quality(&mut out, CompressionType::Level(4), FilterType::Adaptive)
        .write_image(&p.data, p.width, p.height, color)
        .map_err(encode_err)?;
    Ok(out)
}

fn encode_jpeg(p: &Pixels, quality: u8, progressive: bool) -> Result<Vec<u8>, ThumbError> {
    let (w, h) = (
        u16::try_from(p.width).map_err(encode_err)?,
        u16::try_from(p.height).map_err(encode_err)?,
    );
    let mut out = Vec::new();
    let mut enc = jpeg_encoder::Encoder::new(&mut out, quality);
    // $wgJpegPixelFormat = 'yuv420'
    enc.set_sampling_factor(jpeg_encoder::SamplingFactor::F_2_2);
    // libjpeg's h2v2_downsample (box average) and optimised Huffman tables, as ImageMagick.
    enc.set_chroma_subsampling_method(jpeg_encoder::ChromaSubsamplingMethod::Average);
    enc.set_optimized_huffman_tables(true);
    enc.set_progressive(progressive);
    let color = if p.channels == 1 {
        jpeg_encoder::ColorType::Luma
    } else {
        jpeg_encoder::ColorType::Rgb
    };
    enc.encode(&p.data, w, h, color).map_err(encode_err)?;
    Ok(out)
}

fn encode_gif(frames: Vec<(Pixels, Delay)>, repeat: Option<Repeat>) -> Result<Vec<u8>, ThumbError> {
    let mut out = Cursor::new(Vec::new());
    {
        // NeuQuant's best sampling (speed 1) is close to ImageMagick's palettes; it costs time on
        // big frames, where a coarser sampling does.
        let pixels = frames.first().map_or(0, |(p, _)| p.width as usize * p.height as usize);
        let speed = (pixels / 50_000).clamp(1, 10) as i32;
        let mut enc = GifEncoder::new_with_speed(&mut out, speed);
        if let Some(r) = repeat {
            enc.set_repeat(r).map_err(encode_err)?;
        }
        for (p, delay) in frames {
            let (w, h) = (p.width, p.height);
            let buf = RgbaImage::from_raw(w, h, p.into_rgba()).ok_or_else(|| ThumbError::Encode("frame size".into()))?;
            enc.encode_frame(image::Frame::from_parts(buf, 0, 0, delay)).map_err(encode_err)?;
        }
    }
    Ok(out.into_inner())
}
