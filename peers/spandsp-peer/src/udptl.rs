//! UDPTL framing for the SpanDSP peer, which has none of its own in 0.0.6.
//!
//! [`UdptlFraming`] is one side's UDPTL: it puts each IFP packet an endpoint
//! emits into a datagram with `fax_t38`'s [`UdptlSender`] (redundancy or FEC), and
//! takes datagrams from the far end through `fax_t38`'s [`UdptlReceiver`], which
//! delivers IFP packets in sequence order with losses restored where it can. The
//! packets it delivers carry their UDPTL sequence numbers, so the endpoint (SpanDSP
//! checks them) sees a gap wherever a packet was lost for good.
//!
//! The receiver hands over decoded [`fax_t38::IfpPacket`]s; they are encoded again
//! for SpanDSP in the same T.38 version. The IFP interop tests (`tests/t38_ifp.rs`)
//! show that SpanDSP decodes our encoding of every packet a terminal sends.
//!
//! It is deliberately thin: no sockets and no clock. Datagrams go wherever the
//! caller sends them: an in-memory link in the tests, a UDP socket later.

use fax_t38::{
    ReceiverConfig, RxEvent, RxStats, SenderConfig, TxRecovery, UdptlReceiver, UdptlSender, Version,
};

use crate::t38_terminal::TxPacket;

/// An IFP packet taken out of a datagram, ready for an endpoint's `receive`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RxIfp {
    /// Its UDPTL sequence number.
    pub seq: u16,
    /// Its encoding.
    pub ifp: Vec<u8>,
}

/// Counters for the packets the receiver could not deliver.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FramingStats {
    /// Datagrams sent (repeats included).
    pub datagrams_sent: u64,
    /// Packets the UDPTL receiver declared lost (not restored).
    pub lost: u64,
    /// Packets that arrived but did not decode.
    pub malformed: u64,
}

/// One side's UDPTL: see the [module documentation](self).
#[derive(Debug, Clone)]
pub struct UdptlFraming {
    version: Version,
    sender: UdptlSender,
    receiver: UdptlReceiver,
    honour_repeats: bool,
    stats: FramingStats,
}

impl UdptlFraming {
    /// Framing for T.38 `version` with `recovery`, datagrams of at most 1400
    /// octets, sequence numbers from 0, and SpanDSP's repeat counts honoured.
    pub fn new(version: Version, recovery: TxRecovery) -> Result<Self, fax_t38::Error> {
        let mut config = SenderConfig::new(version);
        config.recovery = recovery;
        Ok(Self {
            version,
            sender: UdptlSender::new(config)?,
            receiver: UdptlReceiver::new(ReceiverConfig::new(version))?,
            honour_repeats: true,
            stats: FramingStats::default(),
        })
    }

    /// Whether a packet SpanDSP asks to send `n` times goes out as `n` copies of
    /// its datagram (the default), or once.
    pub fn set_honour_repeats(&mut self, honour: bool) {
        self.honour_repeats = honour;
    }

    /// The datagrams carrying `packet`: one, or [`TxPacket::repeat`] identical
    /// copies (same UDPTL sequence number) when repeats are honoured.
    pub fn frame(&mut self, packet: &TxPacket) -> Result<Vec<Vec<u8>>, fax_t38::Error> {
        let datagram = self.sender.send_encoded(packet.ifp.clone())?;
        let copies = if self.honour_repeats { packet.repeat.max(1) as usize } else { 1 };
        self.stats.datagrams_sent += copies as u64;
        Ok(vec![datagram; copies])
    }

    /// The IFP packets that one received datagram makes deliverable, in sequence
    /// order. Packets lost for good, and packets that do not decode, are skipped
    /// (and counted): the endpoint sees the gap in sequence numbers. A datagram
    /// that is not UDPTL is refused with an error.
    pub fn deframe(&mut self, datagram: &[u8]) -> Result<Vec<RxIfp>, fax_t38::Error> {
        let events = self.receiver.handle_datagram(datagram)?;
        let mut out = Vec::with_capacity(events.len());
        for event in events {
            match event {
                RxEvent::Packet { seq, packet, .. } => {
                    out.push(RxIfp { seq, ifp: packet.encode(self.version)? });
                }
                RxEvent::Lost { count, .. } => self.stats.lost += u64::from(count),
                RxEvent::Malformed { .. } => self.stats.malformed += 1,
            }
        }
        Ok(out)
    }

    /// This side's counters.
    pub fn stats(&self) -> FramingStats {
        self.stats
    }

    /// The UDPTL receiver's counters (datagrams, duplicates, restorations).
    pub fn rx_stats(&self) -> RxStats {
        self.receiver.stats()
    }
}
