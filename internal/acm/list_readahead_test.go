package acm

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/openacm/openacm/internal/clock"
	"github.com/openacm/openacm/internal/store"
	"github.com/openacm/openacm/internal/store/sqlstore"
)

const readAheadAccount = "111122223333"

// newReadAheadService returns a service on a new SQLite store that holds
// six issued certificates, and the store.
func newReadAheadService(t *testing.T) (*Service, store.Store, []string) {
	t.Helper()

	st, err := sqlstore.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "r.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("OpenSQLite: %v", err)
	}
	t.Cleanup(func() { st.Close() })

	created := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var arns []string
	for i := range 6 {
		cert := &store.Certificate{
			ARN:          fmt.Sprintf("arn:aws:acm:us-east-1:%s:certificate/%d", readAheadAccount, i),
			Account:      readAheadAccount,
			Region:       "us-east-1",
			DomainName:   fmt.Sprintf("www%d.example.com", i),
			Status:       StatusIssued,
			Type:         TypeAmazonIssued,
			KeyAlgorithm: "RSA_2048",
			CreatedAt:    created.Add(time.Duration(i) * time.Second),
		}
		if _, _, err := st.CreateCertificate(context.Background(), cert, nil, nil); err != nil {
			t.Fatalf("CreateCertificate: %v", err)
		}
		arns = append(arns, cert.ARN)
	}

	service := New(Config{}, Deps{Store: st, Clock: clock.NewFake(created), Logger: slog.New(slog.DiscardHandler)})
	return service, st, arns
}

// listTwoPages lists the first page of two, waits for the read-ahead of
// the second, calls between with the second page's query, and then lists
// the second page.
func listTwoPages(t *testing.T, s *Service, between func(second store.ListQuery)) *ListCertificatesOutput {
	t.Helper()

	caller := Caller{Account: readAheadAccount, Region: "us-east-1"}
	maxItems := 2
	first, err := s.ListCertificates(context.Background(), caller, &ListCertificatesInput{MaxItems: &maxItems})
	if err != nil {
		t.Fatalf("ListCertificates: %v", err)
	}
	if first.NextToken == "" {
		t.Fatal("first page has no NextToken")
	}
	s.listAhead.running.Wait()

	between(store.ListQuery{Account: caller.Account, Region: caller.Region, KeyAlgorithms: defaultListKeyTypes,
		Order: store.Ascending, Limit: maxItems, After: first.NextToken})
	second, err := s.ListCertificates(context.Background(), caller, &ListCertificatesInput{MaxItems: &maxItems, NextToken: first.NextToken})
	if err != nil {
		t.Fatalf("ListCertificates of the second page: %v", err)
	}
	return second
}

func TestListReadAheadServesUnchangedPage(t *testing.T) {
	s, _, arns := newReadAheadService(t)
	var fresh *ListCertificatesOutput
	second := listTwoPages(t, s, func(query store.ListQuery) {
		var err error
		if fresh, err = s.listPage(context.Background(), query, query.After); err != nil {
			t.Fatalf("listPage: %v", err)
		}
	})

	if got := s.listAhead.served.Load(); got != 1 {
		t.Errorf("%d pages served from read-ahead, want 1", got)
	}
	if got, want := string(second.AppendJSON(nil)), string(fresh.AppendJSON(nil)); got != want {
		t.Errorf("second page JSON = %s\nwant %s", got, want)
	}
	if len(second.CertificateSummaryList) != 2 || second.CertificateSummaryList[0].CertificateArn != arns[2] {
		t.Errorf("second page = %+v, want certificates 2 and 3", second.CertificateSummaryList)
	}
}

func TestListReadAheadSkipsChangedPage(t *testing.T) {
	s, st, arns := newReadAheadService(t)
	second := listTwoPages(t, s, func(store.ListQuery) {
		cert, err := st.GetCertificate(context.Background(), readAheadAccount, "us-east-1", arns[2])
		if err != nil {
			t.Fatalf("GetCertificate: %v", err)
		}
		cert.Status = StatusFailed
		if err := st.UpdateCertificate(context.Background(), cert); err != nil {
			t.Fatalf("UpdateCertificate: %v", err)
		}
	})

	if got := s.listAhead.served.Load(); got != 0 {
		t.Errorf("%d pages served from read-ahead after a change, want 0", got)
	}
	if len(second.CertificateSummaryList) != 2 || second.CertificateSummaryList[0].Status != StatusFailed {
		t.Errorf("second page = %+v, want certificate 2 FAILED first", second.CertificateSummaryList)
	}
}

func TestReadAheadKeyDiffersByQuery(t *testing.T) {
	base := store.ListQuery{Account: readAheadAccount, Region: "us-east-1", Limit: 2, After: "cursor"}
	variants := []func(*store.ListQuery){
		func(q *store.ListQuery) { q.Account = "444455556666" },
		func(q *store.ListQuery) { q.Region = "eu-west-1" },
		func(q *store.ListQuery) { q.Limit = 3 },
		func(q *store.ListQuery) { q.After = "other" },
		func(q *store.ListQuery) { q.Order = store.Descending },
		func(q *store.ListQuery) { q.Statuses = []string{StatusIssued} },
		func(q *store.ListQuery) { q.Types = []string{TypeImported} },
		func(q *store.ListQuery) { q.KeyAlgorithms = []string{"RSA_2048"} },
		func(q *store.ListQuery) { q.KeyUsages = []string{"DIGITAL_SIGNATURE"} },
		func(q *store.ListQuery) { q.ExtendedKeyUsages = []string{"TLS_WEB_SERVER_AUTHENTICATION"} },
		func(q *store.ListQuery) { q.ExportOption = "ENABLED" },
		func(q *store.ListQuery) { q.ManagedBy = "CLOUDFRONT" },
	}

	for i, change := range variants {
		query := base
		change(&query)
		if readAheadKey(query) == readAheadKey(base) {
			t.Errorf("variant %d has the key of the base query", i)
		}
	}
}
