//! The one error type of this crate.

use crate::sniff::Kind;

/// Everything that can go wrong turning a document into fax pages.
///
/// Variants name what is wrong with the input (or which limit it exceeded) and carry
/// sizes and counts, never document content, so an error can be logged and shown to
/// the user who uploaded the file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input has no bytes at all.
    #[error("the document is empty")]
    Empty,
    /// The content matches none of the types we recognise.
    #[error("unsupported document type: {0}")]
    UnsupportedType(&'static str),
    /// The type was recognised, but this crate cannot render it yet.
    #[error("{0} documents cannot be rendered yet")]
    NotYetRenderable(Kind),
    /// The input is larger than [`crate::Limits::max_input_bytes`].
    #[error("the document is {bytes} bytes; the limit is {max}")]
    InputTooLarge {
        /// Size of the input.
        bytes: u64,
        /// Configured limit.
        max: u64,
    },

    // ---- PDF --------------------------------------------------------------------------
    /// The PDF is encrypted and opening it needs a password that was not given.
    #[error("the PDF is password-protected; a password is needed to open it")]
    PdfPasswordRequired,
    /// The PDF is encrypted and the password given does not open it.
    #[error("the password given does not open this PDF")]
    PdfWrongPassword,
    /// The PDF's encryption is malformed or uses an algorithm the renderer lacks.
    #[error("the PDF uses an encryption the renderer cannot open")]
    PdfUnsupportedEncryption,
    /// The PDF could not be parsed at all (truncated, corrupt, or not really a PDF).
    #[error("the PDF is corrupt or truncated and cannot be read")]
    PdfCorrupt,
    /// The document has no pages.
    #[error("the document has no pages")]
    NoPages,
    /// More pages than [`crate::Limits::max_pages`].
    #[error("the document has {pages} pages; the limit is {max}")]
    TooManyPages {
        /// Pages in the document.
        pages: usize,
        /// Configured limit.
        max: u32,
    },
    /// A stream of the PDF (page content, form, image, font, …) decodes, or may decode,
    /// to more than [`crate::Limits::max_stream_bytes`]: a decompression bomb, or a
    /// document too large to render safely. Nothing was decoded beyond the limit.
    #[error("a stream in the PDF decodes to more than the limit of {max} bytes")]
    PdfStreamTooLarge {
        /// Configured limit.
        max: u64,
    },
    /// A page of the PDF executes more than [`crate::Limits::max_page_operations`]
    /// operators, counting a form XObject's content each time it is drawn, or its
    /// forms draw themselves in a cycle.
    #[error("a page of the PDF needs more than {max} drawing operations (or its forms draw themselves)")]
    PdfTooComplex {
        /// Configured limit.
        max: u64,
    },
    /// Rendering took longer than [`crate::Limits::max_render_time`]; checked between
    /// pages.
    #[error("rendering took longer than the limit of {limit_ms} ms (after {pages_done} pages)")]
    TimeLimit {
        /// Configured limit in milliseconds.
        limit_ms: u128,
        /// Pages finished before the limit was hit.
        pages_done: usize,
    },

    // ---- pages and images --------------------------------------------------------------
    /// A target page (paper size at the chosen resolution) larger than
    /// [`crate::Limits::max_page_pixels`] or than the renderer can address.
    #[error("a {width}×{height} page exceeds the page size limit")]
    PageTooLarge {
        /// Width of the page in pixels.
        width: u32,
        /// Height of the page in pixels.
        height: u32,
    },
    /// An image whose header announces more pixels than the limits allow; nothing was
    /// decoded.
    #[error("the image is {width}×{height} pixels; the limit is {max_pixels} pixels")]
    ImageTooLarge {
        /// Width claimed by the image header.
        width: u32,
        /// Height claimed by the image header.
        height: u32,
        /// Configured limit on width × height.
        max_pixels: u64,
    },
    /// Decoding the image would need more memory than [`crate::Limits::max_image_alloc`].
    #[error("decoding the image needs more memory than the limit allows")]
    ImageMemoryLimit,
    /// The image is corrupt, truncated or uses a variant the decoder does not support.
    #[error("the image cannot be decoded: {0}")]
    ImageDecode(String),
    // ---- Office documents (LibreOffice) --------------------------------------------------
    /// No LibreOffice to convert Office documents with.
    #[error(
        "Office documents need LibreOffice, which was not found (no `soffice` on the PATH or \
         in FERROFAX_SOFFICE); install the Debian packages libreoffice-writer-nogui \
         libreoffice-calc-nogui libreoffice-impress-nogui"
    )]
    OfficeUnavailable,
    /// LibreOffice took longer than [`crate::Limits::max_office_time`] and was killed.
    #[error("LibreOffice did not finish converting the document within {limit_ms} ms and was stopped")]
    OfficeTimeout {
        /// Configured limit in milliseconds.
        limit_ms: u128,
    },
    /// LibreOffice crashed, failed or wrote no PDF; the reason says which, never what
    /// the document holds.
    #[error("LibreOffice could not convert the document: {0}")]
    OfficeFailed(String),
    /// The temporary folder for a conversion could not be made, written or read.
    #[error("cannot {action} for the LibreOffice conversion: {source}")]
    OfficeIo {
        /// What was being done.
        action: &'static str,
        /// The operating system's error.
        source: std::io::Error,
    },

    // ---- plain text and cover pages ------------------------------------------------------
    /// A font the text renderer needs is not installed.
    #[error("the font {font} is not installed; install the Debian package {package}")]
    FontMissing {
        /// The font looked for.
        font: &'static str,
        /// The Debian package that provides it.
        package: &'static str,
    },
    /// The text is larger than [`crate::Limits::max_text_bytes`].
    #[error("the text is {bytes} bytes; the limit for plain text is {max}")]
    TextTooLarge {
        /// Size of the text.
        bytes: u64,
        /// Configured limit.
        max: u64,
    },
    /// The bytes handed to the text renderer are not UTF-8.
    #[error("the text is not valid UTF-8 (at byte {valid_up_to})")]
    TextNotUtf8 {
        /// Length of the valid prefix.
        valid_up_to: usize,
    },
    /// The text layout engine failed on this text (a bug in it, caught).
    #[error("the text could not be laid out")]
    TextLayout,
    /// The text has no visible character: sending it would fax blank paper.
    #[error("the text has no visible characters")]
    TextBlank,
    /// A cover-page field is longer than its limit.
    #[error("the cover page field {field} has {chars} characters; the limit is {max}")]
    CoverFieldTooLong {
        /// The field's name.
        field: &'static str,
        /// Its length in characters.
        chars: usize,
        /// The limit for that field.
        max: usize,
    },
    /// The notes do not fit in the notes box of the cover page.
    #[error("the cover page notes need {lines} lines; the notes box holds {max_lines}")]
    CoverNotesTooLong {
        /// Lines the wrapped notes need.
        lines: usize,
        /// Lines the box holds.
        max_lines: usize,
    },

    /// A fax-image operation (TIFF Class F, PBM, page construction) failed.
    #[error(transparent)]
    FaxImage(#[from] fax_image::Error),
}
