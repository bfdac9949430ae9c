package sqlstore

import (
	"cmp"
	"context"
	"crypto/x509"
	"database/sql"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/openacm/openacm/internal/store"
)

// Kinds of certificate_terms rows.
const (
	termCommonName       = "CN"
	termDNSName          = "DNS"
	termKeyUsage         = "KU"
	termExtendedKeyUsage = "EKU"
)

// gramLength is the length of the substrings in certificate_term_grams.
const gramLength = 3

// writeSearchIndex writes the search rows of cert in tx, so they change in
// the same transaction as the certificate. An update keeps the
// certificate's id and writes only the columns, terms and grams that
// changed, because each indexed column and each gram costs an index write.
func (s *Store) writeSearchIndex(ctx context.Context, tx *sql.Tx, cert *store.Certificate) error {
	scope, err := s.writeScope(ctx, tx, cert.Account, cert.Region)
	if err != nil {
		return err
	}

	id, old, err := s.readSearchRow(ctx, tx, scope, cert.ARN)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return s.insertSearchRows(ctx, tx, scope, cert)
	case err != nil:
		return err
	}

	// commonName parses the certificate, so it runs once per write.
	cn := commonName(cert)
	if err := s.updateSearchRow(ctx, tx, id, old, searchValues(cert, cn)); err != nil {
		return err
	}

	deferred, err := s.gramsDeferred(ctx, tx, id)
	if err != nil {
		return err
	}
	oldTerms, err := s.readTerms(ctx, tx, id)
	if err != nil {
		return err
	}
	// Deferred grams stay deferred. The gram indexer writes the grams of
	// the terms stored when it reaches the certificate.
	return s.replaceTerms(ctx, tx, id, oldTerms, searchTerms(cert, cn), !deferred, !deferred)
}

// readSearchRow returns the id and the searchValueColumns values of the
// search row of arn, or sql.ErrNoRows when it has none.
func (s *Store) readSearchRow(ctx context.Context, tx *sql.Tx, scope int64, arn string) (int64, []any, error) {
	var id int64
	values := make([]any, len(searchValueColumns))
	targets := make([]any, 0, 1+len(searchValueColumns))
	targets = append(targets, &id)
	for i, column := range searchValueColumns {
		if searchIntColumns[column] {
			values[i] = new(int64)
		} else {
			values[i] = new(string)
		}
		targets = append(targets, values[i])
	}

	err := s.queryRowTx(ctx, tx, `SELECT id, `+searchColumnList+` FROM certificate_search WHERE scope = ? AND arn = ?`,
		scope, arn).Scan(targets...)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil, err
	}
	if err != nil {
		return 0, nil, fmt.Errorf("read search row: %w", err)
	}

	for i, target := range values {
		switch target := target.(type) {
		case *int64:
			values[i] = *target
		case *string:
			values[i] = *target
		}
	}
	return id, values, nil
}

// updateSearchRow sets the columns of search row id whose value in values
// differs from old, both in searchValueColumns order. It writes nothing
// when none differs.
func (s *Store) updateSearchRow(ctx context.Context, tx *sql.Tx, id int64, old, values []any) error {
	var assignments []string
	var args []any
	for i, column := range searchValueColumns {
		if values[i] != old[i] {
			assignments = append(assignments, column+" = ?")
			args = append(args, values[i])
		}
	}
	if len(assignments) == 0 {
		return nil
	}

	_, err := s.exec(ctx, tx, `UPDATE certificate_search SET `+strings.Join(assignments, ", ")+` WHERE id = ?`,
		append(args, id)...)
	if err != nil {
		return fmt.Errorf("update search row: %w", err)
	}
	return nil
}

// deferGramsStatus is the status in which a new certificate's grams are
// deferred. A requested certificate is listed in certificate_grams_deferred
// until the gram indexer writes its grams (see gram_indexer.go), which it
// does when the writer is quiet, for many certificates in one write, where
// their grams share pages. The request and the write that issues the
// certificate then write no grams.
const deferGramsStatus = "PENDING_VALIDATION"

// gramsDeferred reports whether the grams of certificate id are deferred.
// In PostgreSQL it locks the list row until tx ends. A gram indexer in
// another transaction has then either written the grams and removed the
// row before this update reads the terms, or it waits for this update and
// reads the terms this update leaves.
func (s *Store) gramsDeferred(ctx context.Context, tx *sql.Tx, id int64) (bool, error) {
	var marker int
	err := s.queryRowTx(ctx, tx, `SELECT 1 FROM certificate_grams_deferred WHERE id = ?`+s.dialect.lockRow, id).Scan(&marker)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read deferred grams: %w", err)
	}
	return true, nil
}

