//! The audit log: who among staff read or changed whose personal data, when, and
//! why. Append-only and tamper-evident.
//!
//! Each entry carries a sequence number (1, 2, 3… without gaps) and a SHA-256 hash
//! over its own fields and the previous entry's hash. [`verify`] walks the chain
//! from its anchor to its head and names the first entry that does not fit, so an
//! entry that was edited, removed from the middle, inserted or cut off the end is
//! found. The database also refuses `UPDATE` and out-of-order `DELETE` on the table
//! (triggers in migration 0002), so an honest mistake cannot break the chain; the
//! hashes are for the dishonest one. An operator who wants protection against
//! someone rewriting the whole chain records the head hash [`verify`] prints
//! somewhere else (a ticket, a printed report) and compares later.
//!
//! Retention ([`prune_before`]) removes a prefix of the chain and moves the anchor
//! to the last removed entry's hash, so what remains still verifies.
//!
//! Entries never hold e-mail addresses, names or numbers: the subject and targets
//! are opaque ids, so entries about an account may outlive its erasure.

use sha2::{Digest, Sha256};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::util::page;
use crate::{Backend, Error};

/// Longest accepted `action`, `actor_role` and id fields, in bytes.
pub const MAX_FIELD_BYTES: usize = 200;
/// Longest accepted `target` and `reason`, in bytes.
pub const MAX_TEXT_BYTES: usize = 2000;
/// Entries [`verify`] reads per query; it never holds more in memory.
const VERIFY_BATCH: i64 = 1000;

/// An entry to append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEntry<'a> {
    /// The staff account that acted, or `"system"` for the service itself.
    pub actor_id: &'a str,
    /// The role it acted in (`support`, `billing`, `admin`, `system`).
    pub actor_role: &'a str,
    /// The account whose data was touched, if one was.
    pub subject_id: Option<&'a str>,
    /// What was done, as a dotted name (`account.view`, `fax.content.read`…).
    pub action: &'a str,
    /// Opaque ids of what was touched (`fax_…`, `rcv_…`), never personal values.
    pub target: &'a str,
    /// Why: a ticket id, a legal request id, a sentence.
    pub reason: &'a str,
}

/// An entry as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub seq: i64,
    pub at: i64,
    pub actor_id: String,
    pub actor_role: String,
    pub subject_id: Option<String>,
    pub action: String,
    pub target: String,
    pub reason: String,
    pub prev_hash: Vec<u8>,
    pub hash: Vec<u8>,
}

/// The outcome of a successful [`verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// Entries checked.
    pub entries: u64,
    /// The sequence number of the newest entry (0 for an empty log).
    pub head_seq: i64,
    /// The newest entry's hash, for recording outside the database.
    pub head_hash: Vec<u8>,
    /// The sequence number retention removed up to (0 if nothing was removed).
    pub anchor_seq: i64,
}

/// Why [`verify`] rejected the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Broken {
    /// The entry after `after` is not `after + 1`: entries were removed or inserted.
    Gap { after: i64, found: i64 },
    /// The entry's `prev_hash` is not the hash of the entry before it.
    Link { seq: i64 },
    /// The entry's fields do not hash to its stored hash: it was edited.
    Content { seq: i64 },
    /// The newest entry is not the one the head records: entries were cut off the
    /// end, or the head was edited.
    Head { head_seq: i64, last_seq: i64 },
}

impl std::fmt::Display for Broken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Broken::Gap { after, found } => {
                write!(f, "entry {found} follows entry {after}: entries are missing")
            }
            Broken::Link { seq } => write!(f, "entry {seq} does not link to the entry before it"),
            Broken::Content { seq } => write!(f, "entry {seq} was changed after it was written"),
            Broken::Head { head_seq, last_seq } => {
                write!(f, "the log ends at entry {last_seq} but its head records entry {head_seq}")
            }
        }
    }
}

fn check_len(value: &str, max: usize, what: &'static str) -> Result<(), Error> {
    if value.len() > max { Err(Error::Invalid(what)) } else { Ok(()) }
}

