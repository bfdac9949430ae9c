package issuance

import (
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"strings"
)

// ExtendedKeyUsage is one extended key usage as ACM reports it: an ACM name
// such as "TLS_WEB_SERVER_AUTHENTICATION" and the dotted OID.
type ExtendedKeyUsage struct {
	Name string
	OID  string
}

// keyUsageNames lists the ACM KeyUsage names in the bit order of RFC 5280.
var keyUsageNames = []struct {
	usage x509.KeyUsage
	name  string
}{
	{x509.KeyUsageDigitalSignature, "DIGITAL_SIGNATURE"},
	{x509.KeyUsageContentCommitment, "NON_REPUDIATION"},
	{x509.KeyUsageKeyEncipherment, "KEY_ENCIPHERMENT"},
	{x509.KeyUsageDataEncipherment, "DATA_ENCIPHERMENT"},
	{x509.KeyUsageKeyAgreement, "KEY_AGREEMENT"},
	{x509.KeyUsageCertSign, "CERTIFICATE_SIGNING"},
	{x509.KeyUsageCRLSign, "CRL_SIGNING"},
	{x509.KeyUsageEncipherOnly, "ENCIPHER_ONLY"},
	{x509.KeyUsageDecipherOnly, "DECIPHER_ONLY"},
}

// extendedKeyUsageNames maps the OIDs that have an ACM ExtendedKeyUsage name.
var extendedKeyUsageNames = map[string]string{
	"1.3.6.1.5.5.7.3.1": "TLS_WEB_SERVER_AUTHENTICATION",
	"1.3.6.1.5.5.7.3.2": "TLS_WEB_CLIENT_AUTHENTICATION",
	"1.3.6.1.5.5.7.3.3": "CODE_SIGNING",
	"1.3.6.1.5.5.7.3.4": "EMAIL_PROTECTION",
	"1.3.6.1.5.5.7.3.5": "IPSEC_END_SYSTEM",
	"1.3.6.1.5.5.7.3.6": "IPSEC_TUNNEL",
	"1.3.6.1.5.5.7.3.7": "IPSEC_USER",
	"1.3.6.1.5.5.7.3.8": "TIME_STAMPING",
	"1.3.6.1.5.5.7.3.9": "OCSP_SIGNING",
	"2.5.29.37.0":       "ANY",
}

var oidExtendedKeyUsage = asn1.ObjectIdentifier{2, 5, 29, 37}

// DescribeKeyUsages returns the ACM names of the key usage bits set in c, in
// RFC 5280 bit order. A certificate without the extension gets an empty list.
func DescribeKeyUsages(c *x509.Certificate) []string {
	names := []string{}
	for _, entry := range keyUsageNames {
		if c.KeyUsage&entry.usage != 0 {
			names = append(names, entry.name)
		}
	}
	return names
}

// DescribeExtendedKeyUsages returns the extended key usages of c in the order
// the certificate lists them. OIDs without an ACM name are reported as
// "CUSTOM" with their OID.
func DescribeExtendedKeyUsages(c *x509.Certificate) []ExtendedKeyUsage {
	usages := []ExtendedKeyUsage{}
	for _, oid := range extendedKeyUsageOIDs(c) {
		name, ok := extendedKeyUsageNames[oid.String()]
		if !ok {
			name = "CUSTOM"
		}
		usages = append(usages, ExtendedKeyUsage{Name: name, OID: oid.String()})
	}
	return usages
}

// extendedKeyUsageOIDs reads the EKU extension itself, because the parsed
// certificate splits known and unknown usages and so loses their order.
func extendedKeyUsageOIDs(c *x509.Certificate) []asn1.ObjectIdentifier {
	for _, ext := range c.Extensions {
		if !ext.Id.Equal(oidExtendedKeyUsage) {
			continue
		}
		var oids []asn1.ObjectIdentifier
		if _, err := asn1.Unmarshal(ext.Value, &oids); err != nil {
			// x509.ParseCertificate already rejects a malformed EKU extension.
			return nil
		}
		return oids
	}
	return nil
}

// FormatSerial returns the serial number of c as lower-case hex octets joined
// by ':', for example "0d:2e:9f". The octets are the content of the DER
// INTEGER, so a serial whose first octet has the high bit set starts with
// "00", as openssl prints it.
func FormatSerial(c *x509.Certificate) string {
	der, err := asn1.Marshal(c.SerialNumber)
	if err != nil {
		return ""
	}

	// Skip the INTEGER tag and length. Serials are at most 20 octets, so the
	// length fits in the single short-form octet.
	content := der[2:]
	parts := make([]string, len(content))
	for i, b := range content {
		parts[i] = fmt.Sprintf("%02x", b)
	}
	return strings.Join(parts, ":")
}

// signatureAlgorithmNames spells the signature algorithms as ACM reports them.
var signatureAlgorithmNames = map[x509.SignatureAlgorithm]string{
	x509.MD5WithRSA:      "MD5WITHRSA",
	x509.SHA1WithRSA:     "SHA1WITHRSA",
	x509.SHA256WithRSA:   "SHA256WITHRSA",
	x509.SHA384WithRSA:   "SHA384WITHRSA",
	x509.SHA512WithRSA:   "SHA512WITHRSA",
	x509.ECDSAWithSHA1:   "SHA1WITHECDSA",
	x509.ECDSAWithSHA256: "SHA256WITHECDSA",
	x509.ECDSAWithSHA384: "SHA384WITHECDSA",
	x509.ECDSAWithSHA512: "SHA512WITHECDSA",
	// NOTE: the RSASSA-PSS and Ed25519 spellings follow the Java
	// (Bouncy Castle) names. No ACM response with them has been checked.
	x509.SHA256WithRSAPSS: "SHA256WITHRSAANDMGF1",
	x509.SHA384WithRSAPSS: "SHA384WITHRSAANDMGF1",
	x509.SHA512WithRSAPSS: "SHA512WITHRSAANDMGF1",
	x509.PureEd25519:      "ED25519",
}

// SignatureAlgorithmName returns the ACM spelling of the algorithm that
// signed c, such as "SHA256WITHRSA". An algorithm the standard library does
// not recognize returns "UNKNOWN".
func SignatureAlgorithmName(c *x509.Certificate) string {
	if name, ok := signatureAlgorithmNames[c.SignatureAlgorithm]; ok {
		return name
	}
	return "UNKNOWN"
}
