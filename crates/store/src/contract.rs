//! The contract every storage adapter must pass, generic over the traits.
//!
//! A [`Backend`] opens any number of store instances on the same storage (each with its own
//! connection pool and blob-store handle, as separate replicas would have); the cases race them.
//! Run all of them with [`run_all`] from an adapter's tests.

use crate::*;
use sha1::{Digest, Sha1};
use std::sync::Arc;
use tokio::io::AsyncReadExt;

/// One store instance: metadata and blobs.
#[derive(Clone)]
pub struct Instance {
    pub meta: Arc<dyn MetaStore>,
    pub blobs: Arc<dyn BlobStore>,
}

/// Opens store instances that share one storage.
#[async_trait::async_trait]
pub trait Backend: Send + Sync {
    /// A new instance (new pool, new blob handle) on the same storage as every other.
    async fn open(&self) -> Instance;
}

/// Runs every case; panics (with the case's name) on the first broken guarantee.
pub async fn run_all(b: &dyn Backend) {
    blobs_put_read_and_materialize(b).await;
    a_failed_attempt_is_never_committed(b).await;
    small_chunks_coalesce_into_parts(b).await;
    a_stale_writers_part_is_never_referenced(b).await;
    many_1kib_chunks_assemble_with_the_right_sha1(b).await;
    orphans_are_listed_by_blob_key(b).await;
    two_writers_on_one_chunk_session(b).await;
    lease_expiry_with_an_owner_check(b).await;
    chunk_offsets_advance_by_compare_and_set(b).await;
    a_users_stash_lists_theirs_unexpired_newest_first(b).await;
    a_stash_entry_keeps_the_extension_it_was_verified_under(b).await;
    publish_racing_the_stash_sweeper(b).await;
    archive_name_collision(b).await;
    a_names_record_follows_publish_and_delete(b).await;
    a_size_is_found_among_current_archived_and_deleted_versions(b).await;
    same_name_publish_has_one_winner(b).await;
    concurrent_publishes_each_get_their_own_result(b).await;
    publish_is_compare_and_set_on_the_current_version(b).await;
    a_job_claimed_twice(b).await;
    a_job_whose_owners_keep_dying_is_handed_out_exhausted(b).await;
    status_replace_is_compare_and_set(b).await;
    protections_expire_and_follow_the_page(b).await;
    one_active_block_per_target(b).await;
    group_memberships_expire_and_are_logged(b).await;
    a_new_account_and_its_log_entry_commit_together(b).await;
    a_sessions_caller_is_read_in_one_query(b).await;
    thumbnails_follow_the_bytes_in_use(b).await;
    login_throttle_counts_across_instances(b).await;
    a_page_outside_the_file_namespace_is_deleted_and_restored(b).await;
    a_file_move_takes_every_version_in_one_step(b).await;
}

/// `delete_page`/`undelete_page` of a page in the main namespace move its revisions to the
/// archive and back, and leave a file of the same name (and its File page) alone.
pub async fn a_page_outside_the_file_namespace_is_deleted_and_restored(b: &dyn Backend) {
    let x = b.open().await;
    let title = format!("Same_name_{}.png", unique(""));
    let v = version(&title, "3333333333333333333333333333333333333333", &unique("ee"), "20250101000000");
    x.meta.publish(&publish_op(v, None, None, None)).await.unwrap();
    for text in ["one", "two"] {
        let edit = PageEdit {
            namespace: 0,
            title: &title,
            text,
            comment: text,
            user_id: 1,
            user_name: "Admin",
            tags: &[],
            base_rev: None,
        };
        assert!(matches!(x.meta.edit_page(&edit).await.unwrap(), EditOutcome::Saved { .. }));
    }
    let admin = Actor {
        user_id: 1,
        user_name: "Admin",
    };
    assert!(x.meta.delete_page(0, &title, &admin, "bye", &[]).await.unwrap().is_some());
    assert!(x.meta.page(0, &title).await.unwrap().is_none(), "pages: deleted");
    assert!(
        x.meta.current_file(&title).await.unwrap().is_some(),
        "pages: the file of that name stays"
    );
    assert!(
        x.meta.page(6, &title).await.unwrap().is_some(),
        "pages: the File page of that name stays"
    );
    assert!(x.meta.delete_page(0, &title, &admin, "again", &[]).await.unwrap().is_none());
    assert_eq!(x.meta.undelete_page(0, &title, &[], &admin, "back", &[]).await.unwrap(), (2, 0));
    let page = x.meta.page(0, &title).await.unwrap().expect("pages: restored");
    let q = RevisionQuery {
        page_id: page.id,
        newest_first: true,
        limit: 10,
        ..Default::default()
    };
    let texts: Vec<String> = x.meta.page_revisions(&q).await.unwrap().into_iter().map(|r| r.text).collect();
    assert_eq!(texts, ["two", "one"], "pages: both revisions back, in order");
    assert_eq!(x.meta.undelete_page(0, &title, &[], &admin, "again", &[]).await.unwrap(), (0, 0));
    assert!(
        x.meta.current_file(&title).await.unwrap().is_some(),
        "pages: the file is still there"
    );
}

/// `session_caller` gives what `session`, `user_by_id` and `bot_password` give one by one: an
/// anonymous session, a logged-in one (with its groups), a bot-password one, and no session at
/// all. Removing a bot password ends its sessions (and removing an account, the account's).
pub async fn a_sessions_caller_is_read_in_one_query(b: &dyn Backend) {
    let x = b.open().await;
    let name = unique("Caller");
    let uid = x
        .meta
        .create_user(&name, "hash", &["bot".to_string()], None)
        .await
        .unwrap()
        .unwrap();
    x.meta
        .put_bot_password(uid, "tool", "bphash", &["basic".to_string(), "uploadfile".to_string()])
        .await
        .unwrap();
    x.meta.put_bot_password(uid, "gone", "bphash", &[]).await.unwrap();
    let (anon, user, bot, revoked) = (unique("sc.a."), unique("sc.u."), unique("sc.b."), unique("sc.r."));
    for s in [&anon, &user, &bot, &revoked] {
        x.meta.create_session(s, "secret").await.unwrap();
    }
    x.meta.set_session_user(&user, Some(uid), None, "s1").await.unwrap();
    x.meta.set_session_user(&bot, Some(uid), Some("tool"), "s2").await.unwrap();
    x.meta.set_session_user(&revoked, Some(uid), Some("gone"), "s3").await.unwrap();
    for id in [&anon, &user, &bot, &revoked] {
        let one = x.meta.session_caller(id).await.unwrap().expect("the session exists");
        let session = x.meta.session(id).await.unwrap().unwrap();
        let user = match session.user_id {
            Some(u) => x.meta.user_by_id(u).await.unwrap(),
            None => None,
        };
        let bp = match (&user, &session.bot_app_id) {
            (Some(u), Some(app)) => x.meta.bot_password(u.id, app).await.unwrap(),
            _ => None,
        };
        let seen = |s: &SessionRow| (s.id.clone(), s.secret.clone(), s.user_id, s.bot_app_id.clone());
        assert_eq!(seen(&one.session), seen(&session), "session_caller({id}): the session");
        let person = |u: &Option<UserRow>| {
            u.as_ref().map(|u| {
                (
                    u.id,
                    u.name.clone(),
                    u.password_hash.clone(),
                    u.groups.clone(),
                    u.registered.clone(),
                )
            })
        };
        assert_eq!(person(&one.user), person(&user), "session_caller({id}): the user");
        let key = |b: &Option<BotPasswordRow>| {
            b.as_ref()
                .map(|b| (b.user_id, b.app_id.clone(), b.password_hash.clone(), b.grants.clone()))
        };
        assert_eq!(key(&one.bot_password), key(&bp), "session_caller({id}): the bot password");
    }
    let bot_caller = x.meta.session_caller(&bot).await.unwrap().unwrap();
    assert_eq!(bot_caller.user.as_ref().map(|u| u.groups.clone()), Some(vec!["bot".to_string()]));
    assert_eq!(
        bot_caller.bot_password.map(|b| b.grants),
        Some(vec!["basic".to_string(), "uploadfile".to_string()])
    );
    x.meta.delete_bot_password(uid, "gone").await.unwrap();
    assert!(
        x.meta.session_caller(&revoked).await.unwrap().is_none(),
        "a removed bot password's session"
    );
    assert!(
        x.meta.session_caller(&unique("sc.none.")).await.unwrap().is_none(),
        "no such session"
    );
}

