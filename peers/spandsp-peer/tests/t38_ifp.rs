//! IFP interop against SpanDSP 0.0.6's T.38 core: for every indicator, data type
//! and field type, in T.38 versions 0 to 3, SpanDSP's encoding must equal ours byte
//! for byte, we must decode SpanDSP's packets, and SpanDSP must decode ours to the
//! same values. Where SpanDSP 0.0.6 departs from X.691 (extension field types, and
//! its version 0 encoder's field padding; see `fax_t38::ifp`), the tests pin the
//! exact difference so a change on either side shows up.
//!
//! These tests link libspandsp; without it the crate does not build, so they fail
//! rather than skip.

use fax_t38::{DataType, Field, FieldType, IfpPacket, Indicator, Version};
use spandsp_peer::t38_core::{Category, CoreEvent, T38Core};

fn core(version: Version) -> T38Core {
    T38Core::new(version.number()).expect("SpanDSP t38_core_init")
}

fn category(field: FieldType) -> Category {
    match field {
        FieldType::T4NonEcmData => Category::ImageData,
        FieldType::T4NonEcmSigEnd => Category::ImageDataEnd,
        FieldType::HdlcSigEnd | FieldType::HdlcFcsOkSigEnd | FieldType::HdlcFcsBadSigEnd => {
            Category::ControlDataEnd
        }
        _ => Category::ControlData,
    }
}

/// The one packet SpanDSP sent, or `None` if it refused.
fn only_packet(
    outcome: Result<spandsp_peer::t38_core::Outcome, spandsp_peer::SpanDspError>,
) -> Option<Vec<u8>> {
    let outcome = outcome.ok()?;
    let packets = outcome.tx_packets();
    assert_eq!(packets.len(), 1, "SpanDSP sent {packets:02x?}");
    packets.into_iter().next()
}

/// Feeds `bytes` to a fresh SpanDSP core and returns what it decoded.
fn spandsp_decodes(version: Version, bytes: &[u8]) -> Vec<CoreEvent> {
    let mut rx = core(version);
    let outcome = rx.rx_ifp_packet(bytes).unwrap_or_else(|e| panic!("SpanDSP refused {bytes:02x?}: {e}"));
    outcome.events
}

/// The data events SpanDSP should report for a data packet: one per field.
fn expected_rx(data_type: DataType, fields: &[Field]) -> Vec<CoreEvent> {
    fields
        .iter()
        .map(|f| CoreEvent::RxData {
            data_type: i32::from(data_type.index()),
            field_type: i32::from(f.kind.index()),
            data: f.data.clone(),
        })
        .collect()
}

/// SpanDSP 0.0.6 writes an extension field type's 6-bit index one bit further
/// right than X.691 (as if there were one more leading bit). Rewrites our field
/// header at `at` into SpanDSP's form.
fn spandsp_extension_form(bytes: &[u8], at: usize, field: FieldType) -> Vec<u8> {
    let k = field.index() - FieldType::ROOT_COUNT;
    let mut out = bytes.to_vec();
    let present = out[at] & 0x80;
    assert_eq!(out[at] & 0x7f, 0x40 | (k >> 1), "our X.691 form");
    assert_eq!(out[at + 1] & 0x80, (k & 1) << 7, "our X.691 form");
    out[at] = present | 0x40 | (k >> 2);
    out[at + 1] = (k & 3) << 6;
    out
}

/// Field types whose encoding differs from SpanDSP 0.0.6's in versions 1 to 3.
fn deviates(field: FieldType) -> bool {
    matches!(field, FieldType::JmMessage | FieldType::CiMessage | FieldType::V34Rate)
}

#[derive(Default, Debug)]
struct Tally {
    identical: usize,
    both_refused: usize,
    pinned_deviation: usize,
}

