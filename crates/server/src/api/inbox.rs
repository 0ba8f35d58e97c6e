//! Received faxes: list, get, PDF, delete.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::Deserialize;
use utoipa::IntoParams;

use super::views::{InboxList, ReceivedView};
use crate::auth::Caller;
use crate::{App, Error, jobs, now_ms};

/// Paging of the inbox.
#[derive(Debug, Deserialize, IntoParams)]
pub struct InboxQuery {
    /// Cursor from the previous page.
    pub cursor: Option<String>,
    /// Page size, 1–100 (default 25).
    pub limit: Option<u32>,
}

/// Faxes received on the caller's number, newest first.
#[utoipa::path(get, path = "/v1/inbox", params(InboxQuery), responses((status = 200, body = InboxList)),
    security(("api_key" = []), ("session" = [])))]
pub async fn list(
    State(app): State<Arc<App>>,
    caller: Caller,
    Query(query): Query<InboxQuery>,
) -> Result<Json<InboxList>, Error> {
    let limit = query.limit.unwrap_or(25).clamp(1, 100);
    let mut conn = app.store.acquire().await?;
    let faxes = store::inbox::list(&mut conn, &caller.account.id, query.cursor.as_deref(), limit).await?;
    let next_cursor = (faxes.len() == limit as usize).then(|| faxes.last().map(|f| f.id.clone())).flatten();
    Ok(Json(InboxList { faxes: faxes.iter().map(ReceivedView::from).collect(), next_cursor }))
}

/// One received fax.
#[utoipa::path(get, path = "/v1/inbox/{id}", params(("id" = String, Path, description = "Received fax id")),
    responses((status = 200, body = ReceivedView), (status = 404, body = crate::ErrorBody)), security(("api_key" = []), ("session" = [])))]
pub async fn get(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ReceivedView>, Error> {
    let mut conn = app.store.acquire().await?;
    let received = store::inbox::get(&mut conn, &caller.account.id, &id).await?.ok_or(Error::NotFound)?;
    Ok(Json(ReceivedView::from(&received)))
}

/// The received fax as a PDF (pages embedded as CCITT G4, exactly as received).
#[utoipa::path(get, path = "/v1/inbox/{id}/pdf", params(("id" = String, Path, description = "Received fax id")),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>), (status = 404, body = crate::ErrorBody)),
    security(("api_key" = []), ("session" = [])))]
pub async fn pdf(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, Error> {
    let pdf = received_pdf(&app, &caller.account.id, &id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"fax.pdf\""),
        ],
        pdf,
    ))
}

/// The PDF of a received fax of an account; marks it read.
pub async fn received_pdf(app: &App, account_id: &str, id: &str) -> Result<Vec<u8>, Error> {
    let mut conn = app.store.acquire().await?;
    let received = store::inbox::get(&mut conn, account_id, id).await?.ok_or(Error::NotFound)?;
    let blob = received.blob_id.ok_or(Error::NotFound)?;
    store::inbox::mark_read(&mut conn, account_id, id, now_ms()).await?;
    drop(conn);
    jobs::tiff_blob_to_pdf(app, &blob, "Received fax").await
}

/// Deletes a received fax and its image.
#[utoipa::path(delete, path = "/v1/inbox/{id}", params(("id" = String, Path, description = "Received fax id")),
    responses((status = 204), (status = 404, body = crate::ErrorBody)), security(("api_key" = []), ("session" = [])))]
pub async fn delete(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, Error> {
    delete_received(&app, &caller.account.id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Deletes a received fax of an account.
pub async fn delete_received(app: &App, account_id: &str, id: &str) -> Result<(), Error> {
    let mut conn = app.store.acquire().await?;
    let received = store::inbox::delete(&mut conn, account_id, id).await?.ok_or(Error::NotFound)?;
    drop(conn);
    if let Some(blob) = received.blob_id.and_then(|b| b.parse::<blob::BlobId>().ok()) {
        app.blobs.delete(&blob).await?;
    }
    Ok(())
}
