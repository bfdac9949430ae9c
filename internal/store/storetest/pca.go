package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/openacm/openacm/internal/store"
)

// pcaTests are the private CA cases of the suite.
var pcaTests = []struct {
	name string
	run  func(t *testing.T, s store.Store)
}{
	{"ca round trip", testCARoundTrip},
	{"ca update conflict", testCAUpdate},
	{"ca idempotency", testCAIdempotency},
	{"ca list paging", testCAList},
	{"ca by status", testCAByStatus},
	{"ca tags", testCATags},
	{"ca delete cascades", testCADelete},
	{"issued certificate revoke", testIssuedRevoke},
	{"issued certificate revoke race", testIssuedRevokeRace},
	{"ca tag limit race", testCATagLimitRace},
	{"issued certificate idempotency", testIssuedIdempotency},
	{"permissions", testPermissions},
	{"audit reports", testAuditReports},
	{"revoked acm certificates", testRevokedACMCertificates},
	{"pending renewals", testPendingRenewals},
}

func caARN(account, region string, n int) string {
	return fmt.Sprintf("arn:aws:acm-pca:%s:%s:certificate-authority/%08d-0000-4000-8000-000000000000", region, account, n)
}

func newCA(account, region string, n int) *store.CertificateAuthority {
	return &store.CertificateAuthority{
		ARN:              caARN(account, region, n),
		Account:          account,
		Region:           region,
		Type:             "ROOT",
		Status:           "CREATING",
		KeyAlgorithm:     "EC_prime256v1",
		SigningAlgorithm: "SHA256WITHECDSA",
		Configuration:    []byte(`{"KeyAlgorithm":"EC_prime256v1"}`),
		CreatedAt:        baseTime.Add(time.Duration(n) * time.Second),
	}
}

func fullCA(n int) *store.CertificateAuthority {
	ca := newCA(account, region, n)
	ca.Status = "ACTIVE"
	ca.FailureReason = "OTHER"
	ca.UsageMode = "GENERAL_PURPOSE"
	ca.KeyStorageSecurityStandard = "FIPS_140_2_LEVEL_3_OR_HIGHER"
	ca.RevocationConfiguration = []byte(`{"CrlConfiguration":{"Enabled":true}}`)
	ca.CSRPEM = "-----BEGIN CERTIFICATE REQUEST-----\n"
	ca.CertificatePEM = "-----BEGIN CERTIFICATE-----\n"
	ca.CertificateChainPEM = "chain"
	ca.Serial = "0a:0b"
	ca.NotBefore = baseTime
	ca.NotAfter = baseTime.AddDate(10, 0, 0)
	ca.PrivateKeyPEM = []byte("secret key")
	ca.Policy = `{"Version":"2012-10-17"}`
	ca.CRLNumber = 7
	ca.LastStateChangeAt = baseTime.Add(time.Minute)
	ca.RestorableUntil = baseTime.Add(time.Hour)
	ca.UpdatedAt = baseTime.Add(2 * time.Minute)
	return ca
}

func mustCreateCA(t *testing.T, s store.Store, ca *store.CertificateAuthority, tags ...store.Tag) {
	t.Helper()
	arn, created, err := s.CreateCertificateAuthority(context.Background(), ca, tags, nil)
	if err != nil {
		t.Fatalf("CreateCertificateAuthority(%s): %v", ca.ARN, err)
	}
	if !created || arn != ca.ARN {
		t.Fatalf("CreateCertificateAuthority(%s) = %s, created %v", ca.ARN, arn, created)
	}
}

func checkCA(t *testing.T, got, want *store.CertificateAuthority) {
	t.Helper()
	g, w := *got, *want
	for _, c := range []*store.CertificateAuthority{&g, &w} {
		for _, field := range []*time.Time{&c.CreatedAt, &c.NotBefore, &c.NotAfter, &c.LastStateChangeAt, &c.RestorableUntil, &c.UpdatedAt} {
			if !field.IsZero() {
				*field = field.UTC()
			}
		}
		if len(c.PrivateKeyPEM) == 0 {
			c.PrivateKeyPEM = nil
		}
		if len(c.Configuration) == 0 {
			c.Configuration = nil
		}
		if len(c.RevocationConfiguration) == 0 {
			c.RevocationConfiguration = nil
		}
	}
	gv, wv := reflect.ValueOf(g), reflect.ValueOf(w)
	for i := range gv.NumField() {
		if !reflect.DeepEqual(gv.Field(i).Interface(), wv.Field(i).Interface()) {
			t.Errorf("CA %s field %s = %#v, want %#v", want.ARN, gv.Type().Field(i).Name, gv.Field(i).Interface(), wv.Field(i).Interface())
		}
	}
}

