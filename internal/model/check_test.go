package model

import (
	"strings"
	"testing"

	"github.com/openacm/openacm/internal/apierr"
)

// Model patterns as AWS prints them in validation messages.
const (
	domainPattern = `(\*\.)?(((?!-)[A-Za-z0-9-]{0,62}[A-Za-z0-9])\.)+((?!-)[A-Za-z0-9-]{1,62}[A-Za-z0-9])`
	acmArnPattern = `arn:[\w+=/,.@-]+:acm:[\w+=/,.@-]*:[0-9]+:[\w+=,.@-]+(/[\w+=,.@-]+)*`
	pcaArnPattern = `arn:[\w+=/,.@-]+:acm-pca:[\w+=/,.@-]*:[0-9]*:[\w+=,.@-]+(/[\w+=,.@-]+)*`

	certificateArn = "arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012"
	pcaArn         = "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/12345678-1234-1234-1234-123456789012"

	domainListClause = "Member must satisfy constraint: [Member must have length less than or equal to 253, " +
		"Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: " + domainPattern + "]"
)

type checkCase struct {
	name     string
	op       string
	body     string
	wantCode string // empty when the body is valid
	wantMsg  string
}

func runCheckCases(t *testing.T, service *Service, cases []checkCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := service.CheckInput(tc.op, []byte(tc.body))
			if tc.wantCode == "" {
				if err != nil {
					t.Fatalf("CheckInput(%s) = %v, want nil", tc.op, err)
				}
				return
			}

			apiErr, ok := apierr.As(err)
			if !ok {
				t.Fatalf("CheckInput(%s) = %v, want *apierr.Error %s", tc.op, err, tc.wantCode)
			}
			if apiErr.Code != tc.wantCode {
				t.Errorf("code = %s, want %s (message %q)", apiErr.Code, tc.wantCode, apiErr.Message)
			}
			if apiErr.Message != tc.wantMsg {
				t.Errorf("message =\n%s\nwant\n%s", apiErr.Message, tc.wantMsg)
			}
			if apiErr.Status != 400 {
				t.Errorf("status = %d, want 400", apiErr.Status)
			}
		})
	}
}

func oneError(path, clause string) string {
	return "1 validation error detected: Value of the input at '" + path + "' failed to satisfy constraint: " + clause
}

func clause(path, text string) string {
	return "Value of the input at '" + path + "' failed to satisfy constraint: " + text
}

func tagsJSON(n int) string {
	tags := make([]string, n)
	for i := range tags {
		tags[i] = `{"Key":"k` + strings.Repeat("x", i%5) + `","Value":"v"}`
	}
	return "[" + strings.Join(tags, ",") + "]"
}

