//! The two-endpoint driver with toy endpoints: it finishes what can finish, stops at
//! the virtual-time limit, and reports deadlocks, stuck timers and floods instead of
//! hanging.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use fax_sim::{
    Duplex, Endpoint, Event, Impairments, RunLimits, Side, StopReason, VirtualClock, run_pair,
    run_pair_observed,
};

const MS: Duration = Duration::from_millis(1);

const PING: u8 = 1;
const PONG: u8 = 2;
const DATA: u8 = 3;

fn message(kind: u8, n: u32) -> Vec<u8> {
    let mut m = vec![kind];
    m.extend_from_slice(&n.to_be_bytes());
    m
}

fn parse(d: &[u8]) -> Option<(u8, u32)> {
    let (&kind, rest) = d.split_first()?;
    Some((kind, u32::from_be_bytes(rest.try_into().ok()?)))
}

/// Sends pings 0..total, one at a time, each after the pong of the previous one, and
/// retransmits after `rto` without an answer.
#[derive(Debug)]
struct Pinger {
    total: u32,
    next: u32,
    rto: Duration,
    deadline: Option<Instant>,
    outbox: VecDeque<Vec<u8>>,
    retransmissions: u32,
}

impl Pinger {
    fn new(total: u32, rto: Duration, start: Instant) -> Pinger {
        // The first ping goes out from a timeout at the start, the way a real core
        // asks to be woken immediately.
        Pinger { total, next: 0, rto, deadline: Some(start), outbox: VecDeque::new(), retransmissions: 0 }
    }

    fn transmit(&mut self, now: Instant) {
        self.outbox.push_back(message(PING, self.next));
        self.deadline = Some(now + self.rto);
    }
}

impl Endpoint for Pinger {
    fn handle_datagram(&mut self, d: &[u8], now: Instant) {
        if parse(d) == Some((PONG, self.next)) && self.next < self.total {
            self.next += 1;
            if self.next == self.total {
                self.deadline = None;
            } else {
                self.transmit(now);
            }
        }
    }
    fn handle_timeout(&mut self, now: Instant) {
        if self.next > 0 {
            self.retransmissions += 1;
        }
        self.transmit(now);
    }
    fn poll_datagram(&mut self) -> Option<Vec<u8>> {
        self.outbox.pop_front()
    }
    fn poll_timeout(&self) -> Option<Instant> {
        self.deadline
    }
    fn is_finished(&self) -> bool {
        self.next == self.total
    }
}

/// Answers every ping with a pong; finished once it has seen the last ping.
#[derive(Debug)]
struct Ponger {
    total: u32,
    seen_last: bool,
    answered: u32,
    outbox: VecDeque<Vec<u8>>,
}

impl Ponger {
    fn new(total: u32) -> Ponger {
        Ponger { total, seen_last: false, answered: 0, outbox: VecDeque::new() }
    }
}

impl Endpoint for Ponger {
    fn handle_datagram(&mut self, d: &[u8], _now: Instant) {
        if let Some((PING, n)) = parse(d) {
            self.outbox.push_back(message(PONG, n));
            self.answered += 1;
            self.seen_last |= n + 1 == self.total;
        }
    }
    fn handle_timeout(&mut self, _now: Instant) {}
    fn poll_datagram(&mut self) -> Option<Vec<u8>> {
        self.outbox.pop_front()
    }
    fn poll_timeout(&self) -> Option<Instant> {
        None
    }
    fn is_finished(&self) -> bool {
        self.seen_last
    }
}

/// Sends `total` data datagrams, one every `interval`, driven only by its timer.
#[derive(Debug)]
struct TimedSender {
    total: u32,
    sent: u32,
    interval: Duration,
    deadline: Option<Instant>,
    outbox: Option<Vec<u8>>,
}

impl TimedSender {
    fn new(total: u32, interval: Duration, start: Instant) -> TimedSender {
        TimedSender { total, sent: 0, interval, deadline: Some(start), outbox: None }
    }
}

