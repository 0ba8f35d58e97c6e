//! The stored form of an object: a small header, then the encrypted content.
//!
//! ```text
//! offset  size  field
//! 0       4     magic "FFXB"
//! 4       1     format version (1)
//! 5       1     length n of the master-key id (1..=64)
//! 6       n     master-key id, lowercase hex
//! 6+n     24    nonce used to wrap the data key
//! 30+n    48    wrapped data key: 32 bytes of key + 16 bytes of Poly1305 tag
//! 78+n    24    content nonce
//! 102+n   …     content: ciphertext of the plaintext, then its 16-byte tag
//! ```
//!
//! Both encryptions are XChaCha20-Poly1305. The data key is wrapped under the master
//! key with associated data `"ferrofax blob key\0" ‖ version ‖ key id ‖ object name`;
//! the content is encrypted under the data key with associated data
//! `"ferrofax blob data\0" ‖ version ‖ object name`. Binding the name means an
//! object copied or moved to another name no longer opens. The wrapped key does not
//! enter the content's associated data, so that a key rotation can re-wrap the data
//! key without touching the content (see `rewrap`); the data key itself is bound
//! to the object by the wrap, and the content by the data key.

use chacha20poly1305::aead::{AeadInOut, KeyInit};
use chacha20poly1305::{Key, Tag, XChaCha20Poly1305, XNonce};
use zeroize::Zeroizing;

use crate::key::{MASTER_KEY_BYTES, MasterKey};
use crate::{BlobId, Error};

const MAGIC: &[u8; 4] = b"FFXB";
const VERSION: u8 = 1;
const NONCE_BYTES: usize = 24;
const TAG_BYTES: usize = 16;
const DATA_KEY_BYTES: usize = 32;
const WRAPPED_KEY_BYTES: usize = DATA_KEY_BYTES + TAG_BYTES;
const MAX_KEY_ID_BYTES: usize = 64;

/// Bytes of an object's header with the longest key id allowed; with the content's
/// tag this is the most a stored object can exceed its plaintext by.
pub const MAX_OVERHEAD_BYTES: usize =
    4 + 1 + 1 + MAX_KEY_ID_BYTES + NONCE_BYTES + WRAPPED_KEY_BYTES + NONCE_BYTES + TAG_BYTES;

/// The parsed fixed part of a stored object.
struct Header<'a> {
    key_id: &'a str,
    wrap_nonce: [u8; NONCE_BYTES],
    wrapped_key: [u8; WRAPPED_KEY_BYTES],
    content_nonce: [u8; NONCE_BYTES],
    /// Everything after the header: ciphertext and tag.
    body: &'a [u8],
}

/// Encrypts `plaintext` as object `id` under a fresh data key wrapped by `key`.
pub(crate) fn seal(key: &MasterKey, id: &BlobId, plaintext: &[u8]) -> Result<Vec<u8>, Error> {
    let mut data_key = Zeroizing::new([0u8; DATA_KEY_BYTES]);
    getrandom::fill(data_key.as_mut()).map_err(|_| Error::Random)?;
    let wrap_nonce = random_nonce()?;
    let content_nonce = random_nonce()?;
    let wrapped_key = wrap(key, id, &wrap_nonce, &data_key)?;

    let mut out = Vec::with_capacity(MAX_OVERHEAD_BYTES + plaintext.len());
    push_header(&mut out, key.id(), &wrap_nonce, &wrapped_key, &content_nonce);
    let body_start = out.len();
    out.extend_from_slice(plaintext);
    let cipher = XChaCha20Poly1305::new(&Key::from(*data_key));
    let tag = cipher
        .encrypt_inout_detached(
            &XNonce::from(content_nonce),
            &content_aad(id),
            (&mut out[body_start..]).into(),
        )
        .map_err(|_| Error::Cipher)?;
    out.extend_from_slice(&tag);
    Ok(out)
}

