package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/openacm/openacm/internal/store"
)

// CreateCertificates inserts many new certificates, each with its tags
// (tags[i] for certs[i], or none when tags is shorter), in one
// transaction, for loading a database in bulk. It takes no idempotency
// tokens, and fails as a whole when any ARN exists.
func (s *Store) CreateCertificates(ctx context.Context, certs []*store.Certificate, tags [][]store.Tag) error {
	rows := make([]*certRow, len(certs))
	for i, cert := range certs {
		row, err := s.rowFromCertificate(cert)
		if err != nil {
			return err
		}
		rows[i] = row
	}

	err := s.write(ctx, func(tx *sql.Tx) error {
		for i, cert := range certs {
			var certTags []store.Tag
			if i < len(tags) {
				certTags = tags[i]
			}
			if err := s.insertCertificateRows(ctx, tx, cert, rows[i], certTags); err != nil {
				return fmt.Errorf("certificate %s: %w", cert.ARN, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("create %d certificates: %w", len(certs), err)
	}
	return nil
}

// PrepareBulkLoad sets the writer connection up for a bulk load: a page
// cache of cacheKiB KiB, and statement journals kept in memory. A
// transaction that touches more pages than the cache holds writes pages to
// the WAL before commit and again when they change, and a multi-row
// INSERT writes each page it changes to its statement journal, a temporary
// file by default. The writer pool keeps its one connection open, so the
// settings last until Close. PostgreSQL needs neither, so there it does nothing.
func (s *Store) PrepareBulkLoad(ctx context.Context, cacheKiB int) error {
	if s.dialect.name != sqliteDialect.name {
		return nil
	}
	for _, pragma := range []string{fmt.Sprintf("PRAGMA cache_size = -%d", cacheKiB), "PRAGMA temp_store = MEMORY"} {
		if _, err := s.writer.ExecContext(ctx, pragma); err != nil {
			return fmt.Errorf("prepare bulk load: %s: %w", pragma, err)
		}
	}
	return nil
}
