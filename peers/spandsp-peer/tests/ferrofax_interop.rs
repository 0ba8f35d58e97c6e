//! Ferrofax's T.38 terminal (`fax_line::t38::Terminal`) against SpanDSP 0.0.6's, in
//! virtual time: SpanDSP sends and Ferrofax receives, and the other way round; ECM
//! on and off; MH, MR and MMR (MMR with ECM); standard and fine; the eight ITU-T
//! charts as one 8-page document, received pixel-exactly, with both sides reporting
//! success. Then an ECM fax each way under 5% random datagram loss with UDPTL
//! redundancy. Then peers that stop answering, send garbage or hang up mid-page:
//! Ferrofax must end with a typed failure within the T.30 timers.
//!
//! Packets pass through the harness in `spandsp_peer::harness`: bare IFP packets
//! with their sequence numbers (`Transport::Direct`), or UDPTL datagrams framed on
//! each side by `fax-t38` (`Transport::Udptl`). Set `SPANDSP_LOG=5` to see SpanDSP's
//! T.30 flow on stderr.

use std::time::{Duration, Instant};

use fax_image::Page;
use fax_line::t38::{Config, Terminal};
use fax_t30::session::{self, Codings, Event, Failure, Job, Outcome, PageQuality, Phase, Role, Timer};
use fax_t30::{Ident, Rate};
use fax_t38::{TxRecovery, Version};
use spandsp_peer::T38Terminal;
use spandsp_peer::harness::{CallReport, IfpEndpoint, Transport, run_call};
use spandsp_peer::t38_terminal::{
    Compression, Compressions, SAMPLE_RATE, TICK_SAMPLES, TerminalConfig, TerminalError, TxPacket,
};

/// Ten simulated minutes: far more than any of these calls needs.
const LIMIT: u64 = 8000 * 600;

// ---- the adapter ----------------------------------------------------------------------

/// Ferrofax's terminal as a harness endpoint: the harness's sample clock becomes
/// `Instant`s from a fixed start, and every event the session reports is kept with
/// the time it was seen.
struct Ferrofax {
    terminal: Terminal,
    start: Instant,
    now: Instant,
    events: Vec<(Duration, Event)>,
}

impl Ferrofax {
    fn new(config: Config) -> Ferrofax {
        let start = Instant::now();
        let terminal = Terminal::new(config, start).expect("terminal");
        let mut ferrofax = Ferrofax { terminal, start, now: start, events: Vec::new() };
        ferrofax.collect();
        ferrofax
    }

    fn collect(&mut self) {
        let at = self.now - self.start;
        while let Some(event) = self.terminal.poll_event() {
            self.events.push((at, event));
        }
    }

    fn outcome(&self) -> Option<(Duration, &Outcome)> {
        self.events.iter().find_map(|(at, e)| match e {
            Event::Completed(outcome) => Some((*at, outcome)),
            _ => None,
        })
    }

    fn pages(&self) -> Vec<(&Page, PageQuality)> {
        self.events
            .iter()
            .filter_map(|(_, e)| match e {
                Event::PageReceived { page, quality, .. } => Some((page, *quality)),
                _ => None,
            })
            .collect()
    }

    fn negotiated(&self) -> Option<session::Negotiated> {
        self.events.iter().rev().find_map(|(_, e)| match e {
            Event::Negotiated(n) => Some(*n),
            _ => None,
        })
    }

    fn phase_since(&self, phase: Phase) -> Option<Duration> {
        self.events.iter().find_map(|(at, e)| (*e == Event::PhaseChanged(phase)).then_some(*at))
    }

    fn elapsed(&self) -> Duration {
        self.now - self.start
    }
}

impl IfpEndpoint for Ferrofax {
    type Error = fax_line::Error;

    fn advance(&mut self, samples: u32) -> Result<Vec<TxPacket>, fax_line::Error> {
        self.now += Duration::from_micros(u64::from(samples) * 1_000_000 / u64::from(SAMPLE_RATE));
        // One call runs everything due up to now; the loop only guards against a
        // deadline that is still due afterwards.
        for _ in 0..16 {
            match self.terminal.poll_timeout() {
                Some(t) if t <= self.now => self.terminal.handle_timeout(self.now),
                _ => break,
            }
        }
        self.collect();
        let mut out = Vec::new();
        while let Some(p) = self.terminal.poll_ifp() {
            out.push(TxPacket { seq: p.seq, ifp: p.ifp, repeat: p.repeat });
        }
        Ok(out)
    }

