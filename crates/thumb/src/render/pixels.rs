//! An 8-bit pixel buffer and the operations ImageMagick's `convert … -thumbnail WxH! -sharpen
//! 0x0.4 -rotate -N` applies to it, in that order.

use fast_image_resize::images::Image;
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};

use crate::error::ThumbError;

/// 8-bit pixels, `channels` interleaved: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA (straight alpha).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Pixels {
    pub width: u32,
    pub height: u32,
    pub channels: u8,
    pub data: Vec<u8>,
}

/// The resampling filter ImageMagick picks (`ResizeImage()` with an undefined filter):
/// Mitchell for images with alpha or a palette, Lanczos otherwise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Filter {
    Lanczos,
    Mitchell,
}

impl Pixels {
    pub fn new(width: u32, height: u32, channels: u8, data: Vec<u8>) -> Result<Self, ThumbError> {
        if data.len() as u64 != width as u64 * height as u64 * channels as u64 {
            return Err(ThumbError::Decode(format!(
                "decoder returned {} bytes for {width}x{height}x{channels}",
                data.len()
            )));
        }
        Ok(Pixels {
            width,
            height,
            channels,
            data,
        })
    }

    pub fn has_alpha(&self) -> bool {
        self.channels == 2 || self.channels == 4
    }

    fn pixel_type(&self) -> PixelType {
        match self.channels {
            1 => PixelType::U8,
            2 => PixelType::U8x2,
            3 => PixelType::U8x3,
            _ => PixelType::U8x4,
        }
    }

    /// ImageMagick's `-thumbnail WxH!`: when the reduction is large (x factor * y factor <= 0.1)
    /// the image is first point-sampled to 5x the target, then filtered. We skip that sampling
    /// when it would not make the image smaller.
    pub fn thumbnail(self, width: u32, height: u32, filter: Filter) -> Result<Pixels, ThumbError> {
        if (width, height) == (self.width, self.height) {
            return Ok(self);
        }
        let factor = (width as f64 / self.width as f64) * (height as f64 / self.height as f64);
        let (sw, sh) = (width.saturating_mul(5), height.saturating_mul(5));
        let src = if factor <= 0.1 && sw >= 128 && sh >= 128 && sw < self.width && sh < self.height {
            self.resize(sw, sh, ResizeAlg::Nearest)?
        } else {
            self
        };
        let alg = ResizeAlg::Convolution(match filter {
            Filter::Lanczos => FilterType::Lanczos3,
            Filter::Mitchell => FilterType::Mitchell,
        });
        src.resize(width, height, alg)
    }

    fn resize(self, width: u32, height: u32, alg: ResizeAlg) -> Result<Pixels, ThumbError> {
        let pixel_type = self.pixel_type();
        let channels = self.channels;
        let src = Image::from_vec_u8(self.width, self.height, self.data, pixel_type).map_err(|e| ThumbError::Decode(e.to_string()))?;
        let mut dst = Image::new(width, height, pixel_type);
        // use_alpha: colours are weighted by alpha (premultiplied), as ImageMagick does.
        let options = ResizeOptions::new().resize_alg(alg).use_alpha(true);
        Resizer::new()
            .resize(&src, &mut dst, &options)
            .map_err(|e| ThumbError::Encode(format!("resize: {e}")))?;
        Pixels::new(width, height, channels, dst.into_vec())
    }

    /// ImageMagick's `-sharpen 0x<sigma>` (`SharpenImage()`): a 3x3 kernel of negated Gaussian
    /// weights whose centre is twice their sum, normalised; edge pixels repeat. Alpha is kept.
    pub fn sharpen(&mut self, sigma: f64) {
        if sigma <= 0.0 || self.width < 2 || self.height < 2 {
            return;
        }
        let g = |u: f64, v: f64| (-(u * u + v * v) / (2.0 * sigma * sigma)).exp();
        let (edge, corner) = (g(1.0, 0.0), g(1.0, 1.0));
        let sum = 1.0 + 4.0 * edge + 4.0 * corner;
        // centre = 2 * sum, others negated; normalised by their total (sum + 1).
        let norm = 2.0 * sum - 4.0 * edge - 4.0 * corner;
        let (kc, ke, kk) = (2.0 * sum / norm, -edge / norm, -corner / norm);
        // Fixed point, 14 bits; the centre weight absorbs the rounding so the kernel sums to 1.
        const ONE: i32 = 1 << 14;
        let (we, wk) = ((ke * ONE as f64).round() as i32, (kk * ONE as f64).round() as i32);
        let wc = ONE - 4 * we - 4 * wk;
        debug_assert!((wc as f64 - kc * ONE as f64).abs() < 4.0);
        let (w, h, ch) = (self.width as usize, self.height as usize, self.channels as usize);
        let colour_channels = if self.has_alpha() { ch - 1 } else { ch };
        let src = self.data.clone();
        let row = |y: usize| &src[y * w * ch..(y + 1) * w * ch];
        let apply = |c: u8, edges: i32, corners: i32| ((wc * c as i32 + we * edges + wk * corners + ONE / 2) >> 14).clamp(0, 255) as u8;
        for y in 0..h {
            let (prev, cur, next) = (row(y.saturating_sub(1)), row(y), row((y + 1).min(h - 1)));
            let out = &mut self.data[y * w * ch..(y + 1) * w * ch];
            if colour_channels == ch {
                // Inner columns: every byte is a colour sample, its neighbours one pixel (ch
                // bytes) away; a plain loop the compiler vectorises.
                for i in ch..(w - 1) * ch {
                    let edges = cur[i - ch] as i32 + cur[i + ch] as i32 + prev[i] as i32 + next[i] as i32;
                    let corners = prev[i - ch] as i32 + prev[i + ch] as i32 + next[i - ch] as i32 + next[i + ch] as i32;
                    out[i] = apply(cur[i], edges, corners);
                }
            }
            let columns: Box<dyn Iterator<Item = usize>> = if colour_channels == ch {
                Box::new([0, w - 1].into_iter())
            } else {
                Box::new(0..w)
            };
            for x in columns {
                let (l, m, r) = (x.saturating_sub(1) * ch, x * ch, (x + 1).min(w - 1) * ch);
                for c in 0..colour_channels {
                    let edges = cur[l + c] as i32 + cur[r + c] as i32 + prev[m + c] as i32 + next[m + c] as i32;
                    let corners = prev[l + c] as i32 + prev[r + c] as i32 + next[l + c] as i32 + next[r + c] as i32;
                    out[m + c] = apply(cur[m + c], edges, corners);
                }
            }
        }
    }