/// `create_user` with a log action writes the account and its `newusers` entry (performer: the
/// new account, params: its id) together; a taken name writes neither.
pub async fn a_new_account_and_its_log_entry_commit_together(b: &dyn Backend) {
    let x = b.open().await;
    let name = format!("Newcomer {}", unique(""));
    let title = name.replace(' ', "_");
    let id = x.meta.create_user(&name, "x", &[], Some("autocreate")).await.unwrap().unwrap();
    assert_eq!(x.meta.create_user(&name, "y", &[], Some("autocreate")).await.unwrap(), None);
    let log = x
        .meta
        .log_events(&LogQuery {
            log_type: Some("newusers"),
            title: Some(&title),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(log.len(), 1, "one entry, none for the refused duplicate");
    assert_eq!((log[0].action.as_str(), log[0].namespace), ("autocreate", 2));
    assert_eq!((log[0].user_id, log[0].user_name.as_str()), (id, name.as_str()));
    assert_eq!(log[0].params, format!(r#"{{"userid":{id}}}"#));
    // Without a log action (the first-start account), no entry.
    let quiet = format!("Quiet{}", unique(""));
    x.meta.create_user(&quiet, "x", &[], None).await.unwrap().unwrap();
    let none = x
        .meta
        .log_events(&LogQuery {
            log_type: Some("newusers"),
            title: Some(&quiet),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(none.is_empty());
}

/// `$wgPasswordAttemptThrottle` counters: shared by every instance, `limit` attempts per
/// window then refusals (which do not count), a new window after expiry, and clearing.
pub async fn login_throttle_counts_across_instances(b: &dyn Backend) {
    let (x, y) = (b.open().await, b.open().await);
    let key = unique("password:0:127.0.0.1:");
    let t = now();
    for i in 0..5 {
        let inst = if i % 2 == 0 { &x } else { &y };
        assert!(inst.meta.throttle_attempt(&key, 5, 300, t).await.unwrap(), "attempt {i}");
    }
    assert!(!x.meta.throttle_attempt(&key, 5, 300, t + 1).await.unwrap(), "6th attempt");
    assert!(
        !y.meta.throttle_attempt(&key, 5, 300, t + 299).await.unwrap(),
        "still in the window"
    );
    // The window ends: counting starts over.
    assert!(y.meta.throttle_attempt(&key, 5, 300, t + 300).await.unwrap(), "after the window");
    for _ in 0..4 {
        assert!(x.meta.throttle_attempt(&key, 5, 300, t + 301).await.unwrap());
    }
    assert!(!x.meta.throttle_attempt(&key, 5, 300, t + 302).await.unwrap());
    // Other keys are independent; clearing resets.
    let other = unique("password:0:127.0.0.2:");
    assert!(x.meta.throttle_attempt(&other, 5, 300, t + 302).await.unwrap());
    y.meta.throttle_clear(std::slice::from_ref(&key)).await.unwrap();
    assert!(x.meta.throttle_attempt(&key, 5, 300, t + 303).await.unwrap(), "after clearing");
    // Many attempts at once never let more than `limit` through.
    let burst = unique("botpassword:0:127.0.0.3:");
    let mut tasks = Vec::new();
    for i in 0..12 {
        let inst = if i % 2 == 0 { x.meta.clone() } else { y.meta.clone() };
        let k = burst.clone();
        tasks.push(tokio::spawn(async move { inst.throttle_attempt(&k, 5, 300, t).await.unwrap() }));
    }
    let mut passed = 0;
    for task in tasks {
        passed += usize::from(task.await.unwrap());
    }
    assert_eq!(passed, 5, "attempts let through in a burst");
}

fn now() -> i64 {
    crate::time::now_unix()
}

fn unique(prefix: &str) -> String {
    format!("{prefix}{}", hex::encode(rand::random::<[u8; 6]>()))
}

fn session_row(key: &str, blob_key: &str) -> StashRow {
    StashRow {
        key: key.into(),
        user_id: 1,
        state: StashState::Chunks,
        blob_key: blob_key.into(),
        size: 0,
        sha1: String::new(),
        hash_state: None,
        blob_state: None,
        mime: "application/octet-stream".into(),
        media_type: "UNKNOWN".into(),
        width: 0,
        height: 0,
        bits: 0,
        page_count: None,
        metadata: "null".into(),
        source: "chunks".into(),
        temp_name: "x".into(),
        timestamp: crate::time::now_ts(),
        expires_at: now() + 3600,
        verified_ext: None,
    }
}

pub(crate) fn version(name: &str, sha1: &str, blob_key: &str, timestamp: &str) -> FileVersion {
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

pub(crate) fn publish_op(
    v: FileVersion,
    expected: Option<&FileVersion>,
    archive_name: Option<String>,
    consume: Option<String>,
) -> PublishOp {
    PublishOp {
        watch_for: None,
        log_params: LogParams::Upload {
            img_sha1: crate::base36::sha1_hex_to_base36(&v.sha1).unwrap_or_default(),
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
        consume_stash: consume,
    }
}

async fn read_all(blobs: &dyn BlobStore, key: &str, len: u64) -> Vec<u8> {
    let mut v = Vec::new();
    blobs
        .read(key, Some((0, len)))
        .await
        .expect("readable blob")
        .read_to_end(&mut v)
        .await
        .expect("read blob");
    v
}

fn sha1_state(h: &Sha1) -> Vec<u8> {
    use sha1::digest::common::hazmat::SerializableState;
    h.serialize().to_vec()
}

fn sha1_from_state(bytes: &[u8]) -> Option<Sha1> {
    use sha1::digest::common::hazmat::{SerializableState, SerializedState};
    Sha1::deserialize(&SerializedState::<Sha1>::try_from(bytes).ok()?).ok()
}

/// The session row a lease came back with; panics (naming `what`) if it was not taken.
fn acquired(outcome: LeaseOutcome, what: &str) -> StashRow {
    match outcome {
        LeaseOutcome::Acquired(row) => *row,
        other => panic!("{what}: {other:?}"),
    }
}

/// Takes the session's lease at `offset` for `owner`, waiting while someone else holds it.
/// False if the session moved on or is gone.
async fn take_lease(inst: &Instance, key: &str, offset: i64, owner: &str) -> bool {
    loop {
        match inst.meta.lease_chunks(key, offset, owner, now(), now() + 30).await.expect("lease") {
            LeaseOutcome::Acquired(_) => return true,
            LeaseOutcome::Busy { .. } => tokio::time::sleep(std::time::Duration::from_millis(2)).await,
            LeaseOutcome::Moved { .. } | LeaseOutcome::Gone => return false,
        }
    }
}

/// A new chunked session (row + blob session) whose blob will be `blob_key`.
async fn new_session(inst: &Instance, prefix: &str) -> (String, String) {
    let key = unique(prefix);
    let blob_key = new_blob_key();
    let state = inst.blobs.begin_session(&blob_key).await.expect("begin session");
    let mut row = session_row(&key, &blob_key);
    row.blob_state = Some(state);
    inst.meta.insert_stash(&row).await.expect("insert session");
    (key, blob_key)
}

/// One writer's attempt to append `data` at `offset` with the lease protocol the domain uses:
/// lease, write, advance (which releases). Returns whether this writer's chunk landed.
async fn append_with_lease(inst: &Instance, key: &str, blob_key: &str, offset: i64, data: &[u8], owner: &str) -> bool {
    if !take_lease(inst, key, offset, owner).await {
        return false;
    }
    let row = inst.meta.stash(key).await.expect("stash").expect("session");
    assert_eq!(row.size, offset, "a lease was granted at a stale offset");
    let mut hasher = row.hash_state.as_deref().and_then(sha1_from_state).unwrap_or_default();
    let blob_state = row.blob_state.clone().unwrap_or_default();
    let mut w = inst
        .blobs
        .append_session(blob_key, &blob_state, offset as u64)
        .await
        .expect("open append");
    // Written in pieces with yields between them, so racing writers interleave if they can.
    for piece in data.chunks(1000.max(data.len() / 64)) {
        w.write(piece).await.expect("write");
        tokio::task::yield_now().await;
    }
    let new_state = w.finish().await.expect("finish");
    hasher.update(data);
    let adv = ChunkAdvance {
        expected_offset: offset,
        new_size: offset + data.len() as i64,
        hash_state: &sha1_state(&hasher),
        blob_state: &new_state,
        expires_at: now() + 3600,
    };
    inst.meta.advance_chunks(key, owner, &adv).await.expect("advance")
}

/// Finishes a complete session the way the domain does (under its lease) and returns its bytes;
/// checks they match the session's saved running hash.
async fn finish_and_read(inst: &Instance, key: &str, blob_key: &str, case: &str) -> Vec<u8> {
    let row = inst.meta.stash(key).await.expect("stash").expect("session");
    let owner = unique("finisher.");
    assert!(take_lease(inst, key, row.size, &owner).await, "{case}: finisher's lease");
    let state = row.blob_state.clone().unwrap_or_default();
    inst.blobs
        .finish_session(blob_key, &state, row.size as u64)
        .await
        .unwrap_or_else(|e| panic!("{case}: finishing the session: {e}"));
    // Finishing is idempotent (an assembler that died after it is retried).
    inst.blobs
        .finish_session(blob_key, &state, row.size as u64)
        .await
        .unwrap_or_else(|e| panic!("{case}: finishing the session again: {e}"));
    inst.meta.release_chunk_lease(key, &owner).await.expect("release");
    assert_eq!(
        inst.blobs.len(blob_key).await.expect("len"),
        row.size as u64,
        "{case}: finished blob's length"
    );
    let bytes = read_all(inst.blobs.as_ref(), blob_key, row.size as u64).await;
    assert_eq!(bytes.len() as i64, row.size, "{case}: finished blob's bytes");
    if let Some(saved) = row.hash_state.as_deref().and_then(sha1_from_state) {
        assert_eq!(
            hex::encode(Sha1::digest(&bytes)),
            hex::encode(saved.finalize()),
            "{case}: finished blob differs from the recorded hash"
        );
    }
    bytes
}

/// Two instances, several writers each, racing on every offset of one session: exactly one
/// chunk lands per offset and the blob's bytes always match the saved running hash.
pub async fn two_writers_on_one_chunk_session(b: &dyn Backend) {
    let (x, y) = (b.open().await, b.open().await);
    let (key, blob_key) = new_session(&x, "race.").await;
    let mut offset = 0i64;
    let mut expected = Vec::new();
    for round in 0..8u8 {
        let mut tasks = Vec::new();
        for w in 0..6u8 {
            let inst = if w % 2 == 0 { x.clone() } else { y.clone() };
            let (key, blob_key) = (key.clone(), blob_key.clone());
            // Different bytes per writer: a mix-up would show in the hash.
            let data: Vec<u8> = (0..5000u32).map(|i| (i as u8) ^ (w * 37) ^ round).collect();
            let owner = format!("writer-{round}-{w}");
            tasks.push(tokio::spawn(async move {
                let landed = append_with_lease(&inst, &key, &blob_key, offset, &data, &owner).await;
                (landed, data)
            }));
        }
        let mut landed = Vec::new();
        for t in tasks {
            let (ok, data) = t.await.expect("task");
            if ok {
                landed.push(data);
            }
        }
        assert_eq!(landed.len(), 1, "two_writers_on_one_chunk_session: exactly one chunk per offset");
        offset += landed[0].len() as i64;
        expected.extend_from_slice(&landed[0]);
        let row = x.meta.stash(&key).await.expect("stash").expect("session");
        assert_eq!(row.size, offset);
        if x.blobs.session_bytes_readable() {
            let bytes = read_all(x.blobs.as_ref(), &blob_key, offset as u64).await;
            let saved = sha1_from_state(row.hash_state.as_deref().expect("hash state")).expect("state");
            assert_eq!(
                hex::encode(Sha1::digest(&bytes)),
                hex::encode(saved.finalize()),
                "two_writers_on_one_chunk_session: blob bytes differ from the recorded hash"
            );
        }
    }
    let bytes = finish_and_read(&y, &key, &blob_key, "two_writers_on_one_chunk_session").await;
    assert!(bytes == expected, "two_writers_on_one_chunk_session: the landed chunks, in order");
}

/// A lease blocks others until it expires; after that another owner takes it, and the first
/// owner can neither renew, advance nor release it.
pub async fn lease_expiry_with_an_owner_check(b: &dyn Backend) {
    let (x, y) = (b.open().await, b.open().await);
    let (key, _blob_key) = new_session(&x, "lease.").await;
    let t = now();
    acquired(
        x.meta.lease_chunks(&key, 0, "A", t, t + 10).await.unwrap(),
        "the lease was not taken",
    );
    assert_eq!(
        y.meta.lease_chunks(&key, 0, "B", t, t + 10).await.unwrap(),
        LeaseOutcome::Busy { until: t + 10 },
        "lease_expiry: an unexpired lease was taken over"
    );
    assert!(x.meta.renew_chunk_lease(&key, "A", t + 20).await.unwrap(), "owner renews");
    // B comes back after A's lease ran out.
    let later = t + 21;
    acquired(
        y.meta.lease_chunks(&key, 0, "B", later, later + 10).await.unwrap(),
        "the lease was not taken",
    );
    assert!(
        !x.meta.renew_chunk_lease(&key, "A", later + 30).await.unwrap(),
        "lease_expiry: a stale owner renewed"
    );
    let adv = ChunkAdvance {
        expected_offset: 0,
        new_size: 3,
        hash_state: b"",
        blob_state: "",
        expires_at: later + 100,
    };
    assert!(
        !x.meta.advance_chunks(&key, "A", &adv).await.unwrap(),
        "lease_expiry: a stale owner advanced"
    );
    x.meta.release_chunk_lease(&key, "A").await.unwrap();
    assert_eq!(
        x.meta.lease_chunks(&key, 0, "C", later + 1, later + 5).await.unwrap(),
        LeaseOutcome::Busy { until: later + 10 },
        "lease_expiry: a stale owner's release freed the new owner's lease"
    );
    assert!(y.meta.advance_chunks(&key, "B", &adv).await.unwrap());
    // The advance released the lease; the next writer finds the session moved on.
    assert_eq!(
        x.meta.lease_chunks(&key, 0, "C", later + 1, later + 5).await.unwrap(),
        LeaseOutcome::Moved { offset: 3 }
    );
    let row = acquired(
        x.meta.lease_chunks(&key, 3, "C", later + 1, later + 5).await.unwrap(),
        "lease at the new offset",
    );
    assert_eq!(
        (row.key.as_str(), row.size, row.state, row.expires_at),
        (key.as_str(), 3, StashState::Chunks, later + 100),
        "lease_chunks: the row returned is not the session as advanced"
    );
    x.meta.take_stash(&key).await.unwrap();
    assert_eq!(
        x.meta.lease_chunks(&key, 3, "C", later + 1, later + 5).await.unwrap(),
        LeaseOutcome::Gone
    );
}

/// A stale offset never wins, even for the lease holder.
pub async fn chunk_offsets_advance_by_compare_and_set(b: &dyn Backend) {
    let x = b.open().await;
    let key = unique("cas.");
    x.meta.insert_stash(&session_row(&key, "00ff")).await.unwrap();
    let t = now();
    acquired(
        x.meta.lease_chunks(&key, 0, "A", t, t + 10).await.unwrap(),
        "the lease was not taken",
    );
    let adv = |from, to| ChunkAdvance {
        expected_offset: from,
        new_size: to,
        hash_state: b"s",
        blob_state: "",
        expires_at: t + 100,
    };
    assert!(
        !x.meta.advance_chunks(&key, "A", &adv(10, 20)).await.unwrap(),
        "stale offset must not win"
    );
    assert!(x.meta.advance_chunks(&key, "A", &adv(0, 20)).await.unwrap());
    assert!(
        !x.meta.advance_chunks(&key, "A", &adv(0, 30)).await.unwrap(),
        "the advance released the lease"
    );
    assert_eq!(x.meta.stash(&key).await.unwrap().unwrap().size, 20);
}

/// `Special:UploadStash`: a user's own entries that have not expired, newest first.
pub async fn a_users_stash_lists_theirs_unexpired_newest_first(b: &dyn Backend) {
    let x = b.open().await;
    let user = 1_000_000 + i64::from(rand::random::<u32>());
    let t = now();
    let row = |key: &str, uid: i64, ts: &str, expires_at: i64| StashRow {
        user_id: uid,
        timestamp: ts.into(),
        expires_at,
        ..session_row(key, "00aa")
    };
    let (old, new, expired, other) = (unique("us.old."), unique("us.new."), unique("us.exp."), unique("us.oth."));
    x.meta.insert_stash(&row(&old, user, "20260101000001", t + 100)).await.unwrap();
    x.meta.insert_stash(&row(&new, user, "20260101000002", t + 100)).await.unwrap();
    x.meta.insert_stash(&row(&expired, user, "20260101000003", t - 1)).await.unwrap();
    x.meta
        .insert_stash(&row(&other, user + 1, "20260101000004", t + 100))
        .await
        .unwrap();
    let keys: Vec<String> = x
        .meta
        .unexpired_user_stash(user, t, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.key)
        .collect();
    assert_eq!(keys, vec![new.clone(), old.clone()]);
    assert_eq!(x.meta.unexpired_user_stash(user, t, 1).await.unwrap().len(), 1, "limit");
    for k in [old, new, expired, other] {
        x.meta.take_stash(&k).await.unwrap();
    }
}

/// A stash entry records the final extension its bytes passed verification under (what lets a
/// publish under the same extension skip reading them again), inserted directly or made by
/// finishing a chunked session; an entry that was never verified as a whole records none.
pub async fn a_stash_entry_keeps_the_extension_it_was_verified_under(b: &dyn Backend) {
    let x = b.open().await;
    let (plain, session, finished) = (unique("ve.plain."), unique("ve.sess."), unique("ve.done."));
    let verified = StashRow {
        state: StashState::Finished,
        verified_ext: Some("JPEG".into()),
        ..session_row(&plain, "00ab")
    };
    x.meta.insert_stash(&verified).await.unwrap();
    assert_eq!(x.meta.stash(&plain).await.unwrap().unwrap().verified_ext.as_deref(), Some("JPEG"));
    x.meta.insert_stash(&session_row(&session, "00ac")).await.unwrap();
    assert_eq!(
        x.meta.stash(&session).await.unwrap().unwrap().verified_ext,
        None,
        "a session is not verified"
    );
    let t = now();
    acquired(
        x.meta.lease_chunks(&session, 0, "A", t, t + 10).await.unwrap(),
        "the lease was not taken",
    );
    let done = StashRow {
        state: StashState::Finished,
        verified_ext: Some("png".into()),
        ..session_row(&finished, "00ac")
    };
    assert!(x.meta.finish_chunks(&session, "A", 0, &done).await.unwrap());
    assert_eq!(x.meta.stash(&finished).await.unwrap().unwrap().verified_ext.as_deref(), Some("png"));
    for k in [plain, session, finished] {
        x.meta.take_stash(&k).await.unwrap();
    }
}

/// The sweeper's order (take the stash row, then delete the blob if no row refers to it).
async fn sweep_one(inst: &Instance, key: &str) {
    if let Some(row) = inst.meta.take_stash(key).await.unwrap()
        && !inst.meta.blob_in_use(&row.blob_key).await.unwrap()
    {
        inst.blobs.delete(&row.blob_key).await.unwrap();
    }
}

/// A publish that consumes a stash entry and the sweeper removing that (expired) entry race:
/// either the publish wins and its blob stays, or the sweep wins and the publish reports
/// `StashGone` — never a published file without bytes.
pub async fn publish_racing_the_stash_sweeper(b: &dyn Backend) {
    let (x, y) = (b.open().await, b.open().await);
    let mut published = 0;
    for i in 0..20 {
        let key = unique("sweep.");
        let blob_key = new_blob_key();
        let tmp = tempfile::NamedTempFile::new_in(x.blobs.scratch_dir()).unwrap();
        std::fs::write(tmp.path(), b"abc").unwrap();
        x.blobs.put_file(&blob_key, tmp.into_temp_path()).await.unwrap();
        let mut row = session_row(&key, &blob_key);
        row.state = StashState::Finished;
        row.expires_at = now() - 1;
        x.meta.insert_stash(&row).await.unwrap();
        let name = format!("Sweep_{i}_{}.txt", unique(""));
        let v = version(&name, "a9993e364706816aba3e25717850c26c9cd0d89d", &blob_key, &crate::time::now_ts());
        let op = publish_op(v, None, None, Some(key.clone()));
        let (pub_inst, sweep_inst) = if i % 2 == 0 {
            (x.clone(), y.clone())
        } else {
            (y.clone(), x.clone())
        };
        let k2 = key.clone();
        let sweeper = tokio::spawn(async move { sweep_one(&sweep_inst, &k2).await });
        let result = pub_inst.meta.publish(&op).await.unwrap();
        sweeper.await.unwrap();
        let cur = x.meta.current_file(&name).await.unwrap();
        match result {
            PublishResult::Published { .. } => {
                published += 1;
                let cur = cur.expect("published file has a row");
                assert_eq!(
                    read_all(x.blobs.as_ref(), &cur.blob_key, 3).await,
                    b"abc",
                    "publish_racing_the_stash_sweeper: a published file lost its bytes"
                );
            }
            PublishResult::StashGone => assert!(cur.is_none(), "publish_racing_the_stash_sweeper: failed publish left a row"),
            other => panic!("publish_racing_the_stash_sweeper: unexpected {other:?}"),
        }
        assert!(x.meta.stash(&key).await.unwrap().is_none());
    }
    let _ = published;
}

/// Archiving the current version under a name another old version has fails cleanly (nothing
/// changes), so the caller can pick another name.
pub async fn archive_name_collision(b: &dyn Backend) {
    let x = b.open().await;
    let name = format!("Arch_{}.txt", unique(""));
    let v1 = version(&name, "1111111111111111111111111111111111111111", "aa01", "20250101000000");
    assert!(matches!(
        x.meta.publish(&publish_op(v1.clone(), None, None, None)).await.unwrap(),
        PublishResult::Published { page_created: true }
    ));
    let archive = crate::archive_name("20250101000001", &name);
    let v2 = version(&name, "2222222222222222222222222222222222222222", "aa02", "20250101000001");
    let op2 = publish_op(v2.clone(), Some(&v1), Some(archive.clone()), None);
    assert_eq!(
        x.meta.publish(&op2).await.unwrap(),
        PublishResult::Published { page_created: false }
    );
    let v3 = version(&name, "3333333333333333333333333333333333333333", "aa03", "20250101000002");
    let clash = publish_op(v3.clone(), Some(&v2), Some(archive.clone()), None);
    assert_eq!(
        x.meta.publish(&clash).await.unwrap(),
        PublishResult::ArchiveNameTaken,
        "archive_name_collision"
    );
    assert_eq!(
        x.meta.current_file(&name).await.unwrap().unwrap().sha1,
        v2.sha1,
        "a failed publish changed the file"
    );
    assert_eq!(x.meta.old_versions(&name).await.unwrap().len(), 1);
    let ok = publish_op(v3, Some(&v2), Some(crate::archive_name("20250101000002", &name)), None);
    assert!(matches!(x.meta.publish(&ok).await.unwrap(), PublishResult::Published { .. }));
    assert_eq!(x.meta.old_versions(&name).await.unwrap().len(), 2);
}

/// `any_file_of_size` sees current, archived and deleted versions (a chunk hashes itself only
/// when one of them could hold the same bytes).
/// What an upload reads first about its name, in one statement: nothing for a new name; the
/// page and current version once published (the newest one after a second version); after
/// deletion no page, no version, and the deletion log entry (`was-deleted`).
pub async fn a_names_record_follows_publish_and_delete(b: &dyn Backend) {
    let x = b.open().await;
    let name = format!("Record_{}.txt", unique(""));
    let r = x.meta.name_record(&name).await.unwrap();
    assert!(r.page.is_none() && r.current.is_none() && !r.deleted, "a new name: {r:?}");
    let v1 = version(&name, "1111111111111111111111111111111111111111", "rc01", "20250101000000");
    x.meta.publish(&publish_op(v1.clone(), None, None, None)).await.unwrap();
    let r = x.meta.name_record(&name).await.unwrap();
    let page = x.meta.page(6, &name).await.unwrap().expect("the File page");
    let got = r.page.expect("the File page");
    assert_eq!(
        (got.id, got.namespace, &got.title, got.latest_rev, &got.touched),
        (page.id, 6, &name, page.latest_rev, &page.touched)
    );
    assert_eq!(
        r.current.as_ref().map(|v| (&v.name, &v.sha1, &v.blob_key)),
        Some((&name, &v1.sha1, &v1.blob_key))
    );
    assert_eq!(r.current, x.meta.current_file(&name).await.unwrap());
    assert!(!r.deleted);
    let v2 = version(&name, "2222222222222222222222222222222222222222", "rc02", "20250101000001");
    let archive = crate::archive_name("20250101000001", &name);
    x.meta
        .publish(&publish_op(v2.clone(), Some(&v1), Some(archive), None))
        .await
        .unwrap();
    let r = x.meta.name_record(&name).await.unwrap();
    assert_eq!(r.current.map(|v| v.sha1), Some(v2.sha1));
    assert!(r.page.unwrap().latest_rev > got.latest_rev, "the upload's null revision");
    let actor = Actor {
        user_id: 1,
        user_name: "Admin",
    };
    x.meta.delete_file_page(&name, &actor, "", &[]).await.unwrap();
    let r = x.meta.name_record(&name).await.unwrap();
    assert!(r.page.is_none() && r.current.is_none() && r.deleted, "after deletion: {r:?}");
    // Another name's deletion is not this one's.
    let other = x.meta.name_record(&format!("{name}.other")).await.unwrap();
    assert!(!other.deleted);
}

pub async fn a_size_is_found_among_current_archived_and_deleted_versions(b: &dyn Backend) {
    let x = b.open().await;
    let name = format!("Size_{}.txt", unique(""));
    // Sizes no other case uses.
    let base = 3_000_000_000 + (rand::random::<u32>() as i64) * 4;
    let (s1, s2, never) = (base, base + 1, base + 2);
    assert!(!x.meta.any_file_of_size(s1).await.unwrap());
    let mut v1 = version(&name, "1111111111111111111111111111111111111111", "ab01", "20250101000000");
    v1.size = s1;
    x.meta.publish(&publish_op(v1.clone(), None, None, None)).await.unwrap();
    assert!(x.meta.any_file_of_size(s1).await.unwrap(), "a current version");
    let mut v2 = version(&name, "2222222222222222222222222222222222222222", "ab02", "20250101000001");
    v2.size = s2;
    let archive = crate::archive_name("20250101000001", &name);
    x.meta.publish(&publish_op(v2, Some(&v1), Some(archive), None)).await.unwrap();
    assert!(x.meta.any_file_of_size(s1).await.unwrap(), "an archived version");
    assert!(x.meta.any_file_of_size(s2).await.unwrap());
    let actor = Actor {
        user_id: 1,
        user_name: "Admin",
    };
    x.meta.delete_file_page(&name, &actor, "", &[]).await.unwrap();
    assert!(x.meta.any_file_of_size(s1).await.unwrap(), "a deleted version");
    assert!(x.meta.any_file_of_size(s2).await.unwrap(), "a deleted version");
    assert!(!x.meta.any_file_of_size(never).await.unwrap());
}

/// Many new-file publishes of one name from two instances: exactly one wins.
pub async fn same_name_publish_has_one_winner(b: &dyn Backend) {
    let (x, y) = (b.open().await, b.open().await);
    let name = format!("Race_{}.txt", unique(""));
    let mut tasks = Vec::new();
    for i in 0..10u8 {
        let inst = if i % 2 == 0 { x.clone() } else { y.clone() };
        let v = version(&name, &format!("{:040x}", i as u64 + 1), &format!("bb{i:02}"), "20250101000000");
        tasks.push(tokio::spawn(async move {
            inst.meta.publish(&publish_op(v, None, None, None)).await.unwrap()
        }));
    }
    let mut winners = 0;
    for t in tasks {
        match t.await.unwrap() {
            PublishResult::Published { .. } => winners += 1,
            PublishResult::CurrentChanged => {}
            other => panic!("same_name_publish: unexpected {other:?}"),
        }
    }
    assert_eq!(winners, 1, "same_name_publish_has_one_winner");
    assert_eq!(
        x.meta
            .log_events(&LogQuery {
                title: Some(&name),
                log_type: Some("upload"),
                limit: 50,
                ..Default::default()
            })
            .await
            .unwrap()
            .len(),
        1
    );
}

/// Many publishes at once (an adapter may commit them together, as SQLite's group commit
/// does): each gets the result of its own publish, a failing one changes nothing, and every
/// `Published` is there with its page and log entry.
pub async fn concurrent_publishes_each_get_their_own_result(b: &dyn Backend) {
    let x = b.open().await;
    let run = unique("");
    let mut tasks = Vec::new();
    for i in 0..48u32 {
        let inst = x.clone();
        // Every 4th publishes over a name the previous one also takes (one of the two wins);
        // every 6th consumes a stash entry that does not exist.
        let name = format!("Group_{run}_{}.txt", if i % 4 == 3 { i - 1 } else { i });
        let consume = (i % 6 == 5).then(|| format!("missing-{run}-{i}"));
        let v = version(&name, &format!("{:040x}", i as u64 + 1), &format!("dd{i:04}"), "20250101000000");
        tasks.push(tokio::spawn(async move {
            let r = inst.meta.publish(&publish_op(v, None, None, consume.clone())).await.unwrap();
            (i, name, consume.is_some(), r)
        }));
    }
    let mut published = std::collections::HashMap::new();
    for t in tasks {
        let (i, name, consumes, r) = t.await.unwrap();
        match r {
            PublishResult::Published { page_created } => {
                assert!(!consumes, "concurrent_publishes: publish {i} consumed a missing stash entry");
                assert!(page_created, "concurrent_publishes: publish {i} found a page");
                assert!(published.insert(name, i).is_none(), "concurrent_publishes: two winners");
            }
            PublishResult::StashGone => assert!(consumes, "concurrent_publishes: publish {i}: StashGone"),
            PublishResult::CurrentChanged => assert!(i % 4 >= 2, "concurrent_publishes: publish {i} lost to nobody"),
            other => panic!("concurrent_publishes: publish {i}: unexpected {other:?}"),
        }
    }
    for (name, i) in &published {
        let cur = x
            .meta
            .current_file(name)
            .await
            .unwrap()
            .expect("concurrent_publishes: row of a Published");
        assert_eq!(
            cur.sha1,
            format!("{:040x}", *i as u64 + 1),
            "concurrent_publishes: {name} holds another publish's row"
        );
        assert!(
            x.meta.page(6, name).await.unwrap().is_some(),
            "concurrent_publishes: {name} has no page"
        );
        let logs = x
            .meta
            .log_events(&LogQuery {
                title: Some(name),
                log_type: Some("upload"),
                limit: 5,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(logs.len(), 1, "concurrent_publishes: {name}: upload log entries");
    }
    // Names only a failed publish took stay free.
    for i in (0..48u32).filter(|i| i % 6 == 5 && i % 4 != 2) {
        let name = format!("Group_{run}_{}.txt", if i % 4 == 3 { i - 1 } else { i });
        if !published.contains_key(&name) {
            assert!(
                x.meta.current_file(&name).await.unwrap().is_none(),
                "concurrent_publishes: {name} has a row"
            );
            assert!(
                x.meta.page(6, &name).await.unwrap().is_none(),
                "concurrent_publishes: {name} has a page"
            );
        }
    }
}

/// A publish decided against an older current version changes nothing.
pub async fn publish_is_compare_and_set_on_the_current_version(b: &dyn Backend) {
    let x = b.open().await;
    let name = format!("Cas_{}.txt", unique(""));
    let v1 = version(&name, "1111111111111111111111111111111111111111", "cc01", "20250101000000");
    x.meta.publish(&publish_op(v1.clone(), None, None, None)).await.unwrap();
    let stale = version(&name, "9999999999999999999999999999999999999999", "cc09", "20250101000000");
    let v2 = version(&name, "2222222222222222222222222222222222222222", "cc02", "20250101000001");
    let an = |ts: &str| Some(crate::archive_name(ts, &name));
    // The uploader's watch is part of a publish that succeeds, and of no other.
    let (watcher, loser) = (
        2_000_000 + i64::from(rand::random::<u32>()),
        1_000_000 + i64::from(rand::random::<u32>()),
    );
    let watched = |op: PublishOp, user: i64| PublishOp {
        watch_for: Some(user),
        ..op
    };
    assert!(matches!(
        x.meta
            .publish(&watched(publish_op(v2.clone(), Some(&v1), an("20250101000001"), None), watcher))
            .await
            .unwrap(),
        PublishResult::Published { .. }
    ));
    assert!(x.meta.is_watched(watcher, 6, &name).await.unwrap(), "the publish's watch");
    // Decided against v1, but v2 is current now.
    let v3 = version(&name, "3333333333333333333333333333333333333333", "cc03", "20250101000002");
    assert_eq!(
        x.meta
            .publish(&watched(publish_op(v3.clone(), Some(&v1), an("20250101000002"), None), loser))
            .await
            .unwrap(),
        PublishResult::CurrentChanged
    );
    assert!(
        !x.meta.is_watched(loser, 6, &name).await.unwrap(),
        "a publish that lost watches nothing"
    );
    assert_eq!(
        x.meta
            .publish(&publish_op(v3, Some(&stale), an("20250101000002"), None))
            .await
            .unwrap(),
        PublishResult::CurrentChanged
    );
    assert_eq!(x.meta.current_file(&name).await.unwrap().unwrap().sha1, v2.sha1);
    // A new-file publish over an existing file.
    let v4 = version(&name, "4444444444444444444444444444444444444444", "cc04", "20250101000003");
    assert_eq!(
        x.meta.publish(&publish_op(v4, None, None, None)).await.unwrap(),
        PublishResult::CurrentChanged
    );
}

/// Two instances claim at once: one gets the job. Once its lease has run out, another owner
/// gets it and the first can neither renew nor finish it.
pub async fn a_job_claimed_twice(b: &dyn Backend) {
    let (x, y) = (b.open().await, b.open().await);
    // Drain anything other cases queued.
    while x.meta.claim_job("drain", now(), 3600, 100).await.unwrap().is_some() {}
    let id = x.meta.enqueue_job("test", "{\"n\":1}").await.unwrap();
    let t = now();
    let (a, c) = tokio::join!(x.meta.claim_job("A", t, 10, 3), y.meta.claim_job("B", t, 10, 3));
    let (a, c) = (a.unwrap(), c.unwrap());
    assert!(a.is_some() != c.is_some(), "a_job_claimed_twice: claimed by both or neither");
    let (first, second, first_inst) = if a.is_some() { ("A", "B", &x) } else { ("B", "A", &y) };
    let job = a.or(c).unwrap();
    assert_eq!(
        (job.id, job.attempt, job.exhausted, job.payload.as_str()),
        (id, 1, false, "{\"n\":1}")
    );
    assert!(first_inst.meta.renew_job(id, first, t + 20).await.unwrap());
    // The first owner stops renewing (it died): after its lease, the other owner claims.
    let later = t + 21;
    let again = x
        .meta
        .claim_job(second, later, 10, 3)
        .await
        .unwrap()
        .expect("reclaimed after the lease");
    assert_eq!((again.id, again.attempt), (id, 2));
    assert!(
        !first_inst.meta.renew_job(id, first, later + 5).await.unwrap(),
        "a_job_claimed_twice: stale owner renewed"
    );
    assert!(
        !first_inst.meta.finish_job(id, first, None).await.unwrap(),
        "a_job_claimed_twice: stale owner finished"
    );
    assert!(x.meta.finish_job(id, second, None).await.unwrap());
    assert!(
        x.meta.claim_job("C", later + 100, 10, 3).await.unwrap().is_none(),
        "a finished job came back"
    );
}

/// A job whose owners keep dying comes back flagged `exhausted` once, and then never again.
pub async fn a_job_whose_owners_keep_dying_is_handed_out_exhausted(b: &dyn Backend) {
    let x = b.open().await;
    while x.meta.claim_job("drain", now(), 3600, 100).await.unwrap().is_some() {}
    let id = x.meta.enqueue_job("assemble", "{}").await.unwrap();
    let mut t = now();
    for attempt in 1..=3 {
        let j = x.meta.claim_job("w", t, 10, 3).await.unwrap().expect("claimable");
        assert_eq!((j.id, j.attempt, j.exhausted), (id, attempt, false));
        t += 11; // the worker died; its lease runs out
    }
    let j = x
        .meta
        .claim_job("w2", t, 10, 3)
        .await
        .unwrap()
        .expect("handed out to record the failure");
    assert!(j.exhausted, "exhausted flag");
    assert!(x.meta.finish_job(id, "w2", Some("gave up")).await.unwrap());
    assert!(x.meta.claim_job("w3", t + 100, 10, 3).await.unwrap().is_none());
    assert!(
        x.meta
            .failed_jobs()
            .await
            .unwrap()
            .iter()
            .any(|(i, _, e)| *i == id && e.as_deref() == Some("gave up"))
    );
}

pub async fn status_replace_is_compare_and_set(b: &dyn Backend) {
    let (x, y) = (b.open().await, b.open().await);
    let key = unique("status.");
    let t = now();
    assert!(x.meta.replace_status(5, &key, None, "one", t, t + 100).await.unwrap());
    assert!(
        !y.meta.replace_status(5, &key, None, "two", t, t + 100).await.unwrap(),
        "absent expected, present found"
    );
    assert!(!y.meta.replace_status(5, &key, Some("zero"), "two", t, t + 100).await.unwrap());
    assert!(y.meta.replace_status(5, &key, Some("one"), "two", t, t + 100).await.unwrap());
    assert_eq!(x.meta.status(5, &key, t).await.unwrap().as_deref(), Some("two"));
    assert_eq!(x.meta.status(5, &key, t + 101).await.unwrap(), None, "expired status is absent");
    assert!(
        x.meta.replace_status(5, &key, None, "three", t + 101, t + 200).await.unwrap(),
        "expired counts as absent"
    );
    x.meta.delete_status(5, &key).await.unwrap();
    assert_eq!(x.meta.status(5, &key, t).await.unwrap(), None);
}

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    let mut x = u32::from(seed).wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

async fn scratch_file(blobs: &dyn BlobStore, data: &[u8]) -> tempfile::TempPath {
    let tmp = tempfile::NamedTempFile::new_in(blobs.scratch_dir()).expect("scratch file");
    std::fs::write(tmp.path(), data).expect("write scratch");
    tmp.into_temp_path()
}

/// Whole blobs: put (small, and large enough for a multipart upload in several parts), ranged
/// reads, materialize, copies, deletes.
pub async fn blobs_put_read_and_materialize(b: &dyn Backend) {
    let (x, y) = (b.open().await, b.open().await);
    let small = new_blob_key();
    x.blobs
        .put_file(&small, scratch_file(x.blobs.as_ref(), b"hello world").await)
        .await
        .unwrap();
    assert_eq!(y.blobs.len(&small).await.unwrap(), 11);
    assert_eq!(read_all(y.blobs.as_ref(), &small, 11).await, b"hello world");
    let mut part = Vec::new();
    y.blobs
        .read(&small, Some((6, 9)))
        .await
        .unwrap()
        .read_to_end(&mut part)
        .await
        .unwrap();
    assert_eq!(part, b"wor");
    let m = y.blobs.materialize(&small).await.unwrap();
    assert_eq!(std::fs::read(m.path()).unwrap(), b"hello world");
    assert!(m.path().starts_with(y.blobs.scratch_dir()), "materialized copies live in scratch");
    drop(m);
    let tmp = y.blobs.copy_range_to_scratch(&small, 6, 5).await.unwrap();
    assert_eq!(std::fs::read(&tmp).unwrap(), b"world");
    assert!(y.blobs.same_bytes(&small, 6, &tmp).await.unwrap());
    assert!(!y.blobs.same_bytes(&small, 5, &tmp).await.unwrap());

    let data = pattern(21 << 20, 7);
    let large = new_blob_key();
    x.blobs.put_file(&large, scratch_file(x.blobs.as_ref(), &data).await).await.unwrap();
    assert_eq!(y.blobs.len(&large).await.unwrap(), data.len() as u64);
    let got = read_all(y.blobs.as_ref(), &large, data.len() as u64).await;
    assert!(got == data, "blobs_put_read_and_materialize: large blob round trip");
    let (s, e) = ((8 << 20) - 3, (16 << 20) + 5);
    let mut mid = Vec::new();
    y.blobs
        .read(&large, Some((s, e)))
        .await
        .unwrap()
        .read_to_end(&mut mid)
        .await
        .unwrap();
    assert!(mid[..] == data[s as usize..e as usize], "ranged read across parts");
    let m = y.blobs.materialize(&large).await.unwrap();
    assert_eq!(
        hex::encode(Sha1::digest(std::fs::read(m.path()).unwrap())),
        hex::encode(Sha1::digest(&data))
    );
    drop(m);
    for key in [&small, &large] {
        x.blobs.delete(key).await.unwrap();
        x.blobs.delete(key).await.unwrap();
        assert!(y.blobs.read(key, None).await.is_err(), "a deleted blob is gone");
    }
}

/// A failed attempt's bytes (written, never committed) are not part of the session; the next
/// attempt at the committed offset replaces them, and finishing yields exactly the committed bytes.
pub async fn a_failed_attempt_is_never_committed(b: &dyn Backend) {
    let (x, y) = (b.open().await, b.open().await);
    let (key, blob_key) = new_session(&x, "failed.").await;
    assert!(append_with_lease(&x, &key, &blob_key, 0, b"hello ", "A").await);
    // An attempt that writes and finishes but never commits (its request failed).
    assert!(take_lease(&y, &key, 6, "B").await);
    let row = y.meta.stash(&key).await.unwrap().unwrap();
    let mut w = y
        .blobs
        .append_session(&blob_key, row.blob_state.as_deref().unwrap_or(""), 6)
        .await
        .unwrap();
    w.write(&pattern(6 << 20, 1)).await.unwrap();
    w.finish().await.unwrap();
    y.meta.release_chunk_lease(&key, "B").await.unwrap();
    assert!(append_with_lease(&y, &key, &blob_key, 6, b"world", "C").await);
    let bytes = finish_and_read(&x, &key, &blob_key, "a_failed_attempt_is_never_committed").await;
    assert_eq!(bytes, b"hello world");
    let m = y.blobs.materialize(&blob_key).await.unwrap();
    assert_eq!(std::fs::read(m.path()).unwrap(), b"hello world");
    drop(m);
    let row = x.meta.take_stash(&key).await.unwrap().unwrap();
    x.blobs
        .abort_session(&blob_key, row.blob_state.as_deref().unwrap_or(""))
        .await
        .unwrap();
    x.blobs.delete(&blob_key).await.unwrap();
}

/// Chunks of every size below the stores' 5 MiB part minimum (MediaWiki's may be 1 KiB) and
/// above it, alternating: a store that enforces the minimum (AWS, s3s-fs) accepts the result,
/// and the bytes are exactly the chunks in order.
pub async fn small_chunks_coalesce_into_parts(b: &dyn Backend) {
    let (x, y) = (b.open().await, b.open().await);
    let (key, blob_key) = new_session(&x, "coalesce.").await;
    let sizes: [usize; 12] = [
        1024,
        1024,
        3 << 20,
        (2 << 20) + 1,
        1024,
        4 << 20,
        6 << 20,
        100 << 10,
        9 << 20,
        (5 << 20) - 1,
        1024,
        777,
    ];
    let mut expected = Vec::new();
    let mut offset = 0i64;
    for (i, n) in sizes.iter().enumerate() {
        let data = pattern(*n, i as u8 + 10);
        let inst = if i % 2 == 0 { &x } else { &y };
        assert!(
            append_with_lease(inst, &key, &blob_key, offset, &data, &format!("w{i}")).await,
            "small_chunks_coalesce_into_parts: chunk {i} landed"
        );
        offset += *n as i64;
        expected.extend_from_slice(&data);
    }
    let bytes = finish_and_read(&y, &key, &blob_key, "small_chunks_coalesce_into_parts").await;
    assert!(bytes == expected, "small_chunks_coalesce_into_parts: bytes in order");
}

/// A writer whose lease ran out finishes its attempt only after another writer committed the
/// same offset: whatever the stale writer uploaded is never part of the session.
pub async fn a_stale_writers_part_is_never_referenced(b: &dyn Backend) {
    let (x, y) = (b.open().await, b.open().await);
    let (key, blob_key) = new_session(&x, "stale.").await;
    let first = pattern(2 << 20, 3);
    assert!(append_with_lease(&x, &key, &blob_key, 0, &first, "first").await);
    let offset = first.len() as i64;
    let t = now();
    acquired(
        x.meta.lease_chunks(&key, offset, "A", t, t + 30).await.unwrap(),
        "the lease was not taken",
    );
    let row = x.meta.stash(&key).await.unwrap().unwrap();
    let state = row.blob_state.clone().unwrap_or_default();
    let mut a = x.blobs.append_session(&blob_key, &state, offset as u64).await.unwrap();
    a.write(&pattern(6 << 20, 4)).await.unwrap();
    // A stalls past its lease; B takes the session over at the same offset and commits.
    acquired(
        y.meta.lease_chunks(&key, offset, "B", t + 31, t + 61).await.unwrap(),
        "a_stale_writers_part_is_never_referenced: takeover after expiry",
    );
    let mut bw = y.blobs.append_session(&blob_key, &state, offset as u64).await.unwrap();
    let b_data = pattern(6 << 20, 5);
    bw.write(&b_data).await.unwrap();
    let b_state = bw.finish().await.unwrap();
    let mut h = sha1_from_state(row.hash_state.as_deref().unwrap()).unwrap();
    h.update(&b_data);
    let adv = ChunkAdvance {
        expected_offset: offset,
        new_size: offset + b_data.len() as i64,
        hash_state: &sha1_state(&h),
        blob_state: &b_state,
        expires_at: now() + 3600,
    };
    assert!(y.meta.advance_chunks(&key, "B", &adv).await.unwrap());
    // A wakes up and finishes its attempt (uploading what it buffered), then tries to commit.
    let a_state = a.finish().await;
    if let Ok(a_state) = a_state {
        let adv = ChunkAdvance {
            blob_state: &a_state,
            ..adv.clone()
        };
        assert!(
            !x.meta.advance_chunks(&key, "A", &adv).await.unwrap(),
            "a_stale_writers_part_is_never_referenced: a stale writer committed"
        );
    }
    let bytes = finish_and_read(&x, &key, &blob_key, "a_stale_writers_part_is_never_referenced").await;
    let mut expected = first;
    expected.extend_from_slice(&b_data);
    assert!(
        bytes == expected,
        "a_stale_writers_part_is_never_referenced: the session holds B's bytes"
    );
}

/// Many 1 KiB chunks (MediaWiki's minimum), with one large chunk in the middle: the assembled
/// file has the right SHA-1.
pub async fn many_1kib_chunks_assemble_with_the_right_sha1(b: &dyn Backend) {
    let x = b.open().await;
    let (key, blob_key) = new_session(&x, "tiny.").await;
    let mut all = Vec::new();
    let mut offset = 0i64;
    let mut sizes = vec![1024usize; 300];
    sizes.push((5 << 20) - (200 << 10));
    sizes.extend(std::iter::repeat_n(1024usize, 300));
    sizes.push(300);
    for (i, n) in sizes.iter().enumerate() {
        let data = pattern(*n, (i % 251) as u8);
        assert!(append_with_lease(&x, &key, &blob_key, offset, &data, &format!("t{i}")).await);
        offset += *n as i64;
        all.extend_from_slice(&data);
    }
    let bytes = finish_and_read(&x, &key, &blob_key, "many_1kib_chunks_assemble_with_the_right_sha1").await;
    assert_eq!(
        hex::encode(Sha1::digest(&bytes)),
        hex::encode(Sha1::digest(&all)),
        "many_1kib_chunks_assemble_with_the_right_sha1"
    );
}

/// The orphan sweep's view: blobs (and an unfinished session's bytes) are listed by their blob
/// key once older than the cutoff, and deleting that key removes them all.
pub async fn orphans_are_listed_by_blob_key(b: &dyn Backend) {
    let x = b.open().await;
    let blob = new_blob_key();
    x.blobs
        .put_file(&blob, scratch_file(x.blobs.as_ref(), b"orphan").await)
        .await
        .unwrap();
    let session = new_blob_key();
    let state = x.blobs.begin_session(&session).await.unwrap();
    let mut w = x.blobs.append_session(&session, &state, 0).await.unwrap();
    w.write(&pattern(3000, 9)).await.unwrap();
    w.finish().await.unwrap();
    let past = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    let listed = x.blobs.keys_older_than(past).await.unwrap();
    assert!(
        !listed.contains(&blob) && !listed.contains(&session),
        "orphans_are_listed_by_blob_key: new blobs are not old"
    );
    // Object stores keep modification times in whole seconds.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let future = std::time::SystemTime::now() + std::time::Duration::from_secs(5);
    let listed = x.blobs.keys_older_than(future).await.unwrap();
    assert!(listed.contains(&blob), "orphans_are_listed_by_blob_key: a blob");
    assert!(
        listed.contains(&session),
        "orphans_are_listed_by_blob_key: an unfinished session, by its blob key"
    );
    for key in [&blob, &session] {
        x.blobs.delete(key).await.unwrap();
    }
    let listed = x.blobs.keys_older_than(future).await.unwrap();
    assert!(
        !listed.contains(&blob) && !listed.contains(&session),
        "orphans_are_listed_by_blob_key: deleted keys are gone"
    );
}

fn log_write<'a>(action: &'a str, actor: Actor<'a>) -> LogWrite<'a> {
    LogWrite {
        actor,
        action,
        comment: "why",
        params: LogParams::None {},
        tags: &[],
    }
}

/// Page restrictions and create protection: expiry, removal, and create protection ending
/// when the page is created.
pub async fn protections_expire_and_follow_the_page(b: &dyn Backend) {
    let x = b.open().await;
    let admin = Actor {
        user_id: 1,
        user_name: "Admin",
    };
    let name = format!("Prot_{}.txt", unique(""));
    let restriction = |kind: &str, level: &str, expiry: Option<&str>| Restriction {
        kind: kind.into(),
        level: level.into(),
        expiry: expiry.map(String::from),
        cascade: false,
    };
    // Create protection of a missing title.
    x.meta
        .protect(&ProtectOp {
            namespace: 6,
            title: &name,
            page_exists: false,
            restrictions: vec![restriction("create", "sysop", None)],
            revision_comment: None,
            log: log_write("protect", admin),
        })
        .await
        .unwrap();
    let now = crate::time::now_ts();
    assert_eq!(
        x.meta.restrictions(6, &name, &now).await.unwrap(),
        vec![restriction("create", "sysop", None)]
    );
    let listed = x
        .meta
        .protected_titles(
            &ProtectedTitlesQuery {
                limit: 500,
                ..Default::default()
            },
            &now,
        )
        .await
        .unwrap();
    assert!(
        listed.iter().any(|p| p.title == name && p.reason == "why"),
        "protected_titles lists it"
    );
    // Creating the page ends the create protection.
    let v = version(&name, "1111111111111111111111111111111111111111", "dd01", &now);
    x.meta.publish(&publish_op(v, None, None, None)).await.unwrap();
    assert!(
        x.meta.restrictions(6, &name, &now).await.unwrap().is_empty(),
        "create protection outlived the page's creation"
    );
    // Page restrictions, one of them expiring.
    x.meta
        .protect(&ProtectOp {
            namespace: 6,
            title: &name,
            page_exists: true,
            restrictions: vec![
                restriction("edit", "sysop", None),
                restriction("upload", "autoconfirmed", Some("20300101000000")),
            ],
            revision_comment: Some("Protected"),
            log: log_write("protect", admin),
        })
        .await
        .unwrap();
    assert_eq!(x.meta.restrictions(6, &name, &now).await.unwrap().len(), 2);
    assert_eq!(
        x.meta.restrictions(6, &name, "20300101000001").await.unwrap(),
        vec![restriction("edit", "sysop", None)],
        "an expired restriction still counted"
    );
    // Removing one (empty level) keeps the other.
    x.meta
        .protect(&ProtectOp {
            namespace: 6,
            title: &name,
            page_exists: true,
            restrictions: vec![restriction("edit", "", None)],
            revision_comment: Some("Changed protection"),
            log: log_write("modify", admin),
        })
        .await
        .unwrap();
    assert_eq!(x.meta.restrictions(6, &name, &now).await.unwrap().len(), 1);
    let log = x
        .meta
        .log_events(&LogQuery {
            log_type: Some("protect"),
            title: Some(&name),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(log.len(), 3, "one protect log entry per change");
    // Deleting the page removes its protection.
    x.meta.delete_file_page(&name, &admin, "bye", &[]).await.unwrap();
    assert!(x.meta.restrictions(6, &name, &now).await.unwrap().is_empty());
}

fn user_block(id: i64, name: &str, expiry: Option<&str>) -> BlockRow {
    BlockRow {
        id: 0,
        target: BlockTarget::User { id, name: name.into() },
        by_id: 1,
        by_name: "Admin".into(),
        reason: "test".into(),
        timestamp: crate::time::now_ts(),
        expiry: expiry.map(String::from),
        anononly: false,
        nocreate: true,
        autoblock: false,
        noemail: false,
        allowusertalk: false,
        sitewide: true,
        pages: vec![],
        namespaces: vec![],
    }
}

/// Blocks: one active block per target (two instances racing to block get one block), reblock
/// keeps the id, an expired block does not count, ranges cover addresses, unblock removes.
pub async fn one_active_block_per_target(b: &dyn Backend) {
    let (x, y) = (b.open().await, b.open().await);
    let admin = Actor {
        user_id: 1,
        user_name: "Admin",
    };
    let uid = 1_000_000 + (rand::random::<u32>() as i64 % 1_000_000);
    let name = format!("Blocked{uid}");
    let now = crate::time::now_ts();
    let (ba, bb) = (user_block(uid, &name, None), user_block(uid, &name, None));
    let (la, lb) = (log_write("block", admin), log_write("block", admin));
    let (r1, r2) = tokio::join!(
        x.meta.insert_block(&ba, false, &now, &la),
        y.meta.insert_block(&bb, false, &now, &lb)
    );
    let ids: Vec<i64> = [r1.unwrap(), r2.unwrap()]
        .into_iter()
        .filter_map(|r| match r {
            BlockInsert::Inserted { id } => Some(id),
            BlockInsert::AlreadyBlocked => None,
        })
        .collect();
    assert_eq!(ids.len(), 1, "one_active_block_per_target: two blocks of one user");
    let mut partial = user_block(uid, &name, Some("20300101000000"));
    partial.sitewide = false;
    partial.pages = vec![(6, "A.png".into())];
    match x.meta.insert_block(&partial, true, &now, &log_write("block", admin)).await.unwrap() {
        BlockInsert::Inserted { id } => assert_eq!(id, ids[0], "reblock keeps the block's id"),
        BlockInsert::AlreadyBlocked => panic!("reblock refused"),
    }
    let against = y.meta.blocks_against(Some(uid), None, &now).await.unwrap();
    assert_eq!(against.len(), 1);
    assert_eq!(
        (against[0].sitewide, against[0].pages.clone()),
        (false, vec![(6, "A.png".to_string())])
    );
    assert!(
        y.meta.blocks_against(Some(uid), None, "20300101000001").await.unwrap().is_empty(),
        "an expired block counted"
    );
    // After expiry a new block may be placed.
    match y
        .meta
        .insert_block(&user_block(uid, &name, None), false, "20300101000001", &log_write("block", admin))
        .await
        .unwrap()
    {
        BlockInsert::Inserted { .. } => {}
        BlockInsert::AlreadyBlocked => panic!("an expired block prevented a new one"),
    }
    // An address range.
    let range = BlockRow {
        target: BlockTarget::Address {
            text: format!("192.0.2.{}/32", uid % 200),
            start: format!("C00002{:02X}", uid % 200),
            end: format!("C00002{:02X}", uid % 200),
        },
        ..user_block(0, "", None)
    };
    x.meta.insert_block(&range, false, &now, &log_write("block", admin)).await.unwrap();
    let hex = format!("C00002{:02X}", uid % 200);
    assert!(
        !x.meta.blocks_against(None, Some(&hex), &now).await.unwrap().is_empty(),
        "a range block did not cover its address"
    );
    assert!(
        x.meta
            .blocks_against(None, Some("0A000001"), &now)
            .await
            .unwrap()
            .iter()
            .all(|b| b.target != range.target)
    );
    let listed = x
        .meta
        .list_blocks(
            &BlockQuery {
                user_ids: Some(&[uid]),
                limit: 10,
                ..Default::default()
            },
            &now,
        )
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    // Unblock, at the time of the unblock: the block just placed is stamped with the clock, so
    // the test's earlier `now` could sort the unblock before it when a second boundary passed.
    let now = crate::time::now_ts();
    let removed = x
        .meta
        .remove_block(&BlockKey::User(uid), &now, &log_write("unblock", admin))
        .await
        .unwrap();
    assert!(removed.is_some());
    assert!(
        x.meta
            .remove_block(&BlockKey::User(uid), &now, &log_write("unblock", admin))
            .await
            .unwrap()
            .is_none()
    );
    assert!(x.meta.blocks_against(Some(uid), None, &now).await.unwrap().is_empty());
    let log = x
        .meta
        .log_events(&LogQuery {
            log_type: Some("block"),
            title: Some(&name),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    let actions: Vec<&str> = log.iter().map(|l| l.action.as_str()).collect();
    assert_eq!(actions, ["block", "reblock", "block", "unblock"], "block log, oldest first");
}

/// Group memberships with an expiry: expired ones are absent; a change is logged with the old
/// and new memberships.
pub async fn group_memberships_expire_and_are_logged(b: &dyn Backend) {
    let x = b.open().await;
    let admin = Actor {
        user_id: 1,
        user_name: "Admin",
    };
    let name = format!("Member{}", unique(""));
    let id = x.meta.create_user(&name, "x", &[], None).await.unwrap().unwrap();
    let add = [
        GroupMembership {
            group: "bot".into(),
            expiry: None,
        },
        GroupMembership {
            group: "sysop".into(),
            expiry: Some("20300101000000".into()),
        },
    ];
    let now = crate::time::now_ts();
    let (old, new) = x
        .meta
        .change_user_groups(id, &add, &[], &now, &log_write("rights", admin))
        .await
        .unwrap()
        .unwrap();
    assert!(old.is_empty());
    assert_eq!(new, add.to_vec());
    let u = x.meta.user_by_id(id).await.unwrap().unwrap();
    assert_eq!(u.groups, ["bot", "sysop"]);
    assert_eq!(u.memberships, add.to_vec());
    let (old, new) = x
        .meta
        .change_user_groups(id, &[], &["bot".to_string()], "20300101000001", &log_write("rights", admin))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(old, vec![add[0].clone()], "an expired membership counted as current");
    assert!(new.is_empty());
    assert!(
        x.meta
            .change_user_groups(-5, &add, &[], &now, &log_write("rights", admin))
            .await
            .unwrap()
            .is_none()
    );
    let log = x
        .meta
        .log_events(&LogQuery {
            log_type: Some("rights"),
            title: Some(&name),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(log.len(), 2);
    let p: serde_json::Value = serde_json::from_str(&log[0].params).unwrap();
    assert_eq!(p["newgroups"], serde_json::json!(["bot", "sysop"]));
    assert_eq!(p["newmetadata"][1]["expiry"], "2030-01-01T00:00:00Z");
}

fn thumbnail_row(source_blob: &str, name: &str, blob_key: &str) -> ThumbnailRow {
    ThumbnailRow {
        source_blob: source_blob.into(),
        name: name.into(),
        blob_key: blob_key.into(),
        mime: "image/png".into(),
        size: 10,
        sha1: "0".repeat(40),
        width: 120,
        height: 90,
        created_at: now(),
    }
}

/// Thumbnails: one row per (source bytes, name) when two instances store it at once; kept while
/// a current or old version uses the bytes, purged once none does; their blobs count as used.
pub async fn thumbnails_follow_the_bytes_in_use(b: &dyn Backend) {
    let (x, y) = (b.open().await, b.open().await);
    let name = format!("Thumb_{}.png", unique(""));
    let (src1, src2) = (unique("ee"), unique("ee"));
    let v1 = version(&name, "1111111111111111111111111111111111111111", &src1, "20250101000000");
    x.meta.publish(&publish_op(v1.clone(), None, None, None)).await.unwrap();
    let (tx, ty) = (unique("ef"), unique("ef"));
    let (row_x, row_y) = (thumbnail_row(&src1, "120px-T.png", &tx), thumbnail_row(&src1, "120px-T.png", &ty));
    let (a, b2) = tokio::join!(x.meta.insert_thumbnail(&row_x), y.meta.insert_thumbnail(&row_y));
    let (a, b2) = (a.unwrap(), b2.unwrap());
    let winner = match (&a, &b2) {
        (None, Some(w)) => {
            assert_eq!(w.blob_key, tx, "thumbnails: the loser is told the winner's row");
            tx.clone()
        }
        (Some(w), None) => {
            assert_eq!(w.blob_key, ty, "thumbnails: the loser is told the winner's row");
            ty.clone()
        }
        other => panic!("thumbnails: one insert must win, got {other:?}"),
    };
    assert_eq!(x.meta.thumbnail(&src1, "120px-T.png").await.unwrap().unwrap().blob_key, winner);
    assert!(x.meta.blob_in_use(&winner).await.unwrap(), "a thumbnail's blob is in use");
    // Overwritten: the old version still uses the bytes, so nothing is purged.
    let v2 = version(&name, "2222222222222222222222222222222222222222", &src2, "20250101000001");
    let op2 = publish_op(v2.clone(), Some(&v1), Some(crate::archive_name("20250101000001", &name)), None);
    x.meta.publish(&op2).await.unwrap();
    assert!(x.meta.purge_thumbnails(std::slice::from_ref(&src1)).await.unwrap().is_empty());
    assert!(x.meta.thumbnail(&src1, "120px-T.png").await.unwrap().is_some());
    // Deleted: no version uses either source any more.
    let admin = Actor {
        user_id: 1,
        user_name: "Admin",
    };
    x.meta.delete_file_page(&name, &admin, "", &[]).await.unwrap().expect("deleted");
    let purged = x.meta.purge_thumbnails(&[src1.clone(), src2.clone()]).await.unwrap();
    assert_eq!(purged.len(), 1, "thumbnails: the deleted file's thumbnail is purged");
    assert_eq!(purged[0].blob_key, winner);
    assert!(x.meta.thumbnail(&src1, "120px-T.png").await.unwrap().is_none());
    assert!(!x.meta.blob_in_use(&winner).await.unwrap(), "a purged thumbnail's blob is unused");
    // The sweep finds rows of unused sources (a rendering that finished after the deletion).
    let late = unique("ef");
    assert!(
        x.meta
            .insert_thumbnail(&thumbnail_row(&src2, "60px-T.png", &late))
            .await
            .unwrap()
            .is_none()
    );
    let swept = x.meta.purge_unused_thumbnails(1000).await.unwrap();
    assert!(swept.iter().any(|r| r.blob_key == late), "thumbnails: the sweep removes a late row");
    // delete_thumbnails removes rows of sources in use too (action=purge).
    let src3 = unique("ee");
    let name3 = format!("Thumb3_{}.png", unique(""));
    x.meta
        .publish(&publish_op(
            version(&name3, "3333333333333333333333333333333333333333", &src3, "20250101000002"),
            None,
            None,
            None,
        ))
        .await
        .unwrap();
    x.meta
        .insert_thumbnail(&thumbnail_row(&src3, "120px-T3.png", &unique("ef")))
        .await
        .unwrap();
    assert!(
        x.meta
            .purge_unused_thumbnails(1000)
            .await
            .unwrap()
            .iter()
            .all(|r| r.source_blob != src3)
    );
    assert_eq!(x.meta.delete_thumbnails(std::slice::from_ref(&src3)).await.unwrap().len(), 1);
}

fn move_op<'a>(from: &'a str, to: &'a str, target: &'a str, redirect: Option<&'a str>, over_redirect: bool) -> PageMoveOp<'a> {
    PageMoveOp {
        from_ns: 6,
        from,
        to_ns: 6,
        to,
        actor: Actor {
            user_id: 1,
            user_name: "Admin",
        },
        reason: "why",
        rev_comment: "Admin moved page",
        redirect_text: redirect,
        target_prefixed: target,
        over_redirect,
        tags: &[],
    }
}

/// `move_page` of a File page takes the current version, the old versions (archive names
/// renamed, blobs untouched) and the page (same id, a null revision) to the new name, leaves
/// the redirect and writes the log entry, or changes nothing: onto an existing file or page, or
/// from a missing page. Two moves onto one name from two instances: one winner.
pub async fn a_file_move_takes_every_version_in_one_step(b: &dyn Backend) {
    let (x, y) = (b.open().await, b.open().await);
    let (a, bn, c) = (
        format!("MoveA_{}.png", unique("")),
        format!("MoveB_{}.png", unique("")),
        format!("MoveC_{}.png", unique("")),
    );
    let (blob1, blob2, blob3) = (unique("mv"), unique("mv"), unique("mv"));
    let v1 = version(&a, "1111111111111111111111111111111111111111", &blob1, "20250101000000");
    x.meta.publish(&publish_op(v1.clone(), None, None, None)).await.unwrap();
    let v2 = version(&a, "2222222222222222222222222222222222222222", &blob2, "20250101000001");
    let op2 = publish_op(v2.clone(), Some(&v1), Some(crate::archive_name("20250101000001", &a)), None);
    x.meta.publish(&op2).await.unwrap();
    let v3 = version(&c, "3333333333333333333333333333333333333333", &blob3, "20250101000002");
    x.meta.publish(&publish_op(v3, None, None, None)).await.unwrap();
    let page_a = x.meta.page(6, &a).await.unwrap().expect("page A").id;

    let target_c = format!("File:{c}");
    assert_eq!(
        x.meta.move_page(&move_op(&a, &c, &target_c, None, false)).await.unwrap(),
        MoveOutcome::TargetExists,
        "move: onto an existing file"
    );
    let missing = format!("MoveNone_{}.png", unique(""));
    assert_eq!(
        x.meta.move_page(&move_op(&missing, &bn, "File:x", None, false)).await.unwrap(),
        MoveOutcome::SourceMissing
    );
    assert_eq!(
        x.meta.current_file(&a).await.unwrap().unwrap().sha1,
        v2.sha1,
        "a refused move changed nothing"
    );

    let target_b = format!("File:{bn}");
    let redirect = format!("#REDIRECT [[{target_b}]]");
    let MoveOutcome::Moved {
        page_id,
        redirect_page_id,
        log_id,
    } = x
        .meta
        .move_page(&move_op(&a, &bn, &target_b, Some(&redirect), false))
        .await
        .unwrap()
    else {
        panic!("move: not moved");
    };
    assert_eq!(page_id, page_a, "move: the page keeps its id");
    let cur = x.meta.current_file(&bn).await.unwrap().expect("moved current version");
    assert_eq!((cur.sha1.as_str(), cur.blob_key.as_str()), (v2.sha1.as_str(), blob2.as_str()));
    let olds = x.meta.old_versions(&bn).await.unwrap();
    assert_eq!(olds.len(), 1, "move: old versions go along");
    assert_eq!(olds[0].blob_key, blob1);
    assert_eq!(
        olds[0].archive_name.as_deref(),
        Some(crate::archive_name("20250101000001", &bn).as_str())
    );
    assert!(x.meta.current_file(&a).await.unwrap().is_none());
    assert!(x.meta.old_versions(&a).await.unwrap().is_empty());
    let moved = x.meta.page(6, &bn).await.unwrap().expect("moved page");
    assert_eq!(moved.id, page_a);
    assert_eq!(
        x.meta.revision(moved.latest_rev).await.unwrap().unwrap().comment,
        "Admin moved page"
    );
    let left = x.meta.page(6, &a).await.unwrap().expect("redirect page");
    assert_eq!(Some(left.id), redirect_page_id);
    assert_eq!(x.meta.revision(left.latest_rev).await.unwrap().unwrap().text, redirect);
    let log = x
        .meta
        .log_events(&LogQuery {
            title: Some(&a),
            title_namespace: Some(6),
            log_type: Some("move"),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(
        (log[0].id, log[0].action.as_str(), log[0].comment.as_str()),
        (log_id, "move", "why")
    );
    let params: serde_json::Value = serde_json::from_str(&log[0].params).unwrap();
    assert_eq!(
        params,
        serde_json::json!({"target_ns": 6, "target_title": target_b, "suppressredirect": false})
    );

    // Back over the redirect it left: move_redir, no redirect left this time.
    let target_a = format!("File:{a}");
    assert_eq!(
        x.meta.move_page(&move_op(&bn, &a, &target_a, None, false)).await.unwrap(),
        MoveOutcome::TargetExists,
        "move: a page at the target refuses without over_redirect"
    );
    assert!(matches!(
        x.meta.move_page(&move_op(&bn, &a, &target_a, None, true)).await.unwrap(),
        MoveOutcome::Moved {
            redirect_page_id: None,
            ..
        }
    ));
    assert_eq!(x.meta.page(6, &a).await.unwrap().unwrap().id, page_a);
    assert!(x.meta.page(6, &bn).await.unwrap().is_none());
    assert_eq!(x.meta.old_versions(&a).await.unwrap().len(), 1);

    // Two files moved onto one new name from two instances: exactly one wins.
    let d = format!("MoveD_{}.png", unique(""));
    let target_d = format!("File:{d}");
    let (ma, mc) = (move_op(&a, &d, &target_d, None, false), move_op(&c, &d, &target_d, None, false));
    let (r1, r2) = tokio::join!(x.meta.move_page(&ma), y.meta.move_page(&mc));
    let wins = [r1.unwrap(), r2.unwrap()]
        .iter()
        .filter(|r| matches!(r, MoveOutcome::Moved { .. }))
        .count();
    assert_eq!(wins, 1, "a_file_move_takes_every_version_in_one_step: one winner");
    assert!(x.meta.current_file(&d).await.unwrap().is_some());
}
