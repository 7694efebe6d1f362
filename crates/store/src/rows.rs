//! Row types and query descriptions shared by every adapter. Timestamps are MediaWiki's TS_MW
//! (`YYYYMMDDHHMMSS`, UTC) unless a field says unix seconds; SHA-1s are 40 lowercase hex digits.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone)]
pub struct UserRow {
    pub id: i64,
    pub name: String,
    pub password_hash: String,
    /// Explicit groups whose membership has not expired.
    pub groups: Vec<String>,
    /// The same memberships with their expiry.
    pub memberships: Vec<GroupMembership>,
    pub registered: String,
}

/// Membership in an explicit group (`user_groups`), until `expiry` (TS_MW; None: indefinitely).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupMembership {
    pub group: String,
    pub expiry: Option<String>,
}

impl GroupMembership {
    /// Stored in `users.groups_list` as `group` or `group@YYYYMMDDHHMMSS`.
    pub fn encode(&self) -> String {
        match &self.expiry {
            Some(e) => format!("{}@{e}", self.group),
            None => self.group.clone(),
        }
    }

    pub fn decode(s: &str) -> Option<GroupMembership> {
        let s = s.trim();
        if s.is_empty() {
            return None;
        }
        Some(match s.split_once('@') {
            Some((g, e)) => GroupMembership {
                group: g.to_string(),
                expiry: Some(e.to_string()),
            },
            None => GroupMembership {
                group: s.to_string(),
                expiry: None,
            },
        })
    }

    pub fn expired(&self, now: &str) -> bool {
        self.expiry.as_deref().is_some_and(|e| e <= now)
    }

    /// The unexpired memberships of a `groups_list` value.
    pub fn parse_list(list: &str, now: &str) -> Vec<GroupMembership> {
        list.split(',')
            .filter_map(GroupMembership::decode)
            .filter(|m| !m.expired(now))
            .collect()
    }

    pub fn encode_list(ms: &[GroupMembership]) -> String {
        ms.iter().map(GroupMembership::encode).collect::<Vec<_>>().join(",")
    }

    /// Group changes as the rights log records them.
    pub fn rights_log_params(old: &[GroupMembership], new: &[GroupMembership]) -> LogParams {
        // MediaWiki reads a user's groups in `user_groups` key order: by name.
        let mut old = old.to_vec();
        old.sort_by(|a, b| a.group.cmp(&b.group));
        let old = old.as_slice();
        let meta = |ms: &[GroupMembership]| {
            ms.iter()
                .map(|m| GroupMetadata {
                    group: m.group.clone(),
                    expiry: m.expiry.as_deref().map(crate::time::ts_to_iso).unwrap_or_else(|| "infinity".into()),
                })
                .collect()
        };
        LogParams::Rights {
            oldgroups: old.iter().map(|m| m.group.clone()).collect(),
            newgroups: new.iter().map(|m| m.group.clone()).collect(),
            oldmetadata: meta(old),
            newmetadata: meta(new),
        }
    }

    /// `old` after removing `remove` and adding (or re-dating) `add`.
    pub fn apply_changes(old: &[GroupMembership], add: &[GroupMembership], remove: &[String]) -> Vec<GroupMembership> {
        // MediaWiki's order: the old groups (by name) less the removed ones, then the added ones.
        let mut new: Vec<GroupMembership> = old.iter().filter(|m| !remove.contains(&m.group)).cloned().collect();
        new.sort_by(|a, b| a.group.cmp(&b.group));
        for a in add {
            match new.iter_mut().find(|m| m.group == a.group) {
                Some(m) => m.expiry = a.expiry.clone(),
                None => new.push(a.clone()),
            }
        }
        new
    }
}

