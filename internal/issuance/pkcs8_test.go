package issuance

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func TestEncryptPrivateKeyOpenSSL(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl is not installed")
	}

	tests := []struct {
		name      string
		algorithm string
		password  []byte
	}{
		{"rsa", RSA2048, []byte("correct horse")},
		{"ec untrimmed", ECP256, []byte("  pass with spaces \t")},
		{"ec binary", ECP384, []byte{0x01, 0xff, 'a', 'b'}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, err := GenerateKey(tt.algorithm)
			if err != nil {
				t.Fatal(err)
			}
			keyPEM, err := MarshalPrivateKey(key)
			if err != nil {
				t.Fatal(err)
			}
			encrypted, err := EncryptPrivateKey(keyPEM, tt.password)
			if err != nil {
				t.Fatalf("EncryptPrivateKey: %v", err)
			}
			if !bytes.HasPrefix(encrypted, []byte("-----BEGIN ENCRYPTED PRIVATE KEY-----")) {
				t.Fatalf("output starts %q", encrypted[:40])
			}

			dir := t.TempDir()
			keyFile := filepath.Join(dir, "key.pem")
			passFile := filepath.Join(dir, "pass")
			if err := os.WriteFile(keyFile, encrypted, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(passFile, tt.password, 0o600); err != nil {
				t.Fatal(err)
			}
			// openssl reads the first line of a -passin file, so no test
			// password contains a newline.
			out, err := exec.Command(openssl, "pkey", "-in", keyFile, "-passin", "file:"+passFile).CombinedOutput()
			if err != nil {
				t.Fatalf("openssl pkey: %v: %s", err, out)
			}
			if !bytes.Equal(out, keyPEM) {
				t.Errorf("openssl decrypted\n%s\nwant\n%s", out, keyPEM)
			}
		})
	}
}
