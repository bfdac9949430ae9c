package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/openacm/openacm/internal/store"
)

// leaseNow is the time lease tests claim at; leases run a minute from it.
var leaseNow = baseTime.Add(24 * time.Hour)

func mustClaim(t *testing.T, s store.Store, holder string, now time.Time, limit int) []string {
	t.Helper()

	certs, err := s.ClaimPendingCertificates(context.Background(), holder, now, now.Add(time.Minute), limit)
	if err != nil {
		t.Fatalf("ClaimPendingCertificates(%s): %v", holder, err)
	}

	arns := make([]string, len(certs))
	for i, cert := range certs {
		arns[i] = cert.ARN
	}

	return arns
}

func testClaimPending(t *testing.T, s store.Store) {
	var pending []string
	for n := range 3 {
		cert := newCertificate(account, region, n)
		mustCreate(t, s, cert)
		pending = append(pending, cert.ARN)
	}
	issued := newCertificate(otherAccount, region, 9)
	issued.Status = "ISSUED"
	mustCreate(t, s, issued)

	steps := []struct {
		name   string
		holder string
		now    time.Time
		limit  int
		want   []string
	}{
		{"first claim oldest first", "node-a", leaseNow, 2, pending[:2]},
		{"other holder gets the rest", "node-b", leaseNow, 10, pending[2:]},
		{"other holder blocked while running", "node-c", leaseNow.Add(59 * time.Second), 10, nil},
		{"holder skips its own running leases", "node-a", leaseNow.Add(30 * time.Second), 10, nil},
		{"expired leases taken over", "node-c", leaseNow.Add(10 * time.Minute), 10, pending},
	}

	for _, step := range steps {
		got := mustClaim(t, s, step.holder, step.now, step.limit)
		if !slices.Equal(got, step.want) {
			t.Errorf("%s: %s claimed %v, want %v", step.name, step.holder, got, step.want)
		}
	}
}

func testClaimRace(t *testing.T, s store.Store) {
	const certificates, holders = 12, 3
	for n := range certificates {
		mustCreate(t, s, newCertificate(account, region, n))
	}

	claimed := make([][]string, holders)
	errs := make([]error, holders)
	start := make(chan struct{})

	var wg sync.WaitGroup
	for h := range holders {
		wg.Go(func() {
			<-start
			certs, err := s.ClaimPendingCertificates(context.Background(), fmt.Sprintf("node-%d", h), leaseNow, leaseNow.Add(time.Minute), certificates)
			errs[h] = err
			for _, cert := range certs {
				claimed[h] = append(claimed[h], cert.ARN)
			}
		})
	}
	close(start)
	wg.Wait()

	owner := make(map[string]int)
	for h := range holders {
		if errs[h] != nil {
			t.Fatalf("node-%d: ClaimPendingCertificates: %v", h, errs[h])
		}
		for _, arn := range claimed[h] {
			if previous, taken := owner[arn]; taken {
				t.Errorf("%s claimed by node-%d and node-%d at once", arn, previous, h)
			}
			owner[arn] = h
		}
	}

	if len(owner) != certificates {
		t.Errorf("%d certificates claimed in all, want %d", len(owner), certificates)
	}
}

