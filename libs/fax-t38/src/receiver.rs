//! A sans-IO UDPTL receiver: datagrams in, IFP packets out in sequence order.
//!
//! [`UdptlReceiver::handle_datagram`] takes each datagram as it arrives, in any
//! order, duplicated or not, and returns what became deliverable: every sequence
//! number exactly once, in order, either as an IFP packet ([`RxEvent::Packet`]),
//! as a packet that arrived but does not decode ([`RxEvent::Malformed`]), or as part
//! of a gap that could not be recovered ([`RxEvent::Lost`]), which the T.38
//! terminal above treats as lost data (for example a bad HDLC frame).
//!
//! Lost packets are restored from the secondaries of later datagrams and from FEC
//! parity, as [`crate::udptl`] describes. A missing packet holds back delivery of
//! the ones after it until it is restored or until a packet more than
//! [`ReceiverConfig::reorder_window`] sequence numbers newer has arrived; then it is
//! reported lost. The default window is 0: redundancy and FEC restore a lost packet
//! from the very next datagram, so waiting only helps against reordering, and
//! waiting costs latency that T.30 timing may not afford. A caller that allows a
//! window should also call [`UdptlReceiver::flush`] when no datagram has arrived
//! for a while, since the receiver has no clock of its own.
//!
//! # Memory and window
//!
//! The receiver keeps a ring of [`RING`] (128) packets: up to [`HISTORY`] (64)
//! already delivered packets, which FEC parity may still need, and the packets from
//! the next expected sequence number up to [`LOOKAHEAD`] (63) ahead of it. A datagram
//! further ahead pushes the oldest undelivered packets out (delivered or lost)
//! before its own secondaries and parity are looked at, so a burst of more than 63
//! lost datagrams is not restored even in part. It
//! also keeps at most [`MAX_PARITIES`] FEC parity entries awaiting use. Since every
//! stored packet or parity entry is at most [`crate::ifp::MAX_PACKET_LEN`] octets,
//! the receiver holds at most about 1 MiB however hostile its input.
//!
//! # Sequence numbers
//!
//! Sequence numbers are compared in serial-number arithmetic modulo 65536: a
//! datagram up to 32767 ahead of the next expected number is new, anything else is
//! old (a duplicate or too late) and ignored. Without [`ReceiverConfig::first_seq`],
//! the first datagram to arrive sets the start: its sequence number, less the number
//! of secondaries it carries, so a lost first datagram is restored from the second.

use std::collections::VecDeque;

use crate::Error;
use crate::ifp::{IfpPacket, Version};
use crate::udptl::{Recovery, UdptlPacket};

/// The number of packets the receiver buffers, delivered and pending together.
pub const RING: usize = 128;

/// How many delivered packets are kept for FEC parity to use. FEC that protects
/// more than this many packets (`span × entries`) cannot restore anything.
pub const HISTORY: u16 = 64;

/// How far beyond the next expected packet a packet may be stored.
pub const LOOKAHEAD: u16 = (RING as u16) - HISTORY - 1;

/// The largest accepted [`ReceiverConfig::reorder_window`].
pub const MAX_REORDER_WINDOW: u16 = 32;

/// The most FEC parity entries kept while they may still restore a packet.
pub const MAX_PARITIES: usize = 128;

/// How the receiver is set up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiverConfig {
    /// The negotiated T.38 version, for decoding the IFP packets.
    pub version: Version,
    /// How many newer packets may arrive before a missing one is declared lost
    /// (0 to [`MAX_REORDER_WINDOW`]).
    pub reorder_window: u16,
    /// The sequence number of the first packet, when known (senders commonly start
    /// at 0). Knowing it lets FEC treat the packets "before" it as empty.
    pub first_seq: Option<u16>,
}

impl ReceiverConfig {
    /// The defaults for `version`: no reorder window, start taken from the first
    /// datagram.
    pub fn new(version: Version) -> Self {
        Self { version, reorder_window: 0, first_seq: None }
    }
}

/// How a delivered packet reached the receiver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    /// As the primary packet of its own datagram.
    Primary,
    /// As a secondary packet of a later datagram.
    Redundancy,
    /// Restored from FEC parity.
    Fec,
}

