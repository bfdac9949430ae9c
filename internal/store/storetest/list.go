package storetest

import (
	"cmp"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/openacm/openacm/internal/store"
)

func testListFilters(t *testing.T, s store.Store) {
	type fixture struct {
		account, region string
		n               int
		status, keyAlg  string
		keyUsages       []string
		ekus            []string
		exportOption    string
		managedBy       string
	}
	fixtures := []fixture{
		{account, region, 1, "ISSUED", "RSA_2048", []string{"DIGITAL_SIGNATURE", "KEY_ENCIPHERMENT"}, []string{"TLS_WEB_SERVER_AUTHENTICATION"}, "DISABLED", ""},
		{account, region, 2, "PENDING_VALIDATION", "EC_prime256v1", []string{"DIGITAL_SIGNATURE"}, []string{"TLS_WEB_SERVER_AUTHENTICATION", "TLS_WEB_CLIENT_AUTHENTICATION"}, "ENABLED", ""},
		{account, region, 3, "ISSUED", "EC_prime256v1", []string{"KEY_AGREEMENT"}, nil, "ENABLED", "CLOUDFRONT"},
		{account, region, 4, "FAILED", "RSA_4096", nil, []string{"NONE"}, "DISABLED", ""},
		// Records of another account and region match most filters but
		// must never be listed.
		{otherAccount, region, 5, "ISSUED", "RSA_2048", []string{"DIGITAL_SIGNATURE"}, []string{"TLS_WEB_CLIENT_AUTHENTICATION"}, "ENABLED", "CLOUDFRONT"},
		{account, otherRegion, 6, "ISSUED", "RSA_2048", []string{"DIGITAL_SIGNATURE"}, []string{"TLS_WEB_SERVER_AUTHENTICATION"}, "DISABLED", ""},
	}

	for _, f := range fixtures {
		cert := newCertificate(f.account, f.region, f.n)
		cert.Status = f.status
		cert.KeyAlgorithm = f.keyAlg
		cert.KeyUsages = f.keyUsages
		for _, name := range f.ekus {
			cert.ExtendedKeyUsages = append(cert.ExtendedKeyUsages, store.ExtendedKeyUsage{Name: name})
		}
		cert.ExportOption = f.exportOption
		cert.ManagedBy = f.managedBy
		mustCreate(t, s, cert)
	}

	arns := func(ns ...int) []string {
		out := make([]string, len(ns))
		for i, n := range ns {
			out[i] = certificateARN(account, region, n)
		}
		return out
	}

	cases := []struct {
		name  string
		query store.ListQuery
		want  []string
	}{
		{"no filter", store.ListQuery{}, arns(1, 2, 3, 4)},
		{"one status", store.ListQuery{Statuses: []string{"ISSUED"}}, arns(1, 3)},
		{"two statuses", store.ListQuery{Statuses: []string{"ISSUED", "FAILED"}}, arns(1, 3, 4)},
		{"unknown status", store.ListQuery{Statuses: []string{"REVOKED"}}, arns()},
		{"key algorithm", store.ListQuery{KeyAlgorithms: []string{"EC_prime256v1"}}, arns(2, 3)},
		{"two key algorithms", store.ListQuery{KeyAlgorithms: []string{"RSA_2048", "RSA_4096"}}, arns(1, 4)},
		{"key usage", store.ListQuery{KeyUsages: []string{"DIGITAL_SIGNATURE"}}, arns(1, 2)},
		{"any of two key usages", store.ListQuery{KeyUsages: []string{"KEY_AGREEMENT", "KEY_ENCIPHERMENT"}}, arns(1, 3)},
		{"key usage part of a name", store.ListQuery{KeyUsages: []string{"KEY"}}, arns()},
		{"key usage other case", store.ListQuery{KeyUsages: []string{"digital_signature"}}, arns()},
		{"key usage LIKE wildcards", store.ListQuery{KeyUsages: []string{"DIGITAL%", "KEY_AGREEMEN_"}}, arns()},
		{"extended key usage", store.ListQuery{ExtendedKeyUsages: []string{"TLS_WEB_CLIENT_AUTHENTICATION"}}, arns(2)},
		{"any of two extended key usages", store.ListQuery{ExtendedKeyUsages: []string{"TLS_WEB_SERVER_AUTHENTICATION", "NONE"}}, arns(1, 2, 4)},
		{"export option", store.ListQuery{ExportOption: "ENABLED"}, arns(2, 3)},
		{"managed by", store.ListQuery{ManagedBy: "CLOUDFRONT"}, arns(3)},
		{"all filters", store.ListQuery{
			Statuses:          []string{"ISSUED", "PENDING_VALIDATION"},
			KeyAlgorithms:     []string{"RSA_2048", "EC_prime256v1"},
			KeyUsages:         []string{"DIGITAL_SIGNATURE"},
			ExtendedKeyUsages: []string{"TLS_WEB_SERVER_AUTHENTICATION"},
			ExportOption:      "DISABLED",
		}, arns(1)},
	}

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			query := tc.query
			query.Account, query.Region, query.Limit = account, region, 1000

			got := listAll(t, s, query)
			if !equalStrings(got, tc.want) {
				t.Errorf("ListCertificates(%s) = %v, want %v", tc.name, got, tc.want)
			}

			// Pages of one certificate give the same result.
			query.Limit = 1
			got = listAll(t, s, query)
			if !equalStrings(got, tc.want) {
				t.Errorf("ListCertificates(%s, limit 1) = %v, want %v", tc.name, got, tc.want)
			}
		})
	}
}

