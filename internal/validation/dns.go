// Package validation checks domain control the way ACM does before it issues
// a certificate.
//
// For DNS validation ACM approves a name once the CNAME record
// _<32 hex>.<name>. exists and points to _<32 hex>.<10 letters>.acm-validations.aws.
// This package owns the DNS lookups behind that check. It decides whether the
// record is there and matches, and leaves scheduling and state changes to its
// callers.
package validation

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// resolvConfPath is the file NewDNSChecker reads when no resolver is given.
const resolvConfPath = "/etc/resolv.conf"

// DNSChecker looks validation records up through one resolver.
//
// A DNSChecker is safe for concurrent use because every lookup opens its own
// connection.
type DNSChecker struct {
	resolver string
	timeout  time.Duration
}

// CNAMEResult is the outcome of one CNAME lookup.
//
// Found is false when the name does not exist or has no CNAME record. Value is
// the published target as a fully qualified name in the case the resolver
// returned, or "" when Found is false. Matches is true only when Value equals
// the expected target, ignoring case and the trailing dot.
type CNAMEResult struct {
	Found   bool
	Value   string
	Matches bool
}

// NewDNSChecker returns a checker that sends every query to resolver
// ("host:port"). An empty resolver means the first nameserver of
// /etc/resolv.conf on port 53. The timeout bounds one whole lookup,
// including the TCP retry after a truncated UDP answer.
func NewDNSChecker(resolver string, timeout time.Duration) (*DNSChecker, error) {
	return newDNSChecker(resolver, timeout, resolvConfPath)
}

func newDNSChecker(resolver string, timeout time.Duration, resolvConf string) (*DNSChecker, error) {
	if timeout <= 0 {
		return nil, fmt.Errorf("invalid dns timeout %s: must be positive", timeout)
	}

	if resolver == "" {
		systemResolver, err := firstSystemResolver(resolvConf)
		if err != nil {
			return nil, err
		}
		resolver = systemResolver
	}

	if _, _, err := net.SplitHostPort(resolver); err != nil {
		return nil, fmt.Errorf("invalid dns resolver address %q, expected host:port: %w", resolver, err)
	}

	return &DNSChecker{resolver: resolver, timeout: timeout}, nil
}

// firstSystemResolver returns "host:port" of the first nameserver listed in
// the resolv.conf file at path.
func firstSystemResolver(path string) (string, error) {
	config, err := dns.ClientConfigFromFile(path)
	if err != nil {
		return "", fmt.Errorf("read system resolver from %s: %w", path, err)
	}

	if len(config.Servers) == 0 {
		return "", fmt.Errorf("no nameserver listed in %s: pass a resolver address instead", path)
	}

	return net.JoinHostPort(config.Servers[0], config.Port), nil
}

// Resolver returns the "host:port" address that receives every query.
func (c *DNSChecker) Resolver() string {
	return c.resolver
}

// CheckCNAME reports whether name has a CNAME whose target equals want
// (case-insensitive, trailing dot optional on both). A missing record or a
// different value is (false, nil). A lookup failure such as a timeout,
// SERVFAIL or REFUSED is (false, err). Use LookupCNAME to read the value that
// was found when it differs from want.
func (c *DNSChecker) CheckCNAME(ctx context.Context, name, want string) (bool, error) {
	result, err := c.LookupCNAME(ctx, name, want)
	if err != nil {
		return false, err
	}

	return result.Matches, nil
}

// LookupCNAME queries the CNAME record of name and compares its target with
// want. NXDOMAIN and a NOERROR answer without a CNAME for name both return
// Found == false and a nil error. Any other response code, a transport
// failure or an expired ctx returns an error.
func (c *DNSChecker) LookupCNAME(ctx context.Context, name, want string) (CNAMEResult, error) {
	fqdn := dns.Fqdn(name)
	if _, ok := dns.IsDomainName(fqdn); !ok {
		return CNAMEResult{}, fmt.Errorf("invalid domain name %q", name)
	}

	response, err := c.query(ctx, fqdn, dns.TypeCNAME)
	if err != nil {
		return CNAMEResult{}, err
	}

	return cnameResult(response, fqdn, want), nil
}

