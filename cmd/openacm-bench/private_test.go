package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestReportIssuanceRate(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	// Ten issue times, out of order, the latest 2 s after start. The
	// sustained window runs from the fourth issuance (0.5 s) to the last.
	var issuedTimes []time.Time
	for _, ms := range []int{2000, 100, 300, 500, 700, 900, 1200, 1500, 1800, 200} {
		issuedTimes = append(issuedTimes, start.Add(time.Duration(ms)*time.Millisecond))
	}
	res := &result{Operations: map[string]operationStats{}}

	if err := reportIssuance(res, start, issuedTimes, 4); err != nil {
		t.Fatalf("reportIssuance: %v", err)
	}

	issued := res.Operations["Issued"]
	if issued.Count != 10 {
		t.Errorf("Issued count = %d, want 10", issued.Count)
	}
	if issued.Throughput != 5 {
		t.Errorf("Issued rate = %v/s, want 5/s (10 in 2 s)", issued.Throughput)
	}
	if got := res.Extra["issue_seconds"]; got != 2 {
		t.Errorf("issue_seconds = %v, want 2", got)
	}
	sustained := res.Operations["Sustained"]
	if sustained.Count != 6 {
		t.Errorf("Sustained count = %d, want 6", sustained.Count)
	}
	if sustained.Throughput != 4 {
		t.Errorf("Sustained rate = %v/s, want 4/s (6 in 1.5 s)", sustained.Throughput)
	}
	if got := res.Extra["sustained_seconds"]; got != 1.5 {
		t.Errorf("sustained_seconds = %v, want 1.5", got)
	}
}

func TestReportIssuanceNoCertificates(t *testing.T) {
	res := &result{Operations: map[string]operationStats{}}
	if err := reportIssuance(res, time.Now(), nil, 0); err != nil {
		t.Fatalf("reportIssuance: %v", err)
	}
	if got := res.Operations["Issued"]; got.Count != 0 || got.Throughput != 0 {
		t.Errorf("Issued = %+v, want zero", got)
	}
}

func TestReportIssuanceBeforeStart(t *testing.T) {
	start := time.Now()
	res := &result{Operations: map[string]operationStats{}}
	err := reportIssuance(res, start, []time.Time{start.Add(-time.Second)}, 0)
	if err == nil || !strings.Contains(err.Error(), "server clock") {
		t.Errorf("reportIssuance error = %v, want one about the server clock", err)
	}
	if _, ok := res.Operations["Issued"]; ok {
		t.Errorf("Issued reported despite the error: %+v", res.Operations)
	}
}

// fakeIssuer serves DescribeCertificate for certificates that become
// ISSUED, with that IssuedAt, at a set time, or that are FAILED from the
// start. It records when each call arrived.
type fakeIssuer struct {
	mu       sync.Mutex
	issueAt  map[string]time.Time
	failed   map[string]bool
	arrivals []time.Time
}

func (f *fakeIssuer) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if target := req.Header.Get("X-Amz-Target"); target != "CertificateManager.DescribeCertificate" {
		http.Error(w, "unexpected operation "+target, http.StatusBadRequest)
		return
	}
	var input struct{ CertificateArn string }
	body, _ := io.ReadAll(req.Body)
	if err := json.Unmarshal(body, &input); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}

	now := time.Now()
	f.mu.Lock()
	f.arrivals = append(f.arrivals, now)
	issueAt, known := f.issueAt[input.CertificateArn]
	failed := f.failed[input.CertificateArn]
	f.mu.Unlock()

	certificate := map[string]any{"CertificateArn": input.CertificateArn, "Status": "PENDING_VALIDATION"}
	switch {
	case failed:
		certificate["Status"] = "FAILED"
	case !known:
		http.Error(w, "unknown certificate "+input.CertificateArn, http.StatusBadRequest)
		return
	case !now.Before(issueAt):
		certificate["Status"] = "ISSUED"
		certificate["IssuedAt"] = float64(issueAt.UnixMilli()) / 1000
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(map[string]any{"Certificate": certificate})
}

// callsBefore counts the calls that arrived before at.
func (f *fakeIssuer) callsBefore(at time.Time) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, arrival := range f.arrivals {
		if arrival.Before(at) {
			n++
		}
	}
	return n
}

func newFakeIssuerBench(t *testing.T, fake *fakeIssuer) *bench {
	t.Helper()
	server := httptest.NewServer(fake)
	t.Cleanup(server.Close)
	opts, err := parseFlags([]string{"-endpoint", server.URL, "-scenario", "request-private", "-count", "1"}, io.Discard)
	if err != nil {
		t.Fatalf("parseFlags: %v", err)
	}
	return newBench(opts)
}

