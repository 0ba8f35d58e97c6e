//! From 8-bit grey to black and white: thresholding, error diffusion, and the choice
//! between them.
//!
//! A fax is bilevel, and the conversion decides whether it can be read:
//!
//! - [`Mode::Text`] (the default) thresholds every pixel. Text and line art stay sharp
//!   and light tints (the grey fields of forms, table shading, watermarks) drop to
//!   white instead of turning into the dot noise ("mud") that halftoning makes of
//!   them at 8 dots/mm. For rendered PDF pages the threshold is the fixed
//!   [`PDF_TEXT_THRESHOLD`]; for raster images it is Otsu's threshold (the grey
//!   level that best separates two classes, ink and paper), clamped to
//!   [`OTSU_MIN`]..=[`OTSU_MAX`] so that an almost uniform page cannot pick an absurd
//!   level.
//! - [`Mode::Photo`] uses Floyd–Steinberg error diffusion with serpentine scanning,
//!   which keeps the tones of photographs as dot density.
//! - [`Mode::Auto`] decides per page with [`classify`]: a page on which more than
//!   [`PHOTO_MIN_FRACTION`] of the pixels are mid-grey (between [`MID_GREY_LOW`] and
//!   [`MID_GREY_HIGH`]) is a photo, everything else is text. Anti-aliased text edges
//!   and light form tints contribute only a few per cent of mid-grey pixels, a
//!   photograph covering a fifth of the page contributes far more.
//!
//! # Choosing the PDF threshold
//!
//! PDF pages are rendered with anti-aliasing, so the grey level of a pixel is the
//! fraction of it that ink covers. A threshold of 128 (half covered) makes thin
//! strokes — hairlines, the stems of 8-point serif text at 7.7 lines/mm — break up,
//! because many of their pixels are less than half covered. Ghostscript's fax
//! devices render without anti-aliasing and set every pixel a shape touches at its
//! centre, which looks slightly bolder. The `legibility` integration test sweeps
//! the threshold from 96 to 240 against ghostscript's `tiffg4` output of the same
//! pages and prints the result: the tolerant F1 score of black pixels stays above
//! 0.997 over the whole range, and exact pixel agreement is flat within 0.1 % from
//! 144 to 208, with the best sum over the text and the vector page at 160 (text
//! 0.99671, vector art 0.99765; half coverage, 128, gives 0.99667 and 0.99742).
//! 160 is used: a pixel turns
//! black when ink covers more than about 37 % of it, so thin strokes stay continuous
//! and counters (the holes in e, a, o) stay open.

use fax_image::{Limits, Page, Resolution};
use image::GrayImage;

/// How grey pages become bilevel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Mode {
    /// Threshold: sharp text and line art, light tints vanish. The default.
    #[default]
    Text,
    /// Floyd–Steinberg error diffusion, for photographs.
    Photo,
    /// [`Mode::Text`] or [`Mode::Photo`] per page, by [`classify`].
    Auto,
}

/// Grey level below which a rendered PDF pixel is black in [`Mode::Text`].
pub const PDF_TEXT_THRESHOLD: u8 = 160;
/// Lowest threshold Otsu's method may choose for an image.
pub const OTSU_MIN: u8 = 64;
/// Highest threshold Otsu's method may choose for an image.
pub const OTSU_MAX: u8 = 208;
/// Lower bound (inclusive) of the grey levels [`classify`] counts as mid-grey.
pub const MID_GREY_LOW: u8 = 48;
/// Upper bound (exclusive) of the grey levels [`classify`] counts as mid-grey.
pub const MID_GREY_HIGH: u8 = 208;
/// Fraction of mid-grey pixels above which [`classify`] calls a page a photo.
pub const PHOTO_MIN_FRACTION: f64 = 0.15;

/// Decides whether a grey page is a photo ([`Mode::Photo`]) or text and line art
/// ([`Mode::Text`]); see the module documentation for the rule.
pub fn classify(grey: &GrayImage) -> Mode {
    let total = u64::from(grey.width()) * u64::from(grey.height());
    if total == 0 {
        return Mode::Text;
    }
    let mid = grey.as_raw().iter().filter(|&&v| (MID_GREY_LOW..MID_GREY_HIGH).contains(&v)).count() as u64;
    if mid as f64 > PHOTO_MIN_FRACTION * total as f64 { Mode::Photo } else { Mode::Text }
}

/// Otsu's threshold of a grey page: the level `t` that maximises the between-class
/// variance of the pixels below `t` and those at or above it. Returns 128 for a
/// page of one grey level.
pub fn otsu_threshold(grey: &GrayImage) -> u8 {
    let mut histogram = [0u64; 256];
    for &v in grey.as_raw() {
        histogram[usize::from(v)] += 1;
    }
    let total: u64 = histogram.iter().sum();
    let sum_all: f64 = histogram.iter().enumerate().map(|(v, &n)| v as f64 * n as f64).sum();
    let (mut weight_below, mut sum_below) = (0u64, 0.0f64);
    let (mut best, mut best_variance) = (128u8, 0.0f64);
    for t in 1..256usize {
        weight_below += histogram[t - 1];
        sum_below += (t - 1) as f64 * histogram[t - 1] as f64;
        let weight_above = total - weight_below;
        if weight_below == 0 || weight_above == 0 {
            continue;
        }
        let mean_below = sum_below / weight_below as f64;
        let mean_above = (sum_all - sum_below) / weight_above as f64;
        let variance = weight_below as f64 * weight_above as f64 * (mean_below - mean_above).powi(2);
        if variance > best_variance {
            best_variance = variance;
            best = t as u8;
        }
    }
    best
}

