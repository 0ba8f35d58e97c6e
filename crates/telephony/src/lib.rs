//! The telephony drivers: the only crate that opens sockets and runs timers for the
//! fax cores.
//!
//! Each driver is a thin loop around a sans-IO core from `libs/`: it feeds the core
//! what arrives and the current time, sends what the core asks for, and sleeps until
//! the core's next deadline. All protocol decisions stay in the core, so the same
//! core runs here in real time and in the simulation tests in virtual time.
//!
//! - [`udptl`]: one T.38 call over a UDP socket (UDPTL), as used by the `ferrofax
//!   fax send` and `fax receive` tools and, later, by SIP calls that negotiate T.38.
//! - [`loopback`]: the built-in carrier that connects the accounts of one install,
//!   running two T.38 terminals against each other in memory, with test numbers of
//!   fixed outcomes.
//! - [`call`]: what a carrier is asked to do and what it reports.

pub mod call;
pub mod loopback;
pub mod udptl;

use std::time::Duration;

/// What can go wrong driving a call.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The socket failed.
    #[error("socket error: {0}")]
    Io(#[from] std::io::Error),
    /// The terminal could not be set up.
    #[error("T.38 terminal: {0}")]
    Line(#[from] fax_line::Error),
    /// The call was still running when the driver's own safety limit passed. The
    /// T.30 timers end every call long before this; hitting it means a bug.
    #[error("the call did not end within {0:?}")]
    CallTooLong(Duration),
    /// A loopback number plan is not usable.
    #[error("invalid number plan: {0}")]
    InvalidPlan(&'static str),
    /// A page could not be made.
    #[error("page: {0}")]
    Image(#[from] fax_image::Error),
}
