package acm

import (
	"strconv"
	"time"
)

// The types in this file are the ACM API's input and output shapes, with
// the member names the AWS JSON 1.1 protocol uses. Optional members are
// pointers or omitempty, so absent members stay absent on the wire.

// Timestamp is a point in time that JSON-encodes as epoch seconds, the
// AWS JSON 1.1 timestamp format.
type Timestamp time.Time

// NewTimestamp returns a pointer to t as a Timestamp, or nil for the zero time.
func NewTimestamp(t time.Time) *Timestamp {
	if t.IsZero() {
		return nil
	}
	ts := Timestamp(t)
	return &ts
}

// MarshalJSON writes the time as epoch seconds with up to millisecond precision.
func (t Timestamp) MarshalJSON() ([]byte, error) {
	millis := time.Time(t).UnixMilli()
	seconds := float64(millis) / 1000
	return strconv.AppendFloat(nil, seconds, 'f', -1, 64), nil
}

// Tag is a key and an optional value.
type Tag struct {
	Key   string  `json:"Key"`
	Value *string `json:"Value,omitempty"`
}

// CertificateOptions are a certificate's CT logging and export settings.
type CertificateOptions struct {
	CertificateTransparencyLoggingPreference string `json:"CertificateTransparencyLoggingPreference,omitempty"`
	Export                                   string `json:"Export,omitempty"`
}

// DomainValidationOption names the domain that validates one name of a request.
type DomainValidationOption struct {
	DomainName       string `json:"DomainName"`
	ValidationDomain string `json:"ValidationDomain"`
}

type RequestCertificateInput struct {
	DomainName              string                   `json:"DomainName"`
	ValidationMethod        string                   `json:"ValidationMethod"`
	SubjectAlternativeNames []string                 `json:"SubjectAlternativeNames"`
	IdempotencyToken        string                   `json:"IdempotencyToken"`
	DomainValidationOptions []DomainValidationOption `json:"DomainValidationOptions"`
	Options                 *CertificateOptions      `json:"Options"`
	CertificateAuthorityArn string                   `json:"CertificateAuthorityArn"`
	Tags                    []Tag                    `json:"Tags"`
	KeyAlgorithm            string                   `json:"KeyAlgorithm"`
	ManagedBy               string                   `json:"ManagedBy"`
}

type RequestCertificateOutput struct {
	CertificateArn string `json:"CertificateArn"`
}

// CertificateArnInput is the input of every operation that takes only an ARN.
type CertificateArnInput struct {
	CertificateArn string `json:"CertificateArn"`
}

type ResourceRecord struct {
	Name  string `json:"Name"`
	Type  string `json:"Type"`
	Value string `json:"Value"`
}

type DomainValidation struct {
	DomainName       string          `json:"DomainName"`
	ValidationEmails []string        `json:"ValidationEmails,omitempty"`
	ValidationDomain string          `json:"ValidationDomain,omitempty"`
	ValidationStatus string          `json:"ValidationStatus,omitempty"`
	ResourceRecord   *ResourceRecord `json:"ResourceRecord,omitempty"`
	HttpRedirect     *HttpRedirect   `json:"HttpRedirect,omitempty"`
	ValidationMethod string          `json:"ValidationMethod,omitempty"`
}

type KeyUsage struct {
	Name string `json:"Name"`
}

type ExtendedKeyUsage struct {
	Name string `json:"Name"`
	OID  string `json:"OID,omitempty"`
}

