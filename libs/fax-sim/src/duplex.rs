//! A two-way datagram path: two independent links.

use std::time::Instant;

use crate::impairments::Impairments;
use crate::link::{Link, LinkStats};
use crate::rng::Rng;

// Labels of the two directions' streams, derived from the path's seed.
const STREAM_A_TO_B: u64 = 0xa2b;
const STREAM_B_TO_A: u64 = 0xb2a;

/// A two-way path between endpoints A and B: one [`Link`] each way.
///
/// Both links derive their random streams from one seed, each under its own label,
/// so the two directions are independent and each is the same whatever the other
/// direction's impairments are.
#[derive(Debug, Clone)]
pub struct Duplex {
    /// The direction from A to B.
    pub a_to_b: Link,
    /// The direction from B to A.
    pub b_to_a: Link,
}

impl Duplex {
    /// Creates a path with different impairments in each direction.
    pub fn new(seed: u64, a_to_b: Impairments, b_to_a: Impairments) -> Duplex {
        let root = Rng::new(seed);
        Duplex {
            a_to_b: Link::with_rng(a_to_b, &root.derive(STREAM_A_TO_B)),
            b_to_a: Link::with_rng(b_to_a, &root.derive(STREAM_B_TO_A)),
        }
    }

    /// Creates a path with the same impairments (but independent random decisions)
    /// in both directions.
    pub fn symmetric(seed: u64, impairments: Impairments) -> Duplex {
        Duplex::new(seed, impairments, impairments)
    }

    /// A perfect path: no delay, nothing lost.
    pub fn perfect() -> Duplex {
        Duplex::symmetric(0, Impairments::perfect())
    }

    /// When the next datagram in either direction becomes deliverable.
    pub fn next_delivery(&self) -> Option<Instant> {
        match (self.a_to_b.next_delivery(), self.b_to_a.next_delivery()) {
            (Some(x), Some(y)) => Some(x.min(y)),
            (x, y) => x.or(y),
        }
    }

    /// The counters of both directions, A→B first.
    pub fn stats(&self) -> (LinkStats, LinkStats) {
        (self.a_to_b.stats(), self.b_to_a.stats())
    }
}
