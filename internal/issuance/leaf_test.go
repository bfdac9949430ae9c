package issuance

import (
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

const (
	testIssuerURL = "http://127.0.0.1:8080/ca/intermediate.der"
	testCRLURL    = "http://127.0.0.1:8080/ca/intermediate.crl"
	leafValidity  = 198 * 24 * time.Hour
)

var testDNSNames = []string{"www.example.com", "*.example.com", "example.com"}

// serialPattern matches 1 to 16 lower-case hex octets joined by ':'.
var serialPattern = regexp.MustCompile(`^[0-9a-f]{2}(:[0-9a-f]{2}){0,15}$`)

func testLeafRequest(pub crypto.PublicKey, now time.Time) LeafRequest {
	notBefore, notAfter := Validity(now, leafValidity)
	return LeafRequest{
		CommonName: testDNSNames[0],
		DNSNames:   slices.Clone(testDNSNames),
		PublicKey:  pub,
		NotBefore:  notBefore,
		NotAfter:   notAfter,
		IssuerURL:  testIssuerURL,
		CRLURL:     testCRLURL,
	}
}

func TestIssueLeaf(t *testing.T) {
	ca := testCA(t)
	now := time.Now()

	tests := []struct {
		algorithm     string
		wantKeyUsages []string
	}{
		{RSA2048, []string{"DIGITAL_SIGNATURE", "KEY_ENCIPHERMENT"}},
		{ECP256, []string{"DIGITAL_SIGNATURE"}},
		{ECP384, []string{"DIGITAL_SIGNATURE"}},
	}
	for _, tt := range tests {
		t.Run(tt.algorithm, func(t *testing.T) {
			key := testKey(t, tt.algorithm)
			leaf, err := ca.IssueLeaf(testLeafRequest(key.Public(), now))
			if err != nil {
				t.Fatalf("IssueLeaf: %v", err)
			}

			cert := parseLeafPEM(t, leaf.CertificatePEM)
			checkLeafVerifies(t, ca, cert)
			checkLeafSubject(t, cert, key.Public())
			checkLeafExtensions(t, ca, cert, tt.wantKeyUsages)
			checkLeafValidity(t, cert, now)
			checkLeafDescription(t, leaf, tt.wantKeyUsages)
			lintCertificate(t, cert.Raw)
		})
	}
}

func parseLeafPEM(t *testing.T, certPEM string) *x509.Certificate {
	t.Helper()
	block, rest := pem.Decode([]byte(certPEM))
	if block == nil || block.Type != "CERTIFICATE" {
		t.Fatalf("CertificatePEM is not a CERTIFICATE PEM block: %.60q", certPEM)
	}
	if len(rest) != 0 {
		t.Errorf("CertificatePEM has %d bytes after the block", len(rest))
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatalf("ParseCertificate: %v", err)
	}
	return cert
}

func checkLeafVerifies(t *testing.T, ca *CA, cert *x509.Certificate) {
	t.Helper()
	roots := x509.NewCertPool()
	roots.AddCert(ca.Root)
	intermediates := x509.NewCertPool()
	intermediates.AddCert(ca.Intermediate)

	for _, name := range []string{"www.example.com", "api.example.com", "example.com"} {
		_, err := cert.Verify(x509.VerifyOptions{
			DNSName:       name,
			Roots:         roots,
			Intermediates: intermediates,
			KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		})
		if err != nil {
			t.Errorf("Verify for %s: %v", name, err)
		}
	}
}

func checkLeafSubject(t *testing.T, cert *x509.Certificate, pub crypto.PublicKey) {
	t.Helper()
	if !publicKeysEqual(cert.PublicKey, pub) {
		t.Error("certificate public key differs from the requested key")
	}
	if got := cert.Subject.String(); got != "CN=www.example.com" {
		t.Errorf("subject = %q, want %q", got, "CN=www.example.com")
	}
	if !slices.Equal(cert.DNSNames, testDNSNames) {
		t.Errorf("DNSNames = %q, want %q", cert.DNSNames, testDNSNames)
	}
	if len(cert.IPAddresses)+len(cert.EmailAddresses)+len(cert.URIs) != 0 {
		t.Errorf("certificate has SANs other than DNS names: %v %v %v", cert.IPAddresses, cert.EmailAddresses, cert.URIs)
	}
}

func checkLeafExtensions(t *testing.T, ca *CA, cert *x509.Certificate, wantKeyUsages []string) {
	t.Helper()
	if got := DescribeKeyUsages(cert); !slices.Equal(got, wantKeyUsages) {
		t.Errorf("key usages = %q, want %q", got, wantKeyUsages)
	}
	if !extensionCritical(cert, asn1.ObjectIdentifier{2, 5, 29, 15}) {
		t.Error("key usage extension is not critical")
	}
	if !slices.Equal(cert.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}) {
		t.Errorf("extended key usages = %v, want serverAuth only", cert.ExtKeyUsage)
	}
	if len(cert.UnknownExtKeyUsage) != 0 {
		t.Errorf("unknown extended key usages = %v, want none", cert.UnknownExtKeyUsage)
	}
	if !cert.BasicConstraintsValid {
		t.Error("leaf has no basic constraints")
	}
	if cert.IsCA {
		t.Error("leaf is a CA")
	}
	if !extensionCritical(cert, asn1.ObjectIdentifier{2, 5, 29, 19}) {
		t.Error("basic constraints extension is not critical")
	}

	wantPolicies := []string{"2.23.140.1.2.1"}
	var gotPolicies []string
	for _, policy := range cert.Policies {
		gotPolicies = append(gotPolicies, policy.String())
	}
	if !slices.Equal(gotPolicies, wantPolicies) {
		t.Errorf("policies = %q, want %q", gotPolicies, wantPolicies)
	}

	if len(cert.SubjectKeyId) != 20 {
		t.Errorf("subject key ID has %d bytes, want 20", len(cert.SubjectKeyId))
	}
	if !slices.Equal(cert.AuthorityKeyId, ca.Intermediate.SubjectKeyId) {
		t.Errorf("authority key ID = %x, want the intermediate's %x", cert.AuthorityKeyId, ca.Intermediate.SubjectKeyId)
	}
	if !slices.Equal(cert.IssuingCertificateURL, []string{testIssuerURL}) {
		t.Errorf("AIA caIssuers = %q, want %q", cert.IssuingCertificateURL, testIssuerURL)
	}
	if len(cert.OCSPServer) != 0 {
		t.Errorf("AIA OCSP = %q, want none", cert.OCSPServer)
	}
	if !slices.Equal(cert.CRLDistributionPoints, []string{testCRLURL}) {
		t.Errorf("CRL distribution points = %q, want %q", cert.CRLDistributionPoints, testCRLURL)
	}
	if cert.SignatureAlgorithm != x509.SHA256WithRSA {
		t.Errorf("signature algorithm = %v, want SHA256-RSA", cert.SignatureAlgorithm)
	}
}

