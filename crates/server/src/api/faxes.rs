//! Outgoing faxes: send, list, get, cancel, resend, download the rendered document.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use store::faxes::{FaxFilter, RecipientStatus};
use utoipa::{IntoParams, ToSchema};

use super::views::{FaxList, FaxView};
use crate::auth::Caller;
use crate::jobs::{self, RenderJob};
use crate::{App, Error, now_ms};

/// Longest header template, client reference, tag or callback URL.
const MAX_TEXT: usize = 500;
/// Most tags on one fax.
const MAX_TAGS: usize = 20;
/// Longest cover-page notes.
const MAX_NOTES: usize = 4000;

/// How a fax is rendered and stamped; stored with the fax.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct FaxOptions {
    /// Header line template (see `fax_image::header`); `None` for the default.
    pub header: Option<String>,
    /// `standard`, `fine` or `superfine`.
    pub resolution: String,
    /// `a4`, `letter` or `legal`.
    pub paper: String,
    /// `text`, `photo` or `auto`.
    pub mode: String,
    /// Cover page, if asked for.
    pub cover: Option<CoverFields>,
}

/// Cover-page fields.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct CoverFields {
    /// Recipient's name.
    pub to: String,
    /// Sender's name (defaults to the account name).
    pub from: String,
    /// Subject.
    pub subject: String,
    /// Notes.
    pub notes: String,
    /// `en`, `de` or `ja`.
    pub lang: String,
}

/// One uploaded file.
#[derive(Debug)]
pub struct Upload {
    /// File name as sent (shown to the owner only).
    pub filename: String,
    /// Content type as detected.
    pub content_type: String,
    /// Bytes.
    pub data: Vec<u8>,
}

/// A parsed send request.
#[derive(Debug, Default)]
pub struct SendRequest {
    /// Files, in order.
    pub files: Vec<Upload>,
    /// Recipients (E.164).
    pub to: Vec<String>,
    /// Rendering options.
    pub options: FaxOptions,
    /// Tags.
    pub tags: Vec<String>,
    /// Client reference.
    pub client_reference: Option<String>,
    /// Callback URL.
    pub callback_url: Option<String>,
    /// Address-book contact ids whose numbers are added to the recipients.
    pub contacts: Vec<String>,
}

/// The multipart form of `POST /v1/faxes` (for the OpenAPI document).
#[allow(dead_code)]
#[derive(Debug, ToSchema)]
pub struct SendForm {
    /// One or more files (PDF, Word, Excel, images, text). Repeat the field for several.
    #[schema(format = Binary)]
    pub file: Vec<String>,
    /// Recipient numbers in E.164 (`+4930…`); repeat the field or separate with commas.
    pub to: Vec<String>,
    /// Recipients from the address book: contact ids (`con_…`); repeat the field for several.
    pub contact: Vec<String>,
    /// Header line template, e.g. `{date} {time} {tz}  From: {sender_name} {sender_number}  To: {recipient}  Page {page}/{pages}`.
    pub header: Option<String>,
    /// `standard`, `fine` (default) or `superfine`.
    pub resolution: Option<String>,
    /// `a4` (default), `letter` or `legal`.
    pub paper: Option<String>,
    /// `text` (default), `photo` or `auto`.
    pub mode: Option<String>,
    /// Adds a cover page: recipient name.
    pub cover_to: Option<String>,
    /// Cover page sender name.
    pub cover_from: Option<String>,
    /// Cover page subject.
    pub cover_subject: Option<String>,
    /// Cover page notes.
    pub cover_notes: Option<String>,
    /// Cover page language: `en`, `de`, `ja`.
    pub cover_lang: Option<String>,
    /// Comma-separated tags.
    pub tags: Option<String>,
    /// Your reference, returned with the fax and in webhooks.
    pub client_reference: Option<String>,
    /// URL that receives this fax's events (Standard Webhooks, signed with the account's secret).
    pub callback_url: Option<String>,
}

/// Sends documents to one or more numbers. Durable when answered: the files are
/// stored encrypted and the fax is queued before the 202. With an
/// `Idempotency-Key` header, a repeated request returns the first result.
#[utoipa::path(post, path = "/v1/faxes", request_body(content = SendForm, content_type = "multipart/form-data"),
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: the same key returns the first result")),
    responses((status = 202, body = FaxView), (status = 413, body = crate::ErrorBody), (status = 415, body = crate::ErrorBody), (status = 422, body = crate::ErrorBody)),
    security(("api_key" = []), ("session" = [])))]
