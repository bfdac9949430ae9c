package store

import "time"

// SearchField is a certificate attribute that a search condition tests.
type SearchField string

// Fields of SearchCertificates. The text fields compare with SearchOp
// Equals (and, for CommonName and DNSName, Contains); the time fields take a
// range; InUse and Exported take a boolean. FieldCommonName is the subject
// common name of CertificatePEM, or DomainName while there is no
// certificate; FieldDNSName is each of SubjectAlternativeNames.
// FieldExtendedKeyUsage "NONE" matches a certificate without extended key usages.
const (
	FieldARN               SearchField = "arn"
	FieldCommonName        SearchField = "common_name"
	FieldDNSName           SearchField = "dns_name"
	FieldKeyUsage          SearchField = "key_usage"
	FieldExtendedKeyUsage  SearchField = "extended_key_usage"
	FieldKeyAlgorithm      SearchField = "key_algorithm"
	FieldSerial            SearchField = "serial"
	FieldNotBefore         SearchField = "not_before"
	FieldNotAfter          SearchField = "not_after"
	FieldStatus            SearchField = "status"
	FieldRenewalStatus     SearchField = "renewal_status"
	FieldType              SearchField = "type"
	FieldInUse             SearchField = "in_use"
	FieldExported          SearchField = "exported"
	FieldExportOption      SearchField = "export_option"
	FieldManagedBy         SearchField = "managed_by"
	FieldValidationMethod  SearchField = "validation_method"
	FieldKeyPairOrigin     SearchField = "key_pair_origin"
	FieldRootHierarchyType SearchField = "root_hierarchy_type"
	FieldAcmeEndpointArn   SearchField = "acme_endpoint_arn"
	FieldAcmeAccountID     SearchField = "acme_account_id"
)

// SearchOp is the comparison a condition applies to its field.
type SearchOp string

const (
	// Equals matches a field equal to Value. Names (common name, DNS names)
	// compare without regard to ASCII case.
	Equals SearchOp = "EQUALS"
	// Contains matches a name that contains Value, without regard to ASCII case.
	Contains SearchOp = "CONTAINS"
	// InRange matches a time field within [From, To]; a zero bound is open.
	InRange SearchOp = "RANGE"
	// IsTrue and IsFalse match a boolean field.
	IsTrue  SearchOp = "TRUE"
	IsFalse SearchOp = "FALSE"
)

// SearchCondition is one node of a search filter: at most one of And, Or,
// Not and Match is set. A condition with none set matches every certificate.
type SearchCondition struct {
	And   []SearchCondition
	Or    []SearchCondition
	Not   *SearchCondition
	Match *SearchMatch
}

// SearchMatch compares one field.
type SearchMatch struct {
	Field SearchField
	Op    SearchOp
	Value string
	From  time.Time
	To    time.Time
}

// Sort keys of SearchCertificates, spelled as the API's SortBy values.
var SearchSortKeys = []string{
	"CREATED_AT", "NOT_AFTER", "STATUS", "RENEWAL_STATUS", "EXPORTED", "IN_USE", "NOT_BEFORE",
	"KEY_ALGORITHM", "TYPE", "CERTIFICATE_ARN", "COMMON_NAME", "REVOKED_AT", "RENEWAL_ELIGIBILITY",
	"ISSUED_AT", "MANAGED_BY", "EXPORT_OPTION", "VALIDATION_METHOD", "IMPORTED_AT",
	"ACME_ENDPOINT_ARN", "ACME_ACCOUNT_ID", "CERTIFICATE_KEY_PAIR_ORIGIN",
}

// SearchQuery selects certificates of one account and region. A nil Filter
// matches every certificate. Results are ordered by SortBy (one of
// SearchSortKeys), and certificates with the same SortBy value in the order
// they were created; an unset time sorts as the earliest value and an unset
// text as the empty string.
type SearchQuery struct {
	Account string
	Region  string
	Filter  *SearchCondition

	SortBy string
	Order  SortOrder
	Limit  int
	// After is the opaque cursor returned with the previous page, or "".
	After string
}

// AccountConfiguration is the ACM account configuration of one account in one region.
type AccountConfiguration struct {
	Account          string
	Region           string
	DaysBeforeExpiry int
	UpdatedAt        time.Time
}
