//! T.38 IFP decoding of arbitrary bytes; the first byte chooses the T.38 version.
#![no_main]

use fax_t38::{IfpPacket, Version};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let [selector, bytes @ ..] = data else { return };
    let version = Version::ALL[usize::from(selector & 3)];
    if let Ok(packet) = IfpPacket::decode(bytes, version) {
        // Version 0 reads extension values it refuses to send; everything else
        // re-encodes and decodes to the same packet.
        if let Ok(again) = packet.encode(version) {
            assert_eq!(IfpPacket::decode(&again, version), Ok(packet.clone()));
        }
    }
    if let Ok((_, used)) = IfpPacket::decode_prefix(bytes, version) {
        assert!(used <= bytes.len());
    }
});
