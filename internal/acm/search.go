package acm

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"time"

	"github.com/openacm/openacm/internal/apierr"
	"github.com/openacm/openacm/internal/store"
)

const (
	defaultSearchResults = 100
	defaultSearchSortBy  = "CREATED_AT"
)

// SearchCertificates returns the caller's certificates that match the
// filter statement, one page at a time.
//
// NOTE: ACM does not document the default sort; OpenACM sorts by
// CREATED_AT ascending when SortBy is absent.
func (s *Service) SearchCertificates(ctx context.Context, caller Caller, in *SearchCertificatesInput) (*SearchCertificatesOutput, error) {
	query := store.SearchQuery{
		Account: caller.Account,
		Region:  caller.Region,
		SortBy:  defaultSearchSortBy,
		Order:   store.Ascending,
		Limit:   defaultSearchResults,
		After:   in.NextToken,
	}
	if in.SortBy != "" {
		query.SortBy = in.SortBy
	}
	if in.SortOrder == string(store.Descending) {
		query.Order = store.Descending
	}
	if in.MaxResults != nil {
		query.Limit = *in.MaxResults
	}
	if in.FilterStatement != nil {
		condition, err := searchCondition(*in.FilterStatement, "filterStatement")
		if err != nil {
			return nil, err
		}
		query.Filter = &condition
	}

	certs, next, err := s.store.SearchCertificates(ctx, query)
	if errors.Is(err, store.ErrBadCursor) {
		return nil, apierr.New(apierr.InvalidArgs, "The NextToken %q is invalid.", in.NextToken)
	}
	if err != nil {
		return nil, fmt.Errorf("search certificates: %w", err)
	}

	out := &SearchCertificatesOutput{Results: make([]CertificateSearchResult, 0, len(certs)), NextToken: next}
	for _, cert := range certs {
		out.Results = append(out.Results, searchResult(cert))
	}
	return out, nil
}

// unionError is the error of a union member that sets no member or more than one.
// NOTE: the message is a guess at the AWS front end's text.
func unionError(path string) error {
	return apierr.New(apierr.Validation, "1 validation error detected: Value at '%s' must have exactly one member set", path)
}

// searchCondition converts a filter statement, checking that every union
// in it sets exactly one member.
func searchCondition(statement FilterStatement, path string) (store.SearchCondition, error) {
	set := countSet(statement.And != nil, statement.Or != nil, statement.Not != nil, statement.Filter != nil)
	if set != 1 {
		return store.SearchCondition{}, unionError(path)
	}

	switch {
	case statement.Filter != nil:
		match, err := searchMatch(*statement.Filter, path+".filter")
		if err != nil {
			return store.SearchCondition{}, err
		}
		return store.SearchCondition{Match: match}, nil
	case statement.Not != nil:
		inner, err := searchCondition(*statement.Not, path+".not")
		if err != nil {
			return store.SearchCondition{}, err
		}
		return store.SearchCondition{Not: &inner}, nil
	case statement.And != nil:
		children, err := searchConditions(statement.And, path+".and")
		return store.SearchCondition{And: children}, err
	default:
		children, err := searchConditions(statement.Or, path+".or")
		return store.SearchCondition{Or: children}, err
	}
}

func searchConditions(statements []FilterStatement, path string) ([]store.SearchCondition, error) {
	out := make([]store.SearchCondition, 0, len(statements))
	for i, statement := range statements {
		condition, err := searchCondition(statement, fmt.Sprintf("%s.%d.member", path, i+1))
		if err != nil {
			return nil, err
		}
		out = append(out, condition)
	}
	return out, nil
}

// searchMatch converts one CertificateFilter. KeyUsage and
// ExtendedKeyUsage ANY match every certificate, as in ListCertificates.
func searchMatch(filter CertificateFilter, path string) (*store.SearchMatch, error) {
	set := countSet(filter.CertificateArn != nil, filter.X509AttributeFilter != nil, filter.AcmCertificateMetadataFilter != nil)
	if set != 1 {
		return nil, unionError(path)
	}

	switch {
	case filter.CertificateArn != nil:
		return &store.SearchMatch{Field: store.FieldARN, Op: store.Equals, Value: *filter.CertificateArn}, nil
	case filter.X509AttributeFilter != nil:
		return x509Match(*filter.X509AttributeFilter, path+".x509AttributeFilter")
	default:
		return metadataMatch(*filter.AcmCertificateMetadataFilter, path+".acmCertificateMetadataFilter")
	}
}

