//! The store's conformance suite: every test runs twice, against SQLite (a file in
//! a temporary folder) and against PostgreSQL (a fresh database on a throwaway
//! cluster from `pg-cluster`). A missing PostgreSQL fails the PostgreSQL half with
//! the package to install; nothing is skipped.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use store::accounts::{self, Account, NewAccount, NumberPlan};
use store::audit::{self, Broken, NewEntry};
use store::faxes::{self, FaxFilter, NewDocument, NewFax, RecipientStatus, RecipientUpdate};
use store::idempotency::{self, Reservation};
use store::jobs::{self, NewJob};
use store::{
    Backend, Error, Store, access_log, api_keys, inbox, legal, sessions, throttle, tokens, webhooks,
};

mod common;
use common::on_both_backends;

/// A chosen epoch for the tests: 2025-01-01T00:00:00Z.
const T0: i64 = 1_735_689_600_000;
const MINUTE: i64 = 60_000;
const DAY: i64 = 86_400_000;

on_both_backends!(
    account_creation_and_updates,
    email_is_unique_in_any_case,
    fax_numbers_are_sequential_lowest_free_and_bounded,
    fax_numbers_from_concurrent_signups_are_distinct,
    tokens_are_single_use_and_expire,
    sessions_expire,
    throttle_counts_and_purges,
    api_keys_revoke_only_own,
    faxes_list_filter_cursor_and_isolation,
    recipient_final_state_is_sticky,
    render_failure_fails_open_recipients,
    cancel_cancels_open_recipients_and_queued_jobs,
    idempotency_rolls_back_with_the_fax,
    documents_to_delete_at_the_boundaries,
    jobs_are_claimed_in_due_order,
    expired_lease_is_taken_over_and_the_loser_changes_nothing,
    concurrency_key_is_exclusive,
    many_workers_claim_each_job_exactly_once,
    dedupe_key_returns_the_queued_job,
    webhook_delivery_log,
    access_log_purge_boundary,
    inbox_isolation_and_lifecycle,
    foreign_keys_are_enforced,
    audit_chain_verifies_and_names_the_tampered_entry,
    audit_appends_from_many_tasks_form_one_chain,
    audit_retention_keeps_the_rest_verifiable,
    legal_holds_place_and_release,
);

fn plan() -> NumberPlan {
    NumberPlan { prefix: "+4930555".to_owned(), first: 1000, last: 1999, width: 4 }
}

fn new_account(email: &str) -> NewAccount {
    NewAccount {
        name: "Test Person".to_owned(),
        email: email.to_owned(),
        phone: Some("+4930123456".to_owned()),
        password_hash: "$argon2id$v=19$stub".to_owned(),
        age_confirmed_at: T0 - 1,
        terms_version: "2025-01".to_owned(),
        privacy_version: "2025-01b".to_owned(),
        marketing_opt_in: false,
        webhook_secret: "whsec_test".to_owned(),
    }
}

async fn account(store: &Store, email: &str) -> Account {
    let mut conn = store.acquire().await.unwrap();
    accounts::create(&mut conn, new_account(email), &plan(), T0).await.unwrap()
}

fn new_fax(account_id: &str, recipients: &[&str], tags: &[&str]) -> NewFax {
    NewFax {
        account_id: account_id.to_owned(),
        options_json: r#"{"resolution":"fine"}"#.to_owned(),
        client_reference: Some("ref-1".to_owned()),
        tags: tags.iter().map(|t| (*t).to_owned()).collect(),
        callback_url: None,
        documents: vec![
            NewDocument {
                blob_id: "blob-a".to_owned(),
                filename: "a.pdf".to_owned(),
                content_type: "application/pdf".to_owned(),
                size: 1234,
            },
            NewDocument {
                blob_id: "blob-b".to_owned(),
                filename: "b.png".to_owned(),
                content_type: "image/png".to_owned(),
                size: 99,
            },
        ],
        recipients: recipients.iter().map(|r| (*r).to_owned()).collect(),
        deadline_at: T0 + DAY,
    }
}

fn update(status: RecipientStatus) -> RecipientUpdate {
    RecipientUpdate {
        status,
        error_code: None,
        error_message: None,
        pages_sent: 2,
        rate: Some(14_400),
        ecm: Some(true),
        remote_ident: Some("REMOTE".to_owned()),
        duration_ms: Some(42_000),
        attempts: 1,
        next_attempt_at: None,
    }
}

fn job(kind: &str, run_at: i64) -> NewJob {
    NewJob {
        kind: kind.to_owned(),
        payload: "{}".to_owned(),
        run_at,
        concurrency_key: None,
        fax_id: None,
        dedupe_key: None,
    }
}

async fn account_creation_and_updates(store: &Store) {
    let mut conn = store.acquire().await.unwrap();
    let created =
        accounts::create(&mut conn, new_account("Ann.Example@Example.ORG"), &plan(), T0).await.unwrap();
    assert!(created.id.starts_with("acc_"), "{}", created.id);
    assert_eq!(created.email, "ann.example@example.org");
    assert_eq!(created.fax_number, "+49305551000");
    assert_eq!((created.created_at, created.accepted_at, created.age_confirmed_at), (T0, T0, T0 - 1));
    assert!(created.notify_on_sent && created.notify_on_failure && created.notify_on_receive);
    assert!(!created.marketing_opt_in);
    assert_eq!(created.email_verified_at, None);
    assert_eq!(created.phone.as_deref(), Some("+4930123456"));

    assert_eq!(accounts::by_id(&mut conn, &created.id).await.unwrap(), Some(created.clone()));
    assert_eq!(
        accounts::by_email(&mut conn, "ANN.EXAMPLE@example.org").await.unwrap(),
        Some(created.clone())
    );
    assert_eq!(accounts::by_fax_number(&mut conn, "+49305551000").await.unwrap(), Some(created.clone()));
    assert_eq!(accounts::by_email(&mut conn, "nobody@example.org").await.unwrap(), None);

    accounts::set_email_verified(&mut conn, &created.id, T0 + 5).await.unwrap();
    accounts::set_password_hash(&mut conn, &created.id, "new-hash").await.unwrap();
    accounts::update_profile(&mut conn, &created.id, "Ann", None).await.unwrap();
    accounts::set_notifications(&mut conn, &created.id, false, true, false).await.unwrap();
    accounts::set_webhook(&mut conn, &created.id, Some("https://hooks.example/x".to_owned())).await.unwrap();
    let after = accounts::by_id(&mut conn, &created.id).await.unwrap().unwrap();
    assert_eq!(after.email_verified_at, Some(T0 + 5));
    assert_eq!(after.password_hash, "new-hash");
    assert_eq!((after.name.as_str(), after.phone.as_deref()), ("Ann", None));
    assert_eq!(
        (after.notify_on_sent, after.notify_on_failure, after.notify_on_receive),
        (false, true, false)
    );
    assert_eq!(after.webhook_url.as_deref(), Some("https://hooks.example/x"));
    accounts::set_webhook(&mut conn, &created.id, None).await.unwrap();
    assert_eq!(accounts::by_id(&mut conn, &created.id).await.unwrap().unwrap().webhook_url, None);

    assert!(matches!(accounts::set_email_verified(&mut conn, "acc_unknown", T0).await, Err(Error::NotFound)));
    // Debug output carries no personal data.
    let debug = format!("{after:?}");
    assert!(!debug.contains("example.org") && !debug.contains("+4930"), "{debug}");
}

