//! The document entry point: sniffing, then opening and rendering whatever the bytes
//! turn out to be (PDF, raster image, fax TIFF), under tight limits so that the
//! fuzzer finds crashes and logic errors rather than slow pages. Office conversion is
//! switched off: a fuzzer must never spawn processes.
#![no_main]

use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use render::office::OfficeOptions;
use render::{FaxResolution, Limits, Options};

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_input_bytes: 1 << 20,
        max_pages: 3,
        max_page_pixels: 2_000_000,
        max_image_pixels: 1 << 20,
        max_image_side: 4096,
        max_image_alloc: 16 << 20,
        max_render_time: Some(Duration::from_secs(5)),
        ..Limits::DEFAULT
    };
    // A program path that cannot exist: Office documents fail with
    // `OfficeUnavailable` instead of starting LibreOffice.
    let office = OfficeOptions { program: Some("/nonexistent/soffice".into()), ..OfficeOptions::default() };
    let options = Options { resolution: FaxResolution::Standard, limits, office, ..Options::default() };
    if let Ok(pages) = render::render(data.to_vec(), &options) {
        assert!(!pages.is_empty() && pages.len() <= 3, "{} pages", pages.len());
        for page in &pages {
            assert_eq!(page.width(), render::geometry::FAX_WIDTH);
        }
    }
});
