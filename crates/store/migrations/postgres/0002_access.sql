-- Who may upload what (as migrations/sqlite/0003_access.sql): page protection, create
-- protection of missing titles, and blocks. Group memberships with an expiry are kept in
-- users.groups_list as `group@YYYYMMDDHHMMSS`.

CREATE TABLE page_restrictions (
    namespace BIGINT NOT NULL,
    title     TEXT COLLATE "C" NOT NULL,
    kind      TEXT COLLATE "C" NOT NULL,            -- edit | move | upload
    level     TEXT COLLATE "C" NOT NULL,            -- autoconfirmed | sysop
    expiry    TEXT COLLATE "C",                     -- TS_MW; NULL = indefinitely
    cascade   BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (namespace, title, kind)
);

CREATE TABLE protected_titles (
    namespace BIGINT NOT NULL,
    title     TEXT COLLATE "C" NOT NULL,
    level     TEXT COLLATE "C" NOT NULL,
    expiry    TEXT COLLATE "C",
    user_id   BIGINT NOT NULL,
    user_name TEXT COLLATE "C" NOT NULL,
    reason    TEXT COLLATE "C" NOT NULL,
    timestamp TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (namespace, title)
);
CREATE INDEX protected_titles_timestamp ON protected_titles(timestamp);

CREATE TABLE blocks (
    id             BIGSERIAL PRIMARY KEY,
    target_user_id BIGINT,
    target_address TEXT COLLATE "C",
    target_name    TEXT COLLATE "C" NOT NULL,
    range_start    TEXT COLLATE "C",
    range_end      TEXT COLLATE "C",
    by_id          BIGINT NOT NULL,
    by_name        TEXT COLLATE "C" NOT NULL,
    reason         TEXT COLLATE "C" NOT NULL,
    timestamp      TEXT COLLATE "C" NOT NULL,
    expiry         TEXT COLLATE "C",
    anononly       BOOLEAN NOT NULL DEFAULT FALSE,
    nocreate       BOOLEAN NOT NULL DEFAULT FALSE,
    autoblock      BOOLEAN NOT NULL DEFAULT FALSE,
    noemail        BOOLEAN NOT NULL DEFAULT FALSE,
    allowusertalk  BOOLEAN NOT NULL DEFAULT FALSE,
    sitewide       BOOLEAN NOT NULL DEFAULT TRUE,
    pages          TEXT COLLATE "C" NOT NULL DEFAULT '',
    namespaces     TEXT COLLATE "C" NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX blocks_user ON blocks(target_user_id) WHERE target_user_id IS NOT NULL;
CREATE UNIQUE INDEX blocks_address ON blocks(target_address) WHERE target_address IS NOT NULL;
CREATE INDEX blocks_range ON blocks(range_start, range_end);
CREATE INDEX blocks_timestamp ON blocks(timestamp, id);
