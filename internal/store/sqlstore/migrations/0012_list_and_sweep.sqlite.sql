-- Cheaper listing and sweeping of certificates.
--
-- summary holds the part of details that ListCertificates shows, as JSON
-- with the same names (certSummaryDetails in rows.go). A page used to read
-- details, which in SQLite lies after the PEM and key columns, so every row
-- read walked the row's overflow pages; and decoded all of details.
ALTER TABLE certificates ADD COLUMN summary TEXT NOT NULL DEFAULT '';

-- details without the fields that a summary does not show.
UPDATE certificates SET summary = json_remove(details, '$.failure_reason', '$.validation_method', '$.domain_validations', '$.certificate_authority_arn', '$.ct_logging_preference', '$.revocation_reason', '$.serial', '$.subject', '$.issuer', '$.signature_algorithm', '$.validation_started_at', '$.renewal', '$.expiry_notice_at', '$.key_usages', '$.extended_key_usages');

-- Every column that a page of ListCertificates reads or filters by, so a
-- page reads this index and no certificate row. It starts with the columns
-- of certificates_by_account_region_created, which it replaces.
CREATE INDEX certificates_list ON certificates (account, region, created_at, arn,
    status, type, key_algorithm, export_option, managed_by, key_usages, extended_key_usages,
    version, updated_at, summary);
DROP INDEX certificates_by_account_region_created;

-- The worker's sweep of issued certificates reads only the ones whose
-- NotAfter is near (DueIssuedCertificates in issued.go), in NotAfter
-- order, so a certificate far from expiry costs the sweep nothing. It no
-- longer pages through every ISSUED certificate in ARN order.
CREATE INDEX certificate_search_due ON certificate_search (status, not_after, id);
DROP INDEX certificates_by_status_arn;
