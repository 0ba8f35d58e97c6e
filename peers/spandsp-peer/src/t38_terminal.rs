//! SpanDSP's T.38 terminal (`t38_terminal_state_t`): a complete T.30 fax
//! terminal that speaks IFP packets, driven in virtual time.
//!
//! A [`T38Terminal`] sends a document ([`T38Terminal::sender`]) or receives one
//! ([`T38Terminal::receiver`]). Time only moves when the caller says so:
//! [`T38Terminal::advance`] runs `t38_terminal_send_timeout` for a number of 8 kHz
//! samples and returns the IFP packets SpanDSP emitted, and
//! [`T38Terminal::receive`] hands it one IFP packet with its sequence number. No
//! clock, no sockets, no threads: two terminals in one loop exchange a fax as fast
//! as the CPU allows, and the same run always gives the same packets.
//!
//! SpanDSP reads and writes TIFF files. The terminal owns a temporary directory for
//! them, deleted on drop: the sender's document is written there from
//! [`fax_image::Page`]s (by `fax_image::tiff::write`, MMR, MSB-first; libtiff, and
//! so SpanDSP, reads it), and the receiver's file is read back with
//! [`T38Terminal::received_pages`].
//!
//! Results: the phase E completion code with SpanDSP's name for it
//! ([`T38Terminal::completion`]), the transfer statistics
//! ([`T38Terminal::stats`]), the far end's ident ([`T38Terminal::remote_ident`]),
//! and a log of the T.30 phase B, D and E reports ([`T38Terminal::log`]).

use std::ffi::{CString, c_int};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use fax_image::{Limits, Page, tiff};

use crate::SpanDspError;
use crate::ffi::t38_terminal as ffi;
use crate::t38_core::Category;

/// Samples per second of SpanDSP's clock.
pub const SAMPLE_RATE: u32 = 8000;

/// The customary tick: 160 samples, 20 ms, as an audio frame.
pub const TICK_SAMPLES: u32 = 160;

/// SpanDSP's `T30_ERR_OK`: the call completed successfully.
pub const T30_ERR_OK: i32 = 0;

/// SpanDSP 0.0.6 keeps file names in 256-byte buffers.
const MAX_PATH: usize = 255;

/// The fast modems a terminal offers (`t30_set_supported_modems`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Modems {
    /// V.27ter, 2400 and 4800 bit/s.
    pub v27ter: bool,
    /// V.29, 7200 and 9600 bit/s.
    pub v29: bool,
    /// V.17, 7200 to 14400 bit/s.
    pub v17: bool,
}

impl Modems {
    /// All three: what SpanDSP offers by default.
    pub const ALL: Self = Self { v27ter: true, v29: true, v17: true };

    fn bits(self) -> c_int {
        // T30_SUPPORT_V27TER, T30_SUPPORT_V29, T30_SUPPORT_V17.
        c_int::from(self.v27ter) | c_int::from(self.v29) << 1 | c_int::from(self.v17) << 2
    }
}

/// The image codings a terminal offers (`t30_set_supported_compressions`).
/// Debian's 0.0.6 has no T.85 or colour codings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Compressions {
    /// T.4 one-dimensional (`T30_SUPPORT_T4_1D_COMPRESSION`); T.30 requires it.
    pub mh: bool,
    /// T.4 two-dimensional (`T30_SUPPORT_T4_2D_COMPRESSION`).
    pub mr: bool,
    /// T.6 (`T30_SUPPORT_T6_COMPRESSION`), only used with ECM.
    pub mmr: bool,
}

impl Compressions {
    /// MH only.
    pub const MH: Self = Self { mh: true, mr: false, mmr: false };
    /// MH and MR: SpanDSP then picks MR.
    pub const MR: Self = Self { mh: true, mr: true, mmr: false };
    /// MH, MR and MMR: SpanDSP then picks MMR with ECM, MR without.
    pub const MMR: Self = Self { mh: true, mr: true, mmr: true };

    fn bits(self) -> c_int {
        c_int::from(self.mh) << 1 | c_int::from(self.mr) << 2 | c_int::from(self.mmr) << 3
    }
}

/// A page coding as SpanDSP reports it (`T4_COMPRESSION_ITU_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Compression {
    /// `T4_COMPRESSION_ITU_T4_1D`.
    Mh,
    /// `T4_COMPRESSION_ITU_T4_2D`.
    Mr,
    /// `T4_COMPRESSION_ITU_T6`.
    Mmr,
}

