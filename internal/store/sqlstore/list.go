package sqlstore

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/openacm/openacm/internal/store"
)

// listCursor is the position after the last certificate of a page. Pages
// are cut on (created_at, arn), which is unique, so rows that share a
// creation time are neither repeated nor skipped.
type listCursor struct {
	CreatedAt  int64  `json:"t"`
	ARN        string `json:"a"`
	Descending bool   `json:"d"`
}

func encodeCursor(c listCursor) string {
	body, err := json.Marshal(c)
	if err != nil {
		// Marshaling a struct of an int64, a string and a bool cannot fail.
		panic(fmt.Sprintf("encode list cursor: %v", err))
	}

	return base64.RawURLEncoding.EncodeToString(body)
}

// decodeCursor parses a cursor from encodeCursor. Any other text, or a
// cursor made for the other sort order, returns an error wrapping
// ErrBadCursor.
func decodeCursor(text string, descending bool) (listCursor, error) {
	body, err := base64.RawURLEncoding.DecodeString(text)
	if err != nil {
		return listCursor{}, fmt.Errorf("%w: not base64url", ErrBadCursor)
	}

	var c listCursor
	if err := json.Unmarshal(body, &c); err != nil {
		return listCursor{}, fmt.Errorf("%w: not a cursor object", ErrBadCursor)
	}

	if c.ARN == "" {
		return listCursor{}, fmt.Errorf("%w: no ARN", ErrBadCursor)
	}

	if c.Descending != descending {
		return listCursor{}, fmt.Errorf("%w: made for the other sort order", ErrBadCursor)
	}

	return c, nil
}

// ListCertificates returns one page of summaries of the account's
// certificates in the region that pass every filter of query, ordered by
// creation time and then ARN. The cursor it returns is "" on the last page. A malformed
// query.After returns an error wrapping ErrBadCursor.
func (s *Store) ListCertificates(ctx context.Context, query store.ListQuery) ([]*store.Certificate, string, error) {
	if query.Limit < 1 {
		return nil, "", fmt.Errorf("list certificates: limit %d is not positive", query.Limit)
	}

	descending, err := isDescending(query.Order)
	if err != nil {
		return nil, "", err
	}

	sqlText, args, err := s.listSQL(query, descending)
	if err != nil {
		return nil, "", fmt.Errorf("list certificates: %w", err)
	}

	// One row past the page shows whether another page follows.
	certs, unsummarized, err := s.queryListRows(ctx, query, sqlText, append(args, query.Limit+1))
	if err != nil {
		return nil, "", fmt.Errorf("list certificates: %w", err)
	}
	for _, i := range unsummarized {
		row, err := s.getCertificateDetailRow(ctx, certs[i].Account, certs[i].Region, certs[i].ARN)
		if errors.Is(err, store.ErrNotFound) {
			continue // deleted since the page was read
		}
		if err != nil {
			return nil, "", fmt.Errorf("list certificates: %w", err)
		}
		if certs[i], err = row.summary(); err != nil {
			return nil, "", fmt.Errorf("list certificates: %w", err)
		}
	}

	if len(certs) <= query.Limit {
		return certs, "", nil
	}

	certs = certs[:query.Limit]
	last := certs[len(certs)-1]
	// The time was read from an int64 column, so it converts back without error.
	createdAt, _ := unixNanos(last.CreatedAt)
	next := encodeCursor(listCursor{CreatedAt: createdAt, ARN: last.ARN, Descending: descending})

	return certs, next, nil
}

