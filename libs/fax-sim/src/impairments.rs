//! What a [`Link`](crate::Link) does to the datagrams it carries.
//!
//! Every knob is off by default, so `Impairments::default()` (the same as
//! [`Impairments::perfect`]) is a wire that delivers every datagram instantly and in
//! order. Knobs combine; the order in which a link applies them is documented on
//! [`Link`](crate::Link).

use std::time::Duration;

/// The largest delay any single knob may add. Larger configured values are clamped to
/// it, so that adding delays to an `Instant` cannot overflow and a typo cannot park a
/// datagram for a century of virtual time.
pub const MAX_DELAY: Duration = Duration::from_secs(3600);

/// How much random delay is added to each datagram on top of the fixed delay.
///
/// Jitter is drawn independently for every datagram. When it varies by more than the
/// gap between two datagrams, the later one can overtake the earlier one, exactly as
/// with Linux `netem`; set [`Impairments::keep_order`] to forbid that.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Jitter {
    /// No jitter: every datagram takes exactly the fixed delay.
    #[default]
    None,
    /// Uniformly distributed in `[0, max]` (nanosecond resolution, both ends
    /// included).
    Uniform {
        /// The largest extra delay.
        max: Duration,
    },
    /// Approximately normal with the given mean and standard deviation, clamped at
    /// zero. The approximation is bounded at six standard deviations (see
    /// [`Rng::normal`](crate::Rng::normal)), so the extra delay always lies in
    /// `[0, mean + 6 * std_dev]`.
    Normal {
        /// The mean extra delay.
        mean: Duration,
        /// The standard deviation of the extra delay.
        std_dev: Duration,
    },
}

impl Jitter {
    /// The largest extra delay this jitter can add (after clamping to [`MAX_DELAY`]).
    pub fn max(&self) -> Duration {
        match *self {
            Jitter::None => Duration::ZERO,
            Jitter::Uniform { max } => max.min(MAX_DELAY),
            Jitter::Normal { mean, std_dev } => {
                (mean.min(MAX_DELAY) + std_dev.min(MAX_DELAY) * 6).min(MAX_DELAY)
            }
        }
    }

    fn clamped(self) -> Jitter {
        match self {
            Jitter::None => Jitter::None,
            Jitter::Uniform { max } => Jitter::Uniform { max: max.min(MAX_DELAY) },
            Jitter::Normal { mean, std_dev } => {
                Jitter::Normal { mean: mean.min(MAX_DELAY), std_dev: std_dev.min(MAX_DELAY) }
            }
        }
    }
}

/// The Gilbert–Elliott two-state model of bursty loss.
///
/// The channel is either *good* or *bad*. Each datagram is judged in the current
/// state (lost with probability [`loss_in_bad`](Self::loss_in_bad) in the bad state;
/// never lost by this model in the good state, where the independent
/// [`Impairments::loss`] still applies) and then the state changes: good→bad with
/// probability `p_good_to_bad`, bad→good with probability `p_bad_to_good`. The number
/// of consecutive datagrams spent in the bad state is therefore geometric with mean
/// `1 / p_bad_to_good`, which with `loss_in_bad = 1` is the mean length of a burst of
/// losses. The channel starts in the good state.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GilbertElliott {
    /// Probability, per datagram, of moving from the good to the bad state.
    pub p_good_to_bad: f64,
    /// Probability, per datagram, of moving from the bad to the good state.
    pub p_bad_to_good: f64,
    /// Probability that a datagram sent in the bad state is lost (usually 1).
    pub loss_in_bad: f64,
}

impl GilbertElliott {
    /// Creates the model from its three probabilities.
    pub fn new(p_good_to_bad: f64, p_bad_to_good: f64, loss_in_bad: f64) -> GilbertElliott {
        GilbertElliott { p_good_to_bad, p_bad_to_good, loss_in_bad }
    }

    /// The model with an average loss rate of `loss_rate` in bursts of
    /// `mean_burst` datagrams on average (every datagram in the bad state is lost).
    ///
    /// `mean_burst` below 1 is treated as 1; `loss_rate` is clamped to `[0, 0.99]`.
    pub fn from_rate_and_burst(loss_rate: f64, mean_burst: f64) -> GilbertElliott {
        let loss_rate = clamp_probability(loss_rate).min(0.99);
        let mean_burst = if mean_burst.is_nan() { 1.0 } else { mean_burst.max(1.0) };
        let p_bad_to_good = 1.0 / mean_burst;
        // The stationary probability of the bad state is g / (g + b); solving
        // g / (g + b) = rate for g gives g = rate * b / (1 - rate).
        let p_good_to_bad = loss_rate * p_bad_to_good / (1.0 - loss_rate);
        GilbertElliott::new(p_good_to_bad, p_bad_to_good, 1.0)
    }

