//! Junk-fax defence: the rules behind "zero tolerance for junk faxes".
//!
//! - **Block lists.** A user reports a received fax as junk ([`report_junk`]): the
//!   sender's number and T.30 identity go on that user's block list and the fax is
//!   deleted (row and image; nothing of a junk fax is worth keeping, and the block
//!   list remembers the sender). Before each call to an account, the dial worker
//!   asks [`refuses`]; a blocked caller gets `Answer::Reject`, so the sender sees
//!   its normal "rejected" result and nothing is stored for the callee.
//! - **Do-not-fax list.** A number on it cannot be faxed by anyone: `submit` refuses
//!   it ([`refuse_do_not_fax`], 422 `do_not_fax`) and the dial worker checks again
//!   right before dialling. Owners opt out without an account ([`start_opt_out`],
//!   [`confirm_opt_out`]): the service faxes a one-time code to the number through
//!   the carrier (job `dnf_code`), and only someone who can read faxes arriving at
//!   that number can type it in. Operators use `ferrofax admin do-not-fax`
//!   ([`admin`]).
//! - **Per-account limits.** [`check_send`] enforces the send rate and refuses a
//!   send up front once the day's page quota is used; [`charge_pages`] books
//!   pages × recipients when a fax is queued for dialling, or fails it with
//!   `page_quota_exceeded` without a call.
//! - **Abuse reports** from people without an account ([`submit_abuse_report`]),
//!   throttled per client address.
//!
//! Numbers are normalised to E.164 before they are stored or compared. Numbers,
//! identities and contacts never appear in logs or error messages.

pub mod admin;

use std::net::IpAddr;

use store::AnyConnection;
use store::junk::{BlockEntry, BlockKind};

use crate::{App, Error, secrets};

/// How long a faxed opt-out code stays valid.
pub const CODE_TTL_MS: i64 = 60 * 60 * 1000;
/// Wrong codes allowed before the opt-out request is discarded.
pub const CODE_MAX_ATTEMPTS: i64 = 5;
/// Digits of an opt-out code.
pub const CODE_DIGITS: usize = 8;
/// The T.30 identity (TSI) the service sends with its own faxes (opt-out codes).
pub const SERVICE_IDENT: &str = "FERROFAX";
/// Public-form submissions (opt-out requests, abuse reports) one client address
/// may make within the throttle window (`auth::THROTTLE_WINDOW_MS`, 15 minutes).
pub const PUBLIC_FORM_PER_ADDRESS: u64 = 3;
/// Code faxes one number may receive within the same window: the opt-out form must
/// not become a way to fax strangers.
pub const CODE_FAXES_PER_NUMBER: u64 = 2;
/// Milliseconds in the send-rate window.
const RATE_WINDOW_MS: i64 = 60_000;

/// Whether the account `callee_id` refuses a call from `number` identifying
/// itself as `ident`.
pub async fn refuses(
    conn: &mut AnyConnection,
    callee_id: &str,
    number: &str,
    ident: &str,
) -> Result<bool, Error> {
    Ok(store::junk::is_blocked(conn, callee_id, Some(number), Some(ident)).await?)
}

/// What a junk report did.
#[derive(Debug)]
pub struct JunkReport {
    /// The block-list entries the report made (or found already there).
    pub blocked: Vec<BlockEntry>,
}

/// Reports a received fax of `account_id` as junk: its sender's number and
/// identity are blocked and the fax (row and image) is deleted, in one
/// transaction for the rows. `NotFound` if it is not the account's.
pub async fn report_junk(
    app: &App,
    account_id: &str,
    received_id: &str,
    now: i64,
) -> Result<JunkReport, Error> {
    let mut tx = app.store.begin().await?;
    let received = store::inbox::get(&mut tx, account_id, received_id).await?.ok_or(Error::NotFound)?;
    let mut blocked = Vec::new();
    if let Some(number) = received.from_number.as_deref().filter(|n| !n.trim().is_empty()) {
        blocked
            .push(store::junk::block(&mut tx, account_id, BlockKind::Number, number, "report", now).await?);
    }
    if let Some(ident) = received.remote_ident.as_deref().filter(|i| !i.trim().is_empty()) {
        let ident: String = ident.trim().chars().take(store::junk::MAX_VALUE_CHARS).collect();
        blocked.push(store::junk::block(&mut tx, account_id, BlockKind::Ident, &ident, "report", now).await?);
    }
    store::inbox::delete(&mut tx, account_id, received_id).await?;
    tx.commit().await.map_err(store::Error::from)?;
    if let Some(blob) = received.blob_id.and_then(|b| b.parse::<blob::BlobId>().ok()) {
        app.blobs.delete(&blob).await?;
    }
    tracing::info!(account = %account_id, received = %received_id, entries = blocked.len(), "junk fax reported");
    Ok(JunkReport { blocked })
}

