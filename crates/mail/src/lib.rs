//! Outgoing e-mail: received faxes as PDF attachments, notifications, the welcome
//! mail.
//!
//! A [`Mailer`] turns a [`Message`] into RFC 5322 bytes with lettre and delivers
//! them through one [`Transport`]: an SMTP relay ([`SmtpConfig`]), or, when none is
//! configured, a local [`outbox`] folder where each message is kept as an `.eml`
//! file with exactly the bytes SMTP would have carried, for the web UI to show.
//!
//! Limits: a message is at most [`MAX_MESSAGE_BYTES`] once encoded (attachments in
//! base64 grow by a third), a header value at most [`MAX_HEADER_CHARS`] characters.
//!
//! Personal data: addresses, names, subjects and bodies never appear in `Debug`
//! output or in errors, and nothing here logs. SMTP reply texts, which often quote
//! the recipient, are dropped; only their codes are kept.

mod compose;
mod error;
pub mod outbox;
mod transport;

use std::fmt;
use std::sync::Arc;

pub use error::{Error, SmtpFailure};
pub use transport::{Security, SmtpConfig, Transport};

/// The largest message, in bytes as sent (headers, MIME structure and base64
/// attachments included): 25 MiB, the limit most mail providers accept. A fax PDF
/// costs about 40 kB per dense page, so this allows a few hundred pages.
pub const MAX_MESSAGE_BYTES: u64 = 25 * 1024 * 1024;

/// The longest value accepted for a header field (subject, display name, file name,
/// content type, message ID, unsubscribe URL), in characters. Longer values are
/// refused rather than cut.
pub const MAX_HEADER_CHARS: usize = 998;

/// An e-mail address with an optional display name.
///
/// `Debug` shows neither: both are personal data.
#[derive(Clone, PartialEq, Eq)]
pub struct Mailbox {
    name: Option<String>,
    address: String,
}

impl Mailbox {
    /// Checks the address (RFC 5321 syntax, as lettre parses it) and the name (no
    /// line breaks or control characters, at most [`MAX_HEADER_CHARS`]).
    ///
    /// # Errors
    /// [`Error::InvalidAddress`] or [`Error::InvalidHeader`].
    pub fn new(name: Option<String>, address: impl Into<String>) -> Result<Mailbox, Error> {
        let address = address.into();
        address.parse::<lettre::Address>().map_err(|_| Error::InvalidAddress)?;
        if let Some(name) = &name {
            compose::check_header_text("name", name)?;
        }
        Ok(Mailbox { name, address })
    }

    /// The display name.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The address.
    pub fn address(&self) -> &str {
        &self.address
    }
}

impl fmt::Debug for Mailbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Mailbox(‹redacted›)")
    }
}

/// One file attached to a message.
#[derive(Clone, PartialEq, Eq)]
pub struct Attachment {
    /// The file name shown to the recipient.
    pub filename: String,
    /// The MIME type, such as `application/pdf`.
    pub content_type: String,
    /// The file's bytes.
    pub data: Vec<u8>,
}

impl fmt::Debug for Attachment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The file name can name a person; the content is fax content.
        f.debug_struct("Attachment")
            .field("content_type", &self.content_type)
            .field("bytes", &self.data.len())
            .finish_non_exhaustive()
    }
}

/// A one-click unsubscribe link (RFC 8058): the message carries
/// `List-Unsubscribe: <url>` and `List-Unsubscribe-Post: List-Unsubscribe=One-Click`,
/// and a mail client that offers "unsubscribe" POSTs to the URL.
#[derive(Clone, PartialEq, Eq)]
pub struct Unsubscribe {
    url: String,
}

impl Unsubscribe {
    /// Checks that `url` is an absolute `https:` (or, for local installs, `http:`)
    /// URL that can stand in a header: printable ASCII without spaces or angle
    /// brackets, at most [`MAX_HEADER_CHARS`]. RFC 8058 asks for HTTPS; big mail
    /// providers ignore plain-HTTP links.
    ///
    /// # Errors
    /// [`Error::InvalidHeader`] with field `unsubscribe url`.
    pub fn new(url: impl Into<String>) -> Result<Unsubscribe, Error> {
        let url = url.into();
        let bad = |reason| Err(Error::InvalidHeader { field: "unsubscribe url", reason });
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return bad("not an http(s) URL");
        }
        if url.len() > MAX_HEADER_CHARS {
            return bad("too long");
        }
        if !url.bytes().all(|b| b.is_ascii_graphic() && b != b'<' && b != b'>') {
            return bad("characters that cannot stand in a header");
        }
        Ok(Unsubscribe { url })
    }

    /// The URL.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl fmt::Debug for Unsubscribe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL carries a token that identifies the recipient.
        f.write_str("Unsubscribe(‹redacted›)")
    }
}

/// A message to one recipient. The sender is the [`Mailer`]'s.
#[derive(Clone, PartialEq, Eq)]
pub struct Message {
    /// The recipient.
    pub to: Mailbox,
    /// The subject, any Unicode (encoded per RFC 2047 as needed).
    pub subject: String,
    /// The plain-text body.
    pub text: String,
    /// An HTML alternative to `text`.
    pub html: Option<String>,
    /// Attached files.
    pub attachments: Vec<Attachment>,
    /// Adds RFC 8058 one-click unsubscribe headers.
    pub list_unsubscribe: Option<Unsubscribe>,
    /// The `Message-ID` to use, angle brackets included (`<id@domain>`); when absent
    /// a random one in the sender's domain is made. Give one to make retries of the
    /// same notification recognisable as duplicates.
    pub message_id: Option<String>,
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Message")
            .field("text_bytes", &self.text.len())
            .field("html_bytes", &self.html.as_ref().map(String::len))
            .field("attachments", &self.attachments)
            .field("list_unsubscribe", &self.list_unsubscribe.is_some())
            .finish_non_exhaustive()
    }
}

/// A message handed over for delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// The message's `Message-ID`, angle brackets included.
    pub message_id: String,
    /// The outbox file it was written to, when the transport is the outbox.
    pub outbox_file: Option<String>,
}

/// Sends messages from one sender through one transport. Cheap to clone: clones
/// share the transport.
#[derive(Clone)]
pub struct Mailer {
    inner: Arc<Inner>,
}

struct Inner {
    from: Mailbox,
    transport: transport::Ready,
}

impl fmt::Debug for Mailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mailer").field("transport", &self.inner.transport).finish_non_exhaustive()
    }
}

impl Mailer {
    /// Prepares the transport: for SMTP, the TLS setup (system root certificates plus
    /// any given in the configuration); for the outbox, the folder, which is created
    /// if missing. No connection is made until the first message.
    ///
    /// # Errors
    /// [`Error::Config`] for an unusable SMTP setup, [`Error::Outbox`] when the outbox
    /// folder cannot be created.
    pub fn new(transport: Transport, from: Mailbox) -> Result<Mailer, Error> {
        let transport = transport::Ready::new(transport)?;
        Ok(Mailer { inner: Arc::new(Inner { from, transport }) })
    }

    /// Composes `message` and delivers it.
    ///
    /// # Errors
    /// Validation errors ([`Error::InvalidHeader`], [`Error::TooLarge`], …) before
    /// anything is sent; [`Error::Smtp`] or [`Error::Outbox`] from delivery.
    /// [`Error::is_transient`] tells whether a retry can help.
    pub async fn send(&self, message: &Message) -> Result<Sent, Error> {
        let composed = compose::compose(&self.inner.from, message, std::time::SystemTime::now())?;
        self.inner.transport.deliver(composed).await
    }
}
