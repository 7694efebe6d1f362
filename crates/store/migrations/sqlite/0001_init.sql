-- mwupload metadata schema (SQLite). Timestamps are MediaWiki's TS_MW form, YYYYMMDDHHMMSS (UTC),
-- so they sort as text and build archive names directly. SHA-1s are 40-char lowercase hex.

CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    groups_list   TEXT NOT NULL DEFAULT '',   -- explicit groups, comma separated ("sysop,bot")
    registered    TEXT NOT NULL
);

CREATE TABLE bot_passwords (
    user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    app_id        TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    grants        TEXT NOT NULL,              -- comma separated grant names
    created       TEXT NOT NULL,
    PRIMARY KEY (user_id, app_id)
);

CREATE TABLE sessions (
    id         TEXT PRIMARY KEY,              -- random, sent as the session cookie
    secret     TEXT NOT NULL,                 -- hex; keys the session's tokens
    user_id    INTEGER REFERENCES users(id) ON DELETE CASCADE,
    bot_app_id TEXT,                          -- set when logged in with a bot password
    created    TEXT NOT NULL,
    last_seen  TEXT NOT NULL
);

-- Blob keys are immutable: a version's bytes never move. Publishing and archiving only change rows.
-- A blob may be referenced by several rows (a revert points a new version at an old blob).
CREATE TABLE files (                        -- MediaWiki's `image`: the current version of each file
    name        TEXT PRIMARY KEY,             -- DB key, "Foo_bar.png"
    size        INTEGER NOT NULL,
    width       INTEGER NOT NULL,
    height      INTEGER NOT NULL,
    bits        INTEGER NOT NULL,
    page_count  INTEGER,
    metadata    TEXT NOT NULL,                -- JSON [[name, value], ...]
    media_type  TEXT NOT NULL,
    mime        TEXT NOT NULL,
    description TEXT NOT NULL,
    user_id     INTEGER NOT NULL,
    user_name   TEXT NOT NULL,
    timestamp   TEXT NOT NULL,
    sha1        TEXT NOT NULL,
    blob_key    TEXT NOT NULL
);
CREATE INDEX files_sha1 ON files(sha1);
CREATE INDEX files_timestamp ON files(timestamp);

CREATE TABLE old_files (                    -- MediaWiki's `oldimage`: archived versions
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    name         TEXT NOT NULL,
    archive_name TEXT NOT NULL UNIQUE,        -- "YYYYMMDDHHMMSS!Name.png"
    size         INTEGER NOT NULL,
    width        INTEGER NOT NULL,
    height       INTEGER NOT NULL,
    bits         INTEGER NOT NULL,
    page_count   INTEGER,
    metadata     TEXT NOT NULL,
    media_type   TEXT NOT NULL,
    mime         TEXT NOT NULL,
    description  TEXT NOT NULL,
    user_id      INTEGER NOT NULL,
    user_name    TEXT NOT NULL,
    timestamp    TEXT NOT NULL,
    sha1         TEXT NOT NULL,
    blob_key     TEXT NOT NULL
);
CREATE INDEX old_files_name ON old_files(name, timestamp);
CREATE INDEX old_files_sha1 ON old_files(sha1);

CREATE TABLE file_archive (                 -- MediaWiki's `filearchive`: deleted versions
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    name         TEXT NOT NULL,
    archive_name TEXT,
    size         INTEGER NOT NULL,
    width        INTEGER NOT NULL,
    height       INTEGER NOT NULL,
    bits         INTEGER NOT NULL,
    page_count   INTEGER,
    metadata     TEXT NOT NULL,
    media_type   TEXT NOT NULL,
    mime         TEXT NOT NULL,
    description  TEXT NOT NULL,
    user_id      INTEGER NOT NULL,
    user_name    TEXT NOT NULL,
    timestamp    TEXT NOT NULL,
    sha1         TEXT NOT NULL,
    blob_key     TEXT NOT NULL,
    deleted_by   INTEGER NOT NULL,
    deleted_at   TEXT NOT NULL
);
CREATE INDEX file_archive_sha1 ON file_archive(sha1);
CREATE INDEX file_archive_name ON file_archive(name);

CREATE TABLE pages (                        -- description pages, File namespace (6) only for now
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    namespace   INTEGER NOT NULL,
    title       TEXT NOT NULL,                -- DB key without namespace
    latest_rev  INTEGER NOT NULL DEFAULT 0,
    touched     TEXT NOT NULL,
    UNIQUE (namespace, title)
);

