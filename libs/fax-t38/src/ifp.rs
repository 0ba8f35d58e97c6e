//! The T.38 Internet Facsimile Protocol (IFP) packet and its ASN.1 PER encoding.
//!
//! # The ASN.1
//!
//! T.38 defines one message, written here in the shape of the recommendation's
//! ASN.1 module (the ellipses are extension markers):
//!
//! ```text
//! IFPPacket ::= SEQUENCE {
//!     type-of-msg  Type-of-msg,
//!     data-field   Data-Field OPTIONAL }
//!
//! Type-of-msg ::= CHOICE {
//!     t30-indicator ENUMERATED { no-signal, cng, ced, v21-preamble,
//!         v27-2400-training, v27-4800-training, v29-7200-training, v29-9600-training,
//!         v17-7200-short-training, v17-7200-long-training, v17-9600-short-training,
//!         v17-9600-long-training, v17-12000-short-training, v17-12000-long-training,
//!         v17-14400-short-training, v17-14400-long-training, ...,
//!         v8-ansam, v8-signal, v34-cntl-channel-1200, v34-pri-channel,
//!         v34-CC-retrain, v33-12000-training, v33-14400-training },
//!     data ENUMERATED { v21, v27-2400, v27-4800, v29-7200, v29-9600, v17-7200,
//!         v17-9600, v17-12000, v17-14400, ...,
//!         v8, v34-pri-rate, v34-CC-1200, v34-pri-ch, v33-12000, v33-14400 } }
//!
//! Data-Field ::= SEQUENCE OF SEQUENCE {
//!     field-type ENUMERATED { hdlc-data, hdlc-sig-end, hdlc-fcs-OK, hdlc-fcs-BAD,
//!         hdlc-fcs-OK-sig-end, hdlc-fcs-BAD-sig-end, t4-non-ecm-data,
//!         t4-non-ecm-sig-end, ...,
//!         cm-message, jm-message, ci-message, v34rate },
//!     field-data OCTET STRING (SIZE (1..65535)) OPTIONAL }
//! ```
//!
//! # The PER form
//!
//! Every deployed T.38 stack (SpanDSP and so Asterisk and FreeSWITCH, Cisco and the
//! other gateway vendors) encodes this with the ALIGNED variant of the Packed
//! Encoding Rules (X.691), and so does this module. Bit by bit:
//!
//! 1. One preamble bit: is `data-field` present.
//! 2. One bit for the `Type-of-msg` choice: 0 for `t30-indicator`, 1 for `data`. The
//!    choice has no extension marker, so there is no extension bit before it.
//! 3. The enumerated value. Because both enumerations are extensible, an extension
//!    bit comes first. With the bit clear, the value is a root index in the fewest
//!    bits that hold the root: 4 bits for the 16 root indicators and for the 9 root
//!    data types. With the bit set, the index into the extension additions follows
//!    as a "normally small non-negative whole number": one 0 bit and 6 bits.
//! 4. Padding to the octet boundary. An indicator packet therefore is one octet,
//!    `index << 1` (CNG is `0x02`), or two octets for the extension indicators
//!    (`0x20 | index >> 2`, `(index & 3) << 6`; V8-ANSAM is `20 00`).
//! 5. For data packets with fields: the number of fields as an unconstrained length
//!    determinant (one octet below 128), then each field: a preamble bit (is
//!    `field-data` present), the field type (extension bit and 3 bits, or extension
//!    bit, 0 and 6 bits), and if data is present, padding to the octet, the length
//!    minus one in two octets (a constrained whole number with a range above 255 is
//!    two aligned octets), and the octets themselves; in versions 1 to 3 then
//!    padding to the octet (see below). So `hdlc-data` with two octets in a V.21 packet is
//!    `c0 01 80 00 01 xx yy`, and a bare `hdlc-fcs-OK` field is the one octet `10`.
//!
//! # Where practice departs from X.691
//!
//! Two details of SpanDSP's encoding (and so of Asterisk's and FreeSWITCH's, which
//! use SpanDSP) differ from a literal reading of X.691. Both were measured against
//! Debian's libspandsp 0.0.6 by the `spandsp-peer` interop tests.
//!
//! - **Field alignment.** X.691 pads only before the length of `field-data`, so
//!   a field without data (such as `hdlc-fcs-OK`) followed by another field leaves
//!   the next field's bits in the same octet. In versions 1 to 3, SpanDSP instead
//!   pads every field to a whole octet, and decodes only that form: given the
//!   packed form it silently reads the wrong field types. In version 0, SpanDSP
//!   decodes the packed X.691 form (two 4-bit bare fields share an octet) but
//!   encodes octet-per-field, which its own decoder then rejects. This module
//!   encodes what SpanDSP decodes: octet-per-field in versions 1 to 3 (byte for
//!   byte what SpanDSP sends) and packed in version 0 (what X.691 and SpanDSP's
//!   decoder expect). When decoding it tries that same form first and falls back
//!   to the other if the first does not fill the packet exactly, so packets from
//!   strict ASN.1 encoders and from SpanDSP's version 0 encoder are read too. The
//!   two forms only differ when a field without data is followed by another field,
//!   and some such packets decode either way (with different meanings). A sender
//!   that wants every peer to read it alike therefore never puts a field without
//!   data before another field: [`IfpPacket::is_portable`] tells, and the HDLC
//!   end-of-frame field can always close a packet instead.
//! - **Extension field types.** For `field-type` extension additions, SpanDSP
//!   0.0.6 shifts the 6-bit extension index one bit to the right (it lays the bits
//!   out as for an indicator, which has one more leading bit). For `cm-message`
//!   (index 0) the result is the same; for `jm-message`, `ci-message` and
//!   `v34rate` it is not, and X.691 decoders read them as other types. These four
//!   types carry V.8/V.34 signalling, which SpanDSP 0.0.6 does not implement, so
//!   this module follows X.691 for them and the interop tests pin the difference.
//!
//! # Version 0
//!
//! T.38 version 0 is the 1998 recommendation. Its ASN.1 had extension markers on
//! the two `Type-of-msg` enumerations but not on `field-type`, so in version 0 the
//! field type is three bits with no extension bit in front. The later field types
//! (`cm-message`, `jm-message`, `ci-message`, `v34rate`) and all extension
//! indicators and data types do not exist in version 0: [`IfpPacket::encode`]
//! refuses them there rather than send something a 1998 peer cannot understand.
//! Decoding in version 0 still accepts extension indicators and data types, since
//! their bits mean the same in every version. Versions 1, 2 and 3 share one
//! encoding; the extension values are accepted in all of them.
//!
//! # Limits
//!
//! Decoding rejects packets longer than [`MAX_PACKET_LEN`] octets and more than
//! [`MAX_FIELDS`] fields; a field's data is at most 65535 octets by the ASN.1 and in
//! practice far less, as the packet limit bounds it. Every length is checked
//! against the remaining input before anything is allocated, so the allocation of
//! a decode never exceeds the size of its input. No input makes decoding panic.

