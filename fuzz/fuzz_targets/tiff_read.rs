//! Whole TIFF files: structure parsing and the decoding of every page, under tight
//! limits so that the fuzzer finds logic errors rather than slow pages.
#![no_main]

use fax_image::Limits;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits { max_width: 4864, max_height: 2048, max_pages: 16, max_input_bytes: 1 << 20, max_decoded_bytes: 16 << 20 };
    let _ = fax_image::tiff::read_info(data, &limits);
    if let Ok(pages) = fax_image::tiff::read(data, &limits) {
        assert!(pages.len() <= 16);
    }
});
