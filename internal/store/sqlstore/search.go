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
// its sort value and ARN, which together are unique.
type searchCursor struct {
	SortBy     string          `json:"s"`
	Descending bool            `json:"d"`
	Value      json.RawMessage `json:"v"`
	ARN        string          `json:"a"`
}

// SearchCertificates returns one page of the certificates that match
// query.Filter. The filter becomes one set expression of ARNs: each
// condition is an index lookup, and And, Or and Not become INTERSECT,
// UNION and EXCEPT. Only Not, and a search without a filter, read every
// ARN of the account, and they read them from an index.
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

	b := &searchBuilder{store: s, account: query.Account, region: query.Region}
	conditions := []string{"s.account = ?", "s.region = ?"}
	b.args = append(b.args, query.Account, query.Region)

	// With a filter, the matching ARNs drive the query and are then sorted;
	// without one, the sort column's index is walked in order.
	from := "certificate_search s"
	if query.Filter != nil {
		setBuilder := &searchBuilder{store: s, account: query.Account, region: query.Region}
		set, err := setBuilder.set(*query.Filter)
		if err != nil {
			return nil, "", fmt.Errorf("search certificates: %w", err)
		}
		from = "(" + set + ") AS m JOIN certificate_search s ON s.arn = m.arn"
		b.args = append(setBuilder.args, b.args...)
	}

	comparison, direction := ">", "ASC"
	if descending {
		comparison, direction = "<", "DESC"
	}
	if query.After != "" {
		value, arn, err := decodeSearchCursor(query.After, query.SortBy, descending, integerColumns[sortColumn])
		if err != nil {
			return nil, "", err
		}
		conditions = append(conditions,
			"(s."+sortColumn+" "+comparison+" ? OR (s."+sortColumn+" = ? AND s.arn "+comparison+" ?))")
		b.args = append(b.args, value, value, arn)
	}

	sqlText := `SELECT ` + prefixedCertificateColumns + `, s.` + sortColumn + `
		FROM ` + from + ` JOIN certificates c ON c.arn = s.arn
		WHERE ` + strings.Join(conditions, " AND ") + `
		ORDER BY s.` + sortColumn + ` ` + direction + `, s.arn ` + direction + `
		LIMIT ?`
	return s.searchPage(ctx, sqlText, append(b.args, query.Limit+1), query, descending, integerColumns[sortColumn])
}

