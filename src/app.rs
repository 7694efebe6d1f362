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
/// Crash-safe: the credentials are written (and fsynced) to a file of this process before the
/// account is committed, and renamed to `initial-credentials.env` once the bot password exists
/// too. A start that finds accounts but no credentials file finishes what a killed first start
/// left: the pending file whose administrator password matches the stored account gets its bot
/// password (if missing) and becomes `initial-credentials.env`.
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
    let pending = dir.join(format!("{PENDING_PREFIX}{}", std::process::id()));
    write_private(&pending, &env)?;
    sync_dir(dir);
    crash_point("first-start-before-commit");
    // The groups MediaWiki's installer gives its first account.
    let groups = vec!["bureaucrat".to_string(), "interface-admin".to_string(), "sysop".to_string()];
    let Some(uid) = state
        .meta
        .create_user("Admin", &password::hash_password(&admin_pass), &groups, None)
        .await?
    else {
        let _ = std::fs::remove_file(&pending);
        return Ok(()); // another process won the race
    };
    crash_point("first-start-after-commit");
    let grants: Vec<String> = rights::FIRST_START_BOT_GRANTS.iter().map(|s| s.to_string()).collect();
    state
        .meta
        .put_bot_password(uid, "bot", &password::hash_password(&bot_pass), &grants)
        .await?;
    std::fs::rename(&pending, &path)?;
    sync_dir(dir);
    println!(
        "created administrator Admin and bot password Admin@bot (saved to {}):\n{env}",
        path.display()
    );
    Ok(())
}

/// Name of a first start's credentials before its account is complete (+ the process id).
const PENDING_PREFIX: &str = ".initial-credentials.env.pending-";

/// Completes a first start that was killed after committing the administrator.
async fn repair_first_start(state: &AppState, path: &std::path::Path) -> anyhow::Result<()> {
    let dir = &state.config.data_dir;
    let pending: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(PENDING_PREFIX))
        .map(|e| e.path())
        .collect();
    if pending.is_empty() {
        return Ok(());
    }
    let admin = state.meta.user_by_name("Admin").await?;
    for p in pending {
        let text = std::fs::read_to_string(&p).unwrap_or_default();
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
                std::fs::rename(&p, path)?;
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

/// Makes a rename or a new file in `dir` durable.
fn sync_dir(dir: &std::path::Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

use mwupload_core::crash_point;

fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()
}
