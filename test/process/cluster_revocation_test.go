package process

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/acm/types"
	"github.com/aws/aws-sdk-go-v2/service/acmpca"
	pcatypes "github.com/aws/aws-sdk-go-v2/service/acmpca/types"
)

// pcaClient returns an acm-pca client of the node with no SDK retries.
func (n *node) pcaClient() *acmpca.Client {
	return acmpca.New(acmpca.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(n.url()),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		Retryer:      aws.NopRetryer{},
		HTTPClient:   &http.Client{Timeout: 10 * time.Second},
	})
}

// createPrivateCA creates an EC root CA with its CRL enabled on one node,
// activates it and returns its ARN and the path of its CRL. Any node's
// worker may make its key.
func createPrivateCA(t *testing.T, n *node) (caARN, crlPath string) {
	t.Helper()
	ctx := context.Background()
	client := n.pcaClient()

	out, err := client.CreateCertificateAuthority(ctx, &acmpca.CreateCertificateAuthorityInput{
		CertificateAuthorityType: pcatypes.CertificateAuthorityTypeRoot,
		CertificateAuthorityConfiguration: &pcatypes.CertificateAuthorityConfiguration{
			KeyAlgorithm:     pcatypes.KeyAlgorithmEcPrime256v1,
			SigningAlgorithm: pcatypes.SigningAlgorithmSha256withecdsa,
			Subject:          &pcatypes.ASN1Subject{Organization: aws.String("Cluster Test"), CommonName: aws.String("cluster root")},
		},
		RevocationConfiguration: &pcatypes.RevocationConfiguration{
			CrlConfiguration: &pcatypes.CrlConfiguration{Enabled: aws.Bool(true)},
		},
	})
	if err != nil {
		t.Fatalf("create private CA on %s: %v", n.name, err)
	}
	caARN = aws.ToString(out.CertificateAuthorityArn)

	csr := waitCSR(t, client, caARN)
	issued, err := client.IssueCertificate(ctx, &acmpca.IssueCertificateInput{
		CertificateAuthorityArn: aws.String(caARN),
		Csr:                     csr,
		SigningAlgorithm:        pcatypes.SigningAlgorithmSha256withecdsa,
		TemplateArn:             aws.String("arn:aws:acm-pca:::template/RootCACertificate/V1"),
		Validity:                &pcatypes.Validity{Type: pcatypes.ValidityPeriodTypeYears, Value: aws.Int64(5)},
	})
	if err != nil {
		t.Fatalf("issue root certificate: %v", err)
	}
	root := waitPCACertificate(t, client, caARN, aws.ToString(issued.CertificateArn))
	if _, err := client.ImportCertificateAuthorityCertificate(ctx, &acmpca.ImportCertificateAuthorityCertificateInput{
		CertificateAuthorityArn: aws.String(caARN),
		Certificate:             root,
	}); err != nil {
		t.Fatalf("import root certificate: %v", err)
	}

	parts := strings.Split(caARN, ":")
	crlPath = fmt.Sprintf("/pca/crl/%s/%s/%s.crl", parts[3], parts[4], caARN[strings.LastIndex(caARN, "/")+1:])
	return caARN, crlPath
}

