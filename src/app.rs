//! Wiring: the stores and the fetcher from configuration, and the first-start setup.

use mwupload_core::auth::{password, rights};
use mwupload_core::{AppState, Config, SharedState};
use mwupload_store::MetaStore;
use std::sync::Arc;

/// Opens the stores the configuration names (the metadata in SQLite under the data directory,
/// or in PostgreSQL when `database_url` says so; blobs in the local blob directory or an S3
/// bucket) and builds the shared state.
pub async fn open(config: Config) -> anyhow::Result<SharedState> {
    if let Err(bad) = mwupload_fetch::validate_allow_addresses(&config.url_uploads.allow_addresses) {
        anyhow::bail!("url_uploads.allow_addresses: not an address or CIDR: {}", bad.join(", "));
    }
    if let Err(bad) = mwupload_api::client_ip::parse_trusted(&config.trusted_proxies) {
        anyhow::bail!("trusted_proxies: not an address or CIDR: {}", bad.join(", "));
    }
    if let Err(why) = mwupload_core::config::validate_foreign_repos(&config.foreign_repos) {
        anyhow::bail!("{why}");
    }
    std::fs::create_dir_all(&config.data_dir).map_err(|e| anyhow::anyhow!("creating data dir {}: {e}", config.data_dir.display()))?;
    let meta = open_meta(&config).await?;
    let blobs = open_blobs(&config).await?;
    let foreign = mwupload_fetch::foreign::HttpForeignApi::new().map_err(|e| anyhow::anyhow!("HTTP client for foreign_repos: {e}"))?;
    Ok(AppState::with_foreign_client(
        config,
        meta,
        blobs,
        Arc::new(mwupload_fetch::HttpFetcher),
        Arc::new(foreign),
    ))
}

async fn open_meta(config: &Config) -> anyhow::Result<Arc<dyn MetaStore>> {
    let url = config.database_url.trim();
    if url.is_empty() {
        return Ok(Arc::new(mwupload_store::sqlite::SqliteStore::open(&config.db_path()).await?));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let store = mwupload_store::postgres::PgStore::open(url, config.database_pool_size).await?;
        return Ok(Arc::new(store));
    }
    // (The URL itself is not echoed: it may hold a password.)
    anyhow::bail!("database_url: expected empty (SQLite in the data directory) or a postgres:// URL")
}

/// The blob store `[storage]` names.
pub async fn open_blobs(config: &Config) -> anyhow::Result<Arc<dyn mwupload_store::BlobStore>> {
    use mwupload_core::config::StorageKind;
    match config.storage.kind {
        StorageKind::Local => Ok(Arc::new(mwupload_store::fs::FsBlobStore::open(&config.blob_dir())?)),
        StorageKind::S3 => {
            let st = &config.storage;
            let cfg = mwupload_store::s3::S3Config {
                endpoint: st.endpoint.clone(),
                bucket: st.bucket.clone(),
                region: st.region.clone(),
                access_key_id: st.access_key_id.clone(),
                secret_access_key: st.secret_access_key.clone(),
                path_style: st.path_style,
                prefix: st.prefix.clone(),
                part_size: usize::try_from(st.part_size).map_err(|_| anyhow::anyhow!("storage.part_size is too large"))?,
                concurrency: st.concurrency,
                public_url: st.public_url.clone(),
                presign_secs: st.presign_secs,
            };
            // Scratch space (request bodies, analysis copies) stays local.
            let store = mwupload_store::s3::S3BlobStore::open(cfg, &config.blob_dir().join("tmp"))
                .map_err(|e| anyhow::anyhow!("[storage] S3: {e}"))?;
            store
                .check()
                .await
                .map_err(|e| anyhow::anyhow!("[storage] S3 bucket {} at {:?} does not answer: {e}", st.bucket, st.endpoint))?;
            Ok(Arc::new(store))
        }
    }
}

