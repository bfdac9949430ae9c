package issuance

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"slices"
	"testing"
)

func TestFormatSerial(t *testing.T) {
	tests := []struct {
		name   string
		serial *big.Int
		want   string
	}{
		{"one octet", big.NewInt(1), "01"},
		{"two octets", big.NewInt(0x0a1b), "0a:1b"},
		{"high bit gets sign octet", big.NewInt(0x80), "00:80"},
		{"leading zero nibble", big.NewInt(0x0d2e), "0d:2e"},
		{"sixteen octets", new(big.Int).SetBytes([]byte{0x7f, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 0xff}), "7f:01:02:03:04:05:06:07:08:09:0a:0b:0c:0d:0e:ff"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := FormatSerial(&x509.Certificate{SerialNumber: tt.serial})
			if got != tt.want {
				t.Errorf("FormatSerial(%x) = %q, want %q", tt.serial, got, tt.want)
			}
		})
	}
}

func TestSignatureAlgorithmName(t *testing.T) {
	tests := []struct {
		algorithm x509.SignatureAlgorithm
		want      string
	}{
		{x509.SHA256WithRSA, "SHA256WITHRSA"},
		{x509.SHA384WithRSA, "SHA384WITHRSA"},
		{x509.SHA512WithRSA, "SHA512WITHRSA"},
		{x509.SHA1WithRSA, "SHA1WITHRSA"},
		{x509.ECDSAWithSHA256, "SHA256WITHECDSA"},
		{x509.ECDSAWithSHA384, "SHA384WITHECDSA"},
		{x509.ECDSAWithSHA512, "SHA512WITHECDSA"},
		{x509.UnknownSignatureAlgorithm, "UNKNOWN"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			got := SignatureAlgorithmName(&x509.Certificate{SignatureAlgorithm: tt.algorithm})
			if got != tt.want {
				t.Errorf("SignatureAlgorithmName(%v) = %q, want %q", tt.algorithm, got, tt.want)
			}
		})
	}
}

func TestDescribeKeyUsages(t *testing.T) {
	tests := []struct {
		name  string
		usage x509.KeyUsage
		want  []string
	}{
		{"none", 0, []string{}},
		{"tls rsa", x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment, []string{"DIGITAL_SIGNATURE", "KEY_ENCIPHERMENT"}},
		{"all bits", 0x1ff, []string{
			"DIGITAL_SIGNATURE", "NON_REPUDIATION", "KEY_ENCIPHERMENT", "DATA_ENCIPHERMENT", "KEY_AGREEMENT",
			"CERTIFICATE_SIGNING", "CRL_SIGNING", "ENCIPHER_ONLY", "DECIPHER_ONLY",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := DescribeKeyUsages(&x509.Certificate{KeyUsage: tt.usage})
			if !slices.Equal(got, tt.want) {
				t.Errorf("DescribeKeyUsages(%b) = %q, want %q", tt.usage, got, tt.want)
			}
		})
	}
}

func TestDescribeExtendedKeyUsagesKeepsOrder(t *testing.T) {
	oids := []asn1.ObjectIdentifier{
		{1, 3, 6, 1, 5, 5, 7, 3, 2},
		{1, 2, 3, 4},
		{1, 3, 6, 1, 5, 5, 7, 3, 1},
		{2, 5, 29, 37, 0},
	}
	value, err := asn1.Marshal(oids)
	if err != nil {
		t.Fatalf("marshal EKU: %v", err)
	}
	cert := &x509.Certificate{Extensions: []pkix.Extension{{Id: oidExtendedKeyUsage, Value: value}}}

	want := []ExtendedKeyUsage{
		{Name: "TLS_WEB_CLIENT_AUTHENTICATION", OID: "1.3.6.1.5.5.7.3.2"},
		{Name: "CUSTOM", OID: "1.2.3.4"},
		{Name: "TLS_WEB_SERVER_AUTHENTICATION", OID: "1.3.6.1.5.5.7.3.1"},
		{Name: "ANY", OID: "2.5.29.37.0"},
	}
	if got := DescribeExtendedKeyUsages(cert); !slices.Equal(got, want) {
		t.Errorf("DescribeExtendedKeyUsages = %v, want %v", got, want)
	}
}

func TestDescribeExtendedKeyUsagesWithoutExtension(t *testing.T) {
	got := DescribeExtendedKeyUsages(&x509.Certificate{})
	if got == nil || len(got) != 0 {
		t.Errorf("DescribeExtendedKeyUsages = %#v, want an empty non-nil list", got)
	}
}