impl Compression {
    fn from_code(code: i32) -> Option<Self> {
        match code {
            1 => Some(Self::Mh),
            2 => Some(Self::Mr),
            3 => Some(Self::Mmr),
            _ => None,
        }
    }

    fn code(self) -> c_int {
        match self {
            Self::Mh => 1,
            Self::Mr => 2,
            Self::Mmr => 3,
        }
    }

    /// "MH", "MR" or "MMR".
    pub fn name(self) -> &'static str {
        match self {
            Self::Mh => "MH",
            Self::Mr => "MR",
            Self::Mmr => "MMR",
        }
    }
}

/// How the training check (TCF) crosses the T.38 link
/// (`t38_set_data_rate_management_method`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tcf {
    /// Sent as data, checked by the far end (`T38_DATA_RATE_MANAGEMENT_TRANSFERRED_TCF`):
    /// the method T.38 requires over UDPTL.
    Transferred,
    /// Generated and checked locally by gateways (`T38_DATA_RATE_MANAGEMENT_LOCAL_TCF`).
    Local,
}

/// `T38_TERMINAL_OPTION_*` bits for [`TerminalConfig::options`]
/// (`t38_terminal_set_config`).
pub mod options {
    /// Stream data as fast as possible, with no modem pacing (TCP transports).
    pub const NO_PACING: i32 = 0x01;
    /// Repeat indicators regularly while no signal is sent.
    pub const REGULAR_INDICATORS: i32 = 0x02;
    /// Repeat indicators for the first 2 s of a silence.
    pub const TWO_S_REPEATING_INDICATORS: i32 = 0x04;
    /// Send no indicators (TCP transports).
    pub const NO_INDICATORS: i32 = 0x08;
}

/// `T30_SUPPORT_*` resolution bits for [`TerminalConfig::resolutions`].
pub mod resolutions {
    /// Standard, 3.85 lines/mm.
    pub const STANDARD: i32 = 0x01;
    /// Fine, 7.7 lines/mm.
    pub const FINE: i32 = 0x02;
    /// Superfine, 15.4 lines/mm.
    pub const SUPERFINE: i32 = 0x04;
    /// 8 dots/mm horizontally.
    pub const R8: i32 = 0x2_0000;
    /// 16 dots/mm horizontally.
    pub const R16: i32 = 0x4_0000;
    /// 300 × 300 dpi.
    pub const R300_300: i32 = 0x10_0000;
    /// 400 × 400 dpi.
    pub const R400_400: i32 = 0x20_0000;
}

/// How to set up a terminal. [`TerminalConfig::default`] is SpanDSP's own
/// default setup with ECM on, T.38 version 0 and transferred TCF.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerminalConfig {
    /// Whether this side places the call (sends CNG) rather than answers (CED).
    pub calling: bool,
    /// The local ident (TSI or CSI), at most 20 characters.
    pub ident: String,
    /// Offer error correction (`t30_set_ecm_capability`).
    pub ecm: bool,
    /// Fast modems offered.
    pub modems: Modems,
    /// Codings offered.
    pub compressions: Compressions,
    /// `T30_SUPPORT_*` resolution bits ([`resolutions`]); `None` keeps SpanDSP's
    /// default (everything 0.0.6 knows).
    pub resolutions: Option<i32>,
    /// `T30_SUPPORT_*` width and length bits; `None` keeps SpanDSP's default.
    pub image_sizes: Option<i32>,
    /// The coding of the received TIFF file (`t30_set_rx_encoding`); `None` keeps
    /// SpanDSP's default (T.6).
    pub rx_file_coding: Option<Compression>,
    /// The T.38 version emulated (`t38_set_t38_version`), 0 to 3.
    pub t38_version: u8,
    /// TCF transferred or local.
    pub tcf: Tcf,
    /// `t38_terminal_set_config` bits ([`options`]); 0 is SpanDSP's default,
    /// paced for UDP.
    pub options: i32,
    /// The fastest image data rate (`t38_set_fastest_image_data_rate`), in bit/s;
    /// `None` keeps SpanDSP's 14400.
    pub fastest_image_data_rate: Option<u32>,
    /// How many times SpanDSP asks for each packet category to be sent
    /// (`t38_set_redundancy_control`), indexed by [`Category`]; `None` keeps
    /// SpanDSP's (3 for indicators and ends of data, 1 otherwise).
    pub repeat_counts: Option<[u32; 5]>,
    /// Allow for talker echo protection tone time (`t38_terminal_set_tep_mode`);
    /// `None` keeps SpanDSP's default.
    pub tep: Option<bool>,
    /// Remove non-ECM fill bits (`t38_terminal_set_fill_bit_removal`); `None`
    /// keeps SpanDSP's default.
    pub fill_bit_removal: Option<bool>,
    /// A page header line for the sender to stamp on each page
    /// (`t30_set_tx_page_header_info`); `None` for no header, which keeps the
    /// received pixels identical to the sent ones.
    pub page_header: Option<String>,
    /// SpanDSP's log level to stderr: 0 silent, 5 (`SPAN_LOG_FLOW`) for the T.30
    /// flow, higher for more.
    pub log_level: i32,
}

