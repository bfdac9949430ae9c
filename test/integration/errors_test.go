package integration

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/acm/types"

	"github.com/openacm/openacm/internal/config"
)

// Model patterns that validation messages quote, as the botocore ACM model
// (API version 2015-12-08) spells them.
const (
	domainNamePattern = `(\*\.)?(((?!-)[A-Za-z0-9-]{0,62}[A-Za-z0-9])\.)+((?!-)[A-Za-z0-9-]{1,62}[A-Za-z0-9])`
	arnPattern        = `arn:[\w+=/,.@-]+:acm:[\w+=/,.@-]*:[0-9]+:[\w+=,.@-]+(/[\w+=,.@-]+)*`
	pcaArnPattern     = `arn:[\w+=/,.@-]+:acm-pca:[\w+=/,.@-]*:[0-9]+:[\w+=,.@-]+(/[\w+=,.@-]+)*`
)

// domainNameElementClause is the single clause that reports bad elements of
// a list of DomainNameString.
const domainNameElementClause = "Member must satisfy constraint: [Member must have length less than or equal to 253, " +
	"Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: " + domainNamePattern + "]"

// missingArn is a well-formed certificate ARN that no test creates.
const missingArn = "arn:aws:acm:us-east-1:000000000000:certificate/00000000-0000-0000-0000-000000000000"

// violation is one clause of a ValidationException message.
func violation(path, constraint string) string {
	return "Value of the input at '" + path + "' failed to satisfy constraint: " + constraint
}

// oneViolation is the whole message of a ValidationException with one clause.
func oneViolation(path, constraint string) string {
	return "1 validation error detected: " + violation(path, constraint)
}

// apiFailure is what a failed call returned: the AWS error code, its message
// and the HTTP status.
type apiFailure struct {
	code    string
	message string
	status  int
}

// sdkFailure reads the code, message and HTTP status of an SDK error.
func sdkFailure(t *testing.T, err error) apiFailure {
	t.Helper()
	code, message := apiError(t, err)

	var responseErr *awshttp.ResponseError
	if !errors.As(err, &responseErr) {
		t.Fatalf("error %v carries no HTTP response", err)
	}
	return apiFailure{code: code, message: message, status: responseErr.HTTPStatusCode()}
}

// checkFailure compares a failure with the expected one field by field.
func checkFailure(t *testing.T, got, want apiFailure) {
	t.Helper()
	if got.code != want.code {
		t.Errorf("code = %q, want %q", got.code, want.code)
	}
	if got.message != want.message {
		t.Errorf("message = %q\nwant      %q", got.message, want.message)
	}
	if got.status != want.status {
		t.Errorf("HTTP status = %d, want %d", got.status, want.status)
	}
}

// expectSDKError checks that err is the AWS error want.
func expectSDKError(t *testing.T, err error, want apiFailure) {
	t.Helper()
	if err == nil {
		t.Fatalf("call succeeded, want %s", want.code)
	}
	checkFailure(t, sdkFailure(t, err), want)
}

// badInput is a ValidationException failure with message.
func badInput(message string) apiFailure {
	return apiFailure{code: "ValidationException", message: message, status: http.StatusBadRequest}
}

// clientError is a 400 failure other than ValidationException.
func clientError(code, message string) apiFailure {
	return apiFailure{code: code, message: message, status: http.StatusBadRequest}
}

// sendFunc makes one call that must fail and returns the failure.
type sendFunc func(t *testing.T, s *server) apiFailure

// viaSDK makes the call through aws-sdk-go-v2 in us-east-1.
func viaSDK(call func(ctx context.Context, client *acm.Client) error) sendFunc {
	return func(t *testing.T, s *server) apiFailure {
		t.Helper()
		err := call(context.Background(), s.client("us-east-1"))
		if err == nil {
			t.Fatalf("call succeeded, want an error")
		}
		return sdkFailure(t, err)
	}
}

// viaRaw sends body as a signed request, for input the SDK would reject
// before sending.
func viaRaw(operation, body string) sendFunc {
	return func(t *testing.T, s *server) apiFailure {
		t.Helper()
		reply := callRaw(t, s, "us-east-1", operation, body)
		code, message := decodeErrorReply(t, reply)
		return apiFailure{code: code, message: message, status: reply.status}
	}
}

// sdkRequest sends a RequestCertificate through the SDK.
func sdkRequest(in acm.RequestCertificateInput) sendFunc {
	return viaSDK(func(ctx context.Context, client *acm.Client) error {
		_, err := client.RequestCertificate(ctx, &in)
		return err
	})
}

