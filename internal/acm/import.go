package acm

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/openacm/openacm/internal/apierr"
	"github.com/openacm/openacm/internal/arn"
	"github.com/openacm/openacm/internal/issuance"
	"github.com/openacm/openacm/internal/store"
)

// TypeImported is the Type of a certificate brought in by ImportCertificate.
const TypeImported = "IMPORTED"

// importKeyAlgorithms are the key algorithms ACM accepts in an import.
var importKeyAlgorithms = map[string]bool{
	"RSA_1024": true, "RSA_2048": true, "RSA_3072": true, "RSA_4096": true,
	"EC_prime256v1": true, "EC_secp384r1": true, "EC_secp521r1": true,
}

// NOTE: the messages of the import checks below are written after ACM's
// documented rules; only the reimport tag and not-found messages were
// checked against ACM's own text.
var (
	errImportNotPEM       = apierr.New(apierr.Validation, "Unable to parse certificate. Please ensure the certificate is in PEM format.")
	errImportBundle       = apierr.New(apierr.Validation, "The certificate field contains more than one certificate. You can specify only one certificate in this field.")
	errImportNotV3        = apierr.New(apierr.Validation, "The certificate is not an X.509 version 3 certificate.")
	errImportExpired      = apierr.New(apierr.Validation, "The certificate has expired.")
	errImportNotYetValid  = apierr.New(apierr.Validation, "The certificate is not yet valid.")
	errImportKeyNotPEM    = apierr.New(apierr.Validation, "Unable to parse private key. Please ensure the private key is in PEM format.")
	errImportKeyEncrypted = apierr.New(apierr.Validation, "The private key is encrypted. Provide an unencrypted private key.")
	errImportKeyMismatch  = apierr.New(apierr.Validation, "The private key does not match the public key in the certificate.")
	errImportReimportTags = apierr.New(apierr.Validation, "Tagging is not permitted on re-import.")
)

// ImportCertificate stores a certificate and key made elsewhere, or with
// CertificateArn replaces the material of an imported certificate.
func (s *Service) ImportCertificate(ctx context.Context, caller Caller, in *ImportCertificateInput) (*ImportCertificateOutput, error) {
	if in.CertificateArn != "" && len(in.Tags) > 0 {
		return nil, errImportReimportTags
	}
	if err := checkTagKeys(in.Tags); err != nil {
		return nil, err
	}

	material, err := s.parseImport(in)
	if err != nil {
		return nil, err
	}

	if in.CertificateArn != "" {
		return s.reimport(ctx, caller, in.CertificateArn, material)
	}

	now := s.clock.Now()
	cert := &store.Certificate{
		ARN:                 arn.Certificate(caller.Region, caller.Account, uuid.NewString()),
		Account:             caller.Account,
		Region:              caller.Region,
		Type:                TypeImported,
		CTLoggingPreference: Disabled,
		ExportOption:        Disabled,
		RenewalEligibility:  Ineligible,
		CreatedAt:           now,
		UpdatedAt:           now,
	}
	material.apply(cert, now)

	if _, _, err := s.store.CreateCertificate(ctx, cert, toStoreTags(in.Tags), nil); err != nil {
		return nil, fmt.Errorf("store imported certificate: %w", err)
	}
	s.logger.Info("certificate imported", "arn", cert.ARN, "account", caller.Account,
		"domain", cert.DomainName, "serial", cert.Serial, "key_algorithm", cert.KeyAlgorithm)
	return &ImportCertificateOutput{CertificateArn: cert.ARN}, nil
}

// reimport replaces the material of an imported certificate and keeps its
// ARN, tags, options and creation time.
func (s *Service) reimport(ctx context.Context, caller Caller, certificateArn string, material *importMaterial) (*ImportCertificateOutput, error) {
	cert, err := s.loadCertificate(ctx, caller, certificateArn)
	if err != nil {
		return nil, err
	}
	// NOTE: the messages of these two rejections are guesses at ACM's text.
	if cert.Type != TypeImported {
		return nil, apierr.New(apierr.Validation,
			"Certificate %s was not imported, so it cannot be re-imported.", certificateArn)
	}
	if cert.KeyAlgorithm != material.keyAlgorithm {
		return nil, apierr.New(apierr.Validation,
			"The key algorithm %s of the new certificate differs from %s of the certificate being re-imported.",
			displayKeyAlgorithm(material.keyAlgorithm), displayKeyAlgorithm(cert.KeyAlgorithm))
	}

	now := s.clock.Now()
	material.apply(cert, now)
	cert.UpdatedAt = now
	err = s.store.UpdateCertificate(ctx, cert)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound(certificateArn)
	}
	if errors.Is(err, store.ErrConflict) {
		return nil, apierr.New(apierr.Conflict, "Certificate %s changed during the re-import. Try again.", certificateArn)
	}
	if err != nil {
		return nil, fmt.Errorf("store re-imported certificate %s: %w", certificateArn, err)
	}
	s.logger.Info("certificate re-imported", "arn", cert.ARN, "account", caller.Account, "serial", cert.Serial)
	return &ImportCertificateOutput{CertificateArn: cert.ARN}, nil
}

