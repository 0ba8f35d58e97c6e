//! Failed-login bookkeeping for throttling. A key is whatever the caller throttles
//! on (an account, an address block); callers should pass a hash of personal data
//! rather than the data itself.

use sqlx::AnyConnection;

use crate::Error;
use crate::util::count;

/// Records one failure for `key` at `now`.
pub async fn record_failure(conn: &mut AnyConnection, key: &str, now: i64) -> Result<(), Error> {
    sqlx::query("INSERT INTO login_failures (key, at) VALUES ($1, $2)")
        .bind(key)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// How many failures `key` has had at or after `since`.
pub async fn failures_since(conn: &mut AnyConnection, key: &str, since: i64) -> Result<u64, Error> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM login_failures WHERE key = $1 AND at >= $2")
        .bind(key)
        .bind(since)
        .fetch_one(&mut *conn)
        .await?;
    Ok(count(n))
}

/// Forgets every failure of `key` (after a successful login).
pub async fn clear(conn: &mut AnyConnection, key: &str) -> Result<(), Error> {
    sqlx::query("DELETE FROM login_failures WHERE key = $1").bind(key).execute(&mut *conn).await?;
    Ok(())
}

/// Deletes failures recorded before `before`; returns how many.
pub async fn purge_before(conn: &mut AnyConnection, before: i64) -> Result<u64, Error> {
    let done =
        sqlx::query("DELETE FROM login_failures WHERE at < $1").bind(before).execute(&mut *conn).await?;
    Ok(done.rows_affected())
}
