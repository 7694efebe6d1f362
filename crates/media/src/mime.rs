//! MediaWiki's MIME map (`includes/libs/mime/MimeMap.php`) and the parts of
//! `MimeAnalyzer` that only look at MIME strings and extensions.

use std::collections::HashMap;
use std::sync::OnceLock;

/// `MimeMap::MIME_EXTENSIONS`, in MediaWiki's order (the order decides the
/// canonical extension of a type and the canonical type of an extension).
static MIME_EXTENSIONS: &[(&str, &[&str])] = &[
    ("application/ogg", &["ogx", "ogg", "ogm", "ogv", "oga", "spx", "opus"]),
    ("application/pdf", &["pdf"]),
    ("application/vnd.oasis.opendocument.chart", &["odc"]),
    ("application/vnd.oasis.opendocument.chart-template", &["otc"]),
    ("application/vnd.oasis.opendocument.database", &["odb"]),
    ("application/vnd.oasis.opendocument.formula", &["odf"]),
    ("application/vnd.oasis.opendocument.formula-template", &["otf"]),
    ("application/vnd.oasis.opendocument.graphics", &["odg"]),
    ("application/vnd.oasis.opendocument.graphics-template", &["otg"]),
    ("application/vnd.oasis.opendocument.image", &["odi"]),
    ("application/vnd.oasis.opendocument.image-template", &["oti"]),
    ("application/vnd.oasis.opendocument.presentation", &["odp"]),
    ("application/vnd.oasis.opendocument.presentation-template", &["otp"]),
    ("application/vnd.oasis.opendocument.spreadsheet", &["ods"]),
    ("application/vnd.oasis.opendocument.spreadsheet-template", &["ots"]),
    ("application/vnd.oasis.opendocument.text", &["odt"]),
    ("application/vnd.oasis.opendocument.text-master", &["otm", "odm"]),
    ("application/vnd.oasis.opendocument.text-template", &["ott"]),
    ("application/vnd.oasis.opendocument.text-web", &["oth"]),
    ("application/javascript", &["js"]),
    ("application/x-shockwave-flash", &["swf"]),
    ("audio/midi", &["mid", "midi", "kar"]),
    ("audio/mpeg", &["mpga", "mpa", "mp2", "mp3"]),
    ("audio/x-aiff", &["aif", "aiff", "aifc"]),
    ("audio/x-wav", &["wav"]),
    ("audio/ogg", &["oga", "spx", "ogg", "opus"]),
    ("audio/opus", &["opus", "ogg", "oga", "spx"]),
    ("image/x-bmp", &["bmp"]),
    ("image/gif", &["gif"]),
    ("image/jpeg", &["jpeg", "jpg", "jpe"]),
    ("image/png", &["png", "apng"]),
    ("image/svg+xml", &["svg"]),
    ("image/svg", &["svg"]),
    ("image/tiff", &["tiff", "tif"]),
    ("image/vnd.djvu", &["djvu", "djv"]),
    ("image/x.djvu", &["djvu"]),
    ("image/x-djvu", &["djvu"]),
    ("image/x-portable-pixmap", &["ppm"]),
    ("image/x-xcf", &["xcf"]),
    ("text/plain", &["txt"]),
    ("text/html", &["html", "htm"]),
    ("video/ogg", &["ogv", "ogm", "ogg"]),
    ("video/mpeg", &["mpg", "mpeg", "mpe"]),
    ("application/acad", &["dwg"]),
    ("application/andrew-inset", &["ez"]),
    ("application/mac-binhex40", &["hqx"]),
    ("application/mac-compactpro", &["cpt"]),
    ("application/mathml+xml", &["mathml"]),
    ("application/msword", &["doc", "dot"]),
    (
        "application/octet-stream",
        &["bin", "dms", "lha", "lzh", "exe", "class", "so", "dll"],
    ),
    ("application/oda", &["oda"]),
    ("application/postscript", &["ai", "eps", "ps"]),
    ("application/rdf+xml", &["rdf"]),
    ("application/smil", &["smi", "smil"]),
    ("application/srgs", &["gram"]),
    ("application/srgs+xml", &["grxml"]),
    ("application/vnd.mif", &["mif"]),
    ("application/vnd.ms-excel", &["xls", "xlt", "xla"]),
    ("application/vnd.ms-powerpoint", &["ppt", "pot", "pps", "ppa"]),
    ("application/vnd.wap.wbxml", &["wbxml"]),
    ("application/vnd.wap.wmlc", &["wmlc"]),
    ("application/vnd.wap.wmlscriptc", &["wmlsc"]),
    ("application/voicexml+xml", &["vxml"]),
    ("application/x-7z-compressed", &["7z"]),
    ("application/x-bcpio", &["bcpio"]),
    ("application/x-bzip", &["bz"]),
    ("application/x-bzip2", &["bz2"]),
    ("application/x-cdlink", &["vcd"]),
    ("application/x-chess-pgn", &["pgn"]),
    ("application/x-cpio", &["cpio"]),
    ("application/x-csh", &["csh"]),
    ("application/x-dia-diagram", &["dia"]),
    ("application/x-director", &["dcr", "dir", "dxr"]),
    ("application/x-dvi", &["dvi"]),
    ("application/x-futuresplash", &["spl"]),
    ("application/x-gtar", &["gtar", "tar"]),
    ("application/x-gzip", &["gz"]),
    ("application/x-hdf", &["hdf"]),
    ("application/x-jar", &["jar"]),
    ("application/json", &["json"]),
    ("application/x-koan", &["skp", "skd", "skt", "skm"]),
    ("application/x-latex", &["latex"]),
    ("application/x-netcdf", &["nc", "cdf"]),
    ("application/x-sh", &["sh"]),
    ("application/x-shar", &["shar"]),
    ("application/x-stuffit", &["sit"]),
    ("application/x-sv4cpio", &["sv4cpio"]),
    ("application/x-sv4crc", &["sv4crc"]),
    ("application/x-tar", &["tar"]),
    ("application/x-tcl", &["tcl"]),
    ("application/x-tex", &["tex"]),
    ("application/x-texinfo", &["texinfo", "texi"]),
    ("application/x-troff", &["t", "tr", "roff"]),
    ("application/x-troff-man", &["man"]),
    ("application/x-troff-me", &["me"]),
    ("application/x-troff-ms", &["ms"]),
    ("application/x-ustar", &["ustar"]),
    ("application/x-wais-source", &["src"]),
    ("application/x-xpinstall", &["xpi"]),
    ("application/xhtml+xml", &["xhtml", "xht"]),
    ("application/xslt+xml", &["xslt"]),
    ("application/xml", &["xml", "xsl", "xsd", "kml"]),
    ("application/xml-dtd", &["dtd"]),
    (
        "application/zip",
        &[
            "zip", "jar", "xpi", "sxc", "stc", "sxd", "std", "sxi", "sti", "sxm", "stm", "sxw", "stw",
        ],
    ),
    ("application/x-rar", &["rar"]),
    ("application/font-sfnt", &["ttf"]),
    ("application/font-woff", &["woff"]),
    ("application/font-woff2", &["woff2"]),
    ("application/vnd.ms-fontobject", &["eot"]),
    ("application/x-font-ttf", &["ttf"]),
    ("audio/basic", &["au", "snd"]),
    ("video/webm", &["webm"]),
    ("audio/webm", &["webm"]),
    ("audio/x-matroska", &["mka", "mkv"]),
    ("audio/x-mpegurl", &["m3u"]),
    ("audio/x-ogg", &["oga", "ogg", "spx", "opus"]),
    ("audio/x-pn-realaudio", &["ram", "rm"]),
    ("audio/x-pn-realaudio-plugin", &["rpm"]),
    ("audio/x-realaudio", &["ra"]),
    ("audio/wav", &["wav"]),
    ("audio/x-flac", &["flac"]),
    ("audio/flac", &["flac"]),
    ("chemical/x-pdb", &["pdb"]),
    ("chemical/x-xyz", &["xyz"]),
    ("image/bmp", &["bmp"]),
    ("image/cgm", &["cgm"]),
    ("image/ief", &["ief"]),
    ("image/jp2", &["j2k", "jp2", "jpg2"]),
    ("image/vnd.microsoft.icon", &["ico"]),
    ("image/vnd.wap.wbmp", &["wbmp"]),
    ("image/webp", &["webp"]),
    ("image/x-cmu-raster", &["ras"]),
    ("image/x-icon", &["ico"]),
    ("image/x-ms-bmp", &["bmp"]),
    ("image/x-portable-anymap", &["pnm"]),
    ("image/x-portable-bitmap", &["pbm"]),
    ("image/x-portable-graymap", &["pgm"]),
    ("image/x-rgb", &["rgb"]),
    ("image/x-photoshop", &["psd"]),
    ("image/x-xbitmap", &["xbm"]),
    ("image/x-xpixmap", &["xpm"]),
    ("image/x-xwindowdump", &["xwd"]),
    ("model/iges", &["igs", "iges"]),
    ("model/mesh", &["msh", "mesh", "silo"]),
    ("model/vrml", &["wrl", "vrml"]),
    ("text/calendar", &["ics", "ifb"]),
    ("text/css", &["css"]),
    ("text/csv", &["csv"]),
    ("text/richtext", &["rtx"]),
    ("text/rtf", &["rtf"]),
    ("text/sgml", &["sgml", "sgm"]),
    ("text/tab-separated-values", &["tsv"]),
    ("text/vnd.wap.wml", &["wml"]),
    ("text/vnd.wap.wmlscript", &["wmls"]),
    ("text/xml", &["xml", "xsl", "xslt", "rss", "rdf"]),
    ("text/x-component", &["htc"]),
    ("text/x-setext", &["etx"]),
    ("text/x-sawfish", &["jl"]),
    ("video/mp4", &["mp4", "m4a", "m4p", "m4b", "m4r", "m4v"]),
    ("audio/mp4", &["m4a"]),
    ("video/quicktime", &["qt", "mov"]),
    ("video/vnd.mpegurl", &["mxu"]),
    ("video/x-flv", &["flv"]),
    ("video/x-matroska", &["mkv", "mka"]),
    ("video/x-msvideo", &["avi"]),
    ("video/x-ogg", &["ogv", "ogm", "ogg"]),
    ("video/x-sgi-movie", &["movie"]),
    ("x-conference/x-cooltalk", &["ice"]),
    ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", &["docx"]),
    ("application/vnd.openxmlformats-officedocument.wordprocessingml.template", &["dotx"]),
    ("application/vnd.ms-word.document.macroenabled.12", &["docm"]),
    ("application/vnd.ms-word.template.macroenabled.12", &["dotm"]),
    ("application/vnd.openxmlformats-officedocument.presentationml.template", &["potx"]),
    ("application/vnd.openxmlformats-officedocument.presentationml.slideshow", &["ppsx"]),
    (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        &["pptx"],
    ),
    ("application/vnd.ms-powerpoint.addin.macroenabled.12", &["ppam"]),
    ("application/vnd.ms-powerpoint.presentation.macroenabled.12", &["pptm", "potm"]),
    ("application/vnd.ms-powerpoint.slideshow.macroenabled.12", &["ppsm"]),
    ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", &["xlsx"]),
    ("application/vnd.openxmlformats-officedocument.spreadsheetml.template", &["xltx"]),
    ("application/vnd.ms-excel.sheet.macroenabled.12", &["xlsm"]),
    ("application/vnd.ms-excel.template.macroenabled.12", &["xltm"]),
    ("application/vnd.ms-excel.addin.macroenabled.12", &["xlam"]),
    ("application/vnd.ms-excel.sheet.binary.macroenabled.12", &["xlsb"]),
    ("model/vnd.dwfx+xps", &["dwfx"]),
    ("application/vnd.ms-xpsdocument", &["xps"]),
    (
        "application/x-opc+zip",
        &[
            "docx", "dotx", "docm", "dotm", "potx", "ppsx", "pptx", "ppam", "pptm", "potm", "ppsm", "xlsx", "xltx", "xlsm", "xltm", "xlam",
            "xlsb", "dwfx", "xps",
        ],
    ),
    ("chemical/x-mdl-molfile", &["mol"]),
    ("chemical/x-mdl-sdfile", &["sdf"]),
    ("chemical/x-mdl-rxnfile", &["rxn"]),
    ("chemical/x-mdl-rdfile", &["rd"]),
    ("chemical/x-mdl-rgfile", &["rg"]),
    ("application/x-amf", &["amf"]),
    ("application/sla", &["stl"]),
    ("application/wasm", &["wasm"]),
];

