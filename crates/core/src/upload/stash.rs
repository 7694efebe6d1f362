//! The upload stash: files parked per user under an unguessable key, to be published later
//! (after a Warning, `stash=1`, or chunked assembly). A stash entry owns its blob until a
//! publish hands the blob to a file version in the same transaction that removes the entry.

use super::error::{UploadError, UploadResult};
use super::publish::Props;
use crate::auth::Caller;
use crate::state::AppState;
use mwupload_store::{StashRow, StashState, base36, new_blob_key};

/// MediaWiki's key shape: `<base36 time>.<base36 random>.<user id>.<ext>` (ext may be empty).
pub fn new_key(user_id: i64, ext: &str) -> String {
    // MediaWiki: base 36 of the decimal digits of seconds followed by microtime's 8 fraction digits.
    let now = chrono::Utc::now();
    let digits = format!("{}{:08}", now.timestamp().max(0), now.timestamp_subsec_nanos() / 10);
    let stamp: u128 = digits.parse().unwrap_or(0);
    let rand: u32 = rand::random::<u32>() >> 1;
    format!(
        "{}.{}.{}.{}",
        base36::encode_u128(stamp),
        base36::encode_u128(rand as u128),
        user_id,
        ext
    )
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
        .map(crate::title::normalize_extension)
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

/// `YYYYMMDDHHMMSS!phpXXXXXX.ext`: the temporary name MediaWiki shows as a stashed file's title.
fn temp_name(ts: &str, ext: &str) -> String {
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let r: String = (0..6).map(|_| DIGITS[rand::random::<u8>() as usize % 36] as char).collect();
    if ext.is_empty() {
        format!("{ts}!php{r}")
    } else {
        format!("{ts}!php{r}.{ext}")
    }
}

/// A stash entry for bytes already stored as `blob_key`.
pub fn new_row(state: &AppState, user_id: i64, blob_key: &str, props: &Props, source: &str, kind: StashState) -> StashRow {
    let ts = mwupload_store::time::now_ts();
    let ext = key_extension(state, &props.mime);
    StashRow {
        key: new_key(user_id, &ext),
        user_id,
        state: kind,
        blob_key: blob_key.to_string(),
        size: props.size as i64,
        sha1: props.sha1.clone(),
        hash_state: None,
        blob_state: None,
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
        expires_at: mwupload_store::time::now_unix() + state.config.uploads.stash_max_age_secs as i64,
        verified_ext: props.verified_ext.clone(),
    }
}

/// Stashes a spooled scratch file for the caller (moving it into the blob store).
pub async fn stash_temp(
    state: &AppState,
    caller: &Caller,
    temp: tempfile::TempPath,
    props: &Props,
    source: &str,
) -> UploadResult<StashRow> {
    check_stashable(caller, props)?;
    let blob = new_blob_key();
    state.blobs.put_file(&blob, temp).await?;
    stash_stored(state, caller, blob, props, source).await
}

/// Stashes bytes already stored as `blob`, which the caller hands over: the blob is deleted if
/// no entry can be made for it.
pub async fn stash_stored(state: &AppState, caller: &Caller, blob: String, props: &Props, source: &str) -> UploadResult<StashRow> {
    let row = match check_stashable(caller, props) {
        Ok(()) => new_row(state, caller.user_id(), &blob, props, source, StashState::Finished),
        Err(e) => {
            let _ = state.blobs.delete(&blob).await;
            return Err(e);
        }
    };
    if let Err(e) = state.meta.insert_stash(&row).await {
        let _ = state.blobs.delete(&blob).await;
        return Err(e.into());
    }
    Ok(row)
}

/// UploadStash's refusals: no anonymous stash, no empty file.
fn check_stashable(caller: &Caller, props: &Props) -> UploadResult<()> {
    if !caller.is_logged_in() {
        return Err(UploadError::StashNotLoggedIn);
    }
    if props.size == 0 {
        return Err(UploadError::StashZeroLength);
    }
    Ok(())
}

/// Loads a stash entry the caller owns, with MediaWiki 1.39's errors.
pub async fn load_owned(state: &AppState, caller: &Caller, key: &str) -> UploadResult<StashRow> {
    if !key_is_valid(key) {
        return Err(UploadError::StashPathInvalid { key: key.to_string() });
    }
    let Some(row) = state.meta.stash(key).await? else {
        return Err(UploadError::StashFileNotFound { key: key.to_string() });
    };
    if row.user_id != caller.user_id() {
        return Err(UploadError::StashWrongOwner { key: key.to_string() });
    }
    Ok(row)
}

/// Deletes a stash entry and then its blob, unless some row still refers to the blob. The
/// entry goes first: a publish of it (which consumes the entry in its transaction) then fails
/// instead of publishing bytes that are about to be deleted.
pub async fn remove(state: &AppState, key: &str) -> UploadResult<()> {
    if let Some(row) = state.meta.take_stash(key).await?
        && !state.meta.blob_in_use(&row.blob_key).await?
    {
        if row.state == StashState::Chunks {
            // An unfinished session: free what the store holds for it (S3: its multipart upload).
            state
                .blobs
                .abort_session(&row.blob_key, row.blob_state.as_deref().unwrap_or(""))
                .await?;
        }
        state.blobs.delete(&row.blob_key).await?;
    }
    Ok(())
}

/// Removes expired stash entries and their blobs; returns how many.
pub async fn sweep_expired(state: &AppState) -> UploadResult<usize> {
    let mut n = 0;
    loop {
        let rows = state.meta.expired_stash(mwupload_store::time::now_unix(), 100).await?;
        if rows.is_empty() {
            return Ok(n);
        }
        for row in rows {
            remove(state, &row.key).await?;
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
    }
}
