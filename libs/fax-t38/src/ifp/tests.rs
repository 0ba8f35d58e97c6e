use super::*;
use crate::testutil::XorShift;

const V0: Version = Version::V0;
const V2: Version = Version::V2;

fn ind(i: Indicator) -> IfpPacket {
    IfpPacket::Indicator(i)
}

fn data(data_type: DataType, fields: Vec<Field>) -> IfpPacket {
    IfpPacket::Data { data_type, fields }
}

/// Checks `packet` encodes to `bytes` in `version` and that `bytes` decodes back.
#[track_caller]
fn vector(packet: IfpPacket, version: Version, bytes: &[u8]) {
    assert_eq!(packet.encode(version).unwrap(), bytes, "encoding {packet:?} in {version:?}");
    assert_eq!(IfpPacket::decode(bytes, version).unwrap(), packet, "decoding {bytes:02x?} in {version:?}");
}

#[test]
fn root_indicators_are_one_octet() {
    // Bits: data-field absent (0), t30-indicator (0), no extension (0), 4-bit index,
    // one padding bit: so the octet is the index shifted left once.
    for version in Version::ALL {
        vector(ind(Indicator::NoSignal), version, &[0x00]);
        vector(ind(Indicator::Cng), version, &[0x02]);
        vector(ind(Indicator::Ced), version, &[0x04]);
        vector(ind(Indicator::V21Preamble), version, &[0x06]);
        vector(ind(Indicator::V27_2400Training), version, &[0x08]);
        vector(ind(Indicator::V29_9600Training), version, &[0x0e]);
        vector(ind(Indicator::V17_14400LongTraining), version, &[0x1e]);
    }
}

#[test]
fn extension_indicators_are_two_octets() {
    // 0, 0, extension bit 1, small-number bit 0, 6-bit extension index, padding.
    vector(ind(Indicator::V8Ansam), V2, &[0x20, 0x00]);
    vector(ind(Indicator::V8Signal), V2, &[0x20, 0x40]);
    vector(ind(Indicator::V34CntlChannel1200), V2, &[0x20, 0x80]);
    vector(ind(Indicator::V34PriChannel), Version::V1, &[0x20, 0xc0]);
    vector(ind(Indicator::V34CcRetrain), Version::V3, &[0x21, 0x00]);
    vector(ind(Indicator::V33_14400Training), V2, &[0x21, 0x80]);
    // Version 0 refuses to send them but understands them.
    assert_eq!(ind(Indicator::V8Ansam).encode(V0), Err(Error::NotInVersion { what: "v8-ansam", version: 0 }));
    assert_eq!(IfpPacket::decode(&[0x20, 0x00], V0), Ok(ind(Indicator::V8Ansam)));
}

#[test]
fn data_packets() {
    // No fields: data-field absent (0), data (1), no extension, index, padding.
    vector(data(DataType::V21, vec![]), V2, &[0x40]);
    vector(data(DataType::V17_14400, vec![]), V0, &[0x50]);
    // One HDLC field: 1, 1, 0, 0000, pad | count 1 | present 1, ext 0, 000, pad |
    // length-1 in two octets | data.
    vector(
        IfpPacket::data(DataType::V21, Field::new(FieldType::HdlcData, [0xff, 0x03])),
        V2,
        &[0xc0, 0x01, 0x80, 0x00, 0x01, 0xff, 0x03],
    );
    // In version 0 the field type has no extension bit: 1, 001... shifted one less.
    vector(
        IfpPacket::data(DataType::V21, Field::new(FieldType::HdlcData, [0xff, 0x03])),
        V0,
        &[0xc0, 0x01, 0x80, 0x00, 0x01, 0xff, 0x03],
    );
    vector(
        IfpPacket::data(DataType::V17_14400, Field::new(FieldType::T4NonEcmData, [0xaa])),
        V2,
        &[0xd0, 0x01, 0xb0, 0x00, 0x00, 0xaa],
    );
    vector(
        IfpPacket::data(DataType::V17_14400, Field::new(FieldType::T4NonEcmData, [0xaa])),
        V0,
        &[0xd0, 0x01, 0xe0, 0x00, 0x00, 0xaa],
    );
    vector(IfpPacket::data(DataType::V21, Field::bare(FieldType::HdlcSigEnd)), V2, &[0xc0, 0x01, 0x08]);
    vector(IfpPacket::data(DataType::V21, Field::bare(FieldType::HdlcSigEnd)), V0, &[0xc0, 0x01, 0x10]);
    vector(
        IfpPacket::data(DataType::V29_9600, Field::bare(FieldType::T4NonEcmSigEnd)),
        V2,
        &[0xc8, 0x01, 0x38],
    );
}

