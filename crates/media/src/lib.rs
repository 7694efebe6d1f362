//! Media module: content sniffing, size/metadata extraction and upload content verification,
//! re-implementing what MediaWiki 1.39 does in `MimeAnalyzer`, `MWFileProps`, the media
//! handlers and `UploadBase::verifyFile`.
//!
//! * [`analyze`] answers "what are these bytes" from the content alone (MediaWiki's
//!   `file-mime` plus the handler's size and metadata).
//! * [`MediaInfo::for_extension`] applies MediaWiki's `improveTypeFromExtension` for the
//!   final file name; that is the `mime`/`mediatype` imageinfo reports (random bytes named
//!   `.txt` become `text/plain`, as in refwiki transcript 51).
//! * [`verify_content`] runs the content checks of `verifyPartialFile` + `verifyFile`.
//!
//! Memory use is bounded whatever the file size: only headers, bounded prefixes/tails and
//! streamed XML are read.

use std::fs::File;
use std::io::{self, Seek, SeekFrom};
use std::path::Path;

use serde_json::Value;

mod exif;
mod gif;
mod ie;
mod jpeg;
pub mod mime;
mod pdf;
mod png;
mod script;
mod sniff;
mod svg;
mod tiff;
mod util;
mod webp;
mod xml;

pub use mime::{canonical_extension, extensions_for_mime, mimes_for_extension, serving_mime_for_extension};

/// What the bytes are, as MediaWiki's imageinfo reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaInfo {
    /// MIME type detected from the content (MediaWiki's `file-mime`, aliases resolved), e.g.
    /// `image/png`, `text/plain`, `application/zip`, `unknown/unknown` for unrecognised bytes.
    /// Use [`MediaInfo::for_extension`] for the type MediaWiki finally records.
    pub mime: String,
    /// MediaWiki `MEDIATYPE_*`.
    pub media_type: &'static str,
    /// 0 when not applicable (MediaWiki reports 0).
    pub width: u32,
    pub height: u32,
    /// imageinfo `bitdepth` (PNG: IHDR bit depth; GIF: bits of the last colour table
    /// descriptor; JPEG: sample precision; BMP: bits per pixel; 0 otherwise).
    pub bitdepth: u32,
    /// Page count (PDF).
    pub page_count: Option<u32>,
    /// imageinfo `metadata` as MediaWiki 1.39 returns it: `(name, value)` pairs where nested
    /// values are already lists of `{"name":…, "value":…}` objects. Empty means `null`.
    pub metadata: Vec<(String, Value)>,
}

impl MediaInfo {
    /// The info MediaWiki records for this content stored under a name ending in `.{ext}`
    /// (`MimeAnalyzer::improveTypeFromExtension`): e.g. unrecognised bytes named `.txt`
    /// become `text/plain`/`TEXT`, an OOXML zip named `.docx` gets the Word type.
    pub fn for_extension(&self, ext: &str) -> MediaInfo {
        let refined = mime::improve_type_from_extension(&self.mime, ext).unwrap_or_else(|| "unknown/unknown".into());
        if refined == self.mime {
            return self.clone();
        }
        MediaInfo {
            media_type: mime::media_type_for(&refined, &[]),
            mime: refined,
            ..self.clone()
        }
    }

    /// imageinfo `metadata` as JSON: a list of `{"name", "value"}` objects, or `null`.
    pub fn metadata_json(&self) -> Value {
        if self.metadata.is_empty() {
            Value::Null
        } else {
            util::nv_list(&self.metadata)
        }
    }
}

/// The EXIF metadata MediaWiki stores for a JPEG's APP1 `Exif` block (`tiff`: the bytes after
/// `Exif\0\0`), without the format version: `(name, value)` pairs as in
/// [`MediaInfo::metadata`]. Empty when PHP's reader finds nothing. (Exposed for fuzzing.)
pub fn exif_block_metadata(tiff: &[u8]) -> Vec<(String, Value)> {
    exif::read_block(tiff)
        .map(|raw| exif::to_metadata(&exif::filter(&raw)))
        .unwrap_or_default()
}

