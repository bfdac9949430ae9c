package api

import (
	"log/slog"
	"net/http"
	"time"
)

// requestEvent collects what one API request did, logged once at its end.
type requestEvent struct {
	id        string
	target    string
	operation string
	account   string
	accessKey string
	arn       string
	status    int
	errorCode string
	cause     error
	// authFailed marks a request whose signature check failed.
	authFailed bool
}

func (e *requestEvent) log(logger *slog.Logger, latency time.Duration) {
	status := e.status
	if status == 0 {
		status = http.StatusOK
	}
	attrs := []any{
		"request_id", e.id,
		"operation", e.operation,
		"account", e.account,
		"access_key_id", e.accessKey,
		"status", status,
		"latency_ms", float64(latency.Microseconds()) / 1000,
	}
	if e.arn != "" {
		attrs = append(attrs, "arn", e.arn)
	}
	if e.errorCode != "" {
		attrs = append(attrs, "error_code", e.errorCode)
	}
	if e.cause != nil {
		logger.Error("request failed with a server fault", append(attrs, "error", e.cause)...)
		return
	}
	logger.Info("request", attrs...)
}
