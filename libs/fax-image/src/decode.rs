//! T.4 / T.6 decoder.
//!
//! Rows are decoded into lists of changing elements (positions where the colour
//! changes, the first one white to black), which two-dimensional decoding needs for
//! the reference row anyway. The packed row is then made 64 pixels at a time: one
//! bit set per change, and a prefix XOR turns those into pixels. Codes are read
//! through lookup tables from a 64-bit bit buffer that is refilled a word at a time.
//!
//! Hostile input cannot make this code panic, loop forever or allocate beyond
//! [`Limits`]: every row consumes input or adds a row, rows are bounded by
//! `max_rows` and [`Limits::max_height`], and list indices go through `get`. Besides
//! the page, the decoder allocates two changing-element lists of `width + 1`
//! entries each.
//!
//! Uncompressed mode (the extension code `0000001111`, T.4 §4.2 and T.6 §2.2.5) is
//! not supported: no fax machine or file in practice uses it. Its code is treated
//! like any other invalid code: a bad row in MH and MR, an error in MMR.

use crate::bits::BitReader;
use crate::tables::{MODE_BITS, MODES, Mode, RUN_FIRST_BITS, RunKind, RunTable, Tables, tables};
use crate::{Coding, DecodeOptions, DecodeReport, Error, Limits, Page, Resolution, StreamEnd, stride_for};

/// Decodes a coded stream into a page.
///
/// Behaviour beyond what [`DecodeOptions`] documents:
/// - MH and MR accept rows with or without a preceding EOL, any number of fill zeros
///   before an EOL, and byte-aligned EOLs. Two EOLs with no row between them (RTC,
///   or the start of it) end the page with [`StreamEnd::Rtc`]. An MR row without
///   an EOL, and so without a tag bit, is taken to be two-dimensional.
/// - A bad MH or MR row (an invalid code, or the wrong number of pixels before the
///   next EOL) is replaced by a copy of the row above and decoding resumes at the
///   next EOL after the start of the bad row. A row whose codes run past the end of
///   the data is bad too.
/// - With `rows: Some(n)`, a T.4 stream that ends (or meets RTC) early is padded with
///   white rows, which count as bad. An MMR stream that ends, or meets EOFB, early
///   is an error.
/// - In MMR, a row that runs into the end of the data, or fails within its last 13
///   bits (where a code may have been cut short), is [`Error::TruncatedCodedData`];
///   zero bits after the last row are padding. Without a row count, a stream that
///   ends exactly after a row is fine.
/// - With `rows: None`, decoding stops at `max_rows` or [`Limits::max_height`],
///   whichever is lower, unless the data ends or RTC/EOFB follows right there.
///
/// # Errors
/// [`Error::TooWide`] and friends when the width (or `rows`) is outside `limits`;
/// [`Error::InputTooLarge`] for data over [`Limits::max_input_bytes`];
/// [`Error::NoDecodableRows`] when MH or MR data yields no good row (or no row at
/// all); [`Error::InvalidMmrCode`] and [`Error::TruncatedCodedData`] for MMR.
pub fn decode(
    data: &[u8],
    options: &DecodeOptions,
    resolution: Resolution,
    limits: &Limits,
) -> Result<(Page, DecodeReport), Error> {
    let width = options.width;
    limits.check_width(width)?;
    limits.check_input_len(data.len())?;
    let max_rows = match options.rows {
        Some(rows) => {
            limits.check_dimensions(width, rows)?;
            rows
        }
        None => options.max_rows.min(limits.max_height),
    };
    let mut out = Output::new(width, options.rows.is_some(), max_rows);
    let mut reader = BitReader::new(data, options.bit_order);
    let mut decoder =
        Decoder { tables: tables(), width, reference: Changes::new(width), current: Changes::new(width) };
    let mut report = DecodeReport::default();
    match options.coding {
        Coding::Mmr => {
            report.end = decoder.mmr(&mut reader, options.rows, max_rows, &mut out)?;
            if out.rows == 0 {
                return Err(Error::TruncatedCodedData { row: 0 });
            }
        }
        Coding::Mh | Coding::Mr { .. } => {
            let two_d = matches!(options.coding, Coding::Mr { .. });
            decoder.t4(&mut reader, two_d, options.rows, max_rows, &mut out, &mut report);
            if report.bad_rows == out.rows && (!data.is_empty() || out.rows == 0) {
                return Err(Error::NoDecodableRows);
            }
        }
    }
    report.rows = out.rows;
    let page = Page::from_packed(width, out.rows, resolution, out.data, limits)?;
    Ok((page, report))
}