func TestCheckInputRequestCertificate(t *testing.T) {
	const op = "RequestCertificate"
	runCheckCases(t, ACM(), []checkCase{
		{name: "valid full body", op: op, body: `{"DomainName":"example.com","ValidationMethod":"DNS",
			"SubjectAlternativeNames":["example.com","*.example.com"],"IdempotencyToken":"tok_1",
			"DomainValidationOptions":[{"DomainName":"example.com","ValidationDomain":"example.com"}],
			"Options":{"CertificateTransparencyLoggingPreference":"ENABLED","Export":"DISABLED"},
			"KeyAlgorithm":"EC_prime256v1","Tags":[{"Key":"env","Value":"prod"}]}`},
		{name: "unknown members ignored", op: op, body: `{"DomainName":"example.com","Bogus":{"x":[1,{"y":null}]}}`},
		{name: "null optional member is absent", op: op, body: `{"DomainName":"example.com","Options":null,"Tags":null}`},
		{name: "empty body", op: op, body: ``, wantCode: apierr.Validation,
			wantMsg: oneError("domainName", "Member must not be null")},
		{name: "whitespace body", op: op, body: " \n\t", wantCode: apierr.Validation,
			wantMsg: oneError("domainName", "Member must not be null")},
		{name: "null body", op: op, body: `null`, wantCode: apierr.Validation,
			wantMsg: oneError("domainName", "Member must not be null")},
		{name: "null domain name", op: op, body: `{"DomainName":null}`, wantCode: apierr.Validation,
			wantMsg: oneError("domainName", "Member must not be null")},
		{name: "leading hyphen", op: op, body: `{"DomainName":"-a.com"}`, wantCode: apierr.Validation,
			wantMsg: oneError("domainName", "Member must satisfy regular expression pattern: "+domainPattern)},
		{name: "domain too long", op: op, body: `{"DomainName":"` + strings.Repeat("a.", 126) + `ab"}`, wantCode: apierr.Validation,
			wantMsg: oneError("domainName", "Member must have length less than or equal to 253")},
		{name: "empty domain", op: op, body: `{"DomainName":""}`, wantCode: apierr.Validation,
			wantMsg: "2 validation errors detected: " +
				clause("domainName", "Member must have length greater than or equal to 1") + "; " +
				clause("domainName", "Member must satisfy regular expression pattern: "+domainPattern)},
		{name: "bad validation method", op: op, body: `{"DomainName":"example.com","ValidationMethod":"SMS"}`, wantCode: apierr.Validation,
			wantMsg: oneError("validationMethod", "Member must satisfy enum value set: [EMAIL, DNS, HTTP]")},
		{name: "bad SAN", op: op, body: `{"DomainName":"example.com","SubjectAlternativeNames":["ok.example.com","bad..example.com"]}`,
			wantCode: apierr.Validation, wantMsg: oneError("subjectAlternativeNames", domainListClause)},
		{name: "several bad SANs give one clause", op: op, body: `{"DomainName":"example.com","SubjectAlternativeNames":["-x.com","","a.b"]}`,
			wantCode: apierr.Validation, wantMsg: oneError("subjectAlternativeNames", domainListClause)},
		{name: "empty SAN list", op: op, body: `{"DomainName":"example.com","SubjectAlternativeNames":[]}`, wantCode: apierr.Validation,
			wantMsg: oneError("subjectAlternativeNames", "Member must have length greater than or equal to 1")},
		{name: "bad idempotency token", op: op, body: `{"DomainName":"example.com","IdempotencyToken":"a-b"}`, wantCode: apierr.Validation,
			wantMsg: oneError("idempotencyToken", `Member must satisfy regular expression pattern: \w+`)},
		{name: "validation option missing domain", op: op, body: `{"DomainName":"example.com","DomainValidationOptions":[{"DomainName":"example.com","ValidationDomain":"example.com"},{"DomainName":"example.com"}]}`,
			wantCode: apierr.Validation, wantMsg: oneError("domainValidationOptions.2.member.validationDomain", "Member must not be null")},
		{name: "bad nested enum", op: op, body: `{"DomainName":"example.com","Options":{"Export":"MAYBE"}}`, wantCode: apierr.Validation,
			wantMsg: oneError("options.export", "Member must satisfy enum value set: [ENABLED, DISABLED]")},
		{name: "bad CA ARN", op: op, body: `{"DomainName":"example.com","CertificateAuthorityArn":"arn:aws:acm:us-east-1:1:x"}`, wantCode: apierr.Validation,
			wantMsg: oneError("certificateAuthorityArn", "Member must satisfy regular expression pattern: "+`arn:[\w+=/,.@-]+:acm-pca:[\w+=/,.@-]*:[0-9]+:[\w+=,.@-]+(/[\w+=,.@-]+)*`)},
		{name: "errors in model order", op: op,
			body:     `{"Tags":[{"Value":"v"}],"KeyAlgorithm":"RSA_1","DomainValidationOptions":[{}],"SubjectAlternativeNames":["-"]}`,
			wantCode: apierr.Validation,
			wantMsg: "6 validation errors detected: " + strings.Join([]string{
				clause("domainName", "Member must not be null"),
				clause("subjectAlternativeNames", domainListClause),
				clause("domainValidationOptions.1.member.domainName", "Member must not be null"),
				clause("domainValidationOptions.1.member.validationDomain", "Member must not be null"),
				clause("tags.1.member.key", "Member must not be null"),
				clause("keyAlgorithm", "Member must satisfy enum value set: [RSA_1024, RSA_2048, RSA_3072, RSA_4096, EC_prime256v1, EC_secp384r1, EC_secp521r1]"),
			}, "; ")},
	})
}

