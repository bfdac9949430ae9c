package integration

import (
	"context"
	"crypto/x509"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acmpca"
	pcatypes "github.com/aws/aws-sdk-go-v2/service/acmpca/types"
)

func TestPrivateCAHierarchy(t *testing.T) {
	s := startServer(t)
	client := s.pcaClient("us-east-1")
	ctx := context.Background()

	rootArn := createCA(t, client, caInput(pcatypes.CertificateAuthorityTypeRoot, "Example Root CA", revocationEnabled()))
	if _, err := client.GetCertificateAuthorityCertificate(ctx, &acmpca.GetCertificateAuthorityCertificateInput{
		CertificateAuthorityArn: aws.String(rootArn),
	}); err == nil {
		t.Errorf("GetCertificateAuthorityCertificate while PENDING_CERTIFICATE succeeded, want InvalidStateException")
	} else if code, _ := apiError(t, err); code != "InvalidStateException" {
		t.Errorf("GetCertificateAuthorityCertificate while PENDING_CERTIFICATE: %s, want InvalidStateException", code)
	}

	root := activateRoot(t, client, rootArn)
	described := waitForCAStatus(t, client, rootArn, pcatypes.CertificateAuthorityStatusActive)
	if !described.NotAfter.Equal(root.NotAfter) || aws.ToString(described.Serial) == "" {
		t.Errorf("described root NotAfter %v serial %q, want %v and a serial", described.NotAfter, aws.ToString(described.Serial), root.NotAfter)
	}
	lintCertificate(t, "root CA", root.Raw)
	if !root.IsCA || root.MaxPathLen != -1 || root.CheckSignatureFrom(root) != nil {
		t.Errorf("root: IsCA %v MaxPathLen %d self-signature %v", root.IsCA, root.MaxPathLen, root.CheckSignatureFrom(root))
	}

	caCert, err := client.GetCertificateAuthorityCertificate(ctx, &acmpca.GetCertificateAuthorityCertificateInput{CertificateAuthorityArn: aws.String(rootArn)})
	if err != nil {
		t.Fatalf("GetCertificateAuthorityCertificate(root): %v", err)
	}
	if caCert.CertificateChain != nil {
		t.Errorf("root chain = %q, want none", *caCert.CertificateChain)
	}

	subArn := createCA(t, client, caInput(pcatypes.CertificateAuthorityTypeSubordinate, "Example Issuing CA", revocationEnabled()))
	sub, _ := activateSubordinate(t, client, rootArn, subArn, "SubordinateCACertificate_PathLen0_APIPassthrough/V1")
	lintCertificate(t, "subordinate CA", sub.Raw)
	if !sub.MaxPathLenZero || sub.MaxPathLen != 0 {
		t.Errorf("subordinate MaxPathLen = %d (zero %v), want 0", sub.MaxPathLen, sub.MaxPathLenZero)
	}
	subCert, err := client.GetCertificateAuthorityCertificate(ctx, &acmpca.GetCertificateAuthorityCertificateInput{CertificateAuthorityArn: aws.String(subArn)})
	if err != nil {
		t.Fatalf("GetCertificateAuthorityCertificate(subordinate): %v", err)
	}
	if got := parseCertificates(t, aws.ToString(subCert.CertificateChain)); len(got) != 1 || !got[0].Equal(root) {
		t.Errorf("subordinate chain has %d certificates, want the root", len(got))
	}

	_, csr := newCSR(t, "svc.example.com", "api.example.com")
	leafArn, leaf, chain := issue(t, client, &acmpca.IssueCertificateInput{
		CertificateAuthorityArn: aws.String(subArn),
		Csr:                     csr,
		TemplateArn:             aws.String("arn:aws:acm-pca:::template/EndEntityCertificate_APIPassthrough/V1"),
		ApiPassthrough:          withPolicy(domainValidatedPolicyOID),
		SigningAlgorithm:        pcatypes.SigningAlgorithmSha256withecdsa,
		Validity:                &pcatypes.Validity{Type: pcatypes.ValidityPeriodTypeDays, Value: aws.Int64(30)},
		IdempotencyToken:        aws.String("leaf-1"),
	})
	if !strings.HasPrefix(leafArn, subArn+"/certificate/") || len(leafArn) != len(subArn)+len("/certificate/")+32 {
		t.Errorf("certificate ARN %s, want %s/certificate/<32 hex>", leafArn, subArn)
	}
	lintCertificate(t, "end-entity", leaf.Raw)
	verifyChain(t, leaf, chain, root)
	if !slices.Equal(leaf.DNSNames, []string{"svc.example.com", "api.example.com"}) {
		t.Errorf("leaf DNS names = %v", leaf.DNSNames)
	}
	if !slices.Equal(leaf.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}) {
		t.Errorf("leaf EKU = %v, want serverAuth and clientAuth", leaf.ExtKeyUsage)
	}
	if got := leaf.NotAfter.Sub(time.Now()); got < 29*24*time.Hour || got > 31*24*time.Hour {
		t.Errorf("leaf NotAfter %v is %v away, want 30 days", leaf.NotAfter, got)
	}
	if len(leaf.CRLDistributionPoints) != 1 || len(leaf.OCSPServer) != 1 {
		t.Errorf("leaf CRL DP %v OCSP %v, want one each", leaf.CRLDistributionPoints, leaf.OCSPServer)
	}

	again, err := client.IssueCertificate(ctx, &acmpca.IssueCertificateInput{
		CertificateAuthorityArn: aws.String(subArn),
		Csr:                     csr,
		TemplateArn:             aws.String("arn:aws:acm-pca:::template/EndEntityCertificate_APIPassthrough/V1"),
		ApiPassthrough:          withPolicy(domainValidatedPolicyOID),
		SigningAlgorithm:        pcatypes.SigningAlgorithmSha256withecdsa,
		Validity:                &pcatypes.Validity{Type: pcatypes.ValidityPeriodTypeDays, Value: aws.Int64(30)},
		IdempotencyToken:        aws.String("leaf-1"),
	})
	if err != nil || aws.ToString(again.CertificateArn) != leafArn {
		t.Errorf("IssueCertificate with the same token = %v, %v; want %s", aws.ToString(again.CertificateArn), err, leafArn)
	}
}

// verifyChain checks that leaf verifies through chain up to root.
func verifyChain(t *testing.T, leaf *x509.Certificate, chain string, root *x509.Certificate) {
	t.Helper()
	roots, intermediates := x509.NewCertPool(), x509.NewCertPool()
	roots.AddCert(root)
	for _, cert := range parseCertificates(t, chain) {
		intermediates.AddCert(cert)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: intermediates,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		t.Errorf("leaf does not verify through its chain: %v", err)
	}
}
