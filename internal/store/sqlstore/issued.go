package sqlstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/openacm/openacm/internal/store"
)

// DueIssuedCertificates returns up to limit certificates of any account in
// status ISSUED whose NotAfter is before a horizon: now plus the longer of
// within and the longest DaysBeforeExpiry of any account configuration.
// Pages follow NotAfter order and start after the position after ("" for
// the first page). It also returns the position after the last
// certificate, "" when no more follow.
// It reads the search rows through an index on (status, not_after), so
// certificates far from expiry are not read at all.
func (s *Store) DueIssuedCertificates(ctx context.Context, now time.Time, within time.Duration, after string, limit int) ([]*store.Certificate, string, error) {
	if limit < 1 {
		return nil, "", fmt.Errorf("list due certificates: limit %d is not positive", limit)
	}
	afterNotAfter, afterID, err := parseDuePosition(after)
	if err != nil {
		return nil, "", fmt.Errorf("list due certificates: %w", err)
	}

	var longestDays int64
	if err := s.reader.QueryRowContext(ctx, `SELECT COALESCE(MAX(days_before_expiry), 0) FROM account_configurations`).Scan(&longestDays); err != nil {
		return nil, "", fmt.Errorf("list due certificates: %w", err)
	}
	within = max(within, time.Duration(longestDays)*24*time.Hour)
	// The search rows keep NotAfter in whole seconds.
	dueBefore := now.Add(within).Unix() + 1

	rows, err := s.reader.QueryContext(ctx, s.dialect.bind(`SELECT not_after, id, arn FROM certificate_search
		WHERE status = ? AND not_after < ? AND (not_after > ? OR (not_after = ? AND id > ?))
		ORDER BY not_after, id LIMIT ?`),
		"ISSUED", dueBefore, afterNotAfter, afterNotAfter, afterID, limit)
	if err != nil {
		return nil, "", fmt.Errorf("list due certificates: %w", err)
	}
	var arns []any
	var lastNotAfter, lastID int64
	for rows.Next() {
		var arn string
		if err := rows.Scan(&lastNotAfter, &lastID, &arn); err != nil {
			rows.Close()
			return nil, "", fmt.Errorf("list due certificates: %w", err)
		}
		arns = append(arns, arn)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("list due certificates: %w", err)
	}
	if len(arns) == 0 {
		return nil, "", nil
	}

	// The status is checked again on the certificate row, which a write
	// changes in the same transaction as the search row.
	certs, err := s.queryCertificates(ctx, s.reader, `SELECT `+certificateColumns+` FROM certificates
		WHERE arn IN (`+placeholders(len(arns))+`) AND status = 'ISSUED' ORDER BY arn`, arns...)
	if err != nil {
		return nil, "", fmt.Errorf("list due certificates: %w", err)
	}
	next := ""
	if len(arns) == limit {
		next = strconv.FormatInt(lastNotAfter, 10) + "/" + strconv.FormatInt(lastID, 10)
	}
	return certs, next, nil
}

// parseDuePosition parses a position from DueIssuedCertificates: NotAfter
// in Unix seconds and the search row id, "" for the start.
func parseDuePosition(after string) (notAfter, id int64, err error) {
	if after == "" {
		return -1 << 62, 0, nil
	}
	first, second, ok := strings.Cut(after, "/")
	if ok {
		notAfter, err = strconv.ParseInt(first, 10, 64)
	}
	if ok && err == nil {
		id, err = strconv.ParseInt(second, 10, 64)
	}
	if !ok || err != nil {
		return 0, 0, fmt.Errorf("%w: position %q", ErrBadCursor, after)
	}
	return notAfter, id, nil
}
