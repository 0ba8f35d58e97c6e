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

/// When each input arrives, counted from the start of its transmission: V.21 frames
/// after the preamble and their own bits, image data after training and as the bits
/// flow (in pieces of at most a second), carrier drops at the end.
fn timed(transmit: &Transmit, inputs: Vec<LineInput>) -> Vec<(Duration, LineInput)> {
    let total = transmit.nominal_duration();
    let bps = match transmit {
        Transmit::Tcf { rate, .. } | Transmit::ImageNonEcm { rate, .. } | Transmit::ImageEcm { rate, .. } => {
            u64::from(rate.bps())
        }
        _ => 300,
    };
    let at = |bits: u64| Duration::from_micros(bits * 1_000_000 / bps);
    let mut cursor = Duration::ZERO;
    let mut out = Vec::new();
    for input in inputs {
        match input {
            LineInput::V21Frame { ref octets, .. } => {
                if cursor.is_zero() {
                    cursor = Duration::from_secs(1);
                }
                cursor += at((octets.len() as u64 + 3) * 8);
                out.push((cursor.min(total), input));
            }
            LineInput::ImageCarrier { .. } => {
                cursor = total.saturating_sub(match transmit {
                    Transmit::Tcf { duration, .. } => *duration,
                    Transmit::ImageNonEcm { data, .. } => at(data.len() as u64 * 8),
                    Transmit::ImageEcm { frames, .. } => {
                        at(frames.iter().map(|f| f.fif.len() as u64 + 6).sum::<u64>() * 8)
                    }
                    _ => Duration::ZERO,
                });
                out.push((cursor, input));
            }
            LineInput::ImageData(data) => {
                for chunk in data.chunks((bps / 8) as usize) {
                    cursor += at(chunk.len() as u64 * 8);
                    out.push((cursor.min(total), LineInput::ImageData(chunk.to_vec())));
                }
            }
            LineInput::ImageFrame { ref octets, .. } => {
                cursor += at((octets.len() as u64 + 3) * 8);
                out.push((cursor.min(total), input));
            }
            other @ (LineInput::V21CarrierDown | LineInput::ImageCarrierDown) => out.push((total, other)),
            other => out.push((cursor, other)),
        }
    }
    out
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

/// Two sides joined by an ideal line: each side's transmissions are serialised and
/// take their nominal time; what they carry reaches the other side as it would on a
/// line (see [`timed`]), and the sender hears of the end when the last bit is out.
struct Pair {
    start: Instant,
    now: Instant,
    sides: [Side; 2],
    impairment: Option<Impairment>,
    /// Abort this side at this virtual time.
    abort_at: Option<(usize, Duration)>,
    /// Inputs on their way: when, to whom, what; and a hang-up after them.
    arriving: Vec<(Instant, usize, Option<LineInput>)>,
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
            abort_at: None,
            arriving: Vec::new(),
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

    fn elapsed(&self) -> f64 {
        self.now.duration_since(self.start).as_secs_f64()
    }

    /// Starts the next transmission of each idle side and schedules what it carries.
    fn start_transmissions(&mut self) {
        for from in 0..2 {
            let Some(session) = &mut self.sides[from].session else { continue };
            if self.sides[from].current.is_some() {
                continue;
            }
            let Some(transmit) = session.poll_transmit() else { continue };
            let mut inputs = inputs_for(&transmit);
            let mut effect = Effect::default();
            if let Some(f) = &mut self.impairment {
                effect = f(&Sent { from, transmit: &transmit }, &mut inputs);
            }
            let text = describe(&transmit);
            if !text.is_empty() {
                let t = self.elapsed();
                self.trace.push(format!("{t:9.3} {} {text}", if from == 0 { "A>" } else { "<B" }));
            }
            let end = self.now + transmit.nominal_duration();
            for (offset, input) in timed(&transmit, inputs) {
                self.arriving.push((self.now + offset, 1 - from, Some(input)));
            }
            if effect.hangup {
                self.arriving.push((end, 1 - from, None));
            }
            self.sides[from].current = Some((transmit, end));
        }
    }

    /// Runs until both sessions end; panics if virtual time passes `limit` (a hang)
    /// or a session stops asking for anything before it ends (a stall).
    fn run(mut self, limit: Duration) -> Run {
        let mut steps = 0u64;
        loop {
            steps += 1;
            assert!(steps < 1_000_000, "no progress\n{}", self.trace.join("\n"));
            self.start_transmissions();
            self.drain_events();
            let all_done = self.sides.iter().all(|s| s.session.as_ref().is_none_or(Session::is_done));
            if all_done {
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
                .chain(self.arriving.iter().map(|(at, _, _)| *at))
                .min();
            let Some(next) = next else {
                panic!("stalled: nothing scheduled but not done\n{}", self.trace.join("\n"));
            };
            assert!(
                next.duration_since(self.start) <= limit,
                "hang: still running after {limit:?}\n{}",
                self.trace.join("\n")
            );
            let abort = self.abort_at.map(|(_, at)| self.start + at);
            let next = abort.map_or(next, |a| a.min(next));
            self.now = self.now.max(next);
            let now = self.now;
            if let Some((side, at)) = self.abort_at
                && self.start + at <= now
            {
                self.abort_at = None;
                if let Some(s) = &mut self.sides[side].session {
                    s.abort(now);
                }
            }
            // Inputs due now, in the order they were sent.
            let (due, later): (Vec<_>, Vec<_>) = self.arriving.drain(..).partition(|(at, _, _)| *at <= now);
            self.arriving = later;
            for (_, to, input) in due {
                match input {
                    Some(input) => {
                        if let Some(peer) = &mut self.sides[to].session {
                            peer.handle(input, now);
                        }
                    }
                    None => {
                        let t = self.elapsed();
                        self.trace.push(format!("{t:9.3} --- hangup"));
                        self.arriving.clear();
                        for side in &mut self.sides {
                            side.current = None;
                            if let Some(s) = &mut side.session {
                                s.handle(LineInput::Hangup, now);
                            }
                        }
                    }
                }
            }
            for side in &mut self.sides {
                if matches!(&side.current, Some((_, end)) if *end <= now) {
                    side.current = None;
                    if let Some(session) = &mut side.session {
                        session.handle_transmit_done(now);
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

// ---- impairments -------------------------------------------------------------------------

/// The FCF of a V.21 or ECM frame input, if it parses.
fn fcf_of(input: &LineInput) -> Option<Fcf> {
    match input {
        LineInput::V21Frame { octets, .. } | LineInput::ImageFrame { octets, .. } => {
            Frame::parse(octets).ok().map(|f| f.fcf)
        }
        _ => None,
    }
}

fn is_signal(sent: &Sent<'_>, fcf: Fcf) -> bool {
    matches!(sent.transmit, Transmit::V21Frames(frames) if frames.last().is_some_and(|f| f.fcf == fcf))
}

/// Line noise: one bit error every 16 octets of image data in `from..from + len`.
fn spoil(inputs: &mut [LineInput], from: usize, len: usize) {
    for input in inputs {
        if let LineInput::ImageData(data) = input {
            let end = from.saturating_add(len).min(data.len());
            for i in (from.min(end)..end).step_by(16) {
                data[i] ^= 0x08;
            }
        }
    }
}

fn three_pages() -> Vec<Page> {
    charts()[..3].to_vec()
}

#[test]
fn ftt_falls_back_to_a_lower_rate() {
    let pages = three_pages();
    let run = Pair::new(sender(pages.clone(), false, Code::Mr), Some(receiver()))
        .impair(|sent, inputs| {
            if let Transmit::Tcf { rate, .. } = sent.transmit
                && rate.bps() >= 12000
            {
                // A burst of errors every half second: no second of clean zeros.
                for input in inputs.iter_mut() {
                    if let LineInput::ImageData(data) = input {
                        let step = usize::from(rate.bps()) / 16;
                        for i in (step..data.len()).step_by(step) {
                            data[i] = 0x10;
                        }
                    }
                }
            }
            Effect::default()
        })
        .run(HOUR);
    assert_ok(&run);
    assert_exact(&run, &pages);
    assert_eq!(run.outcome(0).stats.negotiated.unwrap().rate, Rate::V17_9600);
    assert_eq!(run.count("TCF@"), 3);
    assert_eq!(run.count("<B FTT"), 2);
    let trainings: Vec<(u16, bool)> = run.events[0]
        .iter()
        .filter_map(|e| match e {
            Event::Training { rate, ok } => Some((rate.bps(), *ok)),
            _ => None,
        })
        .collect();
    assert_eq!(trainings, vec![(14400, false), (12000, false), (9600, true)]);
    assert_eq!(run.outcome(0).stats.retrains, 2);
}

#[test]
fn training_fails_at_every_rate() {
    let mut rx = receiver();
    rx.rates = RateSet::of_modem(Modem::V29).union(RateSet::of_modem(Modem::V27ter));
    let run = Pair::new(sender(three_pages(), false, Code::Mh), Some(rx))
        .impair(|sent, inputs| {
            if let Transmit::Tcf { .. } = sent.transmit {
                spoil(inputs, 0, usize::MAX);
            }
            Effect::default()
        })
        .run(HOUR);
    // V.29 9600, 7200, V.27 ter 4800, 2400: the receiver offered no V.17.
    assert_eq!(run.count("TCF@"), 4, "{}", run.trace.join("\n"));
    assert_eq!(failure(&run, 0), Failure::TrainingFailed { lowest: Rate::V27TER_2400 });
    assert_eq!(failure(&run, 0).code(), "training_failed");
    assert_eq!(failure(&run, 1), Failure::RemoteDisconnected { phase: Phase::B });
}

#[test]
fn rtn_retrains_and_resends_the_page() {
    let pages = three_pages();
    let mut page_count = 0;
    let run = Pair::new(sender(pages.clone(), false, Code::Mh), Some(receiver()))
        .impair(move |sent, inputs| {
            if let Transmit::ImageNonEcm { .. } = sent.transmit {
                page_count += 1;
                if page_count == 2 {
                    spoil(inputs, 5000, 3000);
                }
            }
            Effect::default()
        })
        .run(HOUR);
    assert_ok(&run);
    let received = run.received(1);
    assert_eq!(received.len(), 4, "{}", run.trace.join("\n"));
    assert_eq!(received[1].1, PageQuality::Rejected);
    let kept: Vec<Page> =
        received.into_iter().filter(|(_, q)| *q != PageQuality::Rejected).map(|(p, _)| p).collect();
    assert!(kept == pages);
    assert_eq!(run.count("<B RTN"), 1);
    assert_eq!(run.count("TCF@"), 2);
    // After RTN the sender retrains one rate lower.
    assert_eq!(run.outcome(0).stats.negotiated.unwrap().rate, Rate::V17_12000);
    assert_eq!(run.outcome(0).stats.pages[1].resends, 1);
    assert!(run.outcome(1).stats.pages[1].bad_rows > 0);
}

#[test]
fn a_page_rejected_twice_ends_the_call() {
    let run = Pair::new(sender(three_pages(), false, Code::Mh), Some(receiver()))
        .impair(|sent, inputs| {
            if let Transmit::ImageNonEcm { .. } = sent.transmit {
                spoil(inputs, 3000, 6000);
            }
            Effect::default()
        })
        .run(HOUR);
    assert_eq!(failure(&run, 0), Failure::PageRejected { page: 0 });
    assert_eq!(failure(&run, 0).code(), "page_rejected");
    assert_eq!(run.count("<B RTN"), 2);
    assert_eq!(failure(&run, 1), Failure::RemoteDisconnected { phase: Phase::D });
}

#[test]
fn bad_fcs_gets_crp_and_a_repeat() {
    let pages = vec![small_page(200, Resolution::FINE)];
    let mut spoilt = false;
    let run = Pair::new(sender(pages.clone(), false, Code::Mh), Some(receiver()))
        .impair(move |sent, inputs| {
            if sent.from == 0 && is_signal(sent, Fcf::Dcs) && !spoilt {
                spoilt = true;
                for input in inputs.iter_mut() {
                    if let LineInput::V21Frame { fcs_ok, .. } = input {
                        *fcs_ok = false;
                    }
                }
            }
            Effect::default()
        })
        .run(HOUR);
    assert_ok(&run);
    assert_exact(&run, &pages);
    assert_eq!(run.count("<B CRP"), 1, "{}", run.trace.join("\n"));
    assert_eq!(run.count("A> TSI,DCS"), 2);
}

#[test]
fn crp_from_the_sender_repeats_the_response() {
    // The sender's MCF arrives damaged at... the receiver's MCF arrives damaged at the
    // sender, which repeats its command at once; the receiver answers it again without
    // counting the page twice.
    let pages = vec![small_page(200, Resolution::FINE), small_page(120, Resolution::FINE)];
    let mut spoilt = false;
    let run = Pair::new(sender(pages.clone(), false, Code::Mh), Some(receiver()))
        .impair(move |sent, inputs| {
            if sent.from == 1 && is_signal(sent, Fcf::Mcf) && !spoilt {
                spoilt = true;
                for input in inputs.iter_mut() {
                    if let LineInput::V21Frame { fcs_ok, .. } = input {
                        *fcs_ok = false;
                    }
                }
            }
            Effect::default()
        })
        .run(HOUR);
    assert_ok(&run);
    assert_exact(&run, &pages);
    assert_eq!(run.count("A> MPS"), 2, "{}", run.trace.join("\n"));
}

#[test]
fn a_lost_response_is_recovered_by_t4() {
    let pages = vec![small_page(200, Resolution::FINE), small_page(120, Resolution::FINE)];
    let mut dropped = false;
    let run = Pair::new(sender(pages.clone(), false, Code::Mh), Some(receiver()))
        .impair(move |sent, inputs| {
            if sent.from == 1 && is_signal(sent, Fcf::Mcf) && !dropped {
                dropped = true;
                inputs.clear();
            }
            Effect::default()
        })
        .run(HOUR);
    assert_ok(&run);
    assert_exact(&run, &pages);
    assert_eq!(run.count("A> MPS"), 2);
    assert_eq!(run.count("<B MCF"), 3);
}

#[test]
fn ecm_recovers_dropped_frames_with_ppr() {
    let pages = three_pages();
    let mut blocks = 0;
    let run = Pair::new(sender(pages.clone(), true, Code::Mmr), Some(receiver()))
        .impair(move |sent, inputs| {
            if let Transmit::ImageEcm { .. } = sent.transmit {
                blocks += 1;
                // Lose every seventh frame of the first sending, one frame of the
                // second, and spoil an FCS in the third.
                let mut n = 0;
                inputs.retain(|input| {
                    if fcf_of(input) == Some(Fcf::Fcd) {
                        n += 1;
                        return !((blocks == 1 && n % 7 == 3) || (blocks == 2 && n == 1));
                    }
                    true
                });
                if blocks == 4
                    && let Some(LineInput::ImageFrame { fcs_ok, .. }) = inputs.get_mut(2)
                {
                    *fcs_ok = false;
                }
            }
            Effect::default()
        })
        .run(HOUR);
    assert_ok(&run);
    assert_exact(&run, &pages);
    let sender_stats = &run.outcome(0).stats;
    assert!(sender_stats.pprs >= 3, "{}", run.trace.join("\n"));
    assert_eq!(sender_stats.pprs, run.outcome(1).stats.pprs);
    assert!(sender_stats.pages[0].frames_repeated > 0);
}

#[test]
fn ecm_gives_up_after_ctc_and_eor() {
    let run = Pair::new(sender(three_pages(), true, Code::Mmr), Some(receiver()))
        .impair(|sent, inputs| {
            if let Transmit::ImageEcm { .. } = sent.transmit {
                // Frame 3 of every block never arrives.
                inputs.retain(|input| match input {
                    LineInput::ImageFrame { octets, .. } => {
                        !(octets.len() > 3 && octets[2] == 0x06 && octets[3] == 3)
                    }
                    _ => true,
                });
            }
            Effect::default()
        })
        .run(HOUR);
    assert_eq!(failure(&run, 0), Failure::EcmRetransmissionLimit { page: 0 });
    assert_eq!(failure(&run, 0).code(), "ecm_retransmission_limit");
    // Four PPRs, CTC, four more, CTC, four more, then EOR.
    assert_eq!(run.count("<B PPR"), 12, "{}", run.trace.join("\n"));
    assert_eq!(run.count("A> CTC"), 2);
    assert_eq!(run.count("<B CTR"), 2);
    assert_eq!(run.count("A> EOR"), 1);
    assert_eq!(run.count("<B ERR"), 1);
    assert_eq!(run.outcome(0).stats.negotiated.unwrap().rate, Rate::V17_9600);
    // The receiver got the page with a gap: delivered as rejected or unreadable.
    let salvage = run.events[1].iter().any(|e| {
        matches!(e, Event::PageReceived { quality: PageQuality::Rejected, .. } | Event::PageUnreadable { .. })
    });
    assert!(salvage);
    assert_eq!(failure(&run, 1), Failure::RemoteDisconnected { phase: Phase::D });
}

#[test]
fn rnr_is_polled_with_rr() {
    let pages = vec![small_page(300, Resolution::FINE)];
    let mut busy = 0;
    let run = Pair::new(sender(pages.clone(), true, Code::Mmr), Some(receiver()))
        .impair(move |sent, inputs| {
            // The receiver's first two answers become RNR: it is "busy".
            if sent.from == 1 && is_signal(sent, Fcf::Mcf) && busy < 2 {
                busy += 1;
                let rnr = Frame::new(Fcf::Rnr, false).encode();
                *inputs = vec![LineInput::V21Frame { octets: rnr, fcs_ok: true }, LineInput::V21CarrierDown];
            }
            Effect::default()
        })
        .run(HOUR);
    assert_ok(&run);
    assert_exact(&run, &pages);
    assert_eq!(run.count("A> RR"), 2, "{}", run.trace.join("\n"));
}

#[test]
fn fine_pages_are_reduced_for_a_standard_receiver() {
    let pages = three_pages();
    let mut rx = receiver();
    rx.resolutions = Resolutions { fine: false, superfine: false, r300: false, r16: false };
    let run = Pair::new(sender(pages.clone(), false, Code::Mr), Some(rx)).run(HOUR);
    assert_ok(&run);
    let expected: Vec<Page> = pages.iter().map(to_standard).collect();
    assert_exact(&run, &expected);
}

#[test]
fn a_change_of_resolution_goes_through_eom() {
    let pages = vec![small_page(200, Resolution::FINE), small_page(100, Resolution::STANDARD)];
    for ecm in [false, true] {
        let run = Pair::new(sender(pages.clone(), ecm, Code::Mr), Some(receiver())).run(HOUR);
        assert_ok(&run);
        assert_exact(&run, &pages);
        assert_eq!(run.count("EOM"), 1, "{}", run.trace.join("\n"));
        assert_eq!(run.count("<B NSF,CSI,DIS"), 2);
        assert_eq!(run.count("A> TSI,DCS"), 2);
    }
}

#[test]
fn polling_a_document() {
    let pages = vec![small_page(150, Resolution::FINE), small_page(150, Resolution::FINE)];
    let mut poller = Config::new(Role::Calling, Job::Receive);
    poller.ident = Some(Ident::new("555").unwrap());
    let mut polled = Config::new(Role::Answering, Job::Send(pages.clone()));
    polled.ident = Some(Ident::new("777").unwrap());
    let run = Pair::new(poller, Some(polled)).run(HOUR);
    assert_ok(&run);
    let received: Vec<Page> = run.received(0).into_iter().map(|(p, _)| p).collect();
    assert!(received == pages);
    assert_eq!(run.count("A> CIG,DTC"), 1, "{}", run.trace.join("\n"));
    assert_eq!(run.outcome(0).stats.remote_ident.as_ref().unwrap().number(), "777");
    assert_eq!(run.outcome(1).stats.remote_ident.as_ref().unwrap().number(), "555");
}

// ---- typed failures within the timers ---------------------------------------------------

#[test]
fn silent_line_is_no_answer_tone_at_t1() {
    let run = Pair::new(sender(three_pages(), false, Code::Mh), None).run(HOUR);
    assert_eq!(failure(&run, 0), Failure::NoAnswerTone);
    assert_eq!(failure(&run, 0).code(), "no_answer_tone");
    assert!(run.elapsed <= Duration::from_secs(36), "{:?}", run.elapsed);
    assert!(run.count("Cng") >= 9);
}

#[test]
fn answer_tone_without_dis_is_not_a_fax() {
    let mut rx = receiver();
    // A "terminal" whose V.21 never gets through: CED, then damaged frames only.
    rx.ident = None;
    let run = Pair::new(sender(three_pages(), false, Code::Mh), Some(rx))
        .impair(|sent, inputs| {
            if sent.from == 1 {
                for input in inputs.iter_mut() {
                    if let LineInput::V21Frame { fcs_ok, .. } = input {
                        *fcs_ok = false;
                    }
                }
            }
            Effect::default()
        })
        .run(HOUR);
    assert_eq!(failure(&run, 0), Failure::RemoteNotFax);
    assert_eq!(failure(&run, 1), Failure::Timeout { timer: Timer::T1, phase: Phase::B });
    assert!(run.elapsed <= Duration::from_secs(40));
}

#[test]
fn silent_caller_is_t1_for_the_answerer() {
    let run = Pair::new(receiver(), None).run(HOUR);
    assert_eq!(failure(&run, 0), Failure::Timeout { timer: Timer::T1, phase: Phase::B });
    assert_eq!(failure(&run, 0).code(), "timeout_t1");
    assert!(run.elapsed <= Duration::from_secs(36));
    // DIS is repeated on T4 while T1 runs.
    assert!(run.count("NSF,CSI,DIS") >= 6, "{}", run.trace.join("\n"));
}

#[test]
fn receiver_goes_silent_after_training() {
    let mut silent = false;
    let run = Pair::new(sender(three_pages(), false, Code::Mh), Some(receiver()))
        .impair(move |sent, inputs| {
            if sent.from == 1 && is_signal(sent, Fcf::Cfr) {
                silent = true;
            }
            if silent && sent.from == 1 {
                inputs.clear();
            }
            Effect::default()
        })
        .run(HOUR);
    // The CFR never arrives: DCS + TCF three times, then T4 gives up.
    assert_eq!(failure(&run, 0), Failure::Timeout { timer: Timer::T4, phase: Phase::B });
    assert_eq!(run.count("A> TSI,DCS"), 3);
    assert!(run.elapsed <= Duration::from_secs(60), "{:?}", run.elapsed);
}

#[test]
fn hang_up_mid_page() {
    let run = Pair::new(sender(three_pages(), false, Code::Mh), Some(receiver()))
        .impair(|sent, inputs| {
            if let Transmit::ImageNonEcm { .. } = sent.transmit {
                // Half the page, then the line drops.
                for input in inputs.iter_mut() {
                    if let LineInput::ImageData(data) = input {
                        data.truncate(data.len() / 2);
                    }
                }
                inputs.retain(|i| *i != LineInput::ImageCarrierDown);
                return Effect { hangup: true };
            }
            Effect::default()
        })
        .run(HOUR);
    assert_eq!(failure(&run, 0), Failure::RemoteHungUp { phase: Phase::C });
    assert_eq!(failure(&run, 1), Failure::RemoteHungUp { phase: Phase::C });
    assert_eq!(failure(&run, 1).code(), "remote_hung_up");
}

#[test]
fn dcn_instead_of_cfr() {
    let run = Pair::new(sender(three_pages(), false, Code::Mh), Some(receiver()))
        .impair(|sent, inputs| {
            if sent.from == 1 && is_signal(sent, Fcf::Cfr) {
                let dcn = Frame::new(Fcf::Dcn, false).encode();
                *inputs = vec![LineInput::V21Frame { octets: dcn, fcs_ok: true }, LineInput::V21CarrierDown];
            }
            Effect::default()
        })
        .run(HOUR);
    assert_eq!(failure(&run, 0), Failure::RemoteDisconnected { phase: Phase::B });
    assert_eq!(failure(&run, 0).code(), "remote_disconnected");
    // The receiver, which sent CFR, waits T2 for the page and gives up.
    assert_eq!(failure(&run, 1), Failure::Timeout { timer: Timer::T2, phase: Phase::B });
}

#[test]
fn incompatible_width() {
    let b4 = Page::new(2048, 100, Resolution::FINE, &Limits::default()).unwrap();
    let mut rx = receiver();
    rx.max_width = fax_t30::Width::A4;
    let run = Pair::new(sender(vec![b4], false, Code::Mh), Some(rx)).run(HOUR);
    assert_eq!(failure(&run, 0), Failure::Incompatible(Incompatibility::Width));
    assert_eq!(failure(&run, 0).code(), "incompatible_capabilities");
    assert!(!failure(&run, 0).is_retryable());
    assert_eq!(failure(&run, 1), Failure::RemoteDisconnected { phase: Phase::B });
    assert_eq!(run.count("A> DCN"), 1);
}

#[test]
fn incompatible_roles() {
    // Two answering receivers: DIS meets DIS until one of them gives up.
    let run = Pair::new(receiver(), Some(receiver())).run(HOUR);
    assert_eq!(failure(&run, 0).code(), "unexpected_frame");
    assert!(run.elapsed < Duration::from_secs(35));
    // A caller that wants to receive from a terminal with nothing to send.
    let run = Pair::new(Config::new(Role::Calling, Job::Receive), Some(receiver())).run(HOUR);
    assert_eq!(failure(&run, 0), Failure::Incompatible(Incompatibility::RemoteHasNothingToSend));
}

#[test]
fn document_problems_end_at_once() {
    let odd = Page::new(1700, 10, Resolution::FINE, &Limits::default()).unwrap();
    let mut session = Session::new(sender(vec![odd], false, Code::Mh), Instant::now());
    assert!(session.is_done());
    let events: Vec<Event> = std::iter::from_fn(|| session.poll_event()).collect();
    assert!(matches!(
        events.last(),
        Some(Event::Completed(Outcome { result: Err(Failure::DocumentUnsupported { page: 0, .. }), .. }))
    ));
    assert!(session.poll_transmit().is_none() && session.poll_timeout().is_none());
}

#[test]
fn local_abort_sends_dcn() {
    // Before anything was exchanged: no DCN, just the outcome.
    let mut session = Session::new(sender(three_pages(), false, Code::Mh), Instant::now());
    session.abort(Instant::now());
    let events: Vec<Event> = std::iter::from_fn(|| session.poll_event()).collect();
    assert!(matches!(events.last(), Some(Event::Completed(o)) if o.code() == "local_abort"));
    assert!(session.poll_transmit().is_none());
    // In the middle of a call: DCN goes out, the other side sees it.
    let mut pair = Pair::new(sender(three_pages(), false, Code::Mh), Some(receiver()));
    pair.abort_at = Some((0, Duration::from_secs(20)));
    let run = pair.run(HOUR);
    assert_eq!(failure(&run, 0), Failure::LocalAbort);
    assert_eq!(run.count("A> DCN"), 1);
    assert!(matches!(failure(&run, 1), Failure::RemoteDisconnected { .. }));
}

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Plausible and implausible frames: every known FCF with random FIFs of several
/// lengths, and raw garbage.
fn random_frame(rng: &mut Rng) -> Vec<u8> {
    let known: Vec<Fcf> = Fcf::known().collect();
    if rng.below(8) == 0 {
        return (0..rng.below(40)).map(|_| rng.next() as u8).collect();
    }
    let fcf = known[rng.below(known.len() as u64) as usize];
    let len = [0, 1, 2, 3, 4, 10, 20, 32, 64, 257][rng.below(10) as usize];
    let fif: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
    let mut frame = Frame::with_fif(fcf, rng.below(2) == 0, fif);
    frame.final_frame = rng.below(4) != 0;
    frame.encode()
}

#[test]
fn any_input_in_any_state_ends_within_the_timers() {
    for seed in 1..300u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let role = if seed % 2 == 0 { Role::Calling } else { Role::Answering };
        let job =
            if seed % 3 == 0 { Job::Receive } else { Job::Send(vec![small_page(40, Resolution::FINE)]) };
        let mut config = Config::new(role, job);
        config.ecm = seed % 5 != 0;
        let start = Instant::now();
        let mut now = start;
        let mut session = Session::new(config, start);
        let mut done = false;
        for _ in 0..2000 {
            while session.poll_transmit().is_some() {
                session.handle_transmit_done(now);
            }
            while let Some(event) = session.poll_event() {
                if matches!(event, Event::Completed(_)) {
                    done = true;
                }
            }
            if done {
                break;
            }
            now += Duration::from_millis(rng.below(1500));
            if session.poll_timeout().is_some_and(|t| t <= now) {
                session.handle_timeout(now);
                continue;
            }
            let input = match rng.below(12) {
                0 => LineInput::Tone(if rng.below(2) == 0 { Tone::Cng } else { Tone::Ced }),
                1..=4 => LineInput::V21Frame { octets: random_frame(&mut rng), fcs_ok: rng.below(6) != 0 },
                5 => LineInput::V21CarrierDown,
                6 => LineInput::ImageCarrier { rate: Rate::LADDER[rng.below(8) as usize] },
                7 => LineInput::ImageData((0..rng.below(3000)).map(|_| rng.next() as u8).collect()),
                8 => LineInput::ImageFrame { octets: random_frame(&mut rng), fcs_ok: rng.below(4) != 0 },
                9 => LineInput::ImageCarrierDown,
                10 => LineInput::V21Frame {
                    // A valid-looking DIS or DCS with random capability bits.
                    octets: {
                        let fcf = if rng.below(2) == 0 { Fcf::Dis } else { Fcf::Dcs };
                        Frame::with_fif(fcf, true, (0..rng.below(12)).map(|_| rng.next() as u8).collect())
                            .encode()
                    },
                    fcs_ok: true,
                },
                _ => LineInput::V21CarrierDown,
            };
            session.handle(input, now);
        }
        // Whatever happened, with the line gone quiet the timers end the session.
        let deadline = now + Duration::from_secs(120);
        while !done {
            while session.poll_transmit().is_some() {
                session.handle_transmit_done(now);
            }
            while let Some(event) = session.poll_event() {
                if matches!(event, Event::Completed(_)) {
                    done = true;
                }
            }
            if done {
                break;
            }
            let Some(t) = session.poll_timeout() else {
                panic!("seed {seed}: no timer and not done: {session:?}")
            };
            assert!(t <= deadline, "seed {seed}: still waiting at {:?}", t.duration_since(start));
            now = now.max(t);
            session.handle_timeout(now);
        }
    }
}

#[test]
fn ecm_with_64_octet_frames() {
    let pages = three_pages();
    let mut tx = sender(pages.clone(), true, Code::Mr);
    tx.ecm_frame_size = FrameSize::Octets64;
    let mut dropped = false;
    let run = Pair::new(tx, Some(receiver()))
        .impair(move |sent, inputs| {
            if let Transmit::ImageEcm { .. } = sent.transmit
                && !dropped
            {
                dropped = true;
                inputs.remove(5);
            }
            Effect::default()
        })
        .run(HOUR);
    assert_ok(&run);
    assert_exact(&run, &pages);
    assert_eq!(run.outcome(1).stats.negotiated.unwrap().ecm, Some(FrameSize::Octets64));
    // Over 16 KiB of coded page is more than 256 frames of 64 octets: several blocks.
    assert!(run.count("PPS-NULL") > 0, "{}", run.trace.join("\n"));
    assert_eq!(run.count("<B PPR"), 1);
}
