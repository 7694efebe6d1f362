//! The storage contract on PostgreSQL (+ the local blob directory), and the cases where
//! PostgreSQL behaves differently from SQLite: concurrent transactions instead of one writer
//! (row locks, SKIP LOCKED claims, concurrent migrations) and unique violations, which abort a
//! PostgreSQL transaction.
//!
//! Each test creates its own database on the server `MWUPLOAD_TEST_PG_URL` points at (default
//! `postgres://postgres@127.0.0.1:5432/postgres`) and drops it at the end. Without a reachable
//! server the tests fail; `MWUPLOAD_TEST_PG=skip` skips them instead.

use mwupload_store::contract::{Backend, Instance, run_all};
use mwupload_store::fs::FsBlobStore;
use mwupload_store::postgres::PgStore;
use mwupload_store::postgres::scratch::ScratchDatabase;
use mwupload_store::*;
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

const DEFAULT_SERVER: &str = "postgres://postgres@127.0.0.1:5432/postgres";
/// Connections per store instance (the suite opens many instances on one server).
const POOL: u32 = 4;

struct PgFs {
    db: ScratchDatabase,
    dir: tempfile::TempDir,
}

impl PgFs {
    async fn store(&self) -> PgStore {
        PgStore::open(self.db.url(), POOL).await.expect("open PgStore")
    }
}

#[async_trait::async_trait]
impl Backend for PgFs {
    async fn open(&self) -> Instance {
        let blobs = FsBlobStore::open(&self.dir.path().join("files")).expect("open blob dir");
        Instance {
            meta: Arc::new(self.store().await),
            blobs: Arc::new(blobs),
        }
    }
}

/// Runs `case` on a fresh database (None: skipped by `MWUPLOAD_TEST_PG=skip`), then drops the
/// database whether the case passed or panicked.
async fn with_database<F, Fut>(case: F)
where
    F: FnOnce(Arc<PgFs>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    if std::env::var("MWUPLOAD_TEST_PG").as_deref() == Ok("skip") {
        eprintln!("MWUPLOAD_TEST_PG=skip: PostgreSQL contract test skipped");
        return;
    }
    let server = std::env::var("MWUPLOAD_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_SERVER.to_string());
    let db = match ScratchDatabase::create(&server).await {
        Ok(db) => db,
        Err(e) => panic!(
            "no PostgreSQL server for the contract test at {server} ({e}). Start one (.ci/run does: \
             pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start), point \
             MWUPLOAD_TEST_PG_URL at one, or set MWUPLOAD_TEST_PG=skip to skip these tests."
        ),
    };
    let backend = Arc::new(PgFs {
        db: db.clone(),
        dir: tempfile::tempdir().expect("tempdir"),
    });
    // A panicking case ends its task, not this function: the database is dropped either way.
    let outcome = tokio::spawn(case(backend)).await;
    if let Err(e) = db.drop_database().await {
        eprintln!("could not drop test database {}: {e}", db.name());
    }
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

fn now() -> i64 {
    time::now_unix()
}

fn version(name: &str, sha1: &str, blob_key: &str, timestamp: &str) -> FileVersion {
    FileVersion {
        name: name.into(),
        archive_name: None,
        size: 3,
        width: 0,
        height: 0,
        bits: 0,
        page_count: None,
        metadata: "null".into(),
        media_type: "TEXT".into(),
        mime: "text/plain".into(),
        description: String::new(),
        user_id: 1,
        user_name: "Tester".into(),
        timestamp: timestamp.into(),
        sha1: sha1.into(),
        blob_key: blob_key.into(),
    }
}

fn publish_op(v: FileVersion, expected: Option<&FileVersion>, archive_name: Option<String>) -> PublishOp {
    PublishOp {
        log_params: LogParams::Upload {
            img_sha1: String::new(),
            img_timestamp: v.timestamp.clone(),
        },
        version: v,
        expected_current: expected.map(|c| ExpectedCurrent {
            sha1: c.sha1.clone(),
            timestamp: c.timestamp.clone(),
        }),
        archive_name,
        page_text: "text".into(),
        comment: "comment".into(),
        null_revision_comment: "null revision".into(),
        tags: vec![],
        log_action: "upload".into(),
        consume_stash: None,
        watch_for: None,
    }
}

fn sha(n: u32) -> String {
    format!("{n:040x}")
}

const ACTOR: Actor<'static> = Actor {
    user_id: 1,
    user_name: "Tester",
};

/// Waits a little and checks that `task` is still waiting (for a lock held by the test).
async fn assert_waiting<T>(task: &tokio::task::JoinHandle<T>, what: &str) {
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!task.is_finished(), "{what} should wait for the row lock the test holds");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_and_local_disk_keep_the_storage_contract() {
    with_database(|b| async move { run_all(b.as_ref()).await }).await;
}

/// Pooled connections are not pinged before every statement (a network round trip each), yet a
/// connection the server cut while it sat idle (a restart, a failover, an idle timeout) is
/// noticed and replaced before a statement is sent on it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_idle_connection_the_server_cut_is_replaced_before_use() {
    with_database(|b| async move {
        let store = PgStore::open(b.db.url(), 1).await.expect("open");
        assert!(!store.pool().options().get_test_before_acquire(), "no ping before every statement");
        let backend = || async {
            sqlx::query_scalar::<_, i32>("SELECT pg_backend_pid()")
                .fetch_one(store.pool())
                .await
        };
        let first = backend().await.expect("first statement");
        assert_eq!(backend().await.expect("second statement"), first, "one pooled connection, reused");
        // Idle for longer than the pool trusts an unpinged connection, then cut by the server.
        tokio::time::sleep(mwupload_store::postgres::PING_IDLE_AFTER + Duration::from_millis(300)).await;
        let admin = PgStore::open(b.db.url(), 1).await.expect("second store");
        let cut: bool = sqlx::query_scalar("SELECT pg_terminate_backend($1)")
            .bind(first)
            .fetch_one(admin.pool())
            .await
            .expect("terminate");
        assert!(cut, "the server ended the pooled connection's backend");
        // (pg_terminate_backend returns before the backend has gone.)
        tokio::time::sleep(Duration::from_millis(300)).await;
        let after = backend().await.expect("a statement after the cut succeeds on a new connection");
        assert_ne!(after, first, "the cut connection was replaced");
        assert_eq!(store.count_users().await.expect("the store answers"), 0);
        admin.close().await;
        store.close().await;
    })
    .await;
}

