package sqlstore

import (
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
}

var sqliteDialect = dialect{
	name:         "sqlite",
	positionFunc: "instr",
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
