-- Correctness from the database, not from one process's memory: a chunked session's writer
-- holds a lease (owner + expiry) taken and released by compare-and-set, and a job names the
-- worker that claimed it, so a worker whose lease was taken over cannot finish it.
ALTER TABLE stash ADD COLUMN lease_owner TEXT;
ALTER TABLE stash ADD COLUMN lease_until INTEGER NOT NULL DEFAULT 0;   -- unix seconds
ALTER TABLE jobs ADD COLUMN owner TEXT;
-- Never used: orphaned blobs are found by listing the store.
DROP TABLE pending_blobs;
