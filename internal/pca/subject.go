package pca

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// Attribute OIDs of ASN1Subject members that crypto/x509/pkix does not name.
var (
	oidTitle               = asn1.ObjectIdentifier{2, 5, 4, 12}
	oidSurname             = asn1.ObjectIdentifier{2, 5, 4, 4}
	oidGivenName           = asn1.ObjectIdentifier{2, 5, 4, 42}
	oidInitials            = asn1.ObjectIdentifier{2, 5, 4, 43}
	oidGenerationQualifier = asn1.ObjectIdentifier{2, 5, 4, 44}
	oidDNQualifier         = asn1.ObjectIdentifier{2, 5, 4, 46}
	oidPseudonym           = asn1.ObjectIdentifier{2, 5, 4, 65}
)

// distinguishedName converts an ASN1Subject to a pkix.Name. Custom
// attributes, when given, replace every standard member, as acm-pca
// requires them to be used alone.
func distinguishedName(subject *ASN1Subject) (pkix.Name, error) {
	var name pkix.Name
	if subject == nil {
		return name, nil
	}

	if len(subject.CustomAttributes) > 0 {
		for _, attribute := range subject.CustomAttributes {
			oid, err := parseOID(attribute.ObjectIdentifier)
			if err != nil {
				return name, err
			}
			name.ExtraNames = append(name.ExtraNames, pkix.AttributeTypeAndValue{Type: oid, Value: attribute.Value})
		}
		return name, nil
	}

	appendIf := func(list *[]string, value string) {
		if value != "" {
			*list = append(*list, value)
		}
	}
	appendIf(&name.Country, subject.Country)
	appendIf(&name.Organization, subject.Organization)
	appendIf(&name.OrganizationalUnit, subject.OrganizationalUnit)
	appendIf(&name.Province, subject.State)
	appendIf(&name.Locality, subject.Locality)
	name.CommonName = subject.CommonName
	name.SerialNumber = subject.SerialNumber

	for _, extra := range []struct {
		oid   asn1.ObjectIdentifier
		value string
	}{
		{oidDNQualifier, subject.DistinguishedNameQualifier},
		{oidTitle, subject.Title},
		{oidSurname, subject.Surname},
		{oidGivenName, subject.GivenName},
		{oidInitials, subject.Initials},
		{oidPseudonym, subject.Pseudonym},
		{oidGenerationQualifier, subject.GenerationQualifier},
	} {
		if extra.value != "" {
			name.ExtraNames = append(name.ExtraNames, pkix.AttributeTypeAndValue{Type: extra.oid, Value: extra.value})
		}
	}
	return name, nil
}

// subjectIsEmpty reports whether an ASN1Subject sets no attribute.
func subjectIsEmpty(subject *ASN1Subject) bool {
	name, err := distinguishedName(subject)
	return err == nil && len(name.ToRDNSequence()) == 0
}

// parseOID parses a dotted OID such as "1.3.6.1.4.1.99".
func parseOID(text string) (asn1.ObjectIdentifier, error) {
	parts := strings.Split(text, ".")
	if len(parts) < 2 {
		return nil, invalidArgs("The object identifier %s is not valid.", text)
	}
	oid := make(asn1.ObjectIdentifier, len(parts))
	for i, part := range parts {
		n, err := strconv.Atoi(part)
		if err != nil || n < 0 {
			return nil, invalidArgs("The object identifier %s is not valid.", text)
		}
		oid[i] = n
	}
	return oid, nil
}

// signatureAlgorithms maps acm-pca SigningAlgorithm names to x509's.
var signatureAlgorithms = map[string]x509.SignatureAlgorithm{
	"SHA256WITHRSA":   x509.SHA256WithRSA,
	"SHA384WITHRSA":   x509.SHA384WithRSA,
	"SHA512WITHRSA":   x509.SHA512WithRSA,
	"SHA256WITHECDSA": x509.ECDSAWithSHA256,
	"SHA384WITHECDSA": x509.ECDSAWithSHA384,
	"SHA512WITHECDSA": x509.ECDSAWithSHA512,
}

// keyFamily returns "RSA" or "EC" for an acm-pca KeyAlgorithm.
func keyFamily(keyAlgorithm string) string {
	if strings.HasPrefix(keyAlgorithm, "RSA_") {
		return "RSA"
	}
	if strings.HasPrefix(keyAlgorithm, "EC_") {
		return "EC"
	}
	return ""
}

// signingFamily returns "RSA" or "EC" for a SigningAlgorithm OpenACM can use.
func signingFamily(signingAlgorithm string) string {
	switch {
	case strings.HasSuffix(signingAlgorithm, "WITHRSA"):
		return "RSA"
	case strings.HasSuffix(signingAlgorithm, "WITHECDSA"):
		return "EC"
	}
	return ""
}

