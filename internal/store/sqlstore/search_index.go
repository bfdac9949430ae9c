package sqlstore

import (
	"context"
	"crypto/x509"
	"database/sql"
	"encoding/pem"
	"fmt"
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

// writeSearchIndex replaces the search rows of cert in tx, so they change
// in the same transaction as the certificate.
func (s *Store) writeSearchIndex(ctx context.Context, tx *sql.Tx, cert *store.Certificate) error {
	for _, table := range []string{"certificate_search", "certificate_terms", "certificate_term_grams"} {
		if _, err := s.exec(ctx, tx, `DELETE FROM `+table+` WHERE arn = ?`, cert.ARN); err != nil {
			return fmt.Errorf("clear %s: %w", table, err)
		}
	}

	if err := s.insertSearchRow(ctx, tx, cert); err != nil {
		return err
	}

	for _, term := range searchTerms(cert) {
		if err := s.insertTerm(ctx, tx, cert, term); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) insertSearchRow(ctx context.Context, tx *sql.Tx, cert *store.Certificate) error {
	_, err := s.exec(ctx, tx, `INSERT INTO certificate_search (
			arn, account, region, created_at, not_before, not_after, issued_at, imported_at, revoked_at,
			status, renewal_status, type, in_use, exported, export_option, managed_by, validation_method,
			key_algorithm, serial, common_name, renewal_eligibility, key_pair_origin, root_hierarchy_type,
			acme_endpoint_arn, acme_account_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		cert.ARN, cert.Account, cert.Region,
		optionalSeconds(cert.CreatedAt), optionalSeconds(cert.NotBefore), optionalSeconds(cert.NotAfter),
		optionalSeconds(cert.IssuedAt), optionalSeconds(cert.ImportedAt), optionalSeconds(cert.RevokedAt),
		cert.Status, renewalStatusOf(cert), cert.Type, boolInt(len(cert.InUseBy) > 0), boolInt(cert.Exported),
		cert.ExportOption, cert.ManagedBy, cert.ValidationMethod,
		cert.KeyAlgorithm, cert.Serial, commonName(cert), cert.RenewalEligibility, keyPairOrigin(cert.Type),
		"", "", "")
	if err != nil {
		return fmt.Errorf("insert search row: %w", err)
	}
	return nil
}

func (s *Store) insertTerm(ctx context.Context, tx *sql.Tx, cert *store.Certificate, term searchTerm) error {
	_, err := s.exec(ctx, tx, `INSERT INTO certificate_terms (arn, account, region, kind, term)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		cert.ARN, cert.Account, cert.Region, term.kind, term.value)
	if err != nil {
		return fmt.Errorf("insert search term: %w", err)
	}

	if term.kind != termCommonName && term.kind != termDNSName {
		return nil
	}
	for _, gram := range grams(term.value) {
		_, err := s.exec(ctx, tx, `INSERT INTO certificate_term_grams (arn, account, region, kind, gram)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			cert.ARN, cert.Account, cert.Region, term.kind, gram)
		if err != nil {
			return fmt.Errorf("insert search gram: %w", err)
		}
	}
	return nil
}

// indexMissing writes the search rows of certificates stored before the
// search tables existed. It runs once at open and finds nothing to do after.
func (s *Store) indexMissing(ctx context.Context) error {
	certs, err := s.queryCertificates(ctx, s.reader, `SELECT `+prefixedCertificateColumns+`
		FROM certificates c LEFT JOIN certificate_search s ON s.arn = c.arn
		WHERE s.arn IS NULL`)
	if err != nil {
		return fmt.Errorf("find certificates without search rows: %w", err)
	}

	for _, cert := range certs {
		err := s.write(ctx, func(tx *sql.Tx) error { return s.writeSearchIndex(ctx, tx, cert) })
		if err != nil {
			return fmt.Errorf("index certificate %s: %w", cert.ARN, err)
		}
	}
	if len(certs) > 0 {
		s.logger.Info("indexed certificates for search", "count", len(certs))
	}
	return nil
}

type searchTerm struct {
	kind  string
	value string
}

// searchTerms returns the name and usage terms of cert. Names are
// lower-cased because DNS names compare without regard to case.
func searchTerms(cert *store.Certificate) []searchTerm {
	var terms []searchTerm
	if cn := commonName(cert); cn != "" {
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
	return terms
}

// commonName returns the subject common name: the one in the certificate
// once it exists, else the requested DomainName, which becomes the common
// name when ACM issues it.
func commonName(cert *store.Certificate) string {
	if cert.CertificatePEM == "" {
		return cert.DomainName
	}

	block, _ := pem.Decode([]byte(cert.CertificatePEM))
	if block == nil {
		return cert.DomainName
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
