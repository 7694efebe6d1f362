//! Decoding with the image-rs decoders: header first (dimensions checked before any pixel is
//! decoded), decoder limits set, JPEG decoded straight at a reduced DCT scale.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek};
use std::path::Path;

use image::codecs::bmp::BmpDecoder;
use image::codecs::gif::GifDecoder;
use image::codecs::png::PngDecoder;
use image::codecs::tiff::TiffDecoder;
use image::codecs::webp::WebPDecoder;
use image::{AnimationDecoder, Delay, DynamicImage, ImageDecoder, Limits};

use super::RenderLimits;
use super::pixels::{Filter, Pixels};
use crate::error::ThumbError;

fn decode_err(e: impl std::fmt::Display) -> ThumbError {
    ThumbError::Decode(e.to_string())
}

/// Refuses sources whose header claims more pixels than allowed, before decoding.
pub(crate) fn check_area(width: u32, height: u32, max_area: Option<u64>, limits: &RenderLimits) -> Result<(), ThumbError> {
    let area = width as u64 * height as u64;
    if let Some(max) = max_area
        && area > max
    {
        return Err(ThumbError::TooBigImageArea { max_area: max });
    }
    if area > limits.max_decoded_pixels {
        return Err(ThumbError::TooBigImageArea {
            max_area: limits.max_decoded_pixels,
        });
    }
    Ok(())
}

fn image_limits(limits: &RenderLimits) -> Limits {
    let mut l = Limits::default();
    // 16-bit RGBA is the largest decoded pixel; a little slack for decoder state.
    l.max_alloc = Some(limits.max_decoded_pixels.saturating_mul(8).saturating_add(64 << 20));
    l
}

/// A decoded still image and the filter ImageMagick would scale it with.
pub(crate) struct Decoded {
    pub pixels: Pixels,
    pub filter: Filter,
}

fn from_dynamic(img: DynamicImage, palette: bool) -> Result<Decoded, ThumbError> {
    let (w, h) = (img.width(), img.height());
    let has_alpha = img.color().has_alpha();
    let gray = !img.color().has_color();
    let (channels, data) = match (gray, has_alpha) {
        (true, false) => (1, img.into_luma8().into_raw()),
        (true, true) => (2, img.into_luma_alpha8().into_raw()),
        (false, false) => (3, img.into_rgb8().into_raw()),
        (false, true) => (4, img.into_rgba8().into_raw()),
    };
    let filter = if has_alpha || palette { Filter::Mitchell } else { Filter::Lanczos };
    Ok(Decoded {
        pixels: Pixels::new(w, h, channels, data)?,
        filter,
    })
}

fn decode_with<D: ImageDecoder>(
    mut decoder: D,
    max_area: Option<u64>,
    limits: &RenderLimits,
    palette: bool,
) -> Result<Decoded, ThumbError> {
    let (w, h) = decoder.dimensions();
    check_area(w, h, max_area, limits)?;
    decoder.set_limits(image_limits(limits)).map_err(decode_err)?;
    let img = DynamicImage::from_decoder(decoder).map_err(decode_err)?;
    from_dynamic(img, palette)
}

fn open(path: &Path) -> Result<BufReader<File>, ThumbError> {
    Ok(BufReader::new(File::open(path)?))
}

/// PNG's IHDR colour type 3 (palette): ImageMagick reads such images as PseudoClass and scales
/// them with the Mitchell filter.
fn png_is_palette<R: Read + Seek>(r: &mut R) -> bool {
    let mut head = [0u8; 26];
    let ok = r.read_exact(&mut head).is_ok() && &head[12..16] == b"IHDR" && head[25] == 3;
    let _ = r.rewind();
    ok
}

/// Decodes a still image of one of the image-rs formats (everything but JPEG and SVG).
pub(crate) fn decode_still(path: &Path, mime: &str, max_area: Option<u64>, limits: &RenderLimits) -> Result<Decoded, ThumbError> {
    let mut r = open(path)?;
    match mime {
        "image/png" => {
            let palette = png_is_palette(&mut r);
            decode_with(PngDecoder::new(r).map_err(decode_err)?, max_area, limits, palette)
        }
        "image/gif" => decode_with(GifDecoder::new(r).map_err(decode_err)?, max_area, limits, true),
        "image/webp" => decode_with(WebPDecoder::new(r).map_err(decode_err)?, max_area, limits, false),
        "image/tiff" => decode_with(TiffDecoder::new(r).map_err(decode_err)?, max_area, limits, false),
        "image/x-ms-bmp" | "image/x-bmp" | "image/bmp" => decode_with(BmpDecoder::new(r).map_err(decode_err)?, max_area, limits, true),
        other => Err(ThumbError::UnsupportedType(other.to_string())),
    }
}

/// An animated GIF: the coalesced frames (full canvas, RGBA), one at a time.
pub(crate) struct GifFrames {
    pub width: u32,
    pub height: u32,
    pub loop_count: image::metadata::LoopCount,
    pub frames: image::Frames<'static>,
}

