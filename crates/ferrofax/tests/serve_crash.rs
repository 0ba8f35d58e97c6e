//! Crash safety: `ferrofax serve` is killed (SIGKILL) while faxes are in flight,
//! started again on the same data folder, and every accepted fax still reaches a
//! final state exactly once.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

struct Service {
    child: Child,
    base: String,
}

fn start(data: &std::path::Path) -> Service {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ferrofax"))
        .arg("serve")
        .env("FERROFAX_SERVER_LISTEN", "127.0.0.1:0")
        .env("FERROFAX_SERVER_DATA_DIR", data)
        .env("FERROFAX_WORKERS_COUNT", "2")
        .env("FERROFAX_WORKERS_LEASE_SECONDS", "5")
        .env("FERROFAX_WORKERS_POLL_MILLIS", "50")
        // Real-time pacing makes each call take seconds, so the kill lands mid-call.
        .env("FERROFAX_LOOPBACK_PACING", "realtime")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start ferrofax serve");
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let base = line.trim().strip_prefix("listening on ").expect("listening line").to_owned();
    Service { child, base }
}

/// A one-page PDF with a little content: short to transmit, so calls take seconds.
fn small_pdf(label: u32) -> Vec<u8> {
    let mut page =
        fax_image::Page::new(1728, 1145, fax_image::Resolution::STANDARD, &fax_image::Limits::DEFAULT)
            .unwrap();
    for y in 100..140 + label * 10 {
        for x in 200..1500 {
            page.set_pixel(x, y, true);
        }
    }
    fax_image::pdf::write(&[page], &fax_image::pdf::PdfMeta::default()).unwrap()
}

async fn register(client: &reqwest::Client, base: &str, email: &str) -> (String, String) {
    let response = client
        .post(format!("{base}/v1/accounts"))
        .json(&json!({"name": email, "email": email, "password": "correct horse battery", "age_confirmed": true, "accept_terms": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let cookie =
        response.headers().get("set-cookie").unwrap().to_str().unwrap().split(';').next().unwrap().to_owned();
    let account: Value = response.json().await.unwrap();
    let key: Value = client
        .post(format!("{base}/v1/api-keys"))
        .header("cookie", cookie)
        .json(&json!({"name": "t"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (key["token"].as_str().unwrap().to_owned(), account["fax_number"].as_str().unwrap().to_owned())
}

async fn send(
    client: &reqwest::Client,
    base: &str,
    key: &str,
    to: &str,
    pdf: Vec<u8>,
    idempotency: &str,
) -> Value {
    let form = reqwest::multipart::Form::new()
        .part("file", reqwest::multipart::Part::bytes(pdf).file_name("a.pdf"))
        .text("to", to.to_owned())
        .text("resolution", "standard");
    let response = client
        .post(format!("{base}/v1/faxes"))
        .bearer_auth(key)
        .header("Idempotency-Key", idempotency)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    response.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_accepted_fax_survives_a_killed_server() {
    let data = tempfile::tempdir().unwrap();
    // reqwest carries rustls without a provider of its own (see crates/blob).
    blob::install_crypto_provider();
    let client = reqwest::Client::new();
    let mut service = start(data.path());
    let (alice, _) = register(&client, &service.base, "alice@example.org").await;
    let (_, bob_number) = register(&client, &service.base, "bob@example.org").await;
    let (bob_key, _) = {
        let response = client
            .post(format!("{}/v1/sessions", service.base))
            .json(&json!({"email": "bob@example.org", "password": "correct horse battery"}))
            .send()
            .await
            .unwrap();
        let cookie = response
            .headers()
            .get("set-cookie")
            .unwrap()
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let key: Value = client
            .post(format!("{}/v1/api-keys", service.base))
            .header("cookie", cookie)
            .json(&json!({"name": "t"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        (key["token"].as_str().unwrap().to_owned(), ())
    };
    let mut ids = Vec::new();
    for n in 0..3 {
        let fax = send(&client, &service.base, &alice, &bob_number, small_pdf(n), &format!("job-{n}")).await;
        ids.push(fax["id"].as_str().unwrap().to_owned());
    }
    // Kill while the first call is on the line.
    let started = Instant::now();
    loop {
        let fax: Value = client
            .get(format!("{}/v1/faxes/{}", service.base, ids[0]))
            .bearer_auth(&alice)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if fax["recipients"][0]["status"] == "dialing" {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "the first fax never started dialing");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    service.child.kill().unwrap(); // SIGKILL
    service.child.wait().unwrap();

    let mut service = start(data.path());
    // The same request replayed after the crash returns the first result.
    let again = send(&client, &service.base, &alice, &bob_number, small_pdf(0), "job-0").await;
    assert_eq!(again["id"], ids[0].as_str());
    let deadline = Instant::now() + Duration::from_secs(240);
    for id in &ids {
        loop {
            let fax: Value = client
                .get(format!("{}/v1/faxes/{id}", service.base))
                .bearer_auth(&alice)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let status = fax["recipients"][0]["status"].as_str().unwrap().to_owned();
            if status == "delivered" {
                assert_eq!(fax["recipients"][0]["pages_sent"], 1);
                break;
            }
            assert!(!["failed", "canceled", "partially_delivered"].contains(&status.as_str()), "{fax:#}");
            assert!(Instant::now() < deadline, "fax {id} not delivered after the restart: {fax:#}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    // Exactly once: Bob holds one received fax per accepted request.
    let inbox: Value = client
        .get(format!("{}/v1/inbox", service.base))
        .bearer_auth(&bob_key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(inbox["faxes"].as_array().unwrap().len(), ids.len(), "{inbox:#}");
    service.child.kill().unwrap();
    service.child.wait().unwrap();
}
