// Package process runs the built openacm binary as separate processes, so
// tests can kill them. The crash test SIGKILLs a server under load and
// checks that nothing it acknowledged is lost. The cluster test runs three
// nodes on one PostgreSQL database.
package process

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/acm/types"
	"github.com/aws/smithy-go"
)

// binary is the openacm executable that TestMain builds.
var binary string

func TestMain(m *testing.M) {
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	dir, err := os.MkdirTemp("", "openacm-process-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "create build folder:", err)
		return 1
	}
	defer os.RemoveAll(dir)

	binary = filepath.Join(dir, "openacm")
	build := exec.Command("go", "build", "-o", binary, "github.com/openacm/openacm/cmd/openacm")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build openacm:", err)
		return 1
	}

	return m.Run()
}

// node is one openacm process; start and kill may repeat on the same
// address, store and data dir.
type node struct {
	t       *testing.T
	name    string
	addr    string
	args    []string
	logPath string
	cmd     *exec.Cmd
	exited  chan struct{}
}

// newNode prepares a node on a free loopback port with the given extra
// serve flags; start runs it.
func newNode(t *testing.T, name string, args ...string) *node {
	t.Helper()

	n := &node{t: t, name: name, addr: freeAddr(t), args: args, logPath: filepath.Join(t.TempDir(), name+".log")}
	t.Cleanup(func() {
		n.kill()
		if t.Failed() {
			n.dumpLog()
		}
	})

	return n
}

func freeAddr(t *testing.T) string {
	t.Helper()

	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	defer listener.Close()

	return listener.Addr().String()
}

// start runs the process and returns once /readyz returns 200.
func (n *node) start() {
	n.t.Helper()

	n.launch()
	n.waitReady()
}

// launch runs the process without waiting for it to be ready.
func (n *node) launch() {
	n.t.Helper()

	logFile, err := os.OpenFile(n.logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		n.t.Fatalf("%s: open log: %v", n.name, err)
	}
	defer logFile.Close()

	args := append([]string{"serve", "--listen", n.addr, "--node-id", n.name}, n.args...)
	n.cmd = exec.Command(binary, args...)
	n.cmd.Stdout, n.cmd.Stderr = logFile, logFile
	if err := n.cmd.Start(); err != nil {
		n.t.Fatalf("%s: start: %v", n.name, err)
	}

	n.exited = make(chan struct{})
	cmd, exited := n.cmd, n.exited
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
}

func (n *node) waitReady() {
	n.t.Helper()

	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-n.exited:
			n.dumpLog()
			n.t.Fatalf("%s exited before it was ready: %v", n.name, n.cmd.ProcessState)
		default:
		}

		resp, err := client.Get(n.url() + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}

	n.dumpLog()
	n.t.Fatalf("%s not ready after 20 s", n.name)
}

// kill sends SIGKILL, as a crash or an OOM killer would, and waits for the exit.
func (n *node) kill() {
	if n.cmd == nil {
		return
	}

	_ = n.cmd.Process.Signal(syscall.SIGKILL)
	<-n.exited
	n.cmd = nil
}

// stop sends SIGTERM and returns the exit code.
func (n *node) stop() int {
	n.t.Helper()

	if err := n.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		n.t.Fatalf("%s: SIGTERM: %v", n.name, err)
	}

	select {
	case <-n.exited:
	case <-time.After(30 * time.Second):
		n.t.Fatalf("%s still runs 30 s after SIGTERM", n.name)
	}

	code := n.cmd.ProcessState.ExitCode()
	n.cmd = nil
	return code
}

func (n *node) url() string { return "http://" + n.addr }

func (n *node) log() string {
	body, _ := os.ReadFile(n.logPath)
	return string(body)
}

func (n *node) dumpLog() {
	body := n.log()
	const keep = 8000
	if len(body) > keep {
		body = "…" + body[len(body)-keep:]
	}
	n.t.Logf("log of %s:\n%s", n.name, body)
}

// client returns an ACM client of the node with no SDK retries, so each
// call is one request and the test gets every failure. Each client has a
// connection pool of its own, so it never reuses a connection to a process
// killed before the client was made.
func (n *node) client() *acm.Client {
	transport := readWholeBody{http.DefaultTransport.(*http.Transport).Clone()}
	return acm.New(acm.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(n.url()),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		Retryer:      aws.NopRetryer{},
		HTTPClient:   &http.Client{Timeout: 10 * time.Second, Transport: transport},
	})
}

