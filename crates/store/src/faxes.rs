//! Outbound faxes: the request, its documents, and one delivery per recipient.

use std::fmt;

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::columns::{self, open, open_opt, seal, seal_opt};
use crate::util::{debug_redacted, flag, new_id, page};
use crate::{Error, MAX_PAGE, jobs};

/// The most recipients one fax may have; each is a separate call.
pub const MAX_RECIPIENTS: usize = 100;
/// The most documents one fax may have.
pub const MAX_DOCUMENTS: usize = 50;
/// The most tags one fax may carry.
pub const MAX_TAGS: usize = 20;

/// Where one recipient's delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecipientStatus {
    Queued,
    Rendering,
    Dialing,
    Sending,
    RetryScheduled,
    Delivered,
    PartiallyDelivered,
    Failed,
    Canceled,
}

impl RecipientStatus {
    /// Every status, in the order of a delivery's life.
    pub const ALL: [RecipientStatus; 9] = [
        RecipientStatus::Queued,
        RecipientStatus::Rendering,
        RecipientStatus::Dialing,
        RecipientStatus::Sending,
        RecipientStatus::RetryScheduled,
        RecipientStatus::Delivered,
        RecipientStatus::PartiallyDelivered,
        RecipientStatus::Failed,
        RecipientStatus::Canceled,
    ];

    /// The stored and API spelling (snake_case).
    pub fn as_str(self) -> &'static str {
        match self {
            RecipientStatus::Queued => "queued",
            RecipientStatus::Rendering => "rendering",
            RecipientStatus::Dialing => "dialing",
            RecipientStatus::Sending => "sending",
            RecipientStatus::RetryScheduled => "retry_scheduled",
            RecipientStatus::Delivered => "delivered",
            RecipientStatus::PartiallyDelivered => "partially_delivered",
            RecipientStatus::Failed => "failed",
            RecipientStatus::Canceled => "canceled",
        }
    }

    /// The status spelt `s`, if any.
    pub fn parse(s: &str) -> Option<RecipientStatus> {
        RecipientStatus::ALL.into_iter().find(|status| status.as_str() == s)
    }

    /// True once nothing more will happen to the delivery.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            RecipientStatus::Delivered
                | RecipientStatus::PartiallyDelivered
                | RecipientStatus::Failed
                | RecipientStatus::Canceled
        )
    }
}

impl fmt::Display for RecipientStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The SQL list of final statuses, kept next to `is_final` so the two agree (a
/// unit test checks it).
const FINAL_SQL: &str = "('delivered', 'partially_delivered', 'failed', 'canceled')";

/// One outbound fax with its recipients.
#[derive(Clone, PartialEq, Eq)]
pub struct Fax {
    pub id: String,
    pub account_id: String,
    pub created_at: i64,
    /// Header text, resolution, cover fields…: the server's business, opaque here.
    pub options_json: String,
    pub client_reference: Option<String>,
    pub tags: Vec<String>,
    pub callback_url: Option<String>,
    pub page_count: Option<i64>,
    pub rendered_blob: Option<String>,
    /// `(code, message)` when rendering failed.
    pub render_error: Option<(String, String)>,
    pub recipients: Vec<Recipient>,
}

/// One recipient of a fax and the state of its delivery.
#[derive(Clone, PartialEq, Eq)]
pub struct Recipient {
    pub id: String,
    pub fax_id: String,
    pub number: String,
    pub status: RecipientStatus,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub pages_sent: i64,
    pub rate: Option<i64>,
    pub ecm: Option<bool>,
    pub remote_ident: Option<String>,
    pub duration_ms: Option<i64>,
    pub attempts: i64,
    pub next_attempt_at: Option<i64>,
    pub deadline_at: i64,
    pub updated_at: i64,
    pub completed_at: Option<i64>,
}

/// One uploaded document of a fax.
#[derive(Clone, PartialEq, Eq)]
pub struct Document {
    pub id: String,
    pub fax_id: String,
    pub blob_id: String,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    /// When the janitor removed the blob; the row stays for the record.
    pub deleted_at: Option<i64>,
}

/// A document to attach to a new fax.
#[derive(Clone, PartialEq, Eq)]
pub struct NewDocument {
    pub blob_id: String,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
}

/// A fax to create. Every recipient starts `Queued`.
#[derive(Clone, PartialEq, Eq)]
pub struct NewFax {
    pub account_id: String,
    pub options_json: String,
    pub client_reference: Option<String>,
    pub tags: Vec<String>,
    pub callback_url: Option<String>,
    pub documents: Vec<NewDocument>,
    pub recipients: Vec<String>,
    pub deadline_at: i64,
}

/// Which faxes `list` returns. Every field narrows the result; `None` does not.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct FaxFilter {
    /// Faxes with at least one recipient in this status.
    pub status: Option<RecipientStatus>,
    /// Faxes with a recipient at this number.
    pub number: Option<String>,
    /// Faxes carrying this tag.
    pub tag: Option<String>,
    /// Created at or after.
    pub since: Option<i64>,
    /// Created before.
    pub until: Option<i64>,
    /// Only faxes older than this one (the id of the last fax of the previous page).
    pub before_id: Option<String>,
    /// Page size, clamped to `1..=MAX_PAGE`.
    pub limit: u32,
}

