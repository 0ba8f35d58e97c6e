//! What a session is told before the call: its role, its job, its capabilities and
//! its timers.

use std::time::Duration;

use fax_image::{Limits, Page};

use crate::ecm::FrameSize;
use crate::{Density, Dis, Ident, Length, Modems, RateSet, ScanTimeCapability, Width};

/// Which end of the call this terminal is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// We dialled: we send CNG and wait for the answerer's DIS.
    Calling,
    /// We answered: we send CED, then DIS.
    Answering,
}

/// What this terminal wants to do in the call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Job {
    /// Send these pages. A calling sender sends them after the answerer's DIS; an
    /// answering sender announces them in its DIS (bit 9) and sends them when the
    /// caller polls with DTC.
    Send(Vec<Page>),
    /// Receive pages. An answering receiver offers them in its DIS; a calling receiver
    /// polls the answerer with DTC if its DIS says it has a document.
    Receive,
}

/// The codings this terminal is willing to use (MH is always allowed, as T.30
/// requires of every Group 3 terminal).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Codings {
    /// T.4 two-dimensional coding.
    pub mr: bool,
    /// T.6 coding (only used with ECM).
    pub mmr: bool,
}

impl Default for Codings {
    fn default() -> Self {
        Codings { mr: true, mmr: true }
    }
}

/// The resolutions offered for receiving (standard is always offered). A sender
/// sends each page at its own resolution if the receiver accepts it, and otherwise
/// reduces fine and superfine pages to what the receiver has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Resolutions {
    /// 204 × 196 (R8 × 7.7 lines/mm).
    pub fine: bool,
    /// 204 × 391 (R8 × 15.4 lines/mm).
    pub superfine: bool,
    /// 300 × 300 pels/25.4 mm.
    pub r300: bool,
    /// 408 × 391 and 400 × 400.
    pub r16: bool,
}

impl Default for Resolutions {
    fn default() -> Self {
        Resolutions { fine: true, superfine: true, r300: true, r16: true }
    }
}

/// The T.30 timers (§5.4.3), as data. Times are measured from the end of our own
/// transmission where T.30 says so (T2, T4), from the start of phase B for T1, and
/// from the first RNR for T5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Timers {
    /// T1: 35 ± 5 s to identify the remote terminal as a fax terminal.
    pub t1: Duration,
    /// T2: 6 ± 1 s waiting for a command or the page.
    pub t2: Duration,
    /// T3: 10 ± 5 s for an operator after a procedure interrupt. Kept as data for
    /// completeness; this engine never requests an interrupt.
    pub t3: Duration,
    /// T4: 3 s ± 15 % waiting for a response before repeating a command (4.5 s for
    /// automatic terminals in some national variants; see [`Timers::automatic`]).
    pub t4: Duration,
    /// T5: 60 ± 5 s polling a receiver that answers RNR.
    pub t5: Duration,
}

impl Default for Timers {
    fn default() -> Self {
        Timers {
            t1: Duration::from_secs(35),
            t2: Duration::from_secs(6),
            t3: Duration::from_secs(10),
            t4: Duration::from_secs(3),
            t5: Duration::from_secs(60),
        }
    }
}

impl Timers {
    /// The default timers with T4 at 4.5 s, the value T.30 gives automatic terminals.
    pub fn automatic() -> Timers {
        Timers { t4: Duration::from_millis(4500), ..Timers::default() }
    }
}

/// The receiver's copy-quality rule for non-ECM pages, applied to the bad-row figures
/// of `fax_image::DecodeReport`:
///
/// - RTN (page rejected, sender retrains and usually resends) when the page could not
///   be decoded at all, or more than `rtn_bad_row_percent` percent of its rows are
///   bad, or more than `rtn_consecutive_bad_rows` bad rows follow each other (a band
///   of that height is visibly missing: at fine resolution 16 rows are 2 mm);
/// - otherwise RTP (accepted, retrain requested) when at least `rtp_bad_rows` rows
///   are bad;
/// - otherwise MCF.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CopyQuality {
    /// Percentage of bad rows above which the page is rejected.
    pub rtn_bad_row_percent: u32,
    /// Run of consecutive bad rows above which the page is rejected.
    pub rtn_consecutive_bad_rows: u32,
    /// Bad rows from which an accepted page is answered RTP instead of MCF; 0 never
    /// answers RTP.
    pub rtp_bad_rows: u32,
}

impl Default for CopyQuality {
    fn default() -> Self {
        CopyQuality { rtn_bad_row_percent: 5, rtn_consecutive_bad_rows: 16, rtp_bad_rows: 1 }
    }
}

