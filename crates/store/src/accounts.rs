//! Accounts, and the allocation of each account's own fax number.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Connection, Row};

use crate::Error;
use crate::columns::{self, open_opt, seal_opt};
use crate::error::is_unique_violation;
use crate::util::{debug_redacted, flag, int, new_id};

/// How many times `create` retries when another account took the fax number it
/// picked in the meantime. Each retry sees the other's number, so eight concurrent
/// sign-ups need at most eight rounds; the bound only stops a pathological loop.
const ALLOCATION_ATTEMPTS: usize = 64;

/// One account.
///
/// `Debug` leaves out the personal data.
#[derive(Clone, PartialEq, Eq)]
pub struct Account {
    pub id: String,
    pub name: String,
    /// Stored lower-cased.
    pub email: String,
    pub phone: Option<String>,
    pub fax_number: String,
    pub password_hash: String,
    pub email_verified_at: Option<i64>,
    pub age_confirmed_at: i64,
    pub terms_version: String,
    pub privacy_version: String,
    pub accepted_at: i64,
    pub marketing_opt_in: bool,
    pub notify_on_sent: bool,
    pub notify_on_failure: bool,
    pub notify_on_receive: bool,
    pub created_at: i64,
    pub webhook_url: Option<String>,
    pub webhook_secret: String,
}

debug_redacted!(Account {
    id, email_verified_at, age_confirmed_at, terms_version, privacy_version, accepted_at, marketing_opt_in,
    notify_on_sent, notify_on_failure, notify_on_receive, created_at;
    name, email, phone, fax_number, password_hash, webhook_url, webhook_secret
});

/// What a sign-up supplies. Notifications start switched on; `accepted_at` (terms
/// and privacy notice) is the creation time.
#[derive(Clone)]
pub struct NewAccount {
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
    pub password_hash: String,
    pub age_confirmed_at: i64,
    pub terms_version: String,
    pub privacy_version: String,
    pub marketing_opt_in: bool,
    pub webhook_secret: String,
}

debug_redacted!(NewAccount {
    age_confirmed_at, terms_version, privacy_version, marketing_opt_in;
    name, email, phone, password_hash, webhook_secret
});

/// The block of fax numbers handed to accounts: `prefix` followed by a counter
/// from `first` to `last` inclusive, zero-padded to `width` digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberPlan {
    pub prefix: String,
    pub first: u64,
    pub last: u64,
    pub width: usize,
}

impl NumberPlan {
    /// The fax number for counter value `n`.
    pub fn format(&self, n: u64) -> String {
        format!("{}{:0width$}", self.prefix, n, width = self.width)
    }

    /// Checks that every counter fits the width (else numbers would not be of one
    /// length) and the database's signed 64-bit integers.
    fn check(&self) -> Result<(i64, i64), Error> {
        let first = i64::try_from(self.first).map_err(|_| Error::Invalid("number plan: first"))?;
        let last = i64::try_from(self.last).map_err(|_| Error::Invalid("number plan: last"))?;
        if first > last {
            return Err(Error::Invalid("number plan: first > last"));
        }
        if self.last.to_string().len() > self.width {
            return Err(Error::Invalid("number plan: last does not fit the width"));
        }
        Ok((first, last))
    }
}

fn from_row(row: &AnyRow) -> Result<Account, Error> {
    let id: String = row.try_get("id")?;
    Ok(Account {
        phone: open_opt("accounts.phone", &id, row.try_get("phone")?)?,
        id,
        name: row.try_get("name")?,
        email: row.try_get("email")?,
        fax_number: row.try_get("fax_number")?,
        password_hash: row.try_get("password_hash")?,
        email_verified_at: row.try_get("email_verified_at")?,
        age_confirmed_at: row.try_get("age_confirmed_at")?,
        terms_version: row.try_get("terms_version")?,
        privacy_version: row.try_get("privacy_version")?,
        accepted_at: row.try_get("accepted_at")?,
        marketing_opt_in: flag(row.try_get("marketing_opt_in")?),
        notify_on_sent: flag(row.try_get("notify_on_sent")?),
        notify_on_failure: flag(row.try_get("notify_on_failure")?),
        notify_on_receive: flag(row.try_get("notify_on_receive")?),
        created_at: row.try_get("created_at")?,
        webhook_url: row.try_get("webhook_url")?,
        webhook_secret: row.try_get("webhook_secret")?,
    })
}

