//! The access log kept for security and abuse handling, with a retention limit
//! enforced by `purge_before`.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::Error;
use crate::util::{self, debug_redacted, page};

/// One request.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessEntry {
    pub at: i64,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// A hash of the session, never the cookie itself.
    pub session_hash: Option<String>,
    pub account_id: Option<String>,
    pub method: String,
    pub path: String,
    pub status: i64,
}

debug_redacted!(AccessEntry { at, session_hash, account_id, method, path, status; ip, user_agent });

fn from_row(row: &AnyRow) -> Result<AccessEntry, Error> {
    Ok(AccessEntry {
        at: row.try_get("at")?,
        ip: row.try_get("ip")?,
        user_agent: row.try_get("user_agent")?,
        session_hash: row.try_get("session_hash")?,
        account_id: row.try_get("account_id")?,
        method: row.try_get("method")?,
        path: row.try_get("path")?,
        status: row.try_get("status")?,
    })
}

/// Appends one entry.
pub async fn append(conn: &mut AnyConnection, entry: &AccessEntry) -> Result<(), Error> {
    sqlx::query(
        "INSERT INTO access_log (at, ip, user_agent, session_hash, account_id, method, path, status) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(entry.at)
    .bind(entry.ip.as_deref())
    .bind(entry.user_agent.as_deref())
    .bind(entry.session_hash.as_deref())
    .bind(entry.account_id.as_deref())
    .bind(&entry.method)
    .bind(&entry.path)
    .bind(entry.status)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Deletes entries from before `before` (`at < before`); returns how many.
pub async fn purge_before(conn: &mut AnyConnection, before: i64) -> Result<u64, Error> {
    let done = sqlx::query("DELETE FROM access_log WHERE at < $1").bind(before).execute(&mut *conn).await?;
    Ok(done.rows_affected())
}

/// How many entries there are.
pub async fn count(conn: &mut AnyConnection) -> Result<u64, Error> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM access_log").fetch_one(&mut *conn).await?;
    Ok(util::count(n))
}

/// The account's entries, newest first, at most `limit` (clamped to `1..=MAX_PAGE`),
/// for the account's data export.
pub async fn for_account(
    conn: &mut AnyConnection,
    account_id: &str,
    limit: u32,
) -> Result<Vec<AccessEntry>, Error> {
    let rows =
        sqlx::query("SELECT * FROM access_log WHERE account_id = $1 ORDER BY at DESC, id DESC LIMIT $2")
            .bind(account_id)
            .bind(page(limit))
            .fetch_all(&mut *conn)
            .await?;
    rows.iter().map(from_row).collect()
}

/// The newest entries of all callers, newest first, at most `limit` (clamped to
/// `1..=MAX_PAGE`): what an operator reviewing abuse sees.
pub async fn recent(conn: &mut AnyConnection, limit: u32) -> Result<Vec<AccessEntry>, Error> {
    let rows = sqlx::query("SELECT * FROM access_log ORDER BY at DESC, id DESC LIMIT $1")
        .bind(page(limit))
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(from_row).collect()
}
