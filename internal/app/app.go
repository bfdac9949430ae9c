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
	"runtime"
	"sync"
	"time"

	"github.com/openacm/openacm/internal/acm"
	"github.com/openacm/openacm/internal/api"
	"github.com/openacm/openacm/internal/auth"
	"github.com/openacm/openacm/internal/clock"
	"github.com/openacm/openacm/internal/config"
	"github.com/openacm/openacm/internal/events"
	"github.com/openacm/openacm/internal/keypool"
	"github.com/openacm/openacm/internal/keys"
	"github.com/openacm/openacm/internal/metrics"
	"github.com/openacm/openacm/internal/ownca"
	"github.com/openacm/openacm/internal/pca"
	"github.com/openacm/openacm/internal/sigv4"
	"github.com/openacm/openacm/internal/store"
	"github.com/openacm/openacm/internal/throttle"
	"github.com/openacm/openacm/internal/validation"
	"github.com/openacm/openacm/internal/worker"
)

// DatabaseFile is the SQLite file's name inside the data dir.
const DatabaseFile = "openacm.db"

// recordKeySetting names the stored key of DNS validation record hashes.
const recordKeySetting = "validation_record_key"

// dnsTimeout bounds one validation lookup.
const dnsTimeout = 5 * time.Second

// Listener limits against slow or greedy clients. A client gets
// readHeaderTimeout to send its headers and readTimeout for the whole
// request, at most 4 MiB of body (api.MaxBodyBytes), so a client that
// trickles bytes is cut off instead of holding a connection.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 60 * time.Second
	writeTimeout      = 60 * time.Second
	idleTimeout       = 120 * time.Second
	maxHeaderBytes    = 64 << 10
)

// workerAdvancesPerCore is how many certificates the worker advances at
// once per core. An advance mostly waits for a store write, a pooled key
// or DNS, so several per core keep the cores busy, and SQLite commits the
// writes of concurrent advances together.
const workerAdvancesPerCore = 16

// App is a running OpenACM server.
type App struct {
	config  config.Config
	logger  *slog.Logger
	store   store.Store
	keyring *keys.Keyring
	// credentials is the credentials file, or nil for the built-in test credential.
	credentials *auth.File
	listener    net.Listener
	http        *http.Server
	worker      *worker.Worker
	metrics     *metrics.Metrics
	webhook     *events.Webhook
	pca         *pca.Service
	keyPool     *keypool.Pool

	stopWorker context.CancelFunc
	workerDone <-chan struct{}
	pcaDone    chan struct{}
	poolDone   chan struct{}
	serveDone  chan error
	closeOnce  sync.Once
	closeErr   error
	options    Options
}

// Options are test hooks; the zero value is what production uses.
type Options struct {
	// Clock replaces the system clock.
	Clock clock.Clock
	// Listener replaces listening on cfg.Listen, so tests can use port 0.
	Listener net.Listener
	// HTTPValidationPort, when set, replaces ports 80 and 443 in HTTP
	// validation fetches, so a test web server on a loopback port can
	// stand in for a domain's.
	HTTPValidationPort int
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
	a := &App{config: cfg, logger: logger, listener: listener, options: options}
	if err := a.start(ctx, clk); err != nil {
		a.closeWebhook()
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
	credentials, source, err := loadCredentials(cfg)
	if err != nil {
		return err
	}
	a.credentials = credentials
	nodeID := cfg.NodeID
	if nodeID == "" {
		nodeID = defaultNodeID()
	}
	a.logger.Info("openacm starting",
		"listen", a.listener.Addr().String(),
		"node_id", nodeID,
		"data_dir", cfg.DataDir,
		"validation", cfg.Validation,
		"credentials", credentialsDescription(credentials),
		"tls", cfg.Scheme() == "https",
		"throttle", cfg.Throttle,
		"max_certificates", cfg.CertificateQuota())

	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("create data dir %s: %w", cfg.DataDir, err)
	}
	a.keyring, err = loadKeyring(cfg, a.logger)
	if err != nil {
		return err
	}
	opened, err := openStore(ctx, cfg, a.keyring, a.logger)
	if err != nil {
		return err
	}
	a.metrics = metrics.New(a.logger)
	st := a.metrics.InstrumentStore(opened)
	a.metrics.WatchCertificates(st)
	a.store = st

	authority, err := ownca.Load(ctx, st, clk, cfg.CAOrganization, a.logger)
	if err != nil {
		return err
	}
	recordKey, err := loadRecordKey(ctx, st)
	if err != nil {
		return err
	}

	a.keyPool, err = newKeyPool(cfg, a.keyring, a.logger)
	if err != nil {
		return err
	}
	a.pca = pca.New(pca.Config{BaseURL: cfg.BaseURL(), KeyParallelism: runtime.GOMAXPROCS(0)}, st, clk, a.logger)
	service, err := a.newService(cfg, st, clk, authority, recordKey)
	if err != nil {
		return err
	}
	a.worker = worker.New(st, service, clk, a.logger, worker.Options{
		Holder:       nodeID,
		Lease:        cfg.WorkerLease,
		Parallelism:  workerAdvancesPerCore * runtime.GOMAXPROCS(0),
		IdleInterval: cfg.WorkerInterval,
		Observer:     a.metrics,
	})
	service.SetWake(a.worker.Wake)
	a.pca.OnPermissionsChanged(a.worker.Wake)

	limiter, err := throttle.Parse(cfg.Throttle)
	if err != nil {
		return fmt.Errorf("invalid --throttle: %w", err)
	}
	verifier := &sigv4.Verifier{Credentials: source, Now: clk.Now}
	server := api.New(service, verifier, authority, a.ready, a.logger,
		api.WithThrottle(limiter, clk.Now), api.WithMetrics(a.metrics), api.WithStateControls(a.stateControls(service))).WithPCA(a.pca)
	a.http = &http.Server{
		Handler:           holdKeyPool(server.Handler(), a.keyPool),
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(a.logger.Handler(), slog.LevelWarn),
	}
	if cfg.TLSSelfIssued {
		names := selfIssuedNames(cfg.PublicURL, cfg.Listen, os.Hostname)
		selfIssued, err := newSelfIssuedTLS(authority.CA, names, cfg.BaseURL()+api.IntermediateCertificatePath, cfg.BaseURL()+api.CRLPath, clk, a.logger)
		if err != nil {
			return err
		}
		a.http.TLSConfig = selfIssued.tlsConfig()
	}

	workerCtx, stopWorker := context.WithCancel(context.WithoutCancel(ctx))
	a.stopWorker = stopWorker
	a.workerDone = a.worker.Start(workerCtx)
	a.pcaDone = make(chan struct{})
	go func() {
		defer close(a.pcaDone)
		a.pca.Run(workerCtx)
	}()
	a.poolDone = make(chan struct{})
	go func() {
		defer close(a.poolDone)
		a.keyPool.Run(workerCtx)
	}()

	a.serveDone = make(chan error, 1)
	go func() {
		if cfg.TLSCert != "" || cfg.TLSSelfIssued {
			a.serveDone <- a.http.ServeTLS(a.listener, cfg.TLSCert, cfg.TLSKey)
			return
		}
		a.serveDone <- a.http.Serve(a.listener)
	}()
	a.logger.Info("openacm serving", "address", a.Addr())
	return nil
}

