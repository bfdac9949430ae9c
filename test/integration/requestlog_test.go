package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"

	"github.com/openacm/openacm/internal/app"
	"github.com/openacm/openacm/internal/config"
)

// lockedBuffer is a bytes.Buffer safe for the server's concurrent log writes.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) lines() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Split(strings.TrimSpace(b.buf.String()), "\n")
}

func TestRequestEventJSON(t *testing.T) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Listen = listener.Addr().String()
	logs := &lockedBuffer{}
	running, err := app.Start(context.Background(), cfg, slog.New(slog.NewJSONHandler(logs, nil)), app.Options{Listener: listener})
	if err != nil {
		t.Fatalf("start server: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = running.Close(ctx)
	})
	s := &server{t: t, app: running, config: cfg}
	client := s.client("us-west-2")

	out, err := client.RequestCertificate(context.Background(), &acm.RequestCertificateInput{DomainName: aws.String("log.example.com")})
	if err != nil {
		t.Fatalf("request: %v", err)
	}
	missing := "arn:aws:acm:us-west-2:000000000000:certificate/00000000-0000-4000-8000-000000000000"
	_, _ = client.DescribeCertificate(context.Background(), &acm.DescribeCertificateInput{CertificateArn: aws.String(missing)})

	events := map[string]map[string]any{}
	for _, line := range logs.lines() {
		var event map[string]any
		if err := json.Unmarshal([]byte(line), &event); err != nil {
			t.Fatalf("log line %q is not JSON: %v", line, err)
		}
		if event["msg"] == "request" {
			events[event["operation"].(string)] = event
		}
	}

	request := events["RequestCertificate"]
	if request == nil {
		t.Fatalf("no request event for RequestCertificate in %v", logs.lines())
	}
	want := map[string]any{"account": "000000000000", "arn": aws.ToString(out.CertificateArn), "status": float64(200)}
	for key, value := range want {
		if request[key] != value {
			t.Errorf("RequestCertificate event %s = %v, want %v", key, request[key], value)
		}
	}
	for _, key := range []string{"request_id", "latency_ms", "time", "level"} {
		if _, ok := request[key]; !ok {
			t.Errorf("RequestCertificate event has no %s: %v", key, request)
		}
	}

	describe := events["DescribeCertificate"]
	if describe == nil {
		t.Fatalf("no request event for DescribeCertificate")
	}
	if describe["error_code"] != "ResourceNotFoundException" || describe["status"] != float64(400) || describe["arn"] != missing {
		t.Errorf("DescribeCertificate event = %v, want error_code ResourceNotFoundException, status 400, arn %s", describe, missing)
	}
}
