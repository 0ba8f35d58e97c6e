//! API keys: create (the secret is shown once), list, revoke.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::views::ApiKeyView;
use crate::auth::{self, Caller};
use crate::{App, Error, now_ms};

/// Most keys an account may hold (revoked ones included).
const MAX_KEYS: usize = 50;

/// A key to create.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewKey {
    /// A name to recognise it by.
    pub name: String,
}

/// A created key with its secret, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedKey {
    /// The key.
    #[serde(flatten)]
    pub key: ApiKeyView,
    /// The full token for `Authorization: Bearer …`.
    pub token: String,
}

/// The caller's API keys.
#[utoipa::path(get, path = "/v1/api-keys", responses((status = 200, body = Vec<ApiKeyView>)),
    security(("api_key" = []), ("session" = [])))]
pub async fn list(State(app): State<Arc<App>>, caller: Caller) -> Result<Json<Vec<ApiKeyView>>, Error> {
    let mut conn = app.store.acquire().await?;
    let keys = store::api_keys::list(&mut conn, &caller.account.id).await?;
    Ok(Json(keys.iter().map(ApiKeyView::from).collect()))
}

/// Creates an API key.
#[utoipa::path(post, path = "/v1/api-keys", request_body = NewKey, responses((status = 201, body = CreatedKey)),
    security(("api_key" = []), ("session" = [])))]
pub async fn create(
    State(app): State<Arc<App>>,
    caller: Caller,
    Json(body): Json<NewKey>,
) -> Result<(StatusCode, Json<CreatedKey>), Error> {
    let created = create_key(&app, &caller.account.id, &body.name).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Creates a key for an account.
pub async fn create_key(app: &App, account_id: &str, name: &str) -> Result<CreatedKey, Error> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(Error::invalid("invalid_name", "the key name must have 1 to 100 characters"));
    }
    let mut conn = app.store.acquire().await?;
    if store::api_keys::list(&mut conn, account_id).await?.len() >= MAX_KEYS {
        return Err(Error::Conflict {
            code: "too_many_keys",
            message: format!("an account may hold {MAX_KEYS} keys"),
        });
    }
    let (prefix, token, hash) = auth::new_api_key()?;
    let key = store::api_keys::create(&mut conn, account_id, name, &prefix, &hash, now_ms()).await?;
    Ok(CreatedKey { key: ApiKeyView::from(&key), token })
}

/// Revokes an API key; it stops working at once.
#[utoipa::path(delete, path = "/v1/api-keys/{id}", params(("id" = String, Path, description = "Key id")),
    responses((status = 204), (status = 404, body = crate::ErrorBody)), security(("api_key" = []), ("session" = [])))]
pub async fn revoke(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, Error> {
    let mut conn = app.store.acquire().await?;
    if store::api_keys::revoke(&mut conn, &caller.account.id, &id, now_ms()).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(Error::NotFound)
    }
}
