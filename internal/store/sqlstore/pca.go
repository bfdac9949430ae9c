package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/openacm/openacm/internal/store"
)

// caColumns lists the certificate_authorities columns in the order that
// caRow.scanTargets and caRow.values use.
const caColumns = `arn, account, region, status, created_at, private_key, details, version, updated_at`

type caRow struct {
	ARN        string
	Account    string
	Region     string
	Status     string
	CreatedAt  int64
	PrivateKey []byte
	Details    string
	Version    int64
	UpdatedAt  int64
}

func (r *caRow) scanTargets() []any {
	return []any{&r.ARN, &r.Account, &r.Region, &r.Status, &r.CreatedAt, &r.PrivateKey, &r.Details, &r.Version, &r.UpdatedAt}
}

func (r *caRow) values() []any {
	return []any{r.ARN, r.Account, r.Region, r.Status, r.CreatedAt, r.PrivateKey, r.Details, r.Version, r.UpdatedAt}
}

// caDetails is the JSON object in the details column.
type caDetails struct {
	Type                       string          `json:"type"`
	FailureReason              string          `json:"failure_reason,omitempty"`
	KeyAlgorithm               string          `json:"key_algorithm"`
	SigningAlgorithm           string          `json:"signing_algorithm"`
	UsageMode                  string          `json:"usage_mode,omitempty"`
	KeyStorageSecurityStandard string          `json:"key_storage_security_standard,omitempty"`
	Configuration              json.RawMessage `json:"configuration,omitempty"`
	RevocationConfiguration    json.RawMessage `json:"revocation_configuration,omitempty"`
	CSRPEM                     string          `json:"csr_pem,omitempty"`
	CertificatePEM             string          `json:"certificate_pem,omitempty"`
	CertificateChainPEM        string          `json:"certificate_chain_pem,omitempty"`
	Serial                     string          `json:"serial,omitempty"`
	NotBefore                  time.Time       `json:"not_before,omitzero"`
	NotAfter                   time.Time       `json:"not_after,omitzero"`
	Policy                     string          `json:"policy,omitempty"`
	CRLNumber                  int64           `json:"crl_number,omitempty"`
	LastStateChangeAt          time.Time       `json:"last_state_change_at,omitzero"`
	RestorableUntil            time.Time       `json:"restorable_until,omitzero"`
}

func rowFromCA(ca *store.CertificateAuthority) (*caRow, error) {
	createdAt, err := unixNanos(ca.CreatedAt)
	if err != nil {
		return nil, fmt.Errorf("certificate authority %s CreatedAt: %w", ca.ARN, err)
	}
	updatedAt, err := unixNanos(ca.UpdatedAt)
	if err != nil {
		return nil, fmt.Errorf("certificate authority %s UpdatedAt: %w", ca.ARN, err)
	}

	details, err := json.Marshal(caDetails{
		Type:                       ca.Type,
		FailureReason:              ca.FailureReason,
		KeyAlgorithm:               ca.KeyAlgorithm,
		SigningAlgorithm:           ca.SigningAlgorithm,
		UsageMode:                  ca.UsageMode,
		KeyStorageSecurityStandard: ca.KeyStorageSecurityStandard,
		Configuration:              rawJSON(ca.Configuration),
		RevocationConfiguration:    rawJSON(ca.RevocationConfiguration),
		CSRPEM:                     ca.CSRPEM,
		CertificatePEM:             ca.CertificatePEM,
		CertificateChainPEM:        ca.CertificateChainPEM,
		Serial:                     ca.Serial,
		NotBefore:                  ca.NotBefore.UTC(),
		NotAfter:                   ca.NotAfter.UTC(),
		Policy:                     ca.Policy,
		CRLNumber:                  ca.CRLNumber,
		LastStateChangeAt:          ca.LastStateChangeAt.UTC(),
		RestorableUntil:            ca.RestorableUntil.UTC(),
	})
	if err != nil {
		return nil, fmt.Errorf("encode certificate authority %s details: %w", ca.ARN, err)
	}

	return &caRow{
		ARN:        ca.ARN,
		Account:    ca.Account,
		Region:     ca.Region,
		Status:     ca.Status,
		CreatedAt:  createdAt,
		PrivateKey: ca.PrivateKeyPEM,
		Details:    string(details),
		Version:    ca.Version,
		UpdatedAt:  updatedAt,
	}, nil
}

