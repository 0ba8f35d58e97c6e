//! The T.38 terminal: a T.30 session speaking IFP packets, over UDPTL or bare.
//!
//! A [`Terminal`] owns a [`Session`] and does for it what a fax modem and a T.38
//! gateway would: it turns each [`Transmit`] into IFP packets released at the times
//! a real line would carry them, reports each transmission's end to the session,
//! and turns received IFP packets back into [`LineInput`]. It is sans-IO: it is fed
//! datagrams ([`Terminal::handle_datagram`]) or bare IFP packets
//! ([`Terminal::handle_ifp`]) and the time, and polled for what to send
//! ([`Terminal::poll_datagram`], [`Terminal::poll_ifp`]), its next deadline
//! ([`Terminal::poll_timeout`]) and the session's events ([`Terminal::poll_event`]).
//! Use one pair of methods per call: UDPTL datagrams, or bare IFP packets for a
//! transport that frames them itself.
//!
//! # Sending: `Transmit` → IFP
//!
//! Times are from the moment the line is free for the transmission. "×N" marks an
//! indicator sent [`Config::indicator_repeats`] times as packets of their own, one
//! [`Config::pacing`] interval apart (for the closing `no-signal`, the repeats go
//! out during the silence that follows, and are dropped if the next signal starts
//! first); "copies" marks the last packet of a data signal, sent
//! [`Config::data_end_repeats`] times with the same sequence number (UDPTL
//! duplicates, which receivers drop, as SpanDSP does with its repeat counts).
//!
//! | `Transmit` | packets | done at |
//! | --- | --- | --- |
//! | `Silence(d)` | none | `d` |
//! | `Tone { Cng, d }` | `cng` ×N at 0, `no-signal` ×N at `d` | `d` |
//! | `Tone { Ced, d }` | `ced` ×N at 0, `no-signal` ×N at `d` | `d` |
//! | `V21Frames` | `v21-preamble` ×N at 0; from [`Config::v21_preamble`] on, each frame as `v21` `hdlc-data` chunks at 300 bit/s, the frame's last packet closed by `hdlc-fcs-OK`, the last frame's by `hdlc-fcs-OK-sig-end` (copies); `no-signal` ×N at the end | end of the last frame |
//! | `Tcf { rate, d }`, transferred | long training indicator of `rate` ×N at 0; after the training time, `d` worth of zero octets as `t4-non-ecm-data` chunks, the last closed by `t4-non-ecm-sig-end` (copies); `no-signal` ×N | end of the zeros |
//! | `Tcf { rate, d }`, local | the training indicator ×N at 0, `no-signal` ×N after training and `d` | training + `d` |
//! | `ImageNonEcm { rate, data }` | short training indicator ×N at 0; after the training time, `data` as `t4-non-ecm-data` chunks, the last closed by `t4-non-ecm-sig-end` (copies); `no-signal` ×N | end of the data |
//! | `ImageEcm { rate, frames }` | short training indicator ×N at 0; after the training time, each frame as `hdlc-data` chunks of `rate`'s data type closed by `hdlc-fcs-OK`, the last by `hdlc-fcs-OK-sig-end` (copies); `no-signal` ×N | end of the last frame |
//!
//! Data is paced as the modem would send it: a packet carries at most one
//! [`Config::pacing`] interval's worth of octets at the rate (rounded up; 54 octets
//! at 14400 bit/s and 30 ms, 2 at V.21's 300 bit/s), and at most
//! [`Config::max_payload`], and leaves when its last octet would have been sent.
//! Each HDLC frame costs its octets plus three (FCS and a flag) of line time. The
//! training times are V.17 long 1.4 s, V.17 short 0.15 s, V.29 0.26 s, V.27 ter
//! 0.71 s (4800) and 0.95 s (2400). The training indicator is long for TCF and
//! short for the image that follows a good TCF, as V.17 terminals do.
//!
//! The session is told a transmission is done ([`Session::handle_transmit_done`])
//! at the instant its last packet leaves (the end of the real signal), which is when
//! T.30's T2 and T4 start. The terminal takes the next transmission only then, so a
//! session that decides to disconnect can still withdraw what it had queued.
//!
//! # Receiving: IFP → `LineInput`
//!
//! | received | line input |
//! | --- | --- |
//! | `cng`, `ced` | `Tone` (ends any signal first) |
//! | `v21-preamble` | starts V.21 (nothing yet for the session) |
//! | a training indicator (any V.27 ter, V.29, V.17 short or long) | `ImageCarrier { rate }` |
//! | `no-signal` | ends the current signal: `V21CarrierDown` or `ImageCarrierDown` |
//! | other indicators (V.8, V.34, V.33) | end the current signal; otherwise ignored |
//! | `hdlc-data` | appended to the frame being assembled |
//! | `hdlc-fcs-OK` / `hdlc-fcs-BAD` | `V21Frame` (data type `v21`) or `ImageFrame` (image data types), `fcs_ok` as the field says |
//! | `hdlc-fcs-OK-sig-end` / `hdlc-fcs-BAD-sig-end` | the frame as above, then the carrier down |
//! | `hdlc-sig-end` | a partial frame as damaged, then the carrier down |
//! | `t4-non-ecm-data` | `ImageData` |
//! | `t4-non-ecm-sig-end` | `ImageData` if it carries data, then `ImageCarrierDown` |
//! | data while no such signal is on | the signal's start first (`ImageCarrier` for image data) |
//!
//! Data octets are bit-reversed on the way in (see the bit order rule below). A
//! signal that ends (by its end field, `no-signal` or another indicator) in the
//! middle of an HDLC frame delivers the partial frame with `fcs_ok: false`.
//!
//! **Losses.** Packets the UDPTL receiver could not restore ([`RxEvent::Lost`],
//! a gap in the sequence numbers of bare IFP packets, or a packet that does not
//! decode) mark the HDLC frame being assembled as damaged: when its end arrives it
//! is *delivered with `fcs_ok: false`* rather than dropped. Since a loss may have
//! taken the start of the next frame with it, a frame that begins after a loss is
//! damaged too, unless an indicator came in between (an indicator always starts a
//! signal afresh). Delivering rather than dropping lets T.30 know the far end
//! spoke: a damaged command is answered with CRP, a damaged response makes the
//! sender repeat its command at once, and a damaged ECM frame is simply missing
//! from the block and asked for again with PPR. A frame is never delivered as
//! good unless every packet it spanned arrived. In non-ECM image data (and TCF) a
//! loss is a gap in the octets: the T.4 decoder resynchronises on the next EOL,
//! and the copy-quality check counts the bad rows.
//!
//! **Local TCF.** With [`TcfMethod::Local`], a training indicator followed by
//! silence with no data in between is taken as a good training check: the
//! terminal hands the session the zeros the far end's modem would have sent during
//! that time. Terminal-to-terminal over UDPTL uses transferred TCF (the default),
//! where the zeros travel as data and the receiving session checks them itself.
//!
//! # Interop rules followed
//!
//! These come from T.38 (clauses on the IFP packet and on the emitting and
//! receiving procedures) and from what deployed stacks accept; the SpanDSP interop
//! tests in `peers/spandsp-peer/tests/ferrofax_interop.rs` exercise them.
//!
//! - **End-of-frame field last.** A packet carries at most one frame end and it is
//!   its last field, so no field without data is ever followed by another field
//!   ([`IfpPacket::is_portable`]): SpanDSP and strict X.691 decoders then read the
//!   same packet. Received packets may carry several frames, and frames split
//!   across packets: both are taken.
//! - **Indicators repeated.** Each indicator is sent three times (by default) as
//!   separate packets, and the last packet of each data signal three times as
//!   copies. Separate packets matter most after the end of a signal: UDPTL
//!   redundancy restores a lost packet only from a later datagram, and after a
//!   response the line may stay quiet for seconds, so the repeated `no-signal`
//!   packets are what carry the end of the signal across a loss (without them,
//!   SpanDSP under 5% loss sometimes never saw the end of our CFR and failed with
//!   "HDLC carrier did not stop"). Received repeats of an indicator (same or new
//!   sequence numbers) count once.
//! - **Bit order.** T.38 carries data octets with the first bit on the line in the
//!   most significant position. T.30 frame octets ([`fax_t30::Frame::encode`]) and
//!   the session's T.4 line data hold the first bit in the least significant
//!   position, as an HDLC receiver assembles them, so every data octet is
//!   bit-reversed into and out of IFP fields. SpanDSP confirms it: sent
//!   unreversed, our CSI `ff 03 40 …` reached it as `ff c0 …` ("bad HDLC frame
//!   header").
//! - **Silence after a transmission.** Every signal is followed by `no-signal`,
//!   so a receiver that missed the end field still sees the carrier drop.
//! - **Data after preamble and training.** The first HDLC data follows the
//!   `v21-preamble` indicator by the V.21 preamble time ([`Config::v21_preamble`],
//!   1 s as T.30 asks of a modem), and image data follows a training indicator by
//!   the modem's training time, so a gateway that regenerates the audio signal
//!   has the flags and training sequence to send first.
//! - **Transferred TCF** by default, as T.38 requires for UDPTL.
//! - **Duplicates and reordering** are the UDPTL receiver's job: each sequence
//!   number is delivered once, in order. In bare-IFP mode, a packet whose sequence
//!   number is not newer than the last one is dropped as a repeat.
//! - **Tolerance.** Data without its start indicator starts the signal; a late
//!   end field for a signal already ended is ignored; unknown indicators and V.8 or
//!   V.34 fields are ignored; undecodable packets count as losses; datagrams that
//!   are not UDPTL are dropped. Nothing a peer sends can make the terminal panic or
//!   buffer without bound; a peer that misbehaves ends the call through the
//!   session's timers with a typed [`fax_t30::session::Failure`].

