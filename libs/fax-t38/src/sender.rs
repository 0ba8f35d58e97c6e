//! A sans-IO UDPTL sender: IFP packets in, datagrams out.
//!
//! [`UdptlSender`] numbers the packets and keeps the recent ones it needs to send
//! as secondaries or to compute FEC parity, as [`crate::udptl`] describes. It keeps
//! every datagram within [`SenderConfig::max_datagram`] (set it from the far end's
//! `T38FaxMaxDatagram`): with redundancy it drops the oldest secondaries that do
//! not fit, with FEC it uses fewer parity entries (recomputing them, since the
//! number of entries is also the interleaving stride).

use std::collections::VecDeque;

use crate::Error;
use crate::ifp::{IfpPacket, MAX_PACKET_LEN, Version};
use crate::receiver::HISTORY;
use crate::udptl::{FecInfo, MAX_FEC_SPAN, MAX_RECOVERY_PACKETS, Recovery, UdptlPacket};

/// How the sender protects packets against loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TxRecovery {
    /// Send up to `depth` previous packets with each datagram (0 to
    /// [`MAX_RECOVERY_PACKETS`]).
    Redundancy {
        /// How many previous packets.
        depth: usize,
    },
    /// Send `entries` parity entries, each over `span` packets; `span × entries`
    /// must not exceed [`HISTORY`], or the receiver could not use them.
    Fec {
        /// Packets per parity entry (1 to [`MAX_FEC_SPAN`]).
        span: u32,
        /// Parity entries per datagram (1 to [`MAX_RECOVERY_PACKETS`]).
        entries: usize,
    },
}

impl TxRecovery {
    fn validate(self) -> Result<(), Error> {
        match self {
            TxRecovery::Redundancy { depth } if depth > MAX_RECOVERY_PACKETS => {
                Err(Error::InvalidConfig("redundancy depth above MAX_RECOVERY_PACKETS"))
            }
            TxRecovery::Fec { span, entries }
                if span == 0
                    || span > MAX_FEC_SPAN
                    || entries == 0
                    || entries > MAX_RECOVERY_PACKETS
                    || span as usize * entries > usize::from(HISTORY) =>
            {
                Err(Error::InvalidConfig(
                    "FEC span and entries must be positive with span × entries ≤ HISTORY",
                ))
            }
            _ => Ok(()),
        }
    }

    /// How many past packets this mode needs.
    fn history(self) -> usize {
        match self {
            TxRecovery::Redundancy { depth } => depth,
            TxRecovery::Fec { span, entries } => span as usize * entries,
        }
    }
}

/// How the sender is set up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SenderConfig {
    /// The negotiated T.38 version, for encoding IFP packets.
    pub version: Version,
    /// Redundancy or FEC.
    pub recovery: TxRecovery,
    /// The largest datagram to send, from the far end's `T38FaxMaxDatagram`.
    pub max_datagram: usize,
    /// The first sequence number.
    pub first_seq: u16,
}

impl SenderConfig {
    /// Defaults for `version`: three secondaries, datagrams of at most 1400 octets
    /// (within an Ethernet MTU), sequence numbers from 0.
    pub fn new(version: Version) -> Self {
        Self { version, recovery: TxRecovery::Redundancy { depth: 3 }, max_datagram: 1400, first_seq: 0 }
    }
}

/// The sans-IO UDPTL sender; see the [module documentation](self).
#[derive(Debug, Clone)]
pub struct UdptlSender {
    config: SenderConfig,
    next_seq: u16,
    /// Encodings of the packets sent, newest first, as many as the mode needs.
    history: VecDeque<Vec<u8>>,
}

impl UdptlSender {
    /// A sender with `config`.
    pub fn new(config: SenderConfig) -> Result<Self, Error> {
        config.recovery.validate()?;
        Ok(Self { next_seq: config.first_seq, history: VecDeque::new(), config })
    }

    /// The configuration.
    pub fn config(&self) -> &SenderConfig {
        &self.config
    }

    /// The sequence number the next datagram will carry.
    pub fn next_seq(&self) -> u16 {
        self.next_seq
    }