/// `MimeMap::MEDIA_TYPES`, in MediaWiki's order (first match wins).
static MEDIA_TYPES: &[(&str, &[&str])] = &[
    (
        "OFFICE",
        &[
            "application/pdf",
            "application/vnd.oasis.opendocument.chart",
            "application/vnd.oasis.opendocument.chart-template",
            "application/vnd.oasis.opendocument.database",
            "application/vnd.oasis.opendocument.formula",
            "application/vnd.oasis.opendocument.formula-template",
            "application/vnd.oasis.opendocument.graphics",
            "application/vnd.oasis.opendocument.graphics-template",
            "application/vnd.oasis.opendocument.image",
            "application/vnd.oasis.opendocument.image-template",
            "application/vnd.oasis.opendocument.presentation",
            "application/vnd.oasis.opendocument.presentation-template",
            "application/vnd.oasis.opendocument.spreadsheet",
            "application/vnd.oasis.opendocument.spreadsheet-template",
            "application/vnd.oasis.opendocument.text",
            "application/vnd.oasis.opendocument.text-template",
            "application/vnd.oasis.opendocument.text-master",
            "application/vnd.oasis.opendocument.text-web",
            "application/acrobat",
            "application/msword",
            "application/vnd.ms-excel",
            "application/vnd.ms-powerpoint",
            "application/x-director",
            "image/vnd.djvu",
            "image/x.djvu",
            "image/x-djvu",
            "text/rtf",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.template",
            "application/vnd.ms-word.document.macroenabled.12",
            "application/vnd.ms-word.template.macroenabled.12",
            "application/vnd.openxmlformats-officedocument.presentationml.template",
            "application/vnd.openxmlformats-officedocument.presentationml.slideshow",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            "application/vnd.ms-powerpoint.addin.macroenabled.12",
            "application/vnd.ms-powerpoint.presentation.macroenabled.12",
            "application/vnd.ms-powerpoint.slideshow.macroenabled.12",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.template",
            "application/vnd.ms-excel.sheet.macroenabled.12",
            "application/vnd.ms-excel.template.macroenabled.12",
            "application/vnd.ms-excel.addin.macroenabled.12",
            "application/vnd.ms-excel.sheet.binary.macroenabled.12",
        ],
    ),
    (
        "EXECUTABLE",
        &[
            "application/javascript",
            "text/javascript",
            "application/x-javascript",
            "application/x-ecmascript",
            "text/ecmascript",
            "application/x-bash",
            "application/x-sh",
            "application/x-csh",
            "application/x-tcsh",
            "application/x-tcl",
            "application/x-perl",
            "application/x-python",
            "application/wasm",
        ],
    ),
    (
        "MULTIMEDIA",
        &[
            "application/x-shockwave-flash",
            "application/ogg",
            "audio/ogg",
            "video/ogg",
            "application/x-ogg",
            "audio/x-ogg",
            "video/x-ogg",
            "audio/x-pn-realaudio-plugin",
            "model/iges",
            "model/mesh",
            "model/vrml",
            "video/quicktime",
            "video/x-msvideo",
        ],
    ),
    (
        "AUDIO",
        &[
            "audio/midi",
            "audio/x-aiff",
            "audio/x-wav",
            "audio/mp3",
            "audio/mpeg",
            "audio/mpeg3",
            "audio/mp4",
            "audio/wav",
            "audio/wave",
            "audio/mid",
            "audio/basic",
            "audio/ogg",
            "audio/opus",
            "audio/x-pn-realaudio",
            "audio/x-realaudio",
            "audio/webm",
            "audio/x-matroska",
            "audio/x-flac",
            "audio/flac",
        ],
    ),
    (
        "BITMAP",
        &[
            "image/x-bmp",
            "image/x-ms-bmp",
            "image/bmp",
            "image/gif",
            "image/jpeg",
            "image/png",
            "image/tiff",
            "image/vnd.djvu",
            "image/x-xcf",
            "image/x-portable-pixmap",
            "image/x-png",
            "image/ief",
            "image/pjpeg",
            "image/jp2",
            "image/xbm",
            "image/x-icon",
            "image/x-ico",
            "image/vnd.microsoft.icon",
            "image/x-rgb",
            "image/x-portable-graymap",
            "image/x-portable-greymap",
            "application/x-bmp",
            "application/bmp",
            "image/x-photoshop",
            "image/psd",
            "image/x-psd",
            "image/photoshop",
            "image/vnd.adobe.photoshop",
            "image/webp",
        ],
    ),
    (
        "DRAWING",
        &[
            "image/svg+xml",
            "application/svg+xml",
            "application/svg",
            "image/svg",
            "application/postscript",
            "application/x-latex",
            "application/x-tex",
            "application/x-dia-diagram",
            "application/acad",
            "application/x-acad",
            "application/autocad_dwg",
            "image/x-dwg",
            "application/dwg",
            "application/x-dwg",
            "application/x-autocad",
            "image/vnd.dwg",
            "drawing/dwg",
            "chemical/x-mdl-molfile",
            "chemical/x-mdl-sdfile",
            "chemical/x-mdl-rxnfile",
            "chemical/x-mdl-rdfile",
            "chemical/x-mdl-rgfile",
        ],
    ),
    (
        "TEXT",
        &[
            "text/plain",
            "text/html",
            "application/xhtml+xml",
            "application/xml",
            "text/xml",
            "text",
            "application/json",
            "text/csv",
            "text/tab-separated-values",
        ],
    ),
    (
        "VIDEO",
        &[
            "video/ogg",
            "video/mpeg",
            "application/mpeg",
            "video/x-sgi-video",
            "video/x-flv",
            "video/webm",
            "video/x-matroska",
            "video/mp4",
        ],
    ),
    ("UNKNOWN", &["unknown/unknown", "application/octet-stream", "application/x-empty"]),
    (
        "ARCHIVE",
        &[
            "application/zip",
            "application/x-zip",
            "application/x-gzip",
            "application/x-bzip",
            "application/x-bzip2",
            "application/x-tar",
            "application/x-stuffit",
            "application/x-opc+zip",
            "application/x-7z-compressed",
        ],
    ),
    ("3D", &["application/sla"]),
];

