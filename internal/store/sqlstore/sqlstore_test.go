package sqlstore_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openacm/openacm/internal/store"
	"github.com/openacm/openacm/internal/store/sqlstore"
	"github.com/openacm/openacm/internal/store/storetest"
)

func openTemp(t testing.TB) *sqlstore.Store {
	t.Helper()

	s, err := sqlstore.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "openacm.db"), slog.New(slog.DiscardHandler),
		sqlstore.WithKeyring(testKeyring(t)))
	if err != nil {
		t.Fatalf("OpenSQLite: %v", err)
	}
	t.Cleanup(func() { s.Close() })

	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openTemp(t) })
}

func TestReopenKeepsData(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "openacm.db")
	keyring := testKeyring(t)

	s, err := sqlstore.OpenSQLite(ctx, path, nil, sqlstore.WithKeyring(keyring))
	if err != nil {
		t.Fatalf("OpenSQLite: %v", err)
	}

	cert := &store.Certificate{
		ARN:           "arn:aws:acm:us-east-1:111122223333:certificate/reopen",
		Account:       "111122223333",
		Region:        "us-east-1",
		Status:        "ISSUED",
		CreatedAt:     time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC),
		PrivateKeyPEM: []byte("secret"),
	}
	value := "v"
	if _, _, err := s.CreateCertificate(ctx, cert, []store.Tag{{Key: "k", Value: &value}}, &store.Idempotency{Token: "t"}); err != nil {
		t.Fatalf("CreateCertificate: %v", err)
	}
	if _, err := s.InitSetting(ctx, "name", []byte("stored")); err != nil {
		t.Fatalf("InitSetting: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	reopened, err := sqlstore.OpenSQLite(ctx, path, nil, sqlstore.WithKeyring(keyring))
	if err != nil {
		t.Fatalf("second OpenSQLite: %v", err)
	}
	defer reopened.Close()

	got, err := reopened.GetCertificate(ctx, cert.Account, cert.Region, cert.ARN)
	if err != nil {
		t.Fatalf("GetCertificate after reopen: %v", err)
	}
	if got.CreatedAt != cert.CreatedAt {
		t.Errorf("CreatedAt after reopen = %v, want %v", got.CreatedAt, cert.CreatedAt)
	}
	if string(got.PrivateKeyPEM) != string(cert.PrivateKeyPEM) {
		t.Errorf("PrivateKeyPEM after reopen has %d bytes, want the %d stored", len(got.PrivateKeyPEM), len(cert.PrivateKeyPEM))
	}
	if got.Status != cert.Status {
		t.Errorf("Status after reopen = %q, want %q", got.Status, cert.Status)
	}

	tags, err := reopened.ListTags(ctx, cert.Account, cert.Region, cert.ARN)
	if err != nil {
		t.Fatalf("ListTags after reopen: %v", err)
	}
	if len(tags) != 1 || tags[0].Key != "k" || tags[0].Value == nil || *tags[0].Value != "v" {
		t.Errorf("tags after reopen = %+v, want k=v", tags)
	}

	setting, err := reopened.InitSetting(ctx, "name", []byte("other"))
	if err != nil {
		t.Fatalf("InitSetting after reopen: %v", err)
	}
	if string(setting) != "stored" {
		t.Errorf("setting after reopen = %q, want %q", setting, "stored")
	}

	other := *cert
	other.ARN += "-2"
	arn, created, err := reopened.CreateCertificate(ctx, &other, nil, &store.Idempotency{Token: "t"})
	if err != nil || created || arn != cert.ARN {
		t.Errorf("CreateCertificate with token after reopen = %s, %v, %v; want %s, false, nil", arn, created, err, cert.ARN)
	}
}

func TestListBadCursorSentinel(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)

	for i := range 3 {
		cert := &store.Certificate{
			ARN:       fmt.Sprintf("arn:aws:acm:us-east-1:111122223333:certificate/%d", i),
			Account:   "111122223333",
			Region:    "us-east-1",
			CreatedAt: time.Unix(int64(i+1), 0),
		}
		if _, _, err := s.CreateCertificate(ctx, cert, nil, nil); err != nil {
			t.Fatalf("CreateCertificate: %v", err)
		}
	}

	query := store.ListQuery{Account: "111122223333", Region: "us-east-1", Limit: 1}
	_, ascendingCursor, err := s.ListCertificates(ctx, query)
	if err != nil || ascendingCursor == "" {
		t.Fatalf("ListCertificates first page: next %q, error %v", ascendingCursor, err)
	}

	cases := []struct {
		name  string
		order store.SortOrder
		after string
	}{
		{"not base64", store.Ascending, "!!"},
		{"not JSON", store.Ascending, base64.RawURLEncoding.EncodeToString([]byte("[1,2]x"))},
		{"no ARN", store.Ascending, base64.RawURLEncoding.EncodeToString([]byte(`{"t":5}`))},
		{"other sort order", store.Descending, ascendingCursor},
	}

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q := query
			q.Order, q.After = tc.order, tc.after

			_, _, err := s.ListCertificates(ctx, q)
			if !errors.Is(err, sqlstore.ErrBadCursor) {
				t.Errorf("ListCertificates(After %q) error = %v, want ErrBadCursor", tc.after, err)
			}
		})
	}
}

