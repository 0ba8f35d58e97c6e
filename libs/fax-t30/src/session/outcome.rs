//! How a session ends: the typed failures, their stable codes, and the statistics of
//! the call.

use std::fmt;
use std::time::Duration;

use fax_image::Coding;

use crate::ecm::FrameSize;
use crate::{Density, Fcf, Ident, Rate, Width};

/// The phases of T.30 §2: A call set-up, B pre-message procedure (identification,
/// negotiation, training), C message transmission (the page), D post-message
/// procedure (confirmation, ECM partial-page exchanges), E call release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Call set-up: calling and answer tones.
    A,
    /// Pre-message procedure: DIS, DCS, training.
    B,
    /// Message transmission: the image on the high-speed modem.
    C,
    /// Post-message procedure: MPS/EOM/EOP, PPS, their responses.
    D,
    /// Call release: DCN.
    E,
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Phase::A => "A",
            Phase::B => "B",
            Phase::C => "C",
            Phase::D => "D",
            Phase::E => "E",
        };
        write!(f, "phase {name}")
    }
}

/// The timers of T.30 §5.4.3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Timer {
    /// T1: time to establish the fax dialogue (35 s).
    T1,
    /// T2: time a station waits for a command (6 s).
    T2,
    /// T3: time for an operator to answer a procedure interrupt (10 s).
    T3,
    /// T4: time a station waits for a response before repeating its command (3 s).
    T4,
    /// T5: time a sender keeps polling a receiver that is not ready (60 s).
    T5,
}

impl fmt::Display for Timer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Timer::T1 => "T1",
            Timer::T2 => "T2",
            Timer::T3 => "T3",
            Timer::T4 => "T4",
            Timer::T5 => "T5",
        })
    }
}

/// Why the two terminals could not agree on a way to exchange the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Incompatibility {
    /// The remote terminal's DIS does not say it can receive a fax (bit 10 clear).
    RemoteCannotReceive,
    /// We asked to poll, but the remote terminal has no document to send (bit 9 clear).
    RemoteHasNothingToSend,
    /// We were polled for a document but the remote terminal sent DCS instead, or it
    /// polled us while we have nothing to send.
    RoleMismatch,
    /// No modem speed in common.
    NoCommonRate,
    /// A page's resolution is not one the remote accepts and cannot be reduced to one.
    Resolution,
    /// A page is wider than the remote accepts.
    Width,
    /// The remote's DCS asks for something our DIS did not offer (a modem, coding,
    /// resolution, width, ECM, or a coding this engine does not implement).
    UnsupportedDcs,
}

impl fmt::Display for Incompatibility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Incompatibility::RemoteCannotReceive => "the remote terminal cannot receive faxes",
            Incompatibility::RemoteHasNothingToSend => "the remote terminal has no document to be polled",
            Incompatibility::RoleMismatch => "both terminals want to send, or both to receive",
            Incompatibility::NoCommonRate => "no modem speed in common",
            Incompatibility::Resolution => "the remote terminal does not accept the page resolution",
            Incompatibility::Width => "the remote terminal does not accept the page width",
            Incompatibility::UnsupportedDcs => "the remote terminal chose settings we did not offer",
        })
    }
}

/// Why a document given to a sending session cannot be faxed at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocumentProblem {
    /// The job has no pages.
    NoPages,
    /// A page's resolution is not one T.30 can announce.
    Resolution,
    /// A page's width is not a T.4 recording width (A4, B4, A3) at its resolution.
    Width,
}

impl fmt::Display for DocumentProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DocumentProblem::NoPages => "the document has no pages",
            DocumentProblem::Resolution => "a page has a resolution T.30 cannot announce",
            DocumentProblem::Width => "a page is not 1728, 2048 or 2432 pixels wide at its resolution",
        })
    }
}

