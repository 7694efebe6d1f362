//! EXIF metadata as MediaWiki 1.39 stores it for JPEG and TIFF files.
//!
//! Two stages, as in MediaWiki:
//! 1. [`read`] decodes the TIFF directories the way PHP's `exif_read_data()` does (which
//!    MediaWiki's `Exif` class calls): PHP's tag names (`ExifImageWidth`, `GPSProcessingMode`…,
//!    so a few of MediaWiki's names never match), one array per section (IFD0, EXIF, GPS kept),
//!    values decoded by their stored type whatever the tag (ASCII cut at the first NUL, BYTE and
//!    UNDEFINED as byte strings, rationals as `"n/d"`, one value as a scalar and several as a
//!    list), and processing stops at the first entry PHP refuses (a value outside the block, a
//!    maker note it cannot walk…), keeping what came before.
//! 2. [`filter`] is `Exif::makeFilteredData` + `collapseData`: the tags MediaWiki knows, with the
//!    type and count it expects (`Exif::validate`, PHP's loose comparisons included), then GPS
//!    coordinates to signed decimal degrees, altitude with its reference, `FileSource`/`SceneType`
//!    to numbers, `UserComment` by its character code, `ComponentsConfiguration` to a list and
//!    `GPSVersion` to `GPSVersionID`.
//!
//! kamadak-exif is not used here: it rejects a whole block on the first bad entry and validates
//! types, where MediaWiki keeps every entry PHP read before the bad one and keeps wrongly typed
//! values that pass its own loose checks.
//!
//! Memory is bounded: JPEG blocks are at most 64 KiB; TIFF directories and values are read from
//! the file on demand with caps ([`MAX_VALUE`], [`MAX_TOTAL`], [`MAX_ENTRIES`]).

use std::fs::File;

use serde_json::Value;
use unicode_normalization::UnicodeNormalization;

use super::util::{self, cp1252_to_string, duration_value, nv};

/// A value as PHP's exif extension hands it to MediaWiki.
#[derive(Debug, Clone, PartialEq)]
pub enum Php {
    Null,
    Int(i64),
    Float(f64),
    Str(Vec<u8>),
    List(Vec<Php>),
}

/// Largest single value read from a TIFF file (PHP would read more; bigger values end the walk).
const MAX_VALUE: usize = 1 << 20;
/// Bytes read from a TIFF file in all.
const MAX_TOTAL: usize = 16 << 20;
/// Directory entries processed in all (nested directories may point at each other).
const MAX_ENTRIES: u32 = 20_000;
/// PHP's `MAX_IFD_NESTING_LEVEL`.
const MAX_NESTING: u32 = 150;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Section {
    Ifd0,
    Exif,
    Gps,
    Interop,
    Thumbnail,
    MakerNote,
}

/// Where the TIFF structure lives: a JPEG APP1 block in memory or a TIFF file.
enum Src<'a> {
    Mem(&'a [u8]),
    File { f: &'a mut File, size: u64, read: usize },
}

impl Src<'_> {
    fn len(&self) -> u64 {
        match self {
            Src::Mem(b) => b.len() as u64,
            Src::File { size, .. } => *size,
        }
    }

    fn contains(&self, off: u64, len: u64) -> bool {
        off.checked_add(len).is_some_and(|end| end <= self.len())
    }

    fn get(&mut self, off: u64, len: usize) -> Option<Vec<u8>> {
        if !self.contains(off, len as u64) {
            return None;
        }
        match self {
            Src::Mem(b) => {
                let start = usize::try_from(off).ok()?;
                b.get(start..start.checked_add(len)?).map(<[u8]>::to_vec)
            }
            Src::File { f, read, .. } => {
                if len > MAX_VALUE || *read + len > MAX_TOTAL {
                    return None;
                }
                *read += len;
                let v = util::read_at(f, off, len).ok()?;
                (v.len() == len).then_some(v)
            }
        }
    }
}

