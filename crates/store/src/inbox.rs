//! Received faxes.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::Error;
use crate::columns::{self, open_opt, seal_opt};
use crate::util::{debug_redacted, flag, new_id, page};

/// One received fax.
#[derive(Clone, PartialEq, Eq)]
pub struct Received {
    pub id: String,
    pub account_id: String,
    pub from_number: Option<String>,
    pub remote_ident: Option<String>,
    pub pages: i64,
    /// The PDF; `None` once deleted by retention.
    pub blob_id: Option<String>,
    pub received_at: i64,
    pub read_at: Option<i64>,
    pub rate: Option<i64>,
    pub ecm: Option<bool>,
    pub duration_ms: Option<i64>,
}

/// A received fax to store; `received_at` is the `now` given to `create`.
#[derive(Clone, PartialEq, Eq)]
pub struct NewReceived {
    pub account_id: String,
    pub from_number: Option<String>,
    pub remote_ident: Option<String>,
    pub pages: i64,
    pub blob_id: Option<String>,
    pub rate: Option<i64>,
    pub ecm: Option<bool>,
    pub duration_ms: Option<i64>,
}

debug_redacted!(Received {
    id, account_id, pages, blob_id, received_at, read_at, rate, ecm, duration_ms;
    from_number, remote_ident
});
debug_redacted!(NewReceived { account_id, pages, blob_id, rate, ecm, duration_ms; from_number, remote_ident });

fn from_row(row: &AnyRow) -> Result<Received, Error> {
    let ecm: Option<i64> = row.try_get("ecm")?;
    let id: String = row.try_get("id")?;
    Ok(Received {
        from_number: open_opt("received_faxes.from_number", &id, row.try_get("from_number")?)?,
        remote_ident: open_opt("received_faxes.remote_ident", &id, row.try_get("remote_ident")?)?,
        id,
        account_id: row.try_get("account_id")?,
        pages: row.try_get("pages")?,
        blob_id: row.try_get("blob_id")?,
        received_at: row.try_get("received_at")?,
        read_at: row.try_get("read_at")?,
        rate: row.try_get("rate")?,
        ecm: ecm.map(flag),
        duration_ms: row.try_get("duration_ms")?,
    })
}

/// Stores a received fax, unread.
pub async fn create(conn: &mut AnyConnection, new: NewReceived, now: i64) -> Result<Received, Error> {
    let id = new_id("rcv", now);
    let key = columns::current(conn).await?;
    let from_number = seal_opt(&key, "received_faxes.from_number", &id, new.from_number.as_deref())?;
    let remote_ident = seal_opt(&key, "received_faxes.remote_ident", &id, new.remote_ident.as_deref())?;
    let row = sqlx::query(
        "INSERT INTO received_faxes (id, account_id, from_number, remote_ident, pages, blob_id, received_at, rate, \
             ecm, duration_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *",
    )
    .bind(&id)
    .bind(&new.account_id)
    .bind(from_number.as_deref())
    .bind(remote_ident.as_deref())
    .bind(new.pages)
    .bind(new.blob_id.as_deref())
    .bind(now)
    .bind(new.rate)
    .bind(new.ecm.map(i64::from))
    .bind(new.duration_ms)
    .fetch_one(&mut *conn)
    .await?;
    from_row(&row)
}

/// The account's received faxes, newest first, older than `before_id` if given, at
/// most `limit` (clamped to `1..=MAX_PAGE`).
pub async fn list(
    conn: &mut AnyConnection,
    account_id: &str,
    before_id: Option<&str>,
    limit: u32,
) -> Result<Vec<Received>, Error> {
    let rows = sqlx::query(
        "SELECT * FROM received_faxes WHERE account_id = $1 AND ($2 IS NULL OR id < $2) ORDER BY id DESC LIMIT $3",
    )
    .bind(account_id)
    .bind(before_id)
    .bind(page(limit))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(from_row).collect()
}

/// One received fax of the account; another account's is `None`.
pub async fn get(conn: &mut AnyConnection, account_id: &str, id: &str) -> Result<Option<Received>, Error> {
    let row = sqlx::query("SELECT * FROM received_faxes WHERE id = $1 AND account_id = $2")
        .bind(id)
        .bind(account_id)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Marks it read (the first time only); false if it is not the account's.
pub async fn mark_read(
    conn: &mut AnyConnection,
    account_id: &str,
    id: &str,
    now: i64,
) -> Result<bool, Error> {
    let done = sqlx::query(
        "UPDATE received_faxes SET read_at = COALESCE(read_at, $3) WHERE id = $1 AND account_id = $2",
    )
    .bind(id)
    .bind(account_id)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Deletes it and returns it, so that the caller can delete its blob; `None` if it
/// is not the account's.
pub async fn delete(conn: &mut AnyConnection, account_id: &str, id: &str) -> Result<Option<Received>, Error> {
    let row = sqlx::query("DELETE FROM received_faxes WHERE id = $1 AND account_id = $2 RETURNING *")
        .bind(id)
        .bind(account_id)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}
