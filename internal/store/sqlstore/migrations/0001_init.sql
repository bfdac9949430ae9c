-- Initial schema. Types are ones PostgreSQL also accepts, except BLOB,
-- which a PostgreSQL migration spells BYTEA.

-- certificates has a column for every field that a query filters, sorts or
-- looks up by. The rest of the record is the JSON object in details.
-- created_at and updated_at are UTC Unix times in nanoseconds. key_usages and
-- extended_key_usages hold names between commas (",DIGITAL_SIGNATURE,") so a
-- filter matches a whole name with a substring test.
CREATE TABLE certificates (
    arn                   TEXT   NOT NULL PRIMARY KEY,
    account               TEXT   NOT NULL,
    region                TEXT   NOT NULL,
    status                TEXT   NOT NULL,
    type                  TEXT   NOT NULL,
    key_algorithm         TEXT   NOT NULL,
    export_option         TEXT   NOT NULL,
    managed_by            TEXT   NOT NULL,
    created_at            BIGINT NOT NULL,
    key_usages            TEXT   NOT NULL,
    extended_key_usages   TEXT   NOT NULL,
    certificate_pem       TEXT   NOT NULL,
    certificate_chain_pem TEXT   NOT NULL,
    private_key           BLOB,
    details               TEXT   NOT NULL,
    version               BIGINT NOT NULL,
    updated_at            BIGINT NOT NULL
);

CREATE INDEX certificates_by_account_region_created
    ON certificates (account, region, created_at, arn);

CREATE INDEX certificates_by_status_created
    ON certificates (status, created_at);

-- position keeps the order in which keys were first added. A NULL tag_value
-- is a tag without a value.
CREATE TABLE certificate_tags (
    arn       TEXT   NOT NULL REFERENCES certificates (arn) ON DELETE CASCADE,
    tag_key   TEXT   NOT NULL,
    tag_value TEXT,
    position  BIGINT NOT NULL,
    PRIMARY KEY (arn, tag_key)
);

-- The primary key makes one token map to one certificate even when two
-- requests carrying it commit at the same time.
CREATE TABLE idempotency_tokens (
    account    TEXT   NOT NULL,
    region     TEXT   NOT NULL,
    token      TEXT   NOT NULL,
    arn        TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (account, region, token)
);

CREATE TABLE settings (
    name  TEXT NOT NULL PRIMARY KEY,
    value BLOB NOT NULL
);
