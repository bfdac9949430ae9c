package pca

import (
	"strconv"
	"time"

	"github.com/fxamacker/cbor/v2"
)

// The types in this file are the acm-pca API's input and output shapes,
// with the member names of the wire protocols. Optional members are
// pointers or omitempty, so absent members stay absent on the wire. Blob
// members are []byte: base64 strings in JSON, byte strings in CBOR.

// Timestamp is a point in time that encodes as epoch seconds: a JSON
// number in AWS JSON 1.1 and a CBOR tag 1 value in Smithy RPC v2 CBOR.
type Timestamp time.Time

// NewTimestamp returns a pointer to t as a Timestamp, or nil for the zero time.
func NewTimestamp(t time.Time) *Timestamp {
	if t.IsZero() {
		return nil
	}
	ts := Timestamp(t)
	return &ts
}

func (t Timestamp) seconds() float64 {
	return float64(time.Time(t).UnixMilli()) / 1000
}

// MarshalJSON writes the time as epoch seconds with up to millisecond precision.
func (t Timestamp) MarshalJSON() ([]byte, error) {
	return strconv.AppendFloat(nil, t.seconds(), 'f', -1, 64), nil
}

// MarshalCBOR writes the time as tag 1 (epoch-based date/time) around a
// float64 number of seconds, the form the Smithy RPC v2 CBOR protocol uses.
func (t Timestamp) MarshalCBOR() ([]byte, error) {
	return cbor.Marshal(cbor.Tag{Number: 1, Content: t.seconds()})
}

type Tag struct {
	Key   string  `json:"Key"`
	Value *string `json:"Value,omitempty"`
}

type CustomAttribute struct {
	ObjectIdentifier string `json:"ObjectIdentifier"`
	Value            string `json:"Value"`
}

type ASN1Subject struct {
	Country                    string            `json:"Country,omitempty"`
	Organization               string            `json:"Organization,omitempty"`
	OrganizationalUnit         string            `json:"OrganizationalUnit,omitempty"`
	DistinguishedNameQualifier string            `json:"DistinguishedNameQualifier,omitempty"`
	State                      string            `json:"State,omitempty"`
	CommonName                 string            `json:"CommonName,omitempty"`
	SerialNumber               string            `json:"SerialNumber,omitempty"`
	Locality                   string            `json:"Locality,omitempty"`
	Title                      string            `json:"Title,omitempty"`
	Surname                    string            `json:"Surname,omitempty"`
	GivenName                  string            `json:"GivenName,omitempty"`
	Initials                   string            `json:"Initials,omitempty"`
	Pseudonym                  string            `json:"Pseudonym,omitempty"`
	GenerationQualifier        string            `json:"GenerationQualifier,omitempty"`
	CustomAttributes           []CustomAttribute `json:"CustomAttributes,omitempty"`
}

type KeyUsage struct {
	DigitalSignature bool `json:"DigitalSignature,omitempty"`
	NonRepudiation   bool `json:"NonRepudiation,omitempty"`
	KeyEncipherment  bool `json:"KeyEncipherment,omitempty"`
	DataEncipherment bool `json:"DataEncipherment,omitempty"`
	KeyAgreement     bool `json:"KeyAgreement,omitempty"`
	KeyCertSign      bool `json:"KeyCertSign,omitempty"`
	CRLSign          bool `json:"CRLSign,omitempty"`
	EncipherOnly     bool `json:"EncipherOnly,omitempty"`
	DecipherOnly     bool `json:"DecipherOnly,omitempty"`
}

type OtherName struct {
	TypeId string `json:"TypeId"`
	Value  string `json:"Value"`
}

type EdiPartyName struct {
	PartyName    string `json:"PartyName"`
	NameAssigner string `json:"NameAssigner,omitempty"`
}

