//! UDPTL datagram decoding of arbitrary bytes.
#![no_main]

use fax_t38::UdptlPacket;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(packet) = UdptlPacket::decode(data) {
        let again = packet.encode().expect("a decoded datagram re-encodes");
        assert_eq!(UdptlPacket::decode(&again), Ok(packet));
    }
});