use crate::Error;
use crate::per::{BitReader, BitWriter};

/// The longest IFP packet accepted or produced, in octets.
///
/// T.38 packets rarely exceed a few hundred octets, because gateways advertise
/// `T38FaxMaxDatagram` values of roughly 200 to 1500 octets for the whole UDPTL
/// datagram; 4096 leaves room for any peer seen in practice while keeping the
/// receiver's buffered memory bounded.
pub const MAX_PACKET_LEN: usize = 4096;

/// The most fields one IFP data packet may carry. Real senders put at most a
/// handful of fields (for example HDLC data, FCS-OK, more data, FCS-OK-sig-end)
/// in one packet.
pub const MAX_FIELDS: usize = 64;

/// The longest field data the ASN.1 allows (`SIZE (1..65535)`).
pub const MAX_FIELD_DATA_LEN: usize = 65535;

/// A negotiated T.38 version (the SDP `T38FaxVersion` attribute).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Version {
    /// T.38 (1998): no extension bit on `field-type`.
    V0,
    /// T.38 version 1.
    V1,
    /// T.38 version 2.
    V2,
    /// T.38 version 3.
    V3,
}

impl Version {
    /// Every version, oldest first.
    pub const ALL: [Version; 4] = [Version::V0, Version::V1, Version::V2, Version::V3];

