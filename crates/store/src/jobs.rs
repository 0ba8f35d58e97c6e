//! The durable job queue: rendering, dialling, retries, webhook and e-mail delivery.
//!
//! A job is a row. A worker *claims* it by writing its name and a lease deadline
//! into the row; while the lease runs, nobody else may claim it. A worker that
//! crashes simply stops extending its lease, and once the lease has expired the
//! next claim takes the job over (`attempts` counts claims). Finishing a job
//! (`complete`, `retry`, `fail`) only succeeds while the row still names the
//! finishing worker; if another worker took it over, the call fails with
//! [`Error::LeaseLost`] and changes nothing, so a caller that finishes the job in the
//! same transaction as its other writes rolls everything back: each job's effects
//! are committed exactly once.
//!
//! A job may carry a *concurrency key* (the destination number): a job is not
//! claimable while another job with the same key holds an unexpired lease, so one
//! number is never dialled twice at once. How `claim` keeps that race-free on each
//! engine is described at [`claim`].
//!
//! Worker names must be unique among live workers (host, process id and task
//! number, say): the lease check compares names.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::util::{count, debug_redacted, new_id};
use crate::{Backend, Error, Store};

/// The most kinds one `claim` may ask for.
pub const MAX_KINDS: usize = 32;

/// How many candidate jobs one PostgreSQL `claim` examines before it reports that
/// nothing is claimable. Candidates are only passed over when another transaction
/// is claiming a job with the same concurrency key at that very moment, so this
/// bounds a rare loop, not a normal one.
const PG_CANDIDATES: usize = 64;

/// A job as stored.
#[derive(Clone, PartialEq, Eq)]
pub struct Job {
    pub id: String,
    pub kind: String,
    /// JSON, the worker's business.
    pub payload: String,
    /// Not before this time.
    pub run_at: i64,
    /// How many times the job has been claimed.
    pub attempts: i64,
    pub lease_owner: Option<String>,
    pub lease_until: Option<i64>,
    pub concurrency_key: Option<String>,
    pub fax_id: Option<String>,
    pub created_at: i64,
    pub last_error: Option<String>,
}

/// A job to enqueue.
#[derive(Clone, PartialEq, Eq)]
pub struct NewJob {
    pub kind: String,
    pub payload: String,
    pub run_at: i64,
    pub concurrency_key: Option<String>,
    pub fax_id: Option<String>,
    /// While a job with this key is queued or running, enqueueing another returns
    /// the existing job's id instead.
    pub dedupe_key: Option<String>,
}

// Payloads and concurrency keys (destination numbers) are personal data.
debug_redacted!(Job {
    id, kind, run_at, attempts, lease_owner, lease_until, fax_id, created_at, last_error;
    payload, concurrency_key
});
debug_redacted!(NewJob { kind, run_at, fax_id; payload, concurrency_key, dedupe_key });

fn from_row(row: &AnyRow) -> Result<Job, Error> {
    Ok(Job {
        id: row.try_get("id")?,
        kind: row.try_get("kind")?,
        payload: row.try_get("payload")?,
        run_at: row.try_get("run_at")?,
        attempts: row.try_get("attempts")?,
        lease_owner: row.try_get("lease_owner")?,
        lease_until: row.try_get("lease_until")?,
        concurrency_key: row.try_get("concurrency_key")?,
        fax_id: row.try_get("fax_id")?,
        created_at: row.try_get("created_at")?,
        last_error: row.try_get("last_error")?,
    })
}

/// Queues a job; returns its id. With a `dedupe_key` that a queued or running job
/// already has, nothing is added and that job's id is returned.
pub async fn enqueue(conn: &mut AnyConnection, job: NewJob, now: i64) -> Result<String, Error> {
    // The existing job may finish between the failed insert and the look-up; then
    // the key is free again and the next round inserts. Two rounds cover that; the
    // third only guards against a pathological churn.
    for _ in 0..3 {
        let id = new_id("job", now);
        let inserted: Option<String> = sqlx::query_scalar(
            "INSERT INTO jobs (id, kind, payload, state, run_at, attempts, concurrency_key, fax_id, dedupe_key, \
                 created_at) \
             VALUES ($1, $2, $3, 'ready', $4, 0, $5, $6, $7, $8) \
             ON CONFLICT (dedupe_key) DO NOTHING \
             RETURNING id",
        )
        .bind(&id)
        .bind(&job.kind)
        .bind(&job.payload)
        .bind(job.run_at)
        .bind(job.concurrency_key.as_deref())
        .bind(job.fax_id.as_deref())
        .bind(job.dedupe_key.as_deref())
        .bind(now)
        .fetch_optional(&mut *conn)
        .await?;
        if let Some(id) = inserted {
            return Ok(id);
        }
        let existing: Option<String> = sqlx::query_scalar("SELECT id FROM jobs WHERE dedupe_key = $1")
            .bind(job.dedupe_key.as_deref())
            .fetch_optional(&mut *conn)
            .await?;
        if let Some(id) = existing {
            return Ok(id);
        }
    }
    Err(Error::Conflict("job_dedupe_key"))
}

