package sqlstore

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/openacm/openacm/internal/store"
)

// certificateColumns lists the certificates columns in the order that
// certRow.scanTargets and certRow.values use.
const certificateColumns = `arn, account, region, status, type, key_algorithm, export_option, managed_by,
	created_at, key_usages, extended_key_usages, certificate_pem, certificate_chain_pem, private_key,
	details, version, updated_at, chain_digest, summary`

// certificateDetailColumns are the columns getCertificateDetailRow scans:
// the seven short text columns joined as in certificateListColumns, then
// the rest. The driver allocates per column, so 5 columns in place of 19
// cut BenchmarkGetCertificateDetails from 80 to 44 allocations.
const certificateDetailColumns = `status || '|' || type || '|' || key_algorithm || '|' || export_option || '|' ||
		managed_by || '|' || key_usages || '|' || extended_key_usages,
	created_at, details, version, updated_at`

// certificateListColumns are the columns of a page of ListCertificates,
// in the order of the scan targets of queryListRows. The summary column
// takes the place of details. Every column is in the SQLite index
// certificates_list, so a page reads that index and no certificate row.
//
// The seven short text columns come back joined by listAttributeSeparator
// because the driver allocates twice for every text value it returns.
// That cut BenchmarkListCertificatesPage from 14,053 to 8,041 allocations
// a page. splitListAttributes splits them.
const certificateListColumns = `arn,
	status || '|' || type || '|' || key_algorithm || '|' || export_option || '|' ||
		managed_by || '|' || key_usages || '|' || extended_key_usages,
	created_at, summary, version, updated_at`

// listAttributeSeparator joins the text columns of certificateListColumns.
// NOTE: none of the first six of those columns may contain it. They hold
// API enum values and comma-joined key usage names, which never do.
const listAttributeSeparator = "|"

// certRow is one row of the certificates table.
type certRow struct {
	ARN                 string
	Account             string
	Region              string
	Status              string
	Type                string
	KeyAlgorithm        string
	ExportOption        string
	ManagedBy           string
	CreatedAt           int64
	KeyUsages           string
	ExtendedKeyUsages   string
	CertificatePEM      string
	CertificateChainPEM string
	PrivateKey          []byte
	Details             string
	Version             int64
	UpdatedAt           int64
	// ChainDigest is the SHA-256 of the chain kept in certificate_chains,
	// or nil when CertificateChainPEM holds the chain itself.
	ChainDigest []byte
	// Summary is the JSON of certSummaryDetails: the part of Details that
	// a listing shows, stored apart so a page need not read Details.
	Summary string
}

func (r *certRow) scanTargets() []any {
	return []any{
		&r.ARN, &r.Account, &r.Region, &r.Status, &r.Type, &r.KeyAlgorithm, &r.ExportOption, &r.ManagedBy,
		&r.CreatedAt, &r.KeyUsages, &r.ExtendedKeyUsages, &r.CertificatePEM, &r.CertificateChainPEM, &r.PrivateKey,
		&r.Details, &r.Version, &r.UpdatedAt, &r.ChainDigest, &r.Summary,
	}
}

func (r *certRow) values() []any {
	return []any{
		r.ARN, r.Account, r.Region, r.Status, r.Type, r.KeyAlgorithm, r.ExportOption, r.ManagedBy,
		r.CreatedAt, r.KeyUsages, r.ExtendedKeyUsages, r.CertificatePEM, r.CertificateChainPEM, r.PrivateKey,
		r.Details, r.Version, r.UpdatedAt, r.ChainDigest, r.Summary,
	}
}

// certDetails is the JSON object in the details column: every field that
// has no column of its own. KeyUsages and ExtendedKeyUsages are kept here
// in full too, because their columns hold only names, for filtering.
type certDetails struct {
	DomainName              string                `json:"domain_name,omitempty"`
	SubjectAlternativeNames []string              `json:"subject_alternative_names"`
	FailureReason           string                `json:"failure_reason,omitempty"`
	ValidationMethod        string                `json:"validation_method,omitempty"`
	DomainValidations       []domainValidationRow `json:"domain_validations"`
	CertificateAuthorityArn string                `json:"certificate_authority_arn,omitempty"`
	CTLoggingPreference     string                `json:"ct_logging_preference,omitempty"`

	IssuedAt   time.Time `json:"issued_at,omitzero"`
	ImportedAt time.Time `json:"imported_at,omitzero"`
	RevokedAt  time.Time `json:"revoked_at,omitzero"`
	NotBefore  time.Time `json:"not_before,omitzero"`
	NotAfter   time.Time `json:"not_after,omitzero"`

	RevocationReason   string                `json:"revocation_reason,omitempty"`
	Serial             string                `json:"serial,omitempty"`
	Subject            string                `json:"subject,omitempty"`
	Issuer             string                `json:"issuer,omitempty"`
	SignatureAlgorithm string                `json:"signature_algorithm,omitempty"`
	KeyUsages          []string              `json:"key_usages"`
	ExtendedKeyUsages  []extendedKeyUsageRow `json:"extended_key_usages"`

	InUseBy            []string `json:"in_use_by"`
	Exported           bool     `json:"exported,omitempty"`
	RenewalEligibility string   `json:"renewal_eligibility,omitempty"`

	ValidationStartedAt time.Time   `json:"validation_started_at,omitzero"`
	Renewal             *renewalRow `json:"renewal,omitempty"`
	ExpiryNoticeAt      time.Time   `json:"expiry_notice_at,omitzero"`
}