/// On the very first start (no users), creates `Admin` (sysop, bureaucrat) and a bot password
/// `Admin@bot` with upload grants, prints them once and writes `initial-credentials.env` (0600).
///
/// Crash-safe: the credentials are written (and fsynced) to a pending file of this process
/// before the account is committed, and renamed to `initial-credentials.env` once the bot
/// password exists too. A start that finds accounts but no credentials file finishes what a
/// killed first start left: the pending file whose administrator password matches the stored
/// account gets its bot password (if missing) and becomes `initial-credentials.env`.
///
/// Replicas may start together on one data directory: the first start holds a lock on its
/// pending file until it is done, and a start that finds the file locked leaves it to it.
pub async fn bootstrap(state: &AppState, api_url: &str) -> anyhow::Result<()> {
    let dir = &state.config.data_dir;
    let path = dir.join("initial-credentials.env");
    if state.meta.count_users().await? > 0 {
        return repair_first_start(state, &path).await;
    }
    let admin_pass = password::random_password(24);
    let bot_pass = password::random_password(32);
    let env = format!(
        "# mwupload first-start credentials (shown once). Source with: set -a; . ./initial-credentials.env; set +a\nAPI_URL={api_url}\nBOT_USER=Admin@bot\nBOT_PASS={bot_pass}\nADMIN_USER=Admin\nADMIN_PASS={admin_pass}\n"
    );
    let pending = PendingCredentials::write(dir, &env)?;
    crash_point("first-start-before-commit");
    // The groups MediaWiki's installer gives its first account.
    let groups = vec!["bureaucrat".to_string(), "interface-admin".to_string(), "sysop".to_string()];
    let Some(uid) = state
        .meta
        .create_user("Admin", &password::hash_password(&admin_pass), &groups, None)
        .await?
    else {
        pending.discard();
        return Ok(()); // another process won the race
    };
    crash_point("first-start-after-commit");
    pause_point("first-start-after-commit");
    let grants: Vec<String> = rights::FIRST_START_BOT_GRANTS.iter().map(|s| s.to_string()).collect();
    state
        .meta
        .put_bot_password(uid, "bot", &password::hash_password(&bot_pass), &grants)
        .await?;
    pending.publish(&path)?;
    println!(
        "created administrator Admin and bot password Admin@bot (saved to {}):\n{env}",
        path.display()
    );
    Ok(())
}

/// Name of a first start's credentials before its account is complete (+ the process id).
const PENDING_PREFIX: &str = ".initial-credentials.env.pending-";
/// Name of a pending file while it is written and not yet locked; other starts ignore it
/// (nothing is committed yet that it could complete) until it is a crash's leftover.
const STAGING_PREFIX: &str = ".initial-credentials.env.staging-";
/// Age after which an unlocked staging file is a crash's leftover: its writer renames it within
/// milliseconds of creating it.
const STAGING_GRACE: std::time::Duration = std::time::Duration::from_secs(60);

/// A first start's credentials, written and fsynced before its account is committed, under
/// [`PENDING_PREFIX`] and locked (`flock`) by this process until [`PendingCredentials::publish`]
/// or [`PendingCredentials::discard`]: the lock tells other starts that its writer is alive.
struct PendingCredentials {
    path: std::path::PathBuf,
    /// Holds the lock; the kernel releases it when the process dies.
    _file: std::fs::File,
}

impl PendingCredentials {
    fn write(dir: &std::path::Path, text: &str) -> anyhow::Result<Self> {
        let pid = std::process::id();
        let staging = dir.join(format!("{STAGING_PREFIX}{pid}"));
        let path = dir.join(format!("{PENDING_PREFIX}{pid}"));
        let file = create_private(&staging).map_err(|e| anyhow::anyhow!("writing {}: {e}", staging.display()))?;
        file.try_lock().map_err(|e| anyhow::anyhow!("locking {}: {e}", staging.display()))?;
        (|| {
            use std::io::Write;
            (&file).write_all(text.as_bytes())?;
            file.sync_all()
        })()
        .map_err(|e| anyhow::anyhow!("writing {}: {e}", staging.display()))?;
        // Appears under the name other starts look at only once locked and complete.
        std::fs::rename(&staging, &path).map_err(|e| anyhow::anyhow!("renaming {} to {}: {e}", staging.display(), path.display()))?;
        sync_dir(dir);
        Ok(PendingCredentials { path, _file: file })
    }

