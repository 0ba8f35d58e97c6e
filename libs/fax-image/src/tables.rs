//! The code tables of ITU-T T.4 (§4.1.1 and §4.2.1.3) and T.6, for encoding, and the
//! lookup tables derived from them for decoding.
//!
//! Codes are written as `(bits, length)` with the first transmitted bit as the most
//! significant of the `length` low bits.

use std::sync::LazyLock;

/// A code: its bits, right-aligned, and its length in bits.
pub(crate) type Code = (u16, u8);

/// White terminating codes, run lengths 0 to 63 (T.4 Table 2).
pub(crate) const WHITE_TERMINATING: [Code; 64] = [
    (0b00110101, 8),
    (0b000111, 6),
    (0b0111, 4),
    (0b1000, 4),
    (0b1011, 4),
    (0b1100, 4),
    (0b1110, 4),
    (0b1111, 4),
    (0b10011, 5),
    (0b10100, 5),
    (0b00111, 5),
    (0b01000, 5),
    (0b001000, 6),
    (0b000011, 6),
    (0b110100, 6),
    (0b110101, 6),
    (0b101010, 6),
    (0b101011, 6),
    (0b0100111, 7),
    (0b0001100, 7),
    (0b0001000, 7),
    (0b0010111, 7),
    (0b0000011, 7),
    (0b0000100, 7),
    (0b0101000, 7),
    (0b0101011, 7),
    (0b0010011, 7),
    (0b0100100, 7),
    (0b0011000, 7),
    (0b00000010, 8),
    (0b00000011, 8),
    (0b00011010, 8),
    (0b00011011, 8),
    (0b00010010, 8),
    (0b00010011, 8),
    (0b00010100, 8),
    (0b00010101, 8),
    (0b00010110, 8),
    (0b00010111, 8),
    (0b00101000, 8),
    (0b00101001, 8),
    (0b00101010, 8),
    (0b00101011, 8),
    (0b00101100, 8),
    (0b00101101, 8),
    (0b00000100, 8),
    (0b00000101, 8),
    (0b00001010, 8),
    (0b00001011, 8),
    (0b01010010, 8),
    (0b01010011, 8),
    (0b01010100, 8),
    (0b01010101, 8),
    (0b00100100, 8),
    (0b00100101, 8),
    (0b01011000, 8),
    (0b01011001, 8),
    (0b01011010, 8),
    (0b01011011, 8),
    (0b01001010, 8),
    (0b01001011, 8),
    (0b00110010, 8),
    (0b00110011, 8),
    (0b00110100, 8),
];

/// Black terminating codes, run lengths 0 to 63 (T.4 Table 2).
pub(crate) const BLACK_TERMINATING: [Code; 64] = [
    (0b0000110111, 10),
    (0b010, 3),
    (0b11, 2),
    (0b10, 2),
    (0b011, 3),
    (0b0011, 4),
    (0b0010, 4),
    (0b00011, 5),
    (0b000101, 6),
    (0b000100, 6),
    (0b0000100, 7),
    (0b0000101, 7),
    (0b0000111, 7),
    (0b00000100, 8),
    (0b00000111, 8),
    (0b000011000, 9),
    (0b0000010111, 10),
    (0b0000011000, 10),
    (0b0000001000, 10),
    (0b00001100111, 11),
    (0b00001101000, 11),
    (0b00001101100, 11),
    (0b00000110111, 11),
    (0b00000101000, 11),
    (0b00000010111, 11),
    (0b00000011000, 11),
    (0b000011001010, 12),
    (0b000011001011, 12),
    (0b000011001100, 12),
    (0b000011001101, 12),
    (0b000001101000, 12),
    (0b000001101001, 12),
    (0b000001101010, 12),
    (0b000001101011, 12),
    (0b000011010010, 12),
    (0b000011010011, 12),
    (0b000011010100, 12),
    (0b000011010101, 12),
    (0b000011010110, 12),
    (0b000011010111, 12),
    (0b000001101100, 12),
    (0b000001101101, 12),
    (0b000011011010, 12),
    (0b000011011011, 12),
    (0b000001010100, 12),
    (0b000001010101, 12),
    (0b000001010110, 12),
    (0b000001010111, 12),
    (0b000001100100, 12),
    (0b000001100101, 12),
    (0b000001010010, 12),
    (0b000001010011, 12),
    (0b000000100100, 12),
    (0b000000110111, 12),
    (0b000000111000, 12),
    (0b000000100111, 12),
    (0b000000101000, 12),
    (0b000001011000, 12),
    (0b000001011001, 12),
    (0b000000101011, 12),
    (0b000000101100, 12),
    (0b000001011010, 12),
    (0b000001100110, 12),
    (0b000001100111, 12),
];

