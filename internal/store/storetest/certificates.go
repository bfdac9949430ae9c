package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/openacm/openacm/internal/store"
)

func testRoundTrip(t *testing.T, s store.Store) {
	ctx := context.Background()

	full := fullCertificate(1)
	tags := []store.Tag{
		{Key: "env", Value: strPtr("prod")},
		{Key: "empty", Value: strPtr("")},
		{Key: "novalue"},
		{Key: "a", Value: strPtr("first by key order, last by position")},
	}
	mustCreate(t, s, full, tags...)

	checkCertificate(t, mustGet(t, s, account, region, full.ARN), wantStored(full))
	checkTags(t, mustListTags(t, s, account, region, full.ARN), tags)

	got := mustGet(t, s, account, region, full.ARN)
	if got.CreatedAt != full.CreatedAt.UTC() {
		t.Errorf("CreatedAt = %v, want exactly %v", got.CreatedAt, full.CreatedAt.UTC())
	}
	if got.CreatedAt.Location() != time.UTC {
		t.Errorf("CreatedAt location = %v, want UTC", got.CreatedAt.Location())
	}

	// A minimal certificate has zero times, nil slices and no tags.
	minimal := &store.Certificate{ARN: certificateARN(account, region, 2), Account: account, Region: region}
	mustCreate(t, s, minimal)

	gotMinimal := mustGet(t, s, account, region, minimal.ARN)
	checkCertificate(t, gotMinimal, minimal)
	for name, value := range map[string]time.Time{
		"CreatedAt": gotMinimal.CreatedAt, "IssuedAt": gotMinimal.IssuedAt, "NotAfter": gotMinimal.NotAfter, "UpdatedAt": gotMinimal.UpdatedAt,
	} {
		if !value.IsZero() {
			t.Errorf("minimal certificate %s = %v, want the zero time", name, value)
		}
	}

	if tags := mustListTags(t, s, account, region, minimal.ARN); len(tags) != 0 {
		t.Errorf("ListTags(minimal) = %s, want none", formatTags(tags))
	}

	// The returned record is a copy: changing it changes nothing stored.
	got.Status = "REVOKED"
	got.KeyUsages[0] = "CHANGED"
	checkCertificate(t, mustGet(t, s, account, region, full.ARN), wantStored(full))

	if _, err := s.GetCertificate(ctx, account, region, certificateARN(account, region, 3)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetCertificate(never created) error = %v, want ErrNotFound", err)
	}
}

func testDuplicateARN(t *testing.T, s store.Store) {
	cert := newCertificate(account, region, 1)
	mustCreate(t, s, cert, store.Tag{Key: "k", Value: strPtr("v")})

	duplicate := newCertificate(account, region, 1)
	duplicate.Status = "ISSUED"
	_, created, err := s.CreateCertificate(context.Background(), duplicate, []store.Tag{{Key: "other"}}, nil)
	if err == nil {
		t.Fatalf("CreateCertificate(duplicate ARN) error = nil, created %v; want an error", created)
	}

	checkCertificate(t, mustGet(t, s, account, region, cert.ARN), cert)
	checkTags(t, mustListTags(t, s, account, region, cert.ARN), []store.Tag{{Key: "k", Value: strPtr("v")}})
}

func testNotFound(t *testing.T, s store.Store) {
	ctx := context.Background()
	missing := newCertificate(account, region, 9)
	arn := missing.ARN

	checks := []struct {
		name string
		call func() error
	}{
		{"GetCertificate", func() error { _, err := s.GetCertificate(ctx, account, region, arn); return err }},
		{"UpdateCertificate", func() error { return s.UpdateCertificate(ctx, missing) }},
		{"DeleteCertificate", func() error { return s.DeleteCertificate(ctx, account, region, arn) }},
		{"ListTags", func() error { _, err := s.ListTags(ctx, account, region, arn); return err }},
		{"AddTags", func() error { return s.AddTags(ctx, account, region, arn, []store.Tag{{Key: "k"}}, 50) }},
		{"AddTags none", func() error { return s.AddTags(ctx, account, region, arn, nil, 50) }},
		{"RemoveTags", func() error { return s.RemoveTags(ctx, account, region, arn, []store.Tag{{Key: "k"}}) }},
		{"RemoveTags none", func() error { return s.RemoveTags(ctx, account, region, arn, nil) }},
	}

	for _, check := range checks {
		t.Run(check.name, func(t *testing.T) {
			if err := check.call(); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("%s(missing) error = %v, want ErrNotFound", check.name, err)
			}
		})
	}
}