async fn email_is_unique_in_any_case(store: &Store) {
    let first = account(store, "bob@example.org").await;
    let mut conn = store.acquire().await.unwrap();
    let again = accounts::create(&mut conn, new_account("BOB@Example.Org"), &plan(), T0).await;
    assert!(matches!(again, Err(Error::Conflict("email"))), "{again:?}");
    // The refused sign-up did not use up a number.
    let next = accounts::create(&mut conn, new_account("carol@example.org"), &plan(), T0).await.unwrap();
    assert_eq!(first.fax_number, "+49305551000");
    assert_eq!(next.fax_number, "+49305551001");
}

async fn fax_numbers_are_sequential_lowest_free_and_bounded(store: &Store) {
    let small = NumberPlan { prefix: "+3312".to_owned(), first: 7, last: 9, width: 3 };
    let mut conn = store.acquire().await.unwrap();
    let mut numbers = Vec::new();
    for i in 0..3 {
        let acc =
            accounts::create(&mut conn, new_account(&format!("p{i}@example.org")), &small, T0).await.unwrap();
        numbers.push(acc);
    }
    let got: Vec<&str> = numbers.iter().map(|a| a.fax_number.as_str()).collect();
    assert_eq!(got, ["+3312007", "+3312008", "+3312009"]);
    let full = accounts::create(&mut conn, new_account("full@example.org"), &small, T0).await;
    assert!(matches!(full, Err(Error::Conflict("fax_number_pool_exhausted"))), "{full:?}");

    // A freed number in the middle is the lowest free one again.
    sqlx::query("DELETE FROM accounts WHERE id = $1").bind(&numbers[1].id).execute(&mut *conn).await.unwrap();
    let refill = accounts::create(&mut conn, new_account("refill@example.org"), &small, T0).await.unwrap();
    assert_eq!(refill.fax_number, "+3312008");

    let narrow = NumberPlan { prefix: "+1".to_owned(), first: 1, last: 100, width: 2 };
    let bad = accounts::create(&mut conn, new_account("narrow@example.org"), &narrow, T0).await;
    assert!(matches!(bad, Err(Error::Invalid(_))), "{bad:?}");
}

async fn fax_numbers_from_concurrent_signups_are_distinct(store: &Store) {
    let mut tasks = Vec::new();
    for i in 0..8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut conn = store.acquire().await.unwrap();
            let new = new_account(&format!("racer{i}@example.org"));
            accounts::create(&mut conn, new, &plan(), T0).await.unwrap().fax_number
        }));
    }
    let mut numbers = Vec::new();
    for task in tasks {
        numbers.push(task.await.unwrap());
    }
    numbers.sort();
    let expected: Vec<String> = (1000..1008).map(|n| format!("+4930555{n}")).collect();
    assert_eq!(numbers, expected);
}

async fn tokens_are_single_use_and_expire(store: &Store) {
    let acc = account(store, "tok@example.org").await;
    let mut conn = store.acquire().await.unwrap();
    tokens::create(&mut conn, &acc.id, "verify", b"hash-1", T0 + 1000, T0).await.unwrap();
    tokens::create(&mut conn, &acc.id, "reset", b"hash-2", T0 + 1000, T0).await.unwrap();
    assert_eq!(tokens::consume(&mut conn, "reset", b"hash-1", T0).await.unwrap(), None, "wrong purpose");
    assert_eq!(
        tokens::consume(&mut conn, "verify", b"hash-1", T0 + 999).await.unwrap(),
        Some(acc.id.clone())
    );
    assert_eq!(tokens::consume(&mut conn, "verify", b"hash-1", T0 + 999).await.unwrap(), None, "used twice");
    assert_eq!(tokens::consume(&mut conn, "reset", b"hash-2", T0 + 1000).await.unwrap(), None, "expired");
    tokens::create(&mut conn, &acc.id, "reset", b"hash-3", T0 + 10, T0).await.unwrap();
    tokens::create(&mut conn, &acc.id, "reset", b"hash-4", T0 + 20, T0).await.unwrap();
    assert_eq!(tokens::purge_expired(&mut conn, T0 + 10).await.unwrap(), 1);
    assert_eq!(tokens::consume(&mut conn, "reset", b"hash-4", T0 + 19).await.unwrap(), Some(acc.id));
}

async fn sessions_expire(store: &Store) {
    let acc = account(store, "sess@example.org").await;
    let mut conn = store.acquire().await.unwrap();
    let s = sessions::create(&mut conn, b"sid-1", &acc.id, T0 + 100, true, T0).await.unwrap();
    assert_eq!((s.created_at, s.last_seen_at, s.persistent), (T0, T0, true));
    sessions::create(&mut conn, b"sid-2", &acc.id, T0 + 50, false, T0).await.unwrap();
    assert!(sessions::get(&mut conn, b"sid-1", T0 + 99).await.unwrap().is_some());
    assert!(sessions::get(&mut conn, b"sid-1", T0 + 100).await.unwrap().is_none(), "expired");
    sessions::touch(&mut conn, b"sid-1", T0 + 60).await.unwrap();
    assert_eq!(sessions::get(&mut conn, b"sid-1", T0 + 61).await.unwrap().unwrap().last_seen_at, T0 + 60);
    assert_eq!(sessions::purge_expired(&mut conn, T0 + 50).await.unwrap(), 1);
    sessions::delete(&mut conn, b"sid-1").await.unwrap();
    assert!(sessions::get(&mut conn, b"sid-1", T0).await.unwrap().is_none());
    sessions::create(&mut conn, b"sid-3", &acc.id, T0 + 100, false, T0).await.unwrap();
    sessions::create(&mut conn, b"sid-4", &acc.id, T0 + 100, false, T0).await.unwrap();
    assert_eq!(sessions::delete_for_account(&mut conn, &acc.id).await.unwrap(), 2);
}

async fn throttle_counts_and_purges(store: &Store) {
    let mut conn = store.acquire().await.unwrap();
    for t in [T0, T0 + 1, T0 + 2] {
        throttle::record_failure(&mut conn, "k1", t).await.unwrap();
    }
    throttle::record_failure(&mut conn, "k2", T0).await.unwrap();
    assert_eq!(throttle::failures_since(&mut conn, "k1", T0 + 1).await.unwrap(), 2);
    assert_eq!(throttle::failures_since(&mut conn, "k1", T0).await.unwrap(), 3);
    throttle::clear(&mut conn, "k1").await.unwrap();
    assert_eq!(throttle::failures_since(&mut conn, "k1", 0).await.unwrap(), 0);
    assert_eq!(throttle::failures_since(&mut conn, "k2", 0).await.unwrap(), 1);
    assert_eq!(throttle::purge_before(&mut conn, T0).await.unwrap(), 0, "at == before stays");
    assert_eq!(throttle::purge_before(&mut conn, T0 + 1).await.unwrap(), 1);
}