/// A delivery's new state, as a worker reports it.
#[derive(Clone, PartialEq, Eq)]
pub struct RecipientUpdate {
    pub status: RecipientStatus,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub pages_sent: i64,
    pub rate: Option<i64>,
    pub ecm: Option<bool>,
    pub remote_ident: Option<String>,
    pub duration_ms: Option<i64>,
    pub attempts: i64,
    pub next_attempt_at: Option<i64>,
}

impl RecipientUpdate {
    /// The recipient's current state as an update, to change a few fields of.
    pub fn from_current(r: &Recipient) -> RecipientUpdate {
        RecipientUpdate {
            status: r.status,
            error_code: r.error_code.clone(),
            error_message: r.error_message.clone(),
            pages_sent: r.pages_sent,
            rate: r.rate,
            ecm: r.ecm,
            remote_ident: r.remote_ident.clone(),
            duration_ms: r.duration_ms,
            attempts: r.attempts,
            next_attempt_at: r.next_attempt_at,
        }
    }
}

debug_redacted!(Fax {
    id, account_id, created_at, page_count, rendered_blob, recipients;
    options_json, client_reference, tags, callback_url, render_error
});
debug_redacted!(Recipient {
    id, fax_id, status, error_code, pages_sent, rate, ecm, duration_ms, attempts, next_attempt_at, deadline_at,
    updated_at, completed_at;
    number, error_message, remote_ident
});
debug_redacted!(Document { id, fax_id, blob_id, content_type, size, deleted_at; filename });
debug_redacted!(NewDocument { blob_id, content_type, size; filename });
debug_redacted!(NewFax {
    account_id, documents, deadline_at;
    options_json, client_reference, tags, callback_url, recipients
});
debug_redacted!(FaxFilter { status, since, until, before_id, limit; number, tag });
debug_redacted!(RecipientUpdate {
    status, error_code, pages_sent, rate, ecm, duration_ms, attempts, next_attempt_at;
    error_message, remote_ident
});

fn status_from(text: &str) -> Result<RecipientStatus, Error> {
    RecipientStatus::parse(text).ok_or_else(|| Error::Corrupt(format!("unknown recipient status {text:?}")))
}

fn recipient_from_row(row: &AnyRow) -> Result<Recipient, Error> {
    let status: String = row.try_get("status")?;
    let ecm: Option<i64> = row.try_get("ecm")?;
    let id: String = row.try_get("id")?;
    Ok(Recipient {
        number: open("fax_recipients.number", &id, &row.try_get::<String, _>("number")?)?,
        remote_ident: open_opt("fax_recipients.remote_ident", &id, row.try_get("remote_ident")?)?,
        id,
        fax_id: row.try_get("fax_id")?,
        status: status_from(&status)?,
        error_code: row.try_get("error_code")?,
        error_message: row.try_get("error_message")?,
        pages_sent: row.try_get("pages_sent")?,
        rate: row.try_get("rate")?,
        ecm: ecm.map(flag),
        duration_ms: row.try_get("duration_ms")?,
        attempts: row.try_get("attempts")?,
        next_attempt_at: row.try_get("next_attempt_at")?,
        deadline_at: row.try_get("deadline_at")?,
        updated_at: row.try_get("updated_at")?,
        completed_at: row.try_get("completed_at")?,
    })
}

fn document_from_row(row: &AnyRow) -> Result<Document, Error> {
    Ok(Document {
        id: row.try_get("id")?,
        fax_id: row.try_get("fax_id")?,
        blob_id: row.try_get("blob_id")?,
        filename: row.try_get("filename")?,
        content_type: row.try_get("content_type")?,
        size: row.try_get("size")?,
        deleted_at: row.try_get("deleted_at")?,
    })
}

