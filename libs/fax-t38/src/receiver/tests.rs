use super::*;
use crate::ifp::{DataType, Field, FieldType, Indicator};
use crate::sender::{SenderConfig, TxRecovery, UdptlSender};
use crate::testutil::XorShift;
use crate::udptl::FecInfo;

const V: Version = Version::V2;

/// A varied stream of IFP packets: indicators and HDLC data of different lengths,
/// so FEC padding and trimming get exercised.
fn stream(count: usize, rng: &mut XorShift) -> Vec<IfpPacket> {
    (0..count)
        .map(|i| {
            if i % 5 == 0 {
                IfpPacket::Indicator(Indicator::ALL[rng.below(16)])
            } else {
                let len = 1 + rng.below(40);
                IfpPacket::data(DataType::V17_14400, Field::new(FieldType::HdlcData, rng.bytes(len)))
            }
        })
        .collect()
}

fn send_all(config: SenderConfig, packets: &[IfpPacket]) -> Vec<Vec<u8>> {
    let mut tx = UdptlSender::new(config).unwrap();
    packets.iter().map(|p| tx.send(p).unwrap()).collect()
}

fn sender(recovery: TxRecovery, first_seq: u16) -> SenderConfig {
    SenderConfig { version: V, recovery, max_datagram: 4000, first_seq }
}

/// Flattens events into one outcome per sequence number, checking they come in
/// order from `first` without gaps or repeats.
fn outcomes(events: &[RxEvent], first: u16) -> Vec<Option<IfpPacket>> {
    let mut next = first;
    let mut out = Vec::new();
    for event in events {
        match event {
            RxEvent::Packet { seq, packet, .. } => {
                assert_eq!(*seq, next, "out of order: {events:?}");
                out.push(Some(packet.clone()));
                next = next.wrapping_add(1);
            }
            RxEvent::Malformed { seq, .. } => panic!("malformed {seq}"),
            RxEvent::Lost { first_seq, count } => {
                assert_eq!(*first_seq, next, "out of order: {events:?}");
                assert!(*count > 0);
                out.extend(std::iter::repeat_n(None, usize::from(*count)));
                next = next.wrapping_add(*count);
            }
        }
    }
    out
}

fn receive(rx: &mut UdptlReceiver, datagrams: impl IntoIterator<Item = Vec<u8>>) -> Vec<RxEvent> {
    let mut events = Vec::new();
    for d in datagrams {
        events.extend(rx.handle_datagram(&d).unwrap());
    }
    events.extend(rx.flush());
    events
}

#[test]
fn in_order_without_loss() {
    let mut rng = XorShift::new(1);
    let packets = stream(50, &mut rng);
    let datagrams = send_all(sender(TxRecovery::Redundancy { depth: 0 }, 0), &packets);
    let mut rx = UdptlReceiver::new(ReceiverConfig::new(V)).unwrap();
    let events = receive(&mut rx, datagrams);
    let got: Vec<_> = outcomes(&events, 0).into_iter().map(Option::unwrap).collect();
    assert_eq!(got, packets);
    assert_eq!(rx.stats().primary, 50);
}

#[test]
fn duplicates_are_delivered_once() {
    let mut rng = XorShift::new(2);
    let packets = stream(10, &mut rng);
    let datagrams = send_all(sender(TxRecovery::Redundancy { depth: 2 }, 0), &packets);
    let mut rx = UdptlReceiver::new(ReceiverConfig::new(V)).unwrap();
    let doubled = datagrams.iter().flat_map(|d| [d.clone(), d.clone()]).chain(datagrams.iter().cloned());
    let events = receive(&mut rx, doubled);
    let got: Vec<_> = outcomes(&events, 0).into_iter().map(Option::unwrap).collect();
    assert_eq!(got, packets);
    assert_eq!(rx.stats().duplicates, 20);
}

#[test]
fn redundancy_restores_and_reports_losses() {
    let mut rng = XorShift::new(3);
    let packets = stream(20, &mut rng);
    let datagrams = send_all(sender(TxRecovery::Redundancy { depth: 2 }, 0), &packets);
    let mut rx = UdptlReceiver::new(ReceiverConfig::new(V)).unwrap();
    // Lose 3 (restored from 4), 7 and 8 (restored from 9), 12, 13 and 14 (12 is
    // beyond the two secondaries of 15: lost).
    let lost = [3, 7, 8, 12, 13, 14];
    let mut events = Vec::new();
    for (i, d) in datagrams.iter().enumerate() {
        if lost.contains(&i) {
            continue;
        }
        let step = rx.handle_datagram(d).unwrap();
        if i == 4 {
            // Packet 3 arrives with datagram 4, in order, right away.
            assert!(matches!(step[0], RxEvent::Packet { seq: 3, source: Source::Redundancy, .. }));
        }
        events.extend(step);
    }
    let got = outcomes(&events, 0);
    assert_eq!(got.len(), 20);
    for (i, outcome) in got.iter().enumerate() {
        if i == 12 {
            assert_eq!(outcome, &None);
        } else {
            assert_eq!(outcome.as_ref(), Some(&packets[i]), "packet {i}");
        }
    }
    assert!(events.contains(&RxEvent::Lost { first_seq: 12, count: 1 }));
    assert_eq!(rx.stats().redundancy, 5);
    assert_eq!(rx.stats().lost, 1);
}