/// Adds a number or an identity to the account's block list by hand. Exactly one
/// of the two must be given; a number is normalised first.
pub async fn block_by_hand(
    app: &App,
    account_id: &str,
    number: Option<&str>,
    ident: Option<&str>,
    now: i64,
) -> Result<BlockEntry, Error> {
    let number = number.map(str::trim).filter(|n| !n.is_empty());
    let ident = ident.map(str::trim).filter(|i| !i.is_empty());
    let (kind, value) = match (number, ident) {
        (Some(number), None) => (BlockKind::Number, crate::api::faxes::validate_number(app, number)?),
        (None, Some(ident)) => {
            if ident.chars().count() > 20 || ident.chars().any(|c| !c.is_ascii() || c.is_ascii_control()) {
                return Err(Error::invalid(
                    "invalid_ident",
                    "a fax identity has at most 20 printable ASCII characters",
                ));
            }
            (BlockKind::Ident, ident.to_owned())
        }
        _ => return Err(Error::invalid("invalid_block", "give either a number or a fax identity")),
    };
    let mut conn = app.store.acquire().await?;
    store::junk::block(&mut conn, account_id, kind, &value, "manual", now).await.map_err(|e| match e {
        store::Error::Invalid(_) => Error::invalid(
            "block_list_full",
            format!("a block list holds at most {} entries", store::junk::MAX_BLOCKS),
        ),
        other => Error::Store(other),
    })
}

/// Refuses a send to any number on the do-not-fax list (422 `do_not_fax`).
pub async fn refuse_do_not_fax(app: &App, numbers: &[String]) -> Result<(), Error> {
    let mut conn = app.store.acquire().await?;
    for (index, number) in numbers.iter().enumerate() {
        if store::junk::on_do_not_fax(&mut conn, number).await? {
            return Err(Error::invalid(
                "do_not_fax",
                format!(
                    "recipient {} asked not to receive faxes from this service; it cannot be faxed",
                    index + 1
                ),
            ));
        }
    }
    Ok(())
}

/// Checks the per-account limits before a send is recorded, inside the send's
/// transaction (after the account is locked, so concurrent sends are counted
/// exactly): the send rate, and whether the day's page quota is used up.
pub async fn check_send(
    conn: &mut AnyConnection,
    app: &App,
    account_id: &str,
    now: i64,
) -> Result<(), Error> {
    let limits = app.config.send_limits;
    store::usage::lock_account(conn, account_id).await?;
    if limits.faxes_per_minute > 0 {
        let since = now - RATE_WINDOW_MS + 1;
        let (sent, first) = store::usage::faxes_since(conn, account_id, since).await?;
        if sent >= u64::from(limits.faxes_per_minute) {
            let free_at = first.unwrap_or(now) + RATE_WINDOW_MS;
            return Err(Error::Limited {
                code: "rate_limited",
                message: format!("an account may send at most {} faxes per minute", limits.faxes_per_minute),
                retry_after: seconds_until(free_at, now),
            });
        }
    }
    if limits.pages_per_day > 0 {
        let used = store::usage::pages_used(conn, account_id, store::usage::utc_day(now)).await?;
        if used >= limits.pages_per_day {
            return Err(quota_refusal(limits.pages_per_day, now));
        }
    }
    Ok(())
}

fn quota_refusal(quota: u64, now: i64) -> Error {
    let midnight = (store::usage::utc_day(now) + 1) * store::usage::DAY_MS;
    Error::Limited {
        code: "page_quota_exceeded",
        message: format!("the daily quota of {quota} pages is used up; it renews at 00:00 UTC"),
        retry_after: seconds_until(midnight, now),
    }
}

/// Whole seconds from `now` to `at`, at least 1.
fn seconds_until(at: i64, now: i64) -> u64 {
    u64::try_from((at - now + 999) / 1000).unwrap_or(0).max(1)
}

/// Why a fax is not dialled: a stable code and a sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// Stable code.
    pub code: &'static str,
    /// For the sender.
    pub message: String,
}

/// Books a rendered fax against its account's daily page quota, inside the
/// transaction that queues its calls: `pages` × the recipients still open. Returns
/// the refusal if it does not fit in what remains of the day; nothing is booked
/// then, and the caller fails the recipients without dialling.
pub async fn charge_pages(
    conn: &mut AnyConnection,
    app: &App,
    fax_id: &str,
    pages: usize,
    now: i64,
) -> Result<Option<Refusal>, Error> {
    let quota = app.config.send_limits.pages_per_day;
    if quota == 0 {
        return Ok(None);
    }
    let Some(fax) = store::faxes::get_any(conn, fax_id).await? else { return Ok(None) };
    let open = fax.recipients.iter().filter(|r| !r.status.is_final()).count();
    let charge = u64::try_from(pages.saturating_mul(open)).unwrap_or(u64::MAX);
    if charge == 0 {
        return Ok(None);
    }
    store::usage::lock_account(conn, &fax.account_id).await?;
    let day = store::usage::utc_day(now);
    if store::usage::charge_pages(conn, &fax.account_id, day, charge, quota).await?.is_some() {
        return Ok(None);
    }
    let used = store::usage::pages_used(conn, &fax.account_id, day).await?;
    Ok(Some(Refusal {
        code: "page_quota_exceeded",
        message: format!(
            "the fax needs {pages} pages × {open} recipients = {charge}; {} of today's {quota} remain",
            quota.saturating_sub(used)
        ),
    }))
}

