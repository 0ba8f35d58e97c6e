//! The `dnf_code` job: faxes a do-not-fax opt-out code to the number it is for.
//!
//! The code travels the way a fax to that number would: a one-page text document
//! rendered like any upload, placed directly through the carrier with the
//! service's own identity ([`crate::junk::SERVICE_IDENT`]). It does not go through
//! an account's outbox, because no account sends it. When the number belongs to an
//! account of this service, the fax lands in that account's inbox like any other
//! (a block of the service's identity is honoured). The code is in the job's
//! payload until the job completes, and nowhere else in clear: the challenge row
//! holds only its hash.

use serde::{Deserialize, Serialize};
use store::AnyConnection;
use telephony::call::{Answer, CallResult, OutgoingCall};
use telephony::loopback::Route;
use tokio_util::sync::CancellationToken;

use super::Done;
use crate::junk::SERVICE_IDENT;
use crate::{App, Error, now_ms};

/// Calls made for one code before the service gives up (the owner can ask again).
const MAX_CALLS: i64 = 3;
/// Wait between calls when the line was busy or did not answer.
const RETRY_WAIT_MS: i64 = 60_000;

/// Payload of a `dnf_code` job.
#[derive(Clone, Serialize, Deserialize)]
pub struct CodeFaxJob {
    /// The opt-out request (challenge).
    pub challenge_id: String,
    /// Where to fax the code (E.164).
    pub number: String,
    /// The code.
    pub code: String,
}

impl std::fmt::Debug for CodeFaxJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CodeFaxJob").field("challenge_id", &self.challenge_id).finish_non_exhaustive()
    }
}

/// Queues the code fax of an opt-out request.
pub async fn enqueue_code_fax(conn: &mut AnyConnection, job: &CodeFaxJob, now: i64) -> Result<(), Error> {
    super::enqueue(
        conn,
        "dnf_code",
        job,
        now,
        Some(format!("number:{}", job.number)),
        None,
        Some(format!("dnf_code:{}", job.challenge_id)),
    )
    .await
}

pub(crate) async fn run(
    app: &App,
    job: &store::jobs::Job,
    worker: &str,
    cancel: &CancellationToken,
) -> Result<Done, Error> {
    let payload: CodeFaxJob =
        serde_json::from_str(&job.payload).map_err(|e| Error::Internal(e.to_string()))?;
    let mut conn = app.store.acquire().await?;
    if store::junk::challenge(&mut conn, &payload.challenge_id, now_ms()).await?.is_none() {
        // Used, expired or discarded: the code is worthless now, so nothing is sent.
        store::jobs::complete(&mut conn, &job.id, worker).await?;
        return Ok(Done::Committed);
    }
    let route = app.carrier.route(&payload.number);
    let answer = match &route {
        Route::Account(number) => match store::accounts::by_fax_number(&mut conn, number).await? {
            Some(callee) => {
                if store::junk::is_blocked(&mut conn, &callee.id, None, Some(SERVICE_IDENT)).await? {
                    Answer::Reject
                } else {
                    Answer::Accept { ident: callee.fax_number.chars().take(20).collect() }
                }
            }
            None => Answer::Unassigned,
        },
        _ => Answer::NoAnswer,
    };
    drop(conn);
    let code = payload.code.clone();
    let pages = tokio::task::spawn_blocking(move || crate::junk::code_fax_pages(&code))
        .await
        .map_err(|e| Error::Internal(e.to_string()))??;
    let call = OutgoingCall {
        from: String::new(),
        to: payload.number.clone(),
        sender_ident: SERVICE_IDENT.to_owned(),
        pages,
        ecm: true,
        max_rate: None,
    };
    let answerer = move |_to: &str, _from: &str| answer.clone();
    let report = app.carrier.place(call, &answerer, cancel).await;
    tracing::info!(request = %payload.challenge_id, result = ?report.result, "do-not-fax code call ended");
    let again = matches!(
        report.result,
        CallResult::Busy | CallResult::NoAnswer | CallResult::Failed { retryable: true, .. }
    );
    if again && job.attempts < MAX_CALLS {
        return Ok(Done::RetryAt(now_ms() + RETRY_WAIT_MS, "code fax not delivered".into()));
    }
    let received = match (&route, report.received) {
        (Route::Account(number), Some(received)) if !received.pages.is_empty() => {
            Some((number.clone(), received))
        }
        _ => None,
    };
    let blob = match &received {
        Some((_, fax_in)) => Some(super::store_pages(app, "received", fax_in.pages.clone()).await?),
        None => None,
    };
    let now = now_ms();
    let mut tx = app.store.begin().await?;
    if let (Some((number, fax_in)), Some(blob)) = (&received, &blob)
        && let Some(callee) = store::accounts::by_fax_number(&mut tx, number).await?
    {
        let row = store::inbox::create(
            &mut tx,
            store::inbox::NewReceived {
                account_id: callee.id.clone(),
                from_number: None,
                remote_ident: fax_in.caller_ident.clone(),
                pages: fax_in.pages.len() as i64,
                blob_id: Some(blob.to_string()),
                rate: report.rate.map(i64::from),
                ecm: report.ecm,
                duration_ms: Some(i64::try_from(report.duration.as_millis()).unwrap_or(i64::MAX)),
            },
            now,
        )
        .await?;
        super::notify::announce_received(&mut tx, &callee, &row, now).await?;
    }
    store::jobs::complete(&mut tx, &job.id, worker).await?;
    tx.commit().await.map_err(store::Error::from)?;
    Ok(Done::Committed)
}
