//! The HDLC frame check sequence that T.30 frames carry on V.21 and on the high-speed
//! modems in ECM: the 16-bit CRC of ITU-T V.41 / ISO 13239 (polynomial
//! x¹⁶ + x¹² + x⁵ + 1), preset to all ones, complemented at the end.
//!
//! HDLC sends every octet least significant bit first, so the CRC register is
//! processed in reflected form (the polynomial reads 0x8408) and each byte as stored
//! by an LSB-first receiver can be fed straight in. The 16 FCS bits follow the frame
//! low-order octet first, which makes [`append`] and [`check`] work on the same byte
//! layout the rest of this crate uses.
//!
//! T.38 carries frames without FCS (the gateway checks it), so only the audio modem
//! layer needs this module.

/// The reflected generator polynomial x¹⁶ + x¹² + x⁵ + 1.
const POLY_REFLECTED: u16 = 0x8408;

/// What the CRC register holds after running over a frame *and* its correct FCS
/// (before the final complement): a receiver checks a frame with one comparison.
pub const GOOD_RESIDUE: u16 = 0xF0B8;

/// One table entry per byte value: the register change that byte causes, computed at
/// compile time from the polynomial so the table cannot be mistyped.
const TABLE: [u16; 256] = build_table();

const fn build_table() -> [u16; 256] {
    let mut table = [0u16; 256];
    let mut byte = 0;
    while byte < 256 {
        let mut crc = byte as u16;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ POLY_REFLECTED } else { crc >> 1 };
            bit += 1;
        }
        table[byte] = crc;
        byte += 1;
    }
    table
}

/// A running FCS computation, for frames that arrive in pieces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Crc16 {
    register: u16,
}

impl Default for Crc16 {
    fn default() -> Self {
        Self::new()
    }
}

impl Crc16 {
    /// A register preset to all ones, as HDLC requires.
    pub const fn new() -> Self {
        Self { register: 0xFFFF }
    }

    /// Runs the register over `data`.
    pub fn update(&mut self, data: &[u8]) {
        let mut crc = self.register;
        for &byte in data {
            crc = (crc >> 8) ^ TABLE[usize::from((crc ^ u16::from(byte)) as u8)];
        }
        self.register = crc;
    }

    /// The FCS of everything seen so far: the complemented register.
    pub fn finish(&self) -> u16 {
        !self.register
    }

    /// The raw register; equal to [`GOOD_RESIDUE`] after a frame and its correct FCS.
    pub fn residue(&self) -> u16 {
        self.register
    }
}

/// The FCS of `data` (address, control and information field).
pub fn fcs16(data: &[u8]) -> u16 {
    let mut crc = Crc16::new();
    crc.update(data);
    crc.finish()
}

/// Appends the FCS of `frame` to it, low-order octet first, as HDLC sends it.
pub fn append(frame: &mut Vec<u8>) {
    let fcs = fcs16(frame);
    frame.extend_from_slice(&fcs.to_le_bytes());
}

/// Whether `frame_with_fcs` (a frame followed by its two FCS octets) is intact.
/// Shorter inputs than the FCS itself are never intact.
pub fn check(frame_with_fcs: &[u8]) -> bool {
    if frame_with_fcs.len() < 2 {
        return false;
    }
    let mut crc = Crc16::new();
    crc.update(frame_with_fcs);
    crc.residue() == GOOD_RESIDUE
}

/// Splits a frame with FCS into the frame, if the FCS is correct.
pub fn strip(frame_with_fcs: &[u8]) -> Option<&[u8]> {
    if check(frame_with_fcs) { frame_with_fcs.get(..frame_with_fcs.len() - 2) } else { None }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bit-by-bit definition, to check the table against.
    fn slow(data: &[u8]) -> u16 {
        let mut crc: u16 = 0xFFFF;
        for &byte in data {
            for i in 0..8 {
                let bit = (byte >> i) & 1;
                let feedback = (crc & 1) as u8 ^ bit;
                crc >>= 1;
                if feedback != 0 {
                    crc ^= POLY_REFLECTED;
                }
            }
        }
        !crc
    }

    #[test]
    fn check_value() {
        // The catalogue check value of this CRC (CRC-16/X-25, also called IBM-SDLC)
        // for the ASCII digits 1 to 9.
        assert_eq!(fcs16(b"123456789"), 0x906E);
        assert_eq!(slow(b"123456789"), 0x906E);
    }

    #[test]
    fn table_matches_definition() {
        let mut data = Vec::new();
        let mut x: u32 = 12345;
        for len in 0..300 {
            assert_eq!(fcs16(&data), slow(&data), "length {len}");
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            data.push((x >> 16) as u8);
        }
    }

    #[test]
    fn append_then_check() {
        // A DCN frame as sent by the station that received DIS.
        let mut frame = vec![0xFF, 0x13, 0xFB];
        append(&mut frame);
        assert_eq!(frame.len(), 5);
        assert!(check(&frame));
        assert_eq!(strip(&frame), Some(&[0xFF, 0x13, 0xFB][..]));
        frame[2] ^= 0x10;
        assert!(!check(&frame));
        assert_eq!(strip(&frame), None);
        assert!(!check(&[]));
        assert!(!check(&[0xFF]));
    }

    #[test]
    fn incremental_equals_whole() {
        let data = b"T.30 frames arrive in pieces";
        let mut crc = Crc16::default();
        for chunk in data.chunks(5) {
            crc.update(chunk);
        }
        assert_eq!(crc.finish(), fcs16(data));
    }
}
