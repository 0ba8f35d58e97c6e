//! Webhooks in the Standard Webhooks format (<https://www.standardwebhooks.com>).
//!
//! A message is sent as an HTTP POST with three headers: `webhook-id` (the message's
//! unique id, the same on every retry), `webhook-timestamp` (Unix seconds of this
//! attempt) and `webhook-signature`, which is `v1,` followed by the base64
//! HMAC-SHA256 of `"{id}.{timestamp}.{body}"` under the endpoint's secret. A secret
//! is `whsec_` followed by the base64 of 24 to 64 random bytes.
//!
//! [`sign`] and [`verify`] implement the signature; [`Sender`] delivers one attempt
//! with the protections a service that posts to user-chosen URLs needs (timeouts, no
//! redirects, bounded response reading, and refusal of private addresses after DNS
//! resolution); [`next_attempt`] is the retry schedule.

#![forbid(unsafe_code)]

mod address;
mod sender;

use std::fmt;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

pub use address::{AddressPolicy, is_public};
pub use sender::{Attempt, MAX_RESPONSE_BYTES, Sender, Timeouts};

/// The prefix of a secret's text form.
const SECRET_PREFIX: &str = "whsec_";
/// Fewest secret bytes accepted, as the specification requires.
pub const MIN_SECRET_BYTES: usize = 24;
/// Most secret bytes accepted, as the specification requires.
pub const MAX_SECRET_BYTES: usize = 64;
/// Bytes in a secret made by [`Secret::generate`].
const GENERATED_SECRET_BYTES: usize = 32;
/// Longest `webhook-signature` header [`verify`] looks at. A sender puts one
/// signature per active secret in it (two during a secret rotation), each about 48
/// characters, so this leaves ample room while bounding the work a forged header
/// can cause.
pub const MAX_SIGNATURE_HEADER_BYTES: usize = 4096;

/// What can go wrong when parsing a secret, verifying a message or building a sender.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A secret that is not `whsec_` + base64 of 24 to 64 bytes.
    #[error(
        "invalid webhook secret: expected \"whsec_\" and the base64 of {MIN_SECRET_BYTES} to {MAX_SECRET_BYTES} bytes"
    )]
    InvalidSecret,
    /// The `webhook-timestamp` header is not a whole number of seconds.
    #[error("invalid webhook-timestamp header")]
    InvalidTimestamp,
    /// The timestamp is older than the tolerance allows.
    #[error("webhook timestamp is too old")]
    TimestampTooOld,
    /// The timestamp is further in the future than the tolerance allows.
    #[error("webhook timestamp is in the future")]
    TimestampInFuture,
    /// The `webhook-signature` header is longer than [`MAX_SIGNATURE_HEADER_BYTES`].
    #[error("webhook-signature header is longer than {MAX_SIGNATURE_HEADER_BYTES} bytes")]
    SignatureHeaderTooLong,
    /// No `v1` signature in the header matches.
    #[error("no matching webhook signature")]
    NoMatchingSignature,
    /// The system's random number generator failed.
    #[error("the system random number generator failed")]
    Random,
    /// The HTTP client could not be built (TLS set-up failed).
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
}

/// An endpoint's signing secret. `Debug` redacts it, and it has no `Display`, so
/// that it cannot end up in a log line by accident; [`Secret::to_string`] gives the
/// `whsec_` form on purpose.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<Vec<u8>>);

impl Secret {
    /// Makes a new secret of 32 random bytes.
    pub fn generate() -> Result<Secret, Error> {
        let mut bytes = Zeroizing::new(vec![0u8; GENERATED_SECRET_BYTES]);
        getrandom::fill(&mut bytes).map_err(|_| Error::Random)?;
        Ok(Secret(bytes))
    }

