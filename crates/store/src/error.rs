//! One error type for every storage operation. Conflicts that callers must act on (a lost
//! compare-and-set, a taken name) are not errors: they are outcomes in the methods' return types.

/// A storage failure: the database or the blob store could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed (connection, query, constraint other than the expected ones).
    #[error("database: {0}")]
    Database(String),
    /// The blob store or the local disk failed (including "disk full").
    #[error("storage: {0}")]
    Io(#[from] std::io::Error),
    /// A row could not be decoded (a bug or a damaged database).
    #[error("corrupt row: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// True when the failure is the disk being full (the operator must act; clients may retry).
    pub fn is_disk_full(&self) -> bool {
        match self {
            StoreError::Io(e) => e.raw_os_error() == Some(28),
            StoreError::Database(m) => m.contains("database or disk is full") || m.contains("No space left"),
            StoreError::Corrupt(_) => false,
        }
    }
}

#[cfg(any(feature = "sqlite", feature = "postgres"))]
impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> StoreError {
        match e {
            sqlx::Error::Io(io) => StoreError::Io(io),
            sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) | sqlx::Error::ColumnNotFound(_) => {
                StoreError::Corrupt(e.to_string())
            }
            other => StoreError::Database(other.to_string()),
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;
