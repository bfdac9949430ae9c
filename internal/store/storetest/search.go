package storetest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openacm/openacm/internal/store"
)

// searchFixtures stores n certificates of mixed types and attributes in the
// test account and region, plus a few elsewhere, and returns the former.
func searchFixtures(t *testing.T, s store.Store, n int) []*store.Certificate {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func(values ...string) string { return values[rng.IntN(len(values))] }
	labels := []string{"api", "www", "mail", "shop", "Admin", "edge"}
	zones := []string{"example.com", "example.org", "test.net", "corp.example.com"}

	var certs []*store.Certificate
	for i := range n {
		cert := newCertificate(account, region, 1000+i)
		cert.Type = pick("AMAZON_ISSUED", "IMPORTED", "PRIVATE")
		cert.Status = pick("ISSUED", "PENDING_VALIDATION", "EXPIRED", "FAILED", "REVOKED")
		cert.KeyAlgorithm = pick("RSA_2048", "RSA_4096", "EC_prime256v1", "EC_secp384r1")
		cert.ExportOption = pick("ENABLED", "DISABLED")
		cert.ManagedBy = pick("", "", "CLOUDFRONT")
		cert.ValidationMethod = pick("DNS", "EMAIL", "")
		cert.RenewalEligibility = pick("ELIGIBLE", "INELIGIBLE")
		cert.Exported = rng.IntN(4) == 0
		if rng.IntN(3) == 0 {
			cert.InUseBy = []string{"arn:aws:elasticloadbalancing:us-east-1:111122223333:loadbalancer/x"}
		}
		cert.DomainName = pick(labels...) + fmt.Sprint(i%7) + "." + pick(zones...)
		cert.SubjectAlternativeNames = []string{cert.DomainName}
		for range rng.IntN(3) {
			cert.SubjectAlternativeNames = append(cert.SubjectAlternativeNames, pick(labels...)+"."+pick(zones...))
		}
		cert.Serial = fmt.Sprintf("%02x:%02x:%02x", i/256, i%256, rng.IntN(256))
		cert.KeyUsages = slices.Compact([]string{pick("DIGITAL_SIGNATURE", "KEY_AGREEMENT"), pick("KEY_ENCIPHERMENT", "KEY_ENCIPHERMENT", "NON_REPUDIATION")})
		if rng.IntN(4) > 0 {
			cert.ExtendedKeyUsages = []store.ExtendedKeyUsage{{Name: pick("TLS_WEB_SERVER_AUTHENTICATION", "TLS_WEB_CLIENT_AUTHENTICATION", "CODE_SIGNING")}}
		}
		if cert.Status != "PENDING_VALIDATION" {
			cert.NotBefore = baseTime.Add(time.Duration(rng.IntN(400)) * 24 * time.Hour).Truncate(time.Second)
			cert.NotAfter = cert.NotBefore.Add(time.Duration(30+rng.IntN(400)) * 24 * time.Hour)
			cert.IssuedAt = cert.NotBefore
		}
		if cert.Type == "IMPORTED" {
			cert.ImportedAt = cert.CreatedAt
		}
		// Ties in the sort columns are common, so paging must cut on the tie order too.
		cert.CreatedAt = baseTime.Add(time.Duration(rng.IntN(50)) * time.Minute)
		mustCreate(t, s, cert)
		certs = append(certs, cert)
	}

	for i, other := range []*store.Certificate{newCertificate(otherAccount, region, 1), newCertificate(account, otherRegion, 2)} {
		other.DomainName = fmt.Sprintf("api%d.example.com", i)
		other.SubjectAlternativeNames = []string{other.DomainName}
		other.Status = "ISSUED"
		mustCreate(t, s, other)
	}
	return certs
}

// matches evaluates a condition the way SearchCertificates must.
func matches(cert *store.Certificate, c store.SearchCondition) bool {
	switch {
	case c.Match != nil:
		return matchField(cert, *c.Match)
	case c.Not != nil:
		return !matches(cert, *c.Not)
	case len(c.And) > 0:
		for _, child := range c.And {
			if !matches(cert, child) {
				return false
			}
		}
		return true
	case len(c.Or) > 0:
		for _, child := range c.Or {
			if matches(cert, child) {
				return true
			}
		}
		return false
	default:
		return true
	}
}