func testCARoundTrip(t *testing.T, s store.Store) {
	ctx := context.Background()
	ca := fullCA(1)
	mustCreateCA(t, s, ca)

	got, err := s.GetCertificateAuthority(ctx, account, region, ca.ARN)
	if err != nil {
		t.Fatalf("GetCertificateAuthority: %v", err)
	}
	checkCA(t, got, ca)

	if _, err := s.GetCertificateAuthority(ctx, otherAccount, region, ca.ARN); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetCertificateAuthority(other account) error = %v, want ErrNotFound", err)
	}
	if _, err := s.GetCertificateAuthority(ctx, account, otherRegion, ca.ARN); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetCertificateAuthority(other region) error = %v, want ErrNotFound", err)
	}
}

func testCAUpdate(t *testing.T, s store.Store) {
	ctx := context.Background()
	ca := newCA(account, region, 1)
	mustCreateCA(t, s, ca)

	first, _ := s.GetCertificateAuthority(ctx, account, region, ca.ARN)
	second, _ := s.GetCertificateAuthority(ctx, account, region, ca.ARN)

	first.Status = "PENDING_CERTIFICATE"
	first.PrivateKeyPEM = []byte("key")
	if err := s.UpdateCertificateAuthority(ctx, first); err != nil {
		t.Fatalf("UpdateCertificateAuthority: %v", err)
	}
	second.Status = "FAILED"
	if err := s.UpdateCertificateAuthority(ctx, second); !errors.Is(err, store.ErrConflict) {
		t.Errorf("stale UpdateCertificateAuthority error = %v, want ErrConflict", err)
	}

	got, _ := s.GetCertificateAuthority(ctx, account, region, ca.ARN)
	checkCA(t, got, first)

	missing := newCA(account, region, 2)
	if err := s.UpdateCertificateAuthority(ctx, missing); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UpdateCertificateAuthority(missing) error = %v, want ErrNotFound", err)
	}
}

func testCAIdempotency(t *testing.T, s store.Store) {
	ctx := context.Background()
	idem := &store.Idempotency{Token: "token", NotBefore: baseTime.Add(-time.Minute)}

	first := newCA(account, region, 1)
	arn, created, err := s.CreateCertificateAuthority(ctx, first, nil, idem)
	if err != nil || !created || arn != first.ARN {
		t.Fatalf("first create = %s, %v, %v", arn, created, err)
	}
	again := newCA(account, region, 2)
	arn, created, err = s.CreateCertificateAuthority(ctx, again, nil, idem)
	if err != nil || created || arn != first.ARN {
		t.Errorf("repeat create = %s, %v, %v; want %s, false", arn, created, err, first.ARN)
	}
	elsewhere := newCA(account, otherRegion, 3)
	arn, created, err = s.CreateCertificateAuthority(ctx, elsewhere, nil, idem)
	if err != nil || !created || arn != elsewhere.ARN {
		t.Errorf("create in other region = %s, %v, %v; want a new CA", arn, created, err)
	}
}

func testCAList(t *testing.T, s store.Store) {
	ctx := context.Background()
	var want []string
	for n := 1; n <= 5; n++ {
		ca := newCA(account, region, n)
		mustCreateCA(t, s, ca)
		want = append(want, ca.ARN)
	}
	mustCreateCA(t, s, newCA(otherAccount, region, 9))

	var got []string
	query := store.CAListQuery{Account: account, Region: region, Limit: 2}
	for range 10 {
		page, next, err := s.ListCertificateAuthorities(ctx, query)
		if err != nil {
			t.Fatalf("ListCertificateAuthorities: %v", err)
		}
		for _, ca := range page {
			got = append(got, ca.ARN)
		}
		if next == "" {
			break
		}
		query.After = next
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("listed %v, want %v", got, want)
	}

	query.After = "garbage"
	if _, _, err := s.ListCertificateAuthorities(ctx, query); !errors.Is(err, store.ErrBadCursor) {
		t.Errorf("bad cursor error = %v, want ErrBadCursor", err)
	}
}

