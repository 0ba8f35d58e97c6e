//! Registration, login, the account itself, e-mail verification, password reset.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Json;
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum_extra::extract::CookieJar;
use serde::Deserialize;
use utoipa::ToSchema;

use super::views::{AccountView, DeliveryView};
use crate::auth::{self, Caller, Via};
use crate::jobs::{self, MailJob};
use crate::{App, Error, now_ms, secrets};

/// Version of the terms of service a new account accepts.
pub const TERMS_VERSION: &str = "2026-11-01";
/// Version of the privacy policy a new account accepts.
pub const PRIVACY_VERSION: &str = "2026-11-01";
/// How long an e-mail verification link stays valid.
const VERIFY_TTL_MS: i64 = 7 * 24 * 3600 * 1000;
/// How long a password-reset link stays valid.
const RESET_TTL_MS: i64 = 3600 * 1000;

/// Sign-up.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Registration {
    /// Name.
    pub name: String,
    /// E-mail address (login and notifications).
    pub email: String,
    /// Password, at least 10 characters.
    pub password: String,
    /// Optional phone number (E.164).
    #[serde(default)]
    pub phone: Option<String>,
    /// Confirms the person is 13 or older; required.
    #[serde(default)]
    pub age_confirmed: bool,
    /// Accepts the current terms and privacy policy; required.
    #[serde(default)]
    pub accept_terms: bool,
    /// Promotional e-mail; off unless asked for.
    #[serde(default)]
    pub marketing_opt_in: bool,
    /// Keep the browser logged in ("remember me").
    #[serde(default)]
    pub remember: bool,
}

/// Creates an account, gives it a fax number, sends the welcome e-mail and logs in.
#[utoipa::path(post, path = "/v1/accounts", request_body = Registration,
    responses((status = 201, body = AccountView), (status = 409, body = crate::ErrorBody), (status = 422, body = crate::ErrorBody)))]
pub async fn register(
    State(app): State<Arc<App>>,
    jar: CookieJar,
    Json(form): Json<Registration>,
) -> Result<(StatusCode, CookieJar, Json<AccountView>), Error> {
    let account = create_account(&app, &form).await?;
    let cookie = auth::start_session(&app, &account.id, form.remember).await?;
    Ok((StatusCode::CREATED, jar.add(cookie), Json(AccountView::from(&account))))
}

/// Validates a registration and creates the account with its welcome mail.
pub async fn create_account(app: &App, form: &Registration) -> Result<store::accounts::Account, Error> {
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(Error::invalid("invalid_name", "the name must have 1 to 200 characters"));
    }
    let email = validate_email(&form.email)?;
    if !form.age_confirmed {
        return Err(Error::invalid("age_not_confirmed", "Ferrofax accounts are for people aged 13 or over"));
    }
    if !form.accept_terms {
        return Err(Error::invalid("terms_not_accepted", "the terms and privacy policy must be accepted"));
    }
    let phone = match form.phone.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) => Some(crate::api::faxes::validate_number(app, p)?),
        None => None,
    };
    let password_hash = auth::hash_password(&form.password)?;
    let now = now_ms();
    let verify_token = secrets::token()?;
    let mut tx = app.store.begin().await?;
    let account = store::accounts::create(
        &mut tx,
        store::accounts::NewAccount {
            name: name.to_owned(),
            email,
            phone,
            password_hash,
            age_confirmed_at: now,
            terms_version: TERMS_VERSION.to_owned(),
            privacy_version: PRIVACY_VERSION.to_owned(),
            marketing_opt_in: form.marketing_opt_in,
            webhook_secret: webhook::Secret::generate()
                .map_err(|e| Error::Internal(e.to_string()))?
                .to_string(),
        },
        &app.config.numbers,
        now,
    )
    .await
    .map_err(|e| match e {
        store::Error::Conflict("email") => Error::Conflict {
            code: "email_taken",
            message: "an account with this e-mail address exists".into(),
        },
        store::Error::Conflict(_) => {
            Error::Conflict { code: "no_numbers_left", message: "no fax numbers are left to assign".into() }
        }
        other => Error::Store(other),
    })?;
    store::tokens::create(
        &mut tx,
        &account.id,
        "verify",
        &secrets::hash(&verify_token),
        now + VERIFY_TTL_MS,
        now,
    )
    .await?;
    jobs::enqueue_mail(&mut tx, &MailJob::Welcome { account_id: account.id.clone(), verify_token }, now)
        .await?;
    tx.commit().await.map_err(store::Error::from)?;
    tracing::info!(account = %account.id, "account created");
    Ok(account)
}