type domainValidationRow struct {
	DomainName          string   `json:"domain_name"`
	ValidationDomain    string   `json:"validation_domain,omitempty"`
	ValidationMethod    string   `json:"validation_method,omitempty"`
	ValidationStatus    string   `json:"validation_status,omitempty"`
	ResourceRecordName  string   `json:"resource_record_name,omitempty"`
	ResourceRecordType  string   `json:"resource_record_type,omitempty"`
	ResourceRecordValue string   `json:"resource_record_value,omitempty"`
	ValidationEmails    []string `json:"validation_emails"`

	RedirectFrom       string    `json:"redirect_from,omitempty"`
	RedirectTo         string    `json:"redirect_to,omitempty"`
	ApprovalNonce      string    `json:"approval_nonce,omitempty"`
	EmailDelivered     []string  `json:"email_delivered,omitempty"`
	EmailBounced       []string  `json:"email_bounced,omitempty"`
	EmailAttempts      int       `json:"email_attempts,omitempty"`
	EmailNextAttemptAt time.Time `json:"email_next_attempt_at,omitzero"`
}

type extendedKeyUsageRow struct {
	Name string `json:"name"`
	OID  string `json:"oid,omitempty"`
}

// rowFromCertificate converts cert to its row, with times in UTC.
func rowFromCertificate(cert *store.Certificate) (*certRow, error) {
	createdAt, err := unixNanos(cert.CreatedAt)
	if err != nil {
		return nil, fmt.Errorf("certificate %s CreatedAt: %w", cert.ARN, err)
	}

	updatedAt, err := unixNanos(cert.UpdatedAt)
	if err != nil {
		return nil, fmt.Errorf("certificate %s UpdatedAt: %w", cert.ARN, err)
	}

	details, err := json.Marshal(detailsFromCertificate(cert))
	if err != nil {
		return nil, fmt.Errorf("encode certificate %s details: %w", cert.ARN, err)
	}

	summary, err := json.Marshal(summaryFromCertificate(cert))
	if err != nil {
		return nil, fmt.Errorf("encode certificate %s summary: %w", cert.ARN, err)
	}

	ekuNames := make([]string, len(cert.ExtendedKeyUsages))
	for i, eku := range cert.ExtendedKeyUsages {
		ekuNames[i] = eku.Name
	}

	row := &certRow{
		ARN:                 cert.ARN,
		Account:             cert.Account,
		Region:              cert.Region,
		Status:              cert.Status,
		Type:                cert.Type,
		KeyAlgorithm:        cert.KeyAlgorithm,
		ExportOption:        cert.ExportOption,
		ManagedBy:           cert.ManagedBy,
		CreatedAt:           createdAt,
		KeyUsages:           joinNames(cert.KeyUsages),
		ExtendedKeyUsages:   joinNames(ekuNames),
		CertificatePEM:      cert.CertificatePEM,
		CertificateChainPEM: cert.CertificateChainPEM,
		Details:             string(details),
		Summary:             string(summary),
		Version:             cert.Version,
		UpdatedAt:           updatedAt,
	}

	return row, nil
}

