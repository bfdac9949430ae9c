package sqlstore

import (
	"regexp"
	"strconv"
	"strings"
)

// dialect is the SQL that differs between databases. Every query in this
// package is written once with "?" placeholders and passed through bind.
type dialect struct {
	name string

	// numberedPlaceholders is true for databases that take $1, $2, …
	// (PostgreSQL) in place of "?".
	numberedPlaceholders bool

	// positionFunc is the function that returns where its second argument
	// starts in its first, or 0 when absent: instr in SQLite, strpos in
	// PostgreSQL.
	positionFunc string

	// lockRow ends a SELECT that must lock the rows it reads until the
	// transaction ends: " FOR UPDATE" in PostgreSQL. SQLite has no row
	// locks and needs none, because its writer transactions run one at a
	// time (BEGIN IMMEDIATE on a one-connection pool).
	lockRow string

	// skipLocked ends a SELECT that must lock the rows it reads and leave
	// out rows another transaction has locked: " FOR UPDATE SKIP LOCKED" in
	// PostgreSQL, "" in SQLite for the reason given for lockRow.
	skipLocked string

	// migrationLock is the statement that makes concurrent migrations of one
	// database wait for each other, run first in the migration transaction,
	// or "" when the transaction alone serializes them.
	migrationLock string

	// byteType is the column type of raw bytes that migrations spell BLOB.
	byteType string
}

var sqliteDialect = dialect{
	name:         "sqlite",
	positionFunc: "instr",
	byteType:     "BLOB",
}

// migrationLockClass is the first key of the PostgreSQL advisory lock
// taken while migrating ("OACM" in ASCII). The second key is a hash of the
// schema, so test runs that migrate separate schemas at once do not wait
// for each other.
const migrationLockClass = 0x4f41434d

var postgresDialect = dialect{
	name:                 "postgres",
	numberedPlaceholders: true,
	positionFunc:         "strpos",
	lockRow:              " FOR UPDATE",
	skipLocked:           " FOR UPDATE SKIP LOCKED",
	migrationLock:        "SELECT pg_advisory_xact_lock(" + strconv.Itoa(migrationLockClass) + ", hashtext(current_schema()))",
	byteType:             "BYTEA",
}

// bind rewrites the "?" placeholders of query for the database.
func (d dialect) bind(query string) string {
	if !d.numberedPlaceholders {
		return query
	}

	return numberPlaceholders(query)
}

// containsExpr returns a condition that is true when column contains the
// text bound to its one "?" placeholder. Unlike LIKE, it treats "_" and "%"
// as plain characters and is case-sensitive in every database.
func (d dialect) containsExpr(column string) string {
	return d.positionFunc + "(" + column + ", ?) > 0"
}

// blobWord matches the type name BLOB as a whole word.
var blobWord = regexp.MustCompile(`\bBLOB\b`)

// migrationSQL rewrites a portable migration for the database: the one
// type name that differs, BLOB, becomes the database's byte type. The
// rules migrations follow are in migrations/README.md.
func (d dialect) migrationSQL(text string) string {
	if d.byteType == "BLOB" {
		return text
	}

	return blobWord.ReplaceAllString(text, d.byteType)
}

// numberPlaceholders replaces each "?" outside single-quoted literals with
// $1, $2, … in order.
func numberPlaceholders(query string) string {
	var out strings.Builder
	out.Grow(len(query) + 16)

	inLiteral := false
	next := 1
	for _, r := range query {
		switch {
		case r == '\'':
			// A doubled quote inside a literal toggles twice, so it stays inside.
			inLiteral = !inLiteral
			out.WriteRune(r)
		case r == '?' && !inLiteral:
			out.WriteString("$" + strconv.Itoa(next))
			next++
		default:
			out.WriteRune(r)
		}
	}

	return out.String()
}