/// Replicas booting together all run the migrations at once; sqlx's advisory lock makes one
/// apply them and the others find them applied.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replicas_migrate_a_fresh_database_together() {
    with_database(|b| async move {
        let opens: Vec<_> = (0..8)
            .map(|_| {
                let url = b.db.url().to_string();
                tokio::spawn(async move { PgStore::open(&url, 1).await })
            })
            .collect();
        for o in opens {
            let store = o.await.unwrap().expect("concurrent open and migrate");
            assert_eq!(store.count_users().await.unwrap(), 0);
        }
    })
    .await;
}

/// 8 pools × 4 workers drain 300 jobs with SKIP LOCKED claims: every job is claimed exactly
/// once, by one owner, and finishing it as that owner succeeds.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_claims_from_eight_pools_hand_each_job_to_one_owner() {
    with_database(|b| async move {
        let first = b.store().await;
        let mut ids = Vec::new();
        for i in 0..300 {
            ids.push(first.enqueue_job("test", &format!("{{\"n\":{i}}}")).await.unwrap());
        }
        let mut workers = Vec::new();
        for p in 0..8 {
            let store = Arc::new(b.store().await);
            for w in 0..4 {
                let store = store.clone();
                workers.push(tokio::spawn(async move {
                    let owner = format!("pool{p}-worker{w}");
                    let mut mine = Vec::new();
                    while let Some(job) = store.claim_job(&owner, now(), 600, 3).await.unwrap() {
                        assert_eq!((job.attempt, job.exhausted), (1, false));
                        assert!(store.finish_job(job.id, &owner, None).await.unwrap(), "owner finishes its job");
                        mine.push(job.id);
                    }
                    mine
                }));
            }
        }
        let mut claims: HashMap<i64, usize> = HashMap::new();
        for w in workers {
            for id in w.await.unwrap() {
                *claims.entry(id).or_default() += 1;
            }
        }
        assert_eq!(claims.len(), ids.len(), "every job was claimed");
        assert!(claims.values().all(|&n| n == 1), "a job was claimed twice");
        assert!(first.claim_job("late", now() + 10_000, 10, 3).await.unwrap().is_none());
    })
    .await;
}

