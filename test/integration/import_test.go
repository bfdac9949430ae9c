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
	"net"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/acm/types"
)

// testPKI is a root and an intermediate made in the test, for signing
// certificates to import.
type testPKI struct {
	root, intermediate       *x509.Certificate
	rootKey, intermediateKey crypto.Signer
}

func newTestPKI(t *testing.T) *testPKI {
	t.Helper()
	p := &testPKI{rootKey: ecKey(t, elliptic.P256()), intermediateKey: ecKey(t, elliptic.P256())}
	now := time.Now()
	caTemplate := func(cn string, serial int64) *x509.Certificate {
		return &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn, Organization: []string{"Import Test CA Org"}},
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(48 * time.Hour),
			IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
		}
	}
	p.root = signCert(t, caTemplate("Import Test Root", 1), nil, p.rootKey.Public(), p.rootKey)
	p.intermediate = signCert(t, caTemplate("Import Test Intermediate", 2), p.root, p.intermediateKey.Public(), p.rootKey)
	return p
}

func ecKey(t *testing.T, curve elliptic.Curve) crypto.Signer {
	t.Helper()
	key, err := ecdsa.GenerateKey(curve, rand.Reader)
	if err != nil {
		t.Fatalf("generate EC key: %v", err)
	}
	return key
}

func rsaKey(t *testing.T, bits int) crypto.Signer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatalf("generate RSA key: %v", err)
	}
	return key
}

