-- Column encryption (issue 6, item 11). Personal columns hold sealed text
-- (`fxc1:…`, see crates/store/src/columns.rs) from now on; their types stay TEXT.
-- Values written before this migration are sealed in place by the store when it
-- opens the database, because sealing needs the master key, which SQL never sees.

-- The database's column data key, wrapped by the master key named next to it.
CREATE TABLE column_keys (
    slot          TEXT PRIMARY KEY,
    id            TEXT NOT NULL,
    master_key_id TEXT NOT NULL,
    wrapped_key   BYTEA NOT NULL,
    CONSTRAINT column_keys_id_key UNIQUE (id)
);

-- The recipient number is searched by value: a keyed blind index replaces the
-- index on the (now sealed) number.
ALTER TABLE fax_recipients ADD COLUMN number_bidx TEXT;
DROP INDEX fax_recipients_number;
CREATE INDEX fax_recipients_number_bidx ON fax_recipients (number_bidx, fax_id);

-- The address book. name, number, company and note are sealed.
CREATE TABLE contacts (
    id         TEXT    PRIMARY KEY,
    account_id TEXT    NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name       TEXT    NOT NULL,
    number     TEXT    NOT NULL,
    company    TEXT,
    note       TEXT,
    created_at BIGINT  NOT NULL,
    updated_at BIGINT  NOT NULL
);
CREATE INDEX contacts_account ON contacts (account_id, id);
