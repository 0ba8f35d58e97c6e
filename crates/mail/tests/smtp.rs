//! Delivery to a real SMTP server: aiosmtpd (Debian `python3-aiosmtpd`) running the
//! recording handler in `tests/support/smtp_sink.py`. What the server stored is
//! parsed with `mail-parser` and compared with what was sent. A missing aiosmtpd
//! fails the tests, naming the package.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use mail::{
    Attachment, Error, Mailbox, Mailer, Message, Security, SmtpConfig, SmtpFailure, Transport, Unsubscribe,
};
use mail_parser::{MessageParser, MimeHeaders};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// The Python interpreter that has aiosmtpd: the one named in the `#!` line of the
/// `aiosmtpd` script the package installs (the `python3` first on the PATH may be
/// another installation without it).
fn aiosmtpd_python() -> PathBuf {
    let script = std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join("aiosmtpd"))
        .find(|path| path.is_file())
        .unwrap_or_else(|| panic!("aiosmtpd is not installed: install the Debian package python3-aiosmtpd"));
    let text = std::fs::read_to_string(&script).unwrap();
    let shebang =
        text.lines().next().and_then(|line| line.strip_prefix("#!")).expect("aiosmtpd has a #! line");
    let mut words = shebang.split_whitespace();
    let first = words.next().expect("interpreter in #! line");
    if first.ends_with("/env") {
        PathBuf::from(words.next().expect("env names a program"))
    } else {
        PathBuf::from(first)
    }
}

/// An SMTP server storing what it receives in a temporary folder.
struct Sink {
    port: u16,
    dir: tempfile::TempDir,
    _child: Child,
}

impl Sink {
    async fn start() -> Sink {
        Sink::start_with(&[]).await
    }

    /// A sink speaking TLS (`mode` is `starttls` or `tls`) with a fresh self-signed
    /// certificate for 127.0.0.1, made with the `openssl` program; returns the
    /// certificate's PEM too.
    async fn start_tls(mode: &str) -> (Sink, String) {
        let keys = tempfile::tempdir().unwrap();
        let (cert, key) = (keys.path().join("cert.pem"), keys.path().join("key.pem"));
        let output = std::process::Command::new("openssl")
            .args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"])
            .args(["-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"])
            // An end-entity certificate (webpki refuses a CA certificate as a server's).
            .args(["-addext", "basicConstraints=critical,CA:FALSE"])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .output()
            .unwrap_or_else(|e| panic!("cannot run openssl ({e}): install the Debian package openssl"));
        assert!(output.status.success(), "openssl: {}", String::from_utf8_lossy(&output.stderr));
        let pem = std::fs::read_to_string(&cert).unwrap();
        let sink = Sink::start_with(&[mode.as_ref(), cert.as_os_str(), key.as_os_str()]).await;
        (sink, pem)
    }

    async fn start_with(extra: &[&std::ffi::OsStr]) -> Sink {
        let dir = tempfile::tempdir().unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/smtp_sink.py");
        let mut child = Command::new(aiosmtpd_python())
            .arg(&script)
            .arg(dir.path())
            .args(extra)
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start the SMTP sink");
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).await.unwrap();
        let port = line.trim().parse().unwrap_or_else(|_| panic!("SMTP sink did not start (said {line:?})"));
        Sink { port, dir, _child: child }
    }

    fn config(&self) -> SmtpConfig {
        SmtpConfig {
            port: self.port,
            security: Security::None,
            credentials: Some(("fax-user".to_owned(), "s3cret".to_owned())),
            timeout: Duration::from_secs(10),
            ..SmtpConfig::new("127.0.0.1")
        }
    }

    /// The messages stored so far, as (DATA bytes, envelope JSON).
    fn stored(&self) -> Vec<(Vec<u8>, String)> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "eml"))
            .collect();
        names.sort();
        names
            .iter()
            .map(|eml| {
                (std::fs::read(eml).unwrap(), std::fs::read_to_string(eml.with_extension("json")).unwrap())
            })
            .collect()
    }
}

fn sender() -> Mailbox {
    Mailbox::new(Some("Ferrofax".to_owned()), "fax@ferrofax.test").unwrap()
}

