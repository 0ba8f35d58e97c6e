//! A [`Message`] to the bytes that go on the wire (and into the outbox).

use std::time::SystemTime;

use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{MultiPart, SinglePart};

use crate::{Error, MAX_HEADER_CHARS, MAX_MESSAGE_BYTES, Mailbox, Message};

/// A message ready for a transport.
pub(crate) struct Composed {
    /// RFC 5322 bytes, CRLF line ends.
    pub(crate) bytes: Vec<u8>,
    /// The SMTP envelope (`MAIL FROM`, `RCPT TO`).
    pub(crate) envelope: lettre::address::Envelope,
    /// The `Message-ID`, angle brackets included.
    pub(crate) message_id: String,
    /// When it was composed (its `Date` header).
    pub(crate) date: SystemTime,
}

/// Refuses header text that could break the header block: control characters
/// (line breaks above all, which would let a value inject headers) and values over
/// [`MAX_HEADER_CHARS`].
pub(crate) fn check_header_text(field: &'static str, value: &str) -> Result<(), Error> {
    if value.chars().count() > MAX_HEADER_CHARS {
        return Err(Error::InvalidHeader { field, reason: "too long" });
    }
    if value.chars().any(char::is_control) {
        return Err(Error::InvalidHeader { field, reason: "control characters" });
    }
    Ok(())
}

fn lettre_mailbox(mailbox: &Mailbox) -> Result<lettre::message::Mailbox, Error> {
    let address = mailbox.address().parse::<lettre::Address>().map_err(|_| Error::InvalidAddress)?;
    Ok(lettre::message::Mailbox::new(mailbox.name().map(str::to_owned), address))
}

/// A `Message-ID` given by the caller must be `<left@right>` in printable ASCII.
fn check_message_id(id: &str) -> Result<(), Error> {
    let bad = |reason| Err(Error::InvalidHeader { field: "message id", reason });
    if id.len() > MAX_HEADER_CHARS {
        return bad("too long");
    }
    let Some(inner) = id.strip_prefix('<').and_then(|rest| rest.strip_suffix('>')) else {
        return bad("not in angle brackets");
    };
    if !inner.bytes().all(|b| b.is_ascii_graphic() && b != b'<' && b != b'>') {
        return bad("characters that cannot stand in a message id");
    }
    match inner.split_once('@') {
        Some((left, right)) if !left.is_empty() && !right.is_empty() && !right.contains('@') => Ok(()),
        _ => bad("not of the form <left@right>"),
    }
}

/// A fresh `Message-ID` in the sender's domain: 128 random bits, which is unique
/// enough that no two messages of an installation share one.
fn new_message_id(from: &Mailbox) -> String {
    let domain = from.address().rsplit_once('@').map_or("localhost", |(_, domain)| domain);
    format!("<{:016x}{:016x}@{domain}>", fastrand::u64(..), fastrand::u64(..))
}

/// Builds the RFC 5322 form of `message` from `from`, dated `date`.
pub(crate) fn compose(from: &Mailbox, message: &Message, date: SystemTime) -> Result<Composed, Error> {
    // Refuse obviously oversized content before base64 makes it a third larger.
    let raw: u64 = [message.text.len(), message.html.as_ref().map_or(0, String::len)]
        .into_iter()
        .chain(message.attachments.iter().map(|a| a.data.len()))
        .map(|n| n as u64)
        .sum();
    if raw > MAX_MESSAGE_BYTES {
        return Err(Error::TooLarge { bytes: raw, max: MAX_MESSAGE_BYTES });
    }
    check_header_text("subject", &message.subject)?;
    let message_id = match &message.message_id {
        Some(id) => {
            check_message_id(id)?;
            id.clone()
        }
        None => new_message_id(from),
    };

    let mut builder = lettre::Message::builder()
        .from(lettre_mailbox(from)?)
        .to(lettre_mailbox(&message.to)?)
        .subject(message.subject.clone())
        .message_id(Some(message_id.clone()))
        .date(date)
        // RFC 3834: tells auto-responders (vacation replies) not to answer.
        .header(AutoSubmitted);
    if let Some(unsubscribe) = &message.list_unsubscribe {
        builder = builder.header(ListUnsubscribe(unsubscribe.url().to_owned())).header(ListUnsubscribePost);
    }

    let body = match &message.html {
        Some(html) => Body::Multi(MultiPart::alternative_plain_html(message.text.clone(), html.clone())),
        None => Body::Single(SinglePart::plain(message.text.clone())),
    };
    let email = if message.attachments.is_empty() {
        match body {
            Body::Single(part) => builder.singlepart(part)?,
            Body::Multi(part) => builder.multipart(part)?,
        }
    } else {
        let mut mixed = match body {
            Body::Single(part) => MultiPart::mixed().singlepart(part),
            Body::Multi(part) => MultiPart::mixed().multipart(part),
        };
        for attachment in &message.attachments {
            check_header_text("filename", &attachment.filename)?;
            let content_type = ContentType::parse(&attachment.content_type)
                .map_err(|_| Error::InvalidHeader { field: "content type", reason: "not a MIME type" })?;
            mixed = mixed.singlepart(
                lettre::message::Attachment::new(attachment.filename.clone())
                    .body(attachment.data.clone(), content_type),
            );
        }
        builder.multipart(mixed)?
    };

    let bytes = email.formatted();
    if bytes.len() as u64 > MAX_MESSAGE_BYTES {
        return Err(Error::TooLarge { bytes: bytes.len() as u64, max: MAX_MESSAGE_BYTES });
    }
    Ok(Composed { bytes, envelope: email.envelope().clone(), message_id, date })
}

