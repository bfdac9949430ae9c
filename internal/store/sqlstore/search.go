package sqlstore

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/openacm/openacm/internal/store"
)

// searchColumns maps each SortBy value and each scalar search field to its
// certificate_search column. Integer columns are listed in integerColumns.
var searchColumns = map[string]string{
	"CREATED_AT":                  "created_at",
	"NOT_AFTER":                   "not_after",
	"STATUS":                      "status",
	"RENEWAL_STATUS":              "renewal_status",
	"EXPORTED":                    "exported",
	"IN_USE":                      "in_use",
	"NOT_BEFORE":                  "not_before",
	"KEY_ALGORITHM":               "key_algorithm",
	"TYPE":                        "type",
	"CERTIFICATE_ARN":             "arn",
	"COMMON_NAME":                 "common_name",
	"REVOKED_AT":                  "revoked_at",
	"RENEWAL_ELIGIBILITY":         "renewal_eligibility",
	"ISSUED_AT":                   "issued_at",
	"MANAGED_BY":                  "managed_by",
	"EXPORT_OPTION":               "export_option",
	"VALIDATION_METHOD":           "validation_method",
	"IMPORTED_AT":                 "imported_at",
	"ACME_ENDPOINT_ARN":           "acme_endpoint_arn",
	"ACME_ACCOUNT_ID":             "acme_account_id",
	"CERTIFICATE_KEY_PAIR_ORIGIN": "key_pair_origin",
}

var integerColumns = map[string]bool{
	"created_at": true, "not_after": true, "not_before": true, "issued_at": true,
	"imported_at": true, "revoked_at": true, "in_use": true, "exported": true,
}

// scalarFields are the search fields kept in a certificate_search column.
var scalarFields = map[store.SearchField]string{
	store.FieldARN:               "arn",
	store.FieldKeyAlgorithm:      "key_algorithm",
	store.FieldSerial:            "serial",
	store.FieldNotBefore:         "not_before",
	store.FieldNotAfter:          "not_after",
	store.FieldStatus:            "status",
	store.FieldRenewalStatus:     "renewal_status",
	store.FieldType:              "type",
	store.FieldInUse:             "in_use",
	store.FieldExported:          "exported",
	store.FieldExportOption:      "export_option",
	store.FieldManagedBy:         "managed_by",
	store.FieldValidationMethod:  "validation_method",
	store.FieldKeyPairOrigin:     "key_pair_origin",
	store.FieldRootHierarchyType: "root_hierarchy_type",
	store.FieldAcmeEndpointArn:   "acme_endpoint_arn",
	store.FieldAcmeAccountID:     "acme_account_id",
}

// termFields are the search fields kept in certificate_terms.
var termFields = map[store.SearchField]string{
	store.FieldCommonName:       termCommonName,
	store.FieldDNSName:          termDNSName,
	store.FieldKeyUsage:         termKeyUsage,
	store.FieldExtendedKeyUsage: termExtendedKeyUsage,
}

// prefixedCertificateColumns is certificateColumns qualified by the alias c.
var prefixedCertificateColumns = func() string {
	columns := strings.Split(certificateColumns, ",")
	for i, column := range columns {
		columns[i] = "c." + strings.TrimSpace(column)
	}
	return strings.Join(columns, ", ")
}()

// searchCursor is the position after the last certificate of a search page:
// its sort value and search id, which together are unique.
type searchCursor struct {
	SortBy     string          `json:"s"`
	Descending bool            `json:"d"`
	Value      json.RawMessage `json:"v"`
	ID         int64           `json:"i"`
}

