-- mwupload metadata schema (PostgreSQL): the SQLite schema (migrations/sqlite, 0001 + 0002) in
-- PostgreSQL types. Timestamps stay MediaWiki's TS_MW text, YYYYMMDDHHMMSS (UTC): the domain
-- compares and sorts them as text and builds archive names from them. SHA-1s are 40-char
-- lowercase hex. Every text column is COLLATE "C", so comparisons, ranges and ORDER BY are
-- byte-wise as in SQLite, whatever the database's default collation is.

CREATE TABLE settings (
    name  TEXT COLLATE "C" PRIMARY KEY,
    value TEXT COLLATE "C" NOT NULL
);

CREATE TABLE users (
    id            BIGSERIAL PRIMARY KEY,
    name          TEXT COLLATE "C" NOT NULL UNIQUE,
    password_hash TEXT COLLATE "C" NOT NULL,
    groups_list   TEXT COLLATE "C" NOT NULL DEFAULT '',   -- explicit groups, comma separated ("sysop,bot")
    registered    TEXT COLLATE "C" NOT NULL
);

CREATE TABLE bot_passwords (
    user_id       BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    app_id        TEXT COLLATE "C" NOT NULL,
    password_hash TEXT COLLATE "C" NOT NULL,
    grants        TEXT COLLATE "C" NOT NULL,              -- comma separated grant names
    created       TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (user_id, app_id)
);

CREATE TABLE sessions (
    id         TEXT COLLATE "C" PRIMARY KEY,              -- random, sent as the session cookie
    secret     TEXT COLLATE "C" NOT NULL,                 -- hex; keys the session's tokens
    user_id    BIGINT REFERENCES users(id) ON DELETE CASCADE,
    bot_app_id TEXT COLLATE "C",                          -- set when logged in with a bot password
    created    TEXT COLLATE "C" NOT NULL,
    last_seen  TEXT COLLATE "C" NOT NULL
);

-- Blob keys are immutable: a version's bytes never move. Publishing and archiving only change rows.
-- A blob may be referenced by several rows (a revert points a new version at an old blob).
CREATE TABLE files (                        -- MediaWiki's `image`: the current version of each file
    name        TEXT COLLATE "C" PRIMARY KEY, -- DB key, "Foo_bar.png"
    size        BIGINT NOT NULL,
    width       BIGINT NOT NULL,
    height      BIGINT NOT NULL,
    bits        BIGINT NOT NULL,
    page_count  BIGINT,
    metadata    TEXT COLLATE "C" NOT NULL,    -- JSON [[name, value], ...]
    media_type  TEXT COLLATE "C" NOT NULL,
    mime        TEXT COLLATE "C" NOT NULL,
    description TEXT COLLATE "C" NOT NULL,
    user_id     BIGINT NOT NULL,
    user_name   TEXT COLLATE "C" NOT NULL,
    timestamp   TEXT COLLATE "C" NOT NULL,
    sha1        TEXT COLLATE "C" NOT NULL,
    blob_key    TEXT COLLATE "C" NOT NULL
);
CREATE INDEX files_sha1 ON files(sha1);
CREATE INDEX files_timestamp ON files(timestamp);
CREATE INDEX files_user ON files(user_name, timestamp);
CREATE INDEX files_blob ON files(blob_key);

CREATE TABLE old_files (                    -- MediaWiki's `oldimage`: archived versions
    id           BIGSERIAL PRIMARY KEY,
    name         TEXT COLLATE "C" NOT NULL,
    archive_name TEXT COLLATE "C" NOT NULL UNIQUE,        -- "YYYYMMDDHHMMSS!Name.png"
    size         BIGINT NOT NULL,
    width        BIGINT NOT NULL,
    height       BIGINT NOT NULL,
    bits         BIGINT NOT NULL,
    page_count   BIGINT,
    metadata     TEXT COLLATE "C" NOT NULL,
    media_type   TEXT COLLATE "C" NOT NULL,
    mime         TEXT COLLATE "C" NOT NULL,
    description  TEXT COLLATE "C" NOT NULL,
    user_id      BIGINT NOT NULL,
    user_name    TEXT COLLATE "C" NOT NULL,
    timestamp    TEXT COLLATE "C" NOT NULL,
    sha1         TEXT COLLATE "C" NOT NULL,
    blob_key     TEXT COLLATE "C" NOT NULL
);
CREATE INDEX old_files_name ON old_files(name, timestamp);
CREATE INDEX old_files_sha1 ON old_files(sha1);
CREATE INDEX old_files_blob ON old_files(blob_key);

