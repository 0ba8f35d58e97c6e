//! Subscriber identities: TSI, CSI, CIG, and the fields that share their format
//! (SUB, SID, PWD, SEP, PSA).

use std::fmt;

use crate::Error;

/// A subscriber identity, or any other 20-character T.30 address field.
///
/// T.30 (§5.3.6.2.4 and Table 3) fills the 20 FIF octets with the international
/// number — digits, `+` and space — sent last character first, and pads with spaces
/// what the number leaves unused. Read back in order, the field is the number right
/// justified in 20 characters: `"+49 30 1234567"` travels as
/// `"7654321 03 94+      "`.
///
/// Many terminals send letters or other characters, or pad differently, so parsing
/// keeps every received octet (losslessly: [`Ident::encode`] gives the received field
/// back) and [`Ident::number`] gives what a person should see.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Ident {
    /// The characters in reading order (the FIF reversed), padding included.
    chars: Vec<u8>,
}

impl Ident {
    /// The length of the field T.30 defines.
    pub const LEN: usize = 20;

    /// An identity from the T.30 character set (digits, `+` and space), at most 20
    /// characters, padded with spaces on the left as T.30 asks.
    pub fn new(number: &str) -> Result<Ident, Error> {
        Self::build(number, |c| c.is_ascii_digit() || c == '+' || c == ' ')
    }

    /// An identity of any printable ASCII characters, at most 20, padded like
    /// [`Ident::new`]. T.30 does not allow letters, but many terminals send and show
    /// them, and subaddresses and passwords often need them.
    pub fn new_printable(text: &str) -> Result<Ident, Error> {
        Self::build(text, |c| c.is_ascii_graphic() || c == ' ')
    }

    fn build(text: &str, allowed: impl Fn(char) -> bool) -> Result<Ident, Error> {
        let len = text.chars().count();
        if len > Self::LEN {
            return Err(Error::IdentTooLong { len });
        }
        if let Some(c) = text.chars().find(|&c| !allowed(c)) {
            return Err(Error::IdentCharacter(c));
        }
        let mut chars = vec![b' '; Self::LEN - len];
        chars.extend_from_slice(text.as_bytes());
        Ok(Ident { chars })
    }

    /// Reads a received information field. Any octets are accepted and kept; T.30's
    /// 20 is not enforced, because peers that send fewer or more still identify
    /// themselves. The frame parser bounds the length.
    pub fn parse(fif: &[u8]) -> Ident {
        Ident { chars: fif.iter().rev().copied().collect() }
    }

    /// The information field: the characters last first, exactly as received for a
    /// parsed identity.
    pub fn encode(&self) -> Vec<u8> {
        self.chars.iter().rev().copied().collect()
    }

    /// The identity for people: the printable ASCII characters in reading order,
    /// without the padding spaces at either end. Other octets are dropped.
    pub fn number(&self) -> String {
        let printable: String = self
            .chars
            .iter()
            .filter(|b| b.is_ascii_graphic() || **b == b' ')
            .map(|&b| char::from(b))
            .collect();
        printable.trim_matches(' ').to_owned()
    }

    /// The characters in reading order, padding included.
    pub fn as_bytes(&self) -> &[u8] {
        &self.chars
    }

    /// Whether the identity has no visible characters (an all-space or empty field, as
    /// terminals without a configured number send).
    pub fn is_blank(&self) -> bool {
        self.number().is_empty()
    }
}

impl fmt::Display for Ident {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.number())
    }
}

impl fmt::Debug for Ident {
    /// The length only: identities are phone numbers, personal data that debug logs
    /// should not collect. [`Ident::number`] and `Display` give the text on purpose.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ident({} octets)", self.chars.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The TSI SpanDSP sent for the identity "+49 30 1234567".
    const SPANDSP_TSI: [u8; 20] = *b"7654321 03 94+      ";

    #[test]
    fn encodes_like_spandsp() {
        let ident = Ident::new("+49 30 1234567").unwrap();
        assert_eq!(ident.encode(), SPANDSP_TSI.to_vec());
        assert_eq!(ident.number(), "+49 30 1234567");
    }

    #[test]
    fn parses_losslessly() {
        let ident = Ident::parse(&SPANDSP_TSI);
        assert_eq!(ident.number(), "+49 30 1234567");
        assert_eq!(ident.encode(), SPANDSP_TSI.to_vec());
        assert_eq!(ident, Ident::new("+49 30 1234567").unwrap());
    }

    #[test]
    fn tolerates_odd_peers() {
        // Left-justified (padding sent first), letters, a NUL and a short field.
        let fif = b"   XAF ECIFFO\0";
        let ident = Ident::parse(fif);
        assert_eq!(ident.number(), "OFFICE FAX");
        assert_eq!(ident.encode(), fif.to_vec());
        assert!(Ident::parse(b"").is_blank());
        assert!(Ident::parse(&[b' '; 20]).is_blank());
        assert_eq!(format!("{:?}", Ident::parse(b"21")), "Ident(2 octets)");
        assert_eq!(Ident::parse(b"21").to_string(), "12");
    }

    #[test]
    fn checks_input() {
        assert_eq!(Ident::new("+1 555 0100 x"), Err(Error::IdentCharacter('x')));
        assert_eq!(Ident::new("123456789012345678901"), Err(Error::IdentTooLong { len: 21 }));
        assert_eq!(Ident::new_printable("FERROFAX").unwrap().encode().len(), 20);
        assert_eq!(Ident::new_printable("tab\there"), Err(Error::IdentCharacter('\t')));
        assert_eq!(Ident::new("").unwrap().encode(), vec![b' '; 20]);
    }
}