func testIsolation(t *testing.T, s store.Store) {
	ctx := context.Background()
	cert := newCertificate(account, region, 1)
	tag := store.Tag{Key: "owner", Value: strPtr("a")}
	mustCreate(t, s, cert, tag)

	scopes := []struct{ name, account, region string }{
		{"other account", otherAccount, region},
		{"other region", account, otherRegion},
	}

	for _, scope := range scopes {
		t.Run(scope.name, func(t *testing.T) {
			if _, err := s.GetCertificate(ctx, scope.account, scope.region, cert.ARN); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("GetCertificate error = %v, want ErrNotFound", err)
			}

			foreign := *cert
			foreign.Account, foreign.Region, foreign.Status = scope.account, scope.region, "FAILED"
			if err := s.UpdateCertificate(ctx, &foreign); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("UpdateCertificate error = %v, want ErrNotFound", err)
			}

			if err := s.DeleteCertificate(ctx, scope.account, scope.region, cert.ARN); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("DeleteCertificate error = %v, want ErrNotFound", err)
			}

			if _, err := s.ListTags(ctx, scope.account, scope.region, cert.ARN); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("ListTags error = %v, want ErrNotFound", err)
			}

			if err := s.AddTags(ctx, scope.account, scope.region, cert.ARN, []store.Tag{{Key: "x"}}, 50); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("AddTags error = %v, want ErrNotFound", err)
			}

			if err := s.RemoveTags(ctx, scope.account, scope.region, cert.ARN, []store.Tag{{Key: "owner"}}); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("RemoveTags error = %v, want ErrNotFound", err)
			}

			certs, next, err := s.ListCertificates(ctx, store.ListQuery{Account: scope.account, Region: scope.region, Limit: 100})
			if err != nil || len(certs) != 0 || next != "" {
				t.Errorf("ListCertificates = %d certificates, next %q, error %v; want none", len(certs), next, err)
			}
		})
	}

	// Nothing that the other scopes tried changed the record.
	checkCertificate(t, mustGet(t, s, account, region, cert.ARN), cert)
	checkTags(t, mustListTags(t, s, account, region, cert.ARN), []store.Tag{tag})
}

func testIdempotency(t *testing.T, s store.Store) {
	ctx := context.Background()
	window := time.Hour
	idem := func(token string, now time.Time) *store.Idempotency {
		return &store.Idempotency{Token: token, NotBefore: now.Add(-window)}
	}

	first := newCertificate(account, region, 1)
	arn, created, err := s.CreateCertificate(ctx, first, []store.Tag{{Key: "first"}}, idem("tok", first.CreatedAt))
	if err != nil || !created || arn != first.ARN {
		t.Fatalf("first CreateCertificate = %s, %v, %v; want %s, true, nil", arn, created, err, first.ARN)
	}

	// The same token within the window returns the first certificate and
	// writes nothing, not even the tags.
	retry := newCertificate(account, region, 2)
	retry.CreatedAt = first.CreatedAt.Add(window / 2)
	arn, created, err = s.CreateCertificate(ctx, retry, []store.Tag{{Key: "retry"}}, idem("tok", retry.CreatedAt))
	if err != nil || created || arn != first.ARN {
		t.Fatalf("retry within window = %s, %v, %v; want %s, false, nil", arn, created, err, first.ARN)
	}
	if _, err := s.GetCertificate(ctx, account, region, retry.ARN); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetCertificate(retry ARN) error = %v, want ErrNotFound", err)
	}
	checkTags(t, mustListTags(t, s, account, region, first.ARN), []store.Tag{{Key: "first"}})

	// After the window the token creates a new certificate, and later
	// retries return that one.
	late := newCertificate(account, region, 3)
	late.CreatedAt = first.CreatedAt.Add(window + time.Nanosecond)
	arn, created, err = s.CreateCertificate(ctx, late, nil, idem("tok", late.CreatedAt))
	if err != nil || !created || arn != late.ARN {
		t.Fatalf("token after window = %s, %v, %v; want %s, true, nil", arn, created, err, late.ARN)
	}

	again := newCertificate(account, region, 4)
	again.CreatedAt = late.CreatedAt.Add(time.Minute)
	arn, created, err = s.CreateCertificate(ctx, again, nil, idem("tok", again.CreatedAt))
	if err != nil || created || arn != late.ARN {
		t.Errorf("retry of renewed token = %s, %v, %v; want %s, false, nil", arn, created, err, late.ARN)
	}

	// A token created exactly at NotBefore is still inside the window.
	edge := newCertificate(account, region, 5)
	arn, created, err = s.CreateCertificate(ctx, edge, nil, &store.Idempotency{Token: "tok", NotBefore: late.CreatedAt})
	if err != nil || created || arn != late.ARN {
		t.Errorf("retry at NotBefore = %s, %v, %v; want %s, false, nil", arn, created, err, late.ARN)
	}

	// Tokens are scoped to an account and a region.
	scoped := []*store.Certificate{
		newCertificate(otherAccount, region, 6),
		newCertificate(account, otherRegion, 7),
	}
	for _, cert := range scoped {
		arn, created, err = s.CreateCertificate(ctx, cert, nil, idem("tok", cert.CreatedAt))
		if err != nil || !created || arn != cert.ARN {
			t.Errorf("token in %s/%s = %s, %v, %v; want %s, true, nil", cert.Account, cert.Region, arn, created, err, cert.ARN)
		}
	}

	// Another token in the same scope is another certificate.
	other := newCertificate(account, region, 8)
	arn, created, err = s.CreateCertificate(ctx, other, nil, idem("other-token", other.CreatedAt))
	if err != nil || !created || arn != other.ARN {
		t.Errorf("other token = %s, %v, %v; want %s, true, nil", arn, created, err, other.ARN)
	}

	got := listAll(t, s, store.ListQuery{Account: account, Region: region, Limit: 100})
	want := []string{first.ARN, other.ARN, late.ARN}
	if !equalStrings(got, want) {
		t.Errorf("certificates after idempotent creates = %v, want %v", got, want)
	}
}