    fn receive(&mut self, ifp: &[u8], seq: u16) -> Result<(), fax_line::Error> {
        self.terminal.handle_ifp(ifp, seq, self.now);
        self.collect();
        Ok(())
    }

    fn is_finished(&self) -> bool {
        self.terminal.is_finished()
    }
}

// ---- pages and setups -----------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Res {
    Standard,
    Fine,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    /// SpanDSP calls and sends; Ferrofax answers and receives.
    SpanDspSends,
    /// Ferrofax calls and sends; SpanDSP answers and receives.
    FerrofaxSends,
}

#[derive(Debug, Clone, Copy)]
struct Case {
    direction: Direction,
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

    fn spandsp(self, version: Version) -> TerminalConfig {
        TerminalConfig {
            calling: self.direction == Direction::SpanDspSends,
            ident: "+1 555 0100".to_owned(),
            ecm: self.ecm,
            compressions: match self.coding {
                Compression::Mh => Compressions::MH,
                Compression::Mr => Compressions::MR,
                Compression::Mmr => Compressions::MMR,
            },
            t38_version: version.number(),
            log_level: std::env::var("SPANDSP_LOG").ok().and_then(|v| v.parse().ok()).unwrap_or(0),
            ..TerminalConfig::default()
        }
    }

    fn ferrofax(self, version: Version) -> Config {
        let mut session = match self.direction {
            Direction::SpanDspSends => session::Config::new(Role::Answering, Job::Receive),
            Direction::FerrofaxSends => session::Config::new(Role::Calling, Job::Send(self.pages().to_vec())),
        };
        session.ecm = self.ecm;
        session.codings = match self.coding {
            Compression::Mh => Codings { mr: false, mmr: false },
            Compression::Mr => Codings { mr: true, mmr: false },
            Compression::Mmr => Codings { mr: true, mmr: true },
        };
        session.ident = Some(Ident::new("+1 555 0199").expect("ident"));
        let mut config = Config::new(session);
        config.version = version;
        config
    }
}

struct Pair {
    ours: Ferrofax,
    theirs: T38Terminal,
}

impl Pair {
    fn new(case: Case, version: Version) -> Pair {
        let theirs = match case.direction {
            Direction::SpanDspSends => T38Terminal::sender(&case.spandsp(version), case.pages()),
            Direction::FerrofaxSends => T38Terminal::receiver(&case.spandsp(version)),
        }
        .expect("SpanDSP terminal");
        Pair { ours: Ferrofax::new(case.ferrofax(version)), theirs }
    }

    /// Runs the call, SpanDSP's terminal always as the harness's side A.
    fn run(&mut self, transport: &Transport, limit: u64) -> CallReport {
        run_call(&mut self.theirs, &mut self.ours, transport, limit).expect("call runs")
    }

    fn context(&self, case: Case, report: &CallReport) -> String {
        format!(
            "{case:?}: {report:?}\nours: {:?} {:?}\nSpanDSP: {:?} {:?}",
            self.ours.outcome(),
            self.ours.terminal.stats(),
            self.theirs.completion(),
            self.theirs.log()
        )
    }
}

/// Runs one call and checks everything the matrix promises.
fn exchange(case: Case, transport: Transport) -> (CallReport, Pair) {
    let version = match transport {
        Transport::Udptl { version, .. } => version,
        Transport::Direct => Version::V0,
    };
    let mut pair = Pair::new(case, version);
    let report = pair.run(&transport, LIMIT);
    let context = pair.context(case, &report);
    assert!(report.finished, "the call did not finish: {context}");

    let theirs = pair.theirs.completion().unwrap_or_else(|| panic!("SpanDSP: no phase E: {context}"));
    assert!(theirs.is_ok(), "SpanDSP: {theirs}: {context}");
    let (_, ours) = pair.ours.outcome().unwrap_or_else(|| panic!("ours: no outcome: {context}"));
    assert!(ours.is_ok(), "ours: {:?}: {context}", ours.result);

    let stats = pair.theirs.stats();
    assert_eq!(stats.ecm, case.ecm, "{context}");
    assert_eq!(stats.compression, Some(case.coding), "{context}");
    assert_eq!(stats.bit_rate, 14400, "{context}");
    let negotiated = pair.ours.negotiated().expect("negotiated");
    assert_eq!(negotiated.rate, Rate::V17_14400, "{context}");
    assert_eq!(negotiated.ecm.is_some(), case.ecm, "{context}");

    let pages = case.pages();
    let received: Vec<Page> = match case.direction {
        Direction::SpanDspSends => {
            assert_eq!(stats.pages_tx as usize, pages.len(), "{context}");
            assert_eq!(ours.stats.pages_received as usize, pages.len(), "{context}");
            assert_eq!(
                pair.ours.terminal.session().stats().remote_ident.as_ref().map(Ident::number).as_deref(),
                Some("+1 555 0100")
            );
            pair.ours
                .pages()
                .into_iter()
                .map(|(page, quality)| {
                    assert_eq!(quality, PageQuality::Good, "{context}");
                    page.clone()
                })
                .collect()
        }
        Direction::FerrofaxSends => {
            assert_eq!(stats.pages_rx as usize, pages.len(), "{context}");
            assert_eq!(stats.bad_rows, 0, "{context}");
            assert_eq!(ours.stats.pages_sent as usize, pages.len(), "{context}");
            assert_eq!(pair.theirs.remote_ident(), "+1 555 0199");
            pair.theirs.received_pages().expect("SpanDSP's received TIFF decodes")
        }
    };
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
    (report, pair)
}

