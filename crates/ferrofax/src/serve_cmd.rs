//! `ferrofax serve`: the whole service in one process.

use std::path::PathBuf;

use anyhow::Context;

/// Arguments of `ferrofax serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Configuration file (TOML). Every key is optional; see docs/configuration.md.
    /// Also read from FERROFAX_CONFIG.
    #[arg(long, env = "FERROFAX_CONFIG")]
    config: Option<PathBuf>,
    /// Print the resolved configuration (secrets hidden) and exit.
    #[arg(long)]
    print_config: bool,
}

/// Runs the service until Ctrl-C or SIGTERM.
pub fn run(args: &ServeArgs) -> anyhow::Result<()> {
    init_logging();
    let config = server::Config::load(args.config.as_deref()).context("loading the configuration")?;
    if args.print_config {
        println!("{config:#?}");
        return Ok(());
    }
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the runtime")?;
    runtime.block_on(async move {
        let shutdown = tokio_util::sync::CancellationToken::new();
        let stop = shutdown.clone();
        tokio::spawn(async move {
            wait_for_signal().await;
            tracing::info!("shutting down");
            stop.cancel();
        });
        let (ready, address) = tokio::sync::oneshot::channel();
        tokio::spawn(async move {
            if let Ok(address) = address.await {
                // Printed (not only logged) so scripts and tests can find a port chosen by the system.
                println!("listening on http://{address}");
            }
        });
        server::serve(config, shutdown, Some(ready)).await
    })?;
    Ok(())
}

async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        if let Ok(mut term) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            tokio::select! {
                _ = ctrl_c => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = ctrl_c.await;
}

/// Logs to stderr; `RUST_LOG` filters (default `info`).
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}
