-- list=mystashedfiles lists one user's entries by rowid (MediaWiki's us_id).
CREATE INDEX stash_user ON stash (user_id);
