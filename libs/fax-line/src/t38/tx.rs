//! Turning one [`Transmit`] into a timed schedule of IFP packets.
//!
//! The schedule is computed when the terminal takes the transmission from the
//! session, from the time the line becomes free; the terminal then releases each
//! packet when its time has come and reports the transmission done at its end. See
//! the mapping table in the [parent module](super).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use fax_t30::session::{Tone, Transmit};
use fax_t30::{Frame, Modem, Rate};
use fax_t38::{DataType, Field, FieldType, IfpPacket, Indicator, Version};

use super::{Config, TcfMethod};

/// The octets HDLC adds to each frame on the line besides its content: two of FCS
/// and at least one closing flag (bit stuffing is ignored, as T.30's own timing
/// estimates do).
const HDLC_OVERHEAD: u64 = 3;

/// The V.21 rate.
const V21_BPS: u64 = 300;

/// One packet waiting for its time.
#[derive(Debug, Clone)]
pub(super) struct Scheduled {
    /// When it may leave.
    pub at: Instant,
    /// Its encoding.
    pub ifp: Vec<u8>,
    /// How many copies to send.
    pub repeat: u32,
}

/// A transmission in progress: its packets not yet released and when it ends.
#[derive(Debug, Clone)]
pub(super) struct Current {
    pub packets: VecDeque<Scheduled>,
    pub done_at: Instant,
    /// How many packets have been released: if the call ends after some but before
    /// the last, the far end is told the signal stopped.
    pub released: usize,
    /// Whether the schedule ends with a no-signal indicator (every signal does).
    pub closes_signal: bool,
    /// The repeats of the closing no-signal, due after the end: they go out while
    /// the line stays quiet, unless the next signal starts first.
    pub trailer: Vec<Scheduled>,
    /// Whether this transmission puts a signal on the line (all but silence).
    pub signal: bool,
}

/// The time a modem spends on its training sequence before data. V.17 has a long
/// training (used for TCF) of about 1.4 s and a short one (used for pages after a
/// successful TCF) of about 0.15 s; V.29 trains in about 0.26 s, V.27 ter in about
/// 0.95 s at 2400 bit/s and 0.71 s at 4800. A T.38 sender waits this long after the
/// training indicator before the first data, as the emitting gateway's modem
/// would.
pub(super) fn training_time(rate: Rate, long: bool) -> Duration {
    match rate.modem() {
        Modem::V17 if long => Duration::from_millis(1400),
        Modem::V17 => Duration::from_millis(150),
        Modem::V29 => Duration::from_millis(260),
        Modem::V27ter if rate.bps() == 2400 => Duration::from_millis(950),
        Modem::V27ter => Duration::from_millis(710),
    }
}

/// The IFP data type that carries data at `rate`.
pub(crate) fn data_type(rate: Rate) -> DataType {
    match (rate.modem(), rate.bps()) {
        (Modem::V27ter, 2400) => DataType::V27_2400,
        (Modem::V27ter, _) => DataType::V27_4800,
        (Modem::V29, 7200) => DataType::V29_7200,
        (Modem::V29, _) => DataType::V29_9600,
        (Modem::V17, 7200) => DataType::V17_7200,
        (Modem::V17, 9600) => DataType::V17_9600,
        (Modem::V17, 12000) => DataType::V17_12000,
        (Modem::V17, _) => DataType::V17_14400,
    }
}

/// The training indicator for `rate` (V.17: long or short).
pub(crate) fn training_indicator(rate: Rate, long: bool) -> Indicator {
    match (rate.modem(), rate.bps(), long) {
        (Modem::V27ter, 2400, _) => Indicator::V27_2400Training,
        (Modem::V27ter, _, _) => Indicator::V27_4800Training,
        (Modem::V29, 7200, _) => Indicator::V29_7200Training,
        (Modem::V29, _, _) => Indicator::V29_9600Training,
        (Modem::V17, 7200, true) => Indicator::V17_7200LongTraining,
        (Modem::V17, 7200, false) => Indicator::V17_7200ShortTraining,
        (Modem::V17, 9600, true) => Indicator::V17_9600LongTraining,
        (Modem::V17, 9600, false) => Indicator::V17_9600ShortTraining,
        (Modem::V17, 12000, true) => Indicator::V17_12000LongTraining,
        (Modem::V17, 12000, false) => Indicator::V17_12000ShortTraining,
        (Modem::V17, _, true) => Indicator::V17_14400LongTraining,
        (Modem::V17, _, false) => Indicator::V17_14400ShortTraining,
    }
}