fn message_to(address: &str) -> Message {
    Message {
        to: Mailbox::new(None, address).unwrap(),
        subject: "Test".to_owned(),
        text: "Hello".to_owned(),
        html: None,
        attachments: Vec::new(),
        list_unsubscribe: None,
        message_id: None,
    }
}

#[tokio::test]
async fn fax_pdf_reaches_the_server_intact() {
    let sink = Sink::start().await;
    let mailer = Mailer::new(Transport::Smtp(sink.config()), sender()).unwrap();
    let pdf =
        fax_image::pdf::write(&fixtures::itu_charts()[..2], &fax_image::pdf::PdfMeta::default()).unwrap();
    let subject = "Fax empfangen: 2 Seiten von Müller & Söhne — ファクスを受信しました";
    let text =
        "Grüße! Ihre Fax ist angehängt.\r\n.\r\nA line with only a dot above: SMTP must escape it.\r\n";
    let html = "<p>Grüße — ファクス</p>";
    let message = Message {
        to: Mailbox::new(Some("Jürgen Groß".to_owned()), "juergen@example.org").unwrap(),
        subject: subject.to_owned(),
        text: text.to_owned(),
        html: Some(html.to_owned()),
        attachments: vec![Attachment {
            filename: "fax-2026-11-23.pdf".to_owned(),
            content_type: "application/pdf".to_owned(),
            data: pdf.clone(),
        }],
        list_unsubscribe: Some(Unsubscribe::new("https://fax.example.com/unsubscribe?t=abc123").unwrap()),
        message_id: None,
    };
    let sent = mailer.send(&message).await.unwrap();
    assert!(
        sent.message_id.starts_with('<') && sent.message_id.ends_with("@ferrofax.test>"),
        "{}",
        sent.message_id
    );
    assert_eq!(sent.outbox_file, None);

    let stored = sink.stored();
    assert_eq!(stored.len(), 1);
    let (raw, envelope) = &stored[0];
    assert!(envelope.contains(r#""mail_from": "fax@ferrofax.test""#), "{envelope}");
    assert!(envelope.contains(r#""rcpt_tos": ["juergen@example.org"]"#), "{envelope}");
    assert!(envelope.contains(r#""user": "fax-user""#), "AUTH was used: {envelope}");

    let parsed = MessageParser::default().parse(raw).expect("the stored message parses");
    assert_eq!(parsed.subject(), Some(subject));
    let from = parsed.from().and_then(|a| a.first()).unwrap();
    assert_eq!((from.name(), from.address()), (Some("Ferrofax"), Some("fax@ferrofax.test")));
    let to = parsed.to().and_then(|a| a.first()).unwrap();
    assert_eq!((to.name(), to.address()), (Some("Jürgen Groß"), Some("juergen@example.org")));
    assert_eq!(parsed.message_id(), sent.message_id.strip_prefix('<').and_then(|s| s.strip_suffix('>')));
    assert!(parsed.date().is_some());
    assert_eq!(
        parsed.header_raw("List-Unsubscribe").map(str::trim),
        Some("<https://fax.example.com/unsubscribe?t=abc123>")
    );
    assert_eq!(parsed.header_raw("List-Unsubscribe-Post").map(str::trim), Some("List-Unsubscribe=One-Click"));
    assert_eq!(parsed.header_raw("Auto-Submitted").map(str::trim), Some("auto-generated"));
    assert_eq!(parsed.body_text(0).as_deref(), Some(text));
    assert!(parsed.body_html(0).is_some_and(|h| h.contains("Grüße — ファクス")));

    assert_eq!(parsed.attachment_count(), 1);
    let attachment = parsed.attachment(0).unwrap();
    assert_eq!(attachment.attachment_name(), Some("fax-2026-11-23.pdf"));
    let content_type = attachment.content_type().unwrap();
    assert_eq!((content_type.ctype(), content_type.subtype()), ("application", Some("pdf")));
    assert!(attachment.contents() == pdf.as_slice(), "the PDF arrived byte for byte ({} bytes)", pdf.len());
    eprintln!("message of {} bytes carried a {}-byte PDF", raw.len(), pdf.len());
}

#[tokio::test]
async fn server_down_is_transient() {
    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let config = SmtpConfig {
        port,
        security: Security::None,
        timeout: Duration::from_secs(5),
        ..SmtpConfig::new("127.0.0.1")
    };
    let mailer = Mailer::new(Transport::Smtp(config), sender()).unwrap();
    let error = mailer.send(&message_to("someone@example.org")).await.unwrap_err();
    assert!(matches!(error, Error::Smtp { failure: SmtpFailure::Connection, .. }), "{error:?}");
    assert!(error.is_transient());
}

#[tokio::test]
async fn replies_decide_whether_to_retry_and_stay_out_of_errors() {
    let sink = Sink::start().await;
    let mailer = Mailer::new(Transport::Smtp(sink.config()), sender()).unwrap();

    let busy = mailer.send(&message_to("busy@example.org")).await.unwrap_err();
    assert!(
        matches!(busy, Error::Smtp { failure: SmtpFailure::Rejected, code: Some(451), transient: true }),
        "{busy:?}"
    );
    assert!(busy.is_transient());

    let unknown = mailer.send(&message_to("nobody@example.org")).await.unwrap_err();
    assert!(matches!(unknown, Error::Smtp { code: Some(550), transient: false, .. }), "{unknown:?}");
    assert!(!unknown.is_transient());
    // The server's reply ("no such user") and the address stay out of the error.
    let shown = format!("{unknown} {unknown:?}");
    assert!(!shown.contains("nobody") && !shown.contains("no such user"), "{shown}");

    let mut wrong = sink.config();
    wrong.credentials = Some(("fax-user".to_owned(), "wrong".to_owned()));
    let mailer = Mailer::new(Transport::Smtp(wrong), sender()).unwrap();
    let refused = mailer.send(&message_to("someone@example.org")).await.unwrap_err();
    assert!(matches!(refused, Error::Smtp { transient: false, .. }), "{refused:?}");

    assert!(sink.stored().is_empty(), "nothing was accepted");
}

#[tokio::test]
async fn starttls_required_but_not_offered_fails_without_sending() {
    let sink = Sink::start().await;
    let config = SmtpConfig { security: Security::StartTls, credentials: None, ..sink.config() };
    let mailer = Mailer::new(Transport::Smtp(config), sender()).unwrap();
    let error = mailer.send(&message_to("someone@example.org")).await.unwrap_err();
    // lettre refuses before MAIL FROM when the server offers no STARTTLS.
    assert!(
        matches!(error, Error::Smtp { failure: SmtpFailure::Protocol | SmtpFailure::Tls, .. }),
        "{error:?}"
    );
    assert!(!error.is_transient(), "{error:?}");
    assert!(sink.stored().is_empty());
}

#[tokio::test]
async fn starttls_and_implicit_tls_with_a_private_root() {
    for (mode, security) in [("starttls", Security::StartTls), ("tls", Security::Tls)] {
        let (sink, pem) = Sink::start_tls(mode).await;
        let config = SmtpConfig { security, root_certificates_pem: Some(pem), ..sink.config() };
        let mailer = Mailer::new(Transport::Smtp(config), sender()).unwrap();
        mailer.send(&message_to("someone@example.org")).await.unwrap_or_else(|e| panic!("{mode}: {e:?}"));
        let stored = sink.stored();
        assert_eq!(stored.len(), 1, "{mode}");
        assert!(stored[0].1.contains(r#""user": "fax-user""#), "{mode}: AUTH over TLS: {}", stored[0].1);
    }
}

#[tokio::test]
async fn an_untrusted_certificate_is_refused() {
    let (sink, _) = Sink::start_tls("starttls").await;
    let config = SmtpConfig { security: Security::StartTls, ..sink.config() };
    let mailer = Mailer::new(Transport::Smtp(config.clone()), sender()).unwrap();
    let error = mailer.send(&message_to("someone@example.org")).await.unwrap_err();
    assert!(matches!(error, Error::Smtp { failure: SmtpFailure::Tls, transient: false, .. }), "{error:?}");
    assert!(sink.stored().is_empty());
    assert!(matches!(
        Mailer::new(
            Transport::Smtp(SmtpConfig {
                root_certificates_pem: Some("not a certificate".to_owned()),
                ..config
            }),
            sender()
        ),
        Err(Error::Config(_))
    ));
}
