//! Notifications: e-mails and signed webhooks, each a job of its own so a mail
//! server or a webhook receiver being down delays them without losing them.

use serde_json::json;
use store::faxes::RecipientStatus;

use super::{Done, MailJob, WebhookJob};
use crate::api::views::{FaxView, ReceivedView, RecipientView, rfc3339};
use crate::{App, Error, now_ms};
use store::AnyConnection as Conn;

/// Queues the sender's notifications about a recipient's new state: the webhook
/// event always (when a URL is set), the e-mail when the user wants it.
pub(crate) async fn announce_outcome(
    conn: &mut Conn,
    account: &store::accounts::Account,
    fax: &store::faxes::Fax,
    recipient: &store::faxes::Recipient,
    now: i64,
) -> Result<(), Error> {
    let event = match recipient.status {
        RecipientStatus::Delivered => "fax.delivered",
        RecipientStatus::PartiallyDelivered => "fax.partially_delivered",
        RecipientStatus::Failed => "fax.failed",
        RecipientStatus::Canceled => "fax.canceled",
        RecipientStatus::RetryScheduled => "fax.retry_scheduled",
        _ => return Ok(()),
    };
    let data = json!({
        "fax_id": fax.id,
        "client_reference": fax.client_reference,
        "tags": fax.tags,
        "recipient": RecipientView::from(recipient),
    });
    emit_event(conn, account, fax.callback_url.as_deref(), event, data, now).await?;
    let wants_mail = match recipient.status {
        RecipientStatus::Delivered => account.notify_on_sent,
        RecipientStatus::Failed | RecipientStatus::PartiallyDelivered => account.notify_on_failure,
        _ => false,
    };
    if wants_mail {
        super::enqueue_mail(
            conn,
            &MailJob::Outcome {
                account_id: account.id.clone(),
                fax_id: fax.id.clone(),
                recipient_id: recipient.id.clone(),
            },
            now,
        )
        .await?;
    }
    Ok(())
}

/// Queues the receiver's notifications about a new fax.
pub(crate) async fn announce_received(
    conn: &mut Conn,
    account: &store::accounts::Account,
    received: &store::inbox::Received,
    now: i64,
) -> Result<(), Error> {
    let data =
        serde_json::to_value(ReceivedView::from(received)).map_err(|e| Error::Internal(e.to_string()))?;
    emit_event(conn, account, None, "fax.received", data, now).await?;
    if account.notify_on_receive {
        super::enqueue_mail(
            conn,
            &MailJob::Received { account_id: account.id.clone(), received_id: received.id.clone() },
            now,
        )
        .await?;
    }
    Ok(())
}

/// Records a webhook event for the account's URL and, if given, a per-fax callback
/// URL, and queues its delivery.
pub async fn emit_event(
    conn: &mut Conn,
    account: &store::accounts::Account,
    callback_url: Option<&str>,
    event_type: &str,
    data: serde_json::Value,
    now: i64,
) -> Result<(), Error> {
    let mut urls: Vec<&str> = Vec::new();
    if let Some(url) = account.webhook_url.as_deref() {
        urls.push(url);
    }
    if let Some(url) = callback_url
        && !urls.contains(&url)
    {
        urls.push(url);
    }
    for url in urls {
        let body = json!({ "type": event_type, "timestamp": rfc3339(now), "data": data });
        let delivery =
            store::webhooks::create(conn, &account.id, url, event_type, &body.to_string(), now).await?;
        super::enqueue(conn, "webhook", &WebhookJob { delivery_id: delivery.id }, now, None, None, None)
            .await?;
    }
    Ok(())
}

/// Runs a `webhook` job: one attempt, then success, a retry on the schedule, or
/// giving up after about a day.
pub(crate) async fn run_webhook(app: &App, job: &store::jobs::Job, worker: &str) -> Result<Done, Error> {
    let payload: WebhookJob =
        serde_json::from_str(&job.payload).map_err(|e| Error::Internal(e.to_string()))?;
    let mut conn = app.store.acquire().await?;
    let Some(delivery) = store::webhooks::get(&mut conn, &payload.delivery_id).await? else {
        store::jobs::complete(&mut conn, &job.id, worker).await?;
        return Ok(Done::Committed);
    };
    let account = store::accounts::by_id(&mut conn, &delivery.account_id).await?;
    drop(conn);
    let Some(account) = account else {
        let mut conn = app.store.acquire().await?;
        store::jobs::complete(&mut conn, &job.id, worker).await?;
        return Ok(Done::Committed);
    };
    let secret =
        webhook::Secret::parse(&account.webhook_secret).map_err(|e| Error::Internal(e.to_string()))?;
    let attempt = match url::Url::parse(&delivery.url) {
        Ok(url) => {
            app.webhooks
                .deliver(&url, &secret, &delivery.id, now_ms() / 1000, delivery.payload.as_bytes())
                .await
        }
        Err(_) => webhook::Attempt { status: None, error: Some("invalid URL".into()), delivered: false },
    };
    let made = u32::try_from(delivery.attempts + 1).unwrap_or(u32::MAX);
    let now = now_ms();
    let next = if attempt.delivered { None } else { webhook::next_attempt(made) };
    let next_at = next.map(|d| now + i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 4));
    let gave_up = !attempt.delivered && next.is_none();
    let mut tx = app.store.begin().await?;
    store::webhooks::record_attempt(
        &mut tx,
        &delivery.id,
        attempt.status.map(i64::from),
        attempt.error.clone(),
        attempt.delivered,
        next_at,
        gave_up,
        now,
    )
    .await?;
    match next_at {
        Some(at) => {
            store::jobs::retry(
                &mut tx,
                &job.id,
                worker,
                at,
                attempt.error.as_deref().unwrap_or("non-2xx response"),
            )
            .await?
        }
        None => store::jobs::complete(&mut tx, &job.id, worker).await?,
    }
    tx.commit().await.map_err(store::Error::from)?;
    Ok(Done::Committed)
}