// replaceTerms changes the stored terms of certificate id from old to
// terms, both sorted, deleting and inserting only the terms and grams
// that differ. gramsBefore is whether the grams of old are stored, and
// gramsAfter whether the grams of terms must be.
func (s *Store) replaceTerms(ctx context.Context, tx *sql.Tx, id int64, old, terms []searchTerm, gramsBefore, gramsAfter bool) error {
	if gramsBefore == gramsAfter && slices.Equal(old, terms) {
		return nil
	}

	removed, added := termsDifference(old, terms), termsDifference(terms, old)
	for _, term := range removed {
		if _, err := s.exec(ctx, tx, `DELETE FROM certificate_terms WHERE id = ? AND kind = ? AND term = ?`,
			id, term.kind, term.value); err != nil {
			return fmt.Errorf("delete search terms: %w", err)
		}
	}
	if err := s.insertTermRows(ctx, tx, id, added); err != nil {
		return err
	}

	var oldGrams, newGrams []string
	if gramsBefore {
		oldGrams = namesGrams(old)
	}
	if gramsAfter {
		newGrams = namesGrams(terms)
	}
	for _, gram := range stringsDifference(oldGrams, newGrams) {
		if _, err := s.exec(ctx, tx, `DELETE FROM certificate_term_grams WHERE gram = ? AND id = ?`, gram, id); err != nil {
			return fmt.Errorf("delete search grams: %w", err)
		}
	}
	return s.insertGrams(ctx, tx, id, stringsDifference(newGrams, oldGrams))
}

// termsDifference returns the terms of a that b lacks.
func termsDifference(a, b []searchTerm) []searchTerm {
	var out []searchTerm
	for _, term := range a {
		if !slices.Contains(b, term) {
			out = append(out, term)
		}
	}
	return out
}

// stringsDifference returns the strings of a that b lacks.
func stringsDifference(a, b []string) []string {
	var out []string
	for _, value := range a {
		if !slices.Contains(b, value) {
			out = append(out, value)
		}
	}
	return out
}

// insertSearchRows indexes a certificate that has no search row yet. When
// another node's committed transaction indexed it first, as two nodes
// opening a PostgreSQL database after the rebuild migration can, it leaves
// that node's rows.
func (s *Store) insertSearchRows(ctx context.Context, tx *sql.Tx, scope int64, cert *store.Certificate) error {
	cn := commonName(cert)
	var id int64
	err := s.queryRowTx(ctx, tx, insertSearchRowQuery,
		append([]any{scope, cert.ARN}, searchValues(cert, cn)...)...).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("insert search row: %w", err)
	}

	terms := searchTerms(cert, cn)
	if err := s.insertTermRows(ctx, tx, id, terms); err != nil {
		return err
	}
	if cert.Status != deferGramsStatus {
		return s.insertGrams(ctx, tx, id, namesGrams(terms))
	}
	_, err = s.exec(ctx, tx, `INSERT INTO certificate_grams_deferred (id) VALUES (?) ON CONFLICT DO NOTHING`, id)
	if err != nil {
		return fmt.Errorf("defer search grams: %w", err)
	}
	return nil
}

// searchValueColumns are the certificate_search columns that searchValues
// fills, in its order.
var searchValueColumns = []string{
	"created_at", "not_before", "not_after", "issued_at", "imported_at", "revoked_at",
	"status", "renewal_status", "type", "in_use", "exported", "export_option", "managed_by", "validation_method",
	"key_algorithm", "serial", "common_name", "renewal_eligibility", "key_pair_origin", "root_hierarchy_type",
	"acme_endpoint_arn", "acme_account_id",
}

// searchIntColumns are the searchValueColumns that hold integers, for
// which searchValues returns int64. The others hold text.
var searchIntColumns = map[string]bool{
	"created_at": true, "not_before": true, "not_after": true, "issued_at": true, "imported_at": true,
	"revoked_at": true, "in_use": true, "exported": true,
}

var (
	searchColumnList     = strings.Join(searchValueColumns, ", ")
	insertSearchRowQuery = `INSERT INTO certificate_search (scope, arn, ` + searchColumnList + `)
		VALUES (?, ?, ` + placeholders(len(searchValueColumns)) + `)
		ON CONFLICT (scope, arn) DO NOTHING RETURNING id`
)

