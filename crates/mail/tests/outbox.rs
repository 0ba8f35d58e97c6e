//! The outbox transport: messages written as `.eml` files, listed, read back and
//! parsed with `mail-parser`; names that try to leave the folder refused.

use std::time::{Duration, SystemTime};

use mail::outbox::{self, OutboxEntry};
use mail::{Attachment, Error, Mailbox, Mailer, Message, Transport, Unsubscribe};
use mail_parser::{MessageParser, MimeHeaders};

fn message(subject: &str, address: &str) -> Message {
    Message {
        to: Mailbox::new(Some("山田 太郎".to_owned()), address).unwrap(),
        subject: subject.to_owned(),
        text: "Ihr Fax ist angekommen.".to_owned(),
        html: None,
        attachments: Vec::new(),
        list_unsubscribe: None,
        message_id: None,
    }
}

#[tokio::test]
async fn round_trip_through_the_folder() {
    let dir = tempfile::tempdir().unwrap();
    let outbox_dir = dir.path().join("outbox");
    let from = Mailbox::new(None, "fax@ferrofax.test").unwrap();
    // The folder does not exist yet: the mailer makes it.
    let mailer = Mailer::new(Transport::Outbox { dir: outbox_dir.clone() }, from).unwrap();

    let pdf =
        fax_image::pdf::write(&fixtures::itu_charts_standard()[..1], &fax_image::pdf::PdfMeta::default())
            .unwrap();
    let mut with_pdf = message("Fax von +49 30 1234567: 1 Seite — ファクス", "taro@example.jp");
    with_pdf.attachments.push(Attachment {
        filename: "Fax 1.pdf".to_owned(),
        content_type: "application/pdf".to_owned(),
        data: pdf.clone(),
    });
    with_pdf.list_unsubscribe = Some(Unsubscribe::new("https://fax.example.com/u/t0k3n").unwrap());
    with_pdf.message_id = Some("<fax-42.1@ferrofax.test>".to_owned());

    let before = SystemTime::now() - Duration::from_secs(1);
    let first = mailer.send(&message("Willkommen bei Ferrofax", "a@example.org")).await.unwrap();
    let second = mailer.send(&with_pdf).await.unwrap();
    let after = SystemTime::now() + Duration::from_secs(1);
    assert_eq!(second.message_id, "<fax-42.1@ferrofax.test>");
    let (first_file, second_file) = (first.outbox_file.unwrap(), second.outbox_file.unwrap());
    assert!(first_file < second_file, "names sort by time: {first_file} {second_file}");

    // A stranger's file and a leftover temporary file are not messages.
    std::fs::write(outbox_dir.join("notes.txt"), "hello").unwrap();
    std::fs::write(outbox_dir.join(format!(".{first_file}.tmp")), "partial").unwrap();

    let entries: Vec<OutboxEntry> = outbox::list(&outbox_dir).unwrap();
    assert_eq!(entries.len(), 2, "{entries:?}");
    assert_eq!(entries[0].file_name, second_file, "newest first");
    assert_eq!(entries[1].file_name, first_file);
    let newest = &entries[0];
    assert_eq!(newest.subject, "Fax von +49 30 1234567: 1 Seite — ファクス");
    let to = newest.to.as_ref().unwrap();
    assert_eq!((to.name(), to.address()), (Some("山田 太郎"), "taro@example.jp"));
    assert!(newest.date >= before && newest.date <= after);
    assert_eq!(newest.size, std::fs::metadata(outbox_dir.join(&second_file)).unwrap().len());
    assert_eq!(entries[1].subject, "Willkommen bei Ferrofax");

    let bytes = outbox::read(&outbox_dir, &second_file).unwrap();
    assert_eq!(bytes.len() as u64, newest.size);
    assert!(
        bytes.windows(2).filter(|w| w[1] == b'\n').all(|w| w[0] == b'\r'),
        "CRLF line ends, as on the wire"
    );
    let parsed = MessageParser::default().parse(&bytes).unwrap();
    assert_eq!(parsed.subject(), Some("Fax von +49 30 1234567: 1 Seite — ファクス"));
    assert_eq!(parsed.message_id(), Some("fax-42.1@ferrofax.test"));
    assert_eq!(
        parsed.header_raw("List-Unsubscribe").map(str::trim),
        Some("<https://fax.example.com/u/t0k3n>")
    );
    assert_eq!(parsed.header_raw("List-Unsubscribe-Post").map(str::trim), Some("List-Unsubscribe=One-Click"));
    assert_eq!(parsed.attachment_count(), 1);
    let attachment = parsed.attachment(0).unwrap();
    assert_eq!(attachment.attachment_name(), Some("Fax 1.pdf"));
    assert!(attachment.contents() == pdf.as_slice(), "PDF bytes equal");
}

#[test]
fn names_that_leave_the_folder_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let inner = dir.path().join("outbox");
    std::fs::create_dir(&inner).unwrap();
    // A file outside the outbox that a traversal would reach.
    std::fs::write(dir.path().join("secret.eml"), "Subject: secret\r\n\r\n").unwrap();
    for name in [
        "..",
        "../secret.eml",
        "..%2fsecret.eml",
        "/etc/passwd",
        "20261123T132210.000000Z-00000000000000ff.eml/../../secret.eml",
        "20261123T132210.000000Z-00000000000000ff.eml\0",
        "secret.eml",
        "",
    ] {
        assert!(matches!(outbox::read(&inner, name), Err(Error::InvalidFileName)), "{name:?}");
    }
    assert!(matches!(
        outbox::read(&inner, "20261123T132210.000000Z-00000000000000ff.eml"),
        Err(Error::NotFound)
    ));
    assert!(outbox::list(&inner).unwrap().is_empty());
    assert!(matches!(outbox::list(&dir.path().join("missing")), Err(Error::Outbox { .. })));
}