/// White make-up codes, run lengths 64 to 1728 in steps of 64 (T.4 Table 3a).
pub(crate) const WHITE_MAKEUP: [Code; 27] = [
    (0b11011, 5),
    (0b10010, 5),
    (0b010111, 6),
    (0b0110111, 7),
    (0b00110110, 8),
    (0b00110111, 8),
    (0b01100100, 8),
    (0b01100101, 8),
    (0b01101000, 8),
    (0b01100111, 8),
    (0b011001100, 9),
    (0b011001101, 9),
    (0b011010010, 9),
    (0b011010011, 9),
    (0b011010100, 9),
    (0b011010101, 9),
    (0b011010110, 9),
    (0b011010111, 9),
    (0b011011000, 9),
    (0b011011001, 9),
    (0b011011010, 9),
    (0b011011011, 9),
    (0b010011000, 9),
    (0b010011001, 9),
    (0b010011010, 9),
    (0b011000, 6),
    (0b010011011, 9),
];

/// Black make-up codes, run lengths 64 to 1728 in steps of 64 (T.4 Table 3a).
pub(crate) const BLACK_MAKEUP: [Code; 27] = [
    (0b0000001111, 10),
    (0b000011001000, 12),
    (0b000011001001, 12),
    (0b000001011011, 12),
    (0b000000110011, 12),
    (0b000000110100, 12),
    (0b000000110101, 12),
    (0b0000001101100, 13),
    (0b0000001101101, 13),
    (0b0000001001010, 13),
    (0b0000001001011, 13),
    (0b0000001001100, 13),
    (0b0000001001101, 13),
    (0b0000001110010, 13),
    (0b0000001110011, 13),
    (0b0000001110100, 13),
    (0b0000001110101, 13),
    (0b0000001110110, 13),
    (0b0000001110111, 13),
    (0b0000001010010, 13),
    (0b0000001010011, 13),
    (0b0000001010100, 13),
    (0b0000001010101, 13),
    (0b0000001011010, 13),
    (0b0000001011011, 13),
    (0b0000001100100, 13),
    (0b0000001100101, 13),
];

/// Extended make-up codes shared by both colours, run lengths 1792 to 2560 in steps
/// of 64 (T.4 Table 3b).
pub(crate) const EXTENDED_MAKEUP: [Code; 13] = [
    (0b00000001000, 11),
    (0b00000001100, 11),
    (0b00000001101, 11),
    (0b000000010010, 12),
    (0b000000010011, 12),
    (0b000000010100, 12),
    (0b000000010101, 12),
    (0b000000010110, 12),
    (0b000000010111, 12),
    (0b000000011100, 12),
    (0b000000011101, 12),
    (0b000000011110, 12),
    (0b000000011111, 12),
];

/// The end-of-line code: eleven zeros and a one.
pub(crate) const EOL: Code = (0b000000000001, 12);

/// The longest run a single make-up code can express.
pub(crate) const MAX_MAKEUP: u32 = 2560;

/// Two-dimensional mode codes (T.4 Table 4, T.6 Table 1).
pub(crate) const PASS: Code = (0b0001, 4);
pub(crate) const HORIZONTAL: Code = (0b001, 3);
/// Vertical mode codes indexed by `a1 - b1 + 3`: VL3, VL2, VL1, V0, VR1, VR2, VR3.
pub(crate) const VERTICAL: [Code; 7] =
    [(0b0000010, 7), (0b000010, 6), (0b010, 3), (0b1, 1), (0b011, 3), (0b000011, 6), (0b0000011, 7)];
