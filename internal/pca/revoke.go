package pca

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/openacm/openacm/internal/apierr"
	"github.com/openacm/openacm/internal/arn"
	"github.com/openacm/openacm/internal/crlpublish"
	"github.com/openacm/openacm/internal/issuance"
	"github.com/openacm/openacm/internal/store"
)

// Public paths of each CA's revocation data. {region}, {account} and {id}
// come from the CA's ARN.
const (
	CRLPathPattern     = "/pca/crl/{region}/{account}/{file}"
	OCSPPathPattern    = "/pca/ocsp/{region}/{account}/{id}"
	OCSPGetPathPattern = "/pca/ocsp/{region}/{account}/{id}/{request...}"
	crlSuffix          = ".crl"
	// defaultCRLDays is the CRL lifetime when ExpirationInDays is not set.
	defaultCRLDays = 7
	// crlRefresh is how long a signed CRL is served, unless a revocation
	// or a change of the CA comes first, before a new one is signed.
	crlRefresh = time.Hour
)

// ErrNoCRL means the CA does not exist or does not publish a CRL.
var ErrNoCRL = errors.New("no CRL is published for this certificate authority")

// revocationReasons maps RevocationReason values to RFC 5280 CRLReason codes.
var revocationReasons = map[string]int{
	"UNSPECIFIED":                      0,
	"KEY_COMPROMISE":                   1,
	"CERTIFICATE_AUTHORITY_COMPROMISE": 2,
	"AFFILIATION_CHANGED":              3,
	"SUPERSEDED":                       4,
	"CESSATION_OF_OPERATION":           5,
	"PRIVILEGE_WITHDRAWN":              9,
	"A_A_COMPROMISE":                   10,
}

// ReasonCode returns the RFC 5280 code of a RevocationReason, 0 when unknown.
func ReasonCode(reason string) int {
	return revocationReasons[reason]
}

func (s *Service) crlURL(ca *store.CertificateAuthority, crl *CrlConfiguration) string {
	region, account, id := arnParts(ca.ARN)
	path := "/pca/crl/" + region + "/" + account + "/" + id + crlSuffix
	if crl.CustomCname != "" {
		return "http://" + crl.CustomCname + path
	}
	return s.config.BaseURL + path
}

func (s *Service) ocspURL(ca *store.CertificateAuthority, ocsp *OcspConfiguration) string {
	region, account, id := arnParts(ca.ARN)
	path := "/pca/ocsp/" + region + "/" + account + "/" + id
	if ocsp.OcspCustomCname != "" {
		return "http://" + ocsp.OcspCustomCname + path
	}
	return s.config.BaseURL + path
}

func arnParts(caARN string) (region, account, id string) {
	region, account, _ = parseCAArn(caARN)
	return region, account, caARN[strings.LastIndex(caARN, "/")+1:]
}

// addRevocationURLs writes the CRL distribution point and the OCSP URL the
// CA's revocation configuration enables. Self-signed roots get neither.
func (s *Service) addRevocationURLs(template *x509.Certificate, ca *store.CertificateAuthority) error {
	config, err := decodeRevocation(ca)
	if err != nil || config == nil || template.AuthorityKeyId != nil {
		return err
	}
	if crl := config.CrlConfiguration; crl != nil && crl.Enabled &&
		(crl.CrlDistributionPointExtensionConfiguration == nil || !crl.CrlDistributionPointExtensionConfiguration.OmitExtension) {
		template.CRLDistributionPoints = []string{s.crlURL(ca, crl)}
	}
	if ocsp := config.OcspConfiguration; ocsp != nil && ocsp.Enabled {
		template.OCSPServer = []string{s.ocspURL(ca, ocsp)}
	}
	return nil
}

