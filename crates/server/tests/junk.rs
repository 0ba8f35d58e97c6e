//! Junk-fax defence, cookies and logs (issue 6, items 9 and 10), end to end over
//! HTTP and the loopback carrier, on SQLite and on PostgreSQL. Each test fails if
//! its promise breaks: a blocked sender gets through, a do-not-fax number is
//! dialled, a limit lets one more through or refuses one too early, a session
//! cookie outlives the browser, or a full address reaches the access log.

mod common;

use std::sync::Arc;

use common::{Harness, User, itu_pdf, session_cookie};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

/// Declares tests in a module `$group`, each run on both backends with the extra
/// configuration `$extra`.
macro_rules! with_config {
    ($group:ident, $extra:expr, $($name:ident),* $(,)?) => {
        mod $group {
            mod sqlite {
                $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let h = crate::common::Harness::start(crate::common::Backend::Sqlite, $extra).await;
                    super::super::$name(&h).await;
                    h.stop().await;
                })*
            }
            mod postgres {
                $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let h = crate::common::Harness::start(crate::common::Backend::Postgres, $extra).await;
                    super::super::$name(&h).await;
                    h.stop().await;
                })*
            }
        }
    };
}

with_config!(
    defaults,
    &[],
    blocked_sender_is_refused_until_unblocked,
    session_cookie_ends_with_the_browser_and_the_notice_says_so,
    access_log_holds_the_truncated_address,
    abuse_reports_without_an_account,
);
with_config!(
    full_addresses,
    &[("FERROFAX_PRIVACY_TRUNCATE_IP", "false")],
    access_log_keeps_the_full_address_when_asked
);
with_config!(manual_workers, &[("FERROFAX_WORKERS_COUNT", "0")], do_not_fax_list_stops_every_sender);
with_config!(
    rate,
    &[("FERROFAX_LIMITS_FAXES_PER_MINUTE", "2"), ("FERROFAX_LIMITS_PAGES_PER_DAY", "0")],
    send_rate_limit_at_the_boundary,
);
with_config!(
    quota,
    &[("FERROFAX_LIMITS_PAGES_PER_DAY", "5"), ("FERROFAX_LIMITS_FAXES_PER_MINUTE", "0")],
    daily_page_quota_at_the_boundary,
);

/// An `application/x-www-form-urlencoded` body, as a browser sends a form.
fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish()
}

async fn error_code(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    (status, body["error"]["code"].as_str().unwrap_or_default().to_owned())
}

/// Sends a fax of `pages` ITU charts and returns its id.
async fn send(h: &Harness, from: &User, to: &User, pages: usize) -> String {
    let response = h.send_fax(from, vec![("doc.pdf", itu_pdf(pages))], &[&to.number()], &[], None).await;
    assert_eq!(response.status(), 202, "{}", response.text().await.unwrap());
    let fax: Value = response.json().await.unwrap();
    fax["id"].as_str().unwrap().to_owned()
}

async fn inbox(h: &Harness, user: &User) -> Vec<Value> {
    h.get_json(user, "/v1/inbox").await["faxes"].as_array().unwrap().clone()
}