/// Sniff type + dimensions + metadata. Reads only what it needs (bounded memory).
pub fn analyze(path: &Path) -> io::Result<MediaInfo> {
    let mut f = File::open(path)?;
    let size = f.metadata()?.len();
    let sniffed = sniff::guess(path, &mut f, size)?;
    let mut info = MediaInfo {
        media_type: mime::media_type_for(&sniffed.mime, &sniffed.head),
        mime: sniffed.mime,
        width: 0,
        height: 0,
        bitdepth: 0,
        page_count: None,
        metadata: Vec::new(),
    };
    f.seek(SeekFrom::Start(0))?;
    match info.mime.as_str() {
        "image/png" => {
            let p = png::parse(&mut f, size);
            (info.width, info.height, info.bitdepth, info.metadata) = (p.width, p.height, p.bits, p.metadata);
        }
        "image/gif" => {
            let g = gif::parse(&mut f, size);
            (info.width, info.height, info.bitdepth, info.metadata) = (g.width, g.height, g.bits, g.metadata);
        }
        "image/jpeg" => {
            let j = jpeg::parse(&mut f, size);
            (info.width, info.height, info.bitdepth, info.metadata) = (j.width, j.height, j.bits, j.metadata);
        }
        "image/webp" => {
            let w = webp::parse(&mut f, size);
            (info.width, info.height, info.metadata) = (w.width, w.height, w.metadata);
        }
        "image/tiff" => {
            // TiffHandler: size and metadata both come from the filtered EXIF data
            let filtered = exif::read_file(&mut f, size).map(|raw| exif::filter(&raw)).unwrap_or_default();
            if filtered.is_empty() {
                info.metadata = vec![("_error".into(), Value::from("-1"))];
            } else {
                (info.width, info.height) = (exif::int_value(&filtered, "ImageWidth"), exif::int_value(&filtered, "ImageLength"));
                if matches!(exif::rotation(&filtered), 90 | 270) {
                    std::mem::swap(&mut info.width, &mut info.height);
                }
                info.metadata = exif::to_metadata(&filtered);
                info.metadata.push(("MEDIAWIKI_EXIF_VERSION".into(), Value::from(2)));
            }
        }
        "image/x-bmp" => {
            if let Some((w, h, bits)) = sniff::bmp_dims(&sniffed.head) {
                (info.width, info.height, info.bitdepth) = (w, h, bits);
            }
        }
        "image/svg+xml" => {
            let s = svg::parse(&mut f);
            (info.width, info.height, info.metadata) = (s.width, s.height, s.metadata);
        }
        "application/pdf" => {
            let p = pdf::parse(&mut f, size);
            (info.width, info.height, info.page_count) = (p.width, p.height, p.pages);
        }
        _ => {}
    }
    Ok(info)
}

/// Why content verification rejected a file: MediaWiki's `verification-error` `details`
/// array (message key first, then its parameters) and the English `info` text.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejection {
    pub details: Vec<String>,
    pub info: String,
}

impl Rejection {
    fn new(details: Vec<String>) -> Self {
        let info = message_text(&details);
        Rejection { details, info }
    }
}

#[derive(Debug, Clone)]
pub struct VerifyConfig {
    /// `$wgVerifyMimeType` (true)
    pub verify_mime_type: bool,
    /// `$wgVerifyMimeTypeIE` (true): also refuse what Internet Explorer would sniff as an
    /// excluded type.
    pub verify_mime_type_ie: bool,
    /// `$wgMimeTypeExclusions` (spec §4.2)
    pub mime_type_exclusions: Vec<String>,
    /// `$wgDisableUploadScriptChecks` (false)
    pub disable_script_checks: bool,
}

impl Default for VerifyConfig {
    fn default() -> Self {
        VerifyConfig {
            verify_mime_type: true,
            verify_mime_type_ie: true,
            mime_type_exclusions: mime::DEFAULT_MIME_TYPE_EXCLUSIONS.iter().map(|s| s.to_string()).collect(),
            disable_script_checks: false,
        }
    }
}

/// MediaWiki's `verifyPartialFile`: the checks that make sense on part of a file (MediaWiki
/// runs them on every chunk of a chunked upload, and on a whole file before [`verify_content`]'s
/// own): `filetype-badmime` on the content type, `filetype-bad-ie-mime` (what Internet Explorer
/// would sniff from the first 256 bytes), `uploadscripted` and the SVG scans (a partial scan:
/// a file that is not well-formed XML passes). `info` is what [`analyze`] returned for `path`;
/// `final_ext` is the extension the file is checked against (case preserved).
pub fn verify_partial(path: &Path, info: &MediaInfo, final_ext: &str, cfg: &VerifyConfig) -> Result<(), Rejection> {
    partial_checks(path, info, final_ext, cfg).map(|_| ())
}

