// Package integration starts the real OpenACM server on a loopback port and
// drives it over HTTP with aws-sdk-go-v2, the client most Go users have.
package integration

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/smithy-go"

	"github.com/openacm/openacm/internal/app"
	"github.com/openacm/openacm/internal/clock"
	"github.com/openacm/openacm/internal/config"
)

// server is one running OpenACM for a test.
type server struct {
	t       *testing.T
	app     *app.App
	config  config.Config
	dataDir string
	// options are the app test hooks; start fills in the listener.
	options app.Options
	// clock replaces the system clock when set.
	clock clock.Clock
}

// startServer starts OpenACM on 127.0.0.1 with a fresh data dir and auto
// validation after 200 ms; edit changes the configuration first.
func startServer(t *testing.T, edit ...func(*config.Config)) *server {
	t.Helper()
	return startServerWith(t, app.Options{}, edit...)
}

// startServerWith is startServer with app test hooks, such as a fake clock.
func startServerWith(t *testing.T, options app.Options, edit ...func(*config.Config)) *server {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.AutoValidateDelay = 200 * time.Millisecond
	cfg.DNSRecheckInterval = 100 * time.Millisecond
	for _, e := range edit {
		e(&cfg)
	}
	s := &server{t: t, config: cfg, dataDir: cfg.DataDir, options: options}
	s.start()
	t.Cleanup(s.stop)
	return s
}

func (s *server) start() {
	s.t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		s.t.Fatalf("listen: %v", err)
	}
	s.config.Listen = listener.Addr().String()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		logger = slog.New(slog.NewTextHandler(testWriter{s.t}, nil))
	}
	options := s.options
	options.Listener = listener
	if s.clock != nil {
		options.Clock = s.clock
	}
	running, err := app.Start(context.Background(), s.config, logger, options)
	if err != nil {
		s.t.Fatalf("start server: %v", err)
	}
	s.app = running
}

func (s *server) stop() {
	if s.app == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.app.Close(ctx); err != nil {
		s.t.Errorf("stop server: %v", err)
	}
	s.app = nil
}

// restart stops the server and starts it again on the same data dir.
func (s *server) restart() {
	s.t.Helper()
	s.stop()
	s.start()
}

func (s *server) url() string { return s.app.URL() }

// client returns an ACM client for the built-in test credential in region.
func (s *server) client(region string) *acm.Client {
	return acm.New(acm.Options{
		Region:       region,
		BaseEndpoint: aws.String(s.url()),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		Retryer:      aws.NopRetryer{},
		HTTPClient:   &http.Client{Timeout: 30 * time.Second},
	})
}

// testWriter sends server logs to the test log in verbose runs.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}

// apiError returns the code and message of an AWS error returned by the SDK.
func apiError(t *testing.T, err error) (code, message string) {
	t.Helper()
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("want an AWS API error, got %v", err)
	}
	return apiErr.ErrorCode(), apiErr.ErrorMessage()
}

// waitForStatus polls DescribeCertificate until the certificate has status
// or the deadline passes.
func waitForStatus(t *testing.T, client *acm.Client, arn, status string) *acm.DescribeCertificateOutput {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, err := client.DescribeCertificate(context.Background(), &acm.DescribeCertificateInput{CertificateArn: aws.String(arn)})
		if err != nil {
			t.Fatalf("describe %s: %v", arn, err)
		}
		if string(out.Certificate.Status) == status {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("certificate %s is %s after 30 s, want %s", arn, out.Certificate.Status, status)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