async fn api_keys_revoke_only_own(store: &Store) {
    let a = account(store, "keys-a@example.org").await;
    let b = account(store, "keys-b@example.org").await;
    let mut conn = store.acquire().await.unwrap();
    let key = api_keys::create(&mut conn, &a.id, "ci", "ffx_abc", b"secret-hash", T0).await.unwrap();
    let dup = api_keys::create(&mut conn, &b.id, "dup", "ffx_abc", b"x", T0).await;
    assert!(matches!(dup, Err(Error::Conflict("api_key_prefix"))), "{dup:?}");
    let (found, hash) = api_keys::find_active(&mut conn, "ffx_abc").await.unwrap().unwrap();
    assert_eq!((found, hash), (key.clone(), b"secret-hash".to_vec()));
    api_keys::touch(&mut conn, &key.id, T0 + 7).await.unwrap();
    assert_eq!(api_keys::list(&mut conn, &a.id).await.unwrap()[0].last_used_at, Some(T0 + 7));
    assert!(api_keys::list(&mut conn, &b.id).await.unwrap().is_empty());

    assert!(!api_keys::revoke(&mut conn, &b.id, &key.id, T0 + 8).await.unwrap(), "another account's key");
    assert!(api_keys::find_active(&mut conn, "ffx_abc").await.unwrap().is_some());
    assert!(api_keys::revoke(&mut conn, &a.id, &key.id, T0 + 9).await.unwrap());
    assert!(!api_keys::revoke(&mut conn, &a.id, &key.id, T0 + 10).await.unwrap(), "already revoked");
    assert!(api_keys::find_active(&mut conn, "ffx_abc").await.unwrap().is_none());
    assert_eq!(api_keys::list(&mut conn, &a.id).await.unwrap()[0].revoked_at, Some(T0 + 9));
}

async fn faxes_list_filter_cursor_and_isolation(store: &Store) {
    let a = account(store, "fax-a@example.org").await;
    let b = account(store, "fax-b@example.org").await;
    let mut conn = store.acquire().await.unwrap();
    let mut made = Vec::new();
    for i in 0..5_i64 {
        let tags: &[&str] = if i % 2 == 0 { &["even", "all"] } else { &["all"] };
        let number = if i == 3 { "+331111" } else { "+442222" };
        let fax = faxes::create(&mut conn, new_fax(&a.id, &[number, "+493333"], tags), T0 + i * MINUTE)
            .await
            .unwrap();
        made.push(fax);
    }
    let other = faxes::create(&mut conn, new_fax(&b.id, &["+442222"], &["all"]), T0).await.unwrap();

    let first = &made[0];
    assert!(first.id.starts_with("fax_"));
    assert_eq!(first.tags, ["all", "even"]);
    assert_eq!(first.recipients.len(), 2);
    assert!(
        first.recipients.iter().all(|r| r.status == RecipientStatus::Queued && r.deadline_at == T0 + DAY)
    );
    assert_eq!(first.recipients[0].number, "+442222");
    let docs = faxes::documents(&mut conn, &first.id).await.unwrap();
    assert_eq!(docs.iter().map(|d| d.filename.as_str()).collect::<Vec<_>>(), ["a.pdf", "b.png"]);
    assert_eq!((docs[0].size, docs[0].deleted_at), (1234, None));

    // Pages of two, newest first, then the cursor.
    let ids = |list: &[faxes::Fax]| list.iter().map(|f| f.id.clone()).collect::<Vec<_>>();
    let mut filter = FaxFilter { limit: 2, ..FaxFilter::default() };
    let page1 = faxes::list(&mut conn, &a.id, &filter).await.unwrap();
    assert_eq!(ids(&page1), [made[4].id.clone(), made[3].id.clone()]);
    assert_eq!(page1[0], made[4]);
    filter.before_id = Some(made[3].id.clone());
    let page2 = faxes::list(&mut conn, &a.id, &filter).await.unwrap();
    assert_eq!(ids(&page2), [made[2].id.clone(), made[1].id.clone()]);
    filter.before_id = Some(made[1].id.clone());
    assert_eq!(ids(&faxes::list(&mut conn, &a.id, &filter).await.unwrap()), [made[0].id.clone()]);

    let all = |f: FaxFilter| FaxFilter { limit: 100, ..f };
    let by_tag = all(FaxFilter { tag: Some("even".into()), ..Default::default() });
    let expected = [made[4].id.clone(), made[2].id.clone(), made[0].id.clone()];
    assert_eq!(ids(&faxes::list(&mut conn, &a.id, &by_tag).await.unwrap()), expected);
    let by_number = all(FaxFilter { number: Some("+331111".into()), ..Default::default() });
    assert_eq!(ids(&faxes::list(&mut conn, &a.id, &by_number).await.unwrap()), [made[3].id.clone()]);
    let window =
        all(FaxFilter { since: Some(T0 + MINUTE), until: Some(T0 + 3 * MINUTE), ..Default::default() });
    assert_eq!(
        ids(&faxes::list(&mut conn, &a.id, &window).await.unwrap()),
        [made[2].id.clone(), made[1].id.clone()]
    );

    faxes::update_recipient(&mut conn, &made[1].recipients[1].id, &update(RecipientStatus::Sending), T0)
        .await
        .unwrap();
    let sending = all(FaxFilter { status: Some(RecipientStatus::Sending), ..Default::default() });
    assert_eq!(ids(&faxes::list(&mut conn, &a.id, &sending).await.unwrap()), [made[1].id.clone()]);
    assert_eq!(faxes::list(&mut conn, &a.id, &all(FaxFilter::default())).await.unwrap().len(), 5);

    // Another account's fax is invisible, exactly as an unknown one.
    assert_eq!(faxes::get(&mut conn, &a.id, &other.id).await.unwrap(), None);
    assert_eq!(faxes::get(&mut conn, &b.id, &made[0].id).await.unwrap(), None);
    assert_eq!(faxes::get(&mut conn, &a.id, &made[0].id).await.unwrap().as_ref(), Some(&made[0]));
    assert_eq!(faxes::get_any(&mut conn, &other.id).await.unwrap().as_ref(), Some(&other));
    let listed_b = faxes::list(&mut conn, &b.id, &all(FaxFilter::default())).await.unwrap();
    assert_eq!(ids(&listed_b), [other.id.as_str()]);

    let no_recipients = faxes::create(&mut conn, new_fax(&a.id, &[], &[]), T0).await;
    assert!(matches!(no_recipients, Err(Error::Invalid(_))), "{no_recipients:?}");

    faxes::set_rendered(&mut conn, &first.id, "tiff-1", 3, T0 + 1).await.unwrap();
    let rendered = faxes::get_any(&mut conn, &first.id).await.unwrap().unwrap();
    assert_eq!((rendered.rendered_blob.as_deref(), rendered.page_count), (Some("tiff-1"), Some(3)));
    faxes::set_rendered_blob_deleted(&mut conn, &first.id).await.unwrap();
    let cleared = faxes::get_any(&mut conn, &first.id).await.unwrap().unwrap();
    assert_eq!((cleared.rendered_blob, cleared.page_count), (None, Some(3)));
}

