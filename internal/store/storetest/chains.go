package storetest

import (
	"context"
	"testing"

	"github.com/openacm/openacm/internal/store"
)

// testSharedChains checks that certificates sharing one chain, or having
// none, each read back their own chain, through Get and Search, and after
// an update that changes it. List summaries carry no PEM bodies.
func testSharedChains(t *testing.T, s store.Store) {
	ctx := context.Background()
	chainA := "-----BEGIN CERTIFICATE-----\nQQ==\n-----END CERTIFICATE-----\n"
	chainB := "-----BEGIN CERTIFICATE-----\nQg==\n-----END CERTIFICATE-----\n"
	chains := []string{chainA, chainA, chainB, ""}

	var certs []*store.Certificate
	for i, chain := range chains {
		cert := newCertificate(account, region, i+1)
		cert.CertificateChainPEM = chain
		mustCreate(t, s, cert)
		certs = append(certs, cert)
	}

	certs[1].CertificateChainPEM = chainB
	if err := s.UpdateCertificate(ctx, certs[1]); err != nil {
		t.Fatalf("UpdateCertificate: %v", err)
	}
	want := map[string]string{certs[0].ARN: chainA, certs[1].ARN: chainB, certs[2].ARN: chainB, certs[3].ARN: ""}

	for _, cert := range certs {
		got, err := s.GetCertificate(ctx, account, region, cert.ARN)
		if err != nil {
			t.Fatalf("GetCertificate %s: %v", cert.ARN, err)
		}
		if got.CertificateChainPEM != want[cert.ARN] {
			t.Errorf("GetCertificate %s chain = %q, want %q", cert.ARN, got.CertificateChainPEM, want[cert.ARN])
		}
	}

	listed, _, err := s.ListCertificates(ctx, store.ListQuery{Account: account, Region: region, Limit: 10})
	if err != nil {
		t.Fatalf("ListCertificates: %v", err)
	}
	searched, _, err := s.SearchCertificates(ctx, store.SearchQuery{Account: account, Region: region, SortBy: "CREATED_AT", Limit: 10})
	if err != nil {
		t.Fatalf("SearchCertificates: %v", err)
	}
	if len(listed) != len(certs) {
		t.Errorf("ListCertificates returned %d certificates, want %d", len(listed), len(certs))
	}
	if len(searched) != len(certs) {
		t.Errorf("SearchCertificates returned %d certificates, want %d", len(searched), len(certs))
	}
	for _, got := range searched {
		if got.CertificateChainPEM != want[got.ARN] {
			t.Errorf("SearchCertificates %s chain = %q, want %q", got.ARN, got.CertificateChainPEM, want[got.ARN])
		}
	}
}
