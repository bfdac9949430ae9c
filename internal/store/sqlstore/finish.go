package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/openacm/openacm/internal/store"
)

// FinishCertificateWork updates work.Certificate, inserts work.Issued and
// ends work.LeaseHolder's lease on the certificate in one write. In SQLite
// that write shares its transaction and fsync with concurrent writes, so
// finishing many certificates at once costs few commits.
func (s *Store) FinishCertificateWork(ctx context.Context, work store.CertificateWork) error {
	cert := work.Certificate
	if cert == nil {
		return errors.New("finish certificate work: no certificate")
	}

	row, err := s.rowFromCertificate(cert)
	if err != nil {
		return err
	}
	var issued []any
	if work.Issued != nil {
		issued, err = issuedValues(work.Issued)
		if err != nil {
			return fmt.Errorf("finish certificate work on %s: %w", cert.ARN, err)
		}
	}

	newVersion := cert.Version + 1
	err = s.write(ctx, func(tx *sql.Tx) error {
		// The update goes first: when it fails, the transaction (or the
		// savepoint of this write) rolls back before anything else is written.
		if err := s.updateCertificateRow(ctx, tx, cert, row, newVersion); err != nil {
			return err
		}

		if issued != nil {
			if err := s.insertIssued(ctx, tx, issued); err != nil {
				return err
			}
		}

		if work.LeaseHolder != "" {
			_, err := s.exec(ctx, tx, `DELETE FROM leases WHERE name = ? AND holder = ?`,
				store.CertificateLease(cert.ARN), work.LeaseHolder)
			if err != nil {
				return fmt.Errorf("release lease: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("finish certificate work on %s: %w", cert.ARN, err)
	}

	cert.Version = newVersion
	return nil
}
