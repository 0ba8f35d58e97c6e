//! `ferrofax fax send|receive`: one T.38 call over UDPTL, for operators and
//! debugging, printing the T.30 progress and the final statistics.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use fax_image::header::{self, HeaderFields, HeaderOptions};
use fax_image::tiff::{self, PageMetadata, WriteOptions};
use fax_image::{Limits, Page};
use fax_line::t38;
use fax_t30::session::{Config, Event, Job, Outcome, PageQuality, Role};
use fax_t30::{Ident, Rate, RateSet};

#[derive(Debug, Subcommand)]
pub(crate) enum FaxCommand {
    /// Sends a TIFF (or PBM) document in one T.38 call.
    Send {
        /// The document: TIFF Class F, or PBM for test pages.
        file: PathBuf,
        #[command(flatten)]
        call: CallArgs,
    },
    /// Receives one T.38 call and writes the pages to a TIFF file.
    Receive {
        /// Where to write the received pages (TIFF Class F, MMR).
        #[arg(short, long)]
        output: PathBuf,
        #[command(flatten)]
        call: CallArgs,
    },
}

#[derive(Debug, Args)]
pub(crate) struct CallArgs {
    /// Local UDP address for UDPTL, e.g. 127.0.0.1:4000.
    #[arg(long)]
    udptl: SocketAddr,
    /// The peer's UDPTL address; datagrams from anywhere else are ignored.
    #[arg(long)]
    remote: SocketAddr,
    /// Use error correction mode (the default).
    #[arg(long, overrides_with = "no_ecm")]
    ecm: bool,
    /// Do not offer or use error correction mode.
    #[arg(long)]
    no_ecm: bool,
    /// Highest image data rate in bit/s: 14400, 12000, 9600, 7200, 4800 or 2400.
    #[arg(long, default_value_t = 14400)]
    max_rate: u16,
    /// Our identity (TSI when sending, CSI when receiving): digits, '+' and spaces.
    #[arg(long)]
    ident: Option<String>,
    /// Stamp a header line on every page sent. A template with {date}, {time},
    /// {tz}, {from}, {from_number}, {to}, {page} and {pages} is expanded; plain text
    /// becomes the sender name in "{date} {time} {tz}  FROM: TEXT {from_number}
    /// P.{page}/{pages}". Date and time are UTC.
    #[arg(long)]
    header: Option<String>,
    /// Which side of the call we are: the caller sends CNG and waits for DIS.
    /// Defaults to calling when sending and answering when receiving.
    #[arg(long, value_enum)]
    role: Option<RoleArg>,
    /// T.38 version to speak (0 to 3).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=3))]
    t38_version: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum RoleArg {
    Calling,
    Answering,
}

/// A call ends by the T.30 timers; this only guards against a bug.
const CALL_LIMIT: Duration = Duration::from_secs(3600);

pub(crate) fn run(command: FaxCommand) -> Result<()> {
    let (job, call, output) = match command {
        FaxCommand::Send { file, call } => {
            let mut pages = read_document(&file)?;
            if let Some(header) = &call.header {
                stamp_headers(&mut pages, header, call.ident.as_deref().unwrap_or(""), call.remote)?;
            }
            (Job::Send(pages), call, None)
        }
        FaxCommand::Receive { output, call } => {
            if call.header.is_some() {
                bail!("--header applies to pages we send; the receiving side stamps nothing");
            }
            (Job::Receive, call, Some(output))
        }
    };
    let role = match (call.role, &job) {
        (Some(RoleArg::Calling), _) | (None, Job::Send(_)) => Role::Calling,
        (Some(RoleArg::Answering), _) | (None, Job::Receive) => Role::Answering,
    };
    let mut session = Config::new(role, job);
    session.ecm = !call.no_ecm;
    session.rates = rates_up_to(call.max_rate)?;
    if let Some(ident) = &call.ident {
        session.ident = Some(Ident::new(ident).map_err(|e| anyhow::anyhow!("--ident: {e}"))?);
    }
    let mut config = t38::Config::new(session);
    config.version = fax_t38::Version::ALL[usize::from(call.t38_version)];

    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let (outcome, pages) = runtime.block_on(async {
        let socket = tokio::net::UdpSocket::bind(call.udptl)
            .await
            .with_context(|| format!("cannot bind UDP {}", call.udptl))?;
        let start = Instant::now();
        let mut terminal = t38::Terminal::new(config, start)?;
        let mut outcome = None;
        let mut pages = Vec::new();
        telephony::udptl::run(&mut terminal, &socket, call.remote, CALL_LIMIT, |event| {
            report(event, start);
            match event {
                Event::PageReceived { page, report, quality, .. } if *quality != PageQuality::Rejected => {
                    pages.push((page.clone(), PageMetadata::from_report(report)));
                }
                Event::Completed(done) => outcome = Some(done.clone()),
                _ => {}
            }
        })
        .await?;
        anyhow::Ok((outcome, pages))
    })?;
    if let Some(path) = output
        && !pages.is_empty()
    {
        let options = WriteOptions {
            software: Some(concat!("Ferrofax ", env!("CARGO_PKG_VERSION")).to_owned()),
            ..WriteOptions::default()
        };
        let bytes = tiff::write_with_metadata(pages.iter().map(|(p, m)| (p, m)), &options)?;
        std::fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
        println!("wrote {} page(s) to {}", pages.len(), path.display());
    }
    let outcome = outcome.context("the call ended without an outcome")?;
    print_summary(&outcome);
    match &outcome.result {
        Ok(()) => Ok(()),
        Err(failure) => bail!("fax failed: {} ({failure})", failure.code()),
    }
}

/// The header template used when `--header` is plain text.
const PLAIN_TEXT_TEMPLATE: &str = "{date} {time} {tz}  FROM: {from} {from_number}  P.{page}/{pages}";

fn stamp_headers(pages: &mut [Page], header: &str, ident: &str, remote: SocketAddr) -> Result<()> {
    let (template, from) =
        if header.contains('{') { (header, String::new()) } else { (PLAIN_TEXT_TEMPLATE, header.to_owned()) };
    let (date, time) = crate::clock::utc_now();
    let total = u32::try_from(pages.len()).unwrap_or(u32::MAX);
    for (index, page) in pages.iter_mut().enumerate() {
        let fields = HeaderFields {
            date: date.clone(),
            time: time.clone(),
            tz: "UTC".to_owned(),
            from: from.clone(),
            from_number: ident.to_owned(),
            to: remote.to_string(),
            page: u32::try_from(index + 1).unwrap_or(u32::MAX),
            pages: Some(total),
        };
        let text = header::expand(template, &fields);
        if index == 0 {
            println!("header: {text}");
        }
        header::stamp(page, &text, &HeaderOptions::default())?;
    }
    Ok(())
}

fn rates_up_to(max: u16) -> Result<RateSet> {
    if !Rate::LADDER.iter().any(|r| r.bps() == max) {
        bail!("--max-rate must be one of 14400, 12000, 9600, 7200, 4800, 2400");
    }
    let mut set = RateSet::EMPTY;
    for rate in Rate::LADDER.iter().filter(|r| r.bps() <= max) {
        set.insert(*rate);
    }
    Ok(set)
}

fn read_document(path: &Path) -> Result<Vec<Page>> {
    let limits = Limits::default();
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let pages = if bytes.starts_with(b"P4") || bytes.starts_with(b"P1") {
        fax_image::pbm::read(&bytes, fax_image::Resolution::FINE, &limits)?
    } else {
        tiff::read(&bytes, &limits)
            .with_context(|| format!("{} is not a readable fax TIFF", path.display()))?
            .into_iter()
            .map(|p| p.page)
            .collect()
    };
    if pages.is_empty() {
        bail!("{} has no pages", path.display());
    }
    Ok(pages)
}

/// One line per event; identities are the remote's own fax identity, which the
/// operator running this tool needs to see.
fn report(event: &Event, start: Instant) {
    let t = start.elapsed().as_secs_f64();
    match event {
        Event::PhaseChanged(phase) => println!("{t:7.2}s phase {phase:?}"),
        Event::RemoteIdent(ident) => println!("{t:7.2}s remote ident {:?}", ident.number()),
        Event::RemoteNsf(nsf) => println!("{t:7.2}s remote NSF, {} octets", nsf.0.len()),
        Event::Negotiated(n) => println!("{t:7.2}s negotiated {n:?}"),
        Event::Training { rate, ok } => {
            println!(
                "{t:7.2}s training at {} {} bit/s: {}",
                rate.modem().name(),
                rate.bps(),
                if *ok { "ok" } else { "failed" }
            )
        }
        Event::PageSent { index, stats } => {
            println!(
                "{t:7.2}s page {} sent, {} octets, {} bit/s",
                index + 1,
                stats.coded_bytes,
                stats.rate.bps()
            )
        }
        Event::PageReceived { index, page, report, quality } => println!(
            "{t:7.2}s page {} received, {}×{}, {} bad rows, {quality:?}",
            index + 1,
            page.width(),
            page.height(),
            report.bad_rows
        ),
        Event::PageUnreadable { index, reason } => {
            println!("{t:7.2}s page {} unreadable: {reason}", index + 1)
        }
        Event::Completed(outcome) => println!("{t:7.2}s call ended: {}", outcome.code()),
    }
}

fn print_summary(outcome: &Outcome) {
    let stats = &outcome.stats;
    println!("result: {}", outcome.code());
    if let Some(n) = &stats.negotiated {
        println!("settings: {n:?}");
    }
    println!(
        "pages sent: {}, received: {}, retrains: {}, PPRs: {}, duration: {:.1}s",
        stats.pages_sent,
        stats.pages_received,
        stats.retrains,
        stats.pprs,
        stats.duration.as_secs_f64()
    );
    if let Some(ident) = &stats.remote_ident {
        println!("remote ident: {:?}", ident.number());
    }
}