func TestCheckInputListCertificates(t *testing.T) {
	const op = "ListCertificates"
	statusEnum := "[PENDING_VALIDATION, ISSUED, INACTIVE, EXPIRED, VALIDATION_TIMED_OUT, REVOKED, FAILED]"
	keyEnum := "[RSA_1024, RSA_2048, RSA_3072, RSA_4096, EC_prime256v1, EC_secp384r1, EC_secp521r1]"

	runCheckCases(t, ACM(), []checkCase{
		{name: "valid", op: op, body: `{"CertificateStatuses":["ISSUED"],"Includes":{"keyTypes":["RSA_2048","EC_prime256v1"]},"MaxItems":1000,"SortBy":"CREATED_AT","SortOrder":"ASCENDING"}`},
		{name: "empty object", op: op, body: `{}`},
		{name: "integral float max items", op: op, body: `{"MaxItems":5.0}`},
		{name: "max items 0", op: op, body: `{"MaxItems":0}`, wantCode: apierr.Validation,
			wantMsg: oneError("maxItems", "Member must have value greater than or equal to 1")},
		{name: "max items 1001", op: op, body: `{"MaxItems":1001}`, wantCode: apierr.Validation,
			wantMsg: oneError("maxItems", "Member must have value less than or equal to 1000")},
		{name: "bad status", op: op, body: `{"CertificateStatuses":["ISSUED","DONE"]}`, wantCode: apierr.Validation,
			wantMsg: oneError("certificateStatuses", "Member must satisfy constraint: [Member must satisfy enum value set: "+statusEnum+"]")},
		{name: "bad key type", op: op, body: `{"Includes":{"keyTypes":["RSA_1024","RSA_8192"]}}`, wantCode: apierr.Validation,
			wantMsg: oneError("includes.keyTypes", "Member must satisfy constraint: [Member must satisfy enum value set: "+keyEnum+"]")},
		{name: "empty next token", op: op, body: `{"NextToken":""}`, wantCode: apierr.Validation,
			wantMsg: oneError("nextToken", "Member must have length greater than or equal to 1")},
		{name: "next token outside latin-1", op: op, body: `{"NextToken":"abc€"}`, wantCode: apierr.Validation,
			wantMsg: oneError("nextToken", `Member must satisfy regular expression pattern: [\u0009\u000A\u000D\u0020-\u00FF]*`)},
		{name: "three failures", op: op, body: `{"MaxItems":0,"CertificateStatuses":["X"],"SortOrder":"UP"}`, wantCode: apierr.Validation,
			wantMsg: "3 validation errors detected: " +
				clause("certificateStatuses", "Member must satisfy constraint: [Member must satisfy enum value set: "+statusEnum+"]") + "; " +
				clause("maxItems", "Member must have value greater than or equal to 1") + "; " +
				clause("sortOrder", "Member must satisfy enum value set: [ASCENDING, DESCENDING]")},
	})
}

