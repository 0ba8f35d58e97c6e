//! `Pii<T>`: a wrapper for personal data — phone numbers, e-mail addresses, names,
//! fax content — that prints as `‹redacted›` through `Debug` and `Display`.
//!
//! The rule it enforces is "personal data never goes into logs in clear". Wrapping the
//! value at the edge (when a request is parsed or a row is read) means a careless
//! `tracing::info!(?account)` or an error message built with `{}` cannot leak it; code
//! that really needs the value says so with [`Pii::expose`], which is easy to find in
//! review. For correlating log lines about the same number without revealing it,
//! [`Pii::fingerprint`] gives a short, stable, non-reversible tag.

#![forbid(unsafe_code)]

use std::fmt;

/// Personal data. See the crate documentation.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pii<T>(T);

impl<T> Pii<T> {
    /// Wraps a value.
    pub const fn new(value: T) -> Pii<T> {
        Pii(value)
    }

    /// The value itself. Every call is a place where personal data leaves the wrapper
    /// on purpose: to store it, to dial it, to address a mail.
    pub fn expose(&self) -> &T {
        &self.0
    }

    /// Unwraps the value.
    pub fn into_inner(self) -> T {
        self.0
    }

    /// Applies `f` to the value and keeps the result wrapped.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Pii<U> {
        Pii(f(self.0))
    }
}

impl<T: AsRef<[u8]>> Pii<T> {
    /// A short tag (8 hex digits) that is the same for the same value, so log lines
    /// about one caller can be correlated without naming them.
    ///
    /// It is an FNV-1a hash: enough to tell values apart in a log, and too short to
    /// identify a value by itself; it is not a defence against someone who guesses
    /// numbers and hashes them, so it is kept out of anything published.
    pub fn fingerprint(&self) -> String {
        let mut hash: u32 = 0x811c_9dc5;
        for &byte in self.0.as_ref() {
            hash ^= u32::from(byte);
            hash = hash.wrapping_mul(0x0100_0193);
        }
        format!("{hash:08x}")
    }
}

impl<T> From<T> for Pii<T> {
    fn from(value: T) -> Pii<T> {
        Pii(value)
    }
}

impl<T> fmt::Debug for Pii<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("‹redacted›")
    }
}

impl<T> fmt::Display for Pii<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("‹redacted›")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formatting_never_shows_the_value() {
        let number = Pii::new("+4930123456".to_owned());
        let shown = format!("{number} {number:?} {:?}", Some(&number));
        assert!(!shown.contains("123456"), "{shown}");
        assert_eq!(number.expose(), "+4930123456");
    }

    #[test]
    fn fingerprint_is_stable_and_distinguishes() {
        let a = Pii::new("alice@example.org");
        assert_eq!(a.fingerprint(), Pii::new("alice@example.org").fingerprint());
        assert_ne!(a.fingerprint(), Pii::new("bob@example.org").fingerprint());
        assert_eq!(a.fingerprint().len(), 8);
    }
}
