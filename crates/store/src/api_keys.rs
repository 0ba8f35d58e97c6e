//! API keys. A key is shown once as `prefix` + secret; the store keeps the prefix
//! (to find the key) and a hash of the secret (to check it).

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::Error;
use crate::error::is_unique_violation;
use crate::util::new_id;

/// One API key, without its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    pub id: String,
    pub account_id: String,
    pub name: String,
    pub prefix: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

fn from_row(row: &AnyRow) -> Result<ApiKey, Error> {
    Ok(ApiKey {
        id: row.try_get("id")?,
        account_id: row.try_get("account_id")?,
        name: row.try_get("name")?,
        prefix: row.try_get("prefix")?,
        created_at: row.try_get("created_at")?,
        last_used_at: row.try_get("last_used_at")?,
        revoked_at: row.try_get("revoked_at")?,
    })
}

/// Stores a new key. A prefix already in use is `Conflict("api_key_prefix")`.
pub async fn create(
    conn: &mut AnyConnection,
    account_id: &str,
    name: &str,
    prefix: &str,
    secret_hash: &[u8],
    now: i64,
) -> Result<ApiKey, Error> {
    let row = sqlx::query(
        "INSERT INTO api_keys (id, account_id, name, prefix, secret_hash, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING *",
    )
    .bind(new_id("key", now))
    .bind(account_id)
    .bind(name)
    .bind(prefix)
    .bind(secret_hash)
    .bind(now)
    .fetch_one(&mut *conn)
    .await
    .map_err(|err| {
        if is_unique_violation(&err, "api_keys_prefix_key", "api_keys.prefix") {
            Error::Conflict("api_key_prefix")
        } else {
            err.into()
        }
    })?;
    from_row(&row)
}

/// The account's keys, revoked ones included, oldest first.
pub async fn list(conn: &mut AnyConnection, account_id: &str) -> Result<Vec<ApiKey>, Error> {
    let rows = sqlx::query("SELECT * FROM api_keys WHERE account_id = $1 ORDER BY id")
        .bind(account_id)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(from_row).collect()
}

/// Revokes key `id` of `account_id`; false if it is another account's, unknown or
/// already revoked.
pub async fn revoke(conn: &mut AnyConnection, account_id: &str, id: &str, now: i64) -> Result<bool, Error> {
    let done = sqlx::query(
        "UPDATE api_keys SET revoked_at = $3 WHERE id = $1 AND account_id = $2 AND revoked_at IS NULL",
    )
    .bind(id)
    .bind(account_id)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// The unrevoked key with this prefix, with its secret hash for the caller to
/// compare in constant time.
pub async fn find_active(conn: &mut AnyConnection, prefix: &str) -> Result<Option<(ApiKey, Vec<u8>)>, Error> {
    let row = sqlx::query("SELECT * FROM api_keys WHERE prefix = $1 AND revoked_at IS NULL")
        .bind(prefix)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(row) = row else { return Ok(None) };
    Ok(Some((from_row(&row)?, row.try_get("secret_hash")?)))
}

/// Records that key `id` was used at `now`.
pub async fn touch(conn: &mut AnyConnection, id: &str, now: i64) -> Result<(), Error> {
    sqlx::query("UPDATE api_keys SET last_used_at = $2 WHERE id = $1")
        .bind(id)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
