//! The API suite: every test runs against SQLite and against PostgreSQL.

mod common;

use std::time::Duration;

use common::{Harness, itu_pdf, session_cookie};
use serde_json::{Value, json};

on_both_backends!(
    delivers_a_fax_between_two_accounts,
    every_endpoint_refuses_another_accounts_data,
    bad_input_is_refused_with_typed_errors,
    idempotency_key_replays_the_first_result,
    test_numbers_give_their_outcomes,
    cancel_stops_a_queued_fax,
    janitor_keeps_the_retention_promises,
    sessions_and_login_throttling,
    openapi_document_lists_every_route,
);

/// Pages of a PDF as extracted by poppler's `pdfimages` (the CCITT images, exactly).
fn pdf_pages(pdf: &[u8]) -> Vec<fax_image::Page> {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.pdf");
    std::fs::write(&input, pdf).unwrap();
    let status = std::process::Command::new("pdfimages")
        .arg("-png")
        .arg(&input)
        .arg(dir.path().join("page"))
        .status()
        .expect("pdfimages (Debian package poppler-utils) must be installed");
    assert!(status.success());
    let mut files: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|f| {
            fax_image::png::read(
                &std::fs::read(f).unwrap(),
                fax_image::Resolution::FINE,
                &fax_image::Limits::DEFAULT,
            )
            .unwrap()
        })
        .collect()
}

