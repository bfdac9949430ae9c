package acm

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
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