/// PHP's sections kept by MediaWiki, each an ordered array: a repeated name keeps its first
/// position and takes the last value (PHP's `add_assoc_*`).
#[derive(Default, Debug)]
pub struct Raw {
    pub ifd0: Vec<(&'static str, Php)>,
    pub exif: Vec<(&'static str, Php)>,
    pub gps: Vec<(&'static str, Php)>,
    /// `JpegMetadataExtractor`'s `byteOrder` (or the TIFF's): little-endian.
    pub little: bool,
}

impl Raw {
    fn section(&mut self, s: Section) -> Option<&mut Vec<(&'static str, Php)>> {
        match s {
            Section::Ifd0 => Some(&mut self.ifd0),
            Section::Exif => Some(&mut self.exif),
            Section::Gps => Some(&mut self.gps),
            _ => None,
        }
    }
}

struct Reader<'a> {
    src: Src<'a>,
    /// Current byte order (a maker note may switch it, as in PHP).
    little: bool,
    raw: Raw,
    make: Option<Vec<u8>>,
    aperture_known: bool,
    exposure_known: bool,
    nesting: u32,
    entries: u32,
}

const TIFF_SIZES: [u64; 14] = [0, 1, 1, 2, 4, 8, 1, 1, 2, 4, 8, 4, 8, 1];

impl Reader<'_> {
    fn u16(&self, b: &[u8], at: usize) -> Option<u16> {
        if self.little { util::le_u16(b, at) } else { util::be_u16(b, at) }
    }
    fn u32(&self, b: &[u8], at: usize) -> Option<u32> {
        if self.little { util::le_u32(b, at) } else { util::be_u32(b, at) }
    }

    /// `exif_process_IFD_in_JPEG`: false when PHP gives up.
    fn ifd(&mut self, off: u64, section: Section, via_tag: u16) -> bool {
        let Some(cnt) = self.src.get(off, 2) else { return false };
        let Some(n) = self.u16(&cnt, 0) else { return false };
        let n = u64::from(n);
        let Some(dir) = self.src.get(off + 2, (n * 12) as usize) else {
            return false;
        };
        for i in 0..n as usize {
            let Some(entry) = dir.get(i * 12..i * 12 + 12) else { return false };
            if !self.entry(entry, section, true, None) {
                return false;
            }
        }
        if section == Section::Thumbnail {
            return true;
        }
        let Some(next) = self.src.get(off + 2 + n * 12, 4) else {
            return false;
        };
        // only IFD0 continues to IFD1 (the thumbnail's directory)
        if via_tag != 0 {
            return true;
        }
        let Some(next) = self.u32(&next, 0) else { return false };
        if next == 0 {
            return true;
        }
        if !self.src.contains(u64::from(next), 0) {
            return false;
        }
        self.ifd(u64::from(next), Section::Thumbnail, 0)
    }

    /// `exif_process_IFD_TAG` for one 12-byte entry; `region` is a maker note's own block
    /// (`MN_OFFSET_MAKER`): its offsets count from the note's start.
    fn entry(&mut self, entry: &[u8], section: Section, read_next: bool, region: Option<(u64, u64)>) -> bool {
        if self.nesting > MAX_NESTING {
            return false;
        }
        self.entries += 1;
        if self.entries > MAX_ENTRIES {
            return false;
        }
        self.nesting += 1;
        let ok = self.entry_inner(entry, section, read_next, region);
        self.nesting -= 1;
        ok
    }

    fn entry_inner(&mut self, entry: &[u8], section: Section, read_next: bool, region: Option<(u64, u64)>) -> bool {
        let (Some(tag), Some(mut format), Some(components)) = (self.u16(entry, 0), self.u16(entry, 2), self.u32(entry, 4)) else {
            return false;
        };
        if format == 0 || format > 13 {
            format = 1;
        }
        let byte_count = u64::from(components) * TIFF_SIZES[usize::from(format)];
        if byte_count > i32::MAX as u64 {
            return false;
        }
        let name = tag_name(section, tag);
        let kept = section_kept(section) && name.is_some();
        let needs_bytes =
            kept || (matches!(section, Section::Ifd0 | Section::Exif) && matches!(tag, 0x010F | 0x927C | 0x8769 | 0x8825 | 0xA005));
        let value: Vec<u8> = if byte_count > 4 {
            let Some(o) = self.u32(entry, 8) else { return false };
            let (base, limit) = region.unwrap_or((0, self.src.len()));
            let o = u64::from(o);
            if o.checked_add(byte_count).is_none_or(|e| e > limit) {
                return false;
            }
            if needs_bytes {
                match self.src.get(base + o, byte_count as usize) {
                    Some(v) => v,
                    None => return false,
                }
            } else {
                Vec::new()
            }
        } else {
            entry[8..8 + byte_count as usize].to_vec()
        };
        let empty = byte_count == 0;
        if section == Section::Thumbnail {
            if empty {
                return false;
            }
        } else if matches!(section, Section::Ifd0 | Section::Exif) {
            match tag {
                // REQUIRE_NON_EMPTY for the values PHP computes with
                0x829D | 0xA002 | 0xA20E | 0x9206 | 0xA210 => {
                    if empty {
                        return false;
                    }
                    if tag == 0x829D {
                        self.aperture_known = self.number(&value, format) != 0.0;
                    }
                }
                0x9202 | 0x9205 if !self.aperture_known => {
                    if empty {
                        return false;
                    }
                    self.aperture_known = self.number(&value, format) != 0.0;
                }
                0x9201 if !self.exposure_known => {
                    if empty {
                        return false;
                    }
                    self.exposure_known = self.number(&value, format) != 0.0;
                }
                0x829A => self.exposure_known = true,
                0x010F => self.make = Some(value.split(|&b| b == 0).next().unwrap_or(&[]).to_vec()),
                0x927C if !self.maker_note(&value, byte_count, entry) => return false,
                0x8769 | 0x8825 | 0xA005 if read_next => {
                    if empty {
                        return false;
                    }
                    let sub = match tag {
                        0x8769 => Section::Exif,
                        0x8825 => Section::Gps,
                        _ => Section::Interop,
                    };
                    let mut four = value.clone();
                    four.resize(4, 0);
                    let Some(o) = self.u32(&four, 0) else { return false };
                    if !self.src.contains(u64::from(o), 0) {
                        return false;
                    }
                    if !self.ifd(u64::from(o), sub, tag) {
                        return false;
                    }
                }
                _ => {}
            }
        }
        if kept && let Some(name) = name {
            let v = if tag == 0x927C && !matches!(format, 2..=5 | 8..=12) {
                // PHP keeps a maker note up to its first NUL (often nothing: null)
                let cut = value.split(|&b| b == 0).next().unwrap_or(&[]);
                if cut.is_empty() { Php::Null } else { Php::Str(cut.to_vec()) }
            } else {
                self.decode(&value, format, components)
            };
            if let Some(list) = self.raw.section(section) {
                match list.iter_mut().find(|(k, _)| *k == name) {
                    Some(slot) => slot.1 = v,
                    None => list.push((name, v)),
                }
            }
        }
        true
    }

    /// `exif_convert_any_format` (for PHP's aperture/exposure bookkeeping).
    fn number(&self, v: &[u8], format: u16) -> f64 {
        match format {
            1 => v.first().map_or(0.0, |&b| f64::from(b)),
            6 => v.first().map_or(0.0, |&b| f64::from(b as i8)),
            3 => self.u16(v, 0).map_or(0.0, f64::from),
            8 => self.u16(v, 0).map_or(0.0, |x| f64::from(x as i16)),
            4 => self.u32(v, 0).map_or(0.0, f64::from),
            9 => self.u32(v, 0).map_or(0.0, |x| f64::from(x as i32)),
            5 => match (self.u32(v, 0), self.u32(v, 4)) {
                (Some(n), Some(d)) if d != 0 => f64::from(n) / f64::from(d),
                _ => 0.0,
            },
            10 => match (self.u32(v, 0), self.u32(v, 4)) {
                (Some(n), Some(d)) if d != 0 => f64::from(n as i32) / f64::from(d as i32),
                _ => 0.0,
            },
            11 => util::le_u32(v, 0).map_or(0.0, |x| f64::from(f32::from_bits(x))),
            12 => v.get(0..8).map_or(0.0, |b| f64::from_le_bytes(b.try_into().unwrap_or([0; 8]))),
            _ => 0.0,
        }
    }

    /// `exif_iif_add_value` + `add_assoc_image_info`: the PHP value of an entry.
    fn decode(&self, v: &[u8], format: u16, components: u32) -> Php {
        match format {
            2 => {
                let s: Vec<u8> = v.split(|&b| b == 0).next().unwrap_or(&[]).to_vec();
                if s.is_empty() { Php::Null } else { Php::Str(s) }
            }
            3 | 4 | 5 | 8 | 9 | 10 | 11 | 12 => {
                let size = TIFF_SIZES[usize::from(format)] as usize;
                let one = |i: usize| -> Php {
                    let at = i * size;
                    match format {
                        3 => self.u16(v, at).map_or(Php::Null, |x| Php::Int(i64::from(x))),
                        8 => self.u16(v, at).map_or(Php::Null, |x| Php::Int(i64::from(x as i16))),
                        4 => self.u32(v, at).map_or(Php::Null, |x| Php::Int(i64::from(x))),
                        9 => self.u32(v, at).map_or(Php::Null, |x| Php::Int(i64::from(x as i32))),
                        5 => match (self.u32(v, at), self.u32(v, at + 4)) {
                            (Some(n), Some(d)) => Php::Str(format!("{n}/{d}").into_bytes()),
                            _ => Php::Null,
                        },
                        10 => match (self.u32(v, at), self.u32(v, at + 4)) {
                            (Some(n), Some(d)) => Php::Str(format!("{}/{}", n as i32, d as i32).into_bytes()),
                            _ => Php::Null,
                        },
                        // PHP reads floats in the machine's (little-endian) order
                        11 => util::le_u32(v, at).map_or(Php::Null, |x| Php::Float(f64::from(f32::from_bits(x)))),
                        _ => v
                            .get(at..at + 8)
                            .and_then(|b| b.try_into().ok())
                            .map_or(Php::Null, |b| Php::Float(f64::from_le_bytes(b))),
                    }
                };
                match components {
                    0 => Php::Null,
                    1 => one(0),
                    n => Php::List((0..n as usize).map(one).collect()),
                }
            }
            _ => {
                if v.is_empty() {
                    Php::Null
                } else {
                    Php::Str(v.to_vec())
                }
            }
        }
    }

    /// `exif_process_IFD_in_MAKERNOTE`: PHP walks the notes of the makers it knows and gives
    /// up on the whole directory when it cannot.
    fn maker_note(&mut self, value: &[u8], value_len: u64, entry: &[u8]) -> bool {
        let make = self.make.clone();
        let Some(note) = MAKER_NOTES.iter().find(|m| {
            if make.as_deref() != Some(m.make.as_bytes()) {
                return false;
            }
            match m.id {
                Some(id) if value.len() >= m.id_len => strncmp_eq(id, value, m.id_len),
                _ => true,
            }
        }) else {
            return true;
        };
        if note.custom {
            return true;
        }
        let offset = note.offset as u64;
        if value_len < 2 || offset >= value_len - 1 {
            return false;
        }
        let old = self.little;
        if let Some(little) = note.order {
            self.little = little;
        }
        let Some(n) = self.u16(value, note.offset) else { return false };
        let n = u64::from(n);
        if 2 + n * 12 > value_len || offset > value_len - (2 + n * 12) {
            return false;
        }
        // where the note's value offsets count from
        let region = if note.maker_offsets {
            let Some(o) = (if old { util::le_u32(entry, 8) } else { util::be_u32(entry, 8) }) else {
                return false;
            };
            let start = if value_len > 4 { u64::from(o) } else { 0 };
            Some((start, value_len))
        } else {
            None
        };
        for i in 0..n as usize {
            let at = note.offset + 2 + i * 12;
            let Some(e) = value.get(at..at + 12) else { return false };
            if !self.entry(e, Section::MakerNote, false, region) {
                return false;
            }
        }
        self.little = old;
        true
    }
}

/// `strncmp(a, b, n) == 0` with `a` NUL-padded.
fn strncmp_eq(a: &[u8], b: &[u8], n: usize) -> bool {
    for i in 0..n {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0);
        if x != y {
            return false;
        }
        if x == 0 {
            return true;
        }
    }
    true
}

