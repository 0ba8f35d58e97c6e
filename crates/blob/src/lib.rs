//! Encrypted object storage for Ferrofax.
//!
//! Every document and fax image is stored encrypted with envelope encryption: each
//! object gets a fresh random 256-bit data key, the content is encrypted with it,
//! and the data key is stored next to the content wrapped (encrypted) by a master
//! key that lives outside the database ([`MasterKey::load_or_create`]). The cipher
//! is XChaCha20-Poly1305 for both layers: its 192-bit nonces can be drawn at random
//! for every object without any counter shared between processes or nodes, which
//! matters because one master key wraps every data key the service ever makes
//! (AES-256-GCM's 96-bit random nonces would put a limit on that count), and it is
//! constant-time in software on every CPU. The object's name is part of the
//! authenticated data, so an object copied or moved to another name does not open.
//! The stored format is described in the `format` module and `docs/blob.md`.
//!
//! Objects live in a local folder by default or in any S3-compatible bucket
//! ([`Location`]), through `object_store`. Content is handled whole, in memory, up to
//! [`MAX_OBJECT_BYTES`]; fax documents are far smaller than that.

#![forbid(unsafe_code)]

mod column;
mod format;
mod id;
mod key;
mod keyring;

use std::fmt;
use std::fs;
use std::io;
use std::os::unix::fs::DirBuilderExt;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use futures::TryStreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as StorePath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

pub use column::{ColumnKey, MAX_COLUMN_VALUE_BYTES, SEALED_PREFIX, WRAPPED_COLUMN_KEY_BYTES, sealed_key_id};
pub use id::{BlobId, MAX_CLASS_LEN};
pub use key::{MASTER_KEY_BYTES, MasterKey};
pub use keyring::{Keyring, Rotated};

/// Largest plaintext stored in one object: 128 MiB.
///
/// `put` refuses larger content, and `get` refuses a stored object larger than this
/// plus the header before reading it, so a planted or corrupt object cannot make the
/// service allocate without bound. Objects are encrypted and decrypted whole in
/// memory, so this is also the most memory one call uses (about twice it).
pub const MAX_OBJECT_BYTES: usize = 128 * 1024 * 1024;

/// Largest size a stored object may have: [`MAX_OBJECT_BYTES`] plus the header and tag.
const MAX_STORED_BYTES: u64 = (MAX_OBJECT_BYTES + format::MAX_OVERHEAD_BYTES) as u64;

/// What can go wrong in blob storage. Messages name object ids (random, no personal
/// data) and sizes, never content.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No object has this id.
    #[error("blob {0} not found")]
    NotFound(BlobId),
    /// The stored bytes failed authentication or are not a Ferrofax object: they
    /// were changed, truncated, or copied from another name.
    #[error("blob failed authentication: it was altered, truncated or moved")]
    Tampered,
    /// The object is wrapped by a master key this store was not given.
    #[error("blob is wrapped by master key {key_id}, which is not loaded")]
    UnknownKey {
        /// The id of the key named in the object's header.
        key_id: String,
    },
    /// Content larger than [`MAX_OBJECT_BYTES`].
    #[error("blob of {size} bytes is over the limit of {MAX_OBJECT_BYTES} bytes")]
    TooLarge {
        /// The size found: plaintext for `put`, stored bytes for `get`.
        size: u64,
    },
    /// A string that is not a valid [`BlobId`].
    #[error("invalid blob id")]
    InvalidId,
    /// A class name outside `[a-z0-9-]{1,32}`.
    #[error("invalid blob class (1 to {MAX_CLASS_LEN} characters from a-z, 0-9 and -)")]
    InvalidClass,
    /// A master key that is not base64 of exactly 32 bytes.
    #[error("invalid master key: expected standard base64 of {MASTER_KEY_BYTES} bytes")]
    InvalidKey,
    /// The master key file could not be read or created.
    #[error("master key file {path}: {source}")]
    KeyFile {
        /// The key file's path.
        path: PathBuf,
        /// What the operating system reported.
        source: io::Error,
    },
    /// The local storage folder could not be created.
    #[error("storage folder {path}: {source}")]
    Folder {
        /// The folder's path.
        path: PathBuf,
        /// What the operating system reported.
        source: io::Error,
    },
    /// The system's random number generator failed.
    #[error("the system random number generator failed")]
    Random,
    /// The cipher refused its input (only possible for inputs far beyond the limits).
    #[error("encryption failed")]
    Cipher,
    /// A key rotation was asked of a keyring given in memory (`FERROFAX_MASTER_KEY`),
    /// which has no file to rotate.
    #[error("the master key was given in memory, not in a key file, so it cannot be rotated here")]
    FixedKeyring,
    /// The storage backend failed (I/O, network, permissions, configuration).
    #[error("object storage: {0}")]
    Storage(#[source] object_store::Error),
}

