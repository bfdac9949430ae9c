package sqlstore_test

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/openacm/openacm/internal/store"
	"github.com/openacm/openacm/internal/store/sqlstore"
	"github.com/openacm/openacm/internal/testutil/pgtest"
)

// openNodePair opens two stores on one database with one keyring, as two
// nodes sharing a database do.
func openNodePair(t *testing.T, backend string) (*sqlstore.Store, *sqlstore.Store) {
	t.Helper()
	ctx := context.Background()
	keyring := testKeyring(t)
	logger := slog.New(slog.DiscardHandler)

	open := func(name string) (*sqlstore.Store, error) {
		if backend == "postgres" {
			return sqlstore.OpenPostgres(ctx, name, logger, sqlstore.WithKeyring(keyring))
		}
		return sqlstore.OpenSQLite(ctx, name, logger, sqlstore.WithKeyring(keyring))
	}
	name := filepath.Join(t.TempDir(), "openacm.db")
	if backend == "postgres" {
		name = pgtest.SchemaURL(t)
	}

	var stores [2]*sqlstore.Store
	for i := range stores {
		s, err := open(name)
		if err != nil {
			t.Fatalf("open %s store %d: %v", backend, i, err)
		}
		t.Cleanup(func() { s.Close() })
		stores[i] = s
	}
	return stores[0], stores[1]
}

func cacheTestCA(n int) *store.CertificateAuthority {
	created := time.Date(2025, 1, 1, 0, 0, n, 0, time.UTC)
	return &store.CertificateAuthority{
		ARN:              "arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/cache-test",
		Account:          "111122223333",
		Region:           "us-east-1",
		Type:             "ROOT",
		Status:           "ACTIVE",
		KeyAlgorithm:     "EC_prime256v1",
		SigningAlgorithm: "SHA256WITHECDSA",
		Configuration:    []byte(`{"KeyAlgorithm":"EC_prime256v1"}`),
		CertificatePEM:   "-----BEGIN CERTIFICATE-----\n",
		PrivateKeyPEM:    []byte("-----BEGIN PRIVATE KEY-----\n"),
		NotAfter:         created.Add(10 * 365 * 24 * time.Hour),
		CreatedAt:        created,
		UpdatedAt:        created,
	}
}

// TestAuthorityCacheSeesOtherNode changes a CA through one store and reads
// it through another that cached it, as a node does when another node
// sharing the database disables, reconfigures, deletes or restores a CA.
func TestAuthorityCacheSeesOtherNode(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			testAuthorityCacheSeesOtherNode(t, backend)
		})
	}
}

func testAuthorityCacheSeesOtherNode(t *testing.T, backend string) {
	ctx := context.Background()
	reader, writer := openNodePair(t, backend)
	ca := cacheTestCA(1)
	if _, _, err := writer.CreateCertificateAuthority(ctx, ca, nil, nil); err != nil {
		t.Fatalf("CreateCertificateAuthority: %v", err)
	}

	read := func(step string) *store.CertificateAuthority {
		t.Helper()
		got, err := reader.GetCertificateAuthority(ctx, ca.Account, ca.Region, ca.ARN)
		if err != nil {
			t.Fatalf("%s: GetCertificateAuthority: %v", step, err)
		}
		return got
	}
	update := func(step string, change func(*store.CertificateAuthority)) {
		t.Helper()
		current, err := writer.GetCertificateAuthority(ctx, ca.Account, ca.Region, ca.ARN)
		if err != nil {
			t.Fatalf("%s: GetCertificateAuthority on the writer: %v", step, err)
		}
		change(current)
		current.UpdatedAt = current.UpdatedAt.Add(time.Second)
		if err := writer.UpdateCertificateAuthority(ctx, current); err != nil {
			t.Fatalf("%s: UpdateCertificateAuthority: %v", step, err)
		}
	}

	// Two reads fill the cache and then return from it.
	read("first read")
	if got := read("second read"); got.Status != "ACTIVE" {
		t.Fatalf("second read: Status = %s, want ACTIVE", got.Status)
	}

	update("disable", func(c *store.CertificateAuthority) { c.Status = "DISABLED" })
	if got := read("after disable"); got.Status != "DISABLED" {
		t.Errorf("after disable: Status = %s, want DISABLED", got.Status)
	}

	revocation := `{"CrlConfiguration":{"Enabled":true,"ExpirationInDays":7}}`
	update("revocation configuration", func(c *store.CertificateAuthority) { c.RevocationConfiguration = []byte(revocation) })
	if got := read("after revocation configuration"); string(got.RevocationConfiguration) != revocation {
		t.Errorf("after revocation configuration: RevocationConfiguration = %s, want %s", got.RevocationConfiguration, revocation)
	}

	policy := `{"Version":"2012-10-17","Statement":[]}`
	update("policy", func(c *store.CertificateAuthority) { c.Policy = policy })
	if got := read("after policy"); got.Policy != policy {
		t.Errorf("after policy: Policy = %q, want %q", got.Policy, policy)
	}

	update("soft delete", func(c *store.CertificateAuthority) { c.Status = "DELETED" })
	if got := read("after soft delete"); got.Status != "DELETED" {
		t.Errorf("after soft delete: Status = %s, want DELETED", got.Status)
	}
	update("restore", func(c *store.CertificateAuthority) { c.Status = "DISABLED" })
	if got := read("after restore"); got.Status != "DISABLED" {
		t.Errorf("after restore: Status = %s, want DISABLED", got.Status)
	}

	if err := writer.DeleteCertificateAuthority(ctx, ca.Account, ca.Region, ca.ARN); err != nil {
		t.Fatalf("DeleteCertificateAuthority: %v", err)
	}
	if _, err := reader.GetCertificateAuthority(ctx, ca.Account, ca.Region, ca.ARN); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("after delete: GetCertificateAuthority error = %v, want ErrNotFound", err)
	}
}