// sdkList sends a ListCertificates through the SDK.
func sdkList(in acm.ListCertificatesInput) sendFunc {
	return viaSDK(func(ctx context.Context, client *acm.Client) error {
		_, err := client.ListCertificates(ctx, &in)
		return err
	})
}

// requestOrFail requests a certificate and returns its ARN.
func requestOrFail(t *testing.T, client *acm.Client, in *acm.RequestCertificateInput) string {
	t.Helper()
	out, err := client.RequestCertificate(context.Background(), in)
	if err != nil {
		t.Fatalf("request certificate for %s: %v", aws.ToString(in.DomainName), err)
	}
	return aws.ToString(out.CertificateArn)
}

// describeOrFail returns the certificate detail of arn.
func describeOrFail(t *testing.T, client *acm.Client, arn string) *types.CertificateDetail {
	t.Helper()
	out, err := client.DescribeCertificate(context.Background(), &acm.DescribeCertificateInput{CertificateArn: aws.String(arn)})
	if err != nil {
		t.Fatalf("describe %s: %v", arn, err)
	}
	return out.Certificate
}

// namesUnder returns n distinct names "name<i>.<domain>", starting at 1.
func namesUnder(domain string, n int) []string {
	names := make([]string, 0, n)
	for i := 1; i <= n; i++ {
		names = append(names, fmt.Sprintf("name%d.%s", i, domain))
	}
	return names
}

// numberedTags returns n tags with distinct keys "<prefix><i>".
func numberedTags(prefix string, n int) []types.Tag {
	tags := make([]types.Tag, 0, n)
	for i := 1; i <= n; i++ {
		tags = append(tags, types.Tag{Key: aws.String(fmt.Sprintf("%s%d", prefix, i)), Value: aws.String("v")})
	}
	return tags
}

// Names used by the length cases. Each passes the DomainNameString pattern,
// so only the length rule fails.
var (
	// name254 has 254 characters: four 62-character labels and "ab".
	name254 = strings.Repeat(strings.Repeat("a", 62)+".", 4) + "ab"
	// name65 and name64 have 65 and 64 octets.
	name65 = strings.Repeat("a", 61) + ".com"
	name64 = strings.Repeat("a", 60) + ".com"
	// label64 has a first label of 64 characters, one over the DNS limit.
	label64 = strings.Repeat("b", 64) + ".com"
)

