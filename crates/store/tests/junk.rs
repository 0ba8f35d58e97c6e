//! Junk-fax defence in the store: block lists, the do-not-fax list and its
//! challenges, page usage and the send rate, abuse reports. Every test runs on
//! SQLite and on a throwaway PostgreSQL, like `conformance.rs`.

use store::accounts::{self, Account, NewAccount, NumberPlan};
use store::faxes::{self, NewFax};
use store::junk::{self, BlockKind};
use store::{Error, Store, abuse, usage};

mod common;
use common::on_both_backends;

/// 2025-01-01T00:00:00Z.
const T0: i64 = 1_735_689_600_000;
const DAY: i64 = 86_400_000;

on_both_backends!(
    block_list_matches_number_or_ident_per_account,
    do_not_fax_list_and_challenges,
    page_quota_charges_up_to_the_exact_limit,
    send_rate_window_boundary,
    abuse_reports_open_and_close,
);

async fn account(store: &Store, email: &str) -> Account {
    let mut conn = store.acquire().await.unwrap();
    let plan = NumberPlan { prefix: "+4930555".to_owned(), first: 1000, last: 1999, width: 4 };
    let new = NewAccount {
        name: "Test Person".to_owned(),
        email: email.to_owned(),
        phone: None,
        password_hash: "$argon2id$v=19$stub".to_owned(),
        age_confirmed_at: T0 - 1,
        terms_version: "2025-01".to_owned(),
        privacy_version: "2025-01".to_owned(),
        marketing_opt_in: false,
        webhook_secret: "whsec_test".to_owned(),
    };
    accounts::create(&mut conn, new, &plan, T0).await.unwrap()
}

async fn block_list_matches_number_or_ident_per_account(store: &Store) {
    let a = account(store, "a@example.org").await;
    let b = account(store, "b@example.org").await;
    let mut conn = store.acquire().await.unwrap();
    let by_number = junk::block(&mut conn, &a.id, BlockKind::Number, "+4930111", "report", T0).await.unwrap();
    let by_ident = junk::block(&mut conn, &a.id, BlockKind::Ident, " JUNK CO ", "report", T0).await.unwrap();
    assert_eq!(by_ident.value, "JUNK CO", "identities are trimmed");
    // Blocking again returns the same entry rather than a second one.
    let again = junk::block(&mut conn, &a.id, BlockKind::Number, "+4930111", "manual", T0 + 1).await.unwrap();
    assert_eq!(again, by_number);
    assert_eq!(junk::blocks(&mut conn, &a.id, 100).await.unwrap().len(), 2);

    let blocked = |number: Option<&'static str>, ident: Option<&'static str>, account: &Account| {
        let id = account.id.clone();
        async move {
            let mut conn = store.acquire().await.unwrap();
            junk::is_blocked(&mut conn, &id, number, ident).await.unwrap()
        }
    };
    assert!(blocked(Some("+4930111"), None, &a).await);
    assert!(blocked(Some("+4930222"), Some("JUNK CO"), &a).await, "the identity alone blocks");
    assert!(!blocked(Some("+4930222"), Some("OTHER"), &a).await);
    assert!(!blocked(Some("+4930222"), None, &a).await);
    assert!(!blocked(None, Some("  "), &a).await, "a blank identity matches nothing");
    assert!(!blocked(Some("+4930111"), Some("JUNK CO"), &b).await, "another account's list does not apply");

    // The other account cannot remove A's entry; A can, and then the number passes.
    assert!(!junk::unblock(&mut conn, &b.id, &by_number.id).await.unwrap());
    assert!(junk::unblock(&mut conn, &a.id, &by_number.id).await.unwrap());
    assert!(!blocked(Some("+4930111"), None, &a).await);

    let empty = junk::block(&mut conn, &a.id, BlockKind::Ident, "   ", "manual", T0).await;
    assert!(matches!(empty, Err(Error::Invalid(_))), "{empty:?}");
    let long = junk::block(&mut conn, &a.id, BlockKind::Ident, &"x".repeat(33), "manual", T0).await;
    assert!(matches!(long, Err(Error::Invalid(_))), "{long:?}");
}