mod rx;
mod tx;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use fax_t30::session::{Event, LineInput, Session, Transmit};
use fax_t38::{
    IfpPacket, Indicator, ReceiverConfig, RxEvent, SenderConfig, TxRecovery, UdptlReceiver, UdptlSender,
    Version,
};

use crate::Error;

/// How the training check crosses the T.38 link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TcfMethod {
    /// The zeros travel as `t4-non-ecm-data` and the receiving terminal checks them
    /// (T.38's rule for UDPTL).
    Transferred,
    /// Only the training indicator travels; the receiving side makes up the zeros.
    Local,
}

/// How a [`Terminal`] is set up.
#[derive(Debug, Clone)]
pub struct Config {
    /// The T.30 session's configuration.
    pub session: fax_t30::session::Config,
    /// The negotiated T.38 version (`T38FaxVersion`), 0 to 3.
    pub version: Version,
    /// UDPTL protection of sent datagrams (redundancy depth 3 by default).
    pub recovery: TxRecovery,
    /// The largest UDPTL datagram to send (the far end's `T38FaxMaxDatagram`).
    pub max_datagram: usize,
    /// How many times each indicator is sent, as separate packets one pacing
    /// interval apart.
    pub indicator_repeats: u32,
    /// How many copies of the last packet of a data signal (the one with the
    /// signal's end field) to send.
    pub data_end_repeats: u32,
    /// Transferred or local TCF.
    pub tcf: TcfMethod,
    /// The most field data octets in one data packet.
    pub max_payload: usize,
    /// The interval data packets are paced at; each carries the octets the modem
    /// sends in that time.
    pub pacing: Duration,
    /// The V.21 preamble: the time from the `v21-preamble` indicator to the first
    /// HDLC data.
    pub v21_preamble: Duration,
}

