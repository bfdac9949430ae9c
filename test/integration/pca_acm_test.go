package integration

import (
	"context"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/acm/types"
	"github.com/aws/aws-sdk-go-v2/service/acmpca"
	pcatypes "github.com/aws/aws-sdk-go-v2/service/acmpca/types"

	"github.com/openacm/openacm/internal/clock"
)

func TestPrivateCertificateLifecycle(t *testing.T) {
	// The fake clock starts four minutes behind, inside the SigV4 skew
	// window, so moving it to the real time makes the renewal's NotAfter later.
	clk := clock.NewFake(time.Now().Add(-4 * time.Minute))
	s := startServerWithClock(t, clk)
	pcaClient := s.pcaClient("us-east-1")
	acmClient := s.client("us-east-1")
	ctx := context.Background()

	_, subArn, root := activeHierarchy(t, pcaClient)

	arn := requestOrFail(t, acmClient, &acm.RequestCertificateInput{
		DomainName:              aws.String("app.example.com"),
		SubjectAlternativeNames: []string{"www.app.example.com"},
		CertificateAuthorityArn: aws.String(subArn),
		KeyAlgorithm:            types.KeyAlgorithmEcPrime256v1,
	})
	detail := waitForStatus(t, acmClient, arn, "ISSUED").Certificate
	if detail.Type != types.CertificateTypePrivate || aws.ToString(detail.CertificateAuthorityArn) != subArn {
		t.Errorf("Type %s CertificateAuthorityArn %s, want PRIVATE and %s", detail.Type, aws.ToString(detail.CertificateAuthorityArn), subArn)
	}
	if len(detail.DomainValidationOptions) != 0 {
		t.Errorf("DomainValidationOptions = %v, want none", detail.DomainValidationOptions)
	}
	if detail.RenewalEligibility != types.RenewalEligibilityIneligible {
		t.Errorf("RenewalEligibility = %s before export, want INELIGIBLE", detail.RenewalEligibility)
	}

	got, err := acmClient.GetCertificate(ctx, &acm.GetCertificateInput{CertificateArn: aws.String(arn)})
	if err != nil {
		t.Fatalf("GetCertificate: %v", err)
	}
	leaf := parseSingleCertificate(t, *got.Certificate)
	verifyChain(t, leaf, *got.CertificateChain, root)
	lintCertificate(t, "ACM private", leaf.Raw, privateLeafBRLints...)
	if validity := leaf.NotAfter.Sub(leaf.NotBefore); validity != 395*24*time.Hour {
		t.Errorf("validity = %v, want 395 days", validity)
	}

	passphrase := []byte(" secret passphrase ")
	exported, err := acmClient.ExportCertificate(ctx, &acm.ExportCertificateInput{CertificateArn: aws.String(arn), Passphrase: passphrase})
	if err != nil {
		t.Fatalf("ExportCertificate: %v", err)
	}
	checkEncryptedKey(t, *exported.PrivateKey, passphrase, leaf.PublicKey)
	detail = describeOrFail(t, acmClient, arn)
	if detail.RenewalEligibility != types.RenewalEligibilityEligible {
		t.Errorf("RenewalEligibility = %s after export, want ELIGIBLE", detail.RenewalEligibility)
	}

	clk.Set(time.Now())
	if _, err := acmClient.RenewCertificate(ctx, &acm.RenewCertificateInput{CertificateArn: aws.String(arn)}); err != nil {
		t.Fatalf("RenewCertificate: %v", err)
	}
	waitForRenewal(t, acmClient, arn, func(summary *types.RenewalSummary) bool {
		return summary.RenewalStatus == types.RenewalStatusPendingAutoRenewal &&
			summary.RenewalStatusReason == types.FailureReasonPcaAccessDenied
	})

	_, err = pcaClient.CreatePermission(ctx, &acmpca.CreatePermissionInput{
		CertificateAuthorityArn: aws.String(subArn),
		Principal:               aws.String("acm.amazonaws.com"),
		Actions:                 []pcatypes.ActionType{pcatypes.ActionTypeIssueCertificate, pcatypes.ActionTypeGetCertificate, pcatypes.ActionTypeListPermissions},
	})
	if err != nil {
		t.Fatalf("CreatePermission: %v", err)
	}
	renewed := waitForRenewal(t, acmClient, arn, func(summary *types.RenewalSummary) bool {
		return summary.RenewalStatus == types.RenewalStatusSuccess
	})
	if !renewed.NotAfter.After(*detail.NotAfter) {
		t.Errorf("NotAfter after renewal %v, want later than %v", renewed.NotAfter, detail.NotAfter)
	}
	if renewed.RenewalEligibility != types.RenewalEligibilityIneligible || aws.ToString(renewed.Serial) == aws.ToString(detail.Serial) {
		t.Errorf("after renewal: eligibility %s serial %s, want INELIGIBLE and a new serial", renewed.RenewalEligibility, aws.ToString(renewed.Serial))
	}

	_, err = pcaClient.RevokeCertificate(ctx, &acmpca.RevokeCertificateInput{
		CertificateAuthorityArn: aws.String(subArn),
		CertificateSerial:       renewed.Serial,
		RevocationReason:        pcatypes.RevocationReasonKeyCompromise,
	})
	if err != nil {
		t.Fatalf("acm-pca RevokeCertificate: %v", err)
	}
	revoked := describeOrFail(t, acmClient, arn)
	if revoked.Status != types.CertificateStatusRevoked || revoked.RevokedAt == nil {
		t.Errorf("after acm-pca revocation: status %s RevokedAt %v, want REVOKED with a time", revoked.Status, revoked.RevokedAt)
	}
}