async fn delivers_a_fax_between_two_accounts(h: &Harness) {
    let (hook_url, hooks) = webhook_sink().await;
    let alice = h.register("Alice", "alice@example.org").await;
    let bob = h.register("Bob", "bob@example.org").await;
    for user in [&alice, &bob] {
        let response = h
            .client
            .patch(h.url("/v1/account"))
            .bearer_auth(&user.key)
            .json(&json!({"webhook_url": hook_url, "notify_on_receive": true}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    let pdf = itu_pdf(3);
    let header = "FROM {from_number} TO {to} P.{page}/{pages}";
    let response = h
        .send_fax(
            &alice,
            vec![("letter.pdf", pdf.clone())],
            &[&bob.number()],
            &[("header", header), ("client_reference", "case-42")],
            None,
        )
        .await;
    assert_eq!(response.status(), 202, "{}", response.text().await.unwrap());
    let fax: Value = response.json().await.unwrap();
    let fax = h.wait_final(&alice, fax["id"].as_str().unwrap()).await;
    let recipient = &fax["recipients"][0];
    assert_eq!(recipient["status"], "delivered", "{fax:#}");
    assert_eq!(recipient["pages_sent"], 3);
    assert_eq!(fax["pages"], 3);
    assert!(recipient["rate"].as_i64().unwrap() >= 2400);

    // What Bob got is what Alice's document rendered to, with the header line.
    let mut expected = render::render(pdf, &render::Options::default()).unwrap();
    for (i, page) in expected.iter_mut().enumerate() {
        let text = fax_image::header::expand(
            header,
            &fax_image::header::HeaderFields {
                from_number: alice.number(),
                to: bob.number(),
                page: i as u32 + 1,
                pages: Some(3),
                ..Default::default()
            },
        );
        fax_image::header::stamp(page, &text, &fax_image::header::HeaderOptions::default()).unwrap();
    }
    let inbox = h.get_json(&bob, "/v1/inbox").await;
    let received = &inbox["faxes"][0];
    assert_eq!(received["pages"], 3);
    assert_eq!(received["from_number"], alice.number().as_str());
    let pdf_response = h.get(&bob, &format!("/v1/inbox/{}/pdf", received["id"].as_str().unwrap())).await;
    assert_eq!(pdf_response.status(), 200);
    let inbox_pdf = pdf_response.bytes().await.unwrap().to_vec();
    let pages = pdf_pages(&inbox_pdf);
    assert_eq!(pages.len(), 3);
    for (got, want) in pages.iter().zip(&expected) {
        assert_eq!((got.width(), got.height()), (want.width(), want.height()));
        assert!(got.rows().eq(want.rows()), "received page differs from the rendered page");
    }

    // The e-mail to Bob (the outbox here) carries the same pages.
    let mail = wait_for_mail(h, "bob@example.org", "Fax from").await;
    let message = mail_parser::MessageParser::default().parse(&mail).unwrap();
    let attachment = message.attachments().next().expect("PDF attached");
    let mailed = pdf_pages(attachment.contents());
    assert_eq!(mailed.len(), 3);
    for (got, want) in mailed.iter().zip(&expected) {
        assert!(got.rows().eq(want.rows()), "mailed page differs from the rendered page");
    }

    // The upload and the rendered image are gone from storage.
    let app = h.app().await;
    assert!(app.blobs.list("upload").await.unwrap().is_empty(), "upload still stored");
    assert!(app.blobs.list("rendered").await.unwrap().is_empty(), "rendered fax still stored");
    let fax = h.get_json(&alice, &format!("/v1/faxes/{}", fax["id"].as_str().unwrap())).await;
    assert_eq!(fax["document_available"], false);

    // Both sides got signed webhooks: delivered for Alice, received for Bob.
    let secrets =
        [alice.account["webhook_secret"].as_str().unwrap(), bob.account["webhook_secret"].as_str().unwrap()];
    let events = wait_for_hooks(&hooks, 2).await;
    let mut types = Vec::new();
    for event in &events {
        let verified = secrets.iter().any(|s| {
            webhook::verify(
                &webhook::Secret::parse(s).unwrap(),
                &webhook::Headers { id: &event.id, timestamp: &event.timestamp, signature: &event.signature },
                &event.body,
                server::now_ms() / 1000,
                300,
            )
            .is_ok()
        });
        assert!(verified, "webhook signature does not verify");
        let body: Value = serde_json::from_slice(&event.body).unwrap();
        types.push(body["type"].as_str().unwrap().to_owned());
    }
    types.sort();
    assert_eq!(types, ["fax.delivered", "fax.received"]);
    let log = h.get_json(&alice, "/v1/webhooks/deliveries").await;
    assert_eq!(log[0]["event_type"], "fax.delivered");
}

async fn every_endpoint_refuses_another_accounts_data(h: &Harness) {
    let alice = h.register("Alice", "alice@example.org").await;
    let mallory = h.register("Mallory", "mallory@example.org").await;
    let bob = h.register("Bob", "bob@example.org").await;
    let response = h.send_fax(&alice, vec![("a.pdf", itu_pdf(1))], &[&bob.number()], &[], None).await;
    let fax: Value = response.json().await.unwrap();
    let id = fax["id"].as_str().unwrap().to_owned();
    h.wait_final(&alice, &id).await;
    let received = h.get_json(&bob, "/v1/inbox").await["faxes"][0]["id"].as_str().unwrap().to_owned();
    let keys = h.get_json(&alice, "/v1/api-keys").await;
    let key_id = keys[0]["id"].as_str().unwrap().to_owned();

    for path in [
        format!("/v1/faxes/{id}"),
        format!("/v1/faxes/{id}/document"),
        format!("/v1/inbox/{received}"),
        format!("/v1/inbox/{received}/pdf"),
    ] {
        assert_eq!(h.get(&mallory, &path).await.status(), 404, "GET {path}");
    }
    assert!(h.get_json(&mallory, "/v1/faxes").await["faxes"].as_array().unwrap().is_empty());
    assert!(h.get_json(&mallory, "/v1/inbox").await["faxes"].as_array().unwrap().is_empty());
    for path in [format!("/v1/faxes/{id}/cancel"), format!("/v1/faxes/{id}/resend")] {
        let status = h.client.post(h.url(&path)).bearer_auth(&mallory.key).send().await.unwrap().status();
        assert_eq!(status, 404, "POST {path}");
    }
    for path in [format!("/v1/inbox/{received}"), format!("/v1/api-keys/{key_id}")] {
        let status = h.client.delete(h.url(&path)).bearer_auth(&mallory.key).send().await.unwrap().status();
        assert_eq!(status, 404, "DELETE {path}");
    }
    // Nothing was changed by the attempts.
    assert_eq!(h.get(&bob, &format!("/v1/inbox/{received}")).await.status(), 200);
    assert_eq!(h.get(&alice, "/v1/account").await.status(), 200);
    // Without credentials, or with a wrong or revoked key: 401.
    assert_eq!(h.client.get(h.url("/v1/faxes")).send().await.unwrap().status(), 401);
    assert_eq!(
        h.client.get(h.url("/v1/faxes")).bearer_auth("ffx_000000000000_nope").send().await.unwrap().status(),
        401
    );
    let status = h
        .client
        .delete(h.url(&format!("/v1/api-keys/{key_id}")))
        .bearer_auth(&alice.key)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 204);
    assert_eq!(h.get(&alice, "/v1/faxes").await.status(), 401);
}

async fn error_code(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    (status, body["error"]["code"].as_str().unwrap_or_default().to_owned())
}

async fn bad_input_is_refused_with_typed_errors(h: &Harness) {
    let alice = h.register("Alice", "alice@example.org").await;
    let pdf = itu_pdf(1);
    type Case<'a> = (Vec<(&'a str, Vec<u8>)>, Vec<&'a str>, Vec<(&'a str, &'a str)>, u16, &'a str);
    let cases: Vec<Case<'_>> = vec![
        (
            vec![("x.exe", b"MZ\x90\x00 not a document".to_vec())],
            vec!["+493012345678"],
            vec![],
            415,
            "unsupported_type",
        ),
        (vec![("a.pdf", pdf.clone())], vec!["030 1234567"], vec![], 422, "invalid_number"),
        (vec![("a.pdf", pdf.clone())], vec!["+49abc"], vec![], 422, "invalid_number"),
        (vec![("a.pdf", pdf.clone())], vec!["+999"], vec![], 422, "invalid_number"),
        (vec![], vec!["+493012345678"], vec![], 422, "no_files"),
        (vec![("a.pdf", pdf.clone())], vec![], vec![], 422, "no_recipients"),
        (
            vec![("a.pdf", pdf.clone())],
            vec!["+493012345678"],
            vec![("resolution", "ultra")],
            422,
            "invalid_resolution",
        ),
        (
            vec![("a.pdf", pdf.clone())],
            vec!["+493012345678"],
            vec![("callback_url", "ftp://x/")],
            422,
            "invalid_callback_url",
        ),
        (vec![("a.pdf", pdf.clone())], vec!["+493012345678"], vec![("surprise", "1")], 422, "unknown_field"),
    ];
    for (files, to, fields, status, code) in cases {
        let response = h.send_fax(&alice, files, &to, &fields, None).await;
        assert_eq!(error_code(response).await, (status, code.to_owned()), "case {code}");
    }
    let many: Vec<String> = (0..51).map(|i| format!("+4930{:07}", 1_000_000 + i)).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    let response = h.send_fax(&alice, vec![("a.pdf", pdf.clone())], &many, &[], None).await;
    assert_eq!(error_code(response).await.0, 413);
    let huge = vec![b'%'; 2 * 1024 * 1024 + 4096];
    let response = h.send_fax(&alice, vec![("big.pdf", huge)], &["+493012345678"], &[], None).await;
    assert_eq!(response.status(), 413);
    // Nothing of the refused requests was kept.
    assert!(h.get_json(&alice, "/v1/faxes").await["faxes"].as_array().unwrap().is_empty());
    assert!(h.app().await.blobs.list("upload").await.unwrap().is_empty());
    // A corrupt PDF is accepted (it is a PDF) and fails with a conversion error.
    let response = h
        .send_fax(
            &alice,
            vec![("broken.pdf", b"%PDF-1.7\n1 0 obj <<".to_vec())],
            &["+493012345678"],
            &[],
            None,
        )
        .await;
    assert_eq!(response.status(), 202);
    let fax: Value = response.json().await.unwrap();
    let fax = h.wait_final(&alice, fax["id"].as_str().unwrap()).await;
    assert_eq!(fax["recipients"][0]["status"], "failed");
    assert_eq!(fax["recipients"][0]["error"]["code"], "conversion_failed");
    // Registration rules.
    for (body, code) in [
        (
            json!({"name": "K", "email": "k@example.org", "password": "long enough pw", "age_confirmed": false, "accept_terms": true}),
            "age_not_confirmed",
        ),
        (
            json!({"name": "K", "email": "k@example.org", "password": "long enough pw", "age_confirmed": true, "accept_terms": false}),
            "terms_not_accepted",
        ),
        (
            json!({"name": "K", "email": "not-an-address", "password": "long enough pw", "age_confirmed": true, "accept_terms": true}),
            "invalid_email",
        ),
        (
            json!({"name": "K", "email": "k@example.org", "password": "short", "age_confirmed": true, "accept_terms": true}),
            "weak_password",
        ),
        (
            json!({"name": "K", "email": "ALICE@example.org", "password": "long enough pw", "age_confirmed": true, "accept_terms": true}),
            "email_taken",
        ),
    ] {
        let response = h.client.post(h.url("/v1/accounts")).json(&body).send().await.unwrap();
        assert_eq!(error_code(response).await.1, code);
    }
}

