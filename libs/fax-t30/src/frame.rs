//! T.30 HDLC frames and their facsimile control fields.

use std::fmt;

use crate::Error;

/// The address octet of every T.30 frame: the HDLC "all stations" address.
pub const ADDRESS: u8 = 0xFF;
/// The control octet of a frame that another frame follows in the same message
/// (T.30 writes it `1100 0000`).
pub const CONTROL_NOT_FINAL: u8 = 0x03;
/// The control octet of the last frame of a message (T.30 writes it `1100 1000`),
/// after which the other station answers.
pub const CONTROL_FINAL: u8 = 0x13;

/// The longest frame [`Frame::parse`] accepts, in octets from the address to the end
/// of the information field. The longest T.30 frame is an ECM FCD frame: header,
/// frame number and 256 data octets, 260 in all; non-standard facilities frames
/// (NSF, NSC, NSS) are the only others that grow, and stay far below this.
pub const MAX_FRAME_LEN: usize = 512;

/// Turns T.30's notation for an FCF, such as `"X100 0001"`, into the octet an LSB-first
/// receiver assembles. T.30 writes the first bit transmitted on the left, so the
/// leftmost character becomes the least significant bit. `X` (the X bit) becomes 0.
///
/// Only used in constants: a malformed string fails the build, never a run.
const fn t30(code: &str) -> u8 {
    let bytes = code.as_bytes();
    let mut value = 0u8;
    let mut bit = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'1' => {
                value |= 1 << bit;
                bit += 1;
            }
            b'0' | b'X' => bit += 1,
            b' ' => {}
            _ => panic!("not a T.30 bit string"),
        }
        i += 1;
    }
    assert!(bit == 8, "a T.30 FCF has eight bits");
    value
}

/// The octet values of every signal, written as T.30 §5.3.6 writes them.
mod code {
    use super::t30;

    // Initial identification, from the called terminal (§5.3.6.1.1). No X bit: the
    // first bit distinguishes these from their "command to send" twins.
    pub const DIS: u8 = t30("0000 0001");
    pub const CSI: u8 = t30("0000 0010");
    pub const NSF: u8 = t30("0000 0100");
    // Commands to send, from a terminal that wants to receive (polling) (§5.3.6.1.2).
    pub const DTC: u8 = t30("1000 0001");
    pub const CIG: u8 = t30("1000 0010");
    pub const NSC: u8 = t30("1000 0100");
    pub const PWD: u8 = t30("1000 0011");
    pub const SEP: u8 = t30("1000 0101");
    pub const PSA: u8 = t30("1000 0110");
    pub const CIA: u8 = t30("1000 0111");
    pub const ISP: u8 = t30("1000 1000");
    // Commands to receive, from the transmitting terminal (§5.3.6.1.3).
    pub const DCS: u8 = t30("X100 0001");
    pub const TSI: u8 = t30("X100 0010");
    pub const NSS: u8 = t30("X100 0100");
    pub const SUB: u8 = t30("X100 0011");
    pub const SID: u8 = t30("X100 0101");
    pub const TSA: u8 = t30("X100 0110");
    pub const IRA: u8 = t30("X100 0111");
    pub const CTC: u8 = t30("X100 1000");
    // Pre-message responses (§5.3.6.1.4).
    pub const CFR: u8 = t30("X010 0001");
    pub const FTT: u8 = t30("X010 0010");
    pub const CTR: u8 = t30("X010 0011");
    pub const CSA: u8 = t30("X010 0100");
    // Post-message commands (§5.3.6.1.5).
    pub const EOM: u8 = t30("X111 0001");
    pub const MPS: u8 = t30("X111 0010");
    pub const EOR: u8 = t30("X111 0011");
    pub const EOP: u8 = t30("X111 0100");
    pub const RR: u8 = t30("X111 0110");
    pub const EOS: u8 = t30("X111 1000");
    pub const PRI_EOM: u8 = t30("X111 1001");
    pub const PRI_MPS: u8 = t30("X111 1010");
    pub const PRI_EOP: u8 = t30("X111 1100");
    pub const PPS: u8 = t30("X111 1101");
    // Post-message responses (§5.3.6.1.6).
    pub const MCF: u8 = t30("X011 0001");
    pub const RTN: u8 = t30("X011 0010");
    pub const RTP: u8 = t30("X011 0011");
    pub const PIN: u8 = t30("X011 0100");
    pub const PIP: u8 = t30("X011 0101");
    pub const PID: u8 = t30("X011 0110");
    pub const RNR: u8 = t30("X011 0111");
    pub const ERR: u8 = t30("X011 1000");
    pub const PPR: u8 = t30("X011 1101");
    pub const FDM: u8 = t30("X011 1111");
    // Other line control signals (§5.3.6.1.7 and Annex H).
    pub const DCN: u8 = t30("X101 1111");
    pub const CRP: u8 = t30("X101 1000");
    pub const FNV: u8 = t30("X101 0011");
    pub const TNR: u8 = t30("X101 0111");
    pub const TR: u8 = t30("X101 0110");
    pub const DNK: u8 = t30("X101 1001");
    pub const TK: u8 = t30("1101 0010");
    pub const RK: u8 = t30("0101 0010");
    pub const DES: u8 = t30("0000 0101");
    pub const DEC: u8 = t30("1100 1001");
    pub const DER: u8 = t30("1100 1010");
    pub const SPI: u8 = t30("0000 1000");
    // ECM data frames on the image modem (T.4 Annex A).
    pub const FCD: u8 = t30("0110 0000");
    pub const RCP: u8 = t30("0110 0001");
    // The second FCF of PPS and EOR when the block is not the end of a page.
    pub const NULL: u8 = t30("0000 0000");
}

