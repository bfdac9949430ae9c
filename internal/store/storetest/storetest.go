// Package storetest is a conformance suite for store.Store. Every database
// implementation runs it, so they all keep the same contract: round-trips,
// account isolation, idempotency, optimistic updates, paging, tag rules,
// counts and reset.
// worker leases and the races between requests on one certificate.
package storetest

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/openacm/openacm/internal/store"
)

// Run runs the suite. Each subtest calls open for its own store, which
// must be empty; open registers the store's cleanup (closing it, removing
// files) with t.Cleanup.
//
// Slices compare as equal when both are empty, whether nil or not, so an
// implementation need not keep that difference. A tag's nil Value and ""
// must stay apart.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		run  func(t *testing.T, s store.Store)
	}{
		{"create get round trip", testRoundTrip},
		{"create duplicate ARN", testDuplicateARN},
		{"not found errors", testNotFound},
		{"account region isolation", testIsolation},
		{"idempotency token reuse", testIdempotency},
		{"idempotency token race", testIdempotencyRace},
		{"update version conflict", testUpdate},
		{"delete removes tags", testDelete},
		{"list filters", testListFilters},
		{"list order paging", testListPaging},
		{"list bad cursor", testListBadCursor},
		{"list omits keys", testListOmitsKeys},
		{"tags add overwrite", testAddTags},
		{"tags limit", testTagLimit},
		{"tags remove rules", testRemoveTags},
		{"pending certificates", testPending},
		{"search filters", testSearchFilters},
		{"search sort paging", testSearchSortPaging},
		{"search bad cursor", testSearchBadCursor},
		{"search follows updates", testSearchFollowsUpdates},
		{"search requested names", testSearchRequestedNames},
		{"shared chains", testSharedChains},
		{"account configuration", testAccountConfiguration},
		{"issued certificates paging", testIssuedPaging},
		{"renewal state round trip", testRenewalRoundTrip},
		{"init setting", testInitSetting},
		{"init setting race", testInitSettingRace},
		{"get setting", testGetSetting},
		{"swap setting", testSwapSetting},
		{"swap setting race", testSwapSettingRace},
		{"count certificates", testCountCertificates},
		{"reset", testReset},
		{"ping", testPing},
		{"claim pending certificates", testClaimPending},
		{"claim race", testClaimRace},
		{"lease acquire release", testLeases},
		{"keep lease", testKeepLease},
		{"delete ends lease", testDeleteEndsLease},
		{"update ends lease", testUpdateEndsLease},
		{"tag limit race", testTagLimitRace},
		{"delete during tag change", testDeleteDuringTagChange},
		{"finish work issues and releases", testFinishWork},
		{"finish work version conflict", testFinishWorkConflict},
		{"finish work deleted certificate", testFinishWorkMissing},
		{"finish work other holder", testFinishWorkOtherHolder},
		{"finish work race", testFinishWorkRace},
	}

	tests = append(tests, pcaTests...)

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.run(t, open(t))
		})
	}
}

const (
	account      = "111122223333"
	otherAccount = "444455556666"
	region       = "us-east-1"
	otherRegion  = "eu-west-1"
)

// baseTime has nanoseconds, so a store that rounds to micro- or
// milliseconds fails the round-trip checks.
var baseTime = time.Date(2025, 3, 14, 15, 9, 26, 535897932, time.UTC)

func certificateARN(account, region string, n int) string {
	return fmt.Sprintf("arn:aws:acm:%s:%s:certificate/%08d-0000-4000-8000-000000000000", region, account, n)
}

// newCertificate returns a certificate with only the fields every record has.
func newCertificate(account, region string, n int) *store.Certificate {
	return &store.Certificate{
		ARN:          certificateARN(account, region, n),
		Account:      account,
		Region:       region,
		DomainName:   fmt.Sprintf("www%d.example.com", n),
		Type:         "AMAZON_ISSUED",
		Status:       "PENDING_VALIDATION",
		KeyAlgorithm: "RSA_2048",
		ExportOption: "DISABLED",
		CreatedAt:    baseTime.Add(time.Duration(n) * time.Second),
	}
}

func strPtr(s string) *string { return &s }

