package integration

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acmpca"
	pcatypes "github.com/aws/aws-sdk-go-v2/service/acmpca/types"
)

func TestPCAManagement(t *testing.T) {
	s := startServer(t)
	client := s.pcaClient("us-east-1")
	ctx := context.Background()

	input := caInput(pcatypes.CertificateAuthorityTypeRoot, "Managed Root", nil)
	input.IdempotencyToken = aws.String("managed")
	input.Tags = []pcatypes.Tag{{Key: aws.String("team"), Value: aws.String("pki")}}
	rootArn := createCA(t, client, input)
	again, err := client.CreateCertificateAuthority(ctx, input)
	if err != nil || aws.ToString(again.CertificateAuthorityArn) != rootArn {
		t.Errorf("create with the same token = %v, %v; want %s", aws.ToString(again.CertificateAuthorityArn), err, rootArn)
	}
	second := createCA(t, client, caInput(pcatypes.CertificateAuthorityTypeSubordinate, "Second", nil))

	var listed []string
	pages := acmpca.NewListCertificateAuthoritiesPaginator(client, &acmpca.ListCertificateAuthoritiesInput{MaxResults: aws.Int32(1)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListCertificateAuthorities: %v", err)
		}
		for _, ca := range page.CertificateAuthorities {
			listed = append(listed, aws.ToString(ca.Arn))
		}
	}
	if strings.Join(listed, ",") != rootArn+","+second {
		t.Errorf("listed %v, want [%s %s]", listed, rootArn, second)
	}

	if _, err := client.TagCertificateAuthority(ctx, &acmpca.TagCertificateAuthorityInput{
		CertificateAuthorityArn: aws.String(rootArn), Tags: []pcatypes.Tag{{Key: aws.String("env"), Value: aws.String("test")}},
	}); err != nil {
		t.Fatalf("TagCertificateAuthority: %v", err)
	}
	if _, err := client.UntagCertificateAuthority(ctx, &acmpca.UntagCertificateAuthorityInput{
		CertificateAuthorityArn: aws.String(rootArn), Tags: []pcatypes.Tag{{Key: aws.String("team")}},
	}); err != nil {
		t.Fatalf("UntagCertificateAuthority: %v", err)
	}
	tags, err := client.ListTags(ctx, &acmpca.ListTagsInput{CertificateAuthorityArn: aws.String(rootArn)})
	if err != nil {
		t.Fatalf("ListTags: %v", err)
	}
	if len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Key) != "env" {
		t.Errorf("tags = %+v, want only env", tags.Tags)
	}

	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":["acm-pca:IssueCertificate","acm-pca:GetCertificate"],"Resource":"` + rootArn + `"}]}`
	if _, err := client.PutPolicy(ctx, &acmpca.PutPolicyInput{ResourceArn: aws.String(rootArn), Policy: aws.String(policy)}); err != nil {
		t.Fatalf("PutPolicy: %v", err)
	}
	got, err := client.GetPolicy(ctx, &acmpca.GetPolicyInput{ResourceArn: aws.String(rootArn)})
	if err != nil || aws.ToString(got.Policy) != policy {
		t.Errorf("GetPolicy = %v, %v; want the policy put", aws.ToString(got.Policy), err)
	}
	_, err = client.PutPolicy(ctx, &acmpca.PutPolicyInput{ResourceArn: aws.String(rootArn), Policy: aws.String("not json")})
	if code, _ := apiError(t, err); code != "InvalidPolicyException" {
		t.Errorf("PutPolicy(not JSON): %s, want InvalidPolicyException", code)
	}
	if _, err := client.DeletePolicy(ctx, &acmpca.DeletePolicyInput{ResourceArn: aws.String(rootArn)}); err != nil {
		t.Fatalf("DeletePolicy: %v", err)
	}

	permission := &acmpca.CreatePermissionInput{
		CertificateAuthorityArn: aws.String(rootArn),
		Principal:               aws.String("acm.amazonaws.com"),
		Actions:                 []pcatypes.ActionType{pcatypes.ActionTypeIssueCertificate},
	}
	if _, err := client.CreatePermission(ctx, permission); err != nil {
		t.Fatalf("CreatePermission: %v", err)
	}
	_, err = client.CreatePermission(ctx, permission)
	if code, _ := apiError(t, err); code != "PermissionAlreadyExistsException" {
		t.Errorf("second CreatePermission: %s, want PermissionAlreadyExistsException", code)
	}
	permissions, err := client.ListPermissions(ctx, &acmpca.ListPermissionsInput{CertificateAuthorityArn: aws.String(rootArn)})
	if err != nil || len(permissions.Permissions) != 1 || aws.ToString(permissions.Permissions[0].SourceAccount) != "000000000000" {
		t.Errorf("ListPermissions = %+v, %v; want one permission of account 000000000000", permissions, err)
	}
	if _, err := client.DeletePermission(ctx, &acmpca.DeletePermissionInput{
		CertificateAuthorityArn: aws.String(rootArn), Principal: aws.String("acm.amazonaws.com"),
	}); err != nil {
		t.Fatalf("DeletePermission: %v", err)
	}

	activateRoot(t, client, rootArn)
	report, err := client.CreateCertificateAuthorityAuditReport(ctx, &acmpca.CreateCertificateAuthorityAuditReportInput{
		CertificateAuthorityArn:   aws.String(rootArn),
		S3BucketName:              aws.String("audit-bucket"),
		AuditReportResponseFormat: pcatypes.AuditReportResponseFormatJson,
	})
	if err != nil {
		t.Fatalf("CreateCertificateAuthorityAuditReport: %v", err)
	}
	described, err := client.DescribeCertificateAuthorityAuditReport(ctx, &acmpca.DescribeCertificateAuthorityAuditReportInput{
		CertificateAuthorityArn: aws.String(rootArn), AuditReportId: report.AuditReportId,
	})
	if err != nil || described.AuditReportStatus != pcatypes.AuditReportStatusSuccess || aws.ToString(described.S3Key) != aws.ToString(report.S3Key) {
		t.Fatalf("DescribeCertificateAuthorityAuditReport = %+v, %v", described, err)
	}

	id := rootArn[strings.LastIndex(rootArn, "/")+1:]
	body := httpGet(t, s.url()+"/pca/audit/us-east-1/000000000000/"+id+"/"+aws.ToString(report.AuditReportId)+".json")
	var entries []map[string]string
	if err := json.Unmarshal(body, &entries); err != nil {
		t.Fatalf("audit report is not a JSON list: %v: %s", err, body)
	}
	if len(entries) != 1 || !strings.HasPrefix(entries[0]["certificateArn"], rootArn+"/certificate/") {
		t.Errorf("audit report = %v, want the root's own certificate", entries)
	}
}
