-- secrets holds server-wide secret values, such as the private keys of
-- OpenACM's own CA. Every value is sealed with the master key (see
-- sealed.go), so the database never holds one in clear.
CREATE TABLE secrets (
    name  TEXT NOT NULL PRIMARY KEY,
    value BLOB NOT NULL
);