impl Config {
    /// Defaults around `session`: T.38 version 0, redundancy 3, datagrams of at most
    /// 1400 octets, indicators and data ends sent 3 times, transferred TCF, 30 ms
    /// pacing, payloads of at most 512 octets, a 1 s V.21 preamble.
    pub fn new(session: fax_t30::session::Config) -> Config {
        Config {
            session,
            version: Version::V0,
            recovery: TxRecovery::Redundancy { depth: 3 },
            max_datagram: 1400,
            indicator_repeats: 3,
            data_end_repeats: 3,
            tcf: TcfMethod::Transferred,
            max_payload: 512,
            pacing: Duration::from_millis(30),
            v21_preamble: fax_t30::session::V21_PREAMBLE,
        }
    }

    fn validate(&self) -> Result<(), Error> {
        if self.max_payload == 0 || self.max_payload > fax_t38::ifp::MAX_PACKET_LEN - 64 {
            return Err(Error::InvalidConfig("max_payload must be 1 to MAX_PACKET_LEN - 64"));
        }
        if self.pacing.is_zero() || self.pacing > Duration::from_secs(1) {
            return Err(Error::InvalidConfig("pacing must be more than 0 and at most 1 s"));
        }
        if self.indicator_repeats == 0 || self.indicator_repeats > 10 {
            return Err(Error::InvalidConfig("indicator_repeats must be 1 to 10"));
        }
        if self.data_end_repeats == 0 || self.data_end_repeats > 10 {
            return Err(Error::InvalidConfig("data_end_repeats must be 1 to 10"));
        }
        if self.v21_preamble > Duration::from_secs(2) {
            return Err(Error::InvalidConfig("v21_preamble must be at most 2 s"));
        }
        Ok(())
    }
}