/// The second FCF octet (FCF2) of PPS and EOR: which post-message command the partial
/// page signal or end of retransmission stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PostMessage {
    /// The block is not the last of its page (`PPS-NULL`, `EOR-NULL`).
    Null,
    /// End of message: another document follows after a return to phase B.
    Eom,
    /// Multi-page signal: another page follows with the same settings.
    Mps,
    /// End of procedure: the last page.
    Eop,
    /// EOM with a request for operator intervention.
    PriEom,
    /// MPS with a request for operator intervention.
    PriMps,
    /// EOP with a request for operator intervention.
    PriEop,
    /// End of selection (continuous polling and BFT selection).
    Eos,
    /// Any other FCF2 octet, kept exactly as received (T.30 Annex H uses PSS and SPT
    /// here, for example).
    Other(u8),
}

impl PostMessage {
    /// The octet, with the X bit as `dis_received` says. T.30 sends the NULL FCF2 as all
    /// zeros whatever the X bit of the frame, as SpanDSP does too.
    fn encode(self, dis_received: bool) -> u8 {
        let x = u8::from(dis_received);
        match self {
            PostMessage::Null => code::NULL,
            PostMessage::Eom => code::EOM | x,
            PostMessage::Mps => code::MPS | x,
            PostMessage::Eop => code::EOP | x,
            PostMessage::PriEom => code::PRI_EOM | x,
            PostMessage::PriMps => code::PRI_MPS | x,
            PostMessage::PriEop => code::PRI_EOP | x,
            PostMessage::Eos => code::EOS | x,
            PostMessage::Other(octet) => octet,
        }
    }

    /// Reads an FCF2 octet. The X bit of a known command is ignored: a peer that gets it
    /// wrong in FCF2 still means the same command.
    fn parse(octet: u8) -> PostMessage {
        if octet == code::NULL {
            return PostMessage::Null;
        }
        match octet & 0xFE {
            code::EOM => PostMessage::Eom,
            code::MPS => PostMessage::Mps,
            code::EOP => PostMessage::Eop,
            code::PRI_EOM => PostMessage::PriEom,
            code::PRI_MPS => PostMessage::PriMps,
            code::PRI_EOP => PostMessage::PriEop,
            code::EOS => PostMessage::Eos,
            _ => PostMessage::Other(octet),
        }
    }

    /// The signal's name as T.30 writes it after `PPS-` or `EOR-`.
    pub fn name(self) -> &'static str {
        match self {
            PostMessage::Null => "NULL",
            PostMessage::Eom => "EOM",
            PostMessage::Mps => "MPS",
            PostMessage::Eop => "EOP",
            PostMessage::PriEom => "PRI-EOM",
            PostMessage::PriMps => "PRI-MPS",
            PostMessage::PriEop => "PRI-EOP",
            PostMessage::Eos => "EOS",
            PostMessage::Other(_) => "?",
        }
    }
}

