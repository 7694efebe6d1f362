-- Chunked sessions on object stores: the blob adapter's own session state (S3: the objects that
-- hold the session's bytes so far) moves with the session's offset and running hash in the same
-- compare-and-set.
ALTER TABLE stash ADD COLUMN blob_state TEXT;
