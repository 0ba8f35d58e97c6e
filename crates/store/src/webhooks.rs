//! The webhook delivery log: what was sent where, and how each attempt went.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::Error;
use crate::columns::{self, open, seal};
use crate::util::{debug_redacted, new_id, page};

/// One event to deliver to one URL, with its attempts so far.
#[derive(Clone, PartialEq, Eq)]
pub struct Delivery {
    pub id: String,
    pub account_id: String,
    pub url: String,
    pub event_type: String,
    /// The JSON body as sent.
    pub payload: String,
    pub created_at: i64,
    pub attempts: i64,
    /// HTTP status of the last attempt, if one came back.
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub delivered_at: Option<i64>,
    pub next_attempt_at: Option<i64>,
    pub gave_up_at: Option<i64>,
}

debug_redacted!(Delivery {
    id, account_id, event_type, created_at, attempts, last_status, delivered_at, next_attempt_at, gave_up_at;
    url, payload, last_error
});

fn from_row(row: &AnyRow) -> Result<Delivery, Error> {
    let id: String = row.try_get("id")?;
    Ok(Delivery {
        payload: open("webhook_deliveries.payload", &id, &row.try_get::<String, _>("payload")?)?,
        id,
        account_id: row.try_get("account_id")?,
        url: row.try_get("url")?,
        event_type: row.try_get("event_type")?,
        created_at: row.try_get("created_at")?,
        attempts: row.try_get("attempts")?,
        last_status: row.try_get("last_status")?,
        last_error: row.try_get("last_error")?,
        delivered_at: row.try_get("delivered_at")?,
        next_attempt_at: row.try_get("next_attempt_at")?,
        gave_up_at: row.try_get("gave_up_at")?,
    })
}

/// Logs a new delivery, due at once (`next_attempt_at = now`).
pub async fn create(
    conn: &mut AnyConnection,
    account_id: &str,
    url: &str,
    event_type: &str,
    payload: &str,
    now: i64,
) -> Result<Delivery, Error> {
    let id = new_id("whd", now);
    let payload = seal(&*columns::current(conn).await?, "webhook_deliveries.payload", &id, payload)?;
    let row = sqlx::query(
        "INSERT INTO webhook_deliveries (id, account_id, url, event_type, payload, created_at, attempts, \
             next_attempt_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 0, $6) RETURNING *",
    )
    .bind(&id)
    .bind(account_id)
    .bind(url)
    .bind(event_type)
    .bind(payload)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    from_row(&row)
}

/// One delivery.
pub async fn get(conn: &mut AnyConnection, id: &str) -> Result<Option<Delivery>, Error> {
    let row = sqlx::query("SELECT * FROM webhook_deliveries WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Records one attempt: its HTTP status or error, whether it succeeded, when to try
/// next, or that the sender gave up.
#[allow(clippy::too_many_arguments)]
pub async fn record_attempt(
    conn: &mut AnyConnection,
    id: &str,
    status: Option<i64>,
    error: Option<String>,
    delivered: bool,
    next_attempt_at: Option<i64>,
    gave_up: bool,
    now: i64,
) -> Result<(), Error> {
    let done = sqlx::query(
        "UPDATE webhook_deliveries SET attempts = attempts + 1, last_status = $2, last_error = $3, \
             delivered_at = $4, next_attempt_at = $5, gave_up_at = $6 \
         WHERE id = $1",
    )
    .bind(id)
    .bind(status)
    .bind(error)
    .bind(delivered.then_some(now))
    .bind(if delivered || gave_up { None } else { next_attempt_at })
    .bind(gave_up.then_some(now))
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 { Err(Error::NotFound) } else { Ok(()) }
}

/// The account's deliveries, newest first, at most `limit` (clamped to
/// `1..=MAX_PAGE`).
pub async fn list(conn: &mut AnyConnection, account_id: &str, limit: u32) -> Result<Vec<Delivery>, Error> {
    let rows =
        sqlx::query("SELECT * FROM webhook_deliveries WHERE account_id = $1 ORDER BY id DESC LIMIT $2")
            .bind(account_id)
            .bind(page(limit))
            .fetch_all(&mut *conn)
            .await?;
    rows.iter().map(from_row).collect()
}
