-- Smaller search index and one copy of each certificate chain.
--
-- The search tables of 0002 repeated the ARN, account and region in every
-- row and index entry, about 25 KB per certificate. Here they refer to a
-- certificate by an integer id and to an account and region by an integer
-- scope, and the name substrings are no longer kept per name kind. The old
-- tables are dropped, and the store rebuilds the search rows of every
-- certificate when it opens the database (indexMissing in search_index.go).
-- The PostgreSQL twin of this file has the same tables and columns, with
-- id added to the end of each index, where SQLite adds the rowid itself.

DROP TABLE certificate_term_grams;
DROP TABLE certificate_terms;
DROP TABLE certificate_search;

-- certificate_scopes gives each account and region that has certificates
-- a small number. Rows are never deleted, so a cached id stays valid.
CREATE TABLE certificate_scopes (
    id      INTEGER PRIMARY KEY,
    account TEXT NOT NULL,
    region  TEXT NOT NULL,
    UNIQUE (account, region)
);

-- certificate_search has one row per certificate with every attribute that
-- SearchCertificates filters or sorts by. id is the SQLite rowid, so every
-- index below ends with it, and results that tie on the sort column come
-- in id order, the order in which certificates were first indexed. Times
-- are Unix seconds. Unset times are 0 and unset text is ''. in_use and
-- exported are 0 or 1. common_name keeps its case for sorting; filters on
-- names use certificate_terms.
CREATE TABLE certificate_search (
    id                  INTEGER PRIMARY KEY,
    scope               BIGINT NOT NULL,
    arn                 TEXT   NOT NULL,
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

CREATE UNIQUE INDEX certificate_search_arn ON certificate_search (scope, arn);
-- serial first, so that an OCSP lookup, which knows no account, uses it too.
CREATE INDEX certificate_search_serial ON certificate_search (serial, scope);
CREATE INDEX certificate_search_created_at ON certificate_search (scope, created_at);
CREATE INDEX certificate_search_not_before ON certificate_search (scope, not_before);
CREATE INDEX certificate_search_not_after ON certificate_search (scope, not_after);
CREATE INDEX certificate_search_issued_at ON certificate_search (scope, issued_at);
CREATE INDEX certificate_search_imported_at ON certificate_search (scope, imported_at);
CREATE INDEX certificate_search_revoked_at ON certificate_search (scope, revoked_at);
CREATE INDEX certificate_search_status ON certificate_search (scope, status);
CREATE INDEX certificate_search_renewal_status ON certificate_search (scope, renewal_status);
CREATE INDEX certificate_search_type ON certificate_search (scope, type);
CREATE INDEX certificate_search_in_use ON certificate_search (scope, in_use);
CREATE INDEX certificate_search_exported ON certificate_search (scope, exported);
CREATE INDEX certificate_search_export_option ON certificate_search (scope, export_option);
CREATE INDEX certificate_search_managed_by ON certificate_search (scope, managed_by);
CREATE INDEX certificate_search_validation_method ON certificate_search (scope, validation_method);
CREATE INDEX certificate_search_key_algorithm ON certificate_search (scope, key_algorithm);
CREATE INDEX certificate_search_common_name ON certificate_search (scope, common_name);
CREATE INDEX certificate_search_renewal_eligibility ON certificate_search (scope, renewal_eligibility);
CREATE INDEX certificate_search_key_pair_origin ON certificate_search (scope, key_pair_origin);
-- root_hierarchy_type, acme_endpoint_arn and acme_account_id have no index:
-- OpenACM sets none of them, so every row holds '', and a filter or sort on
-- one reads the scope through another index.

-- certificate_terms holds the multi-valued attributes of certificate id:
-- kind is 'CN' (the subject common name), 'DNS' (a SAN DNS name), 'KU' (a
-- key usage name) or 'EKU' (an extended key usage name, 'NONE' when there
-- is none). Names are lower-cased. Lookups by term cover every scope; the
-- search joins certificate_search to keep one scope.
CREATE TABLE certificate_terms (
    id   BIGINT NOT NULL,
    kind TEXT   NOT NULL,
    term TEXT   NOT NULL,
    PRIMARY KEY (id, kind, term)
) WITHOUT ROWID;

CREATE INDEX certificate_terms_lookup ON certificate_terms (kind, term);

-- certificate_term_grams holds every three-character substring of the CN
-- and DNS terms of certificate id, once per certificate whatever the kind,
-- so a CONTAINS filter of three or more characters first narrows the
-- candidates by index and then checks each candidate's names of the kind.
CREATE TABLE certificate_term_grams (
    gram TEXT   NOT NULL,
    id   BIGINT NOT NULL,
    PRIMARY KEY (gram, id)
) WITHOUT ROWID;

-- certificate_chains keeps each distinct chain once, by its SHA-256.
-- Certificates issued by one CA share one chain, which was a third of
-- each certificate row. chain_digest names a certificate's chain; until
-- the store moves it (moveInlineChains in certificates.go), a row written
-- before this version keeps its chain in certificate_chain_pem.
CREATE TABLE certificate_chains (
    digest    BLOB NOT NULL PRIMARY KEY,
    chain_pem TEXT NOT NULL
);

ALTER TABLE certificates ADD COLUMN chain_digest BLOB;

-- Empty once every inline chain has moved, so finding one costs nothing.
CREATE INDEX certificates_with_inline_chain ON certificates (arn) WHERE certificate_chain_pem <> '';

-- The store indexes every certificate again at its next open, because
-- the search tables above start empty.
INSERT INTO settings (name, value) VALUES ('search_index_rebuild', '');
