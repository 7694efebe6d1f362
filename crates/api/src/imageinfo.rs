//! `imageinfo` objects in MediaWiki's field order, for published versions (upload results,
//! `prop=imageinfo`, `list=allimages`) and for stashed files (`stashimageinfo`, stash results).

use super::envelope::{Ctx, html_escape};
use crate::paths;
use mwupload_store::{FileVersion, StashRow};
use mwupload_thumb::names;
use mwupload_thumb::{SourceFile, ThumbConfig, ThumbMime, ThumbParams, Transform};
use serde_json::{Map, Value, json};

/// Path under which public files are served (MediaWiki's `$wgUploadPath`, as on the reference wiki).
pub const UPLOAD_PATH: &str = "/images";

pub fn file_url(ctx: &Ctx, v: &FileVersion) -> String {
    match &v.archive_name {
        Some(a) => format!("{}{}/{}", ctx.base_url, UPLOAD_PATH, paths::archive_url_path(a, &v.name)),
        None => format!("{}{}/{}", ctx.base_url, UPLOAD_PATH, paths::public_url_path(&v.name)),
    }
}

pub fn description_url(ctx: &Ctx, name: &str) -> String {
    format!("{}/w/index.php?title=File:{}", ctx.base_url, title_url_encode(name))
}

/// `wfUrlencode` (see [`mwupload_core::title::wf_urlencode`]).
pub fn title_url_encode(s: &str) -> String {
    mwupload_core::title::wf_urlencode(s)
}

fn metadata_value(json_text: &str) -> Value {
    serde_json::from_str::<Value>(json_text).unwrap_or(Value::Array(vec![]))
}

/// `ExifBitmapHandler::convertMetadataVersion` for `iimetadataversion`: version 1 (also `1;…`)
/// of JPEG/TIFF metadata written as version 2 flattens every list to a string (an `ol` list as
/// `"\n#a\n#b"`, others as `"\n*a\n*b"`, a single item as itself) and says version 1. Other
/// versions, other formats and `latest` are unchanged.
pub fn convert_metadata_version(mime: &str, metadata: &Value, version: &str) -> Value {
    if !matches!(mime, "image/jpeg" | "image/tiff") || php_intval(version.split(';').next().unwrap_or("")) != 1 {
        return metadata.clone();
    }
    let Value::Array(items) = metadata else {
        return metadata.clone();
    };
    let is_v2 = items
        .iter()
        .any(|i| i["name"] == "MEDIAWIKI_EXIF_VERSION" && (i["value"] == 2 || i["value"] == "2"));
    if !is_v2 {
        return metadata.clone();
    }
    let out = items
        .iter()
        .map(|item| {
            let name = &item["name"];
            let value = if name == "MEDIAWIKI_EXIF_VERSION" {
                json!(1)
            } else {
                match &item["value"] {
                    Value::Array(list) => flatten_list(list),
                    other => other.clone(),
                }
            };
            json!({"name": name, "value": value})
        })
        .collect();
    Value::Array(out)
}

/// PHP `intval()` of a string: its leading integer, 0 otherwise.
fn php_intval(s: &str) -> i64 {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (sign, digits) = match t.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, t.strip_prefix('+').unwrap_or(t)),
    };
    let end = digits.bytes().take_while(u8::is_ascii_digit).count();
    digits[..end].parse::<i64>().map(|n| sign * n).unwrap_or(0)
}

/// `FormatMetadata::flattenArrayReal($vals, 'ul', true)` of a metadata list.
fn flatten_list(list: &[Value]) -> Value {
    let mut ty = "ul";
    let mut vals: Vec<(&Value, &Value)> = Vec::new();
    for item in list {
        if item["name"] == "_type" {
            ty = item["value"].as_str().unwrap_or("ul");
        } else {
            vals.push((&item["name"], &item["value"]));
        }
    }
    if vals.len() == 1 && vals[0].0 == 0 && ty != "lang" {
        return vals[0].1.clone();
    }
    if vals.is_empty() {
        return json!("");
    }
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        Value::Bool(b) => {
            if *b {
                "1".into()
            } else {
                String::new()
            }
        }
        Value::Array(_) | Value::Object(_) => "Array".into(),
        Value::Number(n) => n.to_string(),
    };
    let sep = if ty == "ol" { "\n#" } else { "\n*" };
    json!(vals.iter().map(|(_, v)| format!("{sep}{}", text(v))).collect::<String>())
}