/// A facsimile control field: which T.30 signal a frame is.
///
/// The X bit is not part of this type; it is [`Frame::dis_received`]. PPS and EOR carry
/// their second FCF octet as a [`PostMessage`], so `Fcf::Pps(PostMessage::Mps)` is the
/// signal T.30 calls PPS-MPS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Fcf {
    // ---- initial identification ----
    /// Digital identification signal: the called terminal's capabilities.
    Dis,
    /// Called subscriber identification.
    Csi,
    /// Non-standard facilities.
    Nsf,
    // ---- commands to send (polling) ----
    /// Digital transmit command: a polling terminal's capabilities and request.
    Dtc,
    /// Calling subscriber identification.
    Cig,
    /// Non-standard facilities command.
    Nsc,
    /// Password for polling.
    Pwd,
    /// Selective polling address.
    Sep,
    /// Polled subaddress.
    Psa,
    /// Calling subscriber internet address.
    Cia,
    /// Internet selective polling address.
    Isp,
    // ---- commands to receive ----
    /// Digital command signal: the settings the sender chose.
    Dcs,
    /// Transmitting subscriber identification.
    Tsi,
    /// Non-standard facilities set-up.
    Nss,
    /// Subaddress.
    Sub,
    /// Sender identification (password for sending).
    Sid,
    /// Transmitting subscriber internet address.
    Tsa,
    /// Internet routing address.
    Ira,
    /// Continue to correct: ECM retransmission goes on, possibly at a new speed.
    Ctc,
    // ---- pre-message responses ----
    /// Confirmation to receive: training succeeded.
    Cfr,
    /// Failure to train.
    Ftt,
    /// Response to continue to correct.
    Ctr,
    /// Called subscriber internet address.
    Csa,
    // ---- post-message commands ----
    /// End of message.
    Eom,
    /// Multi-page signal.
    Mps,
    /// End of procedure.
    Eop,
    /// Procedure interrupt, end of message.
    PriEom,
    /// Procedure interrupt, multi-page signal.
    PriMps,
    /// Procedure interrupt, end of procedure.
    PriEop,
    /// End of selection.
    Eos,
    /// Partial page signal (ECM), with its FCF2.
    Pps(PostMessage),
    /// End of retransmission (ECM), with its FCF2.
    Eor(PostMessage),
    /// Receive ready: asks whether a busy receiver is ready again.
    Rr,
    // ---- post-message responses ----
    /// Message confirmation.
    Mcf,
    /// Retrain negative: page received badly, retrain before the next.
    Rtn,
    /// Retrain positive: page received acceptably, retrain before the next.
    Rtp,
    /// Procedure interrupt negative.
    Pin,
    /// Procedure interrupt positive.
    Pip,
    /// Partial page request (ECM): which frames to send again.
    Ppr,
    /// Receive not ready (ECM flow control).
    Rnr,
    /// Response to end of retransmission.
    Err,
    /// File diagnostics message (binary file transfer).
    Fdm,
    /// Procedure interrupt disconnect.
    Pid,
    // ---- other line control ----
    /// Disconnect.
    Dcn,
    /// Command repeat: the last frame arrived damaged.
    Crp,
    /// Field not valid.
    Fnv,
    /// Transmit not ready.
    Tnr,
    /// Transmit ready.
    Tr,
    /// Digital not acknowledge (T.30 Annex H).
    Dnk,
    /// Transmitter keys (T.30 Annex H security).
    Tk,
    /// Receiver keys (T.30 Annex H security).
    Rk,
    /// Digital extended signal.
    Des,
    /// Digital extended command.
    Dec,
    /// Digital extended request.
    Der,
    /// Security page indicator (T.30 Annex H).
    Spi,
    // ---- ECM data on the image modem ----
    /// Facsimile coded data: one ECM frame of a block (T.4 Annex A).
    Fcd,
    /// Return to control for partial page: ends an ECM block.
    Rcp,
    /// An FCF no T.30 signal uses, with the X bit removed (it is in
    /// [`Frame::dis_received`]). Kept so that a new or broken peer is reported, not
    /// rejected.
    Unknown(u8),
}

/// Signals whose first bit is part of the code (no X bit): the initial identification
/// and polling commands, which exist in pairs differing in that bit, and the ECM data
/// frames, and a few Annex H signals. Searched before the X-bit signals.
const FIXED: [(u8, Fcf); 19] = [
    (code::DIS, Fcf::Dis),
    (code::CSI, Fcf::Csi),
    (code::NSF, Fcf::Nsf),
    (code::DTC, Fcf::Dtc),
    (code::CIG, Fcf::Cig),
    (code::NSC, Fcf::Nsc),
    (code::PWD, Fcf::Pwd),
    (code::SEP, Fcf::Sep),
    (code::PSA, Fcf::Psa),
    (code::CIA, Fcf::Cia),
    (code::ISP, Fcf::Isp),
    (code::TK, Fcf::Tk),
    (code::RK, Fcf::Rk),
    (code::DES, Fcf::Des),
    (code::DEC, Fcf::Dec),
    (code::DER, Fcf::Der),
    (code::SPI, Fcf::Spi),
    (code::FCD, Fcf::Fcd),
    (code::RCP, Fcf::Rcp),
];