#[test]
fn field_alignment_by_version() {
    // fcs-OK then fcs-OK-sig-end, both without data. Version 2: one octet each, as
    // SpanDSP writes and reads them: 0 0 010 pad, 0 0 100 pad.
    let packet =
        data(DataType::V21, vec![Field::bare(FieldType::HdlcFcsOk), Field::bare(FieldType::HdlcFcsOkSigEnd)]);
    vector(packet.clone(), V2, &[0xc0, 0x02, 0x10, 0x20]);
    assert!(!packet.is_portable());
    // Version 0 is packed, as X.691 and SpanDSP's decoder want: 0 010 0 100.
    vector(packet.clone(), V0, &[0xc0, 0x02, 0x24]);
    // SpanDSP's version 0 encoder pads each field; that is read as a fallback.
    assert_eq!(IfpPacket::decode(&[0xc0, 0x02, 0x20, 0x40], V0), Ok(packet.clone()));
    // In version 2 the packed form is the fallback, but where both forms fit the
    // octet-per-field reading wins: this packed encoding of the same packet reads
    // as fcs-OK then a bare hdlc-data.
    assert_eq!(
        IfpPacket::decode(&[0xc0, 0x02, 0x11, 0x00], V2),
        Ok(data(DataType::V21, vec![Field::bare(FieldType::HdlcFcsOk), Field::bare(FieldType::HdlcData)]))
    );
    let packet = data(
        DataType::V21,
        vec![
            Field::new(FieldType::HdlcData, [0x12]),
            Field::bare(FieldType::HdlcFcsOk),
            Field::new(FieldType::HdlcData, [0x34]),
        ],
    );
    vector(packet.clone(), V2, &[0xc0, 0x03, 0x80, 0x00, 0x00, 0x12, 0x10, 0x80, 0x00, 0x00, 0x34]);
    // Packed: the third field's preamble follows the bare field's type bits.
    assert_eq!(
        IfpPacket::decode(&[0xc0, 0x03, 0x80, 0x00, 0x00, 0x12, 0x14, 0x00, 0x00, 0x00, 0x34], V2),
        Ok(packet)
    );
    let portable =
        data(DataType::V21, vec![Field::new(FieldType::HdlcData, [1]), Field::bare(FieldType::HdlcFcsOk)]);
    assert!(portable.is_portable());
}

#[test]
fn extension_data_and_field_types() {
    // V8 data (ext index 0): 1 1 1 0 000000 + padding = e0 00; cm-message with one
    // octet: 1, ext 1, small 0, 000000, padding = c0 00, length-1 = 00 00, data.
    vector(
        IfpPacket::data(DataType::V8, Field::new(FieldType::CmMessage, [0x01])),
        V2,
        &[0xe0, 0x00, 0x01, 0xc0, 0x00, 0x00, 0x00, 0x01],
    );
    // v34rate (ext index 3): 1 1 0 00001 | 1 + padding.
    vector(
        IfpPacket::data(DataType::V34PriRate, Field::new(FieldType::V34Rate, *b"144")),
        Version::V3,
        &[0xe0, 0x40, 0x01, 0xc1, 0x80, 0x00, 0x02, b'1', b'4', b'4'],
    );
    vector(data(DataType::V33_14400, vec![]), V2, &[0x61, 0x40]);
    assert_eq!(
        IfpPacket::data(DataType::V21, Field::bare(FieldType::JmMessage)).encode(V0),
        Err(Error::NotInVersion { what: "jm-message", version: 0 })
    );
}

#[test]
fn decode_errors() {
    assert_eq!(IfpPacket::decode(&[], V2), Err(Error::Truncated));
    assert_eq!(IfpPacket::decode(&[0x80], V2), Err(Error::IndicatorWithData));
    assert_eq!(IfpPacket::decode(&[0x52], V2), Err(Error::UnknownDataType(9)));
    assert_eq!(IfpPacket::decode(&[0x21, 0xc0], V2), Err(Error::UnknownIndicator(23)));
    assert_eq!(IfpPacket::decode(&[0x2f, 0xc0], V2), Err(Error::UnknownIndicator(16 + 63)));
    assert_eq!(IfpPacket::decode(&[0x02, 0x00], V2), Err(Error::TrailingBytes(1)));
    assert_eq!(IfpPacket::decode_prefix(&[0x02, 0x00, 0x00], V2), Ok((ind(Indicator::Cng), 1)));
    assert_eq!(IfpPacket::decode(&[0xc0, 0x01, 0x80, 0x00, 0x05, 0xff], V2), Err(Error::Truncated));
    assert_eq!(IfpPacket::decode(&[0xc0, 0x41, 0x00], V2), Err(Error::TooManyFields(65)));
    assert_eq!(IfpPacket::decode(&[0xc0, 0xc1], V2), Err(Error::Fragmented));
    // A bare field with extension index 20: 0, 1, 0, 01010 | 0.
    assert_eq!(IfpPacket::decode(&[0xc0, 0x01, 0x4a, 0x00], V2), Err(Error::UnknownFieldType(8 + 20)));
    let long = vec![0u8; MAX_PACKET_LEN + 1];
    assert_eq!(IfpPacket::decode(&long, V2), Err(Error::PacketTooLong(MAX_PACKET_LEN + 1)));
}