/// A claim skips a job another transaction has locked instead of waiting for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_claim_skips_a_locked_job_instead_of_waiting() {
    with_database(|b| async move {
        let store = b.store().await;
        let locked = store.enqueue_job("test", "{}").await.unwrap();
        let free = store.enqueue_job("test", "{}").await.unwrap();
        let mut tx = store.pool().begin().await.unwrap();
        sqlx::query("SELECT id FROM jobs WHERE id = $1 FOR UPDATE")
            .bind(locked)
            .execute(&mut *tx)
            .await
            .unwrap();
        let claim = tokio::time::timeout(Duration::from_secs(5), store.claim_job("w", now(), 60, 3))
            .await
            .expect("a claim must not wait for a locked job")
            .unwrap()
            .expect("the unlocked job");
        assert_eq!(claim.id, free);
        tx.rollback().await.unwrap();
        assert_eq!(store.claim_job("w", now(), 60, 3).await.unwrap().unwrap().id, locked);
    })
    .await;
}

/// A new-file publish waits for a concurrent uncommitted insert of the same name. If that
/// commits, the publish reports `CurrentChanged` (no error: the unique violation does not abort
/// the transaction); if it rolls back, the publish wins. The connection stays usable.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_same_name_insert_during_publish_is_an_outcome_not_an_error() {
    with_database(|b| async move {
        let store = Arc::new(b.store().await);
        for commit in [true, false] {
            let name = format!("Collide_{commit}.txt");
            let mut tx = store.pool().begin().await.unwrap();
            sqlx::query(
                "INSERT INTO files (name, size, width, height, bits, metadata, media_type, mime, description, user_id, user_name, timestamp, sha1, blob_key)
                 VALUES ($1, 3, 0, 0, 0, 'null', 'TEXT', 'text/plain', '', 2, 'Other', '20250101000000', $2, 'other')",
            )
            .bind(&name)
            .bind(sha(99))
            .execute(&mut *tx)
            .await
            .unwrap();
            let s = store.clone();
            let v = version(&name, &sha(1), "mine", "20250101000001");
            let publish = tokio::spawn(async move { s.publish(&publish_op(v, None, None)).await });
            assert_waiting(&publish, "publish of a name being inserted").await;
            if commit {
                tx.commit().await.unwrap();
            } else {
                tx.rollback().await.unwrap();
            }
            let result = publish.await.unwrap().expect("no database error");
            let cur = store.current_file(&name).await.unwrap().unwrap();
            if commit {
                assert_eq!(result, PublishResult::CurrentChanged);
                assert_eq!(cur.sha1, sha(99));
                assert!(store.page(6, &name).await.unwrap().is_none(), "the lost publish left a page");
            } else {
                assert_eq!(result, PublishResult::Published { page_created: true });
                assert_eq!(cur.sha1, sha(1));
            }
        }
        // Every pooled connection still works (none was left in an aborted transaction).
        for i in 0..8 {
            let v = version(&format!("After_{i}.txt"), &sha(i), "k", "20250101000000");
            assert!(matches!(
                store.publish(&publish_op(v, None, None)).await.unwrap(),
                PublishResult::Published { .. }
            ));
        }
    })
    .await;
}