/// `MimeMap::MIME_TYPE_ALIASES`.
static MIME_TYPE_ALIASES: &[(&str, &str)] = &[
    ("text/javascript", "application/javascript"),
    ("application/x-javascript", "application/javascript"),
    ("audio/mpeg", "audio/mp3"),
    ("audio/ogg", "application/ogg"),
    ("video/ogg", "application/ogg"),
    ("image/x-ms-bmp", "image/x-bmp"),
    ("image/bmp", "image/x-bmp"),
    ("application/octet-stream", "unknown/unknown"),
    ("application/x-empty", "unknown/unknown"),
    ("image/x-png", "image/png"),
    ("image/pjpeg", "image/jpeg"),
    ("image/x-ico", "image/x-icon"),
    ("image/vnd.microsoft.icon", "image/x-icon"),
    ("image/x-portable-greymap", "image/x-portable-graymap"),
    ("application/x-bmp", "image/x-bmp"),
    ("application/bmp", "image/x-bmp"),
    ("image/psd", "image/x-photoshop"),
    ("image/x-psd", "image/x-photoshop"),
    ("image/photoshop", "image/x-photoshop"),
    ("image/vnd.adobe.photoshop", "image/x-photoshop"),
    ("application/svg+xml", "image/svg+xml"),
    ("application/svg", "image/svg+xml"),
    ("image/svg", "image/svg+xml"),
    ("audio/mp3", "audio/mpeg"),
    ("audio/mpeg3", "audio/mpeg"),
    ("audio/x-wav", "audio/wav"),
    ("audio/wave", "audio/wav"),
    ("audio/mid", "audio/midi"),
    ("application/mpeg", "video/mpeg"),
    ("application/x-ogg", "application/ogg"),
    ("audio/x-ogg", "application/ogg"),
    ("video/x-ogg", "application/ogg"),
    ("application/xhtml+xml", "text/html"),
    ("text/xml", "application/xml"),
    ("application/x-zip", "application/zip"),
    ("application/x-ecmascript", "application/javascript"),
    ("text/ecmascript", "application/javascript"),
    ("application/acrobat", "application/pdf"),
    ("image/x.djvu", "image/vnd.djvu"),
    ("image/x-djvu", "image/vnd.djvu"),
    ("application/x-acad", "application/acad"),
    ("application/autocad_dwg", "application/acad"),
    ("image/x-dwg", "application/acad"),
    ("application/dwg", "application/acad"),
    ("application/x-dwg", "application/acad"),
    ("application/x-autocad", "application/acad"),
    ("image/vnd.dwg", "application/acad"),
    ("drawing/dwg", "application/acad"),
];

