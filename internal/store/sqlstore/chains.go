package sqlstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
)

// storeChain moves row's chain into certificate_chains, unless a row with
// the same chain is there already, and leaves its digest in the row.
func (s *Store) storeChain(ctx context.Context, tx *sql.Tx, row *certRow) error {
	if row.CertificateChainPEM == "" {
		row.ChainDigest = nil
		return nil
	}

	digest := sha256.Sum256([]byte(row.CertificateChainPEM))
	chain := row.CertificateChainPEM
	row.ChainDigest, row.CertificateChainPEM = digest[:], ""
	if _, ok := s.chains.Load(digest); ok {
		return nil
	}

	// The cache is filled only by chainOf, from committed rows. A row this
	// transaction finds may have come from an earlier write of the same
	// SQLite group commit, which a failed commit would take away with it.
	_, err := s.exec(ctx, tx, `INSERT INTO certificate_chains (digest, chain_pem) VALUES (?, ?)
		ON CONFLICT (digest) DO NOTHING`, digest[:], chain)
	if err != nil {
		return fmt.Errorf("store certificate chain: %w", err)
	}
	return nil
}

// chainOf returns the chain of row, reading certificate_chains when the
// row names its chain by digest.
func (s *Store) chainOf(ctx context.Context, row *certRow) (string, error) {
	if row.ChainDigest == nil {
		return row.CertificateChainPEM, nil
	}
	if len(row.ChainDigest) != sha256.Size {
		return "", fmt.Errorf("certificate %s: chain digest has %d bytes, want %d", row.ARN, len(row.ChainDigest), sha256.Size)
	}

	digest := [sha256.Size]byte(row.ChainDigest)
	if chain, ok := s.chains.Load(digest); ok {
		return chain.(string), nil
	}

	var chain string
	err := s.reader.QueryRowContext(ctx, s.dialect.bind(`SELECT chain_pem FROM certificate_chains WHERE digest = ?`),
		digest[:]).Scan(&chain)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("certificate %s: chain %x not found", row.ARN, digest)
	}
	if err != nil {
		return "", fmt.Errorf("certificate %s: read chain: %w", row.ARN, err)
	}
	s.chains.Store(digest, chain)
	return chain, nil
}

// chainBatchSize is how many certificates moveInlineChains changes per
// transaction.
const chainBatchSize = 500

// moveInlineChains moves the chains of rows written before
// certificate_chains existed into that table. The partial index
// certificates_with_inline_chain holds exactly those rows, so once they
// are moved, finding none costs one empty index lookup.
func (s *Store) moveInlineChains(ctx context.Context) error {
	moved := 0
	for {
		count, err := s.moveChainBatch(ctx)
		if err != nil {
			return err
		}
		moved += count
		if count < chainBatchSize {
			break
		}
	}
	if moved > 0 {
		s.logger.Info("moved certificate chains to certificate_chains", "count", moved)
	}
	return nil
}

func (s *Store) moveChainBatch(ctx context.Context) (int, error) {
	count := 0
	err := s.write(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, s.dialect.bind(`SELECT arn, certificate_chain_pem FROM certificates
			WHERE certificate_chain_pem <> '' LIMIT ?`), chainBatchSize)
		if err != nil {
			return err
		}
		var batch []certRow
		for rows.Next() {
			var row certRow
			if err := rows.Scan(&row.ARN, &row.CertificateChainPEM); err != nil {
				rows.Close()
				return err
			}
			batch = append(batch, row)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}

		for i := range batch {
			row := &batch[i]
			if err := s.storeChain(ctx, tx, row); err != nil {
				return err
			}
			_, err := s.exec(ctx, tx, `UPDATE certificates SET certificate_chain_pem = '', chain_digest = ? WHERE arn = ?`,
				row.ChainDigest, row.ARN)
			if err != nil {
				return fmt.Errorf("move chain of %s: %w", row.ARN, err)
			}
		}
		count = len(batch)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("move certificate chains: %w", err)
	}
	return count, nil
}