/// The statement that picks the next claimable job: `$1` is now, `$2`/`$3` a
/// `(run_at, id)` cursor to start after, and `kinds` placeholders follow from `$4`.
/// Only placeholders are generated, never values, so the text is safe to build.
fn candidate_sql(kinds: usize, lock: &str) -> String {
    let placeholders: Vec<String> = (0..kinds).map(|i| format!("${}", i + 4)).collect();
    format!(
        "SELECT id, run_at, concurrency_key FROM jobs j \
         WHERE j.state = 'ready' \
           AND j.run_at <= $1 \
           AND (j.lease_until IS NULL OR j.lease_until <= $1) \
           AND j.kind IN ({kinds}) \
           AND (j.run_at > $2 OR (j.run_at = $2 AND j.id > $3)) \
           AND (j.concurrency_key IS NULL OR NOT EXISTS ( \
                SELECT 1 FROM jobs o \
                WHERE o.concurrency_key = j.concurrency_key AND o.id <> j.id AND o.state = 'ready' \
                  AND o.lease_until > $1)) \
         ORDER BY j.run_at, j.id \
         LIMIT 1 {lock}",
        kinds = placeholders.join(", "),
    )
}

/// Claims the earliest due job of one of `kinds` for `worker`, leased until
/// `now + lease_ms`, or `None` if none is claimable.
///
/// A job is claimable when it is due (`run_at <= now`), its lease is free or
/// expired, and no other job with its concurrency key holds an unexpired lease.
///
/// Race-freedom, per engine:
/// - SQLite has one writer at a time. The claim runs in a `BEGIN IMMEDIATE`
///   transaction, which takes the write lock before reading, so the search and the
///   update see no concurrent claim at all.
/// - PostgreSQL: the candidate row is locked with `FOR UPDATE SKIP LOCKED`, so two
///   workers never take the same row, and concurrent claims skip each other's rows
///   instead of queueing. That alone would not protect a concurrency key: two
///   workers could lock two different jobs with the same key, each unable to see
///   the other's uncommitted lease. So a keyed candidate also needs the
///   transaction-scoped advisory lock on the key's hash
///   (`pg_try_advisory_xact_lock`), held until commit; a worker that cannot get it
///   passes the candidate over. Holding it, the worker checks the key again in a
///   fresh statement, which sees every lease committed before the lock was granted,
///   and only then writes its lease. A hash collision between two keys only makes a
///   claim pass a job over for a moment; the re-check keeps the result exact.
pub async fn claim(
    store: &Store,
    worker: &str,
    kinds: &[&str],
    now: i64,
    lease_ms: i64,
) -> Result<Option<Job>, Error> {
    if kinds.is_empty() {
        return Ok(None);
    }
    if kinds.len() > MAX_KINDS {
        return Err(Error::Invalid("too many job kinds in one claim"));
    }
    if lease_ms <= 0 {
        return Err(Error::Invalid("lease must be positive"));
    }
    let lease_until = now.saturating_add(lease_ms);
    let mut tx = store.begin().await?;
    let backend = store.backend();
    let sql =
        candidate_sql(kinds.len(), if backend == Backend::Postgres { "FOR UPDATE SKIP LOCKED" } else { "" });
    let mut cursor: (i64, String) = (i64::MIN, String::new());
    let attempts = if backend == Backend::Postgres { PG_CANDIDATES } else { 1 };
    for _ in 0..attempts {
        let mut query = sqlx::query_as::<_, (String, i64, Option<String>)>(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(now)
            .bind(cursor.0)
            .bind(cursor.1.as_str());
        for kind in kinds {
            query = query.bind(*kind);
        }
        let Some((id, run_at, key)) = query.fetch_optional(&mut *tx).await? else { break };
        if backend == Backend::Postgres
            && let Some(key) = key.as_deref()
            && !key_is_ours(&mut tx, key, &id, now).await?
        {
            cursor = (run_at, id);
            continue;
        }
        let row = sqlx::query(
            "UPDATE jobs SET lease_owner = $2, lease_until = $3, attempts = attempts + 1 WHERE id = $1 RETURNING *",
        )
        .bind(&id)
        .bind(worker)
        .bind(lease_until)
        .fetch_one(&mut *tx)
        .await?;
        let job = from_row(&row)?;
        tx.commit().await?;
        return Ok(Some(job));
    }
    tx.commit().await?;
    Ok(None)
}

/// PostgreSQL only: takes the advisory lock of `key` for this transaction and
/// checks, in a fresh snapshot, that no other job with the key holds a lease.
async fn key_is_ours(conn: &mut AnyConnection, key: &str, id: &str, now: i64) -> Result<bool, Error> {
    let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_xact_lock(hashtextextended($1, 7263))")
        .bind(key)
        .fetch_one(&mut *conn)
        .await?;
    if !locked {
        return Ok(false);
    }
    let held: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM jobs \
         WHERE concurrency_key = $1 AND id <> $2 AND state = 'ready' AND lease_until > $3",
    )
    .bind(key)
    .bind(id)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    Ok(held == 0)
}