/// Where objects are kept.
#[derive(Clone)]
pub enum Location {
    /// A local folder, created (mode 0700) if missing.
    Local {
        /// The folder holding one sub-folder per class.
        root: PathBuf,
    },
    /// A bucket on Amazon S3 or any S3-compatible server.
    S3 {
        /// The bucket, which must exist.
        bucket: String,
        /// The server's URL for S3-compatible servers; `None` for Amazon S3. Requests
        /// use path-style addressing (`endpoint/bucket/key`), which every
        /// S3-compatible server supports.
        endpoint: Option<String>,
        /// The region, for example `us-east-1`.
        region: String,
        /// The access key id.
        access_key_id: String,
        /// The secret access key. `Debug` redacts it.
        secret_access_key: String,
        /// Whether a plain `http://` endpoint is allowed (a server on the same host).
        allow_http: bool,
    },
}

impl fmt::Debug for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Local { root } => f.debug_struct("Local").field("root", root).finish(),
            Location::S3 { bucket, endpoint, region, access_key_id: _, secret_access_key: _, allow_http } => {
                f.debug_struct("S3")
                    .field("bucket", bucket)
                    .field("endpoint", endpoint)
                    .field("region", region)
                    .field("access_key_id", &"<redacted>")
                    .field("secret_access_key", &"<redacted>")
                    .field("allow_http", allow_http)
                    .finish()
            }
        }
    }
}

/// An encrypted object store. Cloning is cheap and shares the backend.
#[derive(Clone)]
pub struct BlobStore {
    store: Arc<dyn ObjectStore>,
    /// The key new objects are wrapped with, and the previous ones kept for reading
    /// (and re-wrapping) objects written before a rotation. Shared with whoever
    /// else holds the keyring, and re-read from its files when they change.
    keyring: Keyring,
}

impl fmt::Debug for BlobStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlobStore")
            .field("store", &self.store.to_string())
            .field("keyring", &self.keyring)
            .finish()
    }
}

impl BlobStore {
    /// Opens the store at `location` with one master key.
    ///
    /// Nothing is sent over the network here: a wrong S3 configuration shows up on
    /// the first operation.
    pub fn open(location: &Location, key: MasterKey) -> Result<BlobStore, Error> {
        BlobStore::with_keys(location, key, Vec::new())
    }

    /// Opens the store with the key new objects are wrapped with (`current`) and the
    /// keys of earlier rotations, which are used only to read objects that still name
    /// them and to [`rewrap`](BlobStore::rewrap) those objects under `current`.
    pub fn with_keys(
        location: &Location,
        current: MasterKey,
        previous: Vec<MasterKey>,
    ) -> Result<BlobStore, Error> {
        BlobStore::with_keyring(location, Keyring::fixed(current, previous))
    }

