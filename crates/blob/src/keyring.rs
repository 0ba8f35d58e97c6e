//! The keyring: the current master key and the previous ones still needed, kept in
//! files that a running service re-reads, so a key rotation needs no restart.
//!
//! Layout, for a key file `master.key`:
//!
//! - `master.key` holds the **current** key, the one new data keys are wrapped with;
//! - `master.key.<id>` (16 hex digits) holds a **previous** key, kept until nothing
//!   is wrapped by it any more, then retired (deleted).
//!
//! [`Keyring::rotate`] first hard-links the current key to its `master.key.<id>`
//! name, then atomically renames a freshly written key over `master.key`, so every
//! key is on disk under some name at every moment of the rotation. A process that
//! meets a key id it does not know (an object re-wrapped by another process) re-reads
//! the files ([`Keyring::find`]); [`Keyring::refresh`] notices a replaced
//! `master.key` by its file identity (inode, size, modification time) with one
//! `stat`, which `BlobStore::put` does before every write, so a running service
//! wraps new objects under the new key from its next write on.

use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};

use crate::Error;
use crate::id::push_hex;
use crate::key::{MasterKey, read_key_file};

/// The most previous-key files read from the key folder; a rotation leaves one
/// until it is retired, so more than this is a folder that is not ours.
const MAX_PREVIOUS_KEYS: usize = 64;

/// The current master key and the previous ones, shared by clones.
#[derive(Clone)]
pub struct Keyring {
    state: Arc<RwLock<State>>,
    /// The current key's file; `None` for a keyring given in memory (from
    /// `FERROFAX_MASTER_KEY` or tests), which never changes.
    file: Option<PathBuf>,
}

struct State {
    current: MasterKey,
    /// Every key: the current one first.
    keys: Arc<[MasterKey]>,
    /// Identity of the current key file when it was read.
    stamp: Option<Stamp>,
}

/// What identifies one version of the key file without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    inode: u64,
    size: u64,
    modified_ns: i128,
}

/// What [`Keyring::rotate`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotated {
    /// The id of the key that was current before.
    pub old_key_id: String,
    /// The id of the new current key.
    pub new_key_id: String,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.read();
        f.debug_struct("Keyring")
            .field("file", &self.file)
            .field("current", &state.current.id())
            .field("keys", &state.keys.len())
            .finish()
    }
}

impl Keyring {
    /// A keyring held in memory: `current`, and `previous` for reading only.
    pub fn fixed(current: MasterKey, previous: Vec<MasterKey>) -> Keyring {
        let keys = merge(&current, previous);
        Keyring { state: Arc::new(RwLock::new(State { current, keys, stamp: None })), file: None }
    }

    /// The keyring whose current key is kept at `path` (created on first run, see
    /// [`MasterKey::load_or_create`]) with the previous keys next to it.
    pub fn load_or_create(path: &Path) -> Result<Keyring, Error> {
        MasterKey::load_or_create(path)?;
        let keyring = Keyring { state: Arc::new(RwLock::new(load(path)?)), file: Some(path.to_path_buf()) };
        Ok(keyring)
    }

    /// The current key's file, if the keyring is kept in files.
    pub fn file(&self) -> Option<&Path> {
        self.file.as_deref()
    }

    /// The key new data keys are wrapped with.
    pub fn current(&self) -> MasterKey {
        self.read().current.clone()
    }

    /// Every key known now, the current one first.
    pub fn keys(&self) -> Arc<[MasterKey]> {
        Arc::clone(&self.read().keys)
    }

    /// The ids of the previous keys (all but the current one).
    pub fn previous_ids(&self) -> Vec<String> {
        self.read().keys.iter().skip(1).map(|key| key.id().to_owned()).collect()
    }

    /// The key with id `key_id`, re-reading the key files once if it is not known
    /// (another process may have rotated).
    pub fn find(&self, key_id: &str) -> Result<MasterKey, Error> {
        if let Some(key) = self.read().keys.iter().find(|key| key.id() == key_id) {
            return Ok(key.clone());
        }
        self.reload()?;
        self.read()
            .keys
            .iter()
            .find(|key| key.id() == key_id)
            .cloned()
            .ok_or_else(|| Error::UnknownKey { key_id: key_id.to_owned() })
    }

    /// Re-reads the key files if the current key file changed since it was read;
    /// returns whether it did. One `stat` when nothing changed.
    pub fn refresh(&self) -> Result<bool, Error> {
        let Some(path) = &self.file else { return Ok(false) };
        let now = stamp(path).map_err(|source| Error::KeyFile { path: path.clone(), source })?;
        if self.read().stamp == Some(now) {
            return Ok(false);
        }
        self.reload()?;
        Ok(true)
    }

    /// Re-reads the key files (nothing for an in-memory keyring).
    pub fn reload(&self) -> Result<(), Error> {
        let Some(path) = &self.file else { return Ok(()) };
        let fresh = load(path)?;
        *self.state.write().unwrap_or_else(PoisonError::into_inner) = fresh;
        Ok(())
    }

