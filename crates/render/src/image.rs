//! Raster images (PNG, JPEG, GIF, BMP, WebP, TIFF, PBM) to fax pages.
//!
//! Colour images are decoded with the `image` crate, built with its default
//! features off and only the formats we accept, so neither code nor dependencies for
//! other formats (AVIF, EXR, HDR, …) reach a service that decodes untrusted uploads.
//! Bilevel TIFF and PBM files go through `fax_image` instead, which reads the CCITT
//! codings the `tiff` crate lacks.
//!
//! # Decompression bombs
//!
//! A 100-byte PNG can claim to be 100000 × 100000 pixels. Before any pixel is
//! decoded, the image's header is read on its own and its width × height compared
//! with [`crate::Limits::max_image_pixels`]; the decoder then runs under `image`'s
//! own [`Limits`](::image::Limits) (strict maximum width and height, and
//! [`crate::Limits::max_image_alloc`] bytes of allocation), which catches what the
//! header check cannot see (a GIF whose frames are larger than its screen, say).
//!
//! # Fitting
//!
//! Image pixels are taken as square (the resolution a file records is often absent
//! or wrong, and what users send is a photo or a scan meant to fill a page). A
//! landscape image is turned to portrait, the image is resampled with a triangle
//! (bilinear) filter to the size [`crate::geometry`] computes — different scales
//! horizontally and vertically, because fax pixels are not square — and centred on a
//! white page. Transparent pixels are composited onto white first, so a logo with an
//! alpha channel does not turn into a black rectangle. GIF contributes its first
//! frame; a colour multi-page TIFF contributes its first page.
//!
//! # Fax pages pass through
//!
//! A bilevel TIFF page that already is a fax page — 1728 pixels wide at 204 dpi
//! horizontally and 98, 196 or 391 lines per inch — is passed through unchanged,
//! with its own resolution, so re-sending a received fax does not resample it. A PBM
//! file records no resolution; one exactly 1728 pixels wide is taken to be a fax page
//! at the requested resolution and passes through too. Other bilevel pages are
//! converted to grey and fitted like any image.

use std::io::Cursor;

use ::image::imageops::{self, FilterType};
use ::image::{DynamicImage, GrayImage, ImageError, ImageFormat, ImageReader, Luma, error::LimitErrorKind};
use fax_image::Page;

use crate::geometry::{FAX_WIDTH, PageGeometry};
use crate::sniff::Kind;
use crate::{Error, Options, bilevel};

/// Renders a raster image of kind `kind` (one for which [`Kind::is_raster_image`]
/// holds) to fax pages.
pub fn render(data: &[u8], kind: Kind, options: &Options) -> Result<Vec<Page>, Error> {
    let limits = &options.limits;
    limits.check_input_len(data.len())?;
    let geometry = PageGeometry::new(options.paper, options.resolution);
    limits.check_page(geometry.width, geometry.height)?;
    let format = match kind {
        Kind::Png => ImageFormat::Png,
        Kind::Jpeg => ImageFormat::Jpeg,
        Kind::Gif => ImageFormat::Gif,
        Kind::Bmp => ImageFormat::Bmp,
        Kind::WebP => ImageFormat::WebP,
        Kind::Tiff => {
            if let Some(pages) = bilevel_tiff(data, &geometry, options)? {
                return Ok(pages);
            }
            ImageFormat::Tiff
        }
        Kind::Pbm => return pbm(data, &geometry, options),
        other => return Err(Error::NotYetRenderable(other)),
    };
    let grey = decode(data, format, options)?;
    Ok(vec![fit_and_convert(&grey, &geometry, options)?])
}

/// Whether a bilevel page already has the shape of a fax page.
fn is_fax_page(page: &Page) -> bool {
    let r = page.resolution();
    page.width() == FAX_WIDTH && r.x_dpi == 204 && matches!(r.y_dpi, 98 | 196 | 391)
}

/// TIFF through `fax_image`: `Ok(None)` when the file is not a bilevel TIFF it can
/// read (a colour or greyscale TIFF), which then goes to the `image` crate.
fn bilevel_tiff(data: &[u8], geometry: &PageGeometry, options: &Options) -> Result<Option<Vec<Page>>, Error> {
    let fax_limits = options.limits.fax_image_limits();
    let Ok(reader) = fax_image::tiff::Reader::new(data, &fax_limits) else {
        return Ok(None);
    };
    let count = reader.page_count();
    if count == 0 {
        return Err(Error::NoPages);
    }
    if count > options.limits.max_pages as usize {
        return Err(Error::TooManyPages { pages: count, max: options.limits.max_pages });
    }
    let mut pages = Vec::with_capacity(count);
    for index in 0..count {
        let page = reader.decode_page(index)?.page;
        if is_fax_page(&page) {
            pages.push(page);
        } else {
            pages.push(fit_and_convert(&bilevel_to_grey(&page), geometry, options)?);
        }
    }
    Ok(Some(pages))
}

