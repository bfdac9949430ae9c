package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/openacm/openacm/internal/store"
)

// ClaimPendingCertificates leases to holder, until the time until, up to
// limit certificates in status PENDING_VALIDATION whose lease is missing
// or expired at now, and returns them oldest first.
//
// It finds the candidates on a reader, takes their leases in one write and
// then reads the certificates it got. The search reads every pending
// certificate older than the first unleased one, which under load is
// hundreds of leased rows. Inside the write, that search held up every
// request's write for milliseconds. Because the certificates are read
// after the write, a change made before the lease was taken, such as an
// e-mail approval, is never missed.
//
// The lease upsert in claimLease is what makes a claim exclusive: when two
// nodes claim the same certificate at once, the second upsert waits for the
// first transaction and then finds a lease it may not take.
func (s *Store) ClaimPendingCertificates(ctx context.Context, holder string, now, until time.Time, limit int) ([]*store.Certificate, error) {
	if limit < 1 {
		return nil, fmt.Errorf("claim pending certificates: limit %d is not positive", limit)
	}

	nowNanos, untilNanos, err := leaseTimes(now, until)
	if err != nil {
		return nil, fmt.Errorf("claim pending certificates: %w", err)
	}

	candidates, err := s.claimCandidates(ctx, nowNanos, limit)
	if err != nil {
		return nil, fmt.Errorf("claim pending certificates: %w", err)
	}
	if len(candidates) == 0 {
		return nil, nil
	}

	var claimed []any
	err = s.write(ctx, func(tx *sql.Tx) error {
		claimed = claimed[:0]

		// Every node claims in the same (created_at, arn) order, so two
		// claims waiting on each other's lease rows cannot deadlock.
		for _, arn := range candidates {
			ok, err := s.claimLease(ctx, tx, store.CertificateLease(arn), holder, nowNanos, untilNanos)
			if err != nil {
				return err
			}
			if ok {
				claimed = append(claimed, arn)
			}
		}

		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim pending certificates: %w", err)
	}
	if len(claimed) == 0 {
		return nil, nil
	}

	certs, err := s.queryCertificates(ctx, s.reader, `SELECT `+certificateColumns+` FROM certificates
		WHERE arn IN (`+placeholders(len(claimed))+`) ORDER BY created_at, arn`, claimed...)
	if err != nil {
		return nil, fmt.Errorf("claim pending certificates: read the claimed certificates: %w", err)
	}
	return certs, nil
}

// claimCandidates returns the ARNs of claimCandidatesQuery, oldest first.
func (s *Store) claimCandidates(ctx context.Context, nowNanos int64, limit int) ([]string, error) {
	rows, err := s.query(ctx, s.claimCandidatesQuery(),
		store.CertificateLeasePrefix, nowNanos, limit,
		store.CertificateLeasePrefix, nowNanos, limit, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()

	var arns []string
	for rows.Next() {
		var arn string
		var createdAt int64
		if err := rows.Scan(&arn, &createdAt); err != nil {
			return nil, err
		}
		arns = append(arns, arn)
	}
	return arns, rows.Err()
}

// claimCandidatesQuery selects the ARN and creation time, oldest first, of
// the pending certificates
// and the private ones with a pending renewal that no running lease holds,
// the claiming holder's own included. The worker keeps a lease until the
// certificate is due again, so taking those again on every pass only
// rewrote leases while requests waited behind the write.
//
// Each half reads its own index, so the ISSUED certificates without a
// pending renewal are never read. Its arguments are, twice, the lease
// prefix, the time in Unix nanoseconds and the limit, and then the limit
// once more.
func (s *Store) claimCandidatesQuery() string {
	unleased := `NOT EXISTS (SELECT 1 FROM leases
		WHERE leases.name = CAST(? AS TEXT) || certificates.arn
		AND leases.expires_at > ?)`
	return `SELECT * FROM (SELECT arn, created_at FROM certificates
			WHERE status = 'PENDING_VALIDATION' AND ` + unleased + `
			ORDER BY created_at, arn LIMIT ?) AS pending
		UNION ALL
		SELECT * FROM (SELECT arn, created_at FROM certificates
			WHERE ` + s.pendingRenewalCondition() + ` AND ` + unleased + `
			ORDER BY created_at, arn LIMIT ?) AS renewals
		ORDER BY created_at, arn LIMIT ?`
}

// AcquireLease takes or renews the lease called name for holder until the
// time until, unless another holder's lease on it is still running at now.
// It reports whether holder holds the lease afterwards.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, now, until time.Time) (bool, error) {
	nowNanos, untilNanos, err := leaseTimes(now, until)
	if err != nil {
		return false, fmt.Errorf("acquire lease %q: %w", name, err)
	}

	var acquired bool
	err = s.write(ctx, func(tx *sql.Tx) error {
		acquired, err = s.claimLease(ctx, tx, name, holder, nowNanos, untilNanos)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("acquire lease %q: %w", name, err)
	}

	return acquired, nil
}

// claimLease is the one statement that takes a lease: an upsert whose
// update applies only to the holder's own or an expired lease.
func (s *Store) claimLease(ctx context.Context, tx *sql.Tx, name, holder string, nowNanos, untilNanos int64) (bool, error) {
	result, err := s.exec(ctx, tx, `INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
		WHERE leases.holder = excluded.holder OR leases.expires_at <= ?`,
		name, holder, untilNanos, nowNanos)
	if err != nil {
		return false, fmt.Errorf("write lease %q: %w", name, err)
	}

	changed, err := result.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("write lease %q: %w", name, err)
	}

	return changed == 1, nil
}

// KeepLease moves the end of holder's lease called name to until. Unlike
// AcquireLease it never creates the lease, so a lease that an update ended
// in its own transaction (UpdateCertificateAndEndLease) stays ended.
func (s *Store) KeepLease(ctx context.Context, name, holder string, until time.Time) (bool, error) {
	if until.IsZero() {
		return false, fmt.Errorf("keep lease %q: the end time must be set", name)
	}

	var extended bool
	err := s.write(ctx, func(tx *sql.Tx) error {
		result, err := s.exec(ctx, tx, `UPDATE leases SET expires_at = ? WHERE name = ? AND holder = ?`,
			until.UnixNano(), name, holder)
		if err != nil {
			return err
		}
		changed, err := result.RowsAffected()
		extended = changed == 1
		return err
	})
	if err != nil {
		return false, fmt.Errorf("keep lease %q: %w", name, err)
	}

	return extended, nil
}

// ReleaseLease ends holder's lease called name. A lease that another holder
// took over, or that is gone, is left as it is.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := s.exec(ctx, tx, `DELETE FROM leases WHERE name = ? AND holder = ?`, name, holder)
		return err
	})
	if err != nil {
		return fmt.Errorf("release lease %q: %w", name, err)
	}

	return nil
}

