// Package app wires OpenACM together: it opens the store, loads the
// issuing CA, starts the worker and serves HTTP. cmd/openacm and the
// integration tests both start the server through it.
package app

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/openacm/openacm/internal/acm"
	"github.com/openacm/openacm/internal/api"
	"github.com/openacm/openacm/internal/auth"
	"github.com/openacm/openacm/internal/clock"
	"github.com/openacm/openacm/internal/config"
	"github.com/openacm/openacm/internal/ownca"
	"github.com/openacm/openacm/internal/pca"
	"github.com/openacm/openacm/internal/sigv4"
	"github.com/openacm/openacm/internal/store"
	"github.com/openacm/openacm/internal/store/sqlstore"
	"github.com/openacm/openacm/internal/validation"
	"github.com/openacm/openacm/internal/worker"
)

// DatabaseFile is the SQLite file's name inside the data dir.
const DatabaseFile = "openacm.db"

// recordKeySetting names the stored key of DNS validation record hashes.
const recordKeySetting = "validation_record_key"

// dnsTimeout bounds one validation lookup.
const dnsTimeout = 5 * time.Second

// App is a running OpenACM server.
type App struct {
	config   config.Config
	logger   *slog.Logger
	store    store.Store
	listener net.Listener
	http     *http.Server
	worker   *worker.Worker
	pca      *pca.Service

	stopWorker context.CancelFunc
	workerDone <-chan struct{}
	pcaDone    chan struct{}
	serveDone  chan error
	closeOnce  sync.Once
	closeErr   error
}

// Options are test hooks; the zero value is what production uses.
type Options struct {
	// Clock replaces the system clock.
	Clock clock.Clock
	// Listener replaces listening on cfg.Listen, so tests can use port 0.
	Listener net.Listener
}

// Start opens everything and begins serving. Close stops it.
func Start(ctx context.Context, cfg config.Config, logger *slog.Logger, options Options) (*App, error) {
	clk := options.Clock
	if clk == nil {
		clk = clock.System{}
	}

	listener := options.Listener
	if listener == nil {
		var err error
		listener, err = net.Listen("tcp", cfg.Listen)
		if err != nil {
			return nil, fmt.Errorf("listen on %s: %w", cfg.Listen, err)
		}
	}
	a := &App{config: cfg, logger: logger, listener: listener}
	if err := a.start(ctx, clk); err != nil {
		_ = listener.Close()
		if a.store != nil {
			_ = a.store.Close()
		}
		return nil, err
	}
	return a, nil
}

// start builds the parts in dependency order.
func (a *App) start(ctx context.Context, clk clock.Clock) error {
	cfg := a.config
	a.logger.Info("openacm starting",
		"listen", a.listener.Addr().String(),
		"data_dir", cfg.DataDir,
		"validation", cfg.Validation,
		"credentials", "built-in test credential (access key test, account "+auth.TestAccount+")")

	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("create data dir %s: %w", cfg.DataDir, err)
	}
	st, err := sqlstore.OpenSQLite(ctx, filepath.Join(cfg.DataDir, DatabaseFile), a.logger)
	if err != nil {
		return fmt.Errorf("open store in %s: %w", cfg.DataDir, err)
	}
	a.store = st

	authority, err := ownca.Load(ctx, st, clk, cfg.CAOrganization)
	if err != nil {
		return err
	}
	recordKey, err := loadRecordKey(ctx, st)
	if err != nil {
		return err
	}

	a.pca = pca.New(pca.Config{BaseURL: cfg.BaseURL(), KeyParallelism: runtime.GOMAXPROCS(0)}, st, clk, a.logger)
	service, err := a.newService(cfg, st, clk, authority, recordKey)
	if err != nil {
		return err
	}
	a.worker = worker.New(st, service, clk, a.logger, worker.Options{Parallelism: runtime.GOMAXPROCS(0)})
	service.SetWake(a.worker.Wake)
	a.pca.OnPermissionsChanged(a.worker.Wake)

	verifier := &sigv4.Verifier{Credentials: auth.TestCredentials(), Now: clk.Now}
	server := api.New(service, verifier, authority, a.ready, a.logger).WithPCA(a.pca)
	a.http = &http.Server{
		Handler:           server.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(a.logger.Handler(), slog.LevelWarn),
	}

	workerCtx, stopWorker := context.WithCancel(context.WithoutCancel(ctx))
	a.stopWorker = stopWorker
	a.workerDone = a.worker.Start(workerCtx)
	a.pcaDone = make(chan struct{})
	go func() {
		defer close(a.pcaDone)
		a.pca.Run(workerCtx)
	}()

	a.serveDone = make(chan error, 1)
	go func() {
		a.serveDone <- a.http.Serve(a.listener)
	}()
	a.logger.Info("openacm serving", "address", a.Addr())
	return nil
}