/// A loosely checked e-mail address, lower-cased.
pub fn validate_email(email: &str) -> Result<String, Error> {
    let email = email.trim().to_lowercase();
    let valid = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && local.len() <= 64
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains("..")
        })
        && !email.chars().any(|c| c.is_whitespace() || c.is_control() || "<>,;\"\\()[]".contains(c))
        && email.matches('@').count() == 1;
    if valid { Ok(email) } else { Err(Error::invalid("invalid_email", "the e-mail address is not valid")) }
}

/// Log-in.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Login {
    /// E-mail address.
    pub email: String,
    /// Password.
    pub password: String,
    /// Keep the browser logged in.
    #[serde(default)]
    pub remember: bool,
}

/// Logs in and sets the session cookie.
#[utoipa::path(post, path = "/v1/sessions", request_body = Login,
    responses((status = 200, body = AccountView), (status = 401, body = crate::ErrorBody), (status = 429, body = crate::ErrorBody)))]
pub async fn login(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    jar: CookieJar,
    Json(form): Json<Login>,
) -> Result<(CookieJar, Json<AccountView>), Error> {
    let account = auth::login(&app, &form.email, &form.password, Some(&peer.ip().to_string())).await?;
    let cookie = auth::start_session(&app, &account.id, form.remember).await?;
    Ok((jar.add(cookie), Json(AccountView::from(&account))))
}

/// Ends the current browser session.
#[utoipa::path(delete, path = "/v1/sessions/current", responses((status = 204)))]
pub async fn logout(
    State(app): State<Arc<App>>,
    caller: Caller,
    jar: CookieJar,
) -> Result<(StatusCode, CookieJar), Error> {
    if let Via::Session(hash) = &caller.via {
        let mut conn = app.store.acquire().await?;
        store::sessions::delete(&mut conn, hash).await?;
    }
    Ok((StatusCode::NO_CONTENT, jar.add(auth::clear_session_cookie(&app))))
}

/// The caller's account.
#[utoipa::path(get, path = "/v1/account", responses((status = 200, body = AccountView), (status = 401, body = crate::ErrorBody)),
    security(("api_key" = []), ("session" = [])))]
pub async fn me(caller: Caller) -> Json<AccountView> {
    Json(AccountView::from(&caller.account))
}

/// Changes to the account; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AccountUpdate {
    /// New name.
    pub name: Option<String>,
    /// New phone number; empty string removes it.
    pub phone: Option<String>,
    /// E-mail on delivery.
    pub notify_on_sent: Option<bool>,
    /// E-mail on failure.
    pub notify_on_failure: Option<bool>,
    /// E-mail received faxes.
    pub notify_on_receive: Option<bool>,
    /// Webhook URL; empty string removes it.
    pub webhook_url: Option<String>,
}

/// Corrects the profile and settings.
#[utoipa::path(patch, path = "/v1/account", request_body = AccountUpdate,
    responses((status = 200, body = AccountView), (status = 422, body = crate::ErrorBody)), security(("api_key" = []), ("session" = [])))]
pub async fn update_me(
    State(app): State<Arc<App>>,
    caller: Caller,
    Json(update): Json<AccountUpdate>,
) -> Result<Json<AccountView>, Error> {
    let account = apply_update(&app, &caller.account, update).await?;
    Ok(Json(AccountView::from(&account)))
}

/// Applies an [`AccountUpdate`].
pub async fn apply_update(
    app: &App,
    account: &store::accounts::Account,
    update: AccountUpdate,
) -> Result<store::accounts::Account, Error> {
    let mut tx = app.store.begin().await?;
    if update.name.is_some() || update.phone.is_some() {
        let name = update.name.as_deref().map(str::trim).unwrap_or(&account.name).to_owned();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(Error::invalid("invalid_name", "the name must have 1 to 200 characters"));
        }
        let phone = match update.phone.as_deref().map(str::trim) {
            None => account.phone.clone(),
            Some("") => None,
            Some(p) => Some(crate::api::faxes::validate_number(app, p)?),
        };
        store::accounts::update_profile(&mut tx, &account.id, &name, phone.as_deref()).await?;
    }
    if update.notify_on_sent.is_some()
        || update.notify_on_failure.is_some()
        || update.notify_on_receive.is_some()
    {
        store::accounts::set_notifications(
            &mut tx,
            &account.id,
            update.notify_on_sent.unwrap_or(account.notify_on_sent),
            update.notify_on_failure.unwrap_or(account.notify_on_failure),
            update.notify_on_receive.unwrap_or(account.notify_on_receive),
        )
        .await?;
    }
    if let Some(url) = update.webhook_url.as_deref().map(str::trim) {
        let url = if url.is_empty() { None } else { Some(crate::api::faxes::validate_callback(url)?) };
        store::accounts::set_webhook(&mut tx, &account.id, url).await?;
    }
    let updated = store::accounts::by_id(&mut tx, &account.id).await?.ok_or(Error::NotFound)?;
    tx.commit().await.map_err(store::Error::from)?;
    Ok(updated)
}

