//! Running two sans-IO endpoints against each other over a [`Duplex`] in virtual time.

use std::time::{Duration, Instant};

use crate::clock::VirtualClock;
use crate::duplex::Duplex;
use crate::link::{Fate, Link, LinkStats};

/// The shape of a sans-IO protocol endpoint, as the driver sees it.
///
/// The protocol cores of Ferrofax have this shape (under their own method names; a
/// test wraps one in a small adapter). The driver calls the `handle_*` methods with
/// the current virtual time and drains the `poll_*` methods after every call.
pub trait Endpoint {
    /// A datagram arrived from the peer at `now`.
    fn handle_datagram(&mut self, datagram: &[u8], now: Instant);
    /// The deadline returned by [`poll_timeout`](Self::poll_timeout) has been reached;
    /// `now` is at or after it.
    fn handle_timeout(&mut self, now: Instant);
    /// The next datagram to send, if any.
    fn poll_datagram(&mut self) -> Option<Vec<u8>>;
    /// When the endpoint next wants [`handle_timeout`](Self::handle_timeout) called,
    /// if ever.
    fn poll_timeout(&self) -> Option<Instant>;
    /// Whether the endpoint has reached a final state. The driver stops once both
    /// endpoints have; until then a finished endpoint keeps receiving datagrams and
    /// timeouts.
    fn is_finished(&self) -> bool;
}

impl<E: Endpoint + ?Sized> Endpoint for &mut E {
    fn handle_datagram(&mut self, datagram: &[u8], now: Instant) {
        (**self).handle_datagram(datagram, now);
    }
    fn handle_timeout(&mut self, now: Instant) {
        (**self).handle_timeout(now);
    }
    fn poll_datagram(&mut self) -> Option<Vec<u8>> {
        (**self).poll_datagram()
    }
    fn poll_timeout(&self) -> Option<Instant> {
        (**self).poll_timeout()
    }
    fn is_finished(&self) -> bool {
        (**self).is_finished()
    }
}

impl<E: Endpoint + ?Sized> Endpoint for Box<E> {
    fn handle_datagram(&mut self, datagram: &[u8], now: Instant) {
        (**self).handle_datagram(datagram, now);
    }
    fn handle_timeout(&mut self, now: Instant) {
        (**self).handle_timeout(now);
    }
    fn poll_datagram(&mut self) -> Option<Vec<u8>> {
        (**self).poll_datagram()
    }
    fn poll_timeout(&self) -> Option<Instant> {
        (**self).poll_timeout()
    }
    fn is_finished(&self) -> bool {
        (**self).is_finished()
    }
}

/// Which endpoint of a pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// The first endpoint, which sends on [`Duplex::a_to_b`].
    A,
    /// The second endpoint, which sends on [`Duplex::b_to_a`].
    B,
}

/// The bounds that guarantee [`run_pair`] returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunLimits {
    /// The most virtual time the run may cover; events after it are not processed.
    pub virtual_time: Duration,
    /// The most steps (instants visited) the run may take.
    pub max_steps: u64,
    /// The most consecutive steps at one virtual instant. An endpoint whose timeout
    /// stays at or before `now` after being fired, or two endpoints ping-ponging over
    /// a zero-delay path forever, would otherwise spin without time advancing.
    pub max_steps_per_instant: u32,
    /// The most datagrams one endpoint may emit between two steps.
    pub max_datagrams_per_poll: usize,
}

impl RunLimits {
    /// Default step bounds with the given virtual-time limit.
    pub fn new(virtual_time: Duration) -> RunLimits {
        RunLimits {
            virtual_time,
            max_steps: 50_000_000,
            max_steps_per_instant: 10_000,
            max_datagrams_per_poll: 100_000,
        }
    }
}

