package pca

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/openacm/openacm/internal/crlpublish"
	"github.com/openacm/openacm/internal/issuance"
	"github.com/openacm/openacm/internal/store"
)

// backgroundBatch bounds how many CAs one pass reads per status.
const backgroundBatch = 100

// Run loops until ctx is cancelled: a pass, then a sleep until a Wake or
// the idle interval. Key generation thus never runs on a request.
func (s *Service) Run(ctx context.Context) {
	s.logger.Info("private CA worker started", "key_parallelism", s.config.KeyParallelism)
	for {
		if err := s.RunOnce(ctx); err != nil && ctx.Err() == nil {
			s.logger.Error("private CA worker pass failed; will retry", "error", err)
		}

		timer := time.NewTimer(s.config.IdleInterval)
		select {
		case <-ctx.Done():
			timer.Stop()
			s.logger.Info("private CA worker stopped")
			return
		case <-s.wake:
		case <-timer.C:
		}
		timer.Stop()
	}
}

// RunOnce generates the keys and CSRs of CAs in CREATING, marks CAs whose
// certificate expired, and removes DELETED CAs whose restore window ended.
func (s *Service) RunOnce(ctx context.Context) error {
	creating, err := s.store.CertificateAuthoritiesByStatus(ctx, StatusCreating, backgroundBatch)
	if err != nil {
		return err
	}
	s.generateKeys(ctx, creating)

	for _, status := range []string{StatusActive, StatusDisabled} {
		cas, err := s.store.CertificateAuthoritiesByStatus(ctx, status, backgroundBatch)
		if err != nil {
			return err
		}
		for _, ca := range cas {
			s.expireIfDue(ctx, ca)
		}
	}

	return s.purgeDeleted(ctx)
}

// generateKeys creates CA keys, KeyParallelism at a time.
func (s *Service) generateKeys(ctx context.Context, cas []*store.CertificateAuthority) {
	var group sync.WaitGroup
	slots := make(chan struct{}, s.config.KeyParallelism)
	for _, ca := range cas {
		slots <- struct{}{}
		group.Go(func() {
			defer func() { <-slots }()
			if err := s.prepareKey(ctx, ca); err != nil {
				s.logger.Error("generating certificate authority key failed; will retry", "arn", ca.ARN, "error", err)
			}
		})
	}
	group.Wait()
}

// prepareKey generates the key and CSR of one CA and moves it to PENDING_CERTIFICATE.
func (s *Service) prepareKey(ctx context.Context, ca *store.CertificateAuthority) error {
	config, err := decodeConfiguration(ca)
	if err != nil {
		return err
	}
	key, err := issuance.GenerateKey(ca.KeyAlgorithm)
	if err != nil {
		return err
	}
	csrPEM, err := buildCSR(config, key)
	if err != nil {
		return err
	}
	keyPEM, err := issuance.MarshalPrivateKey(key)
	if err != nil {
		return err
	}

	ca.PrivateKeyPEM = keyPEM
	ca.CSRPEM = csrPEM
	ca.Status = StatusPendingCertificate
	ca.LastStateChangeAt = s.clock.Now()
	ca.UpdatedAt = ca.LastStateChangeAt
	err = s.store.UpdateCertificateAuthority(ctx, ca)
	if errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) {
		// Deleted or changed meanwhile: the next pass reads it afresh.
		s.logger.Info("certificate authority changed during key generation; skipped", "arn", ca.ARN, "error", err)
		return nil
	}
	if err != nil {
		return err
	}
	s.logger.Info("certificate authority key generated", "arn", ca.ARN, "key_algorithm", ca.KeyAlgorithm)
	return nil
}

// purgeDeleted removes DELETED CAs whose restore window has ended.
func (s *Service) purgeDeleted(ctx context.Context) error {
	deleted, err := s.store.CertificateAuthoritiesByStatus(ctx, StatusDeleted, backgroundBatch)
	if err != nil {
		return err
	}
	now := s.clock.Now()
	for _, ca := range deleted {
		if now.Before(ca.RestorableUntil) {
			continue
		}
		err := s.store.DeleteCertificateAuthority(ctx, ca.Account, ca.Region, ca.ARN)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if err := crlpublish.Forget(ctx, s.store, ca.ARN); err != nil {
			s.logger.Warn("removing the stored CRL of a deleted certificate authority failed", "arn", ca.ARN, "error", err)
		}
		s.logger.Info("certificate authority permanently deleted", "arn", ca.ARN)
	}
	return nil
}

