//! T.38 terminal pair benchmark: a sender and a receiver exchanging the eight ITU-T
//! charts as one document in virtual time (no sleeps), reported as simulated
//! seconds per CPU second.
//!
//! Each round builds a fresh pair (TIFF writing and temporary files are set up
//! before the clock starts) and times only the call: [`run_call`] ticking both
//! terminals by 20 ms and passing the IFP packets between them in memory. CPU time
//! is the benchmark thread's own, from `/proc/thread-self/schedstat` (the harness
//! is single-threaded); wall time is printed beside it, and exceeds CPU time when
//! other processes compete for the core. Each figure is the median
//! of several rounds after a warm-up. Before timing, one call per setup is checked
//! to complete with both sides reporting success and the pages arriving exactly,
//! so a broken call cannot report a figure.
//!
//! Ferrofax's own pair (`fax_line::t38::Terminal`) is measured beside it: "ours"
//! in the same harness (20 ms ticks, bare IFP), whose speed divided by SpanDSP's
//! is the ratio column (goal: at least 2×), and "ours sim" in `fax_sim::run_pair`
//! over a perfect UDPTL path, driven from event to event.
//!
//! Run with `cargo bench -p spandsp-peer --bench t38_pair` (`-- --quick` for one
//! short round).

use std::hint::black_box;
use std::time::{Duration, Instant};

use fax_image::Page;
use spandsp_peer::T38Terminal;
use spandsp_peer::harness::{Transport, run_call};
use spandsp_peer::t38_terminal::{Compressions, TerminalConfig};

/// Ten simulated minutes, far more than a call needs.
const LIMIT: u64 = 8000 * 600;

struct Setup {
    name: &'static str,
    ecm: bool,
    compressions: Compressions,
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let budget = if quick { Duration::from_millis(200) } else { Duration::from_secs(3) };
    let pages = load_charts();

    println!(
        "T.38 terminal pair, {} ITU-T charts (1728×2376 fine) as one document, virtual time, IFP passed in memory",
        pages.len()
    );
    println!(
        "{:<22} {:<8} {:>8} {:>8} {:>8} {:>12} {:>13} {:>6}",
        "setup", "pair", "sim s", "CPU ms", "wall ms", "sim s/CPU s", "sim s/wall s", "ratio"
    );
    for setup in [
        Setup { name: "ECM, MMR, V.17 14400", ecm: true, compressions: Compressions::MMR },
        Setup { name: "no ECM, MR, V.17 14400", ecm: false, compressions: Compressions::MR },
    ] {
        let (tx, rx) = configs(&setup);
        check(&setup, &tx, &rx, &pages);
        let spandsp = measure(budget, || {
            let mut sender = T38Terminal::sender(&tx, &pages).expect("sender");
            let mut receiver = T38Terminal::receiver(&rx).expect("receiver");
            let cpu = thread_cpu_time();
            let wall = Instant::now();
            let report = run_call(&mut sender, &mut receiver, &Transport::Direct, LIMIT).expect("call");
            let timing =
                Timing { cpu: thread_cpu_time() - cpu, wall: wall.elapsed(), simulated: report.seconds() };
            black_box(report);
            timing
        });
        println!(
            "{:<22} {:<8} {:>8.1} {:>8.1} {:>8.1} {:>11.0}× {:>12.0}× {:>6}",
            setup.name,
            "SpanDSP",
            spandsp.simulated,
            spandsp.cpu.as_secs_f64() * 1e3,
            spandsp.wall.as_secs_f64() * 1e3,
            spandsp.speed(),
            spandsp.simulated / spandsp.wall.as_secs_f64(),
            "—"
        );

        // ---- OURS: the Ferrofax T.30/T.38 pair -----------------------------------
        // The same setup in Ferrofax's terminals (`fax_line::t38::Terminal`), checked
        // like `check` does, then timed two ways: in the same harness as SpanDSP
        // (`run_call`, 20 ms ticks, bare IFP in memory), which gives the ratio, and
        // in `fax_sim::run_pair` over a perfect UDPTL path, which jumps from event to
        // event as a sans-IO terminal allows.
        let (ours_tx, ours_rx) = ours::configs(&setup, &pages);
        ours::check(&setup, &ours_tx, &ours_rx, &pages);
        let ours = measure(budget, || {
            let mut sender = ours::Ferrofax::new(ours_tx.clone());
            let mut receiver = ours::Ferrofax::new(ours_rx.clone());
            let cpu = thread_cpu_time();
            let wall = Instant::now();
            let report = run_call(&mut sender, &mut receiver, &Transport::Direct, LIMIT).expect("call");
            let timing =
                Timing { cpu: thread_cpu_time() - cpu, wall: wall.elapsed(), simulated: report.seconds() };
            black_box(report);
            timing
        });
        let ratio = ours.speed() / spandsp.speed();
        println!(
            "{:<22} {:<8} {:>8.1} {:>8.1} {:>8.1} {:>11.0}× {:>12.0}× {:>5.1}×",
            "",
            "ours",
            ours.simulated,
            ours.cpu.as_secs_f64() * 1e3,
            ours.wall.as_secs_f64() * 1e3,
            ours.speed(),
            ours.simulated / ours.wall.as_secs_f64(),
            ratio
        );
        let ours_sim = measure(budget, || {
            let mut clock = fax_sim::VirtualClock::starting_now();
            let mut sender = fax_line::t38::Terminal::new(ours_tx.clone(), clock.now()).expect("sender");
            let mut receiver = fax_line::t38::Terminal::new(ours_rx.clone(), clock.now()).expect("receiver");
            let mut path = fax_sim::Duplex::perfect();
            let cpu = thread_cpu_time();
            let wall = Instant::now();
            let report = fax_sim::run_pair(
                &mut sender,
                &mut receiver,
                &mut path,
                &mut clock,
                Duration::from_secs(600),
            );
            let timing = Timing {
                cpu: thread_cpu_time() - cpu,
                wall: wall.elapsed(),
                simulated: report.elapsed.as_secs_f64(),
            };
            assert!(report.finished());
            black_box((sender, receiver));
            timing
        });
        println!(
            "{:<22} {:<8} {:>8.1} {:>8.1} {:>8.1} {:>11.0}× {:>12.0}× {:>5.1}×",
            "",
            "ours sim",
            ours_sim.simulated,
            ours_sim.cpu.as_secs_f64() * 1e3,
            ours_sim.wall.as_secs_f64() * 1e3,
            ours_sim.speed(),
            ours_sim.simulated / ours_sim.wall.as_secs_f64(),
            ours_sim.speed() / spandsp.speed()
        );
    }
}

