package integration

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/acm/types"
	"github.com/aws/aws-sdk-go-v2/service/acmpca"
	pcatypes "github.com/aws/aws-sdk-go-v2/service/acmpca/types"
)

func TestPrivateCARevocation(t *testing.T) {
	s := startServer(t)
	client := s.pcaClient("us-east-1")
	ctx := context.Background()
	_, subArn, root := activeHierarchy(t, client)

	issueLeaf := func(name string) (*x509.Certificate, string) {
		_, csr := newCSR(t, name)
		_, leaf, chain := issue(t, client, &acmpca.IssueCertificateInput{
			CertificateAuthorityArn: aws.String(subArn),
			Csr:                     csr,
			SigningAlgorithm:        pcatypes.SigningAlgorithmSha256withecdsa,
			TemplateArn:             aws.String("arn:aws:acm-pca:::template/EndEntityServerAuthCertificate_APIPassthrough/V1"),
			ApiPassthrough:          withPolicy(domainValidatedPolicyOID),
			Validity:                &pcatypes.Validity{Type: pcatypes.ValidityPeriodTypeDays, Value: aws.Int64(10)},
		})
		lintCertificate(t, "end-entity", leaf.Raw)
		return leaf, chain
	}
	good, chain := issueLeaf("good.example.com")
	bad, _ := issueLeaf("bad.example.com")

	_, err := client.RevokeCertificate(ctx, &acmpca.RevokeCertificateInput{
		CertificateAuthorityArn: aws.String(subArn),
		CertificateSerial:       aws.String(colonHexSerial(bad)),
		RevocationReason:        pcatypes.RevocationReasonSuperseded,
	})
	if err != nil {
		t.Fatalf("RevokeCertificate: %v", err)
	}
	_, err = client.RevokeCertificate(ctx, &acmpca.RevokeCertificateInput{
		CertificateAuthorityArn: aws.String(subArn),
		CertificateSerial:       aws.String(colonHexSerial(bad)),
		RevocationReason:        pcatypes.RevocationReasonSuperseded,
	})
	if code, _ := apiError(t, err); code != "RequestAlreadyProcessedException" {
		t.Errorf("second revocation: %s, want RequestAlreadyProcessedException", code)
	}

	dir := t.TempDir()
	caFile := writeFile(t, dir, "ca.pem", []byte(strings.TrimSpace(chain)+"\n"+string(pemBytes(root))))
	issuerFile := writeFile(t, dir, "issuer.pem", []byte(strings.SplitAfter(chain, "-----END CERTIFICATE-----")[0]+"\n"))

	crl := httpGet(t, good.CRLDistributionPoints[0])
	checkCRL(t, crl, dir, caFile, bad, good)

	ocspURL := good.OCSPServer[0]
	checkOCSP(t, dir, issuerFile, caFile, ocspURL, good, ": good")
	checkOCSP(t, dir, issuerFile, caFile, ocspURL, bad, ": revoked")
}