/// `getCommonMetaArray`: the Exif handlers (JPEG, TIFF) share their metadata without the
/// format version; GIFHandler its file comment; the other handlers share nothing.
fn common_metadata(mime: &str, json_text: &str) -> Value {
    if mime == "image/gif" {
        let comment = metadata_value(json_text)
            .as_array()
            .and_then(|items| items.iter().find(|i| i["name"] == "metadata"))
            .and_then(|m| m["value"].as_array())
            .and_then(|inner| inner.iter().find(|i| i["name"] == "GIFFileComment").cloned());
        return match comment {
            Some(c) if c["value"].as_array().is_some_and(|v| !v.is_empty()) => json!([c]),
            _ => json!([]),
        };
    }
    if !matches!(mime, "image/jpeg" | "image/tiff") {
        return json!([]);
    }
    match metadata_value(json_text) {
        Value::Array(items) => Value::Array(items.into_iter().filter(|i| i["name"] != "MEDIAWIKI_EXIF_VERSION").collect()),
        _ => json!([]),
    }
}

fn ext_metadata(timestamp_iso: &str, name: &str) -> Value {
    let object = name.rsplit_once('.').map(|(b, _)| b).unwrap_or(name).replace('_', " ");
    json!({
        "DateTime": {"value": timestamp_iso, "source": "mediawiki-metadata", "hidden": ""},
        "ObjectName": {"value": object, "source": "mediawiki-metadata", "hidden": ""}
    })
}

/// The "file exists" notice MediaWiki puts in the upload result's `html` (clients ignore it):
/// the `fileexists` message with a `[[File:…|thumb]]`, which renders as a thumbnail box for an
/// image MediaWiki can show and as a plain link otherwise (no handler, or a damaged 0×0 image).
/// The parser's escaping of a text node: quotes stay.
fn text_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// The parser's escaping of an attribute value (Sanitizer::encodeAttribute).
fn attr_escape(s: &str) -> String {
    html_escape(s).replace('\'', "&#39;")
}

fn exists_notice_html(v: &FileVersion) -> String {
    let display = v.name.replace('_', " ");
    // Without a TIFF handler that renders, MediaWiki 1.39 shows TIFFs as a plain link.
    let renderable = matches!(v.media_type.as_str(), "BITMAP" | "DRAWING") && v.width > 0 && v.height > 0 && v.mime != "image/tiff";
    if !renderable {
        return format!(
            "A file with this name exists already, please check <strong><a class=\"mw-selflink selflink\">File:{d}</a></strong> if you are not sure if you want to overwrite it.\n<a href=\"/w/index.php?title=File:{t}\" title=\"File:{a}\">File:{d}</a>",
            d = text_escape(&display),
            a = attr_escape(&display),
            t = title_url_encode(&v.name),
        );
    }
    let path = paths::public_url_path(&v.name);
    let file = path.rsplit('/').next().unwrap_or_default();
    let thumb = |width: i64| format!("{UPLOAD_PATH}/thumb/{path}/{width}px-{file}.png");
    // The [[File:…|thumb]] frame: a vector drawing scales to the default thumbnail width (300)
    // with 1.5x and 2x sources; WebP goes through a PNG thumbnail even at its own size.
    let (w, h, src, srcset) = if v.mime == "image/svg+xml" {
        let h = (v.height as f64 * 300.0 / v.width as f64).round() as i64;
        let set = format!(" srcset=\"{} 1.5x, {} 2x\"", thumb(450), thumb(600));
        (300, h, thumb(300), set)
    } else if v.mime == "image/webp" {
        (v.width, v.height, thumb(v.width), String::new())
    } else {
        (v.width, v.height, format!("{UPLOAD_PATH}/{path}"), String::new())
    };
    format!(
        "<p>A file with this name exists already, please check <strong><a class=\"mw-selflink selflink\">File:{d}</a></strong> if you are not sure if you want to overwrite it.\n</p>\n<div class=\"thumb tright\"><div class=\"thumbinner\" style=\"width:{w2}px;\"><a href=\"/w/index.php?title=File:{t}\" class=\"image\"><img alt=\"{a}\" src=\"{src}\" decoding=\"async\" width=\"{w}\" height=\"{h}\" class=\"thumbimage\"{srcset} /></a>  <div class=\"thumbcaption\"><div class=\"magnify\"><a href=\"/w/index.php?title=File:{t}\" class=\"internal\" title=\"Enlarge\"></a></div></div></div></div>",
        d = text_escape(&display),
        a = attr_escape(&display),
        t = title_url_encode(&v.name),
        w2 = w + 2,
    )
}