/// Everything a [`crate::session::Session`] needs to know before the call.
#[derive(Debug, Clone)]
pub struct Config {
    /// Calling or answering.
    pub role: Role,
    /// Send pages or receive them.
    pub job: Job,
    /// Our identity, sent as TSI (sending), CSI (answering) or CIG (polling); `None`
    /// sends none.
    pub ident: Option<Ident>,
    /// Non-standard facilities octets to send before DIS (answering), passed through
    /// untouched; `None` sends no NSF.
    pub nsf: Option<Vec<u8>>,
    /// Whether to offer and use error correction mode.
    pub ecm: bool,
    /// The ECM frame size to use when sending.
    pub ecm_frame_size: FrameSize,
    /// The rates we may use; the best common one is tried first. Removing the top
    /// rates caps the speed. As a receiver, the modems of these rates are offered.
    pub rates: RateSet,
    /// Codings we are willing to use.
    pub codings: Codings,
    /// Resolutions offered for receiving.
    pub resolutions: Resolutions,
    /// The widest page we accept when receiving.
    pub max_width: Width,
    /// T.30 timers.
    pub timers: Timers,
    /// How often a command is sent without a valid response before giving up (T.30:
    /// three).
    pub command_tries: u8,
    /// How many times the sender falls back a rate with CTC for one ECM block before
    /// it ends the block with EOR. Each fallback comes after four PPRs.
    pub ecm_max_ctc: u8,
    /// The shortest run of zero octets, as a duration at the training rate, that makes
    /// a received TCF good. T.30 sends 1.5 s of zeros; the default asks for 1 s of it
    /// to be error free, which tolerates a noisy start or end.
    pub tcf_min_zero_run: Duration,
    /// Non-ECM copy-quality rule.
    pub copy_quality: CopyQuality,
    /// Bounds on received pages (width, rows).
    pub limits: Limits,
    /// The most coded octets kept for one received page; beyond it data is dropped
    /// (and the page will decode badly), so a peer cannot make us buffer without end.
    pub max_page_bytes: usize,
    /// How long CED lasts (T.30: 2.6 to 4 s).
    pub ced_duration: Duration,
}

impl Config {
    /// A configuration with every capability on, default timers, no identity.
    pub fn new(role: Role, job: Job) -> Config {
        Config {
            role,
            job,
            ident: None,
            nsf: None,
            ecm: true,
            ecm_frame_size: FrameSize::Octets256,
            rates: RateSet::ALL,
            codings: Codings::default(),
            resolutions: Resolutions::default(),
            max_width: Width::A3,
            timers: Timers::default(),
            command_tries: 3,
            ecm_max_ctc: 2,
            tcf_min_zero_run: Duration::from_secs(1),
            copy_quality: CopyQuality::default(),
            limits: Limits::default(),
            max_page_bytes: 16 * 1024 * 1024,
            ced_duration: Duration::from_secs(3),
        }
    }

    /// Whether the job is to send.
    pub fn sends(&self) -> bool {
        matches!(self.job, Job::Send(_))
    }

    /// The capabilities this terminal announces in DIS (answering) or DTC (polling),
    /// and negotiates with as a sender.
    pub fn local_capabilities(&self) -> Dis {
        let has = |modem| self.rates.iter().any(|r| r.modem() == modem);
        let mut dis = Dis {
            ready_to_receive: !self.sends(),
            ready_to_transmit: self.sends(),
            modems: Modems::for_modems(
                has(crate::Modem::V27ter),
                has(crate::Modem::V29),
                has(crate::Modem::V17),
            ),
            fine: self.resolutions.fine,
            superfine: self.resolutions.superfine,
            r300: self.resolutions.r300,
            r16: self.resolutions.r16,
            // Inch-based variants are accepted too; the metric ones are preferred.
            inch_preferred: self.resolutions.fine || self.resolutions.r16,
            metric_preferred: true,
            mr: self.codings.mr,
            ecm: self.ecm,
            mmr: self.ecm && self.codings.mmr,
            max_width: self.max_width,
            max_length: Length::Unlimited,
            // Software has no printer to wait for.
            scan_time: ScanTimeCapability::Ms0,
            ..Dis::default()
        };
        // Letter and Legal paper are as acceptable as unlimited length.
        dis.letter = true;
        dis.legal = true;
        dis
    }

    /// Whether we offer `density` for receiving.
    pub(crate) fn accepts_density(&self, density: Density) -> bool {
        self.local_capabilities().supports_density(density)
    }
}
