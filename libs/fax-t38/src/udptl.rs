//! UDPTL: the transport T.38 uses over UDP, with redundancy or forward error
//! correction against lost datagrams.
//!
//! # The ASN.1
//!
//! ```text
//! UDPTLPacket ::= SEQUENCE {
//!     seq-number          INTEGER (0..65535),
//!     primary-ifp-packet  TYPE-IDENTIFIER.&Type(IFPPacket),
//!     error-recovery      CHOICE {
//!         secondary-ifp-packets  SEQUENCE OF TYPE-IDENTIFIER.&Type(IFPPacket),
//!         fec-info               SEQUENCE {
//!             fec-npackets  INTEGER,
//!             fec-data      SEQUENCE OF OCTET STRING } } }
//! ```
//!
//! # The PER form (ALIGNED)
//!
//! - `seq-number`: two octets, big-endian (a constrained whole number with a range
//!   of 65536 is two aligned octets).
//! - `primary-ifp-packet`: an open type, so the IFP packet's complete encoding
//!   preceded by an unconstrained length determinant (one octet below 128, two
//!   octets `10xxxxxx xxxxxxxx` below 16384).
//! - `error-recovery`: one choice bit (no extension marker), then padding to the
//!   octet because every alternative starts with a length determinant. The octet
//!   is therefore `0x00` for redundancy and `0x80` for FEC.
//! - Redundancy: the number of secondary packets as a length determinant, then each
//!   as an open type like the primary.
//! - FEC: `fec-npackets` as an unconstrained INTEGER (a length determinant and the
//!   minimal two's complement octets, so `01 03` for 3), the number of parity
//!   entries as a length determinant, and each entry as a length and octets.
//!
//! # Redundancy
//!
//! A datagram with sequence number `n` carries IFP packet `n` as the primary and,
//! as secondaries, packets `n-1`, `n-2`, … newest first. A receiver that missed
//! `n-1` takes it from the next datagram. Deployed endpoints usually carry a
//! small, fixed number of secondaries (one to three is the common range) and
//! often more for the short but critical indicator and control packets than for
//! image data, because image packets are the large ones and the datagram must stay
//! within the far end's `T38FaxMaxDatagram`.
//!
//! # Forward error correction
//!
//! With FEC, a datagram with sequence number `n`, `fec-npackets` = `span` and
//! `entries` parity entries protects the `span × entries` packets before it,
//! `n - span·entries` up to `n - 1`. They are interleaved: entry `m` (counting from
//! 0) is the exclusive-or of the `span` packets `n - span·entries + m + k·entries`
//! for `k` in `0..span`, each zero-padded to the longest of them. So consecutive
//! packets fall into different entries, and a burst of up to `entries` lost
//! packets costs each entry at most one packet, which the exclusive-or of the entry
//! with the other `span - 1` packets restores. A restored packet carries the zero
//! padding; the IFP encoding is self-delimiting, so the receiver finds its real end
//! with [`crate::ifp::IfpPacket::decode_prefix`]. This is the scheme UDPTL
//! implementations interoperate on; T.38 itself defines only the message.
//!
//! Senders start an FEC stream gradually, protecting only packets that exist:
//! while fewer than `span` packets have been sent no entries are sent, and until
//! `span × entries` have been sent the number of entries grows as history allows.
//!
//! # Limits
//!
//! Datagrams are at most [`MAX_DATAGRAM_LEN`] octets (the largest UDP payload);
//! every IFP packet and parity entry in them at most
//! [`crate::ifp::MAX_PACKET_LEN`]; at most [`MAX_RECOVERY_PACKETS`] secondaries or
//! parity entries; `fec-npackets` at most [`MAX_FEC_SPAN`]. Decoding allocates no
//! more than its input's size.

use crate::Error;
use crate::ifp::MAX_PACKET_LEN;
use crate::per::{BitReader, BitWriter};

/// The longest datagram decoded or encoded: the largest UDP payload over IPv4.
pub const MAX_DATAGRAM_LEN: usize = 65507;

/// The most secondary IFP packets or FEC parity entries one datagram may carry.
pub const MAX_RECOVERY_PACKETS: usize = 64;

/// The largest `fec-npackets` (span) accepted. Spans in use are small (2 to 4);
/// larger spans make each parity entry protect more packets and so fail more often.
pub const MAX_FEC_SPAN: u32 = 64;