    /// Parses the `whsec_…` form; the base64 must decode to 24 to 64 bytes.
    pub fn parse(text: &str) -> Result<Secret, Error> {
        let encoded = text.trim().strip_prefix(SECRET_PREFIX).ok_or(Error::InvalidSecret)?;
        // Checking the text length first keeps a huge input from being decoded.
        if encoded.len() > MAX_SECRET_BYTES.div_ceil(3) * 4 {
            return Err(Error::InvalidSecret);
        }
        let bytes = Zeroizing::new(STANDARD.decode(encoded).map_err(|_| Error::InvalidSecret)?);
        if !(MIN_SECRET_BYTES..=MAX_SECRET_BYTES).contains(&bytes.len()) {
            return Err(Error::InvalidSecret);
        }
        Ok(Secret(bytes))
    }

    /// The `whsec_…` form, to store or to show the endpoint's owner once.
    ///
    /// This is deliberately not `Display`: `format!("{secret}")` in a log line must
    /// not compile.
    #[allow(clippy::inherent_to_string)]
    pub fn to_string(&self) -> String {
        format!("{SECRET_PREFIX}{}", STANDARD.encode(self.0.as_slice()))
    }

    fn mac(&self) -> Hmac<Sha256> {
        // HMAC accepts keys of any length, so this cannot fail; a secret always holds
        // 24 to 64 bytes anyway.
        <Hmac<Sha256> as KeyInit>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// The three Standard Webhooks headers of a received message, as text.
#[derive(Debug, Clone, Copy)]
pub struct Headers<'a> {
    /// `webhook-id`.
    pub id: &'a str,
    /// `webhook-timestamp`, Unix seconds.
    pub timestamp: &'a str,
    /// `webhook-signature`: one or more space-separated `version,base64` entries.
    pub signature: &'a str,
}

/// Signs a message: returns the `webhook-signature` value `v1,<base64>`.
pub fn sign(secret: &Secret, id: &str, timestamp: i64, body: &[u8]) -> String {
    let tag = signed_content_mac(secret, id, timestamp, body).finalize().into_bytes();
    format!("v1,{}", STANDARD.encode(tag))
}

/// Verifies a received message.
///
/// The timestamp must lie within `tolerance_s` seconds of `now` (Unix seconds) in
/// either direction, which limits replays; then at least one `v1` signature in the
/// header must match, compared in constant time. Entries of other versions and
/// entries that are not valid base64 are ignored, as the specification asks.
pub fn verify(
    secret: &Secret,
    headers: &Headers<'_>,
    body: &[u8],
    now: i64,
    tolerance_s: i64,
) -> Result<(), Error> {
    let timestamp: i64 = headers.timestamp.trim().parse().map_err(|_| Error::InvalidTimestamp)?;
    if timestamp < now.saturating_sub(tolerance_s) {
        return Err(Error::TimestampTooOld);
    }
    if timestamp > now.saturating_add(tolerance_s) {
        return Err(Error::TimestampInFuture);
    }
    if headers.signature.len() > MAX_SIGNATURE_HEADER_BYTES {
        return Err(Error::SignatureHeaderTooLong);
    }
    let expected = signed_content_mac(secret, headers.id, timestamp, body);
    let matched = headers
        .signature
        .split(' ')
        .filter_map(|entry| entry.split_once(','))
        .filter(|(version, _)| *version == "v1")
        .filter_map(|(_, encoded)| STANDARD.decode(encoded).ok())
        // Every candidate is checked, in constant time each, so the time taken does
        // not tell which entry came closest.
        .fold(false, |found, candidate| expected.clone().verify_slice(&candidate).is_ok() | found);
    if matched { Ok(()) } else { Err(Error::NoMatchingSignature) }
}

/// The HMAC of `"{id}.{timestamp}.{body}"`, ready to finalise or verify.
fn signed_content_mac(secret: &Secret, id: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    let mut mac = secret.mac();
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The delay before the next attempt, given how many attempts were made so far;
/// `None` means give up.
///
/// The first attempt is immediate; after a failure the waits are 5 s, 5 min, 30 min,
/// 2 h, 5 h, 10 h and 10 h, the Standard Webhooks recommendation, about 27.6 hours in
/// all across 8 attempts.
pub fn next_attempt(attempts_made: u32) -> Option<Duration> {
    const SCHEDULE: [u64; 8] = [0, 5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600];
    SCHEDULE.get(usize::try_from(attempts_made).ok()?).map(|&s| Duration::from_secs(s))
}
