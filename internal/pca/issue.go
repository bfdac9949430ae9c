package pca

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/openacm/openacm/internal/apierr"
	"github.com/openacm/openacm/internal/issuance"
	"github.com/openacm/openacm/internal/store"
)

const (
	// issueTokenWindow is how long an IssueCertificate idempotency token
	// is remembered. NOTE: AWS documents a short window; one minute is a guess.
	issueTokenWindow = time.Minute
	// backdate is how far before the issuance time NotBefore is set when
	// the request sets no ValidityNotBefore, for clients with slow clocks.
	backdate = time.Hour
)

// signingSpec is everything that goes into one certificate a CA signs.
type signingSpec struct {
	ca          *store.CertificateAuthority
	template    certTemplate
	publicKey   crypto.PublicKey
	subject     pkix.Name
	rawSubject  []byte
	sans        sanFields
	extra       []pkix.Extension
	keyUsage    x509.KeyUsage
	extKeyUsage []x509.ExtKeyUsage
	unknownEKUs []asn1.ObjectIdentifier
	notBefore   time.Time
	notAfter    time.Time
	algorithm   string
}

// IssueCertificate signs a CSR with an ACTIVE CA, or with a ROOT CA in
// PENDING_CERTIFICATE when the template is RootCACertificate/V1 and the
// CSR is the CA's own.
func (s *Service) IssueCertificate(ctx context.Context, caller Caller, in *IssueCertificateInput) (*IssueCertificateOutput, error) {
	ca, err := s.authority(ctx, caller, in.CertificateAuthorityArn, "IssueCertificate")
	if err != nil {
		return nil, err
	}
	template, err := lookupTemplate(in.TemplateArn)
	if err != nil {
		return nil, err
	}
	if err := checkIssuingState(ca, template); err != nil {
		return nil, err
	}

	csr, err := parseCSR(in.Csr)
	if err != nil {
		return nil, err
	}
	if signingFamily(in.SigningAlgorithm) != keyFamily(ca.KeyAlgorithm) {
		return nil, invalidArgs("The signing algorithm %s is not compatible with the key algorithm %s of the certificate authority.",
			in.SigningAlgorithm, ca.KeyAlgorithm)
	}

	spec, err := s.specFromCSR(ca, template, csr, in.ApiPassthrough)
	if err != nil {
		return nil, err
	}
	spec.algorithm = in.SigningAlgorithm
	spec.notBefore, spec.notAfter, err = s.validityWindow(ca, template, in.Validity, in.ValidityNotBefore)
	if err != nil {
		return nil, err
	}

	now := s.clock.Now()
	var idem *store.Idempotency
	if in.IdempotencyToken != "" {
		idem = &store.Idempotency{Token: in.IdempotencyToken, NotBefore: now.Add(-issueTokenWindow)}
	}
	arn, err := s.signAndStore(ctx, spec, "", idem)
	if err != nil {
		return nil, err
	}
	return &IssueCertificateOutput{CertificateArn: arn}, nil
}

// checkIssuingState allows ACTIVE CAs, and a ROOT CA in PENDING_CERTIFICATE
// for its own root certificate.
func checkIssuingState(ca *store.CertificateAuthority, template certTemplate) error {
	if ca.Status == StatusActive {
		return nil
	}
	if ca.Status == StatusPendingCertificate && template.selfSigned && ca.Type == TypeRoot {
		return nil
	}
	return wrongState(ca.ARN)
}

// parseCSR reads the Csr blob, a PEM CERTIFICATE REQUEST, and checks its signature.
func parseCSR(blob []byte) (*x509.CertificateRequest, error) {
	block, _ := pem.Decode(blob)
	if block == nil || block.Type != "CERTIFICATE REQUEST" && block.Type != "NEW CERTIFICATE REQUEST" {
		return nil, apierr.New(malformedCSR, "The certificate signing request is not a PEM-encoded CERTIFICATE REQUEST.")
	}
	csr, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil {
		return nil, apierr.New(malformedCSR, "The certificate signing request could not be parsed.")
	}
	if err := csr.CheckSignature(); err != nil {
		return nil, apierr.New(malformedCSR, "The signature of the certificate signing request is not valid.")
	}
	if _, err := issuance.KeyAlgorithmOf(csr.PublicKey); err != nil {
		return nil, apierr.New(malformedCSR, "The certificate signing request has an unsupported public key: %v.", err)
	}
	return csr, nil
}

