//! Upload warnings (`UploadBase::checkWarnings` + `ApiUpload::transformWarnings`), in
//! MediaWiki's computation order, already in the API's JSON shapes.

use crate::app::AppState;
use crate::upload::title::{self, FileTitle};
use serde_json::{Value, json};

/// Ordered (key, value) pairs, e.g. `("exists", "Foo.png")`, `("nochange", {"timestamp": …})`.
pub type Warnings = Vec<(String, Value)>;

pub struct Subject<'a> {
    /// The `filename` parameter as sent.
    pub desired: &'a str,
    pub title: &'a FileTitle,
    pub sha1: &'a str,
    pub size: u64,
}

pub async fn compute(state: &AppState, s: &Subject<'_>, fv2: bool) -> Result<Warnings, sqlx::Error> {
    let meta = &state.meta;
    let name = &s.title.db_key;
    let mut w: Warnings = Vec::new();
    if let Some(fixed) = title::badfilename(s.desired, name) {
        w.push(("badfilename".into(), json!(fixed)));
    }
    if s.title.unwanted_type {
        let list: Vec<String> = state.config.uploads.file_extensions.iter().map(|e| e.to_lowercase()).collect();
        w.push((
            "filetype-unwanted-type".into(),
            json!([s.title.final_ext, list.join(", "), list.len()]),
        ));
    }
    let limit = state.config.uploads.size_warning;
    if limit > 0 && s.size > limit {
        w.push(("large-file".into(), json!([limit, s.size])));
    }
    if s.size == 0 {
        w.push(("empty-file".into(), if fv2 { json!(true) } else { json!("") }));
    }
    // The "exists" family: at most one of these.
    // Page before file: a file and its page are committed together, so reading in this order
    // never reports `page-exists` for a file that a concurrent upload just created.
    let page = meta.page(6, name).await?;
    let current = meta.current_file(name).await?;
    if current.is_some() {
        w.push(("exists".into(), json!(name)));
    } else if page.is_some() {
        w.push(("page-exists".into(), json!(name)));
    } else if let Some(other) = normalized_twin(state, name, &s.title.final_ext).await? {
        w.push(("exists-normalized".into(), json!(other)));
    } else if let Some(source) = title::thumb_source(name) {
        if meta.current_file(&source).await?.is_some() {
            w.push(("thumb".into(), json!(name)));
        } else {
            w.push(("thumb-name".into(), json!(name)));
        }
    } else if title::has_bad_prefix(name) {
        w.push(("bad-prefix".into(), json!(name)));
    }
    if let Some(cur) = &current {
        if cur.sha1 == s.sha1 {
            w.push(("nochange".into(), json!({"timestamp": crate::time::ts_to_iso(&cur.timestamp)})));
        }
        let old: Vec<Value> = meta
            .old_versions(name)
            .await?
            .into_iter()
            .filter(|v| v.sha1 == s.sha1)
            .map(|v| json!({"timestamp": crate::time::ts_to_iso(&v.timestamp)}))
            .collect();
        if !old.is_empty() {
            w.push(("duplicateversions".into(), Value::Array(old)));
        }
    } else if meta.has_log_entry("delete", 6, name).await? {
        w.push(("was-deleted".into(), json!(name)));
    }
    let dupes: Vec<String> = meta.names_with_sha1(s.sha1).await?.into_iter().filter(|n| n != name).collect();
    if !dupes.is_empty() {
        w.push(("duplicate".into(), json!(dupes)));
    }
    if let Some(first) = meta.archived_names_with_sha1(s.sha1).await?.into_iter().next() {
        w.push(("duplicate-archive".into(), json!(first)));
    }
    Ok(w)
}

/// `exists-normalized`: a file with the same base and the normalized extension, or any
/// file with the same base and another extension.
async fn normalized_twin(state: &AppState, name: &str, final_ext: &str) -> Result<Option<String>, sqlx::Error> {
    let Some((base, _)) = name.rsplit_once('.') else { return Ok(None) };
    let norm = title::normalize_extension(final_ext);
    if !norm.is_empty() && norm != final_ext {
        let candidate = format!("{base}.{norm}");
        if state.meta.current_file(&candidate).await?.is_some() {
            return Ok(Some(candidate));
        }
    }
    let prefix = format!("{base}.");
    Ok(state.meta.names_with_prefix(&prefix, 5).await?.into_iter().find(|n| n != name))
}

/// The object form for the JSON result.
pub fn to_object(w: &Warnings) -> serde_json::Map<String, Value> {
    w.iter().cloned().collect()
}
