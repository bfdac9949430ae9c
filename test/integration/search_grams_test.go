package integration

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/acm/types"

	"github.com/openacm/openacm/internal/app"
)

// TestSearchBeforeGramsWritten searches by a substring
// of a requested certificate's name while it is pending, once it is
// issued, and once the background indexer has written its grams. The
// search must find it every time.
func TestSearchBeforeGramsWritten(t *testing.T) {
	srv := startServer(t)
	client := srv.client("us-east-1")
	ctx := context.Background()

	requested, err := client.RequestCertificate(ctx, &acm.RequestCertificateInput{
		DomainName: aws.String("deferred-grams.example.org"), ValidationMethod: types.ValidationMethodDns})
	if err != nil {
		t.Fatalf("RequestCertificate: %v", err)
	}
	arn := aws.ToString(requested.CertificateArn)

	search := func(when string) {
		t.Helper()
		out, err := client.SearchCertificates(ctx, &acm.SearchCertificatesInput{
			FilterStatement: &types.CertificateFilterStatementMemberFilter{Value: &types.CertificateFilterMemberX509AttributeFilter{
				Value: &types.X509AttributeFilterMemberSubjectAlternativeName{Value: &types.SubjectAlternativeNameFilterMemberDnsName{
					Value: types.DnsNameFilter{Value: aws.String("ferred-gra"), ComparisonOperator: types.ComparisonOperatorContains}}}}},
		})
		if err != nil {
			t.Fatalf("SearchCertificates %s: %v", when, err)
		}
		if len(out.Results) != 1 || aws.ToString(out.Results[0].CertificateArn) != arn {
			t.Errorf("SearchCertificates %s returned %d results, want only %s", when, len(out.Results), arn)
		}
	}

	search("while pending")
	waitForStatus(t, client, arn, "ISSUED")
	search("once issued")

	db, err := sql.Open("sqlite", "file:"+filepath.Join(srv.dataDir, app.DatabaseFile)+"?mode=ro")
	if err != nil {
		t.Fatalf("open database: %v", err)
	}
	defer db.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var deferred int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM certificate_grams_deferred`).Scan(&deferred); err != nil {
			t.Fatalf("count deferred grams: %v", err)
		}
		if deferred == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d certificates still wait for their grams after 10 s", deferred)
		}
		time.Sleep(50 * time.Millisecond)
	}
	search("once its grams are written")
}