/// All properties an upload result carries (ApiUpload asks for everything).
pub const UPLOAD_PROPS: &[&str] = &[
    "timestamp",
    "user",
    "userid",
    "size",
    "dimensions",
    "parsedcomment",
    "comment",
    "uploadwarning",
    "canonicaltitle",
    "url",
    "sha1",
    "metadata",
    "commonmetadata",
    "extmetadata",
    "mime",
    "mediatype",
    "bitdepth",
];

/// imageinfo for a published (current or archived) version. `page_id` adds `descriptionshorturl`.
pub fn for_version(ctx: &Ctx, v: &FileVersion, props: &[String], page_id: Option<i64>) -> Map<String, Value> {
    for_version_with_thumb(ctx, v, props, page_id, None)
}

/// [`for_version`] with the thumbnail fields ([`thumb_fields`]), which go before `url`.
pub fn for_version_with_thumb(
    ctx: &Ctx,
    v: &FileVersion,
    props: &[String],
    page_id: Option<i64>,
    thumb: Option<ThumbOut>,
) -> Map<String, Value> {
    let mime_flag = mime_flag(props, thumb.as_ref());
    let has = |p: &str| if p == "mime" { mime_flag } else { props.iter().any(|x| x == p) };
    let mut m = Map::new();
    let iso = mwupload_store::time::ts_to_iso(&v.timestamp);
    if has("timestamp") {
        m.insert("timestamp".into(), json!(iso));
    }
    if has("user") {
        m.insert("user".into(), json!(v.user_name));
    }
    if has("userid") {
        m.insert("userid".into(), json!(v.user_id));
    }
    if (has("user") || has("userid")) && v.user_id == 0 {
        m.insert("anon".into(), ctx.true_value());
    }
    if has("size") || has("dimensions") {
        m.insert("size".into(), json!(v.size));
        m.insert("width".into(), json!(v.width));
        m.insert("height".into(), json!(v.height));
        if let Some(pc) = v.page_count {
            m.insert("pagecount".into(), json!(pc));
        }
    }
    if has("parsedcomment") {
        let html = crate::comment::format(&v.description, Some((6, &v.name)), &ctx.comment_links);
        m.insert("parsedcomment".into(), json!(html));
    }
    if has("comment") {
        m.insert("comment".into(), json!(v.description));
    }
    if has("uploadwarning") {
        m.insert("html".into(), json!(exists_notice_html(v)));
    }
    if has("canonicaltitle") {
        m.insert("canonicaltitle".into(), json!(format!("File:{}", v.name.replace('_', " "))));
    }
    if has("url") {
        if let Some(t) = thumb {
            m.extend(t.fields);
        }
        m.insert("url".into(), json!(file_url(ctx, v)));
        m.insert("descriptionurl".into(), json!(description_url(ctx, &v.name)));
        if let Some(id) = page_id {
            m.insert(
                "descriptionshorturl".into(),
                json!(format!("{}/w/index.php?curid={id}", ctx.base_url)),
            );
        }
    }
    if has("sha1") {
        m.insert("sha1".into(), json!(v.sha1));
    }
    if has("metadata") {
        m.insert("metadata".into(), metadata_value(&v.metadata));
    }
    if has("commonmetadata") {
        m.insert("commonmetadata".into(), common_metadata(&v.mime, &v.metadata));
    }
    if has("extmetadata") {
        m.insert("extmetadata".into(), ext_metadata(&iso, &v.name));
    }
    if has("mime") {
        m.insert("mime".into(), json!(v.mime));
    }
    if has("mediatype") {
        m.insert("mediatype".into(), json!(v.media_type));
    }
    if has("archivename")
        && let Some(a) = &v.archive_name
    {
        m.insert("archivename".into(), json!(a));
    }
    if has("bitdepth") {
        m.insert("bitdepth".into(), json!(v.bits));
    }
    // `badfile` is a page member (prop=imageinfo), never a version's.
    m
}

