//! Two instances of the domain on the same database and blob directory (two connection pools
//! and two blob-store handles, as two replicas or two processes on one data dir have) must be
//! as correct as one: they race on one chunked session and on one job, and what is published
//! must be exactly the bytes whose SHA-1 was recorded. On SQLite, or on PostgreSQL when
//! `MWUPLOAD_TEST_DATABASE_URL` names a server.

use mwupload_core::auth::Caller;
use mwupload_core::upload::service::{self, ChunkBytes, ChunkPosition, Incoming, UploadRequest, UploadResponse};
use mwupload_core::upload::{UploadError, UploadStatus, status};
use mwupload_core::{AppState, Config, SharedState};
use mwupload_store::postgres::{PgStore, scratch::ScratchDatabase};
use mwupload_store::sqlite::SqliteStore;
use mwupload_store::{LogQuery, MetaStore};
use sha1::{Digest, Sha1};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncReadExt;

/// What the instances share: a data directory (blobs, and SQLite) and, when
/// `MWUPLOAD_TEST_DATABASE_URL` names a PostgreSQL server, a fresh database on it instead of
/// SQLite (dropped with this value).
struct Shared {
    dir: tempfile::TempDir,
    pg: Option<ScratchDatabase>,
}

impl Shared {
    async fn new() -> Shared {
        let pg = match std::env::var("MWUPLOAD_TEST_DATABASE_URL") {
            Ok(server) if !server.is_empty() => Some(ScratchDatabase::create(&server).await.expect("test database")),
            _ => None,
        };
        Shared {
            dir: tempfile::tempdir().unwrap(),
            pg,
        }
    }

    /// An instance with its own connection pool and blob-store handle.
    async fn instance(&self) -> SharedState {
        let config = Config {
            data_dir: self.dir.path().to_path_buf(),
            ..Config::default()
        };
        let meta: Arc<dyn MetaStore> = match &self.pg {
            Some(db) => Arc::new(PgStore::open(db.url(), 8).await.expect("postgres")),
            None => Arc::new(SqliteStore::open(&config.db_path()).await.expect("sqlite")),
        };
        let blobs = mwupload_store::fs::FsBlobStore::open(&config.blob_dir()).expect("blobs");
        AppState::new(config, meta, Arc::new(blobs), Arc::new(mwupload_core::upload::url::NoFetcher))
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        if let Some(db) = self.pg.take() {
            // On a runtime of its own: this may run inside the test's runtime.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                rt.block_on(db.drop_database())
            })
            .join();
        }
    }
}

async fn uploader(state: &SharedState) -> Caller {
    let id = match state.meta.user_by_name("Racer").await.unwrap() {
        Some(u) => u.id,
        None => state
            .meta
            .create_user("Racer", "x", &["sysop".to_string()], None)
            .await
            .unwrap()
            .unwrap(),
    };
    Caller::for_user(state, id, None).await.unwrap()
}

/// Printable text (so a `.txt` name verifies), different per seed.
fn text(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    (0..len)
        .map(|i| {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            if i % 64 == 63 { b'\n' } else { b'a' + ((x >> 33) % 26) as u8 }
        })
        .collect()
}

fn spooled(state: &AppState, bytes: &[u8]) -> ChunkBytes {
    let tmp = tempfile::NamedTempFile::new_in(state.blobs.scratch_dir()).unwrap();
    std::fs::write(tmp.path(), bytes).unwrap();
    ChunkBytes::Spooled(Incoming {
        path: tmp.into_temp_path(),
        size: bytes.len() as u64,
        sha1: Sha1::digest(bytes).into(),
    })
}

fn request(name: &str, async_: bool) -> UploadRequest {
    UploadRequest {
        filename: name.into(),
        ignorewarnings: true,
        async_,
        ..Default::default()
    }
}

async fn blob_sha1(state: &AppState, key: &str) -> String {
    let mut v = Vec::new();
    state.blobs.read(key, None).await.unwrap().read_to_end(&mut v).await.unwrap();
    hex::encode(Sha1::digest(&v))
}

const CHUNK: usize = 20_000;
const ROUNDS: usize = 8;