/// Fails with `LeaseLost` when a lease-checked statement touched no row.
fn leased(rows: u64) -> Result<(), Error> {
    if rows == 0 { Err(Error::LeaseLost) } else { Ok(()) }
}

/// Extends `worker`'s lease on job `id` to `lease_until`.
pub async fn extend(conn: &mut AnyConnection, id: &str, worker: &str, lease_until: i64) -> Result<(), Error> {
    let done = sqlx::query(
        "UPDATE jobs SET lease_until = $3 WHERE id = $1 AND lease_owner = $2 AND state = 'ready'",
    )
    .bind(id)
    .bind(worker)
    .bind(lease_until)
    .execute(&mut *conn)
    .await?;
    leased(done.rows_affected())
}

/// Finishes job `id`: it is deleted. `LeaseLost` (and no change) if `worker` no
/// longer holds it.
pub async fn complete(conn: &mut AnyConnection, id: &str, worker: &str) -> Result<(), Error> {
    let done = sqlx::query("DELETE FROM jobs WHERE id = $1 AND lease_owner = $2 AND state = 'ready'")
        .bind(id)
        .bind(worker)
        .execute(&mut *conn)
        .await?;
    leased(done.rows_affected())
}

/// Releases the lease and schedules the job again at `run_at`, noting `error`.
/// `LeaseLost` (and no change) if `worker` no longer holds it.
pub async fn retry(
    conn: &mut AnyConnection,
    id: &str,
    worker: &str,
    run_at: i64,
    error: &str,
) -> Result<(), Error> {
    let done = sqlx::query(
        "UPDATE jobs SET lease_owner = NULL, lease_until = NULL, run_at = $3, last_error = $4 \
         WHERE id = $1 AND lease_owner = $2 AND state = 'ready'",
    )
    .bind(id)
    .bind(worker)
    .bind(run_at)
    .bind(error)
    .execute(&mut *conn)
    .await?;
    leased(done.rows_affected())
}

/// Gives the job up: it stays in the table as failed (for inspection), never runs
/// again, and frees its dedupe key. `LeaseLost` (and no change) if `worker` no
/// longer holds it.
pub async fn fail(conn: &mut AnyConnection, id: &str, worker: &str, error: &str) -> Result<(), Error> {
    let done = sqlx::query(
        "UPDATE jobs SET state = 'failed', lease_owner = NULL, lease_until = NULL, dedupe_key = NULL, \
             last_error = $3 \
         WHERE id = $1 AND lease_owner = $2 AND state = 'ready'",
    )
    .bind(id)
    .bind(worker)
    .bind(error)
    .execute(&mut *conn)
    .await?;
    leased(done.rows_affected())
}

/// Removes the fax's jobs that no worker holds; a running one is left to notice the
/// cancel itself. Returns how many were removed.
pub async fn cancel_for_fax(conn: &mut AnyConnection, fax_id: &str) -> Result<u64, Error> {
    let done = sqlx::query("DELETE FROM jobs WHERE fax_id = $1 AND state = 'ready' AND lease_owner IS NULL")
        .bind(fax_id)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected())
}

/// Brings the unheld job with this dedupe key forward to `run_at` (a user asked to
/// retry now); returns whether there was one.
pub async fn bring_forward(conn: &mut AnyConnection, dedupe_key: &str, run_at: i64) -> Result<bool, Error> {
    let done = sqlx::query(
        "UPDATE jobs SET run_at = $2 WHERE dedupe_key = $1 AND state = 'ready' AND lease_owner IS NULL",
    )
    .bind(dedupe_key)
    .bind(run_at)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// How many jobs (of `kind`, or of any kind) are queued or running.
pub async fn pending(conn: &mut AnyConnection, kind: Option<&str>) -> Result<u64, Error> {
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE state = 'ready' AND ($1 IS NULL OR kind = $1)")
            .bind(kind)
            .fetch_one(&mut *conn)
            .await?;
    Ok(count(n))
}

/// The job `id`, in whatever state.
pub async fn get(conn: &mut AnyConnection, id: &str) -> Result<Option<Job>, Error> {
    let row = sqlx::query("SELECT * FROM jobs WHERE id = $1").bind(id).fetch_optional(&mut *conn).await?;
    row.as_ref().map(from_row).transpose()
}

/// Whether the job failed for good (see [`fail`]).
pub async fn is_failed(conn: &mut AnyConnection, id: &str) -> Result<bool, Error> {
    let state: Option<String> = sqlx::query_scalar("SELECT state FROM jobs WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(state.as_deref() == Some("failed"))
}