// rawJSON returns nil for an empty document, so omitempty drops it.
func rawJSON(doc []byte) json.RawMessage {
	if len(doc) == 0 {
		return nil
	}
	return json.RawMessage(doc)
}

func (r *caRow) authority() (*store.CertificateAuthority, error) {
	var details caDetails
	if err := json.Unmarshal([]byte(r.Details), &details); err != nil {
		return nil, fmt.Errorf("decode certificate authority %s details: %w", r.ARN, err)
	}

	return &store.CertificateAuthority{
		ARN:                        r.ARN,
		Account:                    r.Account,
		Region:                     r.Region,
		Type:                       details.Type,
		Status:                     r.Status,
		FailureReason:              details.FailureReason,
		KeyAlgorithm:               details.KeyAlgorithm,
		SigningAlgorithm:           details.SigningAlgorithm,
		UsageMode:                  details.UsageMode,
		KeyStorageSecurityStandard: details.KeyStorageSecurityStandard,
		Configuration:              []byte(details.Configuration),
		RevocationConfiguration:    []byte(details.RevocationConfiguration),
		CSRPEM:                     details.CSRPEM,
		CertificatePEM:             details.CertificatePEM,
		CertificateChainPEM:        details.CertificateChainPEM,
		Serial:                     details.Serial,
		NotBefore:                  details.NotBefore.UTC(),
		NotAfter:                   details.NotAfter.UTC(),
		PrivateKeyPEM:              r.PrivateKey,
		Policy:                     details.Policy,
		CRLNumber:                  details.CRLNumber,
		CreatedAt:                  fromUnixNanos(r.CreatedAt),
		LastStateChangeAt:          details.LastStateChangeAt.UTC(),
		RestorableUntil:            details.RestorableUntil.UTC(),
		Version:                    r.Version,
		UpdatedAt:                  fromUnixNanos(r.UpdatedAt),
	}, nil
}

// claimPCAToken records that token names arn in scope, unless it already
// names a record created since notBefore. It returns whether it claimed
// the token and, when not, the ARN the token names. See claimToken.
func (s *Store) claimPCAToken(ctx context.Context, tx *sql.Tx, scope, arn string, createdAt time.Time, idem *store.Idempotency) (bool, string, error) {
	if createdAt.IsZero() {
		createdAt = time.Now()
	}
	tokenNanos, err := unixNanos(createdAt)
	if err != nil {
		return false, "", fmt.Errorf("idempotency token time: %w", err)
	}
	notBeforeNanos, err := unixNanos(idem.NotBefore)
	if err != nil {
		return false, "", fmt.Errorf("idempotency NotBefore: %w", err)
	}

	result, err := s.exec(ctx, tx, `INSERT INTO pca_idempotency_tokens (scope, token, arn, created_at)
		VALUES (?, ?, ?, ?)
		ON CONFLICT (scope, token) DO UPDATE
		SET arn = excluded.arn, created_at = excluded.created_at
		WHERE pca_idempotency_tokens.created_at < ?`,
		scope, idem.Token, arn, tokenNanos, notBeforeNanos)
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
	err = tx.QueryRowContext(ctx, s.dialect.bind(`SELECT arn FROM pca_idempotency_tokens
		WHERE scope = ? AND token = ?`), scope, idem.Token).Scan(&existingARN)
	if err != nil {
		return false, "", fmt.Errorf("read idempotency token: %w", err)
	}
	return false, existingARN, nil
}

// CreateCertificateAuthority inserts ca and its tags, or returns the ARN of
// the CA an earlier call with the same idempotency token created.
func (s *Store) CreateCertificateAuthority(ctx context.Context, ca *store.CertificateAuthority, tags []store.Tag, idem *store.Idempotency) (string, bool, error) {
	row, err := s.sealedRowFromCA(ca)
	if err != nil {
		return "", false, err
	}

	arn, created := ca.ARN, false
	err = s.write(ctx, func(tx *sql.Tx) error {
		if idem != nil {
			claimed, existing, err := s.claimPCAToken(ctx, tx, ca.Account+"/"+ca.Region, ca.ARN, ca.CreatedAt, idem)
			if err != nil {
				return err
			}
			if !claimed {
				arn = existing
				return nil
			}
		}

		if _, err := s.exec(ctx, tx, `INSERT INTO certificate_authorities (`+caColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, row.values()...); err != nil {
			return fmt.Errorf("insert certificate authority: %w", err)
		}
		if err := s.upsertTagsIn(ctx, tx, "certificate_authority_tags", ca.ARN, tags); err != nil {
			return err
		}
		created = true
		return nil
	})
	if err != nil {
		return "", false, fmt.Errorf("create certificate authority %s: %w", ca.ARN, err)
	}
	return arn, created, nil
}

