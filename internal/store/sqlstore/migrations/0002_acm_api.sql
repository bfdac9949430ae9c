-- Search indexes, account configuration and its idempotency tokens.
-- Types are ones PostgreSQL also accepts.

-- certificate_search has one row per certificate with every attribute that
-- SearchCertificates filters or sorts by, so each filter is an index
-- lookup. Times are Unix seconds. Unset times are 0 and unset text is ''. in_use and exported are
-- 0 or 1. common_name keeps its case for sorting; filters on names use
-- certificate_terms.
CREATE TABLE certificate_search (
    arn                 TEXT   NOT NULL PRIMARY KEY REFERENCES certificates (arn) ON DELETE CASCADE,
    account             TEXT   NOT NULL,
    region              TEXT   NOT NULL,
    created_at          BIGINT NOT NULL,
    not_before          BIGINT NOT NULL,
    not_after           BIGINT NOT NULL,
    issued_at           BIGINT NOT NULL,
    imported_at         BIGINT NOT NULL,
    revoked_at          BIGINT NOT NULL,
    status              TEXT   NOT NULL,
    renewal_status      TEXT   NOT NULL,
    type                TEXT   NOT NULL,
    in_use              BIGINT NOT NULL,
    exported            BIGINT NOT NULL,
    export_option       TEXT   NOT NULL,
    managed_by          TEXT   NOT NULL,
    validation_method   TEXT   NOT NULL,
    key_algorithm       TEXT   NOT NULL,
    serial              TEXT   NOT NULL,
    common_name         TEXT   NOT NULL,
    renewal_eligibility TEXT   NOT NULL,
    key_pair_origin     TEXT   NOT NULL,
    root_hierarchy_type TEXT   NOT NULL,
    acme_endpoint_arn   TEXT   NOT NULL,
    acme_account_id     TEXT   NOT NULL
);

CREATE INDEX certificate_search_created_at ON certificate_search (account, region, created_at, arn);
CREATE INDEX certificate_search_not_before ON certificate_search (account, region, not_before, arn);
CREATE INDEX certificate_search_not_after ON certificate_search (account, region, not_after, arn);
CREATE INDEX certificate_search_issued_at ON certificate_search (account, region, issued_at, arn);
CREATE INDEX certificate_search_imported_at ON certificate_search (account, region, imported_at, arn);
CREATE INDEX certificate_search_revoked_at ON certificate_search (account, region, revoked_at, arn);
CREATE INDEX certificate_search_status ON certificate_search (account, region, status, arn);
CREATE INDEX certificate_search_renewal_status ON certificate_search (account, region, renewal_status, arn);
CREATE INDEX certificate_search_type ON certificate_search (account, region, type, arn);
CREATE INDEX certificate_search_in_use ON certificate_search (account, region, in_use, arn);
CREATE INDEX certificate_search_exported ON certificate_search (account, region, exported, arn);
CREATE INDEX certificate_search_export_option ON certificate_search (account, region, export_option, arn);
CREATE INDEX certificate_search_managed_by ON certificate_search (account, region, managed_by, arn);
CREATE INDEX certificate_search_validation_method ON certificate_search (account, region, validation_method, arn);
CREATE INDEX certificate_search_key_algorithm ON certificate_search (account, region, key_algorithm, arn);
CREATE INDEX certificate_search_serial ON certificate_search (account, region, serial, arn);
CREATE INDEX certificate_search_common_name ON certificate_search (account, region, common_name, arn);
CREATE INDEX certificate_search_renewal_eligibility ON certificate_search (account, region, renewal_eligibility, arn);
CREATE INDEX certificate_search_key_pair_origin ON certificate_search (account, region, key_pair_origin, arn);
CREATE INDEX certificate_search_root_hierarchy_type ON certificate_search (account, region, root_hierarchy_type, arn);
CREATE INDEX certificate_search_acme_endpoint_arn ON certificate_search (account, region, acme_endpoint_arn, arn);
CREATE INDEX certificate_search_acme_account_id ON certificate_search (account, region, acme_account_id, arn);

-- certificate_terms holds the multi-valued attributes: kind is 'CN' (the
-- subject common name), 'DNS' (a SAN DNS name), 'KU' (a key usage name)
-- or 'EKU' (an extended key usage name, 'NONE' when there is none).
-- Names are lower-cased.
CREATE TABLE certificate_terms (
    arn     TEXT NOT NULL REFERENCES certificates (arn) ON DELETE CASCADE,
    account TEXT NOT NULL,
    region  TEXT NOT NULL,
    kind    TEXT NOT NULL,
    term    TEXT NOT NULL,
    PRIMARY KEY (arn, kind, term)
);

CREATE INDEX certificate_terms_lookup ON certificate_terms (account, region, kind, term, arn);

-- certificate_term_grams holds every three-character substring of each CN
-- and DNS term, so a CONTAINS filter of three or more characters first
-- narrows the candidates by index and then checks each candidate's names.
CREATE TABLE certificate_term_grams (
    arn     TEXT NOT NULL REFERENCES certificates (arn) ON DELETE CASCADE,
    account TEXT NOT NULL,
    region  TEXT NOT NULL,
    kind    TEXT NOT NULL,
    gram    TEXT NOT NULL,
    PRIMARY KEY (arn, kind, gram)
);

CREATE INDEX certificate_term_grams_lookup ON certificate_term_grams (account, region, kind, gram, arn);

CREATE TABLE account_configurations (
    account            TEXT   NOT NULL,
    region             TEXT   NOT NULL,
    days_before_expiry BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    PRIMARY KEY (account, region)
);

-- Tokens of PutAccountConfiguration, apart from those of RequestCertificate
-- so one client token cannot collide across the two operations.
CREATE TABLE account_configuration_tokens (
    account    TEXT   NOT NULL,
    region     TEXT   NOT NULL,
    token      TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (account, region, token)
);
