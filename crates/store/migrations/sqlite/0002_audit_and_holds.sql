-- Staff access to personal data is recorded in an append-only, hash-chained audit
-- log; legal holds keep an account's data from every deletion while they last.

-- One entry per read or change of a user's personal data by staff. `seq` counts
-- 1, 2, 3… without gaps (assigned under the lock on `audit_head`), and `hash`
-- covers the entry and the previous entry's hash, so an edited, removed or
-- inserted entry breaks the chain. Entries hold opaque ids, never e-mail
-- addresses or numbers, so they may outlive the account they are about.
CREATE TABLE audit_log (
    seq        INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL,
    actor_id   TEXT    NOT NULL,
    actor_role TEXT    NOT NULL,
    subject_id TEXT,
    action     TEXT    NOT NULL,
    target     TEXT    NOT NULL,
    reason     TEXT    NOT NULL,
    prev_hash  BLOB    NOT NULL,
    hash       BLOB    NOT NULL
);
CREATE INDEX audit_log_subject ON audit_log (subject_id, seq);
CREATE INDEX audit_log_at ON audit_log (at, seq);

-- The end of the chain (the newest entry) and its start (the last entry removed
-- by retention, or 0 and 32 zero bytes): verification runs from the anchor to the
-- head, so removing the newest entries is detected too.
CREATE TABLE audit_head (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    last_seq    INTEGER NOT NULL,
    last_hash   BLOB    NOT NULL,
    anchor_seq  INTEGER NOT NULL,
    anchor_hash BLOB    NOT NULL
);
INSERT INTO audit_head (id, last_seq, last_hash, anchor_seq, anchor_hash)
VALUES (1, 0, zeroblob(32), 0, zeroblob(32));

-- The database itself refuses edits, and deletions past the anchor (retention
-- moves the anchor first, in the same transaction).
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_prefix_delete_only BEFORE DELETE ON audit_log
WHEN OLD.seq > (SELECT anchor_seq FROM audit_head WHERE id = 1)
BEGIN
    SELECT RAISE(ABORT, 'audit_log entries are removed only up to the anchor');
END;

-- A hold covers all of one account's data: profile, faxes, received faxes, files.
-- No foreign key: a held account cannot be deleted, and the hold's record must
-- survive the release of the account later.
CREATE TABLE legal_holds (
    id          TEXT    PRIMARY KEY,
    account_id  TEXT    NOT NULL,
    request_id  TEXT,
    reason      TEXT    NOT NULL,
    placed_at   INTEGER NOT NULL,
    placed_by   TEXT    NOT NULL,
    released_at INTEGER,
    released_by TEXT
);
CREATE INDEX legal_holds_account ON legal_holds (account_id, released_at);
