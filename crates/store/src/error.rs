//! The crate's one error type.

/// What can go wrong in the store.
///
/// Messages name tables, columns and sizes, never the values in them: e-mail
/// addresses, phone and fax numbers stay out of logs.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A unique thing is already taken; the string says which (`"email"`,
    /// `"fax_number_pool_exhausted"`, `"api_key_prefix"`…).
    #[error("conflict: {0}")]
    Conflict(&'static str),
    /// The row the call refers to does not exist.
    #[error("not found")]
    NotFound,
    /// The job's lease belongs to another worker now (it expired and was taken over)
    /// or the job is gone; nothing was changed.
    #[error("job lease lost")]
    LeaseLost,
    /// An argument is outside what the store accepts; the string says which.
    #[error("invalid argument: {0}")]
    Invalid(&'static str),
    /// The database reported an error.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// Bringing the schema up to date failed.
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// Column encryption could not be set up or used (a missing or wrong master key,
    /// no random numbers); the string says which, never a value.
    #[error("column encryption: {0}")]
    Crypto(&'static str),
    /// A stored row does not decode (an unknown status, malformed JSON…).
    #[error("corrupt row: {0}")]
    Corrupt(String),
}

impl Error {
    /// True for errors that a retry of the whole transaction may cure: SQLite busy
    /// or locked, PostgreSQL serialisation failures and deadlocks.
    pub fn is_transient(&self) -> bool {
        let Error::Database(sqlx::Error::Database(db)) = self else { return false };
        match db.code().as_deref() {
            // SQLITE_BUSY and SQLITE_LOCKED, with their extended codes.
            Some(code) if code.parse::<i32>().is_ok_and(|c| matches!(c & 0xff, 5 | 6)) => true,
            Some("40001" | "40P01") => true,
            _ => false,
        }
    }
}

/// True when `err` is a unique violation of the constraint `name` on `table.column`.
///
/// PostgreSQL names the constraint; SQLite only says "UNIQUE constraint failed:
/// table.column", so both are checked.
pub(crate) fn is_unique_violation(err: &sqlx::Error, name: &str, table_column: &str) -> bool {
    let sqlx::Error::Database(db) = err else { return false };
    db.is_unique_violation() && (db.constraint() == Some(name) || db.message().contains(table_column))
}
