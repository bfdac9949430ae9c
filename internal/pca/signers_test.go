package pca

import (
	"testing"

	"github.com/openacm/openacm/internal/issuance"
	"github.com/openacm/openacm/internal/store"
)

func testCAKeyPEM(t *testing.T) []byte {
	t.Helper()
	key, err := issuance.GenerateKey(issuance.ECP256)
	if err != nil {
		t.Fatalf("GenerateKey: %v", err)
	}
	keyPEM, err := issuance.MarshalPrivateKey(key)
	if err != nil {
		t.Fatalf("MarshalPrivateKey: %v", err)
	}
	return keyPEM
}

func TestSignerCacheReusesAndRefreshes(t *testing.T) {
	var cache signerCache
	ca := &store.CertificateAuthority{ARN: "arn:aws:acm-pca:us-east-1:000000000000:certificate-authority/test", PrivateKeyPEM: testCAKeyPEM(t)}

	first, err := cache.signerFor(ca)
	if err != nil {
		t.Fatalf("signerFor: %v", err)
	}
	if first.cert != nil {
		t.Fatal("a CA without a certificate got one")
	}
	again, err := cache.signerFor(ca)
	if err != nil {
		t.Fatalf("signerFor again: %v", err)
	}
	if again != first {
		t.Fatal("an unchanged CA was parsed again")
	}

	ca.PrivateKeyPEM = testCAKeyPEM(t)
	changed, err := cache.signerFor(ca)
	if err != nil {
		t.Fatalf("signerFor after a key change: %v", err)
	}
	if changed == first {
		t.Fatal("a CA with a new key kept its old signer")
	}
}

func TestSignerCacheRejectsBadKey(t *testing.T) {
	var cache signerCache
	ca := &store.CertificateAuthority{ARN: "arn:aws:acm-pca:us-east-1:000000000000:certificate-authority/bad", PrivateKeyPEM: []byte("not a key")}
	if _, err := cache.signerFor(ca); err == nil {
		t.Fatal("signerFor accepted a CA whose key does not parse")
	}
}
