//! Junk-fax defence: each account's block list, and the operator-wide do-not-fax
//! list with the one-time codes that prove a number's owner asked to be put on it.
//!
//! Numbers arrive here already normalised (E.164, no separators) by the caller;
//! identities (T.30 TSI) are compared as given, trimmed. Limits: an account holds
//! at most [`MAX_BLOCKS`] entries; lists are paged by [`crate::MAX_PAGE`].

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::Error;
use crate::error::is_unique_violation;
use crate::util::{self, debug_redacted, new_id, page};

/// Most block-list entries one account may hold; more is refused, so a list
/// cannot grow without bound, and one page ([`crate::MAX_PAGE`]) shows it whole.
pub const MAX_BLOCKS: u64 = crate::MAX_PAGE as u64;

/// Longest value (number or identity) a block-list entry may hold. T.30
/// identities have 20 characters and E.164 numbers 16 with the `+`.
pub const MAX_VALUE_CHARS: usize = 32;

/// What a block-list entry matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockKind {
    /// The caller's number (E.164).
    Number,
    /// The caller's T.30 identity (TSI), as it sends it.
    Ident,
}

impl BlockKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            BlockKind::Number => "number",
            BlockKind::Ident => "ident",
        }
    }

    /// The kind of a stored name.
    pub fn parse(text: &str) -> Option<BlockKind> {
        match text {
            "number" => Some(BlockKind::Number),
            "ident" => Some(BlockKind::Ident),
            _ => None,
        }
    }
}

/// One block-list entry.
#[derive(Clone, PartialEq, Eq)]
pub struct BlockEntry {
    pub id: String,
    pub account_id: String,
    pub kind: BlockKind,
    /// The number or identity blocked.
    pub value: String,
    /// `report` (from a junk report) or `manual`.
    pub source: String,
    pub created_at: i64,
}

debug_redacted!(BlockEntry { id, account_id, kind, source, created_at; value });

fn block_from_row(row: &AnyRow) -> Result<BlockEntry, Error> {
    let kind: String = row.try_get("kind")?;
    Ok(BlockEntry {
        id: row.try_get("id")?,
        account_id: row.try_get("account_id")?,
        kind: BlockKind::parse(&kind).ok_or_else(|| Error::Corrupt(format!("block kind {kind:?}")))?,
        value: row.try_get("value")?,
        source: row.try_get("source")?,
        created_at: row.try_get("created_at")?,
    })
}

/// Adds an entry to the account's block list and returns it; an entry already
/// there is returned as it is (blocking twice is not an error). Fails with
/// `Invalid` for an empty or over-long value and when the list is full.
pub async fn block(
    conn: &mut AnyConnection,
    account_id: &str,
    kind: BlockKind,
    value: &str,
    source: &str,
    now: i64,
) -> Result<BlockEntry, Error> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > MAX_VALUE_CHARS {
        return Err(Error::Invalid("block-list value must have 1 to 32 characters"));
    }
    if let Some(existing) = find_block(conn, account_id, kind, value).await? {
        return Ok(existing);
    }
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM block_list WHERE account_id = $1")
        .bind(account_id)
        .fetch_one(&mut *conn)
        .await?;
    if util::count(n) >= MAX_BLOCKS {
        return Err(Error::Invalid("the block list is full"));
    }
    let inserted = sqlx::query(
        "INSERT INTO block_list (id, account_id, kind, value, source, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING *",
    )
    .bind(new_id("blk", now))
    .bind(account_id)
    .bind(kind.as_str())
    .bind(value)
    .bind(source)
    .bind(now)
    .fetch_one(&mut *conn)
    .await;
    match inserted {
        Ok(row) => block_from_row(&row),
        // A concurrent report of the same sender got there first.
        Err(err) if is_unique_violation(&err, "block_list_entry_key", "block_list.") => {
            find_block(conn, account_id, kind, value).await?.ok_or(Error::NotFound)
        }
        Err(err) => Err(err.into()),
    }
}

async fn find_block(
    conn: &mut AnyConnection,
    account_id: &str,
    kind: BlockKind,
    value: &str,
) -> Result<Option<BlockEntry>, Error> {
    let row = sqlx::query("SELECT * FROM block_list WHERE account_id = $1 AND kind = $2 AND value = $3")
        .bind(account_id)
        .bind(kind.as_str())
        .bind(value)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(block_from_row).transpose()
}

/// The account's block list, newest first, at most `limit` (clamped to
/// `1..=MAX_PAGE`).
pub async fn blocks(
    conn: &mut AnyConnection,
    account_id: &str,
    limit: u32,
) -> Result<Vec<BlockEntry>, Error> {
    let rows = sqlx::query("SELECT * FROM block_list WHERE account_id = $1 ORDER BY id DESC LIMIT $2")
        .bind(account_id)
        .bind(page(limit))
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(block_from_row).collect()
}

/// Removes one entry of the account's list; false if it is not the account's.
pub async fn unblock(conn: &mut AnyConnection, account_id: &str, id: &str) -> Result<bool, Error> {
    let done = sqlx::query("DELETE FROM block_list WHERE id = $1 AND account_id = $2")
        .bind(id)
        .bind(account_id)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Whether the account refuses a caller with this number or this identity. A
/// missing or blank identity matches nothing.
pub async fn is_blocked(
    conn: &mut AnyConnection,
    account_id: &str,
    number: Option<&str>,
    ident: Option<&str>,
) -> Result<bool, Error> {
    let number = number.map(str::trim).filter(|n| !n.is_empty());
    let ident = ident.map(str::trim).filter(|i| !i.is_empty());
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM block_list WHERE account_id = $1 \
         AND ((kind = 'number' AND value = $2) OR (kind = 'ident' AND value = $3))",
    )
    .bind(account_id)
    .bind(number)
    .bind(ident)
    .fetch_one(&mut *conn)
    .await?;
    Ok(n > 0)
}