func testLeases(t *testing.T, s store.Store) {
	ctx := context.Background()
	until := leaseNow.Add(time.Minute)

	acquire := func(holder string, now time.Time) bool {
		t.Helper()
		ok, err := s.AcquireLease(ctx, "job", holder, now, now.Add(time.Minute))
		if err != nil {
			t.Fatalf("AcquireLease(%s): %v", holder, err)
		}
		return ok
	}
	release := func(holder string) {
		t.Helper()
		if err := s.ReleaseLease(ctx, "job", holder); err != nil {
			t.Fatalf("ReleaseLease(%s): %v", holder, err)
		}
	}

	if !acquire("node-a", leaseNow) {
		t.Fatalf("node-a could not take a free lease")
	}
	if acquire("node-b", leaseNow) {
		t.Errorf("node-b took node-a's running lease")
	}
	if !acquire("node-a", leaseNow.Add(time.Second)) {
		t.Errorf("node-a could not renew its own lease")
	}

	release("node-b")
	if acquire("node-b", leaseNow.Add(2*time.Second)) {
		t.Errorf("node-b took the lease after releasing a lease it did not hold")
	}

	release("node-a")
	if !acquire("node-b", leaseNow.Add(3*time.Second)) {
		t.Errorf("node-b could not take the lease node-a released")
	}
	if !acquire("node-c", until.Add(time.Hour)) {
		t.Errorf("node-c could not take node-b's expired lease")
	}

	released, err := s.ReleaseLeases(ctx, "node-c")
	if err != nil || released != 1 {
		t.Errorf("ReleaseLeases(node-c) = %d, %v; want 1, nil", released, err)
	}
	if !acquire("node-a", leaseNow) {
		t.Errorf("node-a could not take the lease after ReleaseLeases(node-c)")
	}
}

// testKeepLease checks that KeepLease extends only a lease the holder
// still holds and never creates one.
func testKeepLease(t *testing.T, s store.Store) {
	ctx := context.Background()
	keep := func(holder string, until time.Time) bool {
		t.Helper()
		ok, err := s.KeepLease(ctx, "kept", holder, until)
		if err != nil {
			t.Fatalf("KeepLease(%s): %v", holder, err)
		}
		return ok
	}

	if keep("node-a", leaseNow.Add(time.Hour)) {
		t.Errorf("KeepLease created a lease nobody held")
	}
	if ok, err := s.AcquireLease(ctx, "kept", "node-a", leaseNow, leaseNow.Add(time.Minute)); err != nil || !ok {
		t.Fatalf("AcquireLease(node-a) = %v, %v; want true, nil", ok, err)
	}
	if keep("node-b", leaseNow.Add(time.Hour)) {
		t.Errorf("node-b kept node-a's lease")
	}
	if !keep("node-a", leaseNow.Add(time.Hour)) {
		t.Errorf("node-a could not keep its own lease")
	}
	if ok, err := s.AcquireLease(ctx, "kept", "node-b", leaseNow.Add(30*time.Minute), leaseNow.Add(time.Hour)); err != nil || ok {
		t.Errorf("AcquireLease(node-b) half an hour on = %v, %v; want false, nil, since node-a kept the lease for an hour", ok, err)
	}

	if err := s.ReleaseLease(ctx, "kept", "node-a"); err != nil {
		t.Fatalf("ReleaseLease: %v", err)
	}
	if keep("node-a", leaseNow.Add(time.Hour)) {
		t.Errorf("KeepLease took again a lease that was released")
	}
}

func testDeleteEndsLease(t *testing.T, s store.Store) {
	ctx := context.Background()
	cert := newCertificate(account, region, 1)
	mustCreate(t, s, cert)

	if got := mustClaim(t, s, "node-a", leaseNow, 1); len(got) != 1 {
		t.Fatalf("node-a claimed %v, want the one certificate", got)
	}
	if err := s.DeleteCertificate(ctx, account, region, cert.ARN); err != nil {
		t.Fatalf("DeleteCertificate: %v", err)
	}

	ok, err := s.AcquireLease(ctx, store.CertificateLease(cert.ARN), "node-b", leaseNow, leaseNow.Add(time.Minute))
	if err != nil || !ok {
		t.Errorf("AcquireLease of the deleted certificate's lease by node-b = %v, %v; want true, nil", ok, err)
	}
}

