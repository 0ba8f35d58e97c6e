//! Issue 6, item 11: personal columns are encrypted in the database, the address
//! book works through the API, and `rotate-key` re-wraps every data key under a new
//! master key while the service runs.

mod common;

use std::collections::BTreeSet;

use common::{Backend, Harness, itu_pdf};
use serde_json::{Value, json};

on_both_backends!(
    numbers_are_not_in_the_database_in_the_clear,
    address_book_crud_and_send_to_a_contact,
    rotate_key_while_the_service_runs,
);

/// A phone number the user gives for their profile.
const PHONE: &str = "+4930901820";
/// A recipient outside the loopback plan: the call fails (no trunk), but the number
/// is stored with the fax all the same.
const OUTSIDE: &str = "+4940822150";
/// A contact's number.
const CONTACT: &str = "+4989215870";

/// Every value of every row of every table, as the database holds it.
async fn raw_rows(h: &Harness) -> String {
    let app = h.app().await;
    let mut conn = app.store.acquire().await.unwrap();
    let mut text = String::new();
    match h.backend {
        Backend::Sqlite => {
            use sqlx::Row;
            let tables: Vec<String> = sqlx::query_scalar(
                // The migration log's timestamp column does not decode through `Any`;
                // it holds no personal data.
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name <> '_sqlx_migrations'",
            )
            .fetch_all(&mut *conn)
            .await
            .unwrap();
            for table in tables {
                let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT * FROM \"{table}\"")))
                    .fetch_all(&mut *conn)
                    .await
                    .unwrap();
                for row in rows {
                    for i in 0..row.len() {
                        if let Ok(Some(v)) = row.try_get::<Option<String>, _>(i) {
                            text.push_str(&v);
                            text.push('|');
                        }
                    }
                }
            }
        }
        Backend::Postgres => {
            let tables: Vec<String> =
                sqlx::query_scalar("SELECT tablename::text FROM pg_tables WHERE schemaname = 'public'")
                    .fetch_all(&mut *conn)
                    .await
                    .unwrap();
            for table in tables {
                let rows: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                    "SELECT row_to_json(t)::text FROM \"{table}\" t"
                )))
                .fetch_all(&mut *conn)
                .await
                .unwrap();
                text.push_str(&rows.join("\n"));
            }
        }
    }
    drop(conn);
    app.store.close().await;
    text
}

