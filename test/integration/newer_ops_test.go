package integration

import (
	"context"
	"crypto/elliptic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/acm/types"
)

func TestUpdateCertificateOptions(t *testing.T) {
	srv := startServer(t)
	client := srv.client("us-east-1")
	ctx := context.Background()

	req, err := client.RequestCertificate(ctx, &acm.RequestCertificateInput{DomainName: aws.String("opts.example.com"), ValidationMethod: types.ValidationMethodDns})
	if err != nil {
		t.Fatalf("RequestCertificate: %v", err)
	}
	waitForStatus(t, client, aws.ToString(req.CertificateArn), "ISSUED")

	_, err = client.UpdateCertificateOptions(ctx, &acm.UpdateCertificateOptionsInput{CertificateArn: req.CertificateArn,
		Options: &types.CertificateOptions{CertificateTransparencyLoggingPreference: types.CertificateTransparencyLoggingPreferenceDisabled}})
	if err != nil {
		t.Fatalf("UpdateCertificateOptions: %v", err)
	}
	desc := waitForStatus(t, client, aws.ToString(req.CertificateArn), "ISSUED")
	if got := desc.Certificate.Options.CertificateTransparencyLoggingPreference; got != types.CertificateTransparencyLoggingPreferenceDisabled {
		t.Errorf("CT preference = %s, want DISABLED", got)
	}

	_, err = client.UpdateCertificateOptions(ctx, &acm.UpdateCertificateOptionsInput{CertificateArn: req.CertificateArn,
		Options: &types.CertificateOptions{Export: types.CertificateExportEnabled}})
	if code, _ := apiError(t, err); code != "ValidationException" {
		t.Errorf("changing Export: %s, want ValidationException", code)
	}
}

func TestAccountConfiguration(t *testing.T) {
	srv := startServer(t)
	client := srv.client("us-east-1")
	ctx := context.Background()

	get := func() int32 {
		t.Helper()
		out, err := client.GetAccountConfiguration(ctx, &acm.GetAccountConfigurationInput{})
		if err != nil {
			t.Fatalf("GetAccountConfiguration: %v", err)
		}
		return aws.ToInt32(out.ExpiryEvents.DaysBeforeExpiry)
	}
	if days := get(); days != 45 {
		t.Errorf("default DaysBeforeExpiry = %d, want 45", days)
	}

	put := func(days int32, token string) {
		t.Helper()
		_, err := client.PutAccountConfiguration(ctx, &acm.PutAccountConfigurationInput{IdempotencyToken: aws.String(token),
			ExpiryEvents: &types.ExpiryEventsConfiguration{DaysBeforeExpiry: aws.Int32(days)}})
		if err != nil {
			t.Fatalf("PutAccountConfiguration: %v", err)
		}
	}
	put(30, "first")
	put(10, "first")
	if days := get(); days != 30 {
		t.Errorf("after a repeated token DaysBeforeExpiry = %d, want 30", days)
	}
	put(10, "second")
	if days := get(); days != 10 {
		t.Errorf("DaysBeforeExpiry = %d, want 10", days)
	}

	_, err := client.PutAccountConfiguration(ctx, &acm.PutAccountConfigurationInput{IdempotencyToken: aws.String("bad-token!"),
		ExpiryEvents: &types.ExpiryEventsConfiguration{DaysBeforeExpiry: aws.Int32(5)}})
	if code, _ := apiError(t, err); code != "ValidationException" {
		t.Errorf("bad token: %s, want ValidationException", code)
	}
}

func TestSearchCertificatesSDK(t *testing.T) {
	srv := startServer(t)
	client := srv.client("us-east-1")
	ctx := context.Background()
	pki := newTestPKI(t)

	key := ecKey(t, elliptic.P384())
	leaf := signCert(t, leafTemplate("search.example.net", "alt.search.example.net"), pki.intermediate, key.Public(), pki.intermediateKey)
	imported, err := client.ImportCertificate(ctx, &acm.ImportCertificateInput{Certificate: certPEM(leaf), PrivateKey: keyPEM(t, key)})
	if err != nil {
		t.Fatalf("ImportCertificate: %v", err)
	}
	for _, name := range []string{"a.example.com", "b.example.com"} {
		if _, err := client.RequestCertificate(ctx, &acm.RequestCertificateInput{DomainName: aws.String(name), ValidationMethod: types.ValidationMethodDns}); err != nil {
			t.Fatalf("RequestCertificate: %v", err)
		}
	}

	out, err := client.SearchCertificates(ctx, &acm.SearchCertificatesInput{
		FilterStatement: &types.CertificateFilterStatementMemberAnd{Value: []types.CertificateFilterStatement{
			&types.CertificateFilterStatementMemberFilter{Value: &types.CertificateFilterMemberX509AttributeFilter{
				Value: &types.X509AttributeFilterMemberSubjectAlternativeName{Value: &types.SubjectAlternativeNameFilterMemberDnsName{
					Value: types.DnsNameFilter{Value: aws.String("SEARCH.example"), ComparisonOperator: types.ComparisonOperatorContains}}}}},
			&types.CertificateFilterStatementMemberNot{Value: &types.CertificateFilterStatementMemberFilter{
				Value: &types.CertificateFilterMemberAcmCertificateMetadataFilter{Value: &types.AcmCertificateMetadataFilterMemberType{Value: types.CertificateTypeAmazonIssued}}}},
		}},
		SortBy: types.SearchCertificatesSortByCommonName, SortOrder: types.SearchCertificatesSortOrderDescending,
	})
	if err != nil {
		t.Fatalf("SearchCertificates: %v", err)
	}
	if len(out.Results) != 1 || aws.ToString(out.Results[0].CertificateArn) != aws.ToString(imported.CertificateArn) {
		t.Fatalf("results = %d, want only the imported certificate", len(out.Results))
	}
	attributes := out.Results[0].X509Attributes
	if attributes == nil || aws.ToString(attributes.Subject.CommonName) != "search.example.net" || attributes.KeyAlgorithm != types.KeyAlgorithmEcSecp384r1 {
		t.Errorf("X509Attributes = %+v", attributes)
	}
	metadata, ok := out.Results[0].CertificateMetadata.(*types.CertificateMetadataMemberAcmCertificateMetadata)
	if !ok || metadata.Value.Type != types.CertificateTypeImported || metadata.Value.CertificateKeyPairOrigin != types.CertificateKeyPairOriginCustomerProvided {
		t.Errorf("CertificateMetadata = %+v", out.Results[0].CertificateMetadata)
	}

	paged := acm.NewSearchCertificatesPaginator(client, &acm.SearchCertificatesInput{MaxResults: aws.Int32(1)})
	seen := 0
	for paged.HasMorePages() {
		page, err := paged.NextPage(ctx)
		if err != nil {
			t.Fatalf("SearchCertificates page: %v", err)
		}
		seen += len(page.Results)
	}
	if seen != 3 {
		t.Errorf("paged search saw %d certificates, want 3", seen)
	}
}

