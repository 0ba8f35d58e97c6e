//! Documents to fax pages.
//!
//! What users upload — PDFs, photos, scans, existing fax TIFFs — becomes a list of
//! [`fax_image::Page`]s: 1728 pixels wide, black and white, at a T.30 resolution,
//! ready to be coded and sent. The pipeline has four steps, one module each:
//!
//! 1. [`sniff`](mod@sniff) decides what the upload is from its bytes (never from its name).
//! 2. [`geometry`] decides where each source page lands on the fax page: paper size,
//!    resolution, rotation of landscape pages, scale to fit, centring.
//! 3. [`pdf`] (with `hayro`) and [`image`] (with the `image` crate and `fax_image`)
//!    rasterise the source onto that grid in 8-bit grey.
//! 4. [`bilevel`] turns grey into black and white: a threshold for text (the
//!    default), error diffusion for photos, or a choice per page.
//!
//! [`render`] runs them all. Office documents and RTF go through LibreOffice to PDF
//! first ([`office`]); plain text is typeset with bundled system fonts ([`text`]);
//! [`cover`] makes a cover page in English, German or Japanese.
//!
//! Every size a hostile upload could inflate is bounded by [`Limits`], checked
//! before the corresponding work or allocation; bad input yields a typed [`Error`]
//! and never a panic.

use std::time::Duration;

pub mod bilevel;
pub mod cover;
mod error;
pub mod fonts;
pub mod geometry;
pub mod image;
pub mod office;
pub mod pdf;
pub mod sniff;
pub mod text;

pub use bilevel::Mode;
pub use cover::{CoverPage, Lang, render_cover};
pub use error::Error;
pub use geometry::{FaxResolution, Paper};
pub use sniff::{Kind, sniff};

/// Bounds on the work and memory one document may cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest input accepted, in bytes.
    pub max_input_bytes: u64,
    /// Most pages in one document.
    pub max_pages: u32,
    /// Most pixels on one target page (width × height). The largest page we make,
    /// Legal at superfine, has 1728 × 5474 ≈ 9.5 million.
    pub max_page_pixels: u64,
    /// Most pixels (width × height) a raster image may claim in its header.
    pub max_image_pixels: u64,
    /// Widest or tallest raster image accepted, in pixels.
    pub max_image_side: u32,
    /// Most bytes the image decoder may allocate for one image.
    pub max_image_alloc: u64,
    /// Longest a document may take to render, checked between pages (see
    /// [`pdf`] for what this does not cover). `None` for no limit.
    pub max_render_time: Option<Duration>,
    /// Most bytes one PDF stream (content, form, image, font…) may decode to; checked
    /// before hayro decodes it (see [`pdf`] for how).
    pub max_stream_bytes: u64,
    /// Most operators one PDF page may execute, counting the content of a form
    /// XObject each time it is drawn.
    pub max_page_operations: u64,
    /// Longest LibreOffice may take to convert one Office document to PDF; after
    /// that its whole process group is killed.
    pub max_office_time: Duration,
    /// Largest plain-text document typeset, in bytes (after the input limit; shaping
    /// costs far more per byte than decoding an image).
    pub max_text_bytes: u64,
}

impl Limits {
    /// Defaults: 256 MiB of input, 500 pages, 16 million pixels per target page, 64
    /// million pixels per image (a 50-megapixel phone photo fits) and at most 32768
    /// on a side, 512 MiB for the image decoder, 256 MiB per decoded PDF stream and
    /// 4 million operators per PDF page, two minutes per document, one minute
    /// for LibreOffice, 1 MiB of plain text.
    pub const DEFAULT: Self = Self {
        max_input_bytes: 256 * 1024 * 1024,
        max_pages: 500,
        max_page_pixels: 16_000_000,
        max_image_pixels: 64_000_000,
        max_image_side: 32_768,
        max_image_alloc: 512 * 1024 * 1024,
        max_render_time: Some(Duration::from_secs(120)),
        max_stream_bytes: 256 * 1024 * 1024,
        max_page_operations: 4_000_000,
        max_office_time: Duration::from_secs(60),
        max_text_bytes: 1024 * 1024,
    };

    /// Checks the size of an input.
    pub fn check_input_len(&self, bytes: usize) -> Result<(), Error> {
        let bytes = bytes as u64;
        if bytes > self.max_input_bytes {
            return Err(Error::InputTooLarge { bytes, max: self.max_input_bytes });
        }
        Ok(())
    }

    /// Checks a target page size.
    pub fn check_page(&self, width: u32, height: u32) -> Result<(), Error> {
        if u64::from(width) * u64::from(height) > self.max_page_pixels {
            return Err(Error::PageTooLarge { width, height });
        }
        Ok(())
    }

    /// The matching limits for `fax_image`'s readers (TIFF, PBM).
    pub fn fax_image_limits(&self) -> fax_image::Limits {
        fax_image::Limits {
            max_pages: self.max_pages,
            max_input_bytes: self.max_input_bytes,
            max_width: self.max_image_side.min(fax_image::Limits::DEFAULT.max_width),
            ..fax_image::Limits::DEFAULT
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// How a document is rendered.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Options {
    /// Paper size of the fax pages.
    pub paper: Paper,
    /// Vertical resolution of the fax pages.
    pub resolution: FaxResolution,
    /// Conversion to black and white.
    pub mode: Mode,
    /// Password for encrypted PDFs.
    pub password: Option<String>,
    /// Bounds on work and memory.
    pub limits: Limits,
    /// Where LibreOffice is and where it may write.
    pub office: office::OfficeOptions,
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the password.
        f.debug_struct("Options")
            .field("paper", &self.paper)
            .field("resolution", &self.resolution)
            .field("mode", &self.mode)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("limits", &self.limits)
            .field("office", &self.office)
            .finish()
    }
}

/// Detects the type of `data` and renders it to fax pages.
pub fn render(data: Vec<u8>, options: &Options) -> Result<Vec<fax_image::Page>, Error> {
    options.limits.check_input_len(data.len())?;
    match sniff(&data)? {
        Kind::Pdf => pdf::render(data, options),
        kind if kind.is_raster_image() => image::render(&data, kind, options),
        kind if kind.is_office() => office::render(&data, kind, options),
        Kind::Text => text::render(&data, options),
        kind => Err(Error::NotYetRenderable(kind)),
    }
}
