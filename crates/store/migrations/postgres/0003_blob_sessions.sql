-- Chunked sessions on object stores (as migrations/sqlite/0004_blob_sessions.sql): the blob
-- adapter's own session state moves with the session's offset and running hash in the same
-- compare-and-set.
ALTER TABLE stash ADD COLUMN blob_state TEXT;
