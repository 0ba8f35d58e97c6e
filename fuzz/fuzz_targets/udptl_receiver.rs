//! A UDPTL receiver fed a sequence of arbitrary datagrams: the input is split into
//! datagrams at each 0xff 0xfe 0xfd marker; the first byte chooses the version and
//! the reorder window. Deliveries must stay in sequence order.
#![no_main]

use fax_t38::{ReceiverConfig, RxEvent, UdptlReceiver, Version};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let [selector, rest @ ..] = data else { return };
    let mut config = ReceiverConfig::new(Version::ALL[usize::from(selector & 3)]);
    config.reorder_window = u16::from(selector >> 2) % 8;
    if selector & 0x80 != 0 {
        config.first_seq = Some(0);
    }
    let mut rx = UdptlReceiver::new(config).expect("valid config");
    let mut next: Option<u16> = None;
    let mut check = |events: Vec<RxEvent>| {
        for event in events {
            let (seq, count) = match event {
                RxEvent::Packet { seq, .. } | RxEvent::Malformed { seq, .. } => (seq, 1),
                RxEvent::Lost { first_seq, count } => (first_seq, count),
            };
            if let Some(expected) = next {
                assert_eq!(seq, expected);
            }
            next = Some(seq.wrapping_add(count));
        }
    };
    let mut start = 0;
    let mut i = 0;
    while i + 3 <= rest.len() {
        if rest[i..i + 3] == [0xff, 0xfe, 0xfd] {
            if let Ok(events) = rx.handle_datagram(&rest[start..i]) {
                check(events);
            }
            start = i + 3;
            i += 3;
        } else {
            i += 1;
        }
    }
    if let Ok(events) = rx.handle_datagram(&rest[start..]) {
        check(events);
    }
    check(rx.flush());
});