// fullCertificate returns a certificate with every field set.
func fullCertificate(n int) *store.Certificate {
	zone := time.FixedZone("UTC+5:30", 5*3600+1800)

	return &store.Certificate{
		ARN:                     certificateARN(account, region, n),
		Account:                 account,
		Region:                  region,
		DomainName:              "example.com",
		SubjectAlternativeNames: []string{"example.com", "*.example.com", "www.example.org"},
		Type:                    "IMPORTED",
		Status:                  "ISSUED",
		FailureReason:           "NO_AVAILABLE_CONTACTS",
		KeyAlgorithm:            "EC_prime256v1",
		ValidationMethod:        "DNS",
		DomainValidations: []store.DomainValidation{
			{
				DomainName:          "example.com",
				ValidationDomain:    "example.com",
				ValidationMethod:    "DNS",
				ValidationStatus:    "SUCCESS",
				ResourceRecordName:  "_x1.example.com.",
				ResourceRecordType:  "CNAME",
				ResourceRecordValue: "_y1.acm-validations.aws.",
			},
			{
				DomainName:       "www.example.org",
				ValidationDomain: "example.org",
				ValidationMethod: "EMAIL",
				ValidationStatus: "PENDING_VALIDATION",
				ValidationEmails: []string{"admin@example.org", "hostmaster@example.org"},
			},
		},
		CertificateAuthorityArn: "arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/abc",
		ManagedBy:               "CLOUDFRONT",
		CTLoggingPreference:     "ENABLED",
		ExportOption:            "ENABLED",
		CreatedAt:               baseTime.Add(time.Duration(n) * time.Second).In(zone),
		IssuedAt:                baseTime.Add(time.Hour).In(zone),
		ImportedAt:              baseTime.Add(2 * time.Hour),
		RevokedAt:               baseTime.Add(3 * time.Hour),
		NotBefore:               baseTime.Add(-time.Hour),
		// RFC 5280 uses 9999-12-31T23:59:59Z for a certificate without an
		// expiry, which is past the range of int64 Unix nanoseconds.
		NotAfter:            time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC),
		RevocationReason:    "KEY_COMPROMISE",
		Serial:              "0a:1b:2c",
		Subject:             "CN=example.com",
		Issuer:              "CN=Example CA",
		SignatureAlgorithm:  "SHA256WITHECDSA",
		KeyUsages:           []string{"DIGITAL_SIGNATURE", "KEY_AGREEMENT"},
		ExtendedKeyUsages:   []store.ExtendedKeyUsage{{Name: "TLS_WEB_SERVER_AUTHENTICATION", OID: "1.3.6.1.5.5.7.3.1"}, {Name: "CUSTOM", OID: "1.2.3.4"}},
		CertificatePEM:      "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
		CertificateChainPEM: "-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n",
		PrivateKeyPEM:       []byte("-----BEGIN PRIVATE KEY-----\nMIIE\x00\xff\n-----END PRIVATE KEY-----\n"),
		InUseBy:             []string{"arn:aws:elasticloadbalancing:us-east-1:111122223333:loadbalancer/app/x/1"},
		Exported:            true,
		RenewalEligibility:  "ELIGIBLE",
		Version:             7,
		UpdatedAt:           baseTime.Add(4 * time.Hour).In(zone),
	}
}

// wantStored returns what a store should return for cert: every time in
// UTC and every empty slice nil.
func wantStored(cert *store.Certificate) *store.Certificate {
	want := *cert
	normalize(&want)
	return &want
}

// normalize rewrites c in place so that representations a store may
// change compare equal: times in UTC and empty slices as nil.
func normalize(c *store.Certificate) {
	for _, field := range []*time.Time{&c.CreatedAt, &c.IssuedAt, &c.ImportedAt, &c.RevokedAt, &c.NotBefore, &c.NotAfter, &c.UpdatedAt} {
		if !field.IsZero() {
			*field = field.UTC()
		}
	}

	if len(c.SubjectAlternativeNames) == 0 {
		c.SubjectAlternativeNames = nil
	}
	if len(c.KeyUsages) == 0 {
		c.KeyUsages = nil
	}
	if len(c.ExtendedKeyUsages) == 0 {
		c.ExtendedKeyUsages = nil
	}
	if len(c.InUseBy) == 0 {
		c.InUseBy = nil
	}
	if len(c.PrivateKeyPEM) == 0 {
		c.PrivateKeyPEM = nil
	}

	if len(c.DomainValidations) == 0 {
		c.DomainValidations = nil
		return
	}

	validations := make([]store.DomainValidation, len(c.DomainValidations))
	copy(validations, c.DomainValidations)
	for i := range validations {
		if len(validations[i].ValidationEmails) == 0 {
			validations[i].ValidationEmails = nil
		}
	}
	c.DomainValidations = validations
}