// specFromCSR builds the certificate contents from the template, the CSR
// and, for passthrough templates, the API passthrough values.
func (s *Service) specFromCSR(ca *store.CertificateAuthority, template certTemplate, csr *x509.CertificateRequest, passthrough *ApiPassthrough) (*signingSpec, error) {
	spec := &signingSpec{
		ca:          ca,
		template:    template,
		publicKey:   csr.PublicKey,
		rawSubject:  csr.RawSubject,
		subject:     csr.Subject,
		keyUsage:    template.keyUsage,
		extKeyUsage: template.extKeyUsage,
		sans: sanFields{
			dnsNames: csr.DNSNames,
			emails:   csr.EmailAddresses,
			ips:      csr.IPAddresses,
			uris:     csr.URIs,
		},
	}
	if template.selfSigned {
		if err := checkOwnKey(ca, csr.PublicKey); err != nil {
			return nil, err
		}
	}
	if template.csrPassthrough {
		spec.extra = passthroughCSRExtensions(csr)
	}
	if passthrough != nil && !template.apiPassthrough {
		return nil, invalidArgs("ApiPassthrough values need an APIPassthrough or APICSRPassthrough template.")
	}
	if passthrough != nil {
		if err := applyPassthrough(spec, passthrough); err != nil {
			return nil, err
		}
	}
	if publicKeyFamily(spec.publicKey) != "RSA" {
		// keyEncipherment applies to RSA keys only.
		spec.keyUsage &^= x509.KeyUsageKeyEncipherment
	}
	return spec, nil
}

// checkOwnKey requires the CSR of a self-signed root to carry the CA's key.
func checkOwnKey(ca *store.CertificateAuthority, key crypto.PublicKey) error {
	signer, err := issuance.ParsePrivateKey(ca.PrivateKeyPEM)
	if err != nil {
		return fmt.Errorf("load key of %s: %w", ca.ARN, err)
	}
	if !publicKeysEqual(signer.Public(), key) {
		return invalidArgs("The RootCACertificate template signs only the certificate authority's own CSR.")
	}
	return nil
}

func publicKeysEqual(a, b crypto.PublicKey) bool {
	key, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && key.Equal(b)
}

// templateOIDs are the extensions a template defines itself, which CSR
// passthrough never copies.
var templateOIDs = []asn1.ObjectIdentifier{
	{2, 5, 29, 14}, {2, 5, 29, 15}, {2, 5, 29, 17}, {2, 5, 29, 19}, {2, 5, 29, 31},
	{2, 5, 29, 35}, {2, 5, 29, 37}, {1, 3, 6, 1, 5, 5, 7, 1, 1},
}

func passthroughCSRExtensions(csr *x509.CertificateRequest) []pkix.Extension {
	var copied []pkix.Extension
	for _, extension := range csr.Extensions {
		if !slices.ContainsFunc(templateOIDs, extension.Id.Equal) {
			copied = append(copied, extension)
		}
	}
	return copied
}

// applyPassthrough honours ApiPassthrough: the subject replaces the CSR's,
// SANs replace the CSR's, and policies and custom extensions are added.
// Key usage and extended key usage come from the template, which wins.
func applyPassthrough(spec *signingSpec, passthrough *ApiPassthrough) error {
	if passthrough.Subject != nil && !subjectIsEmpty(passthrough.Subject) {
		name, err := distinguishedName(passthrough.Subject)
		if err != nil {
			return err
		}
		spec.subject, spec.rawSubject = name, nil
	}

	extensions := passthrough.Extensions
	if extensions == nil {
		return nil
	}
	if len(extensions.SubjectAlternativeNames) > 0 {
		sans, err := generalNames(extensions.SubjectAlternativeNames)
		if err != nil {
			return err
		}
		spec.sans = sans
	}
	if len(extensions.CertificatePolicies) > 0 {
		policy, err := policiesExtension(extensions.CertificatePolicies)
		if err != nil {
			return err
		}
		spec.extra = append(spec.extra, policy)
	}
	for _, custom := range extensions.CustomExtensions {
		oid, err := parseOID(custom.ObjectIdentifier)
		if err != nil {
			return err
		}
		value, err := base64.StdEncoding.DecodeString(custom.Value)
		if err != nil {
			return invalidArgs("The value of custom extension %s is not valid base64.", custom.ObjectIdentifier)
		}
		spec.extra = append(spec.extra, pkix.Extension{Id: oid, Critical: custom.Critical, Value: value})
	}
	return nil
}

