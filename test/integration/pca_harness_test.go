package integration

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/acmpca"
	pcatypes "github.com/aws/aws-sdk-go-v2/service/acmpca/types"

	"github.com/openacm/openacm/internal/clock"
	"github.com/openacm/openacm/internal/config"
)

// pcaClient returns an acm-pca client. aws-sdk-go-v2 service/acmpca
// v1.57 speaks Smithy RPC v2 CBOR.
func (s *server) pcaClient(region string) *acmpca.Client {
	return acmpca.New(acmpca.Options{
		Region:       region,
		BaseEndpoint: aws.String(s.url()),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		Retryer:      aws.NopRetryer{},
		HTTPClient:   &http.Client{Timeout: 30 * time.Second},
	})
}

// createCA creates a CA and waits until its key and CSR exist.
func createCA(t *testing.T, client *acmpca.Client, in *acmpca.CreateCertificateAuthorityInput) string {
	t.Helper()
	out, err := client.CreateCertificateAuthority(context.Background(), in)
	if err != nil {
		t.Fatalf("CreateCertificateAuthority: %v", err)
	}
	waitForCAStatus(t, client, *out.CertificateAuthorityArn, pcatypes.CertificateAuthorityStatusPendingCertificate)
	return *out.CertificateAuthorityArn
}

func caInput(caType pcatypes.CertificateAuthorityType, commonName string, revocation *pcatypes.RevocationConfiguration) *acmpca.CreateCertificateAuthorityInput {
	return &acmpca.CreateCertificateAuthorityInput{
		CertificateAuthorityType: caType,
		CertificateAuthorityConfiguration: &pcatypes.CertificateAuthorityConfiguration{
			KeyAlgorithm:     pcatypes.KeyAlgorithmEcPrime256v1,
			SigningAlgorithm: pcatypes.SigningAlgorithmSha256withecdsa,
			Subject: &pcatypes.ASN1Subject{
				Country:      aws.String("US"),
				Organization: aws.String("Example Corp"),
				CommonName:   aws.String(commonName),
			},
		},
		RevocationConfiguration: revocation,
	}
}

// revocationEnabled turns on the CRL and OCSP.
func revocationEnabled() *pcatypes.RevocationConfiguration {
	return &pcatypes.RevocationConfiguration{
		CrlConfiguration:  &pcatypes.CrlConfiguration{Enabled: aws.Bool(true)},
		OcspConfiguration: &pcatypes.OcspConfiguration{Enabled: aws.Bool(true)},
	}
}

