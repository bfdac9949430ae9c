package acm

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"net"
	"strings"
	"time"

	"github.com/openacm/openacm/internal/issuance"
	"github.com/openacm/openacm/internal/store"
)

// apply writes the material and what ACM shows of it into cert.
func (m *importMaterial) apply(cert *store.Certificate, now time.Time) {
	c := m.cert
	cert.DomainName = importDomainName(c)
	cert.SubjectAlternativeNames = importNames(c, cert.DomainName)
	cert.DomainValidations = make([]store.DomainValidation, 0, len(cert.SubjectAlternativeNames))
	for _, name := range cert.SubjectAlternativeNames {
		cert.DomainValidations = append(cert.DomainValidations, store.DomainValidation{DomainName: name})
	}

	cert.Status = StatusIssued
	cert.KeyAlgorithm = m.keyAlgorithm
	cert.ImportedAt = now
	cert.NotBefore = c.NotBefore
	cert.NotAfter = c.NotAfter
	cert.Serial = issuance.FormatSerial(c)
	cert.Subject = distinguishedName(c.Subject.Names)
	cert.Issuer = issuerName(c)
	cert.SignatureAlgorithm = issuance.SignatureAlgorithmName(c)
	cert.KeyUsages = issuance.DescribeKeyUsages(c)
	cert.ExtendedKeyUsages = cert.ExtendedKeyUsages[:0]
	for _, usage := range issuance.DescribeExtendedKeyUsages(c) {
		cert.ExtendedKeyUsages = append(cert.ExtendedKeyUsages, store.ExtendedKeyUsage{Name: usage.Name, OID: usage.OID})
	}
	cert.CertificatePEM = m.certPEM
	cert.CertificateChainPEM = m.chainPEM
	cert.PrivateKeyPEM = m.keyPEM
}

// importDomainName returns the subject common name, or the first SAN DNS
// name when the common name is absent or an IP address. A certificate
// named only by IP addresses has no domain name.
func importDomainName(c *x509.Certificate) string {
	if cn := c.Subject.CommonName; cn != "" && net.ParseIP(cn) == nil {
		return cn
	}
	if len(c.DNSNames) > 0 {
		return c.DNSNames[0]
	}
	return ""
}

// importNames returns the SAN DNS names, or the domain name alone when the
// certificate has no SAN DNS name.
func importNames(c *x509.Certificate, domainName string) []string {
	if len(c.DNSNames) > 0 {
		return append([]string(nil), c.DNSNames...)
	}
	if domainName != "" {
		return []string{domainName}
	}
	return nil
}

// issuerName returns the issuer's organization, which ACM shows as Issuer,
// or its common name when it has no organization.
func issuerName(c *x509.Certificate) string {
	if len(c.Issuer.Organization) > 0 {
		return c.Issuer.Organization[0]
	}
	return c.Issuer.CommonName
}

// attributeNames are the short names of distinguished name attributes.
var attributeNames = map[string]string{
	"2.5.4.3":                    "CN",
	"2.5.4.4":                    "SN",
	"2.5.4.5":                    "SERIALNUMBER",
	"2.5.4.6":                    "C",
	"2.5.4.7":                    "L",
	"2.5.4.8":                    "ST",
	"2.5.4.9":                    "STREET",
	"2.5.4.10":                   "O",
	"2.5.4.11":                   "OU",
	"2.5.4.12":                   "T",
	"2.5.4.17":                   "POSTALCODE",
	"2.5.4.42":                   "GIVENNAME",
	"2.5.4.43":                   "INITIALS",
	"2.5.4.44":                   "GENERATION",
	"2.5.4.46":                   "DNQUALIFIER",
	"2.5.4.65":                   "PSEUDONYM",
	"0.9.2342.19200300.100.1.25": "DC",
	"1.2.840.113549.1.9.1":       "EMAILADDRESS",
}

// distinguishedName joins the attributes of a name with commas in the order
// the certificate lists them, such as "C=US,O=Example,CN=example.com".
// Attributes without a short name appear as their dotted OID.
func distinguishedName(names []pkix.AttributeTypeAndValue) string {
	parts := make([]string, 0, len(names))
	for _, attribute := range names {
		parts = append(parts, attributeName(attribute.Type)+"="+attributeValue(attribute.Value))
	}
	return strings.Join(parts, ",")
}

func attributeName(oid asn1.ObjectIdentifier) string {
	if name, ok := attributeNames[oid.String()]; ok {
		return name
	}
	return oid.String()
}

// attributeValue escapes the characters that would split the joined name.
func attributeValue(value any) string {
	text, ok := value.(string)
	if !ok {
		return ""
	}
	return strings.NewReplacer(`\`, `\\`, `,`, `\,`, `+`, `\+`, `=`, `\=`).Replace(text)
}