// TestAuthorityCacheSeesRecreatedCA reads a CA that was deleted and
// created again under the same ARN with the same version and updated_at,
// which the cache must not take for the CA it cached.
func TestAuthorityCacheSeesRecreatedCA(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			reader, writer := openNodePair(t, backend)
			first := cacheTestCA(1)
			if _, _, err := writer.CreateCertificateAuthority(ctx, first, nil, nil); err != nil {
				t.Fatalf("CreateCertificateAuthority: %v", err)
			}
			if _, err := reader.GetCertificateAuthority(ctx, first.Account, first.Region, first.ARN); err != nil {
				t.Fatalf("GetCertificateAuthority: %v", err)
			}

			if err := writer.DeleteCertificateAuthority(ctx, first.Account, first.Region, first.ARN); err != nil {
				t.Fatalf("DeleteCertificateAuthority: %v", err)
			}
			second := cacheTestCA(2)
			second.UpdatedAt = first.UpdatedAt
			second.PrivateKeyPEM = []byte("-----BEGIN PRIVATE KEY-----\nsecond\n")
			if _, _, err := writer.CreateCertificateAuthority(ctx, second, nil, nil); err != nil {
				t.Fatalf("CreateCertificateAuthority again: %v", err)
			}

			got, err := reader.GetCertificateAuthority(ctx, second.Account, second.Region, second.ARN)
			if err != nil {
				t.Fatalf("GetCertificateAuthority after re-creation: %v", err)
			}
			if string(got.PrivateKeyPEM) != string(second.PrivateKeyPEM) {
				t.Errorf("PrivateKeyPEM = %q, want the re-created CA's %q", got.PrivateKeyPEM, second.PrivateKeyPEM)
			}
			if !got.CreatedAt.Equal(second.CreatedAt) {
				t.Errorf("CreatedAt = %s, want %s", got.CreatedAt, second.CreatedAt)
			}
		})
	}
}

// TestAuthorityCacheReturnsCopies changes a returned CA in place and reads
// it again: the change must not reach the cache.
func TestAuthorityCacheReturnsCopies(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	ca := cacheTestCA(1)
	if _, _, err := s.CreateCertificateAuthority(ctx, ca, nil, nil); err != nil {
		t.Fatalf("CreateCertificateAuthority: %v", err)
	}

	for range 2 {
		got, err := s.GetCertificateAuthority(ctx, ca.Account, ca.Region, ca.ARN)
		if err != nil {
			t.Fatalf("GetCertificateAuthority: %v", err)
		}
		got.Status = "FAILED"
		got.PrivateKeyPEM[0] = 'x'
		got.Configuration[0] = 'x'
	}

	got, err := s.GetCertificateAuthority(ctx, ca.Account, ca.Region, ca.ARN)
	if err != nil {
		t.Fatalf("GetCertificateAuthority: %v", err)
	}
	if got.Status != "ACTIVE" {
		t.Errorf("Status = %s, want ACTIVE", got.Status)
	}
	if string(got.PrivateKeyPEM) != string(ca.PrivateKeyPEM) {
		t.Errorf("PrivateKeyPEM = %q, want %q", got.PrivateKeyPEM, ca.PrivateKeyPEM)
	}
	if string(got.Configuration) != string(ca.Configuration) {
		t.Errorf("Configuration = %s, want %s", got.Configuration, ca.Configuration)
	}
}

// BenchmarkGetCertificateAuthority reads one CA again and again, as the
// issuance of each private certificate does.
func BenchmarkGetCertificateAuthority(b *testing.B) {
	ctx := context.Background()
	s := openTemp(b)
	ca := cacheTestCA(1)
	if _, _, err := s.CreateCertificateAuthority(ctx, ca, nil, nil); err != nil {
		b.Fatalf("CreateCertificateAuthority: %v", err)
	}

	for b.Loop() {
		if _, err := s.GetCertificateAuthority(ctx, ca.Account, ca.Region, ca.ARN); err != nil {
			b.Fatalf("GetCertificateAuthority: %v", err)
		}
	}
}

// TestAuthorityCacheClearedByReset re-creates a CA after a reset with the
// same ARN, times and version but another key: the read must return the
// new key.
func TestAuthorityCacheClearedByReset(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	first := cacheTestCA(1)
	if _, _, err := s.CreateCertificateAuthority(ctx, first, nil, nil); err != nil {
		t.Fatalf("CreateCertificateAuthority: %v", err)
	}
	if _, err := s.GetCertificateAuthority(ctx, first.Account, first.Region, first.ARN); err != nil {
		t.Fatalf("GetCertificateAuthority: %v", err)
	}

	if err := s.Reset(ctx); err != nil {
		t.Fatalf("Reset: %v", err)
	}
	second := cacheTestCA(1)
	second.PrivateKeyPEM = []byte("-----BEGIN PRIVATE KEY-----\nafter reset\n")
	if _, _, err := s.CreateCertificateAuthority(ctx, second, nil, nil); err != nil {
		t.Fatalf("CreateCertificateAuthority after Reset: %v", err)
	}

	got, err := s.GetCertificateAuthority(ctx, second.Account, second.Region, second.ARN)
	if err != nil {
		t.Fatalf("GetCertificateAuthority after Reset: %v", err)
	}
	if string(got.PrivateKeyPEM) != string(second.PrivateKeyPEM) {
		t.Errorf("PrivateKeyPEM = %q, want %q", got.PrivateKeyPEM, second.PrivateKeyPEM)
	}
}
