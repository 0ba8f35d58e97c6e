//! PNG import and export, for people and tests.
//!
//! Import accepts any PNG (every colour type and bit depth, interlaced or not),
//! flattens it to grey (luminance, composited over white where there is alpha) and
//! thresholds at 50%. It is deliberately simple: scanned documents will get a proper
//! pipeline elsewhere. Export writes a 1-bit greyscale PNG (0 = black, as PNG greyscale
//! means) with a `pHYs` chunk giving the page's resolution.

use std::io::Cursor;

use crate::tiff::resolution::{dpi_from_per_metre, per_metre_from_dpi};
use crate::{Error, Limits, Page, Resolution, stride_for};

/// Reads a PNG image as a bilevel page.
///
/// The resolution comes from the `pHYs` chunk when it is in metres; otherwise (no
/// chunk, or only an aspect ratio) `default_resolution` is used. The file's size and
/// then the dimensions in its header are checked against `limits` before any pixel
/// buffer is allocated, and the `png` crate's own allocation limit is set to
/// [`Limits::max_input_bytes`]. Rows are converted one at a time, so the only
/// image-sized buffer is the packed page itself.
///
/// # Errors
/// [`Error::PngDecode`] for malformed files; [`Error::InputTooLarge`] and the
/// dimension errors for input beyond `limits`.
pub fn read(data: &[u8], default_resolution: Resolution, limits: &Limits) -> Result<Page, Error> {
    limits.check_input_len(data.len())?;
    let png_limits = ::png::Limits { bytes: usize::try_from(limits.max_input_bytes).unwrap_or(usize::MAX) };
    let mut decoder = ::png::Decoder::new_with_limits(Cursor::new(data), png_limits);
    // Text and ICC profiles mean nothing here and would only cost memory.
    decoder.set_ignore_text_chunk(true);
    decoder.set_ignore_iccp_chunk(true);
    // Palettes, low bit depths and transparency become 8-bit grey, grey+alpha, RGB or
    // RGBA; 16-bit samples lose their low byte, which a 50% threshold never needs.
    decoder.set_transformations(::png::Transformations::normalize_to_color8());
    let header = decoder.read_header_info()?;
    let (width, height) = (header.width, header.height);
    limits.check_dimensions(width, height)?;
    let mut reader = decoder.read_info()?;
    if reader.info().color_type == ::png::ColorType::Indexed {
        // The png crate expands palettes without checking their length and panics on
        // a short or ragged one, so check it here: 1 to 256 entries of three bytes.
        let entries = reader.info().palette.as_deref().map_or(0, |p| p.len());
        if entries == 0 || entries % 3 != 0 || entries > 3 * 256 {
            return Err(Error::PngInvalid("palette length"));
        }
    }

    let resolution = match reader.info().pixel_dims {
        Some(::png::PixelDimensions { xppu, yppu, unit: ::png::Unit::Meter }) => Resolution {
            x_dpi: dpi_from_per_metre(xppu).unwrap_or(default_resolution.x_dpi),
            y_dpi: dpi_from_per_metre(yppu).unwrap_or(default_resolution.y_dpi),
        },
        _ => default_resolution,
    };
    let channels = match reader.output_color_type().0 {
        ::png::ColorType::Grayscale | ::png::ColorType::Indexed => 1,
        ::png::ColorType::GrayscaleAlpha => 2,
        ::png::ColorType::Rgb => 3,
        ::png::ColorType::Rgba => 4,
    };

    let stride = stride_for(width);
    let mut pixels = vec![0u8; stride * height as usize];
    let mut packed = vec![0u8; stride];
    let mut next_plain_row = 0usize;
    while let Some(row) = reader.next_interlaced_row()? {
        packed.fill(0);
        for (x, sample) in row.data().chunks_exact(channels).enumerate() {
            if is_black(sample) {
                packed[x / 8] |= 0x80 >> (x % 8);
            }
        }
        match row.interlace() {
            ::png::InterlaceInfo::Null(_) => {
                if let Some(dst) = pixels.chunks_exact_mut(stride).nth(next_plain_row) {
                    dst.copy_from_slice(&packed);
                }
                next_plain_row += 1;
            }
            ::png::InterlaceInfo::Adam7(pass) => {
                // Spreads this pass's pixels to their places in the full image; it
                // only sets bits, which is right on a page that starts white.
                ::png::expand_interlaced_row(&mut pixels, stride, &packed, pass, 1);
            }
        }
    }
    Page::from_packed(width, height, resolution, pixels, limits)
}

/// Whether an 8-bit grey, grey+alpha, RGB or RGBA sample is darker than 50% once
/// composited over white.
fn is_black(sample: &[u8]) -> bool {
    let (grey, alpha) = match *sample {
        [g] => (u32::from(g), 255),
        [g, a] => (u32::from(g), u32::from(a)),
        [r, g, b] => (luminance(r, g, b), 255),
        [r, g, b, a] => (luminance(r, g, b), u32::from(a)),
        _ => return false,
    };
    let over_white = (grey * alpha + 255 * (255 - alpha)) / 255;
    over_white < 128
}

/// ITU-R BT.601 luma of an 8-bit RGB sample, in 0..=255.
fn luminance(r: u8, g: u8, b: u8) -> u32 {
    (299 * u32::from(r) + 587 * u32::from(g) + 114 * u32::from(b) + 500) / 1000
}

/// Writes a page as a 1-bit greyscale PNG with its resolution in `pHYs`.
pub fn write(page: &Page) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    let mut encoder = ::png::Encoder::new(&mut out, page.width(), page.height());
    encoder.set_color(::png::ColorType::Grayscale);
    encoder.set_depth(::png::BitDepth::One);
    let resolution = page.resolution();
    encoder.set_pixel_dims(Some(::png::PixelDimensions {
        xppu: per_metre_from_dpi(resolution.x_dpi),
        yppu: per_metre_from_dpi(resolution.y_dpi),
        unit: ::png::Unit::Meter,
    }));
    let mut writer = encoder.write_header()?;
    // PNG greyscale has 0 = black, the page has 1 = black. Padding bits end up set,
    // which PNG ignores.
    let inverted: Vec<u8> = page.data().iter().map(|b| !b).collect();
    writer.write_image_data(&inverted)?;
    writer.finish()?;
    Ok(out)
}
