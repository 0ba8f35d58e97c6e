//! T.4 (MH and MR) decoding of arbitrary bytes, with the options taken from the
//! first three bytes so that the fuzzer explores widths, bit orders and both modes.
#![no_main]

use fax_image::{BitOrder, Coding, DecodeOptions, Limits, Resolution};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let [flags, w0, w1, stream @ ..] = data else { return };
    let coding = if flags & 1 == 0 { Coding::Mh } else { Coding::Mr { k: 4 } };
    let bit_order = if flags & 2 == 0 { BitOrder::MsbFirst } else { BitOrder::LsbFirst };
    // Widths up to 8191 reach past every real fax width and the default limit.
    let width = u32::from(u16::from_le_bytes([*w0, *w1]) & 0x1fff);
    let mut options = DecodeOptions::new(coding, bit_order, width, 3000);
    if flags & 4 != 0 {
        options.rows = Some(u32::from(flags >> 3) * 16);
    }
    let limits = Limits { max_height: 3000, ..Limits::default() };
    if let Ok((page, report)) = fax_image::decode(stream, &options, Resolution::FINE, &limits) {
        assert_eq!(page.width(), width);
        assert_eq!(page.height(), report.rows);
        assert!(report.bad_rows <= report.rows);
        assert!(report.max_consecutive_bad_rows <= report.bad_rows);
    }
});
