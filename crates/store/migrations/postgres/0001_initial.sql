-- Ferrofax schema, PostgreSQL flavour. The SQLite file of the same number creates
-- the same tables with the same columns; only the type names differ. Every
-- timestamp is Unix milliseconds (BIGINT), every flag is 0/1 (BIGINT), because
-- sqlx's Any driver carries only integers, floats, text and bytes across both.

CREATE TABLE accounts (
    id                TEXT    PRIMARY KEY,
    name              TEXT    NOT NULL,
    email             TEXT    NOT NULL,
    phone             TEXT,
    fax_number        TEXT    NOT NULL,
    fax_prefix        TEXT    NOT NULL,
    fax_seq           BIGINT NOT NULL,
    password_hash     TEXT    NOT NULL,
    email_verified_at BIGINT,
    age_confirmed_at  BIGINT NOT NULL,
    terms_version     TEXT    NOT NULL,
    privacy_version   TEXT    NOT NULL,
    accepted_at       BIGINT NOT NULL,
    marketing_opt_in  BIGINT NOT NULL,
    notify_on_sent    BIGINT NOT NULL,
    notify_on_failure BIGINT NOT NULL,
    notify_on_receive BIGINT NOT NULL,
    created_at        BIGINT NOT NULL,
    webhook_url       TEXT,
    webhook_secret    TEXT    NOT NULL,
    CONSTRAINT accounts_email_key UNIQUE (email),
    CONSTRAINT accounts_fax_number_key UNIQUE (fax_number),
    CONSTRAINT accounts_fax_seq_key UNIQUE (fax_prefix, fax_seq)
);

CREATE TABLE tokens (
    purpose    TEXT    NOT NULL,
    token_hash BYTEA    NOT NULL,
    account_id TEXT    NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (purpose, token_hash)
);
CREATE INDEX tokens_expires ON tokens (expires_at);

CREATE TABLE sessions (
    id_hash      BYTEA    PRIMARY KEY,
    account_id   TEXT    NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    persistent   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL
);
CREATE INDEX sessions_account ON sessions (account_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE login_failures (
    id  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key TEXT    NOT NULL,
    at  BIGINT NOT NULL
);
CREATE INDEX login_failures_key_at ON login_failures (key, at);
CREATE INDEX login_failures_at ON login_failures (at);

CREATE TABLE api_keys (
    id           TEXT    PRIMARY KEY,
    account_id   TEXT    NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    prefix       TEXT    NOT NULL,
    secret_hash  BYTEA    NOT NULL,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at   BIGINT,
    CONSTRAINT api_keys_prefix_key UNIQUE (prefix)
);
CREATE INDEX api_keys_account ON api_keys (account_id);

CREATE TABLE faxes (
    id                   TEXT    PRIMARY KEY,
    account_id           TEXT    NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL,
    options_json         TEXT    NOT NULL,
    client_reference     TEXT,
    tags_json            TEXT    NOT NULL,
    callback_url         TEXT,
    page_count           BIGINT,
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
    position        BIGINT NOT NULL,
    number          TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    error_code      TEXT,
    error_message   TEXT,
    pages_sent      BIGINT NOT NULL,
    rate            BIGINT,
    ecm             BIGINT,
    remote_ident    TEXT,
    duration_ms     BIGINT,
    attempts        BIGINT NOT NULL,
    next_attempt_at BIGINT,
    deadline_at     BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    completed_at    BIGINT
);
CREATE INDEX fax_recipients_fax ON fax_recipients (fax_id, position);
CREATE INDEX fax_recipients_number ON fax_recipients (number, fax_id);
CREATE INDEX fax_recipients_status ON fax_recipients (status, fax_id);

CREATE TABLE fax_documents (
    id           TEXT    PRIMARY KEY,
    fax_id       TEXT    NOT NULL REFERENCES faxes (id) ON DELETE CASCADE,
    position     BIGINT NOT NULL,
    blob_id      TEXT    NOT NULL,
    filename     TEXT    NOT NULL,
    content_type TEXT    NOT NULL,
    size         BIGINT NOT NULL,
    deleted_at   BIGINT
);
CREATE INDEX fax_documents_fax ON fax_documents (fax_id, position);
CREATE INDEX fax_documents_live ON fax_documents (deleted_at, fax_id);

CREATE TABLE idempotency_keys (
    account_id   TEXT    NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    key          TEXT    NOT NULL,
    request_hash BYTEA    NOT NULL,
    fax_id       TEXT,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (account_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

CREATE TABLE received_faxes (
    id           TEXT    PRIMARY KEY,
    account_id   TEXT    NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    from_number  TEXT,
    remote_ident TEXT,
    pages        BIGINT NOT NULL,
    blob_id      TEXT,
    received_at  BIGINT NOT NULL,
    read_at      BIGINT,
    rate         BIGINT,
    ecm          BIGINT,
    duration_ms  BIGINT
);
CREATE INDEX received_faxes_account_id ON received_faxes (account_id, id);

CREATE TABLE jobs (
    id              TEXT    PRIMARY KEY,
    kind            TEXT    NOT NULL,
    payload         TEXT    NOT NULL,
    state           TEXT    NOT NULL,
    run_at          BIGINT NOT NULL,
    attempts        BIGINT NOT NULL,
    lease_owner     TEXT,
    lease_until     BIGINT,
    concurrency_key TEXT,
    fax_id          TEXT,
    dedupe_key      TEXT,
    created_at      BIGINT NOT NULL,
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
    created_at      BIGINT NOT NULL,
    attempts        BIGINT NOT NULL,
    last_status     BIGINT,
    last_error      TEXT,
    delivered_at    BIGINT,
    next_attempt_at BIGINT,
    gave_up_at      BIGINT
);
CREATE INDEX webhook_deliveries_account_id ON webhook_deliveries (account_id, id);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at);

CREATE TABLE access_log (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at           BIGINT NOT NULL,
    ip           TEXT,
    user_agent   TEXT,
    session_hash TEXT,
    account_id   TEXT,
    method       TEXT    NOT NULL,
    path         TEXT    NOT NULL,
    status       BIGINT NOT NULL
);
CREATE INDEX access_log_at ON access_log (at);
CREATE INDEX access_log_account ON access_log (account_id, at);