/// Why a row could not be decoded.
#[derive(Debug)]
struct BadRow;

/// Decoding state shared by the codings: the tables and the two changing-element
/// lists, reused from row to row.
struct Decoder {
    tables: &'static Tables,
    width: u32,
    reference: Changes,
    current: Changes,
}

/// A changing-element list, with room for the most a row can have: changes are
/// strictly increasing positions below the width, so at most `width` of them. `len`
/// says how much of it the current row uses.
#[derive(Debug)]
struct Changes {
    list: Vec<u32>,
    len: usize,
}

impl Changes {
    fn new(width: u32) -> Self {
        Self { list: vec![0; width as usize + 1], len: 0 }
    }

    fn as_slice(&self) -> &[u32] {
        self.list.get(..self.len).unwrap_or_default()
    }
}

impl Decoder {
    /// Decodes MH or MR (`two_d`) data, filling in `report` except `rows`.
    fn t4(
        &mut self,
        reader: &mut BitReader<'_>,
        two_d: bool,
        rows: Option<u32>,
        max_rows: u32,
        out: &mut Output,
        report: &mut DecodeReport,
    ) {
        let mut consecutive_bad = 0u32;
        let mut note = |report: &mut DecodeReport, good: bool| {
            if good {
                consecutive_bad = 0;
            } else {
                report.bad_rows += 1;
                consecutive_bad += 1;
                report.max_consecutive_bad_rows = report.max_consecutive_bad_rows.max(consecutive_bad);
            }
        };
        // Set when resynchronisation has already consumed the EOL of the next row.
        let mut eol_consumed = false;
        // MR: the previous row was bad and no one-dimensional row has come since, so
        // two-dimensional rows have no trustworthy reference.
        let mut broken_reference = false;
        self.reference.len = 0;
        let end = loop {
            if rows == Some(out.rows) {
                break StreamEnd::RowCount;
            }
            // Consume the EOLs (with their fill and, for MR, tag bits) before the row.
            let mut eols = 0u32;
            let mut one_dimensional = !two_d;
            if eol_consumed {
                eols = 1;
                if two_d {
                    one_dimensional = reader.bit();
                }
                eol_consumed = false;
            }
            while !reader.at_end() {
                reader.refill();
                if reader.peek(11) != 0 || !reader.find_eol() {
                    break;
                }
                eols += 1;
                if two_d {
                    one_dimensional = reader.bit();
                }
            }
            if eols >= 2 {
                break StreamEnd::Rtc;
            }
            if reader.at_end() {
                break StreamEnd::EndOfData;
            }
            if out.rows >= max_rows {
                break StreamEnd::RowLimit;
            }
            let row_start = reader.pos();
            // An MR row without an EOL has no tag bit: take it as two-dimensional.
            if two_d && eols == 0 {
                one_dimensional = false;
            }
            let decoded = if !one_dimensional && broken_reference {
                Err(BadRow)
            } else if one_dimensional {
                self.decode_1d_row(reader)
            } else {
                self.decode_2d_row(reader)
            };
            if decoded.is_ok() && !reader.overran() {
                out.push_changes(self.current.as_slice());
                std::mem::swap(&mut self.reference, &mut self.current);
                note(report, true);
                if one_dimensional {
                    broken_reference = false;
                }
            } else {
                // The copy of the row above has the same changing elements, so the
                // reference list stays as it is.
                out.push_copy();
                note(report, false);
                broken_reference = two_d;
                reader.seek(row_start);
                eol_consumed = reader.find_eol();
            }
        };
        report.end = end;
        if let Some(rows) = rows {
            while out.rows < rows {
                out.push_white();
                note(report, false);
            }
        }
    }