func TestCheckInputAddTagsToCertificate(t *testing.T) {
	const op = "AddTagsToCertificate"
	tagPattern := `[\p{L}\p{Z}\p{N}_.:\/=+\-@]*`

	runCheckCases(t, ACM(), []checkCase{
		{name: "valid 50 tags", op: op, body: `{"CertificateArn":"` + certificateArn + `","Tags":` + tagsJSON(50) + `}`},
		{name: "unicode tag", op: op, body: `{"CertificateArn":"` + certificateArn + `","Tags":[{"Key":"Ünïcode key","Value":""}]}`},
		{name: "51 tags", op: op, body: `{"CertificateArn":"` + certificateArn + `","Tags":` + tagsJSON(51) + `}`, wantCode: apierr.Validation,
			wantMsg: oneError("tags", "Member must have length less than or equal to 50")},
		{name: "key too long", op: op, body: `{"CertificateArn":"` + certificateArn + `","Tags":[{"Key":"` + strings.Repeat("k", 129) + `"}]}`,
			wantCode: apierr.Validation, wantMsg: oneError("tags.1.member.key", "Member must have length less than or equal to 128")},
		{name: "128 multibyte key", op: op, body: `{"CertificateArn":"` + certificateArn + `","Tags":[{"Key":"` + strings.Repeat("é", 128) + `"}]}`},
		{name: "missing key", op: op, body: `{"CertificateArn":"` + certificateArn + `","Tags":[{"Value":"v"}]}`, wantCode: apierr.Validation,
			wantMsg: oneError("tags.1.member.key", "Member must not be null")},
		{name: "bad key character", op: op, body: `{"CertificateArn":"` + certificateArn + `","Tags":[{"Key":"ok"},{"Key":"a*b"}]}`,
			wantCode: apierr.Validation, wantMsg: oneError("tags.2.member.key", "Member must satisfy regular expression pattern: "+tagPattern)},
		{name: "missing everything", op: op, body: `{}`, wantCode: apierr.Validation,
			wantMsg: "2 validation errors detected: " + clause("certificateArn", "Member must not be null") + "; " + clause("tags", "Member must not be null")},
		{name: "list length before elements", op: op, body: `{"CertificateArn":"` + certificateArn + `","Tags":` + strings.Replace(tagsJSON(51), `{"Key":"k"`, `{"Kee":"k"`, 1) + `}`,
			wantCode: apierr.Validation,
			wantMsg: "2 validation errors detected: " + clause("tags", "Member must have length less than or equal to 50") + "; " +
				clause("tags.1.member.key", "Member must not be null")},
	})
}

func TestCheckInputDescribeCertificate(t *testing.T) {
	const op = "DescribeCertificate"
	runCheckCases(t, ACM(), []checkCase{
		{name: "valid", op: op, body: `{"CertificateArn":"` + certificateArn + `"}`},
		{name: "missing ARN", op: op, body: `{}`, wantCode: apierr.Validation,
			wantMsg: oneError("certificateArn", "Member must not be null")},
		{name: "ARN of another service", op: op, body: `{"CertificateArn":"arn:aws:s3:::bucket-name-here"}`, wantCode: apierr.Validation,
			wantMsg: oneError("certificateArn", "Member must satisfy regular expression pattern: "+acmArnPattern)},
		{name: "short non-ARN", op: op, body: `{"CertificateArn":"not-an-arn"}`, wantCode: apierr.Validation,
			wantMsg: "2 validation errors detected: " +
				clause("certificateArn", "Member must have length greater than or equal to 20") + "; " +
				clause("certificateArn", "Member must satisfy regular expression pattern: "+acmArnPattern)},
		{name: "ARN too long", op: op, body: `{"CertificateArn":"` + certificateArn + strings.Repeat("/x", 1000) + `"}`, wantCode: apierr.Validation,
			wantMsg: oneError("certificateArn", "Member must have length less than or equal to 2048")},
	})
}

func TestCheckInputImportCertificate(t *testing.T) {
	const op = "ImportCertificate"
	runCheckCases(t, ACM(), []checkCase{
		{name: "valid blobs", op: op, body: `{"Certificate":"Y2VydA==","PrivateKey":"a2V5"}`},
		{name: "bad base64", op: op, body: `{"Certificate":"not base64!","PrivateKey":"a2V5"}`, wantCode: apierr.Serialization,
			wantMsg: "STRING_VALUE is not valid base64 and can not be converted to a Blob"},
		{name: "unpadded base64", op: op, body: `{"Certificate":"Y2VydA","PrivateKey":"a2V5"}`, wantCode: apierr.Serialization,
			wantMsg: "STRING_VALUE is not valid base64 and can not be converted to a Blob"},
		{name: "empty blob", op: op, body: `{"Certificate":"","PrivateKey":"a2V5"}`, wantCode: apierr.Validation,
			wantMsg: oneError("certificate", "Member must have length greater than or equal to 1")},
		{name: "blob of a number", op: op, body: `{"Certificate":12}`, wantCode: apierr.Serialization,
			wantMsg: "NUMBER_VALUE can not be converted to a Blob"},
	})
}

