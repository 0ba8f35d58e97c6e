//! Two T.30 sessions faxing each other over an ideal, impairable medium in virtual
//! time: the 8-page ITU chart document with ECM on and off, MH/MR/MMR, standard and
//! fine, received pixel-exactly; training fallback, retrain after RTN, CRP, ECM
//! selective repeat; and every typed failure reached within the timers.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use fax_image::{Limits, Page, Resolution};
use fax_t30::ecm::FrameSize;
use fax_t30::session::{
    Codings, Config, Event, Failure, Incompatibility, Job, LineInput, Outcome, PageQuality, Phase,
    Resolutions, Role, Session, Timer, Tone, Transmit,
};
use fax_t30::{Fcf, Frame, Ident, Modem, Rate, RateSet};

// ---- the medium ----------------------------------------------------------------------

/// What an impairment sees: which side sent, what, and how many transmissions that
/// side has made.
struct Sent<'a> {
    from: usize,
    transmit: &'a Transmit,
}

/// What an impairment may do with the inputs the other side is about to receive.
#[derive(Default)]
struct Effect {
    /// Hang up the line after delivering them.
    hangup: bool,
}

type Impairment = Box<dyn FnMut(&Sent<'_>, &mut Vec<LineInput>) -> Effect>;

/// The line inputs a transmission produces at the other end of an ideal line.
fn inputs_for(transmit: &Transmit) -> Vec<LineInput> {
    match transmit {
        Transmit::Tone { tone, .. } => vec![LineInput::Tone(*tone)],
        Transmit::Silence(_) => Vec::new(),
        Transmit::V21Frames(frames) => {
            let mut v: Vec<LineInput> =
                frames.iter().map(|f| LineInput::V21Frame { octets: f.encode(), fcs_ok: true }).collect();
            v.push(LineInput::V21CarrierDown);
            v
        }
        Transmit::Tcf { rate, duration } => {
            let octets = (u128::from(rate.bps()) * duration.as_millis() / 8000) as usize;
            vec![
                LineInput::ImageCarrier { rate: *rate },
                LineInput::ImageData(vec![0; octets]),
                LineInput::ImageCarrierDown,
            ]
        }
        Transmit::ImageNonEcm { rate, data } => vec![
            LineInput::ImageCarrier { rate: *rate },
            LineInput::ImageData(data.clone()),
            LineInput::ImageCarrierDown,
        ],
        Transmit::ImageEcm { rate, frames } => {
            let mut v = vec![LineInput::ImageCarrier { rate: *rate }];
            v.extend(frames.iter().map(|f| LineInput::ImageFrame { octets: f.encode(), fcs_ok: true }));
            v.push(LineInput::ImageCarrierDown);
            v
        }
    }
}

struct Side {
    session: Option<Session>,
    current: Option<(Transmit, Instant)>,
    events: Vec<Event>,
    outcome: Option<Outcome>,
}

impl Side {
    fn new(session: Option<Session>) -> Side {
        Side { session, current: None, events: Vec::new(), outcome: None }
    }
}

/// Two sides joined by a half-duplex ideal line: each side's transmissions are
/// serialised, take their nominal time, and arrive at the other side when they end.
struct Pair {
    start: Instant,
    now: Instant,
    sides: [Side; 2],
    impairment: Option<Impairment>,
    /// A trace of signals, for assertions and for reading a failing test.
    trace: Vec<String>,
}

/// The result of a run.
struct Run {
    outcomes: [Option<Outcome>; 2],
    events: [Vec<Event>; 2],
    trace: Vec<String>,
    elapsed: Duration,
}

impl Run {
    fn outcome(&self, side: usize) -> &Outcome {
        self.outcomes[side].as_ref().expect("side has no outcome")
    }

    fn received(&self, side: usize) -> Vec<(Page, PageQuality)> {
        self.events[side]
            .iter()
            .filter_map(|e| match e {
                Event::PageReceived { page, quality, .. } => Some((page.clone(), *quality)),
                _ => None,
            })
            .collect()
    }

    fn count(&self, signal: &str) -> usize {
        self.trace.iter().filter(|t| t.contains(signal)).count()
    }
}

fn describe(transmit: &Transmit) -> String {
    match transmit {
        Transmit::Tone { tone, .. } => format!("{tone:?}"),
        Transmit::Silence(_) => String::new(),
        Transmit::V21Frames(frames) => frames.iter().map(|f| f.fcf.to_string()).collect::<Vec<_>>().join(","),
        Transmit::Tcf { rate, .. } => format!("TCF@{rate}"),
        Transmit::ImageNonEcm { rate, data } => format!("PAGE@{rate}({})", data.len()),
        Transmit::ImageEcm { rate, frames } => format!("BLOCK@{rate}({})", frames.len()),
    }
}

impl Pair {
    fn new(a: Config, b: Option<Config>) -> Pair {
        let start = Instant::now();
        Pair {
            start,
            now: start,
            sides: [Side::new(Some(Session::new(a, start))), Side::new(b.map(|c| Session::new(c, start)))],
            impairment: None,
            trace: Vec::new(),
        }
    }

    fn impair(mut self, f: impl FnMut(&Sent<'_>, &mut Vec<LineInput>) -> Effect + 'static) -> Pair {
        self.impairment = Some(Box::new(f));
        self
    }

    fn drain_events(&mut self) {
        for side in &mut self.sides {
            let Some(session) = &mut side.session else { continue };
            while let Some(event) = session.poll_event() {
                if let Event::Completed(outcome) = &event {
                    assert!(side.outcome.is_none(), "two Completed events");
                    side.outcome = Some(outcome.clone());
                }
                side.events.push(event);
            }
        }
    }

    /// Runs until both sessions end; panics if virtual time passes `limit` (a hang)
    /// or a session stops asking for anything before it ends (a stall).
    fn run(mut self, limit: Duration) -> Run {
        let mut steps = 0u64;
        loop {
            steps += 1;
            assert!(steps < 200_000, "no progress\n{}", self.trace.join("\n"));
            for side in &mut self.sides {
                let Some(session) = &mut side.session else { continue };
                if side.current.is_none()
                    && let Some(t) = session.poll_transmit()
                {
                    let end = self.now + t.nominal_duration();
                    side.current = Some((t, end));
                }
            }
            self.drain_events();
            let all_done = self.sides.iter().all(|s| s.session.as_ref().is_none_or(Session::is_done));
            if all_done && self.sides.iter().all(|s| s.current.is_none()) {
                break;
            }
            let next = self
                .sides
                .iter()
                .flat_map(|s| {
                    [
                        s.current.as_ref().map(|(_, end)| *end),
                        s.session.as_ref().and_then(Session::poll_timeout),
                    ]
                })
                .flatten()
                .min();
            let Some(next) = next else {
                panic!("stalled: nothing scheduled but not done\n{}", self.trace.join("\n"));
            };
            assert!(
                next.duration_since(self.start) <= limit,
                "hang: still running after {limit:?}\n{}",
                self.trace.join("\n")
            );
            self.now = self.now.max(next);
            let now = self.now;
            // Transmissions that end now arrive at the other side.
            for from in 0..2 {
                let ends = matches!(&self.sides[from].current, Some((_, end)) if *end <= now);
                if !ends {
                    continue;
                }
                let Some((transmit, _)) = self.sides[from].current.take() else { continue };
                let mut inputs = inputs_for(&transmit);
                let mut effect = Effect::default();
                if let Some(f) = &mut self.impairment {
                    effect = f(&Sent { from, transmit: &transmit }, &mut inputs);
                }
                let text = describe(&transmit);
                if !text.is_empty() {
                    let t = now.duration_since(self.start).as_secs_f64();
                    self.trace.push(format!("{t:9.3} {} {text}", if from == 0 { "A>" } else { "<B" }));
                }
                let to = 1 - from;
                if let Some(peer) = &mut self.sides[to].session {
                    for input in inputs {
                        peer.handle(input, now);
                    }
                }
                if let Some(session) = &mut self.sides[from].session {
                    session.handle_transmit_done(now);
                }
                if effect.hangup {
                    self.trace.push("--- hangup".into());
                    for side in &mut self.sides {
                        side.current = None;
                        if let Some(s) = &mut side.session {
                            s.handle(LineInput::Hangup, now);
                        }
                    }
                }
            }
            for side in &mut self.sides {
                if let Some(session) = &mut side.session
                    && session.poll_timeout().is_some_and(|t| t <= now)
                {
                    session.handle_timeout(now);
                }
            }
        }
        let elapsed = self.now.duration_since(self.start);
        let [a, b] = self.sides;
        Run { outcomes: [a.outcome, b.outcome], events: [a.events, b.events], trace: self.trace, elapsed }
    }
}

// ---- documents and configurations -----------------------------------------------------

fn charts() -> &'static [Page] {
    static PAGES: OnceLock<Vec<Page>> = OnceLock::new();
    PAGES.get_or_init(|| {
        (1..=8)
            .map(|i| {
                let path = format!("{}/../../../shared/testdata/itu/itu{i}.pbm", env!("CARGO_MANIFEST_DIR"));
                let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
                let mut pages = fax_image::pbm::read(&data, Resolution::FINE, &Limits::default()).unwrap();
                assert_eq!(pages.len(), 1);
                pages.remove(0)
            })
            .collect()
    })
}

/// A fine page reduced to standard by OR-ing row pairs: what the sender's
/// conversion must produce, written independently here.
fn to_standard(page: &Page) -> Page {
    let height = page.height().div_ceil(2);
    let mut out = Page::new(page.width(), height, Resolution::STANDARD, &Limits::default()).unwrap();
    for y in 0..page.height() {
        let src = page.row(y).to_vec();
        for (o, s) in out.row_mut(y / 2).iter_mut().zip(src) {
            *o |= s;
        }
    }
    out
}

fn standard_charts() -> Vec<Page> {
    charts().iter().map(to_standard).collect()
}

fn small_page(rows: u32, resolution: Resolution) -> Page {
    let mut page = Page::new(1728, rows, resolution, &Limits::default()).unwrap();
    for y in 0..rows {
        for x in (y % 50..1728).step_by(97) {
            page.set_pixel(x, y, true);
        }
    }
    page
}

#[derive(Clone, Copy, Debug)]
enum Code {
    Mh,
    Mr,
    Mmr,
}

fn sender(pages: Vec<Page>, ecm: bool, code: Code) -> Config {
    let mut c = Config::new(Role::Calling, Job::Send(pages));
    c.ident = Some(Ident::new("+49 30 1234567").unwrap());
    c.ecm = ecm;
    c.codings = match code {
        Code::Mh => Codings { mr: false, mmr: false },
        Code::Mr => Codings { mr: true, mmr: false },
        Code::Mmr => Codings { mr: true, mmr: true },
    };
    c
}

fn receiver() -> Config {
    let mut c = Config::new(Role::Answering, Job::Receive);
    c.ident = Some(Ident::new("0123456789").unwrap());
    c.nsf = Some(vec![0x00, 0x00, 0x0e, 0x42]);
    c
}

const HOUR: Duration = Duration::from_secs(3600);

fn failure(run: &Run, side: usize) -> Failure {
    match &run.outcome(side).result {
        Err(f) => f.clone(),
        Ok(()) => panic!("side {side} succeeded\n{}", run.trace.join("\n")),
    }
}

fn assert_ok(run: &Run) {
    for side in 0..2 {
        assert!(
            run.outcome(side).is_ok(),
            "side {side}: {:?}\n{}",
            run.outcome(side).result,
            run.trace.join("\n")
        );
    }
}

fn assert_exact(run: &Run, expected: &[Page]) {
    let received = run.received(1);
    assert_eq!(received.len(), expected.len(), "{}", run.trace.join("\n"));
    for (i, ((page, quality), want)) in received.iter().zip(expected).enumerate() {
        assert_eq!(*quality, PageQuality::Good, "page {i}");
        assert!(page == want, "page {i} differs: {page:?} vs {want:?}");
    }
}

// ---- the 8-page matrix -----------------------------------------------------------------

fn eight_pages(ecm: bool, code: Code, fine: bool) {
    let pages = if fine { charts().to_vec() } else { standard_charts() };
    let run = Pair::new(sender(pages.clone(), ecm, code), Some(receiver())).run(HOUR);
    assert_ok(&run);
    assert_exact(&run, &pages);
    let stats = &run.outcome(0).stats;
    assert_eq!(stats.pages_sent, 8);
    assert_eq!(run.outcome(1).stats.pages_received, 8);
    let negotiated = stats.negotiated.unwrap();
    assert_eq!(negotiated.rate, Rate::V17_14400);
    assert_eq!(negotiated.ecm.is_some(), ecm);
    assert_eq!(
        negotiated.coding.name(),
        match code {
            Code::Mh => "MH",
            Code::Mr => "MR",
            Code::Mmr => "MMR",
        }
    );
    assert_eq!(stats.remote_ident.as_ref().unwrap().number(), "0123456789");
    assert_eq!(run.outcome(1).stats.remote_ident.as_ref().unwrap().number(), "+49 30 1234567");
    assert_eq!(stats.remote_nsf.as_ref().unwrap().0, vec![0x00, 0x00, 0x0e, 0x42]);
    // One DCS for the whole document: MPS between pages, EOP at the end.
    assert_eq!(run.count("TCF@"), 1, "{}", run.trace.join("\n"));
    if ecm {
        assert_eq!(run.count("PPS-MPS"), 7);
        assert_eq!(run.count("PPS-EOP"), 1);
    } else {
        assert_eq!(run.count("> MPS"), 7);
        assert_eq!(run.count("> EOP"), 1);
    }
    assert_eq!(run.count("DCN"), 1);
}

#[test]
fn eight_pages_non_ecm_mh_standard() {
    eight_pages(false, Code::Mh, false);
}

#[test]
fn eight_pages_non_ecm_mh_fine() {
    eight_pages(false, Code::Mh, true);
}

#[test]
fn eight_pages_non_ecm_mr_standard() {
    eight_pages(false, Code::Mr, false);
}

#[test]
fn eight_pages_non_ecm_mr_fine() {
    eight_pages(false, Code::Mr, true);
}

#[test]
fn eight_pages_ecm_mh_standard() {
    eight_pages(true, Code::Mh, false);
}

#[test]
fn eight_pages_ecm_mh_fine() {
    eight_pages(true, Code::Mh, true);
}

#[test]
fn eight_pages_ecm_mr_standard() {
    eight_pages(true, Code::Mr, false);
}

#[test]
fn eight_pages_ecm_mr_fine() {
    eight_pages(true, Code::Mr, true);
}

#[test]
fn eight_pages_ecm_mmr_standard() {
    eight_pages(true, Code::Mmr, false);
}

#[test]
fn eight_pages_ecm_mmr_fine() {
    eight_pages(true, Code::Mmr, true);
}

#[test]
fn one_small_page() {
    let pages = vec![small_page(100, Resolution::FINE)];
    let run = Pair::new(sender(pages.clone(), false, Code::Mh), Some(receiver())).run(HOUR);
    assert_ok(&run);
    assert_exact(&run, &pages);
}
