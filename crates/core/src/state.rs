//! What every request and background task works with: configuration, the stores, the URL
//! fetcher, the rights table, and this process's identity in leases and job claims.

use crate::auth::rights;
use crate::config::Config;
use crate::upload::url::UrlFetcher;
use mwupload_store::{BlobStore, MetaStore};
use std::sync::Arc;
use tokio::sync::Notify;

pub struct AppState {
    pub config: Config,
    pub meta: Arc<dyn MetaStore>,
    pub blobs: Arc<dyn BlobStore>,
    pub fetcher: Arc<dyn UrlFetcher>,
    /// Effective `$wgGroupPermissions`.
    pub permissions: Vec<(String, Vec<String>)>,
    /// Wakes this process's job workers when a job is queued here.
    pub jobs_notify: Notify,
    /// This process's name in leases and job claims (unique per start).
    pub instance: String,
    /// The thumbnail render pool and the size/name settings.
    pub thumbs: crate::thumbs::Thumbnailer,
    /// Set when the process is shutting down: job workers claim nothing more and return after
    /// the job in hand.
    pub stopping: std::sync::atomic::AtomicBool,
    /// `trusted_proxies`, parsed once (`app::open` refuses a configuration with bad entries).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// `[[foreign_repos]]`: the shared file repositories, their client and their cache.
    pub foreign: crate::foreign::ForeignRepos,
}

pub type SharedState = Arc<AppState>;

impl AppState {
    /// A state whose shared repositories (if any are configured) cannot be reached.
    pub fn new(config: Config, meta: Arc<dyn MetaStore>, blobs: Arc<dyn BlobStore>, fetcher: Arc<dyn UrlFetcher>) -> SharedState {
        Self::with_foreign_client(config, meta, blobs, fetcher, Arc::new(crate::foreign::NoForeignApi))
    }

    /// The state, reaching `[[foreign_repos]]` through `foreign_client`.
    pub fn with_foreign_client(
        config: Config,
        meta: Arc<dyn MetaStore>,
        blobs: Arc<dyn BlobStore>,
        fetcher: Arc<dyn UrlFetcher>,
        foreign_client: Arc<dyn crate::foreign::ForeignApi>,
    ) -> SharedState {
        let foreign = crate::foreign::ForeignRepos::new(config.foreign_repos.clone(), foreign_client);
        let permissions = rights::permission_table(&config.group_permissions);
        let thumbs = crate::thumbs::Thumbnailer::new(&config.thumbnails);
        let trusted_proxies = crate::config::parse_trusted_proxies(&config.trusted_proxies).unwrap_or_default();
        Arc::new(AppState {
            thumbs,
            config,
            meta,
            blobs,
            fetcher,
            permissions,
            jobs_notify: Notify::new(),
            stopping: std::sync::atomic::AtomicBool::new(false),
            trusted_proxies,
            foreign,
            instance: format!("{}-{}", std::process::id(), hex::encode(rand::random::<[u8; 4]>())),
        })
    }
}