// publicKeyFamily returns "RSA" or "EC" for a public key.
func publicKeyFamily(key crypto.PublicKey) string {
	switch key.(type) {
	case *rsa.PublicKey:
		return "RSA"
	case *ecdsa.PublicKey:
		return "EC"
	}
	return ""
}

// x509KeyUsage converts the API's KeyUsage to x509 bits.
func x509KeyUsage(usage *KeyUsage) x509.KeyUsage {
	if usage == nil {
		return 0
	}
	var bits x509.KeyUsage
	for _, flag := range []struct {
		set bool
		bit x509.KeyUsage
	}{
		{usage.DigitalSignature, x509.KeyUsageDigitalSignature},
		{usage.NonRepudiation, x509.KeyUsageContentCommitment},
		{usage.KeyEncipherment, x509.KeyUsageKeyEncipherment},
		{usage.DataEncipherment, x509.KeyUsageDataEncipherment},
		{usage.KeyAgreement, x509.KeyUsageKeyAgreement},
		{usage.KeyCertSign, x509.KeyUsageCertSign},
		{usage.CRLSign, x509.KeyUsageCRLSign},
		{usage.EncipherOnly, x509.KeyUsageEncipherOnly},
		{usage.DecipherOnly, x509.KeyUsageDecipherOnly},
	} {
		if flag.set {
			bits |= flag.bit
		}
	}
	return bits
}

// extendedKeyUsageOIDs maps ExtendedKeyUsageType values to their OIDs.
var extendedKeyUsageOIDs = map[string]asn1.ObjectIdentifier{
	"SERVER_AUTH":              {1, 3, 6, 1, 5, 5, 7, 3, 1},
	"CLIENT_AUTH":              {1, 3, 6, 1, 5, 5, 7, 3, 2},
	"CODE_SIGNING":             {1, 3, 6, 1, 5, 5, 7, 3, 3},
	"EMAIL_PROTECTION":         {1, 3, 6, 1, 5, 5, 7, 3, 4},
	"TIME_STAMPING":            {1, 3, 6, 1, 5, 5, 7, 3, 8},
	"OCSP_SIGNING":             {1, 3, 6, 1, 5, 5, 7, 3, 9},
	"SMART_CARD_LOGIN":         {1, 3, 6, 1, 4, 1, 311, 20, 2, 2},
	"DOCUMENT_SIGNING":         {1, 3, 6, 1, 4, 1, 311, 10, 3, 12},
	"CERTIFICATE_TRANSPARENCY": {1, 3, 6, 1, 4, 1, 11129, 2, 4, 4},
}

// sanFields are the subject alternative names x509.Certificate can write.
type sanFields struct {
	dnsNames []string
	emails   []string
	ips      []net.IP
	uris     []*url.URL
}

// generalNames converts API GeneralNames. Forms that crypto/x509 cannot
// write (OtherName, DirectoryName, EdiPartyName, RegisteredId) are rejected.
func generalNames(names []GeneralName) (sanFields, error) {
	var out sanFields
	for _, name := range names {
		switch {
		case name.DnsName != "":
			out.dnsNames = append(out.dnsNames, name.DnsName)
		case name.Rfc822Name != "":
			out.emails = append(out.emails, name.Rfc822Name)
		case name.IpAddress != "":
			ip := net.ParseIP(name.IpAddress)
			if ip == nil {
				return out, invalidArgs("The IP address %s is not valid.", name.IpAddress)
			}
			out.ips = append(out.ips, ip)
		case name.UniformResourceIdentifier != "":
			uri, err := url.Parse(name.UniformResourceIdentifier)
			if err != nil {
				return out, invalidArgs("The URI %s is not valid.", name.UniformResourceIdentifier)
			}
			out.uris = append(out.uris, uri)
		default:
			// TODO: write OtherName, DirectoryName, EdiPartyName and RegisteredId names.
			return out, invalidArgs("This server supports only DnsName, Rfc822Name, IpAddress and UniformResourceIdentifier general names.")
		}
	}
	return out, nil
}

// formatHexSerial returns a serial as lower-case hex octets joined by ':'.
func formatHexSerial(hexSerial string) string {
	if len(hexSerial)%2 == 1 {
		hexSerial = "0" + hexSerial
	}
	parts := make([]string, 0, len(hexSerial)/2)
	for i := 0; i < len(hexSerial); i += 2 {
		parts = append(parts, hexSerial[i:i+2])
	}
	return strings.Join(parts, ":")
}

// serialKey returns the hex form that the store keys issued certificates by.
func serialKey(cert *x509.Certificate) string {
	return fmt.Sprintf("%x", cert.SerialNumber)
}