impl Endpoint for TimedSender {
    fn handle_datagram(&mut self, _d: &[u8], _now: Instant) {}
    fn handle_timeout(&mut self, now: Instant) {
        self.outbox = Some(message(DATA, self.sent));
        self.sent += 1;
        self.deadline = (self.sent < self.total).then(|| now + self.interval);
    }
    fn poll_datagram(&mut self) -> Option<Vec<u8>> {
        self.outbox.take()
    }
    fn poll_timeout(&self) -> Option<Instant> {
        self.deadline
    }
    fn is_finished(&self) -> bool {
        self.sent == self.total
    }
}

/// Receives data; finished when `expect` distinct datagrams arrived, or when nothing
/// arrived for `linger` after the first one.
#[derive(Debug)]
struct Sink {
    expect: u32,
    got: Vec<bool>,
    count: u32,
    linger: Duration,
    deadline: Option<Instant>,
    gave_up: bool,
}

impl Sink {
    fn new(expect: u32, linger: Duration) -> Sink {
        Sink { expect, got: vec![false; expect as usize], count: 0, linger, deadline: None, gave_up: false }
    }
}

impl Endpoint for Sink {
    fn handle_datagram(&mut self, d: &[u8], now: Instant) {
        if let Some((DATA, n)) = parse(d)
            && let Some(slot) = self.got.get_mut(n as usize)
            && !*slot
        {
            *slot = true;
            self.count += 1;
        }
        self.deadline = (!self.is_finished()).then(|| now + self.linger);
    }
    fn handle_timeout(&mut self, _now: Instant) {
        self.gave_up = true;
        self.deadline = None;
    }
    fn poll_datagram(&mut self) -> Option<Vec<u8>> {
        None
    }
    fn poll_timeout(&self) -> Option<Instant> {
        self.deadline
    }
    fn is_finished(&self) -> bool {
        self.gave_up || self.count == self.expect
    }
}

/// An endpoint that never finishes and wakes up every `period` to send a heartbeat.
#[derive(Debug)]
struct Heartbeat {
    period: Duration,
    deadline: Instant,
    pending: bool,
}

impl Endpoint for Heartbeat {
    fn handle_datagram(&mut self, _d: &[u8], _now: Instant) {}
    fn handle_timeout(&mut self, now: Instant) {
        self.deadline = now + self.period;
        self.pending = true;
    }
    fn poll_datagram(&mut self) -> Option<Vec<u8>> {
        std::mem::take(&mut self.pending).then(|| vec![0])
    }
    fn poll_timeout(&self) -> Option<Instant> {
        Some(self.deadline)
    }
    fn is_finished(&self) -> bool {
        false
    }
}

/// A buggy endpoint whose timeout never moves, however often it fires.
#[derive(Debug)]
struct StuckTimer {
    deadline: Instant,
    fired: u32,
}

impl Endpoint for StuckTimer {
    fn handle_datagram(&mut self, _d: &[u8], _now: Instant) {}
    fn handle_timeout(&mut self, _now: Instant) {
        self.fired += 1;
    }
    fn poll_datagram(&mut self) -> Option<Vec<u8>> {
        None
    }
    fn poll_timeout(&self) -> Option<Instant> {
        Some(self.deadline)
    }
    fn is_finished(&self) -> bool {
        false
    }
}

/// Does nothing and never finishes.
#[derive(Debug)]
struct Silent;

impl Endpoint for Silent {
    fn handle_datagram(&mut self, _d: &[u8], _now: Instant) {}
    fn handle_timeout(&mut self, _now: Instant) {}
    fn poll_datagram(&mut self) -> Option<Vec<u8>> {
        None
    }
    fn poll_timeout(&self) -> Option<Instant> {
        None
    }
    fn is_finished(&self) -> bool {
        false
    }
}

/// Echoes every datagram straight back, forever.
#[derive(Debug)]
struct Echo {
    outbox: VecDeque<Vec<u8>>,
    kick: bool,
}

impl Endpoint for Echo {
    fn handle_datagram(&mut self, d: &[u8], _now: Instant) {
        self.outbox.push_back(d.to_vec());
    }
    fn handle_timeout(&mut self, _now: Instant) {}
    fn poll_datagram(&mut self) -> Option<Vec<u8>> {
        if std::mem::take(&mut self.kick) {
            return Some(vec![42]);
        }
        self.outbox.pop_front()
    }
    fn poll_timeout(&self) -> Option<Instant> {
        None
    }
    fn is_finished(&self) -> bool {
        false
    }
}