func waitForCAStatus(t *testing.T, client *acmpca.Client, arn string, status pcatypes.CertificateAuthorityStatus) *pcatypes.CertificateAuthority {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, err := client.DescribeCertificateAuthority(context.Background(),
			&acmpca.DescribeCertificateAuthorityInput{CertificateAuthorityArn: aws.String(arn)})
		if err != nil {
			t.Fatalf("DescribeCertificateAuthority(%s): %v", arn, err)
		}
		if out.CertificateAuthority.Status == status {
			return out.CertificateAuthority
		}
		if time.Now().After(deadline) {
			t.Fatalf("CA %s is %s after 30 s, want %s", arn, out.CertificateAuthority.Status, status)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// issue issues a certificate and fetches it with its chain.
func issue(t *testing.T, client *acmpca.Client, in *acmpca.IssueCertificateInput) (arn string, cert *x509.Certificate, chain string) {
	t.Helper()
	ctx := context.Background()
	out, err := client.IssueCertificate(ctx, in)
	if err != nil {
		t.Fatalf("IssueCertificate(%v): %v", aws.ToString(in.TemplateArn), err)
	}
	got, err := client.GetCertificate(ctx, &acmpca.GetCertificateInput{
		CertificateAuthorityArn: in.CertificateAuthorityArn,
		CertificateArn:          out.CertificateArn,
	})
	if err != nil {
		t.Fatalf("GetCertificate: %v", err)
	}
	return *out.CertificateArn, parseSingleCertificate(t, *got.Certificate), aws.ToString(got.CertificateChain)
}

// activateRoot self-signs a root CA's CSR with RootCACertificate/V1 and imports it.
func activateRoot(t *testing.T, client *acmpca.Client, caArn string) *x509.Certificate {
	t.Helper()
	ctx := context.Background()
	csr, err := client.GetCertificateAuthorityCsr(ctx, &acmpca.GetCertificateAuthorityCsrInput{CertificateAuthorityArn: aws.String(caArn)})
	if err != nil {
		t.Fatalf("GetCertificateAuthorityCsr: %v", err)
	}
	_, root, _ := issue(t, client, &acmpca.IssueCertificateInput{
		CertificateAuthorityArn: aws.String(caArn),
		Csr:                     []byte(*csr.Csr),
		SigningAlgorithm:        pcatypes.SigningAlgorithmSha256withecdsa,
		TemplateArn:             aws.String("arn:aws:acm-pca:::template/RootCACertificate/V1"),
		Validity:                &pcatypes.Validity{Type: pcatypes.ValidityPeriodTypeYears, Value: aws.Int64(10)},
	})
	_, err = client.ImportCertificateAuthorityCertificate(ctx, &acmpca.ImportCertificateAuthorityCertificateInput{
		CertificateAuthorityArn: aws.String(caArn),
		Certificate:             pemBytes(root),
	})
	if err != nil {
		t.Fatalf("ImportCertificateAuthorityCertificate(root): %v", err)
	}
	return root
}

// activateSubordinate signs a subordinate CA's CSR with its parent and imports it.
func activateSubordinate(t *testing.T, client *acmpca.Client, parentArn, subArn, template string) (*x509.Certificate, string) {
	t.Helper()
	ctx := context.Background()
	csr, err := client.GetCertificateAuthorityCsr(ctx, &acmpca.GetCertificateAuthorityCsrInput{CertificateAuthorityArn: aws.String(subArn)})
	if err != nil {
		t.Fatalf("GetCertificateAuthorityCsr: %v", err)
	}
	_, sub, chain := issue(t, client, &acmpca.IssueCertificateInput{
		CertificateAuthorityArn: aws.String(parentArn),
		Csr:                     []byte(*csr.Csr),
		SigningAlgorithm:        pcatypes.SigningAlgorithmSha256withecdsa,
		TemplateArn:             aws.String("arn:aws:acm-pca:::template/" + template),
		ApiPassthrough:          withPolicy(anyPolicy),
		Validity:                &pcatypes.Validity{Type: pcatypes.ValidityPeriodTypeYears, Value: aws.Int64(5)},
	})
	_, err = client.ImportCertificateAuthorityCertificate(ctx, &acmpca.ImportCertificateAuthorityCertificateInput{
		CertificateAuthorityArn: aws.String(subArn),
		Certificate:             pemBytes(sub),
		CertificateChain:        []byte(chain),
	})
	if err != nil {
		t.Fatalf("ImportCertificateAuthorityCertificate(subordinate): %v", err)
	}
	return sub, chain
}

// Policy OIDs that the Baseline Requirements lints in zlint expect: a
// subordinate CA must name a policy, anyPolicy will do, and a TLS leaf a
// CA/Browser Forum reserved one.
const (
	anyPolicy                = "2.5.29.32.0"
	domainValidatedPolicyOID = "2.23.140.1.2.1"
)

// withPolicy returns API passthrough values that add one certificate policy.
func withPolicy(oid string) *pcatypes.ApiPassthrough {
	return &pcatypes.ApiPassthrough{Extensions: &pcatypes.Extensions{
		CertificatePolicies: []pcatypes.PolicyInformation{{CertPolicyId: aws.String(oid)}},
	}}
}

func pemBytes(cert *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})
}

// newCSR makes a P-256 key and a CSR for names, the first as common name.
func newCSR(t *testing.T, names ...string) (crypto.Signer, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("generate key: %v", err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject:  pkix.Name{CommonName: names[0]},
		DNSNames: names,
	}, key)
	if err != nil {
		t.Fatalf("create CSR: %v", err)
	}
	return key, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
}

// startServerWithClock starts a server whose services read clk.
func startServerWithClock(t *testing.T, clk clock.Clock) *server {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.AutoValidateDelay = 200 * time.Millisecond
	s := &server{t: t, config: cfg, dataDir: cfg.DataDir, clock: clk}
	s.start()
	t.Cleanup(s.stop)
	return s
}

// activeHierarchy creates an ACTIVE root and an ACTIVE subordinate under
// it, both with CRL and OCSP enabled, and returns their ARNs and the root.
func activeHierarchy(t *testing.T, client *acmpca.Client) (rootArn, subArn string, root *x509.Certificate) {
	t.Helper()
	rootArn = createCA(t, client, caInput(pcatypes.CertificateAuthorityTypeRoot, "Example Root CA", revocationEnabled()))
	root = activateRoot(t, client, rootArn)
	subArn = createCA(t, client, caInput(pcatypes.CertificateAuthorityTypeSubordinate, "Example Issuing CA", revocationEnabled()))
	activateSubordinate(t, client, rootArn, subArn, "SubordinateCACertificate_PathLen0_APIPassthrough/V1")
	return rootArn, subArn, root
}

// writeFile writes data to name in dir and returns the path.
func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// runOpenSSL runs openssl with args and returns its combined output,
// failing the test when it exits non-zero. The test is skipped without openssl.
func runOpenSSL(t *testing.T, args ...string) string {
	t.Helper()
	path, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl is not installed")
	}
	out, err := exec.Command(path, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func marshalPublicKey(public any) ([]byte, error) {
	return x509.MarshalPKIXPublicKey(public)
}