#[test]
fn first_datagram_lost_is_restored_from_the_second() {
    let mut rng = XorShift::new(4);
    let packets = stream(3, &mut rng);
    let datagrams = send_all(sender(TxRecovery::Redundancy { depth: 1 }, 100), &packets);
    let mut rx = UdptlReceiver::new(ReceiverConfig::new(V)).unwrap();
    let events = receive(&mut rx, datagrams.into_iter().skip(1));
    let got: Vec<_> = outcomes(&events, 100).into_iter().map(Option::unwrap).collect();
    assert_eq!(got, packets);
}

#[test]
fn sequence_numbers_wrap() {
    let mut rng = XorShift::new(5);
    let packets = stream(40, &mut rng);
    let datagrams = send_all(sender(TxRecovery::Redundancy { depth: 1 }, 65520), &packets);
    let config = ReceiverConfig { first_seq: Some(65520), ..ReceiverConfig::new(V) };
    let mut rx = UdptlReceiver::new(config).unwrap();
    // Lose 65535 and 0: datagram 1 restores 0, nothing restores 65535.
    let events = receive(
        &mut rx,
        datagrams.into_iter().enumerate().filter(|(i, _)| *i != 15 && *i != 16).map(|(_, d)| d),
    );
    let got = outcomes(&events, 65520);
    assert_eq!(got.len(), 40);
    assert_eq!(got[15], None);
    assert_eq!(got[16].as_ref(), Some(&packets[16]));
    assert!(events.contains(&RxEvent::Lost { first_seq: 65535, count: 1 }));
    assert_eq!(rx.next_seq(), Some(65520u16.wrapping_add(40)));
}

#[test]
fn fec_restores_bursts() {
    let mut rng = XorShift::new(6);
    let packets = stream(40, &mut rng);
    // Four entries of span 3: any burst of up to four is restorable by the next
    // datagram, as each entry then misses exactly one packet.
    let datagrams = send_all(sender(TxRecovery::Fec { span: 3, entries: 4 }, 0), &packets);
    let mut rx = UdptlReceiver::new(ReceiverConfig::new(V)).unwrap();
    let lost = [14, 15, 16, 17, 30];
    let events = receive(
        &mut rx,
        datagrams.into_iter().enumerate().filter(|(i, _)| !lost.contains(i)).map(|(_, d)| d),
    );
    let got: Vec<_> = outcomes(&events, 0).into_iter().map(Option::unwrap).collect();
    assert_eq!(got, packets);
    assert_eq!(rx.stats().fec, 5);
    assert!(
        events.iter().any(|e| matches!(e, RxEvent::Packet { seq: 16, source: Source::Fec, .. })),
        "{events:?}"
    );
}

#[test]
fn fec_parity_before_a_known_start_counts_as_empty() {
    // A peer that protects packets "before" its first one with parity (rather than
    // winding up): with first_seq known, those members are empty.
    let cng = IfpPacket::Indicator(Indicator::Cng).encode(V).unwrap();
    let ced = IfpPacket::Indicator(Indicator::Ced).encode(V).unwrap();
    let config = ReceiverConfig { first_seq: Some(0), ..ReceiverConfig::new(V) };
    let mut rx = UdptlReceiver::new(config).unwrap();
    // Datagram 0 (CNG) is lost. Datagram 1 carries one entry of span 2 over
    // packets 65535 (nothing) and 0.
    let d1 = UdptlPacket {
        seq: 1,
        primary: ced,
        recovery: Recovery::Fec(FecInfo { span: 2, entries: vec![cng] }),
    };
    let events = rx.handle_datagram(&d1.encode().unwrap()).unwrap();
    assert!(matches!(
        &events[..],
        [
            RxEvent::Packet { seq: 0, packet: IfpPacket::Indicator(Indicator::Cng), source: Source::Fec },
            RxEvent::Packet { seq: 1, .. }
        ]
    ));
}

