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

	statuses := []string{"ISSUED", "PENDING_VALIDATION", "ISSUED", "EXPIRED", "ISSUED"}
	var want []string
	for i, status := range statuses {
		cert := newCertificate(account, region, i+1)
		if i == 2 {
			cert = newCertificate(otherAccount, otherRegion, i+1)
		}
		cert.Status = status
		mustCreate(t, s, cert)
		if status == "ISSUED" {
			want = append(want, cert.ARN)
		}
	}

	var got []string
	after := ""
	for page := 0; page < 10; page++ {
		certs, err := s.IssuedCertificates(ctx, after, 2)
		if err != nil {
			t.Fatalf("IssuedCertificates(%q, 2): %v", after, err)
		}
		if len(certs) == 0 {
			break
		}
		for _, cert := range certs {
			if cert.Status != "ISSUED" {
				t.Errorf("IssuedCertificates returned %s in status %s", cert.ARN, cert.Status)
			}
			got = append(got, cert.ARN)
		}
		after = certs[len(certs)-1].ARN
	}

	wantSorted := append([]string(nil), want...)
	slices.Sort(wantSorted)
	if !equalStrings(got, wantSorted) {
		t.Errorf("IssuedCertificates pages = %v, want %v", got, wantSorted)
	}

	if _, err := s.IssuedCertificates(ctx, "", 0); err == nil {
		t.Error("IssuedCertificates with limit 0 returned no error")
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