/// [`verify_partial`], keeping the SVG scan for the whole-file checks.
fn partial_checks(path: &Path, info: &MediaInfo, final_ext: &str, cfg: &VerifyConfig) -> Result<Option<xml::ScanResult>, Rejection> {
    let io_fail = |_e: io::Error| Rejection::new(vec!["uploadcorrupt".into()]);
    let file_mime = info.mime.as_str();
    let ext_lower = final_ext.to_ascii_lowercase();

    // verifyMimeType: MIME type exclusions on the content type
    if cfg.verify_mime_type {
        let lower = file_mime.to_ascii_lowercase();
        if cfg.mime_type_exclusions.contains(&lower) {
            return Err(Rejection::new(vec!["filetype-badmime".into(), file_mime.into()]));
        }
    }
    // verifyMimeType, continued: what Internet Explorer would sniff from the first 256 bytes.
    if cfg.verify_mime_type && cfg.verify_mime_type_ie {
        let mut head = [0u8; 256];
        let n = read_head(path, &mut head).map_err(io_fail)?;
        let proposed = mime::mime_for_extension(&ext_lower).unwrap_or("");
        for t in ie::real_mimes_from_data(&head[..n], proposed) {
            if cfg.mime_type_exclusions.contains(&t.to_ascii_lowercase()) {
                return Err(Rejection::new(vec!["filetype-bad-ie-mime".into(), t]));
            }
        }
    }
    let mut svg_scan: Option<xml::ScanResult> = None;
    if !cfg.disable_script_checks {
        if script::detect_script(path, file_mime, &ext_lower).map_err(io_fail)? {
            return Err(Rejection::new(vec!["uploadscripted".into()]));
        }
        if ext_lower == "svg" || file_mime == "image/svg+xml" {
            let scan = xml::scan_file(path, true).map_err(io_fail)?;
            // a partial scan only reports problems of well-formed files
            if scan.well_formed
                && let Some(details) = svg_verdict(&scan)
            {
                return Err(Rejection::new(details));
            }
            svg_scan = Some(scan);
        }
    }
    Ok(svg_scan)
}

/// MediaWiki's `verifyFile` content checks in MediaWiki's order: [`verify_partial`]'s
/// (`filetype-badmime`, `filetype-bad-ie-mime`, `uploadscripted`, SVG scans), then
/// `filetype-mime-mismatch`, the full SVG checks and a handler check.
/// `info` must be what [`analyze`] returned (content-based `mime`); `final_ext` is the final
/// extension as typed (case preserved).
pub fn verify_content(path: &Path, info: &MediaInfo, final_ext: &str, cfg: &VerifyConfig) -> Result<(), Rejection> {
    let io_fail = |_e: io::Error| Rejection::new(vec!["uploadcorrupt".into()]);
    let file_mime = info.mime.as_str();
    let ext_lower = final_ext.to_ascii_lowercase();
    let svg_scan = partial_checks(path, info, final_ext, cfg)?;

    // verifyFile: extension vs. refined MIME type
    let refined = mime::improve_type_from_extension(file_mime, final_ext);
    if cfg.verify_mime_type && !final_ext.is_empty() && !mime::verify_extension(refined.as_deref(), final_ext) {
        let shown = refined.clone().unwrap_or_else(|| "unknown/unknown".into());
        return Err(Rejection::new(vec!["filetype-mime-mismatch".into(), final_ext.into(), shown]));
    }
    let refined = refined.unwrap_or_else(|| "unknown/unknown".into());

    if !cfg.disable_script_checks && (ext_lower == "svg" || refined == "image/svg+xml") {
        let scan = match svg_scan {
            Some(s) => s,
            None => xml::scan_file(path, true).map_err(io_fail)?,
        };
        if !scan.well_formed {
            return Err(Rejection::new(vec!["uploadinvalidxml".into()]));
        }
        if let Some(details) = svg_verdict(&scan) {
            return Err(Rejection::new(details));
        }
    }

    // MediaHandler::verifyUpload accepts every bitmap 1.39 handles: a damaged image that was
    // recognised is stored as 0×0 with `_error` metadata, as MediaWiki stores it.
    Ok(())
}

