//! The storage contract on S3: SQLite metadata + the S3 blob adapter, against two real S3
//! servers started on loopback by the test: Garage (what self-hosters run) and s3s-fs (strict:
//! it refuses non-final parts under 5 MiB, which Garage accepts, so a coalescing mistake shows
//! here). Every instance opens its own pool, S3 client and scratch directory, as replicas would.
//!
//! The servers come from `scripts/install-s3-servers.sh`; without them these tests fail, unless
//! `MWUPLOAD_TEST_S3=skip`.
#![cfg(feature = "s3")]

use mwupload_store::contract::{Backend, Instance, run_all};
use mwupload_store::s3::S3BlobStore;
use mwupload_store::s3_servers::{self, S3Server};
use mwupload_store::sqlite::SqliteStore;
use std::sync::Arc;

struct SqliteS3 {
    dir: tempfile::TempDir,
    server: S3Server,
    /// A fresh prefix per run, so runs never see each other's objects.
    prefix: String,
}

#[async_trait::async_trait]
impl Backend for SqliteS3 {
    async fn open(&self) -> Instance {
        let meta = SqliteStore::open(&self.dir.path().join("meta.sqlite3")).await.expect("open sqlite");
        let mut cfg = self.server.config.clone();
        cfg.prefix = self.prefix.clone();
        let blobs = S3BlobStore::open(cfg, &self.dir.path().join("scratch")).expect("open S3 blob store");
        blobs
            .check()
            .await
            .unwrap_or_else(|e| panic!("{} does not answer: {e}", self.server.name));
        Instance {
            meta: Arc::new(meta),
            blobs: Arc::new(blobs),
        }
    }
}

async fn run(server: fn() -> S3Server) {
    if s3_servers::skipped() {
        eprintln!("MWUPLOAD_TEST_S3=skip: S3 contract skipped");
        return;
    }
    let backend = SqliteS3 {
        dir: tempfile::tempdir().unwrap(),
        server: tokio::task::spawn_blocking(server).await.unwrap(),
        prefix: format!("run-{}/", hex::encode(rand::random::<[u8; 4]>())),
    };
    run_all(&backend).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_and_garage_keep_the_storage_contract() {
    run(s3_servers::garage).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_and_s3s_fs_keep_the_storage_contract() {
    run(s3_servers::s3s_fs).await;
}