enum Body {
    Single(SinglePart),
    Multi(MultiPart),
}

/// `List-Unsubscribe: <url>` (RFC 2369), with a URL checked by
/// [`crate::Unsubscribe::new`]: printable ASCII, so it needs no encoding.
#[derive(Clone)]
struct ListUnsubscribe(String);

impl Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        let url = s.trim().strip_prefix('<').and_then(|rest| rest.strip_suffix('>')).ok_or("not <url>")?;
        Ok(ListUnsubscribe(url.to_owned()))
    }

    fn display(&self) -> HeaderValue {
        let value = format!("<{}>", self.0);
        HeaderValue::dangerous_new_pre_encoded(Self::name(), value.clone(), value)
    }
}

/// `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058).
#[derive(Clone)]
struct ListUnsubscribePost;

impl Header for ListUnsubscribePost {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribePost)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "List-Unsubscribe=One-Click".to_owned())
    }
}

/// `Auto-Submitted: auto-generated` (RFC 3834).
#[derive(Clone)]
struct AutoSubmitted;

impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(AutoSubmitted)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "auto-generated".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Attachment, Unsubscribe};

    fn mailbox(address: &str) -> Mailbox {
        Mailbox::new(None, address).unwrap()
    }

    fn message() -> Message {
        Message {
            to: mailbox("to@example.org"),
            subject: "Hello".to_owned(),
            text: "Body".to_owned(),
            html: None,
            attachments: Vec::new(),
            list_unsubscribe: None,
            message_id: None,
        }
    }

    #[test]
    fn header_injection_is_refused() {
        let from = mailbox("fax@example.com");
        let mut m = message();
        m.subject = "Hi\r\nBcc: victim@example.net".to_owned();
        assert!(matches!(
            compose(&from, &m, SystemTime::UNIX_EPOCH),
            Err(Error::InvalidHeader { field: "subject", .. })
        ));
        assert!(matches!(
            Mailbox::new(Some("A\nB".to_owned()), "a@example.org"),
            Err(Error::InvalidHeader { field: "name", .. })
        ));
        let mut m = message();
        m.attachments.push(Attachment {
            filename: "a\r\n.pdf".to_owned(),
            content_type: "application/pdf".to_owned(),
            data: vec![1],
        });
        assert!(matches!(
            compose(&from, &m, SystemTime::UNIX_EPOCH),
            Err(Error::InvalidHeader { field: "filename", .. })
        ));
        assert!(Unsubscribe::new("https://example.com/u?t=1>\r\nX: y").is_err());
        assert!(Unsubscribe::new("javascript:alert(1)").is_err());
    }

    #[test]
    fn message_ids() {
        for good in ["<a@b>", "<1.2.3@fax.example.com>"] {
            check_message_id(good).unwrap();
        }
        for bad in ["a@b", "<ab>", "<@b>", "<a@>", "<a b@c>", "<a@b@c>", "<a@b>\r\n"] {
            assert!(check_message_id(bad).is_err(), "{bad}");
        }
        let id = new_message_id(&mailbox("fax@example.com"));
        check_message_id(&id).unwrap();
        assert!(id.ends_with("@example.com>"));
        assert_ne!(id, new_message_id(&mailbox("fax@example.com")));
    }

    #[test]
    fn size_limit() {
        let from = mailbox("fax@example.com");
        let mut m = message();
        // Under the limit raw, over it once base64 adds a third.
        let size = (MAX_MESSAGE_BYTES - MAX_MESSAGE_BYTES / 5) as usize;
        m.attachments.push(Attachment {
            filename: "big.bin".to_owned(),
            content_type: "application/octet-stream".to_owned(),
            data: vec![0xa5; size],
        });
        match compose(&from, &m, SystemTime::UNIX_EPOCH) {
            Err(Error::TooLarge { bytes, max }) => assert!(bytes > max && bytes > size as u64),
            other => panic!("{:?}", other.map(|c| c.bytes.len())),
        }
        m.attachments[0].data.resize(MAX_MESSAGE_BYTES as usize + 1, 0);
        assert!(matches!(compose(&from, &m, SystemTime::UNIX_EPOCH), Err(Error::TooLarge { .. })));
    }

    #[test]
    fn debug_shows_no_personal_data() {
        let mut m = message();
        m.to = Mailbox::new(Some("Erika Mustermann".to_owned()), "erika@example.org").unwrap();
        m.subject = "Fax from +49301234567".to_owned();
        m.list_unsubscribe = Some(Unsubscribe::new("https://fax.example.com/u/secret-token").unwrap());
        let text = format!("{m:?} {:?}", m.to);
        for secret in ["Erika", "erika@", "+4930", "secret-token", "Body"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
    }
}