pub async fn send(
    State(app): State<Arc<App>>,
    caller: Caller,
    headers: HeaderMap,
    multipart: Multipart,
) -> Result<(StatusCode, Json<FaxView>), Error> {
    let request = parse_multipart(&app, multipart).await?;
    let key = headers
        .get("idempotency-key")
        .map(|v| {
            v.to_str()
                .map(str::to_owned)
                .map_err(|_| Error::invalid("invalid_idempotency_key", "the Idempotency-Key must be text"))
        })
        .transpose()?;
    let fax = submit(&app, &caller.account, request, key.as_deref()).await?;
    Ok((StatusCode::ACCEPTED, Json(FaxView::from(&fax))))
}

async fn parse_multipart(app: &App, mut multipart: Multipart) -> Result<SendRequest, Error> {
    let limits = app.config.limits;
    let mut request = SendRequest::default();
    let mut cover = CoverFields::default();
    let mut want_cover = false;
    let bad = |e: axum::extract::multipart::MultipartError| {
        Error::invalid("invalid_form", format!("the form could not be read: {}", e.body_text()))
    };
    while let Some(mut field) = multipart.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            if request.files.len() >= limits.max_files {
                return Err(Error::TooLarge(format!("a fax may have at most {} files", limits.max_files)));
            }
            let filename = field.file_name().unwrap_or("document").chars().take(200).collect();
            let mut data = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(bad)? {
                if (data.len() + chunk.len()) as u64 > limits.max_file_bytes {
                    return Err(Error::TooLarge(format!(
                        "each file may have at most {} bytes",
                        limits.max_file_bytes
                    )));
                }
                data.extend_from_slice(&chunk);
            }
            request.files.push(upload(filename, data)?);
            continue;
        }
        let mut value = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(bad)? {
            if value.len() + chunk.len() > MAX_NOTES * 4 {
                return Err(Error::TooLarge(format!("the field {name:?} is too long")));
            }
            value.extend_from_slice(&chunk);
        }
        let value = String::from_utf8(value)
            .map_err(|_| Error::invalid("invalid_form", format!("the field {name:?} is not UTF-8 text")))?;
        let value = value.trim().to_owned();
        match name.as_str() {
            "to" => {
                for number in value.split([',', ';', '\n']).map(str::trim).filter(|n| !n.is_empty()) {
                    request.to.push(number.to_owned());
                }
            }
            "contact" => request.contacts.extend(
                value.split([',', ';', '\n']).map(str::trim).filter(|c| !c.is_empty()).map(str::to_owned),
            ),
            "header" => request.options.header = Some(value).filter(|v| !v.is_empty()),
            "resolution" => request.options.resolution = value,
            "paper" => request.options.paper = value,
            "mode" => request.options.mode = value,
            "cover_to" => (cover.to, want_cover) = (value, true),
            "cover_from" => (cover.from, want_cover) = (value, true),
            "cover_subject" => (cover.subject, want_cover) = (value, true),
            "cover_notes" => (cover.notes, want_cover) = (value, true),
            "cover_lang" => cover.lang = value,
            "cover" => want_cover |= value == "true" || value == "on",
            "tags" => request
                .tags
                .extend(value.split(',').map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned)),
            "client_reference" => request.client_reference = Some(value).filter(|v| !v.is_empty()),
            "callback_url" => request.callback_url = Some(value).filter(|v| !v.is_empty()),
            other => return Err(Error::invalid("unknown_field", format!("unknown form field {other:?}"))),
        }
    }
    if want_cover {
        request.options.cover = Some(cover);
    }
    Ok(request)
}

/// Checks an uploaded file's type by its content.
pub fn upload(filename: String, data: Vec<u8>) -> Result<Upload, Error> {
    let kind = render::sniff(&data).map_err(|e| Error::UnsupportedMedia(format!("{filename:?}: {e}")))?;
    Ok(Upload { filename, content_type: media_type(kind).to_owned(), data })
}