async fn recipient_final_state_is_sticky(store: &Store) {
    let a = account(store, "sticky@example.org").await;
    let mut conn = store.acquire().await.unwrap();
    let fax = faxes::create(&mut conn, new_fax(&a.id, &["+441"], &[]), T0).await.unwrap();
    let rid = fax.recipients[0].id.clone();
    assert!(
        faxes::update_recipient(&mut conn, &rid, &update(RecipientStatus::Sending), T0 + 1).await.unwrap()
    );
    let sending = faxes::recipient(&mut conn, &rid).await.unwrap().unwrap();
    assert_eq!(
        (sending.status, sending.completed_at, sending.updated_at),
        (RecipientStatus::Sending, None, T0 + 1)
    );
    assert!(
        faxes::update_recipient(&mut conn, &rid, &update(RecipientStatus::Delivered), T0 + 2).await.unwrap()
    );
    let delivered = faxes::recipient(&mut conn, &rid).await.unwrap().unwrap();
    assert_eq!(delivered.status, RecipientStatus::Delivered);
    assert_eq!(delivered.completed_at, Some(T0 + 2));
    assert_eq!((delivered.pages_sent, delivered.rate, delivered.ecm), (2, Some(14_400), Some(true)));
    assert_eq!((delivered.remote_ident.as_deref(), delivered.duration_ms), (Some("REMOTE"), Some(42_000)));

    let mut failing = update(RecipientStatus::Failed);
    failing.error_code = Some("busy".into());
    assert!(!faxes::update_recipient(&mut conn, &rid, &failing, T0 + 3).await.unwrap());
    assert!(
        !faxes::update_recipient(&mut conn, &rid, &update(RecipientStatus::Queued), T0 + 3).await.unwrap()
    );
    assert_eq!(faxes::recipient(&mut conn, &rid).await.unwrap().unwrap(), delivered, "final state moved");
    let missing =
        faxes::update_recipient(&mut conn, "rcp_unknown", &update(RecipientStatus::Sending), T0).await;
    assert!(matches!(missing, Err(Error::NotFound)), "{missing:?}");
}

async fn render_failure_fails_open_recipients(store: &Store) {
    let a = account(store, "render@example.org").await;
    let mut conn = store.acquire().await.unwrap();
    let fax = faxes::create(&mut conn, new_fax(&a.id, &["+441", "+442"], &[]), T0).await.unwrap();
    faxes::update_recipient(&mut conn, &fax.recipients[0].id, &update(RecipientStatus::Delivered), T0 + 1)
        .await
        .unwrap();
    faxes::set_render_failed(&mut conn, &fax.id, "unsupported_document", "cannot read page 2", T0 + 2)
        .await
        .unwrap();
    let after = faxes::get(&mut conn, &a.id, &fax.id).await.unwrap().unwrap();
    assert_eq!(after.render_error, Some(("unsupported_document".into(), "cannot read page 2".into())));
    assert_eq!(after.recipients[0].status, RecipientStatus::Delivered);
    assert_eq!(after.recipients[1].status, RecipientStatus::Failed);
    assert_eq!(after.recipients[1].error_code.as_deref(), Some("unsupported_document"));
    assert_eq!(after.recipients[1].completed_at, Some(T0 + 2));
}

async fn cancel_cancels_open_recipients_and_queued_jobs(store: &Store) {
    let a = account(store, "cancel@example.org").await;
    let b = account(store, "cancel-b@example.org").await;
    let mut conn = store.acquire().await.unwrap();
    let fax = faxes::create(&mut conn, new_fax(&a.id, &["+441", "+442", "+443"], &[]), T0).await.unwrap();
    faxes::update_recipient(&mut conn, &fax.recipients[0].id, &update(RecipientStatus::Delivered), T0)
        .await
        .unwrap();
    let for_fax = |kind: &str| NewJob { fax_id: Some(fax.id.clone()), ..job(kind, T0) };
    let running = jobs::enqueue(&mut conn, for_fax("send"), T0).await.unwrap();
    let queued = jobs::enqueue(&mut conn, for_fax("send-later"), T0).await.unwrap();
    let unrelated = jobs::enqueue(&mut conn, job("send-later", T0), T0).await.unwrap();
    let claimed = jobs::claim(store, "w1", &["send"], T0, MINUTE).await.unwrap().unwrap();
    assert_eq!(claimed.id, running);

    assert_eq!(
        faxes::cancel(&mut conn, &b.id, &fax.id, T0 + 1).await.unwrap(),
        None,
        "another account's fax"
    );
    let canceled = faxes::cancel(&mut conn, &a.id, &fax.id, T0 + 1).await.unwrap().unwrap();
    assert_eq!(canceled.iter().map(|r| r.number.as_str()).collect::<Vec<_>>(), ["+442", "+443"]);
    assert!(canceled.iter().all(|r| r.status == RecipientStatus::Canceled && r.completed_at == Some(T0 + 1)));
    let after = faxes::get(&mut conn, &a.id, &fax.id).await.unwrap().unwrap();
    assert_eq!(after.recipients[0].status, RecipientStatus::Delivered);
    assert!(jobs::get(&mut conn, &queued).await.unwrap().is_none(), "queued job removed");
    assert!(jobs::get(&mut conn, &running).await.unwrap().is_some(), "running job left alone");
    assert!(jobs::get(&mut conn, &unrelated).await.unwrap().is_some());
    assert_eq!(faxes::cancel(&mut conn, &a.id, &fax.id, T0 + 2).await.unwrap(), Some(vec![]));
}

async fn idempotency_rolls_back_with_the_fax(store: &Store) {
    let a = account(store, "idem@example.org").await;
    {
        let mut tx = store.begin().await.unwrap();
        assert_eq!(
            idempotency::reserve(&mut tx, &a.id, "key-1", b"req", T0).await.unwrap(),
            Reservation::New
        );
        let fax = faxes::create(&mut tx, new_fax(&a.id, &["+441"], &[]), T0).await.unwrap();
        idempotency::complete(&mut tx, &a.id, "key-1", &fax.id).await.unwrap();
        tx.rollback().await.unwrap();
    }
    let mut conn = store.acquire().await.unwrap();
    let everything = FaxFilter { limit: 100, ..FaxFilter::default() };
    assert!(faxes::list(&mut conn, &a.id, &everything).await.unwrap().is_empty(), "rollback left a fax");
    drop(conn);

    let mut tx = store.begin().await.unwrap();
    assert_eq!(idempotency::reserve(&mut tx, &a.id, "key-1", b"req", T0).await.unwrap(), Reservation::New);
    let fax = faxes::create(&mut tx, new_fax(&a.id, &["+441"], &[]), T0).await.unwrap();
    idempotency::complete(&mut tx, &a.id, "key-1", &fax.id).await.unwrap();
    tx.commit().await.unwrap();

    let mut conn = store.acquire().await.unwrap();
    let again = idempotency::reserve(&mut conn, &a.id, "key-1", b"other", T0 + 1).await.unwrap();
    assert_eq!(again, Reservation::Existing { fax_id: Some(fax.id.clone()), request_hash: b"req".to_vec() });
    let b = account(store, "idem-b@example.org").await;
    assert_eq!(idempotency::reserve(&mut conn, &b.id, "key-1", b"req", T0).await.unwrap(), Reservation::New);
    assert_eq!(idempotency::purge_before(&mut conn, T0).await.unwrap(), 0);
    assert_eq!(idempotency::purge_before(&mut conn, T0 + 1).await.unwrap(), 2);
    assert_eq!(faxes::list(&mut conn, &a.id, &everything).await.unwrap().len(), 1);
}

