-- Ferrofax schema, SQLite flavour. The PostgreSQL file of the same number creates
-- the same tables with the same columns; only the type names differ. Every
-- timestamp is Unix milliseconds (INTEGER), every flag is 0/1 (INTEGER), because
-- sqlx's Any driver carries only integers, floats, text and bytes across both.

CREATE TABLE accounts (
    id                TEXT    PRIMARY KEY,
    name              TEXT    NOT NULL,
    email             TEXT    NOT NULL,
    phone             TEXT,
    fax_number        TEXT    NOT NULL,
    fax_prefix        TEXT    NOT NULL,
    fax_seq           INTEGER NOT NULL,
    password_hash     TEXT    NOT NULL,
    email_verified_at INTEGER,
    age_confirmed_at  INTEGER NOT NULL,
    terms_version     TEXT    NOT NULL,
    privacy_version   TEXT    NOT NULL,
    accepted_at       INTEGER NOT NULL,
    marketing_opt_in  INTEGER NOT NULL,
    notify_on_sent    INTEGER NOT NULL,
    notify_on_failure INTEGER NOT NULL,
    notify_on_receive INTEGER NOT NULL,
    created_at        INTEGER NOT NULL,
    webhook_url       TEXT,
    webhook_secret    TEXT    NOT NULL,
    CONSTRAINT accounts_email_key UNIQUE (email),
    CONSTRAINT accounts_fax_number_key UNIQUE (fax_number),
    CONSTRAINT accounts_fax_seq_key UNIQUE (fax_prefix, fax_seq)
);

CREATE TABLE tokens (
    purpose    TEXT    NOT NULL,
    token_hash BLOB    NOT NULL,
    account_id TEXT    NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (purpose, token_hash)
);
CREATE INDEX tokens_expires ON tokens (expires_at);

CREATE TABLE sessions (
    id_hash      BLOB    PRIMARY KEY,
    account_id   TEXT    NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    persistent   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL
);
CREATE INDEX sessions_account ON sessions (account_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE login_failures (
    id  INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT    NOT NULL,
    at  INTEGER NOT NULL
);
CREATE INDEX login_failures_key_at ON login_failures (key, at);
CREATE INDEX login_failures_at ON login_failures (at);

CREATE TABLE api_keys (
    id           TEXT    PRIMARY KEY,
    account_id   TEXT    NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    prefix       TEXT    NOT NULL,
    secret_hash  BLOB    NOT NULL,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER,
    CONSTRAINT api_keys_prefix_key UNIQUE (prefix)
);
CREATE INDEX api_keys_account ON api_keys (account_id);

CREATE TABLE faxes (
    id                   TEXT    PRIMARY KEY,
    account_id           TEXT    NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL,
    options_json         TEXT    NOT NULL,
    client_reference     TEXT,
    tags_json            TEXT    NOT NULL,
    callback_url         TEXT,
    page_count           INTEGER,
    rendered_blob        TEXT,
    render_error_code    TEXT,
    render_error_message TEXT
);
CREATE INDEX faxes_account_id ON faxes (account_id, id);
CREATE INDEX faxes_created ON faxes (created_at);

CREATE TABLE fax_tags (
    fax_id TEXT NOT NULL REFERENCES faxes (id) ON DELETE CASCADE,
    tag    TEXT NOT NULL,
    PRIMARY KEY (fax_id, tag)
);
CREATE INDEX fax_tags_tag ON fax_tags (tag, fax_id);

CREATE TABLE fax_recipients (
    id              TEXT    PRIMARY KEY,
    fax_id          TEXT    NOT NULL REFERENCES faxes (id) ON DELETE CASCADE,
    position        INTEGER NOT NULL,
    number          TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    error_code      TEXT,
    error_message   TEXT,
    pages_sent      INTEGER NOT NULL,
    rate            INTEGER,
    ecm             INTEGER,
    remote_ident    TEXT,
    duration_ms     INTEGER,
    attempts        INTEGER NOT NULL,
    next_attempt_at INTEGER,
    deadline_at     INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    completed_at    INTEGER
);
CREATE INDEX fax_recipients_fax ON fax_recipients (fax_id, position);
CREATE INDEX fax_recipients_number ON fax_recipients (number, fax_id);
CREATE INDEX fax_recipients_status ON fax_recipients (status, fax_id);

CREATE TABLE fax_documents (
    id           TEXT    PRIMARY KEY,
    fax_id       TEXT    NOT NULL REFERENCES faxes (id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    blob_id      TEXT    NOT NULL,
    filename     TEXT    NOT NULL,
    content_type TEXT    NOT NULL,
    size         INTEGER NOT NULL,
    deleted_at   INTEGER
);
CREATE INDEX fax_documents_fax ON fax_documents (fax_id, position);
CREATE INDEX fax_documents_live ON fax_documents (deleted_at, fax_id);

CREATE TABLE idempotency_keys (
    account_id   TEXT    NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    key          TEXT    NOT NULL,
    request_hash BLOB    NOT NULL,
    fax_id       TEXT,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (account_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

CREATE TABLE received_faxes (
    id           TEXT    PRIMARY KEY,
    account_id   TEXT    NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    from_number  TEXT,
    remote_ident TEXT,
    pages        INTEGER NOT NULL,
    blob_id      TEXT,
    received_at  INTEGER NOT NULL,
    read_at      INTEGER,
    rate         INTEGER,
    ecm          INTEGER,
    duration_ms  INTEGER
);
CREATE INDEX received_faxes_account_id ON received_faxes (account_id, id);

CREATE TABLE jobs (
    id              TEXT    PRIMARY KEY,
    kind            TEXT    NOT NULL,
    payload         TEXT    NOT NULL,
    state           TEXT    NOT NULL,
    run_at          INTEGER NOT NULL,
    attempts        INTEGER NOT NULL,
    lease_owner     TEXT,
    lease_until     INTEGER,
    concurrency_key TEXT,
    fax_id          TEXT,
    dedupe_key      TEXT,
    created_at      INTEGER NOT NULL,
    last_error      TEXT,
    CONSTRAINT jobs_dedupe_key_key UNIQUE (dedupe_key)
);
CREATE INDEX jobs_due ON jobs (state, run_at, id);
CREATE INDEX jobs_concurrency ON jobs (concurrency_key, state, lease_until);
CREATE INDEX jobs_fax ON jobs (fax_id);

CREATE TABLE webhook_deliveries (
    id              TEXT    PRIMARY KEY,
    account_id      TEXT    NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    url             TEXT    NOT NULL,
    event_type      TEXT    NOT NULL,
    payload         TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    attempts        INTEGER NOT NULL,
    last_status     INTEGER,
    last_error      TEXT,
    delivered_at    INTEGER,
    next_attempt_at INTEGER,
    gave_up_at      INTEGER
);
CREATE INDEX webhook_deliveries_account_id ON webhook_deliveries (account_id, id);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at);

CREATE TABLE access_log (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    at           INTEGER NOT NULL,
    ip           TEXT,
    user_agent   TEXT,
    session_hash TEXT,
    account_id   TEXT,
    method       TEXT    NOT NULL,
    path         TEXT    NOT NULL,
    status       INTEGER NOT NULL
);
CREATE INDEX access_log_at ON access_log (at);
CREATE INDEX access_log_account ON access_log (account_id, at);
