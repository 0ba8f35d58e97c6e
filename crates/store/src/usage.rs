//! What an account has sent lately, for the per-account limits: faxes accepted in
//! a sliding window (the send rate) and pages charged per UTC day (the page quota).
//!
//! A day is the number of whole UTC days since 1970-01-01 ([`utc_day`]). A charge
//! is pages × recipients of one fax, booked when the fax is queued for dialling.

use sqlx::AnyConnection;

use crate::util::count;
use crate::{Backend, Error};

/// Milliseconds in a day.
pub const DAY_MS: i64 = 86_400_000;

/// The UTC day of `now` (Unix milliseconds), counting from 1970-01-01 as day 0.
pub fn utc_day(now: i64) -> i64 {
    now.div_euclid(DAY_MS)
}

/// Serialises sends of one account for the rest of the transaction, so that two
/// concurrent requests cannot both pass a limit that only one of them fits.
///
/// On PostgreSQL this locks the account's row (`FOR UPDATE`); SQLite transactions
/// from `Store::begin` hold the database's write lock already.
pub async fn lock_account(conn: &mut AnyConnection, account_id: &str) -> Result<(), Error> {
    if Backend::of(conn) == Backend::Postgres {
        sqlx::query("SELECT id FROM accounts WHERE id = $1 FOR UPDATE")
            .bind(account_id)
            .fetch_optional(&mut *conn)
            .await?;
    }
    Ok(())
}

/// How many faxes the account created at or after `since`, and the time of the
/// earliest of them (when the window frees up again).
pub async fn faxes_since(
    conn: &mut AnyConnection,
    account_id: &str,
    since: i64,
) -> Result<(u64, Option<i64>), Error> {
    let (n, first): (i64, Option<i64>) = sqlx::query_as(
        "SELECT COUNT(*), MIN(created_at) FROM faxes WHERE account_id = $1 AND created_at >= $2",
    )
    .bind(account_id)
    .bind(since)
    .fetch_one(&mut *conn)
    .await?;
    Ok((count(n), first))
}

/// Pages charged to the account on `day`.
pub async fn pages_used(conn: &mut AnyConnection, account_id: &str, day: i64) -> Result<u64, Error> {
    let pages: Option<i64> =
        sqlx::query_scalar("SELECT pages FROM page_usage WHERE account_id = $1 AND day = $2")
            .bind(account_id)
            .bind(day)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(count(pages.unwrap_or(0)))
}

/// Charges `pages` to the account's `day` if the total stays within `quota`, and
/// returns the new total; `None` (and nothing charged) if it would not.
///
/// One statement decides and books, so concurrent charges cannot both slip under
/// the quota: the conditional upsert re-checks against the row as locked.
pub async fn charge_pages(
    conn: &mut AnyConnection,
    account_id: &str,
    day: i64,
    pages: u64,
    quota: u64,
) -> Result<Option<u64>, Error> {
    if pages > quota {
        return Ok(None);
    }
    let pages = i64::try_from(pages).map_err(|_| Error::Invalid("page count out of range"))?;
    let quota = i64::try_from(quota).unwrap_or(i64::MAX);
    let total: Option<i64> = sqlx::query_scalar(
        "INSERT INTO page_usage (account_id, day, pages) VALUES ($1, $2, $3) \
         ON CONFLICT (account_id, day) DO UPDATE SET pages = page_usage.pages + excluded.pages \
         WHERE page_usage.pages + excluded.pages <= $4 RETURNING pages",
    )
    .bind(account_id)
    .bind(day)
    .bind(pages)
    .bind(quota)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(total.map(count))
}

/// Deletes usage of days before `day`; returns how many rows.
pub async fn purge_before(conn: &mut AnyConnection, day: i64) -> Result<u64, Error> {
    let done = sqlx::query("DELETE FROM page_usage WHERE day < $1").bind(day).execute(&mut *conn).await?;
    Ok(done.rows_affected())
}