/// Octets as T.38 carries them: the first bit sent on the line is the most
/// significant bit of each octet. T.30 frames and T.4 line data are held the other
/// way round (first bit in the least significant position, as an HDLC receiver
/// assembles them), so every data octet is bit-reversed on the way out and back on
/// the way in. SpanDSP reads a frame sent without the reversal as `ff c0 …` for
/// `ff 03 …`.
pub(super) fn to_line_order(octets: &[u8]) -> Vec<u8> {
    octets.iter().map(|b| b.reverse_bits()).collect()
}

/// How long `octets` take at `bps`.
fn octets_at(octets: u64, bps: u64) -> Duration {
    Duration::from_nanos(octets.saturating_mul(8_000_000_000) / bps.max(1))
}

/// Builds the schedule of one transmission.
pub(super) struct Builder<'a> {
    config: &'a Config,
    version: Version,
    start: Instant,
    packets: VecDeque<Scheduled>,
}

impl<'a> Builder<'a> {
    pub fn new(config: &'a Config, start: Instant) -> Builder<'a> {
        Builder { version: config.version, config, start, packets: VecDeque::new() }
    }

    /// The octets per data packet at `bps`: what the modem sends in one pacing
    /// interval (rounded up, so V.21 gets 2), at most the configured payload.
    fn chunk(&self, bps: u64) -> usize {
        let per_interval = (bps as u128 * self.config.pacing.as_nanos()).div_ceil(8_000_000_000);
        (per_interval as usize).clamp(1, self.config.max_payload.max(1))
    }

    fn push(&mut self, at: Instant, packet: &IfpPacket, repeat: u32) {
        debug_assert!(packet.is_portable(), "end-of-frame fields go last: {packet:?}");
        // Every packet built here is within the IFP limits for every version (no
        // extension values, payload bounded by `max_payload`), so encoding cannot
        // fail; a packet that somehow did would be left out rather than sent wrong.
        if let Ok(ifp) = packet.encode(self.version) {
            self.packets.push_back(Scheduled { at, ifp, repeat: repeat.max(1) });
        }
    }

    /// An indicator, sent [`Config::indicator_repeats`] times as packets of their
    /// own (each with its own sequence number), one pacing interval apart. Separate
    /// packets rather than copies of one datagram matter for the end of a signal:
    /// UDPTL redundancy restores a lost packet only from later datagrams, and after
    /// the end of a signal the line may stay quiet for seconds, so the repeats are
    /// what carries the signal's last packets (in their redundancy) across a loss.
    /// Copies that go out after `until` (the start of the next signal may cut them
    /// short) go to `later`.
    fn indicator(&mut self, at: Instant, indicator: Indicator, later: Option<&mut Vec<Scheduled>>) {
        let Ok(ifp) = IfpPacket::Indicator(indicator).encode(self.version) else { return };
        let first = Scheduled { at, ifp: ifp.clone(), repeat: 1 };
        self.packets.push_back(first);
        let copies = (1..self.config.indicator_repeats).map(|k| Scheduled {
            at: at + self.config.pacing * k,
            ifp: ifp.clone(),
            repeat: 1,
        });
        match later {
            Some(later) => later.extend(copies),
            None => self.packets.extend(copies),
        }
    }

    /// Frames as HDLC on `data_type` at `bps`, from `start`: each frame's octets in
    /// `hdlc-data` fields of at most one pacing interval's worth, the frame end
    /// (`hdlc-fcs-OK`, or `hdlc-fcs-OK-sig-end` for the last frame) as the last
    /// field of the packet that carries the frame's last octets, so that no field
    /// without data is ever followed by another. Each packet leaves when the
    /// octets it carries would have been sent. Returns the end of the signal.
    fn hdlc(&mut self, data_type: DataType, frames: &[Vec<u8>], bps: u64, start: Instant) -> Instant {
        let chunk = self.chunk(bps);
        let mut line_octets = 0u64;
        for (i, frame) in frames.iter().enumerate() {
            let last = i + 1 == frames.len();
            let mut pieces = frame.chunks(chunk).peekable();
            while let Some(piece) = pieces.next() {
                line_octets += piece.len() as u64;
                let mut fields = vec![Field::new(FieldType::HdlcData, to_line_order(piece))];
                let mut repeat = 1;
                if pieces.peek().is_none() {
                    line_octets += HDLC_OVERHEAD;
                    let end = if last { FieldType::HdlcFcsOkSigEnd } else { FieldType::HdlcFcsOk };
                    fields.push(Field::bare(end));
                    if last {
                        repeat = self.config.data_end_repeats;
                    }
                }
                let at = start + octets_at(line_octets, bps);
                self.push(at, &IfpPacket::Data { data_type, fields }, repeat);
            }
        }
        start + octets_at(line_octets, bps)
    }

    /// Non-ECM data (a page or TCF) as `t4-non-ecm-data` chunks, the last packet
    /// closed by `t4-non-ecm-sig-end`. Returns the end of the signal.
    fn non_ecm(&mut self, data_type: DataType, data: &[u8], bps: u64, start: Instant) -> Instant {
        let chunk = self.chunk(bps);
        let mut sent = 0u64;
        let mut pieces = data.chunks(chunk).peekable();
        if pieces.peek().is_none() {
            let end = Field::bare(FieldType::T4NonEcmSigEnd);
            self.push(start, &IfpPacket::data(data_type, end), self.config.data_end_repeats);
            return start;
        }
        while let Some(piece) = pieces.next() {
            sent += piece.len() as u64;
            let mut fields = vec![Field::new(FieldType::T4NonEcmData, to_line_order(piece))];
            let mut repeat = 1;
            if pieces.peek().is_none() {
                fields.push(Field::bare(FieldType::T4NonEcmSigEnd));
                repeat = self.config.data_end_repeats;
            }
            let at = start + octets_at(sent, bps);
            self.push(at, &IfpPacket::Data { data_type, fields }, repeat);
        }
        start + octets_at(sent, bps)
    }

    /// The schedule for `transmit`.
    pub fn build(mut self, transmit: &Transmit) -> Current {
        let start = self.start;
        let (end, signal) = match transmit {
            Transmit::Silence(duration) => (start + *duration, false),
            Transmit::Tone { tone, duration } => {
                let indicator = match tone {
                    Tone::Cng => Indicator::Cng,
                    Tone::Ced => Indicator::Ced,
                };
                self.indicator(start, indicator, None);
                (start + *duration, true)
            }
            Transmit::V21Frames(frames) => {
                self.indicator(start, Indicator::V21Preamble, None);
                let octets: Vec<Vec<u8>> = frames.iter().map(Frame::encode).collect();
                let first = start + self.config.v21_preamble;
                (self.hdlc(DataType::V21, &octets, V21_BPS, first), true)
            }
            Transmit::Tcf { rate, duration } => {
                self.indicator(start, training_indicator(*rate, true), None);
                let data_start = start + training_time(*rate, true);
                let end = match self.config.tcf {
                    TcfMethod::Transferred => {
                        let bps = u64::from(rate.bps());
                        let octets = (bps as u128 * duration.as_nanos() / 8_000_000_000) as usize;
                        self.non_ecm(data_type(*rate), &vec![0; octets], bps, data_start)
                    }
                    // The far end's gateway or terminal makes the zeros itself.
                    TcfMethod::Local => data_start + *duration,
                };
                (end, true)
            }
            Transmit::ImageNonEcm { rate, data } => {
                self.indicator(start, training_indicator(*rate, false), None);
                let data_start = start + training_time(*rate, false);
                (self.non_ecm(data_type(*rate), data, u64::from(rate.bps()), data_start), true)
            }
            Transmit::ImageEcm { rate, frames } => {
                self.indicator(start, training_indicator(*rate, false), None);
                let data_start = start + training_time(*rate, false);
                let octets: Vec<Vec<u8>> = frames.iter().map(Frame::encode).collect();
                (self.hdlc(data_type(*rate), &octets, u64::from(rate.bps()), data_start), true)
            }
        };
        let mut trailer = Vec::new();
        if signal {
            // Silence after every signal, so the far end knows the line is quiet
            // even when it missed the end-of-data field.
            self.indicator(end, Indicator::NoSignal, Some(&mut trailer));
        }
        Current { packets: self.packets, done_at: end, released: 0, closes_signal: signal, trailer, signal }
    }
}