// requestCertificateErrorCases are RequestCertificate inputs that fail, with
// the exact reply of each.
func requestCertificateErrorCases() []struct {
	name string
	send sendFunc
	want apiFailure
} {
	domainPatternClause := "Member must satisfy regular expression pattern: " + domainNamePattern
	keyAlgorithms := "RSA_2048, EC_prime256v1, EC_secp384r1"

	return []struct {
		name string
		send sendFunc
		want apiFailure
	}{
		{
			name: "DomainName missing",
			send: viaRaw("RequestCertificate", `{"ValidationMethod": "DNS"}`),
			want: badInput(oneViolation("domainName", "Member must not be null")),
		},
		{
			name: "DomainName JSON null",
			send: viaRaw("RequestCertificate", `{"DomainName": null}`),
			want: badInput(oneViolation("domainName", "Member must not be null")),
		},
		{
			name: "DomainName empty",
			send: sdkRequest(acm.RequestCertificateInput{DomainName: aws.String("")}),
			want: badInput("2 validation errors detected: " +
				violation("domainName", "Member must have length greater than or equal to 1") + "; " +
				violation("domainName", domainPatternClause)),
		},
		{
			name: "DomainName 254 characters",
			send: sdkRequest(acm.RequestCertificateInput{DomainName: aws.String(name254)}),
			want: badInput(oneViolation("domainName", "Member must have length less than or equal to 253")),
		},
		{
			name: "DomainName leading hyphen",
			send: sdkRequest(acm.RequestCertificateInput{DomainName: aws.String("-a.com")}),
			want: badInput(oneViolation("domainName", domainPatternClause)),
		},
		{
			name: "DomainName empty label",
			send: sdkRequest(acm.RequestCertificateInput{DomainName: aws.String("a..com")}),
			want: badInput(oneViolation("domainName", domainPatternClause)),
		},
		{
			name: "DomainName with space",
			send: sdkRequest(acm.RequestCertificateInput{DomainName: aws.String("exa mple.com")}),
			want: badInput(oneViolation("domainName", domainPatternClause)),
		},
		{
			name: "DomainName two wildcards",
			send: sdkRequest(acm.RequestCertificateInput{DomainName: aws.String("*.*.example.com")}),
			want: badInput(oneViolation("domainName", domainPatternClause)),
		},
		{
			name: "DomainName 65 octets",
			send: sdkRequest(acm.RequestCertificateInput{DomainName: aws.String(name65)}),
			want: clientError("InvalidDomainValidationOptionsException", "The first domain name can be no longer than 64 characters."),
		},
		{
			name: "SAN of 254 characters",
			send: sdkRequest(acm.RequestCertificateInput{
				DomainName:              aws.String("example.com"),
				SubjectAlternativeNames: []string{"www.example.com", name254},
			}),
			want: badInput(oneViolation("subjectAlternativeNames", domainNameElementClause)),
		},
		{
			name: "SAN with 64-character label",
			send: sdkRequest(acm.RequestCertificateInput{
				DomainName:              aws.String("example.com"),
				SubjectAlternativeNames: []string{label64},
			}),
			want: badInput(oneViolation("subjectAlternativeNames", domainNameElementClause)),
		},
		{
			name: "SAN list of 101",
			send: sdkRequest(acm.RequestCertificateInput{
				DomainName:              aws.String("example.com"),
				SubjectAlternativeNames: namesUnder("example.com", 101),
			}),
			want: badInput(oneViolation("subjectAlternativeNames", "Member must have length less than or equal to 100")),
		},
		{
			name: "SAN list empty",
			send: viaRaw("RequestCertificate", `{"DomainName": "example.com", "SubjectAlternativeNames": []}`),
			want: badInput(oneViolation("subjectAlternativeNames", "Member must have length greater than or equal to 1")),
		},
		{
			name: "11 distinct names over quota of 10",
			send: sdkRequest(acm.RequestCertificateInput{
				DomainName:              aws.String("example.com"),
				SubjectAlternativeNames: namesUnder("example.com", 10),
			}),
			want: clientError("LimitExceededException", "Certificate has too many domains."),
		},
		{
			name: "several members fail in model order",
			send: sdkRequest(acm.RequestCertificateInput{
				KeyAlgorithm:     types.KeyAlgorithm("RSA_9"),
				IdempotencyToken: aws.String("bad-token"),
				ValidationMethod: types.ValidationMethod("FOO"),
				DomainName:       aws.String("-a.com"),
			}),
			want: badInput("4 validation errors detected: " +
				violation("domainName", domainPatternClause) + "; " +
				violation("validationMethod", "Member must satisfy enum value set: [EMAIL, DNS, HTTP]") + "; " +
				violation("idempotencyToken", `Member must satisfy regular expression pattern: \w+`) + "; " +
				violation("keyAlgorithm", "Member must satisfy enum value set: [RSA_1024, RSA_2048, RSA_3072, RSA_4096, EC_prime256v1, EC_secp384r1, EC_secp521r1]")),
		},
		{
			name: "ValidationMethod not in enum",
			send: sdkRequest(acm.RequestCertificateInput{DomainName: aws.String("example.com"), ValidationMethod: "FOO"}),
			want: badInput(oneViolation("validationMethod", "Member must satisfy enum value set: [EMAIL, DNS, HTTP]")),
		},
		{
			name: "IdempotencyToken 33 characters",
			send: sdkRequest(acm.RequestCertificateInput{DomainName: aws.String("example.com"), IdempotencyToken: aws.String(strings.Repeat("t", 33))}),
			want: badInput(oneViolation("idempotencyToken", "Member must have length less than or equal to 32")),
		},
		{
			name: "IdempotencyToken with hyphen",
			send: sdkRequest(acm.RequestCertificateInput{DomainName: aws.String("example.com"), IdempotencyToken: aws.String("bad-token")}),
			want: badInput(oneViolation("idempotencyToken", `Member must satisfy regular expression pattern: \w+`)),
		},
		{
			name: "DomainValidationOptions name not requested",
			send: sdkRequest(acm.RequestCertificateInput{
				DomainName:              aws.String("example.com"),
				DomainValidationOptions: []types.DomainValidationOption{{DomainName: aws.String("other.com"), ValidationDomain: aws.String("other.com")}},
			}),
			want: clientError("InvalidDomainValidationOptionsException",
				"DomainValidationOption DomainName other.com is not one of the certificate's domain names."),
		},
		{
			name: "DomainValidationOptions validation domain not a superdomain",
			send: sdkRequest(acm.RequestCertificateInput{
				DomainName:              aws.String("www.example.com"),
				DomainValidationOptions: []types.DomainValidationOption{{DomainName: aws.String("www.example.com"), ValidationDomain: aws.String("example.org")}},
			}),
			want: clientError("InvalidDomainValidationOptionsException",
				"ValidationDomain example.org is neither www.example.com nor a superdomain of it."),
		},
		{
			name: "DomainValidationOptions validation domain a suffix but not a parent",
			send: sdkRequest(acm.RequestCertificateInput{
				DomainName:              aws.String("www.example.com"),
				DomainValidationOptions: []types.DomainValidationOption{{DomainName: aws.String("www.example.com"), ValidationDomain: aws.String("ample.com")}},
			}),
			want: clientError("InvalidDomainValidationOptionsException",
				"ValidationDomain ample.com is neither www.example.com nor a superdomain of it."),
		},
		{
			name: "DomainValidationOptions ValidationDomain missing",
			send: viaRaw("RequestCertificate", `{"DomainName": "example.com", "DomainValidationOptions": [{"DomainName": "example.com"}]}`),
			want: badInput(oneViolation("domainValidationOptions.1.member.validationDomain", "Member must not be null")),
		},
		{
			name: "KeyAlgorithm RSA_4096 on public certificate",
			send: sdkRequest(acm.RequestCertificateInput{DomainName: aws.String("example.com"), KeyAlgorithm: types.KeyAlgorithmRsa4096}),
			want: clientError("InvalidParameterException",
				"Key algorithm RSA_4096 is not supported for public certificates. Supported algorithms: "+keyAlgorithms+"."),
		},
		{
			name: "KeyAlgorithm EC_secp521r1 on public certificate",
			send: sdkRequest(acm.RequestCertificateInput{DomainName: aws.String("example.com"), KeyAlgorithm: types.KeyAlgorithmEcSecp521r1}),
			want: clientError("InvalidParameterException",
				"Key algorithm EC_secp521r1 is not supported for public certificates. Supported algorithms: "+keyAlgorithms+"."),
		},
		{
			name: "KeyAlgorithm RSA_1024 on public certificate",
			send: sdkRequest(acm.RequestCertificateInput{DomainName: aws.String("example.com"), KeyAlgorithm: types.KeyAlgorithmRsa1024}),
			want: clientError("InvalidParameterException",
				"Key algorithm RSA_1024 is not supported for public certificates. Supported algorithms: "+keyAlgorithms+"."),
		},
		{
			name: "KeyAlgorithm not in enum",
			send: sdkRequest(acm.RequestCertificateInput{DomainName: aws.String("example.com"), KeyAlgorithm: "RSA-2048"}),
			want: badInput(oneViolation("keyAlgorithm",
				"Member must satisfy enum value set: [RSA_1024, RSA_2048, RSA_3072, RSA_4096, EC_prime256v1, EC_secp384r1, EC_secp521r1]")),
		},
		{
			name: "51 tags",
			send: sdkRequest(acm.RequestCertificateInput{DomainName: aws.String("example.com"), Tags: numberedTags("k", 51)}),
			want: badInput(oneViolation("tags", "Member must have length less than or equal to 50")),
		},
		{
			name: "tag key 129 characters",
			send: sdkRequest(acm.RequestCertificateInput{DomainName: aws.String("example.com"), Tags: []types.Tag{{Key: aws.String(strings.Repeat("k", 129))}}}),
			want: badInput(oneViolation("tags.1.member.key", "Member must have length less than or equal to 128")),
		},
		{
			name: "tag value 257 characters",
			send: sdkRequest(acm.RequestCertificateInput{
				DomainName: aws.String("example.com"),
				Tags:       []types.Tag{{Key: aws.String("ok")}, {Key: aws.String("long"), Value: aws.String(strings.Repeat("v", 257))}},
			}),
			want: badInput(oneViolation("tags.2.member.value", "Member must have length less than or equal to 256")),
		},
		{
			name: "tag key missing",
			send: viaRaw("RequestCertificate", `{"DomainName": "example.com", "Tags": [{"Value": "v"}]}`),
			want: badInput(oneViolation("tags.1.member.key", "Member must not be null")),
		},
		{
			name: "tag key in aws namespace",
			send: sdkRequest(acm.RequestCertificateInput{DomainName: aws.String("example.com"), Tags: []types.Tag{{Key: aws.String("aws:x"), Value: aws.String("v")}}}),
			want: clientError("InvalidTagException", "Tag key aws:x is invalid: keys that start with aws: are reserved for AWS use."),
		},
		{
			name: "CertificateAuthorityArn of acm not acm-pca",
			send: sdkRequest(acm.RequestCertificateInput{
				DomainName:              aws.String("example.com"),
				CertificateAuthorityArn: aws.String("arn:aws:acm:us-east-1:000000000000:certificate-authority/x"),
			}),
			want: badInput(oneViolation("certificateAuthorityArn", "Member must satisfy regular expression pattern: "+pcaArnPattern)),
		},
	}
}