/// Archive names taken while a publish or an undelete is running (by a transaction that commits
/// meanwhile) end as `ArchiveNameTaken` for the publish, and as the next free name for the
/// undelete — never as an aborted transaction.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn archive_names_taken_meanwhile_do_not_poison_publish_or_undelete() {
    with_database(|b| async move {
        let store = Arc::new(b.store().await);
        let name = "Taken.txt".to_string();
        let v1 = version(&name, &sha(1), "k1", "20250101000000");
        store.publish(&publish_op(v1.clone(), None, None)).await.unwrap();
        let take = |archive: String| {
            let store = store.clone();
            async move {
                let mut tx = store.pool().begin().await.unwrap();
                sqlx::query(
                    "INSERT INTO old_files (name, archive_name, size, width, height, bits, metadata, media_type, mime, description, user_id, user_name, timestamp, sha1, blob_key)
                     VALUES ('Elsewhere.txt', $1, 3, 0, 0, 0, 'null', 'TEXT', 'text/plain', '', 2, 'Other', '20240101000000', $2, 'other')",
                )
                .bind(archive)
                .bind(sha(77))
                .execute(&mut *tx)
                .await
                .unwrap();
                tx
            }
        };

        // Publish: the archive name is inserted by another transaction that then commits.
        let wanted = archive_name("20250101000001", &name);
        let tx = take(wanted.clone()).await;
        let s = store.clone();
        let v2 = version(&name, &sha(2), "k2", "20250101000001");
        let op = publish_op(v2.clone(), Some(&v1), Some(wanted.clone()));
        let publish = tokio::spawn(async move { s.publish(&op).await });
        assert_waiting(&publish, "publish archiving under a name being inserted").await;
        tx.commit().await.unwrap();
        assert_eq!(publish.await.unwrap().unwrap(), PublishResult::ArchiveNameTaken);
        assert_eq!(store.current_file(&name).await.unwrap().unwrap().sha1, v1.sha1, "nothing changed");
        let other = archive_name("20250101000002", &name);
        assert!(matches!(
            store.publish(&publish_op(v2.clone(), Some(&v1), Some(other.clone()))).await.unwrap(),
            PublishResult::Published { .. }
        ));

        // Undelete: delete the file (v2 current, v1 old under `other`), then restore it while
        // another transaction inserts the name v1's restored old version would get.
        store.delete_file_page(&name, &ACTOR, "gone", &[]).await.unwrap().expect("deleted");
        assert!(store.current_file(&name).await.unwrap().is_none());
        let tx = take(other.clone()).await;
        let s = store.clone();
        let n2 = name.clone();
        let undelete = tokio::spawn(async move { s.undelete(&n2, &[], &ACTOR, "back", &[]).await });
        assert_waiting(&undelete, "undelete restoring under a name being inserted").await;
        tx.commit().await.unwrap();
        let (revs, files) = undelete.await.unwrap().expect("undelete picks another name");
        assert_eq!((revs, files), (2, 2));
        assert_eq!(store.current_file(&name).await.unwrap().unwrap().sha1, v2.sha1);
        let olds = store.old_versions(&name).await.unwrap();
        assert_eq!(olds.len(), 1);
        assert_eq!(olds[0].sha1, v1.sha1);
        assert_ne!(olds[0].archive_name.as_deref(), Some(other.as_str()));
        assert!(store.list_file_archive(&ArchiveQuery { limit: 10, ..Default::default() }).await.unwrap().is_empty());
    })
    .await;
}

/// An undelete that would restore the newest version as the current one, while a publish of
/// the name commits meanwhile, restores it as an old version instead.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_file_published_during_undelete_makes_the_restored_version_old() {
    with_database(|b| async move {
        let store = Arc::new(b.store().await);
        let name = "Undel.txt";
        let v1 = version(name, &sha(1), "k1", "20250101000000");
        store.publish(&publish_op(v1.clone(), None, None)).await.unwrap();
        store.delete_file_page(name, &ACTOR, "gone", &[]).await.unwrap().unwrap();
        let mut tx = store.pool().begin().await.unwrap();
        sqlx::query(
            "INSERT INTO files (name, size, width, height, bits, metadata, media_type, mime, description, user_id, user_name, timestamp, sha1, blob_key)
             VALUES ($1, 3, 0, 0, 0, 'null', 'TEXT', 'text/plain', '', 2, 'Other', '20250102000000', $2, 'new')",
        )
        .bind(name)
        .bind(sha(2))
        .execute(&mut *tx)
        .await
        .unwrap();
        let s = store.clone();
        let undelete = tokio::spawn(async move { s.undelete(name, &[], &ACTOR, "back", &[]).await });
        assert_waiting(&undelete, "undelete of a name being published").await;
        tx.commit().await.unwrap();
        assert_eq!(undelete.await.unwrap().unwrap(), (1, 1));
        assert_eq!(store.current_file(name).await.unwrap().unwrap().sha1, sha(2));
        let olds = store.old_versions(name).await.unwrap();
        assert_eq!((olds.len(), olds[0].sha1.as_str()), (1, sha(1).as_str()));
        assert_eq!(olds[0].archive_name.as_deref(), Some(archive_name("20250101000000", name).as_str()));
    })
    .await;
}