/// The media type of a detected document type.
fn media_type(kind: render::Kind) -> &'static str {
    use render::Kind as K;
    match kind {
        K::Pdf => "application/pdf",
        K::Png => "image/png",
        K::Jpeg => "image/jpeg",
        K::Gif => "image/gif",
        K::Bmp => "image/bmp",
        K::WebP => "image/webp",
        K::Tiff => "image/tiff",
        K::Pbm => "image/x-portable-bitmap",
        K::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        K::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        K::Pptx => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        K::Odt => "application/vnd.oasis.opendocument.text",
        K::Ods => "application/vnd.oasis.opendocument.spreadsheet",
        K::Odp => "application/vnd.oasis.opendocument.presentation",
        K::LegacyOffice => "application/x-ole-storage",
        K::Rtf => "application/rtf",
        K::Text => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// Validates a send request, stores its files encrypted and queues it, all or
/// nothing. Shared by the API and the web form.
pub async fn submit(
    app: &App,
    account: &store::accounts::Account,
    mut request: SendRequest,
    idempotency_key: Option<&str>,
) -> Result<store::faxes::Fax, Error> {
    let limits = app.config.limits;
    if request.contacts.len() > limits.max_recipients {
        return Err(Error::TooLarge(format!("a fax may have at most {} recipients", limits.max_recipients)));
    }
    let from_book = super::contacts::numbers_of(app, &account.id, &request.contacts).await?;
    request.to.extend(from_book);
    if request.files.is_empty() {
        return Err(Error::invalid("no_files", "attach at least one document"));
    }
    if request.to.is_empty() {
        return Err(Error::invalid("no_recipients", "give at least one fax number"));
    }
    if request.to.len() > limits.max_recipients {
        return Err(Error::TooLarge(format!("a fax may have at most {} recipients", limits.max_recipients)));
    }
    let mut numbers = Vec::with_capacity(request.to.len());
    for number in &request.to {
        let number = validate_number(app, number)?;
        if numbers.contains(&number) {
            return Err(Error::invalid("duplicate_recipient", "a number is listed twice"));
        }
        numbers.push(number);
    }
    crate::junk::refuse_do_not_fax(app, &numbers).await?;
    normalise_options(&mut request.options, account)?;
    if request.tags.len() > MAX_TAGS || request.tags.iter().any(|t| t.chars().count() > 50) {
        return Err(Error::invalid(
            "invalid_tags",
            format!("at most {MAX_TAGS} tags of at most 50 characters"),
        ));
    }
    if request.client_reference.as_ref().is_some_and(|r| r.chars().count() > MAX_TEXT) {
        return Err(Error::invalid("invalid_client_reference", "the client reference is too long"));
    }
    let callback_url = request.callback_url.as_deref().map(validate_callback).transpose()?;
    let options_json = serde_json::to_string(&request.options).map_err(|e| Error::Internal(e.to_string()))?;
    let request_hash = request_fingerprint(&request, &numbers, &options_json);

    // Files first: once the transaction commits, the fax may be picked up at once.
    let mut documents = Vec::with_capacity(request.files.len());
    for file in &request.files {
        let id = app.blobs.put("upload", &file.data).await?;
        documents.push(store::faxes::NewDocument {
            blob_id: id.to_string(),
            filename: file.filename.clone(),
            content_type: file.content_type.clone(),
            size: file.data.len() as i64,
        });
    }
    let result = store_fax(
        app,
        account,
        &request,
        numbers,
        options_json,
        callback_url,
        documents.clone(),
        idempotency_key,
        &request_hash,
    )
    .await;
    let discard = match &result {
        Ok((_, fresh)) => !fresh,
        Err(_) => true,
    };
    if discard {
        for document in &documents {
            if let Ok(id) = document.blob_id.parse::<blob::BlobId>() {
                let _ = app.blobs.delete(&id).await;
            }
        }
    }
    result.map(|(fax, _)| fax)
}

#[allow(clippy::too_many_arguments)]
async fn store_fax(
    app: &App,
    account: &store::accounts::Account,
    request: &SendRequest,
    numbers: Vec<String>,
    options_json: String,
    callback_url: Option<String>,
    documents: Vec<store::faxes::NewDocument>,
    idempotency_key: Option<&str>,
    request_hash: &[u8],
) -> Result<(store::faxes::Fax, bool), Error> {
    let now = now_ms();
    let mut tx = app.store.begin().await?;
    if let Some(key) = idempotency_key {
        if key.is_empty() || key.len() > 255 {
            return Err(Error::invalid(
                "invalid_idempotency_key",
                "the Idempotency-Key must have 1 to 255 characters",
            ));
        }
        match store::idempotency::reserve(&mut tx, &account.id, key, request_hash, now).await? {
            store::idempotency::Reservation::New => {}
            store::idempotency::Reservation::Existing { fax_id, request_hash: first } => {
                if first != request_hash {
                    return Err(Error::Conflict {
                        code: "idempotency_key_reused",
                        message: "this Idempotency-Key was used for a different request".into(),
                    });
                }
                let fax_id = fax_id.ok_or_else(|| Error::Conflict {
                    code: "request_in_progress",
                    message: "a request with this Idempotency-Key is still being processed".into(),
                })?;
                let fax = store::faxes::get(&mut tx, &account.id, &fax_id).await?.ok_or(Error::NotFound)?;
                return Ok((fax, false));
            }
        }
    }
    // Limits after the idempotency check: replaying an accepted request is free.
    crate::junk::check_send(&mut tx, app, &account.id, now).await?;
    let deadline_at = now + i64::try_from(app.config.retry.deadline.as_millis()).unwrap_or(i64::MAX / 4);
    let fax = store::faxes::create(
        &mut tx,
        store::faxes::NewFax {
            account_id: account.id.clone(),
            options_json,
            client_reference: request.client_reference.clone(),
            tags: request.tags.clone(),
            callback_url,
            documents,
            recipients: numbers,
            deadline_at,
        },
        now,
    )
    .await?;
    if let Some(key) = idempotency_key {
        store::idempotency::complete(&mut tx, &account.id, key, &fax.id).await?;
    }
    jobs::enqueue_render(&mut tx, &RenderJob { fax_id: fax.id.clone() }, now).await?;
    tx.commit().await.map_err(store::Error::from)?;
    tracing::info!(fax = %fax.id, recipients = fax.recipients.len(), files = request.files.len(), "fax accepted");
    Ok((fax, true))
}

fn request_fingerprint(request: &SendRequest, numbers: &[String], options_json: &str) -> Vec<u8> {
    let mut hasher = Sha256::new();
    for file in &request.files {
        hasher.update(Sha256::digest(&file.data));
        hasher.update(file.filename.as_bytes());
    }
    for number in numbers {
        hasher.update(number.as_bytes());
        hasher.update([0]);
    }
    hasher.update(options_json.as_bytes());
    hasher.update(request.tags.join("\u{1f}").as_bytes());
    hasher.update(request.client_reference.as_deref().unwrap_or("").as_bytes());
    hasher.update([0]);
    hasher.update(request.callback_url.as_deref().unwrap_or("").as_bytes());
    hasher.finalize().to_vec()
}

fn normalise_options(options: &mut FaxOptions, account: &store::accounts::Account) -> Result<(), Error> {
    if options.resolution.is_empty() {
        options.resolution = "fine".into();
    }
    if options.paper.is_empty() {
        options.paper = "a4".into();
    }
    if options.mode.is_empty() {
        options.mode = "text".into();
    }
    if !matches!(options.resolution.as_str(), "standard" | "fine" | "superfine") {
        return Err(Error::invalid("invalid_resolution", "resolution must be standard, fine or superfine"));
    }
    if !matches!(options.paper.as_str(), "a4" | "letter" | "legal") {
        return Err(Error::invalid("invalid_paper", "paper must be a4, letter or legal"));
    }
    if !matches!(options.mode.as_str(), "text" | "photo" | "auto") {
        return Err(Error::invalid("invalid_mode", "mode must be text, photo or auto"));
    }
    if let Some(header) = &options.header
        && (header.chars().count() > MAX_TEXT || header.chars().any(char::is_control))
    {
        return Err(Error::invalid(
            "invalid_header",
            "the header must be one line of at most 500 characters",
        ));
    }
    if let Some(cover) = &mut options.cover {
        if cover.lang.is_empty() {
            cover.lang = "en".into();
        }
        if !matches!(cover.lang.as_str(), "en" | "de" | "ja") {
            return Err(Error::invalid("invalid_cover_lang", "the cover language must be en, de or ja"));
        }
        if cover.from.is_empty() {
            cover.from = account.name.clone();
        }
        if [&cover.to, &cover.from, &cover.subject].iter().any(|f| f.chars().count() > 200)
            || cover.notes.chars().count() > MAX_NOTES
        {
            return Err(Error::invalid("invalid_cover", "a cover field is too long"));
        }
    }
    Ok(())
}

/// Validates a fax number: E.164 (`+` and 8–15 digits, separators allowed), a valid
/// number by the numbering plan of its country, or a number of our own range.
pub fn validate_number(app: &App, input: &str) -> Result<String, Error> {
    let digits: String = input.chars().filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.' | '/')).collect();
    let invalid =
        || Error::invalid("invalid_number", "numbers must be in international format, e.g. +49 30 1234567");
    let rest = digits.strip_prefix('+').ok_or_else(invalid)?;
    if !(7..=15).contains(&rest.len()) || !rest.bytes().all(|b| b.is_ascii_digit()) || rest.starts_with('0') {
        return Err(invalid());
    }
    // Our own range first: +999 is a spare country code, which the numbering-plan
    // check below rightly refuses.
    if !matches!(app.carrier.route(&digits), telephony::loopback::Route::OutsidePlan) {
        return Ok(digits);
    }
    let parsed = phonenumber::parse(None, &digits).map_err(|_| invalid())?;
    if !phonenumber::is_valid(&parsed) {
        return Err(invalid());
    }
    Ok(digits)
}

/// Validates a callback or webhook URL: absolute http(s), no credentials.
pub fn validate_callback(input: &str) -> Result<String, Error> {
    let url = url::Url::parse(input)
        .map_err(|_| Error::invalid("invalid_callback_url", "the callback URL is not a valid URL"))?;
    if !matches!(url.scheme(), "http" | "https")
        || url.host().is_none()
        || !url.username().is_empty()
        || url.password().is_some()
        || input.len() > MAX_TEXT
    {
        return Err(Error::invalid(
            "invalid_callback_url",
            "the callback URL must be an http(s) URL without credentials",
        ));
    }
    Ok(url.to_string())
}

/// Filters of the fax list.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ListQuery {
    /// Only faxes with a recipient in this status.
    pub status: Option<String>,
    /// Only faxes to this number.
    pub number: Option<String>,
    /// Only faxes with this tag.
    pub tag: Option<String>,
    /// Only faxes created at or after this time (RFC 3339).
    pub since: Option<String>,
    /// Only faxes created before this time (RFC 3339).
    pub until: Option<String>,
    /// `outbound` (the only direction this list holds; `inbound` is `/v1/inbox`).
    pub direction: Option<String>,
    /// Cursor from the previous page.
    pub cursor: Option<String>,
    /// Page size, 1–100 (default 25).
    pub limit: Option<u32>,
}

