package acm

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/openacm/openacm/internal/store"
)

// Read-ahead of ListCertificates pages.
//
// A client walks ListCertificates one page at a time: it requests the next
// page only after it has decoded the last one, which takes an SDK client
// several milliseconds for a page of 1,000. While it decodes, the service
// reads and renders the next page on another core, so the next request
// finds the page ready. A page read ahead is served only when the store's
// DataVersion is the one it had before the read began, so it is the page
// a fresh read would return.

const (
	// maxReadAheadPages bounds the pages kept ready, so many walks at once
	// cost no more memory than two pages.
	maxReadAheadPages = 2
	// readAheadMaxAge is how long a page read ahead waits for its request.
	// A client that walks sends it within milliseconds.
	readAheadMaxAge = time.Second
	// readAheadTimeout bounds one read ahead.
	readAheadTimeout = 10 * time.Second
)

// listReadAhead reads ListCertificates pages ahead of their requests.
type listReadAhead struct {
	mu    sync.Mutex
	pages map[string]*readAheadPage

	// lists counts the ListCertificates calls in progress. A page is read
	// ahead only when its call is the only one, so concurrent walks, which
	// keep the cores busy anyway, do not add reads.
	lists atomic.Int64
	// noVersion is set once the store reported that it has no data
	// version, which turns read-ahead off.
	noVersion atomic.Bool
	// running tracks reads in progress, for tests.
	running sync.WaitGroup
	// served counts the pages served from a read ahead.
	served atomic.Int64
}

// readAheadPage is one page being read ahead. done is closed once out and
// err are set.
type readAheadPage struct {
	done    chan struct{}
	started time.Time
	version int64
	out     *ListCertificatesOutput
	err     error
}

func newListReadAhead() *listReadAhead {
	return &listReadAhead{pages: map[string]*readAheadPage{}}
}

// take returns the page read ahead for query when there is one and the
// store has not changed since its read began. It waits for a read still in
// progress.
func (r *listReadAhead) take(ctx context.Context, st store.Store, query store.ListQuery) (*ListCertificatesOutput, bool) {
	key := readAheadKey(query)
	r.mu.Lock()
	page := r.pages[key]
	delete(r.pages, key)
	r.mu.Unlock()
	if page == nil {
		return nil, false
	}

	select {
	case <-page.done:
	case <-ctx.Done():
		return nil, false
	}
	if page.err != nil || time.Since(page.started) > readAheadMaxAge {
		return nil, false
	}

	version, ok, err := st.DataVersion(ctx)
	if err != nil || !ok || version != page.version {
		return nil, false
	}
	r.served.Add(1)
	return page.out, true
}

// start reads and renders the page of query in the background with read,
// unless other list calls are in progress, enough pages are already kept
// or the store cannot tell whether it changed.
func (r *listReadAhead) start(st store.Store, query store.ListQuery, read func(context.Context, store.ListQuery) (*ListCertificatesOutput, error)) {
	if r.lists.Load() > 1 || r.noVersion.Load() {
		return
	}

	key := readAheadKey(query)
	page := &readAheadPage{done: make(chan struct{}), started: time.Now()}
	r.mu.Lock()
	r.dropStale()
	if len(r.pages) >= maxReadAheadPages || r.pages[key] != nil {
		r.mu.Unlock()
		return
	}
	r.pages[key] = page
	r.mu.Unlock()

	r.running.Go(func() {
		defer close(page.done)

		ctx, cancel := context.WithTimeout(context.Background(), readAheadTimeout)
		defer cancel()

		// The version is read before the page, so a commit during the read
		// changes it and the page is not served.
		var ok bool
		page.version, ok, page.err = st.DataVersion(ctx)
		if page.err != nil {
			return
		}
		if !ok {
			r.noVersion.Store(true)
			page.err = errNoDataVersion
			return
		}
		page.out, page.err = read(ctx, query)
	})
}

// errNoDataVersion marks a page not read ahead because the store cannot
// tell whether it changed.
var errNoDataVersion = errors.New("the store has no data version")

// dropStale removes the pages that no request took in time. The caller
// holds mu.
func (r *listReadAhead) dropStale() {
	for key, page := range r.pages {
		if time.Since(page.started) > readAheadMaxAge {
			delete(r.pages, key)
		}
	}
}

// readAheadKey returns a key that differs between any two queries that can
// return different pages.
func readAheadKey(query store.ListQuery) string {
	var b strings.Builder
	for _, part := range []string{query.Account, query.Region, query.ExportOption, query.ManagedBy,
		string(query.Order), strconv.Itoa(query.Limit), query.After} {
		b.WriteString(part)
		b.WriteByte(0)
	}
	for _, list := range [][]string{query.Statuses, query.Types, query.KeyAlgorithms, query.KeyUsages, query.ExtendedKeyUsages} {
		b.WriteString(strconv.Itoa(len(list)))
		b.WriteByte(0)
		for _, value := range list {
			b.WriteString(value)
			b.WriteByte(0)
		}
	}
	return b.String()
}
