package acm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/openacm/openacm/internal/store"
)

// ListCertificatesOutput.MarshalJSON writes what encoding/json writes for
// the struct without the method.
func TestListOutputMarshalMatchesReflection(t *testing.T) {
	type reflected ListCertificatesOutput
	at := time.Date(2026, 1, 2, 3, 4, 5, 678_000_000, time.UTC)
	outputs := []ListCertificatesOutput{
		{},
		{CertificateSummaryList: []CertificateSummary{}},
		{NextToken: "abc_-", CertificateSummaryList: []CertificateSummary{
			{
				CertificateArn: "arn:aws:acm:us-east-1:111122223333:certificate/1", DomainName: "example.com",
				SubjectAlternativeNameSummaries: []string{"example.com", "*.example.com"}, HasAdditionalSubjectAlternativeNames: true,
				Status: "ISSUED", Type: "AMAZON_ISSUED", KeyAlgorithm: "RSA-2048",
				KeyUsages: []string{"DIGITAL_SIGNATURE"}, ExtendedKeyUsages: []string{"TLS_WEB_SERVER_AUTHENTICATION"},
				ExportOption: "ENABLED", InUse: true, Exported: true, RenewalEligibility: "ELIGIBLE",
				NotBefore: NewTimestamp(at), NotAfter: NewTimestamp(at.Add(time.Hour)), CreatedAt: NewTimestamp(at),
				IssuedAt: NewTimestamp(at), ImportedAt: NewTimestamp(at), RevokedAt: NewTimestamp(at), ManagedBy: "CLOUDFRONT",
			},
			{CertificateArn: "a", DomainName: "<b>&\"é\u2028\\\n", SubjectAlternativeNameSummaries: []string{}},
			{CertificateArn: "c", KeyUsages: []string{}, ExtendedKeyUsages: []string{}},
		}},
	}
	for _, out := range outputs {
		fast, err := json.Marshal(out)
		if err != nil {
			t.Fatalf("json.Marshal: %v", err)
		}
		slow, err := json.Marshal(reflected(out))
		if err != nil {
			t.Fatalf("json.Marshal without the method: %v", err)
		}
		if !bytes.Equal(fast, slow) {
			t.Errorf("MarshalJSON =\n%s\nwant\n%s", fast, slow)
		}
	}
}

// BenchmarkListPageEncode measures the API layer of a ListCertificates page
// of 1000 summaries: the conversion from store records and the JSON
// encoding, without the store and without HTTP.
func BenchmarkListPageEncode(b *testing.B) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	certs := make([]*store.Certificate, 1000)
	for i := range certs {
		name := fmt.Sprintf("bench-%06d.example.com", i)
		certs[i] = &store.Certificate{
			ARN:                     fmt.Sprintf("arn:aws:acm:eu-west-1:000000000000:certificate/%08d-0000-4000-8000-000000000000", i),
			DomainName:              name,
			SubjectAlternativeNames: []string{name},
			Type:                    TypeImported,
			Status:                  "ISSUED",
			KeyAlgorithm:            "RSA_2048",
			KeyUsages:               []string{"DIGITAL_SIGNATURE", "KEY_ENCIPHERMENT"},
			ExtendedKeyUsages:       []store.ExtendedKeyUsage{{Name: "TLS_WEB_SERVER_AUTHENTICATION"}},
			CreatedAt:               at,
			ImportedAt:              at,
			NotBefore:               at,
			NotAfter:                at.Add(365 * 24 * time.Hour),
			RenewalEligibility:      "INELIGIBLE",
		}
	}

	var body []byte
	for b.Loop() {
		out := &ListCertificatesOutput{NextToken: "token", CertificateSummaryList: certificateSummaries(certs)}
		body = out.AppendJSON(body[:0])
	}
	b.ReportMetric(float64(len(body)), "bytes/page")
}

// AppendJSON appends to what b holds and writes the bytes of MarshalJSON.
func TestListOutputAppendJSON(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	out := ListCertificatesOutput{NextToken: "next", CertificateSummaryList: []CertificateSummary{
		{CertificateArn: "arn:1", DomainName: "example.com", KeyUsages: []string{}, ExtendedKeyUsages: []string{}, CreatedAt: NewTimestamp(at)},
	}}
	marshaled, err := out.MarshalJSON()
	if err != nil {
		t.Fatalf("MarshalJSON: %v", err)
	}

	appended := out.AppendJSON([]byte("prefix"))
	if got, want := string(appended), "prefix"+string(marshaled); got != want {
		t.Errorf("AppendJSON =\n%s\nwant\n%s", got, want)
	}
}

// appendEpochSeconds writes the digits of Timestamp.MarshalJSON.
func TestAppendEpochSecondsMatchesFloat(t *testing.T) {
	millis := []int64{
		0, 1, -1, 10, 100, 999, -999, 1000, -1000, -1500, -500, 1_767_323_045_678, 1_767_323_045_600,
		9_223_372_036_854, -9_223_372_036_854, maxExactMillis - 1, -maxExactMillis + 1, maxExactMillis, 1 << 62,
	}
	random := rand.New(rand.NewPCG(1, 2))
	for range 100_000 {
		millis = append(millis, random.Int64N(2*maxExactMillis)-maxExactMillis)
	}

	for _, ms := range millis {
		at := time.UnixMilli(ms)
		want, err := Timestamp(at).MarshalJSON()
		if err != nil {
			t.Fatalf("MarshalJSON: %v", err)
		}
		if got := appendEpochSeconds(nil, at); string(got) != string(want) {
			t.Errorf("appendEpochSeconds(%d ms) = %s, want %s", ms, got, want)
		}
	}
}

// certificateSummaries gives each summary its own extended key usage
// names, even though a page shares one array for them.
func TestCertificateSummariesExtendedKeyUsages(t *testing.T) {
	certs := []*store.Certificate{
		{ARN: "arn:1", KeyAlgorithm: "RSA_2048", ExtendedKeyUsages: []store.ExtendedKeyUsage{{Name: "TLS_WEB_SERVER_AUTHENTICATION"}}},
		{ARN: "arn:2", KeyAlgorithm: "EC_prime256v1"},
		{ARN: "arn:3", KeyAlgorithm: "RSA_9999", ExtendedKeyUsages: []store.ExtendedKeyUsage{{Name: "CODE_SIGNING"}, {Name: "EMAIL_PROTECTION"}}},
	}
	summaries := certificateSummaries(certs)
	_ = append(summaries[0].ExtendedKeyUsages, "appended")

	wantUsages := [][]string{{"TLS_WEB_SERVER_AUTHENTICATION"}, {}, {"CODE_SIGNING", "EMAIL_PROTECTION"}}
	wantAlgorithms := []string{"RSA-2048", "EC-prime256v1", "RSA-9999"}
	for i, summary := range summaries {
		if got := summary.ExtendedKeyUsages; !reflect.DeepEqual(got, wantUsages[i]) {
			t.Errorf("ExtendedKeyUsages of %s = %q, want %q", summary.CertificateArn, got, wantUsages[i])
		}
		if got := summary.KeyAlgorithm; got != wantAlgorithms[i] {
			t.Errorf("KeyAlgorithm of %s = %q, want %q", summary.CertificateArn, got, wantAlgorithms[i])
		}
	}
}
