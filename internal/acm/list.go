package acm

import (
	"context"
	"errors"
	"fmt"

	"github.com/openacm/openacm/internal/apierr"
	"github.com/openacm/openacm/internal/store"
)

const defaultMaxItems = 1000

// defaultListKeyTypes are the key algorithms ListCertificates returns when
// the request names none, as ACM does.
var defaultListKeyTypes = []string{"RSA_1024", "RSA_2048"}

// typesByKeyPairOrigin maps each CertificateKeyPairOrigin to the
// certificate types whose keys come from there. ACME has none here.
var typesByKeyPairOrigin = map[string][]string{
	"AWS_MANAGED":       {TypeAmazonIssued, TypePrivate},
	"CUSTOMER_PROVIDED": {TypeImported},
}

// ListCertificates returns one page of the caller's certificates.
func (s *Service) ListCertificates(ctx context.Context, caller Caller, in *ListCertificatesInput) (*ListCertificatesOutput, error) {
	query, err := listQuery(caller, in)
	if err != nil {
		return nil, err
	}

	// OpenACM issues no certificates under the Amazon N2 root hierarchies,
	// so a request that lists only those finds nothing.
	if len(in.RootHierarchyTypes) > 0 {
		return &ListCertificatesOutput{CertificateSummaryList: []CertificateSummary{}}, nil
	}

	certs, next, err := s.store.ListCertificates(ctx, query)
	if errors.Is(err, store.ErrBadCursor) {
		return nil, apierr.New(apierr.InvalidArgs, "The NextToken %q is invalid.", in.NextToken)
	}
	if err != nil {
		return nil, fmt.Errorf("list certificates: %w", err)
	}

	out := &ListCertificatesOutput{NextToken: next, CertificateSummaryList: make([]CertificateSummary, 0, len(certs))}
	for _, cert := range certs {
		out.CertificateSummaryList = append(out.CertificateSummaryList, certificateSummary(cert))
	}
	return out, nil
}

// listQuery turns the request's filters into a store query.
func listQuery(caller Caller, in *ListCertificatesInput) (store.ListQuery, error) {
	if (in.SortBy == "") != (in.SortOrder == "") {
		return store.ListQuery{}, apierr.New(apierr.Validation,
			"SortBy and SortOrder must be specified together.")
	}

	query := store.ListQuery{
		Account:       caller.Account,
		Region:        caller.Region,
		Statuses:      in.CertificateStatuses,
		KeyAlgorithms: defaultListKeyTypes,
		Order:         store.Ascending,
		Limit:         defaultMaxItems,
		After:         in.NextToken,
	}
	if in.SortOrder == string(store.Descending) {
		query.Order = store.Descending
	}
	if in.MaxItems != nil {
		query.Limit = *in.MaxItems
	}
	for _, origin := range in.CertificateKeyPairOrigins {
		query.Types = append(query.Types, typesByKeyPairOrigin[origin]...)
	}
	if len(in.CertificateKeyPairOrigins) > 0 && len(query.Types) == 0 {
		// Only ACME was asked for, and OpenACM has no ACME certificates.
		query.Types = []string{"ACME"}
	}
	if in.Includes != nil {
		if len(in.Includes.KeyTypes) > 0 {
			query.KeyAlgorithms = in.Includes.KeyTypes
		}
		query.KeyUsages = withoutAny(in.Includes.KeyUsage)
		query.ExtendedKeyUsages = withoutAny(in.Includes.ExtendedKeyUsage)
		query.ExportOption = in.Includes.ExportOption
		query.ManagedBy = in.Includes.ManagedBy
	}
	return query, nil
}

// withoutAny drops the filter when it lists ANY, which matches every certificate.
func withoutAny(names []string) []string {
	for _, name := range names {
		if name == "ANY" {
			return nil
		}
	}
	return names
}

// certificateSummary renders a stored certificate as ListCertificates shows it.
func certificateSummary(cert *store.Certificate) CertificateSummary {
	sans := cert.SubjectAlternativeNames
	hasMore := len(sans) > maxSANSummaries
	if hasMore {
		sans = sans[:maxSANSummaries]
	}

	summary := CertificateSummary{
		CertificateArn:                       cert.ARN,
		DomainName:                           cert.DomainName,
		SubjectAlternativeNameSummaries:      sans,
		HasAdditionalSubjectAlternativeNames: hasMore,
		Status:                               cert.Status,
		Type:                                 cert.Type,
		KeyAlgorithm:                         displayKeyAlgorithm(cert.KeyAlgorithm),
		KeyUsages:                            nonNil(cert.KeyUsages),
		ExtendedKeyUsages:                    []string{},
		ExportOption:                         cert.ExportOption,
		InUse:                                len(cert.InUseBy) > 0,
		Exported:                             cert.Exported,
		RenewalEligibility:                   cert.RenewalEligibility,
		NotBefore:                            NewTimestamp(cert.NotBefore),
		NotAfter:                             NewTimestamp(cert.NotAfter),
		CreatedAt:                            NewTimestamp(cert.CreatedAt),
		IssuedAt:                             NewTimestamp(cert.IssuedAt),
		ImportedAt:                           NewTimestamp(cert.ImportedAt),
		RevokedAt:                            NewTimestamp(cert.RevokedAt),
		ManagedBy:                            cert.ManagedBy,
	}
	for _, usage := range cert.ExtendedKeyUsages {
		summary.ExtendedKeyUsages = append(summary.ExtendedKeyUsages, usage.Name)
	}
	return summary
}