async fn documents_to_delete_at_the_boundaries(store: &Store) {
    let a = account(store, "janitor@example.org").await;
    let mut conn = store.acquire().await.unwrap();
    let unsent_after = 30 * DAY;
    let open = faxes::create(&mut conn, new_fax(&a.id, &["+441"], &[]), T0).await.unwrap();
    let done = faxes::create(&mut conn, new_fax(&a.id, &["+442", "+443"], &[]), T0).await.unwrap();
    let doc_faxes = |docs: &[faxes::Document]| docs.iter().map(|d| d.fax_id.clone()).collect::<HashSet<_>>();

    assert!(faxes::documents_to_delete(&mut conn, T0, unsent_after).await.unwrap().is_empty());
    faxes::update_recipient(&mut conn, &done.recipients[0].id, &update(RecipientStatus::Delivered), T0)
        .await
        .unwrap();
    assert!(
        faxes::documents_to_delete(&mut conn, T0, unsent_after).await.unwrap().is_empty(),
        "one still open"
    );
    faxes::update_recipient(&mut conn, &done.recipients[1].id, &update(RecipientStatus::Failed), T0)
        .await
        .unwrap();
    let now = faxes::documents_to_delete(&mut conn, T0 + 1, unsent_after).await.unwrap();
    assert_eq!(doc_faxes(&now), HashSet::from([done.id.clone()]));
    assert_eq!(now.len(), 2);

    // The unsent fax: kept at 29 days 23:59, deleted at exactly 30 days.
    let almost = faxes::documents_to_delete(&mut conn, T0 + 30 * DAY - MINUTE, unsent_after).await.unwrap();
    assert_eq!(doc_faxes(&almost), HashSet::from([done.id.clone()]));
    let due = faxes::documents_to_delete(&mut conn, T0 + 30 * DAY, unsent_after).await.unwrap();
    assert_eq!(doc_faxes(&due), HashSet::from([done.id.clone(), open.id.clone()]));

    for doc in &now {
        faxes::mark_document_deleted(&mut conn, &doc.id, T0 + 2).await.unwrap();
    }
    let rest = faxes::documents_to_delete(&mut conn, T0 + 30 * DAY, unsent_after).await.unwrap();
    assert_eq!(doc_faxes(&rest), HashSet::from([open.id.clone()]));
    assert!(
        faxes::documents(&mut conn, &done.id).await.unwrap().iter().all(|d| d.deleted_at == Some(T0 + 2))
    );
}

async fn jobs_are_claimed_in_due_order(store: &Store) {
    let mut conn = store.acquire().await.unwrap();
    let j300 = jobs::enqueue(&mut conn, job("render", T0 + 300), T0).await.unwrap();
    let j100 = jobs::enqueue(&mut conn, job("render", T0 + 100), T0).await.unwrap();
    let j200 = jobs::enqueue(&mut conn, job("render", T0 + 200), T0).await.unwrap();
    let later = jobs::enqueue(&mut conn, job("render", T0 + 1000), T0).await.unwrap();
    let other_kind = jobs::enqueue(&mut conn, job("email", T0), T0).await.unwrap();
    assert!(j300.starts_with("job_"));
    assert_eq!(jobs::pending(&mut conn, None).await.unwrap(), 5);
    assert_eq!(jobs::pending(&mut conn, Some("render")).await.unwrap(), 4);

    let now = T0 + 500;
    let mut order = Vec::new();
    while let Some(claimed) = jobs::claim(store, "w1", &["render"], now, MINUTE).await.unwrap() {
        assert_eq!((claimed.attempts, claimed.lease_until), (1, Some(now + MINUTE)));
        assert_eq!(claimed.lease_owner.as_deref(), Some("w1"));
        order.push(claimed.id);
    }
    assert_eq!(order, [j100, j200, j300]);
    let next = jobs::claim(store, "w1", &["render", "email"], T0 + 1000, MINUTE).await.unwrap().unwrap();
    assert_eq!(next.id, other_kind, "due earlier than the later render job");
    let last = jobs::claim(store, "w1", &["render", "email"], T0 + 1000, MINUTE).await.unwrap().unwrap();
    assert_eq!(last.id, later);
    assert!(jobs::claim(store, "w1", &[], T0 + 1000, MINUTE).await.unwrap().is_none());
}

async fn expired_lease_is_taken_over_and_the_loser_changes_nothing(store: &Store) {
    let mut conn = store.acquire().await.unwrap();
    let id = jobs::enqueue(&mut conn, job("send", T0), T0).await.unwrap();
    let first = jobs::claim(store, "w1", &["send"], T0, 1000).await.unwrap().unwrap();
    assert_eq!(first.id, id);
    jobs::extend(&mut conn, &id, "w1", T0 + 2000).await.unwrap();
    assert!(
        jobs::claim(store, "w2", &["send"], T0 + 1999, 1000).await.unwrap().is_none(),
        "lease still held"
    );
    let taken = jobs::claim(store, "w2", &["send"], T0 + 2000, 1000).await.unwrap().unwrap();
    assert_eq!(
        (taken.id.as_str(), taken.attempts, taken.lease_owner.as_deref()),
        (id.as_str(), 2, Some("w2"))
    );

    // The first worker comes back: whatever it tries fails and changes nothing,
    // including the other writes of its transaction.
    let before = access_log::count(&mut conn).await.unwrap();
    let mut tx = store.begin().await.unwrap();
    let entry = access_log::AccessEntry {
        at: T0,
        ip: None,
        user_agent: None,
        session_hash: None,
        account_id: None,
        method: "POST".into(),
        path: "/side-effect".into(),
        status: 200,
    };
    access_log::append(&mut tx, &entry).await.unwrap();
    assert!(matches!(jobs::complete(&mut tx, &id, "w1").await, Err(Error::LeaseLost)));
    tx.rollback().await.unwrap();
    assert_eq!(access_log::count(&mut conn).await.unwrap(), before);
    assert!(matches!(jobs::retry(&mut conn, &id, "w1", T0 + 9000, "again").await, Err(Error::LeaseLost)));
    assert!(matches!(jobs::fail(&mut conn, &id, "w1", "gave up").await, Err(Error::LeaseLost)));
    assert!(matches!(jobs::extend(&mut conn, &id, "w1", T0 + 9000).await, Err(Error::LeaseLost)));
    assert_eq!(jobs::get(&mut conn, &id).await.unwrap().unwrap(), taken, "the loser changed the job");

    jobs::retry(&mut conn, &id, "w2", T0 + 5000, "line busy").await.unwrap();
    let retried = jobs::get(&mut conn, &id).await.unwrap().unwrap();
    assert_eq!(
        (retried.run_at, retried.lease_owner, retried.last_error.as_deref()),
        (T0 + 5000, None, Some("line busy"))
    );
    assert!(jobs::claim(store, "w3", &["send"], T0 + 4999, 1000).await.unwrap().is_none(), "not yet due");
    let third = jobs::claim(store, "w3", &["send"], T0 + 5000, 1000).await.unwrap().unwrap();
    assert_eq!(third.attempts, 3);
    jobs::complete(&mut conn, &id, "w3").await.unwrap();
    assert!(matches!(jobs::complete(&mut conn, &id, "w3").await, Err(Error::LeaseLost)), "completed twice");
    assert_eq!(jobs::pending(&mut conn, None).await.unwrap(), 0);
}