func TestPrivateCertificateCAState(t *testing.T) {
	s := startServer(t)
	pcaClient := s.pcaClient("us-east-1")
	acmClient := s.client("us-east-1")

	rootArn := createCA(t, pcaClient, caInput(pcatypes.CertificateAuthorityTypeRoot, "Pending Root", nil))
	arn := requestOrFail(t, acmClient, &acm.RequestCertificateInput{
		DomainName:              aws.String("pending.example.com"),
		CertificateAuthorityArn: aws.String(rootArn),
		KeyAlgorithm:            types.KeyAlgorithmEcPrime256v1,
	})
	detail := waitForStatus(t, acmClient, arn, "FAILED").Certificate
	if detail.FailureReason != types.FailureReasonPcaInvalidState {
		t.Errorf("FailureReason = %s, want PCA_INVALID_STATE", detail.FailureReason)
	}

	activateRoot(t, pcaClient, rootArn)
	if detail := describeOrFail(t, acmClient, arn); detail.Status != types.CertificateStatusFailed {
		t.Errorf("status after the CA became ACTIVE = %s, want FAILED", detail.Status)
	}

	mismatch := requestOrFail(t, acmClient, &acm.RequestCertificateInput{
		DomainName:              aws.String("rsa.example.com"),
		CertificateAuthorityArn: aws.String(rootArn),
		KeyAlgorithm:            types.KeyAlgorithmRsa2048,
	})
	if detail := waitForStatus(t, acmClient, mismatch, "FAILED").Certificate; detail.FailureReason != types.FailureReasonPcaInvalidArgs {
		t.Errorf("RSA key under an EC CA: FailureReason = %s, want PCA_INVALID_ARGS", detail.FailureReason)
	}
}

// privateLeafBRLints are CA/Browser Forum Baseline Requirements lints that
// ACM's private certificate profile breaks on purpose: the Baseline
// Requirements bind publicly trusted TLS certificates only, ACM gives
// private certificates 395 days, and puts no policy OID in them.
var privateLeafBRLints = []string{
	"e_server_cert_valid_time_longer_than_200_days",
	"e_sub_cert_cert_policy_empty",
	"e_sub_cert_certificate_policies_missing",
}

func waitForRenewal(t *testing.T, client *acm.Client, arn string, done func(*types.RenewalSummary) bool) *types.CertificateDetail {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		detail := describeOrFail(t, client, arn)
		if detail.RenewalSummary != nil && done(detail.RenewalSummary) {
			return detail
		}
		if time.Now().After(deadline) {
			t.Fatalf("renewal of %s did not reach the wanted state: %+v", arn, detail.RenewalSummary)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// checkEncryptedKey decrypts an exported key with openssl and checks that
// it belongs to the certificate.
func checkEncryptedKey(t *testing.T, keyPEM string, passphrase []byte, public any) {
	t.Helper()
	if !strings.HasPrefix(keyPEM, "-----BEGIN ENCRYPTED PRIVATE KEY-----") {
		t.Fatalf("PrivateKey starts %.40q, want an ENCRYPTED PRIVATE KEY block", keyPEM)
	}
	dir := t.TempDir()
	keyFile := writeFile(t, dir, "key.pem", []byte(keyPEM))
	passFile := writeFile(t, dir, "pass", passphrase)
	out := runOpenSSL(t, "pkey", "-in", keyFile, "-passin", "file:"+passFile, "-pubout", "-outform", "PEM")

	block, _ := pem.Decode([]byte(out))
	if block == nil {
		t.Fatalf("openssl pkey printed no public key: %s", out)
	}
	want, err := marshalPublicKey(public)
	if err != nil {
		t.Fatal(err)
	}
	if string(block.Bytes) != string(want) {
		t.Errorf("decrypted key does not match the certificate's public key")
	}
}