type GeneralName struct {
	OtherName                 *OtherName    `json:"OtherName,omitempty"`
	Rfc822Name                string        `json:"Rfc822Name,omitempty"`
	DnsName                   string        `json:"DnsName,omitempty"`
	DirectoryName             *ASN1Subject  `json:"DirectoryName,omitempty"`
	EdiPartyName              *EdiPartyName `json:"EdiPartyName,omitempty"`
	UniformResourceIdentifier string        `json:"UniformResourceIdentifier,omitempty"`
	IpAddress                 string        `json:"IpAddress,omitempty"`
	RegisteredId              string        `json:"RegisteredId,omitempty"`
}

type AccessMethod struct {
	CustomObjectIdentifier string `json:"CustomObjectIdentifier,omitempty"`
	AccessMethodType       string `json:"AccessMethodType,omitempty"`
}

type AccessDescription struct {
	AccessMethod   AccessMethod `json:"AccessMethod"`
	AccessLocation GeneralName  `json:"AccessLocation"`
}

type CsrExtensions struct {
	KeyUsage                 *KeyUsage           `json:"KeyUsage,omitempty"`
	SubjectInformationAccess []AccessDescription `json:"SubjectInformationAccess,omitempty"`
}

type CertificateAuthorityConfiguration struct {
	KeyAlgorithm     string         `json:"KeyAlgorithm"`
	SigningAlgorithm string         `json:"SigningAlgorithm"`
	Subject          ASN1Subject    `json:"Subject"`
	CsrExtensions    *CsrExtensions `json:"CsrExtensions,omitempty"`
}

type CrlDistributionPointExtensionConfiguration struct {
	OmitExtension bool `json:"OmitExtension"`
}

type CrlConfiguration struct {
	Enabled                                    bool                                        `json:"Enabled"`
	ExpirationInDays                           *int                                        `json:"ExpirationInDays,omitempty"`
	CustomCname                                string                                      `json:"CustomCname,omitempty"`
	S3BucketName                               string                                      `json:"S3BucketName,omitempty"`
	S3ObjectAcl                                string                                      `json:"S3ObjectAcl,omitempty"`
	CrlDistributionPointExtensionConfiguration *CrlDistributionPointExtensionConfiguration `json:"CrlDistributionPointExtensionConfiguration,omitempty"`
	CrlType                                    string                                      `json:"CrlType,omitempty"`
	CustomPath                                 string                                      `json:"CustomPath,omitempty"`
}

type OcspConfiguration struct {
	Enabled         bool   `json:"Enabled"`
	OcspCustomCname string `json:"OcspCustomCname,omitempty"`
}

type RevocationConfiguration struct {
	CrlConfiguration  *CrlConfiguration  `json:"CrlConfiguration,omitempty"`
	OcspConfiguration *OcspConfiguration `json:"OcspConfiguration,omitempty"`
}

type CreateCertificateAuthorityInput struct {
	CertificateAuthorityConfiguration *CertificateAuthorityConfiguration `json:"CertificateAuthorityConfiguration"`
	RevocationConfiguration           *RevocationConfiguration           `json:"RevocationConfiguration"`
	CertificateAuthorityType          string                             `json:"CertificateAuthorityType"`
	IdempotencyToken                  string                             `json:"IdempotencyToken"`
	KeyStorageSecurityStandard        string                             `json:"KeyStorageSecurityStandard"`
	Tags                              []Tag                              `json:"Tags"`
	UsageMode                         string                             `json:"UsageMode"`
}

type CreateCertificateAuthorityOutput struct {
	CertificateAuthorityArn string `json:"CertificateAuthorityArn"`
}

// CAArnInput is the input of every operation that takes only a CA ARN.
type CAArnInput struct {
	CertificateAuthorityArn string `json:"CertificateAuthorityArn"`
}

