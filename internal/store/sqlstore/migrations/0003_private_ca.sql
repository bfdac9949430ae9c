-- Private CAs of the acm-pca API and what they issue. Times are UTC Unix
-- nanoseconds, as in 0001. private_key holds only signing keys; no other
-- column of these tables holds secret material.

-- certificate_authorities has columns for what queries select by; the rest
-- of the record is the JSON object in details.
CREATE TABLE certificate_authorities (
    arn         TEXT   NOT NULL PRIMARY KEY,
    account     TEXT   NOT NULL,
    region      TEXT   NOT NULL,
    status      TEXT   NOT NULL,
    created_at  BIGINT NOT NULL,
    private_key BLOB,
    details     TEXT   NOT NULL,
    version     BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE INDEX certificate_authorities_by_account_region_created
    ON certificate_authorities (account, region, created_at, arn);

CREATE INDEX certificate_authorities_by_status_created
    ON certificate_authorities (status, created_at);

CREATE TABLE certificate_authority_tags (
    arn       TEXT   NOT NULL REFERENCES certificate_authorities (arn) ON DELETE CASCADE,
    tag_key   TEXT   NOT NULL,
    tag_value TEXT,
    position  BIGINT NOT NULL,
    PRIMARY KEY (arn, tag_key)
);

-- serial is lower-case hex without separators; revoked_at is 0 while the
-- certificate is not revoked.
CREATE TABLE pca_issued_certificates (
    arn                     TEXT   NOT NULL PRIMARY KEY,
    ca_arn                  TEXT   NOT NULL REFERENCES certificate_authorities (arn) ON DELETE CASCADE,
    serial                  TEXT   NOT NULL,
    certificate_pem         TEXT   NOT NULL,
    issued_at               BIGINT NOT NULL,
    not_after               BIGINT NOT NULL,
    acm_certificate_arn     TEXT   NOT NULL,
    revoked_at              BIGINT NOT NULL,
    revocation_reason       TEXT   NOT NULL
);

CREATE UNIQUE INDEX pca_issued_certificates_by_serial
    ON pca_issued_certificates (ca_arn, serial);

CREATE INDEX pca_issued_certificates_revoked
    ON pca_issued_certificates (ca_arn, revoked_at);

-- actions is a comma-separated list of acm-pca action names.
CREATE TABLE pca_permissions (
    ca_arn         TEXT   NOT NULL REFERENCES certificate_authorities (arn) ON DELETE CASCADE,
    principal      TEXT   NOT NULL,
    source_account TEXT   NOT NULL,
    actions        TEXT   NOT NULL,
    created_at     BIGINT NOT NULL,
    PRIMARY KEY (ca_arn, principal, source_account)
);

CREATE TABLE pca_audit_reports (
    id          TEXT   NOT NULL PRIMARY KEY,
    ca_arn      TEXT   NOT NULL REFERENCES certificate_authorities (arn) ON DELETE CASCADE,
    bucket_name TEXT   NOT NULL,
    object_key  TEXT   NOT NULL,
    format      TEXT   NOT NULL,
    status      TEXT   NOT NULL,
    created_at  BIGINT NOT NULL,
    body        BLOB   NOT NULL
);

-- Idempotency tokens of CreateCertificateAuthority (scope is the account
-- and region) and IssueCertificate (scope is the CA ARN).
CREATE TABLE pca_idempotency_tokens (
    scope      TEXT   NOT NULL,
    token      TEXT   NOT NULL,
    arn        TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (scope, token)
);
