//! Web sessions. Only the SHA-256 of the cookie value is stored, so a copy of the
//! database does not let anyone log in.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::Error;
use crate::util::{flag, int};

/// One logged-in browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id_hash: Vec<u8>,
    pub account_id: String,
    pub created_at: i64,
    pub expires_at: i64,
    /// "Remember me": the cookie outlives the browser session.
    pub persistent: bool,
    pub last_seen_at: i64,
}

fn from_row(row: &AnyRow) -> Result<Session, Error> {
    Ok(Session {
        id_hash: row.try_get("id_hash")?,
        account_id: row.try_get("account_id")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        persistent: flag(row.try_get("persistent")?),
        last_seen_at: row.try_get("last_seen_at")?,
    })
}

/// Stores a new session.
pub async fn create(
    conn: &mut AnyConnection,
    id_hash: &[u8],
    account_id: &str,
    expires_at: i64,
    persistent: bool,
    now: i64,
) -> Result<Session, Error> {
    let row = sqlx::query(
        "INSERT INTO sessions (id_hash, account_id, created_at, expires_at, persistent, last_seen_at) \
         VALUES ($1, $2, $3, $4, $5, $3) RETURNING *",
    )
    .bind(id_hash)
    .bind(account_id)
    .bind(now)
    .bind(expires_at)
    .bind(int(persistent))
    .fetch_one(&mut *conn)
    .await?;
    from_row(&row)
}

/// The session, unless it is unknown or expired (`expires_at <= now`).
pub async fn get(conn: &mut AnyConnection, id_hash: &[u8], now: i64) -> Result<Option<Session>, Error> {
    let row = sqlx::query("SELECT * FROM sessions WHERE id_hash = $1 AND expires_at > $2")
        .bind(id_hash)
        .bind(now)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Records activity on the session at `now`.
pub async fn touch(conn: &mut AnyConnection, id_hash: &[u8], now: i64) -> Result<(), Error> {
    sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE id_hash = $1")
        .bind(id_hash)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Ends one session (log out).
pub async fn delete(conn: &mut AnyConnection, id_hash: &[u8]) -> Result<(), Error> {
    sqlx::query("DELETE FROM sessions WHERE id_hash = $1").bind(id_hash).execute(&mut *conn).await?;
    Ok(())
}

/// Ends every session of an account (password change, "log out everywhere");
/// returns how many there were.
pub async fn delete_for_account(conn: &mut AnyConnection, account_id: &str) -> Result<u64, Error> {
    let done = sqlx::query("DELETE FROM sessions WHERE account_id = $1")
        .bind(account_id)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected())
}

/// Deletes sessions that expired at or before `now`; returns how many.
pub async fn purge_expired(conn: &mut AnyConnection, now: i64) -> Result<u64, Error> {
    let done =
        sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(now).execute(&mut *conn).await?;
    Ok(done.rows_affected())
}
