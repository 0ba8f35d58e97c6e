//! Encrypted columns: personal values sealed before they reach the database, and
//! opened again as rows are read, so callers of this crate see plain values while
//! the database (its file, dumps, backups, replicas) holds only ciphertext.
//!
//! Sealed columns: `accounts.phone`, `fax_recipients.number` and `.remote_ident`,
//! `received_faxes.from_number` and `.remote_ident`, `faxes.options_json` (cover-page
//! names and notes), `webhook_deliveries.payload` (event bodies carry numbers) and
//! every personal column of `contacts`. Each value is sealed by the database's
//! [`blob::ColumnKey`] with its `table.column` and row id as associated data, so a
//! value moved to another column or row does not open.
//!
//! The column key is random, made when a database is first opened, and kept in
//! `column_keys` only wrapped by the master key; `ferrofax admin rotate-key` re-wraps
//! it ([`rewrap_keys`]). Opened keys live in a process-wide table by key id: store
//! functions take a bare connection, and a sealed value names its key, so reading
//! needs no query; writing asks the database which key is its own (one indexed
//! single-row read) and seals with that.
//!
//! Searching by value uses a blind index (see [`number_index`]): the recipient
//! number has `fax_recipients.number_bidx`, and the job queue's concurrency keys use
//! the same index instead of the number.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock, PoisonError, RwLock};

use blob::{ColumnKey, Keyring, MasterKey, SEALED_PREFIX};
use sqlx::{AnyConnection, Row};

use crate::{Backend, Error};

/// The blind-index domain of fax and phone numbers.
pub const NUMBER_DOMAIN: &str = "fax_number";

/// The one column key of a database lives in the row with this slot.
const SLOT: &str = "main";

/// Rows sealed per transaction when existing plain values are encrypted in place.
const LEGACY_BATCH: i64 = 200;

/// Column keys opened by this process, by key id.
static KEYS: RwLock<BTreeMap<String, Arc<ColumnKey>>> = RwLock::new(BTreeMap::new());

/// A master key made for this process only, for [`crate::Store::connect`] (tests and
/// tools that never reopen a database in another process).
static EPHEMERAL: OnceLock<MasterKey> = OnceLock::new();

/// The sealed columns: table, id column, sealed columns. The order is the order of
/// the in-place encryption of older databases.
const SEALED: &[(&str, &str, &[&str])] = &[
    ("accounts", "id", &["phone"]),
    ("fax_recipients", "id", &["number", "remote_ident"]),
    ("received_faxes", "id", &["from_number", "remote_ident"]),
    ("faxes", "id", &["options_json"]),
    ("webhook_deliveries", "id", &["payload"]),
];

/// The process's ephemeral master key.
pub(crate) fn ephemeral_keyring() -> Result<Keyring, Error> {
    if let Some(key) = EPHEMERAL.get() {
        return Ok(Keyring::fixed(key.clone(), Vec::new()));
    }
    let key = MasterKey::generate().map_err(|_| Error::Crypto("no random numbers for a master key"))?;
    Ok(Keyring::fixed(EPHEMERAL.get_or_init(|| key).clone(), Vec::new()))
}

fn register(key: ColumnKey) -> Arc<ColumnKey> {
    let mut keys = KEYS.write().unwrap_or_else(PoisonError::into_inner);
    Arc::clone(keys.entry(key.id().to_owned()).or_insert_with(|| Arc::new(key)))
}

fn loaded(id: &str) -> Option<Arc<ColumnKey>> {
    KEYS.read().unwrap_or_else(PoisonError::into_inner).get(id).cloned()
}

/// Makes sure the database has its column key, opens it with `keyring`, and seals
/// any plain values left from before column encryption (idempotent: values already
/// sealed are left alone). Run by `Store::connect*` after the migrations.
pub(crate) async fn setup(conn: &mut AnyConnection, keyring: &Keyring) -> Result<(), Error> {
    let existing = sqlx::query("SELECT id FROM column_keys WHERE slot = $1")
        .bind(SLOT)
        .fetch_optional(&mut *conn)
        .await?;
    if existing.is_none() {
        let key = ColumnKey::generate().map_err(|_| Error::Crypto("no random numbers for a column key"))?;
        let master = keyring.current();
        let wrapped = key.wrap(&master).map_err(|_| Error::Crypto("wrapping the column key failed"))?;
        // Two processes opening a new database at once: one insert wins, and both
        // use the winner's key, read back below.
        sqlx::query(
            "INSERT INTO column_keys (slot, id, master_key_id, wrapped_key) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (slot) DO NOTHING",
        )
        .bind(SLOT)
        .bind(key.id())
        .bind(master.id())
        .bind(wrapped)
        .execute(&mut *conn)
        .await?;
    }
    let rows =
        sqlx::query("SELECT id, master_key_id, wrapped_key FROM column_keys").fetch_all(&mut *conn).await?;
    for row in &rows {
        let id: String = row.try_get("id")?;
        if loaded(&id).is_some() {
            continue;
        }
        let master_id: String = row.try_get("master_key_id")?;
        let wrapped: Vec<u8> = row.try_get("wrapped_key")?;
        let master = keyring
            .find(&master_id)
            .map_err(|_| Error::Crypto("the column key's master key is not loaded"))?;
        let key = ColumnKey::unwrap(&master, &id, &wrapped)
            .map_err(|_| Error::Crypto("the column key does not open with its master key"))?;
        register(key);
    }
    seal_legacy(conn).await
}