/// Why a run stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// Both endpoints reported [`Endpoint::is_finished`].
    Finished,
    /// The next event lay beyond [`RunLimits::virtual_time`]; the clock was moved to
    /// the limit.
    TimeLimit,
    /// Nothing could ever happen again: no timer set, nothing in flight, and not both
    /// endpoints finished. A deadlock.
    Idle,
    /// [`RunLimits::max_steps_per_instant`] steps in a row happened at one virtual
    /// instant. The flags say which endpoints had a timeout at or before that
    /// instant (the usual culprit); both false means the datagrams themselves kept
    /// the instant busy.
    Stuck {
        /// Endpoint A's timeout was due.
        a_overdue: bool,
        /// Endpoint B's timeout was due.
        b_overdue: bool,
    },
    /// An endpoint emitted more than [`RunLimits::max_datagrams_per_poll`]
    /// datagrams between two steps.
    Flood {
        /// The endpoint that did.
        side: Side,
    },
    /// [`RunLimits::max_steps`] steps were taken.
    StepLimit,
}

/// What happened during a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunReport {
    /// Why the run stopped.
    pub stop: StopReason,
    /// Virtual time covered by this run.
    pub elapsed: Duration,
    /// The clock's offset from its start when the run stopped (differs from
    /// `elapsed` when the clock had already advanced before the run).
    pub ended_at: Duration,
    /// Steps taken: the number of times the driver moved to an instant and delivered
    /// datagrams or fired timeouts there.
    pub steps: u64,
    /// Timeouts fired on A and on B.
    pub timeouts: (u64, u64),
    /// The A→B link's counters at the end (cumulative if the path was used before).
    pub a_to_b: LinkStats,
    /// The B→A link's counters at the end.
    pub b_to_a: LinkStats,
}

impl RunReport {
    /// Whether both endpoints finished.
    pub fn finished(&self) -> bool {
        self.stop == StopReason::Finished
    }
}

/// Something that happened during a run, for tracing and for tests that assert on the
/// exchange itself. Times are offsets from the clock's start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event<'a> {
    /// An endpoint emitted a datagram, which goes into its link next.
    Sent {
        /// The sender.
        from: Side,
        /// When.
        at: Duration,
        /// The datagram.
        datagram: &'a [u8],
    },
    /// The link decided the fate of the datagram of the preceding `Sent` event.
    Routed {
        /// The sender.
        from: Side,
        /// What the link decided.
        fate: Fate,
    },
    /// A datagram was handed to an endpoint.
    Delivered {
        /// The receiver.
        to: Side,
        /// When.
        at: Duration,
        /// The datagram.
        datagram: &'a [u8],
    },
    /// An endpoint's timeout fired.
    Timeout {
        /// The endpoint.
        side: Side,
        /// When.
        at: Duration,
    },
}

/// Runs `a` and `b` against each other over `path` until both finish or `limit` of
/// virtual time has passed, with default [`RunLimits`] otherwise.
pub fn run_pair<A: Endpoint, B: Endpoint>(
    a: &mut A,
    b: &mut B,
    path: &mut Duplex,
    clock: &mut VirtualClock,
    limit: Duration,
) -> RunReport {
    run_pair_observed(a, b, path, clock, &RunLimits::new(limit), |_| {})
}