type CertificateAuthority struct {
	Arn                               string                             `json:"Arn"`
	OwnerAccount                      string                             `json:"OwnerAccount,omitempty"`
	CreatedAt                         *Timestamp                         `json:"CreatedAt,omitempty"`
	LastStateChangeAt                 *Timestamp                         `json:"LastStateChangeAt,omitempty"`
	Type                              string                             `json:"Type,omitempty"`
	Serial                            string                             `json:"Serial,omitempty"`
	Status                            string                             `json:"Status,omitempty"`
	NotBefore                         *Timestamp                         `json:"NotBefore,omitempty"`
	NotAfter                          *Timestamp                         `json:"NotAfter,omitempty"`
	FailureReason                     string                             `json:"FailureReason,omitempty"`
	CertificateAuthorityConfiguration *CertificateAuthorityConfiguration `json:"CertificateAuthorityConfiguration,omitempty"`
	RevocationConfiguration           *RevocationConfiguration           `json:"RevocationConfiguration,omitempty"`
	RestorableUntil                   *Timestamp                         `json:"RestorableUntil,omitempty"`
	KeyStorageSecurityStandard        string                             `json:"KeyStorageSecurityStandard,omitempty"`
	UsageMode                         string                             `json:"UsageMode,omitempty"`
}

type DescribeCertificateAuthorityOutput struct {
	CertificateAuthority *CertificateAuthority `json:"CertificateAuthority,omitempty"`
}

type ListCertificateAuthoritiesInput struct {
	MaxResults    *int   `json:"MaxResults"`
	NextToken     string `json:"NextToken"`
	ResourceOwner string `json:"ResourceOwner"`
}

type ListCertificateAuthoritiesOutput struct {
	NextToken              string                 `json:"NextToken,omitempty"`
	CertificateAuthorities []CertificateAuthority `json:"CertificateAuthorities"`
}

type GetCertificateAuthorityCsrOutput struct {
	Csr string `json:"Csr,omitempty"`
}

type CertificateOutput struct {
	Certificate      string `json:"Certificate,omitempty"`
	CertificateChain string `json:"CertificateChain,omitempty"`
}

type ImportCertificateAuthorityCertificateInput struct {
	CertificateAuthorityArn string `json:"CertificateAuthorityArn"`
	Certificate             []byte `json:"Certificate"`
	CertificateChain        []byte `json:"CertificateChain"`
}

type Validity struct {
	Value *int64 `json:"Value"`
	Type  string `json:"Type"`
}

type PolicyQualifier struct {
	CpsUri string `json:"CpsUri"`
}

type PolicyQualifierInfo struct {
	PolicyQualifierId string          `json:"PolicyQualifierId"`
	Qualifier         PolicyQualifier `json:"Qualifier"`
}

type PolicyInformation struct {
	CertPolicyId     string                `json:"CertPolicyId"`
	PolicyQualifiers []PolicyQualifierInfo `json:"PolicyQualifiers"`
}

type ExtendedKeyUsage struct {
	ExtendedKeyUsageType             string `json:"ExtendedKeyUsageType,omitempty"`
	ExtendedKeyUsageObjectIdentifier string `json:"ExtendedKeyUsageObjectIdentifier,omitempty"`
}

type CustomExtension struct {
	ObjectIdentifier string `json:"ObjectIdentifier"`
	Value            string `json:"Value"`
	Critical         bool   `json:"Critical"`
}

type Extensions struct {
	CertificatePolicies     []PolicyInformation `json:"CertificatePolicies"`
	ExtendedKeyUsage        []ExtendedKeyUsage  `json:"ExtendedKeyUsage"`
	KeyUsage                *KeyUsage           `json:"KeyUsage"`
	SubjectAlternativeNames []GeneralName       `json:"SubjectAlternativeNames"`
	CustomExtensions        []CustomExtension   `json:"CustomExtensions"`
}

type ApiPassthrough struct {
	Extensions *Extensions  `json:"Extensions"`
	Subject    *ASN1Subject `json:"Subject"`
}

type IssueCertificateInput struct {
	ApiPassthrough          *ApiPassthrough `json:"ApiPassthrough"`
	CertificateAuthorityArn string          `json:"CertificateAuthorityArn"`
	Csr                     []byte          `json:"Csr"`
	SigningAlgorithm        string          `json:"SigningAlgorithm"`
	TemplateArn             string          `json:"TemplateArn"`
	Validity                *Validity       `json:"Validity"`
	ValidityNotBefore       *Validity       `json:"ValidityNotBefore"`
	IdempotencyToken        string          `json:"IdempotencyToken"`
}

