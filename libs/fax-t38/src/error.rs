//! The crate's one error type.

/// Everything that can go wrong encoding or decoding T.38 IFP and UDPTL packets, or
/// configuring the UDPTL sender and receiver.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input ended before the packet did.
    #[error("packet truncated")]
    Truncated,
    /// Bytes followed a complete packet where none may.
    #[error("{0} unexpected bytes after the end of the packet")]
    TrailingBytes(usize),
    /// A length determinant used PER fragmentation (16384 or more), which no T.38
    /// message needs.
    #[error("fragmented PER length determinant")]
    Fragmented,
    /// A length too large for a single PER length determinant was to be encoded.
    #[error("length {0} needs PER fragmentation")]
    LengthTooLarge(usize),
    /// The T.38 version is not 0, 1, 2 or 3.
    #[error("unsupported T.38 version {0}")]
    UnsupportedVersion(u8),
    /// An indicator this implementation does not know, by its position in the ASN.1
    /// enumeration (root values first, then extension additions).
    #[error("unknown T.38 indicator (ASN.1 position {0})")]
    UnknownIndicator(u16),
    /// A data type this implementation does not know, by its ASN.1 position.
    #[error("unknown T.38 data type (ASN.1 position {0})")]
    UnknownDataType(u16),
    /// A field type this implementation does not know, by its ASN.1 position.
    #[error("unknown T.38 field type (ASN.1 position {0})")]
    UnknownFieldType(u16),
    /// The value was added to T.38 after the given version and cannot be sent to a
    /// peer that negotiated it.
    #[error("{what} does not exist in T.38 version {version}")]
    NotInVersion {
        /// The value's T.38 name.
        what: &'static str,
        /// The negotiated T.38 version.
        version: u8,
    },
    /// An indicator packet carried a data-field, which T.38 reserves for data packets.
    #[error("indicator packet carries a data field")]
    IndicatorWithData,
    /// More fields in one IFP packet than [`crate::ifp::MAX_FIELDS`].
    #[error("{0} fields in one IFP packet (limit {limit})", limit = crate::ifp::MAX_FIELDS)]
    TooManyFields(usize),
    /// A field's data is longer than the 65535 octets the ASN.1 allows.
    #[error("field data of {0} octets (limit 65535)")]
    FieldTooLong(usize),
    /// An IFP packet longer than [`crate::ifp::MAX_PACKET_LEN`].
    #[error("IFP packet of {0} octets (limit {limit})", limit = crate::ifp::MAX_PACKET_LEN)]
    PacketTooLong(usize),
    /// A UDPTL datagram longer than allowed (by [`crate::udptl::MAX_DATAGRAM_LEN`] or
    /// the sender's configured maximum).
    #[error("UDPTL datagram of {len} octets (limit {limit})")]
    DatagramTooLong {
        /// The datagram's length.
        len: usize,
        /// The limit it broke.
        limit: usize,
    },
    /// More secondary packets or FEC parity entries in one datagram than
    /// [`crate::udptl::MAX_RECOVERY_PACKETS`].
    #[error("{0} secondary packets or parity entries in one datagram (limit {limit})", limit = crate::udptl::MAX_RECOVERY_PACKETS)]
    TooManyRecoveryPackets(usize),
    /// An `fec-npackets` value that is negative or too large to mean anything.
    #[error("invalid fec-npackets value")]
    InvalidFecSpan,
    /// A sender or receiver setting out of its documented range.
    #[error("invalid configuration: {0}")]
    InvalidConfig(&'static str),
}
