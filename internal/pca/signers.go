package pca

import (
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"fmt"
	"sync"

	"github.com/openacm/openacm/internal/issuance"
	"github.com/openacm/openacm/internal/store"
)

// maxCachedSigners bounds the signer cache; past it the cache starts over.
const maxCachedSigners = 256

// caSigner is a CA's parsed signing key and, once imported, its certificate.
type caSigner struct {
	// digest is the SHA-256 of the key and certificate PEM it was parsed from.
	digest [sha256.Size]byte
	signer crypto.Signer
	cert   *x509.Certificate
}

// signerCache keeps the parsed key and certificate of each CA that signed,
// because parsing an RSA key for every certificate costs more than
// signing with it. An entry is used only while the CA record carries the
// same key and certificate PEM, so a CA whose key or certificate changes
// is parsed afresh. Callers still read the CA record for every
// certificate, so status and policy changes apply at once.
type signerCache struct {
	mu      sync.Mutex
	entries map[string]*caSigner
}

// signerFor returns the parsed key and certificate of ca. The certificate
// is nil while the CA has none.
func (c *signerCache) signerFor(ca *store.CertificateAuthority) (*caSigner, error) {
	digest := caDigest(ca)
	c.mu.Lock()
	entry, ok := c.entries[ca.ARN]
	c.mu.Unlock()
	if ok && entry.digest == digest {
		return entry, nil
	}

	entry, err := parseCASigner(ca, digest)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= maxCachedSigners {
		c.entries = map[string]*caSigner{}
	}
	c.entries[ca.ARN] = entry
	return entry, nil
}

func parseCASigner(ca *store.CertificateAuthority, digest [sha256.Size]byte) (*caSigner, error) {
	signer, err := issuance.ParsePrivateKey(ca.PrivateKeyPEM)
	if err != nil {
		return nil, fmt.Errorf("load key of %s: %w", ca.ARN, err)
	}
	entry := &caSigner{digest: digest, signer: signer}
	if ca.CertificatePEM != "" {
		entry.cert, err = caCertificate(ca)
		if err != nil {
			return nil, fmt.Errorf("parse certificate of %s: %w", ca.ARN, err)
		}
	}
	return entry, nil
}

// caDigest hashes the key and certificate PEM of ca. The key's length goes
// first, so no two different pairs hash the same input.
func caDigest(ca *store.CertificateAuthority) [sha256.Size]byte {
	h := sha256.New()
	fmt.Fprintf(h, "%d:", len(ca.PrivateKeyPEM))
	h.Write(ca.PrivateKeyPEM)
	h.Write([]byte(ca.CertificatePEM))
	var digest [sha256.Size]byte
	h.Sum(digest[:0])
	return digest
}