/// Runs `a` and `b` against each other over `path`, calling `observe` for every
/// [`Event`], until both finish or a limit in `limits` is reached.
///
/// Each step:
///
/// 1. drains both endpoints' outgoing datagrams into their links at the current
///    time (A first);
/// 2. stops if both endpoints are finished;
/// 3. finds the earliest of both endpoints' timeouts and both links' next
///    deliveries, and stops as [`StopReason::Idle`] if there is none or as
///    [`StopReason::TimeLimit`] if it lies beyond the limit;
/// 4. moves the clock there (a deadline in the past counts as now: the clock never
///    goes backwards);
/// 5. delivers every datagram due, A→B first, then fires A's and then B's timeout if
///    due.
///
/// The order within a step is fixed, so a run is a deterministic function of the
/// endpoints, the path's seed and impairments, and the clock's start.
pub fn run_pair_observed<A, B, F>(
    a: &mut A,
    b: &mut B,
    path: &mut Duplex,
    clock: &mut VirtualClock,
    limits: &RunLimits,
    mut observe: F,
) -> RunReport
where
    A: Endpoint,
    B: Endpoint,
    F: FnMut(&Event<'_>),
{
    let begin = clock.now();
    // A limit too large for `Instant` means no time limit; the step bounds remain.
    let deadline = begin.checked_add(limits.virtual_time);
    let mut steps = 0u64;
    let mut timeouts = (0u64, 0u64);
    let mut last_instant: Option<Instant> = None;
    let mut same_instant = 0u32;

    let stop = loop {
        let now = clock.now();
        let offset = clock.offset_of(now);
        if !drain(a, Side::A, &mut path.a_to_b, now, offset, limits, &mut observe) {
            break StopReason::Flood { side: Side::A };
        }
        if !drain(b, Side::B, &mut path.b_to_a, now, offset, limits, &mut observe) {
            break StopReason::Flood { side: Side::B };
        }
        if a.is_finished() && b.is_finished() {
            break StopReason::Finished;
        }
        if steps >= limits.max_steps {
            break StopReason::StepLimit;
        }
        let Some(next) = earliest([a.poll_timeout(), b.poll_timeout(), path.next_delivery()]) else {
            break StopReason::Idle;
        };
        let t = next.max(now);
        if let Some(deadline) = deadline
            && t > deadline
        {
            clock.advance_to(deadline);
            break StopReason::TimeLimit;
        }
        if last_instant == Some(t) {
            same_instant += 1;
            if same_instant >= limits.max_steps_per_instant {
                break StopReason::Stuck {
                    a_overdue: a.poll_timeout().is_some_and(|x| x <= t),
                    b_overdue: b.poll_timeout().is_some_and(|x| x <= t),
                };
            }
        } else {
            same_instant = 0;
            last_instant = Some(t);
        }

        clock.advance_to(t);
        steps += 1;
        let at = clock.offset_of(t);
        // Each loop is bounded by what was in flight when it started: delivering
        // does not drain the receiver's output, so nothing is added meanwhile.
        while let Some(datagram) = path.a_to_b.poll_deliver(t) {
            observe(&Event::Delivered { to: Side::B, at, datagram: &datagram });
            b.handle_datagram(&datagram, t);
        }
        while let Some(datagram) = path.b_to_a.poll_deliver(t) {
            observe(&Event::Delivered { to: Side::A, at, datagram: &datagram });
            a.handle_datagram(&datagram, t);
        }
        if a.poll_timeout().is_some_and(|x| x <= t) {
            observe(&Event::Timeout { side: Side::A, at });
            timeouts.0 += 1;
            a.handle_timeout(t);
        }
        if b.poll_timeout().is_some_and(|x| x <= t) {
            observe(&Event::Timeout { side: Side::B, at });
            timeouts.1 += 1;
            b.handle_timeout(t);
        }
    };

    RunReport {
        stop,
        elapsed: clock.now().saturating_duration_since(begin),
        ended_at: clock.elapsed(),
        steps,
        timeouts,
        a_to_b: path.a_to_b.stats(),
        b_to_a: path.b_to_a.stats(),
    }
}

/// Moves an endpoint's outgoing datagrams into its link. Returns false if the
/// endpoint emitted more than the per-poll bound.
fn drain<E: Endpoint, F: FnMut(&Event<'_>)>(
    endpoint: &mut E,
    side: Side,
    link: &mut Link,
    now: Instant,
    at: Duration,
    limits: &RunLimits,
    observe: &mut F,
) -> bool {
    let mut count = 0usize;
    while let Some(datagram) = endpoint.poll_datagram() {
        if count >= limits.max_datagrams_per_poll {
            return false;
        }
        count += 1;
        observe(&Event::Sent { from: side, at, datagram: &datagram });
        let fate = link.send(datagram, now);
        observe(&Event::Routed { from: side, fate });
    }
    true
}

/// The earliest of some optional instants.
fn earliest<const N: usize>(instants: [Option<Instant>; N]) -> Option<Instant> {
    instants.into_iter().flatten().min()
}