/// Signals whose first bit is the X bit, by their code with that bit clear. PPS and EOR
/// stand here with a placeholder FCF2.
const WITH_X: [(u8, Fcf); 38] = [
    (code::DCS, Fcf::Dcs),
    (code::TSI, Fcf::Tsi),
    (code::NSS, Fcf::Nss),
    (code::SUB, Fcf::Sub),
    (code::SID, Fcf::Sid),
    (code::TSA, Fcf::Tsa),
    (code::IRA, Fcf::Ira),
    (code::CTC, Fcf::Ctc),
    (code::CFR, Fcf::Cfr),
    (code::FTT, Fcf::Ftt),
    (code::CTR, Fcf::Ctr),
    (code::CSA, Fcf::Csa),
    (code::EOM, Fcf::Eom),
    (code::MPS, Fcf::Mps),
    (code::EOP, Fcf::Eop),
    (code::PRI_EOM, Fcf::PriEom),
    (code::PRI_MPS, Fcf::PriMps),
    (code::PRI_EOP, Fcf::PriEop),
    (code::EOS, Fcf::Eos),
    (code::PPS, Fcf::Pps(PostMessage::Null)),
    (code::EOR, Fcf::Eor(PostMessage::Null)),
    (code::RR, Fcf::Rr),
    (code::MCF, Fcf::Mcf),
    (code::RTN, Fcf::Rtn),
    (code::RTP, Fcf::Rtp),
    (code::PIN, Fcf::Pin),
    (code::PIP, Fcf::Pip),
    (code::PPR, Fcf::Ppr),
    (code::RNR, Fcf::Rnr),
    (code::ERR, Fcf::Err),
    (code::FDM, Fcf::Fdm),
    (code::PID, Fcf::Pid),
    (code::DCN, Fcf::Dcn),
    (code::CRP, Fcf::Crp),
    (code::FNV, Fcf::Fnv),
    (code::TNR, Fcf::Tnr),
    (code::TR, Fcf::Tr),
    (code::DNK, Fcf::Dnk),
];

impl Fcf {
    /// Every signal with a fixed meaning, for tests and tools that list them. PPS and
    /// EOR appear with FCF2 NULL.
    pub fn known() -> impl Iterator<Item = Fcf> {
        FIXED.iter().chain(WITH_X.iter()).map(|&(_, f)| f)
    }

    /// The FCF octet without the X bit (for PPS and EOR, the first octet only).
    pub fn code(self) -> u8 {
        match self {
            Fcf::Unknown(octet) => octet,
            Fcf::Pps(_) => code::PPS,
            Fcf::Eor(_) => code::EOR,
            known => FIXED.iter().chain(WITH_X.iter()).find(|&&(_, f)| f == known).map_or(0, |&(c, _)| c),
        }
    }

    /// Whether the first bit of this signal's FCF is T.30's X bit. For the others
    /// (DIS, DTC, CSI, CIG, NSF, NSC, the polling addresses, FCD, RCP and a few
    /// Annex H signals) the first bit is part of the code.
    pub fn has_x_bit(self) -> bool {
        match self {
            Fcf::Unknown(_) | Fcf::Pps(_) | Fcf::Eor(_) => true,
            known => !FIXED.iter().any(|&(_, f)| f == known),
        }
    }

    /// Identifies an FCF octet: the signal, and the X bit (for signals without one,
    /// what the first bit implies: `true` for DTC, CIG, NSC and the other commands a
    /// station sends after receiving DIS). PPS and EOR come back with FCF2 NULL; the
    /// frame parser fills in the real one.
    fn from_octet(octet: u8) -> (Fcf, bool) {
        if let Some(&(_, fcf)) = FIXED.iter().find(|&&(c, _)| c == octet) {
            return (fcf, octet & 1 != 0);
        }
        let base = octet & 0xFE;
        let fcf = WITH_X.iter().find(|&&(c, _)| c == base).map_or(Fcf::Unknown(base), |&(_, f)| f);
        (fcf, octet & 1 != 0)
    }

