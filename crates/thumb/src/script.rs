//! thumb.php: its query parameters and its answer for a file, as `wfStreamThumb()` gives them.

use crate::config::ThumbConfig;
use crate::error::ThumbError;
use crate::names::{NO_WIDTH_MESSAGE, thumb_name};
use crate::params::ThumbParams;
use crate::php::{extension_from_path, rawurlencode};
use crate::source::SourceFile;
use crate::transform::{Thumb, Transform, transform};

/// A `thumb.php?f=…&width=…` request, read as `wfStreamThumb()` reads its query.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScriptRequest {
    /// `f`, with `\` and `/` turned into `_`.
    pub file: String,
    /// `archived=1`: `file` is `<timestamp>!<name>` of an old version.
    pub archived: bool,
    /// `temp=1`: a stashed file.
    pub temp: bool,
    /// `download`: `Content-Disposition: attachment`.
    pub download: bool,
    /// The handler parameters (`width`/`w` with an optional `px`, `height`, `page`/`p`,
    /// `interlace`, `quality`, `lang`).
    pub params: ThumbParams,
    /// A numeric parameter was not an integer. MediaWiki fails in PHP arithmetic (or reads a
    /// leading number); we answer "Invalid thumbnail parameters".
    pub malformed: bool,
}

/// Reads thumb.php's query parameters (decoded name/value pairs).
pub fn parse_script_query<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> ScriptRequest {
    let mut req = ScriptRequest::default();
    let (mut width, mut w, mut page, mut p) = (None, None, None, None);
    for (k, v) in pairs {
        match k {
            "f" => req.file = v.replace(['\\', '/'], "_"),
            "width" => width = Some(v.to_string()),
            "w" => w = Some(v.to_string()),
            "height" => req.params.height = int_param(v, &mut req.malformed),
            "page" => page = Some(v.to_string()),
            "p" => p = Some(v.to_string()),
            "archived" => req.archived = php_truthy(v),
            "temp" => req.temp = php_truthy(v),
            "download" => req.download = true,
            "interlace" => req.params.interlace = php_truthy(v),
            "quality" => req.params.quality = Some(v.to_string()),
            "lang" => req.params.lang = Some(v.to_string()),
            _ => {}
        }
    }
    // 'w' overrides 'width'; then a "px" suffix is stripped. 'p' overrides 'page'.
    if let Some(v) = w.or(width) {
        let v = v.strip_suffix("px").unwrap_or(&v);
        req.params.width = int_param(v, &mut req.malformed);
    }
    if let Some(v) = p.or(page) {
        req.params.page = int_param(&v, &mut req.malformed);
    }
    req
}

fn php_truthy(v: &str) -> bool {
    !v.is_empty() && v != "0"
}

fn int_param(v: &str, malformed: &mut bool) -> Option<i64> {
    let t = v.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    match t.parse::<i64>() {
        Ok(n) => Some(n),
        Err(_) => {
            *malformed = true;
            None
        }
    }
}

/// Why thumb.php answers with an error page instead of a thumbnail, and with which status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScriptError {
    pub status: u16,
    /// The text of the error page's paragraph (before HTML escaping).
    pub message: String,
}

/// thumb.php's answer for an existing file and the request's parameters: the thumbnail to serve
/// (render it if it is not stored yet), or the error page.
pub fn script_transform(file: &SourceFile, cfg: &ThumbConfig, params: &ThumbParams, malformed: bool) -> Result<Thumb, ScriptError> {
    let err = |status: u16, message: String| ScriptError { status, message };
    if file.handler().is_none() {
        return Err(err(
            400,
            "The specified thumbnail parameters are not valid: Empty return from File::thumbName".into(),
        ));
    }
    if thumb_name(file, cfg, params).is_err() {
        return Err(err(
            400,
            format!("The specified thumbnail parameters are not valid: {NO_WIDTH_MESSAGE}"),
        ));
    }
    if malformed {
        let e = ThumbError::InvalidParams;
        return Err(err(e.http_status(), e.text()));
    }
    match transform(file, cfg, params) {
        Transform::Thumb(t) => Ok(t),
        Transform::Original { .. } => Err(err(
            400,
            "Error creating thumbnail: Image was not scaled, is the requested width bigger than the source?".into(),
        )),
        Transform::Icon { .. } => Err(err(500, "Error creating thumbnail: No path supplied in thumbnail object".into())),
        Transform::Error(e) => Err(err(e.http_status(), e.text())),
    }
}

/// `File::getThumbDisposition()`: `inline;filename*=UTF-8''Foo.svg.png` (the file name, with the
/// thumbnail's extension added when it differs).
pub fn content_disposition(file: &SourceFile, thumb_name: &str, download: bool) -> String {
    let mut name = file.name.to_string();
    let thumb_ext = extension_from_path(thumb_name);
    if !thumb_ext.is_empty() && thumb_ext != file.extension() {
        name.push('.');
        name.push_str(&thumb_ext);
    }
    let kind = if download { "attachment" } else { "inline" };
    format!("{kind};filename*=UTF-8''{}", rawurlencode(&name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_queries() {
        let r = parse_script_query([("f", "a/b.png"), ("width", "120px"), ("archived", "1")]);
        assert_eq!((r.file.as_str(), r.params.width, r.archived), ("a_b.png", Some(120), true));
        let r = parse_script_query([("f", "a.png"), ("width", "100"), ("w", "150"), ("p", "2")]);
        assert_eq!((r.params.width, r.params.page), (Some(150), Some(2)));
        assert!(parse_script_query([("width", "abc")]).malformed);
    }

    #[test]
    fn script_answers() {
        let cfg = ThumbConfig::default();
        let f = SourceFile::new("A.png", "image/png", 400, 300);
        assert_eq!(
            script_transform(&f, &cfg, &ThumbParams::width(120), false).unwrap().name,
            "120px-A.png"
        );
        assert_eq!(
            script_transform(&f, &cfg, &ThumbParams::width(5000), false).unwrap_err().status,
            400
        );
        let e = script_transform(&f, &cfg, &ThumbParams::default(), false).unwrap_err();
        assert_eq!(
            e.message,
            "The specified thumbnail parameters are not valid: No width specified to ImageHandler::makeParamString"
        );
        let svg = SourceFile::new("A.svg", "image/svg+xml", 200, 100);
        assert_eq!(
            content_disposition(&svg, "120px-A.svg.png", false),
            "inline;filename*=UTF-8''A.svg.png"
        );
    }
}