// searchPage runs the page query, whose last column is the sort value, and
// builds the next cursor from the last row it keeps.
func (s *Store) searchPage(ctx context.Context, sqlText string, args []any, query store.SearchQuery, descending, integer bool) ([]*store.Certificate, string, error) {
	rows, err := s.reader.QueryContext(ctx, s.dialect.bind(sqlText), args...)
	if err != nil {
		return nil, "", fmt.Errorf("search certificates: %w", err)
	}
	defer rows.Close()

	var certs []*store.Certificate
	var sortValues []any
	for rows.Next() {
		var row certRow
		var sortValue any
		if integer {
			sortValue = new(int64)
		} else {
			sortValue = new(string)
		}
		if err := rows.Scan(append(row.scanTargets(), sortValue)...); err != nil {
			return nil, "", fmt.Errorf("search certificates: %w", err)
		}
		cert, err := summaryFromRow(&row)
		if err != nil {
			return nil, "", fmt.Errorf("search certificates: %w", err)
		}
		certs = append(certs, cert)
		sortValues = append(sortValues, sortValue)
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
	cursor, err := json.Marshal(searchCursor{SortBy: query.SortBy, Descending: descending, Value: value, ARN: certs[len(certs)-1].ARN})
	if err != nil {
		return nil, "", fmt.Errorf("search certificates: encode cursor: %w", err)
	}
	return certs, base64.RawURLEncoding.EncodeToString(cursor), nil
}

// decodeSearchCursor parses a cursor from SearchCertificates made for the
// same sort key and order, or returns an error wrapping ErrBadCursor.
func decodeSearchCursor(text, sortBy string, descending, integer bool) (any, string, error) {
	body, err := base64.RawURLEncoding.DecodeString(text)
	if err != nil {
		return nil, "", fmt.Errorf("%w: not base64url", ErrBadCursor)
	}
	var c searchCursor
	if err := json.Unmarshal(body, &c); err != nil {
		return nil, "", fmt.Errorf("%w: not a cursor object", ErrBadCursor)
	}
	if c.ARN == "" || c.SortBy != sortBy || c.Descending != descending {
		return nil, "", fmt.Errorf("%w: made for another search order", ErrBadCursor)
	}

	dec := json.NewDecoder(bytes.NewReader(c.Value))
	dec.UseNumber()
	var value any
	if err := dec.Decode(&value); err != nil {
		return nil, "", fmt.Errorf("%w: bad sort value", ErrBadCursor)
	}
	switch v := value.(type) {
	case json.Number:
		n, err := strconv.ParseInt(v.String(), 10, 64)
		if err != nil || !integer {
			return nil, "", fmt.Errorf("%w: bad sort value", ErrBadCursor)
		}
		return n, c.ARN, nil
	case string:
		if integer {
			return nil, "", fmt.Errorf("%w: bad sort value", ErrBadCursor)
		}
		return v, c.ARN, nil
	default:
		return nil, "", fmt.Errorf("%w: bad sort value", ErrBadCursor)
	}
}

// searchBuilder turns a filter tree into a SELECT of ARNs, collecting its
// arguments in order.
type searchBuilder struct {
	store   *Store
	account string
	region  string
	args    []any
	aliases int
}

func (b *searchBuilder) set(c store.SearchCondition) (string, error) {
	switch {
	case c.Match != nil:
		return b.match(*c.Match)
	case c.Not != nil:
		// Arguments bind in text order, so the account's ARNs come first.
		all := b.allARNs()
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
		return b.allARNs(), nil
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
	return "SELECT arn FROM (" + inner + ") AS q" + strconv.Itoa(b.aliases)
}

func (b *searchBuilder) allARNs() string {
	b.args = append(b.args, b.account, b.region)
	return "SELECT arn FROM certificate_search WHERE account = ? AND region = ?"
}

func (b *searchBuilder) match(m store.SearchMatch) (string, error) {
	if kind, ok := termFields[m.Field]; ok {
		return b.termMatch(kind, m)
	}

	column, ok := scalarFields[m.Field]
	if !ok {
		return "", fmt.Errorf("unknown search field %q", m.Field)
	}
	base := "SELECT arn FROM certificate_search WHERE account = ? AND region = ? AND "
	b.args = append(b.args, b.account, b.region)

	switch m.Op {
	case store.Equals:
		b.args = append(b.args, m.Value)
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
// value, so only certificates that have every gram get their names checked.
func (b *searchBuilder) termMatch(kind string, m store.SearchMatch) (string, error) {
	value := m.Value
	if kind == termCommonName || kind == termDNSName {
		value = strings.ToLower(value)
	}

	base := "SELECT arn FROM certificate_terms WHERE account = ? AND region = ? AND kind = ? AND "
	b.args = append(b.args, b.account, b.region, kind)

	switch m.Op {
	case store.Equals:
		b.args = append(b.args, value)
		return base + "term = ?", nil
	case store.Contains:
		if kind != termCommonName && kind != termDNSName {
			return "", fmt.Errorf("search field %q does not take CONTAINS", m.Field)
		}
		valueGrams := grams(value)
		if len(valueGrams) == 0 {
			// NOTE: a value shorter than gramLength has no gram to look up, so
			// it checks every name of this kind in the account.
			b.args = append(b.args, value)
			return strings.Replace(base, "SELECT arn", "SELECT DISTINCT arn", 1) + b.store.dialect.containsExpr("term"), nil
		}

		// The candidates drive the query: each has every gram of the value,
		// and its names of this kind are then read by primary key.
		b.args = b.args[:len(b.args)-3]
		postings := make([]string, 0, len(valueGrams))
		for _, gram := range valueGrams {
			postings = append(postings, "SELECT arn FROM certificate_term_grams WHERE account = ? AND region = ? AND kind = ? AND gram = ?")
			b.args = append(b.args, b.account, b.region, kind, gram)
		}
		b.args = append(b.args, kind, value)
		b.aliases++
		alias := "g" + strconv.Itoa(b.aliases)
		return "SELECT DISTINCT t.arn FROM (" + strings.Join(postings, " INTERSECT ") + ") AS " + alias +
			" JOIN certificate_terms t ON t.arn = " + alias + ".arn AND t.kind = ?" +
			" WHERE " + b.store.dialect.containsExpr("t.term"), nil
	default:
		return "", fmt.Errorf("search field %q does not take operator %q", m.Field, m.Op)
	}
}