#[test]
fn indicators_match_spandsp() {
    let mut tally = Tally::default();
    for version in Version::ALL {
        for &indicator in Indicator::ALL {
            let theirs = only_packet(core(version).send_indicator(i32::from(indicator.index())));
            let ours = IfpPacket::Indicator(indicator).encode(version);
            match (theirs, ours) {
                (None, Err(_)) => {
                    assert!(version == Version::V0 && indicator.is_extension());
                    tally.both_refused += 1;
                }
                (Some(theirs), Ok(ours)) => {
                    assert_eq!(theirs, ours, "{indicator:?} in {version:?}");
                    assert_eq!(IfpPacket::decode(&theirs, version), Ok(IfpPacket::Indicator(indicator)));
                    assert_eq!(
                        spandsp_decodes(version, &ours),
                        [CoreEvent::RxIndicator(i32::from(indicator.index()))],
                        "SpanDSP decoding {indicator:?} in {version:?}"
                    );
                    tally.identical += 1;
                }
                (theirs, ours) => {
                    panic!("{indicator:?} in {version:?}: SpanDSP {theirs:02x?}, ours {ours:02x?}")
                }
            }
        }
    }
    eprintln!("indicators: {tally:?}");
    assert_eq!(tally.identical, 16 + 3 * 23);
    assert_eq!(tally.both_refused, 7);
}

#[test]
fn single_field_data_matches_spandsp() {
    let payloads: [&[u8]; 4] = [&[], &[0x7e], &[0xff, 0x03, 0x00, 0x80], &[0x5a; 300]];
    let mut tally = Tally::default();
    for version in Version::ALL {
        for &data_type in DataType::ALL {
            for &field in FieldType::ALL {
                for payload in payloads {
                    let theirs = only_packet(core(version).send_data(
                        i32::from(data_type.index()),
                        i32::from(field.index()),
                        payload,
                        category(field),
                    ));
                    let packet = IfpPacket::data(data_type, Field::new(field, payload));
                    let ours = packet.encode(version);
                    let what =
                        format!("{data_type:?}/{field:?} with {} octets in {version:?}", payload.len());
                    match (theirs, ours) {
                        (None, Err(_)) => {
                            assert!(
                                version == Version::V0 && (data_type.is_extension() || field.is_extension()),
                                "{what}"
                            );
                            tally.both_refused += 1;
                        }
                        (Some(theirs), Ok(ours)) if deviates(field) => {
                            // The field header follows the data type (1 or 2 octets) and
                            // the field count (1 octet).
                            let at = if data_type.is_extension() { 3 } else { 2 };
                            assert_eq!(theirs, spandsp_extension_form(&ours, at, field), "{what}");
                            tally.pinned_deviation += 1;
                        }
                        (Some(theirs), Ok(ours)) => {
                            assert_eq!(theirs, ours, "{what}");
                            assert_eq!(IfpPacket::decode(&theirs, version).as_ref(), Ok(&packet), "{what}");
                            assert_eq!(
                                spandsp_decodes(version, &ours),
                                expected_rx(data_type, &[Field::new(field, payload)]),
                                "SpanDSP decoding {what}"
                            );
                            tally.identical += 1;
                        }
                        (theirs, ours) => panic!("{what}: SpanDSP {theirs:02x?}, ours {ours:02x?}"),
                    }
                }
            }
        }
    }
    eprintln!("single-field data: {tally:?}");
    // Version 0: 9 root data types x 8 root field types; versions 1-3: 15 x 9
    // (all but the three deviating types), four payloads each.
    assert_eq!(tally.identical, 4 * (9 * 8 + 3 * 15 * 9));
    assert_eq!(tally.pinned_deviation, 4 * 3 * 15 * 3);
}

/// A tiny xorshift, so the random field mixes are the same on every run.
struct XorShift(u64);

