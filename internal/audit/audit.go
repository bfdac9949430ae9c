// Package audit writes the audit trail: one structured log record for every
// security-relevant event (issuance, export, revocation, deletion, a CA
// state change, a failed authentication). Each record has the message
// "audit" and an "audit" group of attributes, so a log pipeline can route
// the trail apart from other records.
//
// Records name who acted, what they did, on which ARN, and with what result.
// They never carry a secret, a private key or a signature: Event has no
// field for one.
package audit

import (
	"context"
	"log/slog"
)

// Actions recorded in the trail.
const (
	ActionIssue          = "issue"
	ActionExport         = "export"
	ActionRevoke         = "revoke"
	ActionDelete         = "delete"
	ActionCAStateChange  = "ca_state_change"
	ActionAuthentication = "authenticate"
)

// Results of an audited action.
const (
	ResultSuccess = "success"
	ResultFailure = "failure"
)

// Message is the log message of every audit record.
const Message = "audit"

// Event is one audited action.
type Event struct {
	// Account and AccessKeyID identify who acted; both are empty for the
	// server's own actions and for requests that failed to authenticate
	// before an access key was read.
	Account     string
	AccessKeyID string
	Action      string
	ARN         string
	Result      string
	// ErrorCode is the AWS error code of a failed action.
	ErrorCode string
	// Detail is a short non-secret description, such as a serial number.
	Detail string
	// RequestID links the record to the request log event, when there is one.
	RequestID string
}

// Record writes e to logger at level Info.
func Record(ctx context.Context, logger *slog.Logger, e Event) {
	if logger == nil {
		return
	}
	attrs := []any{
		slog.String("action", e.Action),
		slog.String("result", e.Result),
		slog.String("account", e.Account),
		slog.String("access_key_id", e.AccessKeyID),
	}
	optional := []struct{ key, value string }{
		{"arn", e.ARN},
		{"error_code", e.ErrorCode},
		{"detail", e.Detail},
		{"request_id", e.RequestID},
	}
	for _, attr := range optional {
		if attr.value != "" {
			attrs = append(attrs, slog.String(attr.key, attr.value))
		}
	}
	logger.LogAttrs(ctx, slog.LevelInfo, Message, slog.Group("audit", attrs...))
}