/// Creates an account with the lowest free fax number of `numbers`.
///
/// The e-mail address is stored lower-cased; one already in use (in any case) is
/// `Conflict("email")`. A full number plan is `Conflict("fax_number_pool_exhausted")`.
///
/// Race-free on both engines: the lowest free counter is read, then inserted under
/// unique constraints; if another sign-up took it first, the insert fails and the
/// next lowest is tried. The insert runs in its own savepoint (or transaction, when
/// the caller has none), because a failed statement aborts a PostgreSQL transaction.
pub async fn create(
    conn: &mut AnyConnection,
    new: NewAccount,
    numbers: &NumberPlan,
    now: i64,
) -> Result<Account, Error> {
    let (first, last) = numbers.check()?;
    let email = new.email.to_lowercase();
    let id = new_id("acc", now);
    let phone = seal_opt(&*columns::current(conn).await?, "accounts.phone", &id, new.phone.as_deref())?;
    for _ in 0..ALLOCATION_ATTEMPTS {
        let seq: Option<i64> = sqlx::query_scalar(
            "SELECT MIN(c) FROM ( \
                 SELECT $2 AS c \
                 UNION ALL \
                 SELECT fax_seq + 1 FROM accounts WHERE fax_prefix = $1 AND fax_seq >= $2 AND fax_seq < $3 \
             ) candidates \
             WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.fax_prefix = $1 AND a.fax_seq = candidates.c)",
        )
        .bind(&numbers.prefix)
        .bind(first)
        .bind(last)
        .fetch_one(&mut *conn)
        .await?;
        let Some(seq) = seq.filter(|s| (first..=last).contains(s)) else {
            return Err(Error::Conflict("fax_number_pool_exhausted"));
        };
        // `seq` lies in first..=last, both of which fit u64.
        let fax_number = numbers.format(seq.unsigned_abs());

        let mut savepoint = conn.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO accounts (id, name, email, phone, fax_number, fax_prefix, fax_seq, password_hash, \
                 email_verified_at, age_confirmed_at, terms_version, privacy_version, accepted_at, \
                 marketing_opt_in, notify_on_sent, notify_on_failure, notify_on_receive, created_at, \
                 webhook_url, webhook_secret) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, $9, $10, $11, $12, $13, 1, 1, 1, $12, NULL, $14) \
             RETURNING *",
        )
        .bind(&id)
        .bind(&new.name)
        .bind(&email)
        .bind(phone.as_deref())
        .bind(&fax_number)
        .bind(&numbers.prefix)
        .bind(seq)
        .bind(&new.password_hash)
        .bind(new.age_confirmed_at)
        .bind(&new.terms_version)
        .bind(&new.privacy_version)
        .bind(now)
        .bind(int(new.marketing_opt_in))
        .bind(&new.webhook_secret)
        .fetch_one(&mut *savepoint)
        .await;
        match inserted {
            Ok(row) => {
                let account = from_row(&row)?;
                savepoint.commit().await?;
                return Ok(account);
            }
            Err(err) => {
                savepoint.rollback().await?;
                if is_unique_violation(&err, "accounts_email_key", "accounts.email") {
                    return Err(Error::Conflict("email"));
                }
                let number_taken =
                    is_unique_violation(&err, "accounts_fax_number_key", "accounts.fax_number")
                        || is_unique_violation(&err, "accounts_fax_seq_key", "accounts.fax_seq");
                if !number_taken {
                    return Err(err.into());
                }
                // Another sign-up won this number (or an account from an older plan
                // already has this string): look again.
            }
        }
    }
    Err(Error::Conflict("fax_number"))
}

async fn one_by(conn: &mut AnyConnection, sql: &'static str, key: &str) -> Result<Option<Account>, Error> {
    let row = sqlx::query(sql).bind(key).fetch_optional(&mut *conn).await?;
    row.as_ref().map(from_row).transpose()
}

/// The account `id`.
pub async fn by_id(conn: &mut AnyConnection, id: &str) -> Result<Option<Account>, Error> {
    one_by(conn, "SELECT * FROM accounts WHERE id = $1", id).await
}

/// The account with this e-mail address, in any letter case.
pub async fn by_email(conn: &mut AnyConnection, email: &str) -> Result<Option<Account>, Error> {
    one_by(conn, "SELECT * FROM accounts WHERE email = $1", &email.to_lowercase()).await
}

/// The account that owns this fax number.
pub async fn by_fax_number(conn: &mut AnyConnection, fax_number: &str) -> Result<Option<Account>, Error> {
    one_by(conn, "SELECT * FROM accounts WHERE fax_number = $1", fax_number).await
}

/// Fails with `NotFound` when an update touched no row.
fn found(rows: u64) -> Result<(), Error> {
    if rows == 0 { Err(Error::NotFound) } else { Ok(()) }
}

/// Records that the account's e-mail address was confirmed at `now`.
pub async fn set_email_verified(conn: &mut AnyConnection, id: &str, now: i64) -> Result<(), Error> {
    let done = sqlx::query("UPDATE accounts SET email_verified_at = $2 WHERE id = $1")
        .bind(id)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    found(done.rows_affected())
}

/// Replaces the password hash.
pub async fn set_password_hash(conn: &mut AnyConnection, id: &str, hash: &str) -> Result<(), Error> {
    let done = sqlx::query("UPDATE accounts SET password_hash = $2 WHERE id = $1")
        .bind(id)
        .bind(hash)
        .execute(&mut *conn)
        .await?;
    found(done.rows_affected())
}

/// Changes the name and phone number.
pub async fn update_profile(
    conn: &mut AnyConnection,
    id: &str,
    name: &str,
    phone: Option<&str>,
) -> Result<(), Error> {
    let phone = seal_opt(&*columns::current(conn).await?, "accounts.phone", id, phone)?;
    let done = sqlx::query("UPDATE accounts SET name = $2, phone = $3 WHERE id = $1")
        .bind(id)
        .bind(name)
        .bind(phone)
        .execute(&mut *conn)
        .await?;
    found(done.rows_affected())
}

/// Chooses which events send an e-mail.
pub async fn set_notifications(
    conn: &mut AnyConnection,
    id: &str,
    sent: bool,
    failure: bool,
    receive: bool,
) -> Result<(), Error> {
    let done = sqlx::query(
        "UPDATE accounts SET notify_on_sent = $2, notify_on_failure = $3, notify_on_receive = $4 WHERE id = $1",
    )
    .bind(id)
    .bind(int(sent))
    .bind(int(failure))
    .bind(int(receive))
    .execute(&mut *conn)
    .await?;
    found(done.rows_affected())
}

/// Sets or clears the account's webhook URL.
pub async fn set_webhook(conn: &mut AnyConnection, id: &str, url: Option<String>) -> Result<(), Error> {
    let done = sqlx::query("UPDATE accounts SET webhook_url = $2 WHERE id = $1")
        .bind(id)
        .bind(url)
        .execute(&mut *conn)
        .await?;
    found(done.rows_affected())
}