func testCAByStatus(t *testing.T, s store.Store) {
	ctx := context.Background()
	creating := newCA(account, region, 2)
	mustCreateCA(t, s, creating)
	other := newCA(otherAccount, region, 1)
	mustCreateCA(t, s, other)
	active := newCA(account, region, 3)
	active.Status = "ACTIVE"
	mustCreateCA(t, s, active)

	got, err := s.CertificateAuthoritiesByStatus(ctx, "CREATING", 10)
	if err != nil {
		t.Fatalf("CertificateAuthoritiesByStatus: %v", err)
	}
	if len(got) != 2 || got[0].ARN != other.ARN || got[1].ARN != creating.ARN {
		t.Errorf("CREATING CAs = %d records, want %s then %s", len(got), other.ARN, creating.ARN)
	}
}

func testCATags(t *testing.T, s store.Store) {
	ctx := context.Background()
	ca := newCA(account, region, 1)
	mustCreateCA(t, s, ca, store.Tag{Key: "a", Value: strPtr("1")})

	if err := s.AddCATags(ctx, account, region, ca.ARN, []store.Tag{{Key: "b"}, {Key: "a", Value: strPtr("2")}}, 3); err != nil {
		t.Fatalf("AddCATags: %v", err)
	}
	tags, err := s.ListCATags(ctx, account, region, ca.ARN)
	if err != nil {
		t.Fatalf("ListCATags: %v", err)
	}
	checkTags(t, tags, []store.Tag{{Key: "a", Value: strPtr("2")}, {Key: "b"}})

	err = s.AddCATags(ctx, account, region, ca.ARN, []store.Tag{{Key: "c"}, {Key: "d"}}, 3)
	if !errors.Is(err, store.ErrTooManyTags) {
		t.Errorf("AddCATags over the limit error = %v, want ErrTooManyTags", err)
	}

	if err := s.RemoveCATags(ctx, account, region, ca.ARN, []store.Tag{{Key: "a", Value: strPtr("1")}, {Key: "b"}}); err != nil {
		t.Fatalf("RemoveCATags: %v", err)
	}
	tags, _ = s.ListCATags(ctx, account, region, ca.ARN)
	checkTags(t, tags, []store.Tag{{Key: "a", Value: strPtr("2")}})

	if _, err := s.ListCATags(ctx, otherAccount, region, ca.ARN); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ListCATags(other account) error = %v, want ErrNotFound", err)
	}
}

func newIssued(ca *store.CertificateAuthority, n int) *store.IssuedCertificate {
	return &store.IssuedCertificate{
		ARN:            fmt.Sprintf("%s/certificate/%032x", ca.ARN, n),
		CAARN:          ca.ARN,
		Serial:         fmt.Sprintf("%x", 1000+n),
		CertificatePEM: "pem",
		IssuedAt:       baseTime.Add(time.Duration(n) * time.Second),
		NotAfter:       baseTime.AddDate(1, 0, 0),
	}
}

func testCADelete(t *testing.T, s store.Store) {
	ctx := context.Background()
	ca := newCA(account, region, 1)
	mustCreateCA(t, s, ca, store.Tag{Key: "a"})
	cert := newIssued(ca, 1)
	if _, _, err := s.CreateIssuedCertificate(ctx, cert, nil); err != nil {
		t.Fatalf("CreateIssuedCertificate: %v", err)
	}

	if err := s.DeleteCertificateAuthority(ctx, account, region, ca.ARN); err != nil {
		t.Fatalf("DeleteCertificateAuthority: %v", err)
	}
	if _, err := s.GetIssuedCertificate(ctx, ca.ARN, cert.ARN); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("issued certificate after CA delete: error = %v, want ErrNotFound", err)
	}
	if err := s.DeleteCertificateAuthority(ctx, account, region, ca.ARN); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second delete error = %v, want ErrNotFound", err)
	}
}