// ReleaseLeases ends every lease of holder and returns how many it ended.
func (s *Store) ReleaseLeases(ctx context.Context, holder string) (int, error) {
	var released int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		result, err := s.exec(ctx, tx, `DELETE FROM leases WHERE holder = ?`, holder)
		if err != nil {
			return err
		}

		released, err = result.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("release leases of %q: %w", holder, err)
	}

	return int(released), nil
}

func leaseTimes(now, until time.Time) (nowNanos, untilNanos int64, err error) {
	if now.IsZero() || until.IsZero() {
		return 0, 0, fmt.Errorf("lease times must be set, got now %v and until %v", now, until)
	}

	nowNanos, err = unixNanos(now)
	if err != nil {
		return 0, 0, err
	}

	untilNanos, err = unixNanos(until)
	if err != nil {
		return 0, 0, err
	}

	return nowNanos, untilNanos, nil
}

// privateRenewalMarker is how a requested renewal of a private certificate
// looks inside the details JSON. Such a certificate is pending work too:
// its CA must sign the renewed certificate.
const privateRenewalMarker = `"renewal":{"status":"PENDING_AUTO_RENEWAL"`

// pendingRenewalCondition selects the ISSUED private certificates with a
// pending renewal. It is the predicate of the partial index
// certificates_pending_private_renewal (migration 0011), written with
// literals, because a planner matches a partial index only to the same
// terms and not to bound parameters.
func (s *Store) pendingRenewalCondition() string {
	return `status = 'ISSUED' AND type = 'PRIVATE' AND ` +
		s.dialect.positionFunc + `(details, '` + privateRenewalMarker + `') > 0`
}
