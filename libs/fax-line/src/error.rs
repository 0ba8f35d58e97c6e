//! The crate's error type.

/// What can go wrong setting up a terminal. Everything that happens during a call
/// (peer misbehaviour, losses, garbage) is not an error of this kind: it ends in the
/// session's typed [`fax_t30::session::Failure`] instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A configuration value is out of range.
    #[error("invalid configuration: {0}")]
    InvalidConfig(&'static str),
    /// The UDPTL layer refused its configuration.
    #[error("UDPTL: {0}")]
    Udptl(#[from] fax_t38::Error),
}
