package acm

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"
)

type ImportCertificateInput struct {
	CertificateArn   string `json:"CertificateArn"`
	Certificate      []byte `json:"Certificate"`
	PrivateKey       []byte `json:"PrivateKey"`
	CertificateChain []byte `json:"CertificateChain"`
	Tags             []Tag  `json:"Tags"`
}

type ImportCertificateOutput struct {
	CertificateArn string `json:"CertificateArn"`
}

type UpdateCertificateOptionsInput struct {
	CertificateArn string              `json:"CertificateArn"`
	Options        *CertificateOptions `json:"Options"`
}

type ExpiryEventsConfiguration struct {
	DaysBeforeExpiry *int `json:"DaysBeforeExpiry,omitempty"`
}

type GetAccountConfigurationOutput struct {
	ExpiryEvents ExpiryEventsConfiguration `json:"ExpiryEvents"`
}

type PutAccountConfigurationInput struct {
	ExpiryEvents     *ExpiryEventsConfiguration `json:"ExpiryEvents"`
	IdempotencyToken string                     `json:"IdempotencyToken"`
}

type ListCertificateDomainValidationsInput struct {
	CertificateArn string `json:"CertificateArn"`
	MaxItems       *int   `json:"MaxItems"`
	NextToken      string `json:"NextToken"`
}

type ListCertificateDomainValidationsOutput struct {
	DomainValidationSummaryList []DomainValidationSummary `json:"DomainValidationSummaryList"`
	NextToken                   string                    `json:"NextToken,omitempty"`
}

type DomainValidationSummary struct {
	DomainName                    string                   `json:"DomainName"`
	ActiveValidationConfiguration *ValidationConfiguration `json:"ActiveValidationConfiguration,omitempty"`
}

type ValidationConfiguration struct {
	ValidationChallenge *ValidationChallenge `json:"ValidationChallenge,omitempty"`
	ValidationMethod    string               `json:"ValidationMethod,omitempty"`
	ValidationStatus    string               `json:"ValidationStatus,omitempty"`
}

// ValidationChallenge is a union: one member is set, by validation method.
type ValidationChallenge struct {
	DnsValidationChallenge   *DnsValidationChallenge   `json:"DnsValidationChallenge,omitempty"`
	EmailValidationChallenge *EmailValidationChallenge `json:"EmailValidationChallenge,omitempty"`
}

type DnsValidationChallenge struct {
	ResourceRecord *ResourceRecord `json:"ResourceRecord,omitempty"`
}

type EmailValidationChallenge struct {
	ValidationDomain string   `json:"ValidationDomain,omitempty"`
	ValidationEmails []string `json:"ValidationEmails,omitempty"`
}

type ResourceTagsInput struct {
	ResourceArn string   `json:"ResourceArn"`
	Tags        []Tag    `json:"Tags"`
	TagKeys     []string `json:"TagKeys"`
}

type ListTagsForResourceOutput struct {
	Tags []Tag `json:"Tags"`
}

type SearchCertificatesInput struct {
	FilterStatement *FilterStatement `json:"FilterStatement"`
	MaxResults      *int             `json:"MaxResults"`
	NextToken       string           `json:"NextToken"`
	SortBy          string           `json:"SortBy"`
	SortOrder       string           `json:"SortOrder"`
}

// FilterStatement is a union: exactly one of And, Or, Not and Filter.
type FilterStatement struct {
	And    []FilterStatement  `json:"And"`
	Or     []FilterStatement  `json:"Or"`
	Not    *FilterStatement   `json:"Not"`
	Filter *CertificateFilter `json:"Filter"`
}

// CertificateFilter is a union of its three members.
type CertificateFilter struct {
	CertificateArn               *string                       `json:"CertificateArn"`
	X509AttributeFilter          *X509AttributeFilter          `json:"X509AttributeFilter"`
	AcmCertificateMetadataFilter *AcmCertificateMetadataFilter `json:"AcmCertificateMetadataFilter"`
}

// X509AttributeFilter is a union of its members.
type X509AttributeFilter struct {
	Subject                *SubjectFilter                `json:"Subject"`
	SubjectAlternativeName *SubjectAlternativeNameFilter `json:"SubjectAlternativeName"`
	ExtendedKeyUsage       *string                       `json:"ExtendedKeyUsage"`
	KeyUsage               *string                       `json:"KeyUsage"`
	KeyAlgorithm           *string                       `json:"KeyAlgorithm"`
	SerialNumber           *string                       `json:"SerialNumber"`
	NotAfter               *TimestampRange               `json:"NotAfter"`
	NotBefore              *TimestampRange               `json:"NotBefore"`
}

type SubjectFilter struct {
	CommonName *NameFilter `json:"CommonName"`
}

type SubjectAlternativeNameFilter struct {
	DnsName *NameFilter `json:"DnsName"`
}

type NameFilter struct {
	Value              string `json:"Value"`
	ComparisonOperator string `json:"ComparisonOperator"`
}

type TimestampRange struct {
	Start *InputTimestamp `json:"Start"`
	End   *InputTimestamp `json:"End"`
}