    /// Decodes MMR data and says why it stopped.
    fn mmr(
        &mut self,
        reader: &mut BitReader<'_>,
        rows: Option<u32>,
        max_rows: u32,
        out: &mut Output,
    ) -> Result<StreamEnd, Error> {
        // The reference for the first row is an imaginary white row.
        self.reference.len = 0;
        loop {
            let row = out.rows;
            if rows == Some(row) {
                return Ok(StreamEnd::RowCount);
            }
            let ended = |end: StreamEnd| {
                if rows.is_some() { Err(Error::TruncatedCodedData { row }) } else { Ok(end) }
            };
            reader.refill();
            // No row starts with seven zeros: this is EOFB, padding or garbage.
            if reader.at_end() || reader.peek(MODE_BITS) == 0 {
                if reader.at_end() || rest_is_zero(reader) {
                    return ended(StreamEnd::EndOfData);
                }
                if reader.peek(12) == 1 {
                    return ended(StreamEnd::Eofb);
                }
                return Err(Error::InvalidMmrCode { row, bit: reader.pos() });
            }
            if row >= max_rows {
                return Ok(StreamEnd::RowLimit);
            }
            match self.decode_2d_row(reader) {
                Ok(()) if !reader.overran() => {
                    out.push_changes(self.current.as_slice());
                    std::mem::swap(&mut self.reference, &mut self.current);
                }
                Ok(()) => return Err(Error::TruncatedCodedData { row }),
                Err(BadRow) => {
                    // A code that needed bits from beyond the end of the data (the
                    // longest code is 13 bits) may have been cut short rather than
                    // wrong: report that as truncation.
                    return Err(if reader.overran() || reader.bits_left() < 13 || rest_is_zero(reader) {
                        Error::TruncatedCodedData { row }
                    } else {
                        Error::InvalidMmrCode { row, bit: reader.pos() }
                    });
                }
            }
        }
    }

    /// Decodes one one-dimensionally coded row into `self.current`.
    fn decode_1d_row(&mut self, reader: &mut BitReader<'_>) -> Result<(), BadRow> {
        // Working on a local copy of the reader lets the compiler keep it in
        // registers.
        let mut bits = reader.clone();
        let result = decode_1d(&mut bits, self.tables, self.width, &mut self.current.list);
        *reader = bits;
        self.current.len = result?;
        Ok(())
    }

    /// Decodes one two-dimensionally coded row against `self.reference` into
    /// `self.current`.
    fn decode_2d_row(&mut self, reader: &mut BitReader<'_>) -> Result<(), BadRow> {
        let mut bits = reader.clone();
        let result =
            decode_2d(&mut bits, self.tables, self.width, self.reference.as_slice(), &mut self.current.list);
        *reader = bits;
        self.current.len = result?;
        Ok(())
    }
}

/// Decodes a one-dimensionally coded row into `changes`, returning how many it holds.
fn decode_1d(
    reader: &mut BitReader<'_>,
    tables: &Tables,
    width: u32,
    changes: &mut [u32],
) -> Result<usize, BadRow> {
    let mut n = 0usize;
    let mut a0 = 0u32;
    loop {
        // Runs alternate white and black; the parity of the list gives the colour
        // even when a zero-length run cancelled a change.
        let table = if n & 1 == 0 { &tables.white } else { &tables.black };
        a0 += decode_run(reader, table, width - a0)?;
        if a0 >= width {
            return Ok(n);
        }
        push_change(changes, &mut n, a0);
    }
}