    /// The mean number of consecutive datagrams spent in the bad state,
    /// `1 / p_bad_to_good` (infinite if the bad state is never left).
    pub fn mean_burst_len(&self) -> f64 {
        1.0 / clamp_probability(self.p_bad_to_good)
    }

    /// The long-run fraction of datagrams sent in the bad state.
    pub fn bad_fraction(&self) -> f64 {
        let g = clamp_probability(self.p_good_to_bad);
        let b = clamp_probability(self.p_bad_to_good);
        if g + b == 0.0 { 0.0 } else { g / (g + b) }
    }

    /// The long-run loss rate this model alone causes.
    pub fn loss_rate(&self) -> f64 {
        self.bad_fraction() * clamp_probability(self.loss_in_bad)
    }

    fn clamped(self) -> GilbertElliott {
        GilbertElliott {
            p_good_to_bad: clamp_probability(self.p_good_to_bad),
            p_bad_to_good: clamp_probability(self.p_bad_to_good),
            loss_in_bad: clamp_probability(self.loss_in_bad),
        }
    }
}

/// The impairments of one direction of a datagram path. All default to off.
///
/// Probabilities outside `[0, 1]` are clamped to it and NaN counts as 0; durations
/// above [`MAX_DELAY`] are clamped to it. The struct is plain data: build it with a
/// profile ([`perfect`](Self::perfect), [`lossy`](Self::lossy),
/// [`internet_like`](Self::internet_like), [`bursty`](Self::bursty)), a struct
/// literal with `..Impairments::default()`, or the `with_*` methods.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Impairments {
    /// Fixed one-way propagation delay added to every datagram.
    pub delay: Duration,
    /// Random extra delay per datagram, on top of [`delay`](Self::delay).
    pub jitter: Jitter,
    /// When true, jitter never lets a datagram overtake one sent before it: each
    /// datagram arrives no earlier than the previous one, as on a single physical
    /// path. Datagrams held back by [`reorder`](Self::reorder) and duplicate copies
    /// are exempt (they exist to break order).
    pub keep_order: bool,
    /// Probability that a datagram is lost, independently of every other datagram.
    pub loss: f64,
    /// Bursty loss on top of [`loss`](Self::loss); `None` disables it.
    pub burst: Option<GilbertElliott>,
    /// Probability that a delivered datagram is delivered twice. The copy takes its
    /// own jitter draw, so it may arrive before or after the original.
    pub duplicate: f64,
    /// Probability that a datagram is held back by an extra
    /// [`reorder_delay`](Self::reorder_delay), letting datagrams sent after it
    /// overtake it.
    pub reorder: f64,
    /// The extra delay of a datagram chosen by [`reorder`](Self::reorder).
    pub reorder_delay: Duration,
    /// Bottleneck bandwidth in bytes per second; `None` is unlimited. Each datagram
    /// occupies the link for `len / rate` seconds, and datagrams sent while it is busy
    /// wait their turn, so bursts are spread out and queueing delay builds up.
    /// A rate of 0 is treated as 1 byte per second.
    pub rate_limit: Option<u64>,
    /// The most datagrams that may wait for (or be in) serialisation at the
    /// bottleneck; a datagram sent when the queue is full is dropped (drop-tail).
    /// Only meaningful with [`rate_limit`](Self::rate_limit): without a bottleneck
    /// there is no queue. `None` is unbounded (within the link's in-flight bound).
    pub max_queue: Option<usize>,
}

impl Impairments {
    /// A perfect wire: no delay, no loss, no jitter, nothing.
    pub fn perfect() -> Impairments {
        Impairments::default()
    }

    /// Independent loss with probability `p` and nothing else.
    pub fn lossy(p: f64) -> Impairments {
        Impairments { loss: p, ..Impairments::default() }
    }

    /// Bursty loss at an average rate of `loss_rate` in bursts of `mean_burst`
    /// datagrams on average (see [`GilbertElliott::from_rate_and_burst`]), with a
    /// 20 ms delay.
    pub fn bursty(loss_rate: f64, mean_burst: f64) -> Impairments {
        Impairments {
            delay: Duration::from_millis(20),
            burst: Some(GilbertElliott::from_rate_and_burst(loss_rate, mean_burst)),
            ..Impairments::default()
        }
    }

    /// A plausible path across the public internet, the kind a SIP trunk uses for
    /// T.38: 40 ms one-way delay, normal-ish jitter of 5 ± 3 ms (so 0–23 ms), about
    /// 0.5 % loss of which part comes in bursts of about three datagrams, 0.5 % of
    /// datagrams held back by 15 ms, and 0.1 % duplicated.
    pub fn internet_like() -> Impairments {
        Impairments {
            delay: Duration::from_millis(40),
            jitter: Jitter::Normal { mean: Duration::from_millis(5), std_dev: Duration::from_millis(3) },
            keep_order: false,
            loss: 0.002,
            burst: Some(GilbertElliott::new(0.001, 0.3, 1.0)),
            duplicate: 0.001,
            reorder: 0.005,
            reorder_delay: Duration::from_millis(15),
            rate_limit: None,
            max_queue: None,
        }
    }

