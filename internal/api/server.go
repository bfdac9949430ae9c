// Package api is OpenACM's HTTP entry point: it assigns request ids,
// verifies SigV4, routes X-Amz-Target to an operation, checks input against
// the service model, and writes one log event per request. It also serves
// the health endpoints and the issuing CA's certificates and CRL, which
// need no signature.
package api

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/openacm/openacm/internal/acm"
	"github.com/openacm/openacm/internal/apierr"
	"github.com/openacm/openacm/internal/awsjson"
	"github.com/openacm/openacm/internal/metrics"
	"github.com/openacm/openacm/internal/model"
	"github.com/openacm/openacm/internal/pca"
	"github.com/openacm/openacm/internal/sigv4"
	"github.com/openacm/openacm/internal/throttle"
)

// MaxBodyBytes bounds a request body; ACM's largest inputs (imported
// certificate chains) are far smaller.
const MaxBodyBytes = 4 << 20

// Target prefixes of the services OpenACM serves over AWS JSON 1.1.
// adminTargetPrefix is OpenACM's own: operations that AWS performs
// inside its services, such as attaching a certificate to a load balancer.
const (
	acmTargetPrefix   = "CertificateManager."
	pcaTargetPrefix   = "ACMPrivateCA."
	adminTargetPrefix = "OpenACMAdmin."
)

// PKI serves the issuing CA's public material.
type PKI interface {
	// RootDER and IntermediateDER return the CA certificates in DER.
	RootDER() []byte
	IntermediateDER() []byte
	// CRL returns the current DER CRL of the issuing CA.
	CRL(ctx context.Context) ([]byte, error)
	// OCSP returns the DER response to a DER OCSP request about a certificate of the issuing CA.
	OCSP(ctx context.Context, request []byte) ([]byte, error)
}

// Server is the HTTP front end.
type Server struct {
	service         *acm.Service
	operations      map[string]operation
	adminOperations map[string]operation
	verifier        *sigv4.Verifier
	pki             PKI
	ready           func() bool
	logger          *slog.Logger
	model           *model.Service

	// pca serves acm-pca; nil leaves every ACMPrivateCA operation unknown.
	pca           *pca.Service
	pcaOperations map[string]operation
	pcaModel      *model.Service

	metrics  *metrics.Metrics
	controls *StateControls
	throttle *throttle.Limiter
	now      func() time.Time
}

// WithMetrics counts requests in m and serves m at MetricsPath.
func WithMetrics(m *metrics.Metrics) Option {
	return func(s *Server) { s.metrics = m }
}

// New returns a Server for the ACM service. ready reports whether the
// store is open and the worker runs.
func New(service *acm.Service, verifier *sigv4.Verifier, pki PKI, ready func() bool, logger *slog.Logger, options ...Option) *Server {
	s := &Server{
		service:         service,
		operations:      acmOperations(service),
		adminOperations: adminOperations(service),
		verifier:        verifier,
		pki:             pki,
		ready:           ready,
		logger:          logger,
		model:           model.ACM(),
		now:             time.Now,
	}
	for _, option := range options {
		option(s)
	}
	return s
}

// Handler returns the HTTP handler of every path OpenACM serves.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.serveHealth)
	mux.HandleFunc("GET /readyz", s.serveReady)
	mux.HandleFunc("GET "+RootCertificatePath, s.serveRoot)
	mux.HandleFunc("GET "+RootCertificatePEMPath, s.serveRootPEM)
	mux.HandleFunc("GET "+IntermediateCertificatePath, s.serveIntermediate)
	mux.HandleFunc("GET "+CRLPath, s.serveCRL)
	mux.HandleFunc("GET "+ApprovalPath, s.serveApprovalPage)
	mux.HandleFunc("POST "+ApprovalPath, s.approveFromForm)
	mux.HandleFunc("POST /{$}", s.serveAWS)
	mux.HandleFunc("POST "+ResetPath, s.serveReset)
	mux.HandleFunc("POST "+CertificateStatePath, s.serveCertificateState)
	if s.metrics != nil {
		mux.Handle("GET "+MetricsPath, s.metrics.Handler())
	}
	s.handlePCA(mux)
	return mux
}

