//! The address book: `/v1/contacts`, each account's contacts (name, fax number,
//! optional company and note). Stored sealed (see `store::columns`); a contact's id
//! can stand for its number when sending (`contact` field of `POST /v1/faxes`).
//!
//! Limits: [`store::contacts::MAX_CONTACTS`] contacts per account; names and
//! companies up to 200 characters, notes up to 2,000; the number must be a valid
//! international fax number.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use store::contacts::{Contact, ContactFields, MAX_CONTACTS, MAX_NAME_CHARS, MAX_NOTE_CHARS};
use utoipa::ToSchema;

use super::faxes::validate_number;
use super::views::rfc3339;
use crate::auth::Caller;
use crate::{App, Error, now_ms};

/// A contact as its owner sees it. `Debug` shows the id only.
#[derive(Serialize, ToSchema)]
pub struct ContactView {
    /// Contact id (`con_…`); usable as a recipient when sending.
    pub id: String,
    /// Name.
    pub name: String,
    /// Fax number (E.164).
    pub number: String,
    /// Company, if given.
    pub company: Option<String>,
    /// Note, if given.
    pub note: Option<String>,
    /// Creation time.
    pub created_at: String,
    /// Last change.
    pub updated_at: String,
}

impl std::fmt::Debug for ContactView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContactView").field("id", &self.id).finish_non_exhaustive()
    }
}

impl std::fmt::Debug for ContactInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ContactInput { ‹redacted› }")
    }
}

impl From<&Contact> for ContactView {
    fn from(c: &Contact) -> ContactView {
        ContactView {
            id: c.id.clone(),
            name: c.name.clone(),
            number: c.number.clone(),
            company: c.company.clone(),
            note: c.note.clone(),
            created_at: rfc3339(c.created_at),
            updated_at: rfc3339(c.updated_at),
        }
    }
}

/// A contact to create, or the new fields of one. `Debug` shows nothing of it.
#[derive(Deserialize, ToSchema)]
pub struct ContactInput {
    /// Name, 1 to 200 characters.
    pub name: String,
    /// Fax number in international format (`+4930…`).
    pub number: String,
    /// Company, up to 200 characters.
    #[serde(default)]
    pub company: Option<String>,
    /// Note, up to 2,000 characters.
    #[serde(default)]
    pub note: Option<String>,
}

/// Checks and normalises the input: trimmed fields, empty optional ones dropped,
/// the number in E.164.
pub fn fields(app: &App, input: ContactInput) -> Result<ContactFields, Error> {
    let name = input.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(Error::invalid(
            "invalid_name",
            format!("the name must have 1 to {MAX_NAME_CHARS} characters"),
        ));
    }
    let optional = |v: Option<String>| v.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    let company = optional(input.company);
    if company.as_ref().is_some_and(|c| c.chars().count() > MAX_NAME_CHARS) {
        return Err(Error::invalid(
            "invalid_company",
            format!("the company may have {MAX_NAME_CHARS} characters"),
        ));
    }
    let note = optional(input.note);
    if note.as_ref().is_some_and(|n| n.chars().count() > MAX_NOTE_CHARS) {
        return Err(Error::invalid("invalid_note", format!("the note may have {MAX_NOTE_CHARS} characters")));
    }
    let number = validate_number(app, &input.number)?;
    Ok(ContactFields { name, number, company, note })
}

/// Maps the store's refusals to API errors.
fn refused(error: store::Error) -> Error {
    match error {
        store::Error::Conflict("contacts_full") => Error::Conflict {
            code: "too_many_contacts",
            message: format!("an address book holds at most {MAX_CONTACTS} contacts"),
        },
        store::Error::Invalid(what) => Error::invalid("invalid_contact", what),
        other => other.into(),
    }
}

