//! Abuse reports from people without an account: a number that sent them junk, or
//! a Ferrofax number that was abused. The reporter's contact is optional and is
//! personal data, as are the number and the text; `Debug` hides all three.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::Error;
use crate::util::{debug_redacted, new_id, page};

/// Longest contact (an e-mail address or a phone number) accepted.
pub const MAX_CONTACT_CHARS: usize = 254;
/// Longest free text accepted.
pub const MAX_DETAILS_CHARS: usize = 4000;
/// Longest resolution note accepted.
pub const MAX_RESOLUTION_CHARS: usize = 1000;

/// One report.
#[derive(Clone, PartialEq, Eq)]
pub struct AbuseReport {
    pub id: String,
    pub created_at: i64,
    pub contact: Option<String>,
    /// The number that sent junk, or the Ferrofax number abused (E.164).
    pub number: String,
    pub details: String,
    pub closed_at: Option<i64>,
    pub resolution: Option<String>,
}

/// A report to store.
#[derive(Clone, PartialEq, Eq)]
pub struct NewAbuseReport {
    pub contact: Option<String>,
    pub number: String,
    pub details: String,
}

debug_redacted!(AbuseReport { id, created_at, closed_at; contact, number, details, resolution });
debug_redacted!(NewAbuseReport { ; contact, number, details });

fn from_row(row: &AnyRow) -> Result<AbuseReport, Error> {
    Ok(AbuseReport {
        id: row.try_get("id")?,
        created_at: row.try_get("created_at")?,
        contact: row.try_get("contact")?,
        number: row.try_get("number")?,
        details: row.try_get("details")?,
        closed_at: row.try_get("closed_at")?,
        resolution: row.try_get("resolution")?,
    })
}

/// Stores a report; refuses (`Invalid`) fields over their documented sizes.
pub async fn create(conn: &mut AnyConnection, new: NewAbuseReport, now: i64) -> Result<AbuseReport, Error> {
    if new.contact.as_ref().is_some_and(|c| c.chars().count() > MAX_CONTACT_CHARS) {
        return Err(Error::Invalid("abuse report contact too long"));
    }
    if new.details.chars().count() > MAX_DETAILS_CHARS {
        return Err(Error::Invalid("abuse report text too long"));
    }
    if new.number.is_empty() || new.number.chars().count() > 32 {
        return Err(Error::Invalid("abuse report number must have 1 to 32 characters"));
    }
    let row = sqlx::query(
        "INSERT INTO abuse_reports (id, created_at, contact, number, details) VALUES ($1, $2, $3, $4, $5) \
         RETURNING *",
    )
    .bind(new_id("abr", now))
    .bind(now)
    .bind(new.contact.as_deref())
    .bind(&new.number)
    .bind(&new.details)
    .fetch_one(&mut *conn)
    .await?;
    from_row(&row)
}

/// Reports, newest first: only open ones unless `include_closed`, older than
/// `before_id` if given, at most `limit` (clamped to `1..=MAX_PAGE`).
pub async fn list(
    conn: &mut AnyConnection,
    include_closed: bool,
    before_id: Option<&str>,
    limit: u32,
) -> Result<Vec<AbuseReport>, Error> {
    let rows = sqlx::query(
        "SELECT * FROM abuse_reports WHERE ($1 = 1 OR closed_at IS NULL) AND ($2 IS NULL OR id < $2) \
         ORDER BY id DESC LIMIT $3",
    )
    .bind(i64::from(include_closed))
    .bind(before_id)
    .bind(page(limit))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(from_row).collect()
}

/// One report.
pub async fn get(conn: &mut AnyConnection, id: &str) -> Result<Option<AbuseReport>, Error> {
    let row =
        sqlx::query("SELECT * FROM abuse_reports WHERE id = $1").bind(id).fetch_optional(&mut *conn).await?;
    row.as_ref().map(from_row).transpose()
}

/// Closes an open report with an optional note; false if it is unknown or closed
/// already.
pub async fn close(
    conn: &mut AnyConnection,
    id: &str,
    resolution: Option<&str>,
    now: i64,
) -> Result<bool, Error> {
    if resolution.is_some_and(|r| r.chars().count() > MAX_RESOLUTION_CHARS) {
        return Err(Error::Invalid("resolution note too long"));
    }
    let done = sqlx::query(
        "UPDATE abuse_reports SET closed_at = $2, resolution = $3 WHERE id = $1 AND closed_at IS NULL",
    )
    .bind(id)
    .bind(now)
    .bind(resolution)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}
