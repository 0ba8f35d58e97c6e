//! Decoding the pages of a parsed file.

use super::parse::{ParsedPage, Reader, Strip};
use super::tags;
use super::{TiffInfo, TiffPage};
use crate::{
    BitOrder, Coding, DecodeOptions, DecodeReport, Error, Limits, Page, StreamEnd, decode, stride_for,
};

/// Reads and decodes every page of a TIFF file.
///
/// The file's size is checked against `limits` first, then its structure is parsed
/// completely ([`Reader::new`]), then the packed size of all pages together is checked
/// against [`Limits::max_decoded_bytes`] ([`Error::DecodedTooLarge`]), and only then are
/// pixels decoded.
pub fn read(data: &[u8], limits: &Limits) -> Result<Vec<TiffPage>, Error> {
    let reader = Reader::new(data, limits)?;
    let bytes = reader.decoded_bytes();
    if bytes > limits.max_decoded_bytes {
        return Err(Error::DecodedTooLarge { bytes, max: limits.max_decoded_bytes });
    }
    (0..reader.page_count()).map(|i| reader.decode_page(i)).collect()
}

/// Parses a TIFF file's structure and tags without decoding any pixels: for showing
/// what a file holds, or checking it before accepting it.
pub fn read_info(data: &[u8], limits: &Limits) -> Result<TiffInfo, Error> {
    Ok(Reader::new(data, limits)?.info())
}

/// Decodes one parsed page from the file's bytes.
pub(super) fn decode_page(data: &[u8], parsed: &ParsedPage, limits: &Limits) -> Result<TiffPage, Error> {
    let info = &parsed.info;
    let stride = stride_for(info.width);
    let mut acc = Accumulator::new(info.height);
    let mut pixels = match (info.coding(), parsed.strips.as_slice()) {
        // The common Class F case, one coded strip, takes the codec's page as it is
        // rather than copying it.
        (Some(coding), [strip]) => {
            let (page, report) = decode_strip(data, strip, coding, parsed, limits)?;
            acc.add(&report, strip.rows, page.height());
            let mut pixels = page.into_data();
            pixels.resize(stride * info.height as usize, 0);
            pixels
        }
        (coding, strips) => {
            let mut pixels = vec![0; stride * info.height as usize];
            let mut rows_done = 0usize;
            for strip in strips {
                let dst = &mut pixels[rows_done * stride..(rows_done + strip.rows as usize) * stride];
                let src = &data[strip.start..strip.start + strip.len];
                match coding {
                    None => {
                        // The parser has checked that the strip holds all its rows.
                        dst.copy_from_slice(&src[..dst.len()]);
                        if info.fill_order == BitOrder::LsbFirst {
                            dst.iter_mut().for_each(|b| *b = b.reverse_bits());
                        }
                    }
                    Some(coding) => {
                        let (page, report) = decode_strip(data, strip, coding, parsed, limits)?;
                        let n = dst.len().min(page.data().len());
                        dst[..n].copy_from_slice(&page.data()[..n]);
                        acc.add(&report, strip.rows, page.height());
                    }
                }
                rows_done += strip.rows as usize;
            }
            pixels
        }
    };
    if info.photometric == tags::PHOTOMETRIC_BLACK_IS_ZERO {
        // Padding bits become ones here; `from_packed` clears them again.
        pixels.iter_mut().for_each(|b| *b = !*b);
    }
    let page = Page::from_packed(info.width, info.height, info.resolution, pixels, limits)?;
    Ok(TiffPage { page, info: info.clone(), report: acc.report })
}

/// Runs the codec on one strip.
fn decode_strip(
    data: &[u8],
    strip: &Strip,
    coding: Coding,
    parsed: &ParsedPage,
    limits: &Limits,
) -> Result<(Page, DecodeReport), Error> {
    let info = &parsed.info;
    let options = DecodeOptions {
        coding,
        bit_order: info.fill_order,
        width: info.width,
        rows: Some(strip.rows),
        max_rows: strip.rows,
    };
    let (page, report) =
        decode(&data[strip.start..strip.start + strip.len], &options, info.resolution, limits)
            .map_err(|e| Error::TiffStrip { page: info.index, source: Box::new(e) })?;
    if page.width() != info.width {
        // The codec was asked for this width; anything else would misplace every row.
        let source = Error::PixelDataLength { expected: stride_for(info.width), actual: page.stride() };
        return Err(Error::TiffStrip { page: info.index, source: Box::new(source) });
    }
    Ok((page, report))
}

/// Sums the codec's reports over a page's strips.
struct Accumulator {
    report: DecodeReport,
}

impl Accumulator {
    fn new(rows: u32) -> Self {
        Self {
            report: DecodeReport { rows, bad_rows: 0, max_consecutive_bad_rows: 0, end: StreamEnd::RowCount },
        }
    }

    /// Adds one strip. Rows the codec did not deliver are white in the page and
    /// counted as bad. The page's `end` is the first strip's that stopped early, so a
    /// truncated strip in the middle of a page is not hidden by a good last strip.
    fn add(&mut self, strip: &DecodeReport, rows: u32, delivered: u32) {
        let missing = rows.saturating_sub(delivered);
        self.report.bad_rows = self.report.bad_rows.saturating_add(strip.bad_rows).saturating_add(missing);
        self.report.max_consecutive_bad_rows =
            self.report.max_consecutive_bad_rows.max(strip.max_consecutive_bad_rows).max(missing);
        if self.report.end == StreamEnd::RowCount {
            self.report.end = strip.end;
        }
    }
}