#[derive(Debug, Clone)]
pub struct BotPasswordRow {
    pub user_id: i64,
    pub app_id: String,
    pub password_hash: String,
    pub grants: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct SessionRow {
    pub id: String,
    pub secret: String,
    pub user_id: Option<i64>,
    pub bot_app_id: Option<String>,
}

/// A session with the account it is logged in as (None: anonymous, or the account is gone) and,
/// for a bot-password login, that bot password (None: there is none, or it was removed).
#[derive(Debug, Clone)]
pub struct SessionCaller {
    pub session: SessionRow,
    pub user: Option<UserRow>,
    pub bot_password: Option<BotPasswordRow>,
}

/// One version of a file: current (`files`), archived (`old_files`) or deleted (`file_archive`).
#[derive(Debug, Clone, PartialEq)]
pub struct FileVersion {
    pub name: String,
    pub archive_name: Option<String>,
    pub size: i64,
    pub width: i64,
    pub height: i64,
    pub bits: i64,
    pub page_count: Option<i64>,
    /// JSON array of [name, value] pairs (imageinfo `metadata`).
    pub metadata: String,
    pub media_type: String,
    pub mime: String,
    pub description: String,
    pub user_id: i64,
    pub user_name: String,
    pub timestamp: String,
    pub sha1: String,
    pub blob_key: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StashRow {
    pub key: String,
    pub user_id: i64,
    pub state: StashState,
    pub blob_key: String,
    pub size: i64,
    pub sha1: String,
    /// Chunked sessions: the domain's progress after `size` bytes (its running SHA-1), opaque
    /// to the store.
    pub hash_state: Option<Vec<u8>>,
    /// Chunked sessions: the blob adapter's session state after `size` bytes (S3: upload id,
    /// parts, tail objects; empty on local disk), opaque to everything but the adapter.
    pub blob_state: Option<String>,
    pub mime: String,
    pub media_type: String,
    pub width: i64,
    pub height: i64,
    pub bits: i64,
    pub page_count: Option<i64>,
    pub metadata: String,
    pub source: String,
    pub temp_name: String,
    pub timestamp: String,
    /// Unix seconds.
    pub expires_at: i64,
    /// The final extension these bytes passed the full verification under, if they did (a
    /// publish under the same extension need not read them again).
    pub verified_ext: Option<String>,
}

/// What uploading to a name needs to know about it first (see [`crate::FileStore::name_record`]).
#[derive(Debug, Clone, Default)]
pub struct NameRecord {
    /// The File page.
    pub page: Option<PageRow>,
    /// The file's current version.
    pub current: Option<FileVersion>,
    /// Whether the deletion log names the File page (MediaWiki's `was-deleted`).
    pub deleted: bool,
}

#[derive(Debug, Clone)]
pub struct PageRow {
    pub id: i64,
    pub namespace: i64,
    pub title: String,
    pub latest_rev: i64,
    pub touched: String,
}

/// list=allimages' selection (see `MetaStore::list_files`).
#[derive(Debug, Default)]
pub struct FileListQuery<'a> {
    pub by_time: bool,
    /// Order by (size, name) instead (`Special:ListFiles`); resume with `continue_size` + `continue_name`.
    pub by_size: bool,
    pub continue_size: Option<i64>,
    pub descending: bool,
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
    pub prefix: Option<&'a str>,
    /// TS_MW bounds (by time).
    pub start: Option<&'a str>,
    pub end: Option<&'a str>,
    /// Resume point: a name, or a TS_MW timestamp and name when by time.
    pub continue_ts: Option<&'a str>,
    pub continue_name: Option<&'a str>,
    pub user: Option<&'a str>,
    pub sha1: Option<&'a str>,
    pub min_size: Option<i64>,
    pub max_size: Option<i64>,
    /// Some(list): only these MIME types (an empty list matches nothing).
    pub mimes: Option<&'a [String]>,
    pub limit: i64,
}

/// list=logevents' selection (see `MetaStore::log_events`).
#[derive(Debug, Default)]
pub struct LogQuery<'a> {
    pub log_type: Option<&'a str>,
    pub action: Option<&'a str>,
    pub user: Option<&'a str>,
    pub namespace: Option<i64>,
    /// The namespace of `title` or `prefix`.
    pub title_namespace: Option<i64>,
    pub title: Option<&'a str>,
    pub prefix: Option<&'a str>,
    pub tag: Option<&'a str>,
    /// TS_MW bounds.
    pub start: Option<&'a str>,
    pub end: Option<&'a str>,
    pub newer_first: bool,
    /// Resume position: (TS_MW timestamp, id).
    pub from: Option<(&'a str, i64)>,
    pub limit: i64,
}

/// list=watchlistraw's selection (see `MetaStore::watchlist`).
#[derive(Debug, Default)]
pub struct WatchlistQuery<'a> {
    pub user_id: i64,
    pub descending: bool,
    /// Inclusive bounds as (namespace, DB key).
    pub from: Option<(i64, &'a str)>,
    pub to: Option<(i64, &'a str)>,
    /// Some(list): only these namespaces.
    pub namespaces: Option<&'a [i64]>,
    pub limit: i64,
}

/// list=filearchive's selection (see `MetaStore::list_file_archive`).
#[derive(Debug, Default)]
pub struct ArchiveQuery<'a> {
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
    pub prefix: Option<&'a str>,
    pub sha1: Option<&'a str>,
    pub descending: bool,
    /// Resume position: (name, TS_MW timestamp, id).
    pub resume: Option<(&'a str, &'a str, i64)>,
    pub limit: i64,
}

/// prop=revisions' enumeration of one page (see `MetaStore::page_revisions`).
#[derive(Debug, Default)]
pub struct RevisionQuery<'a> {
    pub page_id: i64,
    pub newest_first: bool,
    /// Resume point (rvcontinue's revision id).
    pub from_id: Option<i64>,
    pub start_id: Option<i64>,
    pub end_id: Option<i64>,
    /// TS_MW bounds.
    pub start: Option<&'a str>,
    pub end: Option<&'a str>,
    pub user: Option<&'a str>,
    pub exclude_user: Option<&'a str>,
    pub tag: Option<&'a str>,
    pub limit: i64,
}

