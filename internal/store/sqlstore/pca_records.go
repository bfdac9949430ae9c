package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/openacm/openacm/internal/store"
)

// ListCATags returns a CA's tags in the order their keys were first added.
func (s *Store) ListCATags(ctx context.Context, account, region, arn string) ([]store.Tag, error) {
	rows, err := s.reader.QueryContext(ctx, s.dialect.bind(`SELECT t.tag_key, t.tag_value
		FROM certificate_authorities c LEFT JOIN certificate_authority_tags t ON t.arn = c.arn
		WHERE c.arn = ? AND c.account = ? AND c.region = ?
		ORDER BY t.position`), arn, account, region)
	if err != nil {
		return nil, fmt.Errorf("list tags of %s: %w", arn, err)
	}
	defer rows.Close()

	found := false
	tags := []store.Tag{}
	for rows.Next() {
		found = true
		var key, value sql.NullString
		if err := rows.Scan(&key, &value); err != nil {
			return nil, fmt.Errorf("list tags of %s: %w", arn, err)
		}
		if !key.Valid {
			continue
		}
		tag := store.Tag{Key: key.String}
		if value.Valid {
			tag.Value = &value.String
		}
		tags = append(tags, tag)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tags of %s: %w", arn, err)
	}
	if !found {
		return nil, fmt.Errorf("list tags of %s: %w", arn, store.ErrNotFound)
	}
	return tags, nil
}

// AddCATags adds or overwrites CA tags by key, keeping at most maxTags.
func (s *Store) AddCATags(ctx context.Context, account, region, arn string, tags []store.Tag, maxTags int) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		exists, err := s.caExists(ctx, tx, account, region, arn)
		if err != nil {
			return err
		}
		if !exists {
			return store.ErrNotFound
		}

		keys, err := s.caTagKeys(ctx, tx, arn)
		if err != nil {
			return err
		}
		for _, tag := range tags {
			keys[tag.Key] = true
		}
		if len(keys) > maxTags {
			return fmt.Errorf("%w: %d tags, at most %d allowed", store.ErrTooManyTags, len(keys), maxTags)
		}
		return s.upsertTagsIn(ctx, tx, "certificate_authority_tags", arn, tags)
	})
	if err != nil {
		return fmt.Errorf("add tags to %s: %w", arn, err)
	}
	return nil
}

func (s *Store) caTagKeys(ctx context.Context, tx *sql.Tx, arn string) (map[string]bool, error) {
	rows, err := tx.QueryContext(ctx, s.dialect.bind(`SELECT tag_key FROM certificate_authority_tags WHERE arn = ?`), arn)
	if err != nil {
		return nil, fmt.Errorf("read tags: %w", err)
	}
	defer rows.Close()

	keys := make(map[string]bool)
	for rows.Next() {
		var key string
		if err := rows.Scan(&key); err != nil {
			return nil, fmt.Errorf("read tags: %w", err)
		}
		keys[key] = true
	}
	return keys, rows.Err()
}

// upsertTagsIn writes tags into a tag table with the rules of upsertTags.
// table is one of this package's constants, never input.
func (s *Store) upsertTagsIn(ctx context.Context, tx *sql.Tx, table, arn string, tags []store.Tag) error {
	if len(tags) == 0 {
		return nil
	}

	var lastPosition int64
	err := tx.QueryRowContext(ctx, s.dialect.bind(`SELECT COALESCE(MAX(position), -1) FROM `+table+` WHERE arn = ?`),
		arn).Scan(&lastPosition)
	if err != nil {
		return fmt.Errorf("read tag positions: %w", err)
	}

	for i, tag := range tags {
		_, err := s.exec(ctx, tx, `INSERT INTO `+table+` (arn, tag_key, tag_value, position)
			VALUES (?, ?, ?, ?)
			ON CONFLICT (arn, tag_key) DO UPDATE SET tag_value = excluded.tag_value`,
			arn, tag.Key, nullableString(tag.Value), lastPosition+1+int64(i))
		if err != nil {
			return fmt.Errorf("write tag %q: %w", tag.Key, err)
		}
	}
	return nil
}

