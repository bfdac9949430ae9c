package sqlstore

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/openacm/openacm/internal/store"
)

// TestUpgradeFromInlineChains opens a database at schema version 7, with a
// certificate row as version 7 wrote it (chain inline, search rows keyed by
// ARN), and checks that opening it with every migration moves the chain
// and rebuilds the search rows.
func TestUpgradeFromInlineChains(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	writerDSN, _, err := sqliteDSNs(path)
	if err != nil {
		t.Fatalf("sqliteDSNs: %v", err)
	}
	db, err := openPool(writerDSN, 1)
	if err != nil {
		t.Fatalf("openPool: %v", err)
	}
	all, err := loadMigrations(migrationFiles, "migrations", sqliteDialect)
	if err != nil {
		t.Fatalf("loadMigrations: %v", err)
	}
	var old []migration
	for _, m := range all {
		if m.version < 8 {
			old = append(old, m)
		}
	}
	if err := migrate(ctx, db, sqliteDialect, old, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatalf("migrate to version 7: %v", err)
	}

	const arn = "arn:aws:acm:us-east-1:111122223333:certificate/old"
	const chain = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
	statements := []string{
		`INSERT INTO certificates (arn, account, region, status, type, key_algorithm, export_option, managed_by,
			created_at, key_usages, extended_key_usages, certificate_pem, certificate_chain_pem, private_key,
			details, version, updated_at)
		VALUES ('` + arn + `', '111122223333', 'us-east-1', 'ISSUED', 'IMPORTED', 'RSA_2048', 'ENABLED', '',
			1, '', '', '', '` + chain + `', NULL,
			'{"domain_name":"old.example.com","subject_alternative_names":["old.example.com"]}', 1, 1)`,
		`INSERT INTO certificate_search (arn, account, region, created_at, not_before, not_after, issued_at,
			imported_at, revoked_at, status, renewal_status, type, in_use, exported, export_option, managed_by,
			validation_method, key_algorithm, serial, common_name, renewal_eligibility, key_pair_origin,
			root_hierarchy_type, acme_endpoint_arn, acme_account_id)
		VALUES ('` + arn + `', '111122223333', 'us-east-1', 1, 0, 0, 0, 1, 0, 'ISSUED', '', 'IMPORTED', 0, 0,
			'ENABLED', '', '', 'RSA_2048', '', 'old.example.com', '', 'CUSTOMER_PROVIDED', '', '', '')`,
		`INSERT INTO certificate_terms (arn, account, region, kind, term)
		VALUES ('` + arn + `', '111122223333', 'us-east-1', 'CN', 'old.example.com')`,
	}
	for _, statement := range statements {
		if _, err := db.ExecContext(ctx, statement); err != nil {
			t.Fatalf("write version 7 rows: %v", err)
		}
	}
	db.Close()

	s, err := OpenSQLite(ctx, path, nil)
	if err != nil {
		t.Fatalf("OpenSQLite: %v", err)
	}
	defer s.Close()

	cert, err := s.GetCertificate(ctx, "111122223333", "us-east-1", arn)
	if err != nil {
		t.Fatalf("GetCertificate: %v", err)
	}
	if cert.CertificateChainPEM != chain {
		t.Errorf("chain = %q, want %q", cert.CertificateChainPEM, chain)
	}

	var inline int
	if err := s.reader.QueryRowContext(ctx, `SELECT COUNT(*) FROM certificates WHERE certificate_chain_pem <> ''`).Scan(&inline); err != nil {
		t.Fatalf("count inline chains: %v", err)
	}
	if inline != 0 {
		t.Errorf("%d rows still hold their chain inline, want 0", inline)
	}

	for _, value := range []string{"OLD.example.com", "d.exa"} {
		op := store.Equals
		if value == "d.exa" {
			op = store.Contains
		}
		filter := &store.SearchCondition{Match: &store.SearchMatch{Field: store.FieldCommonName, Op: op, Value: value}}
		certs, _, err := s.SearchCertificates(ctx, store.SearchQuery{Account: "111122223333", Region: "us-east-1",
			Filter: filter, SortBy: "CREATED_AT", Limit: 10})
		if err != nil {
			t.Fatalf("SearchCertificates %s %q: %v", op, value, err)
		}
		if len(certs) != 1 || certs[0].ARN != arn {
			t.Errorf("SearchCertificates %s %q returned %d certificates, want the old one", op, value, len(certs))
		}
	}

	if _, err := s.GetSetting(ctx, rebuildSearchSetting); err == nil {
		t.Errorf("setting %s is still there after the rebuild", rebuildSearchSetting)
	}
}
