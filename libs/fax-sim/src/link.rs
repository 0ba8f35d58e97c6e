//! One direction of an impaired datagram path.

use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, VecDeque};
use std::fmt;
use std::time::{Duration, Instant};

use crate::impairments::{Impairments, Jitter};
use crate::rng::Rng;

/// The default bound on datagrams inside a link (see [`Link::with_max_in_flight`]).
///
/// A T.38 call has a few dozen datagrams in flight at most; this bound exists so that
/// a runaway endpoint exhausts a counter, not the test machine's memory.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 65_536;

// Labels of the per-knob random streams, derived from the link's generator. Each
// knob draws from its own stream, a fixed number of times per datagram sent, so the
// n-th datagram sees the same draws for loss whatever jitter, reordering or
// duplication are set to. Changing one knob in a sweep therefore leaves the other
// knobs' decisions untouched.
const STREAM_LOSS: u64 = 1;
const STREAM_BURST: u64 = 2;
const STREAM_JITTER: u64 = 3;
const STREAM_REORDER: u64 = 4;
const STREAM_DUPLICATE: u64 = 5;

/// Counters of what a link did. All counts are datagrams unless named `bytes_*`.
///
/// Once nothing is in flight, `sent + duplicated = delivered + dropped()`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinkStats {
    /// Datagrams handed to [`Link::send`].
    pub sent: u64,
    /// Bytes handed to [`Link::send`].
    pub bytes_sent: u64,
    /// Datagrams returned by [`Link::poll_deliver`], duplicate copies included.
    pub delivered: u64,
    /// Bytes returned by [`Link::poll_deliver`].
    pub bytes_delivered: u64,
    /// Datagrams lost to independent or bursty loss.
    pub lost: u64,
    /// The part of `lost` that the Gilbert–Elliott model decided.
    pub lost_in_burst: u64,
    /// Datagrams dropped because the bottleneck queue was full (drop-tail).
    pub queue_dropped: u64,
    /// Datagrams (or duplicate copies) dropped because the link already held its
    /// maximum number of datagrams in flight.
    pub overflow_dropped: u64,
    /// Extra copies created by duplication.
    pub duplicated: u64,
    /// Datagrams the reorder knob held back.
    pub held_back: u64,
    /// Datagrams delivered after a datagram sent later than them had already been
    /// delivered (the "reordered packet" of RFC 4737), whatever the cause: hold-back
    /// or jitter. Duplicate copies are not counted.
    pub reordered: u64,
}

impl LinkStats {
    /// Every datagram that was sent but will never be delivered, for any reason.
    pub fn dropped(&self) -> u64 {
        self.lost + self.queue_dropped + self.overflow_dropped
    }
}

/// What [`Link::send`] decided about a datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    /// The datagram will be delivered at `arrival`; if it was duplicated, the copy
    /// will be delivered at `copy`.
    Scheduled {
        /// When the datagram becomes deliverable.
        arrival: Instant,
        /// When its duplicate becomes deliverable, if one was made.
        copy: Option<Instant>,
    },
    /// Lost to independent or bursty loss.
    Lost,
    /// Dropped at the tail of a full bottleneck queue.
    QueueFull,
    /// Dropped because the link held its maximum number of datagrams in flight (or
    /// because its arrival time would not fit in an `Instant`).
    Overflow,
}

/// A datagram inside the link, waiting for its arrival time.
#[derive(Clone)]
struct InFlight {
    arrival: Instant,
    /// Position in the order datagrams entered the heap, the tie-breaker that keeps
    /// send order among datagrams due at the same instant.
    order: u64,
    /// Index of the original datagram among all sent ones, for reorder counting.
    seq: u64,
    copy: bool,
    data: Vec<u8>,
}

impl InFlight {
    fn key(&self) -> (Instant, u64) {
        (self.arrival, self.order)
    }
}

// The heap orders by (arrival, order) only; `order` is unique, so this is a total
// order consistent with equality of keys.
impl PartialEq for InFlight {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}
impl Eq for InFlight {}
impl PartialOrd for InFlight {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for InFlight {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key().cmp(&other.key())
    }
}

/// The random streams of one link, one per knob.
#[derive(Debug, Clone)]
struct Streams {
    loss: Rng,
    burst: Rng,
    jitter: Rng,
    reorder: Rng,
    duplicate: Rng,
}

impl Streams {
    fn new(rng: &Rng) -> Streams {
        Streams {
            loss: rng.derive(STREAM_LOSS),
            burst: rng.derive(STREAM_BURST),
            jitter: rng.derive(STREAM_JITTER),
            reorder: rng.derive(STREAM_REORDER),
            duplicate: rng.derive(STREAM_DUPLICATE),
        }
    }
}