// SearchCertificates returns one page of the certificates that match
// query.Filter, in the order of the sort column and then of their search
// ids. The filter becomes one set expression of search ids: each condition
// is an index lookup, and And, Or and Not become INTERSECT, UNION and
// EXCEPT. Only Not, and a search without a filter, read every id of the
// account, and they read them from an index.
func (s *Store) SearchCertificates(ctx context.Context, query store.SearchQuery) ([]*store.Certificate, string, error) {
	if query.Limit < 1 {
		return nil, "", fmt.Errorf("search certificates: limit %d is not positive", query.Limit)
	}
	sortColumn, ok := searchColumns[query.SortBy]
	if !ok {
		return nil, "", fmt.Errorf("search certificates: unknown sort key %q", query.SortBy)
	}
	descending, err := isDescending(query.Order)
	if err != nil {
		return nil, "", err
	}

	scope, found, err := s.readScope(ctx, query.Account, query.Region)
	if err != nil {
		return nil, "", fmt.Errorf("search certificates: %w", err)
	}

	b := &searchBuilder{store: s, scope: scope}
	conditions := []string{"s.scope = ?"}
	b.args = append(b.args, scope)

	// With a filter, the matching ids drive the query and are then sorted;
	// without one, the sort column's index is walked in order. CROSS JOIN
	// makes SQLite keep that join order.
	from := "certificate_search s"
	if query.Filter != nil {
		setBuilder := &searchBuilder{store: s, scope: scope}
		set, err := setBuilder.set(*query.Filter)
		if err != nil {
			return nil, "", fmt.Errorf("search certificates: %w", err)
		}
		from = "(" + set + ") AS m CROSS JOIN certificate_search s"
		conditions = append(conditions, "s.id = m.id")
		b.args = append(setBuilder.args, b.args...)
	}

	comparison, direction := ">", "ASC"
	if descending {
		comparison, direction = "<", "DESC"
	}
	if query.After != "" {
		value, id, err := decodeSearchCursor(query.After, query.SortBy, descending, integerColumns[sortColumn])
		if err != nil {
			return nil, "", err
		}
		conditions = append(conditions,
			"(s."+sortColumn+" "+comparison+" ? OR (s."+sortColumn+" = ? AND s.id "+comparison+" ?))")
		b.args = append(b.args, value, value, id)
	}
	if !found {
		// No certificate was ever stored in this account and region.
		return []*store.Certificate{}, "", nil
	}

	sqlText := `SELECT ` + prefixedCertificateColumns + `, s.` + sortColumn + `, s.id
		FROM ` + from + ` JOIN certificates c ON c.arn = s.arn
		WHERE ` + strings.Join(conditions, " AND ") + `
		ORDER BY s.` + sortColumn + ` ` + direction + `, s.id ` + direction + `
		LIMIT ?`
	return s.searchPage(ctx, sqlText, append(b.args, query.Limit+1), query, descending, integerColumns[sortColumn])
}

// searchPage runs the page query, whose last columns are the sort value
// and the search id, and builds the next cursor from the last row it keeps.
func (s *Store) searchPage(ctx context.Context, sqlText string, args []any, query store.SearchQuery, descending, integer bool) ([]*store.Certificate, string, error) {
	rows, err := s.reader.QueryContext(ctx, s.dialect.bind(sqlText), args...)
	if err != nil {
		return nil, "", fmt.Errorf("search certificates: %w", err)
	}
	defer rows.Close()

	var certs []*store.Certificate
	var sortValues []any
	var ids []int64
	for rows.Next() {
		var row certRow
		var sortValue any
		if integer {
			sortValue = new(int64)
		} else {
			sortValue = new(string)
		}
		var id int64
		if err := rows.Scan(append(row.scanTargets(), sortValue, &id)...); err != nil {
			return nil, "", fmt.Errorf("search certificates: %w", err)
		}
		cert, err := s.summaryFromRow(ctx, &row)
		if err != nil {
			return nil, "", fmt.Errorf("search certificates: %w", err)
		}
		certs = append(certs, cert)
		sortValues = append(sortValues, sortValue)
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("search certificates: %w", err)
	}

	if len(certs) <= query.Limit {
		return certs, "", nil
	}
	certs = certs[:query.Limit]
	value, err := json.Marshal(sortValues[query.Limit-1])
	if err != nil {
		return nil, "", fmt.Errorf("search certificates: encode cursor: %w", err)
	}
	cursor, err := json.Marshal(searchCursor{SortBy: query.SortBy, Descending: descending, Value: value, ID: ids[query.Limit-1]})
	if err != nil {
		return nil, "", fmt.Errorf("search certificates: encode cursor: %w", err)
	}
	return certs, base64.RawURLEncoding.EncodeToString(cursor), nil
}