func testIssuedRevoke(t *testing.T, s store.Store) {
	ctx := context.Background()
	ca := newCA(account, region, 1)
	mustCreateCA(t, s, ca)
	first, second := newIssued(ca, 1), newIssued(ca, 2)
	second.ACMCertificateARN = "arn:aws:acm:us-east-1:111122223333:certificate/x"
	for _, cert := range []*store.IssuedCertificate{first, second} {
		if _, _, err := s.CreateIssuedCertificate(ctx, cert, nil); err != nil {
			t.Fatalf("CreateIssuedCertificate: %v", err)
		}
	}

	got, err := s.GetIssuedCertificateBySerial(ctx, ca.ARN, second.Serial)
	if err != nil {
		t.Fatalf("GetIssuedCertificateBySerial: %v", err)
	}
	if !reflect.DeepEqual(got, second) {
		t.Errorf("by serial = %+v, want %+v", got, second)
	}

	revokedAt := baseTime.Add(time.Hour)
	if err := s.RevokeIssuedCertificate(ctx, ca.ARN, second.Serial, revokedAt, "KEY_COMPROMISE"); err != nil {
		t.Fatalf("RevokeIssuedCertificate: %v", err)
	}
	err = s.RevokeIssuedCertificate(ctx, ca.ARN, second.Serial, revokedAt, "KEY_COMPROMISE")
	if !errors.Is(err, store.ErrAlreadyExists) {
		t.Errorf("second revoke error = %v, want ErrAlreadyExists", err)
	}
	if err := s.RevokeIssuedCertificate(ctx, ca.ARN, "ffff", revokedAt, "KEY_COMPROMISE"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("revoke unknown serial error = %v, want ErrNotFound", err)
	}

	revoked, err := s.RevokedIssuedCertificates(ctx, ca.ARN)
	if err != nil {
		t.Fatalf("RevokedIssuedCertificates: %v", err)
	}
	if len(revoked) != 1 || revoked[0].Serial != second.Serial || !revoked[0].RevokedAt.Equal(revokedAt) || revoked[0].RevocationReason != "KEY_COMPROMISE" {
		t.Errorf("revoked = %+v, want serial %s at %s", revoked, second.Serial, revokedAt)
	}

	all, err := s.ListIssuedCertificates(ctx, ca.ARN)
	if err != nil || len(all) != 2 {
		t.Errorf("ListIssuedCertificates = %d, %v; want 2", len(all), err)
	}
}

func testIssuedIdempotency(t *testing.T, s store.Store) {
	ctx := context.Background()
	ca := newCA(account, region, 1)
	mustCreateCA(t, s, ca)
	idem := &store.Idempotency{Token: "t", NotBefore: baseTime.Add(-time.Minute)}

	first := newIssued(ca, 1)
	arn, created, err := s.CreateIssuedCertificate(ctx, first, idem)
	if err != nil || !created || arn != first.ARN {
		t.Fatalf("first issue = %s, %v, %v", arn, created, err)
	}
	arn, created, err = s.CreateIssuedCertificate(ctx, newIssued(ca, 2), idem)
	if err != nil || created || arn != first.ARN {
		t.Errorf("repeat issue = %s, %v, %v; want %s, false", arn, created, err, first.ARN)
	}
}

func testPermissions(t *testing.T, s store.Store) {
	ctx := context.Background()
	ca := newCA(account, region, 1)
	mustCreateCA(t, s, ca)

	p := &store.Permission{CAARN: ca.ARN, Principal: "acm.amazonaws.com", SourceAccount: account,
		Actions: []string{"IssueCertificate", "GetCertificate", "ListPermissions"}, CreatedAt: baseTime}
	if err := s.CreatePermission(ctx, p); err != nil {
		t.Fatalf("CreatePermission: %v", err)
	}
	if err := s.CreatePermission(ctx, p); !errors.Is(err, store.ErrAlreadyExists) {
		t.Errorf("duplicate CreatePermission error = %v, want ErrAlreadyExists", err)
	}

	list, err := s.ListPermissions(ctx, ca.ARN)
	if err != nil {
		t.Fatalf("ListPermissions: %v", err)
	}
	if len(list) != 1 || !reflect.DeepEqual(list[0], p) {
		t.Errorf("ListPermissions = %+v, want [%+v]", list, p)
	}

	if err := s.DeletePermission(ctx, ca.ARN, p.Principal, p.SourceAccount); err != nil {
		t.Fatalf("DeletePermission: %v", err)
	}
	if err := s.DeletePermission(ctx, ca.ARN, p.Principal, p.SourceAccount); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second DeletePermission error = %v, want ErrNotFound", err)
	}
}