func matchField(cert *store.Certificate, m store.SearchMatch) bool {
	nameMatches := func(name string) bool {
		name, value := strings.ToLower(name), strings.ToLower(m.Value)
		if m.Op == store.Contains {
			return strings.Contains(name, value)
		}
		return name == value
	}
	inRange := func(t time.Time) bool {
		return !t.IsZero() && (m.From.IsZero() || !t.Before(m.From)) && (m.To.IsZero() || !t.After(m.To))
	}
	switch m.Field {
	case store.FieldCommonName:
		return nameMatches(cert.DomainName)
	case store.FieldDNSName:
		return slices.ContainsFunc(cert.SubjectAlternativeNames, nameMatches)
	case store.FieldKeyUsage:
		return slices.Contains(cert.KeyUsages, m.Value)
	case store.FieldExtendedKeyUsage:
		if m.Value == "NONE" {
			return len(cert.ExtendedKeyUsages) == 0
		}
		return slices.ContainsFunc(cert.ExtendedKeyUsages, func(u store.ExtendedKeyUsage) bool { return u.Name == m.Value })
	case store.FieldNotBefore:
		return inRange(cert.NotBefore)
	case store.FieldNotAfter:
		return inRange(cert.NotAfter)
	case store.FieldInUse:
		return (len(cert.InUseBy) > 0) == (m.Op == store.IsTrue)
	case store.FieldExported:
		return cert.Exported == (m.Op == store.IsTrue)
	}
	values := map[store.SearchField]string{
		store.FieldARN: cert.ARN, store.FieldKeyAlgorithm: cert.KeyAlgorithm, store.FieldSerial: cert.Serial,
		store.FieldStatus: cert.Status, store.FieldType: cert.Type, store.FieldExportOption: cert.ExportOption,
		store.FieldManagedBy: cert.ManagedBy, store.FieldValidationMethod: cert.ValidationMethod,
	}
	return values[m.Field] == m.Value
}

func eq(field store.SearchField, value string) store.SearchCondition {
	return store.SearchCondition{Match: &store.SearchMatch{Field: field, Op: store.Equals, Value: value}}
}

func contains(field store.SearchField, value string) store.SearchCondition {
	return store.SearchCondition{Match: &store.SearchMatch{Field: field, Op: store.Contains, Value: value}}
}

