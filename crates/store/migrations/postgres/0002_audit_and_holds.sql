-- Staff access to personal data is recorded in an append-only, hash-chained audit
-- log; legal holds keep an account's data from every deletion while they last.
-- The SQLite file of the same number explains each table.

CREATE TABLE audit_log (
    seq        BIGINT PRIMARY KEY,
    at         BIGINT NOT NULL,
    actor_id   TEXT   NOT NULL,
    actor_role TEXT   NOT NULL,
    subject_id TEXT,
    action     TEXT   NOT NULL,
    target     TEXT   NOT NULL,
    reason     TEXT   NOT NULL,
    prev_hash  BYTEA  NOT NULL,
    hash       BYTEA  NOT NULL
);
CREATE INDEX audit_log_subject ON audit_log (subject_id, seq);
CREATE INDEX audit_log_at ON audit_log (at, seq);

CREATE TABLE audit_head (
    id          BIGINT PRIMARY KEY CHECK (id = 1),
    last_seq    BIGINT NOT NULL,
    last_hash   BYTEA  NOT NULL,
    anchor_seq  BIGINT NOT NULL,
    anchor_hash BYTEA  NOT NULL
);
INSERT INTO audit_head (id, last_seq, last_hash, anchor_seq, anchor_hash)
VALUES (1, 0, decode(repeat('00', 32), 'hex'), 0, decode(repeat('00', 32), 'hex'));

CREATE FUNCTION audit_log_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        RAISE EXCEPTION 'audit_log is append-only';
    END IF;
    IF OLD.seq > (SELECT anchor_seq FROM audit_head WHERE id = 1) THEN
        RAISE EXCEPTION 'audit_log entries are removed only up to the anchor';
    END IF;
    RETURN OLD;
END;
$$;
CREATE TRIGGER audit_log_guard BEFORE UPDATE OR DELETE ON audit_log
FOR EACH ROW EXECUTE FUNCTION audit_log_guard();

CREATE TABLE legal_holds (
    id          TEXT   PRIMARY KEY,
    account_id  TEXT   NOT NULL,
    request_id  TEXT,
    reason      TEXT   NOT NULL,
    placed_at   BIGINT NOT NULL,
    placed_by   TEXT   NOT NULL,
    released_at BIGINT,
    released_by TEXT
);
CREATE INDEX legal_holds_account ON legal_holds (account_id, released_at);