func testListPaging(t *testing.T, s store.Store) {
	ctx := context.Background()

	// Several certificates share a creation time, and ARN order differs
	// from insertion order, so only a cursor on (created_at, arn) pages
	// without repeats or gaps.
	type fixture struct {
		n      int
		offset time.Duration
		status string
	}
	fixtures := []fixture{
		{7, 0, "ISSUED"},
		{3, 0, "PENDING_VALIDATION"},
		{5, 0, "ISSUED"},
		{1, time.Second, "ISSUED"},
		{9, time.Second, "ISSUED"},
		{2, -time.Hour, "FAILED"},
		{8, 2 * time.Second, "ISSUED"},
		{4, time.Nanosecond, "ISSUED"},
	}

	type key struct {
		createdAt time.Time
		arn       string
	}
	var ascending, ascendingIssued []key
	for _, f := range fixtures {
		cert := newCertificate(account, region, f.n)
		cert.CreatedAt = baseTime.Add(f.offset)
		cert.Status = f.status
		mustCreate(t, s, cert)

		ascending = append(ascending, key{cert.CreatedAt, cert.ARN})
		if f.status == "ISSUED" {
			ascendingIssued = append(ascendingIssued, key{cert.CreatedAt, cert.ARN})
		}

		// A record of another account at the same time must not shift pages.
		mustCreate(t, s, func() *store.Certificate {
			c := newCertificate(otherAccount, region, f.n)
			c.CreatedAt = cert.CreatedAt
			return c
		}())
	}

	byTimeThenARN := func(a, b key) int {
		if c := a.createdAt.Compare(b.createdAt); c != 0 {
			return c
		}
		return cmp.Compare(a.arn, b.arn)
	}
	arnsOf := func(keys []key, descending bool) []string {
		sorted := slices.Clone(keys)
		slices.SortFunc(sorted, byTimeThenARN)
		if descending {
			slices.Reverse(sorted)
		}
		out := make([]string, len(sorted))
		for i, k := range sorted {
			out[i] = k.arn
		}
		return out
	}

	for _, order := range []store.SortOrder{"", store.Ascending, store.Descending} {
		for _, limit := range []int{1, 2, 3, len(fixtures), 1000} {
			for _, issuedOnly := range []bool{false, true} {
				name := fmt.Sprintf("order %q limit %d issued only %v", order, limit, issuedOnly)
				t.Run(name, func(t *testing.T) {
					query := store.ListQuery{Account: account, Region: region, Order: order, Limit: limit}
					want := arnsOf(ascending, order == store.Descending)
					if issuedOnly {
						query.Statuses = []string{"ISSUED"}
						want = arnsOf(ascendingIssued, order == store.Descending)
					}

					got := listAll(t, s, query)
					if !equalStrings(got, want) {
						t.Errorf("pages = %v, want %v", got, want)
					}
				})
			}
		}
	}

	// A page that ends exactly at the last record reports no next page.
	certs, next, err := s.ListCertificates(ctx, store.ListQuery{Account: account, Region: region, Limit: len(fixtures)})
	if err != nil {
		t.Fatalf("ListCertificates(limit = total): %v", err)
	}
	if len(certs) != len(fixtures) || next != "" {
		t.Errorf("ListCertificates(limit = total) = %d certificates, next %q; want %d and \"\"", len(certs), next, len(fixtures))
	}

	// Each page holds the summary fields of each record, not only keys.
	certs, _, err = s.ListCertificates(ctx, store.ListQuery{Account: account, Region: region, Limit: 1})
	if err != nil {
		t.Fatalf("ListCertificates(limit 1): %v", err)
	}
	if len(certs) != 1 {
		t.Fatalf("ListCertificates(limit 1) returned %d certificates, want 1", len(certs))
	}
	checkCertificate(t, certs[0], summaryOf(mustGet(t, s, account, region, certs[0].ARN)))
}

