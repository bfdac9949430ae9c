package acm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/openacm/openacm/internal/store"
)

// describeTestCertificates returns stored certificates of every kind that
// DescribeCertificate renders.
func describeTestCertificates() map[string]*store.Certificate {
	at := time.Date(2026, 1, 2, 3, 4, 5, 678_000_000, time.UTC)
	arn := "arn:aws:acm:us-east-1:111122223333:certificate/0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"
	return map[string]*store.Certificate{
		"issued": {
			ARN: arn, DomainName: "example.com", SubjectAlternativeNames: []string{"example.com", "*.example.com"},
			Type: "AMAZON_ISSUED", Status: "ISSUED", KeyAlgorithm: "RSA_2048", ValidationMethod: "DNS",
			DomainValidations: []store.DomainValidation{{
				DomainName: "example.com", ValidationDomain: "example.com", ValidationMethod: "DNS", ValidationStatus: "SUCCESS",
				ResourceRecordName: "_x.example.com.", ResourceRecordType: "CNAME", ResourceRecordValue: "_y.acm-validations.aws.",
			}},
			CTLoggingPreference: "ENABLED", ExportOption: "DISABLED",
			CreatedAt: at, IssuedAt: at.Add(time.Minute), NotBefore: at, NotAfter: at.Add(395 * 24 * time.Hour),
			Serial: "0a:1b", Issuer: "Amazon", SignatureAlgorithm: "SHA256WITHRSA",
			KeyUsages:          []string{"DIGITAL_SIGNATURE", "KEY_ENCIPHERMENT"},
			ExtendedKeyUsages:  []store.ExtendedKeyUsage{{Name: "TLS_WEB_SERVER_AUTHENTICATION", OID: "1.3.6.1.5.5.7.3.1"}, {Name: "NONE"}},
			InUseBy:            []string{"arn:aws:elasticloadbalancing:us-east-1:111122223333:loadbalancer/app/a/1"},
			RenewalEligibility: "ELIGIBLE",
		},
		"imported": {
			ARN: arn, DomainName: "imported.example", SubjectAlternativeNames: []string{"imported.example"},
			Type: "IMPORTED", Status: "EXPIRED", KeyAlgorithm: "EC_prime256v1", ImportedAt: at, CreatedAt: at,
			NotBefore: at.Add(-time.Hour), NotAfter: at.Add(-time.Second), Subject: "CN=imported.example,O=<Test & Co>",
			Issuer: "CN=Café \"CA\"", Serial: "01", RenewalEligibility: "INELIGIBLE",
		},
		"private revoked": {
			ARN: arn, DomainName: "internal.corp", Type: "PRIVATE", Status: "REVOKED", KeyAlgorithm: "RSA_4096",
			CertificateAuthorityArn: "arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/1",
			CreatedAt:               at, IssuedAt: at, RevokedAt: at.Add(time.Hour), RevocationReason: "KEY_COMPROMISE",
			ExportOption: "ENABLED", ManagedBy: "CLOUDFRONT", InUseBy: []string{},
		},
		"pending dns": {
			ARN: arn, DomainName: "new.example.com", SubjectAlternativeNames: []string{"new.example.com"},
			Type: "AMAZON_ISSUED", Status: "PENDING_VALIDATION", KeyAlgorithm: "RSA_2048", ValidationMethod: "DNS",
			DomainValidations: []store.DomainValidation{{
				DomainName: "new.example.com", ValidationDomain: "new.example.com", ValidationMethod: "DNS",
				ValidationStatus: "PENDING_VALIDATION", ResourceRecordName: "_a.new.example.com.", ResourceRecordType: "CNAME",
				ResourceRecordValue: "_b.acm-validations.aws.",
			}},
			CTLoggingPreference: "DISABLED", CreatedAt: at,
		},
		"pending email": {
			ARN: arn, DomainName: "mail.example.org", SubjectAlternativeNames: []string{"mail.example.org", "www.mail.example.org"},
			Type: "AMAZON_ISSUED", Status: "PENDING_VALIDATION", ValidationMethod: "EMAIL",
			DomainValidations: []store.DomainValidation{
				{DomainName: "mail.example.org", ValidationDomain: "example.org", ValidationMethod: "EMAIL", ValidationStatus: "PENDING_VALIDATION",
					ValidationEmails: []string{"admin@example.org", "hostmaster@example.org"}},
				{DomainName: "www.mail.example.org", ValidationDomain: "example.org", ValidationMethod: "EMAIL", ValidationEmails: []string{}},
				{DomainName: "redirect.example.org", ValidationMethod: "HTTP", RedirectFrom: "http://a/", RedirectTo: "https://b/"},
				{DomainName: "to-only.example.org", RedirectFrom: "x", RedirectTo: ""},
			},
			CreatedAt: at,
		},
		"failed": {
			ARN: arn, DomainName: "bad.example", Type: "AMAZON_ISSUED", Status: "FAILED", FailureReason: "CAA_ERROR",
			CreatedAt: at, KeyUsages: []string{}, ExtendedKeyUsages: []store.ExtendedKeyUsage{},
		},
		"renewal": {
			ARN: arn, DomainName: "renew.example.com", Type: "AMAZON_ISSUED", Status: "ISSUED",
			CreatedAt: at, IssuedAt: at, NotBefore: at, NotAfter: at.Add(time.Hour),
			Renewal: &store.Renewal{
				Status: "FAILED", StatusReason: "DOMAIN_NOT_ALLOWED", UpdatedAt: at.Add(time.Millisecond),
				DomainValidations: []store.DomainValidation{{DomainName: "renew.example.com", ValidationStatus: "FAILED"}},
			},
		},
		"renewal without validations or time": {
			ARN: arn, DomainName: "r.example", Type: "AMAZON_ISSUED", Status: "ISSUED",
			Renewal: &store.Renewal{Status: "PENDING_AUTO_RENEWAL"},
		},
		"empty": {},
	}
}

