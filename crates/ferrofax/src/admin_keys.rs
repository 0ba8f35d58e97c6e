//! `ferrofax admin rotate-key`: a new master key without downtime.
//!
//! The work is done by `server::key_rotation`; this is the command line around it.
//! Run it on a host that sees the service's key file and configuration, while the
//! service runs: `rotate-key` makes the new key and re-wraps every data key,
//! `rotate-key --retire` then deletes the old key once nothing names it.

use std::path::Path;

use anyhow::Context;

/// The key groups of `ferrofax admin`.
#[derive(Debug, clap::Subcommand)]
pub enum KeysCommand {
    /// Makes a new master key and re-wraps every blob's data key and the database's
    /// column key under it (resuming an unfinished rotation instead, if there is
    /// one); with --retire, deletes old keys that wrap nothing any more.
    RotateKey(RotateKeyArgs),
}

/// Arguments of `ferrofax admin rotate-key`.
#[derive(Debug, clap::Args)]
pub struct RotateKeyArgs {
    /// Delete the previous keys that no blob and no column key is wrapped by any more
    /// (the second step, after a complete rotation).
    #[arg(long)]
    retire: bool,
    /// Stop after re-wrapping this many blobs; running the command again continues.
    #[arg(long)]
    max_objects: Option<u64>,
}

/// Runs an admin command.
pub fn run(command: KeysCommand, config: Option<&Path>) -> anyhow::Result<()> {
    match command {
        KeysCommand::RotateKey(args) => rotate_key(&args, config),
    }
}

fn rotate_key(args: &RotateKeyArgs, config: Option<&Path>) -> anyhow::Result<()> {
    if std::env::var("FERROFAX_MASTER_KEY").is_ok_and(|v| !v.is_empty()) {
        anyhow::bail!(
            "the master key comes from FERROFAX_MASTER_KEY, which this command cannot change; \
             use a key file (blob.master_key_file) to rotate without downtime"
        );
    }
    let config = server::Config::load(config).context("loading the configuration")?;
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the runtime")?;
    runtime.block_on(async move {
        let app = server::App::open(config).await.context("opening the database and the blob store")?;
        if args.retire {
            let report = server::key_rotation::retire(&app.store, &app.blobs).await?;
            println!("current key: {}", report.current_key_id);
            for key in &report.retired {
                println!("retired key {key}: its file is deleted");
            }
            for (key, count) in &report.still_wrapped {
                println!("kept key {key}: {count} objects are still wrapped by it; run rotate-key again, then --retire");
            }
            if report.retired.is_empty() && report.still_wrapped.is_empty() {
                println!("no previous keys");
            }
        } else {
            let report = server::key_rotation::rotate(&app.store, &app.blobs, args.max_objects).await?;
            match &report.new_key_id {
                Some(key) => println!("new master key: {key}"),
                None => println!("resuming the rotation to key {}", report.current_key_id),
            }
            println!(
                "column keys re-wrapped: {}; blobs re-wrapped: {}, already current: {}, deleted meanwhile: {}",
                report.column_keys_rewrapped, report.blobs_rewrapped, report.blobs_current, report.blobs_vanished
            );
            if report.stopped_early {
                println!("stopped at --max-objects; run rotate-key again to continue");
            } else {
                println!("done; run `ferrofax admin rotate-key --retire` to delete the old key");
            }
        }
        app.store.close().await;
        anyhow::Ok(())
    })
}
