package acm

import (
	"context"
	"strconv"

	"github.com/openacm/openacm/internal/apierr"
	"github.com/openacm/openacm/internal/store"
)

const defaultDomainValidationItems = 1000

// ListCertificateDomainValidations returns the validation state of each
// name of a certificate. OpenACM has no validation method migration, so
// no summary carries a RequestedValidationConfiguration.
func (s *Service) ListCertificateDomainValidations(ctx context.Context, caller Caller, in *ListCertificateDomainValidationsInput) (*ListCertificateDomainValidationsOutput, error) {
	cert, err := s.loadCertificate(ctx, caller, in.CertificateArn)
	if err != nil {
		return nil, err
	}

	limit := defaultDomainValidationItems
	if in.MaxItems != nil {
		limit = *in.MaxItems
	}
	start := 0
	if in.NextToken != "" {
		// The token is the index of the next name; names never change after
		// a request, so an index stays valid between pages.
		start, err = strconv.Atoi(in.NextToken)
		if err != nil || start < 0 || start > len(cert.DomainValidations) {
			return nil, apierr.New(apierr.InvalidArgs, "The NextToken %q is invalid.", in.NextToken)
		}
	}

	end := min(start+limit, len(cert.DomainValidations))
	out := &ListCertificateDomainValidationsOutput{DomainValidationSummaryList: make([]DomainValidationSummary, 0, end-start)}
	for _, validation := range cert.DomainValidations[start:end] {
		out.DomainValidationSummaryList = append(out.DomainValidationSummaryList, domainValidationSummary(validation))
	}
	if end < len(cert.DomainValidations) {
		out.NextToken = strconv.Itoa(end)
	}
	return out, nil
}

func domainValidationSummary(v store.DomainValidation) DomainValidationSummary {
	summary := DomainValidationSummary{DomainName: v.DomainName}
	if v.ValidationMethod == "" {
		return summary
	}

	config := &ValidationConfiguration{ValidationMethod: v.ValidationMethod, ValidationStatus: v.ValidationStatus}
	switch v.ValidationMethod {
	case MethodDNS:
		config.ValidationChallenge = &ValidationChallenge{DnsValidationChallenge: &DnsValidationChallenge{
			ResourceRecord: &ResourceRecord{Name: v.ResourceRecordName, Type: v.ResourceRecordType, Value: v.ResourceRecordValue},
		}}
	case MethodEmail:
		config.ValidationChallenge = &ValidationChallenge{EmailValidationChallenge: &EmailValidationChallenge{
			ValidationDomain: v.ValidationDomain, ValidationEmails: v.ValidationEmails,
		}}
	}
	summary.ActiveValidationConfiguration = config
	return summary
}