    /// Makes a new current key: the current one is kept as a previous key, the new
    /// one replaces it in the key file. Every key stays on disk under some name at
    /// each step, so a crash anywhere loses none. Nothing is re-wrapped here.
    pub fn rotate(&self) -> Result<Rotated, Error> {
        let Some(path) = &self.file else { return Err(Error::FixedKeyring) };
        let key_file_error = |source| Error::KeyFile { path: path.clone(), source };
        self.reload()?;
        let old = self.current();
        let kept = previous_path(path, old.id());
        match fs::hard_link(path, &kept) {
            Ok(()) => {}
            // Kept already by an earlier, interrupted rotation.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(key_file_error(e)),
        }
        let new = MasterKey::generate()?;
        let parent = parent_of(path);
        let mut suffix = [0u8; 8];
        getrandom::fill(&mut suffix).map_err(|_| Error::Random)?;
        let mut temp_name = String::from(".master-key.");
        push_hex(&mut temp_name, &suffix);
        let temp = parent.join(temp_name);
        let written =
            write_new_file(&temp, new.to_base64().as_bytes()).and_then(|()| fs::rename(&temp, path));
        if written.is_err() {
            let _ = fs::remove_file(&temp);
        }
        written.map_err(key_file_error)?;
        sync_dir(parent);
        self.reload()?;
        Ok(Rotated { old_key_id: old.id().to_owned(), new_key_id: new.id().to_owned() })
    }

    /// Deletes the file of previous key `key_id`, which the caller has checked
    /// wraps nothing any more. The current key is never retired. Returns whether a
    /// file was deleted.
    pub fn retire(&self, key_id: &str) -> Result<bool, Error> {
        let Some(path) = &self.file else { return Err(Error::FixedKeyring) };
        self.reload()?;
        if self.read().current.id() == key_id || !is_key_id(key_id) {
            return Ok(false);
        }
        let old = previous_path(path, key_id);
        let removed = match fs::remove_file(&old) {
            Ok(()) => true,
            Err(e) if e.kind() == io::ErrorKind::NotFound => false,
            Err(source) => return Err(Error::KeyFile { path: old, source }),
        };
        sync_dir(parent_of(path));
        self.reload()?;
        Ok(removed)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        // The state is replaced whole under the write lock, so a panic elsewhere
        // cannot leave it half-updated: a poisoned lock is still consistent.
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Reads the current key file and every previous-key file next to it.
fn load(path: &Path) -> Result<State, Error> {
    let key_file_error = |source| Error::KeyFile { path: path.to_path_buf(), source };
    let before = stamp(path).map_err(key_file_error)?;
    let current = read_key_file(path)?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("master.key");
    let prefix = format!("{name}.");
    let mut previous = Vec::new();
    let entries = fs::read_dir(parent_of(path)).map_err(key_file_error)?;
    for entry in entries {
        let entry = entry.map_err(key_file_error)?;
        let file_name = entry.file_name();
        let Some(id) = file_name.to_str().and_then(|n| n.strip_prefix(&prefix)) else { continue };
        if !is_key_id(id) {
            continue;
        }
        if previous.len() >= MAX_PREVIOUS_KEYS {
            return Err(Error::InvalidKey);
        }
        let key = read_key_file(&entry.path())?;
        // A previous-key file must hold the key its name says; anything else is a
        // damaged or misplaced file, never silently used.
        if key.id() != id {
            return Err(Error::InvalidKey);
        }
        previous.push(key);
    }
    previous.sort_by(|a, b| a.id().cmp(b.id()));
    let keys = merge(&current, previous);
    Ok(State { current, keys, stamp: Some(before) })
}

fn merge(current: &MasterKey, previous: Vec<MasterKey>) -> Arc<[MasterKey]> {
    let mut keys = vec![current.clone()];
    keys.extend(previous.into_iter().filter(|key| key.id() != current.id()));
    keys.into()
}

fn stamp(path: &Path) -> io::Result<Stamp> {
    let meta = fs::metadata(path)?;
    Ok(Stamp {
        inode: meta.ino(),
        size: meta.size(),
        modified_ns: i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec()),
    })
}

fn is_key_id(text: &str) -> bool {
    text.len() == 16 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Where previous key `key_id` of the key file `path` is kept.
fn previous_path(path: &Path, key_id: &str) -> PathBuf {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("master.key");
    parent_of(path).join(format!("{name}.{key_id}"))
}

fn parent_of(path: &Path) -> &Path {
    path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."))
}

/// Makes renames and removals in `dir` durable; a failure only weakens durability
/// on a crash, which the next rotation step repairs, so it is not reported.
fn sync_dir(dir: &Path) {
    if let Ok(dir) = fs::File::open(dir) {
        let _ = dir.sync_all();
    }
}

fn write_new_file(path: &Path, data: &[u8]) -> io::Result<()> {
    let mut file = fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    file.write_all(data)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_keeps_every_key_until_retired() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("master.key");
        let ring = Keyring::load_or_create(&path).expect("keyring");
        let other = Keyring::load_or_create(&path).expect("second process");
        let first = ring.current();
        assert_eq!(other.current().id(), first.id());

        let rotated = ring.rotate().expect("rotate");
        assert_eq!(rotated.old_key_id, first.id());
        assert_eq!(ring.current().id(), rotated.new_key_id);
        assert_eq!(ring.previous_ids(), vec![first.id().to_owned()]);
        // The other process learns the new key from the file, by a stat.
        assert!(other.refresh().expect("refresh"));
        assert_eq!(other.current().id(), rotated.new_key_id);
        assert!(!other.refresh().expect("refresh"));

        assert!(!ring.retire(&rotated.new_key_id).expect("current is never retired"));
        assert!(ring.retire(first.id()).expect("retire"));
        assert!(ring.previous_ids().is_empty());
        // A process that held the old key keeps it in memory; one started now has
        // only the new key.
        assert!(other.find(first.id()).is_ok());
        let fresh = Keyring::load_or_create(&path).expect("a later process");
        assert!(matches!(fresh.find(first.id()), Err(Error::UnknownKey { .. })));
        assert_eq!(fresh.keys().len(), 1);
    }
}
