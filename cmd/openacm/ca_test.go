package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openacm/openacm/internal/app"
	"github.com/openacm/openacm/internal/config"
)

// startAndStop runs a server once on a new data dir, so it creates its CA,
// and returns the data dir and the root PEM the server served.
func startAndStop(t *testing.T) (dataDir string, rootPEM []byte) {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Listen = listener.Addr().String()
	running, err := app.Start(context.Background(), cfg, slog.New(slog.DiscardHandler), app.Options{Listener: listener})
	if err != nil {
		t.Fatalf("start server: %v", err)
	}

	response, err := http.Get(running.URL() + "/ca/root.pem")
	if err != nil {
		t.Fatalf("GET root: %v", err)
	}
	rootPEM, err = io.ReadAll(response.Body)
	response.Body.Close()
	if err != nil {
		t.Fatalf("read root: %v", err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := running.Close(ctx); err != nil {
		t.Fatalf("stop server: %v", err)
	}
	return cfg.DataDir, rootPEM
}

func runCommand(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestCARoot(t *testing.T) {
	dataDir, served := startAndStop(t)

	code, stdout, stderr := runCommand("ca", "root", "--data-dir", dataDir)
	if code != 0 {
		t.Fatalf("ca root: exit %d, stderr %s", code, stderr)
	}
	if stdout != string(served) {
		t.Errorf("ca root printed\n%s\nwant the root the server serves\n%s", stdout, served)
	}

	out := filepath.Join(t.TempDir(), "root.der")
	if code, _, stderr := runCommand("ca", "root", "--data-dir", dataDir, "--der", "--out", out); code != 0 {
		t.Fatalf("ca root --der --out: exit %d, stderr %s", code, stderr)
	}
	der, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("read %s: %v", out, err)
	}
	block, _ := pem.Decode(served)
	if !bytes.Equal(der, block.Bytes) {
		t.Errorf("ca root --der wrote %d bytes that differ from the served root", len(der))
	}
}

func TestCAChainAndShow(t *testing.T) {
	dataDir, served := startAndStop(t)
	rootBlock, _ := pem.Decode(served)

	code, stdout, stderr := runCommand("ca", "chain", "--data-dir", dataDir)
	if code != 0 {
		t.Fatalf("ca chain: exit %d, stderr %s", code, stderr)
	}
	var chain []*x509.Certificate
	rest := []byte(stdout)
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			t.Fatalf("parse chain certificate: %v", err)
		}
		chain = append(chain, cert)
	}
	if len(chain) != 2 {
		t.Fatalf("ca chain printed %d certificates, want 2", len(chain))
	}
	if !bytes.Equal(chain[1].Raw, rootBlock.Bytes) {
		t.Errorf("ca chain: last certificate is not the root")
	}
	if err := chain[0].CheckSignatureFrom(chain[1]); err != nil {
		t.Errorf("ca chain: intermediate not signed by the root: %v", err)
	}

	code, stdout, stderr = runCommand("ca", "show", "--data-dir", dataDir)
	if code != 0 {
		t.Fatalf("ca show: exit %d, stderr %s", code, stderr)
	}
	rootSum := sha256.Sum256(rootBlock.Bytes)
	if want := "SHA-256:     " + colonHex(rootSum[:]); !strings.Contains(stdout, want) {
		t.Errorf("ca show output lacks the root fingerprint %q:\n%s", want, stdout)
	}
	if !strings.Contains(stdout, "intermediate\n") || !strings.Contains(stdout, "root\n") {
		t.Errorf("ca show output lacks a section:\n%s", stdout)
	}
}

func TestCAErrors(t *testing.T) {
	cases := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"missing data dir", []string{"ca", "root", "--data-dir", filepath.Join(t.TempDir(), "none")}, 1, "no OpenACM database"},
		{"unknown command", []string{"ca", "export"}, 2, `unknown command "export"`},
		{"stray argument", []string{"ca", "root", "extra"}, 2, `unexpected argument "extra"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCommand(tc.args...)
			if code != tc.wantCode {
				t.Errorf("exit %d, want %d", code, tc.wantCode)
			}
			if !strings.Contains(stderr, tc.wantErr) {
				t.Errorf("stderr %q lacks %q", stderr, tc.wantErr)
			}
		})
	}
}

func TestHelpListsEveryFlag(t *testing.T) {
	_, help, _ := runCommand("help")
	// serve -h prints to standard error, as the flag package does.
	code, _, serveHelp := runCommand("serve", "-h")
	if code != 0 {
		t.Fatalf("serve -h: exit %d", code)
	}
	defaults := config.Default()
	for _, f := range defaults.Flags() {
		for name, text := range map[string]string{"help": help, "serve -h": serveHelp} {
			if !strings.Contains(text, "--"+f.Name+"\n") || !strings.Contains(text, "value: "+f.Unit+"; default: ") {
				t.Errorf("%s lacks --%s with its value and default", name, f.Name)
			}
		}
	}
}

func TestReady(t *testing.T) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Listen = listener.Addr().String()
	running, err := app.Start(context.Background(), cfg, slog.New(slog.DiscardHandler), app.Options{Listener: listener})
	if err != nil {
		t.Fatalf("start server: %v", err)
	}

	if code, _, stderr := runCommand("ready", "--url", running.URL()+"/readyz"); code != 0 {
		t.Errorf("ready on a running server: exit %d, stderr %s", code, stderr)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := running.Close(ctx); err != nil {
		t.Fatalf("stop server: %v", err)
	}
	if code, _, _ := runCommand("ready", "--url", running.URL()+"/readyz"); code != 1 {
		t.Errorf("ready on a stopped server: exit %d, want 1", code)
	}
}
