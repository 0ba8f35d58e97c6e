//! A small server-rendered web UI: register, log in, send, outbox with live status,
//! inbox with PDF download, API keys, and the local mail outbox.
//!
//! Plain HTML forms over the same functions the API uses, no JavaScript needed
//! (the outbox refreshes itself while faxes are in progress). One stylesheet sized
//! for phones first.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{ConnectInfo, Multipart, Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::CookieJar;
use maud::{DOCTYPE, Markup, html};
use serde::Deserialize;

mod contacts;

use crate::api::{accounts, faxes, inbox, keys, views};
use crate::auth::{self, Caller, MaybeCaller, Via};
use crate::{App, Error};

mod junk;

/// The UI routes.
pub fn router() -> Router<Arc<App>> {
    Router::new()
        .route("/", get(home))
        .route("/register", get(register_page).post(register))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/verify", get(verify))
        .route("/reset", get(reset_page).post(reset))
        .route("/send", get(send_page).post(send))
        .route("/outbox", get(outbox))
        .route("/outbox/{id}/cancel", post(cancel))
        .route("/inbox", get(inbox_page))
        .route("/inbox/{id}/pdf", get(inbox_pdf))
        .route("/keys", get(keys_page).post(create_key))
        .route("/keys/{id}/revoke", post(revoke_key))
        .route("/mail", get(mail_page))
        .route("/mail/{name}", get(mail_message))
        .merge(junk::router())
        .merge(contacts::router())
}