    /// The signal's abbreviation as T.30 writes it (`"DIS"`, `"PPS"`, …). PPS and EOR
    /// without their FCF2; [`fmt::Display`] adds it (`"PPS-MPS"`).
    pub fn name(self) -> &'static str {
        match self {
            Fcf::Dis => "DIS",
            Fcf::Csi => "CSI",
            Fcf::Nsf => "NSF",
            Fcf::Dtc => "DTC",
            Fcf::Cig => "CIG",
            Fcf::Nsc => "NSC",
            Fcf::Pwd => "PWD",
            Fcf::Sep => "SEP",
            Fcf::Psa => "PSA",
            Fcf::Cia => "CIA",
            Fcf::Isp => "ISP",
            Fcf::Dcs => "DCS",
            Fcf::Tsi => "TSI",
            Fcf::Nss => "NSS",
            Fcf::Sub => "SUB",
            Fcf::Sid => "SID",
            Fcf::Tsa => "TSA",
            Fcf::Ira => "IRA",
            Fcf::Ctc => "CTC",
            Fcf::Cfr => "CFR",
            Fcf::Ftt => "FTT",
            Fcf::Ctr => "CTR",
            Fcf::Csa => "CSA",
            Fcf::Eom => "EOM",
            Fcf::Mps => "MPS",
            Fcf::Eop => "EOP",
            Fcf::PriEom => "PRI-EOM",
            Fcf::PriMps => "PRI-MPS",
            Fcf::PriEop => "PRI-EOP",
            Fcf::Eos => "EOS",
            Fcf::Pps(_) => "PPS",
            Fcf::Eor(_) => "EOR",
            Fcf::Rr => "RR",
            Fcf::Mcf => "MCF",
            Fcf::Rtn => "RTN",
            Fcf::Rtp => "RTP",
            Fcf::Pin => "PIN",
            Fcf::Pip => "PIP",
            Fcf::Ppr => "PPR",
            Fcf::Rnr => "RNR",
            Fcf::Err => "ERR",
            Fcf::Fdm => "FDM",
            Fcf::Pid => "PID",
            Fcf::Dcn => "DCN",
            Fcf::Crp => "CRP",
            Fcf::Fnv => "FNV",
            Fcf::Tnr => "TNR",
            Fcf::Tr => "TR",
            Fcf::Dnk => "DNK",
            Fcf::Tk => "TK",
            Fcf::Rk => "RK",
            Fcf::Des => "DES",
            Fcf::Dec => "DEC",
            Fcf::Der => "DER",
            Fcf::Spi => "SPI",
            Fcf::Fcd => "FCD",
            Fcf::Rcp => "RCP",
            Fcf::Unknown(_) => "unknown",
        }
    }
}

impl fmt::Display for Fcf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fcf::Pps(PostMessage::Other(octet)) | Fcf::Eor(PostMessage::Other(octet)) => {
                write!(f, "{}-{octet:#04x}", self.name())
            }
            Fcf::Pps(pm) | Fcf::Eor(pm) => write!(f, "{}-{}", self.name(), pm.name()),
            Fcf::Unknown(octet) => write!(f, "FCF {octet:#04x}"),
            _ => f.write_str(self.name()),
        }
    }
}

/// One T.30 frame as exchanged over V.21 (between the flags, without FCS) or in a T.38
/// `hdlc-data` field: address 0xFF, control, FCF (plus FCF2 for PPS and EOR) and the
/// facsimile information field.
///
/// ```
/// use fax_t30::{Fcf, Frame, PostMessage};
///
/// // A PPS-MPS as SpanDSP sends it: page 0, block 0, 71 frames.
/// let frame = Frame::parse(&[0xff, 0x13, 0xbf, 0x4f, 0x00, 0x00, 0x46]).unwrap();
/// assert_eq!(frame.fcf, Fcf::Pps(PostMessage::Mps));
/// assert!(frame.dis_received);
/// assert_eq!(frame.fif, vec![0x00, 0x00, 0x46]);
///
/// let mcf = Frame::new(Fcf::Mcf, false);
/// assert_eq!(mcf.encode(), vec![0xff, 0x13, 0x8c]);
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Frame {
    /// Which signal this is.
    pub fcf: Fcf,
    /// T.30's X bit (§5.3.6): `true` in frames from the station that received a valid
    /// DIS, `false` in frames from the station that sent it. A station keeps the same
    /// value for the whole call, in commands and responses alike: in an ordinary call
    /// the caller sends TSI, DCS, EOP with it set and the answerer sends CSI, DIS, CFR,
    /// MCF with it clear.
    ///
    /// For signals without an X bit ([`Fcf::has_x_bit`] is false) parsing sets this to
    /// the first bit of the code (true for DTC, CIG, NSC, …) and encoding ignores it.
    pub dis_received: bool,
    /// Whether this is the last frame of its message (control 0x13); the frames that
    /// precede it in the same transmission, such as CSI before DIS, have 0x03.
    pub final_frame: bool,
    /// The facsimile information field: everything after the FCF (after FCF2 for PPS
    /// and EOR), possibly empty.
    pub fif: Vec<u8>,
}

