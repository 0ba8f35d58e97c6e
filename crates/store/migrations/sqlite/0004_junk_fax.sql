-- Junk-fax defence (issue 6, item 9), SQLite flavour: per-account block lists,
-- the operator-wide do-not-fax list with its one-time confirmation codes, per-day
-- page usage for the send quota, and abuse reports from people without an
-- account. The PostgreSQL file of the same number creates the same tables.

-- A number or T.30 identity an account refuses calls from. `value` is an E.164
-- number (kind 'number') or the identity as the caller sent it, trimmed
-- (kind 'ident'). `source` is 'report' (from a junk report) or 'manual'.
CREATE TABLE block_list (
    id         TEXT    PRIMARY KEY,
    account_id TEXT    NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind       TEXT    NOT NULL,
    value      TEXT    NOT NULL,
    source     TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    CONSTRAINT block_list_entry_key UNIQUE (account_id, kind, value)
);

-- Numbers nobody may fax. `source` is 'owner' (opted out through the public page,
-- ownership proven by a code faxed to the number) or 'operator' (the admin CLI).
CREATE TABLE do_not_fax (
    number     TEXT    PRIMARY KEY,
    source     TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);

-- A pending opt-out: the SHA-256 of the number and the code faxed to it, failed
-- attempts, and when it expires. Deleted when used or expired.
CREATE TABLE do_not_fax_challenges (
    id         TEXT    PRIMARY KEY,
    number     TEXT    NOT NULL,
    code_hash  BLOB    NOT NULL,
    attempts   INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX do_not_fax_challenges_expires ON do_not_fax_challenges (expires_at);

-- Pages charged against an account's daily quota: `day` counts UTC days since
-- 1970-01-01; `pages` is pages x recipients of the faxes queued for dialling.
CREATE TABLE page_usage (
    account_id TEXT    NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    day        INTEGER NOT NULL,
    pages      INTEGER NOT NULL,
    PRIMARY KEY (account_id, day)
);
CREATE INDEX page_usage_day ON page_usage (day);

-- Reports from people without an account. `contact` is optional and personal
-- data; `number` is the E.164 number that sent junk or the Ferrofax number abused.
CREATE TABLE abuse_reports (
    id         TEXT    PRIMARY KEY,
    created_at INTEGER NOT NULL,
    contact    TEXT,
    number     TEXT    NOT NULL,
    details    TEXT    NOT NULL,
    closed_at  INTEGER,
    resolution TEXT
);
CREATE INDEX abuse_reports_open ON abuse_reports (closed_at, id);