async fn idempotency_key_replays_the_first_result(h: &Harness) {
    let alice = h.register("Alice", "alice@example.org").await;
    let bob = h.register("Bob", "bob@example.org").await;
    let pdf = itu_pdf(1);
    let first: Value = h
        .send_fax(&alice, vec![("a.pdf", pdf.clone())], &[&bob.number()], &[], Some("order-1"))
        .await
        .json()
        .await
        .unwrap();
    let again =
        h.send_fax(&alice, vec![("a.pdf", pdf.clone())], &[&bob.number()], &[], Some("order-1")).await;
    assert_eq!(again.status(), 202);
    let again: Value = again.json().await.unwrap();
    assert_eq!(first["id"], again["id"]);
    let other =
        h.send_fax(&alice, vec![("a.pdf", pdf.clone())], &[&alice.number()], &[], Some("order-1")).await;
    assert_eq!(error_code(other).await, (409, "idempotency_key_reused".to_owned()));
    h.wait_final(&alice, first["id"].as_str().unwrap()).await;
    assert_eq!(h.get_json(&alice, "/v1/faxes").await["faxes"].as_array().unwrap().len(), 1);
    assert_eq!(h.get_json(&bob, "/v1/inbox").await["faxes"].as_array().unwrap().len(), 1);
    // Keys are per account: Bob may use the same key.
    let bobs: Value = h
        .send_fax(&bob, vec![("a.pdf", pdf)], &[&alice.number()], &[], Some("order-1"))
        .await
        .json()
        .await
        .unwrap();
    assert_ne!(bobs["id"], first["id"]);
}