// TestSerializationMessages pins every SerializationException text.
func TestSerializationMessages(t *testing.T) {
	const op = "RequestCertificate"
	ser := apierr.Serialization
	runCheckCases(t, ACM(), []checkCase{
		{name: "object for string", op: op, body: `{"DomainName":{}}`, wantCode: ser, wantMsg: "Start of structure or map found where not expected."},
		{name: "array for string", op: op, body: `{"DomainName":["a.com"]}`, wantCode: ser, wantMsg: "Start of list found where not expected"},
		{name: "number for string", op: op, body: `{"DomainName":5}`, wantCode: ser, wantMsg: "NUMBER_VALUE can not be converted to a String"},
		{name: "boolean for string", op: op, body: `{"DomainName":true}`, wantCode: ser, wantMsg: "BOOLEAN_VALUE can not be converted to a String"},
		{name: "string for list", op: op, body: `{"SubjectAlternativeNames":"a.com"}`, wantCode: ser, wantMsg: "STRING_VALUE can not be converted to a List"},
		{name: "object for list", op: op, body: `{"SubjectAlternativeNames":{}}`, wantCode: ser, wantMsg: "Start of structure or map found where not expected."},
		{name: "number in string list", op: op, body: `{"SubjectAlternativeNames":["a.com",7]}`, wantCode: ser, wantMsg: "NUMBER_VALUE can not be converted to a String"},
		{name: "string for structure", op: op, body: `{"Options":"x"}`, wantCode: ser, wantMsg: "STRING_VALUE can not be converted to a Structure"},
		{name: "array for structure", op: op, body: `{"Options":[]}`, wantCode: ser, wantMsg: "Start of list found where not expected"},
		{name: "array body", op: op, body: `[]`, wantCode: ser, wantMsg: "Start of list found where not expected"},
		{name: "string body", op: op, body: `"x"`, wantCode: ser, wantMsg: "STRING_VALUE can not be converted to a Structure"},
		{name: "number body", op: op, body: `5`, wantCode: ser, wantMsg: "NUMBER_VALUE can not be converted to a Structure"},
		{name: "type error beats validation", op: op, body: `{"Tags":[{"Value":"v"}],"Options":{"Export":1}}`, wantCode: ser,
			wantMsg: "NUMBER_VALUE can not be converted to a String"},
		{name: "string for integer", op: "ListCertificates", body: `{"MaxItems":"5"}`, wantCode: ser, wantMsg: "STRING_VALUE can not be converted to an Integer"},
		{name: "boolean for integer", op: "ListCertificates", body: `{"MaxItems":false}`, wantCode: ser, wantMsg: "BOOLEAN_VALUE can not be converted to an Integer"},
		{name: "fraction for integer", op: "ListCertificates", body: `{"MaxItems":1.5}`, wantCode: ser, wantMsg: "NUMBER_VALUE has a fraction and can not be converted to an Integer"},
		{name: "integer overflow", op: "ListCertificates", body: `{"MaxItems":3000000000}`, wantCode: ser, wantMsg: "NUMBER_VALUE is out of range and can not be converted to an Integer"},
		{name: "exponent overflow", op: "ListCertificates", body: `{"MaxItems":1e10}`, wantCode: ser, wantMsg: "NUMBER_VALUE is out of range and can not be converted to an Integer"},
		{name: "truncated", op: op, body: `{"DomainName":"a.com"`, wantCode: ser, wantMsg: "The request body is not valid JSON."},
		{name: "missing value", op: op, body: `{"DomainName":}`, wantCode: ser, wantMsg: "The request body is not valid JSON."},
		{name: "bare word", op: op, body: `nope`, wantCode: ser, wantMsg: "The request body is not valid JSON."},
		{name: "single quotes", op: op, body: `{'DomainName':'a.com'}`, wantCode: ser, wantMsg: "The request body is not valid JSON."},
		{name: "trailing garbage", op: op, body: `{"DomainName":"a.com"}x`, wantCode: ser, wantMsg: "Unexpected content after the JSON object in the request body."},
		{name: "two objects", op: op, body: `{} {}`, wantCode: ser, wantMsg: "Unexpected content after the JSON object in the request body."},
		{name: "too deep", op: op, body: `{"Bogus":` + strings.Repeat("[", 64) + strings.Repeat("]", 64) + `}`, wantCode: ser,
			wantMsg: "The request body nests JSON deeper than 64 levels."},
		{name: "depth 64 accepted", op: op, body: `{"DomainName":"a.com","Bogus":` + strings.Repeat("[", 63) + strings.Repeat("]", 63) + `}`},
		{name: "brackets in strings do not count", op: op, body: `{"DomainName":"a.com","Bogus":"` + strings.Repeat("[{", 100) + `"}`},
	})
}

