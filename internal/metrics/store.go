package metrics

import (
	"context"
	"errors"
	"time"

	"github.com/openacm/openacm/internal/store"
)

// InstrumentStore returns st with the latency and unexpected errors of its
// calls measured.
//
// NOTE: methods added to store.Store after these pass through the embedded
// interface unmeasured until a wrapper for them is written here.
func (m *Metrics) InstrumentStore(st store.Store) store.Store {
	return &instrumentedStore{Store: st, metrics: m}
}

type instrumentedStore struct {
	store.Store
	metrics *Metrics
}

// observe records one call that started at started and ended with err.
func (s *instrumentedStore) observe(operation string, started time.Time, err error) {
	s.metrics.storeDuration.WithLabelValues(operation).Observe(time.Since(started).Seconds())
	if err != nil && !expectedStoreError(err) {
		s.metrics.storeErrors.WithLabelValues(operation).Inc()
	}
}

// expectedStoreError reports whether err is one of the outcomes callers
// handle as a result rather than a failure.
func expectedStoreError(err error) bool {
	return errors.Is(err, store.ErrNotFound) ||
		errors.Is(err, store.ErrConflict) ||
		errors.Is(err, store.ErrTooManyTags) ||
		errors.Is(err, store.ErrBadCursor)
}

func (s *instrumentedStore) CreateCertificate(ctx context.Context, cert *store.Certificate, tags []store.Tag, idem *store.Idempotency) (string, bool, error) {
	started := time.Now()
	arn, created, err := s.Store.CreateCertificate(ctx, cert, tags, idem)
	s.observe("CreateCertificate", started, err)
	return arn, created, err
}

func (s *instrumentedStore) GetCertificate(ctx context.Context, account, region, arn string) (*store.Certificate, error) {
	started := time.Now()
	cert, err := s.Store.GetCertificate(ctx, account, region, arn)
	s.observe("GetCertificate", started, err)
	return cert, err
}

func (s *instrumentedStore) GetCertificateDetails(ctx context.Context, account, region, arn string) (*store.Certificate, error) {
	started := time.Now()
	cert, err := s.Store.GetCertificateDetails(ctx, account, region, arn)
	s.observe("GetCertificateDetails", started, err)
	return cert, err
}

func (s *instrumentedStore) UpdateCertificate(ctx context.Context, cert *store.Certificate) error {
	started := time.Now()
	err := s.Store.UpdateCertificate(ctx, cert)
	s.observe("UpdateCertificate", started, err)
	return err
}

func (s *instrumentedStore) UpdateCertificateAndEndLease(ctx context.Context, cert *store.Certificate) error {
	started := time.Now()
	err := s.Store.UpdateCertificateAndEndLease(ctx, cert)
	s.observe("UpdateCertificateAndEndLease", started, err)
	return err
}

func (s *instrumentedStore) FinishCertificateWork(ctx context.Context, work store.CertificateWork) error {
	started := time.Now()
	err := s.Store.FinishCertificateWork(ctx, work)
	s.observe("FinishCertificateWork", started, err)
	return err
}

func (s *instrumentedStore) DeleteCertificate(ctx context.Context, account, region, arn string) error {
	started := time.Now()
	err := s.Store.DeleteCertificate(ctx, account, region, arn)
	s.observe("DeleteCertificate", started, err)
	return err
}

func (s *instrumentedStore) ListCertificates(ctx context.Context, query store.ListQuery) ([]*store.Certificate, string, error) {
	started := time.Now()
	certs, next, err := s.Store.ListCertificates(ctx, query)
	s.observe("ListCertificates", started, err)
	return certs, next, err
}

func (s *instrumentedStore) PendingCertificates(ctx context.Context, limit int) ([]*store.Certificate, error) {
	started := time.Now()
	certs, err := s.Store.PendingCertificates(ctx, limit)
	s.observe("PendingCertificates", started, err)
	return certs, err
}

func (s *instrumentedStore) ListTags(ctx context.Context, account, region, arn string) ([]store.Tag, error) {
	started := time.Now()
	tags, err := s.Store.ListTags(ctx, account, region, arn)
	s.observe("ListTags", started, err)
	return tags, err
}

func (s *instrumentedStore) AddTags(ctx context.Context, account, region, arn string, tags []store.Tag, maxTags int) error {
	started := time.Now()
	err := s.Store.AddTags(ctx, account, region, arn, tags, maxTags)
	s.observe("AddTags", started, err)
	return err
}

func (s *instrumentedStore) RemoveTags(ctx context.Context, account, region, arn string, tags []store.Tag) error {
	started := time.Now()
	err := s.Store.RemoveTags(ctx, account, region, arn, tags)
	s.observe("RemoveTags", started, err)
	return err
}

func (s *instrumentedStore) GetSetting(ctx context.Context, name string) ([]byte, error) {
	started := time.Now()
	value, err := s.Store.GetSetting(ctx, name)
	s.observe("GetSetting", started, err)
	return value, err
}

func (s *instrumentedStore) InitSetting(ctx context.Context, name string, value []byte) ([]byte, error) {
	started := time.Now()
	stored, err := s.Store.InitSetting(ctx, name, value)
	s.observe("InitSetting", started, err)
	return stored, err
}

func (s *instrumentedStore) SwapSetting(ctx context.Context, name string, old, value []byte) (bool, error) {
	started := time.Now()
	stored, err := s.Store.SwapSetting(ctx, name, old, value)
	s.observe("SwapSetting", started, err)
	return stored, err
}

func (s *instrumentedStore) CountCertificates(ctx context.Context) ([]store.CertificateCount, error) {
	started := time.Now()
	counts, err := s.Store.CountCertificates(ctx)
	s.observe("CountCertificates", started, err)
	return counts, err
}

func (s *instrumentedStore) Reset(ctx context.Context) error {
	started := time.Now()
	err := s.Store.Reset(ctx)
	s.observe("Reset", started, err)
	return err
}

func (s *instrumentedStore) SearchCertificates(ctx context.Context, query store.SearchQuery) ([]*store.Certificate, string, error) {
	started := time.Now()
	certs, next, err := s.Store.SearchCertificates(ctx, query)
	s.observe("SearchCertificates", started, err)
	return certs, next, err
}

func (s *instrumentedStore) GetAccountConfiguration(ctx context.Context, account, region string) (*store.AccountConfiguration, error) {
	started := time.Now()
	config, err := s.Store.GetAccountConfiguration(ctx, account, region)
	s.observe("GetAccountConfiguration", started, err)
	return config, err
}

func (s *instrumentedStore) PutAccountConfiguration(ctx context.Context, config *store.AccountConfiguration, idem store.Idempotency) (bool, error) {
	started := time.Now()
	stored, err := s.Store.PutAccountConfiguration(ctx, config, idem)
	s.observe("PutAccountConfiguration", started, err)
	return stored, err
}
