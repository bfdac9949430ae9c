package benchkit

import (
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"testing"
	"time"
)

func TestPercentileNearestRank(t *testing.T) {
	var durations []time.Duration
	for i := 10; i >= 1; i-- {
		durations = append(durations, time.Duration(i)*time.Millisecond)
	}
	sorted := SortLatencies(durations)

	for _, tc := range []struct {
		p    float64
		want float64
	}{
		{0.50, 5}, {0.90, 9}, {0.99, 10}, {0, 1}, {1, 10},
	} {
		if got := sorted.Percentile(tc.p); got != tc.want {
			t.Errorf("Percentile(%v) = %v ms, want %v ms", tc.p, got, tc.want)
		}
	}
	if got := sorted.Max(); got != 10 {
		t.Errorf("Max() = %v ms, want 10 ms", got)
	}
	if durations[0] != 10*time.Millisecond {
		t.Errorf("SortLatencies reordered its input: first is %v", durations[0])
	}
}

func TestPercentileOfNone(t *testing.T) {
	sorted := SortLatencies(nil)
	if got := sorted.Percentile(0.99); got != 0 {
		t.Errorf("Percentile(0.99) of no durations = %v, want 0", got)
	}
	if got := sorted.Max(); got != 0 {
		t.Errorf("Max() of no durations = %v, want 0", got)
	}
}

func TestSignLeafChainsToCA(t *testing.T) {
	now := time.Now()
	m, err := NewMaterial(pkix.Name{CommonName: "test CA"}, now.Add(-time.Hour), now.Add(time.Hour))
	if err != nil {
		t.Fatalf("NewMaterial: %v", err)
	}
	certPEM, err := m.SignLeaf(&x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "www.example.com"},
		DNSNames:     []string{"www.example.com"},
		NotBefore:    now.Add(-time.Minute),
		NotAfter:     now.Add(time.Minute),
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	if err != nil {
		t.Fatalf("SignLeaf: %v", err)
	}

	block, _ := pem.Decode(certPEM)
	if block == nil || block.Type != "CERTIFICATE" {
		t.Fatalf("SignLeaf returned no CERTIFICATE PEM block: %q", certPEM)
	}
	leaf, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatalf("parse leaf: %v", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM([]byte(m.CAPEM)) {
		t.Fatalf("CAPEM holds no certificate: %q", m.CAPEM)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, DNSName: "www.example.com"}); err != nil {
		t.Errorf("leaf does not verify against the CA: %v", err)
	}
	if key, ok := leaf.PublicKey.(*rsa.PublicKey); !ok || !key.Equal(m.LeafKey.Public()) {
		t.Error("leaf's public key is not LeafKey's")
	}
}