/// Runs a `mail` job.
pub(crate) async fn run_mail(app: &App, job: &store::jobs::Job, worker: &str) -> Result<Done, Error> {
    let payload: MailJob = serde_json::from_str(&job.payload).map_err(|e| Error::Internal(e.to_string()))?;
    let message = compose(app, &payload).await?;
    if let Some(message) = message {
        match app.mailer.send(&message).await {
            Ok(_) => {}
            Err(error) if error.is_transient() => {
                let delay = 60_000i64 << job.attempts.clamp(0, 8);
                return Ok(Done::RetryAt(now_ms() + delay, error.to_string()));
            }
            Err(error) => {
                let mut conn = app.store.acquire().await?;
                store::jobs::fail(&mut conn, &job.id, worker, &error.to_string()).await?;
                return Ok(Done::Committed);
            }
        }
    }
    let mut conn = app.store.acquire().await?;
    store::jobs::complete(&mut conn, &job.id, worker).await?;
    Ok(Done::Committed)
}

/// Builds the e-mail of a job; `None` when there is nothing to send any more (the
/// account or the fax is gone).
async fn compose(app: &App, job: &MailJob) -> Result<Option<mail::Message>, Error> {
    let base = &app.config.public_url;
    let mut conn = app.store.acquire().await?;
    let account_id = match job {
        MailJob::Welcome { account_id, .. }
        | MailJob::PasswordReset { account_id, .. }
        | MailJob::Received { account_id, .. }
        | MailJob::Outcome { account_id, .. } => account_id,
    };
    let Some(account) = store::accounts::by_id(&mut conn, account_id).await? else { return Ok(None) };
    let to = mail::Mailbox::new(Some(account.name.clone()), account.email.clone())?;
    let message = |subject: String, text: String, attachments: Vec<mail::Attachment>| mail::Message {
        to: to.clone(),
        subject,
        text,
        html: None,
        attachments,
        list_unsubscribe: None,
        message_id: None,
    };
    Ok(Some(match job {
        MailJob::Welcome { verify_token, .. } => message(
            format!("Welcome to Ferrofax — your fax number is {}", account.fax_number),
            format!(
                "Hello {name},\n\nyour Ferrofax account is ready. Your fax number is {number}.\n\
                 Faxes sent to it appear in your inbox at {base}/inbox and, if you wish, arrive here as PDF.\n\n\
                 Please confirm your e-mail address: {base}/verify?token={verify_token}\n\n\
                 If you did not sign up, ignore this message.\n",
                name = account.name,
                number = account.fax_number,
            ),
            Vec::new(),
        ),
        MailJob::PasswordReset { token, .. } => message(
            "Reset your Ferrofax password".into(),
            format!(
                "Hello {name},\n\nsomeone asked to reset the password of your Ferrofax account.\n\
                 To choose a new password, open this link within an hour: {base}/reset?token={token}\n\n\
                 If it was not you, ignore this message; your password stays as it is.\n",
                name = account.name,
            ),
            Vec::new(),
        ),
        MailJob::Received { received_id, .. } => {
            let Some(received) = store::inbox::get(&mut conn, &account.id, received_id).await? else {
                return Ok(None);
            };
            let Some(blob) = received.blob_id.clone() else { return Ok(None) };
            drop(conn);
            let pdf = super::tiff_blob_to_pdf(app, &blob, "Received fax").await?;
            let from = received
                .from_number
                .clone()
                .or(received.remote_ident.clone())
                .unwrap_or_else(|| "an unknown sender".into());
            message(
                format!("Fax from {from}, {} page(s)", received.pages),
                format!(
                    "A fax with {pages} page(s) from {from} arrived on your number {number} at {at}.\n\
                     It is attached as PDF and in your inbox: {base}/inbox\n",
                    pages = received.pages,
                    number = account.fax_number,
                    at = rfc3339(received.received_at),
                ),
                vec![mail::Attachment {
                    filename: format!(
                        "fax-{}.pdf",
                        jiff::Timestamp::from_millisecond(received.received_at)
                            .map(|t| t.strftime("%Y%m%d-%H%M%S").to_string())
                            .unwrap_or_default()
                    ),
                    content_type: "application/pdf".into(),
                    data: pdf,
                }],
            )
        }
        MailJob::Outcome { fax_id, recipient_id, .. } => {
            let Some(fax) = store::faxes::get(&mut conn, &account.id, fax_id).await? else { return Ok(None) };
            let Some(recipient) = fax.recipients.iter().find(|r| &r.id == recipient_id) else {
                return Ok(None);
            };
            let view = FaxView::from(&fax);
            let pages = fax.page_count.unwrap_or(0);
            let (subject, body) = match recipient.status {
                RecipientStatus::Delivered => (
                    format!("Fax to {} delivered", recipient.number),
                    format!(
                        "Your fax to {} was delivered: {} of {} page(s).",
                        recipient.number, recipient.pages_sent, pages
                    ),
                ),
                _ => (
                    format!("Fax to {} not delivered", recipient.number),
                    format!(
                        "Your fax to {} could not be delivered ({} of {} page(s) went through): {}.",
                        recipient.number,
                        recipient.pages_sent,
                        pages,
                        recipient.error_message.as_deref().unwrap_or("unknown error")
                    ),
                ),
            };
            message(subject, format!("{body}\n\nDetails: {base}/outbox#{}\n", view.id), Vec::new())
        }
    }))
}
