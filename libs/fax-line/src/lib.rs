//! Binds the T.30 session engine ([`fax_t30::session::Session`]) to a medium.
//!
//! T.30 knows nothing of samples or packets: it asks for signals to be sent
//! ([`fax_t30::session::Transmit`]) and is told what arrived
//! ([`fax_t30::session::LineInput`]). A binding turns those into what a medium
//! carries and back, keeps the timing a real line would have, and reports when
//! each transmission has left the line, which is when T.30's response timers start.
//!
//! - [`t38`]: the T.38 terminal, which carries T.30 in IFP packets, over UDPTL
//!   datagrams or as bare IFP packets. It is sans-IO like the session: fed
//!   datagrams and the time, polled for datagrams and its next deadline.
//!
//! An audio binding (V.21, V.27 ter, V.29, V.17 modems over G.711) will sit next to
//! it and drive the same session.
//!
//! Everything here is pure computation: no sockets, no clock, no threads, no
//! `unsafe`.

#![forbid(unsafe_code)]

mod error;
pub mod t38;

pub use error::Error;