func TestListCertificateDomainValidations(t *testing.T) {
	srv := startServer(t)
	client := srv.client("us-east-1")
	ctx := context.Background()

	req, err := client.RequestCertificate(ctx, &acm.RequestCertificateInput{DomainName: aws.String("dv.example.com"),
		SubjectAlternativeNames: []string{"www.dv.example.com", "api.dv.example.com"}, ValidationMethod: types.ValidationMethodDns})
	if err != nil {
		t.Fatalf("RequestCertificate: %v", err)
	}

	var names []string
	paged := acm.NewListCertificateDomainValidationsPaginator(client, &acm.ListCertificateDomainValidationsInput{CertificateArn: req.CertificateArn, MaxItems: aws.Int32(2)})
	for paged.HasMorePages() {
		page, err := paged.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListCertificateDomainValidations: %v", err)
		}
		for _, summary := range page.DomainValidationSummaryList {
			names = append(names, aws.ToString(summary.DomainName))
			config := summary.ActiveValidationConfiguration
			if config == nil || config.ValidationMethod != types.ValidationMethodDns {
				t.Errorf("%s: active configuration %+v, want DNS", aws.ToString(summary.DomainName), config)
				continue
			}
			if _, ok := config.ValidationChallenge.(*types.ValidationChallengeMemberDnsValidationChallenge); !ok {
				t.Errorf("%s: challenge %T, want a DNS challenge", aws.ToString(summary.DomainName), config.ValidationChallenge)
			}
		}
	}
	if len(names) != 3 || names[0] != "dv.example.com" {
		t.Errorf("names = %v, want the three requested names in order", names)
	}

	_, err = client.ListCertificateDomainValidations(ctx, &acm.ListCertificateDomainValidationsInput{
		CertificateArn: aws.String("arn:aws:acm:us-east-1:000000000000:certificate/00000000-0000-4000-8000-000000000000")})
	if code, _ := apiError(t, err); code != "ResourceNotFoundException" {
		t.Errorf("unknown ARN: %s, want ResourceNotFoundException", code)
	}
}

func TestResourceTagOperations(t *testing.T) {
	srv := startServer(t)
	client := srv.client("us-east-1")
	ctx := context.Background()

	req, err := client.RequestCertificate(ctx, &acm.RequestCertificateInput{DomainName: aws.String("tags.example.com"), ValidationMethod: types.ValidationMethodDns})
	if err != nil {
		t.Fatalf("RequestCertificate: %v", err)
	}
	_, err = client.TagResource(ctx, &acm.TagResourceInput{ResourceArn: req.CertificateArn, Tags: []types.Tag{{Key: aws.String("k")}}})
	if code, _ := apiError(t, err); code != "ValidationException" {
		t.Errorf("TagResource on a certificate: %s, want ValidationException", code)
	}
	_, err = client.ListTagsForResource(ctx, &acm.ListTagsForResourceInput{ResourceArn: aws.String("arn:aws:acm:us-east-1:000000000000:acme-endpoint/abc")})
	if code, _ := apiError(t, err); code != "ResourceNotFoundException" {
		t.Errorf("ListTagsForResource on an unknown endpoint: %s, want ResourceNotFoundException", code)
	}
	_, err = client.UntagResource(ctx, &acm.UntagResourceInput{ResourceArn: aws.String("arn:aws:acm:us-east-1:000000000000:acme-endpoint/abc"), TagKeys: []string{}})
	if code, _ := apiError(t, err); code != "ValidationException" {
		t.Errorf("UntagResource with no keys: %s, want ValidationException", code)
	}

	for _, op := range []func() error{
		func() error {
			_, err := client.ListAcmeEndpoints(ctx, &acm.ListAcmeEndpointsInput{})
			return err
		},
	} {
		if code, _ := apiError(t, op()); code != "UnknownOperationException" {
			t.Errorf("unbuilt operation: %s, want UnknownOperationException", code)
		}
	}
}
