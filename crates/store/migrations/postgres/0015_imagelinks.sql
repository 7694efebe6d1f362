-- MediaWiki's imagelinks: which page uses which file (list=imageusage, prop=fileusage, prop=images).
CREATE TABLE imagelinks (
    page_id BIGINT NOT NULL,
    target  TEXT NOT NULL,                   -- the file's DB key; the file need not exist
    PRIMARY KEY (page_id, target)
);
CREATE INDEX imagelinks_target ON imagelinks (target, page_id);
