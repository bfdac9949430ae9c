package crlpublish_test

import (
	"context"
	"crypto/x509"
	"fmt"
	"math/big"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openacm/openacm/internal/crlpublish"
	"github.com/openacm/openacm/internal/store/sqlstore"
)

// fakeSign returns a "CRL" that names its number, thisUpdate and a call
// counter, so two signings never return the same bytes, as with EC keys.
func fakeSign(calls *atomic.Int64) crlpublish.Sign {
	return func(entries []x509.RevocationListEntry, number *big.Int, thisUpdate time.Time) ([]byte, error) {
		n := calls.Add(1)
		return fmt.Appendf(nil, "number=%s this=%d entries=%d call=%d", number, thisUpdate.Unix(), len(entries), n), nil
	}
}

func openStore(t *testing.T) *sqlstore.Store {
	t.Helper()
	st, err := sqlstore.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "crl.db"), nil)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestCurrentReusesStoredCRL(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	var calls atomic.Int64
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	request := crlpublish.Request{Issuer: "ca", IssuerDER: []byte("issuer"), Refresh: time.Hour}

	first, err := crlpublish.Current(ctx, st, request, now, fakeSign(&calls))
	if err != nil {
		t.Fatalf("first Current: %v", err)
	}
	again, err := crlpublish.Current(ctx, st, request, now.Add(59*time.Minute), fakeSign(&calls))
	if err != nil {
		t.Fatalf("second Current: %v", err)
	}
	if string(again) != string(first) {
		t.Errorf("CRL within the refresh time = %q, want the stored %q", again, first)
	}
	if calls.Load() != 1 {
		t.Errorf("signed %d times, want 1", calls.Load())
	}

	request.Entries = []x509.RevocationListEntry{{SerialNumber: big.NewInt(7), RevocationTime: now}}
	revoked, err := crlpublish.Current(ctx, st, request, now.Add(time.Minute), fakeSign(&calls))
	if err != nil {
		t.Fatalf("Current after a revocation: %v", err)
	}
	if want := fmt.Sprintf("number=2 this=%d entries=1 call=2", now.Add(time.Minute).Unix()); string(revoked) != want {
		t.Errorf("CRL after a revocation = %q, want %q", revoked, want)
	}

	refreshed, err := crlpublish.Current(ctx, st, request, now.Add(2*time.Hour), fakeSign(&calls))
	if err != nil {
		t.Fatalf("Current after the refresh time: %v", err)
	}
	if want := fmt.Sprintf("number=3 this=%d entries=1 call=3", now.Add(2*time.Hour).Unix()); string(refreshed) != want {
		t.Errorf("CRL after the refresh time = %q, want %q", refreshed, want)
	}
}

func TestCurrentKeepsThisUpdateMonotonic(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	var calls atomic.Int64
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	request := crlpublish.Request{Issuer: "ca", Refresh: time.Hour}

	if _, err := crlpublish.Current(ctx, st, request, now, fakeSign(&calls)); err != nil {
		t.Fatalf("Current: %v", err)
	}
	request.Entries = []x509.RevocationListEntry{{SerialNumber: big.NewInt(1), RevocationTime: now}}
	behind, err := crlpublish.Current(ctx, st, request, now.Add(-time.Minute), fakeSign(&calls))
	if err != nil {
		t.Fatalf("Current with a clock behind: %v", err)
	}
	if want := fmt.Sprintf("number=2 this=%d entries=1 call=2", now.Unix()); string(behind) != want {
		t.Errorf("CRL signed by a node whose clock is behind = %q, want %q", behind, want)
	}
}

// TestCurrentConcurrentNodesAgree has several callers, as on several nodes,
// sign at once; every one must return the one CRL that was stored.
func TestCurrentConcurrentNodesAgree(t *testing.T) {
	const callers = 8
	ctx := context.Background()
	st := openStore(t)
	var calls atomic.Int64
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	request := crlpublish.Request{Issuer: "ca", Refresh: time.Hour}

	got := make([][]byte, callers)
	errs := make([]error, callers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			<-start
			got[i], errs[i] = crlpublish.Current(ctx, st, request, now, fakeSign(&calls))
		})
	}
	close(start)
	wg.Wait()

	for i := range callers {
		if errs[i] != nil {
			t.Fatalf("caller %d: %v", i, errs[i])
		}
		if string(got[i]) != string(got[0]) {
			t.Errorf("caller %d got %q, caller 0 got %q", i, got[i], got[0])
		}
	}
}