func testListBadCursor(t *testing.T, s store.Store) {
	mustCreate(t, s, newCertificate(account, region, 1))
	mustCreate(t, s, newCertificate(account, region, 2))

	cursors := []struct{ name, after string }{
		{"not base64", "%%% not a cursor %%%"},
		{"base64 of text", base64.RawURLEncoding.EncodeToString([]byte("not a cursor"))},
		{"base64 of empty object", base64.RawURLEncoding.EncodeToString([]byte("{}"))},
	}

	for _, c := range cursors {
		t.Run(c.name, func(t *testing.T) {
			certs, _, err := s.ListCertificates(context.Background(), store.ListQuery{Account: account, Region: region, Limit: 10, After: c.after})
			if !errors.Is(err, store.ErrBadCursor) {
				t.Errorf("ListCertificates(After %q) = %d certificates, error %v; want store.ErrBadCursor", c.after, len(certs), err)
			}
		})
	}
}

func testListOmitsKeys(t *testing.T, s store.Store) {
	cert := newCertificate(account, region, 1)
	cert.PrivateKeyPEM = []byte("-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n")
	mustCreate(t, s, cert)

	certs, _, err := s.ListCertificates(context.Background(), store.ListQuery{Account: account, Region: region, Limit: 10})
	if err != nil {
		t.Fatalf("ListCertificates: %v", err)
	}
	if len(certs) != 1 {
		t.Fatalf("ListCertificates returned %d certificates, want 1", len(certs))
	}
	if len(certs[0].PrivateKeyPEM) != 0 {
		t.Errorf("ListCertificates returned a private key of %d bytes, want none", len(certs[0].PrivateKeyPEM))
	}

	stored := mustGet(t, s, account, region, cert.ARN)
	if string(stored.PrivateKeyPEM) != string(cert.PrivateKeyPEM) {
		t.Errorf("GetCertificate lost the private key after listing")
	}
}

// summaryOf returns the fields of cert that ListCertificates returns.
func summaryOf(cert *store.Certificate) *store.Certificate {
	return &store.Certificate{
		ARN:                     cert.ARN,
		Account:                 cert.Account,
		Region:                  cert.Region,
		DomainName:              cert.DomainName,
		SubjectAlternativeNames: cert.SubjectAlternativeNames,
		Type:                    cert.Type,
		Status:                  cert.Status,
		KeyAlgorithm:            cert.KeyAlgorithm,
		ManagedBy:               cert.ManagedBy,
		ExportOption:            cert.ExportOption,
		CreatedAt:               cert.CreatedAt,
		IssuedAt:                cert.IssuedAt,
		ImportedAt:              cert.ImportedAt,
		RevokedAt:               cert.RevokedAt,
		NotBefore:               cert.NotBefore,
		NotAfter:                cert.NotAfter,
		KeyUsages:               cert.KeyUsages,
		ExtendedKeyUsages:       cert.ExtendedKeyUsages,
		InUseBy:                 cert.InUseBy,
		Exported:                cert.Exported,
		RenewalEligibility:      cert.RenewalEligibility,
		Version:                 cert.Version,
		UpdatedAt:               cert.UpdatedAt,
	}
}