var (
	oidKeyUsage                 = asn1.ObjectIdentifier{2, 5, 29, 15}
	oidSubjectInformationAccess = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 11}
	oidCARepository             = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 5}
	oidRPKIManifest             = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 10}
	oidRPKINotify               = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 13}
)

// buildCSR signs the CA's certificate signing request with its new key.
func buildCSR(config *CertificateAuthorityConfiguration, key crypto.Signer) (string, error) {
	subject, err := distinguishedName(&config.Subject)
	if err != nil {
		return "", err
	}
	template := &x509.CertificateRequest{
		Subject:            subject,
		SignatureAlgorithm: signatureAlgorithms[config.SigningAlgorithm],
	}

	if config.CsrExtensions != nil {
		extensions, err := csrExtensions(config.CsrExtensions)
		if err != nil {
			return "", err
		}
		template.ExtraExtensions = extensions
	}

	der, err := x509.CreateCertificateRequest(rand.Reader, template, key)
	if err != nil {
		return "", fmt.Errorf("create CSR: %w", err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})), nil
}

// csrExtensions encodes the key usage and subject information access that
// the CreateCertificateAuthority request puts in the CSR.
func csrExtensions(requested *CsrExtensions) ([]pkix.Extension, error) {
	var extensions []pkix.Extension
	if usage := x509KeyUsage(requested.KeyUsage); usage != 0 {
		extension, err := keyUsageExtension(usage)
		if err != nil {
			return nil, err
		}
		extensions = append(extensions, extension)
	}

	if len(requested.SubjectInformationAccess) > 0 {
		type accessDescription struct {
			Method   asn1.ObjectIdentifier
			Location asn1.RawValue
		}
		var descriptions []accessDescription
		for _, access := range requested.SubjectInformationAccess {
			method, err := accessMethodOID(access.AccessMethod)
			if err != nil {
				return nil, err
			}
			uri := access.AccessLocation.UniformResourceIdentifier
			if uri == "" {
				return nil, invalidArgs("SubjectInformationAccess locations must be UniformResourceIdentifier names.")
			}
			descriptions = append(descriptions, accessDescription{
				Method:   method,
				Location: asn1.RawValue{Tag: 6, Class: asn1.ClassContextSpecific, Bytes: []byte(uri)},
			})
		}
		value, err := asn1.Marshal(descriptions)
		if err != nil {
			return nil, fmt.Errorf("encode subject information access: %w", err)
		}
		extensions = append(extensions, pkix.Extension{Id: oidSubjectInformationAccess, Value: value})
	}
	return extensions, nil
}

func accessMethodOID(method AccessMethod) (asn1.ObjectIdentifier, error) {
	switch method.AccessMethodType {
	case "CA_REPOSITORY":
		return oidCARepository, nil
	case "RESOURCE_PKI_MANIFEST":
		return oidRPKIManifest, nil
	case "RESOURCE_PKI_NOTIFY":
		return oidRPKINotify, nil
	}
	if method.CustomObjectIdentifier != "" {
		return parseOID(method.CustomObjectIdentifier)
	}
	return nil, invalidArgs("An AccessMethod needs an AccessMethodType or a CustomObjectIdentifier.")
}

// keyUsageExtension encodes a critical key usage extension as RFC 5280 does:
// a BIT STRING with bit 0 first and no trailing zero bits.
func keyUsageExtension(usage x509.KeyUsage) (pkix.Extension, error) {
	var bits [2]byte
	length := 0
	for bit := range 9 {
		if usage&(1<<bit) != 0 {
			bits[bit/8] |= 0x80 >> (bit % 8)
			length = bit + 1
		}
	}
	value, err := asn1.Marshal(asn1.BitString{Bytes: bits[:(length+7)/8], BitLength: length})
	if err != nil {
		return pkix.Extension{}, fmt.Errorf("encode key usage: %w", err)
	}
	return pkix.Extension{Id: oidKeyUsage, Critical: true, Value: value}, nil
}
