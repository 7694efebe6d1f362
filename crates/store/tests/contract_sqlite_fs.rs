//! The storage contract on the embedded default: SQLite + a local directory, with every
//! instance opening its own pool and blob handle on the same files (as two processes would).

use mwupload_store::contract::{Backend, Instance, run_all};
use mwupload_store::fs::FsBlobStore;
use mwupload_store::sqlite::SqliteStore;
use std::sync::Arc;

struct SqliteFs {
    dir: tempfile::TempDir,
}

#[async_trait::async_trait]
impl Backend for SqliteFs {
    async fn open(&self) -> Instance {
        let meta = SqliteStore::open(&self.dir.path().join("meta.sqlite3")).await.expect("open sqlite");
        let blobs = FsBlobStore::open(&self.dir.path().join("files")).expect("open blob dir");
        Instance {
            meta: Arc::new(meta),
            blobs: Arc::new(blobs),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_and_local_disk_keep_the_storage_contract() {
    let backend = SqliteFs {
        dir: tempfile::tempdir().unwrap(),
    };
    run_all(&backend).await;
}
