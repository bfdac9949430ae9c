package throttle

import (
	"testing"
	"time"
)

func TestLimiterBucketPerAccountAndOperation(t *testing.T) {
	limiter := New(map[string]float64{"CertificateManager.ListCertificates": 1, AnyOperation: 2})
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	list := "CertificateManager.ListCertificates"

	if !limiter.Allow("111122223333", list, now) {
		t.Fatalf("first ListCertificates throttled")
	}
	if limiter.Allow("111122223333", list, now) {
		t.Errorf("second ListCertificates in the same second allowed, want throttled at 1/s")
	}
	if !limiter.Allow("444455556666", list, now) {
		t.Errorf("another account's first ListCertificates throttled")
	}
	if !limiter.Allow("111122223333", "CertificateManager.DescribeCertificate", now) {
		t.Errorf("another operation throttled by ListCertificates' bucket")
	}
	if !limiter.Allow("111122223333", list, now.Add(time.Second)) {
		t.Errorf("ListCertificates a second later throttled, want a refilled token")
	}
}

func TestParse(t *testing.T) {
	if limiter, err := Parse("off"); err != nil || limiter != nil {
		t.Errorf("Parse(off) = %v, %v; want nil, nil", limiter, err)
	}
	if limiter, err := Parse("aws"); err != nil || limiter.rates["CertificateManager.RequestCertificate"] != 5 {
		t.Errorf("Parse(aws) = %v, %v; want ACM's rates", limiter, err)
	}
	limiter, err := Parse("CertificateManager.ListCertificates=2, *=0.5")
	if err != nil || limiter.rates["CertificateManager.ListCertificates"] != 2 || limiter.rates[AnyOperation] != 0.5 {
		t.Errorf("Parse(custom) = %v, %v", limiter, err)
	}
	for _, bad := range []string{"fast", "=3", "X=0", "X=-1", "X=abc"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) error = nil", bad)
		}
	}
}

func TestNilLimiterAllows(t *testing.T) {
	var limiter *Limiter
	if !limiter.Allow("111122223333", "CertificateManager.ListCertificates", time.Now()) {
		t.Errorf("nil Limiter throttled a request")
	}
}
