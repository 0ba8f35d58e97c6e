//! The master key, which wraps every object's data key.

use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::Error;
use crate::id::push_hex;

/// Bytes in a master key: a 256-bit XChaCha20-Poly1305 key.
pub const MASTER_KEY_BYTES: usize = 32;

/// Bytes of the key's SHA-256 fingerprint kept as its id (16 hex digits).
const ID_BYTES: usize = 8;

/// Largest key file read: the base64 text of 32 bytes with some whitespace. A larger
/// file is not a key file, and is refused before it is read into memory.
const MAX_KEY_FILE_BYTES: u64 = 256;

/// A 256-bit master key and its short id.
///
/// The id is the first 8 bytes of a domain-separated SHA-256 of the key, in hex.
/// It is written into every object's header so that a store holding objects under
/// several keys (during a rotation) knows which key wraps which object; it reveals
/// nothing usable about the key. `Debug` shows the id only.
#[derive(Clone)]
pub struct MasterKey {
    id: String,
    key: Zeroizing<[u8; MASTER_KEY_BYTES]>,
}

impl MasterKey {
    /// Loads the key kept at `path`, or creates it there on first run.
    ///
    /// The file holds the key in standard base64 followed by a newline, so that it
    /// can be copied into `FERROFAX_MASTER_KEY` or a backup by hand. A new key is
    /// written to a temporary file with mode 0600 in the same folder, synced, and
    /// then hard-linked to `path`: linking fails if `path` exists, so an existing
    /// key is never overwritten, two processes starting together agree on one key,
    /// and a crash never leaves a half-written key at `path`. A missing parent
    /// folder is created with mode 0700.
    pub fn load_or_create(path: &Path) -> Result<MasterKey, Error> {
        match read_key_file(path) {
            Ok(key) => return Ok(key),
            Err(Error::KeyFile { source, .. }) if source.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        let key = MasterKey::generate()?;
        let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let key_file_error = |source| Error::KeyFile { path: path.to_path_buf(), source };
        fs::DirBuilder::new().recursive(true).mode(0o700).create(parent).map_err(key_file_error)?;

        let mut suffix = [0u8; 8];
        getrandom::fill(&mut suffix).map_err(|_| Error::Random)?;
        let mut temp_name = String::from(".master-key.");
        push_hex(&mut temp_name, &suffix);
        let temp = parent.join(temp_name);
        let written = write_new_file(&temp, key.to_base64().as_bytes());
        let linked = written.and_then(|()| fs::hard_link(&temp, path));
        // The temporary name is removed whatever happened; if linking worked, the key
        // lives on under `path`.
        let _ = fs::remove_file(&temp);
        match linked {
            Ok(()) => {
                // Make the new directory entry durable too.
                if let Ok(dir) = fs::File::open(parent) {
                    let _ = dir.sync_all();
                }
                Ok(key)
            }
            // Another process created the key between our read and our link: use its key.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => read_key_file(path),
            Err(e) => Err(key_file_error(e)),
        }
    }

    /// Reads a key given as standard base64 of 32 bytes (the form of
    /// `FERROFAX_MASTER_KEY` and of the key file); surrounding whitespace is ignored.
    pub fn from_base64(s: &str) -> Result<MasterKey, Error> {
        let bytes = Zeroizing::new(STANDARD.decode(s.trim()).map_err(|_| Error::InvalidKey)?);
        let key: [u8; MASTER_KEY_BYTES] = bytes.as_slice().try_into().map_err(|_| Error::InvalidKey)?;
        Ok(MasterKey::from_bytes(key))
    }

    /// Makes a fresh key from the system's random number generator.
    pub fn generate() -> Result<MasterKey, Error> {
        let mut key = Zeroizing::new([0u8; MASTER_KEY_BYTES]);
        getrandom::fill(key.as_mut()).map_err(|_| Error::Random)?;
        Ok(MasterKey::from_bytes(*key))
    }

    /// The key's short id: 16 lowercase hex digits.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The key in standard base64, as stored in the key file. This reveals the key:
    /// use it only to write the key file or show it to an operator who asked for it.
    pub fn to_base64(&self) -> Zeroizing<String> {
        let mut text = Zeroizing::new(STANDARD.encode(self.key.as_ref()));
        text.push('\n');
        text
    }

    pub(crate) fn bytes(&self) -> &[u8; MASTER_KEY_BYTES] {
        &self.key
    }

    fn from_bytes(key: [u8; MASTER_KEY_BYTES]) -> MasterKey {
        let key = Zeroizing::new(key);
        let mut hash = Sha256::new();
        hash.update(b"ferrofax blob master key id v1\0");
        hash.update(key.as_ref());
        let digest = hash.finalize();
        let mut id = String::with_capacity(ID_BYTES * 2);
        push_hex(&mut id, &digest[..ID_BYTES]);
        MasterKey { id, key }
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MasterKey").field("id", &self.id).field("key", &"<redacted>").finish()
    }
}

/// Reads and parses a key file, refusing anything larger than a key file can be.
pub(crate) fn read_key_file(path: &Path) -> Result<MasterKey, Error> {
    let key_file_error = |source| Error::KeyFile { path: path.to_path_buf(), source };
    let size = fs::metadata(path).map_err(key_file_error)?.len();
    if size > MAX_KEY_FILE_BYTES {
        return Err(Error::InvalidKey);
    }
    let text = Zeroizing::new(fs::read_to_string(path).map_err(key_file_error)?);
    MasterKey::from_base64(&text)
}

/// Creates `path` (which must not exist) with mode 0600 and writes `data` durably.
fn write_new_file(path: &Path, data: &[u8]) -> io::Result<()> {
    let mut file = fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    file.write_all(data)?;
    file.sync_all()
}