/// Matching sender and receiver setups: the sender calls.
fn configs(setup: &Setup) -> (TerminalConfig, TerminalConfig) {
    let base =
        TerminalConfig { ecm: setup.ecm, compressions: setup.compressions, ..TerminalConfig::default() };
    let tx = TerminalConfig { calling: true, ident: "BENCH TX".to_owned(), ..base.clone() };
    let rx = TerminalConfig { calling: false, ident: "BENCH RX".to_owned(), ..base };
    (tx, rx)
}

/// One call, checked: both sides succeed and every page arrives exactly.
fn check(setup: &Setup, tx: &TerminalConfig, rx: &TerminalConfig, pages: &[Page]) {
    let mut sender = T38Terminal::sender(tx, pages).expect("sender");
    let mut receiver = T38Terminal::receiver(rx).expect("receiver");
    let report = run_call(&mut sender, &mut receiver, &Transport::Direct, LIMIT).expect("call");
    assert!(report.finished, "{}: the call did not finish", setup.name);
    for (side, t) in [("sender", &sender), ("receiver", &receiver)] {
        let done = t.completion().unwrap_or_else(|| panic!("{}: {side} has no result", setup.name));
        assert!(done.is_ok(), "{}: {side}: {done}", setup.name);
    }
    assert_eq!(receiver.received_pages().expect("received TIFF"), pages, "{}", setup.name);
}

#[derive(Debug, Clone, Copy)]
struct Timing {
    cpu: Duration,
    wall: Duration,
    simulated: f64,
}

impl Timing {
    /// Simulated seconds per CPU second.
    fn speed(&self) -> f64 {
        self.simulated / self.cpu.as_secs_f64()
    }
}

/// The round with the median CPU time, over rounds filling `budget` (at least
/// three) after one warm-up.
fn measure(budget: Duration, mut f: impl FnMut() -> Timing) -> Timing {
    black_box(f()); // warm-up: allocator, caches, page tables
    let mut samples = Vec::new();
    let start = Instant::now();
    while samples.len() < 3 || start.elapsed() < budget {
        samples.push(f());
    }
    samples.sort_by_key(|t| t.cpu);
    samples[samples.len() / 2]
}

