//! `ferrofax admin do-not-fax …` and `ferrofax admin abuse …`: the operator's
//! side of the junk-fax defence, on the database the configuration names.
//!
//! They work on the database directly (through `server::junk::admin`), so they
//! need no running service; a running one sees the changes at once, because the
//! send path and the dial worker read the list on every fax.

use std::path::Path;

use anyhow::Context;
use server::api::views::rfc3339;
use server::junk::admin::Operator;

/// The junk-fax groups of `ferrofax admin`.
#[derive(Debug, clap::Subcommand)]
pub enum JunkCommand {
    /// The operator-wide do-not-fax list: numbers nobody can fax.
    #[command(subcommand, name = "do-not-fax")]
    DoNotFax(DoNotFaxCommand),
    /// Abuse reports sent through the public form.
    #[command(subcommand)]
    Abuse(AbuseCommand),
}

/// `ferrofax admin do-not-fax …`
#[derive(Debug, clap::Subcommand)]
pub enum DoNotFaxCommand {
    /// Puts a number on the list (international format; normalised to E.164).
    Add {
        /// The number.
        number: String,
    },
    /// Takes a number off the list.
    Remove {
        /// The number.
        number: String,
    },
    /// Prints the list: number, source (owner or operator), date added.
    List,
}

/// `ferrofax admin abuse …`
#[derive(Debug, clap::Subcommand)]
pub enum AbuseCommand {
    /// Prints reports, newest first: id, date, status, number, contact, text.
    List {
        /// Closed reports too.
        #[arg(long)]
        all: bool,
    },
    /// Closes a report.
    Close {
        /// The report id (`abr_…`).
        id: String,
        /// What was done about it.
        #[arg(long)]
        note: Option<String>,
    },
}

/// Runs one admin command.
pub fn run(command: JunkCommand, config: Option<&Path>) -> anyhow::Result<()> {
    let config = server::Config::load(config).context("loading the configuration")?;
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().context("starting the runtime")?;
    runtime.block_on(async move {
        let operator = Operator::open(&config).await.context("opening the database")?;
        let now = server::now_ms();
        match command {
            JunkCommand::DoNotFax(DoNotFaxCommand::Add { number }) => {
                let (number, added) = operator.do_not_fax_add(&number, now).await?;
                println!(
                    "{number} {}",
                    if added { "added to the do-not-fax list" } else { "was on the list already" }
                );
            }
            JunkCommand::DoNotFax(DoNotFaxCommand::Remove { number }) => {
                let (number, removed) = operator.do_not_fax_remove(&number).await?;
                if !removed {
                    anyhow::bail!("{number} is not on the do-not-fax list");
                }
                println!("{number} removed from the do-not-fax list");
            }
            JunkCommand::DoNotFax(DoNotFaxCommand::List) => {
                for entry in operator.do_not_fax_list().await? {
                    println!("{}\t{}\t{}", entry.number, entry.source, rfc3339(entry.created_at));
                }
            }
            JunkCommand::Abuse(AbuseCommand::List { all }) => {
                for report in operator.abuse_list(all).await? {
                    let status = match report.closed_at {
                        Some(at) => format!("closed {}", rfc3339(at)),
                        None => "open".to_owned(),
                    };
                    println!(
                        "{}\t{}\t{status}\t{}\t{}\t{}",
                        report.id,
                        rfc3339(report.created_at),
                        report.number,
                        report.contact.as_deref().unwrap_or("-"),
                        report.details.replace(['\n', '\t'], " ")
                    );
                    if let Some(note) = &report.resolution {
                        println!("\tresolution: {note}");
                    }
                }
            }
            JunkCommand::Abuse(AbuseCommand::Close { id, note }) => {
                if !operator.abuse_close(&id, note.as_deref(), now).await? {
                    anyhow::bail!("no open abuse report {id}");
                }
                println!("{id} closed");
            }
        }
        operator.store.close().await;
        Ok(())
    })
}
