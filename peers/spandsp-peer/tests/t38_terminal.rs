//! Two SpanDSP 0.0.6 T.38 terminals exchange the eight ITU-T charts as one
//! 8-page document, in virtual time: IFP packets passed directly, through our
//! UDPTL framing (`fax-t38`) with redundancy, and through it with 5% seeded random
//! datagram loss. Every combination of ECM on/off × MH/MR/MMR (MMR only with ECM)
//! × standard/fine must end with both sides reporting `T30_ERR_OK` and the
//! received pages pixel-identical to the sent ones.
//!
//! This proves the harness and our UDPTL codec against a real T.38 stack; the same
//! harness later pits SpanDSP against Ferrofax's own T.30/T.38 terminal.
//!
//! These tests link libspandsp; without it the crate does not build, so they fail
//! rather than skip.

use fax_image::Page;
use fax_t38::{TxRecovery, Version};
use spandsp_peer::T38Terminal;
use spandsp_peer::harness::{CallReport, Transport, run_call};
use spandsp_peer::t38_terminal::{Compression, Compressions, T30Event, TerminalConfig};

/// Ten simulated minutes: far more than any of these calls needs.
const LIMIT: u64 = 8000 * 600;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Res {
    Standard,
    Fine,
}

/// One call's setup.
#[derive(Debug, Clone, Copy)]
struct Case {
    ecm: bool,
    coding: Compression,
    res: Res,
}

impl Case {
    fn pages(self) -> &'static [Page] {
        match self.res {
            Res::Standard => fixtures::itu_charts_standard(),
            Res::Fine => fixtures::itu_charts(),
        }
    }

    /// Both sides offer exactly the codings up to the one under test, so SpanDSP,
    /// which picks the best both offer, must use it.
    fn compressions(self) -> Compressions {
        match self.coding {
            Compression::Mh => Compressions::MH,
            Compression::Mr => Compressions::MR,
            Compression::Mmr => Compressions::MMR,
        }
    }

    fn configs(self, version: Version) -> (TerminalConfig, TerminalConfig) {
        let base = TerminalConfig {
            ecm: self.ecm,
            compressions: self.compressions(),
            t38_version: version.number(),
            log_level: std::env::var("SPANDSP_LOG").ok().and_then(|v| v.parse().ok()).unwrap_or(0),
            ..TerminalConfig::default()
        };
        let sender = TerminalConfig { calling: true, ident: "+1 555 0100".to_owned(), ..base.clone() };
        let receiver = TerminalConfig { calling: false, ident: "+1 555 0199".to_owned(), ..base };
        (sender, receiver)
    }
}

/// Runs one call and checks everything the matrix promises. Set `SPANDSP_LOG=5`
/// to see SpanDSP's T.30 and T.38 flow on stderr.
fn exchange(case: Case, transport: Transport) -> CallReport {
    let version = match transport {
        Transport::Udptl { version, .. } => version,
        Transport::Direct => Version::V0,
    };
    let (tx_config, rx_config) = case.configs(version);
    let pages = case.pages();
    let mut sender = T38Terminal::sender(&tx_config, pages).expect("sender");
    let mut receiver = T38Terminal::receiver(&rx_config).expect("receiver");
    let report = run_call(&mut sender, &mut receiver, &transport, LIMIT).expect("call runs");

    let context = format!(
        "{case:?} over {transport:?}: {report:?}\nsender log {:?}\nreceiver log {:?}",
        sender.log(),
        receiver.log()
    );
    assert!(report.finished, "the call did not finish within the limit: {context}");
    let tx_done = sender.completion().unwrap_or_else(|| panic!("sender: no phase E: {context}"));
    let rx_done = receiver.completion().unwrap_or_else(|| panic!("receiver: no phase E: {context}"));
    assert!(tx_done.is_ok(), "sender: {tx_done}: {context}");
    assert!(rx_done.is_ok(), "receiver: {rx_done}: {context}");

    let tx_stats = sender.stats();
    let rx_stats = receiver.stats();
    assert_eq!(tx_stats.pages_tx, 8, "{context}");
    assert_eq!(rx_stats.pages_rx, 8, "{context}");
    for stats in [tx_stats, rx_stats] {
        assert_eq!(stats.ecm, case.ecm, "{context}");
        assert_eq!(stats.compression, Some(case.coding), "{context}");
        assert_eq!(stats.bit_rate, 14400, "{context}");
        assert_eq!(stats.width, 1728, "{context}");
        let y = match case.res {
            Res::Standard => 3850,
            Res::Fine => 7700,
        };
        assert_eq!(stats.y_resolution, y, "{context}");
    }
    assert_eq!(rx_stats.bad_rows, 0, "{context}");
    assert_eq!(sender.remote_ident(), "+1 555 0199");
    assert_eq!(receiver.remote_ident(), "+1 555 0100");

    let received = receiver.received_pages().expect("the received TIFF decodes");
    assert_eq!(received.len(), pages.len(), "{context}");
    for (n, (got, sent)) in received.iter().zip(pages).enumerate() {
        assert_eq!(
            (got.width(), got.height(), got.resolution()),
            (sent.width(), sent.height(), sent.resolution()),
            "page {}: {context}",
            n + 1
        );
        assert!(got == sent, "page {} differs in its pixels: {context}", n + 1);
    }
    report
}

