//! Idempotency keys for the fax API: a client that repeats a request with the same
//! key gets the first request's fax instead of a second fax.
//!
//! Use inside the transaction that creates the fax: `reserve` first, then
//! `faxes::create`, then `complete`, then commit. A concurrent request with the same
//! key waits on the first one's row (PostgreSQL) or on the write lock (SQLite) and
//! then sees the completed reservation; a rolled-back request leaves no key behind.

use sqlx::AnyConnection;

use crate::Error;

/// What `reserve` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reservation {
    /// The key was free and is now this request's.
    New,
    /// The key was used before: by the request with this hash, which created this
    /// fax (`None` if it has not completed). A different hash means the client
    /// reused the key for another request.
    Existing { fax_id: Option<String>, request_hash: Vec<u8> },
}

/// Reserves `key` for `account_id`, or reports who has it.
pub async fn reserve(
    conn: &mut AnyConnection,
    account_id: &str,
    key: &str,
    request_hash: &[u8],
    now: i64,
) -> Result<Reservation, Error> {
    let inserted = sqlx::query(
        "INSERT INTO idempotency_keys (account_id, key, request_hash, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (account_id, key) DO NOTHING",
    )
    .bind(account_id)
    .bind(key)
    .bind(request_hash)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    if inserted.rows_affected() > 0 {
        return Ok(Reservation::New);
    }
    let existing: Option<(Option<String>, Vec<u8>)> = sqlx::query_as(
        "SELECT fax_id, request_hash FROM idempotency_keys WHERE account_id = $1 AND key = $2",
    )
    .bind(account_id)
    .bind(key)
    .fetch_optional(&mut *conn)
    .await?;
    match existing {
        Some((fax_id, request_hash)) => Ok(Reservation::Existing { fax_id, request_hash }),
        // Purged between the two statements; the caller may simply try again.
        None => Err(Error::Conflict("idempotency_key")),
    }
}

/// Records the fax that the reserved request created.
pub async fn complete(
    conn: &mut AnyConnection,
    account_id: &str,
    key: &str,
    fax_id: &str,
) -> Result<(), Error> {
    let done = sqlx::query("UPDATE idempotency_keys SET fax_id = $3 WHERE account_id = $1 AND key = $2")
        .bind(account_id)
        .bind(key)
        .bind(fax_id)
        .execute(&mut *conn)
        .await?;
    if done.rows_affected() == 0 { Err(Error::NotFound) } else { Ok(()) }
}

/// Forgets keys reserved before `before`; returns how many.
pub async fn purge_before(conn: &mut AnyConnection, before: i64) -> Result<u64, Error> {
    let done = sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
        .bind(before)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected())
}
