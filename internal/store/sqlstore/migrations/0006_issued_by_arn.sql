-- The worker pages through every ISSUED certificate in ARN order to expire,
-- renew and announce them; this index serves that scan.
CREATE INDEX certificates_by_status_arn
    ON certificates (status, arn);