func TestCheckInputACMPCA(t *testing.T) {
	subject := `{"KeyAlgorithm":"RSA_2048","SigningAlgorithm":"SHA256WITHRSA","Subject":{"CommonName":"Example CA","Country":"US"}}`
	runCheckCases(t, ACMPCA(), []checkCase{
		{name: "create valid", op: "CreateCertificateAuthority", body: `{"CertificateAuthorityConfiguration":` + subject + `,"CertificateAuthorityType":"ROOT"}`},
		{name: "create missing required", op: "CreateCertificateAuthority", body: `{}`, wantCode: apierr.Validation,
			wantMsg: "2 validation errors detected: " +
				clause("certificateAuthorityConfiguration", "Member must not be null") + "; " +
				clause("certificateAuthorityType", "Member must not be null")},
		{name: "create nested required and bad country", op: "CreateCertificateAuthority",
			body:     `{"CertificateAuthorityConfiguration":{"Subject":{"Country":"U1"}},"CertificateAuthorityType":"ROOT"}`,
			wantCode: apierr.Validation,
			wantMsg: "3 validation errors detected: " +
				clause("certificateAuthorityConfiguration.keyAlgorithm", "Member must not be null") + "; " +
				clause("certificateAuthorityConfiguration.signingAlgorithm", "Member must not be null") + "; " +
				clause("certificateAuthorityConfiguration.subject.country", "Member must satisfy regular expression pattern: [A-Za-z]{2}")},
		{name: "string for boolean", op: "CreateCertificateAuthority",
			body:     `{"CertificateAuthorityConfiguration":` + subject + `,"CertificateAuthorityType":"ROOT","RevocationConfiguration":{"CrlConfiguration":{"Enabled":"yes"}}}`,
			wantCode: apierr.Serialization, wantMsg: "STRING_VALUE can not be converted to a Boolean"},
		{name: "describe bad ARN", op: "DescribeCertificateAuthority", body: `{"CertificateAuthorityArn":"arn:aws:acm:us-east-1:123456789012:x"}`,
			wantCode: apierr.Validation, wantMsg: oneError("certificateAuthorityArn", "Member must satisfy regular expression pattern: "+pcaArnPattern)},
		{name: "issue valid", op: "IssueCertificate",
			body: `{"CertificateAuthorityArn":"` + pcaArn + `","Csr":"Y3Ny","SigningAlgorithm":"SHA256WITHRSA","Validity":{"Value":365,"Type":"DAYS"}}`},
		{name: "issue zero validity", op: "IssueCertificate",
			body:     `{"CertificateAuthorityArn":"` + pcaArn + `","Csr":"Y3Ny","SigningAlgorithm":"SHA256WITHRSA","Validity":{"Value":0,"Type":"DAYS"}}`,
			wantCode: apierr.Validation, wantMsg: oneError("validity.value", "Member must have value greater than or equal to 1")},
		{name: "issue long beyond int32", op: "IssueCertificate",
			body: `{"CertificateAuthorityArn":"` + pcaArn + `","Csr":"Y3Ny","SigningAlgorithm":"SHA256WITHRSA","Validity":{"Value":4102444800,"Type":"END_DATE"}}`},
		{name: "issue long overflow", op: "IssueCertificate",
			body:     `{"CertificateAuthorityArn":"` + pcaArn + `","Csr":"Y3Ny","SigningAlgorithm":"SHA256WITHRSA","Validity":{"Value":9223372036854775808,"Type":"DAYS"}}`,
			wantCode: apierr.Serialization, wantMsg: "NUMBER_VALUE is out of range and can not be converted to a Long"},
	})
}

