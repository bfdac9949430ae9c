package sqlstore_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/openacm/openacm/internal/keys"
	"github.com/openacm/openacm/internal/store"
	"github.com/openacm/openacm/internal/store/sqlstore"
)

func testKeyring(t testing.TB) *keys.Keyring {
	t.Helper()
	raw, err := keys.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	keyring, err := keys.NewKeyring(raw)
	if err != nil {
		t.Fatal(err)
	}
	return keyring
}

func sealedTestCertificate(arn string) *store.Certificate {
	return &store.Certificate{
		ARN:           arn,
		Account:       "111122223333",
		Region:        "us-east-1",
		Status:        "ISSUED",
		CreatedAt:     time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC),
		PrivateKeyPEM: []byte("-----BEGIN PRIVATE KEY-----\nclear key bytes\n-----END PRIVATE KEY-----\n"),
	}
}

// rawColumn reads one column of one row straight from the SQLite file.
func rawColumn(t *testing.T, path, query string, args ...any) []byte {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var value []byte
	if err := db.QueryRow(query, args...).Scan(&value); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return value
}

func TestPrivateKeySealedInDatabase(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "openacm.db")
	s, err := sqlstore.OpenSQLite(ctx, path, nil, sqlstore.WithKeyring(testKeyring(t)))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	cert := sealedTestCertificate("arn:aws:acm:us-east-1:111122223333:certificate/sealed")
	if _, _, err := s.CreateCertificate(ctx, cert, nil, nil); err != nil {
		t.Fatalf("CreateCertificate: %v", err)
	}
	if _, err := s.InitSecret(ctx, "ca", []byte("secret CA key")); err != nil {
		t.Fatalf("InitSecret: %v", err)
	}

	stored := rawColumn(t, path, `SELECT private_key FROM certificates WHERE arn = ?`, cert.ARN)
	if !keys.IsSealed(stored) || bytes.Contains(stored, []byte("clear key bytes")) {
		t.Errorf("private_key column is not sealed: %q", stored)
	}
	secret := rawColumn(t, path, `SELECT value FROM secrets WHERE name = ?`, "ca")
	if !keys.IsSealed(secret) || bytes.Contains(secret, []byte("secret CA key")) {
		t.Errorf("secrets value is not sealed: %q", secret)
	}

	got, err := s.GetCertificate(ctx, cert.Account, cert.Region, cert.ARN)
	if err != nil {
		t.Fatalf("GetCertificate: %v", err)
	}
	if !bytes.Equal(got.PrivateKeyPEM, cert.PrivateKeyPEM) {
		t.Errorf("PrivateKeyPEM = %q, want %q", got.PrivateKeyPEM, cert.PrivateKeyPEM)
	}
	gotSecret, err := s.GetSecret(ctx, "ca")
	if err != nil || string(gotSecret) != "secret CA key" {
		t.Errorf("GetSecret = %q, %v; want the stored secret", gotSecret, err)
	}
}

