//! Two T.38 endpoints in one loop, in virtual time.
//!
//! [`run_call`] ticks two [`IfpEndpoint`]s by [`TICK_SAMPLES`] at a time and
//! carries the IFP packets each emits to the other, either directly or through
//! UDPTL framing on each side ([`UdptlFraming`]) with optional seeded random loss.
//! Nothing sleeps: a fax call of several simulated minutes runs in a fraction of a
//! second, and a given seed always gives the same run.
//!
//! [`T38Terminal`] is an endpoint; Ferrofax's own T.38 terminal will be another,
//! so the same harness pits it against SpanDSP.

use fax_t38::{RxStats, TxRecovery, Version};

use crate::t38_terminal::{T38Terminal, TICK_SAMPLES, TerminalError, TxPacket};
use crate::udptl::{FramingStats, UdptlFraming};

/// A T.38 endpoint driven in virtual time.
pub trait IfpEndpoint {
    /// What can go wrong.
    type Error: std::error::Error + Send + Sync + 'static;

    /// Moves the endpoint's clock on by `samples` (8000 a second) and returns the
    /// IFP packets it sends meanwhile.
    fn advance(&mut self, samples: u32) -> Result<Vec<TxPacket>, Self::Error>;

    /// Hands the endpoint one received IFP packet and its sequence number.
    fn receive(&mut self, ifp: &[u8], seq: u16) -> Result<(), Self::Error>;

    /// Whether the endpoint's call is over.
    fn is_finished(&self) -> bool;
}

impl IfpEndpoint for T38Terminal {
    type Error = TerminalError;

    fn advance(&mut self, samples: u32) -> Result<Vec<TxPacket>, TerminalError> {
        T38Terminal::advance(self, samples)
    }

    fn receive(&mut self, ifp: &[u8], seq: u16) -> Result<(), TerminalError> {
        T38Terminal::receive(self, ifp, seq)
    }

    fn is_finished(&self) -> bool {
        T38Terminal::is_finished(self)
    }
}

/// A tiny deterministic xorshift64* generator for loss decisions (no
/// dependencies; not for anything but tests).
#[derive(Debug, Clone)]
pub struct XorShift64(u64);

impl XorShift64 {
    /// A generator from `seed` (0 is replaced, since xorshift would stay at 0).
    pub fn new(seed: u64) -> Self {
        Self(if seed == 0 { 0x9e37_79b9_7f4a_7c15 } else { seed })
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// True with probability `p` (0 to 1).
    pub fn chance(&mut self, p: f64) -> bool {
        // 53 random bits as a uniform float in [0, 1).
        ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64) < p
    }
}

/// How packets travel between the two endpoints.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Transport {
    /// IFP packets handed over as emitted, with the emitter's sequence numbers,
    /// each as many times as its repeat count asks. Nothing is lost.
    Direct,
    /// Each side frames its packets as UDPTL datagrams and unframes the other's.
    Udptl {
        /// The T.38 version both sides' framing encodes in.
        version: Version,
        /// Redundancy or FEC.
        recovery: TxRecovery,
        /// Send SpanDSP's repeat counts as copies of the datagram.
        honour_repeats: bool,
        /// Probability that each datagram is lost (0 for none).
        loss: f64,
        /// Seed for the loss decisions.
        seed: u64,
    },
}

impl Transport {
    /// UDPTL with `depth` redundant packets per datagram, repeats honoured, and
    /// `loss` (seeded by `seed`).
    pub fn udptl_redundancy(version: Version, depth: usize, loss: f64, seed: u64) -> Self {
        Self::Udptl { version, recovery: TxRecovery::Redundancy { depth }, honour_repeats: true, loss, seed }
    }
}

/// What went wrong running a call.
#[derive(Debug)]
pub enum HarnessError {
    /// An endpoint failed (`side` 0 or 1).
    Endpoint {
        /// Which endpoint.
        side: usize,
        /// Its error.
        error: Box<dyn std::error::Error + Send + Sync>,
    },
    /// UDPTL framing refused a packet or datagram.
    Udptl(fax_t38::Error),
}

impl std::fmt::Display for HarnessError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Endpoint { side, error } => write!(f, "endpoint {side}: {error}"),
            Self::Udptl(e) => write!(f, "UDPTL: {e}"),
        }
    }
}

impl std::error::Error for HarnessError {}

impl From<fax_t38::Error> for HarnessError {
    fn from(e: fax_t38::Error) -> Self {
        Self::Udptl(e)
    }
}

fn endpoint_error<E: std::error::Error + Send + Sync + 'static>(side: usize) -> impl Fn(E) -> HarnessError {
    move |e| HarnessError::Endpoint { side, error: Box::new(e) }
}

