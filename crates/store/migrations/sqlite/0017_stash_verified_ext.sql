-- The final extension a stash entry's bytes passed the full verification under (NULL: not
-- verified as a whole, e.g. a chunk stashed on its own). Publishing the entry under a name with
-- the same extension need not read the bytes again: the verdict depends on the bytes and the
-- extension only, and a stash entry's bytes never change.
ALTER TABLE stash ADD COLUMN verified_ext TEXT;
