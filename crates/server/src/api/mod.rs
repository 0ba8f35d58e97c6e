//! The HTTP API (`/v1/…`), the OpenAPI document and the router that joins them
//! with the web UI.
//!
//! Routes are registered through `utoipa_axum`, so a handler cannot be served
//! without appearing in `/openapi.json`, and the document cannot name a route that
//! does not exist.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::{App, now_ms, secrets};

pub mod accounts;
pub mod contacts;
// utoipa's expansion of `params(QueryType)` on the list handlers re-qualifies the
// extractor's path, which `unused_qualifications` flags in code we did not write.
#[allow(unused_qualifications)]
pub mod faxes;
#[allow(unused_qualifications)]
pub mod inbox;
pub mod junk;
pub mod keys;
pub mod views;

/// The OpenAPI document's fixed parts; paths come from the handlers.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Ferrofax API",
        description = "Send and receive faxes. Authenticate with `Authorization: Bearer ffx_…` (an API key) or the session cookie of the web UI. Errors are JSON `{\"error\": {\"code\", \"message\"}}` with a stable code.",
        license(name = "MIT OR Apache-2.0")
    ),
    components(schemas(crate::ErrorBody)),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(utoipa::openapi::security::ApiKey::Cookie(
                utoipa::openapi::security::ApiKeyValue::new(crate::auth::SESSION_COOKIE),
            )),
        );
    }
}

/// The API routes and their OpenAPI document.
pub fn api() -> (Router<Arc<App>>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(accounts::register))
        .routes(routes!(accounts::login))
        .routes(routes!(accounts::logout))
        .routes(routes!(accounts::me, accounts::update_me))
        .routes(routes!(accounts::verify_email))
        .routes(routes!(accounts::request_password_reset))
        .routes(routes!(accounts::confirm_password_reset))
        .routes(routes!(accounts::webhook_deliveries))
        .routes(routes!(keys::list, keys::create))
        .routes(routes!(keys::revoke))
        .routes(routes!(faxes::send, faxes::list))
        .routes(routes!(faxes::get))
        .routes(routes!(faxes::cancel))
        .routes(routes!(faxes::resend))
        .routes(routes!(faxes::document))
        .routes(routes!(inbox::list))
        .routes(routes!(inbox::get, inbox::delete))
        .routes(routes!(inbox::pdf))
        .routes(routes!(junk::report))
        .routes(routes!(junk::list, junk::add))
        .routes(routes!(junk::remove))
        .routes(routes!(junk::opt_out))
        .routes(routes!(junk::confirm))
        .routes(routes!(junk::abuse_report))
        .routes(routes!(contacts::list, contacts::create))
        .routes(routes!(contacts::get, contacts::update, contacts::delete))
        .split_for_parts()
}

/// Everything the server answers: API, OpenAPI document, web UI, health check.
pub fn router(app: Arc<App>) -> Router {
    let (api, openapi) = api();
    let openapi = Arc::new(openapi);
    let limit = usize::try_from(app.config.max_request_bytes).unwrap_or(usize::MAX);
    Router::new()
        .merge(api)
        .merge(crate::ui::router())
        .route(
            "/openapi.json",
            axum::routing::get(move || {
                let openapi = openapi.clone();
                async move { axum::Json(openapi.as_ref().clone()) }
            }),
        )
        .route("/healthz", axum::routing::get(|| async { "ok" }))
        .layer(axum::extract::DefaultBodyLimit::max(limit))
        .layer(axum::middleware::from_fn_with_state(app.clone(), access_log))
        .with_state(app)
}

/// Records each request in the access log: time, client address (truncated to
/// its /24 or /48 unless `privacy.truncate_ip` is off), user agent,
/// a tag of the session cookie, method, route template (never the raw path, which
/// may hold ids or tokens) and status. The janitor deletes entries after
/// `retention.access_log_days`.
async fn access_log(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let method = request.method().to_string();
    let path = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "(unmatched)".to_owned(), |p| p.as_str().to_owned());
    // Shortened before the entry exists (privacy.truncate_ip), so the full address
    // is never written.
    let ip = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| crate::ip::for_log(c.0.ip(), app.config.truncate_ip));
    let user_agent = request
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.chars().take(256).collect::<String>());
    let session_hash = axum_extra::extract::CookieJar::from_headers(request.headers())
        .get(crate::auth::SESSION_COOKIE)
        .map(|c| hex::encode(&secrets::hash(c.value())[..8]));
    let response = next.run(request).await;
    let entry = store::access_log::AccessEntry {
        at: now_ms(),
        ip,
        user_agent,
        session_hash,
        account_id: None,
        method,
        path,
        status: i64::from(response.status().as_u16()),
    };
    match app.store.acquire().await {
        Ok(mut conn) => {
            if let Err(error) = store::access_log::append(&mut conn, &entry).await {
                tracing::warn!(%error, "access log entry lost");
            }
        }
        Err(error) => tracing::warn!(%error, "access log entry lost"),
    }
    response
}
