package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/openacm/openacm/internal/store"
)

// testIssuedRevokeRace revokes one serial from several callers at once:
// exactly one must succeed and the others get store.ErrAlreadyExists.
func testIssuedRevokeRace(t *testing.T, s store.Store) {
	const callers = 8
	ctx := context.Background()
	ca := newCA(account, region, 1)
	mustCreateCA(t, s, ca)
	cert := newIssued(ca, 1)
	if _, _, err := s.CreateIssuedCertificate(ctx, cert, nil); err != nil {
		t.Fatalf("CreateIssuedCertificate: %v", err)
	}

	errs := make([]error, callers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			<-start
			errs[i] = s.RevokeIssuedCertificate(ctx, ca.ARN, cert.Serial, baseTime.Add(time.Duration(i+1)*time.Hour), "KEY_COMPROMISE")
		})
	}
	close(start)
	wg.Wait()

	succeeded := 0
	for i, err := range errs {
		switch {
		case err == nil:
			succeeded++
		case !errors.Is(err, store.ErrAlreadyExists):
			t.Errorf("caller %d: RevokeIssuedCertificate error = %v, want nil or store.ErrAlreadyExists", i, err)
		}
	}
	if succeeded != 1 {
		t.Errorf("%d concurrent revocations of one serial succeeded, want 1", succeeded)
	}
}

// testCATagLimitRace adds distinct tags to one CA from several callers at
// once; the CA must never end with more than the limit.
func testCATagLimitRace(t *testing.T, s store.Store) {
	const callers, maxTags = 8, 3
	ctx := context.Background()
	ca := newCA(account, region, 1)
	mustCreateCA(t, s, ca)

	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			<-start
			err := s.AddCATags(ctx, account, region, ca.ARN, []store.Tag{{Key: fmt.Sprintf("key-%d", i)}}, maxTags)
			if err != nil && !errors.Is(err, store.ErrTooManyTags) {
				t.Errorf("caller %d: AddCATags: %v", i, err)
			}
		})
	}
	close(start)
	wg.Wait()

	tags, err := s.ListCATags(ctx, account, region, ca.ARN)
	if err != nil {
		t.Fatalf("ListCATags: %v", err)
	}
	if len(tags) != maxTags {
		t.Errorf("CA has %d tags after concurrent adds, want the limit %d", len(tags), maxTags)
	}
}
