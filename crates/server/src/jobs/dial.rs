//! The `dial` job: one call to one recipient, through the loopback carrier.

use std::time::Duration;

use fax_image::header::{self, HeaderFields, HeaderOptions};
use store::faxes::{RecipientStatus, RecipientUpdate};
use telephony::call::{Answer, Answerer, CallResult, OutgoingCall};
use telephony::loopback::Route;
use tokio_util::sync::CancellationToken;

use super::{DialJob, Done};
use crate::api::faxes::FaxOptions;
use crate::config::RetryPolicy;
use crate::{App, Error, now_ms};

/// The answering side's decision, made before the call from the database (the
/// carrier asks synchronously, mid-call set-up).
struct Decided {
    answer: Answer,
}

impl Answerer for Decided {
    fn answer(&self, _to: &str, _from: &str) -> Answer {
        self.answer.clone()
    }
}

/// What to do with a recipient after a call.
#[derive(Debug, PartialEq, Eq)]
enum Next {
    Final(RecipientStatus, Option<(&'static str, String)>),
    Retry { at: i64, code: &'static str, message: String },
}

pub(crate) async fn run(
    app: &App,
    job: &store::jobs::Job,
    worker: &str,
    cancel: &CancellationToken,
) -> Result<Done, Error> {
    let payload: DialJob = serde_json::from_str(&job.payload).map_err(|e| Error::Internal(e.to_string()))?;
    let now = now_ms();
    let mut conn = app.store.acquire().await?;
    let recipient = store::faxes::recipient(&mut conn, &payload.recipient_id).await?;
    let Some(recipient) = recipient.filter(|r| !r.status.is_final()) else {
        store::jobs::complete(&mut conn, &job.id, worker).await?;
        return Ok(Done::Committed);
    };
    let fax = store::faxes::get_any(&mut conn, &recipient.fax_id).await?.ok_or(Error::NotFound)?;
    let account = store::accounts::by_id(&mut conn, &fax.account_id).await?.ok_or(Error::NotFound)?;
    let Some(rendered) = fax.rendered_blob.clone() else {
        return Err(Error::Internal("dial job without rendered pages".into()));
    };
    if now >= recipient.deadline_at {
        drop(conn);
        return finish_with(
            app,
            job,
            worker,
            &account,
            &fax,
            &recipient,
            RecipientUpdate::from_current(&recipient),
            None,
            Next::Final(
                final_failure(&recipient),
                Some(("deadline_passed", "the fax could not be delivered before its deadline".into())),
            ),
        )
        .await;
    }
    // The do-not-fax list is checked again right before dialling: a number added
    // after the fax was accepted is not called.
    if store::junk::on_do_not_fax(&mut conn, &recipient.number).await? {
        drop(conn);
        let refusal =
            ("do_not_fax", "the number's owner asked not to receive faxes from this service".into());
        let update = RecipientUpdate::from_current(&recipient);
        let next = Next::Final(final_failure(&recipient), Some(refusal));
        return finish_with(app, job, worker, &account, &fax, &recipient, update, None, next).await;
    }
    let route = app.carrier.route(&recipient.number);
    let answer = match &route {
        Route::Account(number) => match store::accounts::by_fax_number(&mut conn, number).await? {
            // A caller on the callee's block list is refused before any page.
            Some(callee) => {
                let ident = ident_of(&account.fax_number);
                if crate::junk::refuses(&mut conn, &callee.id, &account.fax_number, &ident).await? {
                    Answer::Reject
                } else {
                    Answer::Accept { ident: ident_of(&callee.fax_number) }
                }
            }
            None => Answer::Unassigned,
        },
        _ => Answer::NoAnswer,
    };
    let attempts = recipient.attempts + 1;
    let mut dialing = RecipientUpdate::from_current(&recipient);
    dialing.status = RecipientStatus::Dialing;
    dialing.attempts = attempts;
    dialing.next_attempt_at = None;
    store::faxes::update_recipient(&mut conn, &recipient.id, &dialing, now).await?;
    drop(conn);

    let all_pages = super::load_pages(app, &rendered).await?;
    let first = usize::try_from(recipient.pages_sent).unwrap_or(0).min(all_pages.len());
    let total = all_pages.len();
    let options: FaxOptions =
        serde_json::from_str(&fax.options_json).map_err(|e| Error::Internal(e.to_string()))?;
    let pages = stamp_headers(all_pages, first, &options, &account, &recipient.number)?;

    let call = OutgoingCall {
        from: account.fax_number.clone(),
        to: recipient.number.clone(),
        sender_ident: ident_of(&account.fax_number),
        pages,
        ecm: true,
        max_rate: None,
    };
    let report = app.carrier.place(call, &Decided { answer }, cancel).await;
    let pages_sent = recipient.pages_sent + report.pages_confirmed as i64;
    let mut after = RecipientUpdate::from_current(&recipient);
    after.attempts = attempts;
    after.pages_sent = pages_sent;
    after.rate = report.rate.map(i64::from).or(recipient.rate);
    after.ecm = report.ecm.or(recipient.ecm);
    after.remote_ident = report.remote_ident.clone().or(recipient.remote_ident.clone());
    after.duration_ms = Some(i64::try_from(report.duration.as_millis()).unwrap_or(i64::MAX));
    let next =
        decide(&report.result, attempts, pages_sent, total as i64, &recipient, &app.config.retry, now_ms());
    tracing::info!(recipient = %recipient.id, attempt = attempts, pages_sent, result = ?next, "call ended");
    let received = match (&route, report.received) {
        (Route::Account(number), Some(received)) if !received.pages.is_empty() => {
            Some((number.clone(), received))
        }
        _ => None,
    };
    finish_with(app, job, worker, &account, &fax, &recipient, after, received, next).await
}

/// The station identifier sent as TSI/CSI: the number, as T.30 allows (20 characters).
fn ident_of(number: &str) -> String {
    number.chars().take(20).collect()
}

fn final_failure(r: &store::faxes::Recipient) -> RecipientStatus {
    if r.pages_sent > 0 { RecipientStatus::PartiallyDelivered } else { RecipientStatus::Failed }
}

/// Stamps the header line on each page still to send. Page numbers count the whole
/// fax, so a resumed call continues "page 3/5" rather than starting again at 1.
fn stamp_headers(
    pages: Vec<fax_image::Page>,
    first: usize,
    options: &FaxOptions,
    account: &store::accounts::Account,
    to: &str,
) -> Result<Vec<fax_image::Page>, Error> {
    let total = u32::try_from(pages.len()).unwrap_or(u32::MAX);
    let now = jiff::ZonedDateTime::now();
    let template = options.header.as_deref().unwrap_or(header::DEFAULT_TEMPLATE);
    let mut out = Vec::with_capacity(pages.len().saturating_sub(first));
    for (index, mut page) in pages.into_iter().enumerate().skip(first) {
        let fields = HeaderFields {
            date: now.strftime("%Y-%m-%d").to_string(),
            time: now.strftime("%H:%M").to_string(),
            tz: now.strftime("%Z").to_string(),
            from: account.name.clone(),
            from_number: account.fax_number.clone(),
            to: to.to_owned(),
            page: u32::try_from(index + 1).unwrap_or(u32::MAX),
            pages: Some(total),
        };
        header::stamp(&mut page, &header::expand(template, &fields), &HeaderOptions::default())?;
        out.push(page);
    }
    Ok(out)
}

/// The retry rules: by failure class, with doubling waits, a maximum number of
/// calls and the deadline.
fn decide(
    result: &CallResult,
    attempts: i64,
    pages_sent: i64,
    total: i64,
    r: &store::faxes::Recipient,
    policy: &RetryPolicy,
    now: i64,
) -> Next {
    let (first_wait, code, message): (Duration, &'static str, String) = match result {
        CallResult::Delivered => return Next::Final(RecipientStatus::Delivered, None),
        CallResult::Canceled => return Next::Final(RecipientStatus::Canceled, None),
        CallResult::Rejected => {
            return Next::Final(
                final_status(pages_sent),
                Some(("rejected", "the receiving fax refused the call".into())),
            );
        }
        CallResult::Unassigned => {
            return Next::Final(
                final_status(pages_sent),
                Some(("unassigned_number", "the number is not in service".into())),
            );
        }
        CallResult::NoRoute => {
            return Next::Final(
                final_status(pages_sent),
                Some(("no_route", "no carrier reaches this number (no SIP trunk is configured)".into())),
            );
        }
        CallResult::Busy => (policy.busy, "busy", "the line was busy".to_owned()),
        CallResult::NoAnswer => (policy.no_answer, "no_answer", "nobody answered".to_owned()),
        CallResult::Failed { code, message, retryable } => {
            if !retryable {
                return Next::Final(final_status(pages_sent), Some((code, message.clone())));
            }
            if pages_sent > 0 {
                (
                    policy.protocol,
                    "call_dropped",
                    format!("the call ended after {pages_sent} of {total} pages ({message})"),
                )
            } else {
                (policy.protocol, code, message.clone())
            }
        }
    };
    if pages_sent >= total {
        return Next::Final(RecipientStatus::Delivered, None);
    }
    let wait = first_wait.saturating_mul(1u32 << (attempts.clamp(1, 10) - 1) as u32);
    let at = now + i64::try_from(wait.as_millis()).unwrap_or(i64::MAX / 4);
    if attempts >= i64::from(policy.max_dials) || at >= r.deadline_at {
        return Next::Final(
            final_status(pages_sent),
            Some((code, format!("{message}; gave up after {attempts} calls"))),
        );
    }
    Next::Retry { at, code, message }
}

fn final_status(pages_sent: i64) -> RecipientStatus {
    if pages_sent > 0 { RecipientStatus::PartiallyDelivered } else { RecipientStatus::Failed }
}

/// Records the call's result, the received fax on the answering account, the
/// follow-up jobs and the job's completion in one transaction.
#[allow(clippy::too_many_arguments)]
async fn finish_with(
    app: &App,
    job: &store::jobs::Job,
    worker: &str,
    account: &store::accounts::Account,
    fax: &store::faxes::Fax,
    recipient: &store::faxes::Recipient,
    mut update: RecipientUpdate,
    received: Option<(String, telephony::call::ReceivedFax)>,
    next: Next,
) -> Result<Done, Error> {
    // The received image is stored before the transaction; if the transaction
    // fails, the orphan is unreadable without its row and the janitor's blob sweep
    // may remove it, while the call is simply repeated.
    let received_blob = match &received {
        Some((_, fax_in)) => Some(super::store_pages(app, "received", fax_in.pages.clone()).await?),
        None => None,
    };
    let now = now_ms();
    let mut tx = app.store.begin().await?;
    let retry_at = match &next {
        Next::Final(status, error) => {
            update.status = *status;
            if let Some((code, message)) = error {
                update.error_code = Some((*code).to_owned());
                update.error_message = Some(message.clone());
            } else if *status == RecipientStatus::Delivered {
                update.error_code = None;
                update.error_message = None;
            }
            update.next_attempt_at = None;
            None
        }
        Next::Retry { at, code, message } => {
            update.status = RecipientStatus::RetryScheduled;
            update.error_code = Some((*code).to_owned());
            update.error_message = Some(message.clone());
            update.next_attempt_at = Some(*at);
            Some(*at)
        }
    };
    let moved = store::faxes::update_recipient(&mut tx, &recipient.id, &update, now).await?;
    if let (Some((number, fax_in)), Some(blob)) = (&received, &received_blob)
        && let Some(callee) = store::accounts::by_fax_number(&mut tx, number).await?
    {
        let row = store::inbox::create(
            &mut tx,
            store::inbox::NewReceived {
                account_id: callee.id.clone(),
                from_number: Some(account.fax_number.clone()),
                remote_ident: fax_in.caller_ident.clone(),
                pages: fax_in.pages.len() as i64,
                blob_id: Some(blob.to_string()),
                rate: update.rate,
                ecm: update.ecm,
                duration_ms: update.duration_ms,
            },
            now,
        )
        .await?;
        super::notify::announce_received(&mut tx, &callee, &row, now).await?;
    }
    if moved {
        let current = store::faxes::recipient(&mut tx, &recipient.id).await?.ok_or(Error::NotFound)?;
        super::notify::announce_outcome(&mut tx, account, fax, &current, now).await?;
    }
    match retry_at {
        Some(at) => store::jobs::retry(&mut tx, &job.id, worker, at, "retry scheduled").await?,
        None => store::jobs::complete(&mut tx, &job.id, worker).await?,
    }
    tx.commit().await.map_err(store::Error::from)?;
    if retry_at.is_none() {
        super::cleanup_if_done(app, &fax.id).await?;
    }
    Ok(Done::Committed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recipient(deadline_at: i64) -> store::faxes::Recipient {
        store::faxes::Recipient {
            id: "rcp_1".into(),
            fax_id: "fax_1".into(),
            number: "+4930123456".into(),
            status: RecipientStatus::Dialing,
            error_code: None,
            error_message: None,
            pages_sent: 0,
            rate: None,
            ecm: None,
            remote_ident: None,
            duration_ms: None,
            attempts: 0,
            next_attempt_at: None,
            deadline_at,
            updated_at: 0,
            completed_at: None,
        }
    }

    const POLICY: RetryPolicy = RetryPolicy {
        max_dials: 3,
        deadline: Duration::from_secs(86_400),
        busy: Duration::from_secs(120),
        no_answer: Duration::from_secs(300),
        protocol: Duration::from_secs(60),
    };

    #[test]
    fn busy_waits_double_and_end_at_the_dial_limit() {
        let r = recipient(i64::MAX);
        assert_eq!(
            decide(&CallResult::Busy, 1, 0, 3, &r, &POLICY, 0),
            Next::Retry { at: 120_000, code: "busy", message: "the line was busy".into() }
        );
        assert!(matches!(
            decide(&CallResult::Busy, 2, 0, 3, &r, &POLICY, 0),
            Next::Retry { at: 240_000, .. }
        ));
        assert!(matches!(
            decide(&CallResult::Busy, 3, 0, 3, &r, &POLICY, 0),
            Next::Final(RecipientStatus::Failed, Some(("busy", _)))
        ));
    }

    #[test]
    fn the_deadline_ends_retries_and_partial_delivery_is_reported() {
        let r = recipient(100_000);
        assert!(matches!(
            decide(&CallResult::NoAnswer, 1, 0, 3, &r, &POLICY, 0),
            Next::Final(RecipientStatus::Failed, Some(("no_answer", _)))
        ));
        let dropped = CallResult::Failed {
            code: "remote_hung_up",
            message: "the line dropped".into(),
            retryable: true,
        };
        assert!(matches!(
            decide(&dropped, 3, 1, 3, &recipient(i64::MAX), &POLICY, 0),
            Next::Final(RecipientStatus::PartiallyDelivered, Some(("call_dropped", _)))
        ));
        assert!(matches!(
            decide(&dropped, 1, 1, 3, &recipient(i64::MAX), &POLICY, 0),
            Next::Retry { at: 60_000, .. }
        ));
    }

    #[test]
    fn final_results_are_final() {
        let r = recipient(i64::MAX);
        assert_eq!(
            decide(&CallResult::Delivered, 1, 3, 3, &r, &POLICY, 0),
            Next::Final(RecipientStatus::Delivered, None)
        );
        assert!(matches!(
            decide(&CallResult::Rejected, 1, 0, 3, &r, &POLICY, 0),
            Next::Final(RecipientStatus::Failed, Some(("rejected", _)))
        ));
        assert!(matches!(
            decide(&CallResult::Canceled, 1, 0, 3, &r, &POLICY, 0),
            Next::Final(RecipientStatus::Canceled, None)
        ));
    }
}
