package sqlstore

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/openacm/openacm/internal/store"
)

// Read-ahead of list pages.
//
// A client walks ListCertificates one page at a time: it requests the next
// page only after it has decoded the last one, which takes an SDK client
// several milliseconds for a page of 1,000. While it decodes, the store
// reads the next page on another core, so the next request finds the page
// ready. A page read ahead is served only when no connection, of this
// process or another, committed anything since its read began, so it is
// the page a fresh read would return.

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

// readAhead reads list pages ahead of their requests. Only SQLite stores
// have one, because PRAGMA data_version shows whether the database changed.
type readAhead struct {
	// versionDB has the one connection that reads PRAGMA data_version.
	// SQLite changes that value for a connection whenever another
	// connection commits, so it covers the writer pool and any other
	// process that writes the file, such as openacm rotate-master-key.
	versionDB *sql.DB

	mu    sync.Mutex
	pages map[string]*readAheadPage

	// lists counts the ListCertificates calls in progress. A page is read
	// ahead only when its call is the only one, so concurrent walks, which
	// keep the cores busy anyway, do not add reads.
	lists atomic.Int64
	// running tracks reads in progress, so Close waits for them.
	running sync.WaitGroup
	// served counts the pages served from a read ahead.
	served atomic.Int64
}

// readAheadPage is one page being read or read ahead. done is closed once
// certs, next and err are set.
type readAheadPage struct {
	done    chan struct{}
	started time.Time
	version int64
	certs   []*store.Certificate
	next    string
	err     error
}

func newReadAhead(versionDB *sql.DB) *readAhead {
	return &readAhead{versionDB: versionDB, pages: map[string]*readAheadPage{}}
}

// dataVersion returns the database's PRAGMA data_version on versionDB's
// connection.
func (r *readAhead) dataVersion(ctx context.Context) (int64, error) {
	var version int64
	err := r.versionDB.QueryRowContext(ctx, `PRAGMA data_version`).Scan(&version)
	return version, err
}

// take returns the page read ahead for query when there is one and the
// database has not changed since its read began. It waits for a read still
// in progress.
func (r *readAhead) take(ctx context.Context, query store.ListQuery) ([]*store.Certificate, string, bool) {
	key := readAheadKey(query)
	r.mu.Lock()
	page := r.pages[key]
	delete(r.pages, key)
	r.mu.Unlock()
	if page == nil {
		return nil, "", false
	}

	select {
	case <-page.done:
	case <-ctx.Done():
		return nil, "", false
	}
	if page.err != nil || time.Since(page.started) > readAheadMaxAge {
		return nil, "", false
	}

	version, err := r.dataVersion(ctx)
	if err != nil || version != page.version {
		return nil, "", false
	}
	r.served.Add(1)
	return page.certs, page.next, true
}

// start reads the page of query in the background with read, unless other
// list calls are in progress or enough pages are already kept.
func (r *readAhead) start(query store.ListQuery, read func(context.Context, store.ListQuery) ([]*store.Certificate, string, error)) {
	if r.lists.Load() > 1 {
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
		page.version, page.err = r.dataVersion(ctx)
		if page.err != nil {
			return
		}
		page.certs, page.next, page.err = read(ctx, query)
	})
}

// dropStale forgets the pages that no request took in time. The caller
// holds mu.
func (r *readAhead) dropStale() {
	for key, page := range r.pages {
		if time.Since(page.started) > readAheadMaxAge {
			delete(r.pages, key)
		}
	}
}

// close waits for the reads in progress and closes versionDB.
func (r *readAhead) close() error {
	r.running.Wait()
	return r.versionDB.Close()
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
