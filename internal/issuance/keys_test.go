package issuance

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
)

func TestGenerateKeyRoundTrip(t *testing.T) {
	algorithms := []string{RSA1024, RSA2048, RSA3072, RSA4096, ECP256, ECP384, ECP521}
	for _, algorithm := range algorithms {
		t.Run(algorithm, func(t *testing.T) {
			key := testKey(t, algorithm)

			got, err := KeyAlgorithmOf(key.Public())
			if err != nil {
				t.Fatalf("KeyAlgorithmOf: %v", err)
			}
			if got != algorithm {
				t.Errorf("KeyAlgorithmOf = %q, want %q", got, algorithm)
			}

			keyPEM, err := MarshalPrivateKey(key)
			if err != nil {
				t.Fatalf("MarshalPrivateKey: %v", err)
			}
			if !strings.HasPrefix(string(keyPEM), "-----BEGIN PRIVATE KEY-----\n") {
				t.Errorf("MarshalPrivateKey PEM starts with %.40q, want a PRIVATE KEY block", keyPEM)
			}

			parsed, err := ParsePrivateKey(keyPEM)
			if err != nil {
				t.Fatalf("ParsePrivateKey: %v", err)
			}
			if !publicKeysEqual(parsed.Public(), key.Public()) {
				t.Error("parsed key differs from the generated key")
			}
		})
	}
}

func TestGenerateKeyUnknownAlgorithm(t *testing.T) {
	_, err := GenerateKey("RSA_8192")
	if err == nil {
		t.Fatal("GenerateKey(RSA_8192) succeeded, want an error")
	}
	if !strings.Contains(err.Error(), "RSA_8192") {
		t.Errorf("error %q does not name the algorithm", err)
	}
}

func TestParsePrivateKeyLegacyForms(t *testing.T) {
	rsaKey := testKey(t, RSA2048).(*rsa.PrivateKey)
	ecKey := testKey(t, ECP256).(*ecdsa.PrivateKey)
	sec1, err := x509.MarshalECPrivateKey(ecKey)
	if err != nil {
		t.Fatalf("MarshalECPrivateKey: %v", err)
	}

	tests := []struct {
		name  string
		block *pem.Block
		want  any
	}{
		{"pkcs1 rsa", &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey)}, rsaKey.Public()},
		{"sec1 ec", &pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1}, ecKey.Public()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, err := ParsePrivateKey(pem.EncodeToMemory(tt.block))
			if err != nil {
				t.Fatalf("ParsePrivateKey: %v", err)
			}
			if !publicKeysEqual(key.Public(), tt.want) {
				t.Error("parsed key differs from the encoded key")
			}
		})
	}
}

func TestParsePrivateKeyRejectsInvalidInput(t *testing.T) {
	encrypted := &pem.Block{
		Type:    "RSA PRIVATE KEY",
		Headers: map[string]string{"Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-128-CBC,00"},
		Bytes:   []byte{1, 2, 3},
	}

	tests := []struct {
		name    string
		input   []byte
		wantErr string
	}{
		{"not pem", []byte("not a key"), "no PEM block"},
		{"certificate block", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1}}), `"CERTIFICATE"`},
		{"encrypted", pem.EncodeToMemory(encrypted), "encrypted"},
		{"garbage pkcs8", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1, 2}}), "PKCS #8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParsePrivateKey(tt.input)
			if err == nil {
				t.Fatal("ParsePrivateKey succeeded, want an error")
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestKeyAlgorithmOfUnsupportedKeys(t *testing.T) {
	edPublic, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatalf("generate Ed25519 key: %v", err)
	}
	rsa2047 := &rsa.PublicKey{N: new(big.Int).Lsh(big.NewInt(1), 2046), E: 65537}

	tests := []struct {
		name    string
		key     any
		wantErr string
	}{
		{"p224", unnamedCurveKey(t), "P-224"},
		{"ed25519", edPublic, "ed25519.PublicKey"},
		{"rsa 2047 bits", rsa2047, "2047 bits"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := KeyAlgorithmOf(tt.key)
			if err == nil {
				t.Fatal("KeyAlgorithmOf succeeded, want an error")
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not contain %q", err, tt.wantErr)
			}
		})
	}
}

// unnamedCurveKey returns a P-224 public key, a curve with no ACM
// key algorithm name.
func unnamedCurveKey(t *testing.T) crypto.PublicKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	if err != nil {
		t.Fatalf("generate P-224 key: %v", err)
	}
	return key.Public()
}