/// One UDPTL datagram, with the IFP packets still encoded (their encoding depends
/// on the negotiated T.38 version, which UDPTL does not know).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UdptlPacket {
    /// The sequence number of the primary IFP packet.
    pub seq: u16,
    /// The primary IFP packet's encoding.
    pub primary: Vec<u8>,
    /// The redundancy or FEC data protecting earlier packets.
    pub recovery: Recovery,
}

/// The `error-recovery` choice.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Recovery {
    /// `secondary-ifp-packets`: the encodings of packets `seq-1`, `seq-2`, …,
    /// newest first. May be empty.
    Redundancy(Vec<Vec<u8>>),
    /// `fec-info`.
    Fec(FecInfo),
}

/// The `fec-info` alternative: parity over the packets before this one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FecInfo {
    /// `fec-npackets`: how many packets each parity entry covers.
    pub span: u32,
    /// `fec-data`: the parity entries.
    pub entries: Vec<Vec<u8>>,
}

impl FecInfo {
    /// The sequence numbers parity entry `entry` covers in a datagram numbered
    /// `seq`: `seq - span·entries + entry + k·entries` for `k` in `0..span`, oldest
    /// first. Arithmetic wraps at 65536 like the sequence numbers.
    pub fn covered(&self, seq: u16, entry: usize) -> impl Iterator<Item = u16> + use<> {
        let stride = self.entries.len() as u32;
        let span = self.span.min(MAX_FEC_SPAN);
        let first = u32::from(seq).wrapping_sub(span * stride).wrapping_add(entry as u32);
        (0..span).map(move |k| first.wrapping_add(k * stride) as u16)
    }
}

impl UdptlPacket {
    /// Encodes the datagram.
    pub fn encode(&self) -> Result<Vec<u8>, Error> {
        let mut out = Vec::new();
        self.encode_into(&mut out)?;
        Ok(out)
    }

    /// Appends the datagram's encoding to `out`; on error `out` is left as it was.
    pub fn encode_into(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        let start = out.len();
        let result = self.write(out);
        let len = out.len() - start;
        match result {
            Ok(()) if len <= MAX_DATAGRAM_LEN => Ok(()),
            Ok(()) => {
                out.truncate(start);
                Err(Error::DatagramTooLong { len, limit: MAX_DATAGRAM_LEN })
            }
            Err(e) => {
                out.truncate(start);
                Err(e)
            }
        }
    }

    fn write(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        let mut w = BitWriter::new(out);
        w.bits(self.seq, 16);
        write_open(&mut w, &self.primary)?;
        match &self.recovery {
            Recovery::Redundancy(packets) => {
                if packets.len() > MAX_RECOVERY_PACKETS {
                    return Err(Error::TooManyRecoveryPackets(packets.len()));
                }
                w.bits(0, 1);
                w.length(packets.len())?;
                for packet in packets {
                    write_open(&mut w, packet)?;
                }
            }
            Recovery::Fec(fec) => {
                if fec.entries.len() > MAX_RECOVERY_PACKETS {
                    return Err(Error::TooManyRecoveryPackets(fec.entries.len()));
                }
                if fec.span > MAX_FEC_SPAN {
                    return Err(Error::InvalidFecSpan);
                }
                w.bits(1, 1);
                write_integer(&mut w, fec.span)?;
                w.length(fec.entries.len())?;
                for entry in &fec.entries {
                    write_open(&mut w, entry)?;
                }
            }
        }
        Ok(())
    }

    /// Decodes one datagram.
    pub fn decode(bytes: &[u8]) -> Result<UdptlPacket, Error> {
        if bytes.len() > MAX_DATAGRAM_LEN {
            return Err(Error::DatagramTooLong { len: bytes.len(), limit: MAX_DATAGRAM_LEN });
        }
        let mut r = BitReader::new(bytes);
        let seq = r.bits(16)?;
        let primary = read_open(&mut r)?.to_vec();
        let recovery = if r.flag()? {
            let span = read_integer(&mut r)?;
            if span > MAX_FEC_SPAN {
                return Err(Error::InvalidFecSpan);
            }
            Recovery::Fec(FecInfo { span, entries: read_list(&mut r)? })
        } else {
            Recovery::Redundancy(read_list(&mut r)?)
        };
        let used = r.consumed();
        if used != bytes.len() {
            return Err(Error::TrailingBytes(bytes.len() - used));
        }
        Ok(UdptlPacket { seq, primary, recovery })
    }
}