func x509Match(f X509AttributeFilter, path string) (*store.SearchMatch, error) {
	set := countSet(f.Subject != nil, f.SubjectAlternativeName != nil, f.ExtendedKeyUsage != nil, f.KeyUsage != nil,
		f.KeyAlgorithm != nil, f.SerialNumber != nil, f.NotAfter != nil, f.NotBefore != nil)
	if set != 1 {
		return nil, unionError(path)
	}

	switch {
	case f.Subject != nil:
		if f.Subject.CommonName == nil {
			return nil, unionError(path + ".subject")
		}
		return nameMatch(store.FieldCommonName, *f.Subject.CommonName), nil
	case f.SubjectAlternativeName != nil:
		if f.SubjectAlternativeName.DnsName == nil {
			return nil, unionError(path + ".subjectAlternativeName")
		}
		return nameMatch(store.FieldDNSName, *f.SubjectAlternativeName.DnsName), nil
	case f.ExtendedKeyUsage != nil:
		return usageMatch(store.FieldExtendedKeyUsage, *f.ExtendedKeyUsage), nil
	case f.KeyUsage != nil:
		return usageMatch(store.FieldKeyUsage, *f.KeyUsage), nil
	case f.KeyAlgorithm != nil:
		return &store.SearchMatch{Field: store.FieldKeyAlgorithm, Op: store.Equals, Value: *f.KeyAlgorithm}, nil
	case f.SerialNumber != nil:
		return &store.SearchMatch{Field: store.FieldSerial, Op: store.Equals, Value: *f.SerialNumber}, nil
	case f.NotAfter != nil:
		return rangeMatch(store.FieldNotAfter, *f.NotAfter), nil
	default:
		return rangeMatch(store.FieldNotBefore, *f.NotBefore), nil
	}
}

func metadataMatch(f AcmCertificateMetadataFilter, path string) (*store.SearchMatch, error) {
	texts := []struct {
		value *string
		field store.SearchField
	}{
		{f.Status, store.FieldStatus},
		{f.RenewalStatus, store.FieldRenewalStatus},
		{f.Type, store.FieldType},
		{f.ExportOption, store.FieldExportOption},
		{f.ManagedBy, store.FieldManagedBy},
		{f.ValidationMethod, store.FieldValidationMethod},
		{f.CertificateKeyPairOrigin, store.FieldKeyPairOrigin},
		{f.RootHierarchyType, store.FieldRootHierarchyType},
		{f.AcmeEndpointArn, store.FieldAcmeEndpointArn},
		{f.AcmeAccountId, store.FieldAcmeAccountID},
	}
	set := countSet(f.InUse != nil, f.Exported != nil)
	for _, text := range texts {
		set += countSet(text.value != nil)
	}
	if set != 1 {
		return nil, unionError(path)
	}

	switch {
	case f.InUse != nil:
		return boolMatch(store.FieldInUse, *f.InUse), nil
	case f.Exported != nil:
		return boolMatch(store.FieldExported, *f.Exported), nil
	}
	for _, text := range texts {
		if text.value != nil {
			return &store.SearchMatch{Field: text.field, Op: store.Equals, Value: *text.value}, nil
		}
	}
	return nil, unionError(path)
}

func nameMatch(field store.SearchField, filter NameFilter) *store.SearchMatch {
	op := store.Equals
	if filter.ComparisonOperator == "CONTAINS" {
		op = store.Contains
	}
	return &store.SearchMatch{Field: field, Op: op, Value: filter.Value}
}

// usageMatch returns nil for ANY, which matches every certificate.
func usageMatch(field store.SearchField, name string) *store.SearchMatch {
	if name == "ANY" {
		return nil
	}
	return &store.SearchMatch{Field: field, Op: store.Equals, Value: name}
}

func rangeMatch(field store.SearchField, r TimestampRange) *store.SearchMatch {
	m := &store.SearchMatch{Field: field, Op: store.InRange}
	if r.Start != nil {
		m.From = time.Time(*r.Start)
	}
	if r.End != nil {
		m.To = time.Time(*r.End)
	}
	return m
}

func boolMatch(field store.SearchField, value bool) *store.SearchMatch {
	if value {
		return &store.SearchMatch{Field: field, Op: store.IsTrue}
	}
	return &store.SearchMatch{Field: field, Op: store.IsFalse}
}

