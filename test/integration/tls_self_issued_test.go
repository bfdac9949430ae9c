package integration

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/acm"

	"github.com/openacm/openacm/internal/app"
	"github.com/openacm/openacm/internal/clock"
	"github.com/openacm/openacm/internal/config"
)

// fetchRootInsecurely reads GET /ca/root.pem without checking the
// listener's certificate, as a client does once to bootstrap its trust,
// and returns a pool holding only that root.
func fetchRootInsecurely(t *testing.T, baseURL string) *x509.CertPool {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true},
	}}
	resp, err := client.Get(baseURL + "/ca/root.pem")
	if err != nil {
		t.Fatalf("GET /ca/root.pem: %v", err)
	}
	defer resp.Body.Close()
	text, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(text)
	if resp.StatusCode != http.StatusOK || block == nil {
		t.Fatalf("GET /ca/root.pem: status %d, body %q", resp.StatusCode, text)
	}
	root, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(root)
	return pool
}

// handshake connects to the server with a verifying TLS client that trusts
// only roots and returns the certificates it was shown, leaf first.
func handshake(t *testing.T, address string, roots *x509.CertPool, serverName string, now func() time.Time) []*x509.Certificate {
	t.Helper()
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", address,
		&tls.Config{RootCAs: roots, ServerName: serverName, Time: now})
	if err != nil {
		t.Fatalf("TLS handshake with %s as %s: %v", address, serverName, err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates
}

func TestTLSSelfIssuedListener(t *testing.T) {
	fake := clock.NewFake(time.Now())
	s := startServerWith(t, app.Options{Clock: fake}, func(c *config.Config) {
		c.TLSSelfIssued = true
		c.PublicURL = "https://acm.internal.example:8443"
	})
	if !strings.HasPrefix(s.url(), "https://") {
		t.Fatalf("server URL = %s, want https", s.url())
	}
	roots := fetchRootInsecurely(t, s.url())
	address := strings.TrimPrefix(s.url(), "https://")

	chain := handshake(t, address, roots, "127.0.0.1", fake.Now)
	first := chain[0]
	intermediates := x509.NewCertPool()
	for _, cert := range chain[1:] {
		intermediates.AddCert(cert)
	}
	if got := first.DNSNames; len(got) != 1 || got[0] != "acm.internal.example" {
		t.Errorf("DNS names = %v, want [acm.internal.example] from --public-url", got)
	}
	if len(first.IPAddresses) != 1 || !first.IPAddresses[0].Equal(net.ParseIP("127.0.0.1")) {
		t.Errorf("IP addresses = %v, want [127.0.0.1] from --listen", first.IPAddresses)
	}
	if _, err := first.Verify(x509.VerifyOptions{DNSName: "acm.internal.example", Roots: roots, Intermediates: intermediates, CurrentTime: fake.Now(),
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
		t.Errorf("the listener certificate does not verify for the --public-url host: %v", err)
	}
	if _, err := tls.Dial("tcp", address, &tls.Config{RootCAs: x509.NewCertPool(), ServerName: "127.0.0.1"}); err == nil {
		t.Errorf("a client that does not trust OpenACM's root completed the handshake")
	}

	client := acm.New(acm.Options{
		Region:       testRegion,
		BaseEndpoint: aws.String(s.url()),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		Retryer:      aws.NopRetryer{},
		HTTPClient: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: roots, Time: fake.Now},
		}},
	})
	requested, err := client.RequestCertificate(context.Background(), &acm.RequestCertificateInput{DomainName: aws.String("over-tls.example.com")})
	if err != nil {
		t.Fatalf("RequestCertificate over HTTPS: %v", err)
	}
	if _, err := client.DescribeCertificate(context.Background(), &acm.DescribeCertificateInput{CertificateArn: requested.CertificateArn}); err != nil {
		t.Errorf("DescribeCertificate over HTTPS: %v", err)
	}

	// 21 days on, less than 10 days remain, so the next handshake gets a
	// new certificate.
	fake.Advance(21 * 24 * time.Hour)
	renewed := handshake(t, address, roots, "127.0.0.1", fake.Now)[0]
	if renewed.SerialNumber.Cmp(first.SerialNumber) == 0 {
		t.Errorf("the listener certificate was not renewed 9 days before its NotAfter %s", first.NotAfter)
	}
	if !renewed.NotAfter.After(first.NotAfter) {
		t.Errorf("renewed NotAfter %s is not after the first one's %s", renewed.NotAfter, first.NotAfter)
	}
	if again := handshake(t, address, roots, "127.0.0.1", fake.Now)[0]; again.SerialNumber.Cmp(renewed.SerialNumber) != 0 {
		t.Errorf("a handshake right after renewal got another new certificate")
	}

	// A restart issues a new certificate, since its key was only in memory.
	s.restart()
	restarted := handshake(t, strings.TrimPrefix(s.url(), "https://"), roots, "127.0.0.1", fake.Now)[0]
	if restarted.SerialNumber.Cmp(renewed.SerialNumber) == 0 {
		t.Errorf("the restarted server serves the certificate of the previous run")
	}
}

func TestTLSSelfIssuedConflictsWithCertificate(t *testing.T) {
	cfg := config.Default()
	cfg.TLSSelfIssued = true
	cfg.TLSCert, cfg.TLSKey = "tls.crt", "tls.key"
	err := cfg.Validate()
	if err == nil || !strings.Contains(err.Error(), "--tls-self-issued") {
		t.Errorf("Validate() = %v, want an error naming --tls-self-issued", err)
	}
}
