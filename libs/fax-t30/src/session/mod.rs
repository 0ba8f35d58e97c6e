//! The T.30 session engine: one fax call, phases A to E, as a sans-IO state machine.
//!
//! A [`Session`] is fed what arrives from the line ([`LineInput`]) and the current
//! time, and polled for what to transmit ([`Transmit`]), when it next needs to be
//! woken ([`Session::poll_timeout`]) and what happened ([`Event`]). It never reads a
//! clock, never does I/O, never spawns and has no randomness, so a T.38 terminal, an
//! audio modem binding or a test can drive it, in real or virtual time.
//!
//! # Driving a session
//!
//! ```text
//! loop {
//!     while let Some(t) = session.poll_transmit() { medium.send(t) }   // serialised
//!     while let Some(e) = session.poll_event() { ... }                 // progress, pages, outcome
//!     wait for: medium input → session.handle(input, now)
//!               medium finished the last Transmit → session.handle_transmit_done(now)
//!               poll_timeout() reached → session.handle_timeout(now)
//! }
//! ```
//!
//! The medium must call [`Session::handle_transmit_done`] once per [`Transmit`] it took,
//! when that transmission has left the line: the response timers of T.30 (T2, T4) run
//! from the end of the session's own transmission. If it never does, a guard timer
//! derived from [`Transmit::nominal_duration`] stands in for it.
//!
//! # Roles
//!
//! The caller sends CNG and waits for DIS; the answerer sends CED, then NSF/CSI/DIS.
//! A calling sender answers DIS with TSI/DCS and TCF. A calling receiver polls: it
//! answers a DIS that announces a document (bit 9) with CIG/DTC, and the answerer,
//! which then sends, answers with DCS. The X bit of every frame is set by the caller
//! (the station that receives DIS) and clear from the answerer, as T.30 §5.3.6 asks.
//!
//! # States
//!
//! | state | entered | waits for | timer | on timeout |
//! | --- | --- | --- | --- | --- |
//! | `WaitDis` | start (calling), after MCF to EOM (sender) | DIS (or DTC) | T1; CNG every 3 s when calling | `NoAnswerTone` / `RemoteNotFax` / `Timeout(T1)` |
//! | `WaitDcs` | after our DIS (answering), DTC (polling), FTT, MCF to EOM (receiver) | DCS (+TSI), DTC when we are polled | T4 repeats DIS/DTC within T1; T2 after FTT | repeat; then `Timeout(T1)` or `Timeout(T2)` |
//! | `RxTcf` | valid DCS | TCF on the image modem | T2 | `Timeout(T2)` |
//! | `RxWaitPage` | CFR, MCF/RTP/RTN, MCF to PPS-NULL, PPR | image carrier, DCS (retrain), repeated post-message command | T2 | `Timeout(T2)` |
//! | `RxPage` | image carrier (non-ECM) | image data, carrier down | T2 between data | page ends |
//! | `RxWaitPostPage` | page ended (non-ECM) | MPS / EOM / EOP | T2 | `Timeout(T2)` |
//! | `RxEcmBlock` | image carrier (ECM) | FCD and RCP frames, carrier down | T2 between frames | block ends |
//! | `RxEcmWaitPps` | block ended | PPS, EOR, CTC, RR | T2 | `Timeout(T2)` |
//! | `RxWaitDcn` | MCF to EOP | DCN (or repeated EOP) | T2 | success |
//! | `TxWaitCfr` | DCS + TCF sent | CFR / FTT | T4, 3 tries | repeat DCS + TCF; `Timeout(T4)` |
//! | `TxWaitPageResponse` | page + MPS/EOM/EOP sent | MCF / RTP / RTN (PIP / PIN) | T4, 3 tries | repeat command; `Timeout(T4)` |
//! | `TxEcmWaitResponse` | block + PPS sent (or RR) | MCF / PPR / RNR | T4, 3 tries; T5 while RNR | repeat; `Timeout(T4)`, `Timeout(T5)` |
//! | `TxEcmWaitCtr` | CTC sent | CTR | T4, 3 tries | repeat; `Timeout(T4)` |
//! | `TxEcmWaitErr` | EOR sent | ERR | T4, 3 tries | repeat; `Timeout(T4)` |
//! | `Disconnecting` | any end after the dialogue started | our DCN to be sent | guard | completed |
//! | `Done` | completed | nothing | none | — |
//!
//! Transitions on responses, in short (the modules `send` and `receive` give the
//! details next to the code):
//!
//! - DIS → negotiate (best common rate, coding, resolution, width, ECM) → DCS + TCF.
//! - TCF checked → CFR, or FTT; FTT → next lower common rate, DCS + TCF again; at
//!   the lowest rate → `TrainingFailed`.
//! - Non-ECM page → MPS / EOM / EOP → receiver decodes and judges the copy quality →
//!   MCF, RTP (accepted, retrain) or RTN (rejected, retrain and resend once; a second
//!   RTN for the same page → `PageRejected`).
//! - ECM block → PPS-NULL / MPS / EOM / EOP → MCF or PPR with the frames missing;
//!   the sender resends those; every fourth PPR for a block → CTC (one rate lower,
//!   answered by CTR) up to `ecm_max_ctc` times, then EOR → ERR →
//!   `EcmRetransmissionLimit`. RNR is answered with RR polling under T5.
//! - MPS → next page; EOM → back to phase B (new DIS, new DCS); EOP → MCF → DCN.
//! - A damaged response (bad FCS) makes the sender repeat its command at once; a
//!   damaged command makes the receiver answer CRP; CRP makes either side repeat
//!   what it sent last. Three unexpected signals in a row end the call with
//!   `UnexpectedFrame`; DCN ends it with `RemoteDisconnected` unless the fax was
//!   complete; `Hangup` ends it with `RemoteHungUp`.
//!
//! Every state has a timer, every repetition is counted, and every loop is bounded
//! by the input, so a session always ends.

