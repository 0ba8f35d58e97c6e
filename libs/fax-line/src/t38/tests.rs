//! Unit tests of the two mappings: the receive side's tolerance of what peers do,
//! and the send side's packet shapes and timing.

use std::time::{Duration, Instant};

use fax_t30::session::{self, Job, LineInput, Role, Transmit};
use fax_t30::{Fcf, Frame, Rate};
use fax_t38::{DataType, Field, FieldType, IfpPacket, Indicator, Version};

use super::rx::Rx;
use super::tx::Builder;
use super::{Config, TcfMethod};

fn rev(octets: &[u8]) -> Vec<u8> {
    octets.iter().map(|b| b.reverse_bits()).collect()
}

fn hdlc(data_type: DataType, fields: Vec<Field>) -> IfpPacket {
    IfpPacket::Data { data_type, fields }
}

fn feed(rx: &mut Rx, packets: &[IfpPacket], now: Instant) -> Vec<LineInput> {
    let mut out = Vec::new();
    for p in packets {
        rx.packet(p, now, &mut out);
    }
    out
}

#[test]
fn frames_split_across_packets_and_several_per_packet() {
    let now = Instant::now();
    let mut rx = Rx::new(TcfMethod::Transferred);
    let a = [0xff, 0x03, 0x40, 1, 2, 3];
    let b = [0xff, 0x13, 0x80, 9];
    let out = feed(
        &mut rx,
        &[
            IfpPacket::Indicator(Indicator::V21Preamble),
            hdlc(DataType::V21, vec![Field::new(FieldType::HdlcData, rev(&a[..2]))]),
            hdlc(
                DataType::V21,
                vec![
                    Field::new(FieldType::HdlcData, rev(&a[2..])),
                    Field::bare(FieldType::HdlcFcsOk),
                    Field::new(FieldType::HdlcData, rev(&b)),
                    Field::bare(FieldType::HdlcFcsOkSigEnd),
                ],
            ),
            IfpPacket::Indicator(Indicator::NoSignal),
        ],
        now,
    );
    assert_eq!(
        out,
        [
            LineInput::V21Frame { octets: a.to_vec(), fcs_ok: true },
            LineInput::V21Frame { octets: b.to_vec(), fcs_ok: true },
            LineInput::V21CarrierDown,
        ]
    );
}

#[test]
fn repeated_indicators_count_once_and_late_ends_are_ignored() {
    let now = Instant::now();
    let mut rx = Rx::new(TcfMethod::Transferred);
    let training = IfpPacket::Indicator(Indicator::V17_14400ShortTraining);
    let end = hdlc(DataType::V17_14400, vec![Field::bare(FieldType::T4NonEcmSigEnd)]);
    let out = feed(
        &mut rx,
        &[
            training.clone(),
            training.clone(),
            training,
            hdlc(DataType::V17_14400, vec![Field::new(FieldType::T4NonEcmData, vec![0x80, 0x01])]),
            end.clone(),
            // A repeat of the end with a new sequence number, then silence.
            end,
            IfpPacket::Indicator(Indicator::NoSignal),
            IfpPacket::Indicator(Indicator::NoSignal),
        ],
        now,
    );
    assert_eq!(
        out,
        [
            LineInput::ImageCarrier { rate: Rate::V17_14400 },
            LineInput::ImageData(vec![0x01, 0x80]),
            LineInput::ImageCarrierDown,
        ]
    );
}

#[test]
fn a_loss_damages_the_frame_it_touches_until_an_indicator() {
    let now = Instant::now();
    let mut rx = Rx::new(TcfMethod::Transferred);
    let mut out = feed(
        &mut rx,
        &[
            IfpPacket::Indicator(Indicator::V17_14400ShortTraining),
            hdlc(DataType::V17_14400, vec![Field::new(FieldType::HdlcData, vec![1, 2])]),
        ],
        now,
    );
    rx.lost();
    out.extend(feed(
        &mut rx,
        &[
            hdlc(
                DataType::V17_14400,
                vec![Field::new(FieldType::HdlcData, vec![3]), Field::bare(FieldType::HdlcFcsOk)],
            ),
            hdlc(
                DataType::V17_14400,
                vec![Field::new(FieldType::HdlcData, vec![4]), Field::bare(FieldType::HdlcFcsOk)],
            ),
        ],
        now,
    ));
    // A loss between frames: the next frame may have lost its start.
    rx.lost();
    out.extend(feed(
        &mut rx,
        &[hdlc(
            DataType::V17_14400,
            vec![Field::new(FieldType::HdlcData, vec![5]), Field::bare(FieldType::HdlcFcsOk)],
        )],
        now,
    ));
    // A loss, then an indicator: what follows starts afresh.
    rx.lost();
    out.extend(feed(
        &mut rx,
        &[
            IfpPacket::Indicator(Indicator::V21Preamble),
            hdlc(
                DataType::V21,
                vec![Field::new(FieldType::HdlcData, vec![6]), Field::bare(FieldType::HdlcFcsOkSigEnd)],
            ),
        ],
        now,
    ));
    assert_eq!(
        out,
        [
            LineInput::ImageCarrier { rate: Rate::V17_14400 },
            LineInput::ImageFrame { octets: rev(&[1, 2, 3]), fcs_ok: false },
            LineInput::ImageFrame { octets: rev(&[4]), fcs_ok: true },
            LineInput::ImageFrame { octets: rev(&[5]), fcs_ok: false },
            LineInput::ImageCarrierDown,
            LineInput::V21Frame { octets: rev(&[6]), fcs_ok: true },
            LineInput::V21CarrierDown,
        ]
    );
}