    /// Opens the store with a keyring, which may change while the store is in use:
    /// new objects are wrapped with its current key at the time of each `put`, and
    /// an object naming a key the keyring does not hold makes it re-read its files
    /// once (see [`Keyring`]).
    pub fn with_keyring(location: &Location, keyring: Keyring) -> Result<BlobStore, Error> {
        let store: Arc<dyn ObjectStore> = match location {
            Location::Local { root } => {
                let folder_error = |source| Error::Folder { path: root.clone(), source };
                fs::DirBuilder::new().recursive(true).mode(0o700).create(root).map_err(folder_error)?;
                Arc::new(LocalFileSystem::new_with_prefix(root).map_err(Error::Storage)?)
            }
            Location::S3 { bucket, endpoint, region, access_key_id, secret_access_key, allow_http } => {
                install_crypto_provider();
                let mut builder = AmazonS3Builder::new()
                    .with_bucket_name(bucket)
                    .with_region(region)
                    .with_access_key_id(access_key_id)
                    .with_secret_access_key(secret_access_key)
                    .with_allow_http(*allow_http)
                    .with_virtual_hosted_style_request(false);
                if let Some(endpoint) = endpoint {
                    builder = builder.with_endpoint(endpoint);
                }
                Arc::new(builder.build().map_err(Error::Storage)?)
            }
        };
        Ok(BlobStore { store, keyring })
    }

    /// The id of the key new objects are wrapped with now.
    pub fn current_key_id(&self) -> String {
        self.keyring.current().id().to_owned()
    }

    /// The keyring this store wraps and unwraps with.
    pub fn keyring(&self) -> &Keyring {
        &self.keyring
    }

    /// Encrypts `data` and stores it under a new random id in `class`.
    pub async fn put(&self, class: &str, data: &[u8]) -> Result<BlobId, Error> {
        if data.len() > MAX_OBJECT_BYTES {
            return Err(Error::TooLarge { size: data.len() as u64 });
        }
        let id = BlobId::random(class)?;
        // One `stat` of the key file: after a rotation by another process, new
        // objects are wrapped with the new key from this write on.
        self.keyring.refresh()?;
        let sealed = format::seal(&self.keyring.current(), &id, data)?;
        self.store.put(&path(&id), PutPayload::from(sealed)).await.map_err(Error::Storage)?;
        Ok(id)
    }

    /// Reads and decrypts object `id`.
    ///
    /// Fails with [`Error::NotFound`] if there is no such object,
    /// [`Error::Tampered`] if the stored bytes do not authenticate as object `id`,
    /// and [`Error::UnknownKey`] if the object names a master key this store lacks.
    pub async fn get(&self, id: &BlobId) -> Result<Vec<u8>, Error> {
        let stored = self.fetch(id).await?;
        self.learn_key_of(&stored)?;
        format::open(&self.keyring.keys(), id, &stored)
    }

    /// Makes sure the keyring holds the key a stored object names, re-reading the
    /// key files if it does not (another process rotated the key). Damaged headers
    /// are left for `format` to report.
    fn learn_key_of(&self, stored: &[u8]) -> Result<(), Error> {
        match format::key_id(stored) {
            Ok(key_id) => self.keyring.find(key_id).map(drop),
            Err(_) => Ok(()),
        }
    }

    /// Deletes object `id`; deleting an object that does not exist succeeds.
    pub async fn delete(&self, id: &BlobId) -> Result<(), Error> {
        match self.store.delete(&path(id)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(Error::Storage(e)),
        }
    }