/// One `action=edit` save.
#[derive(Debug, Clone)]
pub struct PageEdit<'a> {
    pub namespace: i64,
    pub title: &'a str,
    pub text: &'a str,
    pub comment: &'a str,
    pub user_id: i64,
    pub user_name: &'a str,
    pub tags: &'a [String],
    /// The revision the editor started from (conflict detection), if they said.
    pub base_rev: Option<i64>,
}

pub enum EditOutcome {
    Saved {
        page_id: i64,
        rev: i64,
        new: bool,
    },
    /// Another user saved after the base revision.
    Conflict,
}

#[derive(Debug, Clone)]
pub struct RevisionRow {
    pub tags: Vec<String>,
    pub id: i64,
    pub page_id: i64,
    pub text: String,
    pub comment: String,
    pub user_id: i64,
    pub user_name: String,
    pub timestamp: String,
    pub sha1: String,
    /// The page's previous revision (0 for the first).
    pub parent_id: i64,
}

#[derive(Debug, Clone)]
pub struct LogRow {
    pub tags: Vec<String>,
    pub id: i64,
    pub log_type: String,
    pub action: String,
    pub namespace: i64,
    pub title: String,
    pub user_id: i64,
    pub user_name: String,
    pub timestamp: String,
    pub comment: String,
    pub params: String,
}

/// A deleted file version (`filearchive` row).
#[derive(Debug, Clone)]
pub struct ArchivedFile {
    pub id: i64,
    pub version: FileVersion,
    pub deleted_by: i64,
    pub deleted_at: String,
}

/// Who did something (for rows and log entries).
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    pub user_id: i64,
    pub user_name: &'a str,
}

/// A log entry's parameters as stored (MediaWiki's `log_params`), one variant per kind of entry.
/// Stored as the JSON object MediaWiki's API shows for that entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum LogParams {
    /// upload/upload, upload/overwrite, upload/revert: the new version's base-36 SHA-1 and TS_MW time.
    Upload { img_sha1: String, img_timestamp: String },
    /// delete/delete of one old version.
    DeleteOldVersion { oldimage: String },
    /// delete/restore.
    Restore { count: RestoreCount },
    /// protect/protect and protect/modify: MediaWiki's description text and the details.
    Protect {
        description: String,
        cascade: bool,
        details: Vec<ProtectDetail>,
    },
    /// block/block and block/reblock.
    Block {
        duration: String,
        flags: Vec<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        restrictions: Option<BlockRestrictionsParam>,
        sitewide: bool,
        /// ISO 8601, absent for an indefinite block.
        #[serde(skip_serializing_if = "Option::is_none")]
        expiry: Option<String>,
    },
    /// rights/rights.
    Rights {
        oldgroups: Vec<String>,
        newgroups: Vec<String>,
        oldmetadata: Vec<GroupMetadata>,
        newmetadata: Vec<GroupMetadata>,
    },
    /// newusers/create, create2, autocreate, byemail: the new account's id.
    NewUser { userid: i64 },
    /// move/move and move/move_redir: the new title (prefixed) and whether no redirect was left.
    Move {
        target_ns: i64,
        target_title: String,
        suppressredirect: bool,
    },
    /// No parameters (delete/delete, create/create, protect/unprotect, block/unblock).
    None {},
}