    /// The version number as written in SDP.
    pub fn number(self) -> u8 {
        self as u8
    }
}

impl TryFrom<u8> for Version {
    type Error = Error;

    fn try_from(value: u8) -> Result<Self, Error> {
        Version::ALL.get(usize::from(value)).copied().ok_or(Error::UnsupportedVersion(value))
    }
}

/// Implements the index mapping shared by the three enumerations: the position of a
/// value in the ASN.1 (root values first, then extension additions in order).
macro_rules! asn1_enum {
    ($(#[$meta:meta])* $name:ident, root = $root:expr, unknown = $unknown:ident, {
        $($(#[$vmeta:meta])* $variant:ident = $asn:literal,)*
    }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
        }

        impl $name {
            /// Every value, in ASN.1 order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// How many values belong to the root of the ASN.1 enumeration (the ones
            /// before the extension marker).
            pub const ROOT_COUNT: u8 = $root;

            /// The value's position in the ASN.1 enumeration: root values from 0,
            /// extension additions continuing after them. SpanDSP numbers its
            /// `T38_*` constants the same way.
            pub fn index(self) -> u8 {
                self as u8
            }

            /// The value at `index` (see [`Self::index`]).
            pub fn from_index(index: u8) -> Option<Self> {
                Self::ALL.get(usize::from(index)).copied()
            }

            /// Whether the value is an extension addition, unknown to T.38 version 0.
            pub fn is_extension(self) -> bool {
                self.index() >= Self::ROOT_COUNT
            }

            /// The value's name in the T.38 ASN.1.
            pub fn asn1_name(self) -> &'static str {
                match self {
                    $($name::$variant => $asn,)*
                }
            }

            fn from_extension(index: u16) -> Result<Self, Error> {
                u8::try_from(index)
                    .ok()
                    .and_then(|i| i.checked_add(Self::ROOT_COUNT))
                    .and_then(Self::from_index)
                    .ok_or(Error::$unknown(index.saturating_add(u16::from(Self::ROOT_COUNT))))
            }
        }
    };
}

