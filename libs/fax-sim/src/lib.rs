//! A seeded network simulator for deterministic tests of the sans-IO cores.
//!
//! Two fax terminals are state machines fed with `handle_*(input, now)` and drained
//! with `poll_*()`. This crate supplies everything else a test needs to make them
//! talk to each other in virtual time, thousands of times faster than real time, with
//! the same result on every run:
//!
//! - [`Rng`]: a small seedable generator (xoshiro256**) with independent streams
//!   ([`Rng::fork`], [`Rng::derive`]) and a pinned output sequence.
//! - [`VirtualClock`]: one real `Instant` taken at the start, plus arithmetic.
//! - [`Impairments`]: delay, jitter, independent and bursty ([`GilbertElliott`])
//!   loss, duplication, reordering, a rate-limited bottleneck with a drop-tail queue.
//! - [`Link`]: one direction of a datagram path with those impairments, and its
//!   counters ([`LinkStats`]); [`Duplex`]: a link each way from one seed.
//! - [`Endpoint`] and [`run_pair`]: the event loop that drives two endpoints over a
//!   [`Duplex`], jumping the clock from event to event, and always returns, with a
//!   [`RunReport`] saying why ([`StopReason`]).
//!
//! ```
//! use std::time::Duration;
//! use fax_sim::{Impairments, Link, VirtualClock};
//!
//! let mut clock = VirtualClock::starting_now();
//! let mut link = Link::new(Impairments::perfect().with_delay(Duration::from_millis(30)), 7);
//! link.send(b"hello".to_vec(), clock.now());
//! assert_eq!(link.poll_deliver(clock.now()), None);
//! let due = link.next_delivery().unwrap();
//! clock.advance_to(due);
//! assert_eq!(clock.elapsed(), Duration::from_millis(30));
//! assert_eq!(link.poll_deliver(clock.now()), Some(b"hello".to_vec()));
//! ```
//!
//! Nothing here reads the real clock (except [`VirtualClock::starting_now`], once, to
//! obtain an `Instant` to count from), sleeps, spawns threads or uses global state.
//! Memory is bounded: a link holds at most a configurable number of datagrams, and
//! the driver bounds steps, steps at one instant and datagrams per poll.

#![forbid(unsafe_code)]

mod clock;
mod driver;
mod duplex;
mod impairments;
mod link;
mod rng;

pub use clock::VirtualClock;
pub use driver::{Endpoint, Event, RunLimits, RunReport, Side, StopReason, run_pair, run_pair_observed};
pub use duplex::Duplex;
pub use impairments::{GilbertElliott, Impairments, Jitter, MAX_DELAY};
pub use link::{DEFAULT_MAX_IN_FLIGHT, Fate, Link, LinkStats};
pub use rng::Rng;