/// One direction of a datagram path with seeded [`Impairments`].
///
/// [`send`](Self::send) decides a datagram's fate at once; the datagram then waits
/// inside the link until [`poll_deliver`](Self::poll_deliver) is called with a time at
/// or after its arrival. Given the same seed, impairments and sequence of calls, a
/// link behaves identically on every run and platform.
///
/// A datagram passes the knobs in this order, which is the order of a real path:
///
/// 1. the in-flight bound ([`with_max_in_flight`](Self::with_max_in_flight));
/// 2. the bottleneck ([`Impairments::rate_limit`]): it waits for the datagrams ahead
///    of it, or is dropped if [`Impairments::max_queue`] are already waiting, then
///    occupies the link for its serialisation time;
/// 3. loss, independent and bursty (a lost datagram has still used the bottleneck);
/// 4. propagation: fixed delay plus jitter, kept in order if
///    [`Impairments::keep_order`] is set;
/// 5. hold-back by [`Impairments::reorder`];
/// 6. duplication, whose copy takes its own jitter.
///
/// Datagrams due at the same instant are delivered in the order they were sent.
/// `Debug` shows counters and configuration, never datagram contents.
#[derive(Clone)]
pub struct Link {
    impairments: Impairments,
    max_in_flight: usize,
    streams: Streams,
    /// The Gilbert–Elliott state: true while the channel is bad.
    bad: bool,
    /// When the bottleneck finishes serialising the last accepted datagram.
    busy_until: Option<Instant>,
    /// Serialisation finish times of datagrams still in the bottleneck; kept only
    /// when a queue bound is set, and never longer than that bound.
    serialising: VecDeque<Instant>,
    /// The latest arrival handed out under `keep_order`.
    last_ordered_arrival: Option<Instant>,
    heap: BinaryHeap<Reverse<InFlight>>,
    next_order: u64,
    next_seq: u64,
    highest_delivered_seq: Option<u64>,
    stats: LinkStats,
}