struct MakerNote {
    make: &'static str,
    id: Option<&'static [u8]>,
    id_len: usize,
    offset: usize,
    /// Some(true) Intel, Some(false) Motorola, None the file's order.
    order: Option<bool>,
    maker_offsets: bool,
    /// PHP does not walk it (DJI's debug info).
    custom: bool,
}

const fn mn(
    make: &'static str,
    id: Option<&'static [u8]>,
    id_len: usize,
    offset: usize,
    order: Option<bool>,
    maker_offsets: bool,
) -> MakerNote {
    MakerNote {
        make,
        id,
        id_len,
        offset,
        order,
        maker_offsets,
        custom: false,
    }
}

/// PHP 8.2's `maker_note_array`.
static MAKER_NOTES: &[MakerNote] = &[
    mn("Canon", None, 0, 0, Some(true), false),
    mn("CASIO", None, 0, 0, Some(false), false),
    mn("FUJIFILM", Some(b"FUJIFILM\x0C\x00\x00\x00"), 12, 12, Some(true), true),
    mn("NIKON", Some(b"Nikon\x00\x01\x00"), 8, 8, None, false),
    mn("NIKON", None, 0, 0, None, false),
    mn("OLYMPUS OPTICAL CO.,LTD", Some(b"OLYMP\x00\x01\x00"), 8, 8, None, false),
    mn("SAMSUNG", None, 0, 0, None, false),
    mn("Panasonic", Some(b"Panasonic\x00\x00\x00"), 12, 12, None, false),
    MakerNote {
        make: "DJI",
        id: Some(b"[ae_dbg_info:"),
        id_len: 13,
        offset: 13,
        order: Some(false),
        maker_offsets: false,
        custom: true,
    },
    mn("DJI", None, 0, 0, None, false),
    mn("SONY", Some(b"SONY DSC \x00\x00\x00"), 12, 12, None, false),
    mn("SONY", None, 0, 0, None, false),
    mn("PENTAX", Some(b"AOC\x00"), 6, 6, None, false),
    mn("Minolta, KONICA MINOLTA", None, 0, 0, None, false),
    mn("SIGMA, FOVEON", Some(b"SIGMA\x00\x00\x00"), 10, 10, None, false),
    mn("SIGMA, FOVEON", Some(b"FOVEON\x00\x00\x00"), 10, 10, None, false),
    mn("KYOCERA, CONTAX", Some(b"KYOCERA            \x00\x00\x00"), 22, 22, None, true),
    mn("RICOH", Some(b"Ricoh"), 5, 5, Some(false), false),
    mn("RICOH", Some(b"RICOH"), 5, 5, Some(false), false),
    mn("AGFA", Some(b"AGFA \x00\x01"), 8, 8, None, false),
    mn("EPSON", Some(b"EPSON\x00\x01\x00"), 8, 8, None, false),
];

fn section_kept(s: Section) -> bool {
    matches!(s, Section::Ifd0 | Section::Exif | Section::Gps)
}

/// PHP's name for a tag, limited to the names MediaWiki's tables hold (others are dropped).
fn tag_name(section: Section, tag: u16) -> Option<&'static str> {
    match section {
        Section::Gps => GPS_NAMES.iter().find(|(t, _)| *t == tag).map(|(_, n)| *n),
        Section::Ifd0 | Section::Exif => IFD_NAMES.iter().find(|(t, _)| *t == tag).map(|(_, n)| *n),
        _ => None,
    }
}