/// Uploads a session chunk by chunk, six writers from both instances racing at every offset
/// with different bytes; returns (filekey, the bytes that landed).
async fn raced_session(a: &SharedState, b: &SharedState, name: &str, async_last: bool) -> (String, Vec<u8>) {
    let ca = uploader(a).await;
    let cb = uploader(b).await;
    let total = CHUNK * ROUNDS;
    let first = text(CHUNK, 1);
    let pos = ChunkPosition {
        filekey: None,
        offset: Some(0),
        filesize: Some(total as u64),
    };
    let key = match service::chunk(a, &ca, &request(name, false), spooled(a, &first), &pos)
        .await
        .unwrap()
    {
        UploadResponse::Continue { filekey, .. } => filekey,
        other => panic!("first chunk: {other:?}"),
    };
    let mut landed = first;
    for round in 1..ROUNDS {
        let offset = landed.len();
        let last = round == ROUNDS - 1;
        let mut tasks = Vec::new();
        for w in 0..6u64 {
            let (state, caller) = if w % 2 == 0 {
                (a.clone(), ca.clone())
            } else {
                (b.clone(), cb.clone())
            };
            let bytes = text(CHUNK, 100 * round as u64 + w);
            let pos = ChunkPosition {
                filekey: Some(key.clone()),
                offset: Some(offset as u64),
                filesize: Some(total as u64),
            };
            let req = request(name, async_last && last);
            tasks.push(tokio::spawn(async move {
                let chunk = spooled(&state, &bytes);
                (service::chunk(&state, &caller, &req, chunk, &pos).await, bytes)
            }));
        }
        let mut winners = 0;
        for t in tasks {
            match t.await.unwrap() {
                (Ok(UploadResponse::Continue { offset: at, .. }), bytes) => {
                    assert_eq!(at as usize, offset + CHUNK);
                    winners += 1;
                    landed.extend_from_slice(&bytes);
                }
                (Ok(UploadResponse::Assembled { .. }) | Ok(UploadResponse::Queued { .. }), bytes) if last => {
                    winners += 1;
                    landed.extend_from_slice(&bytes);
                }
                (Err(f), _) => assert!(
                    matches!(
                        f.error,
                        UploadError::ChunkOffset { .. }
                            | UploadError::ChunkSessionCompleted
                            | UploadError::NoChunkSession
                            | UploadError::StashFileNotFound { .. }
                    ),
                    "a losing chunk must be refused cleanly: {f:?}"
                ),
                (other, _) => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(winners, 1, "exactly one chunk may land at offset {offset}");
    }
    (key, landed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_racing_on_one_chunk_session_publish_the_recorded_bytes() {
    let shared = Shared::new().await;
    let (a, b) = (shared.instance().await, shared.instance().await);
    let (_, landed) = raced_session(&a, &b, "Raced.txt", false).await;
    // The last round assembled the file; find its stash entry and publish it from the other instance.
    let caller = uploader(&b).await;
    let stashed = a.meta.expired_stash(i64::MAX, 100).await.unwrap();
    let row = stashed
        .iter()
        .find(|r| r.state == mwupload_store::StashState::Finished && r.size as usize == landed.len())
        .expect("assembled stash entry");
    assert_eq!(
        row.sha1,
        hex::encode(Sha1::digest(&landed)),
        "recorded SHA-1 is not the landed bytes'"
    );
    let published = service::from_stash(&b, &caller, &request("Raced.txt", false), &row.key)
        .await
        .unwrap();
    let UploadResponse::Published { version, .. } = published else {
        panic!("{published:?}")
    };
    assert_eq!(version.sha1, hex::encode(Sha1::digest(&landed)));
    assert_eq!(
        blob_sha1(&a, &version.blob_key).await,
        version.sha1,
        "served bytes differ from the recorded SHA-1"
    );
    assert_eq!(blob_sha1(&b, &version.blob_key).await, version.sha1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_racing_on_one_job_run_it_once() {
    let shared = Shared::new().await;
    let (a, b) = (shared.instance().await, shared.instance().await);
    // Two workers per instance compete for every job.
    let mut workers = Vec::new();
    for s in [&a, &b, &a, &b] {
        workers.push(tokio::spawn(mwupload_core::jobs::worker(s.clone())));
    }
    let (key, landed) = raced_session(&a, &b, "RacedJob.txt", true).await;
    let caller = uploader(&a).await;
    let assembled = poll(&a, caller.user_id(), &key).await;
    let UploadStatus::Success {
        filekey: Some(filekey), ..
    } = assembled
    else {
        panic!("{assembled:?}")
    };
    // Publish asynchronously too: both instances' workers race for that job as well.
    let r = service::from_stash(&b, &caller, &request("RacedJob.txt", true), &filekey)
        .await
        .unwrap();
    assert!(matches!(r, UploadResponse::Queued { .. }), "{r:?}");
    let published = poll(&b, caller.user_id(), &filekey).await;
    let UploadStatus::Success { filename: Some(name), .. } = published else {
        panic!("{published:?}")
    };
    for w in workers {
        w.abort();
    }
    let v = a.meta.current_file(&name).await.unwrap().expect("published");
    assert_eq!(v.sha1, hex::encode(Sha1::digest(&landed)));
    assert_eq!(
        blob_sha1(&b, &v.blob_key).await,
        v.sha1,
        "served bytes differ from the recorded SHA-1"
    );
    assert!(a.meta.old_versions(&name).await.unwrap().is_empty(), "the publish job ran twice");
    let log = a
        .meta
        .log_events(&LogQuery {
            log_type: Some("upload"),
            title: Some(&name),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(log.len(), 1, "one upload log entry");
    assert!(a.meta.failed_jobs().await.unwrap().is_empty());
}

async fn poll(state: &SharedState, user: i64, key: &str) -> UploadStatus {
    for _ in 0..400 {
        match status::get(state, user, key).await.unwrap() {
            Some(UploadStatus::Poll { .. }) | None => tokio::time::sleep(Duration::from_millis(50)).await,
            Some(s) => return s,
        }
    }
    panic!("still polling {key}");
}
