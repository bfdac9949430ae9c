package validation

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// maxHTTPBodyBytes bounds how much of a validation response is read before
// the connection is dropped; only the status and Location matter.
const maxHTTPBodyBytes = 64 << 10

// HTTPCheckerOptions tune an HTTPChecker. Zero values take the defaults.
type HTTPCheckerOptions struct {
	// Timeout bounds one whole check, redirects included (default 10s).
	Timeout time.Duration
	// MaxRedirects bounds the redirects followed on the validated host
	// before the expected one (default 5).
	MaxRedirects int
	// Port, when set, replaces ports 80 and 443 in every connection. It is
	// a test setting that lets a server on a loopback port stand in for a
	// domain's web server.
	Port int
	// TLSConfig is the TLS client configuration for https URLs (default: system roots).
	TLSConfig *tls.Config
}

// HTTPChecker checks the HTTP validation redirect of a name: it fetches
// RedirectFrom and approves the name when the response redirects to
// RedirectTo. It follows redirects only while they stay on the validated
// host and use http or https.
type HTTPChecker struct {
	hosts   *DNSChecker
	options HTTPCheckerOptions
	client  *http.Client
}

// NewHTTPChecker returns a checker that resolves host names through hosts.
func NewHTTPChecker(hosts *DNSChecker, options HTTPCheckerOptions) *HTTPChecker {
	if options.Timeout <= 0 {
		options.Timeout = 10 * time.Second
	}
	if options.MaxRedirects <= 0 {
		options.MaxRedirects = 5
	}
	c := &HTTPChecker{hosts: hosts, options: options}
	transport := &http.Transport{
		DialContext:            c.dial,
		TLSClientConfig:        options.TLSConfig,
		TLSHandshakeTimeout:    options.Timeout,
		ResponseHeaderTimeout:  options.Timeout,
		DisableKeepAlives:      true,
		MaxResponseHeaderBytes: 32 << 10,
	}
	c.client = &http.Client{
		Transport: transport,
		Timeout:   options.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	return c
}

// CheckRedirect reports whether from redirects to to. A response that is
// not a redirect, a redirect elsewhere or a transport failure returns false
// and an error that names the cause.
func (c *HTTPChecker) CheckRedirect(ctx context.Context, from, to string) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, c.options.Timeout)
	defer cancel()

	start, err := url.Parse(from)
	if err != nil || !webScheme(start.Scheme) || start.Host == "" {
		return false, fmt.Errorf("invalid redirect source %q: want an http or https URL", from)
	}
	want, err := url.Parse(to)
	if err != nil || !webScheme(want.Scheme) {
		return false, fmt.Errorf("invalid redirect target %q: want an http or https URL", to)
	}

	current := start
	for range c.options.MaxRedirects + 1 {
		location, err := c.fetchLocation(ctx, current)
		if err != nil {
			return false, err
		}
		if sameURL(location, want) {
			return true, nil
		}
		if !webScheme(location.Scheme) || !strings.EqualFold(location.Hostname(), start.Hostname()) {
			return false, fmt.Errorf("%s redirects to %s, which is neither %s nor on %s", current, location, to, start.Hostname())
		}
		current = location
	}
	return false, fmt.Errorf("%s: more than %d redirects without reaching %s", from, c.options.MaxRedirects, to)
}

// fetchLocation sends a GET to target and returns the absolute Location of
// its redirect response.
func (c *HTTPChecker) fetchLocation(ctx context.Context, target *url.URL) (*url.URL, error) {
	request, err := http.NewRequestWithContext(ctx, http.MethodGet, target.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("build request for %s: %w", target, err)
	}
	request.Header.Set("User-Agent", "OpenACM-HTTP-validation")

	response, err := c.client.Do(request)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", target, err)
	}
	defer response.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(response.Body, maxHTTPBodyBytes))

	if response.StatusCode < 300 || response.StatusCode > 399 {
		return nil, fmt.Errorf("fetch %s: status %d, want a redirect", target, response.StatusCode)
	}
	location, err := response.Location()
	if err != nil {
		return nil, fmt.Errorf("fetch %s: redirect without a valid Location: %w", target, err)
	}
	return location, nil
}

// dial connects to the addresses the checker's resolver returns for the
// host, trying each until one accepts the connection.
func (c *HTTPChecker) dial(ctx context.Context, network, address string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	if c.options.Port != 0 {
		port = strconv.Itoa(c.options.Port)
	}

	ips := []net.IP{net.ParseIP(host)}
	if ips[0] == nil {
		ips, err = c.hosts.LookupHost(ctx, host)
		if err != nil {
			return nil, err
		}
	}

	var dialer net.Dialer
	var errs []error
	for _, ip := range ips {
		conn, err := dialer.DialContext(ctx, network, net.JoinHostPort(ip.String(), port))
		if err == nil {
			return conn, nil
		}
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}

func webScheme(scheme string) bool {
	return scheme == "http" || scheme == "https"
}

// sameURL compares scheme and host without case and path and query exactly.
func sameURL(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) &&
		strings.EqualFold(a.Host, b.Host) &&
		a.EscapedPath() == b.EscapedPath() &&
		a.RawQuery == b.RawQuery
}