/// PHP's `tag_table_IFD` entries whose names MediaWiki's IFD0 and EXIF tables know.
static IFD_NAMES: &[(u16, &str)] = &[
    (0x0100, "ImageWidth"),
    (0x0101, "ImageLength"),
    (0x0102, "BitsPerSample"),
    (0x0103, "Compression"),
    (0x0106, "PhotometricInterpretation"),
    (0x010E, "ImageDescription"),
    (0x010F, "Make"),
    (0x0110, "Model"),
    (0x0111, "StripOffsets"),
    (0x0112, "Orientation"),
    (0x0115, "SamplesPerPixel"),
    (0x0116, "RowsPerStrip"),
    (0x0117, "StripByteCounts"),
    (0x011A, "XResolution"),
    (0x011B, "YResolution"),
    (0x011C, "PlanarConfiguration"),
    (0x0128, "ResolutionUnit"),
    (0x012D, "TransferFunction"),
    (0x0131, "Software"),
    (0x0132, "DateTime"),
    (0x013B, "Artist"),
    (0x013E, "WhitePoint"),
    (0x013F, "PrimaryChromaticities"),
    (0x0201, "JPEGInterchangeFormat"),
    (0x0202, "JPEGInterchangeFormatLength"),
    (0x0211, "YCbCrCoefficients"),
    (0x0212, "YCbCrSubSampling"),
    (0x0213, "YCbCrPositioning"),
    (0x0214, "ReferenceBlackWhite"),
    (0x828E, "CFAPattern"),
    (0x8298, "Copyright"),
    (0x829A, "ExposureTime"),
    (0x829D, "FNumber"),
    (0x8822, "ExposureProgram"),
    (0x8827, "ISOSpeedRatings"),
    (0x8828, "OECF"),
    (0x9000, "ExifVersion"),
    (0x9003, "DateTimeOriginal"),
    (0x9004, "DateTimeDigitized"),
    (0x9101, "ComponentsConfiguration"),
    (0x9102, "CompressedBitsPerPixel"),
    (0x9201, "ShutterSpeedValue"),
    (0x9202, "ApertureValue"),
    (0x9203, "BrightnessValue"),
    (0x9204, "ExposureBiasValue"),
    (0x9205, "MaxApertureValue"),
    (0x9206, "SubjectDistance"),
    (0x9207, "MeteringMode"),
    (0x9208, "LightSource"),
    (0x9209, "Flash"),
    (0x920A, "FocalLength"),
    (0x920B, "FlashEnergy"),
    (0x920C, "SpatialFrequencyResponse"),
    (0x920E, "FocalPlaneXResolution"),
    (0x920F, "FocalPlaneYResolution"),
    (0x9210, "FocalPlaneResolutionUnit"),
    (0x9214, "SubjectLocation"),
    (0x9215, "ExposureIndex"),
    (0x9217, "SensingMethod"),
    (0x927C, "MakerNote"),
    (0x9286, "UserComment"),
    (0x9290, "SubSecTime"),
    (0x9291, "SubSecTimeOriginal"),
    (0x9292, "SubSecTimeDigitized"),
    (0xA000, "FlashPixVersion"),
    (0xA001, "ColorSpace"),
    (0xA004, "RelatedSoundFile"),
    (0xA20B, "FlashEnergy"),
    (0xA20C, "SpatialFrequencyResponse"),
    (0xA20E, "FocalPlaneXResolution"),
    (0xA20F, "FocalPlaneYResolution"),
    (0xA210, "FocalPlaneResolutionUnit"),
    (0xA214, "SubjectLocation"),
    (0xA215, "ExposureIndex"),
    (0xA217, "SensingMethod"),
    (0xA300, "FileSource"),
    (0xA301, "SceneType"),
    (0xA302, "CFAPattern"),
    (0xA401, "CustomRendered"),
    (0xA402, "ExposureMode"),
    (0xA403, "WhiteBalance"),
    (0xA404, "DigitalZoomRatio"),
    (0xA405, "FocalLengthIn35mmFilm"),
    (0xA406, "SceneCaptureType"),
    (0xA407, "GainControl"),
    (0xA408, "Contrast"),
    (0xA409, "Saturation"),
    (0xA40A, "Sharpness"),
    (0xA40B, "DeviceSettingDescription"),
    (0xA40C, "SubjectDistanceRange"),
    (0xA420, "ImageUniqueID"),
];

/// PHP's `tag_table_GPS` (0x1B is `GPSProcessingMode` there, which MediaWiki does not know).
static GPS_NAMES: &[(u16, &str)] = &[
    (0x00, "GPSVersion"),
    (0x01, "GPSLatitudeRef"),
    (0x02, "GPSLatitude"),
    (0x03, "GPSLongitudeRef"),
    (0x04, "GPSLongitude"),
    (0x05, "GPSAltitudeRef"),
    (0x06, "GPSAltitude"),
    (0x07, "GPSTimeStamp"),
    (0x08, "GPSSatellites"),
    (0x09, "GPSStatus"),
    (0x0A, "GPSMeasureMode"),
    (0x0B, "GPSDOP"),
    (0x0C, "GPSSpeedRef"),
    (0x0D, "GPSSpeed"),
    (0x0E, "GPSTrackRef"),
    (0x0F, "GPSTrack"),
    (0x10, "GPSImgDirectionRef"),
    (0x11, "GPSImgDirection"),
    (0x12, "GPSMapDatum"),
    (0x13, "GPSDestLatitudeRef"),
    (0x14, "GPSDestLatitude"),
    (0x15, "GPSDestLongitudeRef"),
    (0x16, "GPSDestLongitude"),
    (0x17, "GPSDestBearingRef"),
    (0x18, "GPSDestBearing"),
    (0x19, "GPSDestDistanceRef"),
    (0x1A, "GPSDestDistance"),
    (0x1C, "GPSAreaInformation"),
    (0x1D, "GPSDateStamp"),
    (0x1E, "GPSDifferential"),
];

/// The TIFF structure at the start of `tiff` (a JPEG's APP1 block after `Exif\0\0`), as
/// `exif_process_TIFF_in_JPEG` reads it. None when PHP would not find IFD0.
pub fn read_block(tiff: &[u8]) -> Option<Raw> {
    let little = match tiff.get(0..2)? {
        b"II" => true,
        b"MM" => false,
        _ => return None,
    };
    read_from(Src::Mem(tiff), little, true)
}

/// The TIFF file's directories (`exif_process_IFD_in_TIFF`).
pub fn read_file(f: &mut File, size: u64) -> Option<Raw> {
    let head = util::read_at(f, 0, 2).ok()?;
    let little = match head.get(0..2)? {
        b"II" => true,
        b"MM" => false,
        _ => return None,
    };
    read_from(Src::File { f, size, read: 0 }, little, false)
}

fn read_from(src: Src<'_>, little: bool, jpeg: bool) -> Option<Raw> {
    let mut r = Reader {
        src,
        little,
        raw: Raw { little, ..Raw::default() },
        make: None,
        aperture_known: false,
        exposure_known: false,
        nesting: 0,
        entries: 0,
    };
    let head = r.src.get(0, 8)?;
    if r.u16(&head, 2)? != 0x2a {
        return None;
    }
    let first = r.u32(&head, 4)?;
    if first < 8 || (jpeg && u64::from(first) > r.src.len()) {
        return None;
    }
    // a JPEG keeps what was read before PHP gave up; a TIFF gets nothing (`_error`)
    let complete = r.ifd(u64::from(first), Section::Ifd0, 0);
    (complete || jpeg).then_some(r.raw)
}

// ------------------------------------------------------------------ Exif::validate

#[derive(Clone, Copy, PartialEq)]
enum T {
    Ascii,
    Short,
    Rational,
    ShortOrLong,
    Undefined,
    Srational,
    Ignore,
}