// RevokeCertificate records the revocation of a certificate the CA issued,
// so the CA's next CRL and every OCSP response show it.
func (s *Service) RevokeCertificate(ctx context.Context, caller Caller, in *RevokeCertificateInput) (*Empty, error) {
	ca, err := s.authority(ctx, caller, in.CertificateAuthorityArn, "RevokeCertificate")
	if err != nil {
		return nil, err
	}
	if ca.Status != StatusActive && ca.Status != StatusDisabled && ca.Status != StatusExpired {
		return nil, stateError(ca.ARN, ca.Status, "revoke certificates")
	}

	serial, ok := parseSerial(in.CertificateSerial)
	if !ok {
		return nil, apierr.New(invalidRequest, "The certificate serial %s is not a hexadecimal serial number.", in.CertificateSerial)
	}
	now := s.clock.Now()
	err = s.store.RevokeIssuedCertificate(ctx, ca.ARN, serial.Text(16), now, in.RevocationReason)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, apierr.New(apierr.ResourceNotFound,
			"Could not find a certificate with serial %s issued by certificate authority %s.", in.CertificateSerial, ca.ARN)
	case errors.Is(err, store.ErrAlreadyExists):
		return nil, apierr.New(requestAlreadyProcessed, "The certificate with serial %s has already been revoked.", in.CertificateSerial)
	case err != nil:
		return nil, fmt.Errorf("revoke certificate: %w", err)
	}
	s.logger.Info("private certificate revoked", "ca_arn", ca.ARN, "serial", in.CertificateSerial, "reason", in.RevocationReason)

	s.markACMRevoked(ctx, ca.ARN, serial.Text(16), now, in.RevocationReason)
	return &Empty{}, nil
}

// parseSerial reads a serial as hex, with or without ':' between octets.
func parseSerial(text string) (*big.Int, bool) {
	serial, ok := new(big.Int).SetString(strings.ReplaceAll(text, ":", ""), 16)
	if !ok || serial.Sign() <= 0 {
		return nil, false
	}
	return serial, true
}

// markACMRevoked shows the revocation on the ACM certificate the serial was
// issued for, if any. A failure is only logged, because the CA's records
// already show the revocation.
func (s *Service) markACMRevoked(ctx context.Context, caARN, serial string, at time.Time, reason string) {
	issued, err := s.store.GetIssuedCertificateBySerial(ctx, caARN, serial)
	if err != nil || issued.ACMCertificateARN == "" {
		return
	}
	parts, err := arn.Parse(issued.ACMCertificateARN)
	if err != nil {
		return
	}
	cert, err := s.store.GetCertificate(ctx, parts.Account, parts.Region, issued.ACMCertificateARN)
	if err != nil {
		s.logger.Warn("reading ACM certificate of a revoked serial failed", "arn", issued.ACMCertificateARN, "error", err)
		return
	}
	// A renewal gives the ACM certificate a new serial; revoking the old
	// one leaves the ACM certificate as it is.
	if current, ok := parseSerial(cert.Serial); !ok || current.Text(16) != serial {
		return
	}
	cert.Status = "REVOKED"
	cert.RevokedAt = at
	cert.RevocationReason = reason
	cert.UpdatedAt = at
	if err := s.store.UpdateCertificate(ctx, cert); err != nil {
		s.logger.Warn("marking ACM certificate revoked failed", "arn", cert.ARN, "error", err)
	}
}

// CRL returns the current DER CRL of the CA named by region, account and
// file ("<id>.crl"), or ErrNoCRL when the CA does not publish one. The signed
// CRL is kept in the store (see crlpublish), so every node serves the same bytes.
func (s *Service) CRL(ctx context.Context, region, account, file string) ([]byte, error) {
	id, ok := strings.CutSuffix(file, crlSuffix)
	if !ok {
		return nil, ErrNoCRL
	}
	caARN := CAARN(region, account, id)
	if _, _, err := parseCAArn(caARN); err != nil {
		return nil, ErrNoCRL
	}

	ca, err := s.store.GetCertificateAuthority(ctx, account, region, caARN)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNoCRL
	}
	if err != nil {
		return nil, err
	}
	config, err := decodeRevocation(ca)
	if err != nil {
		return nil, err
	}
	if config == nil || config.CrlConfiguration == nil || !config.CrlConfiguration.Enabled ||
		ca.CertificatePEM == "" || ca.Status == StatusDeleted {
		return nil, ErrNoCRL
	}

	return s.publishCRL(ctx, ca, config.CrlConfiguration)
}