func detailsFromCertificate(cert *store.Certificate) certDetails {
	details := certDetails{
		DomainName:              cert.DomainName,
		SubjectAlternativeNames: cert.SubjectAlternativeNames,
		FailureReason:           cert.FailureReason,
		ValidationMethod:        cert.ValidationMethod,
		CertificateAuthorityArn: cert.CertificateAuthorityArn,
		CTLoggingPreference:     cert.CTLoggingPreference,
		IssuedAt:                cert.IssuedAt.UTC(),
		ImportedAt:              cert.ImportedAt.UTC(),
		RevokedAt:               cert.RevokedAt.UTC(),
		NotBefore:               cert.NotBefore.UTC(),
		NotAfter:                cert.NotAfter.UTC(),
		RevocationReason:        cert.RevocationReason,
		Serial:                  cert.Serial,
		Subject:                 cert.Subject,
		Issuer:                  cert.Issuer,
		SignatureAlgorithm:      cert.SignatureAlgorithm,
		KeyUsages:               cert.KeyUsages,
		InUseBy:                 cert.InUseBy,
		Exported:                cert.Exported,
		RenewalEligibility:      cert.RenewalEligibility,
		ValidationStartedAt:     cert.ValidationStartedAt.UTC(),
		Renewal:                 renewalRowFrom(cert.Renewal),
		ExpiryNoticeAt:          cert.ExpiryNoticeAt.UTC(),
	}

	details.DomainValidations = domainValidationRows(cert.DomainValidations)

	if cert.ExtendedKeyUsages != nil {
		details.ExtendedKeyUsages = make([]extendedKeyUsageRow, len(cert.ExtendedKeyUsages))
		for i, eku := range cert.ExtendedKeyUsages {
			details.ExtendedKeyUsages[i] = extendedKeyUsageRow(eku)
		}
	}

	return details
}

// certificate converts the row back to a store.Certificate.
func (r *certRow) certificate() (*store.Certificate, error) {
	var details certDetails
	if decodeDetails(r.Details, &details) != nil {
		details = certDetails{}
		if err := json.Unmarshal([]byte(r.Details), &details); err != nil {
			return nil, fmt.Errorf("decode certificate %s details: %w", r.ARN, err)
		}
	}

	cert := &store.Certificate{
		ARN:                     r.ARN,
		Account:                 r.Account,
		Region:                  r.Region,
		DomainName:              details.DomainName,
		SubjectAlternativeNames: details.SubjectAlternativeNames,
		Type:                    r.Type,
		Status:                  r.Status,
		FailureReason:           details.FailureReason,
		KeyAlgorithm:            r.KeyAlgorithm,
		ValidationMethod:        details.ValidationMethod,
		CertificateAuthorityArn: details.CertificateAuthorityArn,
		ManagedBy:               r.ManagedBy,
		CTLoggingPreference:     details.CTLoggingPreference,
		ExportOption:            r.ExportOption,
		CreatedAt:               fromUnixNanos(r.CreatedAt),
		IssuedAt:                details.IssuedAt.UTC(),
		ImportedAt:              details.ImportedAt.UTC(),
		RevokedAt:               details.RevokedAt.UTC(),
		NotBefore:               details.NotBefore.UTC(),
		NotAfter:                details.NotAfter.UTC(),
		RevocationReason:        details.RevocationReason,
		Serial:                  details.Serial,
		Subject:                 details.Subject,
		Issuer:                  details.Issuer,
		SignatureAlgorithm:      details.SignatureAlgorithm,
		KeyUsages:               details.KeyUsages,
		CertificatePEM:          r.CertificatePEM,
		CertificateChainPEM:     r.CertificateChainPEM,
		InUseBy:                 details.InUseBy,
		Exported:                details.Exported,
		RenewalEligibility:      details.RenewalEligibility,
		ValidationStartedAt:     details.ValidationStartedAt.UTC(),
		Renewal:                 details.Renewal.renewal(),
		ExpiryNoticeAt:          details.ExpiryNoticeAt.UTC(),
		Version:                 r.Version,
		UpdatedAt:               fromUnixNanos(r.UpdatedAt),
	}

	cert.DomainValidations = storeDomainValidations(details.DomainValidations)

	if details.ExtendedKeyUsages != nil {
		cert.ExtendedKeyUsages = make([]store.ExtendedKeyUsage, len(details.ExtendedKeyUsages))
		for i, eku := range details.ExtendedKeyUsages {
			cert.ExtendedKeyUsages[i] = store.ExtendedKeyUsage(eku)
		}
	}

	return cert, nil
}

// certSummaryDetails is the part of certDetails that a certificate
// summary shows, with the same JSON names, so it decodes from the summary
// column and from details alike. Decoding only these fields makes a page
// of a listing cheaper than decoding every certificate in full. The key
// usages come from the key_usages and extended_key_usages columns instead,
// which a listing reads anyway, so the summary column is shorter.
type certSummaryDetails struct {
	DomainName              string    `json:"domain_name,omitempty"`
	SubjectAlternativeNames []string  `json:"subject_alternative_names"`
	IssuedAt                time.Time `json:"issued_at,omitzero"`
	ImportedAt              time.Time `json:"imported_at,omitzero"`
	RevokedAt               time.Time `json:"revoked_at,omitzero"`
	NotBefore               time.Time `json:"not_before,omitzero"`
	NotAfter                time.Time `json:"not_after,omitzero"`
	InUseBy                 []string  `json:"in_use_by"`
	Exported                bool      `json:"exported,omitempty"`
	RenewalEligibility      string    `json:"renewal_eligibility,omitempty"`
}