/// MediaWiki's `Exif::$mExifTags` for one section: (name, type, expected count).
fn expected(section: Section, name: &str) -> Option<(T, usize)> {
    use T::*;
    let table: &[(&str, T, usize)] = match section {
        Section::Ifd0 => &[
            ("ImageWidth", ShortOrLong, 1),
            ("ImageLength", ShortOrLong, 1),
            ("BitsPerSample", Short, 3),
            ("Compression", Short, 1),
            ("PhotometricInterpretation", Short, 1),
            ("Orientation", Short, 1),
            ("SamplesPerPixel", Short, 1),
            ("PlanarConfiguration", Short, 1),
            ("YCbCrSubSampling", Short, 2),
            ("YCbCrPositioning", Short, 1),
            ("XResolution", Rational, 1),
            ("YResolution", Rational, 1),
            ("ResolutionUnit", Short, 1),
            ("StripOffsets", ShortOrLong, 1),
            ("RowsPerStrip", ShortOrLong, 1),
            ("StripByteCounts", ShortOrLong, 1),
            ("JPEGInterchangeFormat", ShortOrLong, 1),
            ("JPEGInterchangeFormatLength", ShortOrLong, 1),
            ("TransferFunction", Ignore, 1),
            ("WhitePoint", Rational, 2),
            ("PrimaryChromaticities", Rational, 6),
            ("YCbCrCoefficients", Rational, 3),
            ("ReferenceBlackWhite", Rational, 6),
            ("DateTime", Ascii, 1),
            ("ImageDescription", Ascii, 1),
            ("Make", Ascii, 1),
            ("Model", Ascii, 1),
            ("Software", Ascii, 1),
            ("Artist", Ascii, 1),
            ("Copyright", Ascii, 1),
        ],
        Section::Exif => &[
            ("ExifVersion", Undefined, 1),
            ("FlashPixVersion", Undefined, 1),
            ("ColorSpace", Short, 1),
            ("ComponentsConfiguration", Undefined, 1),
            ("CompressedBitsPerPixel", Rational, 1),
            ("PixelYDimension", ShortOrLong, 1),
            ("PixelXDimension", ShortOrLong, 1),
            ("MakerNote", Ignore, 1),
            ("UserComment", Undefined, 1),
            ("RelatedSoundFile", Ascii, 1),
            ("DateTimeOriginal", Ascii, 1),
            ("DateTimeDigitized", Ascii, 1),
            ("SubSecTime", Ascii, 1),
            ("SubSecTimeOriginal", Ascii, 1),
            ("SubSecTimeDigitized", Ascii, 1),
            ("ExposureTime", Rational, 1),
            ("FNumber", Rational, 1),
            ("ExposureProgram", Short, 1),
            ("SpectralSensitivity", Ascii, 1),
            ("ISOSpeedRatings", Short, 1),
            ("OECF", Ignore, 1),
            ("ShutterSpeedValue", Srational, 1),
            ("ApertureValue", Rational, 1),
            ("BrightnessValue", Srational, 1),
            ("ExposureBiasValue", Srational, 1),
            ("MaxApertureValue", Rational, 1),
            ("SubjectDistance", Rational, 1),
            ("MeteringMode", Short, 1),
            ("LightSource", Short, 1),
            ("Flash", Short, 1),
            ("FocalLength", Rational, 1),
            ("SubjectArea", Short, 4),
            ("FlashEnergy", Rational, 1),
            ("SpatialFrequencyResponse", Ignore, 1),
            ("FocalPlaneXResolution", Rational, 1),
            ("FocalPlaneYResolution", Rational, 1),
            ("FocalPlaneResolutionUnit", Short, 1),
            ("SubjectLocation", Short, 2),
            ("ExposureIndex", Rational, 1),
            ("SensingMethod", Short, 1),
            ("FileSource", Undefined, 1),
            ("SceneType", Undefined, 1),
            ("CFAPattern", Ignore, 1),
            ("CustomRendered", Short, 1),
            ("ExposureMode", Short, 1),
            ("WhiteBalance", Short, 1),
            ("DigitalZoomRatio", Rational, 1),
            ("FocalLengthIn35mmFilm", Short, 1),
            ("SceneCaptureType", Short, 1),
            ("GainControl", Short, 1),
            ("Contrast", Short, 1),
            ("Saturation", Short, 1),
            ("Sharpness", Short, 1),
            ("DeviceSettingDescription", Ignore, 1),
            ("SubjectDistanceRange", Short, 1),
            ("ImageUniqueID", Ascii, 1),
        ],
        Section::Gps => &[
            ("GPSVersion", Undefined, 1),
            ("GPSLatitudeRef", Ascii, 1),
            ("GPSLatitude", Rational, 3),
            ("GPSLongitudeRef", Ascii, 1),
            ("GPSLongitude", Rational, 3),
            ("GPSAltitudeRef", Undefined, 1),
            ("GPSAltitude", Rational, 1),
            ("GPSTimeStamp", Rational, 3),
            ("GPSSatellites", Ascii, 1),
            ("GPSStatus", Ascii, 1),
            ("GPSMeasureMode", Ascii, 1),
            ("GPSDOP", Rational, 1),
            ("GPSSpeedRef", Ascii, 1),
            ("GPSSpeed", Rational, 1),
            ("GPSTrackRef", Ascii, 1),
            ("GPSTrack", Rational, 1),
            ("GPSImgDirectionRef", Ascii, 1),
            ("GPSImgDirection", Rational, 1),
            ("GPSMapDatum", Ascii, 1),
            ("GPSDestLatitudeRef", Ascii, 1),
            ("GPSDestLatitude", Rational, 3),
            ("GPSDestLongitudeRef", Ascii, 1),
            ("GPSDestLongitude", Rational, 3),
            ("GPSDestBearingRef", Ascii, 1),
            ("GPSDestBearing", Rational, 1),
            ("GPSDestDistanceRef", Ascii, 1),
            ("GPSDestDistance", Rational, 1),
            ("GPSProcessingMethod", Undefined, 1),
            ("GPSAreaInformation", Undefined, 1),
            ("GPSDateStamp", Ascii, 1),
            ("GPSDifferential", Short, 1),
        ],
        _ => return None,
    };
    table.iter().find(|(n, _, _)| *n == name).map(|&(_, t, c)| (t, c))
}

/// PHP's string form of a scalar (`(string)$v`, floats with `precision=14`).
pub fn php_str(v: &Php) -> Vec<u8> {
    match v {
        Php::Null => Vec::new(),
        Php::Int(i) => i.to_string().into_bytes(),
        Php::Float(f) => php_float_str(*f).into_bytes(),
        Php::Str(s) => s.clone(),
        Php::List(_) => b"Array".to_vec(),
    }
}

