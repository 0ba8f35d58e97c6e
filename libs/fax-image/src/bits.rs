//! Bit-level reading and writing of coded fax data, most significant bit first
//! internally, with the bit order of the bytes applied at the edges.

use crate::BitOrder;

/// Accumulates codes into bytes, first bit in the most significant position.
#[derive(Debug)]
pub(crate) struct BitWriter {
    pub(crate) out: Vec<u8>,
    pub(crate) acc: Accumulator,
}

/// The bits not yet written out. Hot loops copy it into a local (see
/// [`BitWriter::put`]) so that it lives in registers, and put it back after.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Accumulator {
    /// Pending bits in the low `pending` bits; anything above them is stale.
    bits: u64,
    pending: u32,
}

impl Accumulator {
    /// Appends the `len` low bits of `code` (`len` at most 32), writing whole words
    /// to `out`.
    #[inline(always)]
    pub(crate) fn put(&mut self, out: &mut Vec<u8>, code: u32, len: u32) {
        debug_assert!(len <= 32 && (len == 32 || code >> len == 0));
        // `pending` < 32 on entry, so the shifted accumulator never loses a pending bit.
        self.bits = (self.bits << len) | u64::from(code);
        self.pending += len;
        if self.pending >= 32 {
            self.pending -= 32;
            out.extend_from_slice(&((self.bits >> self.pending) as u32).to_be_bytes());
        }
    }
}

impl BitWriter {
    pub(crate) fn with_capacity(bytes: usize) -> Self {
        Self { out: Vec::with_capacity(bytes), acc: Accumulator { bits: 0, pending: 0 } }
    }

    /// Appends the `len` low bits of `code`, `len` at most 32.
    #[inline]
    pub(crate) fn put(&mut self, code: u32, len: u32) {
        self.acc.put(&mut self.out, code, len);
    }

    /// Appends `count` zero bits.
    pub(crate) fn zeros(&mut self, mut count: u64) {
        while count > 0 {
            let chunk = count.min(32) as u32;
            self.put(0, chunk);
            count -= u64::from(chunk);
        }
    }

    /// Bits written so far.
    pub(crate) fn bit_len(&self) -> u64 {
        self.out.len() as u64 * 8 + u64::from(self.acc.pending)
    }

    /// Pads the last byte with zeros and returns the bytes in `order`.
    pub(crate) fn finish(mut self, order: BitOrder) -> Vec<u8> {
        let Accumulator { bits, mut pending } = self.acc;
        while pending >= 8 {
            pending -= 8;
            self.out.push((bits >> pending) as u8);
        }
        if pending > 0 {
            self.out.push((bits << (8 - pending)) as u8);
        }
        if order == BitOrder::LsbFirst {
            reverse_bits_in_bytes(&mut self.out);
        }
        self.out
    }
}

/// Mirrors every byte (bit 7 becomes bit 0), eight bytes at a time.
pub(crate) fn reverse_bits_in_bytes(bytes: &mut [u8]) {
    let (words, rest) = bytes.as_chunks_mut::<8>();
    for word in words {
        // Reversing all 64 bits mirrors each byte and reverses the byte order; swapping
        // the bytes back leaves each byte mirrored in place.
        *word = u64::from_ne_bytes(*word).reverse_bits().swap_bytes().to_ne_bytes();
    }
    for byte in rest {
        *byte = byte.reverse_bits();
    }
}

/// Reads bits most significant first from a byte slice in either bit order. Past the
/// end of the data it reads zeros, and [`BitReader::pos`] keeps counting so callers
/// can tell real bits from padding.
#[derive(Debug, Clone)]
pub(crate) struct BitReader<'a> {
    data: &'a [u8],
    lsb_first: bool,
    /// Index of the next byte to load into `buf`; it runs past the end of `data`
    /// when the implied zero bytes there are loaded.
    next: usize,
    /// The next `avail` bits of the stream, left-aligned; the bits below them are
    /// either zero or already the correct following stream bits.
    buf: u64,
    avail: u32,
}

impl<'a> BitReader<'a> {
    pub(crate) fn new(data: &'a [u8], order: BitOrder) -> Self {
        let mut reader = Self { data, lsb_first: order == BitOrder::LsbFirst, next: 0, buf: 0, avail: 0 };
        reader.refill();
        reader
    }

    /// Bits consumed so far.
    #[inline]
    pub(crate) fn pos(&self) -> u64 {
        self.next as u64 * 8 - u64::from(self.avail)
    }

    /// Whether every real bit has been consumed.
    #[inline]
    pub(crate) fn at_end(&self) -> bool {
        self.pos() >= self.data.len() as u64 * 8
    }

    /// Real bits not yet consumed.
    #[inline]
    pub(crate) fn bits_left(&self) -> u64 {
        (self.data.len() as u64 * 8).saturating_sub(self.pos())
    }

    /// Whether reads have gone past the end of the data into the implied zeros.
    #[inline]
    pub(crate) fn overran(&self) -> bool {
        self.pos() > self.data.len() as u64 * 8
    }

    /// Tops up the buffer to at least 57 bits (real or, at the end, implied zeros).
    #[inline(always)]
    pub(crate) fn refill(&mut self) {
        if self.avail > 56 {
            return;
        }
        let word = match self.data.get(self.next..).and_then(<[u8]>::first_chunk::<8>) {
            Some(chunk) => {
                if self.lsb_first {
                    u64::from_le_bytes(*chunk).reverse_bits()
                } else {
                    u64::from_be_bytes(*chunk)
                }
            }
            None => load_tail(self.data, self.next, self.lsb_first),
        };
        // Bits of a byte that does not fit completely land in their final place and
        // are or-ed in again, identically, by the next refill.
        self.buf |= word >> self.avail;
        let bytes = (64 - self.avail) / 8;
        self.next += bytes as usize;
        self.avail += bytes * 8;
    }

