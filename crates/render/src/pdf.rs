//! PDF pages to fax pages, with `hayro`.
//!
//! # Why hayro
//!
//! [`hayro`] is a PDF rasteriser written in safe Rust (`#![forbid(unsafe_code)]`),
//! MIT/Apache-licensed, with no system libraries to install. It renders text with
//! embedded and standard fonts, vector graphics and embedded images (including
//! CCITT fax images) correctly on the documents we tried, at 10–26 ms for an A4
//! page at fax width. The alternatives are worse fits for a service that renders
//! hostile uploads: MuPDF is AGPL, poppler is GPL C++ with a history of memory-safety
//! bugs, pdfium is not packaged by Debian. Ghostscript (AGPL, C) stays what it is for
//! HylaFAX: the reference our tests compare against. hayro's known gaps are blend
//! modes, knockout groups and a few rarely used features; they affect appearance, not
//! legibility, on the documents people fax.
//!
//! # How a page is rendered
//!
//! Each page is drawn straight onto the fax page — 1728 pixels wide, as tall as the
//! chosen paper at the chosen vertical resolution — through one affine transform:
//! hayro's own page transform (crop box, `/Rotate`, y axis down), then the rotation,
//! scale and centring of [`crate::geometry`]. The horizontal and vertical scales
//! differ (204 and 98, 196 or 391 dpi), so the page is rasterised once, at the final
//! pixel grid, with no resampling afterwards. hayro renders with anti-aliasing onto
//! white; the RGBA result is reduced to 8-bit luminance (ITU-R BT.601 weights) and
//! then to bilevel by [`crate::bilevel`] (see there for the threshold).
//!
//! # Limits and what they do not cover
//!
//! - The number of pages is checked before anything is rendered
//!   ([`crate::Limits::max_pages`]); a document without pages is an error.
//! - The target page size is checked against [`crate::Limits::max_page_pixels`] and
//!   against hayro's 16-bit canvas dimensions. Source page sizes do not matter: every
//!   page is scaled to the target.
//! - hayro has no operation budget, no memory budget and no way to interrupt a page.
//!   Before each page is drawn, `inspect` checks everything the page can reach: the
//!   declared size of every image ([`crate::Limits::max_image_pixels`]), the decoded
//!   size of every stream ([`crate::Limits::max_stream_bytes`], measured with a
//!   bounded streaming decoder when it could be a bomb) and the operators the page
//!   executes with nested forms multiplied out
//!   ([`crate::Limits::max_page_operations`]); see `docs/render.md` for what hayro
//!   does with each hostile case on its own. [`crate::Limits::max_render_time`] is
//!   checked between pages, which bounds long documents. What the inspection does not
//!   multiply out (tiling patterns, Type 3 glyphs) can still make one page slow. The
//!   caller that renders untrusted documents must therefore run this in a worker it
//!   can kill (a subprocess with a wall-clock and memory limit); that belongs to the
//!   job runner, not to this crate.
//! - A panic inside the renderer (it asserts internal invariants) is caught and
//!   reported as [`Error::PdfCorrupt`] for that document instead of unwinding into
//!   the caller.

use std::ops::Range;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Instant;

use fax_image::Page;
use hayro::hayro_interpret::InterpreterSettings;
use hayro::hayro_syntax::{DecryptionError, LoadPdfError, Pdf};
use hayro::kurbo::Affine;
use hayro::vello_cpu::color::palette::css::WHITE;
use hayro::vello_cpu::{Pixmap, RasterizerSettings, RenderContext, Resources, TargetInit};
use hayro::{RenderCache, RenderSettings, hayro_interpret::TransformExt, render_into};
use image::GrayImage;

use crate::geometry::PageGeometry;
use crate::{Error, Limits, Options, bilevel};
use inspect::Inspector;

mod inspect;

/// An opened PDF whose pages can be rendered one at a time.
pub struct PdfDocument {
    pdf: Pdf,
    limits: Limits,
}

impl std::fmt::Debug for PdfDocument {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PdfDocument").field("pages", &self.page_count()).finish_non_exhaustive()
    }
}

impl PdfDocument {
    /// Parses a PDF, decrypting it with `password` when it is encrypted, and checks
    /// its page count against `limits`.
    pub fn open(data: Vec<u8>, password: Option<&str>, limits: &Limits) -> Result<Self, Error> {
        limits.check_input_len(data.len())?;
        let opened = catch_unwind(AssertUnwindSafe(|| Pdf::new_with_password(data, password.unwrap_or(""))))
            .map_err(|_| Error::PdfCorrupt)?;
        let pdf = opened.map_err(|e| match e {
            LoadPdfError::Decryption(DecryptionError::PasswordProtected) if password.is_none() => {
                Error::PdfPasswordRequired
            }
            LoadPdfError::Decryption(DecryptionError::PasswordProtected) => Error::PdfWrongPassword,
            LoadPdfError::Decryption(_) => Error::PdfUnsupportedEncryption,
            LoadPdfError::Invalid => Error::PdfCorrupt,
        })?;
        let pages = pdf.pages().len();
        if pages == 0 {
            return Err(Error::NoPages);
        }
        if pages > limits.max_pages as usize {
            return Err(Error::TooManyPages { pages, max: limits.max_pages });
        }
        Ok(Self { pdf, limits: *limits })
    }

