//! The address book page: list, add, delete, and send a fax to a contact.
//!
//! Sending posts the contact's id (never its number) to the ordinary send form, so
//! the number does not travel through the page's links or the browser history.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use serde::Deserialize;

use super::{error_box, page, user_message};
use crate::api::contacts::{self, ContactInput};
use crate::auth::Caller;
use crate::{App, Error};

/// The address book's routes.
pub(super) fn router() -> Router<Arc<App>> {
    Router::new()
        .route("/contacts", get(contacts_page).post(add))
        .route("/contacts/{id}/delete", post(delete))
}

async fn contacts_page(State(app): State<Arc<App>>, caller: Caller) -> Result<Markup, Error> {
    view(&app, &caller, None).await
}

async fn view(app: &App, caller: &Caller, error: Option<&str>) -> Result<Markup, Error> {
    let mut conn = app.store.acquire().await?;
    let list = store::contacts::list(&mut conn, &caller.account.id).await?;
    Ok(page(
        "Contacts",
        Some(caller),
        false,
        html! {
            (error_box(error))
            form.card method="post" action="/contacts" {
                label for="name" { "Name" } input #name name="name" required maxlength="200";
                label for="number" { "Fax number (international format)" }
                input #number name="number" required placeholder="+49 30 1234567" inputmode="tel";
                label for="company" { "Company (optional)" } input #company name="company" maxlength="200";
                label for="note" { "Note (optional)" } textarea #note name="note" rows="2" maxlength="2000" {}
                button { "Add contact" }
            }
            @if list.is_empty() { p.muted { "No contacts yet." } }
            table {
                @for c in &list {
                    tr {
                        td { strong { (c.name) } @if let Some(company) = &c.company { br; span.muted { (company) } }
                             br; code { (c.number) }
                             @if let Some(note) = &c.note { br; span.muted { (note) } } }
                        td {
                            form method="post" action="/send" enctype="multipart/form-data" {
                                input type="hidden" name="contact" value=(c.id);
                                input name="file" type="file" multiple required aria-label="Documents";
                                button { "Send a fax" }
                            }
                            form method="post" action=(format!("/contacts/{}/delete", c.id)) { button { "Delete" } }
                        }
                    }
                }
            }
            p.muted { "Contacts are stored encrypted. At most " (store::contacts::MAX_CONTACTS) " per account." }
        },
    ))
}

/// The add form. No `Debug`: it holds a name and a number.
#[derive(Deserialize)]
struct ContactForm {
    name: String,
    number: String,
    #[serde(default)]
    company: String,
    #[serde(default)]
    note: String,
}

async fn add(
    State(app): State<Arc<App>>,
    caller: Caller,
    axum::Form(form): axum::Form<ContactForm>,
) -> Result<Response, Error> {
    let input = ContactInput {
        name: form.name,
        number: form.number,
        company: Some(form.company),
        note: Some(form.note),
    };
    match contacts::create_contact(&app, &caller.account.id, input).await {
        Ok(_) => Ok(Redirect::to("/contacts").into_response()),
        Err(e) => Ok(view(&app, &caller, Some(&user_message(&e))).await?.into_response()),
    }
}

async fn delete(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Redirect, Error> {
    let mut conn = app.store.acquire().await?;
    store::contacts::delete(&mut conn, &caller.account.id, &id).await?;
    Ok(Redirect::to("/contacts"))
}