mod config;
mod ecm;
mod outcome;
mod prepare;
mod receive;
mod send;

use std::collections::VecDeque;
use std::fmt;
use std::time::{Duration, Instant};

use fax_image::{DecodeReport, Page};

pub use config::{Codings, Config, CopyQuality, Job, Resolutions, Role, Timers};
pub use outcome::{
    DocumentProblem, Failure, Incompatibility, Negotiated, Nsf, Outcome, PageQuality, PageStats, Phase,
    Stats, Timer,
};

use crate::{Fcf, Frame, Ident, Rate};

/// The gap T.30 (§5.3.2.4) asks for between the end of one signal and the start of
/// the next when the modem changes (V.21 to high speed and back) and before a
/// response: 75 ± 20 ms.
pub const TURNAROUND: Duration = Duration::from_millis(75);
/// The calling tone's on time (T.30 §4.2: 0.5 s on, 3 s off).
pub const CNG_ON: Duration = Duration::from_millis(500);
/// The calling tone's off time.
pub const CNG_OFF: Duration = Duration::from_secs(3);
/// The silence before CED after the call is answered (T.30 §4.3.2: at least 0.2 s).
pub const CED_DELAY: Duration = Duration::from_millis(200);
/// The length of the training check (TCF): 1.5 s ± 10 % of zeros.
pub const TCF_DURATION: Duration = Duration::from_millis(1500);
/// The V.21 preamble of flags before the first frame of a transmission (T.30
/// §5.3.1: 1 s ± 15 %).
pub const V21_PREAMBLE: Duration = Duration::from_secs(1);

/// A tone of phase A.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tone {
    /// Calling tone, 1100 Hz, from the caller.
    Cng,
    /// Called station identification, 2100 Hz, from the answerer.
    Ced,
}

/// Something to send, independent of the medium. The medium sends them one after the
/// other in the order polled, and reports each one's end with
/// [`Session::handle_transmit_done`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transmit {
    /// A tone for a duration.
    Tone {
        /// Which tone.
        tone: Tone,
        /// How long.
        duration: Duration,
    },
    /// Nothing on the line for a while (the gaps T.30 requires).
    Silence(Duration),
    /// One V.21 transmission of one or more frames: the medium adds preamble, flags
    /// and FCS. The last frame is final (control 0x13), the others not.
    V21Frames(Vec<Frame>),
    /// The training check: zeros for `duration` on the image modem at `rate`.
    Tcf {
        /// The image modem and speed.
        rate: Rate,
        /// How long.
        duration: Duration,
    },
    /// One non-ECM page in T.4 line form (LSB-first, EOLs, fill, RTC).
    ImageNonEcm {
        /// The image modem and speed.
        rate: Rate,
        /// The coded page.
        data: Vec<u8>,
    },
    /// An ECM partial page on the image modem as HDLC: FCD frames, then RCP × 3.
    ImageEcm {
        /// The image modem and speed.
        rate: Rate,
        /// The frames, without flags and FCS.
        frames: Vec<Frame>,
    },
}