/// Every way a session can fail. Each has a stable [`Failure::code`] for the service
/// to map to retry rules and to show to users, and `Display` text for people.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Failure {
    /// Calling: T1 expired and nothing was heard from the line — no answer tone, no
    /// V.21 signal. Usually a person, an answering machine or silence answered.
    #[error("no fax answer: nothing was heard from the called number within T1")]
    NoAnswerTone,
    /// Calling: T1 expired after an answer tone or unreadable V.21 signals were heard,
    /// but no valid DIS arrived.
    #[error("the called number answered but is not a fax terminal (no valid DIS within T1)")]
    RemoteNotFax,
    /// The terminals share no way to exchange this document.
    #[error("incompatible capabilities: {0}")]
    Incompatible(Incompatibility),
    /// The document handed to the session cannot be faxed.
    #[error("document not transmittable: {problem} (page {page})")]
    DocumentUnsupported {
        /// What is wrong.
        problem: DocumentProblem,
        /// The first page concerned, from 0.
        page: usize,
    },
    /// Training (TCF) failed at every rate both terminals have.
    #[error("training failed at every rate down to {lowest}")]
    TrainingFailed {
        /// The last rate tried.
        lowest: Rate,
    },
    /// The receiver rejected the same page (RTN) after it had been sent twice.
    #[error("page {page} was rejected twice (RTN) by the receiver")]
    PageRejected {
        /// The page, from 0.
        page: usize,
    },
    /// ECM: a block could not be completed despite repeated partial page requests,
    /// speed fallbacks (CTC) and the end of retransmission (EOR).
    #[error("page {page} could not be delivered intact: ECM retransmission limit reached")]
    EcmRetransmissionLimit {
        /// The page, from 0.
        page: usize,
    },
    /// The call ended (line input `Hangup`) before the fax was complete.
    #[error("the remote terminal hung up in {phase}")]
    RemoteHungUp {
        /// Where the session was.
        phase: Phase,
    },
    /// The remote terminal sent DCN before the fax was complete.
    #[error("the remote terminal disconnected (DCN) in {phase}")]
    RemoteDisconnected {
        /// Where the session was.
        phase: Phase,
    },
    /// A timer expired: a command was repeated three times without an answer (T4),
    /// no command came (T2), the dialogue was not established (T1), or a receiver
    /// stayed not ready (T5).
    #[error("timeout {timer} in {phase}")]
    Timeout {
        /// The timer.
        timer: Timer,
        /// Where the session was.
        phase: Phase,
    },
    /// The remote terminal kept sending signals that make no sense at this point.
    #[error("unexpected {fcf} from the remote terminal in {phase}")]
    UnexpectedFrame {
        /// The last unexpected signal.
        fcf: Fcf,
        /// Where the session was.
        phase: Phase,
    },
    /// [`crate::session::Session::abort`] was called.
    #[error("aborted locally")]
    LocalAbort,
}

impl Failure {
    /// A stable identifier: lower-case, underscores, never changed once released.
    /// Timeouts have one code per timer (`timeout_t1` … `timeout_t5`).
    pub fn code(&self) -> &'static str {
        match self {
            Failure::NoAnswerTone => "no_answer_tone",
            Failure::RemoteNotFax => "remote_not_fax",
            Failure::Incompatible(_) => "incompatible_capabilities",
            Failure::DocumentUnsupported { .. } => "document_unsupported",
            Failure::TrainingFailed { .. } => "training_failed",
            Failure::PageRejected { .. } => "page_rejected",
            Failure::EcmRetransmissionLimit { .. } => "ecm_retransmission_limit",
            Failure::RemoteHungUp { .. } => "remote_hung_up",
            Failure::RemoteDisconnected { .. } => "remote_disconnected",
            Failure::Timeout { timer: Timer::T1, .. } => "timeout_t1",
            Failure::Timeout { timer: Timer::T2, .. } => "timeout_t2",
            Failure::Timeout { timer: Timer::T3, .. } => "timeout_t3",
            Failure::Timeout { timer: Timer::T4, .. } => "timeout_t4",
            Failure::Timeout { timer: Timer::T5, .. } => "timeout_t5",
            Failure::UnexpectedFrame { .. } => "unexpected_frame",
            Failure::LocalAbort => "local_abort",
        }
    }

    /// Whether trying the same call again later can reasonably succeed: true for line
    /// and timing problems, false for capability and document problems and for a
    /// local abort.
    pub fn is_retryable(&self) -> bool {
        !matches!(self, Failure::Incompatible(_) | Failure::DocumentUnsupported { .. } | Failure::LocalAbort)
    }
}

/// What was negotiated for a run of pages (one DCS).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Negotiated {
    /// Modem and speed.
    pub rate: Rate,
    /// Page coding.
    pub coding: Coding,
    /// Resolution.
    pub density: Density,
    /// Recording width.
    pub width: Width,
    /// ECM frame size, `None` without ECM.
    pub ecm: Option<FrameSize>,
}

/// The copy quality a receiver judged a page to have (non-ECM), and so its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PageQuality {
    /// No bad rows (always the case in ECM): answered MCF.
    Good,
    /// Some bad rows, within the limits: answered RTP. The page is kept.
    Acceptable,
    /// Too many bad rows: answered RTN. The page is delivered for salvage with this
    /// mark; the sender may send it again, and the new copy arrives as another page
    /// event. ECM pages ended by EOR are marked this way too.
    Rejected,
}