async fn blocked_sender_is_refused_until_unblocked(h: &Harness) {
    let alice = h.register("Alice", "alice@example.org").await;
    let bob = h.register("Bob", "bob@example.org").await;
    let carol = h.register("Carol", "carol@example.org").await;

    // A real fax from Bob arrives over the loopback carrier, and Alice reports it.
    let fax = send(h, &bob, &alice, 1).await;
    assert_eq!(h.wait_final(&bob, &fax).await["recipients"][0]["status"], "delivered");
    let received = inbox(h, &alice).await;
    assert_eq!(received.len(), 1);
    let id = received[0]["id"].as_str().unwrap();
    let ident = received[0]["remote_ident"].as_str().expect("the sender's TSI").to_owned();
    let response =
        h.client.post(h.url(&format!("/v1/inbox/{id}/junk"))).bearer_auth(&bob.key).send().await.unwrap();
    assert_eq!(response.status(), 404, "only the recipient can report a fax");
    let response =
        h.client.post(h.url(&format!("/v1/inbox/{id}/junk"))).bearer_auth(&alice.key).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let report: Value = response.json().await.unwrap();
    let mut blocked: Vec<(String, String)> = report["blocked"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["kind"].as_str().unwrap().to_owned(), e["value"].as_str().unwrap().to_owned()))
        .collect();
    blocked.sort();
    assert_eq!(blocked, [("ident".to_owned(), ident.clone()), ("number".to_owned(), bob.number())]);
    assert!(inbox(h, &alice).await.is_empty(), "the reported fax is deleted");
    let app = h.app().await;
    assert!(app.blobs.list("received").await.unwrap().is_empty(), "its image is deleted too");

    // Bob's next fax is refused before any page: rejected for him, nothing for Alice.
    let fax = send(h, &bob, &alice, 1).await;
    let result = h.wait_final(&bob, &fax).await;
    let recipient = &result["recipients"][0];
    assert_eq!(recipient["status"], "failed", "{result:#}");
    assert_eq!(recipient["error"]["code"], "rejected");
    assert_eq!(recipient["pages_sent"], 0);
    assert!(inbox(h, &alice).await.is_empty(), "a blocked caller leaves nothing in the inbox");
    assert!(app.blobs.list("received").await.unwrap().is_empty());

    // The identity alone blocks as well: with only the number removed, Bob stays out.
    let list = h.get_json(&alice, "/v1/block-list").await;
    let entries = list["entries"].as_array().unwrap().clone();
    assert_eq!(entries.len(), 2);
    let entry_id =
        |kind: &str| entries.iter().find(|e| e["kind"] == kind).unwrap()["id"].as_str().unwrap().to_owned();
    let status = h
        .client
        .delete(h.url(&format!("/v1/block-list/{}", entry_id("number"))))
        .bearer_auth(&carol.key)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 404, "another account cannot touch Alice's list");
    for kind in ["number", "ident"] {
        let status = h
            .client
            .delete(h.url(&format!("/v1/block-list/{}", entry_id(kind))))
            .bearer_auth(&alice.key)
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 204);
        if kind == "number" {
            let fax = send(h, &bob, &alice, 1).await;
            let result = h.wait_final(&bob, &fax).await;
            assert_eq!(result["recipients"][0]["error"]["code"], "rejected", "blocked by identity");
        }
    }
    // Unblocked, Bob's faxes arrive again.
    let fax = send(h, &bob, &alice, 1).await;
    assert_eq!(h.wait_final(&bob, &fax).await["recipients"][0]["status"], "delivered");
    assert_eq!(inbox(h, &alice).await.len(), 1);

    // A number added by hand blocks too; bad input is refused with typed errors.
    let add = |body: Value| h.client.post(h.url("/v1/block-list")).bearer_auth(&alice.key).json(&body).send();
    let response = add(json!({"number": carol.number()})).await.unwrap();
    assert_eq!(response.status(), 201);
    let fax = send(h, &carol, &alice, 1).await;
    assert_eq!(h.wait_final(&carol, &fax).await["recipients"][0]["error"]["code"], "rejected");
    assert_eq!(
        error_code(add(json!({"number": "12345"})).await.unwrap()).await,
        (422, "invalid_number".into())
    );
    assert_eq!(error_code(add(json!({})).await.unwrap()).await, (422, "invalid_block".into()));
    assert_eq!(
        error_code(add(json!({"ident": "x".repeat(21)})).await.unwrap()).await,
        (422, "invalid_ident".into())
    );
    assert_eq!(inbox(h, &alice).await.len(), 1);
}

