-- Rendered thumbnails (MediaWiki's thumb zone). A thumbnail belongs to the source bytes
-- (`source_blob`, the version's blob key), not to a file name: a new current version never finds
-- its predecessor's thumbnails, and an old version keeps its own for thumb/archive/ URLs.
-- Rows of sources that no current or old version (or stash entry) uses any more are purged,
-- with their blobs, when a file is deleted and by the periodic sweep.
CREATE TABLE thumbnails (
    source_blob  TEXT NOT NULL,
    name         TEXT NOT NULL,            -- the thumbnail name, e.g. 120px-Foo.png
    blob_key     TEXT NOT NULL,
    mime         TEXT NOT NULL,
    size         INTEGER NOT NULL,
    sha1         TEXT NOT NULL,            -- hex, the ETag
    width        INTEGER NOT NULL,
    height       INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,         -- unix seconds
    PRIMARY KEY (source_blob, name)
);
CREATE INDEX thumbnails_blob ON thumbnails(blob_key);
-- Whether a source is still used is asked by blob key.
CREATE INDEX IF NOT EXISTS files_blob ON files(blob_key);
CREATE INDEX IF NOT EXISTS old_files_blob ON old_files(blob_key);
CREATE INDEX IF NOT EXISTS stash_blob ON stash(blob_key);