/// What the receiver delivers, in sequence order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RxEvent {
    /// An IFP packet.
    Packet {
        /// Its sequence number.
        seq: u16,
        /// The decoded packet.
        packet: IfpPacket,
        /// How it arrived.
        source: Source,
    },
    /// A packet arrived but its IFP encoding does not decode.
    Malformed {
        /// Its sequence number.
        seq: u16,
        /// Why it does not decode.
        error: Error,
    },
    /// Packets that never arrived and could not be restored.
    Lost {
        /// The first lost sequence number.
        first_seq: u16,
        /// How many consecutive packets were lost (at most 65535).
        count: u16,
    },
}

/// Counters for logs and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RxStats {
    /// Datagrams that decoded as UDPTL.
    pub datagrams: u64,
    /// Datagrams whose primary was already delivered, declared lost, or buffered.
    pub duplicates: u64,
    /// Packets delivered from their own datagram.
    pub primary: u64,
    /// Packets restored from secondaries.
    pub redundancy: u64,
    /// Packets restored from FEC.
    pub fec: u64,
    /// Packets declared lost.
    pub lost: u64,
    /// Packets delivered as malformed.
    pub malformed: u64,
}

#[derive(Debug, Clone, Default)]
struct Slot {
    seq: u16,
    bytes: Option<Vec<u8>>,
    source: Option<Source>,
}

/// One FEC parity entry and the packets it covers.
#[derive(Debug, Clone)]
struct Parity {
    first: u16,
    stride: u16,
    count: u16,
    data: Vec<u8>,
}

impl Parity {
    fn members(&self) -> impl Iterator<Item = u16> + use<> {
        let (first, stride) = (self.first, self.stride);
        (0..self.count).map(move |k| first.wrapping_add(k.wrapping_mul(stride)))
    }
}

/// What a parity entry's members look like right now.
enum Coverage {
    AllKnown,
    One(u16),
    Several,
    Hopeless,
}

/// The sans-IO UDPTL receiver; see the [module documentation](self).
#[derive(Debug, Clone)]
pub struct UdptlReceiver {
    config: ReceiverConfig,
    slots: Vec<Slot>,
    /// The next sequence number to deliver.
    next: u16,
    /// The newest sequence number stored (meaningful once started).
    newest: u16,
    started: bool,
    parities: VecDeque<Parity>,
    stats: RxStats,
}

/// `a - b` in serial-number arithmetic: positive when `a` is newer.
fn serial_diff(a: u16, b: u16) -> i32 {
    i32::from(a.wrapping_sub(b) as i16)
}

impl UdptlReceiver {
    /// A receiver with `config`.
    pub fn new(config: ReceiverConfig) -> Result<Self, Error> {
        if config.reorder_window > MAX_REORDER_WINDOW {
            return Err(Error::InvalidConfig("reorder_window above MAX_REORDER_WINDOW"));
        }
        let mut receiver = Self {
            slots: vec![Slot::default(); RING],
            next: 0,
            newest: 0,
            started: false,
            parities: VecDeque::new(),
            stats: RxStats::default(),
            config,
        };
        if let Some(first) = receiver.config.first_seq {
            receiver.start(first, true);
        }
        Ok(receiver)
    }

    /// The configuration.
    pub fn config(&self) -> &ReceiverConfig {
        &self.config
    }

    /// The counters so far.
    pub fn stats(&self) -> RxStats {
        self.stats
    }

    /// The next sequence number to be delivered, once the first datagram (or
    /// [`ReceiverConfig::first_seq`]) has set the start.
    pub fn next_seq(&self) -> Option<u16> {
        self.started.then_some(self.next)
    }

    fn start(&mut self, first: u16, known: bool) {
        self.started = true;
        self.next = first;
        self.newest = first.wrapping_sub(1);
        if known {
            // Nothing was sent before the first packet, so FEC parity that covers
            // those sequence numbers covers nothing there: empty packets.
            for back in 1..=HISTORY {
                let seq = first.wrapping_sub(back);
                self.slots[usize::from(seq) % RING] = Slot { seq, bytes: Some(Vec::new()), source: None };
            }
        }
    }

