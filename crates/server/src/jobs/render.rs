//! The `render` job: a fax's documents (and cover page) to fax pages.

use std::time::Instant;

use store::faxes::{RecipientStatus, RecipientUpdate};

use super::{Done, RenderJob};
use crate::api::faxes::FaxOptions;
use crate::{App, Error, now_ms};

/// Renders the fax, stores the pages encrypted and queues one call per recipient;
/// or records a typed conversion error on every recipient.
pub(crate) async fn run(app: &App, job: &store::jobs::Job, worker: &str) -> Result<Done, Error> {
    let payload: RenderJob =
        serde_json::from_str(&job.payload).map_err(|e| Error::Internal(e.to_string()))?;
    let mut conn = app.store.acquire().await?;
    let Some(fax) = store::faxes::get_any(&mut conn, &payload.fax_id).await? else {
        store::jobs::complete(&mut conn, &job.id, worker).await?;
        return Ok(Done::Committed);
    };
    if fax.recipients.iter().all(|r| r.status.is_final()) || fax.rendered_blob.is_some() {
        // Canceled before rendering, or rendered by a worker that died before
        // completing the job: nothing left to do here.
        store::jobs::complete(&mut conn, &job.id, worker).await?;
        return Ok(Done::Committed);
    }
    let documents = store::faxes::documents(&mut conn, &fax.id).await?;
    let account = store::accounts::by_id(&mut conn, &fax.account_id).await?.ok_or(Error::NotFound)?;
    for recipient in fax.recipients.iter().filter(|r| r.status == RecipientStatus::Queued) {
        store::faxes::update_recipient(
            &mut conn,
            &recipient.id,
            &status_only(recipient, RecipientStatus::Rendering),
            now_ms(),
        )
        .await?;
    }
    drop(conn);
    let options: FaxOptions =
        serde_json::from_str(&fax.options_json).map_err(|e| Error::Internal(e.to_string()))?;

    let rendered = render_documents(app, &documents, &options, &account).await;
    let now = now_ms();
    let mut tx = app.store.begin().await?;
    // The daily page quota is charged in the transaction that queues the calls; a
    // fax that does not fit fails like a document that cannot be converted.
    let rendered = match rendered {
        Ok(pages) => match crate::junk::charge_pages(&mut tx, app, &fax.id, pages.len(), now).await? {
            None => Ok(pages),
            Some(refusal) => Err(RenderFailure { code: refusal.code, message: refusal.message }),
        },
        failed => failed,
    };
    match rendered {
        Ok(pages) => {
            let count = pages.len() as i64;
            let blob = super::store_pages(app, "rendered", pages).await?;
            store::faxes::set_rendered(&mut tx, &fax.id, &blob.to_string(), count, now).await?;
            for recipient in &fax.recipients {
                let Some(current) = store::faxes::recipient(&mut tx, &recipient.id).await? else { continue };
                if current.status.is_final() {
                    continue;
                }
                store::faxes::update_recipient(
                    &mut tx,
                    &current.id,
                    &status_only(&current, RecipientStatus::Queued),
                    now,
                )
                .await?;
                super::enqueue_dial(&mut tx, &current, now).await?;
            }
            store::jobs::complete(&mut tx, &job.id, worker).await?;
            tx.commit().await.map_err(store::Error::from)?;
            tracing::info!(fax = %fax.id, pages = count, "fax rendered");
        }
        Err(failure) => {
            store::faxes::set_render_failed(&mut tx, &fax.id, failure.code, &failure.message, now).await?;
            let failed = store::faxes::get_any(&mut tx, &fax.id).await?.ok_or(Error::NotFound)?;
            for recipient in failed.recipients.iter().filter(|r| r.status == RecipientStatus::Failed) {
                super::notify::announce_outcome(&mut tx, &account, &failed, recipient, now).await?;
            }
            store::jobs::complete(&mut tx, &job.id, worker).await?;
            tx.commit().await.map_err(store::Error::from)?;
            tracing::info!(fax = %fax.id, code = failure.code, "fax could not be rendered");
            super::cleanup_if_done(app, &fax.id).await?;
        }
    }
    Ok(Done::Committed)
}

