//! T.6 (MMR) decoding of arbitrary bytes; the first three bytes choose the options.
#![no_main]

use fax_image::{BitOrder, Coding, DecodeOptions, Limits, Resolution};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let [flags, w0, w1, stream @ ..] = data else { return };
    let bit_order = if flags & 1 == 0 { BitOrder::MsbFirst } else { BitOrder::LsbFirst };
    let width = u32::from(u16::from_le_bytes([*w0, *w1]) & 0x1fff);
    let mut options = DecodeOptions::new(Coding::Mmr, bit_order, width, 3000);
    if flags & 2 != 0 {
        options.rows = Some(u32::from(flags >> 2) * 16);
    }
    let limits = Limits { max_height: 3000, ..Limits::default() };
    if let Ok((page, report)) = fax_image::decode(stream, &options, Resolution::FINE, &limits) {
        assert_eq!(page.width(), width);
        assert_eq!(page.height(), report.rows);
        // MMR cannot resynchronise, so a decoded page never has bad rows.
        assert_eq!(report.bad_rows, 0);
        // Whatever decodes must re-encode and decode to the same pixels.
        let again = fax_image::encode(&page, &fax_image::EncodeOptions::tiff_g4()).expect("encode");
        let mut exact = options;
        exact.rows = Some(page.height());
        exact.bit_order = fax_image::BitOrder::MsbFirst;
        let (back, _) = fax_image::decode(&again, &exact, Resolution::FINE, &limits).expect("round trip");
        assert_eq!(back, page);
    }
});
