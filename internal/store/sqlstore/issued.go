package sqlstore

import (
	"context"
	"fmt"

	"github.com/openacm/openacm/internal/store"
)

// IssuedCertificates returns up to limit certificates of any account in
// status ISSUED whose ARN sorts after afterARN, in ARN order.
func (s *Store) IssuedCertificates(ctx context.Context, afterARN string, limit int) ([]*store.Certificate, error) {
	if limit < 1 {
		return nil, fmt.Errorf("list issued certificates: limit %d is not positive", limit)
	}

	certs, err := s.queryCertificates(ctx, s.reader, `SELECT `+certificateColumns+` FROM certificates
		WHERE status = ? AND arn > ? ORDER BY arn LIMIT ?`,
		"ISSUED", afterARN, limit)
	if err != nil {
		return nil, fmt.Errorf("list issued certificates: %w", err)
	}

	return certs, nil
}