/// One IFP packet to send, for transports that frame IFP themselves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutPacket {
    /// Its sequence number: consecutive from 0, as UDPTL would number it.
    pub seq: u16,
    /// Its encoding in the configured T.38 version.
    pub ifp: Vec<u8>,
    /// How many times to send it (copies carry the same sequence number).
    pub repeat: u32,
}

/// Counters for logs and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// IFP packets sent (copies not counted).
    pub packets_sent: u64,
    /// UDPTL datagrams sent (copies counted).
    pub datagrams_sent: u64,
    /// IFP packets received and taken (after duplicates are dropped).
    pub packets_received: u64,
    /// Packets known lost: UDPTL losses and gaps in bare IFP sequence numbers.
    pub lost: u64,
    /// Packets that arrived but did not decode as IFP.
    pub malformed: u64,
    /// Datagrams that were not UDPTL at all.
    pub invalid_datagrams: u64,
    /// Bare IFP packets dropped as repeats (sequence number not newer).
    pub repeats: u64,
}

/// The most internal steps one call may take before yielding: far more than any
/// real burst of due packets and timers, and a guard against a session that keeps
/// asking to be woken at the same instant.
const MAX_STEPS: usize = 1_000_000;

/// The most calls in a row to the session's `handle_timeout` at one instant.
const MAX_TIMER_CALLS: u32 = 8;

/// A T.38 fax terminal; see the [module documentation](self).
#[derive(Debug)]
pub struct Terminal {
    config: Config,
    session: Session,
    /// The latest time given to the session; it never goes back.
    session_time: Instant,
    /// When the line becomes free of the current transmission.
    line_free_at: Instant,
    current: Option<tx::Current>,
    /// Repeats of the last no-signal indicator still to go out.
    trailer: VecDeque<tx::Scheduled>,
    out: VecDeque<OutPacket>,
    next_seq: u16,
    sender: UdptlSender,
    receiver: UdptlReceiver,
    /// A datagram still to be sent this many more times.
    copies: Option<(Vec<u8>, u32)>,
    /// The last bare IFP sequence number taken.
    last_ifp_seq: Option<u16>,
    rx: rx::Rx,
    inputs: Vec<LineInput>,
    stats: Stats,
}

