package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/openacm/openacm/internal/store"
)

// CountCertificates returns the number of certificates per status and type.
func (s *Store) CountCertificates(ctx context.Context) ([]store.CertificateCount, error) {
	rows, err := s.reader.QueryContext(ctx, s.dialect.bind(
		`SELECT status, type, COUNT(*) FROM certificates GROUP BY status, type ORDER BY status, type`))
	if err != nil {
		return nil, fmt.Errorf("count certificates: %w", err)
	}
	defer rows.Close()

	var counts []store.CertificateCount
	for rows.Next() {
		var count store.CertificateCount
		if err := rows.Scan(&count.Status, &count.Type, &count.Count); err != nil {
			return nil, fmt.Errorf("count certificates: %w", err)
		}
		counts = append(counts, count)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count certificates: %w", err)
	}
	return counts, nil
}

// resetTables lists the tables Reset empties, children before parents.
// NOTE: a migration that adds a table of per-account records must add it here too.
var resetTables = []string{
	"certificate_term_grams", "certificate_grams_deferred", "certificate_terms", "certificate_search",
	"certificate_tags", "idempotency_tokens", "certificates",
	"account_configuration_tokens", "account_configurations",
	"pca_idempotency_tokens", "pca_audit_reports", "pca_permissions", "pca_issued_certificates",
	"certificate_authority_tags", "certificate_authorities", "leases",
}

// Reset deletes every certificate, private CA, tag, idempotency token,
// account configuration and lease in one transaction.
func (s *Store) Reset(ctx context.Context) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		for _, table := range resetTables {
			if _, err := s.exec(ctx, tx, "DELETE FROM "+table); err != nil {
				return fmt.Errorf("empty table %s: %w", table, err)
			}
		}
		return nil
	})
	s.authorities.clear()
	if err != nil {
		return fmt.Errorf("reset store: %w", err)
	}
	s.logger.Warn("store reset: every certificate, private CA, tag, idempotency token, account configuration and lease deleted", "database", s.name)
	return nil
}