func extensionCritical(cert *x509.Certificate, oid asn1.ObjectIdentifier) bool {
	for _, ext := range cert.Extensions {
		if ext.Id.Equal(oid) {
			return ext.Critical
		}
	}
	return false
}

func checkLeafValidity(t *testing.T, cert *x509.Certificate, now time.Time) {
	t.Helper()
	year, month, day := now.UTC().Date()
	wantNotBefore := time.Date(year, month, day, 0, 0, 0, 0, time.UTC)
	wantNotAfter := wantNotBefore.AddDate(0, 0, 198).Add(-time.Second)

	if !cert.NotBefore.Equal(wantNotBefore) {
		t.Errorf("NotBefore = %s, want %s", cert.NotBefore, wantNotBefore)
	}
	if !cert.NotAfter.Equal(wantNotAfter) {
		t.Errorf("NotAfter = %s, want %s", cert.NotAfter, wantNotAfter)
	}
}

func checkLeafDescription(t *testing.T, leaf Leaf, wantKeyUsages []string) {
	t.Helper()
	if !serialPattern.MatchString(leaf.Serial) {
		t.Errorf("Serial = %q, want lower-case hex octets joined by ':'", leaf.Serial)
	}
	serialHex := strings.ReplaceAll(leaf.Serial, ":", "")
	if got := strings.TrimLeft(serialHex, "0"); got != leaf.Certificate.SerialNumber.Text(16) {
		t.Errorf("Serial %q does not match the certificate serial %x", leaf.Serial, leaf.Certificate.SerialNumber)
	}
	if leaf.Certificate.SerialNumber.BitLen() < 64 {
		t.Errorf("serial has %d bits, want at least 64", leaf.Certificate.SerialNumber.BitLen())
	}
	if leaf.SignatureAlgorithm != "SHA256WITHRSA" {
		t.Errorf("SignatureAlgorithm = %q, want SHA256WITHRSA", leaf.SignatureAlgorithm)
	}
	if !slices.Equal(leaf.KeyUsages, wantKeyUsages) {
		t.Errorf("KeyUsages = %q, want %q", leaf.KeyUsages, wantKeyUsages)
	}
	wantEKU := []ExtendedKeyUsage{{Name: "TLS_WEB_SERVER_AUTHENTICATION", OID: "1.3.6.1.5.5.7.3.1"}}
	if !slices.Equal(leaf.ExtendedKeyUsages, wantEKU) {
		t.Errorf("ExtendedKeyUsages = %v, want %v", leaf.ExtendedKeyUsages, wantEKU)
	}
}