/// Emits datagrams without end.
#[derive(Debug)]
struct Firehose;

impl Endpoint for Firehose {
    fn handle_datagram(&mut self, _d: &[u8], _now: Instant) {}
    fn handle_timeout(&mut self, _now: Instant) {}
    fn poll_datagram(&mut self) -> Option<Vec<u8>> {
        Some(vec![0; 4])
    }
    fn poll_timeout(&self) -> Option<Instant> {
        None
    }
    fn is_finished(&self) -> bool {
        false
    }
}

#[test]
fn ping_pong_over_a_perfect_path_finishes_in_exact_virtual_time() {
    let mut clock = VirtualClock::starting_now();
    let mut path = Duplex::symmetric(1, Impairments::perfect().with_delay(25 * MS));
    let mut a = Pinger::new(100, Duration::from_secs(1), clock.now());
    let mut b = Ponger::new(100);
    let report = run_pair(&mut a, &mut b, &mut path, &mut clock, Duration::from_secs(60));
    assert_eq!(report.stop, StopReason::Finished);
    assert!(report.finished());
    // 100 round trips of 50 ms each.
    assert_eq!(report.elapsed, Duration::from_secs(5));
    assert_eq!(report.ended_at, Duration::from_secs(5));
    assert_eq!(clock.elapsed(), Duration::from_secs(5));
    assert_eq!((report.a_to_b.delivered, report.b_to_a.delivered), (100, 100));
    assert_eq!(a.retransmissions, 0);
    assert_eq!(report.timeouts, (1, 0));
    assert_eq!(report.steps, 1 + 2 * 100);
}

#[test]
fn ping_pong_over_a_bad_path_finishes_with_retransmissions() {
    let imp = Impairments::internet_like().with_loss(0.2);
    for seed in 0..20 {
        let mut clock = VirtualClock::starting_now();
        let mut path = Duplex::symmetric(seed, imp);
        let mut a = Pinger::new(200, 300 * MS, clock.now());
        let mut b = Ponger::new(200);
        let report = run_pair(&mut a, &mut b, &mut path, &mut clock, Duration::from_secs(600));
        assert_eq!(report.stop, StopReason::Finished, "seed {seed}: {report:?}");
        assert!(a.retransmissions > 0 && report.a_to_b.lost + report.b_to_a.lost > 0);
        assert_eq!(u64::from(b.answered), report.a_to_b.delivered);
    }
}

#[test]
fn timer_driven_sender_finishes() {
    let mut clock = VirtualClock::starting_now();
    let mut path = Duplex::symmetric(3, Impairments::perfect().with_delay(50 * MS));
    let mut a = TimedSender::new(1000, 20 * MS, clock.now());
    let mut b = Sink::new(1000, Duration::from_secs(2));
    let report = run_pair(&mut a, &mut b, &mut path, &mut clock, Duration::from_secs(3600));
    assert_eq!(report.stop, StopReason::Finished);
    assert_eq!(report.elapsed, 20 * MS * 999 + 50 * MS);
    assert_eq!(b.count, 1000);
    assert!(!b.gave_up);

    // Over a lossy path the sink gives up after its linger time instead.
    let mut clock = VirtualClock::starting_now();
    let mut path = Duplex::symmetric(3, Impairments::lossy(0.1).with_delay(50 * MS));
    let mut a = TimedSender::new(1000, 20 * MS, clock.now());
    let mut b = Sink::new(1000, Duration::from_secs(2));
    let report = run_pair(&mut a, &mut b, &mut path, &mut clock, Duration::from_secs(3600));
    assert_eq!(report.stop, StopReason::Finished);
    assert!(b.gave_up);
    assert_eq!(u64::from(b.count), report.a_to_b.delivered);
    assert_eq!(report.a_to_b.sent, 1000);
}