CREATE TABLE file_archive (                 -- MediaWiki's `filearchive`: deleted versions
    id           BIGSERIAL PRIMARY KEY,
    name         TEXT COLLATE "C" NOT NULL,
    archive_name TEXT COLLATE "C",
    size         BIGINT NOT NULL,
    width        BIGINT NOT NULL,
    height       BIGINT NOT NULL,
    bits         BIGINT NOT NULL,
    page_count   BIGINT,
    metadata     TEXT COLLATE "C" NOT NULL,
    media_type   TEXT COLLATE "C" NOT NULL,
    mime         TEXT COLLATE "C" NOT NULL,
    description  TEXT COLLATE "C" NOT NULL,
    user_id      BIGINT NOT NULL,
    user_name    TEXT COLLATE "C" NOT NULL,
    timestamp    TEXT COLLATE "C" NOT NULL,
    sha1         TEXT COLLATE "C" NOT NULL,
    blob_key     TEXT COLLATE "C" NOT NULL,
    deleted_by   BIGINT NOT NULL,
    deleted_at   TEXT COLLATE "C" NOT NULL
);
CREATE INDEX file_archive_sha1 ON file_archive(sha1);
CREATE INDEX file_archive_name ON file_archive(name, timestamp, id);
CREATE INDEX file_archive_blob ON file_archive(blob_key);

CREATE TABLE pages (                        -- description pages
    id          BIGSERIAL PRIMARY KEY,
    namespace   BIGINT NOT NULL,
    title       TEXT COLLATE "C" NOT NULL,    -- DB key without namespace
    latest_rev  BIGINT NOT NULL DEFAULT 0,
    touched     TEXT COLLATE "C" NOT NULL,
    UNIQUE (namespace, title)
);

CREATE TABLE revisions (
    id        BIGSERIAL PRIMARY KEY,
    page_id   BIGINT NOT NULL REFERENCES pages(id),
    text      TEXT COLLATE "C" NOT NULL,
    comment   TEXT COLLATE "C" NOT NULL,
    user_id   BIGINT NOT NULL,
    user_name TEXT COLLATE "C" NOT NULL,
    timestamp TEXT COLLATE "C" NOT NULL,
    sha1      TEXT COLLATE "C" NOT NULL,
    tags      TEXT COLLATE "C" NOT NULL DEFAULT ''    -- change tags, comma separated
);
CREATE INDEX revisions_page ON revisions(page_id, id);

CREATE TABLE log_events (
    id        BIGSERIAL PRIMARY KEY,
    log_type  TEXT COLLATE "C" NOT NULL,
    action    TEXT COLLATE "C" NOT NULL,
    namespace BIGINT NOT NULL,
    title     TEXT COLLATE "C" NOT NULL,
    user_id   BIGINT NOT NULL,
    user_name TEXT COLLATE "C" NOT NULL,
    timestamp TEXT COLLATE "C" NOT NULL,
    comment   TEXT COLLATE "C" NOT NULL,
    params    TEXT COLLATE "C" NOT NULL,              -- JSON object
    tags      TEXT COLLATE "C" NOT NULL DEFAULT ''
);
CREATE INDEX log_events_title ON log_events(namespace, title, log_type);
CREATE INDEX log_events_type ON log_events(log_type, id);
CREATE INDEX log_events_user ON log_events(user_name, id);
CREATE INDEX log_events_time ON log_events(timestamp, id);

