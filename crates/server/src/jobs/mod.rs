//! Workers over the durable job queue.
//!
//! Five kinds of job, each a small JSON payload in `store::jobs`:
//!
//! | kind | payload | does |
//! | --- | --- | --- |
//! | `render` | [`RenderJob`] | documents → fax pages (one encrypted TIFF), then one `dial` job per recipient |
//! | `dial` | [`DialJob`] | one call to one recipient; records the result, schedules a retry or finishes |
//! | `mail` | [`MailJob`] | composes and sends one e-mail |
//! | `webhook` | [`WebhookJob`] | one delivery attempt of a signed event |
//! | `dnf_code` | [`CodeFaxJob`] | faxes a do-not-fax opt-out code to the number it is for |
//!
//! A worker claims a due job under a lease and renews the lease while it works. If
//! the process dies, the lease runs out and another worker takes the job over. A
//! job's effects and its completion are committed in one transaction, and
//! completion checks the lease (`store::Error::LeaseLost`), so a job taken over
//! from a worker that was merely slow is finished exactly once.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use store::AnyConnection;
use tokio_util::sync::CancellationToken;

use crate::{App, Error, now_ms};

mod dial;
mod notify;
mod optout;
mod render;

pub use notify::emit_event;
pub use optout::{CodeFaxJob, enqueue_code_fax};

/// Payload of a `render` job.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RenderJob {
    /// The fax to render.
    pub fax_id: String,
}

/// Payload of a `dial` job.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DialJob {
    /// The recipient to call.
    pub recipient_id: String,
}

/// Payload of a `mail` job.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "template", rename_all = "snake_case")]
pub enum MailJob {
    /// Welcome with the fax number and the verification link.
    Welcome {
        /// Account.
        account_id: String,
        /// Verification token (deleted with the job once sent).
        verify_token: String,
    },
    /// Password-reset link.
    PasswordReset {
        /// Account.
        account_id: String,
        /// Reset token.
        token: String,
    },
    /// A received fax as PDF.
    Received {
        /// Account.
        account_id: String,
        /// Received fax.
        received_id: String,
    },
    /// A fax was delivered, or finally failed.
    Outcome {
        /// Account.
        account_id: String,
        /// Fax.
        fax_id: String,
        /// Recipient.
        recipient_id: String,
    },
}

/// Payload of a `webhook` job.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WebhookJob {
    /// The delivery (message) to attempt.
    pub delivery_id: String,
}

/// Queues a render job.
pub async fn enqueue_render(conn: &mut AnyConnection, job: &RenderJob, now: i64) -> Result<(), Error> {
    enqueue(conn, "render", job, now, None, Some(job.fax_id.clone()), Some(format!("render:{}", job.fax_id)))
        .await
}

/// Queues a mail.
pub async fn enqueue_mail(conn: &mut AnyConnection, job: &MailJob, now: i64) -> Result<(), Error> {
    enqueue(conn, "mail", job, now, None, None, None).await
}

/// Queues a dial job for a recipient at `run_at`.
pub async fn enqueue_dial(
    conn: &mut AnyConnection,
    recipient: &store::faxes::Recipient,
    run_at: i64,
) -> Result<(), Error> {
    // The concurrency key names the destination by its blind index: the job table
    // must not hold the number in the clear.
    let number_key = format!("number:{}", store::columns::number_index(conn, &recipient.number).await?);
    enqueue(
        conn,
        "dial",
        &DialJob { recipient_id: recipient.id.clone() },
        run_at,
        Some(number_key),
        Some(recipient.fax_id.clone()),
        Some(format!("dial:{}", recipient.id)),
    )
    .await
}

/// Puts a recipient back in the queue now (resend).
pub async fn requeue_dial(
    conn: &mut AnyConnection,
    recipient: &store::faxes::Recipient,
    now: i64,
) -> Result<(), Error> {
    store::faxes::requeue_recipient(conn, &recipient.id, now).await?;
    if store::jobs::bring_forward(conn, &format!("dial:{}", recipient.id), now).await? {
        return Ok(());
    }
    enqueue_dial(conn, recipient, now).await
}

