//! Storage: metadata (`meta`, SQL) and file bytes (`blob`). The database is the source of truth;
//! blobs are immutable, written once, fsynced, then renamed into place before any row refers to them.

pub mod blob;
pub mod meta;
pub mod paths;

pub use blob::BlobStore;
pub use meta::MetaStore;