// decodeSearchCursor parses a cursor from SearchCertificates made for the
// same sort key and order, or returns an error wrapping ErrBadCursor.
func decodeSearchCursor(text, sortBy string, descending, integer bool) (any, int64, error) {
	body, err := base64.RawURLEncoding.DecodeString(text)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: not base64url", ErrBadCursor)
	}
	var c searchCursor
	if err := json.Unmarshal(body, &c); err != nil {
		return nil, 0, fmt.Errorf("%w: not a cursor object", ErrBadCursor)
	}
	if c.ID == 0 || c.SortBy != sortBy || c.Descending != descending {
		return nil, 0, fmt.Errorf("%w: made for another search order", ErrBadCursor)
	}

	dec := json.NewDecoder(bytes.NewReader(c.Value))
	dec.UseNumber()
	var value any
	if err := dec.Decode(&value); err != nil {
		return nil, 0, fmt.Errorf("%w: bad sort value", ErrBadCursor)
	}
	switch v := value.(type) {
	case json.Number:
		n, err := strconv.ParseInt(v.String(), 10, 64)
		if err != nil || !integer {
			return nil, 0, fmt.Errorf("%w: bad sort value", ErrBadCursor)
		}
		return n, c.ID, nil
	case string:
		if integer {
			return nil, 0, fmt.Errorf("%w: bad sort value", ErrBadCursor)
		}
		return v, c.ID, nil
	default:
		return nil, 0, fmt.Errorf("%w: bad sort value", ErrBadCursor)
	}
}

// searchBuilder turns a filter tree into a SELECT of search ids, collecting
// its arguments in order. Name and usage lookups return ids of every
// scope, and the page query keeps those of scope.
type searchBuilder struct {
	store   *Store
	scope   int64
	args    []any
	aliases int
}

func (b *searchBuilder) set(c store.SearchCondition) (string, error) {
	switch {
	case c.Match != nil:
		return b.match(*c.Match)
	case c.Not != nil:
		// Arguments bind in text order, so the account's ids come first.
		all := b.allIDs()
		inner, err := b.set(*c.Not)
		if err != nil {
			return "", err
		}
		return all + " EXCEPT " + b.wrap(inner), nil
	case len(c.And) > 0:
		return b.compound(c.And, " INTERSECT ")
	case len(c.Or) > 0:
		return b.compound(c.Or, " UNION ")
	default:
		return b.allIDs(), nil
	}
}

// compound joins the sets of children with a set operator. Each child is
// wrapped in its own SELECT, because SQLite does not take a parenthesized
// compound as an operand.
func (b *searchBuilder) compound(children []store.SearchCondition, operator string) (string, error) {
	parts := make([]string, 0, len(children))
	for _, child := range children {
		inner, err := b.set(child)
		if err != nil {
			return "", err
		}
		parts = append(parts, b.wrap(inner))
	}
	return strings.Join(parts, operator), nil
}

func (b *searchBuilder) wrap(inner string) string {
	b.aliases++
	return "SELECT id FROM (" + inner + ") AS q" + strconv.Itoa(b.aliases)
}

func (b *searchBuilder) allIDs() string {
	b.args = append(b.args, b.scope)
	return "SELECT id FROM certificate_search WHERE scope = ?"
}