impl XorShift {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

#[test]
fn multi_field_data_matches_spandsp() {
    let d = |kind, data: &[u8]| Field::new(kind, data);
    let bare = Field::bare;
    let mut cases: Vec<(DataType, Vec<Field>)> = vec![
        (DataType::V21, vec![d(FieldType::HdlcData, &[0xff, 0x03, 0x10]), bare(FieldType::HdlcFcsOk)]),
        (DataType::V21, vec![d(FieldType::HdlcData, &[0xff, 0x13, 0x80]), bare(FieldType::HdlcFcsOkSigEnd)]),
        (
            DataType::V17_14400,
            vec![
                d(FieldType::HdlcData, &[1, 2, 3]),
                bare(FieldType::HdlcFcsOk),
                d(FieldType::HdlcData, &[4, 5]),
                bare(FieldType::HdlcFcsBadSigEnd),
            ],
        ),
        (DataType::V29_9600, vec![d(FieldType::T4NonEcmData, &[0; 64]), bare(FieldType::T4NonEcmSigEnd)]),
        (DataType::V27_4800, vec![bare(FieldType::HdlcFcsOk), bare(FieldType::HdlcSigEnd)]),
        (DataType::V21, vec![bare(FieldType::HdlcSigEnd)]),
    ];
    // Random mixes of the root field types, with and without data.
    let mut rng = XorShift(0x3817_0006);
    for _ in 0..200 {
        let data_type = DataType::ALL[rng.below(9)];
        let fields = (0..1 + rng.below(6))
            .map(|_| {
                let kind = FieldType::ALL[rng.below(8)];
                let len = [0, 0, 1, 2, 17, 200][rng.below(6)];
                Field::new(kind, vec![rng.below(256) as u8; len])
            })
            .collect();
        cases.push((data_type, fields));
    }
    let mut tally = Tally::default();
    for version in Version::ALL {
        for (data_type, fields) in &cases {
            let pairs: Vec<(i32, &[u8])> =
                fields.iter().map(|f| (i32::from(f.kind.index()), &f.data[..])).collect();
            let theirs = only_packet(core(version).send_data_multi_field(
                i32::from(data_type.index()),
                &pairs,
                Category::ControlData,
            ))
            .unwrap_or_else(|| panic!("SpanDSP refused {data_type:?} {fields:?}"));
            let packet = IfpPacket::Data { data_type: *data_type, fields: fields.clone() };
            let ours = packet.encode(version).unwrap();
            // Both ways, the decoded values must agree.
            assert_eq!(
                IfpPacket::decode(&theirs, version).as_ref(),
                Ok(&packet),
                "decoding SpanDSP's {theirs:02x?}"
            );
            assert_eq!(
                spandsp_decodes(version, &ours),
                expected_rx(*data_type, fields),
                "SpanDSP decoding {packet:?}"
            );
            if version == Version::V0 && !packet.is_portable() {
                // SpanDSP 0.0.6's version 0 encoder pads each field to an octet while
                // its decoder (and X.691) packs them; we write what it decodes.
                assert_ne!(theirs, ours, "{packet:?} in {version:?}");
                assert!(
                    core(version).rx_ifp_packet(&theirs).is_err(),
                    "SpanDSP now reads its own padded v0 form"
                );
                tally.pinned_deviation += 1;
            } else {
                assert_eq!(theirs, ours, "{packet:?} in {version:?}");
                tally.identical += 1;
            }
        }
    }
    eprintln!("multi-field data: {tally:?}");
    let portable = cases
        .iter()
        .filter(|(data_type, fields)| {
            IfpPacket::Data { data_type: *data_type, fields: fields.clone() }.is_portable()
        })
        .count();
    assert_eq!(tally.identical, 3 * cases.len() + portable);
    assert_eq!(tally.pinned_deviation, cases.len() - portable);
}

#[test]
fn spandsp_reads_packed_x691_fields_differently() {
    // Pins the alignment difference the fax_t38::ifp docs describe: in version 2
    // the packed X.691 form of [hdlc-fcs-OK, hdlc-fcs-OK-sig-end] is read by
    // SpanDSP as [hdlc-fcs-OK, hdlc-data]. Our encoder never produces it there; in
    // version 0 SpanDSP reads the packed form correctly.
    let packed = [0xc0, 0x02, 0x11, 0x00];
    assert_eq!(
        spandsp_decodes(Version::V2, &packed),
        expected_rx(DataType::V21, &[Field::bare(FieldType::HdlcFcsOk), Field::bare(FieldType::HdlcData)])
    );
    let packet = IfpPacket::Data {
        data_type: DataType::V21,
        fields: vec![Field::bare(FieldType::HdlcFcsOk), Field::bare(FieldType::HdlcFcsOkSigEnd)],
    };
    assert_ne!(packet.encode(Version::V2).unwrap(), packed);
    let packed_v0 = packet.encode(Version::V0).unwrap();
    assert_eq!(packed_v0, [0xc0, 0x02, 0x24]);
    assert_eq!(
        spandsp_decodes(Version::V0, &packed_v0),
        expected_rx(
            DataType::V21,
            &[Field::bare(FieldType::HdlcFcsOk), Field::bare(FieldType::HdlcFcsOkSigEnd)]
        )
    );
}