async fn test_numbers_give_their_outcomes(h: &Harness) {
    let alice = h.register("Alice", "alice@example.org").await;
    let numbers = telephony::loopback::test_numbers(&h.app().await.carrier.plan);
    let number_of = |line: telephony::loopback::TestLine| {
        numbers.iter().find(|(_, l)| *l == line).map(|(n, _)| n.clone()).unwrap()
    };
    let pdf = itu_pdf(3);
    let cases = [
        (telephony::loopback::TestLine::Delivered, "delivered", 3, None),
        (telephony::loopback::TestLine::Busy, "failed", 0, Some("busy")),
        (telephony::loopback::TestLine::NoAnswer, "failed", 0, Some("no_answer")),
        (telephony::loopback::TestLine::Rejected, "failed", 0, Some("rejected")),
    ];
    for (line, status, pages, code) in cases {
        let number = number_of(line);
        let fax: Value = h
            .send_fax(&alice, vec![("a.pdf", pdf.clone())], &[&number], &[], None)
            .await
            .json()
            .await
            .unwrap();
        let fax = h.wait_final(&alice, fax["id"].as_str().unwrap()).await;
        let r = &fax["recipients"][0];
        assert_eq!(r["status"], status, "{line:?}: {fax:#}");
        assert_eq!(r["pages_sent"], pages, "{line:?}");
        assert_eq!(r["error"]["code"].as_str(), code, "{line:?}");
        if matches!(line, telephony::loopback::TestLine::Busy | telephony::loopback::TestLine::NoAnswer) {
            assert_eq!(r["attempts"], 3, "retried up to max_dials");
        }
    }
    // A line that drops during page 2: the retry resumes at page 2 and completes.
    let number = number_of(telephony::loopback::TestLine::FailsAtPage(2));
    let fax: Value =
        h.send_fax(&alice, vec![("a.pdf", pdf.clone())], &[&number], &[], None).await.json().await.unwrap();
    let fax = h.wait_final(&alice, fax["id"].as_str().unwrap()).await;
    let r = &fax["recipients"][0];
    assert_eq!(r["pages_sent"], 3, "{fax:#}");
    assert_eq!(r["status"], "delivered");
    assert_eq!(r["attempts"], 3, "each call gets one page further");
}