asn1_enum! {
    /// A T.30 indicator: a signal or modem training that the sending gateway or
    /// terminal has begun to see or produce.
    Indicator, root = 16, unknown = UnknownIndicator, {
        /// Silence: no signal.
        NoSignal = "no-signal",
        /// The calling tone (1100 Hz).
        Cng = "cng",
        /// The called terminal identification tone (2100 Hz).
        Ced = "ced",
        /// V.21 channel 2 flags before an HDLC frame.
        V21Preamble = "v21-preamble",
        /// V.27ter 2400 bit/s training.
        V27_2400Training = "v27-2400-training",
        /// V.27ter 4800 bit/s training.
        V27_4800Training = "v27-4800-training",
        /// V.29 7200 bit/s training.
        V29_7200Training = "v29-7200-training",
        /// V.29 9600 bit/s training.
        V29_9600Training = "v29-9600-training",
        /// V.17 7200 bit/s short training.
        V17_7200ShortTraining = "v17-7200-short-training",
        /// V.17 7200 bit/s long training.
        V17_7200LongTraining = "v17-7200-long-training",
        /// V.17 9600 bit/s short training.
        V17_9600ShortTraining = "v17-9600-short-training",
        /// V.17 9600 bit/s long training.
        V17_9600LongTraining = "v17-9600-long-training",
        /// V.17 12000 bit/s short training.
        V17_12000ShortTraining = "v17-12000-short-training",
        /// V.17 12000 bit/s long training.
        V17_12000LongTraining = "v17-12000-long-training",
        /// V.17 14400 bit/s short training.
        V17_14400ShortTraining = "v17-14400-short-training",
        /// V.17 14400 bit/s long training.
        V17_14400LongTraining = "v17-14400-long-training",
        /// V.8 ANSam (extension).
        V8Ansam = "v8-ansam",
        /// A V.8 signal such as CM or JM (extension).
        V8Signal = "v8-signal",
        /// V.34 control channel at 1200 bit/s (extension).
        V34CntlChannel1200 = "v34-cntl-channel-1200",
        /// V.34 primary channel (extension).
        V34PriChannel = "v34-pri-channel",
        /// V.34 control channel retrain (extension).
        V34CcRetrain = "v34-CC-retrain",
        /// V.33 12000 bit/s training (extension).
        V33_12000Training = "v33-12000-training",
        /// V.33 14400 bit/s training (extension).
        V33_14400Training = "v33-14400-training",
    }
}

asn1_enum! {
    /// The modulation a T.30 data packet was (or is to be) carried by.
    DataType, root = 9, unknown = UnknownDataType, {
        /// V.21 channel 2, 300 bit/s: T.30 control frames.
        V21 = "v21",
        /// V.27ter 2400 bit/s.
        V27_2400 = "v27-2400",
        /// V.27ter 4800 bit/s.
        V27_4800 = "v27-4800",
        /// V.29 7200 bit/s.
        V29_7200 = "v29-7200",
        /// V.29 9600 bit/s.
        V29_9600 = "v29-9600",
        /// V.17 7200 bit/s.
        V17_7200 = "v17-7200",
        /// V.17 9600 bit/s.
        V17_9600 = "v17-9600",
        /// V.17 12000 bit/s.
        V17_12000 = "v17-12000",
        /// V.17 14400 bit/s.
        V17_14400 = "v17-14400",
        /// V.8 (extension).
        V8 = "v8",
        /// V.34 primary channel rate (extension).
        V34PriRate = "v34-pri-rate",
        /// V.34 control channel at 1200 bit/s (extension).
        V34Cc1200 = "v34-CC-1200",
        /// V.34 primary channel (extension).
        V34PriCh = "v34-pri-ch",
        /// V.33 12000 bit/s (extension).
        V33_12000 = "v33-12000",
        /// V.33 14400 bit/s (extension).
        V33_14400 = "v33-14400",
    }
}

asn1_enum! {
    /// What one field of a data packet carries.
    FieldType, root = 8, unknown = UnknownFieldType, {
        /// HDLC frame octets (ECM and control frames).
        HdlcData = "hdlc-data",
        /// The HDLC signal ended (carrier lost) without a frame end.
        HdlcSigEnd = "hdlc-sig-end",
        /// The frame ended and its FCS was good.
        HdlcFcsOk = "hdlc-fcs-OK",
        /// The frame ended and its FCS was bad.
        HdlcFcsBad = "hdlc-fcs-BAD",
        /// The frame ended with a good FCS and the signal ended.
        HdlcFcsOkSigEnd = "hdlc-fcs-OK-sig-end",
        /// The frame ended with a bad FCS and the signal ended.
        HdlcFcsBadSigEnd = "hdlc-fcs-BAD-sig-end",
        /// Non-ECM T.4 image data (or TCF).
        T4NonEcmData = "t4-non-ecm-data",
        /// Non-ECM image data ended.
        T4NonEcmSigEnd = "t4-non-ecm-sig-end",
        /// A V.8 CM message (extension; not in version 0).
        CmMessage = "cm-message",
        /// A V.8 JM message (extension; not in version 0).
        JmMessage = "jm-message",
        /// A V.8 CI message (extension; not in version 0).
        CiMessage = "ci-message",
        /// The V.34 data rate (extension; not in version 0).
        V34Rate = "v34rate",
    }
}