func testSearchFilters(t *testing.T, s store.Store) {
	certs := searchFixtures(t, s, 300)
	mid := baseTime.Add(200 * 24 * time.Hour)

	cases := []struct {
		name   string
		filter *store.SearchCondition
	}{
		{"no filter", nil},
		{"arn", &store.SearchCondition{Match: &store.SearchMatch{Field: store.FieldARN, Op: store.Equals, Value: certs[17].ARN}}},
		{"common name equals any case", ptr(eq(store.FieldCommonName, strings.ToUpper(certs[5].DomainName)))},
		{"common name contains", ptr(contains(store.FieldCommonName, "admin"))},
		{"common name contains short", ptr(contains(store.FieldCommonName, "3."))},
		{"dns name equals", ptr(eq(store.FieldDNSName, "edge.test.net"))},
		{"dns name contains", ptr(contains(store.FieldDNSName, "corp.EXAMPLE"))},
		{"dns name contains nothing", ptr(contains(store.FieldDNSName, "zzzz"))},
		{"key usage", ptr(eq(store.FieldKeyUsage, "NON_REPUDIATION"))},
		{"extended key usage", ptr(eq(store.FieldExtendedKeyUsage, "CODE_SIGNING"))},
		{"extended key usage none", ptr(eq(store.FieldExtendedKeyUsage, "NONE"))},
		{"key algorithm", ptr(eq(store.FieldKeyAlgorithm, "EC_secp384r1"))},
		{"serial", ptr(eq(store.FieldSerial, certs[42].Serial))},
		{"not after range", &store.SearchCondition{Match: &store.SearchMatch{Field: store.FieldNotAfter, Op: store.InRange, From: mid, To: mid.Add(90 * 24 * time.Hour)}}},
		{"not before open end", &store.SearchCondition{Match: &store.SearchMatch{Field: store.FieldNotBefore, Op: store.InRange, From: mid}}},
		{"status", ptr(eq(store.FieldStatus, "REVOKED"))},
		{"type", ptr(eq(store.FieldType, "IMPORTED"))},
		{"in use", &store.SearchCondition{Match: &store.SearchMatch{Field: store.FieldInUse, Op: store.IsTrue}}},
		{"not exported", &store.SearchCondition{Match: &store.SearchMatch{Field: store.FieldExported, Op: store.IsFalse}}},
		{"export option", ptr(eq(store.FieldExportOption, "ENABLED"))},
		{"managed by", ptr(eq(store.FieldManagedBy, "CLOUDFRONT"))},
		{"validation method", ptr(eq(store.FieldValidationMethod, "EMAIL"))},
		{"and", &store.SearchCondition{And: []store.SearchCondition{eq(store.FieldType, "AMAZON_ISSUED"), eq(store.FieldStatus, "ISSUED"), contains(store.FieldDNSName, "example.org")}}},
		{"or", &store.SearchCondition{Or: []store.SearchCondition{eq(store.FieldKeyAlgorithm, "RSA_4096"), eq(store.FieldManagedBy, "CLOUDFRONT")}}},
		{"not", &store.SearchCondition{Not: ptr(eq(store.FieldStatus, "ISSUED"))}},
		{"nested", &store.SearchCondition{And: []store.SearchCondition{
			{Or: []store.SearchCondition{contains(store.FieldCommonName, "api"), contains(store.FieldCommonName, "shop")}},
			{Not: &store.SearchCondition{Or: []store.SearchCondition{eq(store.FieldType, "PRIVATE"), eq(store.FieldExtendedKeyUsage, "NONE")}}},
		}}},
	}

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var want []string
			for _, cert := range certs {
				if tc.filter == nil || matches(cert, *tc.filter) {
					want = append(want, cert.ARN)
				}
			}
			slices.Sort(want)

			got := searchAll(t, s, store.SearchQuery{Account: account, Region: region, Filter: tc.filter,
				SortBy: "CERTIFICATE_ARN", Order: store.Ascending, Limit: 500})
			if !slices.Equal(got, want) {
				t.Errorf("search returned %d ARNs, want %d\n got: %v\nwant: %v", len(got), len(want), got, want)
			}
		})
	}
}

func ptr(c store.SearchCondition) *store.SearchCondition { return &c }

// searchAll follows NextToken to the end and returns every ARN in order.
func searchAll(t *testing.T, s store.Store, query store.SearchQuery) []string {
	t.Helper()
	var arns []string
	for page := 0; ; page++ {
		certs, next, err := s.SearchCertificates(context.Background(), query)
		if err != nil {
			t.Fatalf("SearchCertificates page %d: %v", page, err)
		}
		if len(certs) > query.Limit {
			t.Fatalf("page %d has %d certificates, limit %d", page, len(certs), query.Limit)
		}
		for _, cert := range certs {
			arns = append(arns, cert.ARN)
		}
		if next == "" {
			return arns
		}
		if page > 1000 {
			t.Fatalf("search did not end after %d pages", page)
		}
		query.After = next
	}
}

func testSearchSortPaging(t *testing.T, s store.Store) {
	certs := searchFixtures(t, s, 120)
	keys := map[string]func(*store.Certificate) string{
		"CREATED_AT":      func(c *store.Certificate) string { return fmt.Sprintf("%020d", c.CreatedAt.Unix()) },
		"NOT_AFTER":       func(c *store.Certificate) string { return fmt.Sprintf("%020d", unixOrZero(c.NotAfter)) },
		"STATUS":          func(c *store.Certificate) string { return c.Status },
		"TYPE":            func(c *store.Certificate) string { return c.Type },
		"KEY_ALGORITHM":   func(c *store.Certificate) string { return c.KeyAlgorithm },
		"COMMON_NAME":     func(c *store.Certificate) string { return c.DomainName },
		"IN_USE":          func(c *store.Certificate) string { return fmt.Sprint(len(c.InUseBy) > 0) },
		"CERTIFICATE_ARN": func(c *store.Certificate) string { return "" },
	}

	for sortBy, key := range keys {
		for _, order := range []store.SortOrder{store.Ascending, store.Descending} {
			t.Run(sortBy+" "+string(order), func(t *testing.T) {
				// Ties come in the order the certificates were created.
				created := map[string]int{}
				for i, cert := range certs {
					created[cert.ARN] = i
				}
				sorted := slices.Clone(certs)
				slices.SortFunc(sorted, func(a, b *store.Certificate) int {
					c := cmp.Or(cmp.Compare(key(a), key(b)), cmp.Compare(created[a.ARN], created[b.ARN]))
					if order == store.Descending {
						return -c
					}
					return c
				})
				want := make([]string, len(sorted))
				for i, cert := range sorted {
					want[i] = cert.ARN
				}

				got := searchAll(t, s, store.SearchQuery{Account: account, Region: region, SortBy: sortBy, Order: order, Limit: 17})
				if !slices.Equal(got, want) {
					t.Errorf("order differs\n got: %v\nwant: %v", got, want)
				}
			})
		}
	}
}

func unixOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

func testSearchBadCursor(t *testing.T, s store.Store) {
	searchFixtures(t, s, 5)
	ctx := context.Background()
	query := store.SearchQuery{Account: account, Region: region, SortBy: "STATUS", Order: store.Ascending, Limit: 2}
	_, next, err := s.SearchCertificates(ctx, query)
	if err != nil || next == "" {
		t.Fatalf("first page: next %q, err %v", next, err)
	}

	for name, bad := range map[string]store.SearchQuery{
		"garbage":     {Account: account, Region: region, SortBy: "STATUS", Order: store.Ascending, Limit: 2, After: "!!"},
		"other sort":  {Account: account, Region: region, SortBy: "CREATED_AT", Order: store.Ascending, Limit: 2, After: next},
		"other order": {Account: account, Region: region, SortBy: "STATUS", Order: store.Descending, Limit: 2, After: next},
	} {
		if _, _, err := s.SearchCertificates(ctx, bad); !errors.Is(err, store.ErrBadCursor) {
			t.Errorf("%s: err %v, want ErrBadCursor", name, err)
		}
	}
}

func testSearchFollowsUpdates(t *testing.T, s store.Store) {
	ctx := context.Background()
	cert := newCertificate(account, region, 1)
	cert.SubjectAlternativeNames = []string{cert.DomainName}
	mustCreate(t, s, cert)

	cert.Status = "ISSUED"
	cert.SubjectAlternativeNames = []string{cert.DomainName, "renamed.example.net"}
	if err := s.UpdateCertificate(ctx, cert); err != nil {
		t.Fatalf("UpdateCertificate: %v", err)
	}
	query := store.SearchQuery{Account: account, Region: region, SortBy: "CREATED_AT", Limit: 10,
		Filter: &store.SearchCondition{And: []store.SearchCondition{eq(store.FieldStatus, "ISSUED"), contains(store.FieldDNSName, "renamed")}}}
	if got := searchAll(t, s, query); len(got) != 1 {
		t.Errorf("after update: %v, want the updated certificate", got)
	}

	// Dropping a name must drop its grams, but not the grams it shares
	// with the names that stay.
	cert.SubjectAlternativeNames = []string{cert.DomainName}
	if err := s.UpdateCertificate(ctx, cert); err != nil {
		t.Fatalf("second UpdateCertificate: %v", err)
	}
	if got := searchAll(t, s, query); len(got) != 0 {
		t.Errorf("after dropping the name: %v, want none", got)
	}
	kept := store.SearchQuery{Account: account, Region: region, SortBy: "CREATED_AT", Limit: 10,
		Filter: &store.SearchCondition{And: []store.SearchCondition{contains(store.FieldDNSName, cert.DomainName[1:])}}}
	if got := searchAll(t, s, kept); len(got) != 1 {
		t.Errorf("search for the kept name %q: %v, want the certificate", cert.DomainName, got)
	}

	if err := s.DeleteCertificate(ctx, account, region, cert.ARN); err != nil {
		t.Fatalf("DeleteCertificate: %v", err)
	}
	if got := searchAll(t, s, query); len(got) != 0 {
		t.Errorf("after delete: %v, want none", got)
	}
}

