package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/openacm/openacm/internal/apierr"
)

// BenchmarkRequestEventLog measures the per-request log line.
func BenchmarkRequestEventLog(b *testing.B) {
	logger := slog.New(slog.NewJSONHandler(io.Discard, nil))
	event := &requestEvent{
		id: "5f1c9a7e-0000-4000-8000-000000000000", operation: "DescribeCertificate",
		account: "000000000000", accessKey: "test",
		arn: "arn:aws:acm:us-east-1:000000000000:certificate/5f1c9a7e-0000-4000-8000-000000000000",
	}
	b.ReportAllocs()
	for b.Loop() {
		event.log(logger, 640*time.Microsecond)
	}
}

// TestRequestEventLogFields checks the fields of the request log line.
func TestRequestEventLogFields(t *testing.T) {
	var out recordingHandler
	event := &requestEvent{id: "id-1", operation: "DescribeCertificate", account: "000000000000", accessKey: "test", arn: "arn:x", errorCode: "ResourceNotFoundException", status: 400}
	event.log(slog.New(&out), 1500*time.Microsecond)

	want := map[string]string{
		"request_id": "id-1", "operation": "DescribeCertificate", "account": "000000000000",
		"access_key_id": "test", "status": "400", "latency_ms": "1.5", "arn": "arn:x", "error_code": "ResourceNotFoundException",
	}
	if out.message != "request" || out.level != slog.LevelInfo {
		t.Errorf("logged %s %q, want INFO \"request\"", out.level, out.message)
	}
	for key, value := range want {
		if out.attrs[key] != value {
			t.Errorf("attribute %s = %q, want %q", key, out.attrs[key], value)
		}
	}

	event.cause = errors.New("disk full")
	event.log(slog.New(&out), time.Millisecond)
	if out.level != slog.LevelError {
		t.Errorf("server fault logged at %s, want ERROR", out.level)
	}
	if out.attrs["error"] != "disk full" {
		t.Errorf("server fault logged with error %q, want \"disk full\"", out.attrs["error"])
	}
}

// recordingHandler keeps the last record it handled, attributes as text.
type recordingHandler struct {
	level   slog.Level
	message string
	attrs   map[string]string
}

func (h *recordingHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *recordingHandler) Handle(_ context.Context, record slog.Record) error {
	h.level, h.message, h.attrs = record.Level, record.Message, map[string]string{}
	record.Attrs(func(attr slog.Attr) bool {
		h.attrs[attr.Key] = attr.Value.String()
		return true
	})
	return nil
}

func (h *recordingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *recordingHandler) WithGroup(string) slog.Handler      { return h }

// TestAbandonedRequestLogsNoServerFault checks that a request whose client
// went away is logged at INFO with status 499, not as a server fault.
func TestAbandonedRequestLogsNoServerFault(t *testing.T) {
	var out recordingHandler
	event := &requestEvent{id: "id-2", operation: "RequestCertificate", abandoned: true, cause: context.Canceled,
		errorCode: errorCodeClientClosedRequest, status: statusClientClosedRequest}
	event.log(slog.New(&out), time.Millisecond)

	if out.level != slog.LevelInfo || out.message != "request abandoned by its client" {
		t.Errorf("logged %s %q, want INFO \"request abandoned by its client\"", out.level, out.message)
	}
	if out.attrs["status"] != "499" {
		t.Errorf("status = %q, want 499", out.attrs["status"])
	}
}

func TestAbandoned(t *testing.T) {
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	closedRequest := httptest.NewRequestWithContext(canceled, "POST", "/", nil)
	openRequest := httptest.NewRequest("POST", "/", nil)
	storeErr := fmt.Errorf("create certificate: %w", context.Canceled)

	cases := []struct {
		name    string
		request *http.Request
		err     error
		want    bool
	}{
		{"client gone, context error", closedRequest, storeErr, true},
		{"client gone, AWS error", closedRequest, apierr.New(apierr.Validation, "bad"), false},
		{"client gone, other error", closedRequest, errors.New("disk full"), false},
		{"client connected, context error", openRequest, storeErr, false},
	}
	for _, tc := range cases {
		if got := abandoned(tc.request, tc.err); got != tc.want {
			t.Errorf("%s: abandoned = %v, want %v", tc.name, got, tc.want)
		}
	}
}