func TestRequestCertificateInputErrors(t *testing.T) {
	s := startServer(t)

	for _, tc := range requestCertificateErrorCases() {
		t.Run(tc.name, func(t *testing.T) {
			checkFailure(t, tc.send(t, s), tc.want)
		})
	}
}

func TestOtherOperationInputErrors(t *testing.T) {
	s := startServer(t)
	badArn := "certificate/00000000-0000-0000-0000-000000000000"
	arnPatternClause := "Member must satisfy regular expression pattern: " + arnPattern

	cases := []struct {
		name string
		send sendFunc
		want apiFailure
	}{
		{
			name: "DescribeCertificate ARN missing",
			send: viaRaw("DescribeCertificate", `{}`),
			want: badInput(oneViolation("certificateArn", "Member must not be null")),
		},
		{
			name: "DescribeCertificate ARN fails pattern",
			send: viaSDK(func(ctx context.Context, client *acm.Client) error {
				_, err := client.DescribeCertificate(ctx, &acm.DescribeCertificateInput{CertificateArn: aws.String(badArn)})
				return err
			}),
			want: badInput(oneViolation("certificateArn", arnPatternClause)),
		},
		{
			name: "GetCertificate ARN too short",
			send: viaSDK(func(ctx context.Context, client *acm.Client) error {
				_, err := client.GetCertificate(ctx, &acm.GetCertificateInput{CertificateArn: aws.String("arn:x")})
				return err
			}),
			want: badInput("2 validation errors detected: " +
				violation("certificateArn", "Member must have length greater than or equal to 20") + "; " +
				violation("certificateArn", arnPatternClause)),
		},
		{
			name: "DeleteCertificate ARN fails pattern",
			send: viaSDK(func(ctx context.Context, client *acm.Client) error {
				_, err := client.DeleteCertificate(ctx, &acm.DeleteCertificateInput{CertificateArn: aws.String(badArn)})
				return err
			}),
			want: badInput(oneViolation("certificateArn", arnPatternClause)),
		},
		{
			name: "AddTagsToCertificate Tags missing",
			send: viaRaw("AddTagsToCertificate", `{"CertificateArn": "`+missingArn+`"}`),
			want: badInput(oneViolation("tags", "Member must not be null")),
		},
		{
			name: "AddTagsToCertificate bad ARN and 51 tags",
			send: viaSDK(func(ctx context.Context, client *acm.Client) error {
				_, err := client.AddTagsToCertificate(ctx, &acm.AddTagsToCertificateInput{CertificateArn: aws.String(badArn), Tags: numberedTags("k", 51)})
				return err
			}),
			want: badInput("2 validation errors detected: " +
				violation("certificateArn", arnPatternClause) + "; " +
				violation("tags", "Member must have length less than or equal to 50")),
		},
		{
			name: "RemoveTagsFromCertificate aws tag key",
			send: viaSDK(func(ctx context.Context, client *acm.Client) error {
				_, err := client.RemoveTagsFromCertificate(ctx, &acm.RemoveTagsFromCertificateInput{
					CertificateArn: aws.String(missingArn),
					Tags:           []types.Tag{{Key: aws.String("aws:cloudformation:stack-name")}},
				})
				return err
			}),
			want: clientError("InvalidTagException",
				"Tag key aws:cloudformation:stack-name is invalid: keys that start with aws: are reserved for AWS use."),
		},
		{
			name: "ListCertificates MaxItems 0",
			send: sdkList(acm.ListCertificatesInput{MaxItems: aws.Int32(0)}),
			want: badInput(oneViolation("maxItems", "Member must have value greater than or equal to 1")),
		},
		{
			name: "ListCertificates MaxItems 1001",
			send: sdkList(acm.ListCertificatesInput{MaxItems: aws.Int32(1001)}),
			want: badInput(oneViolation("maxItems", "Member must have value less than or equal to 1000")),
		},
		{
			name: "ListCertificates SortBy without SortOrder",
			send: sdkList(acm.ListCertificatesInput{SortBy: types.SortByCreatedAt}),
			want: badInput("SortBy and SortOrder must be specified together."),
		},
		{
			name: "ListCertificates SortOrder without SortBy",
			send: sdkList(acm.ListCertificatesInput{SortOrder: types.SortOrderDescending}),
			want: badInput("SortBy and SortOrder must be specified together."),
		},
		{
			name: "ListCertificates SortOrder not in enum",
			send: sdkList(acm.ListCertificatesInput{SortBy: types.SortByCreatedAt, SortOrder: "UP"}),
			want: badInput(oneViolation("sortOrder", "Member must satisfy enum value set: [ASCENDING, DESCENDING]")),
		},
		{
			name: "ListCertificates garbage NextToken",
			send: sdkList(acm.ListCertificatesInput{NextToken: aws.String("garbage")}),
			want: clientError("InvalidArgsException", `The NextToken "garbage" is invalid.`),
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkFailure(t, tc.send(t, s), tc.want)
		})
	}
}