/// The time a high-speed modem spends on its training sequence before data: V.17's
/// long training is about 1.4 s, V.29's about 0.25 s, V.27 ter's about 1 s at 2400
/// and 0.7 s at 4800. Used for [`Transmit::nominal_duration`] only.
fn training_time(rate: Rate) -> Duration {
    match rate.modem() {
        crate::Modem::V17 => Duration::from_millis(1400),
        crate::Modem::V29 => Duration::from_millis(260),
        crate::Modem::V27ter if rate.bps() == 2400 => Duration::from_millis(950),
        crate::Modem::V27ter => Duration::from_millis(710),
    }
}

/// How long `bits` take at `bps`.
fn bits_at(bits: u64, bps: u64) -> Duration {
    Duration::from_micros(bits.saturating_mul(1_000_000) / bps.max(1))
}

impl Transmit {
    /// How long this takes on an analogue line: tones and silences as given; V.21 at
    /// 300 bit/s with a 1 s preamble and each frame's octets plus FCS and a flag
    /// (bit stuffing ignored); image data at the modem's speed after its training
    /// sequence. A test medium can advance virtual time by this; the session uses it
    /// for a guard in case the medium never reports the end of a transmission.
    pub fn nominal_duration(&self) -> Duration {
        match self {
            Transmit::Tone { duration, .. } | Transmit::Silence(duration) => *duration,
            Transmit::V21Frames(frames) => {
                let octets: u64 = frames.iter().map(|f| f.encode().len() as u64 + 3).sum();
                V21_PREAMBLE + bits_at(octets * 8, 300)
            }
            Transmit::Tcf { rate, duration } => training_time(*rate) + *duration,
            Transmit::ImageNonEcm { rate, data } => {
                training_time(*rate) + bits_at(data.len() as u64 * 8, u64::from(rate.bps()))
            }
            Transmit::ImageEcm { rate, frames } => {
                let octets: u64 = frames.iter().map(|f| f.fif.len() as u64 + 6).sum();
                training_time(*rate) + bits_at(octets * 8, u64::from(rate.bps()))
            }
        }
    }
}

/// Something that arrived from the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineInput {
    /// CNG or CED was detected.
    Tone(Tone),
    /// One V.21 frame, without flags and FCS. Frames with a bad FCS count as not
    /// received, but tell the session that the other side spoke (T.30 CRP rules).
    V21Frame {
        /// The octets from the address to the end of the information field.
        octets: Vec<u8>,
        /// Whether the FCS was good.
        fcs_ok: bool,
    },
    /// The end of a V.21 transmission.
    V21CarrierDown,
    /// The image modem trained (or a T.38 indicator said so) at this rate: TCF, a
    /// page or an ECM block follows.
    ImageCarrier {
        /// The modem and speed.
        rate: Rate,
    },
    /// Non-ECM image octets (TCF or page) as received, LSB-first line order.
    ImageData(Vec<u8>),
    /// One HDLC frame on the image modem (ECM), without flags and FCS.
    ImageFrame {
        /// The octets from the address to the end of the information field.
        octets: Vec<u8>,
        /// Whether the FCS was good.
        fcs_ok: bool,
    },
    /// The end of the image signal.
    ImageCarrierDown,
    /// The call ended underneath us.
    Hangup,
}

/// What a session reports.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The session entered a T.30 phase.
    PhaseChanged(Phase),
    /// The remote terminal identified itself (CSI when we call, TSI or CIG when we
    /// answer).
    RemoteIdent(Ident),
    /// The remote terminal sent non-standard facilities.
    RemoteNsf(Nsf),
    /// Settings were chosen (sender) or accepted (receiver) for the pages that follow.
    Negotiated(Negotiated),
    /// A training check ended: `ok` is CFR, otherwise FTT.
    Training {
        /// The rate trained at.
        rate: Rate,
        /// Whether it succeeded.
        ok: bool,
    },
    /// The remote terminal confirmed a page.
    PageSent {
        /// The page, from 0.
        index: usize,
        /// Its figures.
        stats: PageStats,
    },
    /// A page arrived. Deliver pages whose `quality` is not
    /// [`PageQuality::Rejected`]; rejected ones are offered for salvage, and the
    /// sender usually sends them again.
    PageReceived {
        /// The page's position among the pages received, from 0.
        index: usize,
        /// The page.
        page: Page,
        /// Its decoding figures.
        report: DecodeReport,
        /// The copy-quality verdict.
        quality: PageQuality,
    },
    /// A page arrived but could not be decoded at all (answered RTN in non-ECM; in
    /// ECM, a page ended by EOR with frames missing).
    PageUnreadable {
        /// The page's position among the pages received, from 0.
        index: usize,
        /// The decoder's error, for logs (no fax content).
        reason: String,
    },
    /// The session ended. Always the last event.
    Completed(Outcome),
}