// newKeyPool builds the pool of certificate keys that --key-pool sizes,
// sealed with the master keyring.
func newKeyPool(cfg config.Config, keyring *keys.Keyring, logger *slog.Logger) (*keypool.Pool, error) {
	sizes, err := cfg.KeyPoolSizes()
	if err != nil {
		return nil, err
	}
	idle, busy := cfg.KeyPoolGeneratorCounts()
	return keypool.New(keypool.Options{
		Sizes:          sizes,
		Generators:     idle,
		BusyGenerators: busy,
		Sealer:         keyring,
		Logger:         logger,
	})
}

// holdKeyPool marks each request in flight to the key pool, so key
// generation leaves cores to requests.
func holdKeyPool(next http.Handler, pool *keypool.Pool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		release := pool.Hold()
		defer release()
		next.ServeHTTP(w, r)
	})
}

// defaultNodeID returns the host name and process id, plus a random
// suffix so that a restarted container, which often gets the same host
// name and process id, does not pass for the node it replaces.
func defaultNodeID() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "node"
	}
	suffix := make([]byte, 3)
	_, _ = rand.Read(suffix)
	return fmt.Sprintf("%s-%d-%x", host, os.Getpid(), suffix)
}

// newService builds the ACM service for the configured validation mode.
func (a *App) newService(cfg config.Config, st store.Store, clk clock.Clock, authority *ownca.Authority, recordKey []byte) (*acm.Service, error) {
	deps := acm.Deps{
		Store:  st,
		Clock:  clk,
		CA:     authority.CA,
		Logger: a.logger,
		Events: a.eventSinks(),
	}
	if cfg.Validation == config.ValidationReal {
		checker, err := validation.NewDNSChecker(cfg.DNSResolver, dnsTimeout)
		if err != nil {
			return nil, fmt.Errorf("set up DNS resolver: %w", err)
		}
		deps.DNS = checker
		if err := a.addDomainControl(&deps, checker); err != nil {
			return nil, err
		}
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
		MaxCertificates:          cfg.CertificateQuota(),
		RecordKey:                recordKey,
		ApprovalURL:              base + api.ApprovalPath,
	}
	deps.Observer = a.metrics
	deps.Private = a.pca
	deps.Keys = a.keyPool
	return acm.New(serviceConfig, deps), nil
}

// stateControls returns the test-environment controls, on or off as configured.
func (a *App) stateControls(service *acm.Service) api.StateControls {
	enabled, reason := a.config.StateControlsEnabled()
	if enabled {
		a.logger.Warn("state controls enabled: any holder of a credential can delete every certificate",
			"reset_path", api.ResetPath, "certificate_state_path", api.CertificateStatePath)
	}
	return api.StateControls{
		Enabled:        enabled,
		DisabledReason: reason,
		Reset:          a.reset,
		Service:        service,
	}
}

// reset deletes every certificate, tag and idempotency token; the CA stays.
func (a *App) reset(ctx context.Context) error {
	if err := a.store.Reset(ctx); err != nil {
		return err
	}
	a.logger.Warn("all certificates deleted by the reset control")
	return nil
}

// ready reports whether the store responds to a ping and the worker runs.
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
	return a.config.Scheme() + "://" + a.Addr()
}

// Close stops accepting requests, finishes those in flight, stops the
// worker after the certificates it is advancing, releases its leases so
// other nodes take its pending certificates at once, and closes the store.
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
		<-a.poolDone
		a.closeWebhook()
		if releaseErr := a.worker.ReleaseLeases(ctx); releaseErr != nil {
			// Not a failed stop: the leases expire on their own.
			a.logger.Warn("releasing worker leases failed; other nodes wait for them to expire", "error", releaseErr)
		}

		err = errors.Join(err, a.store.Close())
		a.closeErr = err
		a.logger.Info("openacm stopped", "error", err)
	})
	return a.closeErr
}
