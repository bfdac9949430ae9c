package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/openacm/openacm/internal/store"
)

// finishFixture is a private certificate claimed by node-a and the CA that
// signs it.
type finishFixture struct {
	ca     *store.CertificateAuthority
	cert   *store.Certificate
	issued *store.IssuedCertificate
}

func newFinishFixture(t *testing.T, s store.Store) finishFixture {
	t.Helper()
	ca := newCA(account, region, 1)
	mustCreateCA(t, s, ca)

	cert := newCertificate(account, region, 1)
	cert.Type = "PRIVATE"
	cert.CertificateAuthorityArn = ca.ARN
	mustCreate(t, s, cert)
	if claimed := mustClaim(t, s, "node-a", leaseNow, 10); len(claimed) != 1 {
		t.Fatalf("node-a claimed %v, want the one certificate", claimed)
	}

	stored := mustGet(t, s, account, region, cert.ARN)
	stored.Status = "ISSUED"
	stored.Serial = "03:e9"
	stored.CertificatePEM = "leaf pem"
	stored.PrivateKeyPEM = []byte("leaf key")
	issued := newIssued(ca, 1)
	issued.ACMCertificateARN = cert.ARN
	return finishFixture{ca: ca, cert: stored, issued: issued}
}

// leaseFree reports whether holder node-z could take the certificate's lease at leaseNow.
func leaseFree(t *testing.T, s store.Store, arn string) bool {
	t.Helper()
	free, err := s.AcquireLease(context.Background(), store.CertificateLease(arn), "node-z", leaseNow, leaseNow.Add(time.Second))
	if err != nil {
		t.Fatalf("AcquireLease: %v", err)
	}
	return free
}

func issuedExists(t *testing.T, s store.Store, issued *store.IssuedCertificate) bool {
	t.Helper()
	_, err := s.GetIssuedCertificate(context.Background(), issued.CAARN, issued.ARN)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetIssuedCertificate: %v", err)
	}
	return err == nil
}

func testFinishWork(t *testing.T, s store.Store) {
	ctx := context.Background()
	f := newFinishFixture(t, s)
	version := f.cert.Version

	err := s.FinishCertificateWork(ctx, store.CertificateWork{Certificate: f.cert, Issued: f.issued, LeaseHolder: "node-a"})
	if err != nil {
		t.Fatalf("FinishCertificateWork: %v", err)
	}
	if f.cert.Version != version+1 {
		t.Errorf("Version after finish = %d, want %d", f.cert.Version, version+1)
	}

	got := mustGet(t, s, account, region, f.cert.ARN)
	checkCertificate(t, got, wantStored(f.cert))
	stored, err := s.GetIssuedCertificate(ctx, f.ca.ARN, f.issued.ARN)
	if err != nil {
		t.Fatalf("GetIssuedCertificate after finish: %v", err)
	}
	if stored.ACMCertificateARN != f.cert.ARN || stored.Serial != f.issued.Serial {
		t.Errorf("issued record = ACM ARN %q serial %q, want %q and %q",
			stored.ACMCertificateARN, stored.Serial, f.cert.ARN, f.issued.Serial)
	}
	if !leaseFree(t, s, f.cert.ARN) {
		t.Error("node-a's lease is still held after finish")
	}
}

func testFinishWorkConflict(t *testing.T, s store.Store) {
	ctx := context.Background()
	f := newFinishFixture(t, s)
	stale := *f.cert
	if err := s.UpdateCertificate(ctx, mustGet(t, s, account, region, f.cert.ARN)); err != nil {
		t.Fatalf("UpdateCertificate: %v", err)
	}

	err := s.FinishCertificateWork(ctx, store.CertificateWork{Certificate: &stale, Issued: f.issued, LeaseHolder: "node-a"})
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("FinishCertificateWork(stale version) error = %v, want ErrConflict", err)
	}
	if got := mustGet(t, s, account, region, f.cert.ARN); got.Status != "PENDING_VALIDATION" {
		t.Errorf("status after conflict = %s, want PENDING_VALIDATION", got.Status)
	}
	if issuedExists(t, s, f.issued) {
		t.Error("issued record stored although the certificate update conflicted")
	}
	if leaseFree(t, s, f.cert.ARN) {
		t.Error("node-a's lease ended although the certificate update conflicted")
	}
}

func testFinishWorkMissing(t *testing.T, s store.Store) {
	ctx := context.Background()
	f := newFinishFixture(t, s)
	if err := s.DeleteCertificate(ctx, account, region, f.cert.ARN); err != nil {
		t.Fatalf("DeleteCertificate: %v", err)
	}

	err := s.FinishCertificateWork(ctx, store.CertificateWork{Certificate: f.cert, Issued: f.issued, LeaseHolder: "node-a"})
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("FinishCertificateWork(deleted) error = %v, want ErrNotFound", err)
	}
	if issuedExists(t, s, f.issued) {
		t.Error("issued record stored for a deleted certificate")
	}
}

func testFinishWorkOtherHolder(t *testing.T, s store.Store) {
	ctx := context.Background()
	f := newFinishFixture(t, s)

	err := s.FinishCertificateWork(ctx, store.CertificateWork{Certificate: f.cert, LeaseHolder: "node-b"})
	if err != nil {
		t.Fatalf("FinishCertificateWork: %v", err)
	}
	if leaseFree(t, s, f.cert.ARN) {
		t.Error("node-b's finish ended node-a's lease")
	}
	if issuedExists(t, s, f.issued) {
		t.Error("issued record stored without one in the work")
	}
}

// testFinishWorkRace finishes one certificate version from several
// goroutines, as two nodes would after both signed it: one write wins and
// only its issued record is stored.
func testFinishWorkRace(t *testing.T, s store.Store) {
	const writers = 4
	ctx := context.Background()
	f := newFinishFixture(t, s)

	var (
		group     sync.WaitGroup
		mu        sync.Mutex
		succeeded []int
	)
	for n := range writers {
		cert := *f.cert
		issued := newIssued(f.ca, 10+n)
		issued.ACMCertificateARN = cert.ARN
		group.Go(func() {
			err := s.FinishCertificateWork(ctx, store.CertificateWork{Certificate: &cert, Issued: issued, LeaseHolder: "node-a"})
			if err != nil && !errors.Is(err, store.ErrConflict) {
				t.Errorf("writer %d: FinishCertificateWork error = %v, want nil or ErrConflict", n, err)
			}
			if err == nil {
				mu.Lock()
				succeeded = append(succeeded, n)
				mu.Unlock()
			}
		})
	}
	group.Wait()

	if len(succeeded) != 1 {
		t.Fatalf("%d writers succeeded, want 1", len(succeeded))
	}
	for n := range writers {
		exists := issuedExists(t, s, newIssued(f.ca, 10+n))
		if want := n == succeeded[0]; exists != want {
			t.Errorf("issued record of writer %d stored = %t, want %t", n, exists, want)
		}
	}
}
