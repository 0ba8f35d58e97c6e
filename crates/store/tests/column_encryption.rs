//! Column encryption on both engines: personal values are sealed in the rows, open
//! through the store's functions, cannot be moved between rows, are found by blind
//! index, and values left in the clear by an older version are sealed in place.
//! Also the address book's limits.

use blob::{Keyring, MasterKey};
use sqlx::Row;
use store::accounts::{self, NewAccount, NumberPlan};
use store::contacts::{self, ContactFields};
use store::faxes::{self, FaxFilter, NewFax};
use store::{Backend, Error, Store, columns, inbox, jobs};

const T0: i64 = 1_735_689_600_000;
const PHONE: &str = "+4930111222";
const RECIPIENT: &str = "+4989333444";
const CALLER: &str = "+81355556666";
const IDENT: &str = "ACME LEGAL DEPT";

/// A database URL and whatever must live as long as it.
struct Db {
    url: String,
    _dir: Option<tempfile::TempDir>,
}

fn sqlite() -> Db {
    let dir = tempfile::tempdir().expect("temporary folder");
    let url = format!("sqlite://{}/ferrofax.sqlite3", dir.path().display());
    Db { url, _dir: Some(dir) }
}

async fn postgres() -> Db {
    let url = tokio::task::spawn_blocking(|| pg_cluster::shared().create_database())
        .await
        .expect("cluster thread")
        .unwrap_or_else(|err| panic!("{err}"));
    Db { url, _dir: None }
}

macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        mod on_sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::sqlite()).await;
                }
            )*
        }
        mod on_postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::postgres().await).await;
                }
            )*
        }
    };
}

on_both!(
    personal_columns_are_sealed_in_the_rows,
    sealed_values_do_not_open_in_another_row,
    plain_values_of_older_databases_are_sealed_in_place,
    column_key_is_rewrapped_not_replaced,
    address_book_limits_and_isolation,
);

fn keyring() -> Keyring {
    Keyring::fixed(MasterKey::generate().expect("master key"), Vec::new())
}

fn plan() -> NumberPlan {
    NumberPlan { prefix: "+4930555".to_owned(), first: 1000, last: 1999, width: 4 }
}

fn new_account(email: &str) -> NewAccount {
    NewAccount {
        name: "Test Person".to_owned(),
        email: email.to_owned(),
        phone: Some(PHONE.to_owned()),
        password_hash: "$argon2id$v=19$stub".to_owned(),
        age_confirmed_at: T0 - 1,
        terms_version: "2025-01".to_owned(),
        privacy_version: "2025-01".to_owned(),
        marketing_opt_in: false,
        webhook_secret: "whsec_test".to_owned(),
    }
}

fn new_fax(account_id: &str, to: &str) -> NewFax {
    NewFax {
        account_id: account_id.to_owned(),
        options_json: r#"{"cover":{"to":"Dr. Erika Mustermann"}}"#.to_owned(),
        client_reference: None,
        tags: Vec::new(),
        callback_url: None,
        documents: Vec::new(),
        recipients: vec![to.to_owned()],
        deadline_at: T0 + 1,
    }
}

/// Every text value of every row of the tables holding personal data, as stored.
async fn raw_text(store: &Store) -> String {
    let mut conn = store.acquire().await.expect("connection");
    let mut all = String::new();
    for (table, columns) in [
        ("accounts", "phone"),
        ("fax_recipients", "number || '|' || COALESCE(remote_ident, '') || '|' || COALESCE(number_bidx, '')"),
        ("received_faxes", "COALESCE(from_number, '') || '|' || COALESCE(remote_ident, '')"),
        ("faxes", "options_json"),
        ("contacts", "name || '|' || number || '|' || COALESCE(company, '') || '|' || COALESCE(note, '')"),
        ("jobs", "COALESCE(concurrency_key, '') || '|' || payload"),
    ] {
        let sql = format!("SELECT {columns} AS v FROM {table}");
        for row in sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&mut *conn).await.expect("select") {
            let value: Option<String> = row.try_get("v").expect("text");
            all.push_str(&value.unwrap_or_default());
            all.push('\n');
        }
    }
    all
}

fn digits(number: &str) -> &str {
    number.trim_start_matches('+')
}