/// Writes an open type or an unconstrained OCTET STRING: both are a length
/// determinant and the octets.
fn write_open(w: &mut BitWriter<'_>, bytes: &[u8]) -> Result<(), Error> {
    if bytes.len() > MAX_PACKET_LEN {
        return Err(Error::PacketTooLong(bytes.len()));
    }
    w.length(bytes.len())?;
    w.octets(bytes);
    Ok(())
}

fn read_open<'a>(r: &mut BitReader<'a>) -> Result<&'a [u8], Error> {
    let len = r.length()?;
    if len > MAX_PACKET_LEN {
        return Err(Error::PacketTooLong(len));
    }
    r.octets(len)
}

fn read_list(r: &mut BitReader<'_>) -> Result<Vec<Vec<u8>>, Error> {
    let count = r.length()?;
    if count > MAX_RECOVERY_PACKETS {
        return Err(Error::TooManyRecoveryPackets(count));
    }
    let mut list = Vec::with_capacity(count);
    for _ in 0..count {
        list.push(read_open(r)?.to_vec());
    }
    Ok(list)
}

/// Writes a non-negative unconstrained INTEGER: a length determinant and the
/// fewest two's complement octets (so a set top bit needs a leading zero octet).
fn write_integer(w: &mut BitWriter<'_>, value: u32) -> Result<(), Error> {
    let bytes = value.to_be_bytes();
    let mut skip = 0;
    while skip < 3 && bytes[skip] == 0 && bytes[skip + 1] & 0x80 == 0 {
        skip += 1;
    }
    w.length(4 - skip)?;
    w.octets(&bytes[skip..]);
    Ok(())
}

