//! Fax pages as a PDF document, each page an image coded with T.6 (MMR) inside the
//! PDF's `CCITTFaxDecode` filter.
//!
//! A received fax is already bilevel, so the PDF carries it losslessly in the coding
//! fax itself uses: a dense A4 page at fine resolution costs about 40 kB, where the
//! same page as Flate-compressed pixels would cost several times more. Every PDF
//! reader decodes `CCITTFaxDecode` (it has been in the format since PDF 1.0).
//!
//! Each PDF page has exactly the physical size of the fax page: its width and height
//! in pixels divided by the page's horizontal and vertical densities, so a 1728-dot
//! row at 204 dpi is 215 mm wide and a standard-resolution page is stretched
//! vertically to the right height.

use pdf_writer::{Content, Date, Filter, Finish, Name, Pdf, Rect, Ref, TextStr};

use crate::{EncodeOptions, Error, Page};

/// The largest page side PDF readers accept, in points (PDF 1.7, Annex C: 14,400
/// units, 200 inches). A longer fax page is refused rather than written into a file
/// that readers would show clipped or not at all.
pub const MAX_PAGE_SIDE_POINTS: f32 = 14_400.0;

/// Document information written into the PDF's `Info` dictionary.
///
/// Nothing in it is filled from the fax by default: a title that names the sender
/// would be personal data inside every copy of the file, so callers choose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PdfMeta {
    /// The document title, shown by viewers in their title bar.
    pub title: Option<String>,
    /// The program that wrote the file.
    pub producer: Option<String>,
    /// When the document was made, in seconds since the Unix epoch (UTC). The writer
    /// never reads the clock itself, so the same pages and metadata always give the
    /// same bytes.
    pub creation_date: Option<u64>,
}

impl Default for PdfMeta {
    fn default() -> Self {
        Self { title: None, producer: Some("Ferrofax".to_owned()), creation_date: None }
    }
}

/// Writes `pages` as a PDF document, one PDF page per fax page.
///
/// Each page is coded with MMR (T.6, with EOFB) by this crate's encoder and embedded
/// as a one-bit `DeviceGray` image with `/CCITTFaxDecode` (`K -1`, `Columns`, `Rows`,
/// `BlackIs1 false`, so decoded black pixels are 0, which `DeviceGray` shows as
/// black), drawn to fill the page. The output is deterministic.
///
/// # Errors
/// [`Error::NoPages`] for an empty slice; [`Error::PdfPage`] for a page with a
/// density of zero or a side longer than [`MAX_PAGE_SIDE_POINTS`].
pub fn write(pages: &[Page], meta: &PdfMeta) -> Result<Vec<u8>, Error> {
    if pages.is_empty() {
        return Err(Error::NoPages);
    }
    // Check every page before writing anything, so an error costs no encoding work.
    let sizes = pages
        .iter()
        .enumerate()
        .map(|(index, page)| page_size_points(index, page))
        .collect::<Result<Vec<_>, _>>()?;

    let mut pdf = Pdf::new();
    let mut next_id = Ref::new(1);
    let mut alloc = || next_id.bump();
    let catalog_id = alloc();
    let tree_id = alloc();
    let info_id = alloc();
    // Three objects per page: the page, its content stream and its image.
    let page_ids: Vec<(Ref, Ref, Ref)> = pages.iter().map(|_| (alloc(), alloc(), alloc())).collect();

    pdf.catalog(catalog_id).pages(tree_id);
    let page_count = i32::try_from(pages.len())
        .map_err(|_| Error::PdfPage { page: u32::MAX, reason: "too many pages" })?;
    pdf.pages(tree_id).kids(page_ids.iter().map(|&(page_id, _, _)| page_id)).count(page_count);

    let image_name = Name(b"Fax");
    for (index, (page, &(width_pt, height_pt))) in pages.iter().zip(&sizes).enumerate() {
        let (page_id, content_id, image_id) = page_ids[index];
        let mut pdf_page = pdf.page(page_id);
        pdf_page.parent(tree_id).media_box(Rect::new(0.0, 0.0, width_pt, height_pt)).contents(content_id);
        pdf_page.resources().x_objects().pair(image_name, image_id);
        pdf_page.finish();

        let mut content = Content::new();
        content.save_state();
        content.transform([width_pt, 0.0, 0.0, height_pt, 0.0, 0.0]);
        content.x_object(image_name);
        content.restore_state();
        pdf.stream(content_id, &content.finish());

        let coded = crate::encode(page, &EncodeOptions { eofb: true, ..EncodeOptions::tiff_g4() })?;
        // Page dimensions are bounded by `Limits` far below `i32::MAX`; the checked
        // conversion only guards against a caller who raised those limits absurdly.
        let columns = i32::try_from(page.width())
            .map_err(|_| Error::PdfPage { page: index as u32, reason: "too wide" })?;
        let rows = i32::try_from(page.height())
            .map_err(|_| Error::PdfPage { page: index as u32, reason: "too tall" })?;
        let mut image = pdf.image_xobject(image_id, &coded);
        image.filter(Filter::CcittFaxDecode);
        image.width(columns);
        image.height(rows);
        image.color_space().device_gray();
        image.bits_per_component(1);
        let mut parms = image.decode_parms();
        parms.k(-1);
        parms.columns(columns);
        parms.rows(rows);
        parms.end_of_block(true);
        parms.encoded_byte_align(false);
        parms.black_is_1(false);
        parms.finish();
        image.finish();
    }

    let mut info = pdf.document_info(info_id);
    if let Some(title) = &meta.title {
        info.title(TextStr(title));
    }
    if let Some(producer) = &meta.producer {
        info.producer(TextStr(producer));
    }
    if let Some(seconds) = meta.creation_date {
        info.creation_date(pdf_date(seconds));
    }
    info.finish();
    Ok(pdf.finish())
}