// AcmCertificateMetadataFilter is a union of its members.
type AcmCertificateMetadataFilter struct {
	Status                   *string `json:"Status"`
	RenewalStatus            *string `json:"RenewalStatus"`
	Type                     *string `json:"Type"`
	InUse                    *bool   `json:"InUse"`
	Exported                 *bool   `json:"Exported"`
	ExportOption             *string `json:"ExportOption"`
	ManagedBy                *string `json:"ManagedBy"`
	ValidationMethod         *string `json:"ValidationMethod"`
	CertificateKeyPairOrigin *string `json:"CertificateKeyPairOrigin"`
	RootHierarchyType        *string `json:"RootHierarchyType"`
	AcmeEndpointArn          *string `json:"AcmeEndpointArn"`
	AcmeAccountId            *string `json:"AcmeAccountId"`
}

type SearchCertificatesOutput struct {
	Results   []CertificateSearchResult `json:"Results"`
	NextToken string                    `json:"NextToken,omitempty"`
}

type CertificateSearchResult struct {
	CertificateArn      string              `json:"CertificateArn"`
	X509Attributes      *X509Attributes     `json:"X509Attributes,omitempty"`
	CertificateMetadata CertificateMetadata `json:"CertificateMetadata"`
}

// CertificateMetadata is a union with one member today.
type CertificateMetadata struct {
	AcmCertificateMetadata AcmCertificateMetadata `json:"AcmCertificateMetadata"`
}

type AcmCertificateMetadata struct {
	CertificateKeyPairOrigin string     `json:"CertificateKeyPairOrigin,omitempty"`
	CreatedAt                *Timestamp `json:"CreatedAt,omitempty"`
	ExportOption             string     `json:"ExportOption,omitempty"`
	Exported                 bool       `json:"Exported"`
	ImportedAt               *Timestamp `json:"ImportedAt,omitempty"`
	InUse                    bool       `json:"InUse"`
	IssuedAt                 *Timestamp `json:"IssuedAt,omitempty"`
	ManagedBy                string     `json:"ManagedBy,omitempty"`
	RenewalEligibility       string     `json:"RenewalEligibility,omitempty"`
	RenewalStatus            string     `json:"RenewalStatus,omitempty"`
	RevokedAt                *Timestamp `json:"RevokedAt,omitempty"`
	Status                   string     `json:"Status,omitempty"`
	Type                     string     `json:"Type,omitempty"`
	ValidationMethod         string     `json:"ValidationMethod,omitempty"`
}

type X509Attributes struct {
	ExtendedKeyUsages       []string           `json:"ExtendedKeyUsages,omitempty"`
	Issuer                  *DistinguishedName `json:"Issuer,omitempty"`
	KeyAlgorithm            string             `json:"KeyAlgorithm,omitempty"`
	KeyUsages               []string           `json:"KeyUsages,omitempty"`
	NotAfter                *Timestamp         `json:"NotAfter,omitempty"`
	NotBefore               *Timestamp         `json:"NotBefore,omitempty"`
	SerialNumber            string             `json:"SerialNumber,omitempty"`
	Subject                 *DistinguishedName `json:"Subject,omitempty"`
	SubjectAlternativeNames []GeneralName      `json:"SubjectAlternativeNames,omitempty"`
}

type DistinguishedName struct {
	CommonName         string   `json:"CommonName,omitempty"`
	Country            string   `json:"Country,omitempty"`
	DomainComponents   []string `json:"DomainComponents,omitempty"`
	Locality           string   `json:"Locality,omitempty"`
	Organization       string   `json:"Organization,omitempty"`
	OrganizationalUnit string   `json:"OrganizationalUnit,omitempty"`
	SerialNumber       string   `json:"SerialNumber,omitempty"`
	State              string   `json:"State,omitempty"`
}

// GeneralName is a union: one member per entry.
type GeneralName struct {
	DnsName   string `json:"DnsName,omitempty"`
	IpAddress string `json:"IpAddress,omitempty"`
	Rfc822    string `json:"Rfc822Name,omitempty"`
	URI       string `json:"UniformResourceIdentifier,omitempty"`
}

// InputTimestamp is a request timestamp: epoch seconds as a JSON number,
// or an ISO 8601 string, the two forms the model check accepts.
type InputTimestamp time.Time

// UnmarshalJSON reads either form.
func (t *InputTimestamp) UnmarshalJSON(data []byte) error {
	var text string
	if err := json.Unmarshal(data, &text); err == nil {
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02"} {
			if parsed, err := time.Parse(layout, text); err == nil {
				*t = InputTimestamp(parsed)
				return nil
			}
		}
		return fmt.Errorf("timestamp %q is not ISO 8601", text)
	}

	seconds, err := strconv.ParseFloat(string(data), 64)
	if err != nil {
		return fmt.Errorf("timestamp %s is not epoch seconds: %w", data, err)
	}
	whole := math.Floor(seconds)
	*t = InputTimestamp(time.Unix(int64(whole), int64((seconds-whole)*1e9)).UTC())
	return nil
}
