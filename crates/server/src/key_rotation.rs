//! Master-key rotation without downtime: `ferrofax admin rotate-key`.
//!
//! 1. [`rotate`] makes a new current master key in the key file (the old one is kept
//!    next to it, see [`blob::Keyring`]), re-wraps the database's column key(s) under
//!    it, then walks every blob of every class and re-wraps its data key. Content is
//!    never re-encrypted and sealed column values are never touched: only the small
//!    wrapped keys change.
//! 2. [`retire`] deletes the files of previous keys that wrap nothing any more, and
//!    refuses (reporting counts) while anything still names them.
//!
//! A running `ferrofax serve` keeps working throughout: it holds the opened column
//! key in memory (unchanged by a rotation), learns the new master key from the key
//! file before its next blob write (one `stat`), and re-reads the key files when it
//! meets an object wrapped by a key it does not know.
//!
//! Crash safety: each blob is re-wrapped by one atomic write, each column key by
//! one `UPDATE`; every key stays on disk until retired. A rotation stopped part-way
//! (a crash, or `max_objects`) leaves every object readable under its old or its new
//! key, and running [`rotate`] again resumes it: while previous keys are still on
//! disk it re-wraps under the current key instead of making another one.

use std::collections::BTreeMap;

use crate::Error;

/// What [`rotate`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RotationReport {
    /// The key made by this run; `None` when it resumed an unfinished rotation.
    pub new_key_id: Option<String>,
    /// The current key after the run.
    pub current_key_id: String,
    /// Column keys re-wrapped under the current key by this run.
    pub column_keys_rewrapped: u64,
    /// Blobs re-wrapped by this run.
    pub blobs_rewrapped: u64,
    /// Blobs found under the current key already.
    pub blobs_current: u64,
    /// Blobs deleted by the service while the rotation ran.
    pub blobs_vanished: u64,
    /// True when the run stopped at `max_objects` before walking every blob.
    pub stopped_early: bool,
}

/// What [`retire`] found and did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RetireReport {
    /// The current key, which is never retired.
    pub current_key_id: String,
    /// For every previous key: how many blobs and column keys it still wraps.
    pub still_wrapped: BTreeMap<String, u64>,
    /// The previous keys whose files were deleted.
    pub retired: Vec<String>,
}

/// Rotates the master key of `blobs`' keyring (or resumes an unfinished rotation)
/// and re-wraps the column keys of `store` and then every blob, at most
/// `max_objects` blobs if given.
pub async fn rotate(
    store: &store::Store,
    blobs: &blob::BlobStore,
    max_objects: Option<u64>,
) -> Result<RotationReport, Error> {
    let keyring = blobs.keyring();
    keyring.reload()?;
    let mut report = RotationReport::default();
    if keyring.previous_ids().is_empty() {
        let rotated = keyring.rotate()?;
        tracing::info!(old = %rotated.old_key_id, new = %rotated.new_key_id, "new master key");
        report.new_key_id = Some(rotated.new_key_id);
    }
    report.current_key_id = keyring.current().id().to_owned();
    let mut conn = store.acquire().await?;
    report.column_keys_rewrapped = store::columns::rewrap_keys(&mut conn, keyring).await?.rewrapped;
    drop(conn);
    let mut budget = max_objects;
    for class in blobs.classes().await? {
        for id in blobs.list(&class).await? {
            if budget == Some(0) {
                report.stopped_early = true;
                return Ok(report);
            }
            match blobs.rewrap(&id).await {
                Ok(true) => report.blobs_rewrapped += 1,
                Ok(false) => report.blobs_current += 1,
                Err(blob::Error::NotFound(_)) => report.blobs_vanished += 1,
                Err(e) => return Err(e.into()),
            }
            budget = budget.map(|b| b - 1);
        }
    }
    Ok(report)
}

/// How many blobs and column keys each master key wraps, by key id.
pub async fn wrapped_by_key(
    store: &store::Store,
    blobs: &blob::BlobStore,
) -> Result<BTreeMap<String, u64>, Error> {
    let mut conn = store.acquire().await?;
    let mut counts = store::columns::keys_by_master(&mut conn).await?;
    drop(conn);
    for class in blobs.classes().await? {
        for id in blobs.list(&class).await? {
            match blobs.key_id_of(&id).await {
                Ok(key_id) => *counts.entry(key_id).or_default() += 1,
                Err(blob::Error::NotFound(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(counts)
}

/// Deletes the files of previous master keys that no blob and no column key names
/// any more; a key still in use is kept and reported.
pub async fn retire(store: &store::Store, blobs: &blob::BlobStore) -> Result<RetireReport, Error> {
    let keyring = blobs.keyring();
    keyring.reload()?;
    let counts = wrapped_by_key(store, blobs).await?;
    let mut report =
        RetireReport { current_key_id: keyring.current().id().to_owned(), ..RetireReport::default() };
    for key_id in keyring.previous_ids() {
        let used = counts.get(&key_id).copied().unwrap_or(0);
        if used > 0 {
            report.still_wrapped.insert(key_id, used);
        } else if keyring.retire(&key_id)? {
            report.retired.push(key_id);
        }
    }
    Ok(report)
}
