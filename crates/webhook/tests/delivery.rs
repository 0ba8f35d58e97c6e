//! Delivery to real HTTP servers on the loopback interface.

use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use url::Url;
use webhook::{AddressPolicy, Attempt, Headers, Secret, Sender, Timeouts, verify};

struct Receiver {
    secret: Secret,
    verified: AtomicUsize,
    rejected: AtomicUsize,
    redirect_target_hits: AtomicUsize,
    slow_hits: AtomicUsize,
}

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

async fn hook(State(rx): State<Arc<Receiver>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("");
    let signed = Headers {
        id: get("webhook-id"),
        timestamp: get("webhook-timestamp"),
        signature: get("webhook-signature"),
    };
    let json = get("content-type") == "application/json";
    if json && verify(&rx.secret, &signed, &body, now(), 300).is_ok() {
        rx.verified.fetch_add(1, Ordering::SeqCst);
        StatusCode::NO_CONTENT
    } else {
        rx.rejected.fetch_add(1, Ordering::SeqCst);
        StatusCode::UNAUTHORIZED
    }
}

async fn fail() -> StatusCode {
    StatusCode::INTERNAL_SERVER_ERROR
}

async fn redirect() -> Response {
    (StatusCode::FOUND, [(header::LOCATION, "/redirect-target")]).into_response()
}

async fn redirect_target(State(rx): State<Arc<Receiver>>) -> StatusCode {
    rx.redirect_target_hits.fetch_add(1, Ordering::SeqCst);
    StatusCode::OK
}

async fn slow(State(rx): State<Arc<Receiver>>) -> StatusCode {
    rx.slow_hits.fetch_add(1, Ordering::SeqCst);
    // Never answers; the test's runtime drops this when it ends.
    std::future::pending::<()>().await;
    StatusCode::OK
}

/// A 200 with a body that never ends.
async fn huge() -> Response {
    static CHUNK: [u8; 16 * 1024] = [b'x'; 16 * 1024];
    let stream = futures_util::stream::repeat_with(|| Ok::<_, Infallible>(Bytes::from_static(&CHUNK)));
    Response::new(Body::from_stream(stream))
}

async fn start(secret: Secret) -> (SocketAddr, Arc<Receiver>) {
    let rx = Arc::new(Receiver {
        secret,
        verified: AtomicUsize::new(0),
        rejected: AtomicUsize::new(0),
        redirect_target_hits: AtomicUsize::new(0),
        slow_hits: AtomicUsize::new(0),
    });
    let app = Router::new()
        .route("/hook", post(hook))
        .route("/fail", post(fail))
        .route("/redirect", post(redirect))
        .route("/redirect-target", post(redirect_target).get(redirect_target))
        .route("/slow", post(slow))
        .route("/huge", post(huge))
        .with_state(rx.clone());
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (addr, rx)
}

fn url(addr: SocketAddr, path: &str) -> Url {
    Url::parse(&format!("http://{addr}{path}")).expect("url")
}

const BODY: &[u8] = br#"{"type":"fax.delivered","data":{"id":"fax_1"}}"#;