/// A fax row without its recipients (filled in by the caller).
fn fax_from_row(row: &AnyRow) -> Result<Fax, Error> {
    let tags_json: String = row.try_get("tags_json")?;
    // The parser's message may quote the tags, so only its position is reported.
    let tags: Vec<String> = serde_json::from_str(&tags_json).map_err(|e| {
        Error::Corrupt(format!(
            "fax tags are not a JSON list of strings (line {}, column {})",
            e.line(),
            e.column()
        ))
    })?;
    let code: Option<String> = row.try_get("render_error_code")?;
    let message: Option<String> = row.try_get("render_error_message")?;
    let id: String = row.try_get("id")?;
    Ok(Fax {
        options_json: open("faxes.options_json", &id, &row.try_get::<String, _>("options_json")?)?,
        id,
        account_id: row.try_get("account_id")?,
        created_at: row.try_get("created_at")?,
        client_reference: row.try_get("client_reference")?,
        tags,
        callback_url: row.try_get("callback_url")?,
        page_count: row.try_get("page_count")?,
        rendered_blob: row.try_get("rendered_blob")?,
        render_error: code.map(|code| (code, message.unwrap_or_default())),
        recipients: Vec::new(),
    })
}

async fn recipients_of(conn: &mut AnyConnection, fax_id: &str) -> Result<Vec<Recipient>, Error> {
    let rows = sqlx::query("SELECT * FROM fax_recipients WHERE fax_id = $1 ORDER BY position")
        .bind(fax_id)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(recipient_from_row).collect()
}