/// The prefix of the extension codes (T.4 §4.2.1.3.2, T.6 §2.2.5), followed by three
/// bits that name the extension; `0000001111` enters uncompressed mode.
pub(crate) const EXTENSION_PREFIX: Code = (0b0000001, 7);

/// The make-up code for `run`, a non-zero multiple of 64 up to [`MAX_MAKEUP`].
pub(crate) fn makeup_code(black: bool, run: u32) -> Code {
    let index = (run / 64) as usize;
    let own = if black { &BLACK_MAKEUP } else { &WHITE_MAKEUP };
    match index {
        1..=27 => own[index - 1],
        // Indices 28 to 40 are 1792 to 2560; anything else cannot be asked for by the
        // encoder, which splits longer runs, and falls back to the longest code.
        _ => EXTENDED_MAKEUP[(index.saturating_sub(28)).min(EXTENDED_MAKEUP.len() - 1)],
    }
}

/// The terminating code for `run` < 64.
pub(crate) fn terminating_code(black: bool, run: u32) -> Code {
    let own = if black { &BLACK_TERMINATING } else { &WHITE_TERMINATING };
    own[(run & 63) as usize]
}

// ---- decoding -------------------------------------------------------------------

/// What a run-length lookup found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RunKind {
    /// No valid code starts with these bits (this includes EOL and everything else
    /// beginning with seven zeros that is not an extended make-up code).
    Invalid,
    /// A terminating code: the run ends here.
    Terminating,
    /// A make-up code: the run continues with more codes.
    Makeup,
    /// The first-level entry points to a second-level table.
    Indirect,
}

/// One lookup-table entry. For `Indirect`, `value` is the index of the second-level
/// table in the same vector and `len` the number of further bits that index it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RunEntry {
    pub(crate) value: u16,
    pub(crate) len: u8,
    pub(crate) kind: RunKind,
}

const INVALID_RUN: RunEntry = RunEntry { value: 0, len: 0, kind: RunKind::Invalid };

/// Bits looked up by the first level of a run-length table. Every terminating code
/// and every make-up code up to 1728 fits in 9 bits for white, and the black codes
/// longer than that all start with four zeros, so the second level stays small.
pub(crate) const RUN_FIRST_BITS: u32 = 9;

/// A two-level run-length decoding table for one colour.
#[derive(Debug)]
pub(crate) struct RunTable {
    pub(crate) entries: Vec<RunEntry>,
}

impl RunTable {
    fn build(black: bool) -> Self {
        let mut codes: Vec<(Code, RunKind, u16)> = Vec::with_capacity(104);
        let (term, makeup) =
            if black { (&BLACK_TERMINATING, &BLACK_MAKEUP) } else { (&WHITE_TERMINATING, &WHITE_MAKEUP) };
        for (run, &code) in term.iter().enumerate() {
            codes.push((code, RunKind::Terminating, run as u16));
        }
        for (index, &code) in makeup.iter().chain(EXTENDED_MAKEUP.iter()).enumerate() {
            codes.push((code, RunKind::Makeup, (index as u16 + 1) * 64));
        }
        let first = RUN_FIRST_BITS;
        let mut entries = vec![INVALID_RUN; 1 << first];
        // First pass: short codes fill their range of first-level entries; long codes
        // record how many extra bits their prefix's second-level table needs.
        let mut extra_bits = vec![0u8; 1 << first];
        for &((bits, len), kind, value) in &codes {
            let len32 = u32::from(len);
            if len32 <= first {
                let start = usize::from(bits) << (first - len32);
                for entry in &mut entries[start..start + (1 << (first - len32))] {
                    *entry = RunEntry { value, len, kind };
                }
            } else {
                let prefix = usize::from(bits) >> (len32 - first);
                extra_bits[prefix] = extra_bits[prefix].max(len - first as u8);
            }
        }
        for prefix in 0..extra_bits.len() {
            let extra = extra_bits[prefix];
            if extra > 0 {
                let base = entries.len();
                entries[prefix] = RunEntry { value: base as u16, len: extra, kind: RunKind::Indirect };
                entries.extend(std::iter::repeat_n(INVALID_RUN, 1 << extra));
            }
        }
        for &((bits, len), kind, value) in &codes {
            let len32 = u32::from(len);
            if len32 > first {
                let prefix = usize::from(bits) >> (len32 - first);
                let sub = entries[prefix];
                let sub_bits = u32::from(sub.len);
                let rest = usize::from(bits) & ((1 << (len32 - first)) - 1);
                let spread = sub_bits - (len32 - first);
                let start = usize::from(sub.value) + (rest << spread);
                for entry in &mut entries[start..start + (1 << spread)] {
                    *entry = RunEntry { value, len, kind };
                }
            }
        }
        Self { entries }
    }
}