    /// Number of pages.
    pub fn page_count(&self) -> usize {
        self.pdf.pages().len()
    }

    /// Renders every page in order and hands each fax page to `sink` as soon as it
    /// is done, so memory holds one page at a time. Stops at the first error,
    /// including one returned by `sink`.
    pub fn render_each(
        &self,
        options: &Options,
        sink: impl FnMut(Page) -> Result<(), Error>,
    ) -> Result<(), Error> {
        self.render_range(0..self.page_count(), options, sink)
    }

    /// Renders the pages in `pages` (counting from zero; indices past the end are
    /// ignored) like [`PdfDocument::render_each`]. Lets a caller split one document
    /// between threads, each with its own `PdfDocument`.
    pub fn render_range(
        &self,
        pages: Range<usize>,
        options: &Options,
        mut sink: impl FnMut(Page) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let geometry = checked_geometry(options, &self.limits)?;
        let started = Instant::now();
        let cache = RenderCache::new();
        let mut inspector = Inspector::new(&self.limits);
        let end = pages.end.min(self.page_count());
        for index in pages.start..end {
            if let Some(limit) = self.limits.max_render_time
                && started.elapsed() > limit
            {
                return Err(Error::TimeLimit {
                    limit_ms: limit.as_millis(),
                    pages_done: index - pages.start,
                });
            }
            let grey = self.render_grey(index, &geometry, &cache, &mut inspector)?;
            sink(bilevel::pdf_to_bilevel(&grey, options.mode, geometry.resolution)?)?;
        }
        Ok(())
    }

    /// Renders one page (counting from zero) to 8-bit grey on the fax page grid.
    ///
    /// # Panics
    /// If `index` is not below [`PdfDocument::page_count`].
    pub fn render_page_grey(&self, index: usize, options: &Options) -> Result<GrayImage, Error> {
        let geometry = checked_geometry(options, &self.limits)?;
        self.render_grey(index, &geometry, &RenderCache::new(), &mut Inspector::new(&self.limits))
    }

    fn render_grey<'a>(
        &'a self,
        index: usize,
        geometry: &PageGeometry,
        cache: &RenderCache<'a>,
        inspector: &mut Inspector,
    ) -> Result<GrayImage, Error> {
        let page = &self.pdf.pages()[index];
        catch_unwind(AssertUnwindSafe(|| inspector.check_page(page))).map_err(|_| Error::PdfCorrupt)??;
        let (width, height) = page.render_dimensions();
        let placement = geometry.fit(f64::from(width), f64::from(height));
        let transform = Affine::new(placement.affine()) * page.initial_transform(true).to_kurbo();
        // Both fit in u16: checked_geometry made sure.
        let (w, h) = (geometry.width as u16, geometry.height as u16);
        let rendered = catch_unwind(AssertUnwindSafe(|| {
            let mut ctx = RenderContext::new(w, h);
            render_into(
                page,
                cache,
                &InterpreterSettings::default(),
                &RenderSettings::default(),
                &mut ctx,
                transform,
            );
            ctx.flush();
            let mut pixmap = Pixmap::new(w, h);
            ctx.render_with(
                &mut pixmap,
                &mut Resources::default(),
                RasterizerSettings { target_init: TargetInit::Clear(WHITE), ..Default::default() },
            );
            pixmap
        }))
        .map_err(|_| Error::PdfCorrupt)?;
        Ok(luminance(&rendered))
    }
}

/// Opens a PDF and renders all its pages; see [`PdfDocument::render_each`] to handle
/// pages one at a time.
pub fn render(data: Vec<u8>, options: &Options) -> Result<Vec<Page>, Error> {
    let document = PdfDocument::open(data, options.password.as_deref(), &options.limits)?;
    let mut pages = Vec::with_capacity(document.page_count());
    document.render_each(options, |page| {
        pages.push(page);
        Ok(())
    })?;
    Ok(pages)
}

fn checked_geometry(options: &Options, limits: &Limits) -> Result<PageGeometry, Error> {
    let geometry = PageGeometry::new(options.paper, options.resolution);
    limits.check_page(geometry.width, geometry.height)?;
    if geometry.width > u32::from(u16::MAX) || geometry.height > u32::from(u16::MAX) {
        return Err(Error::PageTooLarge { width: geometry.width, height: geometry.height });
    }
    Ok(geometry)
}

/// BT.601 luma of an opaque premultiplied RGBA pixmap (the background is white, so
/// every pixel is opaque and premultiplication changes nothing).
fn luminance(pixmap: &Pixmap) -> GrayImage {
    let (w, h) = (u32::from(pixmap.width()), u32::from(pixmap.height()));
    let grey: Vec<u8> = pixmap
        .data()
        .iter()
        .map(|p| ((77 * u32::from(p.r) + 150 * u32::from(p.g) + 29 * u32::from(p.b) + 128) >> 8) as u8)
        .collect();
    // The buffer has exactly w × h pixels by construction.
    GrayImage::from_raw(w, h, grey).unwrap_or_else(|| GrayImage::new(w, h))
}
