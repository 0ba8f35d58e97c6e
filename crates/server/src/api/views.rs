//! What the API returns: JSON shapes built from store rows.

use serde::Serialize;
use store::faxes::{Fax, Recipient, RecipientStatus};
use utoipa::ToSchema;

/// RFC 3339 UTC time of a Unix-millisecond timestamp.
pub fn rfc3339(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).map(|t| t.to_string()).unwrap_or_default()
}

/// An account as its owner sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountView {
    /// Account id.
    pub id: String,
    /// Name.
    pub name: String,
    /// E-mail address.
    pub email: String,
    /// Whether the address is confirmed.
    pub email_verified: bool,
    /// Phone number, if given.
    pub phone: Option<String>,
    /// The account's fax number (E.164).
    pub fax_number: String,
    /// E-mail when a fax was delivered.
    pub notify_on_sent: bool,
    /// E-mail when a fax failed.
    pub notify_on_failure: bool,
    /// E-mail each received fax as a PDF.
    pub notify_on_receive: bool,
    /// Promotional e-mail (opt-in).
    pub marketing_opt_in: bool,
    /// Where events are posted (Standard Webhooks).
    pub webhook_url: Option<String>,
    /// Secret that signs webhooks (`whsec_…`).
    pub webhook_secret: String,
    /// Creation time.
    pub created_at: String,
}

impl From<&store::accounts::Account> for AccountView {
    fn from(a: &store::accounts::Account) -> AccountView {
        AccountView {
            id: a.id.clone(),
            name: a.name.clone(),
            email: a.email.clone(),
            email_verified: a.email_verified_at.is_some(),
            phone: a.phone.clone(),
            fax_number: a.fax_number.clone(),
            notify_on_sent: a.notify_on_sent,
            notify_on_failure: a.notify_on_failure,
            notify_on_receive: a.notify_on_receive,
            marketing_opt_in: a.marketing_opt_in,
            webhook_url: a.webhook_url.clone(),
            webhook_secret: a.webhook_secret.clone(),
            created_at: rfc3339(a.created_at),
        }
    }
}

/// A typed error of a recipient or a rendering.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FaxError {
    /// Stable code: `busy`, `no_answer`, `rejected`, `no_route`, `conversion_failed`, a T.30 failure code…
    pub code: String,
    /// Explanation.
    pub message: String,
}

/// One recipient of an outgoing fax.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecipientView {
    /// Recipient id.
    pub id: String,
    /// Number dialled (E.164).
    pub number: String,
    /// `queued`, `rendering`, `dialing`, `sending`, `retry_scheduled`, `delivered`, `partially_delivered`, `failed` or `canceled`.
    pub status: String,
    /// Why it failed or is being retried.
    pub error: Option<FaxError>,
    /// Pages the receiver confirmed.
    pub pages_sent: i64,
    /// Signalling rate of the last call, bit/s.
    pub rate: Option<i64>,
    /// Whether error correction was used.
    pub ecm: Option<bool>,
    /// The receiver's identification (CSI).
    pub remote_ident: Option<String>,
    /// Line time of the last call in milliseconds.
    pub duration_ms: Option<i64>,
    /// Calls made.
    pub attempts: i64,
    /// When the next call is due.
    pub next_attempt_at: Option<String>,
    /// When it reached its final state.
    pub completed_at: Option<String>,
}

impl From<&Recipient> for RecipientView {
    fn from(r: &Recipient) -> RecipientView {
        RecipientView {
            id: r.id.clone(),
            number: r.number.clone(),
            status: r.status.as_str().to_owned(),
            error: r.error_code.as_ref().map(|code| FaxError {
                code: code.clone(),
                message: r.error_message.clone().unwrap_or_default(),
            }),
            pages_sent: r.pages_sent,
            rate: r.rate,
            ecm: r.ecm,
            remote_ident: r.remote_ident.clone(),
            duration_ms: r.duration_ms,
            attempts: r.attempts,
            next_attempt_at: r.next_attempt_at.map(rfc3339),
            completed_at: r.completed_at.map(rfc3339),
        }
    }
}

/// An outgoing fax.
#[derive(Debug, Serialize, ToSchema)]
pub struct FaxView {
    /// Fax id.
    pub id: String,
    /// Always `outbound` here.
    pub direction: &'static str,
    /// Summary over recipients: `queued`, `in_progress`, `delivered`, `partially_delivered`, `failed`, `canceled`.
    pub status: &'static str,
    /// Pages after rendering (cover included), once rendered.
    pub pages: Option<i64>,
    /// Your reference.
    pub client_reference: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Per-fax callback URL.
    pub callback_url: Option<String>,
    /// Rendering error, if the documents could not be converted.
    pub render_error: Option<FaxError>,
    /// Whether the rendered document can still be downloaded.
    pub document_available: bool,
    /// Request time.
    pub created_at: String,
    /// Recipients.
    pub recipients: Vec<RecipientView>,
}

