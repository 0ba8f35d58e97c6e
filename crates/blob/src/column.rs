//! Column encryption: small values (phone and fax numbers, names, notes) sealed one
//! by one for a database column, under a column data key wrapped by the master key.
//!
//! A database has one [`ColumnKey`]: 32 random bytes, stored in the database only
//! wrapped by the master key (so a database dump alone opens nothing), and re-wrapped,
//! not replaced, when the master key is rotated. Each value is sealed with
//! XChaCha20-Poly1305 under a fresh random nonce, with associated data that names
//! its place (`table.column` and the row id): a sealed value copied into another
//! column or another row fails to open.
//!
//! Equal plaintexts seal to different texts, so a column that must be searched by
//! value (the recipient number) gets a **blind index** next to it:
//! HMAC-SHA256 of the value under a key derived from the column key, per domain.
//! Equal values give equal indexes inside one database and domain, and nothing
//! else can be learnt from it without the key.
//!
//! The sealed text form is `fxc1:<key id>:<base64url of nonce ‖ ciphertext ‖ tag>`;
//! it travels through sqlx's `Any` driver as ordinary text.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{AeadInOut, KeyInit};
use chacha20poly1305::{Key, Tag, XChaCha20Poly1305, XNonce};
use hmac::Mac;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::Error;
use crate::id::push_hex;
use crate::key::MasterKey;

/// Bytes in a column data key.
const KEY_BYTES: usize = 32;
const NONCE_BYTES: usize = 24;
const TAG_BYTES: usize = 16;
/// Bytes of a wrapped column key: nonce, key, tag.
pub const WRAPPED_COLUMN_KEY_BYTES: usize = NONCE_BYTES + KEY_BYTES + TAG_BYTES;
/// The prefix every sealed value starts with; a stored value without it was never
/// sealed.
pub const SEALED_PREFIX: &str = "fxc1:";
/// Largest plaintext [`ColumnKey::seal`] accepts and [`ColumnKey::open`] returns:
/// 1 MiB. Columns hold numbers, names, notes and webhook event bodies, far below
/// it; the limit keeps a damaged or planted value from costing memory.
pub const MAX_COLUMN_VALUE_BYTES: usize = 1024 * 1024;
/// Bytes of a blind index kept (as hex, twice as many characters): 128 bits, so two
/// different numbers in one database collide with negligible probability.
const INDEX_BYTES: usize = 16;

type HmacSha256 = hmac::Hmac<Sha256>;

/// The data key of a database's encrypted columns.
///
/// `Debug` shows the id only; the key bytes are zeroed when dropped.
#[derive(Clone)]
pub struct ColumnKey {
    id: String,
    key: Zeroizing<[u8; KEY_BYTES]>,
    /// HMAC key of the blind indexes, derived from `key` so that it needs no storage
    /// of its own and rotates with it.
    index_key: Zeroizing<[u8; 32]>,
}

impl fmt::Debug for ColumnKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ColumnKey").field("id", &self.id).field("key", &"<redacted>").finish()
    }
}

impl ColumnKey {
    /// A fresh random key.
    pub fn generate() -> Result<ColumnKey, Error> {
        let mut key = Zeroizing::new([0u8; KEY_BYTES]);
        getrandom::fill(key.as_mut()).map_err(|_| Error::Random)?;
        Ok(ColumnKey::from_bytes(*key))
    }

    fn from_bytes(key: [u8; KEY_BYTES]) -> ColumnKey {
        let key = Zeroizing::new(key);
        let mut hash = Sha256::new();
        hash.update(b"ferrofax column key id v1\0");
        hash.update(key.as_ref());
        let digest = hash.finalize();
        let mut id = String::with_capacity(16);
        push_hex(&mut id, &digest[..8]);
        let mut mac = hmac_with(&key);
        mac.update(b"ferrofax blind index key v1");
        let mut index_key = Zeroizing::new([0u8; 32]);
        index_key.copy_from_slice(&mac.finalize().into_bytes());
        ColumnKey { id, key, index_key }
    }

    /// The key's short id (16 lowercase hex digits), written in every sealed value.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The key encrypted under `master`, for storage in the database: nonce, wrapped
    /// key and tag ([`WRAPPED_COLUMN_KEY_BYTES`]). The associated data binds both
    /// key ids, so a wrapped key cannot be passed off as another.
    pub fn wrap(&self, master: &MasterKey) -> Result<Vec<u8>, Error> {
        let nonce = random_nonce()?;
        let mut out = Vec::with_capacity(WRAPPED_COLUMN_KEY_BYTES);
        out.extend_from_slice(&nonce);
        let start = out.len();
        out.extend_from_slice(self.key.as_ref());
        let tag = master_cipher(master)
            .encrypt_inout_detached(
                &XNonce::from(nonce),
                &wrap_aad(master.id(), &self.id),
                (&mut out[start..]).into(),
            )
            .map_err(|_| Error::Cipher)?;
        out.extend_from_slice(&tag);
        Ok(out)
    }

