//! Who is calling: session cookies, API keys, passwords, login throttling.
//!
//! A browser holds `ffx_session`, a random token whose SHA-256 is the session's
//! key in the database. Without "remember me" the cookie has no expiry, so it ends
//! with the browser; with it, the cookie lasts `auth.remember_days`. The cookie is
//! HttpOnly, SameSite=Lax and Secure when the public URL is https. Requests that
//! change state with a cookie must come from our own origin (checked on `Origin`),
//! which, with SameSite, keeps other sites from submitting forms as the user.
//!
//! Programs send `Authorization: Bearer ffx_<prefix>_<secret>`; the prefix finds
//! the key, the secret's SHA-256 must match.

use std::sync::Arc;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{Method, header};
use axum_extra::extract::cookie::{Cookie, SameSite};

use crate::{App, Error, now_ms, secrets};

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "ffx_session";

/// Window over which failed logins are counted.
pub const THROTTLE_WINDOW_MS: i64 = 15 * 60 * 1000;

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Longest password accepted (argon2 takes any length; this bounds the work).
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The account.
    pub account: store::accounts::Account,
    /// How they authenticated.
    pub via: Via,
}

/// How a caller authenticated.
#[derive(Debug, Clone)]
pub enum Via {
    /// A browser session (its hash).
    Session(Vec<u8>),
    /// An API key (its id).
    ApiKey(String),
}

impl FromRequestParts<Arc<App>> for Caller {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Caller, Error> {
        if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
            let value = value.to_str().map_err(|_| Error::Unauthenticated)?;
            let token = value.strip_prefix("Bearer ").ok_or(Error::Unauthenticated)?.trim();
            return caller_from_api_key(app, token).await;
        }
        let jar = axum_extra::extract::CookieJar::from_headers(&parts.headers);
        let cookie = jar.get(SESSION_COOKIE).ok_or(Error::Unauthenticated)?;
        let id_hash = secrets::hash(cookie.value());
        let now = now_ms();
        let mut conn = app.store.acquire().await?;
        let session = store::sessions::get(&mut conn, &id_hash, now).await?.ok_or(Error::Unauthenticated)?;
        if parts.method != Method::GET && parts.method != Method::HEAD {
            check_origin(parts, &app.config.public_url)?;
        }
        let account =
            store::accounts::by_id(&mut conn, &session.account_id).await?.ok_or(Error::Unauthenticated)?;
        // Touch at most once a minute: a session in use should not cost a write per request.
        if now - session.last_seen_at > 60_000 {
            store::sessions::touch(&mut conn, &id_hash, now).await?;
        }
        Ok(Caller { account, via: Via::Session(id_hash) })
    }
}

/// An optional caller, for pages that show something else to visitors.
#[derive(Debug, Clone)]
pub struct MaybeCaller(pub Option<Caller>);

impl FromRequestParts<Arc<App>> for MaybeCaller {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<MaybeCaller, Error> {
        match Caller::from_request_parts(parts, app).await {
            Ok(caller) => Ok(MaybeCaller(Some(caller))),
            Err(Error::Unauthenticated) => Ok(MaybeCaller(None)),
            Err(other) => Err(other),
        }
    }
}

async fn caller_from_api_key(app: &App, token: &str) -> Result<Caller, Error> {
    let (prefix, secret) = split_api_key(token).ok_or(Error::Unauthenticated)?;
    let mut conn = app.store.acquire().await?;
    let (key, stored_hash) =
        store::api_keys::find_active(&mut conn, prefix).await?.ok_or(Error::Unauthenticated)?;
    if !secrets::constant_time_eq(&secrets::hash(secret), &stored_hash) {
        return Err(Error::Unauthenticated);
    }
    let account = store::accounts::by_id(&mut conn, &key.account_id).await?.ok_or(Error::Unauthenticated)?;
    let now = now_ms();
    if key.last_used_at.is_none_or(|t| now - t > 60_000) {
        store::api_keys::touch(&mut conn, &key.id, now).await?;
    }
    Ok(Caller { account, via: Via::ApiKey(key.id) })
}

/// A new API key: `(prefix, full token)`. Only the secret's hash is stored.
pub fn new_api_key() -> Result<(String, String, Vec<u8>), Error> {
    let prefix = hex::encode(secrets::random_bytes::<6>()?);
    let secret = secrets::token()?;
    let hash = secrets::hash(&secret);
    Ok((prefix.clone(), format!("ffx_{prefix}_{secret}"), hash))
}

fn split_api_key(token: &str) -> Option<(&str, &str)> {
    let rest = token.strip_prefix("ffx_")?;
    let (prefix, secret) = rest.split_once('_')?;
    (prefix.len() == 12 && prefix.bytes().all(|b| b.is_ascii_hexdigit()) && !secret.is_empty())
        .then_some((prefix, secret))
}