// searchValues returns the searchValueColumns values of cert, whose
// subject common name is cn.
func searchValues(cert *store.Certificate, cn string) []any {
	return []any{
		optionalSeconds(cert.CreatedAt), optionalSeconds(cert.NotBefore), optionalSeconds(cert.NotAfter),
		optionalSeconds(cert.IssuedAt), optionalSeconds(cert.ImportedAt), optionalSeconds(cert.RevokedAt),
		cert.Status, renewalStatusOf(cert), cert.Type, boolInt(len(cert.InUseBy) > 0), boolInt(cert.Exported),
		cert.ExportOption, cert.ManagedBy, cert.ValidationMethod,
		cert.KeyAlgorithm, cert.Serial, cn, cert.RenewalEligibility, keyPairOrigin(cert.Type),
		"", "", "",
	}
}

func (s *Store) insertTermRows(ctx context.Context, tx *sql.Tx, id int64, terms []searchTerm) error {
	if len(terms) == 0 {
		return nil
	}
	args := make([]any, 0, 3*len(terms))
	for _, term := range terms {
		args = append(args, id, term.kind, term.value)
	}
	_, err := s.exec(ctx, tx, `INSERT INTO certificate_terms (id, kind, term) VALUES `+
		valueRows(len(terms), 3)+` ON CONFLICT DO NOTHING`, args...)
	if err != nil {
		return fmt.Errorf("insert search terms: %w", err)
	}
	return nil
}

func (s *Store) insertGrams(ctx context.Context, tx *sql.Tx, id int64, grams []string) error {
	if len(grams) == 0 {
		return nil
	}
	args := make([]any, 0, 2*len(grams))
	for _, gram := range grams {
		args = append(args, gram, id)
	}
	_, err := s.exec(ctx, tx, `INSERT INTO certificate_term_grams (gram, id) VALUES `+
		valueRows(len(grams), 2)+` ON CONFLICT DO NOTHING`, args...)
	if err != nil {
		return fmt.Errorf("insert search grams: %w", err)
	}
	return nil
}

// readTerms returns the stored terms of certificate id in the order
// searchTerms makes them.
func (s *Store) readTerms(ctx context.Context, tx *sql.Tx, id int64) ([]searchTerm, error) {
	rows, err := s.queryTx(ctx, tx, `SELECT kind, term FROM certificate_terms WHERE id = ?`, id)
	if err != nil {
		return nil, fmt.Errorf("read search terms: %w", err)
	}
	defer rows.Close()

	var terms []searchTerm
	for rows.Next() {
		var term searchTerm
		if err := rows.Scan(&term.kind, &term.value); err != nil {
			return nil, fmt.Errorf("read search terms: %w", err)
		}
		terms = append(terms, term)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read search terms: %w", err)
	}
	sortTerms(terms)
	return terms, nil
}

// deleteTerms removes the terms of certificate id and the grams of their
// names. The gram table has no index by id, so the grams to delete are
// worked out from the terms.
func (s *Store) deleteTerms(ctx context.Context, tx *sql.Tx, id int64, terms []searchTerm) error {
	if _, err := s.exec(ctx, tx, `DELETE FROM certificate_terms WHERE id = ?`, id); err != nil {
		return fmt.Errorf("delete search terms: %w", err)
	}
	for _, gram := range namesGrams(terms) {
		if _, err := s.exec(ctx, tx, `DELETE FROM certificate_term_grams WHERE gram = ? AND id = ?`, gram, id); err != nil {
			return fmt.Errorf("delete search grams: %w", err)
		}
	}
	return nil
}

// deleteSearchRows removes every search row of a certificate, before the
// certificate itself goes.
func (s *Store) deleteSearchRows(ctx context.Context, tx *sql.Tx, account, region, arn string) error {
	var id int64
	err := tx.QueryRowContext(ctx, s.dialect.bind(`SELECT s.id FROM certificate_search s
		JOIN certificate_scopes p ON p.id = s.scope
		WHERE p.account = ? AND p.region = ? AND s.arn = ?`), account, region, arn).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("look up search row: %w", err)
	}

	// The list row goes first. In PostgreSQL this waits for a gram indexer
	// that holds the row, so the grams it writes are deleted below.
	if _, err := s.exec(ctx, tx, `DELETE FROM certificate_grams_deferred WHERE id = ?`, id); err != nil {
		return fmt.Errorf("delete deferred grams: %w", err)
	}
	terms, err := s.readTerms(ctx, tx, id)
	if err != nil {
		return err
	}
	if err := s.deleteTerms(ctx, tx, id, terms); err != nil {
		return err
	}
	if _, err := s.exec(ctx, tx, `DELETE FROM certificate_search WHERE id = ?`, id); err != nil {
		return fmt.Errorf("delete search row: %w", err)
	}
	return nil
}