/// An undelete that starts while a delete of the same page is under way waits for it, and then
/// restores what that delete archived too (it reads the archive only once it holds the page).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_undelete_waits_for_a_delete_in_progress() {
    with_database(|b| async move {
        let store = Arc::new(b.store().await);
        let name = "Busy.txt";
        store
            .publish(&publish_op(version(name, &sha(1), "k1", "20250101000000"), None, None))
            .await
            .unwrap();
        store.delete_file_page(name, &ACTOR, "gone", &[]).await.unwrap().unwrap();
        // The description page is written again, and a delete of it starts (and holds the page).
        let edit = PageEdit {
            namespace: 6,
            title: name,
            text: "again",
            comment: "c",
            user_id: 1,
            user_name: "Tester",
            tags: &[],
            base_rev: None,
        };
        let EditOutcome::Saved { page_id, .. } = store.edit_page(&edit).await.unwrap() else {
            panic!("saved")
        };
        let mut delete = store.pool().begin().await.unwrap();
        sqlx::query("SELECT id FROM pages WHERE id = $1 FOR UPDATE")
            .bind(page_id)
            .execute(&mut *delete)
            .await
            .unwrap();
        let s = store.clone();
        let undelete = tokio::spawn(async move { s.undelete(name, &[], &ACTOR, "back", &[]).await });
        assert_waiting(&undelete, "undelete of a page being deleted").await;
        for sql in [
            "INSERT INTO archived_revisions (namespace, title, text, comment, user_id, user_name, timestamp, sha1)
             SELECT 6, 'Busy.txt', text, comment, user_id, user_name, timestamp, sha1 FROM revisions WHERE page_id = $1",
            "DELETE FROM revisions WHERE page_id = $1",
            "DELETE FROM pages WHERE id = $1",
        ] {
            sqlx::query(sql).bind(page_id).execute(&mut *delete).await.unwrap();
        }
        delete.commit().await.unwrap();
        assert_eq!(undelete.await.unwrap().unwrap(), (2, 1), "both deletes' revisions are restored");
        let page = store.page(6, name).await.unwrap().expect("page restored");
        let text = store.revision(page.latest_rev).await.unwrap().unwrap().text;
        assert_eq!(text, "again");
    })
    .await;
}

/// A transaction that inserts the name an undelete is restoring and then wants the page the
/// undelete holds deadlocks with it; PostgreSQL aborts the undelete (it waited first), which is
/// retried and completes, restoring the version as an old one.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_undelete_aborted_to_break_a_deadlock_is_retried() {
    with_database(|b| async move {
        let store = Arc::new(b.store().await);
        let name = "Deadlock.txt";
        store
            .publish(&publish_op(version(name, &sha(1), "k1", "20250101000000"), None, None))
            .await
            .unwrap();
        store.delete_file_page(name, &ACTOR, "gone", &[]).await.unwrap().unwrap();
        let edit = PageEdit {
            namespace: 6,
            title: name,
            text: "again",
            comment: "c",
            user_id: 1,
            user_name: "Tester",
            tags: &[],
            base_rev: None,
        };
        store.edit_page(&edit).await.unwrap();
        // A publish of the name: its row first (uncommitted), then it will want the page.
        let mut publish = store.pool().begin().await.unwrap();
        sqlx::query(
            "INSERT INTO files (name, size, width, height, bits, metadata, media_type, mime, description, user_id, user_name, timestamp, sha1, blob_key)
             VALUES ($1, 3, 0, 0, 0, 'null', 'TEXT', 'text/plain', '', 2, 'Other', '20250102000000', $2, 'new')",
        )
        .bind(name)
        .bind(sha(2))
        .execute(&mut *publish)
        .await
        .unwrap();
        let s = store.clone();
        let undelete = tokio::spawn(async move { s.undelete(name, &[], &ACTOR, "back", &[]).await });
        assert_waiting(&undelete, "undelete restoring a name being inserted").await;
        sqlx::query("SELECT id FROM pages WHERE namespace = 6 AND title = $1 FOR UPDATE")
            .bind(name)
            .execute(&mut *publish)
            .await
            .expect("the other side of the deadlock goes on once the undelete is aborted");
        publish.commit().await.unwrap();
        assert_eq!(undelete.await.unwrap().expect("retried after the deadlock"), (1, 1));
        assert_eq!(store.current_file(name).await.unwrap().unwrap().sha1, sha(2));
        assert_eq!(store.old_versions(name).await.unwrap()[0].sha1, sha(1));
    })
    .await;
}

