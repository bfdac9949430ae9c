// Package pca implements the ACM Private CA (acm-pca) operations: the
// certificate authority life cycle, key generation, CSRs, certificate
// issuance with templates, revocation, CRLs and OCSP responses, tags,
// permissions, resource policies and audit reports. It also issues the
// private certificates that ACM requests from a CA.
//
// It imports nothing of HTTP or SQL: the api package decodes requests and
// renders errors, and a store.Store keeps the records. CA signing keys stay
// in this package and the store; no output type has a field for them.
package pca

import (
	"log/slog"
	"time"

	"github.com/openacm/openacm/internal/clock"
	"github.com/openacm/openacm/internal/store"
)

// Caller is the account and region a request was signed for.
type Caller struct {
	Account string
	Region  string
}

// Config holds the settings of the service.
type Config struct {
	// BaseURL is the public URL of this server, such as
	// "http://127.0.0.1:4566"; CRL, OCSP and CA certificate URLs written
	// into certificates start with it.
	BaseURL string
	// KeyParallelism is how many CA keys are generated at once.
	KeyParallelism int
	// IdleInterval is the longest sleep of the background loop.
	IdleInterval time.Duration
}

// Service runs the acm-pca operations.
type Service struct {
	store  store.Store
	clock  clock.Clock
	config Config
	logger *slog.Logger

	wake    chan struct{}
	signers signerCache
	// permissionsChanged wakes ACM's worker, because a waiting renewal may now proceed.
	permissionsChanged func()
}

// New returns a Service.
func New(config Config, st store.Store, clk clock.Clock, logger *slog.Logger) *Service {
	if config.KeyParallelism < 1 {
		config.KeyParallelism = 1
	}
	if config.IdleInterval <= 0 {
		config.IdleInterval = 5 * time.Second
	}
	return &Service{
		store:  st,
		clock:  clk,
		config: config,
		logger: logger,
		wake:   make(chan struct{}, 1),

		permissionsChanged: func() {},
	}
}

// OnPermissionsChanged sets the function called after CreatePermission,
// which must not block. It exists because ACM's worker is built after this service.
func (s *Service) OnPermissionsChanged(notify func()) {
	s.permissionsChanged = notify
}

// Wake starts a background pass soon. It never blocks.
func (s *Service) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}