impl Terminal {
    /// A terminal at the start of the call (the line is connected).
    pub fn new(config: Config, now: Instant) -> Result<Terminal, Error> {
        config.validate()?;
        let mut sender_config = SenderConfig::new(config.version);
        sender_config.recovery = config.recovery;
        sender_config.max_datagram = config.max_datagram;
        let sender = UdptlSender::new(sender_config)?;
        let receiver = UdptlReceiver::new(ReceiverConfig::new(config.version))?;
        let session = Session::new(config.session.clone(), now);
        let mut terminal = Terminal {
            session,
            session_time: now,
            line_free_at: now,
            current: None,
            trailer: VecDeque::new(),
            out: VecDeque::new(),
            next_seq: 0,
            sender,
            receiver,
            copies: None,
            last_ifp_seq: None,
            rx: rx::Rx::new(config.tcf),
            inputs: Vec::new(),
            stats: Stats::default(),
            config,
        };
        // The line is quiet at the start of the call; saying so first also lets
        // the far end's UDPTL receiver learn our first sequence number early.
        terminal.emit_indicator(Indicator::NoSignal);
        terminal.pump(now);
        Ok(terminal)
    }

    // ---- UDPTL -----------------------------------------------------------------------

    /// A UDPTL datagram arrived.
    pub fn handle_datagram(&mut self, datagram: &[u8], now: Instant) {
        self.pump(now);
        match self.receiver.handle_datagram(datagram) {
            Ok(events) => {
                for event in events {
                    match event {
                        RxEvent::Packet { packet, .. } => self.take_packet(&packet, now),
                        RxEvent::Malformed { .. } => {
                            self.stats.malformed += 1;
                            self.rx.lost();
                        }
                        RxEvent::Lost { count, .. } => {
                            self.stats.lost += u64::from(count);
                            self.rx.lost();
                        }
                    }
                }
            }
            Err(_) => self.stats.invalid_datagrams += 1,
        }
        self.deliver(now);
        self.pump(now);
    }

    /// The next UDPTL datagram to send.
    pub fn poll_datagram(&mut self) -> Option<Vec<u8>> {
        if let Some((datagram, left)) = &mut self.copies {
            *left -= 1;
            let copy = datagram.clone();
            if *left == 0 {
                self.copies = None;
            }
            self.stats.datagrams_sent += 1;
            return Some(copy);
        }
        loop {
            let packet = self.out.pop_front()?;
            // Only a packet too long for the datagram limit is refused; the
            // payload bound keeps every packet well within it.
            let Ok(datagram) = self.sender.send_encoded(packet.ifp) else { continue };
            if packet.repeat > 1 {
                self.copies = Some((datagram.clone(), packet.repeat - 1));
            }
            self.stats.datagrams_sent += 1;
            return Some(datagram);
        }
    }

    // ---- bare IFP --------------------------------------------------------------------

    /// A bare IFP packet arrived with its sequence number (for transports that
    /// frame IFP themselves). A number not newer than the last one is a repeat and
    /// is dropped; a jump over numbers counts the numbers skipped as lost.
    pub fn handle_ifp(&mut self, ifp: &[u8], seq: u16, now: Instant) {
        self.pump(now);
        if let Some(last) = self.last_ifp_seq {
            let ahead = seq.wrapping_sub(last) as i16;
            if ahead <= 0 {
                self.stats.repeats += 1;
                return;
            }
            if ahead > 1 {
                self.stats.lost += (ahead - 1) as u64;
                self.rx.lost();
            }
        }
        self.last_ifp_seq = Some(seq);
        match IfpPacket::decode(ifp, self.config.version) {
            Ok(packet) => self.take_packet(&packet, now),
            Err(_) => {
                self.stats.malformed += 1;
                self.rx.lost();
            }
        }
        self.deliver(now);
        self.pump(now);
    }

