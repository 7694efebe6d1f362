-- Rendered thumbnails (MediaWiki's thumb zone). A thumbnail belongs to the source bytes
-- (`source_blob`, the version's blob key), not to a file name: a new current version never finds
-- its predecessor's thumbnails, and an old version keeps its own for thumb/archive/ URLs.
-- Rows of sources that no current or old version (or stash entry) uses any more are purged,
-- with their blobs, when a file is deleted and by the periodic sweep.
CREATE TABLE thumbnails (
    source_blob  TEXT COLLATE "C" NOT NULL,
    name         TEXT COLLATE "C" NOT NULL,
    blob_key     TEXT COLLATE "C" NOT NULL,
    mime         TEXT NOT NULL,
    size         BIGINT NOT NULL,
    sha1         TEXT NOT NULL,
    width        BIGINT NOT NULL,
    height       BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (source_blob, name)
);
CREATE INDEX thumbnails_blob ON thumbnails(blob_key);