#[test]
fn data_without_its_indicator_starts_the_signal() {
    let now = Instant::now();
    let mut rx = Rx::new(TcfMethod::Transferred);
    let out = feed(
        &mut rx,
        &[hdlc(
            DataType::V29_9600,
            vec![Field::new(FieldType::T4NonEcmData, vec![0]), Field::bare(FieldType::T4NonEcmSigEnd)],
        )],
        now,
    );
    assert_eq!(
        out,
        [
            LineInput::ImageCarrier { rate: Rate::V29_9600 },
            LineInput::ImageData(vec![0]),
            LineInput::ImageCarrierDown
        ]
    );
}

#[test]
fn local_tcf_makes_up_the_zeros() {
    let start = Instant::now();
    let mut rx = Rx::new(TcfMethod::Local);
    let mut out = feed(&mut rx, &[IfpPacket::Indicator(Indicator::V17_9600LongTraining)], start);
    out.extend(feed(
        &mut rx,
        &[IfpPacket::Indicator(Indicator::NoSignal)],
        start + Duration::from_millis(1500),
    ));
    assert_eq!(
        out,
        [
            LineInput::ImageCarrier { rate: Rate::V17_9600 },
            LineInput::ImageData(vec![0; 1800]),
            LineInput::ImageCarrierDown,
        ]
    );
}

fn config() -> Config {
    Config::new(session::Config::new(Role::Answering, Job::Receive))
}

#[test]
fn v21_frames_are_paced_bit_reversed_and_closed_last() {
    let config = config();
    let start = Instant::now();
    let frames = vec![
        Frame::with_fif(Fcf::Csi, false, vec![0x20; 20]).not_final(),
        Frame::with_fif(Fcf::Dis, false, vec![0x00, 0xce, 0xf4]),
    ];
    let current = Builder::new(&config, start).build(&Transmit::V21Frames(frames.clone()));
    let packets: Vec<(Duration, IfpPacket)> = current
        .packets
        .iter()
        .map(|p| (p.at - start, IfpPacket::decode(&p.ifp, Version::V0).expect("decodes")))
        .collect();
    // The preamble indicator three times, 30 ms apart.
    for (k, (at, p)) in packets[..3].iter().enumerate() {
        assert_eq!(*p, IfpPacket::Indicator(Indicator::V21Preamble));
        assert_eq!(*at, Duration::from_millis(30 * k as u64));
    }
    // Then the frames, two octets a packet (300 bit/s × 30 ms, rounded up), from 1 s on.
    let mut assembled = Vec::new();
    let mut ends = Vec::new();
    for (at, p) in &packets[3..packets.len() - 1] {
        assert!(*at > Duration::from_secs(1));
        let IfpPacket::Data { data_type: DataType::V21, fields } = p else { panic!("{p:?}") };
        assert!(p.is_portable());
        assert!(fields[0].data.len() <= 2);
        for f in fields {
            match f.kind {
                FieldType::HdlcData => assembled.extend(rev(&f.data)),
                kind => ends.push((kind, std::mem::take(&mut assembled))),
            }
        }
    }
    assert_eq!(
        ends,
        [(FieldType::HdlcFcsOk, frames[0].encode()), (FieldType::HdlcFcsOkSigEnd, frames[1].encode())]
    );
    let (last_at, last) = packets.last().expect("no-signal");
    assert_eq!(*last, IfpPacket::Indicator(Indicator::NoSignal));
    assert_eq!(start + *last_at, current.done_at);
    // 23 + 3 and 6 + 3 octets at 300 bit/s after the 1 s preamble.
    assert_eq!(
        current.done_at - start,
        Duration::from_secs(1) + Duration::from_nanos(35 * 8_000_000_000 / 300)
    );
    assert_eq!(current.trailer.len(), 2);
}

#[test]
fn tcf_is_zeros_after_the_long_training() {
    let config = config();
    let start = Instant::now();
    let transmit = Transmit::Tcf { rate: Rate::V17_14400, duration: Duration::from_millis(1500) };
    let current = Builder::new(&config, start).build(&transmit);
    let decoded: Vec<IfpPacket> =
        current.packets.iter().map(|p| IfpPacket::decode(&p.ifp, Version::V0).expect("decodes")).collect();
    assert_eq!(decoded[0], IfpPacket::Indicator(Indicator::V17_14400LongTraining));
    let zeros: usize = decoded
        .iter()
        .filter_map(|p| match p {
            IfpPacket::Data { data_type: DataType::V17_14400, fields } => {
                Some(fields.iter().map(|f| f.data.len()).sum::<usize>())
            }
            _ => None,
        })
        .sum();
    assert_eq!(zeros, 2700);
    // 54 octets a packet: 14400 bit/s × 30 ms.
    assert_eq!(decoded.len(), 3 + 50 + 1);
    assert_eq!(current.done_at - start, Duration::from_millis(1400 + 1500));
}