/// The hash of one entry: SHA-256 over a domain tag, the previous hash and every
/// field, each string prefixed by its length so that no two different entries can
/// encode to the same bytes. Public so that a verifier outside this crate can
/// recompute a chain from an export.
pub fn entry_hash(prev_hash: &[u8], seq: i64, at: i64, entry: &NewEntry<'_>) -> Vec<u8> {
    let mut hasher = Sha256::new();
    hasher.update(b"ferrofax-audit-v1");
    hasher.update((prev_hash.len() as u64).to_be_bytes());
    hasher.update(prev_hash);
    hasher.update(seq.to_be_bytes());
    hasher.update(at.to_be_bytes());
    let subject = entry.subject_id.map_or_else(|| [0u8].to_vec(), |s| [&[1u8][..], s.as_bytes()].concat());
    for field in [
        entry.actor_id.as_bytes(),
        entry.actor_role.as_bytes(),
        &subject,
        entry.action.as_bytes(),
        entry.target.as_bytes(),
        entry.reason.as_bytes(),
    ] {
        hasher.update((field.len() as u64).to_be_bytes());
        hasher.update(field);
    }
    hasher.finalize().to_vec()
}

/// Appends one entry at `now` and returns it.
///
/// Must run inside a transaction ([`crate::Store::begin`]): the head row is locked
/// (`FOR UPDATE` on PostgreSQL, the write lock `BEGIN IMMEDIATE` takes on SQLite)
/// so that concurrent appends queue instead of forking the chain. Record the entry
/// in the same transaction as the change it describes, or before returning the
/// data it describes reading, so that no access goes unrecorded.
pub async fn append(conn: &mut AnyConnection, entry: &NewEntry<'_>, now: i64) -> Result<Entry, Error> {
    check_len(entry.actor_id, MAX_FIELD_BYTES, "audit actor_id too long")?;
    check_len(entry.actor_role, MAX_FIELD_BYTES, "audit actor_role too long")?;
    check_len(entry.action, MAX_FIELD_BYTES, "audit action too long")?;
    if let Some(subject) = entry.subject_id {
        check_len(subject, MAX_FIELD_BYTES, "audit subject_id too long")?;
    }
    check_len(entry.target, MAX_TEXT_BYTES, "audit target too long")?;
    check_len(entry.reason, MAX_TEXT_BYTES, "audit reason too long")?;
    let head_query = match Backend::of(conn) {
        Backend::Postgres => "SELECT last_seq, last_hash FROM audit_head WHERE id = 1 FOR UPDATE",
        Backend::Sqlite => "SELECT last_seq, last_hash FROM audit_head WHERE id = 1",
    };
    let head = sqlx::query(head_query).fetch_one(&mut *conn).await?;
    let last_seq: i64 = head.try_get("last_seq")?;
    let prev_hash: Vec<u8> = head.try_get("last_hash")?;
    let seq = last_seq + 1;
    let hash = entry_hash(&prev_hash, seq, now, entry);
    sqlx::query(
        "INSERT INTO audit_log (seq, at, actor_id, actor_role, subject_id, action, target, reason, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(seq)
    .bind(now)
    .bind(entry.actor_id)
    .bind(entry.actor_role)
    .bind(entry.subject_id)
    .bind(entry.action)
    .bind(entry.target)
    .bind(entry.reason)
    .bind(&prev_hash)
    .bind(&hash)
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE audit_head SET last_seq = $1, last_hash = $2 WHERE id = 1")
        .bind(seq)
        .bind(&hash)
        .execute(&mut *conn)
        .await?;
    Ok(Entry {
        seq,
        at: now,
        actor_id: entry.actor_id.to_owned(),
        actor_role: entry.actor_role.to_owned(),
        subject_id: entry.subject_id.map(str::to_owned),
        action: entry.action.to_owned(),
        target: entry.target.to_owned(),
        reason: entry.reason.to_owned(),
        prev_hash,
        hash,
    })
}

fn from_row(row: &AnyRow) -> Result<Entry, Error> {
    Ok(Entry {
        seq: row.try_get("seq")?,
        at: row.try_get("at")?,
        actor_id: row.try_get("actor_id")?,
        actor_role: row.try_get("actor_role")?,
        subject_id: row.try_get("subject_id")?,
        action: row.try_get("action")?,
        target: row.try_get("target")?,
        reason: row.try_get("reason")?,
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}

/// Entries about `subject_id`, newest first, older than `before_seq` when given, at
/// most `limit` (clamped to `1..=MAX_PAGE`): what a user sees of staff access to
/// their data.
pub async fn about(
    conn: &mut AnyConnection,
    subject_id: &str,
    before_seq: Option<i64>,
    limit: u32,
) -> Result<Vec<Entry>, Error> {
    let rows =
        sqlx::query("SELECT * FROM audit_log WHERE subject_id = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3")
            .bind(subject_id)
            .bind(before_seq.unwrap_or(i64::MAX))
            .bind(page(limit))
            .fetch_all(&mut *conn)
            .await?;
    rows.iter().map(from_row).collect()
}

/// All entries, newest first, older than `before_seq` when given, at most `limit`.
pub async fn list(
    conn: &mut AnyConnection,
    before_seq: Option<i64>,
    limit: u32,
) -> Result<Vec<Entry>, Error> {
    let rows = sqlx::query("SELECT * FROM audit_log WHERE seq < $1 ORDER BY seq DESC LIMIT $2")
        .bind(before_seq.unwrap_or(i64::MAX))
        .bind(page(limit))
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(from_row).collect()
}

/// Checks the whole chain from its anchor to its head, reading it in batches.
///
/// `Ok(Err(broken))` is a chain that does not verify; `Err` is a database error.
pub async fn verify(conn: &mut AnyConnection) -> Result<Result<Verified, Broken>, Error> {
    let head =
        sqlx::query("SELECT last_seq, last_hash, anchor_seq, anchor_hash FROM audit_head WHERE id = 1")
            .fetch_one(&mut *conn)
            .await?;
    let head_seq: i64 = head.try_get("last_seq")?;
    let head_hash: Vec<u8> = head.try_get("last_hash")?;
    let anchor_seq: i64 = head.try_get("anchor_seq")?;
    let mut prev_hash: Vec<u8> = head.try_get("anchor_hash")?;
    let mut prev_seq = anchor_seq;
    let mut entries = 0u64;
    loop {
        let rows = sqlx::query("SELECT * FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2")
            .bind(prev_seq)
            .bind(VERIFY_BATCH)
            .fetch_all(&mut *conn)
            .await?;
        if rows.is_empty() {
            break;
        }
        for row in &rows {
            let entry = from_row(row)?;
            if entry.seq != prev_seq + 1 {
                return Ok(Err(Broken::Gap { after: prev_seq, found: entry.seq }));
            }
            if entry.prev_hash != prev_hash {
                return Ok(Err(Broken::Link { seq: entry.seq }));
            }
            let fields = NewEntry {
                actor_id: &entry.actor_id,
                actor_role: &entry.actor_role,
                subject_id: entry.subject_id.as_deref(),
                action: &entry.action,
                target: &entry.target,
                reason: &entry.reason,
            };
            if entry_hash(&entry.prev_hash, entry.seq, entry.at, &fields) != entry.hash {
                return Ok(Err(Broken::Content { seq: entry.seq }));
            }
            prev_seq = entry.seq;
            prev_hash = entry.hash;
            entries += 1;
        }
    }
    if prev_seq != head_seq || prev_hash != head_hash {
        return Ok(Err(Broken::Head { head_seq, last_seq: prev_seq }));
    }
    Ok(Ok(Verified { entries, head_seq, head_hash, anchor_seq }))
}

/// Removes the entries written before `before` (retention), moving the anchor to
/// the newest removed entry so that the rest still verifies; returns how many.
///
/// Must run inside a transaction, like [`append`].
pub async fn prune_before(conn: &mut AnyConnection, before: i64) -> Result<u64, Error> {
    let head_query = match Backend::of(conn) {
        Backend::Postgres => "SELECT anchor_seq FROM audit_head WHERE id = 1 FOR UPDATE",
        Backend::Sqlite => "SELECT anchor_seq FROM audit_head WHERE id = 1",
    };
    let anchor_seq: i64 = sqlx::query_scalar(head_query).fetch_one(&mut *conn).await?;
    // Entries are appended in time order under the head lock, so those before the
    // cut-off form a prefix of the chain.
    let last = sqlx::query("SELECT seq, hash FROM audit_log WHERE at < $1 ORDER BY seq DESC LIMIT 1")
        .bind(before)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(last) = last else { return Ok(0) };
    let seq: i64 = last.try_get("seq")?;
    let hash: Vec<u8> = last.try_get("hash")?;
    if seq <= anchor_seq {
        return Ok(0);
    }
    sqlx::query("UPDATE audit_head SET anchor_seq = $1, anchor_hash = $2 WHERE id = 1")
        .bind(seq)
        .bind(&hash)
        .execute(&mut *conn)
        .await?;
    let done = sqlx::query("DELETE FROM audit_log WHERE seq <= $1").bind(seq).execute(&mut *conn).await?;
    Ok(done.rows_affected())
}