impl fmt::Debug for Link {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Link")
            .field("impairments", &self.impairments)
            .field("in_flight", &self.heap.len())
            .field("bad_state", &self.bad)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl Link {
    /// Creates a link with the given impairments whose random decisions derive from
    /// `seed`.
    pub fn new(impairments: Impairments, seed: u64) -> Link {
        Link::with_rng(impairments, &Rng::new(seed))
    }

    /// Creates a link whose random streams are derived from `rng` (which is not
    /// advanced).
    pub fn with_rng(impairments: Impairments, rng: &Rng) -> Link {
        Link {
            impairments: impairments.sanitized(),
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            streams: Streams::new(rng),
            bad: false,
            busy_until: None,
            serialising: VecDeque::new(),
            last_ordered_arrival: None,
            heap: BinaryHeap::new(),
            next_order: 0,
            next_seq: 0,
            highest_delivered_seq: None,
            stats: LinkStats::default(),
        }
    }

    /// Sets the most datagrams (duplicate copies included) the link holds at once;
    /// datagrams sent beyond it are dropped and counted in
    /// [`LinkStats::overflow_dropped`]. The default is [`DEFAULT_MAX_IN_FLIGHT`].
    pub fn with_max_in_flight(mut self, max: usize) -> Link {
        self.max_in_flight = max;
        self
    }

    /// The impairments in force, after clamping (see [`Impairments::sanitized`]).
    pub fn impairments(&self) -> &Impairments {
        &self.impairments
    }

    /// Changes the impairments from now on, for example to cut the line for a while
    /// with `lossy(1.0)`. Datagrams already in flight keep their arrival times; the
    /// bursty-loss state and the random streams carry on.
    pub fn set_impairments(&mut self, impairments: Impairments) {
        self.impairments = impairments.sanitized();
        if self.impairments.max_queue.is_none() {
            self.serialising.clear();
        }
    }

    /// The counters so far.
    pub fn stats(&self) -> LinkStats {
        self.stats
    }

    /// How many datagrams (duplicate copies included) are waiting for delivery.
    pub fn in_flight(&self) -> usize {
        self.heap.len()
    }

    /// Sends a datagram at `now` and returns what became of it. The return value is
    /// informational; ignoring it is fine.
    pub fn send(&mut self, datagram: Vec<u8>, now: Instant) -> Fate {
        let imp = self.impairments;
        let len = datagram.len() as u64;
        let seq = self.next_seq;
        self.next_seq += 1;
        self.stats.sent += 1;
        self.stats.bytes_sent += len;

        // Every stream draws first, a fixed number of times per datagram, before any
        // early return; see the note on the stream labels.
        let independent_loss = self.streams.loss.chance(imp.loss);
        let burst_loss = self.step_burst();
        let jitter = sample_jitter(imp.jitter, &mut self.streams.jitter);
        let hold = self.streams.reorder.chance(imp.reorder);
        let duplicate = self.streams.duplicate.chance(imp.duplicate);
        let copy_jitter = sample_jitter(imp.jitter, &mut self.streams.duplicate);

        if self.heap.len() >= self.max_in_flight {
            self.stats.overflow_dropped += 1;
            return Fate::Overflow;
        }

        let departure = match imp.rate_limit {
            None => now,
            Some(rate) => match self.serialise(len, rate, imp.max_queue, now) {
                Ok(finish) => finish,
                Err(fate) => return fate,
            },
        };

        if independent_loss || burst_loss {
            self.stats.lost += 1;
            if burst_loss {
                self.stats.lost_in_burst += 1;
            }
            return Fate::Lost;
        }

        let Some(mut base) = departure.checked_add(imp.delay + jitter) else {
            self.stats.overflow_dropped += 1;
            return Fate::Overflow;
        };
        if imp.keep_order {
            if let Some(last) = self.last_ordered_arrival {
                base = base.max(last);
            }
            self.last_ordered_arrival = Some(base);
        }
        let arrival = if hold {
            self.stats.held_back += 1;
            // MAX_DELAY keeps this sum far from overflow whenever `base` fitted.
            base.checked_add(imp.reorder_delay).unwrap_or(base)
        } else {
            base
        };

        let copy_arrival = if duplicate { departure.checked_add(imp.delay + copy_jitter) } else { None };
        let copy = match copy_arrival {
            Some(at) if self.heap.len() + 1 < self.max_in_flight => {
                self.stats.duplicated += 1;
                Some((at, datagram.clone()))
            }
            Some(_) => {
                self.stats.overflow_dropped += 1;
                None
            }
            None => None,
        };

        self.push(arrival, seq, false, datagram);
        let copy_at = copy.map(|(at, data)| {
            self.push(at, seq, true, data);
            at
        });
        Fate::Scheduled { arrival, copy: copy_at }
    }

    /// Returns the next datagram due by `now`, or `None` if none is. Call it until it
    /// returns `None` to drain everything due; datagrams come out in arrival order,
    /// and those arriving at the same instant in send order.
    pub fn poll_deliver(&mut self, now: Instant) -> Option<Vec<u8>> {
        if self.heap.peek()?.0.arrival > now {
            return None;
        }
        let Reverse(item) = self.heap.pop()?;
        self.stats.delivered += 1;
        self.stats.bytes_delivered += item.data.len() as u64;
        if !item.copy && self.highest_delivered_seq.is_some_and(|h| item.seq < h) {
            self.stats.reordered += 1;
        }
        self.highest_delivered_seq = Some(self.highest_delivered_seq.map_or(item.seq, |h| h.max(item.seq)));
        Some(item.data)
    }

    /// When the next datagram becomes deliverable, if any is in flight.
    pub fn next_delivery(&self) -> Option<Instant> {
        self.heap.peek().map(|item| item.0.arrival)
    }

    /// Advances the Gilbert–Elliott chain by one datagram and says whether the model
    /// loses it. Judges the datagram in the current state, then transitions, so a
    /// stay in the bad state of n datagrams loses (with `loss_in_bad = 1`) exactly n
    /// consecutive datagrams.
    fn step_burst(&mut self) -> bool {
        let Some(model) = self.impairments.burst else {
            return false;
        };
        let rng = &mut self.streams.burst;
        let lost = rng.chance(model.loss_in_bad) && self.bad;
        let flip = rng.chance(if self.bad { model.p_bad_to_good } else { model.p_good_to_bad });
        if flip {
            self.bad = !self.bad;
        }
        lost
    }

    /// Puts a datagram through the bottleneck and returns when its serialisation
    /// finishes, or the fate of a datagram that does not get in.
    fn serialise(
        &mut self,
        len: u64,
        rate: u64,
        max_queue: Option<usize>,
        now: Instant,
    ) -> Result<Instant, Fate> {
        if let Some(max) = max_queue {
            while self.serialising.front().is_some_and(|&finish| finish <= now) {
                self.serialising.pop_front();
            }
            if self.serialising.len() >= max.min(self.max_in_flight) {
                self.stats.queue_dropped += 1;
                return Err(Fate::QueueFull);
            }
        }
        let start = self.busy_until.map_or(now, |busy| busy.max(now));
        let nanos = (u128::from(len) * 1_000_000_000).div_ceil(u128::from(rate.max(1)));
        let time = Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX));
        let Some(finish) = start.checked_add(time) else {
            self.stats.overflow_dropped += 1;
            return Err(Fate::Overflow);
        };
        self.busy_until = Some(finish);
        if max_queue.is_some() {
            self.serialising.push_back(finish);
        }
        Ok(finish)
    }

    fn push(&mut self, arrival: Instant, seq: u64, copy: bool, data: Vec<u8>) {
        let order = self.next_order;
        self.next_order += 1;
        self.heap.push(Reverse(InFlight { arrival, order, seq, copy, data }));
    }
}

/// Draws one jitter value. Uses integer nanoseconds and IEEE additions and
/// multiplications only, so the result is identical on every platform.
fn sample_jitter(jitter: Jitter, rng: &mut Rng) -> Duration {
    match jitter {
        Jitter::None => Duration::ZERO,
        Jitter::Uniform { max } => {
            let max = max.as_nanos() as u64;
            Duration::from_nanos(rng.range(0..max.saturating_add(1)))
        }
        Jitter::Normal { mean, std_dev } => {
            let x = mean.as_nanos() as f64 + rng.normal() * std_dev.as_nanos() as f64;
            if x > 0.0 { Duration::from_nanos(x as u64) } else { Duration::ZERO }
        }
    }
}