func countSet(flags ...bool) int {
	n := 0
	for _, flag := range flags {
		if flag {
			n++
		}
	}
	return n
}

// searchResult renders a certificate as SearchCertificates returns it.
func searchResult(cert *store.Certificate) CertificateSearchResult {
	origin := "AWS_MANAGED"
	if cert.Type == TypeImported {
		origin = "CUSTOMER_PROVIDED"
	}
	return CertificateSearchResult{
		CertificateArn: cert.ARN,
		X509Attributes: x509Attributes(cert),
		CertificateMetadata: CertificateMetadata{AcmCertificateMetadata: AcmCertificateMetadata{
			CertificateKeyPairOrigin: origin,
			CreatedAt:                NewTimestamp(cert.CreatedAt),
			ExportOption:             cert.ExportOption,
			Exported:                 cert.Exported,
			ImportedAt:               NewTimestamp(cert.ImportedAt),
			InUse:                    len(cert.InUseBy) > 0,
			IssuedAt:                 NewTimestamp(cert.IssuedAt),
			ManagedBy:                cert.ManagedBy,
			RenewalEligibility:       cert.RenewalEligibility,
			RevokedAt:                NewTimestamp(cert.RevokedAt),
			Status:                   cert.Status,
			Type:                     cert.Type,
			ValidationMethod:         cert.ValidationMethod,
		}},
	}
}

// x509Attributes describes the certificate itself once it exists; before
// issuance only the key algorithm and requested names are known.
func x509Attributes(cert *store.Certificate) *X509Attributes {
	attributes := &X509Attributes{KeyAlgorithm: cert.KeyAlgorithm}
	parsed := parseStoredCertificate(cert.CertificatePEM)
	if parsed == nil {
		for _, name := range cert.SubjectAlternativeNames {
			attributes.SubjectAlternativeNames = append(attributes.SubjectAlternativeNames, GeneralName{DnsName: name})
		}
		return attributes
	}

	attributes.KeyUsages = cert.KeyUsages
	for _, usage := range cert.ExtendedKeyUsages {
		attributes.ExtendedKeyUsages = append(attributes.ExtendedKeyUsages, usage.Name)
	}
	attributes.NotBefore = NewTimestamp(parsed.NotBefore)
	attributes.NotAfter = NewTimestamp(parsed.NotAfter)
	attributes.SerialNumber = cert.Serial
	attributes.Subject = describeName(parsed.Subject.CommonName, parsed.Subject.Country, parsed.Subject.Organization,
		parsed.Subject.OrganizationalUnit, parsed.Subject.Locality, parsed.Subject.Province, parsed.Subject.SerialNumber)
	attributes.Issuer = describeName(parsed.Issuer.CommonName, parsed.Issuer.Country, parsed.Issuer.Organization,
		parsed.Issuer.OrganizationalUnit, parsed.Issuer.Locality, parsed.Issuer.Province, parsed.Issuer.SerialNumber)
	for _, name := range parsed.DNSNames {
		attributes.SubjectAlternativeNames = append(attributes.SubjectAlternativeNames, GeneralName{DnsName: name})
	}
	for _, ip := range parsed.IPAddresses {
		attributes.SubjectAlternativeNames = append(attributes.SubjectAlternativeNames, GeneralName{IpAddress: ip.String()})
	}
	for _, email := range parsed.EmailAddresses {
		attributes.SubjectAlternativeNames = append(attributes.SubjectAlternativeNames, GeneralName{Rfc822: email})
	}
	for _, uri := range parsed.URIs {
		attributes.SubjectAlternativeNames = append(attributes.SubjectAlternativeNames, GeneralName{URI: uri.String()})
	}
	return attributes
}

func describeName(commonName string, country, organization, unit, locality, province []string, serial string) *DistinguishedName {
	first := func(values []string) string {
		if len(values) == 0 {
			return ""
		}
		return values[0]
	}
	return &DistinguishedName{
		CommonName:         commonName,
		Country:            first(country),
		Organization:       first(organization),
		OrganizationalUnit: first(unit),
		Locality:           first(locality),
		State:              first(province),
		SerialNumber:       serial,
	}
}

// parseStoredCertificate parses the stored PEM, or returns nil when there
// is none. Stored PEM was checked when it was written.
func parseStoredCertificate(certificatePEM string) *x509.Certificate {
	block, _ := pem.Decode([]byte(certificatePEM))
	if block == nil {
		return nil
	}
	parsed, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil
	}
	return parsed
}