/// Creates a fax, its documents and its recipients (all `Queued`).
///
/// Limits: 1 to [`MAX_RECIPIENTS`] recipients, at most [`MAX_DOCUMENTS`] documents
/// and [`MAX_TAGS`] tags. Run it in a transaction (with `idempotency::reserve` and
/// `jobs::enqueue`) so that a failure leaves nothing behind.
pub async fn create(conn: &mut AnyConnection, new: NewFax, now: i64) -> Result<Fax, Error> {
    if new.recipients.is_empty() {
        return Err(Error::Invalid("a fax needs at least one recipient"));
    }
    if new.recipients.len() > MAX_RECIPIENTS {
        return Err(Error::Invalid("too many recipients"));
    }
    if new.documents.len() > MAX_DOCUMENTS {
        return Err(Error::Invalid("too many documents"));
    }
    if new.tags.len() > MAX_TAGS {
        return Err(Error::Invalid("too many tags"));
    }
    let mut tags = new.tags;
    tags.sort();
    tags.dedup();
    // Serialising a list of strings cannot fail; the error is mapped rather than unwrapped.
    let tags_json = serde_json::to_string(&tags).map_err(|_| Error::Invalid("tags"))?;
    let fax_id = new_id("fax", now);
    let key = columns::current(conn).await?;
    let options_json = seal(&key, "faxes.options_json", &fax_id, &new.options_json)?;
    let row = sqlx::query(
        "INSERT INTO faxes (id, account_id, created_at, updated_at, options_json, client_reference, tags_json, \
             callback_url) \
         VALUES ($1, $2, $3, $3, $4, $5, $6, $7) RETURNING *",
    )
    .bind(&fax_id)
    .bind(&new.account_id)
    .bind(now)
    .bind(&options_json)
    .bind(new.client_reference.as_deref())
    .bind(&tags_json)
    .bind(new.callback_url.as_deref())
    .fetch_one(&mut *conn)
    .await?;
    let mut fax = fax_from_row(&row)?;
    for tag in &tags {
        sqlx::query("INSERT INTO fax_tags (fax_id, tag) VALUES ($1, $2)")
            .bind(&fax_id)
            .bind(tag)
            .execute(&mut *conn)
            .await?;
    }
    for (position, doc) in (0_i64..).zip(&new.documents) {
        sqlx::query(
            "INSERT INTO fax_documents (id, fax_id, position, blob_id, filename, content_type, size) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(new_id("doc", now))
        .bind(&fax_id)
        .bind(position)
        .bind(&doc.blob_id)
        .bind(&doc.filename)
        .bind(&doc.content_type)
        .bind(doc.size)
        .execute(&mut *conn)
        .await?;
    }
    for (position, number) in (0_i64..).zip(&new.recipients) {
        let id = new_id("rcp", now);
        let row = sqlx::query(
            "INSERT INTO fax_recipients (id, fax_id, position, number, status, pages_sent, attempts, deadline_at, \
                 updated_at, number_bidx) \
             VALUES ($1, $2, $3, $4, 'queued', 0, 0, $5, $6, $7) RETURNING *",
        )
        .bind(&id)
        .bind(&fax_id)
        .bind(position)
        .bind(seal(&key, "fax_recipients.number", &id, number)?)
        .bind(new.deadline_at)
        .bind(now)
        .bind(key.blind_index(columns::NUMBER_DOMAIN, number.as_bytes()))
        .fetch_one(&mut *conn)
        .await?;
        fax.recipients.push(recipient_from_row(&row)?);
    }
    Ok(fax)
}

/// The fax `fax_id` if it belongs to `account_id`; another account's fax is `None`,
/// exactly as an unknown one.
pub async fn get(conn: &mut AnyConnection, account_id: &str, fax_id: &str) -> Result<Option<Fax>, Error> {
    let row = sqlx::query("SELECT * FROM faxes WHERE id = $1 AND account_id = $2")
        .bind(fax_id)
        .bind(account_id)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(row) = row else { return Ok(None) };
    let mut fax = fax_from_row(&row)?;
    fax.recipients = recipients_of(conn, &fax.id).await?;
    Ok(Some(fax))
}

/// The fax `fax_id`, whoever owns it (for workers).
pub async fn get_any(conn: &mut AnyConnection, fax_id: &str) -> Result<Option<Fax>, Error> {
    let row =
        sqlx::query("SELECT * FROM faxes WHERE id = $1").bind(fax_id).fetch_optional(&mut *conn).await?;
    let Some(row) = row else { return Ok(None) };
    let mut fax = fax_from_row(&row)?;
    fax.recipients = recipients_of(conn, &fax.id).await?;
    Ok(Some(fax))
}

/// The account's faxes matching `filter`, newest first, at most `filter.limit`
/// (clamped to `1..=MAX_PAGE`). For the next page, pass the last id as `before_id`.
pub async fn list(conn: &mut AnyConnection, account_id: &str, filter: &FaxFilter) -> Result<Vec<Fax>, Error> {
    // Each optional condition is written `($n IS NULL OR …)` so one static statement
    // serves every combination of filters. Numbers are sealed: the filter compares
    // blind indexes.
    let number_index = match filter.number.as_deref() {
        Some(number) => Some(columns::number_index(conn, number).await?),
        None => None,
    };
    let rows = sqlx::query(
        "SELECT f.* FROM faxes f \
         WHERE f.account_id = $1 \
           AND ($2 IS NULL OR f.id < $2) \
           AND ($3 IS NULL OR f.created_at >= $3) \
           AND ($4 IS NULL OR f.created_at < $4) \
           AND ($5 IS NULL OR EXISTS (SELECT 1 FROM fax_recipients r WHERE r.fax_id = f.id AND r.status = $5)) \
           AND ($6 IS NULL OR EXISTS (SELECT 1 FROM fax_recipients r WHERE r.fax_id = f.id AND r.number_bidx = $6)) \
           AND ($7 IS NULL OR EXISTS (SELECT 1 FROM fax_tags t WHERE t.fax_id = f.id AND t.tag = $7)) \
         ORDER BY f.id DESC \
         LIMIT $8",
    )
    .bind(account_id)
    .bind(filter.before_id.as_deref())
    .bind(filter.since)
    .bind(filter.until)
    .bind(filter.status.map(RecipientStatus::as_str))
    .bind(number_index.as_deref())
    .bind(filter.tag.as_deref())
    .bind(page(filter.limit))
    .fetch_all(&mut *conn)
    .await?;
    let mut faxes = rows.iter().map(fax_from_row).collect::<Result<Vec<_>, _>>()?;
    for fax in &mut faxes {
        fax.recipients = recipients_of(conn, &fax.id).await?;
    }
    Ok(faxes)
}

/// The fax's documents, in upload order, deleted ones included.
pub async fn documents(conn: &mut AnyConnection, fax_id: &str) -> Result<Vec<Document>, Error> {
    let rows = sqlx::query("SELECT * FROM fax_documents WHERE fax_id = $1 ORDER BY position")
        .bind(fax_id)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(document_from_row).collect()
}

/// Records the rendered fax (one multi-page TIFF blob) and its page count.
pub async fn set_rendered(
    conn: &mut AnyConnection,
    fax_id: &str,
    blob_id: &str,
    page_count: i64,
    now: i64,
) -> Result<(), Error> {
    let done = sqlx::query(
        "UPDATE faxes SET rendered_blob = $2, page_count = $3, updated_at = $4, render_error_code = NULL, \
             render_error_message = NULL \
         WHERE id = $1",
    )
    .bind(fax_id)
    .bind(blob_id)
    .bind(page_count)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 { Err(Error::NotFound) } else { Ok(()) }
}

/// Records that rendering failed: every recipient not yet final becomes `Failed`
/// with this code and message.
pub async fn set_render_failed(
    conn: &mut AnyConnection,
    fax_id: &str,
    code: &str,
    message: &str,
    now: i64,
) -> Result<(), Error> {
    let done = sqlx::query(
        "UPDATE faxes SET render_error_code = $2, render_error_message = $3, updated_at = $4 WHERE id = $1",
    )
    .bind(fax_id)
    .bind(code)
    .bind(message)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(Error::NotFound);
    }
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE fax_recipients SET status = 'failed', error_code = $2, error_message = $3, updated_at = $4, \
             completed_at = $4, next_attempt_at = NULL \
         WHERE fax_id = $1 AND status NOT IN {FINAL_SQL}"
    )))
    .bind(fax_id)
    .bind(code)
    .bind(message)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// One recipient by id.