#[test]
fn fec_trims_zero_padding() {
    let short = IfpPacket::Indicator(Indicator::Cng);
    let long = IfpPacket::data(DataType::V21, Field::new(FieldType::HdlcData, [1, 2, 3, 4, 5, 6]));
    let packets = vec![short.clone(), long.clone(), IfpPacket::Indicator(Indicator::Ced)];
    let datagrams = send_all(sender(TxRecovery::Fec { span: 2, entries: 1 }, 0), &packets);
    let mut rx = UdptlReceiver::new(ReceiverConfig::new(V)).unwrap();
    // Packet 0 is short; restored from 1 ^ parity it would carry padding.
    let events = receive(&mut rx, [datagrams[1].clone(), datagrams[2].clone()]);
    // Without a known start the receiver began at 1: packet 0 is not expected.
    let got: Vec<_> = outcomes(&events, 1).into_iter().map(Option::unwrap).collect();
    assert_eq!(got, packets[1..]);

    // With a known start and a window of one, packet 0 waits for datagram 2's
    // parity (datagram 1 has none yet: the sender winds FEC up).
    let config = ReceiverConfig { first_seq: Some(0), reorder_window: 1, ..ReceiverConfig::new(V) };
    let mut rx = UdptlReceiver::new(config).unwrap();
    let events = receive(&mut rx, [datagrams[1].clone(), datagrams[2].clone()]);
    let got: Vec<_> = outcomes(&events, 0).into_iter().map(Option::unwrap).collect();
    assert_eq!(got, packets);
}

#[test]
fn malformed_packets_are_delivered_as_such() {
    let mut rx = UdptlReceiver::new(ReceiverConfig::new(V)).unwrap();
    let bad = UdptlPacket { seq: 0, primary: vec![0x80], recovery: Recovery::Redundancy(vec![]) };
    let events = rx.handle_datagram(&bad.encode().unwrap()).unwrap();
    assert_eq!(events, [RxEvent::Malformed { seq: 0, error: Error::IndicatorWithData }]);
    assert_eq!(rx.handle_datagram(&[0, 1, 5]), Err(Error::Truncated));
    assert_eq!(rx.next_seq(), Some(1));
}

#[test]
fn reorder_window_waits_then_gives_up() {
    let mut rng = XorShift::new(7);
    let packets = stream(10, &mut rng);
    let datagrams = send_all(sender(TxRecovery::Redundancy { depth: 0 }, 0), &packets);
    let config = ReceiverConfig { reorder_window: 2, first_seq: Some(0), ..ReceiverConfig::new(V) };
    let mut rx = UdptlReceiver::new(config).unwrap();
    assert_eq!(rx.handle_datagram(&datagrams[0]).unwrap().len(), 1);
    // 1 is late: 2 and 3 wait for it.
    assert!(rx.handle_datagram(&datagrams[2]).unwrap().is_empty());
    assert!(rx.handle_datagram(&datagrams[3]).unwrap().is_empty());
    // It arrives: 1, 2, 3 come out.
    assert_eq!(rx.handle_datagram(&datagrams[1]).unwrap().len(), 3);
    // 4 never comes: 5 and 6 wait, 7 is three ahead and forces the loss.
    assert!(rx.handle_datagram(&datagrams[5]).unwrap().is_empty());
    assert!(rx.handle_datagram(&datagrams[6]).unwrap().is_empty());
    let events = rx.handle_datagram(&datagrams[7]).unwrap();
    assert_eq!(events[0], RxEvent::Lost { first_seq: 4, count: 1 });
    assert_eq!(events.len(), 4);
    // 4 turning up now is too late.
    assert!(rx.handle_datagram(&datagrams[4]).unwrap().is_empty());
    // 9 waits for 8; flushing gives up on 8.
    assert!(rx.handle_datagram(&datagrams[9]).unwrap().is_empty());
    assert_eq!(rx.flush().len(), 2);
    assert_eq!(rx.stats().duplicates, 1);
}

#[test]
fn a_large_jump_is_one_loss() {
    let mut rx = UdptlReceiver::new(ReceiverConfig { first_seq: Some(0), ..ReceiverConfig::new(V) }).unwrap();
    let cng = IfpPacket::Indicator(Indicator::Cng).encode(V).unwrap();
    let at = |seq: u16| {
        UdptlPacket { seq, primary: cng.clone(), recovery: Recovery::Redundancy(vec![]) }.encode().unwrap()
    };
    rx.handle_datagram(&at(0)).unwrap();
    let events = rx.handle_datagram(&at(30000)).unwrap();
    assert_eq!(events[0], RxEvent::Lost { first_seq: 1, count: 29999 });
    assert!(matches!(events[1], RxEvent::Packet { seq: 30000, .. }));
    // 32768 ahead counts as old.
    assert!(rx.handle_datagram(&at(30001u16.wrapping_add(32768))).unwrap().is_empty());
}