/// One protection in a protect log entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProtectDetail {
    #[serde(rename = "type")]
    pub kind: String,
    pub level: String,
    /// ISO 8601 or `infinite`.
    pub expiry: String,
    /// Present for page protections (not for create protection).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cascade: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlockRestrictionsParam {
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub pages: Vec<BlockPageParam>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub namespaces: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlockPageParam {
    pub page_ns: i64,
    /// Prefixed title, as MediaWiki logs it.
    pub page_title: String,
}

/// A group membership as the rights log shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupMetadata {
    pub group: String,
    /// ISO 8601 or `infinity`.
    pub expiry: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RestoreCount {
    pub revisions: i64,
    pub files: i64,
}

impl LogParams {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }
}

/// The version a publish decision was made against (compare-and-set).
#[derive(Debug, Clone, PartialEq)]
pub struct ExpectedCurrent {
    pub sha1: String,
    pub timestamp: String,
}

/// One publish, fully decided by the caller; the store applies it atomically or reports why not.
#[derive(Debug, Clone)]
pub struct PublishOp {
    /// The new current version (its timestamp is final).
    pub version: FileVersion,
    /// The current version the caller saw; None: the name must still be free.
    pub expected_current: Option<ExpectedCurrent>,
    /// The archive name for the current version (required when `expected_current` is set).
    pub archive_name: Option<String>,
    /// Text of the description page when it has to be created.
    pub page_text: String,
    /// The upload comment: the new page's first revision and the log entry.
    pub comment: String,
    /// Comment of the null revision added when the description page already exists.
    pub null_revision_comment: String,
    pub tags: Vec<String>,
    /// Upload-log action: `upload`, `overwrite` or `revert`.
    pub log_action: String,
    pub log_params: LogParams,
    /// The stash entry whose bytes these are: it is removed in the same transaction, and the
    /// publish fails with [`PublishResult::StashGone`] if it is already gone (swept).
    pub consume_stash: Option<String>,
    /// The user whose watchlist gets the File page in the same transaction (the upload's
    /// `watch`): no second write transaction, and so no second commit, per upload.
    pub watch_for: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PublishResult {
    Published {
        page_created: bool,
    },
    /// The current version is not the one the caller saw (or the name was taken meanwhile).
    CurrentChanged,
    /// The archive name is in use by another old version.
    ArchiveNameTaken,
    /// The stash entry to consume no longer exists.
    StashGone,
}

/// A stash entry is a finished file, or a chunked session being uploaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StashState {
    Finished,
    Chunks,
}

impl StashState {
    pub fn as_str(self) -> &'static str {
        match self {
            StashState::Finished => "finished",
            StashState::Chunks => "chunks",
        }
    }
    pub fn parse(s: &str) -> Option<StashState> {
        match s {
            "finished" => Some(StashState::Finished),
            "chunks" => Some(StashState::Chunks),
            _ => None,
        }
    }
}

/// Whether a chunked session's write lease was taken.
#[derive(Debug, Clone, PartialEq)]
pub enum LeaseOutcome {
    /// Taken: the session as it is under the lease (its offset, running hash and blob state
    /// belong to the holder until it gives the lease up).
    Acquired(Box<StashRow>),
    /// The session is at another offset now (someone else appended).
    Moved { offset: i64 },
    /// Someone else holds the lease until `until` (unix seconds).
    Busy { until: i64 },
    /// No chunked session with this key (finished, swept or never existed).
    Gone,
}