/// Decodes a two-dimensionally coded row against `reference` into `changes`,
/// returning how many it holds.
fn decode_2d(
    reader: &mut BitReader<'_>,
    tables: &Tables,
    width: u32,
    reference: &[u32],
    changes: &mut [u32],
) -> Result<usize, BadRow> {
    // Changes past the end of the reference list read as `width`.
    let at = |i: usize| reference.get(i).copied().unwrap_or(width);
    let mut n = 0usize;
    // `a0` starts on the imaginary white pixel before the row, so at first a1 may be
    // the very first pixel; after that it must lie right of a0. Only that bound is
    // kept: a0 is `min_a1 - 1`, or 0 at the start, where runs count from pixel 0.
    let mut min_a1 = 0u32;
    // b1 is the first reference change right of a0 that changes to the opposite
    // colour of a0. Changes alternate, so the parity of its index in the list is the
    // colour of a0 (even = white), as is the parity of `n`. Its value is kept too, so
    // that the next b1 rarely needs a dependent load.
    let mut b1_index = 0usize;
    let mut b1 = at(0);
    loop {
        reader.ensure(MODE_BITS);
        let entry = MODES.get(reader.peek(MODE_BITS) as usize).copied().ok_or(BadRow)?;
        if entry.vertical {
            let a1 = b1.checked_add_signed(i32::from(entry.delta)).ok_or(BadRow)?;
            if a1 < min_a1 || a1 > width {
                return Err(BadRow);
            }
            reader.consume(u32::from(entry.len));
            if a1 >= width {
                return Ok(n);
            }
            emit(changes, &mut n, a1);
            min_a1 = a1 + 1;
            // The colour of a0 flips, so b1 is now the first change of the other
            // parity right of a1. Those before b1_index - 1 lie left of the old a0,
            // so the candidates are the changes just before and just after the old
            // b1; both are loaded up front and chosen between without a branch.
            let lower = if b1_index > 0 { at(b1_index - 1) } else { 0 };
            let upper = at(b1_index + 1);
            let take_lower = b1_index > 0 && lower > a1;
            b1_index = if take_lower { b1_index - 1 } else { b1_index + 1 };
            b1 = if take_lower { lower } else { upper };
            while b1 <= a1 {
                b1_index += 2;
                b1 = at(b1_index);
            }
            continue;
        }
        match entry.mode {
            Mode::Horizontal => {
                reader.consume(u32::from(entry.len));
                let (first, second) =
                    if n & 1 == 0 { (&tables.white, &tables.black) } else { (&tables.black, &tables.white) };
                let a0 = min_a1.saturating_sub(1);
                let a1 = a0 + decode_run(reader, first, width - a0)?;
                let a2 = a1 + decode_run(reader, second, width - a1)?;
                if a2 >= width {
                    if a1 < width {
                        push_change(changes, &mut n, a1);
                    }
                    return Ok(n);
                }
                push_change(changes, &mut n, a1);
                push_change(changes, &mut n, a2);
                min_a1 = a2 + 1;
                while b1 <= a2 {
                    b1_index += 2;
                    b1 = at(b1_index);
                }
            }
            Mode::Pass => {
                let b2 = at(b1_index + 1);
                if b2 >= width {
                    return Err(BadRow);
                }
                reader.consume(u32::from(entry.len));
                // The next b1 of the same colour follows b2 directly.
                min_a1 = b2 + 1;
                b1_index += 2;
                b1 = at(b1_index);
            }
            Mode::Vertical(_) | Mode::Extension | Mode::Zeros => return Err(BadRow),
        }
    }
}

/// Appends `position` to the first `n` entries of `changes`.
#[inline(always)]
fn emit(changes: &mut [u32], n: &mut usize, position: u32) {
    // The list has room for every change a row can hold, so this always succeeds.
    if let Some(slot) = changes.get_mut(*n) {
        *slot = position;
        *n += 1;
    }
}

/// Records a change at `position`; a change at the same place as the last one means
/// a zero-length run, which cancels it.
#[inline(always)]
fn push_change(changes: &mut [u32], n: &mut usize, position: u32) {
    if *n > 0 && changes.get(*n - 1) == Some(&position) {
        *n -= 1;
    } else {
        emit(changes, n, position);
    }
}

/// Decodes one run (make-up codes, then a terminating code) of at most `limit`
/// pixels.
#[inline(always)]
fn decode_run(reader: &mut BitReader<'_>, table: &RunTable, limit: u32) -> Result<u32, BadRow> {
    let mut total = 0u32;
    loop {
        reader.ensure(13);
        let mut entry = table.entries.get(reader.peek(RUN_FIRST_BITS) as usize).copied().ok_or(BadRow)?;
        // Most runs are a single short terminating code: test for that first, so the
        // common case takes one well-predicted branch.
        if entry.kind != RunKind::Terminating {
            if entry.kind == RunKind::Indirect {
                let bits = RUN_FIRST_BITS + u32::from(entry.len);
                let index = usize::from(entry.value) + (reader.peek(bits) & ((1 << entry.len) - 1)) as usize;
                entry = table.entries.get(index).copied().ok_or(BadRow)?;
            }
            if entry.kind == RunKind::Makeup {
                reader.consume(u32::from(entry.len));
                total = total.saturating_add(u32::from(entry.value));
                if total > limit {
                    return Err(BadRow);
                }
                continue;
            }
            if entry.kind != RunKind::Terminating {
                return Err(BadRow);
            }
        }
        reader.consume(u32::from(entry.len));
        total = total.saturating_add(u32::from(entry.value));
        return if total > limit { Err(BadRow) } else { Ok(total) };
    }
}

