//! mwupload's storage: what the server remembers (metadata) and the bytes of files (blobs).
//!
//! * [`MetaStore`] is the database, grouped by aggregate: [`AccountStore`] (users, bot passwords,
//!   sessions), [`FileStore`] (file versions, publish, delete, undelete), [`PageStore`]
//!   (description pages, revisions, log, watchlist), [`StashStore`] (stash entries, chunked
//!   sessions with their write lease, upload status), [`JobStore`] (the durable job queue),
//!   [`ProtectionStore`] (page and create protection) and [`BlockStore`] (blocks).
//!   Operations that must be atomic are single methods, so each engine implements them with its
//!   own locking; every guarantee (one winner of a same-name race, one writer of a chunk session,
//!   one worker per job) comes from the database: unique keys, compare-and-set, leases with owners.
//! * [`BlobStore`] holds immutable, randomly keyed blobs. Publishing, archiving and deleting only
//!   change which row points at a blob; nothing outside an adapter sees where a blob lives.
//!
//! The store persists what it is given: MediaWiki's policy (which comment, which log entry,
//! whether a publish may overwrite) is decided by the domain (`mwupload-core`).
//! Adapters: SQLite (`sqlite` feature), PostgreSQL (`postgres` feature, for several replicas on
//! one database), a local directory tree (`fs` feature) and an S3-compatible object store (`s3`
//! feature). The [`contract`] suite (feature `contract`) is what every adapter must pass.

pub mod base36;
mod blob;
pub mod comment;
mod error;
mod rows;
pub mod scratch;
pub mod time;

#[cfg(feature = "fs")]
pub mod fs;
#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(feature = "s3")]
pub mod s3;
#[cfg(feature = "sqlite")]
pub mod sqlite;

#[cfg(feature = "contract")]
pub mod contract;
#[cfg(all(feature = "contract", feature = "s3"))]
pub mod s3_servers;

pub use blob::{BlobAppend, BlobReader, BlobStore, Materialized, new_blob_key};
pub use error::{StoreError, StoreResult};
pub use rows::*;

use async_trait::async_trait;

/// Users, bot passwords, sessions and settings.
#[async_trait]
pub trait AccountStore: Send + Sync {
    async fn get_setting(&self, name: &str) -> StoreResult<Option<String>>;
    /// Sets a setting only if absent; returns the value now stored (the first writer wins).
    async fn init_setting(&self, name: &str, value: &str) -> StoreResult<String>;

    /// Creates a user; None if the name is taken. With `log_action`, the same transaction writes
    /// MediaWiki's `newusers/<log_action>` entry (performer: the new account, params: its id),
    /// as AuthManager does for accounts made by a maintenance script (`autocreate`).
    async fn create_user(&self, name: &str, password_hash: &str, groups: &[String], log_action: Option<&str>) -> StoreResult<Option<i64>>;
    async fn count_users(&self) -> StoreResult<i64>;
    async fn user_by_name(&self, name: &str) -> StoreResult<Option<UserRow>>;
    async fn user_by_id(&self, id: i64) -> StoreResult<Option<UserRow>>;
    /// Replaces a user's explicit groups (indefinite memberships).
    async fn set_user_groups(&self, id: i64, groups: &[String]) -> StoreResult<bool>;
    /// `action=userrights`: adds (or changes the expiry of) and removes memberships in one
    /// transaction with the rights log entry (whose params the store fills from the old and
    /// new memberships; `log.params` is ignored). Memberships expired before `now` count as
    /// absent. Returns (old, new) memberships, or None for no such user.
    async fn change_user_groups(
        &self,
        user_id: i64,
        add: &[GroupMembership],
        remove: &[String],
        now: &str,
        log: &LogWrite<'_>,
    ) -> StoreResult<Option<(Vec<GroupMembership>, Vec<GroupMembership>)>>;
    async fn set_user_password(&self, id: i64, hash: &str) -> StoreResult<bool>;

    /// Creates or replaces a bot password.
    async fn put_bot_password(&self, user_id: i64, app_id: &str, hash: &str, grants: &[String]) -> StoreResult<()>;
    async fn bot_password(&self, user_id: i64, app_id: &str) -> StoreResult<Option<BotPasswordRow>>;
    /// All users, by id (the admin command `user list`).
    async fn list_users(&self) -> StoreResult<Vec<UserRow>>;
    /// Deletes an account with its sessions and bot passwords; false if there was none. Files and
    /// revisions keep the name they were recorded with.
    async fn delete_user(&self, id: i64) -> StoreResult<bool>;
    /// A user's bot passwords, by app id.
    async fn bot_passwords(&self, user_id: i64) -> StoreResult<Vec<BotPasswordRow>>;
    /// Deletes a bot password (its sessions stop authenticating); false if there was none.
    async fn delete_bot_password(&self, user_id: i64, app_id: &str) -> StoreResult<bool>;

