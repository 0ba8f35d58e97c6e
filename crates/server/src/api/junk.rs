//! Junk-fax defence over HTTP: junk reports and the block list (for account
//! holders), and the public do-not-fax opt-out and abuse-report endpoints (for
//! anyone, throttled per client address). The rules are in [`crate::junk`].

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Json;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::views::rfc3339;
use crate::auth::Caller;
use crate::{App, Error, now_ms};

/// One entry of a block list.
#[derive(Debug, Serialize, ToSchema)]
pub struct BlockEntryView {
    /// Entry id.
    pub id: String,
    /// `number` (the caller's number, E.164) or `ident` (its fax identity, TSI).
    pub kind: String,
    /// The number or identity blocked.
    pub value: String,
    /// `report` (from a junk report) or `manual`.
    pub source: String,
    /// When it was added.
    pub created_at: String,
}

impl From<&store::junk::BlockEntry> for BlockEntryView {
    fn from(e: &store::junk::BlockEntry) -> BlockEntryView {
        BlockEntryView {
            id: e.id.clone(),
            kind: e.kind.as_str().to_owned(),
            value: e.value.clone(),
            source: e.source.clone(),
            created_at: rfc3339(e.created_at),
        }
    }
}

/// The caller's block list.
#[derive(Debug, Serialize, ToSchema)]
pub struct BlockList {
    /// Entries, newest first.
    pub entries: Vec<BlockEntryView>,
}

/// What a junk report did.
#[derive(Debug, Serialize, ToSchema)]
pub struct JunkReportView {
    /// The entries now blocking the sender (its number and its fax identity, as far
    /// as they are known). Empty when the sender sent neither.
    pub blocked: Vec<BlockEntryView>,
    /// Always true: the reported fax and its image are deleted.
    pub deleted: bool,
}

/// Reports a received fax as junk: its sender's number and fax identity go on the
/// caller's block list, so further calls from it are refused before any page, and
/// the fax is deleted.
#[utoipa::path(post, path = "/v1/inbox/{id}/junk", params(("id" = String, Path, description = "Received fax id")),
    responses((status = 200, body = JunkReportView), (status = 404, body = crate::ErrorBody)),
    security(("api_key" = []), ("session" = [])))]
pub async fn report(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<JunkReportView>, Error> {
    let report = crate::junk::report_junk(&app, &caller.account.id, &id, now_ms()).await?;
    Ok(Json(JunkReportView {
        blocked: report.blocked.iter().map(BlockEntryView::from).collect(),
        deleted: true,
    }))
}

/// The caller's block list, newest first (at most 500 entries).
#[utoipa::path(get, path = "/v1/block-list", responses((status = 200, body = BlockList)),
    security(("api_key" = []), ("session" = [])))]
pub async fn list(State(app): State<Arc<App>>, caller: Caller) -> Result<Json<BlockList>, Error> {
    let entries = block_entries(&app, &caller.account.id).await?;
    Ok(Json(BlockList { entries: entries.iter().map(BlockEntryView::from).collect() }))
}

/// Every entry of an account's list: one page holds it, because a list is
/// capped at `store::junk::MAX_BLOCKS`, which is `store::MAX_PAGE`.
pub async fn block_entries(app: &App, account_id: &str) -> Result<Vec<store::junk::BlockEntry>, Error> {
    let mut conn = app.store.acquire().await?;
    Ok(store::junk::blocks(&mut conn, account_id, store::MAX_PAGE).await?)
}

/// A block-list entry added by hand: exactly one of the two fields.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewBlock {
    /// A number in international format.
    #[serde(default)]
    pub number: Option<String>,
    /// A fax identity (TSI, at most 20 characters).
    #[serde(default)]
    pub ident: Option<String>,
}

/// Blocks a number or a fax identity for the caller.
#[utoipa::path(post, path = "/v1/block-list", request_body = NewBlock,
    responses((status = 201, body = BlockEntryView), (status = 422, body = crate::ErrorBody)),
    security(("api_key" = []), ("session" = [])))]
pub async fn add(
    State(app): State<Arc<App>>,
    caller: Caller,
    Json(form): Json<NewBlock>,
) -> Result<(StatusCode, Json<BlockEntryView>), Error> {
    let entry = crate::junk::block_by_hand(
        &app,
        &caller.account.id,
        form.number.as_deref(),
        form.ident.as_deref(),
        now_ms(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(BlockEntryView::from(&entry))))
}