fn udptl(loss: f64, seed: u64) -> Transport {
    Transport::Udptl {
        version: Version::V0,
        recovery: TxRecovery::Redundancy { depth: 3 },
        // Each packet once: only UDPTL redundancy protects it, not SpanDSP's repeats.
        honour_repeats: false,
        loss,
        seed,
    }
}

macro_rules! matrix {
    ($($name:ident: $ecm:expr, $coding:ident, $res:ident;)*) => {
        mod direct {
            use super::*;
            $(#[test] fn $name() {
                exchange(Case { ecm: $ecm, coding: Compression::$coding, res: Res::$res }, Transport::Direct);
            })*
        }
        mod udptl_redundancy {
            use super::*;
            $(#[test] fn $name() {
                let report = exchange(Case { ecm: $ecm, coding: Compression::$coding, res: Res::$res }, udptl(0.0, 0));
                let framing = report.framing.expect("UDPTL");
                assert_eq!(framing[0].lost + framing[1].lost, 0, "{report:?}");
            })*
        }
    };
}

matrix! {
    ecm_mh_standard: true, Mh, Standard;
    ecm_mh_fine: true, Mh, Fine;
    ecm_mr_standard: true, Mr, Standard;
    ecm_mr_fine: true, Mr, Fine;
    ecm_mmr_standard: true, Mmr, Standard;
    ecm_mmr_fine: true, Mmr, Fine;
    non_ecm_mh_standard: false, Mh, Standard;
    non_ecm_mh_fine: false, Mh, Fine;
    non_ecm_mr_standard: false, Mr, Standard;
    non_ecm_mr_fine: false, Mr, Fine;
}

/// 5% of datagrams lost at random in each direction, each packet sent once, with
/// three redundant packets per datagram: ECM calls still deliver exact pages.
mod udptl_5_percent_loss {
    use super::*;

    fn lossy(coding: Compression, res: Res, seed: u64) {
        let report = exchange(Case { ecm: true, coding, res }, udptl(0.05, seed));
        let sent = report.sent[0] + report.sent[1];
        let dropped = report.dropped[0] + report.dropped[1];
        // The loss really happened: about 5% of the datagrams.
        assert!(
            dropped * 100 > sent * 3 && dropped * 100 < sent * 7,
            "{dropped} of {sent} dropped: {report:?}"
        );
        let rx = report.udptl_rx.expect("UDPTL");
        assert!(rx[0].redundancy + rx[1].redundancy > 0, "{report:?}");
        // Shown with --nocapture: how much the redundancy restored and what got lost.
        eprintln!("{coding:?} {res:?} seed {seed}: {dropped} of {sent} datagrams dropped; {report:?}");
    }

    #[test]
    fn ecm_mh_standard() {
        lossy(Compression::Mh, Res::Standard, 1);
    }

    #[test]
    fn ecm_mh_fine() {
        lossy(Compression::Mh, Res::Fine, 2);
    }

    #[test]
    fn ecm_mr_standard() {
        lossy(Compression::Mr, Res::Standard, 3);
    }

    #[test]
    fn ecm_mr_fine() {
        lossy(Compression::Mr, Res::Fine, 4);
    }

    #[test]
    fn ecm_mmr_standard() {
        lossy(Compression::Mmr, Res::Standard, 5);
    }

    #[test]
    fn ecm_mmr_fine() {
        lossy(Compression::Mmr, Res::Fine, 6);
    }

    /// Several seeds for the commonest case.
    #[test]
    fn ecm_mmr_fine_seeds() {
        for seed in 100..104 {
            lossy(Compression::Mmr, Res::Fine, seed);
        }
    }
}