impl Default for TerminalConfig {
    fn default() -> Self {
        Self {
            calling: false,
            ident: "SpanDSP peer".to_owned(),
            ecm: true,
            modems: Modems::ALL,
            compressions: Compressions::MMR,
            resolutions: None,
            image_sizes: None,
            rx_file_coding: None,
            t38_version: 0,
            tcf: Tcf::Transferred,
            options: 0,
            fastest_image_data_rate: None,
            repeat_counts: None,
            tep: None,
            fill_bit_removal: None,
            page_header: None,
            log_level: 0,
        }
    }
}

/// What went wrong with a terminal.
#[derive(Debug)]
pub enum TerminalError {
    /// A SpanDSP call failed.
    SpanDsp(SpanDspError),
    /// A configuration value SpanDSP cannot take.
    Config(&'static str),
    /// Creating, writing or reading a TIFF file.
    Io(std::io::Error),
    /// Coding or decoding a TIFF file.
    Image(fax_image::Error),
    /// [`T38Terminal::received_pages`] on a sender.
    NotReceiving,
}

impl std::fmt::Display for TerminalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::SpanDsp(e) => e.fmt(f),
            Self::Config(why) => write!(f, "configuration: {why}"),
            Self::Io(e) => write!(f, "TIFF file: {e}"),
            Self::Image(e) => write!(f, "TIFF coding: {e}"),
            Self::NotReceiving => write!(f, "the terminal is not receiving a document"),
        }
    }
}

impl std::error::Error for TerminalError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::SpanDsp(e) => Some(e),
            Self::Io(e) => Some(e),
            Self::Image(e) => Some(e),
            Self::Config(_) | Self::NotReceiving => None,
        }
    }
}

impl From<SpanDspError> for TerminalError {
    fn from(e: SpanDspError) -> Self {
        Self::SpanDsp(e)
    }
}

impl From<std::io::Error> for TerminalError {
    fn from(e: std::io::Error) -> Self {
        Self::Io(e)
    }
}

impl From<fax_image::Error> for TerminalError {
    fn from(e: fax_image::Error) -> Self {
        Self::Image(e)
    }
}

/// One IFP packet SpanDSP asked to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxPacket {
    /// The sequence number: SpanDSP's tx handler is not told it, so the shim numbers
    /// the packets in the order SpanDSP emits them, from 0, as SpanDSP's own core
    /// does. A UDPTL layer numbers datagrams itself and may ignore it.
    pub seq: u16,
    /// The IFP packet's encoding.
    pub ifp: Vec<u8>,
    /// How many times SpanDSP asks for it to be sent (its repeat count for the
    /// packet's category: 3 for indicators and ends of data by default, else 1).
    pub repeat: u32,
}

/// A T.30 report, from SpanDSP's phase handlers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum T30Event {
    /// Phase B handler: a frame of the pre-message negotiation arrived.
    PhaseB {
        /// Its frame type (FCF) as SpanDSP reports it.
        fcf: i32,
        /// SpanDSP's name for it.
        name: String,
    },
    /// Phase D handler: a post-message frame arrived.
    PhaseD {
        /// Its frame type.
        fcf: i32,
        /// SpanDSP's name for it.
        name: String,
    },
    /// Phase E handler: the call ended.
    PhaseE(Completion),
}

/// A [`T30Event`] with the virtual time it happened at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedEvent {
    /// Samples since the terminal started.
    pub at_samples: u64,
    /// What happened.
    pub event: T30Event,
}