/// Decrypts stored object `id`, trying whichever of `keys` its header names.
pub(crate) fn open(keys: &[MasterKey], id: &BlobId, stored: &[u8]) -> Result<Vec<u8>, Error> {
    let header = parse(stored)?;
    let key = find_key(keys, header.key_id)?;
    let data_key = unwrap(key, id, &header.wrap_nonce, &header.wrapped_key)?;
    let split = header.body.len().checked_sub(TAG_BYTES).ok_or(Error::Tampered)?;
    let (ciphertext, tag) = header.body.split_at(split);
    let tag = Tag::try_from(tag).map_err(|_| Error::Tampered)?;
    let mut plaintext = ciphertext.to_vec();
    let cipher = XChaCha20Poly1305::new(&Key::from(*data_key));
    cipher
        .decrypt_inout_detached(
            &XNonce::from(header.content_nonce),
            &content_aad(id),
            plaintext.as_mut_slice().into(),
            &tag,
        )
        .map_err(|_| Error::Tampered)?;
    Ok(plaintext)
}

/// Re-wraps the data key of stored object `id` under `current`, leaving the content
/// bytes as they are. Returns `None` when the object is already under `current`.
pub(crate) fn rewrap(
    keys: &[MasterKey],
    current: &MasterKey,
    id: &BlobId,
    stored: &[u8],
) -> Result<Option<Vec<u8>>, Error> {
    let header = parse(stored)?;
    if header.key_id == current.id() {
        return Ok(None);
    }
    let old = find_key(keys, header.key_id)?;
    let data_key = unwrap(old, id, &header.wrap_nonce, &header.wrapped_key)?;
    let wrap_nonce = random_nonce()?;
    let wrapped_key = wrap(current, id, &wrap_nonce, &data_key)?;
    let mut out = Vec::with_capacity(MAX_OVERHEAD_BYTES + header.body.len());
    push_header(&mut out, current.id(), &wrap_nonce, &wrapped_key, &header.content_nonce);
    out.extend_from_slice(header.body);
    Ok(Some(out))
}

/// The id of the master key that wraps a stored object.
pub(crate) fn key_id(stored: &[u8]) -> Result<&str, Error> {
    parse(stored).map(|header| header.key_id)
}

fn find_key<'k>(keys: &'k [MasterKey], key_id: &str) -> Result<&'k MasterKey, Error> {
    keys.iter().find(|key| key.id() == key_id).ok_or_else(|| Error::UnknownKey { key_id: key_id.to_owned() })
}

/// Splits a stored object into its header fields. Anything that is not a version-1
/// object is reported as tampering: the store holds nothing else.
fn parse(stored: &[u8]) -> Result<Header<'_>, Error> {
    let mut rest = stored;
    let magic = take(&mut rest, MAGIC.len())?;
    let version = take(&mut rest, 1)?;
    if magic != MAGIC || version != [VERSION] {
        return Err(Error::Tampered);
    }
    let id_len = usize::from(take(&mut rest, 1)?[0]);
    if id_len == 0 || id_len > MAX_KEY_ID_BYTES {
        return Err(Error::Tampered);
    }
    let key_id = take(&mut rest, id_len)?;
    // Ids are lowercase hex (see `MasterKey`); anything else is damage.
    if !key_id.iter().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b)) {
        return Err(Error::Tampered);
    }
    let key_id = std::str::from_utf8(key_id).map_err(|_| Error::Tampered)?;
    let wrap_nonce = array(take(&mut rest, NONCE_BYTES)?)?;
    let wrapped_key = array(take(&mut rest, WRAPPED_KEY_BYTES)?)?;
    let content_nonce = array(take(&mut rest, NONCE_BYTES)?)?;
    Ok(Header { key_id, wrap_nonce, wrapped_key, content_nonce, body: rest })
}

fn take<'a>(rest: &mut &'a [u8], n: usize) -> Result<&'a [u8], Error> {
    if rest.len() < n {
        return Err(Error::Tampered);
    }
    let (head, tail) = rest.split_at(n);
    *rest = tail;
    Ok(head)
}

fn array<const N: usize>(bytes: &[u8]) -> Result<[u8; N], Error> {
    bytes.try_into().map_err(|_| Error::Tampered)
}

fn push_header(
    out: &mut Vec<u8>,
    key_id: &str,
    wrap_nonce: &[u8; NONCE_BYTES],
    wrapped_key: &[u8; WRAPPED_KEY_BYTES],
    content_nonce: &[u8; NONCE_BYTES],
) {
    out.extend_from_slice(MAGIC);
    out.push(VERSION);
    // Key ids are 16 hex digits (see `MasterKey`), well within one length byte.
    out.push(key_id.len() as u8);
    out.extend_from_slice(key_id.as_bytes());
    out.extend_from_slice(wrap_nonce);
    out.extend_from_slice(wrapped_key);
    out.extend_from_slice(content_nonce);
}