    /// Changes the protection from the next datagram on (T.38 endpoints often use
    /// deeper redundancy for indicators and control messages than for image data).
    pub fn set_recovery(&mut self, recovery: TxRecovery) -> Result<(), Error> {
        recovery.validate()?;
        self.config.recovery = recovery;
        Ok(())
    }

    /// Changes the datagram size limit.
    pub fn set_max_datagram(&mut self, max_datagram: usize) {
        self.config.max_datagram = max_datagram;
    }

    /// Encodes `packet` and returns the datagram that carries it.
    pub fn send(&mut self, packet: &IfpPacket) -> Result<Vec<u8>, Error> {
        let ifp = packet.encode(self.config.version)?;
        self.send_encoded(ifp)
    }

    /// Returns the datagram carrying an already encoded IFP packet. On error (the
    /// packet alone does not fit the datagram limit) nothing changes.
    pub fn send_encoded(&mut self, ifp: Vec<u8>) -> Result<Vec<u8>, Error> {
        if ifp.len() > MAX_PACKET_LEN {
            return Err(Error::PacketTooLong(ifp.len()));
        }
        let limit = self.config.max_datagram;
        let mut datagram = match self.config.recovery {
            TxRecovery::Redundancy { depth } => {
                let mut count = depth.min(self.history.len());
                loop {
                    let secondaries = self.history.iter().take(count).cloned().collect();
                    let bytes = self.datagram(&ifp, Recovery::Redundancy(secondaries))?;
                    if bytes.len() <= limit || count == 0 {
                        break bytes;
                    }
                    count -= 1;
                }
            }
            TxRecovery::Fec { span, entries } => {
                // While the stream is young, protect only packets that exist.
                let mut count = if self.history.len() < span as usize {
                    0
                } else {
                    entries.min(self.history.len() / span as usize)
                };
                loop {
                    let fec = FecInfo { span, entries: self.parity(span, count) };
                    let bytes = self.datagram(&ifp, Recovery::Fec(fec))?;
                    if bytes.len() <= limit || count == 0 {
                        break bytes;
                    }
                    count -= 1;
                }
            }
        };
        if datagram.len() > limit {
            return Err(Error::DatagramTooLong { len: datagram.len(), limit });
        }
        datagram.shrink_to_fit();
        self.history.push_front(ifp);
        self.history.truncate(self.config.recovery.history().max(1));
        self.next_seq = self.next_seq.wrapping_add(1);
        Ok(datagram)
    }

    fn datagram(&self, ifp: &[u8], recovery: Recovery) -> Result<Vec<u8>, Error> {
        UdptlPacket { seq: self.next_seq, primary: ifp.to_vec(), recovery }.encode()
    }