func TestIssueLeafSerialsDiffer(t *testing.T) {
	ca := testCA(t)
	req := testLeafRequest(testKey(t, ECP256).Public(), time.Now())

	seen := map[string]bool{}
	for range 20 {
		leaf, err := ca.IssueLeaf(req)
		if err != nil {
			t.Fatalf("IssueLeaf: %v", err)
		}
		if seen[leaf.Serial] {
			t.Fatalf("serial %s issued twice", leaf.Serial)
		}
		seen[leaf.Serial] = true
	}
}

func TestIssueLeafRejectsInvalidRequest(t *testing.T) {
	ca := testCA(t)
	valid := testLeafRequest(testKey(t, ECP256).Public(), time.Now())
	unnamedCurvePublicKey := unnamedCurveKey(t)

	tests := []struct {
		name    string
		modify  func(*LeafRequest)
		wantErr string
	}{
		{"empty common name", func(r *LeafRequest) { r.CommonName = "" }, "common name is empty"},
		{"long common name", func(r *LeafRequest) { r.CommonName = strings.Repeat("a", 60) + ".example.com" }, "longer than 64"},
		{"common name not in SANs", func(r *LeafRequest) { r.CommonName = "other.example.com" }, "missing from the DNS names"},
		{"missing key", func(r *LeafRequest) { r.PublicKey = nil }, "public key is missing"},
		{"unsupported key", func(r *LeafRequest) { r.PublicKey = unnamedCurvePublicKey }, "P-224"},
		{"inverted validity", func(r *LeafRequest) { r.NotAfter = r.NotBefore.Add(-time.Hour) }, "not later than"},
		{"missing issuer URL", func(r *LeafRequest) { r.IssuerURL = "" }, "issuer URL"},
		{"missing CRL URL", func(r *LeafRequest) { r.CRLURL = "" }, "CRL URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := valid
			req.DNSNames = slices.Clone(valid.DNSNames)
			tt.modify(&req)

			_, err := ca.IssueLeaf(req)
			if err == nil {
				t.Fatal("IssueLeaf succeeded, want an error")
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestValidity(t *testing.T) {
	tokyo := time.FixedZone("JST", 9*60*60)
	tests := []struct {
		name          string
		now           time.Time
		wantNotBefore time.Time
	}{
		{"midday UTC", time.Date(2026, 3, 14, 15, 9, 26, 5, time.UTC), time.Date(2026, 3, 14, 0, 0, 0, 0, time.UTC)},
		{"midnight UTC", time.Date(2026, 3, 14, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 14, 0, 0, 0, 0, time.UTC)},
		{"last second of day", time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC), time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)},
		{"morning in Tokyo is previous UTC day", time.Date(2026, 3, 14, 8, 0, 0, 0, tokyo), time.Date(2026, 3, 13, 0, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			notBefore, notAfter := Validity(tt.now, leafValidity)
			if !notBefore.Equal(tt.wantNotBefore) {
				t.Errorf("notBefore = %s, want %s", notBefore, tt.wantNotBefore)
			}
			if notBefore.Location() != time.UTC {
				t.Errorf("notBefore location = %s, want UTC", notBefore.Location())
			}
			wantNotAfter := tt.wantNotBefore.AddDate(0, 0, 198).Add(-time.Second)
			if !notAfter.Equal(wantNotAfter) {
				t.Errorf("notAfter = %s, want %s", notAfter, wantNotAfter)
			}
		})
	}
}