// valueRows returns rows groups of columns placeholders for a multi-row
// VALUES list: "(?, ?), (?, ?)".
func valueRows(rows, columns int) string {
	row := "(" + placeholders(columns) + ")"
	return strings.TrimSuffix(strings.Repeat(row+", ", rows), ", ")
}

// indexBatchSize is how many certificates indexMissing indexes per
// transaction.
const indexBatchSize = 500

// rebuildSearchSetting is the settings row that a migration which empties
// the search tables adds, so that the next open indexes every certificate.
const rebuildSearchSetting = "search_index_rebuild"

// indexMissing writes the search rows of certificates that have none,
// when a migration asked for it with rebuildSearchSetting, and then removes
// the setting. It indexes them in creation order, so results that tie on
// a sort column keep that order. Looking for them costs a scan of the
// certificates, so an open without the setting does not look.
func (s *Store) indexMissing(ctx context.Context) error {
	if _, err := s.GetSetting(ctx, rebuildSearchSetting); errors.Is(err, store.ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}

	if err := s.indexUnindexed(ctx); err != nil {
		return err
	}
	return s.DeleteSetting(ctx, rebuildSearchSetting)
}

func (s *Store) indexUnindexed(ctx context.Context) error {
	// The first query reads only the covering index of (account, region,
	// created_at, arn), not the certificate rows.
	rows, err := s.reader.QueryContext(ctx, `SELECT c.account, c.region, c.arn
		FROM certificates c
		WHERE NOT EXISTS (SELECT 1 FROM certificate_search s JOIN certificate_scopes p ON p.id = s.scope
			WHERE p.account = c.account AND p.region = c.region AND s.arn = c.arn)
		ORDER BY c.created_at, c.arn`)
	if err != nil {
		return fmt.Errorf("find certificates without search rows: %w", err)
	}
	var missing [][3]string
	for rows.Next() {
		var key [3]string
		if err := rows.Scan(&key[0], &key[1], &key[2]); err != nil {
			rows.Close()
			return fmt.Errorf("find certificates without search rows: %w", err)
		}
		missing = append(missing, key)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("find certificates without search rows: %w", err)
	}

	for start := 0; start < len(missing); start += indexBatchSize {
		batch := missing[start:min(start+indexBatchSize, len(missing))]
		if err := s.indexBatch(ctx, batch); err != nil {
			return err
		}
	}
	if len(missing) > 0 {
		s.logger.Info("indexed certificates for search", "count", len(missing))
	}
	return nil
}

func (s *Store) indexBatch(ctx context.Context, batch [][3]string) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		for _, key := range batch {
			var row certRow
			err := tx.QueryRowContext(ctx, s.dialect.bind(`SELECT `+certificateColumns+`
				FROM certificates WHERE arn = ? AND account = ? AND region = ?`),
				key[2], key[0], key[1]).Scan(row.scanTargets()...)
			if errors.Is(err, sql.ErrNoRows) {
				continue
			}
			if err != nil {
				return fmt.Errorf("read certificate %s: %w", key[2], err)
			}
			cert, err := row.certificate()
			if err != nil {
				return err
			}
			if err := s.writeSearchIndex(ctx, tx, cert); err != nil {
				return fmt.Errorf("index certificate %s: %w", cert.ARN, err)
			}
		}
		return nil
	})
}

type searchTerm struct {
	kind  string
	value string
}

// searchTerms returns the name and usage terms of cert, whose subject
// common name is cn. Names are lower-cased because DNS names compare
// without regard to case.
func searchTerms(cert *store.Certificate, cn string) []searchTerm {
	var terms []searchTerm
	if cn != "" {
		terms = append(terms, searchTerm{termCommonName, strings.ToLower(cn)})
	}
	for _, name := range cert.SubjectAlternativeNames {
		terms = append(terms, searchTerm{termDNSName, strings.ToLower(name)})
	}
	for _, usage := range cert.KeyUsages {
		terms = append(terms, searchTerm{termKeyUsage, usage})
	}
	for _, usage := range cert.ExtendedKeyUsages {
		terms = append(terms, searchTerm{termExtendedKeyUsage, usage.Name})
	}
	if len(cert.ExtendedKeyUsages) == 0 {
		terms = append(terms, searchTerm{termExtendedKeyUsage, "NONE"})
	}
	sortTerms(terms)
	return slices.Compact(terms)
}