pub async fn recipient(conn: &mut AnyConnection, recipient_id: &str) -> Result<Option<Recipient>, Error> {
    let row = sqlx::query("SELECT * FROM fax_recipients WHERE id = $1")
        .bind(recipient_id)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(recipient_from_row).transpose()
}

/// Moves a recipient to a new state. A final state is sticky: a recipient that is
/// already final is left alone and the call returns `Ok(false)`. Moving into a final
/// state sets `completed_at`. An unknown recipient is `NotFound`.
pub async fn update_recipient(
    conn: &mut AnyConnection,
    recipient_id: &str,
    update: &RecipientUpdate,
    now: i64,
) -> Result<bool, Error> {
    let completed_at = update.status.is_final().then_some(now);
    let remote_ident = match update.remote_ident.as_deref() {
        Some(ident) => seal_opt(
            &*columns::current(conn).await?,
            "fax_recipients.remote_ident",
            recipient_id,
            Some(ident),
        )?,
        None => None,
    };
    let done = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE fax_recipients SET status = $2, error_code = $3, error_message = $4, pages_sent = $5, rate = $6, \
             ecm = $7, remote_ident = $8, duration_ms = $9, attempts = $10, next_attempt_at = $11, \
             updated_at = $12, completed_at = $13 \
         WHERE id = $1 AND status NOT IN {FINAL_SQL}"
    )))
    .bind(recipient_id)
    .bind(update.status.as_str())
    .bind(update.error_code.as_deref())
    .bind(update.error_message.as_deref())
    .bind(update.pages_sent)
    .bind(update.rate)
    .bind(update.ecm.map(i64::from))
    .bind(remote_ident.as_deref())
    .bind(update.duration_ms)
    .bind(update.attempts)
    .bind(update.next_attempt_at)
    .bind(now)
    .bind(completed_at)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() > 0 {
        return Ok(true);
    }
    match recipient(conn, recipient_id).await? {
        Some(_) => Ok(false),
        None => Err(Error::NotFound),
    }
}