func TestOwnCARevocation(t *testing.T) {
	s := startServer(t)
	client := s.client("us-east-1")
	ctx := context.Background()

	request := func(name, export string) string {
		return requestOrFail(t, client, &acm.RequestCertificateInput{
			DomainName:       aws.String(name),
			ValidationMethod: types.ValidationMethodDns,
			Options:          &types.CertificateOptions{Export: types.CertificateExport(export)},
		})
	}
	exportable := request("revoke.example.com", "ENABLED")
	kept := request("keep.example.com", "ENABLED")
	closed := request("closed.example.com", "DISABLED")
	for _, arn := range []string{exportable, kept, closed} {
		waitForStatus(t, client, arn, "ISSUED")
	}

	_, err := client.ExportCertificate(ctx, &acm.ExportCertificateInput{CertificateArn: aws.String(closed), Passphrase: []byte("pass1234")})
	if code, _ := apiError(t, err); code != "ValidationException" {
		t.Errorf("export of a public certificate without Export ENABLED: %s, want ValidationException", code)
	}
	_, err = client.RevokeCertificate(ctx, &acm.RevokeCertificateInput{CertificateArn: aws.String(exportable), RevocationReason: types.RevocationReasonKeyCompromise})
	if code, _ := apiError(t, err); code != "ValidationException" {
		t.Errorf("revocation before export: %s, want ValidationException", code)
	}

	passphrase := []byte("pass1234")
	exported, err := client.ExportCertificate(ctx, &acm.ExportCertificateInput{CertificateArn: aws.String(exportable), Passphrase: passphrase})
	if err != nil {
		t.Fatalf("ExportCertificate: %v", err)
	}
	leaf := parseSingleCertificate(t, *exported.Certificate)
	checkEncryptedKey(t, *exported.PrivateKey, passphrase, leaf.PublicKey)

	if _, err := client.RevokeCertificate(ctx, &acm.RevokeCertificateInput{CertificateArn: aws.String(exportable), RevocationReason: types.RevocationReasonKeyCompromise}); err != nil {
		t.Fatalf("RevokeCertificate: %v", err)
	}
	detail := describeOrFail(t, client, exportable)
	if detail.Status != types.CertificateStatusRevoked || detail.RevocationReason != types.RevocationReasonKeyCompromise || detail.RevokedAt == nil {
		t.Errorf("revoked certificate: status %s reason %s RevokedAt %v", detail.Status, detail.RevocationReason, detail.RevokedAt)
	}

	keptLeaf := parseSingleCertificate(t, *getCertificate(t, client, kept).Certificate)
	dir := t.TempDir()
	chain := *exported.CertificateChain
	caFile := writeFile(t, dir, "ca.pem", []byte(chain))
	issuerFile := writeFile(t, dir, "issuer.pem", []byte(strings.SplitAfter(chain, "-----END CERTIFICATE-----")[0]+"\n"))

	checkCRL(t, httpGet(t, leaf.CRLDistributionPoints[0]), dir, caFile, leaf, keptLeaf)
	ocspURL := s.url() + "/ocsp/intermediate"
	checkOCSP(t, dir, issuerFile, caFile, ocspURL, keptLeaf, ": good")
	checkOCSP(t, dir, issuerFile, caFile, ocspURL, leaf, ": revoked")
}

// checkCRL checks with openssl that the DER CRL verifies against the CA
// file and lists revoked but not kept.
func checkCRL(t *testing.T, crl []byte, dir, caFile string, revoked, kept *x509.Certificate) {
	t.Helper()
	crlFile := writeFile(t, dir, "crl.pem", pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: crl}))
	out := runOpenSSL(t, "crl", "-in", crlFile, "-CAfile", caFile, "-noout", "-text")
	if !strings.Contains(out, "verify OK") {
		t.Errorf("openssl crl did not verify the CRL:\n%s", out)
	}
	if !strings.Contains(out, strings.ToUpper(revoked.SerialNumber.Text(16))) {
		t.Errorf("CRL does not list revoked serial %X:\n%s", revoked.SerialNumber, out)
	}
	if strings.Contains(out, strings.ToUpper(kept.SerialNumber.Text(16))) {
		t.Errorf("CRL lists serial %X, which is not revoked", kept.SerialNumber)
	}
}

// checkOCSP asks the responder about cert with openssl ocsp and checks
// that the verified answer contains want.
func checkOCSP(t *testing.T, dir, issuerFile, caFile, url string, cert *x509.Certificate, want string) {
	t.Helper()
	certFile := writeFile(t, dir, "cert.pem", pemBytes(cert))
	out := runOpenSSL(t, "ocsp", "-issuer", issuerFile, "-cert", certFile, "-url", url, "-CAfile", caFile,
		"-timeout", "10", "-no_nonce")
	if !strings.Contains(out, "Response verify OK") || !strings.Contains(out, certFile+want) {
		t.Errorf("openssl ocsp for serial %X: want %q in\n%s", cert.SerialNumber, want, out)
	}
}