type CertificateDetail struct {
	CertificateArn          string              `json:"CertificateArn"`
	DomainName              string              `json:"DomainName"`
	SubjectAlternativeNames []string            `json:"SubjectAlternativeNames,omitempty"`
	ManagedBy               string              `json:"ManagedBy,omitempty"`
	DomainValidationOptions []DomainValidation  `json:"DomainValidationOptions,omitempty"`
	Serial                  string              `json:"Serial,omitempty"`
	Subject                 string              `json:"Subject,omitempty"`
	Issuer                  string              `json:"Issuer,omitempty"`
	CreatedAt               *Timestamp          `json:"CreatedAt,omitempty"`
	IssuedAt                *Timestamp          `json:"IssuedAt,omitempty"`
	ImportedAt              *Timestamp          `json:"ImportedAt,omitempty"`
	Status                  string              `json:"Status"`
	RevokedAt               *Timestamp          `json:"RevokedAt,omitempty"`
	RevocationReason        string              `json:"RevocationReason,omitempty"`
	NotBefore               *Timestamp          `json:"NotBefore,omitempty"`
	NotAfter                *Timestamp          `json:"NotAfter,omitempty"`
	KeyAlgorithm            string              `json:"KeyAlgorithm,omitempty"`
	SignatureAlgorithm      string              `json:"SignatureAlgorithm,omitempty"`
	InUseBy                 []string            `json:"InUseBy"`
	FailureReason           string              `json:"FailureReason,omitempty"`
	Type                    string              `json:"Type"`
	KeyUsages               []KeyUsage          `json:"KeyUsages"`
	ExtendedKeyUsages       []ExtendedKeyUsage  `json:"ExtendedKeyUsages"`
	CertificateAuthorityArn string              `json:"CertificateAuthorityArn,omitempty"`
	RenewalEligibility      string              `json:"RenewalEligibility,omitempty"`
	RenewalSummary          *RenewalSummary     `json:"RenewalSummary,omitempty"`
	Options                 *CertificateOptions `json:"Options,omitempty"`
}

type DescribeCertificateOutput struct {
	Certificate CertificateDetail `json:"Certificate"`
}

type GetCertificateOutput struct {
	Certificate      string `json:"Certificate,omitempty"`
	CertificateChain string `json:"CertificateChain,omitempty"`
}

// ListFilters is the Includes member of ListCertificates; its member names
// are lower camel case in the API.
type ListFilters struct {
	ExtendedKeyUsage []string `json:"extendedKeyUsage"`
	KeyUsage         []string `json:"keyUsage"`
	KeyTypes         []string `json:"keyTypes"`
	ExportOption     string   `json:"exportOption"`
	ManagedBy        string   `json:"managedBy"`
}

type ListCertificatesInput struct {
	CertificateStatuses []string     `json:"CertificateStatuses"`
	Includes            *ListFilters `json:"Includes"`
	NextToken           string       `json:"NextToken"`
	MaxItems            *int         `json:"MaxItems"`
	SortBy              string       `json:"SortBy"`
	SortOrder           string       `json:"SortOrder"`
	// Members that botocore 1.43.11 lacks (aws-sdk-go-v2 acm v1.52.0 has them).
	CertificateKeyPairOrigins []string `json:"CertificateKeyPairOrigins"`
	RootHierarchyTypes        []string `json:"RootHierarchyTypes"`
}

type CertificateSummary struct {
	CertificateArn                       string     `json:"CertificateArn"`
	DomainName                           string     `json:"DomainName"`
	SubjectAlternativeNameSummaries      []string   `json:"SubjectAlternativeNameSummaries,omitempty"`
	HasAdditionalSubjectAlternativeNames bool       `json:"HasAdditionalSubjectAlternativeNames"`
	Status                               string     `json:"Status"`
	Type                                 string     `json:"Type"`
	KeyAlgorithm                         string     `json:"KeyAlgorithm"`
	KeyUsages                            []string   `json:"KeyUsages"`
	ExtendedKeyUsages                    []string   `json:"ExtendedKeyUsages"`
	ExportOption                         string     `json:"ExportOption,omitempty"`
	InUse                                bool       `json:"InUse"`
	Exported                             bool       `json:"Exported"`
	RenewalEligibility                   string     `json:"RenewalEligibility,omitempty"`
	NotBefore                            *Timestamp `json:"NotBefore,omitempty"`
	NotAfter                             *Timestamp `json:"NotAfter,omitempty"`
	CreatedAt                            *Timestamp `json:"CreatedAt,omitempty"`
	IssuedAt                             *Timestamp `json:"IssuedAt,omitempty"`
	ImportedAt                           *Timestamp `json:"ImportedAt,omitempty"`
	RevokedAt                            *Timestamp `json:"RevokedAt,omitempty"`
	ManagedBy                            string     `json:"ManagedBy,omitempty"`
}

type ListCertificatesOutput struct {
	NextToken              string               `json:"NextToken,omitempty"`
	CertificateSummaryList []CertificateSummary `json:"CertificateSummaryList"`

	// encoded is the page's JSON when a read-ahead wrote it in advance.
	encoded []byte
}

type TagsInput struct {
	CertificateArn string `json:"CertificateArn"`
	Tags           []Tag  `json:"Tags"`
}

type ListTagsForCertificateOutput struct {
	Tags []Tag `json:"Tags"`
}

// Empty is the output of operations that return no members.
type Empty struct{}
