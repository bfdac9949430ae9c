package integration

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/acm/types"
	"github.com/aws/aws-sdk-go-v2/service/acmpca"
	pcatypes "github.com/aws/aws-sdk-go-v2/service/acmpca/types"

	"github.com/openacm/openacm/internal/app"
	"github.com/openacm/openacm/internal/keys"
	"github.com/openacm/openacm/internal/store/sqlstore"
)

// selfSignedImport returns a self-signed certificate for name and its key
// in PEM, PKCS#8 for RSA and SEC 1 for EC keys, as ImportCertificate takes them.
func selfSignedImport(t *testing.T, name string, key crypto.Signer) (certPEM, keyPEM []byte) {
	t.Helper()
	template := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: name},
		DNSNames:     []string{name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(90 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, key.Public(), key)
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	block := &pem.Block{Type: "PRIVATE KEY"}
	if ecKey, isEC := key.(*ecdsa.PrivateKey); isEC {
		block.Type = "EC PRIVATE KEY"
		block.Bytes, err = x509.MarshalECPrivateKey(ecKey)
	} else {
		block.Bytes, err = x509.MarshalPKCS8PrivateKey(key)
	}
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(block)
}

// TestNoClearKeysImportExportPCA imports a certificate of
// every key type ImportCertificate accepts, creates private CAs, issues
// private certificates through acm-pca and through ACM with a
// CertificateAuthorityArn, and exports one. Then no file of the data dir,
// the database included, may contain any of those private keys in clear.
func TestNoClearKeysImportExportPCA(t *testing.T) {
	s := startServer(t)
	client := s.client(testRegion)
	pcaClient := s.pcaClient(testRegion)
	ctx := context.Background()
	secrets := map[string][]byte{}

	importKeys := map[string]func() (crypto.Signer, error){
		"RSA_1024":      func() (crypto.Signer, error) { return rsa.GenerateKey(rand.Reader, 1024) },
		"RSA_2048":      func() (crypto.Signer, error) { return rsa.GenerateKey(rand.Reader, 2048) },
		"RSA_3072":      func() (crypto.Signer, error) { return rsa.GenerateKey(rand.Reader, 3072) },
		"RSA_4096":      func() (crypto.Signer, error) { return rsa.GenerateKey(rand.Reader, 4096) },
		"EC_prime256v1": func() (crypto.Signer, error) { return ecdsa.GenerateKey(elliptic.P256(), rand.Reader) },
		"EC_secp384r1":  func() (crypto.Signer, error) { return ecdsa.GenerateKey(elliptic.P384(), rand.Reader) },
		"EC_secp521r1":  func() (crypto.Signer, error) { return ecdsa.GenerateKey(elliptic.P521(), rand.Reader) },
	}
	for algorithm, generate := range importKeys {
		key, err := generate()
		if err != nil {
			t.Fatal(err)
		}
		certPEM, keyPEM := selfSignedImport(t, "import-"+algorithm[:2]+".scan.example.com", key)
		imported, err := client.ImportCertificate(ctx, &acm.ImportCertificateInput{Certificate: certPEM, PrivateKey: keyPEM})
		if err != nil {
			t.Fatalf("ImportCertificate %s: %v", algorithm, err)
		}
		described, err := client.DescribeCertificate(ctx, &acm.DescribeCertificateInput{CertificateArn: imported.CertificateArn})
		if err != nil {
			t.Fatal(err)
		}
		// DescribeCertificate spells key algorithms with a hyphen, as ACM does.
		if got, want := string(described.Certificate.KeyAlgorithm), strings.Replace(algorithm, "_", "-", 1); got != want {
			t.Errorf("imported %s key shows KeyAlgorithm %s, want %s", algorithm, got, want)
		}
		addKeyBytes(t, secrets, "imported "+algorithm, keyPEM)
	}

	ecRoot := createCA(t, pcaClient, caInput(pcatypes.CertificateAuthorityTypeRoot, "Scan EC Root", nil))
	activateRoot(t, pcaClient, ecRoot)
	rsaInput := caInput(pcatypes.CertificateAuthorityTypeRoot, "Scan RSA Root", nil)
	rsaInput.CertificateAuthorityConfiguration.KeyAlgorithm = pcatypes.KeyAlgorithmRsa2048
	rsaInput.CertificateAuthorityConfiguration.SigningAlgorithm = pcatypes.SigningAlgorithmSha256withrsa
	rsaRoot := createCA(t, pcaClient, rsaInput)

	csrKey, csr := newCSR(t, "pca-leaf.scan.example.com")
	issue(t, pcaClient, &acmpca.IssueCertificateInput{
		CertificateAuthorityArn: aws.String(ecRoot),
		Csr:                     csr,
		SigningAlgorithm:        pcatypes.SigningAlgorithmSha256withecdsa,
		Validity:                &pcatypes.Validity{Type: pcatypes.ValidityPeriodTypeDays, Value: aws.Int64(30)},
	})
	csrKeyDER, err := x509.MarshalPKCS8PrivateKey(csrKey)
	if err != nil {
		t.Fatal(err)
	}
	addKeyBytes(t, secrets, "acm-pca CSR key", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: csrKeyDER}))

	requested, err := client.RequestCertificate(ctx, &acm.RequestCertificateInput{
		DomainName:              aws.String("private.scan.example.com"),
		CertificateAuthorityArn: aws.String(ecRoot),
		KeyAlgorithm:            types.KeyAlgorithmEcPrime256v1,
	})
	if err != nil {
		t.Fatalf("RequestCertificate with CertificateAuthorityArn: %v", err)
	}
	privateArn := *requested.CertificateArn
	waitForStatus(t, client, privateArn, "ISSUED")
	exported, err := client.ExportCertificate(ctx, &acm.ExportCertificateInput{CertificateArn: aws.String(privateArn), Passphrase: []byte("scan-passphrase")})
	if err != nil {
		t.Fatalf("ExportCertificate: %v", err)
	}
	if aws.ToString(exported.PrivateKey) == "" {
		t.Fatalf("ExportCertificate returned no private key")
	}

	storedKeys(t, s, secrets, privateArn, []string{ecRoot, rsaRoot})
	// Each key adds its DER and its secret number.
	if want := 2 * (len(importKeys) + 1 + 1 + 2); len(secrets) != want {
		t.Fatalf("collected %d private key byte strings, want %d", len(secrets), want)
	}

	scanDataDir(t, s.dataDir, secrets)
	s.stop()
	scanDataDir(t, s.dataDir, secrets)
}

// storedKeys adds the keys the server made itself, which only the store
// can open: the ACM private certificate's and the private CAs'.
func storedKeys(t *testing.T, s *server, secrets map[string][]byte, certificateArn string, caArns []string) {
	t.Helper()
	keyring, err := keys.LoadFile(filepath.Join(s.dataDir, app.MasterKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlstore.OpenSQLite(context.Background(), filepath.Join(s.dataDir, app.DatabaseFile), nil, sqlstore.WithKeyring(keyring))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	cert, err := st.GetCertificate(context.Background(), "000000000000", testRegion, certificateArn)
	if err != nil {
		t.Fatal(err)
	}
	addKeyBytes(t, secrets, "ACM private certificate", cert.PrivateKeyPEM)
	for _, arn := range caArns {
		ca, err := st.GetCertificateAuthority(context.Background(), "000000000000", testRegion, arn)
		if err != nil {
			t.Fatal(err)
		}
		addKeyBytes(t, secrets, "private CA "+arn, ca.PrivateKeyPEM)
	}
}