/// The phase E result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    /// SpanDSP's `T30_ERR_*` code.
    pub code: i32,
    /// `t30_completion_code_to_str`.
    pub name: String,
}

impl Completion {
    /// Whether the call succeeded (`T30_ERR_OK`).
    pub fn is_ok(&self) -> bool {
        self.code == T30_ERR_OK
    }
}

impl std::fmt::Display for Completion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.name, self.code)
    }
}

/// `t30_get_transfer_statistics`. Page figures are those of the most recent page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransferStats {
    /// Image data rate, bit/s.
    pub bit_rate: u32,
    /// Whether ECM was used.
    pub ecm: bool,
    /// Pages sent.
    pub pages_tx: u32,
    /// Pages received.
    pub pages_rx: u32,
    /// Pages in the file being sent, when known.
    pub pages_in_file: Option<u32>,
    /// Horizontal resolution in pixels per metre, as SpanDSP's
    /// `T4_X_RESOLUTION_*` (8031 for 8 dots/mm).
    pub x_resolution: i32,
    /// Vertical resolution in pixels per metre, as SpanDSP's `T4_Y_RESOLUTION_*`
    /// (3850 standard, 7700 fine).
    pub y_resolution: i32,
    /// Width in pixels.
    pub width: u32,
    /// Length in rows.
    pub length: u32,
    /// Image size in bytes.
    pub image_size: u32,
    /// The coding used on the line, if one SpanDSP 0.0.6 names.
    pub compression: Option<Compression>,
    /// SpanDSP's raw `T4_COMPRESSION_*` code.
    pub encoding: i32,
    /// Bad rows.
    pub bad_rows: u32,
    /// The longest run of bad rows.
    pub longest_bad_row_run: u32,
    /// ECM frame retransmissions.
    pub ecm_retries: u32,
    /// SpanDSP's current status (a `T30_ERR_*` code).
    pub current_status: i32,
}

impl TransferStats {
    fn from_raw(s: ffi::T30Stats) -> Self {
        let count = |v: c_int| v.max(0) as u32;
        Self {
            bit_rate: count(s.bit_rate),
            ecm: s.error_correcting_mode != 0,
            pages_tx: count(s.pages_tx),
            pages_rx: count(s.pages_rx),
            pages_in_file: u32::try_from(s.pages_in_file).ok(),
            x_resolution: s.x_resolution,
            y_resolution: s.y_resolution,
            width: count(s.width),
            length: count(s.length),
            image_size: count(s.image_size),
            compression: Compression::from_code(s.encoding),
            encoding: s.encoding,
            bad_rows: count(s.bad_rows),
            longest_bad_row_run: count(s.longest_bad_row_run),
            ecm_retries: count(s.error_correcting_mode_retries),
            current_status: s.current_status,
        }
    }
}

/// Which way the document goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// This terminal sends a document.
    Send,
    /// This terminal receives one.
    Receive,
}

/// A SpanDSP T.38 terminal with its TIFF files; see the [module documentation](self).
#[derive(Debug)]
pub struct T38Terminal {
    // Declared before `dir` so the terminal (and any TIFF file it holds open) is
    // freed before the directory is removed.
    handle: ffi::TerminalHandle,
    dir: tempfile::TempDir,
    direction: Direction,
    file: PathBuf,
    samples: u64,
    finished: bool,
    completion: Option<Completion>,
    log: Vec<LoggedEvent>,
    /// Packets SpanDSP emitted while receiving, handed out by the next `advance`.
    pending: Vec<TxPacket>,
}

impl T38Terminal {
    /// A terminal that sends `pages` as one document. They are written to a
    /// temporary TIFF file (MMR, MSB-first) for SpanDSP to read.
    pub fn sender(config: &TerminalConfig, pages: &[Page]) -> Result<Self, TerminalError> {
        let tiff = tiff::write(pages, &tiff::WriteOptions::default())?;
        Self::sender_from_tiff(config, &tiff)
    }

    /// A terminal that sends a TIFF file's pages; the bytes are copied to a
    /// temporary file.
    pub fn sender_from_tiff(config: &TerminalConfig, tiff: &[u8]) -> Result<Self, TerminalError> {
        let dir = tempfile::tempdir()?;
        let file = dir.path().join("tx.tif");
        std::fs::write(&file, tiff)?;
        let mut terminal = Self::new(config, dir, Direction::Send, file)?;
        let path = c_path(&terminal.file)?;
        terminal.handle.set_tx_file(path, -1, -1);
        Ok(terminal)
    }