/// The database's own column key, opened.
pub(crate) async fn current(conn: &mut AnyConnection) -> Result<Arc<ColumnKey>, Error> {
    let id: Option<String> = sqlx::query_scalar("SELECT id FROM column_keys WHERE slot = $1")
        .bind(SLOT)
        .fetch_optional(&mut *conn)
        .await?;
    let id = id.ok_or(Error::Crypto("the database has no column key"))?;
    loaded(&id).ok_or(Error::Crypto("the column key is not loaded in this process"))
}

fn context(column: &str, row_id: &str) -> Vec<u8> {
    let mut context = Vec::with_capacity(column.len() + 1 + row_id.len());
    context.extend_from_slice(column.as_bytes());
    context.push(0);
    context.extend_from_slice(row_id.as_bytes());
    context
}

/// Seals `value` for `column` (`table.column`) of row `row_id`.
pub(crate) fn seal(key: &ColumnKey, column: &str, row_id: &str, value: &str) -> Result<String, Error> {
    key.seal(&context(column, row_id), value.as_bytes()).map_err(|e| match e {
        blob::Error::TooLarge { .. } => Error::Invalid("value too long to store"),
        _ => Error::Crypto("sealing a column value failed"),
    })
}

/// Seals an optional value.
pub(crate) fn seal_opt(
    key: &ColumnKey,
    column: &str,
    row_id: &str,
    value: Option<&str>,
) -> Result<Option<String>, Error> {
    value.map(|v| seal(key, column, row_id, v)).transpose()
}

/// Opens a sealed value of `column` of row `row_id`. A plain or damaged value is
/// `Corrupt`: every value is sealed when it is written.
pub(crate) fn open(column: &str, row_id: &str, stored: &str) -> Result<String, Error> {
    let key_id =
        blob::sealed_key_id(stored).ok_or_else(|| Error::Corrupt(format!("{column} is not sealed")))?;
    let key = loaded(key_id).ok_or(Error::Crypto("a value names a column key not loaded in this process"))?;
    let plain = key
        .open(&context(column, row_id), stored)
        .map_err(|_| Error::Corrupt(format!("{column} fails authentication (altered or moved)")))?;
    String::from_utf8(plain).map_err(|_| Error::Corrupt(format!("{column} is not UTF-8")))
}

/// Opens an optional sealed value.
pub(crate) fn open_opt(column: &str, row_id: &str, stored: Option<String>) -> Result<Option<String>, Error> {
    stored.map(|s| open(column, row_id, &s)).transpose()
}

/// The blind index of a fax or phone number in this database: 32 hex digits, equal
/// for equal numbers, meaningless without the column key. The job queue's
/// concurrency key for a destination is `number:` and this index, never the number.
pub async fn number_index(conn: &mut AnyConnection, number: &str) -> Result<String, Error> {
    Ok(current(conn).await?.blind_index(NUMBER_DOMAIN, number.as_bytes()))
}

/// What [`rewrap_keys`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rewrapped {
    /// Column keys now wrapped by the current master key that were not before.
    pub rewrapped: u64,
    /// Column keys that were under the current master key already.
    pub current: u64,
}

/// Re-wraps every column key under `keyring`'s current master key. The column keys
/// themselves do not change, so no sealed value is touched and running processes
/// (which hold the opened keys) are unaffected. Each row is updated on its own, only
/// if it still names the old master key; a crash leaves each row under the old or
/// the new key, both of which the keyring still holds.
pub async fn rewrap_keys(conn: &mut AnyConnection, keyring: &Keyring) -> Result<Rewrapped, Error> {
    let master = keyring.current();
    let rows =
        sqlx::query("SELECT id, master_key_id, wrapped_key FROM column_keys").fetch_all(&mut *conn).await?;
    let mut report = Rewrapped::default();
    for row in &rows {
        let id: String = row.try_get("id")?;
        let old_master: String = row.try_get("master_key_id")?;
        if old_master == master.id() {
            report.current += 1;
            continue;
        }
        let wrapped: Vec<u8> = row.try_get("wrapped_key")?;
        let old = keyring
            .find(&old_master)
            .map_err(|_| Error::Crypto("the column key's master key is not loaded"))?;
        let key = ColumnKey::unwrap(&old, &id, &wrapped)
            .map_err(|_| Error::Crypto("the column key does not open with its master key"))?;
        let rewrapped = key.wrap(&master).map_err(|_| Error::Crypto("wrapping the column key failed"))?;
        sqlx::query("UPDATE column_keys SET master_key_id = $2, wrapped_key = $3 WHERE id = $1 AND master_key_id = $4")
            .bind(&id)
            .bind(master.id())
            .bind(rewrapped)
            .bind(&old_master)
            .execute(&mut *conn)
            .await?;
        report.rewrapped += 1;
    }
    Ok(report)
}