fn pbm(data: &[u8], geometry: &PageGeometry, options: &Options) -> Result<Vec<Page>, Error> {
    let fax_limits = options.limits.fax_image_limits();
    let pages = fax_image::pbm::read(data, geometry.resolution, &fax_limits)?;
    if pages.is_empty() {
        return Err(Error::NoPages);
    }
    pages
        .into_iter()
        .map(|page| {
            if page.width() == FAX_WIDTH {
                Ok(page)
            } else {
                fit_and_convert(&bilevel_to_grey(&page), geometry, options)
            }
        })
        .collect()
}

fn bilevel_to_grey(page: &Page) -> GrayImage {
    GrayImage::from_fn(page.width(), page.height(), |x, y| Luma([if page.pixel(x, y) { 0 } else { 255 }]))
}

/// Decodes an image to grey under the limits (see the module documentation).
fn decode(data: &[u8], format: ImageFormat, options: &Options) -> Result<GrayImage, Error> {
    let limits = &options.limits;
    let mut image_limits = ::image::Limits::default();
    image_limits.max_image_width = Some(limits.max_image_side);
    image_limits.max_image_height = Some(limits.max_image_side);
    image_limits.max_alloc = Some(limits.max_image_alloc);

    // The header alone, read without limits so that an oversized image is reported
    // with the size it claims; nothing but the header is parsed here.
    let mut header = ImageReader::with_format(Cursor::new(data), format);
    header.no_limits();
    let (width, height) =
        header.into_dimensions().map_err(|e| image_error(e, 0, 0, limits.max_image_pixels))?;
    let pixels = u64::from(width) * u64::from(height);
    if pixels > limits.max_image_pixels || width > limits.max_image_side || height > limits.max_image_side {
        return Err(Error::ImageTooLarge { width, height, max_pixels: limits.max_image_pixels });
    }
    let mut reader = ImageReader::with_format(Cursor::new(data), format);
    reader.limits(image_limits);
    let decoded = reader.decode().map_err(|e| image_error(e, width, height, limits.max_image_pixels))?;
    Ok(flatten_on_white(decoded))
}

fn image_error(e: ImageError, width: u32, height: u32, max_pixels: u64) -> Error {
    match e {
        ImageError::Limits(limit) => match limit.kind() {
            LimitErrorKind::DimensionError => Error::ImageTooLarge { width, height, max_pixels },
            _ => Error::ImageMemoryLimit,
        },
        other => Error::ImageDecode(other.to_string()),
    }
}

/// Grey with any transparency composited onto white.
fn flatten_on_white(image: DynamicImage) -> GrayImage {
    if !image.color().has_alpha() {
        return image.into_luma8();
    }
    let with_alpha = image.into_luma_alpha8();
    GrayImage::from_fn(with_alpha.width(), with_alpha.height(), |x, y| {
        let [l, a] = with_alpha.get_pixel(x, y).0;
        let (l, a) = (u32::from(l), u32::from(a));
        Luma([((l * a + 255 * (255 - a) + 127) / 255) as u8])
    })
}

/// Rotates, scales and centres a grey image on a white fax page, then makes it
/// bilevel in the requested mode.
fn fit_and_convert(grey: &GrayImage, geometry: &PageGeometry, options: &Options) -> Result<Page, Error> {
    let placement = geometry.fit(f64::from(grey.width()), f64::from(grey.height()));
    let rotated;
    let upright = if placement.rotate {
        rotated = imageops::rotate270(grey);
        &rotated
    } else {
        grey
    };
    let (w, h) = placement.drawn_size();
    let (w, h) = (w.min(geometry.width), h.min(geometry.height));
    let scaled = imageops::resize(upright, w, h, FilterType::Triangle);
    let mut canvas = GrayImage::from_pixel(geometry.width, geometry.height, Luma([255]));
    let x = (geometry.width - w) / 2;
    let y = (geometry.height - h) / 2;
    imageops::replace(&mut canvas, &scaled, i64::from(x), i64::from(y));
    Ok(bilevel::image_to_bilevel(&canvas, options.mode, geometry.resolution)?)
}
