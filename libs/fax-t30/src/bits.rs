//! The facsimile information field of DIS, DTC and DCS as a map of numbered bits.

use std::fmt;

/// The most FIF octets kept from a DIS, DTC or DCS. T.30 (2005) defines fewer than
/// twenty; octets beyond this are ignored when parsing.
pub const MAX_FIF_OCTETS: usize = 32;

/// The bits of a DIS, DTC or DCS information field, numbered 1, 2, 3 … as in T.30
/// Table 2, where bit 1 is the first bit transmitted.
///
/// Octets are stored as an LSB-first HDLC receiver assembles them, so bit *n* is bit
/// `(n - 1) % 8` (counting from the least significant) of octet `(n - 1) / 8`.
///
/// From the third octet on, the last bit of each octet (bits 24, 32, 40, …) is an
/// *extend* bit saying whether another octet follows. Those bits are structure, not
/// content: this type never stores them and computes them when encoding. It also
/// remembers how many octets were received, so that a received field, encoded
/// again, has the same length even if its last octets were all zero.
///
/// Equality compares the bits only: a received field and one built with the same bits
/// are equal even if the peer padded with empty octets.
#[derive(Clone, Copy)]
pub struct FifBits {
    octets: [u8; MAX_FIF_OCTETS],
    /// Octets to emit at least when encoding: the number received, or zero for a field
    /// built from scratch.
    min_len: u8,
}

impl Default for FifBits {
    fn default() -> Self {
        Self::new()
    }
}

/// Whether `bit` is an extend bit: the last bit of the third and every later octet.
pub(crate) const fn is_extend_bit(bit: u16) -> bool {
    bit >= 24 && bit.is_multiple_of(8)
}

impl FifBits {
    /// A field with no bits set and no minimum length.
    pub const fn new() -> Self {
        Self { octets: [0; MAX_FIF_OCTETS], min_len: 0 }
    }

    /// Reads a received information field, following its extend bits: the first three
    /// octets are always read; after that, an octet is read only if the previous one
    /// said another follows. Missing octets read as zero (a peer that sets an extend
    /// bit and then stops is tolerated), and octets after one whose extend bit is clear
    /// are ignored, as are octets beyond [`MAX_FIF_OCTETS`].
    pub fn parse(fif: &[u8]) -> Self {
        let mut bits = Self::new();
        let mut len = 0;
        for (i, &octet) in fif.iter().take(MAX_FIF_OCTETS).enumerate() {
            bits.octets[i] = octet;
            len = i + 1;
            if i >= 2 && octet & 0x80 == 0 {
                break;
            }
        }
        // The extend bits are structure: drop them so that comparisons and the typed
        // views see content only.
        for octet in bits.octets.iter_mut().skip(2) {
            *octet &= 0x7F;
        }
        bits.min_len = len as u8;
        bits
    }

    /// Appends the field to `out`: at least three octets (T.30's minimum), at least as
    /// many as were received, and otherwise as few as hold every set bit, with the
    /// extend bits set on every octet from the third except the last.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        let used = self.octets.iter().rposition(|&o| o != 0).map_or(0, |i| i + 1);
        let len = used.max(usize::from(self.min_len)).max(3);
        for i in 0..len {
            let mut octet = self.octets[i];
            if i >= 2 && i + 1 < len {
                octet |= 0x80;
            }
            out.push(octet);
        }
    }

    /// The field as octets; see [`FifBits::encode_into`].
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(MAX_FIF_OCTETS);
        self.encode_into(&mut out);
        out
    }

    /// Whether bit `bit` (numbered from 1) is set. Bits beyond the field read as clear.
    pub fn get(&self, bit: u16) -> bool {
        match Self::position(bit) {
            Some((index, mask)) => self.octets[index] & mask != 0,
            None => false,
        }
    }

    /// Sets or clears bit `bit` (numbered from 1). Bit 0, bits beyond
    /// [`MAX_FIF_OCTETS`] octets and the extend bits (24, 32, 40, …) are not content
    /// and are left alone.
    pub fn set(&mut self, bit: u16, value: bool) {
        if is_extend_bit(bit) {
            return;
        }
        if let Some((index, mask)) = Self::position(bit) {
            if value {
                self.octets[index] |= mask;
            } else {
                self.octets[index] &= !mask;
            }
        }
    }

    /// Reads bits `first`, `first + 1`, … `first + count - 1` as a number whose least
    /// significant bit is bit `first`: the way T.30 lists multi-bit codes.
    pub fn get_code(&self, first: u16, count: u16) -> u8 {
        let mut code = 0u8;
        for i in 0..count.min(8) {
            // Bit numbers past u16::MAX are beyond the field and read as clear.
            if first.checked_add(i).is_some_and(|b| self.get(b)) {
                code |= 1 << i;
            }
        }
        code
    }

    /// Writes `code` into bits `first` … `first + count - 1`, least significant bit
    /// into bit `first`.
    pub fn set_code(&mut self, first: u16, count: u16, code: u8) {
        for i in 0..count.min(8) {
            if let Some(b) = first.checked_add(i) {
                self.set(b, code & (1 << i) != 0);
            }
        }
    }

    /// The octets received, or zero for a field built from scratch: the least number
    /// of octets [`FifBits::encode_into`] emits (never fewer than three).
    pub fn received_len(&self) -> usize {
        usize::from(self.min_len)
    }

    /// Forgets the received length, so the field encodes to the fewest octets.
    pub fn clear_received_len(&mut self) {
        self.min_len = 0;
    }

    /// The numbers of the set bits, in ascending order.
    pub fn iter(&self) -> impl Iterator<Item = u16> + '_ {
        (1..=(MAX_FIF_OCTETS as u16 * 8)).filter(|&bit| self.get(bit))
    }

    /// Whether no bit is set.
    pub fn is_empty(&self) -> bool {
        self.octets.iter().all(|&o| o == 0)
    }

    fn position(bit: u16) -> Option<(usize, u8)> {
        let zero_based = usize::from(bit.checked_sub(1)?);
        let index = zero_based / 8;
        (index < MAX_FIF_OCTETS).then(|| (index, 1u8 << (zero_based % 8)))
    }
}

