//! The two databases every store suite runs against: SQLite (a file in a temporary
//! folder) and PostgreSQL (a fresh database on the throwaway cluster from
//! `pg-cluster`). A missing PostgreSQL fails the PostgreSQL half with the package
//! to install; nothing is skipped.

use store::{Backend, Store};

/// A store and whatever must live as long as it.
pub struct Fixture {
    pub store: Store,
    _dir: Option<tempfile::TempDir>,
}

/// A migrated SQLite store in a new temporary folder.
pub async fn sqlite() -> Fixture {
    let dir = tempfile::tempdir().expect("temporary folder");
    let url = format!("sqlite://{}/ferrofax.sqlite3", dir.path().display());
    let store = Store::connect(&url).await.unwrap_or_else(|err| panic!("connect to SQLite: {err}"));
    assert_eq!(store.backend(), Backend::Sqlite);
    Fixture { store, _dir: Some(dir) }
}

/// A migrated store on a fresh PostgreSQL database.
pub async fn postgres() -> Fixture {
    let url = tokio::task::spawn_blocking(|| pg_cluster::shared().create_database())
        .await
        .expect("cluster thread")
        .unwrap_or_else(|err| panic!("{err}"));
    let store = Store::connect(&url).await.unwrap_or_else(|err| panic!("connect to PostgreSQL: {err}"));
    assert_eq!(store.backend(), Backend::Postgres);
    Fixture { store, _dir: None }
}

/// Declares each listed `async fn(&Store)` as one test per backend.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod on_sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let fixture = $crate::common::sqlite().await;
                    super::$name(&fixture.store).await;
                }
            )*
        }
        mod on_postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let fixture = $crate::common::postgres().await;
                    super::$name(&fixture.store).await;
                }
            )*
        }
    };
}
pub(crate) use on_both_backends;
