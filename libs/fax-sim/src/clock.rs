//! Virtual time.
//!
//! The sans-IO cores take `std::time::Instant` values as input and never read the
//! clock. A simulation captures one real `Instant` at its start and from then on only
//! adds `Duration`s to it, so the instants the cores see are real `Instant` values
//! whose spacing is pure arithmetic, unrelated to how long the test takes to run.

use std::time::{Duration, Instant};

/// A clock that only moves when told to, and only forwards.
///
/// `start` is the instant the simulation began (usually one `Instant::now()` taken by
/// the test); `now` is the current virtual time. Offsets from `start` are what reports
/// and assertions use, because absolute `Instant`s are meaningless across runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VirtualClock {
    start: Instant,
    now: Instant,
}

impl VirtualClock {
    /// Creates a clock whose virtual time starts at `start`.
    pub fn new(start: Instant) -> VirtualClock {
        VirtualClock { start, now: start }
    }

    /// Creates a clock starting at the real `Instant::now()`.
    ///
    /// This is the only place in the crate that reads the real clock, and it does so
    /// once, to obtain a valid `Instant` to count from; nothing that follows depends
    /// on the value.
    pub fn starting_now() -> VirtualClock {
        VirtualClock::new(Instant::now())
    }

    /// The instant the simulation started.
    pub fn start(&self) -> Instant {
        self.start
    }

    /// The current virtual time.
    pub fn now(&self) -> Instant {
        self.now
    }

    /// Virtual time elapsed since the start.
    pub fn elapsed(&self) -> Duration {
        self.now.saturating_duration_since(self.start)
    }

    /// The instant `offset` after the start, or `None` if that is beyond what the
    /// platform's `Instant` can represent.
    pub fn at(&self, offset: Duration) -> Option<Instant> {
        self.start.checked_add(offset)
    }

    /// The offset of `instant` from the start; instants before the start map to zero.
    pub fn offset_of(&self, instant: Instant) -> Duration {
        instant.saturating_duration_since(self.start)
    }

    /// Moves the clock to `instant` if that is later than now, and returns the
    /// (possibly unchanged) current time. The clock never goes backwards.
    pub fn advance_to(&mut self, instant: Instant) -> Instant {
        if instant > self.now {
            self.now = instant;
        }
        self.now
    }

    /// Moves the clock forward by `by` and returns the new time. If the sum would
    /// overflow `Instant`, the clock stays where it is.
    pub fn advance(&mut self, by: Duration) -> Instant {
        if let Some(t) = self.now.checked_add(by) {
            self.now = t;
        }
        self.now
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_goes_backwards() {
        let mut clock = VirtualClock::starting_now();
        let start = clock.start();
        clock.advance(Duration::from_millis(10));
        assert_eq!(clock.elapsed(), Duration::from_millis(10));
        clock.advance_to(start);
        assert_eq!(clock.elapsed(), Duration::from_millis(10));
        let later = clock.at(Duration::from_secs(3)).unwrap();
        assert_eq!(clock.advance_to(later), later);
        assert_eq!(clock.offset_of(later), Duration::from_secs(3));
        assert_eq!(clock.offset_of(start), Duration::ZERO);
    }
}
