//! SpanDSP 0.0.6 as a peer: the fax engine inside Asterisk and FreeSWITCH, linked
//! from Debian's libspandsp, to test and benchmark Ferrofax's own fax stack
//! against.
//!
//! - [`t38_core`]: SpanDSP's T.38 core (IFP packet encoding and decoding), to check
//!   that `fax-t38` encodes every packet byte for byte as SpanDSP does and that each
//!   side decodes the other's packets.
//! - [`t38_terminal`]: SpanDSP's T.38 terminal, a whole T.30 fax machine speaking
//!   IFP packets, driven in virtual time ([`T38Terminal`]), with its TIFF files in
//!   a temporary directory.
//! - [`udptl`]: UDPTL framing for it from `fax-t38` (SpanDSP 0.0.6 has none).
//! - [`harness`]: two endpoints exchanging a fax in one loop, directly or over
//!   UDPTL with seeded loss: SpanDSP against SpanDSP now, against Ferrofax's own
//!   T.38 terminal later.
//!
//! The C side is a small shim of our own in `csrc/` (one file per SpanDSP concern)
//! that records SpanDSP's callbacks so Rust never has to be called back from C. All
//! `unsafe` code lives in the private `ffi` module. SpanDSP is LGPL: this crate links
//! it and calls its public API; none of its code is copied here. Only tests and
//! benchmarks use this crate; nothing in the product links SpanDSP.
//!
//! Building needs `libspandsp-dev` (and `pkg-config`); without them the build fails
//! with a message saying so, so tests that compare against SpanDSP can never pass by
//! silently not running.

mod ffi;
pub mod harness;
pub mod t38_core;
pub mod t38_terminal;
pub mod udptl;

pub use t38_terminal::T38Terminal;

/// What went wrong calling SpanDSP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpanDspError {
    /// SpanDSP could not create the object.
    Init,
    /// A SpanDSP call returned an error status.
    Call {
        /// The SpanDSP function.
        function: &'static str,
        /// Its return value.
        status: i32,
    },
    /// More callbacks arrived in one call than the shim records.
    EventOverflow,
    /// The input was out of the shim's range (too many fields, too long).
    Input(&'static str),
}

impl std::fmt::Display for SpanDspError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SpanDspError::Init => write!(f, "SpanDSP initialisation failed"),
            SpanDspError::Call { function, status } => write!(f, "SpanDSP {function} returned {status}"),
            SpanDspError::EventOverflow => write!(f, "too many SpanDSP callbacks in one call"),
            SpanDspError::Input(why) => write!(f, "input out of range: {why}"),
        }
    }
}

impl std::error::Error for SpanDspError {}