/// `$wgMimeTypeExclusions` default (spec §4.2).
pub static DEFAULT_MIME_TYPE_EXCLUSIONS: &[&str] = &[
    "text/html",
    "application/javascript",
    "text/javascript",
    "text/x-javascript",
    "application/x-shellscript",
    "application/x-php",
    "text/x-php",
    "text/x-python",
    "text/x-perl",
    "text/x-bash",
    "text/x-sh",
    "text/x-csh",
    "text/scriptlet",
    "application/x-msdownload",
    "application/x-msmetafile",
    "application/java",
    "application/xml",
    "text/xml",
];

struct Maps {
    mime_to_exts: HashMap<&'static str, &'static [&'static str]>,
    ext_to_mimes: HashMap<&'static str, Vec<&'static str>>,
    aliases: HashMap<&'static str, &'static str>,
}

fn maps() -> &'static Maps {
    static MAPS: OnceLock<Maps> = OnceLock::new();
    MAPS.get_or_init(|| {
        let mut mime_to_exts = HashMap::new();
        let mut ext_to_mimes: HashMap<&'static str, Vec<&'static str>> = HashMap::new();
        for &(mime, exts) in MIME_EXTENSIONS {
            mime_to_exts.entry(mime).or_insert(exts);
            for &ext in exts {
                ext_to_mimes.entry(ext).or_default().push(mime);
            }
        }
        let aliases = MIME_TYPE_ALIASES.iter().copied().collect();
        Maps {
            mime_to_exts,
            ext_to_mimes,
            aliases,
        }
    })
}