func TestCertificateNotFoundErrors(t *testing.T) {
	s := startServer(t)
	client := s.client("us-east-1")
	existing := requestOrFail(t, client, &acm.RequestCertificateInput{DomainName: aws.String("example.com"), ValidationMethod: types.ValidationMethodDns})
	otherAccount := strings.Replace(existing, ":000000000000:", ":111111111111:", 1)

	tags := []types.Tag{{Key: aws.String("team"), Value: aws.String("web")}}
	calls := []struct {
		operation string
		call      func(ctx context.Context, client *acm.Client, arn string) error
	}{
		{"GetCertificate", func(ctx context.Context, client *acm.Client, arn string) error {
			_, err := client.GetCertificate(ctx, &acm.GetCertificateInput{CertificateArn: aws.String(arn)})
			return err
		}},
		{"DeleteCertificate", func(ctx context.Context, client *acm.Client, arn string) error {
			_, err := client.DeleteCertificate(ctx, &acm.DeleteCertificateInput{CertificateArn: aws.String(arn)})
			return err
		}},
		{"ListTagsForCertificate", func(ctx context.Context, client *acm.Client, arn string) error {
			_, err := client.ListTagsForCertificate(ctx, &acm.ListTagsForCertificateInput{CertificateArn: aws.String(arn)})
			return err
		}},
		{"AddTagsToCertificate", func(ctx context.Context, client *acm.Client, arn string) error {
			_, err := client.AddTagsToCertificate(ctx, &acm.AddTagsToCertificateInput{CertificateArn: aws.String(arn), Tags: tags})
			return err
		}},
		{"RemoveTagsFromCertificate", func(ctx context.Context, client *acm.Client, arn string) error {
			_, err := client.RemoveTagsFromCertificate(ctx, &acm.RemoveTagsFromCertificateInput{CertificateArn: aws.String(arn), Tags: tags})
			return err
		}},
	}

	// lookups pairs a region to call from with an ARN that the caller does
	// not own there.
	lookups := []struct {
		name   string
		region string
		arn    string
	}{
		{"unknown id", "us-east-1", missingArn},
		{"other region", "us-west-2", existing},
		{"other account", "us-east-1", otherAccount},
	}

	for _, lookup := range lookups {
		regionClient := s.client(lookup.region)

		t.Run(lookup.name+"/DescribeCertificate", func(t *testing.T) {
			_, err := regionClient.DescribeCertificate(context.Background(), &acm.DescribeCertificateInput{CertificateArn: aws.String(lookup.arn)})
			expectSDKError(t, err, clientError("ResourceNotFoundException",
				"Could not find certificate "+lookup.arn+" in account 000000000000."))
		})

		for _, c := range calls {
			t.Run(lookup.name+"/"+c.operation, func(t *testing.T) {
				err := c.call(context.Background(), regionClient, lookup.arn)
				expectSDKError(t, err, clientError("ResourceNotFoundException", "Could not find certificate "+lookup.arn+"."))
			})
		}
	}

	// The calls from another region or account must not have deleted or
	// tagged the certificate, so it still describes and has no tags.
	describeOrFail(t, client, existing)
	tagsOut, err := client.ListTagsForCertificate(context.Background(), &acm.ListTagsForCertificateInput{CertificateArn: aws.String(existing)})
	if err != nil {
		t.Fatalf("list tags of %s: %v", existing, err)
	}
	if len(tagsOut.Tags) != 0 {
		t.Errorf("tags of %s = %v, want none after calls from another region or account", existing, tagsOut.Tags)
	}
}