func testAuditReports(t *testing.T, s store.Store) {
	ctx := context.Background()
	ca := newCA(account, region, 1)
	mustCreateCA(t, s, ca)

	report := &store.AuditReport{ID: "r1", CAARN: ca.ARN, BucketName: "bucket", Key: "audit-report/x/r1.json",
		Format: "JSON", Status: "SUCCESS", CreatedAt: baseTime, Body: []byte("[]")}
	if err := s.CreateAuditReport(ctx, report); err != nil {
		t.Fatalf("CreateAuditReport: %v", err)
	}
	got, err := s.GetAuditReport(ctx, ca.ARN, "r1")
	if err != nil {
		t.Fatalf("GetAuditReport: %v", err)
	}
	if !reflect.DeepEqual(got, report) {
		t.Errorf("GetAuditReport = %+v, want %+v", got, report)
	}
	if _, err := s.GetAuditReport(ctx, ca.ARN, "r2"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetAuditReport(missing) error = %v, want ErrNotFound", err)
	}
}

func testRevokedACMCertificates(t *testing.T, s store.Store) {
	ctx := context.Background()
	revoked := newCertificate(account, region, 1)
	revoked.Status = "REVOKED"
	revoked.Serial = "0a:0b"
	revoked.CertificatePEM = "pem"
	revoked.RevokedAt = baseTime
	issued := newCertificate(otherAccount, region, 2)
	issued.Status = "ISSUED"
	issued.Serial = "0c:0d"
	issued.CertificatePEM = "pem"
	mustCreate(t, s, revoked)
	mustCreate(t, s, issued)

	list, err := s.RevokedCertificates(ctx, "AMAZON_ISSUED")
	if err != nil {
		t.Fatalf("RevokedCertificates: %v", err)
	}
	if len(list) != 1 || list[0].ARN != revoked.ARN {
		t.Errorf("RevokedCertificates returned %d records, want only %s", len(list), revoked.ARN)
	}

	found, err := s.CertificateBySerial(ctx, "AMAZON_ISSUED", "0c:0d")
	if err != nil || found.ARN != issued.ARN {
		t.Errorf("CertificateBySerial = %v, %v; want %s", found, err, issued.ARN)
	}
	if _, err := s.CertificateBySerial(ctx, "AMAZON_ISSUED", "0e"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("CertificateBySerial(missing) error = %v, want ErrNotFound", err)
	}
}

func testPendingRenewals(t *testing.T, s store.Store) {
	ctx := context.Background()
	renewing := newCertificate(account, region, 1)
	renewing.Status = "ISSUED"
	renewing.Type = "PRIVATE"
	renewing.Renewal = &store.Renewal{Status: "PENDING_AUTO_RENEWAL"}
	renewed := newCertificate(account, region, 2)
	renewed.Status = "ISSUED"
	renewed.Type = "PRIVATE"
	renewed.Renewal = &store.Renewal{Status: "SUCCESS"}
	pending := newCertificate(account, region, 3)
	for _, cert := range []*store.Certificate{renewing, renewed, pending} {
		mustCreate(t, s, cert)
	}

	now := time.Now()
	certs, err := s.ClaimPendingCertificates(ctx, "node-a", now, now.Add(time.Minute), 10)
	if err != nil {
		t.Fatalf("ClaimPendingCertificates: %v", err)
	}
	var got []string
	for _, cert := range certs {
		got = append(got, cert.ARN)
	}
	if want := []string{renewing.ARN, pending.ARN}; !reflect.DeepEqual(got, want) {
		t.Errorf("ClaimPendingCertificates = %v, want the private renewal and the pending request %v", got, want)
	}
}
