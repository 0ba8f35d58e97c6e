//! The vocabulary of coded fax data: which coding, which bit order, which framing.
//! The encoder lives in [`crate::encode`], the decoder in [`crate::decode`].

/// Order of bits within each byte of a coded stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum BitOrder {
    /// The first bit of the code is the most significant bit of the byte: TIFF
    /// `FillOrder = 1`, the usual order in files.
    #[default]
    MsbFirst,
    /// The first bit of the code is the least significant bit of the byte: the order
    /// in which bits travel on the fax line and in T.38 (TIFF `FillOrder = 2`).
    LsbFirst,
}

/// A bilevel coding scheme from ITU-T T.4 or T.6.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Coding {
    /// T.4 one-dimensional coding (Modified Huffman).
    Mh,
    /// T.4 two-dimensional coding (Modified READ): after each one-dimensionally
    /// coded row come at most `k - 1` two-dimensionally coded rows. T.4 asks for
    /// K = 2 at standard resolution and K = 4 at fine; the decoder ignores `k` and
    /// follows the tag bit after each EOL.
    Mr {
        /// The K factor; at least 1.
        k: u32,
    },
    /// T.6 two-dimensional coding (Modified Modified READ), no EOLs.
    Mmr,
}

impl Coding {
    /// A short name for people: `MH`, `MR` or `MMR`.
    pub fn name(self) -> &'static str {
        match self {
            Coding::Mh => "MH",
            Coding::Mr { .. } => "MR",
            Coding::Mmr => "MMR",
        }
    }
}

/// How to lay out an encoded stream: the coding plus everything around the codes.
///
/// The constructors give the layouts in real use; the fields can be combined freely.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncodeOptions {
    /// The coding scheme.
    pub coding: Coding,
    /// Bit order of the output bytes.
    pub bit_order: BitOrder,
    /// Whether each row starts with an EOL code (ignored for MMR, which has none).
    /// T.4 on the line always does; TIFF files usually do.
    pub eol: bool,
    /// Whether to insert fill zeros so that every EOL ends on a byte boundary
    /// (TIFF `T4Options` bit 2). Makes resynchronisation cheap for readers.
    pub byte_align_eol: bool,
    /// Minimum length of each coded row in bits, counting from the start of the
    /// row's EOL (or the row itself when there is no EOL); shorter rows get fill zeros
    /// before the next EOL. This is how a T.30 sender honours the receiver's minimum
    /// scan line time: `rate_bps × min_scan_ms / 1000`. Zero for none.
    pub min_row_bits: u32,
    /// Whether to end with RTC (six EOLs; with MR each followed by a tag bit of 1),
    /// which marks the end of a page on the fax line. Ignored for MMR.
    pub rtc: bool,
    /// Whether to end MMR data with EOFB (two EOLs). Ignored for MH and MR.
    pub eofb: bool,
}

impl EncodeOptions {
    /// TIFF `Compression = 3`, the way libtiff writes it: an EOL before each row,
    /// no RTC, MSB-first. With `byte_align` the EOLs are byte-aligned.
    pub fn tiff_g3(coding: Coding, byte_align: bool) -> Self {
        Self {
            coding,
            bit_order: BitOrder::MsbFirst,
            eol: true,
            byte_align_eol: byte_align,
            min_row_bits: 0,
            rtc: false,
            eofb: false,
        }
    }

    /// TIFF `Compression = 4`: MMR, MSB-first, without EOFB.
    pub fn tiff_g4() -> Self {
        Self {
            coding: Coding::Mmr,
            bit_order: BitOrder::MsbFirst,
            eol: false,
            byte_align_eol: false,
            min_row_bits: 0,
            rtc: false,
            eofb: false,
        }
    }

    /// A page as sent on the fax line without error correction: EOL before each row,
    /// fill to `min_row_bits`, RTC at the end, LSB-first. For MMR (only allowed with
    /// ECM) the page ends with EOFB instead.
    pub fn t4_line(coding: Coding, min_row_bits: u32) -> Self {
        Self {
            coding,
            bit_order: BitOrder::LsbFirst,
            eol: true,
            byte_align_eol: false,
            min_row_bits,
            rtc: true,
            eofb: true,
        }
    }
}

/// What the decoder should expect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeOptions {
    /// The coding scheme. For MR, `k` is ignored: the tag bit after each EOL says how
    /// the row is coded.
    pub coding: Coding,
    /// Bit order of the input bytes.
    pub bit_order: BitOrder,
    /// Pixels per row.
    pub width: u32,
    /// Rows to decode. `Some(n)` (a TIFF strip) stops after `n` rows and pads a
    /// short stream with white rows, reporting them as bad; `None` (a T.30 page)
    /// decodes until RTC, EOFB or the end of the data.
    pub rows: Option<u32>,
    /// Upper bound on rows when `rows` is `None`; reaching it stops decoding and is
    /// reported as [`StreamEnd::RowLimit`].
    pub max_rows: u32,
}

impl DecodeOptions {
    /// Options for a stream of unknown length, bounded by `max_rows`.
    pub fn new(coding: Coding, bit_order: BitOrder, width: u32, max_rows: u32) -> Self {
        Self { coding, bit_order, width, rows: None, max_rows }
    }
}

/// Why decoding stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum StreamEnd {
    /// The requested number of rows were decoded.
    RowCount,
    /// RTC (or, in a TIFF strip, any run of consecutive EOLs) ended a T.4 stream.
    Rtc,
    /// EOFB ended an MMR stream.
    Eofb,
    /// The data ran out.
    #[default]
    EndOfData,
    /// [`DecodeOptions::max_rows`] rows were decoded without seeing an end.
    RowLimit,
}

/// Copy-quality figures of a decoded page: what T.30 needs to decide between MCF,
/// RTP and RTN, and what TIFF records in `BadFaxLines` and friends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DecodeReport {
    /// Rows in the decoded page.
    pub rows: u32,
    /// Rows that could not be decoded as coded. A row that fails to decode is
    /// replaced by a copy of the row above (white for the first row); with MR, a
    /// two-dimensionally coded row that refers to a bad row is bad too, until the
    /// next one-dimensionally coded row.
    pub bad_rows: u32,
    /// The longest run of consecutive bad rows.
    pub max_consecutive_bad_rows: u32,
    /// Why decoding stopped.
    pub end: StreamEnd,
}