/// `$mimeTypeAliases[$mime] ?? $mime` (one step, like MediaWiki).
pub fn resolve_alias(mime: &str) -> &str {
    match maps().aliases.get(mime) {
        Some(canonical) => canonical,
        None => mime,
    }
}

/// `MimeAnalyzer::getExtensionsFromMimeType`: all extensions MediaWiki associates with a
/// MIME type (aliases resolved), empty if unknown.
pub fn extensions_for_mime(mime: &str) -> &'static [&'static str] {
    let lower = mime.to_ascii_lowercase();
    let m = maps();
    if let Some(exts) = m.mime_to_exts.get(lower.as_str()) {
        return exts;
    }
    if let Some(alias) = m.aliases.get(lower.as_str())
        && let Some(exts) = m.mime_to_exts.get(alias)
    {
        return exts;
    }
    &[]
}

/// `MimeAnalyzer::getMimeTypesFromExtension`: all MIME types for an extension (case-insensitive).
pub fn mimes_for_extension(ext: &str) -> &'static [&'static str] {
    let lower = ext.to_ascii_lowercase();
    match maps().ext_to_mimes.get(lower.as_str()) {
        Some(v) => v.as_slice(),
        None => &[],
    }
}

/// `MimeAnalyzer::getExtensionFromMimeTypeOrNull`: the canonical extension of a MIME type.
pub fn canonical_extension(mime: &str) -> Option<&'static str> {
    extensions_for_mime(mime).first().copied()
}