// signCert signs template with parentKey; a nil parent self-signs.
func signCert(t *testing.T, template, parent *x509.Certificate, pub crypto.PublicKey, parentKey crypto.Signer) *x509.Certificate {
	t.Helper()
	if parent == nil {
		parent = template
	}
	der, err := x509.CreateCertificate(rand.Reader, template, parent, pub, parentKey)
	if err != nil {
		t.Fatalf("create certificate: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("parse certificate: %v", err)
	}
	return cert
}

// leafTemplate is a server certificate for names, valid for a day from an hour ago.
func leafTemplate(names ...string) *x509.Certificate {
	now := time.Now()
	return &x509.Certificate{
		SerialNumber: big.NewInt(now.UnixNano()),
		Subject:      pkix.Name{Country: []string{"US"}, Organization: []string{"Example Org"}, CommonName: names[0]},
		DNSNames:     names,
		NotBefore:    now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
}

func certPEM(certs ...*x509.Certificate) []byte {
	var out []byte
	for _, c := range certs {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return out
}

func keyPEM(t *testing.T, key crypto.Signer) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatalf("marshal key: %v", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

func TestImportKeyAlgorithms(t *testing.T) {
	srv := startServer(t)
	client := srv.client("us-east-1")
	pki := newTestPKI(t)
	ctx := context.Background()

	cases := []struct {
		name, want string
		key        crypto.Signer
	}{
		{"rsa 1024", "RSA-1024", rsaKey(t, 1024)},
		{"rsa 2048", "RSA-2048", rsaKey(t, 2048)},
		{"rsa 3072", "RSA-3072", rsaKey(t, 3072)},
		{"rsa 4096", "RSA-4096", rsaKey(t, 4096)},
		{"ec p256", "EC-prime256v1", ecKey(t, elliptic.P256())},
		{"ec p384", "EC-secp384r1", ecKey(t, elliptic.P384())},
		{"ec p521", "EC-secp521r1", ecKey(t, elliptic.P521())},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			leaf := signCert(t, leafTemplate("import.example.com", "www.import.example.com"), pki.intermediate, tc.key.Public(), pki.intermediateKey)
			in := &acm.ImportCertificateInput{Certificate: certPEM(leaf), PrivateKey: keyPEM(t, tc.key)}
			withChain := i%2 == 0
			if withChain {
				in.CertificateChain = certPEM(pki.intermediate, pki.root)
			}
			out, err := client.ImportCertificate(ctx, in)
			if err != nil {
				t.Fatalf("ImportCertificate: %v", err)
			}

			desc, err := client.DescribeCertificate(ctx, &acm.DescribeCertificateInput{CertificateArn: out.CertificateArn})
			if err != nil {
				t.Fatalf("DescribeCertificate: %v", err)
			}
			c := desc.Certificate
			checks := []struct {
				what      string
				got, want any
			}{
				{"Type", c.Type, types.CertificateTypeImported},
				{"Status", c.Status, types.CertificateStatusIssued},
				{"KeyAlgorithm", string(c.KeyAlgorithm), tc.want},
				{"DomainName", aws.ToString(c.DomainName), "import.example.com"},
				{"Subject", aws.ToString(c.Subject), "C=US,O=Example Org,CN=import.example.com"},
				{"Issuer", aws.ToString(c.Issuer), "Import Test CA Org"},
				{"CT", c.Options.CertificateTransparencyLoggingPreference, types.CertificateTransparencyLoggingPreferenceDisabled},
				{"Export", c.Options.Export, types.CertificateExportDisabled},
				{"SANs", slices.Equal(c.SubjectAlternativeNames, []string{"import.example.com", "www.import.example.com"}), true},
				{"CreatedAt set", c.CreatedAt != nil, true},
				{"ImportedAt set", c.ImportedAt != nil, true},
				{"KeyUsages", len(c.KeyUsages), 2},
				{"ExtendedKeyUsages", len(c.ExtendedKeyUsages), 2},
				{"DVO count", len(c.DomainValidationOptions), 2},
				{"DVO only name", c.DomainValidationOptions[0].ValidationStatus == "" && c.DomainValidationOptions[0].ResourceRecord == nil, true},
			}
			for _, check := range checks {
				if check.got != check.want {
					t.Errorf("%s = %v, want %v", check.what, check.got, check.want)
				}
			}
			if serial := aws.ToString(c.Serial); len(serial) < 2 || serial[2] != ':' {
				t.Errorf("Serial = %q, want colon-separated hex", serial)
			}

			got, err := client.GetCertificate(ctx, &acm.GetCertificateInput{CertificateArn: out.CertificateArn})
			if err != nil {
				t.Fatalf("GetCertificate: %v", err)
			}
			if aws.ToString(got.Certificate) != string(certPEM(leaf)) {
				t.Errorf("GetCertificate returned another certificate")
			}
			if withChain && aws.ToString(got.CertificateChain) != string(certPEM(pki.intermediate, pki.root)) {
				t.Errorf("GetCertificate chain = %q, want the imported chain", aws.ToString(got.CertificateChain))
			}
		})
	}
}

func TestImportRejections(t *testing.T) {
	srv := startServer(t)
	client := srv.client("us-east-1")
	pki := newTestPKI(t)
	ctx := context.Background()

	key := ecKey(t, elliptic.P256())
	good := signCert(t, leafTemplate("ok.example.com"), pki.intermediate, key.Public(), pki.intermediateKey)

	expiredTemplate := leafTemplate("expired.example.com")
	expiredTemplate.NotBefore, expiredTemplate.NotAfter = time.Now().Add(-48*time.Hour), time.Now().Add(-24*time.Hour)
	futureTemplate := leafTemplate("future.example.com")
	futureTemplate.NotBefore, futureTemplate.NotAfter = time.Now().Add(24*time.Hour), time.Now().Add(48*time.Hour)

	//nolint:staticcheck // Legacy PEM encryption is exactly what some users still send.
	encryptedBlock, err := x509.EncryptPEMBlock(rand.Reader, "EC PRIVATE KEY", mustECDER(t, key), []byte("secret"), x509.PEMCipherAES256)
	if err != nil {
		t.Fatalf("encrypt key: %v", err)
	}
	rsa1536 := rsaKey(t, 1536)

	cases := []struct {
		name     string
		cert     []byte
		key      []byte
		chain    []byte
		wantCode string
		wantMsg  string
	}{
		{"expired", certPEM(signCert(t, expiredTemplate, pki.intermediate, key.Public(), pki.intermediateKey)), keyPEM(t, key), nil,
			"ValidationException", "The certificate has expired."},
		{"not yet valid", certPEM(signCert(t, futureTemplate, pki.intermediate, key.Public(), pki.intermediateKey)), keyPEM(t, key), nil,
			"ValidationException", "The certificate is not yet valid."},
		{"mismatched key", certPEM(good), keyPEM(t, ecKey(t, elliptic.P256())), nil,
			"ValidationException", "The private key does not match the public key in the certificate."},
		{"encrypted key", certPEM(good), pem.EncodeToMemory(encryptedBlock), nil,
			"ValidationException", "The private key is encrypted. Provide an unencrypted private key."},
		{"bundle", certPEM(good, pki.intermediate), keyPEM(t, key), nil,
			"ValidationException", "The certificate field contains more than one certificate. You can specify only one certificate in this field."},
		{"garbage certificate", []byte("not a certificate at all"), keyPEM(t, key), nil,
			"ValidationException", "Unable to parse certificate. Please ensure the certificate is in PEM format."},
		{"garbage key", certPEM(good), []byte("garbage"), nil,
			"ValidationException", "Unable to parse private key. Please ensure the private key is in PEM format."},
		{"unsupported rsa size", certPEM(signCert(t, leafTemplate("odd.example.com"), pki.intermediate, rsa1536.Public(), pki.intermediateKey)), keyPEM(t, rsa1536), nil,
			"ValidationException", "The certificate key algorithm is not supported. Use RSA keys of 1024 to 4096 bits or EC keys on P-256, P-384 or P-521."},
		{"chain out of order", certPEM(good), keyPEM(t, key), certPEM(pki.root, pki.intermediate),
			"ValidationException", "Unable to validate certificate chain. The certificate chain must start with the immediate signing certificate, followed by any intermediaries in order. The index within the chain of the invalid certificate is: 0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := client.ImportCertificate(ctx, &acm.ImportCertificateInput{Certificate: tc.cert, PrivateKey: tc.key, CertificateChain: tc.chain})
			if err == nil {
				t.Fatalf("ImportCertificate succeeded, want %s", tc.wantCode)
			}
			code, message := apiError(t, err)
			if code != tc.wantCode {
				t.Errorf("code = %s, want %s", code, tc.wantCode)
			}
			if message != tc.wantMsg {
				t.Errorf("message = %q, want %q", message, tc.wantMsg)
			}
		})
	}

	list, err := client.ListCertificates(ctx, &acm.ListCertificatesInput{Includes: &types.Filters{KeyTypes: []types.KeyAlgorithm{types.KeyAlgorithmEcPrime256v1, types.KeyAlgorithmRsa2048}}})
	if err != nil {
		t.Fatalf("ListCertificates: %v", err)
	}
	if len(list.CertificateSummaryList) != 0 {
		t.Errorf("rejected imports left %d certificates", len(list.CertificateSummaryList))
	}
}

func mustECDER(t *testing.T, key crypto.Signer) []byte {
	t.Helper()
	der, err := x509.MarshalECPrivateKey(key.(*ecdsa.PrivateKey))
	if err != nil {
		t.Fatalf("marshal EC key: %v", err)
	}
	return der
}

func TestImportIPOnlyCertificate(t *testing.T) {
	srv := startServer(t)
	client := srv.client("us-east-1")
	ctx := context.Background()

	key := ecKey(t, elliptic.P256())
	template := leafTemplate("placeholder")
	template.Subject = pkix.Name{Organization: []string{"IP Only"}}
	template.DNSNames = nil
	template.IPAddresses = []net.IP{net.ParseIP("192.0.2.10")}
	cert := signCert(t, template, nil, key.Public(), key)

	out, err := client.ImportCertificate(ctx, &acm.ImportCertificateInput{Certificate: certPEM(cert), PrivateKey: keyPEM(t, key)})
	if err != nil {
		t.Fatalf("ImportCertificate: %v", err)
	}
	desc, err := client.DescribeCertificate(ctx, &acm.DescribeCertificateInput{CertificateArn: out.CertificateArn})
	if err != nil {
		t.Fatalf("DescribeCertificate: %v", err)
	}
	if name := aws.ToString(desc.Certificate.DomainName); name != "" {
		t.Errorf("DomainName = %q, want empty", name)
	}
	if len(desc.Certificate.SubjectAlternativeNames) != 0 {
		t.Errorf("SubjectAlternativeNames = %v, want none", desc.Certificate.SubjectAlternativeNames)
	}
}

func TestReimport(t *testing.T) {
	srv := startServer(t)
	client := srv.client("us-east-1")
	pki := newTestPKI(t)
	ctx := context.Background()

	key := ecKey(t, elliptic.P256())
	first := signCert(t, leafTemplate("re.example.com"), pki.intermediate, key.Public(), pki.intermediateKey)
	out, err := client.ImportCertificate(ctx, &acm.ImportCertificateInput{
		Certificate: certPEM(first), PrivateKey: keyPEM(t, key),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("edge")}},
	})
	if err != nil {
		t.Fatalf("ImportCertificate: %v", err)
	}
	arn := out.CertificateArn

	newKey := ecKey(t, elliptic.P256())
	second := signCert(t, leafTemplate("re2.example.com"), pki.intermediate, newKey.Public(), pki.intermediateKey)

	_, err = client.ImportCertificate(ctx, &acm.ImportCertificateInput{
		CertificateArn: arn, Certificate: certPEM(second), PrivateKey: keyPEM(t, newKey),
		Tags: []types.Tag{{Key: aws.String("x")}},
	})
	if code, message := apiError(t, err); code != "ValidationException" || message != "Tagging is not permitted on re-import." {
		t.Errorf("reimport with tags: %s %q", code, message)
	}

	rsa := rsaKey(t, 2048)
	rsaCert := signCert(t, leafTemplate("re.example.com"), pki.intermediate, rsa.Public(), pki.intermediateKey)
	_, err = client.ImportCertificate(ctx, &acm.ImportCertificateInput{CertificateArn: arn, Certificate: certPEM(rsaCert), PrivateKey: keyPEM(t, rsa)})
	if code, _ := apiError(t, err); code != "ValidationException" {
		t.Errorf("reimport with another key type: %s, want ValidationException", code)
	}

	missing := "arn:aws:acm:us-east-1:000000000000:certificate/00000000-0000-4000-8000-000000000000"
	_, err = client.ImportCertificate(ctx, &acm.ImportCertificateInput{CertificateArn: aws.String(missing), Certificate: certPEM(second), PrivateKey: keyPEM(t, newKey)})
	if code, message := apiError(t, err); code != "ResourceNotFoundException" || message != "Could not find certificate "+missing+"." {
		t.Errorf("reimport of unknown ARN: %s %q", code, message)
	}

	again, err := client.ImportCertificate(ctx, &acm.ImportCertificateInput{CertificateArn: arn, Certificate: certPEM(second), PrivateKey: keyPEM(t, newKey)})
	if err != nil {
		t.Fatalf("reimport: %v", err)
	}
	if aws.ToString(again.CertificateArn) != aws.ToString(arn) {
		t.Errorf("reimport ARN = %s, want %s", aws.ToString(again.CertificateArn), aws.ToString(arn))
	}
	desc, err := client.DescribeCertificate(ctx, &acm.DescribeCertificateInput{CertificateArn: arn})
	if err != nil {
		t.Fatalf("DescribeCertificate: %v", err)
	}
	if name := aws.ToString(desc.Certificate.DomainName); name != "re2.example.com" {
		t.Errorf("DomainName after reimport = %q, want re2.example.com", name)
	}
	tags, err := client.ListTagsForCertificate(ctx, &acm.ListTagsForCertificateInput{CertificateArn: arn})
	if err != nil {
		t.Fatalf("ListTagsForCertificate: %v", err)
	}
	if len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Key) != "team" {
		t.Errorf("tags after reimport = %v, want the first import's", tags.Tags)
	}
}