    /// A terminal that receives a document into a temporary TIFF file.
    pub fn receiver(config: &TerminalConfig) -> Result<Self, TerminalError> {
        let dir = tempfile::tempdir()?;
        let file = dir.path().join("rx.tif");
        let mut terminal = Self::new(config, dir, Direction::Receive, file)?;
        let path = c_path(&terminal.file)?;
        terminal.handle.set_rx_file(path, -1);
        Ok(terminal)
    }

    fn new(
        config: &TerminalConfig,
        dir: tempfile::TempDir,
        direction: Direction,
        file: PathBuf,
    ) -> Result<Self, TerminalError> {
        let mut handle = ffi::TerminalHandle::new(config.calling).ok_or(SpanDspError::Init)?;
        handle.set_log_level(config.log_level);
        let check = |function: &'static str, status: c_int| -> Result<(), TerminalError> {
            if status < 0 { Err(SpanDspError::Call { function, status }.into()) } else { Ok(()) }
        };
        if config.t38_version > 3 {
            return Err(TerminalError::Config("T.38 version above 3"));
        }
        handle.set_t38_version(c_int::from(config.t38_version));
        // The T.38 terminal options reset the repeat counts, so they go first.
        handle.set_options(config.options);
        if let Some(counts) = config.repeat_counts {
            let categories = [
                Category::Indicator,
                Category::ControlData,
                Category::ControlDataEnd,
                Category::ImageData,
                Category::ImageDataEnd,
            ];
            for (category, count) in categories.into_iter().zip(counts) {
                let count = c_int::try_from(count).map_err(|_| TerminalError::Config("repeat count"))?;
                handle.set_repeat_count(category as c_int, count);
            }
        }
        handle.set_data_rate_management(match config.tcf {
            Tcf::Local => 1,
            Tcf::Transferred => 2,
        });
        if let Some(rate) = config.fastest_image_data_rate {
            let rate = c_int::try_from(rate).map_err(|_| TerminalError::Config("image data rate"))?;
            handle.set_fastest_image_data_rate(rate);
        }
        if let Some(tep) = config.tep {
            handle.set_tep(tep);
        }
        if let Some(remove) = config.fill_bit_removal {
            handle.set_fill_bit_removal(remove);
        }
        let ident = CString::new(config.ident.as_str()).map_err(|_| TerminalError::Config("NUL in ident"))?;
        if config.ident.len() > 20 {
            return Err(TerminalError::Config("ident longer than 20 characters"));
        }
        check("t30_set_tx_ident", handle.set_tx_ident(&ident))?;
        if let Some(header) = &config.page_header {
            let header =
                CString::new(header.as_str()).map_err(|_| TerminalError::Config("NUL in page header"))?;
            check("t30_set_tx_page_header_info", handle.set_page_header_info(&header))?;
        }
        check("t30_set_ecm_capability", handle.set_ecm(config.ecm))?;
        check("t30_set_supported_modems", handle.set_supported_modems(config.modems.bits()))?;
        check(
            "t30_set_supported_compressions",
            handle.set_supported_compressions(config.compressions.bits()),
        )?;
        if let Some(bits) = config.resolutions {
            check("t30_set_supported_resolutions", handle.set_supported_resolutions(bits))?;
        }
        if let Some(bits) = config.image_sizes {
            check("t30_set_supported_image_sizes", handle.set_supported_image_sizes(bits))?;
        }
        if let Some(coding) = config.rx_file_coding {
            check("t30_set_rx_encoding", handle.set_rx_encoding(coding.code()))?;
        }
        let mut terminal = Self {
            handle,
            dir,
            direction,
            file,
            samples: 0,
            finished: false,
            completion: None,
            log: Vec::new(),
            pending: Vec::new(),
        };
        // Nothing should have been recorded yet; collect it anyway.
        terminal.collect_events()?;
        Ok(terminal)
    }

    /// Runs SpanDSP's clock forward by `samples` (8000 a second; see
    /// [`TICK_SAMPLES`]) and returns the packets it sent meanwhile, after any it
    /// sent while receiving since the last call. Once the call is over this
    /// returns nothing and time stands still.
    pub fn advance(&mut self, samples: u32) -> Result<Vec<TxPacket>, TerminalError> {
        if !self.finished {
            let n = c_int::try_from(samples).map_err(|_| TerminalError::Config("tick too long"))?;
            let done = self.handle.send_timeout(n);
            self.samples += u64::from(samples);
            self.collect_events()?;
            if done != 0 {
                self.finished = true;
            }
        }
        Ok(std::mem::take(&mut self.pending))
    }

    /// Hands SpanDSP one received IFP packet (`t38_core_rx_ifp_packet`). SpanDSP
    /// checks `seq`: a repeat of the last number is ignored, and a gap is reported
    /// to the terminal as missing data.
    pub fn receive(&mut self, ifp: &[u8], seq: u16) -> Result<(), TerminalError> {
        let status = self.handle.rx_ifp(ifp, seq);
        self.collect_events()?;
        if status < 0 {
            return Err(SpanDspError::Call { function: "t38_core_rx_ifp_packet", status }.into());
        }
        Ok(())
    }

    fn collect_events(&mut self) -> Result<(), TerminalError> {
        let events = self.handle.take_events().map_err(|_| SpanDspError::EventOverflow)?;
        for e in events {
            let event = match e.kind {
                ffi::EVENT_TX_PACKET => {
                    if e.truncated {
                        return Err(SpanDspError::Input("a packet longer than the shim records").into());
                    }
                    self.pending.push(TxPacket { seq: e.b as u16, ifp: e.data, repeat: e.a.max(0) as u32 });
                    continue;
                }
                ffi::EVENT_PHASE_B => T30Event::PhaseB { fcf: e.a, name: ffi::frametype_name(e.a) },
                ffi::EVENT_PHASE_D => T30Event::PhaseD { fcf: e.a, name: ffi::frametype_name(e.a) },
                ffi::EVENT_PHASE_E => {
                    let completion = Completion { code: e.a, name: ffi::completion_code_name(e.a) };
                    self.completion = Some(completion.clone());
                    T30Event::PhaseE(completion)
                }
                _ => continue,
            };
            self.log.push(LoggedEvent { at_samples: self.samples, event });
        }
        Ok(())
    }

    /// Whether SpanDSP has finished the call (`t38_terminal_send_timeout` said so).
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// Whether T.30 still considers the call active (`t30_call_active`).
    pub fn call_active(&self) -> bool {
        self.handle.call_active()
    }

    /// The phase E result, once the call has ended.
    pub fn completion(&self) -> Option<&Completion> {
        self.completion.as_ref()
    }

    /// Transfer statistics so far.
    pub fn stats(&self) -> TransferStats {
        TransferStats::from_raw(self.handle.stats())
    }

    /// The far end's ident (TSI or CSI), empty if none arrived.
    pub fn remote_ident(&self) -> String {
        self.handle.rx_ident()
    }

    /// The phase B, D and E reports so far.
    pub fn log(&self) -> &[LoggedEvent] {
        &self.log
    }

    /// Virtual time elapsed, in samples.
    pub fn elapsed_samples(&self) -> u64 {
        self.samples
    }

    /// Virtual time elapsed, in seconds.
    pub fn elapsed_seconds(&self) -> f64 {
        self.samples as f64 / f64::from(SAMPLE_RATE)
    }

    /// Sending or receiving.
    pub fn direction(&self) -> Direction {
        self.direction
    }

    /// The TIFF file SpanDSP reads (sender) or writes (receiver), inside the
    /// terminal's temporary directory.
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// The temporary directory, removed when the terminal is dropped.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The received TIFF file's bytes. SpanDSP completes the file when the call
    /// ends; before that it may be partial or absent.
    pub fn received_tiff(&self) -> Result<Vec<u8>, TerminalError> {
        if self.direction != Direction::Receive {
            return Err(TerminalError::NotReceiving);
        }
        Ok(std::fs::read(&self.file)?)
    }

    /// The received pages, decoded with `fax_image::tiff::read`.
    pub fn received_pages(&self) -> Result<Vec<Page>, TerminalError> {
        let bytes = self.received_tiff()?;
        Ok(tiff::read(&bytes, &Limits::default())?.into_iter().map(|p| p.page).collect())
    }
}

fn c_path(path: &Path) -> Result<CString, TerminalError> {
    let bytes = path.as_os_str().as_bytes();
    if bytes.len() > MAX_PATH {
        return Err(TerminalError::Config("temporary file path too long for SpanDSP"));
    }
    CString::new(bytes).map_err(|_| TerminalError::Config("NUL in temporary file path"))
}
