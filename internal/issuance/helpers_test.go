package issuance

import (
	"crypto"
	"slices"
	"sync"
	"testing"
	"time"

	zx509 "github.com/zmap/zcrypto/x509"
	"github.com/zmap/zlint/v3"
	"github.com/zmap/zlint/v3/lint"
)

const testOrganization = "OpenACM Test"

// Creating CA material costs two RSA-2048 key generations, so the tests
// share one set and the keys generated for each algorithm.
var (
	sharedMaterialOnce sync.Once
	sharedMaterial     Material
	sharedMaterialErr  error

	sharedKeysMu sync.Mutex
	sharedKeys   = map[string]crypto.Signer{}
)

func testMaterial(t testing.TB) Material {
	t.Helper()
	sharedMaterialOnce.Do(func() {
		sharedMaterial, sharedMaterialErr = NewMaterial(testOrganization, time.Now())
	})
	if sharedMaterialErr != nil {
		t.Fatalf("NewMaterial: %v", sharedMaterialErr)
	}
	return sharedMaterial
}

func testCA(t testing.TB) *CA {
	t.Helper()
	ca, err := LoadCA(testMaterial(t))
	if err != nil {
		t.Fatalf("LoadCA: %v", err)
	}
	return ca
}

func testKey(t testing.TB, algorithm string) crypto.Signer {
	t.Helper()
	sharedKeysMu.Lock()
	defer sharedKeysMu.Unlock()

	if key, ok := sharedKeys[algorithm]; ok {
		return key
	}
	key, err := GenerateKey(algorithm)
	if err != nil {
		t.Fatalf("GenerateKey(%s): %v", algorithm, err)
	}
	sharedKeys[algorithm] = key
	return key
}

// lintCertificate fails the test for every zlint Error or Fatal result on
// der, except the lints named in allowed.
func lintCertificate(t *testing.T, der []byte, allowed ...string) {
	t.Helper()
	cert, err := zx509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("zcrypto ParseCertificate: %v", err)
	}

	reportLintResults(t, zlint.LintCertificate(cert), allowed)
}

// lintRevocationList fails the test for every zlint Error or Fatal result on
// the DER CRL.
func lintRevocationList(t *testing.T, der []byte) {
	t.Helper()
	crl, err := zx509.ParseRevocationList(der)
	if err != nil {
		t.Fatalf("zcrypto ParseRevocationList: %v", err)
	}
	reportLintResults(t, zlint.LintRevocationList(crl), nil)
}

func reportLintResults(t *testing.T, results *zlint.ResultSet, allowed []string) {
	t.Helper()
	for name, result := range results.Results {
		if result.Status != lint.Error && result.Status != lint.Fatal {
			continue
		}
		if slices.Contains(allowed, name) {
			t.Logf("lint %s: %s (allowed)", name, result.Status)
			continue
		}
		t.Errorf("lint %s: %s %s", name, result.Status, result.Details)
	}
}