async fn personal_columns_are_sealed_in_the_rows(db: Db) {
    let store = Store::connect_with_keys(&db.url, &keyring()).await.expect("connect");
    let mut conn = store.acquire().await.expect("connection");
    let account =
        accounts::create(&mut conn, new_account("a@example.com"), &plan(), T0).await.expect("account");
    let fax = faxes::create(&mut conn, new_fax(&account.id, RECIPIENT), T0).await.expect("fax");
    let index = columns::number_index(&mut conn, RECIPIENT).await.expect("index");
    jobs::enqueue(
        &mut conn,
        jobs::NewJob {
            kind: "dial".into(),
            payload: "{}".into(),
            run_at: T0,
            concurrency_key: Some(format!("number:{index}")),
            fax_id: Some(fax.id.clone()),
            dedupe_key: None,
        },
        T0,
    )
    .await
    .expect("job");
    let mut update = faxes::RecipientUpdate::from_current(&fax.recipients[0]);
    update.remote_ident = Some(IDENT.to_owned());
    faxes::update_recipient(&mut conn, &fax.recipients[0].id, &update, T0).await.expect("update");
    let received = inbox::NewReceived {
        account_id: account.id.clone(),
        from_number: Some(CALLER.to_owned()),
        remote_ident: Some(IDENT.to_owned()),
        pages: 1,
        blob_id: None,
        rate: None,
        ecm: None,
        duration_ms: None,
    };
    inbox::create(&mut conn, received, T0).await.expect("received");
    let fields = ContactFields {
        name: "Erika Mustermann".into(),
        number: "+4940777888".into(),
        company: Some("Kanzlei Mustermann".into()),
        note: Some("prefers fax".into()),
    };
    contacts::create(&mut conn, &account.id, &fields, T0).await.expect("contact");

    let raw = raw_text(&store).await;
    for clear in [PHONE, RECIPIENT, CALLER, "+4940777888"] {
        assert!(!raw.contains(digits(clear)), "{clear} is stored in the clear:\n{raw}");
    }
    for clear in [IDENT, "Mustermann", "prefers fax"] {
        assert!(!raw.contains(clear), "{clear} is stored in the clear:\n{raw}");
    }

    // The store's functions show the values.
    let again = accounts::by_id(&mut conn, &account.id).await.expect("read").expect("found");
    assert_eq!(again.phone.as_deref(), Some(PHONE));
    let read = faxes::get(&mut conn, &account.id, &fax.id).await.expect("read").expect("found");
    assert_eq!(read.recipients[0].number, RECIPIENT);
    assert_eq!(read.recipients[0].remote_ident.as_deref(), Some(IDENT));
    assert!(read.options_json.contains("Erika"));
    let inbox = inbox::list(&mut conn, &account.id, None, 10).await.expect("inbox");
    assert_eq!(inbox[0].from_number.as_deref(), Some(CALLER));
    assert_eq!(inbox[0].remote_ident.as_deref(), Some(IDENT));
    let book = contacts::list(&mut conn, &account.id).await.expect("contacts");
    assert_eq!(book[0].name, "Erika Mustermann");
    assert_eq!(book[0].note.as_deref(), Some("prefers fax"));

    // The number filter finds the fax by blind index, and only by the exact number.
    let by_number =
        |number: &str| FaxFilter { number: Some(number.to_owned()), limit: 10, ..FaxFilter::default() };
    assert_eq!(faxes::list(&mut conn, &account.id, &by_number(RECIPIENT)).await.expect("list").len(), 1);
    assert!(faxes::list(&mut conn, &account.id, &by_number("+4989333445")).await.expect("list").is_empty());
}

async fn sealed_values_do_not_open_in_another_row(db: Db) {
    let store = Store::connect_with_keys(&db.url, &keyring()).await.expect("connect");
    let mut conn = store.acquire().await.expect("connection");
    let account =
        accounts::create(&mut conn, new_account("b@example.com"), &plan(), T0).await.expect("account");
    let first = faxes::create(&mut conn, new_fax(&account.id, RECIPIENT), T0).await.expect("fax");
    let second = faxes::create(&mut conn, new_fax(&account.id, "+4989000000"), T0).await.expect("fax");
    // Someone with write access to the database copies one row's sealed number
    // into another row, or into the account's phone column.
    sqlx::query(
        "UPDATE fax_recipients SET number = (SELECT number FROM fax_recipients WHERE id = $1) WHERE id = $2",
    )
    .bind(&first.recipients[0].id)
    .bind(&second.recipients[0].id)
    .execute(&mut *conn)
    .await
    .expect("copy");
    let moved = faxes::get(&mut conn, &account.id, &second.id).await;
    assert!(matches!(moved, Err(Error::Corrupt(_))), "{moved:?}");
    sqlx::query(
        "UPDATE accounts SET phone = (SELECT number FROM fax_recipients WHERE id = $1) WHERE id = $2",
    )
    .bind(&first.recipients[0].id)
    .bind(&account.id)
    .execute(&mut *conn)
    .await
    .expect("copy");
    assert!(matches!(accounts::by_id(&mut conn, &account.id).await, Err(Error::Corrupt(_))));
    // A plain value slipped into a sealed column is refused, never shown as is.
    sqlx::query("UPDATE fax_recipients SET number = $1 WHERE id = $2")
        .bind(RECIPIENT)
        .bind(&first.recipients[0].id)
        .execute(&mut *conn)
        .await
        .expect("plain");
    assert!(matches!(faxes::get(&mut conn, &account.id, &first.id).await, Err(Error::Corrupt(_))));
}

