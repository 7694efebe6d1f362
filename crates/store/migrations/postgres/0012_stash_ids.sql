-- A stable id per stash entry, for list=mystashedfiles (MediaWiki's us_id) and its continuation.
ALTER TABLE stash ADD COLUMN id BIGSERIAL;
CREATE INDEX stash_user ON stash (user_id, id);
