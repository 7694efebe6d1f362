-- Who may upload what: page protection, create protection of missing titles, and blocks.
-- (Group memberships with an expiry are kept in users.groups_list as `group@YYYYMMDDHHMMSS`.)

CREATE TABLE page_restrictions (            -- MediaWiki's `page_restrictions`, by title
    namespace INTEGER NOT NULL,
    title     TEXT NOT NULL,
    kind      TEXT NOT NULL,                -- edit | move | upload
    level     TEXT NOT NULL,                -- autoconfirmed | sysop
    expiry    TEXT,                         -- TS_MW; NULL = indefinitely
    cascade   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (namespace, title, kind)
);

CREATE TABLE protected_titles (             -- create protection of titles that have no page
    namespace INTEGER NOT NULL,
    title     TEXT NOT NULL,
    level     TEXT NOT NULL,
    expiry    TEXT,
    user_id   INTEGER NOT NULL,
    user_name TEXT NOT NULL,
    reason    TEXT NOT NULL,
    timestamp TEXT NOT NULL,
    PRIMARY KEY (namespace, title)
);
CREATE INDEX protected_titles_timestamp ON protected_titles(timestamp);

CREATE TABLE blocks (                       -- MediaWiki's `ipblocks`: one active block per target
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    target_user_id INTEGER,                 -- a user…
    target_address TEXT,                    -- …or an address or range ("192.0.2.0/24")
    target_name    TEXT NOT NULL,
    range_start    TEXT,                    -- addresses: bounds as MediaWiki's hex, inclusive
    range_end      TEXT,
    by_id          INTEGER NOT NULL,
    by_name        TEXT NOT NULL,
    reason         TEXT NOT NULL,
    timestamp      TEXT NOT NULL,
    expiry         TEXT,                    -- TS_MW; NULL = indefinitely
    anononly       INTEGER NOT NULL DEFAULT 0,
    nocreate       INTEGER NOT NULL DEFAULT 0,
    autoblock      INTEGER NOT NULL DEFAULT 0,
    noemail        INTEGER NOT NULL DEFAULT 0,
    allowusertalk  INTEGER NOT NULL DEFAULT 0,
    sitewide       INTEGER NOT NULL DEFAULT 1,
    pages          TEXT NOT NULL DEFAULT '', -- partial blocks: "ns<TAB>title" lines
    namespaces     TEXT NOT NULL DEFAULT ''  -- partial blocks: namespace numbers, comma separated
);
CREATE UNIQUE INDEX blocks_user ON blocks(target_user_id) WHERE target_user_id IS NOT NULL;
CREATE UNIQUE INDEX blocks_address ON blocks(target_address) WHERE target_address IS NOT NULL;
CREATE INDEX blocks_range ON blocks(range_start, range_end);
CREATE INDEX blocks_timestamp ON blocks(timestamp, id);