async fn cancel_stops_a_queued_fax(h: &Harness) {
    let alice = h.register("Alice", "alice@example.org").await;
    let numbers = telephony::loopback::test_numbers(&h.app().await.carrier.plan);
    let busy = numbers.iter().find(|(_, l)| *l == telephony::loopback::TestLine::Busy).unwrap().0.clone();
    let fax: Value =
        h.send_fax(&alice, vec![("a.pdf", itu_pdf(1))], &[&busy], &[], None).await.json().await.unwrap();
    let id = fax["id"].as_str().unwrap();
    let response =
        h.client.post(h.url(&format!("/v1/faxes/{id}/cancel"))).bearer_auth(&alice.key).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let fax = h.wait_final(&alice, id).await;
    assert_eq!(fax["recipients"][0]["status"], "canceled");
    assert_eq!(fax["status"], "canceled");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        h.app().await.blobs.list("upload").await.unwrap().is_empty(),
        "a canceled fax's upload is deleted"
    );
}

async fn janitor_keeps_the_retention_promises(h: &Harness) {
    let alice = h.register("Alice", "alice@example.org").await;
    let app = h.app().await;
    let now = server::now_ms();
    let day = 86_400_000;
    // Access-log entries (IP, user agent, session) are kept 30 days, then deleted.
    let mut conn = app.store.acquire().await.unwrap();
    let logged = store::access_log::count(&mut conn).await.unwrap();
    assert!(logged > 0, "requests were logged");
    drop(conn);
    let report = server::janitor::run_once(&app, now + 29 * day).await.unwrap();
    assert_eq!(report.access_log, 0);
    let report = server::janitor::run_once(&app, now + 31 * day).await.unwrap();
    assert!(report.access_log >= logged);
    // An upload whose fax never reaches a final state (nobody works the queue in
    // this part: the fax is inserted directly, as a stuck fax would look).
    let blob = app.blobs.put("upload", b"%PDF-1.4 stuck").await.unwrap();
    let mut conn = app.store.acquire().await.unwrap();
    let account_id = alice.account["id"].as_str().unwrap();
    let fax = store::faxes::create(
        &mut conn,
        store::faxes::NewFax {
            account_id: account_id.to_owned(),
            options_json: "{}".into(),
            client_reference: None,
            tags: vec![],
            callback_url: None,
            documents: vec![store::faxes::NewDocument {
                blob_id: blob.to_string(),
                filename: "x.pdf".into(),
                content_type: "application/pdf".into(),
                size: 14,
            }],
            recipients: vec!["+493012345678".into()],
            deadline_at: i64::MAX / 4,
        },
        now,
    )
    .await
    .unwrap();
    drop(conn);
    let report = server::janitor::run_once(&app, now + 30 * day - 60_000).await.unwrap();
    assert_eq!(report.documents, 0, "kept until 30 days have passed");
    assert!(app.blobs.exists(&blob).await.unwrap());
    let report = server::janitor::run_once(&app, now + 30 * day + 1).await.unwrap();
    assert_eq!(report.documents, 1);
    assert!(!app.blobs.exists(&blob).await.unwrap(), "unsent upload deleted after 30 days");
    let mut conn = app.store.acquire().await.unwrap();
    let docs = store::faxes::documents(&mut conn, &fax.id).await.unwrap();
    assert!(docs[0].deleted_at.is_some());
}