const STYLE: &str = "
*{box-sizing:border-box}body{font:16px/1.5 system-ui,sans-serif;margin:0;color:#111;background:#f6f6f4}
header{background:#1d3557;color:#fff;padding:.6rem 1rem;display:flex;flex-wrap:wrap;gap:.8rem;align-items:center}
header a{color:#fff;text-decoration:none}header strong{margin-right:auto}
main{max-width:46rem;margin:0 auto;padding:1rem}
form.card,section.card{background:#fff;border:1px solid #ddd;border-radius:.5rem;padding:1rem;margin:0 0 1rem}
label{display:block;margin:.6rem 0 .2rem;font-weight:600}input,select,textarea{width:100%;padding:.55rem;font:inherit;border:1px solid #bbb;border-radius:.3rem}
input[type=checkbox]{width:auto}label.check{font-weight:400}
button{margin-top:.8rem;padding:.6rem 1.1rem;font:inherit;border:0;border-radius:.3rem;background:#1d3557;color:#fff}
table{width:100%;border-collapse:collapse;background:#fff}td,th{padding:.45rem;border-bottom:1px solid #eee;text-align:left;vertical-align:top}
.error{background:#fde2e1;border:1px solid #e5a3a1;padding:.6rem;border-radius:.3rem}.ok{background:#e1f5e4;border:1px solid #9fd3a8;padding:.6rem;border-radius:.3rem}
.status{font-weight:600}.muted{color:#666;font-size:.9rem}code{word-break:break-all}
@media(max-width:36rem){td,th{display:block;border:0}tr{display:block;border-bottom:1px solid #ddd;padding:.3rem 0}}
";

fn page(title: &str, caller: Option<&Caller>, refresh: bool, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                @if refresh { meta http-equiv="refresh" content="5"; }
                title { (title) " — Ferrofax" }
                style { (maud::PreEscaped(STYLE)) }
            }
            body {
                header {
                    strong { a href="/" { "Ferrofax" } }
                    @if let Some(caller) = caller {
                        a href="/send" { "Send" } a href="/outbox" { "Outbox" } a href="/inbox" { "Inbox" } a href="/contacts" { "Contacts" } a href="/keys" { "API keys" } a href="/mail" { "Mail" } a href="/block-list" { "Blocked" }
                        span.muted { (caller.account.fax_number) }
                        form method="post" action="/logout" style="margin:0" { button style="margin:0;padding:.3rem .7rem" { "Log out" } }
                    } @else {
                        a href="/login" { "Log in" } a href="/register" { "Register" }
                    }
                }
                main {
                    h1 { (title) }
                    (body)
                    footer.muted #cookies {
                        p { strong { "Cookies: " } "Ferrofax sets one cookie, " code { "ffx_session" } ", and only when you log in. "
                            "It holds a random token that keeps you logged in, and it ends when you close the browser. "
                            "Only if you tick “remember me” does it stay on this device, for a limited number of days. "
                            "There are no tracking, analytics or advertising cookies, and the site works without the remembered cookie." }
                        p { a href="/do-not-fax" { "Stop faxes to your number" } " · " a href="/abuse" { "Report junk faxes or misuse" } }
                    }
                }
            }
        }
    }
}

fn error_box(error: Option<&str>) -> Markup {
    html! { @if let Some(e) = error { p.error role="alert" { (e) } } }
}

fn user_message(error: &Error) -> String {
    match error {
        Error::Unauthenticated => "E-mail address or password is wrong.".into(),
        Error::Internal(_)
        | Error::Store(_)
        | Error::Blob(_)
        | Error::Mail(_)
        | Error::Io(_)
        | Error::Image(_)
        | Error::Config(_) => {
            tracing::error!(%error, "web form failed");
            "Something went wrong on our side. Please try again.".into()
        }
        other => other.to_string(),
    }
}

async fn home(MaybeCaller(caller): MaybeCaller) -> Response {
    if caller.is_some() {
        return Redirect::to("/outbox").into_response();
    }
    page("Online fax", None, false, html! {
        section.card {
            p { "Send PDFs, Word and Excel files and photos as faxes, and receive faxes on your own number — in your inbox and by e-mail." }
            p { a href="/register" { "Create an account" } " or " a href="/login" { "log in" } "." }
        }
    })
    .into_response()
}

fn register_form(error: Option<&str>) -> Markup {
    page(
        "Create an account",
        None,
        false,
        html! {
            (error_box(error))
            form.card method="post" action="/register" {
                label for="name" { "Name" } input #name name="name" required autocomplete="name";
                label for="email" { "E-mail" } input #email name="email" type="email" required autocomplete="email";
                label for="password" { "Password (at least 10 characters)" } input #password name="password" type="password" required minlength="10" autocomplete="new-password";
                label for="phone" { "Phone (optional, international format)" } input #phone name="phone" type="tel" autocomplete="tel";
                label.check { input type="checkbox" name="age_confirmed" value="on" required; " I am 13 years old or older." }
                label.check { input type="checkbox" name="accept_terms" value="on" required; " I accept the terms of service and the privacy policy (version " (accounts::TERMS_VERSION) ")." }
                label.check { input type="checkbox" name="marketing_opt_in" value="on"; " Send me news and offers by e-mail (optional; unsubscribe with one click at any time)." }
                button { "Create account" }
            }
        },
    )
}

async fn register_page() -> Markup {
    register_form(None)
}

#[derive(Debug, Deserialize)]
struct RegisterForm {
    name: String,
    email: String,
    password: String,
    #[serde(default)]
    phone: String,
    age_confirmed: Option<String>,
    accept_terms: Option<String>,
    marketing_opt_in: Option<String>,
}

async fn register(
    State(app): State<Arc<App>>,
    jar: CookieJar,
    axum::Form(form): axum::Form<RegisterForm>,
) -> Response {
    let registration = accounts::Registration {
        name: form.name,
        email: form.email,
        password: form.password,
        phone: Some(form.phone),
        age_confirmed: form.age_confirmed.is_some(),
        accept_terms: form.accept_terms.is_some(),
        marketing_opt_in: form.marketing_opt_in.is_some(),
        remember: false,
    };
    match accounts::create_account(&app, &registration).await {
        Ok(account) => match auth::start_session(&app, &account.id, false).await {
            Ok(cookie) => (jar.add(cookie), Redirect::to("/send")).into_response(),
            Err(e) => register_form(Some(&user_message(&e))).into_response(),
        },
        Err(e) => register_form(Some(&user_message(&e))).into_response(),
    }
}

fn login_form(error: Option<&str>, notice: Option<&str>) -> Markup {
    page(
        "Log in",
        None,
        false,
        html! {
            (error_box(error))
            @if let Some(n) = notice { p.ok { (n) } }
            form.card method="post" action="/login" {
                label for="email" { "E-mail" } input #email name="email" type="email" required autocomplete="email";
                label for="password" { "Password" } input #password name="password" type="password" required autocomplete="current-password";
                label.check { input type="checkbox" name="remember" value="on"; " Remember me on this device" }
                button { "Log in" }
            }
            p { a href="/reset" { "Forgot your password?" } }
        },
    )
}

async fn login_page() -> Markup {
    login_form(None, None)
}

#[derive(Debug, Deserialize)]
struct LoginForm {
    email: String,
    password: String,
    remember: Option<String>,
}

async fn login(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    jar: CookieJar,
    axum::Form(form): axum::Form<LoginForm>,
) -> Response {
    let remember = form.remember.is_some();
    let result = async {
        let account = auth::login(&app, &form.email, &form.password, Some(&peer.ip().to_string())).await?;
        auth::start_session(&app, &account.id, remember).await
    }
    .await;
    match result {
        Ok(cookie) => (jar.add(cookie), Redirect::to("/outbox")).into_response(),
        Err(e) => login_form(Some(&user_message(&e)), None).into_response(),
    }
}

async fn logout(State(app): State<Arc<App>>, caller: Caller, jar: CookieJar) -> Result<Response, Error> {
    if let Via::Session(hash) = &caller.via {
        let mut conn = app.store.acquire().await?;
        store::sessions::delete(&mut conn, hash).await?;
    }
    Ok((jar.add(auth::clear_session_cookie(&app)), Redirect::to("/")).into_response())
}

#[derive(Debug, Deserialize)]
struct TokenQuery {
    token: Option<String>,
}

async fn verify(State(app): State<Arc<App>>, Query(q): Query<TokenQuery>) -> Markup {
    match accounts::confirm_email(&app, q.token.as_deref().unwrap_or("")).await {
        Ok(()) => login_form(None, Some("Your e-mail address is confirmed.")),
        Err(e) => login_form(Some(&user_message(&e)), None),
    }
}

async fn reset_page(Query(q): Query<TokenQuery>) -> Markup {
    reset_form(q.token.as_deref(), None, None)
}

fn reset_form(token: Option<&str>, error: Option<&str>, notice: Option<&str>) -> Markup {
    page(
        "Reset password",
        None,
        false,
        html! {
            (error_box(error))
            @if let Some(n) = notice { p.ok { (n) } }
            @if let Some(token) = token {
                form.card method="post" action="/reset" {
                    input type="hidden" name="token" value=(token);
                    label for="password" { "New password (at least 10 characters)" } input #password name="password" type="password" required minlength="10" autocomplete="new-password";
                    button { "Set password" }
                }
            } @else {
                form.card method="post" action="/reset" {
                    label for="email" { "E-mail" } input #email name="email" type="email" required;
                    button { "Send reset link" }
                }
            }
        },
    )
}

#[derive(Debug, Deserialize)]
struct ResetForm {
    email: Option<String>,
    token: Option<String>,
    password: Option<String>,
}

async fn reset(State(app): State<Arc<App>>, axum::Form(form): axum::Form<ResetForm>) -> Markup {
    match (form.token, form.password, form.email) {
        (Some(token), Some(password), _) => {
            match accounts::finish_password_reset(&app, &token, &password).await {
                Ok(()) => login_form(None, Some("Your password was changed. Please log in.")),
                Err(e) => reset_form(Some(&token), Some(&user_message(&e)), None),
            }
        }
        (_, _, Some(email)) => match accounts::start_password_reset(&app, &email).await {
            Ok(()) => {
                reset_form(None, None, Some("If the address has an account, a reset link is on its way."))
            }
            Err(e) => reset_form(None, Some(&user_message(&e)), None),
        },
        _ => reset_form(None, Some("Please fill in the form."), None),
    }
}

fn send_form(caller: &Caller, error: Option<&str>) -> Markup {
    page(
        "Send a fax",
        Some(caller),
        false,
        html! {
            (error_box(error))
            form.card method="post" action="/send" enctype="multipart/form-data" {
                label for="to" { "To (fax numbers in international format, separated by commas)" }
                input #to name="to" required placeholder="+49 30 1234567" inputmode="tel";
                label for="file" { "Documents (PDF, Word, Excel, images, text)" }
                input #file name="file" type="file" multiple required;
                label for="resolution" { "Quality" }
                select #resolution name="resolution" { option value="fine" selected { "Fine" } option value="standard" { "Standard (faster)" } option value="superfine" { "Superfine" } }
                label for="mode" { "Content" }
                select #mode name="mode" { option value="text" selected { "Text and forms" } option value="photo" { "Photos" } option value="auto" { "Decide per page" } }
                label for="cover_subject" { "Cover page subject (leave empty for no cover page)" } input #cover_subject name="cover_subject";
                label for="cover_to" { "Cover page: to" } input #cover_to name="cover_to";
                label for="cover_notes" { "Cover page: notes" } textarea #cover_notes name="cover_notes" rows="3" {}
                button { "Send fax" }
            }
        },
    )
}

async fn send_page(caller: Caller) -> Markup {
    send_form(&caller, None)
}

async fn send(State(app): State<Arc<App>>, caller: Caller, mut multipart: Multipart) -> Response {
    let result = async {
        let mut request = faxes::SendRequest::default();
        let mut cover = faxes::CoverFields::default();
        while let Some(mut field) =
            multipart.next_field().await.map_err(|e| Error::invalid("invalid_form", e.body_text()))?
        {
            let name = field.name().unwrap_or_default().to_owned();
            let filename = field.file_name().map(str::to_owned);
            let mut data = Vec::new();
            while let Some(chunk) =
                field.chunk().await.map_err(|e| Error::invalid("invalid_form", e.body_text()))?
            {
                if (data.len() + chunk.len()) as u64 > app.config.limits.max_file_bytes {
                    return Err(Error::TooLarge(format!(
                        "each file may have at most {} bytes",
                        app.config.limits.max_file_bytes
                    )));
                }
                data.extend_from_slice(&chunk);
            }
            if name == "file" {
                if data.is_empty() {
                    continue;
                }
                if request.files.len() >= app.config.limits.max_files {
                    return Err(Error::TooLarge(format!(
                        "a fax may have at most {} files",
                        app.config.limits.max_files
                    )));
                }
                request.files.push(faxes::upload(filename.unwrap_or_else(|| "document".into()), data)?);
                continue;
            }
            let value = String::from_utf8_lossy(&data).trim().to_owned();
            match name.as_str() {
                "to" => request.to.extend(
                    value.split([',', ';']).map(str::trim).filter(|n| !n.is_empty()).map(str::to_owned),
                ),
                "resolution" => request.options.resolution = value,
                "mode" => request.options.mode = value,
                "cover_subject" => cover.subject = value,
                "cover_to" => cover.to = value,
                "cover_notes" => cover.notes = value,
                "contact" => request.contacts.push(value),
                _ => {}
            }
        }
        if !cover.subject.is_empty() || !cover.to.is_empty() || !cover.notes.is_empty() {
            request.options.cover = Some(cover);
        }
        faxes::submit(&app, &caller.account, request, None).await
    }
    .await;
    match result {
        Ok(fax) => Redirect::to(&format!("/outbox#{}", fax.id)).into_response(),
        Err(e) => send_form(&caller, Some(&user_message(&e))).into_response(),
    }
}

async fn outbox(State(app): State<Arc<App>>, caller: Caller) -> Result<Markup, Error> {
    let mut conn = app.store.acquire().await?;
    let list = store::faxes::list(
        &mut conn,
        &caller.account.id,
        &store::faxes::FaxFilter { limit: 50, ..Default::default() },
    )
    .await?;
    let busy = list.iter().any(|f| f.recipients.iter().any(|r| !r.status.is_final()));
    Ok(page(
        "Outbox",
        Some(&caller),
        busy,
        html! {
            @if list.is_empty() { p { "No faxes sent yet. " a href="/send" { "Send one" } "." } }
            table {
                @for fax in &list {
                    @let view = views::FaxView::from(fax);
                    @for r in &view.recipients {
                        tr id=(view.id) {
                            td { (r.number) br; span.muted { (view.created_at) } }
                            td { span.status { (r.status.replace('_', " ")) } br;
                                 span.muted { (r.pages_sent) " of " (view.pages.map_or("?".to_owned(), |p| p.to_string())) " pages"
                                    @if let Some(rate) = r.rate { ", " (rate) " bit/s" }
                                    @if r.attempts > 1 { ", " (r.attempts) " calls" } }
                                 @if let Some(e) = &r.error { br; span.muted { (e.message) } } }
                            td { @if view.status == "in_progress" || view.status == "queued" {
                                    form method="post" action=(format!("/outbox/{}/cancel", view.id)) { button { "Cancel" } } } }
                        }
                    }
                    @if let Some(e) = &view.render_error { tr { td colspan="3" { span.error { (e.message) } } } }
                }
            }
        },
    ))
}

async fn cancel(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Redirect, Error> {
    faxes::cancel_fax(&app, &caller.account.id, &id).await?;
    Ok(Redirect::to("/outbox"))
}

async fn inbox_page(State(app): State<Arc<App>>, caller: Caller) -> Result<Markup, Error> {
    let mut conn = app.store.acquire().await?;
    let list = store::inbox::list(&mut conn, &caller.account.id, None, 50).await?;
    Ok(page(
        "Inbox",
        Some(&caller),
        false,
        html! {
            p.muted { "Faxes to " strong { (caller.account.fax_number) } " arrive here." }
            @if list.is_empty() { p { "No faxes received yet." } }
            table {
                @for r in &list {
                    @let view = views::ReceivedView::from(r);
                    tr {
                        td { @if !view.read { strong { "New " } } (view.from_number.clone().or(view.remote_ident.clone()).unwrap_or_else(|| "Unknown sender".into())) br; span.muted { (view.received_at) } }
                        td { (view.pages) " pages" }
                        td { @if view.pdf_available { a href=(format!("/inbox/{}/pdf", view.id)) { "PDF" } } }
                        td { form method="post" action=(format!("/inbox/{}/junk", view.id)) { button { "Report junk" } } }
                    }
                }
            }
        },
    ))
}

async fn inbox_pdf(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, Error> {
    let pdf = inbox::received_pdf(&app, &caller.account.id, &id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf"),
            (header::CONTENT_DISPOSITION, "inline; filename=\"fax.pdf\""),
        ],
        pdf,
    )
        .into_response())
}

async fn keys_page(State(app): State<Arc<App>>, caller: Caller) -> Result<Markup, Error> {
    keys_view(&app, &caller, None, None).await
}

async fn keys_view(
    app: &App,
    caller: &Caller,
    created: Option<&keys::CreatedKey>,
    error: Option<&str>,
) -> Result<Markup, Error> {
    let mut conn = app.store.acquire().await?;
    let list = store::api_keys::list(&mut conn, &caller.account.id).await?;
    Ok(page(
        "API keys",
        Some(caller),
        false,
        html! {
            (error_box(error))
            @if let Some(k) = created { p.ok { "New key — copy it now, it is not shown again:" br; code { (k.token) } } }
            form.card method="post" action="/keys" {
                label for="name" { "Name of a new key" } input #name name="name" required maxlength="100";
                button { "Create key" }
            }
            table {
                @for k in &list {
                    tr { td { (k.name) br; code.muted { "ffx_" (k.prefix) "_…" } }
                         td.muted { "created " (views::rfc3339(k.created_at)) }
                         td { @if k.revoked_at.is_none() { form method="post" action=(format!("/keys/{}/revoke", k.id)) { button { "Revoke" } } } @else { "revoked" } } }
                }
            }
            p.muted { "API documentation: " a href="/openapi.json" { "/openapi.json" } }
        },
    ))
}

#[derive(Debug, Deserialize)]
struct KeyForm {
    name: String,
}

async fn create_key(
    State(app): State<Arc<App>>,
    caller: Caller,
    axum::Form(form): axum::Form<KeyForm>,
) -> Result<Markup, Error> {
    match keys::create_key(&app, &caller.account.id, &form.name).await {
        Ok(created) => keys_view(&app, &caller, Some(&created), None).await,
        Err(e) => keys_view(&app, &caller, None, Some(&user_message(&e))).await,
    }
}

async fn revoke_key(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Redirect, Error> {
    let mut conn = app.store.acquire().await?;
    store::api_keys::revoke(&mut conn, &caller.account.id, &id, crate::now_ms()).await?;
    Ok(Redirect::to("/keys"))
}

/// The local mail outbox, when no SMTP server is configured: only the messages
/// addressed to the logged-in user.
async fn mail_page(State(app): State<Arc<App>>, caller: Caller) -> Result<Markup, Error> {
    let entries = match &app.config.mail {
        crate::config::MailTransport::Outbox(dir) => outbox_entries(dir.clone()).await?,
        crate::config::MailTransport::Smtp { .. } => Vec::new(),
    };
    let mine: Vec<_> = entries.into_iter().filter(|e| is_to(e, &caller.account.email)).collect();
    Ok(page(
        "Mail",
        Some(&caller),
        false,
        html! {
            @if matches!(app.config.mail, crate::config::MailTransport::Smtp { .. }) { p { "E-mail is delivered by the mail server." } }
            @else { p.muted { "No mail server is configured, so messages to you are kept here." } }
            table { @for e in &mine { tr { td { a href=(format!("/mail/{}", e.file_name)) { (e.subject) } } td.muted { (mail_date(e.date)) } } } }
        },
    ))
}

async fn mail_message(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Response, Error> {
    let crate::config::MailTransport::Outbox(dir) = &app.config.mail else { return Err(Error::NotFound) };
    let entry = outbox_entries(dir.clone())
        .await?
        .into_iter()
        .find(|e| e.file_name == name)
        .ok_or(Error::NotFound)?;
    if !is_to(&entry, &caller.account.email) {
        return Err(Error::NotFound);
    }
    let dir = dir.clone();
    let bytes = tokio::task::spawn_blocking(move || mail::outbox::read(&dir, &name))
        .await
        .map_err(|e| Error::Internal(e.to_string()))??;
    Ok((
        [
            (header::CONTENT_TYPE, "message/rfc822"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"message.eml\""),
        ],
        bytes,
    )
        .into_response())
}

async fn outbox_entries(dir: std::path::PathBuf) -> Result<Vec<mail::outbox::OutboxEntry>, Error> {
    tokio::task::spawn_blocking(move || mail::outbox::list(&dir))
        .await
        .map_err(|e| Error::Internal(e.to_string()))?
        .map_err(Error::Mail)
}

fn is_to(entry: &mail::outbox::OutboxEntry, email: &str) -> bool {
    entry.to.as_ref().is_some_and(|to| to.address().eq_ignore_ascii_case(email))
}

fn mail_date(date: std::time::SystemTime) -> String {
    jiff::Timestamp::try_from(date).map(|t| t.strftime("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_default()
}