/// `(string)$float` with PHP's `precision=14` (`%.14G`).
pub fn php_float_str(f: f64) -> String {
    if f.is_nan() {
        return "NAN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "INF".into() } else { "-INF".into() };
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0".into() } else { "0".into() };
    }
    let e = format!("{:.13e}", f);
    let (mant, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if !(-5..15).contains(&exp) {
        let mant = mant.trim_end_matches('0').trim_end_matches('.');
        let mant = if mant.contains('.') {
            mant.to_string()
        } else {
            format!("{mant}.0")
        };
        return format!("{mant}E{}{}", if exp < 0 { '-' } else { '+' }, exp.abs());
    }
    let decimals = (13 - exp).max(0) as usize;
    let s = format!("{:.*}", decimals, f);
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// PHP 8's numeric-string value (whitespace around, sign, decimal or exponent), if numeric.
pub fn php_numeric(s: &[u8]) -> Option<f64> {
    let ws = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c);
    let start = s.iter().position(|b| !ws(b))?;
    let end = s.iter().rposition(|b| !ws(b)).map_or(start, |p| p + 1);
    let t = std::str::from_utf8(&s[start..end]).ok()?;
    let body = t.strip_prefix(['+', '-']).unwrap_or(t);
    let (mant, exp) = match body.find(['e', 'E']) {
        Some(p) => (&body[..p], Some(&body[p + 1..])),
        None => (body, None),
    };
    let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    if !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if let Some(e) = exp {
        let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
    }
    t.parse::<f64>().ok()
}

/// `sprintf('%d', $in) == $in` and the range test of `isByte`/`isShort`/`isLong`.
fn int_in(v: &Php, max: f64) -> bool {
    let n = match v {
        Php::Int(i) => *i as f64,
        Php::Float(f) => {
            if f.fract() != 0.0 || !f.is_finite() || f.abs() >= 9.2e18 {
                return false;
            }
            *f
        }
        Php::Str(s) => match php_numeric(s) {
            Some(f) if f.is_finite() && f.fract() == 0.0 && f.abs() < 9.2e18 => f,
            _ => return false,
        },
        _ => return false,
    };
    (0.0..=max).contains(&n)
}

fn is_ascii(v: &Php) -> bool {
    if matches!(v, Php::List(_)) {
        return false;
    }
    let s = php_str(v);
    if s.iter().any(|&b| b != b'\n' && !(0x20..=0x7e).contains(&b)) {
        return false;
    }
    !s.iter().all(|&b| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c))
}

/// `/^(-?\d+)\/(\d+[1-9]|[1-9]\d*)$/`: (numerator, denominator digits).
fn fraction(v: &Php, signed: bool) -> Option<(String, String)> {
    let Php::Str(s) = v else {
        // ints and floats never contain a slash
        return None;
    };
    let s = std::str::from_utf8(s).ok()?;
    let s = s.strip_suffix('\n').unwrap_or(s);
    let (n, d) = s.split_once('/')?;
    let digits = n.strip_prefix('-').filter(|_| signed).unwrap_or(n);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if d.is_empty() || !d.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let ok = (d.len() >= 2 && !d.ends_with('0')) || !d.starts_with('0');
    ok.then(|| (n.to_string(), d.to_string()))
}

fn digits_le(s: &str, max: f64) -> bool {
    s.parse::<f64>().is_ok_and(|f| f.abs() <= max)
}

const LONG_MAX: f64 = 4_294_967_296.0;

fn valid_scalar(t: T, v: &Php) -> bool {
    match t {
        T::Ascii => is_ascii(v),
        T::Short => int_in(v, 65536.0),
        T::ShortOrLong => int_in(v, LONG_MAX),
        T::Rational => fraction(v, false).is_some_and(|(n, d)| digits_le(&n, LONG_MAX) && digits_le(&d, LONG_MAX)),
        T::Undefined => true,
        // isSlong of the whole match and of the numerator: both read the numerator
        T::Srational => fraction(v, true).is_some_and(|(n, _)| digits_le(&n, LONG_MAX)),
        T::Ignore => false,
    }
}

/// `(float)$string`: the leading numeric part, 0 otherwise.
fn php_float_cast(s: &[u8]) -> f64 {
    let t = String::from_utf8_lossy(s);
    let t = t.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let mut end = 0;
    let b = t.as_bytes();
    if end < b.len() && (b[end] == b'+' || b[end] == b'-') {
        end += 1;
    }
    let mut best = 0;
    while end < b.len() && b[end].is_ascii_digit() {
        end += 1;
        best = end;
    }
    if end < b.len() && b[end] == b'.' {
        end += 1;
        while end < b.len() && b[end].is_ascii_digit() {
            end += 1;
            best = end;
        }
    }
    if best > 0 && end < b.len() && (b[end] == b'e' || b[end] == b'E') {
        let mut e = end + 1;
        if e < b.len() && (b[e] == b'+' || b[e] == b'-') {
            e += 1;
        }
        let ds = e;
        while e < b.len() && b[e].is_ascii_digit() {
            e += 1;
        }
        if e > ds {
            best = e;
        }
    }
    t[..best].parse::<f64>().unwrap_or(0.0)
}

/// `Exif::validate`.
fn validate(t: T, count: usize, v: &Php) -> bool {
    match v {
        Php::List(items) => {
            items.len() == count && (items.len() <= 1 || items.iter().all(|i| !matches!(i, Php::List(_)) && valid_scalar(t, i)))
        }
        Php::Null => true,
        other => valid_scalar(t, other),
    }
}

// ------------------------------------------------------------------ collapseData

/// A filtered value: PHP data, or the `ComponentsConfiguration` list with its `_type`.
#[derive(Debug, Clone, PartialEq)]
pub enum Out {
    Php(Php),
    Ordered(Vec<i64>),
}

