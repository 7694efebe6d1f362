//! Upload warnings (`upload.warnings`), typed, with plain-words descriptions.

use serde_json::Value;

/// One warning of an upload `Warning` (or ignored-warnings `Success`) answer.
#[derive(Debug, Clone, PartialEq)]
pub enum UploadWarning {
    /// A file with this name exists (`exists`).
    Exists(String),
    /// The upload is identical to the current version (`nochange`), with its timestamp.
    NoChange { timestamp: Option<String> },
    /// The upload is identical to older versions of the file (`duplicateversions`).
    DuplicateVersions(Vec<String>),
    /// Other files have the same content (`duplicate`).
    Duplicate(Vec<String>),
    /// A file of this name was deleted before (`was-deleted`).
    WasDeleted(String),
    /// A deleted file had the same content (`duplicate-archive`; empty when hidden from us).
    DuplicateArchive(String),
    /// The name was changed to this one (`badfilename`).
    BadFilename(String),
    /// A file with the same name but another extension exists (`exists-normalized`).
    ExistsNormalized(String),
    /// The description page exists without a file (`page-exists`).
    PageExists(String),
    /// The name looks like a thumbnail of an existing file (`thumb`).
    Thumb(String),
    /// The name looks like a thumbnail (`thumb-name`).
    ThumbName(String),
    /// The name starts with a camera prefix such as `IMG` or `DSC_` (`bad-prefix`).
    BadPrefix(String),
    /// The file type is not a preferred one (`filetype-unwanted-type`).
    UnwantedType(Value),
    /// The file is larger than the wiki recommends (`large-file`).
    LargeFile(Value),
    /// The file is empty (`empty-file`).
    EmptyFile,
    /// A warning this client does not know.
    Other { key: String, value: Value },
}

fn string(v: &Value) -> String {
    v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())
}

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::Array(a) => a.iter().map(string).collect(),
        // fv1 with an indexed object, or a single value.
        Value::Object(o) => o.values().map(string).collect(),
        other => vec![string(other)],
    }
}

/// Parses `upload.warnings` in MediaWiki's key order.
pub fn parse(w: Option<&Value>) -> Vec<UploadWarning> {
    let Some(Value::Object(o)) = w else { return Vec::new() };
    o.iter()
        .map(|(k, v)| match k.as_str() {
            "exists" => UploadWarning::Exists(string(v)),
            "nochange" | "no-change" => UploadWarning::NoChange {
                timestamp: v.get("timestamp").and_then(Value::as_str).map(str::to_string),
            },
            "duplicateversions" | "duplicate-version" => UploadWarning::DuplicateVersions(match v {
                Value::Array(a) => a
                    .iter()
                    .map(|x| {
                        x.get("timestamp")
                            .and_then(Value::as_str)
                            .map(str::to_string)
                            .unwrap_or_else(|| string(x))
                    })
                    .collect(),
                other => strings(other),
            }),
            "duplicate" => UploadWarning::Duplicate(strings(v)),
            "was-deleted" => UploadWarning::WasDeleted(string(v)),
            "duplicate-archive" => UploadWarning::DuplicateArchive(string(v)),
            "badfilename" => UploadWarning::BadFilename(string(v)),
            "exists-normalized" => UploadWarning::ExistsNormalized(string(v)),
            "page-exists" => UploadWarning::PageExists(string(v)),
            "thumb" => UploadWarning::Thumb(string(v)),
            "thumb-name" => UploadWarning::ThumbName(string(v)),
            "bad-prefix" => UploadWarning::BadPrefix(string(v)),
            "filetype-unwanted-type" => UploadWarning::UnwantedType(v.clone()),
            "large-file" => UploadWarning::LargeFile(v.clone()),
            "empty-file" | "emptyfile" => UploadWarning::EmptyFile,
            _ => UploadWarning::Other {
                key: k.clone(),
                value: v.clone(),
            },
        })
        .collect()
}