CREATE TABLE revisions (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    page_id   INTEGER NOT NULL REFERENCES pages(id),
    text      TEXT NOT NULL,
    comment   TEXT NOT NULL,
    user_id   INTEGER NOT NULL,
    user_name TEXT NOT NULL,
    timestamp TEXT NOT NULL,
    sha1      TEXT NOT NULL,
    tags      TEXT NOT NULL DEFAULT ''        -- change tags, comma separated
);
CREATE INDEX revisions_page ON revisions(page_id, id);

CREATE TABLE log_events (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    log_type  TEXT NOT NULL,
    action    TEXT NOT NULL,
    namespace INTEGER NOT NULL,
    title     TEXT NOT NULL,
    user_id   INTEGER NOT NULL,
    user_name TEXT NOT NULL,
    timestamp TEXT NOT NULL,
    comment   TEXT NOT NULL,
    params    TEXT NOT NULL,                  -- JSON object
    tags      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX log_events_title ON log_events(namespace, title, log_type);

-- The upload stash: finished files (status 'finished') and chunked sessions in progress ('chunks').
CREATE TABLE stash (
    key          TEXT PRIMARY KEY,
    user_id      INTEGER NOT NULL,
    status       TEXT NOT NULL,               -- 'finished' | 'chunks'
    blob_key     TEXT NOT NULL,
    size         INTEGER NOT NULL,            -- bytes stored so far (chunk sessions: the server offset)
    sha1         TEXT NOT NULL,               -- finished: hex of the whole file; chunks: '' until complete
    hash_state   BLOB,                        -- chunks: serialized running SHA-1 after `size` bytes
    mime         TEXT NOT NULL,
    media_type   TEXT NOT NULL,
    width        INTEGER NOT NULL,
    height       INTEGER NOT NULL,
    bits         INTEGER NOT NULL,
    page_count   INTEGER,
    metadata     TEXT NOT NULL,
    source       TEXT NOT NULL,               -- 'file' | 'chunks' | 'url'
    temp_name    TEXT NOT NULL,               -- for canonicaltitle, "YYYYMMDDHHMMSS!phpXXXX.png"
    timestamp    TEXT NOT NULL,
    expires_at   INTEGER NOT NULL             -- unix seconds
);
CREATE INDEX stash_expires ON stash(expires_at);

-- checkstatus data ("upload status"), keyed per user like MediaWiki's object-stash entries.
CREATE TABLE upload_status (
    user_id    INTEGER NOT NULL,
    key        TEXT NOT NULL,
    value      TEXT NOT NULL,                 -- JSON
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, key)
);

-- Durable job queue: every background action is a row, so a restart resumes it.
CREATE TABLE jobs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT NOT NULL,
    payload     TEXT NOT NULL,                -- JSON
    state       TEXT NOT NULL DEFAULT 'queued', -- queued | running | done | failed
    attempts    INTEGER NOT NULL DEFAULT 0,
    lease_until INTEGER NOT NULL DEFAULT 0,
    created     INTEGER NOT NULL,
    last_error  TEXT
);
CREATE INDEX jobs_state ON jobs(state, id);

-- Blobs written but not yet owned by a row; swept when orphaned (crash between write and commit).
CREATE TABLE pending_blobs (
    blob_key TEXT PRIMARY KEY,
    created  INTEGER NOT NULL
);

-- Revisions of deleted pages, kept for undelete (MediaWiki's `archive`).
CREATE TABLE archived_revisions (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    namespace  INTEGER NOT NULL,
    title      TEXT NOT NULL,
    text       TEXT NOT NULL,
    comment    TEXT NOT NULL,
    user_id    INTEGER NOT NULL,
    user_name  TEXT NOT NULL,
    timestamp  TEXT NOT NULL,
    sha1       TEXT NOT NULL
);
CREATE INDEX archived_revisions_title ON archived_revisions(namespace, title);

CREATE TABLE watchlist (
    user_id   INTEGER NOT NULL,
    namespace INTEGER NOT NULL,
    title     TEXT NOT NULL,
    expiry    TEXT,                           -- TS_MW or NULL for infinite
    PRIMARY KEY (user_id, namespace, title)
);
CREATE INDEX log_events_type ON log_events(log_type, id);
CREATE INDEX log_events_user ON log_events(user_name, id);
CREATE INDEX files_user ON files(user_name, timestamp);