// queryListRows runs the page query and converts each row to a summary. It
// also returns the positions of rows written without a summary column,
// whose summaries lack the fields of details until the caller reads them.
func (s *Store) queryListRows(ctx context.Context, query store.ListQuery, sqlText string, args []any) ([]*store.Certificate, []int, error) {
	rows, err := s.query(ctx, sqlText, args...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()

	// Every row of the page has the query's account and region, so they
	// are not read, and one row and its scan targets serve every row.
	row := certRow{Account: query.Account, Region: query.Region}
	var attributes string
	targets := []any{&row.ARN, &attributes, &row.CreatedAt, &row.Details, &row.Version, &row.UpdatedAt}
	// ListCertificates allows at most 1000 items a page, so a larger limit
	// comes from an internal caller and grows the slice as rows arrive.
	certs := make([]*store.Certificate, 0, min(query.Limit+1, 1001))
	arena := newPageArena(cap(certs))
	var unsummarized []int
	for rows.Next() {
		if err := rows.Scan(targets...); err != nil {
			return nil, nil, err
		}
		if err := row.splitListAttributes(attributes); err != nil {
			return nil, nil, err
		}
		if row.Details == "" {
			// A row written without its summary column; the caller reads
			// its details after this query's rows are closed.
			row.Details = "{}"
			unsummarized = append(unsummarized, len(certs))
		}
		cert, err := row.summaryIn(arena)
		if err != nil {
			return nil, nil, err
		}
		certs = append(certs, cert)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	return certs, unsummarized, nil
}

func isDescending(order store.SortOrder) (bool, error) {
	switch order {
	case "", store.Ascending:
		return false, nil
	case store.Descending:
		return true, nil
	default:
		return false, fmt.Errorf("list certificates: unknown sort order %q", order)
	}
}

// listSQL builds the page query. Its last placeholder is the row limit,
// which the caller appends to args.
func (s *Store) listSQL(query store.ListQuery, descending bool) (string, []any, error) {
	conditions := []string{"account = ?", "region = ?"}
	args := []any{query.Account, query.Region}

	addIn := func(column string, values []string) {
		if len(values) == 0 {
			return
		}
		conditions = append(conditions, column+" IN ("+placeholders(len(values))+")")
		for _, v := range values {
			args = append(args, v)
		}
	}

	// A certificate passes a usage filter when it has any of the names.
	addAnyName := func(column string, names []string) {
		if len(names) == 0 {
			return
		}
		alternatives := make([]string, len(names))
		for i, name := range names {
			alternatives[i] = s.dialect.containsExpr(column)
			args = append(args, ","+name+",")
		}
		conditions = append(conditions, "("+strings.Join(alternatives, " OR ")+")")
	}

	addIn("status", query.Statuses)
	addIn("type", query.Types)
	addIn("key_algorithm", query.KeyAlgorithms)
	addAnyName("key_usages", query.KeyUsages)
	addAnyName("extended_key_usages", query.ExtendedKeyUsages)

	if query.ExportOption != "" {
		conditions = append(conditions, "export_option = ?")
		args = append(args, query.ExportOption)
	}

	if query.ManagedBy != "" {
		conditions = append(conditions, "managed_by = ?")
		args = append(args, query.ManagedBy)
	}

	comparison, direction := ">", "ASC"
	if descending {
		comparison, direction = "<", "DESC"
	}

	if query.After != "" {
		c, err := decodeCursor(query.After, descending)
		if err != nil {
			return "", nil, err
		}
		// The bound on created_at alone is what lets the database start the
		// index range at the cursor. With only the OR below, SQLite reads
		// every index entry of the account before the cursor, so a page
		// cost grew with its position.
		conditions = append(conditions,
			"created_at "+comparison+"= ?",
			"(created_at "+comparison+" ? OR arn "+comparison+" ?)")
		args = append(args, c.CreatedAt, c.CreatedAt, c.ARN)
	}

	sqlText := `SELECT ` + certificateListColumns + ` FROM certificates
		WHERE ` + strings.Join(conditions, " AND ") + `
		ORDER BY created_at ` + direction + `, arn ` + direction + `
		LIMIT ?`

	return sqlText, args, nil
}

// placeholders returns n comma-separated "?".
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// splitListAttributes sets the seven text columns that
// certificateListColumns joins into attributes.
func (r *certRow) splitListAttributes(attributes string) error {
	fields := [...]*string{&r.Status, &r.Type, &r.KeyAlgorithm, &r.ExportOption, &r.ManagedBy, &r.KeyUsages}
	rest := attributes
	for _, field := range fields {
		value, after, found := strings.Cut(rest, listAttributeSeparator)
		if !found {
			return fmt.Errorf("certificate %s: list attributes %q have fewer than 7 fields", r.ARN, attributes)
		}
		*field, rest = value, after
	}
	r.ExtendedKeyUsages = rest
	return nil
}
