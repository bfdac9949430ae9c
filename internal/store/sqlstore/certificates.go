package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/openacm/openacm/internal/store"
)

// CreateCertificate inserts cert and tags in one transaction, or returns the
// ARN of the certificate that an earlier call with the same idempotency
// token created since idem.NotBefore. The token's time is cert.CreatedAt, or
// the current time when that is zero.
func (s *Store) CreateCertificate(ctx context.Context, cert *store.Certificate, tags []store.Tag, idem *store.Idempotency) (string, bool, error) {
	row, err := s.rowFromCertificate(cert)
	if err != nil {
		return "", false, err
	}

	arn := cert.ARN
	created := false
	err = s.write(ctx, func(tx *sql.Tx) error {
		if idem != nil {
			claimed, existingARN, err := s.claimToken(ctx, tx, cert, idem)
			if err != nil {
				return err
			}

			if !claimed {
				arn = existingARN
				return nil
			}
		}

		if err := s.insertCertificateRows(ctx, tx, cert, row, tags); err != nil {
			return err
		}

		created = true
		return nil
	})
	if err != nil {
		return "", false, fmt.Errorf("create certificate %s: %w", cert.ARN, err)
	}

	return arn, created, nil
}

// claimToken records that idem.Token now names cert, unless the token
// already names a certificate created since idem.NotBefore. It returns
// whether it claimed the token and, when not, the ARN the token names.
//
// The claim is a single upsert on the token's primary key, so two
// transactions with one token cannot both claim it, even in a database
// that runs them at once: the second one's upsert finds the first one's row.
func (s *Store) claimToken(ctx context.Context, tx *sql.Tx, cert *store.Certificate, idem *store.Idempotency) (bool, string, error) {
	tokenTime := cert.CreatedAt
	if tokenTime.IsZero() {
		tokenTime = time.Now()
	}

	tokenNanos, err := unixNanos(tokenTime)
	if err != nil {
		return false, "", fmt.Errorf("idempotency token time: %w", err)
	}

	notBeforeNanos, err := unixNanos(idem.NotBefore)
	if err != nil {
		return false, "", fmt.Errorf("idempotency NotBefore: %w", err)
	}

	result, err := s.exec(ctx, tx, `INSERT INTO idempotency_tokens (account, region, token, arn, created_at)
		VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (account, region, token) DO UPDATE
		SET arn = excluded.arn, created_at = excluded.created_at
		WHERE idempotency_tokens.created_at < ?`,
		cert.Account, cert.Region, idem.Token, cert.ARN, tokenNanos, notBeforeNanos)
	if err != nil {
		return false, "", fmt.Errorf("claim idempotency token: %w", err)
	}

	changed, err := result.RowsAffected()
	if err != nil {
		return false, "", fmt.Errorf("claim idempotency token: %w", err)
	}

	if changed == 1 {
		return true, "", nil
	}

	var existingARN string
	err = s.queryRowTx(ctx, tx, `SELECT arn FROM idempotency_tokens
		WHERE account = ? AND region = ? AND token = ?`,
		cert.Account, cert.Region, idem.Token).Scan(&existingARN)
	if err != nil {
		return false, "", fmt.Errorf("read idempotency token: %w", err)
	}

	return false, existingARN, nil
}

// insertCertificateRows writes a new certificate: its chain, its row, its
// search rows and its tags.
func (s *Store) insertCertificateRows(ctx context.Context, tx *sql.Tx, cert *store.Certificate, row *certRow, tags []store.Tag) error {
	if err := s.storeChain(ctx, tx, row); err != nil {
		return err
	}

	if err := s.insertCertificate(ctx, tx, row); err != nil {
		return err
	}

	// The certificate is new, so it has no search rows to update.
	scope, err := s.writeScope(ctx, tx, cert.Account, cert.Region)
	if err != nil {
		return err
	}
	if err := s.insertSearchRows(ctx, tx, scope, cert); err != nil {
		return err
	}

	return s.upsertTags(ctx, tx, cert.ARN, tags)
}

func (s *Store) insertCertificate(ctx context.Context, tx *sql.Tx, row *certRow) error {
	_, err := s.exec(ctx, tx, `INSERT INTO certificates (`+certificateColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		row.values()...)
	if err != nil {
		return fmt.Errorf("insert certificate: %w", err)
	}

	return nil
}

// GetCertificate returns the certificate, or store.ErrNotFound when no
// certificate has that ARN in that account and region.
func (s *Store) GetCertificate(ctx context.Context, account, region, arn string) (*store.Certificate, error) {
	row, err := s.getCertificateRow(ctx, account, region, arn)
	if err != nil {
		return nil, err
	}

	return s.certificateFromRow(ctx, row)
}

// GetCertificateDetails returns the certificate without its private key
// and PEM bodies, or store.ErrNotFound.
func (s *Store) GetCertificateDetails(ctx context.Context, account, region, arn string) (*store.Certificate, error) {
	row, err := s.getCertificateDetailRow(ctx, account, region, arn)
	if err != nil {
		return nil, err
	}

	return row.certificate()
}