func TestDomainNameLimits(t *testing.T) {
	s := startServer(t)
	client := s.client("us-east-1")

	t.Run("DomainName of 64 octets accepted", func(t *testing.T) {
		arn := requestOrFail(t, client, &acm.RequestCertificateInput{DomainName: aws.String(name64), ValidationMethod: types.ValidationMethodDns})

		if got := aws.ToString(describeOrFail(t, client, arn).DomainName); got != name64 {
			t.Errorf("DomainName = %q, want %q", got, name64)
		}
	})

	t.Run("duplicate SANs not counted", func(t *testing.T) {
		// Nine other names plus DomainName make ten, the quota. DomainName
		// and one other name appear twice in the list and must count once.
		others := namesUnder("example.net", 9)
		sans := append([]string{others[0], "example.net"}, others...)
		arn := requestOrFail(t, client, &acm.RequestCertificateInput{
			DomainName:              aws.String("example.net"),
			SubjectAlternativeNames: sans,
			ValidationMethod:        types.ValidationMethodDns,
		})

		got := describeOrFail(t, client, arn).SubjectAlternativeNames
		want := append([]string{"example.net"}, others...)
		if !slices.Equal(got, want) {
			t.Errorf("SubjectAlternativeNames = %v\nwant %v", got, want)
		}
	})

	t.Run("DomainName alone is one name", func(t *testing.T) {
		arn := requestOrFail(t, client, &acm.RequestCertificateInput{DomainName: aws.String("solo.example.com"), ValidationMethod: types.ValidationMethodDns})

		got := describeOrFail(t, client, arn).SubjectAlternativeNames
		if !slices.Equal(got, []string{"solo.example.com"}) {
			t.Errorf("SubjectAlternativeNames = %v, want [solo.example.com]", got)
		}
	})
}