// testModel covers shape kinds that the ACM models use rarely or not at all.
const testModel = `{
  "operations": {"Op": "Input", "Empty": ""},
  "shapes": {
    "Input": {"type": "structure", "required": ["Name"], "members": [
      {"name": "Name", "shape": "Name"},
      {"name": "When", "shape": "When"},
      {"name": "Data", "shape": "Data"},
      {"name": "Labels", "shape": "Labels"},
      {"name": "Groups", "shape": "Groups"},
      {"name": "Ratio", "shape": "Ratio"},
      {"name": "Flag", "shape": "Flag"}
    ]},
    "Name": {"type": "string", "min": 1, "max": 3},
    "When": {"type": "timestamp"},
    "Data": {"type": "blob", "min": 2, "max": 4},
    "Labels": {"type": "map", "key": "LabelKey", "value": "LabelValue", "max": 2},
    "LabelKey": {"type": "string", "min": 1, "max": 3},
    "LabelValue": {"type": "string", "max": 2, "enum": ["a", "bb"]},
    "Groups": {"type": "map", "key": "LabelKey", "value": "Input"},
    "Ratio": {"type": "double", "min": 0, "max": 1},
    "Flag": {"type": "boolean"}
  }
}`

func TestCheckInputOtherKinds(t *testing.T) {
	service, err := load([]byte(testModel), nil)
	if err != nil {
		t.Fatalf("load test model: %v", err)
	}
	ser, val := apierr.Serialization, apierr.Validation

	runCheckCases(t, service, []checkCase{
		{name: "epoch seconds", op: "Op", body: `{"Name":"n","When":1700000000.25}`},
		{name: "ISO 8601 timestamp", op: "Op", body: `{"Name":"n","When":"2024-01-02T03:04:05.5Z"}`},
		{name: "ISO 8601 timestamp with offset", op: "Op", body: `{"Name":"n","When":"2024-01-02T03:04:05+02:00"}`},
		{name: "bad timestamp string", op: "Op", body: `{"Name":"n","When":"yesterday"}`, wantCode: ser,
			wantMsg: "STRING_VALUE is not an ISO 8601 date-time and can not be converted to a Timestamp"},
		{name: "boolean timestamp", op: "Op", body: `{"Name":"n","When":true}`, wantCode: ser, wantMsg: "BOOLEAN_VALUE can not be converted to a Timestamp"},
		{name: "blob decoded length", op: "Op", body: `{"Name":"n","Data":"YWJjZGU="}`, wantCode: val,
			wantMsg: oneError("data", "Member must have length less than or equal to 4")},
		{name: "valid map", op: "Op", body: `{"Name":"n","Labels":{"k":"a","k2":"bb"}}`},
		{name: "map too big", op: "Op", body: `{"Name":"n","Labels":{"k":"a","k2":"bb","k3":"a"}}`, wantCode: val,
			wantMsg: oneError("labels", "Member must have length less than or equal to 2")},
		{name: "bad map key and value", op: "Op", body: `{"Name":"n","Labels":{"long":"a","k":"ccc"}}`, wantCode: val,
			wantMsg: "2 validation errors detected: " +
				clause("labels", "Map keys must satisfy constraint: [Member must have length less than or equal to 3, Member must have length greater than or equal to 1]") + "; " +
				clause("labels", "Map value must satisfy constraint: [Member must have length less than or equal to 2, Member must satisfy enum value set: [a, bb]]")},
		{name: "map of structures", op: "Op", body: `{"Name":"n","Groups":{"b":{"Name":"x"},"a":{}}}`, wantCode: val,
			wantMsg: oneError("groups.a.member.name", "Member must not be null")},
		{name: "array for map", op: "Op", body: `{"Name":"n","Labels":[]}`, wantCode: ser, wantMsg: "Start of list found where not expected"},
		{name: "number for map value", op: "Op", body: `{"Name":"n","Labels":{"k":1}}`, wantCode: ser, wantMsg: "NUMBER_VALUE can not be converted to a String"},
		{name: "double range", op: "Op", body: `{"Name":"n","Ratio":1.5}`, wantCode: val,
			wantMsg: oneError("ratio", "Member must have value less than or equal to 1")},
		{name: "double NaN", op: "Op", body: `{"Name":"n","Ratio":"NaN"}`},
		{name: "double from word", op: "Op", body: `{"Name":"n","Ratio":"half"}`, wantCode: ser, wantMsg: "STRING_VALUE can not be converted to a Double"},
		{name: "boolean", op: "Op", body: `{"Name":"n","Flag":false}`},
		{name: "number for boolean", op: "Op", body: `{"Name":"n","Flag":0}`, wantCode: ser, wantMsg: "NUMBER_VALUE can not be converted to a Boolean"},
		{name: "length counts characters", op: "Op", body: `{"Name":"ééé"}`},
		{name: "operation without input", op: "Empty", body: `{"Anything":1}`},
		{name: "operation without input needs object", op: "Empty", body: `[]`, wantCode: ser, wantMsg: "Start of list found where not expected"},
		{name: "unknown operation", op: "Nope", body: `{}`, wantCode: apierr.UnknownOperation, wantMsg: "Operation Nope is not supported by this service."},
	})
}

