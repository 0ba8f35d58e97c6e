//! Web pages of the junk-fax defence: the junk button's target, the block list,
//! and the two public pages for people without an account, `/do-not-fax` (opt out
//! of all faxes from this service) and `/abuse` (report junk or misuse).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{ConnectInfo, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use serde::Deserialize;

use super::{error_box, page, user_message};
use crate::auth::{Caller, MaybeCaller};
use crate::{App, Error, now_ms};

/// The routes of these pages.
pub fn router() -> Router<Arc<App>> {
    Router::new()
        .route("/inbox/{id}/junk", post(report_junk))
        .route("/block-list", get(block_list_page).post(add_block))
        .route("/block-list/{id}/remove", post(remove_block))
        .route("/do-not-fax", get(opt_out_page).post(opt_out))
        .route("/do-not-fax/confirm", post(confirm))
        .route("/abuse", get(abuse_page).post(abuse))
}

async fn report_junk(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, Error> {
    let report = crate::junk::report_junk(&app, &caller.account.id, &id, now_ms()).await?;
    let notice = if report.blocked.is_empty() {
        "The fax was deleted. Its sender sent no number or identity, so there was nothing to block."
    } else {
        "The fax was deleted and its sender is blocked: further faxes from it are refused."
    };
    block_list_view(&app, &caller, None, Some(notice)).await.map(IntoResponse::into_response)
}

async fn block_list_page(State(app): State<Arc<App>>, caller: Caller) -> Result<Markup, Error> {
    block_list_view(&app, &caller, None, None).await
}

async fn block_list_view(
    app: &App,
    caller: &Caller,
    error: Option<&str>,
    notice: Option<&str>,
) -> Result<Markup, Error> {
    let entries = crate::api::junk::block_entries(app, &caller.account.id).await?;
    Ok(page(
        "Blocked senders",
        Some(caller),
        false,
        html! {
            (error_box(error))
            @if let Some(n) = notice { p.ok role="status" { (n) } }
            p.muted { "Calls from these numbers or fax identities are refused before any page is received. "
                      "Use “Report junk” in the inbox to add a sender, or add one here." }
            form.card method="post" action="/block-list" {
                label for="number" { "Number (international format)" }
                input #number name="number" type="tel" inputmode="tel" placeholder="+49 30 1234567";
                label for="ident" { "…or fax identity (as printed in the fax header, at most 20 characters)" }
                input #ident name="ident" maxlength="20";
                button { "Block" }
            }
            @if entries.is_empty() { p { "Nobody is blocked." } }
            table {
                @for e in &entries {
                    tr {
                        td { (e.value) br; span.muted { (if e.kind == store::junk::BlockKind::Number { "number" } else { "fax identity" })
                             ", " (if e.source == "report" { "reported as junk" } else { "added by hand" }) } }
                        td.muted { (crate::api::views::rfc3339(e.created_at)) }
                        td { form method="post" action=(format!("/block-list/{}/remove", e.id)) { button { "Unblock" } } }
                    }
                }
            }
        },
    ))
}

#[derive(Debug, Deserialize)]
struct BlockForm {
    #[serde(default)]
    number: String,
    #[serde(default)]
    ident: String,
}

async fn add_block(
    State(app): State<Arc<App>>,
    caller: Caller,
    axum::Form(form): axum::Form<BlockForm>,
) -> Result<Markup, Error> {
    match crate::junk::block_by_hand(
        &app,
        &caller.account.id,
        Some(&form.number),
        Some(&form.ident),
        now_ms(),
    )
    .await
    {
        Ok(_) => block_list_view(&app, &caller, None, Some("Blocked.")).await,
        Err(e) => block_list_view(&app, &caller, Some(&user_message(&e)), None).await,
    }
}

async fn remove_block(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Redirect, Error> {
    let mut conn = app.store.acquire().await?;
    if !store::junk::unblock(&mut conn, &caller.account.id, &id).await? {
        return Err(Error::NotFound);
    }
    Ok(Redirect::to("/block-list"))
}

fn opt_out_form(caller: Option<&Caller>, error: Option<&str>) -> Markup {
    page(
        "Stop faxes to your number",
        caller,
        false,
        html! {
            (error_box(error))
            p { "If faxes reach your fax number through this service and you want none, put the number on our "
                "do-not-fax list. After that, nobody can fax it through this service." }
            p.muted { "To prove the number is yours, we send one fax with a code to it. Type the code on the next page. "
                      "We keep only the number on the list; the code is stored as a hash and deleted when used or after one hour." }
            form.card method="post" action="/do-not-fax" {
                label for="number" { "Your fax number (international format)" }
                input #number name="number" type="tel" inputmode="tel" required placeholder="+49 30 1234567";
                button { "Send me the code" }
            }
        },
    )
}

fn code_form(caller: Option<&Caller>, request_id: &str, error: Option<&str>) -> Markup {
    page(
        "Enter the code",
        caller,
        false,
        html! {
            (error_box(error))
            p { "A fax with a code is on its way to the number. Type the code here within one hour." }
            form.card method="post" action="/do-not-fax/confirm" {
                input type="hidden" name="request_id" value=(request_id);
                label for="code" { "Code from the fax" }
                input #code name="code" required inputmode="numeric" autocomplete="one-time-code";
                button { "Stop all faxes to this number" }
            }
        },
    )
}

async fn opt_out_page(MaybeCaller(caller): MaybeCaller) -> Markup {
    opt_out_form(caller.as_ref(), None)
}

#[derive(Debug, Deserialize)]
struct OptOutForm {
    number: String,
}

async fn opt_out(
    State(app): State<Arc<App>>,
    MaybeCaller(caller): MaybeCaller,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    axum::Form(form): axum::Form<OptOutForm>,
) -> Markup {
    match crate::junk::start_opt_out(&app, &form.number, Some(peer.ip()), now_ms()).await {
        Ok(started) => code_form(caller.as_ref(), &started.request_id, None),
        Err(e) => opt_out_form(caller.as_ref(), Some(&user_message(&e))),
    }
}

#[derive(Debug, Deserialize)]
struct ConfirmForm {
    request_id: String,
    code: String,
}

async fn confirm(
    State(app): State<Arc<App>>,
    MaybeCaller(caller): MaybeCaller,
    axum::Form(form): axum::Form<ConfirmForm>,
) -> Markup {
    match crate::junk::confirm_opt_out(&app, &form.request_id, &form.code, now_ms()).await {
        Ok(number) => page(
            "Done",
            caller.as_ref(),
            false,
            html! { p.ok role="status" { (number) " is on the do-not-fax list. Nobody can fax it through this service any more." } },
        ),
        Err(e) => code_form(caller.as_ref(), &form.request_id, Some(&user_message(&e))),
    }
}

fn abuse_form(caller: Option<&Caller>, error: Option<&str>, notice: Option<&str>) -> Markup {
    page(
        "Report junk faxes or misuse",
        caller,
        false,
        html! {
            (error_box(error))
            @if let Some(n) = notice { p.ok role="status" { (n) } }
            p { "Tell us about junk faxes sent through this service, or a Ferrofax number used for abuse. "
                "You need no account. To stop all faxes to your own number, use the "
                a href="/do-not-fax" { "do-not-fax list" } "." }
            form.card method="post" action="/abuse" {
                label for="number" { "The number that sent the fax, or the Ferrofax number misused" }
                input #number name="number" type="tel" inputmode="tel" required placeholder="+49 30 1234567";
                label for="details" { "What happened (at most 4000 characters)" }
                textarea #details name="details" rows="5" maxlength="4000" {}
                label for="contact" { "Your e-mail or phone, if you want an answer (optional)" }
                input #contact name="contact" maxlength="254" autocomplete="email";
                button { "Send report" }
            }
            p.muted { "Your contact is used only to answer this report." }
        },
    )
}

async fn abuse_page(MaybeCaller(caller): MaybeCaller) -> Markup {
    abuse_form(caller.as_ref(), None, None)
}

#[derive(Debug, Deserialize)]
struct AbuseForm {
    number: String,
    #[serde(default)]
    details: String,
    #[serde(default)]
    contact: String,
}

async fn abuse(
    State(app): State<Arc<App>>,
    MaybeCaller(caller): MaybeCaller,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    axum::Form(form): axum::Form<AbuseForm>,
) -> Markup {
    let input = crate::junk::AbuseInput {
        contact: Some(pii::Pii::new(form.contact)),
        number: pii::Pii::new(form.number),
        details: pii::Pii::new(form.details),
    };
    match crate::junk::submit_abuse_report(&app, input, Some(peer.ip()), now_ms()).await {
        Ok(_) => abuse_form(caller.as_ref(), None, Some("Thank you. Your report was received.")),
        Err(e) => abuse_form(caller.as_ref(), Some(&user_message(&e)), None),
    }
}
