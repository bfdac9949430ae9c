package sqlstore

import (
	"bytes"
	"sync"

	"github.com/openacm/openacm/internal/store"
)

// maxCachedAuthorities bounds the authority cache. Past it, the cache
// starts over.
const maxCachedAuthorities = 256

// authorityCache keeps the decoded row of each CA read, with its private
// key opened, so that a CA that signs many certificates is not decoded
// and its key not opened for each one. An entry is only a decoding cache:
// GetCertificateAuthority uses it only after a query of the committed row
// shows the same version, created_at and updated_at. UpdateCertificateAuthority
// raises the version, and resealing a key under another master key leaves
// the opened key as it was. So a cached entry is not returned for a changed
// row, even when another node sharing the database changed it.
//
// NOTE: a CA deleted and created again under the same ARN with the same
// created_at and updated_at would pass for the cached one. The pca service
// gives each CA a random ARN, and Reset clears this node's cache, because
// a reset under a fixed test clock can re-create a CA with the same times.
type authorityCache struct {
	mu      sync.Mutex
	entries map[string]*cachedAuthority
}

// cachedAuthority is an opened CA and the columns that identify the row
// state it was decoded from.
type cachedAuthority struct {
	version   int64
	createdAt int64
	updatedAt int64
	ca        *store.CertificateAuthority
}

// matches reports whether entry was decoded from the row state that
// version, createdAt and updatedAt describe.
func (entry *cachedAuthority) matches(version, createdAt, updatedAt int64) bool {
	return entry.version == version && entry.createdAt == createdAt && entry.updatedAt == updatedAt
}

// get returns the entry of arn, or nil.
func (c *authorityCache) get(arn string) *cachedAuthority {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.entries[arn]
}

// put stores ca, decoded from row, under its ARN.
func (c *authorityCache) put(row *caRow, ca *store.CertificateAuthority) {
	entry := &cachedAuthority{version: row.Version, createdAt: row.CreatedAt, updatedAt: row.UpdatedAt, ca: copyAuthority(ca)}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= maxCachedAuthorities {
		c.entries = map[string]*cachedAuthority{}
	}
	c.entries[row.ARN] = entry
}

// drop removes the entry of arn, so the key of a deleted CA does not stay
// in memory.
func (c *authorityCache) drop(arn string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, arn)
}

// clear removes every entry.
func (c *authorityCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries = nil
}

// copyAuthority returns a copy of ca that shares no memory with it, so a
// caller that changes the CA it was given cannot change the cached one.
func copyAuthority(ca *store.CertificateAuthority) *store.CertificateAuthority {
	out := *ca
	out.Configuration = bytes.Clone(ca.Configuration)
	out.RevocationConfiguration = bytes.Clone(ca.RevocationConfiguration)
	out.PrivateKeyPEM = bytes.Clone(ca.PrivateKeyPEM)
	return &out
}
