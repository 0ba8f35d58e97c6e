//! T.4 / T.6 encoder.
//!
//! Each row is first reduced to its changing elements (the positions where the colour
//! differs from the pixel to the left, starting from an imaginary white pixel), found
//! a 64-bit word at a time. One-dimensional coding then writes the runs between them;
//! two-dimensional coding compares them with the reference row's list. Nothing is
//! done pixel by pixel and nothing is allocated per row.

use crate::bits::{Accumulator, BitWriter};
use crate::tables::{Code, EOL, HORIZONTAL, MAX_MAKEUP, PASS, VERTICAL, makeup_code, terminating_code};
use crate::{Coding, EncodeOptions, Error, Page};

/// Encodes `page` as `options` say.
///
/// Framing decisions beyond what [`EncodeOptions`] documents:
/// - MR is always written with EOLs (and tag bits), whatever `eol` says, because the
///   tag bit after the EOL is what tells one- from two-dimensional rows.
/// - `byte_align_eol` and `min_row_bits` only matter where there are EOLs: they are
///   ignored for MMR and for MH without EOLs, where fill zeros could not be told
///   from code bits. The fill for the last row is written only if RTC follows.
/// - RTC is written when asked for even if the rows have no EOLs.
/// - With `byte_align_eol`, every EOL ends on a byte boundary, including those of
///   RTC; with MR the tag bit follows in the next byte (as libtiff writes it).
///
/// # Errors
/// [`Error::InvalidKFactor`] for MR with `k == 0`.
pub fn encode(page: &Page, options: &EncodeOptions) -> Result<Vec<u8>, Error> {
    if options.coding == (Coding::Mr { k: 0 }) {
        return Err(Error::InvalidKFactor);
    }
    let width = page.width();
    // A typical fax page compresses ten- to twenty-fold; start there and let the
    // vector grow for busier pages.
    let mut writer = BitWriter::with_capacity(page.data().len() / 8 + 64);
    let mut framing = Framing::new(options);
    let mut reference: Vec<u32> = Vec::with_capacity(256);
    let mut current: Vec<u32> = Vec::with_capacity(256);
    for (y, row) in page.rows().enumerate() {
        row_changes(row, width, &mut current);
        match options.coding {
            Coding::Mh => {
                framing.eol(&mut writer, None);
                encode_1d(&mut writer, &current, width);
            }
            Coding::Mr { k } => {
                let one_dimensional = (y as u64).is_multiple_of(u64::from(k));
                framing.eol(&mut writer, Some(one_dimensional));
                if one_dimensional {
                    encode_1d(&mut writer, &current, width);
                } else {
                    encode_2d(&mut writer, &reference, &current, width);
                }
            }
            Coding::Mmr => encode_2d(&mut writer, &reference, &current, width),
        }
        std::mem::swap(&mut reference, &mut current);
    }
    match options.coding {
        Coding::Mh | Coding::Mr { .. } if options.rtc => {
            let tag = matches!(options.coding, Coding::Mr { .. }).then_some(true);
            // RTC is written even when rows have no EOLs; `row_start` is then unset,
            // so no fill goes before it.
            framing.eol = true;
            framing.eol(&mut writer, tag);
            framing.min_row_bits = 0;
            for _ in 1..6 {
                framing.eol(&mut writer, tag);
            }
        }
        Coding::Mmr if options.eofb => {
            put(&mut writer, EOL);
            put(&mut writer, EOL);
        }
        _ => {}
    }
    Ok(writer.finish(options.bit_order))
}

/// Where EOLs go and the fill around them.
struct Framing {
    eol: bool,
    byte_align: bool,
    min_row_bits: u64,
    /// Bit position where the previous row (its EOL, if any) started.
    row_start: Option<u64>,
}

impl Framing {
    fn new(options: &EncodeOptions) -> Self {
        let eol = match options.coding {
            Coding::Mh => options.eol,
            Coding::Mr { .. } => true,
            Coding::Mmr => false,
        };
        Self {
            eol,
            byte_align: options.byte_align_eol,
            min_row_bits: u64::from(options.min_row_bits),
            row_start: None,
        }
    }

    /// Writes the fill for the previous row, then an EOL and, for MR, the tag bit
    /// (`true` for a one-dimensionally coded row). Does nothing without EOLs.
    fn eol(&mut self, writer: &mut BitWriter, tag: Option<bool>) {
        if !self.eol {
            return;
        }
        if let Some(start) = self.row_start {
            let used = writer.bit_len() - start;
            if used < self.min_row_bits {
                writer.zeros(self.min_row_bits - used);
            }
        }
        if self.byte_align {
            // Pad so that the twelve bits of the EOL end on a byte boundary.
            let pad = (8 - (writer.bit_len() + 12) % 8) % 8;
            writer.zeros(pad);
        }
        self.row_start = Some(writer.bit_len());
        put(writer, EOL);
        if let Some(one_dimensional) = tag {
            writer.put(u32::from(one_dimensional), 1);
        }
    }
}