/// A wake-up the session asked for, other than T1 and T5, which run alongside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Alarm {
    /// T2: waiting for a command or for image data.
    T2,
    /// T4: waiting for a response.
    T4,
    /// Time for the next CNG burst.
    Cng,
    /// Our DCN should be out by now.
    Disconnect,
}

/// The states of the table in the module documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    WaitDis { cng: bool },
    WaitDcs { repeat: bool },
    RxTcf,
    RxWaitPage,
    RxPage,
    RxWaitPostPage,
    RxEcmBlock,
    RxEcmWaitPps,
    RxWaitDcn,
    TxWaitCfr,
    TxWaitPageResponse,
    TxEcmWaitResponse,
    TxEcmWaitCtr,
    TxEcmWaitErr,
    Disconnecting,
    Done,
}

/// How many unexpected signals in a row end the call.
const UNEXPECTED_LIMIT: u8 = 3;
/// The most frames kept while waiting for the final frame of a V.21 message.
const MAX_MESSAGE_FRAMES: usize = 16;

/// One T.30 fax call. See the module documentation.
pub struct Session {
    config: Config,
    /// Our X bit: set by the caller, which is the station that receives DIS.
    x: bool,
    state: State,
    phase: Phase,
    started: Instant,
    /// The latest time we were given.
    now: Instant,
    out: VecDeque<Transmit>,
    in_flight: usize,
    /// When to assume the medium finished what it took, if it never says so.
    busy_guard: Option<Instant>,
    alarm: Option<(Instant, Alarm)>,
    /// An alarm to start once our transmissions have left the line.
    alarm_after_send: Option<(Alarm, Duration)>,
    t1: Option<Instant>,
    t5: Option<Instant>,
    events: VecDeque<Event>,
    /// Frames of the V.21 message being received, before its final frame.
    message: Vec<Frame>,
    /// Whether a frame of that message was damaged.
    message_damaged: bool,
    /// The last command, to repeat after T4, CRP or a damaged response.
    command: Vec<Transmit>,
    tries: u8,
    /// The last response, to repeat after CRP or a repeated command.
    response: Option<Vec<Frame>>,
    unexpected: u8,
    /// Whether the remote terminal has made itself heard (tone or V.21).
    heard_remote: bool,
    /// Whether a V.21 dialogue has started, so that a local end should send DCN.
    dialogue: bool,
    /// The result to report once our DCN is out.
    ending: Option<Result<(), Failure>>,
    stats: Stats,
    tx: send::Sender,
    rx: receive::Receiver,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("role", &self.config.role)
            .field("state", &self.state)
            .field("phase", &self.phase)
            .field("queued", &self.out.len())
            .field("in_flight", &self.in_flight)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// A session at the start of the call (the line is connected): a caller starts
    /// sending CNG, an answerer CED and then DIS.
    pub fn new(mut config: Config, now: Instant) -> Session {
        let pages = match &mut config.job {
            Job::Send(pages) => std::mem::take(pages),
            Job::Receive => Vec::new(),
        };
        let x = config.role == Role::Calling;
        let mut session = Session {
            x,
            state: State::WaitDis { cng: false },
            phase: Phase::A,
            started: now,
            now,
            out: VecDeque::new(),
            in_flight: 0,
            busy_guard: None,
            alarm: None,
            alarm_after_send: None,
            t1: None,
            t5: None,
            events: VecDeque::new(),
            message: Vec::new(),
            message_damaged: false,
            command: Vec::new(),
            tries: 0,
            response: None,
            unexpected: 0,
            heard_remote: false,
            dialogue: false,
            ending: None,
            stats: Stats::default(),
            tx: send::Sender::new(pages),
            rx: receive::Receiver::default(),
            config,
        };
        session.events.push_back(Event::PhaseChanged(Phase::A));
        if let Err(failure) = session.tx.check_document(session.config.sends()) {
            session.complete(Err(failure), now);
            return session;
        }
        session.t1 = Some(now + session.config.timers.t1);
        match session.config.role {
            Role::Calling => {
                session.state = State::WaitDis { cng: true };
                session.queue(Transmit::Tone { tone: Tone::Cng, duration: CNG_ON });
                session.expect(Alarm::Cng, CNG_OFF);
            }
            Role::Answering => {
                session.queue(Transmit::Silence(CED_DELAY));
                session.queue(Transmit::Tone { tone: Tone::Ced, duration: session.config.ced_duration });
                session.set_phase(Phase::B);
                session.send_capabilities(now);
            }
        }
        session
    }