/// The two-dimensional modes, as the decoder sees them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Vertical mode with `a1 - b1` = the payload.
    Vertical(i8),
    Horizontal,
    Pass,
    /// The seven-bit prefix of an extension code (uncompressed mode and friends).
    Extension,
    /// Seven zeros: the start of an EOL (or EOFB), or an invalid code.
    Zeros,
}

/// Bits looked up by the mode table: the longest mode code is seven bits.
pub(crate) const MODE_BITS: u32 = 7;

/// A mode-table entry: the mode and the length of its code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ModeEntry {
    pub(crate) mode: Mode,
    pub(crate) len: u8,
    /// Whether this is a vertical mode, and its `a1 - b1`: the decoder's hot path
    /// tests these plain fields rather than matching on `mode`.
    pub(crate) vertical: bool,
    pub(crate) delta: i8,
}

const fn build_mode_table() -> [ModeEntry; 1 << MODE_BITS] {
    let mut table = [ModeEntry { mode: Mode::Zeros, len: 0, vertical: false, delta: 0 }; 1 << MODE_BITS];
    let mut code = 0;
    // Codes 0..=6 are the vertical ones, then horizontal, pass and extension.
    while code < 10 {
        let ((bits, len), mode) = match code {
            0..=6 => (VERTICAL[code], Mode::Vertical(code as i8 - 3)),
            7 => (HORIZONTAL, Mode::Horizontal),
            8 => (PASS, Mode::Pass),
            _ => (EXTENSION_PREFIX, Mode::Extension),
        };
        let (vertical, delta) = match mode {
            Mode::Vertical(delta) => (true, delta),
            _ => (false, 0),
        };
        let shift = MODE_BITS - len as u32;
        let start = (bits as usize) << shift;
        let mut i = 0;
        while i < 1 << shift {
            table[start + i] = ModeEntry { mode, len, vertical, delta };
            i += 1;
        }
        code += 1;
    }
    table
}

/// The mode table, built at compile time so that its address is a constant in the
/// decoder's hot loop.
pub(crate) static MODES: [ModeEntry; 1 << MODE_BITS] = build_mode_table();

/// All decoding tables, built once per process.
#[derive(Debug)]
pub(crate) struct Tables {
    pub(crate) white: RunTable,
    pub(crate) black: RunTable,
}

static TABLES: LazyLock<Tables> =
    LazyLock::new(|| Tables { white: RunTable::build(false), black: RunTable::build(true) });