    /// Opens a key wrapped by [`wrap`](ColumnKey::wrap) under `master`; `id` is the
    /// column key's id as stored next to it, checked against the key it opens to.
    pub fn unwrap(master: &MasterKey, id: &str, wrapped: &[u8]) -> Result<ColumnKey, Error> {
        if wrapped.len() != WRAPPED_COLUMN_KEY_BYTES {
            return Err(Error::Tampered);
        }
        let (nonce, rest) = wrapped.split_at(NONCE_BYTES);
        let (body, tag) = rest.split_at(KEY_BYTES);
        let nonce: [u8; NONCE_BYTES] = nonce.try_into().map_err(|_| Error::Tampered)?;
        let tag = Tag::try_from(tag).map_err(|_| Error::Tampered)?;
        let mut key = Zeroizing::new([0u8; KEY_BYTES]);
        key.copy_from_slice(body);
        master_cipher(master)
            .decrypt_inout_detached(
                &XNonce::from(nonce),
                &wrap_aad(master.id(), id),
                key.as_mut_slice().into(),
                &tag,
            )
            .map_err(|_| Error::Tampered)?;
        let opened = ColumnKey::from_bytes(*key);
        if opened.id != id {
            return Err(Error::Tampered);
        }
        Ok(opened)
    }

    /// Seals `plaintext` for the place `context` names (for example
    /// `fax_recipients.number` and the row id): only [`open`](ColumnKey::open) with
    /// the same context gets it back.
    pub fn seal(&self, context: &[u8], plaintext: &[u8]) -> Result<String, Error> {
        if plaintext.len() > MAX_COLUMN_VALUE_BYTES {
            return Err(Error::TooLarge { size: plaintext.len() as u64 });
        }
        let nonce = random_nonce()?;
        let mut body = Vec::with_capacity(NONCE_BYTES + plaintext.len() + TAG_BYTES);
        body.extend_from_slice(&nonce);
        body.extend_from_slice(plaintext);
        let tag = self
            .cipher()
            .encrypt_inout_detached(
                &XNonce::from(nonce),
                &self.aad(context),
                (&mut body[NONCE_BYTES..]).into(),
            )
            .map_err(|_| Error::Cipher)?;
        body.extend_from_slice(&tag);
        let mut out = String::with_capacity(SEALED_PREFIX.len() + self.id.len() + 1 + body.len() * 4 / 3 + 4);
        out.push_str(SEALED_PREFIX);
        out.push_str(&self.id);
        out.push(':');
        URL_SAFE_NO_PAD.encode_string(&body, &mut out);
        Ok(out)
    }

    /// Opens a value sealed by this key for `context`. A value sealed for another
    /// place, by another key, altered or not sealed at all is [`Error::Tampered`]
    /// (or [`Error::UnknownKey`] when it names another key).
    pub fn open(&self, context: &[u8], sealed: &str) -> Result<Vec<u8>, Error> {
        let key_id = sealed_key_id(sealed).ok_or(Error::Tampered)?;
        if key_id != self.id {
            return Err(Error::UnknownKey { key_id: key_id.to_owned() });
        }
        let encoded = &sealed[SEALED_PREFIX.len() + key_id.len() + 1..];
        // Base64 of the largest value, its nonce and tag; anything longer is refused
        // before decoding.
        if encoded.len() > (MAX_COLUMN_VALUE_BYTES + NONCE_BYTES + TAG_BYTES) * 4 / 3 + 4 {
            return Err(Error::TooLarge { size: encoded.len() as u64 });
        }
        let body = URL_SAFE_NO_PAD.decode(encoded).map_err(|_| Error::Tampered)?;
        if body.len() < NONCE_BYTES + TAG_BYTES {
            return Err(Error::Tampered);
        }
        let (nonce, rest) = body.split_at(NONCE_BYTES);
        let (ciphertext, tag) = rest.split_at(rest.len() - TAG_BYTES);
        let nonce: [u8; NONCE_BYTES] = nonce.try_into().map_err(|_| Error::Tampered)?;
        let tag = Tag::try_from(tag).map_err(|_| Error::Tampered)?;
        let mut plaintext = ciphertext.to_vec();
        self.cipher()
            .decrypt_inout_detached(
                &XNonce::from(nonce),
                &self.aad(context),
                plaintext.as_mut_slice().into(),
                &tag,
            )
            .map_err(|_| Error::Tampered)?;
        Ok(plaintext)
    }

    /// The blind index of `value` in `domain` (for example `fax_number`): 32 hex
    /// digits, equal for equal values under this key and domain.
    pub fn blind_index(&self, domain: &str, value: &[u8]) -> String {
        let mut mac = hmac_with(&self.index_key);
        mac.update(domain.as_bytes());
        mac.update(&[0]);
        mac.update(value);
        let digest = mac.finalize().into_bytes();
        let mut out = String::with_capacity(INDEX_BYTES * 2);
        push_hex(&mut out, &digest[..INDEX_BYTES]);
        out
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(&Key::from(*self.key))
    }