/// Whether nothing but zero bits is left.
fn rest_is_zero(reader: &BitReader<'_>) -> bool {
    let mut probe = reader.clone();
    probe.skip_zeros().is_none()
}

/// The packed rows decoded so far, grown without ever reserving more than the row
/// limit allows.
struct Output {
    data: Vec<u8>,
    stride: usize,
    width: u32,
    rows: u32,
    max_bytes: usize,
    /// Scratch for [`Output::push_changes`]: one bit set per changing element, in
    /// 64-bit words; all zero between rows.
    toggles: Vec<u64>,
    /// Scratch for [`Output::push_changes`]: the row being made.
    scratch: Vec<u8>,
}

impl Output {
    fn new(width: u32, exact: bool, max_rows: u32) -> Self {
        let stride = stride_for(width);
        let max_bytes = stride.saturating_mul(max_rows as usize);
        // A known row count is reserved at once; otherwise start small and double.
        let initial = if exact { max_bytes } else { max_bytes.min(stride.saturating_mul(256)) };
        Self {
            data: Vec::with_capacity(initial),
            stride,
            width,
            rows: 0,
            max_bytes,
            toggles: vec![0; stride.div_ceil(8)],
            scratch: vec![0; stride],
        }
    }

    /// Appends a white row and returns it.
    fn grow(&mut self) -> &mut [u8] {
        let len = self.data.len();
        let new_len = len + self.stride;
        if new_len > self.data.capacity() {
            let target = self.data.capacity().saturating_mul(2).min(self.max_bytes).max(new_len);
            self.data.reserve_exact(target - len);
        }
        self.data.resize(new_len, 0);
        self.rows += 1;
        self.data.get_mut(len..).unwrap_or_default()
    }

    fn push_white(&mut self) {
        self.grow();
    }

    /// Appends a copy of the last row, or a white row if there is none.
    fn push_copy(&mut self) {
        let len = self.data.len();
        self.grow();
        if let Some(previous) = len.checked_sub(self.stride) {
            self.data.copy_within(previous..len, len);
        }
    }

    /// Appends a row given its changing elements (strictly increasing, below the
    /// width).
    fn push_changes(&mut self, changes: &[u32]) {
        let mut toggles = std::mem::take(&mut self.toggles);
        // Changes are sorted, so the bits of one word are gathered in a register and
        // the word is stored whole (a read-modify-write per change would chain every
        // change in a word on the previous store).
        let mut index = 0usize;
        let mut bits = 0u64;
        for &position in changes {
            let word = position as usize / 64;
            bits = if word == index { bits } else { 0 };
            bits |= 1u64 << 63 >> (position % 64);
            index = word;
            if let Some(slot) = toggles.get_mut(word) {
                *slot = bits;
            }
        }
        let padding = (self.stride * 8) as u64 - u64::from(self.width);
        // The row is made in a scratch buffer and appended whole: growing the page
        // with zeros first would write every byte twice.
        let mut scratch = std::mem::take(&mut self.scratch);
        let row = scratch.as_mut_slice();
        // Each pixel's colour is the parity of the changes up to and including it: a
        // prefix XOR over the toggle bits, carried from word to word.
        let mut carry = 0u64;
        let (words, tail) = row.as_chunks_mut::<8>();
        let mut toggle_words = toggles.iter_mut();
        for (word, toggle) in words.iter_mut().zip(&mut toggle_words) {
            // Most words of a fax page hold no change at all.
            if *toggle == 0 {
                *word = carry.to_ne_bytes();
                continue;
            }
            let pixels = prefix_xor(std::mem::take(toggle)) ^ carry;
            carry = 0u64.wrapping_sub(pixels & 1);
            *word = pixels.to_be_bytes();
        }
        if !tail.is_empty()
            && let Some(toggle) = toggle_words.next()
        {
            let pixels = prefix_xor(std::mem::take(toggle)) ^ carry;
            for (byte, value) in tail.iter_mut().zip(pixels.to_be_bytes()) {
                *byte = value;
            }
        }
        // A row ending in black colours the padding bits too; clear them.
        if padding > 0
            && let Some(last) = row.last_mut()
        {
            *last &= 0xffu8 << padding;
        }
        self.append(&scratch);
        self.scratch = scratch;
        self.toggles = toggles;
    }