func TestListRejectsInvalidQuery(t *testing.T) {
	s := openTemp(t)

	cases := []struct {
		name  string
		query store.ListQuery
	}{
		{"zero limit", store.ListQuery{Account: "a", Region: "r"}},
		{"unknown order", store.ListQuery{Account: "a", Region: "r", Limit: 1, Order: "SIDEWAYS"}},
	}

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := s.ListCertificates(context.Background(), tc.query); err == nil {
				t.Errorf("ListCertificates(%+v) error = nil, want an error", tc.query)
			}
		})
	}
}

func TestOpenSQLiteRejectsPath(t *testing.T) {
	cases := []string{"", filepath.Join(t.TempDir(), "what?.db")}

	for _, path := range cases {
		if s, err := sqlstore.OpenSQLite(context.Background(), path, nil); err == nil {
			s.Close()
			t.Errorf("OpenSQLite(%q) error = nil, want an error", path)
		}
	}
}

func BenchmarkCreateCertificate(b *testing.B) {
	ctx := context.Background()
	s := openTemp(b)
	created := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

	i := 0
	for b.Loop() {
		cert := benchCertificate(i, created)
		if _, _, err := s.CreateCertificate(ctx, cert, nil, &store.Idempotency{Token: cert.ARN}); err != nil {
			b.Fatalf("CreateCertificate: %v", err)
		}
		i++
	}
}

// BenchmarkCreateCertificateParallel creates certificates from 16
// goroutines per GOMAXPROCS, as concurrent RequestCertificate calls do, so
// the writes can share commits.
func BenchmarkCreateCertificateParallel(b *testing.B) {
	ctx := context.Background()
	s := openTemp(b)
	created := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

	var next atomic.Int64
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			cert := benchCertificate(int(next.Add(1)), created)
			if _, _, err := s.CreateCertificate(ctx, cert, nil, &store.Idempotency{Token: cert.ARN}); err != nil {
				b.Errorf("CreateCertificate: %v", err)
				return
			}
		}
	})
}