/// `Exif::getFilteredData()` for what [`read_block`]/[`read_file`] returned.
pub fn filter(raw: &Raw) -> Vec<(String, Out)> {
    let mut d: Vec<(String, Php)> = Vec::new();
    let set = |d: &mut Vec<(String, Php)>, k: &str, v: Php| match d.iter_mut().find(|(n, _)| n == k) {
        Some(slot) => slot.1 = v,
        None => d.push((k.to_string(), v)),
    };
    for (section, list) in [(Section::Ifd0, &raw.ifd0), (Section::Exif, &raw.exif), (Section::Gps, &raw.gps)] {
        for (name, v) in list {
            if let Some((t, c)) = expected(section, name)
                && validate(t, c, v)
            {
                set(&mut d, name, v.clone());
            }
        }
    }
    let get = |d: &Vec<(String, Php)>, k: &str| d.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let unset = |d: &mut Vec<(String, Php)>, k: &str| d.retain(|(n, _)| n != k);
    let isset = |d: &Vec<(String, Php)>, k: &str| d.iter().any(|(n, v)| n == k && *v != Php::Null);

    for prop in ["GPSLatitude", "GPSDestLatitude", "GPSLongitude", "GPSDestLongitude"] {
        let rk = format!("{prop}Ref");
        let loc = get(&d, prop).filter(|v| *v != Php::Null);
        let dir = get(&d, &rk).map(|v| php_str(&v));
        let mut res: Option<Php> = None;
        if let (Some(loc), Some(dir)) = (loc, dir.clone())
            && matches!(dir.as_slice(), b"N" | b"S" | b"E" | b"W")
        {
            res = match &loc {
                Php::List(parts) if parts.len() == 3 => {
                    let mut acc = php_div(&parts[0]);
                    acc = add(acc, mul(php_div(&parts[1]), Php::Float(1.0 / 60.0)));
                    acc = add(acc, mul(php_div(&parts[2]), Php::Float(1.0 / 3600.0)));
                    Some(acc)
                }
                Php::Str(_) => Some(php_div(&loc)),
                _ => None,
            };
            if let Some(r) = &res
                && truthy(r)
                && matches!(dir.as_slice(), b"S" | b"W")
            {
                res = Some(mul(r.clone(), Php::Int(-1)));
            }
        }
        match res {
            Some(r) => {
                set(&mut d, prop, r);
                unset(&mut d, &rk);
            }
            None => {
                unset(&mut d, prop);
                unset(&mut d, &rk);
            }
        }
    }

    if isset(&d, "GPSAltitude") {
        let alt = get(&d, "GPSAltitude").unwrap_or(Php::Null);
        let mut v = php_div(&alt);
        let mut keep = true;
        if isset(&d, "GPSAltitudeRef") {
            let r = get(&d, "GPSAltitudeRef").unwrap_or(Php::Null);
            match r {
                Php::Str(s) if s == b"\0" => {}
                Php::Str(s) if s == b"\x01" => v = mul(v, Php::Int(-1)),
                _ => keep = false,
            }
        }
        if keep {
            set(&mut d, "GPSAltitude", v);
        } else {
            unset(&mut d, "GPSAltitude");
        }
    }
    unset(&mut d, "GPSAltitudeRef");

    for prop in ["FileSource", "SceneType"] {
        if isset(&d, prop) {
            let s = php_str(&get(&d, prop).unwrap_or(Php::Null));
            set(&mut d, prop, Php::Int(i64::from(s.first().copied().unwrap_or(0))));
        }
    }

    for prop in ["UserComment", "GPSProcessingMethod", "GPSAreaInformation"] {
        if isset(&d, prop) {
            let s = php_str(&get(&d, prop).unwrap_or(Php::Null));
            match char_code_string(&s, raw.little) {
                Some(v) => set(&mut d, prop, Php::Str(v.into_bytes())),
                None => unset(&mut d, prop),
            }
        }
    }

    let mut out: Vec<(String, Out)> = Vec::with_capacity(d.len() + 1);
    let mut gps_version = None;
    for (k, v) in d {
        if k == "ComponentsConfiguration" && v != Php::Null {
            out.push((k, Out::Ordered(php_str(&v).iter().map(|&b| i64::from(b)).collect())));
        } else if k == "GPSVersion" {
            if v != Php::Null {
                let s = php_str(&v).iter().map(|b| b.to_string()).collect::<Vec<_>>().join(".");
                gps_version = Some(if raw.little { s.chars().rev().collect() } else { s });
            }
        } else {
            out.push((k, Out::Php(v)));
        }
    }
    if let Some(g) = gps_version {
        out.push(("GPSVersionID".into(), Out::Php(Php::Str(g.into_bytes()))));
    }
    out
}

fn truthy(v: &Php) -> bool {
    match v {
        Php::Int(i) => *i != 0,
        Php::Float(f) => *f != 0.0,
        Php::Null => false,
        Php::Str(s) => !(s.is_empty() || s == b"0"),
        Php::List(l) => !l.is_empty(),
    }
}

/// `[$num, $denom] = explode('/', $v, 2); (int)$num / (int)$denom` (validated: denom > 0).
fn php_div(v: &Php) -> Php {
    let s = php_str(v);
    let text = String::from_utf8_lossy(&s);
    let (n, d) = text.split_once('/').unwrap_or((&text, "1"));
    let n = php_int_cast(n);
    let d = php_int_cast(d);
    if d == 0 {
        return Php::Int(0);
    }
    if n % d == 0 {
        Php::Int(n / d)
    } else {
        Php::Float(n as f64 / d as f64)
    }
}

fn php_int_cast(s: &str) -> i64 {
    let f = php_float_cast(s.as_bytes());
    if f.is_finite() {
        f.trunc().clamp(i64::MIN as f64, i64::MAX as f64) as i64
    } else {
        0
    }
}

fn as_f64(v: &Php) -> f64 {
    match v {
        Php::Int(i) => *i as f64,
        Php::Float(f) => *f,
        _ => 0.0,
    }
}

fn mul(a: Php, b: Php) -> Php {
    match (&a, &b) {
        (Php::Int(x), Php::Int(y)) => x.checked_mul(*y).map_or(Php::Float(*x as f64 * *y as f64), Php::Int),
        _ => Php::Float(as_f64(&a) * as_f64(&b)),
    }
}

fn add(a: Php, b: Php) -> Php {
    match (&a, &b) {
        (Php::Int(x), Php::Int(y)) => x.checked_add(*y).map_or(Php::Float(*x as f64 + *y as f64), Php::Int),
        _ => Php::Float(as_f64(&a) + as_f64(&b)),
    }
}

/// `Exif::charCodeString`: None when MediaWiki drops the value.
fn char_code_string(s: &[u8], little: bool) -> Option<String> {
    if s.len() <= 8 {
        return None;
    }
    let (code, val) = s.split_at(8);
    let text = match code {
        b"JIS\0\0\0\0\0" => shift_jis_lossy(val),
        b"UNICODE\0" => {
            let units = val.chunks_exact(2).map(|c| {
                if little {
                    u16::from_le_bytes([c[0], c[1]])
                } else {
                    u16::from_be_bytes([c[0], c[1]])
                }
            });
            // iconv //IGNORE drops what it cannot convert (unpaired surrogates)
            char::decode_utf16(units).filter_map(Result::ok).collect()
        }
        _ => match std::str::from_utf8(val) {
            Ok(t) => t.to_string(),
            Err(_) => cp1252_to_string(val),
        },
    };
    let t = util::php_trim_str(&text);
    (!t.is_empty()).then(|| t.to_string())
}

/// Shift-JIS's single-byte part (ASCII with yen sign and overline, half-width katakana);
/// double-byte characters are dropped (no conversion table here).
fn shift_jis_lossy(b: &[u8]) -> String {
    let mut s = String::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match c {
            0x5C => s.push('\u{A5}'),
            0x7E => s.push('\u{203E}'),
            0x00..=0x7F => s.push(c as char),
            0xA1..=0xDF => s.push(char::from_u32(0xFF61 + u32::from(c - 0xA1)).unwrap_or('\u{FFFD}')),
            0x81..=0x9F | 0xE0..=0xFC => i += 1,
            _ => {}
        }
        i += 1;
    }
    s
}

