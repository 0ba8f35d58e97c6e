//! The janitor: scheduled deletions that keep the data promises.
//!
//! | data | rule |
//! | --- | --- |
//! | uploaded files | deleted as soon as every recipient of their fax reached a final state (done right away by the worker; the janitor catches anything left), and after `retention.unsent_upload_days` (30) when the fax never got that far |
//! | rendered fax images | deleted with the uploads |
//! | access log (IP address, user agent, session) | deleted after `retention.access_log_days` (30) |
//! | sessions, login-throttle entries, idempotency keys | deleted when expired (sessions), after 15 minutes (throttle) and after 7 days (keys) |
//! | do-not-fax opt-out requests, daily page usage | deleted when the code expires (1 hour), and after the next UTC day |
//!
//! Every run takes the time as an argument ([`run_once`]), so tests can stand at
//! the exact boundary of each rule.

use std::collections::BTreeSet;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::{App, Error, jobs, now_ms};

/// How long idempotency keys are remembered.
pub const IDEMPOTENCY_KEEP_MS: i64 = 7 * 86_400_000;

/// What one run deleted.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    /// Uploaded documents deleted.
    pub documents: usize,
    /// Access-log entries deleted.
    pub access_log: u64,
    /// Expired sessions deleted.
    pub sessions: u64,
}

/// Runs the janitor every `retention.janitor_seconds` until `shutdown`.
pub async fn run(app: Arc<App>, shutdown: CancellationToken) {
    loop {
        match run_once(&app, now_ms()).await {
            Ok(report) if report != Report::default() => {
                tracing::info!(?report, "janitor deleted expired data")
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "janitor run failed"),
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(app.config.janitor_every) => {}
        }
    }
}

/// One pass of every rule, as of `now`.
pub async fn run_once(app: &App, now: i64) -> Result<Report, Error> {
    let mut report = Report::default();
    let unsent_after = i64::try_from(app.config.unsent_upload_retention.as_millis()).unwrap_or(i64::MAX);
    let mut conn = app.store.acquire().await?;
    let documents = store::faxes::documents_to_delete(&mut conn, now, unsent_after).await?;
    drop(conn);
    let mut faxes = BTreeSet::new();
    for document in &documents {
        jobs::delete_document(app, document).await?;
        faxes.insert(document.fax_id.clone());
        report.documents += 1;
    }
    for fax in faxes {
        jobs::cleanup_if_done(app, &fax).await?;
    }
    let mut conn = app.store.acquire().await?;
    let access_keep = i64::try_from(app.config.access_log_retention.as_millis()).unwrap_or(i64::MAX);
    report.access_log = store::access_log::purge_before(&mut conn, now.saturating_sub(access_keep)).await?;
    report.sessions = store::sessions::purge_expired(&mut conn, now).await?;
    store::throttle::purge_before(&mut conn, now - crate::auth::THROTTLE_WINDOW_MS).await?;
    store::idempotency::purge_before(&mut conn, now - IDEMPOTENCY_KEEP_MS).await?;
    // Junk-fax defence: expired opt-out codes go at once; page usage is kept for the
    // current and the previous UTC day only (the quota needs today's).
    store::junk::purge_challenges(&mut conn, now).await?;
    store::usage::purge_before(&mut conn, store::usage::utc_day(now) - 1).await?;
    Ok(report)
}
