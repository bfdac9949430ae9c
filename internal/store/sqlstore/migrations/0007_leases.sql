-- leases lets several nodes share background work. A node works on a job
-- only while it holds the job's row, and another node may take the row
-- over once expires_at has passed. name is the job, such as "certificate:"
-- followed by the certificate's ARN. holder is the id of the node.
-- expires_at is a UTC Unix time in nanoseconds, read from the holder's clock.
CREATE TABLE leases (
    name       TEXT   NOT NULL PRIMARY KEY,
    holder     TEXT   NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE INDEX leases_by_holder ON leases (holder);