/// One number on the do-not-fax list.
#[derive(Clone, PartialEq, Eq)]
pub struct DoNotFax {
    pub number: String,
    /// `owner` (proven by a faxed code) or `operator`.
    pub source: String,
    pub created_at: i64,
}

debug_redacted!(DoNotFax { source, created_at; number });

fn dnf_from_row(row: &AnyRow) -> Result<DoNotFax, Error> {
    Ok(DoNotFax {
        number: row.try_get("number")?,
        source: row.try_get("source")?,
        created_at: row.try_get("created_at")?,
    })
}

/// Puts a number on the do-not-fax list; false if it was there already (the
/// first entry, with its source, stays).
pub async fn add_do_not_fax(
    conn: &mut AnyConnection,
    number: &str,
    source: &str,
    now: i64,
) -> Result<bool, Error> {
    let done = sqlx::query(
        "INSERT INTO do_not_fax (number, source, created_at) VALUES ($1, $2, $3) ON CONFLICT (number) DO NOTHING",
    )
    .bind(number)
    .bind(source)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Takes a number off the list; false if it was not on it.
pub async fn remove_do_not_fax(conn: &mut AnyConnection, number: &str) -> Result<bool, Error> {
    let done =
        sqlx::query("DELETE FROM do_not_fax WHERE number = $1").bind(number).execute(&mut *conn).await?;
    Ok(done.rows_affected() > 0)
}

/// Whether nobody may fax `number`.
pub async fn on_do_not_fax(conn: &mut AnyConnection, number: &str) -> Result<bool, Error> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM do_not_fax WHERE number = $1")
        .bind(number)
        .fetch_one(&mut *conn)
        .await?;
    Ok(n > 0)
}

/// The list in number order, after `after` if given, at most `limit` (clamped to
/// `1..=MAX_PAGE`).
pub async fn do_not_fax_list(
    conn: &mut AnyConnection,
    after: Option<&str>,
    limit: u32,
) -> Result<Vec<DoNotFax>, Error> {
    let rows =
        sqlx::query("SELECT * FROM do_not_fax WHERE ($1 IS NULL OR number > $1) ORDER BY number LIMIT $2")
            .bind(after)
            .bind(page(limit))
            .fetch_all(&mut *conn)
            .await?;
    rows.iter().map(dnf_from_row).collect()
}

/// A pending opt-out: a code was (or is about to be) faxed to `number`.
#[derive(Clone, PartialEq, Eq)]
pub struct Challenge {
    pub id: String,
    pub number: String,
    /// A hash binding the number and the code; the code itself is never stored.
    pub code_hash: Vec<u8>,
    /// Wrong codes entered so far.
    pub attempts: i64,
    pub expires_at: i64,
    pub created_at: i64,
}

debug_redacted!(Challenge { id, attempts, expires_at, created_at; number, code_hash });

fn challenge_from_row(row: &AnyRow) -> Result<Challenge, Error> {
    Ok(Challenge {
        id: row.try_get("id")?,
        number: row.try_get("number")?,
        code_hash: row.try_get("code_hash")?,
        attempts: row.try_get("attempts")?,
        expires_at: row.try_get("expires_at")?,
        created_at: row.try_get("created_at")?,
    })
}

/// Records a new opt-out challenge.
pub async fn create_challenge(
    conn: &mut AnyConnection,
    number: &str,
    code_hash: &[u8],
    expires_at: i64,
    now: i64,
) -> Result<Challenge, Error> {
    let row = sqlx::query(
        "INSERT INTO do_not_fax_challenges (id, number, code_hash, attempts, expires_at, created_at) \
         VALUES ($1, $2, $3, 0, $4, $5) RETURNING *",
    )
    .bind(new_id("dnf", now))
    .bind(number)
    .bind(code_hash)
    .bind(expires_at)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    challenge_from_row(&row)
}

/// The challenge, unless it is unknown or expired (`expires_at <= now`).
pub async fn challenge(conn: &mut AnyConnection, id: &str, now: i64) -> Result<Option<Challenge>, Error> {
    let row = sqlx::query("SELECT * FROM do_not_fax_challenges WHERE id = $1 AND expires_at > $2")
        .bind(id)
        .bind(now)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(challenge_from_row).transpose()
}

/// Counts one wrong code; returns the attempts so far (0 if the challenge is gone).
pub async fn challenge_failed(conn: &mut AnyConnection, id: &str) -> Result<i64, Error> {
    let attempts: Option<i64> = sqlx::query_scalar(
        "UPDATE do_not_fax_challenges SET attempts = attempts + 1 WHERE id = $1 RETURNING attempts",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(attempts.unwrap_or(0))
}

/// Deletes a challenge (used, or out of attempts); false if it was gone already,
/// which makes using a code a one-time act even under concurrent requests.
pub async fn delete_challenge(conn: &mut AnyConnection, id: &str) -> Result<bool, Error> {
    let done =
        sqlx::query("DELETE FROM do_not_fax_challenges WHERE id = $1").bind(id).execute(&mut *conn).await?;
    Ok(done.rows_affected() > 0)
}

/// Deletes expired challenges (`expires_at <= now`); returns how many.
pub async fn purge_challenges(conn: &mut AnyConnection, now: i64) -> Result<u64, Error> {
    let done = sqlx::query("DELETE FROM do_not_fax_challenges WHERE expires_at <= $1")
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected())
}