/// The SQLite file and its write-ahead log, byte for byte.
fn sqlite_bytes(h: &Harness) -> Vec<u8> {
    let path = h.dir.path().join("db.sqlite3");
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.extend(std::fs::read(format!("{}-wal", path.display())).unwrap_or_default());
    bytes
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

async fn numbers_are_not_in_the_database_in_the_clear(h: &Harness) {
    let alice = h.register("Alice", "alice@example.com").await;
    let bob = h.register("Bob", "bob@example.com").await;
    let response = h
        .client
        .patch(h.url("/v1/account"))
        .bearer_auth(&alice.key)
        .json(&json!({"phone": PHONE}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());

    // A fax out to a number outside the plan, and one to Bob, who receives it.
    let to_bob = bob.number();
    let response = h.send_fax(&alice, vec![("a.pdf", itu_pdf(1))], &[OUTSIDE, &to_bob], &[], None).await;
    assert_eq!(response.status(), 202, "{}", response.text().await.unwrap());
    let fax: Value = response.json().await.unwrap();
    let fax = h.wait_final(&alice, fax["id"].as_str().unwrap()).await;

    // The API shows every number.
    let numbers: BTreeSet<&str> =
        fax["recipients"].as_array().unwrap().iter().map(|r| r["number"].as_str().unwrap()).collect();
    assert_eq!(numbers, BTreeSet::from([OUTSIDE, to_bob.as_str()]));
    let me = h.get_json(&alice, "/v1/account").await;
    assert_eq!(me["phone"], PHONE);
    let inbox = h.get_json(&bob, "/v1/inbox").await;
    assert_eq!(inbox["faxes"][0]["from_number"], alice.number().as_str());
    let filtered = h.get_json(&alice, &format!("/v1/faxes?number={}", urlencode(OUTSIDE))).await;
    assert_eq!(filtered["faxes"].as_array().unwrap().len(), 1, "the number filter finds the fax");

    // The database holds none of the numbers people typed, anywhere, and the
    // tables of faxes, recipients, the inbox and jobs hold no account number either
    // (an account's own number is its address in `accounts`, see docs/privacy/encryption.md).
    let raw = raw_rows(h).await;
    for number in [PHONE, OUTSIDE] {
        assert!(!raw.contains(number.trim_start_matches('+')), "{number} is in the database in the clear");
    }
    let app = h.app().await;
    let mut conn = app.store.acquire().await.unwrap();
    for (table, column) in [
        ("fax_recipients", "number"),
        ("fax_recipients", "remote_ident"),
        ("received_faxes", "from_number"),
        ("received_faxes", "remote_ident"),
        ("jobs", "concurrency_key"),
        ("jobs", "payload"),
        ("webhook_deliveries", "payload"),
    ] {
        let values: Vec<Option<String>> =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT {column} FROM {table}")))
                .fetch_all(&mut *conn)
                .await
                .unwrap();
        for value in values.into_iter().flatten() {
            for number in [alice.number(), bob.number()] {
                let digits = number.trim_start_matches('+');
                assert!(!value.contains(digits), "{table}.{column} holds {number} in the clear");
            }
        }
    }
    drop(conn);
    app.store.close().await;
    if h.backend == Backend::Sqlite {
        let bytes = sqlite_bytes(h);
        for number in [PHONE, OUTSIDE] {
            assert!(!contains(&bytes, number.trim_start_matches('+')), "{number} is in the SQLite file");
        }
    }
}

fn urlencode(number: &str) -> String {
    number.replace('+', "%2B")
}

async fn address_book_crud_and_send_to_a_contact(h: &Harness) {
    let alice = h.register("Alice", "alice@example.com").await;
    let bob = h.register("Bob", "bob@example.com").await;
    let mallory = h.register("Mallory", "mallory@example.com").await;
    let create = |user: &common::User, body: Value| {
        h.client.post(h.url("/v1/contacts")).bearer_auth(&user.key).json(&body).send()
    };
    let response = create(&alice, json!({"name": "Erika Mustermann", "number": "+49 89 215870", "company": "Kanzlei", "note": "mornings"})).await.unwrap();
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    let erika: Value = response.json().await.unwrap();
    assert_eq!(erika["number"], CONTACT, "stored in E.164");
    let response = create(&alice, json!({"name": "Bob", "number": bob.number()})).await.unwrap();
    assert_eq!(response.status(), 201);
    let bob_contact: Value = response.json().await.unwrap();

    // Limits and validation.
    let response = create(&alice, json!({"name": "", "number": CONTACT})).await.unwrap();
    assert_eq!(response.status(), 422);
    let response = create(&alice, json!({"name": "x", "number": "12345"})).await.unwrap();
    assert_eq!(response.status(), 422);
    let response = create(&alice, json!({"name": "x".repeat(201), "number": CONTACT})).await.unwrap();
    assert_eq!(response.status(), 422);
    let response =
        create(&alice, json!({"name": "x", "number": CONTACT, "note": "n".repeat(2001)})).await.unwrap();
    assert_eq!(response.status(), 422);

    let list = h.get_json(&alice, "/v1/contacts").await;
    let names: Vec<&str> = list.as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Bob", "Erika Mustermann"]);
    let id = erika["id"].as_str().unwrap();
    let response = h
        .client
        .put(h.url(&format!("/v1/contacts/{id}")))
        .bearer_auth(&alice.key)
        .json(&json!({"name": "Erika M.", "number": CONTACT}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let one = h.get_json(&alice, &format!("/v1/contacts/{id}")).await;
    assert_eq!((one["name"].as_str(), one["company"].as_str()), (Some("Erika M."), None));

    // Another account sees, changes and uses none of them.
    assert_eq!(h.get(&mallory, &format!("/v1/contacts/{id}")).await.status(), 404);
    assert!(h.get_json(&mallory, "/v1/contacts").await.as_array().unwrap().is_empty());
    let response =
        h.client.delete(h.url(&format!("/v1/contacts/{id}"))).bearer_auth(&mallory.key).send().await.unwrap();
    assert_eq!(response.status(), 404);
    let response = h
        .send_fax(
            &mallory,
            vec![("a.pdf", itu_pdf(1))],
            &[],
            &[("contact", bob_contact["id"].as_str().unwrap())],
            None,
        )
        .await;
    assert_eq!(response.status(), 422, "another account's contact is not a recipient");

    // Sending to a contact id reaches the contact's number.
    let response = h
        .send_fax(
            &alice,
            vec![("a.pdf", itu_pdf(1))],
            &[],
            &[("contact", bob_contact["id"].as_str().unwrap())],
            None,
        )
        .await;
    assert_eq!(response.status(), 202, "{}", response.text().await.unwrap());
    let fax: Value = response.json().await.unwrap();
    let fax = h.wait_final(&alice, fax["id"].as_str().unwrap()).await;
    assert_eq!(fax["recipients"][0]["number"], bob.number().as_str());
    assert_eq!(fax["recipients"][0]["status"], "delivered");
    assert_eq!(h.get_json(&bob, "/v1/inbox").await["faxes"].as_array().unwrap().len(), 1);

    let response =
        h.client.delete(h.url(&format!("/v1/contacts/{id}"))).bearer_auth(&alice.key).send().await.unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(h.get(&alice, &format!("/v1/contacts/{id}")).await.status(), 404);
    if h.backend == Backend::Sqlite {
        assert!(!contains(&sqlite_bytes(h), "Mustermann"), "a contact's name is in the SQLite file");
    }
}

/// Every blob's id and the key that wraps it.
async fn blob_keys(app: &server::App) -> Vec<(blob::BlobId, String)> {
    let mut all = Vec::new();
    for class in app.blobs.classes().await.unwrap() {
        for id in app.blobs.list(&class).await.unwrap() {
            let key = app.blobs.key_id_of(&id).await.unwrap();
            all.push((id, key));
        }
    }
    all
}

async fn send_and_read(h: &Harness, alice: &common::User, bob: &common::User) -> String {
    let response = h.send_fax(alice, vec![("a.pdf", itu_pdf(1))], &[&bob.number()], &[], None).await;
    assert_eq!(response.status(), 202, "{}", response.text().await.unwrap());
    let fax: Value = response.json().await.unwrap();
    let fax = h.wait_final(alice, fax["id"].as_str().unwrap()).await;
    assert_eq!(fax["recipients"][0]["status"], "delivered");
    let inbox = h.get_json(bob, "/v1/inbox").await;
    inbox["faxes"][0]["id"].as_str().unwrap().to_owned()
}

async fn assert_readable(h: &Harness, bob: &common::User, received: &[String]) {
    for id in received {
        let response = h.get(bob, &format!("/v1/inbox/{id}/pdf")).await;
        assert_eq!(response.status(), 200, "received fax {id} is readable");
        assert!(response.bytes().await.unwrap().starts_with(b"%PDF"));
    }
}

async fn rotate_key_while_the_service_runs(h: &Harness) {
    let alice = h.register("Alice", "alice@example.com").await;
    let bob = h.register("Bob", "bob@example.com").await;
    let mut received = vec![send_and_read(h, &alice, &bob).await, send_and_read(h, &alice, &bob).await];

    // The operator's tool is a second process on the same files.
    let admin = h.app().await;
    let old_key = admin.blobs.current_key_id();
    let before = blob_keys(&admin).await;
    assert!(before.len() >= 2 && before.iter().all(|(_, key)| *key == old_key), "{before:?}");

    // A rotation that stops after one object, as a crash would.
    let report = server::key_rotation::rotate(&admin.store, &admin.blobs, Some(1)).await.unwrap();
    let new_key = report.new_key_id.clone().expect("a new key");
    assert_ne!(new_key, old_key);
    assert!(report.stopped_early);
    assert_eq!((report.blobs_rewrapped, report.column_keys_rewrapped), (1, 1));
    let middle = blob_keys(&admin).await;
    assert!(middle.iter().any(|(_, key)| *key == new_key) && middle.iter().any(|(_, key)| *key == old_key));
    // Half-way, the running service reads everything and sends a new fax.
    assert_readable(h, &bob, &received).await;
    received.push(send_and_read(h, &alice, &bob).await);

    // Running it again resumes under the same new key and finishes.
    let report = server::key_rotation::rotate(&admin.store, &admin.blobs, None).await.unwrap();
    assert_eq!(report.new_key_id, None);
    assert_eq!(report.current_key_id, new_key);
    assert!(!report.stopped_early);
    for (id, key) in blob_keys(&admin).await {
        assert_eq!(key, new_key, "{id} is still wrapped by the old key");
    }
    for (id, _) in &before {
        assert_eq!(admin.blobs.key_id_of(id).await.unwrap(), new_key, "the blob's wrapping key id changed");
    }

    // After the rotation the service wraps new objects with the new key.
    received.push(send_and_read(h, &alice, &bob).await);
    let after: Vec<_> = blob_keys(&admin).await.into_iter().filter(|(_, key)| *key != new_key).collect();
    assert!(after.is_empty(), "objects written after the rotation use the new key: {after:?}");

    // Retirement deletes the old key's file; everything still reads, in the running
    // service and in a process started afterwards.
    let old_file = h.dir.path().join(format!("master.key.{old_key}"));
    assert!(old_file.exists());
    let report = server::key_rotation::retire(&admin.store, &admin.blobs).await.unwrap();
    assert_eq!(report.retired, vec![old_key.clone()]);
    assert!(report.still_wrapped.is_empty());
    assert!(!old_file.exists(), "the old key file is gone");
    assert_readable(h, &bob, &received).await;
    admin.store.close().await;
    let fresh = h.app().await;
    assert_eq!(fresh.blobs.keyring().keys().len(), 1, "only the new key is left");
    for (id, _) in blob_keys(&fresh).await {
        fresh.blobs.get(&id).await.unwrap();
    }
    let mut conn = fresh.store.acquire().await.unwrap();
    let account = store::accounts::by_email(&mut conn, "alice@example.com").await.unwrap().unwrap();
    let faxes = store::faxes::list(
        &mut conn,
        &account.id,
        &store::faxes::FaxFilter { limit: 10, ..Default::default() },
    )
    .await
    .unwrap();
    assert_eq!(faxes.len(), 4);
    assert!(faxes.iter().all(|f| f.recipients[0].number == bob.number()));
    drop(conn);
    fresh.store.close().await;
    // A second retirement has nothing to do.
    let again = h.app().await;
    let report = server::key_rotation::retire(&again.store, &again.blobs).await.unwrap();
    assert!(report.retired.is_empty() && report.still_wrapped.is_empty());
    again.store.close().await;
}