func fakeARN(i int) string {
	return fmt.Sprintf("arn:aws:acm:us-east-1:000000000000:certificate/%08d-0000-4000-8000-000000000000", i)
}

func TestWaitAllIssuedPollsRarely(t *testing.T) {
	// Eight certificates, issued oldest first every 10 ms from 100 ms on,
	// except number 5, which the server issues last, 60 ms after the
	// newest. Issue times have millisecond precision, as on the wire.
	const count = 8
	begin := time.Now()
	base := begin.Add(100 * time.Millisecond).Truncate(time.Millisecond)
	fake := &fakeIssuer{issueAt: map[string]time.Time{}}
	var requested []requestedCertificate
	for i := range count {
		issueAt := base.Add(time.Duration(i) * 10 * time.Millisecond)
		if i == 5 {
			issueAt = base.Add(time.Duration(count-1)*10*time.Millisecond + 60*time.Millisecond)
		}
		fake.issueAt[fakeARN(i)] = issueAt
		requested = append(requested, requestedCertificate{arn: fakeARN(i), at: begin.Add(time.Duration(i) * time.Millisecond)})
	}
	b := newFakeIssuerBench(t, fake)
	r := newRecorder()

	issuedTimes, err := b.waitAllIssued(context.Background(), requested, r)
	if err != nil {
		t.Fatalf("waitAllIssued: %v", err)
	}

	if len(r.errors) != 0 {
		t.Errorf("errors = %v, want none", r.errors)
	}
	// Each returned time is the IssuedAt of a different certificate.
	want := map[int64]bool{}
	for _, at := range fake.issueAt {
		want[at.UnixMilli()] = true
	}
	if len(issuedTimes) != count {
		t.Fatalf("got %d issue times, want %d", len(issuedTimes), count)
	}
	for _, at := range issuedTimes {
		if !want[at.UnixMilli()] {
			t.Errorf("issue time %s is not one the server returned, or repeats", at.Format(time.RFC3339Nano))
		}
		delete(want, at.UnixMilli())
	}

	// While the server issues, the tool makes one call per poll interval,
	// plus one call for each certificate it reads once.
	last := base.Add(time.Duration(count-1)*10*time.Millisecond + 60*time.Millisecond)
	limit := int(last.Sub(begin)/sustainedPollInterval) + 1 + count
	if got := fake.callsBefore(last); got > limit {
		t.Errorf("%d DescribeCertificate calls before the last issuance, want at most %d", got, limit)
	}
	if got := len(r.latencies["DescribeCertificate"]); got < count {
		t.Errorf("recorded %d DescribeCertificate calls, want at least %d", got, count)
	}
}

func TestWaitAllIssuedFailedStatus(t *testing.T) {
	past := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	fake := &fakeIssuer{issueAt: map[string]time.Time{}, failed: map[string]bool{fakeARN(1): true}}
	var requested []requestedCertificate
	for i := range 3 {
		fake.issueAt[fakeARN(i)] = past
		requested = append(requested, requestedCertificate{arn: fakeARN(i), at: past.Add(time.Duration(i) * time.Millisecond)})
	}
	b := newFakeIssuerBench(t, fake)
	r := newRecorder()

	_, err := b.waitAllIssued(context.Background(), requested, r)
	if err == nil || !strings.Contains(err.Error(), fakeARN(1)) {
		t.Errorf("waitAllIssued error = %v, want one naming %s", err, fakeARN(1))
	}
	if got := r.errors["Issue: FAILED"]; got != 1 {
		t.Errorf("Issue: FAILED errors = %d, want 1 (all errors: %v)", got, r.errors)
	}
}

func TestWaitAllIssuedTimeout(t *testing.T) {
	now := time.Now()
	fake := &fakeIssuer{issueAt: map[string]time.Time{
		fakeARN(0): now.Add(-time.Minute),
		fakeARN(1): now.Add(time.Hour),
	}}
	requested := []requestedCertificate{{arn: fakeARN(0), at: now}, {arn: fakeARN(1), at: now.Add(time.Millisecond)}}
	b := newFakeIssuerBench(t, fake)
	r := newRecorder()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()

	_, err := b.waitAllIssued(ctx, requested, r)
	if err == nil || !strings.Contains(err.Error(), fakeARN(1)) {
		t.Errorf("waitAllIssued error = %v, want one naming %s", err, fakeARN(1))
	}
	if got := r.errors["Issue: timed out"]; got != 1 {
		t.Errorf("Issue: timed out errors = %d, want 1 (all errors: %v)", got, r.errors)
	}
}