// GetCertificateAuthority returns the CA, or store.ErrNotFound. A CA
// decoded before is returned from the authority cache once a query of its
// version, created_at and updated_at shows the row unchanged, which costs
// less than reading the row, decoding its details and opening its key.
func (s *Store) GetCertificateAuthority(ctx context.Context, account, region, arn string) (*store.CertificateAuthority, error) {
	if entry := s.authorities.get(arn); entry != nil && entry.ca.Account == account && entry.ca.Region == region {
		var version, createdAt, updatedAt int64
		err := s.queryRow(ctx, `SELECT version, created_at, updated_at
			FROM certificate_authorities WHERE arn = ? AND account = ? AND region = ?`,
			arn, account, region).Scan(&version, &createdAt, &updatedAt)
		if errors.Is(err, sql.ErrNoRows) {
			s.authorities.drop(arn)
			return nil, fmt.Errorf("get certificate authority %s: %w", arn, store.ErrNotFound)
		}
		if err != nil {
			return nil, fmt.Errorf("get certificate authority %s: %w", arn, err)
		}
		if entry.matches(version, createdAt, updatedAt) {
			return copyAuthority(entry.ca), nil
		}
	}

	var row caRow
	err := s.queryRow(ctx, `SELECT `+caColumns+`
		FROM certificate_authorities WHERE arn = ? AND account = ? AND region = ?`,
		arn, account, region).Scan(row.scanTargets()...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("get certificate authority %s: %w", arn, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get certificate authority %s: %w", arn, err)
	}
	ca, err := s.openedAuthority(&row)
	if err != nil {
		return nil, err
	}
	s.authorities.put(&row, ca)
	return ca, nil
}

// UpdateCertificateAuthority writes ca when the stored version equals
// ca.Version, then increments ca.Version.
func (s *Store) UpdateCertificateAuthority(ctx context.Context, ca *store.CertificateAuthority) error {
	row, err := s.sealedRowFromCA(ca)
	if err != nil {
		return err
	}

	newVersion := ca.Version + 1
	err = s.write(ctx, func(tx *sql.Tx) error {
		result, err := s.exec(ctx, tx, `UPDATE certificate_authorities SET
			status = ?, private_key = ?, details = ?, version = ?, updated_at = ?
			WHERE arn = ? AND account = ? AND region = ? AND version = ?`,
			row.Status, row.PrivateKey, row.Details, newVersion, row.UpdatedAt,
			row.ARN, row.Account, row.Region, ca.Version)
		if err != nil {
			return err
		}
		changed, err := result.RowsAffected()
		if err != nil {
			return err
		}
		if changed == 0 {
			exists, err := s.caExists(ctx, tx, ca.Account, ca.Region, ca.ARN)
			if err != nil {
				return err
			}
			if !exists {
				return store.ErrNotFound
			}
			return store.ErrConflict
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("update certificate authority %s: %w", ca.ARN, err)
	}
	ca.Version = newVersion
	return nil
}

// caExists reports whether the CA exists and locks its row until tx ends,
// so that tag changes and the deletion of one CA run one after another.
func (s *Store) caExists(ctx context.Context, tx *sql.Tx, account, region, arn string) (bool, error) {
	var marker int
	err := tx.QueryRowContext(ctx, s.dialect.bind(`SELECT 1 FROM certificate_authorities
		WHERE arn = ? AND account = ? AND region = ?`+s.dialect.lockRow), arn, account, region).Scan(&marker)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("look up certificate authority: %w", err)
	}
	return true, nil
}

// DeleteCertificateAuthority removes the CA and, through ON DELETE CASCADE,
// its tags, issued certificates, permissions and audit reports.
func (s *Store) DeleteCertificateAuthority(ctx context.Context, account, region, arn string) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		result, err := s.exec(ctx, tx, `DELETE FROM certificate_authorities WHERE arn = ? AND account = ? AND region = ?`,
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
		return nil
	})
	s.authorities.drop(arn)
	if err != nil {
		return fmt.Errorf("delete certificate authority %s: %w", arn, err)
	}
	return nil
}

