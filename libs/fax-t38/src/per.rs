//! The few pieces of ASN.1 Packed Encoding Rules (ITU-T X.691, ALIGNED variant) that
//! T.38 needs: bit fields, octet alignment, and the unconstrained length determinant.
//!
//! T.38 messages are small and their ASN.1 is fixed, so a general PER engine would be
//! overkill; the IFP and UDPTL codecs call these helpers directly in the order the
//! ASN.1 lays the components out.

use crate::Error;

/// Appends bit fields most significant bit first, as PER does, into a byte vector.
#[derive(Debug)]
pub(crate) struct BitWriter<'a> {
    out: &'a mut Vec<u8>,
    /// How many bits of the last byte in `out` are already used (0 means the next bit
    /// starts a new byte).
    used: u8,
}

impl<'a> BitWriter<'a> {
    pub(crate) fn new(out: &'a mut Vec<u8>) -> Self {
        Self { out, used: 0 }
    }

    /// Writes the low `count` bits of `value` (count ≤ 16), most significant first.
    pub(crate) fn bits(&mut self, value: u16, count: u8) {
        for shift in (0..count).rev() {
            let bit = ((value >> shift) & 1) as u8;
            if self.used == 0 {
                self.out.push(0);
            }
            if let Some(last) = self.out.last_mut() {
                *last |= bit << (7 - self.used);
            }
            self.used = (self.used + 1) % 8;
        }
    }

    /// Pads with zero bits up to the next octet boundary (X.691 "octet-aligned").
    pub(crate) fn align(&mut self) {
        self.used = 0;
    }

    /// Writes whole octets; the writer must be aligned first.
    pub(crate) fn octets(&mut self, bytes: &[u8]) {
        debug_assert_eq!(self.used, 0);
        self.out.extend_from_slice(bytes);
    }

    /// Writes an unconstrained length determinant (X.691 10.9.3.6 and 10.9.3.7):
    /// one octet below 128, two octets (`10` prefix) below 16384. Longer lengths need
    /// fragmentation, which nothing in T.38 ever produces, so callers bound their
    /// lengths well below 16384 and this returns an error rather than fragmenting.
    pub(crate) fn length(&mut self, len: usize) -> Result<(), Error> {
        self.align();
        if len < 128 {
            self.out.push(len as u8);
        } else if len < 16384 {
            self.out.push(0x80 | (len >> 8) as u8);
            self.out.push(len as u8);
        } else {
            return Err(Error::LengthTooLarge(len));
        }
        Ok(())
    }
}

/// Reads bit fields most significant bit first from a byte slice.
#[derive(Debug, Clone)]
pub(crate) struct BitReader<'a> {
    data: &'a [u8],
    /// Position in bits from the start of `data`.
    pos: usize,
}

impl<'a> BitReader<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Self { data, pos: 0 }
    }

    /// Reads `count` bits (count ≤ 16) as an unsigned number.
    pub(crate) fn bits(&mut self, count: u8) -> Result<u16, Error> {
        let end = self.pos + usize::from(count);
        if end > self.data.len() * 8 {
            return Err(Error::Truncated);
        }
        let mut value = 0u16;
        for bit in self.pos..end {
            let byte = self.data[bit / 8];
            value = (value << 1) | u16::from((byte >> (7 - bit % 8)) & 1);
        }
        self.pos = end;
        Ok(value)
    }

    /// Reads one bit as a flag.
    pub(crate) fn flag(&mut self) -> Result<bool, Error> {
        Ok(self.bits(1)? == 1)
    }

    /// Skips to the next octet boundary. Padding bits are not checked: X.691 says
    /// they are zero, but rejecting a packet over them would gain nothing.
    pub(crate) fn align(&mut self) {
        self.pos = self.pos.div_ceil(8) * 8;
    }

    /// Reads `len` whole octets after aligning.
    pub(crate) fn octets(&mut self, len: usize) -> Result<&'a [u8], Error> {
        self.align();
        let start = self.pos / 8;
        let bytes =
            self.data.get(start..start.checked_add(len).ok_or(Error::Truncated)?).ok_or(Error::Truncated)?;
        self.pos += len * 8;
        Ok(bytes)
    }

    /// Reads an unconstrained length determinant; fragmented lengths (first octet
    /// `11xxxxxx`) are refused because no T.38 message is that large.
    pub(crate) fn length(&mut self) -> Result<usize, Error> {
        let first = self.octets(1)?[0];
        match first >> 6 {
            0 | 1 => Ok(usize::from(first)),
            2 => {
                let second = self.octets(1)?[0];
                Ok(usize::from(first & 0x3f) << 8 | usize::from(second))
            }
            _ => Err(Error::Fragmented),
        }
    }

    /// The number of whole octets consumed so far, counting a partly read octet.
    pub(crate) fn consumed(&self) -> usize {
        self.pos.div_ceil(8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_pack_msb_first_and_align() {
        let mut out = Vec::new();
        let mut w = BitWriter::new(&mut out);
        w.bits(1, 1);
        w.bits(0b101, 3);
        w.align();
        w.bits(0xabc, 12);
        w.length(200).unwrap();
        w.octets(&[7]);
        assert_eq!(out, [0xd0, 0xab, 0xc0, 0x80, 200, 7]);

        let mut r = BitReader::new(&out);
        assert!(r.flag().unwrap());
        assert_eq!(r.bits(3).unwrap(), 0b101);
        r.align();
        assert_eq!(r.bits(12).unwrap(), 0xabc);
        assert_eq!(r.length().unwrap(), 200);
        assert_eq!(r.octets(1).unwrap(), [7]);
        assert_eq!(r.consumed(), 6);
        assert_eq!(r.bits(1), Err(Error::Truncated));
    }

    #[test]
    fn length_forms() {
        for (len, bytes) in
            [(0usize, &[0u8][..]), (127, &[0x7f]), (128, &[0x80, 0x80]), (16383, &[0xbf, 0xff])]
        {
            let mut out = Vec::new();
            BitWriter::new(&mut out).length(len).unwrap();
            assert_eq!(out, bytes);
            assert_eq!(BitReader::new(bytes).length().unwrap(), len);
        }
        assert_eq!(BitWriter::new(&mut Vec::new()).length(16384), Err(Error::LengthTooLarge(16384)));
        assert_eq!(BitReader::new(&[0xc1]).length(), Err(Error::Fragmented));
        assert_eq!(BitReader::new(&[0x81]).length(), Err(Error::Truncated));
    }
}