/// The physical size of a page in PDF points (1/72 inch).
fn page_size_points(index: usize, page: &Page) -> Result<(f32, f32), Error> {
    let page_number = index as u32;
    let resolution = page.resolution();
    if resolution.x_dpi == 0 || resolution.y_dpi == 0 {
        return Err(Error::PdfPage { page: page_number, reason: "density of zero" });
    }
    let width = points(page.width(), resolution.x_dpi);
    let height = points(page.height(), resolution.y_dpi);
    if width > MAX_PAGE_SIDE_POINTS || height > MAX_PAGE_SIDE_POINTS {
        return Err(Error::PdfPage { page: page_number, reason: "longer than 200 inches" });
    }
    Ok((width, height))
}

/// `pixels` at `dpi` in points, rounded down to a thousandth of a point.
///
/// Renderers size their bitmap as the page size times the density, and poppler
/// rounds that up: a size written a hair too large (the nearest `f32` to 1188 rows
/// at 98 lpi is) would give every page an extra blank row. Rounding the decimal
/// that goes into the file down keeps the product at most a few thousandths of a
/// pixel short of the true height, which every renderer rounds to the right count.
fn points(pixels: u32, dpi: u16) -> f32 {
    let exact = f64::from(pixels) * 72.0 / f64::from(dpi);
    ((exact * 1000.0).floor() / 1000.0) as f32
}

/// A PDF date in UTC from seconds since the Unix epoch.
fn pdf_date(seconds: u64) -> Date {
    let days = seconds / 86_400;
    let in_day = seconds % 86_400;
    let (year, month, day) = civil_from_days(days);
    Date::new(u16::try_from(year).unwrap_or(9999))
        .month(month)
        .day(day)
        .hour((in_day / 3600) as u8)
        .minute((in_day / 60 % 60) as u8)
        .second((in_day % 60) as u8)
        .utc_offset_hour(0)
}

/// The proleptic Gregorian date `days` after 1970-01-01, as (year, month 1–12, day
/// 1–31).
///
/// Counts in 400-year eras starting on 1 March, so that the leap day falls at the end
/// of each counted year and every other month has a fixed length.
fn civil_from_days(days: u64) -> (u64, u8, u8) {
    // 719,468 days from 0000-03-01 to 1970-01-01.
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153; // 0 = March … 11 = February
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 { month_index + 3 } else { month_index - 9 };
    let year = era * 400 + year_of_era + u64::from(month <= 2);
    (year, month as u8, day as u8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Limits, Resolution};

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        // 2000-02-29, a leap day in a century leap year.
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(11_017), (2000, 3, 1));
        // 2026-11-23.
        assert_eq!(civil_from_days(20_780), (2026, 11, 23));
    }

    #[test]
    fn date_string() {
        let pdf = write(
            &[Page::new(8, 8, Resolution::FINE, &Limits::default()).unwrap()],
            &PdfMeta { creation_date: Some(1_795_440_130), ..PdfMeta::default() },
        )
        .unwrap();
        let text = String::from_utf8_lossy(&pdf);
        // 1,795,440,130 s is 2026-11-23 13:22:10 UTC.
        assert!(text.contains("(D:20261123132210Z"), "{text}");
    }

    #[test]
    fn refuses_what_readers_cannot_show() {
        let limits = Limits::default();
        assert!(matches!(write(&[], &PdfMeta::default()), Err(Error::NoPages)));
        let flat = Page::new(8, 8, Resolution { x_dpi: 0, y_dpi: 196 }, &limits).unwrap();
        assert!(matches!(write(&[flat], &PdfMeta::default()), Err(Error::PdfPage { page: 0, .. })));
        // 40,000 rows at 196 lines per inch is 204 inches.
        let long = Page::new(1728, 40_000, Resolution::FINE, &limits).unwrap();
        let ok = Page::new(1728, 10, Resolution::FINE, &limits).unwrap();
        assert!(matches!(write(&[ok, long], &PdfMeta::default()), Err(Error::PdfPage { page: 1, .. })));
    }

    #[test]
    fn page_size_follows_density() {
        let limits = Limits::default();
        let fine = Page::new(1728, 2292, Resolution::FINE, &limits).unwrap();
        let (w, h) = page_size_points(0, &fine).unwrap();
        // 1728 / 204 inches is 215.15 mm; 2292 / 196 inches is 297.0 mm.
        assert!((w * 25.4 / 72.0 - 215.15).abs() < 0.01, "{w}");
        assert!((h * 25.4 / 72.0 - 297.02).abs() < 0.01, "{h}");
        let standard = Page::new(1728, 1146, Resolution::STANDARD, &limits).unwrap();
        assert_eq!(page_size_points(0, &standard).unwrap(), (w, h));
    }
}
