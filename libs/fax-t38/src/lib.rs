//! T.38 fax over IP, the packet layer: the IFP packet codec, UDPTL with redundancy
//! and forward error correction, and a sans-IO sender and receiver.
//!
//! - [`ifp`]: [`IfpPacket`], the T.38 Internet Facsimile Protocol packet
//!   (indicators and data), in the ALIGNED ASN.1 PER form every deployed stack uses,
//!   for T.38 versions 0 to 3.
//! - [`udptl`]: [`UdptlPacket`], the UDPTL datagram with its secondary packets or
//!   FEC parity.
//! - [`receiver`]: [`UdptlReceiver`], datagrams in any order in, IFP packets in
//!   sequence order out, each exactly once, with losses restored or reported.
//! - [`sender`]: [`UdptlSender`], which numbers packets and adds redundancy or FEC.
//!
//! Everything is pure computation on byte slices: no sockets, no clock, no threads,
//! no `unsafe`. Decoding never panics and allocates no more than its input's size;
//! the limits are constants documented in each module. The fuzzing entry points
//! are [`IfpPacket::decode`], [`UdptlPacket::decode`] and
//! [`UdptlReceiver::handle_datagram`].

#![forbid(unsafe_code)]

mod error;
pub mod ifp;
mod per;
pub mod receiver;
pub mod sender;
#[cfg(test)]
mod testutil;
pub mod udptl;

pub use error::Error;
pub use ifp::{DataType, Field, FieldType, IfpPacket, Indicator, Version};
pub use receiver::{ReceiverConfig, RxEvent, RxStats, Source, UdptlReceiver};
pub use sender::{SenderConfig, TxRecovery, UdptlSender};
pub use udptl::{FecInfo, Recovery, UdptlPacket};
