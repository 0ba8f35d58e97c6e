//! Ferrofax's database layer: the only crate that speaks SQL.
//!
//! One code path serves SQLite (the default, a single file next to the blobs) and
//! PostgreSQL (for several processes or hosts) through sqlx's `Any` driver. The SQL
//! is the same for both wherever the dialects agree (`$1` placeholders,
//! `RETURNING`, `ON CONFLICT`); the few places where they do not (formatting a fax
//! number, claiming a job) pick a statement per [`Backend`]. The schema lives in
//! `migrations/sqlite` and `migrations/postgres`, which create the same tables with
//! each engine's type names, and runs on [`Store::connect`].
//!
//! Every function takes `&mut AnyConnection` first, so a caller can combine several
//! in one transaction ([`Store::begin`]). Time is always an argument (`now`, Unix
//! milliseconds): nothing in this crate reads a clock, which is what lets the
//! janitor and the job-lease tests run in chosen time. See `docs/storage.md`.
//!
//! Limits: list functions cap their page size at [`MAX_PAGE`]; the janitor query
//! returns at most [`MAX_PAGE`] documents per call.

#![forbid(unsafe_code)]

pub mod abuse;
pub mod access_log;
pub mod accounts;
pub mod api_keys;
pub mod audit;
pub mod columns;
pub mod contacts;
pub mod faxes;
pub mod idempotency;
pub mod inbox;
pub mod jobs;
pub mod junk;
pub mod legal;
pub mod sessions;
pub mod throttle;
pub mod tokens;
pub mod usage;
pub mod webhooks;

mod error;
mod util;

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyPool, Transaction};

pub use error::Error;
pub use sqlx::AnyConnection;

/// The most rows any list function returns in one call; larger limits are clamped.
pub const MAX_PAGE: u32 = 500;

/// How long an SQLite connection waits for the write lock before it reports busy.
/// Writers on SQLite take turns (one at a time), so this bounds how long a burst of
/// writers may queue, not how long a statement runs.
const SQLITE_BUSY_TIMEOUT_MS: u32 = 15_000;

/// Pool sizes. SQLite serialises writers anyway, so a few connections suffice for
/// concurrent readers; PostgreSQL gets more so that workers claiming jobs in parallel
/// do not wait for each other's connections.
const SQLITE_MAX_CONNECTIONS: u32 = 8;
const POSTGRES_MAX_CONNECTIONS: u32 = 16;

/// How long `acquire` waits for a free pooled connection before it gives up.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);

/// The database engine behind a [`Store`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite, one file, one writer at a time.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

impl Backend {
    /// The engine behind one connection, for the few statements that differ.
    pub fn of(conn: &AnyConnection) -> Backend {
        if conn.backend_name().eq_ignore_ascii_case("PostgreSQL") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }
}

/// A connection pool to a migrated database.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

impl Store {
    /// Connects to `url` (`sqlite:///path/db.sqlite3` or `postgres://…`), creating an
    /// SQLite file if it is missing, and brings the schema up to date.
    ///
    /// SQLite runs in WAL mode (readers do not block the writer) with foreign keys
    /// on and a busy timeout of 15 s. `sqlite::memory:` is refused, because every
    /// pooled connection would get its own empty database.
    ///
    /// Encrypted columns (see [`columns`]) use a master key made for this process
    /// only: a database first opened here cannot be read by another process. This is
    /// for tests and one-off tools; the service opens its database with
    /// [`Store::connect_with_keys`].
    pub async fn connect(url: &str) -> Result<Store, Error> {
        Store::connect_with_keys(url, &columns::ephemeral_keyring()?).await
    }

    /// Connects as [`Store::connect`] does, and opens the database's column key with
    /// `keyring` (creating and wrapping the key under its current master key on first
    /// use). Values stored in the clear by a version before column encryption are
    /// sealed in place here.
    pub async fn connect_with_keys(url: &str, keyring: &blob::Keyring) -> Result<Store, Error> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(Error::Invalid("database URL must start with sqlite: or postgres:"));
        };
        let pool = match backend {
            Backend::Sqlite => {
                if url.contains(":memory:") || url.contains("mode=memory") {
                    return Err(Error::Invalid("in-memory SQLite cannot be shared by a pool; use a file"));
                }
                // `mode=rwc` is sqlx's spelling of create-if-missing.
                let url = if url.contains("mode=") { url.to_owned() } else { with_query(url, "mode=rwc") };
                let options = AnyConnectOptions::from_str(&url)?;
                AnyPoolOptions::new()
                    .max_connections(SQLITE_MAX_CONNECTIONS)
                    .acquire_timeout(ACQUIRE_TIMEOUT)
                    .after_connect(|conn, _meta| {
                        Box::pin(async move {
                            // Per-connection settings; WAL is a property of the file and
                            // is set once below.
                            let busy = format!("PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}");
                            sqlx::raw_sql(sqlx::AssertSqlSafe(busy)).execute(&mut *conn).await?;
                            sqlx::raw_sql("PRAGMA synchronous = NORMAL").execute(&mut *conn).await?;
                            sqlx::raw_sql("PRAGMA foreign_keys = ON").execute(&mut *conn).await?;
                            Ok(())
                        })
                    })
                    .connect_with(options)
                    .await?
            }
            Backend::Postgres => {
                let options = AnyConnectOptions::from_str(url)?;
                AnyPoolOptions::new()
                    .max_connections(POSTGRES_MAX_CONNECTIONS)
                    .acquire_timeout(ACQUIRE_TIMEOUT)
                    .connect_with(options)
                    .await?
            }
        };
        if backend == Backend::Sqlite {
            let mut conn = pool.acquire().await?;
            sqlx::raw_sql("PRAGMA journal_mode = WAL").execute(&mut *conn).await?;
        }
        match backend {
            Backend::Sqlite => sqlx::migrate!("migrations/sqlite").run(&pool).await?,
            Backend::Postgres => sqlx::migrate!("migrations/postgres").run(&pool).await?,
        }
        let mut conn = pool.acquire().await?;
        columns::setup(&mut conn, keyring).await?;
        drop(conn);
        Ok(Store { pool, backend })
    }

    /// The engine behind this store.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A pooled connection, for one or more statements outside a transaction.
    pub async fn acquire(&self) -> Result<PoolConnection<Any>, Error> {
        Ok(self.pool.acquire().await?)
    }

    /// A pooled connection inside a transaction; dropping it uncommitted rolls back.
    ///
    /// On SQLite the transaction starts with `BEGIN IMMEDIATE`: it takes the write
    /// lock at once (waiting up to the busy timeout), so a transaction that reads
    /// and then writes can never fail half-way because another writer got in
    /// between. On PostgreSQL it is an ordinary `READ COMMITTED` transaction.
    pub async fn begin(&self) -> Result<Transaction<'static, Any>, Error> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }

    /// Closes every pooled connection; later calls fail.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Appends one query parameter to a URL that may or may not have a query already.
fn with_query(url: &str, pair: &str) -> String {
    if url.contains('?') { format!("{url}&{pair}") } else { format!("{url}?{pair}") }
}