/// imageinfo for a file of a shared repository, as `ApiQueryImageInfo::getInfo` gives a
/// `ForeignAPIFile`: the remote's values, its uploader as `repo>Name` (an external user:
/// `userid` 0 and `anon`), its URLs, and no bit depth (`File::getBitDepth`).
pub fn for_foreign(ctx: &Ctx, f: &mwupload_core::foreign::ForeignFile, props: &[String], script_dir_url: &str) -> Map<String, Value> {
    let has = |p: &str| props.iter().any(|x| x == p);
    let expand = |u: &str| -> String {
        if let Some(rest) = u.strip_prefix("//") {
            let scheme = ctx.base_url.split("://").next().filter(|s| !s.is_empty()).unwrap_or("http");
            format!("{scheme}://{rest}")
        } else if u.starts_with('/') {
            format!("{}{u}", ctx.base_url)
        } else {
            u.to_string()
        }
    };
    let mut m = Map::new();
    if has("timestamp")
        && let Some(ts) = f.timestamp()
    {
        m.insert("timestamp".into(), json!(ts));
    }
    if has("user") || has("userid") {
        let user = f.user();
        if has("user") {
            m.insert("user".into(), json!(user.clone().unwrap_or_default()));
        }
        if has("userid") {
            m.insert("userid".into(), json!(0));
        }
        if user.is_some() {
            m.insert("anon".into(), ctx.true_value());
        }
    }
    if has("size") || has("dimensions") {
        m.insert("size".into(), json!(f.size()));
        m.insert("width".into(), json!(f.width()));
        m.insert("height".into(), json!(f.height()));
        if let Some(pc) = f.info.get("pagecount") {
            m.insert("pagecount".into(), pc.clone());
        }
    }
    let comment = f.comment().unwrap_or("");
    if has("parsedcomment") {
        let html = crate::comment::format(comment, Some((6, &f.name)), &ctx.comment_links);
        m.insert("parsedcomment".into(), json!(html));
    }
    if has("comment") {
        m.insert("comment".into(), json!(comment));
    }
    if has("canonicaltitle") {
        m.insert("canonicaltitle".into(), json!(format!("File:{}", f.name.replace('_', " "))));
    }
    if has("url") {
        if let Some(u) = f.url() {
            m.insert("url".into(), json!(expand(u)));
        }
        let desc = f
            .description_url()
            .map(&expand)
            .unwrap_or_else(|| format!("{script_dir_url}/index.php?title=Image:{}", title_url_encode(&f.name)));
        m.insert("descriptionurl".into(), json!(desc));
        if let Some(short) = f.info.get("descriptionshorturl").and_then(Value::as_str) {
            m.insert("descriptionshorturl".into(), json!(expand(short)));
        } else if let Some(id) = f.page_id() {
            m.insert(
                "descriptionshorturl".into(),
                json!(format!("{script_dir_url}/index.php?curid={id}")),
            );
        }
    }
    if has("sha1")
        && let Some(sha1) = f.sha1()
    {
        m.insert("sha1".into(), json!(sha1));
    }
    // `ForeignAPIFile::getMetadataArray`: the remote's list (a non-list is an `_error`); none
    // at all is null.
    let metadata = match f.info.get("metadata") {
        Some(Value::Array(a)) if !a.is_empty() => Value::Array(a.clone()),
        Some(Value::Array(_)) | Some(Value::Null) | None => Value::Null,
        Some(other) => json!([{"name": "_error", "value": other}]),
    };
    if has("metadata") {
        m.insert("metadata".into(), metadata.clone());
    }
    if has("commonmetadata") {
        let text = serde_json::to_string(&metadata).unwrap_or_default();
        m.insert("commonmetadata".into(), common_metadata(f.mime().unwrap_or(""), &text));
    }
    if has("extmetadata") {
        m.insert("extmetadata".into(), f.info.get("extmetadata").cloned().unwrap_or(json!({})));
    }
    if has("mime") {
        m.insert("mime".into(), json!(f.mime().unwrap_or("unknown/unknown")));
    }
    if has("mediatype") {
        m.insert("mediatype".into(), json!(f.media_type().unwrap_or("UNKNOWN")));
    }
    if has("bitdepth") {
        m.insert("bitdepth".into(), json!(0));
    }
    // `badfile` is a page member (prop=imageinfo), never a version's.
    m
}

