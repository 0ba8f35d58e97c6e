//! The address book: each account's contacts (name, fax number, optional company
//! and note), every personal field sealed (see [`crate::columns`]).
//!
//! Sealed values cannot be sorted or searched in SQL, so [`list`] reads the
//! account's contacts (at most [`MAX_CONTACTS`]) and sorts them by name here.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::columns::{self, open, open_opt, seal, seal_opt};
use crate::util::{debug_redacted, new_id};
use crate::{Backend, Error};

/// The most contacts one account may keep.
pub const MAX_CONTACTS: usize = 1_000;
/// The longest name and company, in characters.
pub const MAX_NAME_CHARS: usize = 200;
/// The longest fax number, in characters (E.164 has at most 15 digits and a `+`).
pub const MAX_NUMBER_CHARS: usize = 16;
/// The longest note, in characters.
pub const MAX_NOTE_CHARS: usize = 2_000;

/// One contact.
#[derive(Clone, PartialEq, Eq)]
pub struct Contact {
    pub id: String,
    pub account_id: String,
    pub name: String,
    pub number: String,
    pub company: Option<String>,
    pub note: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A contact's fields, to create or replace.
#[derive(Clone, PartialEq, Eq)]
pub struct ContactFields {
    pub name: String,
    pub number: String,
    pub company: Option<String>,
    pub note: Option<String>,
}

debug_redacted!(Contact { id, account_id, created_at, updated_at; name, number, company, note });
debug_redacted!(ContactFields { ; name, number, company, note });

impl ContactFields {
    /// Checks the limits; the caller checks the number's form.
    fn check(&self) -> Result<(), Error> {
        let chars = |s: &str| s.chars().count();
        if self.name.trim().is_empty() || chars(&self.name) > MAX_NAME_CHARS {
            return Err(Error::Invalid("contact name: 1 to 200 characters"));
        }
        if self.number.is_empty() || chars(&self.number) > MAX_NUMBER_CHARS {
            return Err(Error::Invalid("contact number: 1 to 16 characters"));
        }
        if self.company.as_deref().is_some_and(|c| chars(c) > MAX_NAME_CHARS) {
            return Err(Error::Invalid("contact company: at most 200 characters"));
        }
        if self.note.as_deref().is_some_and(|n| chars(n) > MAX_NOTE_CHARS) {
            return Err(Error::Invalid("contact note: at most 2000 characters"));
        }
        Ok(())
    }
}

fn from_row(row: &AnyRow) -> Result<Contact, Error> {
    let id: String = row.try_get("id")?;
    Ok(Contact {
        name: open("contacts.name", &id, &row.try_get::<String, _>("name")?)?,
        number: open("contacts.number", &id, &row.try_get::<String, _>("number")?)?,
        company: open_opt("contacts.company", &id, row.try_get("company")?)?,
        note: open_opt("contacts.note", &id, row.try_get("note")?)?,
        account_id: row.try_get("account_id")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        id,
    })
}

/// Adds a contact to the account's address book. More than [`MAX_CONTACTS`] is
/// `Conflict("contacts_full")`; fields over their limits are `Invalid`.
///
/// On PostgreSQL the count and the insert are serialised per account by a
/// transaction-scoped advisory lock, so concurrent additions cannot pass the limit;
/// SQLite has one writer at a time already (run it in a `Store::begin` transaction).
pub async fn create(
    conn: &mut AnyConnection,
    account_id: &str,
    fields: &ContactFields,
    now: i64,
) -> Result<Contact, Error> {
    fields.check()?;
    if Backend::of(conn) == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 6))")
            .bind(format!("contacts:{account_id}"))
            .execute(&mut *conn)
            .await?;
    }
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM contacts WHERE account_id = $1")
        .bind(account_id)
        .fetch_one(&mut *conn)
        .await?;
    if usize::try_from(count).unwrap_or(usize::MAX) >= MAX_CONTACTS {
        return Err(Error::Conflict("contacts_full"));
    }
    let key = columns::current(conn).await?;
    let id = new_id("con", now);
    let row = sqlx::query(
        "INSERT INTO contacts (id, account_id, name, number, company, note, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING *",
    )
    .bind(&id)
    .bind(account_id)
    .bind(seal(&key, "contacts.name", &id, &fields.name)?)
    .bind(seal(&key, "contacts.number", &id, &fields.number)?)
    .bind(seal_opt(&key, "contacts.company", &id, fields.company.as_deref())?)
    .bind(seal_opt(&key, "contacts.note", &id, fields.note.as_deref())?)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    from_row(&row)
}

/// The account's contacts sorted by name (then id), at most [`MAX_CONTACTS`].
pub async fn list(conn: &mut AnyConnection, account_id: &str) -> Result<Vec<Contact>, Error> {
    let limit = i64::try_from(MAX_CONTACTS).unwrap_or(i64::MAX);
    let rows = sqlx::query("SELECT * FROM contacts WHERE account_id = $1 ORDER BY id LIMIT $2")
        .bind(account_id)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
    let mut contacts = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
    contacts.sort_by(|a, b| a.name.to_lowercase().cmp(&b.name.to_lowercase()).then_with(|| a.id.cmp(&b.id)));
    Ok(contacts)
}

/// One contact of the account; another account's is `None`.
pub async fn get(conn: &mut AnyConnection, account_id: &str, id: &str) -> Result<Option<Contact>, Error> {
    let row = sqlx::query("SELECT * FROM contacts WHERE id = $1 AND account_id = $2")
        .bind(id)
        .bind(account_id)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Replaces a contact's fields; `None` if it is not the account's.
pub async fn update(
    conn: &mut AnyConnection,
    account_id: &str,
    id: &str,
    fields: &ContactFields,
    now: i64,
) -> Result<Option<Contact>, Error> {
    fields.check()?;
    let key = columns::current(conn).await?;
    let row = sqlx::query(
        "UPDATE contacts SET name = $3, number = $4, company = $5, note = $6, updated_at = $7 \
         WHERE id = $1 AND account_id = $2 RETURNING *",
    )
    .bind(id)
    .bind(account_id)
    .bind(seal(&key, "contacts.name", id, &fields.name)?)
    .bind(seal(&key, "contacts.number", id, &fields.number)?)
    .bind(seal_opt(&key, "contacts.company", id, fields.company.as_deref())?)
    .bind(seal_opt(&key, "contacts.note", id, fields.note.as_deref())?)
    .bind(now)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// Deletes a contact; false if it is not the account's.
pub async fn delete(conn: &mut AnyConnection, account_id: &str, id: &str) -> Result<bool, Error> {
    let done = sqlx::query("DELETE FROM contacts WHERE id = $1 AND account_id = $2")
        .bind(id)
        .bind(account_id)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() > 0)
}