    /// Makes sure at least `n` bits (at most 57) are buffered.
    #[inline(always)]
    pub(crate) fn ensure(&mut self, n: u32) {
        if self.avail < n {
            self.refill();
        }
    }

    /// The next `n` bits (1 to 32), without consuming them. Needs a prior refill
    /// covering them.
    #[inline(always)]
    pub(crate) fn peek(&self, n: u32) -> u32 {
        debug_assert!((1..=32).contains(&n) && n <= self.avail);
        (self.buf >> (64 - n)) as u32
    }

    /// Consumes `n` bits, at most the number available.
    #[inline(always)]
    pub(crate) fn consume(&mut self, n: u32) {
        debug_assert!(n <= self.avail);
        self.buf = self.buf.checked_shl(n).unwrap_or(0);
        self.avail = self.avail.saturating_sub(n);
    }

    /// Reads one bit.
    pub(crate) fn bit(&mut self) -> bool {
        self.refill();
        let bit = self.peek(1) == 1;
        self.consume(1);
        bit
    }

    /// Consumes zero bits up to the next one bit, which is left unconsumed, and
    /// returns how many were skipped; `None` if only zeros remain.
    pub(crate) fn skip_zeros(&mut self) -> Option<u64> {
        let mut skipped = 0u64;
        loop {
            if self.at_end() {
                return None;
            }
            self.refill();
            let zeros = self.buf.leading_zeros();
            if zeros < self.avail {
                self.consume(zeros);
                return Some(skipped + u64::from(zeros));
            }
            let all = self.avail;
            self.consume(all);
            skipped += u64::from(all);
        }
    }

    /// Consumes everything up to and including the next EOL (at least eleven zeros
    /// and a one). Returns false if the data ends first.
    pub(crate) fn find_eol(&mut self) -> bool {
        loop {
            match self.skip_zeros() {
                None => return false,
                Some(zeros) => {
                    self.consume(1);
                    if zeros >= 11 {
                        return true;
                    }
                }
            }
        }
    }

    /// Moves to bit `pos` of the stream (at most the end of the data).
    pub(crate) fn seek(&mut self, pos: u64) {
        let pos = pos.min(self.data.len() as u64 * 8);
        self.next = (pos / 8) as usize;
        self.buf = 0;
        self.avail = 0;
        self.refill();
        self.consume((pos % 8) as u32);
    }
}

/// The eight bytes at `next`, with zeros for those past the end of `data`.
#[cold]
fn load_tail(data: &[u8], next: usize, lsb_first: bool) -> u64 {
    let mut chunk = [0u8; 8];
    let rest = data.get(next..).unwrap_or_default();
    let n = rest.len().min(8);
    if let (Some(to), Some(from)) = (chunk.get_mut(..n), rest.get(..n)) {
        to.copy_from_slice(from);
    }
    if lsb_first { u64::from_le_bytes(chunk).reverse_bits() } else { u64::from_be_bytes(chunk) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writer_packs_msb_first_and_pads() {
        let mut w = BitWriter::with_capacity(0);
        w.put(0b101, 3);
        w.put(0xffff_ffff, 32);
        w.put(0, 2);
        assert_eq!(w.bit_len(), 37);
        assert_eq!(w.finish(BitOrder::MsbFirst), vec![0b1011_1111, 0xff, 0xff, 0xff, 0b1110_0000]);
    }

    #[test]
    fn writer_reverses_for_lsb_first() {
        let mut w = BitWriter::with_capacity(0);
        for _ in 0..10 {
            w.put(0b1100_0001, 8);
        }
        assert_eq!(w.finish(BitOrder::LsbFirst), vec![0b1000_0011; 10]);
    }

    #[test]
    fn reader_reads_both_orders_and_zeros_past_end() {
        let data: Vec<u8> = (0..20u8).map(|i| i.wrapping_mul(37) ^ 0x5a).collect();
        for order in [BitOrder::MsbFirst, BitOrder::LsbFirst] {
            let mut r = BitReader::new(&data, order);
            for (i, &byte) in data.iter().enumerate() {
                let byte = if order == BitOrder::LsbFirst { byte.reverse_bits() } else { byte };
                // Read in uneven pieces to exercise partial refills.
                let (hi, lo) = if i % 2 == 0 { (3, 5) } else { (7, 1) };
                r.refill();
                let a = r.peek(hi);
                r.consume(hi);
                r.refill();
                let b = r.peek(lo);
                r.consume(lo);
                assert_eq!((a << lo) | b, u32::from(byte));
            }
            assert!(r.at_end() && !r.overran());
            r.refill();
            assert_eq!(r.peek(32), 0);
            r.consume(32);
            assert!(r.overran());
        }
    }

    #[test]
    fn eol_search_and_seek() {
        // 1, then 15 zeros and a one (an EOL with fill), then 0xff.
        let data = [0b1000_0000, 0b0000_0001, 0xff];
        let mut r = BitReader::new(&data, BitOrder::MsbFirst);
        assert!(r.find_eol());
        assert_eq!(r.pos(), 16);
        r.seek(3);
        assert_eq!(r.skip_zeros(), Some(12));
        assert!(!BitReader::new(&[0, 0, 0], BitOrder::MsbFirst).find_eol());
        // Ten zeros and a one is not an EOL.
        assert!(!BitReader::new(&[0, 0x20], BitOrder::MsbFirst).find_eol());
    }
}