/// One element of an IFP `data-field`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Field {
    /// The field type.
    pub kind: FieldType,
    /// The field data; empty means the optional `field-data` is absent (the ASN.1
    /// does not allow a present but empty one).
    pub data: Vec<u8>,
}

impl Field {
    /// A field with data.
    pub fn new(kind: FieldType, data: impl Into<Vec<u8>>) -> Self {
        Self { kind, data: data.into() }
    }

    /// A field without data, such as `hdlc-fcs-OK`.
    pub fn bare(kind: FieldType) -> Self {
        Self { kind, data: Vec::new() }
    }
}

/// A decoded T.38 IFP packet.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum IfpPacket {
    /// A `t30-indicator` packet.
    Indicator(Indicator),
    /// A `data` packet; an empty `fields` list is encoded with `data-field` absent.
    Data {
        /// The modulation.
        data_type: DataType,
        /// The fields, in order.
        fields: Vec<Field>,
    },
}

impl IfpPacket {
    /// A data packet with one field.
    pub fn data(data_type: DataType, field: Field) -> Self {
        IfpPacket::Data { data_type, fields: vec![field] }
    }

    /// Encodes the packet for a peer that negotiated `version`.
    pub fn encode(&self, version: Version) -> Result<Vec<u8>, Error> {
        let mut out = Vec::new();
        self.encode_into(version, &mut out)?;
        Ok(out)
    }

    /// Appends the encoding to `out`; on error `out` is left as it was.
    pub fn encode_into(&self, version: Version, out: &mut Vec<u8>) -> Result<(), Error> {
        let start = out.len();
        let result = self.write(version, out);
        match result {
            Ok(()) if out.len() - start <= MAX_PACKET_LEN => Ok(()),
            Ok(()) => {
                let len = out.len() - start;
                out.truncate(start);
                Err(Error::PacketTooLong(len))
            }
            Err(e) => {
                out.truncate(start);
                Err(e)
            }
        }
    }

    fn write(&self, version: Version, out: &mut Vec<u8>) -> Result<(), Error> {
        let mut w = BitWriter::new(out);
        match self {
            IfpPacket::Indicator(indicator) => {
                w.bits(0, 1); // data-field absent
                w.bits(0, 1); // t30-indicator
                write_enum(
                    &mut w,
                    version,
                    indicator.index(),
                    Indicator::ROOT_COUNT,
                    4,
                    indicator.asn1_name(),
                )?;
            }
            IfpPacket::Data { data_type, fields } => {
                if fields.len() > MAX_FIELDS {
                    return Err(Error::TooManyFields(fields.len()));
                }
                w.bits(u16::from(!fields.is_empty()), 1);
                w.bits(1, 1); // data
                write_enum(
                    &mut w,
                    version,
                    data_type.index(),
                    DataType::ROOT_COUNT,
                    4,
                    data_type.asn1_name(),
                )?;
                if !fields.is_empty() {
                    w.length(fields.len())?;
                    let (layout, _) = FieldLayout::for_version(version);
                    for field in fields {
                        write_field(&mut w, version, field)?;
                        if layout == FieldLayout::OctetPerField {
                            w.align();
                        }
                    }
                }
            }
        }
        w.align();
        Ok(())
    }

    /// Decodes exactly one packet that fills `bytes`, as received from a peer that
    /// negotiated `version`. Fields are read in the form this module writes for
    /// `version` first, then in the other (see the module documentation).
    pub fn decode(bytes: &[u8], version: Version) -> Result<IfpPacket, Error> {
        if bytes.len() > MAX_PACKET_LEN {
            return Err(Error::PacketTooLong(bytes.len()));
        }
        let exact = |layout| {
            let (packet, used) = Self::decode_layout(bytes, version, layout)?;
            if used == bytes.len() { Ok(packet) } else { Err(Error::TrailingBytes(bytes.len() - used)) }
        };
        let (first, second) = FieldLayout::for_version(version);
        exact(first).or_else(|error| exact(second).map_err(|_| error))
    }

