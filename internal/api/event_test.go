package api

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"
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