async fn session_cookie_ends_with_the_browser_and_the_notice_says_so(h: &Harness) {
    h.register("Alice", "alice@example.org").await;
    let login = |remember: bool| {
        let mut form = vec![("email", "alice@example.org"), ("password", "correct horse battery")];
        if remember {
            form.push(("remember", "on"));
        }
        h.client
            .post(h.url("/login"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(self::form(&form))
            .send()
    };
    // The web form without "remember me": a cookie with no expiry, which the
    // browser drops when it closes.
    let response = login(false).await.unwrap();
    assert_eq!(response.status(), 303);
    let set_cookie = response.headers().get("set-cookie").unwrap().to_str().unwrap().to_owned();
    assert!(set_cookie.starts_with("ffx_session="), "{set_cookie}");
    let lower = set_cookie.to_lowercase();
    assert!(
        !lower.contains("max-age") && !lower.contains("expires"),
        "session cookie persists: {set_cookie}"
    );
    assert!(lower.contains("httponly"), "{set_cookie}");
    // The site works with that cookie alone.
    let cookie = session_cookie(&response);
    for page in ["/inbox", "/outbox", "/send", "/block-list"] {
        let response = h.client.get(h.url(page)).header("cookie", &cookie).send().await.unwrap();
        assert_eq!(response.status(), 200, "{page} without the persistent cookie");
    }
    // With "remember me", and only then, the cookie carries a lifetime.
    let response = login(true).await.unwrap();
    let set_cookie = response.headers().get("set-cookie").unwrap().to_str().unwrap().to_owned();
    let days = h.config.remember_lifetime.as_secs();
    assert!(set_cookie.contains(&format!("Max-Age={days}")), "{set_cookie}");

    // The notice names the one cookie and says there is no tracking, on public
    // pages and on pages behind the login.
    for (page, cookie) in [("/login", None), ("/register", None), ("/abuse", None), ("/inbox", Some(&cookie))]
    {
        let mut request = h.client.get(h.url(page));
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        let html = request.send().await.unwrap().text().await.unwrap();
        assert!(html.contains("ffx_session"), "{page} lacks the cookie notice");
        assert!(html.contains("ends when you close the browser"), "{page}");
        assert!(html.contains("no tracking, analytics or advertising cookies"), "{page}");
    }
}

async fn latest_access_entry(h: &Harness) -> store::access_log::AccessEntry {
    let app = h.app().await;
    let mut conn = app.store.acquire().await.unwrap();
    let entries = store::access_log::recent(&mut conn, 20).await.unwrap();
    entries.into_iter().find(|e| e.path == "/healthz").expect("the request is logged")
}

async fn access_log_holds_the_truncated_address(h: &Harness) {
    assert!(h.config.truncate_ip, "truncation is the default");
    assert_eq!(h.client.get(h.url("/healthz")).send().await.unwrap().status(), 200);
    let entry = latest_access_entry(h).await;
    assert_eq!(entry.ip.as_deref(), Some("127.0.0.0"), "the stored address is cut to its /24");
}

async fn access_log_keeps_the_full_address_when_asked(h: &Harness) {
    assert_eq!(h.client.get(h.url("/healthz")).send().await.unwrap().status(), 200);
    let entry = latest_access_entry(h).await;
    assert_eq!(entry.ip.as_deref(), Some("127.0.0.1"));
}

async fn abuse_reports_without_an_account(h: &Harness) {
    let alice = h.register("Alice", "alice@example.org").await;
    let post = |body: Value| h.client.post(h.url("/v1/abuse-reports")).json(&body).send();
    let bad = post(json!({"number": "not a number", "details": "x"})).await.unwrap();
    assert_eq!(error_code(bad).await, (422, "invalid_number".into()));
    let long = post(json!({"number": alice.number(), "details": "x".repeat(4001)})).await.unwrap();
    assert_eq!(error_code(long).await, (422, "invalid_details".into()));
    let response = post(json!({
        "number": alice.number(),
        "details": "adverts every night",
        "contact": "reporter@example.org"
    }))
    .await
    .unwrap();
    assert_eq!(response.status(), 201);
    let id = response.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    // The web form is the same thing for people.
    let page = h
        .client
        .post(h.url("/abuse"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[("number", alice.number().as_str()), ("details", "again"), ("contact", "")]))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Your report was received"), "{page}");
    // Three per address in the window (refused input is not counted); the fourth waits.
    let third = post(json!({"number": alice.number(), "details": "more"})).await.unwrap();
    assert_eq!(third.status(), 201, "exactly the limit is allowed");
    let response = post(json!({"number": alice.number(), "details": "more"})).await.unwrap();
    assert!(response.headers().get("retry-after").is_some());
    assert_eq!(error_code(response).await, (429, "rate_limited".into()), "one over the limit is refused");

    let config = h.config.clone();
    let operator = server::junk::admin::Operator::open(&config).await.unwrap();
    let open = operator.abuse_list(false).await.unwrap();
    assert_eq!(open.len(), 3, "the three accepted reports are stored");
    let first = open.iter().find(|r| r.id == id).unwrap();
    assert_eq!(first.number, alice.number());
    assert_eq!(first.contact.as_deref(), Some("reporter@example.org"));
    let debug = format!("{first:?}");
    assert!(!debug.contains("reporter@example.org") && !debug.contains(&alice.number()), "{debug}");
    assert!(operator.abuse_close(&id, Some("sender warned"), server::now_ms()).await.unwrap());
    assert!(!operator.abuse_close(&id, None, server::now_ms()).await.unwrap(), "closed once");
    assert_eq!(operator.abuse_list(false).await.unwrap().len(), 2);
    assert_eq!(operator.abuse_list(true).await.unwrap().len(), 3);
}

/// Runs due jobs in this process until none is left (the harness runs no workers).
async fn run_jobs(app: &Arc<server::App>) {
    let worker = server::jobs::Worker::new(app.clone(), "test-worker".into());
    let token = CancellationToken::new();
    while worker.run_one(&token).await.unwrap() {}
}

async fn do_not_fax_list_stops_every_sender(h: &Harness) {
    let alice = h.register("Alice", "alice@example.org").await;
    let bob = h.register("Bob", "bob@example.org").await;
    let carol = h.register("Carol", "carol@example.org").await;
    let app = h.app().await;
    run_jobs(&app).await;

    // Bob opts his number out, without logging in.
    let post = |path: &str, body: Value| h.client.post(h.url(path)).json(&body).send();
    let response = post("/v1/do-not-fax/requests", json!({"number": bob.number()})).await.unwrap();
    assert_eq!(response.status(), 202);
    let request_id = response.json::<Value>().await.unwrap()["request_id"].as_str().unwrap().to_owned();

    // The code travels only on the fax: take it from the queued job, then let the
    // worker place the call (the peek's lease is handed back at once).
    let job = store::jobs::claim(&app.store, "peek", &["dnf_code"], server::now_ms(), 60_000)
        .await
        .unwrap()
        .expect("a code fax is queued");
    let payload: Value = serde_json::from_str(&job.payload).unwrap();
    let code = payload["code"].as_str().unwrap().to_owned();
    let mut conn = app.store.acquire().await.unwrap();
    store::jobs::extend(&mut conn, &job.id, "peek", 0).await.unwrap();
    drop(conn);
    run_jobs(&app).await;

    // Bob's fax line got exactly the code page, from the service's identity.
    let received = inbox(h, &bob).await;
    assert_eq!(received.len(), 1);
    assert_eq!(received[0]["remote_ident"], server::junk::SERVICE_IDENT);
    let mut conn = app.store.acquire().await.unwrap();
    let row = store::inbox::list(&mut conn, bob.account["id"].as_str().unwrap(), None, 1).await.unwrap();
    drop(conn);
    let pages = server::jobs::load_pages(&app, row[0].blob_id.as_deref().unwrap()).await.unwrap();
    let expected = server::junk::code_fax_pages(&code).unwrap();
    assert_eq!(pages.len(), expected.len());
    assert!(
        pages.iter().zip(&expected).all(|(got, want)| got.rows().eq(want.rows())),
        "the fax shows the code"
    );

    // A wrong code is refused; the right one works once.
    let wrong =
        if code.starts_with('0') { code.replacen('0', "1", 1) } else { code.replacen(&code[..1], "0", 1) };
    let confirm =
        |code: String| post("/v1/do-not-fax/confirm", json!({"request_id": request_id, "code": code}));
    assert_eq!(error_code(confirm(wrong).await.unwrap()).await, (422, "invalid_code".into()));
    let response = confirm(code.clone()).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap()["number"], bob.number().as_str());
    assert_eq!(error_code(confirm(code).await.unwrap()).await, (422, "invalid_code".into()), "used once");
    let again = post("/v1/do-not-fax/requests", json!({"number": bob.number()})).await.unwrap();
    assert_eq!(error_code(again).await, (409, "already_listed".into()));

    // Nobody can fax Bob now: refused up front with a typed error, in any spelling.
    let spaced = format!("{} {}", &bob.number()[..4], &bob.number()[4..]);
    let response = h.send_fax(&alice, vec![("doc.pdf", itu_pdf(1))], &[&spaced], &[], None).await;
    assert_eq!(error_code(response).await, (422, "do_not_fax".into()));

    // A number listed after a fax was accepted is not dialled either.
    let fax = send(h, &alice, &carol, 1).await;
    let operator = server::junk::admin::Operator::open(&h.config).await.unwrap();
    let spaced = format!("{} {}", &carol.number()[..4], &carol.number()[4..]);
    let (number, added) = operator.do_not_fax_add(&spaced, server::now_ms()).await.unwrap();
    assert_eq!((number.as_str(), added), (carol.number().as_str(), true), "stored in E.164");
    run_jobs(&app).await;
    let result = h.get_json(&alice, &format!("/v1/faxes/{fax}")).await;
    let recipient = &result["recipients"][0];
    assert_eq!(recipient["status"], "failed", "{result:#}");
    assert_eq!(recipient["error"]["code"], "do_not_fax");
    assert_eq!(recipient["attempts"], 0, "no call was placed");
    assert!(inbox(h, &carol).await.is_empty());

    let listed: Vec<(String, String)> =
        operator.do_not_fax_list().await.unwrap().into_iter().map(|d| (d.number, d.source)).collect();
    let mut want = vec![(bob.number(), "owner".to_owned()), (carol.number(), "operator".to_owned())];
    want.sort();
    assert_eq!(listed, want);
    // Taken off the list, Carol can be faxed again.
    assert_eq!(operator.do_not_fax_remove(&carol.number()).await.unwrap(), (carol.number(), true));
    let fax = send(h, &alice, &carol, 1).await;
    run_jobs(&app).await;
    let result = h.get_json(&alice, &format!("/v1/faxes/{fax}")).await;
    assert_eq!(result["recipients"][0]["status"], "delivered", "{result:#}");
}

async fn send_rate_limit_at_the_boundary(h: &Harness) {
    let alice = h.register("Alice", "alice@example.org").await;
    let bob = h.register("Bob", "bob@example.org").await;
    let pdf = itu_pdf(1);
    let to = [bob.number()];
    let to: Vec<&str> = to.iter().map(String::as_str).collect();
    let send_keyed =
        |key: &'static str| h.send_fax(&alice, vec![("a.pdf", pdf.clone())], &to, &[], Some(key));
    let first = send_keyed("one").await;
    assert_eq!(first.status(), 202);
    let second = send_keyed("two").await;
    assert_eq!(second.status(), 202, "exactly the limit is allowed");
    let second: Value = second.json().await.unwrap();
    let third = send_keyed("three").await;
    assert_eq!(third.status(), 429, "one over the limit is refused");
    let retry_after: u64 = third.headers().get("retry-after").unwrap().to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert_eq!(error_code(third).await, (429, "rate_limited".into()));
    // Replaying an accepted request is not a new send.
    let replay = send_keyed("two").await;
    assert_eq!(replay.status(), 202);
    assert_eq!(replay.json::<Value>().await.unwrap()["id"], second["id"]);
    // Another account has its own allowance.
    let carol = h.register("Carol", "carol@example.org").await;
    let response = h.send_fax(&carol, vec![("a.pdf", pdf.clone())], &[&bob.number()], &[], None).await;
    assert_eq!(response.status(), 202);
}

async fn daily_page_quota_at_the_boundary(h: &Harness) {
    let alice = h.register("Alice", "alice@example.org").await;
    let bob = h.register("Bob", "bob@example.org").await;
    // 3 of 5 pages.
    let fax = send(h, &alice, &bob, 3).await;
    assert_eq!(h.wait_final(&alice, &fax).await["recipients"][0]["status"], "delivered");
    // 3 more would make 6: accepted (the day is not used up), then failed without a call.
    let fax = send(h, &alice, &bob, 3).await;
    let result = h.wait_final(&alice, &fax).await;
    let recipient = &result["recipients"][0];
    assert_eq!(recipient["status"], "failed", "{result:#}");
    assert_eq!(recipient["error"]["code"], "page_quota_exceeded");
    assert_eq!(recipient["attempts"], 0, "no call was placed");
    assert_eq!(inbox(h, &bob).await.len(), 1);
    // 2 more make exactly 5: delivered.
    let fax = send(h, &alice, &bob, 2).await;
    assert_eq!(h.wait_final(&alice, &fax).await["recipients"][0]["status"], "delivered");
    assert_eq!(inbox(h, &bob).await.len(), 2);
    // The day is used up: refused up front, until the next UTC midnight.
    let response = h.send_fax(&alice, vec![("a.pdf", itu_pdf(1))], &[&bob.number()], &[], None).await;
    let retry_after: u64 = response.headers().get("retry-after").unwrap().to_str().unwrap().parse().unwrap();
    assert!((1..=86_400).contains(&retry_after), "{retry_after}");
    assert_eq!(error_code(response).await, (429, "page_quota_exceeded".into()));
    // Bob's own quota is untouched.
    let fax = send(h, &bob, &alice, 1).await;
    assert_eq!(h.wait_final(&bob, &fax).await["recipients"][0]["status"], "delivered");
}