// waitCSR polls until the CA's key and CSR exist.
func waitCSR(t *testing.T, client *acmpca.Client, caARN string) []byte {
	t.Helper()

	deadline := time.Now().Add(30 * time.Second)
	for {
		out, err := client.GetCertificateAuthorityCsr(context.Background(), &acmpca.GetCertificateAuthorityCsrInput{CertificateAuthorityArn: aws.String(caARN)})
		if err == nil {
			return []byte(aws.ToString(out.Csr))
		}
		if time.Now().After(deadline) {
			t.Fatalf("no CSR for %s after 30 s: %v", caARN, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitPCACertificate polls until the issued certificate can be fetched.
func waitPCACertificate(t *testing.T, client *acmpca.Client, caARN, certARN string) []byte {
	t.Helper()

	deadline := time.Now().Add(30 * time.Second)
	for {
		out, err := client.GetCertificate(context.Background(), &acmpca.GetCertificateInput{
			CertificateAuthorityArn: aws.String(caARN), CertificateArn: aws.String(certARN),
		})
		if err == nil {
			return []byte(aws.ToString(out.Certificate))
		}
		if time.Now().After(deadline) {
			t.Fatalf("certificate %s not available after 30 s: %v", certARN, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// checkPrivateTokensAcrossNodes sends one token with a private CA's ARN
// to every node at once; all must return one ARN, which gets issued.
func checkPrivateTokensAcrossNodes(t *testing.T, nodes []*node, caARN string) string {
	t.Helper()

	got := make([]string, len(nodes))
	errs := make([]error, len(nodes))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, n := range nodes {
		client := n.client()
		wg.Go(func() {
			<-start
			out, err := client.RequestCertificate(context.Background(), &acm.RequestCertificateInput{
				DomainName:              aws.String("private.cluster.example.com"),
				CertificateAuthorityArn: aws.String(caARN),
				KeyAlgorithm:            types.KeyAlgorithmEcPrime256v1,
				IdempotencyToken:        aws.String("clusterprivate"),
			})
			errs[i] = err
			if err == nil {
				got[i] = aws.ToString(out.CertificateArn)
			}
		})
	}
	close(start)
	wg.Wait()

	for i := range nodes {
		if errs[i] != nil {
			t.Fatalf("private token on %s: %v", nodes[i].name, errs[i])
		}
		if got[i] != got[0] {
			t.Errorf("private token: %s returned %s, %s returned %s", nodes[i].name, got[i], nodes[0].name, got[0])
		}
	}

	waitNoPending(t, nodes[1].client(), 30*time.Second)
	checkIssuedEverywhere(t, nodes, got[:1])
	return got[0]
}

// checkSameCRL fetches the CRL at path from every node; the bytes must be
// the same, and the CRL must list each serial in mustList. It returns the CRL.
func checkSameCRL(t *testing.T, nodes []*node, path string, mustList ...[]byte) *x509.RevocationList {
	t.Helper()

	first := fetch(t, nodes[0].url()+path)
	for _, n := range nodes[1:] {
		if got := fetch(t, n.url()+path); !bytes.Equal(got, first) {
			t.Errorf("%s: %s serves another CRL than %s", path, n.name, nodes[0].name)
		}
	}

	crl, err := x509.ParseRevocationList(first)
	if err != nil {
		t.Fatalf("%s: parse CRL: %v", path, err)
	}
	for _, serial := range mustList {
		listed := false
		for _, entry := range crl.RevokedCertificateEntries {
			listed = listed || bytes.Equal(entry.SerialNumber.Bytes(), serial)
		}
		if !listed {
			t.Errorf("%s: CRL number %s does not list revoked serial %x", path, crl.Number, serial)
		}
	}
	return crl
}

// checkCRLsAfterRevocation revokes a public certificate through ACM and a
// private one through acm-pca, each on another node than the one that
// issued it, and checks that every node then serves the same CRLs that
// list them, with CRL numbers above the ones before.
func checkCRLsAfterRevocation(t *testing.T, nodes []*node, caARN, caCRLPath, privateARN string) {
	t.Helper()
	ctx := context.Background()

	publicBefore := checkSameCRL(t, nodes, "/crl/intermediate.crl")
	privateBefore := checkSameCRL(t, nodes, caCRLPath)

	publicSerial := revokePublic(t, nodes)

	described, err := nodes[2].client().DescribeCertificate(ctx, &acm.DescribeCertificateInput{CertificateArn: aws.String(privateARN)})
	if err != nil {
		t.Fatalf("describe %s: %v", privateARN, err)
	}
	privateSerial := serialBytes(aws.ToString(described.Certificate.Serial))
	_, err = nodes[2].pcaClient().RevokeCertificate(ctx, &acmpca.RevokeCertificateInput{
		CertificateAuthorityArn: aws.String(caARN),
		CertificateSerial:       described.Certificate.Serial,
		RevocationReason:        pcatypes.RevocationReasonKeyCompromise,
	})
	if err != nil {
		t.Fatalf("revoke private certificate on %s: %v", nodes[2].name, err)
	}

	publicAfter := checkSameCRL(t, nodes, "/crl/intermediate.crl", publicSerial)
	privateAfter := checkSameCRL(t, nodes, caCRLPath, privateSerial)
	if publicAfter.Number.Cmp(publicBefore.Number) <= 0 {
		t.Errorf("intermediate CRL number %s after a revocation, was %s", publicAfter.Number, publicBefore.Number)
	}
	if privateAfter.Number.Cmp(privateBefore.Number) <= 0 {
		t.Errorf("private CA CRL number %s after a revocation, was %s", privateAfter.Number, privateBefore.Number)
	}
}

// revokePublic requests an exportable public certificate on the first
// node, exports it on the second and revokes it on the third. It returns
// the revoked serial.
func revokePublic(t *testing.T, nodes []*node) []byte {
	t.Helper()
	ctx := context.Background()

	requested, err := nodes[0].client().RequestCertificate(ctx, &acm.RequestCertificateInput{
		DomainName:       aws.String("revoked.cluster.example.com"),
		ValidationMethod: types.ValidationMethodDns,
		Options:          &types.CertificateOptions{Export: types.CertificateExportEnabled},
	})
	if err != nil {
		t.Fatalf("request exportable certificate on %s: %v", nodes[0].name, err)
	}
	arn := requested.CertificateArn
	waitNoPending(t, nodes[1].client(), 30*time.Second)

	exported, err := nodes[1].client().ExportCertificate(ctx, &acm.ExportCertificateInput{CertificateArn: arn, Passphrase: []byte("cluster-passphrase")})
	if err != nil {
		t.Fatalf("export %s on %s: %v", aws.ToString(arn), nodes[1].name, err)
	}
	block, _ := pem.Decode([]byte(aws.ToString(exported.Certificate)))
	if block == nil {
		t.Fatalf("exported certificate of %s is not PEM", aws.ToString(arn))
	}
	leaf, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatalf("parse exported certificate: %v", err)
	}

	if _, err := nodes[2].client().RevokeCertificate(ctx, &acm.RevokeCertificateInput{
		CertificateArn: arn, RevocationReason: types.RevocationReasonKeyCompromise,
	}); err != nil {
		t.Fatalf("revoke %s on %s: %v", aws.ToString(arn), nodes[2].name, err)
	}
	return new(big.Int).Set(leaf.SerialNumber).Bytes()
}