/// A token from an e-mail link.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TokenBody {
    /// The token.
    pub token: String,
}

/// Confirms the e-mail address with the token from the welcome e-mail.
#[utoipa::path(post, path = "/v1/account/verify-email", request_body = TokenBody,
    responses((status = 204), (status = 422, body = crate::ErrorBody)))]
pub async fn verify_email(
    State(app): State<Arc<App>>,
    Json(body): Json<TokenBody>,
) -> Result<StatusCode, Error> {
    confirm_email(&app, &body.token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Consumes a verification token.
pub async fn confirm_email(app: &App, token: &str) -> Result<(), Error> {
    let now = now_ms();
    let mut tx = app.store.begin().await?;
    let account_id = store::tokens::consume(&mut tx, "verify", &secrets::hash(token), now)
        .await?
        .ok_or_else(|| Error::invalid("invalid_token", "the link is invalid or has expired"))?;
    store::accounts::set_email_verified(&mut tx, &account_id, now).await?;
    tx.commit().await.map_err(store::Error::from)?;
    Ok(())
}

/// Asks for a password-reset link.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ResetRequest {
    /// The account's e-mail address.
    pub email: String,
}

/// Sends a password-reset link if the address has an account. Always answers 202,
/// so the answer does not reveal which addresses have accounts.
#[utoipa::path(post, path = "/v1/password-reset", request_body = ResetRequest, responses((status = 202)))]
pub async fn request_password_reset(
    State(app): State<Arc<App>>,
    Json(body): Json<ResetRequest>,
) -> Result<StatusCode, Error> {
    start_password_reset(&app, &body.email).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Creates a reset token and queues its mail, when the address has an account.
pub async fn start_password_reset(app: &App, email: &str) -> Result<(), Error> {
    let Ok(email) = validate_email(email) else { return Ok(()) };
    if !auth::throttle_mail(app, "reset", &email).await? {
        return Ok(());
    }
    let now = now_ms();
    let mut tx = app.store.begin().await?;
    if let Some(account) = store::accounts::by_email(&mut tx, &email).await? {
        let token = secrets::token()?;
        store::tokens::create(&mut tx, &account.id, "reset", &secrets::hash(&token), now + RESET_TTL_MS, now)
            .await?;
        jobs::enqueue_mail(&mut tx, &MailJob::PasswordReset { account_id: account.id, token }, now).await?;
    }
    tx.commit().await.map_err(store::Error::from)?;
    Ok(())
}

/// A new password with the token from the reset e-mail.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ResetConfirm {
    /// Token from the e-mail.
    pub token: String,
    /// New password.
    pub password: String,
}

/// Sets a new password; every session of the account ends.
#[utoipa::path(post, path = "/v1/password-reset/confirm", request_body = ResetConfirm,
    responses((status = 204), (status = 422, body = crate::ErrorBody)))]
pub async fn confirm_password_reset(
    State(app): State<Arc<App>>,
    Json(body): Json<ResetConfirm>,
) -> Result<StatusCode, Error> {
    finish_password_reset(&app, &body.token, &body.password).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Consumes a reset token and sets the password.
pub async fn finish_password_reset(app: &App, token: &str, password: &str) -> Result<(), Error> {
    let hash = auth::hash_password(password)?;
    let now = now_ms();
    let mut tx = app.store.begin().await?;
    let account_id = store::tokens::consume(&mut tx, "reset", &secrets::hash(token), now)
        .await?
        .ok_or_else(|| Error::invalid("invalid_token", "the link is invalid or has expired"))?;
    store::accounts::set_password_hash(&mut tx, &account_id, &hash).await?;
    store::sessions::delete_for_account(&mut tx, &account_id).await?;
    tx.commit().await.map_err(store::Error::from)?;
    Ok(())
}

/// The webhook delivery log of the caller's account, newest first.
#[utoipa::path(get, path = "/v1/webhooks/deliveries", responses((status = 200, body = Vec<DeliveryView>)),
    security(("api_key" = []), ("session" = [])))]
pub async fn webhook_deliveries(
    State(app): State<Arc<App>>,
    caller: Caller,
) -> Result<Json<Vec<DeliveryView>>, Error> {
    let mut conn = app.store.acquire().await?;
    let deliveries = store::webhooks::list(&mut conn, &caller.account.id, 100).await?;
    Ok(Json(deliveries.iter().map(DeliveryView::from).collect()))
}
