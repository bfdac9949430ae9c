package acm

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/openacm/openacm/internal/apierr"
	"github.com/openacm/openacm/internal/arn"
	"github.com/openacm/openacm/internal/store"
)

// Values of the certificate fields the service sets.
const (
	StatusPendingValidation = "PENDING_VALIDATION"
	StatusIssued            = "ISSUED"
	StatusFailed            = "FAILED"

	TypeAmazonIssued = "AMAZON_ISSUED"
	TypePrivate      = "PRIVATE"

	MethodDNS   = "DNS"
	MethodEmail = "EMAIL"
	MethodHTTP  = "HTTP"

	ValidationPending = "PENDING_VALIDATION"
	ValidationSuccess = "SUCCESS"

	Enabled  = "ENABLED"
	Disabled = "DISABLED"

	Ineligible = "INELIGIBLE"

	FailurePCAResourceNotFound = "PCA_RESOURCE_NOT_FOUND"

	defaultKeyAlgorithm = "RSA_2048"
	maxCommonNameOctets = 64
	maxTagsPerResource  = 50
	idempotencyWindow   = time.Hour
)

// publicKeyAlgorithms are the key algorithms ACM issues public certificates with.
var publicKeyAlgorithms = []string{"RSA_2048", "EC_prime256v1", "EC_secp384r1"}

// emailValidationMailboxes are the local parts ACM writes to for EMAIL validation.
var emailValidationMailboxes = []string{"admin", "administrator", "hostmaster", "postmaster", "webmaster"}

// RequestCertificate creates a certificate request and returns its ARN.
// The input has already passed the model's constraint checks.
func (s *Service) RequestCertificate(ctx context.Context, caller Caller, in *RequestCertificateInput) (*RequestCertificateOutput, error) {
	names, err := s.certificateNames(in.DomainName, in.SubjectAlternativeNames)
	if err != nil {
		return nil, err
	}

	private := in.CertificateAuthorityArn != ""
	keyAlgorithm, err := requestedKeyAlgorithm(in.KeyAlgorithm, private)
	if err != nil {
		return nil, err
	}

	method, err := requestedValidationMethod(in.ValidationMethod, in.ManagedBy)
	if err != nil {
		return nil, err
	}

	validationDomains, err := validationDomainsByName(names, in.DomainValidationOptions)
	if err != nil {
		return nil, err
	}

	if err := checkTagKeys(in.Tags); err != nil {
		return nil, err
	}

	now := s.clock.Now()
	cert := &store.Certificate{
		ARN:                     arn.Certificate(caller.Region, caller.Account, uuid.NewString()),
		Account:                 caller.Account,
		Region:                  caller.Region,
		DomainName:              in.DomainName,
		SubjectAlternativeNames: names,
		Type:                    TypeAmazonIssued,
		Status:                  StatusPendingValidation,
		KeyAlgorithm:            keyAlgorithm,
		ManagedBy:               in.ManagedBy,
		CTLoggingPreference:     Enabled,
		ExportOption:            Disabled,
		CreatedAt:               now,
		UpdatedAt:               now,
		RenewalEligibility:      Ineligible,
	}
	if in.Options != nil {
		if in.Options.CertificateTransparencyLoggingPreference != "" {
			cert.CTLoggingPreference = in.Options.CertificateTransparencyLoggingPreference
		}
		if in.Options.Export != "" {
			cert.ExportOption = in.Options.Export
		}
	}

	// A private certificate is validated by its CA, not by domain control,
	// so it has no validation options.
	if private {
		cert.Type = TypePrivate
		cert.CertificateAuthorityArn = in.CertificateAuthorityArn
	} else {
		cert.ValidationMethod = method
		cert.DomainValidations = s.newDomainValidations(caller, names, validationDomains, method)
	}

	if err := s.checkCertificateQuota(ctx, caller); err != nil {
		return nil, err
	}

	var idem *store.Idempotency
	if in.IdempotencyToken != "" {
		idem = &store.Idempotency{Token: in.IdempotencyToken, NotBefore: now.Add(-idempotencyWindow)}
	}

	certificateArn, created, err := s.store.CreateCertificate(ctx, cert, toStoreTags(in.Tags), idem)
	if err != nil {
		return nil, fmt.Errorf("store certificate request: %w", err)
	}
	if created {
		s.logger.Info("certificate requested", "arn", certificateArn, "account", caller.Account,
			"domain", in.DomainName, "names", len(names), "type", cert.Type, "method", cert.ValidationMethod)
		s.wake()
	}
	return &RequestCertificateOutput{CertificateArn: certificateArn}, nil
}

// certificateNames returns DomainName followed by the other SANs, without
// duplicates, after ACM's length and quota rules.
func (s *Service) certificateNames(domainName string, sans []string) ([]string, error) {
	if len(domainName) > maxCommonNameOctets {
		return nil, apierr.New(apierr.InvalidDomainValidationOptions,
			"The first domain name can be no longer than %d characters.", maxCommonNameOctets)
	}

	names := []string{domainName}
	seen := map[string]bool{strings.ToLower(domainName): true}
	for _, name := range sans {
		key := strings.ToLower(name)
		if seen[key] {
			continue
		}
		seen[key] = true
		names = append(names, name)
	}

	if len(names) > s.config.MaxDomainsPerCertificate {
		return nil, apierr.New(apierr.LimitExceeded, "Certificate has too many domains.")
	}
	return names, nil
}