/// `FileRepo::makeUrl`'s base for a `ForeignAPIRepo` without `scriptDirUrl`: `dirname(apibase)`.
pub fn script_dir_of_api(api: &str) -> String {
    let no_query = api.split(['?', '#']).next().unwrap_or(api);
    match no_query.rsplit_once('/') {
        Some((dir, _)) if !dir.ends_with('/') && !dir.is_empty() => dir.to_string(),
        _ => no_query.to_string(),
    }
}

pub const STASH_PROPS: &[&str] = &[
    "timestamp",
    "canonicaltitle",
    "url",
    "size",
    "sha1",
    "metadata",
    "commonmetadata",
    "extmetadata",
    "mime",
    "bitdepth",
];

pub fn stash_url(ctx: &Ctx, key: &str) -> String {
    format!(
        "{}/w/index.php?title=Special:UploadStash/file/{}",
        ctx.base_url,
        title_url_encode(key)
    )
}

/// imageinfo for a stashed file (no user, comment or mediatype, like MediaWiki's stash property set).
pub fn for_stash(ctx: &Ctx, s: &StashRow, props: &[String]) -> Map<String, Value> {
    for_stash_with_thumb(ctx, s, props, None)
}

/// [`for_stash`] with the thumbnail fields ([`thumb_fields`]), which go before `url`.
pub fn for_stash_with_thumb(ctx: &Ctx, s: &StashRow, props: &[String], thumb: Option<ThumbOut>) -> Map<String, Value> {
    let mime_flag = mime_flag(props, thumb.as_ref());
    let has = |p: &str| if p == "mime" { mime_flag } else { props.iter().any(|x| x == p) };
    let mut m = Map::new();
    let iso = mwupload_store::time::ts_to_iso(&s.timestamp);
    if has("timestamp") {
        m.insert("timestamp".into(), json!(iso));
    }
    if has("size") || has("dimensions") {
        m.insert("size".into(), json!(s.size));
        m.insert("width".into(), json!(s.width));
        m.insert("height".into(), json!(s.height));
        if let Some(pc) = s.page_count {
            m.insert("pagecount".into(), json!(pc));
        }
    }
    if has("canonicaltitle") {
        m.insert("canonicaltitle".into(), json!(format!("File:{}", s.temp_name)));
    }
    if has("url") {
        if let Some(t) = thumb {
            m.extend(t.fields);
        }
        m.insert("url".into(), json!(stash_url(ctx, &s.key)));
        m.insert("descriptionurl".into(), json!(stash_url(ctx, &s.key)));
    }
    if has("sha1") {
        m.insert("sha1".into(), json!(s.sha1));
    }
    if has("metadata") {
        m.insert("metadata".into(), metadata_value(&s.metadata));
    }
    if has("commonmetadata") {
        m.insert("commonmetadata".into(), common_metadata(&s.mime, &s.metadata));
    }
    if has("extmetadata") {
        m.insert("extmetadata".into(), ext_metadata(&iso, &s.temp_name));
    }
    if has("mime") {
        m.insert("mime".into(), json!(s.mime));
    }
    if has("mediatype") {
        m.insert("mediatype".into(), json!(s.media_type));
    }
    if has("bitdepth") {
        m.insert("bitdepth".into(), json!(s.bits));
    }
    // `badfile` is a page member (prop=imageinfo), never a version's.
    m
}

