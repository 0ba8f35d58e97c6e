//! The `ferrofax` binary: one executable, several roles, chosen by subcommand.
//!
//! Today it carries the fax image tools, document rendering and single T.38 calls; the service (`serve`, `worker`, `migrate`)
//! and the fax tools join as their crates land. This is the only place in the
//! workspace where errors become `anyhow` reports.

mod clock;
mod fax_cmd;
mod image_cmd;
mod render_cmd;

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
    /// Renders documents (PDF, images, fax TIFFs) into one fax TIFF, with an
    /// optional header line and PNG previews.
    Render(render_cmd::RenderArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Image(command) => image_cmd::run(command),
        Command::Fax(command) => fax_cmd::run(command),
        Command::Render(args) => render_cmd::run(&args),
    }
}