/// The caller's outgoing faxes, newest first.
#[utoipa::path(get, path = "/v1/faxes", params(ListQuery), responses((status = 200, body = FaxList), (status = 422, body = crate::ErrorBody)),
    security(("api_key" = []), ("session" = [])))]
pub async fn list(
    State(app): State<Arc<App>>,
    caller: Caller,
    Query(query): Query<ListQuery>,
) -> Result<Json<FaxList>, Error> {
    if query.direction.as_deref().is_some_and(|d| d != "outbound") {
        return Err(Error::invalid(
            "invalid_direction",
            "this list holds outbound faxes; received faxes are at /v1/inbox",
        ));
    }
    let time = |s: &Option<String>, field: &'static str| -> Result<Option<i64>, Error> {
        s.as_deref()
            .map(|t| {
                t.parse::<jiff::Timestamp>()
                    .map(|t| t.as_millisecond())
                    .map_err(|_| Error::invalid(field, "times are RFC 3339, e.g. 2026-11-23T10:00:00Z"))
            })
            .transpose()
    };
    let status = query
        .status
        .as_deref()
        .map(|s| RecipientStatus::parse(s).ok_or_else(|| Error::invalid("invalid_status", "unknown status")))
        .transpose()?;
    let limit = query.limit.unwrap_or(25).clamp(1, 100);
    let filter = FaxFilter {
        status,
        number: query.number.as_deref().map(|n| validate_number(&app, n)).transpose()?,
        tag: query.tag.clone(),
        since: time(&query.since, "invalid_since")?,
        until: time(&query.until, "invalid_until")?,
        before_id: query.cursor.clone(),
        limit,
    };
    let mut conn = app.store.acquire().await?;
    let faxes = store::faxes::list(&mut conn, &caller.account.id, &filter).await?;
    let next_cursor = (faxes.len() == limit as usize).then(|| faxes.last().map(|f| f.id.clone())).flatten();
    Ok(Json(FaxList { faxes: faxes.iter().map(FaxView::from).collect(), next_cursor }))
}