/// A started opt-out: the request id the owner confirms with, and when the code
/// expires.
#[derive(Debug, Clone)]
pub struct OptOutStarted {
    /// The request (challenge) id.
    pub request_id: String,
    /// When the code stops working (Unix ms).
    pub expires_at: i64,
}

/// Starts an opt-out for `number`: records a challenge and queues the fax that
/// carries its one-time code to the number. Throttled per client address and per
/// number. `already_listed` (409) if the number is on the list.
pub async fn start_opt_out(
    app: &App,
    number: &str,
    client: Option<IpAddr>,
    now: i64,
) -> Result<OptOutStarted, Error> {
    let number = crate::api::faxes::validate_number(app, number)?;
    {
        let mut conn = app.store.acquire().await?;
        if store::junk::on_do_not_fax(&mut conn, &number).await? {
            return Err(Error::Conflict {
                code: "already_listed",
                message: "this number is on the do-not-fax list already".into(),
            });
        }
    }
    if let Some(client) = client {
        throttle(app, "dnf-ip", &client.to_string(), PUBLIC_FORM_PER_ADDRESS, now).await?;
    }
    throttle(app, "dnf-number", &number, CODE_FAXES_PER_NUMBER, now).await?;
    let code = new_code()?;
    let expires_at = now + CODE_TTL_MS;
    let mut tx = app.store.begin().await?;
    let challenge =
        store::junk::create_challenge(&mut tx, &number, &code_hash(&number, &code), expires_at, now).await?;
    crate::jobs::enqueue_code_fax(
        &mut tx,
        &crate::jobs::CodeFaxJob { challenge_id: challenge.id.clone(), number, code },
        now,
    )
    .await?;
    tx.commit().await.map_err(store::Error::from)?;
    tracing::info!(request = %challenge.id, "do-not-fax code requested");
    Ok(OptOutStarted { request_id: challenge.id, expires_at })
}

/// Confirms an opt-out with the code from the fax; returns the number now listed.
/// A wrong, expired or used code is `invalid_code` (422); after
/// [`CODE_MAX_ATTEMPTS`] wrong codes the request is discarded.
pub async fn confirm_opt_out(app: &App, request_id: &str, code: &str, now: i64) -> Result<String, Error> {
    let invalid = || Error::invalid("invalid_code", "the code is wrong or has expired; request a new one");
    let code: String = code.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
    if request_id.len() > 64 || code.len() > 32 {
        return Err(invalid());
    }
    let mut tx = app.store.begin().await?;
    let challenge = store::junk::challenge(&mut tx, request_id, now).await?.ok_or_else(invalid)?;
    if !secrets::constant_time_eq(&code_hash(&challenge.number, &code), &challenge.code_hash) {
        let attempts = store::junk::challenge_failed(&mut tx, &challenge.id).await?;
        if attempts >= CODE_MAX_ATTEMPTS {
            store::junk::delete_challenge(&mut tx, &challenge.id).await?;
        }
        tx.commit().await.map_err(store::Error::from)?;
        return Err(invalid());
    }
    if !store::junk::delete_challenge(&mut tx, &challenge.id).await? {
        return Err(invalid());
    }
    store::junk::add_do_not_fax(&mut tx, &challenge.number, "owner", now).await?;
    tx.commit().await.map_err(store::Error::from)?;
    tracing::info!(request = %challenge.id, "number put on the do-not-fax list by its owner");
    Ok(challenge.number)
}

/// A new random code of [`CODE_DIGITS`] decimal digits.
fn new_code() -> Result<String, Error> {
    let bytes = secrets::random_bytes::<{ CODE_DIGITS }>()?;
    // 256 is not a multiple of 10, so reject the top 6 values of each byte to keep
    // every digit equally likely; a rejected byte is replaced from a fresh draw.
    let mut code = String::with_capacity(CODE_DIGITS);
    let mut pool = bytes.to_vec();
    while code.len() < CODE_DIGITS {
        match pool.pop() {
            Some(b) if b < 250 => code.push(char::from(b'0' + b % 10)),
            Some(_) => {}
            None => pool.extend_from_slice(&secrets::random_bytes::<{ CODE_DIGITS }>()?),
        }
    }
    Ok(code)
}