/// `MimeAnalyzer::getMimeTypeFromExtensionOrNull`.
pub fn mime_for_extension(ext: &str) -> Option<&'static str> {
    mimes_for_extension(ext).first().copied()
}

/// The MIME type to serve a stored file with, chosen from its final extension only (like
/// `StreamFile::contentTypeFromPath`). Unknown extensions, and extensions whose type is one of
/// the dangerous `$wgMimeTypeExclusions`, are served as `application/octet-stream`.
pub fn serving_mime_for_extension(ext: &str) -> &'static str {
    match mime_for_extension(ext) {
        Some(m) if !DEFAULT_MIME_TYPE_EXCLUSIONS.contains(&m) => m,
        _ => "application/octet-stream",
    }
}

/// `MimeAnalyzer::isMatchingExtension`: `None` when the MIME type has no known extensions.
pub fn is_matching_extension(ext: &str, mime: &str) -> Option<bool> {
    let exts = extensions_for_mime(mime);
    if exts.is_empty() {
        return None;
    }
    let lower = ext.to_ascii_lowercase();
    Some(exts.contains(&lower.as_str()))
}

/// `MimeAnalyzer::isRecognizableExtension`.
pub fn is_recognizable_extension(ext: &str) -> bool {
    const TYPES: &[&str] = &[
        "gif", "jpeg", "jpg", "png", "swf", "psd", "bmp", "tiff", "tif", "jpc", "jp2", "jpx", "jb2", "swc", "iff", "wbmp", "xbm", "djvu",
        "ogx", "ogg", "ogv", "oga", "spx", "opus", "mid", "pdf", "wmf", "xcf", "webm", "mkv", "mka", "webp", "mp3", "svg", "stl",
    ];
    let lower = ext.to_ascii_lowercase();
    TYPES.contains(&lower.as_str())
}