/// This thread's CPU time so far, from the scheduler's own accounting (the first
/// field of `/proc/thread-self/schedstat`, in nanoseconds).
fn thread_cpu_time() -> Duration {
    let stat =
        std::fs::read_to_string("/proc/thread-self/schedstat").expect("Linux /proc/thread-self/schedstat");
    let ns: u64 = stat.split_whitespace().next().and_then(|s| s.parse().ok()).expect("schedstat CPU time");
    Duration::from_nanos(ns)
}

fn load_charts() -> Vec<Page> {
    fixtures::itu_charts().to_vec()
}

/// Ferrofax's pair for the OURS rows.
mod ours {
    use std::time::{Duration, Instant};

    use fax_image::Page;
    use fax_line::t38::{Config, Terminal};
    use fax_t30::session::{self, Codings, Event, Job, Role};
    use spandsp_peer::harness::{IfpEndpoint, Transport, run_call};
    use spandsp_peer::t38_terminal::{SAMPLE_RATE, TxPacket};

    use super::{LIMIT, Setup};

    /// Ferrofax's terminal as a harness endpoint (the same adapter as in
    /// `tests/ferrofax_interop.rs`): samples become `Instant`s from a fixed start.
    pub struct Ferrofax {
        pub terminal: Terminal,
        now: Instant,
    }

    impl Ferrofax {
        pub fn new(config: Config) -> Ferrofax {
            let now = Instant::now();
            Ferrofax { terminal: Terminal::new(config, now).expect("terminal"), now }
        }
    }

    impl IfpEndpoint for Ferrofax {
        type Error = fax_line::Error;

        fn advance(&mut self, samples: u32) -> Result<Vec<TxPacket>, fax_line::Error> {
            self.now += Duration::from_micros(u64::from(samples) * 1_000_000 / u64::from(SAMPLE_RATE));
            if self.terminal.poll_timeout().is_some_and(|t| t <= self.now) {
                self.terminal.handle_timeout(self.now);
            }
            let mut out = Vec::new();
            while let Some(p) = self.terminal.poll_ifp() {
                out.push(TxPacket { seq: p.seq, ifp: p.ifp, repeat: p.repeat });
            }
            Ok(out)
        }

        fn receive(&mut self, ifp: &[u8], seq: u16) -> Result<(), fax_line::Error> {
            self.terminal.handle_ifp(ifp, seq, self.now);
            Ok(())
        }

        fn is_finished(&self) -> bool {
            self.terminal.is_finished()
        }
    }

    /// The setup in Ferrofax's terms: the sender calls.
    pub fn configs(setup: &Setup, pages: &[Page]) -> (Config, Config) {
        let codings = Codings { mr: true, mmr: setup.compressions.mmr };
        let mut tx = session::Config::new(Role::Calling, Job::Send(pages.to_vec()));
        tx.ecm = setup.ecm;
        tx.codings = codings;
        let mut rx = session::Config::new(Role::Answering, Job::Receive);
        rx.ecm = setup.ecm;
        rx.codings = codings;
        (Config::new(tx), Config::new(rx))
    }

    /// One call, checked: both sides succeed and every page arrives exactly.
    pub fn check(setup: &Setup, tx: &Config, rx: &Config, pages: &[Page]) {
        let mut sender = Ferrofax::new(tx.clone());
        let mut receiver = Ferrofax::new(rx.clone());
        let report = run_call(&mut sender, &mut receiver, &Transport::Direct, LIMIT).expect("call");
        assert!(report.finished, "{}: our call did not finish", setup.name);
        let mut received = Vec::new();
        for (side, t) in [("sender", &mut sender), ("receiver", &mut receiver)] {
            let mut ok = false;
            while let Some(event) = t.terminal.poll_event() {
                match event {
                    Event::Completed(outcome) => ok = outcome.is_ok(),
                    Event::PageReceived { page, .. } => received.push(page),
                    _ => {}
                }
            }
            assert!(ok, "{}: our {side} did not succeed", setup.name);
        }
        assert_eq!(received, pages, "{}", setup.name);
    }
}