/// A pixel is black when its grey level is below `threshold`.
pub fn threshold(grey: &GrayImage, threshold: u8, resolution: Resolution) -> Result<Page, fax_image::Error> {
    let (width, height) = grey.dimensions();
    let mut page = Page::new(width, height, resolution, &limits_for(width, height))?;
    for (y, row) in grey.as_raw().chunks_exact(width as usize).enumerate() {
        // Eight pixels make one output byte at a time: a branch-free loop the
        // compiler vectorises, several times faster than setting bit by bit.
        for (byte, pixels) in page.row_mut(y as u32).iter_mut().zip(row.chunks(8)) {
            let mut packed = 0u8;
            for (i, &v) in pixels.iter().enumerate() {
                packed |= u8::from(v < threshold) << (7 - i);
            }
            *byte = packed;
        }
    }
    Ok(page)
}

/// Floyd–Steinberg error diffusion with serpentine scanning (left to right on even
/// rows, right to left on odd rows, which avoids the diagonal "worm" artefacts of
/// one-directional scanning). The error of each pixel goes 7/16 ahead, 3/16 behind
/// below, 5/16 below and 1/16 ahead below.
pub fn floyd_steinberg(grey: &GrayImage, resolution: Resolution) -> Result<Page, fax_image::Error> {
    let (width, height) = grey.dimensions();
    let mut page = Page::new(width, height, resolution, &limits_for(width, height))?;
    let w = width as usize;
    // Error rows with one guard cell either side, in 1/16 units of grey.
    let mut current = vec![0i32; w + 2];
    let mut next = vec![0i32; w + 2];
    for (y, row) in grey.as_raw().chunks_exact(w).enumerate() {
        let forward = y % 2 == 0;
        let out = page.row_mut(y as u32);
        for i in 0..w {
            let x = if forward { i } else { w - 1 - i };
            let cell = x + 1;
            let value = i32::from(row[x]) * 16 + current[cell];
            let black = value < 128 * 16;
            if black {
                out[x / 8] |= 0x80 >> (x % 8);
            }
            let error = if black { value } else { value - 255 * 16 };
            let (ahead, behind) = if forward { (cell + 1, cell - 1) } else { (cell - 1, cell + 1) };
            current[ahead] += error * 7 / 16;
            next[behind] += error * 3 / 16;
            next[cell] += error * 5 / 16;
            next[ahead] += error / 16;
        }
        std::mem::swap(&mut current, &mut next);
        next.iter_mut().for_each(|e| *e = 0);
    }
    Ok(page)
}

/// Converts a grey image rendered from a raster image (not a PDF) in `mode`.
pub fn image_to_bilevel(
    grey: &GrayImage,
    mode: Mode,
    resolution: Resolution,
) -> Result<Page, fax_image::Error> {
    match resolve(mode, grey) {
        Mode::Photo => floyd_steinberg(grey, resolution),
        _ => threshold(grey, otsu_threshold(grey).clamp(OTSU_MIN, OTSU_MAX), resolution),
    }
}

/// Converts a grey page rendered from a PDF in `mode`.
pub fn pdf_to_bilevel(
    grey: &GrayImage,
    mode: Mode,
    resolution: Resolution,
) -> Result<Page, fax_image::Error> {
    match resolve(mode, grey) {
        Mode::Photo => floyd_steinberg(grey, resolution),
        _ => threshold(grey, PDF_TEXT_THRESHOLD, resolution),
    }
}

fn resolve(mode: Mode, grey: &GrayImage) -> Mode {
    match mode {
        Mode::Auto => classify(grey),
        other => other,
    }
}

/// The page sizes here were already checked by the caller; these limits only guard
/// the construction of a page of exactly that size.
fn limits_for(width: u32, height: u32) -> Limits {
    Limits { max_width: width.max(1), max_height: height.max(1), ..Limits::DEFAULT }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Luma;

    fn gradient(width: u32, height: u32) -> GrayImage {
        GrayImage::from_fn(width, height, |x, _| Luma([(x * 255 / (width - 1)) as u8]))
    }

    #[test]
    fn threshold_sets_dark_pixels() {
        let img = GrayImage::from_raw(10, 1, vec![0, 50, 100, 150, 175, 176, 200, 255, 10, 0]).unwrap();
        let page = threshold(&img, 176, Resolution::FINE).unwrap();
        let black: Vec<bool> = (0..10).map(|x| page.pixel(x, 0)).collect();
        assert_eq!(black, [true, true, true, true, true, false, false, false, true, true]);
    }

    #[test]
    fn otsu_separates_two_levels() {
        let img = GrayImage::from_fn(100, 10, |x, _| Luma([if x < 30 { 40 } else { 220 }]));
        let t = otsu_threshold(&img);
        assert!((41..=220).contains(&t), "{t}");
        assert_eq!(otsu_threshold(&GrayImage::from_pixel(5, 5, Luma([77]))), 128);
    }

    #[test]
    fn error_diffusion_keeps_mean_tone() {
        for level in [32u8, 96, 128, 192, 230] {
            let img = GrayImage::from_pixel(200, 200, Luma([level]));
            let page = floyd_steinberg(&img, Resolution::FINE).unwrap();
            let black = page.black_pixels() as f64 / 40_000.0;
            let expected = 1.0 - f64::from(level) / 255.0;
            assert!((black - expected).abs() < 0.02, "level {level}: {black} vs {expected}");
        }
    }

    #[test]
    fn classify_photo_and_text() {
        assert_eq!(classify(&gradient(256, 64)), Mode::Photo);
        // Black text-like bars on white with a few grey edge pixels.
        let text = GrayImage::from_fn(256, 64, |x, y| {
            Luma([match (x % 16, y % 8) {
                (0..=2, 0..=5) => 0,
                (3, 0..=5) => 128,
                _ => 255,
            }])
        });
        assert_eq!(classify(&text), Mode::Text);
    }
}
