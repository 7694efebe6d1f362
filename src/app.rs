//! Application state shared by every request and background task, and the first-run setup.

use crate::auth::{password, rights};
use crate::config::Config;
use crate::store::{BlobStore, MetaStore};
use std::sync::Arc;
use tokio::sync::Notify;

pub struct AppState {
    pub config: Config,
    pub meta: MetaStore,
    pub blobs: BlobStore,
    /// Effective `$wgGroupPermissions`.
    pub permissions: Vec<(String, Vec<String>)>,
    /// Wakes the job workers when a job is queued.
    pub jobs_notify: Notify,
    /// Serializes writes to one chunked-upload session.
    pub chunk_locks: crate::upload::chunks::SessionLocks,
}

pub type SharedState = Arc<AppState>;

impl AppState {
    pub async fn open(config: Config) -> anyhow::Result<SharedState> {
        std::fs::create_dir_all(&config.data_dir).map_err(|e| anyhow::anyhow!("creating data dir {}: {e}", config.data_dir.display()))?;
        let meta = MetaStore::open_sqlite(&config.db_path()).await?;
        let blobs = BlobStore::open_local(&config.blob_dir())?;
        let permissions = rights::permission_table(&config.group_permissions);
        Ok(Arc::new(AppState {
            config,
            meta,
            blobs,
            permissions,
            jobs_notify: Notify::new(),
            chunk_locks: Default::default(),
        }))
    }

    /// On the very first start (no users), creates `Admin` (sysop, bureaucrat) and a bot password
    /// `Admin@bot` with upload grants, prints them once and writes `initial-credentials.env` (0600).
    pub async fn bootstrap(&self, api_url: &str) -> anyhow::Result<()> {
        if self.meta.count_users().await? > 0 {
            return Ok(());
        }
        let admin_pass = password::random_password(24);
        let bot_pass = password::random_password(32);
        let groups = vec!["sysop".to_string(), "bureaucrat".to_string()];
        let Some(uid) = self
            .meta
            .create_user("Admin", &password::hash_password(&admin_pass), &groups)
            .await?
        else {
            return Ok(()); // another replica won the race
        };
        let grants: Vec<String> = rights::FIRST_START_BOT_GRANTS.iter().map(|s| s.to_string()).collect();
        self.meta
            .put_bot_password(uid, "bot", &password::hash_password(&bot_pass), &grants)
            .await?;
        let env = format!(
            "# mwupload first-start credentials (shown once). Source with: set -a; . ./initial-credentials.env; set +a\nAPI_URL={api_url}\nBOT_USER=Admin@bot\nBOT_PASS={bot_pass}\nADMIN_USER=Admin\nADMIN_PASS={admin_pass}\n"
        );
        let path = self.config.data_dir.join("initial-credentials.env");
        write_private(&path, &env)?;
        println!(
            "created administrator Admin and bot password Admin@bot (saved to {}):\n{env}",
            path.display()
        );
        Ok(())
    }
}

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