func (s *Service) publishCRL(ctx context.Context, ca *store.CertificateAuthority, config *CrlConfiguration) ([]byte, error) {
	revoked, err := s.store.RevokedIssuedCertificates(ctx, ca.ARN)
	if err != nil {
		return nil, err
	}
	entries := make([]x509.RevocationListEntry, 0, len(revoked))
	for _, cert := range revoked {
		serial, ok := new(big.Int).SetString(cert.Serial, 16)
		if !ok {
			return nil, fmt.Errorf("stored serial %q of %s is not hex", cert.Serial, ca.ARN)
		}
		entries = append(entries, x509.RevocationListEntry{
			SerialNumber:   serial,
			RevocationTime: cert.RevokedAt.UTC(),
			ReasonCode:     ReasonCode(cert.RevocationReason),
		})
	}

	issuer, err := caCertificate(ca)
	if err != nil {
		return nil, err
	}
	days := defaultCRLDays
	if config.ExpirationInDays != nil {
		days = *config.ExpirationInDays
	}
	request := crlpublish.Request{
		Issuer:    ca.ARN,
		IssuerDER: issuer.Raw,
		Settings:  fmt.Sprintf("days=%d algorithm=%s", days, ca.SigningAlgorithm),
		Entries:   entries,
		Refresh:   crlRefresh,
	}
	return crlpublish.Current(ctx, s.store, request, s.clock.Now(), func(entries []x509.RevocationListEntry, number *big.Int, thisUpdate time.Time) ([]byte, error) {
		return s.signCRL(ca, issuer, entries, number, thisUpdate, days)
	})
}

func (s *Service) signCRL(ca *store.CertificateAuthority, issuer *x509.Certificate, entries []x509.RevocationListEntry, number *big.Int, thisUpdate time.Time, days int) ([]byte, error) {
	signer, err := issuance.ParsePrivateKey(ca.PrivateKeyPEM)
	if err != nil {
		return nil, fmt.Errorf("load key of %s: %w", ca.ARN, err)
	}
	der, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
		SignatureAlgorithm:        signatureAlgorithms[ca.SigningAlgorithm],
		RevokedCertificateEntries: entries,
		Number:                    number,
		ThisUpdate:                thisUpdate,
		NextUpdate:                thisUpdate.AddDate(0, 0, days),
	}, issuer, signer)
	if err != nil {
		return nil, fmt.Errorf("sign CRL of %s: %w", ca.ARN, err)
	}
	s.logger.Info("signed CRL", "ca_arn", ca.ARN, "entries", len(entries), "crl_number", number)
	return der, nil
}

// OCSP responds to a DER OCSP request for the CA named by region, account and
// id. It returns ErrNoCRL when the CA does not exist or has OCSP disabled.
func (s *Service) OCSP(ctx context.Context, region, account, id string, request []byte) ([]byte, error) {
	caARN := CAARN(region, account, id)
	if _, _, err := parseCAArn(caARN); err != nil {
		return nil, ErrNoCRL
	}
	ca, err := s.store.GetCertificateAuthority(ctx, account, region, caARN)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNoCRL
	}
	if err != nil {
		return nil, err
	}
	config, err := decodeRevocation(ca)
	if err != nil {
		return nil, err
	}
	if config == nil || config.OcspConfiguration == nil || !config.OcspConfiguration.Enabled ||
		ca.CertificatePEM == "" || ca.Status == StatusDeleted {
		return nil, ErrNoCRL
	}

	issuer, err := caCertificate(ca)
	if err != nil {
		return nil, err
	}
	signer, err := issuance.ParsePrivateKey(ca.PrivateKeyPEM)
	if err != nil {
		return nil, fmt.Errorf("load key of %s: %w", ca.ARN, err)
	}
	return issuance.RespondOCSP(issuer, signer, request, s.clock.Now(), func(serial *big.Int) (issuance.OCSPStatus, error) {
		issued, err := s.store.GetIssuedCertificateBySerial(ctx, ca.ARN, serial.Text(16))
		if errors.Is(err, store.ErrNotFound) {
			return issuance.OCSPStatus{}, nil
		}
		if err != nil {
			return issuance.OCSPStatus{}, err
		}
		return issuance.OCSPStatus{
			Known:      true,
			Revoked:    !issued.RevokedAt.IsZero(),
			RevokedAt:  issued.RevokedAt,
			ReasonCode: ReasonCode(issued.RevocationReason),
		}, nil
	})
}