// requestedKeyAlgorithm applies the default and, for public certificates,
// ACM's list of allowed algorithms.
func requestedKeyAlgorithm(requested string, private bool) (string, error) {
	if requested == "" {
		return defaultKeyAlgorithm, nil
	}
	if private {
		return requested, nil
	}
	for _, allowed := range publicKeyAlgorithms {
		if requested == allowed {
			return requested, nil
		}
	}
	return "", apierr.New(apierr.InvalidParameter,
		"Key algorithm %s is not supported for public certificates. Supported algorithms: %s.",
		requested, strings.Join(publicKeyAlgorithms, ", "))
}

// requestedValidationMethod applies ACM's default method, EMAIL.
func requestedValidationMethod(requested, managedBy string) (string, error) {
	switch requested {
	case "":
		return MethodEmail, nil
	case MethodHTTP:
		if managedBy != "CLOUDFRONT" {
			return "", apierr.New(apierr.InvalidParameter,
				"HTTP validation is only available for certificates managed by CLOUDFRONT.")
		}
		return MethodHTTP, nil
	default:
		return requested, nil
	}
}

// validationDomainsByName checks DomainValidationOptions and returns the
// validation domain of each name that has one, keyed by lower-case name.
func validationDomainsByName(names []string, options []DomainValidationOption) (map[string]string, error) {
	known := make(map[string]bool, len(names))
	for _, name := range names {
		known[strings.ToLower(name)] = true
	}

	domains := make(map[string]string, len(options))
	for _, option := range options {
		name := strings.ToLower(option.DomainName)
		if !known[name] {
			return nil, apierr.New(apierr.InvalidDomainValidationOptions,
				"DomainValidationOption DomainName %s is not one of the certificate's domain names.", option.DomainName)
		}
		if !isSameOrSuperdomain(option.ValidationDomain, option.DomainName) {
			return nil, apierr.New(apierr.InvalidDomainValidationOptions,
				"ValidationDomain %s is neither %s nor a superdomain of it.", option.ValidationDomain, option.DomainName)
		}
		domains[name] = option.ValidationDomain
	}
	return domains, nil
}

// isSameOrSuperdomain reports whether domain equals name or is one of its
// parent domains. A leading "*." on name is ignored.
func isSameOrSuperdomain(domain, name string) bool {
	domain = strings.ToLower(strings.TrimSuffix(domain, "."))
	name = strings.ToLower(strings.TrimPrefix(strings.TrimSuffix(name, "."), "*."))
	return name == domain || strings.HasSuffix(name, "."+domain)
}

// checkTagKeys rejects keys in the aws: namespace, which AWS reserves.
func checkTagKeys(tags []Tag) error {
	for _, tag := range tags {
		if strings.HasPrefix(strings.ToLower(tag.Key), "aws:") {
			return apierr.New(apierr.InvalidTag,
				"Tag key %s is invalid: keys that start with aws: are reserved for AWS use.", tag.Key)
		}
	}
	return nil
}

// newDomainValidations returns the pending validation of every name.
func (s *Service) newDomainValidations(caller Caller, names []string, validationDomains map[string]string, method string) []store.DomainValidation {
	validations := make([]store.DomainValidation, 0, len(names))
	for _, name := range names {
		validationDomain, ok := validationDomains[strings.ToLower(name)]
		if !ok {
			validationDomain = name
		}

		validation := store.DomainValidation{
			DomainName:       name,
			ValidationDomain: validationDomain,
			ValidationMethod: method,
			ValidationStatus: ValidationPending,
		}
		switch method {
		case MethodDNS:
			record := s.validationRecord(caller.Account, name)
			validation.ResourceRecordName = record.Name
			validation.ResourceRecordType = record.Type
			validation.ResourceRecordValue = record.Value
		case MethodEmail:
			validation.ValidationEmails = validationEmails(validationDomain)
			validation.ApprovalNonce = newApprovalNonce()
		case MethodHTTP:
			validation.RedirectFrom, validation.RedirectTo = s.httpRedirect(caller, name)
		}
		validations = append(validations, validation)
	}
	return validations
}

// validationEmails returns the five approval addresses of a validation domain.
func validationEmails(validationDomain string) []string {
	domain := strings.ToLower(strings.TrimPrefix(validationDomain, "*."))
	emails := make([]string, 0, len(emailValidationMailboxes))
	for _, mailbox := range emailValidationMailboxes {
		emails = append(emails, mailbox+"@"+domain)
	}
	return emails
}

func toStoreTags(tags []Tag) []store.Tag {
	if len(tags) == 0 {
		return nil
	}
	out := make([]store.Tag, 0, len(tags))
	for _, tag := range tags {
		out = append(out, store.Tag{Key: tag.Key, Value: tag.Value})
	}
	return out
}

func fromStoreTags(tags []store.Tag) []Tag {
	out := make([]Tag, 0, len(tags))
	for _, tag := range tags {
		out = append(out, Tag{Key: tag.Key, Value: tag.Value})
	}
	return out
}