/// A chunk's compare-and-set: the session moves from `expected_offset` to `new_size`.
#[derive(Debug, Clone)]
pub struct ChunkAdvance<'a> {
    pub expected_offset: i64,
    pub new_size: i64,
    pub hash_state: &'a [u8],
    /// The blob adapter's session state covering `new_size` bytes.
    pub blob_state: &'a str,
    pub expires_at: i64,
}

/// A job handed to a worker.
#[derive(Debug, Clone)]
pub struct ClaimedJob {
    pub id: i64,
    pub kind: String,
    pub payload: String,
    /// 1 for the first run.
    pub attempt: i64,
    /// Earlier owners kept dying: the job must not run again; its owner records the failure
    /// and finishes it as failed.
    pub exhausted: bool,
}

/// A log entry a store operation writes besides its main change.
#[derive(Debug, Clone)]
pub struct LogWrite<'a> {
    pub actor: Actor<'a>,
    pub action: &'a str,
    pub comment: &'a str,
    pub params: LogParams,
    pub tags: &'a [String],
}

/// One restriction on a page (`page_restrictions`) or on a missing title (`protected_titles`,
/// kind `create`). `level` is a group-like name (`autoconfirmed`, `sysop`); empty removes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Restriction {
    pub kind: String,
    pub level: String,
    /// TS_MW; None: indefinitely.
    pub expiry: Option<String>,
    pub cascade: bool,
}

/// Create protection of a missing title, for list=protectedtitles.
#[derive(Debug, Clone, PartialEq)]
pub struct ProtectedTitle {
    pub namespace: i64,
    pub title: String,
    pub level: String,
    pub expiry: Option<String>,
    pub user_id: i64,
    pub user_name: String,
    pub reason: String,
    pub timestamp: String,
}

/// list=protectedtitles' selection.
#[derive(Debug, Default)]
pub struct ProtectedTitlesQuery<'a> {
    pub namespaces: Option<&'a [i64]>,
    pub levels: Option<&'a [String]>,
    pub newer_first: bool,
    /// Resume position: (TS_MW timestamp, namespace, title), inclusive.
    pub from: Option<(&'a str, i64, &'a str)>,
    pub limit: i64,
}

/// Changes to one title's protection, applied in one transaction with its log entry.
#[derive(Debug, Clone)]
pub struct ProtectOp<'a> {
    pub namespace: i64,
    pub title: &'a str,
    /// Whether the page exists (page restrictions) or not (create protection).
    pub page_exists: bool,
    /// The new restriction per kind; an empty level removes that kind's restriction.
    pub restrictions: Vec<Restriction>,
    /// For an existing page: the comment of the null revision recording the change.
    pub revision_comment: Option<&'a str>,
    pub log: LogWrite<'a>,
}

/// Who or what a block is against.
#[derive(Debug, Clone, PartialEq)]
pub enum BlockTarget {
    User {
        id: i64,
        name: String,
    },
    /// An IP address or range: its text (`192.0.2.0/24`) and its bounds as MediaWiki's hex
    /// (`C0000200`, `v6-…`), inclusive.
    Address {
        text: String,
        start: String,
        end: String,
    },
}