    /// Takes one datagram and returns the packets, malformed packets and losses that
    /// became deliverable, in sequence order. A datagram that is not valid UDPTL is
    /// refused with an error and changes nothing.
    pub fn handle_datagram(&mut self, datagram: &[u8]) -> Result<Vec<RxEvent>, Error> {
        let packet = UdptlPacket::decode(datagram)?;
        self.stats.datagrams += 1;
        let mut events = Vec::new();
        let seq = packet.seq;
        if !self.started {
            let back = match &packet.recovery {
                Recovery::Redundancy(list) => list.len().min(usize::from(LOOKAHEAD)) as u16,
                Recovery::Fec(_) => 0,
            };
            self.start(seq.wrapping_sub(back), false);
        }
        let ahead = serial_diff(seq, self.next);
        if ahead < 0 {
            self.stats.duplicates += 1;
            return Ok(events);
        }
        if ahead > i32::from(LOOKAHEAD) {
            // Make room: whatever is older than the storable range goes out now.
            self.advance_to(seq.wrapping_sub(LOOKAHEAD), &mut events);
        }
        if !self.store(seq, packet.primary, Source::Primary) {
            self.stats.duplicates += 1;
        }
        if serial_diff(seq, self.newest) > 0 {
            self.newest = seq;
        }
        match packet.recovery {
            Recovery::Redundancy(list) => {
                for (back, bytes) in (1u16..).zip(list) {
                    self.store(seq.wrapping_sub(back), bytes, Source::Redundancy);
                }
            }
            Recovery::Fec(fec) => {
                let count = fec.span as u16;
                let stride = fec.entries.len() as u16;
                for (m, data) in fec.entries.into_iter().enumerate() {
                    let parity = Parity {
                        first: seq.wrapping_sub(count.wrapping_mul(stride)).wrapping_add(m as u16),
                        stride,
                        count,
                        data,
                    };
                    // Parity reaching back beyond the history can never help.
                    if count > 0 && serial_diff(parity.first, self.next) >= -i32::from(HISTORY) {
                        if self.parities.len() == MAX_PARITIES {
                            self.parities.pop_front();
                        }
                        self.parities.push_back(parity);
                    }
                }
            }
        }
        self.recover();
        self.release(false, &mut events);
        Ok(events)
    }

    /// Delivers everything buffered, declaring every missing packet up to the newest
    /// received one lost. Call it when a timer says reordered packets will not come.
    pub fn flush(&mut self) -> Vec<RxEvent> {
        let mut events = Vec::new();
        if self.started {
            self.release(true, &mut events);
        }
        events
    }

    fn slot_index(seq: u16) -> usize {
        usize::from(seq) % RING
    }

    /// The stored packet `seq`, delivered or pending, if the ring still holds it.
    fn get(&self, seq: u16) -> Option<&[u8]> {
        let d = serial_diff(seq, self.next);
        if d < -i32::from(HISTORY) || d > i32::from(LOOKAHEAD) {
            return None;
        }
        let slot = &self.slots[Self::slot_index(seq)];
        if slot.seq == seq { slot.bytes.as_deref() } else { None }
    }

    /// Stores a pending packet; false if it was already there or is not pending.
    fn store(&mut self, seq: u16, bytes: Vec<u8>, source: Source) -> bool {
        let d = serial_diff(seq, self.next);
        if d < 0 || d > i32::from(LOOKAHEAD) || self.get(seq).is_some() {
            return false;
        }
        self.slots[Self::slot_index(seq)] = Slot { seq, bytes: Some(bytes), source: Some(source) };
        true
    }

    /// Restores packets from FEC parity until no parity entry can restore more, and
    /// drops parity entries that have nothing left to restore or never will.
    fn recover(&mut self) {
        loop {
            let mut restored = None;
            let mut index = 0;
            while index < self.parities.len() {
                let parity = &self.parities[index];
                let mut state = Coverage::AllKnown;
                for seq in parity.members() {
                    if self.get(seq).is_some() {
                        continue;
                    }
                    if !(0..=i32::from(LOOKAHEAD)).contains(&serial_diff(seq, self.next)) {
                        // Already delivered as lost, or no longer held: restoring
                        // anything from this entry is impossible or pointless.
                        state = Coverage::Hopeless;
                        break;
                    }
                    state = match state {
                        Coverage::AllKnown => Coverage::One(seq),
                        _ => Coverage::Several,
                    };
                }
                match state {
                    Coverage::AllKnown | Coverage::Hopeless => {
                        self.parities.remove(index);
                    }
                    // Two or more unknown: a later datagram may bring all but one.
                    Coverage::Several => index += 1,
                    Coverage::One(seq) => {
                        restored = Some((index, seq));
                        break;
                    }
                }
            }
            let Some((index, seq)) = restored else { break };
            let Some(parity) = self.parities.remove(index) else { break };
            let members = parity.members();
            let mut bytes = parity.data;
            for member in members.filter(|&m| m != seq) {
                if let Some(other) = self.get(member) {
                    for (b, o) in bytes.iter_mut().zip(other) {
                        *b ^= o;
                    }
                }
            }
            // The restored packet is padded with zeros to the longest packet of its
            // group; the IFP encoding says where it really ends.
            if let Ok((_, used)) = IfpPacket::decode_prefix(&bytes, self.config.version)
                && bytes[used..].iter().all(|&b| b == 0)
            {
                bytes.truncate(used);
            }
            self.store(seq, bytes, Source::Fec);
        }
    }

