//! The Ferrofax service: everything `ferrofax serve` runs in one process.
//!
//! - [`api`](mod@api): the HTTP API under `/v1` (JSON, documented by the OpenAPI
//!   document at `/openapi.json`), authenticated by a session cookie or an API key.
//! - [`ui`](mod@ui): a small server-rendered web UI over the same functions.
//! - [`jobs`]: workers that claim jobs from the durable queue in `store` — render a
//!   fax, dial a recipient, send a mail, deliver a webhook — under leases, so a job
//!   whose worker died is taken over by another.
//! - [`janitor`]: the scheduled deletions the privacy promises require.
//!
//! The HTTP layer never talks to the phone line: it records the request durably
//! (uploads encrypted in `blob`, the fax and its first job in one database
//! transaction) and answers; workers do the rest.

pub mod api;
mod app;
mod auth;
pub mod config;
mod error;
pub mod ip;
pub mod janitor;
pub mod jobs;
pub mod junk;
pub mod key_rotation;
mod secrets;
pub mod ui;

use std::sync::Arc;

pub use app::{App, now_ms};
pub use config::Config;
pub use error::{Error, ErrorBody};
use tokio_util::sync::CancellationToken;

/// Starts every part of the service and runs until `shutdown` is cancelled.
///
/// `ready` receives the bound address once the listener is up (port 0 in the
/// configuration picks a free port, which tests rely on).
pub async fn serve(
    config: Config,
    shutdown: CancellationToken,
    ready: Option<tokio::sync::oneshot::Sender<std::net::SocketAddr>>,
) -> Result<(), Error> {
    let app = Arc::new(App::open(config).await?);
    let listener = tokio::net::TcpListener::bind(app.config.listen).await?;
    let address = listener.local_addr()?;
    tracing::info!(%address, backend = ?app.store.backend(), "ferrofax serve is listening");

    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..app.config.workers {
        let worker = jobs::Worker::new(app.clone(), format!("{}-w{n}", app.node));
        tasks.spawn(worker.run(shutdown.clone()));
    }
    tasks.spawn(janitor::run(app.clone(), shutdown.clone()));

    if let Some(ready) = ready {
        let _ = ready.send(address);
    }
    let router = api::router(app.clone());
    let stop = shutdown.clone();
    let served = axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(async move { stop.cancelled().await })
        .await;
    shutdown.cancel();
    while tasks.join_next().await.is_some() {}
    served.map_err(Error::Io)
}