/// One outgoing fax with each recipient's status.
#[utoipa::path(get, path = "/v1/faxes/{id}", params(("id" = String, Path, description = "Fax id")),
    responses((status = 200, body = FaxView), (status = 404, body = crate::ErrorBody)), security(("api_key" = []), ("session" = [])))]
pub async fn get(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<FaxView>, Error> {
    let mut conn = app.store.acquire().await?;
    let fax = store::faxes::get(&mut conn, &caller.account.id, &id).await?.ok_or(Error::NotFound)?;
    Ok(Json(FaxView::from(&fax)))
}

/// Cancels every recipient not yet in a final state; a call in progress is hung up.
#[utoipa::path(post, path = "/v1/faxes/{id}/cancel", params(("id" = String, Path, description = "Fax id")),
    responses((status = 200, body = FaxView), (status = 404, body = crate::ErrorBody)), security(("api_key" = []), ("session" = [])))]
pub async fn cancel(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<FaxView>, Error> {
    let fax = cancel_fax(&app, &caller.account.id, &id).await?;
    Ok(Json(FaxView::from(&fax)))
}

/// Cancels a fax of an account.
pub async fn cancel_fax(app: &App, account_id: &str, id: &str) -> Result<store::faxes::Fax, Error> {
    let now = now_ms();
    let mut tx = app.store.begin().await?;
    store::faxes::cancel(&mut tx, account_id, id, now).await?.ok_or(Error::NotFound)?;
    let fax = store::faxes::get(&mut tx, account_id, id).await?.ok_or(Error::NotFound)?;
    tx.commit().await.map_err(store::Error::from)?;
    jobs::cleanup_if_done(app, id).await?;
    let mut conn = app.store.acquire().await?;
    Ok(store::faxes::get(&mut conn, account_id, id).await?.unwrap_or(fax))
}

/// Dials again now: recipients waiting for a retry are brought forward, and failed
/// or canceled ones are queued again — while the document is still kept. Once every
/// recipient reached a final state the uploads are deleted (a privacy promise), and
/// resending needs a new upload.
#[utoipa::path(post, path = "/v1/faxes/{id}/resend", params(("id" = String, Path, description = "Fax id")),
    responses((status = 200, body = FaxView), (status = 404, body = crate::ErrorBody), (status = 409, body = crate::ErrorBody)), security(("api_key" = []), ("session" = [])))]
