//! Delivering one webhook attempt over HTTP.

use std::error::Error as StdError;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::header::{CONTENT_TYPE, HeaderValue};
use reqwest::redirect;
use url::{Host, Url};

use crate::{AddressPolicy, Error, Secret, sign};

/// Most bytes of a response body read (and then discarded). Reading a little lets a
/// kept-alive connection be reused for small answers; anything beyond this is
/// dropped with the connection, so a receiver cannot make the sender download a
/// large body.
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024;

/// Longest error text kept in an [`Attempt`], so a delivery log row stays small.
const MAX_ERROR_CHARS: usize = 300;

/// How long a delivery may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Limit for the TCP (and TLS) connection to be established.
    pub connect: Duration,
    /// Limit for the whole attempt: connection, request, response headers and the
    /// bounded read of the body.
    pub total: Duration,
}

impl Default for Timeouts {
    /// 5 s to connect, 15 s in all.
    fn default() -> Timeouts {
        Timeouts { connect: Duration::from_secs(5), total: Duration::from_secs(15) }
    }
}

/// The result of one delivery attempt, ready for a delivery log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// The HTTP status, if a response arrived.
    pub status: Option<u16>,
    /// Why the attempt failed, if it failed before a response arrived or while its
    /// body was read. It never contains the URL, which may carry a token.
    pub error: Option<String>,
    /// Whether the receiver accepted the message: a 2xx status. A redirect is not
    /// followed and counts as a failure, as the specification asks.
    pub delivered: bool,
}

impl Attempt {
    fn failed(status: Option<u16>, error: String) -> Attempt {
        Attempt { status, error: Some(error), delivered: false }
    }
}

/// Posts signed webhook messages. Cloning is cheap and shares connections.
#[derive(Debug, Clone)]
pub struct Sender {
    client: reqwest::Client,
    policy: AddressPolicy,
}

impl Sender {
    /// A sender with the default [`Timeouts`] (5 s to connect, 15 s in all).
    pub fn new(policy: AddressPolicy) -> Result<Sender, Error> {
        Sender::with_timeouts(policy, Timeouts::default())
    }

    /// A sender with the given timeouts.
    ///
    /// The client follows no redirects, uses no proxy (a proxy would connect to the
    /// destination on our behalf, past the address check), speaks HTTPS through
    /// rustls, and resolves names through a resolver that drops every address the
    /// policy refuses.
    pub fn with_timeouts(policy: AddressPolicy, timeouts: Timeouts) -> Result<Sender, Error> {
        // reqwest is built without a crypto provider of its own (aws-lc-rs costs
        // minutes of C compilation on every clean build); ring is installed as the
        // process default unless the host program installed one already.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .redirect(redirect::Policy::none())
            .no_proxy()
            .connect_timeout(timeouts.connect)
            .timeout(timeouts.total)
            .user_agent(concat!("Ferrofax-Webhooks/", env!("CARGO_PKG_VERSION")))
            .dns_resolver(Arc::new(GuardedResolver { policy }))
            .build()
            .map_err(|e| Error::Client(describe(&e)))?;
        Ok(Sender { client, policy })
    }

    /// Delivers one attempt of message `message_id` with body `body` (JSON) to `url`,
    /// signed with `secret` at `timestamp` (Unix seconds, normally now).
    ///
    /// Never fails as a call: every outcome, including a refused address, is an
    /// [`Attempt`] to record and schedule a retry from.
    pub async fn deliver(
        &self,
        url: &Url,
        secret: &Secret,
        message_id: &str,
        timestamp: i64,
        body: &[u8],
    ) -> Attempt {
        if let Err(reason) = self.check_url(url) {
            return Attempt::failed(None, reason);
        }
        let (Ok(id_value), Ok(signature_value)) = (
            HeaderValue::from_str(message_id),
            HeaderValue::from_str(&sign(secret, message_id, timestamp, body)),
        ) else {
            return Attempt::failed(None, "message id is not a valid header value".to_owned());
        };
        let request = self
            .client
            .post(url.clone())
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .header("webhook-id", id_value)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature_value)
            .body(body.to_vec());
        let mut response = match request.send().await {
            Ok(response) => response,
            Err(e) => return Attempt::failed(None, describe(&e)),
        };
        let status = response.status().as_u16();
        let delivered = response.status().is_success();
        // Read up to the cap and discard; a receiver's answer is not used, but reading
        // a short one keeps the connection reusable.
        let mut read = 0usize;
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    read = read.saturating_add(chunk.len());
                    if read >= MAX_RESPONSE_BYTES {
                        break;
                    }
                }
                Ok(None) => break,
                // The status already arrived; an error while reading the body does not
                // change whether the receiver accepted the message, but is noted.
                Err(e) => return Attempt { status: Some(status), error: Some(describe(&e)), delivered },
            }
        }
        drop(response);
        Attempt { status: Some(status), error: None, delivered }
    }

    /// Refuses URLs that are not http(s) and IP-literal hosts the policy refuses (the
    /// resolver never sees those).
    fn check_url(&self, url: &Url) -> Result<(), String> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err("only http and https webhook URLs are allowed".to_owned());
        }
        let ip = match url.host() {
            Some(Host::Ipv4(ip)) => IpAddr::V4(ip),
            Some(Host::Ipv6(ip)) => IpAddr::V6(ip),
            Some(Host::Domain(_)) => return Ok(()),
            None => return Err("webhook URL has no host".to_owned()),
        };
        if self.policy.allows(ip) { Ok(()) } else { Err(refused_message()) }
    }
}

fn refused_message() -> String {
    "destination address refused: not a public address".to_owned()
}

/// Resolves names with the system resolver and keeps only the addresses the policy
/// allows, so the connection can only go to a checked address.
#[derive(Debug)]
struct GuardedResolver {
    policy: AddressPolicy,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let resolved: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map_err(|e| -> Box<dyn StdError + Send + Sync> { format!("DNS lookup failed: {e}").into() })?
                .collect();
            let allowed: Vec<SocketAddr> =
                resolved.into_iter().filter(|addr| policy.allows(addr.ip())).collect();
            if allowed.is_empty() {
                return Err(refused_message().into());
            }
            let addrs: Addrs = Box::new(allowed.into_iter());
            Ok(addrs)
        })
    }
}

/// Describes a reqwest error with its causes, without the URL (which may carry a
/// token), cut to a bounded length.
fn describe(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "connection failed"
    } else if error.is_redirect() {
        "redirect"
    } else {
        "request failed"
    };
    let mut text = String::from(kind);
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    if text.chars().count() > MAX_ERROR_CHARS {
        text = text.chars().take(MAX_ERROR_CHARS).collect();
    }
    text
}
