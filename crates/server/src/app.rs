//! The application state every handler, worker and the janitor share.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::config::{BlobLocation, MailTransport};
use crate::{Config, Error};

/// What the service runs on: configuration, database, blobs, mail, carrier.
///
/// Passed explicitly (as `Arc<App>`) rather than through globals, so tests can run
/// several independent services in one process.
#[derive(Debug)]
pub struct App {
    /// The resolved configuration.
    pub config: Config,
    /// The database.
    pub store: store::Store,
    /// Encrypted documents and fax images.
    pub blobs: blob::BlobStore,
    /// Outgoing mail.
    pub mailer: mail::Mailer,
    /// The built-in loopback carrier.
    pub carrier: telephony::loopback::Carrier,
    /// Webhook delivery.
    pub webhooks: webhook::Sender,
    /// A name for this process, used in job leases.
    pub node: String,
}

impl App {
    /// Opens the database (migrating it), the blob store (creating the master key on
    /// first run) and the mailer.
    pub async fn open(config: Config) -> Result<App, Error> {
        std::fs::create_dir_all(&config.data_dir)?;
        if config.database_url.starts_with("sqlite://") {
            // SQLite creates the file but not its folder.
            let path = config.database_url.trim_start_matches("sqlite://");
            if let Some(parent) = std::path::Path::new(path).parent()
                && !parent.as_os_str().is_empty()
            {
                std::fs::create_dir_all(parent)?;
            }
        }
        // The keyring is kept in files (`master_key_file` and the previous keys next
        // to it) so that `ferrofax admin rotate-key` can rotate it under a running
        // service; a key given in the environment is fixed for the process.
        let keyring = match std::env::var("FERROFAX_MASTER_KEY") {
            Ok(encoded) if !encoded.is_empty() => {
                blob::Keyring::fixed(blob::MasterKey::from_base64(&encoded)?, Vec::new())
            }
            _ => blob::Keyring::load_or_create(&config.master_key_file)?,
        };
        let store = store::Store::connect_with_keys(&config.database_url, &keyring).await?;
        let location = match &config.blob {
            BlobLocation::Local(root) => {
                std::fs::create_dir_all(root)?;
                blob::Location::Local { root: root.clone() }
            }
            BlobLocation::S3 { bucket, endpoint, region, access_key_id, secret_access_key, allow_http } => {
                blob::Location::S3 {
                    bucket: bucket.clone(),
                    endpoint: endpoint.clone(),
                    region: region.clone(),
                    access_key_id: access_key_id.clone(),
                    secret_access_key: secret_access_key.clone(),
                    allow_http: *allow_http,
                }
            }
        };
        let blobs = blob::BlobStore::with_keyring(&location, keyring)?;
        let from = parse_mailbox(&config.mail_from)?;
        let transport = match &config.mail {
            MailTransport::Outbox(dir) => {
                std::fs::create_dir_all(dir)?;
                mail::Transport::Outbox { dir: dir.clone() }
            }
            MailTransport::Smtp { host, port, security, credentials } => {
                let mut smtp = mail::SmtpConfig::new(host.clone());
                smtp.port = *port;
                smtp.security = match security.as_str() {
                    "none" => mail::Security::None,
                    "tls" => mail::Security::Tls,
                    _ => mail::Security::StartTls,
                };
                smtp.credentials = credentials.clone();
                mail::Transport::Smtp(smtp)
            }
        };
        let mailer = mail::Mailer::new(transport, from)?;
        let plan = telephony::loopback::NumberPlan::new(&config.numbers.prefix, config.numbers.width)
            .map_err(|e| Error::Config(format!("numbers: {e}")))?;
        let mut carrier = telephony::loopback::Carrier::new(plan);
        carrier.pacing = if config.loopback_realtime {
            telephony::loopback::Pacing::RealTime
        } else {
            telephony::loopback::Pacing::Virtual
        };
        let webhooks = webhook::Sender::new(if config.webhooks_allow_private {
            webhook::AddressPolicy::AllowPrivate
        } else {
            webhook::AddressPolicy::PublicOnly
        })
        .map_err(|e| Error::Internal(format!("webhook client: {e}")))?;
        let node = format!("{}-{}", std::process::id(), hex::encode(crate::secrets::random_bytes::<3>()?));
        Ok(App { config, store, blobs, mailer, carrier, webhooks, node })
    }
}

/// `Name <address>` or a bare address.
fn parse_mailbox(text: &str) -> Result<mail::Mailbox, Error> {
    let text = text.trim();
    let (name, address) = match (text.find('<'), text.rfind('>')) {
        (Some(open), Some(close)) if open < close => {
            (Some(text[..open].trim().trim_matches('"').to_owned()), text[open + 1..close].trim())
        }
        _ => (None, text),
    };
    if !address.contains('@') {
        return Err(Error::Config("mail.from must contain an e-mail address".into()));
    }
    mail::Mailbox::new(name.filter(|n| !n.is_empty()), address.to_owned())
        .map_err(|e| Error::Config(format!("mail.from: {e}")))
}

/// The current time in Unix milliseconds: the one place the service reads the clock;
/// everything below takes time as an argument.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
