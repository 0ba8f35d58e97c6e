//! Two Ferrofax T.38 terminals fax each other over a simulated UDPTL path in
//! virtual time (`fax-sim`): the eight ITU-T charts as one document with ECM on and
//! off, MH/MR/MMR, standard and fine, received pixel-exactly; then with seeded
//! loss, reordering, duplication and jitter; then a bounded sweep over seeds and
//! impairment levels.

use std::time::Duration;

use fax_image::{Coding, Page};
use fax_line::t38::{Config, Terminal};
use fax_sim::{Duplex, Impairments, RunReport, VirtualClock, run_pair};
use fax_t30::session::{self, Codings, Event, Failure, Job, Outcome, PageQuality, Role};
use fax_t30::{Ident, Rate};

/// Ten simulated minutes: far more than any of these calls needs.
const LIMIT: Duration = Duration::from_secs(600);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Res {
    Standard,
    Fine,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Code {
    Mh,
    Mr,
    Mmr,
}

#[derive(Debug, Clone, Copy)]
struct Case {
    ecm: bool,
    coding: Code,
    res: Res,
}

impl Case {
    fn pages(self) -> &'static [Page] {
        match self.res {
            Res::Standard => fixtures::itu_charts_standard(),
            Res::Fine => fixtures::itu_charts(),
        }
    }

    /// The sender offers exactly the codings up to the one under test, so the
    /// negotiation must pick it.
    fn codings(self) -> Codings {
        match self.coding {
            Code::Mh => Codings { mr: false, mmr: false },
            Code::Mr => Codings { mr: true, mmr: false },
            Code::Mmr => Codings { mr: true, mmr: true },
        }
    }

    fn configs(self) -> (Config, Config) {
        let mut tx = session::Config::new(Role::Calling, Job::Send(self.pages().to_vec()));
        tx.ecm = self.ecm;
        tx.codings = self.codings();
        tx.ident = Some(Ident::new("+1 555 0100").expect("ident"));
        let mut rx = session::Config::new(Role::Answering, Job::Receive);
        rx.ecm = self.ecm;
        rx.ident = Some(Ident::new("+1 555 0199").expect("ident"));
        (Config::new(tx), Config::new(rx))
    }
}

/// What one side reported.
#[derive(Debug, Default)]
struct Seen {
    pages: Vec<(Page, PageQuality)>,
    outcome: Option<Outcome>,
    negotiated: Vec<session::Negotiated>,
}

fn drain(terminal: &mut Terminal) -> Seen {
    let mut seen = Seen::default();
    while let Some(event) = terminal.poll_event() {
        match event {
            Event::PageReceived { page, quality, .. } => seen.pages.push((page, quality)),
            Event::Completed(outcome) => seen.outcome = Some(outcome),
            Event::Negotiated(n) => seen.negotiated.push(n),
            _ => {}
        }
    }
    seen
}

struct Call {
    report: RunReport,
    tx: Seen,
    rx: Seen,
    tx_stats: fax_line::t38::Stats,
    rx_stats: fax_line::t38::Stats,
}

fn call(tx: Config, rx: Config, path: &mut Duplex) -> Call {
    let mut clock = VirtualClock::starting_now();
    let mut a = Terminal::new(tx, clock.now()).expect("sender");
    let mut b = Terminal::new(rx, clock.now()).expect("receiver");
    let report = run_pair(&mut a, &mut b, path, &mut clock, LIMIT);
    Call { report, tx: drain(&mut a), rx: drain(&mut b), tx_stats: a.stats(), rx_stats: b.stats() }
}

/// Checks that the call delivered `pages` exactly with both sides successful.
fn check_exact(case: Case, call: &Call, context: &str) {
    let context = format!(
        "{case:?} {context}: {:?}\nsender {:?} {:?}\nreceiver {:?} {:?}",
        call.report, call.tx.outcome, call.tx_stats, call.rx.outcome, call.rx_stats
    );
    assert!(call.report.finished(), "the call did not finish: {context}");
    let tx = call.tx.outcome.as_ref().expect("sender outcome");
    let rx = call.rx.outcome.as_ref().expect("receiver outcome");
    assert!(tx.is_ok(), "sender: {:?}: {context}", tx.result);
    assert!(rx.is_ok(), "receiver: {:?}: {context}", rx.result);
    let pages = case.pages();
    assert_eq!(tx.stats.pages_sent as usize, pages.len(), "{context}");
    assert_eq!(call.rx.pages.len(), pages.len(), "{context}");
    for (n, ((got, quality), sent)) in call.rx.pages.iter().zip(pages).enumerate() {
        assert_eq!(*quality, PageQuality::Good, "page {n}: {context}");
        assert_eq!(
            (got.width(), got.height(), got.resolution()),
            (sent.width(), sent.height(), sent.resolution()),
            "page {n}: {context}"
        );
        assert!(got == sent, "page {n} differs in its pixels: {context}");
    }
    let negotiated = call.tx.negotiated.last().expect("negotiated");
    let coding_ok = matches!(
        (case.coding, negotiated.coding),
        (Code::Mh, Coding::Mh) | (Code::Mr, Coding::Mr { .. }) | (Code::Mmr, Coding::Mmr)
    );
    assert!(coding_ok, "negotiated {negotiated:?}: {context}");
    assert_eq!(negotiated.ecm.is_some(), case.ecm, "{context}");
    assert_eq!(
        call.rx.negotiated.last().map(|n| (n.coding, n.ecm)),
        Some((negotiated.coding, negotiated.ecm)),
        "{context}"
    );
}

fn perfect() -> Duplex {
    Duplex::symmetric(0, Impairments::perfect().with_delay(Duration::from_millis(20)))
}