async fn concurrency_key_is_exclusive(store: &Store) {
    let mut conn = store.acquire().await.unwrap();
    let keyed = |kind: &str| NewJob { concurrency_key: Some("+4930111".into()), ..job(kind, T0) };
    let first = jobs::enqueue(&mut conn, keyed("dial"), T0).await.unwrap();
    let second = jobs::enqueue(&mut conn, keyed("dial"), T0).await.unwrap();
    let free = jobs::enqueue(&mut conn, job("dial", T0), T0).await.unwrap();

    assert_eq!(jobs::claim(store, "w1", &["dial"], T0, 1000).await.unwrap().unwrap().id, first);
    assert_eq!(
        jobs::claim(store, "w2", &["dial"], T0, 1000).await.unwrap().unwrap().id,
        free,
        "second skipped"
    );
    assert!(jobs::claim(store, "w3", &["dial"], T0 + 1, 1000).await.unwrap().is_none());
    jobs::complete(&mut conn, &first, "w1").await.unwrap();
    assert_eq!(jobs::claim(store, "w3", &["dial"], T0 + 2, 1000).await.unwrap().unwrap().id, second);
    jobs::complete(&mut conn, &second, "w3").await.unwrap();
    jobs::complete(&mut conn, &free, "w2").await.unwrap();

    // A lease that expires frees the key as well.
    let held = jobs::enqueue(&mut conn, keyed("dial"), T0).await.unwrap();
    let waiting = jobs::enqueue(&mut conn, keyed("redial"), T0).await.unwrap();
    assert_eq!(jobs::claim(store, "w1", &["dial"], T0 + 10, 1000).await.unwrap().unwrap().id, held);
    assert!(jobs::claim(store, "w2", &["redial"], T0 + 1009, 1000).await.unwrap().is_none());
    assert_eq!(jobs::claim(store, "w2", &["redial"], T0 + 1010, 1000).await.unwrap().unwrap().id, waiting);
    assert!(
        jobs::claim(store, "w4", &["dial"], T0 + 1011, 1000).await.unwrap().is_none(),
        "key held by redial"
    );
}