impl Frame {
    /// A final frame without information field, such as MCF or DCN.
    pub fn new(fcf: Fcf, dis_received: bool) -> Frame {
        Frame { fcf, dis_received, final_frame: true, fif: Vec::new() }
    }

    /// A final frame with an information field.
    pub fn with_fif(fcf: Fcf, dis_received: bool, fif: Vec<u8>) -> Frame {
        Frame { fcf, dis_received, final_frame: true, fif }
    }

    /// The same frame marked as not the last of its message (control 0x03).
    pub fn not_final(mut self) -> Frame {
        self.final_frame = false;
        self
    }

    /// Reads a frame from the octets between the flags (without FCS), as an LSB-first
    /// HDLC receiver or a T.38 `hdlc-data` field delivers them.
    ///
    /// Unknown FCFs are not an error; they become [`Fcf::Unknown`]. The information
    /// field is not interpreted here: pass it to [`crate::Dis::parse`],
    /// [`crate::Ident::parse`], [`crate::ecm::PartialPage::parse`] and so on, as the
    /// FCF says. Never panics; copies at most [`MAX_FRAME_LEN`] octets.
    pub fn parse(octets: &[u8]) -> Result<Frame, Error> {
        if octets.len() > MAX_FRAME_LEN {
            return Err(Error::FrameTooLong { len: octets.len(), max: MAX_FRAME_LEN });
        }
        let [address, control, fcf_octet, rest @ ..] = octets else {
            return Err(Error::FrameTooShort { len: octets.len() });
        };
        if *address != ADDRESS {
            return Err(Error::BadAddress(*address));
        }
        let final_frame = match *control {
            CONTROL_FINAL => true,
            CONTROL_NOT_FINAL => false,
            other => return Err(Error::BadControl(other)),
        };
        let (mut fcf, dis_received) = Fcf::from_octet(*fcf_octet);
        let mut fif = rest;
        if let Fcf::Pps(_) | Fcf::Eor(_) = fcf {
            let [fcf2, after @ ..] = rest else {
                return Err(Error::MissingFcf2 { fcf: fcf.name() });
            };
            let post = PostMessage::parse(*fcf2);
            fcf = if matches!(fcf, Fcf::Pps(_)) { Fcf::Pps(post) } else { Fcf::Eor(post) };
            fif = after;
        }
        Ok(Frame { fcf, dis_received, final_frame, fif: fif.to_vec() })
    }

    /// The frame as octets: address, control, FCF (with the X bit where the signal has
    /// one), FCF2 for PPS and EOR, and the information field. No flags, no FCS.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(4 + self.fif.len());
        self.encode_into(&mut out);
        out
    }

    /// Appends [`Frame::encode`]'s octets to `out`.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        out.push(ADDRESS);
        out.push(if self.final_frame { CONTROL_FINAL } else { CONTROL_NOT_FINAL });
        let x = if self.fcf.has_x_bit() { u8::from(self.dis_received) } else { 0 };
        out.push(self.fcf.code() | x);
        if let Fcf::Pps(post) | Fcf::Eor(post) = self.fcf {
            out.push(post.encode(self.dis_received));
        }
        out.extend_from_slice(&self.fif);
    }
}

impl Frame {
    /// Whether the information field can hold personal data or fax content: identities,
    /// addresses, passwords, non-standard facilities (which often carry names) and
    /// image data. Such fields are left out of `Debug` output.
    pub fn fif_is_private(&self) -> bool {
        matches!(
            self.fcf,
            Fcf::Csi
                | Fcf::Tsi
                | Fcf::Cig
                | Fcf::Nsf
                | Fcf::Nsc
                | Fcf::Nss
                | Fcf::Pwd
                | Fcf::Sep
                | Fcf::Psa
                | Fcf::Cia
                | Fcf::Isp
                | Fcf::Sub
                | Fcf::Sid
                | Fcf::Tsa
                | Fcf::Ira
                | Fcf::Csa
                | Fcf::Fcd
                | Fcf::Unknown(_)
        )
    }
}