// getCertificateDetailRow reads one certificate without its PEM bodies,
// sealed private key, chain digest and summary.
func (s *Store) getCertificateDetailRow(ctx context.Context, account, region, arn string) (*certRow, error) {
	row := certRow{ARN: arn, Account: account, Region: region}
	var attributes string
	err := s.queryRow(ctx, `SELECT `+certificateDetailColumns+`
		FROM certificates WHERE arn = ? AND account = ? AND region = ?`,
		arn, account, region).Scan(&attributes, &row.CreatedAt, &row.Details, &row.Version, &row.UpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("get certificate %s: %w", arn, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get certificate %s: %w", arn, err)
	}

	if err := row.splitListAttributes(attributes); err != nil {
		return nil, err
	}
	return &row, nil
}

// getCertificateRow reads every column of one certificate.
func (s *Store) getCertificateRow(ctx context.Context, account, region, arn string) (*certRow, error) {
	var row certRow
	err := s.queryRow(ctx, `SELECT `+certificateColumns+`
		FROM certificates WHERE arn = ? AND account = ? AND region = ?`,
		arn, account, region).Scan(row.scanTargets()...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("get certificate %s: %w", arn, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get certificate %s: %w", arn, err)
	}

	return &row, nil
}

// UpdateCertificate writes every field of cert except ARN, Account and
// Region, which select the row, when the stored Version equals
// cert.Version. It then increments cert.Version. cert.UpdatedAt is stored as
// the caller set it.
func (s *Store) UpdateCertificate(ctx context.Context, cert *store.Certificate) error {
	return s.updateCertificate(ctx, cert, false)
}

// UpdateCertificateAndEndLease is UpdateCertificate that also deletes the
// certificate's lease in the same transaction. A lease is deleted only when
// the update succeeds.
func (s *Store) UpdateCertificateAndEndLease(ctx context.Context, cert *store.Certificate) error {
	return s.updateCertificate(ctx, cert, true)
}

// updateCertificate writes cert as UpdateCertificate does and, with
// endLease, deletes its lease in the same transaction.
func (s *Store) updateCertificate(ctx context.Context, cert *store.Certificate, endLease bool) error {
	row, err := s.rowFromCertificate(cert)
	if err != nil {
		return err
	}

	newVersion := cert.Version + 1
	err = s.write(ctx, func(tx *sql.Tx) error {
		if err := s.updateCertificateRow(ctx, tx, cert, row, newVersion); err != nil || !endLease {
			return err
		}
		_, err := s.exec(ctx, tx, `DELETE FROM leases WHERE name = ?`, store.CertificateLease(cert.ARN))
		return err
	})
	if err != nil {
		return fmt.Errorf("update certificate %s: %w", cert.ARN, err)
	}

	cert.Version = newVersion
	return nil
}

// updateCertificateRow is UpdateCertificate's write inside tx: it stores
// row as version newVersion when the stored version is still cert.Version.
func (s *Store) updateCertificateRow(ctx context.Context, tx *sql.Tx, cert *store.Certificate, row *certRow, newVersion int64) error {
	if err := s.storeChain(ctx, tx, row); err != nil {
		return err
	}

	result, err := s.exec(ctx, tx, `UPDATE certificates SET
		status = ?, type = ?, key_algorithm = ?, export_option = ?, managed_by = ?,
		created_at = ?, key_usages = ?, extended_key_usages = ?,
		certificate_pem = ?, certificate_chain_pem = ?, chain_digest = ?, private_key = ?,
		details = ?, version = ?, updated_at = ?, summary = ?
		WHERE arn = ? AND account = ? AND region = ? AND version = ?`,
		row.Status, row.Type, row.KeyAlgorithm, row.ExportOption, row.ManagedBy,
		row.CreatedAt, row.KeyUsages, row.ExtendedKeyUsages,
		row.CertificatePEM, row.CertificateChainPEM, row.ChainDigest, row.PrivateKey,
		row.Details, newVersion, row.UpdatedAt, row.Summary,
		row.ARN, row.Account, row.Region, cert.Version)
	if err != nil {
		return err
	}

	changed, err := result.RowsAffected()
	if err != nil {
		return err
	}

	if changed == 0 {
		return s.missingOrConflict(ctx, tx, cert.Account, cert.Region, cert.ARN)
	}

	return s.writeSearchIndex(ctx, tx, cert)
}

// missingOrConflict explains why an update matched no row: the
// certificate is gone (store.ErrNotFound) or its version moved
// (store.ErrConflict).
func (s *Store) missingOrConflict(ctx context.Context, tx *sql.Tx, account, region, arn string) error {
	exists, err := s.certificateExists(ctx, tx, account, region, arn)
	if err != nil {
		return err
	}

	if !exists {
		return store.ErrNotFound
	}

	return store.ErrConflict
}

// certificateExists reports whether the certificate exists and, in
// PostgreSQL, locks its row until tx ends. The lock makes a concurrent
// delete wait for tag changes, and tag changes for each other, so a tag
// count checked here still holds at commit.
func (s *Store) certificateExists(ctx context.Context, tx *sql.Tx, account, region, arn string) (bool, error) {
	var marker int
	err := tx.QueryRowContext(ctx, s.dialect.bind(`SELECT 1 FROM certificates
		WHERE arn = ? AND account = ? AND region = ?`+s.dialect.lockRow),
		arn, account, region).Scan(&marker)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("look up certificate: %w", err)
	}

	return true, nil
}

// DeleteCertificate removes the certificate, its search rows, its worker
// lease and, through the foreign key's ON DELETE CASCADE, its tags. Its
// idempotency token stays, so a retry within the window returns the
// deleted ARN and creates nothing. Its chain stays for other certificates.
func (s *Store) DeleteCertificate(ctx context.Context, account, region, arn string) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		if err := s.deleteSearchRows(ctx, tx, account, region, arn); err != nil {
			return err
		}

		result, err := s.exec(ctx, tx, `DELETE FROM certificates WHERE arn = ? AND account = ? AND region = ?`,
			arn, account, region)
		if err != nil {
			return err
		}

		changed, err := result.RowsAffected()
		if err != nil {
			return err
		}

		if changed == 0 {
			return store.ErrNotFound
		}

		_, err = s.exec(ctx, tx, `DELETE FROM leases WHERE name = ?`, store.CertificateLease(arn))
		return err
	})
	if err != nil {
		return fmt.Errorf("delete certificate %s: %w", arn, err)
	}

	return nil
}