    /// Sets the fixed delay.
    pub fn with_delay(mut self, delay: Duration) -> Impairments {
        self.delay = delay;
        self
    }

    /// Sets the jitter.
    pub fn with_jitter(mut self, jitter: Jitter) -> Impairments {
        self.jitter = jitter;
        self
    }

    /// Sets uniform jitter in `[0, max]`.
    pub fn with_uniform_jitter(self, max: Duration) -> Impairments {
        self.with_jitter(Jitter::Uniform { max })
    }

    /// Forbids jitter from reordering datagrams (see [`keep_order`](Self::keep_order)).
    pub fn with_keep_order(mut self, keep_order: bool) -> Impairments {
        self.keep_order = keep_order;
        self
    }

    /// Sets the independent loss probability.
    pub fn with_loss(mut self, p: f64) -> Impairments {
        self.loss = p;
        self
    }

    /// Sets the bursty loss model.
    pub fn with_burst(mut self, model: GilbertElliott) -> Impairments {
        self.burst = Some(model);
        self
    }

    /// Sets the duplication probability.
    pub fn with_duplicate(mut self, p: f64) -> Impairments {
        self.duplicate = p;
        self
    }

    /// Holds a datagram back by `extra` with probability `p`.
    pub fn with_reorder(mut self, p: f64, extra: Duration) -> Impairments {
        self.reorder = p;
        self.reorder_delay = extra;
        self
    }

    /// Sets the bottleneck rate in bytes per second.
    pub fn with_rate_limit(mut self, bytes_per_second: u64) -> Impairments {
        self.rate_limit = Some(bytes_per_second);
        self
    }

    /// Sets the drop-tail queue bound of the bottleneck.
    pub fn with_max_queue(mut self, datagrams: usize) -> Impairments {
        self.max_queue = Some(datagrams);
        self
    }

    /// The earliest a datagram can arrive after it is sent when the link is idle and
    /// it is neither held back nor delayed by serialisation: the fixed delay.
    pub fn min_latency(&self) -> Duration {
        self.delay.min(MAX_DELAY)
    }

    /// The latest a datagram can arrive after it is sent when the link is idle,
    /// ignoring serialisation: fixed delay, maximal jitter and reorder hold-back.
    pub fn max_latency(&self) -> Duration {
        let s = self.sanitized();
        let hold = if s.reorder > 0.0 { s.reorder_delay } else { Duration::ZERO };
        s.delay + s.jitter.max() + hold
    }

    /// The same impairments with every probability in `[0, 1]` and every duration at
    /// most [`MAX_DELAY`]. Links apply this to whatever they are given.
    pub fn sanitized(&self) -> Impairments {
        Impairments {
            delay: self.delay.min(MAX_DELAY),
            jitter: self.jitter.clamped(),
            keep_order: self.keep_order,
            loss: clamp_probability(self.loss),
            burst: self.burst.map(GilbertElliott::clamped),
            duplicate: clamp_probability(self.duplicate),
            reorder: clamp_probability(self.reorder),
            reorder_delay: self.reorder_delay.min(MAX_DELAY),
            rate_limit: self.rate_limit.map(|r| r.max(1)),
            max_queue: self.max_queue,
        }
    }
}

/// Clamps a probability to `[0, 1]`, mapping NaN to 0.
fn clamp_probability(p: f64) -> f64 {
    if p.is_nan() { 0.0 } else { p.clamp(0.0, 1.0) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gilbert_elliott_from_rate_and_burst() {
        let ge = GilbertElliott::from_rate_and_burst(0.05, 4.0);
        assert!((ge.mean_burst_len() - 4.0).abs() < 1e-12);
        assert!((ge.loss_rate() - 0.05).abs() < 1e-12);
        let never = GilbertElliott::new(0.0, 0.0, 1.0);
        assert_eq!(never.bad_fraction(), 0.0);
    }

    #[test]
    fn sanitized_clamps() {
        let wild = Impairments {
            delay: Duration::from_secs(1_000_000),
            loss: 7.0,
            duplicate: f64::NAN,
            reorder: -1.0,
            rate_limit: Some(0),
            ..Impairments::default()
        };
        let s = wild.sanitized();
        assert_eq!(s.delay, MAX_DELAY);
        assert_eq!(s.loss, 1.0);
        assert_eq!(s.duplicate, 0.0);
        assert_eq!(s.reorder, 0.0);
        assert_eq!(s.rate_limit, Some(1));
    }

    #[test]
    fn latency_bounds() {
        let imp = Impairments::internet_like();
        assert_eq!(imp.min_latency(), Duration::from_millis(40));
        assert_eq!(imp.max_latency(), Duration::from_millis(40 + 23 + 15));
        assert_eq!(Impairments::perfect().max_latency(), Duration::ZERO);
    }
}