pub(crate) fn gif_frames(path: &Path, max_area: Option<u64>, limits: &RenderLimits) -> Result<GifFrames, ThumbError> {
    let r = open(path)?;
    let mut decoder = GifDecoder::new(r).map_err(decode_err)?;
    let (width, height) = decoder.dimensions();
    check_area(width, height, max_area, limits)?;
    decoder.set_limits(image_limits(limits)).map_err(decode_err)?;
    let loop_count = decoder.loop_count();
    Ok(GifFrames {
        width,
        height,
        loop_count,
        frames: decoder.into_frames(),
    })
}

/// One decoded frame as [`Pixels`] (RGBA) and its delay.
pub(crate) fn frame_pixels(frame: image::Frame) -> Result<(Pixels, Delay), ThumbError> {
    let delay = frame.delay();
    let buf = frame.into_buffer();
    let (w, h) = buf.dimensions();
    Ok((Pixels::new(w, h, 4, buf.into_raw())?, delay))
}

/// A JPEG decoded at the smallest DCT scale (1/8, 1/4, 1/2, 1) that is still at least
/// `min_width` x `min_height`, as ImageMagick's `-define jpeg:size=WxH` does.
pub(crate) fn decode_jpeg(path: &Path, min_width: u32, min_height: u32, limits: &RenderLimits) -> Result<Decoded, ThumbError> {
    // jpeg-decoder reads a byte at a time: from memory that is ~15% faster than through a
    // BufReader. Files above 64 MiB are streamed instead.
    const IN_MEMORY: u64 = 64 << 20;
    let file = File::open(path)?;
    if file.metadata()?.len() <= IN_MEMORY {
        let mut data = Vec::new();
        BufReader::new(file).read_to_end(&mut data)?;
        decode_jpeg_from(&data[..], min_width, min_height, limits)
    } else {
        decode_jpeg_from(BufReader::new(file), min_width, min_height, limits)
    }
}

pub(crate) fn decode_jpeg_from<R: BufRead>(r: R, min_width: u32, min_height: u32, limits: &RenderLimits) -> Result<Decoded, ThumbError> {
    let mut decoder = jpeg_decoder::Decoder::new(r);
    decoder.read_info().map_err(decode_err)?;
    let clamp16 = |v: u32| v.clamp(1, u16::MAX as u32) as u16;
    let (w, h) = decoder.scale(clamp16(min_width), clamp16(min_height)).map_err(decode_err)?;
    // The source may be any size (MediaWiki exempts JPEG from $wgMaxImageArea); what is decoded
    // is the DCT-scaled image, and that is bounded.
    check_area(w as u32, h as u32, None, limits)?;
    let max_bytes = (w as usize).saturating_mul(h as usize).saturating_mul(4);
    decoder.set_max_decoding_buffer_size(max_bytes.saturating_add(1 << 20));
    let data = decoder.decode().map_err(decode_err)?;
    let info = decoder.info().ok_or_else(|| ThumbError::Decode("JPEG without a frame".into()))?;
    let (w, h) = (info.width as u32, info.height as u32);
    let (channels, data) = match info.pixel_format {
        jpeg_decoder::PixelFormat::L8 => (1, data),
        jpeg_decoder::PixelFormat::L16 => (1, data.chunks_exact(2).map(|c| c[0]).collect()),
        jpeg_decoder::PixelFormat::RGB24 => (3, data),
        jpeg_decoder::PixelFormat::CMYK32 => (
            3,
            // jpeg-decoder gives ink amounts (Adobe inversion undone); naive CMYK -> RGB.
            data.chunks_exact(4)
                .flat_map(|p| {
                    let k = 255 - p[3] as u32;
                    [p[0], p[1], p[2]].map(|c| ((255 - c as u32) * k / 255) as u8)
                })
                .collect(),
        ),
    };
    Ok(Decoded {
        pixels: Pixels::new(w, h, channels, data)?,
        filter: Filter::Lanczos,
    })
}

/// The EXIF `Orientation` of a JPEG, TIFF, PNG or WebP file (kamadak-exif), for filling
/// [`crate::SourceFile::exif_orientation`] when the caller's metadata lacks it.
pub fn read_exif_orientation(path: &Path) -> Option<u16> {
    let mut r = open(path).ok()?;
    orientation_from(&mut r)
}

/// [`read_exif_orientation`] from the first bytes of a file (EXIF sits near a JPEG's start; a
/// TIFF's first IFD usually does too). `None` when the bytes do not hold it.
pub fn exif_orientation_from_bytes(head: &[u8]) -> Option<u16> {
    orientation_from(&mut std::io::Cursor::new(head))
}

fn orientation_from<R: std::io::BufRead + std::io::Seek>(r: &mut R) -> Option<u16> {
    let exif = exif::Reader::new().read_from_container(r).ok()?;
    let field = exif.get_field(exif::Tag::Orientation, exif::In::PRIMARY)?;
    field.value.get_uint(0).and_then(|v| u16::try_from(v).ok())
}
