//! The one error type of this crate.

/// Why an SMTP delivery failed, without the server's words.
///
/// The reply text of an SMTP server often quotes the recipient's address ("550 5.1.1
/// <…>: user unknown"), so it is never kept: the class and the reply code are enough
/// to decide what to do and to look the problem up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SmtpFailure {
    /// The server could not be reached or the connection broke.
    Connection,
    /// The server did not answer in time.
    Timeout,
    /// The TLS handshake failed (certificate, protocol version, STARTTLS missing).
    Tls,
    /// The server refused with a 4xx (transient) or 5xx (permanent) reply.
    Rejected,
    /// The server's reply could not be understood, or the client hit an internal
    /// error.
    Protocol,
}

/// Everything that can go wrong composing or delivering a message.
///
/// No variant carries an address, a subject, a body or a server reply: errors end up
/// in logs, and those are personal data.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A string that is not a valid e-mail address (the address is not repeated).
    #[error("not a valid e-mail address")]
    InvalidAddress,
    /// A header field whose value would break the message: a line break, another
    /// control character, or more than [`crate::MAX_HEADER_CHARS`] characters.
    #[error("invalid {field}: {reason}")]
    InvalidHeader {
        /// Which field: `subject`, `name`, `filename`, `content type`, `message id`,
        /// `unsubscribe url`.
        field: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The message would be larger than [`crate::MAX_MESSAGE_BYTES`] once encoded.
    #[error("message is {bytes} bytes; the limit is {max}")]
    TooLarge {
        /// Size found (encoded, or raw content when that alone is over the limit).
        bytes: u64,
        /// The limit.
        max: u64,
    },
    /// lettre refused to build the message.
    #[error("cannot build the message: {0}")]
    Build(#[from] lettre::error::Error),
    /// The SMTP configuration is unusable (for example a TLS setup that cannot be
    /// built, or a PEM root certificate that does not parse).
    #[error("bad SMTP configuration: {0}")]
    Config(&'static str),
    /// SMTP delivery failed.
    #[error("SMTP delivery failed: {failure:?}{}", code.map(|c| format!(" (reply {c})")).unwrap_or_default())]
    Smtp {
        /// What kind of failure.
        failure: SmtpFailure,
        /// The SMTP reply code, for [`SmtpFailure::Rejected`].
        code: Option<u16>,
        /// Whether trying again later can help.
        transient: bool,
    },
    /// An outbox file name that this crate did not make (it may try to leave the
    /// folder).
    #[error("not an outbox file name")]
    InvalidFileName,
    /// No such message in the outbox.
    #[error("no such message in the outbox")]
    NotFound,
    /// Reading or writing the outbox folder failed.
    #[error("outbox {operation} failed: {source}")]
    Outbox {
        /// What was being done.
        operation: &'static str,
        /// The I/O error (its text names no path).
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// Whether sending the same message again later can succeed: true for network
    /// trouble, timeouts, 4xx replies and outbox I/O errors (a full disk can be
    /// cleared); false for invalid messages, configuration errors and 5xx replies.
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Smtp { transient, .. } => *transient,
            Error::Outbox { .. } => true,
            Error::InvalidAddress
            | Error::InvalidHeader { .. }
            | Error::TooLarge { .. }
            | Error::Build(_)
            | Error::Config(_)
            | Error::InvalidFileName
            | Error::NotFound => false,
        }
    }

    /// Classifies a lettre SMTP error, dropping its text (see [`SmtpFailure`]).
    pub(crate) fn from_smtp(error: &lettre::transport::smtp::Error) -> Self {
        let code = error.status().and_then(|code| code.to_string().parse::<u16>().ok());
        let (failure, transient) = if error.is_transient() {
            (SmtpFailure::Rejected, true)
        } else if error.is_permanent() {
            (SmtpFailure::Rejected, false)
        } else if error.is_timeout() {
            (SmtpFailure::Timeout, true)
        } else if error.is_tls() || is_certificate_error(error) {
            // Certificates and protocol versions do not fix themselves.
            (SmtpFailure::Tls, false)
        } else if error.is_response() || error.is_client() {
            (SmtpFailure::Protocol, false)
        } else {
            // Connection refused, name resolution, reset, transport shut down.
            (SmtpFailure::Connection, true)
        };
        Error::Smtp { failure, code, transient }
    }

    pub(crate) fn outbox(operation: &'static str) -> impl FnOnce(std::io::Error) -> Error {
        move |source| Error::Outbox { operation, source }
    }
}

/// Whether a connection error is really a failed TLS handshake. lettre reports
/// rustls' verdicts (unknown issuer, wrong name, expired certificate) as connection
/// errors whose source is an I/O error of kind `InvalidData`; nothing else on the
/// connection path produces that kind.
fn is_certificate_error(error: &lettre::transport::smtp::Error) -> bool {
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        if cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::InvalidData)
        {
            return true;
        }
        source = cause.source();
    }
    false
}
