-- The worker's sweep of issued certificates reads only the ones whose
-- NotAfter is near (DueIssuedCertificates in issued.go), in NotAfter
-- order, so a certificate far from expiry costs the sweep nothing.
CREATE INDEX certificate_search_due ON certificate_search (status, not_after, id);
