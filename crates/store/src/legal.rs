//! Legal holds: while an account is held, none of its data is deleted — not by the
//! janitor's retention rules, not by the user's own deletion request.
//!
//! A hold covers all of one account's data (profile, sent and received faxes and
//! their files). Every deleting path asks [`is_held`] (or filters by [`held_accounts`])
//! first; the privacy center shows the user that data is kept and why, unless the
//! request that caused the hold forbids telling them.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::Error;
use crate::util::{new_id, page};

/// Longest accepted reason, in bytes.
pub const MAX_REASON_BYTES: usize = 2000;

/// A hold as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hold {
    pub id: String,
    pub account_id: String,
    /// The legal request that caused it, if one did.
    pub request_id: Option<String>,
    pub reason: String,
    pub placed_at: i64,
    /// The staff account that placed it.
    pub placed_by: String,
    pub released_at: Option<i64>,
    pub released_by: Option<String>,
}

fn from_row(row: &AnyRow) -> Result<Hold, Error> {
    Ok(Hold {
        id: row.try_get("id")?,
        account_id: row.try_get("account_id")?,
        request_id: row.try_get("request_id")?,
        reason: row.try_get("reason")?,
        placed_at: row.try_get("placed_at")?,
        placed_by: row.try_get("placed_by")?,
        released_at: row.try_get("released_at")?,
        released_by: row.try_get("released_by")?,
    })
}

/// Places a hold on `account_id` at `now`.
pub async fn place(
    conn: &mut AnyConnection,
    account_id: &str,
    request_id: Option<&str>,
    reason: &str,
    placed_by: &str,
    now: i64,
) -> Result<Hold, Error> {
    if reason.len() > MAX_REASON_BYTES {
        return Err(Error::Invalid("hold reason too long"));
    }
    let id = new_id("hold", now);
    sqlx::query(
        "INSERT INTO legal_holds (id, account_id, request_id, reason, placed_at, placed_by) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&id)
    .bind(account_id)
    .bind(request_id)
    .bind(reason)
    .bind(now)
    .bind(placed_by)
    .execute(&mut *conn)
    .await?;
    Ok(Hold {
        id,
        account_id: account_id.to_owned(),
        request_id: request_id.map(str::to_owned),
        reason: reason.to_owned(),
        placed_at: now,
        placed_by: placed_by.to_owned(),
        released_at: None,
        released_by: None,
    })
}

/// Releases hold `id`; [`Error::NotFound`] if there is no such hold still active.
pub async fn release(conn: &mut AnyConnection, id: &str, released_by: &str, now: i64) -> Result<(), Error> {
    let done = sqlx::query(
        "UPDATE legal_holds SET released_at = $1, released_by = $2 WHERE id = $3 AND released_at IS NULL",
    )
    .bind(now)
    .bind(released_by)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 { Err(Error::NotFound) } else { Ok(()) }
}

/// True while at least one hold on `account_id` is active.
pub async fn is_held(conn: &mut AnyConnection, account_id: &str) -> Result<bool, Error> {
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM legal_holds WHERE account_id = $1 AND released_at IS NULL")
            .bind(account_id)
            .fetch_one(&mut *conn)
            .await?;
    Ok(n > 0)
}

/// The holds on `account_id`, active and released, newest first.
pub async fn for_account(conn: &mut AnyConnection, account_id: &str) -> Result<Vec<Hold>, Error> {
    let rows =
        sqlx::query("SELECT * FROM legal_holds WHERE account_id = $1 ORDER BY placed_at DESC, id DESC")
            .bind(account_id)
            .fetch_all(&mut *conn)
            .await?;
    rows.iter().map(from_row).collect()
}

/// Every account under an active hold, for batch deletions that filter them out.
///
/// Holds are few (one per legal request), so the whole set is returned at once. If
/// there are more than `limit`, the call fails rather than return a short list a
/// caller could take for complete and delete held data by.
pub async fn held_accounts(conn: &mut AnyConnection, limit: u32) -> Result<Vec<String>, Error> {
    let rows = sqlx::query(
        "SELECT DISTINCT account_id FROM legal_holds WHERE released_at IS NULL ORDER BY account_id LIMIT $1",
    )
    .bind(i64::from(limit) + 1)
    .fetch_all(&mut *conn)
    .await?;
    if rows.len() > limit as usize {
        return Err(Error::Invalid("more accounts under legal hold than the caller can take"));
    }
    rows.iter().map(|row| Ok(row.try_get::<String, _>("account_id")?)).collect()
}

/// The active holds of every account, newest first, at most `limit` (clamped to
/// `1..=MAX_PAGE`), for staff.
pub async fn active(conn: &mut AnyConnection, limit: u32) -> Result<Vec<Hold>, Error> {
    let rows = sqlx::query(
        "SELECT * FROM legal_holds WHERE released_at IS NULL ORDER BY placed_at DESC, id DESC LIMIT $1",
    )
    .bind(page(limit))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(from_row).collect()
}