func testIdempotencyRace(t *testing.T, s store.Store) {
	const callers = 20
	ctx := context.Background()

	type result struct {
		arn     string
		created bool
		err     error
	}
	results := make([]result, callers)
	start := make(chan struct{})

	var wg sync.WaitGroup
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()

			cert := newCertificate(account, region, 100+i)
			cert.CreatedAt = baseTime
			<-start

			arn, created, err := s.CreateCertificate(ctx, cert, []store.Tag{{Key: "caller"}}, &store.Idempotency{Token: "race", NotBefore: baseTime.Add(-time.Hour)})
			results[i] = result{arn, created, err}
		}()
	}
	close(start)
	wg.Wait()

	createdCount := 0
	for i, r := range results {
		if r.err != nil {
			t.Fatalf("caller %d: CreateCertificate error = %v", i, r.err)
		}
		if r.created {
			createdCount++
		}
		if r.arn != results[0].arn {
			t.Errorf("caller %d got ARN %s, caller 0 got %s", i, r.arn, results[0].arn)
		}
	}

	if createdCount != 1 {
		t.Errorf("%d callers created a certificate, want exactly 1", createdCount)
	}

	got := listAll(t, s, store.ListQuery{Account: account, Region: region, Limit: 100})
	if len(got) != 1 || got[0] != results[0].arn {
		t.Errorf("stored certificates = %v, want only %s", got, results[0].arn)
	}
}

func testUpdate(t *testing.T, s store.Store) {
	ctx := context.Background()
	cert := newCertificate(account, region, 1)
	cert.Version = 1
	mustCreate(t, s, cert)

	stored := mustGet(t, s, account, region, cert.ARN)
	stored.Status = "ISSUED"
	stored.IssuedAt = baseTime.Add(time.Minute)
	stored.KeyUsages = []string{"DIGITAL_SIGNATURE"}
	stored.CertificatePEM = "-----BEGIN CERTIFICATE-----\nNEW\n-----END CERTIFICATE-----\n"
	stored.PrivateKeyPEM = []byte("key")
	stored.UpdatedAt = baseTime.Add(2 * time.Minute)

	if err := s.UpdateCertificate(ctx, stored); err != nil {
		t.Fatalf("UpdateCertificate: %v", err)
	}
	if stored.Version != 2 {
		t.Errorf("Version after update = %d, want 2", stored.Version)
	}
	checkCertificate(t, mustGet(t, s, account, region, cert.ARN), stored)

	// The filter columns follow the update.
	issued := listAll(t, s, store.ListQuery{Account: account, Region: region, Statuses: []string{"ISSUED"}, KeyUsages: []string{"DIGITAL_SIGNATURE"}, Limit: 10})
	if !equalStrings(issued, []string{cert.ARN}) {
		t.Errorf("ISSUED with DIGITAL_SIGNATURE after update = %v, want %v", issued, []string{cert.ARN})
	}

	// A writer holding the version read before the update loses.
	stale := mustGet(t, s, account, region, cert.ARN)
	stale.Version = 1
	stale.Status = "FAILED"
	if err := s.UpdateCertificate(ctx, stale); !errors.Is(err, store.ErrConflict) {
		t.Errorf("UpdateCertificate(stale version) error = %v, want ErrConflict", err)
	}
	if stale.Version != 1 {
		t.Errorf("Version after failed update = %d, want it unchanged at 1", stale.Version)
	}
	checkCertificate(t, mustGet(t, s, account, region, cert.ARN), stored)

	// A second update from the fresh version succeeds.
	stored.Status = "EXPIRED"
	if err := s.UpdateCertificate(ctx, stored); err != nil {
		t.Fatalf("second UpdateCertificate: %v", err)
	}
	if stored.Version != 3 {
		t.Errorf("Version after second update = %d, want 3", stored.Version)
	}

	if err := s.DeleteCertificate(ctx, account, region, cert.ARN); err != nil {
		t.Fatalf("DeleteCertificate: %v", err)
	}
	if err := s.UpdateCertificate(ctx, stored); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UpdateCertificate(deleted) error = %v, want ErrNotFound", err)
	}
}

