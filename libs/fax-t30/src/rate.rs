//! The image modems of Group 3 fax and their speeds.

use std::fmt;

/// A modem that carries the image (phase C) of a Group 3 fax call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Modem {
    /// ITU-T V.27 ter: 4800 and 2400 bit/s.
    V27ter,
    /// ITU-T V.29: 9600 and 7200 bit/s.
    V29,
    /// ITU-T V.17: 14400, 12000, 9600 and 7200 bit/s.
    V17,
}

impl Modem {
    /// The modem's speeds in bit/s, fastest first.
    pub fn speeds(self) -> &'static [u16] {
        match self {
            Modem::V27ter => &[4800, 2400],
            Modem::V29 => &[9600, 7200],
            Modem::V17 => &[14400, 12000, 9600, 7200],
        }
    }

    /// The recommendation's name: `V.27ter`, `V.29` or `V.17`.
    pub fn name(self) -> &'static str {
        match self {
            Modem::V27ter => "V.27ter",
            Modem::V29 => "V.29",
            Modem::V17 => "V.17",
        }
    }
}

impl fmt::Display for Modem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A modem and one of its speeds: what a DCS or CTC selects.
///
/// Only the eight combinations Group 3 uses exist; they are the associated constants.
/// Their order of preference is [`Rate::LADDER`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rate {
    modem: Modem,
    bps: u16,
}

impl Rate {
    /// V.27 ter at 2400 bit/s (T.30's "fall-back mode").
    pub const V27TER_2400: Rate = Rate { modem: Modem::V27ter, bps: 2400 };
    /// V.27 ter at 4800 bit/s.
    pub const V27TER_4800: Rate = Rate { modem: Modem::V27ter, bps: 4800 };
    /// V.29 at 7200 bit/s.
    pub const V29_7200: Rate = Rate { modem: Modem::V29, bps: 7200 };
    /// V.29 at 9600 bit/s.
    pub const V29_9600: Rate = Rate { modem: Modem::V29, bps: 9600 };
    /// V.17 at 7200 bit/s.
    pub const V17_7200: Rate = Rate { modem: Modem::V17, bps: 7200 };
    /// V.17 at 9600 bit/s.
    pub const V17_9600: Rate = Rate { modem: Modem::V17, bps: 9600 };
    /// V.17 at 12000 bit/s.
    pub const V17_12000: Rate = Rate { modem: Modem::V17, bps: 12000 };
    /// V.17 at 14400 bit/s.
    pub const V17_14400: Rate = Rate { modem: Modem::V17, bps: 14400 };

    /// Every rate, best first: the order in which a sender tries them and falls back
    /// after failed training (FTT) or repeated errors (CTC). V.17 comes first at every
    /// speed because its trellis coding makes it more robust than V.29 at the same
    /// speed; V.27 ter comes last.
    pub const LADDER: [Rate; 8] = [
        Rate::V17_14400,
        Rate::V17_12000,
        Rate::V17_9600,
        Rate::V17_7200,
        Rate::V29_9600,
        Rate::V29_7200,
        Rate::V27TER_4800,
        Rate::V27TER_2400,
    ];

    /// The rate of `modem` at `bps`, if that modem has that speed.
    pub fn new(modem: Modem, bps: u16) -> Option<Rate> {
        modem.speeds().contains(&bps).then_some(Rate { modem, bps })
    }

    /// The modem.
    pub fn modem(self) -> Modem {
        self.modem
    }

    /// The speed in bit/s.
    pub fn bps(self) -> u16 {
        self.bps
    }

    /// The position in [`Rate::LADDER`], 0 for the best.
    pub fn rank(self) -> usize {
        // Every Rate value is one of the ladder's constants (the fields are private
        // and `new` only builds those), so the search always succeeds; the fallback
        // keeps this total without a panic path.
        Rate::LADDER.iter().position(|&r| r == self).unwrap_or(Rate::LADDER.len() - 1)
    }

    /// The next rate down the ladder, or `None` at V.27 ter 2400.
    pub fn next_lower(self) -> Option<Rate> {
        Rate::LADDER.get(self.rank() + 1).copied()
    }

    /// The DCS and CTC code of this rate: bits 11 to 14 of the FIF read as a number
    /// with bit 11 as its least significant bit. T.30 Table 2 lists them as
    /// (bit 11, 12, 13, 14): V.27 ter 2400 = 0000, 4800 = 0100; V.29 9600 = 1000,
    /// 7200 = 1100; V.17 14400 = 0001, 12000 = 0101, 9600 = 1001, 7200 = 1101.
    pub fn dcs_code(self) -> u8 {
        match (self.modem, self.bps) {
            (Modem::V27ter, 4800) => 0b0010,
            (Modem::V29, 9600) => 0b0001,
            (Modem::V29, 7200) => 0b0011,
            (Modem::V17, 14400) => 0b1000,
            (Modem::V17, 12000) => 0b1010,
            (Modem::V17, 9600) => 0b1001,
            (Modem::V17, 7200) => 0b1011,
            // V.27 ter 2400 is the all-zero code.
            _ => 0b0000,
        }
    }