/// The decoding tables.
pub(crate) fn tables() -> &'static Tables {
    &TABLES
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_run_codes(black: bool) -> Vec<(Code, u32)> {
        let (term, makeup) =
            if black { (&BLACK_TERMINATING, &BLACK_MAKEUP) } else { (&WHITE_TERMINATING, &WHITE_MAKEUP) };
        let mut codes: Vec<(Code, u32)> = term.iter().enumerate().map(|(run, &c)| (c, run as u32)).collect();
        for (index, &code) in makeup.iter().chain(EXTENDED_MAKEUP.iter()).enumerate() {
            codes.push((code, (index as u32 + 1) * 64));
        }
        codes
    }

    fn is_prefix(a: Code, b: Code) -> bool {
        a.1 <= b.1 && (b.0 >> (b.1 - a.1)) == a.0
    }

    fn assert_prefix_free(codes: &[Code]) {
        for (i, &a) in codes.iter().enumerate() {
            assert!(u32::from(a.0) < (1 << a.1), "code {a:?} has bits beyond its length");
            for (j, &b) in codes.iter().enumerate() {
                if i != j {
                    assert!(!is_prefix(a, b), "{a:?} is a prefix of {b:?}");
                }
            }
        }
    }

    /// Sum of 2^-len, in units of 2^-13.
    fn kraft(codes: &[Code]) -> u32 {
        codes.iter().map(|&(_, len)| 1u32 << (13 - len)).sum()
    }

    #[test]
    fn run_codes_are_prefix_free_and_complete() {
        for black in [false, true] {
            let mut codes: Vec<Code> = all_run_codes(black).into_iter().map(|(c, _)| c).collect();
            assert_eq!(codes.len(), 64 + 27 + 13);
            codes.push(EOL);
            assert_prefix_free(&codes);
            codes.pop();
            // Every bit pattern starts with exactly one code, except those starting
            // with seven zeros that are not extended make-up codes (EOL's prefix):
            // the tables fill the code tree completely but for that one branch.
            assert_eq!(kraft(&codes), (1 << 13) - (1 << 6) + kraft(&EXTENDED_MAKEUP), "black={black}");
        }
    }

    #[test]
    fn mode_codes_are_prefix_free_and_complete() {
        let mut codes = VERTICAL.to_vec();
        codes.push(HORIZONTAL);
        codes.push(PASS);
        codes.push(EXTENSION_PREFIX);
        assert_prefix_free(&codes);
        // Everything but the all-zero seven-bit prefix is a mode code.
        assert_eq!(kraft(&codes), (1 << 13) - (1 << 6));
    }

    #[test]
    fn lookup_tables_decode_every_code() {
        let tables = tables();
        for black in [false, true] {
            let table = if black { &tables.black } else { &tables.white };
            for ((bits, len), run) in all_run_codes(black) {
                // Pad the code with ones and with zeros to 16 bits: neither may change
                // what the table finds.
                for pad in [0u32, 0xffff] {
                    let word = (u32::from(bits) << (16 - len)) | (pad >> len);
                    let first = table.entries[(word >> (16 - RUN_FIRST_BITS)) as usize];
                    let entry = if first.kind == RunKind::Indirect {
                        let sub =
                            (word >> (16 - RUN_FIRST_BITS - u32::from(first.len))) & ((1 << first.len) - 1);
                        table.entries[usize::from(first.value) + sub as usize]
                    } else {
                        first
                    };
                    assert_eq!(entry.len, len, "black={black} run={run}");
                    assert_eq!(u32::from(entry.value), run);
                    let kind = if run < 64 { RunKind::Terminating } else { RunKind::Makeup };
                    assert_eq!(entry.kind, kind);
                }
            }
        }
        let modes = &MODES;
        let v = |delta: i8, len: u8| ModeEntry { mode: Mode::Vertical(delta), len, vertical: true, delta };
        assert_eq!(modes[0b1000000], v(0, 1));
        assert_eq!(modes[0b0110000], v(1, 3));
        assert_eq!(modes[0b0100000], v(-1, 3));
        assert_eq!(modes[0b0000110], v(2, 6));
        assert_eq!(modes[0b0000100], v(-2, 6));
        assert_eq!(modes[0b0000011], v(3, 7));
        assert_eq!(modes[0b0000010], v(-3, 7));
        assert_eq!((modes[0b0001111].mode, modes[0b0001111].len), (Mode::Pass, 4));
        assert_eq!((modes[0b0010000].mode, modes[0b0010000].len), (Mode::Horizontal, 3));
        assert!(!modes[0b0010000].vertical && !modes[0b0001000].vertical);
        assert_eq!(modes[0b0000001].mode, Mode::Extension);
        assert_eq!(modes[0].mode, Mode::Zeros);
    }

    #[test]
    fn makeup_lookup_covers_all_lengths() {
        assert_eq!(makeup_code(false, 64), (0b11011, 5));
        assert_eq!(makeup_code(true, 1728), (0b0000001100101, 13));
        assert_eq!(makeup_code(false, 1792), (0b00000001000, 11));
        assert_eq!(makeup_code(true, 2560), (0b000000011111, 12));
        assert_eq!(terminating_code(true, 0), (0b0000110111, 10));
    }
}