impl UploadWarning {
    /// MediaWiki's key for this warning.
    pub fn key(&self) -> &str {
        match self {
            UploadWarning::Exists(_) => "exists",
            UploadWarning::NoChange { .. } => "nochange",
            UploadWarning::DuplicateVersions(_) => "duplicateversions",
            UploadWarning::Duplicate(_) => "duplicate",
            UploadWarning::WasDeleted(_) => "was-deleted",
            UploadWarning::DuplicateArchive(_) => "duplicate-archive",
            UploadWarning::BadFilename(_) => "badfilename",
            UploadWarning::ExistsNormalized(_) => "exists-normalized",
            UploadWarning::PageExists(_) => "page-exists",
            UploadWarning::Thumb(_) => "thumb",
            UploadWarning::ThumbName(_) => "thumb-name",
            UploadWarning::BadPrefix(_) => "bad-prefix",
            UploadWarning::UnwantedType(_) => "filetype-unwanted-type",
            UploadWarning::LargeFile(_) => "large-file",
            UploadWarning::EmptyFile => "empty-file",
            UploadWarning::Other { key, .. } => key,
        }
    }

    /// Whether this warning says something already occupies the name (what `--skip-existing` skips).
    pub fn is_existing_name(&self) -> bool {
        matches!(
            self,
            UploadWarning::Exists(_) | UploadWarning::NoChange { .. } | UploadWarning::DuplicateVersions(_) | UploadWarning::PageExists(_)
        )
    }

    /// The warning in plain words.
    pub fn describe(&self) -> String {
        let file = |n: &str| format!("File:{}", n.replace('_', " "));
        match self {
            UploadWarning::Exists(n) => format!("{} already exists; uploading would add a new version", file(n)),
            UploadWarning::NoChange { timestamp } => format!(
                "the current version{} has exactly this content",
                timestamp.as_deref().map(|t| format!(" (uploaded {t})")).unwrap_or_default()
            ),
            UploadWarning::DuplicateVersions(ts) => format!("an older version ({}) has exactly this content", ts.join(", ")),
            UploadWarning::Duplicate(names) => format!(
                "the same content is already on the wiki as {}",
                names.iter().map(|n| file(n)).collect::<Vec<_>>().join(", ")
            ),
            UploadWarning::WasDeleted(n) => format!("a file named {} was deleted before", file(n)),
            UploadWarning::DuplicateArchive(n) if n.is_empty() => "a deleted file had the same content".into(),
            UploadWarning::DuplicateArchive(n) => format!("the deleted file {} had the same content", file(n)),
            UploadWarning::BadFilename(n) => format!("the name is not allowed as given; the wiki would use {}", file(n)),
            UploadWarning::ExistsNormalized(n) => format!("a file with the same name but another extension exists: {}", file(n)),
            UploadWarning::PageExists(n) => format!("the description page {} exists (without a file)", file(n)),
            UploadWarning::Thumb(n) => format!("{n} looks like a thumbnail of an existing file"),
            UploadWarning::ThumbName(n) => format!("{n} looks like a thumbnail name"),
            UploadWarning::BadPrefix(n) => format!("{n} starts like a camera's automatic name; a descriptive name is preferred"),
            UploadWarning::UnwantedType(v) => format!("the file type is not a preferred one ({v})"),
            UploadWarning::LargeFile(v) => format!("the file is larger than recommended ({v})"),
            UploadWarning::EmptyFile => "the file is empty".into(),
            UploadWarning::Other { key, value } => format!("{key}: {value}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_the_warnings_mediawiki_139_sends() {
        let w = parse(Some(&json!({
            "exists": "A.png",
            "nochange": {"timestamp": "2026-11-26T21:23:10Z"},
            "duplicateversions": [{"timestamp": "2026-11-26T21:23:08Z"}],
            "duplicate": ["B.png"],
            "was-deleted": "C.png",
            "duplicate-archive": "D.png",
            "badfilename": "E-f.png",
            "bad-prefix": "DSC_1.png",
            "something-new": 3
        })));
        assert_eq!(
            w,
            vec![
                UploadWarning::Exists("A.png".into()),
                UploadWarning::NoChange {
                    timestamp: Some("2026-11-26T21:23:10Z".into())
                },
                UploadWarning::DuplicateVersions(vec!["2026-11-26T21:23:08Z".into()]),
                UploadWarning::Duplicate(vec!["B.png".into()]),
                UploadWarning::WasDeleted("C.png".into()),
                UploadWarning::DuplicateArchive("D.png".into()),
                UploadWarning::BadFilename("E-f.png".into()),
                UploadWarning::BadPrefix("DSC_1.png".into()),
                UploadWarning::Other {
                    key: "something-new".into(),
                    value: json!(3)
                },
            ]
        );
        assert_eq!(w[0].describe(), "File:A.png already exists; uploading would add a new version");
        assert!(w[0].is_existing_name() && !w[3].is_existing_name());
        assert!(parse(None).is_empty());
    }
}
