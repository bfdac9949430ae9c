package api

import (
	"context"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/openacm/openacm/internal/acm"
	"github.com/openacm/openacm/internal/apierr"
	"github.com/openacm/openacm/internal/awsjson"
)

// Paths of the test-environment state controls. Both take POST, signed
// with SigV4 for the acm service like an ACM call.
const (
	ResetPath            = "/_openacm/reset"
	CertificateStatePath = "/_openacm/certificate-state"
)

// controlsService is the metrics service label of the state controls.
const controlsService = "openacm"

// StateControls are the calls that let tests wipe state and move
// certificates to a status. They are for test environments only.
type StateControls struct {
	// Enabled turns the controls on; when false every call fails with
	// DisabledReason.
	Enabled        bool
	DisabledReason string
	// Reset deletes every certificate of every account.
	Reset func(ctx context.Context) error
	// Service runs SetCertificateState.
	Service *acm.Service
}

// WithStateControls serves the state controls.
func WithStateControls(controls StateControls) Option {
	return func(s *Server) { s.controls = &controls }
}

// serveReset handles POST /_openacm/reset.
func (s *Server) serveReset(w http.ResponseWriter, r *http.Request) {
	s.serveControl(w, r, "Reset", func(ctx context.Context, _ acm.Caller, _ []byte, _ *requestEvent) (any, error) {
		if err := s.controls.Reset(ctx); err != nil {
			return nil, err
		}
		return &acm.Empty{}, nil
	})
}

// serveCertificateState handles POST /_openacm/certificate-state.
func (s *Server) serveCertificateState(w http.ResponseWriter, r *http.Request) {
	s.serveControl(w, r, "SetCertificateState", func(ctx context.Context, caller acm.Caller, body []byte, event *requestEvent) (any, error) {
		in := new(acm.SetCertificateStateInput)
		if err := awsjson.Decode(body, in); err != nil {
			return nil, err
		}
		event.arn = in.CertificateArn
		return s.controls.Service.SetCertificateState(ctx, caller, in)
	})
}

// serveControl authenticates a control call like an ACM call, refuses it
// when the controls are off, runs it and logs one request event.
func (s *Server) serveControl(w http.ResponseWriter, r *http.Request, name string, run operation) {
	started := time.Now()
	requestID := uuid.NewString()
	w.Header().Set("x-amzn-RequestId", requestID)
	event := requestEvent{id: requestID, target: r.URL.Path, operation: name}

	result, err := s.runControl(r, run, &event)
	if err != nil {
		s.writeError(w, err, &event)
	} else if err := awsjson.WriteResult(w, result); err != nil {
		s.logger.Error("write response failed", "request_id", requestID, "error", err)
	}

	latency := time.Since(started)
	event.log(s.logger, latency)
	if s.metrics != nil {
		s.metrics.ObserveRequest(controlsService, name, event.errorCode, latency)
	}
}

func (s *Server) runControl(r *http.Request, run operation, event *requestEvent) (any, error) {
	body, err := readBody(r)
	if err != nil {
		return nil, err
	}
	identity, err := s.verifier.Verify(r, body, "acm")
	if err != nil {
		return nil, err
	}
	event.account = identity.Credential.Account
	event.accessKey = identity.Credential.AccessKeyID

	if s.controls == nil || !s.controls.Enabled {
		return nil, controlsDisabled(s.controls)
	}
	caller := acm.Caller{Account: identity.Credential.Account, Region: identity.Region}
	return run(r.Context(), caller, body, event)
}

// controlsDisabled is the error of a control call on a server that has the controls off.
func controlsDisabled(controls *StateControls) error {
	reason := "the server was started without them"
	if controls != nil && controls.DisabledReason != "" {
		reason = controls.DisabledReason
	}
	return &apierr.Error{
		Code:    apierr.AccessDenied,
		Message: "State controls are disabled: " + reason + ".",
		Status:  http.StatusForbidden,
	}
}