async fn plain_values_of_older_databases_are_sealed_in_place(db: Db) {
    let keys = keyring();
    let store = Store::connect_with_keys(&db.url, &keys).await.expect("connect");
    let mut conn = store.acquire().await.expect("connection");
    let account =
        accounts::create(&mut conn, new_account("c@example.com"), &plan(), T0).await.expect("account");
    let fax = faxes::create(&mut conn, new_fax(&account.id, RECIPIENT), T0).await.expect("fax");
    // Rows as a version before column encryption wrote them.
    sqlx::query("UPDATE accounts SET phone = $1 WHERE id = $2")
        .bind(PHONE)
        .bind(&account.id)
        .execute(&mut *conn)
        .await
        .expect("plain phone");
    sqlx::query("UPDATE fax_recipients SET number = $1, number_bidx = NULL WHERE id = $2")
        .bind(RECIPIENT)
        .bind(&fax.recipients[0].id)
        .execute(&mut *conn)
        .await
        .expect("plain number");
    sqlx::query("UPDATE faxes SET options_json = '{}' WHERE id = $1")
        .bind(&fax.id)
        .execute(&mut *conn)
        .await
        .expect("plain");
    sqlx::query(
        "INSERT INTO jobs (id, kind, payload, state, run_at, attempts, concurrency_key, created_at) \
         VALUES ('job_legacy', 'dial', '{}', 'queued', 0, 0, $1, 0)",
    )
    .bind(format!("number:{RECIPIENT}"))
    .execute(&mut *conn)
    .await
    .expect("legacy job");
    drop(conn);
    store.close().await;
    let reopened = Store::connect_with_keys(&db.url, &keys).await.expect("reopen");
    assert!(!raw_text(&reopened).await.contains(digits(PHONE)));
    reopened.close().await;

    // Opening again is idempotent and everything reads.
    let store = Store::connect_with_keys(&db.url, &keys).await.expect("reopen twice");
    let raw = raw_text(&store).await;
    assert!(!raw.contains(digits(PHONE)) && !raw.contains(digits(RECIPIENT)), "{raw}");
    let mut conn = store.acquire().await.expect("connection");
    let read = accounts::by_id(&mut conn, &account.id).await.expect("read").expect("found");
    assert_eq!(read.phone.as_deref(), Some(PHONE));
    let read = faxes::get(&mut conn, &account.id, &fax.id).await.expect("read").expect("found");
    assert_eq!(read.recipients[0].number, RECIPIENT);
    assert_eq!(read.options_json, "{}");
    let filter = FaxFilter { number: Some(RECIPIENT.to_owned()), limit: 10, ..FaxFilter::default() };
    assert_eq!(faxes::list(&mut conn, &account.id, &filter).await.expect("list").len(), 1);
    let key: String = sqlx::query_scalar("SELECT concurrency_key FROM jobs WHERE id = 'job_legacy'")
        .fetch_one(&mut *conn)
        .await
        .expect("job");
    assert_eq!(key, format!("number:{}", columns::number_index(&mut conn, RECIPIENT).await.expect("index")));
    if store.backend() == Backend::Sqlite {
        // The SQLite file itself, after the vacuum, holds no trace of the plain values.
        let path = db.url.trim_start_matches("sqlite://");
        drop(conn);
        store.close().await;
        let bytes = std::fs::read(path).expect("database file");
        let wal = std::fs::read(format!("{path}-wal")).unwrap_or_default();
        for haystack in [&bytes, &wal] {
            assert!(!contains(haystack, digits(PHONE).as_bytes()), "phone left in the file");
            assert!(!contains(haystack, digits(RECIPIENT).as_bytes()), "number left in the file");
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

async fn column_key_is_rewrapped_not_replaced(db: Db) {
    let old = MasterKey::generate().expect("key");
    let new = MasterKey::generate().expect("key");
    let store =
        Store::connect_with_keys(&db.url, &Keyring::fixed(old.clone(), Vec::new())).await.expect("connect");
    let mut conn = store.acquire().await.expect("connection");
    let account =
        accounts::create(&mut conn, new_account("d@example.com"), &plan(), T0).await.expect("account");
    let counts = columns::keys_by_master(&mut conn).await.expect("counts");
    assert_eq!(counts.get(old.id()), Some(&1));
    let both = Keyring::fixed(new.clone(), vec![old.clone()]);
    let report = columns::rewrap_keys(&mut conn, &both).await.expect("rewrap");
    assert_eq!((report.rewrapped, report.current), (1, 0));
    let report = columns::rewrap_keys(&mut conn, &both).await.expect("rewrap again");
    assert_eq!((report.rewrapped, report.current), (0, 1));
    let counts = columns::keys_by_master(&mut conn).await.expect("counts");
    assert_eq!((counts.get(old.id()), counts.get(new.id())), (None, Some(&1)));
    drop(conn);
    store.close().await;
    // A new process with only the new master key reads what was sealed before.
    let store = Store::connect_with_keys(&db.url, &Keyring::fixed(new.clone(), Vec::new()))
        .await
        .expect("new key only");
    let mut conn = store.acquire().await.expect("connection");
    let read = accounts::by_id(&mut conn, &account.id).await.expect("read").expect("found");
    assert_eq!(read.phone.as_deref(), Some(PHONE));
    // The stored wrap no longer opens with the old master key.
    let (id, wrapped): (String, Vec<u8>) = sqlx::query_as("SELECT id, wrapped_key FROM column_keys")
        .fetch_one(&mut *conn)
        .await
        .expect("column key row");
    assert!(blob::ColumnKey::unwrap(&old, &id, &wrapped).is_err());
}

async fn address_book_limits_and_isolation(db: Db) {
    let store = Store::connect_with_keys(&db.url, &keyring()).await.expect("connect");
    let mut conn = store.acquire().await.expect("connection");
    let alice =
        accounts::create(&mut conn, new_account("e@example.com"), &plan(), T0).await.expect("account");
    let bob = accounts::create(&mut conn, new_account("f@example.com"), &plan(), T0).await.expect("account");
    let fields = |name: &str| ContactFields {
        name: name.to_owned(),
        number: "+4940777888".to_owned(),
        company: None,
        note: None,
    };
    let zed = contacts::create(&mut conn, &alice.id, &fields("Zed"), T0).await.expect("contact");
    contacts::create(&mut conn, &alice.id, &fields("anna"), T0).await.expect("contact");
    let names: Vec<_> =
        contacts::list(&mut conn, &alice.id).await.expect("list").into_iter().map(|c| c.name).collect();
    assert_eq!(names, ["anna", "Zed"]);
    assert!(contacts::list(&mut conn, &bob.id).await.expect("list").is_empty());
    assert!(contacts::get(&mut conn, &bob.id, &zed.id).await.expect("get").is_none());
    assert!(contacts::update(&mut conn, &bob.id, &zed.id, &fields("X"), T0).await.expect("update").is_none());
    assert!(!contacts::delete(&mut conn, &bob.id, &zed.id).await.expect("delete"));
    let updated =
        contacts::update(&mut conn, &alice.id, &zed.id, &fields("Zoe"), T0 + 1).await.expect("update");
    assert_eq!(updated.map(|c| (c.name, c.updated_at)), Some(("Zoe".to_owned(), T0 + 1)));

    let too_long = |field: &str| {
        let mut f = fields("Name");
        match field {
            "name" => f.name = "n".repeat(contacts::MAX_NAME_CHARS + 1),
            "number" => f.number = "+".to_owned() + &"1".repeat(contacts::MAX_NUMBER_CHARS),
            "company" => f.company = Some("c".repeat(contacts::MAX_NAME_CHARS + 1)),
            _ => f.note = Some("n".repeat(contacts::MAX_NOTE_CHARS + 1)),
        }
        f
    };
    for field in ["name", "number", "company", "note"] {
        let refused = contacts::create(&mut conn, &alice.id, &too_long(field), T0).await;
        assert!(matches!(refused, Err(Error::Invalid(_))), "{field}: {refused:?}");
    }
    // Fill the book to the limit: the next one is refused.
    let mut tx = store.begin().await.expect("transaction");
    for n in 2..contacts::MAX_CONTACTS {
        contacts::create(&mut tx, &bob.id, &fields(&format!("c{n}")), T0).await.expect("below the limit");
    }
    contacts::create(&mut tx, &bob.id, &fields("last"), T0).await.expect("two short of full");
    contacts::create(&mut tx, &bob.id, &fields("full"), T0).await.expect("the limit itself");
    let refused = contacts::create(&mut tx, &bob.id, &fields("one too many"), T0).await;
    assert!(matches!(refused, Err(Error::Conflict("contacts_full"))), "{refused:?}");
    tx.commit().await.expect("commit");
    assert!(contacts::delete(&mut conn, &alice.id, &zed.id).await.expect("delete"));
}