// PendingCertificates returns up to limit certificates of any account in
// status PENDING_VALIDATION or with a pending renewal, oldest first (ties
// in ARN order).
func (s *Store) PendingCertificates(ctx context.Context, limit int) ([]*store.Certificate, error) {
	if limit < 1 {
		return nil, fmt.Errorf("list pending certificates: limit %d is not positive", limit)
	}

	certs, err := s.queryCertificates(ctx, s.reader, `SELECT `+certificateColumns+` FROM certificates
		WHERE status = ? ORDER BY created_at, arn LIMIT ?`,
		"PENDING_VALIDATION", limit)
	if err != nil {
		return nil, fmt.Errorf("list pending certificates: %w", err)
	}

	return certs, nil
}

// querier is a pool or a transaction.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// queryCertificates runs a SELECT of certificateColumns on db, the reader
// pool or a transaction.
func (s *Store) queryCertificates(ctx context.Context, db querier, query string, args ...any) ([]*store.Certificate, error) {
	return s.queryCertificateRows(ctx, db, s.certificateFromRow, query, args...)
}

// summaryFromRow converts row to a certificate without its private key.
func (s *Store) summaryFromRow(ctx context.Context, row *certRow) (*store.Certificate, error) {
	cert, err := row.certificate()
	if err != nil {
		return nil, err
	}
	cert.PrivateKeyPEM = nil
	cert.CertificateChainPEM, err = s.chainOf(ctx, row)
	if err != nil {
		return nil, err
	}
	return cert, nil
}

// queryCertificateRows runs a SELECT of certificateColumns and converts
// each row with convert.
func (s *Store) queryCertificateRows(ctx context.Context, db querier, convert func(context.Context, *certRow) (*store.Certificate, error), query string, args ...any) ([]*store.Certificate, error) {
	var rows *sql.Rows
	var err error
	if db == querier(s.reader) {
		rows, err = s.query(ctx, query, args...)
	} else {
		rows, err = db.QueryContext(ctx, s.dialect.bind(query), args...)
	}
	if err != nil {
		return nil, err
	}
	defer rows.Close()

	var certs []*store.Certificate
	for rows.Next() {
		var row certRow
		if err := rows.Scan(row.scanTargets()...); err != nil {
			return nil, err
		}

		cert, err := convert(ctx, &row)
		if err != nil {
			return nil, err
		}

		certs = append(certs, cert)
	}

	if err := rows.Err(); err != nil {
		return nil, err
	}

	return certs, nil
}

// rowFromCertificate converts cert to its row with the private key sealed.
func (s *Store) rowFromCertificate(cert *store.Certificate) (*certRow, error) {
	row, err := rowFromCertificate(cert)
	if err != nil {
		return nil, err
	}

	row.PrivateKey, err = s.seal(certificateKeyColumn, cert.ARN, cert.PrivateKeyPEM)
	if err != nil {
		return nil, err
	}
	return row, nil
}

// certificateFromRow converts row to a certificate with the private key opened.
func (s *Store) certificateFromRow(ctx context.Context, row *certRow) (*store.Certificate, error) {
	cert, err := s.summaryFromRow(ctx, row)
	if err != nil {
		return nil, err
	}

	cert.PrivateKeyPEM, err = s.open(certificateKeyColumn, row.ARN, row.PrivateKey)
	if err != nil {
		return nil, err
	}
	return cert, nil
}

// CountAccountCertificates returns how many certificates an account has in a region.
func (s *Store) CountAccountCertificates(ctx context.Context, account, region string) (int, error) {
	var count int
	err := s.queryRow(ctx, `SELECT COUNT(*) FROM certificates
		WHERE account = ? AND region = ?`, account, region).Scan(&count)
	if err != nil {
		return 0, fmt.Errorf("count certificates: %w", err)
	}
	return count, nil
}
