package sqlstore

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"testing"
	"time"
	"unicode/utf16"
)

// rawName returns a DER subject of one attribute per RDN, each value of
// the given ASN.1 tag.
func rawName(t *testing.T, attributes ...asn1.RawValue) []byte {
	t.Helper()
	var rdns pkix.RDNSequence
	for _, value := range attributes {
		rdns = append(rdns, pkix.RelativeDistinguishedNameSET{{Type: oidCommonName, Value: value}})
	}
	der, err := asn1.Marshal(rdns)
	if err != nil {
		t.Fatalf("marshal name: %v", err)
	}
	return der
}

func stringValue(tag int, value []byte) asn1.RawValue {
	return asn1.RawValue{Class: asn1.ClassUniversal, Tag: tag, Bytes: value}
}

func bmpString(s string) []byte {
	var out []byte
	for _, unit := range utf16.Encode([]rune(s)) {
		out = append(out, byte(unit>>8), byte(unit))
	}
	return out
}

func signedWithSubject(t *testing.T, key *ecdsa.PrivateKey, subject pkix.Name, rawSubject []byte) []byte {
	t.Helper()
	template := &x509.Certificate{
		SerialNumber: big.NewInt(7),
		Subject:      subject,
		RawSubject:   rawSubject,
		NotBefore:    time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:     time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		DNSNames:     []string{"example.com"},
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, key.Public(), key)
	if err != nil {
		t.Fatalf("CreateCertificate: %v", err)
	}
	return der
}

// TestSubjectCommonNameMatchesX509 reads the common name of certificates
// with several kinds of subject and compares it with crypto/x509's.
func TestSubjectCommonNameMatchesX509(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("GenerateKey: %v", err)
	}

	cases := []struct {
		name       string
		subject    pkix.Name
		rawSubject []byte
		// fastPath is whether subjectCommonName reads the name itself
		// rather than asking for a full parse.
		fastPath bool
	}{
		{name: "printable", subject: pkix.Name{CommonName: "w1-2-3.bench.example.com"}, fastPath: true},
		{name: "wildcard", subject: pkix.Name{CommonName: "*.example.com"}, fastPath: true},
		{name: "utf8", subject: pkix.Name{CommonName: "bücher.example"}, fastPath: true},
		{name: "no common name", subject: pkix.Name{Organization: []string{"Example"}}, fastPath: true},
		{name: "empty subject", subject: pkix.Name{}, fastPath: true},
		{name: "with other attributes", subject: pkix.Name{
			Country: []string{"DE"}, Organization: []string{"Example GmbH"}, CommonName: "example.com",
		}, fastPath: true},
		{name: "two common names", rawSubject: rawName(t,
			stringValue(asn1.TagPrintableString, []byte("first.example")),
			stringValue(asn1.TagUTF8String, []byte("second.example")),
		), fastPath: true},
		{name: "bmp string", rawSubject: rawName(t, stringValue(30, bmpString("bmp.example"))), fastPath: false},
		{name: "ia5 string", rawSubject: rawName(t, stringValue(asn1.TagIA5String, []byte("ia5.example"))), fastPath: false},
	}

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			der := signedWithSubject(t, key, tc.subject, tc.rawSubject)
			parsed, err := x509.ParseCertificate(der)
			if err != nil {
				t.Fatalf("ParseCertificate: %v", err)
			}

			got, ok := subjectCommonName(der)
			if ok != tc.fastPath {
				t.Fatalf("subjectCommonName ok = %v, want %v", ok, tc.fastPath)
			}
			if ok && got != parsed.Subject.CommonName {
				t.Errorf("subjectCommonName = %q, want crypto/x509's %q", got, parsed.Subject.CommonName)
			}
		})
	}
}

// TestSubjectCommonNameRejectsInvalid returns false for DER that
// crypto/x509 rejects in the subject, so the caller's full parse decides.
func TestSubjectCommonNameRejectsInvalid(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("GenerateKey: %v", err)
	}
	cases := map[string][]byte{
		"printable with underscore": signedWithSubject(t, key, pkix.Name{},
			rawName(t, stringValue(asn1.TagPrintableString, []byte("bad_name.example")))),
		"invalid utf8": signedWithSubject(t, key, pkix.Name{},
			rawName(t, stringValue(asn1.TagUTF8String, []byte{0xff, 0xfe}))),
		"truncated": signedWithSubject(t, key, pkix.Name{CommonName: "example.com"}, nil)[:40],
		"empty":     nil,
	}

	for name, der := range cases {
		t.Run(name, func(t *testing.T) {
			if cn, ok := subjectCommonName(der); ok {
				t.Errorf("subjectCommonName = %q, true; want false", cn)
			}
		})
	}
}