/// The stored form of a code: SHA-256 over the number and the code, so a code
/// works only for the number it was faxed to.
fn code_hash(number: &str, code: &str) -> Vec<u8> {
    secrets::hash(&format!("do-not-fax\u{0}{number}\u{0}{code}"))
}

/// The text of the one-page fax that carries an opt-out code.
pub fn code_fax_text(code: &str) -> String {
    format!(
        "Ferrofax: do-not-fax confirmation\n\n\
         Someone asked that this fax number receive no more faxes from the\n\
         Ferrofax service. If that was you, type this code on the page where\n\
         you asked:\n\n\
         {code}\n\n\
         The code works for one hour. If you did not ask, ignore this fax;\n\
         nothing changes.\n"
    )
}

/// The pages of the code fax, rendered from [`code_fax_text`] like any text
/// document (A4, fine resolution).
pub fn code_fax_pages(code: &str) -> Result<Vec<fax_image::Page>, Error> {
    render::render(code_fax_text(code).into_bytes(), &render::Options::default())
        .map_err(|e| Error::Internal(format!("code fax: {e}")))
}

/// An abuse report from someone without an account.
#[derive(Debug)]
pub struct AbuseInput {
    /// How to reach the reporter, if they want an answer (personal data).
    pub contact: Option<pii::Pii<String>>,
    /// The number that sent junk, or the Ferrofax number abused.
    pub number: pii::Pii<String>,
    /// What happened.
    pub details: pii::Pii<String>,
}

/// Stores an abuse report after checking its sizes, throttled per client address.
pub async fn submit_abuse_report(
    app: &App,
    input: AbuseInput,
    client: Option<IpAddr>,
    now: i64,
) -> Result<store::abuse::AbuseReport, Error> {
    let contact = input.contact.map(|c| c.expose().trim().to_owned()).filter(|c| !c.is_empty());
    if contact.as_ref().is_some_and(|c| c.chars().count() > store::abuse::MAX_CONTACT_CHARS) {
        return Err(Error::invalid(
            "invalid_contact",
            format!("the contact may have at most {} characters", store::abuse::MAX_CONTACT_CHARS),
        ));
    }
    let details = input.details.expose().trim().to_owned();
    if details.chars().count() > store::abuse::MAX_DETAILS_CHARS {
        return Err(Error::invalid(
            "invalid_details",
            format!("the description may have at most {} characters", store::abuse::MAX_DETAILS_CHARS),
        ));
    }
    let number = crate::api::faxes::validate_number(app, input.number.expose())?;
    if let Some(client) = client {
        throttle(app, "abuse-ip", &client.to_string(), PUBLIC_FORM_PER_ADDRESS, now).await?;
    }
    let mut conn = app.store.acquire().await?;
    let report =
        store::abuse::create(&mut conn, store::abuse::NewAbuseReport { contact, number, details }, now)
            .await?;
    tracing::info!(report = %report.id, "abuse report received");
    Ok(report)
}

/// Counts one use of a public form for `subject` (hashed, never stored in clear)
/// and refuses with 429 `rate_limited` once `limit` uses fall in the window.
async fn throttle(app: &App, purpose: &str, subject: &str, limit: u64, now: i64) -> Result<(), Error> {
    let key = format!("{purpose}:{}", hex::encode(secrets::hash(subject)));
    let mut conn = app.store.acquire().await?;
    let window = crate::auth::THROTTLE_WINDOW_MS;
    if store::throttle::failures_since(&mut conn, &key, now - window).await? >= limit {
        return Err(Error::Limited {
            code: "rate_limited",
            message: "too many requests from here; try again later".into(),
            retry_after: seconds_until(now + window, now),
        });
    }
    store::throttle::record_failure(&mut conn, &key, now).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_have_the_documented_digits_and_vary() {
        let a = new_code().unwrap();
        let b = new_code().unwrap();
        assert_eq!(a.len(), CODE_DIGITS);
        assert!(a.bytes().all(|c| c.is_ascii_digit()));
        // Two equal 8-digit codes in a row would be a broken generator (p = 1e-8).
        assert_ne!(a, b);
    }

    #[test]
    fn a_code_is_bound_to_its_number() {
        assert_eq!(code_hash("+4930111", "12345678"), code_hash("+4930111", "12345678"));
        assert_ne!(code_hash("+4930111", "12345678"), code_hash("+4930222", "12345678"));
        assert_ne!(code_hash("+4930111", "12345678"), code_hash("+4930111", "12345679"));
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(seconds_until(1_000, 0), 1);
        assert_eq!(seconds_until(1_001, 0), 2);
        assert_eq!(seconds_until(0, 5), 1, "never zero");
    }
}