pub fn props(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// Where a thumbnail of a published version or of a stashed file lives.
pub enum ThumbHome<'a> {
    /// A published version: `name` and, for an old version, its archive name.
    Published { name: &'a str, archive_name: Option<&'a str> },
    /// A stashed file (`Special:UploadStash/thumb/<key>/<thumb name>`).
    Stash { key: &'a str },
}

/// The URL `thumburl`/`responsiveUrls` give for a transform's outcome.
pub fn transform_url(ctx: &Ctx, script_path: &str, home: &ThumbHome<'_>, t: &Transform, cfg: &ThumbConfig) -> String {
    match (t, home) {
        (Transform::Original { .. }, ThumbHome::Published { name, archive_name }) => {
            format!("{}{}/{}", ctx.base_url, UPLOAD_PATH, names::file_url_path(name, *archive_name, cfg))
        }
        (Transform::Original { .. }, ThumbHome::Stash { key }) => stash_url(ctx, key),
        (Transform::Thumb(th), ThumbHome::Published { name, archive_name }) => {
            format!(
                "{}{}/{}",
                ctx.base_url,
                UPLOAD_PATH,
                names::thumb_url_path(name, *archive_name, &th.name, cfg)
            )
        }
        (Transform::Thumb(th), ThumbHome::Stash { key }) => format!(
            "{}/w/index.php?title=Special:UploadStash/thumb/{}/{}",
            ctx.base_url,
            title_url_encode(key),
            title_url_encode(&th.name)
        ),
        (Transform::Icon { icon }, _) => format!("{}{script_path}/resources/assets/file-type-icons/{icon}", ctx.base_url),
        (Transform::Error(_), _) => String::new(),
    }
}

/// The thumbnail fields of one version, and what they do to `mime`.
pub struct ThumbOut {
    pub fields: Map<String, Value>,
    /// `getInfo()` reads the thumbnail's MIME type into the variable that held "prop=mime was
    /// asked": from then on `mime` is shown when the thumbnail has a type (even if not asked)
    /// and hidden when it has none (a TIFF without `$wgTiffThumbnailType`), as MediaWiki 1.39
    /// answers.
    pub mime_shown: Option<bool>,
}

fn mime_flag(props: &[String], thumb: Option<&ThumbOut>) -> bool {
    match thumb.and_then(|t| t.mime_shown) {
        Some(shown) => shown,
        None => props.iter().any(|x| x == "mime"),
    }
}

/// `ApiQueryImageInfo::getInfo()`'s thumbnail fields for one version: `thumburl`,
/// `thumbwidth`, `thumbheight`, `thumbmime` (with `prop=thumbmime`), `responsiveUrls`, or
/// `thumberror`.
pub fn thumb_fields(
    ctx: &Ctx,
    script_path: &str,
    home: &ThumbHome<'_>,
    file: &SourceFile<'_>,
    cfg: &ThumbConfig,
    params: &ThumbParams,
    want_mime: bool,
) -> ThumbOut {
    let mut m = Map::new();
    let mut mime_shown = None;
    match mwupload_thumb::thumb_info(file, cfg, params) {
        Err(e) => {
            m.insert("thumberror".into(), json!(e.text()));
        }
        Ok(info) => {
            m.insert("thumburl".into(), json!(transform_url(ctx, script_path, home, &info.thumb, cfg)));
            m.insert("thumbwidth".into(), json!(info.width));
            m.insert("thumbheight".into(), json!(info.height));
            if want_mime {
                match info.thumbmime {
                    ThumbMime::Absent => {}
                    ThumbMime::Null => {
                        m.insert("thumbmime".into(), Value::Null);
                        mime_shown = Some(false);
                    }
                    ThumbMime::Mime(mime) => {
                        mime_shown = Some(!mime.is_empty());
                        m.insert("thumbmime".into(), json!(mime));
                    }
                }
            }
            if !info.responsive.is_empty() {
                let mut r = Map::new();
                for (density, t) in &info.responsive {
                    r.insert((*density).to_string(), json!(transform_url(ctx, script_path, home, t, cfg)));
                }
                m.insert("responsiveUrls".into(), Value::Object(r));
            }
        }
    }
    ThumbOut { fields: m, mime_shown }
}