/// What happened on the link during a call.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CallReport {
    /// Whether both endpoints finished within the limit.
    pub finished: bool,
    /// Virtual time run, in samples.
    pub samples: u64,
    /// IFP packets each endpoint emitted (before repeats).
    pub packets: [u64; 2],
    /// Datagrams (or direct packet copies) each side put on the link, repeats
    /// included.
    pub sent: [u64; 2],
    /// Of those, how many the link dropped.
    pub dropped: [u64; 2],
    /// Each side's UDPTL framing counters, with UDPTL.
    pub framing: Option<[FramingStats; 2]>,
    /// Each side's UDPTL receiver counters, with UDPTL.
    pub udptl_rx: Option<[RxStats; 2]>,
}

impl CallReport {
    /// Virtual time run, in seconds.
    pub fn seconds(&self) -> f64 {
        self.samples as f64 / f64::from(crate::t38_terminal::SAMPLE_RATE)
    }
}

/// One direction's state on the link.
struct Lane {
    framing: Option<UdptlFraming>,
    loss: f64,
    rng: XorShift64,
}

/// Runs the two endpoints against each other until both have finished or
/// `limit_samples` of virtual time have passed (then the report says
/// `finished: false`). Each tick advances `a`, then `b`, then delivers what each
/// sent to the other: zero latency, in order.
pub fn run_call<A: IfpEndpoint, B: IfpEndpoint>(
    a: &mut A,
    b: &mut B,
    transport: &Transport,
    limit_samples: u64,
) -> Result<CallReport, HarnessError> {
    let mut lanes: [Lane; 2] = match *transport {
        Transport::Direct => [0, 1].map(|_| Lane { framing: None, loss: 0.0, rng: XorShift64::new(1) }),
        Transport::Udptl { version, recovery, honour_repeats, loss, seed } => {
            let lane = |salt: u64| -> Result<Lane, HarnessError> {
                let mut framing = UdptlFraming::new(version, recovery)?;
                framing.set_honour_repeats(honour_repeats);
                Ok(Lane { framing: Some(framing), loss, rng: XorShift64::new(seed ^ salt) })
            };
            [lane(0)?, lane(0x5151_5151_5151_5151)?]
        }
    };
    let mut report = CallReport::default();
    while report.samples < limit_samples && !(a.is_finished() && b.is_finished()) {
        let from_a = a.advance(TICK_SAMPLES).map_err(endpoint_error(0))?;
        let from_b = b.advance(TICK_SAMPLES).map_err(endpoint_error(1))?;
        report.samples += u64::from(TICK_SAMPLES);
        carry(0, &from_a, &mut lanes, &mut report, |ifp, seq| {
            b.receive(ifp, seq).map_err(endpoint_error(1))
        })?;
        carry(1, &from_b, &mut lanes, &mut report, |ifp, seq| {
            a.receive(ifp, seq).map_err(endpoint_error(0))
        })?;
    }
    report.finished = a.is_finished() && b.is_finished();
    if let [Lane { framing: Some(fa), .. }, Lane { framing: Some(fb), .. }] = &lanes {
        report.framing = Some([fa.stats(), fb.stats()]);
        report.udptl_rx = Some([fa.rx_stats(), fb.rx_stats()]);
    }
    Ok(report)
}

/// Carries packets from side `from` to the other side, whose `receive` is given.
fn carry(
    from: usize,
    packets: &[TxPacket],
    lanes: &mut [Lane; 2],
    report: &mut CallReport,
    mut receive: impl FnMut(&[u8], u16) -> Result<(), HarnessError>,
) -> Result<(), HarnessError> {
    let to = 1 - from;
    report.packets[from] += packets.len() as u64;
    for packet in packets {
        let datagrams = match &mut lanes[from].framing {
            Some(framing) => framing.frame(packet)?,
            None => {
                // Direct: the packet itself, as many times as asked.
                let copies = packet.repeat.max(1);
                report.sent[from] += u64::from(copies);
                for _ in 0..copies {
                    receive(&packet.ifp, packet.seq)?;
                }
                continue;
            }
        };
        for datagram in datagrams {
            report.sent[from] += 1;
            let lane = &mut lanes[from];
            if lane.loss > 0.0 && lane.rng.chance(lane.loss) {
                report.dropped[from] += 1;
                continue;
            }
            let framing = lanes[to].framing.as_mut().expect("both sides frame with UDPTL");
            for rx in framing.deframe(&datagram)? {
                receive(&rx.ifp, rx.seq)?;
            }
        }
    }
    Ok(())
}
