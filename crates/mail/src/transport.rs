//! Where composed messages go: an SMTP relay or the outbox folder.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::compose::Composed;
use crate::{Error, Sent, outbox};

/// How the connection to the SMTP relay is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// Plain text. Only for a relay on the same host or a private network.
    None,
    /// Plain connection upgraded with STARTTLS, which must succeed (port 587).
    StartTls,
    /// TLS from the first byte ("implicit TLS", port 465).
    Tls,
}

/// An SMTP relay.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpConfig {
    /// Host name (also the name its TLS certificate must carry).
    pub host: String,
    /// Port: usually 587 with STARTTLS, 465 with TLS, 25 without.
    pub port: u16,
    /// Connection protection.
    pub security: Security,
    /// User name and password for SMTP AUTH (PLAIN or LOGIN).
    pub credentials: Option<(String, String)>,
    /// How long to wait for the connection and for each reply.
    pub timeout: Duration,
    /// Extra trusted root certificates in PEM, for a relay whose certificate comes
    /// from a private CA; the system's roots are always trusted too.
    pub root_certificates_pem: Option<String>,
}

impl SmtpConfig {
    /// A relay at `host`: STARTTLS on port 587, no credentials, 30 s timeout.
    pub fn new(host: impl Into<String>) -> Self {
        Self {
            host: host.into(),
            port: 587,
            security: Security::StartTls,
            credentials: None,
            timeout: Duration::from_secs(30),
            root_certificates_pem: None,
        }
    }
}

impl fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The user name is often an e-mail address, the password a secret.
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("credentials", &self.credentials.as_ref().map(|_| "‹redacted›"))
            .field("timeout", &self.timeout)
            .field("root_certificates_pem", &self.root_certificates_pem.is_some())
            .finish()
    }
}

/// Where messages go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transport {
    /// An SMTP relay.
    Smtp(SmtpConfig),
    /// Files in a local folder (see [`crate::outbox`]): the default when no relay is
    /// configured.
    Outbox {
        /// The folder; created if missing.
        dir: PathBuf,
    },
}

/// A transport with its connection setup done.
pub(crate) enum Ready {
    // Boxed because the transport is large; there is one per mailer.
    Smtp { transport: Box<AsyncSmtpTransport<Tokio1Executor>>, config: SmtpConfig },
    Outbox { dir: PathBuf },
}

impl fmt::Debug for Ready {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ready::Smtp { config, .. } => f.debug_tuple("Smtp").field(config).finish(),
            Ready::Outbox { dir } => f.debug_struct("Outbox").field("dir", dir).finish(),
        }
    }
}

impl Ready {
    pub(crate) fn new(transport: Transport) -> Result<Self, Error> {
        match transport {
            Transport::Smtp(config) => {
                let mut builder =
                    AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(config.host.clone())
                        .port(config.port)
                        .timeout(Some(config.timeout));
                if let Some(pem) = &config.root_certificates_pem
                    && !pem.contains("-----BEGIN CERTIFICATE-----")
                {
                    // lettre accepts PEM text without certificates and trusts nothing
                    // extra; say so now rather than at the first failed handshake.
                    return Err(Error::Config("root certificate PEM holds no certificate"));
                }
                if config.security != Security::None {
                    let mut tls = TlsParameters::builder(config.host.clone());
                    if let Some(pem) = &config.root_certificates_pem {
                        let certificate = Certificate::from_pem(pem.as_bytes())
                            .map_err(|_| Error::Config("root certificate PEM does not parse"))?;
                        tls = tls.add_root_certificate(certificate);
                    }
                    let parameters = tls.build_rustls().map_err(|_| Error::Config("cannot set up TLS"))?;
                    builder = builder.tls(match config.security {
                        Security::StartTls => Tls::Required(parameters),
                        _ => Tls::Wrapper(parameters),
                    });
                }
                if let Some((user, password)) = &config.credentials {
                    builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
                }
                Ok(Ready::Smtp { transport: Box::new(builder.build()), config })
            }
            Transport::Outbox { dir } => {
                std::fs::create_dir_all(&dir).map_err(Error::outbox("create folder"))?;
                Ok(Ready::Outbox { dir })
            }
        }
    }

    pub(crate) async fn deliver(&self, composed: Composed) -> Result<Sent, Error> {
        match self {
            Ready::Smtp { transport, .. } => {
                transport
                    .send_raw(&composed.envelope, &composed.bytes)
                    .await
                    .map_err(|e| Error::from_smtp(&e))?;
                Ok(Sent { message_id: composed.message_id, outbox_file: None })
            }
            Ready::Outbox { dir } => {
                let dir = dir.clone();
                let Composed { bytes, message_id, date, .. } = composed;
                let file = tokio::task::spawn_blocking(move || outbox::write(&dir, date, &bytes))
                    .await
                    .map_err(|_| Error::Outbox {
                        operation: "write",
                        source: std::io::Error::other("the writing task was cancelled"),
                    })??;
                Ok(Sent { message_id, outbox_file: Some(file) })
            }
        }
    }
}
