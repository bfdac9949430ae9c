-- The worker claims ISSUED private certificates whose renewal is pending
-- along with PENDING_VALIDATION ones. Without this index that claim reads
-- the details of every ISSUED certificate. The predicate must stay the
-- one that ClaimPendingCertificates writes (leases.go), or the query
-- planner stops using the index.
CREATE INDEX certificates_pending_private_renewal ON certificates (status, type, created_at, arn)
    WHERE status = 'ISSUED' AND type = 'PRIVATE'
    AND strpos(details, '"renewal":{"status":"PENDING_AUTO_RENEWAL"') > 0;