/// MediaWiki's output cleanup of a string (`UtfNormal\Validator::cleanUp`): invalid UTF-8 and
/// control characters other than tab, newline and carriage return become U+FFFD; then NFC.
pub fn clean_string(b: &[u8]) -> String {
    let s = String::from_utf8_lossy(b);
    let s: String = s
        .chars()
        .map(|c| {
            if (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || c == '\u{FFFE}' || c == '\u{FFFF}' {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect();
    s.nfc().collect()
}

/// A PHP value as imageinfo shows it.
pub fn php_json(v: &Php) -> Value {
    match v {
        Php::Null => Value::Null,
        Php::Int(i) => Value::from(*i),
        Php::Float(f) => {
            if f.is_finite() {
                duration_value(*f)
            } else {
                Value::from(0)
            }
        }
        Php::Str(s) => Value::from(clean_string(s)),
        Php::List(items) => Value::Array(items.iter().enumerate().map(|(i, x)| nv(i as u64, php_json(x))).collect()),
    }
}

/// The filtered data as imageinfo `metadata` pairs.
pub fn to_metadata(filtered: &[(String, Out)]) -> Vec<(String, Value)> {
    filtered
        .iter()
        .map(|(k, v)| {
            let value = match v {
                Out::Php(p) => php_json(p),
                Out::Ordered(items) => {
                    let mut list: Vec<Value> = items.iter().enumerate().map(|(i, x)| nv(i as u64, Value::from(*x))).collect();
                    list.push(nv("_type", Value::from("ol")));
                    Value::Array(list)
                }
            };
            (k.clone(), value)
        })
        .collect()
}

/// The EXIF `Orientation` MediaWiki rotates by (`getRotationForExifFromOrientation`, a loose
/// PHP comparison): 90 or 270 swap width and height.
pub fn rotation(filtered: &[(String, Out)]) -> u32 {
    let Some((_, Out::Php(v))) = filtered.iter().find(|(k, _)| k == "Orientation") else {
        return 0;
    };
    let n = match v {
        Php::Int(i) => *i as f64,
        Php::Float(f) => *f,
        Php::Str(s) => php_numeric(s).unwrap_or(f64::NAN),
        _ => f64::NAN,
    };
    if n == 8.0 {
        90
    } else if n == 3.0 {
        180
    } else if n == 6.0 {
        270
    } else {
        0
    }
}

/// A filtered integer value (`$meta['ImageWidth'] ?? 0` stored as an integer).
pub fn int_value(filtered: &[(String, Out)], key: &str) -> u32 {
    match filtered.iter().find(|(k, _)| k == key) {
        Some((_, Out::Php(Php::Int(i)))) => u32::try_from(*i).unwrap_or(0),
        Some((_, Out::Php(Php::Float(f)))) => *f as u32,
        Some((_, Out::Php(Php::Str(s)))) => php_int_cast(&String::from_utf8_lossy(s)).clamp(0, u32::MAX as i64) as u32,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> Php {
        Php::Str(x.as_bytes().to_vec())
    }

    #[test]
    fn rationals_validate_like_mediawiki() {
        assert!(validate(T::Rational, 1, &s("72/1")));
        assert!(validate(T::Rational, 1, &s("3000000000/1")));
        assert!(!validate(T::Rational, 1, &s("72/0")));
        assert!(!validate(T::Rational, 1, &s("1/010")));
        assert!(validate(T::Rational, 1, &s("1/01")));
        assert!(!validate(T::Rational, 1, &Php::Int(4)));
        assert!(!validate(T::Rational, 1, &s("-1/3")));
        assert!(validate(T::Srational, 1, &s("-1/3")));
        assert!(!validate(T::Srational, 1, &s("1/-3")));
        assert!(!validate(T::Rational, 3, &Php::List(vec![s("1/1"), s("2/1")])));
        assert!(validate(T::Rational, 3, &s("1/1")), "one value where three are expected passes");
    }

    #[test]
    fn loose_integer_checks() {
        assert!(validate(T::Short, 1, &s("6")));
        assert!(validate(T::Short, 1, &s(" 6")));
        assert!(!validate(T::Short, 1, &s("6a")));
        assert!(!validate(T::Short, 1, &Php::Int(-2)));
        assert!(!validate(T::Short, 1, &Php::Int(70000)));
        assert!(validate(T::Short, 1, &Php::Int(65536)));
        assert!(validate(T::Short, 1, &Php::Float(3.0)));
        assert!(!validate(T::Short, 1, &Php::Float(3.5)));
        assert!(validate(T::Ascii, 1, &Php::Int(5)));
        assert!(!validate(T::Ascii, 1, &s("   ")));
        assert!(!validate(T::Ascii, 1, &s("caf\u{e9}")));
        assert!(validate(T::Ascii, 1, &s("a\nb")));
        assert!(validate(T::Ascii, 1, &Php::Null));
        assert!(!validate(T::Ignore, 1, &s("x")));
    }

    #[test]
    fn gps_to_signed_degrees() {
        let raw = Raw {
            gps: vec![
                ("GPSLatitudeRef", s("S")),
                ("GPSLatitude", Php::List(vec![s("48/1"), s("51/1"), s("2970/100")])),
                ("GPSLongitudeRef", s("E")),
                ("GPSLongitude", Php::List(vec![s("0/1"), s("0/1"), s("0/1")])),
                ("GPSAltitudeRef", Php::Str(vec![1])),
                ("GPSAltitude", s("12345/100")),
                ("GPSVersion", Php::Str(vec![2, 2, 0, 0])),
            ],
            little: true,
            ..Raw::default()
        };
        let f = to_metadata(&filter(&raw));
        assert_eq!(
            serde_json::to_string(&f).unwrap(),
            r#"[["GPSLatitude",-48.85825],["GPSLongitude",0],["GPSAltitude",-123.45],["GPSVersionID","0.0.2.2"]]"#
        );
    }

    #[test]
    fn user_comment_charsets() {
        assert_eq!(char_code_string(b"ASCII\0\0\0 hi  ", false).as_deref(), Some("hi"));
        assert_eq!(char_code_string(b"ASCII\0\0\0Caf\xe9", false).as_deref(), Some("Caf\u{e9}"));
        assert_eq!(char_code_string(b"UNICODE\0\0h\0i", false).as_deref(), Some("hi"));
        assert_eq!(char_code_string(b"UNICODE\0h\0i\0", true).as_deref(), Some("hi"));
        assert_eq!(char_code_string(b"ASCII\0\0\0   ", false), None);
        assert_eq!(char_code_string(b"ASCII\0\0\0", false), None);
    }

    #[test]
    fn php_float_strings() {
        assert_eq!(php_float_str(2.2844444444444445), "2.2844444444444");
        assert_eq!(php_float_str(48.85825), "48.85825");
        assert_eq!(php_float_str(3.0), "3");
        assert_eq!(php_float_str(1e20), "1.0E+20");
        assert_eq!(php_float_str(0.0001), "0.0001");
    }

    #[test]
    fn hostile_blocks_do_not_panic() {
        // IFD pointing at itself through the Exif pointer; truncated directories; huge counts
        let mut b = b"MM\0*\0\0\0\x08\0\x02\x87\x69\0\x04\0\0\0\x01\0\0\0\x08\x01\x0f\0\x02\xff\xff\xff\xff\0\0\0\0".to_vec();
        let _ = read_block(&b);
        b.truncate(20);
        let _ = read_block(&b);
        for n in 0..b.len() {
            let _ = read_block(&b[..n]);
        }
    }
}