async fn many_workers_claim_each_job_exactly_once(store: &Store) {
    const JOBS: usize = 200;
    const WORKERS: usize = 8;
    let mut conn = store.acquire().await.unwrap();
    let mut ids = HashSet::new();
    for i in 0..JOBS {
        // Half the jobs share ten destination numbers, to exercise the key check too.
        let key = (i % 2 == 0).then(|| format!("+4930{}", i % 10));
        let new = NewJob { concurrency_key: key, payload: format!("{{\"n\":{i}}}"), ..job("work", T0) };
        ids.insert(jobs::enqueue(&mut conn, new, T0).await.unwrap());
    }
    drop(conn);
    let claims: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let held_keys: Arc<Mutex<HashSet<String>>> = Arc::default();
    let mut tasks = Vec::new();
    for w in 0..WORKERS {
        let (store, claims, held_keys) = (store.clone(), claims.clone(), held_keys.clone());
        tasks.push(tokio::spawn(async move {
            let worker = format!("worker-{w}");
            let mut idle_rounds = 0;
            for _ in 0..10_000 {
                let Some(job) = jobs::claim(&store, &worker, &["work"], T0 + 1, 10 * MINUTE).await.unwrap()
                else {
                    let mut conn = store.acquire().await.unwrap();
                    if jobs::pending(&mut conn, Some("work")).await.unwrap() == 0 {
                        return;
                    }
                    idle_rounds += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
                    continue;
                };
                *claims.lock().unwrap().entry(job.id.clone()).or_default() += 1;
                if let Some(key) = &job.concurrency_key {
                    assert!(held_keys.lock().unwrap().insert(key.clone()), "key {key} claimed twice at once");
                }
                tokio::task::yield_now().await;
                if let Some(key) = &job.concurrency_key {
                    held_keys.lock().unwrap().remove(key);
                }
                let mut conn = store.acquire().await.unwrap();
                jobs::complete(&mut conn, &job.id, &worker).await.unwrap();
            }
            panic!("worker {w} did not finish ({idle_rounds} idle rounds)");
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let claims = claims.lock().unwrap();
    assert_eq!(claims.len(), JOBS);
    assert_eq!(claims.keys().cloned().collect::<HashSet<_>>(), ids);
    assert!(claims.values().all(|&n| n == 1), "a job was claimed twice: {claims:?}");
}

async fn dedupe_key_returns_the_queued_job(store: &Store) {
    let mut conn = store.acquire().await.unwrap();
    let deduped = || NewJob { dedupe_key: Some("render:fax_1".into()), ..job("render", T0) };
    let first = jobs::enqueue(&mut conn, deduped(), T0).await.unwrap();
    assert_eq!(jobs::enqueue(&mut conn, deduped(), T0 + 1).await.unwrap(), first);
    assert_eq!(jobs::pending(&mut conn, Some("render")).await.unwrap(), 1);
    // Running still counts as queued for deduplication.
    jobs::claim(store, "w1", &["render"], T0, MINUTE).await.unwrap().unwrap();
    assert_eq!(jobs::enqueue(&mut conn, deduped(), T0 + 2).await.unwrap(), first);
    jobs::complete(&mut conn, &first, "w1").await.unwrap();
    let second = jobs::enqueue(&mut conn, deduped(), T0 + 3).await.unwrap();
    assert_ne!(second, first);

    // A job given up on stays for inspection, never runs, and frees its key.
    jobs::claim(store, "w1", &["render"], T0 + 3, MINUTE).await.unwrap().unwrap();
    jobs::fail(&mut conn, &second, "w1", "document unreadable").await.unwrap();
    assert!(jobs::is_failed(&mut conn, &second).await.unwrap());
    assert_eq!(
        jobs::get(&mut conn, &second).await.unwrap().unwrap().last_error.as_deref(),
        Some("document unreadable")
    );
    assert_eq!(jobs::pending(&mut conn, None).await.unwrap(), 0);
    assert!(jobs::claim(store, "w1", &["render"], T0 + DAY, MINUTE).await.unwrap().is_none());
    let third = jobs::enqueue(&mut conn, deduped(), T0 + 4).await.unwrap();
    assert!(third != first && third != second);
}

async fn webhook_delivery_log(store: &Store) {
    let a = account(store, "hooks@example.org").await;
    let b = account(store, "hooks-b@example.org").await;
    let mut conn = store.acquire().await.unwrap();
    let d1 =
        webhooks::create(&mut conn, &a.id, "https://h.example/1", "fax.delivered", "{}", T0).await.unwrap();
    let d2 = webhooks::create(&mut conn, &a.id, "https://h.example/1", "fax.failed", "{\"x\":1}", T0 + 1)
        .await
        .unwrap();
    assert_eq!((d1.attempts, d1.next_attempt_at, d1.delivered_at), (0, Some(T0), None));

    webhooks::record_attempt(&mut conn, &d1.id, Some(503), None, false, Some(T0 + MINUTE), false, T0 + 5)
        .await
        .unwrap();
    let retrying = webhooks::get(&mut conn, &d1.id).await.unwrap().unwrap();
    assert_eq!(
        (retrying.attempts, retrying.last_status, retrying.next_attempt_at),
        (1, Some(503), Some(T0 + MINUTE))
    );
    webhooks::record_attempt(&mut conn, &d1.id, Some(204), None, true, None, false, T0 + MINUTE)
        .await
        .unwrap();
    let delivered = webhooks::get(&mut conn, &d1.id).await.unwrap().unwrap();
    assert_eq!(
        (delivered.attempts, delivered.delivered_at, delivered.next_attempt_at),
        (2, Some(T0 + MINUTE), None)
    );
    webhooks::record_attempt(&mut conn, &d2.id, None, Some("timeout".into()), false, None, true, T0 + 9)
        .await
        .unwrap();
    let gave_up = webhooks::get(&mut conn, &d2.id).await.unwrap().unwrap();
    assert_eq!((gave_up.gave_up_at, gave_up.last_error.as_deref()), (Some(T0 + 9), Some("timeout")));

    let listed = webhooks::list(&mut conn, &a.id, 10).await.unwrap();
    assert_eq!(listed.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(), [d2.id.as_str(), d1.id.as_str()]);
    assert_eq!(webhooks::list(&mut conn, &a.id, 1).await.unwrap().len(), 1);
    assert!(webhooks::list(&mut conn, &b.id, 10).await.unwrap().is_empty());
}

async fn access_log_purge_boundary(store: &Store) {
    let mut conn = store.acquire().await.unwrap();
    for (at, account) in [(T0 - 1, Some("acc_1")), (T0, Some("acc_1")), (T0 + 1, None)] {
        let entry = access_log::AccessEntry {
            at,
            ip: Some("192.0.2.1".into()),
            user_agent: Some("test".into()),
            session_hash: Some("ab12".into()),
            account_id: account.map(str::to_owned),
            method: "GET".into(),
            path: "/faxes".into(),
            status: 200,
        };
        access_log::append(&mut conn, &entry).await.unwrap();
    }
    assert_eq!(access_log::count(&mut conn).await.unwrap(), 3);
    assert_eq!(access_log::purge_before(&mut conn, T0).await.unwrap(), 1, "only at < before");
    assert_eq!(access_log::count(&mut conn).await.unwrap(), 2);
    let mine = access_log::for_account(&mut conn, "acc_1", 10).await.unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!((mine[0].at, mine[0].ip.as_deref(), mine[0].status), (T0, Some("192.0.2.1"), 200));
}

async fn inbox_isolation_and_lifecycle(store: &Store) {
    let a = account(store, "inbox@example.org").await;
    let b = account(store, "inbox-b@example.org").await;
    let mut conn = store.acquire().await.unwrap();
    let new = |pages| inbox::NewReceived {
        account_id: a.id.clone(),
        from_number: Some("+4930999".into()),
        remote_ident: Some("SENDER".into()),
        pages,
        blob_id: Some(format!("pdf-{pages}")),
        rate: Some(9600),
        ecm: Some(false),
        duration_ms: Some(30_000),
    };
    let r1 = inbox::create(&mut conn, new(1), T0).await.unwrap();
    let r2 = inbox::create(&mut conn, new(2), T0 + 1).await.unwrap();
    assert!(r1.id.starts_with("rcv_"));
    assert_eq!((r1.received_at, r1.read_at, r1.ecm), (T0, None, Some(false)));
    let listed = inbox::list(&mut conn, &a.id, None, 10).await.unwrap();
    assert_eq!(listed, [r2.clone(), r1.clone()]);
    assert_eq!(inbox::list(&mut conn, &a.id, Some(&r2.id), 10).await.unwrap(), std::slice::from_ref(&r1));
    assert!(inbox::list(&mut conn, &b.id, None, 10).await.unwrap().is_empty());
    assert_eq!(inbox::get(&mut conn, &b.id, &r1.id).await.unwrap(), None);
    assert!(!inbox::mark_read(&mut conn, &b.id, &r1.id, T0 + 5).await.unwrap());
    assert!(inbox::mark_read(&mut conn, &a.id, &r1.id, T0 + 5).await.unwrap());
    assert!(inbox::mark_read(&mut conn, &a.id, &r1.id, T0 + 6).await.unwrap());
    assert_eq!(
        inbox::get(&mut conn, &a.id, &r1.id).await.unwrap().unwrap().read_at,
        Some(T0 + 5),
        "first read"
    );
    assert_eq!(inbox::delete(&mut conn, &b.id, &r1.id).await.unwrap(), None);
    let deleted = inbox::delete(&mut conn, &a.id, &r1.id).await.unwrap().unwrap();
    assert_eq!(deleted.blob_id.as_deref(), Some("pdf-1"));
    assert_eq!(inbox::get(&mut conn, &a.id, &r1.id).await.unwrap(), None);
}

async fn foreign_keys_are_enforced(store: &Store) {
    let mut conn = store.acquire().await.unwrap();
    let orphan = tokens::create(&mut conn, "acc_missing", "verify", b"h", T0 + 1, T0).await;
    assert!(matches!(orphan, Err(Error::Database(_))), "{orphan:?}");
    // The store refuses URLs it cannot serve correctly.
    assert!(matches!(Store::connect("sqlite::memory:").await, Err(Error::Invalid(_))));
    assert!(matches!(Store::connect("mysql://localhost/x").await, Err(Error::Invalid(_))));
}

fn audit_entry<'a>(subject: &'a str, action: &'a str) -> NewEntry<'a> {
    NewEntry {
        actor_id: "acct_staff",
        actor_role: "support",
        subject_id: Some(subject),
        action,
        target: "fax_1",
        reason: "ticket T-1",
    }
}

async fn append_at(store: &Store, entry: &NewEntry<'_>, at: i64) -> audit::Entry {
    let mut tx = store.begin().await.unwrap();
    let written = audit::append(&mut tx, entry, at).await.unwrap();
    tx.commit().await.unwrap();
    written
}

async fn verify(store: &Store) -> Result<audit::Verified, Broken> {
    let mut conn = store.acquire().await.unwrap();
    audit::verify(&mut conn).await.unwrap()
}

/// Plays the part of someone with direct database access: the guard triggers go,
/// so that the hashes are the only defence left.
async fn drop_audit_guards(store: &Store) {
    let mut conn = store.acquire().await.unwrap();
    let statements: &[&str] = match store.backend() {
        Backend::Sqlite => &["DROP TRIGGER audit_log_no_update", "DROP TRIGGER audit_log_prefix_delete_only"],
        Backend::Postgres => &["DROP TRIGGER audit_log_guard ON audit_log"],
    };
    for statement in statements {
        sqlx::raw_sql(*statement).execute(&mut *conn).await.unwrap();
    }
}

async fn audit_chain_verifies_and_names_the_tampered_entry(store: &Store) {
    let empty = verify(store).await.expect("an empty log verifies");
    assert_eq!((empty.entries, empty.head_seq), (0, 0));
    for n in 0..5 {
        let subject = if n % 2 == 0 { "acct_a" } else { "acct_b" };
        let written = append_at(store, &audit_entry(subject, "account.view"), T0 + n).await;
        assert_eq!(written.seq, n + 1);
    }
    let verified = verify(store).await.expect("an untouched log verifies");
    assert_eq!((verified.entries, verified.head_seq, verified.anchor_seq), (5, 5, 0));

    // The database refuses edits and deletions outright.
    {
        let mut conn = store.acquire().await.unwrap();
        assert!(
            sqlx::query("UPDATE audit_log SET reason = 'nothing' WHERE seq = 3")
                .execute(&mut *conn)
                .await
                .is_err()
        );
        assert!(sqlx::query("DELETE FROM audit_log WHERE seq = 5").execute(&mut *conn).await.is_err());
    }
    // Users see the entries about themselves, newest first.
    {
        let mut conn = store.acquire().await.unwrap();
        let about_a = audit::about(&mut conn, "acct_a", None, 10).await.unwrap();
        assert_eq!(about_a.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![5, 3, 1]);
        let older = audit::about(&mut conn, "acct_a", Some(3), 10).await.unwrap();
        assert_eq!(older.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![1]);
    }

    drop_audit_guards(store).await;
    let mut conn = store.acquire().await.unwrap();
    sqlx::query("UPDATE audit_log SET reason = 'nothing to see' WHERE seq = 3")
        .execute(&mut *conn)
        .await
        .unwrap();
    assert_eq!(verify(store).await, Err(Broken::Content { seq: 3 }));
    sqlx::query("UPDATE audit_log SET reason = 'ticket T-1' WHERE seq = 3")
        .execute(&mut *conn)
        .await
        .unwrap();
    assert!(verify(store).await.is_ok(), "restoring the text restores the chain");

    // Rewriting an entry together with its own hash still breaks the next link.
    let second = audit::list(&mut conn, Some(3), 1).await.unwrap().remove(0);
    assert_eq!(second.seq, 2);
    let forged_fields = NewEntry { reason: "forged", ..audit_entry("acct_b", "account.view") };
    let forged_hash = audit::entry_hash(&second.prev_hash, second.seq, second.at, &forged_fields);
    sqlx::query("UPDATE audit_log SET reason = 'forged', hash = $1 WHERE seq = 2")
        .bind(forged_hash)
        .execute(&mut *conn)
        .await
        .unwrap();
    assert_eq!(verify(store).await, Err(Broken::Link { seq: 3 }));
    sqlx::query("DELETE FROM audit_log WHERE seq = 2").execute(&mut *conn).await.unwrap();
    assert_eq!(verify(store).await, Err(Broken::Gap { after: 1, found: 3 }));
}

async fn audit_appends_from_many_tasks_form_one_chain(store: &Store) {
    let mut tasks = Vec::new();
    for task in 0..8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            for n in 0..10 {
                let subject = format!("acct_{task}");
                let action = format!("fax.view.{n}");
                let entry = NewEntry { subject_id: Some(&subject), action: &action, ..audit_entry("", "") };
                loop {
                    let mut tx = store.begin().await.unwrap();
                    let result = match audit::append(&mut tx, &entry, T0 + n).await {
                        Ok(_) => tx.commit().await.map_err(Error::from),
                        Err(err) => Err(err),
                    };
                    match result {
                        Ok(()) => break,
                        Err(err) if err.is_transient() => continue,
                        Err(err) => panic!("append: {err}"),
                    }
                }
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let verified = verify(store).await.expect("concurrent appends form one chain");
    assert_eq!((verified.entries, verified.head_seq), (80, 80));
}

async fn audit_retention_keeps_the_rest_verifiable(store: &Store) {
    for n in 0..6 {
        append_at(store, &audit_entry("acct_a", "account.view"), T0 + n * DAY).await;
    }
    let mut tx = store.begin().await.unwrap();
    assert_eq!(audit::prune_before(&mut tx, T0 + 2 * DAY).await.unwrap(), 2);
    tx.commit().await.unwrap();
    let verified = verify(store).await.expect("the rest verifies from the new anchor");
    assert_eq!((verified.entries, verified.head_seq, verified.anchor_seq), (4, 6, 2));
    let mut tx = store.begin().await.unwrap();
    assert_eq!(audit::prune_before(&mut tx, T0 + 2 * DAY).await.unwrap(), 0, "a second run removes nothing");
    tx.commit().await.unwrap();
    // Removing past the anchor is still refused.
    let mut conn = store.acquire().await.unwrap();
    assert!(sqlx::query("DELETE FROM audit_log WHERE seq = 3").execute(&mut *conn).await.is_err());
    let next = append_at(store, &audit_entry("acct_a", "account.view"), T0 + 7 * DAY).await;
    assert_eq!(next.seq, 7);
    assert_eq!(verify(store).await.map(|v| v.entries), Ok(5));
}

async fn legal_holds_place_and_release(store: &Store) {
    let a = account(store, "held@example.com").await;
    let b = account(store, "free@example.com").await;
    let mut conn = store.acquire().await.unwrap();
    assert!(!legal::is_held(&mut conn, &a.id).await.unwrap());
    let first =
        legal::place(&mut conn, &a.id, Some("lreq_1"), "court order", "acct_staff", T0).await.unwrap();
    let second = legal::place(&mut conn, &a.id, None, "second matter", "acct_staff", T0 + 1).await.unwrap();
    assert!(legal::is_held(&mut conn, &a.id).await.unwrap());
    assert!(!legal::is_held(&mut conn, &b.id).await.unwrap());
    assert_eq!(legal::held_accounts(&mut conn, 10).await.unwrap(), vec![a.id.clone()]);
    assert!(
        legal::held_accounts(&mut conn, 0).await.is_err(),
        "a list longer than the caller takes is an error"
    );
    legal::release(&mut conn, &first.id, "acct_admin", T0 + 2).await.unwrap();
    assert!(legal::is_held(&mut conn, &a.id).await.unwrap(), "one active hold is enough");
    assert!(matches!(legal::release(&mut conn, &first.id, "acct_admin", T0 + 3).await, Err(Error::NotFound)));
    legal::release(&mut conn, &second.id, "acct_admin", T0 + 3).await.unwrap();
    assert!(!legal::is_held(&mut conn, &a.id).await.unwrap());
    let history = legal::for_account(&mut conn, &a.id).await.unwrap();
    assert_eq!(history.len(), 2);
    assert!(history.iter().all(|h| h.released_at.is_some()));
    assert_eq!(history[1].request_id.as_deref(), Some("lreq_1"));
    assert!(legal::active(&mut conn, 10).await.unwrap().is_empty());
}
