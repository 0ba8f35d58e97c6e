//! Single-use tokens mailed to people: e-mail verification and password reset.
//!
//! Only a hash of each token is stored, so a copy of the database cannot be used to
//! verify an address or reset a password.

use sqlx::AnyConnection;

use crate::Error;

/// Stores a token hash for `account_id`, valid for `purpose` until `expires_at`.
pub async fn create(
    conn: &mut AnyConnection,
    account_id: &str,
    purpose: &str,
    token_hash: &[u8],
    expires_at: i64,
    now: i64,
) -> Result<(), Error> {
    sqlx::query(
        "INSERT INTO tokens (purpose, token_hash, account_id, expires_at, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(purpose)
    .bind(token_hash)
    .bind(account_id)
    .bind(expires_at)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Uses a token up: returns its account if the token exists for `purpose` and has
/// not expired (`now < expires_at`). The token is deleted either way, so it works
/// once; expired tokens are deleted too.
pub async fn consume(
    conn: &mut AnyConnection,
    purpose: &str,
    token_hash: &[u8],
    now: i64,
) -> Result<Option<String>, Error> {
    // DELETE … RETURNING decides atomically which one of two concurrent uses wins.
    let row: Option<(String, i64)> = sqlx::query_as(
        "DELETE FROM tokens WHERE purpose = $1 AND token_hash = $2 RETURNING account_id, expires_at",
    )
    .bind(purpose)
    .bind(token_hash)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.filter(|(_, expires_at)| now < *expires_at).map(|(account, _)| account))
}

/// Deletes tokens that expired at or before `now`; returns how many.
pub async fn purge_expired(conn: &mut AnyConnection, now: i64) -> Result<u64, Error> {
    let done = sqlx::query("DELETE FROM tokens WHERE expires_at <= $1").bind(now).execute(&mut *conn).await?;
    Ok(done.rows_affected())
}