/// Refuses state-changing cookie requests from other origins.
fn check_origin(parts: &Parts, public_url: &str) -> Result<(), Error> {
    let Some(origin) = parts.headers.get(header::ORIGIN) else {
        // Browsers send Origin on every cross-site POST; its absence means a
        // same-site navigation or a non-browser client, which SameSite covers.
        return Ok(());
    };
    let origin = origin.to_str().map_err(|_| Error::Forbidden("bad origin"))?;
    let own = url::Url::parse(public_url).map(|u| u.origin().ascii_serialization()).unwrap_or_default();
    let host_origin = parts
        .headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(|host| [format!("http://{host}"), format!("https://{host}")]);
    if origin == own || host_origin.is_some_and(|o| o.contains(&origin.to_owned())) {
        Ok(())
    } else {
        Err(Error::Forbidden("cross-site request"))
    }
}

/// Hashes a password with argon2id (the crate's defaults: 19 MiB, 2 passes).
pub fn hash_password(password: &str) -> Result<String, Error> {
    check_password(password)?;
    let salt_bytes = secrets::random_bytes::<16>()?;
    let salt = SaltString::encode_b64(&salt_bytes).map_err(|e| Error::Internal(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Internal(format!("password hashing: {e}")))
}

/// Checks a password against a stored argon2 hash.
pub fn verify_password(password: &str, stored: &str) -> bool {
    if password.len() > MAX_PASSWORD_BYTES {
        return false;
    }
    PasswordHash::new(stored)
        .is_ok_and(|hash| Argon2::default().verify_password(password.as_bytes(), &hash).is_ok())
}

/// The password rules.
pub fn check_password(password: &str) -> Result<(), Error> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(Error::invalid(
            "weak_password",
            format!("the password must have at least {MIN_PASSWORD_CHARS} characters"),
        ));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(Error::invalid("invalid_password", "the password is too long"));
    }
    Ok(())
}

/// Creates a session for `account_id` and returns the cookie to set.
pub async fn start_session(app: &App, account_id: &str, remember: bool) -> Result<Cookie<'static>, Error> {
    let token = secrets::token()?;
    let now = now_ms();
    let lifetime = if remember { app.config.remember_lifetime } else { app.config.session_lifetime };
    let expires = now + i64::try_from(lifetime.as_millis()).unwrap_or(i64::MAX / 2);
    let mut conn = app.store.acquire().await?;
    store::sessions::create(&mut conn, &secrets::hash(&token), account_id, expires, remember, now).await?;
    let mut cookie = Cookie::build((SESSION_COOKIE, token))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(app.config.secure_cookies());
    if remember {
        cookie = cookie
            .max_age(cookie::time::Duration::seconds(i64::try_from(lifetime.as_secs()).unwrap_or(i64::MAX)));
    }
    Ok(cookie.build())
}

/// A cookie that removes the session cookie.
pub fn clear_session_cookie(app: &App) -> Cookie<'static> {
    let mut cookie = Cookie::build((SESSION_COOKIE, ""))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(app.config.secure_cookies())
        .build();
    cookie.make_removal();
    cookie
}

/// Checks e-mail and password, with throttling per account and per client address.
pub async fn login(
    app: &App,
    email: &str,
    password: &str,
    client: Option<&str>,
) -> Result<store::accounts::Account, Error> {
    let now = now_ms();
    let since = now - THROTTLE_WINDOW_MS;
    let email_key = format!("email:{}", hex::encode(secrets::hash(&email.trim().to_lowercase())));
    let client_key = client.map(|c| format!("ip:{c}"));
    let mut conn = app.store.acquire().await?;
    let limit = app.config.login_attempts;
    let mut over = store::throttle::failures_since(&mut conn, &email_key, since).await? >= limit;
    if let Some(key) = &client_key {
        // An address gets more room than one account: offices share addresses.
        over |= store::throttle::failures_since(&mut conn, key, since).await? >= limit * 4;
    }
    if over {
        return Err(Error::TooManyRequests((THROTTLE_WINDOW_MS / 1000) as u64));
    }
    let account = store::accounts::by_email(&mut conn, email).await?;
    // Hash even when the account does not exist, so timing does not reveal which
    // e-mail addresses have accounts.
    const DUMMY: &str =
        "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Ht0ky6Ox3Fy7WeL8ccwTf6XWlCw3KFo2lwtw5a4Ozsw";
    let ok = match &account {
        Some(account) => verify_password(password, &account.password_hash),
        None => {
            let _ = verify_password(password, DUMMY);
            false
        }
    };
    match (ok, account) {
        (true, Some(account)) => {
            store::throttle::clear(&mut conn, &email_key).await?;
            Ok(account)
        }
        _ => {
            store::throttle::record_failure(&mut conn, &email_key, now).await?;
            if let Some(key) = &client_key {
                store::throttle::record_failure(&mut conn, key, now).await?;
            }
            Err(Error::Unauthenticated)
        }
    }
}

/// Throttles requests that send mail to an address (password reset), by address.
pub async fn throttle_mail(app: &App, purpose: &str, email: &str) -> Result<bool, Error> {
    let now = now_ms();
    let key = format!("{purpose}:{}", hex::encode(secrets::hash(&email.trim().to_lowercase())));
    let mut conn = app.store.acquire().await?;
    if store::throttle::failures_since(&mut conn, &key, now - THROTTLE_WINDOW_MS).await? >= 3 {
        return Ok(false);
    }
    store::throttle::record_failure(&mut conn, &key, now).await?;
    Ok(true)
}