/// T.38 versions 1 to 3 over UDPTL (the matrix above uses version 0).
#[test]
fn t38_versions_over_udptl() {
    for version in [Version::V1, Version::V2, Version::V3] {
        let transport = Transport::Udptl {
            version,
            recovery: TxRecovery::Redundancy { depth: 2 },
            honour_repeats: true,
            loss: 0.0,
            seed: 0,
        };
        exchange(Case { ecm: true, coding: Compression::Mmr, res: Res::Fine }, transport);
    }
}

/// The same seed gives the same call, packet for packet.
#[test]
fn lossy_runs_are_deterministic() {
    let case = Case { ecm: true, coding: Compression::Mmr, res: Res::Standard };
    let a = exchange(case, udptl(0.05, 42));
    let b = exchange(case, udptl(0.05, 42));
    assert_eq!(a, b);
}

/// The packets carry SpanDSP's repeat counts (3 for indicators by default), the
/// phase log has the T.30 frames, and the terminal's temporary files go when it
/// does.
#[test]
fn repeats_log_and_temporary_files() {
    let case = Case { ecm: true, coding: Compression::Mmr, res: Res::Standard };
    let (tx_config, rx_config) = case.configs(Version::V0);
    let mut sender = T38Terminal::sender(&tx_config, &fixtures::itu_charts_standard()[..1]).expect("sender");
    let mut receiver = T38Terminal::receiver(&rx_config).expect("receiver");
    let dirs = [sender.dir().to_owned(), receiver.dir().to_owned()];
    assert!(sender.file().exists());

    // The calling side starts with CNG: a no-signal then a CNG indicator, each asked
    // to be sent three times; indicators are one-octet packets in version 0.
    let mut first = Vec::new();
    for _ in 0..100 {
        first.extend(sender.advance(160).expect("tick"));
        if first.len() >= 2 {
            break;
        }
    }
    assert_eq!(first.len(), 2, "{first:?}");
    assert_eq!((first[0].seq, first[0].repeat), (0, 3));
    assert_eq!((first[1].seq, first[1].repeat), (1, 3));
    for p in &first {
        receiver.receive(&p.ifp, p.seq).expect("receive");
    }

    let report = run_call(&mut sender, &mut receiver, &Transport::Direct, LIMIT).expect("call runs");
    assert!(report.finished);
    let names = |t: &T38Terminal| -> Vec<String> {
        t.log()
            .iter()
            .map(|e| match &e.event {
                T30Event::PhaseB { name, .. } | T30Event::PhaseD { name, .. } => name.clone(),
                T30Event::PhaseE(c) => format!("E:{}", c.name),
            })
            .collect()
    };
    assert_eq!(names(&sender), ["DIS", "MCF", "E:OK"]);
    assert_eq!(names(&receiver), ["DCS", "EOP", "E:OK"]);
    assert_eq!(receiver.received_pages().expect("pages"), fixtures::itu_charts_standard()[..1]);
    drop(sender);
    drop(receiver);
    for dir in dirs {
        assert!(!dir.exists(), "{} is left behind", dir.display());
    }
}

/// A sender's TIFF written by fax-image in any coding is read by SpanDSP: pages
/// coded MH, MR and MMR in the file all arrive intact.
#[test]
fn sender_reads_every_file_coding() {
    use fax_image::tiff;
    let pages = &fixtures::itu_charts_standard()[..2];
    for compression in [
        tiff::Compression::Mh { byte_aligned_eol: false },
        tiff::Compression::Mr { k: 2, byte_aligned_eol: false },
        tiff::Compression::Mmr,
    ] {
        let file = tiff::write(pages, &tiff::WriteOptions { compression, ..tiff::WriteOptions::default() })
            .expect("write");
        let case = Case { ecm: true, coding: Compression::Mmr, res: Res::Standard };
        let (tx_config, rx_config) = case.configs(Version::V0);
        let mut sender = T38Terminal::sender_from_tiff(&tx_config, &file).expect("sender");
        let mut receiver = T38Terminal::receiver(&rx_config).expect("receiver");
        let report = run_call(&mut sender, &mut receiver, &Transport::Direct, LIMIT).expect("call runs");
        assert!(report.finished, "{compression:?}");
        assert!(sender.completion().is_some_and(|c| c.is_ok()), "{compression:?}: {:?}", sender.completion());
        assert_eq!(receiver.received_pages().expect("pages"), pages, "{compression:?}");
    }
}