// policiesExtension encodes certificatePolicies with optional CPS qualifiers.
func policiesExtension(policies []PolicyInformation) (pkix.Extension, error) {
	type qualifierInfo struct {
		ID        asn1.ObjectIdentifier
		Qualifier string `asn1:"ia5"`
	}
	type policyInformation struct {
		ID         asn1.ObjectIdentifier
		Qualifiers []qualifierInfo `asn1:"optional,omitempty"`
	}
	cpsQualifier := asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 2, 1}

	var encoded []policyInformation
	for _, policy := range policies {
		oid, err := parseOID(policy.CertPolicyId)
		if err != nil {
			return pkix.Extension{}, err
		}
		info := policyInformation{ID: oid}
		for _, qualifier := range policy.PolicyQualifiers {
			info.Qualifiers = append(info.Qualifiers, qualifierInfo{ID: cpsQualifier, Qualifier: qualifier.Qualifier.CpsUri})
		}
		encoded = append(encoded, info)
	}
	value, err := asn1.Marshal(encoded)
	if err != nil {
		return pkix.Extension{}, fmt.Errorf("encode certificate policies: %w", err)
	}
	return pkix.Extension{Id: asn1.ObjectIdentifier{2, 5, 29, 32}, Value: value}, nil
}

// validityWindow computes NotBefore and NotAfter from Validity and
// ValidityNotBefore, within the CA's own validity unless the certificate is
// the CA's self-signed root.
func (s *Service) validityWindow(ca *store.CertificateAuthority, template certTemplate, validity, notBeforeValidity *Validity) (time.Time, time.Time, error) {
	now := s.clock.Now().Truncate(time.Second)
	notBefore := now.Add(-backdate)
	if notBeforeValidity != nil {
		if notBeforeValidity.Type != "ABSOLUTE" && notBeforeValidity.Type != "END_DATE" {
			return time.Time{}, time.Time{}, invalidArgs("ValidityNotBefore must have type ABSOLUTE or END_DATE.")
		}
		at, err := validityTime(now, notBeforeValidity)
		if err != nil {
			return time.Time{}, time.Time{}, err
		}
		notBefore = at
	}

	notAfter, err := validityTime(now, validity)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	switch {
	case !notAfter.After(now):
		return time.Time{}, time.Time{}, invalidArgs("The validity period ends in the past.")
	case !notAfter.After(notBefore):
		return time.Time{}, time.Time{}, invalidArgs("The validity period ends before it begins.")
	case !template.selfSigned && !ca.NotAfter.IsZero() && notAfter.After(ca.NotAfter):
		return time.Time{}, time.Time{}, invalidArgs(
			"The certificate validity specified exceeds the certificate authority validity, which ends %s.",
			ca.NotAfter.UTC().Format(time.RFC3339))
	}
	return notBefore, notAfter, nil
}

// validityTime converts one Validity value to a time.
func validityTime(now time.Time, validity *Validity) (time.Time, error) {
	if validity == nil || validity.Value == nil {
		return time.Time{}, invalidArgs("Validity needs a Value and a Type.")
	}
	value := *validity.Value
	const maxUnits = 1 << 20

	switch validity.Type {
	case "END_DATE":
		at, err := time.Parse("20060102150405", fmt.Sprintf("%014d", value))
		if err != nil {
			return time.Time{}, invalidArgs("The END_DATE validity value %d is not a date in the format YYYYMMDDHHMMSS.", value)
		}
		return at.UTC(), nil
	case "ABSOLUTE":
		if value > 253402300799 {
			return time.Time{}, invalidArgs("The ABSOLUTE validity value %d is past the year 9999.", value)
		}
		return time.Unix(value, 0).UTC(), nil
	case "DAYS", "MONTHS", "YEARS":
		if value > maxUnits {
			return time.Time{}, invalidArgs("The %s validity value %d is too large.", validity.Type, value)
		}
		n := int(value)
		switch validity.Type {
		case "DAYS":
			return now.AddDate(0, 0, n), nil
		case "MONTHS":
			return now.AddDate(0, n, 0), nil
		default:
			return now.AddDate(n, 0, 0), nil
		}
	}
	return time.Time{}, invalidArgs("The validity type %s is not supported.", validity.Type)
}

