// Package acm implements the AWS Certificate Manager operations and the
// certificate state machine: requests, validation progress, issuance,
// description, listing, tags and deletion.
//
// It imports nothing of HTTP or SQL: the api package decodes requests and
// renders errors, and a store.Store keeps the records.
package acm

import (
	"context"
	"log/slog"
	"time"

	"github.com/openacm/openacm/internal/clock"
	"github.com/openacm/openacm/internal/issuance"
	"github.com/openacm/openacm/internal/keypool"
	"github.com/openacm/openacm/internal/pca"
	"github.com/openacm/openacm/internal/store"
)

// Caller is the account and region a request was signed for.
type Caller struct {
	Account string
	Region  string
}

// CNAMEChecker looks up DNS validation records.
type CNAMEChecker interface {
	// CheckCNAME reports whether name has a CNAME pointing at want.
	CheckCNAME(ctx context.Context, name, want string) (bool, error)
}

// Observer receives the outcomes of the certificate life, for metrics.
// Its methods must not block.
type Observer interface {
	// NamesValidated is called when the last name of a certificate passes
	// validation, with the time since the request.
	NamesValidated(method string, sinceRequest time.Duration)
	// IssuanceFinished is called after each attempt to sign a certificate.
	IssuanceFinished(certType string, err error, elapsed time.Duration)
	// CertificateFailed is called when a certificate moves to FAILED.
	CertificateFailed(certType, reason string)
	// RenewalFinished is called when a renewal reaches SUCCESS or FAILED,
	// with its RenewalStatusReason and the time since it started on the
	// service's clock.
	RenewalFinished(certType, status, reason string, elapsed time.Duration)
}

type noObserver struct{}

func (noObserver) NamesValidated(string, time.Duration)                  {}
func (noObserver) IssuanceFinished(string, error, time.Duration)         {}
func (noObserver) CertificateFailed(string, string)                      {}
func (noObserver) RenewalFinished(string, string, string, time.Duration) {}

// Config holds the rules and limits the service applies.
type Config struct {
	// MaxDomainsPerCertificate is ACM's quota of names on one certificate.
	MaxDomainsPerCertificate int
	// PublicValidity is the lifetime of certificates from OpenACM's own CA.
	PublicValidity time.Duration
	// ValidationZone is the DNS zone of validation record values, such as "acm-validations.aws.".
	ValidationZone string
	// AutoValidate approves every pending name AutoValidateDelay after the request.
	AutoValidate      bool
	AutoValidateDelay time.Duration
	// RecheckInterval is how long to wait before looking up a DNS record again.
	RecheckInterval time.Duration
	// IssuerURL and CRLURL are written into issued certificates (AIA caIssuers
	// and CRL distribution point); OpenACM serves both.
	IssuerURL string
	CRLURL    string
	// MaxCertificates is the quota of certificates per account and region;
	// 0 means no quota.
	MaxCertificates int
	// RecordKey keys the hash that derives DNS validation records, so the
	// same account and name always get the same record. It also keys the
	// tokens of e-mail approval links.
	RecordKey []byte
	// ApprovalURL is the absolute URL of the e-mail approval page.
	ApprovalURL string
}

// PrivateIssuer is the private CA service that signs PRIVATE certificates.
type PrivateIssuer interface {
	// SignForACM signs a certificate without storing it, or returns one of
	// the pca.Err* errors. The caller stores the returned Record.
	SignForACM(ctx context.Context, req pca.ACMRequest) (*pca.ACMCertificate, error)
	// ACMMayRenew reports whether the CA granted ACM the renewal permissions.
	ACMMayRenew(ctx context.Context, caARN, account string) (bool, error)
}

// KeySource hands out new private keys for certificates. A nil
// *keypool.Pool is one that generates every key when it is taken.
type KeySource interface {
	// Take returns a key of an ACM key algorithm that no other caller got.
	Take(ctx context.Context, algorithm string) (keypool.Key, error)
}

// Service runs the ACM operations.
type Service struct {
	store   store.Store
	clock   clock.Clock
	ca      *issuance.CA
	dns     CNAMEChecker
	config  Config
	logger  *slog.Logger
	wake    func()
	private PrivateIssuer
	revoked func()
	keys    KeySource

	observer Observer
	mailer   Mailer
	redirect RedirectChecker
	caa      CAAChecker
	events   EventSink

	// listAhead reads ListCertificates pages ahead of their requests; nil
	// turns that off.
	listAhead *listReadAhead
}

// Deps are the collaborators a Service needs.
type Deps struct {
	Store  store.Store
	Clock  clock.Clock
	CA     *issuance.CA
	DNS    CNAMEChecker
	Logger *slog.Logger
	// Wake signals the background worker that new work exists. It must not block.
	Wake func()

	// Observer receives outcomes for metrics; nil disables them.
	Observer Observer
	// Mailer, Redirect and CAA are the e-mail, HTTP and CAA checks of real
	// validation; a nil one leaves names of that method pending (Mailer,
	// Redirect) or skips the check (CAA).
	Mailer   Mailer
	Redirect RedirectChecker
	CAA      CAAChecker
	// Events receives certificate events; nil drops them.
	Events EventSink
	// Private signs PRIVATE certificates; nil fails each one with
	// PCA_RESOURCE_NOT_FOUND.
	Private PrivateIssuer
	// Revoked is called after a public certificate is revoked, so the
	// issuing CA's CRL is signed afresh; nil does nothing.
	Revoked func()
	// Keys hands out the keys of issued certificates; nil generates each
	// key when the certificate is signed.
	Keys KeySource
}

// New returns a Service. deps.DNS may be nil when config.AutoValidate is set.
func New(config Config, deps Deps) *Service {
	wake := deps.Wake
	if wake == nil {
		wake = func() {}
	}
	revoked := deps.Revoked
	if revoked == nil {
		revoked = func() {}
	}
	var keySource KeySource = (*keypool.Pool)(nil)
	if deps.Keys != nil {
		keySource = deps.Keys
	}
	var observer Observer = noObserver{}
	if deps.Observer != nil {
		observer = deps.Observer
	}
	return &Service{
		store:   deps.Store,
		clock:   deps.Clock,
		ca:      deps.CA,
		dns:     deps.DNS,
		config:  config,
		logger:  deps.Logger,
		wake:    wake,
		private: deps.Private,
		revoked: revoked,
		keys:    keySource,

		listAhead: newListReadAhead(),

		observer: observer,
		mailer:   deps.Mailer,
		redirect: deps.Redirect,
		caa:      deps.CAA,
		events:   deps.Events,
	}
}

// SetWake sets the function that wakes the background worker. It exists
// because the worker is built after the service it drives.
func (s *Service) SetWake(wake func()) {
	s.wake = wake
}