fn short_timeouts() -> Timeouts {
    Timeouts { connect: Duration::from_secs(2), total: Duration::from_millis(500) }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivers_signed_messages_that_verify() {
    let secret = Secret::generate().expect("secret");
    let (addr, rx) = start(secret.clone()).await;
    let sender = Sender::new(AddressPolicy::AllowPrivate).expect("sender");
    for i in 0..3 {
        let attempt = sender.deliver(&url(addr, "/hook"), &secret, &format!("msg_{i}"), now(), BODY).await;
        assert_eq!(attempt, Attempt { status: Some(204), error: None, delivered: true });
    }
    assert_eq!(rx.verified.load(Ordering::SeqCst), 3);
    assert_eq!(rx.rejected.load(Ordering::SeqCst), 0);

    // Signed with another secret, the receiver refuses it, and the attempt says so.
    let wrong = Secret::generate().expect("secret");
    let attempt = sender.deliver(&url(addr, "/hook"), &wrong, "msg_x", now(), BODY).await;
    assert_eq!(attempt, Attempt { status: Some(401), error: None, delivered: false });
    // An old timestamp is refused by the receiver's tolerance.
    let attempt = sender.deliver(&url(addr, "/hook"), &secret, "msg_y", now() - 3600, BODY).await;
    assert_eq!(attempt.status, Some(401));
    assert_eq!(rx.rejected.load(Ordering::SeqCst), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_error_is_not_delivered() {
    let secret = Secret::generate().expect("secret");
    let (addr, _) = start(secret.clone()).await;
    let sender = Sender::new(AddressPolicy::AllowPrivate).expect("sender");
    let attempt = sender.deliver(&url(addr, "/fail"), &secret, "msg_1", now(), BODY).await;
    assert_eq!(attempt, Attempt { status: Some(500), error: None, delivered: false });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirects_are_not_followed() {
    let secret = Secret::generate().expect("secret");
    let (addr, rx) = start(secret.clone()).await;
    let sender = Sender::new(AddressPolicy::AllowPrivate).expect("sender");
    let attempt = sender.deliver(&url(addr, "/redirect"), &secret, "msg_1", now(), BODY).await;
    assert_eq!(attempt, Attempt { status: Some(302), error: None, delivered: false });
    assert_eq!(rx.redirect_target_hits.load(Ordering::SeqCst), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_that_never_answers_times_out() {
    let secret = Secret::generate().expect("secret");
    let (addr, rx) = start(secret.clone()).await;
    let sender = Sender::with_timeouts(AddressPolicy::AllowPrivate, short_timeouts()).expect("sender");
    let attempt = sender.deliver(&url(addr, "/slow"), &secret, "msg_1", now(), BODY).await;
    assert_eq!(attempt.status, None);
    assert!(!attempt.delivered);
    let error = attempt.error.expect("an error");
    assert!(error.starts_with("timed out"), "{error}");
    assert!(!error.contains("127.0.0.1"), "errors leave the URL out: {error}");
    assert_eq!(rx.slow_hits.load(Ordering::SeqCst), 1, "the request did reach the server");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_response_body_is_not_read_to_the_end() {
    let secret = Secret::generate().expect("secret");
    let (addr, _) = start(secret.clone()).await;
    // Reading the endless body would run into the total timeout and report an error;
    // the capped read stops after 64 KiB and reports a clean delivery.
    let timeouts = Timeouts { connect: Duration::from_secs(2), total: Duration::from_secs(10) };
    let sender = Sender::with_timeouts(AddressPolicy::AllowPrivate, timeouts).expect("sender");
    let attempt = sender.deliver(&url(addr, "/huge"), &secret, "msg_1", now(), BODY).await;
    assert_eq!(attempt, Attempt { status: Some(200), error: None, delivered: true });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_only_refuses_internal_destinations() {
    let secret = Secret::generate().expect("secret");
    let (addr, rx) = start(secret.clone()).await;
    let sender = Sender::with_timeouts(AddressPolicy::PublicOnly, short_timeouts()).expect("sender");
    let port = addr.port();
    // Loopback first: if the guard were broken these would reach the local server and
    // fail the test before the private target below could be tried.
    for target in [
        format!("http://127.0.0.1:{port}/hook"),
        format!("http://[::1]:{port}/hook"),
        format!("http://[::ffff:127.0.0.1]:{port}/hook"),
        // A name that resolves to loopback is refused after resolution.
        format!("http://localhost:{port}/hook"),
        // Refused before any packet is sent: no connection to 10.x is ever attempted.
        "http://10.0.0.1/hook".to_owned(),
    ] {
        let attempt = sender.deliver(&Url::parse(&target).expect("url"), &secret, "msg_1", now(), BODY).await;
        assert_eq!(attempt.status, None, "{target}");
        assert!(!attempt.delivered, "{target}");
        let error = attempt.error.expect("an error");
        assert!(error.contains("destination address refused"), "{target}: {error}");
    }
    assert_eq!(
        rx.verified.load(Ordering::SeqCst) + rx.rejected.load(Ordering::SeqCst),
        0,
        "nothing reached the server"
    );

    // The same loopback server is reachable with AllowPrivate, so the refusals above
    // came from the policy.
    let open = Sender::with_timeouts(AddressPolicy::AllowPrivate, short_timeouts()).expect("sender");
    let attempt = open.deliver(&url(addr, "/hook"), &secret, "msg_2", now(), BODY).await;
    assert!(attempt.delivered, "{attempt:?}");
    let attempt = open
        .deliver(
            &Url::parse(&format!("http://localhost:{port}/hook")).expect("url"),
            &secret,
            "msg_3",
            now(),
            BODY,
        )
        .await;
    assert!(attempt.delivered, "{attempt:?}");
}

#[tokio::test]
async fn unusable_urls_and_ids_are_refused_without_a_request() {
    let secret = Secret::generate().expect("secret");
    let sender = Sender::new(AddressPolicy::AllowPrivate).expect("sender");
    let attempt =
        sender.deliver(&Url::parse("ftp://127.0.0.1/x").expect("url"), &secret, "msg_1", now(), BODY).await;
    assert!(attempt.error.expect("error").contains("only http and https"));
    let attempt = sender
        .deliver(&Url::parse("http://127.0.0.1:9/x").expect("url"), &secret, "bad\nid", now(), BODY)
        .await;
    assert!(attempt.error.expect("error").contains("not a valid header value"));
}
