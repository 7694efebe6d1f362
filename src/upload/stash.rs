//! The upload stash: files parked per user under an unguessable key, to be published later
//! (after a Warning, `stash=1`, or chunked assembly). A stash row owns its blob until publish
//! hands the blob to a file version (no copy).

use crate::api::error::{ApiError, ApiResult};
use crate::app::AppState;
use crate::auth::Caller;
use crate::store::BlobStore;
use crate::store::meta::StashRow;
use crate::upload::publish::Props;
use mwupload_media::MediaInfo;

const B36: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";

pub fn base36(mut n: u128) -> String {
    if n == 0 {
        return "0".into();
    }
    let mut out = Vec::new();
    while n > 0 {
        out.push(B36[(n % 36) as usize]);
        n /= 36;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// MediaWiki's key shape: `<base36 time>.<base36 random>.<user id>.<ext>` (ext may be empty).
pub fn new_key(user_id: i64, ext: &str) -> String {
    // MediaWiki: base36 of the decimal digits of seconds followed by microtime's 8 fraction digits.
    let now = chrono::Utc::now();
    let digits = format!("{}{:08}", now.timestamp().max(0), now.timestamp_subsec_nanos() / 10);
    let stamp: u128 = digits.parse().unwrap_or(0);
    let rand: u32 = rand::random::<u32>() >> 1;
    format!("{}.{}.{}.{}", base36(stamp), base36(rand as u128), user_id, ext)
}

/// MediaWiki's key check (`^[\w\-.]+\.\w*$`).
pub fn key_is_valid(key: &str) -> bool {
    let Some((head, ext)) = key.rsplit_once('.') else { return false };
    !head.is_empty()
        && head.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-' || c == '.')
        && ext.chars().all(|c| c.is_alphanumeric() || c == '_')
}

/// Extension for a stash key: the canonical one for the MIME type, normalized, empty if prohibited.
pub fn key_extension(state: &AppState, mime: &str) -> String {
    let ext = mwupload_media::canonical_extension(mime)
        .map(super::title::normalize_extension)
        .unwrap_or_default();
    if state
        .config
        .uploads
        .prohibited_extensions
        .iter()
        .any(|p| p.eq_ignore_ascii_case(&ext))
    {
        String::new()
    } else {
        ext
    }
}

fn temp_name(ts: &str, ext: &str) -> String {
    let r: String = (0..6).map(|_| B36[rand::random::<u8>() as usize % 36] as char).collect();
    if ext.is_empty() {
        format!("{ts}!php{r}")
    } else {
        format!("{ts}!php{r}.{ext}")
    }
}

/// imageinfo `metadata` as stored: MediaWiki's list of `{name, value}`, or `null` when none.
pub fn metadata_json(info: &MediaInfo) -> String {
    info.metadata_json().to_string()
}

/// Builds a 'finished' stash row for bytes already stored as `blob_key`.
pub fn finished_row(state: &AppState, user_id: i64, blob_key: &str, props: &Props, source: &str) -> StashRow {
    let ts = crate::time::now_ts();
    let ext = key_extension(state, &props.mime);
    StashRow {
        key: new_key(user_id, &ext),
        user_id,
        status: "finished".into(),
        blob_key: blob_key.to_string(),
        size: props.size as i64,
        sha1: props.sha1.clone(),
        hash_state: None,
        mime: props.mime.clone(),
        media_type: props.media_type.clone(),
        width: props.width,
        height: props.height,
        bits: props.bits,
        page_count: props.page_count,
        metadata: props.metadata.clone(),
        source: source.into(),
        temp_name: temp_name(&ts, &ext),
        timestamp: ts,
        expires_at: crate::time::now_unix() + state.config.uploads.stash_max_age_secs as i64,
    }
}

/// Stashes a spooled temp file (adopting it into the blob store) for the caller.
pub async fn stash_temp(state: &AppState, caller: &Caller, temp: tempfile::TempPath, props: &Props, source: &str) -> ApiResult<StashRow> {
    if !caller.is_logged_in() {
        return Err(ApiError::new("stashnotloggedin", "You must be logged in to upload this file."));
    }
    if props.size == 0 {
        return Err(ApiError::new(
            "stashzerolength",
            "File is of zero length, and could not be stored in the stash.",
        ));
    }
    let blob = BlobStore::new_key();
    state.blobs.adopt(temp, &blob).await?;
    let row = finished_row(state, caller.user_id(), &blob, props, source);
    if let Err(e) = state.meta.insert_stash(&row).await {
        let _ = state.blobs.delete(&blob).await;
        return Err(e.into());
    }
    Ok(row)
}

/// Loads a stash row the caller owns, with MediaWiki 1.39's error codes.
pub async fn load_owned(state: &AppState, caller: &Caller, key: &str) -> ApiResult<StashRow> {
    if !key_is_valid(key) {
        return Err(ApiError::new(
            "stashpathinvalid",
            format!("File key of improper format or otherwise invalid: {key}."),
        ));
    }
    let Some(row) = state.meta.stash(key).await? else {
        return Err(ApiError::new(
            "uploadstash-file-not-found",
            format!("Key \"{key}\" not found in stash."),
        ));
    };
    if row.user_id != caller.user_id() {
        return Err(ApiError::new(
            "stashwrongowner",
            format!("Wrong owner: the file \"{key}\" does not belong to the current user."),
        ));
    }
    Ok(row)
}

/// Deletes a stash row and its blob (unless a file version took the blob over).
pub async fn remove(state: &AppState, key: &str) -> ApiResult<()> {
    if let Some(row) = state.meta.take_stash(key).await?
        && !state.meta.blob_in_use(&row.blob_key).await?
    {
        state.blobs.delete(&row.blob_key).await?;
    }
    Ok(())
}

/// Background sweeper: removes expired stash entries and their blobs.
pub async fn sweep_expired(state: &AppState) -> anyhow::Result<usize> {
    let mut n = 0;
    loop {
        let rows = state.meta.expired_stash(crate::time::now_unix(), 100).await?;
        if rows.is_empty() {
            return Ok(n);
        }
        for row in rows {
            remove(state, &row.key)
                .await
                .map_err(|e| anyhow::anyhow!("{}: {}", e.code, e.info))?;
            n += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn keys_have_mediawiki_shape() {
        let k = new_key(12, "png");
        assert!(key_is_valid(&k), "{k}");
        assert!(k.ends_with(".12.png"));
        assert!(key_is_valid("1d45925366co.tqw4u1.1."));
        assert!(!key_is_valid("../etc/passwd"));
        assert!(!key_is_valid("nodot"));
        assert_eq!(base36(35), "z");
        assert_eq!(base36(36), "10");
    }
}