impl fmt::Debug for Frame {
    /// Everything but private information fields ([`Frame::fif_is_private`]), whose
    /// length alone is shown, so protocol traces can be logged.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("Frame");
        s.field("fcf", &self.fcf)
            .field("dis_received", &self.dis_received)
            .field("final_frame", &self.final_frame);
        if self.fif_is_private() {
            s.field("fif_len", &self.fif.len());
        } else {
            s.field("fif", &format_args!("{:02x?}", self.fif));
        }
        s.finish()
    }
}

impl fmt::Display for Frame {
    /// The signal's name and the FIF length; never the FIF itself, which can hold
    /// phone numbers and image data.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.fcf)?;
        if !self.fif.is_empty() {
            write!(f, " ({} octets)", self.fif.len())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notation() {
        assert_eq!(t30("0000 0001"), 0x80);
        assert_eq!(t30("X100 0001"), 0x82);
        assert_eq!(t30("1000 0000"), 0x01);
    }

    /// The codes as SpanDSP's frames showed them, and as T.30 lists them.
    #[test]
    fn codes() {
        let expect: &[(Fcf, u8)] = &[
            (Fcf::Dis, 0x80),
            (Fcf::Csi, 0x40),
            (Fcf::Nsf, 0x20),
            (Fcf::Dtc, 0x81),
            (Fcf::Cig, 0x41),
            (Fcf::Nsc, 0x21),
            (Fcf::Pwd, 0xC1),
            (Fcf::Sep, 0xA1),
            (Fcf::Psa, 0x61),
            (Fcf::Cia, 0xE1),
            (Fcf::Isp, 0x11),
            (Fcf::Dcs, 0x82),
            (Fcf::Tsi, 0x42),
            (Fcf::Nss, 0x22),
            (Fcf::Sub, 0xC2),
            (Fcf::Sid, 0xA2),
            (Fcf::Tsa, 0x62),
            (Fcf::Ira, 0xE2),
            (Fcf::Ctc, 0x12),
            (Fcf::Cfr, 0x84),
            (Fcf::Ftt, 0x44),
            (Fcf::Ctr, 0xC4),
            (Fcf::Csa, 0x24),
            (Fcf::Eom, 0x8E),
            (Fcf::Mps, 0x4E),
            (Fcf::Eop, 0x2E),
            (Fcf::PriEom, 0x9E),
            (Fcf::PriMps, 0x5E),
            (Fcf::PriEop, 0x3E),
            (Fcf::Eos, 0x1E),
            (Fcf::Pps(PostMessage::Null), 0xBE),
            (Fcf::Eor(PostMessage::Null), 0xCE),
            (Fcf::Rr, 0x6E),
            (Fcf::Mcf, 0x8C),
            (Fcf::Rtn, 0x4C),
            (Fcf::Rtp, 0xCC),
            (Fcf::Pin, 0x2C),
            (Fcf::Pip, 0xAC),
            (Fcf::Ppr, 0xBC),
            (Fcf::Rnr, 0xEC),
            (Fcf::Err, 0x1C),
            (Fcf::Fdm, 0xFC),
            (Fcf::Pid, 0x6C),
            (Fcf::Dcn, 0xFA),
            (Fcf::Crp, 0x1A),
            (Fcf::Fnv, 0xCA),
            (Fcf::Tnr, 0xEA),
            (Fcf::Tr, 0x6A),
            (Fcf::Dnk, 0x9A),
            (Fcf::Tk, 0x4B),
            (Fcf::Rk, 0x4A),
            (Fcf::Des, 0xA0),
            (Fcf::Dec, 0x93),
            (Fcf::Der, 0x53),
            (Fcf::Spi, 0x10),
            (Fcf::Fcd, 0x06),
            (Fcf::Rcp, 0x86),
        ];
        for &(fcf, octet) in expect {
            assert_eq!(fcf.code(), octet, "{fcf}");
        }
        assert_eq!(Fcf::known().count(), expect.len());
        for fcf in Fcf::known() {
            assert!(expect.iter().any(|&(f, _)| f == fcf), "{fcf} untested");
        }
    }

    #[test]
    fn codes_are_distinct() {
        // No two signals may share an octet once the X bit is taken into account: the
        // fixed codes must not be the X-bit codes with X clear or set.
        let mut octets = std::collections::HashMap::new();
        for fcf in Fcf::known() {
            let variants: &[u8] = if fcf.has_x_bit() { &[fcf.code(), fcf.code() | 1] } else { &[fcf.code()] };
            for &octet in variants {
                if let Some(previous) = octets.insert(octet, fcf) {
                    panic!("{fcf} and {previous} share {octet:#04x}");
                }
            }
        }
    }

    #[test]
    fn every_octet_round_trips() {
        for octet in 0..=255u8 {
            for control in [CONTROL_FINAL, CONTROL_NOT_FINAL] {
                let bytes = [ADDRESS, control, octet, 0x4F, 0x01, 0x02];
                let frame = Frame::parse(&bytes).unwrap();
                let mut expected = bytes.to_vec();
                // A PPS or EOR whose FCF2 X bit differs from the FCF's is normalised.
                if let Fcf::Pps(_) | Fcf::Eor(_) = frame.fcf {
                    expected[3] = 0x4E | (octet & 1);
                }
                assert_eq!(frame.encode(), expected, "{octet:#04x}");
            }
        }
    }

    #[test]
    fn header_errors() {
        assert_eq!(Frame::parse(&[]), Err(Error::FrameTooShort { len: 0 }));
        assert_eq!(Frame::parse(&[0xFF, 0x13]), Err(Error::FrameTooShort { len: 2 }));
        assert_eq!(Frame::parse(&[0x7F, 0x13, 0x8C]), Err(Error::BadAddress(0x7F)));
        assert_eq!(Frame::parse(&[0xFF, 0x12, 0x8C]), Err(Error::BadControl(0x12)));
        assert_eq!(Frame::parse(&[0xFF, 0x13, 0xBF]), Err(Error::MissingFcf2 { fcf: "PPS" }));
        assert_eq!(Frame::parse(&[0xFF, 0x13, 0xCE]), Err(Error::MissingFcf2 { fcf: "EOR" }));
        let long = vec![0xFF; MAX_FRAME_LEN + 1];
        assert_eq!(Frame::parse(&long), Err(Error::FrameTooLong { len: 513, max: 512 }));
    }

    #[test]
    fn x_bit() {
        let dcn = Frame::parse(&[0xFF, 0x13, 0xFB]).unwrap();
        assert_eq!(dcn.fcf, Fcf::Dcn);
        assert!(dcn.dis_received);
        let dtc = Frame::parse(&[0xFF, 0x13, 0x81, 0x00, 0x00, 0x00]).unwrap();
        assert_eq!(dtc.fcf, Fcf::Dtc);
        assert!(dtc.dis_received);
        // Signals without an X bit ignore the field when encoding.
        assert_eq!(Frame::new(Fcf::Dis, true).encode(), vec![0xFF, 0x13, 0x80]);
        assert_eq!(Frame::new(Fcf::Rcp, true).not_final().encode(), vec![0xFF, 0x03, 0x86]);
    }

    #[test]
    fn unknown_is_typed() {
        let frame = Frame::parse(&[0xFF, 0x13, 0x03, 0xAA]).unwrap();
        assert_eq!(frame.fcf, Fcf::Unknown(0x02));
        assert!(frame.dis_received);
        assert_eq!(frame.fif, vec![0xAA]);
        assert_eq!(frame.to_string(), "FCF 0x02 (1 octets)");
    }

    #[test]
    fn debug_hides_private_fields() {
        let tsi = Frame::with_fif(Fcf::Tsi, true, b"7654321".to_vec());
        assert_eq!(
            format!("{tsi:?}"),
            "Frame { fcf: Tsi, dis_received: true, final_frame: true, fif_len: 7 }"
        );
        let dcs = Frame::with_fif(Fcf::Dcs, true, vec![0x00, 0xe2, 0x78]);
        assert_eq!(
            format!("{dcs:?}"),
            "Frame { fcf: Dcs, dis_received: true, final_frame: true, fif: [00, e2, 78] }"
        );
    }

    #[test]
    fn names() {
        assert_eq!(Fcf::Pps(PostMessage::PriEop).to_string(), "PPS-PRI-EOP");
        assert_eq!(Fcf::Eor(PostMessage::Null).to_string(), "EOR-NULL");
        assert_eq!(Fcf::Pps(PostMessage::Other(0x1F)).to_string(), "PPS-0x1f");
        assert_eq!(Fcf::Dcs.to_string(), "DCS");
    }
}