async fn do_not_fax_list_and_challenges(store: &Store) {
    let mut conn = store.acquire().await.unwrap();
    assert!(junk::add_do_not_fax(&mut conn, "+4930222", "operator", T0).await.unwrap());
    assert!(!junk::add_do_not_fax(&mut conn, "+4930222", "owner", T0 + 1).await.unwrap(), "already there");
    assert!(junk::add_do_not_fax(&mut conn, "+4930111", "owner", T0).await.unwrap());
    assert!(junk::on_do_not_fax(&mut conn, "+4930222").await.unwrap());
    assert!(!junk::on_do_not_fax(&mut conn, "+4930333").await.unwrap());
    let list = junk::do_not_fax_list(&mut conn, None, 10).await.unwrap();
    assert_eq!(list.iter().map(|d| d.number.as_str()).collect::<Vec<_>>(), ["+4930111", "+4930222"]);
    assert_eq!(list[1].source, "operator", "the first entry's source stays");
    let next = junk::do_not_fax_list(&mut conn, Some("+4930111"), 10).await.unwrap();
    assert_eq!(next.len(), 1);
    assert!(junk::remove_do_not_fax(&mut conn, "+4930222").await.unwrap());
    assert!(!junk::remove_do_not_fax(&mut conn, "+4930222").await.unwrap());
    assert!(!junk::on_do_not_fax(&mut conn, "+4930222").await.unwrap());

    let challenge = junk::create_challenge(&mut conn, "+4930333", b"hash", T0 + 3_600_000, T0).await.unwrap();
    let found = junk::challenge(&mut conn, &challenge.id, T0 + 3_599_999).await.unwrap();
    assert_eq!(found.as_ref().map(|c| c.code_hash.as_slice()), Some(&b"hash"[..]));
    assert_eq!(junk::challenge(&mut conn, &challenge.id, T0 + 3_600_000).await.unwrap(), None, "expired");
    assert_eq!(junk::challenge_failed(&mut conn, &challenge.id).await.unwrap(), 1);
    assert_eq!(junk::challenge_failed(&mut conn, &challenge.id).await.unwrap(), 2);
    assert_eq!(junk::purge_challenges(&mut conn, T0 + 3_599_999).await.unwrap(), 0);
    assert!(junk::delete_challenge(&mut conn, &challenge.id).await.unwrap());
    assert!(!junk::delete_challenge(&mut conn, &challenge.id).await.unwrap(), "a challenge is used once");
    assert_eq!(junk::challenge_failed(&mut conn, &challenge.id).await.unwrap(), 0);
    let old = junk::create_challenge(&mut conn, "+4930333", b"h", T0 + 10, T0).await.unwrap();
    assert_eq!(junk::purge_challenges(&mut conn, T0 + 10).await.unwrap(), 1);
    assert_eq!(junk::challenge(&mut conn, &old.id, T0).await.unwrap(), None);
}