// readWholeBody reads each response body inside RoundTrip.
//
// NOTE: with aws-sdk-go-v2 (acm v1.51.5, smithy-go v1.28.9) against a
// server on loopback, about 1 to 9 in 100 GetCertificate calls failed with
// "deserialization failed, read tcp …: use of closed network connection"
// after a 200 status, when the body did not fit in one 4 KiB read. Reading
// the body here, before the SDK gets the response, made the failures
// disappear over 300 calls, so the full body had arrived; the cause on the
// client side is not found yet.
type readWholeBody struct {
	base http.RoundTripper
}

func (r readWholeBody) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}

	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("read response body: %w", err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))

	return resp, nil
}

// apiErrorCode returns the AWS error code of err, or "" when err is not a
// response from the server (the connection failed, as when the server was killed).
func apiErrorCode(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return ""
}

// listAll returns every certificate of the default account and region,
// whatever its status and key type, or only those in statuses when given.
// Without Includes, ListCertificates lists only RSA-2048 and RSA-1024 keys.
func listAll(ctx context.Context, client *acm.Client, statuses ...string) ([]string, error) {
	input := &acm.ListCertificatesInput{MaxItems: aws.Int32(1000), Includes: &types.Filters{KeyTypes: types.KeyAlgorithm("").Values()}}
	if len(statuses) == 0 {
		statuses = []string{"PENDING_VALIDATION", "ISSUED", "INACTIVE", "EXPIRED", "VALIDATION_TIMED_OUT", "REVOKED", "FAILED"}
	}
	for _, status := range statuses {
		input.CertificateStatuses = append(input.CertificateStatuses, types.CertificateStatus(status))
	}

	var arns []string
	paginator := acm.NewListCertificatesPaginator(client, input)
	for paginator.HasMorePages() {
		page, err := paginator.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, summary := range page.CertificateSummaryList {
			arns = append(arns, aws.ToString(summary.CertificateArn))
		}
	}

	return arns, nil
}

// waitNoPending polls until no certificate is PENDING_VALIDATION.
func waitNoPending(t *testing.T, client *acm.Client, within time.Duration) {
	t.Helper()

	deadline := time.Now().Add(within)
	for {
		pending, err := listAll(context.Background(), client, "PENDING_VALIDATION")
		if err != nil {
			t.Fatalf("list pending certificates: %v", err)
		}
		if len(pending) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d certificates still PENDING_VALIDATION after %s, such as %s: pending work did not resume", len(pending), within, pending[0])
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// checkIssued checks that the certificate is wholly issued: ISSUED with a
// serial, and a certificate and chain that parse, carry that serial and
// name the domain (the described one when domain is ""). It returns the serial.
func checkIssued(t *testing.T, client *acm.Client, arn, domain string) string {
	t.Helper()
	ctx := context.Background()

	described, err := client.DescribeCertificate(ctx, &acm.DescribeCertificateInput{CertificateArn: aws.String(arn)})
	if err != nil {
		t.Errorf("describe %s: %v", arn, err)
		return ""
	}
	detail := described.Certificate
	if detail.Status != "ISSUED" || aws.ToString(detail.Serial) == "" {
		t.Errorf("%s is %s with serial %q, want ISSUED with a serial", arn, detail.Status, aws.ToString(detail.Serial))
		return ""
	}

	got, err := client.GetCertificate(ctx, &acm.GetCertificateInput{CertificateArn: aws.String(arn)})
	if err != nil {
		t.Errorf("get certificate %s: %v", arn, err)
		return ""
	}

	block, _ := pem.Decode([]byte(aws.ToString(got.Certificate)))
	if block == nil {
		t.Errorf("%s: certificate is not PEM", arn)
		return ""
	}
	leaf, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Errorf("%s: parse certificate: %v", arn, err)
		return ""
	}
	if !strings.Contains(aws.ToString(got.CertificateChain), "BEGIN CERTIFICATE") {
		t.Errorf("%s: no certificate chain", arn)
	}

	serial := aws.ToString(detail.Serial)
	if !bytes.Equal(leaf.SerialNumber.Bytes(), serialBytes(serial)) {
		t.Errorf("%s: certificate serial %x differs from described serial %s", arn, leaf.SerialNumber, serial)
	}
	if domain == "" {
		domain = aws.ToString(detail.DomainName)
	}
	if err := leaf.VerifyHostname(domain); err != nil {
		t.Errorf("%s: certificate does not cover %s: %v", arn, domain, err)
	}

	return serial
}

// serialBytes parses ACM's serial form, hex bytes joined by colons.
func serialBytes(serial string) []byte {
	var out []byte
	for _, part := range strings.Split(serial, ":") {
		var b byte
		if _, err := fmt.Sscanf(part, "%02x", &b); err != nil {
			return nil
		}
		out = append(out, b)
	}
	return bytes.TrimLeft(out, "\x00")
}
