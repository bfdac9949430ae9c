package sqlstore

import (
	"strings"

	"github.com/openacm/openacm/internal/store"
)

// pageArena contains the backing arrays of the certificates of one page of a
// listing. Rows take their records and string slices from it, so a page
// of 1000 rows makes a few large allocations in place of several small
// ones per row. Every slice handed out is capped at its own length, so an
// append by the caller copies it and never writes into a neighbor.
type pageArena struct {
	certs  []store.Certificate
	names  []string
	usages []store.ExtendedKeyUsage
}

// pageArenaChunk is the number of certificates a pageArena allocates at
// once when its first array is full.
const pageArenaChunk = 256

func newPageArena(rows int) *pageArena {
	return &pageArena{
		certs: make([]store.Certificate, 0, rows),
		// A summary has about four names: two key usages and the
		// subject alternative names.
		names:  make([]string, 0, 4*rows),
		usages: make([]store.ExtendedKeyUsage, 0, rows),
	}
}

// certificate returns a zeroed certificate from the arena, or a new one
// when a is nil. A full array is replaced, not grown, because earlier rows
// point into it.
func (a *pageArena) certificate() *store.Certificate {
	if a == nil {
		return &store.Certificate{}
	}
	if len(a.certs) == cap(a.certs) {
		a.certs = make([]store.Certificate, 0, pageArenaChunk)
	}
	a.certs = a.certs[:len(a.certs)+1]
	return &a.certs[len(a.certs)-1]
}

// splitNames is the package function splitNames with the result in the
// arena when a is not nil.
func (a *pageArena) splitNames(joined string) []string {
	if a == nil || joined == "" {
		return splitNames(joined)
	}
	start := len(a.names)
	for name := range strings.SplitSeq(strings.Trim(joined, ","), ",") {
		a.names = append(a.names, name)
	}
	return a.names[start:len(a.names):len(a.names)]
}

// extendedKeyUsages returns the extended key usages named in joined,
// without OIDs, or nil for none. They are in the arena when a is not nil.
func (a *pageArena) extendedKeyUsages(joined string) []store.ExtendedKeyUsage {
	if joined == "" {
		return nil
	}
	if a == nil {
		var usages []store.ExtendedKeyUsage
		for _, name := range splitNames(joined) {
			usages = append(usages, store.ExtendedKeyUsage{Name: name})
		}
		return usages
	}
	start := len(a.usages)
	for name := range strings.SplitSeq(strings.Trim(joined, ","), ",") {
		a.usages = append(a.usages, store.ExtendedKeyUsage{Name: name})
	}
	return a.usages[start:len(a.usages):len(a.usages)]
}
