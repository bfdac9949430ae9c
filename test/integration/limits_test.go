package integration

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"

	"github.com/openacm/openacm/internal/config"
)

func TestTemporaryCredentialsWithSessionToken(t *testing.T) {
	s := startSecuredServer(t)
	if _, err := s.clientFor(tempKey, tempSecret, tempToken).ListCertificates(context.Background(), &acm.ListCertificatesInput{}); err != nil {
		t.Errorf("ListCertificates with a temporary key and its token: %v", err)
	}
}

func TestThrottleRateExceeded(t *testing.T) {
	s := startSecuredServer(t, func(c *config.Config) { c.Throttle = "CertificateManager.ListCertificates=1" })
	owner := s.clientFor(ownerKey, ownerSecret, "")
	other := s.clientFor(otherKey, otherSecret, "")
	ctx := context.Background()

	// The bucket holds one token and refills one per second, so a burst of
	// calls throttles at least one of them whatever the machine's speed.
	throttled := 0
	for range 5 {
		_, err := owner.ListCertificates(ctx, &acm.ListCertificatesInput{})
		if err == nil {
			continue
		}
		code, message := apiError(t, err)
		if code != "ThrottlingException" || message != "Rate exceeded" {
			t.Fatalf("error = %s %q, want ThrottlingException \"Rate exceeded\"", code, message)
		}
		throttled++
	}
	if throttled == 0 {
		t.Errorf("5 ListCertificates calls at a rate of 1/s were all allowed")
	}
	if _, err := other.ListCertificates(ctx, &acm.ListCertificatesInput{}); err != nil {
		t.Errorf("another account's first ListCertificates: %v", err)
	}
	if _, err := owner.DescribeCertificate(ctx, &acm.DescribeCertificateInput{CertificateArn: aws.String("arn:aws:acm:us-east-1:111122223333:certificate/00000000-0000-0000-0000-000000000000")}); err != nil {
		if code, _ := apiError(t, err); code == "ThrottlingException" {
			t.Errorf("DescribeCertificate throttled by ListCertificates' bucket")
		}
	}
}

func TestCertificateQuota(t *testing.T) {
	s := startSecuredServer(t, func(c *config.Config) { c.MaxCertificates = 2 })
	owner := s.clientFor(ownerKey, ownerSecret, "")
	ctx := context.Background()

	for i := range 2 {
		if _, err := owner.RequestCertificate(ctx, &acm.RequestCertificateInput{DomainName: aws.String("quota.example.com")}); err != nil {
			t.Fatalf("request %d under the quota: %v", i+1, err)
		}
	}
	before := storeFingerprint(t, s.dataDir)
	_, err := owner.RequestCertificate(ctx, &acm.RequestCertificateInput{DomainName: aws.String("quota.example.com")})
	code, message := apiError(t, err)
	if code != "LimitExceededException" {
		t.Errorf("third request: code = %s (%s), want LimitExceededException", code, message)
	}
	if storeFingerprint(t, s.dataDir) != before {
		t.Errorf("the refused request changed the database")
	}
	if _, err := s.clientFor(otherKey, otherSecret, "").RequestCertificate(ctx, &acm.RequestCertificateInput{DomainName: aws.String("quota.example.com")}); err != nil {
		t.Errorf("another account's request: %v", err)
	}
}

func TestCertificateQuotaDefaultWithAWSThrottle(t *testing.T) {
	cfg := config.Default()
	cfg.Throttle = "aws"
	if got := cfg.CertificateQuota(); got != config.AWSMaxCertificates {
		t.Errorf("CertificateQuota with --throttle aws = %d, want %d", got, config.AWSMaxCertificates)
	}
	cfg.MaxCertificates = 7
	if got := cfg.CertificateQuota(); got != 7 {
		t.Errorf("CertificateQuota with --max-certificates 7 = %d, want 7", got)
	}
}
