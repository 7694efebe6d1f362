//! Group commit of publishes. With `synchronous=FULL` every SQLite commit waits for one fsync
//! of the WAL, and commits are serialized by the single write lock, so one transaction per
//! upload caps concurrent uploads at the disk's fsync rate. Publishes that arrive while a
//! commit is in flight wait in a queue; the next round runs all of them in ONE transaction
//! (a publish that does not go ahead writes nothing; if one fails midway, the round is rolled
//! back and its publishes run again one by one), and answers each caller only after that
//! transaction's commit (its fsync) returned. Durability is unchanged: no caller hears
//! `Published` before its row is on disk. A lone publish is committed at once (no timer, no
//! added latency).
//!
//! The rounds run on a task of their own, on a thread of their own (see [`writer_runtime`]),
//! so a caller that goes away (a dropped request) cannot strand the others waiting in its
//! round, and the serial chain of statements does not queue behind the requests' tasks.

use super::files::{self, Decided};
use super::{SqliteStore, begin_write};
use crate::{PublishOp, PublishResult, StoreError, StoreResult};
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

/// The most publishes committed in one transaction (bounds the write lock's hold time).
const MAX_GROUP: usize = 128;

type Waiter = (PublishOp, oneshot::Sender<StoreResult<PublishResult>>);

#[derive(Default)]
struct Queue {
    waiting: Vec<Waiter>,
    /// A task is running rounds: new publishes join its next one.
    running: bool,
}

#[derive(Clone, Default)]
pub(super) struct GroupCommit {
    queue: Arc<Mutex<Queue>>,
}

impl std::fmt::Debug for GroupCommit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GroupCommit")
    }
}

/// Marks the queue idle when the round task panics: the waiters still queued get an error
/// instead of waiting forever, and the next publish starts a new task. (A normal end marks it
/// idle itself, under the lock, when it finds the queue empty.)
struct PanicGuard(Arc<Mutex<Queue>>);

impl Drop for PanicGuard {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let mut q = self.0.lock().unwrap_or_else(|e| e.into_inner());
            q.running = false;
            q.waiting.clear();
        }
    }
}

impl GroupCommit {
    pub(super) async fn publish(&self, store: &SqliteStore, op: PublishOp) -> StoreResult<PublishResult> {
        let (tx, rx) = oneshot::channel();
        let start = {
            let mut q = self.queue.lock().unwrap_or_else(|e| e.into_inner());
            q.waiting.push((op, tx));
            !std::mem::replace(&mut q.running, true)
        };
        if start {
            let store = store.clone();
            let queue = self.queue.clone();
            let rounds = async move {
                let _guard = PanicGuard(queue.clone());
                loop {
                    let round: Vec<Waiter> = {
                        let mut q = queue.lock().unwrap_or_else(|e| e.into_inner());
                        if q.waiting.is_empty() {
                            // Cleared under the lock: a publish queued after this sees
                            // `running == false` and starts a new task.
                            q.running = false;
                            return;
                        }
                        let n = q.waiting.len().min(MAX_GROUP);
                        q.waiting.drain(..n).collect()
                    };
                    run_round(&store, round).await;
                }
            };
            match writer_runtime() {
                Some(rt) => drop(rt.spawn(rounds)),
                None => drop(tokio::spawn(rounds)),
            }
        }
        rx.await
            .map_err(|_| StoreError::Database("the group commit of this publish was abandoned".into()))?
    }
}

/// The runtime the rounds run on: one thread of its own, shared by every store in the process.
/// A round is a chain of statements, each a hand-off to the connection's thread and back. On
/// the server's runtime every step of that chain also waited behind the requests' tasks, and
/// the writer is the one serial part of an upload: at 32 clients its rounds of ~15 publishes
/// took ~23 ms and it was busy 98 % of the time. (None if the thread could not be started:
/// the rounds then run on the caller's runtime.)
fn writer_runtime() -> Option<&'static tokio::runtime::Runtime> {
    static RUNTIME: std::sync::OnceLock<Option<tokio::runtime::Runtime>> = std::sync::OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .thread_name("sqlite-group-commit")
                .enable_all()
                .build()
                .inspect_err(|e| tracing::warn!("no thread for the group commit ({e}): it runs on the server's runtime"))
                .ok()
        })
        .as_ref()
}

async fn run_round(store: &SqliteStore, round: Vec<Waiter>) {
    let (ops, senders): (Vec<PublishOp>, Vec<_>) = round.into_iter().unzip();
    let results = commit_group(store, &ops).await;
    for (tx, r) in senders.into_iter().zip(results) {
        let _ = tx.send(r);
    }
}

