package issuance

import (
	"crypto/x509"
	"encoding/pem"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestNewMaterialRoot(t *testing.T) {
	ca := testCA(t)
	root := ca.Root

	if got, want := root.Subject.String(), "CN=OpenACM Test Root CA,O=OpenACM Test,C=US"; got != want {
		t.Errorf("root subject = %q, want %q", got, want)
	}
	if !root.BasicConstraintsValid {
		t.Error("root has no basic constraints")
	}
	if !root.IsCA {
		t.Error("root is not a CA")
	}
	if got, want := root.KeyUsage, x509.KeyUsageCertSign|x509.KeyUsageCRLSign; got != want {
		t.Errorf("root key usage = %b, want %b", got, want)
	}
	if len(root.ExtKeyUsage)+len(root.UnknownExtKeyUsage) != 0 {
		t.Errorf("root has extended key usages %v %v, want none", root.ExtKeyUsage, root.UnknownExtKeyUsage)
	}
	if err := root.CheckSignatureFrom(root); err != nil {
		t.Errorf("root is not self-signed: %v", err)
	}
	if got := root.NotAfter.Sub(root.NotBefore); got < 25*365*24*time.Hour || got > 25*366*24*time.Hour {
		t.Errorf("root validity = %s, want 25 years", got)
	}
	if got, _ := KeyAlgorithmOf(root.PublicKey); got != RSA2048 {
		t.Errorf("root key algorithm = %q, want %q", got, RSA2048)
	}
	lintCertificate(t, root.Raw)
}

func TestNewMaterialIntermediate(t *testing.T) {
	ca := testCA(t)
	intermediate := ca.Intermediate

	if got, want := intermediate.Subject.String(), "CN=OpenACM Test Issuing CA 01,O=OpenACM Test,C=US"; got != want {
		t.Errorf("intermediate subject = %q, want %q", got, want)
	}
	if !intermediate.IsCA {
		t.Error("intermediate is not a CA")
	}
	if intermediate.MaxPathLen != 0 || !intermediate.MaxPathLenZero {
		t.Errorf("intermediate pathLen = %d (zero set: %v), want 0", intermediate.MaxPathLen, intermediate.MaxPathLenZero)
	}
	wantEKU := []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
	if !slices.Equal(intermediate.ExtKeyUsage, wantEKU) {
		t.Errorf("intermediate EKU = %v, want %v", intermediate.ExtKeyUsage, wantEKU)
	}
	if got, want := DescribeKeyUsages(intermediate), []string{"DIGITAL_SIGNATURE", "CERTIFICATE_SIGNING", "CRL_SIGNING"}; !slices.Equal(got, want) {
		t.Errorf("intermediate key usages = %q, want %q", got, want)
	}
	if !slices.Equal(intermediate.AuthorityKeyId, ca.Root.SubjectKeyId) {
		t.Errorf("intermediate AKI = %x, want the root SKI %x", intermediate.AuthorityKeyId, ca.Root.SubjectKeyId)
	}
	if len(intermediate.SubjectKeyId) != 20 {
		t.Errorf("intermediate SKI has %d bytes, want 20", len(intermediate.SubjectKeyId))
	}
	if got := intermediate.NotAfter.Sub(intermediate.NotBefore); got < 10*365*24*time.Hour || got > 10*366*24*time.Hour {
		t.Errorf("intermediate validity = %s, want 10 years", got)
	}
	if intermediate.NotAfter.After(ca.Root.NotAfter) {
		t.Errorf("intermediate NotAfter %s is past the root's %s", intermediate.NotAfter, ca.Root.NotAfter)
	}

	// The intermediate has no CRL distribution point because NewMaterial
	// has no URL where a root CRL would be served.
	lintCertificate(t, intermediate.Raw, "e_sub_ca_crl_distribution_points_missing")
}

func TestNewMaterialRejectsEmptyOrganization(t *testing.T) {
	_, err := NewMaterial("", time.Now())
	if err == nil {
		t.Fatal("NewMaterial(\"\") succeeded, want an error")
	}
	if !strings.Contains(err.Error(), "organization is empty") {
		t.Errorf("error %q does not contain %q", err, "organization is empty")
	}
}

func TestLoadCAIssuesAfterRoundTrip(t *testing.T) {
	material := testMaterial(t)
	ca, err := LoadCA(material)
	if err != nil {
		t.Fatalf("LoadCA: %v", err)
	}

	leaf, err := ca.IssueLeaf(testLeafRequest(testKey(t, ECP256).Public(), time.Now()))
	if err != nil {
		t.Fatalf("IssueLeaf: %v", err)
	}
	if err := leaf.Certificate.CheckSignatureFrom(ca.Intermediate); err != nil {
		t.Errorf("leaf is not signed by the loaded intermediate: %v", err)
	}
	if got := ca.Organization(); got != testOrganization {
		t.Errorf("Organization = %q, want %q", got, testOrganization)
	}
}

func TestLoadCARejectsMismatchedMaterial(t *testing.T) {
	good := testMaterial(t)
	other, err := NewMaterial("Other Org", time.Now())
	if err != nil {
		t.Fatalf("NewMaterial: %v", err)
	}

	tests := []struct {
		name    string
		modify  func(*Material)
		wantErr string
	}{
		{"root key of intermediate", func(m *Material) { m.RootKeyPEM = good.IntermediateKeyPEM }, "root key: does not match"},
		{"intermediate key of root", func(m *Material) { m.IntermediateKeyPEM = good.RootKeyPEM }, "intermediate key: does not match"},
		{"root from other material", func(m *Material) { m.RootCertPEM, m.RootKeyPEM = other.RootCertPEM, other.RootKeyPEM }, "not signed by the root"},
		{"intermediate as root", func(m *Material) { m.RootCertPEM, m.RootKeyPEM = good.IntermediateCertPEM, good.IntermediateKeyPEM }, "not signed by the root"},
		{"root certificate garbage", func(m *Material) { m.RootCertPEM = []byte("garbage") }, "root certificate: no PEM block"},
		{"intermediate certificate is a key", func(m *Material) { m.IntermediateCertPEM = good.IntermediateKeyPEM }, "intermediate certificate: PEM block type"},
		{"intermediate key missing", func(m *Material) { m.IntermediateKeyPEM = nil }, "intermediate key: parse private key: no PEM block"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			material := good
			tt.modify(&material)

			_, err := LoadCA(material)
			if err == nil {
				t.Fatal("LoadCA succeeded, want an error")
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestChainPEM(t *testing.T) {
	ca := testCA(t)
	chain := ca.ChainPEM()

	first, rest := pem.Decode([]byte(chain))
	if first == nil {
		t.Fatal("chain has no PEM block")
	}
	second, rest := pem.Decode(rest)
	if second == nil {
		t.Fatal("chain has only one PEM block")
	}
	if len(rest) != 0 {
		t.Errorf("chain has %d bytes after the second block", len(rest))
	}
	if !slices.Equal(first.Bytes, ca.Intermediate.Raw) {
		t.Error("first chain block is not the intermediate")
	}
	if !slices.Equal(second.Bytes, ca.Root.Raw) {
		t.Error("second chain block is not the root")
	}
	if !strings.HasSuffix(chain, "-----END CERTIFICATE-----\n") {
		t.Errorf("chain does not end with a newline: %q", chain[len(chain)-30:])
	}
}