/// `MimeAnalyzer::findMediaType` for a MIME type (aliases resolved) or, with a leading dot,
/// for an extension.
pub fn find_media_type(ext_or_mime: &str) -> &'static str {
    let candidates: Vec<&str> = if let Some(ext) = ext_or_mime.strip_prefix('.') {
        let m = mimes_for_extension(ext);
        if m.is_empty() {
            return "UNKNOWN";
        }
        m.to_vec()
    } else {
        vec![resolve_alias(ext_or_mime)]
    };
    for mime in candidates {
        for &(ty, codes) in MEDIA_TYPES {
            if codes.contains(&mime) {
                return ty;
            }
        }
    }
    "UNKNOWN"
}

/// `MimeAnalyzer::getMediaType` without the path-extension step (uploaded temp files carry no
/// meaningful extension). `head` is used for the Ogg special case.
pub fn media_type_for(mime: &str, head: &[u8]) -> &'static str {
    if mime == "application/ogg" {
        let lower: Vec<u8> = head.iter().take(256).map(|b| b.to_ascii_lowercase()).collect();
        let lower = super::util::replace_all(&lower, b"ffmpeg2theora", b"");
        let has = |n: &[u8]| super::util::find(&lower, n).is_some();
        return if has(b"theora") {
            "VIDEO"
        } else if has(b"vorbis") || has(b"flac") || has(b"speex") || has(b"opus") {
            "AUDIO"
        } else {
            "MULTIMEDIA"
        };
    }
    let ty = find_media_type(mime);
    if ty != "UNKNOWN" {
        return ty;
    }
    if let Some((major, _)) = mime.split_once('/') {
        let ty = find_media_type(major);
        if ty != "UNKNOWN" {
            return ty;
        }
    }
    "UNKNOWN"
}

/// `MimeAnalyzer::improveTypeFromExtension`. `None` mirrors MediaWiki's null (unknown content
/// and an unknown extension).
pub fn improve_type_from_extension(mime: &str, ext: &str) -> Option<String> {
    let improved: Option<String> = if mime == "unknown/unknown" {
        if is_recognizable_extension(ext) {
            Some(mime.to_string())
        } else {
            mime_for_extension(ext).map(str::to_string)
        }
    } else if mime == "application/x-opc+zip" {
        if is_matching_extension(ext, mime) == Some(true) {
            mime_for_extension(ext).map(str::to_string)
        } else {
            Some("application/zip".to_string())
        }
    } else if mime == "text/plain" && find_media_type(&format!(".{ext}")) == "TEXT" {
        mime_for_extension(ext).map(str::to_string)
    } else {
        Some(mime.to_string())
    };
    improved.map(|m| resolve_alias(&m).to_string())
}

