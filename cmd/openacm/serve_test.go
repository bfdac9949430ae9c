package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/smithy-go"
)

// syncBuffer is a bytes.Buffer that the server goroutine and the test can share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func credentialsJSON(accessKey, secret string) []byte {
	return []byte(`{"credentials": [{"access_key_id": "` + accessKey + `", "secret_access_key": "` + secret + `", "account_id": "111122223333"}]}`)
}

// listWith calls ListCertificates with a key and returns the AWS error code, or "".
func listWith(t *testing.T, url, accessKey, secret string) string {
	t.Helper()
	client := acm.New(acm.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider(accessKey, secret, ""),
		Retryer:      aws.NopRetryer{},
	})
	_, err := client.ListCertificates(context.Background(), &acm.ListCertificatesInput{})
	if err == nil {
		return ""
	}
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("ListCertificates: %v", err)
	}
	return apiErr.ErrorCode()
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestServeReloadsCredentialsOnSIGHUP runs `openacm serve` in this
// process, rewrites its credentials file and sends the process a real
// SIGHUP: the removed key must stop working and the new one start. A
// SIGTERM then stops the server.
func TestServeReloadsCredentialsOnSIGHUP(t *testing.T) {
	dir := t.TempDir()
	credentialsFile := filepath.Join(dir, "credentials.json")
	if err := os.WriteFile(credentialsFile, credentialsJSON("AKIAOPENACMBEFORE001", "before-secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	address := listener.Addr().String()
	listener.Close()
	url := "http://" + address

	var logs syncBuffer
	exit := make(chan int, 1)
	go func() {
		exit <- run([]string{"serve", "--listen", address, "--data-dir", filepath.Join(dir, "data"),
			"--credentials-file", credentialsFile}, io.Discard, &logs)
	}()
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			_ = syscall.Kill(os.Getpid(), syscall.SIGTERM)
			<-exit
		}
	})

	waitFor(t, "the server is ready", func() bool {
		resp, err := http.Get(url + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	if code := listWith(t, url, "AKIAOPENACMBEFORE001", "before-secret"); code != "" {
		t.Fatalf("the key in the file at start: %s", code)
	}
	if code := listWith(t, url, "AKIAOPENACMAFTER0002", "after-secret"); code != "UnrecognizedClientException" {
		t.Fatalf("a key not yet in the file: code %q, want UnrecognizedClientException", code)
	}

	if err := os.WriteFile(credentialsFile, credentialsJSON("AKIAOPENACMAFTER0002", "after-secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the new key works", func() bool {
		return listWith(t, url, "AKIAOPENACMAFTER0002", "after-secret") == ""
	})
	if code := listWith(t, url, "AKIAOPENACMBEFORE001", "before-secret"); code != "UnrecognizedClientException" {
		t.Errorf("the removed key after SIGHUP: code %q, want UnrecognizedClientException", code)
	}

	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	code := <-exit
	stopped = true
	if code != 0 {
		t.Errorf("serve exit code = %d, want 0; log:\n%s", code, logs.String())
	}
	if log := logs.String(); bytes.Contains([]byte(log), []byte("before-secret")) || bytes.Contains([]byte(log), []byte("after-secret")) {
		t.Errorf("the server log contains a secret:\n%s", log)
	}
}

func TestServeRefusesTestCredentialOffLoopback(t *testing.T) {
	var stderr bytes.Buffer
	code := run([]string{"serve", "--listen", "0.0.0.0:4566", "--validation", "real", "--data-dir", t.TempDir()}, io.Discard, &stderr)
	if code != 2 {
		t.Errorf("exit code = %d, want 2", code)
	}
	if !bytes.Contains(stderr.Bytes(), []byte("--insecure-test-credentials")) {
		t.Errorf("message does not name --insecure-test-credentials: %s", stderr.String())
	}
}

// gogc reads GOGC from the runtime without changing it.
func gogc() uint64 {
	sample := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(sample)
	return sample[0].Value.Uint64()
}

// TestServeRaisesGOGCUnderHeadroom runs `openacm serve` in this process
// with a heap headroom, calls it with aws-sdk-go-v2, and checks that GOGC
// rose after collections and went back to 100 when the server stopped.
func TestServeRaisesGOGCUnderHeadroom(t *testing.T) {
	if got := gogc(); got != 100 {
		t.Skipf("GOGC is %d in this test process, want the default 100", got)
	}
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	address := listener.Addr().String()
	listener.Close()
	url := "http://" + address

	var logs syncBuffer
	exit := make(chan int, 1)
	go func() {
		exit <- run([]string{"serve", "--listen", address, "--data-dir", filepath.Join(t.TempDir(), "data"),
			"--gc-headroom", "64"}, io.Discard, &logs)
	}()
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			_ = syscall.Kill(os.Getpid(), syscall.SIGTERM)
			<-exit
		}
	})

	waitFor(t, "the server is ready", func() bool {
		resp, err := http.Get(url + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	if code := listWith(t, url, "test", "test"); code != "" {
		t.Fatalf("ListCertificates with the test credential: %s", code)
	}
	waitFor(t, "GOGC rises above 100 after a collection", func() bool {
		runtime.GC()
		return gogc() > 100
	})
	if !strings.Contains(logs.String(), `msg="garbage collector headroom set" headroom_mib=64 gogc=100`) {
		t.Errorf("the log has no headroom line:\n%s", logs.String())
	}

	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	code := <-exit
	stopped = true
	if code != 0 {
		t.Errorf("serve exit code = %d, want 0; log:\n%s", code, logs.String())
	}
	if got := gogc(); got != 100 {
		t.Errorf("GOGC after the server stopped = %d, want 100", got)
	}
}