/// Random loss, reordering and duplication, with every kind of protection: the
/// receiver always yields each sequence number once, in order, every delivered
/// packet is the one sent, and losses are rare where protection should cover them.
#[test]
fn pseudo_random_schedules() {
    let modes = [
        TxRecovery::Redundancy { depth: 0 },
        TxRecovery::Redundancy { depth: 1 },
        TxRecovery::Redundancy { depth: 3 },
        TxRecovery::Fec { span: 1, entries: 1 },
        TxRecovery::Fec { span: 3, entries: 3 },
        TxRecovery::Fec { span: 2, entries: 8 },
    ];
    let mut rng = XorShift::new(0x5eed);
    for round in 0..120 {
        let mode = modes[round % modes.len()];
        let count = 100 + rng.below(300);
        let first_seq = if round % 3 == 0 { 65400 } else { rng.next_u64() as u16 };
        let packets = stream(count, &mut rng);
        let datagrams = send_all(sender(mode, first_seq), &packets);
        let loss_percent = rng.below(25);
        let window = rng.below(4) as u16;
        // Build the arrival schedule: drop, duplicate, and swap neighbours within
        // the reorder window.
        let mut arrivals: Vec<Vec<u8>> = Vec::new();
        for d in &datagrams {
            if rng.below(100) < loss_percent {
                continue;
            }
            arrivals.push(d.clone());
            if rng.below(20) == 0 {
                arrivals.push(d.clone());
            }
        }
        // Swap disjoint neighbouring pairs, so nothing moves more than one place.
        let mut i = 1;
        while i < arrivals.len() {
            if window > 0 && rng.below(10) == 0 {
                arrivals.swap(i - 1, i);
                i += 1;
            }
            i += 1;
        }
        let config = ReceiverConfig { version: V, reorder_window: window, first_seq: Some(first_seq) };
        let mut rx = UdptlReceiver::new(config).unwrap();
        let events = receive(&mut rx, arrivals);
        let got = outcomes(&events, first_seq);
        // Packets lost at the very end (nothing after them) are simply not seen.
        assert!(got.len() <= count);
        for (i, outcome) in got.iter().enumerate() {
            if let Some(packet) = outcome {
                assert_eq!(packet, &packets[i], "round {round} packet {i}");
            }
        }
        let lost = got.iter().filter(|o| o.is_none()).count();
        let stats = rx.stats();
        assert_eq!(stats.lost as usize, lost);
        if loss_percent == 0 && window > 0 {
            assert_eq!(lost, 0, "round {round}");
        }
        if matches!(mode, TxRecovery::Redundancy { depth: 3 }) && loss_percent < 10 {
            // Losing four in a row is needed to lose a packet at depth 3.
            assert!(lost * 50 <= count, "round {round}: {lost} lost of {count} at {loss_percent}%");
        }
    }
}

/// Any bytes, any order: no panic, and whatever comes out is in order.
#[test]
fn garbage_and_wild_sequence_numbers() {
    let mut rng = XorShift::new(0xbad);
    let cng = IfpPacket::Indicator(Indicator::Cng).encode(V).unwrap();
    for _ in 0..50 {
        let config = ReceiverConfig { reorder_window: rng.below(5) as u16, ..ReceiverConfig::new(V) };
        let mut rx = UdptlReceiver::new(config).unwrap();
        let mut all = Vec::new();
        let mut first = None;
        for _ in 0..300 {
            let datagram = match rng.below(3) {
                0 => rng.bytes_below(40),
                1 => UdptlPacket {
                    seq: rng.next_u64() as u16,
                    primary: cng.clone(),
                    recovery: Recovery::Fec(FecInfo {
                        span: rng.below(5) as u32,
                        entries: (0..rng.below(4)).map(|_| rng.bytes_below(4)).collect(),
                    }),
                }
                .encode()
                .unwrap(),
                _ => UdptlPacket {
                    seq: (rng.below(200) as u16).wrapping_sub(100),
                    primary: rng.bytes_below(5),
                    recovery: Recovery::Redundancy((0..rng.below(4)).map(|_| rng.bytes_below(3)).collect()),
                }
                .encode()
                .unwrap(),
            };
            if let Ok(events) = rx.handle_datagram(&datagram) {
                if first.is_none() {
                    first = events.first().map(|e| match e {
                        RxEvent::Packet { seq, .. } | RxEvent::Malformed { seq, .. } => *seq,
                        RxEvent::Lost { first_seq, .. } => *first_seq,
                    });
                }
                all.extend(events);
            }
        }
        all.extend(rx.flush());
        // Check contiguity, counting malformed packets as deliveries.
        let mut next = first;
        for event in &all {
            let (seq, n) = match event {
                RxEvent::Packet { seq, .. } | RxEvent::Malformed { seq, .. } => (*seq, 1),
                RxEvent::Lost { first_seq, count } => (*first_seq, *count),
            };
            assert_eq!(Some(seq), next);
            next = Some(seq.wrapping_add(n));
        }
    }
}