async fn enqueue(
    conn: &mut AnyConnection,
    kind: &str,
    payload: &impl Serialize,
    run_at: i64,
    concurrency_key: Option<String>,
    fax_id: Option<String>,
    dedupe_key: Option<String>,
) -> Result<(), Error> {
    let payload = serde_json::to_string(payload).map_err(|e| Error::Internal(e.to_string()))?;
    store::jobs::enqueue(
        conn,
        store::jobs::NewJob { kind: kind.to_owned(), payload, run_at, concurrency_key, fax_id, dedupe_key },
        now_ms().min(run_at),
    )
    .await?;
    Ok(())
}

/// What a job handler decided.
#[derive(Debug)]
pub(crate) enum Done {
    /// The handler committed the job's completion itself (with its effects).
    Committed,
    /// Retry at this time.
    RetryAt(i64, String),
}

/// One worker: a loop that claims and runs jobs.
#[derive(Debug)]
pub struct Worker {
    app: Arc<App>,
    name: String,
}

/// The job kinds a worker runs.
const KINDS: &[&str] = &["render", "dial", "mail", "webhook", "dnf_code"];

impl Worker {
    /// A worker named `name` (the lease owner).
    pub fn new(app: Arc<App>, name: String) -> Worker {
        Worker { app, name }
    }

    /// Claims and runs jobs until `shutdown`.
    pub async fn run(self, shutdown: CancellationToken) {
        loop {
            if shutdown.is_cancelled() {
                return;
            }
            match self.run_one(&shutdown).await {
                Ok(true) => continue,
                Ok(false) => {}
                Err(error) => tracing::warn!(worker = %self.name, %error, "job loop error"),
            }
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(self.app.config.poll) => {}
            }
        }
    }

    /// Claims one due job and runs it; `false` when none was due.
    pub async fn run_one(&self, shutdown: &CancellationToken) -> Result<bool, Error> {
        let now = now_ms();
        let lease = lease_ms(&self.app);
        let Some(job) = store::jobs::claim(&self.app.store, &self.name, KINDS, now, lease).await? else {
            return Ok(false);
        };
        let cancel = shutdown.child_token();
        let heartbeat =
            tokio::spawn(heartbeat(self.app.clone(), job.clone(), self.name.clone(), cancel.clone()));
        let outcome = match job.kind.as_str() {
            "render" => render::run(&self.app, &job, &self.name).await,
            "dial" => dial::run(&self.app, &job, &self.name, &cancel).await,
            "mail" => notify::run_mail(&self.app, &job, &self.name).await,
            "webhook" => notify::run_webhook(&self.app, &job, &self.name).await,
            "dnf_code" => optout::run(&self.app, &job, &self.name, &cancel).await,
            other => Err(Error::Internal(format!("unknown job kind {other:?}"))),
        };
        heartbeat.abort();
        let mut conn = self.app.store.acquire().await?;
        match outcome {
            Ok(Done::Committed) => {}
            Ok(Done::RetryAt(at, reason)) => {
                store::jobs::retry(&mut conn, &job.id, &self.name, at, &reason).await?;
            }
            Err(Error::Store(store::Error::LeaseLost)) => {
                tracing::warn!(job = %job.id, "lease lost; another worker finishes this job");
            }
            Err(error) => {
                // Unexpected failures are retried with a growing delay, up to a bound,
                // so a transient outage (database, blob store, mail) loses nothing.
                let attempts = u32::try_from(job.attempts).unwrap_or(u32::MAX);
                tracing::warn!(job = %job.id, kind = %job.kind, attempts, %error, "job failed");
                if attempts >= 8 {
                    store::jobs::fail(&mut conn, &job.id, &self.name, &error.to_string()).await?;
                } else {
                    let delay = 5_000i64 << attempts.min(10);
                    store::jobs::retry(&mut conn, &job.id, &self.name, now_ms() + delay, &error.to_string())
                        .await?;
                }
            }
        }
        Ok(true)
    }
}

fn lease_ms(app: &App) -> i64 {
    i64::try_from(app.config.lease.as_millis()).unwrap_or(60_000)
}