/// The summary status of a fax over its recipients.
pub fn summary_status(recipients: &[Recipient]) -> &'static str {
    use RecipientStatus as S;
    if recipients.iter().all(|r| r.status == S::Queued) {
        return "queued";
    }
    if !recipients.iter().all(|r| r.status.is_final()) {
        return "in_progress";
    }
    let delivered = recipients.iter().filter(|r| r.status == S::Delivered).count();
    if delivered == recipients.len() {
        "delivered"
    } else if delivered > 0 || recipients.iter().any(|r| r.status == S::PartiallyDelivered) {
        "partially_delivered"
    } else if recipients.iter().all(|r| r.status == S::Canceled) {
        "canceled"
    } else {
        "failed"
    }
}

impl From<&Fax> for FaxView {
    fn from(f: &Fax) -> FaxView {
        FaxView {
            id: f.id.clone(),
            direction: "outbound",
            status: summary_status(&f.recipients),
            pages: f.page_count,
            client_reference: f.client_reference.clone(),
            tags: f.tags.clone(),
            callback_url: f.callback_url.clone(),
            render_error: f
                .render_error
                .as_ref()
                .map(|(code, message)| FaxError { code: code.clone(), message: message.clone() }),
            document_available: f.rendered_blob.is_some(),
            created_at: rfc3339(f.created_at),
            recipients: f.recipients.iter().map(RecipientView::from).collect(),
        }
    }
}

/// A page of outgoing faxes.
#[derive(Debug, Serialize, ToSchema)]
pub struct FaxList {
    /// Newest first.
    pub faxes: Vec<FaxView>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// A received fax.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReceivedView {
    /// Id.
    pub id: String,
    /// Always `inbound`.
    pub direction: &'static str,
    /// Caller's number, when known.
    pub from_number: Option<String>,
    /// Caller's identification (TSI).
    pub remote_ident: Option<String>,
    /// Pages.
    pub pages: i64,
    /// Arrival time.
    pub received_at: String,
    /// Whether it has been opened.
    pub read: bool,
    /// Whether the PDF can still be downloaded.
    pub pdf_available: bool,
}

impl From<&store::inbox::Received> for ReceivedView {
    fn from(r: &store::inbox::Received) -> ReceivedView {
        ReceivedView {
            id: r.id.clone(),
            direction: "inbound",
            from_number: r.from_number.clone(),
            remote_ident: r.remote_ident.clone(),
            pages: r.pages,
            received_at: rfc3339(r.received_at),
            read: r.read_at.is_some(),
            pdf_available: r.blob_id.is_some(),
        }
    }
}

/// A page of received faxes.
#[derive(Debug, Serialize, ToSchema)]
pub struct InboxList {
    /// Newest first.
    pub faxes: Vec<ReceivedView>,
    /// Cursor for the next page.
    pub next_cursor: Option<String>,
}

/// An API key as listed (the secret is shown only once, at creation).
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyView {
    /// Key id.
    pub id: String,
    /// Name given at creation.
    pub name: String,
    /// Public prefix (`ffx_<prefix>_…`).
    pub prefix: String,
    /// Creation time.
    pub created_at: String,
    /// Last use.
    pub last_used_at: Option<String>,
    /// Revocation time.
    pub revoked_at: Option<String>,
}

impl From<&store::api_keys::ApiKey> for ApiKeyView {
    fn from(k: &store::api_keys::ApiKey) -> ApiKeyView {
        ApiKeyView {
            id: k.id.clone(),
            name: k.name.clone(),
            prefix: k.prefix.clone(),
            created_at: rfc3339(k.created_at),
            last_used_at: k.last_used_at.map(rfc3339),
            revoked_at: k.revoked_at.map(rfc3339),
        }
    }
}

/// A webhook delivery attempt log entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryView {
    /// Message id (`webhook-id`).
    pub id: String,
    /// Event type.
    pub event_type: String,
    /// Target URL.
    pub url: String,
    /// Attempts made.
    pub attempts: i64,
    /// HTTP status of the last attempt.
    pub last_status: Option<i64>,
    /// Error of the last attempt.
    pub last_error: Option<String>,
    /// When it was delivered.
    pub delivered_at: Option<String>,
    /// When the next attempt is due.
    pub next_attempt_at: Option<String>,
    /// When delivery was given up.
    pub gave_up_at: Option<String>,
    /// Creation time.
    pub created_at: String,
}

impl From<&store::webhooks::Delivery> for DeliveryView {
    fn from(d: &store::webhooks::Delivery) -> DeliveryView {
        DeliveryView {
            id: d.id.clone(),
            event_type: d.event_type.clone(),
            url: d.url.clone(),
            attempts: d.attempts,
            last_status: d.last_status,
            last_error: d.last_error.clone(),
            delivered_at: d.delivered_at.map(rfc3339),
            next_attempt_at: d.next_attempt_at.map(rfc3339),
            gave_up_at: d.gave_up_at.map(rfc3339),
            created_at: rfc3339(d.created_at),
        }
    }
}