// signAndStore signs the certificate of spec with the CA's key and stores
// it. With idem, a repeated token returns the first certificate's ARN.
func (s *Service) signAndStore(ctx context.Context, spec *signingSpec, acmARN string, idem *store.Idempotency) (string, error) {
	cert, err := s.sign(spec)
	if err != nil {
		return "", err
	}

	arn := fmt.Sprintf("%s/certificate/%032x", spec.ca.ARN, cert.SerialNumber)
	record := &store.IssuedCertificate{
		ARN:               arn,
		CAARN:             spec.ca.ARN,
		Serial:            serialKey(cert),
		CertificatePEM:    string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})),
		IssuedAt:          s.clock.Now(),
		NotAfter:          cert.NotAfter,
		ACMCertificateARN: acmARN,
	}
	stored, created, err := s.store.CreateIssuedCertificate(ctx, record, idem)
	if err != nil {
		return "", fmt.Errorf("store issued certificate: %w", err)
	}
	if created {
		s.logger.Info("private certificate issued", "ca_arn", spec.ca.ARN, "arn", arn,
			"serial", formatHexSerial(record.Serial), "template", spec.template.name, "not_after", cert.NotAfter)
	}
	return stored, nil
}

// sign builds and signs the certificate. The audit events before and
// after the signature carry no key material.
func (s *Service) sign(spec *signingSpec) (*x509.Certificate, error) {
	material, err := s.signers.signerFor(spec.ca)
	if err != nil {
		return nil, err
	}

	template, err := s.x509Template(spec)
	if err != nil {
		return nil, err
	}

	parent := template
	if !spec.template.selfSigned {
		parent = material.cert
		if parent == nil {
			return nil, fmt.Errorf("certificate authority %s has no certificate", spec.ca.ARN)
		}
		if err := checkPathLength(parent, spec.template); err != nil {
			return nil, err
		}
	}

	s.logger.Info("signing certificate", "ca_arn", spec.ca.ARN, "serial", template.SerialNumber.Text(16),
		"template", spec.template.name, "signing_algorithm", spec.algorithm)
	der, err := x509.CreateCertificate(rand.Reader, template, parent, spec.publicKey, material.signer)
	if err != nil {
		return nil, fmt.Errorf("sign certificate with %s: %w", spec.ca.ARN, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("parse signed certificate: %w", err)
	}
	s.logger.Info("signed certificate", "ca_arn", spec.ca.ARN, "serial", cert.SerialNumber.Text(16))
	return cert, nil
}

func (s *Service) x509Template(spec *signingSpec) (*x509.Certificate, error) {
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	keyID, err := subjectKeyID(spec.publicKey)
	if err != nil {
		return nil, err
	}

	template := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               spec.subject,
		RawSubject:            spec.rawSubject,
		NotBefore:             spec.notBefore,
		NotAfter:              spec.notAfter,
		KeyUsage:              spec.keyUsage,
		ExtKeyUsage:           spec.extKeyUsage,
		UnknownExtKeyUsage:    spec.unknownEKUs,
		BasicConstraintsValid: true,
		IsCA:                  spec.template.isCA,
		SubjectKeyId:          keyID,
		DNSNames:              spec.sans.dnsNames,
		EmailAddresses:        spec.sans.emails,
		IPAddresses:           spec.sans.ips,
		URIs:                  spec.sans.uris,
		ExtraExtensions:       spec.extra,
		SignatureAlgorithm:    signatureAlgorithms[spec.algorithm],
	}
	if spec.template.isCA {
		template.MaxPathLen = spec.template.pathLen
		template.MaxPathLenZero = spec.template.pathLen == 0
	}
	if spec.template.selfSigned {
		template.AuthorityKeyId = keyID
	}
	if err := s.addRevocationURLs(template, spec.ca); err != nil {
		return nil, err
	}
	return template, nil
}