// cnameResult picks the CNAME records owned by fqdn out of response. When a
// name carries several CNAMEs, which RFC 1034 forbids but a broken zone may
// still publish, any one matching want counts as a match.
func cnameResult(response *dns.Msg, fqdn, want string) CNAMEResult {
	var result CNAMEResult

	for _, record := range response.Answer {
		cname, ok := record.(*dns.CNAME)
		if !ok || !sameName(cname.Hdr.Name, fqdn) {
			continue
		}

		if sameName(cname.Target, want) {
			return CNAMEResult{Found: true, Value: cname.Target, Matches: true}
		}

		if !result.Found {
			result = CNAMEResult{Found: true, Value: cname.Target}
		}
	}

	return result
}

// sameName compares two domain names the way DNS does: ASCII
// case-insensitively and with or without the trailing root dot.
func sameName(a, b string) bool {
	return strings.EqualFold(strings.TrimSuffix(a, "."), strings.TrimSuffix(b, "."))
}

// query sends one question with recursion desired over UDP and repeats it
// over TCP when the UDP answer comes back truncated. It returns the response
// only for NOERROR and NXDOMAIN, since every other code means the resolver
// could not tell whether the record exists.
func (c *DNSChecker) query(ctx context.Context, fqdn string, qtype uint16) (*dns.Msg, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()

	request := new(dns.Msg)
	request.SetQuestion(fqdn, qtype)
	request.RecursionDesired = true

	response, err := c.exchange(ctx, request, "udp")
	if err == nil && response.Truncated {
		response, err = c.exchange(ctx, request, "tcp")
	}
	if err != nil {
		return nil, fmt.Errorf("dns lookup of %s %s via %s: %w", dns.TypeToString[qtype], fqdn, c.resolver, err)
	}

	switch response.Rcode {
	case dns.RcodeSuccess, dns.RcodeNameError:
		return response, nil
	default:
		return nil, fmt.Errorf("dns lookup of %s %s via %s: resolver returned %s",
			dns.TypeToString[qtype], fqdn, c.resolver, dns.RcodeToString[response.Rcode])
	}
}

// exchange sends request over network ("udp" or "tcp") and waits for the
// answer. The miekg/dns client only applies the deadline of ctx, so a
// context.AfterFunc closes the connection to make a cancelled ctx end the
// wait at once.
func (c *DNSChecker) exchange(ctx context.Context, request *dns.Msg, network string) (*dns.Msg, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	client := &dns.Client{Net: network, Timeout: c.timeout}

	conn, err := client.DialContext(ctx, c.resolver)
	if err != nil {
		return nil, fmt.Errorf("connect over %s: %w", network, err)
	}
	defer conn.Close()

	stopClosing := context.AfterFunc(ctx, func() { conn.Close() })
	defer stopClosing()

	response, _, err := client.ExchangeWithConnContext(ctx, request, conn)
	if err != nil {
		return nil, exchangeError(ctx, network, err)
	}

	return response, nil
}

// exchangeError reports the context error in place of the "use of closed
// network connection" that the cancellation above leaves behind, or of the
// socket timeout that fires at the deadline of ctx just before ctx.Err is set.
func exchangeError(ctx context.Context, network string, err error) error {
	ctxErr := ctx.Err()
	if deadline, ok := ctx.Deadline(); ok && ctxErr == nil && !time.Now().Before(deadline) {
		ctxErr = context.DeadlineExceeded
	}

	if ctxErr != nil && !errors.Is(err, ctxErr) {
		return fmt.Errorf("query over %s: %w (%v)", network, ctxErr, err)
	}

	return fmt.Errorf("query over %s: %w", network, err)
}