    /// The rate a DCS or CTC code selects; `None` for the codes T.30 leaves unused or
    /// gives to V.33 and V.34, which this crate does not implement.
    pub fn from_dcs_code(code: u8) -> Option<Rate> {
        Some(match code {
            0b0000 => Rate::V27TER_2400,
            0b0010 => Rate::V27TER_4800,
            0b0001 => Rate::V29_9600,
            0b0011 => Rate::V29_7200,
            0b1000 => Rate::V17_14400,
            0b1010 => Rate::V17_12000,
            0b1001 => Rate::V17_9600,
            0b1011 => Rate::V17_7200,
            _ => return None,
        })
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.modem, self.bps)
    }
}

/// A set of [`Rate`]s, such as those a DIS allows.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct RateSet {
    /// Bit *i* stands for `Rate::LADDER[i]`.
    mask: u8,
}

impl RateSet {
    /// No rate.
    pub const EMPTY: RateSet = RateSet { mask: 0 };
    /// Every rate.
    pub const ALL: RateSet = RateSet { mask: 0xFF };

    /// The rates of `modem`.
    pub fn of_modem(modem: Modem) -> RateSet {
        Rate::LADDER.iter().filter(|r| r.modem == modem).copied().collect()
    }

    /// Whether `rate` is in the set.
    pub fn contains(self, rate: Rate) -> bool {
        self.mask & (1 << rate.rank()) != 0
    }

    /// Adds `rate`.
    pub fn insert(&mut self, rate: Rate) {
        self.mask |= 1 << rate.rank();
    }

    /// Removes `rate`.
    pub fn remove(&mut self, rate: Rate) {
        self.mask &= !(1 << rate.rank());
    }

    /// The rates in both sets.
    pub fn intersection(self, other: RateSet) -> RateSet {
        RateSet { mask: self.mask & other.mask }
    }

    /// The rates in either set.
    pub fn union(self, other: RateSet) -> RateSet {
        RateSet { mask: self.mask | other.mask }
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.mask == 0
    }

    /// How many rates the set holds.
    pub fn len(self) -> usize {
        self.mask.count_ones() as usize
    }

    /// The best rate of the set by [`Rate::LADDER`].
    pub fn best(self) -> Option<Rate> {
        self.iter().next()
    }

    /// The next rate of the set below `rate` on the ladder: where a sender goes after
    /// failing at `rate`, skipping speeds the peer does not have.
    pub fn next_lower(self, rate: Rate) -> Option<Rate> {
        self.iter().find(|r| r.rank() > rate.rank())
    }

    /// The rates, best first.
    pub fn iter(self) -> impl Iterator<Item = Rate> {
        Rate::LADDER.into_iter().filter(move |&r| self.contains(r))
    }
}

impl FromIterator<Rate> for RateSet {
    fn from_iter<I: IntoIterator<Item = Rate>>(iter: I) -> Self {
        let mut set = RateSet::EMPTY;
        for rate in iter {
            set.insert(rate);
        }
        set
    }
}

impl fmt::Debug for RateSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter().map(|r| format!("{r}"))).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ladder_is_the_fallback_order() {
        let mut rate = Some(Rate::V17_14400);
        let mut seen = Vec::new();
        while let Some(r) = rate {
            seen.push(r.bps());
            rate = r.next_lower();
        }
        assert_eq!(seen, vec![14400, 12000, 9600, 7200, 9600, 7200, 4800, 2400]);
    }

    #[test]
    fn codes_round_trip() {
        for rate in Rate::LADDER {
            assert_eq!(Rate::from_dcs_code(rate.dcs_code()), Some(rate));
        }
        let valid = (0..16).filter(|&c| Rate::from_dcs_code(c).is_some()).count();
        assert_eq!(valid, 8);
    }

    #[test]
    fn new_checks_speed() {
        assert_eq!(Rate::new(Modem::V29, 9600), Some(Rate::V29_9600));
        assert_eq!(Rate::new(Modem::V29, 14400), None);
        assert_eq!(Rate::new(Modem::V27ter, 2400), Some(Rate::V27TER_2400));
    }

    #[test]
    fn set_operations() {
        let v29 = RateSet::of_modem(Modem::V29);
        let v27 = RateSet::of_modem(Modem::V27ter);
        let both = v29.union(v27);
        assert_eq!(both.len(), 4);
        assert_eq!(both.best(), Some(Rate::V29_9600));
        assert_eq!(both.next_lower(Rate::V17_14400), Some(Rate::V29_9600));
        assert_eq!(both.next_lower(Rate::V29_7200), Some(Rate::V27TER_4800));
        assert_eq!(both.next_lower(Rate::V27TER_2400), None);
        assert!(v29.intersection(v27).is_empty());
        assert_eq!(RateSet::ALL.iter().collect::<Vec<_>>(), Rate::LADDER.to_vec());
        assert_eq!(format!("{}", Rate::V17_12000), "V.17 12000");
    }
}