func TestDefaultValidationMethodEmail(t *testing.T) {
	s := startServer(t)
	client := s.client("us-east-1")

	arn := requestOrFail(t, client, &acm.RequestCertificateInput{DomainName: aws.String("example.org")})

	options := describeOrFail(t, client, arn).DomainValidationOptions
	if len(options) != 1 {
		t.Fatalf("DomainValidationOptions has %d entries, want 1", len(options))
	}
	option := options[0]
	if option.ValidationMethod != types.ValidationMethodEmail {
		t.Errorf("ValidationMethod = %q, want EMAIL", option.ValidationMethod)
	}
	wantEmails := []string{"admin@example.org", "administrator@example.org", "hostmaster@example.org", "postmaster@example.org", "webmaster@example.org"}
	gotEmails := slices.Sorted(slices.Values(option.ValidationEmails))
	if !slices.Equal(gotEmails, wantEmails) {
		t.Errorf("ValidationEmails = %v, want %v", option.ValidationEmails, wantEmails)
	}
	if option.ResourceRecord != nil {
		t.Errorf("ResourceRecord = %+v, want none for EMAIL validation", *option.ResourceRecord)
	}
}

func TestValidationDomainSuperdomain(t *testing.T) {
	s := startServer(t)
	client := s.client("us-east-1")

	arn := requestOrFail(t, client, &acm.RequestCertificateInput{
		DomainName:              aws.String("www.shop.example.com"),
		DomainValidationOptions: []types.DomainValidationOption{{DomainName: aws.String("www.shop.example.com"), ValidationDomain: aws.String("example.com")}},
	})

	options := describeOrFail(t, client, arn).DomainValidationOptions
	if len(options) != 1 {
		t.Fatalf("DomainValidationOptions has %d entries, want 1", len(options))
	}
	if got := aws.ToString(options[0].ValidationDomain); got != "example.com" {
		t.Errorf("ValidationDomain = %q, want example.com", got)
	}
	if !slices.Contains(options[0].ValidationEmails, "admin@example.com") {
		t.Errorf("ValidationEmails = %v, want addresses at example.com", options[0].ValidationEmails)
	}
}

func TestIdempotencyToken(t *testing.T) {
	s := startServer(t)
	east := s.client("us-east-1")
	west := s.client("us-west-2")

	first := requestOrFail(t, east, &acm.RequestCertificateInput{DomainName: aws.String("example.com"), IdempotencyToken: aws.String("token_1")})

	t.Run("same token returns same ARN despite other parameters", func(t *testing.T) {
		again := requestOrFail(t, east, &acm.RequestCertificateInput{
			DomainName:       aws.String("other.example.org"),
			ValidationMethod: types.ValidationMethodDns,
			IdempotencyToken: aws.String("token_1"),
		})
		if again != first {
			t.Errorf("second request ARN = %s, want first ARN %s", again, first)
		}
		if got := aws.ToString(describeOrFail(t, east, first).DomainName); got != "example.com" {
			t.Errorf("DomainName after repeat = %q, want the first request's example.com", got)
		}
	})

	t.Run("different token returns new ARN", func(t *testing.T) {
		other := requestOrFail(t, east, &acm.RequestCertificateInput{DomainName: aws.String("example.com"), IdempotencyToken: aws.String("token_2")})
		if other == first {
			t.Errorf("token_2 returned the ARN of token_1: %s", other)
		}
	})

	t.Run("same token in other region returns new ARN", func(t *testing.T) {
		other := requestOrFail(t, west, &acm.RequestCertificateInput{DomainName: aws.String("example.com"), IdempotencyToken: aws.String("token_1")})
		if other == first {
			t.Errorf("us-west-2 returned the us-east-1 ARN %s", other)
		}
		if !strings.HasPrefix(other, "arn:aws:acm:us-west-2:000000000000:certificate/") {
			t.Errorf("us-west-2 ARN = %s, want one in us-west-2", other)
		}
	})
}

