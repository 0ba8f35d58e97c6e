//! The one error type of this crate.

/// Everything that can go wrong reading, writing or coding a fax image.
///
/// Variants carry positions (row, byte offset) rather than data, so an error can be
/// logged without leaking fax content.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    // ---- limits -------------------------------------------------------------------
    /// A width or height of zero.
    #[error("page has no pixels ({width}×{height})")]
    EmptyPage {
        /// Width found.
        width: u32,
        /// Height found.
        height: u32,
    },
    /// Wider than [`crate::Limits::max_width`].
    #[error("page is {width} pixels wide; the limit is {max}")]
    TooWide {
        /// Width found.
        width: u32,
        /// Configured limit.
        max: u32,
    },
    /// Taller than [`crate::Limits::max_height`].
    #[error("page is {height} rows tall; the limit is {max}")]
    TooTall {
        /// Height found.
        height: u32,
        /// Configured limit.
        max: u32,
    },
    /// More pages than [`crate::Limits::max_pages`].
    #[error("document has more than {max} pages")]
    TooManyPages {
        /// Configured limit.
        max: u32,
    },
    /// Input larger than [`crate::Limits::max_input_bytes`].
    #[error("input is {bytes} bytes; the limit is {max}")]
    InputTooLarge {
        /// Size found.
        bytes: u64,
        /// Configured limit.
        max: u64,
    },
    /// Packed pixel data of the wrong size for the stated dimensions.
    #[error("pixel data is {actual} bytes; {expected} expected")]
    PixelDataLength {
        /// Bytes the dimensions need.
        expected: usize,
        /// Bytes given.
        actual: usize,
    },

    // ---- coded data (T.4 / T.6) ----------------------------------------------------
    /// A code that is not valid at this point of an MMR stream. MMR has no EOL to
    /// resynchronise on, so decoding stops here.
    #[error("invalid MMR code in row {row} at bit {bit}")]
    InvalidMmrCode {
        /// Zero-based row being decoded.
        row: u32,
        /// Bit offset of the bad code from the start of the stream.
        bit: u64,
    },
    /// The coded data ended before the expected number of rows were decoded and the
    /// coding cannot recover (MMR).
    #[error("coded data ended in row {row}")]
    TruncatedCodedData {
        /// Zero-based row being decoded.
        row: u32,
    },
    /// T.4 data in which not a single row could be decoded.
    #[error("no decodable row in T.4 data")]
    NoDecodableRows,
    /// A K factor of zero for two-dimensional coding.
    #[error("MR coding needs a K factor of at least 1")]
    InvalidKFactor,

    // ---- containers ----------------------------------------------------------------
    /// Not a TIFF file (bad byte-order mark or magic number).
    #[error("not a TIFF file")]
    NotTiff,
    /// A BigTIFF file (magic number 43); only classic TIFF is supported.
    #[error("BigTIFF files are not supported")]
    TiffBigTiff,
    /// A TIFF file whose offsets would not fit in 32 bits (more than 4 GiB).
    #[error("TIFF output would exceed 4 GiB")]
    TiffTooLarge,
    /// A document whose decoded pixels would exceed the byte budget of
    /// [`crate::Limits::max_decoded_bytes`].
    #[error("decoded document would need {bytes} bytes; the limit is {max}")]
    DecodedTooLarge {
        /// Packed pixel bytes the document's pages need together.
        bytes: u64,
        /// Configured limit.
        max: u64,
    },
    /// A structure points past the end of the file.
    #[error("TIFF {what} at offset {offset} runs past the end of the file")]
    TiffOutOfBounds {
        /// Which structure.
        what: &'static str,
        /// Offset it was read from.
        offset: u64,
    },
    /// The chain of image file directories loops back on itself.
    #[error("TIFF directory chain loops at offset {offset}")]
    TiffIfdLoop {
        /// Offset seen twice.
        offset: u64,
    },
    /// Two image file directories share bytes.
    #[error("TIFF directory at offset {offset} overlaps an earlier one")]
    TiffIfdOverlap {
        /// Offset of the later directory.
        offset: u64,
    },
    /// A tag that a bilevel page needs is missing.
    #[error("TIFF page {page} lacks the {tag} tag")]
    TiffMissingTag {
        /// Zero-based page.
        page: u32,
        /// Tag name.
        tag: &'static str,
    },
    /// A tag holds a value we cannot accept.
    #[error("TIFF page {page}: bad {tag}: {reason}")]
    TiffBadTag {
        /// Zero-based page.
        page: u32,
        /// Tag name.
        tag: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A compression scheme other than none, T.4 or T.6.
    #[error("TIFF page {page} uses compression {compression}, which is not a fax coding")]
    TiffUnsupportedCompression {
        /// Zero-based page.
        page: u32,
        /// The Compression tag's value.
        compression: u16,
    },
    /// A page that is not bilevel (more than one sample or bit per pixel).
    #[error("TIFF page {page} is not bilevel")]
    TiffNotBilevel {
        /// Zero-based page.
        page: u32,
    },
    /// Coded data in a TIFF strip could not be decoded.
    #[error("TIFF page {page}: {source}")]
    TiffStrip {
        /// Zero-based page.
        page: u32,
        /// What the codec said.
        #[source]
        source: Box<Error>,
    },
    /// A file with no pages.
    #[error("the file holds no pages")]
    NoPages,
    /// A page that cannot go into a PDF document.
    #[error("page {page} cannot be written to PDF: {reason}")]
    PdfPage {
        /// Zero-based page.
        page: u32,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A malformed PBM file.
    #[error("bad PBM file: {0}")]
    Pbm(&'static str),
    /// A PNG file that could not be read.
    #[error("bad PNG file: {0}")]
    PngDecode(#[from] png::DecodingError),
    /// A PNG file that the `png` crate accepts but that is malformed in a way it does
    /// not check (such as a palette whose length is not a multiple of three).
    #[error("bad PNG file: {0}")]
    PngInvalid(&'static str),
    /// A PNG file that could not be written.
    #[error("cannot write PNG: {0}")]
    PngEncode(#[from] png::EncodingError),
    /// An input/output error from a reader or writer we were given.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}