    /// Decodes one packet from the start of `bytes` and returns it with the number
    /// of octets it occupied. UDPTL forward error correction recovers packets
    /// padded with zeros to the longest packet of their group; this finds where the
    /// real packet ends.
    pub fn decode_prefix(bytes: &[u8], version: Version) -> Result<(IfpPacket, usize), Error> {
        let (first, second) = FieldLayout::for_version(version);
        Self::decode_layout(bytes, version, first)
            .or_else(|error| Self::decode_layout(bytes, version, second).map_err(|_| error))
    }

    fn decode_layout(
        bytes: &[u8],
        version: Version,
        layout: FieldLayout,
    ) -> Result<(IfpPacket, usize), Error> {
        let limited = &bytes[..bytes.len().min(MAX_PACKET_LEN)];
        let mut r = BitReader::new(limited);
        match Self::read(&mut r, version, layout) {
            // A packet that ran into the length cap was longer than allowed, not cut.
            Err(Error::Truncated) if bytes.len() > MAX_PACKET_LEN => Err(Error::PacketTooLong(bytes.len())),
            Err(e) => Err(e),
            Ok(packet) => Ok((packet, r.consumed())),
        }
    }

    /// Whether every T.38 implementation reads this packet alike: true unless a
    /// field without data comes before another field (see the module
    /// documentation on field alignment).
    pub fn is_portable(&self) -> bool {
        match self {
            IfpPacket::Indicator(_) => true,
            IfpPacket::Data { fields, .. } => {
                fields.split_last().is_none_or(|(_, rest)| rest.iter().all(|f| !f.data.is_empty()))
            }
        }
    }

    fn read(r: &mut BitReader<'_>, version: Version, layout: FieldLayout) -> Result<IfpPacket, Error> {
        let has_data = r.flag()?;
        let is_data = r.flag()?;
        if !is_data {
            let index = read_enum(r, 4)?;
            let indicator = match index {
                EnumIndex::Root(i) => Indicator::from_index(i as u8).ok_or(Error::UnknownIndicator(i))?,
                EnumIndex::Extension(i) => Indicator::from_extension(i)?,
            };
            if has_data {
                return Err(Error::IndicatorWithData);
            }
            r.align();
            return Ok(IfpPacket::Indicator(indicator));
        }
        let data_type = match read_enum(r, 4)? {
            // Root values 9 to 15 fit in the 4 bits but are not in the enumeration.
            EnumIndex::Root(i) => DataType::from_index(i as u8)
                .filter(|t| !t.is_extension())
                .ok_or(Error::UnknownDataType(i))?,
            EnumIndex::Extension(i) => DataType::from_extension(i)?,
        };
        let mut fields = Vec::new();
        if has_data {
            let count = r.length()?;
            if count > MAX_FIELDS {
                return Err(Error::TooManyFields(count));
            }
            fields.reserve(count);
            for _ in 0..count {
                fields.push(read_field(r, version)?);
                if layout == FieldLayout::OctetPerField {
                    r.align();
                }
            }
        }
        r.align();
        Ok(IfpPacket::Data { data_type, fields })
    }
}

/// Writes an extensible enumeration value: extension bit, then either the root
/// index in `root_bits` bits or the extension index as a normally small number.
fn write_enum(
    w: &mut BitWriter<'_>,
    version: Version,
    index: u8,
    root_count: u8,
    root_bits: u8,
    name: &'static str,
) -> Result<(), Error> {
    if index < root_count {
        w.bits(0, 1);
        w.bits(u16::from(index), root_bits);
    } else {
        if version == Version::V0 {
            return Err(Error::NotInVersion { what: name, version: 0 });
        }
        w.bits(1, 1);
        write_small(w, index - root_count);
    }
    Ok(())
}

