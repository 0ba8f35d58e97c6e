//! `ferrofax admin`: operator tasks on an installation's database and keys.
//!
//! Each group of commands lives in its own module with its own subcommand enum,
//! flattened into one `admin` command here; every command reads the configuration
//! `ferrofax serve` reads (the `--config` file and the `FERROFAX_*` variables), so
//! it acts on the same database, blob store and key files.

use std::path::PathBuf;

use clap::Subcommand;

use crate::{admin_junk, admin_keys};

/// Arguments of `ferrofax admin`.
#[derive(Debug, clap::Args)]
pub struct AdminArgs {
    /// Configuration file (TOML), as for `ferrofax serve`. Also read from
    /// FERROFAX_CONFIG; the FERROFAX_* variables apply as well.
    #[arg(long, env = "FERROFAX_CONFIG", global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: AdminCommand,
}

/// Every admin command, by group.
#[derive(Debug, Subcommand)]
enum AdminCommand {
    #[command(flatten)]
    Junk(admin_junk::JunkCommand),
    #[command(flatten)]
    Keys(admin_keys::KeysCommand),
}

/// Runs one admin command.
pub fn run(args: AdminArgs) -> anyhow::Result<()> {
    let config = args.config.as_deref();
    match args.command {
        AdminCommand::Junk(command) => admin_junk::run(command, config),
        AdminCommand::Keys(command) => admin_keys::run(command, config),
    }
}