#[test]
fn encode_limits() {
    let many = data(DataType::V21, vec![Field::bare(FieldType::HdlcFcsOk); MAX_FIELDS + 1]);
    assert_eq!(many.encode(V2), Err(Error::TooManyFields(MAX_FIELDS + 1)));
    let big = IfpPacket::data(DataType::V21, Field::new(FieldType::HdlcData, vec![0; MAX_PACKET_LEN]));
    assert_eq!(big.encode(V2), Err(Error::PacketTooLong(MAX_PACKET_LEN + 5)));
    let mut out = vec![9];
    assert!(big.encode_into(V2, &mut out).is_err());
    assert_eq!(out, [9], "a failed encode leaves the buffer alone");
    let huge =
        IfpPacket::data(DataType::V21, Field::new(FieldType::HdlcData, vec![0; MAX_FIELD_DATA_LEN + 1]));
    assert_eq!(huge.encode(V2), Err(Error::FieldTooLong(MAX_FIELD_DATA_LEN + 1)));
}

#[test]
fn every_value_round_trips_in_every_version() {
    let mut count = 0;
    for version in Version::ALL {
        for &i in Indicator::ALL {
            let packet = ind(i);
            match packet.encode(version) {
                Ok(bytes) => {
                    assert_eq!(IfpPacket::decode(&bytes, version).unwrap(), packet);
                    count += 1;
                }
                Err(e) => assert!(version == V0 && i.is_extension(), "{i:?} {version:?}: {e}"),
            }
        }
        for &dt in DataType::ALL {
            for &ft in FieldType::ALL {
                for payload in [&[][..], &[0x5a][..], &[1, 2, 3, 4, 5][..]] {
                    let packet = IfpPacket::data(dt, Field::new(ft, payload));
                    match packet.encode(version) {
                        Ok(bytes) => {
                            assert_eq!(IfpPacket::decode(&bytes, version).unwrap(), packet);
                            count += 1;
                        }
                        Err(e) => {
                            assert!(
                                version == V0 && (dt.is_extension() || ft.is_extension()),
                                "{packet:?}: {e}"
                            )
                        }
                    }
                }
            }
        }
    }
    assert!(count > 1000);
}

#[test]
fn names_and_indices() {
    assert_eq!(Indicator::ALL.len(), 23);
    assert_eq!(DataType::ALL.len(), 15);
    assert_eq!(FieldType::ALL.len(), 12);
    assert_eq!(Indicator::V8Ansam.index(), 16);
    assert_eq!(Indicator::from_index(22), Some(Indicator::V33_14400Training));
    assert_eq!(Indicator::from_index(23), None);
    assert_eq!(FieldType::V34Rate.asn1_name(), "v34rate");
    assert_eq!(Version::try_from(3), Ok(Version::V3));
    assert_eq!(Version::try_from(4), Err(Error::UnsupportedVersion(4)));
}

/// Random multi-field packets round-trip; random bytes never panic, and whatever
/// decodes re-encodes to something that decodes to the same value.
#[test]
fn pseudo_random_packets_and_bytes() {
    let mut rng = XorShift::new(0x7e57_1f00);
    for _ in 0..3000 {
        let version = Version::ALL[rng.below(4)];
        let packet = if rng.below(4) == 0 {
            ind(Indicator::ALL[rng.below(Indicator::ALL.len())])
        } else {
            let fields = (0..rng.below(6))
                .map(|_| {
                    let len = if rng.below(3) == 0 { 0 } else { rng.below(300) };
                    Field::new(FieldType::ALL[rng.below(12)], rng.bytes(len))
                })
                .collect();
            data(DataType::ALL[rng.below(15)], fields)
        };
        if let Ok(bytes) = packet.encode(version) {
            assert_eq!(IfpPacket::decode(&bytes, version).unwrap(), packet);
            let (prefix, used) =
                IfpPacket::decode_prefix(&[&bytes[..], &[0, 0, 0]].concat(), version).unwrap();
            assert_eq!((prefix, used), (packet, bytes.len()));
        }
    }
    for _ in 0..20000 {
        let len = rng.below(24);
        let bytes = rng.bytes(len);
        let version = Version::ALL[rng.below(4)];
        if let Ok(packet) = IfpPacket::decode(&bytes, version) {
            // Version 0 decodes extension indicators it would refuse to send.
            if let Ok(again) = packet.encode(version) {
                assert_eq!(IfpPacket::decode(&again, version).unwrap(), packet);
            }
        }
    }
}