fn wrap(
    key: &MasterKey,
    id: &BlobId,
    nonce: &[u8; NONCE_BYTES],
    data_key: &[u8; DATA_KEY_BYTES],
) -> Result<[u8; WRAPPED_KEY_BYTES], Error> {
    let mut out = [0u8; WRAPPED_KEY_BYTES];
    let (body, tag_out) = out.split_at_mut(DATA_KEY_BYTES);
    body.copy_from_slice(data_key);
    let tag = master_cipher(key)
        .encrypt_inout_detached(&XNonce::from(*nonce), &wrap_aad(key.id(), id), body.into())
        .map_err(|_| Error::Cipher)?;
    tag_out.copy_from_slice(&tag);
    Ok(out)
}

fn unwrap(
    key: &MasterKey,
    id: &BlobId,
    nonce: &[u8; NONCE_BYTES],
    wrapped: &[u8; WRAPPED_KEY_BYTES],
) -> Result<Zeroizing<[u8; DATA_KEY_BYTES]>, Error> {
    let (body, tag) = wrapped.split_at(DATA_KEY_BYTES);
    let tag = Tag::try_from(tag).map_err(|_| Error::Tampered)?;
    let mut data_key = Zeroizing::new([0u8; DATA_KEY_BYTES]);
    data_key.copy_from_slice(body);
    master_cipher(key)
        .decrypt_inout_detached(
            &XNonce::from(*nonce),
            &wrap_aad(key.id(), id),
            data_key.as_mut_slice().into(),
            &tag,
        )
        .map_err(|_| Error::Tampered)?;
    Ok(data_key)
}

fn master_cipher(key: &MasterKey) -> XChaCha20Poly1305 {
    let bytes: &[u8; MASTER_KEY_BYTES] = key.bytes();
    XChaCha20Poly1305::new(&Key::from(*bytes))
}

fn wrap_aad(key_id: &str, id: &BlobId) -> Vec<u8> {
    let mut aad = Vec::with_capacity(64 + key_id.len() + id.as_str().len());
    aad.extend_from_slice(b"ferrofax blob key\0");
    aad.push(VERSION);
    aad.extend_from_slice(key_id.as_bytes());
    aad.push(0);
    aad.extend_from_slice(id.as_str().as_bytes());
    aad
}

fn content_aad(id: &BlobId) -> Vec<u8> {
    let mut aad = Vec::with_capacity(64 + id.as_str().len());
    aad.extend_from_slice(b"ferrofax blob data\0");
    aad.push(VERSION);
    aad.extend_from_slice(id.as_str().as_bytes());
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

    fn id() -> BlobId {
        "upload/0123456789abcdef0123456789abcdef".parse().expect("valid id")
    }

    #[test]
    fn header_has_the_documented_size() {
        let key = MasterKey::generate().expect("key");
        let sealed = seal(&key, &id(), b"").expect("seal");
        assert_eq!(sealed.len(), 102 + key.id().len() + TAG_BYTES);
        assert_eq!(&sealed[..4], MAGIC);
        assert_eq!(key_id(&sealed).expect("parses"), key.id());
    }

    #[test]
    fn rewrap_keeps_the_content_bytes() {
        let old = MasterKey::generate().expect("key");
        let new = MasterKey::generate().expect("key");
        let sealed = seal(&old, &id(), b"some fax page").expect("seal");
        let keys = [new.clone(), old.clone()];
        let rewrapped = rewrap(&keys, &new, &id(), &sealed).expect("rewrap").expect("changed");
        let tail = |b: &[u8]| b[b.len() - (13 + TAG_BYTES + NONCE_BYTES)..].to_vec();
        assert_eq!(tail(&sealed), tail(&rewrapped), "content nonce and ciphertext are kept");
        assert_eq!(open(std::slice::from_ref(&new), &id(), &rewrapped).expect("opens"), b"some fax page");
        assert!(matches!(open(&[old], &id(), &rewrapped), Err(Error::UnknownKey { .. })));
        assert!(rewrap(&keys, &new, &id(), &rewrapped).expect("rewrap").is_none());
    }
}