// BenchmarkIssueCertificateUpdate marks pending certificates issued from 16
// goroutines per GOMAXPROCS, as the worker does once validation passes.
func BenchmarkIssueCertificateUpdate(b *testing.B) {
	ctx := context.Background()
	s := openTemp(b)
	created := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

	certs := make([]*store.Certificate, b.N)
	for i := range certs {
		certs[i] = benchCertificate(i, created)
		if _, _, err := s.CreateCertificate(ctx, certs[i], nil, nil); err != nil {
			b.Fatalf("CreateCertificate: %v", err)
		}
	}

	var next atomic.Int64
	b.ResetTimer()
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := int(next.Add(1)) - 1
			cert := certs[i]
			cert.Status = "ISSUED"
			cert.Serial = fmt.Sprintf("%02x:%02x", i/256, i%256)
			cert.IssuedAt = created.Add(time.Hour)
			cert.NotBefore = cert.IssuedAt
			cert.NotAfter = cert.IssuedAt.Add(395 * 24 * time.Hour)
			cert.ExtendedKeyUsages = []store.ExtendedKeyUsage{{Name: "TLS_WEB_SERVER_AUTHENTICATION"}}
			if err := s.UpdateCertificate(ctx, cert); err != nil {
				b.Errorf("UpdateCertificate: %v", err)
				return
			}
		}
	})
}

func BenchmarkGetCertificate(b *testing.B) {
	ctx := context.Background()
	s := openTemp(b)
	cert := benchCertificate(0, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	if _, _, err := s.CreateCertificate(ctx, cert, nil, nil); err != nil {
		b.Fatalf("CreateCertificate: %v", err)
	}

	for b.Loop() {
		if _, err := s.GetCertificate(ctx, cert.Account, cert.Region, cert.ARN); err != nil {
			b.Fatalf("GetCertificate: %v", err)
		}
	}
}

func BenchmarkGetCertificateDetails(b *testing.B) {
	ctx := context.Background()
	s := openTemp(b)
	cert := benchCertificate(0, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	if _, _, err := s.CreateCertificate(ctx, cert, nil, nil); err != nil {
		b.Fatalf("CreateCertificate: %v", err)
	}

	for b.Loop() {
		if _, err := s.GetCertificateDetails(ctx, cert.Account, cert.Region, cert.ARN); err != nil {
			b.Fatalf("GetCertificateDetails: %v", err)
		}
	}
}

// BenchmarkListCertificatesPage reads one page of 1,000 certificates, the
// largest page ListCertificates serves.
func BenchmarkListCertificatesPage(b *testing.B) {
	ctx := context.Background()
	s := openTemp(b)
	created := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 1000 {
		if _, _, err := s.CreateCertificate(ctx, benchCertificate(i, created), nil, nil); err != nil {
			b.Fatalf("CreateCertificate: %v", err)
		}
	}
	query := store.ListQuery{Account: "111122223333", Region: "us-east-1", Limit: 1000}

	for b.Loop() {
		certs, _, err := s.ListCertificates(ctx, query)
		if err != nil {
			b.Fatalf("ListCertificates: %v", err)
		}
		if len(certs) != 1000 {
			b.Fatalf("ListCertificates returned %d certificates, want 1000", len(certs))
		}
	}
}

func benchCertificate(i int, created time.Time) *store.Certificate {
	return &store.Certificate{
		ARN:                     fmt.Sprintf("arn:aws:acm:us-east-1:111122223333:certificate/%08d", i),
		Account:                 "111122223333",
		Region:                  "us-east-1",
		DomainName:              "example.com",
		SubjectAlternativeNames: []string{"example.com", "www.example.com"},
		Type:                    "AMAZON_ISSUED",
		Status:                  "PENDING_VALIDATION",
		KeyAlgorithm:            "RSA_2048",
		KeyUsages:               []string{"DIGITAL_SIGNATURE", "KEY_ENCIPHERMENT"},
		DomainValidations: []store.DomainValidation{{
			DomainName: "example.com", ValidationMethod: "DNS", ValidationStatus: "PENDING_VALIDATION",
			ResourceRecordName: "_a.example.com.", ResourceRecordType: "CNAME", ResourceRecordValue: "_b.acm-validations.aws.",
		}},
		CreatedAt: created.Add(time.Duration(i) * time.Millisecond),
	}
}

func TestGetCertificateDetailsOmitsKeys(t *testing.T) {
	stores := map[string]func(testing.TB) *sqlstore.Store{"sqlite": openTemp, "postgres": openPostgres}

	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s := open(t)
			cert := benchCertificate(1, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
			cert.CertificatePEM = "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n"
			cert.CertificateChainPEM = cert.CertificatePEM
			cert.PrivateKeyPEM = []byte("-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----\n")
			if _, _, err := s.CreateCertificate(ctx, cert, nil, nil); err != nil {
				t.Fatalf("CreateCertificate: %v", err)
			}

			got, err := s.GetCertificateDetails(ctx, cert.Account, cert.Region, cert.ARN)
			if err != nil {
				t.Fatalf("GetCertificateDetails: %v", err)
			}
			if got.PrivateKeyPEM != nil {
				t.Errorf("PrivateKeyPEM = %q, want nil", got.PrivateKeyPEM)
			}
			if got.CertificatePEM != "" || got.CertificateChainPEM != "" {
				t.Errorf("PEM bodies = %q, %q; want empty", got.CertificatePEM, got.CertificateChainPEM)
			}
			if got.DomainName != cert.DomainName {
				t.Errorf("DomainName = %q, want %q", got.DomainName, cert.DomainName)
			}
			if len(got.DomainValidations) != 1 || got.DomainValidations[0].ResourceRecordName != "_a.example.com." {
				t.Errorf("DomainValidations = %+v, want the stored validation", got.DomainValidations)
			}

			// Every other field matches the full read.
			full, err := s.GetCertificate(ctx, cert.Account, cert.Region, cert.ARN)
			if err != nil {
				t.Fatalf("GetCertificate: %v", err)
			}
			full.PrivateKeyPEM, full.CertificatePEM, full.CertificateChainPEM = nil, "", ""
			if !reflect.DeepEqual(got, full) {
				t.Errorf("GetCertificateDetails =\n%+v\nwant GetCertificate without keys and PEM bodies:\n%+v", got, full)
			}

			_, err = s.GetCertificateDetails(ctx, cert.Account, "eu-west-1", cert.ARN)
			if !errors.Is(err, store.ErrNotFound) {
				t.Errorf("GetCertificateDetails(other region) error = %v, want ErrNotFound", err)
			}
		})
	}
}