async fn page_quota_charges_up_to_the_exact_limit(store: &Store) {
    let a = account(store, "quota@example.org").await;
    let b = account(store, "other@example.org").await;
    let mut conn = store.acquire().await.unwrap();
    let day = usage::utc_day(T0);
    assert_eq!(usage::utc_day(T0 - 1), day - 1, "days turn at UTC midnight");
    assert_eq!(usage::utc_day(T0 + DAY - 1), day);
    assert_eq!(usage::charge_pages(&mut conn, &a.id, day, 6, 5).await.unwrap(), None, "over alone");
    assert_eq!(usage::pages_used(&mut conn, &a.id, day).await.unwrap(), 0);
    assert_eq!(usage::charge_pages(&mut conn, &a.id, day, 3, 5).await.unwrap(), Some(3));
    assert_eq!(usage::charge_pages(&mut conn, &a.id, day, 3, 5).await.unwrap(), None, "3 + 3 > 5");
    assert_eq!(usage::pages_used(&mut conn, &a.id, day).await.unwrap(), 3, "a refused charge books nothing");
    assert_eq!(usage::charge_pages(&mut conn, &a.id, day, 2, 5).await.unwrap(), Some(5), "exactly the quota");
    assert_eq!(usage::charge_pages(&mut conn, &a.id, day, 1, 5).await.unwrap(), None);
    assert_eq!(usage::charge_pages(&mut conn, &a.id, day + 1, 5, 5).await.unwrap(), Some(5), "a new day");
    assert_eq!(usage::pages_used(&mut conn, &b.id, day).await.unwrap(), 0, "per account");
    assert_eq!(usage::purge_before(&mut conn, day + 1).await.unwrap(), 1);
    assert_eq!(usage::pages_used(&mut conn, &a.id, day).await.unwrap(), 0);
    assert_eq!(usage::pages_used(&mut conn, &a.id, day + 1).await.unwrap(), 5);
    // The row lock is harmless on either engine inside a transaction.
    let mut tx = store.begin().await.unwrap();
    usage::lock_account(&mut tx, &a.id).await.unwrap();
    tx.commit().await.unwrap();
}

async fn send_rate_window_boundary(store: &Store) {
    let a = account(store, "rate@example.org").await;
    let mut conn = store.acquire().await.unwrap();
    for at in [T0, T0 + 30_000] {
        let new = NewFax {
            account_id: a.id.clone(),
            options_json: "{}".to_owned(),
            client_reference: None,
            tags: Vec::new(),
            callback_url: None,
            documents: Vec::new(),
            recipients: vec!["+4930111".to_owned()],
            deadline_at: at + DAY,
        };
        faxes::create(&mut conn, new, at).await.unwrap();
    }
    assert_eq!(usage::faxes_since(&mut conn, &a.id, T0).await.unwrap(), (2, Some(T0)));
    assert_eq!(usage::faxes_since(&mut conn, &a.id, T0 + 1).await.unwrap(), (1, Some(T0 + 30_000)));
    assert_eq!(usage::faxes_since(&mut conn, &a.id, T0 + 30_001).await.unwrap(), (0, None));
}

async fn abuse_reports_open_and_close(store: &Store) {
    let mut conn = store.acquire().await.unwrap();
    let report = abuse::create(
        &mut conn,
        abuse::NewAbuseReport {
            contact: Some("reporter@example.org".into()),
            number: "+4930111".into(),
            details: "ads every night".into(),
        },
        T0,
    )
    .await
    .unwrap();
    let debug = format!("{report:?}");
    assert!(!debug.contains("reporter@") && !debug.contains("+4930111") && !debug.contains("ads"), "{debug}");
    let second = abuse::create(
        &mut conn,
        abuse::NewAbuseReport { contact: None, number: "+4930222".into(), details: String::new() },
        T0 + 1,
    )
    .await
    .unwrap();
    let open = abuse::list(&mut conn, false, None, 10).await.unwrap();
    assert_eq!(open.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), [&second.id, &report.id]);
    assert!(abuse::close(&mut conn, &report.id, Some("number blocked"), T0 + 5).await.unwrap());
    assert!(!abuse::close(&mut conn, &report.id, None, T0 + 6).await.unwrap(), "closed once");
    assert_eq!(abuse::list(&mut conn, false, None, 10).await.unwrap().len(), 1);
    let all = abuse::list(&mut conn, true, None, 10).await.unwrap();
    assert_eq!(all.len(), 2);
    let closed = abuse::get(&mut conn, &report.id).await.unwrap().unwrap();
    assert_eq!((closed.closed_at, closed.resolution.as_deref()), (Some(T0 + 5), Some("number blocked")));
    let too_long = abuse::NewAbuseReport {
        contact: None,
        number: "+4930111".into(),
        details: "x".repeat(abuse::MAX_DETAILS_CHARS + 1),
    };
    assert!(matches!(abuse::create(&mut conn, too_long, T0).await, Err(Error::Invalid(_))));
}