    /// The `entries` parity entries over the `span × entries` packets before the
    /// one being sent: entry `m` is the exclusive-or of the packets
    /// `seq - span·entries + m + k·entries`, zero-padded to the longest.
    fn parity(&self, span: u32, entries: usize) -> Vec<Vec<u8>> {
        let total = span as usize * entries;
        (0..entries)
            .map(|m| {
                let mut out: Vec<u8> = Vec::new();
                for k in 0..span as usize {
                    // How many packets back this member is (1 = the previous one).
                    let back = total - m - k * entries;
                    let Some(member) = self.history.get(back - 1) else { continue };
                    if out.len() < member.len() {
                        out.resize(member.len(), 0);
                    }
                    for (o, b) in out.iter_mut().zip(member) {
                        *o ^= b;
                    }
                }
                out
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ifp::{DataType, Field, FieldType, Indicator};

    #[test]
    fn redundancy_carries_previous_packets_newest_first() {
        let mut tx = UdptlSender::new(SenderConfig::new(Version::V2)).unwrap();
        let a = tx.send(&IfpPacket::Indicator(Indicator::Cng)).unwrap();
        assert_eq!(a, [0x00, 0x00, 0x01, 0x02, 0x00, 0x00]);
        let b = tx.send(&IfpPacket::Indicator(Indicator::Ced)).unwrap();
        assert_eq!(b, [0x00, 0x01, 0x01, 0x04, 0x00, 0x01, 0x01, 0x02]);
        let c = tx.send(&IfpPacket::Indicator(Indicator::V21Preamble)).unwrap();
        assert_eq!(c, [0x00, 0x02, 0x01, 0x06, 0x00, 0x02, 0x01, 0x04, 0x01, 0x02]);
        tx.send(&IfpPacket::Indicator(Indicator::NoSignal)).unwrap();
        let e = tx.send(&IfpPacket::Indicator(Indicator::Cng)).unwrap();
        // Depth 3: packets 3, 2, 1.
        assert_eq!(e, [0x00, 0x04, 0x01, 0x02, 0x00, 0x03, 0x01, 0x00, 0x01, 0x06, 0x01, 0x04]);
        assert_eq!(tx.next_seq(), 5);
    }

    #[test]
    fn datagram_limit_drops_old_secondaries() {
        let mut config = SenderConfig::new(Version::V2);
        config.max_datagram = 32;
        let mut tx = UdptlSender::new(config).unwrap();
        let frame = IfpPacket::data(DataType::V21, Field::new(FieldType::HdlcData, [0x11; 8]));
        for _ in 0..4 {
            let bytes = tx.send(&frame).unwrap();
            assert!(bytes.len() <= 32);
        }
        // 2 + 1 + 13 + 2 for the sequence number, primary, choice and count, then 14 per
        // secondary: exactly one fits.
        let bytes = tx.send(&frame).unwrap();
        let packet = UdptlPacket::decode(&bytes).unwrap();
        assert_eq!(packet.recovery, Recovery::Redundancy(vec![frame.encode(Version::V2).unwrap()]));
        let big = IfpPacket::data(DataType::V21, Field::new(FieldType::HdlcData, [0x11; 40]));
        assert!(matches!(tx.send(&big), Err(Error::DatagramTooLong { limit: 32, .. })));
        assert_eq!(tx.next_seq(), 5, "a refused packet takes no sequence number");
    }

    #[test]
    fn fec_winds_up_and_interleaves() {
        let mut config = SenderConfig::new(Version::V2);
        config.recovery = TxRecovery::Fec { span: 2, entries: 2 };
        let mut tx = UdptlSender::new(config).unwrap();
        let packets: Vec<Vec<u8>> = (0..6u8).map(|i| vec![0x40 | (i << 1) & 0x0e]).collect();
        let mut sent = Vec::new();
        for p in &packets {
            sent.push(UdptlPacket::decode(&tx.send_encoded(p.clone()).unwrap()).unwrap());
        }
        let entries = |i: usize| match &sent[i].recovery {
            Recovery::Fec(fec) => fec.entries.clone(),
            other => panic!("{other:?}"),
        };
        assert!(entries(0).is_empty() && entries(1).is_empty());
        // Packet 2 has two packets of history: one entry over packets 0 and 1.
        assert_eq!(entries(2), [vec![packets[0][0] ^ packets[1][0]]]);
        assert_eq!(entries(3), [vec![packets[1][0] ^ packets[2][0]]]);
        // From packet 4 on, two entries: 0 ^ 2 and 1 ^ 3; then 1 ^ 3 and 2 ^ 4.
        assert_eq!(entries(4), [vec![packets[0][0] ^ packets[2][0]], vec![packets[1][0] ^ packets[3][0]]]);
        assert_eq!(entries(5), [vec![packets[1][0] ^ packets[3][0]], vec![packets[2][0] ^ packets[4][0]]]);
    }

    #[test]
    fn invalid_configurations() {
        let mut config = SenderConfig::new(Version::V0);
        config.recovery = TxRecovery::Fec { span: 0, entries: 1 };
        assert!(UdptlSender::new(config.clone()).is_err());
        config.recovery = TxRecovery::Fec { span: 9, entries: 8 };
        assert!(UdptlSender::new(config.clone()).is_err());
        config.recovery = TxRecovery::Redundancy { depth: MAX_RECOVERY_PACKETS + 1 };
        assert!(UdptlSender::new(config).is_err());
    }
}
