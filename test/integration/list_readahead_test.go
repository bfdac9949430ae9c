package integration

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/acm/types"

	"github.com/openacm/openacm/internal/config"
)

// TestListWalkAcrossChange walks ListCertificates two at a time through
// aws-sdk-go-v2 while the server reads each next page ahead. A walk with
// no change in between must return every certificate once, in creation
// order, and a certificate deleted between two pages must not show up on
// the next one, although that page was read before the delete.
func TestListWalkAcrossChange(t *testing.T) {
	s := startServer(t, func(c *config.Config) { c.AutoValidateDelay = time.Hour })
	client := s.client("us-east-1")
	ctx := context.Background()

	var arns []string
	for i := range 6 {
		arns = append(arns, requestCertificate(t, client, &acm.RequestCertificateInput{
			DomainName:       aws.String(fmt.Sprintf("walk-%d.example.com", i)),
			ValidationMethod: types.ValidationMethodDns,
		}))
	}

	var walked []string
	pages := acm.NewListCertificatesPaginator(client, &acm.ListCertificatesInput{MaxItems: aws.Int32(2)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListCertificates: %v", err)
		}
		for _, summary := range page.CertificateSummaryList {
			walked = append(walked, aws.ToString(summary.CertificateArn))
		}
	}
	if !slices.Equal(walked, arns) {
		t.Fatalf("walk returned %v, want %v", walked, arns)
	}

	first, err := client.ListCertificates(ctx, &acm.ListCertificatesInput{MaxItems: aws.Int32(2)})
	if err != nil {
		t.Fatalf("ListCertificates: %v", err)
	}
	// Give the read-ahead of the second page time to finish before the delete.
	time.Sleep(100 * time.Millisecond)
	if _, err := client.DeleteCertificate(ctx, &acm.DeleteCertificateInput{CertificateArn: aws.String(arns[2])}); err != nil {
		t.Fatalf("DeleteCertificate: %v", err)
	}

	second, err := client.ListCertificates(ctx, &acm.ListCertificatesInput{MaxItems: aws.Int32(2), NextToken: first.NextToken})
	if err != nil {
		t.Fatalf("ListCertificates of the second page: %v", err)
	}
	var got []string
	for _, summary := range second.CertificateSummaryList {
		got = append(got, aws.ToString(summary.CertificateArn))
	}
	if want := arns[3:5]; !slices.Equal(got, want) {
		t.Errorf("second page after deleting %s = %v, want %v", arns[2], got, want)
	}
}