    /// A decoded IFP packet arrived, in order, with no loss before it.
    pub fn handle_ifp_packet(&mut self, packet: &IfpPacket, now: Instant) {
        self.pump(now);
        self.take_packet(packet, now);
        self.deliver(now);
        self.pump(now);
    }

    /// Packets were lost before the next one (for transports that report losses
    /// themselves and use [`Terminal::handle_ifp_packet`]).
    pub fn handle_lost(&mut self, count: u16, now: Instant) {
        self.pump(now);
        self.stats.lost += u64::from(count);
        self.rx.lost();
    }

    /// The next bare IFP packet to send.
    pub fn poll_ifp(&mut self) -> Option<OutPacket> {
        self.out.pop_front()
    }

    // ---- time, events, the end -------------------------------------------------------

    /// The time [`Terminal::poll_timeout`] returned has come.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.pump(now);
    }

    /// When [`Terminal::handle_timeout`] should next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let packet = self.current.as_ref().map(|c| c.packets.front().map_or(c.done_at, |p| p.at));
        let trailer = self.trailer.front().map(|p| p.at);
        [packet, trailer, self.session.poll_timeout()].into_iter().flatten().min()
    }

    /// The session's next event: progress, pages, and at the end
    /// [`Event::Completed`].
    pub fn poll_event(&mut self) -> Option<Event> {
        self.session.poll_event()
    }

    /// Whether the call is over: the session has ended and nothing is left to send.
    pub fn is_finished(&self) -> bool {
        self.session.is_done() && self.current.is_none() && self.trailer.is_empty()
    }

    /// Ends the call locally (DCN if a dialogue had started, then
    /// [`fax_t30::session::Failure::LocalAbort`]).
    pub fn abort(&mut self, now: Instant) {
        self.pump(now);
        self.session_time = self.session_time.max(now);
        self.session.abort(self.session_time);
        self.pump(now);
    }

    /// The call ended underneath the terminal (a SIP BYE, a closed socket): the
    /// session ends at once, successfully only if the fax was already complete.
    pub fn hangup(&mut self, now: Instant) {
        self.pump(now);
        self.session_time = self.session_time.max(now);
        self.session.handle(LineInput::Hangup, self.session_time);
        self.pump(now);
    }

    /// The session, for its phase and statistics.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// The T.38 counters.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// The UDPTL receiver's counters (restorations, duplicates).
    pub fn udptl_stats(&self) -> fax_t38::RxStats {
        self.receiver.stats()
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    // ---- internals -------------------------------------------------------------------

    fn take_packet(&mut self, packet: &IfpPacket, now: Instant) {
        self.stats.packets_received += 1;
        self.rx.packet(packet, now, &mut self.inputs);
    }

    /// Hands the line inputs gathered to the session.
    fn deliver(&mut self, now: Instant) {
        if self.inputs.is_empty() {
            return;
        }
        self.session_time = self.session_time.max(now);
        for input in std::mem::take(&mut self.inputs) {
            self.session.handle(input, self.session_time);
        }
    }

    fn emit(&mut self, ifp: Vec<u8>, repeat: u32) {
        self.out.push_back(OutPacket { seq: self.next_seq, ifp, repeat });
        self.next_seq = self.next_seq.wrapping_add(1);
        self.stats.packets_sent += 1;
    }

    fn emit_indicator(&mut self, indicator: Indicator) {
        if let Ok(ifp) = IfpPacket::Indicator(indicator).encode(self.config.version) {
            self.emit(ifp, 1);
        }
    }

    /// Runs everything due up to `now` in time order: packets whose time has come,
    /// the end of the current transmission, the session's timers, and the next
    /// transmission the session wants sent.
    fn pump(&mut self, now: Instant) {
        let mut stalls = 0;
        for _ in 0..MAX_STEPS {
            if self.session.is_done() {
                // The repeats after our last signal (DCN, usually) still go out:
                // they are what protects its end against a loss.
                self.cancel_transmission();
                if self.trailer.front().is_some_and(|p| p.at <= now) {
                    self.release_due(now);
                }
                return;
            }
            if self.current.is_none()
                && let Some(transmit) = self.session.poll_transmit()
            {
                self.start_transmission(&transmit);
                continue;
            }
            let current_at = self.current.as_ref().and_then(|c| c.packets.front().map(|p| p.at));
            let packet_at = [current_at, self.trailer.front().map(|p| p.at)].into_iter().flatten().min();
            let done_at = self.current.as_ref().filter(|c| c.packets.is_empty()).map(|c| c.done_at);
            let session_at = self.session.poll_timeout();
            let Some(next) = [packet_at, done_at, session_at].into_iter().flatten().min() else { return };
            if next > now {
                return;
            }
            if packet_at.is_some_and(|t| t <= next) {
                self.release_due(next);
            } else if done_at.is_some_and(|t| t <= next) {
                if let Some(current) = self.current.take() {
                    self.line_free_at = current.done_at;
                    self.trailer.extend(current.trailer);
                }
                self.session_time = self.session_time.max(next);
                self.session.handle_transmit_done(self.session_time);
            } else {
                self.session_time = self.session_time.max(next);
                self.session.handle_timeout(self.session_time);
                // Several of the session's timers may fall due together, each
                // needing a call; a deadline that stays put after a few calls is
                // the session's to explain, and is left for the caller's next
                // wake-up rather than spun on here.
                if self.session.poll_timeout().is_some_and(|t| t <= next) {
                    stalls += 1;
                    if stalls > MAX_TIMER_CALLS {
                        return;
                    }
                } else {
                    stalls = 0;
                }
            }
        }
    }

    fn start_transmission(&mut self, transmit: &Transmit) {
        let start = self.line_free_at.max(self.session_time);
        let current = tx::Builder::new(&self.config, start).build(transmit);
        if current.signal {
            // A new signal supersedes the repeats announcing the end of the last
            // one; its own packets carry them in their redundancy.
            self.trailer.clear();
        }
        self.current = Some(current);
    }

    /// Releases every packet due at or before `t`, the trailer's and the current
    /// transmission's, in time order.
    fn release_due(&mut self, t: Instant) {
        loop {
            let trailer_at = self.trailer.front().map(|p| p.at).filter(|&at| at <= t);
            let current_at =
                self.current.as_ref().and_then(|c| c.packets.front().map(|p| p.at)).filter(|&at| at <= t);
            let packet = match (trailer_at, current_at) {
                (Some(a), Some(b)) if a <= b => self.trailer.pop_front(),
                (Some(_), None) => self.trailer.pop_front(),
                (_, Some(_)) => self.current.as_mut().and_then(|c| {
                    c.released += 1;
                    c.packets.pop_front()
                }),
                (None, None) => None,
            };
            let Some(packet) = packet else { break };
            self.emit(packet.ifp, packet.repeat);
        }
    }

    /// The session ended while a transmission was under way: the rest of it is
    /// moot, but the far end is told the signal stopped.
    fn cancel_transmission(&mut self) {
        if let Some(current) = self.current.take() {
            if current.closes_signal && current.released > 0 && !current.packets.is_empty() {
                self.emit_indicator(Indicator::NoSignal);
            }
            self.line_free_at = self.line_free_at.max(self.session_time);
        }
    }
}

impl fax_sim::Endpoint for Terminal {
    fn handle_datagram(&mut self, datagram: &[u8], now: Instant) {
        Terminal::handle_datagram(self, datagram, now);
    }

    fn handle_timeout(&mut self, now: Instant) {
        Terminal::handle_timeout(self, now);
    }

    fn poll_datagram(&mut self) -> Option<Vec<u8>> {
        Terminal::poll_datagram(self)
    }

    fn poll_timeout(&self) -> Option<Instant> {
        Terminal::poll_timeout(self)
    }

    fn is_finished(&self) -> bool {
        Terminal::is_finished(self)
    }
}

#[cfg(test)]
mod tests;