    fn aad(&self, context: &[u8]) -> Vec<u8> {
        let mut aad = Vec::with_capacity(32 + self.id.len() + context.len());
        aad.extend_from_slice(b"ferrofax column v1\0");
        aad.extend_from_slice(self.id.as_bytes());
        aad.push(0);
        aad.extend_from_slice(context);
        aad
    }
}

/// The key id a sealed value names, or `None` if `text` is not a sealed value.
pub fn sealed_key_id(text: &str) -> Option<&str> {
    let rest = text.strip_prefix(SEALED_PREFIX)?;
    let (id, _) = rest.split_once(':')?;
    (!id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
        .then_some(id)
}

/// HMAC-SHA256 keyed with a 32-byte key. HMAC pads a short key with zeros to the
/// 64-byte block, so passing the padded block is the same key and needs no fallible
/// length check.
fn hmac_with(key: &[u8; 32]) -> HmacSha256 {
    let mut block = Zeroizing::new([0u8; 64]);
    block[..32].copy_from_slice(key);
    <HmacSha256 as KeyInit>::new(&(*block).into())
}

fn master_cipher(key: &MasterKey) -> XChaCha20Poly1305 {
    XChaCha20Poly1305::new(&Key::from(*key.bytes()))
}

fn wrap_aad(master_id: &str, column_key_id: &str) -> Vec<u8> {
    let mut aad = Vec::with_capacity(64);
    aad.extend_from_slice(b"ferrofax column key v1\0");
    aad.extend_from_slice(master_id.as_bytes());
    aad.push(0);
    aad.extend_from_slice(column_key_id.as_bytes());
    aad
}

fn random_nonce() -> Result<[u8; NONCE_BYTES], Error> {
    let mut nonce = [0u8; NONCE_BYTES];
    getrandom::fill(&mut nonce).map_err(|_| Error::Random)?;
    Ok(nonce)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_in_their_place() {
        let key = ColumnKey::generate().expect("key");
        let sealed = key.seal(b"fax_recipients.number\0rcp_1", b"+4930123456").expect("seal");
        assert!(sealed.starts_with(SEALED_PREFIX) && !sealed.contains("4930123456"), "{sealed}");
        assert_eq!(key.open(b"fax_recipients.number\0rcp_1", &sealed).expect("opens"), b"+4930123456");
        assert!(matches!(key.open(b"fax_recipients.number\0rcp_2", &sealed), Err(Error::Tampered)));
        assert!(matches!(key.open(b"accounts.phone\0rcp_1", &sealed), Err(Error::Tampered)));
        assert_ne!(sealed, key.seal(b"fax_recipients.number\0rcp_1", b"+4930123456").expect("seal"));
        let other = ColumnKey::generate().expect("key");
        assert!(matches!(
            other.open(b"fax_recipients.number\0rcp_1", &sealed),
            Err(Error::UnknownKey { .. })
        ));
        assert!(matches!(key.open(b"x", "+4930123456"), Err(Error::Tampered)));
        let mut flipped = sealed.clone().into_bytes();
        let last = flipped.len() - 2;
        flipped[last] = if flipped[last] == b'A' { b'B' } else { b'A' };
        let flipped = String::from_utf8(flipped).expect("ascii");
        assert!(matches!(key.open(b"fax_recipients.number\0rcp_1", &flipped), Err(Error::Tampered)));
    }

    #[test]
    fn wrapped_keys_open_under_their_master_only() {
        let master = MasterKey::generate().expect("master");
        let key = ColumnKey::generate().expect("key");
        let wrapped = key.wrap(&master).expect("wrap");
        assert_eq!(wrapped.len(), WRAPPED_COLUMN_KEY_BYTES);
        let opened = ColumnKey::unwrap(&master, key.id(), &wrapped).expect("unwrap");
        assert_eq!(opened.blind_index("n", b"1"), key.blind_index("n", b"1"));
        let other = MasterKey::generate().expect("master");
        assert!(ColumnKey::unwrap(&other, key.id(), &wrapped).is_err());
        assert!(ColumnKey::unwrap(&master, "0000000000000000", &wrapped).is_err());
    }

    #[test]
    fn blind_indexes_are_equal_for_equal_values_only() {
        let key = ColumnKey::generate().expect("key");
        let a = key.blind_index("fax_number", b"+4930123456");
        assert_eq!(a, key.blind_index("fax_number", b"+4930123456"));
        assert_ne!(a, key.blind_index("fax_number", b"+4930123457"));
        assert_ne!(a, key.blind_index("phone", b"+4930123456"));
        assert_ne!(a, ColumnKey::generate().expect("key").blind_index("fax_number", b"+4930123456"));
        assert_eq!(a.len(), 32);
    }
}