impl PartialEq for FifBits {
    fn eq(&self, other: &Self) -> bool {
        self.octets == other.octets
    }
}

impl Eq for FifBits {}

impl std::hash::Hash for FifBits {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        // Consistent with `eq`: the received length does not take part.
        self.octets.hash(state);
    }
}

impl fmt::Debug for FifBits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Bit numbers are what T.30 readers look up; raw octets would need decoding.
        f.debug_struct("FifBits")
            .field("set", &self.iter().collect::<Vec<_>>())
            .field("received_len", &self.min_len)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_numbering_is_lsb_first() {
        let mut bits = FifBits::new();
        bits.set(1, true);
        bits.set(10, true);
        bits.set(17, true);
        assert_eq!(bits.encode(), vec![0x01, 0x02, 0x01]);
        assert!(bits.get(1) && bits.get(10) && bits.get(17));
        assert!(!bits.get(2));
    }

    #[test]
    fn extend_bits_are_computed() {
        let mut bits = FifBits::new();
        bits.set(41, true);
        // Octets 3, 4 and 5 carry an extend bit, octet 6 does not.
        assert_eq!(bits.encode(), vec![0x00, 0x00, 0x80, 0x80, 0x80, 0x01]);
        bits.set(24, true);
        bits.set(0, true);
        bits.set(10_000, true);
        assert_eq!(bits.encode(), vec![0x00, 0x00, 0x80, 0x80, 0x80, 0x01]);
    }

    #[test]
    fn minimum_is_three_octets() {
        assert_eq!(FifBits::new().encode(), vec![0, 0, 0]);
    }

    #[test]
    fn parse_follows_extend_bits() {
        // The extend bit of octet 3 is clear: octet 4 is not part of the field.
        let bits = FifBits::parse(&[0x00, 0x46, 0x78, 0x55]);
        assert_eq!(bits.received_len(), 3);
        assert!(!bits.get(25));
        // Octets 1 and 2 have no extend bit even with their last bit set.
        let bits = FifBits::parse(&[0x80, 0x80]);
        assert!(bits.get(8) && bits.get(16));
        // A promised octet that never comes reads as zero.
        let bits = FifBits::parse(&[0x00, 0x00, 0x80]);
        assert_eq!(bits.received_len(), 3);
        assert_eq!(bits.encode(), vec![0, 0, 0]);
    }

    #[test]
    fn received_length_is_kept() {
        // A peer that sends trailing octets with nothing in them gets the same octets
        // back.
        let fif = [0x00, 0xEE, 0xF8, 0x80, 0x80, 0x00];
        assert_eq!(FifBits::parse(&fif).encode(), fif.to_vec());
        let mut bits = FifBits::parse(&fif);
        bits.clear_received_len();
        assert_eq!(bits.encode(), vec![0x00, 0xEE, 0x78]);
    }

    #[test]
    fn overlong_field_is_bounded() {
        let fif = [0xFFu8; 100];
        let bits = FifBits::parse(&fif);
        assert_eq!(bits.received_len(), MAX_FIF_OCTETS);
        let encoded = bits.encode();
        assert_eq!(encoded.len(), MAX_FIF_OCTETS);
        assert_eq!(encoded.last(), Some(&0x7F));
    }

    #[test]
    fn codes() {
        let mut bits = FifBits::new();
        bits.set_code(11, 4, 0b1011);
        assert!(bits.get(11) && bits.get(12) && !bits.get(13) && bits.get(14));
        assert_eq!(bits.get_code(11, 4), 0b1011);
        // Out-of-range bit numbers are harmless.
        bits.set_code(u16::MAX, 8, 0xFF);
        assert_eq!(bits.get_code(u16::MAX, 8), 0);
    }
}