// ListCertificateAuthorities returns one page of CAs in creation order.
func (s *Store) ListCertificateAuthorities(ctx context.Context, query store.CAListQuery) ([]*store.CertificateAuthority, string, error) {
	if query.Limit < 1 {
		return nil, "", fmt.Errorf("list certificate authorities: limit %d is not positive", query.Limit)
	}

	sqlText := `SELECT ` + caColumns + ` FROM certificate_authorities WHERE account = ? AND region = ?`
	args := []any{query.Account, query.Region}
	if query.After != "" {
		cursor, err := decodeCursor(query.After, false)
		if err != nil {
			return nil, "", err
		}
		sqlText += ` AND (created_at > ? OR (created_at = ? AND arn > ?))`
		args = append(args, cursor.CreatedAt, cursor.CreatedAt, cursor.ARN)
	}
	sqlText += ` ORDER BY created_at, arn LIMIT ?`
	args = append(args, query.Limit+1)

	cas, err := s.queryAuthorities(ctx, sqlText, args...)
	if err != nil {
		return nil, "", fmt.Errorf("list certificate authorities: %w", err)
	}
	if len(cas) <= query.Limit {
		return cas, "", nil
	}

	cas = cas[:query.Limit]
	last := cas[len(cas)-1]
	createdAt, err := unixNanos(last.CreatedAt)
	if err != nil {
		return nil, "", err
	}
	return cas, encodeCursor(listCursor{CreatedAt: createdAt, ARN: last.ARN}), nil
}

// CertificateAuthoritiesByStatus returns up to limit CAs in status, oldest first.
func (s *Store) CertificateAuthoritiesByStatus(ctx context.Context, status string, limit int) ([]*store.CertificateAuthority, error) {
	if limit < 1 {
		return nil, fmt.Errorf("list certificate authorities by status: limit %d is not positive", limit)
	}
	cas, err := s.queryAuthorities(ctx, `SELECT `+caColumns+` FROM certificate_authorities
		WHERE status = ? ORDER BY created_at, arn LIMIT ?`, status, limit)
	if err != nil {
		return nil, fmt.Errorf("list certificate authorities in status %s: %w", status, err)
	}
	return cas, nil
}

func (s *Store) queryAuthorities(ctx context.Context, query string, args ...any) ([]*store.CertificateAuthority, error) {
	rows, err := s.reader.QueryContext(ctx, s.dialect.bind(query), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()

	var cas []*store.CertificateAuthority
	for rows.Next() {
		var row caRow
		if err := rows.Scan(row.scanTargets()...); err != nil {
			return nil, err
		}
		ca, err := s.openedAuthority(&row)
		if err != nil {
			return nil, err
		}
		cas = append(cas, ca)
	}
	return cas, rows.Err()
}

// sealedRowFromCA returns the row of ca with its private key sealed.
func (s *Store) sealedRowFromCA(ca *store.CertificateAuthority) (*caRow, error) {
	row, err := rowFromCA(ca)
	if err != nil {
		return nil, err
	}
	row.PrivateKey, err = s.seal(caKeyColumn, ca.ARN, ca.PrivateKeyPEM)
	if err != nil {
		return nil, fmt.Errorf("seal key of certificate authority %s: %w", ca.ARN, err)
	}
	return row, nil
}

// openedAuthority returns the CA of row with its private key opened.
func (s *Store) openedAuthority(row *caRow) (*store.CertificateAuthority, error) {
	ca, err := row.authority()
	if err != nil {
		return nil, err
	}
	ca.PrivateKeyPEM, err = s.open(caKeyColumn, row.ARN, row.PrivateKey)
	if err != nil {
		return nil, fmt.Errorf("open key of certificate authority %s: %w", row.ARN, err)
	}
	return ca, nil
}