#[inline]
fn put(writer: &mut BitWriter, (bits, len): Code) {
    writer.put(u32::from(bits), u32::from(len));
}

/// Appends one code through a local accumulator.
#[inline(always)]
fn put_code(acc: &mut Accumulator, out: &mut Vec<u8>, (bits, len): Code) {
    acc.put(out, u32::from(bits), u32::from(len));
}

/// Writes one run: make-up codes as needed, then the terminating code.
#[inline(always)]
fn put_run(acc: &mut Accumulator, out: &mut Vec<u8>, black: bool, mut run: u32) {
    // Runs longer than the longest make-up code repeat it (T.4 §4.1.1).
    while run >= MAX_MAKEUP + 64 {
        put_code(acc, out, makeup_code(black, MAX_MAKEUP));
        run -= MAX_MAKEUP;
    }
    if run >= 64 {
        put_code(acc, out, makeup_code(black, run & !63));
    }
    put_code(acc, out, terminating_code(black, run & 63));
}

/// One-dimensional (MH) coding of a row given its changing elements.
fn encode_1d(writer: &mut BitWriter, changes: &[u32], width: u32) {
    // A local copy of the accumulator stays in registers.
    let mut acc = writer.acc;
    let out = &mut writer.out;
    let mut a0 = 0;
    let mut black = false;
    for &a1 in changes {
        put_run(&mut acc, out, black, a1 - a0);
        a0 = a1;
        black = !black;
    }
    // The last run reaches the end of the row. When the row ends exactly on a change
    // there is nothing left to code, but an all-white row still needs its one run.
    if a0 < width || changes.is_empty() {
        put_run(&mut acc, out, black, width - a0);
    }
    writer.acc = acc;
}

/// Two-dimensional (MR / MMR) coding of a row against the reference row, both given
/// as changing elements. Positions past the end of a list read as `width`.
fn encode_2d(writer: &mut BitWriter, reference: &[u32], current: &[u32], width: u32) {
    let mut acc = writer.acc;
    let out = &mut writer.out;
    let at = |list: &[u32], i: usize| list.get(i).copied().unwrap_or(width);
    // `a0` starts on the imaginary white pixel before the row (then b1 may be the very
    // first pixel, which the initial `b1_index` of 0 allows).
    let mut a0: u32 = 0;
    // Index of a1 in `current`: its parity is the colour of a0 (even = white).
    let mut ai = 0usize;
    // Index of b1 in `reference`: the first change right of a0 whose colour differs
    // from a0's, i.e. whose index has the same parity as `ai`.
    let mut b1_index = 0usize;
    loop {
        let b1 = at(reference, b1_index);
        let b2 = at(reference, b1_index + 1);
        let a1 = at(current, ai);
        if b2 < a1 {
            // b2 < a1 <= width, so the row goes on.
            put_code(&mut acc, out, PASS);
            a0 = b2;
            // The next change of the same parity lies right of b2.
            b1_index += 2;
            continue;
        }
        if a1.abs_diff(b1) <= 3 {
            put_code(&mut acc, out, VERTICAL[(i64::from(a1) - i64::from(b1) + 3) as usize]);
            a0 = a1;
            ai += 1;
            // The parity flips; changes of the new parity before b1_index - 1 lie
            // left of the old a0.
            b1_index = if b1_index == 0 { 1 } else { b1_index - 1 };
        } else {
            let a2 = at(current, ai + 1);
            let black = ai & 1 == 1;
            put_code(&mut acc, out, HORIZONTAL);
            put_run(&mut acc, out, black, a1 - a0);
            put_run(&mut acc, out, !black, a2 - a1);
            a0 = a2;
            ai += 2;
        }
        if a0 >= width {
            writer.acc = acc;
            return;
        }
        // Past the end the list reads as `width` > a0, so this stops.
        while at(reference, b1_index) <= a0 {
            b1_index += 2;
        }
    }
}