    /// Whether object `id` exists (its content is not checked).
    pub async fn exists(&self, id: &BlobId) -> Result<bool, Error> {
        match self.store.head(&path(id)).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(Error::Storage(e)),
        }
    }

    /// The stored bytes of object `id` as they are, header and ciphertext, for tests
    /// and audits that show what an attacker with the storage would see.
    pub async fn raw(&self, id: &BlobId) -> Result<Vec<u8>, Error> {
        Ok(self.fetch(id).await?.to_vec())
    }

    /// Reads the stored bytes of object `id`, refusing an oversized object before
    /// reading its body.
    async fn fetch(&self, id: &BlobId) -> Result<Bytes, Error> {
        let result = match self.store.get(&path(id)).await {
            Ok(result) => result,
            Err(object_store::Error::NotFound { .. }) => return Err(Error::NotFound(id.clone())),
            Err(e) => return Err(Error::Storage(e)),
        };
        // The size is known from the file's metadata or the response headers before
        // the body is read.
        if result.meta.size > MAX_STORED_BYTES {
            return Err(Error::TooLarge { size: result.meta.size });
        }
        result.bytes().await.map_err(Error::Storage)
    }

    /// The ids of every object in `class`, sorted. Names in the class's folder that
    /// are not valid ids (for example a local store's temporary files) are skipped.
    pub async fn list(&self, class: &str) -> Result<Vec<BlobId>, Error> {
        id::check_class(class)?;
        let prefix = StorePath::from(class);
        let metas: Vec<_> = self.store.list(Some(&prefix)).try_collect().await.map_err(Error::Storage)?;
        let mut ids: Vec<BlobId> = metas
            .iter()
            .filter_map(|meta| meta.location.as_ref().parse::<BlobId>().ok())
            .filter(|id| id.class() == class)
            .collect();
        ids.sort();
        Ok(ids)
    }

    /// The classes that hold objects now (the top-level folders), sorted; names
    /// that are not valid class names are skipped. A key rotation walks them all, so
    /// that a class added later is not forgotten.
    pub async fn classes(&self) -> Result<Vec<String>, Error> {
        let listing = self.store.list_with_delimiter(None).await.map_err(Error::Storage)?;
        let mut classes: Vec<String> = listing
            .common_prefixes
            .iter()
            .map(|prefix| prefix.as_ref().to_owned())
            .filter(|class| id::check_class(class).is_ok())
            .collect();
        classes.sort();
        Ok(classes)
    }

    /// Re-wraps object `id`'s data key under the current master key, leaving its
    /// content bytes unchanged (no re-encryption). Returns `true` if the object was
    /// rewritten, `false` if it was already under the current key.
    ///
    /// The object is read and written back whole; a `delete` of the same object
    /// running at the same moment could be undone by the write, so a rotation should
    /// run while nothing deletes (the janitor paused, or the service stopped).
    pub async fn rewrap(&self, id: &BlobId) -> Result<bool, Error> {
        let stored = self.fetch(id).await?;
        self.keyring.refresh()?;
        self.learn_key_of(&stored)?;
        match format::rewrap(&self.keyring.keys(), &self.keyring.current(), id, &stored)? {
            None => Ok(false),
            Some(rewrapped) => {
                // The object is written back whole. Checking that it still exists just
                // before narrows the moment in which a concurrent delete could be
                // undone to the time of one write (see docs/blob.md).
                if !self.exists(id).await? {
                    return Err(Error::NotFound(id.clone()));
                }
                self.store.put(&path(id), PutPayload::from(rewrapped)).await.map_err(Error::Storage)?;
                Ok(true)
            }
        }
    }

    /// The id of the master key that wraps object `id`, read from its header without
    /// decrypting anything; a rotation uses it to find objects still to re-wrap.
    pub async fn key_id_of(&self, id: &BlobId) -> Result<String, Error> {
        let stored = self.fetch(id).await?;
        format::key_id(&stored).map(str::to_owned)
    }
}

/// The object's path in the backend: its id, which is `class/random`.
fn path(id: &BlobId) -> StorePath {
    StorePath::from(id.as_str())
}

/// Makes ring the process's rustls crypto provider unless one is installed already.
///
/// The S3 client is built on rustls without a provider of its own (the aws-lc-rs one
/// costs minutes of C compilation on every clean build), so one must be installed
/// before the first client is made; a provider installed earlier by the host
/// program wins, which is why the result is ignored. Call it before building an
/// `object_store` S3 client of your own (tests do, to inspect the raw bucket).
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