/// `UploadBase::verifyExtension`: does the (refined) MIME type fit the extension?
pub fn verify_extension(mime: Option<&str>, ext: &str) -> bool {
    let mime = match mime {
        None | Some("") | Some("unknown") | Some("unknown/unknown") => {
            return !is_recognizable_extension(ext);
        }
        Some(m) => m,
    };
    match is_matching_extension(ext, mime) {
        None => mimes_for_extension(ext).is_empty(),
        Some(matched) => matched,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_extensions() {
        assert_eq!(canonical_extension("image/png"), Some("png"));
        assert_eq!(canonical_extension("image/jpeg"), Some("jpeg"));
        assert_eq!(canonical_extension("IMAGE/GIF"), Some("gif"));
        assert_eq!(canonical_extension("image/svg+xml"), Some("svg"));
        assert_eq!(canonical_extension("text/plain"), Some("txt"));
        assert_eq!(canonical_extension("application/pdf"), Some("pdf"));
        // alias: image/bmp -> image/x-bmp
        assert_eq!(canonical_extension("image/bmp"), Some("bmp"));
        assert_eq!(canonical_extension("unknown/unknown"), None);
        assert_eq!(canonical_extension("image/avif"), None);
    }

    #[test]
    fn extension_lists() {
        assert_eq!(extensions_for_mime("image/jpeg"), &["jpeg", "jpg", "jpe"]);
        assert_eq!(mimes_for_extension("JPG"), &["image/jpeg"]);
        assert_eq!(mimes_for_extension("xml"), &["application/xml", "text/xml"]);
        assert_eq!(mimes_for_extension("nope"), &[] as &[&str]);
        assert_eq!(mimes_for_extension("exe"), &["application/octet-stream"]);
    }

    #[test]
    fn serving() {
        assert_eq!(serving_mime_for_extension("png"), "image/png");
        assert_eq!(serving_mime_for_extension("PDF"), "application/pdf");
        assert_eq!(serving_mime_for_extension("txt"), "text/plain");
        assert_eq!(serving_mime_for_extension("html"), "application/octet-stream");
        assert_eq!(serving_mime_for_extension("whatever"), "application/octet-stream");
    }

    #[test]
    fn media_types() {
        assert_eq!(media_type_for("image/png", b""), "BITMAP");
        assert_eq!(media_type_for("image/svg+xml", b""), "DRAWING");
        assert_eq!(media_type_for("text/plain", b""), "TEXT");
        assert_eq!(media_type_for("text/x-unknown-thing", b""), "TEXT");
        assert_eq!(media_type_for("application/zip", b""), "ARCHIVE");
        assert_eq!(media_type_for("application/pdf", b""), "OFFICE");
        assert_eq!(media_type_for("unknown/unknown", b""), "UNKNOWN");
        assert_eq!(media_type_for("application/sla", b""), "3D");
        assert_eq!(media_type_for("application/ogg", b"OggS....vorbis"), "AUDIO");
        assert_eq!(media_type_for("application/ogg", b"OggS....theora"), "VIDEO");
        assert_eq!(media_type_for("video/webm", b""), "VIDEO");
    }

    #[test]
    fn improve_and_verify() {
        assert_eq!(improve_type_from_extension("unknown/unknown", "txt").as_deref(), Some("text/plain"));
        assert_eq!(
            improve_type_from_extension("unknown/unknown", "png").as_deref(),
            Some("unknown/unknown")
        );
        // exe -> application/octet-stream -> alias unknown/unknown
        assert_eq!(
            improve_type_from_extension("unknown/unknown", "exe").as_deref(),
            Some("unknown/unknown")
        );
        assert_eq!(improve_type_from_extension("unknown/unknown", "zzz"), None);
        assert_eq!(
            improve_type_from_extension("application/x-opc+zip", "docx").as_deref(),
            Some("application/vnd.openxmlformats-officedocument.wordprocessingml.document")
        );
        assert_eq!(
            improve_type_from_extension("application/x-opc+zip", "zip").as_deref(),
            Some("application/zip")
        );
        assert_eq!(improve_type_from_extension("text/plain", "csv").as_deref(), Some("text/csv"));
        assert!(verify_extension(Some("image/png"), "PNG"));
        assert!(!verify_extension(Some("image/png"), "jpg"));
        assert!(verify_extension(Some("image/jpeg"), "jpe"));
        assert!(!verify_extension(Some("unknown/unknown"), "jpg"));
        assert!(verify_extension(Some("unknown/unknown"), "exe"));
        assert!(verify_extension(None, "zzz"));
        // unknown MIME, extension with a known type -> mismatch
        assert!(!verify_extension(Some("image/avif"), "png"));
        assert!(verify_extension(Some("image/avif"), "avif"));
    }
}