/// Renews the job's lease every third of its length while the job runs. For a
/// `dial` job it also watches the recipient: a cancel through the API ends the call.
async fn heartbeat(app: Arc<App>, job: store::jobs::Job, worker: String, cancel: CancellationToken) {
    let every = app.config.lease / 3;
    let recipient = if job.kind == "dial" {
        serde_json::from_str::<DialJob>(&job.payload).ok().map(|d| d.recipient_id)
    } else {
        None
    };
    loop {
        tokio::time::sleep(every.max(Duration::from_millis(200))).await;
        let Ok(mut conn) = app.store.acquire().await else { continue };
        let until = now_ms() + lease_ms(&app);
        if let Err(store::Error::LeaseLost) = store::jobs::extend(&mut conn, &job.id, &worker, until).await {
            cancel.cancel();
            return;
        }
        if let Some(id) = &recipient
            && let Ok(Some(r)) = store::faxes::recipient(&mut conn, id).await
            && r.status == store::faxes::RecipientStatus::Canceled
        {
            cancel.cancel();
        }
    }
}

/// Deletes a fax's uploads and rendered image once every recipient is final: the
/// promise that uploaded files are kept only until the fax is sent.
pub async fn cleanup_if_done(app: &App, fax_id: &str) -> Result<(), Error> {
    let mut conn = app.store.acquire().await?;
    let Some(fax) = store::faxes::get_any(&mut conn, fax_id).await? else { return Ok(()) };
    if !fax.recipients.iter().all(|r| r.status.is_final()) {
        return Ok(());
    }
    let documents = store::faxes::documents(&mut conn, fax_id).await?;
    drop(conn);
    for document in documents.iter().filter(|d| d.deleted_at.is_none()) {
        delete_document(app, document).await?;
    }
    if let Some(rendered) = &fax.rendered_blob {
        if let Ok(id) = rendered.parse::<blob::BlobId>() {
            app.blobs.delete(&id).await?;
        }
        let mut conn = app.store.acquire().await?;
        store::faxes::set_rendered_blob_deleted(&mut conn, fax_id).await?;
    }
    Ok(())
}

/// Deletes one uploaded document's blob and marks it deleted.
pub async fn delete_document(app: &App, document: &store::faxes::Document) -> Result<(), Error> {
    if let Ok(id) = document.blob_id.parse::<blob::BlobId>() {
        app.blobs.delete(&id).await?;
    }
    let mut conn = app.store.acquire().await?;
    store::faxes::mark_document_deleted(&mut conn, &document.id, now_ms()).await?;
    Ok(())
}

/// Reads a stored fax TIFF and returns its pages.
pub async fn load_pages(app: &App, blob_id: &str) -> Result<Vec<fax_image::Page>, Error> {
    let id = blob_id.parse::<blob::BlobId>().map_err(|_| Error::Internal("bad blob id".into()))?;
    let data = app.blobs.get(&id).await?;
    let pages =
        tokio::task::spawn_blocking(move || fax_image::tiff::read(&data, &fax_image::Limits::DEFAULT))
            .await
            .map_err(|e| Error::Internal(e.to_string()))??;
    Ok(pages.into_iter().map(|p| p.page).collect())
}

/// Encodes pages as an MMR TIFF and stores it encrypted.
pub async fn store_pages(app: &App, class: &str, pages: Vec<fax_image::Page>) -> Result<blob::BlobId, Error> {
    let tiff = tokio::task::spawn_blocking(move || {
        fax_image::tiff::write(
            &pages,
            &fax_image::tiff::WriteOptions {
                software: Some("Ferrofax".into()),
                ..fax_image::tiff::WriteOptions::default()
            },
        )
    })
    .await
    .map_err(|e| Error::Internal(e.to_string()))??;
    Ok(app.blobs.put(class, &tiff).await?)
}

/// A stored fax TIFF as a PDF whose pages carry the CCITT data.
pub async fn tiff_blob_to_pdf(app: &App, blob_id: &str, title: &str) -> Result<Vec<u8>, Error> {
    let pages = load_pages(app, blob_id).await?;
    let title = title.to_owned();
    tokio::task::spawn_blocking(move || {
        fax_image::pdf::write(
            &pages,
            &fax_image::pdf::PdfMeta { title: Some(title), ..fax_image::pdf::PdfMeta::default() },
        )
    })
    .await
    .map_err(|e| Error::Internal(e.to_string()))?
    .map_err(Error::Image)
}
