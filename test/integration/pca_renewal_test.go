package integration

import (
	"context"
	"crypto/x509"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/acm/types"
	"github.com/aws/aws-sdk-go-v2/service/acmpca"
	pcatypes "github.com/aws/aws-sdk-go-v2/service/acmpca/types"

	"github.com/openacm/openacm/internal/config"
	"github.com/openacm/openacm/internal/events"
)

// pcaClient returns an acm-pca client that signs with the fake clock's time.
func (s *timeServer) pcaClient(region string) *acmpca.Client {
	return acmpca.New(acmpca.Options{
		Region:       region,
		BaseEndpoint: aws.String(s.url()),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		Retryer:      aws.NopRetryer{},
		HTTPClient:   &http.Client{Timeout: 30 * time.Second},
		HTTPSignerV4: fakeTimeSigner{signer: v4.NewSigner(), clock: s.clock},
	})
}

func TestPrivateManagedRenewal(t *testing.T) {
	hook := startWebhook(t)
	s := startTimeServer(t, func(cfg *config.Config) { cfg.EventWebhookURL = hook.url })
	pcaClient, acmClient := s.pcaClient("us-east-1"), s.client("us-east-1")
	ctx := context.Background()

	_, subArn, root := activeHierarchy(t, pcaClient)
	requestPrivate := func(name string) string {
		return requestOrFail(t, acmClient, &acm.RequestCertificateInput{
			DomainName:              aws.String(name),
			CertificateAuthorityArn: aws.String(subArn),
			KeyAlgorithm:            types.KeyAlgorithmEcPrime256v1,
		})
	}
	arn, unused := requestPrivate("renew.internal.example.com"), requestPrivate("unused.internal.example.com")
	s.runPass(t)
	original := waitForStatus(t, acmClient, arn, "ISSUED").Certificate
	waitForStatus(t, acmClient, unused, "ISSUED")

	_, err := acmClient.ExportCertificate(ctx, &acm.ExportCertificateInput{CertificateArn: aws.String(arn), Passphrase: []byte("passphrase")})
	if err != nil {
		t.Fatalf("ExportCertificate: %v", err)
	}
	if detail := describeOrFail(t, acmClient, arn); detail.RenewalEligibility != types.RenewalEligibilityEligible {
		t.Fatalf("RenewalEligibility after export = %s, want ELIGIBLE", detail.RenewalEligibility)
	}
	notAfter := aws.ToTime(original.NotAfter)

	t.Run("not before the renewal window", func(t *testing.T) {
		s.clock.Set(notAfter.Add(-RenewalLead - time.Hour))
		s.runPass(t)
		if detail := describeOrFail(t, acmClient, arn); detail.RenewalSummary != nil {
			t.Errorf("RenewalSummary an hour before the renewal window = %+v, want none", detail.RenewalSummary)
		}
	})

	t.Run("waits for CA permissions", func(t *testing.T) {
		s.advance(t, time.Hour)
		detail := describeOrFail(t, acmClient, arn)
		summary := detail.RenewalSummary
		if summary == nil || summary.RenewalStatus != types.RenewalStatusPendingAutoRenewal ||
			summary.RenewalStatusReason != types.FailureReasonPcaAccessDenied {
			t.Fatalf("RenewalSummary in the renewal window without permissions = %+v, want PENDING_AUTO_RENEWAL with PCA_ACCESS_DENIED", summary)
		}
		if aws.ToString(detail.Serial) != aws.ToString(original.Serial) {
			t.Errorf("serial changed to %s while the renewal waits", aws.ToString(detail.Serial))
		}
		if len(summary.DomainValidationOptions) != 0 {
			t.Errorf("renewal DomainValidationOptions = %v, want none for a private certificate", summary.DomainValidationOptions)
		}
		required := hook.waitFor(t, events.RenewalActionRequired, 1)[0]
		if got, _ := required.Detail.(map[string]any); got["RenewalStatusReason"] != "PCA_ACCESS_DENIED" {
			t.Errorf("renewal action required detail = %v, want RenewalStatusReason PCA_ACCESS_DENIED", required.Detail)
		}

		s.advance(t, time.Hour)
		if got := len(hook.ofType(events.RenewalActionRequired)); got != 1 {
			t.Errorf("%d renewal action required events after another pass, want 1", got)
		}
	})

	t.Run("renews once permitted", func(t *testing.T) {
		_, err := pcaClient.CreatePermission(ctx, &acmpca.CreatePermissionInput{
			CertificateAuthorityArn: aws.String(subArn),
			Principal:               aws.String("acm.amazonaws.com"),
			Actions:                 []pcatypes.ActionType{pcatypes.ActionTypeIssueCertificate, pcatypes.ActionTypeGetCertificate, pcatypes.ActionTypeListPermissions},
		})
		if err != nil {
			t.Fatalf("CreatePermission: %v", err)
		}
		s.runPass(t)

		detail := describeOrFail(t, acmClient, arn)
		if detail.RenewalSummary == nil || detail.RenewalSummary.RenewalStatus != types.RenewalStatusSuccess {
			t.Fatalf("RenewalSummary after CreatePermission = %+v, want SUCCESS", detail.RenewalSummary)
		}
		if detail.RenewalSummary.RenewalStatusReason != "" {
			t.Errorf("RenewalStatusReason after success = %s, want none", detail.RenewalSummary.RenewalStatusReason)
		}
		if aws.ToString(detail.CertificateArn) != arn || detail.Status != types.CertificateStatusIssued {
			t.Errorf("renewed certificate ARN %s status %s; want %s ISSUED", aws.ToString(detail.CertificateArn), detail.Status, arn)
		}
		if aws.ToString(detail.Serial) == aws.ToString(original.Serial) || !aws.ToTime(detail.NotAfter).After(notAfter) {
			t.Errorf("renewed serial %s NotAfter %s; want a new serial and a NotAfter later than %s",
				aws.ToString(detail.Serial), aws.ToTime(detail.NotAfter), notAfter)
		}

		got := getCertificate(t, acmClient, arn)
		leaf := parseSingleCertificate(t, aws.ToString(got.Certificate))
		if leaf.Subject.CommonName != "renew.internal.example.com" || !leaf.NotAfter.Equal(aws.ToTime(detail.NotAfter)) {
			t.Errorf("renewed leaf CN %s NotAfter %s; want renew.internal.example.com and %s", leaf.Subject.CommonName, leaf.NotAfter, aws.ToTime(detail.NotAfter))
		}
		if validity := leaf.NotAfter.Sub(leaf.NotBefore); validity != 395*24*time.Hour {
			t.Errorf("renewed validity = %v, want 395 days", validity)
		}
		// The renewed certificate starts at the fake time, months ahead of
		// the real one, so the chain is verified at the fake time.
		roots, intermediates := x509.NewCertPool(), x509.NewCertPool()
		roots.AddCert(root)
		for _, cert := range parseCertificates(t, aws.ToString(got.CertificateChain)) {
			intermediates.AddCert(cert)
		}
		_, err = leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: intermediates, CurrentTime: s.clock.Now(),
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
		if err != nil {
			t.Errorf("renewed leaf does not verify through its chain: %v", err)
		}

		renewal := hook.waitFor(t, events.Available, 1)[0]
		if detail, _ := renewal.Detail.(map[string]any); detail["Action"] != "RENEWAL" || detail["CertificateType"] != "PRIVATE" {
			t.Errorf("available event detail = %v, want Action RENEWAL and CertificateType PRIVATE", renewal.Detail)
		}
	})

	t.Run("certificate never exported is left alone", func(t *testing.T) {
		detail := describeOrFail(t, acmClient, unused)
		if detail.RenewalEligibility != types.RenewalEligibilityIneligible || detail.RenewalSummary != nil {
			t.Errorf("unexported certificate: RenewalEligibility %s RenewalSummary %+v; want INELIGIBLE and none",
				detail.RenewalEligibility, detail.RenewalSummary)
		}
	})

	t.Run("renewed once per window", func(t *testing.T) {
		before := describeOrFail(t, acmClient, arn)
		s.advance(t, 24*time.Hour)
		after := describeOrFail(t, acmClient, arn)
		if aws.ToString(after.Serial) != aws.ToString(before.Serial) {
			t.Errorf("serial changed from %s to %s a day after the renewal", aws.ToString(before.Serial), aws.ToString(after.Serial))
		}
	})
}