// newService builds the ACM service for the configured validation mode.
func (a *App) newService(cfg config.Config, st store.Store, clk clock.Clock, authority *ownca.Authority, recordKey []byte) (*acm.Service, error) {
	var dns acm.CNAMEChecker
	if cfg.Validation == config.ValidationReal {
		checker, err := validation.NewDNSChecker(cfg.DNSResolver, dnsTimeout)
		if err != nil {
			return nil, fmt.Errorf("set up DNS resolver: %w", err)
		}
		dns = checker
	}

	base := cfg.BaseURL()
	serviceConfig := acm.Config{
		MaxDomainsPerCertificate: cfg.MaxDomainsPerCertificate,
		PublicValidity:           cfg.PublicValidity,
		ValidationZone:           cfg.ValidationZone,
		AutoValidate:             cfg.Validation == config.ValidationAuto,
		AutoValidateDelay:        cfg.AutoValidateDelay,
		RecheckInterval:          cfg.DNSRecheckInterval,
		IssuerURL:                base + api.IntermediateCertificatePath,
		CRLURL:                   base + api.CRLPath,
		RecordKey:                recordKey,
	}
	return acm.New(serviceConfig, acm.Deps{
		Store:   st,
		Clock:   clk,
		CA:      authority.CA,
		DNS:     dns,
		Logger:  a.logger,
		Private: a.pca,
		Revoked: authority.Invalidate,
	}), nil
}

// loadRecordKey returns the key of validation record hashes, created on first start.
func loadRecordKey(ctx context.Context, st store.Store) ([]byte, error) {
	key, err := st.GetSetting(ctx, recordKeySetting)
	if err == nil {
		return key, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("read validation record key: %w", err)
	}

	candidate := make([]byte, 32)
	if _, err := rand.Read(candidate); err != nil {
		return nil, fmt.Errorf("generate validation record key: %w", err)
	}
	key, err = st.InitSetting(ctx, recordKeySetting, candidate)
	if err != nil {
		return nil, fmt.Errorf("store validation record key: %w", err)
	}
	return key, nil
}

// ready reports whether the store answers and the worker runs.
func (a *App) ready() bool {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return a.worker.Running() && a.store.Ping(ctx) == nil
}

// Addr returns the address the server listens on.
func (a *App) Addr() string {
	return a.listener.Addr().String()
}

// URL returns the server's base URL.
func (a *App) URL() string {
	return "http://" + a.Addr()
}

// Close stops accepting requests, finishes those in flight, stops the
// worker and closes the store.
func (a *App) Close(ctx context.Context) error {
	a.closeOnce.Do(func() {
		a.logger.Info("openacm stopping")
		err := a.http.Shutdown(ctx)
		if serveErr := <-a.serveDone; serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
			err = errors.Join(err, serveErr)
		}

		a.stopWorker()
		<-a.workerDone
		<-a.pcaDone

		err = errors.Join(err, a.store.Close())
		a.closeErr = err
		a.logger.Info("openacm stopped", "error", err)
	})
	return a.closeErr
}