/// Finds the changing elements of a packed row: every position `x` < `width` whose
/// pixel differs from the one at `x - 1` (an imaginary white pixel for `x = 0`).
pub(crate) fn row_changes(row: &[u8], width: u32, out: &mut Vec<u32>) {
    out.clear();
    let width = u64::from(width);
    let mut previous = 0u64;
    let mut base = 0u64;
    let (words, rest) = row.as_chunks::<8>();
    for word in words {
        let word = u64::from_be_bytes(*word);
        // A set bit marks a pixel whose colour differs from its left neighbour's.
        let edges = word ^ ((word >> 1) | (previous << 63));
        previous = word & 1;
        if edges != 0 {
            collect_edges(edges, base, width, out);
        }
        base += 64;
    }
    if !rest.is_empty() {
        let mut last = [0u8; 8];
        last[..rest.len()].copy_from_slice(rest);
        let word = u64::from_be_bytes(last);
        let edges = word ^ ((word >> 1) | (previous << 63));
        collect_edges(edges, base, width, out);
    }
}

#[inline]
fn collect_edges(mut edges: u64, base: u64, width: u64, out: &mut Vec<u32>) {
    while edges != 0 {
        let offset = edges.leading_zeros();
        let position = base + u64::from(offset);
        // Padding bits are white, so a row ending in black shows a change at
        // `width`, which is not a changing element of the row.
        if position >= width {
            return;
        }
        out.push(position as u32);
        edges &= !(1u64 << 63 >> offset);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{BitOrder, Limits, Resolution};

    fn page_from_rows(width: u32, rows: &[&str]) -> Page {
        let mut page = Page::new(width, rows.len() as u32, Resolution::FINE, &Limits::default()).unwrap();
        for (y, row) in rows.iter().enumerate() {
            for (x, c) in row.chars().enumerate() {
                page.set_pixel(x as u32, y as u32, c == '#');
            }
        }
        page
    }

    fn bits_of(data: &[u8]) -> String {
        data.iter().map(|b| format!("{b:08b}")).collect()
    }

    fn options(coding: Coding) -> EncodeOptions {
        EncodeOptions {
            coding,
            bit_order: BitOrder::MsbFirst,
            eol: false,
            byte_align_eol: false,
            min_row_bits: 0,
            rtc: false,
            eofb: false,
        }
    }

    #[test]
    fn changes_are_found_across_words() {
        for width in [1u32, 7, 8, 9, 63, 64, 65, 130, 1728] {
            let stride = crate::stride_for(width);
            let mut state = 0x1234_5678_9abc_def0u64 ^ u64::from(width);
            for _ in 0..20 {
                let mut row = vec![0u8; stride];
                for byte in &mut row {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    *byte = state as u8 & (state >> 8) as u8;
                }
                if width % 8 != 0
                    && let Some(last) = row.last_mut()
                {
                    *last &= 0xff << (8 - width % 8);
                }
                let pixel = |x: u32| row[(x / 8) as usize] & (0x80 >> (x % 8)) != 0;
                let expected: Vec<u32> =
                    (0..width).filter(|&x| pixel(x) != if x == 0 { false } else { pixel(x - 1) }).collect();
                let mut found = Vec::new();
                row_changes(&row, width, &mut found);
                assert_eq!(found, expected, "width {width}");
            }
        }
    }

    #[test]
    fn mh_known_encoding() {
        // Width 8: white 2 (0111), black 3 (10), white 3 (1000).
        let page = page_from_rows(8, &["..###..."]);
        let out = encode(&page, &options(Coding::Mh)).unwrap();
        assert_eq!(bits_of(&out), "0111101000000000");
        // A row starting black codes a white run of zero first.
        let page = page_from_rows(4, &["####"]);
        let out = encode(&page, &options(Coding::Mh)).unwrap();
        assert_eq!(bits_of(&out), "0011010101100000");
    }

    #[test]
    fn long_runs_use_repeated_makeup_codes() {
        // 5200 white pixels: 2560, 2560, then 80 = make-up 64 + terminating 16.
        let page = page_from_rows(5200, &[""]);
        let out = encode(&page, &options(Coding::Mh)).unwrap();
        let expected = "000000011111".repeat(2) + "11011" + "101010";
        assert!(bits_of(&out).starts_with(&expected), "{}", bits_of(&out));
        // 2600 black pixels after one white: white 1, black 2560 + 40.
        let row = ".".to_string() + &"#".repeat(2600);
        let page = page_from_rows(2601, &[&row]);
        let out = encode(&page, &options(Coding::Mh)).unwrap();
        let expected = "000111".to_string() + "000000011111" + "000001101100";
        assert!(bits_of(&out).starts_with(&expected), "{}", bits_of(&out));
    }

    #[test]
    fn mmr_vertical_pass_and_horizontal_modes() {
        // Row 0 against the imaginary white row: horizontal 0 white? Row 0 is
        // "..##....": b1 = width, so a1 = 2 is far: horizontal white 2, black 2,
        // then a0 = 4 and a1 = 8 = b1: V0.
        let page = page_from_rows(8, &["..##....", "...##...", "..#.....", "........"]);
        let out = encode(&page, &options(Coding::Mmr)).unwrap();
        let row0 = "001".to_string() + "0111" + "11" + "1";
        // Row 1: a1 = 3, b1 = 2: VR1; a1 = 5, b1 = 4: VR1; then V0 at the end.
        let row1 = "011011".to_string() + "1";
        // Row 2: a1 = 2, b1 = 3: VL1; a1 = 3, b1 = 5: VL2; then V0.
        let row2 = "010000010".to_string() + "1";
        // Row 3: b1 = 2, b2 = 3 < a1 = 8: pass; then b1 = 8: V0.
        let row3 = "0001".to_string() + "1";
        let all = row0 + &row1 + &row2 + &row3;
        assert!(bits_of(&out).starts_with(&all), "{} vs {all}", bits_of(&out));
        assert!(bits_of(&out)[all.len()..].chars().all(|c| c == '0'));
    }

    #[test]
    fn vertical_three_and_eofb() {
        let page = page_from_rows(16, &["....####........", ".......####.....", "....####........"]);
        let mut opts = options(Coding::Mmr);
        opts.eofb = true;
        let out = encode(&page, &opts).unwrap();
        let bits = bits_of(&out);
        let row0 = "001".to_string() + "1011" + "011" + "1";
        // Row 1: a1 = 7, b1 = 4, b2 = 8: VR3; a1 = 11, b1 = 8: VR3; then V0.
        let row1 = "0000011".to_string() + "0000011" + "1";
        // Row 2: a1 = 4, b1 = 7: VL3; a1 = 8, b1 = 11: VL3; then V0.
        let row2 = "0000010".to_string() + "0000010" + "1";
        let expected = row0 + &row1 + &row2 + "000000000001000000000001";
        assert_eq!(&bits[..expected.len()], expected);
        assert!(bits.len() - expected.len() < 8);
    }

    #[test]
    fn vertical_two_right_and_left() {
        let page = page_from_rows(8, &["..##....", "....##.."]);
        let out = encode(&page, &options(Coding::Mmr)).unwrap();
        // Row 1: a1 = 4, b1 = 2: VR2. Then a0 = 4 is black and b1 must change to
        // white right of it: the reference's change at 4 is not right of a0, so b1
        // is the end of the row and a1 = 6 is VL2; then V0.
        let expected = "001".to_string() + "0111" + "11" + "1" + "000011" + "000010" + "1";
        let bits = bits_of(&out);
        assert_eq!(&bits[..expected.len()], expected);
        assert!(bits[expected.len()..].chars().all(|c| c == '0'));
    }

    #[test]
    fn eol_alignment_fill_and_rtc() {
        let page = page_from_rows(8, &["........", "........"]);
        let mut opts = options(Coding::Mh);
        opts.eol = true;
        opts.byte_align_eol = true;
        let out = encode(&page, &opts).unwrap();
        // Four zeros so the first EOL ends at bit 16, then white 8; seven zeros so the
        // second EOL ends at bit 40; white 8 again and padding.
        let expected =
            "0000".to_string() + "000000000001" + "10011" + "0000000" + "000000000001" + "10011" + "000";
        assert_eq!(bits_of(&out), expected);
        let mut opts = options(Coding::Mr { k: 2 });
        opts.min_row_bits = 40;
        opts.rtc = true;
        let out = encode(&page, &opts).unwrap();
        let bits = bits_of(&out);
        let row0 = "0000000000011".to_string() + "10011";
        let row1 = "0000000000010".to_string() + "1";
        let fill0 = "0".repeat(40 - row0.len());
        let fill1 = "0".repeat(40 - row1.len());
        let rtc = "0000000000011".repeat(6);
        let expected = row0 + &fill0 + &row1 + &fill1 + &rtc;
        assert_eq!(&bits[..expected.len()], expected);
        assert!(bits[expected.len()..].chars().all(|c| c == '0') && bits.len() - expected.len() < 8);
    }

    #[test]
    fn lsb_first_reverses_bytes() {
        let page = page_from_rows(8, &["..###..."]);
        let mut opts = options(Coding::Mh);
        let msb = encode(&page, &opts).unwrap();
        opts.bit_order = BitOrder::LsbFirst;
        let lsb = encode(&page, &opts).unwrap();
        assert_eq!(lsb, msb.iter().map(|b| b.reverse_bits()).collect::<Vec<_>>());
    }

    #[test]
    fn zero_k_is_rejected() {
        let page = page_from_rows(8, &["........"]);
        assert!(matches!(encode(&page, &options(Coding::Mr { k: 0 })), Err(Error::InvalidKFactor)));
    }
}
