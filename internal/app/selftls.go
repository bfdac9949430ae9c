package app

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/openacm/openacm/internal/clock"
	"github.com/openacm/openacm/internal/issuance"
)

// Lifetime of the listener certificate that --tls-self-issued makes, and
// how long before its end a new one replaces it.
const (
	selfIssuedValidity    = 30 * 24 * time.Hour
	selfIssuedRenewBefore = 10 * 24 * time.Hour
)

// selfIssuedTLS is the listener certificate that OpenACM issues to itself
// from its own intermediate. Its key lives only in memory, so every start
// issues a new certificate, and a handshake after the renewal point issues
// the next one.
type selfIssuedTLS struct {
	ca         *issuance.CA
	request    issuance.LeafRequest
	clock      clock.Clock
	logger     *slog.Logger
	mu         sync.Mutex
	current    *tls.Certificate
	renewAfter time.Time
}

// newSelfIssuedTLS issues the first listener certificate for names, host
// names and IP addresses such as the hosts of --public-url and --listen.
func newSelfIssuedTLS(ca *issuance.CA, names []string, issuerURL, crlURL string, clk clock.Clock, logger *slog.Logger) (*selfIssuedTLS, error) {
	request := issuance.LeafRequest{IssuerURL: issuerURL, CRLURL: crlURL}
	for _, name := range names {
		if ip := net.ParseIP(name); ip != nil {
			request.IPAddresses = append(request.IPAddresses, ip)
		} else if !slices.Contains(request.DNSNames, name) {
			request.DNSNames = append(request.DNSNames, name)
		}
	}
	// A certificate needs a common name among its DNS names.
	if len(request.DNSNames) == 0 {
		request.DNSNames = []string{"localhost"}
	}
	request.CommonName = request.DNSNames[0]

	s := &selfIssuedTLS{ca: ca, request: request, clock: clk, logger: logger}
	if err := s.issue(); err != nil {
		return nil, err
	}
	return s, nil
}

// selfIssuedNames returns the host names and IP addresses that the
// listener certificate names: the host of publicURL and the host of
// listen, or the machine's host name and localhost when listen has no host
// or an unspecified address.
func selfIssuedNames(publicURL, listen string, hostname func() (string, error)) []string {
	var names []string
	if parsed, err := url.Parse(publicURL); err == nil && parsed.Hostname() != "" {
		names = append(names, parsed.Hostname())
	}

	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		host = listen
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		if name, err := hostname(); err == nil && name != "" {
			names = append(names, name)
		}
		return append(names, "localhost", "127.0.0.1", "::1")
	}
	return append(names, host)
}

// issue signs a new certificate for a new P-256 key and makes it current.
func (s *selfIssuedTLS) issue() error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("generate listener key: %w", err)
	}
	request := s.request
	request.PublicKey = key.Public()
	request.NotBefore = s.clock.Now().Add(-time.Minute).Truncate(time.Second)
	request.NotAfter = request.NotBefore.Add(selfIssuedValidity)

	leaf, err := s.ca.IssueLeaf(request)
	if err != nil {
		return fmt.Errorf("issue listener certificate: %w", err)
	}
	certificate := &tls.Certificate{
		Certificate: [][]byte{leaf.Certificate.Raw, s.ca.Intermediate.Raw},
		PrivateKey:  key,
		Leaf:        leaf.Certificate,
	}

	s.mu.Lock()
	s.current = certificate
	s.renewAfter = leaf.Certificate.NotAfter.Add(-selfIssuedRenewBefore)
	s.mu.Unlock()
	s.logger.Info("listener certificate issued", "serial", leaf.Serial, "dns_names", request.DNSNames,
		"ip_addresses", request.IPAddresses, "not_after", leaf.Certificate.NotAfter)
	return nil
}

// getCertificate is tls.Config.GetCertificate. Past the renewal point it
// issues a new certificate; when that fails it logs the error and keeps
// serving the current one, which is still valid for days.
func (s *selfIssuedTLS) getCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	s.mu.Lock()
	due := !s.clock.Now().Before(s.renewAfter)
	s.mu.Unlock()
	if due {
		if err := s.issue(); err != nil {
			s.logger.Error("listener certificate renewal failed; serving the current one", "error", err)
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	return s.current, nil
}

// tlsConfig returns the listener's TLS settings.
func (s *selfIssuedTLS) tlsConfig() *tls.Config {
	return &tls.Config{GetCertificate: s.getCertificate, MinVersion: tls.VersionTLS12}
}