// checkPathLength keeps a subordinate within the path length of its issuer.
func checkPathLength(parent *x509.Certificate, template certTemplate) error {
	if !template.isCA || parent.MaxPathLen < 0 || (parent.MaxPathLen == 0 && !parent.MaxPathLenZero) {
		return nil
	}
	if template.pathLen >= parent.MaxPathLen {
		return invalidArgs("The path length %d of template %s is not less than the path length %d of the issuing certificate authority.",
			template.pathLen, template.name, parent.MaxPathLen)
	}
	return nil
}

// caCertificate parses the imported certificate of a CA.
func caCertificate(ca *store.CertificateAuthority) (*x509.Certificate, error) {
	block, _ := pem.Decode([]byte(ca.CertificatePEM))
	if block == nil {
		return nil, fmt.Errorf("certificate authority %s has no certificate", ca.ARN)
	}
	return x509.ParseCertificate(block.Bytes)
}

// randomSerial returns a positive 127-bit serial number.
func randomSerial() (*big.Int, error) {
	buf := make([]byte, 16)
	for {
		if _, err := rand.Read(buf); err != nil {
			return nil, fmt.Errorf("read random serial: %w", err)
		}
		buf[0] &= 0x7f
		if serial := new(big.Int).SetBytes(buf); serial.Sign() > 0 {
			return serial, nil
		}
	}
}

// subjectKeyID is method 1 of RFC 7093: the leftmost 160 bits of the
// SHA-256 hash of the subjectPublicKey BIT STRING.
func subjectKeyID(pub crypto.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("marshal public key: %w", err)
	}
	var spki struct {
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(der, &spki); err != nil {
		return nil, fmt.Errorf("parse public key: %w", err)
	}
	sum := sha256.Sum256(spki.PublicKey.Bytes)
	return sum[:20], nil
}

// GetCertificate returns a certificate the CA issued and its chain.
func (s *Service) GetCertificate(ctx context.Context, caller Caller, in *GetCertificateInput) (*CertificateOutput, error) {
	ca, err := s.authority(ctx, caller, in.CertificateAuthorityArn, "GetCertificate")
	if err != nil {
		return nil, err
	}
	if ca.Status == StatusDeleted || ca.Status == StatusCreating || ca.Status == StatusFailed {
		return nil, wrongState(ca.ARN)
	}
	if !strings.HasPrefix(in.CertificateArn, ca.ARN+"/certificate/") {
		return nil, apierr.New(apierr.InvalidArn, "The certificate ARN %s does not belong to certificate authority %s.",
			in.CertificateArn, ca.ARN)
	}

	issued, err := s.store.GetIssuedCertificate(ctx, ca.ARN, in.CertificateArn)
	if errors.Is(err, store.ErrNotFound) {
		return nil, apierr.New(apierr.ResourceNotFound, "Could not find certificate %s.", in.CertificateArn)
	}
	if err != nil {
		return nil, fmt.Errorf("read issued certificate %s: %w", in.CertificateArn, err)
	}

	out := &CertificateOutput{Certificate: strings.TrimSpace(issued.CertificatePEM)}
	if !selfSigned(issued.CertificatePEM) {
		out.CertificateChain = chainOf(ca)
	}
	return out, nil
}

// chainOf returns the CA's certificate followed by its own chain, as PEM.
func chainOf(ca *store.CertificateAuthority) string {
	parts := []string{strings.TrimSpace(ca.CertificatePEM)}
	if chain := strings.TrimSpace(ca.CertificateChainPEM); chain != "" {
		parts = append(parts, chain)
	}
	return strings.Join(parts, "\n")
}

func selfSigned(certPEM string) bool {
	block, _ := pem.Decode([]byte(certPEM))
	if block == nil {
		return false
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	return err == nil && cert.CheckSignatureFrom(cert) == nil && string(cert.RawIssuer) == string(cert.RawSubject)
}