// testTagLimitRace adds one new key per caller at once; the limit must hold
// even when every caller counts the tags before any of them writes.
func testTagLimitRace(t *testing.T, s store.Store) {
	const callers, maxTags = 10, 4
	cert := newCertificate(account, region, 1)
	mustCreate(t, s, cert)

	errs := make([]error, callers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			<-start
			errs[i] = s.AddTags(context.Background(), account, region, cert.ARN, []store.Tag{{Key: fmt.Sprintf("k%d", i)}}, maxTags)
		})
	}
	close(start)
	wg.Wait()

	added := 0
	for i, err := range errs {
		switch {
		case err == nil:
			added++
		case !errors.Is(err, store.ErrTooManyTags):
			t.Errorf("caller %d: AddTags error = %v, want nil or ErrTooManyTags", i, err)
		}
	}

	if added != maxTags {
		t.Errorf("%d callers added a tag, want %d", added, maxTags)
	}
	if tags := mustListTags(t, s, account, region, cert.ARN); len(tags) != maxTags {
		t.Errorf("certificate has %d tags, want %d", len(tags), maxTags)
	}
}

// testDeleteDuringTagChange races a delete with tag changes on the same
// certificate: each tag change either lands before the delete or finds the
// certificate gone, and never fails otherwise.
func testDeleteDuringTagChange(t *testing.T, s store.Store) {
	const certificates = 10
	ctx := context.Background()

	for n := range certificates {
		cert := newCertificate(account, region, n)
		mustCreate(t, s, cert)

		start := make(chan struct{})
		var wg sync.WaitGroup
		var deleteErr, addErr, removeErr error
		wg.Go(func() { <-start; deleteErr = s.DeleteCertificate(ctx, account, region, cert.ARN) })
		wg.Go(func() {
			<-start
			addErr = s.AddTags(ctx, account, region, cert.ARN, []store.Tag{{Key: "k", Value: strPtr("v")}}, 50)
		})
		wg.Go(func() { <-start; removeErr = s.RemoveTags(ctx, account, region, cert.ARN, []store.Tag{{Key: "k"}}) })
		close(start)
		wg.Wait()

		if deleteErr != nil {
			t.Errorf("certificate %d: DeleteCertificate: %v", n, deleteErr)
		}
		for name, err := range map[string]error{"AddTags": addErr, "RemoveTags": removeErr} {
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				t.Errorf("certificate %d: %s during delete = %v, want nil or ErrNotFound", n, name, err)
			}
		}

		if _, err := s.GetCertificate(ctx, account, region, cert.ARN); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("certificate %d: GetCertificate after delete = %v, want ErrNotFound", n, err)
		}
	}
}

// testUpdateEndsLease checks that UpdateCertificateAndEndLease makes a
// leased certificate claimable at once, and that a failed update leaves
// the lease alone.
func testUpdateEndsLease(t *testing.T, s store.Store) {
	ctx := context.Background()
	cert := newCertificate(account, region, 1)
	mustCreate(t, s, cert)

	claimed, err := s.ClaimPendingCertificates(ctx, "node-a", leaseNow, leaseNow.Add(time.Hour), 1)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("node-a claimed %d certificates, %v; want the one", len(claimed), err)
	}
	if got := mustClaim(t, s, "node-b", leaseNow, 1); len(got) != 0 {
		t.Fatalf("node-b claimed %v while node-a's lease runs, want none", got)
	}

	stale := *claimed[0]
	stale.Version--
	if err := s.UpdateCertificateAndEndLease(ctx, &stale); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("UpdateCertificateAndEndLease of a stale version = %v, want ErrConflict", err)
	}
	if got := mustClaim(t, s, "node-b", leaseNow, 1); len(got) != 0 {
		t.Fatalf("node-b claimed %v after a failed update, want none: the lease must stay", got)
	}

	if err := s.UpdateCertificateAndEndLease(ctx, claimed[0]); err != nil {
		t.Fatalf("UpdateCertificateAndEndLease: %v", err)
	}
	if got := mustClaim(t, s, "node-b", leaseNow, 1); !slices.Equal(got, []string{cert.ARN}) {
		t.Errorf("node-b claimed %v after the update, want %s", got, cert.ARN)
	}
}