// assertDescribeBytesMatch checks that AppendJSON writes what encoding/json
// writes for the struct without the method.
func assertDescribeBytesMatch(t *testing.T, name string, out DescribeCertificateOutput) {
	t.Helper()
	type reflected DescribeCertificateOutput
	want, err := json.Marshal(reflected(out))
	if err != nil {
		t.Fatalf("%s: json.Marshal without the method: %v", name, err)
	}
	got := out.AppendJSON(nil)
	if !bytes.Equal(got, want) {
		t.Errorf("%s: AppendJSON =\n%s\nwant\n%s", name, got, want)
	}
	marshaled, err := json.Marshal(out)
	if err != nil {
		t.Fatalf("%s: json.Marshal: %v", name, err)
	}
	if !bytes.Equal(marshaled, want) {
		t.Errorf("%s: json.Marshal with the method =\n%s\nwant\n%s", name, marshaled, want)
	}
}

func TestDescribeOutputMatchesReflection(t *testing.T) {
	for name, cert := range describeTestCertificates() {
		assertDescribeBytesMatch(t, name, DescribeCertificateOutput{Certificate: certificateDetail(cert)})
	}
}

// Details built directly, not through certificateDetail, reach the nil and
// empty cases that certificateDetail never produces.
func TestDescribeOutputMatchesReflectionRandom(t *testing.T) {
	random := rand.New(rand.NewPCG(7, 11))
	texts := []string{"", "a", "example.com", "<&>", "\"q\"", "back\\slash", "tab\t", "é", "\u2028", "\x00", "\xff"}
	text := func() string { return texts[random.IntN(len(texts))] }
	strs := func() []string {
		switch random.IntN(3) {
		case 0:
			return nil
		case 1:
			return []string{}
		}
		values := make([]string, 1+random.IntN(3))
		for i := range values {
			values[i] = text()
		}
		return values
	}
	timestamp := func() *Timestamp {
		if random.IntN(3) == 0 {
			return nil
		}
		return NewTimestamp(time.UnixMilli(random.Int64N(4_000_000_000_000) - 1_000_000_000_000))
	}
	validations := func() []DomainValidation {
		if random.IntN(3) == 0 {
			return nil
		}
		values := make([]DomainValidation, random.IntN(3))
		for i := range values {
			values[i] = DomainValidation{DomainName: text(), ValidationEmails: strs(), ValidationDomain: text(),
				ValidationStatus: text(), ValidationMethod: text()}
			if random.IntN(2) == 0 {
				values[i].ResourceRecord = &ResourceRecord{Name: text(), Type: text(), Value: text()}
			}
			if random.IntN(2) == 0 {
				values[i].HttpRedirect = &HttpRedirect{RedirectFrom: text(), RedirectTo: text()}
			}
		}
		return values
	}

	for i := range 5000 {
		detail := CertificateDetail{
			CertificateArn: text(), DomainName: text(), SubjectAlternativeNames: strs(), ManagedBy: text(),
			DomainValidationOptions: validations(), Serial: text(), Subject: text(), Issuer: text(),
			CreatedAt: timestamp(), IssuedAt: timestamp(), ImportedAt: timestamp(), Status: text(),
			RevokedAt: timestamp(), RevocationReason: text(), NotBefore: timestamp(), NotAfter: timestamp(),
			KeyAlgorithm: text(), SignatureAlgorithm: text(), InUseBy: strs(), FailureReason: text(), Type: text(),
			CertificateAuthorityArn: text(), RenewalEligibility: text(),
		}
		if names := strs(); names != nil {
			detail.KeyUsages = make([]KeyUsage, len(names))
			detail.ExtendedKeyUsages = make([]ExtendedKeyUsage, len(names))
			for j, name := range names {
				detail.KeyUsages[j] = KeyUsage{Name: name}
				detail.ExtendedKeyUsages[j] = ExtendedKeyUsage{Name: name, OID: text()}
			}
		}
		if random.IntN(2) == 0 {
			detail.RenewalSummary = &RenewalSummary{RenewalStatus: text(), DomainValidationOptions: validations(),
				RenewalStatusReason: text(), UpdatedAt: timestamp()}
		}
		if random.IntN(2) == 0 {
			detail.Options = &CertificateOptions{CertificateTransparencyLoggingPreference: text(), Export: text()}
		}
		assertDescribeBytesMatch(t, fmt.Sprintf("random detail %d", i), DescribeCertificateOutput{Certificate: detail})
		if t.Failed() {
			return
		}
	}
}

// BenchmarkDescribeEncode measures the API layer of DescribeCertificate:
// the conversion from the store record and the JSON encoding.
func BenchmarkDescribeEncode(b *testing.B) {
	cert := describeTestCertificates()["issued"]
	b.Run("reflection", func(b *testing.B) {
		for b.Loop() {
			out := &DescribeCertificateOutput{Certificate: certificateDetail(cert)}
			type reflected DescribeCertificateOutput
			if _, err := json.Marshal((*reflected)(out)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("append", func(b *testing.B) {
		var body []byte
		for b.Loop() {
			out := &DescribeCertificateOutput{Certificate: certificateDetail(cert)}
			body = out.AppendJSON(body[:0])
		}
	})
}