#[test]
fn virtual_time_limit_is_respected() {
    let mut clock = VirtualClock::starting_now();
    let start = clock.now();
    let mut path = Duplex::symmetric(0, Impairments::internet_like());
    let mut a = Heartbeat { period: 333 * MS, deadline: start, pending: false };
    let mut b = Heartbeat { period: 500 * MS, deadline: start, pending: false };
    let limit = Duration::from_secs(3600);
    let report = run_pair(&mut a, &mut b, &mut path, &mut clock, limit);
    assert_eq!(report.stop, StopReason::TimeLimit);
    assert_eq!(report.elapsed, limit);
    assert_eq!(clock.elapsed(), limit);
    // Timers at 0, 333 ms, ... up to the limit inclusive: 3600 / 0.333 rounded down,
    // plus the one at zero.
    assert_eq!(report.timeouts, (10_811, 7_201));

    // A second run on the same clock counts its limit from where the first stopped.
    let report = run_pair(&mut a, &mut b, &mut path, &mut clock, Duration::from_secs(10));
    assert_eq!(report.stop, StopReason::TimeLimit);
    assert_eq!(report.elapsed, Duration::from_secs(10));
    assert_eq!(report.ended_at, limit + Duration::from_secs(10));
}

#[test]
fn stuck_timer_is_detected() {
    let mut clock = VirtualClock::starting_now();
    let mut path = Duplex::perfect();
    let past = clock.now();
    clock.advance(Duration::from_secs(1));
    let mut a = Silent;
    let mut b = StuckTimer { deadline: past, fired: 0 };
    let limits = RunLimits { max_steps_per_instant: 500, ..RunLimits::new(Duration::from_secs(10)) };
    let report = run_pair_observed(&mut a, &mut b, &mut path, &mut clock, &limits, |_| {});
    assert_eq!(report.stop, StopReason::Stuck { a_overdue: false, b_overdue: true });
    // A deadline in the past never moves the clock backwards.
    assert_eq!(clock.elapsed(), Duration::from_secs(1));
    assert_eq!(report.elapsed, Duration::ZERO);
    assert_eq!(b.fired, 500);
}

#[test]
fn zero_delay_ping_pong_forever_is_stuck_not_hung() {
    let mut clock = VirtualClock::starting_now();
    let mut path = Duplex::perfect();
    let mut a = Echo { outbox: VecDeque::new(), kick: true };
    let mut b = Echo { outbox: VecDeque::new(), kick: false };
    let report = run_pair(&mut a, &mut b, &mut path, &mut clock, Duration::from_secs(1));
    assert_eq!(report.stop, StopReason::Stuck { a_overdue: false, b_overdue: false });
    assert_eq!(report.elapsed, Duration::ZERO);

    // The same pair over a path with delay runs into the time limit instead.
    let mut path = Duplex::symmetric(0, Impairments::perfect().with_delay(MS));
    let mut a = Echo { outbox: VecDeque::new(), kick: true };
    let report = run_pair(&mut a, &mut b, &mut path, &mut clock, Duration::from_secs(1));
    assert_eq!(report.stop, StopReason::TimeLimit);
    assert_eq!(report.steps, 1000);
}

#[test]
fn deadlock_is_reported_as_idle() {
    let mut clock = VirtualClock::starting_now();
    let report =
        run_pair(&mut Silent, &mut Silent, &mut Duplex::perfect(), &mut clock, Duration::from_secs(1));
    assert_eq!(report.stop, StopReason::Idle);
    assert_eq!(report.steps, 0);
    // A sender whose only datagram is lost, and a sink that only starts its give-up
    // timer on the first arrival: nothing is left that could ever happen.
    let mut clock = VirtualClock::starting_now();
    let mut a = TimedSender::new(1, 20 * MS, clock.now());
    let mut b = Sink::new(1, Duration::from_secs(1));
    let mut path = Duplex::new(0, Impairments::lossy(1.0), Impairments::perfect());
    let report = run_pair(&mut a, &mut b, &mut path, &mut clock, Duration::from_secs(5));
    assert_eq!(report.stop, StopReason::Idle);
    assert_eq!(report.a_to_b.lost, 1);
    assert_eq!(report.elapsed, Duration::ZERO);
}

#[test]
fn flooding_endpoint_is_stopped() {
    let mut clock = VirtualClock::starting_now();
    let limits = RunLimits { max_datagrams_per_poll: 1000, ..RunLimits::new(Duration::from_secs(1)) };
    let report =
        run_pair_observed(&mut Silent, &mut Firehose, &mut Duplex::perfect(), &mut clock, &limits, |_| {});
    assert_eq!(report.stop, StopReason::Flood { side: Side::B });
    assert_eq!(report.b_to_a.sent, 1000);
}