func (b *searchBuilder) match(m store.SearchMatch) (string, error) {
	if kind, ok := termFields[m.Field]; ok {
		return b.termMatch(kind, m)
	}

	column, ok := scalarFields[m.Field]
	if !ok {
		return "", fmt.Errorf("unknown search field %q", m.Field)
	}
	base := "SELECT id FROM certificate_search WHERE scope = ? AND "
	b.args = append(b.args, b.scope)

	switch m.Op {
	case store.Equals:
		b.args = append(b.args, m.Value)
		if column == "serial" && m.Value != "" {
			// The serial index leaves out empty serials, so the planner
			// uses it only when the query excludes them too.
			return base + column + " = ? AND serial <> ''", nil
		}
		return base + column + " = ?", nil
	case store.IsTrue, store.IsFalse:
		b.args = append(b.args, boolInt(m.Op == store.IsTrue))
		return base + column + " = ?", nil
	case store.InRange:
		// Unset times are 0 and never fall in a range.
		condition := column + " > 0"
		// Stored times are whole seconds, so a bound with a fraction
		// rounds inward: up for From, down (by Unix) for To.
		if !m.From.IsZero() {
			from := m.From.Unix()
			if m.From.Nanosecond() > 0 {
				from++
			}
			condition += " AND " + column + " >= ?"
			b.args = append(b.args, from)
		}
		if !m.To.IsZero() {
			condition += " AND " + column + " <= ?"
			b.args = append(b.args, m.To.Unix())
		}
		return base + condition, nil
	default:
		return "", fmt.Errorf("search field %q does not take operator %q", m.Field, m.Op)
	}
}

// termMatch looks a name or usage up in certificate_terms. A CONTAINS of
// at least gramLength characters first intersects the gram postings of the
// value, so only certificates that have every gram, and those whose grams
// are deferred (certificate_grams_deferred), get their names checked.
// NOTE: every deferred certificate, in any account, is checked. The gram
// indexer empties that list whenever the writer is quiet, and under
// sustained writes keeps it near gramBacklogLimit (gram_indexer.go).
func (b *searchBuilder) termMatch(kind string, m store.SearchMatch) (string, error) {
	value := m.Value
	if kind == termCommonName || kind == termDNSName {
		value = strings.ToLower(value)
	}

	switch m.Op {
	case store.Equals:
		b.args = append(b.args, kind, value)
		return "SELECT id FROM certificate_terms WHERE kind = ? AND term = ?", nil
	case store.Contains:
		if kind != termCommonName && kind != termDNSName {
			return "", fmt.Errorf("search field %q does not take CONTAINS", m.Field)
		}
		valueGrams := grams(value)
		if len(valueGrams) == 0 {
			// NOTE: a value shorter than gramLength has no gram to look up, so
			// it checks every name of this kind in every account.
			b.args = append(b.args, kind, value)
			return "SELECT DISTINCT id FROM certificate_terms WHERE kind = ? AND " + b.store.dialect.containsExpr("term"), nil
		}

		// The candidates drive the query (CROSS JOIN keeps that order in
		// SQLite): each has every gram of the value or has its grams
		// deferred, and its names of this kind are then read by primary
		// key. Both databases read "A INTERSECT B UNION C" as
		// (A INTERSECT B) UNION C.
		postings := make([]string, 0, len(valueGrams))
		for _, gram := range valueGrams {
			postings = append(postings, "SELECT id FROM certificate_term_grams WHERE gram = ?")
			b.args = append(b.args, gram)
		}
		b.args = append(b.args, kind, value)
		b.aliases++
		alias := "g" + strconv.Itoa(b.aliases)
		candidates := strings.Join(postings, " INTERSECT ") + " UNION SELECT id FROM certificate_grams_deferred"
		return "SELECT DISTINCT t.id FROM (" + candidates + ") AS " + alias +
			" CROSS JOIN certificate_terms t WHERE t.id = " + alias + ".id AND t.kind = ?" +
			" AND " + b.store.dialect.containsExpr("t.term"), nil
	default:
		return "", fmt.Errorf("search field %q does not take operator %q", m.Field, m.Op)
	}
}