type IssueCertificateOutput struct {
	CertificateArn string `json:"CertificateArn"`
}

type GetCertificateInput struct {
	CertificateAuthorityArn string `json:"CertificateAuthorityArn"`
	CertificateArn          string `json:"CertificateArn"`
}

type UpdateCertificateAuthorityInput struct {
	CertificateAuthorityArn string                   `json:"CertificateAuthorityArn"`
	RevocationConfiguration *RevocationConfiguration `json:"RevocationConfiguration"`
	Status                  string                   `json:"Status"`
}

type DeleteCertificateAuthorityInput struct {
	CertificateAuthorityArn     string `json:"CertificateAuthorityArn"`
	PermanentDeletionTimeInDays *int   `json:"PermanentDeletionTimeInDays"`
}

type RevokeCertificateInput struct {
	CertificateAuthorityArn string `json:"CertificateAuthorityArn"`
	CertificateSerial       string `json:"CertificateSerial"`
	RevocationReason        string `json:"RevocationReason"`
}

type TagsInput struct {
	CertificateAuthorityArn string `json:"CertificateAuthorityArn"`
	Tags                    []Tag  `json:"Tags"`
}

type ListTagsInput struct {
	CertificateAuthorityArn string `json:"CertificateAuthorityArn"`
	MaxResults              *int   `json:"MaxResults"`
	NextToken               string `json:"NextToken"`
}

type ListTagsOutput struct {
	NextToken string `json:"NextToken,omitempty"`
	Tags      []Tag  `json:"Tags"`
}

type CreatePermissionInput struct {
	CertificateAuthorityArn string   `json:"CertificateAuthorityArn"`
	Principal               string   `json:"Principal"`
	SourceAccount           string   `json:"SourceAccount"`
	Actions                 []string `json:"Actions"`
}

type DeletePermissionInput struct {
	CertificateAuthorityArn string `json:"CertificateAuthorityArn"`
	Principal               string `json:"Principal"`
	SourceAccount           string `json:"SourceAccount"`
}

type ListPermissionsInput struct {
	CertificateAuthorityArn string `json:"CertificateAuthorityArn"`
	MaxResults              *int   `json:"MaxResults"`
	NextToken               string `json:"NextToken"`
}

type Permission struct {
	CertificateAuthorityArn string     `json:"CertificateAuthorityArn,omitempty"`
	CreatedAt               *Timestamp `json:"CreatedAt,omitempty"`
	Principal               string     `json:"Principal,omitempty"`
	SourceAccount           string     `json:"SourceAccount,omitempty"`
	Actions                 []string   `json:"Actions,omitempty"`
	Policy                  string     `json:"Policy,omitempty"`
}

type ListPermissionsOutput struct {
	NextToken   string       `json:"NextToken,omitempty"`
	Permissions []Permission `json:"Permissions"`
}

type PutPolicyInput struct {
	ResourceArn string `json:"ResourceArn"`
	Policy      string `json:"Policy"`
}

type ResourceArnInput struct {
	ResourceArn string `json:"ResourceArn"`
}

type GetPolicyOutput struct {
	Policy string `json:"Policy,omitempty"`
}

type CreateAuditReportInput struct {
	CertificateAuthorityArn   string `json:"CertificateAuthorityArn"`
	S3BucketName              string `json:"S3BucketName"`
	AuditReportResponseFormat string `json:"AuditReportResponseFormat"`
}

type CreateAuditReportOutput struct {
	AuditReportId string `json:"AuditReportId"`
	S3Key         string `json:"S3Key"`
}

type DescribeAuditReportInput struct {
	CertificateAuthorityArn string `json:"CertificateAuthorityArn"`
	AuditReportId           string `json:"AuditReportId"`
}

type DescribeAuditReportOutput struct {
	AuditReportStatus string     `json:"AuditReportStatus,omitempty"`
	S3BucketName      string     `json:"S3BucketName,omitempty"`
	S3Key             string     `json:"S3Key,omitempty"`
	CreatedAt         *Timestamp `json:"CreatedAt,omitempty"`
}

// Empty is the output of operations that return no members.
type Empty struct{}
