// Package ownca keeps OpenACM's own issuing CA, the one that signs public
// certificates: it creates the root and intermediate once, stores them so
// every node shares one CA, and publishes the CA certificates and CRL.
package ownca

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"sync"
	"time"

	"github.com/openacm/openacm/internal/audit"
	"github.com/openacm/openacm/internal/clock"
	"github.com/openacm/openacm/internal/issuance"
	"github.com/openacm/openacm/internal/store"
)

// secretName is the store secret that holds the CA material, private keys
// included, sealed with the master key.
const secretName = "issuing_ca"

// crlLifetime is how long a generated CRL is served before a new one is signed.
const crlLifetime = time.Minute

// Authority is the loaded issuing CA.
type Authority struct {
	CA    *issuance.CA
	clock clock.Clock

	mu         sync.Mutex
	crl        []byte
	crlExpires time.Time
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

	authority, err := decode(stored, clk)
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
	return decode(stored, clk)
}

// decode parses the stored CA material.
func decode(stored []byte, clk clock.Clock) (*Authority, error) {
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
	return &Authority{CA: ca, clock: clk}, nil
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

// CRL returns the intermediate's CRL, signed at most once per crlLifetime.
func (a *Authority) CRL(_ context.Context) ([]byte, error) {
	a.mu.Lock()
	defer a.mu.Unlock()

	now := a.clock.Now()
	if a.crl != nil && now.Before(a.crlExpires) {
		return a.crl, nil
	}

	// TODO: list revoked serials once ACM RevokeCertificate exists; the CRL is empty until then.
	number := big.NewInt(now.Unix())
	crl, err := a.CA.CRL(now, number, nil)
	if err != nil {
		return nil, fmt.Errorf("sign CRL: %w", err)
	}
	a.crl = crl
	a.crlExpires = now.Add(crlLifetime)
	return crl, nil
}
