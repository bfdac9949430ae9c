package model

import (
	"testing"

	"github.com/openacm/openacm/internal/apierr"
)

// FuzzCheckInput decodes arbitrary bodies and checks them against every
// ACM operation's input shape. It must never panic, and every failure must
// be an *apierr.Error a client can be sent.
func FuzzCheckInput(f *testing.F) {
	for _, seed := range []string{
		`{}`,
		`{"DomainName":"example.com","SubjectAlternativeNames":["a.example.com","*.example.com"],"ValidationMethod":"DNS"}`,
		`{"DomainName":"example.com","DomainValidationOptions":[{"DomainName":"example.com","ValidationDomain":"example.com"}],"Tags":[{"Key":"k","Value":"v"}]}`,
		`{"CertificateArn":"arn:aws:acm:us-east-1:111122223333:certificate/00000000-0000-0000-0000-000000000000"}`,
		`{"MaxItems":1000,"NextToken":"x","Includes":{"keyTypes":["RSA_2048"],"extendedKeyUsage":["ANY"]}}`,
		`{"DomainName":1}`,
		`{"Tags":[[[[]]]]}`,
		`[[[[[[[[[[`,
		`{"a":"\u0000\ud800"}`,
		`null`,
		``,
		`{"MaxItems":1e400}`,
	} {
		f.Add(seed)
	}
	service := ACM()
	operations := []string{"RequestCertificate", "DescribeCertificate", "ListCertificates", "AddTagsToCertificate", "RemoveTagsFromCertificate", "ImportCertificate"}

	f.Fuzz(func(t *testing.T, body string) {
		for _, op := range operations {
			err := service.CheckInput(op, []byte(body))
			if err == nil {
				continue
			}
			if _, ok := apierr.As(err); !ok {
				t.Errorf("CheckInput(%s) returned %T, want *apierr.Error", op, err)
			}
		}
	})
}
