//! Names of stored objects.

use std::fmt;
use std::str::FromStr;

use crate::Error;

/// Longest class name accepted. Classes are a handful of fixed words chosen by the
/// service ("upload", "rendered", "received"), so a short bound costs nothing and
/// keeps object names small.
pub const MAX_CLASS_LEN: usize = 32;

/// Hex digits in the random part of an id: 128 random bits, enough that two ids
/// never collide in practice and that ids cannot be guessed.
const RANDOM_HEX_LEN: usize = 32;

/// The name of one stored object: `class/random`, for example
/// `upload/3f9a0c1e7b2d4a6c8e0f1a3b5c7d9e1f`.
///
/// The class is 1 to [`MAX_CLASS_LEN`] characters from `a-z`, `0-9` and `-`; the
/// random part is exactly 32 lowercase hex digits. Nothing else parses, so an id
/// taken from a URL or a database row can never name a path outside the store
/// (no `..`, no `/` beyond the one separator, no empty parts) and is safe to log:
/// it carries no personal data.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlobId(String);

impl BlobId {
    /// Makes a new id in `class` from the system's random number generator.
    pub(crate) fn random(class: &str) -> Result<BlobId, Error> {
        check_class(class)?;
        let mut bytes = [0u8; RANDOM_HEX_LEN / 2];
        getrandom::fill(&mut bytes).map_err(|_| Error::Random)?;
        let mut name = String::with_capacity(class.len() + 1 + RANDOM_HEX_LEN);
        name.push_str(class);
        name.push('/');
        push_hex(&mut name, &bytes);
        Ok(BlobId(name))
    }

    /// The class, the part before the `/`.
    pub fn class(&self) -> &str {
        self.0.split_once('/').map_or("", |(class, _)| class)
    }

    /// The whole id as text, which is also the object's path in the store.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for BlobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for BlobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BlobId({})", self.0)
    }
}

impl FromStr for BlobId {
    type Err = Error;

    fn from_str(s: &str) -> Result<BlobId, Error> {
        let (class, random) = s.split_once('/').ok_or(Error::InvalidId)?;
        check_class(class).map_err(|_| Error::InvalidId)?;
        let random_ok = random.len() == RANDOM_HEX_LEN
            && random.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !random_ok {
            return Err(Error::InvalidId);
        }
        Ok(BlobId(s.to_owned()))
    }
}

/// Checks a class name: 1 to [`MAX_CLASS_LEN`] characters from `a-z`, `0-9`, `-`.
pub(crate) fn check_class(class: &str) -> Result<(), Error> {
    let ok = !class.is_empty()
        && class.len() <= MAX_CLASS_LEN
        && class.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok { Ok(()) } else { Err(Error::InvalidClass) }
}

/// Appends `bytes` as lowercase hex.
pub(crate) fn push_hex(out: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_ids_parse_back_and_differ() {
        let a = BlobId::random("upload").expect("random id");
        let b = BlobId::random("upload").expect("random id");
        assert_ne!(a, b);
        assert_eq!(a.class(), "upload");
        assert_eq!(a.to_string().parse::<BlobId>().expect("parses"), a);
    }

    #[test]
    fn rejects_everything_outside_the_strict_shape() {
        let good = "upload/0123456789abcdef0123456789abcdef";
        assert!(good.parse::<BlobId>().is_ok());
        for bad in [
            "",
            "upload",
            "upload/",
            "/0123456789abcdef0123456789abcdef",
            "../0123456789abcdef0123456789abcdef",
            "upload/../0123456789abcdef0123456789",
            "upload/0123456789ABCDEF0123456789abcdef",
            "upload/0123456789abcdef0123456789abcde",
            "upload/0123456789abcdef0123456789abcdef0",
            "up/load/0123456789abcdef0123456789abcdef",
            "Upload/0123456789abcdef0123456789abcdef",
            "up load/0123456789abcdef0123456789abcdef",
        ] {
            assert!(bad.parse::<BlobId>().is_err(), "{bad:?} was accepted");
        }
        let long_class = format!("{}/0123456789abcdef0123456789abcdef", "a".repeat(MAX_CLASS_LEN + 1));
        assert!(long_class.parse::<BlobId>().is_err());
        assert!(check_class(&"a".repeat(MAX_CLASS_LEN)).is_ok());
    }
}