    async fn create_session(&self, id: &str, secret: &str) -> StoreResult<()>;
    async fn session(&self, id: &str) -> StoreResult<Option<SessionRow>>;
    /// The session with its user and bot password, in one query: what every request reads to
    /// know its caller (the same rows [`MetaStore::session`], [`MetaStore::user_by_id`] and
    /// [`MetaStore::bot_password`] give one by one).
    async fn session_caller(&self, id: &str) -> StoreResult<Option<SessionCaller>>;
    /// Logs a session in (or out with `None`), replacing its token secret.
    async fn set_session_user(&self, id: &str, user_id: Option<i64>, bot_app_id: Option<&str>, new_secret: &str) -> StoreResult<()>;

    /// One login attempt against the throttle counter `key` (MediaWiki's `Throttler::increase`
    /// for one condition, shared by every process on the database): a missing or expired
    /// counter starts at 1, expiring at `now + seconds`; one under `limit` goes up by one; one
    /// at `limit` stays and the attempt is refused (false).
    async fn throttle_attempt(&self, key: &str, limit: i64, seconds: i64, now: i64) -> StoreResult<bool>;
    /// Removes throttle counters (a successful login clears its own).
    async fn throttle_clear(&self, keys: &[String]) -> StoreResult<()>;
}

/// File versions: current, archived (old) and deleted.
#[async_trait]
pub trait FileStore: Send + Sync {
    async fn current_file(&self, name: &str) -> StoreResult<Option<FileVersion>>;
    /// The File page of `name`, its current version and whether the deletion log names it, in
    /// one statement (one snapshot, one round trip: every upload reads these first).
    async fn name_record(&self, name: &str) -> StoreResult<NameRecord>;
    /// Archived versions of `name`, newest first.
    async fn old_versions(&self, name: &str) -> StoreResult<Vec<FileVersion>>;
    async fn old_version_by_archive_name(&self, archive_name: &str) -> StoreResult<Option<FileVersion>>;
    /// Names of current files with this SHA-1, by name.
    async fn names_with_sha1(&self, sha1: &str) -> StoreResult<Vec<String>>;
    /// Names of deleted files with this SHA-1, by name.
    async fn archived_names_with_sha1(&self, sha1: &str) -> StoreResult<Vec<String>>;
    /// Whether any version — current, archived or deleted — is `size` bytes long (identical
    /// bytes need equal sizes: a SHA-1 comparison can be skipped when none is).
    async fn any_file_of_size(&self, size: i64) -> StoreResult<bool>;
    /// Current files named `<prefix>…`, by name.
    async fn names_with_prefix(&self, prefix: &str, limit: i64) -> StoreResult<Vec<String>>;
    /// Current files by name or by (timestamp, name), with list=allimages' filters.
    async fn list_files(&self, q: &FileListQuery<'_>) -> StoreResult<Vec<FileVersion>>;
    async fn list_files_by_sha1(&self, sha1: &str, limit: i64) -> StoreResult<Vec<FileVersion>>;

    /// One transaction: checks that the current version is still what the caller saw, archives
    /// it, stores the new version, creates the description page or adds a null revision, writes
    /// the log entries and consumes the stash entry the bytes came from.
    async fn publish(&self, op: &PublishOp) -> StoreResult<PublishResult>;

    /// Deletes a page (its revisions to the archive) and, in the File namespace, every version
    /// of its file (versions to the file archive, bytes untouched). Returns the log id, or None
    /// if there was neither a file nor a page.
    async fn delete_page(&self, namespace: i64, title: &str, actor: &Actor<'_>, reason: &str, tags: &[String]) -> StoreResult<Option<i64>>;
    /// [`FileStore::delete_page`] of a File page.
    async fn delete_file_page(&self, name: &str, actor: &Actor<'_>, reason: &str, tags: &[String]) -> StoreResult<Option<i64>> {
        self.delete_page(6, name, actor, reason, tags).await
    }
    /// Deletes one archived version; `comment` is the log comment. Returns the log id, or None.
    async fn delete_old_version(
        &self,
        name: &str,
        archive_name: &str,
        actor: &Actor<'_>,
        comment: &str,
        tags: &[String],
    ) -> StoreResult<Option<i64>>;
    /// Restores a page's deleted revisions and, in the File namespace, deleted versions (all,
    /// or these file-archive ids). Returns (revisions restored, file versions restored).
    async fn undelete_page(
        &self,
        namespace: i64,
        title: &str,
        fileids: &[i64],
        actor: &Actor<'_>,
        reason: &str,
        tags: &[String],
    ) -> StoreResult<(i64, i64)>;
    /// [`FileStore::undelete_page`] of a File page.
    async fn undelete(&self, name: &str, fileids: &[i64], actor: &Actor<'_>, reason: &str, tags: &[String]) -> StoreResult<(i64, i64)> {
        self.undelete_page(6, name, fileids, actor, reason, tags).await
    }
    /// Deleted versions for list=filearchive.
    async fn list_file_archive(&self, q: &ArchiveQuery<'_>) -> StoreResult<Vec<ArchivedFile>>;
    /// True if any version, deleted version, stash entry or thumbnail refers to this blob.
    async fn blob_in_use(&self, blob_key: &str) -> StoreResult<bool>;
}

/// Description pages, their revisions, the log and watchlists.
#[async_trait]
pub trait PageStore: Send + Sync {
    async fn page(&self, namespace: i64, title: &str) -> StoreResult<Option<PageRow>>;
    async fn page_by_id(&self, id: i64) -> StoreResult<Option<PageRow>>;
    async fn revision(&self, id: i64) -> StoreResult<Option<RevisionRow>>;
    async fn page_revisions(&self, q: &RevisionQuery<'_>) -> StoreResult<Vec<RevisionRow>>;
    /// Saves a revision unless another user saved after `edit.base_rev` (check and write are one
    /// transaction, so two editors of one base cannot both win).
    async fn edit_page(&self, edit: &PageEdit<'_>) -> StoreResult<EditOutcome>;
    /// The page's latest revision at or before `timestamp` (TS_MW).
    async fn revision_at(&self, page_id: i64, timestamp: &str) -> StoreResult<Option<i64>>;
    /// Whether the page was deleted after `timestamp` (TS_MW), per the deletion log.
    async fn deleted_since(&self, namespace: i64, title: &str, timestamp: &str) -> StoreResult<bool>;
    async fn has_log_entry(&self, log_type: &str, namespace: i64, title: &str) -> StoreResult<bool>;
    async fn log_events(&self, q: &LogQuery<'_>) -> StoreResult<Vec<LogRow>>;
    async fn watch(&self, user_id: i64, namespace: i64, title: &str, expiry: Option<&str>) -> StoreResult<()>;
    async fn unwatch(&self, user_id: i64, namespace: i64, title: &str) -> StoreResult<()>;
    async fn is_watched(&self, user_id: i64, namespace: i64, title: &str) -> StoreResult<bool>;
    async fn watchlist(&self, q: &WatchlistQuery<'_>) -> StoreResult<Vec<(i64, String, Option<String>)>>;
    /// Replaces the files page `page_id` uses (derived from its latest text, like MediaWiki's
    /// deferred LinksUpdate; a deleted page's uses go with it).
    async fn set_file_links(&self, page_id: i64, targets: &[String]) -> StoreResult<()>;
    /// Revisions a user has saved, deleted ones included (MediaWiki's `user_editcount`).
    async fn edit_count(&self, user_id: i64) -> StoreResult<i64>;
    /// File uses (`imagelinks`) in the order `q.order` asks for.
    async fn file_links(&self, q: &FileLinkQuery<'_>) -> StoreResult<Vec<FileLink>>;
    /// Moves a page in one transaction: in the File namespace with its file (current and old
    /// versions, archive names renamed); a null revision on the moved page, its protections and
    /// watchers go along, the redirect (if any) is created at the old title, and the
    /// `move/move` (`move/move_redir` over a redirect) log entry is written.
    async fn move_page(&self, op: &PageMoveOp<'_>) -> StoreResult<MoveOutcome>;
}

/// The upload stash, chunked sessions and upload status (what `checkstatus` reads).
#[async_trait]
pub trait StashStore: Send + Sync {
    async fn insert_stash(&self, row: &StashRow) -> StoreResult<()>;
    async fn stash(&self, key: &str) -> StoreResult<Option<StashRow>>;
    /// Removes a stash entry and returns it (the caller decides about its blob).
    async fn take_stash(&self, key: &str) -> StoreResult<Option<StashRow>>;
    /// Stash entries past their expiry, for the sweeper.
    async fn expired_stash(&self, now: i64, limit: i64) -> StoreResult<Vec<StashRow>>;
    /// One user's stash entries (finished files and chunk sessions) with their stable ids, in id
    /// order from `from_id` (list=mystashedfiles and its continuation).
    async fn user_stash(&self, user_id: i64, from_id: i64, limit: i64) -> StoreResult<Vec<(i64, StashRow)>>;
    /// A user's stash entries (finished files and chunk sessions) that have not expired at
    /// `now`, newest first (`Special:UploadStash`).
    async fn unexpired_user_stash(&self, user_id: i64, now: i64, limit: i64) -> StoreResult<Vec<StashRow>>;

    /// Takes the write lease of a chunked session at `expected_offset` for `owner` until
    /// `until` (unix seconds): only if the session is still at that offset and nobody else holds
    /// an unexpired lease. An owner may re-take (renew) its own lease.
    async fn lease_chunks(&self, key: &str, expected_offset: i64, owner: &str, now: i64, until: i64) -> StoreResult<LeaseOutcome>;
    /// Extends `owner`'s lease; false if it has lost it.
    async fn renew_chunk_lease(&self, key: &str, owner: &str, until: i64) -> StoreResult<bool>;
    /// Gives the lease up (a failed or finished write).
    async fn release_chunk_lease(&self, key: &str, owner: &str) -> StoreResult<()>;
    /// Moves a session from `expected_offset` to `new_size` with the running hash state and the
    /// blob adapter's state, and releases the lease, only if `owner` still holds it and the
    /// offset still matches (one compare-and-set: offset, hash and blob state move together).
    async fn advance_chunks(&self, key: &str, owner: &str, adv: &ChunkAdvance<'_>) -> StoreResult<bool>;

    /// Turns a complete chunked session (held by `owner`, at `size`) into a finished stash entry
    /// under `finished.key`, in one step: the session key disappears as the new key appears.
    async fn finish_chunks(&self, session_key: &str, owner: &str, size: i64, finished: &StashRow) -> StoreResult<bool>;

    /// Upload status (the opaque serialized value the domain gave), unexpired.
    async fn status(&self, user_id: i64, key: &str, now: i64) -> StoreResult<Option<String>>;
    async fn set_status(&self, user_id: i64, key: &str, value: &str, expires_at: i64) -> StoreResult<()>;
    /// Compare-and-set: writes `value` only if the unexpired current value is `expected`
    /// (None: absent or expired).
    async fn replace_status(
        &self,
        user_id: i64,
        key: &str,
        expected: Option<&str>,
        value: &str,
        now: i64,
        expires_at: i64,
    ) -> StoreResult<bool>;
    async fn delete_status(&self, user_id: i64, key: &str) -> StoreResult<()>;
}

/// The durable job queue. A job is claimed by one owner with a lease; a job whose owner stopped
/// renewing is claimed again by someone else, and one that keeps being abandoned is handed out
/// once more flagged `exhausted`, so its owner can record the failure before finishing it.
#[async_trait]
pub trait JobStore: Send + Sync {
    async fn enqueue_job(&self, kind: &str, payload: &str) -> StoreResult<i64>;
    /// Claims the oldest runnable job (queued, or running with an expired lease) for `owner`.
    async fn claim_job(&self, owner: &str, now: i64, lease_secs: i64, max_attempts: i64) -> StoreResult<Option<ClaimedJob>>;
    /// Extends the lease; false if `owner` no longer holds the job.
    async fn renew_job(&self, id: i64, owner: &str, until: i64) -> StoreResult<bool>;
    /// Marks the job done (or failed with `error`); false if `owner` no longer holds it.
    async fn finish_job(&self, id: i64, owner: &str, error: Option<&str>) -> StoreResult<bool>;
    /// Gives a running job back without counting an attempt (graceful shutdown).
    async fn release_job(&self, id: i64, owner: &str) -> StoreResult<()>;
    /// Failed jobs: (id, kind, last error).
    async fn failed_jobs(&self) -> StoreResult<Vec<(i64, String, Option<String>)>>;
    /// For `/metrics`: (chunked upload sessions open, jobs queued or running).
    async fn ops_gauges(&self) -> StoreResult<(i64, i64)>;
}

/// Page protection and create protection of missing titles.
#[async_trait]
pub trait ProtectionStore: Send + Sync {
    /// The unexpired restrictions of a title: the page's (`edit`, `move`, `upload`), or the
    /// create protection (`create`) of a title with no page.
    async fn restrictions(&self, namespace: i64, title: &str, now: &str) -> StoreResult<Vec<Restriction>>;
    /// Applies a title's new restrictions and writes the protect log entry; returns its id.
    async fn protect(&self, op: &ProtectOp<'_>) -> StoreResult<i64>;
    /// Unexpired create protections, for list=protectedtitles.
    async fn protected_titles(&self, q: &ProtectedTitlesQuery<'_>, now: &str) -> StoreResult<Vec<ProtectedTitle>>;
}

/// Blocks of users and of IP addresses and ranges (one active block per target).
#[async_trait]
pub trait BlockStore: Send + Sync {
    /// Inserts a block (its `id` is ignored), or with `reblock` replaces the target's block, and
    /// writes the log entry. An expired block of the target does not count.
    async fn insert_block(&self, block: &BlockRow, reblock: bool, now: &str, log: &LogWrite<'_>) -> StoreResult<BlockInsert>;
    /// Removes the block and writes the unblock log entry; the removed block, or None.
    async fn remove_block(&self, key: &BlockKey<'_>, now: &str, log: &LogWrite<'_>) -> StoreResult<Option<BlockRow>>;
    /// Unexpired blocks against this user or covering this address (hex), newest first.
    async fn blocks_against(&self, user_id: Option<i64>, address_hex: Option<&str>, now: &str) -> StoreResult<Vec<BlockRow>>;
    /// Unexpired blocks for list=blocks.
    async fn list_blocks(&self, q: &BlockQuery<'_>, now: &str) -> StoreResult<Vec<BlockRow>>;
}

/// Rendered thumbnails (MediaWiki's thumb zone). A thumbnail belongs to the source *bytes*
/// (the version's blob key), not to a file name: after an overwrite or a revert the current
/// version's blob differs, so the name's old thumbnails are never served for it, and an old
/// version keeps its own for `thumb/archive/` URLs. Thumbnails of bytes that no current or old
/// version and no stash entry uses any more are purged (rows here, blobs by the caller).
#[async_trait]
pub trait ThumbStore: Send + Sync {
    async fn thumbnail(&self, source_blob: &str, name: &str) -> StoreResult<Option<ThumbnailRow>>;
    /// Records a rendered thumbnail. If the same thumbnail was recorded meanwhile, nothing is
    /// written and that row is returned (the caller deletes its own blob).
    async fn insert_thumbnail(&self, row: &ThumbnailRow) -> StoreResult<Option<ThumbnailRow>>;
    /// Removes the thumbnails of these source blobs if no current or old version and no stash
    /// entry uses the source any more; returns the removed rows (the caller deletes the blobs).
    async fn purge_thumbnails(&self, source_blobs: &[String]) -> StoreResult<Vec<ThumbnailRow>>;
    /// The same over the whole table, at most `limit` rows (the periodic sweep: catches a
    /// rendering that finished after its file was deleted).
    async fn purge_unused_thumbnails(&self, limit: i64) -> StoreResult<Vec<ThumbnailRow>>;
    /// Removes every thumbnail of these source blobs (MediaWiki's `action=purge`); returns them.
    async fn delete_thumbnails(&self, source_blobs: &[String]) -> StoreResult<Vec<ThumbnailRow>>;
}

/// The whole metadata store.
pub trait MetaStore: AccountStore + FileStore + PageStore + StashStore + JobStore + ProtectionStore + BlockStore + ThumbStore {}
impl<T: AccountStore + FileStore + PageStore + StashStore + JobStore + ProtectionStore + BlockStore + ThumbStore> MetaStore for T {}

/// The statement behind [`FileStore::name_record`], over the adapter's file columns
/// (`file_cols`, "a, b"): one row with `page_*` columns, the file's, and `deleted`. Written so
/// both SQL adapters run it as it is (SQLite reads `$1` as parameter 1, like PostgreSQL).
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) fn name_record_sql(file_cols: &str) -> String {
    let file_cols = file_cols.split(", ").map(|c| format!("f.{c}")).collect::<Vec<_>>().join(", ");
    format!(
        "SELECT p.id AS page_id, p.latest_rev AS page_latest_rev, p.touched AS page_touched, {file_cols}, \
         EXISTS (SELECT 1 FROM log_events WHERE namespace = 6 AND title = $1 AND log_type = 'delete') AS deleted \
         FROM (SELECT 1) AS one LEFT JOIN pages p ON p.namespace = 6 AND p.title = $1 LEFT JOIN files f ON f.name = $1"
    )
}

/// Name of an archived (old) version: `<TS_MW>!<name>` ("20250115102030!Foo.png"), as
/// MediaWiki's `oi_archive_name`.
pub fn archive_name(timestamp: &str, db_key: &str) -> String {
    format!("{timestamp}!{db_key}")
}