/// Writes a normally small non-negative whole number below 64 (X.691 10.6.1): a 0
/// bit and six bits. All T.38 extension indices are far below 64.
fn write_small(w: &mut BitWriter<'_>, value: u8) {
    debug_assert!(value < 64);
    w.bits(0, 1);
    w.bits(u16::from(value), 6);
}

fn write_field(w: &mut BitWriter<'_>, version: Version, field: &Field) -> Result<(), Error> {
    if field.data.len() > MAX_FIELD_DATA_LEN {
        return Err(Error::FieldTooLong(field.data.len()));
    }
    let present = !field.data.is_empty();
    w.bits(u16::from(present), 1);
    let index = field.kind.index();
    if version == Version::V0 {
        // The 1998 ASN.1 had no extension marker on field-type.
        if field.kind.is_extension() {
            return Err(Error::NotInVersion { what: field.kind.asn1_name(), version: 0 });
        }
        w.bits(u16::from(index), 3);
    } else {
        write_enum(w, version, index, FieldType::ROOT_COUNT, 3, field.kind.asn1_name())?;
    }
    if present {
        w.align();
        w.bits((field.data.len() - 1) as u16, 16);
        w.octets(&field.data);
    }
    Ok(())
}

/// How the fields of a data packet are laid out (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FieldLayout {
    /// Each field padded to an octet boundary, as SpanDSP writes and reads them.
    OctetPerField,
    /// Fields without data not padded, as X.691 literally requires.
    Packed,
}

impl FieldLayout {
    /// The layout written for `version` and tried first when reading, then the
    /// fallback.
    fn for_version(version: Version) -> (FieldLayout, FieldLayout) {
        if version == Version::V0 {
            (FieldLayout::Packed, FieldLayout::OctetPerField)
        } else {
            (FieldLayout::OctetPerField, FieldLayout::Packed)
        }
    }
}

/// An enumeration value as read: a root index or an extension index.
enum EnumIndex {
    Root(u16),
    Extension(u16),
}

fn read_enum(r: &mut BitReader<'_>, root_bits: u8) -> Result<EnumIndex, Error> {
    if r.flag()? { Ok(EnumIndex::Extension(read_small(r)?)) } else { Ok(EnumIndex::Root(r.bits(root_bits)?)) }
}

/// Reads a normally small non-negative whole number. Values of 64 and above are
/// read (so the error can name them) but can never be a known extension.
fn read_small(r: &mut BitReader<'_>) -> Result<u16, Error> {
    if !r.flag()? {
        return r.bits(6);
    }
    // A semi-constrained whole number: a length determinant and that many octets.
    let len = r.length()?;
    let octets = r.octets(len)?;
    Ok(match octets {
        [b] => u16::from(*b),
        [a, b] => u16::from_be_bytes([*a, *b]),
        _ => u16::MAX,
    })
}

fn read_field(r: &mut BitReader<'_>, version: Version) -> Result<Field, Error> {
    let present = r.flag()?;
    let kind = if version == Version::V0 {
        let index = r.bits(3)?;
        FieldType::from_index(index as u8).ok_or(Error::UnknownFieldType(index))?
    } else {
        match read_enum(r, 3)? {
            EnumIndex::Root(i) => FieldType::from_index(i as u8).ok_or(Error::UnknownFieldType(i))?,
            EnumIndex::Extension(i) => FieldType::from_extension(i)?,
        }
    };
    let data = if present {
        r.align();
        let len = usize::from(r.bits(16)?) + 1;
        r.octets(len)?.to_vec()
    } else {
        Vec::new()
    };
    Ok(Field { kind, data })
}

#[cfg(test)]
mod tests;