func TestHasOperation(t *testing.T) {
	cases := []struct {
		name    string
		service *Service
		op      string
		want    bool
	}{
		{"acm request", ACM(), "RequestCertificate", true},
		{"acm without input", ACM(), "GetAccountConfiguration", true},
		{"acm lacks pca op", ACM(), "CreateCertificateAuthority", false},
		{"pca create", ACMPCA(), "CreateCertificateAuthority", true},
		{"pca lacks acm op", ACMPCA(), "RequestCertificate", false},
		{"lower case", ACM(), "requestCertificate", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.service.HasOperation(tc.op); got != tc.want {
				t.Errorf("HasOperation(%q) = %v, want %v", tc.op, got, tc.want)
			}
		})
	}
}

func TestLoadRejectsBrokenModels(t *testing.T) {
	cases := []struct {
		name  string
		model string
	}{
		{"unknown type", `{"operations":{},"shapes":{"X":{"type":"document"}}}`},
		{"missing member shape", `{"operations":{},"shapes":{"X":{"type":"structure","members":[{"name":"A","shape":"Nope"}]}}}`},
		{"missing input shape", `{"operations":{"Op":"Nope"},"shapes":{}}`},
		{"look-ahead pattern", `{"operations":{},"shapes":{"X":{"type":"string","pattern":"(?!a)b"}}}`},
		{"not JSON", `{`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := load([]byte(tc.model), nil); err == nil {
				t.Errorf("load succeeded, want an error")
			}
		})
	}
}

func TestLowerFirst(t *testing.T) {
	cases := map[string]string{
		"DomainName":     "domainName",
		"CertificateArn": "certificateArn",
		"keyTypes":       "keyTypes",
		"CRLSign":        "cRLSign",
	}
	for in, want := range cases {
		if got := lowerFirst(in); got != want {
			t.Errorf("lowerFirst(%q) = %q, want %q", in, got, want)
		}
	}
}

func BenchmarkCheckRequestCertificate(b *testing.B) {
	body := []byte(`{"DomainName":"www.example.com","ValidationMethod":"DNS",` +
		`"SubjectAlternativeNames":["www.example.com","example.com","*.api.example.com"],` +
		`"IdempotencyToken":"9f2c1e7a","Options":{"CertificateTransparencyLoggingPreference":"ENABLED"},` +
		`"KeyAlgorithm":"RSA_2048","Tags":[{"Key":"team","Value":"platform"},{"Key":"env","Value":"prod"}]}`)
	service := ACM()
	if err := service.CheckInput("RequestCertificate", body); err != nil {
		b.Fatalf("benchmark body is invalid: %v", err)
	}

	b.ReportAllocs()
	for b.Loop() {
		if err := service.CheckInput("RequestCertificate", body); err != nil {
			b.Fatal(err)
		}
	}
}
