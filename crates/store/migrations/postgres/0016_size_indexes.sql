-- Whether any stored version has a given size (FileStore::any_file_of_size): a chunk's own
-- SHA-1 can only match a file of its size, so chunks hash themselves only when one exists.
CREATE INDEX files_size ON files(size);
CREATE INDEX old_files_size ON old_files(size);
CREATE INDEX file_archive_size ON file_archive(size);