func BenchmarkCreateCertificatesBatch(b *testing.B) {
	ctx := context.Background()
	s := openTemp(b)
	created := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	const batchSize = 1000
	if err := s.PrepareBulkLoad(ctx, 256*1024); err != nil {
		b.Fatalf("PrepareBulkLoad: %v", err)
	}

	i := 0
	for b.Loop() {
		certs := make([]*store.Certificate, batchSize)
		for j := range certs {
			certs[j] = benchCertificate(i, created)
			i++
		}
		if err := s.CreateCertificates(ctx, certs, nil); err != nil {
			b.Fatalf("CreateCertificates: %v", err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(i), "ns/certificate")
}

func BenchmarkSearchCommonName(b *testing.B) {
	ctx := context.Background()
	s := openTemp(b)
	created := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	const count = 10000

	certs := make([]*store.Certificate, count)
	for i := range certs {
		certs[i] = benchCertificate(i, created)
		certs[i].DomainName = fmt.Sprintf("host%05d.example.com", i)
		certs[i].SubjectAlternativeNames = []string{certs[i].DomainName}
	}
	if err := s.CreateCertificates(ctx, certs, nil); err != nil {
		b.Fatalf("CreateCertificates: %v", err)
	}

	i := 0
	for b.Loop() {
		want := certs[i%count]
		filter := &store.SearchCondition{Match: &store.SearchMatch{Field: store.FieldCommonName, Op: store.Equals, Value: want.DomainName}}
		found, _, err := s.SearchCertificates(ctx, store.SearchQuery{Account: want.Account, Region: want.Region,
			Filter: filter, SortBy: "CREATED_AT", Limit: 10})
		if err != nil {
			b.Fatalf("SearchCertificates: %v", err)
		}
		if len(found) != 1 {
			b.Fatalf("SearchCertificates %s found %d certificates, want 1", want.DomainName, len(found))
		}
		i++
	}
}