async fn sessions_and_login_throttling(h: &Harness) {
    h.register("Alice", "alice@example.org").await;
    let login = |password: &str, remember: bool| {
        h.client
            .post(h.url("/v1/sessions"))
            .json(&json!({"email": "Alice@Example.org", "password": password, "remember": remember}))
            .send()
    };
    let response = login("correct horse battery", false).await.unwrap();
    assert_eq!(response.status(), 200);
    let set_cookie = response.headers().get("set-cookie").unwrap().to_str().unwrap().to_owned();
    assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax"), "{set_cookie}");
    assert!(
        !set_cookie.contains("Max-Age") && !set_cookie.contains("Expires"),
        "a session cookie ends with the browser: {set_cookie}"
    );
    let cookie = session_cookie(&response);
    assert_eq!(
        h.client.get(h.url("/v1/account")).header("cookie", &cookie).send().await.unwrap().status(),
        200
    );
    // A cross-site form post with the cookie is refused.
    let status = h
        .client
        .post(h.url("/v1/api-keys"))
        .header("cookie", &cookie)
        .header("origin", "https://evil.example")
        .json(&json!({"name": "x"}))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 403);
    let remembered = login("correct horse battery", true).await.unwrap();
    let set_cookie = remembered.headers().get("set-cookie").unwrap().to_str().unwrap().to_owned();
    assert!(set_cookie.contains("Max-Age"), "remember me persists: {set_cookie}");
    // Logout ends the session on the server.
    let status = h
        .client
        .delete(h.url("/v1/sessions/current"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 204);
    assert_eq!(
        h.client.get(h.url("/v1/account")).header("cookie", &cookie).send().await.unwrap().status(),
        401
    );
    // Five wrong passwords, then even the right one is refused for a while.
    for _ in 0..5 {
        assert_eq!(login("wrong password!", false).await.unwrap().status(), 401);
    }
    let response = login("correct horse battery", false).await.unwrap();
    assert_eq!(response.status(), 429);
    assert!(response.headers().get("retry-after").is_some());
    // Password reset through the mail outbox.
    let status = h
        .client
        .post(h.url("/v1/password-reset"))
        .json(&json!({"email": "alice@example.org"}))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 202);
    let mail = wait_for_mail(h, "alice@example.org", "Reset").await;
    let message = mail_parser::MessageParser::default().parse(&mail).unwrap();
    let text = message.body_text(0).unwrap().into_owned();
    let token =
        text.split("token=").nth(1).unwrap().split(|c: char| c.is_whitespace()).next().unwrap().to_owned();
    let status = h
        .client
        .post(h.url("/v1/password-reset/confirm"))
        .json(&json!({"token": token, "password": "a brand new secret"}))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 204);
    let again = h
        .client
        .post(h.url("/v1/password-reset/confirm"))
        .json(&json!({"token": token, "password": "another new secret"}))
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(again).await.1, "invalid_token", "a reset link works once");
}

async fn openapi_document_lists_every_route(h: &Harness) {
    let doc: Value = h.client.get(h.url("/openapi.json")).send().await.unwrap().json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/v1/accounts", "post"),
        ("/v1/sessions", "post"),
        ("/v1/account", "get"),
        ("/v1/account", "patch"),
        ("/v1/api-keys", "post"),
        ("/v1/api-keys/{id}", "delete"),
        ("/v1/faxes", "post"),
        ("/v1/faxes", "get"),
        ("/v1/faxes/{id}", "get"),
        ("/v1/faxes/{id}/cancel", "post"),
        ("/v1/faxes/{id}/resend", "post"),
        ("/v1/faxes/{id}/document", "get"),
        ("/v1/inbox", "get"),
        ("/v1/inbox/{id}/pdf", "get"),
        ("/v1/webhooks/deliveries", "get"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} missing from the OpenAPI document"
        );
    }
    // Every documented error response refers to the error schema.
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    assert!(schemas.contains_key("ErrorBody") && schemas.contains_key("FaxView"));
}

/// Waits for a message to `to` whose subject starts with `subject` in the outbox.
async fn wait_for_mail(h: &Harness, to: &str, subject: &str) -> Vec<u8> {
    let dir = h.dir.path().join("outbox");
    for _ in 0..300 {
        if let Ok(entries) = mail::outbox::list(&dir)
            && let Some(entry) = entries
                .iter()
                .find(|e| e.to.as_ref().is_some_and(|m| m.address() == to) && e.subject.starts_with(subject))
        {
            return mail::outbox::read(&dir, &entry.file_name).unwrap();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no mail {subject:?} to {to}");
}

#[derive(Debug, Clone)]
struct Hook {
    id: String,
    timestamp: String,
    signature: String,
    body: Vec<u8>,
}

type Hooks = std::sync::Arc<tokio::sync::Mutex<Vec<Hook>>>;

/// A real HTTP server that records webhook requests.
async fn webhook_sink() -> (String, Hooks) {
    let hooks: Hooks = Default::default();
    let store = hooks.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
            let store = store.clone();
            async move {
                let get =
                    |k: &str| headers.get(k).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
                store.lock().await.push(Hook {
                    id: get("webhook-id"),
                    timestamp: get("webhook-timestamp"),
                    signature: get("webhook-signature"),
                    body: body.to_vec(),
                });
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{address}/hook"), hooks)
}

async fn wait_for_hooks(hooks: &Hooks, n: usize) -> Vec<Hook> {
    for _ in 0..300 {
        let got = hooks.lock().await.clone();
        if got.len() >= n {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("expected {n} webhooks, got {}", hooks.lock().await.len());
}
