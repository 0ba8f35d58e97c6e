//! The `ferrofax` binary: one executable, several roles, chosen by subcommand.
//!
//! `serve` runs the service; `admin` changes what the service enforces (the
//! do-not-fax list, abuse reports, keys); `image`, `render` and `fax` are tools for
//! operators and for debugging the parts one at a time. This is the only place in the
//! workspace where errors become `anyhow` reports.

mod admin;
mod admin_junk;
mod admin_keys;
mod clock;
mod fax_cmd;
mod image_cmd;
mod render_cmd;
mod serve_cmd;

use clap::{Parser, Subcommand};

/// Ferrofax: a self-hostable online fax service that speaks fax itself.
#[derive(Debug, Parser)]
#[command(name = "ferrofax", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Fax images: convert between TIFF Class F, PBM and PNG, and inspect files.
    #[command(subcommand)]
    Image(image_cmd::ImageCommand),
    /// Fax calls over T.38 (UDPTL), for operators and debugging.
    #[command(subcommand)]
    Fax(fax_cmd::FaxCommand),
    /// Renders documents (PDF, Office, text, images, fax TIFFs) into one fax TIFF,
    /// with an optional cover page, header line and PNG previews.
    Render(render_cmd::RenderArgs),
    /// Operator tasks on the service's database and keys: the do-not-fax list,
    /// abuse reports, master-key rotation.
    Admin(admin::AdminArgs),
    /// Runs the service: HTTP API, web UI, job workers, janitor and the loopback
    /// carrier, with SQLite and local encrypted storage unless configured otherwise.
    Serve(serve_cmd::ServeArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // One TLS crypto provider for the whole process (ring; see crates/blob), before
    // any HTTPS client is made.
    blob::install_crypto_provider();
    match cli.command {
        Command::Image(command) => image_cmd::run(command),
        Command::Fax(command) => fax_cmd::run(command),
        Command::Render(args) => render_cmd::run(&args),
        Command::Serve(args) => serve_cmd::run(&args),
        Command::Admin(args) => admin::run(args),
    }
}