/// How many column keys each master key wraps, by master-key id.
pub async fn keys_by_master(conn: &mut AnyConnection) -> Result<BTreeMap<String, u64>, Error> {
    let rows = sqlx::query("SELECT master_key_id, COUNT(*) AS n FROM column_keys GROUP BY master_key_id")
        .fetch_all(&mut *conn)
        .await?;
    let mut counts = BTreeMap::new();
    for row in &rows {
        let n: i64 = row.try_get("n")?;
        counts.insert(row.try_get("master_key_id")?, u64::try_from(n).unwrap_or(0));
    }
    Ok(counts)
}

/// Seals every value still stored in the clear (databases from before column
/// encryption), fills in missing blind indexes, and replaces concurrency keys that
/// carry a clear number. Batches of [`LEGACY_BATCH`] rows, so memory stays bounded;
/// each statement only touches rows still unsealed, so a crash part-way is finished
/// by the next start. On SQLite, the file is then vacuumed, so that the freed pages
/// that held the plain values are not left in the file.
async fn seal_legacy(conn: &mut AnyConnection) -> Result<(), Error> {
    let key = current(conn).await?;
    let pattern = format!("{SEALED_PREFIX}%");
    let mut changed = 0_u64;
    for (table, id_column, columns) in SEALED {
        for column in *columns {
            loop {
                let select = format!(
                    "SELECT {id_column} AS id, {column} AS value FROM {table} \
                     WHERE {column} IS NOT NULL AND {column} NOT LIKE $1 LIMIT $2"
                );
                let rows = sqlx::query(sqlx::AssertSqlSafe(select))
                    .bind(&pattern)
                    .bind(LEGACY_BATCH)
                    .fetch_all(&mut *conn)
                    .await?;
                if rows.is_empty() {
                    break;
                }
                for row in &rows {
                    let id: String = row.try_get("id")?;
                    let value: String = row.try_get("value")?;
                    let sealed = seal(&key, &format!("{table}.{column}"), &id, &value)?;
                    // The recipient number and its blind index change in one
                    // statement, so a sealed number never lacks its index.
                    let index = (*table == "fax_recipients" && *column == "number")
                        .then(|| key.blind_index(NUMBER_DOMAIN, value.as_bytes()));
                    let update = match index {
                        Some(_) => format!(
                            "UPDATE {table} SET {column} = $2, number_bidx = $4 WHERE {id_column} = $1 AND {column} = $3"
                        ),
                        None => format!(
                            "UPDATE {table} SET {column} = $2 WHERE {id_column} = $1 AND {column} = $3"
                        ),
                    };
                    let mut query =
                        sqlx::query(sqlx::AssertSqlSafe(update)).bind(&id).bind(&sealed).bind(&value);
                    if let Some(index) = index {
                        query = query.bind(index);
                    }
                    query.execute(&mut *conn).await?;
                    changed += 1;
                }
            }
        }
    }
    // Concurrency keys of queued dial jobs named the destination number.
    loop {
        let rows = sqlx::query(
            "SELECT id, concurrency_key FROM jobs WHERE concurrency_key LIKE 'number:+%' LIMIT $1",
        )
        .bind(LEGACY_BATCH)
        .fetch_all(&mut *conn)
        .await?;
        if rows.is_empty() {
            break;
        }
        for row in &rows {
            let id: String = row.try_get("id")?;
            let old: String = row.try_get("concurrency_key")?;
            let number = old.trim_start_matches("number:");
            let new = format!("number:{}", key.blind_index(NUMBER_DOMAIN, number.as_bytes()));
            sqlx::query("UPDATE jobs SET concurrency_key = $2 WHERE id = $1")
                .bind(&id)
                .bind(&new)
                .execute(&mut *conn)
                .await?;
            changed += 1;
        }
    }
    if changed > 0 && Backend::of(conn) == Backend::Sqlite {
        sqlx::raw_sql("VACUUM").execute(&mut *conn).await?;
        sqlx::raw_sql("PRAGMA wal_checkpoint(TRUNCATE)").execute(&mut *conn).await?;
    }
    Ok(())
}
