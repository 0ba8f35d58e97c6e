//! The frame layer of ITU-T T.30: the binary-coded signals two fax terminals exchange
//! to negotiate, confirm and end a fax call.
//!
//! - [`Frame`] and [`Fcf`]: a T.30 HDLC frame as carried over V.21 or in T.38 IFP
//!   packets, without flags and FCS: address, control, facsimile control field (with
//!   the X bit of T.30 §5.3.6 as a plain `bool`), and the facsimile information field.
//! - [`Dis`] (also used for DTC; alias [`Capabilities`]) and [`Dcs`]: the capability
//!   bit maps of T.30 Table 2, typed where the engine needs them and kept bit-exact
//!   everywhere else, with the negotiation helpers a session engine needs
//!   ([`Dis::supported_rates`], [`Dis::best_common_rate`], [`Dis::best_coding`],
//!   [`Dis::min_scan_time`]).
//! - [`Rate`], [`Modem`] and [`RateSet`]: the image modems and their speeds, with the
//!   fallback ladder as data ([`Rate::LADDER`], [`Rate::next_lower`]).
//! - [`Ident`]: TSI, CSI and CIG identities (and SUB, SID, PWD, SEP, PSA, which share
//!   their format).
//! - [`ecm`]: the error-correction signals of T.4 Annex A and T.30 Annex A: FCD
//!   frames, PPS counters, the PPR frame map, CTC.
//! - [`fcs`]: the HDLC frame check sequence, for the modem and HDLC layers.
//! - [`session`]: the sans-IO T.30 session engine (phases A to E, ECM, timers) built
//!   on all of the above.
//!
//! # Bit order
//!
//! T.30 frames travel octet by octet, least significant bit first. Every octet in this
//! crate is stored the way an HDLC receiver that assembles bits LSB-first hands it
//! over (and how SpanDSP's T.30 hands frames to its real-time frame handler). T.38
//! carries octets the other way round, first bit in the most significant position,
//! so the T.38 terminal in `fax-line` reverses the bits of each octet. T.30 writes a field such as DCS as
//! `X100 0001` with the first transmitted bit on the left, so that field is the octet
//! `0x82` here (plus `0x01` for the X bit); and bit *n* of the DIS table is bit
//! `(n - 1) % 8` (counting from the least significant) of octet `(n - 1) / 8`.
//!
//! Everything here is pure computation on byte slices: no I/O, no clock, no global
//! state, no `unsafe`. Parsing any input never panics and never allocates more than a
//! bounded amount ([`MAX_FRAME_LEN`]).

#![forbid(unsafe_code)]

mod bits;
mod dis;
pub mod ecm;
mod error;
pub mod fcs;
mod frame;
mod ident;
mod rate;
pub mod session;

pub use bits::{FifBits, MAX_FIF_OCTETS};
pub use dis::{Dcs, Density, Dis, Length, Modems, ScanTime, ScanTimeCapability, Width, bit, mr_k_factor};
pub use error::Error;
pub use frame::{ADDRESS, CONTROL_FINAL, CONTROL_NOT_FINAL, Fcf, Frame, MAX_FRAME_LEN, PostMessage};
pub use ident::Ident;
pub use rate::{Modem, Rate, RateSet};

/// Another name for [`Dis`]: the capabilities a terminal announces in DIS or DTC.
pub type Capabilities = Dis;