/// Commits `ops`: all in one write transaction when they all go through, else each in a
/// transaction of its own. A publish that does not go ahead is decided by its reads alone and
/// writes nothing, so the publishes of a round need no savepoints (two statements each, on the
/// one serial path). If anything fails in the shared transaction (an error, or a constraint the
/// reads did not foresee), it is rolled back as a whole and every publish of the round runs
/// again alone, where a failure is only its own.
async fn commit_group(store: &SqliteStore, ops: &[PublishOp]) -> Vec<StoreResult<PublishResult>> {
    if ops.len() > 1 {
        match commit_together(store, ops).await {
            Ok(Some(results)) => return results,
            Ok(None) => {}
            Err(e) => tracing::warn!(
                "a group commit of {} publishes failed ({e}); they are committed one by one",
                ops.len()
            ),
        }
    }
    let mut results = Vec::with_capacity(ops.len());
    for op in ops {
        results.push(commit_alone(store, op).await);
    }
    results
}

/// `ops` in one transaction, committed; None (everything rolled back) if one of them failed.
async fn commit_together(store: &SqliteStore, ops: &[PublishOp]) -> Result<Option<Vec<StoreResult<PublishResult>>>, sqlx::Error> {
    let mut conn = store.pool.acquire().await?;
    let mut tx = begin_write(&mut conn).await?;
    let mut results = Vec::with_capacity(ops.len());
    for op in ops {
        let done = match files::publish_in(&mut tx, op).await {
            Ok(Decided::Done(r)) => Some(r),
            Ok(Decided::Write(facts)) => match files::publish_writes(&mut tx, op, facts).await {
                Ok(r @ PublishResult::Published { .. }) => Some(r),
                _ => None,
            },
            // (After an error SQLite may have ended the transaction itself: nothing more runs
            // in it.)
            Err(_) => None,
        };
        match done {
            Some(r) => results.push(Ok(r)),
            None => {
                let _ = tx.rollback().await;
                return Ok(None);
            }
        }
    }
    tx.commit().await?;
    Ok(Some(results))
}

/// One publish in a transaction of its own, committed only if it published.
async fn commit_alone(store: &SqliteStore, op: &PublishOp) -> StoreResult<PublishResult> {
    let mut conn = store.pool.acquire().await?;
    let mut tx = begin_write(&mut conn).await?;
    let r = match files::publish_in(&mut tx, op).await {
        Ok(Decided::Write(facts)) => files::publish_writes(&mut tx, op, facts).await,
        Ok(Decided::Done(r)) => Ok(r),
        Err(e) => Err(e),
    };
    if matches!(r, Ok(PublishResult::Published { .. })) {
        tx.commit().await?;
    } else {
        tx.rollback().await?;
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::{publish_op, version};
    use crate::{FileStore, PageStore};

    /// A round whose publishes all go through is one transaction; when one fails midway (here a
    /// trigger refuses its log entry, after its file, page and revision rows were written), the
    /// round is rolled back and run again one by one: that publish fails alone and leaves
    /// nothing behind, the others publish.
    #[tokio::test]
    async fn a_publish_failing_midway_fails_alone_and_the_rest_of_its_round_publishes() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("meta.sqlite")).await.unwrap();
        sqlx::query(
            "CREATE TRIGGER refuse_boom BEFORE INSERT ON log_events WHEN NEW.title = 'Boom.png'
             BEGIN SELECT RAISE(ABORT, 'refused by the test'); END",
        )
        .execute(&store.pool)
        .await
        .unwrap();
        let ts = crate::time::now_ts();
        let names = ["A.png", "Boom.png", "C.png"];
        let ops: Vec<PublishOp> = names
            .iter()
            .enumerate()
            .map(|(i, n)| publish_op(version(n, &format!("{i:040x}"), &format!("blob{i}"), &ts), None, None, None))
            .collect();
        let results = commit_group(&store, &ops).await;
        assert!(
            matches!(results[0], Ok(PublishResult::Published { page_created: true })),
            "{results:?}"
        );
        assert!(
            results[1].as_ref().is_err_and(|e| e.to_string().contains("refused by the test")),
            "{results:?}"
        );
        assert!(
            matches!(results[2], Ok(PublishResult::Published { page_created: true })),
            "{results:?}"
        );
        for (name, published) in [("A.png", true), ("Boom.png", false), ("C.png", true)] {
            assert_eq!(store.current_file(name).await.unwrap().is_some(), published, "{name}: file row");
            assert_eq!(store.page(6, name).await.unwrap().is_some(), published, "{name}: page row");
        }
        // Without the failing publish the round is one transaction again, and a second publish
        // of a name taken earlier in the same round loses its compare-and-set.
        let ops = vec![
            publish_op(version("D.png", &format!("{:040x}", 7), "blob7", &ts), None, None, None),
            publish_op(version("D.png", &format!("{:040x}", 8), "blob8", &ts), None, None, None),
        ];
        let results = commit_group(&store, &ops).await;
        assert!(matches!(results[0], Ok(PublishResult::Published { .. })), "{results:?}");
        assert!(matches!(results[1], Ok(PublishResult::CurrentChanged)), "{results:?}");
        assert_eq!(store.current_file("D.png").await.unwrap().unwrap().blob_key, "blob7");
    }
}
