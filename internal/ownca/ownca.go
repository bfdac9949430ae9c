// Package ownca keeps OpenACM's own issuing CA, the one that signs public
// certificates: it creates the root and intermediate once, stores them so
// every node shares one CA, and publishes the CA certificates and CRL.
package ownca

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"strings"
	"time"

	"github.com/openacm/openacm/internal/audit"
	"github.com/openacm/openacm/internal/clock"
	"github.com/openacm/openacm/internal/crlpublish"
	"github.com/openacm/openacm/internal/issuance"
	"github.com/openacm/openacm/internal/store"
)

// secretName is the store secret that holds the CA material, private keys
// included, sealed with the master key.
const secretName = "issuing_ca"

// crlRefresh is how long a signed CRL is served before a new one is signed,
// unless a revocation comes first. The CRL itself is valid for 7 days.
const crlRefresh = time.Hour

// crlIssuer names the intermediate's CRL in the store.
const crlIssuer = "openacm:issuing-ca"

// Authority is the loaded issuing CA.
type Authority struct {
	CA    *issuance.CA
	clock clock.Clock
	store store.Store
}

// storedMaterial is the JSON form of issuance.Material in the store.
type storedMaterial struct {
	RootCertPEM         string `json:"root_cert_pem"`
	RootKeyPEM          string `json:"root_key_pem"`
	IntermediateCertPEM string `json:"intermediate_cert_pem"`
	IntermediateKeyPEM  string `json:"intermediate_key_pem"`
}

// Load returns the stored issuing CA, creating it first when the store has none.
// Concurrent first starts agree on one CA because the store keeps the first value written.
// Material that older versions kept in a clear setting is moved into the secret.
func Load(ctx context.Context, st store.Store, clk clock.Clock, organization string, logger *slog.Logger) (*Authority, error) {
	created := false
	stored, err := store.InitSecretOnce(ctx, st, secretName, func() ([]byte, error) {
		created = true
		return create(clk, organization)
	})
	if err != nil {
		return nil, fmt.Errorf("load issuing CA: %w", err)
	}

	authority, err := decode(stored, clk, st)
	if err != nil {
		return nil, err
	}
	if created {
		audit.Record(ctx, logger, audit.Event{
			Action: audit.ActionCAStateChange, ARN: "openacm:issuing-ca", Result: audit.ResultSuccess,
			Detail: "created root and intermediate, intermediate serial " + authority.CA.Intermediate.SerialNumber.Text(16),
		})
	}
	return authority, nil
}

// ErrNoCA means the store holds no issuing CA yet: no server has started on it.
var ErrNoCA = errors.New("no issuing CA in the store")

// LoadExisting returns the stored issuing CA, or ErrNoCA; it never creates one.
func LoadExisting(ctx context.Context, st store.Store, clk clock.Clock) (*Authority, error) {
	stored, err := st.GetSecret(ctx, secretName)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNoCA
	}
	if err != nil {
		return nil, fmt.Errorf("load issuing CA: %w", err)
	}
	return decode(stored, clk, st)
}

// decode parses the stored CA material.
func decode(stored []byte, clk clock.Clock, st store.Store) (*Authority, error) {
	var kept storedMaterial
	if err := json.Unmarshal(stored, &kept); err != nil {
		return nil, fmt.Errorf("decode stored issuing CA: %w", err)
	}
	ca, err := issuance.LoadCA(issuance.Material{
		RootCertPEM:         []byte(kept.RootCertPEM),
		RootKeyPEM:          []byte(kept.RootKeyPEM),
		IntermediateCertPEM: []byte(kept.IntermediateCertPEM),
		IntermediateKeyPEM:  []byte(kept.IntermediateKeyPEM),
	})
	if err != nil {
		return nil, fmt.Errorf("load stored issuing CA: %w", err)
	}
	return &Authority{CA: ca, clock: clk, store: st}, nil
}

// create generates a root and an intermediate in their stored form.
func create(clk clock.Clock, organization string) ([]byte, error) {
	material, err := issuance.NewMaterial(organization, clk.Now())
	if err != nil {
		return nil, fmt.Errorf("create issuing CA: %w", err)
	}
	candidate, err := json.Marshal(storedMaterial{
		RootCertPEM:         string(material.RootCertPEM),
		RootKeyPEM:          string(material.RootKeyPEM),
		IntermediateCertPEM: string(material.IntermediateCertPEM),
		IntermediateKeyPEM:  string(material.IntermediateKeyPEM),
	})
	if err != nil {
		return nil, fmt.Errorf("encode issuing CA: %w", err)
	}
	return candidate, nil
}

