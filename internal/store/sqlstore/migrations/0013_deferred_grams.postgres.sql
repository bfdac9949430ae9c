-- Substring grams of a requested certificate are written when it is first
-- updated, not when it is requested.
--
-- A new name's grams land on a different page of certificate_term_grams
-- each, so they were about half of the pages a RequestCertificate wrote
-- to the WAL. Certificates requested in PENDING_VALIDATION are issued or
-- failed by one later write, which the worker makes for many certificates
-- in one group commit, where grams share pages. Until then a certificate's
-- id is listed here, and a CONTAINS search checks the names of every
-- listed certificate besides the ones its grams find (search.go).
CREATE TABLE certificate_grams_deferred (
    id BIGINT NOT NULL PRIMARY KEY
);

-- A requested certificate has no serial until it is issued, and every
-- lookup by serial names one (CertificateBySerial in pca_records.go and
-- the serial filter in search.go add serial <> '' so that the planner
-- picks this index). Leaving the empty serials out saves an index write
-- at request and another at issuance.
DROP INDEX certificate_search_serial;
CREATE INDEX certificate_search_serial ON certificate_search (serial, scope) WHERE serial <> '';
