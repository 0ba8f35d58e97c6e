//! The one error type of this crate.

/// Everything that can be wrong with a received T.30 frame or with a value given to
/// an encoder.
///
/// Variants carry lengths and codes, never frame contents, so an error can be logged
/// without leaking identities or image data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    // ---- frame header -------------------------------------------------------------
    /// Fewer octets than address, control and FCF.
    #[error("frame of {len} octets is shorter than its header (3 octets)")]
    FrameTooShort {
        /// Octets received.
        len: usize,
    },
    /// More octets than [`crate::MAX_FRAME_LEN`].
    #[error("frame of {len} octets exceeds the limit of {max}")]
    FrameTooLong {
        /// Octets received.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The address octet is not 0xFF.
    #[error("address octet {0:#04x} is not 0xff")]
    BadAddress(u8),
    /// The control octet is neither 0x03 nor 0x13.
    #[error("control octet {0:#04x} is neither 0x03 nor 0x13")]
    BadControl(u8),
    /// A PPS or EOR frame without its second FCF octet.
    #[error("{fcf} frame has no FCF2 octet")]
    MissingFcf2 {
        /// The signal's name.
        fcf: &'static str,
    },

    // ---- information fields ---------------------------------------------------------
    /// An information field is shorter than its signal requires.
    #[error("{signal} information field of {len} octets is shorter than {min}")]
    FifTooShort {
        /// The signal's name.
        signal: &'static str,
        /// Octets received.
        len: usize,
        /// Octets required.
        min: usize,
    },
    /// An information field is longer than its signal allows.
    #[error("{signal} information field of {len} octets is longer than {max}")]
    FifTooLong {
        /// The signal's name.
        signal: &'static str,
        /// Octets received.
        len: usize,
        /// Octets allowed.
        max: usize,
    },
    /// A DCS or CTC data signalling rate code that names no V.27 ter, V.29 or V.17
    /// speed. The code is bits 11 to 14 with bit 11 as the least significant bit.
    #[error("data signalling rate code {0:#03x} names no supported modem speed")]
    BadRateCode(u8),
    /// A DCS recording width code of (1, 1), which T.30 calls invalid.
    #[error("DCS recording width code is invalid")]
    BadWidthCode,
    /// A DCS recording length code of (1, 1), which T.30 calls invalid.
    #[error("DCS recording length code is invalid")]
    BadLengthCode,

    // ---- values given to encoders ---------------------------------------------------
    /// An identity longer than T.30's 20 characters.
    #[error("identity of {len} characters is longer than 20")]
    IdentTooLong {
        /// Characters given.
        len: usize,
    },
    /// An identity character outside the allowed set.
    #[error("identity character {0:?} is not allowed")]
    IdentCharacter(char),
    /// An ECM frame with more data than the 256-octet maximum.
    #[error("ECM frame data of {len} octets exceeds 256")]
    FcdTooLong {
        /// Octets given.
        len: usize,
    },
}