    /// Something arrived from the line.
    pub fn handle(&mut self, input: LineInput, now: Instant) {
        self.now = now;
        if self.state == State::Done {
            return;
        }
        match input {
            LineInput::Tone(tone) => {
                self.heard_remote = true;
                // A caller that hears CED knows a terminal answered; T.30 has it keep
                // sending CNG until DIS, so nothing else changes.
                let _ = tone;
            }
            LineInput::V21Frame { octets, fcs_ok } => self.on_v21_frame(&octets, fcs_ok, now),
            LineInput::V21CarrierDown => {
                if !self.message.is_empty() || self.message_damaged {
                    // The transmission ended without a good final frame: the message
                    // was damaged.
                    self.message.clear();
                    self.message_damaged = false;
                    self.on_damaged_message(now);
                }
            }
            LineInput::ImageCarrier { rate } => self.rx_image_carrier(rate, now),
            LineInput::ImageData(data) => self.rx_image_data(&data, now),
            LineInput::ImageFrame { octets, fcs_ok } => self.rx_image_frame(&octets, fcs_ok, now),
            LineInput::ImageCarrierDown => self.rx_image_carrier_down(now),
            LineInput::Hangup => self.on_hangup(now),
        }
    }

    /// The medium finished sending the oldest [`Transmit`] it took.
    pub fn handle_transmit_done(&mut self, now: Instant) {
        self.now = now;
        self.in_flight = self.in_flight.saturating_sub(1);
        if self.in_flight == 0 {
            self.busy_guard = None;
        }
        self.check_idle(now);
    }