// testSearchRequestedNames follows a requested certificate, whose name
// substrings a store may index late, through name changes while it is
// pending and after it fails, with a look-alike in another account.
func testSearchRequestedNames(t *testing.T, s store.Store) {
	ctx := context.Background()
	cert := newCertificate(account, region, 1)
	cert.DomainName = "pending-one.example.net"
	cert.SubjectAlternativeNames = []string{cert.DomainName}
	mustCreate(t, s, cert)

	other := newCertificate(account, region, 2)
	other.DomainName = "unrelated.example.org"
	other.SubjectAlternativeNames = []string{other.DomainName}
	mustCreate(t, s, other)

	elsewhere := newCertificate(otherAccount, region, 3)
	elsewhere.DomainName = cert.DomainName
	elsewhere.SubjectAlternativeNames = []string{cert.DomainName, "second-name.example.net"}
	mustCreate(t, s, elsewhere)

	search := func(field store.SearchField, value string) []string {
		t.Helper()
		return searchAll(t, s, store.SearchQuery{Account: account, Region: region, SortBy: "CREATED_AT", Limit: 10,
			Filter: ptr(contains(field, value))})
	}
	want := []string{cert.ARN}

	if got := search(store.FieldCommonName, "ending-on"); !slices.Equal(got, want) {
		t.Errorf("common name contains, after request: %v, want %v", got, want)
	}
	if got := search(store.FieldDNSName, "second-na"); len(got) != 0 {
		t.Errorf("dns name contains a name only another account has: %v, want none", got)
	}

	cert.SubjectAlternativeNames = []string{cert.DomainName, "second-name.example.net"}
	if err := s.UpdateCertificate(ctx, cert); err != nil {
		t.Fatalf("UpdateCertificate, still pending: %v", err)
	}
	if got := search(store.FieldDNSName, "second-na"); !slices.Equal(got, want) {
		t.Errorf("dns name contains, after a name was added while pending: %v, want %v", got, want)
	}

	cert.Status = "FAILED"
	cert.SubjectAlternativeNames = []string{cert.DomainName}
	if err := s.UpdateCertificate(ctx, cert); err != nil {
		t.Fatalf("UpdateCertificate to FAILED: %v", err)
	}
	if got := search(store.FieldDNSName, "second-na"); len(got) != 0 {
		t.Errorf("dns name contains a dropped name, after failing: %v, want none", got)
	}
	if got := search(store.FieldDNSName, "ending-on"); !slices.Equal(got, want) {
		t.Errorf("dns name contains, after failing: %v, want %v", got, want)
	}
	if got := search(store.FieldCommonName, "ending-on"); !slices.Equal(got, want) {
		t.Errorf("common name contains, after failing: %v, want %v", got, want)
	}

	if err := s.DeleteCertificate(ctx, account, region, cert.ARN); err != nil {
		t.Fatalf("DeleteCertificate: %v", err)
	}
	if got := search(store.FieldCommonName, "ending-on"); len(got) != 0 {
		t.Errorf("common name contains, after delete: %v, want none", got)
	}
}

func testAccountConfiguration(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, err := s.GetAccountConfiguration(ctx, account, region); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetAccountConfiguration before any put: err %v, want ErrNotFound", err)
	}

	put := func(days int, token string, at time.Time) bool {
		t.Helper()
		stored, err := s.PutAccountConfiguration(ctx,
			&store.AccountConfiguration{Account: account, Region: region, DaysBeforeExpiry: days, UpdatedAt: at},
			store.Idempotency{Token: token, NotBefore: at.Add(-time.Hour)})
		if err != nil {
			t.Fatalf("PutAccountConfiguration: %v", err)
		}
		return stored
	}
	days := func() int {
		t.Helper()
		config, err := s.GetAccountConfiguration(ctx, account, region)
		if err != nil {
			t.Fatalf("GetAccountConfiguration: %v", err)
		}
		return config.DaysBeforeExpiry
	}

	if !put(30, "a", baseTime) || days() != 30 {
		t.Errorf("first put not stored")
	}
	if put(10, "a", baseTime.Add(time.Minute)) || days() != 30 {
		t.Errorf("token reused within the window changed the configuration")
	}
	if !put(10, "b", baseTime.Add(2*time.Minute)) || days() != 10 {
		t.Errorf("new token not stored")
	}
	if !put(20, "a", baseTime.Add(2*time.Hour)) || days() != 20 {
		t.Errorf("token reused after the window not stored")
	}
	if _, err := s.GetAccountConfiguration(ctx, account, otherRegion); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("other region: err %v, want ErrNotFound", err)
	}
}
