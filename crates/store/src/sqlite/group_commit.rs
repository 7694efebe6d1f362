//! Group commit of publishes. With `synchronous=FULL` every SQLite commit waits for one fsync
//! of the WAL, and commits are serialized by the single write lock, so one transaction per
//! upload caps concurrent uploads at the disk's fsync rate. Publishes that arrive while a
//! commit is in flight wait in a queue; the next round runs all of them in ONE transaction,
//! each in its own savepoint (a publish that does not succeed is rolled back alone), and
//! answers each caller only after that transaction's commit (its fsync) returned. Durability
//! is unchanged: no caller hears `Published` before its row is on disk. A lone publish is
//! committed at once (no timer, no added latency).
//!
//! The rounds run on a spawned task, so a caller that goes away (a dropped request) cannot
//! strand the others waiting in its round.

use super::SqliteStore;
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
            tokio::spawn(async move {
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
            });
        }
        rx.await
            .map_err(|_| StoreError::Database("the group commit of this publish was abandoned".into()))?
    }
}

async fn run_round(store: &SqliteStore, round: Vec<Waiter>) {
    let (ops, senders): (Vec<PublishOp>, Vec<_>) = round.into_iter().unzip();
    let results = match commit_group(store, &ops).await {
        Ok(r) => r,
        Err(e) => {
            let msg = e.to_string();
            ops.iter().map(|_| Err(StoreError::Database(msg.clone()))).collect()
        }
    };
    for (tx, r) in senders.into_iter().zip(results) {
        let _ = tx.send(r);
    }
}

/// Runs `ops` in one write transaction, one savepoint each, and commits. An error of the
/// transaction itself (begin, savepoint bookkeeping, commit) fails the whole group.
async fn commit_group(store: &SqliteStore, ops: &[PublishOp]) -> Result<Vec<StoreResult<PublishResult>>, sqlx::Error> {
    use sqlx::Connection;
    let mut tx = store.begin_write().await?;
    let mut results = Vec::with_capacity(ops.len());
    for op in ops {
        let mut sp = (*tx).begin().await?;
        let r = super::files::publish_in(&mut sp, op).await;
        if matches!(r, Ok(PublishResult::Published { .. })) {
            sp.commit().await?;
        } else {
            sp.rollback().await?;
        }
        results.push(r);
    }
    tx.commit().await?;
    Ok(results)
}