// summaryFromCertificate returns the summary column of cert.
func summaryFromCertificate(cert *store.Certificate) certSummaryDetails {
	summary := certSummaryDetails{
		DomainName:              cert.DomainName,
		SubjectAlternativeNames: cert.SubjectAlternativeNames,
		IssuedAt:                cert.IssuedAt.UTC(),
		ImportedAt:              cert.ImportedAt.UTC(),
		RevokedAt:               cert.RevokedAt.UTC(),
		NotBefore:               cert.NotBefore.UTC(),
		NotAfter:                cert.NotAfter.UTC(),
		InUseBy:                 cert.InUseBy,
		Exported:                cert.Exported,
		RenewalEligibility:      cert.RenewalEligibility,
	}
	return summary
}

// summary converts the row to a store.Certificate that holds only the
// fields of store.Store's certificate summaries. It decodes r.Details,
// which holds the summary column in a row read by queryListRows.
func (r *certRow) summary() (*store.Certificate, error) {
	return r.summaryIn(nil)
}

// summaryIn is summary with the certificate and its slices taken from
// arena. A nil arena allocates them one by one.
func (r *certRow) summaryIn(arena *pageArena) (*store.Certificate, error) {
	var details certSummaryDetails
	if err := decodeSummaryIn(r.Details, &details, arena); err != nil {
		details = certSummaryDetails{}
		if err := json.Unmarshal([]byte(r.Details), &details); err != nil {
			return nil, fmt.Errorf("decode certificate %s details: %w", r.ARN, err)
		}
	}

	cert := arena.certificate()
	*cert = store.Certificate{
		ARN:                     r.ARN,
		Account:                 r.Account,
		Region:                  r.Region,
		DomainName:              details.DomainName,
		SubjectAlternativeNames: details.SubjectAlternativeNames,
		Type:                    r.Type,
		Status:                  r.Status,
		KeyAlgorithm:            r.KeyAlgorithm,
		ManagedBy:               r.ManagedBy,
		ExportOption:            r.ExportOption,
		CreatedAt:               fromUnixNanos(r.CreatedAt),
		IssuedAt:                details.IssuedAt.UTC(),
		ImportedAt:              details.ImportedAt.UTC(),
		RevokedAt:               details.RevokedAt.UTC(),
		NotBefore:               details.NotBefore.UTC(),
		NotAfter:                details.NotAfter.UTC(),
		KeyUsages:               arena.splitNames(r.KeyUsages),
		InUseBy:                 details.InUseBy,
		Exported:                details.Exported,
		RenewalEligibility:      details.RenewalEligibility,
		Version:                 r.Version,
		UpdatedAt:               fromUnixNanos(r.UpdatedAt),
	}

	// Summaries carry extended key usage names only, without OIDs.
	cert.ExtendedKeyUsages = arena.extendedKeyUsages(r.ExtendedKeyUsages)

	return cert, nil
}

// splitNames inverts joinNames; "" gives nil.
func splitNames(joined string) []string {
	if joined == "" {
		return nil
	}
	return strings.Split(strings.Trim(joined, ","), ",")
}

// joinNames returns names between commas, ",A,B,", so that a search for
// ",A," matches only the whole name A. No names gives "".
func joinNames(names []string) string {
	if len(names) == 0 {
		return ""
	}

	return "," + strings.Join(names, ",") + ","
}

// unixNanos returns t as UTC Unix nanoseconds, and 0 for the zero time. Times
// outside 1678–2262 do not fit in an int64 and are rejected.
func unixNanos(t time.Time) (int64, error) {
	if t.IsZero() {
		return 0, nil
	}

	if t.Before(time.Unix(0, math.MinInt64)) || t.After(time.Unix(0, math.MaxInt64)) {
		return 0, fmt.Errorf("time %s is outside the range of Unix nanoseconds", t.UTC().Format(time.RFC3339))
	}

	return t.UnixNano(), nil
}

// fromUnixNanos inverts unixNanos. NOTE: the instant 1970-01-01T00:00:00Z is
// stored as 0 too, and so reads back as the zero time.
func fromUnixNanos(nanos int64) time.Time {
	if nanos == 0 {
		return time.Time{}
	}

	return time.Unix(0, nanos).UTC()
}