// checkCertificate reports each field of got that differs from want, after
// normalizing both.
func checkCertificate(t *testing.T, got, want *store.Certificate) {
	t.Helper()

	if got == nil {
		t.Fatalf("certificate %s: got nil", want.ARN)
	}

	g, w := *got, *want
	normalize(&g)
	normalize(&w)

	gv, wv := reflect.ValueOf(g), reflect.ValueOf(w)
	for i := range gv.NumField() {
		name := gv.Type().Field(i).Name
		gf, wf := gv.Field(i).Interface(), wv.Field(i).Interface()

		// time.Time compares with ==, so a monotonic reading or another
		// *Location pointer for UTC counts as a difference.
		if !reflect.DeepEqual(gf, wf) {
			t.Errorf("certificate %s field %s = %#v, want %#v", want.ARN, name, gf, wf)
		}
	}
}

func checkTags(t *testing.T, got, want []store.Tag) {
	t.Helper()

	if len(got) != len(want) {
		t.Fatalf("tags = %s, want %s", formatTags(got), formatTags(want))
	}

	for i := range want {
		if got[i].Key != want[i].Key || !sameValue(got[i].Value, want[i].Value) {
			t.Errorf("tags = %s, want %s", formatTags(got), formatTags(want))
			return
		}
	}
}

func sameValue(a, b *string) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}

	return *a == *b
}

func formatTags(tags []store.Tag) string {
	parts := make([]string, len(tags))
	for i, tag := range tags {
		if tag.Value == nil {
			parts[i] = tag.Key + "=<nil>"
		} else {
			parts[i] = fmt.Sprintf("%s=%q", tag.Key, *tag.Value)
		}
	}

	return "[" + strings.Join(parts, " ") + "]"
}

// mustCreate creates cert with tags and fails the test unless it was created.
func mustCreate(t *testing.T, s store.Store, cert *store.Certificate, tags ...store.Tag) {
	t.Helper()

	arn, created, err := s.CreateCertificate(context.Background(), cert, tags, nil)
	if err != nil {
		t.Fatalf("CreateCertificate(%s): %v", cert.ARN, err)
	}
	if !created || arn != cert.ARN {
		t.Fatalf("CreateCertificate(%s) = %s, created %v; want %s, created true", cert.ARN, arn, created, cert.ARN)
	}
}

func mustGet(t *testing.T, s store.Store, account, region, arn string) *store.Certificate {
	t.Helper()

	cert, err := s.GetCertificate(context.Background(), account, region, arn)
	if err != nil {
		t.Fatalf("GetCertificate(%s): %v", arn, err)
	}

	return cert
}

func mustListTags(t *testing.T, s store.Store, account, region, arn string) []store.Tag {
	t.Helper()

	tags, err := s.ListTags(context.Background(), account, region, arn)
	if err != nil {
		t.Fatalf("ListTags(%s): %v", arn, err)
	}

	return tags
}

// listAll pages through query with its Limit and returns the ARNs in order.
// It fails the test on an empty page before the end, or more pages than
// certificates, which would mean the cursor does not advance.
func listAll(t *testing.T, s store.Store, query store.ListQuery) []string {
	t.Helper()

	var arns []string
	for page := 0; ; page++ {
		if page > 10000 {
			t.Fatalf("ListCertificates(%+v): cursor does not advance", query)
		}

		certs, next, err := s.ListCertificates(context.Background(), query)
		if err != nil {
			t.Fatalf("ListCertificates(%+v): %v", query, err)
		}

		if len(certs) > query.Limit {
			t.Fatalf("ListCertificates(limit %d) returned %d certificates", query.Limit, len(certs))
		}
		if len(certs) == 0 && (next != "" || page > 0) {
			t.Fatalf("ListCertificates(%+v) returned an empty page %d with next %q", query, page, next)
		}

		for _, cert := range certs {
			arns = append(arns, cert.ARN)
		}

		if next == "" {
			return arns
		}
		query.After = next
	}
}