fn status_only(r: &store::faxes::Recipient, status: RecipientStatus) -> RecipientUpdate {
    RecipientUpdate { status, ..RecipientUpdate::from_current(r) }
}

/// Why a fax could not be rendered: a stable code and a message for the sender.
#[derive(Debug)]
pub(crate) struct RenderFailure {
    pub code: &'static str,
    pub message: String,
}

async fn render_documents(
    app: &App,
    documents: &[store::faxes::Document],
    options: &FaxOptions,
    account: &store::accounts::Account,
) -> Result<Vec<fax_image::Page>, RenderFailure> {
    let limits = app.config.limits;
    let started = Instant::now();
    let render_options = render::Options {
        paper: match options.paper.as_str() {
            "letter" => render::Paper::Letter,
            "legal" => render::Paper::Legal,
            _ => render::Paper::A4,
        },
        resolution: match options.resolution.as_str() {
            "standard" => render::FaxResolution::Standard,
            "superfine" => render::FaxResolution::Superfine,
            _ => render::FaxResolution::Fine,
        },
        mode: match options.mode.as_str() {
            "photo" => render::Mode::Photo,
            "auto" => render::Mode::Auto,
            _ => render::Mode::Text,
        },
        limits: render::Limits {
            max_pages: limits.max_pages,
            max_render_time: Some(limits.render_time),
            ..render::Limits::DEFAULT
        },
        ..render::Options::default()
    };
    let mut pages = Vec::new();
    for (index, document) in documents.iter().enumerate() {
        let internal =
            |e: Error| RenderFailure { code: "internal", message: format!("document {}: {e}", index + 1) };
        let id = document
            .blob_id
            .parse::<blob::BlobId>()
            .map_err(|_| internal(Error::Internal("bad blob id".into())))?;
        let data = app.blobs.get(&id).await.map_err(|e| internal(e.into()))?;
        let mut options = render_options.clone();
        if let Some(left) = limits.render_time.checked_sub(started.elapsed()) {
            options.limits.max_render_time = Some(left);
        } else {
            return Err(RenderFailure {
                code: "render_time_limit",
                message: "rendering took too long".into(),
            });
        }
        let result = tokio::task::spawn_blocking(move || render::render(data, &options))
            .await
            .map_err(|e| internal(Error::Internal(e.to_string())))?;
        let document_pages = result.map_err(|e| RenderFailure {
            code: "conversion_failed",
            message: format!("document {} could not be converted: {e}", index + 1),
        })?;
        pages.extend(document_pages);
        if pages.len() > limits.max_pages as usize {
            return Err(RenderFailure {
                code: "too_many_pages",
                message: format!("the fax has more than {} pages", limits.max_pages),
            });
        }
    }
    if let Some(cover) = &options.cover {
        let fields = render::cover::CoverPage {
            lang: render::cover::Lang::from_code(&cover.lang).unwrap_or(render::cover::Lang::En),
            to: cover.to.clone(),
            to_number: String::new(),
            from: cover.from.clone(),
            from_number: account.fax_number.clone(),
            subject: cover.subject.clone(),
            notes: cover.notes.clone(),
            pages: u32::try_from(pages.len() + 1).unwrap_or(u32::MAX),
            date: jiff::ZonedDateTime::now().strftime("%Y-%m-%d %H:%M %Z").to_string(),
        };
        let options = render_options.clone();
        let page = tokio::task::spawn_blocking(move || render::cover::render_cover(&fields, &options))
            .await
            .map_err(|e| RenderFailure { code: "internal", message: e.to_string() })?
            .map_err(|e| RenderFailure {
                code: "conversion_failed",
                message: format!("the cover page could not be made: {e}"),
            })?;
        pages.insert(0, page);
    }
    if pages.is_empty() {
        return Err(RenderFailure { code: "no_pages", message: "the documents have no pages".into() });
    }
    if pages.len() > limits.max_pages as usize {
        return Err(RenderFailure {
            code: "too_many_pages",
            message: format!("the fax has more than {} pages", limits.max_pages),
        });
    }
    Ok(pages)
}