// RootDER returns the root certificate in DER.
func (a *Authority) RootDER() []byte { return a.CA.Root.Raw }

// IntermediateDER returns the intermediate certificate in DER.
func (a *Authority) IntermediateDER() []byte { return a.CA.Intermediate.Raw }

// publicType is the ACM type of the certificates this CA issues.
const publicType = "AMAZON_ISSUED"

// CRL returns the intermediate's CRL of every revoked public certificate.
// The signed CRL is kept in the store (see crlpublish), so every node serves
// the same bytes. A revocation, or crlRefresh passing, makes a new one.
func (a *Authority) CRL(ctx context.Context) ([]byte, error) {
	certs, err := a.store.RevokedCertificates(ctx, publicType)
	if err != nil {
		return nil, fmt.Errorf("list revoked certificates: %w", err)
	}
	revoked := make([]issuance.RevokedSerial, 0, len(certs))
	entries := make([]x509.RevocationListEntry, 0, len(certs))
	for _, cert := range certs {
		serial, ok := parseSerial(cert.Serial)
		if !ok {
			return nil, fmt.Errorf("certificate %s has an invalid serial %q", cert.ARN, cert.Serial)
		}
		entry := issuance.RevokedSerial{Serial: serial, RevokedAt: cert.RevokedAt, ReasonCode: reasonCodes[cert.RevocationReason]}
		revoked = append(revoked, entry)
		entries = append(entries, x509.RevocationListEntry{SerialNumber: serial, RevocationTime: entry.RevokedAt, ReasonCode: entry.ReasonCode})
	}

	request := crlpublish.Request{Issuer: crlIssuer, IssuerDER: a.CA.Intermediate.Raw, Entries: entries, Refresh: crlRefresh}
	crl, err := crlpublish.Current(ctx, a.store, request, a.clock.Now(), func(_ []x509.RevocationListEntry, number *big.Int, thisUpdate time.Time) ([]byte, error) {
		return a.CA.CRL(thisUpdate, number, revoked)
	})
	if err != nil {
		return nil, fmt.Errorf("publish CRL: %w", err)
	}
	return crl, nil
}

// OCSP returns the signed response to a DER OCSP request about a public certificate.
func (a *Authority) OCSP(ctx context.Context, request []byte) ([]byte, error) {
	return a.CA.OCSP(request, a.clock.Now(), func(serial *big.Int) (issuance.OCSPStatus, error) {
		cert, err := a.store.CertificateBySerial(ctx, publicType, formatSerial(serial))
		if errors.Is(err, store.ErrNotFound) {
			return issuance.OCSPStatus{}, nil
		}
		if err != nil {
			return issuance.OCSPStatus{}, err
		}
		return issuance.OCSPStatus{
			Known:      true,
			Revoked:    cert.Status == "REVOKED",
			RevokedAt:  cert.RevokedAt,
			ReasonCode: reasonCodes[cert.RevocationReason],
		}, nil
	})
}

// reasonCodes maps ACM RevocationReason values to RFC 5280 CRLReason codes.
var reasonCodes = map[string]int{
	"UNSPECIFIED":            0,
	"KEY_COMPROMISE":         1,
	"CA_COMPROMISE":          2,
	"AFFILIATION_CHANGED":    3,
	"SUPERSEDED":             4,
	"CESSATION_OF_OPERATION": 5,
	"CERTIFICATE_HOLD":       6,
	"PRIVILEGE_WITHDRAWN":    9,
	"A_A_COMPROMISE":         10,
}

// parseSerial reads a serial formatted as issuance.FormatSerial does.
func parseSerial(text string) (*big.Int, bool) {
	serial, ok := new(big.Int).SetString(strings.ReplaceAll(text, ":", ""), 16)
	return serial, ok && serial.Sign() > 0
}

// formatSerial formats a serial as issuance.FormatSerial does: the octets of
// the DER INTEGER content in hex, joined by ':'.
func formatSerial(serial *big.Int) string {
	return issuance.FormatSerial(&x509.Certificate{SerialNumber: serial})
}