// sortTerms sorts terms by kind and value, so two sets compare with slices.Equal.
func sortTerms(terms []searchTerm) {
	slices.SortFunc(terms, func(a, b searchTerm) int {
		return cmp.Or(strings.Compare(a.kind, b.kind), strings.Compare(a.value, b.value))
	})
}

// namesGrams returns the distinct grams of the CN and DNS terms, sorted,
// so that a multi-row insert writes them in index order.
func namesGrams(terms []searchTerm) []string {
	var out []string
	for _, term := range terms {
		if term.kind != termCommonName && term.kind != termDNSName {
			continue
		}
		for i := 0; i+gramLength <= len(term.value); i++ {
			out = append(out, term.value[i:i+gramLength])
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// commonName returns the subject common name: the one in the certificate
// once it exists, else the requested DomainName, which becomes the common
// name when ACM issues it. A certificate whose subject subjectCommonName
// cannot read is parsed in full.
func commonName(cert *store.Certificate) string {
	if cert.CertificatePEM == "" {
		return cert.DomainName
	}

	block, _ := pem.Decode([]byte(cert.CertificatePEM))
	if block == nil {
		return cert.DomainName
	}
	if cn, ok := subjectCommonName(block.Bytes); ok {
		return cn
	}
	parsed, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return cert.DomainName
	}
	return parsed.Subject.CommonName
}

// keyPairOrigin returns who made the certificate's key pair, as
// SearchCertificates and ListCertificates name it.
func keyPairOrigin(certificateType string) string {
	if certificateType == "IMPORTED" {
		return "CUSTOMER_PROVIDED"
	}
	return "AWS_MANAGED"
}

// grams returns the distinct substrings of gramLength bytes of s.
func grams(s string) []string {
	seen := map[string]bool{}
	var out []string
	for i := 0; i+gramLength <= len(s); i++ {
		gram := s[i : i+gramLength]
		if !seen[gram] {
			seen[gram] = true
			out = append(out, gram)
		}
	}
	return out
}

// optionalSeconds returns t as Unix seconds, or 0 for the zero time.
// Seconds, unlike the nanoseconds of the certificates table, reach the
// year 9999 that some imported certificates use as NotAfter.
func optionalSeconds(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// renewalStatusOf returns the status of the certificate's latest renewal, or "".
func renewalStatusOf(cert *store.Certificate) string {
	if cert.Renewal == nil {
		return ""
	}
	return cert.Renewal.Status
}

// scopeKey is the account and region of a certificate_scopes row.
type scopeKey struct {
	account string
	region  string
}

// writeScope returns the id of the scope of account and region, creating
// it in tx when missing.
func (s *Store) writeScope(ctx context.Context, tx *sql.Tx, account, region string) (int64, error) {
	if id, ok := s.scopes.Load(scopeKey{account, region}); ok {
		return id.(int64), nil
	}

	// On SQLite, readScope finds a scope committed before this write on
	// the reader pool and caches it, so only the first write of a scope
	// runs the statements below. PostgreSQL reads and writes through one
	// pool, and a transaction waiting there for a second connection could
	// wait forever when every connection holds a transaction.
	if s.committer != nil {
		id, found, err := s.readScope(ctx, account, region)
		if err != nil {
			return 0, err
		}
		if found {
			return id, nil
		}
	}

	_, err := s.exec(ctx, tx, `INSERT INTO certificate_scopes (account, region) VALUES (?, ?)
		ON CONFLICT (account, region) DO NOTHING`, account, region)
	if err != nil {
		return 0, fmt.Errorf("create search scope: %w", err)
	}

	var id int64
	err = s.queryRowTx(ctx, tx, `SELECT id FROM certificate_scopes WHERE account = ? AND region = ?`,
		account, region).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("read search scope: %w", err)
	}
	// The cache is filled only by readScope, from committed rows, because
	// the row read here may belong to an earlier write of the same SQLite
	// group commit, which a failed commit would take away with it.
	return id, nil
}

// readScope returns the id of the scope of account and region, or false
// when no certificate was ever stored there.
func (s *Store) readScope(ctx context.Context, account, region string) (int64, bool, error) {
	key := scopeKey{account, region}
	if id, ok := s.scopes.Load(key); ok {
		return id.(int64), true, nil
	}

	var id int64
	err := s.queryRow(ctx, `SELECT id FROM certificate_scopes WHERE account = ? AND region = ?`,
		account, region).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("read search scope: %w", err)
	}
	s.scopes.Store(key, id)
	return id, true, nil
}