// importMaterial is a checked certificate, key and chain.
type importMaterial struct {
	cert         *x509.Certificate
	certPEM      string
	chainPEM     string
	keyPEM       []byte
	keyAlgorithm string
}

// parseImport runs every check of an import, in the order that a caller
// fixing one problem at a time would meet them.
func (s *Service) parseImport(in *ImportCertificateInput) (*importMaterial, error) {
	cert, err := parseSingleCertificate(in.Certificate)
	if err != nil {
		return nil, err
	}
	if cert.Version != 3 {
		return nil, errImportNotV3
	}

	now := s.clock.Now()
	if now.After(cert.NotAfter) {
		return nil, errImportExpired
	}
	if now.Before(cert.NotBefore) {
		return nil, errImportNotYetValid
	}

	keyAlgorithm, err := issuance.KeyAlgorithmOf(cert.PublicKey)
	if err != nil || !importKeyAlgorithms[keyAlgorithm] {
		return nil, apierr.New(apierr.Validation,
			"The certificate key algorithm is not supported. Use RSA keys of 1024 to 4096 bits or EC keys on P-256, P-384 or P-521.")
	}

	keyPEM, err := parseImportKey(in.PrivateKey, cert.PublicKey)
	if err != nil {
		return nil, err
	}

	chainPEM, err := checkChain(cert, in.CertificateChain)
	if err != nil {
		return nil, err
	}

	return &importMaterial{
		cert:         cert,
		certPEM:      string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})),
		chainPEM:     chainPEM,
		keyPEM:       keyPEM,
		keyAlgorithm: keyAlgorithm,
	}, nil
}

// parseSingleCertificate decodes the Certificate member, which must hold
// exactly one PEM CERTIFICATE block.
func parseSingleCertificate(data []byte) (*x509.Certificate, error) {
	blocks, ok := pemBlocks(data)
	if !ok || len(blocks) == 0 || blocks[0].Type != "CERTIFICATE" {
		return nil, errImportNotPEM
	}
	if len(blocks) > 1 {
		return nil, errImportBundle
	}
	cert, err := x509.ParseCertificate(blocks[0].Bytes)
	if err != nil {
		return nil, errImportNotPEM
	}
	return cert, nil
}

// pemBlocks decodes every PEM block of data. It reports false when
// anything other than white space surrounds the blocks.
func pemBlocks(data []byte) ([]*pem.Block, bool) {
	var blocks []*pem.Block
	rest := bytes.TrimSpace(data)
	for len(rest) > 0 {
		block, next := pem.Decode(rest)
		if block == nil {
			return blocks, false
		}
		blocks = append(blocks, block)
		rest = bytes.TrimSpace(next)
	}
	return blocks, true
}

// parseImportKey checks that the key is an unencrypted RSA or EC key that
// matches pub, and returns it as PKCS #8 PEM, the form of issued keys.
func parseImportKey(data []byte, pub crypto.PublicKey) ([]byte, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errImportKeyNotPEM
	}
	if block.Type == "ENCRYPTED PRIVATE KEY" || block.Headers["Proc-Type"] != "" {
		return nil, errImportKeyEncrypted
	}

	key, err := issuance.ParsePrivateKey(data)
	if err != nil {
		return nil, errImportKeyNotPEM
	}
	type publicKeyEqualer interface{ Equal(crypto.PublicKey) bool }
	public, ok := key.Public().(publicKeyEqualer)
	if !ok || !public.Equal(pub) {
		return nil, errImportKeyMismatch
	}

	keyPEM, err := issuance.MarshalPrivateKey(key)
	if err != nil {
		return nil, errImportKeyNotPEM
	}
	return keyPEM, nil
}

// checkChain checks that each chain certificate signed the one before it,
// starting with the imported certificate, and returns the chain as PEM.
func checkChain(cert *x509.Certificate, data []byte) (string, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return "", nil
	}
	blocks, ok := pemBlocks(data)
	if !ok || len(blocks) == 0 {
		return "", apierr.New(apierr.Validation, "Unable to parse certificate chain. Please ensure the chain is in PEM format.")
	}

	var out strings.Builder
	child := cert
	for i, block := range blocks {
		parent, err := x509.ParseCertificate(block.Bytes)
		if block.Type != "CERTIFICATE" || err != nil {
			return "", apierr.New(apierr.Validation, "Unable to parse certificate chain. Please ensure the chain is in PEM format.")
		}
		if err := child.CheckSignatureFrom(parent); err != nil {
			return "", apierr.New(apierr.Validation,
				"Unable to validate certificate chain. The certificate chain must start with the immediate signing certificate, followed by any intermediaries in order. The index within the chain of the invalid certificate is: %d", i)
		}
		out.Write(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: parent.Raw}))
		child = parent
	}
	return out.String(), nil
}