macro_rules! matrix {
    ($($name:ident: $ecm:expr, $coding:ident, $res:ident;)*) => {
        mod ideal_path {
            use super::*;
            $(#[test] fn $name() {
                let case = Case { ecm: $ecm, coding: Code::$coding, res: Res::$res };
                let (tx, rx) = case.configs();
                let call = call(tx, rx, &mut perfect());
                check_exact(case, &call, "ideal path");
                let negotiated = call.tx.negotiated.last().expect("negotiated");
                assert_eq!(negotiated.rate, Rate::V17_14400);
                assert_eq!(call.rx_stats.lost + call.tx_stats.lost, 0);
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

/// An impaired path of the kind the Internet gives: loss, reordering, duplicates
/// and jitter, seeded.
fn rough(seed: u64, loss: f64) -> Duplex {
    let impairments = Impairments::perfect()
        .with_delay(Duration::from_millis(40))
        .with_uniform_jitter(Duration::from_millis(30))
        .with_loss(loss)
        .with_duplicate(0.02)
        .with_reorder(0.03, Duration::from_millis(25));
    Duplex::symmetric(seed, impairments)
}

/// ECM over a rough path with redundancy: every page arrives exactly.
#[test]
fn ecm_over_impaired_path_is_exact() {
    for (seed, coding, res) in
        [(1, Code::Mmr, Res::Fine), (2, Code::Mr, Res::Standard), (3, Code::Mh, Res::Fine)]
    {
        let case = Case { ecm: true, coding, res };
        let (tx, rx) = case.configs();
        let mut path = rough(seed, 0.05);
        let call = call(tx, rx, &mut path);
        check_exact(case, &call, &format!("seed {seed}, 5% loss"));
        let (ab, ba) = path.stats();
        assert!(ab.lost + ba.lost > 0, "the path lost nothing: {ab:?} {ba:?}");
        assert!(ab.duplicated + ba.duplicated > 0, "{ab:?} {ba:?}");
    }
}

/// The same seed gives the same call.
#[test]
fn impaired_runs_are_deterministic() {
    let case = Case { ecm: true, coding: Code::Mmr, res: Res::Standard };
    let run = || {
        let (tx, rx) = case.configs();
        let call = call(tx, rx, &mut rough(77, 0.05));
        (call.report, call.tx_stats, call.rx_stats)
    };
    assert_eq!(run(), run());
}

/// Non-ECM over a mildly lossy path with redundancy: it completes, and pages are
/// exact unless a loss got past the redundancy (then the copy-quality check sees
/// bad rows).
#[test]
fn non_ecm_over_lossy_path_completes() {
    let case = Case { ecm: false, coding: Code::Mr, res: Res::Fine };
    let (tx, rx) = case.configs();
    let mut path = rough(5, 0.02);
    let call = call(tx, rx, &mut path);
    assert!(call.report.finished(), "{:?}", call.report);
    let tx = call.tx.outcome.expect("sender outcome");
    assert!(tx.is_ok(), "{:?} {:?}", tx.result, call.rx.outcome);
    assert!(call.rx.pages.len() >= 8);
}

/// A sweep over seeds and impairment levels (independent and bursty loss up to
/// 10%, jitter, reordering, duplicates): every ECM call either delivers exact pages
/// or ends with a typed failure; below 5% loss every call delivers. Bounded so the
/// whole suite stays well under a minute.
#[test]
fn slow_suite_sweep() {
    const SWEEP: u64 = 48;
    let pages = &fixtures::itu_charts_standard()[..4];
    let mut delivered = 0;
    let mut failed = Vec::new();
    for seed in 0..SWEEP {
        let level = seed % 4;
        let loss = [0.0, 0.02, 0.05, 0.10][level as usize];
        let mut impairments = Impairments::perfect()
            .with_delay(Duration::from_millis(10 + 20 * level))
            .with_uniform_jitter(Duration::from_millis(5 * level + 1))
            .with_duplicate(0.01 * level as f64)
            .with_reorder(0.01 * level as f64, Duration::from_millis(30));
        impairments = if seed % 3 == 0 && loss > 0.0 {
            impairments.with_burst(fax_sim::GilbertElliott::from_rate_and_burst(loss, 2.0))
        } else {
            impairments.with_loss(loss)
        };
        let coding = [Code::Mh, Code::Mr, Code::Mmr][(seed % 3) as usize];
        let case = Case { ecm: true, coding, res: Res::Standard };
        let mut tx = session::Config::new(Role::Calling, Job::Send(pages.to_vec()));
        tx.codings = case.codings();
        let rx = session::Config::new(Role::Answering, Job::Receive);
        let mut path = Duplex::symmetric(seed, impairments);
        let call = call(Config::new(tx), Config::new(rx), &mut path);
        assert!(call.report.finished(), "seed {seed}: {:?}", call.report);
        let tx = call.tx.outcome.expect("sender outcome");
        let rx = call.rx.outcome.expect("receiver outcome");
        if tx.is_ok() && rx.is_ok() {
            delivered += 1;
            let got: Vec<&Page> = call.rx.pages.iter().map(|(p, _)| p).collect();
            assert_eq!(got.len(), pages.len(), "seed {seed}");
            for (g, s) in got.iter().zip(pages) {
                assert!(*g == s, "seed {seed}: a page differs");
            }
        } else {
            assert!(loss >= 0.05, "seed {seed} at {loss}: {:?} / {:?}", tx.result, rx.result);
            for failure in [&tx.result, &rx.result].into_iter().filter_map(|r| r.as_ref().err()) {
                let _: &Failure = failure;
            }
            failed.push((seed, tx.code(), rx.code()));
        }
    }
    eprintln!("sweep: {delivered} of {SWEEP} delivered; failed: {failed:?}");
    assert!(delivered >= SWEEP - 4, "{failed:?}");
}