/// Puts a recipient back in the queue for a resend: status `queued`, no error, the
/// dial count restarted, due at `now`. Pages already confirmed stay confirmed, so the
/// next call resumes after them. This is the one way out of a final state, used only
/// when the user asks to resend; returns whether the recipient exists.
pub async fn requeue_recipient(
    conn: &mut AnyConnection,
    recipient_id: &str,
    now: i64,
) -> Result<bool, Error> {
    let done = sqlx::query(
        "UPDATE fax_recipients SET status = 'queued', error_code = NULL, error_message = NULL, attempts = 0, \
             next_attempt_at = $2, updated_at = $2, completed_at = NULL WHERE id = $1",
    )
    .bind(recipient_id)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Cancels the account's fax: every recipient not yet final becomes `Canceled` and
/// the fax's queued jobs are removed (a job already running notices the cancel when
/// it next reads the recipient). Returns the recipients that were canceled, or
/// `None` if the fax is not the account's.
pub async fn cancel(
    conn: &mut AnyConnection,
    account_id: &str,
    fax_id: &str,
    now: i64,
) -> Result<Option<Vec<Recipient>>, Error> {
    let owned: Option<String> = sqlx::query_scalar("SELECT id FROM faxes WHERE id = $1 AND account_id = $2")
        .bind(fax_id)
        .bind(account_id)
        .fetch_optional(&mut *conn)
        .await?;
    if owned.is_none() {
        return Ok(None);
    }
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE fax_recipients SET status = 'canceled', updated_at = $2, completed_at = $2, next_attempt_at = NULL \
         WHERE fax_id = $1 AND status NOT IN {FINAL_SQL} RETURNING *"
    )))
    .bind(fax_id)
    .bind(now)
    .fetch_all(&mut *conn)
    .await?;
    jobs::cancel_for_fax(conn, fax_id).await?;
    let mut canceled = rows.iter().map(recipient_from_row).collect::<Result<Vec<_>, _>>()?;
    canceled.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(Some(canceled))
}

/// Records that a document's blob was deleted.
pub async fn mark_document_deleted(
    conn: &mut AnyConnection,
    document_id: &str,
    now: i64,
) -> Result<(), Error> {
    sqlx::query("UPDATE fax_documents SET deleted_at = $2 WHERE id = $1 AND deleted_at IS NULL")
        .bind(document_id)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Records that the rendered blob was deleted (the page count stays).
pub async fn set_rendered_blob_deleted(conn: &mut AnyConnection, fax_id: &str) -> Result<(), Error> {
    sqlx::query("UPDATE faxes SET rendered_blob = NULL WHERE id = $1")
        .bind(fax_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Documents the janitor should delete now, at most [`MAX_PAGE`] per call, oldest
/// fax first: those not yet deleted whose fax has every recipient final, and those
/// whose fax is at least `unsent_after_ms` old (`created_at + unsent_after_ms <=
/// now`) whatever its state.
pub async fn documents_to_delete(
    conn: &mut AnyConnection,
    now: i64,
    unsent_after_ms: i64,
) -> Result<Vec<Document>, Error> {
    let cutoff = now.saturating_sub(unsent_after_ms);
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT d.* FROM fax_documents d JOIN faxes f ON f.id = d.fax_id \
         WHERE d.deleted_at IS NULL \
           AND (f.created_at <= $1 \
                OR NOT EXISTS (SELECT 1 FROM fax_recipients r WHERE r.fax_id = f.id AND r.status NOT IN {FINAL_SQL})) \
         ORDER BY d.fax_id, d.position \
         LIMIT $2"
    )))
    .bind(cutoff)
    .bind(i64::from(MAX_PAGE))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(document_from_row).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_spellings_round_trip() {
        for status in RecipientStatus::ALL {
            assert_eq!(RecipientStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(RecipientStatus::parse("Queued"), None);
        assert_eq!(RecipientStatus::parse(""), None);
    }

    #[test]
    fn debug_output_hides_numbers_and_names() {
        let recipient = Recipient {
            id: "rcp_1".into(),
            fax_id: "fax_1".into(),
            number: "+4930123456".into(),
            status: RecipientStatus::Sending,
            error_code: None,
            error_message: Some("Jane Doe's line".into()),
            pages_sent: 0,
            rate: None,
            ecm: None,
            remote_ident: Some("JANE DOE".into()),
            duration_ms: None,
            attempts: 1,
            next_attempt_at: None,
            deadline_at: 0,
            updated_at: 0,
            completed_at: None,
        };
        let shown = format!("{recipient:?}");
        assert!(shown.contains("rcp_1") && shown.contains("Sending"), "{shown}");
        assert!(!shown.contains("+4930") && !shown.contains("Jane") && !shown.contains("JANE"), "{shown}");
        let job = jobs::NewJob {
            kind: "dial".into(),
            payload: r#"{"to":"+4930123456"}"#.into(),
            run_at: 0,
            concurrency_key: Some("+4930123456".into()),
            fax_id: None,
            dedupe_key: None,
        };
        assert!(!format!("{job:?}").contains("+4930"));
    }

    #[test]
    fn final_sql_lists_exactly_the_final_statuses() {
        for status in RecipientStatus::ALL {
            let quoted = format!("'{}'", status.as_str());
            assert_eq!(FINAL_SQL.contains(&quoted), status.is_final(), "{status}");
        }
    }
}