func TestKeyAlgorithmDisplay(t *testing.T) {
	s := startServer(t)
	client := s.client("us-east-1")

	cases := []struct {
		requested types.KeyAlgorithm
		described types.KeyAlgorithm
	}{
		{"", "RSA-2048"},
		{types.KeyAlgorithmRsa2048, "RSA-2048"},
		{types.KeyAlgorithmEcPrime256v1, "EC-prime256v1"},
		{types.KeyAlgorithmEcSecp384r1, "EC-secp384r1"},
	}
	for _, tc := range cases {
		t.Run(string(tc.requested), func(t *testing.T) {
			arn := requestOrFail(t, client, &acm.RequestCertificateInput{
				DomainName:       aws.String("example.com"),
				ValidationMethod: types.ValidationMethodDns,
				KeyAlgorithm:     tc.requested,
			})

			if got := describeOrFail(t, client, arn).KeyAlgorithm; got != tc.described {
				t.Errorf("KeyAlgorithm = %q, want %q", got, tc.described)
			}
		})
	}
}

func TestTooManyTagsLeavesTagsUnchanged(t *testing.T) {
	s := startServer(t)
	client := s.client("us-east-1")
	arn := requestOrFail(t, client, &acm.RequestCertificateInput{
		DomainName:       aws.String("example.com"),
		ValidationMethod: types.ValidationMethodDns,
		Tags:             numberedTags("before", 45),
	})

	_, err := client.AddTagsToCertificate(context.Background(), &acm.AddTagsToCertificateInput{
		CertificateArn: aws.String(arn),
		Tags:           numberedTags("after", 6),
	})

	expectSDKError(t, err, clientError("TooManyTagsException",
		"The request would leave certificate "+arn+" with more than 50 tags."))
	out, err := client.ListTagsForCertificate(context.Background(), &acm.ListTagsForCertificateInput{CertificateArn: aws.String(arn)})
	if err != nil {
		t.Fatalf("list tags: %v", err)
	}
	if len(out.Tags) != 45 {
		t.Errorf("certificate has %d tags after the rejected add, want 45", len(out.Tags))
	}
	for _, tag := range out.Tags {
		if strings.HasPrefix(aws.ToString(tag.Key), "after") {
			t.Errorf("tag %s was added by the rejected request", aws.ToString(tag.Key))
		}
	}
}

func TestPrivateCertificateUnknownCA(t *testing.T) {
	s := startServer(t)
	client := s.client("us-east-1")
	caArn := "arn:aws:acm-pca:us-east-1:000000000000:certificate-authority/12345678-1234-1234-1234-123456789012"

	arn := requestOrFail(t, client, &acm.RequestCertificateInput{DomainName: aws.String("internal.example.com"), CertificateAuthorityArn: aws.String(caArn)})

	if !strings.HasPrefix(arn, "arn:aws:acm:us-east-1:000000000000:certificate/") {
		t.Errorf("ARN = %s, want an ACM certificate ARN", arn)
	}
	detail := waitForStatus(t, client, arn, "FAILED").Certificate
	if detail.Type != types.CertificateTypePrivate {
		t.Errorf("Type = %q, want PRIVATE", detail.Type)
	}
	if detail.FailureReason != types.FailureReasonPcaResourceNotFound {
		t.Errorf("FailureReason = %q, want PCA_RESOURCE_NOT_FOUND", detail.FailureReason)
	}
	if got := aws.ToString(detail.CertificateAuthorityArn); got != caArn {
		t.Errorf("CertificateAuthorityArn = %q, want %q", got, caArn)
	}
}

func TestGetCertificatePending(t *testing.T) {
	// Auto validation an hour away keeps the certificate pending for as
	// long as the test needs.
	s := startServer(t, func(c *config.Config) { c.AutoValidateDelay = time.Hour })
	client := s.client("us-east-1")

	arn := requestOrFail(t, client, &acm.RequestCertificateInput{DomainName: aws.String("example.com")})
	waitForStatus(t, client, arn, "PENDING_VALIDATION")

	_, err := client.GetCertificate(context.Background(), &acm.GetCertificateInput{CertificateArn: aws.String(arn)})

	expectSDKError(t, err, clientError("RequestInProgressException",
		"Certificate "+arn+" is in status PENDING_VALIDATION and has not been issued."))
}