// RemoveCATags removes CA tags with the matching rules of RemoveTags.
func (s *Store) RemoveCATags(ctx context.Context, account, region, arn string, tags []store.Tag) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		exists, err := s.caExists(ctx, tx, account, region, arn)
		if err != nil {
			return err
		}
		if !exists {
			return store.ErrNotFound
		}

		for _, tag := range tags {
			if tag.Value == nil {
				_, err = s.exec(ctx, tx, `DELETE FROM certificate_authority_tags WHERE arn = ? AND tag_key = ?`, arn, tag.Key)
			} else {
				_, err = s.exec(ctx, tx, `DELETE FROM certificate_authority_tags
					WHERE arn = ? AND tag_key = ? AND COALESCE(tag_value, '') = ?`, arn, tag.Key, *tag.Value)
			}
			if err != nil {
				return fmt.Errorf("remove tag %q: %w", tag.Key, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("remove tags from %s: %w", arn, err)
	}
	return nil
}

const issuedColumns = `arn, ca_arn, serial, certificate_pem, issued_at, not_after, acm_certificate_arn, revoked_at, revocation_reason`

type issuedRow struct {
	ARN, CAARN, Serial, CertificatePEM string
	IssuedAt, NotAfter                 int64
	ACMCertificateARN                  string
	RevokedAt                          int64
	RevocationReason                   string
}

func (r *issuedRow) scanTargets() []any {
	return []any{&r.ARN, &r.CAARN, &r.Serial, &r.CertificatePEM, &r.IssuedAt, &r.NotAfter, &r.ACMCertificateARN, &r.RevokedAt, &r.RevocationReason}
}

func (r *issuedRow) certificate() *store.IssuedCertificate {
	return &store.IssuedCertificate{
		ARN:               r.ARN,
		CAARN:             r.CAARN,
		Serial:            r.Serial,
		CertificatePEM:    r.CertificatePEM,
		IssuedAt:          fromUnixNanos(r.IssuedAt),
		NotAfter:          fromUnixNanos(r.NotAfter),
		ACMCertificateARN: r.ACMCertificateARN,
		RevokedAt:         fromUnixNanos(r.RevokedAt),
		RevocationReason:  r.RevocationReason,
	}
}

// CreateIssuedCertificate inserts cert, or returns the ARN of the
// certificate an earlier call with the same token got from the same CA.
func (s *Store) CreateIssuedCertificate(ctx context.Context, cert *store.IssuedCertificate, idem *store.Idempotency) (string, bool, error) {
	values, err := issuedValues(cert)
	if err != nil {
		return "", false, err
	}

	arn, created := cert.ARN, false
	err = s.write(ctx, func(tx *sql.Tx) error {
		if idem != nil {
			claimed, existing, err := s.claimPCAToken(ctx, tx, cert.CAARN, cert.ARN, cert.IssuedAt, idem)
			if err != nil {
				return err
			}
			if !claimed {
				arn = existing
				return nil
			}
		}
		if err := s.insertIssued(ctx, tx, values); err != nil {
			return err
		}
		created = true
		return nil
	})
	if err != nil {
		return "", false, fmt.Errorf("create issued certificate %s: %w", cert.ARN, err)
	}
	return arn, created, nil
}

// issuedValues returns the column values of cert in issuedColumns order.
func issuedValues(cert *store.IssuedCertificate) ([]any, error) {
	issuedAt, err := unixNanos(cert.IssuedAt)
	if err != nil {
		return nil, err
	}
	notAfter, err := unixNanos(cert.NotAfter)
	if err != nil {
		return nil, err
	}
	revokedAt, err := unixNanos(cert.RevokedAt)
	if err != nil {
		return nil, err
	}
	return []any{cert.ARN, cert.CAARN, cert.Serial, cert.CertificatePEM, issuedAt, notAfter,
		cert.ACMCertificateARN, revokedAt, cert.RevocationReason}, nil
}

// insertIssued inserts one issued certificate from its issuedValues.
func (s *Store) insertIssued(ctx context.Context, tx *sql.Tx, values []any) error {
	_, err := s.exec(ctx, tx, `INSERT INTO pca_issued_certificates (`+issuedColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, values...)
	if err != nil {
		return fmt.Errorf("insert issued certificate: %w", err)
	}
	return nil
}

// GetIssuedCertificate returns a certificate of a CA by ARN.
func (s *Store) GetIssuedCertificate(ctx context.Context, caARN, arn string) (*store.IssuedCertificate, error) {
	return s.getIssued(ctx, `ca_arn = ? AND arn = ?`, caARN, arn)
}

// GetIssuedCertificateBySerial returns a certificate of a CA by hex serial.
func (s *Store) GetIssuedCertificateBySerial(ctx context.Context, caARN, serial string) (*store.IssuedCertificate, error) {
	return s.getIssued(ctx, `ca_arn = ? AND serial = ?`, caARN, strings.ToLower(serial))
}

func (s *Store) getIssued(ctx context.Context, where string, args ...any) (*store.IssuedCertificate, error) {
	var row issuedRow
	err := s.reader.QueryRowContext(ctx, s.dialect.bind(`SELECT `+issuedColumns+`
		FROM pca_issued_certificates WHERE `+where), args...).Scan(row.scanTargets()...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("get issued certificate: %w", store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get issued certificate: %w", err)
	}
	return row.certificate(), nil
}

// RevokeIssuedCertificate marks the certificate with serial as revoked.
func (s *Store) RevokeIssuedCertificate(ctx context.Context, caARN, serial string, revokedAt time.Time, reason string) error {
	at, err := unixNanos(revokedAt)
	if err != nil {
		return err
	}
	if at == 0 {
		return errors.New("revoke issued certificate: revocation time is zero")
	}

	err = s.write(ctx, func(tx *sql.Tx) error {
		// The row lock makes a concurrent second revocation wait and then
		// see the first one, so exactly one of them succeeds.
		var current int64
		err := tx.QueryRowContext(ctx, s.dialect.bind(`SELECT revoked_at FROM pca_issued_certificates
			WHERE ca_arn = ? AND serial = ?`+s.dialect.lockRow), caARN, strings.ToLower(serial)).Scan(&current)
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		if current != 0 {
			return store.ErrAlreadyExists
		}
		_, err = s.exec(ctx, tx, `UPDATE pca_issued_certificates SET revoked_at = ?, revocation_reason = ?
			WHERE ca_arn = ? AND serial = ?`, at, reason, caARN, strings.ToLower(serial))
		return err
	})
	if err != nil {
		return fmt.Errorf("revoke certificate %s of %s: %w", serial, caARN, err)
	}
	return nil
}

// RevokedIssuedCertificates returns the revoked certificates of a CA.
func (s *Store) RevokedIssuedCertificates(ctx context.Context, caARN string) ([]*store.IssuedCertificate, error) {
	return s.listIssued(ctx, `ca_arn = ? AND revoked_at <> 0`, caARN)
}

// ListIssuedCertificates returns every certificate of a CA, oldest first.
func (s *Store) ListIssuedCertificates(ctx context.Context, caARN string) ([]*store.IssuedCertificate, error) {
	return s.listIssued(ctx, `ca_arn = ?`, caARN)
}

func (s *Store) listIssued(ctx context.Context, where string, args ...any) ([]*store.IssuedCertificate, error) {
	rows, err := s.reader.QueryContext(ctx, s.dialect.bind(`SELECT `+issuedColumns+`
		FROM pca_issued_certificates WHERE `+where+` ORDER BY issued_at, arn`), args...)
	if err != nil {
		return nil, fmt.Errorf("list issued certificates: %w", err)
	}
	defer rows.Close()

	var certs []*store.IssuedCertificate
	for rows.Next() {
		var row issuedRow
		if err := rows.Scan(row.scanTargets()...); err != nil {
			return nil, fmt.Errorf("list issued certificates: %w", err)
		}
		certs = append(certs, row.certificate())
	}
	return certs, rows.Err()
}

// CreatePermission stores p unless the CA has one for the same principal
// and source account.
func (s *Store) CreatePermission(ctx context.Context, p *store.Permission) error {
	createdAt, err := unixNanos(p.CreatedAt)
	if err != nil {
		return err
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		result, err := s.exec(ctx, tx, `INSERT INTO pca_permissions (ca_arn, principal, source_account, actions, created_at)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (ca_arn, principal, source_account) DO NOTHING`,
			p.CAARN, p.Principal, p.SourceAccount, strings.Join(p.Actions, ","), createdAt)
		if err != nil {
			return err
		}
		changed, err := result.RowsAffected()
		if err != nil {
			return err
		}
		if changed == 0 {
			return store.ErrAlreadyExists
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("create permission on %s: %w", p.CAARN, err)
	}
	return nil
}

// DeletePermission removes the permission of a principal and source account.
func (s *Store) DeletePermission(ctx context.Context, caARN, principal, sourceAccount string) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		result, err := s.exec(ctx, tx, `DELETE FROM pca_permissions
			WHERE ca_arn = ? AND principal = ? AND source_account = ?`, caARN, principal, sourceAccount)
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
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete permission on %s: %w", caARN, err)
	}
	return nil
}

// ListPermissions returns the permissions of a CA, oldest first.
func (s *Store) ListPermissions(ctx context.Context, caARN string) ([]*store.Permission, error) {
	rows, err := s.reader.QueryContext(ctx, s.dialect.bind(`SELECT principal, source_account, actions, created_at
		FROM pca_permissions WHERE ca_arn = ? ORDER BY created_at, principal, source_account`), caARN)
	if err != nil {
		return nil, fmt.Errorf("list permissions of %s: %w", caARN, err)
	}
	defer rows.Close()

	var permissions []*store.Permission
	for rows.Next() {
		p := &store.Permission{CAARN: caARN}
		var actions string
		var createdAt int64
		if err := rows.Scan(&p.Principal, &p.SourceAccount, &actions, &createdAt); err != nil {
			return nil, fmt.Errorf("list permissions of %s: %w", caARN, err)
		}
		if actions != "" {
			p.Actions = strings.Split(actions, ",")
		}
		p.CreatedAt = fromUnixNanos(createdAt)
		permissions = append(permissions, p)
	}
	return permissions, rows.Err()
}

// CreateAuditReport stores a report.
func (s *Store) CreateAuditReport(ctx context.Context, report *store.AuditReport) error {
	createdAt, err := unixNanos(report.CreatedAt)
	if err != nil {
		return err
	}
	body := report.Body
	if body == nil {
		body = []byte{}
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		_, err := s.exec(ctx, tx, `INSERT INTO pca_audit_reports (id, ca_arn, bucket_name, object_key, format, status, created_at, body)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			report.ID, report.CAARN, report.BucketName, report.Key, report.Format, report.Status, createdAt, body)
		return err
	})
	if err != nil {
		return fmt.Errorf("create audit report %s: %w", report.ID, err)
	}
	return nil
}

// GetAuditReport returns a report of a CA.
func (s *Store) GetAuditReport(ctx context.Context, caARN, id string) (*store.AuditReport, error) {
	report := &store.AuditReport{}
	var createdAt int64
	err := s.reader.QueryRowContext(ctx, s.dialect.bind(`SELECT id, ca_arn, bucket_name, object_key, format, status, created_at, body
		FROM pca_audit_reports WHERE ca_arn = ? AND id = ?`), caARN, id).Scan(
		&report.ID, &report.CAARN, &report.BucketName, &report.Key, &report.Format, &report.Status, &createdAt, &report.Body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("get audit report %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get audit report %s: %w", id, err)
	}
	report.CreatedAt = fromUnixNanos(createdAt)
	return report, nil
}

// RevokedCertificates returns the REVOKED ACM certificates of a type.
func (s *Store) RevokedCertificates(ctx context.Context, certType string) ([]*store.Certificate, error) {
	certs, err := s.queryCertificates(ctx, s.reader, `SELECT `+certificateColumns+` FROM certificates
		WHERE status = ? AND type = ? ORDER BY created_at, arn`, "REVOKED", certType)
	if err != nil {
		return nil, fmt.Errorf("list revoked certificates: %w", err)
	}
	return certs, nil
}

// CertificateBySerial returns the ACM certificate of a type with a serial.
//
// It looks the serial up in the search index, so OCSP requests for
// OpenACM's own CA cost one index lookup. The index leaves out empty
// serials, and the query excludes them too so that the planner uses it.
func (s *Store) CertificateBySerial(ctx context.Context, certType, serial string) (*store.Certificate, error) {
	certs, err := s.queryCertificates(ctx, s.reader, `SELECT `+prefixedCertificateColumns+`
		FROM certificates c JOIN certificate_search s ON s.arn = c.arn
		WHERE c.type = ? AND c.certificate_pem <> '' AND s.serial = ? AND s.serial <> ''`,
		certType, serial)
	if err != nil {
		return nil, fmt.Errorf("find certificate by serial: %w", err)
	}
	for _, cert := range certs {
		if cert.Serial == serial {
			return cert, nil
		}
	}
	return nil, fmt.Errorf("find certificate by serial %s: %w", serial, store.ErrNotFound)
}