func TestSealedValueBoundToRow(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "openacm.db")
	s, err := sqlstore.OpenSQLite(ctx, path, nil, sqlstore.WithKeyring(testKeyring(t)))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	first := sealedTestCertificate("arn:aws:acm:us-east-1:111122223333:certificate/first")
	second := sealedTestCertificate("arn:aws:acm:us-east-1:111122223333:certificate/second")
	for _, cert := range []*store.Certificate{first, second} {
		if _, _, err := s.CreateCertificate(ctx, cert, nil, nil); err != nil {
			t.Fatal(err)
		}
	}

	// Copy the first row's sealed key over the second's, as an attacker
	// with write access to the database would.
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE certificates SET private_key = (SELECT private_key FROM certificates WHERE arn = ?) WHERE arn = ?`,
		first.ARN, second.ARN); err != nil {
		t.Fatal(err)
	}

	if _, err := s.GetCertificate(ctx, second.Account, second.Region, second.ARN); !errors.Is(err, keys.ErrOpen) {
		t.Errorf("GetCertificate of a moved key: error = %v, want keys.ErrOpen", err)
	}
}

func TestStoreWithoutKeyringRejectsPrivateKey(t *testing.T) {
	s, err := sqlstore.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "openacm.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	cert := sealedTestCertificate("arn:aws:acm:us-east-1:111122223333:certificate/nokey")
	if _, _, err := s.CreateCertificate(context.Background(), cert, nil, nil); !errors.Is(err, sqlstore.ErrNoKeyring) {
		t.Errorf("CreateCertificate without keyring: error = %v, want ErrNoKeyring", err)
	}
}

func TestRewrapAndCheckSealed(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "openacm.db")
	oldKey, _ := keys.GenerateKey()
	newKey, _ := keys.GenerateKey()
	oldRing, _ := keys.NewKeyring(oldKey)

	s, err := sqlstore.OpenSQLite(ctx, path, nil, sqlstore.WithKeyring(oldRing))
	if err != nil {
		t.Fatal(err)
	}
	cert := sealedTestCertificate("arn:aws:acm:us-east-1:111122223333:certificate/rotate")
	if _, _, err := s.CreateCertificate(ctx, cert, nil, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.InitSecret(ctx, "ca", []byte("secret CA key")); err != nil {
		t.Fatal(err)
	}
	s.Close()

	bothRing, _ := keys.NewKeyring(newKey, oldKey)
	s, err = sqlstore.OpenSQLite(ctx, path, nil, sqlstore.WithKeyring(bothRing))
	if err != nil {
		t.Fatal(err)
	}
	changed, err := s.RewrapSealed(ctx)
	if err != nil || changed != 2 {
		t.Fatalf("RewrapSealed = %d, %v; want 2 values rewrapped", changed, err)
	}
	again, err := s.RewrapSealed(ctx)
	if err != nil || again != 0 {
		t.Fatalf("second RewrapSealed = %d, %v; want 0", again, err)
	}
	s.Close()

	newRing, _ := keys.NewKeyring(newKey)
	s, err = sqlstore.OpenSQLite(ctx, path, nil, sqlstore.WithKeyring(newRing))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CheckSealed(ctx); err != nil {
		t.Errorf("CheckSealed with the new key: %v", err)
	}
	got, err := s.GetCertificate(ctx, cert.Account, cert.Region, cert.ARN)
	if err != nil || !bytes.Equal(got.PrivateKeyPEM, cert.PrivateKeyPEM) {
		t.Errorf("GetCertificate after rotation = %v; want the original key", err)
	}
	s.Close()

	s, err = sqlstore.OpenSQLite(ctx, path, nil, sqlstore.WithKeyring(oldRing))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.CheckSealed(ctx); !errors.Is(err, keys.ErrUnknownKey) {
		t.Errorf("CheckSealed with the retired key: error = %v, want keys.ErrUnknownKey", err)
	}
}

func TestOpenSealsClearPrivateKeys(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "openacm.db")
	s, err := sqlstore.OpenSQLite(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()

	// A row written in clear, as versions before sealing wrote it.
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	clearKey := []byte("-----BEGIN PRIVATE KEY-----\nlegacy\n-----END PRIVATE KEY-----\n")
	_, err = db.Exec(`INSERT INTO certificates (arn, account, region, status, type, key_algorithm, export_option, managed_by,
		created_at, key_usages, extended_key_usages, certificate_pem, certificate_chain_pem, private_key, details, version, updated_at)
		VALUES ('arn:legacy', '111122223333', 'us-east-1', 'ISSUED', 'AMAZON_ISSUED', 'RSA_2048', 'DISABLED', '',
		0, '', '', '', '', ?, '{}', 1, 0)`, clearKey)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}

	s, err = sqlstore.OpenSQLite(ctx, path, nil, sqlstore.WithKeyring(testKeyring(t)))
	if err != nil {
		t.Fatalf("OpenSQLite with keyring: %v", err)
	}
	defer s.Close()

	stored := rawColumn(t, path, `SELECT private_key FROM certificates WHERE arn = 'arn:legacy'`)
	if !keys.IsSealed(stored) {
		t.Errorf("legacy private key still in clear after open: %q", stored)
	}
	got, err := s.GetCertificate(ctx, "111122223333", "us-east-1", "arn:legacy")
	if err != nil || !bytes.Equal(got.PrivateKeyPEM, clearKey) {
		t.Errorf("GetCertificate of the sealed legacy row = %v; want the original key", err)
	}
}

// CheckSealed opens only a sample of the values, so a key id found past the
// sample is checked through the record of CheckAllSealed.
func TestCheckSealedOpensRecordedKeyIDs(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "openacm.db")
	oldKey, _ := keys.GenerateKey()
	newKey, _ := keys.GenerateKey()
	oldRing, _ := keys.NewKeyring(oldKey)
	bothRing, _ := keys.NewKeyring(newKey, oldKey)
	newRing, _ := keys.NewKeyring(newKey)

	s, err := sqlstore.OpenSQLite(ctx, path, nil, sqlstore.WithKeyring(oldRing))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.CreateCertificate(ctx, sealedTestCertificate("arn:aws:acm:us-east-1:111122223333:certificate/z-old"), nil, nil); err != nil {
		t.Fatal(err)
	}
	s.Close()

	// More values sealed with the new key than the sample holds, all sorting
	// before the one sealed with the old key.
	s, err = sqlstore.OpenSQLite(ctx, path, nil, sqlstore.WithKeyring(bothRing))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 120 {
		arn := fmt.Sprintf("arn:aws:acm:us-east-1:111122223333:certificate/a-%03d", i)
		if _, _, err := s.CreateCertificate(ctx, sealedTestCertificate(arn), nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	read, err := s.CheckAllSealed(ctx)
	if err != nil {
		t.Fatalf("CheckAllSealed with both keys: %v", err)
	}
	if read != 121 {
		t.Errorf("CheckAllSealed with both keys read %d values, want 121 (120 new and 1 old)", read)
	}
	s.Close()

	s, err = sqlstore.OpenSQLite(ctx, path, nil, sqlstore.WithKeyring(newRing))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.CheckSealed(ctx); !errors.Is(err, keys.ErrUnknownKey) {
		t.Errorf("CheckSealed without the old key: error = %v, want keys.ErrUnknownKey", err)
	}
	read, err = s.CheckAllSealed(ctx)
	if err != nil || read != 0 {
		t.Errorf("CheckAllSealed with a record: read %d, error %v; want 0 and nil without a scan", read, err)
	}
}