pub async fn resend(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<FaxView>, Error> {
    let now = now_ms();
    let mut tx = app.store.begin().await?;
    let fax = store::faxes::get(&mut tx, &caller.account.id, &id).await?.ok_or(Error::NotFound)?;
    if fax.rendered_blob.is_none() || fax.recipients.iter().all(|r| r.status.is_final()) {
        return Err(Error::Conflict {
            code: "document_deleted",
            message:
                "the documents of this fax were deleted after it was processed; upload them again to resend"
                    .into(),
        });
    }
    let mut touched = 0;
    for recipient in &fax.recipients {
        if matches!(
            recipient.status,
            RecipientStatus::RetryScheduled | RecipientStatus::Failed | RecipientStatus::Canceled
        ) {
            jobs::requeue_dial(&mut tx, recipient, now).await?;
            touched += 1;
        }
    }
    if touched == 0 {
        return Err(Error::Conflict {
            code: "nothing_to_resend",
            message: "no recipient is waiting, failed or canceled".into(),
        });
    }
    let fax = store::faxes::get(&mut tx, &caller.account.id, &id).await?.ok_or(Error::NotFound)?;
    tx.commit().await.map_err(store::Error::from)?;
    Ok(Json(FaxView::from(&fax)))
}

/// The rendered fax as a PDF, while it is kept (until every recipient is final).
#[utoipa::path(get, path = "/v1/faxes/{id}/document", params(("id" = String, Path, description = "Fax id")),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>), (status = 404, body = crate::ErrorBody), (status = 409, body = crate::ErrorBody)),
    security(("api_key" = []), ("session" = [])))]
pub async fn document(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, Error> {
    let mut conn = app.store.acquire().await?;
    let fax = store::faxes::get(&mut conn, &caller.account.id, &id).await?.ok_or(Error::NotFound)?;
    drop(conn);
    let blob = fax.rendered_blob.ok_or_else(|| Error::Conflict {
        code: "document_unavailable",
        message: "the fax is not rendered yet, or its document was deleted after sending".into(),
    })?;
    let pdf = jobs::tiff_blob_to_pdf(&app, &blob, "Fax").await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"fax.pdf\""),
        ],
        pdf,
    ))
}
