package storetest

import (
	"context"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/openacm/openacm/internal/store"
)

func testIssuedPaging(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

	// Certificates expiring in the given number of days; the ones within
	// 60 days, and ISSUED, are due.
	certs := []struct {
		status string
		days   int
	}{
		{"ISSUED", 10}, {"PENDING_VALIDATION", 5}, {"ISSUED", 300}, {"EXPIRED", -3},
		{"ISSUED", -1}, {"ISSUED", 59}, {"ISSUED", 61}, {"ISSUED", 30},
	}
	var want []string
	for i, c := range certs {
		cert := newCertificate(account, region, i+1)
		if i == 2 || i == 5 {
			cert = newCertificate(otherAccount, otherRegion, i+1)
		}
		cert.Status = c.status
		cert.NotAfter = now.Add(time.Duration(c.days) * 24 * time.Hour)
		mustCreate(t, s, cert)
		if c.status == "ISSUED" && c.days < 60 {
			want = append(want, cert.ARN)
		}
	}

	var got []string
	after := ""
	for page := 0; page < 10; page++ {
		certs, next, err := s.DueIssuedCertificates(ctx, now, 60*24*time.Hour, after, 2)
		if err != nil {
			t.Fatalf("DueIssuedCertificates(%q, 2): %v", after, err)
		}
		for _, cert := range certs {
			if cert.Status != "ISSUED" {
				t.Errorf("DueIssuedCertificates returned %s in status %s", cert.ARN, cert.Status)
			}
			got = append(got, cert.ARN)
		}
		if next == "" {
			break
		}
		after = next
	}

	slices.Sort(got)
	slices.Sort(want)
	if !equalStrings(got, want) {
		t.Errorf("DueIssuedCertificates pages = %v, want %v", got, want)
	}

	// An account that wants expiry events 100 days ahead widens the sweep.
	config := &store.AccountConfiguration{Account: account, Region: region, DaysBeforeExpiry: 100, UpdatedAt: now}
	if _, err := s.PutAccountConfiguration(ctx, config, store.Idempotency{}); err != nil {
		t.Fatalf("PutAccountConfiguration: %v", err)
	}
	wide, _, err := s.DueIssuedCertificates(ctx, now, 60*24*time.Hour, "", 100)
	if err != nil || len(wide) != len(want)+1 {
		t.Errorf("DueIssuedCertificates with DaysBeforeExpiry 100 = %d certificates, %v; want %d", len(wide), err, len(want)+1)
	}

	if _, _, err := s.DueIssuedCertificates(ctx, now, 0, "", 0); err == nil {
		t.Error("DueIssuedCertificates with limit 0 returned no error")
	}
	if _, _, err := s.DueIssuedCertificates(ctx, now, 0, "not a position", 1); err == nil {
		t.Error("DueIssuedCertificates with a malformed position returned no error")
	}
}

func testRenewalRoundTrip(t *testing.T, s store.Store) {
	zone := time.FixedZone("UTC-3", -3*3600)

	cert := newCertificate(account, region, 1)
	cert.ValidationStartedAt = baseTime.Add(time.Hour).In(zone)
	cert.ExpiryNoticeAt = baseTime.Add(2 * time.Hour).In(zone)
	cert.DomainValidations = []store.DomainValidation{{
		DomainName:         "www1.example.com",
		ValidationDomain:   "example.com",
		ValidationMethod:   "EMAIL",
		ValidationStatus:   "PENDING_VALIDATION",
		ValidationEmails:   []string{"admin@example.com"},
		ApprovalNonce:      "nonce-1",
		EmailDelivered:     []string{"admin@example.com"},
		EmailBounced:       []string{"webmaster@example.com"},
		EmailAttempts:      2,
		EmailNextAttemptAt: baseTime.Add(3 * time.Hour).In(zone),
	}, {
		DomainName:       "cdn.example.com",
		ValidationMethod: "HTTP",
		ValidationStatus: "SUCCESS",
		RedirectFrom:     "http://cdn.example.com/.well-known/pki-validation/a.txt",
		RedirectTo:       "https://validation.example/a.txt",
	}}
	cert.Renewal = &store.Renewal{
		Status:       "FAILED",
		StatusReason: "CAA_ERROR",
		DomainValidations: []store.DomainValidation{{
			DomainName:       "www1.example.com",
			ValidationMethod: "DNS",
			ValidationStatus: "SUCCESS",
		}},
		StartedAt: baseTime.Add(4 * time.Hour).In(zone),
		UpdatedAt: baseTime.Add(5 * time.Hour).In(zone),
	}
	mustCreate(t, s, cert)

	got := mustGet(t, s, account, region, cert.ARN)
	if !got.ValidationStartedAt.Equal(cert.ValidationStartedAt) || got.ValidationStartedAt.Location() != time.UTC {
		t.Errorf("ValidationStartedAt = %v, want %v in UTC", got.ValidationStartedAt, cert.ValidationStartedAt.UTC())
	}
	if !got.ExpiryNoticeAt.Equal(cert.ExpiryNoticeAt) {
		t.Errorf("ExpiryNoticeAt = %v, want %v", got.ExpiryNoticeAt, cert.ExpiryNoticeAt.UTC())
	}

	wantValidations := append([]store.DomainValidation(nil), cert.DomainValidations...)
	wantValidations[0].EmailNextAttemptAt = wantValidations[0].EmailNextAttemptAt.UTC()
	wantValidations[1].ValidationEmails = nil
	if !reflect.DeepEqual(got.DomainValidations, wantValidations) {
		t.Errorf("DomainValidations = %+v, want %+v", got.DomainValidations, wantValidations)
	}

	wantRenewal := *cert.Renewal
	wantRenewal.StartedAt = wantRenewal.StartedAt.UTC()
	wantRenewal.UpdatedAt = wantRenewal.UpdatedAt.UTC()
	if got.Renewal == nil {
		t.Fatal("Renewal = nil, want the stored renewal")
	}
	if !reflect.DeepEqual(*got.Renewal, wantRenewal) {
		t.Errorf("Renewal = %+v, want %+v", *got.Renewal, wantRenewal)
	}

	plain := newCertificate(account, region, 2)
	mustCreate(t, s, plain)
	if renewal := mustGet(t, s, account, region, plain.ARN).Renewal; renewal != nil {
		t.Errorf("Renewal of a certificate without one = %+v, want nil", renewal)
	}
}
