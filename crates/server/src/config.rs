//! Configuration: a TOML file, environment variables over it, defaults under both.
//!
//! Every key is listed once in [`KEYS`] with its default and meaning; that table
//! drives the environment overrides (`FERROFAX_<SECTION>_<KEY>`, plus the
//! conventional `DATABASE_URL`) and `docs/configuration.md`, which a test keeps in
//! step with it. With no file and no variables, `ferrofax serve` runs the embedded
//! default: SQLite, an encrypted blob folder and a mail outbox under one data folder,
//! and the loopback carrier.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::Error;

/// One documented configuration key.
#[derive(Debug, Clone, Copy)]
pub struct Key {
    /// TOML table.
    pub section: &'static str,
    /// Key within the table.
    pub name: &'static str,
    /// Default, as written in TOML (empty: unset).
    pub default: &'static str,
    /// What it does.
    pub doc: &'static str,
}

impl Key {
    /// The environment variable that overrides this key.
    pub fn env_var(&self) -> String {
        format!("FERROFAX_{}_{}", self.section, self.name).to_uppercase()
    }
}

/// Every configuration key.
pub const KEYS: &[Key] = &[
    Key {
        section: "server",
        name: "listen",
        default: "\"127.0.0.1:8080\"",
        doc: "Address and port the HTTP server listens on.",
    },
    Key {
        section: "server",
        name: "public_url",
        default: "\"http://127.0.0.1:8080\"",
        doc: "URL users reach the service at; used in e-mail links. Cookies are marked Secure when it starts with https.",
    },
    Key {
        section: "server",
        name: "data_dir",
        default: "\"ferrofax-data\"",
        doc: "Folder for the SQLite database, the encrypted blob folder, the master key and the mail outbox (each can be moved by its own key).",
    },
    Key {
        section: "server",
        name: "max_request_bytes",
        default: "104857600",
        doc: "Largest HTTP request body accepted (100 MiB); larger requests are refused with 413.",
    },
    Key {
        section: "database",
        name: "url",
        default: "",
        doc: "Database URL. Empty: `sqlite://<data_dir>/ferrofax.sqlite3`. `postgres://user:password@host/db` switches to PostgreSQL. `DATABASE_URL` is also read.",
    },
    Key {
        section: "blob",
        name: "location",
        default: "\"local\"",
        doc: "Where encrypted documents and fax images are kept: `local` or `s3`.",
    },
    Key {
        section: "blob",
        name: "dir",
        default: "",
        doc: "Folder for `local` blobs. Empty: `<data_dir>/blobs`.",
    },
    Key {
        section: "blob",
        name: "master_key_file",
        default: "",
        doc: "File holding the 256-bit master key that wraps every object's data key; created on first run with mode 0600. Empty: `<data_dir>/master.key`. `FERROFAX_MASTER_KEY` (base64) takes precedence.",
    },
    Key { section: "blob", name: "s3_bucket", default: "", doc: "S3 bucket (location = s3)." },
    Key {
        section: "blob",
        name: "s3_endpoint",
        default: "",
        doc: "S3 endpoint URL for S3-compatible stores; empty for AWS.",
    },
    Key { section: "blob", name: "s3_region", default: "\"us-east-1\"", doc: "S3 region." },
    Key { section: "blob", name: "s3_access_key_id", default: "", doc: "S3 access key id." },
    Key { section: "blob", name: "s3_secret_access_key", default: "", doc: "S3 secret access key." },
    Key {
        section: "blob",
        name: "s3_allow_http",
        default: "false",
        doc: "Allow a plain-HTTP S3 endpoint (local test servers only).",
    },
    Key {
        section: "mail",
        name: "from",
        default: "\"Ferrofax <fax@localhost>\"",
        doc: "Sender of every e-mail the service sends.",
    },
    Key {
        section: "mail",
        name: "smtp_host",
        default: "",
        doc: "SMTP server. Empty: messages are written to the outbox folder instead, which the web UI shows.",
    },
    Key { section: "mail", name: "smtp_port", default: "587", doc: "SMTP port." },
    Key {
        section: "mail",
        name: "smtp_security",
        default: "\"starttls\"",
        doc: "`none`, `starttls` or `tls`.",
    },
    Key {
        section: "mail",
        name: "smtp_user",
        default: "",
        doc: "SMTP user name (empty: no authentication).",
    },
    Key { section: "mail", name: "smtp_password", default: "", doc: "SMTP password." },
    Key {
        section: "mail",
        name: "outbox_dir",
        default: "",
        doc: "Outbox folder used when no SMTP server is set. Empty: `<data_dir>/outbox`.",
    },
    Key {
        section: "numbers",
        name: "prefix",
        default: "\"+9990\"",
        doc: "Fax numbers given to accounts are this prefix followed by a zero-padded counter. The default range, +9990…, is the loopback carrier's: +999 is a spare ITU country code that no telephone network reaches. Its first 100 numbers are test numbers with fixed outcomes (docs/loopback.md).",
    },
    Key {
        section: "numbers",
        name: "first",
        default: "100",
        doc: "First counter value (numbers below 100 of the loopback range are test numbers).",
    },
    Key { section: "numbers", name: "last", default: "9999999", doc: "Last counter value." },
    Key { section: "numbers", name: "width", default: "7", doc: "Digits of the counter." },
    Key {
        section: "limits",
        name: "max_file_bytes",
        default: "26214400",
        doc: "Largest single uploaded file (25 MiB).",
    },
    Key { section: "limits", name: "max_files", default: "10", doc: "Most files in one fax." },
    Key { section: "limits", name: "max_recipients", default: "50", doc: "Most recipients of one fax." },
    Key {
        section: "limits",
        name: "max_pages",
        default: "200",
        doc: "Most pages in one fax after rendering; a larger fax fails with `too_many_pages` rather than being cut.",
    },
    Key {
        section: "limits",
        name: "render_seconds",
        default: "120",
        doc: "Longest a fax may take to render.",
    },
    Key {
        section: "limits",
        name: "faxes_per_minute",
        default: "30",
        doc: "Most faxes one account may submit within any 60 seconds; more are refused with 429 `rate_limited` and `Retry-After`. 0: no limit.",
    },
    Key {
        section: "limits",
        name: "pages_per_day",
        default: "1000",
        doc: "Daily page quota of one account: pages × recipients of the faxes queued for dialling per UTC day. A send is refused up front (429 `page_quota_exceeded`) once the day's quota is used; a fax whose rendered pages exceed what remains fails with `page_quota_exceeded` without dialling. 0: no quota.",
    },
    Key { section: "retry", name: "max_dials", default: "5", doc: "Most call attempts per recipient." },
    Key {
        section: "retry",
        name: "deadline_hours",
        default: "24",
        doc: "A recipient not reached within this many hours of the request fails.",
    },
    Key {
        section: "retry",
        name: "busy_seconds",
        default: "120",
        doc: "First wait after a busy line; doubles on each further busy.",
    },
    Key {
        section: "retry",
        name: "no_answer_seconds",
        default: "300",
        doc: "First wait after no answer; doubles on each further one.",
    },
    Key {
        section: "retry",
        name: "protocol_seconds",
        default: "60",
        doc: "First wait after a fax protocol failure; doubles on each further one.",
    },
    Key {
        section: "retention",
        name: "access_log_days",
        default: "30",
        doc: "Access-log entries (IP address, user agent, session) are deleted after this many days.",
    },
    Key {
        section: "retention",
        name: "unsent_upload_days",
        default: "30",
        doc: "Uploaded files of a fax that never reached a final state are deleted after this many days.",
    },
    Key { section: "retention", name: "janitor_seconds", default: "60", doc: "How often the janitor runs." },
    Key {
        section: "workers",
        name: "count",
        default: "2",
        doc: "Job workers in this process (0: API only).",
    },
    Key {
        section: "workers",
        name: "lease_seconds",
        default: "60",
        doc: "How long a claimed job stays with its worker without a heartbeat; after that another worker takes it over.",
    },
    Key {
        section: "workers",
        name: "poll_millis",
        default: "500",
        doc: "How often an idle worker looks for due jobs.",
    },
    Key {
        section: "loopback",
        name: "pacing",
        default: "\"virtual\"",
        doc: "`virtual`: loopback calls run as fast as the CPU allows; `realtime`: at the speed of a real line.",
    },
    Key {
        section: "webhooks",
        name: "allow_private",
        default: "false",
        doc: "Allow webhook and callback URLs that resolve to loopback or private addresses (for self-hosters and tests).",
    },
    Key {
        section: "auth",
        name: "session_hours",
        default: "12",
        doc: "Lifetime of a browser session (the cookie itself ends with the browser).",
    },
    Key {
        section: "auth",
        name: "remember_days",
        default: "30",
        doc: "Lifetime of the optional persistent \"remember me\" cookie.",
    },
    Key {
        section: "auth",
        name: "login_attempts",
        default: "5",
        doc: "Failed logins per account or address within 15 minutes before further attempts are refused.",
    },
    Key {
        section: "privacy",
        name: "truncate_ip",
        default: "true",
        doc: "Shorten client addresses before they are written to the access log: IPv4 to its /24, IPv6 to its /48.",
    },
];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    server: RawServer,
    database: RawDatabase,
    blob: RawBlob,
    mail: RawMail,
    numbers: RawNumbers,
    limits: RawLimits,
    retry: RawRetry,
    retention: RawRetention,
    workers: RawWorkers,
    loopback: RawLoopback,
    webhooks: RawWebhooks,
    auth: RawAuth,
    privacy: RawPrivacy,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawServer {
    listen: String,
    public_url: String,
    data_dir: PathBuf,
    max_request_bytes: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDatabase {
    url: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBlob {
    location: String,
    dir: Option<PathBuf>,
    master_key_file: Option<PathBuf>,
    s3_bucket: Option<String>,
    s3_endpoint: Option<String>,
    s3_region: String,
    s3_access_key_id: Option<String>,
    s3_secret_access_key: Option<String>,
    s3_allow_http: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMail {
    from: String,
    smtp_host: Option<String>,
    smtp_port: u16,
    smtp_security: String,
    smtp_user: Option<String>,
    smtp_password: Option<String>,
    outbox_dir: Option<PathBuf>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNumbers {
    prefix: String,
    first: u64,
    last: u64,
    width: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLimits {
    max_file_bytes: u64,
    max_files: usize,
    max_recipients: usize,
    max_pages: u32,
    render_seconds: u64,
    faxes_per_minute: u32,
    pages_per_day: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRetry {
    max_dials: u32,
    deadline_hours: u64,
    busy_seconds: u64,
    no_answer_seconds: u64,
    protocol_seconds: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRetention {
    access_log_days: u64,
    unsent_upload_days: u64,
    janitor_seconds: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWorkers {
    count: usize,
    lease_seconds: u64,
    poll_millis: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLoopback {
    pacing: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWebhooks {
    allow_private: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAuth {
    session_hours: u64,
    remember_days: u64,
    login_attempts: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPrivacy {
    truncate_ip: bool,
}

/// Where blobs live.
#[derive(Clone, PartialEq, Eq)]
pub enum BlobLocation {
    /// A local folder.
    Local(PathBuf),
    /// An S3-compatible bucket.
    S3 {
        /// Bucket name.
        bucket: String,
        /// Endpoint for non-AWS stores.
        endpoint: Option<String>,
        /// Region.
        region: String,
        /// Access key id.
        access_key_id: String,
        /// Secret access key.
        secret_access_key: String,
        /// Whether plain HTTP is allowed.
        allow_http: bool,
    },
}

impl std::fmt::Debug for BlobLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BlobLocation::Local(path) => f.debug_tuple("Local").field(path).finish(),
            BlobLocation::S3 { bucket, endpoint, region, .. } => f
                .debug_struct("S3")
                .field("bucket", bucket)
                .field("endpoint", endpoint)
                .field("region", region)
                .finish_non_exhaustive(),
        }
    }
}

/// How mail leaves.
#[derive(Clone, PartialEq, Eq)]
pub enum MailTransport {
    /// Into a folder of `.eml` files.
    Outbox(PathBuf),
    /// To an SMTP server.
    Smtp {
        /// Host name.
        host: String,
        /// Port.
        port: u16,
        /// `none`, `starttls` or `tls`.
        security: String,
        /// User name and password.
        credentials: Option<(String, String)>,
    },
}

impl std::fmt::Debug for MailTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MailTransport::Outbox(dir) => f.debug_tuple("Outbox").field(dir).finish(),
            MailTransport::Smtp { host, port, security, credentials } => f
                .debug_struct("Smtp")
                .field("host", host)
                .field("port", port)
                .field("security", security)
                .field("authenticated", &credentials.is_some())
                .finish(),
        }
    }
}

/// How retries are spaced and bounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Most call attempts per recipient.
    pub max_dials: u32,
    /// Time from request to giving up.
    pub deadline: Duration,
    /// First wait after busy.
    pub busy: Duration,
    /// First wait after no answer.
    pub no_answer: Duration,
    /// First wait after a protocol failure.
    pub protocol: Duration,
}

/// Upload and document limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadLimits {
    /// Largest file.
    pub max_file_bytes: u64,
    /// Most files per fax.
    pub max_files: usize,
    /// Most recipients per fax.
    pub max_recipients: usize,
    /// Most pages per fax.
    pub max_pages: u32,
    /// Longest rendering.
    pub render_time: Duration,
}

/// Per-account send limits; 0 in either field means no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendLimits {
    /// Most faxes accepted from one account within 60 seconds.
    pub faxes_per_minute: u32,
    /// Most pages × recipients queued for dialling per account and UTC day.
    pub pages_per_day: u64,
}

/// The resolved configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Listening address.
    pub listen: SocketAddr,
    /// Public URL without a trailing slash.
    pub public_url: String,
    /// Data folder.
    pub data_dir: PathBuf,
    /// Largest request body.
    pub max_request_bytes: u64,
    /// Database URL (secret: may hold a password; never logged).
    pub database_url: String,
    /// Blob location.
    pub blob: BlobLocation,
    /// Master key file.
    pub master_key_file: PathBuf,
    /// Sender address.
    pub mail_from: String,
    /// Mail transport.
    pub mail: MailTransport,
    /// Fax numbers for accounts.
    pub numbers: store::accounts::NumberPlan,
    /// Upload limits.
    pub limits: UploadLimits,
    /// Retry policy.
    pub retry: RetryPolicy,
    /// Access-log retention.
    pub access_log_retention: Duration,
    /// Unsent-upload retention.
    pub unsent_upload_retention: Duration,
    /// Janitor period.
    pub janitor_every: Duration,
    /// Workers in this process.
    pub workers: usize,
    /// Job lease.
    pub lease: Duration,
    /// Idle poll period.
    pub poll: Duration,
    /// Whether loopback calls run in real time.
    pub loopback_realtime: bool,
    /// Whether webhooks may target private addresses.
    pub webhooks_allow_private: bool,
    /// Browser-session lifetime.
    pub session_lifetime: Duration,
    /// Persistent-cookie lifetime.
    pub remember_lifetime: Duration,
    /// Failed logins allowed per 15 minutes.
    pub login_attempts: u64,
    /// Per-account send rate and daily page quota.
    pub send_limits: SendLimits,
    /// Whether access-log addresses are shortened to /24 (IPv4) or /48 (IPv6).
    pub truncate_ip: bool,
}

impl Config {
    /// Loads the configuration: defaults, then `file` (if any), then the process
    /// environment.
    pub fn load(file: Option<&Path>) -> Result<Config, Error> {
        let text = match file {
            Some(path) => std::fs::read_to_string(path)
                .map_err(|e| Error::Config(format!("cannot read {}: {e}", path.display())))?,
            None => String::new(),
        };
        let env: BTreeMap<String, String> = std::env::vars().collect();
        Config::from_parts(&text, &env)
    }

    /// Builds the configuration from TOML text and a map of environment variables.
    pub fn from_parts(toml_text: &str, env: &BTreeMap<String, String>) -> Result<Config, Error> {
        let mut table: toml::Table =
            toml::from_str(toml_text).map_err(|e| Error::Config(format!("configuration file: {e}")))?;
        for key in KEYS {
            let section = table.entry(key.section).or_insert_with(|| toml::Value::Table(toml::Table::new()));
            let toml::Value::Table(section) = section else {
                return Err(Error::Config(format!("[{}] must be a table", key.section)));
            };
            let from_env = env.get(&key.env_var()).cloned().or_else(|| {
                (key.section == "database" && key.name == "url")
                    .then(|| env.get("DATABASE_URL").cloned())
                    .flatten()
            });
            if let Some(value) = from_env {
                section.insert(key.name.to_owned(), env_value(&value));
            } else if !section.contains_key(key.name) && !key.default.is_empty() {
                let parsed: toml::Table = toml::from_str(&format!("v = {}", key.default))
                    .map_err(|e| Error::Config(format!("default of {}: {e}", key.name)))?;
                if let Some(value) = parsed.get("v") {
                    section.insert(key.name.to_owned(), value.clone());
                }
            }
        }
        let raw: Raw =
            table.try_into().map_err(|e: toml::de::Error| Error::Config(format!("configuration: {e}")))?;
        Config::resolve(raw)
    }

    fn resolve(raw: Raw) -> Result<Config, Error> {
        let data_dir = raw.server.data_dir;
        let listen =
            raw.server.listen.parse().map_err(|_| {
                Error::Config("server.listen must be an address such as 127.0.0.1:8080".into())
            })?;
        let public_url = raw.server.public_url.trim_end_matches('/').to_owned();
        url::Url::parse(&public_url)
            .map_err(|_| Error::Config("server.public_url must be an absolute URL".into()))?;
        let database_url = non_empty(raw.database.url)
            .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("ferrofax.sqlite3").display()));
        let blob = match raw.blob.location.as_str() {
            "local" => BlobLocation::Local(
                raw.blob.dir.filter(|d| !d.as_os_str().is_empty()).unwrap_or_else(|| data_dir.join("blobs")),
            ),
            "s3" => BlobLocation::S3 {
                bucket: non_empty(raw.blob.s3_bucket)
                    .ok_or_else(|| Error::Config("blob.s3_bucket is required for location = s3".into()))?,
                endpoint: non_empty(raw.blob.s3_endpoint),
                region: raw.blob.s3_region,
                access_key_id: non_empty(raw.blob.s3_access_key_id).unwrap_or_default(),
                secret_access_key: non_empty(raw.blob.s3_secret_access_key).unwrap_or_default(),
                allow_http: raw.blob.s3_allow_http,
            },
            other => return Err(Error::Config(format!("blob.location must be local or s3, not {other:?}"))),
        };
        let master_key_file = raw
            .blob
            .master_key_file
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or_else(|| data_dir.join("master.key"));
        let mail = match non_empty(raw.mail.smtp_host) {
            Some(host) => {
                if !matches!(raw.mail.smtp_security.as_str(), "none" | "starttls" | "tls") {
                    return Err(Error::Config("mail.smtp_security must be none, starttls or tls".into()));
                }
                MailTransport::Smtp {
                    host,
                    port: raw.mail.smtp_port,
                    security: raw.mail.smtp_security,
                    credentials: non_empty(raw.mail.smtp_user)
                        .map(|user| (user, raw.mail.smtp_password.unwrap_or_default())),
                }
            }
            None => MailTransport::Outbox(
                raw.mail
                    .outbox_dir
                    .filter(|d| !d.as_os_str().is_empty())
                    .unwrap_or_else(|| data_dir.join("outbox")),
            ),
        };
        if raw.numbers.first > raw.numbers.last || raw.numbers.width == 0 || raw.numbers.width > 15 {
            return Err(Error::Config("numbers: first must not exceed last, width 1–15".into()));
        }
        if !raw.numbers.prefix.starts_with('+')
            || !raw.numbers.prefix[1..].bytes().all(|b| b.is_ascii_digit())
        {
            return Err(Error::Config("numbers.prefix must be + followed by digits".into()));
        }
        let loopback_realtime = match raw.loopback.pacing.as_str() {
            "virtual" => false,
            "realtime" => true,
            other => {
                return Err(Error::Config(format!(
                    "loopback.pacing must be virtual or realtime, not {other:?}"
                )));
            }
        };
        let hours = |h: u64| Duration::from_secs(h.saturating_mul(3600));
        let days = |d: u64| Duration::from_secs(d.saturating_mul(86_400));
        Ok(Config {
            listen,
            public_url,
            max_request_bytes: raw.server.max_request_bytes,
            database_url,
            blob,
            master_key_file,
            mail_from: raw.mail.from,
            mail,
            numbers: store::accounts::NumberPlan {
                prefix: raw.numbers.prefix,
                first: raw.numbers.first,
                last: raw.numbers.last,
                width: raw.numbers.width,
            },
            limits: UploadLimits {
                max_file_bytes: raw.limits.max_file_bytes,
                max_files: raw.limits.max_files.max(1),
                max_recipients: raw.limits.max_recipients.max(1),
                max_pages: raw.limits.max_pages.max(1),
                render_time: Duration::from_secs(raw.limits.render_seconds.max(1)),
            },
            retry: RetryPolicy {
                max_dials: raw.retry.max_dials.max(1),
                deadline: hours(raw.retry.deadline_hours),
                busy: Duration::from_secs(raw.retry.busy_seconds),
                no_answer: Duration::from_secs(raw.retry.no_answer_seconds),
                protocol: Duration::from_secs(raw.retry.protocol_seconds),
            },
            access_log_retention: days(raw.retention.access_log_days),
            unsent_upload_retention: days(raw.retention.unsent_upload_days),
            janitor_every: Duration::from_secs(raw.retention.janitor_seconds.max(1)),
            workers: raw.workers.count,
            lease: Duration::from_secs(raw.workers.lease_seconds.max(5)),
            poll: Duration::from_millis(raw.workers.poll_millis.max(10)),
            loopback_realtime,
            webhooks_allow_private: raw.webhooks.allow_private,
            session_lifetime: hours(raw.auth.session_hours.max(1)),
            remember_lifetime: days(raw.auth.remember_days.max(1)),
            login_attempts: raw.auth.login_attempts.max(1),
            send_limits: SendLimits {
                faxes_per_minute: raw.limits.faxes_per_minute,
                pages_per_day: raw.limits.pages_per_day,
            },
            truncate_ip: raw.privacy.truncate_ip,
            data_dir,
        })
    }

    /// Whether cookies must carry `Secure`.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

/// An environment value as TOML: numbers and booleans as such, anything else as a
/// string (so `FERROFAX_NUMBERS_PREFIX=+49301` stays a string).
fn env_value(value: &str) -> toml::Value {
    if let Ok(n) = value.parse::<i64>()
        && !value.starts_with('+')
    {
        return toml::Value::Integer(n);
    }
    match value {
        "true" => toml::Value::Boolean(true),
        "false" => toml::Value::Boolean(false),
        _ => toml::Value::String(value.to_owned()),
    }
}

/// The Markdown reference of every key, as kept in `docs/configuration.md`.
pub fn reference_markdown() -> String {
    let mut out = String::from(
        "# Configuration reference\n\n\
         <!-- Generated from crates/server/src/config.rs (KEYS); a test keeps this file in step. -->\n\n\
         `ferrofax serve` reads defaults, then the TOML file given with `--config` (or \
         `FERROFAX_CONFIG`), then environment variables: every key below can be set as \
         `FERROFAX_<SECTION>_<KEY>` (for example `FERROFAX_SERVER_LISTEN=0.0.0.0:8080`); \
         `DATABASE_URL` sets `database.url`, and `FERROFAX_MASTER_KEY` (base64) supplies the \
         master key instead of the key file. Unknown keys in the file are an error.\n",
    );
    let mut section = "";
    for key in KEYS {
        if key.section != section {
            section = key.section;
            out.push_str(&format!(
                "\n## [{section}]\n\n| key | default | environment | meaning |\n| --- | --- | --- | --- |\n"
            ));
        }
        let default =
            if key.default.is_empty() { "(unset)".to_owned() } else { format!("`{}`", key.default) };
        out.push_str(&format!("| `{}` | {default} | `{}` | {} |\n", key.name, key.env_var(), key.doc));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_alone_make_the_embedded_setup() {
        let config = Config::from_parts("", &BTreeMap::new()).unwrap();
        assert_eq!(config.listen, "127.0.0.1:8080".parse().unwrap());
        assert!(config.database_url.starts_with("sqlite://"));
        assert!(matches!(config.mail, MailTransport::Outbox(_)));
        assert_eq!(config.blob, BlobLocation::Local(PathBuf::from("ferrofax-data/blobs")));
        assert_eq!(config.access_log_retention, Duration::from_secs(30 * 86_400));
    }

    #[test]
    fn file_then_environment_override() {
        let env = BTreeMap::from([
            ("FERROFAX_SERVER_LISTEN".to_owned(), "0.0.0.0:9000".to_owned()),
            ("DATABASE_URL".to_owned(), "postgres://x@localhost/db".to_owned()),
            ("FERROFAX_NUMBERS_PREFIX".to_owned(), "+4930".to_owned()),
        ]);
        let file = "[server]\nlisten = \"127.0.0.1:1\"\ndata_dir = \"/srv/fax\"\n[retry]\nmax_dials = 3\n";
        let config = Config::from_parts(file, &env).unwrap();
        assert_eq!(config.listen.port(), 9000);
        assert_eq!(config.database_url, "postgres://x@localhost/db");
        assert_eq!(config.numbers.prefix, "+4930");
        assert_eq!(config.retry.max_dials, 3);
        assert_eq!(config.master_key_file, PathBuf::from("/srv/fax/master.key"));
    }

    #[test]
    fn unknown_keys_and_bad_values_are_errors() {
        assert!(Config::from_parts("[server]\nlisten_on = \"x\"\n", &BTreeMap::new()).is_err());
        assert!(Config::from_parts("[loopback]\npacing = \"fast\"\n", &BTreeMap::new()).is_err());
        assert!(Config::from_parts("[blob]\nlocation = \"s3\"\n", &BTreeMap::new()).is_err());
    }

    #[test]
    fn the_documented_reference_is_current() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/configuration.md");
        let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
        if std::env::var_os("FERROFAX_BLESS").is_some() {
            std::fs::write(&path, reference_markdown()).unwrap();
            return;
        }
        assert_eq!(
            on_disk,
            reference_markdown(),
            "docs/configuration.md is stale: rerun with FERROFAX_BLESS=1"
        );
    }
}