    /// Appends a packed row.
    fn append(&mut self, row: &[u8]) {
        let len = self.data.len();
        let new_len = len + self.stride;
        if new_len > self.data.capacity() {
            let target = self.data.capacity().saturating_mul(2).min(self.max_bytes).max(new_len);
            self.data.reserve_exact(target - len);
        }
        self.data.extend_from_slice(row);
        self.rows += 1;
    }
}

/// Bit i (counting from the most significant) of the result is the XOR of bits 0 to
/// i of `x`.
#[inline(always)]
fn prefix_xor(mut x: u64) -> u64 {
    x ^= x >> 1;
    x ^= x >> 2;
    x ^= x >> 4;
    x ^= x >> 8;
    x ^= x >> 16;
    x ^= x >> 32;
    x
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{BitOrder, EncodeOptions, encode};

    fn page_from_rows(width: u32, rows: &[&str]) -> Page {
        let mut page = Page::new(width, rows.len() as u32, Resolution::FINE, &Limits::default()).unwrap();
        for (y, row) in rows.iter().enumerate() {
            for (x, c) in row.chars().enumerate() {
                page.set_pixel(x as u32, y as u32, c == '#');
            }
        }
        page
    }

    /// Packs a string of '0' and '1' (spaces ignored) MSB-first, padding with zeros.
    fn pack(bits: &str) -> Vec<u8> {
        let bits: Vec<u8> = bits.bytes().filter(|b| *b != b' ').map(|b| b - b'0').collect();
        bits.chunks(8).map(|c| c.iter().enumerate().fold(0u8, |acc, (i, b)| acc | (b << (7 - i)))).collect()
    }

    fn options(coding: Coding, width: u32) -> DecodeOptions {
        DecodeOptions::new(coding, BitOrder::MsbFirst, width, 1000)
    }

    fn dec(data: &[u8], options: &DecodeOptions) -> Result<(Page, DecodeReport), Error> {
        decode(data, options, Resolution::FINE, &Limits::default())
    }

    #[test]
    fn rows_are_filled_from_changes() {
        for width in [1u32, 7, 8, 9, 17, 63, 64, 65, 130] {
            let mut out = Output::new(width, false, 100);
            let mut state = u64::from(width).wrapping_mul(0x9e37_79b9_7f4a_7c15);
            let mut expected = Vec::new();
            for _ in 0..20 {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let changes: Vec<u32> =
                    (0..width).filter(|&x| (state >> (x % 64)) & 1 == 1 && x % 3 != 0).collect();
                let mut row = vec![0u8; stride_for(width)];
                for x in 0..width {
                    if changes.iter().filter(|&&c| c <= x).count() % 2 == 1 {
                        row[(x / 8) as usize] |= 0x80 >> (x % 8);
                    }
                }
                expected.extend_from_slice(&row);
                out.push_changes(&changes);
            }
            assert_eq!(out.data, expected, "width {width}");
        }
    }

    #[test]
    fn mh_known_rows_with_and_without_eol() {
        let expected = page_from_rows(8, &["..###...", "########"]);
        // White 2, black 3, white 3; then white 0, black 8.
        let plain = pack("0111 10 1000  00110101 000101");
        let (page, report) = dec(&plain, &options(Coding::Mh, 8)).unwrap();
        assert_eq!(page, expected);
        assert_eq!(
            report,
            DecodeReport { rows: 2, bad_rows: 0, max_consecutive_bad_rows: 0, end: StreamEnd::EndOfData }
        );
        // The same with EOLs, fill before the second and RTC.
        let eol = "000000000001";
        let framed = format!("{eol} 0111 10 1000 0000000 {eol} 00110101 000101 {}", eol.repeat(6));
        let (page, report) = dec(&pack(&framed), &options(Coding::Mh, 8)).unwrap();
        assert_eq!(page, expected);
        assert_eq!(report.end, StreamEnd::Rtc);
        assert_eq!(report.bad_rows, 0);
    }

    #[test]
    fn mmr_known_modes() {
        let expected = page_from_rows(8, &["..##....", "...##...", "..#.....", "........"]);
        let bits = "001 0111 11 1  011 011 1  010 000010 1  0001 1";
        let (page, report) = dec(&pack(bits), &options(Coding::Mmr, 8)).unwrap();
        assert_eq!(page, expected);
        assert_eq!(report.end, StreamEnd::EndOfData);
        let with_eofb = format!("{bits} 000000000001 000000000001");
        let (page, report) = dec(&pack(&with_eofb), &options(Coding::Mmr, 8)).unwrap();
        assert_eq!(page, expected);
        assert_eq!(report.end, StreamEnd::Eofb);
        // Four rows asked for and found, five asked for: truncated.
        let mut exact = options(Coding::Mmr, 8);
        exact.rows = Some(4);
        assert_eq!(dec(&pack(bits), &exact).unwrap().1.end, StreamEnd::RowCount);
        exact.rows = Some(5);
        assert!(matches!(dec(&pack(bits), &exact), Err(Error::TruncatedCodedData { row: 4 })));
        // VR1 as the first code of the first row: b1 = 8, a1 = 9 > width.
        let bad = pack("011 11111111 11111111");
        assert!(matches!(dec(&bad, &options(Coding::Mmr, 8)), Err(Error::InvalidMmrCode { row: 0, bit: 0 })));
        // The same in the last bits of the data may be a code cut short.
        assert!(matches!(
            dec(&pack("011"), &options(Coding::Mmr, 8)),
            Err(Error::TruncatedCodedData { row: 0 })
        ));
        // The uncompressed-mode extension is refused.
        assert!(matches!(
            dec(&pack("1 0000001111 1111"), &options(Coding::Mmr, 8)),
            Err(Error::InvalidMmrCode { row: 1, bit: 1 })
        ));
    }

    #[test]
    fn vertical_modes_round_trip_at_every_offset() {
        // A bar that moves by -3..=3 pixels from row to row exercises every vertical
        // mode on both edges, and the jumps of more than three force horizontal and
        // pass modes.
        let width = 64;
        let mut rows = Vec::new();
        let mut x = 20i32;
        for step in [0, 1, 2, 3, -1, -2, -3, 7, -9, 0, 3, -3] {
            x += step;
            let mut row = vec!['.'; width as usize];
            for c in &mut row[x as usize..x as usize + 5 + (step.unsigned_abs() as usize)] {
                *c = '#';
            }
            rows.push(row.into_iter().collect::<String>());
        }
        rows.push(".".repeat(64));
        let refs: Vec<&str> = rows.iter().map(String::as_str).collect();
        let page = page_from_rows(width, &refs);
        for coding in [Coding::Mh, Coding::Mr { k: 3 }, Coding::Mmr] {
            for order in [BitOrder::MsbFirst, BitOrder::LsbFirst] {
                let mut opts = EncodeOptions::t4_line(coding, 0);
                opts.bit_order = order;
                let data = encode(&page, &opts).unwrap();
                let mut d = options(coding, width);
                d.bit_order = order;
                let (back, report) = dec(&data, &d).unwrap();
                assert_eq!(back, page, "{coding:?} {order:?}");
                assert_eq!(report.bad_rows, 0);
                let end = if coding == Coding::Mmr { StreamEnd::Eofb } else { StreamEnd::Rtc };
                assert_eq!(report.end, end);
            }
        }
    }

    #[test]
    fn odd_widths_and_long_runs_round_trip() {
        for width in [1u32, 7, 8, 9, 1727, 1728, 2432, 2561, 2624, 4864, 8192] {
            let mut page = Page::new(width, 6, Resolution::FINE, &Limits::default()).unwrap();
            // Row 1 all black, row 2 alternating, row 3 black except the ends, row 4
            // a single black pixel at the end, row 5 white.
            for x in 0..width {
                page.set_pixel(x, 1, true);
                page.set_pixel(x, 2, x % 2 == 1);
                page.set_pixel(x, 3, x > 0 && x + 1 < width);
            }
            page.set_pixel(width - 1, 4, true);
            for coding in [Coding::Mh, Coding::Mr { k: 2 }, Coding::Mmr] {
                let data = encode(&page, &EncodeOptions::tiff_g3(coding, true)).unwrap();
                let mut d = options(coding, width);
                d.rows = Some(6);
                let (back, report) = dec(&data, &d).unwrap();
                assert_eq!(back, page, "{coding:?} width {width}");
                assert_eq!((report.bad_rows, report.end), (0, StreamEnd::RowCount));
            }
        }
    }

    #[test]
    fn mh_bad_row_is_replaced_and_counted() {
        let eol = "000000000001";
        // Row 0 good; row 1 too long (white 2 + black 8 in a width of 8); row 2 too
        // short (white 3 then EOL); row 3 good.
        let bits = format!("{eol} 0111 10 1000 {eol} 0111 000101 {eol} 1000 {eol} 10011");
        let (page, report) = dec(&pack(&bits), &options(Coding::Mh, 8)).unwrap();
        assert_eq!(page, page_from_rows(8, &["..###...", "..###...", "..###...", "........"]));
        assert_eq!(
            report,
            DecodeReport { rows: 4, bad_rows: 2, max_consecutive_bad_rows: 2, end: StreamEnd::EndOfData }
        );
        // Nothing decodable at all.
        assert!(matches!(
            dec(&pack(&format!("{eol} 11")), &options(Coding::Mh, 8)),
            Err(Error::NoDecodableRows)
        ));
        assert!(matches!(dec(&[], &options(Coding::Mh, 8)), Err(Error::NoDecodableRows)));
        // A short stream with a known row count is padded with white bad rows.
        let mut exact = options(Coding::Mh, 8);
        exact.rows = Some(3);
        let (page, report) = dec(&pack(&format!("{eol} 0111 10 1000")), &exact).unwrap();
        assert_eq!(page, page_from_rows(8, &["..###...", "........", "........"]));
        assert_eq!(
            (report.bad_rows, report.max_consecutive_bad_rows, report.end),
            (2, 2, StreamEnd::EndOfData)
        );
    }

    #[test]
    fn mr_rows_after_a_bad_row_are_bad_until_a_1d_row() {
        let eol = "000000000001";
        // 1D good, 1D bad, 2D (V0 V0, valid but refers to a bad row), 1D good, 2D good.
        let bits = format!("{eol}1 0111 10 1000 {eol}1 11 {eol}0 1 1 1 {eol}1 10011 {eol}0 1");
        let (page, report) = dec(&pack(&bits), &options(Coding::Mr { k: 4 }, 8)).unwrap();
        assert_eq!(page, page_from_rows(8, &["..###...", "..###...", "..###...", "........", "........"]));
        assert_eq!((report.bad_rows, report.max_consecutive_bad_rows), (2, 2));
    }

    #[test]
    fn width_and_row_limits_are_checked_first() {
        let limits = Limits { max_width: 100, max_height: 10, ..Limits::default() };
        let opts = options(Coding::Mh, 101);
        assert!(matches!(decode(&[], &opts, Resolution::FINE, &limits), Err(Error::TooWide { .. })));
        assert!(matches!(dec(&[], &options(Coding::Mmr, 0)), Err(Error::EmptyPage { .. })));
        let mut opts = options(Coding::Mmr, 8);
        opts.rows = Some(11);
        assert!(matches!(decode(&[], &opts, Resolution::FINE, &limits), Err(Error::TooTall { .. })));
        // A stream of all-white V0 rows stops at the height limit.
        let opts = options(Coding::Mmr, 8);
        let (page, report) = decode(&[0xff; 4], &opts, Resolution::FINE, &limits).unwrap();
        assert_eq!((page.height(), report.end), (10, StreamEnd::RowLimit));
    }
}