func testDelete(t *testing.T, s store.Store) {
	ctx := context.Background()
	cert := newCertificate(account, region, 1)
	keep := newCertificate(account, region, 2)
	mustCreate(t, s, cert, store.Tag{Key: "a", Value: strPtr("1")}, store.Tag{Key: "b"})
	mustCreate(t, s, keep, store.Tag{Key: "keep"})

	if err := s.DeleteCertificate(ctx, account, region, cert.ARN); err != nil {
		t.Fatalf("DeleteCertificate: %v", err)
	}

	if _, err := s.GetCertificate(ctx, account, region, cert.ARN); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetCertificate(deleted) error = %v, want ErrNotFound", err)
	}
	if _, err := s.ListTags(ctx, account, region, cert.ARN); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ListTags(deleted) error = %v, want ErrNotFound", err)
	}
	if err := s.DeleteCertificate(ctx, account, region, cert.ARN); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second DeleteCertificate error = %v, want ErrNotFound", err)
	}

	// A certificate created again under the ARN starts without the old tags.
	mustCreate(t, s, newCertificate(account, region, 1))
	if tags := mustListTags(t, s, account, region, cert.ARN); len(tags) != 0 {
		t.Errorf("ListTags(recreated) = %s, want none", formatTags(tags))
	}

	checkTags(t, mustListTags(t, s, account, region, keep.ARN), []store.Tag{{Key: "keep"}})
}

func testPending(t *testing.T, s store.Store) {
	ctx := context.Background()

	type entry struct {
		account, region, status string
		n                       int
		offset                  time.Duration
	}
	entries := []entry{
		{account, region, "PENDING_VALIDATION", 1, 5 * time.Minute},
		{account, region, "ISSUED", 2, 0},
		{otherAccount, otherRegion, "PENDING_VALIDATION", 3, time.Minute},
		{account, otherRegion, "PENDING_VALIDATION", 4, 3 * time.Minute},
		{otherAccount, region, "FAILED", 5, 2 * time.Minute},
		{account, region, "PENDING_VALIDATION", 6, time.Minute},
	}
	for _, e := range entries {
		cert := newCertificate(e.account, e.region, e.n)
		cert.Status = e.status
		cert.CreatedAt = baseTime.Add(e.offset)
		mustCreate(t, s, cert)
	}

	// Oldest first; the two created at the same minute tie-break by ARN,
	// and ARNs sort by region first here ("eu-…" before "us-…").
	wantAll := []string{
		certificateARN(otherAccount, otherRegion, 3),
		certificateARN(account, region, 6),
		certificateARN(account, otherRegion, 4),
		certificateARN(account, region, 1),
	}

	cases := []struct {
		limit int
		want  []string
	}{
		{1, wantAll[:1]},
		{3, wantAll[:3]},
		{100, wantAll},
	}

	for _, tc := range cases {
		certs, err := s.PendingCertificates(ctx, tc.limit)
		if err != nil {
			t.Fatalf("PendingCertificates(%d): %v", tc.limit, err)
		}

		got := make([]string, len(certs))
		for i, cert := range certs {
			got[i] = cert.ARN
			if cert.Status != "PENDING_VALIDATION" {
				t.Errorf("PendingCertificates returned %s in status %s", cert.ARN, cert.Status)
			}
		}

		if !equalStrings(got, tc.want) {
			t.Errorf("PendingCertificates(%d) = %v, want %v", tc.limit, got, tc.want)
		}
	}
}

func testPing(t *testing.T, s store.Store) {
	if err := s.Ping(context.Background()); err != nil {
		t.Errorf("Ping: %v", err)
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}

	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}

	return true
}
