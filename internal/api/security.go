package api

import (
	"context"
	"time"

	"github.com/openacm/openacm/internal/acm"
	"github.com/openacm/openacm/internal/apierr"
	"github.com/openacm/openacm/internal/audit"
	"github.com/openacm/openacm/internal/throttle"
)

// Option changes a Server built by New.
type Option func(*Server)

// WithThrottle limits requests per account and operation with limiter.
// now is the clock the token buckets run on.
func WithThrottle(limiter *throttle.Limiter, now func() time.Time) Option {
	return func(s *Server) {
		s.throttle = limiter
		s.now = now
	}
}

// auditedOperations maps the operations that go into the audit trail, by
// operation name in either service, to their audit action. Issuance by
// OpenACM's own CA is recorded where it happens, in the acm package.
var auditedOperations = map[string]string{
	"RequestCertificate":                    audit.ActionIssue,
	"ImportCertificate":                     audit.ActionIssue,
	"RenewCertificate":                      audit.ActionIssue,
	"IssueCertificate":                      audit.ActionIssue,
	"ExportCertificate":                     audit.ActionExport,
	"RevokeCertificate":                     audit.ActionRevoke,
	"DeleteCertificate":                     audit.ActionDelete,
	"CreateCertificateAuthority":            audit.ActionCAStateChange,
	"UpdateCertificateAuthority":            audit.ActionCAStateChange,
	"DeleteCertificateAuthority":            audit.ActionCAStateChange,
	"RestoreCertificateAuthority":           audit.ActionCAStateChange,
	"ImportCertificateAuthorityCertificate": audit.ActionCAStateChange,
}

// checkThrottle rejects a request over its account's rate for target.
func (s *Server) checkThrottle(account, target string) error {
	if s.throttle == nil {
		return nil
	}
	if s.throttle.Allow(account, target, s.now()) {
		return nil
	}
	return apierr.New(apierr.Throttling, "Rate exceeded")
}

// auditRequest writes the audit record of a finished request when its
// operation is audited or it failed to authenticate.
func (s *Server) auditRequest(ctx context.Context, event *requestEvent, result any) {
	action, audited := auditedOperations[event.operation]
	if event.authFailed {
		action, audited = audit.ActionAuthentication, true
	}
	if !audited {
		return
	}

	record := audit.Event{
		Account:     event.account,
		AccessKeyID: event.accessKey,
		Action:      action,
		ARN:         event.arn,
		Result:      audit.ResultSuccess,
		ErrorCode:   event.errorCode,
		Detail:      event.target,
		RequestID:   event.id,
	}
	if out, ok := result.(*acm.RequestCertificateOutput); ok && out != nil && record.ARN == "" {
		record.ARN = out.CertificateArn
	}
	if event.errorCode != "" {
		record.Result = audit.ResultFailure
	}
	audit.Record(ctx, s.logger, record)
}