    /// The time [`Session::poll_timeout`] returned has come.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.now = now;
        if self.state == State::Done {
            return;
        }
        if self.busy_guard.is_some_and(|t| t <= now) {
            // The medium never reported the end of what it took: assume it is out.
            self.busy_guard = None;
            self.in_flight = 0;
            self.check_idle(now);
        }
        if self.t1.is_some_and(|t| t <= now) {
            self.t1 = None;
            self.on_t1(now);
            return;
        }
        if self.t5.is_some_and(|t| t <= now) {
            self.t5 = None;
            self.fail(Failure::Timeout { timer: Timer::T5, phase: self.phase }, true, now);
            return;
        }
        if let Some((at, alarm)) = self.alarm
            && at <= now
        {
            self.alarm = None;
            self.on_alarm(alarm, now);
        }
    }

    /// The next transmission, if any. Take them one by one and report each one's end.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        let transmit = self.out.pop_front()?;
        self.in_flight += 1;
        // The sender's phases follow what actually goes out: the image is phase C,
        // the V.21 signals after it phase D.
        match &transmit {
            Transmit::ImageNonEcm { .. } | Transmit::ImageEcm { .. } => self.set_phase(Phase::C),
            Transmit::V21Frames(_) if self.phase == Phase::C => self.set_phase(Phase::D),
            _ => {}
        }
        // Allow twice the nominal time and a margin before assuming it went out.
        let start = self.busy_guard.unwrap_or(self.now).max(self.now);
        self.busy_guard = Some(start + transmit.nominal_duration() * 2 + Duration::from_secs(2));
        Some(transmit)
    }

    /// When [`Session::handle_timeout`] should be called next; `None` once the session
    /// has ended (or while it only waits for transmissions to be taken).
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.state == State::Done {
            return None;
        }
        [self.busy_guard, self.t1, self.t5, self.alarm.map(|(at, _)| at)].into_iter().flatten().min()
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Ends the call locally: sends DCN if a dialogue with the remote terminal has
    /// started, and ends with [`Failure::LocalAbort`].
    pub fn abort(&mut self, now: Instant) {
        self.now = now;
        if matches!(self.state, State::Done | State::Disconnecting) {
            return;
        }
        self.fail(Failure::LocalAbort, true, now);
    }

    /// Whether the session has ended ([`Event::Completed`] was queued).
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// The current phase.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// The statistics so far.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    // ---- transmission and timers ----------------------------------------------------

    fn queue(&mut self, transmit: Transmit) {
        self.out.push_back(transmit);
    }

    /// Queues a transmission with the turnaround gap before it.
    fn queue_after_gap(&mut self, transmit: Transmit) {
        self.out.push_back(Transmit::Silence(TURNAROUND));
        self.out.push_back(transmit);
    }

    fn line_idle(&self) -> bool {
        self.out.is_empty() && self.in_flight == 0
    }

    /// Starts `alarm` `after` our transmissions have left the line (at once if
    /// nothing is being sent), replacing any alarm running.
    fn expect(&mut self, alarm: Alarm, after: Duration) {
        self.alarm = None;
        self.alarm_after_send = Some((alarm, after));
        if self.line_idle() {
            self.check_idle(self.now);
        }
    }

    fn check_idle(&mut self, now: Instant) {
        if !self.line_idle() {
            return;
        }
        if self.state == State::Disconnecting {
            let result = self.ending.take().unwrap_or(Ok(()));
            self.complete(result, now);
            return;
        }
        if let Some((alarm, after)) = self.alarm_after_send.take() {
            self.alarm = Some((now + after, alarm));
        }
    }

    /// Any sign of V.21 activity stops T4 and T2 from expiring in the middle of a
    /// message (T.30 §5.4.3: a station that detects flags waits for the end).
    fn extend_wait(&mut self, now: Instant) {
        if let Some((at, alarm @ (Alarm::T2 | Alarm::T4))) = self.alarm {
            let floor = now + self.config.timers.t4;
            self.alarm = Some((at.max(floor), alarm));
        }
    }

    fn set_phase(&mut self, phase: Phase) {
        if self.phase != phase {
            self.phase = phase;
            self.events.push_back(Event::PhaseChanged(phase));
        }
    }

    // ---- frames ---------------------------------------------------------------------

    fn frame(&self, fcf: Fcf) -> Frame {
        Frame::new(fcf, self.x)
    }

    fn frame_with(&self, fcf: Fcf, fif: Vec<u8>) -> Frame {
        Frame::with_fif(fcf, self.x, fif)
    }

    /// Sends a command: it is repeated on T4, CRP or a damaged response, up to
    /// `command_tries` times in all.
    fn send_command(&mut self, transmits: Vec<Transmit>) {
        self.command = transmits.clone();
        self.tries = 1;
        for t in transmits {
            self.queue_after_gap(t);
        }
        self.expect(Alarm::T4, self.config.timers.t4);
    }

    /// Sends the last command again, or fails with `Timeout(T4)` when it has been
    /// sent `command_tries` times.
    fn repeat_command(&mut self, now: Instant) {
        if self.tries >= self.config.command_tries.max(1) {
            self.fail(Failure::Timeout { timer: Timer::T4, phase: self.phase }, true, now);
            return;
        }
        self.tries += 1;
        for t in self.command.clone() {
            self.queue_after_gap(t);
        }
        self.expect(Alarm::T4, self.config.timers.t4);
    }

    /// Sends a response and waits T2 for the next command or image.
    fn send_response(&mut self, frames: Vec<Frame>) {
        self.response = Some(frames.clone());
        self.queue_after_gap(Transmit::V21Frames(frames));
        self.expect(Alarm::T2, self.config.timers.t2);
    }

    /// Our capabilities: NSF, CSI, DIS as answerer; CIG, DTC when polling.
    fn capability_frames(&self, polling: bool) -> Vec<Frame> {
        let caps = self.config.local_capabilities();
        let mut frames = Vec::new();
        if !polling && let Some(nsf) = &self.config.nsf {
            frames.push(self.frame_with(Fcf::Nsf, nsf.clone()).not_final());
        }
        if let Some(ident) = &self.config.ident {
            let fcf = if polling { Fcf::Cig } else { Fcf::Csi };
            frames.push(self.frame_with(fcf, ident.encode()).not_final());
        }
        frames.push(self.frame_with(if polling { Fcf::Dtc } else { Fcf::Dis }, caps.encode()));
        frames
    }

    /// Sends DIS (answering, or receiving after EOM) and waits for DCS; T4 repeats
    /// it within T1.
    fn send_capabilities(&mut self, now: Instant) {
        let frames = self.capability_frames(false);
        self.state = State::WaitDcs { repeat: true };
        self.dialogue = true;
        if self.t1.is_none() {
            self.t1 = Some(now + self.config.timers.t1);
        }
        self.command = vec![Transmit::V21Frames(frames.clone())];
        self.tries = 1;
        self.queue_after_gap(Transmit::V21Frames(frames));
        self.expect(Alarm::T4, self.config.timers.t4);
    }

    // ---- V.21 reception ---------------------------------------------------------------

    fn on_v21_frame(&mut self, octets: &[u8], fcs_ok: bool, now: Instant) {
        self.heard_remote = true;
        self.extend_wait(now);
        // A V.21 frame means the image signal (if any) is over, even if its end was
        // not reported.
        self.rx_end_image_implicitly(now);
        let frame = if fcs_ok { Frame::parse(octets).ok() } else { None };
        let Some(frame) = frame else {
            self.message_damaged = true;
            return;
        };
        if self.message.len() >= MAX_MESSAGE_FRAMES {
            self.message.remove(0);
        }
        let final_frame = frame.final_frame;
        self.message.push(frame);
        if final_frame {
            let message = std::mem::take(&mut self.message);
            self.message_damaged = false;
            self.on_message(message, now);
        }
    }

    /// A damaged message: a sender repeats its command at once; a station waiting for
    /// a command asks for it again with CRP.
    fn on_damaged_message(&mut self, now: Instant) {
        match self.state {
            State::TxWaitCfr
            | State::TxWaitPageResponse
            | State::TxEcmWaitResponse
            | State::TxEcmWaitCtr
            | State::TxEcmWaitErr => self.repeat_command(now),
            State::WaitDcs { .. }
            | State::RxTcf
            | State::RxWaitPage
            | State::RxWaitPostPage
            | State::RxEcmWaitPps
            | State::RxWaitDcn => {
                let crp = vec![self.frame(Fcf::Crp)];
                self.queue_after_gap(Transmit::V21Frames(crp));
                self.expect(Alarm::T2, self.config.timers.t2);
            }
            _ => {}
        }
    }

    /// A complete V.21 message (its final frame arrived intact).
    fn on_message(&mut self, message: Vec<Frame>, now: Instant) {
        self.dialogue = true;
        let Some(last) = message.last() else { return };
        let fcf = last.fcf;
        match fcf {
            Fcf::Dcn => return self.on_dcn(now),
            Fcf::Crp => return self.on_crp(now),
            _ => {}
        }
        let expected = match self.state {
            State::WaitDis { .. }
            | State::TxWaitCfr
            | State::TxWaitPageResponse
            | State::TxEcmWaitResponse
            | State::TxEcmWaitCtr
            | State::TxEcmWaitErr => self.tx_message(&message, now),
            State::WaitDcs { .. }
            | State::RxTcf
            | State::RxWaitPage
            | State::RxPage
            | State::RxWaitPostPage
            | State::RxEcmBlock
            | State::RxEcmWaitPps
            | State::RxWaitDcn => self.rx_message(&message, now),
            State::Disconnecting | State::Done => true,
        };
        if expected {
            self.unexpected = 0;
        } else {
            self.unexpected += 1;
            if self.unexpected >= UNEXPECTED_LIMIT {
                self.fail(Failure::UnexpectedFrame { fcf, phase: self.phase }, true, now);
            }
        }
    }

    /// Takes the identity and NSF frames of a message that carries capabilities or
    /// settings.
    fn note_remote(&mut self, message: &[Frame]) {
        for frame in message {
            match frame.fcf {
                Fcf::Csi | Fcf::Tsi | Fcf::Cig => {
                    let ident = Ident::parse(&frame.fif);
                    if self.stats.remote_ident.as_ref() != Some(&ident) {
                        self.stats.remote_ident = Some(ident.clone());
                        self.events.push_back(Event::RemoteIdent(ident));
                    }
                }
                Fcf::Nsf | Fcf::Nss | Fcf::Nsc => {
                    let nsf = Nsf(frame.fif.clone());
                    if self.stats.remote_nsf.as_ref() != Some(&nsf) {
                        self.stats.remote_nsf = Some(nsf.clone());
                        self.events.push_back(Event::RemoteNsf(nsf));
                    }
                }
                _ => {}
            }
        }
    }

    fn on_crp(&mut self, now: Instant) {
        match self.state {
            State::TxWaitCfr
            | State::TxWaitPageResponse
            | State::TxEcmWaitResponse
            | State::TxEcmWaitCtr
            | State::TxEcmWaitErr
            | State::WaitDcs { repeat: true } => self.repeat_command(now),
            State::Disconnecting | State::Done | State::WaitDis { .. } => {}
            _ => {
                if let Some(response) = self.response.clone() {
                    self.queue_after_gap(Transmit::V21Frames(response));
                    self.expect(Alarm::T2, self.config.timers.t2);
                }
            }
        }
    }

    fn on_dcn(&mut self, now: Instant) {
        match self.state {
            State::Done | State::Disconnecting => {}
            // The sender ends the call after our MCF to EOP: the fax is complete.
            State::RxWaitDcn => {
                self.set_phase(Phase::E);
                self.complete(Ok(()), now);
            }
            _ => {
                let phase = self.phase;
                self.set_phase(Phase::E);
                self.complete(Err(Failure::RemoteDisconnected { phase }), now);
            }
        }
    }

    fn on_hangup(&mut self, now: Instant) {
        match self.state {
            State::Done => {}
            State::RxWaitDcn => self.complete(Ok(()), now),
            State::Disconnecting => {
                let result = self.ending.take().unwrap_or(Ok(()));
                self.complete(result, now);
            }
            _ => {
                let phase = self.phase;
                self.complete(Err(Failure::RemoteHungUp { phase }), now);
            }
        }
    }

    fn on_t1(&mut self, now: Instant) {
        match self.state {
            State::WaitDis { .. } if self.config.role == Role::Calling && !self.dialogue => {
                let failure = if self.heard_remote { Failure::RemoteNotFax } else { Failure::NoAnswerTone };
                self.complete(Err(failure), now);
            }
            State::WaitDis { .. } | State::WaitDcs { .. } => {
                let send_dcn = self.heard_remote;
                self.fail(Failure::Timeout { timer: Timer::T1, phase: self.phase }, send_dcn, now);
            }
            // T1 only guards the establishment of the dialogue.
            _ => {}
        }
    }

    fn on_alarm(&mut self, alarm: Alarm, now: Instant) {
        match alarm {
            Alarm::Cng => {
                if let State::WaitDis { cng: true } = self.state {
                    self.queue(Transmit::Tone { tone: Tone::Cng, duration: CNG_ON });
                    self.expect(Alarm::Cng, CNG_OFF);
                }
            }
            Alarm::Disconnect => {
                let result = self.ending.take().unwrap_or(Ok(()));
                self.complete(result, now);
            }
            Alarm::T4 => match self.state {
                // DIS and DTC are repeated until T1 ends the wait.
                State::WaitDcs { repeat: true } => {
                    for t in self.command.clone() {
                        self.queue_after_gap(t);
                    }
                    self.expect(Alarm::T4, self.config.timers.t4);
                }
                State::TxWaitCfr
                | State::TxWaitPageResponse
                | State::TxEcmWaitResponse
                | State::TxEcmWaitCtr
                | State::TxEcmWaitErr => self.repeat_command(now),
                _ => {}
            },
            Alarm::T2 => match self.state {
                State::RxPage => self.rx_end_page(now),
                State::RxEcmBlock => self.rx_end_block(now),
                // After MCF to EOP the fax is complete even if DCN never comes.
                State::RxWaitDcn => self.complete(Ok(()), now),
                State::WaitDis { .. } | State::Disconnecting | State::Done => {}
                _ => self.fail(Failure::Timeout { timer: Timer::T2, phase: self.phase }, true, now),
            },
        }
    }

    // ---- the end ----------------------------------------------------------------------

    /// Ends the call with `failure`, sending DCN first if `send_dcn` and a dialogue
    /// has started.
    fn fail(&mut self, failure: Failure, send_dcn: bool, now: Instant) {
        self.finish(Err(failure), send_dcn, now);
    }

    fn finish(&mut self, result: Result<(), Failure>, send_dcn: bool, now: Instant) {
        if matches!(self.state, State::Done | State::Disconnecting) {
            return;
        }
        if !(send_dcn && self.dialogue) {
            self.complete(result, now);
            return;
        }
        // What has not been taken yet is moot once we disconnect.
        self.out.clear();
        self.set_phase(Phase::E);
        self.state = State::Disconnecting;
        self.ending = Some(result);
        self.t1 = None;
        self.t5 = None;
        let dcn = vec![self.frame(Fcf::Dcn)];
        self.queue_after_gap(Transmit::V21Frames(dcn.clone()));
        let guard = Transmit::V21Frames(dcn).nominal_duration() * 2 + Duration::from_secs(2);
        self.alarm_after_send = None;
        // Whatever is still on the line goes out first; the guard only ends the
        // session if the medium never reports our DCN as sent.
        let after = self.busy_guard.unwrap_or(now).max(now);
        self.alarm = Some((after + guard, Alarm::Disconnect));
    }

    fn complete(&mut self, result: Result<(), Failure>, now: Instant) {
        if self.state == State::Done {
            return;
        }
        self.state = State::Done;
        self.out.clear();
        self.alarm = None;
        self.alarm_after_send = None;
        self.t1 = None;
        self.t5 = None;
        self.busy_guard = None;
        self.stats.duration = now.saturating_duration_since(self.started);
        let outcome = Outcome { result, stats: self.stats.clone() };
        self.events.push_back(Event::Completed(outcome));
    }
}