/// Up to `buf.len()` bytes from the start of the file.
fn read_head(path: &Path, buf: &mut [u8]) -> io::Result<usize> {
    use std::io::Read;
    let mut f = File::open(path)?;
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// `detectScriptInSvg` result for a well-formed scan.
fn svg_verdict(scan: &xml::ScanResult) -> Option<Vec<String>> {
    scan.hit.as_ref()?;
    if let Some(ns) = &scan.ns_error {
        return Some(vec!["uploadscriptednamespace".into(), ns.clone()]);
    }
    scan.hit.clone()
}

/// English text of a verification message (MediaWiki's `languages/i18n/en.json`).
fn message_text(details: &[String]) -> String {
    let p = |i: usize| details.get(i).map(String::as_str).unwrap_or("");
    match p(0) {
        "filetype-badmime" => format!("Files of the MIME type \"{}\" are not allowed to be uploaded.", p(1)),
        "filetype-bad-ie-mime" => format!(
            "Cannot upload this file because Internet Explorer would detect it as \"{}\", which is a disallowed and potentially dangerous file type.",
            p(1)
        ),
        "filetype-mime-mismatch" => {
            format!(
                "File extension \".{}\" does not match the detected MIME type of the file ({}).",
                p(1),
                p(2)
            )
        }
        "uploadscripted" => "This file contains HTML or script code that may be erroneously interpreted by a web browser.".into(),
        "uploadinvalidxml" => "The XML in the uploaded file could not be parsed.".into(),
        "uploadcorrupt" => "The file is corrupt or has an incorrect extension. Please check the file and upload again.".into(),
        "uploadscriptednamespace" => format!("This SVG file contains an illegal namespace \"{}\".", p(1)),
        "upload-scripted-pi-callback" => "Cannot upload a file that contains XML-stylesheet processing instruction.".into(),
        "upload-scripted-dtd" => "Cannot upload SVG files that contain a non-standard DTD declaration.".into(),
        "uploaded-script-svg" => format!("Found scriptable element \"{}\" in the uploaded SVG file.", p(1)),
        "uploaded-hostile-svg" => "Found unsafe CSS in the style element of uploaded SVG file.".into(),
        "uploaded-event-handler-on-svg" => {
            format!(
                "Setting event-handler attributes <code>{}=\"{}\"</code> is not allowed in SVG files.",
                p(1),
                p(2)
            )
        }
        "uploaded-href-attribute-svg" => format!(
            "<a> elements can only link (href) to data: (embedded file), http:// or https://, or fragment (#, same-document) targets. For other elements, such as <image>, only data: and fragment are allowed. Try embedding images when exporting your SVG. Found <code>&lt;{} {}=\"{}\"&gt;</code>.",
            p(1),
            p(2),
            p(3)
        ),
        "uploaded-href-unsafe-target-svg" => format!(
            "Found href to unsafe data: URI target <code>&lt;{} {}=\"{}\"&gt;</code> in the uploaded SVG file.",
            p(1),
            p(2),
            p(3)
        ),
        "uploaded-animate-svg" => format!(
            "Found \"animate\" tag that might be changing href, using the \"from\" attribute <code>&lt;{} {}=\"{}\"&gt;</code> in the uploaded SVG file.",
            p(1),
            p(2),
            p(3)
        ),
        "uploaded-setting-event-handler-svg" => format!(
            "Setting event-handler attributes is blocked, found <code>&lt;{} {}=\"{}\"&gt;</code> in the uploaded SVG file.",
            p(1),
            p(2),
            p(3)
        ),
        "uploaded-setting-href-svg" => "Using the \"set\" tag to add \"href\" attribute to parent element is blocked.".into(),
        "uploaded-wrong-setting-svg" => format!(
            "Using the \"set\" tag to add a remote/data/script target to any attribute is blocked. Found <code>&lt;set to=\"{}\"&gt;</code> in the uploaded SVG file.",
            p(1)
        ),
        "uploaded-setting-handler-svg" => format!(
            "SVG that sets the \"handler\" attribute with remote/data/script is blocked. Found <code>{}=\"{}\"</code> in the uploaded SVG file.",
            p(1),
            p(2)
        ),
        "uploaded-remote-url-svg" => format!(
            "SVG that sets any style attribute with remote URL is blocked. Found <code>{}=\"{}\"</code> in the uploaded SVG file.",
            p(1),
            p(2)
        ),
        "uploaded-image-filter-svg" => format!(
            "Found image filter with URL: <code>&lt;{} {}=\"{}\"&gt;</code> in the uploaded SVG file.",
            p(1),
            p(2),
            p(3)
        ),
        other => format!("File verification failed ({other})."),
    }
}

#[cfg(test)]
mod tests;