#[test]
fn step_limit_is_respected() {
    let mut clock = VirtualClock::starting_now();
    let start = clock.now();
    let mut a = Heartbeat { period: MS, deadline: start, pending: false };
    let limits = RunLimits { max_steps: 50, ..RunLimits::new(Duration::from_secs(3600)) };
    let report = run_pair_observed(&mut a, &mut Silent, &mut Duplex::perfect(), &mut clock, &limits, |_| {});
    assert_eq!(report.stop, StopReason::StepLimit);
    assert_eq!(report.steps, 50);
}

/// Runs a lossy ping-pong and returns its event trace as text.
fn trace(seed: u64) -> (Vec<String>, fax_sim::RunReport) {
    let mut clock = VirtualClock::starting_now();
    let mut path = Duplex::symmetric(seed, Impairments::internet_like().with_loss(0.1).with_duplicate(0.05));
    let mut a = Pinger::new(100, 200 * MS, clock.now());
    let mut b = Ponger::new(100);
    let mut events = Vec::new();
    let limits = RunLimits::new(Duration::from_secs(600));
    let report = run_pair_observed(&mut a, &mut b, &mut path, &mut clock, &limits, |event| {
        // Instants differ between runs; offsets and contents do not.
        let line = match *event {
            Event::Sent { from, at, datagram } => format!("{at:?} {from:?} sent {datagram:?}"),
            Event::Routed { from, fate } => format!("{from:?} {}", fate_name(fate)),
            Event::Delivered { to, at, datagram } => format!("{at:?} {to:?} got {datagram:?}"),
            Event::Timeout { side, at } => format!("{at:?} {side:?} timeout"),
        };
        events.push(line);
    });
    assert_eq!(report.stop, StopReason::Finished);
    (events, report)
}

fn fate_name(fate: fax_sim::Fate) -> &'static str {
    match fate {
        fax_sim::Fate::Scheduled { copy: Some(_), .. } => "duplicated",
        fax_sim::Fate::Scheduled { .. } => "scheduled",
        fax_sim::Fate::Lost => "lost",
        fax_sim::Fate::QueueFull => "queue full",
        fax_sim::Fate::Overflow => "overflow",
    }
}

#[test]
fn runs_are_deterministic() {
    let (first, first_report) = trace(42);
    let (second, second_report) = trace(42);
    assert_eq!(first, second);
    assert_eq!(first_report, second_report);
    let (other, other_report) = trace(43);
    assert_ne!(first, other);
    assert_ne!(first_report, other_report);
    assert!(first.iter().any(|l| l.ends_with("lost")) && first.iter().any(|l| l.ends_with("duplicated")));
}

#[test]
fn boxed_and_borrowed_endpoints_work() {
    let mut clock = VirtualClock::starting_now();
    let mut a: Box<dyn Endpoint> = Box::new(Pinger::new(5, Duration::from_secs(1), clock.now()));
    let mut b = Ponger::new(5);
    let mut b_ref = &mut b;
    let report = run_pair(&mut a, &mut b_ref, &mut Duplex::perfect(), &mut clock, Duration::from_secs(1));
    assert_eq!(report.stop, StopReason::Finished);
    assert_eq!(b.answered, 5);
}

#[test]
fn long_sweep_is_fast() {
    // An hour of virtual time, a datagram every 10 ms each way plus acknowledgements:
    // a regression guard that the event loop stays cheap, asserted on step count
    // rather than wall time so it cannot flake.
    let mut clock = VirtualClock::starting_now();
    let mut path = Duplex::symmetric(9, Impairments::internet_like());
    let mut a = TimedSender::new(360_000, 10 * MS, clock.now());
    let mut b = Sink::new(360_000, Duration::from_secs(5));
    let report = run_pair(&mut a, &mut b, &mut path, &mut clock, Duration::from_secs(7200));
    assert_eq!(report.stop, StopReason::Finished);
    assert_eq!(report.a_to_b.sent, 360_000);
    assert!(report.steps < 1_000_000);
}
