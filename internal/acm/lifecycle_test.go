package acm

import (
	"testing"

	"github.com/openacm/openacm/internal/store"
)

// TestApproveSharedRecords checks that one approved DNS record validates
// every pending name that shares it, and nothing else.
func TestApproveSharedRecords(t *testing.T) {
	validations := []store.DomainValidation{
		{DomainName: "example.com", ValidationMethod: MethodDNS, ValidationStatus: ValidationPending, ResourceRecordName: "_a.example.com.", ResourceRecordValue: "_v.acm-validations.aws."},
		{DomainName: "www.example.com", ValidationMethod: MethodDNS, ValidationStatus: ValidationPending, ResourceRecordName: "_b.www.example.com.", ResourceRecordValue: "_w.acm-validations.aws."},
		{DomainName: "*.example.com", ValidationMethod: MethodDNS, ValidationStatus: ValidationPending, ResourceRecordName: "_a.example.com.", ResourceRecordValue: "_v.acm-validations.aws."},
		{DomainName: "mail.example.com", ValidationMethod: MethodEmail, ValidationStatus: ValidationPending},
	}

	validations[2].ValidationStatus = ValidationSuccess
	approveSharedRecords(validations, &validations[2])

	want := map[string]string{
		"example.com":      ValidationSuccess,
		"www.example.com":  ValidationPending,
		"*.example.com":    ValidationSuccess,
		"mail.example.com": ValidationPending,
	}
	for _, validation := range validations {
		if validation.ValidationStatus != want[validation.DomainName] {
			t.Errorf("%s: status %s, want %s", validation.DomainName, validation.ValidationStatus, want[validation.DomainName])
		}
	}
}