/// Removes an entry from the caller's block list; calls from that sender are
/// answered again.
#[utoipa::path(delete, path = "/v1/block-list/{id}", params(("id" = String, Path, description = "Entry id")),
    responses((status = 204), (status = 404, body = crate::ErrorBody)), security(("api_key" = []), ("session" = [])))]
pub async fn remove(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, Error> {
    let mut conn = app.store.acquire().await?;
    if store::junk::unblock(&mut conn, &caller.account.id, &id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(Error::NotFound)
    }
}

/// A number's owner asks for it to receive no more faxes.
#[derive(Debug, Deserialize, ToSchema)]
pub struct OptOutRequest {
    /// The fax number, in international format.
    pub number: String,
}

/// An opt-out waiting for its code.
#[derive(Debug, Serialize, ToSchema)]
pub struct OptOutPending {
    /// Give this back with the code.
    pub request_id: String,
    /// When the code stops working.
    pub expires_at: String,
}

/// Starts an opt-out from all faxes sent through this service. No account is
/// needed: a one-page fax with a one-time code is sent to the number, and typing
/// that code in (`/v1/do-not-fax/confirm`) proves the number is yours.
#[utoipa::path(post, path = "/v1/do-not-fax/requests", request_body = OptOutRequest,
    responses((status = 202, body = OptOutPending), (status = 409, body = crate::ErrorBody), (status = 422, body = crate::ErrorBody), (status = 429, body = crate::ErrorBody)))]
pub async fn opt_out(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Json(form): Json<OptOutRequest>,
) -> Result<(StatusCode, Json<OptOutPending>), Error> {
    let started = crate::junk::start_opt_out(&app, &form.number, Some(peer.ip()), now_ms()).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(OptOutPending { request_id: started.request_id, expires_at: rfc3339(started.expires_at) }),
    ))
}

/// The code from the fax.
#[derive(Debug, Deserialize, ToSchema)]
pub struct OptOutConfirmation {
    /// From `/v1/do-not-fax/requests`.
    pub request_id: String,
    /// The code printed on the fax.
    pub code: String,
}

/// The number is on the do-not-fax list.
#[derive(Debug, Serialize, ToSchema)]
pub struct OptedOut {
    /// The number (E.164).
    pub number: String,
}

/// Confirms an opt-out with the faxed code; from then on nobody can fax the number
/// through this service.
#[utoipa::path(post, path = "/v1/do-not-fax/confirm", request_body = OptOutConfirmation,
    responses((status = 200, body = OptedOut), (status = 422, body = crate::ErrorBody)))]
pub async fn confirm(
    State(app): State<Arc<App>>,
    Json(form): Json<OptOutConfirmation>,
) -> Result<Json<OptedOut>, Error> {
    let number = crate::junk::confirm_opt_out(&app, &form.request_id, &form.code, now_ms()).await?;
    Ok(Json(OptedOut { number }))
}

/// A report of junk faxes or misuse, from anyone.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AbuseReportForm {
    /// How to reach you (e-mail or phone), if you want an answer. Optional; at most
    /// 254 characters.
    #[serde(default)]
    pub contact: Option<String>,
    /// The number that sent you junk, or the Ferrofax number that was misused.
    pub number: String,
    /// What happened; at most 4000 characters.
    #[serde(default)]
    pub details: String,
}

/// The stored report.
#[derive(Debug, Serialize, ToSchema)]
pub struct AbuseReportReceipt {
    /// Report id, to refer to it.
    pub id: String,
}

/// Reports junk faxes or misuse of the service without an account. Throttled per
/// client address.
#[utoipa::path(post, path = "/v1/abuse-reports", request_body = AbuseReportForm,
    responses((status = 201, body = AbuseReportReceipt), (status = 422, body = crate::ErrorBody), (status = 429, body = crate::ErrorBody)))]
pub async fn abuse_report(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Json(form): Json<AbuseReportForm>,
) -> Result<(StatusCode, Json<AbuseReportReceipt>), Error> {
    let input = crate::junk::AbuseInput {
        contact: form.contact.map(pii::Pii::new),
        number: pii::Pii::new(form.number),
        details: pii::Pii::new(form.details),
    };
    let report = crate::junk::submit_abuse_report(&app, input, Some(peer.ip()), now_ms()).await?;
    Ok((StatusCode::CREATED, Json(AbuseReportReceipt { id: report.id })))
}
