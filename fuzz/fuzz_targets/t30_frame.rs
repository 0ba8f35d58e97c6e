//! T.30 frames as they arrive from V.21 or T.38: the frame parser, then every
//! information-field parser on whatever it found, as the session engine will.
#![no_main]

use fax_t30::{Dcs, Dis, Frame, Ident, ecm};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(frame) = Frame::parse(data) else { return };
    let fif = &frame.fif;
    // A frame that parsed must encode back to something that parses the same.
    let again = Frame::parse(&frame.encode()).expect("re-encoded frame parses");
    assert_eq!(again.fcf, frame.fcf);
    if let Ok(dis) = Dis::parse(fif) {
        let _ = dis.supported_rates();
        assert_eq!(Dis::parse(&dis.encode()).expect("DIS round trip"), dis);
    }
    if let Ok(dcs) = Dcs::parse(fif) {
        let _ = dcs.min_row_bits();
    }
    let _ = Ident::parse(fif);
    let _ = ecm::Fcd::parse(fif);
    let _ = ecm::PartialPage::parse(fif);
    let _ = ecm::FrameMap::parse(fif);
    let _ = ecm::Ctc::parse(fif);
});