/// Reads an unconstrained INTEGER that must be non-negative and fit in 32 bits.
fn read_integer(r: &mut BitReader<'_>) -> Result<u32, Error> {
    let len = r.length()?;
    let octets = r.octets(len)?;
    match octets {
        [] => Err(Error::InvalidFecSpan),
        [first, ..] if first & 0x80 != 0 => Err(Error::InvalidFecSpan),
        _ => {
            // Leading zero octets may make a valid non-minimal encoding longer
            // than four octets; only the value matters.
            let significant = octets.iter().skip_while(|&&b| b == 0).count();
            if significant > 4 {
                return Err(Error::InvalidFecSpan);
            }
            Ok(octets.iter().fold(0u32, |acc, &b| (acc << 8) | u32::from(b)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::XorShift;

    #[track_caller]
    fn vector(packet: UdptlPacket, bytes: &[u8]) {
        assert_eq!(packet.encode().unwrap(), bytes);
        assert_eq!(UdptlPacket::decode(bytes).unwrap(), packet);
    }

    #[test]
    fn redundancy_vectors() {
        // seq 0x0102, primary CNG (02), redundancy with no secondaries.
        vector(
            UdptlPacket { seq: 0x0102, primary: vec![0x02], recovery: Recovery::Redundancy(vec![]) },
            &[0x01, 0x02, 0x01, 0x02, 0x00, 0x00],
        );
        // Two secondaries, newest first.
        vector(
            UdptlPacket {
                seq: 7,
                primary: vec![0xc0, 0x01, 0x80, 0x00, 0x00, 0xff],
                recovery: Recovery::Redundancy(vec![vec![0x06], vec![0x00]]),
            },
            &[0x00, 0x07, 0x06, 0xc0, 0x01, 0x80, 0x00, 0x00, 0xff, 0x00, 0x02, 0x01, 0x06, 0x01, 0x00],
        );
        // A 200-octet primary takes a two-octet length determinant.
        let primary = vec![0x55; 200];
        let mut bytes = vec![0xff, 0xff, 0x80, 200];
        bytes.extend_from_slice(&primary);
        bytes.extend_from_slice(&[0x00, 0x00]);
        vector(UdptlPacket { seq: 0xffff, primary, recovery: Recovery::Redundancy(vec![]) }, &bytes);
    }

    #[test]
    fn fec_vectors() {
        // seq 9, primary 04, FEC span 3 with two entries.
        vector(
            UdptlPacket {
                seq: 9,
                primary: vec![0x04],
                recovery: Recovery::Fec(FecInfo { span: 3, entries: vec![vec![0xaa, 0xbb], vec![0x01]] }),
            },
            &[0x00, 0x09, 0x01, 0x04, 0x80, 0x01, 0x03, 0x02, 0x02, 0xaa, 0xbb, 0x01, 0x01],
        );
        // A span of 0 and no entries (the start of an FEC stream).
        vector(
            UdptlPacket {
                seq: 0,
                primary: vec![0x02],
                recovery: Recovery::Fec(FecInfo { span: 0, entries: vec![] }),
            },
            &[0x00, 0x00, 0x01, 0x02, 0x80, 0x01, 0x00, 0x00],
        );
        // 64 needs no sign octet; the integer is minimal.
        let bytes = UdptlPacket {
            seq: 0,
            primary: vec![0x02],
            recovery: Recovery::Fec(FecInfo { span: 64, entries: vec![] }),
        }
        .encode()
        .unwrap();
        assert_eq!(bytes[4..], [0x80, 0x01, 0x40, 0x00]);
        // A non-minimal but valid integer decodes; a negative one does not.
        let lax = [0x00, 0x00, 0x01, 0x02, 0x80, 0x02, 0x00, 0x03, 0x00];
        assert!(matches!(
            UdptlPacket::decode(&lax).unwrap().recovery,
            Recovery::Fec(FecInfo { span: 3, .. })
        ));
        let negative = [0x00, 0x00, 0x01, 0x02, 0x80, 0x01, 0xff, 0x00];
        assert_eq!(UdptlPacket::decode(&negative), Err(Error::InvalidFecSpan));
    }

    #[test]
    fn fec_coverage() {
        let fec = FecInfo { span: 3, entries: vec![vec![]; 2] };
        // Packet 10 protects 4..=9: entry 0 covers 4, 6, 8 and entry 1 covers 5, 7, 9.
        assert_eq!(fec.covered(10, 0).collect::<Vec<_>>(), [4, 6, 8]);
        assert_eq!(fec.covered(10, 1).collect::<Vec<_>>(), [5, 7, 9]);
        // Across the wrap.
        assert_eq!(fec.covered(2, 0).collect::<Vec<_>>(), [65532, 65534, 0]);
    }

    #[test]
    fn decode_errors() {
        assert_eq!(UdptlPacket::decode(&[]), Err(Error::Truncated));
        assert_eq!(UdptlPacket::decode(&[0, 1, 2, 0x02]), Err(Error::Truncated));
        assert_eq!(UdptlPacket::decode(&[0, 1, 1, 0x02, 0x00, 0x00, 0x00]), Err(Error::TrailingBytes(1)));
        assert_eq!(UdptlPacket::decode(&[0, 1, 1, 0x02, 0x00, 0x41]), Err(Error::TooManyRecoveryPackets(65)));
        assert_eq!(UdptlPacket::decode(&[0, 1, 0x90, 0x01]), Err(Error::PacketTooLong(0x1001)));
        assert_eq!(UdptlPacket::decode(&[0, 1, 1, 0x02, 0x80, 0x01, 0x41, 0x00]), Err(Error::InvalidFecSpan));
        let big = vec![0; MAX_DATAGRAM_LEN + 1];
        assert!(matches!(UdptlPacket::decode(&big), Err(Error::DatagramTooLong { .. })));
    }

    #[test]
    fn pseudo_random_round_trips_and_garbage() {
        let mut rng = XorShift::new(0x0dd_ba11);
        for _ in 0..2000 {
            let primary_len = rng.below(300);
            let primary = rng.bytes(primary_len);
            let list: Vec<Vec<u8>> = (0..rng.below(6))
                .map(|_| {
                    let len = rng.below(200);
                    rng.bytes(len)
                })
                .collect();
            let recovery = if rng.below(2) == 0 {
                Recovery::Redundancy(list)
            } else {
                Recovery::Fec(FecInfo { span: rng.below(65) as u32, entries: list })
            };
            let packet = UdptlPacket { seq: rng.next_u64() as u16, primary, recovery };
            let bytes = packet.encode().unwrap();
            assert_eq!(UdptlPacket::decode(&bytes).unwrap(), packet);
        }
        for _ in 0..20000 {
            let len = rng.below(32);
            let bytes = rng.bytes(len);
            if let Ok(packet) = UdptlPacket::decode(&bytes) {
                let again = packet.encode().unwrap();
                assert_eq!(UdptlPacket::decode(&again).unwrap(), packet);
            }
        }
    }
}