    /// The account is complete: the credentials become `to`.
    fn publish(self, to: &std::path::Path) -> anyhow::Result<()> {
        std::fs::rename(&self.path, to).map_err(|e| anyhow::anyhow!("renaming {} to {}: {e}", self.path.display(), to.display()))?;
        if let Some(dir) = to.parent() {
            sync_dir(dir);
        }
        Ok(())
    }

    /// Another process made the first account: these credentials were never used.
    fn discard(self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Completes a first start that was killed after committing the administrator.
async fn repair_first_start(state: &AppState, path: &std::path::Path) -> anyhow::Result<()> {
    let dir = &state.config.data_dir;
    let mut pending = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(PENDING_PREFIX) {
            pending.push(entry.path());
        } else if name.starts_with(STAGING_PREFIX) {
            remove_if_abandoned(&entry.path());
        }
    }
    let admin = state.meta.user_by_name("Admin").await?;
    for p in pending {
        // A locked file's first start is still running and finishes it itself. The lock is
        // held while this start works on the file, so two starts never both do.
        let Ok(file) = std::fs::File::open(&p) else { continue };
        if file.try_lock().is_err() {
            continue;
        }
        let text = std::io::read_to_string(&file).unwrap_or_default();
        let get = |k: &str| text.lines().find_map(|l| l.strip_prefix(k)).map(str::to_string);
        let ours = match (&admin, get("ADMIN_PASS="), get("BOT_PASS=")) {
            (Some(a), Some(ap), Some(bp)) if !path.exists() && password::verify_password(&ap, &a.password_hash) => Some((a.id, bp)),
            _ => None,
        };
        match ours {
            Some((uid, bot_pass)) => {
                if state.meta.bot_password(uid, "bot").await?.is_none() {
                    let grants: Vec<String> = rights::FIRST_START_BOT_GRANTS.iter().map(|s| s.to_string()).collect();
                    state
                        .meta
                        .put_bot_password(uid, "bot", &password::hash_password(&bot_pass), &grants)
                        .await?;
                }
                std::fs::rename(&p, path).map_err(|e| anyhow::anyhow!("renaming {} to {}: {e}", p.display(), path.display()))?;
                sync_dir(dir);
                println!(
                    "completed the interrupted first start: administrator Admin and bot password Admin@bot (saved to {})",
                    path.display()
                );
            }
            // Another start's leftovers (it lost the race, or its account was never committed).
            None => {
                let _ = std::fs::remove_file(&p);
            }
        }
    }
    Ok(())
}

/// Removes a staging file left by a start that died before committing anything: unlocked, and
/// older than any live writer's would be.
fn remove_if_abandoned(staging: &std::path::Path) {
    let Ok(file) = std::fs::File::open(staging) else { return };
    let old = file
        .metadata()
        .and_then(|m| m.modified())
        .is_ok_and(|t| t.elapsed().unwrap_or_default() > STAGING_GRACE);
    if old && file.try_lock().is_ok() {
        let _ = std::fs::remove_file(staging);
    }
}

/// Makes a rename or a new file in `dir` durable.
fn sync_dir(dir: &std::path::Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

use mwupload_core::{crash_point, pause_point};

/// Creates (or empties) a file only this user can read.
fn create_private(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A staging file is removed only once its writer is surely gone: unlocked and old.
    #[test]
    fn only_old_unlocked_staging_files_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let make = |name: &str, age_secs: u64| {
            let p = dir.path().join(format!("{STAGING_PREFIX}{name}"));
            let f = create_private(&p).unwrap();
            f.set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(age_secs))
                .unwrap();
            (p, f)
        };
        let (old, _) = make("1", 120);
        let (fresh, _) = make("2", 0);
        let (old_locked, locked) = make("3", 120);
        locked.try_lock().unwrap();
        for p in [&old, &fresh, &old_locked] {
            remove_if_abandoned(p);
        }
        assert!(!old.exists(), "an old unlocked staging file is a crash's leftover");
        assert!(fresh.exists(), "a fresh one may be a live start's, about to be locked");
        assert!(old_locked.exists(), "a locked one is a live start's");
    }
}
