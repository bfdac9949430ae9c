package sqlstore

import (
	"context"
	"database/sql"
	"log/slog"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
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
	db := openAtVersion(t, path, 7)

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

// TestUpgradeToDeferredGrams opens a database at schema version 12 that
// holds an issued and a requested certificate. Version 12 stored the grams
// of both and every serial in the serial index. After migration 13 both
// must still be found by serial and by name substring, and the requested
// one must be found again once it is issued.
func TestUpgradeToDeferredGrams(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v12.db")
	db := openAtVersion(t, path, 12)

	const account, region = "111122223333", "us-east-1"
	const issuedARN = "arn:aws:acm:us-east-1:111122223333:certificate/issued"
	const pendingARN = "arn:aws:acm:us-east-1:111122223333:certificate/pending"
	certificateRow := func(arn, status, name string, created int) string {
		return `INSERT INTO certificates (arn, account, region, status, type, key_algorithm, export_option,
			managed_by, created_at, key_usages, extended_key_usages, certificate_pem, certificate_chain_pem,
			private_key, details, version, updated_at, summary)
		VALUES ('` + arn + `', '` + account + `', '` + region + `', '` + status + `', 'AMAZON_ISSUED', 'RSA_2048',
			'DISABLED', '', ` + strconv.Itoa(created) + `, '', '', '', '', NULL,
			'{"domain_name":"` + name + `","subject_alternative_names":["` + name + `"]}', 1, 1, '')`
	}
	searchRow := func(id int, arn, status, serial, name string) string {
		return `INSERT INTO certificate_search (id, scope, arn, created_at, not_before, not_after, issued_at,
			imported_at, revoked_at, status, renewal_status, type, in_use, exported, export_option, managed_by,
			validation_method, key_algorithm, serial, common_name, renewal_eligibility, key_pair_origin,
			root_hierarchy_type, acme_endpoint_arn, acme_account_id)
		VALUES (` + strconv.Itoa(id) + `, 1, '` + arn + `', ` + strconv.Itoa(id) + `, 0, 0, 0, 0, 0, '` + status + `', '',
			'AMAZON_ISSUED', 0, 0, 'DISABLED', '', 'DNS', 'RSA_2048', '` + serial + `', '` + name + `', '', 'AWS_MANAGED', '', '', '')`
	}
	statements := []string{
		`INSERT INTO certificate_scopes (id, account, region) VALUES (1, '` + account + `', '` + region + `')`,
		certificateRow(issuedARN, "ISSUED", "issued.example.com", 1),
		certificateRow(pendingARN, "PENDING_VALIDATION", "waiting.example.com", 2),
		searchRow(1, issuedARN, "ISSUED", "0a:0b", "issued.example.com"),
		searchRow(2, pendingARN, "PENDING_VALIDATION", "", "waiting.example.com"),
	}
	for id, name := range map[int]string{1: "issued.example.com", 2: "waiting.example.com"} {
		for _, kind := range []string{termCommonName, termDNSName} {
			statements = append(statements, `INSERT INTO certificate_terms (id, kind, term)
				VALUES (`+strconv.Itoa(id)+`, '`+kind+`', '`+name+`')`)
		}
		for _, gram := range grams(name) {
			statements = append(statements, `INSERT INTO certificate_term_grams (gram, id)
				VALUES ('`+gram+`', `+strconv.Itoa(id)+`)`)
		}
	}
	for _, statement := range statements {
		if _, err := db.ExecContext(ctx, statement); err != nil {
			t.Fatalf("write version 12 rows: %v\n%s", err, statement)
		}
	}
	db.Close()

	s, err := OpenSQLite(ctx, path, nil)
	if err != nil {
		t.Fatalf("OpenSQLite: %v", err)
	}
	defer s.Close()

	search := func(field store.SearchField, op store.SearchOp, value string) []string {
		t.Helper()
		filter := &store.SearchCondition{Match: &store.SearchMatch{Field: field, Op: op, Value: value}}
		certs, _, err := s.SearchCertificates(ctx, store.SearchQuery{Account: account, Region: region,
			Filter: filter, SortBy: "CREATED_AT", Limit: 10})
		if err != nil {
			t.Fatalf("SearchCertificates %s %s %q: %v", field, op, value, err)
		}
		var arns []string
		for _, cert := range certs {
			arns = append(arns, cert.ARN)
		}
		return arns
	}

	if got := search(store.FieldSerial, store.Equals, "0a:0b"); !slices.Equal(got, []string{issuedARN}) {
		t.Errorf("search by serial returned %v, want the issued certificate", got)
	}
	if got := search(store.FieldCommonName, store.Contains, "sued.exa"); !slices.Equal(got, []string{issuedARN}) {
		t.Errorf("common name contains, issued: %v, want the issued certificate", got)
	}
	if got := search(store.FieldDNSName, store.Contains, "aiting.ex"); !slices.Equal(got, []string{pendingARN}) {
		t.Errorf("dns name contains, requested: %v, want the requested certificate", got)
	}

	var indexSQL string
	if err := s.reader.QueryRowContext(ctx, `SELECT sql FROM sqlite_master WHERE name = 'certificate_search_serial'`).Scan(&indexSQL); err != nil {
		t.Fatalf("read serial index: %v", err)
	}
	if !strings.Contains(indexSQL, "WHERE serial <> ''") {
		t.Errorf("serial index is %q, want one without empty serials", indexSQL)
	}

	pending, err := s.GetCertificate(ctx, account, region, pendingARN)
	if err != nil {
		t.Fatalf("GetCertificate: %v", err)
	}
	pending.Status = "ISSUED"
	pending.Serial = "0c:0d"
	if err := s.UpdateCertificate(ctx, pending); err != nil {
		t.Fatalf("UpdateCertificate: %v", err)
	}
	if got := search(store.FieldDNSName, store.Contains, "aiting.ex"); !slices.Equal(got, []string{pendingARN}) {
		t.Errorf("dns name contains, after issuing the requested one: %v, want it", got)
	}
	if got := search(store.FieldSerial, store.Equals, "0c:0d"); !slices.Equal(got, []string{pendingARN}) {
		t.Errorf("search by new serial returned %v, want the newly issued certificate", got)
	}
}

// openAtVersion creates a SQLite database at path with the migrations up to
// and including version, as a server of that version left it, and returns
// its writer pool.
func openAtVersion(t *testing.T, path string, version int64) *sql.DB {
	t.Helper()

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
		if m.version <= version {
			old = append(old, m)
		}
	}
	if err := migrate(context.Background(), db, sqliteDialect, old, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatalf("migrate to version %d: %v", version, err)
	}
	return db
}
