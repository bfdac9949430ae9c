package issuance

import (
	"crypto/x509"
	"math/big"
	"strings"
	"testing"
	"time"
)

func TestCRL(t *testing.T) {
	ca := testCA(t)
	now := time.Now().Truncate(time.Second)
	revokedAt := now.Add(-time.Hour).UTC()

	first, err := ca.IssueLeaf(testLeafRequest(testKey(t, ECP256).Public(), now))
	if err != nil {
		t.Fatalf("IssueLeaf: %v", err)
	}
	second, err := ca.IssueLeaf(testLeafRequest(testKey(t, RSA2048).Public(), now))
	if err != nil {
		t.Fatalf("IssueLeaf: %v", err)
	}

	revoked := []RevokedSerial{
		{Serial: first.Certificate.SerialNumber, RevokedAt: revokedAt, ReasonCode: 1},
		{Serial: second.Certificate.SerialNumber, RevokedAt: revokedAt, ReasonCode: 0},
	}
	der, err := ca.CRL(now, big.NewInt(42), revoked)
	if err != nil {
		t.Fatalf("CRL: %v", err)
	}

	crl, err := x509.ParseRevocationList(der)
	if err != nil {
		t.Fatalf("ParseRevocationList: %v", err)
	}
	if err := crl.CheckSignatureFrom(ca.Intermediate); err != nil {
		t.Errorf("CRL signature does not verify against the intermediate: %v", err)
	}
	if crl.Number.Cmp(big.NewInt(42)) != 0 {
		t.Errorf("CRL number = %v, want 42", crl.Number)
	}
	if !crl.ThisUpdate.Equal(now) {
		t.Errorf("thisUpdate = %s, want %s", crl.ThisUpdate, now)
	}
	if want := now.Add(7 * 24 * time.Hour); !crl.NextUpdate.Equal(want) {
		t.Errorf("nextUpdate = %s, want %s", crl.NextUpdate, want)
	}
	if len(crl.RevokedCertificateEntries) != len(revoked) {
		t.Fatalf("CRL has %d entries, want %d", len(crl.RevokedCertificateEntries), len(revoked))
	}
	for i, entry := range crl.RevokedCertificateEntries {
		if entry.SerialNumber.Cmp(revoked[i].Serial) != 0 {
			t.Errorf("entry %d serial = %x, want %x", i, entry.SerialNumber, revoked[i].Serial)
		}
		if !entry.RevocationTime.Equal(revokedAt) {
			t.Errorf("entry %d revocation time = %s, want %s", i, entry.RevocationTime, revokedAt)
		}
		if entry.ReasonCode != revoked[i].ReasonCode {
			t.Errorf("entry %d reason = %d, want %d", i, entry.ReasonCode, revoked[i].ReasonCode)
		}
	}
	lintRevocationList(t, der)
}

func TestCRLEmpty(t *testing.T) {
	der, err := testCA(t).CRL(time.Now(), big.NewInt(1), nil)
	if err != nil {
		t.Fatalf("CRL: %v", err)
	}
	crl, err := x509.ParseRevocationList(der)
	if err != nil {
		t.Fatalf("ParseRevocationList: %v", err)
	}
	if len(crl.RevokedCertificateEntries) != 0 {
		t.Errorf("CRL has %d entries, want 0", len(crl.RevokedCertificateEntries))
	}
}

func TestCRLRejectsInvalidInput(t *testing.T) {
	ca := testCA(t)
	serial := big.NewInt(0x1234)

	tests := []struct {
		name    string
		number  *big.Int
		revoked []RevokedSerial
		wantErr string
	}{
		{"missing number", nil, nil, "CRL number"},
		{"negative number", big.NewInt(-1), nil, "CRL number"},
		{"missing serial", big.NewInt(1), []RevokedSerial{{RevokedAt: time.Now()}}, "not a positive integer"},
		{"unassigned reason 7", big.NewInt(1), []RevokedSerial{{Serial: serial, RevokedAt: time.Now(), ReasonCode: 7}}, "invalid reason code 7"},
		{"delta-only reason 8", big.NewInt(1), []RevokedSerial{{Serial: serial, RevokedAt: time.Now(), ReasonCode: 8}}, "invalid reason code 8"},
		{"reason out of range", big.NewInt(1), []RevokedSerial{{Serial: serial, RevokedAt: time.Now(), ReasonCode: 11}}, "invalid reason code 11"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ca.CRL(time.Now(), tt.number, tt.revoked)
			if err == nil {
				t.Fatal("CRL succeeded, want an error")
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not contain %q", err, tt.wantErr)
			}
		})
	}
}