impl BlockTarget {
    /// The name MediaWiki shows (`Example`, `192.0.2.0/24`).
    pub fn name(&self) -> &str {
        match self {
            BlockTarget::User { name, .. } => name,
            BlockTarget::Address { text, .. } => text,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct BlockRow {
    pub id: i64,
    pub target: BlockTarget,
    pub by_id: i64,
    pub by_name: String,
    pub reason: String,
    pub timestamp: String,
    /// TS_MW; None: indefinitely.
    pub expiry: Option<String>,
    pub anononly: bool,
    pub nocreate: bool,
    pub autoblock: bool,
    pub noemail: bool,
    pub allowusertalk: bool,
    pub sitewide: bool,
    /// Partial blocks: the pages (namespace, DB key) and namespaces they cover.
    pub pages: Vec<(i64, String)>,
    pub namespaces: Vec<i64>,
}

pub enum BlockInsert {
    Inserted {
        id: i64,
    },
    /// The target is blocked already (and `reblock` was not asked for).
    AlreadyBlocked,
}

/// Which block an unblock removes.
#[derive(Debug, Clone)]
pub enum BlockKey<'a> {
    Id(i64),
    User(i64),
    Address(&'a str),
}

/// list=blocks' selection.
#[derive(Debug, Default)]
pub struct BlockQuery<'a> {
    pub ids: Option<&'a [i64]>,
    pub user_ids: Option<&'a [i64]>,
    pub addresses: Option<&'a [String]>,
    /// Blocks covering this address (hex), as `bkip`.
    pub covering: Option<&'a str>,
    pub newer_first: bool,
    /// Resume position: (TS_MW timestamp, id), inclusive.
    pub from: Option<(&'a str, i64)>,
    pub limit: i64,
}

/// One use of a file by a page (MediaWiki's `imagelinks` row, with the using page's title).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileLink {
    pub page_id: i64,
    pub namespace: i64,
    pub title: String,
    /// The file's DB key (the file need not exist).
    pub target: String,
}

/// The order of a [`FileLinkQuery`] and where to resume it (inclusive).
#[derive(Debug, Clone, Copy)]
pub enum FileLinkOrder<'a> {
    /// list=imageusage: by the using page's id, or by (namespace, id) when `by_namespace` (as
    /// MediaWiki orders when more than one namespace is asked for); `from` is (namespace, id).
    ByUsingPage { from: Option<(i64, i64)>, by_namespace: bool },
    /// prop=fileusage: by (file, using page id).
    ByFile { from: Option<(&'a str, i64)> },
    /// prop=images: by (using page id, file).
    ByPage { from: Option<(i64, &'a str)> },
}

/// Which file uses to read: of these files and/or from these pages, in these namespaces.
#[derive(Debug, Clone)]
pub struct FileLinkQuery<'a> {
    pub targets: Option<&'a [String]>,
    pub page_ids: Option<&'a [i64]>,
    pub namespaces: Option<&'a [i64]>,
    pub order: FileLinkOrder<'a>,
    pub descending: bool,
    pub limit: i64,
}

/// A rendered thumbnail: the blob holding thumbnail `name` of the source bytes `source_blob`
/// (see [`crate::ThumbStore`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThumbnailRow {
    pub source_blob: String,
    pub name: String,
    pub blob_key: String,
    pub mime: String,
    pub size: i64,
    /// Hex SHA-1 of the thumbnail's bytes (its ETag).
    pub sha1: String,
    pub width: i64,
    pub height: i64,
    /// Unix seconds.
    pub created_at: i64,
}

/// `action=move` of a page (and, in the File namespace, of its file: current version, old
/// versions with their archive names, in one transaction with the page, the redirect and the
/// log entry; blobs are keyed independently of names, so no bytes move).
#[derive(Debug, Clone)]
pub struct PageMoveOp<'a> {
    pub from_ns: i64,
    /// DB key without namespace.
    pub from: &'a str,
    pub to_ns: i64,
    pub to: &'a str,
    pub actor: Actor<'a>,
    /// The log comment (the reason as given).
    pub reason: &'a str,
    /// The comment of the null revision on the moved page and of the redirect's revision
    /// ("Admin moved page [[A]] to [[B]]: reason").
    pub rev_comment: &'a str,
    /// Text of the redirect left at the old title; None: no redirect (`noredirect`).
    pub redirect_text: Option<&'a str>,
    /// Prefixed new title, for the log params (`target_title`).
    pub target_prefixed: &'a str,
    /// Move over a page at the target that is a redirect to the source (`move/move_redir`): the
    /// redirect is deleted first. Without it a page at the target refuses the move.
    pub over_redirect: bool,
    pub tags: &'a [String],
}

/// What [`crate::PageStore::move_page`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum MoveOutcome {
    Moved {
        /// The moved page (same id under its new title).
        page_id: i64,
        /// The redirect page left at the old title.
        redirect_page_id: Option<i64>,
        log_id: i64,
    },
    /// No page at the old title.
    SourceMissing,
    /// A page (or, in the File namespace, a file) at the new title.
    TargetExists,
}