    /// Turns the image clockwise by 90, 180 or 270 degrees.
    pub fn rotate_clockwise(self, degrees: u32) -> Pixels {
        let (w, h, ch) = (self.width as usize, self.height as usize, self.channels as usize);
        let (nw, nh) = match degrees % 360 {
            90 | 270 => (h, w),
            180 => (w, h),
            _ => return self,
        };
        let mut out = vec![0u8; self.data.len()];
        for y in 0..h {
            for x in 0..w {
                let (nx, ny) = match degrees % 360 {
                    90 => (h - 1 - y, x),
                    180 => (w - 1 - x, h - 1 - y),
                    _ => (y, w - 1 - x),
                };
                let s = (y * w + x) * ch;
                let d = (ny * nw + nx) * ch;
                out[d..d + ch].copy_from_slice(&self.data[s..s + ch]);
            }
        }
        Pixels {
            width: nw as u32,
            height: nh as u32,
            channels: self.channels,
            data: out,
        }
    }

    /// Drops alpha by compositing over white (ImageMagick's `-background white` for formats
    /// without alpha).
    pub fn flatten_on_white(self) -> Pixels {
        if !self.has_alpha() {
            return self;
        }
        let ch = self.channels as usize;
        let out_ch = ch - 1;
        let mut out = Vec::with_capacity(self.data.len() / ch * out_ch);
        for px in self.data.chunks_exact(ch) {
            let a = px[ch - 1] as u32;
            for &c in &px[..out_ch] {
                out.push(((c as u32 * a + 255 * (255 - a) + 127) / 255) as u8);
            }
        }
        Pixels {
            width: self.width,
            height: self.height,
            channels: out_ch as u8,
            data: out,
        }
    }

    /// The pixels as RGBA (for GIF frames).
    pub fn into_rgba(self) -> Vec<u8> {
        match self.channels {
            4 => self.data,
            3 => self.data.chunks_exact(3).flat_map(|p| [p[0], p[1], p[2], 255]).collect(),
            2 => self.data.chunks_exact(2).flat_map(|p| [p[0], p[0], p[0], p[1]]).collect(),
            _ => self.data.iter().flat_map(|&v| [v, v, v, 255]).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_moves_corners() {
        // 2x1: [a b] -> clockwise 90: 1x2 [a; b]
        let p = Pixels::new(2, 1, 1, vec![1, 2]).unwrap();
        assert_eq!(p.clone().rotate_clockwise(90).data, vec![1, 2]);
        assert_eq!(p.clone().rotate_clockwise(270).data, vec![2, 1]);
        assert_eq!(p.clone().rotate_clockwise(180).data, vec![2, 1]);
        let r = p.rotate_clockwise(90);
        assert_eq!((r.width, r.height), (1, 2));
        // 2x2 [a b; c d] clockwise -> [c a; d b]
        let p = Pixels::new(2, 2, 1, vec![1, 2, 3, 4]).unwrap();
        assert_eq!(p.rotate_clockwise(90).data, vec![3, 1, 4, 2]);
    }

    #[test]
    fn sharpen_keeps_flat_areas_and_boosts_edges() {
        let mut p = Pixels::new(4, 2, 1, [100, 100, 200, 200].repeat(2)).unwrap();
        p.sharpen(0.4);
        assert!(p.data[1] < 100 && p.data[2] > 200 && p.data[5] < 100, "{:?}", p.data);
        let mut flat = Pixels::new(3, 3, 3, vec![77; 27]).unwrap();
        flat.sharpen(0.4);
        assert!(flat.data.iter().all(|&v| v == 77));
    }

    #[test]
    fn sharpen_paths_agree() {
        // The vectorised path (no alpha) and the per-pixel path (alpha) give the same colours.
        let rgb: Vec<u8> = (0..7 * 5 * 3).map(|i| (i * 37 % 251) as u8).collect();
        let rgba: Vec<u8> = rgb.chunks(3).flat_map(|p| [p[0], p[1], p[2], 255]).collect();
        let mut a = Pixels::new(7, 5, 3, rgb).unwrap();
        let mut b = Pixels::new(7, 5, 4, rgba).unwrap();
        a.sharpen(0.4);
        b.sharpen(0.4);
        let b_rgb: Vec<u8> = b.data.chunks(4).flat_map(|p| [p[0], p[1], p[2]]).collect();
        assert_eq!(a.data, b_rgb);
    }

    #[test]
    fn flatten_uses_white() {
        let p = Pixels::new(1, 1, 4, vec![0, 0, 0, 0]).unwrap().flatten_on_white();
        assert_eq!(p.data, vec![255, 255, 255]);
        let p = Pixels::new(1, 1, 2, vec![10, 255]).unwrap().flatten_on_white();
        assert_eq!(p.data, vec![10]);
    }
}