// serveAWS handles one AWS JSON 1.1 call: read, authenticate, route,
// check, act, render.
func (s *Server) serveAWS(w http.ResponseWriter, r *http.Request) {
	started := time.Now()
	requestID := uuid.NewString()
	w.Header().Set("x-amzn-RequestId", requestID)

	target := r.Header.Get("X-Amz-Target")
	event := requestEvent{id: requestID, target: target}
	result, err := s.call(r, target, &event)
	if err != nil && abandoned(r, err) {
		// The client closed the connection, so the reply goes nowhere.
		// Without this, the context error of its last store call showed
		// as a server fault.
		event.abandoned, event.cause = true, err
		event.errorCode, event.status = errorCodeClientClosedRequest, statusClientClosedRequest
	} else if err != nil {
		s.writeError(w, err, &event)
	} else if err := awsjson.WriteResult(w, result); err != nil {
		s.logger.Error("write response failed", "request_id", requestID, "error", err)
	}
	latency := time.Since(started)
	event.log(s.logger, latency)
	if s.metrics != nil {
		service, operation := requestLabels(target)
		s.metrics.ObserveRequest(service, operation, event.errorCode, latency)
	}
	s.auditRequest(r.Context(), &event, result)
}

// abandoned reports whether err is the cancellation of r's context by its
// client going away, and not an AWS error.
func abandoned(r *http.Request, err error) bool {
	if _, isAWS := apierr.As(err); isAWS {
		return false
	}
	return r.Context().Err() != nil && errors.Is(err, context.Canceled)
}

// call runs the steps of serveAWS that can fail with an AWS error.
func (s *Server) call(r *http.Request, target string, event *requestEvent) (any, error) {
	body, err := readBody(r)
	if err != nil {
		return nil, err
	}

	service, operationName := splitTarget(target)
	event.operation = operationName
	identity, err := s.verifier.Verify(r, body, signingName(service))
	if err != nil {
		event.authFailed = true
		event.accessKey = sigv4.ClaimedAccessKeyID(r)
		return nil, err
	}
	event.account = identity.Credential.Account
	event.accessKey = identity.Credential.AccessKeyID

	if target == "" {
		return nil, apierr.New(apierr.UnknownOperation,
			"The request has no X-Amz-Target header; set it to CertificateManager.<Operation>.")
	}
	op, checker, ok := s.route(service, operationName)
	if !ok {
		return nil, apierr.New(apierr.UnknownOperation, "The operation %s is not supported by this server.", target)
	}
	if err := s.checkThrottle(identity.Credential.Account, target); err != nil {
		return nil, err
	}
	// Admin operations are in no service model; they check their own input.
	if checker != nil {
		if err := checker.CheckInput(operationName, body); err != nil {
			return nil, err
		}
	}

	caller := acm.Caller{Account: identity.Credential.Account, Region: identity.Region}
	return op(r.Context(), caller, body, event)
}

// route returns the operation and input checker of a target prefix and
// operation name.
func (s *Server) route(service, operationName string) (operation, *model.Service, bool) {
	switch service {
	case acmTargetPrefix:
		op, ok := s.operations[operationName]
		return op, s.model, ok
	case pcaTargetPrefix:
		op, ok := s.pcaOperations[operationName]
		return op, s.pcaModel, ok
	case adminTargetPrefix:
		op, ok := s.adminOperations[operationName]
		return op, nil, ok
	}
	return nil, nil, false
}

// readBody reads the whole body, refusing one over MaxBodyBytes before
// reading it all.
func readBody(r *http.Request) ([]byte, error) {
	if r.ContentLength > MaxBodyBytes {
		return nil, bodyTooLarge()
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	if err != nil {
		return nil, apierr.New(apierr.Serialization, "The request body could not be read.")
	}
	if len(body) > MaxBodyBytes {
		return nil, bodyTooLarge()
	}
	return body, nil
}

func bodyTooLarge() error {
	return &apierr.Error{
		Code:    "RequestEntityTooLargeException",
		Message: "The request body is larger than the maximum of 4 MiB.",
		Status:  http.StatusRequestEntityTooLarge,
	}
}

// splitTarget splits "CertificateManager.RequestCertificate" into the
// service prefix (with its dot) and the operation name.
func splitTarget(target string) (service, operation string) {
	dot := strings.LastIndex(target, ".")
	if dot < 0 {
		return "", target
	}
	return target[:dot+1], target[dot+1:]
}

// signingName is the SigV4 service name a target prefix must be signed for.
func signingName(service string) string {
	if service == pcaTargetPrefix {
		return "acm-pca"
	}
	return "acm"
}

// writeError renders err. Anything that is not an *apierr.Error is a server
// fault: the client sees InternalFailure and the log keeps the cause.
func (s *Server) writeError(w http.ResponseWriter, err error, event *requestEvent) {
	apiErr, ok := apierr.As(err)
	if !ok {
		event.cause = err
		apiErr = apierr.Internal()
	}
	event.errorCode = apiErr.Code
	event.status = apiErr.Status
	awsjson.WriteError(w, apiErr)
}

func (s *Server) serveHealth(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, "ok\n")
}

func (s *Server) serveReady(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if !s.ready() {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, "not ready\n")
		return
	}
	_, _ = io.WriteString(w, "ready\n")
}