/// Sixteen editors from eight pools save on the same base revision: the conflict check and the
/// save are atomic, so exactly one wins. A page created by two first edits at once is created
/// once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_edits_on_one_base_have_one_winner() {
    with_database(|b| async move {
        let mut stores = Vec::new();
        for _ in 0..8 {
            stores.push(Arc::new(b.store().await));
        }
        let edit = |store: Arc<PgStore>, user: i64, base: Option<i64>| async move {
            let name = format!("User{user}");
            let text = format!("text by {user}");
            let e = PageEdit {
                namespace: 4,
                title: "Contended",
                text: &text,
                comment: "c",
                user_id: user,
                user_name: &name,
                tags: &[],
                base_rev: base,
            };
            store.edit_page(&e).await.unwrap()
        };
        let creators: Vec<_> = (0..16)
            .map(|i| tokio::spawn(edit(stores[i % 8].clone(), 100 + i as i64, None)))
            .collect();
        let mut created = 0;
        let mut revs = Vec::new();
        for c in creators {
            match c.await.unwrap() {
                EditOutcome::Saved { new, rev, .. } => {
                    created += new as usize;
                    revs.push(rev);
                }
                EditOutcome::Conflict => panic!("no base, no conflict"),
            }
        }
        assert_eq!(created, 1, "the page was created once");
        let page = stores[0].page(4, "Contended").await.unwrap().unwrap();
        assert_eq!(page.latest_rev, *revs.iter().max().unwrap(), "latest_rev is the newest revision");
        let base = page.latest_rev;
        let editors: Vec<_> = (0..16)
            .map(|i| tokio::spawn(edit(stores[i % 8].clone(), 200 + i as i64, Some(base))))
            .collect();
        let mut saved = 0;
        for e in editors {
            if let EditOutcome::Saved { new, .. } = e.await.unwrap() {
                assert!(!new);
                saved += 1;
            }
        }
        assert_eq!(saved, 1, "exactly one editor of one base wins");
        let creations = stores[0]
            .log_events(&LogQuery {
                log_type: Some("create"),
                title: Some("Contended"),
                limit: 50,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(creations.len(), 1);
    })
    .await;
}

/// Upload status compare-and-set from many pools at once: one writer per expected value.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_status_replacements_have_one_winner() {
    with_database(|b| async move {
        let mut stores = Vec::new();
        for _ in 0..8 {
            stores.push(Arc::new(b.store().await));
        }
        let t = now();
        let mut expected: Option<String> = None;
        for round in 0..5 {
            let tasks: Vec<_> = (0..16)
                .map(|i| {
                    let s = stores[i % 8].clone();
                    let exp = expected.clone();
                    tokio::spawn(async move {
                        let value = format!("r{round}-w{i}");
                        let won = s.replace_status(9, "k", exp.as_deref(), &value, t, t + 100).await.unwrap();
                        won.then_some(value)
                    })
                })
                .collect();
            let mut winners = Vec::new();
            for task in tasks {
                winners.extend(task.await.unwrap());
            }
            assert_eq!(winners.len(), 1, "round {round}: one compare-and-set wins");
            assert_eq!(stores[0].status(9, "k", t).await.unwrap(), winners.first().cloned());
            expected = winners.pop();
        }
    })
    .await;
}

/// Orders and ranges are byte-wise (as SQLite's), whatever the database's collation.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn names_sort_byte_wise() {
    with_database(|b| async move {
        let store = b.store().await;
        let names = ["b.txt", "B.txt", "a.txt", "É.txt", "_x.txt", "Z.txt", "e.txt"];
        for (i, n) in names.iter().enumerate() {
            let v = version(n, &sha(i as u32), "k", "20250101000000");
            store.publish(&publish_op(v, None, None)).await.unwrap();
        }
        let listed: Vec<String> = store
            .list_files(&FileListQuery {
                limit: 50,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_iter()
            .map(|v| v.name)
            .collect();
        let mut expected: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        expected.sort(); // Rust's str order is byte order
        assert_eq!(listed, expected);
        assert_eq!(store.names_with_prefix("B", 10).await.unwrap(), vec!["B.txt".to_string()]);
        assert_eq!(store.names_with_prefix("É", 10).await.unwrap(), vec!["É.txt".to_string()]);
    })
    .await;
}
