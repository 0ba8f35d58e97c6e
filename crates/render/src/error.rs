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
    /// A fax-image operation (TIFF Class F, PBM, page construction) failed.
    #[error(transparent)]
    FaxImage(#[from] fax_image::Error),
}