macro_rules! matrix {
    ($($name:ident: $ecm:expr, $coding:ident, $res:ident;)*) => {
        mod spandsp_sends {
            use super::*;
            $(#[test] fn $name() {
                let case = Case { direction: Direction::SpanDspSends, ecm: $ecm, coding: Compression::$coding, res: Res::$res };
                exchange(case, Transport::Direct);
            })*
        }
        mod ferrofax_sends {
            use super::*;
            $(#[test] fn $name() {
                let case = Case { direction: Direction::FerrofaxSends, ecm: $ecm, coding: Compression::$coding, res: Res::$res };
                exchange(case, Transport::Direct);
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

/// Every T.38 version over UDPTL with redundancy and no loss, both directions.
#[test]
fn t38_versions_over_udptl() {
    for version in Version::ALL {
        for direction in [Direction::SpanDspSends, Direction::FerrofaxSends] {
            let transport = Transport::Udptl {
                version,
                recovery: TxRecovery::Redundancy { depth: 3 },
                honour_repeats: true,
                loss: 0.0,
                seed: 0,
            };
            let case = Case { direction, ecm: true, coding: Compression::Mmr, res: Res::Standard };
            let (report, _) = exchange(case, transport);
            let framing = report.framing.expect("UDPTL");
            assert_eq!(framing[0].lost + framing[1].lost, 0, "{version:?} {direction:?}: {report:?}");
        }
    }
}

// ---- loss -------------------------------------------------------------------------------

/// 5% of datagrams lost at random each way, each packet sent once (repeats not
/// honoured), three redundant packets per datagram.
fn lossy(direction: Direction, coding: Compression, res: Res, seed: u64) {
    let transport = Transport::Udptl {
        version: Version::V0,
        recovery: TxRecovery::Redundancy { depth: 3 },
        honour_repeats: false,
        loss: 0.05,
        seed,
    };
    let case = Case { direction, ecm: true, coding, res };
    let (report, pair) = exchange(case, transport);
    let sent = report.sent[0] + report.sent[1];
    let dropped = report.dropped[0] + report.dropped[1];
    assert!(dropped * 100 > sent * 3 && dropped * 100 < sent * 7, "{dropped} of {sent} dropped: {report:?}");
    eprintln!(
        "{direction:?} {coding:?} {res:?} seed {seed}: {dropped} of {sent} datagrams dropped; {report:?}; ours {:?}",
        pair.ours.terminal.stats()
    );
}

#[test]
fn five_percent_loss_spandsp_sends_ecm() {
    lossy(Direction::SpanDspSends, Compression::Mmr, Res::Fine, 1);
    lossy(Direction::SpanDspSends, Compression::Mr, Res::Standard, 2);
}

#[test]
fn five_percent_loss_ferrofax_sends_ecm() {
    lossy(Direction::FerrofaxSends, Compression::Mmr, Res::Fine, 3);
    lossy(Direction::FerrofaxSends, Compression::Mh, Res::Standard, 4);
}

// ---- misbehaving peers ------------------------------------------------------------------

/// What the misbehaving SpanDSP peer does from the moment it is switched on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    /// Nothing it sends reaches us any more (it stopped answering, or the network
    /// path died).
    Silent,
    /// Its packets are replaced by pseudo-random bytes.
    Garbage,
}

/// SpanDSP's terminal with a fault that can be switched on mid-call.
struct Faulty {
    inner: T38Terminal,
    fault: Option<Fault>,
    noise: u64,
}

impl IfpEndpoint for Faulty {
    type Error = TerminalError;

    fn advance(&mut self, samples: u32) -> Result<Vec<TxPacket>, TerminalError> {
        let mut packets = self.inner.advance(samples)?;
        match self.fault {
            None => {}
            Some(Fault::Silent) => packets.clear(),
            Some(Fault::Garbage) => {
                for p in &mut packets {
                    for b in &mut p.ifp {
                        self.noise ^= self.noise << 13;
                        self.noise ^= self.noise >> 7;
                        self.noise ^= self.noise << 17;
                        *b = self.noise as u8;
                    }
                }
            }
        }
        Ok(packets)
    }

    fn receive(&mut self, ifp: &[u8], seq: u16) -> Result<(), TerminalError> {
        // A peer that stopped answering is gone: it hears nothing either.
        if self.fault == Some(Fault::Silent) {
            return Ok(());
        }
        self.inner.receive(ifp, seq)
    }

    fn is_finished(&self) -> bool {
        self.fault.is_some() || self.inner.is_finished()
    }
}

/// Runs SpanDSP (with a fault switched on when `trigger` says so) against ours, one
/// simulated second at a time, until ours has an outcome or `limit` passes.
/// Returns ours' outcome and the time from the fault to it.
fn faulty_call(
    case: Case,
    fault: Fault,
    mut trigger: impl FnMut(&Ferrofax) -> bool,
    limit: Duration,
) -> (Outcome, Duration, Duration) {
    let version = Version::V0;
    let inner = match case.direction {
        Direction::SpanDspSends => T38Terminal::sender(&case.spandsp(version), case.pages()),
        Direction::FerrofaxSends => T38Terminal::receiver(&case.spandsp(version)),
    }
    .expect("SpanDSP terminal");
    let mut theirs = Faulty { inner, fault: None, noise: 0x2545_f491_4f6c_dd1d };
    let mut ours = Ferrofax::new(case.ferrofax(version));
    let mut fault_at = None;
    while ours.outcome().is_none() && ours.elapsed() < limit {
        let report =
            run_call(&mut theirs, &mut ours, &Transport::Direct, u64::from(TICK_SAMPLES)).expect("tick");
        // Both ends finished: time stands still in the harness, so stop here.
        if report.samples == 0 {
            break;
        }
        if fault_at.is_none() && trigger(&ours) {
            theirs.fault = Some(fault);
            fault_at = Some(ours.elapsed());
        }
    }
    let fault_at = fault_at.unwrap_or_else(|| panic!("the fault never triggered: {:?}", ours.outcome()));
    let (at, outcome) = ours.outcome().unwrap_or_else(|| panic!("{fault:?}: no outcome within {limit:?}"));
    let outcome = outcome.clone();
    // The terminal finishes too, once the repeats of its last indicator are out:
    // nothing left to send, no timer running.
    for _ in 0..50 {
        if ours.terminal.is_finished() {
            break;
        }
        ours.advance(TICK_SAMPLES).expect("tick");
    }
    assert!(ours.terminal.is_finished());
    assert_eq!(ours.terminal.poll_timeout(), None);
    eprintln!("{fault:?} at {fault_at:?}: {:?} {:?} later", outcome.result, at - fault_at);
    (outcome, fault_at, at - fault_at)
}

fn in_phase_c(f: &Ferrofax) -> bool {
    f.phase_since(Phase::C).is_some_and(|t| f.elapsed() > t + Duration::from_secs(2))
}

/// T.30's limits. A receiver whose sender falls silent mid-page waits T2 (6 s) for
/// more of the page, ends it, then waits T2 again for the post-message command
/// before it gives up and sends DCN (about 1.2 s of V.21): 13.2 s in all.
/// A sender waits T4 (3 s) three times for a response, each after a command that
/// takes a few seconds to send, then sends DCN.
const T2_BOUND: Duration = Duration::from_secs(2 * 6 + 3);
const T4_BOUND: Duration = Duration::from_secs(3 * (3 + 4) + 4);

#[test]
fn sender_that_goes_silent_mid_page_fails_with_t2() {
    let case =
        Case { direction: Direction::SpanDspSends, ecm: false, coding: Compression::Mr, res: Res::Fine };
    let (outcome, fault_at, after) = faulty_call(case, Fault::Silent, in_phase_c, Duration::from_secs(300));
    assert_eq!(
        outcome.result,
        Err(Failure::Timeout { timer: Timer::T2, phase: Phase::C }),
        "fault at {fault_at:?}, ended {after:?} later"
    );
    assert!(after <= T2_BOUND, "{after:?}");
}

#[test]
fn ecm_sender_that_goes_silent_mid_block_fails_with_t2() {
    let case =
        Case { direction: Direction::SpanDspSends, ecm: true, coding: Compression::Mmr, res: Res::Fine };
    let (outcome, fault_at, after) = faulty_call(case, Fault::Silent, in_phase_c, Duration::from_secs(300));
    assert!(
        matches!(outcome.result, Err(Failure::Timeout { timer: Timer::T2, .. })),
        "{:?}: fault at {fault_at:?}, ended {after:?} later",
        outcome.result
    );
    assert!(after <= T2_BOUND, "{after:?}");
}

#[test]
fn receiver_that_stops_answering_fails_with_t4() {
    let case =
        Case { direction: Direction::FerrofaxSends, ecm: true, coding: Compression::Mmr, res: Res::Standard };
    let (outcome, fault_at, after) = faulty_call(case, Fault::Silent, in_phase_c, Duration::from_secs(300));
    assert!(
        matches!(outcome.result, Err(Failure::Timeout { timer: Timer::T4, .. })),
        "{:?}: fault at {fault_at:?}, ended {after:?} later",
        outcome.result
    );
    // The page in flight is sent to its end first (a few seconds at 14400 bit/s).
    assert!(after <= T4_BOUND + Duration::from_secs(30), "{after:?}");
}

#[test]
fn receiver_that_sends_garbage_fails_typed() {
    let case =
        Case { direction: Direction::FerrofaxSends, ecm: false, coding: Compression::Mh, res: Res::Standard };
    let (outcome, fault_at, after) = faulty_call(case, Fault::Garbage, in_phase_c, Duration::from_secs(300));
    assert!(
        matches!(
            outcome.result,
            Err(Failure::Timeout { timer: Timer::T4, .. } | Failure::UnexpectedFrame { .. })
        ),
        "{:?}: fault at {fault_at:?}, ended {after:?} later",
        outcome.result
    );
    assert!(after <= T4_BOUND + Duration::from_secs(60), "{after:?}");
}

#[test]
fn sender_that_sends_garbage_from_the_start_fails_typed() {
    // Garbage from the first packet: no DCS ever arrives, so T1 ends the call.
    let case =
        Case { direction: Direction::SpanDspSends, ecm: true, coding: Compression::Mmr, res: Res::Standard };
    let (outcome, _, after) = faulty_call(case, Fault::Garbage, |_| true, Duration::from_secs(300));
    assert!(
        matches!(outcome.result, Err(Failure::Timeout { timer: Timer::T1, .. })),
        "{:?} after {after:?}",
        outcome.result
    );
    assert!(after <= Duration::from_secs(35 + 5), "{after:?}");
}

#[test]
fn caller_gets_no_answer_from_a_silent_peer() {
    let case =
        Case { direction: Direction::FerrofaxSends, ecm: true, coding: Compression::Mmr, res: Res::Standard };
    let (outcome, _, after) = faulty_call(case, Fault::Silent, |_| true, Duration::from_secs(300));
    assert_eq!(outcome.result, Err(Failure::NoAnswerTone));
    assert!(after <= Duration::from_secs(35 + 1), "{after:?}");
}

#[test]
fn hangup_mid_page_fails_with_remote_hung_up() {
    let case =
        Case { direction: Direction::SpanDspSends, ecm: true, coding: Compression::Mmr, res: Res::Fine };
    let mut pair = Pair::new(case, Version::V0);
    while !in_phase_c(&pair.ours) {
        let report = pair.run(&Transport::Direct, u64::from(TICK_SAMPLES));
        assert!(
            report.samples > 0 && pair.ours.elapsed() < Duration::from_secs(120),
            "{:?}",
            pair.ours.outcome()
        );
    }
    // The SIP side reports the call gone (BYE) while the page is arriving.
    let now = pair.ours.now;
    pair.ours.terminal.hangup(now);
    pair.ours.collect();
    let (_, outcome) = pair.ours.outcome().expect("an outcome at once");
    assert_eq!(outcome.result, Err(Failure::RemoteHungUp { phase: Phase::C }));
    assert!(pair.ours.terminal.is_finished());
}
