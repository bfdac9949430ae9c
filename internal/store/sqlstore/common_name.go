package sqlstore

import (
	encodingasn1 "encoding/asn1"
	"unicode/utf8"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// oidCommonName is the attribute type of a subject common name (RFC 5280,
// id-at-commonName).
var oidCommonName = encodingasn1.ObjectIdentifier{2, 5, 4, 3}

// subjectCommonName reads the subject common name of a DER certificate
// without parsing the rest of it, which costs several times less than
// x509.ParseCertificate when the certificate was just signed. Like
// crypto/x509, it returns the last common name of the subject, or "" when
// there is none. It returns false, so that the caller parses the whole
// certificate, for a common name that is neither a UTF8String nor a
// PrintableString that crypto/x509 accepts, and for malformed DER.
//
// NOTE: it does not check the subject's other attributes or anything
// outside the subject, which crypto/x509 rejects a malformed certificate
// for. The store only holds certificates that crypto/x509 parsed when
// they were signed or imported.
func subjectCommonName(der []byte) (string, bool) {
	input := cryptobyte.String(der)
	var certificate, tbs, subject cryptobyte.String
	if !input.ReadASN1(&certificate, asn1.SEQUENCE) || !certificate.ReadASN1(&tbs, asn1.SEQUENCE) {
		return "", false
	}
	// version [0] EXPLICIT (optional), serialNumber, signature, issuer and
	// validity come before the subject.
	if !tbs.SkipOptionalASN1(asn1.Tag(0).Constructed().ContextSpecific()) ||
		!tbs.SkipASN1(asn1.INTEGER) ||
		!tbs.SkipASN1(asn1.SEQUENCE) ||
		!tbs.SkipASN1(asn1.SEQUENCE) ||
		!tbs.SkipASN1(asn1.SEQUENCE) ||
		!tbs.ReadASN1(&subject, asn1.SEQUENCE) {
		return "", false
	}

	cn := ""
	for !subject.Empty() {
		var set cryptobyte.String
		if !subject.ReadASN1(&set, asn1.SET) {
			return "", false
		}
		for !set.Empty() {
			var attribute, value cryptobyte.String
			var oid encodingasn1.ObjectIdentifier
			var tag asn1.Tag
			if !set.ReadASN1(&attribute, asn1.SEQUENCE) ||
				!attribute.ReadASN1ObjectIdentifier(&oid) ||
				!attribute.ReadAnyASN1(&value, &tag) {
				return "", false
			}
			if !oid.Equal(oidCommonName) {
				continue
			}
			if !validNameString(tag, value) {
				return "", false
			}
			cn = string(value)
		}
	}
	return cn, true
}

// validNameString reports whether value is a UTF8String or PrintableString
// that crypto/x509 accepts in a name.
func validNameString(tag asn1.Tag, value []byte) bool {
	switch tag {
	case asn1.UTF8String:
		return utf8.Valid(value)
	case asn1.PrintableString:
		for _, b := range value {
			if !printableByte(b) {
				return false
			}
		}
		return true
	}
	return false
}

// printableByte reports whether crypto/x509 (Go 1.26, parser.go) accepts b
// in a PrintableString: the characters of X.680 plus '*' and '&', which
// crypto/x509 allows because real certificates use them.
func printableByte(b byte) bool {
	return 'a' <= b && b <= 'z' ||
		'A' <= b && b <= 'Z' ||
		'0' <= b && b <= '9' ||
		'\'' <= b && b <= ')' ||
		'+' <= b && b <= '/' ||
		b == ' ' || b == ':' || b == '=' || b == '?' || b == '*' || b == '&'
}