    /// Moves `next` forward to `target`, delivering what is there and declaring the
    /// rest lost.
    fn advance_to(&mut self, target: u16, events: &mut Vec<RxEvent>) {
        while serial_diff(target, self.next) > 0 {
            if serial_diff(self.next, self.newest) > 0 {
                // Nothing is stored from here on: one loss covers the whole jump.
                let count = serial_diff(target, self.next) as u16;
                if usize::from(count) >= RING {
                    self.slots.iter_mut().for_each(|slot| slot.bytes = None);
                } else {
                    for k in 0..count {
                        let top = self.next.wrapping_add(k).wrapping_add(LOOKAHEAD + 1);
                        self.slots[Self::slot_index(top)].bytes = None;
                    }
                }
                self.lose(self.next, count, events);
                self.next = target;
                self.newest = target.wrapping_sub(1);
                return;
            }
            self.step(events);
        }
    }

    /// Delivers in order: stops at a missing packet unless it is older than the
    /// reorder window allows, or `force` is set.
    fn release(&mut self, force: bool, events: &mut Vec<RxEvent>) {
        while serial_diff(self.newest, self.next) >= 0 {
            let have = self.get(self.next).is_some();
            if !have && !force && serial_diff(self.newest, self.next) <= i32::from(self.config.reorder_window)
            {
                break;
            }
            self.step(events);
        }
    }

    /// Delivers or loses packet `next`, then moves `next` on by one and frees the
    /// slot that leaves the history.
    fn step(&mut self, events: &mut Vec<RxEvent>) {
        let seq = self.next;
        let index = Self::slot_index(seq);
        let slot = &self.slots[index];
        match (&slot.bytes, slot.seq == seq) {
            (Some(bytes), true) => {
                let source = slot.source.unwrap_or(Source::Primary);
                let decoded = match source {
                    Source::Fec => {
                        IfpPacket::decode_prefix(bytes, self.config.version).and_then(|(packet, used)| {
                            if bytes[used..].iter().all(|&b| b == 0) {
                                Ok(packet)
                            } else {
                                Err(Error::TrailingBytes(bytes.len() - used))
                            }
                        })
                    }
                    _ => IfpPacket::decode(bytes, self.config.version),
                };
                match decoded {
                    Ok(packet) => {
                        match source {
                            Source::Primary => self.stats.primary += 1,
                            Source::Redundancy => self.stats.redundancy += 1,
                            Source::Fec => self.stats.fec += 1,
                        }
                        events.push(RxEvent::Packet { seq, packet, source });
                    }
                    Err(error) => {
                        self.stats.malformed += 1;
                        events.push(RxEvent::Malformed { seq, error });
                    }
                }
            }
            _ => {
                self.slots[index] = Slot { seq, bytes: None, source: None };
                self.lose(seq, 1, events);
            }
        }
        self.next = seq.wrapping_add(1);
        // The slot of the sequence number now entering the lookahead is the one of
        // the packet leaving the history.
        let top = self.next.wrapping_add(LOOKAHEAD);
        self.slots[Self::slot_index(top)].bytes = None;
    }

    fn lose(&mut self, first_seq: u16, count: u16, events: &mut Vec<RxEvent>) {
        self.stats.lost += u64::from(count);
        if let Some(RxEvent::Lost { first_seq: f, count: c }) = events.last_mut()
            && f.wrapping_add(*c) == first_seq
            && let Some(sum) = c.checked_add(count)
        {
            *c = sum;
            return;
        }
        events.push(RxEvent::Lost { first_seq, count });
    }
}

#[cfg(test)]
mod tests;