/// Adds a contact to the caller's address book.
pub async fn create_contact(app: &App, account_id: &str, input: ContactInput) -> Result<Contact, Error> {
    let fields = fields(app, input)?;
    let mut tx = app.store.begin().await?;
    let contact = store::contacts::create(&mut tx, account_id, &fields, now_ms()).await.map_err(refused)?;
    tx.commit().await.map_err(store::Error::from)?;
    Ok(contact)
}

/// The caller's contacts, sorted by name.
#[utoipa::path(get, path = "/v1/contacts", responses((status = 200, body = Vec<ContactView>)),
    security(("api_key" = []), ("session" = [])))]
pub async fn list(State(app): State<Arc<App>>, caller: Caller) -> Result<Json<Vec<ContactView>>, Error> {
    let mut conn = app.store.acquire().await?;
    let contacts = store::contacts::list(&mut conn, &caller.account.id).await?;
    Ok(Json(contacts.iter().map(ContactView::from).collect()))
}

/// Adds a contact.
#[utoipa::path(post, path = "/v1/contacts", request_body = ContactInput,
    responses((status = 201, body = ContactView), (status = 409, body = crate::ErrorBody), (status = 422, body = crate::ErrorBody)),
    security(("api_key" = []), ("session" = [])))]
pub async fn create(
    State(app): State<Arc<App>>,
    caller: Caller,
    Json(input): Json<ContactInput>,
) -> Result<(StatusCode, Json<ContactView>), Error> {
    let contact = create_contact(&app, &caller.account.id, input).await?;
    Ok((StatusCode::CREATED, Json(ContactView::from(&contact))))
}

/// One contact.
#[utoipa::path(get, path = "/v1/contacts/{id}", params(("id" = String, Path, description = "Contact id")),
    responses((status = 200, body = ContactView), (status = 404, body = crate::ErrorBody)),
    security(("api_key" = []), ("session" = [])))]
pub async fn get(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ContactView>, Error> {
    let mut conn = app.store.acquire().await?;
    let contact = store::contacts::get(&mut conn, &caller.account.id, &id).await?.ok_or(Error::NotFound)?;
    Ok(Json(ContactView::from(&contact)))
}

/// Replaces a contact's fields.
#[utoipa::path(put, path = "/v1/contacts/{id}", params(("id" = String, Path, description = "Contact id")),
    request_body = ContactInput,
    responses((status = 200, body = ContactView), (status = 404, body = crate::ErrorBody), (status = 422, body = crate::ErrorBody)),
    security(("api_key" = []), ("session" = [])))]
pub async fn update(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
    Json(input): Json<ContactInput>,
) -> Result<Json<ContactView>, Error> {
    let fields = fields(&app, input)?;
    let mut conn = app.store.acquire().await?;
    let contact = store::contacts::update(&mut conn, &caller.account.id, &id, &fields, now_ms())
        .await
        .map_err(refused)?
        .ok_or(Error::NotFound)?;
    Ok(Json(ContactView::from(&contact)))
}

/// Deletes a contact.
#[utoipa::path(delete, path = "/v1/contacts/{id}", params(("id" = String, Path, description = "Contact id")),
    responses((status = 204), (status = 404, body = crate::ErrorBody)), security(("api_key" = []), ("session" = [])))]
pub async fn delete(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, Error> {
    let mut conn = app.store.acquire().await?;
    if store::contacts::delete(&mut conn, &caller.account.id, &id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(Error::NotFound)
    }
}

/// The numbers of the caller's contacts `ids`, for a send request; an id that is
/// not the caller's is `unknown_contact`, exactly as one that does not exist.
pub async fn numbers_of(app: &App, account_id: &str, ids: &[String]) -> Result<Vec<String>, Error> {
    let mut conn = app.store.acquire().await?;
    let mut numbers = Vec::with_capacity(ids.len());
    for id in ids {
        let contact = store::contacts::get(&mut conn, account_id, id)
            .await?
            .ok_or_else(|| Error::invalid("unknown_contact", "a contact id is not in your address book"))?;
        numbers.push(contact.number);
    }
    Ok(numbers)
}