/// Figures for one page, sent or received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageStats {
    /// The page's position in the call, from 0.
    pub index: usize,
    /// The rate it went at (the last one, if it was retransmitted after CTC).
    pub rate: Rate,
    /// Its coding.
    pub coding: Coding,
    /// Its resolution.
    pub density: Density,
    /// Coded size in octets.
    pub coded_bytes: usize,
    /// Rows decoded (receiver) or sent (sender).
    pub rows: u32,
    /// Bad rows the receiver found (non-ECM); 0 for the sender and in ECM.
    pub bad_rows: u32,
    /// Times the page was sent again after RTN (non-ECM).
    pub resends: u32,
    /// PPR frames exchanged for the page (ECM).
    pub pprs: u32,
    /// ECM frames sent again (sender) or requested again (receiver).
    pub frames_repeated: u32,
}

/// Statistics of a call, complete or not.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// The last negotiated settings, if any DCS was exchanged.
    pub negotiated: Option<Negotiated>,
    /// Pages the remote confirmed (sender).
    pub pages_sent: u32,
    /// Pages received and delivered (receiver), including pages marked rejected.
    pub pages_received: u32,
    /// Per page, in order.
    pub pages: Vec<PageStats>,
    /// Trainings (DCS + TCF) after the first: FTT fallbacks, retrains after RTP/RTN.
    pub retrains: u32,
    /// PPR frames exchanged in the whole call.
    pub pprs: u32,
    /// The remote terminal's identity (CSI when we call, TSI when we answer).
    pub remote_ident: Option<Ident>,
    /// The remote terminal's non-standard facilities field, as received.
    pub remote_nsf: Option<Nsf>,
    /// Time from the session's creation to its end.
    pub duration: Duration,
}

/// The octets of a non-standard facilities (NSF) field: country code, manufacturer
/// code, then the manufacturer's data. `Debug` shows the length only, since such
/// fields often carry names.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Nsf(pub Vec<u8>);

impl fmt::Debug for Nsf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Nsf({} octets)", self.0.len())
    }
}

/// How a session ended: success or the failure, with the statistics either way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// `Ok` when every page was delivered (sender: confirmed; receiver: received and
    /// the sender ended the call normally).
    pub result: Result<(), Failure>,
    /// What happened until the end.
    pub stats: Stats,
}

impl Outcome {
    /// Whether the fax went through.
    pub fn is_ok(&self) -> bool {
        self.result.is_ok()
    }

    /// The failure's stable code, or `"ok"`.
    pub fn code(&self) -> &'static str {
        match &self.result {
            Ok(()) => "ok",
            Err(failure) => failure.code(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_and_stable() {
        let all = [
            Failure::NoAnswerTone,
            Failure::RemoteNotFax,
            Failure::Incompatible(Incompatibility::NoCommonRate),
            Failure::DocumentUnsupported { problem: DocumentProblem::NoPages, page: 0 },
            Failure::TrainingFailed { lowest: Rate::V27TER_2400 },
            Failure::PageRejected { page: 1 },
            Failure::EcmRetransmissionLimit { page: 1 },
            Failure::RemoteHungUp { phase: Phase::C },
            Failure::RemoteDisconnected { phase: Phase::B },
            Failure::Timeout { timer: Timer::T1, phase: Phase::B },
            Failure::Timeout { timer: Timer::T2, phase: Phase::B },
            Failure::Timeout { timer: Timer::T3, phase: Phase::B },
            Failure::Timeout { timer: Timer::T4, phase: Phase::B },
            Failure::Timeout { timer: Timer::T5, phase: Phase::B },
            Failure::UnexpectedFrame { fcf: Fcf::Mcf, phase: Phase::B },
            Failure::LocalAbort,
        ];
        let mut codes: Vec<_> = all.iter().map(Failure::code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
        assert_eq!(
            Failure::Timeout { timer: Timer::T4, phase: Phase::D }.to_string(),
            "timeout T4 in phase D"
        );
        assert_eq!(
            Failure::PageRejected { page: 2 }.to_string(),
            "page 2 was rejected twice (RTN) by the receiver"
        );
        assert!(!Failure::LocalAbort.is_retryable());
        assert!(Failure::NoAnswerTone.is_retryable());
        assert_eq!(format!("{:?}", Nsf(vec![1, 2, 3])), "Nsf(3 octets)");
    }
}