-- The upload stash: finished files (status 'finished') and chunked sessions in progress ('chunks').
CREATE TABLE stash (
    key          TEXT COLLATE "C" PRIMARY KEY,
    user_id      BIGINT NOT NULL,
    status       TEXT COLLATE "C" NOT NULL,   -- 'finished' | 'chunks'
    blob_key     TEXT COLLATE "C" NOT NULL,
    size         BIGINT NOT NULL,             -- bytes stored so far (chunk sessions: the server offset)
    sha1         TEXT COLLATE "C" NOT NULL,   -- finished: hex of the whole file; chunks: '' until complete
    hash_state   BYTEA,                       -- chunks: serialized running SHA-1 after `size` bytes
    mime         TEXT COLLATE "C" NOT NULL,
    media_type   TEXT COLLATE "C" NOT NULL,
    width        BIGINT NOT NULL,
    height       BIGINT NOT NULL,
    bits         BIGINT NOT NULL,
    page_count   BIGINT,
    metadata     TEXT COLLATE "C" NOT NULL,
    source       TEXT COLLATE "C" NOT NULL,   -- 'file' | 'chunks' | 'url'
    temp_name    TEXT COLLATE "C" NOT NULL,   -- for canonicaltitle, "YYYYMMDDHHMMSS!phpXXXX.png"
    timestamp    TEXT COLLATE "C" NOT NULL,
    expires_at   BIGINT NOT NULL,             -- unix seconds
    -- A chunked session's writer holds a lease (owner + expiry), taken and released by
    -- compare-and-set.
    lease_owner  TEXT COLLATE "C",
    lease_until  BIGINT NOT NULL DEFAULT 0    -- unix seconds
);
CREATE INDEX stash_expires ON stash(expires_at);
CREATE INDEX stash_blob ON stash(blob_key);

-- checkstatus data ("upload status"), keyed per user like MediaWiki's object-stash entries.
CREATE TABLE upload_status (
    user_id    BIGINT NOT NULL,
    key        TEXT COLLATE "C" NOT NULL,
    value      TEXT COLLATE "C" NOT NULL,     -- JSON
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, key)
);

-- Durable job queue: every background action is a row, so a restart resumes it. A job names
-- the worker that claimed it (`owner`), so a worker whose lease was taken over cannot finish it.
CREATE TABLE jobs (
    id          BIGSERIAL PRIMARY KEY,
    kind        TEXT COLLATE "C" NOT NULL,
    payload     TEXT COLLATE "C" NOT NULL,    -- JSON
    state       TEXT COLLATE "C" NOT NULL DEFAULT 'queued', -- queued | running | done | failed
    attempts    BIGINT NOT NULL DEFAULT 0,
    lease_until BIGINT NOT NULL DEFAULT 0,
    created     BIGINT NOT NULL,
    last_error  TEXT COLLATE "C",
    owner       TEXT COLLATE "C"
);
CREATE INDEX jobs_state ON jobs(state, id);

-- Revisions of deleted pages, kept for undelete (MediaWiki's `archive`).
CREATE TABLE archived_revisions (
    id         BIGSERIAL PRIMARY KEY,
    namespace  BIGINT NOT NULL,
    title      TEXT COLLATE "C" NOT NULL,
    text       TEXT COLLATE "C" NOT NULL,
    comment    TEXT COLLATE "C" NOT NULL,
    user_id    BIGINT NOT NULL,
    user_name  TEXT COLLATE "C" NOT NULL,
    timestamp  TEXT COLLATE "C" NOT NULL,
    sha1       TEXT COLLATE "C" NOT NULL
);
CREATE INDEX archived_revisions_title ON archived_revisions(namespace, title);

CREATE TABLE watchlist (
    user_id   BIGINT NOT NULL,
    namespace BIGINT NOT NULL,
    title     TEXT COLLATE "C" NOT NULL,
    expiry    TEXT COLLATE "C",                -- TS_MW or NULL for infinite
    PRIMARY KEY (user_id, namespace, title)
);
